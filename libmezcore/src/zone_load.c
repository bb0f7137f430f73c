/* zone_load.c: a zone loaded whole: zone.yaml, its profile, every pack it names and the checks between them, so
 * that what is loaded at start-up is consistent before a single request is evaluated against it. */
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/sanctions.h"
#include "zone_int.h"

#ifndef MEZ_PROFILE_DIR
#define MEZ_PROFILE_DIR "/usr/local/share/mez/profiles"
#endif

const char *mez_zone_default_profile_dir(void)
{
    return MEZ_PROFILE_DIR;
}

static int exists(apr_pool_t *p, const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS;
}

static const char *dir_of(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    return slash == path ? "/" : apr_pstrmemdup(p, path, (apr_size_t)(slash - path));
}

/* A YAML file that cannot be read or parsed: the problem is the loader's, collected like every other. */
static mez_status_t parse_file(apr_pool_t *p, const char *path, const mez_zone_options_t *opts,
                               mez_yaml_doc_t **doc, mez_problem_t *pb)
{
    mez_problem_t pr = { 0 };
    mez_status_t rv = mez_yaml_parse_file(p, path, doc, &pr);
    if (rv != MEZ_OK) {
        mez_zone_note(opts, &pr);
        if (pb)
            *pb = pr;
    }
    return rv;
}

/* ------------------------------------------------------------------ profiles */

mez_status_t mez_profile_load(apr_pool_t *p, const char *profile_dir, const char *id, const mez_zone_options_t *opts,
                              mez_profile_t **out, mez_problem_t *pb)
{
    const char *path;
    const json_t *root, *pd;
    mez_yaml_doc_t *doc;
    mez_profile_t *prof;
    mez_status_t rv;

    *out = NULL;
    if (!profile_dir || !*profile_dir)
        profile_dir = mez_zone_default_profile_dir();
    if (!mez_zone_id_ok(id))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "profile.not_found", NULL, "'%s' is not a profile id",
                           id ? id : "");
    path = apr_pstrcat(p, profile_dir, "/", id, ".yaml", NULL);
    if (!exists(p, path))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "profile.not_found", NULL, "there is no profile '%s' (no %s)", id,
                           path);
    if ((rv = parse_file(p, path, opts, &doc, pb)) != MEZ_OK || (rv = mez_profile_validate(p, doc, opts, pb)) != MEZ_OK)
        return rv;
    root = doc->root;
    if (strcmp(json_string_value(json_object_get(root, "id")), id)) {
        mez_problem_t pr = { 0 };
        rv = mez_yaml_problem(&pr, p, doc, "profile.id_mismatch", "/id", "the profile in %s.yaml says its id is '%s'",
                              id, json_string_value(json_object_get(root, "id")));
        mez_zone_note(opts, &pr);
        if (pb)
            *pb = pr;
        return rv;
    }
    prof = apr_pcalloc(p, sizeof(*prof));
    prof->path = path;
    prof->model = doc->root;
    prof->yaml = doc;
    prof->id = json_string_value(json_object_get(root, "id"));
    prof->name = json_string_value(json_object_get(root, "name"));
    prof->description = json_string_value(json_object_get(root, "description"));
    prof->compliance_domains = mez_zone_strings(p, json_object_get(root, "compliance_domains"));
    pd = json_object_get(root, "pack_domains");
    prof->lawpack_domains = mez_zone_strings(p, json_object_get(pd, "lawpacks"));
    prof->regpack_domains = mez_zone_strings(p, json_object_get(pd, "regpacks"));
    prof->licensepack_domains = mez_zone_strings(p, json_object_get(pd, "licensepacks"));
    prof->modules = mez_zone_strings(p, json_object_get(root, "modules"));
    if ((rv = mez_digest_json(p, root, &prof->digest, pb)) != MEZ_OK)
        return rv;
    *out = prof;
    return MEZ_OK;
}

int mez_profile_selects_pack(const mez_profile_t *profile, mez_pack_kind_t kind, const char *domain)
{
    const apr_array_header_t *list = NULL;
    switch (kind) {
    case MEZ_PACK_LAW: list = profile->lawpack_domains; break;
    case MEZ_PACK_REG: list = profile->regpack_domains; break;
    case MEZ_PACK_LICENSE: list = profile->licensepack_domains; break;
    }
    for (int i = 0; list && domain && i < list->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(list, i, const char *), domain))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ zone.yaml */

static void add_packs(apr_pool_t *p, mez_zone_t *zone, const json_t *packs, const char *name, mez_pack_kind_t kind)
{
    const json_t *list = json_object_get(packs, name), *item;
    const char *lp = mez_pointer_join(p, "/packs", name);
    size_t i;
    json_array_foreach(list, i, item) {
        mez_zone_pack_t *zp = apr_array_push(zone->packs);
        zp->kind = kind;
        zp->path = json_string_value(item);
        zp->pointer = mez_pointer_index(p, lp, i);
        zp->pack = NULL;
    }
}

/* The zone's calendar, read now so that no request ever opens a file for it; a name the machine has no zone for is
 * a problem at the zone file's line, like any other. */
static mez_status_t read_timezone(apr_pool_t *p, const mez_yaml_doc_t *doc, mez_zone_t *zone,
                                  const mez_zone_options_t *opts, mez_problem_t *pb)
{
    mez_problem_t tzp = { 0 }, pr = { 0 };
    mez_status_t rv = mez_tz_load(p, opts ? opts->tz_dir : NULL, zone->timezone, &zone->tz, &tzp);
    if (rv == MEZ_OK)
        return MEZ_OK;
    if (rv == MEZ_EIO) {
        mez_yaml_problem(&pr, p, doc, tzp.code, "/timezone", "%s", tzp.detail);
        pr.status = tzp.status;
    }
    else
        mez_yaml_problem(&pr, p, doc, strcmp(tzp.code, "tz.invalid_file") ? "zone.unknown_timezone"
                                                                          : "zone.invalid_timezone",
                         "/timezone", "timezone: %s", tzp.detail);
    mez_zone_note(opts, &pr);
    if (pb)
        *pb = pr;
    return rv == MEZ_EIO ? MEZ_EIO : MEZ_EINVAL;
}

mez_status_t mez_zone_parse(apr_pool_t *p, const char *path, const mez_zone_options_t *opts, mez_zone_t **out,
                            mez_problem_t *pb)
{
    mez_yaml_doc_t *doc;
    const json_t *root, *v;
    mez_zone_t *zone;
    mez_status_t rv;

    *out = NULL;
    if ((rv = parse_file(p, path, opts, &doc, pb)) != MEZ_OK || (rv = mez_zone_validate(p, doc, opts, pb)) != MEZ_OK)
        return rv;
    root = doc->root;
    zone = apr_pcalloc(p, sizeof(*zone));
    zone->path = path;
    zone->dir = dir_of(p, path);
    zone->model = doc->root;
    zone->yaml = doc;
    zone->zone_id = json_string_value(json_object_get(root, "zone_id"));
    zone->zone_name = json_string_value(json_object_get(root, "zone_name"));
    zone->jurisdiction_id = json_string_value(json_object_get(root, "jurisdiction_id"));
    zone->profile_id = json_string_value(json_object_get(root, "profile"));
    zone->tax_year_start = json_string_value(json_object_get(root, "tax_year_start"));
    zone->weekend = mez_zone_weekend_of(root);
    zone->holidays = mez_zone_holidays_of(p, root);
    zone->tz = mez_tz_utc();
    if ((zone->timezone = json_string_value(json_object_get(root, "timezone")))
        && (rv = read_timezone(p, doc, zone, opts, pb)) != MEZ_OK)
        return rv;
    if ((v = json_object_get(root, "jurisdiction_stack"))) {
        zone->jurisdiction_stack = mez_zone_strings(p, v);
    }
    else {
        zone->jurisdiction_stack = apr_array_make(p, 1, sizeof(const char *));
        *(const char **)apr_array_push(zone->jurisdiction_stack) = zone->jurisdiction_id;
    }
    if ((v = json_object_get(root, "compliance_domains"))) {
        zone->compliance_domains = mez_zone_strings(p, v);
        zone->domains_from_zone = 1;
    }
    zone->packs = apr_array_make(p, 8, sizeof(mez_zone_pack_t));
    v = json_object_get(root, "packs");
    add_packs(p, zone, v, "lawpacks", MEZ_PACK_LAW);
    add_packs(p, zone, v, "regpacks", MEZ_PACK_REG);
    add_packs(p, zone, v, "licensepacks", MEZ_PACK_LICENSE);
    zone->overrides = apr_array_make(p, 2, sizeof(mez_zone_override_t));
    if ((v = json_object_get(root, "overrides"))) {
        const json_t *item;
        size_t i;
        json_array_foreach(v, i, item) {
            mez_zone_override_t *o = apr_array_push(zone->overrides);
            o->rule = json_string_value(json_object_get(item, "rule"));
            o->replaces = json_string_value(json_object_get(item, "replaces"));
            o->reason = json_string_value(json_object_get(item, "reason"));
            o->pointer = mez_pointer_index(p, "/overrides", i);
        }
    }
    zone->conflicts = apr_array_make(p, 2, sizeof(mez_zone_conflict_t));
    v = json_object_get(root, "lockfile");
    zone->lockfile = v ? json_string_value(v) : MEZ_ZONE_LOCKFILE;
    zone->lock_path = apr_pstrcat(p, zone->dir, "/", zone->lockfile, NULL);
    /* The lock pins the zone file by its model, not its bytes: comments and layout may change freely. */
    if ((rv = mez_digest_json(p, root, &zone->manifest_digest, pb)) != MEZ_OK)
        return rv;
    *out = zone;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ composition */

/* The sections whose rows are rules compared across layers (see zone.h), with the kind of pack they are in. */
typedef enum { SEC_WHT, SEC_TAX, SEC_THRESHOLD, SEC_OBLIGATION, SEC_LICENCE, SEC_COUNT } section_t;

static const struct {
    const char *name;
    mez_pack_kind_t kind;
} sections[SEC_COUNT] = {
    [SEC_WHT] = { "withholding_rates", MEZ_PACK_REG },
    [SEC_TAX] = { "tax_rates", MEZ_PACK_REG },
    [SEC_THRESHOLD] = { "thresholds", MEZ_PACK_REG },
    [SEC_OBLIGATION] = { "obligations", MEZ_PACK_REG },
    [SEC_LICENCE] = { "licence_types", MEZ_PACK_LICENSE },
};

/* Marks a rule name two packs of different kinds share (a regpack and a licensepack may have one id). */
static const mez_zone_rule_t ambiguous_rule;

static const char *member(const json_t *row, const char *key)
{
    return json_string_value(json_object_get(row, key));
}

/* The part of a rule's key that must be equal: rows are bucketed by it, so only candidates are compared. */
static const char *bucket_key(apr_pool_t *p, section_t sec, const json_t *row)
{
    switch (sec) {
    case SEC_WHT:
        return apr_pstrcat(p, member(row, "section"), "\n", member(row, "payment_type"), NULL);
    case SEC_TAX:
        return apr_pstrcat(p, member(row, "tax"), "\n", member(row, "income_class"), NULL);
    case SEC_THRESHOLD:
        return member(row, "obligation");
    case SEC_OBLIGATION:
    case SEC_LICENCE:
    case SEC_COUNT:
        break;
    }
    return member(row, "id");
}

/* A qualifier two rules share: equal, or absent on either, or the word that covers every value on either. */
static int compatible(const char *a, const char *b, const char *every)
{
    if (!a || !b)
        return 1;
    if (every && (!strcmp(a, every) || !strcmp(b, every)))
        return 1;
    return !strcmp(a, b);
}

/* applies_to: absent on either (the source does not restrict it), or one class both name. */
static int classes_meet(const json_t *a, const json_t *b)
{
    const json_t *x, *y;
    size_t i, j;
    if (!a || !b)
        return 1;
    json_array_foreach(a, i, x) {
        json_array_foreach(b, j, y) {
            if (json_equal((json_t *)x, (json_t *)y))
                return 1;
        }
    }
    return 0;
}

/* 1 when two rules of one bucket could both decide one case. */
static int same_ground(section_t sec, const json_t *a, const json_t *b)
{
    switch (sec) {
    case SEC_WHT:
        return compatible(member(a, "payee_class"), member(b, "payee_class"), "any");
    case SEC_TAX:
        return compatible(member(a, "taxpayer_class"), member(b, "taxpayer_class"), "any");
    case SEC_THRESHOLD:
        return compatible(member(a, "transaction_type"), member(b, "transaction_type"), "any")
            && compatible(member(a, "direction"), member(b, "direction"), "either")
            && compatible(member(a, "counterparty"), member(b, "counterparty"), NULL)
            && classes_meet(json_object_get(a, "applies_to"), json_object_get(b, "applies_to"));
    case SEC_OBLIGATION:
    case SEC_LICENCE:
    case SEC_COUNT:
        break;
    }
    return 1;
}

/* "name value", or "name a / b" when the two rules say different things, or "" when neither says it. */
static const char *qualifier(apr_pool_t *p, const char *sep, const char *name, const json_t *a, const json_t *b)
{
    const char *x = member(a, name), *y = member(b, name);
    if (!x && !y)
        return "";
    if (x && y && strcmp(x, y))
        return apr_pstrcat(p, sep, name, " ", x, " / ", y, NULL);
    return apr_pstrcat(p, sep, name, " ", x ? x : y, NULL);
}

static const char *subject(apr_pool_t *p, section_t sec, const json_t *a, const json_t *b)
{
    switch (sec) {
    case SEC_WHT:
        return apr_pstrcat(p, "section ", member(a, "section"), ", payment_type ", member(a, "payment_type"),
                           qualifier(p, ", ", "payee_class", a, b), NULL);
    case SEC_TAX:
        return apr_pstrcat(p, "tax ", member(a, "tax"), ", income_class ", member(a, "income_class"),
                           qualifier(p, ", ", "taxpayer_class", a, b), NULL);
    case SEC_THRESHOLD:
        return apr_pstrcat(p, "obligation ", member(a, "obligation"),
                           qualifier(p, ", ", "transaction_type", a, b), qualifier(p, ", ", "direction", a, b),
                           qualifier(p, ", ", "counterparty", a, b), NULL);
    case SEC_OBLIGATION:
        return apr_pstrcat(p, "obligation ", member(a, "id"), NULL);
    case SEC_LICENCE:
    case SEC_COUNT:
        break;
    }
    return apr_pstrcat(p, "licence type ", member(a, "id"), NULL);
}

/* Citations and prose say where a value comes from, not what it is: two layers citing different statutes for
 * one rate state the same value. */
static void strip_citations(json_t *v)
{
    static const char *const cites[] = { "source", "source_detail", "conflicts", "law", "description", NULL };
    const char *key;
    json_t *child;
    size_t i;
    if (json_is_object(v)) {
        for (int k = 0; cites[k]; k++)
            json_object_del(v, cites[k]);
        json_object_foreach(v, key, child)
            strip_citations(child);
    }
    else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            strip_citations(child);
    }
}

static int values_differ(const json_t *a, const json_t *b)
{
    /* Identity, naming and dates are what make the two rules two; the rest is what each says. */
    static const char *const own[] = { "id", "name", "article", "valid_from", "valid_to", NULL };
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    int differ;
    for (int k = 0; own[k]; k++) {
        json_object_del(x, own[k]);
        json_object_del(y, own[k]);
    }
    strip_citations(x);
    strip_citations(y);
    differ = !json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return differ;
}

/* [from, to) of two periods together; 0 when they share no day. valid_to is exclusive, NULL open-ended. */
static int overlap(const mez_zone_rule_t *a, const mez_zone_rule_t *b, const char **from, const char **to)
{
    *from = strcmp(a->valid_from, b->valid_from) >= 0 ? a->valid_from : b->valid_from;
    if (!a->valid_to)
        *to = b->valid_to;
    else if (!b->valid_to)
        *to = a->valid_to;
    else
        *to = strcmp(a->valid_to, b->valid_to) <= 0 ? a->valid_to : b->valid_to;
    return !*to || strcmp(*from, *to) < 0;
}

/* Every rule of one section of one pack, appended to rules (mez_zone_rule_t *). */
static void collect(apr_pool_t *p, const mez_zone_pack_t *zp, section_t sec, apr_array_header_t *rules,
                    apr_hash_t *by_name)
{
    const json_t *list = json_object_get(zp->pack->model, sections[sec].name), *row;
    size_t i;
    json_array_foreach(list, i, row) {
        mez_zone_rule_t *r = apr_pcalloc(p, sizeof(*r));
        r->zp = zp;
        r->section = sections[sec].name;
        r->row = row;
        r->row_id = member(row, "id");
        r->name = apr_pstrcat(p, zp->pack->id, "/", r->row_id, NULL);
        r->pointer = mez_pointer_index(p, mez_pointer_join(p, "", sections[sec].name), i);
        /* Validation requires valid_from on every rule row; a missing one would only mean "from always". */
        r->valid_from = member(row, "valid_from") ? member(row, "valid_from") : "0000-01-01";
        r->valid_to = member(row, "valid_to");
        *(mez_zone_rule_t **)apr_array_push(rules) = r;
        apr_hash_set(by_name, r->name, APR_HASH_KEY_STRING,
                     apr_hash_get(by_name, r->name, APR_HASH_KEY_STRING) ? &ambiguous_rule : r);
    }
}

/* Finds every conflict of one section: rules are bucketed by their key and each is compared with the earlier
 * rules of its bucket that are in another layer. */
static void find_conflicts(apr_pool_t *p, mez_zone_t *zone, section_t sec, const apr_array_header_t *rules)
{
    apr_hash_t *buckets = apr_hash_make(p);
    for (int i = 0; i < rules->nelts; i++) {
        const mez_zone_rule_t *r = APR_ARRAY_IDX(rules, i, const mez_zone_rule_t *);
        const char *key = bucket_key(p, sec, r->row);
        apr_array_header_t *bucket;
        if (!key)
            continue;
        if (!(bucket = apr_hash_get(buckets, key, APR_HASH_KEY_STRING))) {
            bucket = apr_array_make(p, 2, sizeof(const mez_zone_rule_t *));
            apr_hash_set(buckets, key, APR_HASH_KEY_STRING, bucket);
        }
        for (int j = 0; j < bucket->nelts; j++) {
            const mez_zone_rule_t *o = APR_ARRAY_IDX(bucket, j, const mez_zone_rule_t *);
            const char *from, *to;
            mez_zone_conflict_t *k;
            if (o->zp->layer == r->zp->layer || !same_ground(sec, o->row, r->row) || !overlap(o, r, &from, &to))
                continue;
            k = apr_array_push(zone->conflicts);
            k->kind = sections[sec].name;
            k->base = o->zp->layer < r->zp->layer ? o : r;
            k->overlay = k->base == o ? r : o;
            k->subject = subject(p, sec, k->base->row, k->overlay->row);
            k->from = from;
            k->to = to;
            k->values_differ = values_differ(o->row, r->row);
            k->override = NULL;
        }
        *(const mez_zone_rule_t **)apr_array_push(bucket) = r;
    }
}

static const char *layer_name(const mez_zone_t *zone, const mez_zone_rule_t *r)
{
    return APR_ARRAY_IDX(zone->jurisdiction_stack, r->zp->layer, const char *);
}

/* An override's rule by name; reports an unknown or ambiguous one at its place in zone.yaml. */
static const mez_zone_rule_t *override_rule(mez_zone_vctx_t *c, apr_hash_t *by_name, const mez_zone_override_t *o,
                                            const char *member_name, const char *name)
{
    const mez_zone_rule_t *r = apr_hash_get(by_name, name, APR_HASH_KEY_STRING);
    const char *ptr = mez_pointer_join(c->p, o->pointer, member_name);
    if (!r) {
        mez_zone_vfail(c, "unknown_rule", ptr,
                       "no pack of this zone has a rule '%s' (a row of withholding_rates, tax_rates, thresholds, "
                       "obligations or licence_types, named <pack id>/<row id>)", name);
        return NULL;
    }
    if (r == &ambiguous_rule) {
        mez_zone_vfail(c, "ambiguous_rule", ptr, "'%s' names a row of two packs of different kinds with one id",
                       name);
        return NULL;
    }
    return r;
}

/* Why two existing rules named by an override are not a conflict, in words. */
static const char *not_a_conflict(apr_pool_t *p, const mez_zone_t *zone, const mez_zone_rule_t *a,
                                  const mez_zone_rule_t *b)
{
    const char *from, *to;
    if (strcmp(a->section, b->section))
        return apr_psprintf(p, "one is in %s, the other in %s", a->section, b->section);
    if (a->zp->layer == b->zp->layer)
        return apr_psprintf(p, "both are law of '%s', one layer of the jurisdiction stack", layer_name(zone, a));
    if (!overlap(a, b, &from, &to))
        return "they are never in force on the same day";
    return "they govern different things";
}

/* Finds the conflicts between the layers of a loaded zone and matches zone.yaml's overrides to them. */
static void compose(mez_zone_vctx_t *c, mez_zone_t *zone)
{
    apr_pool_t *p = c->p;
    apr_hash_t *by_name = apr_hash_make(p);
    int layered = 0;

    for (int i = 1; i < zone->packs->nelts && !layered; i++)
        layered = APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).layer != APR_ARRAY_IDX(zone->packs, 0,
                                                                                       mez_zone_pack_t).layer;
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        apr_array_header_t *rules = apr_array_make(p, 16, sizeof(const mez_zone_rule_t *));
        for (int i = 0; i < zone->packs->nelts; i++) {
            const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
            if (zp->pack->kind == sections[sec].kind)
                collect(p, zp, (section_t)sec, rules, by_name);
        }
        /* Packs of one layer cannot conflict: a single-layer zone costs one pass over its rows, however many. */
        if (layered)
            find_conflicts(p, zone, (section_t)sec, rules);
    }

    for (int i = 0; i < zone->overrides->nelts; i++) {
        const mez_zone_override_t *o = &APR_ARRAY_IDX(zone->overrides, i, mez_zone_override_t);
        const mez_zone_rule_t *rule = override_rule(c, by_name, o, "rule", o->rule);
        const mez_zone_rule_t *replaces = override_rule(c, by_name, o, "replaces", o->replaces);
        mez_zone_conflict_t *found = NULL, *reversed = NULL;
        if (!rule || !replaces)
            continue;
        for (int k = 0; k < zone->conflicts->nelts; k++) {
            mez_zone_conflict_t *x = &APR_ARRAY_IDX(zone->conflicts, k, mez_zone_conflict_t);
            if (x->overlay == rule && x->base == replaces)
                found = x;
            else if (x->overlay == replaces && x->base == rule)
                reversed = x;
        }
        if (found)
            found->override = o;
        else if (reversed)
            /* The overlay is the layer that decides what departs from the base; the reverse would let national
             * law silently undo the zone's own rule. */
            mez_zone_vfail(c, "invalid_override", o->pointer,
                           "'%s' is law of '%s', the base, and '%s' of '%s', the overlay: the overlay's rule is the "
                           "one that applies (swap rule and replaces)", rule->name, layer_name(zone, rule),
                           replaces->name, layer_name(zone, replaces));
        else
            mez_zone_vfail(c, "invalid_override", o->pointer,
                           "'%s' and '%s' are not in conflict (%s): there is nothing to override", rule->name,
                           replaces->name, not_a_conflict(p, zone, rule, replaces));
    }
}

/* Whether a loaded regpack of the zone holds the list a sanctions import of this format produces. */
static int import_loaded(const mez_zone_t *zone, const char *format)
{
    /* Only the UN importer exists (zone_validate.c refuses other formats). */
    if (strcmp(format, "un-consolidated-xml"))
        return 0;
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const json_t *lists, *l;
        size_t j;
        if (!zp->pack || zp->pack->kind != MEZ_PACK_REG)
            continue;
        lists = json_object_get(zp->pack->model, "lists");
        json_array_foreach(lists, j, l) {
            const char *id = json_string_value(json_object_get(l, "id"));
            if (id && !strcmp(id, MEZ_SANCTIONS_UN_LIST_ID))
                return 1;
        }
    }
    return 0;
}

apr_array_header_t *mez_zone_missing_sanctions_imports(apr_pool_t *p, const mez_zone_t *zone)
{
    apr_array_header_t *out = apr_array_make(p, 1, sizeof(const char *));
    const json_t *imports = zone && zone->model ? json_object_get(zone->model, "sanctions_imports") : NULL, *item;
    size_t i;
    json_array_foreach(imports, i, item) {
        const char *list = json_string_value(json_object_get(item, "list"));
        const char *format = json_string_value(json_object_get(item, "format"));
        if (format && !import_loaded(zone, format))
            APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p, "/sanctions_imports/%d: %s (%s)", (int)i,
                                                             list ? list : "a list", format);
    }
    return out;
}

/* The commands that load the list, for both sentences below. */
static const char *how_to_load(apr_pool_t *p, const mez_zone_t *zone)
{
    return apr_psprintf(p, "mez deploy --jurisdiction %s ... --sanctions-un UN.xml for a zone mez deploy made, else "
                        "mez sanctions import-un --jurisdiction %s --out regpacks/un-consolidated.yaml UN.xml, that "
                        "file added to the zone's regpacks, and mez lock", zone->zone_id, zone->jurisdiction_id);
}

const char *mez_zone_sanctions_import_warning(apr_pool_t *p, const mez_zone_t *zone, const char *missing)
{
    return apr_psprintf(p, "zone %s declares the sanctions list %s, but no regpack of the zone holds it: names are "
                        "not screened against it. Import it: %s", zone->zone_id, missing, how_to_load(p, zone));
}

const char *mez_zone_sanctions_import_refusal(apr_pool_t *p, const mez_zone_t *zone, const char *missing)
{
    return apr_psprintf(p, "zone %s refuses to start: it declares the sanctions list %s, which no regpack of the "
                        "zone holds, and MezMode production does not screen names against nothing in its place. "
                        "Import it: %s", zone->zone_id, missing, how_to_load(p, zone));
}

const char *mez_zone_timezone_warning(apr_pool_t *p, const mez_zone_t *zone)
{
    if (!zone || zone->timezone)
        return NULL;
    return apr_psprintf(p, "zone %s has no timezone in %s: the dates its law applies on (a payment's day, the rate "
                        "card in force, the tax year, the day evidence must hold) are UTC dates, which are not the "
                        "jurisdiction's for part of every day; add its IANA name (timezone: Asia/Karachi) and run "
                        "mez lock", zone->zone_id, zone->path);
}

const apr_array_header_t *mez_zone_conflicts(const mez_zone_t *zone)
{
    static const apr_array_header_t none = { 0 };
    return zone && zone->conflicts ? zone->conflicts : &none;
}

int mez_zone_unresolved_conflicts(const mez_zone_t *zone)
{
    const apr_array_header_t *all = mez_zone_conflicts(zone);
    int n = 0;
    for (int i = 0; i < all->nelts; i++)
        n += !APR_ARRAY_IDX(all, i, mez_zone_conflict_t).override;
    return n;
}

/* The pieces of row left outside [from, to) (to NULL: open-ended), appended to out. */
static void clip(const json_t *row, const char *from, const char *to, json_t *out)
{
    const char *rf = member(row, "valid_from"), *rt = member(row, "valid_to");
    if (rf && strcmp(rf, from) < 0) {
        json_t *before = json_deep_copy(row);
        json_object_set_new(before, "valid_to", json_string(from));
        json_array_append_new(out, before);
    }
    if (to && (!rt || strcmp(to, rt) < 0)) {
        json_t *after = json_deep_copy(row);
        json_object_set_new(after, "valid_from", json_string(to));
        json_array_append_new(out, after);
    }
}

mez_status_t mez_zone_effective_models(apr_pool_t *p, const mez_zone_t *zone, apr_array_header_t **models,
                                       mez_problem_t *pb)
{
    const apr_array_header_t *all = mez_zone_conflicts(zone);

    *models = apr_array_make(p, zone->packs->nelts + 1, sizeof(const json_t *));
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        json_t *copy = NULL;
        if (!zp->pack)
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "zone.not_loaded", NULL, "zone %s: %s is not loaded",
                               zone->zone_id, zp->path);
        for (int k = 0; k < all->nelts; k++) {
            const mez_zone_conflict_t *c = &APR_ARRAY_IDX(all, k, mez_zone_conflict_t);
            json_t *rows, *kept, *row;
            size_t j;
            if (!c->override || c->base->zp != zp)
                continue;
            /* Copy on the first replaced rule only: the loaded model is shared and stays as published. */
            if (!copy)
                copy = mez_json_pool_own(p, json_deep_copy(zp->pack->model));
            rows = json_object_get(copy, c->kind);
            kept = json_array();
            /* By id, not index: an earlier override may already have cut this row in two. */
            json_array_foreach(rows, j, row) {
                if (json_equal(json_object_get(row, "id"), json_object_get(c->base->row, "id")))
                    clip(row, c->from, c->to, kept);
                else
                    json_array_append(kept, row);
            }
            json_object_set_new(copy, c->kind, kept);
        }
        *(const json_t **)apr_array_push(*models) = copy ? copy : zp->pack->model;
    }
    return MEZ_OK;
}

/* "regpacks/base.yaml:12" */
static const char *where(apr_pool_t *p, const mez_zone_rule_t *r)
{
    return apr_psprintf(p, "%s:%d", r->zp->path, mez_yaml_position(r->zp->pack->yaml, r->pointer).line);
}

mez_status_t mez_zone_check_conflicts(apr_pool_t *p, const mez_zone_t *zone, const mez_zone_options_t *opts,
                                      mez_problem_t *pb)
{
    const apr_array_header_t *all = mez_zone_conflicts(zone);
    int failed = 0;
    for (int i = 0; i < all->nelts; i++) {
        const mez_zone_conflict_t *k = &APR_ARRAY_IDX(all, i, mez_zone_conflict_t);
        mez_problem_t pr = { 0 };
        if (k->override)
            continue;
        mez_problem(&pr, p, MEZ_EINVAL, 422, "zone.conflict", NULL,
                    "%s: %s (%s, %s) and %s (%s, %s) both govern %s from %s %s%s%s, and their values %s; not merged: "
                    "resolve it in %s with overrides: [{rule: %s, replaces: %s, reason: ...}]", k->kind,
                    k->base->name, layer_name(zone, k->base), where(p, k->base), k->overlay->name,
                    layer_name(zone, k->overlay), where(p, k->overlay), k->subject, k->from,
                    k->to ? "until " : "", k->to ? k->to : "(open-ended)", k->to ? " (exclusive)" : "",
                    k->values_differ ? "differ" : "are the same", zone->path, k->overlay->name, k->base->name);
        if (!failed++ && pb)
            *pb = pr;
        mez_zone_note(opts, &pr);
    }
    return failed ? MEZ_EINVAL : MEZ_OK;
}

static json_t *rule_json(apr_pool_t *p, const mez_zone_t *zone, const mez_zone_rule_t *r)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "rule", r->name, "jurisdiction_id", layer_name(zone, r),
                          "pack_digest", mez_pack_digest_string(p, r->zp->pack), "valid_from", r->valid_from);
    if (r->valid_to)
        json_object_set_new(o, "valid_to", json_string(r->valid_to));
    return o;
}

static json_t *override_json(const mez_zone_override_t *o)
{
    return json_pack("{s:s,s:s,s:s}", "rule", o->rule, "replaces", o->replaces, "reason", o->reason);
}

json_t *mez_zone_conflicts_json(apr_pool_t *p, const mez_zone_t *zone)
{
    const apr_array_header_t *all = mez_zone_conflicts(zone);
    json_t *list = json_array();
    for (int i = 0; i < all->nelts; i++) {
        const mez_zone_conflict_t *k = &APR_ARRAY_IDX(all, i, mez_zone_conflict_t);
        json_t *period = json_pack("{s:s}", "from", k->from);
        json_t *o;
        if (k->to)
            json_object_set_new(period, "to", json_string(k->to));
        o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:b,s:b}", "kind", k->kind, "subject", k->subject, "base",
                      rule_json(p, zone, k->base), "overlay", rule_json(p, zone, k->overlay), "period", period,
                      "values_differ", k->values_differ, "resolved", k->override != NULL);
        if (k->override)
            json_object_set_new(o, "override", override_json(k->override));
        json_array_append_new(list, o);
    }
    return list;
}

json_t *mez_zone_overrides_json(const mez_zone_t *zone)
{
    json_t *list = json_array();
    for (int i = 0; zone && zone->overrides && i < zone->overrides->nelts; i++)
        json_array_append_new(list, override_json(&APR_ARRAY_IDX(zone->overrides, i, mez_zone_override_t)));
    return list;
}

/* ------------------------------------------------------------------ the whole zone */

/* The first problem of a load that goes on after problems, and its status. */
typedef struct first_t {
    mez_status_t rv;
    mez_problem_t pb;
} first_t;

static void keep_first(first_t *f, mez_status_t rv, const mez_problem_t *pr)
{
    if (f->rv == MEZ_OK) {
        f->rv = rv;
        f->pb = *pr;
    }
}

/* Checks one loaded pack against the zone that names it and the profile the zone runs. */
static void check_pack(mez_zone_vctx_t *c, const mez_zone_t *zone, const mez_zone_pack_t *zp, int index)
{
    const mez_pack_t *pack = zp->pack;
    int in_stack = 0;
    if (pack->kind != zp->kind) {
        mez_zone_vfail(c, "pack_kind_mismatch", zp->pointer, "%s is a %s (%s), listed among the %ss", zp->path,
                       mez_pack_kind_name(pack->kind), pack->id, mez_pack_kind_name(zp->kind));
        return;
    }
    for (int i = 0; i < index; i++) {
        const mez_zone_pack_t *o = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (o->pack && o->pack->kind == pack->kind && !strcmp(o->pack->id, pack->id)) {
            mez_zone_vfail(c, "duplicate_pack", zp->pointer, "%s and %s are both %s '%s'", o->path, zp->path,
                           mez_pack_kind_name(pack->kind), pack->id);
            return;
        }
    }
    for (int i = 0; i < zone->jurisdiction_stack->nelts && !in_stack; i++)
        in_stack = !strcmp(APR_ARRAY_IDX(zone->jurisdiction_stack, i, const char *), pack->jurisdiction_id);
    if (!in_stack)
        mez_zone_vfail(c, "pack_jurisdiction", zp->pointer,
                       "%s '%s' is law of '%s', which is not in the zone's jurisdiction stack", mez_pack_kind_name(pack->kind),
                       pack->id, pack->jurisdiction_id);
    /* A profile says which kinds of law a zone of its kind enforces; a pack outside it is a configuration
     * mistake, not something to evaluate quietly. */
    if (!mez_profile_selects_pack(zone->profile, pack->kind, pack->domain))
        mez_zone_vfail(c, "pack_domain", zp->pointer,
                       "%s '%s' is of domain '%s', which profile '%s' does not select for %ss",
                       mez_pack_kind_name(pack->kind), pack->id, pack->domain, zone->profile->id,
                       mez_pack_kind_name(pack->kind));
}

mez_status_t mez_zone_load(apr_pool_t *p, const char *path, const mez_zone_options_t *opts, mez_zone_t **out,
                           mez_problem_t *pb)
{
    static const mez_zone_options_t none = { 0 };
    mez_pack_options_t popts = { 0 };
    mez_zone_vctx_t c;
    mez_zone_t *zone;
    mez_problem_t pr = { 0 };
    mez_status_t rv;
    first_t first = { MEZ_OK, { 0 } };
    apr_array_header_t *laws;

    *out = NULL;
    if (!opts)
        opts = &none;
    if ((rv = mez_zone_parse(p, path, opts, &zone, pb)) != MEZ_OK)
        return rv;
    mez_zone_vctx_init(&c, p, zone->yaml, "zone", opts);

    /* The profile first: the packs are checked against its selection. */
    rv = mez_profile_load(p, opts->profile_dir, zone->profile_id, opts, &zone->profile, &pr);
    if (rv != MEZ_OK) {
        if (pr.code && !strcmp(pr.code, "profile.not_found")) {
            mez_zone_vfail(&c, "unknown_profile", "/profile", "%s", pr.detail);
            pr = c.problems.first;
        }
        if (pb)
            *pb = pr;
        return rv;
    }
    if (!zone->domains_from_zone)
        zone->compliance_domains = zone->profile->compliance_domains;

    popts.akn_schema = opts->akn_schema;
    popts.problems = opts->problems;
    popts.max_problems = opts->max_problems;
    laws = apr_array_make(p, 4, sizeof(mez_pack_t *));
    for (int i = 0; i < zone->packs->nelts; i++) {
        mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const char *full = apr_pstrcat(p, zone->dir, "/", zp->path, NULL);
        int before = c.problems.count;
        if (!exists(p, full)) {
            mez_zone_vfail(&c, "pack_not_found", zp->pointer, "%s %s does not exist (%s)",
                           mez_pack_kind_name(zp->kind), zp->path, full);
            keep_first(&first, MEZ_EINVAL, &c.problems.first);
            continue;
        }
        /* Pack problems name the pack's own file and line; mez_pack_load collects them in the same list. */
        if ((rv = mez_pack_load(p, full, &popts, &zp->pack, &pr)) != MEZ_OK) {
            keep_first(&first, rv, &pr);
            continue;
        }
        check_pack(&c, zone, zp, i);
        if (c.problems.count > before) {
            keep_first(&first, MEZ_EINVAL, &c.problems.first);
            zp->pack = NULL;  /* not this zone's pack: later checks must not count it */
            continue;
        }
        /* check_pack has made sure the pack's jurisdiction is in the stack. */
        for (int j = 0; j < zone->jurisdiction_stack->nelts; j++)
            if (!strcmp(APR_ARRAY_IDX(zone->jurisdiction_stack, j, const char *), zp->pack->jurisdiction_id))
                zp->layer = j;
        if (zp->pack->kind == MEZ_PACK_LAW)
            *(mez_pack_t **)apr_array_push(laws) = zp->pack;
    }
    /* A rate that cites a section of an act the zone does not load points nowhere; check every citation. */
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (!zp->pack || zp->pack->kind == MEZ_PACK_LAW)
            continue;
        if ((rv = mez_pack_check_law_refs(p, zp->pack, (mez_pack_t *const *)laws->elts, (size_t)laws->nelts, &popts,
                                          &pr)) != MEZ_OK)
            keep_first(&first, rv, &pr);
    }
    /* Composition needs every pack: with one missing, a conflict or an override's rule could be missed. */
    if (first.rv == MEZ_OK) {
        int before = c.problems.count;
        compose(&c, zone);
        if (c.problems.count > before)
            keep_first(&first, MEZ_EINVAL, &c.problems.first);
    }
    if (first.rv != MEZ_OK) {
        if (pb)
            *pb = first.pb;
        return first.rv;
    }
    *out = zone;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ lookups (request path: read-only) */

const mez_zone_pack_t *mez_zone_find_pack(const mez_zone_t *zone, const mez_digest_t *digest)
{
    /* A zone has a handful of packs: a scan in constant-time comparisons is simpler than an index and as fast. */
    for (int i = 0; zone && i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (zp->pack && mez_digest_equal(&zp->pack->digest, digest))
            return zp;
    }
    return NULL;
}

mez_status_t mez_zone_pack_by_digest(apr_pool_t *p, const mez_zone_t *zone, const char *text,
                                     const mez_zone_pack_t **out, mez_problem_t *pb)
{
    mez_digest_t d;
    *out = NULL;
    if (mez_digest_parse(p, text, &d, NULL) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "digest.invalid", NULL,
                           "'%s' is not a digest: packs are named sha256:<64 lowercase hex digits>", text ? text : "");
    if (!(*out = mez_zone_find_pack(zone, &d)))
        return mez_problem(pb, p, MEZ_EINVAL, 404, "pack.not_found", NULL, "this zone has no pack with digest %s",
                           text);
    return MEZ_OK;
}

mez_status_t mez_zone_law(apr_pool_t *p, const mez_zone_t *zone, const char *eid, const char *lawpack_id,
                          const mez_pack_t **lawpack, const mez_akn_section_t **section, mez_problem_t *pb)
{
    const char *names = NULL;
    int found = 0;
    *lawpack = NULL;
    *section = NULL;
    for (int i = 0; zone && eid && i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const mez_akn_section_t *s;
        if (!zp->pack || zp->pack->kind != MEZ_PACK_LAW || !zp->pack->sections
            || (lawpack_id && strcmp(lawpack_id, zp->pack->id)))
            continue;
        if (!(s = apr_hash_get(zp->pack->sections, eid, APR_HASH_KEY_STRING)))
            continue;
        if (!found++) {
            *lawpack = zp->pack;
            *section = s;
            names = zp->pack->id;
        }
        else {
            names = apr_pstrcat(p, names, ", ", zp->pack->id, NULL);
        }
    }
    if (found > 1) {
        *lawpack = NULL;
        *section = NULL;
        return mez_problem(pb, p, MEZ_EINVAL, 409, "law.ambiguous", NULL,
                           "eId %s is in several lawpacks (%s): name one with ?lawpack=", eid, names);
    }
    if (!found) {
        if (lawpack_id)
            return mez_problem(pb, p, MEZ_EINVAL, 404, "law.not_found", NULL,
                               "this zone has no lawpack '%s' with an element %s", lawpack_id, eid ? eid : "");
        return mez_problem(pb, p, MEZ_EINVAL, 404, "law.not_found", NULL,
                           "no lawpack of this zone has an element with eId %s", eid ? eid : "");
    }
    return MEZ_OK;
}

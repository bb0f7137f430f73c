/* zone_validate.c: typed validation of zone.yaml and profile files with the rules of schemas/zone.schema.json
 * and schemas/profile.schema.json, written out per field (no schema engine), each problem at its file and line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/deadline.h"
#include "mez/json.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "zone_int.h"

/* ------------------------------------------------------------------ collecting problems */

void mez_zone_vctx_init(mez_zone_vctx_t *c, apr_pool_t *p, const mez_yaml_doc_t *doc, const char *area,
                        const mez_zone_options_t *opts)
{
    memset(c, 0, sizeof(*c));
    c->p = p;
    c->doc = doc;
    c->area = area;
    c->opts = opts;
    mez_problem_list_init(&c->problems, opts ? opts->problems : NULL, opts ? opts->max_problems : 0);
}

void mez_zone_note(const mez_zone_options_t *opts, const mez_problem_t *pr)
{
    if (opts)
        mez_problem_keep(opts->problems, opts->max_problems, pr);
}

void mez_zone_vfail(mez_zone_vctx_t *c, const char *what, const char *pointer, const char *fmt, ...)
{
    mez_problem_t pr = { 0 };
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    mez_yaml_problem(&pr, c->p, c->doc, apr_pstrcat(c->p, c->area, ".", what, NULL), pointer, "%s", msg);
    mez_problem_list_add(&c->problems, &pr);
}

mez_status_t mez_zone_vresult(const mez_zone_vctx_t *c, mez_problem_t *pb)
{
    return mez_problem_list_result(&c->problems, pb);
}

/* ------------------------------------------------------------------ field checks */

/* Schemas' $defs/id: ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ */
int mez_zone_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static int in_list(const char *const *list, const char *key)
{
    for (; list && *list; list++)
        if (!strcmp(*list, key))
            return 1;
    return 0;
}

/* Refuses members not in allowed and reports each required one that is missing (at the object itself). */
static void members(mez_zone_vctx_t *c, const json_t *obj, const char *ptr, const char *what,
                    const char *const *allowed, const char *const *required)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!in_list(allowed, key))
            mez_zone_vfail(c, "unknown_key", mez_pointer_join(c->p, ptr, key), "unknown key '%s' in %s", key, what);
    }
    for (; required && *required; required++)
        if (!json_object_get(obj, *required))
            mez_zone_vfail(c, "missing_field", ptr, "%s needs '%s'", what, *required);
}

/* A member that must be a string (non-empty when nonempty); NULL when absent or wrong (reported). */
static const char *string_member(mez_zone_vctx_t *c, const json_t *obj, const char *ptr, const char *name,
                                 int nonempty)
{
    const json_t *v = json_object_get(obj, name);
    const char *mp = mez_pointer_join(c->p, ptr, name);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        mez_zone_vfail(c, "invalid_type", mp, "'%s' must be a string, not %s", name, mez_json_kind(v));
        return NULL;
    }
    if (nonempty && json_string_length(v) == 0) {
        mez_zone_vfail(c, "invalid_value", mp, "'%s' must not be empty", name);
        return NULL;
    }
    return json_string_value(v);
}

static const char *id_member(mez_zone_vctx_t *c, const json_t *obj, const char *ptr, const char *name)
{
    const char *s = string_member(c, obj, ptr, name, 0);
    if (s && !mez_zone_id_ok(s)) {
        mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ptr, name),
                       "'%s' is not an id (a-z, 0-9 and '-', at most 63, not starting or ending with '-')", s);
        return NULL;
    }
    return s;
}

static void format_member(mez_zone_vctx_t *c, const json_t *obj, const char *format)
{
    const char *s = string_member(c, obj, "", "format", 0);
    if (s && strcmp(s, format))
        mez_zone_vfail(c, "invalid_value", "/format", "format is '%s', expected '%s'", s, format);
}

typedef enum { ITEM_STRING, ITEM_ID, ITEM_DOMAIN, ITEM_MODULE, ITEM_PATH } item_kind_t;

/* ^[a-z]+(\.[a-z]+)?$ : a module, or a module's part ("mass.treasury"). */
static int module_ok(const char *s)
{
    int dots = 0, run = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (!run || dots++)
                return 0;
            run = 0;
        }
        else if (*s >= 'a' && *s <= 'z') {
            run++;
        }
        else {
            return 0;
        }
    }
    return run > 0;
}

/* A list member of unique strings of one kind; min_items 1 refuses an empty list. Returns the valid items
 * (const char *), or NULL when the member is absent or not a list. */
static apr_array_header_t *list_member(mez_zone_vctx_t *c, const json_t *obj, const char *ptr, const char *name,
                                       item_kind_t kind, int min_items)
{
    const json_t *v = json_object_get(obj, name), *item;
    const char *lp = mez_pointer_join(c->p, ptr, name);
    apr_array_header_t *out;
    size_t i;
    if (!v)
        return NULL;
    if (!json_is_array(v)) {
        mez_zone_vfail(c, "invalid_type", lp, "'%s' must be a list, not %s", name, mez_json_kind(v));
        return NULL;
    }
    if (min_items && json_array_size(v) == 0)
        mez_zone_vfail(c, "invalid_value", lp, "'%s' must not be empty", name);
    out = apr_array_make(c->p, (int)json_array_size(v) + 1, sizeof(const char *));
    json_array_foreach(v, i, item) {
        const char *ip = mez_pointer_index(c->p, lp, i), *s;
        int dup = 0;
        if (!json_is_string(item)) {
            mez_zone_vfail(c, "invalid_type", ip, "each entry of '%s' must be a string, not %s", name,
                           mez_json_kind(item));
            continue;
        }
        s = json_string_value(item);
        for (size_t j = 0; j < i && !dup; j++) {
            const json_t *o = json_array_get(v, j);
            dup = json_is_string(o) && json_equal((json_t *)o, (json_t *)item);
        }
        if (dup) {
            mez_zone_vfail(c, "duplicate_value", ip, "'%s' is listed twice in '%s'", s, name);
            continue;
        }
        switch (kind) {
        case ITEM_STRING:
            if (!*s) {
                mez_zone_vfail(c, "invalid_value", ip, "an entry of '%s' is empty", name);
                continue;
            }
            break;
        case ITEM_ID:
            if (!mez_zone_id_ok(s)) {
                mez_zone_vfail(c, "invalid_value", ip, "'%s' is not an id (a-z, 0-9 and '-')", s);
                continue;
            }
            break;
        case ITEM_DOMAIN:
            if (!mez_pack_domain_known(s)) {
                mez_zone_vfail(c, "unknown_domain", ip, "'%s' is not a compliance domain of the tensor", s);
                continue;
            }
            break;
        case ITEM_MODULE:
            if (!module_ok(s)) {
                mez_zone_vfail(c, "invalid_value", ip, "'%s' is not a module name (a-z, optionally '.part')", s);
                continue;
            }
            break;
        case ITEM_PATH:
            /* Paths are joined under the zone directory: one that could leave it would let a zone file pull in
             * anything on the machine. */
            if (!mez_pack_path_ok(s)) {
                mez_zone_vfail(c, "invalid_path", ip,
                               "'%s' must be a relative path inside the zone directory (no '..', '.', '//' or '\\')",
                               s);
                continue;
            }
            break;
        }
        *(const char **)apr_array_push(out) = s;
    }
    return out;
}

static int object_member(mez_zone_vctx_t *c, const json_t *obj, const char *ptr, const char *name,
                         const json_t **out)
{
    const json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_object(v)) {
        mez_zone_vfail(c, "invalid_type", mez_pointer_join(c->p, ptr, name), "'%s' must be a mapping, not %s", name,
                       mez_json_kind(v));
        return 0;
    }
    *out = v;
    return 1;
}

static int root_is_object(mez_zone_vctx_t *c, const char *what)
{
    if (!json_is_object(c->doc->root)) {
        mez_zone_vfail(c, "invalid_type", "", "%s must be a mapping, not %s", what, mez_json_kind(c->doc->root));
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ zone.yaml */

static const char *const zone_keys[] = { "format", "zone_id", "zone_name", "jurisdiction_id", "timezone",
                                         "tax_year_start", "weekend", "public_holidays", "jurisdiction_stack", "profile", "compliance_domains",
                                         "packs", "sanctions_imports", "lockfile", "overrides", NULL };
static const char *const zone_required[] = { "format", "zone_id", "zone_name", "jurisdiction_id", "profile", "packs",
                                             NULL };
static const char *const pack_lists[] = { "lawpacks", "regpacks", "licensepacks", NULL };

static void sanctions_imports(mez_zone_vctx_t *c, const json_t *root)
{
    static const char *const keys[] = { "list", "format", "description", NULL };
    static const char *const required[] = { "list", "format", NULL };
    const json_t *v = json_object_get(root, "sanctions_imports"), *item;
    size_t i;
    if (!v)
        return;
    if (!json_is_array(v)) {
        mez_zone_vfail(c, "invalid_type", "/sanctions_imports", "'sanctions_imports' must be a list, not %s",
                       mez_json_kind(v));
        return;
    }
    json_array_foreach(v, i, item) {
        const char *ip = mez_pointer_index(c->p, "/sanctions_imports", i), *format;
        if (!json_is_object(item)) {
            mez_zone_vfail(c, "invalid_type", ip, "a sanctions import must be a mapping, not %s", mez_json_kind(item));
            continue;
        }
        members(c, item, ip, "a sanctions import", keys, required);
        string_member(c, item, ip, "list", 0);
        string_member(c, item, ip, "description", 0);
        format = string_member(c, item, ip, "format", 0);
        /* The only official list format mez imports so far; another needs its own importer first. */
        if (format && strcmp(format, "un-consolidated-xml"))
            mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ip, "format"),
                           "'%s' is not a sanctions list format mez imports (un-consolidated-xml)", format);
    }
}

/* timezone: the shape of an IANA name only; whether the zone exists is known when its file is read (zone_load.c). */
static void timezone_member(mez_zone_vctx_t *c, const json_t *root)
{
    const char *tz = string_member(c, root, "", "timezone", 1);
    if (tz && !mez_tz_name_ok(tz))
        mez_zone_vfail(c, "invalid_value", "/timezone",
                       "'%s' is not an IANA time zone name (Area/Location, such as Asia/Karachi)", tz);
}

/* tax_year_start: "MM-DD", a day every year has (not 29 February). */
static void tax_year_start_member(mez_zone_vctx_t *c, const json_t *root)
{
    const char *s = string_member(c, root, "", "tax_year_start", 1);
    int m, d;
    if (s && !mez_deadline_year_start(s, &m, &d))
        mez_zone_vfail(c, "invalid_value", "/tax_year_start",
                       "'%s' is not a day of the year MM-DD (07-01), nor 29 February", s);
}

/* weekend: the days of the week that are not business days, by lower-case English name, each once, at least one
 * and not all seven (a week with no business day would never end a period of business days). */
static void weekend_member(mez_zone_vctx_t *c, const json_t *root)
{
    const json_t *v = json_object_get(root, "weekend"), *item;
    unsigned seen = 0;
    size_t i;
    if (!v)
        return;
    if (!json_is_array(v)) {
        mez_zone_vfail(c, "invalid_type", "/weekend", "'weekend' must be a list of days (saturday, sunday), not %s",
                       mez_json_kind(v));
        return;
    }
    if (json_array_size(v) == 0 || json_array_size(v) > 6) {
        mez_zone_vfail(c, "invalid_value", "/weekend",
                       "'weekend' names at least one day of the week and at most six (leave it out for saturday "
                       "and sunday)");
        return;
    }
    json_array_foreach(v, i, item) {
        const char *ip = mez_pointer_index(c->p, "/weekend", i);
        int day = json_is_string(item) ? mez_weekday_parse(json_string_value(item)) : 0;
        if (!json_is_string(item))
            mez_zone_vfail(c, "invalid_type", ip, "a day of the weekend is a string, not %s", mez_json_kind(item));
        else if (!day)
            mez_zone_vfail(c, "invalid_value", ip, "'%s' is not a day of the week (monday .. sunday, lower case)",
                           json_string_value(item));
        else if (seen & MEZ_WEEKDAY_BIT(day))
            mez_zone_vfail(c, "duplicate_value", ip, "'%s' is named twice", json_string_value(item));
        else
            seen |= MEZ_WEEKDAY_BIT(day);
    }
}

/* A date member "YYYY-MM-DD" of a public_holidays mapping: 1 and *day, else 0 (reported when present). */
static int day_member(mez_zone_vctx_t *c, const json_t *obj, const char *ptr, const char *name, int64_t *day)
{
    const char *s = string_member(c, obj, ptr, name, 0);
    if (s && !mez_deadline_day_parse(s, day)) {
        mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ptr, name),
                       "'%s' is not a date YYYY-MM-DD (2026-12-25)", s);
        return 0;
    }
    return s != NULL;
}

/* public_holidays: the days the zone's government closes its offices on besides the weekend, as its notifications
 * declare them, and the stretch of days the list is complete for (complete_from .. complete_through): a holiday
 * fixed by the sighting of the moon is known only once it is notified, so the operator says how far the list can be
 * relied on, and a count of business days beyond it says it may be early. Every day lies within the stretch and is
 * listed once; a day may fall on the weekend (it then changes no count). */
static void public_holidays_member(mez_zone_vctx_t *c, const json_t *root)
{
    static const char *const keys[] = { "complete_from", "complete_through", "days", NULL };
    static const char *const day_keys[] = { "date", "name", NULL };
    const json_t *v, *days, *item;
    int64_t from = 0, through = 0;
    int window;
    apr_hash_t *seen = apr_hash_make(c->p);
    size_t i;

    if (!object_member(c, root, "", "public_holidays", &v))
        return;
    members(c, v, "/public_holidays", "'public_holidays'", keys, keys);
    window = day_member(c, v, "/public_holidays", "complete_from", &from)
             & day_member(c, v, "/public_holidays", "complete_through", &through);
    if (window && through < from) {
        mez_zone_vfail(c, "invalid_value", "/public_holidays/complete_through",
                       "'complete_through' is before 'complete_from': the list is complete for no day");
        window = 0;
    }
    if (!(days = json_object_get(v, "days")))
        return;
    if (!json_is_array(days)) {
        mez_zone_vfail(c, "invalid_type", "/public_holidays/days",
                       "'days' must be a list of {date, name}, not %s", mez_json_kind(days));
        return;
    }
    json_array_foreach(days, i, item) {
        const char *ip = mez_pointer_index(c->p, "/public_holidays/days", i), *date;
        int64_t day;
        if (!json_is_object(item)) {
            mez_zone_vfail(c, "invalid_type", ip, "a public holiday must be a mapping {date, name}, not %s",
                           mez_json_kind(item));
            continue;
        }
        members(c, item, ip, "a public holiday", day_keys, day_keys);
        string_member(c, item, ip, "name", 1);
        if (!day_member(c, item, ip, "date", &day))
            continue;
        date = json_string_value(json_object_get(item, "date"));
        if (window && (day < from || day > through))
            mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ip, "date"),
                           "%s is outside complete_from .. complete_through, the days the list is complete for", date);
        else if (apr_hash_get(seen, date, APR_HASH_KEY_STRING))
            mez_zone_vfail(c, "duplicate_value", mez_pointer_join(c->p, ip, "date"), "%s is listed twice", date);
        else
            apr_hash_set(seen, date, APR_HASH_KEY_STRING, date);
    }
}

typedef struct holiday_t {
    int64_t day;
    const char *name;
} holiday_t;

static int holiday_cmp(const void *a, const void *b)
{
    int64_t x = ((const holiday_t *)a)->day, y = ((const holiday_t *)b)->day;
    return x < y ? -1 : x > y;
}

const mez_holidays_t *mez_zone_holidays_of(apr_pool_t *p, const json_t *model)
{
    const json_t *v = json_object_get(model, "public_holidays"), *item;
    mez_holidays_t *h;
    holiday_t *list;
    int64_t *days;
    const char **names;
    size_t i, n;

    if (!json_is_object(v))
        return NULL;
    h = apr_pcalloc(p, sizeof(*h));
    if (!mez_deadline_day_parse(json_string_value(json_object_get(v, "complete_from")), &h->from_day)
        || !mez_deadline_day_parse(json_string_value(json_object_get(v, "complete_through")), &h->through_day))
        return NULL;
    n = json_array_size(json_object_get(v, "days"));
    list = apr_pcalloc(p, (n + 1) * sizeof(*list));
    json_array_foreach(json_object_get(v, "days"), i, item) {
        mez_deadline_day_parse(json_string_value(json_object_get(item, "date")), &list[i].day);
        list[i].name = apr_pstrdup(p, json_string_value(json_object_get(item, "name")));
    }
    /* In order of their days, each with its name: a count searches the days in order. */
    qsort(list, n, sizeof(*list), holiday_cmp);
    days = apr_pcalloc(p, (n + 1) * sizeof(*days));
    names = apr_pcalloc(p, (n + 1) * sizeof(*names));
    for (i = 0; i < n; i++) {
        days[i] = list[i].day;
        names[i] = list[i].name;
    }
    h->days = days;
    h->names = names;
    h->n = n;
    return h;
}

unsigned mez_zone_weekend_of(const json_t *model)
{
    const json_t *v = json_object_get(model, "weekend"), *item;
    unsigned mask = 0;
    size_t i;
    json_array_foreach(v, i, item)
        if (json_is_string(item) && mez_weekday_parse(json_string_value(item)))
            mask |= MEZ_WEEKDAY_BIT(mez_weekday_parse(json_string_value(item)));
    return mez_weekend_effective(mask);
}

/* "<pack id>/<row id>": a pack id ([a-z0-9][a-z0-9-]*), then a row id ([a-z0-9][a-z0-9._-]*, licence types
 * "<regulator>:<slug>"), as packs/README.md defines them; neither can hold a '/', so the name splits once. */
int mez_zone_rule_name_ok(const char *s)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    size_t n;
    if (!slash || slash == s || slash - s > 128 || !slash[1] || strlen(slash + 1) > 257)
        return 0;
    for (const char *c = s; c < slash; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || (*c == '-' && c > s)))
            return 0;
    n = strlen(slash + 1);
    for (size_t i = 0; i < n; i++) {
        char ch = slash[1 + i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (i > 0 && strchr("._-:", ch))))
            return 0;
    }
    return 1;
}

/* overrides: [{rule, replaces, reason}]: the shape only; whether the rules exist and are in conflict is known
 * once the packs are loaded (mez_zone_load). */
static void overrides(mez_zone_vctx_t *c, const json_t *root)
{
    static const char *const keys[] = { "rule", "replaces", "reason", NULL };
    const json_t *v = json_object_get(root, "overrides"), *item;
    size_t i;
    if (!v)
        return;
    if (!json_is_array(v)) {
        mez_zone_vfail(c, "invalid_type", "/overrides", "'overrides' must be a list, not %s", mez_json_kind(v));
        return;
    }
    /* An empty list resolves nothing and says nothing: leave the key out. */
    if (json_array_size(v) == 0)
        mez_zone_vfail(c, "invalid_value", "/overrides", "'overrides' must not be empty");
    json_array_foreach(v, i, item) {
        const char *ip = mez_pointer_index(c->p, "/overrides", i), *rule, *replaces;
        if (!json_is_object(item)) {
            mez_zone_vfail(c, "invalid_type", ip, "an override must be a mapping, not %s", mez_json_kind(item));
            continue;
        }
        members(c, item, ip, "an override", keys, keys);
        rule = string_member(c, item, ip, "rule", 1);
        replaces = string_member(c, item, ip, "replaces", 1);
        string_member(c, item, ip, "reason", 1);
        if (rule && !mez_zone_rule_name_ok(rule)) {
            mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ip, "rule"),
                           "'%s' is not a rule name: <pack id>/<row id>", rule);
            rule = NULL;
        }
        if (replaces && !mez_zone_rule_name_ok(replaces)) {
            mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ip, "replaces"),
                           "'%s' is not a rule name: <pack id>/<row id>", replaces);
            replaces = NULL;
        }
        if (rule && replaces && !strcmp(rule, replaces)) {
            mez_zone_vfail(c, "invalid_value", mez_pointer_join(c->p, ip, "replaces"),
                           "a rule cannot replace itself ('%s')", rule);
            continue;
        }
        /* One conflict, one override: a second entry for the same pair could only disagree on the reason. */
        for (size_t j = 0; rule && replaces && j < i; j++) {
            const json_t *o = json_array_get(v, j);
            const char *orule = json_string_value(json_object_get(o, "rule"));
            const char *orepl = json_string_value(json_object_get(o, "replaces"));
            if (orule && orepl && !strcmp(orule, rule) && !strcmp(orepl, replaces)) {
                mez_zone_vfail(c, "duplicate_value", ip, "the override of '%s' by '%s' is listed twice", replaces,
                               rule);
                break;
            }
        }
    }
}

/* `mez lock` writes the lock over whatever file the lockfile names: it must not be the zone file itself, one of
 * its packs, or inside a lawpack's directory (whose files the lawpack's digest covers, so the lock would change
 * the digest it pins). */
static void lockfile_apart(mez_zone_vctx_t *c, const char *lockfile, const json_t *packs)
{
    const char *zone_file = c->doc && c->doc->name ? strrchr(c->doc->name, '/') : NULL;
    zone_file = zone_file ? zone_file + 1 : c->doc ? c->doc->name : NULL;
    if (zone_file && !strcmp(lockfile, zone_file)) {
        mez_zone_vfail(c, "invalid_path", "/lockfile", "'%s' is the zone file itself: the lock would overwrite it",
                       lockfile);
        return;
    }
    for (int k = 0; pack_lists[k]; k++) {
        const json_t *list = json_object_get(packs, pack_lists[k]), *item;
        size_t i;
        json_array_foreach(list, i, item) {
            const char *path = json_string_value(item);
            size_t n = path ? strlen(path) : 0;
            if (!path)
                continue;
            if (!strcmp(lockfile, path) || (k == 0 && !strncmp(lockfile, path, n) && lockfile[n] == '/')) {
                mez_zone_vfail(c, "invalid_path", "/lockfile", "'%s' is %s/packs/%s/%d: the lock would %s",
                               lockfile, strcmp(lockfile, path) ? "inside the lawpack " : "the pack ", pack_lists[k],
                               (int)i, strcmp(lockfile, path) ? "change the files its digest covers"
                                                              : "overwrite it");
                return;
            }
        }
    }
}

mez_status_t mez_zone_validate(apr_pool_t *p, const mez_yaml_doc_t *doc, const mez_zone_options_t *opts,
                               mez_problem_t *pb)
{
    mez_zone_vctx_t c;
    const json_t *root = doc->root, *packs = NULL;
    const char *jid, *lockfile;
    apr_array_header_t *stack;

    mez_zone_vctx_init(&c, p, doc, "zone", opts);
    if (!root_is_object(&c, "a zone file"))
        return mez_zone_vresult(&c, pb);
    members(&c, root, "", "a zone", zone_keys, zone_required);
    format_member(&c, root, MEZ_ZONE_FORMAT);
    id_member(&c, root, "", "zone_id");
    string_member(&c, root, "", "zone_name", 1);
    jid = id_member(&c, root, "", "jurisdiction_id");
    timezone_member(&c, root);
    tax_year_start_member(&c, root);
    weekend_member(&c, root);
    public_holidays_member(&c, root);
    stack = list_member(&c, root, "", "jurisdiction_stack", ITEM_ID, 1);
    id_member(&c, root, "", "profile");
    list_member(&c, root, "", "compliance_domains", ITEM_DOMAIN, 1);
    if (object_member(&c, root, "", "packs", &packs)) {
        members(&c, packs, "/packs", "'packs'", pack_lists, NULL);
        for (int i = 0; pack_lists[i]; i++)
            list_member(&c, packs, "/packs", pack_lists[i], ITEM_PATH, 0);
    }
    sanctions_imports(&c, root);
    overrides(&c, root);
    lockfile = string_member(&c, root, "", "lockfile", 1);
    if (lockfile && !mez_pack_path_ok(lockfile))
        mez_zone_vfail(&c, "invalid_path", "/lockfile",
                       "'%s' must be a relative path inside the zone directory (no '..', '.', '//' or '\\')",
                       lockfile);
    else if (lockfile)
        lockfile_apart(&c, lockfile, packs);
    /* The stack names the layers of law the zone's packs come from; the zone's own jurisdiction is one. */
    if (jid && stack && stack->nelts) {
        int found = 0;
        for (int i = 0; i < stack->nelts && !found; i++)
            found = !strcmp(APR_ARRAY_IDX(stack, i, const char *), jid);
        if (!found)
            mez_zone_vfail(&c, "jurisdiction_not_in_stack", "/jurisdiction_stack",
                           "the zone's jurisdiction '%s' is not in its jurisdiction_stack", jid);
    }
    return mez_zone_vresult(&c, pb);
}

/* ------------------------------------------------------------------ profiles */

static const char *const profile_keys[] = { "format", "id", "name", "description", "compliance_domains",
                                            "pack_domains", "modules", NULL };

mez_status_t mez_profile_validate(apr_pool_t *p, const mez_yaml_doc_t *doc, const mez_zone_options_t *opts,
                                  mez_problem_t *pb)
{
    mez_zone_vctx_t c;
    const json_t *root = doc->root, *pd;

    mez_zone_vctx_init(&c, p, doc, "profile", opts);
    if (!root_is_object(&c, "a profile"))
        return mez_zone_vresult(&c, pb);
    /* Every member is required: a profile is small, and a missing selection would silently mean "none". */
    members(&c, root, "", "a profile", profile_keys, profile_keys);
    format_member(&c, root, MEZ_PROFILE_FORMAT);
    id_member(&c, root, "", "id");
    string_member(&c, root, "", "name", 1);
    string_member(&c, root, "", "description", 1);
    list_member(&c, root, "", "compliance_domains", ITEM_DOMAIN, 1);
    if (object_member(&c, root, "", "pack_domains", &pd)) {
        members(&c, pd, "/pack_domains", "'pack_domains'", pack_lists, pack_lists);
        for (int i = 0; pack_lists[i]; i++)
            list_member(&c, pd, "/pack_domains", pack_lists[i], ITEM_DOMAIN, 0);
    }
    list_member(&c, root, "", "modules", ITEM_MODULE, 0);
    return mez_zone_vresult(&c, pb);
}

/* Reads a list the validation above has accepted (every item a string). */
apr_array_header_t *mez_zone_strings(apr_pool_t *p, const json_t *list)
{
    apr_array_header_t *out = apr_array_make(p, (int)json_array_size(list) + 1, sizeof(const char *));
    const json_t *item;
    size_t i;
    json_array_foreach(list, i, item)
        *(const char **)apr_array_push(out) = json_string_value(item);
    return out;
}

/* mass_identity.c: the sovereign Mass store's identity primitive: a real registry of natural persons, their
 * national identifiers, verifications and roles in entities (not a facade over other services), answering the
 * identity contract (../shared/schemas/mass/apis/identity.openapi.yaml) from it.
 *
 *   POST /v1/identity/persons                {full_name, date_of_birth?, nationality?, identifiers?: [{scheme,
 *        value, issuing_country?}]} -> 201 Person {person_id "per_"+64 hex, ..., verification_status
 *        "unverified", verifications[], bindings[]}. Schemes and their normalised forms:
 *          cnic         Pakistan, 13 digits (dashes 5-7-1 allowed), stored as 13 digits
 *          ntn          Pakistan, 7 digits with an optional "-d" check digit; the 7 digits identify
 *          passport     5-20 letters/digits (upper-cased), issuing_country required: a number is unique per issuer
 *          emirates_id  UAE, 784-YYYY-NNNNNNN-C (dashes optional), C the Luhn check digit over all 15 digits
 *                       (784 the ISO 3166 numeric code of the UAE; the layout and Luhn as the ICP's card
 *                       documents and the public identifier references describe them; checked in the tests
 *                       against the specimen number 784-1968-6570305-0 and published test vectors)
 *          iin          Kazakhstan, 12 digits: YYMMDD, century/sex digit, serial, mod-11 check digit as fixed by
 *                       Resolution of the Government of the Republic of Kazakhstan No. 565 of 11 June 2003 (also
 *                       the OECD's "Kazakhstan - Information on Tax Identification Numbers"); checked in the tests
 *                       against the published example 061211600012, which needs the second weights
 *        National schemes imply their issuing_country (a different one is 422 "identity.issuing_country_mismatch").
 *        A malformed value is 422 "identity.invalid_identifier". An identifier belongs to one person of a zone: a
 *        second claim in the zone is 409 "identity.identifier_taken" (the identifier table's primary key decides,
 *        on any node).
 *   GET  /v1/identity/persons/{id}           Person.
 *   POST /v1/identity/persons/{id}/verifications   {method: document|registry|biometric|in_person,
 *        result: verified|rejected, evidence: {type, digest "sha256:"+64 hex, issuer?}, verifier?} -> 201
 *        verification record; the person's verification_status becomes the latest result; every one is kept.
 *   POST /v1/identity/bindings               {person_id, entity_id, role: director|secretary|shareholder|
 *        beneficial_owner|authorised_signatory} -> 201 binding; both must exist (422 "identity.unknown_person",
 *        "identity.unknown_entity"), the entity must be live (409 "identity.entity_not_live"), and a binding
 *        exists once (409 "identity.binding_exists").
 *   POST /v1/identity/cnic/verify, /v1/identity/ntn/verify   answered from this registry: verified only when a
 *        person holds the identifier, is verified, and the name given matches theirs after case and space
 *        folding. The answer says which: registration_status (not_registered | unverified | rejected |
 *        verified — an extension member on the NTN answer, whose contract lacks it) and name_match (when a name
 *        was given). source is "mez_identity_registry". Nothing is written.
 *   GET  /v1/identity/entity/{entity_id}     EntityIdentityResponse: one verifications[] item per identifier of
 *        each person bound to the entity, plus the extension member persons[] {person_id, full_name, roles[],
 *        verification_status, identifiers[]}, which the contract's shape cannot carry.
 *   GET  /v1/identity/status                 IdentityServiceStatus: this zone's own registry, available.
 * A store several zones share keeps a registry per zone (mass_int.h: zones): a caller acting for one zone registers
 * persons stamped with it, and reads, verifies, binds and looks up its zone's persons only (another zone's person is
 * 404 "mass.not_found", or 422 "identity.unknown_person" where a body names it, as an unknown id is; an identifier
 * held only in another zone's registry is not_registered). An identifier is one person's within a zone: another
 * zone may register the same one (migration 0025). */
#include <string.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mass_registry.h"

#define SOURCE "mez_identity_registry"
#define NAME_MAX_CHARS 300
#define IDENTIFIERS_MAX 20

static const char *const methods[] = { "document", "registry", "biometric", "in_person", NULL };
static const char *const results[] = { "verified", "rejected", NULL };
static const char *const binding_roles[] = { "director", "secretary", "shareholder", "beneficial_owner",
                                             "authorised_signatory", NULL };
static const char *const schemes[] = { "cnic", "ntn", "passport", "emirates_id", "iin", NULL };

static json_t *own(mez_mass_call_t *c, json_t *v)
{
    return mez_json_pool_own(c->p, v);
}

static const char *now_stamp(mez_mass_call_t *c)
{
    return mez_time_stamp(c->p, c->ctx->now);
}

/* ---------------------------------------------------------------- identifier schemes */

/* The digits of s, if s is exactly digits interleaved with dashes at the given positions (NULL-terminated list
 * of group lengths) or the bare digits; NULL otherwise. */
static const char *digits_grouped(apr_pool_t *p, const char *s, const int *groups)
{
    size_t total = 0, n = strlen(s);
    char *out;
    int i = 0, plain = 1;
    for (const int *g = groups; *g; g++)
        total += (size_t)*g;
    for (size_t k = 0; k < n; k++)
        plain &= s[k] >= '0' && s[k] <= '9';
    if (plain)
        return n == total ? s : NULL;
    out = apr_palloc(p, total + 1);
    for (const int *g = groups; *g; g++) {
        for (int k = 0; k < *g; k++, s++) {
            if (*s < '0' || *s > '9')
                return NULL;
            out[i++] = *s;
        }
        if (g[1] && *s++ != '-')
            return NULL;
    }
    out[i] = '\0';
    return *s ? NULL : out;
}

static int luhn_ok(const char *d)
{
    int sum = 0, n = (int)strlen(d);
    for (int i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* Kazakhstan's IIN: weights 1..11, and when that gives 10 the second weights 3..11,1,2; 10 again is invalid. */
static int iin_ok(const char *d)
{
    static const int w2[] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 };
    int mm = (d[2] - '0') * 10 + (d[3] - '0'), dd = (d[4] - '0') * 10 + (d[5] - '0'), sum = 0, check;
    if (mm < 1 || mm > 12 || dd < 1 || dd > 31 || d[6] > '6')
        return 0;
    for (int i = 0; i < 11; i++)
        sum += (d[i] - '0') * (i + 1);
    check = sum % 11;
    if (check == 10) {
        sum = 0;
        for (int i = 0; i < 11; i++)
            sum += (d[i] - '0') * w2[i];
        check = sum % 11;
        if (check == 10)
            return 0;
    }
    return check == d[11] - '0';
}

typedef struct ident_t {
    const char *scheme, *country, *value, *match_key;
} ident_t;

/* Normalises an identifier; 0 with *why set when the value is not one of its scheme. */
static int normalise(apr_pool_t *p, ident_t *id, const char **why)
{
    static const int cnic_groups[] = { 5, 7, 1, 0 }, emirates_groups[] = { 3, 4, 7, 1, 0 }, iin_groups[] = { 12, 0 };
    const char *v = id->value, *d;
    if (!strcmp(id->scheme, "cnic")) {
        *why = "a CNIC is 13 digits, written plain or as NNNNN-NNNNNNN-N";
        if (!(d = digits_grouped(p, v, cnic_groups)) || d[0] == '0')
            return 0;
        id->value = id->match_key = d;
    } else if (!strcmp(id->scheme, "ntn")) {
        size_t n = strlen(v);
        *why = "an NTN is 7 digits with an optional check digit, as NNNNNNN or NNNNNNN-N";
        if ((n != 7 && n != 9) || (n == 9 && (v[7] != '-' || v[8] < '0' || v[8] > '9')))
            return 0;
        for (int i = 0; i < 7; i++)
            if (v[i] < '0' || v[i] > '9')
                return 0;
        id->match_key = apr_pstrndup(p, v, 7);
    } else if (!strcmp(id->scheme, "passport")) {
        char *u = apr_pstrdup(p, v);
        size_t n = strlen(u);
        *why = "a passport number is 5 to 20 letters and digits";
        if (n < 5 || n > 20)
            return 0;
        for (char *q = u; *q; q++) {
            if (*q >= 'a' && *q <= 'z')
                *q = (char)(*q - 'a' + 'A');
            if (!((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
                return 0;
        }
        id->value = id->match_key = u;
    } else if (!strcmp(id->scheme, "emirates_id")) {
        *why = "an Emirates ID is 784-YYYY-NNNNNNN-C with a valid check digit";
        if (!(d = digits_grouped(p, v, emirates_groups)) || strncmp(d, "784", 3) || !luhn_ok(d))
            return 0;
        id->match_key = d;
        id->value = apr_psprintf(p, "%.3s-%.4s-%.7s-%.1s", d, d + 3, d + 7, d + 14);
    } else {
        *why = "an IIN is 12 digits (YYMMDD, century digit, serial, check digit) with a valid check digit";
        if (!(d = digits_grouped(p, v, iin_groups)) || !iin_ok(d))
            return 0;
        id->value = id->match_key = d;
    }
    return 1;
}

static const char *implied_country(const char *scheme)
{
    if (!strcmp(scheme, "cnic") || !strcmp(scheme, "ntn"))
        return "PK";
    if (!strcmp(scheme, "emirates_id"))
        return "AE";
    if (!strcmp(scheme, "iin"))
        return "KZ";
    return NULL;
}

static int get_identifier(mez_mass_call_t *c, const json_t *v, const char *at, ident_t *id)
{
    static const char *const allowed[] = { "scheme", "value", "issuing_country", NULL };
    const char *implied, *why = "";
    memset(id, 0, sizeof(*id));
    if (!mez_mass_check_object(c, v, at, allowed)
        || !mez_mass_get_enum(c, v, at, "scheme", MEZ_MASS_REQUIRED, schemes, &id->scheme)
        || !mez_mass_get_text(c, v, at, "value", MEZ_MASS_REQUIRED, 40, &id->value)
        || !mez_mass_get_code(c, v, at, "issuing_country", MEZ_MASS_OPTIONAL, 2, &id->country))
        return 0;
    implied = implied_country(id->scheme);
    if (implied && id->country && strcmp(implied, id->country)) {
        mez_mass_refuse(c, 422, "identity.issuing_country_mismatch", mez_pointer_join(c->p, at, "issuing_country"),
                        "a %s is issued by %s, not %s", id->scheme, implied, id->country);
        return 0;
    }
    if (!implied && !id->country) {
        mez_mass_refuse(c, 422, "request.missing_field", mez_pointer_join(c->p, at, "issuing_country"),
                        "a %s number is unique only with its issuing_country", id->scheme);
        return 0;
    }
    if (implied)
        id->country = implied;
    if (!normalise(c->p, id, &why)) {
        mez_mass_refuse(c, 422, "identity.invalid_identifier", mez_pointer_join(c->p, at, "value"),
                        "'%s' is not a valid %s: %s", id->value, id->scheme, why);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- persons: shared lookups */

mez_status_t mez_mass_person_find(mez_mass_call_t *c, const char *person_id, mez_mass_person_info_t *out, int *found)
{
    const char *cols[4], *ver[2];
    int vfound;
    mez_status_t rv = mez_db_query_row(c->p, c->db, cols, 4, found,
                                       "SELECT person_id, full_name, verification_status, zone_id FROM "
                                       "mez_mass_person WHERE person_id = %s", c->pb, person_id, NULL);
    if (rv != MEZ_OK || !*found)
        return rv;
    if (!mez_mass_zone_visible(c, cols[3])) {   /* another zone's person: not in this caller's registry */
        *found = 0;
        return MEZ_OK;
    }
    memset(out, 0, sizeof(*out));
    out->person_id = cols[0];
    out->full_name = cols[1];
    out->verification_status = cols[2];
    if ((rv = mez_db_query_row(c->p, c->db, ver, 2, &vfound,
                               "SELECT verified_at, method FROM mez_mass_person_verification WHERE person_id = %s "
                               "ORDER BY seq DESC LIMIT 1", c->pb, person_id, NULL)) != MEZ_OK)
        return rv;
    if (vfound) {
        out->verified_at = ver[0];
        out->verification_method = ver[1];
    }
    return MEZ_OK;
}

mez_status_t mez_mass_identity_ref(mez_mass_call_t *c, const char *ref, const char *pointer,
                                   const char **person_id, int *ok)
{
    mez_mass_person_info_t pi;
    int found = 0;
    mez_status_t rv;
    *ok = 1;
    *person_id = NULL;
    if (strncmp(ref, "per_", 4))
        return MEZ_OK;
    if (mez_mass_is_id(ref, "per_") && (rv = mez_mass_person_find(c, ref, &pi, &found)) != MEZ_OK)
        return rv;
    if (!found) {
        *ok = 0;
        return mez_mass_refuse(c, 422, "identity.unknown_person", pointer,
                               "'%s' names no person of this zone's identity registry", ref);
    }
    *person_id = ref;
    return MEZ_OK;
}

/* ---------------------------------------------------------------- persons: documents */

static mez_status_t identifiers_of(mez_mass_call_t *c, const char *person_id, json_t **out)
{
    apr_array_header_t *rows;
    json_t *a = own(c, json_array());
    mez_status_t rv = mez_db_query_rows(c->p, c->db, 3, &rows,
                                        "SELECT scheme, value, issuing_country FROM mez_mass_person_identifier "
                                        "WHERE person_id = %s ORDER BY seq", c->pb, person_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "scheme", r[0], "value", r[1], "issuing_country", r[2]));
    }
    *out = a;
    return MEZ_OK;
}

static mez_status_t corrupt(mez_mass_call_t *c, const char *what, const char *id)
{
    return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL, "the stored %s %s cannot be read",
                       what, id);
}

/* The Person document, or *found 0. */
static mez_status_t person_doc(mez_mass_call_t *c, const char *person_id, json_t **out, int *found)
{
    const char *cols[6], *zone = mez_mass_zone_scope(c);
    apr_array_header_t *rows;
    json_t *doc, *ids, *vers = own(c, json_array()), *binds = own(c, json_array());
    mez_status_t rv = mez_db_query_row(c->p, c->db, cols, 6, found,
                                       "SELECT doc, verification_status, created_at, updated_at, person_id, zone_id "
                                       "FROM mez_mass_person WHERE person_id = %s", c->pb, person_id, NULL);
    if (rv != MEZ_OK || !*found)
        return rv;
    if (!mez_mass_zone_visible(c, cols[5])) {
        *found = 0;
        return MEZ_OK;
    }
    if (!(doc = mez_mass_doc_parse(c, cols[0])))
        return corrupt(c, "person", person_id);
    own(c, doc);
    if ((rv = identifiers_of(c, person_id, &ids)) != MEZ_OK
        || (rv = mez_db_query_rows(c->p, c->db, 1, &rows,
                                   "SELECT doc FROM mez_mass_person_verification WHERE person_id = %s ORDER BY seq",
                                   c->pb, person_id, NULL)) != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        json_t *v = mez_mass_doc_parse(c, APR_ARRAY_IDX(rows, i, const char **)[0]);
        if (!v)
            return corrupt(c, "verification of person", person_id);
        json_array_append_new(vers, v);
    }
    if ((rv = mez_db_query_rows(c->p, c->db, 4, &rows,
                                "SELECT b.binding_id, b.entity_id, b.role, b.created_at FROM "
                                "mez_mass_identity_binding b LEFT JOIN mez_mass_entity e ON e.entity_id = b.entity_id "
                                "WHERE b.person_id = %s AND "
                                MEZ_MASS_IN_ZONE("e.zone_id") " ORDER BY b.created_at, b.binding_id",
                                c->pb, person_id, zone, zone, NULL))
        != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        json_array_append_new(binds, json_pack("{s:s,s:s,s:s,s:s}", "binding_id", r[0], "entity_id", r[1], "role",
                                               r[2], "created_at", r[3]));
    }
    json_object_set_new(doc, "person_id", json_string(cols[4]));
    json_object_set(doc, "identifiers", ids);
    json_object_set_new(doc, "verification_status", json_string(cols[1]));
    json_object_set(doc, "verifications", vers);
    json_object_set(doc, "bindings", binds);
    json_object_set_new(doc, "created_at", json_string(cols[2]));
    json_object_set_new(doc, "updated_at", json_string(cols[3]));
    *out = doc;
    return MEZ_OK;
}

/* ---------------------------------------------------------------- routes: persons */

static mez_status_t create_person(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "full_name", "date_of_birth", "nationality", "identifiers", NULL };
    const json_t *body = c->req->body, *list = NULL;
    const char *name = NULL, *dob = NULL, *nat = NULL, *id = mez_mass_new_id(c->p, "per_"), *now = now_stamp(c);
    const char *key, *zone = mez_mass_zone_stamp(c);
    ident_t *ids;
    size_t n;
    json_t *doc, *out;
    int found;
    mez_status_t rv;

    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_text(c, body, "", "full_name", MEZ_MASS_REQUIRED, NAME_MAX_CHARS, &name)
        || !mez_mass_get_date(c, body, "", "date_of_birth", MEZ_MASS_OPTIONAL, &dob)
        || !mez_mass_get_code(c, body, "", "nationality", MEZ_MASS_OPTIONAL, 2, &nat)
        || !mez_mass_get_array(c, body, "", "identifiers", MEZ_MASS_OPTIONAL, 0, &list))
        return MEZ_OK;
    key = mez_mass_name_key(c->p, name);
    if (!*key)
        return mez_mass_refuse(c, 422, "request.empty_value", "/full_name", "full_name must not be blank");
    if (dob && strcmp(dob, apr_pstrndup(c->p, now, 10)) > 0)
        return mez_mass_refuse(c, 422, "request.invalid_date", "/date_of_birth", "date_of_birth is in the future");
    n = list ? json_array_size(list) : 0;
    if (n > IDENTIFIERS_MAX)
        return mez_mass_refuse(c, 422, "request.too_many_items", "/identifiers", "at most %d identifiers",
                               IDENTIFIERS_MAX);
    ids = apr_pcalloc(c->p, sizeof(ident_t) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        const char *at = mez_pointer_index(c->p, "/identifiers", i);
        if (!get_identifier(c, json_array_get(list, i), at, &ids[i]))
            return MEZ_OK;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ids[i].scheme, ids[j].scheme) && !strcmp(ids[i].country, ids[j].country)
                && !strcmp(ids[i].match_key, ids[j].match_key))
                return mez_mass_refuse(c, 422, "identity.duplicate_identifier", mez_pointer_join(c->p, at, "value"),
                                       "this identifier is already listed at /identifiers/%" APR_SIZE_T_FMT "",
                                       (apr_size_t)j);
    }
    doc = own(c, json_pack("{s:s}", "full_name", name));
    if (dob)
        json_object_set_new(doc, "date_of_birth", json_string(dob));
    if (nat)
        json_object_set_new(doc, "nationality", json_string(nat));
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "INSERT INTO mez_mass_person (person_id, full_name, name_key, date_of_birth, nationality, "
                           "verification_status, doc, created_at, updated_at, zone_id) VALUES (%s, %s, %s, %s, %s, "
                           "%s, %s, %s, %s, %s)", c->pb, id, name, key, dob ? dob : MEZ_DB_NULL,
                           nat ? nat : MEZ_DB_NULL, "unverified", mez_mass_doc_text(c, doc), now, now,
                           zone ? zone : MEZ_DB_NULL, NULL)) != MEZ_OK)
        return rv;
    for (size_t i = 0; i < n; i++) {
        const char *held = NULL;
        int inserted = 0;
        /* An identifier is one person's in one zone's registry (zone_key, migration 0025): the primary key refuses
         * a second claim in this zone, on any node, and says nothing of another zone's. A caller of the whole
         * store also finds it held by a person of no zone (registered before 0025, when the key spanned the
         * store): its own registry still holds those, and no new row has that key, so the read cannot race. */
        if (!c->ctx->caller_zone_id
            && (rv = mez_db_query_value(c->p, c->db, &held,
                                        "SELECT person_id FROM mez_mass_person_identifier WHERE scheme = %s AND "
                                        "issuing_country = %s AND match_key = %s AND zone_key = ''", c->pb,
                                        ids[i].scheme, ids[i].country, ids[i].match_key, NULL)) != MEZ_OK)
            return rv;
        if (!held
            && (rv = mez_db_execv(c->p, c->db, &inserted,
                                  "INSERT INTO mez_mass_person_identifier (scheme, issuing_country, match_key, value, "
                                  "person_id, seq, created_at, zone_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                                  "ON CONFLICT DO NOTHING",
                                  c->pb, ids[i].scheme, ids[i].country, ids[i].match_key, ids[i].value, id,
                                  apr_itoa(c->p, (int)i + 1), now, zone ? zone : "", NULL)) != MEZ_OK)
            return rv;
        if (!inserted)
            return mez_mass_refuse(c, 409, "identity.identifier_taken",
                                   mez_pointer_join(c->p, mez_pointer_index(c->p, "/identifiers", i), "value"),
                                   "%s %s is registered to another person", ids[i].scheme, ids[i].value);
    }
    if ((rv = person_doc(c, id, &out, &found)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 201, json_incref(out));
}

static mez_status_t get_person(mez_mass_call_t *c, const char *person_id)
{
    json_t *doc;
    int found = 0;
    mez_status_t rv;
    if (mez_mass_is_id(person_id, "per_") && (rv = person_doc(c, person_id, &doc, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_not_found(c, "person", person_id);
    return mez_mass_answer(c, 200, json_incref(doc));
}

static mez_status_t add_verification(mez_mass_call_t *c, const char *person_id)
{
    static const char *const allowed[] = { "method", "result", "evidence", "verifier", NULL };
    static const char *const ev_allowed[] = { "type", "digest", "issuer", NULL };
    const json_t *body = c->req->body, *ev = NULL;
    const char *method = NULL, *result = NULL, *verifier = NULL, *type = NULL, *digest = NULL, *issuer = NULL;
    const char *id = mez_mass_new_id(c->p, "ver_"), *now = now_stamp(c), *seq = NULL, *cols[1];
    const char *zone = mez_mass_zone_scope(c);
    json_t *rec, *evidence;
    int found = 0;
    mez_status_t rv;

    /* Another zone's person is not found (mass_int.h: zones): nothing is verified there. */
    if (mez_mass_is_id(person_id, "per_")
        && (rv = mez_db_query_row(c->p, c->db, cols, 1, &found,
                                  apr_pstrcat(c->p, "SELECT person_id FROM mez_mass_person WHERE person_id = %s AND ",
                                              MEZ_MASS_IN_ZONE("zone_id"), mez_db_for_update(c->db), NULL),
                                  c->pb, person_id, zone, zone, NULL)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_not_found(c, "person", person_id);
    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_enum(c, body, "", "method", MEZ_MASS_REQUIRED, methods, &method)
        || !mez_mass_get_enum(c, body, "", "result", MEZ_MASS_REQUIRED, results, &result)
        || !mez_mass_get_object(c, body, "", "evidence", MEZ_MASS_REQUIRED, &ev)
        || !mez_mass_get_text(c, body, "", "verifier", MEZ_MASS_OPTIONAL, 300, &verifier)
        || !mez_mass_check_object(c, ev, "/evidence", ev_allowed)
        || !mez_mass_get_text(c, ev, "/evidence", "type", MEZ_MASS_REQUIRED, 100, &type)
        || !mez_mass_get_string(c, ev, "/evidence", "digest", MEZ_MASS_REQUIRED, 71, &digest)
        || !mez_mass_get_text(c, ev, "/evidence", "issuer", MEZ_MASS_OPTIONAL, 300, &issuer))
        return MEZ_OK;
    if (strlen(digest) != 71 || !mez_mass_is_id(digest, "sha256:"))
        return mez_mass_refuse(c, 422, "request.invalid_digest", "/evidence/digest",
                               "digest must be \"sha256:\" followed by 64 lowercase hex digits");
    evidence = json_pack("{s:s,s:s}", "type", type, "digest", digest);
    if (issuer)
        json_object_set_new(evidence, "issuer", json_string(issuer));
    rec = own(c, json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "verification_id", id, "person_id", person_id, "method",
                           method, "result", result, "evidence", evidence, "verified_at", now));
    if (verifier)
        json_object_set_new(rec, "verifier", json_string(verifier));
    if ((rv = mez_db_query_value(c->p, c->db, &seq,
                                 "SELECT COALESCE(MAX(seq), 0) + 1 FROM mez_mass_person_verification "
                                 "WHERE person_id = %s", c->pb, person_id, NULL)) != MEZ_OK
        || (rv = mez_db_execv(c->p, c->db, NULL,
                              "INSERT INTO mez_mass_person_verification (verification_id, person_id, seq, method, "
                              "result, evidence_digest, doc, verified_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                              c->pb, id, person_id, seq && *seq ? seq : "1", method, result, digest,
                              mez_mass_doc_text(c, rec), now, NULL)) != MEZ_OK
        || (rv = mez_db_execv(c->p, c->db, NULL,
                              "UPDATE mez_mass_person SET verification_status = %s, updated_at = %s "
                              "WHERE person_id = %s", c->pb, result, now, person_id, NULL)) != MEZ_OK)
        return rv;
    rec = own(c, json_deep_copy(rec));
    json_object_set_new(rec, "person_verification_status", json_string(result));
    return mez_mass_answer(c, 201, json_incref(rec));
}

/* ---------------------------------------------------------------- routes: bindings */

static mez_status_t create_binding(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "person_id", "entity_id", "role", NULL };
    const json_t *body = c->req->body;
    const char *person = NULL, *entity = NULL, *role = NULL, *id = mez_mass_new_id(c->p, "bnd_"), *now = now_stamp(c);
    mez_mass_person_info_t pi;
    mez_mass_entity_row_t e;
    int found = 0, n = 0;
    mez_status_t rv;

    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_string(c, body, "", "person_id", MEZ_MASS_REQUIRED, 100, &person)
        || !mez_mass_get_string(c, body, "", "entity_id", MEZ_MASS_REQUIRED, 100, &entity)
        || !mez_mass_get_enum(c, body, "", "role", MEZ_MASS_REQUIRED, binding_roles, &role))
        return MEZ_OK;
    if (mez_mass_is_id(person, "per_") && (rv = mez_mass_person_find(c, person, &pi, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_refuse(c, 422, "identity.unknown_person", "/person_id",
                               "'%s' names no person of this zone's identity registry", person);
    found = 0;
    if (mez_mass_is_id(entity, "ent_") && (rv = mez_mass_entity_load(c, entity, 1, &e, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_refuse(c, 422, "identity.unknown_entity", "/entity_id", "'%s' names no entity of this zone",
                               entity);
    if (mez_lifecycle_is_terminal(MEZ_LIFECYCLE_ENTITY, e.state))
        return mez_mass_refuse(c, 409, "identity.entity_not_live", "/entity_id",
                               "entity %s is %s: nobody can take a role in it now", entity, e.status);
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "INSERT INTO mez_mass_identity_binding (binding_id, person_id, entity_id, role, created_at) "
                           "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                           c->pb, id, person, entity, role, now, NULL)) != MEZ_OK)
        return rv;
    if (!n)
        return mez_mass_refuse(c, 409, "identity.binding_exists", "/role", "person %s is already %s of entity %s",
                               person, role, entity);
    return mez_mass_answer(c, 201, json_pack("{s:s,s:s,s:s,s:s,s:s}", "binding_id", id, "person_id", person,
                                             "entity_id", entity, "role", role, "created_at", now));
}

/* ---------------------------------------------------------------- routes: the contract's verifications */

typedef struct lookup_t {
    const char *registration_status;   /* not_registered, unverified, rejected, verified */
    int name_given, name_match, verified;
    const char *verified_at;
} lookup_t;

static mez_status_t lookup(mez_mass_call_t *c, const char *scheme, const char *match_key, const char *name,
                           lookup_t *out)
{
    const char *cols[1];
    mez_mass_person_info_t pi;
    int found;
    mez_status_t rv;
    memset(out, 0, sizeof(*out));
    out->registration_status = "not_registered";
    out->name_given = name != NULL;
    /* In the caller's zone's registry: another zone's holder of the identifier is no one's here (mass_int.h:
     * zones), so the answer is not_registered, as for an identifier nobody holds. A caller of the whole store
     * reads every zone's: its own zone's holder first, then one registered before 0025 (no zone), then any. */
    if (c->ctx->caller_zone_id)
        rv = mez_db_query_row(c->p, c->db, cols, 1, &found,
                              "SELECT person_id FROM mez_mass_person_identifier WHERE scheme = %s AND "
                              "issuing_country = %s AND match_key = %s AND zone_key = %s", c->pb, scheme, "PK",
                              match_key, c->ctx->caller_zone_id, NULL);
    else
        rv = mez_db_query_row(c->p, c->db, cols, 1, &found,
                              "SELECT person_id FROM mez_mass_person_identifier WHERE scheme = %s AND "
                              "issuing_country = %s AND match_key = %s ORDER BY CASE WHEN zone_key = %s THEN 0 "
                              "WHEN zone_key = '' THEN 1 ELSE 2 END, zone_key LIMIT 1", c->pb, scheme, "PK",
                              match_key, c->ctx->zone_id ? c->ctx->zone_id : "", NULL);
    if (rv != MEZ_OK || !found)
        return rv;
    if ((rv = mez_mass_person_find(c, cols[0], &pi, &found)) != MEZ_OK || !found)
        return rv;
    out->registration_status = pi.verification_status;
    out->name_match = name && !strcmp(mez_mass_name_key(c->p, name), mez_mass_name_key(c->p, pi.full_name));
    out->verified = !strcmp(pi.verification_status, "verified") && out->name_match;
    if (!strcmp(pi.verification_status, "verified"))
        out->verified_at = pi.verified_at;
    return MEZ_OK;
}

/* entity_id, when given, must name an entity of this zone. */
static int check_entity_member(mez_mass_call_t *c, const json_t *body, mez_status_t *rv)
{
    const char *entity = NULL;
    mez_mass_entity_row_t e;
    int found = 0;
    *rv = MEZ_OK;
    if (!mez_mass_get_string(c, body, "", "entity_id", MEZ_MASS_OPTIONAL, 100, &entity))
        return 0;
    if (!entity)
        return 1;
    if (mez_mass_is_id(entity, "ent_") && (*rv = mez_mass_entity_load(c, entity, 0, &e, &found)) != MEZ_OK)
        return 0;
    if (!found) {
        mez_mass_refuse(c, 422, "identity.unknown_entity", "/entity_id", "'%s' names no entity of this zone", entity);
        return 0;
    }
    return 1;
}

static json_t *verify_answer(const char *member, const char *value, const lookup_t *l, int with_registration)
{
    json_t *o = json_pack("{s:s,s:b,s:s}", member, value, "verified", l->verified, "source", SOURCE);
    if (l->name_given && strcmp(l->registration_status, "not_registered"))
        json_object_set_new(o, "name_match", json_boolean(l->name_match));
    if (with_registration)
        json_object_set_new(o, "registration_status", json_string(l->registration_status));
    if (l->verified && l->verified_at)
        json_object_set_new(o, "verified_at", json_string(l->verified_at));
    return o;
}

/* POST /v1/identity/{cnic,ntn}/verify: the identifier (its member named as its kind), an optional name to match
 * (name_member), an optional entity_id. */
static mez_status_t verify_identifier(mez_mass_call_t *c, const char *kind, const char *name_member)
{
    const char *const allowed[] = { kind, "entity_id", name_member, NULL };
    const json_t *body = c->req->body;
    ident_t id = { kind, "PK", NULL, NULL };
    const char *name = NULL, *why;
    lookup_t l;
    mez_status_t rv;
    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_string(c, body, "", kind, MEZ_MASS_REQUIRED, 40, &id.value)
        || !mez_mass_get_text(c, body, "", name_member, MEZ_MASS_OPTIONAL, NAME_MAX_CHARS, &name))
        return MEZ_OK;
    if (!normalise(c->p, &id, &why))
        return mez_mass_refuse(c, 422, "identity.invalid_identifier", apr_pstrcat(c->p, "/", kind, NULL),
                               "'%s' is not a valid %s: %s", id.value, kind, why);
    if (!check_entity_member(c, body, &rv) || (rv = lookup(c, kind, id.match_key, name, &l)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 200, verify_answer(kind, id.value, &l, 1));
}

static mez_status_t verify_cnic(mez_mass_call_t *c)
{
    return verify_identifier(c, "cnic", "name");
}

static mez_status_t verify_ntn(mez_mass_call_t *c)
{
    return verify_identifier(c, "ntn", "entity_name");
}

static mez_status_t entity_identity(mez_mass_call_t *c, const char *entity_id)
{
    mez_mass_entity_row_t e;
    apr_array_header_t *rows;
    json_t *vers = own(c, json_array()), *persons = own(c, json_array()), *person = NULL;
    const char *last = "", *zone = mez_mass_zone_scope(c);
    int found;
    mez_status_t rv;

    if ((rv = mez_mass_entity_for_path(c, entity_id, 0, &e, &found)) != MEZ_OK || !found)
        return rv;
    if ((rv = mez_db_query_rows(c->p, c->db, 3, &rows,
                                "SELECT b.person_id, b.role, p.full_name FROM mez_mass_identity_binding b JOIN "
                                "mez_mass_person p ON p.person_id = b.person_id WHERE b.entity_id = %s AND "
                                MEZ_MASS_IN_ZONE("p.zone_id") " ORDER BY b.person_id, b.role",
                                c->pb, entity_id, zone, zone, NULL)) != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        mez_mass_person_info_t pi;
        json_t *ids;
        int pfound, verified;
        if (!strcmp(r[0], last)) {
            json_array_append_new(json_object_get(person, "roles"), json_string(r[1]));
            continue;
        }
        last = r[0];
        if ((rv = mez_mass_person_find(c, r[0], &pi, &pfound)) != MEZ_OK
            || (rv = identifiers_of(c, r[0], &ids)) != MEZ_OK)
            return rv;
        verified = !strcmp(pi.verification_status, "verified");
        person = json_pack("{s:s,s:s,s:[s],s:s,s:O}", "person_id", r[0], "full_name", r[2], "roles", r[1],
                           "verification_status", pi.verification_status, "identifiers", ids);
        json_array_append_new(persons, person);
        for (size_t k = 0; k < json_array_size(ids); k++) {
            json_t *v = json_pack("{s:O,s:O,s:b,s:s}", "type", json_object_get(json_array_get(ids, k), "scheme"),
                                  "value", json_object_get(json_array_get(ids, k), "value"), "verified", verified,
                                  "source", SOURCE);
            if (verified && pi.verified_at)
                json_object_set_new(v, "verified_at", json_string(pi.verified_at));
            json_array_append_new(vers, v);
        }
    }
    return mez_mass_answer(c, 200, json_pack("{s:s,s:O,s:O}", "entity_id", entity_id, "verifications", vers,
                                             "persons", persons));
}

mez_status_t mez_mass_identity_handle(mez_mass_call_t *c)
{
    const char *m = c->req->method, *path = c->req->path, *caps[1];
    int get = !strcmp(m, "GET"), post = !strcmp(m, "POST");

    if (!strcmp(path, "/v1/identity/persons"))
        return post ? create_person(c) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/identity/persons/*", caps, 1))
        return get ? get_person(c, caps[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/identity/persons/*/verifications", caps, 1))
        return post ? add_verification(c, caps[0]) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/identity/bindings"))
        return post ? create_binding(c) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/identity/cnic/verify"))
        return post ? verify_cnic(c) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/identity/ntn/verify"))
        return post ? verify_ntn(c) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/identity/entity/*", caps, 1))
        return get ? entity_identity(c, caps[0]) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/identity/status"))
        return get ? mez_mass_answer(c, 200, json_pack("{s:[{s:s,s:s,s:s}]}", "services", "name", SOURCE, "status",
                                                       "available", "last_checked", now_stamp(c)))
                   : mez_mass_no_route(c, 1);
    return mez_mass_no_route(c, 0);
}

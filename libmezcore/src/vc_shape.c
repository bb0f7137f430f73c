/* vc_shape.c: the VC Data Model 2.0 shape of credentials and presentations (the "schema" check), shared by
 * issuing, which refuses a malformed credential, and verifying, which reports it with a JSON pointer. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/vc.h"

#define VC_TYPE "VerifiableCredential"
#define VP_TYPE "VerifiablePresentation"

static const char *at(apr_pool_t *p, const char *base, const char *token)
{
    return mez_pointer_join(p, base, token);
}

static const char *root(const char *base)
{
    return base ? base : "";
}

/* ------------------------------------------------------------------ the data model shape */

/* An absolute URI by its scheme (RFC 3986 section 3.1); urn:, did: and https: all qualify. The data model asks
 * for URLs, but checking more than the scheme would reject valid DIDs and URNs. */
static int is_url(const char *s)
{
    const char *c = s;
    if (!s || !((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
        return 0;
    while ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '+'
           || *c == '-' || *c == '.')
        c++;
    if (*c != ':' || c[1] == '\0')
        return 0;
    for (; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return 0;
    return 1;
}

/* A URL-valued member (an id, the issuer, the holder): a string, the whole of it a URL. Its C text would end at a
 * NUL, so "urn:uuid:1\u0000x" would pass for urn:uuid:1, be stored as that id and compared as it, while the
 * signature covers the whole string: two credentials differing after the NUL would share one id. */
static int url_value(const json_t *v)
{
    return is_url(mez_json_text(v));
}

static mez_status_t schema_fail(mez_problem_t *pb, apr_pool_t *p, const char *code, const char *pointer,
                                const char *detail)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, pointer, "%s", detail);
}

static mez_status_t check_context(apr_pool_t *p, const json_t *doc, const char *base, mez_problem_t *pb)
{
    const json_t *ctx = json_object_get(doc, "@context");
    const char *ptr = at(p, base, "@context");
    size_t i;
    const json_t *item;

    if (!ctx)
        return schema_fail(pb, p, "vc.schema.missing_context", ptr, "@context is required");
    if (!json_is_array(ctx) || json_array_size(ctx) == 0)
        return schema_fail(pb, p, "vc.schema.invalid_context", ptr,
                           "@context must be an array starting with " MEZ_VC_CONTEXT_V2);
    /* Lengths compared too: a NUL inside a JSON string would end a C comparison early. */
    if (!json_is_string(json_array_get(ctx, 0)) || strcmp(json_string_value(json_array_get(ctx, 0)), MEZ_VC_CONTEXT_V2)
        || json_string_length(json_array_get(ctx, 0)) != strlen(MEZ_VC_CONTEXT_V2))
        return schema_fail(pb, p, "vc.schema.invalid_context", mez_pointer_index(p, ptr, 0),
                           "the first @context must be " MEZ_VC_CONTEXT_V2);
    json_array_foreach(ctx, i, item) {
        if (!json_is_object(item) && !url_value(item))
            return schema_fail(pb, p, "vc.schema.invalid_context", mez_pointer_index(p, ptr, i),
                               "each @context must be a URL or an object");
    }
    return MEZ_OK;
}

/* A type value: one string or a non-empty array of strings. */
static int type_ok(const json_t *type)
{
    size_t i;
    const json_t *t;
    if (json_is_string(type))
        return json_string_length(type) > 0;
    if (!json_is_array(type) || json_array_size(type) == 0)
        return 0;
    json_array_foreach(type, i, t) {
        if (!json_is_string(t) || json_string_length(t) == 0)
            return 0;
    }
    return 1;
}

/* I-JSON integers only (RFC 7493 2.2, which eddsa-jcs-2022's JCS assumes): RFC 8785 writes a larger integer as
 * its nearest double, so 4611686018427387904 and 4611686018427388160 would share one canonical form and one
 * signature, and a holder could change the one a reader takes. */
static mez_status_t check_exact_integers(apr_pool_t *p, const json_t *doc, const char *base, mez_problem_t *pb)
{
    const char *at = mez_json_find_inexact_integer(p, doc, base);
    if (at)
        return schema_fail(pb, p, "vc.schema.inexact_integer", at,
                           "an integer beyond 2^53 - 1 has no exact canonical form (RFC 8785 writes it as its "
                           "nearest double, which other integers share): write it as a string");
    return MEZ_OK;
}

/* The whole string, compared with its length: "VerifiableCredential\u0000x" is not VerifiableCredential. */
static int type_is(const json_t *t, const char *name)
{
    size_t n = strlen(name);
    return json_is_string(t) && json_string_length(t) == n && !memcmp(json_string_value(t), name, n);
}

int mez_vc_type_includes(const json_t *type, const char *name)
{
    size_t i;
    const json_t *t;
    if (json_is_string(type))
        return type_is(type, name);
    json_array_foreach(type, i, t) {
        if (type_is(t, name))
            return 1;
    }
    return 0;
}

/* A document is a credential or a presentation, never both: the two are verified differently (a credential
 * against its issuer, a presentation against its holder, who may be absent), so a document claiming both could
 * be checked as whichever is weaker and pass for the other. */
static mez_status_t check_type(apr_pool_t *p, const json_t *doc, const char *base, const char *required,
                               const char *excluded, mez_problem_t *pb)
{
    const json_t *type = json_object_get(doc, "type");
    const char *ptr = at(p, base, "type");
    if (!type)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.schema.missing_type", ptr, "type is required and must include %s",
                           required);
    if (!type_ok(type) || !mez_vc_type_includes(type, required))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.schema.invalid_type", ptr,
                           "type must be a string or an array of strings that includes %s", required);
    if (mez_vc_type_includes(type, excluded))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.schema.invalid_type", ptr,
                           "a document whose type includes %s cannot also be a %s", required, excluded);
    return MEZ_OK;
}

static mez_status_t check_optional_id(apr_pool_t *p, const json_t *obj, const char *base, mez_problem_t *pb)
{
    const json_t *id = json_object_get(obj, "id");
    if (id && !url_value(id))
        return schema_fail(pb, p, "vc.schema.invalid_id", at(p, base, "id"),
                           json_is_string(id) && !mez_json_text(id) ? "id must be a URL: it holds a NUL (\\u0000)"
                                                                    : "id must be a URL");
    return MEZ_OK;
}

/* issuer or holder: a URL, or an object whose id is one. */
static mez_status_t check_party(apr_pool_t *p, const json_t *v, const char *ptr, const char *code,
                                const char *name, mez_problem_t *pb)
{
    if (url_value(v))
        return MEZ_OK;
    if (json_is_object(v)) {
        const json_t *id = json_object_get(v, "id");
        if (url_value(id))
            return MEZ_OK;
        return mez_problem(pb, p, MEZ_EINVAL, 422, code, at(p, ptr, "id"), "%s.id must be a URL", name);
    }
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, ptr, "%s must be a URL or an object with an id", name);
}

/* name and description: a string, a language value object ({"@value": ...}), or an array of these. */
static int language_value_ok(const json_t *v)
{
    size_t i;
    const json_t *item;
    if (json_is_string(v))
        return 1;
    if (json_is_object(v))
        return json_is_string(json_object_get(v, "@value"));
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item) && !(json_is_object(item) && json_is_string(json_object_get(item, "@value"))))
            return 0;
    }
    return 1;
}

/* credentialStatus, credentialSchema, refreshService, termsOfUse, evidence: each entry says its type. */
static mez_status_t check_typed_entries(apr_pool_t *p, const json_t *doc, const char *base, const char *name,
                                        const char *code, int need_id, mez_problem_t *pb)
{
    const json_t *v = json_object_get(doc, name);
    const char *ptr = at(p, base, name);
    size_t n, i;
    if (!v)
        return MEZ_OK;
    if (!json_is_object(v) && !json_is_array(v))
        return mez_problem(pb, p, MEZ_EINVAL, 422, code, ptr, "%s must be an object or an array of objects", name);
    n = json_is_array(v) ? json_array_size(v) : 1;
    for (i = 0; i < n; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        const char *eptr = json_is_array(v) ? mez_pointer_index(p, ptr, i) : ptr;
        const json_t *id = json_object_get(e, "id");
        if (!json_is_object(e))
            return mez_problem(pb, p, MEZ_EINVAL, 422, code, eptr, "%s must hold objects", name);
        if (!type_ok(json_object_get(e, "type")))
            return mez_problem(pb, p, MEZ_EINVAL, 422, code, at(p, eptr, "type"), "each %s needs a type", name);
        if ((need_id && !id) || (id && !url_value(id)))
            return mez_problem(pb, p, MEZ_EINVAL, 422, code, at(p, eptr, "id"), "each %s needs an id URL", name);
    }
    return MEZ_OK;
}

static mez_status_t check_time_member(apr_pool_t *p, const json_t *doc, const char *base, const char *name,
                                      const char *code, apr_time_t *t, int *present, mez_problem_t *pb)
{
    const json_t *v = json_object_get(doc, name);
    *present = v != NULL;
    if (v && mez_time_parse_rfc3339(mez_json_text(v), t))
        return mez_problem(pb, p, MEZ_EINVAL, 422, code, at(p, base, name),
                           "%s must be a date-time with a timezone, e.g. 2024-01-31T12:00:00Z", name);
    return MEZ_OK;
}

const char *mez_vc_issuer_id(const json_t *vc)
{
    const json_t *issuer = json_object_get(vc, "issuer");
    if (json_is_object(issuer))
        issuer = json_object_get(issuer, "id");
    return mez_json_text(issuer);
}

mez_status_t mez_vc_check_credential(apr_pool_t *p, const json_t *vc, const char *pointer_base, int require_issuer,
                                     mez_problem_t *pb)
{
    static const struct { const char *name, *code; int need_id; } entries[] = {
        { "credentialStatus", "vc.schema.invalid_credential_status", 0 },
        { "credentialSchema", "vc.schema.invalid_credential_schema", 1 },
        { "refreshService", "vc.schema.invalid_refresh_service", 0 },
        { "termsOfUse", "vc.schema.invalid_terms_of_use", 0 },
        { "evidence", "vc.schema.invalid_evidence", 0 },
    };
    const char *base = pointer_base;
    const json_t *subject, *issuer;
    apr_time_t from = 0, until = 0;
    int has_from, has_until;
    mez_status_t rv;

    if (!json_is_object(vc))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "vc.schema.not_object", root(base),
                           "a credential must be a JSON object");
    if ((rv = check_exact_integers(p, vc, base, pb)) != MEZ_OK)
        return rv;
    if ((rv = check_context(p, vc, base, pb)) != MEZ_OK || (rv = check_type(p, vc, base, VC_TYPE, VP_TYPE, pb)) != MEZ_OK
        || (rv = check_optional_id(p, vc, base, pb)) != MEZ_OK)
        return rv;

    issuer = json_object_get(vc, "issuer");
    if (!issuer && require_issuer)
        return schema_fail(pb, p, "vc.schema.missing_issuer", at(p, base, "issuer"), "issuer is required");
    if (issuer && (rv = check_party(p, issuer, at(p, base, "issuer"), "vc.schema.invalid_issuer", "issuer", pb)))
        return rv;

    subject = json_object_get(vc, "credentialSubject");
    if (!subject)
        return schema_fail(pb, p, "vc.schema.missing_credential_subject", at(p, base, "credentialSubject"),
                           "credentialSubject is required");
    if (json_is_object(subject)) {
        if (json_object_size(subject) == 0)
            return schema_fail(pb, p, "vc.schema.invalid_credential_subject", at(p, base, "credentialSubject"),
                               "credentialSubject must make at least one claim");
        if ((rv = check_optional_id(p, subject, at(p, base, "credentialSubject"), pb)) != MEZ_OK)
            return rv;
    }
    else if (json_is_array(subject) && json_array_size(subject) > 0) {
        size_t i;
        const json_t *s;
        json_array_foreach(subject, i, s) {
            const char *sp = mez_pointer_index(p, at(p, base, "credentialSubject"), i);
            if (!json_is_object(s) || json_object_size(s) == 0)
                return schema_fail(pb, p, "vc.schema.invalid_credential_subject", sp,
                                   "each credentialSubject must be an object making at least one claim");
            if ((rv = check_optional_id(p, s, sp, pb)) != MEZ_OK)
                return rv;
        }
    }
    else {
        return schema_fail(pb, p, "vc.schema.invalid_credential_subject", at(p, base, "credentialSubject"),
                           "credentialSubject must be an object or a non-empty array of objects");
    }

    if ((rv = check_time_member(p, vc, base, "validFrom", "vc.schema.invalid_valid_from", &from, &has_from, pb))
        || (rv = check_time_member(p, vc, base, "validUntil", "vc.schema.invalid_valid_until", &until, &has_until,
                                   pb)))
        return rv;
    if (has_from && has_until && from > until)
        return schema_fail(pb, p, "vc.schema.invalid_validity_period", at(p, base, "validUntil"),
                           "validUntil is earlier than validFrom");

    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
        if ((rv = check_typed_entries(p, vc, base, entries[i].name, entries[i].code, entries[i].need_id, pb)))
            return rv;
    if (json_object_get(vc, "name") && !language_value_ok(json_object_get(vc, "name")))
        return schema_fail(pb, p, "vc.schema.invalid_name", at(p, base, "name"),
                           "name must be a string or a language value object");
    if (json_object_get(vc, "description") && !language_value_ok(json_object_get(vc, "description")))
        return schema_fail(pb, p, "vc.schema.invalid_description", at(p, base, "description"),
                           "description must be a string or a language value object");
    return MEZ_OK;
}

mez_status_t mez_vc_check_presentation(apr_pool_t *p, const json_t *vp, const char *pointer_base,
                                       mez_problem_t *pb)
{
    const char *base = pointer_base;
    const json_t *holder, *vcs;
    mez_status_t rv;

    if (!json_is_object(vp))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "vc.schema.not_object", root(base),
                           "a presentation must be a JSON object");
    if ((rv = check_exact_integers(p, vp, base, pb)) != MEZ_OK)
        return rv;
    if ((rv = check_context(p, vp, base, pb)) != MEZ_OK || (rv = check_type(p, vp, base, VP_TYPE, VC_TYPE, pb)) != MEZ_OK
        || (rv = check_optional_id(p, vp, base, pb)) != MEZ_OK)
        return rv;
    /* What only a credential has: a presentation carrying it would be a credential read without its issuer. */
    if (json_object_get(vp, "issuer") || json_object_get(vp, "credentialSubject"))
        return schema_fail(pb, p, "vc.schema.credential_member",
                           at(p, base, json_object_get(vp, "issuer") ? "issuer" : "credentialSubject"),
                           "a presentation has no issuer or credentialSubject; a credential it carries goes in "
                           "verifiableCredential");
    holder = json_object_get(vp, "holder");
    if (holder && (rv = check_party(p, holder, at(p, base, "holder"), "vc.schema.invalid_holder", "holder", pb)))
        return rv;
    vcs = json_object_get(vp, "verifiableCredential");
    if (vcs && !json_is_object(vcs)) {
        size_t i;
        const json_t *v;
        if (!json_is_array(vcs))
            return schema_fail(pb, p, "vc.schema.invalid_verifiable_credential", at(p, base, "verifiableCredential"),
                               "verifiableCredential must be an object or an array of objects");
        json_array_foreach(vcs, i, v) {
            if (!json_is_object(v))
                return schema_fail(pb, p, "vc.schema.invalid_verifiable_credential",
                                   mez_pointer_index(p, at(p, base, "verifiableCredential"), i),
                                   "each verifiableCredential must be an object");
        }
    }
    return MEZ_OK;
}

/* mass_registry.c: value checks the registry primitives (entities, identity) share: folded names, ids, ISO codes,
 * dates and artifact references (text members: mez_mass_get_text in mass_store.c, shared by every primitive). */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/vc.h"
#include "mass_registry.h"
#include "mass_values.h"

const char *mez_mass_name_key(apr_pool_t *p, const char *name)
{
    size_t n = strlen(name);
    char *out = apr_palloc(p, n + 1), *o = out;
    int space = 0;
    for (const char *s = name; *s; s++) {
        char ch = *s;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
            space = o > out;
            continue;
        }
        if (space)
            *o++ = ' ';
        space = 0;
        *o++ = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    *o = '\0';
    return out;
}

int mez_mass_is_id(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!s || strncmp(s, prefix, n) || strlen(s) != n + 64)
        return 0;
    for (s += n; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

int mez_mass_get_code(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      int n, const char **out)
{
    const char *s = NULL;
    int ok;
    if (!mez_mass_get_string(c, obj, base, name, required, 0, &s))
        return 0;
    if (!s)
        return 1;
    ok = (int)strlen(s) == n;
    for (int i = 0; ok && i < n; i++)
        ok = s[i] >= 'A' && s[i] <= 'Z';
    if (!ok) {
        mez_mass_refuse(c, 422, "request.invalid_value", mez_pointer_join(c->p, base, name),
                        "'%s' must be an ISO code of %d upper-case letters, not '%s'", name, n, s);
        return 0;
    }
    *out = s;
    return 1;
}

int mez_mass_get_date(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      const char **out)
{
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, required, 0, &s))
        return 0;
    if (!s)
        return 1;
    if (!mez_mass_date_parse(s, NULL)) {
        mez_mass_refuse(c, 422, "request.invalid_date", mez_pointer_join(c->p, base, name),
                        "'%s' must be a calendar date YYYY-MM-DD, not '%s'", name, s);
        return 0;
    }
    *out = s;
    return 1;
}

int mez_mass_get_artifact_ref(mez_mass_call_t *c, const json_t *v, const char *pointer, json_t **out)
{
    static const char *const allowed[] = { "digest_sha256", "artifact_type", "uri", NULL };
    const char *digest = NULL, *type = NULL, *uri = NULL;
    json_t *ref;
    if (!mez_mass_check_object(c, v, pointer, allowed)
        || !mez_mass_get_string(c, v, pointer, "digest_sha256", MEZ_MASS_REQUIRED, 64, &digest)
        || !mez_mass_get_text(c, v, pointer, "artifact_type", MEZ_MASS_OPTIONAL, 100, &type)
        || !mez_mass_get_text(c, v, pointer, "uri", MEZ_MASS_OPTIONAL, 2000, &uri))
        return 0;
    if (strlen(digest) != 64 || !mez_mass_is_id(digest, "")) {
        mez_mass_refuse(c, 422, "request.invalid_digest", mez_pointer_join(c->p, pointer, "digest_sha256"),
                        "digest_sha256 must be 64 lowercase hex digits");
        return 0;
    }
    ref = mez_json_pool_own(c->p, json_pack("{s:s}", "digest_sha256", digest));
    if (type)
        json_object_set_new(ref, "artifact_type", json_string(type));
    if (uri)
        json_object_set_new(ref, "uri", json_string(uri));
    *out = ref;
    return 1;
}

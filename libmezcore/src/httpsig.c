/* httpsig.c: RFC 9421 HTTP Message Signatures with Ed25519 for zone-to-zone requests: the signature base
 * (§2.5), signing (§3.1) and verification (§3.2) with mez's policy on top (required components, time window).
 * The base is rebuilt by the receiver from what it received and the re-serialised Signature-Input member, so a
 * signer and a verifier agree byte for byte or the signature fails; nothing of the sender's text is trusted. */
#include <string.h>
#include <strings.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "mez/httpsig.h"
#include "mez/pack.h"
#include "httpsig_int.h"

#define PTR_SIG_INPUT "/headers/signature-input"
#define PTR_SIG       "/headers/signature"

static mez_status_t malformed(apr_pool_t *p, mez_problem_t *pb, const char *ptr, const char *what)
{
    return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", ptr, "%s", what);
}

/* A value may go into a base line only if it cannot forge another line: no CR, LF, NUL or non-ASCII. */
static int line_safe(const char *v)
{
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c < 0x20 ? *c != '\t' : *c > 0x7e)
            return 0;
    return 1;
}

/* §2.1: every line of the field, leading and trailing whitespace removed, joined with ", ". NULL if absent. */
static const char *field_value(apr_pool_t *p, const mez_httpsig_request_t *req, const char *name)
{
    const char *out = NULL;
    for (size_t j = 0; j < req->nfields; j++) {
        const char *v = req->fields[j].value, *e;
        if (!req->fields[j].name || strcasecmp(req->fields[j].name, name) || !v)
            continue;
        while (*v == ' ' || *v == '\t')
            v++;
        e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        v = apr_pstrmemdup(p, v, (apr_size_t)(e - v));
        out = out ? apr_pstrcat(p, out, ", ", v, NULL) : v;
    }
    return out;
}

/* The value of one covered component (§2.1, §2.2), or a problem. */
static mez_status_t component_value(apr_pool_t *p, const mez_httpsig_request_t *req, const char *c,
                                    const char **out, mez_problem_t *pb)
{
    const char *v = NULL;
    if (*c == '@') {
        if (!strcmp(c, "@method"))
            v = req->method;
        else if (!strcmp(c, "@target-uri"))
            v = req->target_uri;
        else if (!strcmp(c, "@authority"))
            v = req->authority ? apr_pstrdup(p, req->authority) : NULL;
        else if (!strcmp(c, "@scheme"))
            v = req->scheme ? apr_pstrdup(p, req->scheme) : NULL;
        else if (!strcmp(c, "@path"))
            v = req->path ? (*req->path ? req->path : "/") : NULL;
        else if (!strcmp(c, "@query"))
            v = (req->query && *req->query) ? req->query : "?";
        else if (!strcmp(c, "@request-target"))
            v = req->path ? apr_pstrcat(p, *req->path ? req->path : "/",
                                        (req->query && strcmp(req->query, "?")) ? req->query : "", NULL)
                          : NULL;
        else
            return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.unsupported_component", PTR_SIG_INPUT,
                               "derived component \"%s\" is not supported", c);
        /* §2.2.3 and §2.2.4: authority and scheme are normalised to lower case */
        if (v && (!strcmp(c, "@authority") || !strcmp(c, "@scheme")))
            for (char *k = (char *)v; *k; k++)
                *k = apr_tolower(*k);
    }
    else {
        for (const char *k = c; *k; k++)
            if (*k >= 'A' && *k <= 'Z')
                return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", PTR_SIG_INPUT,
                                   "component \"%s\" is not lower case", c);
        v = field_value(p, req, c);
    }
    if (!v)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.component_missing", PTR_SIG_INPUT,
                           "covered component \"%s\" is not in the request", c);
    if (!line_safe(v))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", PTR_SIG_INPUT,
                           "component \"%s\" holds a control or non-ASCII byte", c);
    *out = v;
    return MEZ_OK;
}

/* §2.5 with the @signature-params value already serialised. */
static mez_status_t build_base(apr_pool_t *p, const mez_httpsig_request_t *req, const char *const *comps,
                               size_t n, const char *sigparams, const char **base, mez_problem_t *pb)
{
    const char *out = "";
    for (size_t j = 0; j < n; j++) {
        const char *v = NULL, *name;
        mez_status_t rv;
        if (!comps[j] || !*comps[j] || !strcmp(comps[j], "@signature-params"))
            return malformed(p, pb, PTR_SIG_INPUT, "a covered component is empty or @signature-params");
        for (size_t k = 0; k < j; k++)
            if (!strcmp(comps[k], comps[j]))
                return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", PTR_SIG_INPUT,
                                   "component \"%s\" is covered twice", comps[j]);
        if ((rv = component_value(p, req, comps[j], &v, pb)) != MEZ_OK)
            return rv;
        if (!(name = mez_sf_serialize_string(p, comps[j])))
            return malformed(p, pb, PTR_SIG_INPUT, "a component name is not a valid string");
        out = apr_pstrcat(p, out, name, ": ", v, "\n", NULL);
    }
    *base = apr_pstrcat(p, out, "\"@signature-params\": ", sigparams, NULL);
    return MEZ_OK;
}

static void push_param(apr_array_header_t *a, const char *key, mez_sf_kind_t kind, long long i, const char *s)
{
    mez_sf_param_t *pm = apr_array_push(a);
    memset(pm, 0, sizeof *pm);
    pm->key = key;
    pm->value.kind = kind;
    pm->value.integer = i;
    pm->value.string = s;
}

mez_status_t mez_httpsig_params_serialize(apr_pool_t *p, const mez_httpsig_params_t *params, const char **out,
                                          mez_problem_t *pb)
{
    apr_array_header_t *items = apr_array_make(p, (int)params->ncomponents + 1, sizeof(mez_sf_item_t));
    apr_array_header_t *ps = apr_array_make(p, 6, sizeof(mez_sf_param_t));
    const char *s;

    for (size_t j = 0; j < params->ncomponents; j++) {
        mez_sf_item_t *it = apr_array_push(items);
        memset(it, 0, sizeof *it);
        it->value.kind = MEZ_SF_STRING;
        it->value.string = params->components[j] ? params->components[j] : "";
    }
    if (params->has_created)
        push_param(ps, "created", MEZ_SF_INTEGER, params->created, NULL);
    if (params->has_expires)
        push_param(ps, "expires", MEZ_SF_INTEGER, params->expires, NULL);
    if (params->nonce)
        push_param(ps, "nonce", MEZ_SF_STRING, 0, params->nonce);
    if (params->alg)
        push_param(ps, "alg", MEZ_SF_STRING, 0, params->alg);
    if (params->keyid)
        push_param(ps, "keyid", MEZ_SF_STRING, 0, params->keyid);
    if (params->tag)
        push_param(ps, "tag", MEZ_SF_STRING, 0, params->tag);
    if (!(s = mez_sf_serialize_inner_list(p, items, ps)))
        return malformed(p, pb, PTR_SIG_INPUT,
                         "a component name or parameter has no structured-field form (non-ASCII or too large)");
    *out = s;
    return MEZ_OK;
}

mez_status_t mez_httpsig_base(apr_pool_t *p, const mez_httpsig_request_t *req, const mez_httpsig_params_t *params,
                              const char **base, mez_problem_t *pb)
{
    const char *sp;
    mez_status_t rv = mez_httpsig_params_serialize(p, params, &sp, pb);
    if (rv != MEZ_OK)
        return rv;
    return build_base(p, req, params->components, params->ncomponents, sp, base, pb);
}

mez_status_t mez_httpsig_sign(apr_pool_t *p, const mez_key_t *key, const char *label,
                              const mez_httpsig_request_t *req, const mez_httpsig_params_t *params,
                              const char **signature_input, const char **signature, mez_problem_t *pb)
{
    unsigned char sig[MEZ_ED25519_SIG_LEN];
    const char *sp, *base;
    mez_status_t rv;

    if (!mez_sf_key_ok(label))
        return malformed(p, pb, "/label", "the signature label is not a structured-field key");
    if (params->alg && strcmp(params->alg, MEZ_HTTPSIG_ALG))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.unknown_algorithm", "/alg",
                           "only %s signatures are made", MEZ_HTTPSIG_ALG);
    if ((rv = mez_httpsig_params_serialize(p, params, &sp, pb)) != MEZ_OK
        || (rv = build_base(p, req, params->components, params->ncomponents, sp, &base, pb)) != MEZ_OK
        || (rv = mez_key_sign(key, base, strlen(base), sig, pb, p)) != MEZ_OK)
        return rv;
    *signature_input = apr_pstrcat(p, label, "=", sp, NULL);
    *signature = apr_pstrcat(p, label, "=:", mez_pack_base64_encode(p, sig, sizeof sig), ":", NULL);
    return MEZ_OK;
}

/* ------------------------------------------------------------------ verification */

/* Picks the member to check: the policy's label, or the only member. */
static const mez_sf_member_t *pick(apr_pool_t *p, const apr_array_header_t *dict, const char *label,
                                   const char *ptr, const char *field, mez_problem_t *pb)
{
    const mez_sf_member_t *m;
    if (label) {
        if (!(m = mez_sf_dict_get(dict, label)))
            mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.missing", ptr, "%s has no signature labelled \"%s\"",
                        field, label);
        return m;
    }
    if (dict->nelts != 1) {
        mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", ptr,
                    "%s holds %d signatures; exactly one is accepted", field, dict->nelts);
        return NULL;
    }
    return &APR_ARRAY_IDX(dict, 0, mez_sf_member_t);
}

static int covers(const char *const *comps, size_t n, const char *c)
{
    for (size_t j = 0; j < n; j++)
        if (!strcmp(comps[j], c))
            return 1;
    return 0;
}

/* Reads the parameters mez understands from the inner list; unknown ones stay covered by the signature. */
static mez_status_t read_params(apr_pool_t *p, const apr_array_header_t *ps, mez_httpsig_verified_t *out,
                                const char **alg, int *has_created, mez_problem_t *pb)
{
    for (int j = 0; j < ps->nelts; j++) {
        const mez_sf_param_t *pm = &APR_ARRAY_IDX(ps, j, mez_sf_param_t);
        int is_int = !strcmp(pm->key, "created") || !strcmp(pm->key, "expires");
        int is_str = !strcmp(pm->key, "nonce") || !strcmp(pm->key, "alg") || !strcmp(pm->key, "keyid")
                     || !strcmp(pm->key, "tag");
        if ((is_int && pm->value.kind != MEZ_SF_INTEGER) || (is_str && pm->value.kind != MEZ_SF_STRING))
            return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", PTR_SIG_INPUT,
                               "signature parameter \"%s\" has the wrong type", pm->key);
        if (!strcmp(pm->key, "created")) {
            *has_created = 1;
            out->created = pm->value.integer;
        }
        else if (!strcmp(pm->key, "expires")) {
            out->has_expires = 1;
            out->expires = pm->value.integer;
        }
        else if (!strcmp(pm->key, "nonce"))
            out->nonce = pm->value.string;
        else if (!strcmp(pm->key, "alg"))
            *alg = pm->value.string;
        else if (!strcmp(pm->key, "keyid"))
            out->keyid = pm->value.string;
        else if (!strcmp(pm->key, "tag"))
            out->tag = pm->value.string;
    }
    return MEZ_OK;
}

mez_status_t mez_httpsig_verify(apr_pool_t *p, const mez_key_t *peer, const mez_httpsig_request_t *req,
                                const mez_httpsig_policy_t *pol, mez_httpsig_verified_t *out, mez_problem_t *pb)
{
    const char *in_text = field_value(p, req, "signature-input"), *sig_text = field_value(p, req, "signature");
    const char *why = NULL, *alg = NULL, *sp, *base;
    const char **comps;
    apr_array_header_t *in_dict, *sig_dict;
    const mez_sf_member_t *in_m, *sig_m;
    mez_httpsig_verified_t v;
    int has_created = 0;
    mez_status_t rv;

    memset(&v, 0, sizeof v);
    if (!in_text || !sig_text)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.missing", in_text ? PTR_SIG : PTR_SIG_INPUT,
                           "the request is not signed: %s is missing", in_text ? "Signature" : "Signature-Input");
    if (!(in_dict = mez_sf_parse_dictionary(p, in_text, &why)))
        return malformed(p, pb, PTR_SIG_INPUT, apr_pstrcat(p, "Signature-Input is not a dictionary: ", why, NULL));
    if (!(sig_dict = mez_sf_parse_dictionary(p, sig_text, &why)))
        return malformed(p, pb, PTR_SIG, apr_pstrcat(p, "Signature is not a dictionary: ", why, NULL));
    if (!(in_m = pick(p, in_dict, pol->label, PTR_SIG_INPUT, "Signature-Input", pb)))
        return MEZ_EINVAL;
    v.label = in_m->key;
    if (!(sig_m = mez_sf_dict_get(sig_dict, v.label)))
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.missing", PTR_SIG,
                           "Signature has no member \"%s\" to match Signature-Input", v.label);
    if (!in_m->is_inner_list)
        return malformed(p, pb, PTR_SIG_INPUT, "the Signature-Input member is not an inner list");
    if (sig_m->is_inner_list || sig_m->item.value.kind != MEZ_SF_BYTES)
        return malformed(p, pb, PTR_SIG, "the Signature member is not a byte sequence");

    comps = apr_pcalloc(p, sizeof(*comps) * ((size_t)in_m->inner->nelts + 1));
    for (int j = 0; j < in_m->inner->nelts; j++) {
        const mez_sf_item_t *it = &APR_ARRAY_IDX(in_m->inner, j, mez_sf_item_t);
        if (it->value.kind != MEZ_SF_STRING)
            return malformed(p, pb, PTR_SIG_INPUT, "a covered component is not a string");
        if (it->params->nelts)
            return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.unsupported_component", PTR_SIG_INPUT,
                               "component \"%s\" has parameters, which mez does not accept", it->value.string);
        comps[j] = it->value.string;
        /* shape errors are reported as such before any policy verdict */
        if (!*comps[j] || !strcmp(comps[j], "@signature-params") || strpbrk(comps[j], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", PTR_SIG_INPUT,
                               "component \"%s\" is not a lower-case component name", comps[j]);
        for (int k = 0; k < j; k++)
            if (!strcmp(comps[k], comps[j]))
                return mez_problem(pb, p, MEZ_EINVAL, 400, "httpsig.malformed", PTR_SIG_INPUT,
                                   "component \"%s\" is covered twice", comps[j]);
    }
    if ((rv = read_params(p, in_m->params, &v, &alg, &has_created, pb)) != MEZ_OK)
        return rv;
    if (alg && strcmp(alg, MEZ_HTTPSIG_ALG))
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.unknown_algorithm", PTR_SIG_INPUT,
                           "signature algorithm \"%s\" is not accepted; only %s is", alg, MEZ_HTTPSIG_ALG);

    /* mez policy: what the signature must cover, then when it may be used */
    {
        static const char *const required[] = { "@method", "@path" };
        for (size_t j = 0; j < sizeof required / sizeof *required; j++)
            if (!covers(comps, (size_t)in_m->inner->nelts, required[j]))
                return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.not_covered", PTR_SIG_INPUT,
                                   "the signature does not cover %s", required[j]);
        if (pol->has_body && !covers(comps, (size_t)in_m->inner->nelts, "content-digest"))
            return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.not_covered", PTR_SIG_INPUT,
                               "the request has a body but the signature does not cover content-digest");
        if (!has_created)
            return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.not_covered", PTR_SIG_INPUT,
                               "the signature has no created parameter");
        /* A query changes what a request reads (a chain from a sequence number, a list's filter): when there is
         * one, the signature must bind it, or a query could be added to a request the peer signed without one. */
        if (req->query && !covers(comps, (size_t)in_m->inner->nelts, "@query")
            && !covers(comps, (size_t)in_m->inner->nelts, "@request-target")
            && !covers(comps, (size_t)in_m->inner->nelts, "@target-uri"))
            return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.not_covered", PTR_SIG_INPUT,
                               "the request has a query but the signature does not cover @query");
        if (pol->nauthorities && !covers(comps, (size_t)in_m->inner->nelts, "@authority")
            && !covers(comps, (size_t)in_m->inner->nelts, "@target-uri"))
            return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.not_covered", PTR_SIG_INPUT,
                               "the signature does not cover @authority: this zone accepts only requests signed "
                               "for one of its own names");
    }
    if (v.created < pol->now - pol->skew || v.created > pol->now + pol->skew)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.stale", PTR_SIG_INPUT,
                           "created %" APR_INT64_T_FMT " is outside the accepted window %" APR_INT64_T_FMT
                           " +/- %" APR_INT64_T_FMT " s",
                           (apr_int64_t)v.created, (apr_int64_t)pol->now, (apr_int64_t)pol->skew);
    if (v.has_expires && v.expires < pol->now)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.stale", PTR_SIG_INPUT,
                           "the signature expired at %" APR_INT64_T_FMT " (now %" APR_INT64_T_FMT ")",
                           (apr_int64_t)v.expires, (apr_int64_t)pol->now);

    if (!(sp = mez_sf_serialize_inner_list(p, in_m->inner, in_m->params)))
        return malformed(p, pb, PTR_SIG_INPUT, "Signature-Input cannot be re-serialised");
    if ((rv = build_base(p, req, comps, (size_t)in_m->inner->nelts, sp, &base, pb)) != MEZ_OK)
        return rv;
    if (!mez_key_verify(peer, base, strlen(base), sig_m->item.value.bytes, sig_m->item.value.nbytes))
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.bad_signature", PTR_SIG,
                           "the signature \"%s\" does not verify with the peer's key", v.label);
    v.signature = sig_m->item.value.bytes;
    v.signature_len = sig_m->item.value.nbytes;
    v.covers_content_digest = covers(comps, (size_t)in_m->inner->nelts, "content-digest");
    /* The signature binds the Content-Digest field; only now is it worth checking the body against it. A
     * covered digest is checked even without a body (against the empty body), so it can never be a lie. */
    if ((pol->has_body || covers(comps, (size_t)in_m->inner->nelts, "content-digest"))
        && (rv = mez_content_digest_verify(p, field_value(p, req, "content-digest"),
                                           pol->has_body ? pol->body : NULL, pol->has_body ? pol->body_len : 0,
                                           pb)) != MEZ_OK)
        return rv;
    /* Only now, to a proven peer, is it worth saying which names this zone answers to. */
    if (pol->nauthorities) {
        const char *names = NULL;
        for (size_t j = 0; j < pol->nauthorities; j++) {
            if (mez_httpsig_authority_same(req->scheme, req->authority, pol->authorities[j]))
                break;
            names = names ? apr_pstrcat(p, names, ", ", pol->authorities[j], NULL) : pol->authorities[j];
            if (j + 1 == pol->nauthorities) {
                *out = v;       /* a verified signature: the caller keeps the refusal as evidence */
                return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.wrong_authority", "/headers/host",
                                   "the request was signed for %s, which is not a name of this zone (%s): a "
                                   "request meant for another zone is not accepted here",
                                   req->authority ? req->authority : "(no Host)", names);
            }
        }
    }
    *out = v;
    return MEZ_OK;
}

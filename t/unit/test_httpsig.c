/* test_httpsig.c: CUnit suite for libmezcore's httpsig area: RFC 9421 HTTP Message Signatures (Ed25519) and
 * RFC 9530 Content-Digest. Reproduces RFC 9421 Appendix B.2.6 ("Signing a Request Using ed25519") with the
 * test key of Appendix B.1.4 and the request of Appendix B.2, and the sha-256 / sha-512 digests RFC 9530 gives for
 * the body {"hello": "world"}; then checks every refusal the zone-to-zone receiver relies on. */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/httpsig.h"
#include "mez/key.h"
#include "unit.h"

/* RFC 9421 B.1.4 test-key-ed25519: the private key "d" and public key "x" of its JWK, in hex. */
static const char B14_SEED_HEX[] = "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";
static const char B14_PUB_HEX[] = "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb";

/* RFC 9421 B.2: the example request's body and its RFC 9530 digests. */
static const char RFC_BODY[] = "{\"hello\": \"world\"}";
static const char RFC_SHA256[] = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
static const char RFC_SHA512[] =
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

/* RFC 9421 B.2.6: signature base, Signature-Input and Signature, as printed there. */
static const char B26_BASE[] =
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
    "\"@method\": POST\n"
    "\"@path\": /foo\n"
    "\"@authority\": example.com\n"
    "\"content-type\": application/json\n"
    "\"content-length\": 18\n"
    "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")"
    ";created=1618884473;keyid=\"test-key-ed25519\"";
static const char B26_INPUT[] =
    "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")"
    ";created=1618884473;keyid=\"test-key-ed25519\"";
static const char B26_SIGNATURE[] =
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
static const long long B26_CREATED = 1618884473;

static void hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

/* A request with room for the signature fields to be appended. */
typedef struct {
    mez_httpsig_request_t req;
    mez_httpsig_field_t fields[12];
} req_buf_t;

static void add_field(req_buf_t *r, const char *name, const char *value)
{
    CU_ASSERT_FATAL(r->req.nfields < sizeof r->fields / sizeof *r->fields);
    r->fields[r->req.nfields].name = name;
    r->fields[r->req.nfields].value = value;
    r->req.nfields++;
    r->req.fields = r->fields;
}

/* RFC 9421 B.2 "test-request". */
static void rfc_request(req_buf_t *r)
{
    memset(r, 0, sizeof *r);
    r->req.method = "POST";
    r->req.target_uri = "https://example.com/foo?param=Value&Pet=dog";
    r->req.scheme = "https";
    r->req.authority = "example.com";
    r->req.path = "/foo";
    r->req.query = "?param=Value&Pet=dog";
    add_field(r, "host", "example.com");
    add_field(r, "date", "Tue, 20 Apr 2021 02:07:55 GMT");
    add_field(r, "content-type", "application/json");
    add_field(r, "content-digest", RFC_SHA512);
    add_field(r, "content-length", "18");
}

static const char *const B26_COMPONENTS[] = { "date", "@method", "@path", "@authority", "content-type",
                                              "content-length" };

static void b26_params(mez_httpsig_params_t *ps)
{
    memset(ps, 0, sizeof *ps);
    ps->components = B26_COMPONENTS;
    ps->ncomponents = sizeof B26_COMPONENTS / sizeof *B26_COMPONENTS;
    ps->has_created = 1;
    ps->created = B26_CREATED;
    ps->keyid = "test-key-ed25519";
}

static void test_rfc9421_b26_sign(void)
{
    apr_pool_t *p = unit_pool();
    unsigned char seed[32], pub[32], want_pub[32];
    mez_key_t *key;
    mez_problem_t pb = { 0 };
    mez_httpsig_params_t ps;
    req_buf_t r;
    const char *base, *input, *sig;

    hex_to_bytes(B14_SEED_HEX, seed, 32);
    hex_to_bytes(B14_PUB_HEX, want_pub, 32);
    CU_ASSERT_EQUAL_FATAL(mez_key_from_seed(p, seed, &key, &pb), MEZ_OK);
    mez_key_public_bytes(key, pub);
    CU_ASSERT_EQUAL(memcmp(pub, want_pub, 32), 0);

    rfc_request(&r);
    b26_params(&ps);
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_base(p, &r.req, &ps, &base, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(base, B26_BASE);
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_sign(p, key, "sig-b26", &r.req, &ps, &input, &sig, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(input, B26_INPUT);
    CU_ASSERT_STRING_EQUAL(sig, B26_SIGNATURE);
}

/* The RFC's own Signature-Input / Signature verify with the B.1.4 public key alone. */
static void test_rfc9421_b26_verify(void)
{
    apr_pool_t *p = unit_pool();
    unsigned char pub[32];
    mez_key_t *peer;
    mez_problem_t pb = { 0 };
    mez_httpsig_policy_t pol = { "sig-b26", B26_CREATED + 10, 300, 0, NULL, 0, NULL, 0 };
    mez_httpsig_verified_t v;
    req_buf_t r;

    hex_to_bytes(B14_PUB_HEX, pub, 32);
    CU_ASSERT_EQUAL_FATAL(mez_key_from_public(p, pub, &peer, &pb), MEZ_OK);
    rfc_request(&r);
    add_field(&r, "signature-input", B26_INPUT);
    add_field(&r, "signature", B26_SIGNATURE);
    /* B.2.6 does not cover the test request's query, and mez refuses a query the signature does not bind (one could
     * be added to a request signed without it): the request goes without it; the signature base is the same. */
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, peer, &r.req, &pol, &v, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.not_covered");
    r.req.query = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_verify(p, peer, &r.req, &pol, &v, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v.label, "sig-b26");
    CU_ASSERT_STRING_EQUAL(v.keyid, "test-key-ed25519");
    CU_ASSERT_PTR_NULL(v.nonce);
    CU_ASSERT_EQUAL(v.created, B26_CREATED);
    CU_ASSERT_FALSE(v.has_expires);

    /* Without a label the only signature is taken. */
    pol.label = NULL;
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, peer, &r.req, &pol, &v, &pb), MEZ_OK);

    /* B.2.6 does not cover content-digest: mez refuses it for a request with a body. */
    pol.has_body = 1;
    pol.body = RFC_BODY;
    pol.body_len = strlen(RFC_BODY);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, peer, &r.req, &pol, &v, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.not_covered");
    CU_ASSERT_EQUAL(pb.status, 401);

    /* A label that is not there. */
    pol.has_body = 0;
    pol.label = "mez";
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, peer, &r.req, &pol, &v, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.missing");
}

/* The other derived components on the RFC 9421 B.2 request, checked by hand against RFC 9421 §2.2. */
static void test_derived_components(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_httpsig_params_t ps;
    req_buf_t r;
    const char *base;
    static const char *const comps[] = { "@target-uri", "@scheme", "@request-target", "@query", "host" };
    static const char *const unknown[] = { "@status" };

    rfc_request(&r);
    memset(&ps, 0, sizeof ps);
    ps.components = comps;
    ps.ncomponents = 5;
    r.req.scheme = "HTTPS";
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_base(p, &r.req, &ps, &base, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(base, "\"@target-uri\": https://example.com/foo?param=Value&Pet=dog\n"
                                 "\"@scheme\": https\n"
                                 "\"@request-target\": /foo?param=Value&Pet=dog\n"
                                 "\"@query\": ?param=Value&Pet=dog\n"
                                 "\"host\": example.com\n"
                                 "\"@signature-params\": (\"@target-uri\" \"@scheme\" \"@request-target\" "
                                 "\"@query\" \"host\")");
    /* an empty query is "?", an empty path "/" */
    r.req.query = "";
    r.req.path = "";
    ps.ncomponents = 4;
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_base(p, &r.req, &ps, &base, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(base, "\"@request-target\": /\n\"@query\": ?\n"));
    /* a derived component without a source, and one mez does not know */
    r.req.target_uri = NULL;
    CU_ASSERT_EQUAL(mez_httpsig_base(p, &r.req, &ps, &base, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.component_missing");
    ps.components = unknown;
    ps.ncomponents = 1;
    CU_ASSERT_EQUAL(mez_httpsig_base(p, &r.req, &ps, &base, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.unsupported_component");
}

static void test_rfc9530_digests(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    size_t n = strlen(RFC_BODY);

    CU_ASSERT_STRING_EQUAL(mez_content_digest(p, RFC_BODY, n), RFC_SHA256);
    CU_ASSERT_EQUAL(mez_content_digest_verify(p, RFC_SHA256, RFC_BODY, n, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_content_digest_verify(p, RFC_SHA512, RFC_BODY, n, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_content_digest_verify(p, apr_pstrcat(p, RFC_SHA512, ", ", RFC_SHA256, NULL), RFC_BODY, n,
                                              &pb),
                    MEZ_OK);
    /* An unknown algorithm next to a known one is ignored. */
    CU_ASSERT_EQUAL(mez_content_digest_verify(p, apr_pstrcat(p, "md5=:AAAAAAAAAAAAAAAAAAAAAA==:, ", RFC_SHA256, NULL),
                                              RFC_BODY, n, &pb),
                    MEZ_OK);
    /* The empty body has the well-known SHA-256 of "". */
    CU_ASSERT_STRING_EQUAL(mez_content_digest(p, "", 0), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
}

static void expect_digest_refusal(const char *field, const char *body, const char *code, int status)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_content_digest_verify(p, field, body, body ? strlen(body) : 0, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_EQUAL(pb.status, status);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/headers/content-digest");
}

static void test_digest_refusals(void)
{
    apr_pool_t *p = unit_pool();
    /* tampered body */
    expect_digest_refusal(RFC_SHA256, "{\"hello\": \"world!\"}", "digest.mismatch", 401);
    expect_digest_refusal(RFC_SHA512, "{\"hello\":\"world\"}", "digest.mismatch", 401);
    /* one right and one wrong digest is still wrong */
    expect_digest_refusal(apr_pstrcat(p, RFC_SHA256, ", sha-512=:AAAA:", NULL), RFC_BODY, "digest.mismatch", 401);
    expect_digest_refusal("md5=:AAAAAAAAAAAAAAAAAAAAAA==:", RFC_BODY, "digest.unknown_algorithm", 401);
    expect_digest_refusal(NULL, RFC_BODY, "digest.missing", 401);
    expect_digest_refusal("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE", RFC_BODY, "digest.malformed", 400);
    expect_digest_refusal("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:", RFC_BODY, "digest.malformed",
                          400);
    expect_digest_refusal(apr_pstrcat(p, RFC_SHA256, ", ", RFC_SHA256, NULL), RFC_BODY, "digest.malformed", 400);
    expect_digest_refusal("", RFC_BODY, "digest.malformed", 400);
}

/* ------------------------------------------------------------------ mez's own profile */

static const char MEZ_BODY[] = "{\"receipt\":{\"seq\":7}}";
static const long long NOW = 1764000000;

static const char *const MEZ_COMPONENTS[] = { "@method", "@authority", "@path", "@query", "content-digest",
                                              "content-type" };

typedef struct {
    mez_key_t *key, *peer;
    req_buf_t r;
    mez_httpsig_params_t ps;
    mez_httpsig_policy_t pol;
} fixture_t;

static void zone_request(fixture_t *f, const char *body)
{
    apr_pool_t *p = unit_pool();
    memset(&f->r, 0, sizeof f->r);
    f->r.req.method = "POST";
    f->r.req.target_uri = "https://zone-b.example/v1/corridors/c1/receipts";
    f->r.req.scheme = "https";
    f->r.req.authority = "Zone-B.example";
    f->r.req.path = "/v1/corridors/c1/receipts";
    f->r.req.query = NULL;
    add_field(&f->r, "content-type", "application/json");
    add_field(&f->r, "content-digest", mez_content_digest(p, body, strlen(body)));
}

static void fixture(fixture_t *f)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    unsigned char pub[32];
    memset(f, 0, sizeof *f);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &f->key, &pb), MEZ_OK);
    mez_key_public_bytes(f->key, pub);
    CU_ASSERT_EQUAL_FATAL(mez_key_from_public(p, pub, &f->peer, &pb), MEZ_OK);
    zone_request(f, MEZ_BODY);
    f->ps.components = MEZ_COMPONENTS;
    f->ps.ncomponents = sizeof MEZ_COMPONENTS / sizeof *MEZ_COMPONENTS;
    f->ps.has_created = 1;
    f->ps.created = NOW;
    f->ps.nonce = "n-0123456789abcdef";
    f->ps.alg = MEZ_HTTPSIG_ALG;
    f->ps.keyid = "did:key:z6MkZoneA#key-1";
    f->pol.label = "mez";
    f->pol.now = NOW + 5;
    f->pol.skew = 300;
    f->pol.has_body = 1;
    f->pol.body = MEZ_BODY;
    f->pol.body_len = strlen(MEZ_BODY);
}

static void sign_into(fixture_t *f)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *in, *sig;
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_sign(p, f->key, "mez", &f->r.req, &f->ps, &in, &sig, &pb), MEZ_OK);
    add_field(&f->r, "signature-input", in);
    add_field(&f->r, "signature", sig);
}

static void expect_refusal(fixture_t *f, const char *code, int status)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_httpsig_verified_t v;
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f->peer, &f->r.req, &f->pol, &v, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code))
        fprintf(stderr, "\nexpected %s, got %s: %s\n", code, pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_EQUAL(pb.status, status);
    if (!strcmp(code, "httpsig.wrong_authority"))
        CU_ASSERT_EQUAL(v.signature_len, 64)   /* verified, for another zone: reported, to be kept as evidence */
    else
        CU_ASSERT_PTR_NULL(v.label); /* nothing is reported for a refused signature */
}

static void set_field(fixture_t *f, const char *name, const char *value)
{
    for (size_t j = 0; j < f->r.req.nfields; j++)
        if (!strcmp(f->r.fields[j].name, name)) {
            f->r.fields[j].value = value;
            return;
        }
    CU_FAIL("no such field");
}

static void test_round_trip(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    mez_problem_t pb = { 0 };
    mez_httpsig_verified_t v;
    const char *base;

    fixture(&f);
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_base(p, &f.r.req, &f.ps, &base, &pb), MEZ_OK);
    /* authority is lower-cased and an absent query is "?" (RFC 9421 §2.2.3, §2.2.7) */
    CU_ASSERT_STRING_EQUAL(
        base, apr_pstrcat(p, "\"@method\": POST\n\"@authority\": zone-b.example\n"
                             "\"@path\": /v1/corridors/c1/receipts\n\"@query\": ?\n\"content-digest\": ",
                          mez_content_digest(p, MEZ_BODY, strlen(MEZ_BODY)),
                          "\n\"content-type\": application/json\n"
                          "\"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"@query\" "
                          "\"content-digest\" \"content-type\");created=1764000000;nonce=\"n-0123456789abcdef\";"
                          "alg=\"ed25519\";keyid=\"did:key:z6MkZoneA#key-1\"",
                          NULL));
    sign_into(&f);
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v.label, "mez");
    CU_ASSERT_STRING_EQUAL(v.nonce, "n-0123456789abcdef");
    CU_ASSERT_STRING_EQUAL(v.keyid, "did:key:z6MkZoneA#key-1");
    CU_ASSERT_EQUAL(v.created, NOW);
    CU_ASSERT_EQUAL_FATAL(v.signature_len, 64);
    CU_ASSERT_TRUE(v.covers_content_digest);
    {
        /* Other members, a parameter, spaces: the same signature, the same bytes reported (what a zone keys its
         * evidence of a resent request on, mez_peer_refusal_keep). */
        const unsigned char *first = v.signature;
        const char *sig = NULL;
        for (size_t j = 0; j < f.r.req.nfields; j++)
            if (!strcmp(f.r.fields[j].name, "signature"))
                sig = f.r.fields[j].value;
        CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
        set_field(&f, "signature", apr_pstrcat(p, sig, ",  other=:AAAA:", NULL));
        CU_ASSERT_EQUAL_FATAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(memcmp(v.signature, first, 64), 0);
        set_field(&f, "signature", apr_pstrcat(p, sig, ";x=1", NULL));
        CU_ASSERT_EQUAL_FATAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(memcmp(v.signature, first, 64), 0);
        set_field(&f, "signature", sig);
    }
    /* edges of the window are inside it */
    f.pol.now = NOW + 300;
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
    f.pol.now = NOW - 300;
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
}

/* MezPublicAuthority: the zone's own names, and a request signed for another zone refused after its signature. */
static void test_authority(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    mez_problem_t pb = { 0 };
    mez_httpsig_verified_t v;
    static const char *const mine[] = { "zone-a.example", "zone-b.example:443" };
    static const char *const theirs[] = { "zone-a.example", "127.0.0.1:8443" };
    static const char *const good[] = { "zone.example", "zone.example:8443", "127.0.0.1:1", "[::1]:443",
                                        "[2001:db8::1]", "zone_b.internal:65535", "Zone.Example" };
    static const char *const bad[] = { "", "https://zone.example", "zone.example/", "zone.example:", ":443",
                                       "zone.example:0", "zone.example:65536", "zone.example:443x",
                                       "user@zone.example", "zone..example", ".zone.example", "::1",
                                       "[::1", "zone example", "zone.example:123456" };
    static const char *const no_authority[] = { "@method", "@path", "content-digest" };

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CU_ASSERT_TRUE(mez_httpsig_authority_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (mez_httpsig_authority_valid(bad[i]))
            CU_FAIL(apr_pstrcat(p, "accepted as an authority: ", bad[i], NULL));
    CU_ASSERT_FALSE(mez_httpsig_authority_valid(NULL));
    /* no case; the scheme's default port the same as none; any other port not */
    CU_ASSERT_TRUE(mez_httpsig_authority_same("https", "Zone-B.example", "zone-b.example:443"));
    CU_ASSERT_TRUE(mez_httpsig_authority_same("http", "zone-b.example:80", "ZONE-B.EXAMPLE"));
    CU_ASSERT_FALSE(mez_httpsig_authority_same("http", "zone-b.example:443", "zone-b.example"));
    CU_ASSERT_FALSE(mez_httpsig_authority_same("https", "zone-b.example:8443", "zone-b.example"));
    CU_ASSERT_FALSE(mez_httpsig_authority_same("https", "zone-b.example", "zone-b.example.org"));
    CU_ASSERT_TRUE(mez_httpsig_authority_same("https", "[::1]", "[::1]:443"));
    CU_ASSERT_FALSE(mez_httpsig_authority_same("https", "[::1]", "[::2]"));
    CU_ASSERT_FALSE(mez_httpsig_authority_same("https", NULL, "zone-b.example"));

    /* one of the zone's names (Zone-B.example over https is zone-b.example:443) */
    fixture(&f);
    sign_into(&f);
    f.pol.authorities = mine;
    f.pol.nauthorities = 2;
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v.nonce, "n-0123456789abcdef");
    /* signed for zone-b, arriving at a zone with other names: the signature is good, the request not for it */
    fixture(&f);
    sign_into(&f);
    f.pol.authorities = theirs;
    f.pol.nauthorities = 2;
    expect_refusal(&f, "httpsig.wrong_authority", 401);
    memset(&pb, 0, sizeof pb);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/headers/host");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "Zone-B.example"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "zone-a.example, 127.0.0.1:8443"));
    /* a bad signature is said to be bad before anything about names: strangers learn none */
    fixture(&f);
    sign_into(&f);
    f.r.req.method = "PUT";
    f.pol.authorities = theirs;
    f.pol.nauthorities = 2;
    expect_refusal(&f, "httpsig.bad_signature", 401);
    /* a signature that does not bind the authority is not enough once the zone names its own */
    fixture(&f);
    f.ps.components = no_authority;
    f.ps.ncomponents = 3;
    sign_into(&f);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
    f.pol.authorities = mine;
    f.pol.nauthorities = 2;
    expect_refusal(&f, "httpsig.not_covered", 401);
}

static void test_tampered(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    const char *other = "{\"receipt\":{\"seq\":8}}";

    /* a covered header changed in transit */
    fixture(&f);
    sign_into(&f);
    set_field(&f, "content-type", "text/plain");
    expect_refusal(&f, "httpsig.bad_signature", 401);
    /* the method, the path */
    fixture(&f);
    sign_into(&f);
    f.r.req.method = "PUT";
    expect_refusal(&f, "httpsig.bad_signature", 401);
    fixture(&f);
    sign_into(&f);
    f.r.req.path = "/v1/corridors/c2/receipts";
    expect_refusal(&f, "httpsig.bad_signature", 401);
    /* the body changed but not its digest */
    fixture(&f);
    sign_into(&f);
    f.pol.body = other;
    f.pol.body_len = strlen(other);
    expect_refusal(&f, "digest.mismatch", 401);
    /* the body changed and the digest recomputed: the signature no longer matches */
    fixture(&f);
    sign_into(&f);
    set_field(&f, "content-digest", mez_content_digest(p, other, strlen(other)));
    f.pol.body = other;
    f.pol.body_len = strlen(other);
    expect_refusal(&f, "httpsig.bad_signature", 401);
    /* a parameter changed (the nonce, to dodge a replay cache) */
    fixture(&f);
    sign_into(&f);
    set_field(&f, "signature-input",
              apr_pstrcat(p, "mez=(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" "
                             "\"content-type\");created=1764000000;nonce=\"n-other\";alg=\"ed25519\";"
                             "keyid=\"did:key:z6MkZoneA#key-1\"",
                          NULL));
    expect_refusal(&f, "httpsig.bad_signature", 401);
    /* another key */
    fixture(&f);
    sign_into(&f);
    {
        fixture_t g;
        fixture(&g);
        f.peer = g.peer;
    }
    expect_refusal(&f, "httpsig.bad_signature", 401);
}

/* A request without a body may still cover content-digest (of the empty body); it is checked all the same. */
static void test_no_body(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    mez_problem_t pb = { 0 };
    mez_httpsig_verified_t v;

    fixture(&f);
    zone_request(&f, "");
    f.r.req.method = "GET";
    f.pol.has_body = 0;
    f.pol.body = NULL;
    f.pol.body_len = 0;
    sign_into(&f);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);

    /* signed with the digest of a body the receiver did not get */
    fixture(&f);
    f.r.req.method = "GET";
    f.pol.has_body = 0;
    sign_into(&f);
    expect_refusal(&f, "digest.mismatch", 401);
}

static void test_stale(void)
{
    fixture_t f;
    fixture(&f);
    sign_into(&f);
    f.pol.now = NOW + 301;
    expect_refusal(&f, "httpsig.stale", 401);
    f.pol.now = NOW - 301; /* created in the future beyond the skew */
    expect_refusal(&f, "httpsig.stale", 401);

    fixture(&f);
    f.ps.has_expires = 1;
    f.ps.expires = NOW + 2;
    sign_into(&f);
    f.pol.now = NOW + 3;
    expect_refusal(&f, "httpsig.stale", 401);
    f.pol.now = NOW + 2;
    {
        apr_pool_t *p = unit_pool();
        mez_problem_t pb = { 0 };
        mez_httpsig_verified_t v;
        CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
        CU_ASSERT(v.has_expires);
        CU_ASSERT_EQUAL(v.expires, NOW + 2);
    }
}

static void test_not_covered(void)
{
    fixture_t f;
    static const char *const no_digest[] = { "@method", "@authority", "@path", "content-type" };
    static const char *const no_path[] = { "@method", "@authority", "content-digest" };
    static const char *const no_method[] = { "@path", "content-digest" };

    fixture(&f);
    f.ps.components = no_digest;
    f.ps.ncomponents = 4;
    sign_into(&f);
    expect_refusal(&f, "httpsig.not_covered", 401);

    fixture(&f);
    f.ps.components = no_path;
    f.ps.ncomponents = 3;
    sign_into(&f);
    expect_refusal(&f, "httpsig.not_covered", 401);

    fixture(&f);
    f.ps.components = no_method;
    f.ps.ncomponents = 2;
    sign_into(&f);
    expect_refusal(&f, "httpsig.not_covered", 401);

    fixture(&f);
    f.ps.has_created = 0;
    sign_into(&f);
    expect_refusal(&f, "httpsig.not_covered", 401);

    /* a query added to a request signed without one (the fixture's components cover no @query) */
    {
        static const char *const no_query[] = { "@method", "@authority", "@path", "content-digest" };
        fixture(&f);
        f.ps.components = no_query;
        f.ps.ncomponents = 4;
        sign_into(&f);
        f.r.req.query = "?after=0";
        expect_refusal(&f, "httpsig.not_covered", 401);
    }

    /* a covered header that the received request lacks */
    fixture(&f);
    sign_into(&f);
    set_field(&f, "content-type", NULL);
    expect_refusal(&f, "httpsig.component_missing", 401);
}

static void test_missing_and_malformed(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    const char *good_sig;
    static const char *const bad_inputs[] = {
        "mez=(\"@method\" \"@path\" \"content-digest\";created=1764000000",  /* unterminated inner list */
        "mez=(\"@method\"\"@path\");created=1764000000",                     /* no space between items */
        "Mez=(\"@method\" \"@path\");created=1764000000",                    /* upper-case key */
        "mez=(\"@method\" \"@path\");created=1764000000,",                   /* trailing comma */
        "mez=(\"@method\" \"@path\");created=1.5",                           /* decimal */
        "mez=(\"@method\" \"@path\");created=1764000000;created=1764000001", /* duplicate parameter */
        "mez=(\"@method\" \"@path\");created=\"1764000000\"",                /* created as a string */
        "mez=(@method @path);created=1764000000",                            /* tokens, not strings */
        "mez",                                                               /* bare key */
        "mez=(\"@method\" \"@path\");created=1764000000, mez=(\"@path\")",   /* duplicate member */
        "mez=(\"@method\" \"@path\" \"@method\");created=1764000000",        /* component twice */
        "mez=(\"@method\" \"@path\" \"Content-Type\");created=1764000000",   /* upper-case field name */
    };

    fixture(&f);
    sign_into(&f);
    good_sig = f.r.fields[f.r.req.nfields - 1].value;
    for (size_t j = 0; j < sizeof bad_inputs / sizeof *bad_inputs; j++) {
        fixture(&f);
        add_field(&f.r, "signature-input", bad_inputs[j]);
        add_field(&f.r, "signature", good_sig);
        expect_refusal(&f, "httpsig.malformed", 400);
    }
    /* Signature itself malformed: not base64, not a byte sequence */
    fixture(&f);
    sign_into(&f);
    set_field(&f, "signature", "mez=:not base64!:");
    expect_refusal(&f, "httpsig.malformed", 400);
    set_field(&f, "signature", "mez=\"abc\"");
    expect_refusal(&f, "httpsig.malformed", 400);
    /* a truncated signature is well-formed but does not verify */
    set_field(&f, "signature", "mez=:AAAA:");
    expect_refusal(&f, "httpsig.bad_signature", 401);

    /* unsigned request; only one of the two fields */
    fixture(&f);
    expect_refusal(&f, "httpsig.missing", 401);
    add_field(&f.r, "signature", good_sig);
    expect_refusal(&f, "httpsig.missing", 401);
    fixture(&f);
    sign_into(&f);
    set_field(&f, "signature", apr_pstrcat(p, "other=", strchr(good_sig, ':'), NULL));
    expect_refusal(&f, "httpsig.missing", 401);

    /* component parameters (;sf, ;req ...) are refused, not silently ignored */
    fixture(&f);
    add_field(&f.r, "signature-input", "mez=(\"@method\" \"@path\" \"content-digest\";sf);created=1764000000");
    add_field(&f.r, "signature", good_sig);
    expect_refusal(&f, "httpsig.unsupported_component", 400);
}

static void test_algorithm(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    mez_problem_t pb = { 0 };
    const char *in, *sig, *good_sig;

    fixture(&f);
    sign_into(&f);
    good_sig = f.r.fields[f.r.req.nfields - 1].value;
    fixture(&f);
    add_field(&f.r, "signature-input",
              "mez=(\"@method\" \"@path\" \"content-digest\");created=1764000000;alg=\"rsa-pss-sha512\"");
    add_field(&f.r, "signature", good_sig);
    expect_refusal(&f, "httpsig.unknown_algorithm", 401);

    fixture(&f);
    f.ps.alg = "hmac-sha256";
    CU_ASSERT_EQUAL(mez_httpsig_sign(p, f.key, "mez", &f.r.req, &f.ps, &in, &sig, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.unknown_algorithm");
    CU_ASSERT_EQUAL(mez_httpsig_sign(p, f.key, "Bad Label", &f.r.req, &f.ps, &in, &sig, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.malformed");
}

/* Values that could forge a base line, and string escaping of parameters. */
static void test_base_hygiene(void)
{
    apr_pool_t *p = unit_pool();
    fixture_t f;
    mez_problem_t pb = { 0 };
    mez_httpsig_verified_t v;
    const char *base;

    fixture(&f);
    set_field(&f, "content-type", "application/json\n\"@method\": GET");
    CU_ASSERT_EQUAL(mez_httpsig_base(p, &f.r.req, &f.ps, &base, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.malformed");

    /* a field given twice is joined with ", " after trimming (RFC 9421 §2.1) */
    fixture(&f);
    set_field(&f, "content-type", "  application/json ");
    add_field(&f.r, "content-type", "charset=utf-8");
    f.ps.keyid = "a\"b\\c";
    CU_ASSERT_EQUAL_FATAL(mez_httpsig_base(p, &f.r.req, &f.ps, &base, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(base, "\n\"content-type\": application/json, charset=utf-8\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(base, ";keyid=\"a\\\"b\\\\c\""));
    sign_into(&f);
    CU_ASSERT_EQUAL(mez_httpsig_verify(p, f.peer, &f.r.req, &f.pol, &v, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v.keyid, "a\"b\\c");

    /* a non-ASCII parameter has no structured-field form */
    fixture(&f);
    f.ps.nonce = "n\xc3\xa9";
    CU_ASSERT_EQUAL(mez_httpsig_base(p, &f.r.req, &f.ps, &base, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.malformed");
}

void unit_register_httpsig(void)
{
    CU_pSuite s = unit_suite("httpsig");
    CU_add_test(s, "RFC 9421 B.2.6: ed25519 signature base, Signature-Input, Signature", test_rfc9421_b26_sign);
    CU_add_test(s, "RFC 9421 B.2.6: the RFC's signature verifies with the B.1.4 public key",
                test_rfc9421_b26_verify);
    CU_add_test(s, "derived components @target-uri @scheme @request-target @query", test_derived_components);
    CU_add_test(s, "RFC 9530: sha-256 and sha-512 Content-Digest of the example body", test_rfc9530_digests);
    CU_add_test(s, "Content-Digest refusals: mismatch, unknown only, missing, malformed", test_digest_refusals);
    CU_add_test(s, "mez profile: sign/verify round trip, nonce and keyid returned", test_round_trip);
    CU_add_test(s, "MezPublicAuthority: the zone's names; signed for another zone refused", test_authority);
    CU_add_test(s, "tampered header, method, path, body, parameter, wrong key", test_tampered);
    CU_add_test(s, "no body: a covered content-digest is still checked", test_no_body);
    CU_add_test(s, "created outside the window, expires passed", test_stale);
    CU_add_test(s, "required components and created must be covered", test_not_covered);
    CU_add_test(s, "missing and malformed Signature-Input / Signature", test_missing_and_malformed);
    CU_add_test(s, "only ed25519 is signed or accepted", test_algorithm);
    CU_add_test(s, "base lines cannot be forged; fields joined; strings escaped", test_base_hygiene);
}

/* test_provision.c: CUnit suite for mez_provision_check (mez/provision.h), the checks `mez deploy` and
 * POST /admin/zones share: each refusal's code and pointer, the details named for the API or for deploy's
 * options, the defaults, and the request document two requests are compared by. It reads the source tree's
 * profiles/ and packs/ (beside MEZ_SQL_SOURCE), the content a deploy provisions from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/provision.h"
#include "unit.h"

/* The source tree: MEZ_SQL_SOURCE is <src>/sql. */
static const char *src_path(const char *rel)
{
    const char *sql = getenv("MEZ_SQL_SOURCE");
    return apr_pstrcat(unit_pool(), sql && *sql ? sql : "sql", "/../", rel, NULL);
}

static mez_provision_env_t env_of(int cli)
{
    mez_provision_env_t env = { 0 };
    env.profile_dir = src_path("profiles");
    env.packs_dir = src_path("packs");
    env.cli = cli;
    return env;
}

static json_t *req(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *doc = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &doc, &pb), MEZ_OK);
    return doc;
}

/* Expects a refusal with code and pointer; returns its detail. */
static const char *refused(const char *text, const mez_provision_env_t *env, const char *code, const char *pointer)
{
    mez_problem_t pb = { 0 };
    mez_provision_t out;
    mez_status_t rv = mez_provision_check(unit_pool(), req(text), env, &out, &pb);
    CU_ASSERT_EQUAL(rv, MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code) || strcmp(pb.pointer ? pb.pointer : "", pointer))
        fprintf(stderr, "\n%s: got %s at %s (%s), expected %s at %s\n", text, pb.code, pb.pointer, pb.detail, code,
                pointer);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", pointer);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.detail);
    return pb.detail;
}

static void test_accepts_with_defaults(void)
{
    mez_provision_env_t env = env_of(0);
    mez_problem_t pb = { 0 };
    mez_provision_t out;
    const char *canon;
    CU_ASSERT_EQUAL_FATAL(mez_provision_check(unit_pool(), req("{\"jurisdiction\":\"ae-adgm\","
                                                                "\"profile\":\"digital-financial-center\"}"),
                                              &env, &out, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(out.zone_id, "ae-adgm");
    CU_ASSERT_STRING_EQUAL(out.mass_api, "sovereign");
    CU_ASSERT_STRING_EQUAL(out.listen, "127.0.0.1:8080");
    CU_ASSERT_STRING_EQUAL(out.listen_host, "127.0.0.1");
    CU_ASSERT_EQUAL(out.listen_port, 8080);
    CU_ASSERT_STRING_EQUAL(out.server_name, "ae-adgm.localhost");
    CU_ASSERT_STRING_EQUAL(out.db_driver, "sqlite3");
    CU_ASSERT_STRING_EQUAL(out.mode, "development");
    CU_ASSERT_PTR_NOT_NULL(strstr(out.src_dir, "/packs/"));
    CU_ASSERT_EQUAL(out.corridors->nelts, 0);
    /* The request document carries every default: the same request, spelled out or not, compares equal. */
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), mez_json_pool_own(unit_pool(),
                                                mez_provision_request_json(&out)), &canon, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(canon, "{\"corridors\":[],\"database\":\"sqlite\",\"jurisdiction\":\"ae-adgm\","
                                  "\"listen\":\"127.0.0.1:8080\",\"mass_api\":\"sovereign\",\"mode\":\"development\","
                                  "\"profile\":\"digital-financial-center\",\"server_name\":\"ae-adgm.localhost\"}");
    CU_ASSERT_EQUAL_FATAL(mez_provision_check(unit_pool(), req("{\"jurisdiction\":\"ae-adgm\",\"profile\":"
        "\"digital-financial-center\",\"database\":\"postgresql://mez@db.example:6432/mez_ae\",\"mass_api\":"
        "\"https://mass.example/mass\",\"mode\":\"production\",\"listen\":\"0.0.0.0:443\"}"), &env, &out, &pb),
        MEZ_OK);
    CU_ASSERT_STRING_EQUAL(out.db_driver, "pgsql");
    CU_ASSERT_STRING_EQUAL(out.db_user, "mez");
    CU_ASSERT_STRING_EQUAL(out.db_host, "db.example");
    CU_ASSERT_STRING_EQUAL(out.db_port, "6432");
    CU_ASSERT_STRING_EQUAL(out.db_name, "mez_ae");
    CU_ASSERT_EQUAL(out.public_authority->nelts, 0);
    /* A local sidecar over plain http is what httpd accepts in production too. */
    CU_ASSERT_EQUAL(mez_provision_check(unit_pool(), req("{\"jurisdiction\":\"ae-adgm\",\"profile\":"
        "\"digital-financial-center\",\"mass_api\":\"http://127.0.0.1:8081/mass\",\"mode\":\"production\"}"),
        &env, &out, &pb), MEZ_OK);
    /* The names in front of the zone, kept in the request document as given. */
    CU_ASSERT_EQUAL_FATAL(mez_provision_check(unit_pool(), req("{\"jurisdiction\":\"ae-adgm\",\"profile\":"
        "\"digital-financial-center\",\"public_authority\":[\"ae.zones.example\",\"[2001:db8::7]:8443\"]}"), &env,
        &out, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(out.public_authority->nelts, 2);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(out.public_authority, 1, const char *), "[2001:db8::7]:8443");
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), mez_json_pool_own(unit_pool(),
                                                mez_provision_request_json(&out)), &canon, NULL, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(canon, "\"public_authority\":[\"ae.zones.example\",\"[2001:db8::7]:8443\"]"));
}

static void test_refusals(void)
{
    mez_provision_env_t env = env_of(0);
    const char *d;
#define OK_ "\"jurisdiction\":\"ae-adgm\",\"profile\":\"digital-financial-center\""
    refused("{\"profile\":\"digital-financial-center\"}", &env, "provision.missing_field", "/jurisdiction");
    refused("{\"jurisdiction\":\"ae-adgm\"}", &env, "provision.missing_field", "/profile");
    refused("{\"jurisdiction\":\"AE\",\"profile\":\"digital-financial-center\"}", &env, "provision.invalid_field",
            "/jurisdiction");
    refused("{\"jurisdiction\":7,\"profile\":\"x\"}", &env, "provision.invalid_field", "/jurisdiction");
    d = refused("{\"jurisdiction\":\"ae-adgm\",\"profile\":\"no-such\"}", &env, "provision.unknown_profile",
                "/profile");
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "digital-financial-center"));   /* names the profiles there are */
    refused("{\"jurisdiction\":\"ae-adgm\",\"profile\":\"../profiles/charter-city\"}", &env,
            "provision.unknown_profile", "/profile");
    d = refused("{\"jurisdiction\":\"xx-none\",\"profile\":\"charter-city\"}", &env,
                "provision.unknown_jurisdiction", "/jurisdiction");
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "pk-sifc"));                    /* and the jurisdictions */
    refused("{\"jurisdiction\":\"ae-adgm\",\"profile\":\"charter-city\"}", &env, "provision.profile_mismatch",
            "/profile");
    refused("{" OK_ ",\"mode\":\"staging\"}", &env, "provision.invalid_field", "/mode");
    refused("{" OK_ ",\"mass_api\":\"mass.example\"}", &env, "provision.invalid_field", "/mass_api");
    refused("{" OK_ ",\"mass_api\":\"https://u:p@mass.example\"}", &env, "provision.invalid_field", "/mass_api");
    /* production sends the Mass token only where httpd would: https, or http to a loopback host */
    d = refused("{" OK_ ",\"mode\":\"production\",\"mass_api\":\"http://mass.example\"}", &env,
                "provision.invalid_field", "/mass_api");
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "only over https"));
    refused("{" OK_ ",\"mode\":\"production\",\"mass_api\":\"http://127.0.0.2:8081\"}", &env,
            "provision.invalid_field", "/mass_api");
    refused("{" OK_ ",\"listen\":\"8080\"}", &env, "provision.invalid_field", "/listen");
    refused("{" OK_ ",\"listen\":\":8080\"}", &env, "provision.invalid_field", "/listen");
    refused("{" OK_ ",\"listen\":\"127.0.0.1:0\"}", &env, "provision.invalid_field", "/listen");
    refused("{" OK_ ",\"listen\":\"127.0.0.1:80x\"}", &env, "provision.invalid_field", "/listen");
    refused("{" OK_ ",\"listen\":\"a b:80\"}", &env, "provision.invalid_field", "/listen");
    refused("{" OK_ ",\"server_name\":\"-x.example\"}", &env, "provision.invalid_field", "/server_name");
    refused("{" OK_ ",\"server_name\":\"x..example\"}", &env, "provision.invalid_field", "/server_name");
    refused("{" OK_ ",\"server_name\":\"\"}", &env, "provision.invalid_field", "/server_name");
    refused("{" OK_ ",\"database\":\"mysql://a@b/c\"}", &env, "provision.invalid_field", "/database");
    refused("{" OK_ ",\"database\":\"postgresql://a@b/\"}", &env, "provision.invalid_field", "/database");
    refused("{" OK_ ",\"database\":\"postgresql://a@b/Bad-Name\"}", &env, "provision.invalid_field", "/database");
    refused("{" OK_ ",\"database\":\"postgresql://a@b:x/c\"}", &env, "provision.invalid_field", "/database");
    refused("{" OK_ ",\"database\":\"postgresql://a b@h/c\"}", &env, "provision.invalid_field", "/database");
    d = refused("{" OK_ ",\"database\":\"postgresql://a:pw@b/c\"}", &env, "provision.database_password",
                "/database");
    CU_ASSERT_PTR_NULL(strstr(d, "pw@"));                             /* the password is not repeated */
    refused("{" OK_ ",\"corridors\":\"pk-sifc\"}", &env, "provision.invalid_field", "/corridors");
    refused("{" OK_ ",\"corridors\":[\"pk-sifc\",3]}", &env, "provision.invalid_field", "/corridors/1");
    refused("{" OK_ ",\"corridors\":[\"pk-sifc\"]}", &env, "provision.unknown_corridor", "/corridors/0");
    refused("{" OK_ ",\"public_authority\":\"lb.example\"}", &env, "provision.invalid_field", "/public_authority");
    refused("{" OK_ ",\"public_authority\":[\"lb.example\",\"lb.example/v1\"]}", &env, "provision.invalid_field",
            "/public_authority/1");
    refused("{" OK_ ",\"public_authority\":[\"lb.example:0\"]}", &env, "provision.invalid_field",
            "/public_authority/0");
    refused("{" OK_ ",\"public_authority\":[7]}", &env, "provision.invalid_field", "/public_authority/0");
    d = refused("{" OK_ ",\"public_authority\":[\"lb.example\",\"LB.EXAMPLE\"]}", &env, "provision.invalid_field",
                "/public_authority/1");
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "named twice"));
}

static void test_corridors_and_cli_words(void)
{
    mez_provision_env_t env = env_of(0), cli = env_of(1);
    mez_problem_t pb = { 0 };
    mez_provision_t out;
    mez_key_t *k;
    const char *dir = unit_tmpdir(), *d;
    char *peers, *broken;
    FILE *f;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &k, &pb), MEZ_OK);
    peers = apr_pstrcat(unit_pool(), dir, "/peers.json", NULL);
    broken = apr_pstrcat(unit_pool(), dir, "/broken.json", NULL);
    f = fopen(peers, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "{\"pk-sifc\":{\"url\":\"https://pk.example\",\"did\":\"%s\"},"
               "\"kz-aifc\":{\"url\":\"not a url\",\"did\":\"%s\"}}", mez_did_key(unit_pool(), k),
            mez_did_key(unit_pool(), k));
    fclose(f);
    f = fopen(broken, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("[1,2", f);
    fclose(f);
    env.peers_file = cli.peers_file = peers;
    CU_ASSERT_EQUAL_FATAL(mez_provision_check(unit_pool(), req("{" OK_ ",\"corridors\":[\"pk-sifc\"]}"), &env, &out,
                                              &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(out.corridors->nelts, 1);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(out.corridors, 0, mez_provision_peer_t).url, "https://pk.example");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(out.corridors, 0, mez_provision_peer_t).did, mez_did_key(unit_pool(), k));
    refused("{" OK_ ",\"corridors\":[\"pk-sifc\",\"xx-none\"]}", &env, "provision.unknown_corridor", "/corridors/1");
    refused("{" OK_ ",\"corridors\":[\"pk-sifc\",\"pk-sifc\"]}", &env, "provision.invalid_field", "/corridors/1");
    refused("{" OK_ ",\"corridors\":[\"ae-adgm\"]}", &env, "provision.unknown_corridor", "/corridors/0");
    refused("{" OK_ ",\"corridors\":[\"kz-aifc\"]}", &env, "provision.invalid_peers", "/corridors/0");
    env.peers_file = broken;
    refused("{" OK_ ",\"corridors\":[\"pk-sifc\"]}", &env, "provision.invalid_peers", "/corridors/0");
    /* The same refusal, worded for deploy's command line and for the API. */
    d = refused("{\"jurisdiction\":\"AE\",\"profile\":\"x\"}", &cli, "provision.invalid_field", "/jurisdiction");
    CU_ASSERT_STRING_EQUAL(d, "--jurisdiction 'AE' is not a zone id");
    d = refused("{\"jurisdiction\":\"AE\",\"profile\":\"x\"}", &env, "provision.invalid_field", "/jurisdiction");
    CU_ASSERT_STRING_EQUAL(d, "jurisdiction 'AE' is not a zone id");
    d = refused("{" OK_ ",\"mode\":\"staging\"}", &cli, "provision.invalid_field", "/mode");
    CU_ASSERT_STRING_EQUAL(d, "--mode is development or production, not 'staging'");
#undef OK_
}

static void test_zone_ids(void)
{
    CU_ASSERT_TRUE(mez_provision_zone_id_ok("pk-sifc"));
    CU_ASSERT_TRUE(mez_provision_zone_id_ok("a"));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok(""));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok(NULL));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok("-a"));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok("a/b"));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok("a.b"));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok("Ab"));
    CU_ASSERT_FALSE(mez_provision_zone_id_ok("0123456789012345678901234567890123456789012345678901234567890123"));
}

static apr_array_header_t *list_of(const char *a, const char *b)
{
    apr_array_header_t *l = apr_array_make(unit_pool(), 2, sizeof(const char *));
    if (a)
        APR_ARRAY_PUSH(l, const char *) = a;
    if (b)
        APR_ARRAY_PUSH(l, const char *) = b;
    return l;
}

/* The code and pointer endpoint_check gives text under allow ("" for MEZ_OK). */
static const char *endpoint_check(const char *text, const mez_provision_allow_t *allow)
{
    mez_problem_t pb = { 0 };
    if (mez_provision_endpoints_check(unit_pool(), req(text), allow, &pb) == MEZ_OK)
        return "";
    return apr_pstrcat(unit_pool(), pb.code, " ", pb.pointer ? pb.pointer : "", NULL);
}

/* Where the estate's Mass token and database password may go: only to what the provisioner lists, exactly. */
static void test_endpoints_allowed(void)
{
    mez_provision_allow_t allow = { 0 };
    const char *no_mass = "provision.endpoint_not_allowed /mass_api", *no_db = "provision.endpoint_not_allowed "
                                                                               "/database";
    allow.mass_api = list_of("https://mass.estate.example/api/", "http://127.0.0.1:8081");
    allow.database_host = list_of("db.estate.example", "[2001:db8::5]:6432");
    /* Nothing held and no list given: any endpoint passes (deploy checks the rest). */
    {
        mez_provision_allow_t none = { 0 };
        CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://attacker.example\",\"database\":"
                                              "\"postgresql://u@attacker.example/d\"}", &none), "");
    }
    /* Nothing held, but the estate gave lists: they bind (deploy's pre-flight would reach the host all the same). */
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://attacker.example\"}", &allow), no_mass);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://u@attacker.example/d\"}", &allow), no_db);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"http://127.0.0.1:8081\",\"database\":"
                                          "\"postgresql://u@db.estate.example/d\"}", &allow), "");
    /* A token held and no Mass list: no remote Mass may be named; the database list alone does not change that. */
    {
        mez_provision_allow_t only_db = { 0 };
        only_db.database_host = allow.database_host;
        only_db.mass_token = 1;
        CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"http://127.0.0.1:8081\"}", &only_db), no_mass);
        only_db.mass_token = 0;
        CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"http://127.0.0.1:8081\"}", &only_db), "");
    }
    allow.mass_token = allow.database_password = 1;
    CU_ASSERT_STRING_EQUAL(endpoint_check("{}", &allow), "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"sovereign\",\"database\":\"sqlite\"}", &allow), "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://mass.estate.example/api\"}", &allow), "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://mass.estate.example/api//\"}", &allow), "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"http://127.0.0.1:8081/\"}", &allow), "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://attacker.example\"}", &allow), no_mass);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://mass.estate.example/api/x\"}", &allow), no_mass);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://mass.estate.example\"}", &allow), no_mass);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"https://mass.estate.example.attacker.net/api\"}",
                                          &allow), no_mass);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"http://127.0.0.1:8082\"}", &allow), no_mass);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":7}", &allow), "provision.invalid_field /mass_api");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@db.estate.example/mez_a\"}", &allow),
                           "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@DB.estate.example:5432/mez_a\"}",
                                          &allow), "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@[2001:db8::5]:6432/mez_a\"}", &allow),
                           "");
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@db.estate.example:6432/mez_a\"}",
                                          &allow), no_db);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@[2001:db8::5]:5432/mez_a\"}", &allow),
                           no_db);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@attacker.example/mez_a\"}", &allow),
                           no_db);
    /* libpq would try every host of a list: the host is compared whole */
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"postgresql://mez@db.estate.example,attacker.example/m\"}",
                                          &allow), no_db);
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"database\":\"mysql://a@b/c\"}", &allow),
                           "provision.invalid_field /database");
    /* an allowed Mass does not let the database through, nor the other way round */
    CU_ASSERT_STRING_EQUAL(endpoint_check("{\"mass_api\":\"http://127.0.0.1:8081\",\"database\":"
                                          "\"postgresql://mez@attacker.example/m\"}", &allow), no_db);
    /* the list entries --allow-database-host takes */
    CU_ASSERT_TRUE(mez_provision_host_entry_ok("db.example"));
    CU_ASSERT_TRUE(mez_provision_host_entry_ok("db.example:6432"));
    CU_ASSERT_TRUE(mez_provision_host_entry_ok("10.0.0.5"));
    CU_ASSERT_TRUE(mez_provision_host_entry_ok("[::1]"));
    CU_ASSERT_TRUE(mez_provision_host_entry_ok("[::1]:5433"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("::1"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("db.example:"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("db.example:0"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("db.example:70000"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("db.example:54x"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("a,b"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("postgresql://db.example"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok("[::1]x"));
    CU_ASSERT_FALSE(mez_provision_host_entry_ok(""));
}

/* Only "<zone id>.request.json" names count; status files, other names and ids that are not zone ids do not. */
static void test_spool_requests(void)
{
    static const char *const names[] = { "tk-zone.request.json", "tk-zone.status.json", "ae-adgm.request.json",
                                         "Bad_Zone.request.json", ".request.json", "notes.txt", "kz.lock" };
    apr_pool_t *p = unit_pool();
    const char *dir = apr_pstrcat(p, unit_tmpdir(), "/spool", NULL);
    apr_array_header_t *ids = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(apr_dir_make(dir, APR_OS_DEFAULT, p), APR_SUCCESS);
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        FILE *f = fopen(apr_pstrcat(p, dir, "/", names[i], NULL), "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fclose(f);
    }
    CU_ASSERT_EQUAL_FATAL(mez_provision_spool_requests(p, dir, &ids, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(ids->nelts, 2);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(ids, 0, const char *), "ae-adgm");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(ids, 1, const char *), "tk-zone");
    CU_ASSERT_EQUAL(mez_provision_spool_requests(p, apr_pstrcat(p, dir, "/missing", NULL), &ids, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "provision.spool_unreadable");
    CU_ASSERT_EQUAL(pb.status, 500);
}

void unit_register_provision(void)
{
    CU_pSuite s = unit_suite("provision");
    CU_add_test(s, "accepts, with the defaults filled in", test_accepts_with_defaults);
    CU_add_test(s, "each refusal's code and pointer", test_refusals);
    CU_add_test(s, "corridors from the peers registry; the words for the CLI and the API", test_corridors_and_cli_words);
    CU_add_test(s, "zone ids", test_zone_ids);
    CU_add_test(s, "the endpoints a request may send the estate's secrets to", test_endpoints_allowed);
    CU_add_test(s, "the spool's queued zone ids, in name order", test_spool_requests);
}

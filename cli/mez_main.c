/* mez_main.c: the `mez` command's entry point, dispatching to subcommands over libmezcore.
 * The same library code paths serve mod_mez, so what the CLI verifies offline the server verifies online. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include "mez/digest.h"
#include "mez/http.h"
#include "mez/log.h"
#include "mez/pack.h"
#include "mez/store.h"
#include "mez/version.h"
#include "mez_cli.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mez <command> [options]\n"
        "\n"
        "commands:\n"
        "  keygen --out KEY.pem        create an Ed25519 key (file mode 0600) and print its did:key\n"
        "  key rotate --zone Z [...]   replace a zone's key: recorded, on the corridors' chains, peers told\n"
        "  canon FILE|-                print the RFC 8785 canonical bytes of a JSON document\n"
        "  digest FILE|-               print sha256:<hex> of the canonical bytes\n"
        "  vc issue --key KEY.pem FILE|-   sign a credential (eddsa-jcs-2022) and print it\n"
        "  vc verify FILE|-            verify a credential or presentation, and say which check failed\n"
        "  db migrate --driver D --params P   apply the SQL schema (sqlite3 or pgsql)\n"
        "  db version --driver D --params P   print the database's schema version\n"
        "  pack build|verify|show|manifest|section ...   validate, digest and inspect law/reg/licence packs\n"
        "  cas put|get|has|verify --datadir D ...        the content-addressed store\n"
        "  bundle export|import --datadir D ...          witness bundles (a verified closure in one file)\n"
        "  lock [--profile-dir D] [--akn-xsd X] ZONE.yaml   write the zone's stack.lock (every digest it runs on)\n"
        "  zone check|show [--profile-dir D] ZONE.yaml      verify a zone against its stack.lock, or describe it\n"
        "  tensor eval --pack P.yaml ... ACTION.json|-   evaluate an action against packs (exit 0 if it passes)\n"
        "  tensor commitment --jurisdiction J STATES.json   the tensor commitment of domain states\n"
        "  sanctions import-un --jurisdiction J --out F.yaml UN.xml   the UN consolidated list as a regpack\n"
        "  sanctions clearances --driver D --params P [--status S]   screening clearances (active, proposed)\n"
        "  token create|list|revoke --driver D --params P ...   bearer API tokens (printed once, stored hashed)\n"
        "  cert map|list|revoke --driver D --params P ...   client certificates (mTLS) mapped to principals\n"
        "  audit verify|show --driver D --params P ...   check the hash-chained audit table, print its rows\n"
        "  usage --zone Z --from D1 --to D2 [--format csv|json] --driver D --params P   billing figures per day\n"
        "  corridor export|verify ...   a corridor's record as one JSON file; verify one offline\n"
        "  mass call|ping [--endpoint URL] ...   one request to a Mass endpoint, or probe all five primitives\n"
        "  peer sign --key K --url U [--body F]  RFC 9421 signature headers for a request to a peer zone\n"
        "  peer check --key K --url U   whether the peer zone at U accepts this zone's key, and why not\n"
        "  peer refusals --driver D --params P   peers' signed requests refused although verified (replays)\n"
        "  watcher attest --key K --corridor ID --zone URL...   check and attest a corridor's checkpoints\n"
        "  deploy --profile P --jurisdiction Z [...]   a zone from one command: key, packs, database, httpd\n"
        "  provision --spool DIR [--once] [...]   run the zones POST /admin/zones queued, with deploy's code\n"
        "  zone list|status|destroy [ZONE]   the zones `mez deploy` made\n"
        "  zone backup ZONE [--out F] | zone restore ARCHIVE   a zone's consistent archive, and back from it\n"
        "  manifold route --graph G.json --from A --to B --value-usd N   cheapest corridor route\n"
        "  version                     print the version and the database schema version it needs\n"
        "\n"
        "exit codes: 0 valid/ok, 1 invalid, 2 usage or I/O error. Each command takes --help.\n");
}

static void log_to_stderr(void *baton, mez_log_level_t level, const char *file, int line, const char *msg)
{
    fprintf(stderr, "mez: %s\n", msg);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    int rc;
    const char *cmd;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    mez_log_set(log_to_stderr, NULL, MEZ_LOG_WARN);
    /* Process-wide library set-up happens here, once, before anything could run in parallel. */
    mez_pack_global_init();
    mez_digest_global_init(p);
    /* libcurl's global set-up, once, before any request (mez mass). */
    if (mez_http_global_init(p, NULL) != MEZ_OK) {
        fprintf(stderr, "mez: libcurl could not be initialised\n");
        return MEZ_EXIT_USAGE;
    }

    if (argc < 2) {
        usage(stderr);
        return MEZ_EXIT_USAGE;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        /* The schema version is what `mez db migrate` brings a database to and what /readyz expects: an operator
         * upgrading compares it with `mez db version` before reloading (docs/06-upgrade.md). */
        printf("mez %s (database schema %d)\n", mez_version(), MEZ_SCHEMA_VERSION);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(cmd, "keygen")) rc = mez_cmd_keygen(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "key")) rc = mez_cmd_key(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "canon")) rc = mez_cmd_canon(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "digest")) rc = mez_cmd_digest(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "vc")) rc = mez_cmd_vc(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "db")) rc = mez_cmd_db(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "token")) rc = mez_cmd_token(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "cert")) rc = mez_cmd_cert(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "audit")) rc = mez_cmd_audit(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "usage")) rc = mez_cmd_usage(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "corridor")) rc = mez_cmd_corridor(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "mass")) rc = mez_cmd_mass(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "peer")) rc = mez_cmd_peer(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "watcher")) rc = mez_cmd_watcher(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "tensor")) rc = mez_cmd_tensor(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "manifold")) rc = mez_cmd_manifold(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "pack")) rc = mez_cmd_pack(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "cas")) rc = mez_cmd_cas(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "bundle")) rc = mez_cmd_bundle(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "lock")) rc = mez_cmd_lock(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "zone")) rc = mez_cmd_zone(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "deploy")) rc = mez_cmd_deploy(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "provision")) rc = mez_cmd_provision(p, argc - 1, argv + 1);
    else if (!strcmp(cmd, "sanctions")) rc = mez_cmd_sanctions(p, argc - 1, argv + 1);
    else {
        fprintf(stderr, "mez: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = MEZ_EXIT_USAGE;
    }
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}

int mez_cli_fail(const mez_problem_t *pb, mez_status_t rv)
{
    fprintf(stderr, "mez: %s: %s%s%s\n", pb->code ? pb->code : "error", pb->detail ? pb->detail : "",
            pb->pointer && *pb->pointer ? " at " : "", pb->pointer && *pb->pointer ? pb->pointer : "");
    return rv == MEZ_EINVAL ? MEZ_EXIT_INVALID : MEZ_EXIT_USAGE;
}

int mez_cli_wants_help(int argc, const char *const *argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

int mez_cli_option(int argc, const char *const *argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n))
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int mez_cli_whole(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (!s || *s < '0' || *s > '9')     /* no sign, no space: strtol would take them */
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end || errno || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

int mez_cli_parse_args(int argc, const char *const *argv, const mez_cli_opt_t *opts, const char **pos, int maxpos,
                       int *npos, const char *cmd)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const mez_cli_opt_t *o = NULL;
        size_t n = 0;
        if (a[0] == '-' && a[1] != '\0') {
            for (o = opts; o && o->name; o++) {
                n = strlen(o->name);
                if (!strncmp(a, o->name, n) && (a[n] == '\0' || a[n] == '='))
                    break;
            }
            if (!o || !o->name) {
                fprintf(stderr, "mez %s: unknown option '%s'\n", cmd, a);
                return -1;
            }
            if (o->flag)
                *o->flag = 1;
            else if (a[n] == '=')
                *o->value = a + n + 1;
            else if (i + 1 < argc)
                *o->value = argv[++i];
            else {
                fprintf(stderr, "mez %s: %s needs a value\n", cmd, o->name);
                return -1;
            }
        }
        else if (*npos < maxpos)
            pos[(*npos)++] = a;
        else {
            fprintf(stderr, "mez %s: too many arguments ('%s')\n", cmd, a);
            return -1;
        }
    }
    return 0;
}

void mez_cli_print_problems(const apr_array_header_t *problems, const mez_problem_t *first)
{
    if (!problems || !problems->nelts) {
        fprintf(stderr, "  %s: %s\n", first->code ? first->code : "error", first->detail ? first->detail : "");
        return;
    }
    for (int i = 0; i < problems->nelts; i++) {
        const mez_problem_t *pr = &APR_ARRAY_IDX(problems, i, mez_problem_t);
        fprintf(stderr, "  %s: %s\n", pr->code, pr->detail);
    }
}

int mez_cli_exit_for(mez_status_t rv)
{
    return rv == MEZ_EINVAL ? MEZ_EXIT_INVALID : MEZ_EXIT_USAGE;
}

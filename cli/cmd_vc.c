/* cmd_vc.c: `mez vc issue` and `mez vc verify`, signing and checking VC 2.0 credentials (eddsa-jcs-2022) offline.
 * They call the same libmezcore functions as the VC-API endpoints, so a result here is the server's result. */
#include <stdio.h>
#include <string.h>
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/vc.h"
#include "mez_cli.h"

static void usage_issue(FILE *out)
{
    fprintf(out,
        "usage: mez vc issue --key KEY.pem [--issuer ID] [--created TS] FILE|-\n"
        "Checks that FILE holds an unsigned W3C VC 2.0 credential, sets its issuer when absent, adds a\n"
        "DataIntegrityProof (eddsa-jcs-2022) signed with KEY.pem and prints the signed credential.\n"
        "  --key KEY.pem   Ed25519 private key (PEM, not readable by group or others)\n"
        "  --issuer ID     the issuer id (default: the key's did:key); a different issuer in FILE is refused;\n"
        "                  an issuer other than the key's did:key is signed, but no verifier that resolves\n"
        "                  only did:key (mez vc verify included) can tie it to the key: it fails\n"
        "                  vc.key.issuer_not_controller\n"
        "  --created TS    the proof's created time, e.g. 2024-01-31T12:00:00Z (default: now)\n"
        "exit codes: 0 signed, 1 the credential is invalid, 2 usage or I/O error.\n");
}

static void usage_verify(FILE *out)
{
    fprintf(out,
        "usage: mez vc verify [--challenge C] [--domain D] FILE|-\n"
        "Verifies a W3C VC 2.0 credential, or a presentation when its type includes VerifiablePresentation\n"
        "(then also every credential inside), and prints each check: schema, proof, key, signature, expiry.\n"
        "The key must be the issuer's (the holder's) own did:key. expiry fails for validFrom after now,\n"
        "validUntil or a proof's expires before now, and a proof's created more than 300 seconds after now\n"
        "(the allowance for clocks that differ): vc.expiry.created_in_future.\n"
        "  --challenge C   the proof must carry this challenge\n"
        "  --domain D      the proof must carry this domain\n"
        "exit codes: 0 valid, 1 invalid, 2 usage or I/O error.\n");
}

static void usage_vc(FILE *out)
{
    fprintf(out,
        "usage: mez vc issue --key KEY.pem [--issuer ID] [--created TS] FILE|-\n"
        "       mez vc verify [--challenge C] [--domain D] FILE|-\n"
        "Run 'mez vc issue --help' or 'mez vc verify --help' for details.\n");
}

static int cmd_issue(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *key_path = NULL, *issuer = NULL, *file = NULL;
    mez_vc_proof_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    mez_key_t *key;
    json_t *cred, *vc;
    mez_status_t rv;

    if (mez_cli_wants_help(argc, argv)) {
        usage_issue(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = mez_cli_option(argc, argv, &i, "--key", &key_path)) || (m = mez_cli_option(argc, argv, &i, "--issuer", &issuer))
            || (m = mez_cli_option(argc, argv, &i, "--created", &opts.created))) {
            if (m < 0) {
                fprintf(stderr, "mez vc issue: %s needs a value\n", argv[i]);
                usage_issue(stderr);
                return MEZ_EXIT_USAGE;
            }
        }
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "mez vc issue: unknown option '%s'\n", argv[i]);
            usage_issue(stderr);
            return MEZ_EXIT_USAGE;
        }
        else if (file) {
            fprintf(stderr, "mez vc issue: one input file only\n");
            usage_issue(stderr);
            return MEZ_EXIT_USAGE;
        }
        else {
            file = argv[i];
        }
    }
    if (!key_path || !file) {
        usage_issue(stderr);
        return MEZ_EXIT_USAGE;
    }
    /* A key that cannot be used is the operator's set-up, not an invalid credential: always exit 2. */
    if ((rv = mez_key_load_private(p, key_path, &key, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_json_parse_file_input(p, file, &cred, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if ((rv = mez_vc_issue(p, cred, key, issuer, &opts, &vc, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("%s\n", mez_json_dump(p, vc, 1));
    return MEZ_EXIT_OK;
}

static int passed(const mez_vc_result_t *res, const char *check)
{
    size_t i;
    json_t *c;
    json_array_foreach(res->checks, i, c) {
        if (!strcmp(json_string_value(c), check))
            return 1;
    }
    return 0;
}

static int cmd_verify(apr_pool_t *p, int argc, const char *const *argv)
{
    static const char *const checks[] = { MEZ_VC_CHECK_SCHEMA, MEZ_VC_CHECK_PROOF, MEZ_VC_CHECK_KEY,
                                          MEZ_VC_CHECK_SIGNATURE, MEZ_VC_CHECK_EXPIRY };
    mez_vc_verify_options_t opts = { 0 };
    mez_vc_result_t res;
    mez_problem_t pb = { 0 };
    const char *file = NULL;
    const json_t *type;
    json_t *doc, *w;
    mez_status_t rv;
    int is_vp = 0;
    size_t i;

    if (mez_cli_wants_help(argc, argv)) {
        usage_verify(stdout);
        return MEZ_EXIT_OK;
    }
    for (int a = 1; a < argc; a++) {
        int m;
        if ((m = mez_cli_option(argc, argv, &a, "--challenge", &opts.challenge))
            || (m = mez_cli_option(argc, argv, &a, "--domain", &opts.domain))) {
            if (m < 0) {
                fprintf(stderr, "mez vc verify: %s needs a value\n", argv[a]);
                usage_verify(stderr);
                return MEZ_EXIT_USAGE;
            }
        }
        else if (argv[a][0] == '-' && argv[a][1] != '\0') {
            fprintf(stderr, "mez vc verify: unknown option '%s'\n", argv[a]);
            usage_verify(stderr);
            return MEZ_EXIT_USAGE;
        }
        else if (file) {
            fprintf(stderr, "mez vc verify: one input file only\n");
            usage_verify(stderr);
            return MEZ_EXIT_USAGE;
        }
        else {
            file = argv[a];
        }
    }
    if (!file) {
        usage_verify(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_json_parse_file_input(p, file, &doc, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);

    /* The document's type says which it is; one that claims both is refused by either check (a credential
     * checked as a presentation would never be held to its issuer). */
    type = json_object_get(doc, "type");
    is_vp = mez_vc_type_includes(type, "VerifiablePresentation");
    rv = is_vp ? mez_vp_verify(p, doc, &opts, &res) : mez_vc_verify(p, doc, &opts, &res);
    if (rv != MEZ_OK)
        return mez_cli_fail(&res.problem, rv);

    printf("%s\n", is_vp ? "presentation" : "credential");
    for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (passed(&res, checks[i]))
            printf("%s: ok\n", checks[i]);
        else if (res.failed_check && !strcmp(res.failed_check, checks[i]))
            printf("%s: FAILED (%s%s%s): %s\n", checks[i], res.problem.code,
                   res.problem.pointer ? " at " : "", res.problem.pointer ? res.problem.pointer : "",
                   res.problem.detail ? res.problem.detail : "");
        else
            printf("%s: not run\n", checks[i]);
    }
    json_array_foreach(res.warnings, i, w) {
        const char *ptr = json_string_value(json_object_get(w, "pointer"));
        printf("warning: %s%s%s: %s\n", json_string_value(json_object_get(w, "code")), ptr ? " at " : "",
               ptr ? ptr : "", json_string_value(json_object_get(w, "message")));
    }
    printf("%s\n", res.verified ? "valid" : "INVALID");
    return res.verified ? MEZ_EXIT_OK : MEZ_EXIT_INVALID;
}

int mez_cmd_vc(apr_pool_t *p, int argc, const char *const *argv)
{
    if (argc >= 2 && !strcmp(argv[1], "issue"))
        return cmd_issue(p, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return cmd_verify(p, argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        usage_vc(stdout);
        return MEZ_EXIT_OK;
    }
    usage_vc(stderr);
    return MEZ_EXIT_USAGE;
}

/* cmd_canon.c: `mez canon` and `mez digest`, RFC 8785 bytes and their SHA-256 for any JSON document. */
#include <stdio.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez_cli.h"

static int load(apr_pool_t *p, int argc, const char *const *argv, const char *name, json_t **v)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    if (argc != 2) {
        fprintf(stderr, "usage: mez %s FILE|-\n", name);
        return MEZ_EXIT_USAGE;
    }
    rv = mez_json_parse_file(p, argv[1], v, &pb);
    if (rv != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    return MEZ_EXIT_OK;
}

int mez_cmd_canon(apr_pool_t *p, int argc, const char *const *argv)
{
    json_t *v;
    const char *c;
    size_t n;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    int rc;
    if (mez_cli_wants_help(argc, argv)) {
        printf("usage: mez canon FILE|-\n"
               "Prints the RFC 8785 (JCS) canonical UTF-8 bytes of the JSON document, with no newline.\n"
               "Duplicate keys, invalid UTF-8 and lone surrogates are refused (exit 1).\n");
        return MEZ_EXIT_OK;
    }
    if ((rc = load(p, argc, argv, "canon", &v)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_json_canonicalize(p, v, &c, &n, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    fwrite(c, 1, n, stdout);
    return MEZ_EXIT_OK;
}

int mez_cmd_digest(apr_pool_t *p, int argc, const char *const *argv)
{
    json_t *v;
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    int rc;
    if (mez_cli_wants_help(argc, argv)) {
        printf("usage: mez digest FILE|-\n"
               "Prints sha256:<hex> of the document's RFC 8785 canonical bytes.\n");
        return MEZ_EXIT_OK;
    }
    if ((rc = load(p, argc, argv, "digest", &v)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_digest_json(p, v, &d, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("%s\n", mez_digest_format(p, &d));
    return MEZ_EXIT_OK;
}

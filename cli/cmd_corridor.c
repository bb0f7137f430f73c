/* cmd_corridor.c: `mez corridor export|verify`: a corridor's whole record as one JSON file taken from a zone's
 * database, and the offline check of such a file by anyone, with no database and no trust in the zone that
 * wrote it (mez/corridor_export.h). */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor_export.h"
#include "mez/json.h"
#include "mez/store.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez corridor export --corridor ID --driver D --params P [--out FILE] [--canonical]\n"
        "       mez corridor verify [--sequencer DID] FILE|-\n"
        "\n"
        "export writes the corridor's definition, agreements, every receipt and every signed checkpoint as one\n"
        "JSON document (pretty, or RFC 8785 canonical with --canonical) to FILE or stdout. D is sqlite3 or pgsql,\n"
        "P a file name or a libpq conninfo (--db-driver and --db are the same options).\n"
        "verify checks such a file offline: the definition and both agreements (signatures, parties), the\n"
        "genesis root, every receipt's signature by the sequencer and its chaining, the size and root, and every\n"
        "checkpoint (signed note, root at its size, consistent with the previous one). It prints one line per\n"
        "verified part and, on the first failure, 'FAIL <pointer>: <detail> (<code>)' on stderr. --sequencer\n"
        "also requires the corridor's sequencer (its proposer) to be DID: the file alone proves who signed it,\n"
        "not that this is the zone you expect.\n"
        "exit 0 when verified, 1 when the file is refused, 2 for a usage, file or database error.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

/* Writes text to path through a temporary file renamed into place, so a failed export leaves no torn file. */
static int write_file(apr_pool_t *p, const char *path, const char *text)
{
    const char *tmp = apr_pstrcat(p, path, ".tmp", NULL);
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f))
        ok = 0;
    if (!ok || rename(tmp, path)) {
        fprintf(stderr, "mez corridor export: cannot write %s\n", path);
        remove(tmp);
        return MEZ_EXIT_USAGE;
    }
    return MEZ_EXIT_OK;
}

static int export_cmd(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *out, int canonical)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    json_t *doc;
    const char *text;

    if ((rv = mez_corridor_export(p, db, corridor_id, &doc, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (canonical) {
        if ((rv = mez_json_canonicalize(p, doc, &text, NULL, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
    }
    else
        text = mez_json_dump(p, doc, 1);
    if (out)
        return write_file(p, out, text);
    printf("%s\n", text);
    return MEZ_EXIT_OK;
}

/* The lines for what verified, whether or not something failed after it. */
static void print_report(const mez_corridor_verify_report_t *r, apr_pool_t *p)
{
    if (!r->definition_ok)
        return;
    printf("corridor: %s\n", r->corridor_id);
    printf("sequencer: %s\n", r->sequencer_did);
    if (r->key_rotations)
        printf("key rotations: %zu followed; the sequencer signs with %s now\n", r->key_rotations,
               r->sequencer_did_now);
    printf("origin: %s\n", r->origin);
    printf("definition: ok\n");
    if (r->agreements)
        printf("agreements: %zu ok\n", r->agreements);
    if (r->genesis_ok)
        printf("genesis: ok %s\n", mez_digest_hex(p, &r->genesis_root));
    if (r->receipts || r->tree_ok)
        printf("receipts: %" APR_UINT64_T_FMT " ok (signatures, chaining)\n", r->receipts);
    if (r->tree_ok)
        printf("tree: ok size %" APR_UINT64_T_FMT " root %s\n", r->size, mez_digest_hex(p, &r->root));
    if (r->checkpoints)
        printf("checkpoints: %zu ok (consistent, latest size %" APR_UINT64_T_FMT ")\n", r->checkpoints,
               r->checkpoint_size);
}

static int verify_cmd(apr_pool_t *p, const char *path, const char *sequencer)
{
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    mez_status_t rv;
    json_t *doc;

    if ((rv = mez_json_parse_file_input(p, path, &doc, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    rv = mez_corridor_verify_export(p, doc, &rep, &pb);
    print_report(&rep, p);
    if (rv == MEZ_OK && !rep.genesis_ok)
        printf("genesis: none (the corridor is not established yet)\n");
    if (rv == MEZ_OK && rep.tree_ok && !rep.checkpoints)
        printf("checkpoints: none\n");
    fflush(stdout);
    /* The DID the reader trusts may be the sequencer's first or, after key rotations the chain itself links, the
     * one it signs with now. */
    if (rv == MEZ_OK && sequencer && strcmp(sequencer, rep.sequencer_did)
        && (!rep.sequencer_did_now || strcmp(sequencer, rep.sequencer_did_now))) {
        rv = mez_problem(&pb, p, MEZ_EINVAL, 422, "corridor_export.unexpected_sequencer", "/sequencer_did",
                         "the corridor's sequencer is %s%s%s, not %s", rep.sequencer_did,
                         rep.key_rotations ? ", now " : "", rep.key_rotations ? rep.sequencer_did_now : "",
                         sequencer);
    }
    if (rv != MEZ_OK) {
        fprintf(stderr, "FAIL %s: %s (%s)\n", pb.pointer && *pb.pointer ? pb.pointer : "/",
                pb.detail ? pb.detail : "", pb.code ? pb.code : "error");
        return mez_cli_exit_for(rv);
    }
    printf("verified\n");
    return MEZ_EXIT_OK;
}

int mez_cmd_corridor(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *corridor = NULL, *out = NULL,
               *sequencer = NULL, *sub;
    const char *pos[1] = { NULL };
    int canonical = 0, npos = 0;
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--db-driver", &driver, NULL },
        { "--db", &params, NULL }, { "--corridor", &corridor, NULL }, { "--out", &out, NULL },
        { "--canonical", NULL, &canonical }, { "--sequencer", &sequencer, NULL }, { NULL, NULL, NULL },
    };
    mez_problem_t pb = { 0 };
    mez_db_t *db;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2)
        return usage(stderr);
    sub = argv[1];
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 1, &npos, "corridor") < 0)
        return usage(stderr);
    if (!strcmp(sub, "verify")) {
        if (npos != 1 || driver || params || corridor || out || canonical) {
            fprintf(stderr, "mez corridor verify: takes one FILE (or -) and no database\n");
            return usage(stderr);
        }
        return verify_cmd(p, pos[0], sequencer);
    }
    if (strcmp(sub, "export")) {
        fprintf(stderr, "mez corridor: unknown subcommand '%s'\n", sub);
        return usage(stderr);
    }
    if (npos || !driver || !params || !corridor || sequencer)
        return usage(stderr);
    if (mez_db_open(p, driver, params, &db, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    return export_cmd(p, db, corridor, out, canonical);
}

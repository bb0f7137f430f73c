/* cmd_token.c: `mez token create|list|revoke`, the operator's side of bearer API tokens. The token text is
 * printed once by create and exists nowhere afterwards: list shows ids, never secrets. */
#include <stdio.h>
#include <string.h>
#include "mez/store.h"
#include "mez/token.h"
#include "mez/vc.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez token create --driver D --params P --zone Z --role R [--entity ID] [--mass-zone M] [--expires T]\n"
        "                         [--holder NAME]\n"
        "       mez token list   --driver D --params P [--zone Z]\n"
        "       mez token revoke --driver D --params P ID\n"
        "\n"
        "R is operator, regulator, entity (needs --entity) or watcher; T is YYYY-MM-DDTHH:MM:SSZ (UTC).\n"
        "create prints the token on stdout once: only its SHA-256 is stored, so it cannot be shown again.\n"
        "NAME is who holds the token (\"A. Khan, SECP-0421\"): rules about people, such as four eyes on a sanctions\n"
        "clearance, then tell apart two tokens of one holder.\n"
        "M is another zone whose remote Mass is this zone's sovereign store (its MezMassTokenFile holds the token):\n"
        "the token is valid on /mass only, and there reaches M's own records only (entities, accounts, payments\n"
        "and their tax events, cap tables, persons, consents: what it made for M); a token\n"
        "without --mass-zone is Z's own and reaches the whole store.\n"
        "list prints id, role, zone, entity, status (active, expired, revoked), holder, mass zone; revoke takes an id\n"
        "from list.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

int mez_cmd_token(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *zone = NULL, *role = NULL, *entity = NULL, *expires = NULL;
    const char *holder = NULL, *mass_zone = NULL;
    const char *pos[1] = { NULL }, *sub;
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--zone", &zone, NULL },
        { "--role", &role, NULL }, { "--entity", &entity, NULL }, { "--expires", &expires, NULL },
        { "--holder", &holder, NULL }, { "--mass-zone", &mass_zone, NULL },
        { NULL, NULL, NULL },
    };
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    mez_status_t rv;
    int npos = 0;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2)
        return usage(stderr);
    sub = argv[1];
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 1, &npos, "token") < 0)
        return usage(stderr);
    if (!driver || !params)
        return usage(stderr);
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
        fprintf(stderr, "mez token: unknown subcommand '%s'\n", sub);
        return usage(stderr);
    }
    if ((!strcmp(sub, "create") && (!zone || !role || npos)) || (!strcmp(sub, "revoke") && npos != 1)
        || (!strcmp(sub, "list") && npos))
        return usage(stderr);
    if ((rv = mez_db_open(p, driver, params, &db, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);

    if (!strcmp(sub, "create")) {
        const char *secret;
        mez_token_info_t *info;
        mez_db_tx_t *tx;
        /* The token and the audit row that says who made it: both or neither. */
        if ((rv = mez_db_begin(p, db, &tx, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        if ((rv = mez_token_create(p, db, zone, role, entity, mass_zone, expires, holder, &secret, &info, &pb))
                != MEZ_OK
            || (rv = mez_cli_audit_row(p, db, zone, "token.create", "token", info->id,
                                       json_pack("{s:s, s:s*, s:s*, s:s*, s:s*}", "role", role, "entity_id", entity,
                                                 "expires_at", expires, "holder", holder, "mass_zone_id",
                                                 mass_zone), &pb)) != MEZ_OK
            || (rv = mez_db_commit(p, tx, &pb)) != MEZ_OK) {
            mez_db_rollback(p, tx);
            return mez_cli_fail(&pb, rv);
        }
        /* The token alone on stdout, so scripts can capture it; the id (for revoke) goes to stderr. */
        printf("%s\n", secret);
        if (mass_zone)
            fprintf(stderr, "token %s (%s, zone %s, for zone %s's calls to its Mass store) created; this is the only "
                    "time it is shown\n", info->id, role, zone, mass_zone);
        else
            fprintf(stderr, "token %s (%s, zone %s) created; this is the only time it is shown\n", info->id, role,
                    zone);
        /* Made as asked (a test of refusals needs such a token), but an operator who mistyped a year hears it. */
        if (expires && strcmp(expires, mez_time_now_rfc3339(p)) <= 0)
            fprintf(stderr, "warning: it expired already (at %s): every request with it will be refused\n", expires);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "list")) {
        apr_array_header_t *a;
        if ((rv = mez_token_list(p, db, zone, &a, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        for (int i = 0; i < a->nelts; i++) {
            const mez_token_info_t *t = APR_ARRAY_IDX(a, i, mez_token_info_t *);
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t->id, t->role, t->zone_id, t->entity_id ? t->entity_id : "-",
                   mez_token_status(p, t), t->holder ? t->holder : "-", t->mass_zone_id ? t->mass_zone_id : "-");
        }
        return MEZ_EXIT_OK;
    }
    {
        static const mez_cli_revocable_t tokens = { "mez_token", "token_id", "token", "token.revoke", "token",
                                                    mez_token_revoke };
        return mez_cli_revoke(p, db, &tokens, pos[0]);
    }
}

/* cmd_cert.c: `mez cert map|list|revoke`, the operator's side of client-certificate (mTLS) principals
 * (mez/clientcert.h). A separate command from `mez token`: a mapping has no secret to print once, it names a
 * certificate the client already holds, and it is made from that certificate (or its fingerprint). */
#include <stdio.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/clientcert.h"
#include "mez/store.h"
#include "mez/yaml.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez cert map    --driver D --params P --zone Z --role R [--entity ID] [--expires T]\n"
        "                       [--holder NAME] (--cert FILE | --fingerprint sha256:HEX)\n"
        "       mez cert list   --driver D --params P [--zone Z]\n"
        "       mez cert revoke --driver D --params P ID\n"
        "\n"
        "Maps a client certificate (PEM or DER file, or the SHA-256 fingerprint of its DER as\n"
        "`openssl x509 -noout -fingerprint -sha256` prints it) to a principal of zone Z: R is operator,\n"
        "regulator, entity (needs --entity) or watcher; T is YYYY-MM-DDTHH:MM:SSZ (UTC). A zone with\n"
        "MezClientCertAuth on then accepts that certificate, once mod_ssl has verified it, like a token of R.\n"
        "NAME is who holds the certificate, as for tokens (mez token create --holder).\n"
        "map prints the mapping's id on stdout; list prints id, fingerprint, role, zone, entity, status, subject,\n"
        "holder;\n"
        "revoke takes an id from list (the row stays, so the audit trail still names it).\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

static int read_cert(apr_pool_t *p, const char *path, const char **fp, const char **subject)
{
    mez_problem_t pb = { 0 };
    size_t n;
    char *buf;
    /* The shared reader: a regular file of at most 1 MB, a named pipe refused rather than waited on. */
    if (mez_yaml_read_file(p, path, 1024 * 1024, &buf, &n, &pb) != MEZ_OK) {
        fprintf(stderr, "mez cert: %s\n", pb.detail);
        return MEZ_EXIT_USAGE;
    }
    if (mez_cert_fingerprint(p, buf, n, fp, subject, &pb) != MEZ_OK) {
        fprintf(stderr, "mez cert: %s: %s (%s)\n", path, pb.detail, pb.code);
        return MEZ_EXIT_INVALID;
    }
    return MEZ_EXIT_OK;
}

int mez_cmd_cert(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *zone = NULL, *role = NULL, *entity = NULL, *expires = NULL;
    const char *cert = NULL, *fingerprint = NULL, *subject = NULL, *fp = NULL, *holder = NULL;
    const char *pos[1] = { NULL }, *sub;
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--zone", &zone, NULL },
        { "--role", &role, NULL }, { "--entity", &entity, NULL }, { "--expires", &expires, NULL },
        { "--cert", &cert, NULL }, { "--fingerprint", &fingerprint, NULL }, { "--holder", &holder, NULL },
        { NULL, NULL, NULL },
    };
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    mez_status_t rv;
    int npos = 0, rc;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2)
        return usage(stderr);
    sub = argv[1];
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 1, &npos, "cert") < 0)
        return usage(stderr);
    if (!driver || !params)
        return usage(stderr);
    if (strcmp(sub, "map") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
        fprintf(stderr, "mez cert: unknown subcommand '%s'\n", sub);
        return usage(stderr);
    }
    if ((!strcmp(sub, "map") && (!zone || !role || npos || !cert == !fingerprint))
        || (!strcmp(sub, "revoke") && npos != 1) || (!strcmp(sub, "list") && npos))
        return usage(stderr);
    /* The certificate is read before the database is opened: a wrong file changes nothing anywhere. */
    if (!strcmp(sub, "map")) {
        if (cert && (rc = read_cert(p, cert, &fp, &subject)) != MEZ_EXIT_OK)
            return rc;
        if (fingerprint && (rv = mez_cert_fingerprint_parse(p, fingerprint, &fp, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
    }
    if ((rv = mez_db_open(p, driver, params, &db, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);

    if (!strcmp(sub, "map")) {
        mez_cert_map_t *m;
        mez_db_tx_t *tx;
        if ((rv = mez_db_begin(p, db, &tx, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        if ((rv = mez_cert_map(p, db, zone, fp, subject, role, entity, expires, holder, &m, &pb)) != MEZ_OK
            || (rv = mez_cli_audit_row(p, db, zone, "cert.map", "client_certificate", m->id,
                                       json_pack("{s:s, s:s, s:s*, s:s*, s:s*}", "fingerprint", m->fingerprint,
                                                 "role", role, "entity_id", entity, "expires_at", expires, "holder",
                                                 holder), &pb)) != MEZ_OK
            || (rv = mez_db_commit(p, tx, &pb)) != MEZ_OK) {
            mez_db_rollback(p, tx);
            return mez_cli_fail(&pb, rv);
        }
        /* The id alone on stdout, so scripts can capture it for revoke. */
        printf("%s\n", m->id);
        fprintf(stderr, "certificate %s mapped as %s (%s%s%s, zone %s)\n", m->fingerprint, m->id, role,
                entity ? " of " : "", entity ? entity : "", zone);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "list")) {
        apr_array_header_t *a;
        if ((rv = mez_cert_list(p, db, zone, &a, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        for (int i = 0; i < a->nelts; i++) {
            const mez_cert_map_t *m = APR_ARRAY_IDX(a, i, mez_cert_map_t *);
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m->id, m->fingerprint, m->role, m->zone_id,
                   m->entity_id ? m->entity_id : "-", mez_cert_status(p, m), m->subject ? m->subject : "-",
                   m->holder ? m->holder : "-");
        }
        return MEZ_EXIT_OK;
    }
    {
        static const mez_cli_revocable_t certs = { "mez_client_cert", "cert_id", "certificate mapping", "cert.revoke",
                                                   "client_certificate", mez_cert_revoke };
        return mez_cli_revoke(p, db, &certs, pos[0]);
    }
}

/* mez_cli.h: the subcommands of the `mez` command, each in its own cmd_*.c file.
 * A subcommand returns the process exit code: 0 valid/ok, 1 invalid, 2 usage or I/O error. */
#ifndef MEZ_CLI_H
#define MEZ_CLI_H

#include <stdio.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/problem.h"

#define MEZ_EXIT_OK      0
#define MEZ_EXIT_INVALID 1
#define MEZ_EXIT_USAGE   2

int mez_cmd_keygen(apr_pool_t *p, int argc, const char *const *argv);
/* mez key rotate|notify: a zone's key replaced, recorded and announced (cmd_key.c). */
int mez_cmd_key(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_canon(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_digest(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_vc(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_db(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_tensor(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_manifold(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_pack(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_cas(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_bundle(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_lock(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_zone(apr_pool_t *p, int argc, const char *const *argv);
/* mez zone list|status|destroy (cmd_zone_life.c), dispatched from mez_cmd_zone. */
int mez_cmd_zone_life(apr_pool_t *p, int argc, const char *const *argv);
/* mez zone backup|restore (cmd_zone_backup.c), dispatched from mez_cmd_zone. */
int mez_cmd_zone_backup(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_deploy(apr_pool_t *p, int argc, const char *const *argv);
/* mez provision --spool DIR: runs the zone requests the admin API queued, with deploy's code (cmd_provision.c). */
int mez_cmd_provision(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_sanctions(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_token(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_cert(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_audit(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_usage(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_corridor(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_mass(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_peer(apr_pool_t *p, int argc, const char *const *argv);
int mez_cmd_watcher(apr_pool_t *p, int argc, const char *const *argv);

/* Writes v as YAML (yaml_emit.c): block style where mappings are below, every string double-quoted. 0, or -1 for
 * a value YAML would not give back exactly (a JSON real). */
int mez_cli_yaml_emit(FILE *f, const json_t *v);

/* Prints a problem to stderr and returns the exit code for its status. */
int mez_cli_fail(const mez_problem_t *pb, mez_status_t rv);
/* Matches "--name VALUE" and "--name=VALUE" at argv[*i], advancing *i past what it consumed: 1 on a match,
 * -1 when the value is missing, 0 when argv[*i] is another argument. */
int mez_cli_option(int argc, const char *const *argv, int *i, const char *name, const char **value);

/* A table of options for mez_cli_parse_args: "--name VALUE", "--name=VALUE", or a flag (no value). */
typedef struct mez_cli_opt_t {
    const char *name;      /* "--digest" */
    const char **value;    /* where the value goes */
    int *flag;             /* or: set to 1 when present */
} mez_cli_opt_t;

/* Options anywhere in argv[1..]; the rest are positional (at most maxpos). Returns 0, or prints the problem
 * (naming cmd) and returns -1. */
int mez_cli_parse_args(int argc, const char *const *argv, const mez_cli_opt_t *opts, const char **pos, int maxpos,
                       int *npos, const char *cmd);

/* Prints every problem collected (or the first, when none were collected), one per line, to stderr. */
void mez_cli_print_problems(const apr_array_header_t *problems, const mez_problem_t *first);
/* The exit code for a status: 1 for invalid input, 2 for everything else. */
int mez_cli_exit_for(mez_status_t rv);

/* 1 when s is a whole decimal number from min to max (its value in *out), else 0: an option's count or seconds. */
int mez_cli_whole(const char *s, long min, long max, long *out);

/* 1 if argv holds -h or --help. */
int mez_cli_wants_help(int argc, const char *const *argv);

/* cmd_audit.c: the audit row of an administrative change made with the CLI (tokens, certificate mappings), in the
 * caller's transaction (after mez_db_begin, before mez_db_commit): actor "cli:<login>" ($SUDO_USER, else $USER),
 * outcome "committed"; detail (a new reference, may be NULL) is taken. */
struct mez_db_t;
struct mez_audit_event_t;
/* The same event without appending it, for a libmezcore write that appends it in its own transaction. */
void mez_cli_audit_event(apr_pool_t *p, const char *zone_id, const char *action, const char *resource_type,
                         const char *resource_id, json_t *detail, struct mez_audit_event_t *ev);
mez_status_t mez_cli_audit_row(apr_pool_t *p, struct mez_db_t *db, const char *zone_id, const char *action,
                               const char *resource_type, const char *resource_id, json_t *detail,
                               mez_problem_t *pb);

/* A revocable principal's table (tokens, certificate mappings): mez_cli_revoke revokes row id with revoke() and
 * writes its audit row in one transaction, or says it was revoked already and writes nothing (no second row).
 * The outcome goes to stdout ("<what> <id> revoked"); returns the exit code. */
typedef struct mez_cli_revocable_t {
    const char *table, *id_column, *what, *action, *resource_type;
    mez_status_t (*revoke)(apr_pool_t *p, struct mez_db_t *db, const char *id, mez_problem_t *pb);
} mez_cli_revocable_t;
int mez_cli_revoke(apr_pool_t *p, struct mez_db_t *db, const mez_cli_revocable_t *r, const char *id);

#endif

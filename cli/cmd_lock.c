/* cmd_lock.c: `mez lock ZONE.yaml` writes stack.lock; `mez zone check|show ZONE.yaml` verifies and describes a
 * zone with the same loader mod_mez starts zones with, so a zone that passes `check` (lock matches, no
 * unresolved conflict between its layers) is one httpd will accept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/zone.h"
#include "mez_cli.h"

typedef struct zone_args_t {
    const char *zone;          /* the positional ZONE.yaml */
    const char *profile_dir;
    const char *akn_xsd;
    const char *out;
} zone_args_t;

/* --profile-dir D, --akn-xsd XSD, [--out PATH when with_out], one ZONE.yaml. Returns 0 or -1 (message printed). */
static int parse_args(int argc, const char *const *argv, int with_out, zone_args_t *a, const char *cmd)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], **slot = NULL, *name = NULL;
        size_t n;
        if (arg[0] != '-' || arg[1] == '\0') {
            if (a->zone) {
                fprintf(stderr, "mez %s: one zone file only ('%s')\n", cmd, arg);
                return -1;
            }
            a->zone = arg;
            continue;
        }
        if (!strncmp(arg, "--profile-dir", 13)) { name = "--profile-dir"; slot = &a->profile_dir; }
        else if (!strncmp(arg, "--akn-xsd", 9)) { name = "--akn-xsd"; slot = &a->akn_xsd; }
        else if (with_out && !strncmp(arg, "--out", 5)) { name = "--out"; slot = &a->out; }
        n = name ? strlen(name) : 0;
        if (!slot || (arg[n] != '\0' && arg[n] != '=')) {
            fprintf(stderr, "mez %s: unknown option '%s'\n", cmd, arg);
            return -1;
        }
        if (arg[n] == '=')
            *slot = arg + n + 1;
        else if (i + 1 < argc)
            *slot = argv[++i];
        else {
            fprintf(stderr, "mez %s: %s needs a value\n", cmd, name);
            return -1;
        }
    }
    if (!a->zone) {
        fprintf(stderr, "mez %s: which zone file?\n", cmd);
        return -1;
    }
    if (!a->profile_dir || !*a->profile_dir)
        a->profile_dir = getenv(MEZ_PROFILE_DIR_ENV);
    if (!a->akn_xsd || !*a->akn_xsd)
        a->akn_xsd = getenv(MEZ_AKN_XSD_ENV);
    return 0;
}

/* Loads the zone, its profile and packs, printing every problem. A zone with lawpacks needs the AKN schema: a
 * lock must only ever pin acts that validated. */
static int load(apr_pool_t *p, const zone_args_t *a, mez_zone_options_t *opts, mez_zone_t **zone)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv;

    opts->profile_dir = a->profile_dir;
    opts->problems = apr_array_make(p, 8, sizeof(mez_problem_t));
    opts->max_problems = 100;
    if (a->akn_xsd && *a->akn_xsd) {
        if ((rv = mez_akn_schema_load(p, a->akn_xsd, &opts->akn_schema, &pb)) != MEZ_OK) {
            mez_cli_fail(&pb, rv);
            return MEZ_EXIT_USAGE;
        }
    }
    if ((rv = mez_zone_load(p, a->zone, opts, zone, &pb)) != MEZ_OK) {
        fprintf(stderr, "INVALID %s (%d problem%s)\n", a->zone, opts->problems->nelts ? opts->problems->nelts : 1,
                opts->problems->nelts > 1 ? "s" : "");
        mez_cli_print_problems(opts->problems, &pb);
        return mez_cli_exit_for(rv);
    }
    for (int i = 0; i < (*zone)->packs->nelts; i++)
        if (APR_ARRAY_IDX((*zone)->packs, i, mez_zone_pack_t).kind == MEZ_PACK_LAW && !opts->akn_schema) {
            fprintf(stderr, "mez: zone %s has lawpacks: give the Akoma Ntoso schema (--akn-xsd or $" MEZ_AKN_XSD_ENV
                    ")\n", (*zone)->zone_id);
            return MEZ_EXIT_USAGE;
        }
    return MEZ_EXIT_OK;
}

/* ------------------------------------------------------------------ lock */

static void usage_lock(FILE *out)
{
    fprintf(out,
        "usage: mez lock [--profile-dir D] [--akn-xsd XSD] [--out PATH] ZONE.yaml\n"
        "Loads the zone, its profile and every pack it names (all validated, law citations checked), and writes\n"
        "stack.lock beside it (or the zone's 'lockfile', or PATH): the digest of the zone file, the profile and\n"
        "every pack, as canonical JSON. Review the change before committing it: httpd refuses to start a zone\n"
        "whose files do not match its lock.\n"
        "  --profile-dir D  where profiles/<id>.yaml are; default $" MEZ_PROFILE_DIR_ENV ", else %s\n"
        "  --akn-xsd XSD    Akoma Ntoso schema (akomantoso30.xsd); default $" MEZ_AKN_XSD_ENV "; lawpacks need it\n"
        "exit codes: 0 written, 1 the zone or a pack is invalid, 2 usage or I/O error.\n",
        mez_zone_default_profile_dir());
}

int mez_cmd_lock(apr_pool_t *p, int argc, const char *const *argv)
{
    zone_args_t a;
    mez_zone_options_t opts = { 0 };
    mez_zone_t *zone;
    mez_problem_t pb = { 0 };
    mez_digest_t d;
    json_t *lock, *arts, *item;
    mez_status_t rv;
    size_t i;
    int rc;

    if (mez_cli_wants_help(argc, argv)) {
        usage_lock(stdout);
        return MEZ_EXIT_OK;
    }
    if (parse_args(argc, argv, 1, &a, "lock")) {
        usage_lock(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load(p, &a, &opts, &zone)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_zone_lock_write(p, zone, a.out, &d, &pb)) != MEZ_OK
        || (rv = mez_zone_lock_build(p, zone, &lock, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    arts = json_object_get(lock, "artifacts");
    printf("locked zone %s (profile %s %s, zone manifest %s)\n", zone->zone_id, zone->profile->id,
           mez_digest_format(p, &zone->profile->digest), mez_digest_format(p, &zone->manifest_digest));
    json_array_foreach(arts, i, item)
        printf("  %s %s %s %s\n", json_string_value(json_object_get(item, "type")),
               json_string_value(json_object_get(item, "id")), json_string_value(json_object_get(item, "digest")),
               json_string_value(json_object_get(item, "path")));
    printf("wrote %s (%s)\n", a.out ? a.out : zone->lock_path, mez_digest_format(p, &d));
    /* The lock pins content, conflicts and all; but the operator should hear now, not at httpd's start, that
     * this zone will not run until zone.yaml resolves them. */
    if (mez_zone_unresolved_conflicts(zone))
        fprintf(stderr, "warning: zone %s has %d unresolved conflict%s between its layers: `mez zone check` lists "
                "them; httpd refuses to start the zone until zone.yaml's overrides resolve them\n", zone->zone_id,
                mez_zone_unresolved_conflicts(zone), mez_zone_unresolved_conflicts(zone) > 1 ? "s" : "");
    return MEZ_EXIT_OK;
}

/* ------------------------------------------------------------------ zone check, zone show */

static void usage_zone(FILE *out)
{
    fprintf(out,
        "usage: mez zone check [--profile-dir D] [--akn-xsd XSD] ZONE.yaml\n"
        "       mez zone show [--profile-dir D] [--akn-xsd XSD] ZONE.yaml\n"
        "       mez zone list|status|destroy ...   zones made by `mez deploy` (mez zone list --help)\n"
        "check: loads the zone as httpd does, recomputes every digest and compares it with the zone's stack.lock;\n"
        "       each artifact that differs is named with the digest the lock expects and the actual one. Then\n"
        "       composes the layers of the jurisdiction stack: every conflict between them that zone.yaml's\n"
        "       overrides do not resolve is printed (both rules, their jurisdictions, the period) and fails.\n"
        "show:  prints the zone as loaded (profile, effective compliance domains, packs with digests, lock state,\n"
        "       conflicts between layers and the overrides that resolve them) as JSON.\n"
        "  --profile-dir D  where profiles/<id>.yaml are; default $" MEZ_PROFILE_DIR_ENV ", else %s\n"
        "  --akn-xsd XSD    Akoma Ntoso schema; default $" MEZ_AKN_XSD_ENV "; lawpacks need it\n"
        "exit codes: 0 ok (check: the lock matches, no unresolved conflict), 1 invalid, mismatch or conflict,\n"
        "2 usage or I/O error.\n",
        mez_zone_default_profile_dir());
}

static int cmd_check(apr_pool_t *p, int argc, const char *const *argv)
{
    zone_args_t a;
    mez_zone_options_t opts = { 0 };
    mez_zone_t *zone;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    int rc, n;

    if (parse_args(argc, argv, 0, &a, "zone check")) {
        usage_zone(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load(p, &a, &opts, &zone)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_zone_verify_lock(p, zone, &opts, &pb)) != MEZ_OK) {
        fprintf(stderr, "MISMATCH %s: %s (%d problem%s)\n", zone->zone_id, zone->lock_path,
                opts.problems->nelts ? opts.problems->nelts : 1, opts.problems->nelts > 1 ? "s" : "");
        mez_cli_print_problems(opts.problems, &pb);
        rc = mez_cli_exit_for(rv);
    }
    /* Conflicts are reported whatever the lock says: both are things to fix before httpd will run the zone. */
    apr_array_clear(opts.problems);
    if ((rv = mez_zone_check_conflicts(p, zone, &opts, &pb)) != MEZ_OK) {
        n = mez_zone_unresolved_conflicts(zone);
        fprintf(stderr, "CONFLICT %s: %d unresolved conflict%s between the layers of %s\n", zone->zone_id, n,
                n > 1 ? "s" : "", zone->path);
        mez_cli_print_problems(opts.problems, &pb);
        return rc != MEZ_EXIT_OK ? rc : mez_cli_exit_for(rv);
    }
    if (rc != MEZ_EXIT_OK)
        return rc;
    {
        const apr_array_header_t *missing = mez_zone_missing_sanctions_imports(p, zone);
        const char *tzw = mez_zone_timezone_warning(p, zone);
        if (tzw)
            fprintf(stderr, "warning: %s\n", tzw);
        for (int i = 0; i < missing->nelts; i++)
            fprintf(stderr, "warning: %s\n",
                    mez_zone_sanctions_import_warning(p, zone, APR_ARRAY_IDX(missing, i, const char *)));
    }
    n = mez_zone_conflicts(zone)->nelts;
    printf("ok zone %s: %s matches (%d artifacts, profile %s, lock %s, dates in %s); %s\n", zone->zone_id,
           zone->lock_path, zone->packs->nelts, zone->profile->id, mez_digest_format(p, &zone->lock_digest),
           mez_tz_name(zone->tz),
           n ? apr_psprintf(p, "%d conflict%s between layers, all resolved by overrides", n, n > 1 ? "s" : "")
             : "no conflict between layers");
    return MEZ_EXIT_OK;
}

static json_t *string_list(const apr_array_header_t *list)
{
    json_t *a = json_array();
    for (int i = 0; list && i < list->nelts; i++)
        json_array_append_new(a, json_string(APR_ARRAY_IDX(list, i, const char *)));
    return a;
}

static int cmd_show(apr_pool_t *p, int argc, const char *const *argv)
{
    zone_args_t a;
    mez_zone_options_t opts = { 0 };
    mez_zone_t *zone;
    mez_problem_t pb = { 0 };
    json_t *o, *packs;
    int rc;

    if (parse_args(argc, argv, 0, &a, "zone show")) {
        usage_zone(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load(p, &a, &opts, &zone)) != MEZ_EXIT_OK)
        return rc;
    packs = json_array();
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        json_array_append_new(packs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", mez_pack_kind_name(zp->kind),
                                               "id", zp->pack->id, "path", zp->path, "jurisdiction_id",
                                               zp->pack->jurisdiction_id, "domain", zp->pack->domain, "digest",
                                               mez_pack_digest_string(p, zp->pack)));
    }
    o = mez_json_pool_own(p, json_pack("{s:s,s:s,s:s,s:o,s:{s:s,s:s},s:o,s:s,s:o,s:s,s:s}",
                                       "zone_id", zone->zone_id, "zone_name", zone->zone_name,
                                       "jurisdiction_id", zone->jurisdiction_id,
                                       "jurisdiction_stack", string_list(zone->jurisdiction_stack),
                                       "profile", "id", zone->profile->id,
                                       "digest", mez_digest_format(p, &zone->profile->digest),
                                       "compliance_domains", string_list(zone->compliance_domains),
                                       "compliance_domains_from", zone->domains_from_zone ? "zone" : "profile",
                                       "packs", packs,
                                       "zone_manifest", mez_digest_format(p, &zone->manifest_digest),
                                       "lock", zone->lock_path));
    /* The calendar the zone's law applies on: null is UTC's (mez_zone_timezone_warning). */
    json_object_set_new(o, "timezone", zone->timezone ? json_string(zone->timezone) : json_null());
    json_object_set_new(o, "tax_year_start", zone->tax_year_start ? json_string(zone->tax_year_start) : json_null());
    /* The lock's state is part of what an operator needs to see, but a mismatch is not an error of `show`. */
    json_object_set_new(o, "lock_status", json_string(mez_zone_verify_lock(p, zone, NULL, &pb) == MEZ_OK
                                                          ? "matches" : pb.code));
    /* Likewise conflicts: shown (resolved or not), so an author sees what overrides the zone needs. */
    json_object_set_new(o, "conflicts", mez_zone_conflicts_json(p, zone));
    json_object_set_new(o, "unresolved_conflicts", json_integer(mez_zone_unresolved_conflicts(zone)));
    json_object_set_new(o, "overrides", mez_zone_overrides_json(zone));
    printf("%s\n", mez_json_dump(p, o, 1));
    return MEZ_EXIT_OK;
}

int mez_cmd_zone(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    /* The lifecycle of zones `mez deploy` made (cmd_zone_life.c, with its own --help). */
    if (!strcmp(sub, "list") || !strcmp(sub, "status") || !strcmp(sub, "destroy"))
        return mez_cmd_zone_life(p, argc, argv);
    if (!strcmp(sub, "backup") || !strcmp(sub, "restore"))
        return mez_cmd_zone_backup(p, argc, argv);
    if (mez_cli_wants_help(argc, argv)) {
        usage_zone(stdout);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "check")) return cmd_check(p, argc - 1, argv + 1);
    if (!strcmp(sub, "show")) return cmd_show(p, argc - 1, argv + 1);
    usage_zone(stderr);
    return MEZ_EXIT_USAGE;
}

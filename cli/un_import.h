/* un_import.h: the UN Security Council Consolidated List made into the regpack file a zone loads, shared by `mez
 * sanctions import-un` (cmd_sanctions.c) and `mez deploy --sanctions-un` (deploy_sanctions.c), so both refuse the
 * same lists with the same codes (sanctions.invalid_xml, sanctions.not_un_list, sanctions.empty_list: from
 * mez_sanctions_import_un; sanctions.list_shrank: here) and put a list in place the same way: whole, and only once
 * it reads back as the pack imported. Private to the CLI. */
#ifndef MEZ_UN_IMPORT_H
#define MEZ_UN_IMPORT_H

#include <apr_pools.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/problem.h"
#include "mez/sanctions.h"

typedef struct mez_un_import_t {
    /* what to import */
    const char *xml;                    /* the list as the UN publishes it */
    mez_sanctions_un_options_t opts;    /* jurisdiction_id (required), source_url, include_low_quality */
    int yaml;                           /* 1: a pack file (YAML, every string quoted); 0: the pack's JSON model */
    const char *replaces;               /* the list file the new one replaces (NULL: none): the shrink check's */
    int allow_shrink;                   /* 1: take a list with fewer than half the entries of the one replaced */
    const char *shrink_flag;            /* the option that allows it, named in the refusal */
    /* what mez_un_import_prepare found */
    json_t *model;
    mez_sanctions_report_t rep;
    mez_digest_t digest;                /* the pack's digest (what stack.lock pins) */
    long entries;                       /* the new list's entries */
    long replaced_entries;              /* the replaced list's, or -1 when there is none */
    const char *text;                   /* the file's bytes */
    size_t len;
} mez_un_import_t;

/* Reads im->xml and renders the file; nothing is written. MEZ_OK, or the import's problem, or MEZ_EINVAL 422
 * sanctions.list_shrank when im->replaces holds a UN list more than twice as long and !im->allow_shrink (a feed
 * that lost half the list is a truncated download far likelier than the Council's decision; screening against
 * it would let the lost names through). */
mez_status_t mez_un_import_prepare(apr_pool_t *p, mez_un_import_t *im, mez_problem_t *pb);

/* Puts the prepared file at out: written beside it and synced, read back as a zone reads it (the same pack
 * digest), then renamed over out, so out is the old list or the new one, never half of one. */
mez_status_t mez_un_import_write(apr_pool_t *p, const mez_un_import_t *im, const char *out, mez_problem_t *pb);

#endif

/* mez/sanctions.h: importing official sanctions lists into regpacks (the `lists:` section of packs/README.md), so a
 * zone screens against the list's own content, versioned by the list's own date. mez ships the importers and
 * never a copy of a list: an operator imports the current file, and the tensor screens against the result. */
#ifndef MEZ_SANCTIONS_H
#define MEZ_SANCTIONS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/problem.h"

/* ------------------------------------------------------------------ UN Security Council Consolidated List */

/* The ids the imported regpack uses: its one source, its one list, and the pack id's prefix (the pack id is
 * "un-consolidated-<YYYY-MM-DD>", the list's date, so each daily version is a distinct pack). */
#define MEZ_SANCTIONS_UN_SOURCE_ID   "un-sc-consolidated"
#define MEZ_SANCTIONS_UN_LIST_ID     "un-sc-consolidated"
#define MEZ_SANCTIONS_UN_PACK_PREFIX "un-consolidated-"
/* Where the UN publishes the list as XML: the source url unless the operator names the copy it imported. */
#define MEZ_SANCTIONS_UN_URL         "https://scsanctions.un.org/resources/xml/en/consolidated.xml"

typedef struct mez_sanctions_un_options_t {
    /* Required: the jurisdiction whose zones screen against the list ("pk", "ae-adgm"). The UN list binds every
     * member state, but the evaluator applies a pack to its own jurisdiction and that jurisdiction's zones only,
     * so the pack is written for the importing jurisdiction; its source still names the UN. */
    const char *jurisdiction_id;
    const char *source_url;       /* NULL: MEZ_SANCTIONS_UN_URL */
    /* 0 (the default): aliases of QUALITY "Low" are left out and counted. The UN marks them as too weak to
     * identify anyone ("Abu Ali", "Riyadh", "Muslim"); since every screening hit is a hard block, taking them
     * would deny payments to many unrelated people. 1: take them anyway. */
    int include_low_quality;
} mez_sanctions_un_options_t;

/* An element the UN's published schema (sc-sanctions.xsd) does not define where it was found. Real lists drift
 * from their schema, so such elements are recorded and the import goes on (see the import below). */
typedef struct mez_sanctions_unknown_t {
    const char *path;             /* "ENTITY_ALIAS/NOTE": the parent's name and the element's */
    int count;
    long first_line;
} mez_sanctions_unknown_t;

/* What an import found, for the operator (the CLI prints it) and for logs. */
typedef struct mez_sanctions_report_t {
    const char *list_date;        /* YYYY-MM-DD, the date of dateGenerated */
    const char *date_generated;   /* the root's dateGenerated as written */
    int individuals, entities;    /* entries written */
    int aliases;                  /* alias strings written, over all entries (original-script ones included) */
    int original_script;          /* of which names in their original script */
    int low_quality_skipped;      /* aliases of QUALITY "Low" left out (include_low_quality 0) */
    int delisted_skipped;         /* records carrying a DELISTED_ON date, left out */
    apr_array_header_t *unknown;  /* mez_sanctions_unknown_t, in the order first met */
} mez_sanctions_report_t;

/* Reads the UN Security Council Consolidated List XML at path (CONSOLIDATED_LIST with INDIVIDUALS/INDIVIDUAL and
 * ENTITIES/ENTITY records) with a streaming reader, one record in memory at a time, and builds a regpack model
 * (owned by p) in the packs/README.md format:
 *
 *   {format: mez-regpack/1, id: "un-consolidated-<date>", jurisdiction_id: opts->jurisdiction_id,
 *    domain: sanctions, title, as_of_date: <date>,
 *    sources: [{id: un-sc-consolidated, title, publisher: "United Nations Security Council", url, date, kind: list}],
 *    lists: [{id: un-sc-consolidated, title, list_date: <date>, source, source_detail: "dateGenerated ...",
 *             entries: [{id: "qdi-001", name, aliases: [...], listed_on, source_detail: "Al-Qaida QDi.001"}]}]}
 *
 * where <date> is the date of the root's dateGenerated. An entry's id is its REFERENCE_NUMBER in lower case with
 * every character other than a-z, 0-9, '_' and '-' written as '-'; its name joins FIRST_NAME .. FOURTH_NAME as
 * written. Its aliases are the ALIAS_NAMEs and the NAME_ORIGINAL_SCRIPT, each as written, and the pieces these and
 * the name split into where the list packs several names into one ("A; B", "NAME (ACRONYM)", "Name (name in
 * another script)", "(original script: ...)"), plus a name in another script that an alias NOTE gives after
 * "original script:" / "in Arabic:"; a form that normalises
 * (mez_tensor_name_normalise) like the name or an earlier alias is written once. Aliases of QUALITY "Low" follow
 * opts->include_low_quality. Records with a DELISTED_ON date are left out.
 *
 * The model is checked with mez_pack_validate before it is returned (so it always loads as a pack). report (may
 * be NULL) receives the counts and the elements the schema does not define.
 *
 * Problems: "sanctions.invalid_options" (422: no jurisdiction), "io.open" (MEZ_EIO: the file cannot be read),
 * "io.read" (MEZ_EIO: not a regular file; a named pipe is refused at once, never waited on),
 * "sanctions.invalid_xml" (422, detail "FILE:LINE: message": not well-formed, or a DOCTYPE, refused so no entity
 * can expand), "sanctions.not_un_list" (422: another root element), "sanctions.missing_date" (422: no
 * dateGenerated with a date), "sanctions.invalid_record" (422, "FILE:LINE: ...": a record without a name or a
 * REFERENCE_NUMBER, which the list could not be screened or cited with, so the whole import is refused rather than
 * silently screening against less), "sanctions.duplicate_reference" (422: two records with one entry id), and the
 * "pack.*" problems of mez_pack_validate (e.g. a jurisdiction id that is not one). The caller has called
 * mez_pack_global_init() (libxml2's initialisation). */
mez_status_t mez_sanctions_import_un(apr_pool_t *p, const char *path, const mez_sanctions_un_options_t *opts,
                                     json_t **model, mez_sanctions_report_t *report, mez_problem_t *pb);

#endif

/* mez/audit.h: the zone's append-only, hash-chained audit trail in its database (DESIGN §8), and its verifier.
 *
 * One row per committed action: mez_audit_append() writes it inside the caller's transaction, so the row exists
 * exactly when the action it records committed (a refused or rolled-back request leaves none). Rows carry
 *   seq            1, 2, 3 ... with no gaps, across every httpd child and every node sharing the database
 *   zone_id, at    which zone, when ("YYYY-MM-DDTHH:MM:SSZ")
 *   actor          who: a bearer token's id, a DID, "cli:<user>", or "anonymous"
 *   action         what: "credential.issue", "compliance.evaluate", "mass.POST /v1/fiscal/payments", ...
 *   resource_type, resource_id   what it acted on (either may be NULL)
 *   outcome        "committed", "denied", ...
 *   request_id     the request it came from (may be NULL)
 *   detail         a JSON object, stored as its RFC 8785 canonical text
 *   prev_hash      the previous row's hash; for seq 1 "sha256:" and 64 zeros
 *   hash           the row's link in the chain, by its hash_scheme:
 *   hash_scheme    2 (every row written since schema 14): hash is "sha256:" + hex(SHA-256 of the UTF-8 text
 *                    prev_hash "\n" seq "\n" content), content being "sha256:<hex>" of the RFC 8785 canonical
 *                    JSON object of zone_id, at, actor, action, resource_type, resource_id, outcome, request_id
 *                    and detail (detail as the object, NULL members as null). The zone hashes the content, the
 *                    database links it (audit.c says why).
 *                  1 (rows written before, and by a build from before schema 14 still running beside a newer
 *                    one): "sha256:<hex>" of the RFC 8785 canonical JSON object holding every member above but
 *                    hash and hash_scheme (seq as a number). Both bind seq, prev_hash and the content, and a
 *                    chain may hold both in any order: each row verifies by its own.
 *
 * mez_audit_verify() recomputes the chain and says exactly what is wrong: a changed row (its hash no longer
 * matches), a deleted row (a gap in seq), a broken link (prev_hash is not the previous row's hash), rows cut
 * off the end (the chain head records a later seq than the last row), rows past the head (forged, or the head set
 * back), a deleted head. `mez audit verify` and `mez audit show`
 * are its command-line face. */
#ifndef MEZ_AUDIT_H
#define MEZ_AUDIT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_AUDIT_GENESIS "sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define MEZ_AUDIT_SCHEME 2       /* the hash scheme appends write */

/* What happened, as the caller knows it. */
typedef struct mez_audit_event_t {
    const char *zone_id;          /* required */
    apr_time_t at;                /* 0: now */
    const char *actor;            /* required */
    const char *action;           /* required */
    const char *resource_type;    /* may be NULL */
    const char *resource_id;      /* may be NULL */
    const char *outcome;          /* required */
    const char *request_id;       /* may be NULL */
    const json_t *detail;         /* an object, or NULL for {} */
} mez_audit_event_t;

/* One stored row, as read back (or as just written). */
typedef struct mez_audit_row_t {
    apr_int64_t seq;
    const char *zone_id, *at, *actor, *action, *resource_type, *resource_id, *outcome, *request_id;
    const char *detail;           /* canonical JSON text of an object */
    const char *prev_hash, *hash;
    int hash_scheme;              /* 1 or 2 (above) */
} mez_audit_row_t;

/* Appends the event as the chain's next row. Call it inside the transaction of the action it records (after
 * mez_db_begin, before mez_db_commit), as late as possible: it locks the chain head until that transaction
 * ends. On PostgreSQL the append is sent as mez_db_send() sends (not waited for: it goes with the COMMIT, where an
 * error of its own fails the transaction); mez_audit_read() gives the row back. Refuses an event lacking a
 * required member or with a detail that is not an object ("audit.invalid_event", 500: a caller's bug, never a
 * client's). */
mez_status_t mez_audit_append(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *ev, mez_problem_t *pb);

/* For a library call that changes a zone's records (a watcher's stake, a corridor's state, a peer): its audit event
 * is not optional, so no caller can make the change without the zone's record of it (the reference system's "no
 * audit row on writes"). MEZ_OK when ev is an event mez_audit_append would take; else 500 "audit.invalid_event"
 * naming what (a caller's bug), before anything is written. */
mez_status_t mez_audit_required(apr_pool_t *p, const mez_audit_event_t *ev, const char *what, mez_problem_t *pb);

/* The hash a row must carry, from its other members by its hash_scheme ("audit.detail_invalid" when detail does
 * not parse, "audit.scheme_unknown" for a scheme other than 1 and 2). */
mez_status_t mez_audit_row_hash(apr_pool_t *p, const mez_audit_row_t *row, const char **hash, mez_problem_t *pb);

/* The row as a JSON object (detail as an object when it parses, else as the stored string); new reference. */
json_t *mez_audit_row_json(const mez_audit_row_t *row);

/* Rows with seq >= from, oldest first, at most limit of them (limit <= 0: all), as mez_audit_row_t. Every row the
 * table holds, whether the chain head covers it or not: to present the log, read the head and use
 * mez_audit_read_upto in one snapshot (mez_db_begin_read), as `mez audit show` does. */
mez_status_t mez_audit_read(apr_pool_t *p, mez_db_t *db, apr_int64_t from, int limit, apr_array_header_t **rows,
                            mez_problem_t *pb);
/* The same, rows with from <= seq <= upto only (upto < 0: no bound). */
mez_status_t mez_audit_read_upto(apr_pool_t *p, mez_db_t *db, apr_int64_t from, apr_int64_t upto, int limit,
                                 apr_array_header_t **rows, mez_problem_t *pb);

/* The chain head (mez_audit_head): the seq and hash of the last row appended; *found 0 when the head row is missing
 * (deleted: every append and migration keeps it). */
mez_status_t mez_audit_head(apr_pool_t *p, mez_db_t *db, apr_int64_t *seq, const char **hash, int *found,
                            mez_problem_t *pb);
/* How many rows the table holds with seq > after, and the first and last of them (0 when none). */
mez_status_t mez_audit_beyond(apr_pool_t *p, mez_db_t *db, apr_int64_t after, apr_int64_t *count, apr_int64_t *first,
                              apr_int64_t *last, mez_problem_t *pb);

/* What the chain head closes, and what lies past it: read within one read snapshot (mez_db_begin_read) with the
 * rows presented, so the log shown is the one the head covers. */
typedef struct mez_audit_extent_t {
    int have_head;                /* 0: the head row is missing (tampering when rows exist) */
    apr_int64_t head_seq;         /* the head's seq (0 for an empty chain, or when have_head is 0) */
    const char *head_hash;
    apr_int64_t beyond, beyond_first, beyond_last; /* rows with a seq past the head: never the log */
} mez_audit_extent_t;
mez_status_t mez_audit_extent(apr_pool_t *p, mez_db_t *db, mez_audit_extent_t *out, mez_problem_t *pb);

/* One page of the log in its own read snapshot: *ext as mez_audit_extent, and the rows from..head (at most
 * limit, oldest first); from 0: the last limit rows up to the head. No rows when the head is missing. */
mez_status_t mez_audit_page(apr_pool_t *p, mez_db_t *db, apr_int64_t from, int limit, mez_audit_extent_t *ext,
                            apr_array_header_t **rows, mez_problem_t *pb);

/* One thing verification found wrong. */
typedef enum {
    MEZ_AUDIT_HASH_MISMATCH,      /* row seq was changed: its hash is not the hash of its members */
    MEZ_AUDIT_GAP,                /* rows after seq (exclusive) up to next_seq (exclusive) are missing */
    MEZ_AUDIT_BROKEN_LINK,        /* row seq's prev_hash is not the hash of the row before it */
    MEZ_AUDIT_TRUNCATED,          /* the head records seq next_seq, the last row is seq */
    MEZ_AUDIT_HEAD_MISMATCH,      /* the head's hash is not the last row's */
    MEZ_AUDIT_BEYOND_HEAD,        /* rows seq..next_seq lie past the head's seq: added past it, or the head set back */
    MEZ_AUDIT_NO_HEAD             /* the head row is missing while the table holds rows */
} mez_audit_fault_t;

typedef struct mez_audit_finding_t {
    mez_audit_fault_t fault;
    apr_int64_t seq;
    apr_int64_t next_seq;
    const char *message;          /* one line: "seq 5: hash mismatch (the row was changed)" */
} mez_audit_finding_t;

typedef struct mez_audit_report_t {
    apr_int64_t rows;             /* rows read, those beyond the head included */
    apr_int64_t old_scheme_rows;  /* of them, rows in hash scheme 1 (written before schema 14, or beside it) */
    apr_int64_t last_seq;         /* the last row's seq within the chain (up to the head), 0 when empty */
    apr_int64_t head_seq;         /* the head's seq, -1 when the head row is missing */
    apr_int64_t beyond_head;      /* rows with a seq past the head's (each one tampering) */
    apr_array_header_t *findings; /* mez_audit_finding_t; empty when the chain is intact */
    /* With an anchor (mez_audit_verify_anchored): NULL when the chain holds its row as signed, else the code
     * ("audit.anchor_missing", "audit.anchor_mismatch") and a sentence. */
    const char *anchor_code, *anchor_detail;
} mez_audit_report_t;

/* Recomputes the whole chain, reading the head and the rows in batches within one read snapshot
 * (mez_db_begin_read), so that rows committed meanwhile are seen with the head that covers them or not at all.
 * The head closes the chain: a row with a seq past the head's is tampering (MEZ_AUDIT_BEYOND_HEAD: a forged row,
 * or the head set back over real ones), and so is a missing head while rows exist (MEZ_AUDIT_NO_HEAD; without rows
 * the chain is empty). Returns MEZ_OK when it could read the chain (then the report says whether it is intact); an
 * error when the database or the table cannot be used. Call it outside a transaction (it opens its own). */
mez_status_t mez_audit_verify(apr_pool_t *p, mez_db_t *db, mez_audit_report_t *rep, mez_problem_t *pb);

/* ------------------------------------------------------------------ signed anchors (audit_anchor.c) */

/* A signed anchor of the chain's head: a C2SP signed note (origin "<zone id>/audit", key name the origin, size
 * the head's seq, the root line its hash), kept outside the zone by auditors so that removing the newest rows
 * cannot go unnoticed. */
typedef struct mez_audit_anchor_t {
    const char *origin;
    apr_int64_t seq;              /* the head's seq when signed (0: the empty chain) */
    const char *hash;             /* "sha256:" + 64 hex */
    const char *note;             /* the signed note */
    const char *vkey;             /* the verifier key text (sign only) */
} mez_audit_anchor_t;

struct mez_key_t;
/* Signs the chain's head as it is with the zone key. */
mez_status_t mez_audit_anchor_sign(apr_pool_t *p, mez_db_t *db, const char *zone_id, const struct mez_key_t *key,
                                   mez_audit_anchor_t *out, mez_problem_t *pb);
/* Opens an anchor: its signature by key (checkpoint.* problems) and that it is an audit chain's ("audit.
 * not_an_anchor"); out then holds its origin, seq and hash. Whether the chain holds it is
 * mez_audit_verify_anchored's to say. */
mez_status_t mez_audit_anchor_open(apr_pool_t *p, const char *note, const struct mez_key_t *key,
                                   mez_audit_anchor_t *out, mez_problem_t *pb);
/* mez_audit_verify, and in the same pass whether the verified chain holds the anchor's row with the anchor's hash:
 * the hash recomputed from the row's members (the stored column is what a forger rewrites), and only within the
 * chain (seq <= the head's; a head set back below the anchor does not hold it). rep->anchor_code says what does not
 * hold: "audit.anchor_missing" (the row is gone, or lies beyond the head), "audit.anchor_mismatch" (the row there
 * is another). anchor NULL: plain mez_audit_verify. */
mez_status_t mez_audit_verify_anchored(apr_pool_t *p, mez_db_t *db, const mez_audit_anchor_t *anchor,
                                       mez_audit_report_t *rep, mez_problem_t *pb);

#endif

/* mez/cas.h: the content-addressed store under <datadir>/cas/<type>/<hex>, closure verification over the
 * digests artifacts name, and witness bundles that carry a closure to another machine. */
#ifndef MEZ_CAS_H
#define MEZ_CAS_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "mez/digest.h"
#include "mez/problem.h"

/* An artifact's name: its type (lower-case letters, digits, '-'; at most 32) and its digest. What the digest is
 * of depends on the type (mez_cas_digest):
 *   lawpack, regpack, licensepack   the pack digest of the pack the bytes hold (mez_pack_artifact), so the CAS
 *                                   name of a pack is the digest stack.lock pins;
 *   any other type                  SHA-256 of the bytes.
 * References: an artifact whose bytes are a JSON object with a top-level member
 *   "references": [{"type": "...", "digest": "sha256:<hex>"}, ...]
 * names other artifacts (entries may carry further members, e.g. a role). It is valid only when each of them is
 * present and valid, transitively; a malformed "references" member makes the artifact invalid. */

typedef struct mez_cas_ref_t {
    const char *type;
    mez_digest_t digest;
} mez_cas_ref_t;

typedef struct mez_cas_t mez_cas_t;

#define MEZ_CAS_MAX_ARTIFACT (256 * 1024 * 1024)
#define MEZ_BUNDLE_FORMAT "mez-bundle/1"

/* Opens the store at datadir (created with its cas/ directory when create is set, mode 0750 before umask). */
mez_status_t mez_cas_open(apr_pool_t *p, const char *datadir, int create, mez_cas_t **out, mez_problem_t *pb);

/* 1 when type is a valid artifact type. */
int mez_cas_type_ok(const char *type);

/* The digest of bytes stored under type, by the rule above ("cas.invalid_content" when a pack type's bytes are
 * not the canonical form of a pack). */
mez_status_t mez_cas_digest(apr_pool_t *p, const char *type, const void *data, size_t len, mez_digest_t *out,
                            mez_problem_t *pb);

/* The references an artifact names (mez_cas_ref_t), empty when it is not a JSON object or has none;
 * "cas.invalid_references" (with a pointer) when "references" is present but malformed. */
mez_status_t mez_cas_references(apr_pool_t *p, const void *data, size_t len, apr_array_header_t **refs,
                                mez_problem_t *pb);

/* Stores bytes under type, atomically (temporary file in the same directory, fsync, rename, fsync of the
 * directory). When expected is not NULL the content's digest must equal it ("cas.digest_mismatch", nothing
 * written). Storing what is already there is a no-op; a corrupt file in its place is replaced. The digest is
 * returned in *out (may be NULL). Files are created read-only (0444): content-addressed files never change. */
mez_status_t mez_cas_put(apr_pool_t *p, mez_cas_t *cas, const char *type, const void *data, size_t len,
                         const mez_digest_t *expected, mez_digest_t *out, mez_problem_t *pb);

/* Reads an artifact and checks its digest on the way ("cas.not_found" 404, "cas.corrupt" 422). */
mez_status_t mez_cas_get(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d, const char **data,
                         size_t *len, mez_problem_t *pb);

/* 1 when a file for the artifact exists (its content is not checked: use mez_cas_verify). */
int mez_cas_has(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d);

/* Recomputes one artifact's digest ("cas.not_found", "cas.corrupt"); references are not followed. */
mez_status_t mez_cas_verify(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d,
                            mez_problem_t *pb);

/* Verifies the artifact and everything it references, transitively, each once (cycle-safe). On success
 * *closure (may be NULL) lists every artifact of the closure (mez_cas_ref_t), the root first. Problems:
 * "cas.not_found" / "cas.corrupt" for the root, "cas.missing_reference" / "cas.corrupt_reference" naming the
 * referenced artifact and the one that references it, "cas.invalid_references". */
mez_status_t mez_cas_verify_closure(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d,
                                    apr_array_header_t **closure, mez_problem_t *pb);

/* The types under which an artifact with digest d is stored (const char *), for callers that know only the
 * digest; empty when none. */
mez_status_t mez_cas_find(apr_pool_t *p, mez_cas_t *cas, const mez_digest_t *d, apr_array_header_t **types,
                          mez_problem_t *pb);

/* Writes a whole file atomically: a temporary file in the same directory, fsync, chmod to mode, rename over
 * path, fsync of the directory. Readers see the old file or the new one, never a part ("io.write"). */
mez_status_t mez_cas_write_file_atomic(apr_pool_t *p, const char *path, const void *data, size_t len, int mode,
                                       mez_problem_t *pb);

/* ------------------------------------------------------------------ witness bundles */

/* A bundle is one JSON document (canonical bytes, RFC 8785):
 *   {"format": "mez-bundle/1",
 *    "root": {"type": T, "digest": "sha256:<hex>"},
 *    "artifacts": [{"type": T, "digest": "sha256:<hex>", "content_base64": "..."}, ...]}
 * holding exactly the verified closure of root (root first). JSON rather than tar: one strict parser that mez
 * already has, no file names or modes to sanitise, and the digest rules apply to the decoded bytes unchanged. */

/* Verifies the closure of root in cas and writes it as a bundle to out_path (atomically, like mez_cas_put). */
mez_status_t mez_bundle_export(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *root,
                               const char *out_path, mez_problem_t *pb);

/* The same bundle as bytes. */
mez_status_t mez_bundle_build(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *root,
                              const char **bytes, size_t *len, mez_problem_t *pb);

/* Checks a bundle completely before writing anything: the format, every artifact's digest recomputed from its
 * decoded content, no duplicates, every reference of every artifact inside the bundle, every artifact reachable
 * from root. Only then stores the artifacts in cas. Problems: "bundle.invalid" (shape, base64, with pointer),
 * "bundle.digest_mismatch", "bundle.missing_reference", "bundle.unreachable", "bundle.duplicate"; in every
 * such case the store is unchanged. *root_out and *count (may be NULL) report what was imported. */
mez_status_t mez_bundle_import(apr_pool_t *p, mez_cas_t *cas, const void *bytes, size_t len, mez_cas_ref_t *root_out,
                               int *count, mez_problem_t *pb);

/* mez_bundle_import of a file. */
mez_status_t mez_bundle_import_file(apr_pool_t *p, mez_cas_t *cas, const char *path, mez_cas_ref_t *root_out,
                                    int *count, mez_problem_t *pb);

#endif

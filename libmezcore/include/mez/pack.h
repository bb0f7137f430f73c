/* mez/pack.h: the pack trilogy (lawpacks: Akoma Ntoso acts; regpacks and licensepacks: YAML) loaded, validated
 * with errors that name file, line and field, digested, and described by a signed manifest credential. */
#ifndef MEZ_PACK_H
#define MEZ_PACK_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/key.h"
#include "mez/problem.h"
#include "mez/vc.h"
#include "mez/yaml.h"

#define MEZ_PACK_FORMAT_LAW     "mez-lawpack/1"
#define MEZ_PACK_FORMAT_REG     "mez-regpack/1"
#define MEZ_PACK_FORMAT_LICENSE "mez-licensepack/1"
/* The file name a lawpack's manifest has inside the lawpack digest, whatever it is called on disk. */
#define MEZ_PACK_LAW_MANIFEST   "lawpack.yaml"
/* The CAS form of a lawpack: its digest files in one canonical JSON document (see mez_pack_artifact). */
#define MEZ_PACK_LAW_ARCHIVE    "mez-lawpack-archive/1"
/* The credential type of a signed pack manifest (with "VerifiableCredential"). */
#define MEZ_PACK_MANIFEST_TYPE  "PackManifestCredential"

typedef enum {
    MEZ_PACK_LAW = 1,
    MEZ_PACK_REG,
    MEZ_PACK_LICENSE
} mez_pack_kind_t;

/* "lawpack", "regpack", "licensepack": also the CAS type the pack is stored under. */
const char *mez_pack_kind_name(mez_pack_kind_t kind);
/* The kind for a CAS type or kind name; 0 when it is none of the three. */
mez_pack_kind_t mez_pack_kind_from_name(const char *name);

/* The tensor's compliance domains, spelled as packs/README.md spells them. The tensor area keeps the same
 * table; until the two are merged this list is what pack validation accepts ("pack.unknown_domain"). */
#define MEZ_PACK_DOMAIN_COUNT 20
extern const char *const mez_pack_domains[MEZ_PACK_DOMAIN_COUNT];
int mez_pack_domain_known(const char *name);
/* A name as packs write their enumerations and figures (income_class, basis, threshold.aggregate, a class of
 * person): a lower-case letter, then lower-case letters, digits and '_', at most 128 bytes. The pack validator,
 * the tensor (an action naming one) and the treasury (an aggregate it is asked for) check it alike. */
int mez_pack_slug_ok(const char *s);

/* ------------------------------------------------------------------ start-up */

/* Initialises libxml2 (xmlInitParser). Call once from main() or httpd's post_config, before any thread
 * starts; libmezcore never calls it itself, because libxml2's own initialisation is not thread-safe. */
void mez_pack_global_init(void);

/* ------------------------------------------------------------------ Akoma Ntoso */

/* A compiled AKN XML Schema. Parse it once at start-up and share it read-only between threads: libxml2's
 * xmlSchema is immutable after parsing, and each validation takes its own short-lived validation context
 * (xmlSchemaValidCtxt is not thread-safe). Freed when the pool is cleared. */
typedef struct mez_akn_schema_t mez_akn_schema_t;

/* The environment variable naming the AKN schema for the CLI and tests (the XSD is never copied into mez). */
#define MEZ_AKN_XSD_ENV "MEZ_AKN_XSD"

/* Parses xsd_path (akomantoso30.xsd; its xml.xsd import is resolved beside it). "pack.akn_schema_invalid"
 * (MEZ_EIO) when the schema cannot be read or compiled. */
mez_status_t mez_akn_schema_load(apr_pool_t *p, const char *xsd_path, const mez_akn_schema_t **out,
                                 mez_problem_t *pb);

/* One element of an act addressed by its eId (a section, subsection, clause...). Its num, heading and text are
 * not stored but rendered on demand (mez_akn_section_text) from its document's text, which is kept once: a
 * string per element would hold the text of an element again for every eId above it, up to libxml2's 256
 * levels, for the life of the pool. */
typedef struct mez_akn_span_t mez_akn_span_t;
typedef struct mez_akn_section_t {
    const char *eid;
    const char *element;   /* the AKN element name: "section", "subsection", "paragraph", ... */
    const char *document;  /* the documents[].path it is in */
    int line;              /* its line in that document */
    const mez_akn_span_t *span;  /* where its content lies in the document's text (pack_akn.c) */
} mez_akn_section_t;

/* What a section says, rendered into the caller's pool. */
typedef struct mez_akn_text_t {
    const char *num;       /* its <num>, whitespace normalised; NULL when absent */
    const char *heading;   /* its <heading>; NULL when absent */
    const char *text;      /* everything else it holds, whitespace normalised, one block (p, subsection...)
                            * per line, nested nums kept ("(1) Every person ..."); "" when empty */
} mez_akn_text_t;

/* Renders s's num, heading and text into p: time and memory in proportion to the element's own content. */
void mez_akn_section_text(apr_pool_t *p, const mez_akn_section_t *s, mez_akn_text_t *out);

/* Parses an AKN document (name is used in messages) without network access or entity expansion, validates it
 * against schema when not NULL, checks it is an <act> whose FRBRWork FRBRuri or FRBRthis equals frbr_work
 * (when not NULL), and indexes every element with an eId into sections (eId -> const mez_akn_section_t *).
 * Problems: "pack.akn_invalid" (malformed XML, a DOCTYPE, not an <act>, or an XSD violation: detail
 * "NAME:LINE: message"), "pack.akn_frbr_mismatch", "pack.akn_duplicate_eid" (also against eIds already in
 * sections); all status 422. When problems is not NULL every XSD violation is appended to it (mez_problem_t). */
mez_status_t mez_akn_index(apr_pool_t *p, const mez_akn_schema_t *schema, const char *name, const char *buf,
                           size_t len, const char *frbr_work, apr_hash_t *sections, apr_array_header_t *problems,
                           mez_problem_t *pb);

/* ------------------------------------------------------------------ loading and validating */

typedef struct mez_pack_options_t {
    const mez_akn_schema_t *akn_schema; /* NULL: AKN documents are parsed and indexed but not XSD-validated */
    apr_array_header_t *problems;       /* when set, every problem found (mez_problem_t) is appended, so an author
                                         * sees all of them at once; pb still gets the first */
    int max_problems;                   /* stop collecting after this many (0: 100) */
} mez_pack_options_t;

/* A file that goes into a lawpack digest: its relative path and its canonical bytes. */
typedef struct mez_pack_file_t {
    const char *path;
    const void *data;
    size_t len;
} mez_pack_file_t;

/* A loaded, validated pack. Read-only after loading: safe to share between threads. */
typedef struct mez_pack_t {
    mez_pack_kind_t kind;
    const char *format, *id, *jurisdiction_id, *domain, *title, *as_of_date;
    const char *path;              /* the YAML file it was read from (lawpack: its lawpack.yaml) */
    json_t *model;                 /* the validated JSON model, owned by the load pool */
    const mez_yaml_doc_t *yaml;    /* the model's line map */
    mez_digest_t digest;           /* see mez_pack_digest() */
    apr_hash_t *sections;          /* lawpack: eId -> const mez_akn_section_t *; NULL otherwise */
    apr_array_header_t *files;     /* lawpack: the mez_pack_file_t digested, sorted by path; NULL otherwise */
} mez_pack_t;

/* Loads a pack: path is a lawpack directory (holding lawpack.yaml) or a YAML file in any of the three formats
 * (a lawpack's documents[].path are read relative to its directory). Validates the model (see below), the AKN
 * documents of a lawpack, and computes the digest. Problems are MEZ_EINVAL (status 422, detail
 * "FILE:LINE:COLUMN: ...", pointer to the field) or MEZ_EIO for files that cannot be read.
 * A float anywhere is "pack.float_not_allowed" (the YAML loader's yaml.float_not_allowed, renamed so pack
 * authors get one code for "amounts and rates are decimal strings"). */
mez_status_t mez_pack_load(apr_pool_t *p, const char *path, const mez_pack_options_t *opts, mez_pack_t **out,
                           mez_problem_t *pb);

/* Validates a parsed YAML model against its format (given by its "format" member) and sets *kind.
 * Checks: the common header (format, id [a-z0-9-], jurisdiction_id, domain among mez_pack_domains, title,
 * as_of_date, sources with unique ids); every row's fields by type (unknown keys "pack.unknown_key", missing
 * ones "pack.missing_field", a row without its source "pack.missing_source", a source id not in sources
 * "pack.unknown_source", dates YYYY-MM-DD "pack.invalid_date", valid_from <= valid_to "pack.invalid_period",
 * rates and amounts as decimal strings "pack.invalid_decimal", "pack.invalid_type", "pack.invalid_value",
 * row ids unique in the pack "pack.duplicate_id", licence types naming a regulator of the pack
 * "pack.unknown_regulator"). */
mez_status_t mez_pack_validate(apr_pool_t *p, const mez_yaml_doc_t *doc, const mez_pack_options_t *opts,
                               mez_pack_kind_t *kind, mez_problem_t *pb);

/* Checks that every `law: {lawpack, eid}` in pack names one of the lawpacks given and an eId in it
 * ("pack.unknown_lawpack", "pack.unknown_eid"); a pack set is consistent only when this holds. */
mez_status_t mez_pack_check_law_refs(apr_pool_t *p, const mez_pack_t *pack, mez_pack_t *const *lawpacks,
                                     size_t nlawpacks, const mez_pack_options_t *opts, mez_problem_t *pb);

/* The section of a lawpack with this eId ("pack.unknown_eid", 404, when there is none). */
mez_status_t mez_pack_law_section(apr_pool_t *p, const mez_pack_t *law, const char *eid,
                                  const mez_akn_section_t **out, mez_problem_t *pb);

/* ------------------------------------------------------------------ digests */

/* Lawpack digest v1, exactly as the reference system computes it:
 *   SHA-256("mez-lawpack-v1\0" || for each file, sorted bytewise by path: path || "\0" || bytes || "\0").
 * The caller gives each file's canonical bytes (mez_pack_load uses the RFC 8785 bytes of lawpack.yaml's model
 * and the raw XML). Duplicate paths are refused ("pack.duplicate_path"). */
mez_status_t mez_pack_lawpack_digest(apr_pool_t *p, const mez_pack_file_t *files, size_t nfiles, mez_digest_t *out,
                                     mez_problem_t *pb);

/* Regpack and licensepack digests cover the whole pack:
 *   SHA-256("mez-regpack-v1\0" || JCS(model))  and  SHA-256("mez-licensepack-v1\0" || JCS(model)).
 * (The reference system's regpack digest leaves rates, reporting requirements and regulator bodies out, so two
 * packs with different rates share a digest; mez does not follow it there.) */
mez_status_t mez_pack_model_digest(apr_pool_t *p, mez_pack_kind_t kind, const json_t *model, mez_digest_t *out,
                                   mez_problem_t *pb);

/* The pack's digest as "sha256:<hex>". */
const char *mez_pack_digest_string(apr_pool_t *p, const mez_pack_t *pack);

/* ------------------------------------------------------------------ CAS form */

/* The bytes a pack is stored as in the CAS (under type mez_pack_kind_name(kind)), chosen so the CAS name is
 * the pack digest: regpacks and licensepacks are the RFC 8785 bytes of the model; a lawpack is the RFC 8785
 * bytes of {"format": MEZ_PACK_LAW_ARCHIVE, "files": [{"path", "content_base64"}...]} holding its digest files. */
mez_status_t mez_pack_artifact(apr_pool_t *p, const mez_pack_t *pack, const char **bytes, size_t *len,
                               mez_problem_t *pb);

/* Recomputes the pack digest of artifact bytes of the given kind (the CAS calls this to verify): regpack and
 * licensepack bytes are hashed behind their prefix; a lawpack archive must be canonical JSON in the archive
 * format ("pack.invalid_archive") and is hashed as mez_pack_lawpack_digest over its files. */
mez_status_t mez_pack_artifact_digest(apr_pool_t *p, mez_pack_kind_t kind, const void *bytes, size_t len,
                                      mez_digest_t *out, mez_problem_t *pb);

/* The files of a lawpack archive (mez_pack_file_t, in archive order); "pack.invalid_archive" unless bytes are the
 * canonical JSON of a well-formed archive. */
mez_status_t mez_pack_archive_files(apr_pool_t *p, const void *bytes, size_t len, apr_array_header_t **files,
                                    mez_problem_t *pb);

/* Loads a pack from its CAS bytes (as mez_pack_load does from files), so a zone can start from the CAS. */
mez_status_t mez_pack_load_artifact(apr_pool_t *p, mez_pack_kind_t kind, const void *bytes, size_t len,
                                    const mez_pack_options_t *opts, mez_pack_t **out, mez_problem_t *pb);

/* ------------------------------------------------------------------ helpers shared with the CAS */

/* 1 when s is a calendar date written YYYY-MM-DD (leap years included). */
int mez_pack_date_ok(const char *s);

/* 1 when path is relative, '/'-separated, without empty, "." or ".." segments or backslashes: safe to join
 * under a directory. */
int mez_pack_path_ok(const char *path);

/* Standard base64 with padding (OpenSSL). Decoding is strict: only the one canonical text of some bytes is
 * accepted (no whitespace, padding only at the end, unused bits zero); returns 0, or -1 for anything else. */
const char *mez_pack_base64_encode(apr_pool_t *p, const void *data, size_t len);
int mez_pack_base64_decode(apr_pool_t *p, const char *text, size_t len, unsigned char **out, size_t *outlen);

/* ------------------------------------------------------------------ manifest credential */

/* The manifest (owned by p): {id: "urn:mez:pack:sha256:<hex>", type: "lawpack"|"regpack"|"licensepack", format,
 * pack_id (the pack's own id), jurisdiction_id, domain, title, as_of_date, digest: "sha256:<hex>", sources}. */
mez_status_t mez_pack_manifest(apr_pool_t *p, const mez_pack_t *pack, json_t **out, mez_problem_t *pb);

/* The manifest issued as a VC 2.0 credential of type [VerifiableCredential, PackManifestCredential] whose
 * credentialSubject is the manifest, signed with the zone key through mez_vc_issue (issuer_id NULL: the key's
 * did:key; opts may be NULL). */
mez_status_t mez_pack_manifest_credential(apr_pool_t *p, const mez_pack_t *pack, const mez_key_t *key,
                                          const char *issuer_id, const mez_vc_proof_options_t *opts, json_t **vc,
                                          mez_problem_t *pb);

#endif

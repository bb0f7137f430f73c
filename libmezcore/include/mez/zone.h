/* mez/zone.h: a zone as configured by zone.yaml: its deployment profile, the packs it loads, and stack.lock, which
 * pins the digest of every artifact so that a zone never runs on content nobody locked. */
#ifndef MEZ_ZONE_H
#define MEZ_ZONE_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/pack.h"
#include "mez/problem.h"
#include "mez/yaml.h"

#define MEZ_ZONE_FORMAT     "mez-zone/1"
#define MEZ_PROFILE_FORMAT  "mez-profile/1"
#define MEZ_LOCK_FORMAT     "mez-stack-lock/1"
/* The lock file's name beside zone.yaml when the zone does not name another (its "lockfile" member). */
#define MEZ_ZONE_LOCKFILE   "stack.lock"
/* The environment variable the CLI reads for the profile directory when --profile-dir is not given. */
#define MEZ_PROFILE_DIR_ENV "MEZ_PROFILE_DIR"

/* Problems. Every one from a YAML file is status 422 with a detail "FILE:LINE:COLUMN: ..." and a JSON pointer
 * into that file (as mez_yaml_problem writes them):
 *   zone.yaml      zone.unknown_key, zone.missing_field, zone.invalid_type, zone.invalid_value (format, id
 *                  pattern, empty string or list), zone.duplicate_value, zone.unknown_domain, zone.invalid_path
 *                  (a pack or lock path that is absolute or leaves the zone directory), zone.unknown_profile (no
 *                  profiles/<id>.yaml), zone.pack_not_found, zone.pack_kind_mismatch (a regpack listed under
 *                  lawpacks...), zone.duplicate_pack (two packs of one kind with one id), zone.pack_jurisdiction (a
 *                  pack whose jurisdiction is not in the zone's jurisdiction stack), zone.pack_domain (a pack whose
 *                  domain the profile does not select for its kind), zone.jurisdiction_not_in_stack;
 *   profile        profile.unknown_key, profile.missing_field, profile.invalid_type, profile.invalid_value,
 *                  profile.duplicate_value, profile.unknown_domain, profile.id_mismatch (id is not the file name);
 *   packs          whatever mez_pack_load and mez_pack_check_law_refs report (pack.*, yaml.*), naming the pack's
 *                  own file and line;
 *   stack.lock     lock.missing, lock.invalid (with a pointer into the lock), lock.zone_mismatch,
 *                  lock.profile_mismatch, lock.digest_mismatch (detail: the artifact, "expected" digest from the
 *                  lock, "actual" digest recomputed), lock.unlocked_artifact, lock.stale_artifact.
 * Files that cannot be read are MEZ_EIO ("io.open", "io.read"); everything else MEZ_EINVAL. */

/* A deployment profile (profiles/<id>.yaml): the domains a zone of this kind evaluates, the domains of the packs
 * it loads by kind, and the modules it enables. Read-only once loaded. */
typedef struct mez_profile_t {
    const char *id, *name, *description;
    const char *path;                         /* the file it was read from */
    apr_array_header_t *compliance_domains;   /* const char *, as listed */
    apr_array_header_t *lawpack_domains;      /* const char * */
    apr_array_header_t *regpack_domains;      /* const char * */
    apr_array_header_t *licensepack_domains;  /* const char * */
    apr_array_header_t *modules;              /* const char * */
    json_t *model;                            /* the validated JSON model, owned by the load pool */
    const mez_yaml_doc_t *yaml;
    mez_digest_t digest;                      /* SHA-256 of the RFC 8785 bytes of model */
} mez_profile_t;

/* A pack as zone.yaml names it. */
typedef struct mez_zone_pack_t {
    mez_pack_kind_t kind;       /* the list it is named in (and, once loaded, its format) */
    const char *path;           /* as written: relative to the zone file's directory */
    const char *pointer;        /* where in zone.yaml, e.g. "/packs/regpacks/1" */
    mez_pack_t *pack;           /* NULL until mez_zone_load has loaded it */
} mez_zone_pack_t;

/* A zone. After mez_zone_load everything here is immutable, so one loaded zone can serve every thread. */
typedef struct mez_zone_t {
    const char *path;                        /* zone.yaml */
    const char *dir;                         /* its directory: pack and lock paths are relative to it */
    const char *zone_id, *zone_name, *jurisdiction_id, *profile_id;
    apr_array_header_t *jurisdiction_stack;  /* const char *, national base first; [jurisdiction_id] when the
                                              * file has none */
    apr_array_header_t *compliance_domains;  /* const char *: the effective selection (the zone's own list when
                                              * it has one, else its profile's); NULL until the profile is loaded
                                              * unless the zone overrides */
    int domains_from_zone;                   /* 1 when compliance_domains is the zone's override */
    apr_array_header_t *packs;               /* mez_zone_pack_t, in zone.yaml order: lawpacks, regpacks,
                                              * licensepacks, each as listed */
    const char *lockfile;                    /* as written (default MEZ_ZONE_LOCKFILE) */
    const char *lock_path;                   /* dir/lockfile */
    json_t *model;                           /* zone.yaml's validated JSON model */
    const mez_yaml_doc_t *yaml;
    mez_digest_t manifest_digest;            /* SHA-256 of the RFC 8785 bytes of model ("zone_manifest") */
    mez_profile_t *profile;                  /* NULL after mez_zone_parse */
    mez_digest_t lock_digest;                /* SHA-256 of the RFC 8785 bytes of the lock that
                                              * mez_zone_verify_lock accepted */
    int locked;                              /* 1 once mez_zone_verify_lock has accepted the lock */
} mez_zone_t;

typedef struct mez_zone_options_t {
    const char *profile_dir;             /* NULL: mez_zone_default_profile_dir() */
    const mez_akn_schema_t *akn_schema;  /* NULL: AKN documents are indexed but not XSD-validated */
    apr_array_header_t *problems;        /* when set, every problem found (mez_problem_t) is appended; pb gets
                                          * the first */
    int max_problems;                    /* stop collecting after this many (0: 100) */
} mez_zone_options_t;

/* The installed profile directory, $(pkgdatadir)/profiles, compiled in. */
const char *mez_zone_default_profile_dir(void);

/* ------------------------------------------------------------------ profiles */

/* Validates a parsed profile model with the rules of schemas/profile.schema.json (and a pointer and line for
 * every problem). */
mez_status_t mez_profile_validate(apr_pool_t *p, const mez_yaml_doc_t *doc, const mez_zone_options_t *opts,
                                  mez_problem_t *pb);

/* Reads, validates and digests profile_dir/<id>.yaml (profile_dir NULL: the default); its id must be <id>.
 * A profile that is not there is "profile.not_found" (MEZ_EINVAL, 422). */
mez_status_t mez_profile_load(apr_pool_t *p, const char *profile_dir, const char *id, const mez_zone_options_t *opts,
                              mez_profile_t **out, mez_problem_t *pb);

/* 1 when profile selects domain for packs of kind (pack_domains.<kind>s). */
int mez_profile_selects_pack(const mez_profile_t *profile, mez_pack_kind_t kind, const char *domain);

/* ------------------------------------------------------------------ zones */

/* Validates a parsed zone.yaml model with the rules of schemas/zone.schema.json, plus: pack and lock paths are
 * relative paths inside the zone directory, jurisdiction_id is in jurisdiction_stack. */
mez_status_t mez_zone_validate(apr_pool_t *p, const mez_yaml_doc_t *doc, const mez_zone_options_t *opts,
                               mez_problem_t *pb);

/* Reads and validates zone.yaml and computes its manifest digest; neither the profile nor the packs are read
 * (profile, packs[].pack stay NULL). */
mez_status_t mez_zone_parse(apr_pool_t *p, const char *path, const mez_zone_options_t *opts, mez_zone_t **out,
                            mez_problem_t *pb);

/* mez_zone_parse, then the profile (zone.unknown_profile at /profile when it does not exist), the effective
 * domains, every pack with mez_pack_load (a path that does not exist is zone.pack_not_found at its place in
 * zone.yaml), the checks between zone and packs listed above, and every `law: {lawpack, eid}` citation of every
 * pack against the zone's lawpacks. The lock is not read: see mez_zone_verify_lock. Everything is allocated from
 * p; the result is read-only and can be shared between threads. */
mez_status_t mez_zone_load(apr_pool_t *p, const char *path, const mez_zone_options_t *opts, mez_zone_t **out,
                           mez_problem_t *pb);

/* The zone's pack with this digest, NULL when none (zone may be NULL). Read-only: safe on the request path. */
const mez_zone_pack_t *mez_zone_find_pack(const mez_zone_t *zone, const mez_digest_t *digest);

/* The pack with the digest written as text: "digest.invalid" (400) when text is not sha256:<64 lowercase hex>,
 * "pack.not_found" (404) when the zone (which may be NULL) has no such pack. */
mez_status_t mez_zone_pack_by_digest(apr_pool_t *p, const mez_zone_t *zone, const char *text,
                                     const mez_zone_pack_t **out, mez_problem_t *pb);

/* The element with this eId in the zone's lawpacks, restricted to the lawpack with id lawpack_id when that is not
 * NULL. "law.not_found" (404) when there is none (or zone is NULL), "law.ambiguous" (409) when several lawpacks
 * have it and lawpack_id does not choose; eIds are unique only within one act. */
mez_status_t mez_zone_law(apr_pool_t *p, const mez_zone_t *zone, const char *eid, const char *lawpack_id,
                          const mez_pack_t **lawpack, const mez_akn_section_t **section, mez_problem_t *pb);

/* ------------------------------------------------------------------ stack.lock */

/* stack.lock is the RFC 8785 form of
 *   {"format": "mez-stack-lock/1", "zone_id": ..., "zone_manifest": "sha256:<SHA-256 of JCS(zone.yaml model)>",
 *    "profile": {"id": ..., "digest": "sha256:<SHA-256 of JCS(profile model)>"},
 *    "artifacts": [{"type": "lawpack"|"regpack"|"licensepack", "id": pack id, "path": as in zone.yaml,
 *                   "digest": pack digest}, ...]}
 * with artifacts sorted by type, then path (bytewise). Every digest is one mez computed from the content; the
 * lock never holds a placeholder. */

typedef struct mez_lock_artifact_t {
    const char *type, *id, *path;
    mez_digest_t digest;
} mez_lock_artifact_t;

typedef struct mez_zone_lock_t {
    const char *name;                /* what messages call it (the file) */
    const char *zone_id;
    mez_digest_t zone_manifest;
    const char *profile_id;
    mez_digest_t profile_digest;
    apr_array_header_t *artifacts;   /* mez_lock_artifact_t, as in the file */
    json_t *model;
    mez_digest_t digest;             /* SHA-256 of the RFC 8785 bytes of model */
} mez_zone_lock_t;

/* The lock of a loaded zone, as a JSON model (owned by p). */
mez_status_t mez_zone_lock_build(apr_pool_t *p, const mez_zone_t *zone, json_t **out, mez_problem_t *pb);

/* Writes the zone's lock (RFC 8785 bytes) to path (NULL: zone->lock_path) atomically, mode 0644; *digest (may be
 * NULL) gets the SHA-256 of what was written. */
mez_status_t mez_zone_lock_write(apr_pool_t *p, const mez_zone_t *zone, const char *path, mez_digest_t *digest,
                                 mez_problem_t *pb);

/* Parses and checks a lock's shape (any valid JSON spelling; unknown members are refused): "lock.invalid" with a
 * pointer. name is what messages call it. */
mez_status_t mez_zone_lock_parse(apr_pool_t *p, const char *name, const char *buf, size_t len, mez_zone_lock_t **out,
                                 mez_problem_t *pb);

/* Compares a lock with a loaded zone, recomputing nothing but comparing everything: the zone id, the zone
 * manifest, the profile, and every artifact both ways. Every difference is appended to opts->problems (when
 * set) and the first goes to pb; a digest difference names the artifact (type, id, path), the digest expected
 * by the lock and the actual one. */
mez_status_t mez_zone_lock_compare(apr_pool_t *p, const mez_zone_t *zone, const mez_zone_lock_t *lock,
                                   const mez_zone_options_t *opts, mez_problem_t *pb);

/* Reads zone->lock_path ("lock.missing" when it does not exist), parses it and compares it with the zone
 * (whose digests mez_zone_load computed from the files). On success sets zone->lock_digest and zone->locked. */
mez_status_t mez_zone_verify_lock(apr_pool_t *p, mez_zone_t *zone, const mez_zone_options_t *opts, mez_problem_t *pb);

#endif

/* mez/zone.h: a zone as configured by zone.yaml: its deployment profile, the packs it loads, and stack.lock, which
 * pins the digest of every artifact so that a zone never runs on content nobody locked. */
#ifndef MEZ_ZONE_H
#define MEZ_ZONE_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/key.h"
#include "mez/pack.h"
#include "mez/problem.h"
#include "mez/tz.h"
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
 *                  pattern, empty string or list, a timezone that is not an IANA name, a tax_year_start that is not
 *                  MM-DD, a weekend day that is not monday .. sunday, a weekend of no day or of all seven,
 *                  a public_holidays date that is not YYYY-MM-DD, complete_through before complete_from, a holiday
 *                  outside them), zone.unknown_timezone (no such IANA zone on this machine: tzdata), zone.invalid_timezone
 *                  (its TZif file cannot be used), zone.duplicate_value, zone.unknown_domain, zone.invalid_path
 *                  (a pack or lock path that is absolute or leaves the zone directory), zone.unknown_profile (no
 *                  profiles/<id>.yaml), zone.pack_not_found, zone.pack_kind_mismatch (a regpack listed under
 *                  lawpacks...), zone.duplicate_pack (two packs of one kind with one id), zone.pack_jurisdiction (a
 *                  pack whose jurisdiction is not in the zone's jurisdiction stack), zone.pack_domain (a pack whose
 *                  domain the profile does not select for its kind), zone.jurisdiction_not_in_stack,
 *                  zone.unknown_rule (an override naming a rule no pack of the zone has), zone.ambiguous_rule
 *                  (two packs of different kinds share the pack id and row id an override names),
 *                  zone.invalid_override (an override whose two rules are not in conflict, or that names the
 *                  base's rule as the one that applies);
 *   composition    zone.conflict: an unresolved conflict between layers (mez_zone_check_conflicts; no line: it
 *                  is between two packs, whose files and lines the detail names);
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
    int layer;                  /* once loaded: the index of the pack's jurisdiction in jurisdiction_stack
                                 * (0: the national base) */
    /* Set by mez_zone_sign_manifests (NULL / zero before): */
    json_t *credential;         /* the pack's manifest as a credential signed with the zone key */
    const char *manifest_bytes; /* the CAS artifact (MEZ_ZONE_MANIFEST_FORMAT) holding it, RFC 8785 bytes */
    size_t manifest_len;
    mez_digest_t manifest_digest; /* SHA-256 of manifest_bytes: its name in the CAS (type "manifest") */
} mez_zone_pack_t;

/* An override: zone.yaml's explicit resolution of one conflict between layers (see "composition" below). */
typedef struct mez_zone_override_t {
    const char *rule;           /* the overlay's rule that applies: "<pack id>/<row id>" */
    const char *replaces;       /* the base's rule it replaces where both are in force */
    const char *reason;         /* why, for the reviewer (required) */
    const char *pointer;        /* where in zone.yaml, e.g. "/overrides/0" */
} mez_zone_override_t;

/* A zone. After mez_zone_load everything here is immutable, so one loaded zone can serve every thread. */
typedef struct mez_zone_t {
    const char *path;                        /* zone.yaml */
    const char *dir;                         /* its directory: pack and lock paths are relative to it */
    const char *zone_id, *zone_name, *jurisdiction_id, *profile_id;
    const char *timezone;                    /* zone.yaml's IANA name, NULL when it has none */
    const mez_tz_t *tz;                      /* the zone's calendar, read at load: an action's legal date is its
                                              * date here (mez/tz.h); mez_tz_utc() when timezone is NULL */
    const char *tax_year_start;              /* "MM-DD" (zone.yaml), NULL when it has none (mez_tax_year_of) */
    unsigned weekend;                        /* zone.yaml's weekend as a mask of MEZ_WEEKDAY_BIT (mez/deadline.h):
                                              * the days that are not business days; MEZ_WEEKEND_DEFAULT (saturday,
                                              * sunday) when it names none */
    const struct mez_holidays_t *holidays;   /* zone.yaml's public_holidays (mez/deadline.h), which a deadline of
                                              * business days passes over too; NULL when it lists none */
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
    apr_array_header_t *overrides;           /* mez_zone_override_t, as in zone.yaml (empty when none) */
    apr_array_header_t *conflicts;           /* mez_zone_conflict_t, found by mez_zone_load (empty when none);
                                              * see mez_zone_conflicts */
} mez_zone_t;

typedef struct mez_zone_options_t {
    const char *profile_dir;             /* NULL: mez_zone_default_profile_dir() */
    const mez_akn_schema_t *akn_schema;  /* NULL: AKN documents are indexed but not XSD-validated */
    apr_array_header_t *problems;        /* when set, every problem found (mez_problem_t) is appended; pb gets
                                          * the first */
    int max_problems;                    /* stop collecting after this many (0: 100) */
    const char *tz_dir;                  /* where TZif files are; NULL: MEZ_TZ_DIR */
} mez_zone_options_t;

/* The installed profile directory, $(pkgdatadir)/profiles, compiled in. */
const char *mez_zone_default_profile_dir(void);

/* 1 when s is a zone id: the schemas' id pattern ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ (zone.yaml, stack.lock, a
 * token's --mass-zone). */
int mez_zone_id_ok(const char *s);

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
/* The weekend of a validated zone.yaml model (its "weekend" member) as a mask of MEZ_WEEKDAY_BIT (mez/deadline.h);
 * MEZ_WEEKEND_DEFAULT, saturday and sunday, when it names none. */
unsigned mez_zone_weekend_of(const json_t *model);
/* The public holidays of a validated zone.yaml model (its "public_holidays" member), ascending, in p; NULL when it
 * lists none. */
const struct mez_holidays_t *mez_zone_holidays_of(apr_pool_t *p, const json_t *model);

/* Reads and validates zone.yaml, reads its time zone (timezone: the TZif file from opts->tz_dir, default
 * MEZ_TZ_DIR; without one the zone's calendar is UTC's) and computes its manifest digest; neither the profile nor
 * the packs are read (profile, packs[].pack stay NULL). */
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

/* ------------------------------------------------------------------ composition */

/* A zone's packs compose by its jurisdiction_stack: each pack is a layer of the law of its jurisdiction, the
 * national base first, then each overlay. Two rules (rows) of packs in different layers that govern the same
 * thing while both are in force are a conflict, and a conflict is never merged silently: mez_zone_load finds
 * every one, `mez zone check` fails and httpd refuses to start while one is unresolved. The overlay resolves a
 * conflict explicitly in zone.yaml, one entry per conflict:
 *
 *   overrides:
 *     - rule: <overlay pack id>/<row id>       # the rule that applies
 *       replaces: <base pack id>/<row id>      # the rule it replaces where both are in force
 *       reason: why (required)
 *
 * An override that names no rule of the zone (zone.unknown_rule), that names two rules not in conflict, or names
 * the base's rule as the one that applies (zone.invalid_override), refuses the zone: a stale override would
 * claim a resolution nobody reviewed.
 *
 * "The same thing", by section (rows are compared only within one section; "any" and an absent qualifier
 * cover every value, so two rules that could both decide one case conflict):
 *   withholding_rates  the same section and payment_type, and payee_class equal or either "any";
 *   tax_rates          the same tax and income_class, and taxpayer_class equal or either "any";
 *   thresholds         the same obligation, and transaction_type (absent, "any"), direction (absent, "either"),
 *                      counterparty (absent) compatible, and applies_to absent on either or sharing a class;
 *   obligations        the same id;
 *   licence_types      the same id.
 * Validity periods are [valid_from, valid_to), valid_to absent meaning still in force; rules whose periods do
 * not overlap do not conflict (the law changed, nothing is ambiguous on any day). Lists, regulators and
 * qualifying activities are not rules that decide a case the same way and are not compared. */

/* One rule of a pack, named "<pack id>/<row id>". */
typedef struct mez_zone_rule_t {
    const char *name;                  /* "<pack id>/<row id>" */
    const mez_zone_pack_t *zp;         /* the pack it is in */
    const char *section;               /* "withholding_rates", "tax_rates", "thresholds", "obligations",
                                        * "licence_types" */
    const char *row_id;
    const char *pointer;               /* into the pack's file, e.g. "/withholding_rates/3" */
    const json_t *row;                 /* the row in the pack's model */
    const char *valid_from, *valid_to; /* valid_to NULL: still in force */
} mez_zone_rule_t;

typedef struct mez_zone_conflict_t {
    const char *kind;                      /* the section both rules are in */
    const char *subject;                   /* what both govern, in words ("section 153(1)(a), payment_type
                                            * goods, payee_class company") */
    const mez_zone_rule_t *base, *overlay; /* base: the rule of the lower layer */
    const char *from, *to;                 /* the period both are in force, [from, to); to NULL: open-ended */
    int values_differ;                     /* 0: both state the same values (citations, sources, ids and
                                            * descriptions aside); still a conflict: which source governs? */
    const mez_zone_override_t *override;   /* the override that resolves it; NULL: unresolved */
} mez_zone_conflict_t;

/* The zone's conflicts (mez_zone_conflict_t, resolved ones included), in a stable order: by section, then by
 * the order of the packs in zone.yaml and of the rows in them. Empty for a zone that is not loaded. */
const apr_array_header_t *mez_zone_conflicts(const mez_zone_t *zone);

/* The sanctions imports zone.yaml declares (sanctions_imports) for which no loaded regpack holds the list the
 * import makes (for un-consolidated-xml: a list with id MEZ_SANCTIONS_UN_LIST_ID, as `mez sanctions import-un`
 * writes it): each as "/sanctions_imports/N: <list> (<format>)". A zone that declares a list it does not have
 * does not screen against it; start-up, /readyz and `mez zone check` say so, and in MezMode production it does
 * not start. Empty when all are loaded. */
apr_array_header_t *mez_zone_missing_sanctions_imports(apr_pool_t *p, const mez_zone_t *zone);
/* What to tell the operator of one of them (an item of mez_zone_missing_sanctions_imports): the list, that names
 * are not screened against it, and the commands that load it. One sentence, for the error log and the CLI. */
const char *mez_zone_sanctions_import_warning(apr_pool_t *p, const mez_zone_t *zone, const char *missing);
/* The same for a zone in MezMode production, which does not start without it: a screening that is a hard block
 * but silently screens against nothing in the list's place fails open. */
const char *mez_zone_sanctions_import_refusal(apr_pool_t *p, const mez_zone_t *zone, const char *missing);

/* What to tell the operator of a zone whose zone.yaml names no timezone: its legal dates are UTC's, which is the
 * wrong day for part of every day anywhere else. One sentence, for the error log and `mez zone check`; NULL when
 * the zone has a timezone. */
const char *mez_zone_timezone_warning(apr_pool_t *p, const mez_zone_t *zone);

/* How many conflicts no override resolves. */
int mez_zone_unresolved_conflicts(const mez_zone_t *zone);

/* MEZ_OK when every conflict is resolved; otherwise each unresolved one is a "zone.conflict" problem (422)
 * naming both rules with their files and lines, their jurisdictions, the overlapping period, whether the values
 * differ and the override that would resolve it; appended to opts->problems (when set), the first to pb. */
mez_status_t mez_zone_check_conflicts(apr_pool_t *p, const mez_zone_t *zone, const mez_zone_options_t *opts,
                                      mez_problem_t *pb);

/* The pack models as an evaluator should read them: in zone order, each pack's model, except that a base rule
 * an override replaces is cut out of the period it shares with the overlay's rule (the part before and the part
 * after that period stay, as rows with the same id and the shorter validity). Packs without a replaced rule are
 * their model itself; the others are copies owned by p. The packs, their digests and manifests are unchanged:
 * the lock and the credentials are about the law as published, this is the law as the zone applies it. */
mez_status_t mez_zone_effective_models(apr_pool_t *p, const mez_zone_t *zone, apr_array_header_t **models,
                                       mez_problem_t *pb);

/* JSON forms, for `mez zone show` and GET /v1/packs (new references the caller owns):
 *   conflicts  [{kind, subject, base: RULE, overlay: RULE, period: {from, to?}, values_differ, resolved,
 *                override?: {rule, replaces, reason}}], RULE = {rule, jurisdiction_id, pack_digest, valid_from,
 *                valid_to?};
 *   overrides  [{rule, replaces, reason}] as in zone.yaml. */
json_t *mez_zone_conflicts_json(apr_pool_t *p, const mez_zone_t *zone);
json_t *mez_zone_overrides_json(const mez_zone_t *zone);

/* ------------------------------------------------------------------ signed manifests */

/* What a zone publishes about each pack: the pack's manifest issued as a credential signed with the zone key
 * (mez_pack_manifest_credential), stored in the CAS under type MEZ_ZONE_MANIFEST_CAS_TYPE as the RFC 8785 bytes of
 *   {"format": "mez-pack-manifest/1", "credential": VC,
 *    "references": [{"type": "lawpack"|"regpack"|"licensepack", "digest": pack digest}]}
 * The wrapper carries the references rather than the credential: the CAS reads them from the top level of an
 * artifact, and a VC 2.0 credential has no such member (an undefined top-level term would be signed but mean
 * nothing to a verifier); the credential's subject names the same digest, so the two cannot disagree. */
#define MEZ_ZONE_MANIFEST_FORMAT   "mez-pack-manifest/1"
#define MEZ_ZONE_MANIFEST_CAS_TYPE "manifest"

/* Signs every pack's manifest with key (issuer_id: the zone DID, NULL: the key's did:key; opts as for
 * mez_vc_issue, e.g. created = the start-up time) and sets each pack's credential, manifest_bytes/len and
 * manifest_digest. Everything is allocated from p (the zone's pool: the zone keeps pointing at it). */
mez_status_t mez_zone_sign_manifests(apr_pool_t *p, mez_zone_t *zone, const mez_key_t *key, const char *issuer_id,
                                     const mez_vc_proof_options_t *opts, mez_problem_t *pb);

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

/* mez/vc.h: W3C Verifiable Credentials Data Model 2.0 with Data Integrity proofs, cryptosuite eddsa-jcs-2022:
 * issuing (adding a proof), verifying credentials and presentations, and saying which check failed. */
#ifndef MEZ_VC_H
#define MEZ_VC_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/key.h"
#include "mez/problem.h"

#define MEZ_VC_CONTEXT_V2 "https://www.w3.org/ns/credentials/v2"
#define MEZ_VC_CRYPTOSUITE "eddsa-jcs-2022"

/* The checks a verification runs, in order; a result names the first that failed. */
#define MEZ_VC_CHECK_SCHEMA    "schema"      /* VC 2.0 data model shape */
#define MEZ_VC_CHECK_PROOF     "proof"       /* proof type, cryptosuite, purpose, challenge, domain, context */
#define MEZ_VC_CHECK_KEY       "key"         /* verificationMethod resolves to an Ed25519 did:key, the issuer's
                                              * (holder's) own */
#define MEZ_VC_CHECK_SIGNATURE "signature"   /* the Ed25519 signature over the JCS hashes */
#define MEZ_VC_CHECK_EXPIRY    "expiry"      /* validFrom / validUntil / proof.expires / proof.created against
                                              * now */

/* How far two machines' clocks may differ, once for every check of a time another machine wrote: a proof's created
 * ("vc.expiry.created_in_future" beyond it), a peer's RFC 9421 signature (mod_mez_peer.c), a consent's signed_at
 * (the Mass consent contract's own tolerance is the same five minutes). */
#define MEZ_CLOCK_SKEW_SEC 300

typedef struct mez_vc_proof_options_t {
    const char *verification_method; /* NULL: the signing key's did:key#fragment */
    const char *proof_purpose;       /* NULL: "assertionMethod" */
    const char *created;             /* NULL: now, as YYYY-MM-DDTHH:MM:SSZ */
    const char *expires;             /* optional */
    const char *challenge;           /* optional (presentations) */
    const char *domain;              /* optional (presentations) */
    const char *pointer_base;        /* prefix of problem pointers when the document sits inside a larger body,
                                      * e.g. "/credential" for the VC-API issue request; NULL: the root */
} mez_vc_proof_options_t;

/* Adds a DataIntegrityProof (eddsa-jcs-2022) to a copy of document and returns it in *secured
 * (owned by p). The document must not already carry a proof ("vc.already_signed"). */
mez_status_t mez_vc_sign(apr_pool_t *p, const json_t *document, const mez_key_t *key,
                         const mez_vc_proof_options_t *opts, json_t **secured, mez_problem_t *pb);

/* Issues a credential: checks the VC 2.0 shape ("vc.schema.*" problems, status 422 with a pointer; 400
 * "vc.schema.not_object" when it is not an object), refuses one that has a proof ("vc.already_signed"),
 * sets issuer to issuer_id (NULL: the key's did:key) when absent, refuses a different issuer
 * ("vc.issuer_mismatch"), then signs. Pointers are prefixed with opts->pointer_base. */
mez_status_t mez_vc_issue(apr_pool_t *p, const json_t *credential, const mez_key_t *key, const char *issuer_id,
                          const mez_vc_proof_options_t *opts, json_t **vc, mez_problem_t *pb);

typedef struct mez_vc_verify_options_t {
    apr_time_t now;                 /* 0: apr_time_now() */
    const char *expected_purpose;   /* NULL: "assertionMethod" for credentials, "authentication" for presentations */
    const char *challenge;          /* the proof must carry exactly this challenge, if set */
    const char *domain;             /* the proof must carry exactly this domain (or a set holding it), if set */
    const char *pointer_base;       /* prefix of problem pointers, e.g. "/verifiableCredential"; NULL: root */
} mez_vc_verify_options_t;

typedef struct mez_vc_result_t {
    int verified;                   /* 1 when every check passed */
    json_t *checks;                 /* array of the check names that passed (owned by the pool) */
    json_t *warnings;               /* array of {code, message, pointer} (owned by the pool); none are raised
                                     * today, the array is kept for the API's shape */
    const char *failed_check;       /* one of MEZ_VC_CHECK_*, NULL when verified */
    mez_problem_t problem;          /* why it failed: status 422 (400 "vc.schema.not_object"), code
                                     * "vc.<check>.<what>" (e.g. vc.signature.invalid), pointer */
} mez_vc_result_t;

/* Verifies a credential. Returns MEZ_OK when the verification ran (then res says valid or not),
 * an error only for internal failures. Every proof of a proof set must verify, and one of them must be made by
 * the issuer's own key: the issuer must be a did:key and the verificationMethod "<issuer>#...", else the key
 * check fails with "vc.key.issuer_not_controller" (pointer /issuer or /issuer/id). The proof's @context, when
 * it has one, must equal the document's ("vc.proof.context_mismatch"). */
mez_status_t mez_vc_verify(apr_pool_t *p, const json_t *vc, const mez_vc_verify_options_t *opts,
                           mez_vc_result_t *res);

/* Verifies a presentation: its own proof (purpose, challenge, domain; made by the holder's did:key when there is
 * a holder, else "vc.key.holder_not_controller") and every credential inside (a failing credential names its
 * index in the pointer, e.g. /verifiableCredential/1/proof). */
mez_status_t mez_vp_verify(apr_pool_t *p, const json_t *vp, const mez_vc_verify_options_t *opts,
                           mez_vc_result_t *res);

/* Checks the VC 2.0 data model shape of a credential (the "schema" check). With require_issuer 0 a
 * missing issuer is accepted (issuing fills it in). Problems: "vc.schema.<what>", status 422 (400 when
 * vc is not an object), pointer prefixed with pointer_base (NULL: root). */
mez_status_t mez_vc_check_credential(apr_pool_t *p, const json_t *vc, const char *pointer_base, int require_issuer,
                                     mez_problem_t *pb);
/* The same for a presentation: @context, type VerifiablePresentation, verifiableCredential absent, an
 * object or an array of objects, holder and id URLs. Embedded credentials are checked by mez_vp_verify.
 * A document is one or the other: a credential whose type also names VerifiablePresentation, or a presentation
 * whose type names VerifiableCredential or that has an issuer or credentialSubject, is refused
 * ("vc.schema.invalid_type", "vc.schema.credential_member"). */
mez_status_t mez_vc_check_presentation(apr_pool_t *p, const json_t *vp, const char *pointer_base,
                                       mez_problem_t *pb);
/* Whether a type member (a string or an array of strings) includes name, compared whole (with its length). */
int mez_vc_type_includes(const json_t *type, const char *name);
/* The issuer's id: "issuer" when a string, "issuer"."id" when an object, else NULL. */
const char *mez_vc_issuer_id(const json_t *vc);

/* eddsa-jcs-2022 hashData: SHA-256(JCS(proof_config)) || SHA-256(JCS(document)), the 64 bytes signed.
 * document must not hold the proof. */
mez_status_t mez_vc_hash_data(apr_pool_t *p, const json_t *proof_config, const json_t *document,
                              unsigned char out[64], mez_problem_t *pb);

/* Current time as "YYYY-MM-DDTHH:MM:SSZ". */
const char *mez_time_now_rfc3339(apr_pool_t *p);
/* t as "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds): the one form mez stores and signs times in, so that stored
 * times compare correctly as strings. */
const char *mez_time_stamp(apr_pool_t *p, apr_time_t t);

/* The proleptic Gregorian calendar, once for every area that reads dates: days in month m (1..12) of year y
 * (0 for another m), days since 1970-01-01 of y-m-d, and back. */
int mez_days_in_month(int64_t y, int m);
int64_t mez_days_from_civil(int64_t y, int m, int d);
void mez_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* A day (days since 1970-01-01) as mez writes dates, "YYYY-MM-DD" (years 0001..9999 keep four digits). */
const char *mez_date_of_day(apr_pool_t *p, int64_t day);
/* Parses an XML Schema dateTimeStamp / RFC 3339 date-time with offset (four-digit year, upper-case T and Z,
 * optional fractional seconds kept to the microsecond); 0 on success, -1 on error. */
int mez_time_parse_rfc3339(const char *s, apr_time_t *out);

#endif

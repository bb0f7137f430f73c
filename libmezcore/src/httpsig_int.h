/* httpsig_int.h: private to httpsig*.c — the small, strict Structured Field Values (RFC 8941) subset that
 * Signature-Input, Signature and Content-Digest use: a dictionary whose members are items or inner lists, bare
 * items that are integers, strings, tokens, byte sequences or booleans, and parameters. Decimals, bare-key
 * members and duplicate keys are refused: these fields never need them, and accepting less is safer. */
#ifndef MEZ_HTTPSIG_INT_H
#define MEZ_HTTPSIG_INT_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>

typedef enum { MEZ_SF_INTEGER, MEZ_SF_STRING, MEZ_SF_TOKEN, MEZ_SF_BYTES, MEZ_SF_BOOLEAN } mez_sf_kind_t;

typedef struct mez_sf_bare_t {
    mez_sf_kind_t kind;
    long long integer;            /* MEZ_SF_INTEGER, MEZ_SF_BOOLEAN (0/1) */
    const char *string;           /* MEZ_SF_STRING (unescaped), MEZ_SF_TOKEN */
    const unsigned char *bytes;   /* MEZ_SF_BYTES */
    size_t nbytes;
} mez_sf_bare_t;

typedef struct mez_sf_param_t {
    const char *key;
    mez_sf_bare_t value;
} mez_sf_param_t;

typedef struct mez_sf_item_t {
    mez_sf_bare_t value;
    apr_array_header_t *params;   /* of mez_sf_param_t, in received order */
} mez_sf_item_t;

typedef struct mez_sf_member_t {
    const char *key;
    int is_inner_list;
    mez_sf_item_t item;           /* when !is_inner_list */
    apr_array_header_t *inner;    /* of mez_sf_item_t, when is_inner_list */
    apr_array_header_t *params;   /* the inner list's parameters, when is_inner_list */
} mez_sf_member_t;

/* Parses a dictionary field value into an array of mez_sf_member_t; on failure returns NULL and sets *why. */
apr_array_header_t *mez_sf_parse_dictionary(apr_pool_t *p, const char *text, const char **why);

/* The member with key, or NULL. */
const mez_sf_member_t *mez_sf_dict_get(const apr_array_header_t *dict, const char *key);

/* Serialisers (RFC 8941 §4.1). They return NULL for a value that has no serialisation (a string with a byte
 * outside 0x20-0x7E, an integer beyond 15 digits, a malformed key or token). */
const char *mez_sf_serialize_string(apr_pool_t *p, const char *s);
const char *mez_sf_serialize_bare(apr_pool_t *p, const mez_sf_bare_t *v);
const char *mez_sf_serialize_params(apr_pool_t *p, const apr_array_header_t *params);
const char *mez_sf_serialize_inner_list(apr_pool_t *p, const apr_array_header_t *items,
                                        const apr_array_header_t *params);
int mez_sf_key_ok(const char *key);

#endif

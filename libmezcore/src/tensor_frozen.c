/* tensor_frozen.c: the texts results repeat most, as ready-made JSON values that results share.
 *
 * Most strings in an evaluation result are the index's own and the same from one result to the next: reason
 * codes, state names, dates in force, currencies, sources, pack digests and ids. Copying each into a new jansson
 * string costs two allocations and a copy, and a preview over HTTP spent more time in malloc and free than in
 * deciding anything (about 500 allocations per evaluation, most of them these copies). So when the index is
 * built, the texts it will cite most get one JSON value each, made once and marked immortal: jansson leaves a
 * value whose reference count is (size_t)-1 alone in json_incref and json_decref (its json_true, json_false and
 * json_null work that way), so any number of threads can put it into their results at once without writing to
 * it, and freeing a result never frees it. Only strings are shared: mez never changes a string value in place
 * (json_string_set is not used), while objects and arrays are changed by their holders and older jansson marks
 * them while dumping.
 *
 * Lookups must cost less than the copy they save and must not grow with the packs. So:
 *   - while the index is built, every text it keeps is interned (mez_tensor_intern): equal texts get one
 *     pointer, the first seen, and each is counted;
 *   - mez_tensor_frozen_finish() makes values for the texts that repeat, at most MEZ_FROZEN_MAX of them, the
 *     most counted first (ties by text, so the choice is deterministic), in a table keyed by that pointer: a
 *     lookup hashes one address, with no string compare, in a table of at most 32,768 slots (768 KiB) however
 *     large the packs. A pointer that is not the index's (a string of the action) or a text not chosen is
 *     simply not found, and is copied;
 *   - the library's own words (reason codes, state names) are written as literals in many places, whose
 *     addresses need not be equal, so they have a second small table keyed by text (mez_tensor_frozen_word).
 * Both tables are made while the index is built, on one thread, and only read afterwards; the values are freed
 * with the index's pool (results, made in request pools, are gone by then). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include "tensor_int.h"

#define MEZ_FROZEN_MAX 16384
/* A text is given a value when it repeats: in several rows, or as a text every row of its pack cites. A text
 * of one row (its id, its rule) is copied: freezing those too made small packs faster than large ones, where
 * only some of them fit, and the cost of an evaluation must not depend on the size of the packs. */
#define MEZ_FROZEN_REPEATS 2
#define MEZ_WORD_SLOTS 256             /* a power of two, at least twice the library's words */

typedef struct {
    const char *key;                   /* the interned pointer, or (words) the value's own text */
    uint32_t hash;                     /* words only */
    json_t *value;
} frozen_slot_t;

typedef struct {
    const char *text;                  /* the pointer every equal text is interned to */
    apr_size_t count;
} interned_t;

struct mez_tensor_frozen_t {
    frozen_slot_t *by_address;         /* once finished: mask + 1 slots, at least twice the values */
    size_t mask;
    frozen_slot_t *words;              /* MEZ_WORD_SLOTS */
    size_t nwords;
    apr_array_header_t *word_keys;     /* the callers' pointers of the words, for the address table too */
    apr_pool_t *build;                 /* the interning table, while the index is built */
    apr_hash_t *interned;              /* text -> interned_t * */
    apr_array_header_t *made;          /* json_t *: what to free with the index's pool */
};

static size_t address_slot(const mez_tensor_frozen_t *fz, const char *p)
{
    /* Fibonacci hashing of the address: pool and jansson addresses differ mostly in their middle bits. */
    return (size_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL) >> 40) & fz->mask;
}

/* FNV-1a over the text up to its NUL (words are short). */
static uint32_t text_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static json_t *immortal(mez_tensor_frozen_t *fz, const char *text)
{
    /* Unchecked: the texts come from parsed (so valid UTF-8) pack documents or are ASCII. */
    json_t *v = json_string_nocheck(text);
    if (!v)
        return NULL;   /* out of memory: this text is copied into results, as it was before */
    v->refcount = (size_t)-1;
    APR_ARRAY_PUSH(fz->made, json_t *) = v;
    return v;
}

static apr_status_t free_values(void *data)
{
    mez_tensor_frozen_t *fz = data;
    for (int i = 0; i < fz->made->nelts; i++) {
        json_t *v = APR_ARRAY_IDX(fz->made, i, json_t *);
        v->refcount = 1;   /* mortal again, then released: the pool that owned the index is going */
        json_decref(v);
    }
    fz->made->nelts = 0;
    return APR_SUCCESS;
}

mez_tensor_frozen_t *mez_tensor_frozen_create(apr_pool_t *p)
{
    mez_tensor_frozen_t *fz = apr_pcalloc(p, sizeof(*fz));
    apr_allocator_t *a;
    /* The interning table is large for large packs and only needed while building: its own allocator gives its
     * memory back to malloc when it is destroyed, instead of keeping it for this pool's later use. */
    if (apr_allocator_create(&a) != APR_SUCCESS)
        apr_pool_create(&fz->build, p);
    else if (apr_pool_create_ex(&fz->build, p, NULL, a) == APR_SUCCESS)
        apr_allocator_owner_set(a, fz->build);
    else {
        apr_allocator_destroy(a);
        apr_pool_create(&fz->build, p);
    }
    fz->interned = apr_hash_make(fz->build);
    fz->words = apr_pcalloc(p, MEZ_WORD_SLOTS * sizeof(*fz->words));
    fz->made = apr_array_make(p, 64, sizeof(json_t *));
    fz->word_keys = apr_array_make(p, 64, sizeof(frozen_slot_t));
    apr_pool_cleanup_register(p, fz, free_values, apr_pool_cleanup_null);
    return fz;
}

static const char *intern(mez_tensor_frozen_t *fz, const char *text, apr_size_t weight)
{
    interned_t *e;
    if (!fz || !text || !fz->interned)
        return text;
    if (!(e = apr_hash_get(fz->interned, text, APR_HASH_KEY_STRING))) {
        e = apr_palloc(fz->build, sizeof(*e));
        e->text = text;
        e->count = 0;
        apr_hash_set(fz->interned, text, APR_HASH_KEY_STRING, e);
    }
    e->count += weight;
    return e->text;
}

const char *mez_tensor_intern(mez_tensor_frozen_t *fz, const char *text)
{
    return intern(fz, text, 1);
}

const char *mez_tensor_intern_shared(mez_tensor_frozen_t *fz, const char *text)
{
    return intern(fz, text, MEZ_FROZEN_REPEATS);
}

void mez_tensor_frozen_word(mez_tensor_frozen_t *fz, const char *word)
{
    uint32_t h;
    size_t i;
    json_t *v;
    if (!fz || !word || mez_tensor_frozen_get_word(fz, word) || (fz->nwords + 1) * 2 > MEZ_WORD_SLOTS
        || !(v = immortal(fz, word)))
        return;
    h = text_hash(word);
    for (i = h & (MEZ_WORD_SLOTS - 1); fz->words[i].key; i = (i + 1) & (MEZ_WORD_SLOTS - 1))
        ;
    fz->words[i].key = json_string_value(v);
    fz->words[i].hash = h;
    fz->words[i].value = v;
    fz->nwords++;
    /* The pointer given is how the library passes the word around (mez_state_name() always returns the
     * same one), so it finds the value by address too. */
    {
        frozen_slot_t *k = apr_array_push(fz->word_keys);
        k->key = word;
        k->hash = 0;
        k->value = v;
    }
}

static void address_insert(mez_tensor_frozen_t *fz, const char *key, json_t *v)
{
    size_t i;
    for (i = address_slot(fz, key); fz->by_address[i].key; i = (i + 1) & fz->mask)
        if (fz->by_address[i].key == key)
            return;
    fz->by_address[i].key = key;
    fz->by_address[i].value = v;
}

static int by_count(const void *x, const void *y)
{
    const interned_t *a = *(interned_t *const *)x, *b = *(interned_t *const *)y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->text, b->text);
}

void mez_tensor_frozen_finish(mez_tensor_frozen_t *fz, apr_pool_t *p)
{
    interned_t **all;
    size_t n = 0, keep;
    if (!fz || !fz->interned)
        return;
    all = apr_palloc(fz->build, (apr_hash_count(fz->interned) + 1) * sizeof(*all));
    for (apr_hash_index_t *hi = apr_hash_first(fz->build, fz->interned); hi; hi = apr_hash_next(hi))
        all[n++] = apr_hash_this_val(hi);
    qsort(all, n, sizeof(*all), by_count);
    for (keep = 0; keep < n && keep < MEZ_FROZEN_MAX && all[keep]->count >= MEZ_FROZEN_REPEATS; keep++)
        ;
    /* At most half full, so a miss (the action's own strings) ends after a probe or two. */
    for (fz->mask = 255; fz->mask + 1 < 2 * (keep + (size_t)fz->word_keys->nelts); fz->mask = fz->mask * 2 + 1)
        ;
    fz->by_address = apr_pcalloc(p, (fz->mask + 1) * sizeof(*fz->by_address));
    for (int w = 0; w < fz->word_keys->nelts; w++) {
        const frozen_slot_t *k = &APR_ARRAY_IDX(fz->word_keys, w, frozen_slot_t);
        address_insert(fz, k->key, k->value);
    }
    for (size_t k = 0; k < keep; k++) {
        json_t *v;
        if (mez_tensor_frozen_get(fz, all[k]->text))
            continue;   /* a word of the library's, interned by its own pointer */
        if (!(v = immortal(fz, all[k]->text)))
            break;
        address_insert(fz, all[k]->text, v);
    }
    apr_pool_destroy(fz->build);
    fz->build = NULL;
    fz->interned = NULL;
}

json_t *mez_tensor_frozen_get(const mez_tensor_frozen_t *fz, const char *text)
{
    if (!fz || !fz->by_address || !text)
        return NULL;
    for (size_t i = address_slot(fz, text); fz->by_address[i].key; i = (i + 1) & fz->mask)
        if (fz->by_address[i].key == text)
            return fz->by_address[i].value;
    return NULL;
}

json_t *mez_tensor_frozen_get_word(const mez_tensor_frozen_t *fz, const char *word)
{
    uint32_t h;
    if (!fz || !word)
        return NULL;
    h = text_hash(word);
    for (size_t i = h & (MEZ_WORD_SLOTS - 1); fz->words[i].key; i = (i + 1) & (MEZ_WORD_SLOTS - 1))
        if (fz->words[i].hash == h && !strcmp(fz->words[i].key, word))
            return fz->words[i].value;
    return NULL;
}

size_t mez_tensor_frozen_count(const mez_tensor_frozen_t *fz)
{
    return fz ? (size_t)fz->made->nelts : 0;
}

/* metrics_table.h: the shared-memory table /metrics counts in (mod_mez_metrics.c), apart from httpd so that the
 * claim of a slot can be driven from a unit test's threads and processes. No httpd header here. */
#ifndef MEZ_METRICS_TABLE_H
#define MEZ_METRICS_TABLE_H

#include <stdint.h>
#include <apr_time.h>

#define MEZ_MT_SLOTS 4096u          /* a power of two */
#define MEZ_MT_KEY_MAX 240
/* How long a claimer waits for another to finish writing the slot it needs: the write is a copy of 240 bytes, so
 * only a writer descheduled under load, stopped or dead takes longer. */
#define MEZ_MT_WAIT apr_time_from_msec(200)

/* A slot's state word: free, ready, or being written by the process whose pid it carries. The claim and the
 * writer's name are one compare-and-swap, so a waiter can tell a writer that died half-way (its pid gone) from one
 * that is merely slow. */
#define MEZ_MT_FREE  UINT64_C(0)
#define MEZ_MT_READY UINT64_C(1)
#define MEZ_MT_WRITING(pid) ((((uint64_t)(uint32_t)(pid)) << 2) | UINT64_C(2))

typedef struct mez_mt_slot_t {
    uint64_t state;
    uint32_t hash;
    uint32_t unused;
    uint64_t value;
    char key[MEZ_MT_KEY_MAX];
} mez_mt_slot_t;

typedef struct mez_mt_table_t {
    uint64_t dropped;               /* events not counted: no slot (table full) or none that could be known in time */
    uint32_t problem_codes;         /* problem codes given a slot of their own so far (mod_mez_metrics.c) */
    uint32_t unused;
    mez_mt_slot_t slot[MEZ_MT_SLOTS];
} mez_mt_table_t;

typedef enum mez_mt_outcome_t {
    MEZ_MT_OK = 0,                  /* the key's slot (found, claimed, or taken over from a dead writer) */
    MEZ_MT_ABSENT,                  /* looking only: the key has no slot */
    MEZ_MT_FULL,                    /* every slot on the key's path holds another key */
    MEZ_MT_BUSY                     /* a slot on the key's path was still being written after `wait` by a live
                                     * process: what it will hold is unknown, so the key is neither looked for past
                                     * it nor given a slot of its own (that could make two slots of one key) */
} mez_mt_outcome_t;

/* The slot of key (NUL-terminated, shorter than MEZ_MT_KEY_MAX); when it has none and claim is set, a slot claimed
 * for it (value 0). NULL otherwise, with *why (when given) saying why. Lock-free, for any thread of any process
 * mapping the table. A key has at most one slot, ever: a claimer moves past a slot only when it holds another key,
 * waits (up to `wait`, yielding) for one being written, and takes over one whose writer's process is gone; a slot
 * that stays in writing longer is BUSY, never passed over. */
mez_mt_slot_t *mez_mt_slot(mez_mt_table_t *t, const char *key, int claim, apr_interval_time_t wait,
                           mez_mt_outcome_t *why);

/* The FNV-1a hash a key is placed by (its home slot is hash & (MEZ_MT_SLOTS - 1)). */
uint32_t mez_mt_hash(const char *key);

#endif

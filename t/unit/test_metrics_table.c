/* test_metrics_table.c: CUnit suite for /metrics' shared table (mod_mez/metrics_table.c), driven directly: threads
 * and processes claiming and counting the same keys end with one slot per key holding every count; a slot being
 * written is never passed over (the key would get a second slot), a dead writer's slot is taken over, a live
 * writer's that stays half-written is BUSY; a full table says so. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include "../../mod_mez/metrics_table.h"
#include "unit.h"

#define WAIT apr_time_from_msec(20)

static mez_mt_table_t *new_table(void)
{
    mez_mt_table_t *t = apr_pcalloc(unit_pool(), sizeof(*t));
    return t;
}

/* How many ready slots hold key. */
static int slots_of(const mez_mt_table_t *t, const char *key)
{
    int n = 0;
    for (uint32_t i = 0; i < MEZ_MT_SLOTS; i++)
        n += t->slot[i].state == MEZ_MT_READY && !strcmp(t->slot[i].key, key);
    return n;
}

/* n keys whose home slot is `home`: they share one probe path, so every claim of one passes the others. */
static const char **colliding_keys(int n, uint32_t home)
{
    const char **keys = apr_pcalloc(unit_pool(), sizeof(*keys) * (size_t)n);
    int found = 0;
    for (unsigned i = 0; found < n; i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "mez_test_total\x1fzone\x1fk%u\x1f", i);
        if ((mez_mt_hash(buf) & (MEZ_MT_SLOTS - 1)) == home)
            keys[found++] = apr_pstrdup(unit_pool(), buf);
    }
    return keys;
}

static void test_claim_and_find(void)
{
    mez_mt_table_t *t = new_table();
    mez_mt_outcome_t why;
    mez_mt_slot_t *a, *b;
    const char **keys = colliding_keys(3, 7);

    CU_ASSERT_PTR_NULL(mez_mt_slot(t, keys[0], 0, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_ABSENT);
    a = mez_mt_slot(t, keys[0], 1, WAIT, &why);
    CU_ASSERT_PTR_EQUAL_FATAL(a, &t->slot[7]);
    CU_ASSERT_EQUAL(why, MEZ_MT_OK);
    CU_ASSERT_STRING_EQUAL(a->key, keys[0]);
    CU_ASSERT_EQUAL(a->value, 0);
    a->value = 5;
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[0], 1, WAIT, NULL), a);
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[0], 0, WAIT, NULL), a);
    /* The next key of the same home goes one further, and is found there. */
    b = mez_mt_slot(t, keys[1], 1, WAIT, NULL);
    CU_ASSERT_PTR_EQUAL(b, &t->slot[8]);
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[1], 0, WAIT, NULL), b);
    CU_ASSERT_PTR_NULL(mez_mt_slot(t, keys[2], 0, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_ABSENT);
    CU_ASSERT_EQUAL(a->value, 5);
}

/* ------------------------------------------------------------------ threads */

#define THREADS 8
#define KEYS 24
#define ROUNDS 400

typedef struct {
    mez_mt_table_t *t;
    const char **keys;
    int nkeys, rounds, failed;
} worker_t;

static void *APR_THREAD_FUNC count_all(apr_thread_t *thread, void *data)
{
    worker_t *w = data;
    for (int r = 0; r < w->rounds; r++)
        for (int k = 0; k < w->nkeys; k++) {
            /* Each thread starts at another key, so claims of one key meet from every side. */
            mez_mt_slot_t *s = mez_mt_slot(w->t, w->keys[(k + r) % w->nkeys], 1, MEZ_MT_WAIT, NULL);
            if (!s)
                w->failed++;
            else
                __atomic_add_fetch(&s->value, 1, __ATOMIC_RELAXED);
        }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static void test_threads_one_slot_per_key(void)
{
    mez_mt_table_t *t = new_table();
    const char **keys = colliding_keys(KEYS, 100);
    apr_thread_t *th[THREADS];
    worker_t w[THREADS];

    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){ t, keys, KEYS, ROUNDS, 0 };
        CU_ASSERT_EQUAL_FATAL(apr_thread_create(&th[i], NULL, count_all, &w[i], unit_pool()), APR_SUCCESS);
    }
    for (int i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, th[i]);
        CU_ASSERT_EQUAL(w[i].failed, 0);
    }
    for (int k = 0; k < KEYS; k++) {
        mez_mt_slot_t *s = mez_mt_slot(t, keys[k], 0, WAIT, NULL);
        CU_ASSERT_EQUAL(slots_of(t, keys[k]), 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->value, (uint64_t)THREADS * ROUNDS);
    }
    /* Every key sits on the shared path, nothing beyond it. */
    for (uint32_t i = 100; i < 100 + KEYS; i++)
        CU_ASSERT_EQUAL(t->slot[i].state, MEZ_MT_READY);
    CU_ASSERT_EQUAL(t->slot[100 + KEYS].state, MEZ_MT_FREE);
}

/* ------------------------------------------------------------------ processes, as httpd's children */

static void test_processes_one_slot_per_key(void)
{
    const int children = 4, rounds = 300;
    const char **keys = colliding_keys(KEYS, 2000);
    mez_mt_table_t *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid[4];

    CU_ASSERT_NOT_EQUAL_FATAL(t, MAP_FAILED);
    for (int c = 0; c < children; c++) {
        if ((pid[c] = fork()) == 0) {
            worker_t w = { t, keys, KEYS, rounds, 0 };
            for (int r = 0; r < w.rounds; r++)
                for (int k = 0; k < KEYS; k++) {
                    mez_mt_slot_t *s = mez_mt_slot(t, keys[(k + r + c) % KEYS], 1, MEZ_MT_WAIT, NULL);
                    if (!s)
                        _exit(3);
                    __atomic_add_fetch(&s->value, 1, __ATOMIC_RELAXED);
                }
            _exit(0);
        }
        CU_ASSERT_FATAL(pid[c] > 0);
    }
    for (int c = 0; c < children; c++) {
        int status = -1;
        waitpid(pid[c], &status, 0);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    for (int k = 0; k < KEYS; k++) {
        mez_mt_slot_t *s = mez_mt_slot(t, keys[k], 0, WAIT, NULL);
        CU_ASSERT_EQUAL(slots_of(t, keys[k]), 1);
        CU_ASSERT_PTR_NOT_NULL(s);
        if (s)
            CU_ASSERT_EQUAL(s->value, (uint64_t)children * rounds);
    }
    munmap(t, sizeof(*t));
}

/* ------------------------------------------------------------------ a writer that does not finish */

typedef struct {
    mez_mt_table_t *t;
    const char *key;
    mez_mt_slot_t *got;
    mez_mt_outcome_t why;
} claimer_t;

static void *APR_THREAD_FUNC claim_one(apr_thread_t *thread, void *data)
{
    claimer_t *c = data;
    c->got = mez_mt_slot(c->t, c->key, 1, WAIT, &c->why);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A live process's writer that stays in the middle of writing the key's home slot (stopped, or descheduled
 * longer than the wait): the claim of that key was passed on after 1,000 yields to the next free slot, and when the
 * writer finished writing the same key, the key had two slots, its counts split between them. Now every claimer
 * answers BUSY (the caller counts the event as dropped) and no second slot appears; once the writer finishes, its
 * slot is the key's. */
static void test_live_writer_never_passed(void)
{
    mez_mt_table_t *t = new_table();
    const char **keys = colliding_keys(2, 300);
    mez_mt_slot_t *home = &t->slot[300];
    apr_thread_t *th[4];
    claimer_t c[4];
    mez_mt_outcome_t why;

    /* This process is the writer: alive. Half its key written. */
    home->state = MEZ_MT_WRITING(getpid());
    memcpy(home->key, keys[0], 5);
    for (int i = 0; i < 4; i++) {
        c[i] = (claimer_t){ t, keys[0], NULL, MEZ_MT_OK };
        CU_ASSERT_EQUAL_FATAL(apr_thread_create(&th[i], NULL, claim_one, &c[i], unit_pool()), APR_SUCCESS);
    }
    for (int i = 0; i < 4; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, th[i]);
        CU_ASSERT_PTR_NULL(c[i].got);
        CU_ASSERT_EQUAL(c[i].why, MEZ_MT_BUSY);
    }
    CU_ASSERT_EQUAL(t->slot[301].state, MEZ_MT_FREE);
    CU_ASSERT_EQUAL(slots_of(t, keys[0]), 0);
    /* Another key of the same path cannot pass it either: the slot may become its own. */
    CU_ASSERT_PTR_NULL(mez_mt_slot(t, keys[1], 1, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_BUSY);
    CU_ASSERT_PTR_NULL(mez_mt_slot(t, keys[0], 0, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_BUSY);

    /* The writer finishes: one slot for the key, where it wrote it; the other key goes next. */
    strcpy(home->key, keys[0]);
    home->hash = mez_mt_hash(keys[0]);
    __atomic_store_n(&home->state, MEZ_MT_READY, __ATOMIC_RELEASE);
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[0], 1, WAIT, NULL), home);
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[1], 1, WAIT, NULL), &t->slot[301]);
    CU_ASSERT_EQUAL(slots_of(t, keys[0]), 1);
    CU_ASSERT_EQUAL(slots_of(t, keys[1]), 1);
}

/* A writer whose process died between its claim and its last store: the slot would stay half-written for ever.
 * The next claimer through it takes it over (one compare-and-swap, naming itself), for its own key. */
static void test_dead_writer_taken_over(void)
{
    mez_mt_table_t *t = new_table();
    const char **keys = colliding_keys(2, 900);
    mez_mt_slot_t *home = &t->slot[900];
    mez_mt_outcome_t why;
    int status;
    pid_t dead = fork();

    if (dead == 0)
        _exit(0);
    CU_ASSERT_FATAL(dead > 0);
    waitpid(dead, &status, 0);
    CU_ASSERT_FATAL(kill(dead, 0) == -1);
    home->state = MEZ_MT_WRITING(dead);
    memcpy(home->key, "garbage", 7);

    /* Looking only never takes a slot over. */
    CU_ASSERT_PTR_NULL(mez_mt_slot(t, keys[1], 0, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_BUSY);
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[1], 1, WAIT, &why), home);
    CU_ASSERT_EQUAL(why, MEZ_MT_OK);
    CU_ASSERT_EQUAL(home->state, MEZ_MT_READY);
    CU_ASSERT_STRING_EQUAL(home->key, keys[1]);
    CU_ASSERT_EQUAL(home->value, 0);
    CU_ASSERT_PTR_EQUAL(mez_mt_slot(t, keys[0], 1, WAIT, NULL), &t->slot[901]);
    CU_ASSERT_EQUAL(slots_of(t, keys[1]), 1);
}

/* ------------------------------------------------------------------ full */

static void test_full_table(void)
{
    mez_mt_table_t *t = new_table();
    char key[64];
    mez_mt_outcome_t why;
    mez_mt_slot_t *first;

    for (unsigned i = 0; i < MEZ_MT_SLOTS; i++) {
        snprintf(key, sizeof(key), "fill\x1fz\x1f%u\x1f", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(mez_mt_slot(t, key, 1, WAIT, NULL));
    }
    CU_ASSERT_PTR_NULL(mez_mt_slot(t, "one\x1fmore\x1f\x1f", 1, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_FULL);
    CU_ASSERT_PTR_NULL(mez_mt_slot(t, "one\x1fmore\x1f\x1f", 0, WAIT, &why));
    CU_ASSERT_EQUAL(why, MEZ_MT_ABSENT);
    first = mez_mt_slot(t, "fill\x1fz\x1f" "0\x1f", 1, WAIT, &why);
    CU_ASSERT_PTR_NOT_NULL(first);
    CU_ASSERT_EQUAL(why, MEZ_MT_OK);
    /* A key as long as a slot's room is refused, not cut short into another key. */
    {
        char *longest = apr_palloc(unit_pool(), MEZ_MT_KEY_MAX + 1);
        memset(longest, 'k', MEZ_MT_KEY_MAX);
        longest[MEZ_MT_KEY_MAX] = '\0';
        CU_ASSERT_PTR_NULL(mez_mt_slot(new_table(), longest, 1, WAIT, &why));
        CU_ASSERT_EQUAL(why, MEZ_MT_FULL);
        longest[MEZ_MT_KEY_MAX - 1] = '\0';
        CU_ASSERT_PTR_NOT_NULL(mez_mt_slot(new_table(), longest, 1, WAIT, &why));
    }
}

void unit_register_metrics_table(void)
{
    CU_pSuite s = unit_suite("metrics_table");
    CU_add_test(s, "claim, find, look only; a shared path in order", test_claim_and_find);
    CU_add_test(s, "8 threads counting 24 keys of one path: one slot each, every count", test_threads_one_slot_per_key);
    CU_add_test(s, "4 processes over shared memory, as httpd's children: one slot each, every count",
                test_processes_one_slot_per_key);
    CU_add_test(s, "a live writer's half-written slot is never passed over: BUSY, no second slot",
                test_live_writer_never_passed);
    CU_add_test(s, "a dead writer's slot is taken over by the next claimer", test_dead_writer_taken_over);
    CU_add_test(s, "a full table says so; a key too long for a slot is refused", test_full_table);
}

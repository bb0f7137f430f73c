/* metrics_table.c: claiming and finding a counter's slot in /metrics' shared table (metrics_table.h), one
 * compare-and-swap per claim, from any thread of any httpd child, without a lock.
 *
 * The table is open-addressed: a key lives in the first slot of its probe path (home, home + 1, ...) that was free
 * when it was claimed. A claimer may pass a slot only when it knows the slot holds another key. A slot being
 * written does not say which key it will hold, so passing it (as the claim once did after 1,000 yields) could give
 * the key a second slot further on when the slow writer was writing that very key: its counts then split between
 * two series of one name. So a claimer waits for the writer; if the writer's process died half-way, the slot would
 * never be written, and it takes the slot over (its compare-and-swap names the new writer, so only one does); if
 * the writer lives but is still not done after the wait, the event is not counted (BUSY: the caller counts it as
 * dropped) rather than counted in a slot that may be the key's second. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "metrics_table.h"

#define SPINS 1000                  /* yields before the wait is timed: a writer not descheduled is done by then */
#define NAP 200                     /* microseconds between looks, once timed */

uint32_t mez_mt_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h;
}

static int writing(uint64_t st)
{
    return (st & 3) == 2;
}

/* The writer named in a writing state is gone: its pid names no process. kill(pid, 0) sends nothing; EPERM means
 * the process exists under another user. A recycled pid reads as alive: the slot then stays BUSY, counted, never
 * passed over. */
static int writer_gone(uint64_t st)
{
    pid_t pid = (pid_t)(st >> 2);
    return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH;
}

/* The slot's state once it is no longer being written, or still writing after `wait`. */
static uint64_t settled(mez_mt_slot_t *s, uint64_t st, apr_interval_time_t wait)
{
    apr_time_t until = 0;
    for (int spin = 0; writing(st); spin++) {
        if (spin < SPINS) {
            sched_yield();
        }
        else {
            apr_time_t now = apr_time_now();
            if (!until)
                until = now + wait;
            if (now >= until)
                break;
            apr_sleep(NAP);
        }
        st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
    }
    return st;
}

/* Writes key into s, which this thread's compare-and-swap has just made its own, and publishes it. */
static mez_mt_slot_t *fill(mez_mt_slot_t *s, const char *key, uint32_t h)
{
    size_t n = strlen(key);
    memcpy(s->key, key, n);
    memset(s->key + n, 0, MEZ_MT_KEY_MAX - n);
    s->hash = h;
    s->value = 0;
    __atomic_store_n(&s->state, MEZ_MT_READY, __ATOMIC_RELEASE);
    return s;
}

static mez_mt_slot_t *none(mez_mt_outcome_t *why, mez_mt_outcome_t what)
{
    if (why)
        *why = what;
    return NULL;
}

mez_mt_slot_t *mez_mt_slot(mez_mt_table_t *t, const char *key, int claim, apr_interval_time_t wait,
                           mez_mt_outcome_t *why)
{
    uint32_t h = mez_mt_hash(key);
    uint64_t mine = MEZ_MT_WRITING(getpid());

    if (strlen(key) >= MEZ_MT_KEY_MAX)
        return none(why, MEZ_MT_FULL);
    if (why)
        *why = MEZ_MT_OK;
    for (uint32_t probe = 0; probe < MEZ_MT_SLOTS; probe++) {
        mez_mt_slot_t *s = &t->slot[(h + probe) & (MEZ_MT_SLOTS - 1)];
        uint64_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        for (;;) {
            if (st == MEZ_MT_FREE) {
                if (!claim)
                    return none(why, MEZ_MT_ABSENT);
                if (__atomic_compare_exchange_n(&s->state, &st, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                    return fill(s, key, h);
                continue;                       /* another claimed it first: st is what it wrote */
            }
            if (!writing(st))
                break;                          /* ready */
            st = settled(s, st, wait);
            if (!writing(st))
                break;
            /* Still being written. A dead writer's slot is taken over (whatever it was writing was never
             * published, and no key on this path lies beyond a slot that was never ready); a live one's is not
             * passed. */
            if (!claim || !writer_gone(st))
                return none(why, MEZ_MT_BUSY);
            if (__atomic_compare_exchange_n(&s->state, &st, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return fill(s, key, h);
            /* Another waiter took it over, or the writer finished after all: look again. */
        }
        if (s->hash == h && !strncmp(s->key, key, MEZ_MT_KEY_MAX))
            return s;
    }
    return none(why, claim ? MEZ_MT_FULL : MEZ_MT_ABSENT);
}

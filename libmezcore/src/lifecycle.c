/* lifecycle.c: the entity, licence, migration and watcher state machines as transition tables, and the
 * refusals that name what is allowed instead (behaviour and deliberate differences: mez/lifecycle.h). */
#include <string.h>
#include <apr_strings.h>
#include "mez/lifecycle.h"

/* Every switch over an enum here must name each value, so a state or event added later cannot be silently
 * missed; the project's flags do not include -Wswitch-enum, this file asks for it. */
#pragma GCC diagnostic error "-Wswitch-enum"

typedef struct edge_t {
    int from, event, to;
    const char *effect;
} edge_t;

typedef struct machine_t {
    const char *name;
    const char *const *states;
    int nstates;
    const char *const *events;
    int nevents;
    const edge_t *edges;
    int nedges;
    int initial;
} machine_t;

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------------------------------------------------------------- entity */

static const char *const entity_states[MEZ_ENTITY_STATE_COUNT] = {
    [MEZ_ENTITY_DRAFT] = "DRAFT", [MEZ_ENTITY_PENDING_APPROVAL] = "PENDING_APPROVAL",
    [MEZ_ENTITY_ACTIVE] = "ACTIVE", [MEZ_ENTITY_SUSPENDED] = "SUSPENDED", [MEZ_ENTITY_DISSOLVING] = "DISSOLVING",
    [MEZ_ENTITY_DISSOLVED] = "DISSOLVED", [MEZ_ENTITY_STRUCK_OFF] = "STRUCK_OFF", [MEZ_ENTITY_REJECTED] = "REJECTED",
};
static const char *const entity_events[MEZ_ENTITY_EVENT_COUNT] = {
    [MEZ_ENTITY_EV_SUBMIT] = "submit", [MEZ_ENTITY_EV_APPROVE] = "approve", [MEZ_ENTITY_EV_REJECT] = "reject",
    [MEZ_ENTITY_EV_SUSPEND] = "suspend", [MEZ_ENTITY_EV_REINSTATE] = "reinstate",
    [MEZ_ENTITY_EV_INITIATE_DISSOLUTION] = "initiate_dissolution",
    [MEZ_ENTITY_EV_ADVANCE_DISSOLUTION] = "advance_dissolution", [MEZ_ENTITY_EV_STRIKE_OFF] = "strike_off",
};
static const edge_t entity_edges[] = {
    { MEZ_ENTITY_DRAFT, MEZ_ENTITY_EV_SUBMIT, MEZ_ENTITY_PENDING_APPROVAL, NULL },
    { MEZ_ENTITY_PENDING_APPROVAL, MEZ_ENTITY_EV_APPROVE, MEZ_ENTITY_ACTIVE, NULL },
    { MEZ_ENTITY_PENDING_APPROVAL, MEZ_ENTITY_EV_REJECT, MEZ_ENTITY_REJECTED, NULL },
    { MEZ_ENTITY_ACTIVE, MEZ_ENTITY_EV_SUSPEND, MEZ_ENTITY_SUSPENDED, NULL },
    { MEZ_ENTITY_SUSPENDED, MEZ_ENTITY_EV_REINSTATE, MEZ_ENTITY_ACTIVE, NULL },
    { MEZ_ENTITY_ACTIVE, MEZ_ENTITY_EV_INITIATE_DISSOLUTION, MEZ_ENTITY_DISSOLVING, "dissolution_stage_1" },
    /* The last stage's advance ends in DISSOLVED: mez_lifecycle_entity_advance decides with the stage. */
    { MEZ_ENTITY_DISSOLVING, MEZ_ENTITY_EV_ADVANCE_DISSOLUTION, MEZ_ENTITY_DISSOLVING, "dissolution_next_stage" },
    { MEZ_ENTITY_ACTIVE, MEZ_ENTITY_EV_STRIKE_OFF, MEZ_ENTITY_STRUCK_OFF, NULL },
    { MEZ_ENTITY_SUSPENDED, MEZ_ENTITY_EV_STRIKE_OFF, MEZ_ENTITY_STRUCK_OFF, NULL },
};

/* ---------------------------------------------------------------- licence */

static const char *const licence_states[MEZ_LICENCE_STATE_COUNT] = {
    [MEZ_LICENCE_APPLIED] = "APPLIED", [MEZ_LICENCE_UNDER_REVIEW] = "UNDER_REVIEW",
    [MEZ_LICENCE_ACTIVE] = "ACTIVE", [MEZ_LICENCE_SUSPENDED] = "SUSPENDED", [MEZ_LICENCE_REVOKED] = "REVOKED",
    [MEZ_LICENCE_EXPIRED] = "EXPIRED", [MEZ_LICENCE_SURRENDERED] = "SURRENDERED",
    [MEZ_LICENCE_REJECTED] = "REJECTED",
};
static const char *const licence_events[MEZ_LICENCE_EVENT_COUNT] = {
    [MEZ_LICENCE_EV_REVIEW] = "review", [MEZ_LICENCE_EV_GRANT] = "grant", [MEZ_LICENCE_EV_REJECT] = "reject",
    [MEZ_LICENCE_EV_SUSPEND] = "suspend", [MEZ_LICENCE_EV_REINSTATE] = "reinstate",
    [MEZ_LICENCE_EV_REVOKE] = "revoke", [MEZ_LICENCE_EV_EXPIRE] = "expire",
    [MEZ_LICENCE_EV_SURRENDER] = "surrender", [MEZ_LICENCE_EV_RENEW] = "renew",
};
static const edge_t licence_edges[] = {
    { MEZ_LICENCE_APPLIED, MEZ_LICENCE_EV_REVIEW, MEZ_LICENCE_UNDER_REVIEW, NULL },
    { MEZ_LICENCE_UNDER_REVIEW, MEZ_LICENCE_EV_GRANT, MEZ_LICENCE_ACTIVE, NULL },
    { MEZ_LICENCE_APPLIED, MEZ_LICENCE_EV_REJECT, MEZ_LICENCE_REJECTED, NULL },
    { MEZ_LICENCE_UNDER_REVIEW, MEZ_LICENCE_EV_REJECT, MEZ_LICENCE_REJECTED, NULL },
    { MEZ_LICENCE_ACTIVE, MEZ_LICENCE_EV_SUSPEND, MEZ_LICENCE_SUSPENDED, NULL },
    { MEZ_LICENCE_SUSPENDED, MEZ_LICENCE_EV_REINSTATE, MEZ_LICENCE_ACTIVE, NULL },
    { MEZ_LICENCE_ACTIVE, MEZ_LICENCE_EV_REVOKE, MEZ_LICENCE_REVOKED, NULL },
    { MEZ_LICENCE_SUSPENDED, MEZ_LICENCE_EV_REVOKE, MEZ_LICENCE_REVOKED, NULL },
    { MEZ_LICENCE_ACTIVE, MEZ_LICENCE_EV_EXPIRE, MEZ_LICENCE_EXPIRED, NULL },
    /* A suspension does not stop the clock: the reference let suspended licences outlive their term. */
    { MEZ_LICENCE_SUSPENDED, MEZ_LICENCE_EV_EXPIRE, MEZ_LICENCE_EXPIRED, NULL },
    { MEZ_LICENCE_ACTIVE, MEZ_LICENCE_EV_SURRENDER, MEZ_LICENCE_SURRENDERED, NULL },
    /* Renewal only of a live licence in good standing; see mez/lifecycle.h for why not EXPIRED or SUSPENDED. */
    { MEZ_LICENCE_ACTIVE, MEZ_LICENCE_EV_RENEW, MEZ_LICENCE_ACTIVE, NULL },
};

/* ---------------------------------------------------------------- migration */

static const char *const migration_states[MEZ_MIGRATION_STATE_COUNT] = {
    [MEZ_MIGRATION_INITIATED] = "INITIATED", [MEZ_MIGRATION_COMPLIANCE_CHECK] = "COMPLIANCE_CHECK",
    [MEZ_MIGRATION_ATTESTATION_GATHERING] = "ATTESTATION_GATHERING",
    [MEZ_MIGRATION_SOURCE_LOCKED] = "SOURCE_LOCKED", [MEZ_MIGRATION_IN_TRANSIT] = "IN_TRANSIT",
    [MEZ_MIGRATION_DESTINATION_VERIFICATION] = "DESTINATION_VERIFICATION",
    [MEZ_MIGRATION_DESTINATION_UNLOCK] = "DESTINATION_UNLOCK", [MEZ_MIGRATION_COMPLETED] = "COMPLETED",
    [MEZ_MIGRATION_CANCELLED] = "CANCELLED", [MEZ_MIGRATION_COMPENSATED] = "COMPENSATED",
    [MEZ_MIGRATION_TIMED_OUT] = "TIMED_OUT",
};
static const char *const migration_events[MEZ_MIGRATION_EVENT_COUNT] = {
    [MEZ_MIGRATION_EV_ADVANCE] = "advance", [MEZ_MIGRATION_EV_CANCEL] = "cancel",
    [MEZ_MIGRATION_EV_COMPENSATE] = "compensate", [MEZ_MIGRATION_EV_TIMEOUT] = "timeout",
};
static const edge_t migration_edges[] = {
    { MEZ_MIGRATION_INITIATED, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_COMPLIANCE_CHECK, NULL },
    { MEZ_MIGRATION_COMPLIANCE_CHECK, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_ATTESTATION_GATHERING, NULL },
    { MEZ_MIGRATION_ATTESTATION_GATHERING, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_SOURCE_LOCKED, NULL },
    { MEZ_MIGRATION_SOURCE_LOCKED, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_IN_TRANSIT, NULL },
    { MEZ_MIGRATION_IN_TRANSIT, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_DESTINATION_VERIFICATION, NULL },
    { MEZ_MIGRATION_DESTINATION_VERIFICATION, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_DESTINATION_UNLOCK, NULL },
    { MEZ_MIGRATION_DESTINATION_UNLOCK, MEZ_MIGRATION_EV_ADVANCE, MEZ_MIGRATION_COMPLETED, NULL },
    { MEZ_MIGRATION_INITIATED, MEZ_MIGRATION_EV_CANCEL, MEZ_MIGRATION_CANCELLED, NULL },
    { MEZ_MIGRATION_COMPLIANCE_CHECK, MEZ_MIGRATION_EV_CANCEL, MEZ_MIGRATION_CANCELLED, NULL },
    { MEZ_MIGRATION_ATTESTATION_GATHERING, MEZ_MIGRATION_EV_CANCEL, MEZ_MIGRATION_CANCELLED, NULL },
    /* The reference cancelled a locked source without releasing it. */
    { MEZ_MIGRATION_SOURCE_LOCKED, MEZ_MIGRATION_EV_CANCEL, MEZ_MIGRATION_CANCELLED, "unlock_source" },
    { MEZ_MIGRATION_IN_TRANSIT, MEZ_MIGRATION_EV_COMPENSATE, MEZ_MIGRATION_COMPENSATED, "compensate" },
    { MEZ_MIGRATION_DESTINATION_VERIFICATION, MEZ_MIGRATION_EV_COMPENSATE, MEZ_MIGRATION_COMPENSATED, "compensate" },
    { MEZ_MIGRATION_DESTINATION_UNLOCK, MEZ_MIGRATION_EV_COMPENSATE, MEZ_MIGRATION_COMPENSATED, "compensate" },
    { MEZ_MIGRATION_INITIATED, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, NULL },
    { MEZ_MIGRATION_COMPLIANCE_CHECK, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, NULL },
    { MEZ_MIGRATION_ATTESTATION_GATHERING, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, NULL },
    { MEZ_MIGRATION_SOURCE_LOCKED, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, "unlock_source" },
    { MEZ_MIGRATION_IN_TRANSIT, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, "compensate" },
    { MEZ_MIGRATION_DESTINATION_VERIFICATION, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, "compensate" },
    { MEZ_MIGRATION_DESTINATION_UNLOCK, MEZ_MIGRATION_EV_TIMEOUT, MEZ_MIGRATION_TIMED_OUT, "compensate" },
};

/* ---------------------------------------------------------------- watcher */

static const char *const watcher_states[MEZ_WATCHER_STATE_COUNT] = {
    [MEZ_WATCHER_REGISTERED] = "REGISTERED", [MEZ_WATCHER_BONDED] = "BONDED", [MEZ_WATCHER_ACTIVE] = "ACTIVE",
    [MEZ_WATCHER_SLASHED] = "SLASHED", [MEZ_WATCHER_UNBONDING] = "UNBONDING",
    [MEZ_WATCHER_DEACTIVATED] = "DEACTIVATED", [MEZ_WATCHER_BANNED] = "BANNED",
};
static const char *const watcher_events[MEZ_WATCHER_EVENT_COUNT] = {
    [MEZ_WATCHER_EV_BOND] = "bond", [MEZ_WATCHER_EV_ACTIVATE] = "activate", [MEZ_WATCHER_EV_SLASH] = "slash",
    [MEZ_WATCHER_EV_BAN] = "ban", [MEZ_WATCHER_EV_REBOND] = "rebond", [MEZ_WATCHER_EV_UNBOND] = "unbond",
    [MEZ_WATCHER_EV_COMPLETE_UNBOND] = "complete_unbond",
};
static const edge_t watcher_edges[] = {
    { MEZ_WATCHER_REGISTERED, MEZ_WATCHER_EV_BOND, MEZ_WATCHER_BONDED, NULL },
    { MEZ_WATCHER_BONDED, MEZ_WATCHER_EV_ACTIVATE, MEZ_WATCHER_ACTIVE, NULL },
    { MEZ_WATCHER_ACTIVE, MEZ_WATCHER_EV_SLASH, MEZ_WATCHER_SLASHED, "slash_stake" },
    /* Misbehaviour found during the unbonding period is still punishable: that is what the period is for. */
    { MEZ_WATCHER_UNBONDING, MEZ_WATCHER_EV_SLASH, MEZ_WATCHER_SLASHED, "slash_stake" },
    { MEZ_WATCHER_ACTIVE, MEZ_WATCHER_EV_BAN, MEZ_WATCHER_BANNED, "slash_stake" },
    { MEZ_WATCHER_SLASHED, MEZ_WATCHER_EV_BAN, MEZ_WATCHER_BANNED, "slash_stake" },
    { MEZ_WATCHER_UNBONDING, MEZ_WATCHER_EV_BAN, MEZ_WATCHER_BANNED, "slash_stake" },
    { MEZ_WATCHER_SLASHED, MEZ_WATCHER_EV_REBOND, MEZ_WATCHER_BONDED, NULL },
    { MEZ_WATCHER_ACTIVE, MEZ_WATCHER_EV_UNBOND, MEZ_WATCHER_UNBONDING, NULL },
    /* The reference let a slashed watcher only rebond: it could never leave with what stake it had left. */
    { MEZ_WATCHER_SLASHED, MEZ_WATCHER_EV_UNBOND, MEZ_WATCHER_UNBONDING, NULL },
    { MEZ_WATCHER_UNBONDING, MEZ_WATCHER_EV_COMPLETE_UNBOND, MEZ_WATCHER_DEACTIVATED, "return_stake" },
};

static const machine_t entity_machine = {
    "entity", entity_states, MEZ_ENTITY_STATE_COUNT, entity_events, MEZ_ENTITY_EVENT_COUNT,
    entity_edges, COUNT(entity_edges), MEZ_ENTITY_DRAFT,
};
static const machine_t licence_machine = {
    "licence", licence_states, MEZ_LICENCE_STATE_COUNT, licence_events, MEZ_LICENCE_EVENT_COUNT,
    licence_edges, COUNT(licence_edges), MEZ_LICENCE_APPLIED,
};
static const machine_t migration_machine = {
    "migration", migration_states, MEZ_MIGRATION_STATE_COUNT, migration_events, MEZ_MIGRATION_EVENT_COUNT,
    migration_edges, COUNT(migration_edges), MEZ_MIGRATION_INITIATED,
};
static const machine_t watcher_machine = {
    "watcher", watcher_states, MEZ_WATCHER_STATE_COUNT, watcher_events, MEZ_WATCHER_EVENT_COUNT,
    watcher_edges, COUNT(watcher_edges), MEZ_WATCHER_REGISTERED,
};

static const machine_t *machine(mez_lifecycle_machine_t m)
{
    switch (m) {
    case MEZ_LIFECYCLE_ENTITY:    return &entity_machine;
    case MEZ_LIFECYCLE_LICENCE:   return &licence_machine;
    case MEZ_LIFECYCLE_MIGRATION: return &migration_machine;
    case MEZ_LIFECYCLE_WATCHER:   return &watcher_machine;
    case MEZ_LIFECYCLE_MACHINE_COUNT: break;
    }
    return NULL;
}

/* ---------------------------------------------------------------- names */

const char *mez_lifecycle_machine_name(mez_lifecycle_machine_t m)
{
    const machine_t *mm = machine(m);
    return mm ? mm->name : "unknown";
}

mez_status_t mez_lifecycle_machine_parse(apr_pool_t *p, const char *name, mez_lifecycle_machine_t *out,
                                         mez_problem_t *pb)
{
    for (int i = 0; i < MEZ_LIFECYCLE_MACHINE_COUNT; i++)
        if (name && !strcmp(name, machine((mez_lifecycle_machine_t)i)->name)) {
            *out = (mez_lifecycle_machine_t)i;
            return MEZ_OK;
        }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_machine", NULL,
                       "'%s' is not a lifecycle (entity, licence, migration, watcher)", name ? name : "");
}

int mez_lifecycle_state_count(mez_lifecycle_machine_t m)
{
    const machine_t *mm = machine(m);
    return mm ? mm->nstates : 0;
}

int mez_lifecycle_event_count(mez_lifecycle_machine_t m)
{
    const machine_t *mm = machine(m);
    return mm ? mm->nevents : 0;
}

const char *mez_lifecycle_state_name(mez_lifecycle_machine_t m, int state)
{
    const machine_t *mm = machine(m);
    return mm && state >= 0 && state < mm->nstates ? mm->states[state] : NULL;
}

const char *mez_lifecycle_event_name(mez_lifecycle_machine_t m, int event)
{
    const machine_t *mm = machine(m);
    return mm && event >= 0 && event < mm->nevents ? mm->events[event] : NULL;
}

static const char *join(apr_pool_t *p, const char *const *names, int n)
{
    const char *s = "";
    for (int i = 0; i < n; i++)
        s = apr_pstrcat(p, s, i ? ", " : "", names[i], NULL);
    return s;
}

static mez_status_t unknown_machine(apr_pool_t *p, mez_lifecycle_machine_t m, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_machine", NULL, "lifecycle %d does not exist",
                       (int)m);
}

mez_status_t mez_lifecycle_state_parse(apr_pool_t *p, mez_lifecycle_machine_t m, const char *name, int *out,
                                       mez_problem_t *pb)
{
    const machine_t *mm = machine(m);
    if (!mm)
        return unknown_machine(p, m, pb);
    for (int i = 0; i < mm->nstates; i++)
        if (name && !strcmp(name, mm->states[i])) {
            *out = i;
            return MEZ_OK;
        }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_state", NULL,
                       "'%s' is not a state of the %s lifecycle (%s)", name ? name : "", mm->name,
                       join(p, mm->states, mm->nstates));
}

mez_status_t mez_lifecycle_event_parse(apr_pool_t *p, mez_lifecycle_machine_t m, const char *name, int *out,
                                       mez_problem_t *pb)
{
    const machine_t *mm = machine(m);
    if (!mm)
        return unknown_machine(p, m, pb);
    for (int i = 0; i < mm->nevents; i++)
        if (name && !strcmp(name, mm->events[i])) {
            *out = i;
            return MEZ_OK;
        }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_event", NULL,
                       "'%s' is not an event of the %s lifecycle (%s)", name ? name : "", mm->name,
                       join(p, mm->events, mm->nevents));
}

int mez_lifecycle_is_terminal(mez_lifecycle_machine_t m, int state)
{
    const machine_t *mm = machine(m);
    if (!mm || state < 0 || state >= mm->nstates)
        return 0;
    for (int i = 0; i < mm->nedges; i++)
        if (mm->edges[i].from == state)
            return 0;
    return 1;
}

int mez_lifecycle_initial_state(mez_lifecycle_machine_t m)
{
    const machine_t *mm = machine(m);
    return mm ? mm->initial : -1;
}

/* ---------------------------------------------------------------- transitions */

static const edge_t *find_edge(const machine_t *mm, int from, int event)
{
    for (int i = 0; i < mm->nedges; i++)
        if (mm->edges[i].from == from && mm->edges[i].event == event)
            return &mm->edges[i];
    return NULL;
}

const char *mez_lifecycle_allowed(apr_pool_t *p, mez_lifecycle_machine_t m, int from)
{
    const machine_t *mm = machine(m);
    const char *s = "";
    if (!mm)
        return s;
    for (int i = 0; i < mm->nedges; i++)
        if (mm->edges[i].from == from)
            s = apr_pstrcat(p, s, *s ? ", " : "", mm->events[mm->edges[i].event], " (-> ",
                            mm->states[mm->edges[i].to], ")", NULL);
    return s;
}

static mez_status_t illegal(apr_pool_t *p, const machine_t *mm, mez_lifecycle_machine_t m, int from, int event,
                            mez_problem_t *pb)
{
    const char *allowed = mez_lifecycle_allowed(p, m, from);
    if (!*allowed)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "lifecycle.illegal_transition", NULL,
                           "%s lifecycle: '%s' is not allowed from %s, which is terminal (no event leaves it)",
                           mm->name, mm->events[event], mm->states[from]);
    return mez_problem(pb, p, MEZ_EINVAL, 409, "lifecycle.illegal_transition", NULL,
                       "%s lifecycle: '%s' is not allowed from %s; allowed from %s: %s", mm->name,
                       mm->events[event], mm->states[from], mm->states[from], allowed);
}

mez_status_t mez_lifecycle_step(apr_pool_t *p, mez_lifecycle_machine_t m, int from, int event, int *to,
                                const char **effect, mez_problem_t *pb)
{
    const machine_t *mm = machine(m);
    const edge_t *e;
    if (!mm)
        return unknown_machine(p, m, pb);
    if (from < 0 || from >= mm->nstates)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_state", NULL,
                           "state %d is not a state of the %s lifecycle", from, mm->name);
    if (event < 0 || event >= mm->nevents)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_event", NULL,
                           "event %d is not an event of the %s lifecycle", event, mm->name);
    if (!(e = find_edge(mm, from, event)))
        return illegal(p, mm, m, from, event, pb);
    *to = e->to;
    if (effect)
        *effect = e->effect;
    return MEZ_OK;
}

mez_status_t mez_lifecycle_transition(apr_pool_t *p, mez_lifecycle_machine_t m, const char *from_state,
                                      const char *event, const char **to_state, mez_problem_t *pb)
{
    int from, ev, to;
    mez_status_t rv;
    if ((rv = mez_lifecycle_state_parse(p, m, from_state, &from, pb)) != MEZ_OK
        || (rv = mez_lifecycle_event_parse(p, m, event, &ev, pb)) != MEZ_OK
        || (rv = mez_lifecycle_step(p, m, from, ev, &to, NULL, pb)) != MEZ_OK)
        return rv;
    *to_state = mez_lifecycle_state_name(m, to);
    return MEZ_OK;
}

int mez_lifecycle_event_between(mez_lifecycle_machine_t m, int from, int to)
{
    const machine_t *mm = machine(m);
    if (!mm)
        return -1;
    for (int i = 0; i < mm->nedges; i++)
        if (mm->edges[i].from == from && mm->edges[i].to == to)
            return mm->edges[i].event;
    /* advance_dissolution's table edge stays in DISSOLVING; its last step is the move to DISSOLVED. */
    if (m == MEZ_LIFECYCLE_ENTITY && from == MEZ_ENTITY_DISSOLVING && to == MEZ_ENTITY_DISSOLVED)
        return MEZ_ENTITY_EV_ADVANCE_DISSOLUTION;
    return -1;
}

/* ---------------------------------------------------------------- entity dissolution */

/* Stage names and usual durations as the reference's dissolution workflow lists them. */
static const mez_dissolution_stage_t stages[MEZ_DISSOLUTION_STAGES] = {
    { 1, "board_resolution", "Board Resolution", 7, NULL },
    { 2, "shareholder_resolution", "Shareholder Resolution", 21, NULL },
    { 3, "appoint_liquidator", "Appoint Liquidator", 7, NULL },
    { 4, "notify_creditors", "Notify Creditors", 14, "creditor_notice_period_days" },
    { 5, "realize_assets", "Realize Assets", 90, NULL },
    { 6, "settle_liabilities", "Settle Liabilities", 60, NULL },
    { 7, "final_distribution", "Final Distribution", 14, NULL },
    { 8, "final_meeting", "Final Meeting", 35, NULL },
    { 9, "file_final_documents", "File Final Documents", 14, NULL },
    { 10, "dissolution", "Dissolution", 30, "minimum_liquidation_period_days" },
};

const mez_dissolution_stage_t *mez_lifecycle_dissolution_stage(int sequence)
{
    return sequence >= 1 && sequence <= MEZ_DISSOLUTION_STAGES ? &stages[sequence - 1] : NULL;
}

mez_status_t mez_lifecycle_entity_advance(apr_pool_t *p, int from_state, int stage, int *to_state, int *to_stage,
                                          mez_problem_t *pb)
{
    int to;
    mez_status_t rv = mez_lifecycle_step(p, MEZ_LIFECYCLE_ENTITY, from_state, MEZ_ENTITY_EV_ADVANCE_DISSOLUTION,
                                         &to, NULL, pb);
    if (rv != MEZ_OK)
        return rv;
    if (stage < 1 || stage > MEZ_DISSOLUTION_STAGES)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.invalid_stage", NULL,
                           "dissolution stage %d is not between 1 and %d", stage, MEZ_DISSOLUTION_STAGES);
    if (stage == MEZ_DISSOLUTION_STAGES) {
        *to_state = MEZ_ENTITY_DISSOLVED;
        *to_stage = stage;
    } else {
        *to_state = to;
        *to_stage = stage + 1;
    }
    return MEZ_OK;
}

/* ---------------------------------------------------------------- migration deadline */

mez_status_t mez_lifecycle_migration_step(apr_pool_t *p, int from, int event, apr_time_t now, apr_time_t deadline,
                                          int *to, const char **effect, mez_problem_t *pb)
{
    if (deadline <= 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.deadline_required", NULL,
                           "a migration must have a deadline");
    if (now > deadline && event != MEZ_MIGRATION_EV_TIMEOUT && from >= 0 && from < MEZ_MIGRATION_STATE_COUNT
        && !mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, from)) {
        apr_time_exp_t e;
        apr_time_exp_gmt(&e, deadline);
        return mez_problem(pb, p, MEZ_EINVAL, 409, "lifecycle.deadline_passed", NULL,
                           "migration lifecycle: the deadline %04d-%02d-%02dT%02d:%02d:%02dZ has passed; from %s "
                           "only timeout (-> TIMED_OUT) is allowed", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday,
                           e.tm_hour, e.tm_min, e.tm_sec, migration_states[from]);
    }
    return mez_lifecycle_step(p, MEZ_LIFECYCLE_MIGRATION, from, event, to, effect, pb);
}

/* ---------------------------------------------------------------- watcher slashing */

const char *mez_lifecycle_slash_reason_name(mez_slash_reason_t r)
{
    switch (r) {
    case MEZ_SLASH_EQUIVOCATION:         return "equivocation";
    case MEZ_SLASH_AVAILABILITY_FAILURE: return "availability_failure";
    case MEZ_SLASH_FALSE_ATTESTATION:    return "false_attestation";
    case MEZ_SLASH_COLLUSION:            return "collusion";
    case MEZ_SLASH_REASON_COUNT:         break;
    }
    return NULL;
}

mez_status_t mez_lifecycle_slash_reason_parse(apr_pool_t *p, const char *name, mez_slash_reason_t *out,
                                              mez_problem_t *pb)
{
    for (int i = 0; i < MEZ_SLASH_REASON_COUNT; i++)
        if (name && !strcmp(name, mez_lifecycle_slash_reason_name((mez_slash_reason_t)i))) {
            *out = (mez_slash_reason_t)i;
            return MEZ_OK;
        }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_slash_reason", NULL,
                       "'%s' is not a slashing reason (equivocation, availability_failure, false_attestation, "
                       "collusion)", name ? name : "");
}

unsigned mez_lifecycle_slash_bps(mez_slash_reason_t r)
{
    switch (r) {
    case MEZ_SLASH_EQUIVOCATION:         return 10000;
    case MEZ_SLASH_AVAILABILITY_FAILURE: return 100;
    case MEZ_SLASH_FALSE_ATTESTATION:    return 5000;
    case MEZ_SLASH_COLLUSION:            return 10000;
    case MEZ_SLASH_REASON_COUNT:         break;
    }
    return 0;
}

mez_status_t mez_lifecycle_watcher_slash(apr_pool_t *p, int from, mez_slash_reason_t reason, uint64_t available,
                                         uint64_t *slashed, int *to, mez_problem_t *pb)
{
    unsigned bps;
    int event;
    mez_status_t rv;
    if ((unsigned)reason >= MEZ_SLASH_REASON_COUNT)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_slash_reason", NULL,
                           "slashing reason %d does not exist", (int)reason);
    event = reason == MEZ_SLASH_COLLUSION ? MEZ_WATCHER_EV_BAN : MEZ_WATCHER_EV_SLASH;
    if ((rv = mez_lifecycle_step(p, MEZ_LIFECYCLE_WATCHER, from, event, to, NULL, pb)) != MEZ_OK)
        return rv;
    bps = mez_lifecycle_slash_bps(reason);
    /* available * bps / 10000 without overflow: split available at 10000 so no product exceeds 64 bits. */
    *slashed = (available / 10000) * bps + (available % 10000) * bps / 10000;
    return MEZ_OK;
}

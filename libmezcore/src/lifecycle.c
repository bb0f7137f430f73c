/* lifecycle.c: the entity, licence, migration, watcher and corridor state machines as transition tables, the
 * refusals that name what is allowed instead, and the evidence each corridor move demands (behaviour and
 * deliberate differences: mez/lifecycle.h). */
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/vc.h"

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

/* ---------------------------------------------------------------- corridor */

static const char *const corridor_states[MEZ_CORRIDOR_STATE_COUNT] = {
    [MEZ_CORRIDOR_DRAFT] = "DRAFT", [MEZ_CORRIDOR_PENDING] = "PENDING", [MEZ_CORRIDOR_ACTIVE] = "ACTIVE",
    [MEZ_CORRIDOR_HALTED] = "HALTED", [MEZ_CORRIDOR_SUSPENDED] = "SUSPENDED",
    [MEZ_CORRIDOR_DEPRECATED] = "DEPRECATED",
};
static const char *const corridor_events[MEZ_CORRIDOR_EVENT_COUNT] = {
    [MEZ_CORRIDOR_EV_SUBMIT] = "submit", [MEZ_CORRIDOR_EV_ACTIVATE] = "activate", [MEZ_CORRIDOR_EV_HALT] = "halt",
    [MEZ_CORRIDOR_EV_SUSPEND] = "suspend", [MEZ_CORRIDOR_EV_RESUME] = "resume",
    [MEZ_CORRIDOR_EV_DEPRECATE] = "deprecate",
};
/* No HALTED -> ACTIVE and no way out of DRAFT but submit, as in the reference; mez/lifecycle.h says why a fork
 * resolution does not reactivate a halted corridor. */
static const edge_t corridor_edges[] = {
    { MEZ_CORRIDOR_DRAFT, MEZ_CORRIDOR_EV_SUBMIT, MEZ_CORRIDOR_PENDING, NULL },
    { MEZ_CORRIDOR_PENDING, MEZ_CORRIDOR_EV_ACTIVATE, MEZ_CORRIDOR_ACTIVE, NULL },
    { MEZ_CORRIDOR_ACTIVE, MEZ_CORRIDOR_EV_HALT, MEZ_CORRIDOR_HALTED, NULL },
    /* Not in the reference: a fork found during a suspension must not wait for a resume to be halted. */
    { MEZ_CORRIDOR_SUSPENDED, MEZ_CORRIDOR_EV_HALT, MEZ_CORRIDOR_HALTED, NULL },
    { MEZ_CORRIDOR_ACTIVE, MEZ_CORRIDOR_EV_SUSPEND, MEZ_CORRIDOR_SUSPENDED, NULL },
    { MEZ_CORRIDOR_SUSPENDED, MEZ_CORRIDOR_EV_RESUME, MEZ_CORRIDOR_ACTIVE, NULL },
    { MEZ_CORRIDOR_HALTED, MEZ_CORRIDOR_EV_DEPRECATE, MEZ_CORRIDOR_DEPRECATED, NULL },
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
static const machine_t corridor_machine = {
    "corridor", corridor_states, MEZ_CORRIDOR_STATE_COUNT, corridor_events, MEZ_CORRIDOR_EVENT_COUNT,
    corridor_edges, COUNT(corridor_edges), MEZ_CORRIDOR_DRAFT,
};

static const machine_t *machine(mez_lifecycle_machine_t m)
{
    switch (m) {
    case MEZ_LIFECYCLE_ENTITY:    return &entity_machine;
    case MEZ_LIFECYCLE_LICENCE:   return &licence_machine;
    case MEZ_LIFECYCLE_MIGRATION: return &migration_machine;
    case MEZ_LIFECYCLE_WATCHER:   return &watcher_machine;
    case MEZ_LIFECYCLE_CORRIDOR:  return &corridor_machine;
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
                       "'%s' is not a lifecycle (entity, licence, migration, watcher, corridor)", name ? name : "");
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

mez_status_t mez_lifecycle_state_param(apr_pool_t *p, mez_lifecycle_machine_t m, const char *name,
                                       const char *pointer, int *out, mez_problem_t *pb)
{
    mez_problem_t why = { 0 };
    if (mez_lifecycle_state_parse(p, m, name, out, &why) == MEZ_OK)
        return MEZ_OK;
    return mez_problem(pb, p, MEZ_EINVAL, 400, "request.invalid_parameter", pointer, "%s", why.detail);
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
    { 1, "board_resolution", "Board Resolution", 7, { { NULL, 0 } } },
    { 2, "shareholder_resolution", "Shareholder Resolution", 21, { { NULL, 0 } } },
    { 3, "appoint_liquidator", "Appoint Liquidator", 7, { { NULL, 0 } } },
    { 4, "notify_creditors", "Notify Creditors", 14, { { "creditor_notice_period_days", 0 }, { NULL, 0 } } },
    { 5, "realize_assets", "Realize Assets", 90, { { NULL, 0 } } },
    { 6, "settle_liabilities", "Settle Liabilities", 60, { { NULL, 0 } } },
    { 7, "final_distribution", "Final Distribution", 14, { { NULL, 0 } } },
    { 8, "final_meeting", "Final Meeting", 35, { { NULL, 0 } } },
    { 9, "file_final_documents", "File Final Documents", 14, { { NULL, 0 } } },
    { 10, "dissolution", "Dissolution", 30, { { "minimum_liquidation_period_days", 1 },
                                              { "strike_off_notice_period_days", 0 } } },
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
    /* Past the deadline only the time-out is left, with one exception: a destination that has formed the entity
     * (its answer to complete, from IN_TRANSIT on) is gone forward with, not timed out. Reinstating the source
     * then would leave the entity live in both zones: the destination keeps what it formed (a registrar may approve
     * it after the deadline), so the source strikes its own off and the saga completes (review). */
    if (now > deadline && event != MEZ_MIGRATION_EV_TIMEOUT && from >= 0 && from < MEZ_MIGRATION_STATE_COUNT
        && !mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, from)
        && !(event == MEZ_MIGRATION_EV_ADVANCE && from >= MEZ_MIGRATION_IN_TRANSIT)) {
        apr_time_exp_t e;
        apr_time_exp_gmt(&e, deadline);
        return mez_problem(pb, p, MEZ_EINVAL, 409, "lifecycle.deadline_passed", NULL,
                           "migration lifecycle: the deadline %04d-%02d-%02dT%02d:%02d:%02dZ has passed; from %s "
                           "only timeout (-> TIMED_OUT), or advance once the destination has formed the entity, is "
                           "allowed", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday,
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

/* ---------------------------------------------------------------- corridor evidence */

/* What corridors.md §2 says each move keeps, as data; the checks below read nothing else. */
static const mez_corridor_evidence_t ev_submit[] = {
    { "bilateral_agreement_digest", MEZ_EVIDENCE_DIGEST, 1 },
    { "pack_trilogy_digest", MEZ_EVIDENCE_DIGEST, 1 },
    { NULL, MEZ_EVIDENCE_DIGEST, 0 },
};
static const mez_corridor_evidence_t ev_activate[] = {
    { "regulatory_approval_a", MEZ_EVIDENCE_DIGEST, 1 },
    { "regulatory_approval_b", MEZ_EVIDENCE_DIGEST, 1 },
    { NULL, MEZ_EVIDENCE_DIGEST, 0 },
};
static const mez_corridor_evidence_t ev_halt[] = {
    { "reason", MEZ_EVIDENCE_TEXT, 1 },
    { "authority", MEZ_EVIDENCE_AUTHORITY, 1 },
    { "evidence_digest", MEZ_EVIDENCE_DIGEST, 1 },
    { NULL, MEZ_EVIDENCE_DIGEST, 0 },
};
static const mez_corridor_evidence_t ev_suspend[] = {
    { "reason", MEZ_EVIDENCE_TEXT, 1 },
    { "expected_resume", MEZ_EVIDENCE_TIMESTAMP, 0 },
    { NULL, MEZ_EVIDENCE_DIGEST, 0 },
};
static const mez_corridor_evidence_t ev_resume[] = {
    { "resolution_attestation_digest", MEZ_EVIDENCE_DIGEST, 1 },
    { NULL, MEZ_EVIDENCE_DIGEST, 0 },
};
static const mez_corridor_evidence_t ev_deprecate[] = {
    { "deprecation_decision_digest", MEZ_EVIDENCE_DIGEST, 1 },
    { "reason", MEZ_EVIDENCE_TEXT, 1 },
    { NULL, MEZ_EVIDENCE_DIGEST, 0 },
};

/* The member whose digest a transition record keeps (NULL: none, or activation's combined digest). */
static const char *const log_member[MEZ_CORRIDOR_EVENT_COUNT] = {
    [MEZ_CORRIDOR_EV_SUBMIT] = "bilateral_agreement_digest", [MEZ_CORRIDOR_EV_ACTIVATE] = NULL,
    [MEZ_CORRIDOR_EV_HALT] = "evidence_digest", [MEZ_CORRIDOR_EV_SUSPEND] = NULL,
    [MEZ_CORRIDOR_EV_RESUME] = "resolution_attestation_digest",
    [MEZ_CORRIDOR_EV_DEPRECATE] = "deprecation_decision_digest",
};

const mez_corridor_evidence_t *mez_lifecycle_corridor_evidence(int event)
{
    if (event < 0 || event >= MEZ_CORRIDOR_EVENT_COUNT)
        return NULL;
    switch ((mez_corridor_event_t)event) {
    case MEZ_CORRIDOR_EV_SUBMIT:    return ev_submit;
    case MEZ_CORRIDOR_EV_ACTIVATE:  return ev_activate;
    case MEZ_CORRIDOR_EV_HALT:      return ev_halt;
    case MEZ_CORRIDOR_EV_SUSPEND:   return ev_suspend;
    case MEZ_CORRIDOR_EV_RESUME:    return ev_resume;
    case MEZ_CORRIDOR_EV_DEPRECATE: return ev_deprecate;
    case MEZ_CORRIDOR_EVENT_COUNT:  break;
    }
    return NULL;
}

#define EVIDENCE_TEXT_MAX 1024
#define AUTHORITY_MAX 128

static mez_status_t bad_evidence(apr_pool_t *p, const char *event, const char *name, const char *why,
                                 mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.evidence_invalid", mez_pointer_join(p, "", name),
                       "corridor '%s' evidence '%s' %s", event, name, why);
}

/* One member against its kind: MEZ_OK or the 422 pointing at it. */
static mez_status_t check_member(apr_pool_t *p, const char *event, const mez_corridor_evidence_t *spec,
                                 const json_t *v, mez_problem_t *pb)
{
    const char *s;
    size_t len;
    if (!json_is_string(v))
        return bad_evidence(p, event, spec->name, apr_psprintf(p, "must be a string, not %s", mez_json_kind(v)),
                            pb);
    s = json_string_value(v);
    len = json_string_length(v);
    if (strlen(s) != len)
        return bad_evidence(p, event, spec->name, "contains a NUL character", pb);
    switch (spec->kind) {
    case MEZ_EVIDENCE_DIGEST: {
        static const mez_digest_t zero;
        mez_digest_t d;
        if (mez_digest_parse(p, s, &d, NULL) != MEZ_OK)
            return bad_evidence(p, event, spec->name, "must be a digest written sha256:<64 lowercase hex digits>",
                                pb);
        /* All zeros is what a placeholder looks like; no SHA-256 of a real document is. */
        if (mez_digest_equal(&d, &zero))
            return bad_evidence(p, event, spec->name, "is all zeros: a placeholder, not a document's digest", pb);
        return MEZ_OK;
    }
    case MEZ_EVIDENCE_TEXT:
        if (len == 0 || len > EVIDENCE_TEXT_MAX)
            return bad_evidence(p, event, spec->name,
                                apr_psprintf(p, "must be 1 to %d bytes long", EVIDENCE_TEXT_MAX), pb);
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return bad_evidence(p, event, spec->name, "must not contain control characters", pb);
        return MEZ_OK;
    case MEZ_EVIDENCE_AUTHORITY:
        if (len == 0 || len > AUTHORITY_MAX || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                         "0123456789._-") != len)
            return bad_evidence(p, event, spec->name,
                                apr_psprintf(p, "must be a jurisdiction id: 1 to %d of A-Z a-z 0-9 . _ -",
                                             AUTHORITY_MAX), pb);
        return MEZ_OK;
    case MEZ_EVIDENCE_TIMESTAMP: {
        apr_time_t t;
        /* Only the one stored form: nothing to rewrite, so nothing is lost (the reference rewrote any string
         * that looked like a date, dropping fractions: corridors.md §9 item 1). */
        if (mez_time_parse_rfc3339(s, &t) != 0 || strcmp(mez_time_stamp(p, t), s))
            return bad_evidence(p, event, spec->name,
                                "must be a UTC date-time of the form 2026-07-01T00:00:00Z", pb);
        return MEZ_OK;
    }
    case MEZ_EVIDENCE_KIND_COUNT:
        break;
    }
    return bad_evidence(p, event, spec->name, "has no known kind", pb);
}

mez_status_t mez_lifecycle_corridor_check_evidence(apr_pool_t *p, int event, const json_t *evidence,
                                                   mez_problem_t *pb)
{
    const mez_corridor_evidence_t *specs = mez_lifecycle_corridor_evidence(event), *spec;
    const char *ev, *key;
    json_t *v;
    mez_status_t rv;
    if (!specs)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.unknown_event", NULL,
                           "event %d is not an event of the corridor lifecycle", event);
    ev = corridor_events[event];
    if (!json_is_object(evidence))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.evidence_invalid", "",
                           "corridor '%s' evidence must be an object, not %s", ev,
                           evidence ? mez_json_kind(evidence) : "nothing");
    /* Members in the table's order, so the first problem reported does not depend on the object's order. */
    for (spec = specs; spec->name; spec++) {
        v = json_object_get(evidence, spec->name);
        if (!v || json_is_null(v)) {
            if (!spec->required) {
                if (v)
                    return bad_evidence(p, ev, spec->name, "may be left out but not null", pb);
                continue;
            }
            return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.evidence_missing",
                               mez_pointer_join(p, "", spec->name), "corridor '%s' needs evidence '%s'", ev,
                               spec->name);
        }
        if ((rv = check_member(p, ev, spec, v, pb)) != MEZ_OK)
            return rv;
    }
    json_object_foreach((json_t *)evidence, key, v) {
        for (spec = specs; spec->name && strcmp(spec->name, key); spec++)
            ;
        if (!spec->name)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "lifecycle.evidence_unknown", mez_pointer_join(p, "", key),
                               "corridor '%s' takes no evidence '%s'", ev, key);
    }
    /* Two zones approve an activation: one approval counted twice is not two. */
    if (event == MEZ_CORRIDOR_EV_ACTIVATE
        && !strcmp(json_string_value(json_object_get(evidence, "regulatory_approval_a")),
                   json_string_value(json_object_get(evidence, "regulatory_approval_b"))))
        return bad_evidence(p, ev, "regulatory_approval_b",
                            "is the same document as regulatory_approval_a: each zone approves separately", pb);
    return MEZ_OK;
}

#define ACTIVATION_TAG "mez.corridor.activation.v1"

mez_status_t mez_lifecycle_corridor_log_digest(apr_pool_t *p, int event, const json_t *evidence, const char **out,
                                               mez_problem_t *pb)
{
    mez_status_t rv;
    if ((rv = mez_lifecycle_corridor_check_evidence(p, event, evidence, pb)) != MEZ_OK)
        return rv;
    if (event == MEZ_CORRIDOR_EV_ACTIVATE) {
        unsigned char buf[sizeof ACTIVATION_TAG + 2 * MEZ_DIGEST_LEN];   /* the tag's NUL separates it */
        mez_digest_t a, b, d;
        mez_digest_parse_json(p, json_object_get(evidence, "regulatory_approval_a"), &a, NULL);
        mez_digest_parse_json(p, json_object_get(evidence, "regulatory_approval_b"), &b, NULL);
        memcpy(buf, ACTIVATION_TAG, sizeof ACTIVATION_TAG);
        memcpy(buf + sizeof ACTIVATION_TAG, a.bytes, MEZ_DIGEST_LEN);
        memcpy(buf + sizeof ACTIVATION_TAG + MEZ_DIGEST_LEN, b.bytes, MEZ_DIGEST_LEN);
        mez_digest_sha256(buf, sizeof buf, &d);
        *out = mez_digest_format(p, &d);
        return MEZ_OK;
    }
    *out = log_member[event] ? json_string_value(json_object_get(evidence, log_member[event])) : NULL;
    return MEZ_OK;
}

mez_status_t mez_lifecycle_corridor_step(apr_pool_t *p, int from, int event, const json_t *evidence, int *to,
                                         const char **log_digest, mez_problem_t *pb)
{
    int next;
    const char *digest;
    mez_status_t rv;
    if ((rv = mez_lifecycle_step(p, MEZ_LIFECYCLE_CORRIDOR, from, event, &next, NULL, pb)) != MEZ_OK
        || (rv = mez_lifecycle_corridor_log_digest(p, event, evidence, &digest, pb)) != MEZ_OK)
        return rv;
    *to = next;
    if (log_digest)
        *log_digest = digest;
    return MEZ_OK;
}

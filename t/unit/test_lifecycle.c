/* test_lifecycle.c: CUnit suite for the lifecycle state machines: every legal transition of every machine (by
 * wire name, against a table written here from the specification, not read from the code), every other
 * (state, event) pair refused with a 409 naming the state and what is allowed, unknown names, terminal states,
 * dissolution stages, the migration deadline, watcher slashing arithmetic, and the evidence each corridor move
 * demands. */
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "unit.h"

typedef struct { const char *from, *event, *to; } spec_edge_t;

static const spec_edge_t entity_spec[] = {
    { "DRAFT", "submit", "PENDING_APPROVAL" },
    { "PENDING_APPROVAL", "approve", "ACTIVE" },
    { "PENDING_APPROVAL", "reject", "REJECTED" },
    { "ACTIVE", "suspend", "SUSPENDED" },
    { "SUSPENDED", "reinstate", "ACTIVE" },
    { "ACTIVE", "initiate_dissolution", "DISSOLVING" },
    { "DISSOLVING", "advance_dissolution", "DISSOLVING" },
    { "ACTIVE", "strike_off", "STRUCK_OFF" },
    { "SUSPENDED", "strike_off", "STRUCK_OFF" },
    { NULL, NULL, NULL },
};
static const spec_edge_t licence_spec[] = {
    { "APPLIED", "review", "UNDER_REVIEW" },
    { "UNDER_REVIEW", "grant", "ACTIVE" },
    { "APPLIED", "reject", "REJECTED" },
    { "UNDER_REVIEW", "reject", "REJECTED" },
    { "ACTIVE", "suspend", "SUSPENDED" },
    { "SUSPENDED", "reinstate", "ACTIVE" },
    { "ACTIVE", "revoke", "REVOKED" },
    { "SUSPENDED", "revoke", "REVOKED" },
    { "ACTIVE", "expire", "EXPIRED" },
    { "SUSPENDED", "expire", "EXPIRED" },
    { "ACTIVE", "surrender", "SURRENDERED" },
    { "ACTIVE", "renew", "ACTIVE" },
    { NULL, NULL, NULL },
};
static const spec_edge_t migration_spec[] = {
    { "INITIATED", "advance", "COMPLIANCE_CHECK" },
    { "COMPLIANCE_CHECK", "advance", "ATTESTATION_GATHERING" },
    { "ATTESTATION_GATHERING", "advance", "SOURCE_LOCKED" },
    { "SOURCE_LOCKED", "advance", "IN_TRANSIT" },
    { "IN_TRANSIT", "advance", "DESTINATION_VERIFICATION" },
    { "DESTINATION_VERIFICATION", "advance", "DESTINATION_UNLOCK" },
    { "DESTINATION_UNLOCK", "advance", "COMPLETED" },
    { "INITIATED", "cancel", "CANCELLED" },
    { "COMPLIANCE_CHECK", "cancel", "CANCELLED" },
    { "ATTESTATION_GATHERING", "cancel", "CANCELLED" },
    { "SOURCE_LOCKED", "cancel", "CANCELLED" },
    { "IN_TRANSIT", "compensate", "COMPENSATED" },
    { "DESTINATION_VERIFICATION", "compensate", "COMPENSATED" },
    { "DESTINATION_UNLOCK", "compensate", "COMPENSATED" },
    { "INITIATED", "timeout", "TIMED_OUT" },
    { "COMPLIANCE_CHECK", "timeout", "TIMED_OUT" },
    { "ATTESTATION_GATHERING", "timeout", "TIMED_OUT" },
    { "SOURCE_LOCKED", "timeout", "TIMED_OUT" },
    { "IN_TRANSIT", "timeout", "TIMED_OUT" },
    { "DESTINATION_VERIFICATION", "timeout", "TIMED_OUT" },
    { "DESTINATION_UNLOCK", "timeout", "TIMED_OUT" },
    { NULL, NULL, NULL },
};
static const spec_edge_t watcher_spec[] = {
    { "REGISTERED", "bond", "BONDED" },
    { "BONDED", "activate", "ACTIVE" },
    { "ACTIVE", "slash", "SLASHED" },
    { "UNBONDING", "slash", "SLASHED" },
    { "ACTIVE", "ban", "BANNED" },
    { "SLASHED", "ban", "BANNED" },
    { "UNBONDING", "ban", "BANNED" },
    { "SLASHED", "rebond", "BONDED" },
    { "ACTIVE", "unbond", "UNBONDING" },
    { "SLASHED", "unbond", "UNBONDING" },
    { "UNBONDING", "complete_unbond", "DEACTIVATED" },
    { NULL, NULL, NULL },
};

/* corridors.md §2, plus SUSPENDED -> HALTED (a fork found during a suspension); no HALTED -> ACTIVE. */
static const spec_edge_t corridor_spec[] = {
    { "DRAFT", "submit", "PENDING" },
    { "PENDING", "activate", "ACTIVE" },
    { "ACTIVE", "halt", "HALTED" },
    { "SUSPENDED", "halt", "HALTED" },
    { "ACTIVE", "suspend", "SUSPENDED" },
    { "SUSPENDED", "resume", "ACTIVE" },
    { "HALTED", "deprecate", "DEPRECATED" },
    { NULL, NULL, NULL },
};

static const char *const entity_terminal[] = { "DISSOLVED", "STRUCK_OFF", "REJECTED", NULL };
static const char *const licence_terminal[] = { "REVOKED", "EXPIRED", "SURRENDERED", "REJECTED", NULL };
static const char *const migration_terminal[] = { "COMPLETED", "CANCELLED", "COMPENSATED", "TIMED_OUT", NULL };
static const char *const watcher_terminal[] = { "DEACTIVATED", "BANNED", NULL };
static const char *const corridor_terminal[] = { "DEPRECATED", NULL };

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static const spec_edge_t *spec_find(const spec_edge_t *spec, const char *from, const char *event)
{
    for (; spec->from; spec++)
        if (!strcmp(spec->from, from) && !strcmp(spec->event, event))
            return spec;
    return NULL;
}

/* Every legal edge succeeds; every other (state, event) pair of the machine is a 409 that names the machine,
 * the state and, for a live state, each event allowed from it. Returns the number of legal edges checked. */
static int check_machine(mez_lifecycle_machine_t m, const spec_edge_t *spec, const char *const *terminal)
{
    apr_pool_t *p = unit_pool();
    int legal = 0, illegal = 0;
    for (const spec_edge_t *e = spec; e->from; e++) {
        mez_problem_t pb = { 0 };
        const char *to = NULL;
        CU_ASSERT_EQUAL(mez_lifecycle_transition(p, m, e->from, e->event, &to, &pb), MEZ_OK);
        CU_ASSERT_PTR_NOT_NULL_FATAL(to);
        CU_ASSERT_STRING_EQUAL(to, e->to);
        legal++;
    }
    for (int s = 0; s < mez_lifecycle_state_count(m); s++) {
        const char *state = mez_lifecycle_state_name(m, s);
        CU_ASSERT_EQUAL(mez_lifecycle_is_terminal(m, s), in_list(terminal, state));
        for (int ev = 0; ev < mez_lifecycle_event_count(m); ev++) {
            const char *event = mez_lifecycle_event_name(m, ev), *to = NULL;
            mez_problem_t pb = { 0 };
            int rv;
            if (spec_find(spec, state, event))
                continue;
            rv = mez_lifecycle_transition(p, m, state, event, &to, &pb);
            CU_ASSERT_EQUAL(rv, MEZ_EINVAL);
            CU_ASSERT_EQUAL(pb.status, 409);
            CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
            CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, mez_lifecycle_machine_name(m)));
            CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, state));
            CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, event));
            if (in_list(terminal, state))
                CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "terminal"));
            for (const spec_edge_t *e = spec; e->from; e++)
                if (!strcmp(e->from, state))
                    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, apr_pstrcat(p, e->event, " (-> ", e->to, ")",
                                                                         NULL)));
            illegal++;
        }
    }
    /* The table here and the machine agree in size: nothing the specification lacks is allowed. */
    CU_ASSERT_EQUAL(legal + illegal, mez_lifecycle_state_count(m) * mez_lifecycle_event_count(m));
    return legal;
}

static void test_entity_transitions(void)
{
    CU_ASSERT_EQUAL(check_machine(MEZ_LIFECYCLE_ENTITY, entity_spec, entity_terminal), 9);
    CU_ASSERT_EQUAL(mez_lifecycle_initial_state(MEZ_LIFECYCLE_ENTITY), MEZ_ENTITY_DRAFT);
}

static void test_licence_transitions(void)
{
    CU_ASSERT_EQUAL(check_machine(MEZ_LIFECYCLE_LICENCE, licence_spec, licence_terminal), 12);
    CU_ASSERT_EQUAL(mez_lifecycle_initial_state(MEZ_LIFECYCLE_LICENCE), MEZ_LICENCE_APPLIED);
}

static void test_migration_transitions(void)
{
    CU_ASSERT_EQUAL(check_machine(MEZ_LIFECYCLE_MIGRATION, migration_spec, migration_terminal), 21);
    CU_ASSERT_EQUAL(mez_lifecycle_initial_state(MEZ_LIFECYCLE_MIGRATION), MEZ_MIGRATION_INITIATED);
}

static void test_watcher_transitions(void)
{
    CU_ASSERT_EQUAL(check_machine(MEZ_LIFECYCLE_WATCHER, watcher_spec, watcher_terminal), 11);
    CU_ASSERT_EQUAL(mez_lifecycle_initial_state(MEZ_LIFECYCLE_WATCHER), MEZ_WATCHER_REGISTERED);
}

/* The choices the reference got wrong, spelled out one by one. */
static void test_reference_defects_fixed(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *to = NULL;
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_LICENCE, "SUSPENDED", "expire", &to, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(to, "EXPIRED");
    /* An expired licence is not revived by renewal, nor is a suspended one renewed around its suspension. */
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_LICENCE, "EXPIRED", "renew", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_LICENCE, "SUSPENDED", "renew", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "reinstate (-> ACTIVE)"));
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_WATCHER, "SLASHED", "unbond", &to, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(to, "UNBONDING");
    /* Cancelling or timing out a migration that holds the source lock says the lock must go. */
    {
        int s = -1;
        const char *effect = NULL;
        CU_ASSERT_EQUAL(mez_lifecycle_step(p, MEZ_LIFECYCLE_MIGRATION, MEZ_MIGRATION_SOURCE_LOCKED,
                                           MEZ_MIGRATION_EV_CANCEL, &s, &effect, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(s, MEZ_MIGRATION_CANCELLED);
        CU_ASSERT_PTR_NOT_NULL_FATAL(effect);
        CU_ASSERT_STRING_EQUAL(effect, "unlock_source");
        CU_ASSERT_EQUAL(mez_lifecycle_step(p, MEZ_LIFECYCLE_MIGRATION, MEZ_MIGRATION_IN_TRANSIT,
                                           MEZ_MIGRATION_EV_TIMEOUT, &s, &effect, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(effect, "compensate");
        CU_ASSERT_EQUAL(mez_lifecycle_step(p, MEZ_LIFECYCLE_MIGRATION, MEZ_MIGRATION_INITIATED,
                                           MEZ_MIGRATION_EV_CANCEL, &s, &effect, &pb), MEZ_OK);
        CU_ASSERT_PTR_NULL(effect);
    }
}

static void test_unknown_names(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *to = NULL;
    mez_lifecycle_machine_t m;
    int s;
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_ENTITY, "APPLIED", "approve", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "PENDING_APPROVAL"));
    /* Names are exact: the wire spelling, case included. */
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_ENTITY, "active", "suspend", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_ENTITY, "ACTIVE", "dissolve", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_event");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "initiate_dissolution"));
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_ENTITY, NULL, "submit", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
    /* Legacy names the reference's older code used are not states. */
    CU_ASSERT_EQUAL(mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_WATCHER, "OPERATIONAL", &s, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_lifecycle_step(p, MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_STATE_COUNT, 0, &s, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
    CU_ASSERT_EQUAL(mez_lifecycle_step(p, MEZ_LIFECYCLE_ENTITY, 0, -1, &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_event");
    CU_ASSERT_EQUAL(mez_lifecycle_step(p, MEZ_LIFECYCLE_MACHINE_COUNT, 0, 0, &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_machine");
    CU_ASSERT_EQUAL(mez_lifecycle_machine_parse(p, "licence", &m, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(m, MEZ_LIFECYCLE_LICENCE);
    CU_ASSERT_EQUAL(mez_lifecycle_machine_parse(p, "license", &m, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_machine");
    CU_ASSERT_PTR_NULL(mez_lifecycle_state_name(MEZ_LIFECYCLE_ENTITY, 99));
    CU_ASSERT_PTR_NULL(mez_lifecycle_event_name(MEZ_LIFECYCLE_WATCHER, -1));
    CU_ASSERT_EQUAL(mez_lifecycle_is_terminal(MEZ_LIFECYCLE_ENTITY, 99), 0);
    /* Round trip of every name through parse. */
    for (int mi = 0; mi < MEZ_LIFECYCLE_MACHINE_COUNT; mi++) {
        for (int i = 0; i < mez_lifecycle_state_count((mez_lifecycle_machine_t)mi); i++) {
            CU_ASSERT_EQUAL(mez_lifecycle_state_parse(p, (mez_lifecycle_machine_t)mi,
                                                      mez_lifecycle_state_name((mez_lifecycle_machine_t)mi, i), &s,
                                                      &pb), MEZ_OK);
            CU_ASSERT_EQUAL(s, i);
        }
        for (int i = 0; i < mez_lifecycle_event_count((mez_lifecycle_machine_t)mi); i++) {
            CU_ASSERT_EQUAL(mez_lifecycle_event_parse(p, (mez_lifecycle_machine_t)mi,
                                                      mez_lifecycle_event_name((mez_lifecycle_machine_t)mi, i), &s,
                                                      &pb), MEZ_OK);
            CU_ASSERT_EQUAL(s, i);
        }
    }
}

static void test_event_between_and_allowed(void)
{
    apr_pool_t *p = unit_pool();
    CU_ASSERT_EQUAL(mez_lifecycle_event_between(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_PENDING_APPROVAL, MEZ_ENTITY_ACTIVE),
                    MEZ_ENTITY_EV_APPROVE);
    CU_ASSERT_EQUAL(mez_lifecycle_event_between(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_SUSPENDED, MEZ_ENTITY_ACTIVE),
                    MEZ_ENTITY_EV_REINSTATE);
    CU_ASSERT_EQUAL(mez_lifecycle_event_between(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_DISSOLVING, MEZ_ENTITY_DISSOLVED),
                    MEZ_ENTITY_EV_ADVANCE_DISSOLUTION);
    CU_ASSERT_EQUAL(mez_lifecycle_event_between(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_DRAFT, MEZ_ENTITY_ACTIVE), -1);
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_allowed(p, MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_SUSPENDED),
                           "reinstate (-> ACTIVE), strike_off (-> STRUCK_OFF)");
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_allowed(p, MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_DISSOLVED), "");
}

static void test_dissolution_stages(void)
{
    apr_pool_t *p = unit_pool();
    static const char *const ids[] = { "board_resolution", "shareholder_resolution", "appoint_liquidator",
                                       "notify_creditors", "realize_assets", "settle_liabilities",
                                       "final_distribution", "final_meeting", "file_final_documents",
                                       "dissolution" };
    static const int days[] = { 7, 21, 7, 14, 90, 60, 14, 35, 14, 30 };
    mez_problem_t pb = { 0 };
    int state = MEZ_ENTITY_DISSOLVING, stage = 1, to_state, to_stage, steps = 0;
    CU_ASSERT_PTR_NULL(mez_lifecycle_dissolution_stage(0));
    CU_ASSERT_PTR_NULL(mez_lifecycle_dissolution_stage(11));
    for (int i = 1; i <= MEZ_DISSOLUTION_STAGES; i++) {
        const mez_dissolution_stage_t *st = mez_lifecycle_dissolution_stage(i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(st);
        CU_ASSERT_EQUAL(st->sequence, i);
        CU_ASSERT_STRING_EQUAL(st->id, ids[i - 1]);
        CU_ASSERT_EQUAL(st->estimated_days, days[i - 1]);
    }
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_dissolution_stage(4)->periods[0].parameter, "creditor_notice_period_days");
    CU_ASSERT_FALSE(mez_lifecycle_dissolution_stage(4)->periods[0].from_initiation);
    CU_ASSERT_PTR_NULL(mez_lifecycle_dissolution_stage(4)->periods[1].parameter);
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_dissolution_stage(10)->periods[0].parameter,
                           "minimum_liquidation_period_days");
    CU_ASSERT_TRUE(mez_lifecycle_dissolution_stage(10)->periods[0].from_initiation);
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_dissolution_stage(10)->periods[1].parameter,
                           "strike_off_notice_period_days");
    CU_ASSERT_FALSE(mez_lifecycle_dissolution_stage(10)->periods[1].from_initiation);
    CU_ASSERT_PTR_NULL(mez_lifecycle_dissolution_stage(5)->periods[0].parameter);
    /* Ten advances from stage 1: nine move within DISSOLVING, the tenth dissolves. */
    while (state == MEZ_ENTITY_DISSOLVING) {
        CU_ASSERT_EQUAL_FATAL(mez_lifecycle_entity_advance(p, state, stage, &to_state, &to_stage, &pb), MEZ_OK);
        steps++;
        if (steps < 10) {
            CU_ASSERT_EQUAL(to_state, MEZ_ENTITY_DISSOLVING);
            CU_ASSERT_EQUAL(to_stage, stage + 1);
        }
        state = to_state;
        stage = to_stage;
    }
    CU_ASSERT_EQUAL(steps, 10);
    CU_ASSERT_EQUAL(state, MEZ_ENTITY_DISSOLVED);
    CU_ASSERT_EQUAL(stage, 10);
    CU_ASSERT_EQUAL(mez_lifecycle_entity_advance(p, MEZ_ENTITY_DISSOLVED, 10, &to_state, &to_stage, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_lifecycle_entity_advance(p, MEZ_ENTITY_ACTIVE, 1, &to_state, &to_stage, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_EQUAL(mez_lifecycle_entity_advance(p, MEZ_ENTITY_DISSOLVING, 11, &to_state, &to_stage, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.invalid_stage");
}

static void test_migration_deadline(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    apr_time_t deadline = apr_time_from_sec(1767225600);   /* 2026-01-01T00:00:00Z */
    int to = -1;
    const char *effect = NULL;
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_INITIATED, MEZ_MIGRATION_EV_ADVANCE,
                                                 deadline - 1, deadline, &to, &effect, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(to, MEZ_MIGRATION_COMPLIANCE_CHECK);
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_INITIATED, MEZ_MIGRATION_EV_ADVANCE,
                                                 deadline, 0, &to, &effect, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.deadline_required");
    /* Past the deadline, cancel and compensate are held to it as much as advance. */
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_COMPLIANCE_CHECK, MEZ_MIGRATION_EV_CANCEL,
                                                 deadline + 1, deadline, &to, &effect, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.deadline_passed");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "2026-01-01T00:00:00Z"));
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_IN_TRANSIT, MEZ_MIGRATION_EV_COMPENSATE,
                                                 deadline + 1, deadline, &to, &effect, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.deadline_passed");
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_IN_TRANSIT, MEZ_MIGRATION_EV_TIMEOUT,
                                                 deadline + 1, deadline, &to, &effect, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(to, MEZ_MIGRATION_TIMED_OUT);
    CU_ASSERT_STRING_EQUAL(effect, "compensate");
    /* Once the destination may have formed the entity, its formation is gone forward with past the deadline (the
     * saga advances only on the destination's answer); before that, advance is held to the deadline. */
    for (int from = MEZ_MIGRATION_IN_TRANSIT; from <= MEZ_MIGRATION_DESTINATION_UNLOCK; from++) {
        CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, from, MEZ_MIGRATION_EV_ADVANCE, deadline + 1, deadline, &to,
                                                     &effect, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(to, from + 1);
    }
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_SOURCE_LOCKED, MEZ_MIGRATION_EV_ADVANCE,
                                                 deadline + 1, deadline, &to, &effect, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.deadline_passed");
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_DESTINATION_VERIFICATION,
                                                 MEZ_MIGRATION_EV_COMPENSATE, deadline + 1, deadline, &to, &effect,
                                                 &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.deadline_passed");
    /* A finished migration stays finished: the ordinary 409, not the deadline one. */
    CU_ASSERT_EQUAL(mez_lifecycle_migration_step(p, MEZ_MIGRATION_COMPLETED, MEZ_MIGRATION_EV_ADVANCE,
                                                 deadline + 1, deadline, &to, &effect, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
}

static void test_watcher_slash(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    uint64_t slashed = 0;
    int to = -1;
    mez_slash_reason_t r;
    CU_ASSERT_EQUAL(mez_lifecycle_watcher_slash(p, MEZ_WATCHER_ACTIVE, MEZ_SLASH_AVAILABILITY_FAILURE, 123456,
                                                &slashed, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(slashed, 1234);          /* 1% rounded down */
    CU_ASSERT_EQUAL(to, MEZ_WATCHER_SLASHED);
    CU_ASSERT_EQUAL(mez_lifecycle_watcher_slash(p, MEZ_WATCHER_UNBONDING, MEZ_SLASH_FALSE_ATTESTATION, 9999,
                                                &slashed, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(slashed, 4999);
    CU_ASSERT_EQUAL(mez_lifecycle_watcher_slash(p, MEZ_WATCHER_ACTIVE, MEZ_SLASH_COLLUSION, 500, &slashed, &to, &pb),
                    MEZ_OK);
    CU_ASSERT_EQUAL(slashed, 500);
    CU_ASSERT_EQUAL(to, MEZ_WATCHER_BANNED);
    /* No overflow at the top of the range. */
    CU_ASSERT_EQUAL(mez_lifecycle_watcher_slash(p, MEZ_WATCHER_ACTIVE, MEZ_SLASH_FALSE_ATTESTATION, UINT64_MAX,
                                                &slashed, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(slashed, UINT64_MAX / 2);
    CU_ASSERT_EQUAL(mez_lifecycle_watcher_slash(p, MEZ_WATCHER_ACTIVE, MEZ_SLASH_EQUIVOCATION, UINT64_MAX,
                                                &slashed, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(slashed, UINT64_MAX);
    CU_ASSERT_EQUAL(mez_lifecycle_watcher_slash(p, MEZ_WATCHER_REGISTERED, MEZ_SLASH_EQUIVOCATION, 10, &slashed,
                                                &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "bond (-> BONDED)"));
    CU_ASSERT_EQUAL(mez_lifecycle_slash_reason_parse(p, "collusion", &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r, MEZ_SLASH_COLLUSION);
    CU_ASSERT_EQUAL(mez_lifecycle_slash_reason_parse(p, "laziness", &r, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_slash_reason");
}

static void test_corridor_transitions(void)
{
    CU_ASSERT_EQUAL(check_machine(MEZ_LIFECYCLE_CORRIDOR, corridor_spec, corridor_terminal), 7);
    CU_ASSERT_EQUAL(mez_lifecycle_initial_state(MEZ_LIFECYCLE_CORRIDOR), MEZ_CORRIDOR_DRAFT);
    CU_ASSERT_EQUAL(mez_lifecycle_state_count(MEZ_LIFECYCLE_CORRIDOR), 6);
    CU_ASSERT_EQUAL(mez_lifecycle_event_count(MEZ_LIFECYCLE_CORRIDOR), 6);
}

/* The refusals a corridor operator meets most, each spelled out. */
static void test_corridor_refusals(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *to = NULL;
    mez_lifecycle_machine_t m;
    int s;
    /* A fork resolution does not reactivate a halted corridor: only deprecate leaves HALTED. */
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "HALTED", "resume", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_STRING_EQUAL(pb.detail, "corridor lifecycle: 'resume' is not allowed from HALTED; allowed from "
                                      "HALTED: deprecate (-> DEPRECATED)");
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "HALTED", "activate", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_lifecycle_event_between(MEZ_LIFECYCLE_CORRIDOR, MEZ_CORRIDOR_HALTED, MEZ_CORRIDOR_ACTIVE),
                    -1);
    /* No skipping the agreement, no deprecating a live corridor without halting it first. */
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "DRAFT", "activate", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.detail, "corridor lifecycle: 'activate' is not allowed from DRAFT; allowed from "
                                      "DRAFT: submit (-> PENDING)");
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "ACTIVE", "deprecate", &to, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "halt (-> HALTED), suspend (-> SUSPENDED)"));
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "PENDING", "halt", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "SUSPENDED", "suspend", &to, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "halt (-> HALTED), resume (-> ACTIVE)"));
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "DEPRECATED", "submit", &to, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "DEPRECATED, which is terminal"));
    /* The reference's legacy names are refused as unknown states, both as the current state and by parse. */
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "PROPOSED", "submit", &to, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "DRAFT, PENDING, ACTIVE, HALTED, SUSPENDED, DEPRECATED"));
    CU_ASSERT_EQUAL(mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_CORRIDOR, "OPERATIONAL", &s, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
    CU_ASSERT_EQUAL(mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_CORRIDOR, "halted", &s, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_lifecycle_transition(p, MEZ_LIFECYCLE_CORRIDOR, "ACTIVE", "dispute", &to, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_event");
    CU_ASSERT_EQUAL(mez_lifecycle_machine_parse(p, "corridor", &m, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(m, MEZ_LIFECYCLE_CORRIDOR);
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_machine_name(MEZ_LIFECYCLE_CORRIDOR), "corridor");
}

/* "sha256:<hex>" of a short text: evidence digests in these tests are real hashes of named documents. */
static const char *digest_of(apr_pool_t *p, const char *text)
{
    mez_digest_t d;
    mez_digest_sha256(text, strlen(text), &d);
    return mez_digest_format(p, &d);
}

static json_t *evidence(apr_pool_t *p, const char *json)
{
    json_error_t err;
    json_t *v = json_loads(json, JSON_ALLOW_NUL, &err);   /* so a NUL inside a string reaches the check */
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return mez_json_pool_own(p, v);
}

/* Valid evidence for each event, built from digests of named documents. */
static json_t *valid_evidence(apr_pool_t *p, int event)
{
    switch ((mez_corridor_event_t)event) {
    case MEZ_CORRIDOR_EV_SUBMIT:
        return evidence(p, apr_psprintf(p, "{\"bilateral_agreement_digest\":\"%s\",\"pack_trilogy_digest\":\"%s\"}",
                                        digest_of(p, "agreement pk-sifc ae-adgm"), digest_of(p, "packs")));
    case MEZ_CORRIDOR_EV_ACTIVATE:
        return evidence(p, apr_psprintf(p, "{\"regulatory_approval_a\":\"%s\",\"regulatory_approval_b\":\"%s\"}",
                                        digest_of(p, "approval pk-sifc"), digest_of(p, "approval ae-adgm")));
    case MEZ_CORRIDOR_EV_HALT:
        return evidence(p, apr_psprintf(p, "{\"reason\":\"fork at sequence 17\",\"authority\":\"pk-sifc\","
                                           "\"evidence_digest\":\"%s\"}", digest_of(p, "fork evidence")));
    case MEZ_CORRIDOR_EV_SUSPEND:
        return evidence(p, "{\"reason\":\"scheduled maintenance\",\"expected_resume\":\"2026-12-01T00:00:00Z\"}");
    case MEZ_CORRIDOR_EV_RESUME:
        return evidence(p, apr_psprintf(p, "{\"resolution_attestation_digest\":\"%s\"}",
                                        digest_of(p, "maintenance done")));
    case MEZ_CORRIDOR_EV_DEPRECATE:
        return evidence(p, apr_psprintf(p, "{\"deprecation_decision_digest\":\"%s\",\"reason\":\"fork resolved; "
                                           "successor corridor\"}", digest_of(p, "decision")));
    case MEZ_CORRIDOR_EVENT_COUNT:
        break;
    }
    return NULL;
}

/* One refused evidence object: the status, code and pointer, and nothing is answered as the log digest. */
static void refused(apr_pool_t *p, int event, const char *json, const char *code, const char *pointer)
{
    mez_problem_t pb = { 0 };
    const char *log = "untouched";
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, event, evidence(p, json), &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
    CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, event, evidence(p, json), &log, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(log, "untouched");
}

static void test_corridor_evidence(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *good = digest_of(p, "a document"), *log = NULL;
    const int S = MEZ_CORRIDOR_EV_SUBMIT, A = MEZ_CORRIDOR_EV_ACTIVATE, H = MEZ_CORRIDOR_EV_HALT,
              U = MEZ_CORRIDOR_EV_SUSPEND, R = MEZ_CORRIDOR_EV_RESUME, D = MEZ_CORRIDOR_EV_DEPRECATE;
    /* The table: every event lists what corridors.md §2 says it keeps. */
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_corridor_evidence(S)[0].name, "bilateral_agreement_digest");
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_corridor_evidence(S)[1].name, "pack_trilogy_digest");
    CU_ASSERT_PTR_NULL(mez_lifecycle_corridor_evidence(S)[2].name);
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_evidence(U)[1].kind, MEZ_EVIDENCE_TIMESTAMP);
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_evidence(U)[1].required, 0);
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_evidence(H)[1].kind, MEZ_EVIDENCE_AUTHORITY);
    CU_ASSERT_PTR_NULL(mez_lifecycle_corridor_evidence(MEZ_CORRIDOR_EVENT_COUNT));
    CU_ASSERT_PTR_NULL(mez_lifecycle_corridor_evidence(-1));
    for (int ev = 0; ev < MEZ_CORRIDOR_EVENT_COUNT; ev++)
        CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, ev, valid_evidence(p, ev), &pb), MEZ_OK);
    /* The optional member may be left out. */
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, U, evidence(p, "{\"reason\":\"audit\"}"), &pb), MEZ_OK);

    /* Missing: each required member of each event, in turn. */
    for (int ev = 0; ev < MEZ_CORRIDOR_EVENT_COUNT; ev++)
        for (const mez_corridor_evidence_t *e = mez_lifecycle_corridor_evidence(ev); e->name; e++) {
            json_t *v = json_deep_copy(valid_evidence(p, ev));
            mez_json_pool_own(p, v);
            json_object_del(v, e->name);
            CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, ev, v, &pb), e->required ? MEZ_EINVAL : MEZ_OK);
            if (e->required) {
                CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.evidence_missing");
                CU_ASSERT_STRING_EQUAL(pb.pointer, apr_pstrcat(p, "/", e->name, NULL));
                CU_ASSERT_EQUAL(pb.status, 422);
            }
        }
    refused(p, R, "{\"resolution_attestation_digest\":null}", "lifecycle.evidence_missing",
            "/resolution_attestation_digest");
    refused(p, S, "{}", "lifecycle.evidence_missing", "/bilateral_agreement_digest");

    /* Malformed digests. */
    refused(p, R, apr_psprintf(p, "{\"resolution_attestation_digest\":\"%s\"}", good + 7),
            "lifecycle.evidence_invalid", "/resolution_attestation_digest");   /* no sha256: prefix */
    refused(p, R, apr_psprintf(p, "{\"resolution_attestation_digest\":\"%.70s\"}", good),
            "lifecycle.evidence_invalid", "/resolution_attestation_digest");   /* 63 hex digits */
    refused(p, R, apr_psprintf(p, "{\"resolution_attestation_digest\":\"%s0\"}", good),
            "lifecycle.evidence_invalid", "/resolution_attestation_digest");   /* 65 hex digits */
    refused(p, R, "{\"resolution_attestation_digest\":\"sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789"
                  "abcdef0123456789\"}", "lifecycle.evidence_invalid", "/resolution_attestation_digest");
    refused(p, R, "{\"resolution_attestation_digest\":\"sha512:0123456789abcdef0123456789abcdef0123456789abcdef"
                  "0123456789abcdef\"}", "lifecycle.evidence_invalid", "/resolution_attestation_digest");
    refused(p, R, "{\"resolution_attestation_digest\":\"sha256:000000000000000000000000000000000000000000000000000"
                  "0000000000000\"}", "lifecycle.evidence_invalid", "/resolution_attestation_digest");
    refused(p, R, "{\"resolution_attestation_digest\":42}", "lifecycle.evidence_invalid",
            "/resolution_attestation_digest");
    refused(p, S, apr_psprintf(p, "{\"bilateral_agreement_digest\":\"%s\",\"pack_trilogy_digest\":\"sha256:xyz\"}",
                               good), "lifecycle.evidence_invalid", "/pack_trilogy_digest");
    refused(p, D, apr_psprintf(p, "{\"deprecation_decision_digest\":{\"algorithm\":\"Sha256\"},\"reason\":\"x\"}"),
            "lifecycle.evidence_invalid", "/deprecation_decision_digest");
    /* One approval is not two. */
    refused(p, A, apr_psprintf(p, "{\"regulatory_approval_a\":\"%s\",\"regulatory_approval_b\":\"%s\"}", good, good),
            "lifecycle.evidence_invalid", "/regulatory_approval_b");
    /* Texts, authorities, times. */
    refused(p, D, apr_psprintf(p, "{\"deprecation_decision_digest\":\"%s\",\"reason\":\"\"}", good),
            "lifecycle.evidence_invalid", "/reason");
    refused(p, U, "{\"reason\":\"line\\nbreak\"}", "lifecycle.evidence_invalid", "/reason");
    refused(p, U, "{\"reason\":\"a\\u0000b\"}", "lifecycle.evidence_invalid", "/reason");
    refused(p, U, apr_psprintf(p, "{\"reason\":\"%s\"}", apr_pstrcat(p, good, good, good, good, good, good, good, good,
                                                                     good, good, good, good, good, good, good,
                                                                     NULL)),
            "lifecycle.evidence_invalid", "/reason");   /* 15 x 71 = 1065 bytes, over 1024 */
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, U, evidence(p, apr_psprintf(p, "{\"reason\":\"%s\"}",
                        apr_pstrcat(p, good, good, good, good, good, good, good, good, good, good, good, good, good,
                                    good, NULL))), &pb), MEZ_OK);   /* 14 x 71 = 994 bytes is allowed */
    refused(p, H, apr_psprintf(p, "{\"reason\":\"fork\",\"authority\":\"pk sifc\",\"evidence_digest\":\"%s\"}", good),
            "lifecycle.evidence_invalid", "/authority");
    refused(p, H, apr_psprintf(p, "{\"reason\":\"fork\",\"authority\":\"\",\"evidence_digest\":\"%s\"}", good),
            "lifecycle.evidence_invalid", "/authority");
    refused(p, U, "{\"reason\":\"audit\",\"expected_resume\":\"2026-12-01T00:00:00.5Z\"}",
            "lifecycle.evidence_invalid", "/expected_resume");
    refused(p, U, "{\"reason\":\"audit\",\"expected_resume\":\"2026-12-01T05:00:00+05:00\"}",
            "lifecycle.evidence_invalid", "/expected_resume");
    refused(p, U, "{\"reason\":\"audit\",\"expected_resume\":\"next week\"}", "lifecycle.evidence_invalid",
            "/expected_resume");
    refused(p, U, "{\"reason\":\"audit\",\"expected_resume\":null}", "lifecycle.evidence_invalid", "/expected_resume");
    /* A suspension carries no digest; a member an event does not take is refused, not silently kept. */
    refused(p, U, apr_psprintf(p, "{\"reason\":\"audit\",\"evidence_digest\":\"%s\"}", good),
            "lifecycle.evidence_unknown", "/evidence_digest");
    refused(p, H, apr_psprintf(p, "{\"reason\":\"fork\",\"authority\":\"pk-sifc\",\"evidence_digest\":\"%s\","
                                  "\"a/b\":1}", good), "lifecycle.evidence_unknown", "/a~1b");
    /* Not an object at all: the pointer is the evidence itself. */
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, R, evidence(p, "[]"), &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.evidence_invalid");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "");
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, R, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_check_evidence(p, MEZ_CORRIDOR_EVENT_COUNT, evidence(p, "{}"), &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_event");

    /* What the transition record keeps. */
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, S, valid_evidence(p, S), &log, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(log, digest_of(p, "agreement pk-sifc ae-adgm"));
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, H, valid_evidence(p, H), &log, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(log, digest_of(p, "fork evidence"));
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, R, valid_evidence(p, R), &log, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(log, digest_of(p, "maintenance done"));
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, D, valid_evidence(p, D), &log, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(log, digest_of(p, "decision"));
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, U, valid_evidence(p, U), &log, &pb), MEZ_OK);
    CU_ASSERT_PTR_NULL(log);
    /* Activation: SHA-256 over the tag, a NUL, and both approvals' raw bytes; not the reference's bare a || b. */
    {
        static const char tag[] = "mez.corridor.activation.v1";
        unsigned char buf[sizeof tag + 64];
        mez_digest_t a, b, want, bare;
        CU_ASSERT_EQUAL_FATAL(mez_digest_parse(p, digest_of(p, "approval pk-sifc"), &a, NULL), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_digest_parse(p, digest_of(p, "approval ae-adgm"), &b, NULL), MEZ_OK);
        memcpy(buf, tag, sizeof tag);
        memcpy(buf + sizeof tag, a.bytes, 32);
        memcpy(buf + sizeof tag + 32, b.bytes, 32);
        mez_digest_sha256(buf, sizeof buf, &want);
        mez_digest_sha256(buf + sizeof tag, 64, &bare);
        CU_ASSERT_EQUAL(mez_lifecycle_corridor_log_digest(p, A, valid_evidence(p, A), &log, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(log, mez_digest_format(p, &want));
        CU_ASSERT_STRING_NOT_EQUAL(log, mez_digest_format(p, &bare));
    }
}

/* Whole corridors through mez_lifecycle_corridor_step: the 409 comes before the evidence, good evidence does
 * not make an illegal move legal, and bad evidence stops a legal one. */
static void test_corridor_step(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *log = NULL;
    int state = mez_lifecycle_initial_state(MEZ_LIFECYCLE_CORRIDOR), to = -1;
    /* DRAFT -> PENDING -> ACTIVE -> SUSPENDED -> ACTIVE -> SUSPENDED -> HALTED -> DEPRECATED */
    static const int walk[] = { MEZ_CORRIDOR_EV_SUBMIT, MEZ_CORRIDOR_EV_ACTIVATE, MEZ_CORRIDOR_EV_SUSPEND,
                                MEZ_CORRIDOR_EV_RESUME, MEZ_CORRIDOR_EV_SUSPEND, MEZ_CORRIDOR_EV_HALT,
                                MEZ_CORRIDOR_EV_DEPRECATE };
    static const int states[] = { MEZ_CORRIDOR_PENDING, MEZ_CORRIDOR_ACTIVE, MEZ_CORRIDOR_SUSPENDED,
                                  MEZ_CORRIDOR_ACTIVE, MEZ_CORRIDOR_SUSPENDED, MEZ_CORRIDOR_HALTED,
                                  MEZ_CORRIDOR_DEPRECATED };
    for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(mez_lifecycle_corridor_step(p, state, walk[i], valid_evidence(p, walk[i]), &to, &log,
                                                          &pb), MEZ_OK);
        CU_ASSERT_EQUAL(to, states[i]);
        CU_ASSERT_EQUAL(log == NULL, walk[i] == MEZ_CORRIDOR_EV_SUSPEND);
        state = to;
    }
    CU_ASSERT_EQUAL(mez_lifecycle_is_terminal(MEZ_LIFECYCLE_CORRIDOR, state), 1);
    /* Illegal move with perfect evidence: 409, and *to untouched. */
    to = -1;
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_step(p, MEZ_CORRIDOR_HALTED, MEZ_CORRIDOR_EV_RESUME,
                                                valid_evidence(p, MEZ_CORRIDOR_EV_RESUME), &to, &log, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "HALTED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "deprecate (-> DEPRECATED)"));
    CU_ASSERT_EQUAL(to, -1);
    /* Illegal move with bad evidence: still the 409, the state is what is wrong first. */
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_step(p, MEZ_CORRIDOR_DRAFT, MEZ_CORRIDOR_EV_ACTIVATE, evidence(p, "{}"),
                                                &to, &log, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    /* Legal move with bad evidence: the 422 with its pointer, and *to untouched. */
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_step(p, MEZ_CORRIDOR_ACTIVE, MEZ_CORRIDOR_EV_HALT,
                                                evidence(p, "{\"reason\":\"fork\",\"authority\":\"pk-sifc\"}"), &to,
                                                &log, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.evidence_missing");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/evidence_digest");
    CU_ASSERT_EQUAL(to, -1);
    CU_ASSERT_EQUAL(mez_lifecycle_corridor_step(p, MEZ_CORRIDOR_STATE_COUNT, MEZ_CORRIDOR_EV_HALT,
                                                valid_evidence(p, MEZ_CORRIDOR_EV_HALT), &to, &log, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_state");
}

static void test_state_as_a_filter(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    int state = -1;
    CU_ASSERT_EQUAL(mez_lifecycle_state_param(p, MEZ_LIFECYCLE_LICENCE, "SUSPENDED", "/status", &state, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(state, MEZ_LICENCE_SUSPENDED);
    /* A filter's state that is none: the caller's parameter, 400, naming the states it could have been. */
    CU_ASSERT_EQUAL(mez_lifecycle_state_param(p, MEZ_LIFECYCLE_ENTITY, "active", "/status", &state, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 400);
    CU_ASSERT_STRING_EQUAL(pb.code, "request.invalid_parameter");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/status");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "STRUCK_OFF"));
}

void unit_register_lifecycle(void)
{
    CU_pSuite s = unit_suite("lifecycle");
    CU_add_test(s, "entity: every transition", test_entity_transitions);
    CU_add_test(s, "licence: every transition", test_licence_transitions);
    CU_add_test(s, "migration: every transition", test_migration_transitions);
    CU_add_test(s, "watcher: every transition", test_watcher_transitions);
    CU_add_test(s, "reference defects fixed", test_reference_defects_fixed);
    CU_add_test(s, "unknown names", test_unknown_names);
    CU_add_test(s, "a state named by a filter: 400 at its pointer", test_state_as_a_filter);
    CU_add_test(s, "event between, allowed list", test_event_between_and_allowed);
    CU_add_test(s, "dissolution stages", test_dissolution_stages);
    CU_add_test(s, "migration deadline", test_migration_deadline);
    CU_add_test(s, "watcher slashing", test_watcher_slash);
    CU_add_test(s, "corridor: every transition", test_corridor_transitions);
    CU_add_test(s, "corridor: refusals and legacy names", test_corridor_refusals);
    CU_add_test(s, "corridor: evidence", test_corridor_evidence);
    CU_add_test(s, "corridor: steps with evidence", test_corridor_step);
}

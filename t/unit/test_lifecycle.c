/* test_lifecycle.c: CUnit suite for the lifecycle state machines: every legal transition of every machine (by
 * wire name, against a table written here from the specification, not read from the code), every other
 * (state, event) pair refused with a 409 naming the state and what is allowed, unknown names, terminal states,
 * dissolution stages, the migration deadline and watcher slashing arithmetic. */
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
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

static const char *const entity_terminal[] = { "DISSOLVED", "STRUCK_OFF", "REJECTED", NULL };
static const char *const licence_terminal[] = { "REVOKED", "EXPIRED", "SURRENDERED", "REJECTED", NULL };
static const char *const migration_terminal[] = { "COMPLETED", "CANCELLED", "COMPENSATED", "TIMED_OUT", NULL };
static const char *const watcher_terminal[] = { "DEACTIVATED", "BANNED", NULL };

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
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_dissolution_stage(4)->minimum, "creditor_notice_period_days");
    CU_ASSERT_STRING_EQUAL(mez_lifecycle_dissolution_stage(10)->minimum, "minimum_liquidation_period_days");
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

void unit_register_lifecycle(void)
{
    CU_pSuite s = unit_suite("lifecycle");
    CU_add_test(s, "entity: every transition", test_entity_transitions);
    CU_add_test(s, "licence: every transition", test_licence_transitions);
    CU_add_test(s, "migration: every transition", test_migration_transitions);
    CU_add_test(s, "watcher: every transition", test_watcher_transitions);
    CU_add_test(s, "reference defects fixed", test_reference_defects_fixed);
    CU_add_test(s, "unknown names", test_unknown_names);
    CU_add_test(s, "event between, allowed list", test_event_between_and_allowed);
    CU_add_test(s, "dissolution stages", test_dissolution_stages);
    CU_add_test(s, "migration deadline", test_migration_deadline);
    CU_add_test(s, "watcher slashing", test_watcher_slash);
}

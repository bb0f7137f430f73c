/* tensor_eval.c: evaluating an action against a zone's packs through the read-only index: the domains the action
 * is evaluated in, sanctions screening (a hit is a hard block), thresholds, the rule evaluators of tax and
 * licensing (tensor_withholding.c, tensor_income.c, tensor_licence.c), evidence, and the result with its
 * commitment. Every reason names the pack row in force on the action's date, and its legal source. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "tensor_int.h"

static json_t *list_json(const eval_t *ev, const list_t *l)
{
    json_t *o = json_object();
    set_str(ev->ix, o, "id", l->id);
    set_str(ev->ix, o, "title", l->title);
    set_str(ev->ix, o, "list_date", l->list_date);
    return o;
}

/* The clearance (options) of a hit on entry for the normalised name screened in context, or NULL. */
static const mez_tensor_clearance_t *clearance_of(const eval_t *ev, const char *context, const char *norm,
                                                  const entry_t *e)
{
    const mez_tensor_eval_options_t *o = ev->opts;
    for (size_t i = 0; o && context && e->rule && i < o->n_clearances; i++) {
        const mez_tensor_clearance_t *c = &o->clearances[i];
        if (c->context && c->name_normalised && c->entry && !strcmp(c->context, context)
            && !strcmp(c->name_normalised, norm) && !strcmp(c->entry, e->rule))
            return c;
    }
    return NULL;
}

static void screen_party(eval_t *ev, const mez_tensor_party_t *party, const char *role, int *hits_total,
                         int *unscreenable)
{
    mez_tensor_screen_hit_t *hits;
    const char *norm = mez_tensor_name_normalise(ev->p, party->name);
    const char *context = ev->opts && ev->opts->clearance_context ? ev->opts->clearance_context : party->id;
    size_t n, i;
    int first = 1;

    if (!*norm) {
        json_t *r = reason(ev, MEZ_DOMAIN_SANCTIONS, "name_not_screenable");
        set_str(ev->ix, r, "party", role);
        set_str(ev->ix, r, "party_id", party->id);
        set_str(ev->ix, r, "detail", "the name has no letters or digits left to compare");
        (*unscreenable)++;
        return;
    }
    n = mez_tensor_screen_match_normalised(ev->ix->screen, ev->p, norm, &hits);
    for (i = 0; i < n; i++) {
        const entry_t *e = hits[i].entry;
        const list_t *l = e->list;
        const mez_tensor_clearance_t *cleared;
        json_t *r, *entry, *match;
        /* An entry counts only where its pack binds this jurisdiction and it was listed by the screening day (the
         * day the write is made, not the day a backdated action says: mez_tensor_eval_options_t). */
        if (!pack_applies(l->pack, ev->a->jurisdiction) || !in_force(l->from, l->to, ev->screen_day)
            || !in_force(e->from, e->to, ev->screen_day) || (e->listed_day && e->listed_day > ev->screen_day))
            continue;
        cleared = clearance_of(ev, context, norm, e);
        r = reason(ev, MEZ_DOMAIN_SANCTIONS, cleared ? "sanctions_match_cleared" : "sanctions_match");
        json_object_set_new(r, "hard_block", cleared ? json_false() : json_true());
        set_str(ev->ix, r, "party", role);
        set_str(ev->ix, r, "party_id", party->id);
        set_str(ev->ix, r, "clearance_context", context);
        if (cleared && cleared->detail)
            json_object_set_new(r, "clearance", json_deep_copy(cleared->detail));
        /* The name screened, as given and normalised, once per party (on its first hit): the other hits of the
         * same party say only what they matched, so a long name is not copied into every one of them. */
        if (first)
            set_str(ev->ix, r, "screened_name", party->name);
        json_object_set_new(r, "list", list_json(ev, l));
        entry = json_object();
        set_str(ev->ix, entry, "id", e->id);
        set_str(ev->ix, entry, "name", e->name);
        set_str(ev->ix, entry, "listed_on", e->listed_on);
        json_object_set_new(r, "entry", entry);
        match = json_object();
        set_str(ev->ix, match, "on", hits[i].alias ? "alias" : "name");
        set_str(ev->ix, match, "listed_name", hits[i].matched_name);
        set_str(ev->ix, match, "how", hits[i].how == MEZ_SCREEN_EXACT ? "exact" : "all_tokens");
        if (first)
            set_str(ev->ix, match, "normalised", norm);
        first = 0;
        set_str(ev->ix, match, "listed_normalised", mez_tensor_name_normalise(ev->p, hits[i].matched_name));
        json_object_set_new(r, "match", match);
        mez_tensor_cite_rule(ev->ix, r, l->pack, e->rule);
        json_object_set_new(r, "source", mez_tensor_source_json(ev, e->source));
        set_str(ev->ix, r, "source_detail", e->source_detail);
        if (!cleared)
            (*hits_total)++;
    }
}

static void eval_sanctions(eval_t *ev)
{
    const mez_tensor_action_t *a = ev->a;
    apr_array_header_t *in_force_lists = apr_array_make(ev->p, 4, sizeof(const list_t *));
    int hits = 0, unscreenable = 0;

    for (int i = 0; i < ev->ix->lists->nelts; i++) {
        const list_t *l = APR_ARRAY_IDX(ev->ix->lists, i, const list_t *);
        if (pack_applies(l->pack, a->jurisdiction) && in_force(l->from, l->to, ev->screen_day))
            APR_ARRAY_PUSH(in_force_lists, const list_t *) = l;
    }
    if (in_force_lists->nelts == 0) {
        json_t *r = reason(ev, MEZ_DOMAIN_SANCTIONS, "no_sanctions_list");
        set_str(ev->ix, r, "detail",
                "no sanctions or proscription list of this jurisdiction is loaded; nothing was screened");
        return;
    }
    screen_party(ev, &a->subject, "subject", &hits, &unscreenable);
    if (a->has_counterparty)
        screen_party(ev, &a->counterparty, "counterparty", &hits, &unscreenable);
    if (hits) {
        ev->cell[MEZ_DOMAIN_SANCTIONS].hard_block = 1;
        decide(ev, MEZ_DOMAIN_SANCTIONS, MEZ_STATE_NON_COMPLIANT);
        return;
    }
    if (unscreenable) {
        decide(ev, MEZ_DOMAIN_SANCTIONS, MEZ_STATE_PENDING);
        return;
    }
    for (int i = 0; i < in_force_lists->nelts; i++) {
        const list_t *l = APR_ARRAY_IDX(in_force_lists, i, const list_t *);
        json_t *r = reason(ev, MEZ_DOMAIN_SANCTIONS, "sanctions_clear");
        json_t *parties = json_array();
        json_array_append_new(parties, json_string("subject"));
        if (a->has_counterparty)
            json_array_append_new(parties, json_string("counterparty"));
        json_object_set_new(r, "parties", parties);
        json_object_set_new(r, "list", list_json(ev, l));
        mez_tensor_cite_rule(ev->ix, r, l->pack, l->rule);
        json_object_set_new(r, "source", mez_tensor_source_json(ev, l->source));
    }
    decide(ev, MEZ_DOMAIN_SANCTIONS, MEZ_STATE_COMPLIANT);
}

/* Whether an attestation under the evidence of domain d names the obligation and has not expired at as_of. */
int mez_tensor_evidenced(const mez_tensor_action_t *a, mez_domain_t d, const char *obligation, apr_time_t as_of)
{
    const mez_tensor_evidence_t *e = &a->evidence[d];
    for (size_t i = 0; i < e->n_attestations; i++) {
        const mez_tensor_attestation_t *att = &e->attestations[i];
        if (mez_tensor_attestation_expired(att, as_of))
            continue;
        for (size_t j = 0; j < att->n_obligations; j++)
            if (!strcmp(att->obligations[j], obligation))
                return 1;
    }
    return 0;
}

/* applies_to names the classes of person a limit binds (packs/README.md): a financial institution's CDD limit does
 * not bind a traveller. The classes are the subject's declaration (subject.taxpayer_classes), as a tax assessment's
 * are; where the subject declares none the binding is a fact the action does not carry, treated as the row's
 * other conditions are (transaction_type, ...: unchecked_conditions): the obligation is opened as one that may be
 * owed, pending until evidence discharges it, never dropped on a guess. */
int mez_tensor_threshold_binds(const eval_t *ev, const threshold_row_t *r, const char **cls)
{
    const mez_tensor_party_t *s = &ev->a->subject;
    *cls = NULL;
    if (!r->n_applies_to || !s->n_taxpayer_classes)
        return 1;
    for (size_t i = 0; i < r->n_applies_to; i++)
        for (size_t j = 0; j < s->n_taxpayer_classes; j++)
            if (!strcmp(r->applies_to[i], s->taxpayer_classes[j])) {
                *cls = r->applies_to[i];
                return 1;
            }
    return 0;
}

void mez_tensor_threshold_classes(const eval_t *ev, json_t *o, const threshold_row_t *r, int binds, const char *cls)
{
    const mez_tensor_party_t *s = &ev->a->subject;
    json_t *list;
    if (!r->n_applies_to)
        return;
    list = json_array();
    for (size_t i = 0; i < r->n_applies_to; i++)
        append_str(ev->ix, list, r->applies_to[i]);
    json_object_set_new(o, "applies_to", list);
    if (cls) {
        set_str(ev->ix, o, "subject_class", cls);
        return;
    }
    if (binds) {
        set_str(ev->ix, o, "detail", "the limit binds only the classes of person in applies_to, and the subject "
                                     "declares none (subject.taxpayer_classes): its obligation is open, as one that "
                                     "may be owed");
        return;
    }
    list = json_array();
    for (size_t i = 0; i < s->n_taxpayer_classes; i++)
        json_array_append_new(list, json_string(s->taxpayer_classes[i]));
    json_object_set_new(o, "subject_classes", list);
    set_str(ev->ix, o, "detail", "the limit binds other classes of person than the subject declares: its "
                                 "obligation is not the subject's");
}

static void threshold_reasons(eval_t *ev, mez_domain_t d, const apr_array_header_t *rows)
{
    const mez_tensor_action_t *a = ev->a;
    for (int i = 0; rows && i < rows->nelts; i++) {
        const threshold_row_t *r = APR_ARRAY_IDX(rows, i, const threshold_row_t *);
        const char *cls;
        int binds;
        json_t *o;
        if (!limit_met(&a->amount, &r->limit)) {
            /* Sorted so that once one limit is not met, none further along is; equal amounts with a stricter
             * inclusiveness are the only exception, so those are skipped rather than ending the scan. */
            if (mez_tensor_decimal_cmp(&a->amount, &r->limit.amount) != 0)
                break;
            continue;
        }
        if (!pack_applies(r->h.pack, a->jurisdiction) || !in_force(r->h.from, r->h.to, a->day))
            continue;
        binds = mez_tensor_threshold_binds(ev, r, &cls);
        o = reason(ev, d, binds ? "threshold_met" : "threshold_class_not_bound");
        set_str(ev->ix, o, "obligation", r->obligation);
        json_object_set_new(o, "threshold", mez_tensor_limit_json(ev->ix, &r->limit));
        mez_tensor_cite(ev, o, &r->h);
        mez_tensor_threshold_classes(ev, o, r, binds, cls);
        if (r->unchecked)
            json_object_set_new(o, "unchecked_conditions", mez_tensor_copy_value(ev->ix, r->unchecked));
        if (binds) {
            ev->cell[d].obligations++;
            mez_tensor_deadline(ev, o, r->obligation_id, r->h.pack);
        }
    }
}

static void eval_thresholds(eval_t *ev, mez_domain_t d)
{
    /* Limits on the entity's figures (its revenue) first: an action's amount never decides them. */
    mez_tensor_eval_measured_thresholds(ev, d);
    if (!ev->a->has_amount)
        return;
    /* Only limits in the action's own currency: there is no exchange rate in the packs to convert with. */
    threshold_reasons(ev, d, apr_hash_get(ev->ix->thresholds_up[d], ev->a->currency, APR_HASH_KEY_STRING));
    threshold_reasons(ev, d, apr_hash_get(ev->ix->thresholds_down[d], ev->a->currency, APR_HASH_KEY_STRING));
}

/* The rule evaluators a domain has beyond thresholds. The switch lists every domain on purpose: with
 * -Wswitch-enum a new domain does not compile until someone decides here what evaluates it. */
static void eval_domain_rules(eval_t *ev, mez_domain_t d)
{
    switch (d) {
    case MEZ_DOMAIN_SANCTIONS:
        eval_sanctions(ev);
        break;
    case MEZ_DOMAIN_TAX:
        mez_tensor_eval_withholding(ev);
        mez_tensor_eval_income_tax(ev);
        break;
    case MEZ_DOMAIN_LICENSING:
        mez_tensor_eval_licensing(ev);
        break;
    case MEZ_DOMAIN_AML:
    case MEZ_DOMAIN_KYC:
    case MEZ_DOMAIN_SECURITIES:
    case MEZ_DOMAIN_CORPORATE:
    case MEZ_DOMAIN_CUSTODY:
    case MEZ_DOMAIN_DATA_PRIVACY:
    case MEZ_DOMAIN_BANKING:
    case MEZ_DOMAIN_PAYMENTS:
    case MEZ_DOMAIN_CLEARING:
    case MEZ_DOMAIN_SETTLEMENT:
    case MEZ_DOMAIN_DIGITAL_ASSETS:
    case MEZ_DOMAIN_EMPLOYMENT:
    case MEZ_DOMAIN_IMMIGRATION:
    case MEZ_DOMAIN_IP:
    case MEZ_DOMAIN_CONSUMER_PROTECTION:
    case MEZ_DOMAIN_ARBITRATION:
    case MEZ_DOMAIN_TRADE:
        break;          /* thresholds and evidence only, for now */
    }
    eval_thresholds(ev, d);
}

/* Rules and evidence into one state. Rules that decide (a screen, a rate) can only be made worse by
 * evidence; obligations a rule opens (a threshold met) wait for evidence; with neither, the domain is
 * pending. A sanctions hit is final whatever the evidence says. */
static void combine(eval_t *ev, mez_domain_t d, apr_time_t as_of)
{
    cell_t *c = &ev->cell[d];
    const mez_tensor_evidence_t *e = &ev->a->evidence[d];
    mez_state_t es = MEZ_STATE_PENDING;
    const char *ereason = NULL;

    if (e->given) {
        json_t *r, *ids = json_array(), *expired = json_array();
        es = mez_tensor_evidence_state(e, as_of, &ereason);
        r = reason(ev, d, ereason);
        if (e->has_state)
            set_str(ev->ix, r, "state_given", mez_state_name(e->state));
        for (size_t i = 0; i < e->n_attestations; i++) {
            json_array_append_new(ids, json_string(e->attestations[i].id));
            if (mez_tensor_attestation_expired(&e->attestations[i], as_of))
                json_array_append_new(expired, json_string(e->attestations[i].id));
        }
        json_object_set_new(r, "attestations", ids);
        json_object_set_new(r, "expired", expired);
    }
    if (c->hard_block) {
        c->state = MEZ_STATE_NON_COMPLIANT;
        return;
    }
    if (c->obligations || !c->has_rule_state) {
        if (!e->given) {
            json_t *r = reason(ev, d, "no_attestation");
            set_str(ev->ix, r, "detail", c->obligations ? "an obligation above is open until evidence of it is given"
                                                : "no rule decides this domain and no evidence was given");
        }
        c->state = e->given ? es : MEZ_STATE_PENDING;
        if (c->has_rule_state)
            c->state = mez_state_meet(c->state, c->rule_state);
        return;
    }
    c->state = e->given ? mez_state_meet(c->rule_state, es) : c->rule_state;
}

/* The action carries a date, not a time: an attestation must cover the whole day to count (fail closed), the day
 * on the zone's calendar, whose last second is not 23:59:59 UTC (in Tegucigalpa it is 05:59:59 UTC the next day). */
static apr_time_t end_of_day(const mez_tz_t *tz, int32_t yyyymmdd)
{
    return mez_tz_end_of_day(tz, mez_days_from_civil(yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100));
}

mez_status_t mez_tensor_evaluate_action(apr_pool_t *p, const mez_tensor_index_t *ix, const mez_tensor_action_t *a,
                                        const mez_tensor_eval_options_t *opts, json_t **result,
                                        mez_state_t *decision_out, mez_problem_t *pb)
{
    return mez_tensor_evaluate_action_detail(p, ix, a, opts, MEZ_TENSOR_DETAIL_FULL, result, decision_out, pb);
}

mez_status_t mez_tensor_evaluate_action_detail(apr_pool_t *p, const mez_tensor_index_t *ix,
                                               const mez_tensor_action_t *a, const mez_tensor_eval_options_t *opts,
                                               mez_tensor_detail_t detail, json_t **result,
                                               mez_state_t *decision_out, mez_problem_t *pb)
{
    eval_t ev;
    /* The action type says which domains are relevant to it; a zone can only narrow that down to the domains it
     * enforces (evaluating, say, "trade" for every payment would leave every payment pending for no reason). */
    uint32_t mask = mez_action_default_domains(a->type) & (opts && opts->domains ? opts->domains : ~UINT32_C(0));
    apr_time_t as_of;
    const char *screening_date = opts && opts->screening_date ? opts->screening_date : a->date;
    const char *evidence_date = opts && opts->evidence_date ? opts->evidence_date : a->date;
    int32_t screen_day, evidence_day;
    mez_state_t states[MEZ_DOMAIN_COUNT], decision;
    mez_tensor_cells_t cells;
    mez_digest_t commitment;
    json_t *out, *domains, *packs, *not_applicable = NULL;
    apr_array_header_t *licences = NULL;
    size_t n = 0, i;
    int known = 0, blocked = 0;
    mez_status_t rv;

    *result = NULL;
    if (mez_tensor_date_parse(screening_date, &screen_day))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_date", NULL,
                           "the screening date '%s' is not a date YYYY-MM-DD", screening_date);
    if (mez_tensor_date_parse(evidence_date, &evidence_day))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_date", NULL,
                           "the evidence date '%s' is not a date YYYY-MM-DD", evidence_date);
    /* Evidence is relied on when the write is made, which a backdated action's date does not move: an attestation
     * expired since that date covers nothing now. The later of the two days, so that an action dated after the day
     * its evidence is presented still needs evidence covering the action's own day. */
    if (evidence_day < a->day) {
        evidence_date = a->date;
        evidence_day = a->day;
    }
    as_of = end_of_day(opts ? opts->tz : NULL, evidence_day);
    packs = json_array();
    for (i = 0; i < ix->npacks; i++) {
        const pack_t *pk = &ix->packs[i];
        json_t *o;
        if (!pack_applies(pk, a->jurisdiction))
            continue;
        known = 1;
        o = json_object();
        set_str(ix, o, "id", pk->id);
        set_str(ix, o, "jurisdiction_id", pk->jurisdiction_id);
        set_str(ix, o, "domain", pk->domain_name);
        set_str(ix, o, "as_of_date", pk->as_of_date);
        set_str(ix, o, "digest", pk->digest);
        json_array_append_new(packs, o);
    }
    if (!known) {
        json_decref(packs);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_jurisdiction", "/action/jurisdiction",
                           "no loaded pack covers jurisdiction '%s'", a->jurisdiction);
    }
    if (a->type == MEZ_ACTION_LICENCE_APPLICATION && a->licence_type) {
        /* One hash lookup, then only the packs of that id: the cost does not grow with the licensepacks. */
        const apr_array_header_t *all = apr_hash_get(ix->licences, a->licence_type, APR_HASH_KEY_STRING);
        licences = apr_array_make(p, 2, sizeof(const licence_t *));
        for (int k = 0; all && k < all->nelts; k++) {
            const licence_t *l = APR_ARRAY_IDX(all, k, const licence_t *);
            if (pack_applies(l->h.pack, a->jurisdiction))
                APR_ARRAY_PUSH(licences, const licence_t *) = l;
        }
        /* A licence type that cannot be found is a mistake in the request, not a pending licence. */
        if (licences->nelts == 0) {
            json_decref(packs);
            return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_licence_type", "/action/licence_type",
                               "no loaded licensepack binding jurisdiction '%s' has licence type '%s'",
                               a->jurisdiction, a->licence_type);
        }
    }

    memset(&ev, 0, sizeof(ev));
    ev.p = p;
    ev.ix = ix;
    ev.a = a;
    ev.withholding = json_array();
    ev.income_tax = json_array();
    ev.fees = json_array();
    ev.licences = licences;
    ev.as_of = as_of;
    ev.screen_day = screen_day;
    ev.detail = detail;
    ev.opts = opts;
    /* Evidence makes its domain count: it can only lower the meet, never hide a failing domain. */
    mask |= MEZ_DOMAIN_BIT(MEZ_DOMAIN_SANCTIONS);
    for (i = 0; i < MEZ_DOMAIN_COUNT; i++)
        if (a->evidence[i].given)
            mask |= MEZ_DOMAIN_BIT(i);

    for (i = 0; i < MEZ_DOMAIN_COUNT; i++) {
        cell_t *c = &ev.cell[i];
        if (!(mask & MEZ_DOMAIN_BIT(i))) {
            c->state = MEZ_STATE_NOT_APPLICABLE;
            continue;
        }
        c->reasons = json_array();
        c->evaluated = 1;
        eval_domain_rules(&ev, (mez_domain_t)i);
        combine(&ev, (mez_domain_t)i, as_of);
        states[n++] = c->state;
        blocked |= c->hard_block;
    }
    decision = blocked ? MEZ_STATE_NON_COMPLIANT : mez_state_meet_all(states, n);

    out = mez_json_pool_own(p, json_object());
    domains = json_object();
    mez_tensor_cells_clear(&cells);
    for (i = 0; i < MEZ_DOMAIN_COUNT; i++) {
        const char *name = mez_domain_name((mez_domain_t)i);
        json_t *o;
        mez_tensor_cells_set(&cells, (mez_domain_t)i, ev.cell[i].state);
        if (!ev.cell[i].evaluated) {
            /* Most domains are not evaluated for a given action and say the same thing: one value serves them
             * all (the result is only read, never changed, once made): for a payment, some 200 allocations fewer. */
            if (!not_applicable) {
                json_t *r = json_object(), *reasons = json_array();
                set_str(ix, r, "code", "not_applicable_to_action");
                /* The result names the action type once at its top; the full form repeats it in each domain. */
                if (ev.detail == MEZ_TENSOR_DETAIL_FULL)
                    set_str(ix, r, "action_type", mez_action_type_name(a->type));
                json_array_append_new(reasons, r);
                not_applicable = json_object();
                set_str(ix, not_applicable, "state", mez_state_name(MEZ_STATE_NOT_APPLICABLE));
                json_object_set_new_nocheck(not_applicable, "reasons", reasons);
            }
            json_object_set_nocheck(domains, name, not_applicable);
            continue;
        }
        o = json_object();
        set_str(ix, o, "state", mez_state_name(ev.cell[i].state));
        json_object_set_new_nocheck(o, "reasons", ev.cell[i].reasons);
        json_object_set_new_nocheck(domains, name, o);
    }
    json_decref(not_applicable);
    set_str(ix, out, "decision", mez_state_name(decision));
    set_str(ix, out, "action_type", mez_action_type_name(a->type));
    set_str(ix, out, "jurisdiction", a->jurisdiction);
    set_str(ix, out, "date", a->date);
    /* Only when it differs, so that results screened on their own date keep the bytes they always had. */
    if (screen_day != a->day)
        set_str(ix, out, "screening_date", screening_date);
    if (evidence_day != a->day)
        set_str(ix, out, "evidence_date", evidence_date);
    set_str(ix, out, "reference", a->reference);
    json_object_set_new(out, "domains", domains);
    json_object_set_new(out, "withholding", ev.withholding);
    /* Only a tax assessment has income: other results keep the members (and bytes) they always had. */
    if (a->type == MEZ_ACTION_TAX_ASSESSMENT)
        json_object_set_new(out, "income_tax", ev.income_tax);
    else
        json_decref(ev.income_tax);
    /* Likewise fees: only a licence application that names a licence type has them. */
    if (licences)
        json_object_set_new(out, "fees", ev.fees);
    else
        json_decref(ev.fees);
    json_object_set_new(out, "packs", packs);
    set_str(ix, out, "detail", mez_tensor_detail_name(ev.detail));
    if ((rv = mez_tensor_commitment(p, a->jurisdiction, &cells, &commitment, pb)) != MEZ_OK)
        return rv;
    set_str(ix, out, "commitment", mez_digest_format(p, &commitment));
    *result = out;
    if (decision_out)
        *decision_out = decision;
    return MEZ_OK;
}

mez_status_t mez_tensor_evaluate(apr_pool_t *p, const mez_tensor_index_t *ix, const json_t *action_doc,
                                 const mez_tensor_eval_options_t *opts, json_t **result, mez_state_t *decision,
                                 mez_problem_t *pb)
{
    return mez_tensor_evaluate_detail(p, ix, action_doc, opts, MEZ_TENSOR_DETAIL_FULL, result, decision, pb);
}

mez_status_t mez_tensor_evaluate_detail(apr_pool_t *p, const mez_tensor_index_t *ix, const json_t *action_doc,
                                        const mez_tensor_eval_options_t *opts, mez_tensor_detail_t detail,
                                        json_t **result, mez_state_t *decision, mez_problem_t *pb)
{
    mez_tensor_action_t a;
    mez_status_t rv;
    *result = NULL;
    if ((rv = mez_tensor_action_parse(p, action_doc, &a, pb)) != MEZ_OK)
        return rv;
    return mez_tensor_evaluate_action_detail(p, ix, &a, opts, detail, result, decision, pb);
}

/* mass_tax_report.c: POST /v1/fiscal/reporting/generate, the fiscal contract's generateTaxReport: an entity's tax
 * year added up from the tax events this store recorded itself. No law is applied here: what was withheld, at
 * which rate and under which section was the zone's decision when each payment was made (mass_payment.c); the
 * report only adds up those records, so it needs nothing the store does not hold.
 *
 * Request (TaxReportRequest, no other member): entity_id, tax_year (four digits: the year the Pakistani tax year
 * July-June ends in), output_format, include_supporting_evidence?, ntn?.
 *  - 422 fiscal.entity_unknown (/entity_id) for an entity the store does not have. A dissolved or struck-off entity
 *    still gets its report: its last return is still due.
 *  - The entity's NTN is the one its treasury accounts carry (an account needs one; the entity record has none):
 *    422 fiscal.ntn_unknown (/entity_id) when it has no account, 409 fiscal.ntn_conflict (/entity_id) when its
 *    accounts carry more than one NTN number (a return is filed under one). A request's ntn must name it: 422
 *    fiscal.ntn_mismatch at /ntn/ntn_number or /ntn/ntn_type (filer status and the rest may have changed since).
 *  - output_format fbr_iris_xml: 422 fiscal.format_unsupported (/output_format). FBR publishes no XML schema for
 *    IRIS: returns are keyed in on the portal, and withholding statements (s. 165) are keyed in or uploaded in
 *    FBR's own spreadsheet template. A document the store cannot check against a published format would be one it
 *    made up, and an authority would receive it as if it were FBR's.
 *
 * Which events, and the year: an event counts in the year it was recorded with (its tax_year, the figure the zone
 * gave when the tax was withheld, as GET /v1/fiscal/{entity_id}/tax-events?tax_year= filters it), never one
 * derived again from occurred_at, so the report and the listing always agree. The entity's events are:
 *  - its own (the payer's withholding_deduction, recorded under the payer): tax it withheld as withholding agent,
 *    total_withholding_collected;
 *  - the events of payments made to one of its accounts (internal_account destination): tax withheld from what it
 *    received, total_withholding_deducted; the payments' gross amounts are total_income. Income is therefore the
 *    income its tax events evidence: a receipt from which nothing was withheld is no tax event and is not in it.
 *    A payment an entity makes to itself counts on both sides, once in the count and the breakdowns.
 *  - the adjustment that cancels a withholding deduction (a returned payment was never paid, so nothing was
 *    withheld from it: mass_payment_outcome.c) is taken off both sides, the gross off total_income, and off its
 *    section, whose count it lowers by one (a section with nothing left standing is left out);
 *  - capital_gains events (none is recorded by this store today) make total_capital_gains, given only when there
 *    is one; other event types appear in breakdown_by_type only.
 * A caller acting for one zone of a store several zones share (mass_int.h: zones) gets the events of that
 * zone's payments only: the same events GET /v1/fiscal/{entity_id}/tax-events lists for it.
 * breakdown_by_type covers every event of the report, whichever side the entity was on; breakdown_by_section the
 * withholding deductions, by the statute and section of their first legal_basis entry, or with the statute empty
 * and the section of metadata.section when the zone did not name the statute.
 *
 * One currency: the summary has one. Events in more than one currency are refused, 422
 * fiscal.report_currencies_mixed (/tax_year), naming them: the store holds no exchange rates (the law converts at
 * the State Bank's rate of the day), so any single total would be wrong, and a report of one currency only would
 * leave out tax that was withheld. A year without events is reported in the currency of the entity's first
 * account, with zero totals.
 *
 * Money is added in minor units as integers (__int128, so no year's total can overflow) and written as the store
 * writes money, with the currency's minor-unit digits (mez_mass_amount_format's form).
 *
 * Answer (TaxReport): report_id (fresh, "rpt_..."), entity_id, ntn, tax_year, output_format, generated_at (the
 * request's time), summary, line_items (the TaxEvents as recorded, oldest first, each with its own digest) for
 * structured_json or include_supporting_evidence, and report_digest: hex SHA-256 of the RFC 8785 form of the report
 * without report_digest, so anyone holding it can recompute it. The report is computed, not stored: it is a
 * function of records the store keeps and does not change, so it can be generated again; artifact_ref and
 * corridor_anchor_ref are therefore not given. (The zone API records each generation in its audit chain, with
 * the digest.) */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mass_fiscal_int.h"

/* A total held in pool memory (an apr_array_header_t's elements), which APR aligns to 8 bytes, not the 16 an
 * __int128 asks for: the type says 8, so the compiler does not assume more (UBSan: misaligned member access). */
typedef __int128 total_t __attribute__((aligned(8)));

typedef struct {
    const char *a, *b;          /* event_type; or statute, section */
    int count;
    total_t total;
} bucket_t;

typedef struct {
    int exponent;
    const char *currency;
    apr_array_header_t *currencies;   /* const char *: every currency seen */
    __int128 income, deducted, collected, gains;
    int events, has_gains;
    apr_array_header_t *by_type, *by_section;   /* bucket_t */
    json_t *items;
} totals_t;

/* Adds amount to the bucket (a, b) and count (1 for an event, -1 for the adjustment that cancels one) to its
 * count. */
static void add(apr_array_header_t *buckets, const char *a, const char *b, __int128 amount, int count)
{
    bucket_t *x;
    for (int i = 0; i < buckets->nelts; i++) {
        x = &APR_ARRAY_IDX(buckets, i, bucket_t);
        if (!strcmp(x->a, a) && (!b || !strcmp(x->b, b))) {
            x->count += count;
            x->total += amount;
            return;
        }
    }
    x = apr_array_push(buckets);
    x->a = a;
    x->b = b;
    x->count = count;
    x->total = amount;
}

static int bucket_order(const void *l, const void *r)
{
    const bucket_t *x = l, *y = r;
    int c = strcmp(x->a, y->a);
    return c ? c : x->b && y->b ? strcmp(x->b, y->b) : 0;
}

static json_t *buckets_json(mez_mass_call_t *c, apr_array_header_t *buckets, int exponent, int sections)
{
    json_t *out = json_array();
    qsort(buckets->elts, (size_t)buckets->nelts, sizeof(bucket_t), bucket_order);
    for (int i = 0; i < buckets->nelts; i++) {
        const bucket_t *x = &APR_ARRAY_IDX(buckets, i, bucket_t);
        json_t *o;
        if (!x->count && !x->total)         /* a section whose every deduction was cancelled: nothing stands */
            continue;
        o = sections ? json_pack("{s:s,s:s}", "statute", x->a, "section", x->b)
                             : json_pack("{s:s}", "event_type", x->a);
        json_object_set_new(o, "count", json_integer(x->count));
        json_object_set_new(o, "total_amount", json_string(mez_mass_amount_format(c->p, x->total, exponent)));
        json_array_append_new(out, o);
    }
    return out;
}

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}

/* The entity's NTN (its first account's) and that account's currency; 0 after refusing. */
static int entity_ntn(mez_mass_call_t *c, const char *entity_id, json_t **ntn, const char **currency,
                      mez_status_t *rv)
{
    apr_array_header_t *rows;
    const char *first = NULL, *other = NULL;
    *rv = mez_db_query_rows(c->p, c->db, 2, &rows,
                            "SELECT doc, currency FROM mez_mass_account WHERE entity_id = %s AND kind = 'entity' "
                            "ORDER BY created_at, account_id",
                            c->pb, entity_id, NULL);
    if (*rv != MEZ_OK)
        return 0;
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        json_t *doc = mez_mass_doc_parse(c, r[0]), *n = json_object_get(doc, "ntn");
        const char *number = json_string_value(json_object_get(n, "ntn_number"));
        if (number && !first) {
            first = apr_pstrdup(c->p, number);
            *ntn = json_incref(n);
            *currency = r[1];
        }
        else if (number && strcmp(number, first) && !other)
            other = apr_pstrdup(c->p, number);
        json_decref(doc);
    }
    if (!first) {
        mez_mass_refuse(c, 422, "fiscal.ntn_unknown", "/entity_id",
                        "entity %s has no treasury account, so this store holds no NTN for it to report under",
                        entity_id);
        return 0;
    }
    if (other) {
        json_decref(*ntn);
        *ntn = NULL;
        mez_mass_refuse(c, 409, "fiscal.ntn_conflict", "/entity_id",
                        "the treasury accounts of entity %s carry more than one NTN (%s, %s); a return is filed "
                        "under one", entity_id, first, other);
        return 0;
    }
    return 1;
}

/* One event of the report: counted, added up, kept as a line item. 0 after answering 500 for a record the store
 * could not have written. */
static int take(mez_mass_call_t *c, totals_t *t, const char *text, const char *received_gross, int own)
{
    json_t *e = mez_mass_doc_parse(c, text);
    const char *type = str(e, "event_type"), *currency = str(e, "currency"), *amount = str(e, "amount");
    int exponent = mez_mass_currency_exponent(currency), known = 0;
    int64_t v = 0;

    if (!e || exponent < 0
        || mez_mass_decimal_parse(amount, exponent, exponent, MEZ_MASS_AMOUNT_MAX, &v) != MEZ_DECIMAL_OK) {
        json_decref(e);
        mez_mass_refuse(c, 500, "fiscal.invariant_violated", NULL,
                        "a recorded tax event has no amount in a currency the store keeps");
        return 0;
    }
    for (int i = 0; i < t->currencies->nelts; i++)
        known |= !strcmp(APR_ARRAY_IDX(t->currencies, i, const char *), currency);
    if (!known)
        APR_ARRAY_PUSH(t->currencies, const char *) = apr_pstrdup(c->p, currency);
    t->exponent = exponent;
    t->currency = APR_ARRAY_IDX(t->currencies, 0, const char *);
    t->events++;
    add(t->by_type, apr_pstrdup(c->p, type), NULL, v, 1);
    /* A withholding deduction counts; the adjustment that cancels one (a returned payment, never paid:
     * mass_payment_outcome.c) counts against it, in the same tax year, section and statute, so the totals and
     * the sections are what was really withheld. breakdown_by_type lists each type's own total (the contract's
     * amounts are never negative), the adjustments' included. */
    if (!strcmp(type, "withholding_deduction")
        || (!strcmp(type, "adjustment")
            && !strcmp(str(json_object_get(e, "metadata"), "adjusts_event_type"), "withholding_deduction"))) {
        const json_t *basis = json_array_get(json_object_get(e, "legal_basis"), 0);
        const char *section = basis ? str(basis, "section") : str(json_object_get(e, "metadata"), "section");
        int sign = !strcmp(type, "withholding_deduction") ? 1 : -1;
        add(t->by_section, apr_pstrdup(c->p, basis ? str(basis, "statute") : ""), apr_pstrdup(c->p, section),
            sign * (__int128)v, sign);
        if (own)
            t->collected += sign * (__int128)v;
        if (received_gross) {
            t->deducted += sign * (__int128)v;
            t->income += sign * (__int128)apr_atoi64(received_gross);
        }
    }
    else if (!strcmp(type, "capital_gains") && own) {
        t->gains += v;
        t->has_gains = 1;
    }
    json_array_append_new(t->items, e);
    return 1;
}

static mez_status_t events(mez_mass_call_t *c, const char *entity_id, const char *year, totals_t *t)
{
    apr_array_header_t *rows;
    const char *zone = mez_mass_zone_scope(c);
    /* Two parts, each an index walk bounded by the entity (migration 0023), never by the store:
     *  - its own events of the year, by (entity_id, tax_year, occurred_at, tax_event_id), each with its payment by
     *    key: the gross when the payment went to one of its own accounts (a payment to itself: one row, counted on
     *    both sides);
     *  - the events of payments it received: its accounts (entity_id), the payments to them
     *    (destination_account_id), their events (payment_id), the year and "not its own" checked on each.
     * One condition over both ("its own, or a payment to it", as this was written before) leaves the planner
     * nothing to walk but every event of the year in the store (EXPLAIN on PostgreSQL: a sequential scan).
     * A caller acting for one zone counts the events of that zone's payments only (mass_int.h: zones). */
    mez_status_t rv = mez_db_query_rows(
        c->p, c->db, 5, &rows,
        "SELECT t.doc, CASE WHEN a.entity_id = %s THEN p.gross_amount END, 1, t.occurred_at, t.tax_event_id "
        "FROM mez_mass_tax_event t LEFT JOIN mez_mass_payment p ON p.payment_id = t.payment_id "
        "LEFT JOIN mez_mass_account a ON a.account_id = p.destination_account_id "
        "WHERE t.entity_id = %s AND t.tax_year = %s AND (%s = '' OR p.zone_id = %s) "
        "UNION ALL "
        "SELECT t.doc, p.gross_amount, 0, t.occurred_at, t.tax_event_id FROM mez_mass_account a "
        "JOIN mez_mass_payment p ON p.destination_account_id = a.account_id "
        "JOIN mez_mass_tax_event t ON t.payment_id = p.payment_id "
        "WHERE a.entity_id = %s AND t.tax_year = %s AND t.entity_id <> %s AND (%s = '' OR p.zone_id = %s) "
        "ORDER BY 4, 5",
        c->pb, entity_id, entity_id, year, zone, zone, entity_id, year, entity_id, zone, zone, NULL);
    if (rv != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        if (!take(c, t, r[0], mez_mass_nullable(r[1]), !strcmp(r[2], "1")))
            return MEZ_OK;
    }
    return MEZ_OK;
}

/* The request's ntn against the entity's: 0 after refusing. */
static int ntn_matches(mez_mass_call_t *c, const json_t *asked, const json_t *entity_ntn)
{
    static const char *const members[] = { "ntn_number", "ntn_type" };
    for (int i = 0; i < 2; i++)
        if (strcmp(str(asked, members[i]), str(entity_ntn, members[i]))) {
            mez_mass_refuse(c, 422, "fiscal.ntn_mismatch", apr_pstrcat(c->p, "/ntn/", members[i], NULL),
                            "the entity's %s is %s, not %s", members[i], str(entity_ntn, members[i]),
                            str(asked, members[i]));
            return 0;
        }
    return 1;
}

mez_status_t mez_fiscal_tax_report(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "entity_id", "tax_year", "output_format", "include_supporting_evidence",
                                           "ntn", NULL };
    static const char *const formats[] = { "fbr_iris_xml", "structured_json", "summary", NULL };
    const json_t *b = c->req->body;
    const char *entity_id = NULL, *year = NULL, *format = NULL, *exists = NULL, *first_currency = NULL;
    json_t *ntn = NULL, *summary, *report;
    int evidence = 0;
    totals_t t;
    mez_digest_t d;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_string(c, b, "", "entity_id", MEZ_MASS_REQUIRED, 255, &entity_id)
        || !mez_mass_get_string(c, b, "", "tax_year", MEZ_MASS_REQUIRED, 0, &year)
        || !mez_mass_get_enum(c, b, "", "output_format", MEZ_MASS_REQUIRED, formats, &format)
        || !mez_mass_get_bool(c, b, "", "include_supporting_evidence", MEZ_MASS_OPTIONAL, &evidence)
        || (json_object_get(b, "ntn") && !mez_fiscal_check_ntn(c, b, "", "ntn")))
        return MEZ_OK;
    if (!mez_mass_digits(year, 4))
        return mez_mass_refuse(c, 422, "fiscal.invalid_tax_year", "/tax_year",
                               "tax_year is the four-digit year the tax year ends in (\"2026\": July 2025 to June "
                               "2026), not '%.16s'", year);
    if (!strcmp(format, "fbr_iris_xml"))
        return mez_mass_refuse(c, 422, "fiscal.format_unsupported", "/output_format",
                               "FBR publishes no XML schema for IRIS filings (returns are entered on the portal, "
                               "withholding statements entered or uploaded in FBR's own spreadsheet template), so "
                               "there is no format to produce this in; ask for structured_json or summary");
    if ((rv = mez_db_query_value(c->p, c->db, &exists, "SELECT entity_id FROM mez_mass_entity WHERE entity_id = %s "
                                 "AND " MEZ_MASS_IN_ZONE("zone_id"), c->pb, entity_id, mez_mass_zone_scope(c),
                                 mez_mass_zone_scope(c), NULL)) != MEZ_OK)
        return rv;
    if (!exists)   /* none, or another zone's (mass_int.h: zones) */
        return mez_mass_refuse(c, 422, "fiscal.entity_unknown", "/entity_id", "there is no entity '%s' in this zone",
                               entity_id);
    if (!entity_ntn(c, entity_id, &ntn, &first_currency, &rv))
        return rv;
    mez_json_pool_own(c->p, ntn);
    if (json_object_get(b, "ntn") && !ntn_matches(c, json_object_get(b, "ntn"), ntn))
        return MEZ_OK;

    memset(&t, 0, sizeof(t));
    t.currencies = apr_array_make(c->p, 2, sizeof(const char *));
    t.by_type = apr_array_make(c->p, 4, sizeof(bucket_t));
    t.by_section = apr_array_make(c->p, 4, sizeof(bucket_t));
    t.items = mez_json_pool_own(c->p, json_array());
    if ((rv = events(c, entity_id, year, &t)) != MEZ_OK || c->resp->status)
        return rv;
    if (t.currencies->nelts > 1)
        return mez_mass_refuse(c, 422, "fiscal.report_currencies_mixed", "/tax_year",
                               "the tax events of %s's tax year %s are in %s: a report has one currency and this "
                               "store holds no exchange rates to convert at; list the events "
                               "(GET /v1/fiscal/%s/tax-events?tax_year=%s) instead",
                               entity_id, year, apr_array_pstrcat(c->p, t.currencies, ','), entity_id, year);
    if (!t.currency) {
        t.currency = first_currency;
        t.exponent = mez_mass_currency_exponent(first_currency);
    }

    summary = json_pack("{s:s,s:s,s:s,s:I,s:s}",
                        "total_income", mez_mass_amount_format(c->p, t.income, t.exponent),
                        "total_withholding_deducted", mez_mass_amount_format(c->p, t.deducted, t.exponent),
                        "total_withholding_collected", mez_mass_amount_format(c->p, t.collected, t.exponent),
                        "total_tax_events", (json_int_t)t.events, "currency", t.currency);
    if (t.has_gains)
        json_object_set_new(summary, "total_capital_gains",
                            json_string(mez_mass_amount_format(c->p, t.gains, t.exponent)));
    json_object_set_new(summary, "breakdown_by_type", buckets_json(c, t.by_type, t.exponent, 0));
    json_object_set_new(summary, "breakdown_by_section", buckets_json(c, t.by_section, t.exponent, 1));
    report = mez_json_pool_own(c->p, json_pack("{s:s,s:s,s:O,s:s,s:s,s:s,s:o}", "report_id",
                                               mez_mass_new_id(c->p, "rpt_"), "entity_id", entity_id, "ntn", ntn,
                                               "tax_year", year, "output_format", format, "generated_at",
                                               mez_time_stamp(c->p, c->ctx->now), "summary", summary));
    if (evidence || !strcmp(format, "structured_json"))
        json_object_set(report, "line_items", t.items);
    /* The digest covers everything else the report says, so it is computed last, over the report as answered. */
    if ((rv = mez_digest_json(c->p, report, &d, c->pb)) != MEZ_OK)
        return rv;
    json_object_set_new(report, "report_digest", json_string(mez_digest_hex(c->p, &d)));
    return mez_mass_answer(c, 200, json_incref(report));
}

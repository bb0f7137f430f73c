# test_tax_report.py: POST /v1/fiscal/reporting/generate, the fiscal contract's generateTaxReport: an entity's tax
# year added up from the tax events the treasury recorded. In the sovereign store (/mass/v1/..., payments with the
# withholding the zone decided written straight into metadata.withholding, so every figure is known), and through
# the zone API on the shipped pk-sifc zone (its payments withheld by the packs), with the sovereign store and with
# the fiscal primitive in another zone reached over HTTP. Both drivers. Totals are checked to the paisa, the digest
# is recomputed from the canonical form, and every refusal has its code and pointer and changes nothing.
import hashlib
import uuid

import pytest

import mass_contract
from mass_fixtures import counts, entity, mass, sql_exec
from mez_harness import assert_problem, jcs
from test_mass_fiscal import MONEY_TABLES, NTN, deposit, new_account, pay, payment
from test_orchestrate import EVIDENCE, formation, pk_zone, zone_post  # noqa: F401 (pk_zone is a fixture)
from test_withholding import TY2026, treasury
from test_withholding import pay as zone_pay

GENERATE = "/v1/fiscal/reporting/generate"
ITO = "Income Tax Ordinance 2001"


def check(zone, schema, doc):
    mass_contract.check(zone.env.shared_dir, "fiscal", schema, doc)


def withholding(account, amount, rate, section, year="2026", statute=ITO):
    w = {"amount": amount, "rate": rate, "section": section, "account_id": account["account_id"], "tax_year": year}
    if statute:
        w["statute"] = statute
    return {"withholding": w}


def paid(zone, body):
    r = pay(zone, body)
    assert r.status_code == 201, r.text
    return r.json()


def report(zone, eid, year="2026", output_format="structured_json", **extra):
    body = dict({"entity_id": eid, "tax_year": year, "output_format": output_format}, **extra)
    check(zone, "TaxReportRequest", body)
    r = mass(zone, "POST", GENERATE, body)
    assert r.status_code == 200, r.text
    doc = r.json()
    check(zone, "TaxReport", doc)
    assert doc["report_digest"] == digest(doc)
    return doc


def digest(doc):
    """Anyone can recompute it: SHA-256 of the RFC 8785 form of the report without its digest."""
    return hashlib.sha256(jcs({k: v for k, v in doc.items() if k != "report_digest"})).hexdigest()


@pytest.fixture(scope="module")
def books(zone):
    """Entity E's year: paid by P twice with tax withheld (s. 153(1)(a) under the named statute; s. 153(1)(b) with
    the section only) and once without; E pays Q twice with tax withheld, in tax years 2026 and 2025; P pays Q with
    tax withheld, which is none of E's business."""
    e, p, q = entity(zone), entity(zone), entity(zone)
    e_op, e_wht = new_account(zone, e), new_account(zone, e, account_type="withholding")
    p_op, p_wht = new_account(zone, p), new_account(zone, p, account_type="withholding")
    q_op = new_account(zone, q)
    deposit(zone, e_op, "10000.00")
    deposit(zone, p_op, "10000.00")
    received = [paid(zone, payment(p_op, e_op, "1000.00", metadata=withholding(p_wht, "45.00", "0.045", "153(1)(a)"))),
                paid(zone, payment(p_op, e_op, "200.00", payment_type="service_fee",
                                   metadata=withholding(p_wht, "20.00", "0.10", "153(1)(b)", statute=None)))]
    paid(zone, payment(p_op, e_op, "100.00"))                                      # nothing withheld: no event
    made = [paid(zone, payment(e_op, q_op, "500.00", payment_type="service_fee",
                               metadata=withholding(e_wht, "40.00", "0.08", "153(1)(b)")))]
    earlier = paid(zone, payment(e_op, q_op, "300.00", metadata=withholding(e_wht, "30.00", "0.10", "153(1)(a)",
                                                                            year="2025")))
    paid(zone, payment(p_op, q_op, "700.00", metadata=withholding(p_wht, "70.00", "0.10", "153(1)(a)")))
    return {"e": e, "p": p, "received": received, "made": made, "earlier": earlier}


def test_a_year_of_payments_made_and_received(zone, books):
    e = books["e"]
    doc = report(zone, e)
    assert doc["entity_id"] == e and doc["tax_year"] == "2026" and doc["output_format"] == "structured_json"
    assert doc["ntn"] == NTN and doc["report_id"].startswith("rpt_")
    assert "artifact_ref" not in doc and "corridor_anchor_ref" not in doc and "fbr_iris_payload" not in doc
    s = doc["summary"]
    # Received Rs 1,000 + Rs 200 with Rs 45 + Rs 20 withheld (the Rs 100 without tax is no tax event); withheld
    # Rs 40 of its own payment in 2026 (its 2025 payment and P's payment to Q are not in it).
    assert (s["total_income"], s["total_withholding_deducted"], s["total_withholding_collected"]) == \
        ("1200.00", "65.00", "40.00")
    assert s["total_tax_events"] == 3 and s["currency"] == "PKR" and "total_capital_gains" not in s
    assert s["breakdown_by_type"] == [{"event_type": "withholding_deduction", "count": 3, "total_amount": "105.00"}]
    assert s["breakdown_by_section"] == [
        {"statute": "", "section": "153(1)(b)", "count": 1, "total_amount": "20.00"},
        {"statute": ITO, "section": "153(1)(a)", "count": 1, "total_amount": "45.00"},
        {"statute": ITO, "section": "153(1)(b)", "count": 1, "total_amount": "40.00"}]
    # The line items are the events as recorded (each with its own digest): the payer's own, as its listing gives
    # them, and those of the payments it received.
    ids = {x["tax_event_id"] for x in doc["line_items"]}
    assert ids == {x["tax_event_id"] for x in books["received"] + books["made"]}
    own = mass(zone, "GET", "/v1/fiscal/%s/tax-events?tax_year=2026" % e).json()["events"]
    assert [x for x in doc["line_items"] if x["entity_id"] == e] == own
    assert [x["occurred_at"] for x in doc["line_items"]] == sorted(x["occurred_at"] for x in doc["line_items"])


def test_a_returned_payments_tax_is_no_longer_reported(zone):
    """A payment the bank returned was never paid, so nothing was withheld from it: the adjustment that cancels
    its deduction comes off the totals and its section (the section left out when nothing stands in it), while
    breakdown_by_type still shows both events with their own totals. Before, the report counted the cancelled
    deduction as tax withheld."""
    from test_mass_payment_outcome import BANK, outbound, ret
    eid, a, w, returned = outbound(zone, amount="40.00", withholding="4.00")
    body = {"source_account_id": a["account_id"], "destination": BANK, "amount": "20.00", "currency": "PKR",
            "payment_type": "goods_payment",
            "metadata": withholding(w, "1.00", "0.05", "153(1)(a)", statute="Income Tax Ordinance 2001")}
    paid(zone, body)
    r = ret(zone, returned["payment_id"])
    assert r.status_code == 200, r.text
    s = report(zone, eid, "2026", "summary")["summary"]
    assert (s["total_income"], s["total_withholding_deducted"], s["total_withholding_collected"],
            s["total_tax_events"]) == ("0.00", "0.00", "1.00", 3), s
    assert s["breakdown_by_type"] == [{"event_type": "adjustment", "count": 1, "total_amount": "4.00"},
                                      {"event_type": "withholding_deduction", "count": 2, "total_amount": "5.00"}]
    assert s["breakdown_by_section"] == [
        {"statute": "Income Tax Ordinance 2001", "section": "153(1)(a)", "count": 1, "total_amount": "1.00"}]


def test_the_year_is_the_events_own(zone, books):
    """An event counts in the tax year it was recorded with, as the listing filters it: the 2025 payment alone in
    2025, nothing in 2027 (zero totals, in the currency of the entity's account)."""
    e = books["e"]
    s = report(zone, e, "2025", "summary")["summary"]
    assert (s["total_income"], s["total_withholding_deducted"], s["total_withholding_collected"],
            s["total_tax_events"]) == ("0.00", "0.00", "30.00", 1)
    empty = report(zone, e, "2027", "summary")
    assert empty["summary"] == {"total_income": "0.00", "total_withholding_deducted": "0.00",
                                "total_withholding_collected": "0.00", "total_tax_events": 0, "currency": "PKR",
                                "breakdown_by_type": [], "breakdown_by_section": []}
    assert "line_items" not in empty


def test_summary_and_evidence(zone, books):
    """summary gives the totals; line items come with structured_json or when evidence is asked for. Each report
    is new (its own id and time), over the same figures."""
    e = books["e"]
    plain = report(zone, e, output_format="summary")
    assert "line_items" not in plain
    evidence = report(zone, e, output_format="summary", include_supporting_evidence=True)
    assert len(evidence["line_items"]) == 3 and all(len(x["digest"]) == 64 for x in evidence["line_items"])
    assert evidence["summary"] == plain["summary"] and evidence["report_id"] != plain["report_id"]
    again = report(zone, e, output_format="summary", include_supporting_evidence=False, ntn=NTN)
    assert again["summary"] == plain["summary"]


def test_a_repeat_with_the_same_key_is_the_same_report(zone, books):
    body = {"entity_id": books["e"], "tax_year": "2026", "output_format": "summary"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = mass(zone, "POST", GENERATE, body, headers=key)
    second = mass(zone, "POST", GENERATE, body, headers=key)
    assert first.status_code == second.status_code == 200 and first.json() == second.json()


def test_a_payment_to_itself_counts_on_both_sides_once(zone):
    e = entity(zone)
    a, b, w = new_account(zone, e), new_account(zone, e, account_type="reserve"), \
        new_account(zone, e, account_type="withholding")
    deposit(zone, a, "100.00")
    paid(zone, payment(a, b, "100.00", metadata=withholding(w, "4.50", "0.045", "153(1)(a)")))
    s = report(zone, e)["summary"]
    assert (s["total_income"], s["total_withholding_deducted"], s["total_withholding_collected"],
            s["total_tax_events"]) == ("100.00", "4.50", "4.50", 1)


def test_a_year_in_two_currencies_is_refused(zone):
    """The summary has one currency and the store has no exchange rates: such a year is refused, naming both."""
    e, p = entity(zone), entity(zone)
    e_pkr, e_usd, e_wht = new_account(zone, e), new_account(zone, e, "USD"), new_account(zone, e, "USD",
                                                                                           "withholding")
    p_pkr = new_account(zone, p)
    deposit(zone, e_usd, "100.00", "USD")
    deposit(zone, p_pkr, "100.00")
    p_wht = new_account(zone, p, account_type="withholding")
    paid(zone, payment(e_usd, new_account(zone, p, "USD"), "100.00", metadata=withholding(e_wht, "10.00", "0.10",
                                                                                          "153(1)(a)")))
    paid(zone, payment(p_pkr, e_pkr, "100.00", metadata=withholding(p_wht, "10.00", "0.10", "153(1)(a)")))
    before = counts(zone, MONEY_TABLES)
    body = {"entity_id": e, "tax_year": "2026", "output_format": "summary"}
    problem = assert_problem(mass(zone, "POST", GENERATE, body), 422, "fiscal.report_currencies_mixed",
                             pointer="/tax_year")
    assert "PKR" in problem["detail"] and "USD" in problem["detail"]
    assert counts(zone, MONEY_TABLES) == before
    # Another year of the same entity, in one currency or none, is reported.
    assert report(zone, e, "2025")["summary"]["total_tax_events"] == 0


def test_the_entity_needs_one_ntn(zone):
    """The NTN is its treasury accounts': without an account there is none, and two are one too many."""
    bare = entity(zone)
    body = {"entity_id": bare, "tax_year": "2026", "output_format": "summary"}
    assert_problem(mass(zone, "POST", GENERATE, body), 422, "fiscal.ntn_unknown", pointer="/entity_id")
    new_account(zone, bare)
    r = mass(zone, "POST", "/v1/fiscal/accounts", {"entity_id": bare, "account_type": "reserve", "currency": "PKR",
                                                   "ntn": {"ntn_number": "7654321", "ntn_type": "company"}})
    assert r.status_code == 201, r.text
    problem = assert_problem(mass(zone, "POST", GENERATE, body), 409, "fiscal.ntn_conflict", pointer="/entity_id")
    assert "1234567" in problem["detail"] and "7654321" in problem["detail"]


def test_a_dissolved_entity_still_gets_its_report(zone, books):
    e = entity(zone)
    new_account(zone, e)
    sql_exec(zone, "UPDATE mez_mass_entity SET status = 'DISSOLVED' WHERE entity_id = '%s'" % e)
    assert report(zone, e, output_format="summary")["summary"]["total_tax_events"] == 0


@pytest.mark.parametrize("patch,status,code,pointer", [
    ({"tax_year": "26"}, 422, "fiscal.invalid_tax_year", "/tax_year"),
    ({"tax_year": "2026-27"}, 422, "fiscal.invalid_tax_year", "/tax_year"),
    ({"tax_year": 2026}, 422, "request.invalid_type", "/tax_year"),
    ({"tax_year": None}, 422, "request.missing_field", "/tax_year"),
    ({"output_format": "pdf"}, 422, "request.invalid_value", "/output_format"),
    ({"output_format": None}, 422, "request.missing_field", "/output_format"),
    ({"output_format": "fbr_iris_xml"}, 422, "fiscal.format_unsupported", "/output_format"),
    ({"include_supporting_evidence": "yes"}, 422, "request.invalid_type", "/include_supporting_evidence"),
    ({"year": "2026"}, 422, "request.unknown_field", "/year"),
    ({"entity_id": None}, 422, "request.missing_field", "/entity_id"),
    ({"entity_id": "ent_nobody"}, 422, "fiscal.entity_unknown", "/entity_id"),
    ({"ntn": {"ntn_number": "7654321", "ntn_type": "company"}}, 422, "fiscal.ntn_mismatch", "/ntn/ntn_number"),
    ({"ntn": {"ntn_number": "1234567", "ntn_type": "aop"}}, 422, "fiscal.ntn_mismatch", "/ntn/ntn_type"),
    ({"ntn": {"ntn_number": "12345", "ntn_type": "company"}}, 422, "fiscal.invalid_ntn", "/ntn/ntn_number"),
    ({"ntn": {"ntn_number": "1234567"}}, 422, "request.missing_field", "/ntn/ntn_type"),
    ({"ntn": "1234567"}, 422, "request.invalid_type", "/ntn"),
])
def test_bad_requests_are_refused_and_change_nothing(zone, books, patch, status, code, pointer):
    body = {"entity_id": books["e"], "tax_year": "2026", "output_format": "structured_json"}
    body.update(patch)
    body = {k: v for k, v in body.items() if v is not None}
    before = counts(zone, MONEY_TABLES + ["mez_audit"])
    problem = assert_problem(mass(zone, "POST", GENERATE, body), status, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES + ["mez_audit"]) == before
    if code == "fiscal.format_unsupported":
        assert "FBR publishes no XML schema" in problem["detail"]


def test_not_an_object_and_other_methods(zone):
    assert_problem(mass(zone, "POST", GENERATE, ["x"]), 422, "request.not_an_object")
    assert_problem(mass(zone, "PUT", GENERATE, {}), 405, "request.method_not_allowed")


# ------------------------------------------------------------------------------------------------ the zone API

def test_the_zone_api_reports_what_its_payments_withheld(pk_zone):
    """Payments made through the zone, withheld by its packs: X pays Y for services (a non-filer: 30 % of
    Rs 1,000,000 under s. 153(1)(b)), Y pays X for goods (10 % of Rs 100,000.55 under s. 153(1)(a), Rs 10,000.06).
    X's report has both sides; each report generated is one audit row with its digest, and nothing else is
    written."""
    x = zone_post(pk_zone, "/v1/entities", formation("Sibi Melons (Pvt) Ltd", EVIDENCE))["id"]
    y = zone_post(pk_zone, "/v1/entities", formation("Turbat Dates (Pvt) Ltd", EVIDENCE))["id"]
    zone_pay(pk_zone, treasury(pk_zone, x, y, "2000000"), "1000000", "service_fee")
    zone_pay(pk_zone, treasury(pk_zone, y, x, "200000"), "100000.55", "goods_payment",
             withholding_rule="s153-1-a-goods-company")
    tables = ["mez_audit", "mez_credential", "mez_evaluation", "mez_mass_tax_event", "mez_mass_ledger_line"]
    before = counts(pk_zone, tables)
    body = {"entity_id": x, "tax_year": "2026", "output_format": "structured_json", "ntn": {"ntn_number": "1234567",
                                                                                           "ntn_type": "company"}}
    r = pk_zone.post(GENERATE, json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    check(pk_zone, "TaxReport", doc)
    assert doc["report_digest"] == digest(doc) and doc["entity_id"] == x
    s = doc["summary"]
    assert (s["total_income"], s["total_withholding_deducted"], s["total_withholding_collected"],
            s["total_tax_events"], s["currency"]) == ("100000.55", "10000.06", "300000.00", 2, "PKR")
    # The zone's payments name the statute of the row that withheld (its lawpack's title) with the section.
    assert s["breakdown_by_section"] == [
        {"statute": "Income Tax Ordinance, 2001", "section": "153(1)(a)", "count": 1, "total_amount": "10000.06"},
        {"statute": "Income Tax Ordinance, 2001", "section": "153(1)(b)", "count": 1, "total_amount": "300000.00"}]
    after = counts(pk_zone, tables)
    assert after == dict(before, mez_audit=before["mez_audit"] + 1)
    assert_problem(pk_zone.post(GENERATE, json=dict(body, output_format="fbr_iris_xml")), 422,
                   "fiscal.format_unsupported", pointer="/output_format")
    assert_problem(pk_zone.post(GENERATE, json=dict(body, entity_id="ent_nobody")), 422, "fiscal.entity_unknown",
                   pointer="/entity_id")
    assert_problem(pk_zone.post(GENERATE, json=dict(body, tax_year="FY26")), 422, "fiscal.invalid_tax_year",
                   pointer="/tax_year")
    assert counts(pk_zone, tables) == after
    empty = pk_zone.post(GENERATE, json=dict(body, tax_year="2027", output_format="summary")).json()
    assert empty["summary"]["total_tax_events"] == 0 and empty["summary"]["total_income"] == "0.00"
    assert "line_items" not in empty


def test_the_zone_api_route_takes_post_only(pk_zone):
    r = pk_zone.get(GENERATE)
    assert_problem(r, 405, "request.method_not_allowed")
    assert "POST" in r.headers["Allow"]
    r = pk_zone.post(GENERATE, data=b'{"entity_id": ', headers={"Content-Type": "application/json"})
    assert_problem(r, 400)

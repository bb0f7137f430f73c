# test_withholding.py: POST /v1/fiscal/withholding/calculate on the shipped pk-sifc zone, the Mass treasury
# contract's withholding calculation answered from the zone's packs (the sovereign store answers 501: it holds no
# law). The figures are those the orchestrated payment sends to the treasury (a payment made with the same facts
# withholds the same amount), each cites the pack row's section, statute and rate, the digest can be recomputed,
# and nothing is written. Both drivers, with the sovereign store and with the Mass primitives in another zone
# reached over HTTP (test_orchestrate's pk_zone).
import hashlib

import pytest

from mez_harness import assert_problem, jcs
from test_orchestrate import EVIDENCE, NTN, formation, pk_zone, zone_post  # noqa: F401 (pk_zone is a fixture)

CALC = "/v1/fiscal/withholding/calculate"
WRITTEN = ["mez_evaluation", "mez_credential", "mez_audit", "mez_idempotency", "mez_mass_ledger_line",
           "mez_mass_tax_event"]
# The packs hold the tax year 2026 rate card (in force 2025-07-01 .. 2026-06-30).
TY2026 = "2026-01-15"


def written(zone):
    return {t: zone.count(t) for t in WRITTEN}


@pytest.fixture(scope="module")
def parties(pk_zone):
    payer = zone_post(pk_zone, "/v1/entities", formation("Quetta Orchards (Pvt) Ltd", EVIDENCE))["id"]
    payee = zone_post(pk_zone, "/v1/entities", formation("Gwadar Freight (Pvt) Ltd", EVIDENCE))["id"]
    return payer, payee


def calc(payer, amount="1000000", payment_type="service_fee", filer="non_filer", **extra):
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    if filer:
        ntn["filer_status"] = filer
    body = {"payer_entity_id": payer, "payee_ntn": ntn, "amount": amount, "currency": "PKR",
            "payment_type": payment_type, "effective_date": TY2026}
    body.update(extra)
    return body


def calculated(zone, body):
    r = zone.post(CALC, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def treasury(zone, payer, payee, deposit):
    """The payer's operating and withholding accounts (the first holding deposit) and the payee's account."""
    made = [zone_post(zone, "/v1/fiscal/accounts", {"entity_id": e, "account_type": t, "currency": "PKR",
                                                    "ntn": NTN})["resource"]["account_id"]
            for e, t in ((payer, "operating"), (payer, "withholding"), (payee, "operating"))]
    r = zone.post("/mass/v1/fiscal/accounts/%s/deposits" % made[0],
                  json={"amount": deposit, "currency": "PKR", "reference": "working capital"})
    assert r.status_code == 201, r.text
    return made


def pay(zone, accounts, amount, payment_type, **compliance):
    src, wht, dst = accounts
    return zone_post(zone, "/v1/fiscal/payments", {
        "source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
        "amount": amount, "currency": "PKR", "payment_type": payment_type,
        "compliance": dict(date=TY2026, counterparty={"filer_status": "non_filer"}, evidence=EVIDENCE,
                           withholding_account_id=wht, **compliance)})


def test_a_calculation_cites_the_law_and_is_what_the_payment_withholds(pk_zone, parties):
    payer, payee = parties
    before = written(pk_zone)
    body = calc(payer)
    non_filer = calculated(pk_zone, body)
    filer = calculated(pk_zone, calc(payer, filer="filer"))
    assert written(pk_zone) == before     # a calculation records nothing
    # s. 153(1)(b), other services, Rs 1,000,000: the non-filer rate is the higher one.
    assert non_filer["gross_amount"] == "1000000.00" and non_filer["currency"] == "PKR"
    assert non_filer["withholding_rate"] == "0.30" and non_filer["withholding_amount"] == "300000.00"
    assert non_filer["net_amount"] == "700000.00" and non_filer["filer_status_applied"] == "non_filer"
    basis = non_filer["legal_basis"]
    assert len(basis) == 1 and basis[0]["section"] == "153(1)(b)" and basis[0]["rate"] == "0.30"
    assert basis[0]["statute"] == "Income Tax Ordinance, 2001" and basis[0]["description"]
    assert float(filer["withholding_rate"]) < float(non_filer["withholding_rate"])
    assert filer["legal_basis"][0]["section"] == "153(1)(b)"
    # Anyone can recompute the digest: SHA-256 of the canonical {inputs, outputs} without the digest itself.
    outputs = {k: v for k, v in non_filer.items() if k != "computation_digest"}
    assert non_filer["computation_digest"] == hashlib.sha256(jcs({"inputs": body, "outputs": outputs})).hexdigest()
    # The payment made with the same facts withholds exactly what the calculation said.
    paid = pay(pk_zone, treasury(pk_zone, payer, payee, "5000000"), "1000000", "service_fee")
    assert paid["resource"]["withholding_amount"] == non_filer["withholding_amount"]
    assert paid["resource"]["net_amount"] == non_filer["net_amount"]


def test_the_tax_is_rounded_to_the_currency_and_such_a_payment_is_made(pk_zone, parties):
    """Rs 100,000.55 of goods to a non-filer company at 10 %: the exact tax is Rs 10,000.055. The calculation
    gives it in paisa, half up, and a payment of that amount withholds the same (the treasury keeps minor units:
    before the zone rounded, such a payment was refused with a problem about a member the caller never sent)."""
    payer, payee = parties
    rule = {"withholding_rule": "s153-1-a-goods-company"}
    out = calculated(pk_zone, calc(payer, amount="100000.55", payment_type="goods_payment", compliance=rule))
    assert (out["withholding_rate"], out["withholding_amount"], out["net_amount"]) == ("0.10", "10000.06",
                                                                                      "90000.49")
    assert out["legal_basis"][0]["section"] == "153(1)(a)"
    accounts = treasury(pk_zone, payer, payee, "200000")
    paid = pay(pk_zone, accounts, "100000.55", "goods_payment", withholding_rule="s153-1-a-goods-company")
    assert paid["resource"]["withholding_amount"] == "10000.06"
    assert pk_zone.get("/v1/fiscal/accounts/" + accounts[1]).json()["balance"] == "10000.06"


def test_what_was_withheld_is_read_back_as_the_payer_s_tax_events(pk_zone):
    """GET /v1/fiscal/{entity_id}/tax-events through the zone API (the contract's listTaxEvents, read through the
    Mass gateway): the deduction the calculation foretold, with its section and payment, by tax year, page by
    page; another entity's, or none, as the store says."""
    payer = zone_post(pk_zone, "/v1/entities", formation("Chitral Apricots (Pvt) Ltd", EVIDENCE))["id"]
    payee = zone_post(pk_zone, "/v1/entities", formation("Hunza Logistics (Pvt) Ltd", EVIDENCE))["id"]
    foretold = calculated(pk_zone, calc(payer))
    accounts = treasury(pk_zone, payer, payee, "5000000")
    paid = [pay(pk_zone, accounts, "1000000", "service_fee") for _ in range(2)]
    r = pk_zone.get("/v1/fiscal/%s/tax-events?tax_year=2026&limit=1" % payer)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total_count"] == 2 and page["has_more"] is True and len(page["events"]) == 1
    first = page["events"][0]
    assert first["event_type"] == "withholding_deduction" and first["entity_id"] == payer
    assert first["amount"] == foretold["withholding_amount"] and first["tax_year"] == "2026"
    assert first["metadata"]["section"] == foretold["legal_basis"][0]["section"]
    rest = pk_zone.get("/v1/fiscal/%s/tax-events?tax_year=2026&cursor=%s" % (payer, page["next_cursor"])).json()
    # Both payments, once each (two events of one second are ordered by their ids, not by payment).
    assert sorted(e["source_payment_id"] for e in page["events"] + rest["events"]) == sorted(p["id"] for p in paid)
    assert pk_zone.get("/v1/fiscal/%s/tax-events?tax_year=2027" % payer).json()["total_count"] == 0
    assert pk_zone.get("/v1/fiscal/%s/tax-events" % payee).json()["total_count"] == 0
    assert_problem(pk_zone.get("/v1/fiscal/ent_nobody/tax-events"), 404, "mass.not_found")
    assert_problem(pk_zone.get("/v1/fiscal/%s/tax-events?tax_year=26" % payer), 400, "request.invalid_query")


def test_below_the_threshold_nothing_is_withheld_and_the_row_says_why(pk_zone, parties):
    """s. 153(1)(a)'s Rs 75,000 is on the payments to the payee in the tax year in aggregate: a Rs 50,000 payment is
    below it only when what was paid before (compliance.figures) keeps it there; without that figure the
    calculation asks for it (test_withholding_aggregate.py has the rest)."""
    rule = {"withholding_rule": "s153-1-a-goods-company"}
    assert_problem(pk_zone.post(CALC, json=calc(parties[0], amount="50000", payment_type="goods_payment",
                                                compliance=rule)),
                   422, "withholding.aggregate_needed", pointer="/compliance/figures/goods_paid_to_payee")
    out = calculated(pk_zone, calc(parties[0], amount="50000", payment_type="goods_payment", compliance=dict(
        figures={"goods_paid_to_payee": {"amount": "24999.99", "currency": "PKR"}}, **rule)))
    assert (out["withholding_rate"], out["withholding_amount"], out["net_amount"]) == ("0", "0.00", "50000.00")
    assert [b["section"] for b in out["legal_basis"]] == ["153(1)(a)"]
    assert "below the threshold" in out["legal_basis"][0]["description"]
    assert "75000" in out["legal_basis"][0]["description"]
    assert "74999.99" in out["legal_basis"][0]["description"]


def test_a_rule_at_nought_per_cent_withholds_nothing_and_needs_no_account(pk_zone, parties):
    """s. 150, a REIT scheme's dividend from its SPV: the rule applies at 0 %. The calculation says nothing is
    withheld, and so does the payment: it needs no withholding account and moves the whole gross (before, it asked
    for an account and the treasury then refused a withholding of 0.00)."""
    payer, payee = parties
    rule = {"withholding_rule": "s150-dividend-reit-from-spv"}
    out = calculated(pk_zone, calc(payer, amount="250000", payment_type="dividend", compliance=rule))
    assert (out["withholding_rate"], out["withholding_amount"], out["net_amount"]) == ("0.00", "0.00", "250000.00")
    assert [b["section"] for b in out["legal_basis"]] == ["150"]
    src, wht, dst = treasury(pk_zone, payer, payee, "300000")
    events = pk_zone.get("/v1/fiscal/%s/tax-events?tax_year=2026" % payer).json()["total_count"]
    paid = zone_post(pk_zone, "/v1/fiscal/payments", {
        "source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
        "amount": "250000", "currency": "PKR", "payment_type": "dividend",
        "compliance": dict(date=TY2026, counterparty={"filer_status": "non_filer"}, evidence=EVIDENCE, **rule)})
    assert paid["resource"]["net_amount"] == "250000.00", paid["resource"]
    assert float(paid["resource"]["withholding_amount"]) == 0
    assert pk_zone.get("/v1/fiscal/accounts/" + dst).json()["balance"] == "250000.00"
    assert pk_zone.get("/v1/fiscal/accounts/" + wht).json()["balance"] == "0.00"
    assert pk_zone.get("/v1/fiscal/%s/tax-events?tax_year=2026" % payer).json()["total_count"] == events


def test_a_caller_cannot_name_its_own_withholding(pk_zone, parties):
    """metadata.withholding is how the zone tells its treasury what its law withholds: sent by the caller of the
    zone API it is refused, whatever the law decides for the payment (here nothing: below the threshold), and
    nothing moves or is recorded."""
    payer, payee = parties
    src, wht, dst = treasury(pk_zone, payer, payee, "100000")
    before = written(pk_zone)
    balances = [pk_zone.get("/v1/fiscal/accounts/" + a).json()["balance"] for a in (src, wht, dst)]
    for meta in ({"withholding": {"amount": "5000.00", "rate": "0.10", "section": "153(1)(a)", "account_id": wht,
                                  "tax_year": "2026"}}, {"withholding": None, "note": "x"}):
        r = pk_zone.post("/v1/fiscal/payments", json={
            "source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
            "amount": "50000", "currency": "PKR", "payment_type": "goods_payment", "metadata": meta,
            "compliance": dict(date=TY2026, counterparty={"filer_status": "non_filer"}, evidence=EVIDENCE,
                               withholding_account_id=wht, withholding_rule="s153-1-a-goods-company")})
        assert_problem(r, 422, "request.not_allowed", pointer="/metadata/withholding")
    assert written(pk_zone) == before
    assert [pk_zone.get("/v1/fiscal/accounts/" + a).json()["balance"] for a in (src, wht, dst)] == balances


def test_a_payment_under_a_row_that_does_not_apply_is_refused(pk_zone, parties):
    """s. 151: a sukuk return of Rs 5 million to an individual (a beneficiary outside the zone, whose class the
    payer states) naming the "up to Rs 1 million" row. The row does not reach the amount and the other row does:
    the payment is refused and nothing moves (it would have been withheld at the lower row's 10 %, or, pending,
    at nothing). Rs 900,000 under the same row is withheld at its 10 %."""
    payer = parties[0]
    src, wht, _ = treasury(pk_zone, payer, parties[1], "6000000")
    before = written(pk_zone)

    def sukuk(amount):
        return {"source_account_id": src, "amount": amount, "currency": "PKR", "payment_type": "profit_on_debt",
                "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                          "beneficiary_name": "Ayesha Siddiqui"}},
                "compliance": {"date": TY2026, "evidence": EVIDENCE, "withholding_account_id": wht,
                               "payment_type": "profit_on_debt_sukuk",
                               "withholding_rule": "s151-sukuk-individual-up-to-1m",
                               "counterparty": {"entity_class": "individual", "filer_status": "filer"}}}
    p = assert_problem(pk_zone.post("/v1/fiscal/payments", json=sukuk("5000000")), 422,
                       "compliance.withholding_rule_not_applicable", pointer="/compliance/withholding_rule")
    assert "s151-sukuk-individual-up-to-1m" in p["detail"]
    assert written(pk_zone) == before
    assert pk_zone.get("/v1/fiscal/accounts/" + wht).json()["balance"] == "0.00"
    paid = zone_post(pk_zone, "/v1/fiscal/payments", sukuk("900000"))
    assert paid["resource"]["withholding_amount"] == "90000.00"
    assert paid["compliance"]["evaluation"]["withholding"][0]["rule"] == "pk-wht-ty2026/s151-sukuk-individual-up-to-1m"


def test_commission_is_not_withheld_as_services(pk_zone, parties):
    """Commission and brokerage are taxed under s. 233 of the Ordinance, not as services under s. 153(1)(b), and the
    zone's packs hold no s. 233 rate: the calculation has no head for it and a payment must name the pack's payment
    type, as for any contract type without one; nothing is taxed at the services rate or recorded."""
    payer, payee = parties
    src, wht, dst = treasury(pk_zone, payer, payee, "100000")
    before = written(pk_zone)
    p = assert_problem(pk_zone.post(CALC, json=calc(payer, payment_type="commission")), 422,
                       "withholding.no_category", pointer="/payment_type")
    assert "commission" in p["detail"]
    r = pk_zone.post("/v1/fiscal/payments", json={
        "source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
        "amount": "50000", "currency": "PKR", "payment_type": "commission",
        "compliance": dict(date=TY2026, counterparty={"filer_status": "non_filer"}, evidence=EVIDENCE,
                           withholding_account_id=wht)})
    assert_problem(r, 422, "compliance.payment_type_needed", pointer="/compliance/payment_type")
    assert written(pk_zone) == before


def test_the_payee_s_class_is_the_registry_s(pk_zone, parties):
    """The payer cannot restate its payee's class: the registry's (a corporation: a company) decides the row, and
    an envelope naming another is refused with nothing moved; the same class restated is harmless."""
    payer, payee = parties
    src, wht, dst = treasury(pk_zone, payer, payee, "500000")

    def contract(to, **counterparty):
        return {"source_account_id": src, "destination": {"type": "internal_account", "account_id": to},
                "amount": "100000", "currency": "PKR", "payment_type": "contract_payment",
                "compliance": dict(date=TY2026, counterparty=dict(filer_status="non_filer", **counterparty),
                                   evidence=EVIDENCE, withholding_account_id=wht)}
    before = written(pk_zone)
    for cls in ("individual", "aop", 7):
        assert_problem(pk_zone.post("/v1/fiscal/payments", json=contract(dst, entity_class=cls)), 422,
                       "compliance.entity_class_conflict", pointer="/compliance/counterparty/entity_class")
    body = contract(dst)
    body["compliance"]["subject"] = {"entity_class": "aop"}
    assert_problem(pk_zone.post("/v1/fiscal/payments", json=body), 422, "compliance.entity_class_conflict",
                   pointer="/compliance/subject/entity_class")
    assert written(pk_zone) == before
    paid = zone_post(pk_zone, "/v1/fiscal/payments", contract(dst, entity_class="company"))
    assert paid["compliance"]["evaluation"]["withholding"][0]["rule"] == "pk-wht-ty2026/s153-1-c-contracts-company"


def test_a_trust_is_a_company_for_withholding(pk_zone, parties):
    """A trust is a company under s. 80(2)(b)(vb) of the Ordinance (it was taken for an AOP, which s. 80(2)(a)
    excludes companies from): a contract payment to one is withheld under the companies' row of s. 153(1)(c)."""
    payer, payee = parties
    src, wht, _ = treasury(pk_zone, payer, payee, "200000")
    trust = zone_post(pk_zone, "/v1/entities", formation("Sindh Madrassah Welfare Trust", EVIDENCE,
                                                         entity_type="trust"))["id"]
    to_trust = zone_post(pk_zone, "/v1/fiscal/accounts", {"entity_id": trust, "account_type": "operating",
                                                          "currency": "PKR", "ntn": NTN})["resource"]["account_id"]
    paid = zone_post(pk_zone, "/v1/fiscal/payments", {
        "source_account_id": src, "destination": {"type": "internal_account", "account_id": to_trust},
        "amount": "100000", "currency": "PKR", "payment_type": "contract_payment",
        "compliance": dict(date=TY2026, counterparty={"filer_status": "non_filer"}, evidence=EVIDENCE,
                           withholding_account_id=wht)})
    [w] = paid["compliance"]["evaluation"]["withholding"]
    assert (w["rule"], w["payee_class"], w["rate"]) == ("pk-wht-ty2026/s153-1-c-contracts-company", "company", "15")
    assert paid["resource"]["withholding_amount"] == "15000.00"


def test_what_the_law_does_not_settle_is_a_problem_naming_what_is_missing(pk_zone, parties):
    payer = parties[0]
    before = written(pk_zone)
    # Goods have several rows (sub-categories): the caller names the one that governs the payment.
    p = assert_problem(pk_zone.post(CALC, json=calc(payer, payment_type="goods_payment")), 422,
                       "withholding.rule_needed", pointer="/compliance/withholding_rule")
    assert "s153-1-a-goods-company" in p["detail"] and "s153-1-a-rice-cottonseed-edible-oil" in p["detail"]
    assert_problem(pk_zone.post(CALC, json=calc(payer, payment_type="goods_payment",
                                                compliance={"withholding_rule": "s149-salary"})), 422,
                   "withholding.rule_not_applicable", pointer="/compliance/withholding_rule")
    # A row for payees of another class (the payee is a company) does not govern it either.
    p = assert_problem(pk_zone.post(CALC, json=calc(payer, payment_type="goods_payment",
                                                    compliance={"withholding_rule": "s153-1-a-goods-individual"})),
                       422, "withholding.rule_not_applicable", pointer="/compliance/withholding_rule")
    assert "another class" in p["detail"]
    # The rate depends on the payee's filer status.
    assert_problem(pk_zone.post(CALC, json=calc(payer, filer=None)), 422, "withholding.filer_status_needed",
                   pointer="/payee_ntn/filer_status")
    # Today is in tax year 2027, whose rates this zone's packs do not hold (issue 3): no rate, never a guess.
    body = calc(payer)
    del body["effective_date"]
    p = assert_problem(pk_zone.post(CALC, json=body), 422, "withholding.no_rate", pointer="/effective_date")
    assert "services" in p["detail"]
    assert written(pk_zone) == before


BAD = [
    ("not an object", [1], 422, "request.not_an_object", ""),
    ("unknown member", {"payer_entity_tid": "x"}, 422, "request.unknown_field", "/payer_entity_tid"),
    ("payer missing", {"payer_entity_id": None}, 422, "request.missing_field", "/payer_entity_id"),
    ("payer a number", {"payer_entity_id": 7}, 422, "request.invalid_type", "/payer_entity_id"),
    ("payer a path", {"payer_entity_id": "../accounts/x"}, 422, "request.invalid_id", "/payer_entity_id"),
    ("payer a dot segment", {"payer_entity_id": ".."}, 422, "request.invalid_id", "/payer_entity_id"),
    ("payer unknown", {"payer_entity_id": "ent_nobody"}, 422, "mass.not_found", "/payer_entity_id"),
    ("ntn missing", {"payee_ntn": None}, 422, "request.missing_field", "/payee_ntn"),
    ("ntn a string", {"payee_ntn": "1234567"}, 422, "request.invalid_type", "/payee_ntn"),
    ("ntn short", {"payee_ntn": {"ntn_number": "123456", "ntn_type": "company"}}, 422, "fiscal.invalid_ntn",
     "/payee_ntn/ntn_number"),
    ("ntn letters", {"payee_ntn": {"ntn_number": "123456X", "ntn_type": "company"}}, 422, "fiscal.invalid_ntn",
     "/payee_ntn/ntn_number"),
    ("ntn type", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "trust"}}, 422, "request.invalid_value",
     "/payee_ntn/ntn_type"),
    ("ntn member", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "company", "atl": True}}, 422,
     "request.unknown_field", "/payee_ntn/atl"),
    ("filer status", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "company", "filer_status": "late"}}, 422,
     "request.invalid_value", "/payee_ntn/filer_status"),
    ("strn", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "company", "strn": "12"}}, 422,
     "fiscal.invalid_strn", "/payee_ntn/strn"),
    ("registration date", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "company",
                                         "registration_date": "2026-13-01"}}, 422, "request.invalid_date",
     "/payee_ntn/registration_date"),
    ("registered tomorrow", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "company",
                                           "registration_date": "2999-01-01"}}, 422, "request.invalid_date",
     "/payee_ntn/registration_date"),
    ("exempt payee", {"payee_ntn": {"ntn_number": "1234567", "ntn_type": "company", "filer_status": "exempt"}},
     422, "withholding.exempt_payee", "/payee_ntn/filer_status"),
    ("amount a number", {"amount": 1000}, 422, "request.invalid_type", "/amount"),
    ("amount exponent", {"amount": "1e6"}, 422, "fiscal.invalid_amount", "/amount"),
    ("amount negative", {"amount": "-5"}, 422, "fiscal.invalid_amount", "/amount"),
    ("amount paisa", {"amount": "10.001"}, 422, "fiscal.amount_precision", "/amount"),
    ("amount zero", {"amount": "0"}, 422, "fiscal.amount_not_positive", "/amount"),
    ("amount huge", {"amount": "99999999999999999"}, 422, "fiscal.amount_too_large", "/amount"),
    ("currency unknown", {"currency": "XYZ"}, 422, "fiscal.unknown_currency", "/currency"),
    ("currency lower", {"currency": "pkr"}, 422, "fiscal.unknown_currency", "/currency"),
    ("type unknown", {"payment_type": "bribe"}, 422, "request.invalid_value", "/payment_type"),
    ("type without a head", {"payment_type": "other"}, 422, "withholding.no_category", "/payment_type"),
    # Commission and brokerage are s. 233 of the Ordinance, which the packs hold no rate for: never the services
    # rate of s. 153(1)(b).
    ("commission", {"payment_type": "commission"}, 422, "withholding.no_category", "/payment_type"),
    ("date", {"effective_date": "2026-02-30"}, 422, "request.invalid_date", "/effective_date"),
    ("another jurisdiction", {"source_jurisdiction": "AE"}, 422, "withholding.other_jurisdiction",
     "/source_jurisdiction"),
    ("compliance a list", {"compliance": []}, 422, "request.invalid_type", "/compliance"),
    ("compliance member", {"compliance": {"withholding_account_id": "x"}}, 422, "request.unknown_field",
     "/compliance/withholding_account_id"),
]


@pytest.mark.parametrize("name,change,status,code,pointer", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_changes_nothing(pk_zone, parties, name, change, status, code, pointer):
    body = calc(parties[0])
    if isinstance(change, dict):
        for k, v in change.items():
            if v is None:
                del body[k]
            else:
                body[k] = v
    else:
        body = change
    before = written(pk_zone)
    assert_problem(pk_zone.post(CALC, json=body), status, code, pointer=pointer)
    assert written(pk_zone) == before


def test_the_zone_s_own_jurisdiction_is_accepted_however_written(pk_zone, parties):
    for j in ("PK", "pk", "pk-sifc"):
        out = calculated(pk_zone, calc(parties[0], source_jurisdiction=j, destination_jurisdiction=j))
        assert out["withholding_amount"] == "300000.00"


def test_a_payee_abroad_is_withheld_as_a_payment_abroad_is(pk_zone, parties):
    """destination_jurisdiction of another zone: the zone's own law still decides (no treaty relief is computed),
    and the calculation is what a payment leaving for that zone withholds (before, every such calculation was
    refused, tensor.unknown_field at /action/destination_jurisdiction, a member the request does not have; and so
    was a bank payment naming its destination_zone_id). An id the tensor cannot take is refused at the member
    that gave it, in both."""
    payer, payee = parties
    home = calculated(pk_zone, calc(payer, filer="filer"))
    for j in ("AE", "ae-adgm"):
        out = calculated(pk_zone, calc(payer, filer="filer", destination_jurisdiction=j))
        assert (out["withholding_rate"], out["withholding_amount"], out["net_amount"]) == \
            (home["withholding_rate"], home["withholding_amount"], home["net_amount"])
        assert out["legal_basis"] == home["legal_basis"]
    before = written(pk_zone)
    assert_problem(pk_zone.post(CALC, json=calc(payer, destination_jurisdiction="United Arab Emirates")), 422,
                   "tensor.invalid_jurisdiction", pointer="/destination_jurisdiction")
    assert written(pk_zone) == before
    src, wht, _ = treasury(pk_zone, payer, payee, "2000000")

    def abroad(zone_id):
        return {"source_account_id": src, "amount": "1000000", "currency": "PKR", "payment_type": "service_fee",
                "destination": {"type": "external_bank", "destination_zone_id": zone_id,
                                "bank_details": {"iban": "AE070331234567890123456",
                                                 "beneficiary_name": "Gulf Logistics FZE"}},
                "compliance": {"date": TY2026, "evidence": EVIDENCE, "withholding_account_id": wht,
                               "counterparty": {"entity_class": "company", "filer_status": "filer"}}}
    before = written(pk_zone)
    assert_problem(pk_zone.post("/v1/fiscal/payments", json=abroad("ae adgm")), 422, "tensor.invalid_jurisdiction",
                   pointer="/destination/destination_zone_id")
    assert written(pk_zone) == before
    paid = zone_post(pk_zone, "/v1/fiscal/payments", abroad("ae-adgm"))
    assert paid["compliance"]["evaluation"]["action_type"] == "cross_border_transfer"
    assert paid["resource"]["withholding_amount"] == out["withholding_amount"]
    assert paid["resource"]["net_amount"] == out["net_amount"]


def test_malformed_json_and_other_methods(pk_zone):
    r = pk_zone.post(CALC, data=b'{"payer_entity_id": ', headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
    r = pk_zone.get(CALC)
    assert_problem(r, 405, "request.method_not_allowed")
    assert "POST" in r.headers["Allow"]


def test_the_sovereign_store_still_says_where_the_law_is(pk_zone):
    r = pk_zone.post("/mass" + CALC, json={"payer_entity_id": "x"})
    p = assert_problem(r, 501, "mass.not_in_store")
    assert "/v1/fiscal/withholding/calculate" in p["detail"]

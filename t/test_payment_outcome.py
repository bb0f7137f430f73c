# test_payment_outcome.py: the zone API's settle and return of a payment that left the zone (POST
# /v1/fiscal/payments/{id}/settle, /return: operations fiscal.payment_settle and fiscal.payment_return) on the shipped
# pk-sifc zone, with its own Mass store and with a remote one (the pk_zone fixture of test_orchestrate.py): the
# treasury's answer with a credential and an audit row, the withholding given back on a return, refusals passed
# through with nothing recorded. Who may call them is in test_auth_matrix.py.
import pytest

from mez_harness import assert_problem
from test_orchestrate import EVIDENCE, NTN, counts, formation, pk_zone, verify, zone_post  # noqa: F401 (a fixture)

RECORDS = ["mez_credential", "mez_evaluation", "mez_audit", "mez_mass_ledger_line", "mez_mass_tax_event"]


def sys_balance(zone, account_id):
    r = zone.get("/mass/v1/fiscal/accounts/%s/balance" % account_id)
    assert r.status_code == 200, r.text
    return r.json()["balance"]


def bank_payment(zone, name, amount="100000"):
    """A payer with Rs 1,000,000 paying amount to a bank account abroad, with the s. 153 withholding."""
    payer = zone_post(zone, "/v1/entities", formation(name, EVIDENCE))["id"]
    src = zone_post(zone, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "operating",
                                                  "currency": "PKR", "ntn": NTN})["resource"]
    wht = zone_post(zone, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "withholding",
                                                  "currency": "PKR", "ntn": NTN})["resource"]
    r = zone.post("/mass/v1/fiscal/accounts/%s/deposits" % src["account_id"],
                  json={"amount": "1000000", "currency": "PKR", "reference": "capital injection"})
    assert r.status_code == 201, r.text
    pay = zone_post(zone, "/v1/fiscal/payments", {
        "source_account_id": src["account_id"],
        "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                 "beneficiary_name": "Lahore Freight Services"}},
        "amount": amount, "currency": "PKR", "payment_type": "service_fee",
        "compliance": {"date": "2026-01-15", "subject": {"filer_status": "filer"},
                       "counterparty": {"entity_class": "company", "filer_status": "filer"}, "evidence": EVIDENCE,
                       "withholding_account_id": wht["account_id"]}})["resource"]
    assert pay["status"] == "processing"
    return payer, src, wht, pay


def test_settle_through_the_zone(pk_zone):
    payer, src, wht, pay = bank_payment(pk_zone, "Gujranwala Fans (Pvt) Ltd")
    net = pay["net_amount"]
    out0, clr0 = sys_balance(pk_zone, "sys_outbound_PKR"), sys_balance(pk_zone, "sys_clearing_PKR")
    before = counts(pk_zone, RECORDS)
    r = pk_zone.post("/v1/fiscal/payments/%s/settle" % pay["payment_id"],
                     json={"reference": "FT26015ABC123", "settled_at": pay["created_at"]})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["operation"] == "fiscal.payment_settle" and s["id"] == pay["payment_id"]
    assert s["resource"]["status"] == "settled" and s["resource"]["settled_at"] == pay["created_at"]
    assert s["resource"]["settlement_evidence"]["reference"] == "FT26015ABC123"
    assert "PaymentSettlementCredential" in s["credential"]["type"]
    subject = s["credential"]["credentialSubject"]
    assert subject["entity_id"] == payer and subject["record"]["status"] == "settled"
    assert subject["id"].endswith(pay["payment_id"])
    verify(pk_zone, s["credential"])
    verify(pk_zone, s["attestation"])
    after = counts(pk_zone, RECORDS)
    assert after["mez_credential"] == before["mez_credential"] + 2     # the credential and its attestation
    assert after["mez_evaluation"] == before["mez_evaluation"] + 1
    assert after["mez_audit"] == before["mez_audit"] + 1
    assert after["mez_mass_ledger_line"] == before["mez_mass_ledger_line"] + 2
    row = pk_zone.db.query_value("SELECT action || ':' || outcome || ':' || resource_id FROM mez_audit "
                                 "WHERE seq = (SELECT MAX(seq) FROM mez_audit)")
    assert row == "fiscal.payment_settle:committed:" + pay["payment_id"]
    moved = float(net)
    assert float(sys_balance(pk_zone, "sys_outbound_PKR")) == pytest.approx(float(out0) - moved)
    assert float(sys_balance(pk_zone, "sys_clearing_PKR")) == pytest.approx(float(clr0) + moved)
    assert pk_zone.get("/v1/fiscal/payments/" + pay["payment_id"]).json() == s["resource"]
    # Once settled, it is settled: the second settle and a return are refused, and nothing is recorded for them.
    before = counts(pk_zone, RECORDS)
    for verb, body in (("settle", {"reference": "again"}), ("return", {"reason": "late reject"})):
        assert_problem(pk_zone.post("/v1/fiscal/payments/%s/%s" % (pay["payment_id"], verb), json=body), 409,
                       "fiscal.payment_settled")
    assert counts(pk_zone, RECORDS) == before


def test_return_through_the_zone(pk_zone):
    payer, src, wht, pay = bank_payment(pk_zone, "Sargodha Citrus (Pvt) Ltd")
    withheld = pay["withholding_amount"]
    assert float(withheld) > 0, pay
    r = pk_zone.post("/v1/fiscal/payments/%s/return" % pay["payment_id"],
                     json={"reason": "AC04 closed account number", "reference": "RTN-77"})
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["operation"] == "fiscal.payment_return" and "PaymentReturnCredential" in f["credential"]["type"]
    assert f["resource"]["status"] == "failed"
    assert f["resource"]["settlement_evidence"]["withholding_reversed"] == withheld
    assert pk_zone.get("/v1/fiscal/accounts/" + src["account_id"]).json()["balance"].startswith("1000000")
    assert float(pk_zone.get("/v1/fiscal/accounts/" + wht["account_id"]).json()["balance"]) == 0
    events = pk_zone.get("/v1/fiscal/%s/tax-events" % payer).json()["events"]
    assert sorted(e["event_type"] for e in events) == ["adjustment", "withholding_deduction"]
    assert all(e["amount"] == withheld for e in events)
    verify(pk_zone, f["credential"])
    assert_problem(pk_zone.post("/v1/fiscal/payments/%s/settle" % pay["payment_id"], json={"reference": "x"}), 409,
                   "fiscal.payment_failed")


def test_refusals_record_nothing(pk_zone):
    _, _, _, pay = bank_payment(pk_zone, "Multan Mangoes (Pvt) Ltd")
    path = "/v1/fiscal/payments/%s/settle" % pay["payment_id"]
    before = counts(pk_zone, RECORDS)
    assert_problem(pk_zone.post(path, json={}), 422, "request.missing_field", pointer="/reference")
    assert_problem(pk_zone.post(path, json={"reference": "x" * 257}), 422, "request.too_long", pointer="/reference")
    assert_problem(pk_zone.post(path, json={"reference": "x", "bank": "SCB"}), 422, "request.unknown_field",
                   pointer="/bank")
    assert_problem(pk_zone.post(path, json={"reference": "x", "compliance": {"evidence": EVIDENCE}}), 422,
                   "request.unknown_field", pointer="/compliance")
    assert_problem(pk_zone.post("/v1/fiscal/payments/%s/return" % pay["payment_id"], json={"reason": 7}), 422,
                   "request.invalid_type", pointer="/reason")
    assert_problem(pk_zone.post("/v1/fiscal/payments/pay_%s/settle" % ("0" * 64), json={"reference": "x"}), 404,
                   "mass.not_found")
    r = pk_zone.request("GET", path)
    assert_problem(r, 405, "request.method_not_allowed")
    assert r.headers["Allow"] == "POST"
    assert counts(pk_zone, RECORDS) == before
    assert pk_zone.get("/v1/fiscal/payments/" + pay["payment_id"]).json()["status"] == "processing"

# test_mass_payment_outcome.py: how a payment that left the zone (to a bank, over a corridor) ends in the sovereign
# Mass store (/mass/v1/fiscal/payments/{id}/settle and /return, libmezcore/src/mass_payment_outcome.c), on both
# drivers: the money moves once and the balances add up (payer, sys_outbound, sys_clearing, withholding), the
# withholding of a returned payment is given back with an adjustment tax event, only a processing payment ends,
# concurrent settles move the money once, and bad input changes nothing.
import threading
import uuid

import pytest

import mass_contract
from mass_fixtures import counts, entity, mass, value
from mez_harness import assert_problem
from test_mass_fiscal import MONEY_TABLES, balance, deposit, ledger_balances, new_account, pay, payment  # noqa: F401

BANK = {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702", "beneficiary_name": "X"}}
CORRIDOR = {"type": "corridor_settlement", "corridor_id": "cor_pk_ae", "destination_zone_id": "ae-dubai"}


def check(zone, schema, doc):
    mass_contract.check(zone.env.shared_dir, "fiscal", schema, doc)


def minor(zone, account_id):
    """An account's balance in minor units (the zone's own accounts too), 0 before it exists."""
    return int(value(zone, "SELECT COALESCE(MAX(balance), 0) FROM mez_mass_account WHERE account_id = '%s'"
                           % account_id))


def outbound(zone, dest=BANK, amount="40.00", withholding=None):
    """A payer with 100.00 (and a withholding account), and a processing payment of amount to dest."""
    eid = entity(zone)
    a = new_account(zone, eid)
    w = new_account(zone, eid, account_type="withholding")
    deposit(zone, a, "100.00")
    body = {"source_account_id": a["account_id"], "destination": dest, "amount": amount, "currency": "PKR",
            "payment_type": "service_fee"}
    if withholding:
        body["metadata"] = {"withholding": {"amount": withholding, "rate": "0.1",
                                            "statute": "Income Tax Ordinance 2001", "section": "153(1)(b)",
                                            "account_id": w["account_id"], "tax_year": "2026"}}
    r = pay(zone, body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "processing"
    return eid, a, w, r.json()


def settle(zone, pid, body=None, headers=None):
    return mass(zone, "POST", "/v1/fiscal/payments/%s/settle" % pid,
                {"reference": "UETR 8a562c67-ca16-48ba-b074-65581be6f011"} if body is None else body, headers=headers)


def ret(zone, pid, body=None, headers=None):
    return mass(zone, "POST", "/v1/fiscal/payments/%s/return" % pid,
                {"reason": "AC04 closed account number", "reference": "RTN-1"} if body is None else body,
                headers=headers)


@pytest.mark.parametrize("dest", [BANK, CORRIDOR])
def test_settle_moves_the_net_out_of_the_zone(zone, dest):
    eid, a, w, p = outbound(zone, dest, withholding="4.00")
    out0, clr0 = minor(zone, "sys_outbound_PKR"), minor(zone, "sys_clearing_PKR")
    r = settle(zone, p["payment_id"], {"reference": "FT26015ABC123", "settled_at": "2099-01-01T00:00:00Z"})
    assert_problem(r, 422, "fiscal.invalid_settled_at", pointer="/settled_at")
    r = settle(zone, p["payment_id"], {"reference": "FT26015ABC123", "settled_at": "2001-01-01T00:00:00Z"})
    assert_problem(r, 422, "fiscal.invalid_settled_at", pointer="/settled_at")
    assert minor(zone, "sys_outbound_PKR") == out0
    r = settle(zone, p["payment_id"], {"reference": "FT26015ABC123"})
    assert r.status_code == 200, r.text
    s = r.json()
    check(zone, "Payment", s)
    assert s["status"] == "settled" and s["settled_at"]
    ev = s["settlement_evidence"]
    assert ev["outcome"] == "settled" and ev["reference"] == "FT26015ABC123" and ev["settled_at"] == s["settled_at"]
    # The net (36.00) left the zone: out of sys_outbound into the clearing account, which is minus what is in the
    # zone; the payer and its withholding account are as the payment left them.
    assert minor(zone, "sys_outbound_PKR") == out0 - 3600
    assert minor(zone, "sys_clearing_PKR") == clr0 + 3600
    assert [balance(zone, x)["balance"] for x in (a, w)] == ["60.00", "4.00"]
    r = mass(zone, "GET", "/v1/fiscal/payments/" + p["payment_id"])
    assert r.status_code == 200 and r.json() == s
    kinds = value(zone, "SELECT COUNT(*) FROM mez_mass_ledger_txn WHERE payment_id = '%s' AND kind = 'settlement'"
                  % p["payment_id"])
    assert kinds == "1"
    r = mass(zone, "GET", "/v1/fiscal/accounts/sys_outbound_PKR/ledger?limit=1000")
    assert r.status_code == 200
    assert [x for x in r.json()["lines"] if x.get("payment_id") == p["payment_id"]][-1]["kind"] == "settlement"
    # The tax stays withheld: the payment was paid.
    r = mass(zone, "GET", "/v1/fiscal/%s/tax-events" % eid)
    assert [e["event_type"] for e in r.json()["events"]] == ["withholding_deduction"]


def test_settled_at_given_is_kept(zone):
    _, _, _, p = outbound(zone)
    at = value(zone, "SELECT created_at FROM mez_mass_payment WHERE payment_id = '%s'" % p["payment_id"])
    r = settle(zone, p["payment_id"], {"reference": "x", "settled_at": at})
    assert r.status_code == 200, r.text
    assert r.json()["settled_at"] == at


def test_return_restores_the_payer_and_reverses_the_withholding(zone):
    eid, a, w, p = outbound(zone, withholding="4.00")
    assert [balance(zone, x)["balance"] for x in (a, w)] == ["60.00", "4.00"]
    out0, clr0 = minor(zone, "sys_outbound_PKR"), minor(zone, "sys_clearing_PKR")
    r = ret(zone, p["payment_id"])
    assert r.status_code == 200, r.text
    f = r.json()
    check(zone, "Payment", f)
    assert f["status"] == "failed" and "settled_at" not in f
    ev = f["settlement_evidence"]
    assert ev["outcome"] == "returned" and ev["reason"] == "AC04 closed account number" and ev["reference"] == "RTN-1"
    assert ev["withholding_reversed"] == "4.00" and len(ev["tax_event_ids"]) == 1
    assert [balance(zone, x)["balance"] for x in (a, w)] == ["100.00", "0.00"]
    assert minor(zone, "sys_outbound_PKR") == out0 - 3600 and minor(zone, "sys_clearing_PKR") == clr0
    lines = value(zone, "SELECT COUNT(*) FROM mez_mass_ledger_line l JOIN mez_mass_ledger_txn t ON t.txn_id = "
                        "l.txn_id WHERE t.payment_id = '%s' AND t.kind = 'reversal'" % p["payment_id"])
    assert lines == "3"
    # The deduction stays on record and an adjustment of the same amount and year cancels it.
    r = mass(zone, "GET", "/v1/fiscal/%s/tax-events" % eid)
    assert r.status_code == 200
    check(zone, "TaxEventList", r.json())
    events = {e["event_type"]: e for e in r.json()["events"]}     # one second apart at most: either order
    assert sorted(events) == ["adjustment", "withholding_deduction"]
    ded, adj = events["withholding_deduction"], events["adjustment"]
    assert adj["tax_event_id"] == ev["tax_event_ids"][0]
    assert (adj["amount"], adj["tax_year"], adj["source_payment_id"]) == ("4.00", "2026", p["payment_id"])
    assert adj["metadata"]["adjusts_tax_event_id"] == ded["tax_event_id"] == p["tax_event_id"]
    assert adj["legal_basis"] == ded["legal_basis"]


def test_only_a_processing_payment_ends(zone):
    _, a, _, p = outbound(zone)
    assert settle(zone, p["payment_id"]).status_code == 200
    doc = mass(zone, "GET", "/v1/fiscal/payments/" + p["payment_id"]).json()
    for call in (settle, ret):
        body = assert_problem(call(zone, p["payment_id"]), 409, "fiscal.payment_settled")
        assert body["payment_status"] == "settled"
    _, _, _, q = outbound(zone)
    assert ret(zone, q["payment_id"]).status_code == 200
    for call in (settle, ret):
        body = assert_problem(call(zone, q["payment_id"]), 409, "fiscal.payment_failed")
        assert body["payment_status"] == "failed"
    # An internal payment settles when it is made.
    b = new_account(zone)
    r = pay(zone, payment(a, b, "1.00"))
    assert r.status_code == 201 and r.json()["status"] == "settled"
    before = counts(zone, MONEY_TABLES)
    for call in (settle, ret):
        body = assert_problem(call(zone, r.json()["payment_id"]), 409, "fiscal.payment_settled")
        assert "internal payment" in body["detail"]
    assert_problem(settle(zone, "pay_nope"), 404, "mass.not_found")
    assert_problem(ret(zone, "pay_nope"), 404, "mass.not_found")
    assert counts(zone, MONEY_TABLES) == before
    assert mass(zone, "GET", "/v1/fiscal/payments/" + p["payment_id"]).json() == doc
    assert_problem(mass(zone, "GET", "/v1/fiscal/payments/%s/settle" % p["payment_id"]), 405,
                   "request.method_not_allowed")


@pytest.mark.parametrize("verb,body,status,code,pointer", [
    ("settle", {}, 422, "request.missing_field", "/reference"),
    ("settle", {"reference": ""}, 422, "request.empty_value", "/reference"),
    ("settle", {"reference": "x" * 257}, 422, "request.too_long", "/reference"),
    ("settle", {"reference": "FT\nhidden"}, 422, "request.invalid_characters", "/reference"),
    ("settle", {"reference": 12345}, 422, "request.invalid_type", "/reference"),
    ("settle", {"reference": "x", "extra": 1}, 422, "request.unknown_field", "/extra"),
    ("settle", {"reference": "x", "settled_at": "yesterday"}, 422, "request.invalid_time", "/settled_at"),
    ("settle", {"reference": "x", "settled_at": 1}, 422, "request.invalid_type", "/settled_at"),
    ("settle", [], 422, "request.not_an_object", ""),
    ("return", {}, 422, "request.missing_field", "/reason"),
    ("return", {"reason": "x" * 1025}, 422, "request.too_long", "/reason"),
    ("return", {"reason": ["AC04"]}, 422, "request.invalid_type", "/reason"),
    ("return", {"reason": "x", "reference": "y" * 257}, 422, "request.too_long", "/reference"),
    ("return", {"reason": "x", "withholding": "keep"}, 422, "request.unknown_field", "/withholding"),
])
def test_bad_input_changes_nothing(zone, verb, body, status, code, pointer):
    _, a, w, p = outbound(zone, withholding="4.00")
    before = counts(zone, MONEY_TABLES)
    out0 = minor(zone, "sys_outbound_PKR")
    assert_problem((settle if verb == "settle" else ret)(zone, p["payment_id"], body), status, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before and minor(zone, "sys_outbound_PKR") == out0
    assert mass(zone, "GET", "/v1/fiscal/payments/" + p["payment_id"]).json()["status"] == "processing"


def test_malformed_json_changes_nothing(zone):
    _, _, _, p = outbound(zone)
    before = counts(zone, MONEY_TABLES)
    r = mass(zone, "POST", "/v1/fiscal/payments/%s/settle" % p["payment_id"], data='{"reference": ')
    assert r.status_code == 400 and r.json()["code"].startswith("json."), r.text
    assert counts(zone, MONEY_TABLES) == before


def status(zone, acc, to):
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/status" % acc["account_id"], {"status": to})
    assert r.status_code == 200, r.text


def test_return_needs_the_withholding_back(zone):
    """A withholding account that no longer holds the tax (held here) or is frozen refuses the return: nothing
    moves until it is restored."""
    _, a, w, p = outbound(zone, withholding="4.00")
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/holds" % w["account_id"], {"amount": "1.00", "reason": "audit"})
    assert r.status_code == 201, r.text
    hold = r.json()["hold_id"]
    before = counts(zone, MONEY_TABLES)
    body = assert_problem(ret(zone, p["payment_id"]), 409, "fiscal.withholding_not_returnable")
    assert w["account_id"] in body["detail"]
    assert counts(zone, MONEY_TABLES) == before
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/holds/%s/release" % (w["account_id"], hold), {})
    assert r.status_code == 200
    status(zone, w, "frozen")
    assert_problem(ret(zone, p["payment_id"]), 409, "fiscal.withholding_not_returnable")
    status(zone, w, "active")
    # The payer's own account frozen: it takes nothing back until unfrozen.
    status(zone, a, "frozen")
    assert_problem(ret(zone, p["payment_id"]), 409, "fiscal.account_frozen")
    assert counts(zone, MONEY_TABLES) == before
    status(zone, a, "active")
    assert ret(zone, p["payment_id"]).status_code == 200
    assert [balance(zone, x)["balance"] for x in (a, w)] == ["100.00", "0.00"]


def test_idempotency_key(zone):
    _, a, _, p = outbound(zone)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = settle(zone, p["payment_id"], headers=key)
    assert first.status_code == 200, first.text
    lines = zone.count("mez_mass_ledger_line")
    again = settle(zone, p["payment_id"], headers=key)
    assert again.status_code == 200 and again.json() == first.json()
    assert zone.count("mez_mass_ledger_line") == lines
    assert_problem(settle(zone, p["payment_id"], {"reference": "another"}, headers=key), 422,
                   "idempotency.key_reused")
    assert_problem(ret(zone, p["payment_id"], headers=key), 422, "idempotency.key_reused")
    assert zone.count("mez_mass_ledger_line") == lines


@pytest.mark.parametrize("second", ["settle", "return"])
def test_concurrent_outcomes_move_the_money_once(zone, second):
    """Two settles of one payment at once, or a settle racing a return: one is answered 200, the other 409, and
    the money moved once (repeated over several payments to give the race a chance)."""
    for _ in range(4):
        _, a, w, p = outbound(zone, withholding="4.00")
        out0, clr0 = minor(zone, "sys_outbound_PKR"), minor(zone, "sys_clearing_PKR")
        start = threading.Barrier(2)
        answers = []

        def go(call):
            start.wait()
            answers.append(call(zone, p["payment_id"]))

        threads = [threading.Thread(target=go, args=(c,)) for c in (settle, settle if second == "settle" else ret)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in answers)
        assert codes == [200, 409], [r.text for r in answers]
        won = [r for r in answers if r.status_code == 200][0].json()
        lost = [r for r in answers if r.status_code == 409][0].json()
        assert lost["code"] == "fiscal.payment_" + won["status"]
        txns = value(zone, "SELECT COUNT(*) FROM mez_mass_ledger_txn WHERE payment_id = '%s' AND kind <> 'payment'"
                           % p["payment_id"])
        assert txns == "1"
        if won["status"] == "settled":
            assert minor(zone, "sys_outbound_PKR") == out0 - 3600 and minor(zone, "sys_clearing_PKR") == clr0 + 3600
            assert [balance(zone, x)["balance"] for x in (a, w)] == ["60.00", "4.00"]
        else:
            assert minor(zone, "sys_outbound_PKR") == out0 - 3600 and minor(zone, "sys_clearing_PKR") == clr0
            assert [balance(zone, x)["balance"] for x in (a, w)] == ["100.00", "0.00"]


def test_the_zones_money_adds_up(zone):
    """Deposits in, payments out and settled or returned: the clearing account is minus what is in the zone (every
    other account's balance), and sys_outbound holds only what is still processing."""
    _, _, _, p1 = outbound(zone)
    _, _, _, p2 = outbound(zone, CORRIDOR, withholding="4.00")
    _, _, _, p3 = outbound(zone, amount="10.00")
    assert settle(zone, p1["payment_id"]).status_code == 200
    assert ret(zone, p2["payment_id"]).status_code == 200
    clearing = minor(zone, "sys_clearing_PKR")
    others = int(value(zone, "SELECT COALESCE(SUM(balance), 0) FROM mez_mass_account WHERE currency = 'PKR' AND "
                             "account_id <> 'sys_clearing_PKR'"))
    assert clearing == -others
    processing = int(value(zone, "SELECT COALESCE(SUM(gross_amount - withholding_amount), 0) FROM mez_mass_payment "
                                 "WHERE currency = 'PKR' AND status = 'processing' AND destination_type <> "
                                 "'internal_account'"))
    assert minor(zone, "sys_outbound_PKR") == processing

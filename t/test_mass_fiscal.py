# test_mass_fiscal.py: the sovereign Mass store's fiscal primitive over HTTP (/mass/v1/fiscal/...), on both drivers:
# every route, requests and answers checked against the fiscal contract, the double-entry invariant after every test,
# concurrent payments that can never overdraw, Idempotency-Key replay, and bad inputs that change nothing.
import threading
import time
import uuid

import pytest

import mass_contract
from mass_fixtures import counts, entity, mass, sql_exec, value
from mez_harness import assert_problem

NTN = {"ntn_number": "1234567", "ntn_type": "company", "filer_status": "filer"}
MONEY_TABLES = ["mez_mass_account", "mez_mass_ledger_txn", "mez_mass_ledger_line", "mez_mass_payment",
                "mez_mass_hold", "mez_mass_tax_event"]


def check(zone, schema, doc):
    mass_contract.check(zone.env.shared_dir, "fiscal", schema, doc)


@pytest.fixture(autouse=True)
def ledger_balances(zone):
    """After every test: each currency's ledger lines sum to zero and no account but the clearing one is negative."""
    yield
    assert value(zone, "SELECT COUNT(*) FROM (SELECT currency FROM mez_mass_ledger_line GROUP BY currency "
                       "HAVING SUM(amount) <> 0) x") == "0"
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_account WHERE balance < 0 AND kind <> 'external_clearing'") == "0"
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_account a WHERE balance <> (SELECT COALESCE(SUM(amount), 0) "
                       "FROM mez_mass_ledger_line l WHERE l.account_id = a.account_id)") == "0"


def new_account(zone, eid=None, currency="PKR", account_type="operating"):
    body = {"entity_id": eid or entity(zone), "account_type": account_type, "currency": currency, "ntn": NTN}
    check(zone, "CreateTreasuryAccountRequest", body)
    r = mass(zone, "POST", "/v1/fiscal/accounts", body)
    assert r.status_code == 201, r.text
    check(zone, "TreasuryAccount", r.json())
    return r.json()


def deposit(zone, acc, amount, currency="PKR"):
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/deposits" % acc["account_id"],
             {"amount": amount, "currency": currency, "reference": "wire " + uuid.uuid4().hex[:8],
              "source": {"rail": "RAAST"}})
    assert r.status_code == 201, r.text
    return r.json()


def balance(zone, acc):
    r = mass(zone, "GET", "/v1/fiscal/accounts/%s/balance" % acc["account_id"])
    assert r.status_code == 200, r.text
    return r.json()


def payment(src, dst, amount, **extra):
    body = {"source_account_id": src["account_id"], "destination": {"type": "internal_account",
                                                                    "account_id": dst["account_id"]},
            "amount": amount, "currency": src["currency"], "payment_type": "goods_payment"}
    body.update(extra)
    return body


def pay(zone, body, headers=None):
    return mass(zone, "POST", "/v1/fiscal/payments", body, headers=headers)


# ------------------------------------------------------------------------------------------------ accounts

def test_create_and_get_account(zone):
    eid = entity(zone)
    acc = new_account(zone, eid, "KWD", "reserve")
    assert acc["entity_id"] == eid and acc["balance"] == "0.000" and acc["status"] == "active"
    assert acc["ntn"] == NTN
    r = mass(zone, "GET", "/v1/fiscal/accounts/" + acc["account_id"])
    assert r.status_code == 200
    check(zone, "TreasuryAccount", r.json())
    assert r.json() == acc
    assert_problem(mass(zone, "GET", "/v1/fiscal/accounts/acc_nope"), 404, "mass.not_found")
    jpy = new_account(zone, eid, "JPY")
    assert jpy["balance"] == "0"


@pytest.mark.parametrize("patch,status,code,pointer", [
    ({"entity_id": "ent_unknown"}, 422, "fiscal.entity_unknown", "/entity_id"),
    ({"currency": "XTS"}, 422, "fiscal.unknown_currency", "/currency"),
    ({"currency": 840}, 422, "request.invalid_type", "/currency"),
    ({"account_type": "savings"}, 422, "request.invalid_value", "/account_type"),
    ({"ntn": {"ntn_number": "12345", "ntn_type": "company"}}, 422, "fiscal.invalid_ntn", "/ntn/ntn_number"),
    ({"ntn": {"ntn_number": "1234567", "ntn_type": "company", "registration_date": "2026-02-30"}}, 422,
     "request.invalid_date", "/ntn/registration_date"),
    ({"ntn": {"ntn_number": "1234567", "ntn_type": "company", "registration_date": "2999-01-01"}}, 422,
     "request.invalid_date", "/ntn/registration_date"),
    ({"ntn": None}, 422, "request.missing_field", "/ntn"),
    ({"iban": "PK00"}, 422, "request.unknown_field", "/iban"),
    # Bank details: an IBAN and a BIC as ISO 13616 and ISO 9362 define them (the SWIFT registry's example IBAN of
    # Pakistan, PK36SCBL0000001123456702, with one digit changed, two swapped, one left out; another country's
    # length; a country without IBANs).
    ({"bank_details": {"iban": "PK36SCBL0000001123456703"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": "PK36SCBL0000001123456720"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": "PK36SCBL000000112345670"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": "AE36SCBL0000001123456702"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": "US36SCBL0000001123456702"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": "PK36 SCBL 0000 0011 2345 670 2"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": "PK36-SCBL-0000-0011-2345-6702"}}, 422, "fiscal.invalid_iban", "/bank_details/iban"),
    ({"bank_details": {"iban": 36}}, 422, "request.invalid_type", "/bank_details/iban"),
    ({"bank_details": {"swift_bic": "SCBLPK"}}, 422, "fiscal.invalid_bic", "/bank_details/swift_bic"),
    ({"bank_details": {"swift_bic": "SCBL9KKX"}}, 422, "fiscal.invalid_bic", "/bank_details/swift_bic"),
    ({"bank_details": {"iban": "PK36SCBL0000001123456702", "swift_bic": "SCBLPKKX-X"}}, 422, "fiscal.invalid_bic",
     "/bank_details/swift_bic"),
])
def test_account_refusals_change_nothing(zone, patch, status, code, pointer):
    body = {"entity_id": entity(zone), "account_type": "operating", "currency": "PKR", "ntn": NTN}
    body.update(patch)
    body = {k: v for k, v in body.items() if v is not None}
    before = counts(zone, MONEY_TABLES)
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts", body), status, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before


@pytest.mark.parametrize("iban,bic", [
    # The SWIFT IBAN Registry's example IBANs of the shipped zones' countries (Pakistan, the UAE, Kazakhstan,
    # Seychelles) and of two others, electronic and print format, and a BIC of 8 and of 11 characters.
    ("PK36SCBL0000001123456702", "SCBLPKKX"),
    ("AE07 0331 2345 6789 0123 456", "NBADAEAAXXX"),
    ("KZ86125KZT5004100100", None),
    ("SC18SSCB11010000000000001497USD", "SSCBSCSC"),
    ("GB29 NWBK 6016 1331 9268 19", "NWBKGB2L"),
    ("de89370400440532013000", "deutdeff500"),
])
def test_account_bank_details_kept(zone, iban, bic):
    bank = {"iban": iban, "account_title": "Indus Looms"}
    if bic:
        bank["swift_bic"] = bic
    body = {"entity_id": entity(zone), "account_type": "operating", "currency": "PKR", "ntn": NTN,
            "bank_details": bank}
    r = mass(zone, "POST", "/v1/fiscal/accounts", body)
    assert r.status_code == 201, r.text
    check(zone, "TreasuryAccount", r.json())
    r = mass(zone, "GET", "/v1/fiscal/accounts/" + r.json()["account_id"])
    assert r.status_code == 200 and r.json()["bank_details"] == bank, r.text


def test_account_of_dissolved_entity_and_malformed_json(zone):
    before = counts(zone, MONEY_TABLES)
    body = {"entity_id": entity(zone, "DISSOLVED"), "account_type": "operating", "currency": "PKR", "ntn": NTN}
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts", body), 409, "fiscal.entity_inactive", pointer="/entity_id")
    r = mass(zone, "POST", "/v1/fiscal/accounts", data='{"entity_id": "x",')
    assert r.status_code == 400 and r.json()["code"].startswith("json."), r.text
    assert counts(zone, MONEY_TABLES) == before


def test_freeze_and_close(zone):
    acc = new_account(zone)
    other = new_account(zone)
    deposit(zone, acc, "5.00")
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/status" % acc["account_id"], {"status": "closed"})
    assert_problem(r, 409, "fiscal.account_not_empty", pointer="/status")
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/status" % other["account_id"], {"status": "closed", "reason": "x"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    check(zone, "TreasuryAccount", r.json())
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/status" % other["account_id"], {"status": "active"})
    assert_problem(r, 409, "fiscal.account_closed")


# ------------------------------------------------------------------------------------------------ money in

def test_deposit_balance_and_ledger(zone):
    acc = new_account(zone)
    d = deposit(zone, acc, "1500.25")
    assert d["balance"] == "1500.25" and d["clearing_account_id"] == "sys_clearing_PKR"
    deposit(zone, acc, "0.75")
    b = balance(zone, acc)
    assert (b["balance"], b["held"], b["available"]) == ("1501.00", "0.00", "1501.00")
    r = mass(zone, "GET", "/v1/fiscal/accounts/%s/ledger" % acc["account_id"])
    assert r.status_code == 200
    lines = r.json()["lines"]
    assert [(x["amount"], x["balance_after"], x["kind"]) for x in lines] == [
        ("1500.25", "1500.25", "deposit"), ("0.75", "1501.00", "deposit")]
    assert [x["seq"] for x in lines] == [1, 2]
    # pages
    r = mass(zone, "GET", "/v1/fiscal/accounts/%s/ledger?limit=1" % acc["account_id"])
    page = r.json()
    assert page["has_more"] and len(page["lines"]) == 1
    r = mass(zone, "GET", "/v1/fiscal/accounts/%s/ledger?limit=1&cursor=%s" % (acc["account_id"], page["next_cursor"]))
    assert r.json()["lines"][0]["seq"] == 2 and not r.json()["has_more"]
    assert_problem(mass(zone, "GET", "/v1/fiscal/accounts/%s/ledger?limit=0" % acc["account_id"]), 400,
                   "request.invalid_query")
    # the clearing account mirrors everything that came in
    clearing = int(value(zone, "SELECT balance FROM mez_mass_account WHERE account_id = 'sys_clearing_PKR'"))
    total_in = int(value(zone, "SELECT COALESCE(SUM(amount), 0) FROM mez_mass_ledger_line l JOIN mez_mass_ledger_txn "
                               "t ON t.txn_id = l.txn_id WHERE t.kind = 'deposit' AND l.amount > 0 AND "
                               "l.currency = 'PKR'"))
    assert clearing == -total_in


@pytest.mark.parametrize("body,code,pointer", [
    ({"amount": "1.234", "currency": "PKR", "reference": "r"}, "fiscal.amount_precision", "/amount"),
    ({"amount": "1", "currency": "USD", "reference": "r"}, "fiscal.currency_mismatch", "/currency"),
    ({"amount": "1", "currency": "PKR"}, "request.missing_field", "/reference"),
    ({"amount": 1, "currency": "PKR", "reference": "r"}, "request.invalid_type", "/amount"),
    # a NUL was stored cut short ("INV-1"); a control character prints as something else
    ({"amount": "5.00", "currency": "PKR", "reference": "INV-1\u0000; hidden"}, "request.invalid_characters",
     "/reference"),
    ({"amount": "5.00", "currency": "PKR", "reference": "INV-1\u001b[2K"}, "request.invalid_characters", "/reference"),
])
def test_bad_deposits_change_nothing(zone, body, code, pointer):
    acc = new_account(zone)
    before = counts(zone, MONEY_TABLES)
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/deposits" % acc["account_id"], body), 422, code,
                   pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before


# ------------------------------------------------------------------------------------------------ payments

def test_internal_payment_settles(zone):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "100.00")
    body = payment(a, b, "60.50", reference="INV-1", narration="goods", metadata={"po": "7"})
    check(zone, "InitiatePaymentRequest", body)
    r = pay(zone, body)
    assert r.status_code == 201, r.text
    p = r.json()
    check(zone, "Payment", p)
    assert p["status"] == "settled" and p["settled_at"] == p["created_at"]
    assert (p["gross_amount"], p["withholding_amount"], p["net_amount"]) == ("60.50", "0.00", "60.50")
    assert balance(zone, a)["balance"] == "39.50" and balance(zone, b)["balance"] == "60.50"
    r = mass(zone, "GET", "/v1/fiscal/payments/" + p["payment_id"])
    assert r.status_code == 200 and r.json() == p
    check(zone, "Payment", r.json())
    assert_problem(mass(zone, "GET", "/v1/fiscal/payments/pay_nope"), 404, "mass.not_found")
    txn = value(zone, "SELECT COUNT(*) FROM mez_mass_ledger_line l JOIN mez_mass_ledger_txn t ON t.txn_id = l.txn_id "
                      "WHERE t.payment_id = '%s'" % p["payment_id"])
    assert txn == "2"


@pytest.mark.parametrize("dest", [
    {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702", "beneficiary_name": "X"}},
    {"type": "corridor_settlement", "corridor_id": "cor_pk_ae", "destination_zone_id": "ae-dubai"},
])
def test_outbound_payment_is_processing(zone, dest):
    a = new_account(zone)
    deposit(zone, a, "10.00")
    before = int(value(zone, "SELECT COALESCE(MAX(balance), 0) FROM mez_mass_account "
                             "WHERE account_id = 'sys_outbound_PKR'"))
    body = {"source_account_id": a["account_id"], "destination": dest, "amount": "4.00", "currency": "PKR",
            "payment_type": "service_fee"}
    check(zone, "InitiatePaymentRequest", body)
    r = pay(zone, body)
    assert r.status_code == 201, r.text
    p = r.json()
    check(zone, "Payment", p)
    assert p["status"] == "processing" and "settled_at" not in p
    assert p["destination"]["settlement_account_id"] == "sys_outbound_PKR"
    assert balance(zone, a)["balance"] == "6.00"
    assert int(value(zone, "SELECT balance FROM mez_mass_account WHERE account_id = 'sys_outbound_PKR'")) == before + 400


def test_withholding_decided_by_the_zone(zone):
    eid = entity(zone)
    a, b = new_account(zone, eid), new_account(zone)
    w = new_account(zone, eid, account_type="withholding")
    deposit(zone, a, "1000.00")
    wh = {"amount": "45.00", "rate": "0.045", "statute": "Income Tax Ordinance 2001", "section": "153(1)(a)",
          "description": "payment for goods", "account_id": w["account_id"], "tax_year": "2026"}
    body = payment(a, b, "1000.00", metadata={"withholding": wh})
    check(zone, "InitiatePaymentRequest", body)
    r = pay(zone, body)
    assert r.status_code == 201, r.text
    p = r.json()
    check(zone, "Payment", p)
    assert (p["withholding_amount"], p["net_amount"]) == ("45.00", "955.00")
    assert p["withholding_details"]["legal_basis"][0]["section"] == "153(1)(a)"
    assert [balance(zone, x)["balance"] for x in (a, b, w)] == ["0.00", "955.00", "45.00"]
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_ledger_line l JOIN mez_mass_ledger_txn t ON t.txn_id = l.txn_id "
                       "WHERE t.payment_id = '%s'" % p["payment_id"]) == "3"
    r = mass(zone, "GET", "/v1/fiscal/%s/tax-events" % eid)
    assert r.status_code == 200
    check(zone, "TaxEventList", r.json())
    events = r.json()["events"]
    assert r.json()["total_count"] == 1 and events[0]["tax_event_id"] == p["tax_event_id"]
    assert events[0]["amount"] == "45.00" and events[0]["source_payment_id"] == p["payment_id"]
    assert events[0]["event_type"] == "withholding_deduction" and events[0]["tax_year"] == "2026"
    for q in ("tax_year=2025", "event_type=penalty", "to_date=2020-01-01"):
        r = mass(zone, "GET", "/v1/fiscal/%s/tax-events?%s" % (eid, q))
        assert r.status_code == 200 and r.json()["total_count"] == 0, q
    assert_problem(mass(zone, "GET", "/v1/fiscal/%s/tax-events?tax_year=26" % eid), 400, "request.invalid_query")
    assert_problem(mass(zone, "GET", "/v1/fiscal/ent_nope/tax-events"), 404, "mass.not_found")


def test_bad_withholding_changes_nothing(zone):
    eid = entity(zone)
    a, b = new_account(zone, eid), new_account(zone)
    op = new_account(zone, eid)
    others = new_account(zone, entity(zone), account_type="withholding")
    deposit(zone, a, "100.00")
    base = {"amount": "4.50", "rate": "0.045", "section": "153(1)(a)", "tax_year": "2026"}
    cases = [
        (dict(base, account_id=op["account_id"]), "fiscal.withholding_account_invalid",
         "/metadata/withholding/account_id"),
        # another entity's withholding account: the payer withholds into its own
        (dict(base, account_id=others["account_id"]), "fiscal.withholding_account_invalid",
         "/metadata/withholding/account_id"),
        (dict(base, amount="5.00", account_id=op["account_id"]), "fiscal.withholding_inconsistent",
         "/metadata/withholding/amount"),
        (dict(base, rate="1.5", account_id=op["account_id"]), "fiscal.invalid_rate", "/metadata/withholding/rate"),
        ({k: v for k, v in base.items() if k != "tax_year"} | {"account_id": op["account_id"]},
         "request.missing_field", "/metadata/withholding/tax_year"),
    ]
    before = counts(zone, MONEY_TABLES)
    for wh, code, pointer in cases:
        assert_problem(pay(zone, payment(a, b, "100.00", metadata={"withholding": wh})), 422, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before


def test_withholding_must_leave_something_to_pay(zone):
    """A withholding of the whole payment (rate 1) would pay the payee nothing, a ledger line of 0 (which the
    ledger refuses: it was a 503 db.error); like one larger than the payment, it is 422
    fiscal.withholding_exceeds_amount at /metadata/withholding/amount, and nothing moves."""
    eid = entity(zone)
    a, b = new_account(zone, eid), new_account(zone)
    w = new_account(zone, eid, account_type="withholding")
    deposit(zone, a, "100.00")
    wh = {"rate": "1", "section": "153(1)(a)", "account_id": w["account_id"], "tax_year": "2026"}
    before = counts(zone, MONEY_TABLES)
    for amount, words in [("100.00", "nothing would be left"), ("150.00", "larger than the payment")]:
        p = assert_problem(pay(zone, payment(a, b, "100.00", metadata={"withholding": dict(wh, amount=amount)})),
                           422, "fiscal.withholding_exceeds_amount", pointer="/metadata/withholding/amount")
        assert words in p["detail"], p
    assert counts(zone, MONEY_TABLES) == before
    assert [balance(zone, x)["balance"] for x in (a, b, w)] == ["100.00", "0.00", "0.00"]
    # Just under the whole amount is a payment: the payee gets the last minor unit.
    r = pay(zone, payment(a, b, "100.00", metadata={"withholding": dict(wh, rate="0.9999", amount="99.99")}))
    assert r.status_code == 201, r.text
    assert (r.json()["withholding_amount"], r.json()["net_amount"]) == ("99.99", "0.01")


@pytest.mark.parametrize("patch,status,code,pointer", [
    ({"amount": "1.23456"}, 422, "fiscal.invalid_amount", "/amount"),
    ({"amount": "-1"}, 422, "fiscal.invalid_amount", "/amount"),
    ({"amount": "1e3"}, 422, "fiscal.invalid_amount", "/amount"),
    ({"amount": "1.001"}, 422, "fiscal.amount_precision", "/amount"),
    ({"amount": "0"}, 422, "fiscal.amount_not_positive", "/amount"),
    ({"amount": 5}, 422, "request.invalid_type", "/amount"),
    ({"amount": "99999999999999999999"}, 422, "fiscal.amount_too_large", "/amount"),
    ({"currency": "USD"}, 422, "fiscal.currency_mismatch", "/currency"),
    ({"currency": "usd"}, 422, "fiscal.unknown_currency", "/currency"),
    ({"payment_type": "bribe"}, 422, "request.invalid_value", "/payment_type"),
    ({"destination": {"type": "internal_account"}}, 422, "request.missing_field", "/destination/account_id"),
    ({"destination": {"type": "moon"}}, 422, "request.invalid_value", "/destination/type"),
    ({"priority": "high"}, 422, "request.unknown_field", "/priority"),
    ({"idempotency_key": "not-a-uuid"}, 422, "fiscal.invalid_idempotency_key", "/idempotency_key"),
    ({"source_account_id": "acc_nope"}, 422, "fiscal.account_unknown", "/source_account_id"),
    ({"amount": "50.01"}, 422, "fiscal.insufficient_funds", "/source_account_id"),
    ({"reference": "PAY\u0000X"}, 422, "request.invalid_characters", "/reference"),
    ({"narration": "line1\nline2\u001b[31m"}, 422, "request.invalid_characters", "/narration"),
    ({"withholding_override": {"dta_reference": "DTA\u0000"}}, 422, "request.invalid_characters",
     "/withholding_override/dta_reference"),
    ({"source_account_id": "acc\u0000x"}, 422, "request.invalid_characters", "/source_account_id"),
    ({"destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456720",
                                                                "beneficiary_name": "X"}}},
     422, "fiscal.invalid_iban", "/destination/bank_details/iban"),
    ({"destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                "swift_bic": "SCBL PK KX"}}},
     422, "fiscal.invalid_bic", "/destination/bank_details/swift_bic"),
])
def test_bad_payments_change_nothing(zone, patch, status, code, pointer):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "50.00")
    before = counts(zone, MONEY_TABLES)
    body = payment(a, b, "10.00")
    body.update(patch)
    body = assert_problem(pay(zone, body), status, code, pointer=pointer)
    if code == "fiscal.insufficient_funds":
        assert (body["available"], body["requested"], body["currency"]) == ("50.00", "50.01", "PKR")
    assert counts(zone, MONEY_TABLES) == before
    assert balance(zone, a)["balance"] == "50.00" and balance(zone, b)["balance"] == "0.00"


def test_a_payment_checks_its_accounts_in_order(zone):
    """The accounts a payment names are read together (one round trip on PostgreSQL) but checked in the order a
    caller reads the request: the source, then the destination, then the withholding account; the first that
    fails is the answer, and nothing moves."""
    eid = entity(zone)
    a, b, usd = new_account(zone, eid), new_account(zone), new_account(zone, currency="USD")
    wh = new_account(zone, eid, account_type="withholding")
    deposit(zone, a, "100.00")
    nowhere = {"type": "internal_account", "account_id": "acc_nope"}
    withholding = {"amount": "4.50", "rate": "0.045", "section": "153(1)(a)", "tax_year": "2026"}
    cases = [
        (payment(a, a, "1.00"), "fiscal.same_account", "/destination/account_id"),
        (payment(a, b, "1.00", destination=nowhere), "fiscal.account_unknown", "/destination/account_id"),
        (payment(a, usd, "1.00"), "fiscal.currency_mismatch", "/destination/account_id"),
        # The source's problem comes first, whatever is wrong with the destination.
        (payment(a, b, "1.00", source_account_id="acc_nope", destination=nowhere), "fiscal.account_unknown",
         "/source_account_id"),
        (payment(a, b, "100.00", metadata={"withholding": dict(withholding, account_id="acc_nope")}),
         "fiscal.account_unknown", "/metadata/withholding/account_id"),
        (payment(a, b, "100.00", metadata={"withholding": dict(withholding, account_id=b["account_id"])}),
         "fiscal.withholding_account_invalid", "/metadata/withholding/account_id"),
        (payment(a, b, "100.00", destination=nowhere,
                 metadata={"withholding": dict(withholding, account_id="acc_nope")}),
         "fiscal.account_unknown", "/destination/account_id"),
    ]
    before = counts(zone, MONEY_TABLES)
    for body, code, pointer in cases:
        assert_problem(pay(zone, body), 422, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before
    # And with every account right, the same withholding is taken.
    r = pay(zone, payment(a, b, "100.00", metadata={"withholding": dict(withholding, account_id=wh["account_id"])}))
    assert r.status_code == 201, r.text
    assert [balance(zone, x)["balance"] for x in (a, b, wh)] == ["0.00", "95.50", "4.50"]


@pytest.mark.parametrize("status", ["STRUCK_OFF", "DISSOLVED", "REJECTED"])
def test_accounts_of_ended_entities_move_no_money(zone, status):
    """An entity that no longer exists neither pays nor is paid, by payment (source, destination or withholding
    account) or deposit: 409 fiscal.entity_inactive naming its status, and no money moves."""
    eid = entity(zone)
    a, wh = new_account(zone, eid), new_account(zone, eid, account_type="withholding")
    b, c = new_account(zone), new_account(zone)
    deposit(zone, a, "100.00")
    deposit(zone, b, "100.00")
    sql_exec(zone, "UPDATE mez_mass_entity SET status = '%s' WHERE entity_id = '%s'" % (status, eid))
    withholding = {"amount": "4.50", "rate": "0.045", "section": "153(1)(a)", "tax_year": "2026",
                   "account_id": wh["account_id"]}
    before = counts(zone, MONEY_TABLES)
    for body, pointer in [(payment(a, b, "10.00"), "/source_account_id"),
                          (payment(b, a, "10.00"), "/destination/account_id"),
                          (payment(a, b, "10.00", destination={"type": "external_bank",
                                                               "bank_details": {"iban": "PK36SCBL0000001123456702"}}),
                           "/source_account_id"),
                          (payment(b, c, "100.00", metadata={"withholding": withholding}),
                           "/metadata/withholding/account_id")]:
        problem = assert_problem(pay(zone, body), 409, "fiscal.entity_inactive", pointer=pointer)
        assert status in problem["detail"], problem
    problem = assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/deposits" % a["account_id"],
                                  {"amount": "5.00", "currency": "PKR", "reference": "late wire"}),
                             409, "fiscal.entity_inactive")
    assert "pointer" not in problem and status in problem["detail"]
    assert counts(zone, MONEY_TABLES) == before
    assert [balance(zone, x)["balance"] for x in (a, wh, b, c)] == ["100.00", "0.00", "100.00", "0.00"]


@pytest.mark.parametrize("status", ["SUSPENDED", "DISSOLVING", "PENDING_APPROVAL"])
def test_live_entities_keep_moving_money(zone, status):
    """A suspended entity's money is stopped by freezing its account, not by its status; a liquidator pays and is
    paid until the entity is dissolved."""
    eid = entity(zone)
    a, b = new_account(zone, eid), new_account(zone)
    sql_exec(zone, "UPDATE mez_mass_entity SET status = '%s' WHERE entity_id = '%s'" % (status, eid))
    deposit(zone, a, "100.00")
    assert pay(zone, payment(a, b, "10.00")).status_code == 201
    assert pay(zone, payment(b, a, "1.00")).status_code == 201
    assert [balance(zone, x)["balance"] for x in (a, b)] == ["91.00", "9.00"]


def test_frozen_accounts_refuse_and_malformed_json(zone):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "50.00")
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/status" % b["account_id"], {"status": "frozen", "reason": "AML"})
    assert r.status_code == 200 and r.json()["status"] == "frozen"
    before = counts(zone, MONEY_TABLES)
    assert_problem(pay(zone, payment(a, b, "1.00")), 409, "fiscal.account_frozen", pointer="/destination/account_id")
    assert_problem(pay(zone, payment(b, a, "1.00")), 409, "fiscal.account_frozen", pointer="/source_account_id")
    r = mass(zone, "POST", "/v1/fiscal/payments", data='{"source_account_id": ')
    assert r.status_code == 400 and r.json()["code"].startswith("json."), r.text
    r = mass(zone, "POST", "/v1/fiscal/payments", data='[1, 2]')
    assert_problem(r, 422, "request.not_an_object")
    assert counts(zone, MONEY_TABLES) == before
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/status" % b["account_id"], {"status": "active"})
    assert r.status_code == 200
    assert pay(zone, payment(a, b, "1.00")).status_code == 201


def test_idempotent_payments(zone):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "10.00")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = pay(zone, payment(a, b, "3.00"), headers=key)
    assert first.status_code == 201
    lines = zone.count("mez_mass_ledger_line")
    again = pay(zone, payment(a, b, "3.00"), headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert zone.count("mez_mass_ledger_line") == lines and balance(zone, a)["balance"] == "7.00"
    assert_problem(pay(zone, payment(a, b, "4.00"), headers=key), 422, "idempotency.key_reused")
    # the contract's own body key, unique per source account
    body = payment(a, b, "2.00", idempotency_key=str(uuid.uuid4()))
    first = pay(zone, body)
    assert first.status_code == 201
    again = pay(zone, body)
    assert again.status_code == 201 and again.json() == first.json()
    assert balance(zone, a)["balance"] == "5.00"
    assert_problem(pay(zone, dict(body, amount="1.00")), 422, "fiscal.idempotency_key_reused",
                   pointer="/idempotency_key")
    assert balance(zone, a)["balance"] == "5.00"


# ------------------------------------------------------------------------------------------------ holds

@pytest.mark.parametrize("reason", ["court\u0000order", "court\norder", "court\u007forder"])
def test_hold_reason_is_text(zone, reason):
    acc = new_account(zone)
    deposit(zone, acc, "10.00")
    before = counts(zone, MONEY_TABLES)
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/holds" % acc["account_id"],
                        {"amount": "1.00", "reason": reason}), 422, "request.invalid_characters", pointer="/reason")
    assert counts(zone, MONEY_TABLES) == before
    assert balance(zone, acc)["available"] == "10.00"


def test_holds(zone):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "100.00")
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/holds" % a["account_id"], {"amount": "70.00", "reason": "escrow"})
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["status"] == "active" and hold["account_available"] == "30.00"
    assert balance(zone, a)["available"] == "30.00"
    before = counts(zone, MONEY_TABLES)
    body = assert_problem(pay(zone, payment(a, b, "30.01")), 422, "fiscal.insufficient_funds")
    assert body["available"] == "30.00"
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/holds" % a["account_id"],
                        {"amount": "31", "reason": "x"}), 422, "fiscal.insufficient_funds", pointer="/amount")
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/holds" % a["account_id"],
                        {"amount": "1", "reason": "x", "expires_at": "2001-01-01T00:00:00Z"}), 422,
                   "fiscal.hold_expired", pointer="/expires_at")
    assert counts(zone, MONEY_TABLES) == before
    r = mass(zone, "POST", "/v1/fiscal/accounts/%s/holds/%s/release" % (a["account_id"], hold["hold_id"]), {})
    assert r.status_code == 200 and r.json()["status"] == "released" and r.json()["account_available"] == "100.00"
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/holds/%s/release" % (a["account_id"], hold["hold_id"]),
                        {}), 409, "fiscal.hold_not_active")
    assert_problem(mass(zone, "POST", "/v1/fiscal/accounts/%s/holds/hld_nope/release" % a["account_id"], {}), 404,
                   "mass.not_found")


def test_expired_hold_stops_counting(zone):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "10.00")
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    holds = []
    for amount in ("4.00", "6.00"):   # two holds ending together leave held together
        r = mass(zone, "POST", "/v1/fiscal/accounts/%s/holds" % a["account_id"],
                 {"amount": amount, "reason": "short", "expires_at": expires})
        assert r.status_code == 201, r.text
        holds.append(r.json()["hold_id"])
    assert_problem(pay(zone, payment(a, b, "1.00")), 422, "fiscal.insufficient_funds")
    time.sleep(3)
    assert balance(zone, a)["available"] == "10.00"
    assert pay(zone, payment(a, b, "10.00")).status_code == 201
    for hold_id in holds:
        assert value(zone, "SELECT status FROM mez_mass_hold WHERE hold_id = '%s'" % hold_id) == "expired"
    assert value(zone, "SELECT held FROM mez_mass_account WHERE account_id = '%s'" % a["account_id"]) == "0"


# ------------------------------------------------------------------------------------------------ concurrency

def test_concurrent_payments_never_overdraw(zone):
    a, b = new_account(zone), new_account(zone)
    deposit(zone, a, "50.00")  # covers 50 of the 160 payments of 1.00
    results = []
    lock = threading.Lock()

    def worker():
        for _ in range(20):
            r = pay(zone, payment(a, b, "1.00"))
            with lock:
                results.append((r.status_code, r.json().get("code")))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r[0] == 201]
    refused = [r for r in results if r[0] == 422]
    assert len(ok) == 50, results
    assert len(refused) == 110 and all(c == "fiscal.insufficient_funds" for _, c in refused), results
    assert balance(zone, a)["balance"] == "0.00" and balance(zone, b)["balance"] == "50.00"
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_payment WHERE source_account_id = '%s'" % a["account_id"]) == "50"


# ------------------------------------------------------------------------------------------------ the rest

def test_tax_rules_are_not_in_the_store(zone):
    """The store holds records, not law: it says where the zone answers instead (the zone API's calculation from
    its packs, t/test_withholding.py). Its tax report adds up its own records: t/test_tax_report.py."""
    body = assert_problem(mass(zone, "POST", "/v1/fiscal/withholding/calculate", {"entity_id": "x"}), 501,
                          "mass.not_in_store")
    assert "POST /v1/fiscal/withholding/calculate" in body["detail"]
    assert_problem(mass(zone, "GET", "/v1/fiscal/reporting/generate"), 405, "request.method_not_allowed")


def test_unknown_routes_and_methods(zone):
    assert_problem(mass(zone, "GET", "/v1/fiscal/nothing/here/at/all"), 404, "request.not_found")
    assert_problem(mass(zone, "PUT", "/v1/fiscal/payments", {}), 405, "request.method_not_allowed")
    r = mass(zone, "GET", "/v1/fiscal/status")
    assert r.status_code == 200 and r.json()["primitive"] == "fiscal"

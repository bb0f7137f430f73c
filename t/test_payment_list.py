# test_payment_list.py: GET /v1/fiscal/payments, the treasury's payments page by page (a store extension,
# libmezcore/src/mass_payment_list.c), in the sovereign store (/mass/v1/...) and through the zone API with the shipped
# policy (mod_mez_orchestrate.c serve_payments, mez_orch_payment_list_query), on both drivers: the filters (status,
# account, entity, destination type, creation time) on a processing bank payment, a settled internal one and a
# returned one; the fixed order (created_at, then payment_id: the settlement queue oldest first) across pages, also
# while payments settle between pages; an entity token listing its own entity's payments only; bad parameters
# refused with their pointer and nothing changed.
import json
import os
import uuid

import pytest

import mass_contract
from mass_fixtures import counts, entity, mass, sql_exec
from mez_harness import assert_problem, pk_zone_file, policy_conf, token_secret
from test_mass_client import operator_token, protected_store_conf, write_secret
from test_mass_fiscal import MONEY_TABLES, pay, payment

BANK = {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702", "beneficiary_name": "X"}}
CORRIDOR = {"type": "corridor_settlement", "corridor_id": "cor_pk_ae", "destination_zone_id": "ae-dubai"}


def listed(zone, query="", headers=None, path="/mass/v1/fiscal/payments"):
    r = zone.get(path + ("?" + query if query else ""), headers=headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["count"] == len(page["payments"])
    assert page["has_more"] == ("next_cursor" in page)
    for p in page["payments"]:
        mass_contract.check(zone.env.shared_dir, "fiscal", "Payment", p)
    return page


def ids(page):
    return [p["payment_id"] for p in page["payments"]]


def in_order(payments):
    """The list's order: created_at, then payment_id."""
    return [p["payment_id"] for p in sorted(payments, key=lambda p: (p["created_at"], p["payment_id"]))]


def made(r):
    assert r.status_code == 201, r.text
    return r.json()


def backdate(zone, payment_id, at):
    """Sets a payment's creation time (column and document), as if it had been made at `at`."""
    sql_exec(zone, "UPDATE mez_mass_payment SET doc = REPLACE(doc, '\"created_at\":\"' || created_at || '\"', "
                   "'\"created_at\":\"%s\"'), created_at = '%s' WHERE payment_id = '%s'" % (at, at, payment_id))


def three_payments(zone, headers=None, zone_id=None):
    """Payer A with 1000.00 and payee B: a processing bank payment, a settled internal one and a returned one (a
    bank payment the bank sent back, failed), all from A. zone_id: the zone whose entities A and B are (in a store
    several zones share, the zone whose token headers carries)."""
    h = headers or {}
    a_ent, b_ent = entity(zone, zone_id=zone_id), entity(zone, zone_id=zone_id)
    a, b = (made(mass(zone, "POST", "/v1/fiscal/accounts", {"entity_id": e, "account_type": "operating",
                                                           "currency": "PKR", "ntn": {"ntn_number": "1234567",
                                                                                      "ntn_type": "company"}},
                      headers=h)) for e in (a_ent, b_ent))
    made(mass(zone, "POST", "/v1/fiscal/accounts/%s/deposits" % a["account_id"],
              {"amount": "1000.00", "currency": "PKR", "reference": "capital"}, headers=h))
    bank = {"source_account_id": a["account_id"], "destination": BANK, "amount": "10.00", "currency": "PKR",
            "payment_type": "goods_payment"}
    processing = made(pay(zone, bank, headers=h))
    settled = made(pay(zone, payment(a, b, "20.00"), headers=h))
    returned = made(pay(zone, dict(bank, amount="30.00"), headers=h))
    r = mass(zone, "POST", "/v1/fiscal/payments/%s/return" % returned["payment_id"], {"reason": "AC04 closed account"},
             headers=h)
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    assert (processing["status"], settled["status"]) == ("processing", "settled")
    return {"a_ent": a_ent, "b_ent": b_ent, "a": a["account_id"], "b": b["account_id"],
            "processing": processing["payment_id"], "settled": settled["payment_id"],
            "returned": returned["payment_id"]}


# ------------------------------------------------------------------------------------------------ the store

def test_filters(zone):
    w = three_payments(zone)
    everything = listed(zone, "account_id=" + w["a"])
    assert sorted(ids(everything)) == sorted([w["processing"], w["settled"], w["returned"]])
    assert ids(everything) == in_order(everything["payments"])
    assert not everything["has_more"]
    # By status: each its own; the list's documents are the payments as GET /v1/fiscal/payments/{id} reads them.
    for status, pid in (("processing", "processing"), ("settled", "settled"), ("failed", "returned")):
        page = listed(zone, "entity_id=%s&status=%s" % (w["a_ent"], status))
        assert ids(page) == [w[pid]], (status, page)
        assert page["payments"][0] == mass(zone, "GET", "/v1/fiscal/payments/" + w[pid]).json()
    # The payee's account and entity see the internal payment it received, and nothing else.
    assert ids(listed(zone, "account_id=" + w["b"])) == [w["settled"]]
    assert ids(listed(zone, "entity_id=" + w["b_ent"])) == [w["settled"]]
    assert sorted(ids(listed(zone, "entity_id=" + w["a_ent"]))) == sorted(ids(everything))
    # By destination.
    page = listed(zone, "entity_id=%s&destination_type=external_bank" % w["a_ent"])
    assert sorted(ids(page)) == sorted([w["processing"], w["returned"]])
    assert ids(listed(zone, "entity_id=%s&destination_type=internal_account" % w["a_ent"])) == [w["settled"]]
    assert ids(listed(zone, "entity_id=%s&destination_type=corridor_settlement" % w["a_ent"])) == []
    # An id that names nothing matches nothing.
    empty = listed(zone, "entity_id=ent_" + "0" * 64)
    assert empty == {"payments": [], "count": 0, "has_more": False}
    # Unfiltered: every payment of the store, in the list's order.
    page = listed(zone, "limit=1000")
    assert ids(page) == in_order(page["payments"]) and set(ids(everything)) <= set(ids(page))


def test_the_settlement_queue_is_oldest_first(zone):
    w = three_payments(zone)
    more = [made(pay(zone, {"source_account_id": w["a"], "destination": d, "amount": "1.00", "currency": "PKR",
                            "payment_type": "service_fee"}))["payment_id"] for d in (BANK, CORRIDOR, BANK)]
    # Made out of order: the corridor payment first, two in one second (ordered by id), the first bank one last.
    backdate(zone, more[1], "2020-01-10T08:00:00Z")
    backdate(zone, more[0], "2020-01-11T09:30:00Z")
    backdate(zone, more[2], "2020-01-11T09:30:00Z")
    backdate(zone, w["processing"], "2020-01-12T00:00:00Z")
    backdate(zone, w["settled"], "2020-01-09T00:00:00Z")
    queue = listed(zone, "status=processing&account_id=" + w["a"])
    tied = sorted([more[0], more[2]])
    assert ids(queue) == [more[1]] + tied + [w["processing"]]
    assert [p["created_at"] for p in queue["payments"]] == ["2020-01-10T08:00:00Z", "2020-01-11T09:30:00Z",
                                                            "2020-01-11T09:30:00Z", "2020-01-12T00:00:00Z"]
    assert all(p["status"] == "processing" for p in listed(zone, "status=processing&limit=1000")["payments"])
    # A time window: strictly after, strictly before, in any offset (%2B is '+'), fractions of a second too.
    window = "status=processing&account_id=%s&created_after=%s&created_before=%s"
    assert ids(listed(zone, window % (w["a"], "2020-01-10T08:00:00Z", "2020-01-12T00:00:00Z"))) == tied
    assert ids(listed(zone, window % (w["a"], "2020-01-10T13:00:00.5%2B05:00", "2020-01-12T05:00:00.1%2B05:00"))) \
        == tied + [w["processing"]]
    assert ids(listed(zone, window % (w["a"], "2020-01-10T07:59:59.999Z", "2020-01-11T09:30:00.000001Z"))) \
        == [more[1]] + tied
    assert ids(listed(zone, "account_id=%s&created_before=2020-01-10T00:00:00Z" % w["a"])) == [w["settled"]]
    # Bounds beyond any payment: nothing after the year 9999, nothing before 1000, everything after the year 1.
    assert ids(listed(zone, "account_id=%s&created_after=9999-12-31T23:59:59Z" % w["a"])) == []
    assert ids(listed(zone, "account_id=%s&created_before=0999-12-31T23:59:59Z" % w["a"])) == []
    assert len(ids(listed(zone, "account_id=%s&created_after=0001-01-01T00:00:00-05:00&created_before="
                                "9999-12-31T23:59:59%%2B14:00" % w["a"]))) == 6
    # Settling the oldest takes it off the queue.
    r = mass(zone, "POST", "/v1/fiscal/payments/%s/settle" % more[1], {"reference": "FT1"})
    assert r.status_code == 200, r.text
    assert ids(listed(zone, "status=processing&account_id=" + w["a"])) == tied + [w["processing"]]


def test_pages_in_a_stable_order(zone):
    w = three_payments(zone)
    for i in range(5):
        made(pay(zone, {"source_account_id": w["a"], "destination": BANK, "amount": "1.00", "currency": "PKR",
                        "payment_type": "service_fee"}))
    whole = listed(zone, "account_id=" + w["a"])
    assert len(ids(whole)) == 8 and ids(whole) == in_order(whole["payments"])
    got, cursor, pages = [], None, 0
    while True:
        page = listed(zone, "account_id=%s&limit=3%s" % (w["a"], "&cursor=" + cursor if cursor else ""))
        pages += 1
        got += ids(page)
        if not page["has_more"]:
            break
        assert page["count"] == 3
        cursor = page["next_cursor"]
        last = page["payments"][-1]
        assert cursor == last["created_at"] + "_" + last["payment_id"]
    assert got == ids(whole) and pages == 3
    # The queue read page by page while the treasury settles: a payment settled after its page was read is simply
    # not on a later one; none is repeated, none still processing is skipped.
    first = listed(zone, "status=processing&account_id=%s&limit=2" % w["a"])
    rest_before = ids(listed(zone, "status=processing&account_id=%s&limit=1000" % w["a"]))[2:]
    settled_now = rest_before[0]
    r = mass(zone, "POST", "/v1/fiscal/payments/%s/settle" % settled_now, {"reference": "FT2"})
    assert r.status_code == 200, r.text
    second = listed(zone, "status=processing&account_id=%s&limit=1000&cursor=%s" % (w["a"], first["next_cursor"]))
    assert ids(second) == rest_before[1:]


@pytest.mark.parametrize("query,code,pointer", [
    ("status=pending", "request.invalid_parameter", "/status"),
    ("status=reversed", "request.invalid_parameter", "/status"),
    ("status=", "request.invalid_parameter", "/status"),
    ("destination_type=wire", "request.invalid_parameter", "/destination_type"),
    ("account_id=", "request.invalid_parameter", "/account_id"),
    ("account_id=acc%20x", "request.invalid_parameter", "/account_id"),
    ("entity_id=ent%2F..", "request.invalid_parameter", "/entity_id"),
    ("created_after=yesterday", "request.invalid_parameter", "/created_after"),
    ("created_before=2026-01-01", "request.invalid_parameter", "/created_before"),
    ("created_after=2026-01-01T00:00:00+05:00", "request.invalid_parameter", "/created_after"),  # '+' is a space
    ("created_after=2026-01-01T00:00:00", "request.invalid_parameter", "/created_after"),
    ("created_before=2026-02-30T00:00:00Z", "request.invalid_parameter", "/created_before"),
    ("limit=0", "request.invalid_parameter", "/limit"),
    ("limit=1001", "request.invalid_parameter", "/limit"),
    ("limit=01", "request.invalid_parameter", "/limit"),
    ("limit=-1", "request.invalid_parameter", "/limit"),
    ("limit=ten", "request.invalid_parameter", "/limit"),
    ("cursor=pay_x", "request.invalid_parameter", "/cursor"),
    ("cursor=2026-01-01T00:00:00Z_pay_" + "0" * 63, "request.invalid_parameter", "/cursor"),
    ("cursor=2026-13-01T00:00:00Z_pay_" + "0" * 64, "request.invalid_parameter", "/cursor"),
    ("sort=created_at", "request.unknown_parameter", "/sort"),
    ("status=processing&status=settled", "request.invalid_parameter", "/status"),
])
def test_bad_parameters(zone, query, code, pointer):
    before = counts(zone, MONEY_TABLES)
    assert_problem(zone.get("/mass/v1/fiscal/payments?" + query), 400, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before


def test_other_methods(zone):
    r = zone.request("PUT", "/mass/v1/fiscal/payments", json={})
    assert_problem(r, 405, "request.method_not_allowed")


# ------------------------------------------------------------------------------------------------ the zone API

@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    zone = module_zones(driver, name="paylist", extra_conf=policy_conf(mez_env))
    op = {"Authorization": "Bearer " + token_secret(zone, "operator")}
    w = three_payments(zone, op)
    # A third entity's bank payment: in the treasury's queue, not in A's or B's lists.
    c_ent = entity(zone)
    c = made(mass(zone, "POST", "/v1/fiscal/accounts", {"entity_id": c_ent, "account_type": "operating",
                                                        "currency": "PKR", "ntn": {"ntn_number": "7654321",
                                                                                   "ntn_type": "company"}},
                  headers=op))
    made(mass(zone, "POST", "/v1/fiscal/accounts/%s/deposits" % c["account_id"],
              {"amount": "50.00", "currency": "PKR", "reference": "capital"}, headers=op))
    w["c_ent"], w["c"] = c_ent, c["account_id"]
    w["c_processing"] = made(pay(zone, {"source_account_id": c["account_id"], "destination": BANK, "amount": "5.00",
                                        "currency": "PKR", "payment_type": "service_fee"}, headers=op))["payment_id"]
    w["zone"] = zone
    w["tokens"] = {"operator": op, "regulator": {"Authorization": "Bearer " + token_secret(zone, "regulator")},
                   "a": {"Authorization": "Bearer " + token_secret(zone, "entity", w["a_ent"])},
                   "b": {"Authorization": "Bearer " + token_secret(zone, "entity", w["b_ent"])},
                   "watcher": {"Authorization": "Bearer " + token_secret(zone, "watcher")}}
    return w


def zone_list(world, caller, query=""):
    return listed(world["zone"], query, headers=world["tokens"][caller], path="/v1/fiscal/payments")


def test_operators_and_regulators_see_every_payment(world):
    for caller in ("operator", "regulator"):
        queue = zone_list(world, caller, "status=processing")
        assert ids(queue) == in_order(queue["payments"])
        assert {world["processing"], world["c_processing"]} <= set(ids(queue))
        assert world["settled"] not in ids(queue) and world["returned"] not in ids(queue)
        assert ids(zone_list(world, caller, "entity_id=" + world["c_ent"])) == [world["c_processing"]]
        # As the store lists them.
        assert zone_list(world, caller, "limit=1000") == listed(world["zone"], "limit=1000",
                                                                headers=world["tokens"]["operator"])


def test_an_entity_lists_its_own_payments_only(world):
    zone = world["zone"]
    mine = zone_list(world, "a")
    assert sorted(ids(mine)) == sorted([world["processing"], world["settled"], world["returned"]])
    assert zone_list(world, "a", "entity_id=" + world["a_ent"]) == mine
    assert ids(zone_list(world, "a", "status=processing")) == [world["processing"]]
    # Another entity's account as a filter: still its own payments only (none of them touch it).
    assert ids(zone_list(world, "a", "account_id=" + world["c"])) == []
    # The payee lists the payment it received.
    assert ids(zone_list(world, "b")) == [world["settled"]]
    # Naming another entity is refused, not answered with an empty page.
    for caller, other in (("a", world["c_ent"]), ("b", world["a_ent"]), ("a", "ent_" + "0" * 64)):
        assert_problem(zone.get("/v1/fiscal/payments?entity_id=" + other, headers=world["tokens"][caller]), 403,
                       "auth.not_entity_owner", pointer="/entity_id")
    assert_problem(zone.get("/v1/fiscal/payments?entity_id=", headers=world["tokens"]["a"]), 400,
                   "request.invalid_parameter", pointer="/entity_id")
    assert_problem(zone.get("/v1/fiscal/payments", headers=world["tokens"]["watcher"]), 403, "auth.forbidden_role")
    assert_problem(zone.get("/v1/fiscal/payments"), 401)


def test_zone_api_pages_and_refuses_bad_parameters(world):
    zone, op = world["zone"], world["tokens"]["operator"]
    whole = ids(zone_list(world, "operator", "limit=1000"))
    got, cursor = [], None
    while True:
        page = zone_list(world, "operator", "limit=2" + ("&cursor=" + cursor if cursor else ""))
        got += ids(page)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert got == whole
    # An offset's '+' as typed (the zone API reads it as '+') or encoded, both the same window.
    since = "2000-01-01T05:00:00%s05:00"
    assert ids(zone_list(world, "operator", "created_after=" + since % "+")) == whole
    assert ids(zone_list(world, "operator", "created_after=" + since % "%2B")) == whole
    before = counts(zone, MONEY_TABLES)
    for query, code, pointer in (("sort=oldest", "request.unknown_parameter", "/sort"),
                                 ("status=processing&status=failed", "request.invalid_parameter", "/status"),
                                 ("status=waiting", "request.invalid_parameter", "/status"),
                                 ("limit=5000", "request.invalid_parameter", "/limit"),
                                 ("created_before=soon", "request.invalid_parameter", "/created_before"),
                                 ("cursor=" + uuid.uuid4().hex, "request.invalid_parameter", "/cursor"),
                                 ("account_id=acc%25x", "request.invalid_parameter", "/account_id")):
        assert_problem(zone.get("/v1/fiscal/payments?" + query, headers=op), 400, code, pointer=pointer)
    assert counts(zone, MONEY_TABLES) == before
    r = zone.request("DELETE", "/v1/fiscal/payments", headers=op)
    assert_problem(r, 405, "request.method_not_allowed")
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


# ------------------------------------------------------------------------------------------------ one store, two zones

@pytest.fixture(scope="module")
def shared(module_zones, driver, mez_env):
    """Store B (the shipped policy: /mass for operator tokens) is the remote fiscal primitive of zones A and C, each
    calling it with a token B made for it (`mez token create --mass-zone`). Each zone's three payments are made
    through its own token, as its Mass gateway sends them; B's own operator makes three more."""
    b = module_zones(driver, name="shareb", extra_conf=policy_conf(mez_env))
    w = {"b": b, "op": {"Authorization": "Bearer " + token_secret(b, "operator")}}
    for name in ("a", "c"):
        # A runs on the Pakistan packs, so that its zone API decides writes (a settlement) as well as reads.
        zone_id, zone_file = ("pk-sifc", pk_zone_file(mez_env, "sharea")) if name == "a" else \
            ("test-sharec-" + driver, None)
        secret = token_secret(b, "operator", mass_zone=zone_id)
        token_file = write_secret(os.path.join(mez_env.new_dir("share" + name), "mass.token"), secret)
        w[name] = module_zones(driver, name="share" + name, zone_id=zone_id, zone_file=zone_file,
                               extra_conf="MezMassEndpoint fiscal %s\nMezMassTokenFile %s\nMezMassTimeout 5"
                                          % (b.url("/mass"), token_file))
        w[name + "_token"] = {"Authorization": "Bearer " + secret}
        w[name + "_pay"] = three_payments(b, w[name + "_token"], zone_id)
    w["b_pay"] = three_payments(b, w["op"])
    return w


PAYMENTS = ("processing", "settled", "returned")


def payment_ids(made):
    return {made[k] for k in PAYMENTS}


def stamp(zone, payment_id):
    return zone.db.query_value("SELECT COALESCE(zone_id, '-') FROM mez_mass_payment WHERE payment_id = '%s'"
                               % payment_id)


def test_each_zone_lists_its_own_payments_only(shared):
    b, a, c = shared["b"], shared["a"], shared["c"]
    for me, other in (("a", "c"), ("c", "a")):
        zone, mine, theirs = shared[me], shared[me + "_pay"], shared[other + "_pay"]
        # The zone API (the gateway calls B with the zone's token) and B's store asked with that token agree.
        page = listed(zone, "limit=1000", path="/v1/fiscal/payments")
        assert ids(page) == in_order(page["payments"]) and set(ids(page)) == payment_ids(mine)
        assert listed(b, "limit=1000", headers=shared[me + "_token"]) == page
        assert ids(listed(zone, "status=processing", path="/v1/fiscal/payments")) == [mine["processing"]]
        # Filters apply within the zone's payments: another zone's entity or account lists nothing.
        for q in ("entity_id=" + theirs["a_ent"], "account_id=" + theirs["a"], "status=processing&account_id="
                  + theirs["a"]):
            assert ids(listed(zone, q, path="/v1/fiscal/payments")) == [], q
        # Paging walks the zone's payments only.
        got, cursor = [], None
        while True:
            p = listed(zone, "limit=1" + ("&cursor=" + cursor if cursor else ""), path="/v1/fiscal/payments")
            got += ids(p)
            cursor = p.get("next_cursor")
            if not cursor:
                break
        assert got == ids(page)
        # Stamped with the zone the token was made for.
        assert {stamp(b, x) for x in payment_ids(mine)} == {zone.zone_id}
        # B's refusal of a parameter reaches the zone's caller as B gave it, pointer included.
        assert_problem(zone.get("/v1/fiscal/payments?created_after=2026-01-01"), 400, "request.invalid_parameter",
                       pointer="/created_after")
    # B's own: its operator's payments are stamped with B, and B (its operator at /mass, its zone API) sees all nine.
    assert {stamp(b, x) for x in payment_ids(shared["b_pay"])} == {b.zone_id}
    every = payment_ids(shared["a_pay"]) | payment_ids(shared["c_pay"]) | payment_ids(shared["b_pay"])
    assert set(ids(listed(b, "limit=1000", headers=shared["op"]))) == every
    assert set(ids(listed(b, "limit=1000", headers=shared["op"], path="/v1/fiscal/payments"))) == every
    queue = listed(b, "status=processing", headers=shared["op"], path="/v1/fiscal/payments")
    assert ids(queue) == in_order(queue["payments"])
    assert set(ids(queue)) == {shared[z + "_pay"]["processing"] for z in ("a", "b", "c")}


def problem_without(r, payment_id):
    """A 404 problem as the caller sees it, the id it asked for taken out."""
    p = assert_problem(r, 404, "mass.not_found")
    return {k: v.replace(payment_id, "<id>") if isinstance(v, str) else v for k, v in p.items()}


def bank_payment(zone, w, headers):
    """A fresh processing bank payment from the payer account three_payments made (w)."""
    return made(pay(zone, {"source_account_id": w["a"], "destination": BANK, "amount": "1.00", "currency": "PKR",
                           "payment_type": "service_fee"}, headers=headers))["payment_id"]


def test_another_zones_payment_is_as_unknown(shared):
    """A asking for, settling or returning C's payment (through A's zone API, or B's store with A's token) is
    answered as for an id that names nothing, and nothing changes; C settles it."""
    b, a = shared["b"], shared["a"]
    theirs, unknown = bank_payment(b, shared["c_pay"], shared["c_token"]), "pay_" + "0" * 64
    before = (counts(b, MONEY_TABLES), b.count("mez_mass_tax_event"), a.count("mez_audit"), b.count("mez_audit"))
    doc = mass(b, "GET", "/v1/fiscal/payments/" + theirs, headers=shared["op"]).json()
    assert doc["status"] == "processing"
    store = lambda method, path, body=None: b.request(method, "/mass" + path, json=body, headers=shared["a_token"])
    zone_api = lambda method, path, body=None: a.request(method, path, json=body, headers={
        "Idempotency-Key": str(uuid.uuid4())} if body else None)
    for ask in (store, zone_api):
        for method, path, body in (("GET", "/v1/fiscal/payments/%s", None),
                                   ("POST", "/v1/fiscal/payments/%s/settle", {"reference": "FT26015ABC123"}),
                                   ("POST", "/v1/fiscal/payments/%s/return", {"reason": "AC04 closed account"})):
            assert problem_without(ask(method, path % theirs, body), theirs) == \
                problem_without(ask(method, path % unknown, body), unknown), (ask, path)
    assert (counts(b, MONEY_TABLES), b.count("mez_mass_tax_event"), a.count("mez_audit"), b.count("mez_audit")) \
        == before
    assert mass(b, "GET", "/v1/fiscal/payments/" + theirs, headers=shared["op"]).json() == doc
    # Its own zone settles it, and B's operator reads it settled.
    r = mass(b, "POST", "/v1/fiscal/payments/%s/settle" % theirs, {"reference": "FT26015ABC124"},
             headers=shared["c_token"])
    assert r.status_code == 200 and r.json()["status"] == "settled", r.text
    assert mass(b, "GET", "/v1/fiscal/payments/" + theirs, headers=shared["op"]).json()["status"] == "settled"
    # A's zone API settles A's own, through the same gateway and token.
    mine = bank_payment(b, shared["a_pay"], shared["a_token"])
    r = a.post("/v1/fiscal/payments/%s/settle" % mine, json={"reference": "FT26015ABC125"},
               headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    assert mass(b, "GET", "/v1/fiscal/payments/" + mine, headers=shared["op"]).json()["status"] == "settled"


def test_tax_events_and_reports_are_the_zones_own(shared):
    """C's payment withholds tax: C (and B's operator) list the payer's event and report it on both sides; A, naming
    the same entities (C's: schema 25), is answered as for entities that do not exist, through its zone API as
    through B's store."""
    b, a, h = shared["b"], shared["a"], shared["c_token"]
    payer, payee = entity(b, zone_id=shared["c"].zone_id), entity(b, zone_id=shared["c"].zone_id)
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    src, wh, dst = (made(mass(b, "POST", "/v1/fiscal/accounts", {"entity_id": e, "account_type": t, "currency": "PKR",
                                                                 "ntn": ntn}, headers=h))
                    for e, t in ((payer, "operating"), (payer, "withholding"), (payee, "operating")))
    made(mass(b, "POST", "/v1/fiscal/accounts/%s/deposits" % src["account_id"],
              {"amount": "1000.00", "currency": "PKR", "reference": "capital"}, headers=h))
    p = made(pay(b, payment(src, dst, "1000.00", metadata={"withholding": {
        "amount": "45.00", "rate": "0.045", "statute": "Income Tax Ordinance 2001", "section": "153(1)(a)",
        "account_id": wh["account_id"], "tax_year": "2026"}}), headers=h))

    def events(ask, eid):
        r = ask("GET", "/v1/fiscal/%s/tax-events?tax_year=2026" % eid)
        assert r.status_code == 200, r.text
        return r.json()["total_count"], [e["tax_event_id"] for e in r.json()["events"]]

    def report(ask, eid):
        r = ask("POST", "/v1/fiscal/reporting/generate", {"entity_id": eid, "tax_year": "2026",
                                                          "output_format": "summary"})
        assert r.status_code == 200, r.text
        s = r.json()["summary"]
        return (s["total_tax_events"], s["total_withholding_collected"], s["total_withholding_deducted"],
                s["total_income"])

    as_c = lambda method, path, body=None: b.request(method, "/mass" + path, json=body, headers=h)
    as_b = lambda method, path, body=None: b.request(method, "/mass" + path, json=body, headers=shared["op"])
    as_a = lambda method, path, body=None: b.request(method, "/mass" + path, json=body, headers=shared["a_token"])
    a_api = lambda method, path, body=None: a.request(method, path, json=body)
    for ask in (as_c, as_b):
        assert events(ask, payer) == (1, [p["tax_event_id"]])
        assert report(ask, payer) == (1, "45.00", "0.00", "0.00")
        assert report(ask, payee) == (1, "0.00", "45.00", "1000.00")
    unknown = "ent_" + "0" * 64
    for ask in (as_a, a_api):
        for eid in (payer, payee):
            assert problem_without(ask("GET", "/v1/fiscal/%s/tax-events?tax_year=2026" % eid), eid) == \
                problem_without(ask("GET", "/v1/fiscal/%s/tax-events?tax_year=2026" % unknown), unknown)
            body = lambda e: {"entity_id": e, "tax_year": "2026", "output_format": "summary"}
            theirs, none = (ask("POST", "/v1/fiscal/reporting/generate", body(e)) for e in (eid, unknown))
            assert_problem(none, 422, "fiscal.entity_unknown", pointer="/entity_id")
            assert (theirs.status_code, theirs.json()["detail"].replace(eid, "<id>")) == \
                (none.status_code, none.json()["detail"].replace(unknown, "<id>"))


def test_a_zone_token_is_for_the_store_only(shared):
    """A token B made for zone A is A's key to B's store: on B's zone API it would act as B's own operator (and list
    every zone's payments), so it is refused there; it may ask who it is."""
    b, h = shared["b"], shared["a_token"]
    before = (counts(b, MONEY_TABLES), b.count("mez_audit"))
    for method, path, body in (("GET", "/v1/fiscal/payments", None), ("GET", "/v1/entities", None),
                               ("GET", "/v1/fiscal/payments/" + shared["a_pay"]["processing"], None),
                               ("POST", "/v1/fiscal/payments/%s/settle" % shared["a_pay"]["processing"],
                                {"reference": "FT1"})):
        p = assert_problem(b.request(method, path, json=body, headers=h), 403, "auth.mass_zone_token")
        assert "pk-sifc" in p["detail"], p
    me = b.get("/v1/whoami", headers=h)
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["zone_id"], me.json()["mass_zone_id"]) == ("operator", b.zone_id, "pk-sifc")
    assert "mass_zone_id" not in b.get("/v1/whoami", headers=shared["op"]).json()
    assert (counts(b, MONEY_TABLES), b.count("mez_audit")) == before
    # At the store its writes are audited with the zone they were made for.
    pid = bank_payment(b, shared["a_pay"], h)
    row = b.db.query_value("SELECT detail FROM mez_audit WHERE resource_id = '%s'" % pid)
    assert json.loads(row)["mass_zone_id"] == "pk-sifc", row


def test_payments_from_before_the_stamp_are_no_zones(shared):
    """A payment made before migration 0023 has no zone (the store did not record for whom): no zone's token lists,
    reads, settles or returns it; B's own callers still do."""
    b, a, h = shared["b"], shared["a"], shared["a_token"]
    pid = bank_payment(b, shared["a_pay"], h)
    sql_exec(b, "UPDATE mez_mass_payment SET zone_id = NULL WHERE payment_id = '%s'" % pid)
    assert pid not in ids(listed(a, "limit=1000", path="/v1/fiscal/payments"))
    assert pid not in ids(listed(b, "status=processing", headers=h))
    before = counts(b, MONEY_TABLES)
    assert_problem(a.get("/v1/fiscal/payments/" + pid), 404, "mass.not_found")
    assert_problem(mass(b, "POST", "/v1/fiscal/payments/%s/return" % pid, {"reason": "AC04"}, headers=h), 404,
                   "mass.not_found")
    assert counts(b, MONEY_TABLES) == before
    assert pid in ids(listed(b, "status=processing", headers=shared["op"]))
    r = mass(b, "POST", "/v1/fiscal/payments/%s/return" % pid, {"reason": "AC04 closed account"}, headers=shared["op"])
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text

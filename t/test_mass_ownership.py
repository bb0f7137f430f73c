# test_mass_ownership.py: the sovereign Mass store's ownership primitive over HTTP (/mass/v1/ownership/...), on both
# drivers: cap tables, share classes, transfers and issuances, checked against the ownership contract; the state
# digest recomputed from what GET answers; issued totals kept and positions never negative, also under concurrency;
# bad inputs that change nothing.
import hashlib
import threading
import time
import uuid

import pytest

import mass_contract
from mass_fixtures import counts, entity, mass, sql_exec, value
from mez_harness import assert_problem, jcs

TABLES = ["mez_mass_cap_table", "mez_mass_share_class", "mez_mass_holding", "mez_mass_share_transfer",
          "mez_mass_share_issuance"]


def check(zone, schema, doc, patch=None):
    mass_contract.check(zone.env.shared_dir, "ownership", schema, doc, patch)


def unknown_basis(doc):
    # Deviation on purpose: when the seller's cost basis is unknown the store does not invent one (a zero basis would
    # overstate the gain), so the basis, the gain and the gain/loss classification are left out of the tax event.
    req = doc["components"]["schemas"]["TaxEvent"]["required"]
    for name in ("cost_basis_per_share", "gain_or_loss", "event_type"):
        req.remove(name)


@pytest.fixture(autouse=True)
def cap_tables_consistent(zone):
    """After every test: issued = sum of positions <= authorized for every class, no position below zero."""
    yield
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_share_class s WHERE issued_shares > authorized_shares OR "
                       "issued_shares <> (SELECT COALESCE(SUM(shares), 0) FROM mez_mass_holding h "
                       "WHERE h.share_class_id = s.share_class_id)") == "0"
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_holding WHERE shares < 0") == "0"


def init_body(eid):
    return {
        "entity_id": eid,
        "share_classes": [
            {"name": "Ordinary", "authorized_shares": "1000", "par_value": "10", "currency": "PKR",
             "voting_rights": {"votes_per_share": 1},
             "transfer_restrictions": {"rofr": True, "lock_up_expiry": "2026-01-01"}},
            {"name": "Preferred", "authorized_shares": "100", "currency": "PKR",
             "dividend_preference": {"preference_type": "cumulative", "rate": "0.08"},
             "liquidation_preference": {"multiple": "1.0"},
             "transfer_restrictions": {"board_approval_required": True}},
        ],
        "initial_holders": [
            {"holder_id": "alice", "holder_type": "individual", "name": "Alice", "share_class_name": "Ordinary",
             "shares": "600", "cost_basis_per_share": "10", "ntn": "1234567-8"},
            {"holder_id": "bob", "holder_type": "individual", "share_class_name": "Ordinary", "shares": "100"},
            {"holder_id": "fund1", "holder_type": "fund", "share_class_name": "Preferred", "shares": "50",
             "cost_basis_per_share": "100"},
        ],
    }


def new_cap_table(zone):
    eid = entity(zone)
    body = init_body(eid)
    check(zone, "CapTableInitRequest", body)
    r = mass(zone, "POST", "/v1/ownership/cap-table", body)
    assert r.status_code == 201, r.text
    cap = r.json()
    check(zone, "CapTable", cap)
    return eid, cap, {c["name"]: c["share_class_id"] for c in cap["share_classes"]}


def state_digest(cap):
    state = {k: v for k, v in cap.items() if k not in ("cap_table_id", "created_at", "updated_at",
                                                       "state_digest_sha256")}
    return hashlib.sha256(jcs(state)).hexdigest()


def get_cap(zone, eid):
    r = mass(zone, "GET", "/v1/ownership/%s/cap-table" % eid)
    assert r.status_code == 200, r.text
    check(zone, "CapTable", r.json())
    return r.json()


def position(cap, holder, cls):
    for h in cap["holders"]:
        if h["holder_id"] == holder and h["share_class_id"] == cls:
            return int(h["shares_held"])
    return 0


def day(offset=0):
    """The UTC calendar date offset days from today."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))


def transfer_body(eid, cls, frm, to, shares, price="12.5", **extra):
    body = {"entity_id": eid, "share_class_id": cls, "from_holder_id": frm, "to_holder_id": to, "shares": shares,
            "transfer_price_per_share": price, "transfer_date": day()}
    body.update(extra)
    return body


def test_cap_table_and_share_classes(zone):
    eid, cap, cls = new_cap_table(zone)
    assert (cap["total_authorized_shares"], cap["total_issued_shares"], cap["fully_diluted_shares"]) == \
        ("1100", "750", "750")
    assert cap["state_digest_sha256"] == state_digest(cap)
    assert position(cap, "alice", cls["Ordinary"]) == 600
    got = get_cap(zone, eid)
    assert got == cap
    r = mass(zone, "GET", "/v1/ownership/%s/cap-table?include_fully_diluted=false" % eid)
    assert r.status_code == 200 and "fully_diluted_shares" not in r.json()
    assert r.json()["state_digest_sha256"] == state_digest(r.json())
    r = mass(zone, "GET", "/v1/ownership/%s/share-classes" % eid)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"entity_id", "share_classes"} and body["entity_id"] == eid
    for sc in body["share_classes"]:
        check(zone, "ShareClass", sc)
    assert {sc["name"]: sc["issued_shares"] for sc in body["share_classes"]} == {"Ordinary": "700", "Preferred": "50"}
    r = mass(zone, "GET", "/v1/ownership/%s/share-classes?status=retired" % eid)
    assert r.json()["share_classes"] == []
    assert_problem(mass(zone, "GET", "/v1/ownership/%s/share-classes?status=x" % eid), 400, "request.invalid_query")
    assert_problem(mass(zone, "GET", "/v1/ownership/ent_nope/cap-table"), 404, "mass.not_found")
    assert_problem(mass(zone, "GET", "/v1/ownership/%s/cap-table?as_of=2026-01-01T00:00:00Z" % eid), 501,
                   "ownership.history_not_kept")


def test_one_cap_table_per_entity(zone):
    eid, cap, _ = new_cap_table(zone)
    before = counts(zone, TABLES)
    assert_problem(mass(zone, "POST", "/v1/ownership/cap-table", init_body(eid)), 409, "ownership.cap_table_exists",
                   pointer="/entity_id")
    assert counts(zone, TABLES) == before


@pytest.mark.parametrize("mutate,status,code,pointer", [
    (lambda b: b.update(entity_id="ent_nope"), 422, "ownership.entity_unknown", "/entity_id"),
    (lambda b: b["initial_holders"][1].update(shares="401"), 422, "ownership.exceeds_authorized",
     "/initial_holders/1/shares"),
    (lambda b: b["initial_holders"][0].update(share_class_name="Common"), 422, "ownership.unknown_share_class",
     "/initial_holders/0/share_class_name"),
    (lambda b: b["share_classes"][1].update(name="Ordinary"), 422, "ownership.duplicate_share_class",
     "/share_classes/1/name"),
    (lambda b: b["share_classes"][0].update(authorized_shares="1e3"), 422, "ownership.invalid_shares",
     "/share_classes/0/authorized_shares"),
    (lambda b: b["share_classes"][0].update(authorized_shares=1000), 422, "request.invalid_type",
     "/share_classes/0/authorized_shares"),
    (lambda b: b["initial_holders"][0].update(ntn="12345678"), 422, "ownership.invalid_ntn", "/initial_holders/0/ntn"),
    (lambda b: b["initial_holders"][0].update(shares="-5"), 422, "ownership.invalid_shares",
     "/initial_holders/0/shares"),
    (lambda b: b["share_classes"][0]["voting_rights"].update(veto=True), 422, "request.unknown_field",
     "/share_classes/0/voting_rights/veto"),
    (lambda b: b.update(share_classes=[]), 422, "request.too_few_items", "/share_classes"),
    (lambda b: b["initial_holders"][0].update(name="Alice\u0000Smith"), 422, "request.invalid_characters",
     "/initial_holders/0/name"),
    (lambda b: b["share_classes"][0].update(name="Ordinary\r"), 422, "request.invalid_characters",
     "/share_classes/0/name"),
    # 9,300 classes of 10^15 shares summed past int64 into a negative total; 101 are refused before any sum
    (lambda b: b.update(share_classes=[{"name": "c%d" % i, "authorized_shares": "1000000000000000"}
                                       for i in range(101)], initial_holders=[]), 422, "request.too_many_items",
     "/share_classes"),
])
def test_bad_cap_tables_change_nothing(zone, mutate, status, code, pointer):
    body = init_body(entity(zone))
    mutate(body)
    before = counts(zone, TABLES)
    assert_problem(mass(zone, "POST", "/v1/ownership/cap-table", body), status, code, pointer=pointer)
    assert counts(zone, TABLES) == before


def test_cap_table_for_dissolved_entity_and_bad_json(zone):
    before = counts(zone, TABLES)
    assert_problem(mass(zone, "POST", "/v1/ownership/cap-table", init_body(entity(zone, "STRUCK_OFF"))), 409,
                   "ownership.entity_inactive", pointer="/entity_id")
    r = mass(zone, "POST", "/v1/ownership/cap-table", data="{\"entity_id\"")
    assert r.status_code == 400 and r.json()["code"].startswith("json."), r.text
    assert counts(zone, TABLES) == before


def test_winding_up_entity_takes_no_initial_holders(zone):
    """A cap table's initial holders are shares issued, and an entity being wound up (DISSOLVING) issues none: 409
    ownership.entity_inactive naming the status, nothing written. Without initial holders it issues nothing and is
    taken."""
    eid = entity(zone, "DISSOLVING")
    before = counts(zone, TABLES)
    p = assert_problem(mass(zone, "POST", "/v1/ownership/cap-table", init_body(eid)), 409, "ownership.entity_inactive",
                       pointer="/initial_holders")
    assert "DISSOLVING" in p["detail"], p
    assert counts(zone, TABLES) == before
    r = mass(zone, "POST", "/v1/ownership/cap-table", dict(init_body(eid), initial_holders=[]))
    assert r.status_code == 201, r.text
    assert r.json()["total_issued_shares"] == "0" and r.json()["holders"] == []


def test_transfer(zone):
    eid, cap, cls = new_cap_table(zone)
    # the positions were taken two years ago, so today's sales are long term
    sql_exec(zone, "UPDATE mez_mass_holding SET acquisition_date = '%s' WHERE entity_id = '%s'" % (day(-730), eid))
    cap = get_cap(zone, eid)
    body = transfer_body(eid, cls["Ordinary"], "alice", "carol", "200", to_holder_type="individual",
                         to_holder_name="Carol", nonce="n-1", ntn_to="7654321-0", notes="sale")
    check(zone, "OwnershipTransferRequest", body)
    r = mass(zone, "POST", "/v1/ownership/transfers", body)
    assert r.status_code == 201, r.text
    t = r.json()
    check(zone, "OwnershipTransferResponse", t)
    te = t["tax_event"]
    assert (te["gain_or_loss"], te["total_proceeds"], te["total_cost_basis"]) == ("500", "2500", "2000")
    assert te["event_type"] == "capital_gain_long_term" and te["ntn"] == "1234567-8"
    assert te["transfer_ref"] == t["transfer_id"] and te["acquiring_holder_id"] == "carol"
    after = get_cap(zone, eid)
    assert t["state_digest_sha256"] == after["state_digest_sha256"] == state_digest(after)
    assert after["total_issued_shares"] == cap["total_issued_shares"]
    assert position(after, "alice", cls["Ordinary"]) == 400 and position(after, "carol", cls["Ordinary"]) == 200
    # a sale at a loss, and a transfer from a holder whose basis nobody recorded
    r = mass(zone, "POST", "/v1/ownership/transfers", transfer_body(eid, cls["Ordinary"], "alice", "carol", "100", "8"))
    assert r.status_code == 201 and r.json()["tax_event"]["gain_or_loss"] == "-200"
    assert r.json()["tax_event"]["event_type"] == "capital_loss_long_term"
    r = mass(zone, "POST", "/v1/ownership/transfers", transfer_body(eid, cls["Ordinary"], "bob", "alice", "100"))
    assert r.status_code == 201, r.text
    assert "gain_or_loss" not in r.json()["tax_event"]
    check(zone, "OwnershipTransferResponse", r.json(), patch=unknown_basis)
    after = get_cap(zone, eid)
    assert position(after, "bob", cls["Ordinary"]) == 0 and all(h["holder_id"] != "bob" for h in after["holders"])
    assert after["total_issued_shares"] == cap["total_issued_shares"]


@pytest.mark.parametrize("patch,status,code,pointer", [
    ({"shares": "601"}, 422, "ownership.insufficient_shares", "/shares"),
    ({"shares": "1.5"}, 422, "ownership.invalid_shares", "/shares"),
    ({"shares": "-1"}, 422, "ownership.invalid_shares", "/shares"),
    ({"shares": "0"}, 422, "ownership.shares_not_positive", "/shares"),
    ({"shares": 5}, 422, "request.invalid_type", "/shares"),
    ({"transfer_price_per_share": "1e2"}, 422, "ownership.invalid_decimal", "/transfer_price_per_share"),
    ({"transfer_price_per_share": "1.0000001"}, 422, "ownership.price_precision", "/transfer_price_per_share"),
    ({"transfer_date": "2027-02-30"}, 422, "request.invalid_date", "/transfer_date"),
    ({"transfer_date": "2025-06-01"}, 422, "ownership.locked_up", "/transfer_date"),
    ({"currency": "USD"}, 422, "ownership.currency_mismatch", "/currency"),
    ({"to_holder_id": "alice"}, 422, "ownership.same_holder", "/to_holder_id"),
    ({"to_holder_id": "zed"}, 422, "request.missing_field", "/to_holder_type"),
    ({"share_class_id": "shc_nope"}, 404, "ownership.share_class_not_found", "/share_class_id"),
    ({"entity_id": "ent_nope"}, 404, "ownership.cap_table_not_found", "/entity_id"),
    ({"extra": 1}, 422, "request.unknown_field", "/extra"),
    ({"to_holder_name": "Bob\u0000 Evil", "to_holder_id": "zed", "to_holder_type": "individual"}, 422,
     "request.invalid_characters", "/to_holder_name"),
    ({"notes": "ok\u001b]0;pwned\u0007"}, 422, "request.invalid_characters", "/notes"),
    ({"from_holder_id": "alice\u0000"}, 422, "request.invalid_characters", "/from_holder_id"),
])
def test_bad_transfers_change_nothing(zone, patch, status, code, pointer):
    eid, cap, cls = new_cap_table(zone)
    body = transfer_body(eid, cls["Ordinary"], "alice", "bob", "10")
    body.update(patch)
    before = counts(zone, TABLES)
    problem = assert_problem(mass(zone, "POST", "/v1/ownership/transfers", body), status, code, pointer=pointer)
    if code == "ownership.insufficient_shares":
        assert (problem["held"], problem["requested"]) == ("600", "601")
    assert counts(zone, TABLES) == before
    after = get_cap(zone, eid)
    assert after["state_digest_sha256"] == cap["state_digest_sha256"]


@pytest.mark.parametrize("lock_up,date,code", [
    (None, day(2), "ownership.transfer_in_future"),
    ("2099-01-01", "2099-01-02", "ownership.transfer_in_future"),
    ("2099-01-01", day(), "ownership.locked_up"),
    (day(-10), day(-20), "ownership.locked_up"),
])
def test_transfer_dates_change_nothing(zone, lock_up, date, code):
    """A date still to come neither gets round a lock-up nor buys a holding period; a date inside a lock-up that has
    since ended is refused too (the shares changed hands while locked up)."""
    body = init_body(entity(zone))
    body["share_classes"][0]["transfer_restrictions"] = {"lock_up_expiry": lock_up} if lock_up else {}
    r = mass(zone, "POST", "/v1/ownership/cap-table", body)
    assert r.status_code == 201, r.text
    eid, cap = body["entity_id"], r.json()
    cls = {c["name"]: c["share_class_id"] for c in cap["share_classes"]}
    sql_exec(zone, "UPDATE mez_mass_holding SET acquisition_date = '%s' WHERE entity_id = '%s'" % (day(-730), eid))
    cap = get_cap(zone, eid)
    before = counts(zone, TABLES)
    assert_problem(mass(zone, "POST", "/v1/ownership/transfers",
                        transfer_body(eid, cls["Ordinary"], "alice", "bob", "10", transfer_date=date)),
                   422, code, pointer="/transfer_date")
    assert counts(zone, TABLES) == before
    assert get_cap(zone, eid)["state_digest_sha256"] == cap["state_digest_sha256"]


def test_board_approval_and_nonce(zone):
    eid, cap, cls = new_cap_table(zone)
    before = counts(zone, TABLES)
    assert_problem(mass(zone, "POST", "/v1/ownership/transfers",
                        transfer_body(eid, cls["Preferred"], "fund1", "bob", "5", "120")), 422,
                   "ownership.board_resolution_required", pointer="/board_resolution_ref")
    assert counts(zone, TABLES) == before
    body = transfer_body(eid, cls["Preferred"], "fund1", "bob", "5", "120", board_resolution_ref="sha256:" + "a" * 64,
                         nonce="once", to_holder_type="individual")
    r = mass(zone, "POST", "/v1/ownership/transfers", body)
    assert r.status_code == 201, r.text
    assert r.json()["board_resolution_ref"] == body["board_resolution_ref"]
    before = counts(zone, TABLES)
    assert_problem(mass(zone, "POST", "/v1/ownership/transfers", dict(body, shares="1")), 409,
                   "ownership.nonce_reused", pointer="/nonce")
    assert counts(zone, TABLES) == before


def test_a_board_resolution_resolves_one_transfer(zone):
    """A transfer citing a resolution another transfer of the entity cited is 409 ownership.resolution_used, with
    nothing changed; the first transfer's retry under its Idempotency-Key still gets its first answer; of concurrent
    transfers citing one resolution exactly one is recorded (the unique index decides)."""
    eid, cap, cls = new_cap_table(zone)
    ref = "con_" + hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    body = transfer_body(eid, cls["Preferred"], "fund1", "bob", "5", "120", board_resolution_ref=ref,
                         to_holder_type="individual")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    r = mass(zone, "POST", "/v1/ownership/transfers", body, headers=key)
    assert r.status_code == 201, r.text
    first = r.json()
    before, digest = counts(zone, TABLES), get_cap(zone, eid)["state_digest_sha256"]
    r = mass(zone, "POST", "/v1/ownership/transfers", body, headers=key)
    assert r.status_code == 201 and r.json() == first, r.text
    for again, headers in [(dict(body, shares="1"), {"Idempotency-Key": str(uuid.uuid4())}), (body, None),
                           (transfer_body(eid, cls["Ordinary"], "alice", "carol", "10", board_resolution_ref=ref,
                                          to_holder_type="individual"), None)]:
        p = assert_problem(mass(zone, "POST", "/v1/ownership/transfers", again, headers=headers), 409,
                           "ownership.resolution_used", pointer="/board_resolution_ref")
        assert first["transfer_id"] in p["detail"], p
    assert counts(zone, TABLES) == before
    assert get_cap(zone, eid)["state_digest_sha256"] == digest
    # The reference is the entity's: another entity's register has not used it.
    eid2, cap2, cls2 = new_cap_table(zone)
    r = mass(zone, "POST", "/v1/ownership/transfers",
             transfer_body(eid2, cls2["Preferred"], "fund1", "bob", "5", "120", board_resolution_ref=ref,
                           to_holder_type="individual"))
    assert r.status_code == 201, r.text

    ref = "con_" + hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    results = []
    lock = threading.Lock()

    def worker(n):
        r = mass(zone, "POST", "/v1/ownership/transfers",
                 transfer_body(eid, cls["Ordinary"], "alice", "buyer%d" % n, "1", board_resolution_ref=ref,
                               to_holder_type="individual"))
        with lock:
            results.append((r.status_code, r.json().get("code")))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted([(201, None)] + [(409, "ownership.resolution_used")] * 5, key=str), \
        results
    assert value(zone, "SELECT COUNT(*) FROM mez_mass_share_transfer WHERE entity_id = '%s' AND "
                       "board_resolution_ref = '%s'" % (eid, ref)) == "1"


def test_resolutions_cited_before_schema_21(make_zone, driver, mez_env, workdir):
    """Before schema 21 a resolution could be cited by several transfers of an entity. The migration gives it to
    the earliest transfer and keeps the others as they were, without it (no register refuses to migrate); from
    then on the resolution resolves nothing more."""
    from audit_util import mez_as_server
    from mez_harness import chown_tree, sql_dir_before
    old_sql = sql_dir_before(mez_env, workdir, 21)
    z = make_zone(driver, migrate=False, start=False)
    z.env.mez("db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", old_sql, check=True)
    if z.env.server_user:
        chown_tree(z.data_dir, z.env.server_user)
    assert z.db.query_value("SELECT MAX(version) FROM mez_schema_version") == "20"
    eid, shc, ref = "ent_" + uuid.uuid4().hex, "shc_" + uuid.uuid4().hex, "con_" + "c" * 64
    z.db.execute("INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, name_key, jurisdiction_id, status, "
                 "doc, created_at, updated_at) VALUES ('%s', 'llc', 'Legacy Co', 'legacy co', 'PK', 'ACTIVE', '{}', "
                 "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')" % eid)
    z.db.execute("INSERT INTO mez_mass_share_class (share_class_id, entity_id, name, authorized_shares, issued_shares, "
                 "currency, status, doc, created_at, updated_at) VALUES ('%s', '%s', 'Legacy', 10, 0, 'PKR', 'active', "
                 "'{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')" % (shc, eid))
    # trf_b is the earlier of the two citing ref, though trf_a sorts first.
    for tid, at, cited in [("trf_a", "2026-01-03T00:00:00Z", ref), ("trf_b", "2026-01-02T00:00:00Z", ref),
                           ("trf_c", "2026-01-01T00:00:00Z", None)]:
        doc = {"transfer_id": tid, "entity_id": eid, "shares": "1"}
        if cited:
            doc["board_resolution_ref"] = cited
        z.db.execute("INSERT INTO mez_mass_share_transfer (transfer_id, entity_id, share_class_id, from_holder_id, "
                     "to_holder_id, shares, doc, recorded_at) VALUES ('%s', '%s', '%s', 'x', 'y', 1, '%s', '%s')"
                     % (tid, eid, shc, jcs(doc).decode(), at))
    mez_as_server(z, "db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", mez_env.sql_dir,
                  check=True)
    z.start()
    assert z.count("mez_mass_share_transfer") == 3
    assert [z.db.query_value("SELECT COALESCE(board_resolution_ref, '-') FROM mez_mass_share_transfer WHERE "
                             "transfer_id = '%s'" % t) for t in ("trf_a", "trf_b", "trf_c")] == ["-", ref, "-"]
    body = init_body(eid)
    r = mass(z, "POST", "/v1/ownership/cap-table", body)
    assert r.status_code == 201, r.text
    cls = {c["name"]: c["share_class_id"] for c in r.json()["share_classes"]}
    before = z.count("mez_mass_share_transfer")
    p = assert_problem(mass(z, "POST", "/v1/ownership/transfers",
                            transfer_body(eid, cls["Preferred"], "fund1", "bob", "5", "120", board_resolution_ref=ref,
                                          to_holder_type="individual")),
                       409, "ownership.resolution_used", pointer="/board_resolution_ref")
    assert "trf_b" in p["detail"], p
    assert z.count("mez_mass_share_transfer") == before


def test_issuances(zone):
    eid, cap, cls = new_cap_table(zone)
    r = mass(zone, "POST", "/v1/ownership/%s/issuances" % eid,
             {"share_class_id": cls["Ordinary"], "holder_id": "erin", "holder_type": "fund", "shares": "300",
              "price_per_share": "20"})
    assert r.status_code == 201, r.text
    iss = r.json()
    assert (iss["issued_shares"], iss["authorized_shares"], iss["price_per_share"]) == ("1000", "1000", "20")
    after = get_cap(zone, eid)
    assert iss["state_digest_sha256"] == after["state_digest_sha256"]
    assert position(after, "erin", cls["Ordinary"]) == 300 and after["total_issued_shares"] == "1050"
    before = counts(zone, TABLES)
    problem = assert_problem(mass(zone, "POST", "/v1/ownership/%s/issuances" % eid,
                                  {"share_class_id": cls["Ordinary"], "holder_id": "erin", "holder_type": "fund",
                                   "shares": "1"}), 422, "ownership.exceeds_authorized", pointer="/shares")
    assert problem["issued_shares"] == "1000"
    assert_problem(mass(zone, "POST", "/v1/ownership/%s/issuances" % eid,
                        {"share_class_id": cls["Ordinary"], "holder_id": "erin", "shares": "1"}), 422,
                   "request.missing_field", pointer="/holder_type")
    assert_problem(mass(zone, "POST", "/v1/ownership/%s/issuances" % eid,
                        {"share_class_id": cls["Ordinary"], "holder_id": "mallory", "holder_type": "fund",
                         "name": "M\u0000", "shares": "1"}), 422, "request.invalid_characters", pointer="/name")
    assert_problem(mass(zone, "POST", "/v1/ownership/ent_nope/issuances",
                        {"share_class_id": cls["Ordinary"], "holder_id": "erin", "holder_type": "fund",
                         "shares": "1"}), 404, "ownership.cap_table_not_found")
    assert counts(zone, TABLES) == before


def formed_cap_table(zone):
    """A cap table of an entity formed and activated through the entities primitive."""
    r = mass(zone, "POST", "/v1/entities", {"entity_type": "llc", "legal_name": "Co %s LLC" % uuid.uuid4().hex[:10],
                                             "directors": [{"name": "Jane Director", "role": "director"}]})
    assert r.status_code == 201, r.text
    eid = r.json()["entity_id"]
    assert mass(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "ACTIVE"}).status_code == 200
    body = init_body(eid)
    r = mass(zone, "POST", "/v1/ownership/cap-table", body)
    assert r.status_code == 201, r.text
    return eid, r.json(), {c["name"]: c["share_class_id"] for c in r.json()["share_classes"]}


def assert_shares_stay(zone, eid, cls, status):
    """Neither an issuance nor a transfer of eid's shares is taken: 409 ownership.entity_inactive naming status."""
    cap = get_cap(zone, eid)
    before = counts(zone, TABLES)
    problem = assert_problem(mass(zone, "POST", "/v1/ownership/%s/issuances" % eid,
                                  {"share_class_id": cls["Ordinary"], "holder_id": "mallory",
                                   "holder_type": "individual", "shares": "300"}), 409, "ownership.entity_inactive")
    assert "pointer" not in problem and status in problem["detail"]
    problem = assert_problem(mass(zone, "POST", "/v1/ownership/transfers",
                                  transfer_body(eid, cls["Ordinary"], "alice", "bob", "10")),
                             409, "ownership.entity_inactive", pointer="/entity_id")
    assert status in problem["detail"]
    assert counts(zone, TABLES) == before
    assert get_cap(zone, eid)["state_digest_sha256"] == cap["state_digest_sha256"]


def test_struck_off_entity_moves_no_shares(zone):
    eid, cap, cls = formed_cap_table(zone)
    r = mass(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "STRUCK_OFF", "reason": "gone"})
    assert r.status_code == 200 and r.json()["status"] == "STRUCK_OFF", r.text
    assert_shares_stay(zone, eid, cls, "STRUCK_OFF")


@pytest.mark.parametrize("status", ["DISSOLVING", "DISSOLVED", "REJECTED"])
def test_ended_or_winding_up_entity_moves_no_shares(zone, status):
    eid, cap, cls = new_cap_table(zone)
    sql_exec(zone, "UPDATE mez_mass_entity SET status = '%s' WHERE entity_id = '%s'" % (status, eid))
    assert_shares_stay(zone, eid, cls, status)


def test_suspended_entity_still_moves_shares(zone):
    eid, cap, cls = new_cap_table(zone)
    sql_exec(zone, "UPDATE mez_mass_entity SET status = 'SUSPENDED' WHERE entity_id = '%s'" % eid)
    r = mass(zone, "POST", "/v1/ownership/transfers", transfer_body(eid, cls["Ordinary"], "alice", "bob", "10"))
    assert r.status_code == 201, r.text
    r = mass(zone, "POST", "/v1/ownership/%s/issuances" % eid,
             {"share_class_id": cls["Ordinary"], "holder_id": "erin", "holder_type": "fund", "shares": "5"})
    assert r.status_code == 201, r.text


def test_concurrent_transfers_never_oversell(zone):
    eid, cap, cls = new_cap_table(zone)
    results = []
    lock = threading.Lock()

    def worker(n):
        for i in range(10):
            body = transfer_body(eid, cls["Ordinary"], "alice", "buyer%d" % n, "10", to_holder_type="entity")
            r = mass(zone, "POST", "/v1/ownership/transfers", body)
            with lock:
                results.append((r.status_code, r.json().get("code")))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r[0] == 201]) == 60, results
    assert all(c == "ownership.insufficient_shares" for s, c in results if s != 201), results
    after = get_cap(zone, eid)
    assert position(after, "alice", cls["Ordinary"]) == 0
    assert after["total_issued_shares"] == cap["total_issued_shares"]
    assert after["state_digest_sha256"] == state_digest(after)


def test_unknown_routes(zone):
    assert_problem(mass(zone, "GET", "/v1/ownership/transfers"), 405, "request.method_not_allowed")
    assert_problem(mass(zone, "GET", "/v1/ownership/a/b/c"), 404, "request.not_found")
    r = mass(zone, "GET", "/v1/ownership/status")
    assert r.status_code == 200 and r.json()["primitive"] == "ownership"

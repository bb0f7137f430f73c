# test_mass_zone_records.py: a store several zones share keeps each zone's registers apart (migration 0025,
# libmezcore/src/mass_int.h "zones"), not only its payments (test_payment_list.py), on both drivers. Zones A (pk-sifc,
# its zone API forming entities) and C point all five primitives at store B, each with a token B made for it (`mez
# token create --mass-zone`). Each makes one of every record there: a person with a CNIC (verified), an entity with
# that person as director (active, bound), its operating and withholding accounts (a deposit, a hold), its cap table
# and a consent. For every primitive, A asking about, acting on or naming C's record (in the path or in a body) gets
# exactly the answer an id that names nothing gets, and no row anywhere changes; A does the same to its own; B's own
# operator sees every zone's. Lists (entities) are the zone's whatever jurisdiction_id says. A payment to another
# zone's account is refused as to an unknown one. Records from before 0025 (no zone) are the store's own callers'
# only, and the migration keeps a registry's identifiers while making them one zone's.
import json
import os
import types
import uuid

import pytest

from mass_contract import check
from mass_fixtures import counts, mass, sql_exec
from mez_harness import assert_problem, pk_zone_file, policy_conf, sql_dir_before, token_secret
from test_mass_client import write_secret
from test_mass_consent import Party, consent_request, stamp
from test_mass_entities import INITIATE, solvency
from test_mass_identity import EVIDENCE, cnic
from test_orchestrate_remote import formation as zone_api_formation

PRIMITIVES = ("entities", "ownership", "fiscal", "consent", "identity")
MASS_TABLES = ["mez_mass_entity", "mez_mass_entity_officer", "mez_mass_entity_owner", "mez_mass_entity_history",
               "mez_mass_entity_dissolution", "mez_mass_person", "mez_mass_person_identifier",
               "mez_mass_person_verification", "mez_mass_identity_binding", "mez_mass_account", "mez_mass_ledger_txn",
               "mez_mass_ledger_line", "mez_mass_payment", "mez_mass_hold", "mez_mass_tax_event",
               "mez_mass_cap_table", "mez_mass_share_class", "mez_mass_holding", "mez_mass_share_transfer",
               "mez_mass_share_issuance", "mez_mass_consent", "mez_mass_consent_signatory", "mez_mass_consent_event",
               "mez_idempotency", "mez_audit"]
NTN = {"ntn_number": "1234567", "ntn_type": "company"}
UNKNOWN = {k: k + "_" + "0" * 64 for k in ("ent", "acc", "per", "con", "hld", "off")}


def asker(zone, headers, prefix="/mass"):
    return lambda method, path, body=None: zone.request(method, prefix + path, json=body, headers=headers)


def made(r, status=201):
    assert r.status_code == status, r.text
    return r.json()


def formation(name, **extra):
    body = {"entity_type": "llc", "legal_name": name, "directors": [{"name": "Jane Director", "role": "director"}]}
    body.update(extra)
    return body


def records(b, headers, zone_id, parties):
    """One of every record, made in store B by the caller with headers (a zone's token, or B's operator)."""
    ask, c = asker(b, headers), cnic()
    per = made(ask("POST", "/v1/identity/persons", {"full_name": "Ayesha Khan",
                                                    "identifiers": [{"scheme": "cnic", "value": c}]}))["person_id"]
    made(ask("POST", "/v1/identity/persons/%s/verifications" % per,
             {"method": "registry", "result": "verified", "evidence": EVIDENCE}))
    ent = made(ask("POST", "/v1/entities", formation(
        "Zone Co %s" % uuid.uuid4().hex[:10],
        directors=[{"name": "Ayesha Khan", "role": "director", "identity_ref": per}],
        beneficial_owners=[{"name": "Ayesha Khan", "identity_ref": per, "ownership_percentage": "100",
                            "control_type": "direct"}])))
    assert ent["jurisdiction_id"] == zone_id, ent      # the caller's zone's register, not the store's
    eid = ent["entity_id"]
    made(ask("PUT", "/v1/entities/%s/status" % eid, {"target_status": "ACTIVE"}), 200)
    off = made(ask("GET", "/v1/entities/%s/officers" % eid), 200)["officers"][0]["officer_id"]
    made(ask("POST", "/v1/identity/bindings", {"person_id": per, "entity_id": eid, "role": "director"}))
    acc, wh = (made(ask("POST", "/v1/fiscal/accounts", {"entity_id": eid, "account_type": t, "currency": "PKR",
                                                       "ntn": NTN}))["account_id"]
               for t in ("operating", "withholding"))
    made(ask("POST", "/v1/fiscal/accounts/%s/deposits" % acc, {"amount": "1000.00", "currency": "PKR",
                                                               "reference": "capital"}))
    hold = made(ask("POST", "/v1/fiscal/accounts/%s/holds" % acc, {"amount": "10.00", "reason": "court order"}))
    made(ask("POST", "/v1/ownership/cap-table", {
        "entity_id": eid, "share_classes": [{"name": "Ordinary", "authorized_shares": "1000", "currency": "PKR"}],
        "initial_holders": [{"holder_id": "alice", "holder_type": "individual", "share_class_name": "Ordinary",
                             "shares": "600"}]}))
    con = made(ask("POST", "/v1/consent/request", consent_request(types.SimpleNamespace(zone_id=zone_id), parties)))
    return {"per": per, "cnic": c, "ent": eid, "off": off, "acc": acc, "wh": wh, "hld": hold["hold_id"],
            "con": con, "con_id": con["consent_id"]}


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    """Store B (the shipped policy: /mass for operator tokens); zones A (pk-sifc) and C point every primitive at B,
    each with the token B made for it; each, and B's own operator, make one of every record at B."""
    keydir = mez_env.new_dir("zone-records-keys")
    parties = [Party(mez_env, keydir, n) for n in ("requester", "dir1", "dir2", "dir3")]
    b = module_zones(driver, name="recb", extra_conf=policy_conf(mez_env))
    w = {"b": b, "op": {"Authorization": "Bearer " + token_secret(b, "operator")}, "parties": parties}
    for name in ("a", "c"):
        zone_id, zone_file = ("pk-sifc", pk_zone_file(mez_env, "reca")) if name == "a" else \
            ("test-recc-" + driver, None)
        secret = token_secret(b, "operator", mass_zone=zone_id)
        token_file = write_secret(os.path.join(mez_env.new_dir("rec" + name), "mass.token"), secret)
        conf = ["MezMassEndpoint %s %s" % (p, b.url("/mass")) for p in PRIMITIVES]
        conf += ["MezMassTokenFile %s" % token_file, "MezMassTimeout 5"]
        w[name] = module_zones(driver, name="rec" + name, zone_id=zone_id, zone_file=zone_file,
                               extra_conf="\n".join(conf))
        w[name + "_h"] = {"Authorization": "Bearer " + secret}
        w[name + "_rec"] = records(b, w[name + "_h"], zone_id, parties)
    w["b_rec"] = records(b, w["op"], b.zone_id, parties)
    return w


def answer(r, ids):
    """An answer as its caller sees it (status, Content-Type, body), the ids it was asked about taken out."""
    text = r.text
    for i in ids:
        text = text.replace(i, "<id>")
    return r.status_code, r.headers.get("Content-Type"), json.loads(text)


def state(w):
    """Every row count of store B and both zones, and C's records as B's operator reads them."""
    b, op, rec = w["b"], w["op"], w["c_rec"]
    read = asker(b, op)
    docs = [read("GET", p).json() for p in (
        "/v1/entities/" + rec["ent"], "/v1/entities/%s/officers" % rec["ent"],
        "/v1/entities/%s/beneficial-owners" % rec["ent"], "/v1/identity/persons/" + rec["per"],
        "/v1/fiscal/accounts/" + rec["acc"], "/v1/fiscal/accounts/%s/ledger" % rec["acc"],
        "/v1/fiscal/accounts/" + rec["wh"], "/v1/ownership/%s/cap-table" % rec["ent"],
        "/v1/consent/" + rec["con_id"], "/v1/consent/%s/audit-trail" % rec["con_id"])]
    for d in docs:
        d.pop("as_of", None)
    held = b.db.query_value("SELECT held FROM mez_mass_account WHERE account_id = '%s'" % rec["acc"])
    version = b.db.query_value("SELECT version FROM mez_mass_cap_table WHERE entity_id = '%s'" % rec["ent"])
    return (counts(b, MASS_TABLES), counts(w["a"], ["mez_audit", "mez_mass_entity"]), docs, held, version)


def unchanged(world, before):
    """state(world) is still before, part by part (a differing count names its table)."""
    after = state(world)
    for got, want in zip(after, before):
        if isinstance(want, dict):
            assert {k: v for k, v in got.items() if want.get(k) != v} == {}, "changed rows"
        else:
            assert got == want


def as_unknown(ask, method, path, body, theirs, unknown, status, code, pointer=None):
    """ask() about another zone's record (theirs: {name: id}) and about ids that name nothing (unknown): the same
    answer, which is the refusal (status, code, pointer) an unknown id gets."""
    def fill(ids):
        text = json.dumps([path, body])
        for k, v in ids.items():
            text = text.replace("{%s}" % k, v)
        return json.loads(text)
    p1, b1 = fill(theirs)
    p2, b2 = fill(unknown)
    r1, r2 = ask(method, p1, b1), ask(method, p2, b2)
    assert_problem(r2, status, code, pointer=pointer)
    assert answer(r1, theirs.values()) == answer(r2, unknown.values()), (method, path)


def theirs_and_unknown(rec, *names):
    return {n: rec[n] for n in names}, {n: UNKNOWN[n] for n in names}


# ------------------------------------------------------------------------------------------------ stamps

def test_each_zone_stamps_its_records(world):
    """What a zone's token makes is stamped with that zone; what B's operator makes, with B."""
    b = world["b"]
    for who, zone_id in (("a", "pk-sifc"), ("c", world["c"].zone_id), ("b", b.zone_id)):
        rec = world[who + "_rec"]
        row = lambda sql: b.db.query_value(sql % rec)
        assert row("SELECT zone_id FROM mez_mass_entity WHERE entity_id = '%(ent)s'") == zone_id
        assert row("SELECT jurisdiction_id FROM mez_mass_entity WHERE entity_id = '%(ent)s'") == zone_id
        assert row("SELECT zone_id FROM mez_mass_person WHERE person_id = '%(per)s'") == zone_id
        assert row("SELECT zone_key FROM mez_mass_person_identifier WHERE person_id = '%(per)s'") == zone_id
        assert row("SELECT made_for_zone_id FROM mez_mass_consent WHERE consent_id = '%(con_id)s'") == zone_id


def test_a_zone_forms_entities_in_its_own_jurisdiction(world):
    """A token made for a zone forms entities in that zone's register only: another jurisdiction is refused as the
    zone API refuses it, nothing written; A's zone API forms through the gateway, stamped with A."""
    b, a, ask = world["b"], world["a"], asker(world["b"], world["a_h"])
    before = state(world)
    assert_problem(ask("POST", "/v1/entities", formation("Foreign Co %s" % uuid.uuid4().hex[:8],
                                                         jurisdiction_id=world["c"].zone_id)),
                   422, "entity.foreign_jurisdiction", pointer="/jurisdiction_id")
    unchanged(world, before)
    r = a.post("/v1/entities", json=zone_api_formation("Ravi Zone Textiles %s Ltd" % uuid.uuid4().hex[:6]),
               headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    assert b.db.query_value("SELECT zone_id FROM mez_mass_entity WHERE entity_id = '%s'" % r.json()["id"]) == \
        "pk-sifc"
    # C does not see it; A's zone API reads it back through the gateway.
    assert_problem(mass(b, "GET", "/v1/entities/" + r.json()["id"], headers=world["c_h"]), 404, "mass.not_found")
    assert a.get("/v1/entities/" + r.json()["id"]).json()["entity_id"] == r.json()["id"]


# ------------------------------------------------------------------------------------------------ entities

def test_another_zones_entity_is_as_unknown(world):
    """Every entities route, and every other primitive's route that names an entity, answers A about C's entity as
    about one that does not exist (through B's store with A's token, and through A's own zone API), and nothing
    changes anywhere."""
    b, a, rec = world["b"], world["a"], world["c_rec"]
    store = asker(b, world["a_h"])
    theirs, unknown = theirs_and_unknown(rec, "ent", "off")
    before = state(world)
    for method, path, body, status, code, pointer in (
            ("GET", "/v1/entities/{ent}", None, 404, "mass.not_found", None),
            ("PUT", "/v1/entities/{ent}/status", {"target_status": "SUSPENDED"}, 404, "mass.not_found", None),
            ("GET", "/v1/entities/{ent}/beneficial-owners", None, 404, "mass.not_found", None),
            ("GET", "/v1/entities/{ent}/officers", None, 404, "mass.not_found", None),
            ("POST", "/v1/entities/{ent}/officers", {"name": "Usurper", "role": "director"}, 404, "mass.not_found",
             None),
            ("POST", "/v1/entities/{ent}/officers/{off}/resign", {"reason": "ousted"}, 404, "mass.not_found", None),
            ("GET", "/v1/entities/{ent}/dissolution/status", None, 404, "mass.not_found", None),
            ("POST", "/v1/entities/{ent}/dissolution/initiate",
             dict(INITIATE, solvency_declaration=solvency("2026-01-02T00:00:00Z")), 404, "mass.not_found", None),
            ("POST", "/v1/entities/{ent}/dissolution/advance", {}, 404, "mass.not_found", None),
            ("GET", "/v1/identity/entity/{ent}", None, 404, "mass.not_found", None),
            ("GET", "/v1/fiscal/{ent}/tax-events", None, 404, "mass.not_found", None),
            ("GET", "/v1/fiscal/{ent}/payment-aggregate?payee=entity:ent_x&aggregate=services_paid_to_payee"
                    "&tax_year=2026&currency=PKR", None, 404, "mass.not_found", None),
            ("POST", "/v1/fiscal/reporting/generate", {"entity_id": "{ent}", "tax_year": "2026",
                                                       "output_format": "summary"},
             422, "fiscal.entity_unknown", "/entity_id"),
            ("POST", "/v1/fiscal/accounts", {"entity_id": "{ent}", "account_type": "operating", "currency": "PKR",
                                             "ntn": NTN}, 422, "fiscal.entity_unknown", "/entity_id"),
            ("GET", "/v1/ownership/{ent}/cap-table", None, 404, "mass.not_found", None),
            ("GET", "/v1/ownership/{ent}/share-classes", None, 404, "mass.not_found", None),
            ("POST", "/v1/ownership/cap-table", {"entity_id": "{ent}", "share_classes": [
                {"name": "Founders", "authorized_shares": "10"}]}, 422, "ownership.entity_unknown", "/entity_id"),
            ("POST", "/v1/ownership/{ent}/issuances", {"share_class_id": "shc_x", "holder_id": "mallory",
                                                      "holder_type": "individual", "shares": "100"},
             404, "ownership.cap_table_not_found", None),
            ("POST", "/v1/ownership/transfers", {"entity_id": "{ent}", "share_class_id": "shc_x",
                                                 "from_holder_id": "alice", "to_holder_id": "mallory",
                                                 "to_holder_type": "individual", "shares": "600",
                                                 "transfer_price_per_share": "1", "transfer_date": "2026-01-02"},
             404, "ownership.cap_table_not_found", "/entity_id"),
            ("POST", "/v1/identity/bindings", {"person_id": world["a_rec"]["per"], "entity_id": "{ent}",
                                               "role": "director"}, 422, "identity.unknown_entity", "/entity_id"),
            ("POST", "/v1/identity/cnic/verify", {"cnic": world["a_rec"]["cnic"], "entity_id": "{ent}"},
             422, "identity.unknown_entity", "/entity_id")):
        as_unknown(store, method, path, body, theirs, unknown, status, code, pointer)
    # A's zone API reads through the gateway: the same answer as for an unknown entity.
    for path in ("/v1/entities/{ent}", "/v1/entities/{ent}/beneficial-owners"):
        as_unknown(asker(a, None, prefix=""), "GET", path, None, theirs, unknown, 404, "mass.not_found")
    unchanged(world, before)
    # A does all of it to its own entity's records (the reads here; its writes made them).
    mine = asker(b, world["a_h"])
    for path in ("/v1/entities/%(ent)s", "/v1/entities/%(ent)s/beneficial-owners", "/v1/entities/%(ent)s/officers",
                 "/v1/identity/entity/%(ent)s", "/v1/ownership/%(ent)s/cap-table", "/v1/fiscal/%(ent)s/tax-events"):
        assert mine("GET", path % world["a_rec"]).status_code == 200, path
    check(b.env.shared_dir, "entities", "Entity", mine("GET", "/v1/entities/" + world["a_rec"]["ent"]).json())


def test_the_entity_list_is_the_zones_own(world):
    """GET /v1/entities lists the caller zone's entities whatever jurisdiction_id says (another zone's lists none,
    as a jurisdiction nobody uses); B's operator lists every zone's."""
    b, a = world["b"], world["a"]
    ids = lambda r: {e["entity_id"] for e in made(r, 200)["entities"]}
    every = {world[z + "_rec"]["ent"] for z in ("a", "b", "c")}
    for me, other in (("a", "c"), ("c", "a")):
        ask, zone_id = asker(b, world[me + "_h"]), world[me].zone_id
        mine = ids(ask("GET", "/v1/entities?limit=1000"))
        assert world[me + "_rec"]["ent"] in mine and not mine & (every - {world[me + "_rec"]["ent"]})
        assert ids(ask("GET", "/v1/entities?limit=1000&jurisdiction_id=" + zone_id)) == mine
        assert ids(ask("GET", "/v1/entities?limit=1000&jurisdiction_id=" + world[other].zone_id)) == set()
        assert ids(ask("GET", "/v1/entities?limit=1000&jurisdiction_id=" + b.zone_id)) == set()
        n = int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_entity WHERE zone_id = '%s'" % zone_id))
        assert len(mine) == n
        # Pages walk the zone's entities only.
        got, cursor = set(), None
        while True:
            page = made(ask("GET", "/v1/entities?limit=1" + ("&cursor=" + cursor if cursor else "")), 200)
            got |= {e["entity_id"] for e in page["entities"]}
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert got == mine
    # A's zone API (its register, read from B with A's token) lists A's own.
    r = a.get("/v1/entities?limit=1000")
    assert {e["entity_id"] for e in made(r, 200)["entities"]} == ids(asker(b, world["a_h"])("GET",
                                                                                           "/v1/entities?limit=1000"))
    assert every <= ids(asker(b, world["op"])("GET", "/v1/entities?limit=1000"))


# ------------------------------------------------------------------------------------------------ treasury

def test_another_zones_accounts_are_as_unknown(world):
    """C's accounts (their balances, ledger, holds, deposits, status) answer A as accounts that do not exist, and the
    zone's own accounts (clearing, outbound: every zone's money) are the store's; a payment from, to or withholding
    into C's account is refused as one naming an unknown account; nothing moves. A does all of it on its own."""
    b, rec, mine = world["b"], world["c_rec"], world["a_rec"]
    store = asker(b, world["a_h"])
    theirs, unknown = theirs_and_unknown(rec, "acc", "hld")
    before = state(world)
    for method, path, body in (
            ("GET", "/v1/fiscal/accounts/{acc}", None),
            ("GET", "/v1/fiscal/accounts/{acc}/balance", None),
            ("GET", "/v1/fiscal/accounts/{acc}/ledger", None),
            ("POST", "/v1/fiscal/accounts/{acc}/deposits", {"amount": "5.00", "currency": "PKR", "reference": "x"}),
            ("POST", "/v1/fiscal/accounts/{acc}/holds", {"amount": "5.00", "reason": "seize"}),
            ("POST", "/v1/fiscal/accounts/{acc}/holds/{hld}/release", {"reason": "free"}),
            ("POST", "/v1/fiscal/accounts/{acc}/status", {"status": "frozen", "reason": "x"})):
        as_unknown(store, method, path, body, theirs, unknown, 404, "mass.not_found")
    pay = {"destination": {"type": "internal_account", "account_id": mine["acc"]}, "amount": "5.00",
           "currency": "PKR", "payment_type": "service_fee"}
    as_unknown(store, "POST", "/v1/fiscal/payments", dict(pay, source_account_id="{acc}"), theirs, unknown, 422,
               "fiscal.account_unknown", "/source_account_id")
    # To another zone's account: money between zones goes out of one (a bank, a corridor) and the other deposits it.
    as_unknown(store, "POST", "/v1/fiscal/payments", dict(pay, source_account_id=mine["acc"], destination={
        "type": "internal_account", "account_id": "{acc}"}), theirs, unknown, 422, "fiscal.account_unknown",
        "/destination/account_id")
    as_unknown(store, "POST", "/v1/fiscal/payments", dict(
        pay, source_account_id=mine["acc"], destination={"type": "external_bank", "bank_details": {
            "iban": "PK36SCBL0000001123456702", "beneficiary_name": "X"}},
        metadata={"withholding": {"amount": "0.23", "rate": "0.045", "section": "153(1)(b)", "account_id": "{acc}",
                                  "tax_year": "2026"}}), theirs, unknown, 422, "fiscal.account_unknown",
        "/metadata/withholding/account_id")
    as_unknown(store, "GET", "/v1/fiscal/accounts/{acc}/balance", None, {"acc": "sys_clearing_PKR"}, unknown, 404,
               "mass.not_found")
    assert made(mass(b, "GET", "/v1/fiscal/accounts/sys_clearing_PKR/balance", headers=world["op"]), 200)
    unchanged(world, before)
    # A on its own: reads, a deposit, a hold and its release, a payment to its own withholding-free second account.
    assert made(store("GET", "/v1/fiscal/accounts/%s/balance" % mine["acc"]), 200)["held"] == "10.00"
    check(b.env.shared_dir, "fiscal", "TreasuryAccount", made(store("GET", "/v1/fiscal/accounts/" + mine["acc"]), 200))
    assert made(store("POST", "/v1/fiscal/accounts/%s/deposits" % mine["acc"],
                      {"amount": "5.00", "currency": "PKR", "reference": "top-up"}))["balance"] == "1005.00"
    h = made(store("POST", "/v1/fiscal/accounts/%s/holds" % mine["acc"], {"amount": "1.00", "reason": "check"}))
    made(store("POST", "/v1/fiscal/accounts/%s/holds/%s/release" % (mine["acc"], h["hold_id"]), {}), 200)
    p = made(store("POST", "/v1/fiscal/payments", dict(pay, source_account_id=mine["acc"], destination={
        "type": "internal_account", "account_id": world["a_rec"]["wh"]})))
    assert p["status"] == "settled"
    assert made(store("GET", "/v1/fiscal/accounts/%s/balance" % mine["acc"]), 200)["balance"] == "1000.00"
    # C's account as B's operator reads it: untouched.
    assert made(mass(b, "GET", "/v1/fiscal/accounts/%s/balance" % rec["acc"], headers=world["op"]), 200)[
        "balance"] == "1000.00"


# ------------------------------------------------------------------------------------------------ consent

def test_another_zones_consent_is_as_unknown(world):
    """A reads, signs, revokes and lists the trail of its own consents only; C's answers as an unknown consent does,
    even with a good signature of one of its signatories; a request naming another zone is refused."""
    parties, store = world["parties"], asker(world["b"], world["a_h"])
    theirs, unknown = {"con": world["c_rec"]["con_id"]}, {"con": UNKNOWN["con"]}
    rec, at = world["c_rec"]["con"], stamp()
    before = state(world)
    sign = {"signatory_id": parties[1].did, "decision": "approve", "signed_at": at,
            "proof": parties[1].sign(rec, "approve", at)}
    revoke = {"requester_id": parties[0].did, "signed_at": at, "reason": "x",
              "proof": parties[0].sign(rec, "revoke", at)}
    for method, path, body in (("GET", "/v1/consent/{con}", None), ("GET", "/v1/consent/{con}/audit-trail", None),
                               ("POST", "/v1/consent/{con}/sign", sign), ("POST", "/v1/consent/{con}/revoke", revoke)):
        as_unknown(store, method, path, body, theirs, unknown, 404, "mass.not_found")
    assert_problem(store("POST", "/v1/consent/request", consent_request(world["c"], parties)), 422,
                   "consent.other_zone", pointer="/zone_id")
    unchanged(world, before)
    # A signs its own; C's signatory's good signature counts there.
    mine = world["a_rec"]["con"]
    r = store("POST", "/v1/consent/%s/sign" % mine["consent_id"], {
        "signatory_id": parties[1].did, "decision": "approve", "signed_at": at,
        "proof": parties[1].sign(mine, "approve", at)})
    assert made(r, 200)["signatures_collected"] == 1
    assert made(store("GET", "/v1/consent/%s/audit-trail" % mine["consent_id"]), 200)["total_count"] >= 2


# ------------------------------------------------------------------------------------------------ identity

def test_another_zones_persons_are_as_unknown(world):
    """C's person answers A as a person that does not exist, read, verified, bound or named as a director or owner;
    its CNIC is not registered in A's registry, which may register that CNIC for a person of its own."""
    b, store, rec = world["b"], asker(world["b"], world["a_h"]), world["c_rec"]
    theirs, unknown = theirs_and_unknown(rec, "per")
    before = state(world)
    as_unknown(store, "GET", "/v1/identity/persons/{per}", None, theirs, unknown, 404, "mass.not_found")
    as_unknown(store, "POST", "/v1/identity/persons/{per}/verifications",
               {"method": "registry", "result": "rejected", "evidence": EVIDENCE}, theirs, unknown, 404,
               "mass.not_found")
    as_unknown(store, "POST", "/v1/identity/bindings", {"person_id": "{per}", "entity_id": world["a_rec"]["ent"],
                                                         "role": "secretary"}, theirs, unknown, 422,
               "identity.unknown_person", "/person_id")
    name = "Named Co %s" % uuid.uuid4().hex[:8]
    as_unknown(store, "POST", "/v1/entities", formation(name, directors=[
        {"name": "Ayesha Khan", "role": "director", "identity_ref": "{per}"}]), theirs, unknown, 422,
        "identity.unknown_person", "/directors/0/identity_ref")
    as_unknown(store, "POST", "/v1/entities/%s/officers" % world["a_rec"]["ent"],
               {"name": "Ayesha Khan", "role": "secretary", "identity_ref": "{per}"}, theirs, unknown, 422,
               "identity.unknown_person", "/identity_ref")
    unchanged(world, before)
    # C's verified person's CNIC is as unregistered to A as a CNIC nobody holds (the same answer; a verification is
    # a POST the store audits, and writes nothing else).
    tables = [t for t in MASS_TABLES if t != "mez_audit"]
    rows = counts(b, tables)
    asked = [made(store("POST", "/v1/identity/cnic/verify", {"cnic": c, "name": "Ayesha Khan"}), 200)
             for c in (rec["cnic"], cnic())]
    assert [(r["verified"], r["registration_status"], "name_match" in r) for r in asked] == \
        [(False, "not_registered", False)] * 2
    assert counts(b, tables) == rows
    # A's registry is A's: the same CNIC registers there (once), and verifies there as A's person.
    p = made(store("POST", "/v1/identity/persons", {"full_name": "Ayesha Khan", "identifiers": [
        {"scheme": "cnic", "value": rec["cnic"]}]}))
    assert_problem(store("POST", "/v1/identity/persons", {"full_name": "Someone Else", "identifiers": [
        {"scheme": "cnic", "value": rec["cnic"]}]}), 409, "identity.identifier_taken", pointer="/identifiers/0/value")
    r = made(store("POST", "/v1/identity/cnic/verify", {"cnic": rec["cnic"], "name": "Ayesha Khan"}), 200)
    assert (r["verified"], r["registration_status"]) == (False, "unverified")
    assert made(store("GET", "/v1/identity/persons/" + p["person_id"]), 200)["identifiers"][0]["value"] == rec["cnic"]
    # C's still verifies as C's, to C; B's operator finds B's own holder first, else another zone's.
    r = made(mass(b, "POST", "/v1/identity/cnic/verify", {"cnic": rec["cnic"], "name": "Ayesha Khan"},
                  headers=world["c_h"]), 200)
    assert (r["verified"], r["registration_status"]) == (True, "verified")
    r = made(mass(b, "POST", "/v1/identity/cnic/verify", {"cnic": world["b_rec"]["cnic"]}, headers=world["op"]), 200)
    assert r["registration_status"] == "verified"
    # A's own person and its bindings, as A reads them: only its own zone's entities.
    doc = made(store("GET", "/v1/identity/persons/" + world["a_rec"]["per"]), 200)
    assert [x["entity_id"] for x in doc["bindings"]] == [world["a_rec"]["ent"]]


# ------------------------------------------------------------------------------------------------ the store's own

def test_the_store_s_own_callers_see_every_zone(world):
    b, read = world["b"], asker(world["b"], world["op"])
    for z in ("a", "b", "c"):
        rec = world[z + "_rec"]
        for path in ("/v1/entities/%(ent)s", "/v1/entities/%(ent)s/officers", "/v1/identity/persons/%(per)s",
                     "/v1/identity/entity/%(ent)s", "/v1/fiscal/accounts/%(acc)s/ledger",
                     "/v1/ownership/%(ent)s/share-classes", "/v1/consent/%(con_id)s"):
            assert read("GET", path % rec).status_code == 200, (z, path)
    # ... and its zone API too (its own operator token there).
    assert b.get("/v1/entities/" + world["c_rec"]["ent"], headers=world["op"]).status_code == 200


def test_records_from_before_0025_are_no_zones(world):
    """An entity, person or consent made before migration 0025 has no zone (the store did not record for whom): no
    zone's token reads, lists or acts on it, nor on what hangs off it; B's own callers still do."""
    b, ask = world["b"], asker(world["b"], world["a_h"])
    rec = records(b, world["a_h"], "pk-sifc", world["parties"])
    for table, col, key, value in (("mez_mass_entity", "zone_id", "entity_id", rec["ent"]),
                                   ("mez_mass_person", "zone_id", "person_id", rec["per"]),
                                   ("mez_mass_consent", "made_for_zone_id", "consent_id", rec["con_id"])):
        sql_exec(b, "UPDATE %s SET %s = NULL WHERE %s = '%s'" % (table, col, key, value))
    before = state(world)
    for path in ("/v1/entities/%(ent)s", "/v1/fiscal/accounts/%(acc)s", "/v1/ownership/%(ent)s/cap-table",
                 "/v1/identity/persons/%(per)s", "/v1/consent/%(con_id)s"):
        assert_problem(ask("GET", path % rec), 404, "mass.not_found")
        assert made(mass(b, "GET", path % rec, headers=world["op"]), 200)
    assert_problem(ask("POST", "/v1/fiscal/accounts/%s/deposits" % rec["acc"],
                       {"amount": "1.00", "currency": "PKR", "reference": "x"}), 404, "mass.not_found")
    assert rec["ent"] not in {e["entity_id"] for e in made(ask("GET", "/v1/entities?limit=1000"), 200)["entities"]}
    unchanged(world, before)


# ------------------------------------------------------------------------------------------------ the migration

def test_migration_keeps_the_registry_and_makes_it_one_zones(make_zone, driver, mez_env, workdir):
    """A database at schema 23 with a person and its CNIC: migrated, the person is no zone's and the identifier
    stays, keyed with no zone: the store's own callers still find it held (a second person with that CNIC
    is refused, the verification finds the person), while a zone's token neither sees the person nor is refused the
    CNIC for a person of its own registry."""
    from audit_util import mez_as_server
    from mez_harness import chown_tree
    old_sql = sql_dir_before(mez_env, workdir, 24)
    z = make_zone(driver, migrate=False, start=False, extra_conf=policy_conf(mez_env))
    z.env.mez("db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", old_sql, check=True)
    if z.env.server_user:
        chown_tree(z.data_dir, z.env.server_user)
    per, c, at = "per_" + uuid.uuid4().hex * 2, cnic(), "2026-01-01T00:00:00Z"
    z.db.execute("INSERT INTO mez_mass_person (person_id, full_name, name_key, verification_status, doc, created_at, "
                 "updated_at) VALUES ('%s', 'Legacy Person', 'legacy person', 'verified', '{\"full_name\":\"Legacy "
                 "Person\"}', '%s', '%s')" % (per, at, at))
    z.db.execute("INSERT INTO mez_mass_person_identifier (scheme, issuing_country, match_key, value, person_id, seq, "
                 "created_at) VALUES ('cnic', 'PK', '%s', '%s', '%s', 1, '%s')" % (c, c, per, at))
    mez_as_server(z, "db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", mez_env.sql_dir,
                  check=True)
    z.start()
    assert z.db.query_value("SELECT zone_key || '|' || person_id || '|' || value FROM mez_mass_person_identifier") \
        == "|%s|%s" % (per, c)
    assert z.db.query_value("SELECT COALESCE(zone_id, '-') FROM mez_mass_person") == "-"
    own = {"Authorization": "Bearer " + token_secret(z, "operator")}
    before = counts(z, MASS_TABLES)
    assert_problem(mass(z, "POST", "/v1/identity/persons", {"full_name": "Other", "identifiers": [
        {"scheme": "cnic", "value": c}]}, headers=own), 409, "identity.identifier_taken",
        pointer="/identifiers/0/value")
    assert counts(z, MASS_TABLES) == before
    r = made(mass(z, "POST", "/v1/identity/cnic/verify", {"cnic": c, "name": "legacy  PERSON"}, headers=own), 200)
    assert (r["verified"], r["registration_status"]) == (True, "verified")
    # A zone served by this store: the person is not in its registry, and the CNIC is free there.
    h = {"Authorization": "Bearer " + token_secret(z, "operator", mass_zone="pk-gwadar")}
    assert_problem(mass(z, "GET", "/v1/identity/persons/" + per, headers=h), 404, "mass.not_found")
    r = made(mass(z, "POST", "/v1/identity/cnic/verify", {"cnic": c}, headers=h), 200)
    assert r["registration_status"] == "not_registered"
    p = made(mass(z, "POST", "/v1/identity/persons", {"full_name": "Gwadar Person", "identifiers": [
        {"scheme": "cnic", "value": c}]}, headers=h))
    assert z.db.query_value("SELECT zone_id FROM mez_mass_person WHERE person_id = '%s'" % p["person_id"]) == \
        "pk-gwadar"

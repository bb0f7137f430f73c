# test_corridor_migration.py: an entity moves from pk-sifc to ae-adgm over a corridor (mez/migration_saga.h), the
# lifecycle's migration saga with each step recorded: the two zones of test_corridor_protocol's `pair` (each its own
# httpd, database, key and packs, over TLS with RFC 9421 signed requests; pk-sifc on PostgreSQL and ae-adgm on
# SQLite when both drivers run).
#
# Checked from outside: the entity's status in each zone's own register, the receipts on both chains (signature
# verified here with `cryptography`), the credentials verified by the other zone, and row counts for every refusal.
import datetime
import os
import time

import pytest

from audit_util import audit_rows, audit_verify
from mez_harness import assert_problem, run
from test_corridor_protocol import (EVIDENCE, append, chain, check_receipt_signature, open_corridor,  # noqa: F401
                                    pair, signed_post, zpost)

# ae-adgm loads no sanctions list of its own (its zone.yaml imports the UN list at deploy time): a formation there
# is pending on the sanctions domain unless a screening is attested, so the migration carries one.
SCREENED = dict(EVIDENCE, sanctions={"state": "compliant", "attestations": [{"id": "urn:screening:1",
                                                                            "issuer": "did:example:screening"}]})
TABLES = ["mez_migration", "mez_migration_step", "mez_mass_entity", "mez_credential", "mez_corridor_receipt"]
PATH = ["INITIATED", "COMPLIANCE_CHECK", "ATTESTATION_GATHERING", "SOURCE_LOCKED", "IN_TRANSIT",
        "DESTINATION_VERIFICATION", "DESTINATION_UNLOCK", "COMPLETED"]


def counts(zone):
    return {t: zone.count(t) for t in TABLES}


def deadline(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def entity(pair, zone, name):
    body = {"entity_type": "corporation", "legal_name": name,
            "directors": [{"name": "Ayesha Siddiqui", "role": "director", "nationality": "PK"}],
            "beneficial_owners": [{"name": "Ayesha Siddiqui", "ownership_percentage": "60",
                                   "control_type": "direct"}],
            "compliance": {"evidence": SCREENED}}
    r = zpost(pair, zone, "/v1/entities", body)
    assert r["resource"]["status"] == "ACTIVE", r
    return r["id"]


def registered(pair, zone, eid):
    r = pair.op(zone, "GET", "/mass/v1/entities/" + eid)
    assert r.status_code == 200, r.text
    return r.json()


def migrate(pair, cid, eid, seconds=600, **extra):
    body = dict({"entity_id": eid, "deadline": deadline(seconds), "compliance": {"evidence": SCREENED}}, **extra)
    r = pair.op(pair.a, "POST", "/v1/corridors/%s/migrations" % cid, body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/v1/corridors/%s/migrations/%s" % (cid, r.json()["migration_id"])
    return r.json()


def mpath(cid, m, what=""):
    return "/v1/corridors/%s/migrations/%s%s" % (cid, m["migration_id"], what)


def receipt(pair, zone, cid, seq):
    r = pair.op(zone, "GET", "/v1/corridors/%s/receipts/%d" % (cid, seq))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def cid(pair):
    return open_corridor(pair)


def test_an_entity_migrates_and_both_zones_can_prove_it(pair, cid):
    a, b = pair.a, pair.b
    eid = entity(pair, a, "Sialkot Surgical Instruments Ltd")
    before_b = counts(b)
    m = migrate(pair, cid, eid)
    assert m["state"] == "COMPLETED" and m["stalled"] is None, (m["stalled"], m["steps"][-1])
    assert [s["to_state"] for s in m["steps"]] == PATH
    assert [s["event"] for s in m["steps"]] == ["initiate"] + ["advance"] * 7
    assert m["live"] is False and m["locked"] is False and m["problem"] is None
    # each step's evidence: both zones' decisions, the lock's attestation, the receipt, the destination's entity
    ev = {s["to_state"]: s["evidence"] for s in m["steps"]}
    assert ev["ATTESTATION_GATHERING"]["destination"]["zone_id"] == "ae-adgm"
    assert ev["ATTESTATION_GATHERING"]["destination"]["decision"] in ("compliant", "pending", "exempt")
    assert ev["SOURCE_LOCKED"]["source"]["attestation_digest"].startswith("sha256:")
    assert ev["IN_TRANSIT"]["sequence"] == m["sequence"]
    assert ev["DESTINATION_VERIFICATION"]["destination"]["entity_id"] == m["destination_entity_id"]
    assert all(s["evidence_digest"].startswith("sha256:") for s in m["steps"])

    # the source: locked, then struck off its register (STRUCK_OFF: terminal, the entity lives on elsewhere)
    src = registered(pair, a, eid)
    assert src["status"] == "STRUCK_OFF"
    assert [h["to_status"] for h in src["history"]][-2:] == ["SUSPENDED", "STRUCK_OFF"], src["history"]
    assert any("migration " + m["migration_id"] in (h.get("reason") or "") for h in src["history"])
    # the destination: a new entity there, ACTIVE, linking the source's id, with the same officers and owners
    dst = registered(pair, b, m["destination_entity_id"])
    assert dst["status"] == "ACTIVE" and dst["jurisdiction_id"] == "ae-adgm"
    assert dst["legal_name"] == "Sialkot Surgical Instruments Ltd" and dst["entity_id"] != eid
    assert dst["metadata"]["migrated_from"] == {"zone_id": "pk-sifc", "entity_id": eid,
                                                "migration_id": m["migration_id"], "corridor_id": cid}
    assert [d["name"] for d in dst["directors"]] == ["Ayesha Siddiqui"]
    owners = pair.op(b, "GET", "/mass/v1/entities/%s/beneficial-owners" % dst["entity_id"]).json()
    assert [(o["name"], float(o["ownership_percentage"])) for o in owners["beneficial_owners"]] == \
        [("Ayesha Siddiqui", 60.0)]
    assert counts(b)["mez_mass_entity"] == before_b["mez_mass_entity"] + 1

    # the credential names both ids and verifies in the other zone
    vc = m["credential"]
    assert "EntityMigrationCredential" in vc["type"] and vc["issuer"] == a.did
    cs = vc["credentialSubject"]
    assert (cs["source"]["entity_id"], cs["destination"]["entity_id"]) == (eid, m["destination_entity_id"])
    assert (cs["source"]["zone_id"], cs["destination"]["zone_id"]) == ("pk-sifc", "ae-adgm")
    assert cs["receipt"]["sequence"] == m["sequence"]
    assert b.post("/v1/credentials/verify", json={"verifiableCredential": vc}).json()["errors"] == []

    # one receipt, the same on both chains, signed by the sequencer, with both decisions
    ra, rb = receipt(pair, a, cid, m["sequence"]), receipt(pair, b, cid, m["sequence"])
    assert ra == rb
    check_receipt_signature(ra, a.did)
    t = ra["transition"]
    assert t["kind"] == "entity_migration"
    p = t["payload"]
    assert p["migration_id"] == m["migration_id"] and p["source"]["entity_id"] == eid
    assert p["source"]["entity_record_digest"].startswith("sha256:")
    assert p["source"]["decision"]["zone_id"] == "pk-sifc" and p["destination"]["decision"]["zone_id"] == "ae-adgm"
    assert p["formation"]["legal_name"] == "Sialkot Surgical Instruments Ltd"

    # the destination's formation credential, asked again (once per receipt: nothing new), verifies here
    before = counts(b)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/migrations/complete", {"corridor_id": cid,
                                                                               "sequence": m["sequence"]})
    assert r.status_code == 200, r.text
    assert r.json()["entity_id"] == m["destination_entity_id"] and r.json()["status"] == "ACTIVE"
    fvc = r.json()["formation"]["credential"]
    assert "EntityFormationCredential" in fvc["type"] and fvc["issuer"] == b.did
    assert a.post("/v1/credentials/verify", json={"verifiableCredential": fvc}).json()["errors"] == []
    assert counts(b) == before

    # ended: nothing moves it again, nothing changes
    before = counts(a), counts(b)
    assert_problem(pair.op(a, "POST", mpath(cid, m, "/advance")), 409, "lifecycle.illegal_transition")
    assert_problem(pair.op(a, "POST", mpath(cid, m, "/cancel")), 409, "lifecycle.illegal_transition")
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/migrations" % cid,
                           {"entity_id": eid, "deadline": deadline(600)}), 409, "migration.entity_not_active",
                   pointer="/entity_id")
    assert (counts(a), counts(b)) == before
    got = pair.op(a, "GET", mpath(cid, m)).json()
    assert got["state"] == "COMPLETED" and got["steps"] == m["steps"] and "stalled" not in got


def test_a_destination_that_refuses_cancels_with_the_entity_untouched(pair, cid):
    a, b = pair.a, pair.b
    name = "Karachi Marine Traders Ltd"
    entity(pair, b, name)                 # the name is taken in ae-adgm
    eid = entity(pair, a, name)
    before_a, before_b = counts(a), counts(b)
    m = migrate(pair, cid, eid)
    assert m["state"] == "CANCELLED" and m["live"] is False and m["locked"] is False
    assert [s["to_state"] for s in m["steps"]] == ["INITIATED", "COMPLIANCE_CHECK", "CANCELLED"]
    assert m["problem"]["code"] == "entity.name_taken"             # the destination's own problem, kept
    assert m["problem"]["pointer"] == "/migration/formation/legal_name"
    assert m["steps"][-1]["event"] == "cancel" and m["steps"][-1]["effect"] is None
    assert registered(pair, a, eid)["status"] == "ACTIVE"
    after_a, after_b = counts(a), counts(b)
    assert after_a["mez_migration"] == before_a["mez_migration"] + 1
    for t in ("mez_mass_entity", "mez_credential", "mez_corridor_receipt"):
        assert after_a[t] == before_a[t] and after_b[t] == before_b[t], t
    # the entity may try again later
    assert_problem(pair.op(a, "POST", mpath(cid, m, "/advance")), 409, "lifecycle.illegal_transition")


def test_a_refusal_after_the_lock_compensates_and_reinstates(pair, cid):
    a, b = pair.a, pair.b
    name = "Multan Mango Exporters Ltd"
    eid = entity(pair, a, name)
    m = migrate(pair, cid, eid, hold_at="SOURCE_LOCKED")
    assert m["state"] == "SOURCE_LOCKED" and m["locked"] is True and m["live"] is True
    assert registered(pair, a, eid)["status"] == "SUSPENDED"
    # nothing acts on a locked entity
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/migrations" % cid, {"entity_id": eid,
                                                                            "deadline": deadline(600)}),
                   409, "migration.entity_not_active", pointer="/entity_id")
    entity(pair, b, name)                 # meanwhile the destination registers the name
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200, r.text
    m = r.json()
    assert [s["to_state"] for s in m["steps"]][-3:] == ["SOURCE_LOCKED", "IN_TRANSIT", "COMPENSATED"]
    last = m["steps"][-1]
    assert last["event"] == "compensate" and last["effect"] == "compensate"
    assert last["evidence"]["problem"]["code"] == "entity.name_taken"
    assert last["evidence"]["problem"]["migration_formed"] is False      # the destination formed nothing
    assert last["evidence"]["unlock"]["credential_digest"].startswith("sha256:")
    assert m["locked"] is False and m["problem"]["code"] == "entity.name_taken"
    assert registered(pair, a, eid)["status"] == "ACTIVE"
    # both chains hold the migration and its compensation
    comp = receipt(pair, a, cid, last["evidence"]["compensation_sequence"])
    assert comp["transition"]["kind"] == "entity_migration_compensation"
    assert comp["transition"]["payload"]["migration_id"] == m["migration_id"]
    assert receipt(pair, b, cid, m["sequence"]) == receipt(pair, a, cid, m["sequence"])
    assert receipt(pair, b, cid, comp["sequence"]) == comp
    # and the destination will not complete it any more
    before = counts(b)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/migrations/complete", {"corridor_id": cid,
                                                                               "sequence": m["sequence"]})
    assert_problem(r, 409, "migration.compensated", pointer="/sequence")
    assert counts(b) == before


def test_a_destination_that_stops_after_the_lock_times_out_once_it_says_it_formed_nothing(pair, cid):
    """The destination is down from the lock on, past the deadline: the source cannot know whether it formed the
    entity (an earlier answer could have been lost), so it waits, the entity locked, rather than reinstate it beside
    one the destination may hold (review). Back, the destination says it formed nothing and never will (past the
    deadline): the migration times out and the entity is reinstated."""
    a, b = pair.a, pair.b
    eid = entity(pair, a, "Faisalabad Denim Mills Ltd")
    m = migrate(pair, cid, eid, seconds=20, hold_at="SOURCE_LOCKED")
    assert m["state"] == "SOURCE_LOCKED"
    b.stop()
    try:
        r = pair.op(a, "POST", mpath(cid, m, "/advance"))
        p = assert_problem(r, 503, "corridor.peer_unreachable")
        assert p["migration"]["state"] == "IN_TRANSIT"        # the receipt is on this chain; delivery failed
        assert p["migration"]["steps"][-1]["evidence"]["delivery"]["delivered"] is False
        assert registered(pair, a, eid)["status"] == "SUSPENDED"
        seq = p["migration"]["sequence"]
        before = counts(a)
        time.sleep(max(0, (datetime.datetime.strptime(m["deadline"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 1.5)
        # past the deadline even a cancellation is refused
        assert_problem(pair.op(a, "POST", mpath(cid, m, "/cancel")), 409, "lifecycle.deadline_passed")
        # and while the destination cannot be asked, the migration waits where it is
        p = assert_problem(pair.op(a, "POST", mpath(cid, m, "/advance")), 503, "corridor.peer_unreachable")
        assert p["migration"]["state"] == "IN_TRANSIT" and p["migration"]["locked"] is True
        assert counts(a) == before
        assert registered(pair, a, eid)["status"] == "SUSPENDED"
    finally:
        b.start()
    # the destination, back, takes the receipt, has formed nothing, and past the deadline never will: it says so
    assert pair.op(a, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    before_b = counts(b)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/migrations/complete", {"corridor_id": cid, "sequence": seq})
    body = assert_problem(r, 409, "migration.deadline_passed", pointer="/sequence")
    assert body["migration_formed"] is False
    assert counts(b) == before_b
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["state"] == "TIMED_OUT" and m["locked"] is False
    last = m["steps"][-1]
    assert (last["event"], last["effect"], last["from_state"]) == ("timeout", "compensate", "IN_TRANSIT")
    assert last["evidence"]["problem"]["migration_formed"] is False
    assert last["evidence"]["unlock"]["decision"] in ("compliant", "exempt", "pending", "not_applicable")
    assert registered(pair, a, eid)["status"] == "ACTIVE"
    # and the compensation reaches the destination, which refuses to complete it for that reason too
    assert pair.op(a, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    before_b = counts(b)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/migrations/complete", {"corridor_id": cid, "sequence": seq})
    assert r.status_code == 409 and r.json()["code"] == "migration.compensated", r.text
    assert counts(b) == before_b
    assert receipt(pair, b, cid, seq)["transition"]["kind"] == "entity_migration"


def test_cancel_from_the_lock_unlocks_and_illegal_moves_change_nothing(pair, cid):
    a, b = pair.a, pair.b
    eid = entity(pair, a, "Peshawar Marble Works Ltd")
    m = migrate(pair, cid, eid, hold_at="SOURCE_LOCKED")
    assert registered(pair, a, eid)["status"] == "SUSPENDED"
    r = pair.op(a, "POST", mpath(cid, m, "/cancel"), {"reason": "the board changed its mind"})
    assert r.status_code == 200, r.text
    m = r.json()
    last = m["steps"][-1]
    assert m["state"] == "CANCELLED" and (last["event"], last["effect"]) == ("cancel", "unlock_source")
    assert "the board changed its mind" in last["evidence"]["reason"]
    assert last["evidence"]["unlock"]["credential_digest"].startswith("sha256:")
    assert "compensation_sequence" not in last["evidence"]          # nothing was sent: nothing to call off
    assert registered(pair, a, eid)["status"] == "ACTIVE"
    before = counts(a), counts(b)
    for what in ("/cancel", "/advance"):
        assert_problem(pair.op(a, "POST", mpath(cid, m, what)), 409, "lifecycle.illegal_transition")
    assert (counts(a), counts(b)) == before
    # an entity held by a live migration cannot start another
    m2 = migrate(pair, cid, eid, hold_at="INITIATED")
    assert m2["state"] == "INITIATED" and m2["steps"][-1]["event"] == "initiate"
    before = counts(a), counts(b)
    r = pair.op(a, "POST", "/v1/corridors/%s/migrations" % cid, {"entity_id": eid, "deadline": deadline(600)})
    assert_problem(r, 409, "migration.entity_in_migration", pointer="/entity_id")
    assert m2["migration_id"] in r.json()["detail"]
    # a live migration's advance and cancel read their bodies before anything moves
    for what, body, status, code, pointer in [
        ("/cancel", {"reason": ""}, 422, "request.invalid_type", "/reason"),
        ("/cancel", {"reason": 7}, 422, "request.invalid_type", "/reason"),
        ("/cancel", {"why": "x"}, 422, "request.unknown_field", "/why"),
        ("/advance", {"hold_at": "CANCELLED"}, 422, "migration.invalid_hold", "/hold_at"),
        ("/advance", {"hold_at": "NOWHERE"}, 422, "migration.invalid_hold", "/hold_at"),
        ("/advance", {"hold_at": 3}, 422, "migration.invalid_hold", "/hold_at"),
    ]:
        assert_problem(pair.op(a, "POST", mpath(cid, m2, what), body), status, code, pointer=pointer)
    assert pair.op(a, "GET", mpath(cid, m2)).json()["state"] == "INITIATED"
    assert (counts(a), counts(b)) == before
    # advanced in stages: it resumes from the recorded state
    r = pair.op(a, "POST", mpath(cid, m2, "/advance"), {"hold_at": "ATTESTATION_GATHERING"})
    assert r.status_code == 200 and r.json()["state"] == "ATTESTATION_GATHERING", r.text
    r = pair.op(a, "POST", mpath(cid, m2, "/cancel"))
    assert r.status_code == 200 and r.json()["state"] == "CANCELLED"
    assert r.json()["steps"][-1]["effect"] is None
    assert registered(pair, a, eid)["status"] == "ACTIVE"


def test_bad_requests_change_nothing(pair, cid):
    a, b = pair.a, pair.b
    eid = entity(pair, a, "Quetta Onyx Traders Ltd")
    before = counts(a), counts(b)
    url = "/v1/corridors/%s/migrations" % cid
    for body, status, code, pointer in [
        ({"deadline": deadline(60)}, 422, "request.missing_field", "/entity_id"),
        ({"entity_id": eid}, 422, "migration.invalid_deadline", "/deadline"),
        ({"entity_id": eid, "deadline": "2020-01-01T00:00:00Z"}, 422, "migration.invalid_deadline", "/deadline"),
        ({"entity_id": eid, "deadline": deadline(60)[:-1] + "+00:00"}, 422, "migration.invalid_deadline",
         "/deadline"),
        ({"entity_id": eid, "deadline": deadline(60), "extra": 1}, 422, "request.unknown_field", "/extra"),
        ({"entity_id": eid, "deadline": deadline(60), "hold_at": "COMPLETED"}, 422, "migration.invalid_hold",
         "/hold_at"),
        ({"entity_id": eid, "deadline": deadline(60), "compliance": []}, 422, "request.invalid_type", "/compliance"),
        ({"entity_id": "ent_" + "0" * 64, "deadline": deadline(60)}, 422, "mass.not_found", "/entity_id"),
        ({"entity_id": "../x", "deadline": deadline(60)}, 422, "request.invalid_id", "/entity_id"),
    ]:
        assert_problem(pair.op(a, "POST", url, body), status, code, pointer=pointer)
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/migrations" % "00000000-0000-4000-8000-000000000000",
                           {"entity_id": eid, "deadline": deadline(60)}), 404, "corridor.not_found")
    missing = "/v1/corridors/%s/migrations/mig_%s" % (cid, "0" * 64)
    assert_problem(pair.op(a, "GET", missing), 404, "migration.not_found")
    assert_problem(pair.op(a, "POST", missing + "/advance"), 404, "migration.not_found")
    assert_problem(pair.op(a, "POST", missing + "/cancel"), 404, "migration.not_found")
    assert_problem(pair.op(a, "GET", url), 405, "request.method_not_allowed")
    # the peer routes answer a signed peer only, about migrations from itself to this zone
    assert_problem(pair.op(b, "POST", "/v1/corridors/peers/migrations/complete",
                           {"corridor_id": cid, "sequence": 0}), 403, "auth.not_peer")
    seq = append(pair, a, cid, 1)[0]["sequence"]           # a receipt that is no migration
    before = counts(a), counts(b)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/migrations/complete", {"corridor_id": cid, "sequence": seq})
    assert_problem(r, 422, "migration.not_inbound", pointer="/sequence")
    r = signed_post(b, a.key_file, "/v1/corridors/peers/migrations/evaluate", {"corridor_id": cid, "migration": {
        "migration_id": "mig_x", "deadline": deadline(60), "destination_zone_id": "ae-adgm",
        "source": {"zone_id": "ae-adgm", "entity_id": "x"}, "formation": {"legal_name": "X Ltd"}}})
    assert_problem(r, 403, "corridor.not_party", pointer="/migration/source/zone_id")
    # the destination's routes read their bodies before anything is formed
    evaluate, complete = "/v1/corridors/peers/migrations/evaluate", "/v1/corridors/peers/migrations/complete"
    good = {"migration_id": "mig_x", "deadline": deadline(60), "destination_zone_id": "ae-adgm",
            "source": {"zone_id": "pk-sifc", "entity_id": "x"}, "formation": {"legal_name": "X Ltd"}}
    for path, body, status, code, pointer in [
        (evaluate, {"corridor_id": cid, "migration": []}, 422, "request.invalid_field", "/migration/formation"),
        (evaluate, {"corridor_id": cid, "migration": dict(good, extra=1)}, 422, "request.unknown_field",
         "/migration/extra"),
        (evaluate, {"corridor_id": cid, "migration": dict(good, formation={"entity_type": "corporation"})}, 422,
         "request.invalid_field", "/migration/formation"),
        (evaluate, {"migration": good}, 422, "request.missing_field", "/corridor_id"),
        (complete, {"corridor_id": cid, "sequence": -1}, 422, "request.invalid_field", "/sequence"),
        (complete, {"corridor_id": cid, "sequence": "1"}, 422, "request.invalid_field", "/sequence"),
        (complete, {"corridor_id": cid}, 422, "request.invalid_field", "/sequence"),
        (complete, {"corridor_id": cid, "sequence": 1 << 40}, 409, "corridor.receipt_missing", "/sequence"),
    ]:
        assert_problem(signed_post(b, a.key_file, path, body), status, code, pointer=pointer)
    assert (counts(a), counts(b)) == before


def test_a_migration_started_while_the_destination_is_down_resumes_on_advance(pair, cid):
    a, b = pair.a, pair.b
    eid = entity(pair, a, "Gujranwala Fans Ltd")
    b.stop()
    try:
        m = migrate(pair, cid, eid)
    finally:
        b.start()
    # recorded, stopped where the destination was needed, nothing locked
    assert m["state"] == "COMPLIANCE_CHECK" and m["locked"] is False
    assert m["stalled"]["code"] == "corridor.peer_unreachable" and m["stalled"]["status"] == 503
    assert registered(pair, a, eid)["status"] == "ACTIVE"
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "COMPLETED"
    assert [s["to_state"] for s in r.json()["steps"]] == PATH


def pending_at_destination(pair, cid, name, seconds=600):
    """A migration of a new entity that stalls at DESTINATION_VERIFICATION: without a screening attested, ae-adgm
    (no sanctions list loaded) forms the entity PENDING_APPROVAL. Returns (source entity, migration, destination's
    entity)."""
    a, b = pair.a, pair.b
    eid = entity(pair, a, name)
    r = pair.op(a, "POST", "/v1/corridors/%s/migrations" % cid, {"entity_id": eid, "deadline": deadline(seconds),
                                                                 "compliance": {"evidence": EVIDENCE}})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["state"] == "DESTINATION_VERIFICATION" and m["stalled"]["code"] == "migration.destination_pending", \
        m["steps"][-1]
    dest = m["destination_entity_id"]
    assert registered(pair, b, dest)["status"] == "PENDING_APPROVAL"
    assert registered(pair, a, eid)["status"] == "SUSPENDED"
    return eid, m, dest


def approve_at_destination(pair, dest):
    r = pair.op(pair.b, "POST", "/v1/entities/%s/status" % dest, {"target_status": "ACTIVE",
                                                                  "compliance": {"evidence": SCREENED}})
    assert r.status_code == 200, r.text


def test_a_destination_that_has_not_approved_holds_the_migration_until_it_does(pair, cid):
    a = pair.a
    eid, m, dest = pending_at_destination(pair, cid, "Hyderabad Ajrak Crafts Ltd")
    before = counts(a)
    p = assert_problem(pair.op(a, "POST", mpath(cid, m, "/advance")), 409, "migration.destination_pending")
    assert p["migration"]["state"] == "DESTINATION_VERIFICATION"
    assert counts(a) == before
    # the destination's registrar approves with the screening, and the migration completes
    approve_at_destination(pair, dest)
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200 and r.json()["state"] == "COMPLETED", r.text
    assert registered(pair, a, eid)["status"] == "STRUCK_OFF"


def test_a_destination_that_formed_the_entity_is_gone_forward_with_after_the_deadline(pair, cid):
    """The destination formed the entity (pending its registrar's approval) and the deadline passes: the saga
    does not time out and reinstate the source (the destination's entity may still be approved: both zones would
    then hold it live); it waits, and completes once the destination approves (review). The destination answers
    complete again after the deadline with what it formed."""
    a, b = pair.a, pair.b
    eid, m, dest = pending_at_destination(pair, cid, "Larkana Rice Mills Ltd", seconds=8)
    time.sleep(max(0, (datetime.datetime.strptime(m["deadline"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 1.5)
    before = counts(a)
    p = assert_problem(pair.op(a, "POST", mpath(cid, m, "/advance")), 409, "migration.destination_pending")
    assert p["migration"]["state"] == "DESTINATION_VERIFICATION"
    assert counts(a) == before
    assert registered(pair, a, eid)["status"] == "SUSPENDED"
    # the destination's registrar approves after the deadline: the migration completes, the source strikes off
    approve_at_destination(pair, dest)
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200 and r.json()["state"] == "COMPLETED", r.text
    assert registered(pair, a, eid)["status"] == "STRUCK_OFF"
    assert registered(pair, b, dest)["status"] == "ACTIVE"
    # no compensation receipt: the corridor records the move, not its calling off
    receipts, start = [], 0
    while True:
        got = pair.op(a, "GET", "/v1/corridors/%s/receipts?from=%d" % (cid, start)).json()["receipts"]
        if not got:
            break
        receipts, start = receipts + got, start + len(got)
    kinds = [x["transition"]["kind"] for x in receipts
             if x["transition"]["payload"].get("migration_id") == m["migration_id"]]
    assert kinds == ["entity_migration"], kinds


def test_a_destination_entity_approved_and_struck_off_since_is_a_finished_move(pair, cid):
    """The destination approved the entity it formed and struck it off (it went on to a third zone, say) before the
    source asked again: it lived there, so the move is finished here (the source strikes its own off), never
    undone, and not waited for as if awaiting approval (review)."""
    a, b = pair.a, pair.b
    eid, m, dest = pending_at_destination(pair, cid, "Jhelum Salt Works Ltd")
    approve_at_destination(pair, dest)
    r = pair.op(b, "POST", "/v1/entities/%s/status" % dest, {"target_status": "STRUCK_OFF",
                                                             "reason": "continued in another zone",
                                                             "compliance": {"evidence": SCREENED}})
    assert r.status_code == 200, r.text
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200 and r.json()["state"] == "COMPLETED", r.text
    assert [s["evidence"].get("destination", {}).get("status") for s in r.json()["steps"]
            if s["to_state"] == "DESTINATION_UNLOCK"] == ["STRUCK_OFF"]
    assert registered(pair, a, eid)["status"] == "STRUCK_OFF"


def test_a_destination_that_rejects_the_entity_it_formed_compensates(pair, cid):
    """The destination's registrar rejects the entity it formed pending approval: nothing lives there, so the
    source is reinstated and the corridor says the migration was called off."""
    a, b = pair.a, pair.b
    eid, m, dest = pending_at_destination(pair, cid, "Mardan Sugar Mills Ltd")
    r = pair.op(b, "POST", "/v1/entities/%s/status" % dest, {"target_status": "REJECTED",
                                                             "reason": "incomplete filing"})
    assert r.status_code == 200, r.text
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200, r.text
    m = r.json()
    last = m["steps"][-1]
    assert m["state"] == "COMPENSATED" and (last["event"], last["effect"]) == ("compensate", "compensate"), m
    assert registered(pair, a, eid)["status"] == "ACTIVE"
    assert registered(pair, b, dest)["status"] == "REJECTED"


def test_an_entity_reinstated_by_hand_during_the_lock_is_not_unlocked_twice(pair, cid):
    a = pair.a
    eid = entity(pair, a, "Sukkur Dates Ltd")
    m = migrate(pair, cid, eid, hold_at="SOURCE_LOCKED")
    r = pair.op(a, "POST", "/v1/entities/%s/status" % eid, {"target_status": "ACTIVE",
                                                            "compliance": {"evidence": SCREENED}})
    assert r.status_code == 200, r.text
    r = pair.op(a, "POST", mpath(cid, m, "/cancel"))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "CANCELLED"
    assert r.json()["steps"][-1]["evidence"]["unlock"] == {"zone_id": "pk-sifc", "already": "ACTIVE"}
    assert registered(pair, a, eid)["status"] == "ACTIVE"


def test_the_responder_zone_migrates_through_the_sequencer(pair, cid):
    a, b = pair.a, pair.b
    eid = entity(pair, b, "Al Reem Logistics Ltd")
    r = pair.op(b, "POST", "/v1/corridors/%s/migrations" % cid, {"entity_id": eid, "deadline": deadline(600),
                                                                 "compliance": {"evidence": SCREENED}})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["state"] == "COMPLETED" and m["destination_zone_id"] == "pk-sifc", m.get("stalled")
    rec = receipt(pair, a, cid, m["sequence"])
    check_receipt_signature(rec, a.did)           # appended by the sequencer, at the responder's request
    assert rec == receipt(pair, b, cid, m["sequence"])
    assert rec["transition"]["payload"]["source"]["zone_id"] == "ae-adgm"
    assert registered(pair, b, eid)["status"] == "STRUCK_OFF"
    dst = registered(pair, a, m["destination_entity_id"])
    assert dst["status"] == "ACTIVE" and dst["jurisdiction_id"] == "pk-sifc"
    assert a.post("/v1/credentials/verify", json={"verifiableCredential": m["credential"]}).json()["errors"] == []


def test_a_receipt_appended_but_not_taken_is_neither_appended_again_nor_left_uncompensated(pair):
    # Review: a migration's receipts were recorded with no request reference, so a responder whose attempt left the
    # receipt at the sequencer but not in its own copy (a lost answer; here, its copy suspended when the receipt
    # came back) appended a second entity_migration receipt on the retry; and a cancel before the receipt's step
    # was recorded sent no compensation, the receipt standing on the chain uncalled-off.
    a, b = pair.a, pair.b
    cid = open_corridor(pair)      # its own corridor: its copies are suspended and resumed here
    evidence = {"suspend": {"reason": "network maintenance"},
                "resume": {"resolution_attestation_digest": "sha256:" + "7" * 64}}

    def move(zone, event):
        r = pair.op(zone, "POST", "/v1/corridors/%s/transition" % cid, {"event": event, "evidence": evidence[event]})
        assert r.status_code == 200, r.text

    def on_a(kind, mid):     # the receipts of kind for migration mid on the sequencer's chain
        return [r for r in chain(pair, a, cid) if r["transition"]["kind"] == kind
                and r["transition"]["payload"].get("migration_id") == mid]

    def locked_then_stalled(name):
        eid = entity(pair, b, name)
        r = pair.op(b, "POST", "/v1/corridors/%s/migrations" % cid, {"entity_id": eid, "deadline": deadline(600),
                                                                     "compliance": {"evidence": SCREENED},
                                                                     "hold_at": "SOURCE_LOCKED"})
        assert r.status_code == 201 and r.json()["state"] == "SOURCE_LOCKED", r.text
        m = r.json()
        # b's copy suspended (a is told and follows; a resumes its own): a appends the receipt b asks for, b's
        # copy refuses to take it, and the step stays unrecorded
        move(b, "suspend")
        move(a, "resume")
        p = assert_problem(pair.op(b, "POST", mpath(cid, m, "/advance"), {"hold_at": "IN_TRANSIT"}), 409,
                           "corridor.not_active")
        assert p["migration"]["state"] == "SOURCE_LOCKED" and p["migration"]["sequence"] is None
        assert len(on_a("entity_migration", m["migration_id"])) == 1
        move(b, "resume")
        return eid, m

    # advanced again: the sequencer answers the receipt it appended, b takes it, and the saga goes on
    eid, m = locked_then_stalled("Khalifa Port Freight Ltd")
    r = pair.op(b, "POST", mpath(cid, m, "/advance"), {"hold_at": "IN_TRANSIT"})
    assert r.status_code == 200 and r.json()["state"] == "IN_TRANSIT", r.text
    held = on_a("entity_migration", m["migration_id"])
    assert len(held) == 1 and held[0]["sequence"] == r.json()["sequence"]
    assert receipt(pair, b, cid, held[0]["sequence"]) == held[0]
    r = pair.op(b, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200 and r.json()["state"] == "COMPLETED", r.text

    # cancelled instead: the receipt is looked up (b pulls it first) and called off
    eid, m = locked_then_stalled("Saadiyat Pearl Traders Ltd")
    r = pair.op(b, "POST", mpath(cid, m, "/cancel"), {"reason": "the board changed its mind"})
    assert r.status_code == 200, r.text
    m = r.json()
    last = m["steps"][-1]
    assert m["state"] == "CANCELLED" and registered(pair, b, eid)["status"] == "ACTIVE"
    sent = on_a("entity_migration", m["migration_id"])
    assert len(sent) == 1 and m["sequence"] == sent[0]["sequence"]
    comp = on_a("entity_migration_compensation", m["migration_id"])
    assert len(comp) == 1 and last["evidence"]["compensation_sequence"] == comp[0]["sequence"]
    assert comp[0]["transition"]["payload"]["sequence"] == sent[0]["sequence"]
    # and the destination will not complete it
    r = signed_post(a, b.key_file, "/v1/corridors/peers/migrations/complete", {"corridor_id": cid,
                                                                               "sequence": sent[0]["sequence"]})
    assert_problem(r, 409, "migration.compensated", pointer="/sequence")


def migration_audit(zone, mid):
    return [r for r in audit_rows(zone) if r["resource_type"] == "migration" and r["resource_id"] == mid]


def test_every_step_has_its_audit_row(pair, cid):
    """Every step of the saga is an action of the source zone, written with its audit row in the step's own
    transaction: migration.<event>, the operator's token as actor, the request that drove it, the states."""
    a = pair.a
    eid = entity(pair, a, "Quetta Carpet Weavers Ltd")
    m = migrate(pair, cid, eid, hold_at="INITIATED")
    rows = migration_audit(a, m["migration_id"])
    assert [(r["action"], r["outcome"]) for r in rows] == [("migration.initiate", "committed")], rows
    first = rows[0]
    assert first["actor"] not in ("anonymous", None) and first["request_id"].startswith("req_")
    assert (first["detail"]["entity_id"], first["detail"]["corridor_id"]) == (eid, cid)
    assert (first["detail"]["from_state"], first["detail"]["to_state"]) == (None, "INITIATED")
    assert first["detail"]["evidence_digest"] == m["steps"][0]["evidence_digest"]
    r = pair.op(a, "POST", mpath(cid, m, "/cancel"), {"reason": "not this year"})
    assert r.status_code == 200 and r.json()["state"] == "CANCELLED", r.text
    rows = migration_audit(a, m["migration_id"])
    assert [r["action"] for r in rows] == ["migration.initiate", "migration.cancel"]
    assert (rows[1]["detail"]["from_state"], rows[1]["detail"]["to_state"]) == ("INITIATED", "CANCELLED")
    assert rows[1]["actor"] == first["actor"] and rows[1]["request_id"] != first["request_id"]
    # a whole migration in one request: one row per step, in order, all of that request
    eid = entity(pair, a, "Multan Cotton Ginners Ltd")
    m = migrate(pair, cid, eid)
    assert m["state"] == "COMPLETED", m["steps"][-1]
    rows = migration_audit(a, m["migration_id"])
    assert [r["action"] for r in rows] == ["migration." + s["event"] for s in m["steps"]]
    assert [r["detail"]["to_state"] for r in rows] == PATH
    assert len({r["request_id"] for r in rows}) == 1
    assert audit_verify(a).returncode == 0


def test_a_formation_answered_under_a_key_the_destination_has_since_rotated_goes_on(pair, cid):
    """The destination formed the entity pending approval, then rotated its key: its answer to complete is the
    formation credential first issued, under the DID it rotated from, which its recorded rotation leads to the DID
    it has now; the migration goes on rather than refuse that answer for ever (review). Runs last: it rotates b."""
    a, b = pair.a, pair.b
    eid, m, dest = pending_at_destination(pair, cid, "Okara Dairy Farms Ltd")
    old_b = b.get("/v1/zone").json()["did"]
    token_file = os.path.join(b.dir, "operator-token-rotate")
    with open(token_file, "w") as f:
        f.write(pair.ops[b]["Authorization"].split(" ", 1)[1] + "\n")
    os.chmod(token_file, 0o600)
    ca = b.tls.ca.cert
    cp = run([b.env.mez_bin, "key", "rotate", "--zone", b.zone_id, "--key-file", b.key_file, "--driver", b.driver,
              "--params", b.db.params, "--url", b.url(""), "--token-file", token_file, "--ca-file", ca,
              "--peer-ca", ca, "--no-reload"], env=b.env.env(), timeout=120)
    assert cp.returncode == 0 and "peer pk-sifc: knows" in cp.stdout, cp.stdout + cp.stderr
    b.stop()
    b.start()
    assert b.get("/v1/zone").json()["did"] != old_b
    approve_at_destination(pair, dest)
    r = pair.op(a, "POST", mpath(cid, m, "/advance"))
    assert r.status_code == 200 and r.json()["state"] == "COMPLETED", r.text
    assert registered(pair, a, eid)["status"] == "STRUCK_OFF"

# test_watchers.py: corridor watchers between two zones (test_corridor_protocol's pair: pk-sifc the sequencer,
# ae-adgm the responder, over TLS with MezPeer both ways). A watcher is enrolled on both with a stake, runs
# `mez watcher attest` against both zones (checkpoints fetched, notes verified, zones compared, attestations
# posted), and is slashed 50 % for a false root and 100 % for equivocating, with the evidence kept. Unregistered
# and tampered credentials are refused, and every refusal leaves the watcher tables as they were.
import calendar
import copy
import json
import os
import time

import pytest

from mez_harness import assert_problem, drive_console, run, token_secret
from test_corridor_protocol import append, open_corridor, pair, signed_note, token  # noqa: F401 (pair: fixture)

TABLES = ["mez_watcher", "mez_watcher_event", "mez_watcher_attestation"]


def counts(zone):
    return {t: zone.count(t) for t in TABLES}


@pytest.fixture(scope="module")
def world(pair):
    """A corridor of six receipts checkpointed by the sequencer and synced by the responder, with watcher and
    regulator tokens on both zones."""
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 6)
    assert pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % cid).status_code == 201
    assert pair.op(b, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    assert a.get("/v1/corridors/%s/checkpoint" % cid).text == b.get("/v1/corridors/%s/checkpoint" % cid).text
    w = {z: token(z, "watcher") for z in (a, b)}
    reg = {z: token(z, "regulator") for z in (a, b)}
    return {"cid": cid, "watcher": w, "regulator": reg}


def audit_rows(zone, watcher_id):
    """(action, outcome, detail) of the zone's audit rows about a watcher, oldest first."""
    inner = ("SELECT action || '|' || outcome || '|' || detail AS x FROM mez_audit WHERE resource_type = 'watcher' "
             "AND resource_id = '%s' ORDER BY seq" % watcher_id)
    agg = "string_agg(x, E'\\n')" if zone.driver == "pgsql" else "group_concat(x, char(10))"
    text = zone.db.query_value("SELECT %s FROM (%s) q" % (agg, inner))
    return [tuple(line.split("|", 2)) for line in (text or "").split("\n") if line]


def new_watcher(zone, name):
    path = os.path.join(zone.env.new_dir("watcher-" + name), "watcher.pem")
    return path, zone.env.keygen(path)


def enrol(pair, zone, did, amount):
    r = pair.op(zone, "POST", "/v1/watchers", {"did": did, "stake": {"amount_minor": amount, "currency": "USD"}})
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["state"] == "ACTIVE" and w["stake"] == {"amount_minor": amount, "currency": "USD"}
    assert r.headers["Location"] == "/v1/watchers/" + w["watcher_id"]
    return w


def sign(zone, key_file, cid, size, root, origin=None, valid_from="2026-01-01T00:00:00Z", note=None):
    """A WatcherAttestation signed by key_file with `mez vc issue`."""
    cred = {"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "WatcherAttestation"],
            "validFrom": valid_from,
            "credentialSubject": {"id": "urn:mez:corridor:" + cid, "corridor_id": cid,
                                  "origin": origin or "pk-sifc/corridors/" + cid, "tree_size": size,
                                  "root_hash": root}}
    if note:
        cred["credentialSubject"]["checkpoint_note"] = note
    path = os.path.join(zone.dir, "attestation-%d.json" % os.getpid())
    with open(path, "w") as f:
        json.dump(cred, f)
    cp = run([zone.env.mez_bin, "vc", "issue", "--key", key_file, path], env=zone.env.env(), check=True)
    os.unlink(path)
    return json.loads(cp.stdout)


def post(zone, headers, cid, vc):
    return zone.post("/v1/corridors/%s/attestations" % cid, json={"attestation": vc}, headers=headers)


def attest_cli(pair, world, key_file, tokens):
    a, b = pair.a, pair.b
    files = []
    for z in (a, b):
        path = os.path.join(z.dir, "watcher-token")
        with open(path, "w") as f:
            f.write(tokens[z]["Authorization"].split(" ", 1)[1] + "\n")
        files += ["--token-file", path]
    return run([a.env.mez_bin, "watcher", "attest", "--key", key_file, "--corridor", world["cid"],
                "--zone", a.url(""), "--zone", b.url(""), "--ca", a.tls.ca_file] + files, env=a.env.env())


def test_operators_enrol_watchers_and_refusals_change_nothing(pair, world):
    a = pair.a
    key, did = new_watcher(a, "enrol")
    w = enrol(pair, a, did, 250000)
    before = counts(a)
    assert_problem(pair.op(a, "POST", "/v1/watchers", {"did": did, "stake": {"amount_minor": 1, "currency": "USD"}}),
                   409, "watcher.exists", pointer="/did")
    _, other = new_watcher(a, "enrol-other")
    for body, code, ptr in (({"did": other, "stake": {"amount_minor": 0, "currency": "USD"}}, "watcher.invalid_stake",
                             "/stake/amount_minor"),
                            ({"did": other, "stake": {"amount_minor": 5, "currency": "usd"}},
                             "watcher.invalid_currency", "/stake/currency"),
                            ({"did": "did:web:example.org", "stake": {"amount_minor": 5, "currency": "USD"}},
                             "watcher.invalid_did", "/did"),
                            ({"did": other}, "request.missing_field", "/stake"),
                            ({"did": other, "stake": {"amount_minor": 5, "currency": "USD"}, "x": 1},
                             "request.unknown_field", "/x")):
        assert_problem(pair.op(a, "POST", "/v1/watchers", body), 422, code, pointer=ptr)
    # only operators enrol
    assert_problem(a.post("/v1/watchers", json={"did": other, "stake": {"amount_minor": 5, "currency": "USD"}},
                          headers=world["regulator"][a]), 403)
    assert_problem(a.post("/v1/watchers", json={"did": other, "stake": {"amount_minor": 5, "currency": "USD"}},
                          headers=world["watcher"][a]), 403)
    assert counts(a) == before
    # regulators read them, with the event log
    r = a.get("/v1/watchers/" + w["watcher_id"], headers=world["regulator"][a])
    assert r.status_code == 200, r.text
    assert [e["event"] for e in r.json()["events"]] == ["register", "bond", "activate"]
    assert r.json()["events"][1]["amount_minor"] == 250000
    assert w["watcher_id"] in [x["watcher_id"] for x in a.get("/v1/watchers", headers=world["regulator"][a]).json()
                               ["watchers"]]
    assert_problem(pair.op(a, "GET", "/v1/watchers/wat_" + "0" * 32), 404, "watcher.not_found")
    # unbond: ACTIVE -> UNBONDING, then no second unbond
    r = pair.op(a, "POST", "/v1/watchers/%s/unbond" % w["watcher_id"])
    assert r.status_code == 200 and r.json()["state"] == "UNBONDING"
    before = counts(a)
    assert_problem(pair.op(a, "POST", "/v1/watchers/%s/unbond" % w["watcher_id"]), 409,
                   "lifecycle.illegal_transition")
    assert counts(a) == before


def test_mez_watcher_attest_against_both_zones_then_equivocation(pair, world):
    a, b = pair.a, pair.b
    cid = world["cid"]
    key, did = new_watcher(a, "cli")
    wa, wb = enrol(pair, a, did, 1000000), enrol(pair, b, did, 1000000)
    before = {a: counts(a), b: counts(b)}
    cp = attest_cli(pair, world, key, world["watcher"])
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "consistent: " in cp.stdout and cp.stdout.count("attested ") == 2 and "(recorded)" in cp.stdout
    root = pair.op(a, "GET", "/v1/corridors/" + cid).json()["root"]
    for z in (a, b):
        assert z.count("mez_watcher_attestation") == before[z]["mez_watcher_attestation"] + 1
        got = z.get("/v1/corridors/%s/attestations" % cid, headers=world["regulator"][z]).json()["attestations"]
        mine = [x for x in got if x["did"] == did]
        assert len(mine) == 1 and (mine[0]["tree_size"], mine[0]["root_hash"]) == (6, root)
        assert mine[0]["credential"]["issuer"] == did
        assert mine[0]["credential"]["credentialSubject"]["checkpoint_note"] == a.get(
            "/v1/corridors/%s/checkpoint" % cid).text
    # again: the zones answer repeats and nothing is written
    before = {a: counts(a), b: counts(b)}
    cp = attest_cli(pair, world, key, world["watcher"])
    assert cp.returncode == 0 and cp.stdout.count("already recorded") == 2, cp.stdout + cp.stderr
    assert {a: counts(a), b: counts(b)} == before

    # Equivocation: the same watcher signs another root for size 6 and gives it to the responder.
    other = "ab" * 32
    r = post(b, world["watcher"][b], cid, sign(b, key, cid, 6, other))
    assert_problem(r, 409, "watcher.equivocation", pointer="/attestation/credentialSubject/root_hash")
    slash = r.json()["slash"]
    assert (slash["reason"], slash["amount_minor"], slash["stake_minor"], slash["state"]) == \
        ("equivocation", 1000000, 0, "SLASHED")
    assert b.count("mez_watcher_attestation") == before[b]["mez_watcher_attestation"]
    assert b.count("mez_watcher_event") == before[b]["mez_watcher_event"] + 1
    ev = pair.op(b, "GET", "/v1/watchers/" + wb["watcher_id"]).json()
    assert (ev["state"], ev["stake"]["amount_minor"], ev["slashed_minor"]) == ("SLASHED", 0, 1000000)
    last = ev["events"][-1]
    assert (last["event"], last["reason"], last["amount_minor"]) == ("slash", "equivocation", 1000000)
    assert last["evidence_digest"] == slash["evidence_digest"]
    roots = [c["credentialSubject"]["root_hash"] for c in last["evidence"]["credentials"]]
    assert roots == [root, other]
    # the sequencer's zone knew nothing of it: its watcher is untouched
    assert pair.op(a, "GET", "/v1/watchers/" + wa["watcher_id"]).json()["state"] == "ACTIVE"
    # a slashed watcher attests nothing, and (unlike the reference) may exit with what is left
    before_b = counts(b)
    assert_problem(post(b, world["watcher"][b], cid, sign(b, key, cid, 6, root)), 409, "watcher.not_active")
    assert counts(b) == before_b
    r = pair.op(b, "POST", "/v1/watchers/%s/unbond" % wb["watcher_id"])
    assert r.status_code == 200 and r.json()["state"] == "UNBONDING"


def test_a_false_attestation_is_slashed_half_with_its_evidence(pair, world):
    a = pair.a
    cid = world["cid"]
    key, did = new_watcher(a, "false")
    w = enrol(pair, a, did, 1000001)
    before = counts(a)
    wrong = "cd" * 32
    vc = sign(a, key, cid, 3, wrong)
    r = post(a, world["watcher"][a], cid, vc)
    assert_problem(r, 409, "watcher.false_attestation", pointer="/attestation/credentialSubject/root_hash")
    slash = r.json()["slash"]
    assert (slash["reason"], slash["amount_minor"], slash["stake_minor"]) == ("false_attestation", 500000, 500001)
    after = counts(a)
    assert after["mez_watcher_attestation"] == before["mez_watcher_attestation"]
    assert after["mez_watcher_event"] == before["mez_watcher_event"] + 1
    assert after["mez_watcher"] == before["mez_watcher"]
    ev = pair.op(a, "GET", "/v1/watchers/" + w["watcher_id"]).json()
    last = ev["events"][-1]
    assert (ev["state"], last["reason"], last["from_state"], last["to_state"]) == \
        ("SLASHED", "false_attestation", "ACTIVE", "SLASHED")
    assert last["evidence"]["credential"] == vc
    assert last["evidence"]["attested_root"] == wrong
    proof = a.get("/v1/corridors/%s/proofs/inclusion?seq=0&size=3" % cid).json()
    assert last["evidence"]["chain_root"] == proof["root"]
    # The zone's audit chain has the enrolment and the slash, each with what was decided.
    rows = audit_rows(a, w["watcher_id"])
    assert [(x[0], x[1]) for x in rows] == [("watcher.enrol", "committed"), ("watcher.attest", "denied")], rows
    detail = json.loads(rows[1][2])
    assert (detail["outcome"], detail["slash_reason"], detail["slashed_minor"], detail["tree_size"]) == \
        ("slashed", "false_attestation", 500000, 3)
    assert detail["evidence_digest"].startswith("sha256:")


def watcher_state(pair, zone, w):
    x = pair.op(zone, "GET", "/v1/watchers/" + w["watcher_id"]).json()
    return x["state"], x["stake"]["amount_minor"]


def test_an_unbonding_watcher_is_judged_for_what_it_signed_while_bonded(pair, world):
    # Review T2: an UNBONDING watcher escaped both slashes (409 watcher.not_active before any check).
    a = pair.a
    cid, tok = world["cid"], world["watcher"][a]
    root3 = a.get("/v1/corridors/%s/proofs/inclusion?seq=0&size=3" % cid).json()["root"]
    root2 = a.get("/v1/corridors/%s/proofs/inclusion?seq=0&size=2" % cid).json()["root"]
    key, did = new_watcher(a, "unbonding")
    w = enrol(pair, a, did, 1000)
    assert post(a, tok, cid, sign(a, key, cid, 3, root3)).status_code == 201
    conflicting = sign(a, key, cid, 3, "cd" * 32)     # signed while bonded, delivered after
    assert pair.op(a, "POST", "/v1/watchers/%s/unbond" % w["watcher_id"]).json()["state"] == "UNBONDING"
    time.sleep(1.1)
    before = counts(a)
    # a true root is judged but not recorded: the watcher no longer attests
    assert_problem(post(a, tok, cid, sign(a, key, cid, 2, root2)), 409, "watcher.not_active",
                   pointer="/attestation/issuer")
    # what it signed after unbonding began is no bonded watcher's word: refused unjudged
    late = sign(a, key, cid, 3, "ef" * 32, valid_from=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    assert_problem(post(a, tok, cid, late), 409, "watcher.not_active", pointer="/attestation/validFrom")
    assert counts(a) == before and watcher_state(pair, a, w) == ("UNBONDING", 1000)
    # the equivocation it signed while bonded is slashed, all of it
    r = post(a, tok, cid, conflicting)
    assert_problem(r, 409, "watcher.equivocation", pointer="/attestation/credentialSubject/root_hash")
    assert (r.json()["slash"]["amount_minor"], r.json()["slash"]["state"]) == (1000, "SLASHED")
    assert watcher_state(pair, a, w) == ("SLASHED", 0)
    assert counts(a)["mez_watcher_attestation"] == before["mez_watcher_attestation"]
    last = pair.op(a, "GET", "/v1/watchers/" + w["watcher_id"]).json()["events"][-1]
    assert (last["event"], last["reason"], last["from_state"]) == ("slash", "equivocation", "UNBONDING")
    # a false root it signed while bonded: half
    key2, did2 = new_watcher(a, "unbonding-false")
    w2 = enrol(pair, a, did2, 1000)
    false_root = sign(a, key2, cid, 4, "ab" * 32)
    pair.op(a, "POST", "/v1/watchers/%s/unbond" % w2["watcher_id"])
    r = post(a, tok, cid, false_root)
    assert_problem(r, 409, "watcher.false_attestation", pointer="/attestation/credentialSubject/root_hash")
    assert watcher_state(pair, a, w2) == ("SLASHED", 500)
    # SLASHED: not judged again (the lifecycle has no second slash)
    before = counts(a)
    assert_problem(post(a, tok, cid, sign(a, key2, cid, 5, "ab" * 32)), 409, "watcher.not_active")
    assert counts(a) == before and watcher_state(pair, a, w2) == ("SLASHED", 500)


def test_a_slashed_watcher_rebonds_and_an_exit_waits_for_the_unbonding_period(pair, world):
    """A SLASHED watcher bonds again (the stake added to what the slash left, ACTIVE at once, audited); an exit's
    stake is held for the zone's unbonding period (14 days here, the default): completing it earlier is refused
    with the date, and changes nothing."""
    a = pair.a
    cid, tok = world["cid"], world["watcher"][a]
    key, did = new_watcher(a, "rebond")
    w = enrol(pair, a, did, 1000)
    assert_problem(post(a, tok, cid, sign(a, key, cid, 3, "cd" * 32)), 409, "watcher.false_attestation")
    assert watcher_state(pair, a, w) == ("SLASHED", 500)
    path = "/v1/watchers/%s/rebond" % w["watcher_id"]
    before = counts(a)
    for body, status, code, ptr in (
            ({"stake": {"amount_minor": 250, "currency": "EUR"}}, 409, "watcher.currency_mismatch", None),
            ({"stake": {"amount_minor": 0, "currency": "USD"}}, 422, "watcher.invalid_stake", "/stake/amount_minor"),
            ({"stake": {"amount_minor": 250, "currency": "USD", "extra": 1}}, 422, "request.unknown_field",
             "/stake/extra"),
            ({}, 422, "request.missing_field", "/stake")):
        p = assert_problem(pair.op(a, "POST", path, body), status, code)
        assert ptr is None or p.get("pointer") == ptr, p
    assert counts(a) == before and watcher_state(pair, a, w) == ("SLASHED", 500)
    r = pair.op(a, "POST", path, {"stake": {"amount_minor": 250, "currency": "USD"}})
    assert r.status_code == 200 and (r.json()["state"], r.json()["stake"]["amount_minor"]) == ("ACTIVE", 750), r.text
    events = pair.op(a, "GET", "/v1/watchers/" + w["watcher_id"]).json()["events"]
    assert [(e["event"], e["to_state"]) for e in events[-2:]] == [("rebond", "BONDED"), ("activate", "ACTIVE")]
    assert audit_rows(a, w["watcher_id"])[-1][:2] == ("watcher.rebond", "committed")
    assert_problem(pair.op(a, "POST", path, {"stake": {"amount_minor": 1, "currency": "USD"}}), 409,
                   "lifecycle.illegal_transition")
    # back at work: what it attests truly is recorded again
    root2 = a.get("/v1/corridors/%s/proofs/inclusion?seq=0&size=2" % cid).json()["root"]
    assert post(a, tok, cid, sign(a, key, cid, 2, root2)).status_code == 201
    # an exit: the stake is held for the unbonding period (14 days unless the zone says otherwise)
    assert pair.op(a, "POST", "/v1/watchers/%s/unbond" % w["watcher_id"]).json()["state"] == "UNBONDING"
    before = counts(a)
    p = assert_problem(pair.op(a, "POST", "/v1/watchers/%s/complete-unbond" % w["watcher_id"]), 409,
                       "watcher.unbonding")
    began = pair.op(a, "GET", "/v1/watchers/" + w["watcher_id"]).json()["updated_at"]
    held_until = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime(calendar.timegm(time.strptime(began, "%Y-%m-%dT%H:%M:%SZ")) + 14 * 86400))
    assert began in p["detail"] and held_until in p["detail"], p
    assert counts(a) == before and watcher_state(pair, a, w) == ("UNBONDING", 750)


def test_a_watcher_delivering_the_sequencers_fork_is_not_slashed(pair):
    # Review T3: a note the sequencer signed for another root was taken as the watcher's false attestation.
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 3)
    assert pair.op(b, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    origin = "pk-sifc/corridors/" + cid
    key, did = new_watcher(b, "relay")
    w = enrol(pair, b, did, 1000)
    tok = token(b, "watcher")
    # a note signed by a stranger is not the sequencer's: refused, nothing kept
    stranger, _ = new_watcher(b, "stranger")
    before, forks = counts(b), b.count("mez_corridor_fork")
    r = post(b, tok, cid, sign(b, key, cid, 3, "ab" * 32,
                                note=signed_note(stranger, origin, 3, bytes.fromhex("ab" * 32), b.dir)))
    assert r.status_code == 422, r.text
    assert counts(b) == before and b.count("mez_corridor_fork") == forks
    # the sequencer's own signature on another root: its fork, proved by the watcher
    note = signed_note(a.key_file, origin, 3, bytes.fromhex("ab" * 32), a.dir)
    r = post(b, tok, cid, sign(b, key, cid, 3, "ab" * 32, origin=origin, note=note))
    doc = assert_problem(r, 409, "corridor.fork", pointer="/attestation/credentialSubject/checkpoint_note")
    assert doc["evidence_digest"].startswith("sha256:") and "slash" not in doc
    assert watcher_state(pair, b, w) == ("ACTIVE", 1000)
    after = counts(b)
    assert after["mez_watcher_attestation"] == before["mez_watcher_attestation"]
    assert after["mez_watcher_event"] == before["mez_watcher_event"]
    assert b.count("mez_corridor_fork") == forks + 1
    assert b.db.query_value("SELECT conflicting_receipt FROM mez_corridor_fork WHERE evidence_digest = '%s'"
                            % doc["evidence_digest"]).rstrip("\n") == note.rstrip("\n")
    # halted as sync halts for the same note, and the sequencer told
    assert pair.op(b, "GET", "/v1/corridors/" + cid).json()["state"] == "HALTED"
    assert pair.op(a, "GET", "/v1/corridors/" + cid).json()["state"] == "HALTED"
    rows = audit_rows(b, w["watcher_id"])
    assert json.loads(rows[-1][2])["outcome"] == "fork_evidence" and rows[-1][1] == "denied"


def test_unregistered_tampered_and_premature_attestations_change_nothing(pair, world):
    a, b = pair.a, pair.b
    cid = world["cid"]
    root3 = a.get("/v1/corridors/%s/proofs/inclusion?seq=0&size=3" % cid).json()["root"]
    key, did = new_watcher(a, "refusals")
    stranger, _ = new_watcher(a, "stranger")
    enrol(pair, a, did, 1000)
    before = counts(a)
    # an unregistered DID
    assert_problem(post(a, world["watcher"][a], cid, sign(a, stranger, cid, 3, root3)), 403,
                   "watcher.not_registered", pointer="/attestation/issuer")
    # tampered after signing
    vc = sign(a, key, cid, 3, root3)
    bad = copy.deepcopy(vc)
    bad["credentialSubject"]["tree_size"] = 4
    r = post(a, world["watcher"][a], cid, bad)
    assert r.status_code == 422 and r.json()["code"].startswith("vc.signature"), r.text
    # beyond this zone's chain: nothing happens
    assert_problem(post(a, world["watcher"][a], cid, sign(a, key, cid, 60, root3)), 409, "corridor.behind",
                   pointer="/attestation/credentialSubject/tree_size")
    # under another origin, another corridor's path, or not a WatcherAttestation at all
    assert_problem(post(a, world["watcher"][a], cid, sign(a, key, cid, 3, root3, origin="ae-adgm/corridors/" + cid)),
                   422, "watcher.origin_mismatch")
    assert_problem(post(a, world["watcher"][a], "00000000-0000-4000-8000-000000000000", vc), 422,
                   "watcher.corridor_mismatch")
    assert_problem(a.post("/v1/corridors/%s/attestations" % cid, json={"credential": vc},
                          headers=world["watcher"][a]), 422, "request.unknown_field")
    # regulators read attestations but post none
    assert_problem(post(a, world["regulator"][a], cid, vc), 403)
    assert counts(a) == before
    # the true one is taken
    r = post(a, world["watcher"][a], cid, vc)
    assert r.status_code == 201 and r.json()["repeated"] is False, r.text
    r = post(a, world["watcher"][a], cid, vc)
    assert r.status_code == 200 and r.json()["repeated"] is True


def test_the_watcher_names_the_zone_that_disagrees(pair, world):
    """The responder serves a checkpoint the sequencer's key signed over a history its chain does not have: the
    watcher finds no consistency proof from the other zone's checkpoint, names the zone and attests nothing."""
    a, b = pair.a, pair.b
    cid = world["cid"]
    key, did = new_watcher(a, "conflict")
    enrol(pair, a, did, 1000)
    enrol(pair, b, did, 1000)
    origin = "pk-sifc/corridors/" + cid
    forged = signed_note(a.key_file, origin, 7, b"\x42" * 32, b.dir)
    b.db.execute("INSERT INTO mez_corridor_checkpoint (corridor_id, tree_size, root, note, created_at) VALUES "
                 "('%s', 7, '%s', '%s', '2026-11-25T00:00:00Z')" % (cid, "42" * 32, forged))
    try:
        before = {a: counts(a), b: counts(b)}
        cp = attest_cli(pair, world, key, world["watcher"])
        assert cp.returncode == 1, cp.stdout + cp.stderr
        assert "CONFLICT %s disagrees with %s" % (b.url(""), a.url("")) in cp.stdout, cp.stdout
        assert "nothing attested" in cp.stderr
        assert {a: counts(a), b: counts(b)} == before
    finally:
        b.db.execute("DELETE FROM mez_corridor_checkpoint WHERE corridor_id = '%s' AND tree_size = 7" % cid)


def test_the_regulator_console_shows_the_corridor_and_its_watchers(pair, world):
    """The console's corridors view on the sequencer, over HTTPS, against what the API says."""
    a = pair.a
    secret = token_secret(a, "regulator")
    h = {"Authorization": "Bearer " + secret}
    rep = drive_console(a, secret, "read")
    assert rep["signed_in"] and rep["message"] is None, rep
    corridors = a.get("/v1/corridors", headers=h).json()["corridors"]
    shown = {row[0]: row for row in rep["corridors"]}
    assert set(shown) == {c["corridor_id"] for c in corridors}
    row = shown[world["cid"]]
    c = [c for c in corridors if c["corridor_id"] == world["cid"]][0]
    assert row[1] == "ae-adgm" and row[3] == c["state"] and int(row[4]) == c["size"] >= 6, row
    watchers = a.get("/v1/watchers", headers=h).json()["watchers"]
    assert len(rep["watchers"]) == len(watchers) >= 1
    assert sorted(r[2] for r in rep["watchers"]) == sorted(w["state"] for w in watchers)

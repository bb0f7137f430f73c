# test_key_rotation.py: a zone replaces its Ed25519 key with `mez key rotate` while it has corridors with a peer
# (two httpd instances over TLS, real signatures, PostgreSQL + SQLite when both drivers run), and everything that
# relied on the old key follows (mez/key_rotation.h, cli/cmd_key.c, mod_mez_keys.c):
#   - the rotation credential is signed by both keys (checked here with `cryptography`, independently of
#     libmezcore) and served at /v1/zone/keys; the zone's audit chain records it;
#   - the peer is told by a request signed with the old key, knows the zone by the new DID from then on and
#     refuses the old key;
#   - both corridors (one the rotating zone sequences, one its peer sequences) record the change on their chains,
#     keep working afterwards in both directions, and an export verifies offline across the change;
#   - between the rotation and httpd's reload the zone refuses to sign with the retired key (503);
#   - bad notices (one proof, a tampered credential, a rotation of a key the zone is no longer known by, another
#     zone's rotation) and a caller's attempt to append a zone.key_rotation transition change nothing.
import base64
import hashlib
import json
import os
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mez_harness import (assert_problem, b58decode, jcs, peer_policy, run, sample_credential, sign_eddsa_jcs_2022,
                         token_headers)
from mez_tls import ServerTLS, TestCA


def did_public_key(did):
    raw = b58decode(did.split("#")[0][len("did:key:z"):])
    assert raw[:2] == b"\xed\x01"
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify_proof(document, proof):
    """eddsa-jcs-2022 (W3C vc-di-eddsa 3.3) verified here: sha256(JCS(proofConfig)) || sha256(JCS(document))."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    data = hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(unsecured)).digest()
    did_public_key(proof["verificationMethod"]).verify(b58decode(proof["proofValue"][1:]), data)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def receipt_signer(receipt):
    """The DID whose key signed a receipt's detached JWS, after checking the signature with it."""
    proof = receipt["proof"]
    did = proof["verificationMethod"].split("#")[0]
    header, _, sig = proof["jws"].split(".")
    did_public_key(did).verify(b64url_decode(sig), (header + "." + receipt["next_root"]).encode())
    return did


class Pair:
    def __init__(self, a, b, ca):
        self.a, self.b, self.ca = a, b, ca
        self.ops = {a: token_headers(a, "operator"), b: token_headers(b, "operator")}

    def op(self, zone, method, path, body=None, **kw):
        kw.setdefault("headers", self.ops[zone])
        if method == "GET":
            return zone.get(path, **kw)
        return zone.post(path, json=body, **kw)

    def token_file(self, zone):
        path = os.path.join(zone.dir, "operator-token")
        with open(path, "w") as f:
            f.write(self.ops[zone]["Authorization"].split(" ", 1)[1] + "\n")
        os.chmod(path, 0o600)
        return path

    def rotate(self, zone, *extra, command="rotate"):
        e = zone.env
        return run([e.mez_bin, "key", command, "--zone", zone.zone_id, "--key-file", zone.key_file, "--driver",
                    zone.driver, "--params", zone.db.params, "--url", zone.url(""), "--token-file",
                    self.token_file(zone), "--ca-file", self.ca.cert, "--peer-ca", self.ca.cert] + list(extra),
                   env=e.env(), timeout=120)


@pytest.fixture(scope="module")
def pair(module_zones, mez_env):
    drivers = mez_env.drivers
    ca = TestCA(os.path.join(mez_env.new_dir("rotation-ca"), "ca"), "mez rotation test CA")
    packs = mez_env.new_dir("rotation-packs")
    for src in ("pk", "ae-adgm"):
        shutil.copytree(os.path.join(mez_env.source_dir, "packs", src), os.path.join(packs, src))
    a = module_zones("pgsql" if "pgsql" in drivers else drivers[0], start=False, name="rpk", zone_id="pk-sifc",
                     tls=ServerTLS(ca), zone_file=os.path.join(packs, "pk", "zone.yaml"))
    b = module_zones("sqlite3" if "sqlite3" in drivers else drivers[0], start=False, name="rae", zone_id="ae-adgm",
                     tls=ServerTLS(ca), zone_file=os.path.join(packs, "ae-adgm", "zone.yaml"))
    a.extra_conf = peer_policy(mez_env, [("ae-adgm", b.url(""), b.did)], ca.cert)
    b.extra_conf = peer_policy(mez_env, [("pk-sifc", a.url(""), a.did)], ca.cert)
    for z in (a, b):
        z.write_conf()
        z.start()
    return Pair(a, b, ca)


def open_corridor(pair, proposer, responder):
    r = pair.op(proposer, "POST", "/v1/corridors", {"peer_zone_id": responder.zone_id})
    assert r.status_code == 201, r.text
    cid = r.json()["corridor_id"]
    r = pair.op(responder, "POST", "/v1/corridors/%s/accept" % cid)
    assert r.status_code == 200, r.text
    return cid


def append(pair, zone, cid, n, kind="payment"):
    for i in range(n):
        r = pair.op(zone, "POST", "/v1/corridors/%s/receipts" % cid,
                    {"transition": {"kind": kind, "payload": {"amount_minor": 500 + i, "currency": "USD"}}})
        assert r.status_code == 201, r.text
        assert r.json()["delivery"] == {"delivered": True}, r.text


def chain(pair, zone, cid):
    r = pair.op(zone, "GET", "/v1/corridors/%s/receipts?from=0&limit=100" % cid)
    assert r.status_code == 200, r.text
    return r.json()["receipts"]


def restart(zone):
    zone.stop()
    zone.start()
    return zone.get("/v1/zone").json()["did"]


def export_verify(zone, cid):
    e = zone.env
    out = os.path.join(zone.dir, "export-%s.json" % cid)
    cp = run([e.mez_bin, "corridor", "export", "--corridor", cid, "--driver", zone.driver, "--params",
              zone.db.params, "--out", out], env=e.env(), check=True)
    cp = run([e.mez_bin, "corridor", "verify", out], env=e.env())
    return cp


def counts(zone):
    return {t: zone.count(t) for t in ("mez_peer_key", "mez_corridor_receipt", "mez_audit", "mez_zone_key")}


def test_a_rotation_is_recorded_told_and_followed_by_both_corridors(pair):
    a, b = pair.a, pair.b
    old_a = a.did
    c1 = open_corridor(pair, a, b)        # a sequences
    c2 = open_corridor(pair, b, a)        # b sequences
    append(pair, a, c1, 3)
    append(pair, b, c2, 2)
    assert pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % c1).status_code == 201
    keys = a.get("/v1/zone/keys").json()
    assert keys["keys"] == [{"did": old_a, "verification_method": a.verification_method}]
    assert keys["rotations"] == []

    cp = pair.rotate(a, "--no-reload", "--reason", "scheduled rotation")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "[2/5] recorded" in cp.stdout and "1 corridor chain(s)" in cp.stdout, cp.stdout
    assert "peer ae-adgm: knows" in cp.stdout and "[5/5] peers: 1 told, 0 not" in cp.stdout, cp.stdout

    # Until httpd reloads, the zone refuses to sign with the retired key.
    r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % c1, {"transition": {"kind": "payment", "payload": {}}})
    assert_problem(r, 503, "corridor.key_rotating")
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % c1), 503, "corridor.key_rotating")
    # ... and says so to load balancers: not ready until reloaded.
    r = assert_problem(a.get("/readyz"), 503, "ready.key_retired")
    assert r["did"] == old_a

    new_a = restart(a)
    assert new_a != old_a
    r = a.get("/readyz")
    assert r.status_code == 200, r.text
    keys = a.get("/v1/zone/keys").json()
    assert [k["did"] for k in keys["keys"]] == [old_a, new_a]
    assert keys["keys"][0]["retired_at"] and "retired_at" not in keys["keys"][1]
    vc, = keys["rotations"]
    assert vc["issuer"] == old_a and vc["credentialSubject"]["id"] == new_a
    assert vc["credentialSubject"]["zone_id"] == "pk-sifc"
    assert vc["credentialSubject"]["reason"] == "scheduled rotation"
    assert [p["verificationMethod"].split("#")[0] for p in vc["proof"]] == [old_a, new_a]
    for proof in vc["proof"]:
        verify_proof(vc, proof)                       # both keys signed the same document
    assert keys["keys"][1]["rotation_digest"] == "sha256:" + hashlib.sha256(jcs(vc)).hexdigest()
    r = b.post("/v1/credentials/verify", json={"verifiableCredential": vc})
    assert r.status_code == 200 and r.json()["errors"] == [] and "proof" in r.json()["checks"], r.text

    # Both corridors keep working, in both directions, after the change.
    append(pair, a, c1, 2)
    append(pair, b, c1, 1, kind="refund")
    append(pair, b, c2, 2)
    append(pair, a, c2, 1, kind="refund")
    for cid in (c1, c2):
        ra, rb = chain(pair, a, cid), chain(pair, b, cid)
        assert ra == rb
        rotations = [x for x in ra if x["transition"]["kind"] == "zone.key_rotation"]
        assert len(rotations) == 1
        payload = rotations[0]["transition"]["payload"]
        assert payload["previous_did"] == old_a and payload["new_did"] == new_a
        assert payload["credential"] == vc
    # c1: the rotation receipt is the last the old key signs; c2: b signs throughout.
    signers = [receipt_signer(x) for x in chain(pair, a, c1)]
    at = [x["transition"]["kind"] for x in chain(pair, a, c1)].index("zone.key_rotation")
    assert signers[:at + 1] == [old_a] * (at + 1) and signers[at + 1:] == [new_a] * (len(signers) - at - 1)
    assert {receipt_signer(x) for x in chain(pair, a, c2)} == {b.did}
    ca_, cb_ = (pair.op(z, "GET", "/v1/corridors/" + c1).json() for z in (a, b))
    assert ca_["sequencer_did"] == cb_["sequencer_did"] == new_a
    assert cb_["peer_did"] == new_a
    assert pair.op(b, "GET", "/v1/corridors/" + c2).json()["peer_did"] == new_a

    # A checkpoint signed by the new key reaches the responder, whose copy checks it with the chain's key.
    assert pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % c1).status_code == 201
    r = pair.op(b, "POST", "/v1/corridors/%s/sync" % c1)
    assert r.status_code == 200, r.text
    # The export verifies offline across the change, old and new checkpoints alike.
    cp = export_verify(a, c1)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "key rotations: 1 followed; the sequencer signs with %s now" % new_a in cp.stdout, cp.stdout
    assert "checkpoints: 2" in cp.stdout or "checkpoints: 2 ok" in cp.stdout, cp.stdout
    # A reader may pin either the sequencer's first DID or the one the chain's rotations lead to; no other.
    out = os.path.join(a.dir, "export-%s.json" % c1)
    e = a.env
    for did, code in ((old_a, 0), (new_a, 0), (b.did, 1)):
        cp = run([e.mez_bin, "corridor", "verify", "--sequencer", did, out], env=e.env())
        assert cp.returncode == code, (did, cp.stdout + cp.stderr)

    # The peer no longer accepts the old key.
    archive = os.path.join(os.path.dirname(a.key_file), "retired-keys", old_a[-16:] + ".pem")
    assert os.path.exists(archive) and oct(os.stat(archive).st_mode & 0o777) == "0o600"
    from test_corridor_protocol import signed_post
    r = signed_post(b, archive, "/v1/corridors/peers/receipts", {"corridor_id": c2, "receipts": []})
    assert_problem(r, 401, "httpsig.unknown_key")

    # Audit rows on both sides, and both chains still verify.
    e = a.env
    for z, action in ((a, "key.rotate"), (b, "peer.key_rotated")):
        assert z.db.query_value("SELECT COUNT(*) FROM mez_audit WHERE action = '%s'" % action) in (1, "1")
        cp = run([e.mez_bin, "audit", "verify", "--driver", z.driver, "--params", z.db.params], env=e.env())
        assert cp.returncode == 0, cp.stdout + cp.stderr

    # The same notice again (mez key notify) is a repeat: nothing changes.
    before = counts(b)
    cp = pair.rotate(a, command="notify")
    assert cp.returncode == 0 and "(told before)" in cp.stdout, cp.stdout + cp.stderr
    assert counts(b) == before


def test_the_responder_rotates_too(pair):
    a, b = pair.a, pair.b
    c1 = [c for c in pair.op(a, "GET", "/v1/corridors").json()["corridors"] if c["role"] == "proposer"][0]
    cid = c1["corridor_id"]
    old_b = b.did if b.get("/v1/zone").json()["did"] == b.did else b.get("/v1/zone").json()["did"]
    cp = pair.rotate(b, "--no-reload")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    new_b = restart(b)
    assert new_b != old_b
    append(pair, a, cid, 1)
    append(pair, b, cid, 1, kind="refund")     # signed by b's new key, through the sequencer
    ra, rb = chain(pair, a, cid), chain(pair, b, cid)
    assert ra == rb
    last = [x for x in ra if x["transition"]["kind"] == "zone.key_rotation"][-1]
    assert last["transition"]["payload"]["zone_id"] == "ae-adgm"
    assert last["transition"]["payload"]["new_did"] == new_b
    assert pair.op(a, "GET", "/v1/corridors/" + cid).json()["peer_did"] == new_b
    cp = export_verify(a, cid)
    assert cp.returncode == 0 and "key rotations: 2 followed" in cp.stdout, cp.stdout + cp.stderr


def rotation_doc(zone_id, prev_did, new_did, prev_vm, new_vm):
    return {"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "ZoneKeyRotation"], "issuer": prev_did,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": new_did, "zone_id": zone_id, "previous_did": prev_did,
                                  "previous_verification_method": prev_vm, "new_verification_method": new_vm}}


def test_bad_notices_and_reserved_transitions_change_nothing(pair, mez_env):
    from test_corridor_protocol import signed_post
    a, b = pair.a, pair.b
    cur = a.get("/v1/zone").json()
    work = mez_env.new_dir("bad-rotations")
    other_key = os.path.join(work, "other.pem")
    other_did = mez_env.keygen(other_key)
    other_vm = "%s#%s" % (other_did, other_did[len("did:key:"):])
    doc = rotation_doc("pk-sifc", cur["did"], other_did, cur["verification_method"], other_vm)
    by_prev = sign_eddsa_jcs_2022(doc, a.key_file, cur["verification_method"], work)
    by_new = sign_eddsa_jcs_2022(doc, other_key, other_vm, work)
    both = dict(doc, proof=[by_prev["proof"], by_new["proof"]])
    path = "/v1/corridors/peers/key-rotation"
    before = counts(b)
    cases = [
        (dict(doc, proof=by_prev["proof"]), 422, "key_rotation.invalid", "/credential/proof"),
        (dict(both, proof=[by_new["proof"], by_prev["proof"]]), 422, "key_rotation.invalid",
         "/credential/proof/0/verificationMethod"),
        (dict(both, credentialSubject=dict(both["credentialSubject"], reason="tampered")), 422,
         "key_rotation.invalid", None),
        (dict(both, credentialSubject=dict(both["credentialSubject"], extra=1)), 422, "key_rotation.invalid",
         None),
    ]
    for cred, status, code, pointer in cases:
        r = signed_post(b, a.key_file, path, {"credential": cred})
        assert_problem(r, status, code, pointer=pointer)
    # another zone's rotation, and a rotation of a DID b no longer knows a by (its first one)
    wrong_zone = rotation_doc("ae-adgm", cur["did"], other_did, cur["verification_method"], other_vm)
    wz = dict(wrong_zone, proof=[sign_eddsa_jcs_2022(wrong_zone, a.key_file, cur["verification_method"],
                                                     work)["proof"],
                                 sign_eddsa_jcs_2022(wrong_zone, other_key, other_vm, work)["proof"]])
    assert_problem(signed_post(b, a.key_file, path, {"credential": wz}), 403, "key_rotation.wrong_zone")
    first = a.get("/v1/zone/keys").json()["keys"][0]
    archive = os.path.join(os.path.dirname(a.key_file), "retired-keys", first["did"][-16:] + ".pem")
    stale = rotation_doc("pk-sifc", first["did"], other_did, first["verification_method"], other_vm)
    st = dict(stale, proof=[sign_eddsa_jcs_2022(stale, archive, first["verification_method"], work)["proof"],
                            sign_eddsa_jcs_2022(stale, other_key, other_vm, work)["proof"]])
    assert_problem(signed_post(b, a.key_file, path, {"credential": st}), 409, "key_rotation.not_current")
    assert_problem(signed_post(b, a.key_file, path, {"credential": both, "extra": 1}), 422,
                   "request.unknown_field")
    # not a peer's signed request at all
    assert_problem(pair.op(b, "POST", path, {"credential": both}), 403)
    # nobody appends a key rotation as an ordinary transition
    cid = pair.op(a, "GET", "/v1/corridors").json()["corridors"][0]["corridor_id"]
    r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid,
                {"transition": {"kind": "zone.key_rotation", "payload": {"credential": both}}})
    assert_problem(r, 422, "corridor.reserved_kind", pointer="/transition/kind")
    assert counts(b) == before


def test_rotate_refuses_a_key_that_is_not_the_zones(pair, mez_env):
    a = pair.a
    work = mez_env.new_dir("not-the-key")
    stranger = os.path.join(work, "stranger.pem")
    mez_env.keygen(stranger)
    before = counts(a)
    e = a.env
    cp = run([e.mez_bin, "key", "rotate", "--zone", a.zone_id, "--key-file", stranger, "--driver", a.driver,
              "--params", a.db.params, "--url", a.url(""), "--token-file", pair.token_file(a), "--ca-file",
              pair.ca.cert], env=e.env())
    assert cp.returncode == 2 and "is not the zone's key in use" in cp.stderr, cp.stdout + cp.stderr
    assert counts(a) == before
    cp = run([e.mez_bin, "key", "rotate", "--zone", a.zone_id], env=e.env())
    assert cp.returncode == 2 and "no zone pk-sifc was deployed there" in cp.stderr, cp.stderr


def test_a_rotation_whose_peers_were_not_told_resumes_rather_than_rotating_again(pair):
    """After the key file holds the successor, a failed step (the reload, or a peer out of reach) leaves
    <key>.next: the next run resumes at the reload and tells the peers, instead of making a second rotation from
    the successor, whose notice no peer still knowing the first key could accept (review)."""
    a, b = pair.a, pair.b
    cid = [c for c in pair.op(a, "GET", "/v1/corridors").json()["corridors"] if c["role"] == "proposer"][0][
        "corridor_id"]
    old_a = a.get("/v1/zone").json()["did"]
    keys_before = a.count("mez_zone_key")
    b.stop()
    try:
        cp = pair.rotate(a, "--no-reload")
    finally:
        b.start()
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "[5/5] peers: 0 told, 1 not" in cp.stdout and "mez key notify" in cp.stderr, cp.stdout + cp.stderr
    assert a.count("mez_zone_key") == keys_before + 1
    assert os.path.exists(a.key_file + ".next")
    new_did = a.get("/v1/zone/keys").json()["keys"][-1]["did"]

    cp = pair.rotate(a, "--no-reload")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "[2/5] recorded: already" in cp.stdout and "[3/5] key file: already holds %s" % new_did in cp.stdout, \
        cp.stdout
    assert "[5/5] peers: 1 told, 0 not" in cp.stdout, cp.stdout
    assert a.count("mez_zone_key") == keys_before + 1         # one rotation, not two
    assert not os.path.exists(a.key_file + ".next")
    assert restart(a) == new_did != old_a
    # b follows the new key: both directions of the corridor work.
    append(pair, a, cid, 1)
    append(pair, b, cid, 1, kind="refund")
    assert chain(pair, a, cid) == chain(pair, b, cid)
    assert pair.op(b, "GET", "/v1/corridors/" + cid).json()["peer_did"] == new_did
    # A run now is a new rotation, as the operator asks for.
    cp = pair.rotate(a, "--no-reload")
    assert cp.returncode == 0 and a.count("mez_zone_key") == keys_before + 2, cp.stdout + cp.stderr
    restart(a)


def test_notify_after_a_rotation_stopped_before_the_key_file_keeps_the_successor(pair):
    """A run that stops at step 3 (the key file could not be replaced) leaves the successor's only copy in
    <key>.next: `mez key notify` then tells the peers but must not remove it (review); the next run puts it in
    place and finishes."""
    a, b = pair.a, pair.b
    cid = [c for c in pair.op(a, "GET", "/v1/corridors").json()["corridors"] if c["role"] == "proposer"][0][
        "corridor_id"]
    keys_before = a.count("mez_zone_key")
    blocker = a.key_file + ".swap"
    os.mkdir(blocker)                      # step 3's copy cannot be written
    try:
        cp = pair.rotate(a, "--no-reload")
        assert cp.returncode == 2 and "[2/5] recorded" in cp.stdout, cp.stdout + cp.stderr
        assert a.count("mez_zone_key") == keys_before + 1
        new_did = a.get("/v1/zone/keys").json()["keys"][-1]["did"]
        cp = pair.rotate(a, command="notify")
        assert cp.returncode == 0 and "[5/5] peers: 1 told, 0 not" in cp.stdout, cp.stdout + cp.stderr
        assert os.path.exists(a.key_file + ".next")           # the successor's only copy is kept
    finally:
        os.rmdir(blocker)
    cp = pair.rotate(a, "--no-reload")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "resuming the rotation to %s" % new_did in cp.stdout and "[3/5] key file: %s now holds %s" % (
        a.key_file, new_did) in cp.stdout, cp.stdout
    assert a.count("mez_zone_key") == keys_before + 1
    assert not os.path.exists(a.key_file + ".next")
    assert oct(os.stat(a.key_file).st_mode & 0o777) == "0o600"
    assert restart(a) == new_did
    append(pair, a, cid, 1)
    append(pair, b, cid, 1, kind="refund")
    assert chain(pair, a, cid) == chain(pair, b, cid)


def test_a_half_written_archive_of_the_previous_key_is_written_again(pair):
    """A run killed while archiving the previous key leaves a file that does not hold it: the next run writes it
    again rather than trust it, since once the successor replaces the key file the archive is the previous key's
    only copy, the one the notices are signed with (review)."""
    a = pair.a
    old = a.get("/v1/zone").json()["did"]
    archive = os.path.join(os.path.dirname(a.key_file), "retired-keys", old[-16:] + ".pem")
    os.makedirs(os.path.dirname(archive), exist_ok=True)
    with open(archive, "w"):
        pass                                   # empty: what a kill mid-write can leave
    cp = pair.rotate(a, "--no-reload")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert os.path.getsize(archive) > 0 and oct(os.stat(archive).st_mode & 0o777) == "0o600"
    # the archive is the previous key: what it signs names the previous DID
    unsigned = os.path.join(a.dir, "archive-probe.json")
    with open(unsigned, "w") as f:
        json.dump(sample_credential(issuer=old), f)
    cp = run([a.env.mez_bin, "vc", "issue", "--key", archive, unsigned], env=a.env.env())
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert json.loads(cp.stdout)["proof"]["verificationMethod"].split("#")[0] == old
    assert restart(a) != old


def test_a_second_key_run_is_refused_while_one_runs(pair):
    """Two runs at once would each make a successor in <key>.next, the second writing over the first: while one
    holds <key>.lock, another is refused at once and changes nothing (review)."""
    import fcntl
    a = pair.a
    before = counts(a)
    with open(a.key_file + ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for command in ("rotate", "notify"):
            cp = pair.rotate(a, "--no-reload", command=command) if command == "rotate" else \
                pair.rotate(a, command=command)
            assert cp.returncode == 2 and "another mez key run holds" in cp.stderr, cp.stdout + cp.stderr
        assert not os.path.exists(a.key_file + ".next")
    assert counts(a) == before
    cp = pair.rotate(a, command="notify")          # the lock released, a run goes ahead
    assert cp.returncode == 0, cp.stdout + cp.stderr

# test_corridor_protocol.py: two zones, each its own httpd with its own database and key (pk-sifc on PostgreSQL,
# ae-adgm on SQLite when both drivers run), open a corridor and write it over HTTPS (mod_ssl, a CA the harness
# generates, MezPeerCAFile) with RFC 9421 signed requests between them (mod_mez_corridor.c, mez/corridor_proto.h).
#
# Checked independently of libmezcore where it matters: receipts' JWS signatures and checkpoint notes are verified
# here with the `cryptography` package, next_roots recomputed from the receipts' RFC 8785 bytes, inclusion and
# consistency proofs verified with a small RFC 9162 verifier written from the RFC. Forged and tampered pushes are
# signed by `mez peer sign` (a real peer signature) or by a stranger's key, and must change nothing.
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mez_harness import (assert_problem, b58decode, console_conf, free_port, jcs, openssl_sign, peer_policy, run,
                         signature_digest, token_headers)
from mez_tls import ServerTLS, TestCA

CORRIDOR_TABLES = ["mez_corridor", "mez_corridor_document", "mez_corridor_receipt", "mez_corridor_transition",
                   "mez_corridor_fork"]


policy = peer_policy      # (env, peers[, ca_file]): the zone's httpd lines
token = token_headers     # (zone, role): an Authorization header


class Pair:
    def __init__(self, a, b, ghost_port, ghost_key):
        self.a, self.b = a, b
        self.ops = {a: token(a, "operator"), b: token(b, "operator")}
        self.ghost_port, self.ghost_key = ghost_port, ghost_key

    def op(self, zone, method, path, body=None, **kw):
        kw.setdefault("headers", self.ops[zone])
        if method == "GET":
            return zone.get(path, **kw)
        return zone.post(path, json=body, **kw)


@pytest.fixture(scope="module")
def pair(module_zones, mez_env):
    drivers = mez_env.drivers
    ca = TestCA(os.path.join(mez_env.new_dir("corridor-ca"), "ca"), "mez corridor test CA")
    packs = mez_env.new_dir("corridor-packs")
    for src in ("pk", "ae-adgm"):   # each zone enforces its own jurisdiction's packs
        shutil.copytree(os.path.join(mez_env.source_dir, "packs", src), os.path.join(packs, src))
    a = module_zones("pgsql" if "pgsql" in drivers else drivers[0], start=False, name="pk", zone_id="pk-sifc",
                     tls=ServerTLS(ca), zone_file=os.path.join(packs, "pk", "zone.yaml"))
    b = module_zones("sqlite3" if "sqlite3" in drivers else drivers[0], start=False, name="ae", zone_id="ae-adgm",
                     tls=ServerTLS(ca), zone_file=os.path.join(packs, "ae-adgm", "zone.yaml"))
    ghost_key = os.path.join(mez_env.new_dir("ghost"), "ghost.pem")
    ghost_did = mez_env.keygen(ghost_key)
    ghost_port = free_port()
    # The sequencer also serves the regulator console (test_watchers.py reads its corridor there).
    a.extra_conf = policy(mez_env, [("ae-adgm", b.url(""), b.did),
                                    ("ghost-zone", "https://127.0.0.1:%d" % ghost_port, ghost_did)], ca.cert) \
        + "\n" + console_conf(mez_env)
    b.extra_conf = policy(mez_env, [("pk-sifc", a.url(""), a.did)], ca.cert)
    for z in (a, b):
        z.write_conf()
        z.start()
    return Pair(a, b, ghost_port, ghost_key)


def counts(zone):
    return {t: zone.count(t) for t in CORRIDOR_TABLES}


# ------------------------------------------------------------------ independent verifiers

def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def did_public_key(did):
    raw = b58decode(did[len("did:key:z"):])
    assert raw[:2] == b"\xed\x01"
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def next_root(receipt):
    """SHA-256 of the receipt's canonical bytes without proof and next_root (mez's receipts hold no null
    optionals and their digest sets are already sorted)."""
    body = {k: v for k, v in receipt.items() if k not in ("proof", "next_root")}
    return hashlib.sha256(jcs(body)).hexdigest()


def check_receipt_signature(receipt, did):
    proof = receipt["proof"]
    assert proof["type"] == "MezEd25519Signature2025"
    assert proof["verificationMethod"] == "%s#%s" % (did, did[len("did:key:"):])
    header, empty, sig = proof["jws"].split(".")
    assert empty == ""
    assert json.loads(b64url_decode(header)) == {"alg": "EdDSA", "b64": False, "crit": ["b64"]}
    did_public_key(did).verify(b64url_decode(sig), (header + "." + receipt["next_root"]).encode())


def leaf_hash(hex_root):
    return hashlib.sha256(b"\x00" + bytes.fromhex(hex_root)).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, path, first_root, second_root):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def verify_note(note, did, origin):
    """C2SP signed-note: key id = SHA-256(name || 0x0A || 0x01 || key)[:4]; signature over the text."""
    text, sigs = note.split("\n\n", 1)
    text += "\n"
    pub = did_public_key(did)
    raw_pub = b58decode(did[len("did:key:z"):])[2:]
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + raw_pub).digest()[:4]
    for line in sigs.strip("\n").split("\n"):
        dash, name, blob = line.split(" ")
        blob = base64.b64decode(blob)
        if dash == "\u2014" and name == origin and blob[:4] == key_id:
            pub.verify(blob[4:], text.encode())
            lines = text.split("\n")
            return lines[0], int(lines[1]), base64.b64decode(lines[2])
    raise AssertionError("no signature by %s" % origin)


# ------------------------------------------------------------------ helpers

def open_corridor(pair, **body):
    a, b = pair.a, pair.b
    r = pair.op(a, "POST", "/v1/corridors", dict({"peer_zone_id": "ae-adgm"}, **body))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["delivery"] == {"delivered": True}
    r = pair.op(b, "POST", "/v1/corridors/%s/accept" % c["corridor_id"])
    assert r.status_code == 200, r.text
    return c["corridor_id"]


def append(pair, zone, cid, n, kind="payment"):
    out = []
    for i in range(n):
        r = pair.op(zone, "POST", "/v1/corridors/%s/receipts" % cid,
                    {"transition": {"kind": kind, "payload": {"amount_minor": 1000 + i, "currency": "USD"}}})
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


def chain(pair, zone, cid):
    receipts, start = [], 0
    while True:
        r = pair.op(zone, "GET", "/v1/corridors/%s/receipts?from=%d" % (cid, start))
        assert r.status_code == 200, r.text
        got = r.json()["receipts"]
        if not got:
            return receipts
        receipts += got
        start += len(got)


def peer_sign(zone, key_file, method, url, body=None):
    """Headers of a request signed by key_file (libmezcore's signer, `mez peer sign`)."""
    e = zone.env
    args = [e.mez_bin, "peer", "sign", "--key", key_file, "--url", url, "--method", method]
    path = None
    if body is not None:
        fd, path = tempfile.mkstemp(dir=zone.dir)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        args += ["--body", path]
    try:
        cp = run(args, env=e.env(), check=True)
    finally:
        if path:
            os.unlink(path)
    headers = {}
    for line in cp.stdout.strip().split("\n"):
        k, v = line.split(": ", 1)
        headers[k] = v
    return headers


def signed_post(target, key_file, path, doc, validate=True):
    body = json.dumps(doc).encode()
    headers = peer_sign(target, key_file, "POST", target.url(path), body)
    headers["Content-Type"] = "application/json"
    return target.post(path, data=body, headers=headers, validate=validate)


# ------------------------------------------------------------------ establishment

def test_propose_accept_establishes_the_same_corridor_on_both_sides(pair):
    a, b = pair.a, pair.b
    r = pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "ae-adgm"})
    assert r.status_code == 201, r.text
    c = r.json()
    cid = c["corridor_id"]
    assert r.headers["Location"] == "/v1/corridors/" + cid
    assert (c["state"], c["role"], c["delivery"]) == ("DRAFT", "proposer", {"delivered": True})
    assert c["agreement_digest"] is None and c["genesis_root"] is None and c["size"] == 0
    rb = pair.op(b, "GET", "/v1/corridors/" + cid).json()
    assert (rb["state"], rb["role"], rb["peer_zone_id"], rb["peer_did"]) == ("DRAFT", "responder", "pk-sifc", a.did)
    assert rb["definition_digest"] == c["definition_digest"]

    # only the responder accepts, and only an operator
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/accept" % cid), 409, "corridor.not_responder")
    assert_problem(b.post("/v1/corridors/%s/accept" % cid, headers=token(b, "regulator")), 403)
    r = pair.op(b, "POST", "/v1/corridors/%s/accept" % cid)
    assert r.status_code == 200, r.text
    ca, cb = pair.op(a, "GET", "/v1/corridors/" + cid).json(), r.json()
    assert ca["state"] == cb["state"] == "ACTIVE"
    for k in ("definition_digest", "agreement_digest", "genesis_root", "head", "root"):
        assert ca[k] == cb[k], k
    assert ca["head"] == ca["genesis_root"]
    # accepting again changes nothing
    before = counts(b), counts(a)
    assert pair.op(b, "POST", "/v1/corridors/%s/accept" % cid).status_code == 200
    assert (counts(b), counts(a)) == before

    # both hold the same three signed documents, each by its party
    da = pair.op(a, "GET", "/v1/corridors/%s/documents" % cid).json()
    db = pair.op(b, "GET", "/v1/corridors/%s/documents" % cid).json()
    assert da == db
    assert da["definition"]["issuer"] == a.did
    assert sorted(x["issuer"] for x in da["agreements"]) == sorted([a.did, b.did])
    assert {x["credentialSubject"]["party"]["role"] for x in da["agreements"]} == {"proposer", "responder"}
    for x in da["agreements"]:
        assert x["credentialSubject"]["definition_payload_sha256"] == ca["definition_digest"]
        # a credential either zone verifies
        assert a.post("/v1/credentials/verify", json={"verifiableCredential": x}).json()["errors"] == []
    # the transition log: DRAFT -> PENDING -> ACTIVE with the agreement set as evidence, on both sides
    for z in (a, b):
        assert int(z.db.query_value("SELECT count(*) FROM mez_corridor_transition WHERE corridor_id = '%s'"
                                    % cid)) == 2


def test_propose_to_an_unreachable_peer_keeps_the_draft_and_says_so(pair):
    a = pair.a
    r = pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "ghost-zone"})
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["state"] == "DRAFT" and c["delivery"]["delivered"] is False
    assert c["delivery"]["code"] == "corridor.peer_unreachable"
    r = pair.op(a, "POST", "/v1/corridors/%s/propose" % c["corridor_id"])
    assert_problem(r, 503, "corridor.peer_unreachable")


def test_bad_proposals_change_nothing(pair):
    a = pair.a
    before = counts(a)
    assert_problem(pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "nowhere"}), 422, "corridor.unknown_peer",
                   pointer="/peer_zone_id")
    assert_problem(pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "ae-adgm", "corridor_id": "NOT-A-UUID"}),
                   422, pointer="/corridor_id")
    assert_problem(pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "ae-adgm", "colour": "red"}), 422,
                   "request.unknown_field", pointer="/colour")
    assert_problem(pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "ae-adgm",
                                                         "lawpack_digest_set": ["abc"]}), 422,
                   pointer="/lawpack_digest_set/0")
    assert_problem(a.post("/v1/corridors", json={"peer_zone_id": "ae-adgm"}), 401)
    assert counts(a) == before


# ------------------------------------------------------------------ receipts

def test_receipts_flow_to_the_peer_and_verify_independently(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    answers = append(pair, a, cid, 5)
    assert all(x["delivery"] == {"delivered": True} for x in answers)
    assert [x["sequence"] for x in answers] == list(range(5))
    # the responder's own transitions go through the sequencer and land in both copies
    answers = append(pair, b, cid, 3, kind="refund")
    assert [x["sequence"] for x in answers] == [5, 6, 7]
    ca, cb = (pair.op(z, "GET", "/v1/corridors/" + cid).json() for z in (a, b))
    assert ca["size"] == cb["size"] == 8 and ca["root"] == cb["root"] and ca["head"] == cb["head"]
    assert ca["peer_acknowledged_size"] >= 5
    ra, rb = chain(pair, a, cid), chain(pair, b, cid)
    assert ra == rb and len(ra) == 8
    prev = ca["genesis_root"]
    for i, x in enumerate(ra):
        assert x["sequence"] == i and x["prev_root"] == prev and x["corridor_id"] == cid
        assert x["next_root"] == next_root(x)
        check_receipt_signature(x, a.did)
        prev = x["next_root"]
        assert pair.op(b, "GET", "/v1/corridors/%s/receipts/%d" % (cid, i)).json() == x
    assert prev == ca["head"]
    assert mth([leaf_hash(x["next_root"]) for x in ra]).hex() == ca["root"]
    assert_problem(pair.op(a, "GET", "/v1/corridors/%s/receipts/8" % cid), 404, "corridor.receipt_not_found")


def test_proofs_and_checkpoints_are_public_and_verify(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 7)
    leaves = [leaf_hash(x["next_root"]) for x in chain(pair, a, cid)]
    for seq, size in ((0, 7), (6, 7), (3, 5), (4, 5)):
        r = a.get("/v1/corridors/%s/proofs/inclusion?seq=%d&size=%d" % (cid, seq, size))   # no token
        assert r.status_code == 200, r.text
        p = r.json()
        assert bytes.fromhex(p["root"]) == mth(leaves[:size])
        assert verify_inclusion(seq, size, leaf_hash(p["leaf"]), [bytes.fromhex(h) for h in p["path"]],
                                mth(leaves[:size]))
    for first, second in ((1, 7), (3, 7), (4, 7), (6, 7), (2, 5)):
        p = b.get("/v1/corridors/%s/proofs/consistency?from=%d&to=%d" % (cid, first, second)).json()
        assert verify_consistency(first, second, [bytes.fromhex(h) for h in p["path"]], mth(leaves[:first]),
                                  mth(leaves[:second]))
    for q, ptr in (("seq=7", None), ("seq=0&size=8", None), ("size=3", "/seq"), ("seq=-1", "/seq"),
                   ("seq=01", "/seq")):
        r = a.get("/v1/corridors/%s/proofs/inclusion?%s" % (cid, q))
        assert r.status_code in (400, 422), (q, r.text)
        if ptr:
            assert r.json()["pointer"] == ptr
    # Each read takes only its own parameters, each once, each a plain whole number.
    for path, q, code, ptr in (
            ("proofs/inclusion", "seq=0&sizes=3", "request.unknown_parameter", None),
            ("proofs/inclusion", "seq=0&seq=1", "request.invalid_parameter", "/seq"),
            ("proofs/inclusion", "seq=%200", "request.invalid_parameter", "/seq"),
            ("proofs/consistency", "from=1&to=7&verbose=1", "request.unknown_parameter", None),
            ("proofs/consistency", "to=7", "request.missing_parameter", "/from"),
            ("receipts", "from=00", "request.invalid_parameter", "/from"),
            ("receipts", "start=0", "request.unknown_parameter", None)):
        r = pair.op(a, "GET", "/v1/corridors/%s/%s?%s" % (cid, path, q)) if path == "receipts" else \
            a.get("/v1/corridors/%s/%s?%s" % (cid, path, q))
        p = assert_problem(r, 400, code)
        assert ptr is None or p["pointer"] == ptr, (q, p)
    # A window at the end of the sequence numbers (SQL bigints) is empty, not a store error on PostgreSQL.
    for q in ("from=9223372036854775807", "from=9223372036854775707&limit=100", "from=9223372036854775800"):
        r = pair.op(a, "GET", "/v1/corridors/%s/receipts?%s" % (cid, q))
        assert r.status_code == 200 and r.json()["receipts"] == [], (q, r.text)

    assert_problem(a.get("/v1/corridors/%s/checkpoint" % cid), 404, "corridor.no_checkpoint")
    r = pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % cid)
    assert r.status_code == 201, r.text
    cp = r.json()
    origin = "pk-sifc/corridors/" + cid
    assert cp["origin"] == origin and cp["size"] == 7
    note = a.get("/v1/corridors/%s/checkpoint" % cid)
    assert note.status_code == 200 and note.headers["Content-Type"].startswith("text/plain")
    assert note.text == cp["note"]
    assert verify_note(note.text, a.did, origin) == (origin, 7, mth(leaves))
    # the same checkpoint as a ReceiptCheckpoint credential, which any verifier of credentials checks
    vc = cp["credential"]
    assert vc["type"] == ["VerifiableCredential", "ReceiptCheckpoint"] and vc["issuer"] == a.did
    assert vc["credentialSubject"]["checkpoint_note"] == note.text
    assert (vc["credentialSubject"]["tree_size"], vc["credentialSubject"]["root_hash"]) == (7, mth(leaves).hex())
    assert b.post("/v1/credentials/verify", json={"verifiableCredential": vc}).json()["errors"] == []
    # the responder does not sign the sequencer's log
    assert_problem(pair.op(b, "POST", "/v1/corridors/%s/checkpoints" % cid), 409, "corridor.not_sequencer")
    append(pair, a, cid, 2)
    cp2 = pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % cid).json()
    assert cp2["size"] == 9
    leaves = [leaf_hash(x["next_root"]) for x in chain(pair, b, cid)]
    p = a.get("/v1/corridors/%s/proofs/consistency?from=7&to=9" % cid).json()
    assert verify_consistency(7, 9, [bytes.fromhex(h) for h in p["path"]], mth(leaves[:7]), mth(leaves))


# ------------------------------------------------------------------ refusals between zones

def test_peer_routes_refuse_anyone_but_a_signed_peer(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    before = counts(b)
    doc = {"corridor_id": cid, "receipts": []}
    assert_problem(b.post("/v1/corridors/peers/receipts", json=doc, validate=False), 401)
    assert_problem(b.post("/v1/corridors/peers/receipts", json=doc, headers=pair.ops[b], validate=False), 403)
    stranger = os.path.join(a.dir, "stranger.pem")
    if not os.path.exists(stranger):
        a.env.keygen(stranger)
    assert_problem(signed_post(b, stranger, "/v1/corridors/peers/receipts", doc, validate=False), 401,
                   "httpsig.unknown_key")
    assert counts(b) == before
    # the sequencer's own signed push, then the very same request replayed: refused, nothing recorded twice
    append(pair, a, cid, 1)
    receipt = pair.op(a, "GET", "/v1/corridors/%s/receipts/0" % cid).json()
    body = json.dumps({"corridor_id": cid, "receipts": [receipt]}).encode()
    headers = peer_sign(b, a.key_file, "POST", b.url("/v1/corridors/peers/receipts"), body)
    headers["Content-Type"] = "application/json"
    r = b.post("/v1/corridors/peers/receipts", data=body, headers=headers)
    assert r.status_code == 200 and r.json()["repeated"] == 1, r.text
    nonces = b.count("mez_peer_nonce")
    assert_problem(b.post("/v1/corridors/peers/receipts", data=body, headers=headers, validate=False), 401,
                   "httpsig.replay")
    assert b.count("mez_peer_nonce") == nonces
    ev = json.loads(b.db.query_value("SELECT detail FROM mez_audit WHERE action = 'peer.replay_refused' "
                                     "ORDER BY seq DESC LIMIT 1"))
    assert ev["peer"] == "pk-sifc" and ev["request"] == "POST /v1/corridors/peers/receipts"
    assert ev["signature_input"] == headers["Signature-Input"]
    # Replayed again and again: refused each time, counted in the signature's refusal record, audited once.
    audit = b.count("mez_audit")
    for _ in range(3):
        assert_problem(b.post("/v1/corridors/peers/receipts", data=body, headers=headers, validate=False), 401,
                       "httpsig.replay")
    assert b.count("mez_audit") == audit and b.count("mez_peer_nonce") == nonces
    refusals = pair.op(b, "GET", "/v1/peers/refusals?peer=pk-sifc").json()["refusals"]
    assert [(x["action"], x["times"]) for x in refusals] == [("peer.replay_refused", 4)], refusals
    assert refusals[0]["signature"] == signature_digest(headers)
    assert refusals[0]["request_id"] == b.db.query_value("SELECT request_id FROM mez_audit WHERE action = "
                                                         "'peer.replay_refused'")
    # a zone that proposed a corridor is its sequencer: its peer cannot push receipts to it
    r = signed_post(a, b.key_file, "/v1/corridors/peers/receipts", {"corridor_id": cid, "receipts": []})
    assert_problem(r, 403, "corridor.peer_not_sequencer")


def forged_receipt(pair, cid, seq, prev_root, key_file, did, payload):
    r = {"type": "MEZCorridorStateReceipt", "corridor_id": cid, "sequence": seq, "timestamp": "2026-11-25T12:00:00Z",
         "prev_root": prev_root, "lawpack_digest_set": [], "ruleset_digest_set": [],
         "transition": {"kind": "payment", "payload": payload}}
    r["next_root"] = next_root(r)
    header = base64.urlsafe_b64encode(b'{"alg":"EdDSA","b64":false,"crit":["b64"]}').rstrip(b"=").decode()
    sig = openssl_sign(key_file, (header + "." + r["next_root"]).encode(), pair.a.dir)
    r["proof"] = {"type": "MezEd25519Signature2025", "created": r["timestamp"],
                  "verificationMethod": "%s#%s" % (did, did[len("did:key:"):]), "proofPurpose": "assertionMethod",
                  "jws": header + ".." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()}
    return r


def signed_get(target, key_file, path):
    return target.get(path, headers=peer_sign(target, key_file, "GET", target.url(path)))


def test_a_peer_reads_only_its_own_corridors(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    # ae-adgm, a party, reads the corridor from pk-sifc with a signed request (the responder's pull does this)
    r = signed_get(a, b.key_file, "/v1/corridors/%s/receipts" % cid)
    assert r.status_code == 200, r.text
    assert cid in [c["corridor_id"] for c in signed_get(a, b.key_file, "/v1/corridors").json()["corridors"]]
    # ghost-zone is a peer of pk-sifc too, but no party to this corridor: it sees nothing of it
    for path in ("/v1/corridors/" + cid, "/v1/corridors/%s/receipts" % cid, "/v1/corridors/%s/documents" % cid):
        assert_problem(signed_get(a, pair.ghost_key, path), 404, "corridor.not_found")
    assert cid not in [c["corridor_id"] for c in signed_get(a, pair.ghost_key, "/v1/corridors").json()["corridors"]]
    # and no peer writes what only operators do
    assert_problem(signed_post(a, b.key_file, "/v1/corridors/%s/checkpoints" % cid, {}, validate=False), 403)
    # a peer asking who it is, is told: the peer zone whose signature the request carried
    me = signed_get(a, b.key_file, "/v1/whoami").json()
    assert (me["principal"], me["role"], me["authenticated_by"], me["peer_zone_id"]) == \
        ("peer:" + b.zone_id, "peer", "signature", b.zone_id), me


def test_tampered_or_foreign_receipts_change_nothing(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 2)
    head = pair.op(b, "GET", "/v1/corridors/" + cid).json()["head"]
    before = counts(b)
    # signed by A's key (the sequencer), but the content was changed after signing
    good = forged_receipt(pair, cid, 2, head, a.key_file, a.did, {"amount_minor": 5})
    bad = json.loads(json.dumps(good))
    bad["transition"]["payload"]["amount_minor"] = 5000
    bad["next_root"] = next_root(bad)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts", {"corridor_id": cid, "receipts": [bad]})
    assert_problem(r, 401, "receipt.signature_invalid", pointer="/receipts/0/proof/jws")
    # refused, and kept as evidence in the zone's audit chain: the peer's signature headers and the receipt itself
    ev = json.loads(b.db.query_value("SELECT detail FROM mez_audit WHERE action = 'corridor.peer_refused' AND "
                                     "resource_id = '%s' ORDER BY seq DESC LIMIT 1" % cid))
    assert ev["code"] == "receipt.signature_invalid" and ev["peer"] == "pk-sifc"
    assert ev["document"] == bad and ev["content_digest"].startswith("sha-256=:") and "signature" in ev
    # signed by another key than the sequencer's
    stranger = os.path.join(a.dir, "stranger2.pem")
    sdid = a.env.keygen(stranger)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts",
                    {"corridor_id": cid, "receipts": [forged_receipt(pair, cid, 2, head, stranger, sdid, {})]})
    assert_problem(r, 401, "receipt.signature_invalid", pointer="/receipts/0/proof/verificationMethod")
    # chained to the wrong head
    r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts",
                    {"corridor_id": cid, "receipts": [forged_receipt(pair, cid, 2, "ab" * 32, a.key_file, a.did,
                                                                      {})]})
    assert_problem(r, 409, "receipt.prev_root_mismatch")
    assert json.loads(b.db.query_value("SELECT detail FROM mez_audit WHERE action = 'corridor.peer_refused' "
                                       "ORDER BY seq DESC LIMIT 1"))["code"] == "receipt.prev_root_mismatch"
    assert counts(b) == before
    # a well-formed receipt the sequencer signed is taken (the push route is idempotent: twice is once)
    for _ in range(2):
        r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts", {"corridor_id": cid, "receipts": [good]})
        assert r.status_code == 200, r.text
    assert r.json()["size"] == 3 and r.json()["repeated"] == 1


def test_a_second_signed_receipt_for_a_sequence_number_halts_the_corridor(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 3)
    r1 = pair.op(b, "GET", "/v1/corridors/%s/receipts/1" % cid).json()
    fork = forged_receipt(pair, cid, 1, r1["prev_root"], a.key_file, a.did, {"amount_minor": 999999})
    r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts", {"corridor_id": cid, "receipts": [fork]})
    assert_problem(r, 409, "corridor.fork", pointer="/receipts/0/sequence")
    c = pair.op(b, "GET", "/v1/corridors/" + cid).json()
    assert c["state"] == "HALTED" and c["size"] == 3
    assert int(b.db.query_value("SELECT count(*) FROM mez_corridor_fork WHERE corridor_id = '%s'" % cid)) == 1
    ev = json.loads(b.db.query_value("SELECT evidence FROM mez_corridor_transition WHERE corridor_id = '%s' "
                                     "AND event = 'halt'" % cid))
    assert ev["authority"] == "ae-adgm" and ev["evidence_digest"].startswith("sha256:")
    # the sequencer was told, and halted its own copy with the same evidence
    assert pair.op(a, "GET", "/v1/corridors/" + cid).json()["state"] == "HALTED"
    assert json.loads(a.db.query_value("SELECT evidence FROM mez_corridor_transition WHERE corridor_id = '%s' "
                                       "AND event = 'halt'" % cid)) == ev


def test_a_failed_push_is_delivered_later(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 2)
    b.stop()
    try:
        answers = append(pair, a, cid, 3)
        assert all(x["delivery"]["delivered"] is False for x in answers)
        assert answers[-1]["delivery"]["code"] == "corridor.peer_unreachable"
        assert pair.op(a, "GET", "/v1/corridors/" + cid).json()["peer_acknowledged_size"] == 2
    finally:
        b.start()
    r = pair.op(a, "POST", "/v1/corridors/%s/sync" % cid)
    assert r.status_code == 200, r.text
    assert r.json()["peer_acknowledged_size"] == 5
    assert chain(pair, a, cid) == chain(pair, b, cid)
    # the responder pulls as well (nothing new: no change)
    before = counts(b)
    assert pair.op(b, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    assert counts(b) == before


def test_halt_and_illegal_moves(pair):
    a = pair.a
    cid = open_corridor(pair)
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/transition" % cid, {"event": "activate", "evidence": {}}),
                   409, "corridor.establish_by_protocol")
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/transition" % cid, {"event": "deprecate", "evidence": {
        "deprecation_decision_digest": "sha256:" + "1" * 64, "reason": "x"}}), 409)
    r = pair.op(a, "POST", "/v1/corridors/%s/transition" % cid,
                {"event": "suspend", "evidence": {"reason": "maintenance window"}})
    assert r.status_code == 200 and r.json()["state"] == "SUSPENDED"
    # the peer was told and suspended its copy too
    assert r.json()["peer"] == {"notified": True, "state": "SUSPENDED"}
    # and both zones' audit chains record the move: this zone's by its operator, the peer's as told by this zone
    for z, told in ((a, None), (pair.b, "pk-sifc")):
        d = json.loads(z.db.query_value("SELECT detail FROM mez_audit WHERE action = 'corridor.suspend' AND "
                                        "resource_id = '%s'" % cid))
        assert (d["from_state"], d["to_state"], d.get("told_by")) == ("ACTIVE", "SUSPENDED", told)
    assert pair.op(pair.b, "GET", "/v1/corridors/" + cid).json()["state"] == "SUSPENDED"
    # but resuming is each zone's own decision: a peer cannot resume this zone's copy
    r = signed_post(a, pair.b.key_file, "/v1/corridors/peers/transition",
                    {"corridor_id": cid, "event": "resume",
                     "evidence": {"resolution_attestation_digest": "sha256:" + "2" * 64}})
    assert_problem(r, 409, "corridor.local_decision", pointer="/event")
    r = pair.op(a, "POST", "/v1/corridors/%s/transition" % cid,
                {"event": "resume", "evidence": {"resolution_attestation_digest": "sha256:" + "2" * 64}})
    assert r.status_code == 200 and r.json()["state"] == "ACTIVE" and r.json()["peer"] == {"notified": False}
    assert pair.op(pair.b, "GET", "/v1/corridors/" + cid).json()["state"] == "SUSPENDED"
    # the sequencer writes again; the suspended responder refuses the push until its own operator resumes
    r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid, {"transition": {"kind": "payment"}})
    assert r.status_code == 201 and r.json()["delivery"]["peer_problem"]["code"] == "corridor.not_active"
    r = pair.op(pair.b, "POST", "/v1/corridors/%s/transition" % cid,
                {"event": "resume", "evidence": {"resolution_attestation_digest": "sha256:" + "3" * 64}})
    assert r.status_code == 200 and r.json()["state"] == "ACTIVE"
    assert pair.op(a, "POST", "/v1/corridors/%s/sync" % cid).json()["peer_acknowledged_size"] == 1
    # halted for good on one side: the other is told and halts too; nothing is written any more
    r = pair.op(a, "POST", "/v1/corridors/%s/transition" % cid,
                {"event": "halt", "evidence": {"reason": "regulator order", "authority": "pk-sifc",
                                               "evidence_digest": "sha256:" + "4" * 64}})
    assert r.status_code == 200 and r.json()["peer"] == {"notified": True, "state": "HALTED"}
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid, {"transition": {"kind": "payment"}}),
                   409, "corridor.not_active")


def test_a_thousand_transfers_leave_identical_chains_whose_checkpoints_verify(pair):
    """The issue's two-zone acceptance run: 1,000 transfers over TLS, the sequencer checkpointing as it goes; both
    zones then hold byte-identical chains and every checkpoint verifies against the chain's leaves."""
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    notes = []
    session = requests.Session()   # keep-alive: the run measures the zones, not the test's TLS handshakes
    for i in range(1000):
        # every tenth transfer is the responder's: it goes through the sequencer and back
        zone = b if i % 10 == 9 else a
        r = session.post(zone.url("/v1/corridors/%s/receipts" % cid), headers=pair.ops[zone], timeout=60, verify=a.tls.ca_file,
                         json={"transition": {"kind": "transfer", "payload": {
                             "amount_minor": 100 + i, "currency": "USD",
                             "from": "pk-sifc" if zone is a else "ae-adgm",
                             "to": "ae-adgm" if zone is a else "pk-sifc"}}})
        assert r.status_code == 201, r.text
        assert r.json()["sequence"] == i
        if i % 250 == 249:
            notes.append(pair.op(a, "POST", "/v1/corridors/%s/checkpoints" % cid).json()["note"])
    assert pair.op(a, "POST", "/v1/corridors/%s/sync" % cid).json()["peer_acknowledged_size"] == 1000
    ra, rb = chain(pair, a, cid), chain(pair, b, cid)
    assert len(ra) == 1000 and ra == rb
    ca, cb = (pair.op(z, "GET", "/v1/corridors/" + cid).json() for z in (a, b))
    assert (ca["size"], ca["root"], ca["head"]) == (cb["size"], cb["root"], cb["head"])
    leaves = [leaf_hash(x["next_root"]) for x in ra]
    origin = "pk-sifc/corridors/" + cid
    prev = None
    for note in notes:
        o, size, root = verify_note(note, a.did, origin)
        assert root == mth(leaves[:size])
        if prev:
            p = b.get("/v1/corridors/%s/proofs/consistency?from=%d&to=%d" % (cid, prev[0], size)).json()
            assert verify_consistency(prev[0], size, [bytes.fromhex(h) for h in p["path"]], prev[1], root)
        prev = (size, root)
    assert prev[0] == 1000
    # the responder keeps the sequencer's latest checkpoint once it has checked it against its own copy
    assert pair.op(b, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    assert b.count("mez_corridor_checkpoint") >= 1
    # both zones' records verify offline with `mez corridor verify`, pinned to the sequencer's DID
    exports = {}
    for z in (a, b):
        path = os.path.join(z.data_dir, "corridor-%s.json" % cid)   # written as the httpd user
        run([z.env.mez_bin, "corridor", "export", "--corridor", cid, "--driver", z.driver, "--params",
             z.db.params, "--out", path], env=z.env.env(), user=z.env.server_user, check=True)
        cp = run([z.env.mez_bin, "corridor", "verify", "--sequencer", a.did, path], env=z.env.env())
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert "receipts: 1000 ok" in cp.stdout and "verified" in cp.stdout, cp.stdout
        with open(path) as f:
            exports[z] = json.load(f)
    assert exports[a]["receipts"] == exports[b]["receipts"]
    assert exports[b]["checkpoints"][-1] == exports[a]["checkpoints"][-1]
    # pinned to another DID, the same file is refused
    cp = run([a.env.mez_bin, "corridor", "verify", "--sequencer", b.did,
              os.path.join(a.data_dir, "corridor-%s.json" % cid)], env=a.env.env())
    assert cp.returncode == 1 and "unexpected_sequencer" in cp.stderr, cp.stderr


def test_a_receipts_unsigned_proof_members_are_pinned(pair):
    # Review T4: proof.created and proof.proofPurpose are not signed, yet an offline edit of them verified and a
    # re-push differing only there halted the corridor as the sequencer's equivocation.
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 2)
    assert pair.op(b, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    # online: receipt 1 again, only its proof changed; refused, nothing kept, the corridor still ACTIVE
    r1 = pair.op(a, "GET", "/v1/corridors/%s/receipts/1" % cid).json()
    before = counts(b)
    for member, value in (("created", "2000-01-01T00:00:00Z"), ("proofPurpose", "authentication")):
        x = json.loads(json.dumps(r1))
        x["proof"][member] = value
        r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts", {"corridor_id": cid, "receipts": [x]})
        assert_problem(r, 422, "receipt.proof_mismatch", pointer="/receipts/0/proof/" + member)
        assert pair.op(b, "GET", "/v1/corridors/" + cid).json()["state"] == "ACTIVE"
    assert {t: n for t, n in counts(b).items() if t != "mez_corridor_transition"} == \
        {t: n for t, n in before.items() if t != "mez_corridor_transition"}
    # the same receipt again is a repeat, as before
    r = signed_post(b, a.key_file, "/v1/corridors/peers/receipts", {"corridor_id": cid, "receipts": [r1]})
    assert r.status_code == 200 and r.json()["repeated"] == 1, r.text
    # offline: the responder's stored copy edited in its unsigned members
    path = os.path.join(b.data_dir, "corridor-%s.json" % cid)

    def export_verify():
        cp = run([b.env.mez_bin, "corridor", "export", "--corridor", cid, "--driver", b.driver, "--params",
                  b.db.params, "--out", path], env=b.env.env(), user=b.env.server_user)
        if cp.returncode:
            return "export", cp
        return "verify", run([b.env.mez_bin, "corridor", "verify", "--sequencer", a.did, path], env=b.env.env())
    step, cp = export_verify()
    assert (step, cp.returncode) == ("verify", 0), cp.stdout + cp.stderr
    where = "corridor_id='%s' AND seq=1" % cid
    text = b.db.query_value("SELECT receipt FROM mez_corridor_receipt WHERE " + where)
    digest = b.db.query_value("SELECT receipt_digest FROM mez_corridor_receipt WHERE " + where)
    rec = json.loads(text)
    rec["proof"]["created"] = "1999-01-01T00:00:00Z"
    new = jcs(rec).decode()
    b.db.execute("UPDATE mez_corridor_receipt SET receipt='%s' WHERE %s" % (new.replace("'", "''"), where))
    try:
        # the text no longer has the digest stored with it: the export refuses to carry it
        step, cp = export_verify()
        assert step == "export" and cp.returncode != 0 and "corridor.row_damaged" in cp.stderr, cp.stderr
        # the digest edited too: the export is made, and verify refuses the unsigned member
        b.db.execute("UPDATE mez_corridor_receipt SET receipt_digest='%s' WHERE %s"
                     % (hashlib.sha256(jcs(rec)).hexdigest(), where))
        step, cp = export_verify()
        assert (step, cp.returncode) == ("verify", 1), cp.stdout + cp.stderr
        assert "receipt.proof_mismatch" in cp.stderr and "/receipts/1/proof/created" in cp.stderr, cp.stderr
    finally:
        b.db.execute("UPDATE mez_corridor_receipt SET receipt='%s', receipt_digest='%s' WHERE %s"
                     % (text.replace("'", "''"), digest, where))


def kill9(zone):
    """SIGKILL to httpd's whole process group: no graceful stop, requests cut mid-transaction."""
    proc = zone.proc
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    zone.stop()   # forgets the dead process


def test_kill_9_of_either_zone_mid_stream_loses_nothing(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    answers, stop = [], threading.Event()

    def stream():
        session = requests.Session()
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = session.post(a.url("/v1/corridors/%s/receipts" % cid), headers=pair.ops[a], timeout=20,
                                 verify=a.tls.ca_file,
                                 json={"transition": {"kind": "transfer", "payload": {"n": i}}})
            except requests.RequestException:
                session = requests.Session()
                time.sleep(0.05)
                continue
            if r.status_code == 201:
                answers.append(r.json())
            else:
                assert r.status_code in (503,), r.text
    for victim in (b, a, b, a):
        stop.clear()
        t = threading.Thread(target=stream)
        t.start()
        time.sleep(0.4)
        kill9(victim)
        time.sleep(0.2)
        victim.start()
        time.sleep(0.3)
        stop.set()
        t.join(60)
        assert not t.is_alive()
    assert pair.op(a, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    ra, rb = chain(pair, a, cid), chain(pair, b, cid)
    assert ra == rb
    assert [x["sequence"] for x in ra] == list(range(len(ra)))      # nothing duplicated, no gap
    for ans in answers:                                              # nothing answered is lost
        assert ra[ans["sequence"]] == ans["receipt"]
    assert len(answers) > 20
    for z in (a, b):
        c = pair.op(z, "GET", "/v1/corridors/" + cid).json()
        assert c["state"] == "ACTIVE" and c["size"] == len(ra)
        assert int(z.db.query_value("SELECT count(*) FROM mez_corridor_fork WHERE corridor_id = '%s'" % cid)) == 0


# ------------------------------------------------------------------ cross-border transfers

EVIDENCE = {"kyc": {"state": "compliant", "attestations": [{"id": "urn:kyc:1", "issuer": "did:example:kyc"}]},
            "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
MONEY_TABLES = ["mez_mass_ledger_line", "mez_credential", "mez_corridor_receipt"]


def zpost(pair, zone, path, body, status=201):
    r = pair.op(zone, "POST", path, body)
    assert r.status_code == status, r.text
    return r.json()


def entity_with_account(pair, zone, name, deposit=None):
    eid = zpost(pair, zone, "/v1/entities", {"entity_type": "corporation", "legal_name": name,
                                             "compliance": {"evidence": EVIDENCE}})["id"]
    # the Mass treasury contract requires a tax number on every account (its ntn member, even outside Pakistan)
    body = {"entity_id": eid, "account_type": "operating", "currency": "USD",
            "ntn": {"ntn_number": "7654321", "ntn_type": "company"}}
    acc = zpost(pair, zone, "/v1/fiscal/accounts", body)["resource"]["account_id"]
    if deposit:
        zpost(pair, zone, "/mass/v1/fiscal/accounts/%s/deposits" % acc,
              {"amount": deposit, "currency": "USD", "reference": "opening balance"})
    return eid, acc


def balance(pair, zone, acc):
    return pair.op(zone, "GET", "/v1/fiscal/accounts/" + acc).json()["balance"]


def money(zone):
    return {t: zone.count(t) for t in MONEY_TABLES}


@pytest.fixture(scope="module")
def trade(pair):
    cid = open_corridor(pair)
    payer = entity_with_account(pair, pair.a, "Lahore Cotton Exports (Pvt) Ltd", deposit="100000.00")
    payee = entity_with_account(pair, pair.b, "Abu Dhabi Textile Trading Ltd", deposit="50000.00")
    return cid, payer, payee


def transfer_body(src, dst, amount="2500.00"):
    return {"source_account_id": src, "amount": amount, "currency": "USD", "payment_type": "goods_payment",
            "destination": {"account_id": dst, "compliance": {"evidence": EVIDENCE}},
            "compliance": {"evidence": EVIDENCE}}


def test_a_cross_border_transfer_is_decided_by_both_zones_recorded_and_settled(pair, trade):
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    before_a, before_b = balance(pair, a, src), balance(pair, b, dst)
    r = pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(src, dst))
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["settlement"]["settled"] is True, t["settlement"]
    assert t["delivery"] == {"delivered": True}
    # both zones decided, each on its own packs, and the receipt records both decisions
    p = t["receipt"]["transition"]["payload"]
    assert t["receipt"]["transition"]["kind"] == "cross_border_transfer"
    assert (p["transfer_id"], p["amount"], p["currency"]) == (t["transfer_id"], "2500.00", "USD")
    assert (p["source"]["zone_id"], p["destination"]["zone_id"]) == ("pk-sifc", "ae-adgm")
    assert p["outbound"]["zone_id"] == "pk-sifc" and p["inbound"]["zone_id"] == "ae-adgm"
    assert p["outbound"]["decision"] in ("compliant", "pending", "exempt")
    assert p["inbound"]["decision"] in ("compliant", "pending", "exempt")
    assert p["outbound"]["evaluation_digest"] == t["outbound"]["compliance"]["evaluation_digest"]
    assert p["inbound"]["evaluation_digest"] == t["inbound"]["compliance"]["evaluation_digest"]
    # each zone attested its own side with a credential the other verifies
    out_vc, in_vc = t["outbound"]["credential"], t["settlement"]["answer"]["credential"]
    assert "PaymentCredential" in out_vc["type"] and out_vc["issuer"] == a.did
    assert "InboundTransferCredential" in in_vc["type"] and in_vc["issuer"] == b.did
    for verifier, vc in ((b, out_vc), (a, in_vc), (b, t["outbound"]["attestation"]),
                         (a, t["settlement"]["answer"]["attestation"])):
        assert verifier.post("/v1/credentials/verify", json={"verifiableCredential": vc}).json()["errors"] == []
    # both treasuries moved: the payer's account down, the payee's up, by the transfer
    assert float(balance(pair, a, src)) == float(before_a) - 2500
    assert float(balance(pair, b, dst)) == float(before_b) + 2500
    # the destination settled it, so the sender's payment has left the zone: settled by the treasury, with the
    # corridor's receipt as its reference (it stayed "processing" for ever before, its net in sys_outbound_USD)
    pay_id = t["outbound"]["resource"]["payment_id"]
    assert t["payment_settlement"] == {"settled": True, "payment_id": pay_id}, t["payment_settlement"]
    pay = pair.op(a, "GET", "/v1/fiscal/payments/" + pay_id).json()
    assert pay["status"] == "settled", pay
    assert pay["settlement_evidence"]["reference"] == "corridor %s receipt %d" % (cid, t["sequence"]), pay
    # both chains hold the same receipt
    assert pair.op(b, "GET", "/v1/corridors/%s/receipts/%d" % (cid, t["sequence"])).json() == t["receipt"]
    # settling again (a lost answer retried) changes nothing
    before = money(b)
    before_sender = money(a)
    r = pair.op(a, "POST", "/v1/corridors/%s/settle" % cid, {"sequence": t["sequence"]}, )
    assert r.status_code == 200 and r.json()["settlement"]["settled"] is True, r.text
    assert r.json()["settlement"]["answer"] == t["settlement"]["answer"]
    assert r.json()["payment_settlement"] == {"settled": True, "payment_id": pay_id}, r.text
    assert money(b) == before and float(balance(pair, b, dst)) == float(before_b) + 2500
    assert money(a) == before_sender
    assert pair.op(a, "GET", "/v1/fiscal/payments/" + pay_id).json() == pay
    # a second transfer the same way is its own transfer, settled on its own
    r = pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(src, dst, "10.00"))
    assert r.status_code == 201 and r.json()["settlement"]["settled"] is True, r.text
    assert r.json()["sequence"] == t["sequence"] + 1
    assert float(balance(pair, b, dst)) == float(before_b) + 2510
    # the destination settles only what its own copy of the chain records
    r = signed_post(b, a.key_file, "/v1/corridors/peers/transfers/settle", {"corridor_id": cid, "sequence": 9999})
    assert_problem(r, 409, "corridor.receipt_missing", pointer="/sequence")
    assert "9999" in r.json()["detail"]


def account_status(pair, zone, acc, state):
    """Freezes or unfreezes an account at the zone's store (a destination that cannot be credited)."""
    r = pair.op(zone, "POST", "/mass/v1/fiscal/accounts/%s/status" % acc, {"status": state, "reason": "test"})
    assert r.status_code == 200, r.text


def test_a_transfer_the_destination_could_not_settle_ends_as_the_corridor_says(pair, trade):
    """The destination's account is frozen: the transfer is decided, paid and recorded, but not settled there, so
    the sender's payment stays processing. The treasury may not return it by hand (the destination may still
    credit it: 409 transfer.recorded_on_corridor, nothing moves); a payment returned all the same at the store is
    never settled at the destination afterwards (409 transfer.payment_returned: the money would exist twice); once
    the account is unfrozen, asking again settles the transfer there and the payment here."""
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade

    account_status(pair, b, dst, "frozen")
    try:
        sent = []
        for amount in ("5.00", "6.00"):
            r = pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(src, dst, amount))
            assert r.status_code == 201, r.text
            t = r.json()
            assert t["settlement"]["settled"] is False, t["settlement"]
            assert t["payment_settlement"]["settled"] is False, t
            pay_id = t["outbound"]["resource"]["payment_id"]
            assert pair.op(a, "GET", "/v1/fiscal/payments/" + pay_id).json()["status"] == "processing"
            sent.append((t["sequence"], pay_id))
        (seq1, pay1), (seq2, pay2) = sent
        before_a, bal_src = money(a), balance(pair, a, src)
        r = pair.op(a, "POST", "/v1/fiscal/payments/%s/return" % pay1, {"reason": "bank rejected"})
        p = assert_problem(r, 409, "transfer.recorded_on_corridor")
        assert "/v1/corridors/%s/settle" % cid in p["detail"], p
        r = pair.op(a, "POST", "/v1/fiscal/payments/%s/settle" % pay1, {"reference": "by hand"})
        assert_problem(r, 409, "transfer.recorded_on_corridor")
        assert money(a) == before_a and balance(pair, a, src) == bal_src
        # the store itself does not know the corridor: a Mass operator returns the second payment there
        r = pair.op(a, "POST", "/mass/v1/fiscal/payments/%s/return" % pay2, {"reason": "returned at the store"})
        assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    finally:
        account_status(pair, b, dst, "active")
    before_b, bal_dst = money(b), balance(pair, b, dst)
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/settle" % cid, {"sequence": seq2}), 409,
                   "transfer.payment_returned")
    assert money(b) == before_b and balance(pair, b, dst) == bal_dst
    r = pair.op(a, "POST", "/v1/corridors/%s/settle" % cid, {"sequence": seq1})
    assert r.status_code == 200 and r.json()["settlement"]["settled"] is True, r.text
    assert r.json()["payment_settlement"] == {"settled": True, "payment_id": pay1}, r.text
    assert float(balance(pair, b, dst)) == float(bal_dst) + 5
    assert pair.op(a, "GET", "/v1/fiscal/payments/" + pay1).json()["status"] == "settled"


def test_the_responders_transfer_payment_is_not_returned_by_hand_either(pair, trade):
    """The responder sends: its copy of the receipt records no request of its own (the sequencer appended it), and
    the transfer is found on it by its content all the same. The destination (the sequencer) cannot credit a
    frozen account, so the responder's payment stays processing; its treasury may not return it by hand (409
    transfer.recorded_on_corridor, nothing moves); asked again once the account is unfrozen, the transfer settles
    there and the payment here."""
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade

    account_status(pair, a, src, "frozen")
    try:
        r = pair.op(b, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(dst, src, "7.00"))
        assert r.status_code == 201, r.text
        t = r.json()
        assert t["settlement"]["settled"] is False and t["payment_settlement"]["settled"] is False, t
        pay_id = t["outbound"]["resource"]["payment_id"]
        before_b = money(b)
        assert_problem(pair.op(b, "POST", "/v1/fiscal/payments/%s/return" % pay_id, {"reason": "bank rejected"}),
                       409, "transfer.recorded_on_corridor")
        assert money(b) == before_b
        assert pair.op(b, "GET", "/v1/fiscal/payments/" + pay_id).json()["status"] == "processing"
    finally:
        account_status(pair, a, src, "active")
    bal = balance(pair, a, src)
    r = pair.op(b, "POST", "/v1/corridors/%s/settle" % cid, {"sequence": t["sequence"]})
    assert r.status_code == 200 and r.json()["payment_settlement"] == {"settled": True, "payment_id": pay_id}, r.text
    assert float(balance(pair, a, src)) == float(bal) + 7
    assert pair.op(b, "GET", "/v1/fiscal/payments/" + pay_id).json()["status"] == "settled"


def test_the_responder_zone_pays_through_the_sequencer(pair, trade):
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    before_a, before_b = balance(pair, a, src), balance(pair, b, dst)
    r = pair.op(b, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(dst, src, "100.00"))
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["settlement"]["settled"] is True, t["settlement"]
    p = t["receipt"]["transition"]["payload"]
    assert (p["source"]["zone_id"], p["destination"]["zone_id"]) == ("ae-adgm", "pk-sifc")
    check_receipt_signature(t["receipt"], a.did)     # the sequencer signed the responder's transfer
    assert float(balance(pair, b, dst)) == float(before_b) - 100
    assert float(balance(pair, a, src)) == float(before_a) + 100
    assert chain(pair, a, cid) == chain(pair, b, cid)


def test_a_transfer_either_zone_refuses_moves_nothing(pair, trade):
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    before = money(a), money(b)
    # the destination has no such account: it refuses before any money moves
    r = pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(src, "acc_" + "0" * 64))
    assert_problem(r, 422, "transfer.refused_by_destination", pointer="/destination")
    assert r.json()["peer_problem"]["code"]
    # more than the payer holds: this zone's treasury refuses after the destination said yes
    r = pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(src, dst, "99999999.00"))
    assert_problem(r, 422, "fiscal.insufficient_funds")
    # malformed
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, {"amount": "1.00"}), 422,
                   pointer="/source_account_id")
    body = transfer_body(src, dst)
    body["destination"]["bank"] = "x"
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/transfers" % cid, body), 422, "request.unknown_field",
                   pointer="/destination/bank")
    # the destination's routes read their bodies before anything is decided or paid
    evaluate, settle = "/v1/corridors/peers/transfers/evaluate", "/v1/corridors/peers/transfers/settle"
    for path, doc, status, code, pointer in [
        (evaluate, {"corridor_id": cid, "transfer": {"source": {"zone_id": "third-zone"}}}, 403, "corridor.not_party",
         "/transfer/source/zone_id"),
        (evaluate, {"corridor_id": cid}, 403, "corridor.not_party", "/transfer/source/zone_id"),
        (evaluate, {"transfer": {}}, 422, "request.missing_field", "/corridor_id"),
        (settle, {"corridor_id": cid, "sequence": -1}, 422, "request.invalid_field", "/sequence"),
        (settle, {"corridor_id": cid, "sequence": "0"}, 422, "request.invalid_field", "/sequence"),
        (settle, {"corridor_id": cid}, 422, "request.invalid_field", "/sequence"),
        (settle, {"corridor_id": cid, "sequence": 0, "x": 1}, 422, "request.unknown_field", "/x"),
    ]:
        assert_problem(signed_post(b, a.key_file, path, doc), status, code, pointer=pointer)
    # asking again for a settlement names a receipt of this corridor
    for seq in (-1, "1", 1 << 40):
        assert_problem(pair.op(a, "POST", "/v1/corridors/%s/settle" % cid, {"sequence": seq}), 422,
                       "request.invalid_field", pointer="/sequence")
    assert_problem(pair.op(a, "POST", "/v1/corridors/%s/settle" % cid, {}), 422, "request.invalid_field",
                   pointer="/sequence")
    assert (money(a), money(b)) == before


def peer_transfer(src_zone, dst_zone, dst_account, transfer_id="xfr_forged1", amount="777.00"):
    """A cross_border_transfer transition as a peer would ask the sequencer to record it."""
    return {"kind": "cross_border_transfer",
            "payload": {"transfer_id": transfer_id, "amount": amount, "currency": "USD",
                        "source": {"zone_id": src_zone, "account_id": "acc_x", "entity_id": "ent_x",
                                   "payer_name": "Nobody"},
                        "destination": {"zone_id": dst_zone, "account_id": dst_account}}}


def test_a_peer_cannot_make_the_sequencer_sign_for_itself(pair, trade):
    # Review T1: the responder asked the sequencer to record a transfer from the sequencer to the responder; the
    # sequencer signed it, and its /settle paid it out at the responder.
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    before_a, before_b, bal_b = counts(a), money(b), balance(pair, b, dst)
    size = pair.op(a, "GET", "/v1/corridors/" + cid).json()["size"]
    for t, ptr in ((peer_transfer("pk-sifc", "ae-adgm", dst), "/transition/payload/source/zone_id"),
                   (peer_transfer("ae-adgm", "third-zone", dst), "/transition/payload/destination/zone_id"),
                   ({"kind": "cross_border_transfer", "payload": {"transfer_id": "xfr_nosrc", "amount": "1.00"}},
                    "/transition/payload/source/zone_id"),
                   ({"kind": "entity_migration", "payload": {"migration_id": "m1", "source": {"zone_id": "pk-sifc"},
                                                             "destination": {"zone_id": "ae-adgm"}}},
                    "/transition/payload/source/zone_id"),
                   ({"kind": "note", "payload": {"source": {"zone_id": "pk-sifc"}}},
                    "/transition/payload/source/zone_id"),
                   (dict(peer_transfer("ae-adgm", "pk-sifc", src),
                         payload=dict(peer_transfer("ae-adgm", "pk-sifc", src)["payload"],
                                      outbound={"zone_id": "pk-sifc", "decision": "compliant"})),
                    "/transition/payload/outbound/zone_id")):
        r = signed_post(a, b.key_file, "/v1/corridors/peers/transitions", {"corridor_id": cid, "transition": t})
        assert_problem(r, 403, "corridor.peer_not_source", pointer=ptr)
    # who asked is the sequencer's to record, not the asker's to claim
    t = dict(peer_transfer("ae-adgm", "pk-sifc", src), requested_by={"zone_id": "pk-sifc"})
    r = signed_post(a, b.key_file, "/v1/corridors/peers/transitions", {"corridor_id": cid, "transition": t})
    assert_problem(r, 422, "corridor.reserved_field", pointer="/transition/requested_by")
    r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid, {"transition": t})
    assert_problem(r, 422, "corridor.reserved_field", pointer="/transition/requested_by")
    assert counts(a) == before_a and pair.op(a, "GET", "/v1/corridors/" + cid).json()["size"] == size
    assert money(b) == before_b and balance(pair, b, dst) == bal_b


def test_the_sequencer_settles_only_its_own_decided_transfers(pair, trade):
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    # a transfer the responder sent: recorded at its request, and not this zone's to settle
    r = pair.op(b, "POST", "/v1/corridors/%s/transfers" % cid, transfer_body(dst, src, "1.00"))
    assert r.status_code == 201, r.text
    inbound_seq = r.json()["sequence"]
    assert r.json()["receipt"]["transition"]["requested_by"] == {"zone_id": "ae-adgm"}
    # the sequencer's operator records a transfer "from" the sequencer by hand: no payment, no decision here
    r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid,
                {"transition": dict(peer_transfer("pk-sifc", "ae-adgm", dst, "xfr_byhand"),
                                    payload=dict(peer_transfer("pk-sifc", "ae-adgm", dst, "xfr_byhand")["payload"],
                                                 outbound={"zone_id": "pk-sifc", "decision": "compliant",
                                                           "evaluation_digest": "sha256:" + "ab" * 32,
                                                           "credential_digest": "sha256:" + "cd" * 32}))})
    assert r.status_code == 201, r.text
    byhand_seq = r.json()["sequence"]
    plain_seq = append(pair, a, cid, 1)[0]["sequence"]
    before_a, before_b, bal_b = money(a), money(b), balance(pair, b, dst)
    for seq, status, code in ((inbound_seq, 422, "transfer.not_outbound"), (plain_seq, 422, "transfer.not_outbound"),
                              (byhand_seq, 409, "transfer.not_decided_here")):
        r = pair.op(a, "POST", "/v1/corridors/%s/settle" % cid, {"sequence": seq})
        assert_problem(r, status, code, pointer="/sequence")
    assert money(a) == before_a and money(b) == before_b and balance(pair, b, dst) == bal_b


def test_the_destination_settles_only_on_an_active_corridor(pair, trade):
    # Review: peers/transfers/settle paid out on a SUSPENDED, HALTED or DEPRECATED corridor. A transfer recorded
    # while the corridor was ACTIVE waits out a suspension (the source asks again after the resume); on a halted or
    # deprecated corridor it is not settled at all.
    a, b = pair.a, pair.b
    _, _, (payee, dst) = trade
    cid = open_corridor(pair)
    seqs = []
    for n in (1, 2):   # two transfers to b's account on the chain, held by b (the sequencer's operator records them)
        t = peer_transfer("pk-sifc", "ae-adgm", dst, "xfr_%064x" % (0xa11ce + n), "5.00")
        t["payload"]["destination"]["compliance"] = {"evidence": EVIDENCE}
        r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid, {"transition": t})
        assert r.status_code == 201 and r.json()["delivery"] == {"delivered": True}, r.text
        seqs.append(r.json()["sequence"])
    evidence = {"suspend": {"reason": "regulator's review"},
                "resume": {"resolution_attestation_digest": "sha256:" + "5" * 64},
                "halt": {"reason": "regulator order", "authority": "ae-adgm", "evidence_digest": "sha256:" + "4" * 64},
                "deprecate": {"deprecation_decision_digest": "sha256:" + "6" * 64, "reason": "corridor ended"}}

    def move(event):    # on b's copy: the destination's own state decides
        r = pair.op(b, "POST", "/v1/corridors/%s/transition" % cid, {"event": event, "evidence": evidence[event]})
        assert r.status_code == 200, r.text

    def settle_refused(seq, state):
        before, bal = money(b), balance(pair, b, dst)
        r = signed_post(b, a.key_file, "/v1/corridors/peers/transfers/settle", {"corridor_id": cid, "sequence": seq})
        assert_problem(r, 409, "corridor.not_active")
        assert state in r.json()["detail"], r.text
        assert money(b) == before and balance(pair, b, dst) == bal

    move("suspend")
    settle_refused(seqs[0], "SUSPENDED")
    # resumed: asked again, the transfer is settled
    move("resume")
    bal = balance(pair, b, dst)
    r = signed_post(b, a.key_file, "/v1/corridors/peers/transfers/settle", {"corridor_id": cid, "sequence": seqs[0]})
    assert r.status_code == 201, r.text
    assert float(balance(pair, b, dst)) == float(bal) + 5
    move("halt")
    settle_refused(seqs[1], "HALTED")
    move("deprecate")
    settle_refused(seqs[1], "DEPRECATED")


def signed_note(key_file, origin, size, root, workdir):
    """A C2SP signed note by key_file under origin, made here (openssl), not by libmezcore."""
    did_pub = None
    text = "%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())
    cp = subprocess.run(["openssl", "pkey", "-in", key_file, "-pubout", "-outform", "DER"], capture_output=True,
                        check=True)
    did_pub = cp.stdout[-32:]
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + did_pub).digest()[:4]
    sig = openssl_sign(key_file, text.encode(), workdir)
    return text + "\n\u2014 %s %s\n" % (origin, base64.b64encode(key_id + sig).decode())


def test_a_checkpoint_contradicting_the_receipts_halts_the_responder(pair):
    """A sequencer that signs a checkpoint of another history than the receipts it sent is caught by the
    responder's own copy: the note is kept as evidence and the corridor halts there."""
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    append(pair, a, cid, 4)
    origin = "pk-sifc/corridors/" + cid
    # a genuine note, made outside libmezcore, is taken
    leaves = [leaf_hash(x["next_root"]) for x in chain(pair, a, cid)]
    good = signed_note(a.key_file, origin, 4, mth(leaves), a.dir)
    a.db.execute("INSERT INTO mez_corridor_checkpoint (corridor_id, tree_size, root, note, created_at) VALUES "
                 "('%s', 4, '%s', '%s', '2026-11-25T00:00:00Z')" % (cid, mth(leaves).hex(), good))
    assert pair.op(b, "POST", "/v1/corridors/%s/sync" % cid).status_code == 200
    assert b.db.query_value("SELECT note FROM mez_corridor_checkpoint WHERE corridor_id = '%s'" % cid) == good.strip()
    # then a forged one: signed by the sequencer's key, over a root that is not this chain's
    append(pair, a, cid, 2)
    bad = signed_note(a.key_file, origin, 6, hashlib.sha256(b"another history").digest(), a.dir)
    a.db.execute("INSERT INTO mez_corridor_checkpoint (corridor_id, tree_size, root, note, created_at) VALUES "
                 "('%s', 6, '%s', '%s', '2026-11-25T00:00:01Z')" % (cid, "00" * 32, bad))
    r = pair.op(b, "POST", "/v1/corridors/%s/sync" % cid)
    assert_problem(r, 409, "checkpoint.inconsistent")
    c = pair.op(b, "GET", "/v1/corridors/" + cid).json()
    assert c["state"] == "HALTED" and c["size"] == 6
    assert pair.op(a, "GET", "/v1/corridors/" + cid).json()["state"] == "HALTED"   # told by the responder
    kept = b.db.query_value("SELECT conflicting_receipt FROM mez_corridor_fork WHERE corridor_id = '%s' AND seq = 6"
                            % cid)
    assert kept == bad.strip()


def test_transfers_with_an_idempotency_key_happen_once(pair, trade):
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    path = "/v1/corridors/%s/transfers" % cid
    headers = dict(pair.ops[a], **{"Idempotency-Key": "order-7781"})
    body = transfer_body(src, dst, "42.00")
    r1 = a.post(path, json=body, headers=headers)
    assert r1.status_code == 201 and r1.json()["settlement"]["settled"] is True, r1.text
    before = money(a), money(b), balance(pair, a, src), balance(pair, b, dst)
    # the answer was lost: the retry is answered the first answer, and nothing moves again
    r2 = a.post(path, json=body, headers=headers)
    assert r2.status_code == 201 and r2.headers.get("Idempotent-Replayed") == "true"
    assert r2.json() == r1.json()
    assert (money(a), money(b), balance(pair, a, src), balance(pair, b, dst)) == before
    # the same key for another transfer is refused
    other = transfer_body(src, dst, "43.00")
    assert_problem(a.post(path, json=other, headers=headers), 422, "idempotency.key_reused")
    # this zone died after the payment, before it recorded its answer: once the lease has passed the retry resumes
    # the same transfer (the payment is replayed, the receipt found on the chain, the settlement replayed)
    a.db.execute("UPDATE mez_idempotency SET state = 'in_progress', status = NULL, response = NULL, "
                 "created_at = '2000-01-01T00:00:00Z', updated_at = '2000-01-01T00:00:00Z' "
                 "WHERE idempotency_key = 'order-7781'")
    r3 = a.post(path, json=body, headers=headers)
    assert r3.status_code == 201, r3.text
    t1, t3 = r1.json(), r3.json()
    assert (t3["transfer_id"], t3["sequence"], t3["receipt"]) == (t1["transfer_id"], t1["sequence"], t1["receipt"])
    assert t3["outbound"]["resource"]["payment_id"] == t1["outbound"]["resource"]["payment_id"]
    assert t3["settlement"]["answer"]["resource"] == t1["settlement"]["answer"]["resource"]
    assert (money(a), money(b), balance(pair, a, src), balance(pair, b, dst)) == before


def test_a_transfer_refused_before_money_moves_frees_its_key(pair, trade):
    a, b = pair.a, pair.b
    cid, (payer, src), (payee, dst) = trade
    path = "/v1/corridors/%s/transfers" % cid
    headers = dict(pair.ops[a], **{"Idempotency-Key": "order-9001"})
    b.stop()
    try:
        assert_problem(a.post(path, json=transfer_body(src, dst, "5.00"), headers=headers), 503,
                       "corridor.peer_unreachable")
    finally:
        b.start()
    r = a.post(path, json=transfer_body(src, dst, "5.00"), headers=headers)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers, r.text


def test_receipts_with_an_idempotency_key_are_appended_once(pair):
    a, b = pair.a, pair.b
    cid = open_corridor(pair)
    for zone, key in ((a, "append-0001"), (b, "append-0002")):     # the sequencer's and the responder's own
        body = {"transition": {"kind": "notice", "payload": {"key": key}}}
        headers = dict(pair.ops[zone], **{"Idempotency-Key": key})
        r1 = zone.post("/v1/corridors/%s/receipts" % cid, json=body, headers=headers)
        assert r1.status_code == 201, r1.text
        size = pair.op(a, "GET", "/v1/corridors/" + cid).json()["size"]
        r2 = zone.post("/v1/corridors/%s/receipts" % cid, json=body, headers=headers)
        assert r2.status_code == 201 and r2.headers.get("Idempotent-Replayed") == "true"
        assert r2.json()["receipt"] == r1.json()["receipt"]
        # the zone died before it recorded its answer: the retry finds the receipt the first attempt appended
        zone.db.execute("UPDATE mez_idempotency SET state = 'in_progress', status = NULL, response = NULL, "
                        "created_at = '2000-01-01T00:00:00Z', updated_at = '2000-01-01T00:00:00Z' "
                        "WHERE idempotency_key = '%s'" % key)
        r3 = zone.post("/v1/corridors/%s/receipts" % cid, json=body, headers=headers)
        assert r3.status_code == 201 and "Idempotent-Replayed" not in r3.headers, r3.text
        assert (r3.json()["receipt"], r3.json()["sequence"]) == (r1.json()["receipt"], r1.json()["sequence"])
        assert pair.op(a, "GET", "/v1/corridors/" + cid).json()["size"] == size
        assert_problem(zone.post("/v1/corridors/%s/receipts" % cid, json={"transition": {"kind": "other"}},
                                 headers=headers), 422, "idempotency.key_reused")
    assert chain(pair, a, cid) == chain(pair, b, cid)


def test_establishment_is_in_both_zones_audit_chains(pair):
    """The proposal and the establishment are audited where they happen, in the same transaction as the corridor
    rows: corridor.propose (the operator) and corridor.establish on the proposer, corridor.proposed_by_peer (the
    peer) and corridor.establish on the responder."""
    a, b = pair.a, pair.b
    cid = open_corridor(pair)

    def actions(zone):
        rows = zone.db.query_value(
            "SELECT string_agg(action || ' ' || actor, ',' ORDER BY seq) FROM mez_audit WHERE resource_id = '%s'"
            % cid if zone.driver == "pgsql" else
            "SELECT group_concat(action || ' ' || actor, ',') FROM (SELECT action, actor FROM mez_audit "
            "WHERE resource_id = '%s' ORDER BY seq)" % cid)
        return [tuple(x.split(" ", 1)) for x in rows.split(",")]
    pa, pb = actions(a), actions(b)
    assert [x[0] for x in pa] == ["corridor.propose", "corridor.establish"], pa
    assert re.fullmatch(r"[0-9a-f]{16}", pa[0][1]) and pa[1][1] == "peer:ae-adgm", pa   # operator's token id
    assert [x[0] for x in pb] == ["corridor.proposed_by_peer", "corridor.establish"], pb
    assert pb[0][1] == "peer:pk-sifc" and re.fullmatch(r"[0-9a-f]{16}", pb[1][1]), pb
    e = a.env
    for z in (a, b):
        cp = run([e.mez_bin, "audit", "verify", "--driver", z.driver, "--params", z.db.params], env=e.env())
        assert cp.returncode == 0, cp.stdout + cp.stderr

# test_corridor_peers.py: peer zones an operator registers at runtime (POST /v1/peers) instead of MezPeer lines in
# the configuration: two zones over TLS that know nothing of each other at start-up register each other, open a
# corridor and write it; a revoked peer can neither sign requests to the zone nor be called by it; every bad
# registration is a problem that changes nothing.
import os

import pytest

from mez_harness import assert_problem
from mez_tls import ServerTLS, TestCA
from test_corridor_protocol import Pair, append, chain, policy, signed_get


@pytest.fixture(scope="module")
def runtime_pair(module_zones, mez_env):
    drivers = mez_env.drivers
    ca = TestCA(os.path.join(mez_env.new_dir("peers-ca"), "ca"), "mez runtime peers CA")
    a = module_zones(drivers[0], start=False, name="rt-a", zone_id="rt-a", tls=ServerTLS(ca))
    b = module_zones(drivers[-1], start=False, name="rt-b", zone_id="rt-b", tls=ServerTLS(ca))
    ghost = os.path.join(mez_env.new_dir("rt-ghost"), "ghost.pem")
    ghost_did = mez_env.keygen(ghost)
    # a knows a configured peer (ghost), but neither zone is configured with the other
    a.extra_conf = policy(mez_env, [("configured-ghost", "https://127.0.0.1:9", ghost_did)], ca.cert)
    b.extra_conf = policy(mez_env, [], ca.cert)
    for z in (a, b):
        z.write_conf()
        z.start()
    return Pair(a, b, None, ghost)


def register(pair, zone, other):
    return pair.op(zone, "POST", "/v1/peers", {"zone_id": other.zone_id, "url": other.url(""), "did": other.did})


def test_peers_registered_at_runtime_open_and_write_a_corridor(runtime_pair):
    pair = runtime_pair
    a, b = pair.a, pair.b
    # before registration, a proposal to b names no peer
    assert_problem(pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "rt-b"}), 422, "corridor.unknown_peer")
    r = register(pair, a, b)
    assert r.status_code == 201 and r.headers["Location"] == "/v1/peers/rt-b", r.text
    assert r.json()["source"] == "registered" and r.json()["revoked_at"] is None
    assert register(pair, a, b).status_code == 200          # the same again: a repeat
    assert register(pair, b, a).status_code == 201
    peers = pair.op(a, "GET", "/v1/peers").json()["peers"]
    assert {(p["zone_id"], p["source"]) for p in peers} == {("configured-ghost", "configuration"),
                                                            ("rt-b", "registered")}
    c = pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "rt-b"}).json()
    assert c["delivery"] == {"delivered": True}, c
    cid = c["corridor_id"]
    assert pair.op(b, "POST", "/v1/corridors/%s/accept" % cid).status_code == 200
    append(pair, a, cid, 3)
    assert chain(pair, a, cid) == chain(pair, b, cid)

    # revoked: b can no longer sign requests to a, and a no longer calls b
    r = pair.op(a, "POST", "/v1/peers/rt-b/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"], r.text
    assert_problem(signed_get(a, b.key_file, "/v1/corridors/%s/receipts" % cid), 401, "httpsig.unknown_key")
    r = pair.op(a, "POST", "/v1/corridors/%s/receipts" % cid, {"transition": {"kind": "transfer"}})
    assert r.status_code == 201 and r.json()["delivery"]["delivered"] is False
    assert r.json()["delivery"]["code"] == "corridor.unknown_peer"
    # both changes are in the zone's audit chain, with who made them
    actions = a.db.query_value(
        ("SELECT group_concat(action, ',') FROM (SELECT action FROM mez_audit WHERE resource_id = 'rt-b' ORDER BY seq)"
         if a.driver == "sqlite3" else
         "SELECT string_agg(action, ',' ORDER BY seq) FROM mez_audit WHERE resource_id = 'rt-b'"))
    assert actions == "peer.register,peer.revoke", actions
    # registered again, it catches up
    assert register(pair, a, b).status_code == 201
    assert pair.op(a, "POST", "/v1/corridors/%s/sync" % cid).json()["peer_acknowledged_size"] == 4
    assert chain(pair, a, cid) == chain(pair, b, cid)


def test_bad_registrations_change_nothing(runtime_pair):
    pair = runtime_pair
    a, b = pair.a, pair.b
    before, audit = a.count("mez_peer"), a.count("mez_audit")
    cases = [
        ({"zone_id": "bad id!", "url": b.url(""), "did": b.did}, 422, "peer.invalid_field", "/zone_id"),
        ({"zone_id": "z1", "url": "ftp://x", "did": b.did}, 422, "peer.invalid_field", "/url"),
        ({"zone_id": "z1", "url": b.url(""), "did": "did:key:zNotAKey"}, 422, "peer.invalid_field", "/did"),
        ({"zone_id": "z1", "url": b.url(""), "did": b.did + "#x"}, 422, "peer.invalid_field", "/did"),
        ({"zone_id": "z1", "url": b.url(""), "did": b.did, "colour": 1}, 422, "request.unknown_field", "/colour"),
        ({"zone_id": "configured-ghost", "url": b.url(""), "did": b.did}, 409, "peer.configured", "/zone_id"),
        ({"zone_id": "rt-a", "url": b.url(""), "did": b.did}, 409, "peer.configured", "/zone_id"),
        # A NUL inside: as C text the DID was b's (registered, audited with the rest), the zone id "z1"
        ({"zone_id": "z1", "url": b.url(""), "did": b.did + "\u0000x"}, 422, "request.invalid_characters", "/did"),
        ({"zone_id": "z1\u0000x", "url": b.url(""), "did": b.did}, 422, "request.invalid_characters", "/zone_id"),
    ]
    for body, status, code, pointer in cases:
        assert_problem(pair.op(a, "POST", "/v1/peers", body), status, code, pointer=pointer)
    if pair.op(a, "GET", "/v1/peers").json()["peers"][-1]["revoked_at"] is None:
        # rt-b is active: another URL for it, or its DID under another name, is refused
        assert_problem(pair.op(a, "POST", "/v1/peers", {"zone_id": "rt-b", "url": "https://127.0.0.1:1",
                                                         "did": b.did}), 409, "peer.exists", pointer="/zone_id")
        assert_problem(pair.op(a, "POST", "/v1/peers", {"zone_id": "rt-b2", "url": b.url(""), "did": b.did}), 409,
                       "peer.did_taken", pointer="/did")
    assert_problem(pair.op(a, "POST", "/v1/peers/nobody/revoke"), 404, "peer.not_found")
    assert_problem(pair.op(a, "POST", "/v1/peers/configured-ghost/revoke"), 409, "peer.configured")
    assert_problem(a.post("/v1/peers", json={"zone_id": "z9", "url": b.url(""), "did": b.did}), 401)
    assert a.count("mez_peer") == before
    assert a.count("mez_audit") == audit


def test_a_peer_answer_holding_a_nul_is_no_answer(runtime_pair, mez_env):
    """A registered peer whose answer holds a string with a NUL ("\\u0000"): the zone reads ids and states out of
    a peer's answers as C strings, cut short at the NUL, so such an answer is none (corridor.peer_invalid_answer,
    naming where), whatever its status."""
    import http.server
    import ssl
    import threading
    pair = runtime_pair
    a = pair.a
    cert = a.tls.ca.server(name="nul-peer")

    class Peer(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"corridor_id":"corr-nul\\u0000x","state":"PROPOSED"}'
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Peer)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.cert, cert.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        did = mez_env.keygen(os.path.join(mez_env.new_dir("nul-peer"), "peer.pem"))
        r = pair.op(a, "POST", "/v1/peers", {"zone_id": "rt-nul", "url": "https://127.0.0.1:%d" % srv.server_port,
                                             "did": did})
        assert r.status_code == 201, r.text
        r = pair.op(a, "POST", "/v1/corridors", {"peer_zone_id": "rt-nul"})
        assert r.status_code == 201, r.text
        delivery = r.json()["delivery"]
        assert delivery["delivered"] is False and delivery["code"] == "corridor.peer_invalid_answer", delivery
        assert "'/corridor_id'" in delivery["detail"] and "NUL" in delivery["detail"], delivery
    finally:
        srv.shutdown()
        pair.op(a, "POST", "/v1/peers/rt-nul/revoke")

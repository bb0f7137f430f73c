# test_peer_auth.py: zone-to-zone requests signed with RFC 9421 HTTP Message Signatures (Ed25519) by a MezPeer,
# as AuthType mez principals (Require mez-peer), on both database drivers.
#
# The signatures are made here, outside libmezcore: the signature base is built in Python as RFC 9421 section 2.5
# says and signed with the openssl command (mez_harness.openssl_sign), so the zone's verifier is checked against
# an independent signer. The zone protects GET /v1/zone and POST /v1/credentials/verify with `Require mez-peer`
# and GET /v1/openapi.json with `Require mez-peer` naming another zone. Covered: a signed GET and a signed POST
# (whose body the handler still reads after authentication checked its Content-Digest) pass; unsigned, tampered,
# stale, replayed, unknown-key, nonce-less and wrong-digest requests are 401 problems that leave the nonce table
# unchanged; a peer not named by Require is 403; bad MezPeer directives stop httpd.
import base64
import hashlib
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from audit_util import audit_rows, mez_as_server
from test_metrics import scrape, value, wait_for
from mez_harness import assert_problem, free_port, openssl_sign, sample_credential, signature_digest

NONCES = "mez_peer_nonce"


# GET /v1/zone, POST /v1/credentials/verify and GET /v1/openapi.json are public routes in the default
# configuration, so openapi/mez.openapi.json does not list 401/403 for them; the refusals this test's
# configuration causes are checked with assert_problem (RFC 9457 shape, code, status) and validate=False.


def did_vm(did):
    return "%s#%s" % (did, did[len("did:key:"):])


def peer_conf(env, peers):
    lines = ["LoadModule authn_core_module %s" % os.path.join(env.httpd_modules, "mod_authn_core.so")]
    lines += ["MezPeer %s %s %s" % p for p in peers]
    lines += [
        "<Location /v1/zone>", "  AuthType mez", "  Require mez-peer", "</Location>",
        "<Location /v1/credentials/verify>", "  AuthType mez", "  Require mez-peer", "</Location>",
        "<Location /v1/openapi.json>", "  AuthType mez", "  Require mez-peer some-other-zone", "</Location>",
    ]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def peers(mez_env):
    """Two keys: the peer's (configured as MezPeer peer-a) and a stranger's (configured nowhere)."""
    d = mez_env.new_dir("peers")
    keys = {}
    for name in ("peer", "stranger"):
        path = os.path.join(d, name + ".pem")
        keys[name] = (path, mez_env.keygen(path), d)
    return keys


@pytest.fixture(scope="module")
def pzone(module_zones, driver, mez_env, peers):
    conf = peer_conf(mez_env, [("peer-a", "https://peer-a.example", peers["peer"][1])])
    return module_zones(driver, extra_conf=conf)


def content_digest(body):
    return "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign(key, method, path, authority, *, body=None, digest=None, headers=None, covered_headers=(),
         created=None, nonce="fresh", keyid=None):
    """Headers for a request signed per RFC 9421 (label "mez"): @method, @authority (unless None), @path, the
    given header fields, and content-digest when there is a body (digest overrides the header's value)."""
    key_file, did, workdir = key
    headers = dict(headers or {})
    components = ["@method", "@authority", "@path"] if authority is not None else ["@method", "@path"]
    values = {"@method": method, "@authority": authority, "@path": path}
    for h in covered_headers:
        components.append(h)
        values[h] = headers[h]
    if body is not None:
        headers["content-digest"] = digest or content_digest(body)
        components.append("content-digest")
        values["content-digest"] = headers["content-digest"]
    params = "(%s);created=%d" % (" ".join('"%s"' % c for c in components),
                                  int(time.time()) if created is None else created)
    if nonce:
        params += ';nonce="%s"' % (uuid.uuid4().hex if nonce == "fresh" else nonce)
    params += ';alg="ed25519";keyid="%s"' % (keyid or did_vm(did))
    base = "\n".join('"%s": %s' % (c, values[c]) for c in components)
    base += '\n"@signature-params": ' + params
    sig = openssl_sign(key_file, base.encode(), workdir)
    headers["Signature-Input"] = "mez=" + params
    headers["Signature"] = "mez=:%s:" % base64.b64encode(sig).decode()
    return headers


def authority(zone):
    return "127.0.0.1:%d" % zone.port


def test_signed_get_is_a_peer(pzone, peers):
    before = pzone.count(NONCES)
    r = pzone.get("/v1/zone", headers=sign(peers["peer"], "GET", "/v1/zone", authority(pzone)))
    assert r.status_code == 200, r.text
    assert r.json()["zone_id"] == pzone.zone_id
    assert pzone.count(NONCES) == before + 1
    # The bare DID is accepted as keyid as well.
    r = pzone.get("/v1/zone", headers=sign(peers["peer"], "GET", "/v1/zone", authority(pzone),
                                            keyid=peers["peer"][1]))
    assert r.status_code == 200, r.text
    assert pzone.count(NONCES) == before + 2


def test_unsigned_is_refused(pzone):
    before = pzone.count(NONCES)
    assert_problem(pzone.get("/v1/zone", validate=False), 401, "auth.missing_token")
    assert pzone.count(NONCES) == before


def test_refusals_change_nothing(pzone, peers):
    peer, auth = peers["peer"], authority(pzone)
    before = pzone.count(NONCES)
    # Signed for another path.
    h = sign(peer, "GET", "/v1/zonex", auth)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.bad_signature")
    # A covered header changed on the way.
    h = sign(peer, "GET", "/v1/zone", auth, headers={"x-mez-probe": "a"}, covered_headers=("x-mez-probe",))
    h["x-mez-probe"] = "b"
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.bad_signature")
    # Signed for another method.
    h = sign(peer, "POST", "/v1/zone", auth)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.bad_signature")
    # Stale and future created.
    h = sign(peer, "GET", "/v1/zone", auth, created=int(time.time()) - 3600)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.stale")
    h = sign(peer, "GET", "/v1/zone", auth, created=int(time.time()) + 3600)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.stale")
    # A key that is no peer's, and a stranger claiming the peer's keyid.
    h = sign(peers["stranger"], "GET", "/v1/zone", auth)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.unknown_key")
    h = sign(peers["stranger"], "GET", "/v1/zone", auth, keyid=did_vm(peer[1]))
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.bad_signature")
    # No nonce: replay could not be detected.
    h = sign(peer, "GET", "/v1/zone", auth, nonce=None)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.nonce_missing")
    # Signature without Signature-Input.
    h = sign(peer, "GET", "/v1/zone", auth)
    del h["Signature-Input"]
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.missing",
                   pointer="/headers/signature-input")
    assert pzone.count(NONCES) == before


def test_replay_is_refused(pzone, peers):
    h = sign(peers["peer"], "GET", "/v1/zone", authority(pzone))
    assert pzone.get("/v1/zone", headers=h).status_code == 200
    after_first = pzone.count(NONCES)
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.replay")
    assert pzone.count(NONCES) == after_first
    # The same nonce under the bare-DID keyid is the same peer's nonce: still a replay.
    nonce = h["Signature-Input"].split('nonce="')[1].split('"')[0]
    h2 = sign(peers["peer"], "GET", "/v1/zone", authority(pzone), nonce=nonce, keyid=peers["peer"][1])
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h2), 401, "httpsig.replay")
    assert pzone.count(NONCES) == after_first


def test_signed_post_body_reaches_handler(pzone, peers):
    r = pzone.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}})
    assert r.status_code == 201, r.text
    body = json.dumps({"verifiableCredential": r.json()["verifiableCredential"], "options": {}}).encode()
    hdr = {"Content-Type": "application/json"}
    before = pzone.count(NONCES)
    h = sign(peers["peer"], "POST", "/v1/credentials/verify", authority(pzone), body=body, headers=hdr)
    r = pzone.post("/v1/credentials/verify", data=body, headers=h)
    assert r.status_code == 200, r.text
    # The handler read the very body the signature covered: the issued credential verifies.
    assert "proof" in r.json()["checks"] and not r.json().get("errors"), r.text
    assert pzone.count(NONCES) == before + 1
    # The same, sent chunked (no Content-Length).
    h = sign(peers["peer"], "POST", "/v1/credentials/verify", authority(pzone), body=body, headers=hdr)
    r = pzone.post("/v1/credentials/verify", data=iter([body[:10], body[10:]]), headers=h)
    assert r.status_code == 200 and "proof" in r.json()["checks"], r.text
    assert pzone.count(NONCES) == before + 2
    # The body does not match the signed Content-Digest.
    h = sign(peers["peer"], "POST", "/v1/credentials/verify", authority(pzone), body=body, headers=hdr,
             digest=content_digest(body + b" "))
    assert_problem(pzone.post("/v1/credentials/verify", validate=False, data=body, headers=h), 401, "digest.mismatch")
    # A body that is not covered by the signature at all.
    h = sign(peers["peer"], "POST", "/v1/credentials/verify", authority(pzone), headers=hdr)
    assert_problem(pzone.post("/v1/credentials/verify", validate=False, data=body, headers=h), 401,
                   "httpsig.not_covered")
    assert pzone.count(NONCES) == before + 2


def test_require_names_the_peer(pzone, peers):
    before = pzone.count(NONCES)
    h = sign(peers["peer"], "GET", "/v1/openapi.json", authority(pzone))
    assert_problem(pzone.get("/v1/openapi.json", validate=False, headers=h), 403, "auth.forbidden_peer")
    assert pzone.count(NONCES) == before + 1  # authenticated (nonce spent), then not authorised


@pytest.mark.parametrize("args,why", [
    ('peer-b https://b.example did:key:zNotAKey', "MezPeer peer-b"),
    ('peer-b https://b.example did:web:b.example', "not a did:key"),
    ('peer-b ftp://b.example {did}', "not an http(s) URL"),
    ('bad/id https://b.example {did}', "not a zone id"),
    ('peer-a https://other.example {did}', "given twice"),
])
def test_bad_peer_directive_stops_httpd(make_zone, mez_env, peers, args, why):
    did = peers["peer"][1]
    conf = peer_conf(mez_env, [("peer-a", "https://peer-a.example", did)])
    conf += "\nMezPeer " + args.format(did=did)
    z = make_zone("sqlite3", start=False, extra_conf=conf)
    cp = z.config_test()
    out = cp.stdout + cp.stderr
    assert cp.returncode != 0
    line = z.conf_line("MezPeer " + args.format(did=did))
    assert "Syntax error on line %d of %s" % (line, z.conf_file) in out, out
    assert why in out, out


def test_public_authority(make_zone, driver, mez_env, peers):
    """MezPublicAuthority: a request the peer signed for another zone's name (a zone that trusts the same peer,
    which it was captured on its way to) is refused after its signature verifies, spends no nonce and is kept as
    evidence in the audit log; the zone's own names pass, a port that is the scheme's default the same as none."""
    conf = peer_conf(mez_env, [("peer-a", "https://peer-a.example", peers["peer"][1])])
    z = make_zone(driver, extra_conf=conf + "\nMezPublicAuthority 127.0.0.1:@PORT@ Zone-A.example")
    peer = peers["peer"]
    before = z.count(NONCES)
    r = z.get("/v1/zone", headers=sign(peer, "GET", "/v1/zone", authority(z)))
    assert r.status_code == 200, r.text
    # By name, through whatever put the name in front of it (Host "zone-a.example:80" over http is zone-a.example).
    for host in ("zone-a.example", "ZONE-A.example:80"):
        h = sign(peer, "GET", "/v1/zone", host.lower())
        h["Host"] = host
        r = z.get("/v1/zone", headers=h)
        assert r.status_code == 200, r.text
    assert z.count(NONCES) == before + 3
    # Signed for other zones, and sent here with the Host it was signed for (else the signature would not verify).
    audit = z.count("mez_audit")
    before_metric = value(scrape(z), "mez_problems_total", zone=z.zone_id, code="httpsig.wrong_authority")
    others = ("zone-b.example", "127.0.0.1:%d" % (z.port + 1 if z.port < 65535 else z.port - 1), "zone-a.example:8443")
    for host in others:
        h = sign(peer, "GET", "/v1/zone", host)
        h["Host"] = host
        p = assert_problem(z.get("/v1/zone", validate=False, headers=h), 401, "httpsig.wrong_authority")
        assert p["pointer"] == "/headers/host" and host in p["detail"], p
        assert "zone-a.example" in p["detail"], p       # the proven peer is told which names this zone has
    # Each is evidence, in the audit log: who signed, what for, which request.
    rows = audit_rows(z, audit + 1)
    assert len(rows) == 3 and z.count("mez_audit") == audit + 3, rows
    for row, host in zip(rows, others):
        assert (row["action"], row["resource_id"], row["outcome"]) == ("peer.wrong_authority_refused", "peer-a",
                                                                       "refused"), row
        d = row["detail"]
        assert d["signed_for"] == host and d["request"] == "GET /v1/zone" and "signature_input" in d, d
    # The same request sent again and again is refused each time, but is evidence once: its resends are counted
    # in its refusal record, and the audit log is not the resender's to fill.
    # The Signature field written otherwise (another member, a parameter, spaces) is still that signature.
    for variant in (h["Signature"], h["Signature"], h["Signature"] + ", a1=:AAAA:", h["Signature"] + ";x=1"):
        assert_problem(z.get("/v1/zone", validate=False, headers=dict(h, Signature=variant)), 401,
                       "httpsig.wrong_authority")
    assert z.count("mez_audit") == audit + 3
    assert z.count("mez_peer_refusal") == 3
    assert z.db.query_value("SELECT MAX(times) FROM mez_peer_refusal") == "5"
    assert "peer.wrong_authority_refused: the same request signed by peer peer-a refused again (5 times" in \
        z.error_log()
    # What GET /v1/peers/refusals shows (this zone takes no tokens: the shipped policy gives it to operators and
    # regulators): each signature once, with how often it came and the request its audit row names.
    refusals = z.get("/v1/peers/refusals?peer=peer-a").json()["refusals"]
    assert sorted(x["times"] for x in refusals) == [1, 1, 5], refusals
    assert all(x["action"] == "peer.wrong_authority_refused" and x["keyid"] == did_vm(peer[1]) for x in refusals)
    resent = [x for x in refusals if x["times"] == 5][0]
    assert resent["signature"] == signature_digest(h), resent
    assert resent["request_id"] == rows[-1]["request_id"] and resent["peer"] == "peer-a"
    assert z.get("/v1/peers/refusals?peer=peer-b").json() == {"refusals": []}
    # `mez peer refusals` reads the same from the database, for whoever has no API token at hand.
    db = ["--driver", z.driver, "--params", z.db.params]
    cp = mez_as_server(z, "peer", "refusals", *db, "--peer", "peer-a", check=True)
    assert [json.loads(line) for line in cp.stdout.splitlines()] == refusals
    cp = mez_as_server(z, "peer", "refusals", *db, "--limit", "1", check=True)
    assert len(cp.stdout.splitlines()) == 1
    for bad in (["--limit", "0"], ["--limit", "x"], ["--limit", "+5"], ["--limit", " 5"], ["--peer", ""],
                ["--colour", "red"]):
        cp = mez_as_server(z, "peer", "refusals", *db, *bad)
        assert cp.returncode == 2 and not cp.stdout, (bad, cp.stdout, cp.stderr)
    assert mez_as_server(z, "peer", "refusals", "--driver", z.driver).returncode == 2
    assert len(z.get("/v1/peers/refusals?limit=1").json()["refusals"]) == 1
    for q, ptr in (("limit=0", "/limit"), ("limit=1001", "/limit"), ("peer=", "/peer"), ("colour=red", "/colour")):
        assert_problem(z.get("/v1/peers/refusals?" + q), 400, pointer=ptr)
    assert_problem(z.post("/v1/peers/refusals", json={}), 405)
    # and counted where monitoring looks (docs/04-monitor.md)
    assert wait_for(z, "mez_problems_total", before_metric + 7, zone=z.zone_id,
                    code="httpsig.wrong_authority") == before_metric + 7
    audit = z.count("mez_audit")
    # A stranger's request for another name learns nothing of the zone's names.
    h = sign(peers["stranger"], "GET", "/v1/zone", "zone-b.example", keyid=did_vm(peer[1]))
    h["Host"] = "zone-b.example"
    p = assert_problem(z.get("/v1/zone", validate=False, headers=h), 401, "httpsig.bad_signature")
    assert "zone-a.example" not in p["detail"], p
    # A signature that does not bind the authority at all.
    h = sign(peer, "GET", "/v1/zone", None)
    assert_problem(z.get("/v1/zone", validate=False, headers=h), 401, "httpsig.not_covered")
    assert z.count(NONCES) == before + 3
    assert z.count("mez_audit") == audit          # neither is evidence of anything the peer signed
    # The zone without it says at start-up what it does not check.
    assert "no MezPublicAuthority" not in z.error_log()


def test_a_query_the_signature_does_not_bind_is_refused(pzone, peers):
    """A query added to a request the peer signed without one (a GET's filter, a chain's starting point) would
    change what it reads: refused, no nonce spent. mez's own signer covers @query whenever there is one (the
    corridor tests' reads with ?from= go through it)."""
    before = pzone.count(NONCES)
    h = sign(peers["peer"], "GET", "/v1/zone", authority(pzone))
    p = assert_problem(pzone.get("/v1/zone?after=0", headers=h, validate=False), 401, "httpsig.not_covered")
    assert "@query" in p["detail"], p
    assert pzone.count(NONCES) == before
    r = pzone.get("/v1/zone", headers=h)
    assert r.status_code == 200, r.text


def test_concurrent_resends_are_one_audit_row(make_zone, driver, mez_env, peers):
    """The same captured request sent on eight connections at once: eight refusals, the refusals agree on which was
    first, and that one alone is the audit row (mez_peer_refusal_keep's INSERT decides, also across children)."""
    conf = peer_conf(mez_env, [("peer-a", "https://peer-a.example", peers["peer"][1])])
    z = make_zone(driver, extra_conf=conf + "\nMezPublicAuthority 127.0.0.1:@PORT@")
    h = sign(peers["peer"], "GET", "/v1/zone", "zone-b.example")
    h["Host"] = "zone-b.example"
    audit = z.count("mez_audit")
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: z.get("/v1/zone", validate=False, headers=h).json().get("code"), range(8)))
    assert codes == ["httpsig.wrong_authority"] * 8, codes
    assert z.count("mez_audit") == audit + 1
    assert z.count("mez_peer_refusal") == 1
    assert z.db.query_value("SELECT times FROM mez_peer_refusal") == "8"


def test_no_public_authority_is_noticed(pzone):
    assert "MezZone %s has MezPeer lines but no MezPublicAuthority" % pzone.zone_id in pzone.error_log()


@pytest.mark.parametrize("value", ["https://zone.example", "zone.example/v1", "zone.example:0", "zone.example:70000",
                                   "user@zone.example", "::1"])
def test_bad_public_authority_stops_httpd(make_zone, value):
    z = make_zone("sqlite3", start=False, extra_conf="MezPublicAuthority zone.example " + value)
    cp = z.config_test()
    out = cp.stdout + cp.stderr
    assert cp.returncode != 0
    line = z.conf_line("MezPublicAuthority")
    assert "Syntax error on line %d of %s" % (line, z.conf_file) in out, out
    assert "MezPublicAuthority: '%s' is not host[:port]" % value in out, out


def cli_headers(mez_env, key_file, url, method="GET", body_file=None):
    args = ["peer", "sign", "--key", key_file, "--url", url, "--method", method]
    if body_file:
        args += ["--body", body_file]
    cp = mez_env.mez(*args)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return dict(line.split(": ", 1) for line in cp.stdout.splitlines())


def test_zone_accepts_what_mez_peer_sign_signs(pzone, peers, mez_env, tmp_path):
    """The C signer (libmezcore) and the zone's verifier agree, on a GET and on a POST with a body; a replay of
    the same headers is refused and records nothing."""
    before = pzone.count(NONCES)
    h = cli_headers(mez_env, peers["peer"][0], pzone.url("/v1/zone"))
    r = pzone.get("/v1/zone", headers=h)
    assert r.status_code == 200, r.text
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.replay")
    body = json.dumps({"verifiableCredential": sample_credential()}).encode()
    f = tmp_path / "body.json"
    f.write_bytes(body)
    h = cli_headers(mez_env, peers["peer"][0], pzone.url("/v1/credentials/verify"), "POST", str(f))
    h["Content-Type"] = "application/json"
    r = pzone.post("/v1/credentials/verify", data=body, headers=h)
    assert r.status_code in (200, 422), r.text          # signed and delivered: the handler answered
    assert r.json().get("code") != "digest.mismatch"
    assert pzone.count(NONCES) == before + 2
    # A stranger's key signs just as well, but is no peer of this zone.
    h = cli_headers(mez_env, peers["stranger"][0], pzone.url("/v1/zone"))
    assert_problem(pzone.get("/v1/zone", validate=False, headers=h), 401, "httpsig.unknown_key")


def test_mez_peer_check(make_zone, driver, mez_env, peers):
    """`mez peer check` tells an operator whether a peer zone accepts this zone's key at a URL, and if not why:
    accepted as which peer; a name the zone does not answer to; a key it does not know; no answer at all."""
    conf = peer_conf(mez_env, [("peer-a", "https://peer-a.example", peers["peer"][1])])
    conf += "\n".join(["", "MezPublicAuthority 127.0.0.1:@PORT@",
                       "<Location /v1/whoami>", "  AuthType mez", "  Require mez-peer", "</Location>"])
    z = make_zone(driver, extra_conf=conf)

    def check(key, url, *extra):
        return mez_env.mez("peer", "check", "--key", key[0], "--url", url, *extra)

    cp = check(peers["peer"], "http://127.0.0.1:%d/" % z.port)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert cp.stdout.strip() == "accepted: http://127.0.0.1:%d (zone %s) admits this key as peer peer-a" % (
        z.port, z.zone_id), cp.stdout
    cp = check(peers["peer"], "http://localhost:%d" % z.port)
    assert cp.returncode == 1 and "answered 401 httpsig.wrong_authority" in cp.stdout, cp.stdout
    assert "MezPublicAuthority" in cp.stdout and "127.0.0.1:%d" % z.port in cp.stdout, cp.stdout
    cp = check(peers["stranger"], "http://127.0.0.1:%d" % z.port)
    assert cp.returncode == 1 and "answered 401 httpsig.unknown_key" in cp.stdout, cp.stdout
    assert "POST /v1/peers" in cp.stdout, cp.stdout
    cp = check(peers["peer"], "http://127.0.0.1:%d" % free_port(), "--timeout", "3")
    assert cp.returncode == 1 and cp.stdout.startswith("not reached: "), cp.stdout
    for args in (["--url", "http://x"], ["--key", peers["peer"][0]], ["--key", peers["peer"][0], "--url", "ftp://x"],
                 ["--key", peers["peer"][0], "--url", "http://x", "--timeout", "0"]):
        assert mez_env.mez("peer", "check", *args).returncode == 2, args


def test_peer_sign_usage(mez_env):
    assert mez_env.mez("peer", "sign", "--url", "http://x/").returncode == 2
    assert mez_env.mez("peer", "sign", "--key", "/nonexistent.pem", "--url", "ftp://x/").returncode == 2
    assert mez_env.mez("peer", "--help").returncode == 0

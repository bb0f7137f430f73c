# test_mtls.py: client certificates (mutual TLS) as AuthType mez principals, on both database drivers.
#
# The zone pk-sifc runs over HTTPS (mod_ssl, a CA the test generates with the openssl command: t/mez_tls.py) with
# SSLVerifyClient optional, MezClientCertAuth on and conf/mez-policy.conf. Certificates are mapped with
# `mez cert map`; the fingerprints the tests expect are computed here with hashlib over the DER, not by mez.
# Covered: an operator certificate forms an entity (and is the audit actor); an entity certificate acts only for
# its entity; unmapped, revoked (even on a live keep-alive connection) and expired mappings are 401 problems that
# change nothing; a certificate of another CA is refused by mod_ssl in the handshake, or with optional_no_ca by
# mod_mez as unverified; a bearer token still works without a certificate and takes precedence over one; a zone
# without MezClientCertAuth ignores certificates; MezClientCertAuth without mod_ssl stops httpd's config test.
import os
import re
import shutil
import uuid

import pytest
import requests

from mez_harness import assert_problem, run, sample_credential
from mez_tls import ServerTLS, TestCA

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
WRITE_TABLES = ["mez_mass_entity", "mez_credential", "mez_audit", "mez_evaluation"]


def policy_conf(env, *more):
    return "\n".join(["LoadModule authn_core_module %s" % os.path.join(env.httpd_modules, "mod_authn_core.so"),
                      "Include %s" % os.path.join(env.source_dir, "conf", "mez-policy.conf")] + list(more))


def mez(zone, cmd, *args, check=True):
    e = zone.env
    return run([e.mez_bin, cmd] + [str(a) for a in args] + ["--driver", zone.driver, "--params", zone.db.params],
               env=e.env(), user=e.server_user, check=check)


def cert_map(zone, certkey, role, entity=None, expires=None):
    args = ["map", "--zone", zone.zone_id, "--role", role, "--cert", certkey.cert]
    if entity:
        args += ["--entity", entity]
    if expires:
        args += ["--expires", expires]
    out = mez(zone, "cert", *args).stdout.strip()
    assert re.fullmatch(r"crt_[0-9a-f]{16}", out), out
    return out


def token(zone, role, entity=None):
    args = ["create", "--zone", zone.zone_id, "--role", role] + (["--entity", entity] if entity else [])
    return mez(zone, "token", *args).stdout.strip()


def counts(zone, tables=WRITE_TABLES):
    return {t: zone.count(t) for t in tables}


def formation(name):
    return {"entity_type": "corporation", "legal_name": name, "compliance": {"evidence": EVIDENCE}}


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def unique(name):
    return "%s %s Ltd" % (name, uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def pki(mez_env):
    d = mez_env.new_dir("pki")
    return {"ca": TestCA(os.path.join(d, "ca"), "mez zone CA"), "rogue": TestCA(os.path.join(d, "rogue"), "rogue CA")}


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env, pki):
    ca = pki["ca"]
    pk = os.path.join(mez_env.new_dir("mtls"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    zone = module_zones(driver, name="mtls", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                        tls=ServerTLS(ca, verify_client="optional"),
                        extra_conf=policy_conf(mez_env, "MezClientCertAuth on"))
    certs = {"operator": ca.client("registry operator"), "entity": ca.client("own traders"),
             "unmapped": ca.client("nobody in particular"), "rogue": pki["rogue"].client("registry operator")}
    ids = {"operator": cert_map(zone, certs["operator"], "operator")}
    op = certs["operator"].pair

    def form(name):
        r = zone.post("/v1/entities", json=formation(name), cert=op)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    own_name = unique("Mtls Own Traders")
    own, foreign = form(own_name), form(unique("Mtls Other Traders"))
    ids["entity"] = cert_map(zone, certs["entity"], "entity", entity=own)
    return {"zone": zone, "ca": ca, "rogue": pki["rogue"], "certs": certs, "ids": ids, "own": own,
            "own_name": own_name, "foreign": foreign}


# ------------------------------------------------------------------------------------------------ the harness

def test_zone_is_served_over_https_with_the_generated_ca(world):
    zone, ca = world["zone"], world["ca"]
    assert zone.url("/healthz").startswith("https://127.0.0.1:")
    assert zone.get("/healthz").status_code == 200
    # The server certificate chains to the test CA only: verifying against another CA fails in the handshake.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(zone.url("/healthz"), verify=world["rogue"].cert, timeout=10)
    # Plain HTTP to the TLS port gets no mez answer (httpd's own 400 "speaking plain HTTP to an SSL port").
    r = requests.get("http://127.0.0.1:%d/healthz" % zone.port, timeout=10)
    assert r.status_code == 400
    # Public routes need no certificate even with SSLVerifyClient optional.
    assert zone.get("/v1/zone").status_code == 200
    assert ca.cert == zone.tls.ca_file


# ------------------------------------------------------------------------------------------------ principals

def test_operator_certificate_forms_an_entity_and_is_the_audit_actor(world):
    zone, cert, cid = world["zone"], world["certs"]["operator"], world["ids"]["operator"]
    before = counts(zone)
    r = zone.post("/v1/entities", json=formation(unique("Mtls Formation")), cert=cert.pair)
    assert r.status_code == 201, r.text
    after = counts(zone)
    assert after["mez_mass_entity"] == before["mez_mass_entity"] + 1
    assert after["mez_credential"] > before["mez_credential"]
    # The principal is the mapping (its id, never the fingerprint or subject), as a token's id would be.
    assert int(zone.db.query_value("SELECT COUNT(*) FROM mez_audit WHERE actor = '%s' AND resource_id = '%s'"
                                   % (cid, r.json()["id"]))) >= 1
    # The mapping pins exactly the certificate the client presented: the fingerprint hashlib computes.
    assert zone.db.query_value("SELECT fingerprint FROM mez_client_cert WHERE cert_id = '%s'" % cid) \
        == cert.fingerprint
    # And the caller sees itself as that mapping.
    me = zone.get("/v1/whoami", cert=cert.pair).json()
    assert (me["principal"], me["role"], me["authenticated_by"]) == (cid, "operator", "certificate"), me


def test_entity_certificate_acts_only_for_its_own_entity(world):
    zone, cert = world["zone"], world["certs"]["entity"].pair
    own, foreign = world["own"], world["foreign"]
    r = zone.get("/v1/entities/" + own, cert=cert)
    assert r.status_code == 200, r.text
    assert r.json()["legal_name"] == world["own_name"]
    assert zone.get("/v1/whoami", cert=cert).json()["entity_id"] == own
    # Refused exactly as an entity token of the same entity is (same status, same problem): the policy's Require
    # lines see the same principal whichever way it was presented. (Making the token is audited: counted before.)
    tok = bearer(token(zone, "entity", own))
    before = counts(zone)
    for method, path, body in [
            ("GET", "/v1/entities/" + foreign, None),
            ("POST", "/v1/entities/%s/officers" % foreign, {"name": "Sana Mir", "role": "secretary"}),
            ("POST", "/v1/credentials/issue", {"credential": sample_credential()}),
            ("POST", "/v1/entities/%s/status" % own, {"target_status": "SUSPENDED"})]:
        by_cert = assert_problem(zone.request(method, path, json=body, cert=cert), 403, code_prefix="auth.")
        by_token = assert_problem(zone.request(method, path, json=body, headers=tok), 403)
        assert by_cert == by_token, (path, by_cert, by_token)
    assert_problem(zone.post("/v1/entities/%s/officers" % foreign, json={"name": "Sana Mir", "role": "secretary"},
                             cert=cert), 403, "auth.not_entity_owner")
    assert counts(zone) == before
    r = zone.post("/v1/entities/%s/officers" % own, json={"name": "Sana Mir", "role": "secretary"}, cert=cert)
    assert r.status_code == 201, r.text


# ------------------------------------------------------------------------------------------------ refusals

def refused(zone, cert, code):
    """A formation with this certificate and no token: the 401 problem, and nothing written."""
    before = counts(zone)
    r = zone.post("/v1/entities", json=formation(unique("Mtls Refused")), cert=cert)
    assert_problem(r, 401, code)
    # RFC 6750: a token would do; a refused certificate is no invalid token.
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="%s"' % zone.zone_id
    assert counts(zone) == before
    return r


def test_unmapped_certificate_is_401(world):
    refused(world["zone"], world["certs"]["unmapped"].pair, "auth.unknown_certificate")


def test_another_zones_mapping_is_unknown_here(world):
    zone, cert = world["zone"], world["ca"].client("peer zone operator")
    mez(zone, "cert", "map", "--zone", "some-other-zone", "--role", "operator", "--cert", cert.cert)
    refused(zone, cert.pair, "auth.unknown_certificate")


def test_revoked_mapping_is_401_even_on_a_live_connection(world):
    zone, ca = world["zone"], world["ca"]
    cert = ca.client("soon revoked operator")
    cid = cert_map(zone, cert, "operator")
    tls = {"verify": zone.tls.ca_file, "cert": cert.pair, "timeout": 30}  # per call: REQUESTS_CA_BUNDLE beats
    with requests.Session() as s:                                          # a session's own verify=
        r = s.post(zone.url("/v1/entities"), json=formation(unique("Mtls Before Revocation")), **tls)
        assert r.status_code == 201, r.text
        assert mez(zone, "cert", "revoke", cid).stdout.strip() == "certificate mapping %s revoked" % cid
        before = counts(zone)
        # Same keep-alive TLS session: the mapping is looked up per request, not per connection.
        r = s.post(zone.url("/v1/entities"), json=formation(unique("Mtls After Revocation")), **tls)
        assert_problem(r, 401, "auth.revoked_certificate")
        assert counts(zone) == before
    refused(zone, cert.pair, "auth.revoked_certificate")


def test_expired_mapping_is_401(world):
    zone, cert = world["zone"], world["ca"].client("expired operator")
    cert_map(zone, cert, "operator", expires="2020-01-01T00:00:00Z")
    refused(zone, cert.pair, "auth.expired_certificate")


def test_certificate_of_another_ca_is_refused_in_the_handshake(world):
    zone = world["zone"]
    # Even mapped (by fingerprint), a certificate the zone's CA did not issue never gets past mod_ssl.
    mez(zone, "cert", "map", "--zone", zone.zone_id, "--role", "operator", "--fingerprint",
        world["certs"]["rogue"].fingerprint)
    before = counts(zone)
    with pytest.raises(requests.exceptions.ConnectionError):  # SSLError, or a reset after a TLS 1.3 handshake
        zone.post("/v1/entities", json=formation(unique("Mtls Rogue")), cert=world["certs"]["rogue"].pair)
    assert counts(zone) == before


def test_no_certificate_and_no_token_is_401(world):
    zone = world["zone"]
    before = counts(zone)
    r = zone.post("/v1/entities", json=formation(unique("Mtls Anonymous")))
    assert_problem(r, 401, "auth.missing_token")
    assert counts(zone) == before


# ------------------------------------------------------------------------------------------------ tokens

def test_token_without_certificate_still_works(world):
    zone = world["zone"]
    r = zone.post("/v1/entities", json=formation(unique("Mtls Token")), headers=bearer(token(zone, "operator")))
    assert r.status_code == 201, r.text


def test_token_takes_precedence_over_the_certificate(world):
    zone, certs, own = world["zone"], world["certs"], world["own"]
    # An entity's certificate with an operator token: the token decides (operator may form entities).
    op = token(zone, "operator")
    r = zone.post("/v1/entities", json=formation(unique("Mtls Precedence")), headers=bearer(op),
                  cert=certs["entity"].pair)
    assert r.status_code == 201, r.text
    assert int(zone.db.query_value("SELECT COUNT(*) FROM mez_audit WHERE actor = '%s' AND resource_id = '%s'"
                                   % (world["ids"]["entity"], r.json()["id"]))) == 0
    # An operator's certificate with an entity token: the token's narrower scope applies.
    entity_token = bearer(token(zone, "entity", own))   # making it is audited: counted before
    before = counts(zone)
    assert_problem(zone.post("/v1/credentials/issue", json={"credential": sample_credential()},
                             headers=entity_token, cert=certs["operator"].pair), 403, "auth.forbidden_role")
    # A bad token is refused, without falling back to the operator certificate on the same connection.
    r = zone.post("/v1/entities", json=formation(unique("Mtls Bad Token")), headers=bearer("mez_" + "A" * 43),
                  cert=certs["operator"].pair)
    assert_problem(r, 401, "auth.invalid_token")
    assert counts(zone) == before


# ------------------------------------------------------------------------------------------------ other zones

def test_unverified_certificate_is_401_with_optional_no_ca(module_zones, driver, mez_env, pki):
    """optional_no_ca lets any certificate through the handshake (SSL_CLIENT_VERIFY GENEROUS or FAILED):
    mod_mez accepts only SUCCESS, even for a mapped certificate."""
    ca, rogue = pki["ca"], pki["rogue"]
    zone = module_zones(driver, name="mtlsnoca", tls=ServerTLS(ca, verify_client="optional_no_ca"),
                        extra_conf=policy_conf(mez_env, "MezClientCertAuth on"))
    good, bad = ca.client("noca operator"), rogue.client("noca operator")
    cert_map(zone, good, "operator")
    cert_map(zone, bad, "operator")
    before = counts(zone, ["mez_credential", "mez_audit"])
    r = zone.post("/v1/credentials/issue", json={"credential": sample_credential()}, cert=bad.pair)
    body = assert_problem(r, 401, "auth.unverified_certificate")
    assert "GENEROUS" in body["detail"] or "FAILED" in body["detail"], body
    assert counts(zone, ["mez_credential", "mez_audit"]) == before
    r = zone.post("/v1/credentials/issue", json={"credential": sample_credential()}, cert=good.pair)
    assert r.status_code == 201, r.text
    assert zone.count("mez_credential") == before["mez_credential"] + 1


def test_zone_without_client_cert_auth_ignores_certificates(module_zones, driver, mez_env, pki):
    ca = pki["ca"]
    zone = module_zones(driver, name="mtlsoff", tls=ServerTLS(ca, verify_client="optional"),
                        extra_conf=policy_conf(mez_env))
    cert = ca.client("off operator")
    cert_map(zone, cert, "operator")
    before = counts(zone, ["mez_credential"])
    assert_problem(zone.post("/v1/credentials/issue", json={"credential": sample_credential()}, cert=cert.pair), 401,
                   "auth.missing_token")
    assert counts(zone, ["mez_credential"]) == before


def test_require_verify_client_zone_starts_and_refuses_anonymous_handshakes(module_zones, driver, mez_env, pki):
    """SSLVerifyClient require: the harness probes with its own certificate; a client without one gets no answer."""
    ca = pki["ca"]
    zone = module_zones(driver, name="mtlsreq", tls=ServerTLS(ca, verify_client="require"),
                        extra_conf=policy_conf(mez_env, "MezClientCertAuth on"))
    cert = ca.client("require operator")
    cert_map(zone, cert, "operator")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(zone.url("/healthz"), verify=ca.cert, timeout=10)
    r = zone.post("/v1/credentials/issue", json={"credential": sample_credential()}, cert=cert.pair)
    assert r.status_code == 201, r.text
    # The probe certificate is verified but mapped to nothing: a principal only by `mez cert map`.
    assert_problem(zone.post("/v1/credentials/issue", json={"credential": sample_credential()},
                             cert=zone.tls.probe.pair), 401, "auth.unknown_certificate")


def test_client_cert_auth_needs_mod_ssl(make_zone, driver):
    zone = make_zone(driver, start=False, extra_conf="MezClientCertAuth on")
    cp = zone.config_test()
    assert cp.returncode != 0, cp.stdout + cp.stderr
    assert "MezClientCertAuth on (%s:%d) needs mod_ssl" % (zone.conf_file, zone.conf_line("MezClientCertAuth")) \
        in cp.stderr, cp.stderr
    bad = make_zone(driver, start=False, extra_conf="MezClientCertAuth maybe")
    cp = bad.config_test()
    assert cp.returncode != 0 and "MezClientCertAuth" in cp.stderr, cp.stderr


# ------------------------------------------------------------------------------------------------ the CLI

def test_cert_cli_map_list_revoke(world):
    zone, ca = world["zone"], world["ca"]
    cert = ca.client("cli operator")
    fp = cert.fingerprint
    openssl_fp = run(["openssl", "x509", "-in", cert.cert, "-noout", "-fingerprint", "-sha256"],
                     check=True).stdout.strip()  # "sha256 Fingerprint=AB:CD:..."
    assert openssl_fp.split("=", 1)[1].replace(":", "").lower() == fp[len("sha256:"):]
    cid = mez(zone, "cert", "map", "--zone", zone.zone_id, "--role", "watcher", "--fingerprint", openssl_fp,
              "--holder", "Sana Mir, SECP-0112").stdout.strip()
    rows = lambda: zone.count("mez_client_cert")  # noqa: E731
    n = rows()
    # Mapping it again (from the file this time: the same fingerprint) is a conflict that adds nothing.
    cp = mez(zone, "cert", "map", "--zone", zone.zone_id, "--role", "operator", "--cert", cert.cert, check=False)
    assert cp.returncode == 1 and "cert.already_mapped" in cp.stderr, cp.stderr
    bad = [
        (["map", "--zone", zone.zone_id, "--role", "operator", "--fingerprint", fp[7:]], 1,
         "cert.invalid_fingerprint"),
        (["map", "--zone", zone.zone_id, "--role", "admin", "--fingerprint", "sha256:" + "ab" * 32], 1,
         "cert.invalid_role"),
        (["map", "--zone", zone.zone_id, "--role", "entity", "--fingerprint", "sha256:" + "ab" * 32], 1,
         "cert.entity_scope"),
        (["map", "--zone", zone.zone_id, "--role", "operator", "--cert", zone.conf_file], 1, "cert.invalid"),
        (["map", "--zone", zone.zone_id, "--role", "operator", "--cert", cert.cert, "--fingerprint", fp], 2,
         "usage"),
        (["revoke", "crt_0000000000000000"], 1, "cert.not_found"),
        (["map", "--zone", zone.zone_id, "--role", "operator", "--fingerprint", "sha256:" + "ab" * 32, "--holder",
          "a\x01b"], 1, "cert.invalid_holder"),
    ]
    for args, rc, what in bad:
        cp = mez(zone, "cert", *args, check=False)
        assert cp.returncode == rc and what in cp.stderr, (args, cp.returncode, cp.stderr)
    assert rows() == n
    listed = {line.split("\t")[0]: line.split("\t") for line in
              mez(zone, "cert", "list", "--zone", zone.zone_id).stdout.splitlines()}
    assert listed[cid][1:6] == [fp, "watcher", zone.zone_id, "-", "active"]
    assert listed[cid][7] == "Sana Mir, SECP-0112" and listed[world["ids"]["operator"]][7] == "-"
    assert listed[world["ids"]["entity"]][2:6] == ["entity", zone.zone_id, world["own"], "active"]
    assert listed[world["ids"]["operator"]][6] == "CN=registry operator,O=mez tests"
    mez(zone, "cert", "revoke", cid)
    listed = {line.split("\t")[0]: line.split("\t") for line in
              mez(zone, "cert", "list", "--zone", zone.zone_id).stdout.splitlines()}
    assert listed[cid][5] == "revoked"
    assert rows() == n
    # Revoking again changes nothing and writes no second audit row.
    audited = zone.count("mez_audit")
    assert "was already revoked at" in mez(zone, "cert", "revoke", cid).stdout
    assert zone.count("mez_audit") == audited


def test_concurrent_mappings_of_one_certificate_make_one(world):
    """Eight `mez cert map` of one certificate at once: one mapping, seven cert.already_mapped refusals (409, exit
    1), none a database error, whatever the interleaving of the check and the insert."""
    import threading
    zone = world["zone"]
    fp = "sha256:" + os.urandom(32).hex()
    rows = zone.count("mez_client_cert")
    results = []

    def one():
        results.append(mez(zone, "cert", "map", "--zone", zone.zone_id, "--role", "regulator", "--fingerprint", fp,
                           check=False))
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(cp.returncode for cp in results)
    assert codes == [0] + [1] * 7, [(cp.returncode, cp.stderr) for cp in results]
    assert all("cert.already_mapped" in cp.stderr for cp in results if cp.returncode == 1)
    assert zone.count("mez_client_cert") == rows + 1

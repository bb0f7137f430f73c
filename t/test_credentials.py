# test_credentials.py: POST /v1/credentials/issue and /v1/credentials/verify (W3C VC-API shapes), checked online,
# offline with `mez vc verify`, against the W3C vc-di-eddsa vector and against a proof made outside libmezcore.
import copy
import json
import os

import pytest

from mez_harness import HarnessError, assert_problem, did_vm, sample_credential, sign_eddsa_jcs_2022


def issue(zone, credential, options=None):
    return zone.post("/v1/credentials/issue", json={"credential": credential, "options": options or {}})


def issued(zone, credential=None):
    r = issue(zone, credential or sample_credential())
    assert r.status_code == 201, r.text
    return r.json()["verifiableCredential"]


def verify(zone, vc, options=None):
    return zone.post("/v1/credentials/verify", json={"verifiableCredential": vc, "options": options or {}})


def write_json(dirname, name, doc):
    path = os.path.join(dirname, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def test_issue(zone):
    before = zone.count("mez_credential")
    cred = sample_credential()
    r = issue(zone, cred)
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    vc = r.json()["verifiableCredential"]
    assert vc["issuer"] == zone.did
    for k in ("@context", "id", "type", "validFrom", "credentialSubject"):
        assert vc[k] == cred[k], k
    proof = vc["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["verificationMethod"] == zone.verification_method
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z") and len(proof["proofValue"]) > 80
    assert zone.count("mez_credential") == before + 1


def test_issue_with_issuer_equal_to_zone(zone):
    before = zone.count("mez_credential")
    vc = issued(zone, sample_credential(issuer=zone.did))
    assert vc["issuer"] == zone.did
    assert zone.count("mez_credential") == before + 1


def test_issued_credential_verifies_online(zone):
    vc = issued(zone)
    r = verify(zone, vc)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "proof" in body["checks"], body
    assert isinstance(body["warnings"], list)
    assert body["errors"] == []


def test_issued_credential_verifies_offline(zone, mez_env, workdir):
    vc = issued(zone)
    path = write_json(workdir, "vc.json", vc)
    cp = mez_env.mez("vc", "verify", path)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    # and the same from standard input
    cp = mez_env.mez("vc", "verify", "-", input=json.dumps(vc))
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_w3c_vector_issuer_not_tied_to_key(zone, mez_env):
    """The vector's signature is sound (t/unit checks it byte for byte), but its issuer is an https URL and its key a
    did:key: mez resolves only did:key, so nothing ties the issuer to the key and the credential is refused."""
    with open(mez_env.shared("vectors", "vc-di-eddsa", "eddsa-jcs-2022", "signedJCS.json")) as f:
        vc = json.load(f)
    body = assert_problem(verify(zone, vc), 422, "vc.key.issuer_not_controller", pointer="/verifiableCredential/issuer")
    assert body["failed_check"] == "key" and body["checks"] == ["schema", "proof"], body


def test_tampered_credential(zone, mez_env, workdir):
    vc = issued(zone)
    before = zone.count("mez_credential")
    bad = copy.deepcopy(vc)
    bad["credentialSubject"]["alumniOf"]["name"] = "Another University"
    r = verify(zone, bad)
    body = assert_problem(r, 422, code_prefix="vc.signature")
    assert body["failed_check"] == "signature", body
    assert body["pointer"].startswith("/verifiableCredential"), body
    assert zone.count("mez_credential") == before
    # offline: exit 1 (invalid), naming the signature check
    cp = mez_env.mez("vc", "verify", write_json(workdir, "bad.json", bad))
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "signature" in cp.stdout + cp.stderr


def test_tampered_w3c_vector(zone, mez_env):
    with open(mez_env.shared("vectors", "vc-di-eddsa", "eddsa-jcs-2022", "signedJCS.json")) as f:
        vc = json.load(f)
    vc["credentialSubject"]["alumniOf"] = "The School of Counterfeits"
    body = assert_problem(verify(zone, vc), 422, code_prefix="vc.key")
    assert body["failed_check"] == "key"


def test_bad_proof_value(zone):
    vc = issued(zone)
    vc["proof"]["proofValue"] = "z" + "1" * 86
    body = assert_problem(verify(zone, vc), 422)
    assert body["failed_check"] in ("signature", "proof"), body
    assert body["pointer"].startswith("/verifiableCredential"), body


def test_third_party_proof_verifies(zone, mez_env, workdir):
    """A proof made by openssl + Python (not libmezcore) with another did:key verifies: the server follows the
    cryptosuite, not just its own output."""
    key = os.path.join(workdir, "holder.pem")
    did = mez_env.keygen(key)
    try:
        vc = sign_eddsa_jcs_2022(sample_credential(issuer=did), key, did_vm(did), workdir)
    except HarnessError as e:
        pytest.skip(str(e))
    r = verify(zone, vc)
    assert r.status_code == 200, r.text
    assert r.json()["errors"] == []


def test_concurrent_issues(zone):
    """Parallel writers (several mod_dbd connections; on SQLite one file lock): every request is issued and
    recorded exactly once."""
    from concurrent.futures import ThreadPoolExecutor
    before = zone.count("mez_credential")
    with ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(lambda _: issue(zone, sample_credential()), range(40)))
    statuses = [r.status_code for r in results]
    assert statuses == [201] * 40, [(r.status_code, r.text[:200]) for r in results if r.status_code != 201]
    assert zone.count("mez_credential") == before + 40
    digests = {r.json()["verifiableCredential"]["proof"]["proofValue"] for r in results}
    assert len(digests) == 40


def test_concurrent_issues_two_children(make_zone, driver):
    """The same across two httpd child processes (separate connection pools contending for one database)."""
    from concurrent.futures import ThreadPoolExecutor
    z = make_zone(driver, extra_conf="StartServers 2\nMinSpareThreads 20\n")
    before = z.count("mez_credential")
    with ThreadPoolExecutor(max_workers=12) as ex:
        results = list(ex.map(lambda _: issue(z, sample_credential()), range(60)))
    bad = [(r.status_code, r.text[:200]) for r in results if r.status_code != 201]
    assert not bad, bad
    assert z.count("mez_credential") == before + 60


def test_issuer_not_the_signer(zone, mez_env, workdir):
    """Issued in one did:key's name, signed with another's key by that key's holder: refused online and offline
    (it was valid with a warning, vc.issuer_not_controller)."""
    signer = os.path.join(workdir, "signer.pem")
    victim = os.path.join(workdir, "victim.pem")
    signer_did, victim_did = mez_env.keygen(signer), mez_env.keygen(victim)
    try:
        vc = sign_eddsa_jcs_2022(sample_credential(issuer=victim_did), signer, did_vm(signer_did), workdir)
    except HarnessError as e:
        pytest.skip(str(e))
    body = assert_problem(verify(zone, vc), 422, "vc.key.issuer_not_controller", pointer="/verifiableCredential/issuer")
    assert body["failed_check"] == "key", body
    cp = mez_env.mez("vc", "verify", write_json(workdir, "imp.json", vc))
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "vc.key.issuer_not_controller" in cp.stdout + cp.stderr


def test_challenge_and_domain_asked_of_a_credential(zone, mez_env, workdir):
    """A caller's challenge and domain bind a credential's proof too: one made without them is refused."""
    vc = issued(zone)
    assert_problem(verify(zone, vc, {"challenge": "X"}), 422, "vc.proof.challenge_mismatch",
                   pointer="/verifiableCredential/proof/challenge")
    assert_problem(verify(zone, vc, {"domain": "verifier.example"}), 422, "vc.proof.domain_mismatch",
                   pointer="/verifiableCredential/proof/domain")
    path = write_json(workdir, "vc.json", vc)
    cp = mez_env.mez("vc", "verify", "--challenge", "X", "--domain", "Y", path)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "challenge" in cp.stdout + cp.stderr


def test_nul_in_ids_and_options(zone):
    """A JSON string may hold U+0000; read as C text an id ends there. Two credentials "urn:uuid:X\\u0000a" and
    "urn:uuid:X\\u0000b" were recorded under one id "urn:uuid:X", while each signature covers its own whole id:
    such an id, issuer or date is refused with its pointer and nothing is recorded; a challenge asked with a NUL
    is refused too (the comparison would stop at it). A claim may hold one: it is signed as given."""
    before, audit = zone.count("mez_credential"), zone.count("mez_audit")
    cred = sample_credential()
    for member, value, code in (("id", cred["id"] + "\u0000a", "vc.schema.invalid_id"),
                                ("issuer", zone.did + "\u0000x", "vc.schema.invalid_issuer"),
                                ("validFrom", cred["validFrom"] + "\u0000", "vc.schema.invalid_valid_from")):
        bad = dict(cred, **{member: value})
        assert_problem(issue(zone, bad), 422, code, pointer="/credential/" + member)
    bad = copy.deepcopy(cred)
    bad["credentialSubject"]["id"] = "did:example:s\u0000x"
    assert_problem(issue(zone, bad), 422, "vc.schema.invalid_id", pointer="/credential/credentialSubject/id")
    assert zone.count("mez_credential") == before
    assert zone.count("mez_audit") == audit
    vc = issued(zone)
    assert_problem(verify(zone, vc, {"challenge": "abc\u0000x"}), 422, "request.invalid_characters",
                   pointer="/options/challenge")
    vc["id"] = vc["id"] + "\u0000x"
    body = assert_problem(verify(zone, vc), 422, "vc.schema.invalid_id", pointer="/verifiableCredential/id")
    assert body["failed_check"] == "schema", body
    claim = copy.deepcopy(cred)
    claim["credentialSubject"]["note"] = "a\u0000b"
    vc = issued(zone, claim)
    assert vc["credentialSubject"]["note"] == "a\u0000b"
    assert verify(zone, vc).status_code == 200
    vc["credentialSubject"]["note"] = "a\u0000c"
    assert_problem(verify(zone, vc), 422, "vc.signature.invalid", pointer="/verifiableCredential/proof/proofValue")


def test_proof_created_in_future(zone, mez_env, workdir):
    """A proof whose created is after now (beyond the 300 s allowed for clocks that differ) cannot have been made
    yet: the expiry check fails, vc.expiry.created_in_future at its created, online and offline; it passed."""
    import datetime
    key = os.path.join(workdir, "future.pem")
    did = mez_env.keygen(key)
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60)
    soon = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = {}
    for created in ("2099-01-01T00:00:00Z", soon):
        cp = mez_env.mez("vc", "issue", "--key", key, "--created", created,
                         write_json(workdir, "unsigned.json", sample_credential(issuer=did)))
        assert cp.returncode == 0, cp.stdout + cp.stderr
        signed[created] = json.loads(cp.stdout)
        assert signed[created]["proof"]["created"] == created
    body = assert_problem(verify(zone, signed["2099-01-01T00:00:00Z"]), 422, "vc.expiry.created_in_future",
                          pointer="/verifiableCredential/proof/created")
    assert body["failed_check"] == "expiry" and body["checks"] == ["schema", "proof", "key", "signature"], body
    assert "2099-01-01T00:00:00Z" in body["detail"], body
    cp = mez_env.mez("vc", "verify", write_json(workdir, "future.json", signed["2099-01-01T00:00:00Z"]))
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "expiry: FAILED (vc.expiry.created_in_future at /proof/created)" in cp.stdout, cp.stdout
    # A minute ahead is a signer's clock running fast: valid.
    assert verify(zone, signed[soon]).status_code == 200
    cp = mez_env.mez("vc", "verify", write_json(workdir, "soon.json", signed[soon]))
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_huge_verification_method_and_proof_value(zone):
    """Base58 decoding is quadratic: a 160,000-character verificationMethod took 6 s. Refused by length, fast, and
    the detail quotes at most 200 characters of it."""
    import time
    vc = issued(zone)
    vc["proof"]["verificationMethod"] = "did:key:z" + "2" * 160000
    t0 = time.monotonic()
    body = assert_problem(verify(zone, vc), 422, "vc.key.unresolvable",
                          pointer="/verifiableCredential/proof/verificationMethod")
    assert time.monotonic() - t0 < 3, "took %.1f s" % (time.monotonic() - t0)
    assert len(body["detail"]) < 1000, len(body["detail"])
    vc = issued(zone)
    vc["proof"]["proofValue"] = "z" + "2" * 160000
    t0 = time.monotonic()
    assert_problem(verify(zone, vc), 422, "vc.proof.invalid_proof_value", pointer="/verifiableCredential/proof/proofValue")
    assert time.monotonic() - t0 < 3


def test_credentials_recorded_before_schema_19_keep_their_rules(make_zone, driver, mez_env, workdir):
    """Schema step 19 drops two indexes every issued credential paid for (bench/README.md): the issuer index on
    both drivers, and on PostgreSQL the unique credential id becomes a partial unique index (the zone's own
    credentials have no id). What was recorded before stays; an id recorded before is still refused; credentials
    without an id are recorded side by side, each once."""
    from audit_util import mez_as_server
    from mez_harness import chown_tree, sql_dir_before
    old_sql = sql_dir_before(mez_env, workdir, 19)
    z = make_zone(driver, migrate=False, start=False)
    z.env.mez("db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", old_sql, check=True)
    if z.env.server_user:
        chown_tree(z.data_dir, z.env.server_user)
    assert z.db.query_value("SELECT MAX(version) FROM mez_schema_version") == "18"
    old = sample_credential()
    rows = [("'%s'" % old["id"], "1"), ("NULL", "2"), ("NULL", "3")]
    for cid, d in rows:
        z.db.execute("INSERT INTO mez_credential (credential_id, issuer, digest, body, issued_at) VALUES "
                     "(%s, '%s', 'sha256:%s', '{}', '2026-11-01T00:00:00Z')" % (cid, z.did, d * 64))
    mez_as_server(z, "db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", mez_env.sql_dir,
                  check=True)
    z.start()
    assert z.count("mez_credential") == 3
    if z.driver == "pgsql":
        indexes = z.db.query_value("SELECT string_agg(indexdef, ' | ' ORDER BY indexname) FROM pg_indexes "
                                   "WHERE tablename = 'mez_credential'")
        assert "mez_credential_issuer" not in indexes and "credential_id_key" not in indexes, indexes
        assert ("mez_credential_credential_id ON public.mez_credential USING btree (credential_id) "
                "WHERE (credential_id IS NOT NULL)") in indexes, indexes
    else:
        indexes = z.db.query_value("SELECT group_concat(name, ' | ') FROM sqlite_master WHERE type = 'index' "
                                   "AND tbl_name = 'mez_credential'")
        assert "mez_credential_issuer" not in indexes, indexes
    # The id recorded under schema 18 is still taken; the answer changes nothing.
    r = issue(z, old)
    assert_problem(r, 409, "credential.duplicate_id", pointer="/credential/id")
    assert z.count("mez_credential") == 3
    # Credentials without an id (as the orchestrated writes issue them): any number, each recorded once.
    for n in range(2):
        cred = sample_credential(subject_id="did:example:upgrade-%d" % n)
        del cred["id"]
        assert issue(z, cred).status_code == 201
    assert z.count("mez_credential") == 5
    assert z.db.query_value("SELECT COUNT(*) FROM mez_credential WHERE credential_id IS NULL") == "4"
    fresh = sample_credential(subject_id="did:example:upgrade-id")
    assert issue(z, fresh).status_code == 201
    assert_problem(issue(z, dict(fresh, credentialSubject={"id": "did:example:other"})), 409,
                   "credential.duplicate_id")
    assert z.count("mez_credential") == 6


def test_integer_beyond_64_bits_refused(zone, mez_env, workdir):
    """An integer beyond 64 bits anywhere in a credential is refused before anything is signed or checked: read as
    a double (as ECMAScript reads it), it made every integer of the document a double, so an amount of
    9007199254740993 beside it was signed rounded to ...992, past the check refusing integers beyond 2^53, and a
    holder could swap one such integer for another under the same signature (review)."""
    before = zone.count("mez_credential")
    cred = sample_credential()
    cred["credentialSubject"]["amount"] = 9007199254740993
    cred["credentialSubject"]["pad"] = 18446744073709551616
    for r in (issue(zone, cred), zone.post("/v1/credentials/issue", json={"credential": cred, "options": {}},
                                           headers={"Idempotency-Key": "big-integer-1"})):
        body = assert_problem(r, 400, code="json.number_out_of_range")
        assert "write it as a string" in body["detail"], body
    # Without the pad, the amount alone is the check on credentials: beyond 2^53 - 1, with its pointer.
    del cred["credentialSubject"]["pad"]
    body = assert_problem(issue(zone, cred), 422, code="vc.schema.inexact_integer")
    assert body["pointer"] == "/credential/credentialSubject/amount", body
    assert zone.count("mez_credential") == before
    # A signed credential given to verify with such an integer added: refused online and offline.
    vc = issued(zone)
    vc["credentialSubject"]["pad"] = 18446744073709551617
    assert_problem(verify(zone, vc), 400, code="json.number_out_of_range")
    cp = mez_env.mez("vc", "verify", write_json(workdir, "big.json", vc))
    assert cp.returncode != 0 and "json.number_out_of_range" in cp.stderr, cp.stdout + cp.stderr
    assert zone.count("mez_credential") == before + 1

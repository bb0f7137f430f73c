# test_presentations.py: POST /v1/presentations/verify: the presentation's own proof (purpose authentication,
# challenge, domain) and every credential inside. `mez vc issue` signs credentials only, so the holder's proof
# is made here with openssl + Python (eddsa-jcs-2022), which also keeps it independent of libmezcore.
import copy
import json
import os

import pytest

from mez_harness import VC_CONTEXT_V2, HarnessError, assert_problem, did_vm, sample_credential, sign_eddsa_jcs_2022

CHALLENGE = "1f44d55f-f161-4938-a659-f8026467f126"
DOMAIN = "verifier.example"


@pytest.fixture(scope="module")
def holder(mez_env):
    d = mez_env.new_dir("holder")
    key = os.path.join(d, "holder.pem")
    return {"dir": d, "key": key, "did": mez_env.keygen(key)}


def issued(zone, subject):
    r = zone.post("/v1/credentials/issue", json={"credential": sample_credential(subject), "options": {}})
    assert r.status_code == 201, r.text
    return r.json()["verifiableCredential"]


def presentation(holder, credentials, challenge=CHALLENGE, domain=DOMAIN, sign=True):
    vp = {
        "@context": [VC_CONTEXT_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder["did"],
        "verifiableCredential": credentials,
    }
    if not sign:
        return vp
    try:
        return sign_eddsa_jcs_2022(vp, holder["key"], did_vm(holder["did"]), holder["dir"],
                                   purpose="authentication", challenge=challenge, domain=domain)
    except HarnessError as e:
        pytest.skip(str(e))


def verify(zone, vp, challenge=CHALLENGE, domain=DOMAIN):
    options = {}
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    return zone.post("/v1/presentations/verify", json={"verifiablePresentation": vp, "options": options})


def test_valid_presentation(zone, holder):
    vp = presentation(holder, [issued(zone, holder["did"])])
    before = zone.count("mez_credential")
    r = verify(zone, vp)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "proof" in body["checks"], body
    assert isinstance(body["warnings"], list)
    assert body["errors"] == []
    assert zone.count("mez_credential") == before


def test_valid_presentation_offline(zone, holder, mez_env):
    vp = presentation(holder, [issued(zone, holder["did"])])
    path = os.path.join(holder["dir"], "vp.json")
    with open(path, "w") as f:
        json.dump(vp, f)
    cp = mez_env.mez("vc", "verify", "--challenge", CHALLENGE, "--domain", DOMAIN, path)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    cp = mez_env.mez("vc", "verify", "--challenge", "another", "--domain", DOMAIN, path)
    assert cp.returncode == 1, cp.stdout + cp.stderr


def test_challenge_differs(zone, holder):
    vp = presentation(holder, [issued(zone, holder["did"])])
    assert_problem(verify(zone, vp, challenge="not-the-challenge"), 422, code_prefix="vc.proof")


def test_domain_differs(zone, holder):
    vp = presentation(holder, [issued(zone, holder["did"])])
    assert_problem(verify(zone, vp, domain="evil.example"), 422, code_prefix="vc.proof")


def test_presentation_without_proof(zone, holder):
    vp = presentation(holder, [issued(zone, holder["did"])], sign=False)
    before = zone.count("mez_credential")
    assert_problem(verify(zone, vp), 422, "vc.proof.missing")
    assert zone.count("mez_credential") == before


def test_presentation_with_tampered_credential(zone, holder):
    good = issued(zone, holder["did"])
    bad = copy.deepcopy(good)
    bad["credentialSubject"]["alumniOf"]["name"] = "Forged University"
    vp = presentation(holder, [good, bad])  # the holder signs over the forged credential: its own proof is fine
    body = assert_problem(verify(zone, vp), 422, code_prefix="vc.signature")
    assert body["failed_check"] == "signature", body
    assert "/verifiableCredential/1" in body["pointer"], body


def test_tampered_presentation(zone, holder):
    vp = presentation(holder, [issued(zone, holder["did"])])
    vp["id"] = "urn:uuid:0b6a0f2e-8d7c-4b1e-9a55-3c1d2e4f5a6b"  # a member the holder never signed
    body = assert_problem(verify(zone, vp), 422, code_prefix="vc.signature")
    assert body["failed_check"] == "signature", body


def test_holder_not_the_signer(zone, holder, mez_env):
    """A presentation in another did:key's name, signed with the holder's key: refused (it was valid with a warning,
    vc.holder_not_controller)."""
    other = os.path.join(mez_env.new_dir("other"), "other.pem")   # holder is per module, this test per driver
    vp = presentation(holder, [issued(zone, holder["did"])], sign=False)
    vp["holder"] = mez_env.keygen(other)
    try:
        vp = sign_eddsa_jcs_2022(vp, holder["key"], did_vm(holder["did"]), holder["dir"], purpose="authentication",
                                 challenge=CHALLENGE, domain=DOMAIN)
    except HarnessError as e:
        pytest.skip(str(e))
    body = assert_problem(verify(zone, vp), 422, "vc.key.holder_not_controller",
                          pointer="/verifiablePresentation/holder")
    assert body["failed_check"] == "key", body


def test_challenge_with_nul(zone, holder, mez_env):
    """A challenge "abc\\u0000other" is not the challenge "abc" (a C comparison stopped at the NUL)."""
    vp = presentation(holder, [issued(zone, holder["did"])], challenge="abc\u0000other")
    assert_problem(verify(zone, vp, challenge="abc"), 422, "vc.proof.challenge_mismatch",
                   pointer="/verifiablePresentation/proof/challenge")
    path = os.path.join(holder["dir"], "vp_nul.json")
    with open(path, "w") as f:
        json.dump(vp, f)
    cp = mez_env.mez("vc", "verify", "--challenge", "abc", path)
    assert cp.returncode == 1, cp.stdout + cp.stderr


def test_a_credential_cannot_pass_as_a_presentation(zone, holder, mez_env):
    """A "credential" naming someone else as issuer, whose type also says VerifiablePresentation, signed for
    authentication by a key of the forger's and with no holder: a presentation's checks (the holder's key, no
    issuer) would pass it. Refused offline (`mez vc verify` exits 1) and by the zone."""
    issuer = os.path.join(mez_env.new_dir("named-issuer"), "issuer.pem")
    forged = sample_credential(holder["did"])
    forged["issuer"] = mez_env.keygen(issuer)       # a DID whose key the forger does not hold
    forged["type"] = ["VerifiableCredential", "VerifiablePresentation"]
    try:
        forged = sign_eddsa_jcs_2022(forged, holder["key"], did_vm(holder["did"]), holder["dir"],
                                     purpose="authentication")
    except HarnessError as e:
        pytest.skip(str(e))
    path = os.path.join(holder["dir"], "forged.json")
    with open(path, "w") as f:
        json.dump(forged, f)
    cp = mez_env.mez("vc", "verify", path)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "schema: FAILED (vc.schema.invalid_type at /type)" in cp.stdout, cp.stdout
    assert "INVALID" in cp.stdout
    body = assert_problem(verify(zone, forged, challenge=None, domain=None), 422, "vc.schema.invalid_type",
                          pointer="/verifiablePresentation/type")
    assert body["failed_check"] == "schema", body
    r = zone.post("/v1/credentials/verify", json={"verifiableCredential": forged})
    assert_problem(r, 422, "vc.schema.invalid_type", pointer="/verifiableCredential/type")

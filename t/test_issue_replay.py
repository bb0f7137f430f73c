# test_issue_replay.py: the same issue request repeated within a second yields the very same signed credential
# (Ed25519 is deterministic, `created` has one-second resolution); it is answered again and recorded once.
from mez_harness import sample_credential


def test_identical_requests_recorded_once(zone):
    cred = sample_credential()
    del cred["id"]      # an id may be issued once; without one, only the content names the credential
    before = zone.count("mez_credential")
    answers = [zone.post("/v1/credentials/issue", json={"credential": cred}) for _ in range(6)]
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    proofs = {a.json()["verifiableCredential"]["proof"]["proofValue"] for a in answers}
    # Six requests span at most two distinct seconds here, so at most two distinct credentials exist,
    # and each distinct one is recorded exactly once.
    assert 1 <= len(proofs) <= 2
    assert zone.count("mez_credential") == before + len(proofs)

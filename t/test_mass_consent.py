# test_mass_consent.py: the sovereign Mass store's consent primitive over HTTP (/mass/v1/consent/...), checked
# against ../shared/schemas/mass/apis/consent.openapi.yaml. Signatures are made here, with the openssl command
# (independent of libmezcore), over the canonical {consent_id, digest_sha256, decision, signed_at, signatory_id}.
# Every refusal is checked to change nothing. Both drivers.
import hashlib
import os
import time
import uuid

import pytest

from audit_util import audit_rows, last_seq
from mass_contract import check
from mez_harness import assert_problem, b58encode, did_vm, jcs, openssl_sign

BASE = "/mass/v1/consent"


def did_key_patch(doc):
    """mez deviates from the contract on purpose here: its `did:msez:` identifiers resolve to no key, so no
    signature by such a party could ever be verified. mez names requesters and signatories by did:key (whose key
    is the identifier itself) and checks real Ed25519 signatures; the contract's `^did:msez:` patterns are
    therefore read as `^did:key:` (and its verification-method pattern likewise), in memory, for these checks."""
    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "pattern" and isinstance(v, str) and v.startswith("^did:msez:"):
                    o[k] = "^did:key:" + v[len("^did:msez:"):]
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(doc["components"])


def contract(zone, schema, doc):
    check(zone.env.shared_dir, "consent", schema, doc, patch=did_key_patch)


class Party:
    def __init__(self, env, keydir, name):
        self.key_file = os.path.join(keydir, name + ".pem")
        self.did = env.keygen(self.key_file)
        self.keydir = keydir

    def sign(self, record, decision, signed_at):
        payload = {"consent_id": record["consent_id"], "digest_sha256": record["digest_sha256"],
                   "decision": decision, "signed_at": signed_at, "signatory_id": self.did}
        sig = openssl_sign(self.key_file, jcs(payload), self.keydir)
        return {"type": "Ed25519Signature2020", "created": signed_at, "verification_method": did_vm(self.did),
                "proof_purpose": "assertionMethod", "proof_value": "z" + b58encode(sig)}


@pytest.fixture(scope="module")
def parties(mez_env):
    keydir = mez_env.new_dir("consent-keys")
    return [Party(mez_env, keydir, n) for n in ("requester", "dir1", "dir2", "dir3")]


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t if t is not None else time.time()))


def consent_request(zone, parties, threshold=None, deadline=None, required=(1,)):
    body = {
        "action_type": "corporate_resolution",
        "title": "Approve Q1 dividend distribution " + str(uuid.uuid4()),
        "description": "Resolution to distribute quarterly dividends to Class A shareholders.",
        "requester_id": parties[0].did,
        "zone_id": zone.zone_id,
        "signatories": [{"signatory_id": p.did, "role": "board_director", "required": i in required}
                        for i, p in enumerate(parties[1:], 1)],
        "threshold": threshold or {"type": "majority"},
        "reference_documents": [{"document_type": "resolution_text", "digest_sha256": hashlib.sha256(b"text").hexdigest(),
                                 "uri": "cas://resolution/text.json"}],
        "metadata": {"fiscal_quarter": "Q1-2026"},
    }
    if deadline:
        body["deadline"] = deadline
    return body


def create(zone, parties, **kw):
    body = consent_request(zone, parties, **kw)
    contract(zone, "ConsentRequest", body)
    r = zone.post(BASE + "/request", json=body)
    assert r.status_code == 201, r.text
    contract(zone, "ConsentRecord", r.json())
    return r.json()


def sign(zone, record, party, decision="approve", signed_at=None, justification=None):
    signed_at = signed_at or stamp()
    body = {"signatory_id": party.did, "decision": decision, "signed_at": signed_at,
            "proof": party.sign(record, decision, signed_at)}
    if justification:
        body["justification"] = justification
    contract(zone, "ConsentSignature", body)
    return zone.post("%s/%s/sign" % (BASE, record["consent_id"]), json=body), body


def counts(zone):
    return (zone.count("mez_mass_consent"),
            int(zone.db.query_value("SELECT COUNT(*) FROM mez_mass_consent_signatory WHERE decision IS NOT NULL")),
            zone.count("mez_mass_consent_event"), zone.count("mez_audit"))


def trail(zone, record):
    r = zone.get("%s/%s/audit-trail" % (BASE, record["consent_id"]))
    assert r.status_code == 200, r.text
    for e in r.json()["entries"]:
        contract(zone, "AuditTrailEntry", e)
    return r.json()


def test_create_follows_the_contract(zone, parties):
    before = counts(zone)
    body = consent_request(zone, parties)
    r = zone.post(BASE + "/request", json=body)
    assert r.status_code == 201, r.text
    rec = r.json()
    contract(zone, "ConsentRecord", rec)
    terms = {k: v for k, v in body.items() if k != "metadata"}
    assert rec["digest_sha256"] == hashlib.sha256(jcs(terms)).hexdigest()
    assert rec["consent_id"] == "con_" + rec["digest_sha256"]
    assert rec["status"] == "pending" and rec["signatures_collected"] == 0 and rec["threshold_met"] is False
    assert rec["metadata"] == body["metadata"]
    assert [s["has_signed"] for s in rec["signatories"]] == [False, False, False]
    assert counts(zone) == (before[0] + 1, before[1], before[2] + 1, before[3] + 1)
    got = zone.get("%s/%s" % (BASE, rec["consent_id"]))
    assert got.status_code == 200 and got.json() == rec
    # The committed store write left its audit row.
    row = audit_rows(zone, start=last_seq(zone))[-1]
    assert row["action"] == "mass.POST /v1/consent/request"
    assert (row["resource_type"], row["resource_id"], row["outcome"]) == ("consent", rec["consent_id"], "committed")
    # The same terms again are the same consent.
    again = zone.post(BASE + "/request", json=body)
    assert_problem(again, 409, "consent.exists")
    assert counts(zone) == (before[0] + 1, before[1], before[2] + 1, before[3] + 1)


@pytest.mark.parametrize("patch,pointer", [
    (lambda b: b.update(title="Dividend\u0000 (hidden terms)"), "/title"),
    (lambda b: b.update(description="Pay\u001b[8m hidden"), "/description"),
    (lambda b: b["signatories"][0].update(role="director\n"), "/signatories/0/role"),
    (lambda b: b["reference_documents"][0].update(title="T\u0000"), "/reference_documents/0/title"),
])
def test_consent_text_has_no_control_characters(zone, parties, patch, pointer):
    """A NUL was stored cut short; a control character prints as something other than what was signed for."""
    body = consent_request(zone, parties)
    patch(body)
    before = counts(zone)
    assert_problem(zone.post(BASE + "/request", json=body), 422, "request.invalid_characters", pointer=pointer)
    assert counts(zone) == before


def test_majority_with_required_signatory_is_approved(zone, parties):
    rec = create(zone, parties)
    r, _ = sign(zone, rec, parties[2], justification="Reviewed and accepted.")
    assert r.status_code == 200, r.text
    r, _ = sign(zone, rec, parties[3])
    assert r.status_code == 200, r.text
    contract(zone, "ConsentRecord", r.json())
    # Two of three approve, but the required signatory has not: pending.
    assert r.json()["status"] == "pending" and r.json()["signatures_collected"] == 2
    r, _ = sign(zone, rec, parties[1])
    assert r.status_code == 200, r.text
    done = r.json()
    contract(zone, "ConsentRecord", done)
    assert done["status"] == "approved" and done["threshold_met"] is True and done["signatures_collected"] == 3
    assert done["signatories"][1]["justification"] == "Reviewed and accepted."
    t = trail(zone, rec)
    assert [e["event_type"] for e in t["entries"]] == ["consent_created", "signature_submitted",
                                                       "signature_submitted", "signature_submitted",
                                                       "threshold_met", "consent_approved"]
    assert t["total_count"] == 6
    prev = None
    for e in t["entries"]:
        assert e["entry_digest_sha256"] == hashlib.sha256(
            jcs({k: v for k, v in e.items() if k != "entry_digest_sha256"})).hexdigest()
        assert e.get("previous_entry_digest") == prev
        prev = e["entry_digest_sha256"]


def test_bad_signatures_are_refused(zone, parties):
    rec = create(zone, parties)
    before = counts(zone)
    signed_at = stamp()
    body = {"signatory_id": parties[1].did, "decision": "approve", "signed_at": signed_at,
            "proof": parties[1].sign(rec, "reject", signed_at)}        # signed another decision
    path = "%s/%s/sign" % (BASE, rec["consent_id"])
    assert_problem(zone.post(path, json=body), 422, "consent.bad_signature", pointer="/proof/proof_value")
    body["proof"] = parties[1].sign(rec, "approve", signed_at)
    body["proof"]["proof_value"] = body["proof"]["proof_value"][:-3] + "abc"
    assert_problem(zone.post(path, json=body), 422, "consent.bad_signature", pointer="/proof/proof_value")
    body["proof"] = parties[2].sign(rec, "approve", signed_at)         # someone else's key
    assert_problem(zone.post(path, json=body), 422, "consent.wrong_verification_method",
                   pointer="/proof/verification_method")
    body["proof"] = dict(parties[1].sign(rec, "approve", signed_at), type="DataIntegrityProof")
    assert_problem(zone.post(path, json=body), 422, "request.invalid_value", pointer="/proof/type")
    body["proof"] = parties[1].sign(rec, "approve", signed_at)
    body["signed_at"] = signed_at.replace("Z", "+00:00")
    assert_problem(zone.post(path, json=body), 422, "request.invalid_time", pointer="/signed_at")
    assert counts(zone) == before


def test_not_a_signatory(zone, parties):
    rec = create(zone, parties)
    before = counts(zone)
    r, _ = sign(zone, rec, parties[0])
    assert_problem(r, 403, "consent.not_a_signatory", pointer="/signatory_id")
    assert counts(zone) == before


def test_one_decision_per_signatory(zone, parties):
    rec = create(zone, parties, threshold={"type": "unanimous"})
    r, body = sign(zone, rec, parties[2])
    assert r.status_code == 200
    before = counts(zone)
    # The very same submission again (a retry) is answered as it was, with nothing written to the consent; the
    # store's audit row records every committed write request, this answered retry included.
    again = zone.post("%s/%s/sign" % (BASE, rec["consent_id"]), json=body)
    assert again.status_code == 200 and again.json() == r.json()
    assert counts(zone) == before[:3] + (before[3] + 1,)
    r, _ = sign(zone, rec, parties[2], decision="reject")
    assert_problem(r, 409, "consent.already_signed")
    assert counts(zone) == before[:3] + (before[3] + 1,)


def test_closed_consent_takes_no_decision(zone, parties):
    rec = create(zone, parties, threshold={"type": "unanimous"})
    r, _ = sign(zone, rec, parties[3], decision="reject")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    before = counts(zone)
    r, _ = sign(zone, rec, parties[1])
    body = assert_problem(r, 409, "consent.closed")
    assert body["consent_status"] == "rejected"
    assert counts(zone) == before


def test_thresholds(zone, parties):
    # 2/3 of three signatories is two approvals (no one required here).
    rec = create(zone, parties, threshold={"type": "qualified_majority", "minimum_count": 2, "denominator": 3},
                 required=())
    assert sign(zone, rec, parties[1])[0].json()["status"] == "pending"
    assert sign(zone, rec, parties[2])[0].json()["status"] == "approved"
    # count 3 of 3: one rejection makes it impossible.
    rec = create(zone, parties, threshold={"type": "count", "minimum_count": 3}, required=())
    assert sign(zone, rec, parties[1], decision="reject")[0].json()["status"] == "rejected"
    before = counts(zone)
    r = zone.post(BASE + "/request", json=consent_request(zone, parties, threshold={"type": "count",
                                                                                    "minimum_count": 4}))
    assert_problem(r, 422, "consent.threshold_unreachable", pointer="/threshold/minimum_count")
    assert counts(zone) == before


def test_no_decision_dated_after_the_deadline(zone, parties):
    """The 5-minute skew lets a signature dated a little ahead of the zone's clock in; dated after the deadline, it
    came too late: 409 consent.expired at /signed_at, nothing recorded, the consent still open."""
    now = time.time()
    rec = create(zone, parties, threshold={"type": "count", "minimum_count": 1}, deadline=stamp(now + 60),
                 required=())
    before = counts(zone)
    r, _ = sign(zone, rec, parties[1], signed_at=stamp(now + 120))
    assert_problem(r, 409, "consent.expired", pointer="/signed_at")
    assert counts(zone) == before
    assert zone.get("%s/%s" % (BASE, rec["consent_id"])).json()["status"] == "pending"
    # Dated before the deadline and after the consent was made (not `now`: the request that made it may have been
    # answered in the next second, and a signature dated before its consent is refused too).
    r, _ = sign(zone, rec, parties[1], signed_at=stamp(now + 30))
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text


def test_deadline_expires_the_consent(zone, parties):
    rec = create(zone, parties, deadline=stamp(time.time() + 2))
    time.sleep(3.5)
    before = counts(zone)
    r, _ = sign(zone, rec, parties[1])
    assert_problem(r, 409, "consent.expired")
    assert counts(zone) == before
    seq = last_seq(zone)
    got = zone.get("%s/%s" % (BASE, rec["consent_id"]))
    assert got.status_code == 200 and got.json()["status"] == "expired"
    contract(zone, "ConsentRecord", got.json())
    # The read that wrote the expiry down (status and trail entry) committed it with its audit row.
    assert zone.db.query_value("SELECT status FROM mez_mass_consent WHERE consent_id = '%s'"
                               % rec["consent_id"]) == "expired"
    rows = audit_rows(zone, start=seq + 1)
    assert [(r["action"], r["resource_id"], r["outcome"], r["detail"]["wrote"]) for r in rows] == \
        [("mass.GET /v1/consent/" + rec["consent_id"], rec["consent_id"], "committed", "consent_expired")]
    events = [e["event_type"] for e in trail(zone, rec)["entries"]]
    assert events == ["consent_created", "consent_expired"]
    # Reads that find it already written down write nothing and leave no row.
    zone.get("%s/%s" % (BASE, rec["consent_id"]))
    assert [e["event_type"] for e in trail(zone, rec)["entries"]] == events
    assert last_seq(zone) == seq + 1


def test_requester_revokes(zone, parties):
    rec = create(zone, parties)
    path = "%s/%s/revoke" % (BASE, rec["consent_id"])
    signed_at = stamp()
    before = counts(zone)
    r = zone.post(path, json={"requester_id": parties[1].did, "signed_at": signed_at,
                              "proof": parties[1].sign(rec, "revoke", signed_at)})
    assert_problem(r, 403, "consent.not_the_requester", pointer="/requester_id")
    assert counts(zone) == before
    r = zone.post(path, json={"requester_id": parties[0].did, "signed_at": signed_at, "reason": "withdrawn",
                              "proof": parties[0].sign(rec, "revoke", signed_at)})
    assert r.status_code == 200, r.text
    contract(zone, "ConsentRecord", r.json())
    assert r.json()["status"] == "revoked"
    r, _ = sign(zone, rec, parties[1])
    assert assert_problem(r, 409, "consent.closed")["consent_status"] == "revoked"
    assert trail(zone, rec)["entries"][-1]["event_type"] == "consent_revoked"


def test_did_msez_is_not_accepted(zone, parties):
    before = counts(zone)
    body = consent_request(zone, parties)
    body["requester_id"] = "did:msez:entity:corp-1234"
    assert_problem(zone.post(BASE + "/request", json=body), 422, "consent.invalid_did", pointer="/requester_id")
    body = consent_request(zone, parties)
    body["signatories"][1]["signatory_id"] = "did:msez:identity:director-002"
    assert_problem(zone.post(BASE + "/request", json=body), 422, "consent.invalid_did",
                   pointer="/signatories/1/signatory_id")
    body = consent_request(zone, parties)
    body["zone_id"] = "zone:pk-sez-01"
    assert_problem(zone.post(BASE + "/request", json=body), 422, "consent.invalid_zone_id", pointer="/zone_id")
    assert counts(zone) == before


def test_unknown_consent(zone):
    assert_problem(zone.get(BASE + "/con_" + "0" * 64), 404, "mass.not_found")
    assert_problem(zone.get(BASE + "/nope/audit-trail"), 404, "mass.not_found")
    assert_problem(zone.request("PUT", BASE + "/request", json={}), 405, "request.method_not_allowed")

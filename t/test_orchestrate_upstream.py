# test_orchestrate_upstream.py: the write pipeline against a remote Mass that misbehaves. Zone A (pk-sifc, its
# packs) keeps every primitive in zone B's sovereign store, reached through a proxy (mass_proxy.py) that can
# rewrite, drop or delay B's answers. What A must never do whatever Mass answers: crash, certify a record Mass did
# not name, write a second credential for one Mass write, or forget an intent whose Mass write did or may have
# happened (a retry with the same Idempotency-Key must complete it, once).
import hashlib
import json
import os
import shutil
import threading
import time
import uuid

import pytest

from mass_proxy import MassProxy
from mez_harness import assert_problem, sample_credential
from test_mass_client import operator_token, protected_store_conf, write_secret

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
REMOTE = ("entities", "ownership", "fiscal", "consent", "identity")


def formation(name):
    return {"entity_type": "corporation", "legal_name": name, "compliance": {"evidence": EVIDENCE}}


@pytest.fixture(scope="module")
def env(module_zones, driver, mez_env):
    b = module_zones(driver, name="upb", extra_conf=protected_store_conf(mez_env))
    proxy = MassProxy(b.url("/mass"))
    work = mez_env.new_dir("upa")
    b.test_token = operator_token(b)
    token_file = write_secret(os.path.join(work, "mass.token"), b.test_token)
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    conf = "\n".join(["MezMassEndpoint %s %s" % (p, proxy.url()) for p in REMOTE]
                     + ["MezMassTokenFile %s" % token_file, "MezMassTimeout 3"])
    a = module_zones(driver, name="upa", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                     extra_conf=conf)
    yield a, b, proxy
    proxy.close()


@pytest.fixture
def zones(env):
    env[2].clear()
    yield env
    env[2].clear()


def state(a, b):
    return {"credentials": a.count("mez_credential"), "evaluations": a.count("mez_evaluation"),
            "audit": a.count("mez_audit"), "b_entities": b.count("mez_mass_entity")}


def intent(a, key):
    """The state of A's own Idempotency-Key record for key (None: there is none)."""
    return a.db.query_value("SELECT state FROM mez_idempotency WHERE idempotency_key = '%s' AND principal <> "
                            "'mass-store'" % key)


def post(a, path, body, key):
    return a.post(path, json=body, headers={"Idempotency-Key": key}, validate=False)


def new_entity(a, name):
    r = post(a, "/v1/entities", formation(name), str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    return r.json()["id"]


# ------------------------------------------------------------------ a 201 that does not name its record

def _officer(a):
    return "/v1/entities/%s/officers" % new_entity(a, "Officer Host Traders Ltd"), {"name": "Sana Mir",
                                                                                   "role": "director"}


def _account(a):
    return "/v1/fiscal/accounts", {"entity_id": new_entity(a, "Account Host Traders Ltd"),
                                   "account_type": "operating", "currency": "PKR"}


def _consent(a):
    return "/v1/consent", {"action_type": "share_transfer", "title": "Approve a transfer",
                           "requester_id": "did:example:req", "zone_id": "pk-sifc",
                           "signatories": [{"signatory_id": "did:example:d1", "role": "board_director"}],
                           "threshold": {"type": "unanimous"}}


CASES = {
    # operation: (the Mass path the proxy rewrites, how to build the zone request)
    "entity.formation": ("/v1/entities", lambda a: ("/v1/entities", formation("Nameless Mills Ltd"))),
    "entity.officer": ("/officers", _officer),
    "fiscal.account": ("/v1/fiscal/accounts", _account),
    "consent.request": ("/v1/consent/request", _consent),
    "identity.person": ("/v1/identity/persons", lambda a: ("/v1/identity/persons", {"full_name": "Bilal Ahmed"})),
}


@pytest.mark.parametrize("op", sorted(CASES))
def test_a_new_record_without_its_id_is_refused_not_certified(zones, op):
    """B does the write and answers 201 without the record's id (the proxy removes it): A answers 502
    mass.upstream_error, signs nothing, records nothing, keeps its intent (the write happened) and keeps serving.
    Before, identity and consent crashed httpd's child (a NULL subject), the others certified the path's or the
    owner's id."""
    a, b, proxy = zones
    suffix, build = CASES[op]
    path, body = build(a)
    before = state(a, b)
    key = str(uuid.uuid4())
    proxy.rule("POST", suffix, MassProxy.replace(201, {"status": "created"}))
    p = assert_problem(post(a, path, body, key), 502, "mass.upstream_error")
    assert "without its" in p["detail"], p
    before["b_entities"] += op == "entity.formation"        # B did the write, A certified none of it
    assert state(a, b) == before
    assert intent(a, key) == "in_progress"
    assert a.get("/healthz").status_code == 200


# ------------------------------------------------------------------ the Mass idempotency key

def test_the_mass_key_is_fixed_length_for_any_client_key(zones):
    """The key A sends B is derived, not spliced: a valid 255-character Idempotency-Key makes one B write (B
    refused the old 'zone:op:key' splice beyond 255 characters)."""
    a, b, proxy = zones
    for n in (230, 255):
        before = state(a, b)
        r = post(a, "/v1/entities", formation("Long Key %d Traders Ltd" % n), "k" * (n - 5) + str(uuid.uuid4())[:5])
        assert r.status_code == 201, r.text
        assert state(a, b)["b_entities"] == before["b_entities"] + 1
    keys = {k for _, _, k, _ in proxy.writes()}
    assert keys and all(len(k) == 36 for k in keys), keys


def canonical(v):
    """RFC 8785 for the plain ASCII documents these tests send."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_an_intent_of_the_previous_build_resumes_with_its_mass_key(zones):
    """Upgrade: an intent the previous build committed (without a note: its Mass keys were "zone:op:key[:suffix]"),
    whose formation B already made under that key before the build died, is resumed by this build with the same
    key: B answers its first answer (one entity), and A completes it. Derived anew, the key would have asked B for
    a second entity (409 entity.name_taken, the intent never completed)."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Upgrade Resume %s Ltd" % uuid.uuid4().hex[:8]
    body = formation(name)
    old_key = "pk-sifc:entity.formation:" + key
    first = b.post("/mass/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                              "jurisdiction_id": "pk-sifc"},
                   headers={"Authorization": "Bearer " + b.test_token, "Idempotency-Key": old_key})
    assert first.status_code == 201, first.text
    digest = "sha256:" + hashlib.sha256(("POST\n/v1/entities\n" + canonical(body)).encode()).hexdigest()
    a.db.execute("INSERT INTO mez_idempotency (zone_id, principal, route, idempotency_key, request_digest, state, "
                 "created_at, updated_at) VALUES ('pk-sifc', 'anonymous', 'POST /v1/entities', '%s', '%s', "
                 "'in_progress', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z')" % (key, digest))
    before = state(a, b)
    r = post(a, "/v1/entities", body, key)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == first.json()["entity_id"] and r.json()["resource"]["status"] == "ACTIVE"
    assert [(m, k) for m, _, k, _ in proxy.writes()] == [("POST", old_key), ("PUT", old_key + ":approve")]
    assert state(a, b) == dict(before, credentials=before["credentials"] + 2, evaluations=before["evaluations"] + 1,
                               audit=before["audit"] + 1)
    assert intent(a, key) == "completed"


# ------------------------------------------------------------------ which failures forget an intent

def test_garbage_after_the_write_keeps_the_intent_and_the_retry_completes_once(zones):
    """B makes the formation and its answer is replaced with an HTML page: A cannot know whether the write was
    made, so it answers 502, keeps the intent (before, it forgot it: the key was free for another request while
    B held an entity under it) and hands it over: the retry at once repeats the call under the same Mass key (B
    answers its first answer) and completes: one entity, one credential pair."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Garbage Answer %s Ltd" % uuid.uuid4().hex[:8]
    before = state(a, b)
    proxy.rule("POST", "/v1/entities", MassProxy.replace(201, b"<html>ok</html>"))
    p = assert_problem(post(a, "/v1/entities", formation(name), key), 502, "mass.upstream_error")
    assert "retry with the same Idempotency-Key" in p["detail"], p
    assert state(a, b) == dict(before, b_entities=before["b_entities"] + 1)
    assert intent(a, key) == "in_progress"
    # The key is not free for another request: a write under it may exist.
    assert_problem(post(a, "/v1/entities", formation(name + " Other"), key), 422, "idempotency.key_reused")
    r = post(a, "/v1/entities", formation(name), key)
    assert r.status_code == 201, r.text
    assert state(a, b) == dict(before, credentials=before["credentials"] + 2, evaluations=before["evaluations"] + 1,
                               audit=before["audit"] + 1, b_entities=before["b_entities"] + 1)
    posts = [k for m, path, k, _ in proxy.writes() if m == "POST"]
    assert len(posts) == 2 and posts[0] == posts[1]
    assert intent(a, key) == "completed"


def test_an_answer_holding_a_nul_is_no_answer(zones):
    """B makes the formation and its answer names the entity "<id>\\u0000x": read as C text, the id cut short at
    the NUL. A takes such an answer for none (502 naming where the NUL is, the intent kept, nothing certified) and
    the retry completes with B's own answer; a read whose answer holds one is 502 too, and A keeps serving."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Nul Answer %s Ltd" % uuid.uuid4().hex[:8]
    before = state(a, b)
    forged = {"entity_id": "ent_" + "0" * 64 + "\u0000x", "legal_name": name, "status": "ACTIVE"}
    proxy.rule("POST", "/v1/entities", MassProxy.replace(201, forged))
    p = assert_problem(post(a, "/v1/entities", formation(name), key), 502, "mass.upstream_error")
    assert "'/entity_id'" in p["detail"] and "NUL" in p["detail"], p
    assert state(a, b) == dict(before, b_entities=before["b_entities"] + 1)
    assert intent(a, key) == "in_progress"
    r = post(a, "/v1/entities", formation(name), key)
    assert r.status_code == 201, r.text
    made = b.db.query_value("SELECT entity_id FROM mez_mass_entity WHERE legal_name = '%s'" % name)
    assert r.json()["id"] == made and "\u0000" not in r.json()["id"]
    proxy.rule("GET", "/v1/entities/" + made, MassProxy.replace(200, dict(forged, entity_id=made,
                                                                          legal_name=name + "\u0000")))
    p = assert_problem(a.get("/v1/entities/" + made, validate=False), 502, "mass.upstream_error")
    assert "'/legal_name'" in p["detail"], p
    assert a.get("/v1/entities/" + made).json()["legal_name"] == name
    assert a.get("/healthz").status_code == 200


def test_no_answer_to_any_attempt_keeps_the_intent(zones):
    """B makes the formation, and no attempt's answer comes back (the connection closes): the outcome is unknown,
    503 mass.unavailable, the intent is kept; the retry completes it with B's first entity."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Dropped Answer %s Ltd" % uuid.uuid4().hex[:8]
    before = state(a, b)
    proxy.rule("POST", "/v1/entities", MassProxy.DROP, times=-1)
    p = assert_problem(post(a, "/v1/entities", formation(name), key), 503, "mass.unavailable")
    assert "retry with the same Idempotency-Key" in p["detail"], p
    assert intent(a, key) == "in_progress"
    assert state(a, b)["b_entities"] == before["b_entities"] + 1
    assert state(a, b)["credentials"] == before["credentials"]
    proxy.clear()
    r = post(a, "/v1/entities", formation(name), key)
    assert r.status_code == 201, r.text
    assert int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_entity WHERE legal_name = '%s'" % name)) == 1
    assert state(a, b)["credentials"] == before["credentials"] + 2


def services_payment(a, b, name):
    """A payer with Rs 100,000 and a withholding account, a payee, and a Rs 20,000 payment of services between
    them (s. 153(1)(b): judged on what the payer paid the payee in the tax year): (src, wht, dst, body)."""
    auth = {"Authorization": "Bearer " + b.test_token}
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    payer, payee = new_entity(a, name + " Mills Ltd"), new_entity(a, name + " Couriers Ltd")
    src, wht, dst = [post(a, "/v1/fiscal/accounts", {"entity_id": e, "account_type": t, "currency": "PKR",
                                                     "ntn": ntn}, str(uuid.uuid4())).json()["resource"]["account_id"]
                     for e, t in ((payer, "operating"), (payer, "withholding"), (payee, "operating"))]
    assert b.post("/mass/v1/fiscal/accounts/%s/deposits" % src, headers=auth,
                  json={"amount": "100000", "currency": "PKR", "reference": "capital"}).status_code == 201
    payment = {"source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
               "amount": "20000", "currency": "PKR", "payment_type": "service_fee",
               "compliance": {"date": "2026-01-15", "counterparty": {"filer_status": "non_filer"},
                              "evidence": EVIDENCE, "withholding_account_id": wht}}
    return src, wht, dst, payment


def test_a_payment_judged_on_an_aggregate_resumes_judged_as_it_was(zones):
    """A payment of services judged on what its payer already paid the payee in the tax year (s. 153(1)(b)): B makes
    it and the answer is lost. The retry reads the aggregate without the payment its own key made at B, so it is
    judged on Rs 20,000 before, as the first attempt was, and sends the same request, which B answers with its first
    answer (one payment, withheld once); had it counted itself, B would have refused it as another request under
    the key, and the write would never be completed."""
    a, b, proxy = zones
    auth = {"Authorization": "Bearer " + b.test_token}
    src, wht, dst, payment = services_payment(a, b, "Aggregate Resume")
    first = post(a, "/v1/fiscal/payments", payment, str(uuid.uuid4()))
    assert first.status_code == 201 and first.json()["resource"]["withholding_amount"] == "0.00", first.text
    payments = int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_payment"))
    key = str(uuid.uuid4())
    proxy.rule("POST", "/v1/fiscal/payments", MassProxy.DROP, times=-1)
    assert_problem(post(a, "/v1/fiscal/payments", payment, key), 503, "mass.unavailable")
    assert intent(a, key) == "in_progress"
    assert int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_payment")) == payments + 1
    proxy.clear()
    r = post(a, "/v1/fiscal/payments", payment, key)
    assert r.status_code == 201, r.text
    res = r.json()["resource"]
    assert res["withholding_amount"] == "6000.00" and res["metadata"]["tax_aggregate"]["paid_before"] == "20000.00"
    assert r.json()["compliance"]["evaluation"]["withholding"][0]["aggregate"]["not_deducted_before"] == "20000.00"
    assert int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_payment")) == payments + 1
    balances = [b.get("/mass/v1/fiscal/accounts/%s/balance" % acc, headers=auth).json()["balance"]
                for acc in (src, wht, dst)]
    assert balances == ["60000.00", "6000.00", "34000.00"]


def test_a_treasury_that_cannot_say_what_was_paid_before_is_refused(zones):
    """The payment's withholding is judged on what the payer already paid the payee, which a remote treasury
    answers (GET .../payment-aggregate, a mez store's extension). One that does not know the route (404), or answers
    without an amount, leaves the payment unjudged: 502 mass.unexpected_answer before any money moves, nothing
    certified; with the treasury answering again, the same request is paid."""
    a, b, proxy = zones
    src, wht, dst, payment = services_payment(a, b, "Unjudged")
    proxy.clear()
    payments = int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_payment"))
    before = state(a, b)
    key = str(uuid.uuid4())
    proxy.rule("GET", "/payment-aggregate", MassProxy.answer(404, {"type": "about:blank", "title": "Not Found",
                                                                   "status": 404, "code": "mass.no_route"}))
    p = assert_problem(post(a, "/v1/fiscal/payments", payment, key), 502, "mass.unexpected_answer")
    assert "153(1)(b)" in p["detail"] and "must be a mez store" in p["detail"], p
    for answer in ({"gross_amount": "twenty thousand"}, {"payment_count": 0}, {"gross_amount": 20000}):
        proxy.rule("GET", "/payment-aggregate", MassProxy.replace(200, answer))
        p = assert_problem(post(a, "/v1/fiscal/payments", payment, key), 502, "mass.unexpected_answer")
        assert "no gross_amount in PKR" in p["detail"], (answer, p)
    assert int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_payment")) == payments
    assert dict(state(a, b), audit=before["audit"]) == before
    assert [m for m, _, _, _ in proxy.writes()] == []
    proxy.clear()
    r = post(a, "/v1/fiscal/payments", payment, key)
    assert r.status_code == 201 and r.json()["resource"]["withholding_amount"] == "0.00", r.text
    assert int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_payment")) == payments + 1


def test_a_refused_connection_or_a_4xx_refusal_frees_the_key(zones):
    """Where the write certainly was not made, the intent is forgotten and the key may carry a corrected request:
    no connection (nothing was sent), or Mass refusing the request itself (4xx)."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Refused Then Fine %s Ltd" % uuid.uuid4().hex[:8]
    before = state(a, b)
    proxy.rule("POST", "/v1/entities", MassProxy.answer(422, {"type": "about:blank", "title": "Unprocessable",
                                                                "status": 422, "code": "entity.invalid_name",
                                                                "detail": "no"}))
    assert_problem(post(a, "/v1/entities", formation(name), key), 422, "entity.invalid_name")
    assert not intent(a, key) and state(a, b) == before
    assert post(a, "/v1/entities", formation(name + " Corrected"), key).status_code == 201
    # A refusal whose problem document holds a NUL is a refusal still, with its code (the rest not passed on)...
    key, name = str(uuid.uuid4()), "Refused With A Nul %s Ltd" % uuid.uuid4().hex[:8]
    before = state(a, b)
    proxy.rule("POST", "/v1/entities", MassProxy.answer(409, {"type": "about:blank", "title": "Conflict",
                                                                "status": 409, "code": "entity.name_taken",
                                                                "detail": "taken\u0000by someone"}))
    p = assert_problem(post(a, "/v1/entities", formation(name), key), 409, "entity.name_taken")
    assert "holds a NUL" in p["detail"] and "'/detail'" in p["detail"] and "someone" not in p["detail"], p
    assert not intent(a, key) and state(a, b) == before
    assert post(a, "/v1/entities", formation(name + " Corrected"), key).status_code == 201
    # ... so that Mass's own idempotency refusal still keeps the intent (a write may exist under the key), and
    # one whose code cannot be read is no answer (502, the intent kept).
    for code, status, answered in (("idempotency.in_progress", 409, "idempotency.in_progress"),
                                   ("entity.name\u0000taken", 409, "mass.upstream_error")):
        key, name = str(uuid.uuid4()), "Refused Unreadably %s Ltd" % uuid.uuid4().hex[:8]
        proxy.rule("POST", "/v1/entities", MassProxy.answer(status, {"type": "about:blank", "title": "Conflict",
                                                                     "status": status, "code": code,
                                                                     "detail": "x\u0000y"}))
        r = post(a, "/v1/entities", formation(name), key)
        assert_problem(r, 502 if answered == "mass.upstream_error" else status, answered)
        assert intent(a, key) == "in_progress", (code, r.text)


def test_an_idempotency_refusal_of_mass_keeps_the_intent(zones):
    """A 409 idempotency.in_progress from Mass says a write under this key exists: not a refusal of the write."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Mass Busy %s Ltd" % uuid.uuid4().hex[:8]
    proxy.rule("POST", "/v1/entities", MassProxy.answer(409, {"type": "about:blank", "title": "Conflict",
                                                                "status": 409, "code": "idempotency.in_progress",
                                                                "detail": "busy"}))
    assert_problem(post(a, "/v1/entities", formation(name), key), 409, "idempotency.in_progress")
    assert intent(a, key) == "in_progress"
    assert post(a, "/v1/entities", formation(name), key).status_code == 201


def test_a_resumed_attempt_that_fails_never_forgets_the_intent(zones):
    """An earlier attempt made the formation (and the approval failed); the resumed attempt is refused outright (a
    4xx, which alone would free the key). Whatever this attempt saw, the earlier one's write exists: the intent
    stays, and the next retry completes it with B's one entity (before, the resumed attempt forgot it and the key
    was free for another request)."""
    a, b, proxy = zones
    key, name = str(uuid.uuid4()), "Resume Kept %s Ltd" % uuid.uuid4().hex[:8]
    proxy.rule("PUT", "/status", MassProxy.replace(500, {"code": "internal", "detail": "boom"}))
    assert_problem(post(a, "/v1/entities", formation(name), key), 502, "mass.upstream_error")
    assert intent(a, key) == "in_progress"
    proxy.rule("POST", "/v1/entities", MassProxy.answer(429, {"type": "about:blank", "title": "Too Many Requests",
                                                                "status": 429, "code": "rate.limited",
                                                                "detail": "later"}))
    assert_problem(post(a, "/v1/entities", formation(name), key), 429, "rate.limited")
    assert intent(a, key) == "in_progress"
    assert_problem(post(a, "/v1/entities", formation(name + " Other"), key), 422, "idempotency.key_reused")
    proxy.clear()
    r = post(a, "/v1/entities", formation(name), key)
    assert r.status_code == 201, r.text
    assert r.json()["resource"]["status"] == "ACTIVE"
    assert int(b.db.query_value("SELECT COUNT(*) FROM mez_mass_entity WHERE legal_name = '%s'" % name)) == 1


# ------------------------------------------------------------------ no transaction open across the network

def test_a_slow_approval_does_not_hold_the_zone_write_lock(zones):
    """A formation's approval (a second Mass write, PUT .../status) is made before A's completion transaction
    begins: while B takes 2.5 s to answer it, another write of A (a credential issued from A's own store) is done
    at once (within 2 s: room for a machine busy with other tests, short of the 2.5 s the wait would take). Before,
    the approval was made inside the transaction (BEGIN IMMEDIATE on SQLite): every other write of the zone waited
    for it, up to three MezMassTimeouts."""
    a, b, proxy = zones
    proxy.rule("PUT", "/status", MassProxy.delay(2.5))
    first = {}

    def formation_slowly():
        first["answer"] = post(a, "/v1/entities", formation("Slow Approval %s Ltd" % uuid.uuid4().hex[:8]),
                               str(uuid.uuid4()))
    th = threading.Thread(target=formation_slowly)
    th.start()
    deadline = time.monotonic() + 10
    while not any(m == "PUT" for m, _, _, _ in proxy.writes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(m == "PUT" for m, _, _, _ in proxy.writes()), "the approval never reached B"
    started = time.monotonic()
    r = a.post("/v1/credentials/issue", json={"credential": sample_credential()})
    took = time.monotonic() - started
    th.join()
    assert r.status_code == 201, r.text
    assert took < 2.0, "the other write waited %.2f s for the approval" % took
    assert first["answer"].status_code == 201, first["answer"].text
    assert first["answer"].json()["resource"]["status"] == "ACTIVE"

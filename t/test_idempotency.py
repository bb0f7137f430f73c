# test_idempotency.py: the Idempotency-Key header on POST /v1/credentials/issue (the reference retried
# non-idempotent POSTs and could pay twice: defect 9). A retry gets the first answer byte for byte and writes no
# second row; the key with another body is refused; a refused first request leaves the key free; concurrent
# retries of one key make one credential. Orchestrated writes: a key is the caller's on one route, in the key the
# zone derives for its Mass write too (two principals, or two paths, under one key are two requests). Both drivers.
import json
import os
import shutil
import threading
import uuid

import jsonschema
import pytest

from mez_harness import assert_problem, sample_credential, token_headers
from test_mass_client import authn_module

ISSUE = "/v1/credentials/issue"
TABLES = ("mez_credential", "mez_audit", "mez_idempotency")


def counts(zone):
    return tuple(zone.count(t) for t in TABLES)


def issue(zone, body, key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return zone.post(ISSUE, json=body, headers=headers)


def new_key():
    return "issue-" + str(uuid.uuid4())


def test_retry_answers_the_first_answer(zone):
    body = {"credential": sample_credential()}
    key = new_key()
    before = counts(zone)
    first = issue(zone, body, key)
    assert first.status_code == 201, first.text
    assert counts(zone) == (before[0] + 1, before[1] + 1, before[2] + 1)
    again = issue(zone, body, key)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert counts(zone) == (before[0] + 1, before[1] + 1, before[2] + 1)
    # The same body written differently (key order, spacing) is the same request.
    text = json.dumps({"credential": dict(reversed(list(body["credential"].items())))}, indent=2)
    third = zone.post(ISSUE, data=text, headers={"Content-Type": "application/json", "Idempotency-Key": key})
    assert third.status_code == 201 and third.content == first.content
    assert counts(zone) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_without_a_key_each_request_is_executed(zone):
    before = counts(zone)
    assert issue(zone, {"credential": sample_credential()}).status_code == 201
    assert issue(zone, {"credential": sample_credential()}).status_code == 201
    assert counts(zone) == (before[0] + 2, before[1] + 2, before[2])


def test_key_reused_for_another_body(zone):
    key = new_key()
    assert issue(zone, {"credential": sample_credential()}, key).status_code == 201
    before = counts(zone)
    r = issue(zone, {"credential": sample_credential()}, key)
    assert_problem(r, 422, "idempotency.key_reused")
    assert counts(zone) == before


def test_invalid_keys(zone):
    before = counts(zone)
    body = {"credential": sample_credential()}
    p = assert_problem(issue(zone, body, "k" * 256), 400, "idempotency.invalid_key")
    assert "not 256" in p["detail"], p
    p = assert_problem(zone.post(ISSUE, data=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", "Idempotency-Key": "caf\xe9".encode("latin-1")}),
        400, "idempotency.invalid_key")
    assert "(byte 3 is 0xe9)" in p["detail"], p
    assert counts(zone) == before
    assert issue(zone, body, "k" * 255).status_code == 201


def test_refused_first_request_leaves_the_key_free(zone):
    key = new_key()
    before = counts(zone)
    r = issue(zone, {"credential": sample_credential(issuer="did:key:z6MkNotUs")}, key)
    assert_problem(r, 422)
    assert counts(zone) == before
    # Nothing happened the first time, so the key may carry the corrected request.
    r = issue(zone, {"credential": sample_credential()}, key)
    assert r.status_code == 201, r.text
    assert counts(zone) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_concurrent_retries_make_one_credential(zone):
    body = {"credential": sample_credential()}
    key = new_key()
    before = counts(zone)
    answers = []
    lock = threading.Lock()

    def worker():
        r = issue(zone, body, key)
        with lock:
            answers.append((r.status_code, r.content))
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status == 201 for status, _ in answers), answers
    assert len({content for _, content in answers}) == 1
    assert counts(zone) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_documented_in_openapi(zone):
    with open(os.path.join(zone.env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    op = spec["paths"][ISSUE]["post"]
    params = [p.get("$ref") and spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] or p
              for p in op.get("parameters", [])]
    header = [p for p in params if p["in"] == "header" and p["name"] == "Idempotency-Key"]
    assert len(header) == 1 and header[0]["required"] is False
    assert header[0]["schema"]["minLength"] == 1 and header[0]["schema"]["maxLength"] == 255
    # Replays and refusals have the shapes the document gives.
    key = new_key()
    body = {"credential": sample_credential()}
    for r in (issue(zone, body, key), issue(zone, body, key), issue(zone, {"credential": sample_credential()}, key),
              issue(zone, body, "")):
        answer = op["responses"][str(r.status_code)]
        if "$ref" in answer:
            answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        ctype = r.headers["Content-Type"].split(";")[0].strip()
        schema = dict(answer["content"][ctype]["schema"], components=spec["components"])
        jsonschema.validate(r.json(), schema, cls=jsonschema.Draft202012Validator)


# ------------------------------------------------------------------ orchestrated writes: the Mass key's scope

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


def formation(name):
    return {"entity_type": "corporation", "legal_name": name, "compliance": {"evidence": EVIDENCE}}


@pytest.fixture(scope="module")
def pk_auth(module_zones, driver, mez_env):
    """The pk zone (its packs, the sovereign store), operators authenticated by token."""
    pk = os.path.join(mez_env.new_dir("idem-pk"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    conf = "%s\n<Location /v1>\n AuthType mez\n Require mez-role operator\n</Location>" % authn_module(mez_env)
    return module_zones(driver, name="idempk", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                        extra_conf=conf)


def orch_counts(zone):
    return tuple(zone.count(t) for t in ("mez_credential", "mez_evaluation", "mez_audit", "mez_mass_entity"))


def keyed(token, key):
    return dict(token, **{"Idempotency-Key": key})


def test_one_key_of_two_principals_is_two_requests(pk_auth):
    """Keys are scoped by principal: the zone's record is, and so is the key it derives for Mass. Before, the
    second operator's formation under the first's key was answered by the store's replay of the first entity and
    certified a second time (a second credential pair, evaluation and audit row for one write), and any other
    request of theirs under that key was refused 422 idempotency.key_reused."""
    z = pk_auth
    t1, t2 = token_headers(z, "operator"), token_headers(z, "operator")
    key, name = "order-" + str(uuid.uuid4()), "Collide Textiles %s Ltd" % uuid.uuid4().hex[:8]
    r1 = z.post("/v1/entities", json=formation(name), headers=keyed(t1, key))
    assert r1.status_code == 201, r1.text
    after = orch_counts(z)
    # The same formation by another principal is a new request: the name is taken, nothing is written.
    assert_problem(z.post("/v1/entities", json=formation(name), headers=keyed(t2, key)), 409, "entity.name_taken")
    assert orch_counts(z) == after
    # Another request of theirs under the same key is theirs to make.
    r2 = z.post("/v1/entities", json=formation(name + " Two"), headers=keyed(t2, key))
    assert r2.status_code == 201, r2.text
    assert r2.json()["id"] != r1.json()["id"]
    assert orch_counts(z) == (after[0] + 2, after[1] + 1, after[2] + 1, after[3] + 1)
    # Each principal's retry is its own first answer.
    assert z.post("/v1/entities", json=formation(name), headers=keyed(t1, key)).content == r1.content
    assert z.post("/v1/entities", json=formation(name + " Two"), headers=keyed(t2, key)).content == r2.content
    assert orch_counts(z) == (after[0] + 2, after[1] + 1, after[2] + 1, after[3] + 1)


def test_one_key_on_two_routes_is_two_requests(pk_auth):
    """Keys are scoped by route, path included: one officer appointment per entity under one key (before, the
    second was refused 422 idempotency.key_reused: the Mass key ignored the path)."""
    z = pk_auth
    t1 = token_headers(z, "operator")
    e1 = z.post("/v1/entities", json=formation("Route One %s Ltd" % uuid.uuid4().hex[:8]), headers=t1).json()["id"]
    e2 = z.post("/v1/entities", json=formation("Route Two %s Ltd" % uuid.uuid4().hex[:8]), headers=t1).json()["id"]
    key, body = "officer-" + str(uuid.uuid4()), {"name": "Sana Mir", "role": "director"}
    before = z.count("mez_credential")
    for eid in (e1, e2):
        r = z.post("/v1/entities/%s/officers" % eid, json=body, headers=keyed(t1, key))
        assert r.status_code == 201, r.text
        assert r.json()["resource"]["entity_id"] == eid
    assert z.count("mez_credential") == before + 4

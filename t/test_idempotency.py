# test_idempotency.py: the Idempotency-Key header on POST /v1/credentials/issue (the reference retried
# non-idempotent POSTs and could pay twice: defect 9). A retry gets the first answer byte for byte and writes no
# second row; the key with another body is refused; a refused first request leaves the key free; concurrent
# retries of one key make one credential. Both drivers.
import json
import os
import threading
import uuid

import jsonschema

from mez_harness import assert_problem, sample_credential

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

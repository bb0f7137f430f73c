# test_problems.py: every bad request gets the right RFC 9457 problem (application/problem+json, stable code,
# JSON pointer for body fields) and changes nothing: the mez_credential row count stays the same.
import json

import pytest

from mez_harness import assert_problem, sample_credential

POST_ENDPOINTS = ["/v1/credentials/issue", "/v1/credentials/verify", "/v1/presentations/verify"]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def unchanged(zone):
    """Asserts, after the test, that no credential row was added or removed."""
    before = zone.count("mez_credential")
    yield
    assert zone.count("mez_credential") == before, "a rejected request changed mez_credential"


def issue_body(credential=None, **extra):
    body = {"credential": credential if credential is not None else sample_credential(), "options": {}}
    body.update(extra)
    return body


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_malformed_json(zone, unchanged, path):
    r = zone.post(path, data='{"credential": {"@context": [}, "options": {}}', headers=JSON)
    assert_problem(r, 400, "json.invalid")


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_truncated_json(zone, unchanged, path):
    r = zone.post(path, data='{"credential": {"@context": [', headers=JSON)
    body = assert_problem(r, 400)
    assert body["code"] in ("json.invalid", "json.truncated"), body  # libmezcore names truncation precisely


@pytest.mark.parametrize("data", ["", "   "])
def test_empty_body(zone, unchanged, data):
    body = assert_problem(zone.post("/v1/credentials/issue", data=data, headers=JSON), 400)
    assert body["code"] in ("json.invalid", "json.truncated"), body


def test_trailing_garbage(zone, unchanged):
    r = zone.post("/v1/credentials/issue", data=json.dumps(issue_body()) + " x", headers=JSON)
    assert_problem(r, 400, "json.invalid")


def test_not_an_object(zone, unchanged):
    r = zone.post("/v1/credentials/issue", data='["credential"]', headers=JSON)
    assert r.status_code in (400, 422), r.text
    assert_problem(r, r.status_code)


def test_duplicate_key_top_level(zone, unchanged):
    cred = json.dumps(sample_credential())
    raw = '{"credential": %s, "credential": %s, "options": {}}' % (cred, cred)
    assert_problem(zone.post("/v1/credentials/issue", data=raw, headers=JSON), 400, "json.duplicate_key")


def test_duplicate_key_nested(zone, unchanged):
    raw = json.dumps(issue_body()).replace('"alumniOf"', '"id": "did:example:dup", "alumniOf"', 1)
    assert '"id"' in raw
    assert_problem(zone.post("/v1/credentials/issue", data=raw, headers=JSON), 400, "json.duplicate_key")


def _padded_body(size):
    """A valid issue request of exactly size bytes."""
    body = issue_body()
    body["credential"]["credentialSubject"]["note"] = ""
    base = len(json.dumps(body).encode())
    body["credential"]["credentialSubject"]["note"] = "x" * (size - base)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


def test_body_too_large(make_zone, driver):
    z = make_zone(driver, max_body_size=4096)
    before = z.count("mez_credential")
    assert_problem(z.post("/v1/credentials/issue", data=_padded_body(5000), headers=JSON), 413, "request.too_large")
    assert z.count("mez_credential") == before
    # chunked, without Content-Length: the limit holds while reading
    raw = _padded_body(5000)
    chunks = (raw[i:i + 1000] for i in range(0, len(raw), 1000))
    assert_problem(z.post("/v1/credentials/issue", data=chunks, headers=JSON), 413, "request.too_large")
    assert z.count("mez_credential") == before
    # just under the limit is fine, and exactly at it, chunked as well
    r = z.post("/v1/credentials/issue", data=_padded_body(4000), headers=JSON)
    assert r.status_code == 201, r.text
    assert z.count("mez_credential") == before + 1
    raw = _padded_body(4096)
    assert len(raw) == 4096
    r = z.post("/v1/credentials/issue", data=(raw[i:i + 1000] for i in range(0, len(raw), 1000)), headers=JSON)
    assert r.status_code == 201, r.text


def test_a_long_chunked_body_is_read_whole(zone, driver):
    """The body buffer is sized from Content-Length, or grows for a chunked body (from 16 KiB): one of 200 KB in
    chunks of 7,000 bytes is read whole and issued."""
    raw = _padded_body(200000)
    r = zone.post("/v1/credentials/issue", data=(raw[i:i + 7000] for i in range(0, len(raw), 7000)), headers=JSON)
    assert r.status_code == 201, r.text
    # with Content-Length the buffer grows the same way, up to the length given
    r = zone.post("/v1/credentials/issue", data=_padded_body(200001), headers=JSON)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_unsupported_media_type(zone, unchanged, path):
    r = zone.post(path, data=json.dumps(issue_body()), headers={"Content-Type": "text/plain"})
    assert_problem(r, 415, "request.unsupported_media_type")


def test_json_with_charset_is_accepted(zone):
    before = zone.count("mez_credential")
    r = zone.post("/v1/credentials/issue", data=json.dumps(issue_body()),
                  headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text
    assert zone.count("mez_credential") == before + 1


def test_unknown_field(zone, unchanged):
    body = issue_body(credentail=sample_credential())
    assert_problem(zone.post("/v1/credentials/issue", json=body), 422, "request.unknown_field", pointer="/credentail")


@pytest.mark.parametrize("path,member", [("/v1/credentials/verify", "verifiableCredential"),
                                         ("/v1/presentations/verify", "verifiablePresentation")])
def test_verify_without_a_usable_document(zone, unchanged, path, member):
    """Bad input to a verifier is a plain problem with a pointer, not a failed check, and the OpenAPI document
    says so (every answer here is validated against it)."""
    assert_problem(zone.post(path, json={}), 422, "request.missing_field", pointer="/" + member)
    assert_problem(zone.post(path, json={member: {}, "amount": 1}), 422, "request.unknown_field", pointer="/amount")


def test_missing_credential(zone, unchanged):
    assert_problem(zone.post("/v1/credentials/issue", json={"options": {}}), 422, "request.missing_field",
                   pointer="/credential")


def test_issuer_not_the_zone(zone, unchanged):
    cred = sample_credential(issuer="did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    assert_problem(zone.post("/v1/credentials/issue", json=issue_body(cred)), 422, "vc.issuer_mismatch",
                   pointer="/credential/issuer")


def test_already_signed(zone):
    r = zone.post("/v1/credentials/issue", json=issue_body())
    assert r.status_code == 201, r.text
    vc = r.json()["verifiableCredential"]
    before = zone.count("mez_credential")
    assert_problem(zone.post("/v1/credentials/issue", json=issue_body(vc)), 422, "vc.already_signed")
    assert zone.count("mez_credential") == before


def test_method_not_allowed(zone, unchanged):
    r = zone.get("/v1/credentials/issue")
    assert_problem(r, 405, "request.method_not_allowed")
    assert "POST" in r.headers.get("Allow", ""), r.headers


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_not_found(zone, unchanged, method):
    r = zone.request(method, "/v1/nope", json={} if method == "POST" else None)
    assert_problem(r, 404, "request.not_found")

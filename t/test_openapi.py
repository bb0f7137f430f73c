# test_openapi.py: /v1/openapi.json is the repository's openapi/mez.openapi.json, its schemas are valid
# JSON Schema 2020-12, and the answers of every route (success and problem) match what it documents.
import json
import os

import jsonschema
import pytest

from mez_harness import sample_credential

ROUTES = [("get", "/healthz"), ("get", "/readyz"), ("get", "/v1/zone"), ("get", "/v1/openapi.json"),
          ("get", "/v1/packs"), ("get", "/v1/packs/{digest}"), ("get", "/v1/laws/{eId}"),
          ("post", "/v1/credentials/issue"), ("post", "/v1/credentials/verify"),
          ("post", "/v1/presentations/verify")]


@pytest.fixture(scope="module")
def spec(mez_env):
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        return json.load(f)


def check(spec, method, path, resp):
    """Validates resp against the schema the document gives for (path, method, status)."""
    op = spec["paths"][path][method]
    status = str(resp.status_code)
    assert status in op["responses"], "%s %s answered %s, which the document does not list" % (method, path, status)
    answer = op["responses"][status]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    ctype = resp.headers["Content-Type"].split(";")[0].strip()
    assert ctype in answer["content"], "%s %s %s: Content-Type %s not documented" % (method, path, status, ctype)
    schema = dict(answer["content"][ctype]["schema"])
    schema["components"] = spec["components"]
    jsonschema.validate(resp.json(), schema, cls=jsonschema.Draft202012Validator)


def test_served_document_is_the_repository_one(zone, spec):
    r = zone.get("/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == spec


def test_document_lists_every_route_and_valid_schemas(spec):
    assert spec["openapi"].startswith("3.1")
    for method, path in ROUTES:
        assert method in spec["paths"][path], (method, path)
    for name, schema in spec["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_answers_match_the_document(zone, spec, mez_env):
    for method, path in ROUTES[:5]:
        check(spec, method, path, zone.get(path))
    # Without MezZoneFile there are no packs or laws (test_zone_packs.py checks a zone that has them).
    check(spec, "get", "/v1/packs/{digest}", zone.get("/v1/packs/sha256:" + "0" * 64))
    check(spec, "get", "/v1/packs/{digest}", zone.get("/v1/packs/sha256:nothex"))
    check(spec, "get", "/v1/laws/{eId}", zone.get("/v1/laws/sec_153"))
    issued = zone.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}})
    assert issued.status_code == 201, issued.text
    check(spec, "post", "/v1/credentials/issue", issued)
    vc = issued.json()["verifiableCredential"]
    ok = zone.post("/v1/credentials/verify", json={"verifiableCredential": vc})
    assert ok.status_code == 200, ok.text
    check(spec, "post", "/v1/credentials/verify", ok)
    vc["credentialSubject"]["id"] = "did:example:someone-else"
    bad = zone.post("/v1/credentials/verify", json={"verifiableCredential": vc})
    assert bad.status_code == 422
    check(spec, "post", "/v1/credentials/verify", bad)
    with open(mez_env.shared("vectors", "vc-di-eddsa", "eddsa-jcs-2022", "signedJCS.json")) as f:
        w3c = json.load(f)
    check(spec, "post", "/v1/credentials/verify", zone.post("/v1/credentials/verify", json={"verifiableCredential": w3c}))
    # Problems: malformed body, wrong type, unknown member, issuer mismatch, VP without proof.
    check(spec, "post", "/v1/credentials/issue",
          zone.post("/v1/credentials/issue", data=b"{", headers={"Content-Type": "application/json"}))
    check(spec, "post", "/v1/credentials/issue",
          zone.post("/v1/credentials/issue", data=b"{}", headers={"Content-Type": "text/plain"}))
    check(spec, "post", "/v1/credentials/issue", zone.post("/v1/credentials/issue", json={"credentail": {}}))
    check(spec, "post", "/v1/credentials/issue",
          zone.post("/v1/credentials/issue", json={"credential": sample_credential(issuer="did:key:z6MkNotUs")}))
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    check(spec, "post", "/v1/presentations/verify",
          zone.post("/v1/presentations/verify", json={"verifiablePresentation": vp}))

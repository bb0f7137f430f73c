# test_openapi_check.py: the answer check every test runs through (t/openapi_check.py, called by the harness's
# Zone.get/post/request) and the coverage of the document it checks against: every route of mod_mez's route
# table and of the orchestrated zone API is documented; the check refuses what the document does not say (a
# status, a Content-Type, a body shape, a problem inconsistent with its answer, a resource outside its Mass
# contract); the Mass contract deviations still apply to the contracts in ../shared.
import json
import os
import re

import pytest
import requests

import openapi_check


@pytest.fixture(scope="module")
def checker(mez_env):
    return openapi_check.Validator(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json"),
                                   mez_env.shared_dir)


def fake(status, body, ctype="application/json", headers=None):
    r = requests.models.Response()
    r.status_code = status
    r._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r.headers["Content-Type"] = ctype
    for k, v in (headers or {}).items():
        r.headers[k] = v
    return r


def problem(status, code, **extra):
    doc = {"type": "urn:mez:problem:" + code, "title": "x", "status": status, "code": code, "detail": "d"}
    doc.update(extra)
    return fake(status, doc, "application/problem+json")


# ------------------------------------------------------------------------------------------------ coverage

def c_routes(source_dir):
    """(method or None for any, pattern with '*' for one segment) of every route the C code serves."""
    with open(os.path.join(source_dir, "mod_mez", "mod_mez_api.c")) as f:
        api = f.read()
    table = api[api.index("static const route_t routes[]"):]
    table = table[:table.index("};")]
    out = []
    for path, method in re.findall(r'\{\s*"([^"]+)",\s*(M_GET|M_POST|ANY_METHOD)', table):
        out.append(({"M_GET": "get", "M_POST": "post"}.get(method), path))
    with open(os.path.join(source_dir, "mod_mez", "mod_mez_orchestrate.c")) as f:
        orch = f.read()
    writes = orch[orch.index("static const write_route_t writes[]"):]
    writes = writes[:writes.index("};")]
    reads = orch[orch.index("static const char *const reads[]"):]
    reads = reads[:reads.index(";")]
    out += [("post", p) for p in re.findall(r'\{\s*"(/v1/[^"]+)",\s*"[a-z_.]+"', writes)]
    out += [("get", p) for p in re.findall(r'"(/v1/[^"]+)"', reads)]
    return out


def test_every_route_is_documented(checker, mez_env):
    routes = c_routes(mez_env.source_dir)
    assert len(routes) > 40, routes
    doc = checker.spec["paths"]
    for method, pattern in routes:
        if method is None:
            continue        # a prefix the orchestrated or Mass handler routes further: covered by its own table
        if pattern.endswith("/"):
            pattern += "*"  # "/v1/packs/" serves "/v1/packs/<name>"
        sample = pattern.replace("*", "x_1")
        if pattern.startswith("/v1/tensor/"):
            sample += "/commitment"
        template = checker.match(sample)
        assert template is not None, "%s %s is served but not documented" % (method, pattern)
        assert method in doc[template], "%s %s is served but %s documents no %s" % (method, pattern, template,
                                                                                   method)
    assert checker.match("/mass/v1/entities/ent_1/status") == "/mass/v1/{path}"
    for m in ("get", "post", "put"):
        assert m in doc["/mass/v1/{path}"]


def test_operation_names_are_the_codes(checker, mez_env):
    with open(os.path.join(mez_env.source_dir, "libmezcore", "src", "orchestrate_ops.c")) as f:
        src = f.read()
    names = src[src.index("const char *const mez_orch_op_names[]"):]
    names = re.findall(r'"([a-z_.]+)"', names[:names.index("};")])
    assert sorted(names) == sorted(checker.spec["components"]["schemas"]["OperationName"]["enum"])


def test_contract_deviations_still_apply(checker, mez_env):
    """Each deviation's JSON Patch (with its test operations) applies to the contract in ../shared: a changed
    contract fails here rather than silently validating against something else."""
    import yaml
    used = {}
    for item in checker.spec["paths"].values():
        for op in item.values():
            for xc in _contracts(op, checker):
                for d in xc.get("deviations", []):
                    used.setdefault(d, set()).add(xc["file"])
    devs = checker.spec["components"]["x-mass-contract-deviations"]
    assert set(used) == {k for k in devs if k != "description"}, "a deviation is defined but never used, or not defined"
    for name, files in used.items():
        for file in files:
            with open(mez_env.shared("schemas", "mass", "apis", file)) as f:
                openapi_check.json_patch(yaml.safe_load(f), devs[name]["patch"])


def _contracts(obj, checker):
    if isinstance(obj, dict):
        if "x-mass-contract" in obj and (obj["x-mass-contract"].get("schema") or obj["x-mass-contract"].get("pointer")):
            yield obj["x-mass-contract"]
        for v in obj.values():
            yield from _contracts(v, checker)
    elif isinstance(obj, list):
        for v in obj:
            yield from _contracts(v, checker)


def test_every_contract_reference_resolves(checker):
    seen = 0
    for item in checker.spec["paths"].values():
        for xc in _contracts(item, checker):
            checker._contract_validator(xc)     # loads, patches and resolves the $ref: raises when it cannot
            seen += 1
    assert seen >= 20


# ------------------------------------------------------------------------------------------------ the check refuses

def test_the_check_refuses_what_the_document_does_not_say(checker):
    ok = {"status": "ok"}
    checker.check("GET", "/healthz", fake(200, ok))
    with pytest.raises(openapi_check.OpenApiMismatch, match="status 418 is not documented"):
        checker.check("GET", "/healthz", fake(418, ok))
    with pytest.raises(openapi_check.OpenApiMismatch, match="Content-Type"):
        checker.check("GET", "/healthz", fake(200, ok, "text/plain"))
    with pytest.raises(openapi_check.OpenApiMismatch, match="does not match the schema"):
        checker.check("GET", "/healthz", fake(200, {"status": "fine"}))
    with pytest.raises(openapi_check.OpenApiMismatch, match="not JSON"):
        checker.check("GET", "/healthz", fake(200, b"{"))
    # A problem must say its own status and name its code in its type.
    checker.check("GET", "/v1/zone", problem(503, "zone.not_configured"))
    with pytest.raises(openapi_check.OpenApiMismatch, match="status"):
        checker.check("GET", "/v1/zone", fake(503, dict(problem(503, "zone.not_configured").json(), status=500),
                                              "application/problem+json"))
    with pytest.raises(openapi_check.OpenApiMismatch, match="does not match the schema"):
        checker.check("GET", "/v1/zone", fake(503, {"title": "no code"}, "application/problem+json"))


def test_unknown_paths_and_methods_must_be_mez_problems(checker):
    checker.check("GET", "/nowhere", problem(404, "request.not_found"))
    with pytest.raises(openapi_check.OpenApiMismatch, match="matches no path"):
        checker.check("GET", "/nowhere", fake(200, {}))
    with pytest.raises(openapi_check.OpenApiMismatch, match="code must be request.not_found"):
        checker.check("GET", "/nowhere", problem(404, "mass.not_found"))
    checker.check("DELETE", "/v1/zone", fake(405, problem(405, "request.method_not_allowed").json(),
                                             "application/problem+json", {"Allow": "GET, HEAD"}))
    with pytest.raises(openapi_check.OpenApiMismatch, match="Allow"):
        checker.check("DELETE", "/v1/zone", problem(405, "request.method_not_allowed"))
    # httpd's own error page (a request refused before the handler) is not mez's: counted, not checked.
    before = openapi_check.STATS["skipped_not_mez"]
    checker.check("GET", "/v1/zone", fake(400, b"<!DOCTYPE HTML PUBLIC><title>400</title>", "text/html"))
    assert openapi_check.STATS["skipped_not_mez"] == before + 1
    with pytest.raises(openapi_check.OpenApiMismatch):
        checker.check("GET", "/v1/zone", fake(500, b"<!DOCTYPE HTML PUBLIC><title>500</title>", "text/html"))


def test_a_resource_is_checked_against_its_mass_contract(checker):
    """GET /v1/entities/{id} names the entities contract's Entity: a document the contract refuses is refused."""
    good = {"entity_id": "ent_" + "a" * 64, "entity_type": "llc", "legal_name": "X LLC", "jurisdiction_id": "pk-sifc",
            "status": "ACTIVE", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
    try:
        checker.check("GET", "/v1/entities/ent_1", fake(200, good))
    except openapi_check.OpenApiMismatch as e:
        pytest.fail("a minimal Entity was refused: %s" % e)
    with pytest.raises(openapi_check.OpenApiMismatch, match="Mass contract entities.openapi.yaml Entity"):
        checker.check("GET", "/v1/entities/ent_1", fake(200, dict(good, status="SLEEPING")))
    with pytest.raises(openapi_check.OpenApiMismatch, match="Mass contract"):
        checker.check("GET", "/v1/entities/ent_1", fake(200, dict(good, legal_name=7)))


def test_json_patch():
    doc = {"a": {"b": [1, 2, 3]}, "c": "x"}
    openapi_check.json_patch(doc, [{"op": "test", "path": "/a/b/1", "value": 2}, {"op": "remove", "path": "/a/b/1"},
                                   {"op": "add", "path": "/a/d", "value": {}}, {"op": "replace", "path": "/c",
                                                                               "value": "y"},
                                   {"op": "add", "path": "/a/b/-", "value": 9}])
    assert doc == {"a": {"b": [1, 3, 9], "d": {}}, "c": "y"}
    with pytest.raises(ValueError):
        openapi_check.json_patch(doc, [{"op": "test", "path": "/c", "value": "x"}])
    with pytest.raises(ValueError):
        openapi_check.json_patch(doc, [{"op": "replace", "path": "/missing", "value": 1}])


# ------------------------------------------------------------------------------------------------ live answers

def test_head_unknown_path_and_method_on_a_zone(zone):
    """Through the harness hook: HEAD is checked as GET without a body; an unknown path is mez's 404 problem and
    an undocumented method mez's 405 with Allow, both checked by the hook itself."""
    before = openapi_check.STATS["checked"]
    r = zone.request("HEAD", "/v1/zone")
    assert r.status_code == 200 and not r.content
    assert zone.get("/no/such/thing").status_code == 404
    r = zone.request("DELETE", "/v1/zone")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    r = zone.request("PATCH", "/v1/entities")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, POST"
    assert openapi_check.STATS["checked"] == before + 4
    zone.get("/healthz", validate=False)
    assert openapi_check.STATS["checked"] == before + 4


# ------------------------------------------------------------------------------------------------ every read

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


@pytest.fixture(scope="module")
def pk_zone(module_zones, driver, mez_env):
    import shutil
    dest = os.path.join(mez_env.new_dir("oapk"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    return module_zones(driver, zone_id="pk-sifc", zone_file=os.path.join(dest, "zone.yaml"))


def made(zone, path, body, status=201):
    r = zone.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_every_register_read_answers_as_documented(pk_zone, mez_env):
    """Records of every primitive written through the zone API, then every read route the zone serves, each answer
    checked by the harness hook against the document and, through x-mass-contract, against the Mass contracts
    (the consent ones with mez's did:key deviation)."""
    from test_mass_consent import Party
    z = pk_zone
    eid = made(z, "/v1/entities", {"entity_type": "corporation", "legal_name": "Read Everything (Pvt) Ltd",
                                   "compliance": {"evidence": EVIDENCE}})["id"]
    made(z, "/v1/ownership/cap-table", {
        "entity_id": eid, "share_classes": [{"name": "Ordinary", "authorized_shares": "1000", "currency": "PKR"}],
        "initial_holders": [{"holder_id": "h1", "holder_type": "individual", "name": "Sadia Rehman",
                             "share_class_name": "Ordinary", "shares": "10"}]})
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    acc = made(z, "/v1/fiscal/accounts", {"entity_id": eid, "account_type": "operating", "currency": "PKR",
                                          "ntn": ntn})["id"]
    keydir = mez_env.new_dir("oa-consent")
    requester, signer = Party(mez_env, keydir, "req"), Party(mez_env, keydir, "sig")
    con = made(z, "/v1/consent", {"action_type": "share_transfer", "title": "A resolution to read back",
                                  "requester_id": requester.did, "zone_id": "pk-sifc",
                                  "signatories": [{"signatory_id": signer.did, "role": "board_director"}],
                                  "threshold": {"type": "unanimous"}, "metadata": {"entity_id": eid}})["id"]
    per = made(z, "/v1/identity/persons", {"full_name": "Kamran Akmal"})["id"]
    ver = made(z, "/v1/identity/persons/%s/verifications" % per,
               {"method": "document", "result": "verified",
                "evidence": {"type": "cnic_scan", "digest": "sha256:" + "ab" * 32}})
    assert "IdentityVerificationCredential" in ver["credential"]["type"]
    before = openapi_check.STATS["checked"]
    reads = ["/v1/entities/" + eid, "/v1/entities/%s/beneficial-owners" % eid,
             "/v1/ownership/%s/cap-table" % eid, "/v1/ownership/%s/share-classes" % eid,
             "/v1/fiscal/accounts/" + acc, "/v1/fiscal/accounts/%s/ledger" % acc, "/v1/consent/" + con,
             "/v1/consent/%s/audit-trail" % con, "/v1/identity/persons/" + per, "/v1/identity/entity/" + eid]
    for path in reads:
        r = z.get(path)
        assert r.status_code == 200, (path, r.text)
    # No dissolution and no such payment: the primitive's 404 problems, documented too.
    assert z.get("/v1/entities/%s/dissolution/status" % eid).status_code == 404
    assert z.get("/v1/fiscal/payments/pay_" + "0" * 64).status_code == 404
    assert openapi_check.STATS["checked"] >= before + len(reads) + 2

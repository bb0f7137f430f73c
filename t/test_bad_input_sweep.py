# test_bad_input_sweep.py: a sweep of bad input over the zone API, beside the route-by-route tests: every write
# route of the OpenAPI document given raw bodies that are not what it takes (empty, scalars, truncated, deeply
# nested, invalid UTF-8, a NUL, a lone surrogate, duplicate members, huge numbers, oversized strings), and the
# main write bodies with each member in turn replaced by a value of the wrong kind, and every read route given
# ids and query values that do not decode to text (%ff, an overlong form, a surrogate). Every answer must be a
# problem the OpenAPI document describes (the harness validates each one), never a 5xx, and the zone must go on:
# healthy, its audit chain intact. On the shipped pk-sifc zone with its own Mass store, both drivers.
import copy
import json
import os
import re
import time

import pytest

from audit_util import audit_verify
from test_orchestrate import EVIDENCE, NTN, formation, pk_zone, zone_post  # noqa: F401 (pk_zone: a fixture)

RAW_BODIES = [
    b"", b"{}", b"[]", b"null", b"1", b'"x"', b'{"a":', b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000, b'{"legal_name":"\xff\xfe"}', b'{"amount": 1e400}', b'{"amount": -0}',
    b'{"amount": 123456789012345678901234567890}', b'{"legal_name":"a\\u0000b"}', b'{"legal_name":"\\ud800"}',
    b'{"x":1,"x":2}', b'{"\\u0000":1}', b'{"legal_name":"' + b"A" * 200000 + b'"}',
    b'{"entity_type":["corporation"],"legal_name":{"a":1}}', b'{"compliance":[]}',
    b'{"compliance":{"date":"2026-02-30"}}', b'{"amount":"1.001"}', b'{"amount":"NaN"}',
    b'{"source_account_id":"../../etc","destination":{"type":"internal_account","account_id":"%00"}}',
    b'{"directors":' + b"[" + b",".join([b'{"name":"x"}'] * 2000) + b"]}",
]
WRONG_VALUES = [None, 0, -1, 1.5, 1e308, True, [], {}, "", "x" * 70000, "a\u0000b", "\ud800", "../../x", "%00",
                [[[[[[[[[[]]]]]]]]]], {"a": {"b": {"c": {}}}}, "-1", "0", "99999999999999999999999", "1e3", " 10",
                "2026-13-01", "PKR\u202e"]
# Ids and query values: escapes that decode to bytes that are not UTF-8 (a single 0xff, an overlong '/', a
# surrogate), a right-to-left override, a long id. PostgreSQL refuses the first three as text: they must be
# answered as the client's mistake before they get there, not as 503 db.error.
PATH_VALUES = ["%ff", "%c0%af", "%ed%a0%80", "%E2%80%AE", "A" * 5000]
# What a write keeps: none of it may change for a refused request.
KEPT = ["mez_mass_entity", "mez_mass_account", "mez_mass_payment", "mez_mass_consent", "mez_mass_person",
        "mez_credential", "mez_evaluation", "mez_audit", "mez_idempotency", "mez_corridor"]
# Answers that are not about the body: this zone has no corridor graph.
NOT_ABOUT_THE_BODY = {"manifold.not_configured"}


def write_routes(zone):
    with open(os.path.join(zone.env.source_dir, "openapi", "mez.openapi.json")) as f:
        doc = json.load(f)
    for path, ops in doc["paths"].items():
        for method in ops:
            if method in ("post", "put", "patch", "delete"):
                yield method.upper(), path


def check(answer, what, refused):
    """No 5xx but the few that are not about the body; the harness has already validated the answer against the
    OpenAPI document (a mismatch raised)."""
    if answer.status_code >= 500:
        code = answer.json().get("code") if "json" in answer.headers.get("Content-Type", "") else None
        if code not in NOT_ABOUT_THE_BODY:
            refused.append("%s -> %d %s" % (what, answer.status_code, answer.text[:300]))


# The zone's own Mass store: with a remote one the answers are the same problems, passed through over HTTP.
SOVEREIGN = pytest.mark.parametrize("pk_zone", ["sovereign"], indirect=True)


@SOVEREIGN
def test_raw_bodies_on_every_write_route(pk_zone):
    """None of these bodies is one any route takes: every answer is a refusal, and nothing is written (no
    record of any kind, no audit row, no Idempotency-Key kept)."""
    z, refused = pk_zone, []
    before = {t: z.count(t) for t in KEPT}
    for method, path in write_routes(z):
        concrete = re.sub(r"\{[^}]+\}", "ent_" + "0" * 64, path)
        for n, body in enumerate(RAW_BODIES):
            r = z.request(method, concrete, data=body, headers={"Content-Type": "application/json",
                                                                 "Idempotency-Key": "sweep-%s-%d" % (path, n)})
            check(r, "%s %s %r" % (method, path, body[:40]), refused)
            if r.status_code < 400:
                refused.append("%s %s %r -> %d: taken" % (method, path, body[:40], r.status_code))
    assert not refused, "\n".join(refused[:20])
    assert {t: z.count(t) for t in KEPT} == before
    assert z.get("/healthz").status_code == 200
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr


@SOVEREIGN
def test_ids_and_queries_that_are_not_text(pk_zone):
    z, refused = pk_zone, []
    with open(os.path.join(z.env.source_dir, "openapi", "mez.openapi.json")) as f:
        doc = json.load(f)
    for path, ops in doc["paths"].items():
        if "get" not in ops:
            continue
        queries = [q["name"] for q in ops["get"].get("parameters", []) if isinstance(q, dict) and q.get("in") == "query"]
        for value in PATH_VALUES:
            concrete = re.sub(r"\{[^}]+\}", value, path)
            if concrete != path:
                check(z.get(concrete), "GET " + concrete[:120], refused)
            for q in queries:
                check(z.get("%s?%s=%s" % (re.sub(r"\{[^}]+\}", "x", path), q, value)),
                      "GET %s?%s=%s" % (path, q, value[:20]), refused)
    assert not refused, "\n".join(refused[:20])
    # What such an answer says: no resource there, the path as sent (the problem is JSON, so UTF-8).
    r = z.get("/v1/fiscal/accounts/%ff")
    body = r.json()
    assert r.status_code == 404 and body["code"] == "request.not_found", r.text
    assert body["instance"] == "/v1/fiscal/accounts/%ff"
    r = z.get("/v1/tensor/pk-sifc/commitment?subject=%ed%a0%80")
    assert r.status_code == 400 and r.json()["code"] == "request.invalid_query", r.text
    r = z.post("/mass/v1/entities", json={"entity_type": "llc", "legal_name": "Keyed Looms"},
               headers={"Idempotency-Key": b"\xff"})
    assert r.status_code == 400 and r.json()["code"] == "idempotency.invalid_key", r.text
    assert z.get("/healthz").status_code == 200


def members(v, at=()):
    """Every place in a document, the root included, as a path of keys and indexes."""
    yield at
    if isinstance(v, dict):
        for k, x in v.items():
            yield from members(x, at + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from members(x, at + (i,))


def replaced(body, at, value):
    if not at:
        return value
    b = copy.deepcopy(body)
    t = b
    for k in at[:-1]:
        t = t[k]
    t[at[-1]] = value
    return b


@SOVEREIGN
def test_each_member_of_the_wrong_kind(pk_zone):
    z, refused = pk_zone, []
    payer = zone_post(z, "/v1/entities", formation("Sweep Traders (Pvt) Ltd", EVIDENCE))["id"]
    payee = zone_post(z, "/v1/entities", formation("Sweep Consulting (Pvt) Ltd", EVIDENCE))["id"]
    acct = {"entity_id": payer, "account_type": "operating", "currency": "PKR", "ntn": NTN}
    src = zone_post(z, "/v1/fiscal/accounts", acct)["resource"]["account_id"]
    wht = zone_post(z, "/v1/fiscal/accounts", dict(acct, account_type="withholding"))["resource"]["account_id"]
    dst = zone_post(z, "/v1/fiscal/accounts", dict(acct, entity_id=payee))["resource"]["account_id"]
    r = z.post("/mass/v1/fiscal/accounts/%s/deposits" % src, json={"amount": "5000000", "currency": "PKR",
                                                                    "reference": "capital"})
    assert r.status_code == 201, r.text
    payment = {"source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
               "amount": "100", "currency": "PKR", "payment_type": "service_fee",
               "compliance": {"date": "2026-01-15", "subject": {"filer_status": "filer"},
                              "counterparty": {"filer_status": "non_filer"}, "withholding_account_id": wht,
                              "evidence": EVIDENCE}}
    cap = zone_post(z, "/v1/ownership/cap-table", {
        "entity_id": payer,
        "share_classes": [{"name": "Ordinary", "authorized_shares": "1000", "par_value": "10", "currency": "PKR"}],
        "initial_holders": [{"holder_id": "founder", "holder_type": "individual", "name": "Nadia Hussain",
                             "share_class_name": "Ordinary", "shares": "500"}]})
    share_class = cap["resource"]["share_classes"][0]["share_class_id"]
    licence = zone_post(z, "/v1/licences", {"entity_id": payee, "licence_type": "pk-secp:private-limited-company"})
    person = zone_post(z, "/v1/identity/persons", {"full_name": "Zara Khan",
                                                   "identifiers": [{"scheme": "cnic", "value": "3520212345671"}]})
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cases = [
        ("/v1/entities", formation("Sweep Mills %d (Pvt) Ltd", EVIDENCE)),
        ("/v1/ownership/%s/issuances" % payer, {"share_class_id": share_class, "holder_id": "bilal",
                                                "holder_type": "individual", "name": "Bilal Ahmed", "shares": "1",
                                                "price_per_share": "10"}),
        ("/v1/ownership/transfers", {"entity_id": payer, "share_class_id": share_class, "from_holder_id": "founder",
                                     "to_holder_id": "buyer", "to_holder_type": "individual",
                                     "to_holder_name": "Omar Farooq", "shares": "1", "transfer_price_per_share": "15",
                                     "currency": "PKR", "transfer_date": now[:10]}),
        ("/v1/consent", {"action_type": "share_transfer", "title": "Approve a transfer",
                         "requester_id": "did:example:req", "zone_id": "pk-sifc",
                         "signatories": [{"signatory_id": "did:example:d1", "role": "board_director"}],
                         "threshold": {"type": "unanimous"}, "metadata": {"entity_id": payer}}),
        ("/v1/identity/persons", {"full_name": "Sana Mir", "identifiers": [{"scheme": "cnic",
                                                                              "value": "3520298765431"}]}),
        ("/v1/identity/persons/%s/verifications" % person["id"], {"scheme": "cnic", "value": "3520212345671"}),
        ("/v1/licences/%s/review" % licence["id"], {"compliance": {"evidence": EVIDENCE}}),
        ("/v1/entities/%s/dissolution" % payee, {
            "dissolution_type": "voluntary", "reason": "members resolved to wind up",
            "liquidator": {"name": "Insolvency Partners", "identity_ref": "did:example:liq"},
            "solvency_declaration": {"declared_solvent": True,
                                     "directors_signing": [{"identity_ref": "did:example:d1", "signed_at": now}],
                                     "statement_of_assets": {"total_assets": "500000", "total_liabilities": "150000",
                                                             "currency": "PKR"}}}),
        ("/v1/fiscal/payments", payment),
        ("/v1/fiscal/accounts", acct),
        ("/v1/licences", {"entity_id": payer, "licence_type": "pk-secp:private-limited-company"}),
        ("/v1/ownership/cap-table", {
            "entity_id": payee,
            "share_classes": [{"name": "Ordinary", "authorized_shares": "1000", "par_value": "10", "currency": "PKR"}],
            "initial_holders": [{"holder_id": "a", "holder_type": "individual", "name": "Ayesha Siddiqui",
                                 "share_class_name": "Ordinary", "shares": "600"}]}),
        ("/v1/entities/%s/officers" % payer, {"name": "Bilal Ahmed", "role": "director"}),
        ("/v1/entities/%s/status" % payer, {"target_status": "SUSPENDED", "reason": "sweep"}),
        ("/mass/v1/entities", {"entity_type": "llc", "legal_name": "Sweep Direct %d"}),
        ("/mass/v1/fiscal/accounts/%s/deposits" % src, {"amount": "1", "currency": "PKR", "reference": "sweep"}),
        ("/v1/compliance/evaluate", {"action_type": "payment", "jurisdiction": "pk-sifc", "preview": True,
                                     "subject": {"id": payer}}),
    ]
    n = 0
    for path, body in cases:
        for at in list(members(body)):
            for value in WRONG_VALUES:
                b = replaced(body, at, value)
                if isinstance(b, dict) and "%d" in str(b.get("legal_name")):
                    b["legal_name"] = b["legal_name"] % n    # a name not yet taken, where it is still a name
                n += 1
                check(z.post(path, json=b), "POST %s with %s = %r" % (path, "/".join(map(str, at)), value)[:200],
                      refused)
    assert not refused, "\n".join(refused[:20])
    assert z.get("/healthz").status_code == 200
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr

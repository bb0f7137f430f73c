# test_evaluations.py: what a regulator reads of a zone's decisions and its audit trail, on the pk-sifc zone with
# the shipped policy. GET /v1/evaluations lists the recorded evaluations newest first (decision=non_compliant:
# what the zone refused), GET /v1/evaluations/{seq} gives one with the evaluation it committed to (its canonical
# JSON hashes to the record's digest), GET /v1/audit/rows the audit chain's rows up to its head, the rows `mez
# audit show` prints, linked. Bad query parameters are refused with a problem naming the parameter.
import hashlib

import pytest
from audit_util import audit_rows
from mez_harness import assert_problem, jcs, pk_zone_file, policy_conf, proscribed_name, token_headers

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    zone = module_zones(driver, name="evals", zone_id="pk-sifc", zone_file=pk_zone_file(mez_env, "evals"),
                        extra_conf=policy_conf(mez_env))
    op = token_headers(zone, "operator")
    formed = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": "Ravi Looms Ltd",
                                             "compliance": {"evidence": EVIDENCE}}, headers=op)
    assert formed.status_code == 201, formed.text
    refused = zone.post("/v1/entities", json={"entity_type": "corporation",
                                              "legal_name": proscribed_name(mez_env) + " Textiles",
                                              "compliance": {"evidence": EVIDENCE}}, headers=op)
    assert_problem(refused, 422, "compliance.sanctions_hard_block")
    return {"zone": zone, "op": op, "reg": token_headers(zone, "regulator"), "entity": formed.json()["id"],
            "refused": refused.json()}


def test_a_regulator_reads_the_refusals_with_their_law(world):
    zone, reg = world["zone"], world["reg"]
    r = zone.get("/v1/evaluations?decision=non_compliant", headers=reg)
    assert r.status_code == 200, r.text
    records = r.json()["evaluations"]
    assert records and all(e["decision"] == "non_compliant" for e in records)
    newest = records[0]
    assert newest["action_type"] == "entity.formation"
    assert "evaluation" not in newest and "attestation_digest" not in newest
    one = zone.get("/v1/evaluations/%d" % newest["seq"], headers=reg)
    assert one.status_code == 200, one.text
    body = one.json()
    assert {k: v for k, v in body.items() if k != "evaluation"} == newest
    ev = body["evaluation"]
    # The record is the evaluation the 422 answered (its digest), and the body hashes to that digest.
    refused = world["refused"]["compliance"]
    assert body["digest"] == refused["evaluation_digest"] and body["commitment"] == refused["commitment"]
    assert "sha256:" + hashlib.sha256(jcs(ev)).hexdigest() == body["digest"]
    assert ev["decision"] == "non_compliant" and ev["operation"]
    sanctions = ev["evaluation"]["domains"]["sanctions"]
    assert sanctions["state"] == "non_compliant"
    [hit] = [x for x in sanctions["reasons"] if x["code"] == "sanctions_match"]
    assert hit["hard_block"] is True and hit["list"]["title"].startswith("Proscribed organisations")
    assert isinstance(ev["screenings"], list)


def test_an_approval_names_its_entity_and_attestation(world):
    zone, reg = world["zone"], world["reg"]
    r = zone.get("/v1/evaluations?subject_id=%s" % world["entity"], headers=reg)
    assert r.status_code == 200, r.text
    [rec] = r.json()["evaluations"]
    assert rec["decision"] == "compliant" and rec["subject_id"] == world["entity"]
    assert rec["attestation_digest"].startswith("sha256:")
    assert "next_before" not in r.json()
    only = zone.get("/v1/evaluations?decision=compliant&action_type=entity.formation", headers=reg).json()
    assert rec["seq"] in [e["seq"] for e in only["evaluations"]]
    assert all(e["action_type"] == "entity.formation" and e["decision"] == "compliant" for e in only["evaluations"])
    none = zone.get("/v1/evaluations?action_type=no_such_operation", headers=world["op"])
    assert none.status_code == 200 and none.json() == {"evaluations": []}


def test_pages_walk_back_without_gaps(world):
    zone, reg = world["zone"], world["reg"]
    everything = [e["seq"] for e in zone.get("/v1/evaluations?limit=500", headers=reg).json()["evaluations"]]
    assert len(everything) >= 2 and everything == sorted(everything, reverse=True)
    walked, before = [], None
    while True:
        page = zone.get("/v1/evaluations?limit=1" + ("&before=%d" % before if before else ""), headers=reg).json()
        walked += [e["seq"] for e in page["evaluations"]]
        if "next_before" not in page:
            break
        before = page["next_before"]
        assert len(walked) <= len(everything)
    assert walked == everything


@pytest.mark.parametrize("query,pointer,code", [
    ("decision=refused", "/decision", "request.invalid_parameter"),
    ("limit=0", "/limit", "request.invalid_parameter"),
    ("limit=501", "/limit", "request.invalid_parameter"),
    ("limit=ten", "/limit", "request.invalid_parameter"),
    ("before=-3", "/before", "request.invalid_parameter"),
    ("before=007", "/before", "request.invalid_parameter"),
    ("before=%207", "/before", "request.invalid_parameter"),
    ("before=99999999999999999999", "/before", "request.invalid_parameter"),
    ("subject_id=", "/subject_id", "request.invalid_parameter"),
    ("subject_id=%ff", "/subject_id", "request.invalid_parameter"),
    ("subject_id=a%0ab", "/subject_id", "request.invalid_parameter"),
    ("decision=compliant&decision=non_compliant", "/decision", "request.invalid_parameter"),
    ("verdict=denied", "/verdict", "request.unknown_parameter"),
    ("decision", "/decision", "request.invalid_parameter"),
])
def test_bad_list_queries_are_named(world, query, pointer, code):
    r = world["zone"].get("/v1/evaluations?" + query, headers=world["reg"])
    assert_problem(r, 400, code, pointer=pointer)


def test_one_record_that_is_not_there(world):
    zone, reg = world["zone"], world["reg"]
    for seq in ("999999999", "0", "abc", "-1", "1e3", "99999999999999999999"):
        assert_problem(zone.get("/v1/evaluations/" + seq, headers=reg), 404, "evaluation.not_found")
    r = zone.post("/v1/evaluations", json={}, headers=world["op"])
    assert_problem(r, 405, "request.method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_audit_rows_are_the_chain_up_to_its_head(world):
    zone, reg = world["zone"], world["reg"]
    r = zone.get("/v1/audit/rows", headers=reg)
    assert r.status_code == 200, r.text
    doc = r.json()
    rows, head = doc["rows"], doc["head"]
    assert rows and doc["beyond_head"] == 0 and "next_from" not in doc
    assert rows[-1]["seq"] == head["seq"] and rows[-1]["hash"] == head["hash"]
    # The rows `mez audit show` prints from the database, and linked one to the next.
    assert rows == audit_rows(zone, rows[0]["seq"])
    for a, b in zip(rows, rows[1:]):
        assert b["seq"] == a["seq"] + 1 and b["prev_hash"] == a["hash"]
    actions = [row["action"] for row in rows]
    assert "entity.formation" in actions or any(a.startswith("entity") for a in actions), actions
    first = zone.get("/v1/audit/rows?from=1&limit=2", headers=world["op"]).json()
    assert [row["seq"] for row in first["rows"]] == [1, 2] and first["next_from"] == 3
    assert first["rows"] == rows[:2] if rows[0]["seq"] == 1 else True
    last = zone.get("/v1/audit/rows?limit=1", headers=reg).json()
    assert [row["seq"] for row in last["rows"]] == [head["seq"]]
    past = zone.get("/v1/audit/rows?from=%d" % (head["seq"] + 50), headers=reg).json()
    assert past["rows"] == [] and past["head"]["seq"] >= head["seq"]


@pytest.mark.parametrize("query,pointer,code", [
    ("from=0", "/from", "request.invalid_parameter"),
    ("limit=501", "/limit", "request.invalid_parameter"),
    ("from=x", "/from", "request.invalid_parameter"),
    ("seq=1", "/seq", "request.unknown_parameter"),
])
def test_bad_audit_queries_are_named(world, query, pointer, code):
    assert_problem(world["zone"].get("/v1/audit/rows?" + query, headers=world["reg"]), 400, code, pointer=pointer)


def test_entities_and_watchers_read_neither(world):
    zone = world["zone"]
    for role, entity in (("entity", world["entity"]), ("watcher", None)):
        h = token_headers(zone, role, entity)
        for path in ("/v1/evaluations", "/v1/evaluations/1", "/v1/audit/rows"):
            assert_problem(zone.get(path, headers=h), 403, "auth.forbidden_role")
    assert_problem(zone.get("/v1/evaluations"), 401)

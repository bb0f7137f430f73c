# test_sanctions_clearance.py: screening clearances on the pk-sifc zone with the UN consolidated list imported (as
# `mez deploy` does) and the shipped policy. Common names are listed aliases ("Abdul Rahman", "Muhammad Yusuf"):
# a director or person of that name is a hard block until an operator or regulator records, with reasons, that
# the name in this file is not that entry, and a second principal approves it (four eyes, MezClearanceApprovers);
# the retried request then passes, citing the clearance, while the same name in any other file still blocks.
# Clearances expire and are revoked, never edited; every create, approval and revoke has its audit row, and every
# bad request is refused with nothing written.
import os
import shutil

import pytest
import yaml

from mez_harness import assert_problem, run, token_headers

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
UN_PACK = "un-consolidated-2026-02-27"
ABDUL_RAHMAN = UN_PACK + "/qdi-057"     # listed name "Abdul Rahman" (exact), QDi.057
MUHAMMAD_YUSUF = UN_PACK + "/tai-107"   # listed name "Muhammad Yusuf" (exact), TAi.107


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    xml = mez_env.shared("data", "sanctions", "un-consolidated.xml")
    if not os.path.exists(xml):
        pytest.skip("%s is not there" % xml)
    pk = os.path.join(mez_env.new_dir("clear"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out",
                     os.path.join(pk, "regpacks", "un-consolidated.yaml"), xml)
    assert cp.returncode == 0, cp.stderr
    zone_file = os.path.join(pk, "zone.yaml")
    with open(zone_file) as f:
        z = yaml.safe_load(f)
    z["packs"]["regpacks"].append("regpacks/un-consolidated.yaml")
    with open(zone_file, "w") as f:
        yaml.safe_dump(z, f)
    cp = mez_env.mez("lock", "--profile-dir", os.path.join(mez_env.source_dir, "profiles"), "--akn-xsd",
                     mez_env.shared("schemas", "akn", "akomantoso30.xsd"), zone_file)
    assert cp.returncode == 0, cp.stderr
    policy = "LoadModule authn_core_module %s\nInclude %s" % (
        os.path.join(mez_env.httpd_modules, "mod_authn_core.so"),
        os.path.join(mez_env.source_dir, "conf", "mez-policy.conf"))
    zone = module_zones(driver, name="clear", zone_id="pk-sifc", zone_file=zone_file, extra_conf=policy)
    return {"zone": zone, "op": token_headers(zone, "operator"), "reg": token_headers(zone, "regulator"),
            "zone_file": zone_file,
            "policy": policy}


def counts(zone):
    return {t: zone.count(t) for t in ("mez_screening_clearance", "mez_audit", "mez_mass_entity", "mez_credential")}


def formation(world, legal_name, director):
    body = {"entity_type": "corporation", "legal_name": legal_name, "compliance": {"evidence": EVIDENCE},
            "directors": [{"name": "Ayesha Siddiqui", "role": "director"}, {"name": director, "role": "director"}]}
    return world["zone"].post("/v1/entities", json=body, headers=world["op"])


def hit_of(problem, pointer):
    """The sanctions_match reason of the screening at pointer in a 422 hard block."""
    [s] = [s for s in problem["compliance"]["screenings"] if s["pointer"] == pointer]
    assert s["state"] == "non_compliant", s
    [r] = [r for r in s["reasons"] if r["code"] == "sanctions_match"]
    return r


def propose(world, hit, name, headers=None, **extra):
    body = {"context_id": hit["clearance_context"], "name": name, "entry": hit["rule"],
            "reason": "Date of birth 1988-04-02 and CNIC 42101-1234567-1 checked against NADRA; the listed "
                      "individual was born in 1965 and is not a Pakistani national."}
    body.update(extra)
    return world["zone"].post("/v1/sanctions/clearances", json=body, headers=headers or world["op"])


def clear(world, hit, name, headers=None):
    """Proposed by one principal (the operator unless headers say otherwise), approved by the other."""
    by = headers or world["op"]
    r = propose(world, hit, name, headers=by)
    assert r.status_code == 201, r.text
    other = world["reg"] if by is world["op"] else world["op"]
    r = world["zone"].post("/v1/sanctions/clearances/%s/approve" % r.json()["clearance_id"], json={},
                           headers=other)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active"
    return r.json()


def test_a_common_name_blocks_until_cleared_then_only_in_its_own_file(world):
    zone = world["zone"]
    before = counts(zone)
    p = assert_problem(formation(world, "Rahman Weaving (Pvt) Ltd", "Abdul Rahman"), 422,
                       "compliance.sanctions_hard_block")
    hit = hit_of(p, "/directors/1/name")
    assert hit["rule"] == ABDUL_RAHMAN and hit["hard_block"] is True
    assert hit["clearance_context"].startswith("urn:mez:application:")

    r = propose(world, hit, "Abdul Rahman")
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["status"] == "proposed" and c["approvals_required"] == 2 and "approved" not in c
    assert c["entry"] == ABDUL_RAHMAN and c["context_id"] == hit["clearance_context"]
    assert c["name_normalised"] == "abdul rahman" and c["cleared_by"] and c["clearance_id"].startswith("clr_")
    assert r.headers["Location"] == "/v1/sanctions/clearances/" + c["clearance_id"]
    assert zone.get(r.headers["Location"], headers=world["reg"]).json() == c
    # Proposed is not yet cleared; whoever proposed it cannot approve it.
    assert_problem(formation(world, "Rahman Weaving (Pvt) Ltd", "Abdul Rahman"), 422,
                   "compliance.sanctions_hard_block")
    audit = zone.count("mez_audit")
    assert_problem(zone.post(r.headers["Location"] + "/approve", json={}, headers=world["op"]), 409,
                   "clearance.self_approval")
    assert zone.count("mez_audit") == audit
    a = zone.post(r.headers["Location"] + "/approve", json={}, headers=world["reg"])
    assert a.status_code == 200, a.text
    c = a.json()
    assert c["status"] == "active" and c["approved"]["by"] and c["approved"]["by"] != c["cleared_by"]
    assert_problem(zone.post(r.headers["Location"] + "/approve", json={}, headers=world["reg"]), 409,
                   "clearance.not_proposed")
    assert zone.get(r.headers["Location"], headers=world["op"]).json() == c
    rows = zone.db.query_value("SELECT COUNT(*) FROM mez_audit WHERE resource_id = '%s' AND action IN "
                               "('sanctions.clearance.create', 'sanctions.clearance.approve')" % c["clearance_id"])
    assert rows == "2"

    # The same request now passes; what it relied on is in the evaluation it recorded.
    r = formation(world, "Rahman Weaving (Pvt) Ltd", "Abdul Rahman")
    assert r.status_code == 201, r.text
    doc = zone.db.query_value("SELECT body FROM mez_evaluation WHERE subject_id = '%s' ORDER BY seq DESC LIMIT 1"
                              % r.json()["id"]) or ""
    assert c["clearance_id"] in doc and "sanctions_match_cleared" in doc
    after = counts(zone)
    assert after["mez_mass_entity"] == before["mez_mass_entity"] + 1
    assert after["mez_screening_clearance"] == before["mez_screening_clearance"] + 1

    # The same director in another company's file is screened, and blocked, on its own.
    p = assert_problem(formation(world, "Another Loom (Pvt) Ltd", "Abdul Rahman"), 422,
                       "compliance.sanctions_hard_block")
    assert hit_of(p, "/directors/1/name")["clearance_context"] != hit["clearance_context"]


def test_a_person_is_cleared_for_the_documents_reviewed(world):
    zone = world["zone"]
    person = {"full_name": "Muhammad Yusuf", "date_of_birth": "1990-07-14",
              "identifiers": [{"scheme": "cnic", "value": "35202-7654321-9", "issuing_country": "PK"}]}
    p = assert_problem(zone.post("/v1/identity/persons", json=person, headers=world["op"]), 422,
                       "compliance.sanctions_hard_block")
    hit = hit_of(p, "/full_name")
    assert hit["rule"] == MUHAMMAD_YUSUF
    assert clear(world, hit, "Muhammad Yusuf", headers=world["reg"])["cleared_by"]
    r = zone.post("/v1/identity/persons", json=person, headers=world["op"])
    assert r.status_code == 201, r.text
    # Another Muhammad Yusuf (another date of birth, no documents) is not covered by that review.
    other = {"full_name": "Muhammad Yusuf", "date_of_birth": "1965-01-01"}
    assert_problem(zone.post("/v1/identity/persons", json=other, headers=world["op"]), 422,
                   "compliance.sanctions_hard_block")


def test_revoked_and_expired_clearances_block_again(world):
    zone = world["zone"]
    hit = hit_of(assert_problem(formation(world, "Revocable Mills Ltd", "Abdul Rahman"), 422), "/directors/1/name")
    c = clear(world, hit, "Abdul Rahman")
    assert formation(world, "Revocable Mills Ltd", "Abdul Rahman").status_code == 201

    # Revoked (by a regulator): the next request of that file blocks again; a second revoke is a conflict.
    audit = zone.count("mez_audit")
    r = zone.post("/v1/sanctions/clearances/%s/revoke" % c["clearance_id"], headers=world["reg"],
                  json={"reason": "the applicant's CNIC was found to be forged"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revoked"]["reason"].endswith("forged")
    assert zone.count("mez_audit") == audit + 1
    assert_problem(zone.post("/v1/sanctions/clearances/%s/revoke" % c["clearance_id"], headers=world["op"],
                             json={"reason": "again"}), 409, "clearance.revoked")
    assert_problem(zone.post("/v1/sanctions/clearances/%s/approve" % c["clearance_id"], headers=world["op"],
                             json={}), 409, "clearance.revoked")
    assert zone.count("mez_audit") == audit + 1
    officer = {"name": "Abdul Rahman", "role": "secretary"}
    entity = zone.db.query_value("SELECT entity_id FROM mez_mass_entity WHERE doc LIKE '%Revocable Mills Ltd%'")
    assert_problem(zone.post("/v1/entities/%s/officers" % entity, json=officer, headers=world["op"]), 422,
                   "compliance.sanctions_hard_block")

    # Expired: recorded for the entity itself, then run out.
    p = assert_problem(zone.post("/v1/entities/%s/officers" % entity, json=officer, headers=world["op"]), 422)
    hit = hit_of(p, "/name")
    assert hit["clearance_context"] == entity
    c2 = clear(world, hit, "Abdul Rahman")
    r = zone.post("/v1/entities/%s/officers" % entity, json=officer, headers=world["op"])
    assert r.status_code == 201, r.text
    zone.db.execute("UPDATE mez_screening_clearance SET expires_at = '2026-01-01T00:00:00Z' WHERE clearance_id = "
                    "'%s'" % c2["clearance_id"])
    assert zone.get("/v1/sanctions/clearances/" + c2["clearance_id"], headers=world["op"]).json()["status"] == "expired"
    assert_problem(zone.post("/v1/entities/%s/officers" % entity, json=officer, headers=world["op"]), 422,
                   "compliance.sanctions_hard_block")

    listed = zone.get("/v1/sanctions/clearances?status=all&context_id=" + entity, headers=world["reg"]).json()
    assert [x["clearance_id"] for x in listed["clearances"]] == [c2["clearance_id"]]
    active = zone.get("/v1/sanctions/clearances", headers=world["reg"]).json()["clearances"]
    assert c["clearance_id"] not in [x["clearance_id"] for x in active]
    assert c2["clearance_id"] not in [x["clearance_id"] for x in active]


def test_an_entity_cannot_clear_its_own_hits(world):
    zone = world["zone"]
    entity = zone.db.query_value("SELECT entity_id FROM mez_mass_entity LIMIT 1")
    before = counts(zone)
    r = zone.post("/v1/sanctions/clearances", headers=token_headers(zone, "entity", entity),
                  json={"context_id": entity, "name": "Abdul Rahman", "entry": ABDUL_RAHMAN, "reason": "it is me"})
    assert_problem(r, 403)
    assert_problem(zone.get("/v1/sanctions/clearances", headers=token_headers(zone, "watcher")), 403)
    after = counts(zone)
    # The audit has the two tokens made for the test, and nothing else is written.
    assert after.pop("mez_audit") == before.pop("mez_audit") + 2
    assert after == before
    assert zone.db.query_value("SELECT COUNT(*) FROM (SELECT action FROM mez_audit ORDER BY seq DESC LIMIT 2) x "
                               "WHERE action LIKE 'token.%'") == "2"


GOOD = {"context_id": "urn:mez:application:" + "ab" * 32, "name": "Abdul Rahman", "entry": ABDUL_RAHMAN,
        "reason": "checked"}


@pytest.mark.parametrize("change,status,code,pointer", [
    ({"reason": None}, 422, "request.missing_field", "/reason"),
    ({"context_id": None}, 422, "request.missing_field", "/context_id"),
    ({"bogus": 1}, 422, "request.unknown_field", "/bogus"),
    ({"name": 7}, 422, "request.invalid_type", "/name"),
    ({"reason": "   "}, 422, "request.empty_value", "/reason"),
    ({"reason": "line\x07bell"}, 422, "request.invalid_characters", "/reason"),
    ({"reason": "x" * 4001}, 422, "request.too_long", "/reason"),
    ({"context_id": "c" * 256}, 422, "request.too_long", "/context_id"),
    ({"name": "Ayesha Siddiqui"}, 422, "clearance.no_match", "/entry"),
    ({"entry": UN_PACK + "/qdi-999"}, 422, "clearance.no_match", "/entry"),
    ({"name": "-- ..."}, 422, "request.unscreenable_name", "/name"),
    ({"expires_at": "2020-01-01T00:00:00Z"}, 422, "clearance.expires_in_past", "/expires_at"),
    ({"expires_at": "2099-01-01T00:00:00Z"}, 422, "clearance.expires_too_late", "/expires_at"),
    ({"expires_at": "next year"}, 422, "request.invalid_time", "/expires_at"),
    ('{"context_id": ', 400, None, None),
    ([], 422, "request.invalid_field", ""),
])
def test_bad_clearances_change_nothing(world, change, status, code, pointer):
    zone = world["zone"]
    before = counts(zone)
    if isinstance(change, dict):
        body = {k: v for k, v in dict(GOOD, **change).items() if v is not None}
        r = zone.post("/v1/sanctions/clearances", json=body, headers=world["op"])
    elif isinstance(change, str):
        r = zone.post("/v1/sanctions/clearances", data=change, validate=False,
                      headers=dict(world["op"], **{"Content-Type": "application/json"}))
    else:
        r = zone.post("/v1/sanctions/clearances", json=change, headers=world["op"])
    assert_problem(r, status, code, pointer=pointer)
    assert counts(zone) == before


def test_one_active_clearance_per_hit_and_reads(world):
    zone = world["zone"]
    ctx = "urn:mez:application:" + "cd" * 32
    r = zone.post("/v1/sanctions/clearances", json=dict(GOOD, context_id=ctx), headers=world["op"])
    assert r.status_code == 201, r.text
    before = counts(zone)
    p = assert_problem(zone.post("/v1/sanctions/clearances", json=dict(GOOD, context_id=ctx), headers=world["reg"]),
                       409, "clearance.exists")
    assert r.json()["clearance_id"] in p["detail"]
    assert counts(zone) == before
    got = zone.get("/v1/sanctions/clearances?status=proposed&context_id=" + ctx.replace(":", "%3A"),
                   headers=world["op"]).json()
    assert [x["clearance_id"] for x in got["clearances"]] == [r.json()["clearance_id"]]
    got = zone.get("/v1/sanctions/clearances?context_id=" + ctx, headers=world["op"]).json()
    assert got == {"clearances": []}     # proposed, not in force
    assert_problem(zone.get("/v1/sanctions/clearances/clr_nope", headers=world["op"]), 404, "clearance.not_found")
    assert_problem(zone.post("/v1/sanctions/clearances/clr_nope/revoke", json={"reason": "x"}, headers=world["op"]),
                   404, "clearance.not_found")
    assert_problem(zone.post("/v1/sanctions/clearances/clr_nope/approve", json={}, headers=world["reg"]),
                   404, "clearance.not_found")
    assert_problem(zone.post("/v1/sanctions/clearances/%s/approve" % r.json()["clearance_id"],
                             json={"note": "x"}, headers=world["reg"]), 422, "request.unknown_field", pointer="/note")
    assert counts(zone) == before
    for q, ptr in (("status=bogus", "/status"), ("limit=0", "/limit"), ("limit=1001", "/limit"),
                   ("colour=red", "/colour"), ("context_id=", "/context_id")):
        assert_problem(zone.get("/v1/sanctions/clearances?" + q, headers=world["op"]), 400, pointer=ptr)
    assert_problem(zone.request("DELETE", "/v1/sanctions/clearances/" + r.json()["clearance_id"],
                                headers=world["op"]), 405)
    assert len(zone.get("/v1/sanctions/clearances?limit=1&status=all", headers=world["op"]).json()["clearances"]) == 1


def test_a_zone_without_the_policy_takes_no_anonymous_clearance(zone):
    """A zone whose configuration admits anyone still records a clearance only from an identified principal."""
    before = zone.count("mez_screening_clearance"), zone.count("mez_audit")
    assert_problem(zone.post("/v1/sanctions/clearances", json=GOOD), 403, "clearance.anonymous")
    assert_problem(zone.post("/v1/sanctions/clearances/clr_x/revoke", json={"reason": "x"}), 403,
                   "clearance.anonymous")
    assert_problem(zone.post("/v1/sanctions/clearances/clr_x/approve", json={}), 403, "clearance.anonymous")
    assert (zone.count("mez_screening_clearance"), zone.count("mez_audit")) == before
    assert zone.get("/v1/sanctions/clearances").json() == {"clearances": []}


def test_a_beneficiary_is_cleared_for_its_payer_only(world):
    """A payee outside the zone has no record: a clearance of its name is for one payer's payments to it."""
    zone, op = world["zone"], world["op"]
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}

    def payer(name):
        r = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                             "compliance": {"evidence": EVIDENCE}}, headers=op)
        assert r.status_code == 201, r.text
        r = zone.post("/v1/fiscal/accounts", json={"entity_id": r.json()["id"], "account_type": "operating",
                                                    "currency": "PKR", "ntn": ntn}, headers=op)
        assert r.status_code == 201, r.text
        acc = r.json()["resource"]["account_id"]
        r = zone.post("/mass/v1/fiscal/accounts/%s/deposits" % acc, headers=op,
                      json={"amount": "100000", "currency": "PKR", "reference": "seed"})
        assert r.status_code == 201, r.text
        return acc

    def pay(acc):
        return zone.post("/v1/fiscal/payments", headers=op, json={
            "source_account_id": acc, "amount": "5000", "currency": "PKR", "payment_type": "goods_payment",
            "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                     "beneficiary_name": "Abdul Rahman"}},
            "compliance": {"evidence": EVIDENCE}})

    first, second = payer("Clearance Payer One Ltd"), payer("Clearance Payer Two Ltd")
    p = assert_problem(pay(first), 422, "compliance.sanctions_hard_block")
    [hit] = [r for r in p["compliance"]["evaluation"]["domains"]["sanctions"]["reasons"]
             if r["code"] == "sanctions_match" and r["party"] == "counterparty" and r["rule"] == ABDUL_RAHMAN]
    assert hit["clearance_context"].startswith("urn:mez:beneficiary:ent_")
    clear(world, hit, "Abdul Rahman")
    r = pay(first)
    assert r.status_code == 201, r.text
    assert_problem(pay(second), 422, "compliance.sanctions_hard_block")


def test_two_tokens_of_one_holder_are_one_pair_of_eyes(world):
    """An officer holding an operator's and a regulator's token cannot approve with one what they proposed with the
    other, once the tokens name their holder (mez token create --holder); another person's token can."""
    zone = world["zone"]
    khan_op = token_headers(zone, "operator", holder="Aamir Khan, SECP-0421")
    khan_reg = token_headers(zone, "regulator", holder="Aamir Khan, SECP-0421")
    malik = token_headers(zone, "regulator", holder="Bushra Malik, SECP-0388")
    p = assert_problem(formation(world, "Khan Holder Textiles Ltd", "Muhammad Yusuf"), 422,
                       "compliance.sanctions_hard_block")
    hit = hit_of(p, "/directors/1/name")
    r = propose(world, hit, "Muhammad Yusuf", headers=khan_op)
    assert r.status_code == 201, r.text
    cid = r.json()["clearance_id"]
    before = counts(zone)
    p = assert_problem(zone.post("/v1/sanctions/clearances/%s/approve" % cid, json={}, headers=khan_reg), 409,
                       "clearance.self_approval")
    assert "Aamir Khan, SECP-0421" in p["detail"] and "another person" in p["detail"]
    assert counts(zone) == before
    assert zone.get("/v1/sanctions/clearances/" + cid, headers=malik).json()["status"] == "proposed"
    r = zone.post("/v1/sanctions/clearances/%s/approve" % cid, json={}, headers=malik)
    assert r.status_code == 200 and r.json()["status"] == "active", r.text
    assert formation(world, "Khan Holder Textiles Ltd", "Muhammad Yusuf").status_code == 201


def test_a_zone_whose_law_lets_one_officer_decide(world, make_zone, driver):
    """MezClearanceApprovers 1: a clearance applies once recorded, and there is nothing to approve."""
    zone = make_zone(driver, zone_id="pk-sifc", zone_file=world["zone_file"],
                     extra_conf=world["policy"] + "\nMezClearanceApprovers 1")
    op = token_headers(zone, "operator")
    body = {"entity_type": "corporation", "legal_name": "Single Officer Looms Ltd", "compliance": {"evidence": EVIDENCE},
            "directors": [{"name": "Abdul Rahman", "role": "director"}]}
    hit = hit_of(assert_problem(zone.post("/v1/entities", json=body, headers=op), 422), "/directors/0/name")
    r = zone.post("/v1/sanctions/clearances", headers=op, json={
        "context_id": hit["clearance_context"], "name": "Abdul Rahman", "entry": hit["rule"], "reason": "checked"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "active" and r.json()["approvals_required"] == 1
    assert_problem(zone.post("/v1/sanctions/clearances/%s/approve" % r.json()["clearance_id"], json={},
                             headers=token_headers(zone, "regulator")), 409, "clearance.not_proposed")
    assert zone.post("/v1/entities", json=body, headers=op).status_code == 201


def test_the_cli_lists_what_the_api_recorded(world, mez_env):
    """`mez sanctions clearances` reads the zone's database: the same documents as GET, by status and record."""
    zone = world["zone"]

    def cli(*args):
        return run([mez_env.mez_bin, "sanctions", "clearances", "--driver", zone.driver, "--params",
                    zone.db.params] + list(args), env=mez_env.env(), user=mez_env.server_user)

    import json
    api = zone.get("/v1/sanctions/clearances?status=all&limit=1000", headers=world["reg"]).json()["clearances"]
    cp = cli("--status", "all")
    assert cp.returncode == 0, cp.stderr
    lines = [json.loads(x) for x in cp.stdout.splitlines()]
    assert [x["clearance_id"] for x in lines] == [x["clearance_id"] for x in api] and lines
    assert {x["status"] for x in lines} >= {"active", "proposed", "revoked"}
    proposed = [json.loads(x) for x in cli("--status", "proposed").stdout.splitlines()]
    assert proposed and all(x["status"] == "proposed" for x in proposed)
    one = lines[0]["context_id"]
    assert all(json.loads(x)["context_id"] == one for x in cli("--status", "all", "--context", one).stdout.splitlines())
    assert cli("--status", "bogus").returncode == 2
    assert cli("--limit", "0").returncode == 2

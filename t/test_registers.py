# test_registers.py: the zone's registers as lists (GET /v1/entities, GET /v1/licences), for its operators and
# regulators: every entity and licence reached page by page, filtered by state (and a licence by holder and type),
# each page checked against the OpenAPI document (an entity against the Mass contract's Entity); bad queries
# refused with a problem naming the parameter; entity, watcher and anonymous callers refused.
import pytest

from mez_harness import assert_problem, pk_zone_file, policy_conf, token_headers
from test_orchestrate import EVIDENCE

NAMES = ["Register Looms %d (Pvt) Ltd" % i for i in range(5)]
LICENCE_TYPE = "pk-secp:private-limited-company"


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    zone = module_zones(driver, name="registers", zone_id="pk-sifc", zone_file=pk_zone_file(mez_env, "registers"),
                        extra_conf=policy_conf(mez_env))
    op = token_headers(zone, "operator")
    ids = []
    for name in NAMES:
        r = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                            "compliance": {"evidence": EVIDENCE}}, headers=op)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    # One entity suspended, so the register has two states to filter by.
    r = zone.post("/v1/entities/%s/status" % ids[4], json={"target_status": "SUSPENDED", "reason": "late filings"},
                  headers=op)
    assert r.status_code == 200, r.text
    licences = []
    for eid in ids[:3]:
        r = zone.post("/v1/licences", json={"entity_id": eid, "licence_type": LICENCE_TYPE}, headers=op)
        assert r.status_code == 201, r.text
        licences.append(r.json()["id"])
    r = zone.post("/v1/licences/%s/review" % licences[0], json={}, headers=op)
    assert r.status_code == 200, r.text
    return {"zone": zone, "op": op, "reg": token_headers(zone, "regulator"), "ids": ids, "licences": licences}


def walk(zone, path, headers, member, limit):
    """Every item of a list, page by page (limit each), checking each page's shape and order as it goes."""
    items, cursor, pages = [], None, 0
    while True:
        r = zone.get("%s%slimit=%d%s" % (path, "&" if "?" in path else "?", limit,
                                          "&cursor=" + cursor if cursor else ""), headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["count"] == len(page[member]) <= limit, page
        items += page[member]
        pages += 1
        cursor = page.get("next_cursor")
        if not cursor:
            return items, pages
        assert cursor == page[member][-1]["entity_id" if member == "entities" else "licence_id"]


def test_a_regulator_pages_through_the_entity_register(world):
    zone, reg, ids = world["zone"], world["reg"], world["ids"]
    entities, pages = walk(zone, "/v1/entities", reg, "entities", 2)
    got = [e["entity_id"] for e in entities]
    assert got == sorted(got) and len(set(got)) == len(got)   # one order, nothing twice across pages
    assert set(ids) <= set(got) and pages >= 3
    assert {e["jurisdiction_id"] for e in entities} == {"pk-sifc"}
    named = {e["entity_id"]: e for e in entities}
    assert [named[i]["legal_name"] for i in ids] == NAMES


def test_the_entity_register_by_state(world):
    zone, reg, ids = world["zone"], world["reg"], world["ids"]
    suspended, _ = walk(zone, "/v1/entities?status=SUSPENDED", reg, "entities", 10)
    assert [e["entity_id"] for e in suspended] == [ids[4]]
    active, _ = walk(zone, "/v1/entities?status=ACTIVE", reg, "entities", 1)
    assert {e["status"] for e in active} == {"ACTIVE"} and set(ids[:4]) <= {e["entity_id"] for e in active}
    r = zone.get("/v1/entities?status=DISSOLVED", headers=world["op"])
    assert r.status_code == 200 and r.json() == {"entities": [], "count": 0}


def test_the_licence_register_by_state_holder_and_type(world):
    zone, reg, ids, lic = world["zone"], world["reg"], world["ids"], world["licences"]
    every, pages = walk(zone, "/v1/licences", reg, "licences", 1)
    got = [x["licence_id"] for x in every]
    assert got == sorted(got) and set(got) == set(lic) and pages == 3
    under, _ = walk(zone, "/v1/licences?status=UNDER_REVIEW", reg, "licences", 5)
    assert [x["licence_id"] for x in under] == [lic[0]]
    applied, _ = walk(zone, "/v1/licences?status=APPLIED&licence_type=" + LICENCE_TYPE, reg, "licences", 5)
    assert {x["licence_id"] for x in applied} == set(lic[1:])
    held, _ = walk(zone, "/v1/licences?entity_id=" + ids[1], reg, "licences", 5)
    assert [(x["licence_id"], x["entity_id"]) for x in held] == [(lic[1], ids[1])]
    none, _ = walk(zone, "/v1/licences?licence_type=pk-secp:nbfc", reg, "licences", 5)
    assert none == []


@pytest.mark.parametrize("path", ["/v1/entities", "/v1/licences"])
@pytest.mark.parametrize("query,code,pointer", [
    ("status=BOGUS", "request.invalid_parameter", "/status"),
    ("status=active", "request.invalid_parameter", "/status"),
    ("limit=0", "request.invalid_parameter", "/limit"),
    ("limit=1001", "request.invalid_parameter", "/limit"),
    ("limit=ten", "request.invalid_parameter", "/limit"),
    ("cursor=ent_1", "request.invalid_parameter", "/cursor"),
    ("cursor=lic_" + "A" * 64, "request.invalid_parameter", "/cursor"),
    ("jurisdiction_id=ae-difc", "request.unknown_parameter", None),
    ("status=ACTIVE&status=ACTIVE", "request.invalid_parameter", "/status"),
    ("status=%FF", "request.invalid_parameter", "/status"),
])
def test_a_list_query_that_is_not_one_is_refused(world, path, query, code, pointer):
    r = world["zone"].get("%s?%s" % (path, query), headers=world["reg"])
    p = assert_problem(r, 400, code)
    if pointer:
        assert p.get("pointer") == pointer, p


def test_a_cursor_of_the_other_register_is_refused(world):
    zone, reg = world["zone"], world["reg"]
    assert_problem(zone.get("/v1/entities?cursor=" + world["licences"][0], headers=reg), 400,
                   "request.invalid_parameter", pointer="/cursor")
    assert_problem(zone.get("/v1/licences?cursor=" + world["ids"][0], headers=reg), 400,
                   "request.invalid_parameter", pointer="/cursor")


@pytest.mark.parametrize("path", ["/v1/entities", "/v1/licences"])
def test_only_operators_and_regulators_list_a_register(world, path):
    zone, ids = world["zone"], world["ids"]
    assert zone.get(path, headers=world["op"]).status_code == 200
    assert_problem(zone.get(path), 401)
    assert_problem(zone.get(path, headers=token_headers(zone, "watcher")), 403)
    assert_problem(zone.get(path, headers=token_headers(zone, "entity", ids[0])), 403)
    r = zone.request("DELETE", path, headers=world["op"])
    p = assert_problem(r, 405, "request.method_not_allowed")
    assert r.headers["Allow"] == "GET, HEAD, POST", p


def counted(items, member):
    out = {}
    for x in items:
        out[x[member]] = out.get(x[member], 0) + 1
    return out


def test_the_registers_at_a_glance_match_the_registers(world):
    """GET /v1/registers/summary: every state of both lifecycles (0 included), types as they occur, and numbers that
    are the registers' own, read here page by page."""
    zone, reg, op = world["zone"], world["reg"], world["op"]
    r = zone.get("/v1/registers/summary", headers=reg)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["zone_id"] == "pk-sifc" and s["as_of"].endswith("Z")
    entities, _ = walk(zone, "/v1/entities", reg, "entities", 1000)
    licences, _ = walk(zone, "/v1/licences", reg, "licences", 1000)
    e, lic = s["entities"], s["licences"]
    assert (e["register"], e["complete"]) == ("sovereign", True)
    assert e["total"] == len(entities) and lic["total"] == len(licences)
    assert {k: v for k, v in e["by_status"].items() if v} == counted(entities, "status")
    assert e["by_type"] == counted(entities, "entity_type")
    assert {k: v for k, v in lic["by_status"].items() if v} == counted(licences, "status")
    assert lic["by_type"] == counted(licences, "licence_type")
    assert set(e["by_status"]) == {"DRAFT", "PENDING_APPROVAL", "ACTIVE", "SUSPENDED", "DISSOLVING", "DISSOLVED",
                                   "STRUCK_OFF", "REJECTED"}
    assert e["by_status"]["SUSPENDED"] >= 1 and e["by_status"]["DISSOLVED"] == 0
    assert lic["by_status"]["UNDER_REVIEW"] >= 1 and lic["by_type"][LICENCE_TYPE] >= 3
    # a move shows at once
    r = zone.post("/v1/entities/%s/status" % world["ids"][3], json={"target_status": "SUSPENDED",
                                                                   "reason": "late filings"}, headers=op)
    assert r.status_code == 200, r.text
    after = zone.get("/v1/registers/summary", headers=op).json()["entities"]["by_status"]
    assert after["SUSPENDED"] == e["by_status"]["SUSPENDED"] + 1
    assert after["ACTIVE"] == e["by_status"]["ACTIVE"] - 1
    r = zone.post("/v1/entities/%s/status" % world["ids"][3], json={"target_status": "ACTIVE", "reason": "filed",
                                                                   "compliance": {"evidence": EVIDENCE}}, headers=op)
    assert r.status_code == 200, r.text


def test_the_registers_at_a_glance_are_for_operators_and_regulators(world):
    zone, ids = world["zone"], world["ids"]
    path = "/v1/registers/summary"
    assert_problem(zone.get(path), 401)
    assert_problem(zone.get(path, headers=token_headers(zone, "watcher")), 403)
    assert_problem(zone.get(path, headers=token_headers(zone, "entity", ids[0])), 403)
    assert_problem(zone.get(path + "?status=ACTIVE", headers=world["reg"]), 400, "request.unknown_parameter")
    r = zone.request("POST", path, headers=world["op"], json={})
    assert_problem(r, 405, "request.method_not_allowed")
    assert r.headers["Allow"] == "GET"

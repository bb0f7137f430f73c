# test_mass_entities.py: the sovereign Mass store's entities primitive over HTTP (/mass/v1/entities...), requests
# and answers checked against ../shared/schemas/mass/apis/entities.openapi.yaml: formation, reading, listing, the
# status lifecycle (409s naming the current state), beneficial owners, officers, the dissolution saga, concurrent
# formations of one name, Idempotency-Key replay, and bad inputs (each: its problem code and pointer, and no row
# changed). Both drivers.
import copy
import json
import re
import threading
import time
import uuid

import pytest

from mass_contract import check
from mass_fixtures import counts, mass, period_over
from mez_harness import HarnessError, assert_problem

TABLES = ["mez_mass_entity", "mez_mass_entity_officer", "mez_mass_entity_owner", "mez_mass_entity_history",
          "mez_mass_entity_dissolution", "mez_idempotency"]
ID_RE = re.compile(r"^ent_[0-9a-f]{64}$")
DIGEST = "a1b2c3d4e5f60718293a4b5c6d7e8f901234567890abcdef1234567890abcdef"


def contract(zone, schema, doc):
    check(zone.env.shared_dir, "entities", schema, doc)


def officer_record_contract(zone, rec):
    """An officer record is the contract's Officer plus the extension's own members (the contract's Officer
    has no id, so an appointment could not otherwise be named again, e.g. to resign)."""
    extension = {"officer_id", "entity_id", "active", "person_id", "resigned_at", "resignation_reason"}
    contract(zone, "Officer", {k: v for k, v in rec.items() if k not in extension})
    assert rec["officer_id"].startswith("off_") and isinstance(rec["active"], bool)


def unique(prefix="Co"):
    return "%s %s LLC" % (prefix, uuid.uuid4().hex[:10])


def formation(name=None, **extra):
    body = {"entity_type": "llc", "legal_name": name or unique(),
            "directors": [{"name": "Jane Director", "role": "director"}]}
    body.update(extra)
    return body


def form(zone, **kw):
    body = formation(**kw)
    contract(zone, "CreateEntityRequest", body)
    r = mass(zone, "POST", "/v1/entities", body)
    assert r.status_code == 201, r.text
    doc = r.json()
    contract(zone, "Entity", doc)
    return doc


def put_status(zone, eid, target, **extra):
    body = {"target_status": target}
    body.update(extra)
    contract(zone, "UpdateEntityStatusRequest", body)
    return mass(zone, "PUT", "/v1/entities/%s/status" % eid, body)


def refused(zone, method, path, body, status, code, pointer=None, data=None, headers=None):
    before = counts(zone, TABLES)
    r = mass(zone, method, path, body, data=data, headers=headers)
    doc = assert_problem(r, status, code, pointer=pointer)
    assert counts(zone, TABLES) == before
    return doc


# ------------------------------------------------------------------------------------------------ formation

def test_formation_full(zone):
    body = formation(
        name=unique("Acme Trading"), trading_name="Acme",
        registered_office={"address_line_1": "1 Commerce Road", "city": "Karachi", "country_code": "PK"},
        share_capital={"authorized_amount": "10000", "issued_amount": "1000", "currency": "PKR",
                       "share_classes": [{"class_name": "Ordinary", "par_value": "10", "authorized_shares": 1000}]},
        directors=[{"name": "Jane Director", "identity_ref": "did:example:jane", "role": "director",
                    "nationality": "PK", "is_resident": True},
                   {"name": "Sam Secretary", "role": "secretary"}],
        beneficial_owners=[{"name": "Jane Director", "ownership_percentage": "64.5", "control_type": "direct"},
                           {"name": "Ali Raza", "ownership_percentage": "35.5", "control_type": "indirect",
                            "nationality": "PK", "date_of_birth": "1980-02-29"}],
        metadata={"formation_variant": "baseline"})
    contract(zone, "CreateEntityRequest", body)
    before = counts(zone, TABLES)
    r = mass(zone, "POST", "/v1/entities", body)
    assert r.status_code == 201, r.text
    e = r.json()
    contract(zone, "Entity", e)
    assert ID_RE.match(e["entity_id"])
    assert e["status"] == "PENDING_APPROVAL"
    assert e["jurisdiction_id"]                      # the zone's own, by default
    assert e["legal_name"] == body["legal_name"] and e["trading_name"] == "Acme"
    assert [d["name"] for d in e["directors"]] == ["Jane Director", "Sam Secretary"]
    assert e["history"] == [{"transition_id": e["history"][0]["transition_id"], "from_status": "DRAFT",
                             "to_status": "PENDING_APPROVAL", "transitioned_at": e["created_at"],
                             "reason": "formation submitted"}]
    after = counts(zone, TABLES)
    assert after["mez_mass_entity"] == before["mez_mass_entity"] + 1
    assert after["mez_mass_entity_officer"] == before["mez_mass_entity_officer"] + 2
    assert after["mez_mass_entity_owner"] == before["mez_mass_entity_owner"] + 2
    assert zone.db.query_value("SELECT status FROM mez_mass_entity WHERE entity_id = '%s'" % e["entity_id"]) \
        == "PENDING_APPROVAL"
    g = mass(zone, "GET", "/v1/entities/" + e["entity_id"])
    assert g.status_code == 200 and g.json() == e
    reg = mass(zone, "GET", "/v1/entities/%s/beneficial-owners" % e["entity_id"])
    assert reg.status_code == 200
    contract(zone, "BeneficialOwnershipRegistry", reg.json())
    owners = reg.json()["beneficial_owners"]
    assert [(o["name"], o["ownership_percentage"], o["verification_status"], o["active"]) for o in owners] == \
        [("Jane Director", "64.5", "unverified", True), ("Ali Raza", "35.5", "unverified", True)]
    assert mass(zone, "GET", "/v1/entities/%s/beneficial-owners?verification_status=verified"
                % e["entity_id"]).json()["beneficial_owners"] == []


def test_formation_name_unique_per_jurisdiction(zone):
    e = form(zone, name=unique("Unique Name"))
    spaced = "  " + e["legal_name"].upper().replace(" ", "   ") + " "
    refused(zone, "POST", "/v1/entities", formation(name=spaced), 409, "entity.name_taken", "/legal_name")
    other = form(zone, name=e["legal_name"], jurisdiction_id="AE")
    assert other["jurisdiction_id"] == "AE"


def test_formation_concurrent_same_name(zone):
    """Two formations of one name at the same moment: exactly one entity, one 201 and one 409."""
    name = unique("Race")
    barrier = threading.Barrier(2)
    answers = []

    def go():
        barrier.wait()
        answers.append(mass(zone, "POST", "/v1/entities", formation(name=name)))
    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    assert_problem([a for a in answers if a.status_code == 409][0], 409, "entity.name_taken", pointer="/legal_name")
    key = re.sub(r"\s+", " ", name.lower()).strip()
    assert zone.db.query_value("SELECT count(*) FROM mez_mass_entity WHERE name_key = '%s'" % key) in (1, "1")


def test_idempotency_key_replay(zone):
    body = formation(name=unique("Idem"))
    key = str(uuid.uuid4())
    r1 = mass(zone, "POST", "/v1/entities", body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.text
    before = counts(zone, TABLES)
    r2 = mass(zone, "POST", "/v1/entities", body, headers={"Idempotency-Key": key})
    assert r2.status_code == 201 and r2.json() == r1.json()
    assert counts(zone, TABLES) == before
    other = copy.deepcopy(body)
    other["legal_name"] = unique("Idem Other")
    refused(zone, "POST", "/v1/entities", other, 422, "idempotency.key_reused", headers={"Idempotency-Key": key})


@pytest.mark.parametrize("body,code,pointer", [
    ({"entity_type": "llc"}, "request.missing_field", "/legal_name"),
    ({"entity_type": "llc", "legal_name": ["x"]}, "request.invalid_type", "/legal_name"),
    ({"entity_type": "llc", "legal_name": "X", "owner": "me"}, "request.unknown_field", "/owner"),
    ({"entity_type": "sole_trader", "legal_name": "X"}, "request.invalid_value", "/entity_type"),
    ({"entity_type": "llc", "legal_name": "X" * 501}, "request.too_long", "/legal_name"),
    ({"entity_type": "llc", "legal_name": "X\u0000Y"}, "request.invalid_characters", "/legal_name"),
    ({"entity_type": "llc", "legal_name": "X", "jurisdiction_id": "p k"}, "request.invalid_value",
     "/jurisdiction_id"),
    ({"entity_type": "llc", "legal_name": "X", "directors": [{"name": "D"}]}, "request.missing_field",
     "/directors/0/role"),
    ({"entity_type": "llc", "legal_name": "X", "directors": [{"name": "D", "role": "director",
                                                              "appointed_at": "yesterday"}]},
     "request.invalid_time", "/directors/0/appointed_at"),
    ({"entity_type": "llc", "legal_name": "X", "beneficial_owners": [
        {"name": "A", "ownership_percentage": "70", "control_type": "direct"},
        {"name": "B", "ownership_percentage": "30.01", "control_type": "joint"}]},
     "entity.ownership_exceeds_total", "/beneficial_owners/1/ownership_percentage"),
    ({"entity_type": "llc", "legal_name": "X", "beneficial_owners": [
        {"name": "A", "ownership_percentage": 50, "control_type": "direct"}]},
     "request.invalid_type", "/beneficial_owners/0/ownership_percentage"),
    ({"entity_type": "llc", "legal_name": "X", "beneficial_owners": [
        {"name": "A", "ownership_percentage": "12.34567", "control_type": "direct"}]},
     "request.invalid_decimal", "/beneficial_owners/0/ownership_percentage"),
    ({"entity_type": "llc", "legal_name": "X", "beneficial_owners": [
        {"name": "A", "ownership_percentage": "10", "control_type": "direct", "date_of_birth": "1990-02-30"}]},
     "request.invalid_date", "/beneficial_owners/0/date_of_birth"),
    ({"entity_type": "llc", "legal_name": "X", "directors": [
        {"name": "D", "role": "director", "identity_ref": "per_" + "0" * 64}]},
     "identity.unknown_person", "/directors/0/identity_ref"),
    ({"entity_type": "llc", "legal_name": "X", "share_capital": {"currency": "rupees"}},
     "request.invalid_value", "/share_capital/currency"),
    ([1, 2], "request.not_an_object", ""),
])
def test_formation_bad_inputs(zone, body, code, pointer):
    refused(zone, "POST", "/v1/entities", body, 422, code, pointer)


def test_malformed_json_changes_nothing(zone):
    refused(zone, "POST", "/v1/entities", None, 400, "json.invalid", data="{\"entity_type\": llc}")


# ------------------------------------------------------------------------------------------------ reading, listing

def test_get_unknown_and_methods(zone):
    refused(zone, "GET", "/v1/entities/ent_" + "0" * 64, None, 404, "mass.not_found")
    refused(zone, "GET", "/v1/entities/not-an-id", None, 404, "mass.not_found")
    refused(zone, "PUT", "/v1/entities", {}, 405, "request.method_not_allowed")
    refused(zone, "GET", "/v1/entities/ent_%s/nothing" % ("0" * 64), None, 404, "request.not_found")


def test_list_filters_and_cursor(zone):
    jur = "LIST-" + uuid.uuid4().hex[:6]
    made = sorted(form(zone, jurisdiction_id=jur)["entity_id"] for _ in range(3))
    r = mass(zone, "GET", "/v1/entities?jurisdiction_id=%s" % jur)
    assert r.status_code == 200
    assert [e["entity_id"] for e in r.json()["entities"]] == made and r.json()["count"] == 3
    for e in r.json()["entities"]:
        contract(zone, "Entity", e)
    page = mass(zone, "GET", "/v1/entities?jurisdiction_id=%s&limit=2" % jur).json()
    assert len(page["entities"]) == 2 and page["next_cursor"]
    rest = mass(zone, "GET", "/v1/entities?jurisdiction_id=%s&limit=2&cursor=%s" % (jur, page["next_cursor"])).json()
    assert [e["entity_id"] for e in page["entities"] + rest["entities"]] == made and "next_cursor" not in rest
    assert mass(zone, "GET", "/v1/entities?jurisdiction_id=%s&status=ACTIVE" % jur).json()["count"] == 0
    assert_problem(mass(zone, "GET", "/v1/entities?status=alive"), 422, "request.invalid_query")
    assert_problem(mass(zone, "GET", "/v1/entities?limit=0"), 422, "request.invalid_query")


# ------------------------------------------------------------------------------------------------ lifecycle

def test_status_lifecycle(zone):
    e = form(zone)
    eid = e["entity_id"]
    r = put_status(zone, eid, "ACTIVE", reason="compliance evaluation passed",
                   evidence=[{"type": "VerifiableCredential",
                              "credential_ref": {"digest_sha256": DIGEST, "artifact_type": "vc"}}])
    assert r.status_code == 200, r.text
    a = r.json()
    contract(zone, "Entity", a)
    assert a["status"] == "ACTIVE" and a["formation_date"] == a["updated_at"][:10]
    assert a["history"][-1]["evidence_refs"] == [{"digest_sha256": DIGEST, "artifact_type": "vc"}]
    assert zone.db.query_value("SELECT status FROM mez_mass_entity WHERE entity_id = '%s'" % eid) == "ACTIVE"
    assert put_status(zone, eid, "SUSPENDED", reason="late filing").json()["status"] == "SUSPENDED"
    # An illegal move: 409 naming the current state and what it allows.
    p = refused(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "PENDING_APPROVAL"}, 409,
                "lifecycle.illegal_transition", "/target_status")
    assert "SUSPENDED" in p["detail"] and "reinstate (-> ACTIVE)" in p["detail"] and "strike_off" in p["detail"]
    refused(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "ACTIVE", "effective_at": "2999-01-01T00:00:00Z"},
            422, "entity.effective_at_out_of_order", "/effective_at")
    assert put_status(zone, eid, "ACTIVE").json()["status"] == "ACTIVE"
    refused(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "DISSOLVING"}, 422,
            "entity.use_dissolution_route", "/target_status")
    s = put_status(zone, eid, "STRUCK_OFF").json()
    assert s["status"] == "STRUCK_OFF"
    assert [(h["from_status"], h["to_status"]) for h in s["history"]] == [
        ("DRAFT", "PENDING_APPROVAL"), ("PENDING_APPROVAL", "ACTIVE"), ("ACTIVE", "SUSPENDED"),
        ("SUSPENDED", "ACTIVE"), ("ACTIVE", "STRUCK_OFF")]
    # The document's history is the history table's, record for record (moves append in memory, not re-read).
    rows = zone.db.query_value(
        ("SELECT string_agg(doc, E'\\n' ORDER BY seq) FROM mez_mass_entity_history WHERE entity_id = '%s'"
         if zone.driver == "pgsql" else
         "SELECT group_concat(doc, char(10)) FROM (SELECT doc FROM mez_mass_entity_history WHERE entity_id = '%s' "
         "ORDER BY seq)") % eid)
    assert [json.loads(x) for x in rows.split("\n")] == s["history"]
    stored = json.loads(zone.db.query_value("SELECT doc FROM mez_mass_entity WHERE entity_id = '%s'" % eid))
    assert stored["history"] == s["history"] and stored["directors"] == s["directors"]
    p = refused(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "ACTIVE"}, 409,
                "lifecycle.illegal_transition")
    assert "STRUCK_OFF" in p["detail"] and "terminal" in p["detail"]
    # A struck-off entity's name may be taken again.
    again = form(zone, name=e["legal_name"])
    assert again["entity_id"] != eid


def test_rejection_and_bad_status_inputs(zone):
    eid = form(zone)["entity_id"]
    path = "/v1/entities/%s/status" % eid
    refused(zone, "PUT", path, {"target_status": "ALIVE"}, 422, "lifecycle.unknown_state", "/target_status")
    refused(zone, "PUT", path, {}, 422, "request.missing_field", "/target_status")
    refused(zone, "PUT", path, {"target_status": "ACTIVE", "why": "x"}, 422, "request.unknown_field", "/why")
    refused(zone, "PUT", path, {"target_status": "ACTIVE", "reason": "r" * 2001}, 422, "request.too_long", "/reason")
    refused(zone, "PUT", path, {"target_status": "ACTIVE", "evidence": [{"type": "x"}]}, 422,
            "request.missing_field", "/evidence/0/credential_ref")
    refused(zone, "PUT", path, {"target_status": "ACTIVE", "evidence": [{"credential_ref": {"digest_sha256": "ab"}}]},
            422, "request.invalid_digest", "/evidence/0/credential_ref/digest_sha256")
    refused(zone, "PUT", "/v1/entities/ent_%s/status" % ("1" * 64), {"target_status": "ACTIVE"}, 404,
            "mass.not_found")
    r = put_status(zone, eid, "REJECTED", reason="incomplete application")
    assert r.status_code == 200 and r.json()["status"] == "REJECTED"


# ------------------------------------------------------------------------------------------------ officers

def test_officers(zone):
    eid = form(zone)["entity_id"]
    base = "/v1/entities/%s/officers" % eid
    body = {"name": "Omar Treasurer", "role": "treasurer", "nationality": "AE", "is_resident": False}
    contract(zone, "Officer", body)
    r = mass(zone, "POST", base, body)
    assert r.status_code == 201, r.text
    rec = r.json()
    officer_record_contract(zone, rec)
    assert rec["active"] is True and rec["entity_id"] == eid
    e = mass(zone, "GET", "/v1/entities/" + eid).json()
    assert [d["name"] for d in e["directors"]] == ["Jane Director", "Omar Treasurer"]
    r = mass(zone, "POST", "%s/%s/resign" % (base, rec["officer_id"]), {"reason": "term ended"})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["resigned_at"]
    officer_record_contract(zone, r.json())
    assert [d["name"] for d in mass(zone, "GET", "/v1/entities/" + eid).json()["directors"]] == ["Jane Director"]
    listing = mass(zone, "GET", base).json()
    assert [o["active"] for o in listing["officers"]] == [True, False]
    refused(zone, "POST", "%s/%s/resign" % (base, rec["officer_id"]), {}, 409, "entity.officer_resigned")
    refused(zone, "POST", "%s/off_%s/resign" % (base, "0" * 64), {}, 404, "mass.not_found")
    refused(zone, "POST", base, {"name": "X", "role": "emperor"}, 422, "request.invalid_value", "/role")
    refused(zone, "POST", base, {"name": "X", "role": "director", "identity_ref": "per_" + "f" * 64}, 422,
            "identity.unknown_person", "/identity_ref")


def test_officer_times_are_consistent(zone):
    """An appointment still to come is not an officer in office, and nobody resigns before being appointed: 422
    request.invalid_time at the member, the officer rows and the entity's directors unchanged."""
    eid = form(zone)["entity_id"]
    base = "/v1/entities/%s/officers" % eid
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
    refused(zone, "POST", base, {"name": "Bob Later", "role": "director", "appointed_at": future}, 422,
            "request.invalid_time", "/appointed_at")
    refused(zone, "POST", "/v1/entities", formation(directors=[{"name": "Jane", "role": "director",
                                                                "appointed_at": future}]),
            422, "request.invalid_time", "/directors/0/appointed_at")
    r = mass(zone, "POST", base, {"name": "Omar Treasurer", "role": "treasurer",
                                  "appointed_at": "2026-01-15T09:00:00Z"})
    assert r.status_code == 201, r.text
    oid = r.json()["officer_id"]
    directors = mass(zone, "GET", "/v1/entities/" + eid).json()["directors"]
    refused(zone, "POST", "%s/%s/resign" % (base, oid), {"resigned_at": "2001-01-01T00:00:00Z"}, 422,
            "request.invalid_time", "/resigned_at")
    refused(zone, "POST", "%s/%s/resign" % (base, oid), {"resigned_at": future}, 422, "request.invalid_time",
            "/resigned_at")
    assert mass(zone, "GET", "%s" % base).json()["officers"][-1]["active"] is True
    assert mass(zone, "GET", "/v1/entities/" + eid).json()["directors"] == directors
    r = mass(zone, "POST", "%s/%s/resign" % (base, oid), {"resigned_at": "2026-01-15T09:00:00Z"})
    assert r.status_code == 200 and r.json()["active"] is False, r.text


def person(zone, name="Ayesha Siddiqui"):
    r = mass(zone, "POST", "/v1/identity/persons", {"full_name": name})
    assert r.status_code == 201, r.text
    return r.json()["person_id"]


def test_one_person_one_place(zone):
    """A person (one identity_ref: a registry person or another reference) is one director per role and one
    beneficial owner: a formation repeating one is 422 at the repeat, an appointment of a person already in that
    office 409; nothing is written. The same person may hold two different offices, and hold one again after
    resigning it."""
    pid = person(zone)
    for ref in (pid, "nadra:42101-1234567-1"):
        two = [{"name": "Ayesha Siddiqui", "role": "director", "identity_ref": ref},
               {"name": "Jane Director", "role": "director"},
               {"name": "A. Siddiqui", "role": "director", "identity_ref": ref}]
        p = refused(zone, "POST", "/v1/entities", formation(directors=two), 422, "entity.duplicate_officer",
                    "/directors/2/identity_ref")
        assert "/directors/0" in p["detail"], p
    # A stake entered in two parts would show two owners under the 25 % threshold where one holds 35 %.
    split = [{"name": "Omar Farooq", "identity_ref": pid, "ownership_percentage": "20", "control_type": "direct"},
             {"name": "Jane Director", "ownership_percentage": "50", "control_type": "direct"},
             {"name": "Omar Farooq", "identity_ref": pid, "ownership_percentage": "15", "control_type": "nominee"}]
    refused(zone, "POST", "/v1/entities", formation(beneficial_owners=split), 422,
            "entity.duplicate_beneficial_owner", "/beneficial_owners/2/identity_ref")
    e = form(zone, directors=[{"name": "Ayesha Siddiqui", "role": "director", "identity_ref": pid},
                              {"name": "Ayesha Siddiqui", "role": "secretary", "identity_ref": pid}])
    base = "/v1/entities/%s/officers" % e["entity_id"]
    first = [o for o in mass(zone, "GET", base).json()["officers"] if o["role"] == "director"][0]
    p = refused(zone, "POST", base, {"name": "Ayesha S.", "role": "director", "identity_ref": pid}, 409,
                "entity.duplicate_officer", "/identity_ref")
    assert first["officer_id"] in p["detail"], p
    directors = mass(zone, "GET", "/v1/entities/" + e["entity_id"]).json()["directors"]
    assert len(directors) == 2
    r = mass(zone, "POST", base, {"name": "Ayesha Siddiqui", "role": "treasurer", "identity_ref": pid})
    assert r.status_code == 201, r.text
    r = mass(zone, "POST", "%s/%s/resign" % (base, first["officer_id"]), {"reason": "term ended"})
    assert r.status_code == 200, r.text
    r = mass(zone, "POST", base, {"name": "Ayesha Siddiqui", "role": "director", "identity_ref": pid})
    assert r.status_code == 201, r.text
    # The database holds it too: a second row of the person in office in the role is refused by the index.
    with pytest.raises(HarnessError, match="(?i)unique"):
        zone.db.execute("INSERT INTO mez_mass_entity_officer (officer_id, entity_id, seq, name, role, identity_ref, "
                        "identity_key, doc, appointed_at) VALUES ('off_%s', '%s', 99, 'X', 'director', '%s', '%s', "
                        "'{}', '2026-01-01T00:00:00Z')" % (uuid.uuid4().hex, e["entity_id"], pid, pid))


def test_people_entered_twice_before_schema_21(make_zone, driver, mez_env, workdir):
    """Before schema 21 a person could be entered twice (a director twice, an owner twice). The migration keys the
    first entry and keeps the second as it was (no register refuses to migrate); an appointment of that person to
    that office is still refused while either entry is in office."""
    from audit_util import mez_as_server
    from mez_harness import chown_tree, sql_dir_before
    old_sql = sql_dir_before(mez_env, workdir, 21)
    z = make_zone(driver, migrate=False, start=False)
    z.env.mez("db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", old_sql, check=True)
    if z.env.server_user:
        chown_tree(z.data_dir, z.env.server_user)
    eid, ref, at = "ent_" + uuid.uuid4().hex * 2, "nadra:42101-7654321-1", "2026-01-01T00:00:00Z"
    z.db.execute("INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, name_key, jurisdiction_id, status, "
                 "doc, created_at, updated_at) VALUES ('%s', 'llc', 'Legacy Co', 'legacy co', 'PK', 'ACTIVE', '{}', "
                 "'%s', '%s')" % (eid, at, at))
    for seq in (1, 2):
        z.db.execute("INSERT INTO mez_mass_entity_officer (officer_id, entity_id, seq, name, role, identity_ref, doc, "
                     "appointed_at) VALUES ('off_%d', '%s', %d, 'Ayesha', 'director', '%s', '%s', '%s')"
                     % (seq, eid, seq, ref, json.dumps({"name": "Ayesha", "role": "director", "identity_ref": ref,
                                                         "appointed_at": at}), at))
        z.db.execute("INSERT INTO mez_mass_entity_owner (beneficial_owner_id, entity_id, seq, name, identity_ref, "
                     "ownership_ppm, control_type, doc, created_at) VALUES ('ubo_%d', '%s', %d, 'Ayesha', '%s', "
                     "200000, 'direct', '{}', '%s')" % (seq, eid, seq, ref, at))
    mez_as_server(z, "db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", mez_env.sql_dir,
                  check=True)
    z.start()
    keys = [z.db.query_value("SELECT COALESCE(identity_key, '-') FROM %s WHERE %s = '%s'" % (table, col, row))
            for table, col, row in [("mez_mass_entity_officer", "officer_id", "off_1"),
                                    ("mez_mass_entity_officer", "officer_id", "off_2"),
                                    ("mez_mass_entity_owner", "beneficial_owner_id", "ubo_1"),
                                    ("mez_mass_entity_owner", "beneficial_owner_id", "ubo_2")]]
    assert keys == [ref, "-", ref, "-"]
    base = "/v1/entities/%s/officers" % eid
    before = z.count("mez_mass_entity_officer")
    assert_problem(mass(z, "POST", base, {"name": "Ayesha", "role": "director", "identity_ref": ref}), 409,
                   "entity.duplicate_officer", pointer="/identity_ref")
    # The keyed entry resigns; the other, unkeyed, is still in office: still refused.
    r = mass(z, "POST", "%s/off_1/resign" % base, {})
    assert r.status_code == 200, r.text
    p = assert_problem(mass(z, "POST", base, {"name": "Ayesha", "role": "director", "identity_ref": ref}), 409,
                       "entity.duplicate_officer", pointer="/identity_ref")
    assert "off_2" in p["detail"], p
    assert z.count("mez_mass_entity_officer") == before


# ------------------------------------------------------------------------------------------------ dissolution

INITIATE = {"dissolution_type": "voluntary", "reason": "members resolved to wind up",
            "liquidator": {"name": "Insolvency Partners", "identity_ref": "did:example:liq"},
            "parameters": {"creditor_notice_period_days": 30, "strike_off_notice_period_days": 120}}


def solvency(signed_at):
    return {"declared_solvent": True,
            "directors_signing": [{"identity_ref": "did:example:d1", "signed_at": signed_at}],
            "statement_of_assets": {"total_assets": "500000", "total_liabilities": "150000", "currency": "PKR"}}


def test_dissolution(zone):
    e = form(zone)
    eid = e["entity_id"]
    base = "/v1/entities/%s/dissolution" % eid
    now = e["created_at"]
    body = dict(INITIATE, solvency_declaration=solvency(now))
    contract(zone, "InitiateDissolutionRequest", body)
    p = refused(zone, "POST", base + "/initiate", body, 409, "lifecycle.illegal_transition")
    assert "PENDING_APPROVAL" in p["detail"]
    assert put_status(zone, eid, "ACTIVE").status_code == 200
    refused(zone, "GET", base + "/status", None, 404, "mass.not_found")
    refused(zone, "POST", base + "/initiate", {"dissolution_type": "voluntary", "reason": "x"}, 422,
            "request.missing_field", "/solvency_declaration")
    insolvent = copy.deepcopy(body)
    insolvent["solvency_declaration"]["statement_of_assets"]["total_liabilities"] = "900000"
    refused(zone, "POST", base + "/initiate", insolvent, 422, "entity.solvency_contradicted",
            "/solvency_declaration/statement_of_assets/total_liabilities")
    refused(zone, "POST", base + "/initiate", dict(body, parameters={"creditor_notice_period_days": 0}), 422,
            "request.out_of_range", "/parameters/creditor_notice_period_days")
    r = mass(zone, "POST", base + "/initiate", body)
    assert r.status_code == 202, r.text
    d = r.json()
    contract(zone, "DissolutionStatus", d)
    assert d["current_stage"] == "board_resolution" and d["stage_sequence"] == 1
    assert [s["status"] for s in d["stages"]] == ["in_progress"] + ["pending"] * 9
    ent = mass(zone, "GET", "/v1/entities/" + eid).json()
    assert ent["status"] == "DISSOLVING" and ent["dissolution_ref"] == d["dissolution_id"]
    assert mass(zone, "GET", base + "/status").json() == d
    # Stages 1-3, then the creditors' claims window holds stage 4 open (30 days here).
    for stage in ("shareholder_resolution", "appoint_liquidator", "notify_creditors"):
        r = mass(zone, "POST", base + "/advance", {"outputs": [{"digest_sha256": DIGEST, "artifact_type": "document"}]})
        assert r.status_code == 200, r.text
        contract(zone, "DissolutionStatus", r.json())
        assert r.json()["current_stage"] == stage
    assert len(r.json()["documents_produced"]) == 3
    p = refused(zone, "POST", base + "/advance", {}, 409, "entity.dissolution_period_running")
    assert "notify_creditors" in p["detail"] and "creditor_notice_period_days" in p["detail"]
    # 30 days of the calendar from the day the stage began, that day not counted: this zone has no zone.yaml, so
    # its store knows no calendar, counts so that the period has run on every calendar and says so.
    at, date = period_over(r.json()["stages"][3]["started_at"], 30, None)
    assert (p["earliest_completion_at"], p["earliest_completion_date"], p["timezone"]) == (at, date, None), p
    assert ("cannot complete before %s, the start of %s at UTC-12, no zone calendar (this store was given none"
            % (at, date)) in p["detail"], p
    refused(zone, "POST", base + "/advance", {"outputs": [{"digest_sha256": "xyz"}]}, 422, "request.invalid_digest",
            "/outputs/0/digest_sha256")
    refused(zone, "PUT", "/v1/entities/%s/status" % eid, {"target_status": "DISSOLVED"}, 422,
            "entity.use_dissolution_route", "/target_status")
    # The window has run (the dissolution and the stage began long ago): on to the last stage, begun now that the
    # final documents are filed, which waits for the strike-off notice (120 days here) from today.
    zone.db.execute("UPDATE mez_mass_entity_dissolution SET initiated_at = '2025-01-01T00:00:00Z', "
                    "stage_started_at = '2025-01-01T00:00:00Z' WHERE entity_id = '%s'" % eid)
    for stage in ("realize_assets", "settle_liabilities", "final_distribution", "final_meeting",
                  "file_final_documents", "dissolution"):
        r = mass(zone, "POST", base + "/advance", {})
        assert r.status_code == 200 and r.json()["current_stage"] == stage, r.text
    before = mass(zone, "GET", base + "/status").json()
    p = refused(zone, "POST", base + "/advance", {}, 409, "entity.dissolution_period_running")
    assert "stage 10 (dissolution)" in p["detail"] and "strike_off_notice_period_days is 120 days from" in p["detail"]
    at, date = period_over(before["stages"][9]["started_at"], 120, None)
    assert (p["earliest_completion_at"], p["earliest_completion_date"]) == (at, date), p
    assert mass(zone, "GET", base + "/status").json() == before
    assert mass(zone, "GET", "/v1/entities/" + eid).json()["status"] == "DISSOLVING"


def test_dissolution_needs_active(zone):
    eid = form(zone)["entity_id"]
    refused(zone, "POST", "/v1/entities/%s/dissolution/advance" % eid, {}, 409, "lifecycle.illegal_transition")
    refused(zone, "GET", "/v1/entities/%s/dissolution/initiate" % eid, None, 405, "request.method_not_allowed")

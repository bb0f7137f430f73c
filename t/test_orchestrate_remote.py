# test_orchestrate_remote.py: the write pipeline with a REMOTE Mass: zone A (pk-sifc, its packs) keeps its
# entities in zone B's sovereign store, reached over real HTTP (MezMassEndpoint entities http://B/mass). The
# records of the decision (evaluation, credentials, audit) are A's; the entity is B's. A write to a remote
# primitive needs an Idempotency-Key (the saga's retry handle); a retry is answered from A's record without a
# second Mass write; with B stopped only the routes that need B answer 503 and nothing is kept on either side.
# (A Mass that misbehaves, and which failures keep an intent: test_orchestrate_upstream.py.)
import os
import shutil
import threading
import uuid

import pytest

from mez_harness import assert_problem
from test_mass_client import assert_config_error, operator_token, protected_store_conf, write_secret

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


@pytest.fixture(scope="module")
def zones(module_zones, driver, mez_env):
    b = module_zones(driver, name="orchb", extra_conf=protected_store_conf(mez_env))
    work = mez_env.new_dir("orcha")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    conf = "MezMassEndpoint entities %s\nMezMassTokenFile %s\nMezMassTimeout 5" % (b.url("/mass"), token_file)
    a = module_zones(driver, name="orcha", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                     extra_conf=conf)
    return a, b


def formation(name):
    return {"entity_type": "corporation", "legal_name": name, "compliance": {"evidence": EVIDENCE}}


def state(a, b):
    return (a.count("mez_credential"), a.count("mez_evaluation"), a.count("mez_audit"), a.count("mez_mass_entity"),
            b.count("mez_mass_entity"))


def test_remote_write_needs_an_idempotency_key(zones):
    a, b = zones
    before = state(a, b)
    assert_problem(a.post("/v1/entities", json=formation("Chenab Rice Mills Ltd")), 428,
                   "request.idempotency_key_required")
    assert state(a, b) == before


def test_formation_lands_in_b_and_is_certified_by_a(zones):
    a, b = zones
    before = state(a, b)
    key = str(uuid.uuid4())
    r = a.post("/v1/entities", json=formation("Ravi Textiles Ltd"), headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["resource"]["status"] == "ACTIVE" and body["resource"]["jurisdiction_id"] == "pk-sifc"
    after = state(a, b)
    # A: two credentials, one evaluation, one audit row; the entity itself lives only in B.
    assert after == (before[0] + 2, before[1] + 1, before[2] + 1, before[3], before[4] + 1)
    # B's record is what A's read returns (through the gateway).
    g = a.get("/v1/entities/" + body["id"])
    assert g.status_code == 200 and g.json()["status"] == "ACTIVE"
    # The retry is the first answer, byte for byte, with nothing done again on either side.
    again = a.post("/v1/entities", json=formation("Ravi Textiles Ltd"), headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.content == r.content
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert state(a, b) == after
    # The same key with another request is refused.
    assert_problem(a.post("/v1/entities", json=formation("Ravi Silks Ltd"), headers={"Idempotency-Key": key}),
                   422, "idempotency.key_reused")
    assert state(a, b) == after


def test_b_stopped_only_entity_writes_fail_and_nothing_is_kept(zones):
    a, b = zones
    before = state(a, b)
    key = str(uuid.uuid4())
    b.stop()
    try:
        assert_problem(a.post("/v1/entities", json=formation("Jhelum Boats Ltd"), headers={"Idempotency-Key": key}),
                       503, "mass.unavailable")
        assert (a.count("mez_credential"), a.count("mez_evaluation"), a.count("mez_audit")) == before[:3]
        # What does not need B keeps working.
        ev = a.post("/v1/compliance/evaluate", json={
            "action": {"type": "entity_formation", "date": "2026-01-15", "jurisdiction": "pk-sifc"},
            "subject": {"id": "did:example:x", "name": "Jhelum Boats Ltd"}, "preview": True})
        assert ev.status_code == 200, ev.text
    finally:
        b.start()
    # The refused intent was forgotten: the same key now does the write, once.
    r = a.post("/v1/entities", json=formation("Jhelum Boats Ltd"), headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    assert b.count("mez_mass_entity") == before[4] + 1


def test_the_entity_register_is_listed_from_the_remote_mass(zones):
    """GET /v1/entities on A reads B's list (the gateway passes the zone's jurisdiction, the page and the cursor), and
    GET /v1/registers/summary counts it; with B stopped those two alone answer 503 mass.unavailable."""
    a, b = zones
    key = str(uuid.uuid4())
    r = a.post("/v1/entities", json=formation("Sutlej Listed Traders Ltd"), headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    seen, cursor = [], None
    while True:
        page = a.get("/v1/entities?limit=1" + ("&cursor=" + cursor if cursor else ""))
        assert page.status_code == 200, page.text
        seen += page.json()["entities"]
        cursor = page.json().get("next_cursor")
        if not cursor:
            break
    assert r.json()["id"] in [e["entity_id"] for e in seen]
    assert {e["jurisdiction_id"] for e in seen} == {"pk-sifc"} and len(seen) == b.count("mez_mass_entity")
    # the registers at a glance: A counts B's register page by page, as "remote"
    s = a.get("/v1/registers/summary")
    assert s.status_code == 200, s.text
    e = s.json()["entities"]
    assert (e["register"], e["complete"], e["total"]) == ("remote", True, len(seen))
    assert {k: v for k, v in e["by_status"].items() if v} == {st: sum(1 for x in seen if x["status"] == st)
                                                               for st in {x["status"] for x in seen}}
    b.stop()
    try:
        assert_problem(a.get("/v1/entities"), 503, "mass.unavailable")
        assert_problem(a.get("/v1/registers/summary"), 503, "mass.unavailable")
        assert a.get("/v1/licences").status_code == 200   # A's own register
    finally:
        b.start()


@pytest.fixture(scope="module")
def resident(module_zones, driver, mez_env, zones):
    """Zone C keeps personal and corporate data in Pakistan, but its entities endpoint (B) is declared in the UAE."""
    a, b = zones
    work = mez_env.new_dir("orchc")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    conf = "\n".join(["MezMassEndpoint entities %s" % b.url("/mass"), "MezMassTokenFile %s" % token_file,
                      "MezMassEndpointJurisdiction entities ae-adgm", "MezDataResidency personal pk",
                      "MezDataResidency corporate pk"])
    return module_zones(driver, name="orchc", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                        extra_conf=conf)


def test_data_residency_refuses_before_the_call_and_audits(zones, resident):
    a, b = zones
    before_b, before_c = b.count("mez_mass_entity"), (resident.count("mez_credential"), resident.count("mez_audit"))
    r = resident.post("/v1/entities", json=formation("Swat Emeralds Ltd"), headers={"Idempotency-Key": "res-1"})
    p = assert_problem(r, 403, "data.residency_violation")
    assert "ae-adgm" in p["detail"] and "pk" in p["detail"]
    assert b.count("mez_mass_entity") == before_b
    assert resident.count("mez_credential") == before_c[0]
    assert resident.count("mez_audit") == before_c[1] + 1
    last = resident.db.query_value("SELECT action FROM mez_audit ORDER BY seq DESC LIMIT 1")
    assert last == "mass.outbound_refused"
    # Reads are data leaving the zone's control too: refused the same way.
    assert_problem(resident.get("/v1/entities/ent_" + "0" * 64), 403, "data.residency_violation")


@pytest.mark.parametrize("conf,directive,says", [
    ("MezDataResidency secret pk", "MezDataResidency", "not a data category"),
    ("MezDataResidency personal", "MezDataResidency", "at least one jurisdiction"),
    ("MezDataResidency personal pk\nMezDataResidency personal ae", "MezDataResidency personal ae", "given twice"),
    ("MezMassEndpointJurisdiction bank pk", "MezMassEndpointJurisdiction", "not a Mass primitive"),
])
def test_bad_residency_directives_stop_httpd(make_zone, driver, conf, directive, says):
    z = make_zone(driver, start=False, extra_conf=conf)
    out = assert_config_error(z, directive)
    assert says in out, out


# ------------------------------------------------------------------ the saga's RESUME branch

def test_a_request_cut_after_its_mass_write_is_resumed_once(zones, module_zones, driver, mez_env):
    """RESUME: A is killed after B created the entity and before A recorded anything of the completion. Within
    the lease a retry is refused as in progress (the first attempt may still be at work); once the intent is older
    than the lease, the retry repeats the Mass write with the same Mass idempotency key (B answers its first
    answer: one entity), and completes: credentials, evaluation and audit recorded once, then replayed."""
    _, b = zones
    work = mez_env.new_dir("orch-resume")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    a = module_zones(driver, name="orchr", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                     start=False)
    from mass_proxy import MassProxy
    from test_corridor_protocol import kill9
    proxy = MassProxy(b.url("/mass"))
    killed, cut = threading.Event(), []

    def cut_off(r, headers):
        """B answered (the Mass write happened): A dies before it hears the answer."""
        cut.append((r.status_code, r.text[:500], sorted(k for k in headers.keys() if k.lower() != "authorization"),
                     "authorization" in (k.lower() for k in headers.keys())))
        kill9(a)
        killed.set()

    try:
        a.extra_conf = "MezMassEndpoint entities http://127.0.0.1:%d\nMezMassTokenFile %s\nMezMassTimeout 5" % (
            proxy.port, token_file)
        a.write_conf()
        a.start()
        name = "Indus Resume Traders Ltd"
        before = state(a, b)
        key = str(uuid.uuid4())
        proxy.rule("POST", "/v1/entities", MassProxy.then(cut_off))
        import requests
        with pytest.raises(requests.RequestException):
            a.post("/v1/entities", json=formation(name), headers={"Idempotency-Key": key}, validate=False)
        assert killed.wait(30) and len(cut) == 1
        a.start()
        # B holds the entity; A holds only its committed intent.
        status, text, header_names, had_authorization = cut[0]
        assert status == 201 and had_authorization, \
            "B answered the cut request %s %s (A sent headers %s, Authorization: %s)" % (status, text, header_names,
                                                                                   had_authorization)
        assert b.count("mez_mass_entity") == before[4] + 1
        assert state(a, b)[:3] == before[:3]
        assert a.db.query_value("SELECT state FROM mez_idempotency WHERE idempotency_key = '%s'" % key) \
            == "in_progress"
        # Within the lease: refused, nothing done.
        assert_problem(a.post("/v1/entities", json=formation(name), headers={"Idempotency-Key": key}), 409,
                       "idempotency.in_progress")
        assert state(a, b) == before[:4] + (before[4] + 1,)
        # The lease passes (the intent's clock is set back rather than the test waiting 120 s).
        a.db.execute("UPDATE mez_idempotency SET updated_at = '2000-01-01T00:00:00Z' WHERE idempotency_key = '%s'"
                     % key)
        r = a.post("/v1/entities", json=formation(name), headers={"Idempotency-Key": key})
        assert r.status_code == 201, r.text
        after = state(a, b)
        assert after == (before[0] + 2, before[1] + 1, before[2] + 1, before[3], before[4] + 1)
        ids = b.db.query_value("SELECT COUNT(*) FROM mez_mass_entity WHERE legal_name = '%s'" % name)
        assert int(ids) == 1
        assert b.db.query_value("SELECT entity_id FROM mez_mass_entity WHERE legal_name = '%s'" % name) \
            == r.json()["id"]
        again = a.post("/v1/entities", json=formation(name), headers={"Idempotency-Key": key})
        assert again.status_code == 201 and again.content == r.content
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert state(a, b) == after
    finally:
        proxy.close()


def test_a_resumed_write_the_zone_no_longer_approves_is_named_not_hidden(zones, module_zones, driver, mez_env):
    """RESUME under a changed decision: the first attempt passed (its director's hit cleared) and B made the
    entity, then A died; the clearance is revoked before the retry. The retry certifies nothing, as a denial, but
    says what Mass may hold (422 compliance.denied_after_mass_write with mass_write: primitive, method, path and
    the Mass idempotency key), the audit row says so too, and the answer is replayed for the key."""
    import hashlib
    import json
    import yaml
    import requests
    from mass_proxy import MassProxy
    from test_corridor_protocol import kill9
    _, b = zones
    work = mez_env.new_dir("orch-unrec")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    pack = os.path.join(pk, "regpacks", "pk-proscribed.yaml")
    with open(pack) as f:
        listed = yaml.safe_load(f)["lists"][0]["entries"][0]["name"]
    # What the zone will screen: the director's name as normalised and the entry it hits (the CLI's evaluation).
    cp = mez_env.mez("tensor", "eval", "--pack", pack, "-", input=json.dumps(
        {"action": {"type": "entity_formation", "date": "2026-01-15", "jurisdiction": "pk"},
         "subject": {"id": "s", "name": listed}}))
    [hit] = [r for r in json.loads(cp.stdout)["domains"]["sanctions"]["reasons"] if r["code"] == "sanctions_match"]
    name = "Indus Unreconciled Traders Ltd"
    context = "urn:mez:application:" + hashlib.sha256(name.encode()).hexdigest()
    a = module_zones(driver, name="orchu", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"), start=False)
    proxy = MassProxy(b.url("/mass"))
    killed = threading.Event()
    try:
        a.extra_conf = "MezMassEndpoint entities http://127.0.0.1:%d\nMezMassTokenFile %s\nMezMassTimeout 5" % (
            proxy.port, token_file)
        a.write_conf()
        a.start()
        a.db.execute("INSERT INTO mez_screening_clearance (clearance_id, zone_id, context_id, name, name_normalised, "
                     "entry, reason, cleared_by, created_at, expires_at, approvals_required) VALUES ('clr_unrec', "
                     "'pk-sifc', '%s', 'x', '%s', '%s', 'test', 'op', '2026-01-01T00:00:00Z', "
                     "'2099-01-01T00:00:00Z', 1)" % (context, hit["match"]["normalised"], hit["rule"]))
        body = dict(formation(name), directors=[{"name": listed, "role": "director"}])
        key = str(uuid.uuid4())
        before = state(a, b)
        proxy.rule("POST", "/v1/entities", MassProxy.then(lambda r, h: (kill9(a), killed.set())))
        with pytest.raises(requests.RequestException):
            a.post("/v1/entities", json=body, headers={"Idempotency-Key": key}, validate=False)
        assert killed.wait(30)
        a.start()
        assert b.count("mez_mass_entity") == before[4] + 1
        # The clearance is withdrawn, then the lease passes and the client retries.
        a.db.execute("UPDATE mez_screening_clearance SET revoked_at = '2026-01-02T00:00:00Z', revoked_by = 'reg' "
                     "WHERE clearance_id = 'clr_unrec'")
        a.db.execute("UPDATE mez_idempotency SET updated_at = '2000-01-01T00:00:00Z' WHERE idempotency_key = '%s'"
                     % key)
        r = a.post("/v1/entities", json=body, headers={"Idempotency-Key": key})
        p = assert_problem(r, 422, "compliance.denied_after_mass_write")
        assert p["mass_write"]["primitive"] == "entities" and p["mass_write"]["method"] == "POST"
        assert p["mass_write"]["path"] == "/v1/entities" and len(p["mass_write"]["idempotency_key"]) == 36
        assert p["recorded"] is True
        after = state(a, b)
        # Nothing certified; the refusal recorded and audited; B holds the one entity the first attempt made.
        assert after[0] == before[0] and after[1] == before[1] + 1 and after[2] == before[2] + 1
        assert after[4] == before[4] + 1
        detail = json.loads(a.db.query_value("SELECT detail FROM mez_audit ORDER BY seq DESC LIMIT 1"))
        assert detail["mass_write_may_exist"]["idempotency_key"] == p["mass_write"]["idempotency_key"]
        again = a.post("/v1/entities", json=body, headers={"Idempotency-Key": key})
        assert again.status_code == 422 and again.content == r.content
        assert state(a, b) == after
    finally:
        proxy.close()


def test_a_remote_mass_s_code_cannot_forge_fields_of_the_log_line(module_zones, zones, driver, mez_env):
    """A remote Mass's problem code becomes the request's mez-problem note, a field of the mez_audit log line:
    mod_log_config escapes quotes but not spaces, so "x decision=compliant" would forge fields. Only a code's
    shape is kept; anything else is logged as mass.refused. The answer itself is passed on as the Mass gave it."""
    from mass_proxy import MassProxy
    _, b = zones
    work = mez_env.new_dir("orch-note")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    log = os.path.join(work, "notes.log")
    a = module_zones(driver, name="orchn", start=False)
    proxy = MassProxy(b.url("/mass"))
    try:
        a.extra_conf = ("MezMassEndpoint entities http://127.0.0.1:%d\nMezMassTokenFile %s\nMezMassTimeout 5\n"
                        "LogFormat \"%%{mez-problem}n|%%{mez-action}n\" notes\nCustomLog %s notes\n"
                        % (proxy.port, token_file, log))
        a.write_conf()
        a.start()
        forged = {"type": "about:blank", "title": "no", "status": 404, "code": "x decision=compliant credential=y"}
        proxy.rule("GET", "/v1/entities/ent_forged", MassProxy.answer(404, forged))
        r = a.get("/v1/entities/ent_forged", validate=False)
        assert r.status_code == 404 and r.json()["code"] == forged["code"], r.text
        proxy.rule("GET", "/v1/entities/ent_plain", MassProxy.answer(404, dict(forged, code="mass.not_found")))
        assert a.get("/v1/entities/ent_plain", validate=False).status_code == 404
        a.stop()
        with open(log) as f:
            lines = [l.strip() for l in f if "mass.GET" in l]
        assert lines == ["mass.refused|mass.GET", "mass.not_found|mass.GET"], lines
    finally:
        proxy.close()

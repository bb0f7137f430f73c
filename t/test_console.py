# test_console.py: the regulator console (htdocs/regulator/, conf/mez-regulator.conf) served by the zone's own
# httpd beside its API, on the pk-sifc zone with the shipped policy. The files are served with the headers that keep
# the page from being framed or loading anything from elsewhere; every API path the page calls is documented; and
# the page itself, run in a DOM (jsdom, t/console/drive.mjs) against the real zone over HTTP, signs in with a
# regulator token, shows the refusals with the law cited and the digest checked in the browser, approves and
# revokes a clearance (the zone records the regulator as the approver), recomputes the audit chain, downloads a
# signed anchor, names a tampered audit row, and lists the zone's peers with the signed requests it refused
# although their signature verified. Its verification code passes the RFC 8785 vectors.
import json
import os
import re
import shutil
import subprocess

import pytest

from audit_util import db_exec, drop_audit_guards
from mez_harness import (assert_problem, console_conf, drive_console, pk_zone_file, policy_conf, proscribed_name,
                         token_secret)
from test_peer_auth import sign

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    peer_dir = mez_env.new_dir("console-peer")
    peer_key = os.path.join(peer_dir, "peer.pem")
    peer = (peer_key, mez_env.keygen(peer_key), peer_dir)
    zone = module_zones(driver, name="console", zone_id="pk-sifc", zone_file=pk_zone_file(mez_env, "console"),
                        extra_conf=policy_conf(mez_env) + "\n" + console_conf(mez_env)
                        + "\nMezPeer kz-aifc https://kz-aifc.zones.example %s\nMezPublicAuthority 127.0.0.1:@PORT@"
                        % peer[1])
    # A request the peer signed for another zone's name, sent here twice: one refusal record, resent once.
    signed = sign(peer, "GET", "/v1/whoami", "ae-adgm.zones.example")
    signed["Host"] = "ae-adgm.zones.example"
    for _ in range(2):
        assert_problem(zone.get("/v1/whoami", headers=signed, validate=False), 401, "httpsig.wrong_authority")
    op, reg = token_secret(zone, "operator"), token_secret(zone, "regulator")
    h = {"Authorization": "Bearer " + op}
    ok = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": "Indus Weaving Ltd",
                                         "compliance": {"evidence": EVIDENCE}}, headers=h)
    assert ok.status_code == 201, ok.text
    listed = proscribed_name(mez_env)

    def refuse(legal_name):
        """A formation refused on a proscribed name's hit: its sanctions_match reason."""
        r = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": legal_name,
                                            "compliance": {"evidence": EVIDENCE}}, headers=h)
        problem = assert_problem(r, 422, "compliance.sanctions_hard_block")
        [hit] = [x for x in problem["compliance"]["evaluation"]["domains"]["sanctions"]["reasons"]
                 if x["code"] == "sanctions_match"]
        return hit

    def propose(legal_name, reason):
        hit = refuse(legal_name)
        r = zone.post("/v1/sanctions/clearances", headers=h, json={
            "context_id": hit["clearance_context"], "name": hit["match"]["normalised"], "entry": hit["rule"],
            "reason": reason})
        assert r.status_code == 201, r.text
        return r.json()

    hit = refuse(listed + " Textiles")
    return {"zone": zone, "op": op, "reg": reg, "hit": hit, "listed": listed, "propose": propose,
            "entity": ok.json()["id"]}


def drive(world, token, step, *args):
    return drive_console(world["zone"], token, step, *args)


def test_the_console_is_served_with_its_headers(world):
    zone = world["zone"]
    r = zone.get("/regulator", validate=False, allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"].endswith("/regulator/")
    page = zone.get("/regulator/", validate=False)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    for part in ("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"):
        assert part in csp, csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Everything the page loads is the zone's own, and served with the type a browser runs it as.
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert set(assets) == {"console.css", "console.mjs"}
    with open(os.path.join(zone.env.source_dir, "htdocs", "regulator", "console.mjs")) as f:
        assets += re.findall(r'from "\./([^"]+)"', f.read())
    types = {".mjs": "text/javascript", ".css": "text/css"}
    for a in assets:
        r = zone.get("/regulator/" + a, validate=False)
        assert r.status_code == 200, a
        assert r.headers["Content-Type"].startswith(types[os.path.splitext(a)[1]]), (a, r.headers["Content-Type"])
        assert "Content-Security-Policy" in r.headers
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "no inline script (the CSP would refuse it)"
    assert " style=" not in page.text
    assert zone.get("/regulator/nothing.html", validate=False).status_code == 404
    # The API beside it is untouched: still mez's, still behind its policy.
    assert_problem(zone.get("/v1/evaluations"), 401)


def test_every_api_path_the_console_calls_is_documented(world, mez_env):
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        paths = json.load(f)["paths"]
    with open(os.path.join(mez_env.source_dir, "htdocs", "regulator", "console.mjs")) as f:
        src = f.read()
    called = set(re.findall(r'"(/(?:v1|readyz)[^"?]*)"', src))
    assert {"/v1/evaluations", "/v1/sanctions/clearances", "/v1/audit/rows", "/v1/audit/anchor",
            "/v1/corridors", "/v1/watchers", "/v1/peers", "/v1/peers/refusals", "/v1/zone", "/readyz",
            "/v1/fiscal/payments"} <= called
    for path in called:
        template = path.rstrip("/")
        if template.endswith("/v1/evaluations") and path.endswith("/"):
            template = "/v1/evaluations/{seq}"
        elif path.endswith("/") and "clearances" in path:
            template = "/v1/sanctions/clearances/{clearance_id}"
        assert template in paths, path
    for suffix in ("/approve", "/revoke"):
        assert suffix in src and "/v1/sanctions/clearances/{clearance_id}" + suffix in paths


def test_a_regulator_reads_the_zone_in_the_console(world):
    zone, reg = world["zone"], world["reg"]
    proposed = world["propose"](world["listed"] + " Textiles",
                                "The applicant is a textile mill registered in Faisalabad in 1998; it shares a word "
                                "of its name, not its owners, with the proscribed organisation.")
    rep = drive(world, reg, "read")
    assert rep["before_signin"] == {"views_hidden": True, "signin_hidden": False}
    assert rep["zone"]["id"] == "pk-sifc" and rep["zone"]["did"].startswith("did:key:z6Mk")
    assert rep["zone"]["ready"] == "ready"
    assert rep["signed_in"] and rep["token_field_cleared"] and rep["message"] is None, rep
    me = zone.get("/v1/whoami", headers={"Authorization": "Bearer " + reg}).json()
    assert rep["whoami"] == "As token %s (regulator)." % me["principal"], rep["whoami"]
    # Decisions: the refusals, newest first, as the API lists them.
    api = zone.get("/v1/evaluations?decision=non_compliant&limit=50",
                   headers={"Authorization": "Bearer " + reg}).json()["evaluations"]
    assert [d["seq"] for d in rep["decisions"]] == [e["seq"] for e in api]
    assert "non_compliant" in rep["decisions"][0]["cells"][4]
    detail = rep["detail"]
    assert "digest verified in this browser" in detail["digest_check"]
    [sanctions] = [d for d in detail["domains"] if d["domain"] == "sanctions"]
    assert sanctions["state"] == "non_compliant"
    assert "sanctions_match" in sanctions["reasons"] and "Proscribed organisations" in sanctions["reasons"]
    assert world["hit"]["entry"]["name"] in sanctions["reasons"]
    assert "none (nothing was certified)" in detail["text"]
    # Clearances awaiting a second principal: the one just proposed, with its reason and both actions.
    [row] = [c for c in rep["clearances"] if c["id"] == proposed["clearance_id"]]
    assert "Faisalabad" in row["cells"][3] and "proposed" in row["cells"][5]
    assert "Approve" in row["cells"][7] and "Revoke" in row["cells"][7]
    # The audit trail: every row recomputed in the browser, the newest first, up to the head.
    head = zone.get("/v1/audit/rows?limit=1", headers={"Authorization": "Bearer " + reg}).json()["head"]
    assert rep["audit"]["ok"], rep["audit"]["summary"]
    assert rep["audit"]["rows"][0]["seq"] == head["seq"] and all(r["ok"] for r in rep["audit"]["rows"])
    assert "verified in this browser" in rep["audit"]["summary"] and head["hash"] in rep["audit"]["summary"]
    # The anchor downloaded is the zone's signed head.
    [dl] = rep["downloads"]
    assert dl["name"] == "pk-sifc-audit-anchor-%d.json" % dl["json"]["seq"]
    assert dl["json"]["did"] == rep["zone"]["did"] and dl["json"]["note"].startswith("pk-sifc/audit\n")
    assert "keep " + dl["name"] + " outside the zone" in rep["anchor_message"]
    assert "signature verified in this browser" in rep["anchor_message"], rep["anchor_message"]
    assert rep["corridors"] == [["The zone has no corridor."]] and rep["watchers"] == [["No watcher is enrolled."]]
    # Its peer, and the request someone sent it signed for another zone's name: once in the audit trail, resent once.
    assert [(p[0], p[1], p[3]) for p in rep["peers"]] == [("kz-aifc", "https://kz-aifc.zones.example",
                                                          "configuration")], rep["peers"]
    [refusal] = rep["refusals"]
    assert refusal[:3] == ["kz-aifc", "signed for another name", "2 resent"], refusal
    audited = zone.db.query_value("SELECT request_id FROM mez_audit WHERE action = 'peer.wrong_authority_refused'")
    assert refusal[6] == audited, (refusal, audited)
    # The token lived in this tab's session only, and is gone on sign-out with what was shown.
    assert rep["storage_has_token"] and rep["local_storage_keys"] == 0
    assert rep["after_signout"] == {"storage_has_token": False, "views_hidden": True, "audit_rows": 0}


def test_a_regulator_approves_and_revokes_in_the_console(world):
    zone, reg, op = world["zone"], world["reg"], world["op"]
    c = world["propose"](world["listed"] + " Looms",
                         "Checked against SECP's register: a different company, incorporated 2011.")
    rep = drive(world, reg, "approve", c["clearance_id"])
    assert rep["after_first_click"] == "Confirm approval" and rep["requests_after_first_click"] == 0
    assert "approved" in rep["message"], rep
    got = zone.get("/v1/sanctions/clearances/" + c["clearance_id"], headers={"Authorization": "Bearer " + op}).json()
    assert got["status"] == "active" and got["approved"]["by"] != got["cleared_by"]
    rep = drive(world, reg, "revoke", c["clearance_id"], "The register entry was struck off on review.")
    assert "revoked" in rep["message"], rep
    got = zone.get("/v1/sanctions/clearances/" + c["clearance_id"], headers={"Authorization": "Bearer " + op}).json()
    assert got["status"] == "revoked" and got["revoked"]["reason"] == "The register entry was struck off on review."
    # Whoever proposed a clearance cannot approve it: the zone refuses, whatever page asks.
    own = world["propose"](world["listed"] + " Exports", "Proposed and then approved by the same principal.")
    r = zone.post("/v1/sanctions/clearances/%s/approve" % own["clearance_id"], json={},
                  headers={"Authorization": "Bearer " + op})
    assert_problem(r, 409, "clearance.self_approval")


def test_one_record_with_its_decisions_and_clearances(world):
    zone, reg = world["zone"], world["reg"]
    h = {"Authorization": "Bearer " + reg}
    # An entity: its register entry, the formation that decided it, opened from there.
    rep = drive(world, reg, "record", world["entity"])
    rec = rep["record"]
    entity = zone.get("/v1/entities/" + world["entity"], headers=h).json()
    assert rec["facts"]["entity_id"] == world["entity"] and rec["facts"]["status"] == entity["status"] == "ACTIVE"
    assert rec["title"].startswith(world["entity"])
    assert rec["decisions"] == [e["seq"] for e in zone.get("/v1/evaluations?subject_id=" + world["entity"],
                                                         headers=h).json()["evaluations"]]
    assert rec["decisions"] and rec["opened"].startswith("Decision %d: entity.formation" % rec["decisions"][0])
    # An application that was refused: no register entry, its refusals (recorded under the application, the
    # record its clearances name) and its clearances.
    c = world["propose"](world["listed"] + " Cotton", "A cotton ginnery in Multan, checked against the SECP "
                                                      "register; no link to the listed organisation.")
    rep = drive(world, reg, "record", c["context_id"])
    rec = rep["record"]
    assert rec["facts"] == {} and "Not an id of a record the zone API reads" in rec["missing"]
    refusals = zone.get("/v1/evaluations?subject_id=" + c["context_id"], headers=h).json()["evaluations"]
    assert refusals and all(e["decision"] == "non_compliant" for e in refusals)
    assert rec["decisions"] == [e["seq"] for e in refusals]
    assert len(rec["clearances"]) == 1 and "proposed" in rec["clearances"][0] and "Multan" in rec["clearances"][0]
    # An id of a kind the API reads that the zone does not hold.
    rep = drive(world, reg, "record", "ent_" + "0" * 64)
    assert "holds no such record" in rep["record"]["missing"] and rep["record"]["decisions"] == []


def test_an_entity_s_record_shows_the_tax_it_withheld(world):
    """The record of an entity that paid: each tax event the treasury recorded for it, as the API lists them, with
    its amount, section, tax year and the payment (a link that opens the payment's record)."""
    zone, reg, op = world["zone"], world["reg"], {"Authorization": "Bearer " + world["op"]}
    payer = world["entity"]

    def made(path, body):
        r = zone.post(path, json=body, headers=op)
        assert r.status_code == 201, r.text
        return r.json()

    payee = made("/v1/entities", {"entity_type": "corporation", "legal_name": "Ravi Console Freight Ltd",
                                  "compliance": {"evidence": EVIDENCE}})["id"]
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    src, wht, dst = (made("/v1/fiscal/accounts", {"entity_id": e, "account_type": t, "currency": "PKR", "ntn": ntn})
                     ["id"] for e, t in ((payer, "operating"), (payer, "withholding"), (payee, "operating")))
    made("/mass/v1/fiscal/accounts/%s/deposits" % src, {"amount": "2000000", "currency": "PKR",
                                                        "reference": "capital"})
    paid = made("/v1/fiscal/payments", {
        "source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
        "amount": "1000000", "currency": "PKR", "payment_type": "service_fee",
        "compliance": {"date": "2026-01-15", "counterparty": {"filer_status": "non_filer"}, "evidence": EVIDENCE,
                       "withholding_account_id": wht}})
    events = zone.get("/v1/fiscal/%s/tax-events" % payer, headers={"Authorization": "Bearer " + reg}).json()
    assert events["total_count"] >= 1
    rec = drive(world, reg, "record", payer)["record"]
    assert rec["tax_payments"] == [e["source_payment_id"] for e in events["events"]]
    assert paid["id"] in rec["tax_payments"]
    line = rec["taxes"][rec["tax_payments"].index(paid["id"])]
    assert "300000.00 PKR" in line and "s. 153(1)(b)" in line and "tax year 2026" in line
    # A payee withheld nothing as payer: its record says so.
    assert drive(world, reg, "record", payee)["record"]["taxes"] == []


def test_a_regulator_browses_the_registers_in_the_console(world):
    """The Registers view: every entity of the zone, page by page (two a page here), as the API lists them; the
    licences with their holders, filtered by state; a holder opened as a record from its licence."""
    zone, reg, op = world["zone"], world["reg"], {"Authorization": "Bearer " + world["op"]}
    h = {"Authorization": "Bearer " + reg}
    formed = []
    for name in ("Chenab Console Mills Ltd", 'Kabul River "Console" Traders, Ltd'):
        r = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                            "compliance": {"evidence": EVIDENCE}}, headers=op)
        assert r.status_code == 201, r.text
        formed.append(r.json()["id"])
    lic = [zone.post("/v1/licences", json={"entity_id": eid, "licence_type": "pk-secp:private-limited-company"},
                     headers=op).json()["id"] for eid in formed]
    assert zone.post("/v1/licences/%s/review" % lic[1], json={}, headers=op).status_code == 200
    # A third, granted: its type has no fixed term, and the register says so where the last day would be.
    lic.append(zone.post("/v1/licences", json={"entity_id": formed[0], "licence_type": "pk-secp:single-member-company"},
                         headers=op).json()["id"])
    assert zone.post("/v1/licences/%s/review" % lic[2], json={}, headers=op).status_code == 200
    evidence = dict(EVIDENCE, licensing={"state": "compliant", "attestations": [
        {"id": "urn:secp:1", "issuer": "did:example:secp", "obligations": ["min-members", "nominee"]}]})
    r = zone.post("/v1/licences/%s/grant" % lic[2], json={"compliance": {"evidence": evidence}}, headers=op)
    assert r.status_code == 200 and r.json()["resource"]["term"]["fixed"] is False, r.text
    rep = drive(world, reg, "registers", "UNDER_REVIEW")
    assert rep["message"] is None, rep
    listed = zone.get("/v1/entities?limit=1000", headers=h).json()["entities"]
    assert [e["id"] for e in rep["entities"]] == [e["entity_id"] for e in listed]
    assert rep["entity_pages"] == (len(listed) + 1) // 2 and set(formed) <= {e["id"] for e in rep["entities"]}
    assert rep["entity_head"] == ["entity", "name", "type", "state", "formed", "updated"]
    # The CSV: every entry the filter matched, one line each, RFC 4180 quoting.
    [csv] = [d for d in rep["downloads"] if d.get("type") == "text/csv"]
    assert csv["name"].startswith("pk-sifc-entities-") and csv["name"].endswith(".csv")
    lines = csv["text"].split("\r\n")
    assert lines[0] == "entity_id,legal_name,entity_type,status,jurisdiction_id,formation_date,created_at,updated_at"
    assert lines[-1] == "" and len(lines) == len(listed) + 2 and "%d entities saved" % len(listed) in rep["csv_message"]
    assert '%s,"Kabul River ""Console"" Traders, Ltd",corporation,ACTIVE,pk-sifc,' % formed[1] in csv["text"]
    [row] = [e for e in rep["entities"] if e["id"] == formed[0]]
    assert row["cells"][1] == "Chenab Console Mills Ltd" and row["cells"][3] == "ACTIVE"
    assert rep["licence_filters_shown"] and "UNDER_REVIEW" in rep["licence_states"]
    every = zone.get("/v1/licences?limit=1000", headers=h).json()["licences"]
    assert [x["id"] for x in rep["licences"]] == [x["licence_id"] for x in every] and set(lic) <= set(
        x["id"] for x in rep["licences"])
    assert [x["id"] for x in rep["filtered"]] == [x["licence_id"] for x in every if x["status"] == "UNDER_REVIEW"]
    assert lic[1] in [x["id"] for x in rep["filtered"]]
    cells = {x["id"]: x["cells"] for x in rep["licences"]}
    assert cells[lic[2]][3] == "ACTIVE" and cells[lic[2]][5] == "no fixed term", cells[lic[2]]
    assert cells[lic[0]][5] == "—"
    holder = rep["filtered"][0]["cells"][1]
    assert rep["opened"]["form"] == holder and rep["opened"]["title"].startswith(holder)
    # At a glance: the numbers the page shows are the zone's summary, and the register's own.
    summary = zone.get("/v1/registers/summary", headers=h).json()
    es, ls = rep["entity_summary"], rep["licence_summary"]
    assert es["total"] == summary["entities"]["total"] == len(listed), es
    assert es["states"] == {k: v for k, v in summary["entities"]["by_status"].items() if v}
    assert ls["total"] == len(every) and ls["states"]["UNDER_REVIEW"] == len(rep["filtered"])
    assert "pk-secp:private-limited-company" in ls["text"] and "as of " + summary["as_of"][:10] in ls["text"]
    assert rep["filter_after_click"] == "UNDER_REVIEW"


def test_a_regulator_works_through_the_settlement_queue_in_the_console(world):
    """The Payments view: the payments still waiting for a bank or a corridor, oldest first and page by page (two a
    page here), as the API lists them; then every payment of one entity (made or received) in any state; a payment
    opened as a record. A beneficiary's name is shown as text, never as markup."""
    zone, reg = world["zone"], world["reg"]
    op, h = {"Authorization": "Bearer " + world["op"]}, {"Authorization": "Bearer " + reg}

    def made(path, body):
        r = zone.post(path, json=body, headers=op)
        assert r.status_code == 201, r.text
        return r.json()

    payer = world["entity"]
    payee = made("/v1/entities", {"entity_type": "corporation", "legal_name": "Sutlej Console Exporters Ltd",
                                  "compliance": {"evidence": EVIDENCE}})["id"]
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    src, dst = (made("/mass/v1/fiscal/accounts", {"entity_id": e, "account_type": "operating", "currency": "PKR",
                                                  "ntn": ntn})["account_id"] for e in (payer, payee))
    made("/mass/v1/fiscal/accounts/%s/deposits" % src, {"amount": "1000.00", "currency": "PKR",
                                                        "reference": "capital"})
    bank = {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                      "beneficiary_name": "<b>Lahore</b> Yarn & Co"}}
    paid = [made("/mass/v1/fiscal/payments", {"source_account_id": src, "destination": d, "amount": a,
                                              "currency": "PKR", "payment_type": "goods_payment"})["payment_id"]
            for d, a in ((bank, "10.00"), ({"type": "internal_account", "account_id": dst}, "20.00"), (bank, "30.00"),
                         (bank, "40.00"))]
    r = zone.post("/v1/fiscal/payments/%s/settle" % paid[2], json={"reference": "FT26015CONSOLE"}, headers=op)
    assert r.status_code == 200, r.text
    rep = drive(world, reg, "payments", payer)
    assert rep["message"] is None, rep
    assert rep["head"] == ["payment", "made", "from account", "to", "gross", "net", "state"]
    queue = zone.get("/v1/fiscal/payments?status=processing&limit=1000", headers=h).json()["payments"]
    assert [e["id"] for e in rep["queue"]] == [p["payment_id"] for p in queue]
    assert {paid[0], paid[3]} <= {e["id"] for e in rep["queue"]} and paid[2] not in {e["id"] for e in rep["queue"]}
    assert rep["queue_pages"] == (len(queue) + 1) // 2
    [row] = [e for e in rep["queue"] if e["id"] == paid[0]]
    assert row["cells"][2] == src and row["cells"][4] == "10.00 PKR" and row["cells"][6] == "processing"
    assert row["cells"][3] == "bank <b>Lahore</b> Yarn & Co PK36SCBL0000001123456702", row
    mine = zone.get("/v1/fiscal/payments?entity_id=%s&limit=1000" % payer, headers=h).json()["payments"]
    assert [e["id"] for e in rep["entity_payments"]] == [p["payment_id"] for p in mine]
    assert set(paid) <= {e["id"] for e in rep["entity_payments"]}
    states = {e["id"]: e["cells"][6] for e in rep["entity_payments"]}
    assert (states[paid[1]], states[paid[2]]) == ("settled", "settled")
    assert rep["opened"]["form"] == mine[0]["payment_id"] and rep["opened"]["title"].startswith(mine[0]["payment_id"])


def test_a_token_the_zone_refuses_signs_the_console_out(world):
    rep = drive(world, "0" * 64, "signin")
    assert not rep["signed_in"] and not rep["storage_has_token"]
    assert "did not accept the token" in rep["message"] and "auth." in rep["message"]
    watcher = token_secret(world["zone"], "watcher", holder="Corridor Watch Ltd")
    rep = drive(world, watcher, "signin")
    assert rep["whoami"] == "As Corridor Watch Ltd (watcher).", rep
    assert "auth.forbidden_role" in rep["message"], rep


def test_the_console_walks_the_trail_back_page_by_page(world):
    """Pages of three rows from the head to row 1: every row once, each page linked to the one after it."""
    rep = drive(world, world["reg"], "audit")
    pages = rep["pages"]
    seqs = [r["seq"] for p in pages for r in p["rows"]]
    head = world["zone"].get("/v1/audit/rows?limit=1", headers={"Authorization": "Bearer " + world["reg"]}).json()
    assert seqs == list(range(head["head"]["seq"], 0, -1)) and len(pages) > 2
    assert all(p["ok"] for p in pages), [p["summary"] for p in pages if not p["ok"]]


def test_the_console_names_a_tampered_audit_row(world):
    """Last in the module: it breaks the zone's audit chain on purpose."""
    zone = world["zone"]
    head = zone.get("/v1/audit/rows?limit=1", headers={"Authorization": "Bearer " + world["reg"]}).json()["head"]
    target = head["seq"] - 1
    drop_audit_guards(zone)
    db_exec(zone, "UPDATE mez_audit SET actor = 'someone-else' WHERE seq = %d" % target)
    rep = drive(world, world["reg"], "audit")
    # The page holding the changed row says so and marks it; the pages before and after it still verify, and the
    # link from the row after it holds (the row's stored hash is unchanged: only its recomputation differs).
    [bad_page] = [p for p in rep["pages"] if not p["ok"]]
    assert [r["seq"] for r in bad_page["rows"] if not r["ok"]] == [target], bad_page
    assert "seq %d" % target in bad_page["summary"] and "changed" in bad_page["summary"]
    assert sum(1 for p in rep["pages"] if p["ok"]) == len(rep["pages"]) - 1


def test_the_console_checks_pass_their_unit_tests(mez_env):
    if not NODE:
        pytest.skip("node is needed")
    cp = subprocess.run([NODE, "--test", os.path.join(mez_env.source_dir, "t", "console", "verify.test.mjs")],
                        capture_output=True, text=True, timeout=120,
                        env=dict(os.environ, MEZ_SHARED=mez_env.shared()))
    assert cp.returncode == 0 and "# fail 0" in cp.stdout, cp.stdout[-3000:] + cp.stderr[-2000:]
    assert "# skipped 0" in cp.stdout, "the RFC 8785 vectors were not found: " + cp.stdout[-1000:]

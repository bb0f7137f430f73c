# test_orchestrate.py: the zone API's write path on the shipped pk-sifc zone: request -> tensor on the real packs
# (+ screening of every named person) -> Mass write -> credential -> ComplianceAttestation -> evaluation record;
# denials answered 422 and recorded; bad input refused with nothing written. Every test runs twice per database
# driver: with the zone's own sovereign Mass store (one transaction), and with all five primitives in another
# zone's store reached over HTTP through the Mass client (the saga keyed by Idempotency-Key).
import json
import os
import shutil
import time
import uuid

import pytest
import yaml

from mass_fixtures import day_of, period_over, sql_exec, yesterday_evening
from mez_harness import assert_problem, import_un_list

ZONE_ID = "pk-sifc"
EVIDENCE = {"kyc": {"state": "compliant", "attestations": [{"id": "urn:kyc:1", "issuer": "did:example:nadra"}]},
            "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
TABLES = ["mez_mass_entity", "mez_credential", "mez_evaluation"]


class ApiOverRemoteMass:
    """Zone A's API with its five Mass primitives in zone B's sovereign store, behind a real HTTP hop. Requests go
    to A (writes with a fresh Idempotency-Key, which a remote Mass requires), /mass/... to B with an operator token
    of B; counts of the Mass tables (mez_mass_*) come from B's database, the rest from A's."""

    def __init__(self, a, b, token):
        self.a, self.b, self.token = a, b, token

    def __getattr__(self, name):
        return getattr(self.a, name)

    def request(self, method, path, headers=None, **kw):
        h = dict(headers or {})
        if path.startswith("/mass"):
            h["Authorization"] = "Bearer " + self.token
            return self.b.request(method, path, headers=h, **kw)
        if method.upper() in ("POST", "PUT"):
            h.setdefault("Idempotency-Key", str(uuid.uuid4()))
        return self.a.request(method, path, headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, data=None, headers=None, **kw):
        return self.request("POST", path, json=json, data=data, headers=headers, **kw)

    def count(self, table):
        return (self.b if table.startswith("mez_mass_") else self.a).count(table)


@pytest.fixture(scope="module", params=["sovereign", "remote"])
def pk_zone(request, module_zones, driver, mez_env):
    from test_mass_client import operator_token, protected_store_conf, write_secret
    work = mez_env.new_dir("pko")
    dest = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    if request.param == "sovereign":
        return module_zones(driver, zone_id=ZONE_ID, zone_file=os.path.join(dest, "zone.yaml"))
    store = module_zones(driver, name="pkstore", extra_conf=protected_store_conf(mez_env))
    token = operator_token(store)
    token_file = write_secret(os.path.join(work, "mass.token"), token)
    conf = "\n".join(["MezMassEndpoint %s %s" % (p, store.url("/mass"))
                      for p in ("entities", "ownership", "fiscal", "consent", "identity")]
                     + ["MezMassTokenFile %s" % token_file])
    api = module_zones(driver, name="pkapi", zone_id=ZONE_ID, zone_file=os.path.join(dest, "zone.yaml"),
                       extra_conf=conf)
    return ApiOverRemoteMass(api, store, token)


def proscribed(mez_env):
    with open(os.path.join(mez_env.source_dir, "packs", "pk", "regpacks", "pk-proscribed.yaml")) as f:
        return yaml.safe_load(f)["lists"][0]["entries"][0]["name"]


def counts(zone, tables=TABLES):
    return {t: zone.count(t) for t in tables}


def formation(name, evidence=None, **extra):
    body = {"entity_type": "corporation", "legal_name": name,
            "directors": [{"name": "Ayesha Siddiqui", "role": "director"}]}
    body.update(extra)
    if evidence:
        body["compliance"] = {"evidence": evidence}
    return body


def verify(zone, vc):
    r = zone.post("/v1/credentials/verify", json={"verifiableCredential": vc})
    assert r.status_code == 200, r.text


def test_formation_with_pending_domains_waits_for_approval(pk_zone):
    before = counts(pk_zone)
    r = pk_zone.post("/v1/entities", json=formation("Karachi Looms (Pvt) Ltd"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["operation"] == "entity.formation"
    assert body["resource"]["status"] == "PENDING_APPROVAL"
    assert body["compliance"]["decision"] == "pending" and "kyc" in body["compliance"]["pending_domains"]
    assert r.headers["Location"] == "/v1/entities/" + body["id"]
    cred, att = body["credential"], body["attestation"]
    assert "EntityFormationCredential" in cred["type"] and cred["credentialSubject"]["id"] == "urn:mez:pk-sifc:" + body["id"]
    assert cred["credentialSubject"]["compliance"]["attestation"].startswith("sha256:")
    assert "ComplianceAttestation" in att["type"] and att["credentialSubject"]["id"] == "urn:mez:pk-sifc:" + body["id"]
    assert att["credentialSubject"]["screened"] == [{"name": "Ayesha Siddiqui", "state": "compliant"}]
    verify(pk_zone, cred)
    verify(pk_zone, att)
    after = counts(pk_zone)
    assert after["mez_mass_entity"] == before["mez_mass_entity"] + 1
    assert after["mez_credential"] == before["mez_credential"] + 2
    assert after["mez_evaluation"] == before["mez_evaluation"] + 1
    # The record is read back through the zone API.
    g = pk_zone.get("/v1/entities/" + body["id"])
    assert g.status_code == 200 and g.json()["legal_name"] == "Karachi Looms (Pvt) Ltd"


def test_formation_with_evidence_is_approved_and_later_approval_needs_evidence(pk_zone):
    r = pk_zone.post("/v1/entities", json=formation("Thar Solar Works Ltd", EVIDENCE))
    assert r.status_code == 201, r.text
    assert r.json()["resource"]["status"] == "ACTIVE" and r.json()["compliance"]["decision"] == "compliant"
    # A pending formation becomes ACTIVE only when the evaluation with the evidence passes.
    p = pk_zone.post("/v1/entities", json=formation("Gwadar Nets Ltd")).json()
    before = counts(pk_zone)
    assert_problem(pk_zone.post("/v1/entities/%s/status" % p["id"], json={"target_status": "ACTIVE"}), 409,
                   "compliance.incomplete")
    assert counts(pk_zone) == before
    a = pk_zone.post("/v1/entities/%s/status" % p["id"],
                     json={"target_status": "ACTIVE", "compliance": {"evidence": EVIDENCE}})
    assert a.status_code == 200, a.text
    assert a.json()["resource"]["status"] == "ACTIVE"
    assert "EntityStatusCredential" in a.json()["credential"]["type"]


def test_proscribed_name_is_a_recorded_hard_block(pk_zone, mez_env):
    before = counts(pk_zone)
    r = pk_zone.post("/v1/entities", json=formation(proscribed(mez_env) + " Textiles", EVIDENCE))
    body = assert_problem(r, 422, "compliance.sanctions_hard_block")
    assert body["compliance"]["evaluation"]["domains"]["sanctions"]["state"] == "non_compliant"
    assert body["recorded"] is True
    after = counts(pk_zone)
    assert after["mez_mass_entity"] == before["mez_mass_entity"]
    assert after["mez_credential"] == before["mez_credential"]
    assert after["mez_evaluation"] == before["mez_evaluation"] + 1


def test_proscribed_director_blocks_the_formation(pk_zone, mez_env):
    before = counts(pk_zone)
    body = formation("Lyari Fabrics Ltd", EVIDENCE)
    body["directors"].append({"name": proscribed(mez_env), "role": "director"})
    p = assert_problem(pk_zone.post("/v1/entities", json=body), 422, "compliance.sanctions_hard_block")
    hit = [s for s in p["compliance"]["screenings"] if s["state"] == "non_compliant"]
    assert hit and hit[0]["pointer"] == "/directors/1/name"
    assert counts(pk_zone)["mez_mass_entity"] == before["mez_mass_entity"]


@pytest.mark.parametrize("body,status,code,pointer", [
    ('{"legal_name": ', 400, None, None),
    ({"entity_type": "corporation"}, 422, "request.missing_field", "/legal_name"),
    ({"entity_type": "corporation", "legal_name": 7}, 422, "request.invalid_type", "/legal_name"),
    ({"entity_type": "corporation", "legal_name": "X Ltd", "compliance": []}, 422, "request.invalid_type",
     "/compliance"),
    ({"entity_type": "corporation", "legal_name": "X Ltd", "compliance": {"bogus": 1}}, 422,
     "request.unknown_field", "/compliance/bogus"),
    ({"entity_type": "corporation", "legal_name": "X Ltd", "compliance": {"subject": {"name": "Other"}}}, 422,
     "request.not_allowed", "/compliance/subject/name"),
    ({"entity_type": "corporation", "legal_name": "X Ltd",
      "compliance": {"evidence": {"kyc": {"state": "great"}}}}, 422, "tensor.unknown_state", None),
    ({"entity_type": "spaceship", "legal_name": "X Ltd"}, 422, "request.invalid_value", "/entity_type"),
    ({"entity_type": "corporation", "legal_name": "X Ltd", "compliance": {"date": "2026-02-30"}}, 422,
     "request.invalid_date", "/compliance/date"),
    ({"entity_type": "corporation", "legal_name": "X Ltd", "compliance": {"date": "2999-01-01"}}, 422,
     "compliance.future_date", "/compliance/date"),
    ({"entity_type": "corporation", "legal_name": "X Ltd", "jurisdiction_id": "ae-adgm"}, 422,
     "entity.foreign_jurisdiction", "/jurisdiction_id"),
])
def test_bad_formations_change_nothing(pk_zone, body, status, code, pointer):
    before = counts(pk_zone)
    if isinstance(body, str):
        r = pk_zone.post("/v1/entities", data=body, headers={"Content-Type": "application/json"})
    else:
        r = pk_zone.post("/v1/entities", json=body)
    assert_problem(r, status, code, pointer=pointer)
    assert counts(pk_zone) == before


def test_same_name_twice_is_a_conflict(pk_zone):
    assert pk_zone.post("/v1/entities", json=formation("Multan Mangoes Ltd")).status_code == 201
    before = counts(pk_zone)
    assert_problem(pk_zone.post("/v1/entities", json=formation("multan  MANGOES ltd")), 409, "entity.name_taken")
    assert counts(pk_zone) == before


def test_unknown_entity_and_methods(pk_zone):
    assert_problem(pk_zone.get("/v1/entities/ent_" + "0" * 64), 404, "mass.not_found")
    assert_problem(pk_zone.post("/v1/entities/ent_%s/status" % ("0" * 64), json={"target_status": "SUSPENDED"}),
                   404, "mass.not_found")
    r = pk_zone.request("DELETE", "/v1/entities")
    assert_problem(r, 405, "request.method_not_allowed")


def test_licence_lifecycle(pk_zone):
    ent = pk_zone.post("/v1/entities", json=formation("Sialkot Sports Goods Ltd", EVIDENCE)).json()
    before = counts(pk_zone, ["mez_licence"])
    r = pk_zone.post("/v1/licences", json={"entity_id": ent["id"], "licence_type": "pk-secp:private-limited-company"})
    assert r.status_code == 201, r.text
    lic = r.json()["id"]
    assert r.json()["resource"]["status"] == "APPLIED"
    assert counts(pk_zone, ["mez_licence"])["mez_licence"] == before["mez_licence"] + 1
    # A second application for the same type is refused while the first is live.
    assert_problem(pk_zone.post("/v1/licences", json={"entity_id": ent["id"],
                                                      "licence_type": "pk-secp:private-limited-company"}),
                   409, "licence.already_held")
    # grant from APPLIED is illegal: the lifecycle names the current state.
    p = assert_problem(pk_zone.post("/v1/licences/%s/grant" % lic, json={}), 409, "lifecycle.illegal_transition")
    assert "APPLIED" in p["detail"]
    assert pk_zone.post("/v1/licences/%s/review" % lic, json={}).status_code == 200
    # The licence type's requirements (packs/pk/licensepacks: min-members, max-members) are met when an
    # attestation under licensing names them.
    g = pk_zone.post("/v1/licences/%s/grant" % lic, json={"compliance": {"evidence": {
        "licensing": {"attestations": [{"id": "urn:secp:form-1", "issuer": "did:example:secp",
                                        "obligations": ["min-members", "max-members"]}]}, **EVIDENCE}}})
    assert g.status_code == 200, g.text
    assert "LicenceGrantCredential" in g.json()["credential"]["type"]
    assert g.json()["resource"]["status"] == "ACTIVE"
    # A company's registration has no term in the pack (no validity_years): no valid_until, and the record and
    # its credential say there is no fixed term (a grant used to default to one year whatever the type).
    assert "valid_until" not in g.json()["resource"] and g.json()["resource"]["term"]["fixed"] is False
    assert g.json()["resource"]["term"]["rule"] == "pk-secp-sbp/pk-secp:private-limited-company"
    assert g.json()["credential"]["credentialSubject"]["term"]["fixed"] is False
    assert "valid_until" not in g.json()["credential"]["credentialSubject"]
    s = pk_zone.post("/v1/licences/%s/suspend" % lic, json={"reason": "late annual return"})
    assert s.status_code == 200 and s.json()["resource"]["status"] == "SUSPENDED"
    p = assert_problem(pk_zone.post("/v1/licences/%s/renew" % lic, json={"valid_until": "2099-01-01T00:00:00Z"}),
                       409, "lifecycle.illegal_transition")
    assert "SUSPENDED" in p["detail"]
    assert_problem(pk_zone.post("/v1/licences/%s/fly" % lic, json={}), 404)
    got = pk_zone.get("/v1/licences/" + lic).json()
    assert [h["to"] for h in got["history"]] == ["APPLIED", "UNDER_REVIEW", "ACTIVE", "SUSPENDED"]


def test_licence_for_an_unknown_type_or_entity(pk_zone):
    ent = pk_zone.post("/v1/entities", json=formation("Hunza Apricots Ltd", EVIDENCE)).json()
    before = counts(pk_zone, ["mez_licence", "mez_evaluation"])
    assert_problem(pk_zone.post("/v1/licences", json={"entity_id": ent["id"], "licence_type": "pk-secp:nope"}),
                   422, pointer="/licence_type")
    assert_problem(pk_zone.post("/v1/licences", json={"entity_id": "ent_" + "1" * 64, "licence_type": "x"}),
                   422, "entity.unknown", pointer="/entity_id")
    assert counts(pk_zone, ["mez_licence", "mez_evaluation"]) == before


def test_credentials_verify_offline_with_the_cli(pk_zone, mez_env, tmp_path):
    r = pk_zone.post("/v1/entities", json=formation("Quetta Marble Works Ltd", EVIDENCE)).json()
    for name in ("credential", "attestation"):
        f = tmp_path / (name + ".json")
        f.write_text(json.dumps(r[name]))
        cp = mez_env.mez("vc", "verify", f)
        assert cp.returncode == 0, cp.stdout + cp.stderr


NTN = {"ntn_number": "1234567", "ntn_type": "company"}


def zone_post(zone, path, body, status=201):
    r = zone.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_formation_licence_shares_payment_scenario(pk_zone, mez_env, tmp_path):
    """pk-sifc end to end: the credentials verify offline and the payment's attestation cites the rule applied."""
    payer = zone_post(pk_zone, "/v1/entities", formation("Karachi Traders (Pvt) Ltd", EVIDENCE))["id"]
    payee = zone_post(pk_zone, "/v1/entities", formation("Indus Consulting (Pvt) Ltd", EVIDENCE))["id"]
    lic = zone_post(pk_zone, "/v1/licences", {"entity_id": payer, "licence_type": "pk-secp:private-limited-company"})
    zone_post(pk_zone, "/v1/licences/%s/review" % lic["id"], {}, 200)
    grant = zone_post(pk_zone, "/v1/licences/%s/grant" % lic["id"], {"compliance": {"evidence": {
        "licensing": {"attestations": [{"id": "urn:secp:form-1", "issuer": "did:example:secp",
                                        "obligations": ["min-members", "max-members"]}]}, **EVIDENCE}}}, 200)
    cap = zone_post(pk_zone, "/v1/ownership/cap-table", {
        "entity_id": payer,
        "share_classes": [{"name": "Ordinary", "authorized_shares": "1000", "par_value": "10", "currency": "PKR"}],
        "initial_holders": [{"holder_id": "ayesha", "holder_type": "individual", "name": "Ayesha Siddiqui",
                             "share_class_name": "Ordinary", "shares": "600"}]})
    cls = cap["resource"]["share_classes"][0]["share_class_id"]
    issue = zone_post(pk_zone, "/v1/ownership/%s/issuances" % payer,
                      {"share_class_id": cls, "holder_id": "bilal", "holder_type": "individual",
                       "name": "Bilal Ahmed", "shares": "100", "price_per_share": "10"})
    assert "ShareIssuanceCredential" in issue["credential"]["type"]
    src = zone_post(pk_zone, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "operating",
                                                     "currency": "PKR", "ntn": NTN})["resource"]
    wht = zone_post(pk_zone, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "withholding",
                                                     "currency": "PKR", "ntn": NTN})["resource"]
    dst = zone_post(pk_zone, "/v1/fiscal/accounts", {"entity_id": payee, "account_type": "operating",
                                                     "currency": "PKR", "ntn": NTN})["resource"]
    r = pk_zone.post("/mass/v1/fiscal/accounts/%s/deposits" % src["account_id"],
                     json={"amount": "5000000", "currency": "PKR", "reference": "capital injection"})
    assert r.status_code == 201, r.text
    body = {"source_account_id": src["account_id"],
            "destination": {"type": "internal_account", "account_id": dst["account_id"]},
            "amount": "1000000", "currency": "PKR", "payment_type": "service_fee",
            # The packs hold the tax year 2026 rate card (in force 2025-07-01 .. 2026-06-30): the payment is
            # recorded on its value date in that year, so that year's law applies.
            "compliance": {"date": "2026-01-15",
                           "subject": {"filer_status": "filer"}, "counterparty": {"filer_status": "non_filer"},
                           "evidence": EVIDENCE, "withholding_account_id": wht["account_id"]}}
    pay = zone_post(pk_zone, "/v1/fiscal/payments", body)
    assert pay["resource"]["status"] == "settled"
    # The non-filer payee bears the higher s. 153(1)(b) rate: 30 % of Rs 1,000,000 is withheld.
    assert pay["resource"]["withholding_amount"].startswith("300000")
    assert pay["resource"]["net_amount"].startswith("700000")
    rules = [c["rule"] for c in pay["attestation"]["credentialSubject"]["rules"]]
    assert "pk-wht-ty2026/s153-1-b-other-services" in rules
    bal = pk_zone.get("/v1/fiscal/accounts/" + wht["account_id"]).json()
    assert bal["balance"].startswith("300000")
    for i, vc in enumerate([grant["credential"], issue["credential"], pay["credential"], pay["attestation"]]):
        f = tmp_path / ("vc%d.json" % i)
        f.write_text(json.dumps(vc))
        cp = mez_env.mez("vc", "verify", f)
        assert cp.returncode == 0, cp.stdout + cp.stderr
    # Withholding applies, so the payer's withholding account must be named; nothing moves without it.
    before = counts(pk_zone, ["mez_credential", "mez_mass_ledger_line"])
    del body["compliance"]["withholding_account_id"]
    assert_problem(pk_zone.post("/v1/fiscal/payments", json=body), 422, "compliance.withholding_account_required",
                   pointer="/compliance/withholding_account_id")
    # More than the balance: the treasury's refusal passes through, and no credential is issued.
    body["compliance"]["withholding_account_id"] = wht["account_id"]
    body["amount"] = "90000000"
    assert_problem(pk_zone.post("/v1/fiscal/payments", json=body), 422, "fiscal.insufficient_funds")
    assert counts(pk_zone, ["mez_credential", "mez_mass_ledger_line"]) == before
    # A contract payment type with no withholding category of its own must be named in the pack's terms.
    body["amount"], body["payment_type"] = "1000", "other"
    assert_problem(pk_zone.post("/v1/fiscal/payments", json=body), 422, "compliance.payment_type_needed",
                   pointer="/compliance/payment_type")
    assert counts(pk_zone, ["mez_credential", "mez_mass_ledger_line"]) == before


def test_bank_identifiers_are_checked_through_the_zone(pk_zone):
    """An account's IBAN with a wrong check digit and a payment to a BIC that is no BIC: the treasury's refusal
    passes through the zone API with its pointer, and nothing is recorded for it."""
    owner = zone_post(pk_zone, "/v1/entities", formation("Sialkot Instruments (Pvt) Ltd", EVIDENCE))["id"]
    tables = ["mez_credential", "mez_mass_account", "mez_mass_ledger_line", "mez_evaluation", "mez_audit"]
    before = counts(pk_zone, tables)
    body = {"entity_id": owner, "account_type": "operating", "currency": "PKR", "ntn": NTN,
            "bank_details": {"iban": "PK36SCBL0000001123456703", "swift_bic": "SCBLPKKX"}}
    p = assert_problem(pk_zone.post("/v1/fiscal/accounts", json=body), 422, "fiscal.invalid_iban",
                       pointer="/bank_details/iban")
    assert "check digits" in p["detail"], p
    assert counts(pk_zone, tables) == before
    body["bank_details"]["iban"] = "PK36SCBL0000001123456702"
    src = zone_post(pk_zone, "/v1/fiscal/accounts", body)["resource"]
    assert src["bank_details"] == body["bank_details"]
    pk_zone.post("/mass/v1/fiscal/accounts/%s/deposits" % src["account_id"],
                 json={"amount": "100000", "currency": "PKR", "reference": "seed"})
    before = counts(pk_zone, tables)
    pay = {"source_account_id": src["account_id"],
           "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                    "swift_bic": "SCBL-PK-KX",
                                                                    "beneficiary_name": "Sialkot Steel Works"}},
           "amount": "50000", "currency": "PKR", "payment_type": "goods_payment"}
    assert_problem(pk_zone.post("/v1/fiscal/payments", json=pay), 422, "fiscal.invalid_bic",
                   pointer="/destination/bank_details/swift_bic")
    assert counts(pk_zone, tables) == before


def test_payment_to_a_proscribed_beneficiary_is_blocked(pk_zone, mez_env):
    payer = zone_post(pk_zone, "/v1/entities", formation("Faisalabad Yarns (Pvt) Ltd", EVIDENCE))["id"]
    src = zone_post(pk_zone, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "operating",
                                                     "currency": "PKR", "ntn": NTN})["resource"]
    pk_zone.post("/mass/v1/fiscal/accounts/%s/deposits" % src["account_id"],
                 json={"amount": "100000", "currency": "PKR", "reference": "seed"})
    before = counts(pk_zone, ["mez_credential", "mez_mass_ledger_line", "mez_evaluation"])
    body = {"source_account_id": src["account_id"],
            "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                     "beneficiary_name": proscribed(mez_env)}},
            "amount": "50000", "currency": "PKR", "payment_type": "goods_payment"}
    p = assert_problem(pk_zone.post("/v1/fiscal/payments", json=body), 422, "compliance.sanctions_hard_block")
    assert p["compliance"]["evaluation"]["domains"]["sanctions"]["state"] == "non_compliant"
    after = counts(pk_zone, ["mez_credential", "mez_mass_ledger_line", "mez_evaluation"])
    assert after["mez_credential"] == before["mez_credential"]
    assert after["mez_mass_ledger_line"] == before["mez_mass_ledger_line"]
    assert after["mez_evaluation"] == before["mez_evaluation"] + 1


def test_a_backdated_payment_does_not_revive_expired_evidence(pk_zone):
    """compliance.date chooses the law of a past payment, not the day its evidence is judged on: KYC and AML
    attestations that expired after the payment's value date but before today (the write) vouch for nothing. The
    payment is denied, the evaluation says which day the evidence was judged on, and no money moves."""
    payer = zone_post(pk_zone, "/v1/entities", formation("Kohat Salt Works (Pvt) Ltd", EVIDENCE))["id"]
    src = zone_post(pk_zone, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "operating",
                                                     "currency": "PKR", "ntn": NTN})["resource"]
    pk_zone.post("/mass/v1/fiscal/accounts/%s/deposits" % src["account_id"],
                 json={"amount": "100000", "currency": "PKR", "reference": "seed"})
    # Today on the zone's calendar (Asia/Karachi), not UTC's: between 19:00 and 24:00 UTC they differ.
    today = pk_zone.get("/v1/zone").json()["today"]
    expired = {d: {"attestations": [{"id": "urn:%s:1" % d, "issuer": "did:example:nadra",
                                     "expires_at": "2026-01-20T00:00:00Z"}]} for d in ("kyc", "aml")}
    body = {"source_account_id": src["account_id"],
            "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                     "beneficiary_name": "Swat Emeralds"}},
            "amount": "50000", "currency": "PKR", "payment_type": "goods_payment",
            "compliance": {"date": "2026-01-15", "evidence": expired,
                           "withholding_rule": "s153-1-a-goods-company"}}
    before = counts(pk_zone, ["mez_credential", "mez_mass_ledger_line", "mez_evaluation"])
    p = assert_problem(pk_zone.post("/v1/fiscal/payments", json=body), 422, "compliance.denied")
    ev = p["compliance"]["evaluation"]
    assert ev["date"] == "2026-01-15" and ev["evidence_date"] == today
    for d in ("kyc", "aml"):
        assert ev["domains"][d]["state"] == "non_compliant"
        assert [r for r in ev["domains"][d]["reasons"] if r["code"] == "attestation_expired"][0]["expired"] == \
            ["urn:%s:1" % d]
    after = counts(pk_zone, ["mez_credential", "mez_mass_ledger_line", "mez_evaluation"])
    assert after["mez_credential"] == before["mez_credential"]
    assert after["mez_mass_ledger_line"] == before["mez_mass_ledger_line"]
    assert after["mez_evaluation"] == before["mez_evaluation"] + 1


def store_today(zone):
    """Today as the store holding the zone's records dates the founder's acquisition: on the zone's calendar
    (Karachi's day runs five hours ahead of UTC's), or UTC's behind a remote store that knows none."""
    _, tzname, _ = dissolution_store(zone)
    return day_of(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), tzname or "UTC")


def test_transfer_needing_board_approval_needs_an_approved_consent(pk_zone, mez_env):
    from test_mass_consent import Party, stamp
    keydir = mez_env.new_dir("orch-consent")
    requester, d1, d2 = (Party(mez_env, keydir, n) for n in ("req", "d1", "d2"))
    eid = zone_post(pk_zone, "/v1/entities", formation("Mardan Marble (Pvt) Ltd", EVIDENCE))["id"]
    cap = zone_post(pk_zone, "/v1/ownership/cap-table", {
        "entity_id": eid,
        "share_classes": [{"name": "Ordinary", "authorized_shares": "1000", "currency": "PKR",
                           "transfer_restrictions": {"board_approval_required": True}}],
        "initial_holders": [{"holder_id": "founder", "holder_type": "individual", "name": "Nadia Hussain",
                             "share_class_name": "Ordinary", "shares": "500", "cost_basis_per_share": "10"}]})
    cls = cap["resource"]["share_classes"][0]["share_class_id"]
    transfer = {"entity_id": eid, "share_class_id": cls, "from_holder_id": "founder", "to_holder_id": "buyer",
                "to_holder_type": "individual", "to_holder_name": "Omar Farooq", "shares": "100",
                "transfer_price_per_share": "15", "currency": "PKR",
                "transfer_date": store_today(pk_zone)}
    tables = ["mez_credential", "mez_mass_share_transfer"]
    # No resolution named: the share register refuses.
    assert_problem(pk_zone.post("/v1/ownership/transfers", json=transfer), 422, "ownership.board_resolution_required",
                   pointer="/board_resolution_ref")
    # zone_id left out: a consent asked for through the zone's API is the zone's own.
    consent = zone_post(pk_zone, "/v1/consent", {
        "action_type": "share_transfer", "title": "Approve the transfer of 100 shares to Omar Farooq",
        "requester_id": requester.did,
        "signatories": [{"signatory_id": d.did, "role": "board_director"} for d in (d1, d2)],
        "threshold": {"type": "unanimous"}, "metadata": {"entity_id": eid}})
    record = consent["resource"]
    assert record["zone_id"] == "pk-sifc"
    assert "ConsentRequestCredential" in consent["credential"]["type"]
    before = counts(pk_zone, tables)
    # A pending resolution is not an approval.
    transfer["board_resolution_ref"] = record["consent_id"]
    assert_problem(pk_zone.post("/v1/ownership/transfers", json=transfer), 409, "consent.not_approved",
                   pointer="/board_resolution_ref")
    assert counts(pk_zone, tables) == before
    for d in (d1, d2):
        at = stamp()
        r = pk_zone.post("/v1/consent/%s/sign" % record["consent_id"],
                         json={"signatory_id": d.did, "decision": "approve", "signed_at": at,
                               "proof": d.sign(record, "approve", at)})
        assert r.status_code == 200, r.text
    assert r.json()["resource"]["status"] == "approved"

    def approved(title, **terms):
        body = {"action_type": "share_transfer", "title": title + " " + uuid.uuid4().hex,
                "requester_id": requester.did, "zone_id": "pk-sifc",
                "signatories": [{"signatory_id": d1.did, "role": "board_director"}],
                "threshold": {"type": "unanimous"}, "metadata": {"entity_id": eid}}
        body.update(terms)
        body = {k: v for k, v in body.items() if v is not None}
        if body["zone_id"] == "pk-sifc":
            rec = zone_post(pk_zone, "/v1/consent", body)["resource"]
            at = stamp()
            r = pk_zone.post("/v1/consent/%s/sign" % rec["consent_id"],
                             json={"signatory_id": d1.did, "decision": "approve", "signed_at": at,
                                   "proof": d1.sign(rec, "approve", at)})
            assert r.status_code == 200 and r.json()["resource"]["status"] == "approved", r.text
            return rec["consent_id"]
        # Another zone's consent is not asked for through this zone's API: the zone refuses it, and nothing is
        # recorded. A Mass store may still keep it (a central Mass serves several zones): made at the store.
        before = counts(pk_zone, ["mez_credential", "mez_mass_consent", "mez_evaluation"])
        assert_problem(pk_zone.post("/v1/consent", json=body), 422, "consent.other_zone", pointer="/zone_id")
        assert_problem(pk_zone.post("/v1/consent", json=dict(body, zone_id=7)), 422, "request.invalid_type",
                       pointer="/zone_id")
        assert counts(pk_zone, ["mez_credential", "mez_mass_consent", "mez_evaluation"]) == before
        r = pk_zone.post("/mass/v1/consent/request", json=body)
        assert r.status_code == 201, r.text
        rec = r.json()
        at = stamp()
        r = pk_zone.post("/mass/v1/consent/%s/sign" % rec["consent_id"],
                         json={"signatory_id": d1.did, "decision": "approve", "signed_at": at,
                               "proof": d1.sign(rec, "approve", at)})
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        return rec["consent_id"]

    # Approved consents that are not this transfer's resolution: one naming no entity, one to another action (a
    # dividend resolution approved nothing about shares changing hands), one of another zone.
    for cid, code, words in [
            (approved("Approve transfers", metadata=None), "consent.other_entity", "no entity"),
            (approved("Approve the Q1 dividend", action_type="corporate_resolution"), "consent.other_action",
             "'corporate_resolution'"),
            (approved("Approve the transfer in Abu Dhabi", zone_id="ae-adgm"), "consent.other_zone", "ae-adgm")]:
        before = counts(pk_zone, tables)
        p = assert_problem(pk_zone.post("/v1/ownership/transfers", json=dict(transfer, board_resolution_ref=cid)),
                           409, code, pointer="/board_resolution_ref")
        assert words in p["detail"], p
        assert counts(pk_zone, tables) == before
    key = {"Idempotency-Key": str(uuid.uuid4())}
    r = pk_zone.post("/v1/ownership/transfers", json=transfer, headers=key)
    assert r.status_code == 201, r.text
    done = r.json()
    assert "ShareTransferCredential" in done["credential"]["type"]
    assert done["resource"]["board_resolution_ref"] == record["consent_id"]
    # The same transfer retried under its key is answered its first answer; nothing is recorded again.
    before = counts(pk_zone, tables)
    r = pk_zone.post("/v1/ownership/transfers", json=transfer, headers=key)
    assert r.status_code == 201 and r.json() == done, r.text
    assert counts(pk_zone, tables) == before
    # One resolution resolves one transfer: another transfer citing it is refused by the share register, and
    # nothing of it is kept (no position moves).
    digest = pk_zone.get("/v1/ownership/%s/cap-table" % eid).json()["state_digest_sha256"]
    before = counts(pk_zone, tables + ["mez_mass_holding", "mez_evaluation"])
    p = assert_problem(pk_zone.post("/v1/ownership/transfers", json=dict(transfer, shares="50")), 409,
                       "ownership.resolution_used", pointer="/board_resolution_ref")
    assert done["resource"]["transfer_id"] in p["detail"], p
    assert counts(pk_zone, tables + ["mez_mass_holding", "mez_evaluation"]) == before
    assert pk_zone.get("/v1/ownership/%s/cap-table" % eid).json()["state_digest_sha256"] == digest


@pytest.mark.parametrize("pk_zone", ["sovereign"], indirect=True)
def test_a_read_that_expires_a_consent_is_audited(pk_zone, mez_env):
    """GET /v1/consent/{id} after the deadline writes the expiry down (status and trail entry) in a transaction of
    its own, committed with its audit row; the next read writes nothing."""
    from audit_util import audit_rows, audit_verify, last_seq
    from test_mass_consent import Party, stamp
    keydir = mez_env.new_dir("orch-expiry")
    requester, d1 = (Party(mez_env, keydir, n) for n in ("req", "d1"))
    record = zone_post(pk_zone, "/v1/consent", {
        "action_type": "corporate_resolution", "title": "Expiring " + uuid.uuid4().hex, "requester_id": requester.did,
        "zone_id": "pk-sifc", "signatories": [{"signatory_id": d1.did, "role": "board_director"}],
        "threshold": {"type": "unanimous"}, "deadline": stamp(time.time() + 2)})["resource"]
    cid = record["consent_id"]
    time.sleep(3.2)
    seq = last_seq(pk_zone)
    r = pk_zone.get("/v1/consent/" + cid)
    assert r.status_code == 200 and r.json()["status"] == "expired", r.text
    assert pk_zone.db.query_value("SELECT status FROM mez_mass_consent WHERE consent_id = '%s'" % cid) == "expired"
    assert pk_zone.db.query_value("SELECT COUNT(*) FROM mez_mass_consent_event WHERE consent_id = '%s'" % cid) == "2"
    rows = audit_rows(pk_zone, start=seq + 1)
    assert [(x["action"], x["resource_id"], x["detail"]["wrote"]) for x in rows] == \
        [("mass.GET /v1/consent/" + cid, cid, "consent_expired")]
    assert pk_zone.get("/v1/consent/%s/audit-trail" % cid).status_code == 200
    assert last_seq(pk_zone) == seq + 1
    cp = audit_verify(pk_zone)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_officers_and_dissolution_through_the_zone_api(pk_zone, mez_env):
    ent = zone_post(pk_zone, "/v1/entities", formation("Abbottabad Pines (Pvt) Ltd", EVIDENCE))
    eid = ent["id"]
    off = zone_post(pk_zone, "/v1/entities/%s/officers" % eid, {"name": "Hamza Qureshi", "role": "secretary",
                                                                 "identity_ref": "nadra:35202-1234567-3"})
    assert "OfficerAppointmentCredential" in off["credential"]["type"]
    # The same person is not appointed to the office twice: the register's 409 passes through, nothing certified.
    before = counts(pk_zone, TABLES + ["mez_mass_entity_officer"])
    assert_problem(pk_zone.post("/v1/entities/%s/officers" % eid, json={
        "name": "H. Qureshi", "role": "secretary", "identity_ref": "nadra:35202-1234567-3"}), 409,
        "entity.duplicate_officer", pointer="/identity_ref")
    assert counts(pk_zone, TABLES + ["mez_mass_entity_officer"]) == before
    # A proscribed name cannot be appointed.
    before = counts(pk_zone)
    assert_problem(pk_zone.post("/v1/entities/%s/officers" % eid, json={"name": proscribed(mez_env),
                                                                        "role": "director"}),
                   422, "compliance.sanctions_hard_block")
    assert counts(pk_zone)["mez_credential"] == before["mez_credential"]
    res = zone_post(pk_zone, "/v1/entities/%s/officers/%s/resign" % (eid, off["id"]), {"reason": "moved abroad"}, 200)
    assert "OfficerResignationCredential" in res["credential"]["type"]
    now = ent["resource"]["created_at"]
    d = zone_post(pk_zone, "/v1/entities/%s/dissolution" % eid, {
        "dissolution_type": "voluntary", "reason": "members resolved to wind up",
        "liquidator": {"name": "Insolvency Partners", "identity_ref": "did:example:liq"},
        "solvency_declaration": {"declared_solvent": True,
                                 "directors_signing": [{"identity_ref": "did:example:d1", "signed_at": now}],
                                 "statement_of_assets": {"total_assets": "500000", "total_liabilities": "150000",
                                                         "currency": "PKR"}}}, 202)
    assert "EntityDissolutionCredential" in d["credential"]["type"]
    a = zone_post(pk_zone, "/v1/entities/%s/dissolution/advance" % eid, {}, 200)
    assert d["resource"]["current_stage"] == "board_resolution" and d["resource"]["stage_sequence"] == 1
    assert a["resource"]["current_stage"] == "shareholder_resolution" and a["resource"]["stage_sequence"] == 2
    assert pk_zone.get("/v1/entities/" + eid).json()["status"] == "DISSOLVING"
    # A dissolving entity cannot be made ACTIVE by a status change: the lifecycle names its state.
    p = assert_problem(pk_zone.post("/v1/entities/%s/status" % eid, json={"target_status": "SUSPENDED"}), 409,
                       "lifecycle.illegal_transition")
    assert "DISSOLVING" in p["detail"]


def dissolution_store(zone):
    """The zone whose database holds the Mass records, and the calendar its store counts days on: the zone's own
    (its zone.yaml's Asia/Karachi), or behind a remote Mass the store zone's, which has no zone.yaml: none, said as
    such, and the period counted so that it has run on every calendar (the Mass contracts carry no calendar, so the
    store cannot be told the caller's)."""
    if isinstance(zone, ApiOverRemoteMass):
        return zone.b, None, ("at UTC-12, no zone calendar (this store was given none: counted so that the period "
                              "has run on every calendar, from the day it began at UTC+14 to 00:00 at UTC-12)")
    return zone, "Asia/Karachi", "on the Asia/Karachi calendar"


def test_dissolution_periods_are_days_of_the_calendar(pk_zone):
    """The creditors' window of a dissolution is counted in days of the store's calendar, the day it began not
    counted: a notify_creditors stage begun at 23:30 yesterday in Karachi with a one-day window runs through today
    and completes from 00:00 tomorrow there (19:00 UTC today), not 24 hours on (23:30 today in Karachi). Refused
    409 naming that instant, the date and the calendar, with nothing changed; once the window has run, the stage
    completes. Behind a remote Mass without a calendar the same stage is counted so that its day has run
    everywhere (from the date at UTC+14 to midnight at UTC-12), and the refusal says so."""
    ent = zone_post(pk_zone, "/v1/entities", formation("Gilgit Apricots (Pvt) Ltd", EVIDENCE))
    eid = ent["id"]
    base = "/v1/entities/%s/dissolution" % eid
    now = ent["resource"]["created_at"]
    zone_post(pk_zone, base, {
        "dissolution_type": "voluntary", "reason": "members resolved to wind up",
        "solvency_declaration": {"declared_solvent": True,
                                 "directors_signing": [{"identity_ref": "did:example:d1", "signed_at": now}],
                                 "statement_of_assets": {"total_assets": "500000", "total_liabilities": "150000",
                                                         "currency": "PKR"}},
        "parameters": {"creditor_notice_period_days": 1}}, 202)
    for _ in range(3):
        a = zone_post(pk_zone, base + "/advance", {}, 200)
    assert a["resource"]["current_stage"] == "notify_creditors"
    store, tzname, calendar = dissolution_store(pk_zone)
    began = yesterday_evening("Asia/Karachi")
    # The store times the stage from its row's start (the status document keeps the time the stage really began).
    sql_exec(store, "UPDATE mez_mass_entity_dissolution SET stage_started_at = '%s' WHERE entity_id = '%s'"
             % (began, eid))
    at, date = period_over(began, 1, tzname)
    tables = TABLES + ["mez_mass_entity_dissolution", "mez_mass_entity_history", "mez_audit"]
    before, status = counts(pk_zone, tables), pk_zone.get(base + "/status").json()
    p = assert_problem(pk_zone.post(base + "/advance", json={}), 409, "entity.dissolution_period_running")
    assert ("stage 4 (notify_creditors) cannot complete before %s, the start of %s %s: "
            "creditor_notice_period_days is 1 day from %s, the day the stage began, which is not counted"
            % (at, date, calendar, day_of(began, tzname or "Etc/GMT-14"))) in p["detail"], p
    assert counts(pk_zone, tables) == before
    assert pk_zone.get(base + "/status").json() == status
    # The window has run (it began on 1 March): the stage completes.
    sql_exec(store, "UPDATE mez_mass_entity_dissolution SET stage_started_at = '2026-03-01T18:30:00Z' "
             "WHERE entity_id = '%s'" % eid)
    a = zone_post(pk_zone, base + "/advance", {}, 200)
    assert a["resource"]["current_stage"] == "realize_assets" and a["resource"]["stage_sequence"] == 5


def test_licence_suspended_reinstated_and_renewed(pk_zone):
    eid = zone_post(pk_zone, "/v1/entities", formation("Chitral Walnuts (Pvt) Ltd", EVIDENCE))["id"]
    evidence = {"compliance": {"evidence": {
        "licensing": {"attestations": [{"id": "urn:secp:form-1", "issuer": "did:example:secp",
                                        "obligations": ["min-members", "max-members"]}]}, **EVIDENCE}}}
    lic = zone_post(pk_zone, "/v1/licences", {"entity_id": eid, "licence_type": "pk-secp:private-limited-company"})["id"]
    zone_post(pk_zone, "/v1/licences/%s/review" % lic, {}, 200)
    g = zone_post(pk_zone, "/v1/licences/%s/grant" % lic, dict(evidence, valid_until="2027-06-30T00:00:00Z"), 200)
    assert g["resource"]["valid_until"] == "2027-06-30T00:00:00Z"
    zone_post(pk_zone, "/v1/licences/%s/suspend" % lic, {"reason": "late return"}, 200)
    # Reinstating re-evaluates: without the evidence the licensing domain is pending, and nothing changes.
    assert_problem(pk_zone.post("/v1/licences/%s/reinstate" % lic, json={}), 409, "compliance.incomplete")
    assert pk_zone.get("/v1/licences/" + lic).json()["status"] == "SUSPENDED"
    zone_post(pk_zone, "/v1/licences/%s/reinstate" % lic, evidence, 200)
    # A renewal extends a live licence; an earlier date is refused.
    assert_problem(pk_zone.post("/v1/licences/%s/renew" % lic, json=dict(evidence, valid_until="2027-01-01T00:00:00Z")),
                   422, "request.invalid_time", pointer="/valid_until")
    r = zone_post(pk_zone, "/v1/licences/%s/renew" % lic, dict(evidence, valid_until="2028-06-30T00:00:00Z"), 200)
    assert "LicenceRenewalCredential" in r["credential"]["type"]
    assert r["resource"]["status"] == "ACTIVE" and r["resource"]["valid_until"] == "2028-06-30T00:00:00Z"


def test_oversize_body_changes_nothing(pk_zone):
    before = counts(pk_zone)
    big = formation("Big Body Ltd", metadata={"padding": "x" * (1024 * 1024 + 10)})
    assert_problem(pk_zone.post("/v1/entities", json=big), 413, "request.too_large")
    assert counts(pk_zone) == before


def test_every_write_is_in_the_audit_chain(pk_zone, mez_env):
    before = pk_zone.count("mez_audit")
    zone_post(pk_zone, "/v1/entities", formation("Audited Dates (Pvt) Ltd", EVIDENCE))
    assert_problem(pk_zone.post("/v1/entities", json=formation(proscribed(mez_env) + " Dates", EVIDENCE)), 422)
    rows = pk_zone.count("mez_audit")
    assert rows == before + 2
    actions = pk_zone.db.query_value("SELECT action || ':' || outcome FROM mez_audit WHERE seq = %d" % rows)
    assert actions == "entity.formation:denied"
    z = pk_zone.a if hasattr(pk_zone, "a") else pk_zone
    cp = mez_env.mez("audit", "verify", "--driver", z.driver, "--params", z.db.params)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_a_production_zone_moves_no_money_while_the_tax_is_undecided(make_zone, driver, mez_env):
    """Withholding is the payer's duty, not an option. Where the law the zone holds does not settle what a payment
    withholds (here the payee's filer status is not given, so the s. 153(1)(b) row's two rates cannot be chosen
    between), a zone in MezMode production refuses the payment (409 compliance.tax_undecided, naming why) rather
    than paying it with nothing withheld; with the facts given it is paid and withheld. In development the
    payment goes through with the tax recorded pending (the other tests)."""
    dest = os.path.join(mez_env.new_dir("pko-prod"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    # production does not start a zone without the sanctions lists its zone.yaml declares: the UN list, imported
    z = make_zone(driver, zone_id=ZONE_ID, zone_file=import_un_list(mez_env, os.path.join(dest, "zone.yaml")),
                  extra_conf="MezMode production")
    payer = zone_post(z, "/v1/entities", formation("Sialkot Sports Goods (Pvt) Ltd", EVIDENCE))["id"]
    payee = zone_post(z, "/v1/entities", formation("Multan Mangoes (Pvt) Ltd", EVIDENCE))["id"]
    accounts = [zone_post(z, "/v1/fiscal/accounts", {"entity_id": e, "account_type": t, "currency": "PKR",
                                                     "ntn": NTN})["resource"]["account_id"]
                for e, t in ((payer, "operating"), (payer, "withholding"), (payee, "operating"))]
    r = z.post("/mass/v1/fiscal/accounts/%s/deposits" % accounts[0],
               json={"amount": "5000000", "currency": "PKR", "reference": "capital injection"})
    assert r.status_code == 201, r.text
    body = {"source_account_id": accounts[0],
            "destination": {"type": "internal_account", "account_id": accounts[2]},
            "amount": "1000000", "currency": "PKR", "payment_type": "service_fee",
            "compliance": {"date": "2026-01-15", "subject": {"filer_status": "filer"},
                           "evidence": EVIDENCE, "withholding_account_id": accounts[1]}}
    tables = ["mez_credential", "mez_mass_ledger_line", "mez_mass_payment", "mez_mass_tax_event"]
    before = counts(z, tables)
    p = assert_problem(z.post("/v1/fiscal/payments", json=body), 409, "compliance.tax_undecided",
                       pointer="/compliance")
    assert "filer" in p["detail"], p
    assert counts(z, tables) == before
    # Dated today: the rows for services are in force on other dates (tax year 2026), not today's; the packs lack
    # today's rate card, so what the law withholds is not settled either.
    body["compliance"]["counterparty"] = {"filer_status": "filer"}
    today = dict(body, compliance=dict(body["compliance"]))
    del today["compliance"]["date"]
    p = assert_problem(z.post("/v1/fiscal/payments", json=today), 409, "compliance.tax_undecided",
                       pointer="/compliance")
    assert "in force on other dates" in p["detail"], p
    assert counts(z, tables) == before
    pay = zone_post(z, "/v1/fiscal/payments", body)
    assert pay["resource"]["status"] == "settled"
    assert pay["resource"]["withholding_amount"].startswith("150000")      # 15 % for a filer payee
    # A payment no row withholds from at all is not undecided: paid, nothing withheld (its tax, pending, is the
    # evidence's to settle as in any domain).
    misc = dict(body, amount="1000", compliance=dict(body["compliance"], payment_type="misc"))
    pay = zone_post(z, "/v1/fiscal/payments", misc)
    assert pay["resource"]["status"] == "settled" and pay["resource"]["withholding_amount"] == "0.00", pay

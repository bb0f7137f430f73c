# test_compliance.py: POST /v1/compliance/evaluate on the shipped pk-sifc zone (packs/pk with its stack.lock):
# a payment to a proscribed organisation is denied (422, an answer not an error), a non-filer's payment carries
# the higher withholding rate citing its section, domains without evidence stay pending, "attest": true issues a
# ComplianceAttestation that verifies, every evaluation is recorded, and bad input changes nothing. On the
# shipped ae-adgm zone, the AML thresholds' applies_to (the classes of person a limit binds) is checked against
# the classes the subject declares.
import json
import os
import shutil

import pytest
import yaml

from mez_harness import assert_problem

ZONE_ID = "pk-sifc"


@pytest.fixture(scope="module")
def pk_zone(module_zones, driver, mez_env):
    dest = os.path.join(mez_env.new_dir("pkc"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    return module_zones(driver, zone_id=ZONE_ID, zone_file=os.path.join(dest, "zone.yaml"))


def payment(payee, status, payment_type="services", amount="1000000"):
    return {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc",
                       "payment_type": payment_type, "amount": {"amount": amount, "currency": "PKR"}},
            "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company",
                        "filer_status": "filer"},
            "counterparty": {"id": "did:example:payee", "name": payee, "entity_class": "company",
                             "filer_status": status}}


def proscribed_name(mez_env):
    with open(os.path.join(mez_env.source_dir, "packs", "pk", "regpacks", "pk-proscribed.yaml")) as f:
        entry = yaml.safe_load(f)["lists"][0]["entries"][0]
    return entry["id"], entry["name"]


def test_non_filer_gets_the_higher_rate(pk_zone):
    f = pk_zone.post("/v1/compliance/evaluate", json=payment("Indus Consulting", "filer"))
    n = pk_zone.post("/v1/compliance/evaluate", json=payment("Indus Consulting", "non_filer"))
    assert f.status_code == 200 and n.status_code == 200, (f.text, n.text)
    wf, wn = f.json()["evaluation"]["withholding"][0], n.json()["evaluation"]["withholding"][0]
    assert wf["section"] == wn["section"] == "153(1)(b)"
    assert float(wn["rate"]) > float(wf["rate"])
    assert wn["law"]["eid"].startswith("sec_153") and wn["source"]["title"]
    # The cited section is served by the same zone.
    law = pk_zone.get("/v1/laws/" + wn["law"]["eid"])
    assert law.status_code == 200 and law.json()["num"]


def test_preview_records_nothing(pk_zone, mez_env):
    before = pk_zone.count("mez_evaluation")
    body = payment("Indus Consulting", "non_filer")
    body["preview"] = True
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    assert r.status_code == 200 and r.json()["recorded"] is False
    assert pk_zone.count("mez_evaluation") == before
    body["attest"] = True
    assert_problem(pk_zone.post("/v1/compliance/evaluate", json=body), 422, "request.conflicting_options")
    del body["preview"], body["attest"]
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    assert r.json()["recorded"] is True and pk_zone.count("mez_evaluation") == before + 1


def cited(evaluation):
    """Every reason and withholding entry that cites a pack rule."""
    out = [r for d in evaluation["domains"].values() for r in d["reasons"] if "rule" in r]
    return out + [w for w in evaluation["withholding"]]


def test_compact_reasons_cite_rules_by_reference(pk_zone):
    body = payment("Indus Consulting", "non_filer")
    body["preview"] = True
    compact = pk_zone.post("/v1/compliance/evaluate", json=body)
    body["detail"] = "full"
    full = pk_zone.post("/v1/compliance/evaluate", json=body)
    assert compact.status_code == full.status_code == 200, (compact.text, full.text)
    c, f = compact.json()["evaluation"], full.json()["evaluation"]
    assert c["detail"] == "compact" and f["detail"] == "full"
    assert c["commitment"] == f["commitment"] and c["decision"] == f["decision"]
    assert len(compact.content) < len(full.content)
    packs = {p["id"]: p["digest"] for p in c["packs"]}
    rules = cited(c)
    assert rules
    for r in rules:
        # The rule by reference: its pack's digest (served by this zone) and the version applied.
        assert r["pack_digest"] == packs[r["rule"].split("/")[0]] and r["source"]["id"]
        assert r.get("valid_from") or r["code"].startswith("sanctions_"), r   # a list may leave its dates out
        assert "conflicts" not in r
        # The legal source stays: the statute section, or the pinpoint where the rule cites no law.
        assert "law" in r or "source_detail" in r or r["code"] == "sanctions_clear", r
        if "law" in r:
            assert "source_detail" not in r
    [wc], [wf] = c["withholding"], f["withholding"]
    assert wc["section"] == wf["section"] == "153(1)(b)" and wc["law"] == wf["law"] and wc["rule"] == wf["rule"]
    assert "source_detail" in wf and "conflicts" in wf and wf["source"]["url"] and "url" not in wc["source"]
    # What the reference names is there: the pack by digest, and the rule in it.
    digest = wc["pack_digest"]
    manifest = pk_zone.get("/v1/packs/" + digest)
    assert manifest.status_code == 200 and manifest.json()["digest"] == digest
    assert manifest.json()["pack_id"] == wc["rule"].split("/")[0]


@pytest.mark.parametrize("extra,status,code", [
    ({"detail": "short"}, 422, "tensor.unknown_detail"),
    ({"detail": 1}, 422, "request.invalid_type"),
    ({"detail": "compact", "attest": True}, 422, "request.conflicting_options"),
])
def test_bad_detail_changes_nothing(pk_zone, extra, status, code):
    before = pk_zone.count("mez_evaluation"), pk_zone.count("mez_credential")
    body = dict(payment("Indus Consulting", "filer"), **extra)
    problem = assert_problem(pk_zone.post("/v1/compliance/evaluate", json=body), status, code)
    assert problem["pointer"] == "/detail"
    assert (pk_zone.count("mez_evaluation"), pk_zone.count("mez_credential")) == before


def test_attested_and_recorded_evaluations(pk_zone):
    # An attestation commits to the full evaluation, whatever the default.
    body = dict(payment("Indus Consulting", "filer"), attest=True)
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["evaluation"]["detail"] == "full"
    assert any("conflicts" in w for w in r.json()["evaluation"]["withholding"])
    # A recorded evaluation without attestation is compact unless asked otherwise.
    r = pk_zone.post("/v1/compliance/evaluate", json=payment("Indus Consulting", "filer"))
    assert r.json()["recorded"] is True and r.json()["evaluation"]["detail"] == "compact"


def test_pending_without_evidence_and_compliant_with_it(pk_zone):
    body = payment("Indus Consulting", "filer")
    r = pk_zone.post("/v1/compliance/evaluate", json=body).json()["evaluation"]
    assert r["domains"]["kyc"]["state"] == "pending" and r["decision"] == "pending"
    body["evidence"] = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}}
    r = pk_zone.post("/v1/compliance/evaluate", json=body).json()["evaluation"]
    assert r["domains"]["kyc"]["state"] == "compliant"


@pytest.mark.parametrize("mode", ["attest", "recorded", "preview"])
def test_a_backdated_evaluation_judges_evidence_today(pk_zone, mode):
    """The action's date chooses the law, not the day evidence is judged on: a KYC attestation that expired after
    the action's date but before today vouches for nothing, in an attested, a recorded or a previewed evaluation
    alike (before, the zone signed "compliant" under today's date for a payment dated while it held)."""
    today = pk_zone.get("/v1/zone").json()["today"]
    body = payment("Indus Consulting", "filer")
    body["evidence"] = {"kyc": {"attestations": [{"id": "urn:kyc:1", "issuer": "did:example:nadra",
                                                  "expires_at": "2026-01-20T00:00:00Z"}]},
                        "aml": {"state": "compliant"}}
    body.update({"attest": {"attest": True}, "recorded": {}, "preview": {"preview": True}}[mode])
    before = pk_zone.count("mez_evaluation")
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    assert r.status_code == 422, r.text
    ev = r.json()["evaluation"]
    assert ev["date"] == "2026-01-15" and ev["evidence_date"] == today and ev["screening_date"] == today, ev
    kyc = ev["domains"]["kyc"]
    assert kyc["state"] == "non_compliant", kyc
    assert [x for x in kyc["reasons"] if x["code"] == "attestation_expired"][0]["expired"] == ["urn:kyc:1"]
    assert ev["decision"] == "non_compliant"
    if mode == "attest":
        assert r.json()["attestation"]["credentialSubject"]["decision"] == "non_compliant"
    assert pk_zone.count("mez_evaluation") == before + (0 if mode == "preview" else 1)


def test_proscribed_payee_is_denied_with_an_attestation(pk_zone, mez_env, tmp_path):
    entry_id, name = proscribed_name(mez_env)
    before_e, before_c = pk_zone.count("mez_evaluation"), pk_zone.count("mez_credential")
    body = payment(name, "filer")
    body["attest"] = True
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    out = r.json()
    assert out["evaluation"]["decision"] == "non_compliant"
    assert entry_id in str(out["evaluation"]["domains"]["sanctions"]["reasons"])
    vc = out["attestation"]
    assert "ComplianceAttestation" in vc["type"] and vc["issuer"] == pk_zone.did
    assert vc["credentialSubject"]["decision"] == "non_compliant"
    assert vc["credentialSubject"]["evaluation"] == out["evaluation_digest"]
    assert pk_zone.post("/v1/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    assert pk_zone.count("mez_evaluation") == before_e + 1
    assert pk_zone.count("mez_credential") == before_c + 1


@pytest.mark.parametrize("mutate,status,code", [
    (lambda b: b["action"].update(type="teleport"), 422, "tensor."),
    (lambda b: b["action"]["amount"].update(amount=1000.5), 422, "tensor."),
    (lambda b: b.update(attest="yes"), 422, "request.invalid_type"),
    (lambda b: b["action"].update(jurisdiction="xx-nowhere"), 422, "tensor."),
    (lambda b: b.update(surprise=1), 422, "tensor."),
])
def test_bad_input_changes_nothing(pk_zone, mutate, status, code):
    before = pk_zone.count("mez_evaluation")
    body = payment("Indus Consulting", "filer")
    mutate(body)
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    problem = assert_problem(r, r.status_code)
    assert 400 <= r.status_code < 500 and problem["code"].startswith(code), problem
    assert pk_zone.count("mez_evaluation") == before


def test_zone_without_packs_answers_503(zone):
    r = zone.post("/v1/compliance/evaluate", json=payment("Indus Consulting", "filer"))
    assert_problem(r, 503, "zone.no_packs")


def test_answers_match_the_openapi_document(pk_zone, mez_env):
    from test_openapi import check
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    entry_id, name = proscribed_name(mez_env)
    for body in (payment("Indus Consulting", "non_filer"), dict(payment(name, "filer"), attest=True),
                 {"action": {"type": "teleport"}}):
        check(spec, "post", "/v1/compliance/evaluate", pk_zone.post("/v1/compliance/evaluate", json=body))


def test_a_licence_fee_that_grows_with_capital_over_http(pk_zone, mez_env):
    """POST /v1/compliance/evaluate reports the SECP registration fee computed for the stated capital (S.R.O.
    500(I)/2023: Rs 2,200 + Rs 700 for each further Rs 100,000 or part), and the answer matches the OpenAPI
    document."""
    from test_openapi import check
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    body = {"action": {"type": "licence_application", "date": "2023-06-01", "jurisdiction": ZONE_ID,
                       "licence_type": "pk-secp:private-limited-company"},
            "subject": {"id": "did:example:applicant", "name": "Karachi Looms (Pvt) Ltd", "entity_class": "company",
                        "capital": {"amount": "1000000", "currency": "PKR"}},
            "preview": True}
    r = pk_zone.post("/v1/compliance/evaluate", json=body)
    check(spec, "post", "/v1/compliance/evaluate", r)
    fees = {(f["fee_type"], f["filing"]): f for f in r.json()["evaluation"]["fees"]}
    online = fees[("registration", "online")]
    assert online["amount"] == {"amount": "8500", "currency": "PKR"}            # 2,200 + 9 x 700
    assert online["base_amount"] == {"amount": "2200", "currency": "PKR"}
    assert online["scale"]["computed"] is True and online["scale"]["bands"][0]["units"] == 9
    assert fees[("registration", "paper")]["amount"]["amount"] == "11300"      # 5,000 + 9 x 700


# ------------------------------------------------------------------------------------------------ ae-adgm

@pytest.fixture(scope="module")
def adgm_zone(module_zones, driver, mez_env):
    dest = os.path.join(mez_env.new_dir("adgm"), "ae-adgm")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "ae-adgm"), dest)
    return module_zones(driver, zone_id="ae-adgm", name="adgm", zone_file=os.path.join(dest, "zone.yaml"))


def adgm_payment(classes=None, where="subject"):
    body = {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "ae-adgm",
                       "payment_type": "services", "amount": {"amount": "75000", "currency": "AED"}},
            "subject": {"id": "did:example:payer", "name": "Falcon Bullion Trading LLC"},
            "counterparty": {"id": "did:example:payee", "name": "Gulf Supplies LLC"},
            "preview": True}
    if classes is not None:
        body[where]["taxpayer_classes"] = classes
    return body


def aml_reasons(adgm_zone, body):
    r = adgm_zone.post("/v1/compliance/evaluate", json=body)
    assert r.status_code == 200, r.text
    return {x["rule"].split("/", 1)[1]: x for x in r.json()["evaluation"]["domains"]["aml"]["reasons"]
            if x["code"] in ("threshold_met", "threshold_class_not_bound")}, r


def test_aml_thresholds_bind_the_classes_in_their_applies_to(adgm_zone, mez_env):
    """packs/ae-adgm/regpacks/ae-aml-cft.yaml: Cabinet Decision 10/2019's CDD limit (AED 55,000) binds financial
    institutions and DNFBPs, the DPMS report (MoE Circular 08/AML/2021) dealers in precious metals and stones. A
    dealer's AED 75,000 payment meets both limits, but only the dealer's obligations are its own; a subject that
    declares no class has every obligation met opened, as one that may be owed. Before, applies_to was only listed
    among the unchecked conditions and every limit bound everyone."""
    from test_openapi import check
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    dealer, r = aml_reasons(adgm_zone, adgm_payment(["dpms"]))
    check(spec, "post", "/v1/compliance/evaluate", r)
    cdd, dpms = dealer["ae-cdd-occasional-55k"], dealer["ae-dpmsr-55k"]
    assert cdd["code"] == "threshold_class_not_bound", cdd
    assert cdd["applies_to"] == ["financial_institution", "dnfbp"] and cdd["subject_classes"] == ["dpms"]
    assert dpms["code"] == "threshold_met" and dpms["subject_class"] == "dpms", dpms
    assert "applies_to" not in dpms.get("unchecked_conditions", {}), dpms
    assert dealer["ae-dpms-dnfbp-55k"]["code"] == "threshold_met"
    assert dealer["ae-cash-declaration-60k"]["code"] == "threshold_class_not_bound"   # a traveller's limit

    bank, _ = aml_reasons(adgm_zone, adgm_payment(["financial_institution"]))
    assert bank["ae-cdd-occasional-55k"]["code"] == "threshold_met"
    assert bank["ae-cdd-occasional-55k"]["subject_class"] == "financial_institution"
    assert bank["ae-wire-full-originator-info-3500"]["code"] == "threshold_met"
    assert bank["ae-dpmsr-55k"]["code"] == "threshold_class_not_bound"

    unknown, r = aml_reasons(adgm_zone, adgm_payment())
    assert {k: v["code"] for k, v in unknown.items()} == {k: "threshold_met" for k in dealer}, unknown
    assert "subject_class" not in unknown["ae-dpmsr-55k"] and "declares none" in unknown["ae-dpmsr-55k"]["detail"]
    assert r.json()["evaluation"]["domains"]["aml"]["state"] == "pending"


@pytest.mark.parametrize("classes,where,pointer", [
    (["dpms"], "counterparty", "/counterparty/taxpayer_classes"),
    ([], "subject", "/subject/taxpayer_classes"),
    (["dpms", "dpms"], "subject", "/subject/taxpayer_classes/1"),
    ("dpms", "subject", "/subject/taxpayer_classes"),
])
def test_bad_classes_change_nothing(adgm_zone, classes, where, pointer):
    before = adgm_zone.count("mez_evaluation")
    body = adgm_payment(classes, where)
    del body["preview"]
    problem = assert_problem(adgm_zone.post("/v1/compliance/evaluate", json=body), 422)
    assert problem["code"].startswith("tensor.") and problem["pointer"] == pointer, problem
    assert adgm_zone.count("mez_evaluation") == before

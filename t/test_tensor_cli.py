# test_tensor_cli.py: `mez tensor eval` on the shipped pk-sifc packs reads known facts back through the evaluator:
# a payment to a proscribed organisation is denied (hard block), a non-filer's payment carries the higher
# withholding rate with its section and source, and domains without evidence stay pending.
import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PK = os.path.join(ROOT, "packs", "pk", "regpacks")
PACKS = ["pk-wht-ty2026.yaml", "pk-aml-cft.yaml", "pk-proscribed.yaml"]


def evaluate(mez_env, action):
    args = []
    for p in PACKS:
        args += ["--pack", os.path.join(PK, p)]
    cp = mez_env.mez("tensor", "eval", *args, "-", input=json.dumps(action))
    assert cp.returncode in (0, 1), cp.stderr
    return cp.returncode, json.loads(cp.stdout)


def payment(payee_name, payee_status, payment_type="services", amount="1000000"):
    return {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc",
                       "payment_type": payment_type, "amount": {"amount": amount, "currency": "PKR"}},
            "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company",
                        "filer_status": "filer"},
            "counterparty": {"id": "did:example:payee", "name": payee_name, "entity_class": "company",
                             "filer_status": payee_status}}


def rate_row(section, payment_type):
    with open(os.path.join(PK, "pk-wht-ty2026.yaml")) as f:
        pack = yaml.safe_load(f)
    rows = [r for r in pack["withholding_rates"] if r["section"] == section and r["payment_type"] == payment_type
            and r["valid_from"] <= "2026-01-15" < r.get("valid_to", "9999-12-31")]
    assert len(rows) == 1, rows
    return rows[0]


def test_non_filer_pays_the_higher_rate_with_its_section(mez_env):
    row = rate_row("153(1)(b)", "services")
    _, filer = evaluate(mez_env, payment("Indus Consulting", "filer"))
    _, non_filer = evaluate(mez_env, payment("Indus Consulting", "non_filer"))
    wf, wn = filer["withholding"][0], non_filer["withholding"][0]
    assert wf["section"] == wn["section"] == "153(1)(b)"
    assert wf["rate"] == row["rates"]["filer"] and wn["rate"] == row["rates"]["non_filer"]
    assert float(wn["rate"]) > float(wf["rate"])
    # 1,000,000 PKR at the cited rates, exactly
    assert wn["amount"] == str(int(1000000 * float(row["rates"]["non_filer"]) / 100))
    assert wn["source"]["id"] == row["source"] and wn["law"]["eid"] == row["law"]["eid"]
    assert non_filer["domains"]["tax"]["state"] == "compliant"


def test_payment_to_a_proscribed_organisation_is_denied(mez_env):
    with open(os.path.join(PK, "pk-proscribed.yaml")) as f:
        lst = yaml.safe_load(f)["lists"][0]
    entry = lst["entries"][0]
    rc, out = evaluate(mez_env, payment(entry["name"].upper(), "filer"))
    assert rc == 1
    assert out["decision"] == "non_compliant"
    sanctions = out["domains"]["sanctions"]
    assert sanctions["state"] == "non_compliant"
    assert any(entry["id"] in json.dumps(r) for r in sanctions["reasons"]), sanctions


def test_domains_without_evidence_stay_pending(mez_env):
    rc, out = evaluate(mez_env, payment("Indus Consulting", "filer"))
    assert out["domains"]["kyc"]["state"] == "pending"
    assert out["domains"]["aml"]["state"] == "pending"
    assert out["decision"] == "pending" and rc == 1
    assert out["commitment"].startswith("sha256:")


def test_same_input_gives_identical_output(mez_env):
    a = evaluate(mez_env, payment("Indus Consulting", "non_filer"))[1]
    b = evaluate(mez_env, payment("Indus Consulting", "non_filer"))[1]
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("mutate,code", [
    (lambda a: a["action"].update(type="teleport"), "tensor."),
    (lambda a: a["action"]["amount"].update(amount=1000.5), "tensor."),
    (lambda a: a["action"].update(date="15/01/2026"), "tensor."),
])
def test_bad_actions_are_refused(mez_env, mutate, code):
    act = payment("Indus Consulting", "filer")
    mutate(act)
    args = []
    for p in PACKS:
        args += ["--pack", os.path.join(PK, p)]
    cp = mez_env.mez("tensor", "eval", *args, "-", input=json.dumps(act))
    assert cp.returncode in (1, 2)
    assert code in cp.stderr, cp.stderr

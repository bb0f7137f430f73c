# test_two_nodes.py: two httpd instances (nodes) serving one zone (pk-sifc, its packs) from one database, as a
# load balancer would spread a zone over several nodes (DESIGN §5). Through the zone API on both nodes at once:
# formations of one name create exactly one entity, and payments from one account never overdraw it.
import os
import shutil
import threading

import pytest

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
NTN = {"ntn_number": "1234567", "ntn_type": "company"}


@pytest.fixture(scope="module")
def nodes(module_zones, driver, mez_env):
    pk = os.path.join(mez_env.new_dir("nodes"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    zone_file = os.path.join(pk, "zone.yaml")
    a = module_zones(driver, name="node1", zone_id="pk-sifc", zone_file=zone_file)
    b = module_zones(driver, name="node2", zone_id="pk-sifc", zone_file=zone_file, start=False)
    b.db, b.key_file = a.db, a.key_file
    b.write_conf()
    b.start()
    return a, b


def run_all(jobs):
    answers = [None] * len(jobs)

    def one(i):
        answers[i] = jobs[i]()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_same_name_on_two_nodes_forms_one_entity(nodes):
    a, b = nodes
    before = (a.count("mez_mass_entity"), a.count("mez_credential"))
    names = ["Concurrent Looms (Pvt) Ltd", "CONCURRENT LOOMS (PVT) LTD", "concurrent  looms (pvt) ltd"]

    def form(node, name):
        return lambda: node.post("/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                                       "compliance": {"evidence": EVIDENCE}})
    answers = run_all([form((a, b)[i % 2], names[i % 3]) for i in range(12)])
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * 11, [r.text[:200] for r in answers]
    assert all(r.json()["code"] == "entity.name_taken" for r in answers if r.status_code == 409)
    assert a.count("mez_mass_entity") == before[0] + 1
    assert a.count("mez_credential") == before[1] + 2


def test_payments_on_two_nodes_never_overdraw(nodes):
    a, b = nodes
    post = lambda node, path, body: node.post(path, json=body)
    payer = post(a, "/v1/entities", {"entity_type": "corporation", "legal_name": "Overdraw Test Payer Ltd",
                                     "compliance": {"evidence": EVIDENCE}}).json()["id"]
    payee = post(a, "/v1/entities", {"entity_type": "corporation", "legal_name": "Overdraw Test Payee Ltd",
                                     "compliance": {"evidence": EVIDENCE}}).json()["id"]
    src = post(a, "/v1/fiscal/accounts", {"entity_id": payer, "account_type": "operating", "currency": "PKR",
                                          "ntn": NTN}).json()["id"]
    dst = post(b, "/v1/fiscal/accounts", {"entity_id": payee, "account_type": "operating", "currency": "PKR",
                                          "ntn": NTN}).json()["id"]
    r = a.post("/mass/v1/fiscal/accounts/%s/deposits" % src, json={"amount": "50", "currency": "PKR",
                                                                   "reference": "float"})
    assert r.status_code == 201, r.text
    body = {"source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
            "amount": "1", "currency": "PKR", "payment_type": "goods_payment",
            "compliance": {"date": "2026-01-15", "evidence": EVIDENCE}}

    def pay(node):
        def go():
            return [node.post("/v1/fiscal/payments", json=body) for _ in range(10)]
        return go
    answers = [r for batch in run_all([pay((a, b)[i % 2]) for i in range(8)]) for r in batch]
    ok = [r for r in answers if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert len(ok) == 50, [r.text[:300] for r in refused[:3]]
    odd = [(r.status_code, r.text[:400]) for r in refused
           if r.status_code != 422 or r.json().get("code") != "fiscal.insufficient_funds"]
    assert not odd, odd
    assert a.get("/v1/fiscal/accounts/" + src).json()["balance"] in ("0", "0.00")
    assert b.get("/v1/fiscal/accounts/" + dst).json()["balance"] in ("50", "50.00")
    # One credential and one attestation per payment made, none for the refused ones.
    assert int(a.db.query_value("SELECT COUNT(*) FROM mez_evaluation WHERE action_type = 'fiscal.payment'")) == 50

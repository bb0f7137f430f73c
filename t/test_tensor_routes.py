# test_tensor_routes.py: GET /v1/tensor/{jurisdiction}/commitment answers the commitment of a subject's latest
# recorded evaluation; POST /v1/manifold/route finds the cheapest corridor path over the zone's MezManifoldFile
# graph and reproduces the reference's path vectors; bad input gets a problem and a bad graph stops start-up.
import json
import os
import shutil

import pytest

from mez_harness import assert_problem

# The reference's standard manifold fixture (its fees are illustrative, not law): test data for the route vectors.
STANDARD_GRAPH = {
    "jurisdictions": [
        {"jurisdiction_id": "uae-difc", "name": "Dubai International Financial Centre", "entry_fee_usd": 1000,
         "annual_fee_usd": 5000, "is_active": True},
        {"jurisdiction_id": "kz-aifc", "name": "Astana International Financial Centre", "entry_fee_usd": 500,
         "annual_fee_usd": 2000, "is_active": True},
        {"jurisdiction_id": "pk-rez", "name": "Rashakai Economic Zone", "entry_fee_usd": 200,
         "annual_fee_usd": 1000, "is_active": True},
    ],
    "corridors": [
        {"corridor_id": "corridor-difc-aifc", "source_jurisdiction": "uae-difc", "target_jurisdiction": "kz-aifc",
         "is_bidirectional": True, "is_active": True, "transfer_fee_bps": 10, "flat_fee_usd": 100,
         "estimated_transfer_hours": 24, "settlement_finality_hours": 48},
        {"corridor_id": "corridor-aifc-rez", "source_jurisdiction": "kz-aifc", "target_jurisdiction": "pk-rez",
         "is_bidirectional": True, "is_active": True, "transfer_fee_bps": 15, "flat_fee_usd": 50,
         "estimated_transfer_hours": 12, "settlement_finality_hours": 24},
    ],
}


@pytest.fixture(scope="module")
def pk_zone(module_zones, driver, mez_env):
    dest = os.path.join(mez_env.new_dir("pkt"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    graph = os.path.join(dest, "manifold.json")
    with open(graph, "w") as f:
        json.dump(STANDARD_GRAPH, f)
    return module_zones(driver, zone_id="pk-sifc", zone_file=os.path.join(dest, "zone.yaml"),
                        extra_conf="MezManifoldFile %s\n" % graph)


def payment(subject, payee_status):
    return {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc", "payment_type": "services",
                       "amount": {"amount": "250000", "currency": "PKR"}},
            "subject": {"id": subject, "name": "Lahore Textiles Ltd", "entity_class": "company",
                        "filer_status": "filer"},
            "counterparty": {"id": "did:example:payee", "name": "Indus Consulting", "entity_class": "company",
                             "filer_status": payee_status}}


def test_commitment_of_the_latest_evaluation(pk_zone):
    subject = "did:example:lahore-textiles"
    first = pk_zone.post("/v1/compliance/evaluate", json=payment(subject, "filer")).json()
    latest = pk_zone.post("/v1/compliance/evaluate", json=payment(subject, "non_filer")).json()
    r = pk_zone.get("/v1/tensor/pk-sifc/commitment", params={"subject": subject})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["commitment"] == latest["evaluation"]["commitment"]
    assert body["evaluation_digest"] == latest["evaluation_digest"] != first["evaluation_digest"]
    assert body["decision"] == latest["evaluation"]["decision"]


def test_commitment_problems(pk_zone):
    assert_problem(pk_zone.get("/v1/tensor/pk-sifc/commitment"), 400, "request.missing_parameter")
    assert_problem(pk_zone.get("/v1/tensor/pk-sifc/commitment", params={"subject": "did:example:nobody"}),
                   404, "tensor.no_evaluation")
    assert_problem(pk_zone.get("/v1/tensor/pk-sifc/elsewhere"), 404, "request.not_found")
    assert_problem(pk_zone.get("/v1/tensor/pk:sifc/commitment", params={"subject": "did:example:x"}),
                   400, "tensor.invalid_jurisdiction")


def test_routes_reproduce_the_reference_vectors(pk_zone, mez_env):
    with open(mez_env.shared("vectors", "anchor", "manifold_paths.json")) as f:
        cases = json.load(f)["cases"]
    for c in cases:
        r = pk_zone.post("/v1/manifold/route", json={"source": c["source"], "target": c["target"],
                                                     "asset_value_usd": c["asset_value_usd"]})
        assert r.status_code == 200, r.text
        path = r.json()
        assert path["total_cost_usd"] == c["expected_total_cost_usd"]
        assert path["total_time_hours"] == c["expected_total_time_hours"]
        assert path["path_id"] == c["expected_path_id"]
        assert [h["corridor_id"] for h in path["hops"]] == c["corridors"]


def test_route_problems(pk_zone):
    r = pk_zone.post("/v1/manifold/route", json={"source": "uae-difc", "target": "atlantis", "asset_value_usd": 1})
    assert_problem(r, r.status_code, "manifold.unknown_jurisdiction")
    r = pk_zone.post("/v1/manifold/route", json={"source": "uae-difc", "target": "pk-rez", "asset_value_usd": 1,
                                                 "max_hops": 1})
    body = assert_problem(r, 422, "manifold.unreachable")
    assert body["why"] == "hop_limit"
    r = pk_zone.post("/v1/manifold/route", json={"source": "uae-difc", "target": "pk-rez", "asset_value_usd": 1.5})
    assert 400 <= r.status_code < 500


def test_zone_without_graph(zone):
    r = zone.post("/v1/manifold/route", json={"source": "a", "target": "b", "asset_value_usd": 1})
    assert_problem(r, 503, "manifold.not_configured")


def test_bad_graph_stops_start_up(make_zone, driver, mez_env):
    path = os.path.join(mez_env.new_dir("badgraph"), "graph.json")
    bad = json.loads(json.dumps(STANDARD_GRAPH))
    bad["corridors"][0]["transfer_fee_bps"] = "ten"
    with open(path, "w") as f:
        json.dump(bad, f)
    z = make_zone(driver, start=False, extra_conf="MezManifoldFile %s\n" % path)
    cp = z.config_test()
    assert cp.returncode != 0
    assert "MezManifoldFile" in cp.stderr and "Syntax error on line" in cp.stderr


def test_answers_match_the_openapi_document(pk_zone, mez_env):
    from test_openapi import check
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    pk_zone.post("/v1/compliance/evaluate", json=payment("did:example:oa", "filer"))
    check(spec, "get", "/v1/tensor/{jurisdiction}/commitment",
          pk_zone.get("/v1/tensor/pk-sifc/commitment", params={"subject": "did:example:oa"}))
    check(spec, "get", "/v1/tensor/{jurisdiction}/commitment", pk_zone.get("/v1/tensor/pk-sifc/commitment"))
    check(spec, "post", "/v1/manifold/route",
          pk_zone.post("/v1/manifold/route", json={"source": "uae-difc", "target": "pk-rez", "asset_value_usd": 5}))
    check(spec, "post", "/v1/manifold/route",
          pk_zone.post("/v1/manifold/route", json={"source": "uae-difc", "target": "pk-rez", "asset_value_usd": 5,
                                                   "max_hops": 1}))

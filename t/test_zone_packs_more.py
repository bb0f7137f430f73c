# test_zone_packs_more.py: the kz-aifc, sc-fsa and hn-prospera zones (packs/kz-aifc, packs/sc, packs/hn-prospera)
# start with MezZoneFile and their shipped stack.lock, serve their packs, and decide a cross_border_transfer
# preview against them. (pk-sifc and ae-adgm: test_zone_packs.py.)
import json
import os
import shutil

import pytest

ZONES = [
    # zone id, packs directory, jurisdiction evaluated, pack ids the zone must run
    ("kz-aifc", "kz-aifc", "kz-aifc", {"kz-aifc-constitutional-statute", "kz-aifc-tax", "kz-aml", "aifc-afsa"}),
    ("sc-fsa", "sc", "sc", {"sc-ibc-act-2016", "sc-aml-bo", "sc-fsa"}),
    ("hn-prospera", "hn-prospera", "hn-prospera", {"hn-zede-organic-law-2013", "hn-prospera-tax",
                                                  "hn-prospera-eresidency"}),
]


def zone_args(mez_env):
    return ["--profile-dir", os.path.join(mez_env.source_dir, "profiles"),
            "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd")]


@pytest.mark.parametrize("zone_id,directory,jurisdiction,pack_ids", ZONES)
def test_shipped_lock_is_current(mez_env, zone_id, directory, jurisdiction, pack_ids):
    """`mez lock` on a copy writes the shipped stack.lock byte for byte, and `mez zone check` accepts it."""
    src = os.path.join(mez_env.source_dir, "packs", directory)
    copy = os.path.join(mez_env.new_dir("relock-" + directory), directory)
    shutil.copytree(src, copy)
    os.unlink(os.path.join(copy, "stack.lock"))
    cp = mez_env.mez("lock", *zone_args(mez_env), os.path.join(copy, "zone.yaml"))
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(copy, "stack.lock"), "rb") as a, open(os.path.join(src, "stack.lock"), "rb") as b:
        assert a.read() == b.read(), "packs/%s/stack.lock is stale: run mez lock" % directory
    cp = mez_env.mez("zone", "check", *zone_args(mez_env), os.path.join(src, "zone.yaml"))
    assert cp.returncode == 0, cp.stderr
    assert "no conflict between layers" in cp.stdout, cp.stdout


def transfer(jurisdiction, date):
    return {"action": {"type": "cross_border_transfer", "date": date, "jurisdiction": jurisdiction,
                       "destination_jurisdiction": "pk-sifc",
                       "amount": {"amount": "25000", "currency": "USD"}},
            "subject": {"id": "did:example:sender", "name": "Corridor Test Sender Ltd", "entity_class": "company"},
            "counterparty": {"id": "did:example:receiver", "name": "Corridor Test Receiver Ltd",
                             "entity_class": "company"}}


@pytest.mark.parametrize("zone_id,directory,jurisdiction,pack_ids", ZONES)
def test_zone_starts_and_serves_its_packs(make_zone, driver, mez_env, zone_id, directory, jurisdiction, pack_ids):
    copy = os.path.join(mez_env.new_dir("zone-" + directory), directory)
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", directory), copy)
    z = make_zone(driver, zone_id=zone_id, zone_file=os.path.join(copy, "zone.yaml"))

    r = z.get("/v1/zone")
    assert r.status_code == 200, r.text
    assert r.json()["zone_id"] == zone_id

    r = z.get("/v1/packs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["zone_id"] == zone_id and body["conflicts"] == []
    with open(os.path.join(copy, "stack.lock")) as f:
        lock = json.load(f)
    assert {(p["type"], p["id"], p["digest"]) for p in body["packs"]} == \
        {(a["type"], a["id"], a["digest"]) for a in lock["artifacts"]}
    assert {p["id"] for p in body["packs"]} == pack_ids
    for p in body["packs"]:
        m = z.get("/v1/packs/" + p["digest"]).json()
        assert m["sources"] and all(s["id"] and s["title"] for s in m["sources"]), m

    # A compliance preview of a transfer out of the zone is decided against the zone's own packs.
    r = z.post("/v1/compliance/evaluate", json=transfer(jurisdiction, "2026-11-30"))
    assert r.status_code == 200, r.text
    evaluation = r.json()["evaluation"]
    assert evaluation["action_type"] == "cross_border_transfer" and evaluation["jurisdiction"] == jurisdiction
    assert evaluation["decision"] in ("pass", "fail", "pending"), evaluation
    digests = {p["id"]: p["digest"] for p in body["packs"]}
    assert {p["id"]: p["digest"] for p in evaluation["packs"]} == digests
    if zone_id == "kz-aifc":
        # USD 25,000 passes the AIFC AML wire-transfer limit (USD 1,000): the reason names the row and its source.
        reasons = evaluation["domains"]["aml"]["reasons"]
        met = [x for x in reasons if x.get("code") == "threshold_met"]
        assert met and met[0]["rule"].startswith("kz-aml/") and met[0]["pack_digest"] == digests["kz-aml"], reasons
        assert met[0]["source"]["id"] and met[0]["source"]["title"], met[0]

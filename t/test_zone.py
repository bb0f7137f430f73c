# test_zone.py: GET /v1/zone names the zone, its did:key (the one `mez keygen` printed) and the module version.
import re

from mez_harness import assert_problem


def test_zone_info(zone):
    r = zone.get("/v1/zone")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    body = r.json()
    assert body["zone_id"] == zone.zone_id
    assert body["did"] == zone.did
    assert body["did"].startswith("did:key:z6Mk")
    assert body["verification_method"] == zone.verification_method
    assert re.fullmatch(r"\d+\.\d+\.\d+", body["version"]), body


def test_zone_version_matches_cli(zone, mez_env):
    cp = mez_env.mez("version", check=True)
    assert zone.get("/v1/zone").json()["version"] in cp.stdout
    # ... and the schema version the build needs, which /readyz reports the database has
    m = re.fullmatch(r"mez \S+ \(database schema (\d+)\)\n", cp.stdout)
    assert m, cp.stdout
    assert zone.get("/readyz").json()["checks"]["schema_version"] == int(m.group(1))


def test_zone_info_method_not_allowed(zone):
    r = zone.post("/v1/zone", json={})
    assert_problem(r, 405, "request.method_not_allowed")
    assert "GET" in r.headers.get("Allow", "")

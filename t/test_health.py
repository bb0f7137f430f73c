# test_health.py: /healthz (process alive) and /readyz (database reachable and migrated, keys loaded).
from mez_harness import assert_problem


def test_healthz(zone):
    r = zone.get("/healthz")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    assert r.json() == {"status": "ok"}


def test_readyz_migrated(zone):
    r = zone.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready", body
    assert isinstance(body["checks"], dict) and body["checks"], body


def test_readyz_never_migrated(make_zone, driver):
    z = make_zone(driver, migrate=False)
    r = z.get("/healthz")
    assert r.status_code == 200, r.text
    r = z.get("/readyz")
    assert_problem(r, 503, "ready.schema_outdated")
    # still not ready on a second look (no lazy self-migration from the request path)
    assert_problem(z.get("/readyz"), 503, "ready.schema_outdated")

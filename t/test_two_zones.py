# test_two_zones.py: independent httpd instances at once (one per database driver): different keys and DIDs,
# and each verifies what the other issued.
from mez_harness import sample_credential


def test_two_zones_verify_each_other(make_zone, mez_env):
    drivers = [d for d in ("sqlite3", "pgsql") if d in mez_env.drivers]
    a = make_zone(drivers[0])
    b = make_zone(drivers[-1])
    assert a.port != b.port and a.dir != b.dir
    ia, ib = a.get("/v1/zone").json(), b.get("/v1/zone").json()
    assert ia["did"] == a.did and ib["did"] == b.did
    assert a.did != b.did
    ca, cb = a.count("mez_credential"), b.count("mez_credential")

    va = a.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}})
    vb = b.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}})
    assert va.status_code == 201 and vb.status_code == 201, (va.text, vb.text)
    va, vb = va.json()["verifiableCredential"], vb.json()["verifiableCredential"]
    assert va["issuer"] == a.did and vb["issuer"] == b.did

    for verifier, vc in ((b, va), (a, vb)):
        r = verifier.post("/v1/credentials/verify", json={"verifiableCredential": vc, "options": {}})
        assert r.status_code == 200, r.text
        assert r.json()["errors"] == []
    # each issued exactly one; verifying stores nothing
    assert a.count("mez_credential") == ca + 1
    assert b.count("mez_credential") == cb + 1

    # stopping one leaves the other serving
    a.stop()
    assert b.get("/healthz").status_code == 200

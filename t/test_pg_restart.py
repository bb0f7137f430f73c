# test_pg_restart.py: a PostgreSQL restart under a running zone (apache-craft.md section 2): pooled mod_dbd
# connections die with the server; mod_mez may answer 503 while they are replaced, never a bare 500, never a
# half-done write, and it recovers by itself (including its prepared statements on the new sessions).
import pytest

from mez_harness import assert_problem, sample_credential


@pytest.fixture
def pg_zone(make_zone, mez_env):
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    return make_zone("pgsql")


def issue(zone):
    return zone.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}})


def test_survives_postgresql_restart(pg_zone, pg_server):
    z = pg_zone
    # warm up several pooled connections in the children
    for _ in range(6):
        assert issue(z).status_code == 201
    before = z.count("mez_credential")
    pg_server.restart()

    created = 0
    statuses = []
    for _ in range(30):
        r = issue(z)
        statuses.append(r.status_code)
        if r.status_code == 201:
            created += 1
        else:
            assert_problem(r, 503)  # a database hiccup is "try again", with a problem body
    assert statuses[-10:] == [201] * 10, "did not recover after the restart: %s" % statuses
    assert z.count("mez_credential") == before + created, statuses
    assert z.get("/readyz").status_code == 200

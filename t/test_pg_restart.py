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


def test_no_database_is_503_db_unavailable_on_every_path(make_zone, mez_env):
    """A zone whose PostgreSQL cannot be reached at all (nothing listens on its port): every path that needs the
    database answers the one stable code, 503 db.unavailable, with a problem body, from the token check to the
    Mass store; routes that need no database keep answering."""
    import os
    from mez_harness import free_port
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    z = make_zone("pgsql", start=False, extra_conf="""
        LoadModule authn_core_module %s
        <Location /v1/credentials/issue>
          AuthType mez
          Require mez-role operator
        </Location>
    """ % os.path.join(mez_env.httpd_modules, "mod_authn_core.so"))
    z.db.params = "host=127.0.0.1 port=%d dbname=gone user=postgres connect_timeout=2" % free_port()
    z.write_conf()
    z.start()
    answers = {
        "token check": z.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}},
                              headers={"Authorization": "Bearer " + "a" * 43}),
        "Mass store": z.post("/mass/v1/entities", json={"legal_name": "Lahore Looms (Pvt) Ltd"}),
        "corridors": z.get("/v1/corridors"),
        "watchers": z.get("/v1/watchers"),
    }
    for what, r in answers.items():
        p = assert_problem(r, 503, "db.unavailable")
        assert "no database connection could be had" in p["detail"], (what, p)
    assert "to check the token" in answers["token check"].json()["detail"]
    assert z.get("/readyz").status_code == 503
    assert z.get("/healthz").status_code == 200
    assert z.get("/v1/zone").status_code == 200


def test_prepared_statements_can_be_turned_off_for_a_pooler(make_zone, mez_env):
    """MezDBPrepare off (PgBouncer in transaction mode does not keep a session's prepared statements): the zone runs
    every statement unprepared and serves as before; a value that is not on/off is refused at start-up."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    z = make_zone("pgsql", extra_conf="MezDBPrepare off")
    for _ in range(3):
        assert issue(z).status_code == 201
    assert z.count("mez_credential") == 3
    assert z.get("/readyz").status_code == 200
    bad = make_zone("pgsql", start=False, extra_conf="MezDBPrepare sometimes")
    cp = bad.config_test()
    assert cp.returncode != 0 and "MezDBPrepare" in (cp.stdout + cp.stderr)

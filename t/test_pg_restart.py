# test_pg_restart.py: a PostgreSQL restart under a running zone (apache-craft.md section 2): pooled mod_dbd
# connections die with the server; mod_mez may answer 503 while they are replaced, never a bare 500, never a
# half-done write, and it recovers by itself (including its prepared statements on the new sessions).
import os
import re

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


# PostgreSQL's own account of each statement a session ran, from its log with log_min_duration_statement = 0:
# "[pid] LOG:  duration: 0.050 ms  parse mez_3: INSERT ..." (and bind, execute); an unprepared statement is
# "<unnamed>". The suite's server logs with the default log_line_prefix, '%m [%p] '.
_STATEMENT_LOG = re.compile(r"\[(\d+)\] LOG:  duration: [0-9.]+ ms  (parse|bind|execute) ([^:]+): (.*)")


def logged_statements(pg_server, make_zone, requests, extra_conf=""):
    """A PostgreSQL zone whose database logs every statement; runs requests(zone) and returns the zone and the
    (pid, phase, statement name, SQL) of every statement its sessions ran meanwhile."""
    z = make_zone("pgsql", start=False, extra_conf=extra_conf)
    pg_server.psql(z.db.name, "ALTER DATABASE %s SET log_min_duration_statement = 0" % z.db.name)
    start = os.path.getsize(pg_server.log)
    z.start()
    requests(z)
    with open(pg_server.log, errors="replace") as f:
        f.seek(start)
        text = f.read()
    return z, [m.groups() for m in map(_STATEMENT_LOG.search, text.splitlines()) if m]


def issue_twenty(z):
    for _ in range(20):
        assert issue(z).status_code == 201


def a_payment(z):
    """Rs 60.50 between two accounts of the zone's sovereign treasury; returns the balances after."""
    from test_mass_fiscal import balance, deposit, new_account, pay, payment
    a, b = new_account(z), new_account(z)
    deposit(z, a, "100.00")
    r = pay(z, payment(a, b, "60.50", reference="INV-PG"))
    assert r.status_code == 201, r.text
    return balance(z, a)["balance"], balance(z, b)["balance"]


def test_statements_are_prepared_once_per_session(make_zone, mez_env, pg_server):
    """The point of store_pg.c, proved from PostgreSQL's side (not only by the benchmark): each SQL text is parsed
    and planned once per session, under a name, and every later run is an execute of that name. A regression to
    unprepared statements (an unnamed parse, bind and execute per call) fails here."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    z, log = logged_statements(pg_server, make_zone, issue_twenty)
    assert z.count("mez_credential") == 20
    executes = [(pid, name, sql) for pid, phase, name, sql in log if phase == "execute"]
    inserts = [e for e in executes if "INSERT INTO mez_credential" in e[2]]
    assert len(inserts) == 20, "the credential INSERT ran %d times, not 20" % len(inserts)
    unnamed = [sql for _, name, sql in executes if name == "<unnamed>"]
    assert not unnamed, "statements ran unprepared: %s" % unnamed[:3]
    assert all(name.startswith("mez_") for _, name, _ in executes)
    parses = {}
    for pid, phase, name, sql in log:
        if phase == "parse":
            parses[(pid, sql)] = parses.get((pid, sql), 0) + 1
    assert parses, "no statement was prepared"
    assert max(parses.values()) == 1, "a session prepared the same SQL twice: %s" % [
        k for k, v in parses.items() if v > 1][:3]
    # More runs than preparations: the sessions reused what they had prepared.
    sessions = {pid for pid, _, _ in inserts}
    assert len([1 for pid, sql in parses if "INSERT INTO mez_credential" in sql]) == len(sessions) < 20


def test_a_payment_reads_balances_back_in_its_updates(make_zone, mez_env, pg_server):
    """On PostgreSQL each balance UPDATE of a ledger post answers the new balance itself (RETURNING): no separate
    read-back per account, one round trip fewer for each of a payment's moves, and the balances are right."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    got = {}
    z, log = logged_statements(pg_server, make_zone, lambda z: got.update(balances=a_payment(z)))
    assert got["balances"] == ("39.50", "60.50")
    executes = [sql for _, phase, _, sql in log if phase == "execute"]
    moves = [sql for sql in executes if sql.startswith("UPDATE mez_mass_account SET balance")]
    assert len(moves) == 4, moves   # the deposit's two lines and the payment's two
    assert all(sql.endswith("RETURNING balance, line_seq, currency") for sql in moves), moves
    assert not [sql for sql in executes if sql.startswith("SELECT balance, line_seq, currency")]
    # Each posting writes its lines in one INSERT: the deposit's and the payment's.
    inserts = [sql for sql in executes if sql.startswith("INSERT INTO mez_mass_ledger_line")]
    assert len(inserts) == 2 and all(sql.count("), (") >= 1 for sql in inserts), inserts
    assert z.db.query_value("SELECT COUNT(*) FROM mez_mass_ledger_line") == "4"


def test_a_formation_and_its_moves_write_history_and_row_in_one_statement(make_zone, mez_env, pg_server):
    """On PostgreSQL an entity's status move is one statement (the history record INSERT in a WITH, then the
    entity's UPDATE), and so is an audit append (the head's UPDATE in a WITH, then the row's INSERT): a formation is
    16 -> 13 round trips. The formation's own submission is no move at all: the row is inserted already
    submitted and its first history record (seq 1) inserted beside it, so the entity's row is written once. The
    records and the audit chain are as before."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    from test_mass_entities import form, put_status
    got = {}

    def form_and_activate(z):
        e = form(z)
        r = put_status(z, e["entity_id"], "ACTIVE", reason="compliance evaluation passed")
        assert r.status_code == 200, r.text
        got.update(formed=e, active=r.json())
        for _ in range(2):
            assert issue(z).status_code == 201
    z, log = logged_statements(pg_server, make_zone, form_and_activate)
    e, a = got["formed"], got["active"]
    assert e["status"] == "PENDING_APPROVAL" and [h["to_status"] for h in e["history"]] == ["PENDING_APPROVAL"]
    assert [h["to_status"] for h in a["history"]] == ["PENDING_APPROVAL", "ACTIVE"]
    rows = z.db.query_value("SELECT string_agg(to_status || ':' || seq, ',' ORDER BY seq) FROM "
                            "mez_mass_entity_history WHERE entity_id = '%s'" % e["entity_id"])
    assert rows == "PENDING_APPROVAL:1,ACTIVE:2"
    executes = [sql for _, phase, _, sql in log if phase == "execute"]
    records = [sql for sql in executes if "mez_mass_entity_history" in sql and "INSERT" in sql]
    moves = [sql for sql in records if sql.startswith("WITH recorded AS (INSERT INTO mez_mass_entity_history")]
    submissions = [sql for sql in records if sql.startswith("INSERT INTO mez_mass_entity_history") and
                   "VALUES ($1, $2, 1," in sql]
    assert len(records) == 2 and len(moves) == 1 and len(submissions) == 1, records
    inserts = [sql for sql in executes if sql.startswith("INSERT INTO mez_mass_entity ")]
    assert len(inserts) == 1, inserts
    assert not [sql for sql in executes if sql.startswith("UPDATE mez_mass_entity SET")]
    # An audit append is one statement that moves the head and inserts the row it links (hash scheme 2), and
    # nothing reads the head first.
    appends = [sql for sql in executes if "INSERT INTO mez_audit " in sql]
    assert appends and all(sql.startswith("WITH head AS (UPDATE mez_audit_head") for sql in appends), appends
    assert not [sql for sql in executes if sql.startswith("UPDATE mez_audit_head")
                or sql.startswith("SELECT seq, hash FROM mez_audit_head")]
    # The chain the appends left is whole: mez audit verify reads every row and the head.
    from audit_util import audit_rows, audit_verify
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    rows = audit_rows(z)
    assert len(rows) >= 4 and [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert z.db.query_value("SELECT seq FROM mez_audit_head WHERE id = 1") == str(len(rows))


def test_prepared_statements_can_be_turned_off_for_a_pooler(make_zone, mez_env, pg_server):
    """MezDBPrepare off (PgBouncer in transaction mode does not keep a session's prepared statements): the zone runs
    every statement unprepared (PostgreSQL logs only unnamed ones) and serves as before; a value that is not on/off
    is refused at start-up."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")

    got = {}

    def three_and_a_payment(z):
        for _ in range(3):
            assert issue(z).status_code == 201
        got["balances"] = a_payment(z)   # UPDATE ... RETURNING through apr_dbd's own query path
    z, log = logged_statements(pg_server, make_zone, three_and_a_payment, extra_conf="MezDBPrepare off")
    assert z.count("mez_credential") == 3
    assert got["balances"] == ("39.50", "60.50")
    executes = [name for _, phase, name, _ in log if phase == "execute"]
    assert executes and set(executes) == {"<unnamed>"}, sorted(set(executes))[:5]
    assert z.get("/readyz").status_code == 200
    bad = make_zone("pgsql", start=False, extra_conf="MezDBPrepare sometimes")
    cp = bad.config_test()
    assert cp.returncode != 0 and "MezDBPrepare" in (cp.stdout + cp.stderr)

# test_corridor_race.py: the corridor store's appends under concurrency (mez/corridor.h, DESIGN section 5).
# Several processes push the same deterministic receipt chain into one corridor at once, as a peer's retried
# pushes or two nodes of one zone would: the corridor's row lock (SELECT ... FOR UPDATE on PostgreSQL, BEGIN
# IMMEDIATE on SQLite) must let exactly one of them write each sequence number and answer the others with the
# stored receipt, never an error, a duplicate, a gap or a fork. And several processes sequencing on one corridor
# as its sequencer (several nodes of one zone): each receipt gets the next number, and the zone never keeps fork
# evidence against itself. t/corridor-race (built by `make check`) does the appending through libmezcore.
import os
import subprocess

import pytest

N = 600
WRITERS = 3


def popcount(n):
    return bin(n).count("1")


@pytest.fixture(params=["sqlite3", "pgsql"])
def race_db(request, mez_env, _pg_holder, tmp_path):
    driver = request.param
    if driver not in mez_env.drivers:
        pytest.skip("%s not in MEZ_TEST_DRIVERS" % driver)
    helper = os.path.join(mez_env.build_dir, "t", "corridor-race")
    if not os.path.exists(helper):
        pytest.skip("%s is missing: run make check in the build first" % helper)
    if driver == "pgsql":
        pg = _pg_holder()
        name = pg.createdb("corridor_race")
        params = pg.conninfo(name)

        def query(sql):
            return pg.psql(name, sql)
    else:
        params = str(tmp_path / "race.sqlite")

        def query(sql):
            import sqlite3
            con = sqlite3.connect(params)
            try:
                return "|".join(str(x) for x in con.execute(sql).fetchone())
            finally:
                con.close()
    cp = mez_env.mez("db", "migrate", "--driver", driver, "--params", params, "--sql-dir", mez_env.sql_dir)
    assert cp.returncode == 0, cp.stderr
    return helper, driver, params, query


def writers(race_db, setup, step, count):
    """The helper's setup step, then WRITERS processes of step count at once; each one's output, once all have
    ended (each must succeed)."""
    helper, driver, params, _ = race_db
    cp = subprocess.run([helper, driver, params, setup], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr
    procs = [subprocess.Popen([helper, driver, params, step, str(count)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(WRITERS)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        outs.append(out)
    return outs


def test_concurrent_appends_write_each_sequence_once(race_db):
    _, driver, _, query = race_db
    fresh = repeated = 0
    for out in writers(race_db, "init", "append", N):
        words = out.split()
        assert words[0] == "new" and words[2] == "repeated", out
        print("%s writer: %s" % (driver, out.strip()))  # how the writers interleaved (pytest -s)
        fresh += int(words[1])
        repeated += int(words[3])
    # Each sequence number was written by exactly one writer; every other attempt was answered as a repeat.
    assert fresh == N
    assert repeated == (WRITERS - 1) * N
    assert query("SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM mez_corridor_receipt") == \
        "%d|%d|0|%d" % (N, N, N - 1)
    assert query("SELECT COUNT(*) FROM mez_corridor_fork") == "0"
    # The stored tree is whole: one node per complete subtree, 2n - popcount(n) of them.
    assert query("SELECT COUNT(*) FROM mez_corridor_node") == str(2 * N - popcount(N))
    assert query("SELECT tree_size FROM mez_corridor") == str(N)
    # Every receipt chains to the one before it.
    assert query("SELECT COUNT(*) FROM mez_corridor_receipt a JOIN mez_corridor_receipt b "
                 "ON b.corridor_id = a.corridor_id AND b.seq = a.seq + 1 WHERE b.prev_root <> a.next_root") == "0"


SEQUENCED = 150


def test_concurrent_sequencings_get_consecutive_numbers(race_db):
    # Review: the sequencer signed a receipt for the size it read without the row lock; the process that lost the
    # race for that number kept its own second signed receipt in mez_corridor_fork (evidence of equivocation
    # against itself) before building again.
    query = race_db[3]
    for out in writers(race_db, "establish", "sequence", SEQUENCED):
        assert out.split() == ["sequenced", str(SEQUENCED)], out
    n = WRITERS * SEQUENCED
    assert query("SELECT COUNT(*) FROM mez_corridor_fork") == "0"
    assert query("SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM mez_corridor_receipt") == \
        "%d|%d|0|%d" % (n, n, n - 1)
    assert query("SELECT tree_size, state FROM mez_corridor") == "%d|ACTIVE" % n
    assert query("SELECT COUNT(*) FROM mez_corridor_receipt a JOIN mez_corridor_receipt b "
                 "ON b.corridor_id = a.corridor_id AND b.seq = a.seq + 1 WHERE b.prev_root <> a.next_root") == "0"

# audit_util.py: what the audit, idempotency and consent tests share: the `mez audit` CLI run as httpd's user,
# statements run straight on a zone's database (as a tamperer would), and the audit rows as JSON.
import json
import os
import sys

from mez_harness import run


def mez_as_server(zone, *args, check=False):
    """The mez CLI against the zone's database, as httpd's user (a root-owned SQLite -wal/-shm would lock httpd out)."""
    e = zone.env
    return run([e.mez_bin] + [str(a) for a in args], env=e.env(), user=e.server_user, check=check)


def audit_verify(zone):
    return mez_as_server(zone, "audit", "verify", "--driver", zone.driver, "--params", zone.db.params)


def audit_rows(zone, start=1, limit=None):
    args = ["audit", "show", "--driver", zone.driver, "--params", zone.db.params, "--from", start]
    if limit:
        args += ["--limit", limit]
    cp = mez_as_server(zone, *args, check=True)
    return [json.loads(line) for line in cp.stdout.splitlines() if line.strip()]


def last_seq(zone):
    v = zone.db.query_value("SELECT MAX(seq) FROM mez_audit")
    return int(v) if v not in ("", None) else 0


def db_exec(zone, sql):
    """Runs statements on the zone's database directly, committed: outside mez, as someone with database access."""
    if zone.driver == "sqlite3":
        script = ("import sqlite3, sys\n"
                  "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
                  "c.executescript(sys.argv[2])\n"
                  "c.commit()\n")
        run([sys.executable, "-c", script, zone.db.path, sql], user=zone.env.server_user,
            cwd=os.path.dirname(zone.db.path), check=True)
    else:
        zone.db.server.psql(zone.db.name, sql)


def drop_audit_guards(zone):
    """The triggers that refuse UPDATE/DELETE on mez_audit are only a first line: whoever owns the database can drop
    them, and that is exactly the tampering `mez audit verify` must catch."""
    if zone.driver == "sqlite3":
        db_exec(zone, "DROP TRIGGER IF EXISTS mez_audit_no_update; DROP TRIGGER IF EXISTS mez_audit_no_delete;")
    else:
        db_exec(zone, "ALTER TABLE mez_audit DISABLE TRIGGER mez_audit_append_only")

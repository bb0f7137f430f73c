# mass_fixtures.py: helpers the sovereign Mass store's integration tests share: calls under /mass/v1, rows written
# straight into the zone's database (entities, until a test may form them through the entities primitive), counts.
import sys
import uuid

from mez_harness import run


def mass(zone, method, path, body=None, headers=None, data=None):
    """One request to the zone's sovereign store, path as in the contracts (/v1/...)."""
    h = dict(headers or {})
    if data is not None:
        h.setdefault("Content-Type", "application/json")
        return zone.request(method, "/mass" + path, data=data, headers=h)
    return zone.request(method, "/mass" + path, json=body, headers=h)


def sql_exec(zone, sql):
    """Runs one writing statement in the zone's database and commits it."""
    if zone.driver == "pgsql":
        zone.db.server.psql(zone.db.name, sql)
        return
    script = ("import sqlite3, sys\n"
              "c = sqlite3.connect(sys.argv[1], timeout=30)\n"
              "c.execute(sys.argv[2])\n"
              "c.commit()\n")
    run([sys.executable, "-c", script, zone.db.path, sql], user=zone.env.server_user, check=True)


def entity(zone, status="ACTIVE"):
    """A fresh entity row as the entities primitive keeps it; returns its id."""
    eid = "ent_" + uuid.uuid4().hex
    sql_exec(zone, "INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, name_key, jurisdiction_id, "
                   "status, doc, created_at, updated_at) VALUES ('%s', 'company', '%s', '%s', 'PK', '%s', '{}', "
                   "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')" % (eid, eid, eid, status))
    return eid


def counts(zone, tables):
    return {t: zone.count(t) for t in tables}


def value(zone, sql):
    return zone.db.query_value(sql)

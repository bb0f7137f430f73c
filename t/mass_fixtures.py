# mass_fixtures.py: helpers the sovereign Mass store's integration tests share: calls under /mass/v1, rows written
# straight into the zone's database (entities, until a test may form them through the entities primitive), counts.
import datetime
import sys
import time
import uuid
import zoneinfo

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


def entity(zone, status="ACTIVE", zone_id=None):
    """A fresh entity row as the entities primitive keeps it; returns its id. zone_id: the zone it was made for in
    a store several zones share (its stamp, migration 0025); None: no zone's, which only the store's own callers
    reach, as a zone's own store's are."""
    eid = "ent_" + uuid.uuid4().hex
    sql_exec(zone, "INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, name_key, jurisdiction_id, "
                   "status, doc, created_at, updated_at, zone_id) VALUES ('%s', 'company', '%s', '%s', '%s', '%s', "
                   "'{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', %s)"
             % (eid, eid, eid, zone_id or "PK", status, "'%s'" % zone_id if zone_id else "NULL"))
    return eid


def counts(zone, tables):
    return {t: zone.count(t) for t in tables}


def value(zone, sql):
    return zone.db.query_value(sql)


# ------------------------------------------------------------------------------------------------ periods of days

def stamp(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def period_over(began, days, tzname):
    """(instant, date) at which a period of `days` days from the instant `began` (RFC 3339 UTC) is over, counted as
    the store counts a period of law: in days of tzname's calendar, the day it runs from not counted, over at 00:00
    there on the day after its last day (the instant as RFC 3339 UTC, the date as YYYY-MM-DD). tzname None: a store
    that knows no calendar, which counts so that the period has run everywhere: from the date `began` falls on at
    UTC+14 to 00:00 at UTC-12 (zoneinfo's Etc/GMT-14 and Etc/GMT+12: POSIX signs are reversed)."""
    tz = zoneinfo.ZoneInfo(tzname or "Etc/GMT-14")
    end_tz = zoneinfo.ZoneInfo(tzname or "Etc/GMT+12")
    start = datetime.datetime.strptime(began, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    day = start.astimezone(tz).date() + datetime.timedelta(days=days + 1)
    return stamp(datetime.datetime(day.year, day.month, day.day, tzinfo=end_tz)), day.isoformat()


def day_of(instant, tzname):
    """The date (YYYY-MM-DD) of the instant (RFC 3339 UTC) on tzname's calendar."""
    start = datetime.datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return start.astimezone(zoneinfo.ZoneInfo(tzname)).date().isoformat()


def yesterday_evening(tzname, hour=23, minute=30):
    """hour:minute yesterday on tzname's calendar, as RFC 3339 UTC: a period of one day from then runs through
    today there and is over at tomorrow's midnight, so it is running whenever the test asks. Away from midnight
    there: a test that read today just before it would ask just after (waits past it instead)."""
    tz = zoneinfo.ZoneInfo(tzname)
    now = datetime.datetime.now(tz)
    midnight = datetime.datetime(now.year, now.month, now.day, tzinfo=tz) + datetime.timedelta(days=1)
    if (midnight - now).total_seconds() < 120:
        time.sleep((midnight - now).total_seconds() + 1)
        now = datetime.datetime.now(tz)
    day = now.date() - datetime.timedelta(days=1)
    return stamp(datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz))


# test_usage.py: `mez usage --zone Z --from --to [--format csv|json]`, a zone's billing figures per UTC day, read
# from the zone's database (cli/cmd_usage.c). Two zones with a corridor between them (both on the driver under
# test, plain HTTP): the test makes known numbers of audited requests, evaluations, credentials, corridor receipts
# and Mass writes on pk-sifc, and checks the CSV and JSON figures exactly, against a baseline taken after the
# corridor was opened; ae-adgm's copy of the chain counts the receipts too. Day boundaries and the period's ends
# are checked with rows dated around midnight; bad arguments are refused with a problem and change nothing.
import csv
import datetime
import io
import json
import os
import shutil

import pytest

from mez_harness import run, sample_credential, peer_policy, token_headers

FIGURES = ["requests", "evaluations", "credentials", "receipts", "mass_calls"]
TABLES = ["mez_audit", "mez_evaluation", "mez_credential", "mez_corridor_receipt"]


policy = peer_policy      # (env, peers[, ca_file]): the zone's httpd lines
token = token_headers     # (zone, role): an Authorization header


@pytest.fixture(scope="module")
def pair(module_zones, driver, mez_env):
    packs = mez_env.new_dir("usage-packs")
    for src in ("pk", "ae-adgm"):
        shutil.copytree(os.path.join(mez_env.source_dir, "packs", src), os.path.join(packs, src))
    a = module_zones(driver, start=False, name="usage-pk", zone_id="pk-sifc",
                     zone_file=os.path.join(packs, "pk", "zone.yaml"))
    b = module_zones(driver, start=False, name="usage-ae", zone_id="ae-adgm",
                     zone_file=os.path.join(packs, "ae-adgm", "zone.yaml"))
    a.extra_conf = policy(mez_env, [("ae-adgm", b.url(""), b.did)])
    b.extra_conf = policy(mez_env, [("pk-sifc", a.url(""), a.did)])
    for z in (a, b):
        z.write_conf()
        z.start()
        z.op = token(z, "operator")
    return a, b


def usage(zone, *args, zone_id=None, check=True):
    e = zone.env
    cp = run([e.mez_bin, "usage", "--zone", zone_id or zone.zone_id, "--driver", zone.driver, "--params",
              zone.db.params] + list(args), env=e.env(), user=e.server_user)
    if check:
        assert cp.returncode == 0, cp.stderr
    return cp


def csv_rows(zone, frm, to):
    out = usage(zone, "--from", frm, "--to", to).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["date", "zone"] + FIGURES
    return rows[1:]


def json_doc(zone, frm, to):
    return json.loads(usage(zone, "--from", frm, "--to", to, "--format", "json").stdout)


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def figures(zone, day):
    """Both formats for one day, which must agree; the figures as a dict."""
    d = day.isoformat()
    rows = csv_rows(zone, d, d)
    assert len(rows) == 1 and rows[0][:2] == [d, zone.zone_id], rows
    doc = json_doc(zone, d, d)
    assert doc["zone"] == zone.zone_id and doc["from"] == d and doc["to"] == d
    assert [x["date"] for x in doc["days"]] == [d]
    got = {f: int(v) for f, v in zip(FIGURES, rows[0][2:])}
    assert {f: doc["days"][0][f] for f in FIGURES} == got
    assert doc["totals"] == got
    return got


def payment(status, attest=False):
    body = {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc", "payment_type": "services",
                       "amount": {"amount": "1000000", "currency": "PKR"}},
            "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company",
                        "filer_status": "filer"},
            "counterparty": {"id": "did:example:payee", "name": "Indus Consulting", "entity_class": "company",
                             "filer_status": status}}
    if attest:
        body["attest"] = True
    return body


def open_corridor(a, b):
    r = a.post("/v1/corridors", json={"peer_zone_id": "ae-adgm"}, headers=a.op)
    assert r.status_code == 201, r.text
    cid = r.json()["corridor_id"]
    assert r.json()["delivery"] == {"delivered": True}
    r = b.post("/v1/corridors/%s/accept" % cid, headers=b.op)
    assert r.status_code == 200, r.text
    return cid


def test_known_numbers_per_day_csv_and_json(pair):
    a, b = pair
    day = today()
    # nothing yet: every figure is zero
    assert figures(a, day) == dict.fromkeys(FIGURES, 0)
    cid = open_corridor(a, b)
    base_a, base_b = figures(a, day), figures(b, day)
    # opening a corridor is neither an evaluation, a receipt nor a Mass write
    for base in (base_a, base_b):
        assert base["evaluations"] == base["receipts"] == base["mass_calls"] == 0, base

    # 3 evaluations (one attested: a credential), 2 credentials issued, 2 entities formed in the sovereign
    # Mass store, 4 receipts appended on the corridor (pk-sifc sequences it and pushes to ae-adgm)
    for body in (payment("filer"), payment("non_filer"), payment("filer", attest=True)):
        r = a.post("/v1/compliance/evaluate", json=body, headers=a.op)
        assert r.status_code in (200, 422), r.text
    for _ in range(2):
        r = a.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}}, headers=a.op)
        assert r.status_code == 201, r.text
    for i in range(2):
        r = a.post("/mass/v1/entities", json={"entity_type": "llc", "legal_name": "Usage Test %d %s LLC" % (i, cid[:8]),
                                              "directors": [{"name": "Jane Director", "role": "director"}]},
                   headers=a.op)
        assert r.status_code == 201, r.text
    for i in range(4):
        r = a.post("/v1/corridors/%s/receipts" % cid,
                   json={"transition": {"kind": "payment", "payload": {"amount_minor": 100 + i, "currency": "USD"}}},
                   headers=a.op)
        assert r.status_code == 201, r.text
        assert r.json()["delivery"] == {"delivered": True}, r.text
    # a preview is not recorded, so it is not billed
    r = a.post("/v1/compliance/evaluate", json=dict(payment("filer"), preview=True), headers=a.op)
    assert r.status_code in (200, 422), r.text

    want_a = dict(base_a)
    want_a["requests"] += 3 + 2 + 2     # the audited requests: evaluations, issues, Mass writes
    want_a["evaluations"] += 3
    want_a["credentials"] += 1 + 2
    want_a["receipts"] += 4
    want_a["mass_calls"] += 2
    assert figures(a, day) == want_a
    want_b = dict(base_b)
    want_b["receipts"] += 4             # the responder's verified copy of the chain
    assert figures(b, day) == want_b

    # a period around today: one row per day, zero on the days without activity, totals the sum
    frm, to = day - datetime.timedelta(days=2), day + datetime.timedelta(days=1)
    rows = csv_rows(a, frm.isoformat(), to.isoformat())
    assert [r[0] for r in rows] == [(frm + datetime.timedelta(days=i)).isoformat() for i in range(4)]
    assert all(r[1] == "pk-sifc" for r in rows)
    for r in rows:
        if r[0] != day.isoformat():
            assert r[2:] == ["0"] * 5, r
        else:
            assert r[2:] == [str(want_a[f]) for f in FIGURES]
    doc = json_doc(a, frm.isoformat(), to.isoformat())
    assert len(doc["days"]) == 4 and doc["totals"] == want_a
    # The long option names every database command also takes (--db-driver, --db) read the same database.
    e = a.env
    cp = run([e.mez_bin, "usage", "--zone", a.zone_id, "--db-driver", a.driver, "--db", a.db.params, "--from",
              frm.isoformat(), "--to", to.isoformat()], env=e.env(), user=e.server_user)
    assert cp.returncode == 0, cp.stderr
    assert list(csv.reader(io.StringIO(cp.stdout)))[1:] == rows


def test_day_boundaries_and_period_ends(pair):
    a, _ = pair
    # Rows dated around a midnight long past (the tables take any time; the audit log is not touched)
    rows = [("2025-12-31T23:59:59Z", "late"), ("2026-01-01T00:00:00Z", "midnight"),
            ("2026-01-01T12:30:00Z", "noon"), ("2026-01-02T00:00:00Z", "next"), ("2026-01-03T23:59:59Z", "after")]
    for at, tag in rows:
        a.db.execute("INSERT INTO mez_evaluation (action_type, jurisdiction, subject_id, decision, commitment, digest, "
                     "body, evaluated_at) VALUES ('payment', 'pk-sifc', NULL, 'compliant', 'c', 'sha256:%s', '{}', "
                     "'%s')" % (tag, at))
        a.db.execute("INSERT INTO mez_credential (credential_id, issuer, digest, body, issued_at) VALUES "
                     "(NULL, 'did:example:usage', 'sha256:usage-%s', '{}', '%s')" % (tag, at))
    got = csv_rows(a, "2026-01-01", "2026-01-02")
    assert got == [["2026-01-01", "pk-sifc", "0", "2", "2", "0", "0"],
                   ["2026-01-02", "pk-sifc", "0", "1", "1", "0", "0"]]
    doc = json_doc(a, "2025-12-31", "2026-01-03")
    assert [(d["date"], d["evaluations"], d["credentials"]) for d in doc["days"]] == [
        ("2025-12-31", 1, 1), ("2026-01-01", 2, 2), ("2026-01-02", 1, 1), ("2026-01-03", 1, 1)]
    assert doc["totals"] == {"requests": 0, "evaluations": 5, "credentials": 5, "receipts": 0, "mass_calls": 0}


@pytest.mark.parametrize("args,code,pointer", [
    (["--from", "2026-02-30", "--to", "2026-03-01"], "usage.invalid_date", "--from"),
    (["--from", "2026-1-05", "--to", "2026-01-06"], "usage.invalid_date", "--from"),
    (["--from", "yesterday", "--to", "2026-01-06"], "usage.invalid_date", "--from"),
    (["--from", "2026-01-05", "--to", "2026-13-01"], "usage.invalid_date", "--to"),
    (["--from", "2026-01-05", "--to", "2026-01-05T00:00:00Z"], "usage.invalid_date", "--to"),
    (["--from", "2026-01-05", "--to", "2026-01-04"], "usage.invalid_period", "--to"),
    (["--from", "2024-01-01", "--to", "2026-01-01"], "usage.period_too_long", "--to"),
    (["--from", "2026-01-05", "--to", "2026-01-06", "--format", "xml"], "usage.invalid_format", "--format"),
])
def test_bad_arguments(pair, args, code, pointer):
    a, _ = pair
    before = {t: a.count(t) for t in TABLES}
    cp = usage(a, *args, check=False)
    assert cp.returncode == 1, (cp.returncode, cp.stderr)
    assert cp.stdout == ""
    assert cp.stderr.startswith("mez: %s: " % code), cp.stderr
    assert cp.stderr.rstrip().endswith(" at " + pointer), cp.stderr
    assert {t: a.count(t) for t in TABLES} == before


def test_bad_and_unknown_zone(pair):
    a, b = pair
    before = {t: a.count(t) for t in TABLES}
    cp = usage(a, "--from", "2026-01-01", "--to", "2026-01-02", zone_id="PK_SIFC", check=False)
    assert cp.returncode == 1 and cp.stdout == ""
    assert cp.stderr.startswith("mez: usage.invalid_zone: ") and cp.stderr.rstrip().endswith(" at --zone")
    # pk-sifc's database holds pk-sifc's audit trail: it cannot be billed as another zone's
    cp = usage(a, "--from", "2026-01-01", "--to", "2026-01-02", zone_id="ae-adgm", check=False)
    assert cp.returncode == 1 and cp.stdout == ""
    assert cp.stderr.startswith("mez: usage.unknown_zone: ") and "pk-sifc" in cp.stderr, cp.stderr
    assert {t: a.count(t) for t in TABLES} == before
    # missing options are a usage error
    e = a.env
    cp = run([e.mez_bin, "usage", "--zone", "pk-sifc", "--driver", a.driver, "--params", a.db.params],
             env=e.env(), user=e.server_user)
    assert cp.returncode == 2 and cp.stdout == "" and "usage: mez usage" in cp.stderr

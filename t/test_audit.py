# test_audit.py: the append-only, hash-chained audit table (DESIGN §8; the reference never wrote audit rows, defect
# 7): one row per committed action (credential issue, sovereign-store writes), none for a refused request, the
# authenticated token id as actor, a linear chain under concurrent appends, and `mez audit verify` naming a
# changed row by its seq and a deleted one as a gap. Both drivers.
import hashlib
import json
import os
import threading

import pytest

from audit_util import audit_rows, audit_verify, db_exec, drop_audit_guards, last_seq, mez_as_server
from mez_harness import assert_problem, chown_tree, jcs, sample_credential, sql_dir_before

ISSUE = "/v1/credentials/issue"


def issue(zone, credential=None, headers=None):
    return zone.post(ISSUE, json={"credential": credential or sample_credential()}, headers=headers)


def test_issue_writes_one_audit_row(zone):
    before = zone.count("mez_audit")
    cred = sample_credential()
    r = issue(zone, cred)
    assert r.status_code == 201, r.text
    assert zone.count("mez_audit") == before + 1
    row = audit_rows(zone, start=last_seq(zone))[-1]
    vc = r.json()["verifiableCredential"]
    assert row["action"] == "credential.issue"
    assert row["actor"] == "anonymous"
    assert row["zone_id"] == zone.zone_id
    assert row["resource_type"] == "credential" and row["resource_id"] == cred["id"]
    assert row["outcome"] == "committed"
    assert row["detail"]["issuer"] == zone.did and row["detail"]["digest"].startswith("sha256:")
    assert row["request_id"].startswith("req_")
    assert row["hash"].startswith("sha256:") and len(row["hash"]) == 71
    cp = audit_verify(zone)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "intact" in cp.stdout
    # The same with the long option names.
    cp = mez_as_server(zone, "audit", "verify", "--db-driver", zone.driver, "--db", zone.db.params)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def link_hash(row):
    """Hash scheme 2 as docs/07-audit-log.md tells an auditor to recompute it, without mez: the content is the
    row without seq, prev_hash, hash and hash_scheme, canonicalised and hashed; the link hashes prev_hash, seq
    and that content, one per line."""
    content = {k: v for k, v in row.items() if k not in ("seq", "prev_hash", "hash", "hash_scheme")}
    digest = "sha256:" + hashlib.sha256(jcs(content)).hexdigest()
    text = "%s\n%d\n%s" % (row["prev_hash"], row["seq"], digest)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_rows_link_as_the_operator_guide_recomputes_them(zone):
    """Every row is written in hash scheme 2, whichever side computed its link (PostgreSQL in SQL, SQLite in the
    zone), and an outsider's recomputation of each link from `mez audit show` agrees, row after row."""
    for _ in range(3):
        assert issue(zone).status_code == 201
    assert zone.post("/mass/v1/consent/request", json={"title": "x"}).status_code == 422   # refused: no row
    rows = audit_rows(zone)
    assert len(rows) >= 3
    prev = "sha256:" + "0" * 64
    for row in rows:
        assert row["hash_scheme"] == 2, row
        assert row["prev_hash"] == prev
        assert row["hash"] == link_hash(row), row
        prev = row["hash"]
    assert zone.db.query_value("SELECT hash FROM mez_audit_head WHERE id = 1") == prev


def append_as_schema_13(z, seq, prev):
    """Appends row seq after prev as a build from before schema 14 does: hash scheme 1, the canonical JSON of the
    whole row (seq and prev_hash included), the hash_scheme column left to its default. Returns its hash."""
    row = {"seq": seq, "zone_id": z.zone_id, "at": "2026-11-01T09:00:0%dZ" % seq, "actor": "cli:root",
           "action": "token.create", "resource_type": "token", "resource_id": "tok_%d" % seq,
           "outcome": "committed", "request_id": None, "detail": {"role": "operator"}, "prev_hash": prev}
    h = "sha256:" + hashlib.sha256(jcs(row)).hexdigest()
    db_exec(z, "INSERT INTO mez_audit (seq, zone_id, at, actor, action, resource_type, resource_id, outcome, "
               "detail, prev_hash, hash) VALUES (%d, '%s', '%s', 'cli:root', 'token.create', 'token', 'tok_%d', "
               "'committed', '{\"role\":\"operator\"}', '%s', '%s'); UPDATE mez_audit_head SET seq = %d, "
               "hash = '%s' WHERE id = 1;" % (seq, z.zone_id, row["at"], seq, prev, h, seq, h))
    return h


def test_rows_written_before_schema_14_verify_after_the_upgrade(make_zone, driver, mez_env, workdir):
    """A zone whose chain was written in hash scheme 1 (schema 13 and before: the canonical JSON of the whole
    row, seq and prev_hash included) is migrated to schema 14: its old rows keep their scheme and verify, the
    first new row links to the last old one in scheme 2, an old node's row among new ones verifies, and a changed
    old row is still named."""
    old_sql = sql_dir_before(mez_env, workdir, 14)
    z = make_zone(driver, migrate=False, start=False)
    z.env.mez("db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", old_sql, check=True)
    if z.env.server_user:
        chown_tree(z.data_dir, z.env.server_user)
    prev = "sha256:" + "0" * 64
    for seq in (1, 2):
        prev = append_as_schema_13(z, seq, prev)
    mez_as_server(z, "db", "migrate", "--driver", z.driver, "--params", z.db.params, "--sql-dir", mez_env.sql_dir,
                  check=True)
    z.start()
    for _ in range(2):
        assert issue(z).status_code == 201
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    rows = audit_rows(z)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert [r["hash_scheme"] for r in rows] == [1, 1, 2, 2]
    assert rows[1]["hash"] == prev and rows[2]["prev_hash"] == prev
    assert rows[2]["hash"] == link_hash(rows[2]) and rows[3]["hash"] == link_hash(rows[3])
    # A node of the older build still running beside this one appends in scheme 1 among scheme 2 rows: each row
    # verifies by its own scheme.
    append_as_schema_13(z, 5, rows[3]["hash"])
    assert issue(z).status_code == 201
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "6 rows, seq 1..6 (3 in hash scheme 1, from before schema 14)" in cp.stdout, cp.stdout
    rows = audit_rows(z)
    assert [r["hash_scheme"] for r in rows] == [1, 1, 2, 2, 1, 2] and rows[5]["prev_hash"] == rows[4]["hash"]
    drop_audit_guards(z)
    db_exec(z, "UPDATE mez_audit SET actor = 'cli:mallory' WHERE seq = 1")
    cp = audit_verify(z)
    assert cp.returncode != 0
    assert "seq 1: hash mismatch" in cp.stdout, cp.stdout


def test_refused_request_writes_no_row(zone):
    before = (zone.count("mez_audit"), zone.count("mez_credential"))
    r = issue(zone, sample_credential(issuer="did:key:z6MkNotUs"))
    assert_problem(r, 422)
    r = zone.post(ISSUE, json={"credentail": {}})
    assert_problem(r, 422, "request.unknown_field")
    assert (zone.count("mez_audit"), zone.count("mez_credential")) == before


def test_sovereign_store_write_is_audited(zone):
    before = zone.count("mez_audit")
    # A refused store write (unknown primitive path, bad body) leaves nothing...
    r = zone.post("/mass/v1/consent/request", json={"title": "x"})
    assert_problem(r, 422)
    assert zone.count("mez_audit") == before
    # ...a read writes no row either.
    assert zone.get("/mass/v1/consent/status").status_code == 200
    assert zone.count("mez_audit") == before


def test_sovereign_store_write_from_the_cli_is_audited(zone, workdir):
    """`mez mass call --driver ... --zone` writes the sovereign store as /mass/v1 does, and writes its row as httpd
    does (mass.<METHOD> <path>), the operator as actor, in the write's transaction; a read or a refusal none."""
    body = os.path.join(workdir, "formation.json")
    with open(body, "w") as f:
        json.dump({"entity_type": "llc", "legal_name": "Gwadar Nets Ltd",
                   "directors": [{"name": "Jane Director", "role": "director"}]}, f)
    os.chmod(body, 0o644)

    def call(*args):
        return mez_as_server(zone, "mass", "call", "--driver", zone.driver, "--params", zone.db.params, "--zone",
                             zone.zone_id, *args)
    before = zone.count("mez_audit")
    assert call("GET", "/v1/entities/status").returncode == 0
    assert call("POST", "/v1/consent/request", body).returncode == 1         # refused: not a consent request
    assert zone.count("mez_audit") == before
    cp = call("POST", "/v1/entities", body)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    eid = json.loads(cp.stdout)["entity_id"]
    assert zone.count("mez_audit") == before + 1
    row = audit_rows(zone, start=last_seq(zone))[-1]
    assert (row["action"], row["resource_type"], row["resource_id"]) == ("mass.POST /v1/entities", "entities", eid)
    assert row["actor"].startswith("cli:") and row["detail"]["status"] == 201
    assert audit_verify(zone).returncode == 0


def test_rows_are_append_only_in_the_database(zone):
    issue(zone)
    n = zone.count("mez_audit")
    with pytest.raises(Exception):
        db_exec(zone, "UPDATE mez_audit SET actor = 'someone-else'")
    with pytest.raises(Exception):
        db_exec(zone, "DELETE FROM mez_audit")
    assert zone.count("mez_audit") == n
    assert audit_verify(zone).returncode == 0


def test_concurrent_appends_chain_linearly(zone):
    before = last_seq(zone)
    answers = []

    def worker():
        answers.append(issue(zone).status_code)
    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [201] * 16
    rows = audit_rows(zone, start=before + 1)
    assert [row["seq"] for row in rows] == list(range(before + 1, before + 17))
    for prev, row in zip(rows, rows[1:]):
        assert row["prev_hash"] == prev["hash"]
    cp = audit_verify(zone)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_two_nodes_on_one_database_chain_linearly(make_zone, driver):
    """Two httpd instances (nodes) serving one zone from one database append to one linear chain."""
    a = make_zone(driver)
    b = make_zone(driver, start=False, zone_id=a.zone_id)
    b.db, b.key_file = a.db, a.key_file
    b.write_conf()
    b.start()
    before = last_seq(a)
    answers = []

    def worker(node):
        for _ in range(5):
            answers.append(issue(node).status_code)
    threads = [threading.Thread(target=worker, args=(node,)) for node in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [201] * 20
    assert [row["seq"] for row in audit_rows(a, start=before + 1)] == list(range(before + 1, before + 21))
    cp = audit_verify(a)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_show_pages(zone):
    for _ in range(3):
        issue(zone)
    top = last_seq(zone)
    rows = audit_rows(zone, start=top - 2, limit=2)
    assert [r["seq"] for r in rows] == [top - 2, top - 1]
    cp = mez_as_server(zone, "audit", "show", "--driver", zone.driver, "--params", zone.db.params, "--from", "0")
    assert cp.returncode == 2


@pytest.fixture
def tamper_zone(make_zone, driver):
    """A zone of its own with five audited issues, whose table the test may damage."""
    z = make_zone(driver)
    for _ in range(5):
        assert issue(z).status_code == 201
    assert audit_verify(z).returncode == 0
    drop_audit_guards(z)
    return z


def test_verify_names_a_changed_row(tamper_zone):
    db_exec(tamper_zone, "UPDATE mez_audit SET actor = 'someone-else' WHERE seq = 3")
    cp = audit_verify(tamper_zone)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0].startswith("seq 3: hash mismatch"), cp.stdout
    assert len(lines) == 2 and "TAMPERED" in lines[1], cp.stdout   # exactly one fault, then the summary


def test_verify_names_a_deleted_row(tamper_zone):
    db_exec(tamper_zone, "DELETE FROM mez_audit WHERE seq = 2")
    cp = audit_verify(tamper_zone)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "gap after seq 1: seq 2 is missing" in cp.stdout
    assert "hash mismatch" not in cp.stdout and "broken link" not in cp.stdout


def test_verify_names_a_deleted_last_row(tamper_zone):
    db_exec(tamper_zone, "DELETE FROM mez_audit WHERE seq = 5")
    cp = audit_verify(tamper_zone)
    assert cp.returncode == 1
    assert "gap after seq 4: seq 5 is missing" in cp.stdout


def test_verify_names_a_broken_link(tamper_zone):
    db_exec(tamper_zone, "UPDATE mez_audit SET prev_hash = 'sha256:%s' WHERE seq = 4" % ("0" * 64))
    cp = audit_verify(tamper_zone)
    assert cp.returncode == 1
    assert "seq 4: broken link" in cp.stdout
    assert "seq 4: hash mismatch" in cp.stdout   # prev_hash is hashed too


def test_verify_unusable_database(mez_env, workdir):
    cp = mez_env.mez("audit", "verify", "--driver", "sqlite3", "--params", os.path.join(workdir, "empty.sqlite"))
    assert cp.returncode == 2, cp.stdout + cp.stderr
    cp = mez_env.mez("audit", "verify", "--db-driver", "sqlite3")
    assert cp.returncode == 2


@pytest.fixture(scope="module")
def authzone(module_zones, driver, mez_env):
    return module_zones(driver, extra_conf="""
        LoadModule authn_core_module %s
        <Location /v1/credentials/issue>
          AuthType mez
          Require mez-role operator
        </Location>
    """ % os.path.join(mez_env.httpd_modules, "mod_authn_core.so"))


def test_actor_is_the_token_id(authzone):
    cp = mez_as_server(authzone, "token", "create", "--driver", authzone.driver, "--params", authzone.db.params,
                       "--zone", authzone.zone_id, "--role", "operator", check=True)
    secret = cp.stdout.strip()
    listed = mez_as_server(authzone, "token", "list", "--driver", authzone.driver, "--params", authzone.db.params,
                           check=True).stdout.split("\n")[0].split("\t")[0]
    before = authzone.count("mez_audit")
    r = issue(authzone, headers={"Authorization": "Bearer " + secret})
    assert r.status_code == 201, r.text
    row = audit_rows(authzone, start=last_seq(authzone))[-1]
    assert row["actor"] == listed
    # A request refused by authentication never reaches the handler: no row.
    assert_problem(issue(authzone), 401, "auth.missing_token")
    assert authzone.count("mez_audit") == before + 1


@pytest.fixture(scope="module")
def pk_zone(module_zones, driver, mez_env):
    import shutil
    dest = os.path.join(mez_env.new_dir("pka"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    return module_zones(driver, zone_id="pk-sifc", zone_file=os.path.join(dest, "zone.yaml"))


def test_recorded_evaluations_are_audited(pk_zone, mez_env):
    import yaml
    with open(os.path.join(mez_env.source_dir, "packs", "pk", "regpacks", "pk-proscribed.yaml")) as f:
        proscribed = yaml.safe_load(f)["lists"][0]["entries"][0]["name"]

    def payment(payee):
        return {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc",
                           "payment_type": "services", "amount": {"amount": "1000000", "currency": "PKR"}},
                "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd",
                            "entity_class": "company", "filer_status": "filer"},
                "counterparty": {"id": "did:example:payee", "name": payee, "entity_class": "company",
                                 "filer_status": "filer"}}
    before = pk_zone.count("mez_audit")
    ok = pk_zone.post("/v1/compliance/evaluate", json=payment("Indus Consulting"))
    assert ok.status_code == 200, ok.text
    denied = pk_zone.post("/v1/compliance/evaluate", json=payment(proscribed))
    assert denied.status_code == 422, denied.text
    rows = audit_rows(pk_zone, start=last_seq(pk_zone) - 1)
    assert [r["action"] for r in rows] == ["compliance.evaluate"] * 2
    assert [r["outcome"] for r in rows] == ["committed", "denied"]
    assert rows[0]["resource_id"] == ok.json()["evaluation_digest"]
    assert rows[1]["detail"]["decision"] == "non_compliant"
    # A preview is not recorded, and bad input changes nothing: no rows.
    preview = dict(payment("Indus Consulting"), preview=True)
    assert pk_zone.post("/v1/compliance/evaluate", json=preview).status_code == 200
    assert_problem(pk_zone.post("/v1/compliance/evaluate", json={"attest": "yes"}), 422)
    assert pk_zone.count("mez_audit") == before + 2
    assert audit_verify(pk_zone).returncode == 0


def test_token_and_certificate_changes_are_audited(zone, mez_env, workdir):
    """Who may act on the zone is part of its record: `mez token create|revoke` and `mez cert map|revoke` write
    their audit rows in the same transaction as the change, and the chain still verifies."""
    from mez_tls import TestCA
    before = zone.count("mez_audit")
    cp = mez_as_server(zone, "token", "create", "--zone", zone.zone_id, "--role", "regulator",
                       "--driver", zone.driver, "--params", zone.db.params)
    assert cp.returncode == 0, cp.stderr
    token_id = cp.stderr.split()[1]
    cp = mez_as_server(zone, "token", "revoke", token_id, "--driver", zone.driver, "--params", zone.db.params)
    assert cp.returncode == 0, cp.stderr
    ca = TestCA(os.path.join(workdir, "ca"), "audit test CA")
    cert = ca.client("Audit Clerk")
    cp = mez_as_server(zone, "cert", "map", "--zone", zone.zone_id, "--role", "operator", "--cert", cert.cert,
                       "--driver", zone.driver, "--params", zone.db.params)
    assert cp.returncode == 0, cp.stderr
    cert_id = cp.stdout.strip()
    cp = mez_as_server(zone, "cert", "revoke", cert_id, "--driver", zone.driver, "--params", zone.db.params)
    assert cp.returncode == 0, cp.stderr
    rows = audit_rows(zone, start=before + 1)
    assert [(r["action"], r["resource_id"], r["zone_id"]) for r in rows] == [
        ("token.create", token_id, zone.zone_id), ("token.revoke", token_id, zone.zone_id),
        ("cert.map", cert_id, zone.zone_id), ("cert.revoke", cert_id, zone.zone_id)]
    assert all(r["actor"].startswith("cli:") for r in rows)
    assert rows[0]["detail"]["role"] == "regulator" and rows[2]["detail"]["role"] == "operator"
    # a refused change writes no row: revoking an unknown token
    cp = mez_as_server(zone, "token", "revoke", "tok_nothing", "--driver", zone.driver, "--params", zone.db.params)
    assert cp.returncode != 0
    assert zone.count("mez_audit") == before + 4
    assert audit_verify(zone).returncode == 0


def show(zone, *args):
    return mez_as_server(zone, "audit", "show", "--driver", zone.driver, "--params", zone.db.params, *args)


def test_rows_beyond_the_head_are_tampering(tamper_zone):
    """The head closes the chain: set back over real rows (to a row's own seq and hash, so everything up to it
    links), or with a row added past it, the rows beyond are tampering, and show does not present them as the log."""
    z = tamper_zone
    h2 = z.db.query_value("SELECT hash FROM mez_audit WHERE seq = 2")
    head = z.db.query_value("SELECT hash FROM mez_audit_head WHERE id = 1")
    db_exec(z, "UPDATE mez_audit_head SET seq = 2, hash = '%s' WHERE id = 1" % h2)
    cp = audit_verify(z)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "rows beyond the head: 3 rows, seq 3..5, lie past the chain head (seq 2)" in cp.stdout, cp.stdout
    assert "TAMPERED: 1 fault(s) in 5 rows" in cp.stdout, cp.stdout
    cp = show(z)
    assert cp.returncode == 1 and "seq 3..5" in cp.stderr and "not the log" in cp.stderr, cp.stdout + cp.stderr
    assert [json.loads(line)["seq"] for line in cp.stdout.splitlines()] == [1, 2]
    db_exec(z, "UPDATE mez_audit_head SET seq = 0, hash = 'sha256:%s' WHERE id = 1" % ("0" * 64))
    cp = audit_verify(z)
    assert cp.returncode == 1 and "5 rows, seq 1..5, lie past the chain head (seq 0)" in cp.stdout, cp.stdout
    assert "empty" not in cp.stdout
    # The head put back: intact again. Then a row forged past it (inserts are not guarded: appends are inserts).
    db_exec(z, "UPDATE mez_audit_head SET seq = 5, hash = '%s' WHERE id = 1" % head)
    assert audit_verify(z).returncode == 0
    db_exec(z, "INSERT INTO mez_audit (seq, zone_id, at, actor, action, resource_type, resource_id, outcome, "
               "request_id, detail, prev_hash, hash, hash_scheme) SELECT 99, zone_id, at, 'forger', action, "
               "resource_type, resource_id, outcome, request_id, detail, prev_hash, 'sha256:%s', hash_scheme "
               "FROM mez_audit WHERE seq = 5" % ("9" * 64))
    cp = audit_verify(z)
    assert cp.returncode == 1 and "seq 99 lies past the chain head (seq 5)" in cp.stdout, cp.stdout
    cp = show(z)
    assert cp.returncode == 1 and "seq 99..99" in cp.stderr, cp.stderr
    assert "forger" not in cp.stdout and len(cp.stdout.splitlines()) == 5


def test_a_deleted_head_is_tampering(tamper_zone, make_zone, driver):
    """Nothing guards the head row against DELETE: its absence over rows is tampering (exit 1), not an unmigrated
    database (exit 2); a zone with no row yet and no head is still the empty chain."""
    db_exec(tamper_zone, "DELETE FROM mez_audit_head")
    cp = audit_verify(tamper_zone)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "the chain head (mez_audit_head) is missing" in cp.stdout and "TAMPERED" in cp.stdout, cp.stdout
    cp = show(tamper_zone)
    assert cp.returncode == 1 and "missing" in cp.stderr and not cp.stdout, cp.stdout + cp.stderr
    empty = make_zone(driver)
    db_exec(empty, "DELETE FROM mez_audit_head")
    cp = audit_verify(empty)
    assert cp.returncode == 0 and "empty" in cp.stdout, cp.stdout + cp.stderr


def test_verify_while_the_zone_appends(zone):
    """verify reads the head and the rows in one snapshot: rows committed while it reads are neither mistaken for
    rows past the head nor for a head without its rows."""
    stop = threading.Event()
    answers = []

    def writer():
        while not stop.is_set():
            answers.append(issue(zone).status_code)
    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        results = [audit_verify(zone) for _ in range(6)]
        shown = [show(zone) for _ in range(2)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert answers and set(answers) == {201}
    for cp in results + shown:
        assert cp.returncode == 0, cp.stdout[-2000:] + cp.stderr
    assert audit_verify(zone).returncode == 0


# ------------------------------------------------------------------ signed anchors of the chain

def save_anchor(zone, doc, name="anchor.json"):
    path = os.path.join(zone.dir, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    os.chmod(path, 0o644)
    return path


def test_an_anchor_catches_the_newest_rows_removed(tamper_zone, mez_env):
    """The chain alone cannot tell that its newest rows were removed and its head set back; an anchor kept from
    GET /v1/audit/anchor can."""
    z = tamper_zone
    r = z.get("/v1/audit/anchor")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["seq"] == last_seq(z) and a["origin"] == z.zone_id + "/audit" and a["did"] == z.did
    assert a["note"].startswith(z.zone_id + "/audit\n%d\n" % a["seq"])
    path = save_anchor(z, a)
    assert issue(z).status_code == 201                  # the chain grows past the anchor: still held
    args = ["audit", "verify", "--driver", z.driver, "--params", z.db.params, "--anchor", path]
    cp = mez_as_server(z, *args)
    assert cp.returncode == 0 and "is in the chain" in cp.stdout, cp.stdout + cp.stderr
    # Someone with the database removes the anchored row and what follows, and sets the head back.
    keep = a["seq"] - 1
    prev_hash = z.db.query_value("SELECT hash FROM mez_audit WHERE seq = %d" % keep)
    db_exec(z, "DELETE FROM mez_audit WHERE seq > %d; UPDATE mez_audit_head SET seq = %d, hash = '%s' WHERE id = 1"
            % (keep, keep, prev_hash))
    assert audit_verify(z).returncode == 0              # what the chain alone can say
    cp = mez_as_server(z, *args)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "audit.anchor_missing" in cp.stdout and "TAMPERED" in cp.stdout, cp.stdout
    # An anchor is believed only under the zone's key.
    stranger = mez_env.keygen(os.path.join(z.dir, "stranger.pem"))
    cp = mez_as_server(z, *(args + ["--did", stranger]))
    assert cp.returncode == 1 and "checkpoint." in cp.stdout, cp.stdout + cp.stderr
    # A bare note needs the DID it was signed under.
    bare = os.path.join(z.dir, "anchor.note")
    with open(bare, "w") as f:
        f.write(a["note"])
    os.chmod(bare, 0o644)
    cp = mez_as_server(z, "audit", "verify", "--driver", z.driver, "--params", z.db.params, "--anchor", bare)
    assert cp.returncode == 2 and "--did" in cp.stderr, cp.stderr


def test_anchor_is_for_operators_and_regulators(make_zone, driver, mez_env):
    from mez_harness import peer_policy, token_headers
    z = make_zone(driver, extra_conf=peer_policy(mez_env, []))
    assert_problem(z.get("/v1/audit/anchor"), 401)
    assert z.get("/v1/audit/anchor", headers=token_headers(z, "regulator")).status_code == 200
    assert z.get("/v1/audit/anchor", headers=token_headers(z, "operator")).status_code == 200
    assert_problem(z.get("/v1/audit/anchor", headers=token_headers(z, "watcher")), 403)


def test_a_schema_change_by_another_connection_does_not_fail_requests(make_zone, driver):
    """httpd's connections were opened before someone else changed the schema (a migration while httpd runs, a
    dropped trigger): SQLite answers "database schema has changed" to their next statement, which mez prepares
    and runs again instead of answering 503."""
    z = make_zone(driver)
    assert issue(z).status_code == 201                  # the connection exists and has run statements
    db_exec(z, "CREATE TABLE mez_test_schema_bump (x INTEGER)")
    for _ in range(3):
        r = issue(z)
        assert r.status_code == 201, r.text
    assert z.get("/v1/audit/anchor").status_code == 200
    db_exec(z, "DROP TABLE mez_test_schema_bump")
    assert issue(z).status_code == 201
    assert audit_verify(z).returncode == 0


def test_the_audit_log_format_names_zone_action_and_request(make_zone, driver, mez_env, workdir):
    """conf/mez.conf's mez_audit CustomLog line: the zone even on a refusal before any handler, the action of every
    route that wrote an audit row, and request= the request_id of its rows (what ties the table to the log)."""
    log = os.path.join(workdir, "mez-audit.log")
    z = make_zone(driver, name="auditlog", extra_conf="""
        LoadModule authn_core_module %s
        Include %s
        Include %s
        CustomLog %s mez_audit
    """ % (os.path.join(mez_env.httpd_modules, "mod_authn_core.so"),
           os.path.join(mez_env.source_dir, "conf", "mez.conf"),
           os.path.join(mez_env.source_dir, "conf", "mez-policy.conf"), log))
    cp = mez_as_server(z, "token", "create", "--driver", z.driver, "--params", z.db.params, "--zone", z.zone_id,
                       "--role", "operator", check=True)
    op = {"Authorization": "Bearer " + cp.stdout.strip()}
    assert_problem(issue(z), 401, "auth.missing_token")
    assert issue(z, headers=op).status_code == 201
    issued = audit_rows(z, start=last_seq(z))[-1]
    assert z.get("/v1/audit/anchor", headers=op).status_code == 200
    peer = z.post("/v1/peers", json={"zone_id": "z9", "url": "https://z9.example", "did": z.did}, headers=op)
    assert peer.status_code in (200, 201), peer.text
    registered = audit_rows(z, start=last_seq(z))[-1]
    assert registered["action"] == "peer.register"
    z.stop()        # the log is written when each request ends; stopping flushes it
    with open(log) as f:
        lines = [dict(kv.split("=", 1) for kv in l.split() if "=" in kv) for l in f.read().splitlines()]
    refused, ok, anchor, reg = lines[-4:]
    assert refused["zone"] == z.zone_id and refused["problem"] == "auth.missing_token", refused
    assert ok["action"] == "credential.issue" and ok["request"] == issued["request_id"], ok
    assert anchor["action"] == "audit.anchor", anchor
    assert reg["action"] == "peer.register" and reg["request"] == registered["request_id"], reg


def test_an_anchor_is_judged_by_its_row_recomputed(tamper_zone):
    """The anchored row's hash is recomputed from its members within the chain the head closes: a row rewritten
    with its hash column kept does not hold the anchor, nor does one left beyond a head set back below it."""
    z = tamper_zone
    a = z.get("/v1/audit/anchor").json()
    path = save_anchor(z, a)
    seq = a["seq"]
    args = ["audit", "verify", "--driver", z.driver, "--params", z.db.params, "--anchor", path]
    db_exec(z, "UPDATE mez_audit SET actor = 'forged', action = 'forged.action' WHERE seq = %d" % seq)
    cp = mez_as_server(z, *args)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "audit.anchor_mismatch" in cp.stdout and "is in the chain" not in cp.stdout, cp.stdout
    prev = z.db.query_value("SELECT hash FROM mez_audit WHERE seq = %d" % (seq - 1))
    db_exec(z, "UPDATE mez_audit_head SET seq = %d, hash = '%s' WHERE id = 1" % (seq - 1, prev))
    cp = mez_as_server(z, *args)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "audit.anchor_missing" in cp.stdout and "past the chain head (seq %d)" % (seq - 1) in cp.stdout, cp.stdout
    assert "rows beyond the head" in cp.stdout and "is in the chain" not in cp.stdout, cp.stdout

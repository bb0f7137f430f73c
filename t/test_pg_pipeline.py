# test_pg_pipeline.py: on PostgreSQL, the writes a request does not read back (mez_db_send) go out with its next
# statement that answers, on libpq's pipeline (store_pg.c). Counted here on the wire, between httpd and a real
# PostgreSQL: what a formation and a payment cost in round trips; and that a write which fails where nobody waited
# for it still fails its request whole (503, no row of it anywhere) and leaves the connection fit for the next.
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from audit_util import audit_verify
from mez_harness import assert_problem

ZONE_ID = "pk-sifc"
# The frontend's untyped first messages: SSLRequest, GSSENCRequest (answered 'N' by a server without them), then
# the startup packet of protocol 3.0, after which every message is a type byte and a length.
_UNTYPED_REQUESTS = (80877103, 80877104)


class WireCounter:
    """A TCP relay in front of PostgreSQL that counts what each client asks the server to answer: a Sync (the end
    of an extended-protocol exchange: libpq's PQexecPrepared, or the end of a pipeline) or a simple Query. Each
    is one round trip the client waits for. stall() makes it stop carrying bytes either way without closing
    anything (a stalled host, a network dropping packets); resume() delivers what it held and carries on."""

    def __init__(self, target_port):
        self.target = target_port
        self.flowing = threading.Event()
        self.flowing.set()
        self.lock = threading.Lock()
        self.waits = 0
        self.sent = 0             # bytes relayed from the clients to the server
        self.connections = []     # (client's port, relay's port towards the server) of each accepted connection
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.connections.append((client.getpeername()[1], server.getsockname()[1]))
            threading.Thread(target=self._frontend, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src, dst, seen=None):
        """Relays src -> dst until either side closes (holding what it reads while stalled), showing seen() what
        passes first (so a message is counted before the server can answer it, and a request's count is complete
        when its answer arrives); then closes both."""
        try:
            while True:
                data = src.recv(65536)
                self.flowing.wait()
                if not data:
                    break
                if seen:
                    seen(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _frontend(self, client, server):
        """Relays client -> server, reading the message boundaries on the way."""
        state = {"buf": b"", "typed": False}

        def seen(data):
            with self.lock:
                self.sent += len(data)
            buf = state["buf"] + data
            while True:
                if not state["typed"]:
                    if len(buf) < 8:
                        break
                    length, code = struct.unpack("!II", buf[:8])
                    if len(buf) < length:
                        break
                    buf = buf[length:]
                    state["typed"] = code not in _UNTYPED_REQUESTS
                    continue
                if len(buf) < 5:
                    break
                kind, length = buf[:1], struct.unpack("!I", buf[1:5])[0]
                if len(buf) < 1 + length:
                    break
                buf = buf[1 + length:]
                if kind in (b"S", b"Q"):
                    with self.lock:
                        self.waits += 1
            state["buf"] = buf

        self._pump(client, server, seen)

    def count(self):
        with self.lock:
            return self.waits

    def stall(self):
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def close(self):
        self.closing = True
        self.flowing.set()
        # shutdown() first: close() alone leaves a listener that a thread blocks in accept() on listening (and
        # accepting one more connection, forwarded to the server) until that accept returns.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()


# One pooled connection: the warm-up request prepares every statement on the very connection the counted request
# then uses (with several, a counted request could meet a fresh one and wait for its PREPAREs outside the
# pipeline, which is what made a count fail under load now and then).
ONE_CONNECTION = "DBDKeep 1\nDBDMax 1"


@pytest.fixture
def counted_zone(make_zone, mez_env, pg_server):
    """The shipped pk-sifc zone on PostgreSQL, its connections relayed through a WireCounter."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    dest = os.path.join(mez_env.new_dir("pkp"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    z = make_zone("pgsql", start=False, zone_id=ZONE_ID, zone_file=os.path.join(dest, "zone.yaml"),
                  extra_conf=ONE_CONNECTION)
    wire = WireCounter(pg_server.port)
    z.db.params = z.db.params.replace("port=%d" % pg_server.port, "port=%d" % wire.port)
    z.write_conf()
    z.start()
    yield z, wire
    wire.close()


def evaluation_trigger(zone, name, body):
    """A BEFORE INSERT trigger on mez_evaluation running the PL/pgSQL body: the write of a formation that nobody
    waits for, made to fail or to hang. Returns what drops it."""
    zone.db.execute("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN %s END $$" % (name, body))
    zone.db.execute("CREATE TRIGGER %s BEFORE INSERT ON mez_evaluation FOR EACH ROW EXECUTE FUNCTION %s()"
                    % (name, name))
    return lambda: zone.db.execute("DROP TRIGGER %s ON mez_evaluation" % name)


def formation(name):
    """A formation with its KYC evidence: approved at once, as bench/zone-api forms them."""
    from test_orchestrate import EVIDENCE
    return {"entity_type": "corporation", "legal_name": name,
            "directors": [{"name": "Ayesha Siddiqui", "role": "director"}], "compliance": {"evidence": EVIDENCE}}


def waits_for(wire, request):
    before = wire.count()
    r = request()
    return r, wire.count() - before


def sent_bytes(wire):
    with wire.lock:
        return wire.sent


def test_a_formation_waits_for_the_server_once(counted_zone):
    """A formation is 10 statements (bench/zone-api PG_STATEMENTS=1), and waited for them one by one (11 times
    when it was 12: the COMMIT went alone). Sent as mez_db_send sends them, the writes nobody reads go with the
    next statement that answers: BEGIN, the entity's INSERT (mez_db_send_insert: a name already taken would
    surface later, as the same 409), the officer, the submission's history record, the approval, the evaluation,
    the two credentials and the audit row all go with the COMMIT: the audit row is linked to the chain by the
    statement that moves the head (hash scheme 2), so nothing reads the head first. The approval reads the
    entity the formation has just written from what the transaction remembers of it (mez_db_tx_remember), not
    from the server. (A route behind AuthType mez adds its token read.)"""
    z, wire = counted_zone
    z.post("/v1/entities", json=formation("Warm Up Traders (Pvt) Ltd"))   # every statement prepared once
    r, waits = waits_for(wire, lambda: z.post("/v1/entities", json=formation("Pipeline Looms (Pvt) Ltd")))
    assert r.status_code == 201, r.text
    assert waits == 1, "a formation waited for PostgreSQL %d times" % waits
    entity = r.json()["resource"]
    assert entity["status"] == "ACTIVE"
    # The entity, its officer, its history and its credentials are all there, in order: the row written once at
    # submission, then moved by the approval, holds both records, as its table does.
    eid = r.json()["id"]
    assert z.db.query_value("SELECT COUNT(*) FROM mez_mass_entity_officer WHERE entity_id = '%s'" % eid) == "1"
    rows = [r.split(" ") for r in z.db.query_value(
        "SELECT string_agg(seq || ' ' || from_status || ' ' || to_status || ' ' || transition_id, ',' ORDER BY seq) "
        "FROM mez_mass_entity_history WHERE entity_id = '%s'" % eid).split(",")]
    assert [tuple(r[:3]) for r in rows] == [("1", "DRAFT", "PENDING_APPROVAL"), ("2", "PENDING_APPROVAL", "ACTIVE")]
    assert [h["transition_id"] for h in entity["history"]] == [r[3] for r in rows]
    assert [d["name"] for d in entity["directors"]] == [d["name"] for d in formation("x")["directors"]]
    stored = json.loads(z.db.query_value("SELECT doc FROM mez_mass_entity WHERE entity_id = '%s'" % eid))
    assert stored["status"] == "ACTIVE" and stored["history"] == entity["history"]
    assert z.db.query_value("SELECT status FROM mez_mass_entity WHERE entity_id = '%s'" % eid) == "ACTIVE"
    assert z.db.query_value("SELECT seq FROM mez_audit_head") == z.db.query_value("SELECT MAX(seq) FROM mez_audit")


def test_a_name_taken_surfaces_from_the_pipeline_as_409_and_keeps_nothing(counted_zone):
    """The entity's INSERT is not waited for: a name already registered meets the unique index when the pipeline
    is next read (the COMMIT, for a zone API formation as for a direct Mass call), and that read answers the formation's
    409 entity.name_taken at /legal_name, not a 503; nothing of the request is kept, the connection serves the
    next request, and an Idempotency-Key retried after the refusal is refused the same way."""
    z, wire = counted_zone
    tables = ["mez_mass_entity", "mez_mass_entity_officer", "mez_mass_entity_history", "mez_credential",
              "mez_evaluation", "mez_audit"]
    assert z.post("/v1/entities", json=formation("Taken Looms (Pvt) Ltd")).status_code == 201
    before = {t: z.count(t) for t in tables}
    r, waits = waits_for(wire, lambda: z.post("/v1/entities", json=formation("taken  LOOMS (pvt) ltd")))
    assert_problem(r, 409, "entity.name_taken", pointer="/legal_name")
    assert "Taken Looms" in r.json()["detail"] or "taken  LOOMS" in r.json()["detail"], r.json()
    assert waits <= 2, waits   # the COMMIT that meets the refusal, and the ROLLBACK
    key = {"Idempotency-Key": "name-taken-%d" % os.getpid()}
    for _ in range(2):
        assert_problem(z.post("/v1/entities", json=formation("Taken Looms (Pvt) Ltd"), headers=key), 409,
                       "entity.name_taken", pointer="/legal_name")
    # The sovereign store's own route: the refusal surfaces at its COMMIT.
    r = z.post("/mass/v1/entities", json={"entity_type": "llc", "legal_name": "TAKEN LOOMS (PVT) LTD"})
    assert_problem(r, 409, "entity.name_taken", pointer="/legal_name")
    assert {t: z.count(t) for t in tables} == before
    r = z.post("/v1/entities", json=formation("Free Looms (Pvt) Ltd"))
    assert r.status_code == 201, r.text
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_without_prepared_statements_nothing_is_pipelined(counted_zone):
    """MezDBPrepare off (a pooler that cannot keep them): every statement goes through apr_dbd, each waited for,
    and the formation is the same."""
    z, wire = counted_zone
    z.stop()
    z.extra_conf = ONE_CONNECTION + "\nMezDBPrepare off"
    z.write_conf()
    z.start()
    z.post("/v1/entities", json=formation("Unprepared Warm Up (Pvt) Ltd"))
    r, waits = waits_for(wire, lambda: z.post("/v1/entities", json=formation("Unprepared Looms (Pvt) Ltd")))
    assert r.status_code == 201, r.text
    assert r.json()["resource"]["status"] == "ACTIVE"
    # One per statement: BEGIN, the eight writes (the audit row links itself to the head in one), COMMIT.
    assert waits >= 9, "a formation without prepared statements waited only %d times" % waits


def test_a_failing_write_nobody_waited_for_fails_the_whole_request(counted_zone):
    """A write sent without waiting (the evaluation record) that the server refuses: the request answers 503
    db.error naming that statement, and nothing of the formation is kept (no entity, officer, credential,
    evaluation or audit row); the same connections then serve the next formation, whole."""
    z, wire = counted_zone
    tables = ["mez_mass_entity", "mez_mass_entity_officer", "mez_mass_entity_history", "mez_credential",
              "mez_evaluation", "mez_audit"]
    assert z.post("/v1/entities", json=formation("Before Refusal (Pvt) Ltd")).status_code == 201
    before = {t: z.count(t) for t in tables}
    drop = evaluation_trigger(z, "mez_test_refuse", "RAISE EXCEPTION 'evaluations refused for this test';")
    for i in range(4):   # more than one pooled connection meets it
        r = z.post("/v1/entities", json=formation("Refused Traders %d (Pvt) Ltd" % i))
        p = assert_problem(r, 503, "db.error")
        assert "evaluations refused for this test" in p["detail"], p
        assert "INSERT INTO mez_evaluation" in p["detail"], p
    assert {t: z.count(t) for t in tables} == before
    drop()
    for i in range(4):
        r = z.post("/v1/entities", json=formation("After Refusal %d (Pvt) Ltd" % i))
        assert r.status_code == 201, r.text
    assert z.count("mez_mass_entity") == before["mez_mass_entity"] + 4
    cp = audit_verify(z)   # the chain has no gap where the refused formations were
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_a_connection_lost_mid_pipeline_keeps_nothing_and_recovers(counted_zone):
    """The server session dies while a formation's pipeline is being answered (its backend terminated while a
    trigger holds the evaluation INSERT): the formation answers 503 db.error with nothing of it kept, the broken
    connection is replaced (libpq cannot leave pipeline mode with results owed that will never come), and the
    next formations are served whole."""
    z, wire = counted_zone
    tables = ["mez_mass_entity", "mez_mass_entity_officer", "mez_credential", "mez_evaluation", "mez_audit"]
    assert z.post("/v1/entities", json=formation("Before The Cut (Pvt) Ltd")).status_code == 201
    before = {t: z.count(t) for t in tables}
    drop = evaluation_trigger(z, "mez_test_slow", "PERFORM pg_sleep(3); RETURN NEW;")
    answer = {}
    t = threading.Thread(target=lambda: answer.update(
        r=z.post("/v1/entities", json=formation("Cut Short Traders (Pvt) Ltd"))))
    t.start()
    deadline = time.time() + 10
    while time.time() < deadline:   # wait until the INSERT sleeps in the trigger, then end that session
        killed = z.db.query_value("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND wait_event = 'PgSleep'")
        if killed != "0":
            break
        time.sleep(0.1)
    t.join(30)
    assert killed != "0", "the formation never reached the trigger"
    p = assert_problem(answer["r"], 503, "db.error")
    assert "terminating connection" in p["detail"] or "closed the connection" in p["detail"], p
    drop()
    assert {t: z.count(t) for t in tables} == before
    for i in range(4):
        r = z.post("/v1/entities", json=formation("After The Cut %d (Pvt) Ltd" % i))
        assert r.status_code == 201, r.text
    cp = audit_verify(z)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def probe_helper(mez_env):
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    helper = os.path.join(mez_env.build_dir, "t", "pg-pipeline-probe")
    if not os.path.exists(helper):
        pytest.skip("%s is missing: run make check in the build first" % helper)
    return helper


def sent_row_seen_by_server(mez_env, pg_server, mode):
    """Runs the probe's flush or hold: a row sent in a transaction, then (flush) handed to the server. Returns
    whether the server had begun that transaction's write while the probe waited (its backend holds a
    transaction id), and what the COMMIT answered."""
    helper = probe_helper(mez_env)
    name = pg_server.createdb("flush")
    proc = subprocess.Popen([helper, mode, pg_server.conninfo(name), "flush_probe"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        steps = []
        while not (steps and steps[-1].startswith("sent ")):
            line = proc.stdout.readline()
            # A step that failed ends the probe; "sent <pid>" is the last line before it waits.
            assert line.startswith("sent ") or line.split(" ")[1:2] == ["0"], "".join(steps) + line
            steps.append(line)
        pid = int(steps[-1].split()[1])
        seen, deadline = False, time.time() + (10 if mode == "flush" else 1)
        while not seen and time.time() < deadline:
            seen = pg_server.psql(name, "SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %d"
                                  % pid) == "t"
            time.sleep(0.05)
        out, err = proc.communicate("go\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert pg_server.psql(name, "SELECT string_agg(v, ',') FROM flush_probe") == "early"
    return seen, out


def test_a_flush_hands_the_pipeline_to_the_server_before_the_commit(mez_env, pg_server):
    """mez_db_flush (an action's writes, sent before its credentials are signed): the row sent on the pipeline is
    being written by the server while the caller still computes, before any Sync; the COMMIT then reads its
    result as before. Held back (no flush), libpq keeps the pipeline in its buffer until the COMMIT's Sync, which
    is why the flush exists: the server has not even begun the transaction."""
    seen, out = sent_row_seen_by_server(mez_env, pg_server, "flush")
    assert seen, "the server had not begun the flushed write"
    assert out.strip().endswith("commit 0 -"), out
    seen, out = sent_row_seen_by_server(mez_env, pg_server, "hold")
    assert not seen, "the server began a write nobody flushed (libpq sent its pipeline early)"
    assert out.strip().endswith("commit 0 -"), out


def test_a_lost_transaction_is_refused_until_it_ends(mez_env, pg_server):
    """store_pg.c's guard, driven through libmezcore directly (t/pg-pipeline-probe): a transaction whose session is lost
    mid-pipeline is replaced by a new session (PQreset). The request paths all return that error up to their
    rollback, so none of them can show what the guard is for: a caller that went on anyway must not run the rest
    of its transaction, or its COMMIT, on the new session, where they would be kept without what came before."""
    helper = probe_helper(mez_env)
    name = pg_server.createdb("lost_tx")
    cp = subprocess.run([helper, "lost-tx", pg_server.conninfo(name), "lost_tx_probe"], capture_output=True,
                        text=True, timeout=60)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    steps = dict(line.split(" ", 1) for line in cp.stdout.splitlines() if " " in line)
    assert steps["terminate"].startswith("503 db.error") and "terminat" in steps["terminate"], steps
    for step in ("after", "read", "commit"):
        assert steps[step] == "503 db.error the connection to pgsql broke during this transaction, and nothing " \
                              "of it was kept", steps
    assert steps["commit-again"].startswith("0 "), steps
    # Only the next transaction's row is there: neither the row sent before the loss nor the refused one.
    assert steps["rows"] == "next", steps
    assert pg_server.psql(name, "SELECT string_agg(v, ',') FROM lost_tx_probe") == "next"


def test_a_payment_waits_for_the_server_five_times(counted_zone):
    """A payment of the sovereign treasury waited 15 times. It no longer waits for its ledger transaction, its
    lines, its tax event, the expiry of its holds or its audit row (mez_db_send); its guarded balance UPDATEs,
    which do not depend on each other's answers, go together, and so do the checks after the posting (the
    transaction's lines and the accounts it touched) and the reads of its accounts (mez_db_query_all). What still
    waits: the accounts' reads, the payment's INSERT (whose row count tells a repeated idempotency key), the
    UPDATEs, the checks and the COMMIT (the audit row, linked to the chain by its own statement, goes with the
    COMMIT)."""
    from test_mass_fiscal import balance, deposit, new_account, pay, payment
    z, wire = counted_zone
    a, b = new_account(z), new_account(z)
    deposit(z, a, "100.00")
    pay(z, payment(a, b, "1.00", reference="WARM"))
    sent = sent_bytes(wire)
    r, waits = waits_for(wire, lambda: pay(z, payment(a, b, "30.25", reference="INV-PIPE")))
    assert r.status_code == 201, r.text
    payments = 1
    # The relay must have carried the payment. (Twice in CI in session 8 it saw not a byte of one: a request
    # answered by another server on the same port, which the harness no longer lets happen, session 10; the guard
    # that measured the next payment instead stayed a warning for eleven clean CI runs and is an assertion again.)
    assert sent_bytes(wire) > sent, "the relay (port %d, connections %s) saw nothing of a payment; the database's " \
        "sessions (client port, state, query): %s" % (wire.port, wire.connections, z.db.query_value(
            "SELECT string_agg(client_port || ' ' || state || ' ' || left(query, 60), ' | ') "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    assert 0 < waits <= 5, "a payment waited for PostgreSQL %d times (relay connections %s)" % (waits,
                                                                                              wire.connections)
    assert (balance(z, a)["balance"], balance(z, b)["balance"]) == (
        "%.2f" % (99 - 30.25 * payments), "%.2f" % (1 + 30.25 * payments))
    assert z.db.query_value("SELECT COUNT(*) FROM mez_mass_ledger_line") == str(4 + 2 * payments)

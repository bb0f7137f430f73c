# test_mass_client.py: the Mass gateway between two real zones. Zone B serves its sovereign store under /mass,
# for operators only (AuthType mez); zone A points four primitives at B (MezMassEndpoint ... http://B/mass,
# MezMassTokenFile with an operator token of B) and keeps identity sovereign. A's /readyz probes B per primitive;
# `mez mass call|ping` go through the same gateway and pass B's answers on as B gave them (status, problem code,
# whole body). With B stopped, A is "degraded" (still 200) and its other routes keep answering. Bad Mass
# directives stop httpd at their line.
import http.server
import json
import os
import re
import shutil
import socket
import stat
import threading
import time
import uuid

import jsonschema
import pytest

from mass_fixtures import counts, period_over, sql_exec, yesterday_evening
from mez_harness import assert_problem, run

REMOTE = ("entities", "ownership", "fiscal", "consent")
PRIMITIVES = REMOTE + ("identity",)
MISSING_ENTITY = "/v1/entities/ent_" + "0" * 64
PAYMENT = {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc", "payment_type": "services",
                      "amount": {"amount": "1000000", "currency": "PKR"}},
           "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company",
                       "filer_status": "filer"},
           "counterparty": {"id": "did:example:payee", "name": "Indus Consulting", "entity_class": "company",
                            "filer_status": "filer"}}


def authn_module(env):
    return "LoadModule authn_core_module %s" % os.path.join(env.httpd_modules, "mod_authn_core.so")


def protected_store_conf(env):
    return """
        %s
        <Location /mass>
          AuthType mez
          Require mez-role operator
        </Location>
    """ % authn_module(env)


def operator_token(zone):
    e = zone.env
    # As httpd's user: a root-owned SQLite -wal/-shm file left by the CLI would lock httpd out.
    cp = run([e.mez_bin, "token", "create", "--driver", zone.driver, "--params", zone.db.params, "--zone",
              zone.zone_id, "--role", "operator"], env=e.env(), user=e.server_user, check=True)
    return cp.stdout.strip()


def write_secret(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)
    return path


def mass_conf(base, token_file, timeout=5, remote=REMOTE):
    lines = ["MezMassEndpoint %s %s" % (p, base) for p in remote]
    lines.append("MezMassEndpoint identity sovereign")
    lines += ["MezMassTokenFile %s" % token_file, "MezMassTimeout %d" % timeout]
    return "\n".join(lines)


def readyz_schema(zone):
    with open(os.path.join(zone.env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    return dict(spec["components"]["schemas"]["Ready"], components=spec["components"])


@pytest.fixture(scope="module")
def zones(module_zones, driver, mez_env):
    """B (the Mass store), an operator token of B in a 0600 file, and A pointing four primitives at B."""
    b = module_zones(driver, name="massb", extra_conf=protected_store_conf(mez_env))
    work = mez_env.new_dir("massa")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    base = b.url("/mass")
    # A runs the shipped pk zone (packs and stack.lock), so that it has evaluations to serve without Mass.
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    a = module_zones(driver, name="massa", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                     extra_conf=mass_conf(base, token_file))
    return {"a": a, "b": b, "base": base, "token_file": token_file, "work": work}


def mass_cli(env, *args):
    return env.mez("mass", *args, timeout=60)


def b_direct(zones, method, path, token=None):
    """What B itself answers at /mass<path> (with the same token as A unless given)."""
    if token is None:
        with open(zones["token_file"]) as f:
            token = f.read().strip()
    return zones["b"].request(method, "/mass" + path, headers={"Authorization": "Bearer " + token})


# ------------------------------------------------------------------------------------------------ B reachable

def test_readyz_reports_each_primitive(zones):
    a = zones["a"]
    r = a.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, readyz_schema(a), cls=jsonschema.Draft202012Validator)
    assert body["status"] == "ready", body
    mass = body["checks"]["mass"]
    assert sorted(mass) == sorted(PRIMITIVES)
    for p in REMOTE:
        assert mass[p]["endpoint"] == zones["base"], mass[p]
        assert mass[p]["state"] == "ok", mass[p]
        assert "/v1/%s/status" % p in mass[p]["detail"], mass[p]
    assert mass["identity"]["endpoint"] == "sovereign" and mass["identity"]["state"] == "ok", mass


def test_default_zone_is_all_sovereign(zones):
    b = zones["b"]
    body = b.get("/readyz").json()
    assert body["status"] == "ready"
    assert {p: v["endpoint"] for p, v in body["checks"]["mass"].items()} == {p: "sovereign" for p in PRIMITIVES}
    assert all(v["state"] == "ok" for v in body["checks"]["mass"].values())


def test_call_status_passes_b_answer(zones, mez_env):
    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"], "--token-file", zones["token_file"],
                  "GET", "/v1/fiscal/status")
    assert cp.returncode == 0, cp.stderr
    assert cp.stderr.strip() == "HTTP 200", cp.stderr
    assert json.loads(cp.stdout) == {"primitive": "fiscal", "status": "ok", "store": "sovereign",
                                     "zone_id": zones["b"].zone_id}
    assert json.loads(cp.stdout) == b_direct(zones, "GET", "/v1/fiscal/status").json()


def test_call_not_found_is_b_problem_unchanged(zones, mez_env):
    direct = b_direct(zones, "GET", MISSING_ENTITY)
    expected = assert_problem(direct, 404)
    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"] + "/", "--token-file", zones["token_file"],
                  "GET", MISSING_ENTITY)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert cp.stderr.strip() == "HTTP 404 %s" % expected["code"], cp.stderr
    assert json.loads(cp.stdout) == expected


def test_call_with_query_reaches_b(zones, mez_env):
    direct = b_direct(zones, "GET", "/v1/fiscal/status?verbose=1")
    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"], "--token-file", zones["token_file"],
                  "GET", "/v1/fiscal/status?verbose=1")
    assert json.loads(cp.stdout) == direct.json()
    assert cp.stderr.strip().startswith("HTTP %d" % direct.status_code)


def test_wrong_or_missing_token_is_b_401(zones, mez_env):
    wrong = write_secret(os.path.join(zones["work"], "wrong.token"), "mez_" + "x" * 43)
    direct = assert_problem(b_direct(zones, "GET", "/v1/fiscal/status", token="mez_" + "x" * 43), 401)
    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"], "--token-file", wrong, "GET", "/v1/fiscal/status")
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert cp.stderr.strip() == "HTTP 401 %s" % direct["code"], cp.stderr
    assert json.loads(cp.stdout) == direct
    assert direct["code"].startswith("auth.")
    # no token at all: B's own "missing token" answer
    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"], "GET", "/v1/fiscal/status")
    assert cp.returncode == 1
    assert json.loads(cp.stdout)["code"] == "auth.missing_token"


def test_ping_probes_all_five(zones, mez_env):
    cp = mass_cli(mez_env, "ping", "--endpoint", zones["base"], "--token-file", zones["token_file"])
    lines = [line.split("\t") for line in cp.stdout.splitlines()]
    assert [l[0] for l in lines] == ["entities", "ownership", "fiscal", "consent", "identity"], cp.stdout
    states = {l[0]: l[1] for l in lines}
    for p in REMOTE:
        assert states[p] == "ok", cp.stdout
    # identity's status is its own contract path (/v1/identity/status): ok once B's identity store answers it
    assert cp.returncode == (0 if states["identity"] == "ok" else 2), cp.stdout
    # with the wrong token every probe is refused by B: 401 is not "reachable"
    wrong = write_secret(os.path.join(zones["work"], "wrong2.token"), "mez_" + "y" * 43)
    cp = mass_cli(mez_env, "ping", "--endpoint", zones["base"], "--token-file", wrong)
    assert cp.returncode == 2
    for line in cp.stdout.splitlines():
        name, state, detail = line.split("\t")
        assert state == "unreachable" and "HTTP 401" in detail, line


def test_cli_refuses_exposed_token_file(zones, mez_env):
    exposed = write_secret(os.path.join(zones["work"], "exposed.token"), "mez_abc", mode=0o644)
    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"], "--token-file", exposed, "GET", "/v1/fiscal/status")
    assert cp.returncode == 2
    assert "mass.token_insecure_permissions" in cp.stderr
    assert cp.stdout == ""


def test_call_sovereign_store_of_a_database(zones):
    """Without --endpoint, the same gateway answers from a database's sovereign store (B's here)."""
    b = zones["b"]
    e = b.env

    def call(*args):
        return run([e.mez_bin, "mass", "call", "--driver", b.driver, "--params", b.db.params, "--zone", b.zone_id]
                   + list(args), env=e.env(), user=e.server_user)
    cp = call("GET", "/v1/consent/status")
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout) == {"primitive": "consent", "status": "ok", "store": "sovereign",
                                     "zone_id": b.zone_id}
    cp = call("GET", "/v2/elsewhere")
    assert cp.returncode == 1 and cp.stderr.strip() == "HTTP 404 request.not_found", cp.stderr
    # --endpoint and --driver are one or the other
    cp = run([e.mez_bin, "mass", "call", "--endpoint", zones["base"], "--driver", b.driver, "--params",
              b.db.params, "--zone", b.zone_id, "GET", "/v1/consent/status"], env=e.env())
    assert cp.returncode == 2 and cp.stdout == ""


def test_call_sovereign_store_on_the_zones_calendar(zones):
    """mez mass call --driver ... --timezone TZ runs the store on the zone's calendar, as the zone's httpd does: a
    creditors' window of one day from 23:30 yesterday in Karachi is over at 00:00 tomorrow there. Without
    --timezone the store knows no calendar, counts so that the period has run everywhere and says so. Refusals change nothing; an unknown
    zone, or --timezone for a remote endpoint (which counts on its own calendar), is a usage error."""
    b = zones["b"]
    e = b.env

    def call(*args, body=None):
        return run([e.mez_bin, "mass", "call", "--driver", b.driver, "--params", b.db.params, "--zone", b.zone_id]
                   + list(args) + (["-"] if body is not None else []), env=e.env(), user=e.server_user, input=body)

    cp = call("POST", "/v1/entities", body={"entity_type": "llc", "legal_name": "Hunza Orchards %s LLC"
                                            % uuid.uuid4().hex[:8],
                                            "directors": [{"name": "Jane Director", "role": "director"}]})
    assert cp.returncode == 0, cp.stderr
    eid = json.loads(cp.stdout)["entity_id"]
    base = "/v1/entities/%s/dissolution" % eid
    assert call("PUT", "/v1/entities/%s/status" % eid, body={"target_status": "ACTIVE"}).returncode == 0
    signed = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cp = call("POST", base + "/initiate", body={
        "dissolution_type": "voluntary", "reason": "members resolved to wind up",
        "solvency_declaration": {"declared_solvent": True,
                                 "directors_signing": [{"identity_ref": "did:example:d1", "signed_at": signed}],
                                 "statement_of_assets": {"total_assets": "500", "total_liabilities": "100",
                                                         "currency": "PKR"}},
        "parameters": {"creditor_notice_period_days": 1}})
    assert cp.returncode == 0, cp.stderr
    for _ in range(3):
        assert call("POST", base + "/advance", body={}).returncode == 0
    began = yesterday_evening("Asia/Karachi")
    sql_exec(b, "UPDATE mez_mass_entity_dissolution SET stage_started_at = '%s' WHERE entity_id = '%s'"
             % (began, eid))
    tables = ["mez_mass_entity_dissolution", "mez_mass_entity_history", "mez_audit"]
    before, status = counts(b, tables), json.loads(call("GET", base + "/status").stdout)
    for args, tzname, calendar in ((["--timezone", "Asia/Karachi"], "Asia/Karachi", "on the Asia/Karachi calendar"),
                                   ([], None, "at UTC-12, no zone calendar (this store was given none")):
        cp = call(*args, "POST", base + "/advance", body={})
        assert cp.returncode == 1 and cp.stderr.strip() == "HTTP 409 entity.dissolution_period_running", cp.stderr
        p = json.loads(cp.stdout)
        at, date = period_over(began, 1, tzname)
        assert (p["earliest_completion_at"], p["earliest_completion_date"], p["timezone"]) == (at, date, tzname)
        assert "cannot complete before %s, the start of %s %s" % (at, date, calendar) in p["detail"], p
    cp = call("--timezone", "Mars/Olympus", "POST", base + "/advance", body={})
    assert cp.returncode == 2 and "tz.unknown" in cp.stderr and cp.stdout == "", cp.stderr
    cp = run([e.mez_bin, "mass", "call", "--endpoint", zones["base"], "--token-file", zones["token_file"],
              "--timezone", "Asia/Karachi", "GET", "/v1/consent/status"], env=e.env())
    assert cp.returncode == 2 and "--timezone goes with --driver" in cp.stderr and cp.stdout == "", cp.stderr
    assert counts(b, tables) == before
    assert json.loads(call("GET", base + "/status").stdout) == status


def test_callers_keys_are_their_own(zones):
    """B's store scopes an Idempotency-Key by who sends it. Another operator's same key with the same body is a write
    of its own, not the first caller's answer; a third's with another body is not refused as a reuse; each caller's
    retry is still answered its own first answer, and its own key with another body still refused."""
    b = zones["b"]
    with open(zones["token_file"]) as f:
        tokens = [f.read().strip(), operator_token(b), operator_token(b)]
    key = str(uuid.uuid4())

    def post(token, name):
        return b.request("POST", "/mass/v1/identity/persons", json={"full_name": name},
                         headers={"Authorization": "Bearer " + token, "Idempotency-Key": key})

    before = b.count("mez_mass_person")
    first = [post(t, name) for t, name in zip(tokens, ("Nadia Hussain", "Nadia Hussain", "Omar Farooq"))]
    assert [r.status_code for r in first] == [201, 201, 201], [r.text for r in first]
    assert len({r.json()["person_id"] for r in first}) == 3
    assert b.count("mez_mass_person") == before + 3
    for t, name, r in zip(tokens, ("Nadia Hussain", "Nadia Hussain", "Omar Farooq"), first):
        again = post(t, name)
        assert again.status_code == 201 and again.json() == r.json(), again.text
    assert_problem(post(tokens[1], "Someone Else"), 422, "idempotency.key_reused")
    assert b.count("mez_mass_person") == before + 3


@pytest.mark.parametrize("args", [
    ["call", "GET", "/v1/fiscal/status"],                                        # no endpoint, no database
    ["call", "--endpoint", "ftp://example.org", "GET", "/v1/fiscal/status"],     # not http(s)
    ["call", "--endpoint", "http://127.0.0.1:1", "GET", "/v1/entities/../../etc/passwd"],  # escapes the base
    ["ping"],
    ["ping", "--endpoint", "http://127.0.0.1:1", "--timezone", "Asia/Karachi"],   # a call's option, not ping's
    ["ping", "--endpoint", "http://127.0.0.1:1", "--driver", "sqlite3"],
    ["frobnicate"],
])
def test_cli_usage_errors(mez_env, args):
    cp = mass_cli(mez_env, *args)
    assert cp.returncode == 2, cp.stdout + cp.stderr
    assert cp.stdout == ""


# ------------------------------------------------------------------------------------------------ odd upstreams
# What B never answers (5xx, HTML, oversized bodies), from a small local HTTP server that answers each path as the
# test says and records what it received.

class Upstream:
    def __init__(self):
        self.answers = {}      # path -> (status, content type, body bytes)
        self.seen = []         # (method, path, headers, body)
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                upstream.seen.append((self.command, self.path, dict(self.headers), body))
                status, ctype, out = upstream.answers.get(self.path.split("?")[0], (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                try:
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass    # the client stopped reading an oversized answer at its limit, as it should
            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d/mass" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path, status, body, ctype="application/json"):
        self.answers["/mass" + path] = (status, ctype, body if isinstance(body, bytes) else json.dumps(body).encode())

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    u = Upstream()
    yield u
    u.stop()


def test_upstream_5xx_is_502_keeping_status_and_code(upstream, mez_env):
    upstream.answer("/v1/fiscal/accounts/acc_1", 500, {"type": "urn:mez:problem:db.broken", "status": 500,
                                                       "code": "db.broken", "detail": "disk full"})
    cp = mass_cli(mez_env, "call", "--endpoint", upstream.base, "GET", "/v1/fiscal/accounts/acc_1")
    assert cp.returncode == 2 and cp.stdout == "", cp.stdout
    assert "mass.upstream_error" in cp.stderr and "HTTP 500" in cp.stderr, cp.stderr
    assert "db.broken: disk full" in cp.stderr, cp.stderr
    # a GET answered 500 is not retried by an operator's call: the upstream saw it once
    assert len(upstream.seen) == 1


@pytest.mark.parametrize("status,ctype,body,says", [
    (200, "text/html", b"<html>maintenance</html>", "HTTP 200, but not with a JSON object"),
    (404, "text/html", b"<html>Not Found</html>", "HTTP 404, but not with a JSON object"),
    (200, "application/json", b'"just a string"', "not with a JSON object"),
    (302, "application/json", b"{}", "HTTP 302, which is not an answer"),
    (200, "application/json", b"[" + b"1," * (5 * 1024 * 1024) + b"1]", "more than"),
], ids=["html-200", "html-404", "json-string", "redirect", "too-large"])
def test_upstream_unusable_answers_are_502(upstream, mez_env, status, ctype, body, says):
    upstream.answer("/v1/entities/ent_1", status, body, ctype)
    cp = mass_cli(mez_env, "call", "--endpoint", upstream.base, "GET", "/v1/entities/ent_1")
    assert cp.returncode == 2 and cp.stdout == "", cp.stdout[:200]
    assert "mass.upstream_error" in cp.stderr and says in cp.stderr, cp.stderr


def test_write_carries_token_key_and_body(upstream, mez_env, workdir):
    token = write_secret(os.path.join(workdir, "t.token"), "mez_wire-token")
    doc = {"legal_name": "Acme Holdings", "entity_type": "company"}
    path = os.path.join(workdir, "body.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    created = {"entity_id": "ent_" + "a" * 64, "legal_name": "Acme Holdings"}
    upstream.answer("/v1/entities", 201, created)
    cp = mass_cli(mez_env, "call", "--endpoint", upstream.base, "--token-file", token, "--idempotency-key", "k-42",
                  "post", "/v1/entities", path)
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout) == created and cp.stderr.strip() == "HTTP 201"
    method, p, headers, body = upstream.seen[-1]
    assert (method, p) == ("POST", "/mass/v1/entities")
    assert headers["Authorization"] == "Bearer mez_wire-token"
    assert headers["Idempotency-Key"] == "k-42"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == doc
    # without a key the gateway makes one for this call (so a retry of it is recognised), fresh each time
    mass_cli(mez_env, "call", "--endpoint", upstream.base, "--token-file", token, "POST", "/v1/entities", path)
    mass_cli(mez_env, "call", "--endpoint", upstream.base, "--token-file", token, "POST", "/v1/entities", path)
    k1, k2 = upstream.seen[-2][2]["Idempotency-Key"], upstream.seen[-1][2]["Idempotency-Key"]
    assert re.fullmatch(r"mez-[0-9a-f]{64}", k1) and re.fullmatch(r"mez-[0-9a-f]{64}", k2) and k1 != k2
    # reads carry no key and no body
    upstream.answer("/v1/entities/ent_1", 200, created)
    mass_cli(mez_env, "call", "--endpoint", upstream.base, "--token-file", token, "GET", "/v1/entities/ent_1?x=1")
    method, p, headers, body = upstream.seen[-1]
    assert (method, p, body) == ("GET", "/mass/v1/entities/ent_1?x=1", b"")
    assert "Idempotency-Key" not in headers and headers["Authorization"] == "Bearer mez_wire-token"


def test_probe_counts_only_200_json(upstream, mez_env):
    upstream.answer("/v1/entities/status", 200, {"status": "ok"})
    upstream.answer("/v1/ownership/status", 500, {"code": "internal.error", "status": 500})
    upstream.answer("/v1/fiscal/status", 200, b"<html>ok</html>", "text/html")
    upstream.answer("/v1/consent/status", 503, b"", "text/plain")
    upstream.answer("/v1/identity/status", 200, {"adapters": []})
    cp = mass_cli(mez_env, "ping", "--endpoint", upstream.base)
    assert cp.returncode == 2
    got = {l.split("\t")[0]: l.split("\t")[1:] for l in cp.stdout.splitlines()}
    assert got["entities"][0] == "ok" and got["identity"][0] == "ok", got
    assert got["ownership"][0] == "unreachable" and "HTTP 500" in got["ownership"][1], got
    assert got["fiscal"][0] == "unreachable" and "without a JSON object" in got["fiscal"][1], got
    assert got["consent"][0] == "unreachable" and "HTTP 503" in got["consent"][1], got


# ------------------------------------------------------------------------------------------------ B stopped

def test_b_stopped_degrades_a_only(zones, mez_env):
    a, b = zones["a"], zones["b"]
    b.stop()
    r = a.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, readyz_schema(a), cls=jsonschema.Draft202012Validator)
    assert body["status"] == "degraded", body
    assert body["checks"]["database"] == "ok"
    for p in REMOTE:
        m = body["checks"]["mass"][p]
        assert m["state"] == "unreachable", m
        assert "127.0.0.1:%d" % b.port in m["detail"], m
    assert body["checks"]["mass"]["identity"]["state"] == "ok"
    # the routes that need no Mass primitive keep answering
    z = a.get("/v1/zone")
    assert z.status_code == 200 and z.json()["zone_id"] == a.zone_id
    assert a.get("/healthz").status_code == 200
    ev = a.post("/v1/compliance/evaluate", json=PAYMENT)
    assert ev.status_code in (200, 422), ev.text
    assert ev.json()["evaluation"]["decision"], ev.text

    cp = mass_cli(mez_env, "call", "--endpoint", zones["base"], "--token-file", zones["token_file"],
                  "GET", "/v1/fiscal/status")
    assert cp.returncode == 2 and cp.stdout == ""
    assert "mass.unavailable" in cp.stderr and "fiscal" in cp.stderr and "127.0.0.1:%d" % b.port in cp.stderr
    cp = mass_cli(mez_env, "ping", "--endpoint", zones["base"], "--token-file", zones["token_file"])
    assert cp.returncode == 2
    assert all(line.split("\t")[1] == "unreachable" for line in cp.stdout.splitlines()), cp.stdout

    # B back: A is ready again without a restart
    b.start()
    assert a.get("/readyz").json()["status"] == "ready"


# ------------------------------------------------------------------------------------------------ configuration

def assert_config_error(z, directive):
    cp = z.config_test()
    out = cp.stdout + cp.stderr
    assert cp.returncode != 0, out
    line = z.conf_line(directive)
    assert "Syntax error on line %d of %s" % (line, z.conf_file) in out, out
    assert directive in out, out
    return out


@pytest.mark.parametrize("conf,directive,says", [
    ("MezMassEndpoint treasury sovereign", "MezMassEndpoint", "mass.unknown_primitive|not a Mass primitive"),
    ("MezMassEndpoint fiscal ftp://mass.example", "MezMassEndpoint", "http"),
    ("MezMassEndpoint fiscal https://user:pw@mass.example", "MezMassEndpoint", "token file"),
    ("MezMassEndpoint fiscal https://mass.example/mass?x=1", "MezMassEndpoint", "query"),
    ("MezMassEndpoint fiscal", "MezMassEndpoint", "two arguments"),
    ("MezMassTimeout 0", "MezMassTimeout", "between 1 and 300"),
    ("MezMassTimeout soon", "MezMassTimeout", "between 1 and 300"),
    ("MezMassTokenFile /nonexistent/mass.token", "MezMassTokenFile", "mass.token_unreadable"),
])
def test_bad_directives_stop_httpd(make_zone, driver, conf, directive, says):
    z = make_zone(driver, start=False, extra_conf=conf)
    out = assert_config_error(z, directive)
    assert any(s in out for s in says.split("|")), out


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620])
def test_exposed_token_file_stops_httpd(make_zone, driver, mez_env, mode):
    path = write_secret(os.path.join(mez_env.new_dir("tok"), "mass.token"), "mez_abc", mode=mode)
    z = make_zone(driver, start=False, extra_conf="MezMassTokenFile %s" % path)
    out = assert_config_error(z, "MezMassTokenFile")
    assert "mass.token_insecure_permissions" in out and "chmod 600" in out, out
    assert stat.S_IMODE(os.stat(path).st_mode) == mode  # refused, not "fixed" behind the operator's back


def test_production_refuses_clear_text_token(make_zone, driver, mez_env):
    path = write_secret(os.path.join(mez_env.new_dir("tok"), "mass.token"), "mez_abc")
    z = make_zone(driver, start=False, extra_conf="MezMode production\nMezMassTokenFile %s\n"
                                                  "MezMassEndpoint fiscal http://mass.example/mass" % path)
    with pytest.raises(Exception):
        z.start(timeout=15)
    assert not z.running
    assert "only over https" in z.error_log() + z.stderr_text()


def test_readyz_is_bounded_when_mass_hangs(make_zone, driver, mez_env, workdir):
    """A Mass that takes connections and never answers: /readyz still answers "degraded" within one probe timeout
    (3 s), not one per primitive, so a load balancer keeps the zone in rotation instead of timing it out."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        token_file = write_secret(os.path.join(workdir, "mass.token"), "t0ken")
        base = "http://127.0.0.1:%d/mass" % silent.getsockname()[1]
        a = make_zone(driver, name="masshang", extra_conf=mass_conf(base, token_file, timeout=10))
        t0 = time.monotonic()
        r = a.get("/readyz", timeout=30)
        took = time.monotonic() - t0
        assert r.status_code == 200, r.text
        body = r.json()
        jsonschema.validate(body, readyz_schema(a), cls=jsonschema.Draft202012Validator)
        assert body["status"] == "degraded", body
        assert all(body["checks"]["mass"][p]["state"] == "unreachable" for p in REMOTE), body
        assert body["checks"]["mass"]["identity"]["state"] == "ok", body
        assert took < 6, "readyz took %.1f s" % took
    finally:
        silent.close()

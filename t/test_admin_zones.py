# test_admin_zones.py: self-service zone provisioning (mod_mez_admin.c, cli/cmd_provision.c). An admin host is an
# httpd with MezAdminId/MezAdminSpool/MezAdminPacksDir/MezAdminPeersFile and the shipped policy, its own token
# database (either driver: the `driver` fixture) and no zone. POST /admin/zones checks a request with deploy's own
# checks and queues it; `mez provision --spool --once` (as root, with deploy's options, like t/test_deploy.py's
# self-contained httpd) deploys it; GET /admin/zones/{id} follows it; the zone it made answers as itself.
# Every refusal is checked to have left the spool and the admin host's audit chain exactly as they were.
import hashlib
import json
import os
import socket
import stat
import threading

import pytest

from mez_harness import assert_problem, chown_tree, free_port, token_headers
from test_deploy import Estate, get, recording_mass

PACKS = ("ae-adgm", "digital-financial-center")        # the zone the happy path provisions
OTHER = ("hn-prospera", "charter-city")                # the zone whose provisioning fails
MASS_TOKEN = "estate-mass-token-dddddddddddddddd"


class Admin:
    def __init__(self, env, host, spool, estate):
        self.env = env
        self.host = host
        self.spool = spool
        self.estate = estate
        self.operator = token_headers(host, "operator")
        self.regulator = token_headers(host, "regulator")

    def post(self, body, headers=None, **kw):
        return self.host.post("/admin/zones", json=body, headers=headers or self.operator, **kw)

    def status(self, zone_id, headers=None):
        return self.host.get("/admin/zones/" + zone_id, headers=headers or self.operator)

    def spool_state(self):
        """The spool's files and their bytes."""
        out = {}
        for name in sorted(os.listdir(self.spool)):
            with open(os.path.join(self.spool, name), "rb") as f:
                out[name] = f.read()
        return out

    def provision(self, *extra):
        e = self.estate
        env = e.cli_env()
        env["PGPASSFILE"] = os.path.join(self.spool, "no-such-pgpass")   # no stray password for deploy's libpq
        return e.mez("provision", "--spool", self.spool, "--once", "--data-dir", e.data, "--httpd-root", e.root,
                     *extra, env=env, timeout=300)

    def secrets(self):
        """The estate's secrets as files: (Mass token file, database password file)."""
        work = self.env.new_dir("admin-secrets")
        files = (os.path.join(work, "mass.token"), os.path.join(work, "db.password"))
        for path, value in zip(files, (MASS_TOKEN, "estate-db-password-eeeeeeee")):
            with open(path, "w") as f:
                f.write(value + "\n")
            os.chmod(path, 0o600)
        return files

    def requeue(self, body):
        """Queues body for its zone afresh, whatever an earlier test left in the spool for that zone id."""
        for suffix in (".request.json", ".status.json", ".lock"):
            if os.path.exists(os.path.join(self.spool, body["jurisdiction"] + suffix)):
                os.unlink(os.path.join(self.spool, body["jurisdiction"] + suffix))
        r = self.post(body)
        assert r.status_code == 202, r.text


@pytest.fixture(scope="module")
def admin(module_zones, driver, mez_env):
    spool = mez_env.new_dir("spool")
    chown_tree(spool, mez_env.server_user or "root")
    kz_did = mez_env.keygen(os.path.join(mez_env.new_dir("admin-keys"), "kz.pem"))
    peers = os.path.join(mez_env.new_dir("admin-peers"), "peers.json")
    with open(peers, "w") as f:
        json.dump({"kz-aifc": {"url": "http://127.0.0.1:1", "did": kz_did}}, f)
    src = mez_env.source_dir
    admin_id = "admin-%s" % driver
    conf = "\n".join([
        "LoadModule authn_core_module %s" % os.path.join(mez_env.httpd_modules, "mod_authn_core.so"),
        "MezAdminId %s" % admin_id,
        "MezAdminSpool %s" % spool,
        "MezAdminPacksDir %s" % os.path.join(src, "packs"),
        "MezAdminPeersFile %s" % peers,
        "MezProfileDir %s" % os.path.join(src, "profiles"),
        "Include %s" % os.path.join(src, "conf", "mez-policy.conf"),
    ])
    host = module_zones(driver, zone_id=admin_id, mez_directives=False, extra_conf=conf)
    estate = Estate(mez_env, mez_env.new_dir("admin-estate"))
    yield Admin(mez_env, host, spool, estate)
    estate.stop()


def audit_rows(admin):
    return admin.host.count("mez_audit")


# ------------------------------------------------------------------------------------------------ refusals

def test_bad_requests_are_refused_and_write_nothing(admin):
    zone, profile = PACKS
    ok = {"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % free_port()}
    cases = [
        (dict(ok, profile="no-such-profile"), 422, "provision.unknown_profile", "/profile"),
        (dict(ok, profile="../../etc/passwd"), 422, "provision.unknown_profile", "/profile"),
        (dict(ok, jurisdiction="xx-nowhere"), 422, "provision.unknown_jurisdiction", "/jurisdiction"),
        (dict(ok, jurisdiction="Not_A_Zone"), 422, "provision.invalid_field", "/jurisdiction"),
        (dict(ok, profile="charter-city"), 422, "provision.profile_mismatch", "/profile"),
        (dict(ok, corridors=["kz-aifc", "xx-nowhere"]), 422, "provision.unknown_corridor", "/corridors/1"),
        (dict(ok, corridors=[zone]), 422, "provision.unknown_corridor", "/corridors/0"),
        (dict(ok, corridors="kz-aifc"), 422, "provision.invalid_field", "/corridors"),
        (dict(ok, listen="no-port"), 422, "provision.invalid_field", "/listen"),
        (dict(ok, listen="127.0.0.1:99999"), 422, "provision.invalid_field", "/listen"),
        (dict(ok, mode="staging"), 422, "provision.invalid_field", "/mode"),
        (dict(ok, mass_api="ftp://mass.example"), 422, "provision.invalid_field", "/mass_api"),
        (dict(ok, mode="production", mass_api="http://mass.example"), 422, "provision.invalid_field", "/mass_api"),
        (dict(ok, server_name="bad name"), 422, "provision.invalid_field", "/server_name"),
        (dict(ok, database="mysql://x@y/z"), 422, "provision.invalid_field", "/database"),
        (dict(ok, database="postgresql://u:secret@127.0.0.1/mez_x"), 422, "provision.database_password",
         "/database"),
        (dict(ok, listen=8080), 422, "provision.invalid_field", "/listen"),
        (dict(ok, public_authority="lb.example"), 422, "provision.invalid_field", "/public_authority"),
        (dict(ok, public_authority=["lb.example", "https://lb.example"]), 422, "provision.invalid_field",
         "/public_authority/1"),
        (dict(ok, public_authority=["lb.example", "LB.example"]), 422, "provision.invalid_field",
         "/public_authority/1"),
        ({"profile": profile}, 422, "provision.missing_field", "/jurisdiction"),
        (dict(ok, key_file="/etc/shadow"), 422, "request.unknown_field", "/key_file"),
    ]
    before, rows = admin.spool_state(), audit_rows(admin)
    for body, status, code, pointer in cases:
        r = admin.post(body)
        p = assert_problem(r, status, code, pointer=pointer)
        assert "Location" not in r.headers, body
        assert admin.spool_state() == before, (body, p)
    r = admin.host.post("/admin/zones", data=b"[1]", headers=dict(admin.operator, **{"Content-Type":
                                                                                      "application/json"}))
    assert_problem(r, 400, "request.not_an_object")
    assert admin.spool_state() == before and audit_rows(admin) == rows
    # the words are deploy's: the same refusal through `mez deploy` names the same thing
    cp = admin.estate.deploy("no-such-profile", zone, free_port())
    assert cp.returncode == 1 and "deploy.unknown_profile" in cp.stderr and "provision.unknown_profile" in cp.stderr
    detail = admin.post(dict(ok, profile="no-such-profile")).json()["detail"]
    assert detail in cp.stderr, (detail, cp.stderr)


def test_auth(admin):
    body = {"jurisdiction": PACKS[0], "profile": PACKS[1]}
    before, rows = admin.spool_state(), audit_rows(admin)
    r = admin.host.post("/admin/zones", json=body)
    assert_problem(r, 401, "auth.missing_token")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(admin.post(body, headers=admin.regulator), 403, "auth.forbidden_role")
    assert_problem(admin.host.get("/admin/zones", headers=admin.regulator), 403, "auth.forbidden_role")
    assert_problem(admin.host.get("/admin/zones"), 401, "auth.missing_token")
    assert_problem(admin.post(body, headers={"Authorization": "Bearer mez_notatoken"}), 401)
    # a signed request is no way in: peers belong to zones, the admin host takes operator tokens only
    signed = {"Signature-Input": 'sig1=("@method");keyid="did:key:z6MkX#z6MkX";nonce="n1"', "Signature": "sig1=:AA==:"}
    assert_problem(admin.post(body, headers=signed), 401, "auth.missing_token")
    assert admin.spool_state() == before and audit_rows(admin) == rows
    # the admin host is no zone
    assert_problem(admin.host.get("/v1/zone"), 503, "zone.not_configured")
    # unknown ids
    assert_problem(admin.status("kz-aifc"), 404, "provision.not_found")
    assert_problem(admin.status("Not_An_Id"), 404, "request.not_found")
    r = admin.host.request("DELETE", "/admin/zones/kz-aifc", headers=admin.operator)
    assert_problem(r, 405, "request.method_not_allowed")


def test_admin_routes_do_not_exist_on_a_zone(make_zone, mez_env):
    z = make_zone("sqlite3")
    assert_problem(z.post("/admin/zones", json={"jurisdiction": PACKS[0], "profile": PACKS[1]}), 404,
                   "request.not_found")


# ------------------------------------------------------------------------------------------------ end to end

@pytest.fixture(scope="module")
def provisioned(admin):
    zone, profile = PACKS
    port = free_port()
    body = {"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % port,
            "public_authority": [zone + ".zones.example", "lb.example:8443"]}
    rows = audit_rows(admin)
    r = admin.post(body)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == "/admin/zones/" + zone
    st = r.json()
    assert st["state"] == "queued" and st["zone_id"] == zone and st["request"]["jurisdiction"] == zone
    assert st["request"]["server_name"] == zone + ".localhost" and st["request"]["database"] == "sqlite"
    assert st["request"]["public_authority"] == body["public_authority"]
    assert audit_rows(admin) == rows + 1
    action = admin.host.db.query_value("SELECT action FROM mez_audit ORDER BY seq DESC LIMIT 1")
    assert action == "zone.provision.request"
    assert os.path.exists(os.path.join(admin.spool, zone + ".request.json"))
    assert admin.status(zone).json()["state"] == "queued"
    listed = admin.host.get("/admin/zones", headers=admin.operator).json()["zones"]
    assert [z["zone_id"] for z in listed] == [zone]
    # The estate holds both secrets and lists no endpoint: a sovereign Mass and SQLite receive neither.
    cp = admin.provision(*sum(zip(("--mass-token-file", "--database-password-file"), admin.secrets()), ()))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return {"zone": zone, "port": port, "body": body, "out": cp.stdout}


def assert_status_file_private(admin, zone):
    """A status file is 0640 in the spool's group (the httpd user's, which serves it), not readable by all."""
    st, spool = os.stat(os.path.join(admin.spool, zone + ".status.json")), os.stat(admin.spool)
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == spool.st_gid, (oct(st.st_mode), st.st_gid)


def test_provisioned_zone_serves(admin, provisioned):
    zone, port = provisioned["zone"], provisioned["port"]
    st = admin.status(zone).json()           # read by the httpd user, through the spool's group
    assert st["state"] == "succeeded", st
    assert_status_file_private(admin, zone)
    assert [s["name"] for s in st["steps"]] == ["key", "packs", "tensor", "database", "mass", "corridors", "ready"]
    assert all(s["state"] in ("ok", "unchanged") for s in st["steps"]), st["steps"]
    assert st["did"].startswith("did:key:z6Mk") and "error" not in st
    served = get(port, "/v1/zone").json()
    assert served["zone_id"] == zone and served["did"] == st["did"]
    assert st["endpoints"]["zone"] == "http://127.0.0.1:%d/v1/zone" % port
    assert get(port, "/readyz").status_code == 200
    # the zone was made by deploy's code: its record and operator token are deploy's
    rec = json.load(open(os.path.join(admin.estate.data, zone, "deploy.json")))
    assert rec["did"] == st["did"] and rec["format"] == "mez-deploy/1"
    with open(os.path.join(admin.estate.data, zone, "operator-token")) as f:
        secret = f.read().strip()
    assert secret.startswith("mez_") and secret not in json.dumps(st)   # the path is reported, never the token
    assert get(port, "/v1/corridors", token=secret).status_code == 200
    # the names peers address it by: its own, and the request's
    conf = open(rec["conf_file"]).read()
    assert "    MezPublicAuthority %s.localhost %s.localhost:%d 127.0.0.1:%d %s.zones.example lb.example:8443\n" % (
        zone, zone, port, port, zone) in conf, conf
    # a second pass has nothing left to do
    cp = admin.provision()
    assert cp.returncode == 0 and "zone " + zone not in cp.stdout, cp.stdout


def test_same_request_again_answers_the_first_answer_other_one_conflicts(admin, provisioned):
    zone = provisioned["zone"]
    before, rows = admin.spool_state(), audit_rows(admin)
    r = admin.post(provisioned["body"])
    assert r.status_code == 202 and r.headers["Location"] == "/admin/zones/" + zone, r.text
    assert r.json()["state"] == "succeeded"
    other = dict(provisioned["body"], listen="127.0.0.1:%d" % free_port())
    assert_problem(admin.post(other), 409, "provision.exists", pointer="/jurisdiction")
    assert admin.spool_state() == before and audit_rows(admin) == rows


def test_a_refused_provisioning_is_failed_and_writes_nothing(admin, provisioned):
    """The port is taken when the provisioner gets to it: deploy refuses before writing anything."""
    zone, profile = OTHER
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        r = admin.post({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % busy})
        assert r.status_code == 202, r.text
        before = admin.estate.snapshot()
        cp = admin.provision()
        assert cp.returncode == 1, cp.stdout + cp.stderr
    st = admin.status(zone).json()
    assert st["state"] == "failed", st
    assert st["error"]["step"] == "preflight" and st["error"]["code"] == "deploy.port_in_use", st
    assert "127.0.0.1:%d" % busy in st["error"]["detail"]
    assert admin.estate.snapshot() == before
    assert get(provisioned["port"], "/readyz").status_code == 200


def test_a_step_that_fails_is_named_and_undone(admin, provisioned, mez_env):
    """httpd's config test refuses the policy file at step 4: what the run made is removed again, the estate's
    httpd keeps serving the zone it had."""
    zone, profile = "kz-aifc", "digital-financial-center"
    work = mez_env.new_dir("admin-bad-policy")
    policy = os.path.join(work, "bad-policy.conf")
    with open(policy, "w") as f:
        f.write("<Location /v1>\n  ThisIsNotADirective on\n</Location>\n")
    r = admin.post({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % free_port()})
    assert r.status_code == 202, r.text
    before = admin.estate.snapshot()
    cp = admin.provision("--policy-conf", policy)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    st = admin.status(zone).json()
    assert st["state"] == "failed" and st["error"]["step"] == "database" and st["error"]["undone"] is True, st
    states = {s["name"]: s["state"] for s in st["steps"]}
    assert states["database"] == "failed" and states["key"] in ("ok", "unchanged") and states["ready"] == "pending"
    assert "config test" in st["error"]["detail"]
    assert admin.estate.snapshot() == before
    assert not os.path.exists(os.path.join(admin.estate.data, zone))
    assert get(provisioned["port"], "/readyz").status_code == 200
    listed = admin.host.get("/admin/zones", headers=admin.operator).json()["zones"]
    assert {z["zone_id"]: z["state"] for z in listed} == {PACKS[0]: "succeeded", OTHER[0]: "failed",
                                                         zone: "failed"}


def test_a_provisioning_interrupted_mid_deploy_is_resumed(admin, provisioned):
    """A provisioner killed mid-deploy leaves the status "running" with nobody holding the request's lock: the next
    provisioner runs the request again (deploy finishes what was started). While another provisioner holds the
    lock, the request is left to it. Once the zone exists, only its record (deploy.json, naming the request that
    made it) lets a "running" status resume it: after a deploy by hand, the same forged status is refused."""
    import fcntl
    zone, profile = "pk-sifc", "sovereign-govos"
    port = free_port()
    r = admin.post({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % port})
    assert r.status_code == 202, r.text
    status = os.path.join(admin.spool, zone + ".status.json")
    with open(status, "w") as f:          # what a provisioner killed after its claim leaves
        json.dump({"zone_id": zone, "state": "running", "steps": []}, f)
    assert admin.status(zone).json()["state"] == "running"
    with open(os.path.join(admin.spool, zone + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)       # a provisioner still at work on it
        cp = admin.provision()
        assert "zone " + zone not in cp.stdout, cp.stdout
        assert admin.status(zone).json()["state"] == "running"
    cp = admin.provision()
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "resuming a provisioning interrupted mid-deploy" in cp.stdout, cp.stdout
    st = admin.status(zone).json()
    assert st["state"] == "succeeded", st
    assert get(port, "/v1/zone").json()["did"] == st["did"]
    # the zone's record names the request that made it (its digest: RFC 8785 of the request document)
    record = os.path.join(admin.estate.data, zone, "deploy.json")
    canon = json.dumps(st["request"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.load(open(record))["provision_request"] == "sha256:" + hashlib.sha256(canon).hexdigest()
    # killed after deploy wrote the record, before the status said so: resumed, and nothing changes
    snap = admin.estate.snapshot()
    forge_running(admin, zone)
    cp = admin.provision()
    assert cp.returncode == 0 and "resuming" in cp.stdout, cp.stdout + cp.stderr
    assert admin.status(zone).json()["state"] == "succeeded"
    assert_status_file_private(admin, zone)
    assert admin.estate.snapshot() == snap
    # re-deployed by hand (the same options), the zone is the operator's: a "running" status no longer reaches it
    cp = admin.estate.deploy(profile, zone, port)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "provision_request" not in json.load(open(record))
    snap = admin.estate.snapshot()
    forge_running(admin, zone)
    cp = admin.provision()
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert admin.status(zone).json()["error"]["code"] == "provision.zone_exists"
    assert admin.estate.snapshot() == snap


def forge_running(admin, zone):
    """What the httpd user can write in the spool: a status saying a provisioner was killed mid-deploy."""
    status = os.path.join(admin.spool, zone + ".status.json")
    if os.path.exists(status):
        os.unlink(status)
    with open(status, "w") as f:
        json.dump({"zone_id": zone, "state": "running", "steps": []}, f)


def test_a_zone_deployed_by_hand_is_not_changed_by_a_request(admin, provisioned):
    """sc-fsa is deployed with `mez deploy` into the estate; a request for it (with another listen address) fails
    at preflight with provision.zone_exists, and the zone, its record and its configuration are as they were."""
    zone, profile = "sc-fsa", "digital-financial-center"
    port = free_port()
    cp = admin.estate.deploy(profile, zone, port)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    record = os.path.join(admin.estate.data, zone, "deploy.json")
    with open(record, "rb") as f:
        before = f.read()
    r = admin.post({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % free_port()})
    assert r.status_code == 202, r.text
    snap = admin.estate.snapshot()
    cp = admin.provision()
    assert cp.returncode == 1, cp.stdout + cp.stderr
    st = admin.status(zone).json()
    assert st["state"] == "failed" and st["error"]["code"] == "provision.zone_exists", st
    assert st["error"]["step"] == "preflight"
    with open(record, "rb") as f:
        assert f.read() == before
    assert admin.estate.snapshot() == snap
    assert get(port, "/v1/zone").json()["zone_id"] == zone
    # the spool is the httpd user's: a status forged "running" (as a killed provisioner leaves it) does not make
    # the request a resumption that may reconfigure the zone
    conf = os.path.join(admin.estate.conf_dir, zone + ".conf")
    with open(conf, "rb") as f:
        conf_before = f.read()
    forge_running(admin, zone)
    cp = admin.provision()
    assert cp.returncode == 1, cp.stdout + cp.stderr
    st = admin.status(zone).json()
    assert st["state"] == "failed" and st["error"]["code"] == "provision.zone_exists", st
    with open(record, "rb") as f:
        assert f.read() == before
    with open(conf, "rb") as f:
        assert f.read() == conf_before
    assert admin.estate.snapshot() == snap
    assert get(port, "/v1/zone").json()["zone_id"] == zone


# ------------------------------------------------------------------------------------------------ the estate's secrets

class Acceptor:
    """A TCP listener on a free loopback port that accepts and closes every connection, counting them (a database
    host a request names: deploy's pre-flight would log in there with the estate's password)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


def test_a_request_cannot_send_the_estates_mass_token_elsewhere(admin, provisioned):
    """The request names its Mass; the provisioner holds the estate's Mass token (--mass-token-file), which deploy's
    pre-flight probe sends as Authorization: Bearer. A Mass the estate did not list (--allow-mass-api) fails the
    request before deploy runs: the listener there gets no request at all. Listed (the same base URL with a
    trailing slash), the same request is deployed and that Mass gets the token."""
    zone, profile = OTHER
    tok, _ = admin.secrets()
    srv, mass, seen = recording_mass()
    try:
        admin.requeue({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % free_port(),
                       "mass_api": mass})
        before = admin.estate.snapshot()
        cp = admin.provision("--mass-token-file", tok, "--allow-mass-api", "https://mass.estate.example",
                             "--allow-mass-api", mass + "/other")
        assert cp.returncode == 1, cp.stdout + cp.stderr
        st = admin.status(zone).json()
        assert st["state"] == "failed", st
        assert st["error"]["code"] == "provision.endpoint_not_allowed" and st["error"]["pointer"] == "/mass_api", st
        assert st["error"]["step"] == "preflight" and st["error"]["nothing_written"] is True, st
        assert seen == [], seen
        assert MASS_TOKEN not in json.dumps(st) + cp.stdout + cp.stderr
        assert_status_file_private(admin, zone)                         # as the provisioner wrote it
        assert admin.estate.snapshot() == before
        os.unlink(os.path.join(admin.spool, zone + ".status.json"))     # run the same request again
        cp = admin.provision("--mass-token-file", tok, "--allow-mass-api", mass + "/")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        st = admin.status(zone).json()
        assert st["state"] == "succeeded" and st["endpoints"]["mass"] == mass, st
        assert seen and {a for _, _, a in seen} == {"Bearer " + MASS_TOKEN}, seen
    finally:
        srv.shutdown()


def test_a_request_cannot_send_the_estates_database_password_elsewhere(admin, provisioned):
    """The request names its PostgreSQL host; the provisioner holds the estate's password
    (--database-password-file), which deploy's pre-flight connection gives to that host. A host the estate did not
    list (--allow-database-host; 127.0.0.1 alone is 127.0.0.1:5432) fails the request before deploy runs: nothing
    connects there. Without a password to give, the same request does reach the host (the refusal was the list's)."""
    zone, profile = "kz-aifc", "digital-financial-center"
    _, pw = admin.secrets()
    db = Acceptor()
    try:
        admin.requeue({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % free_port(),
                       "database": "postgresql://mez@127.0.0.1:%d/mez_kz" % db.port})
        before = admin.estate.snapshot()
        cp = admin.provision("--database-password-file", pw, "--allow-database-host", "db.estate.example",
                             "--allow-database-host", "127.0.0.1")
        assert cp.returncode == 1, cp.stdout + cp.stderr
        st = admin.status(zone).json()
        assert st["state"] == "failed", st
        assert st["error"]["code"] == "provision.endpoint_not_allowed" and st["error"]["pointer"] == "/database", st
        assert db.connections == 0
        assert admin.estate.snapshot() == before
        os.unlink(os.path.join(admin.spool, zone + ".status.json"))
        cp = admin.provision()
        assert cp.returncode == 1, cp.stdout + cp.stderr
        st = admin.status(zone).json()
        assert st["error"]["code"] == "deploy.database_refused", st
        assert db.connections >= 1
        assert admin.estate.snapshot() == before
    finally:
        db.close()


def test_allow_lists_are_checked_when_given(admin):
    for args, needle in ((["--allow-mass-api", "mass.example"], "--allow-mass-api mass.example"),
                         (["--allow-mass-api", "https://u:p@mass.example"], "--allow-mass-api"),
                         (["--allow-database-host", "::1"], "is not HOST or HOST:PORT"),
                         (["--allow-database-host", "db.example:0"], "is not HOST or HOST:PORT"),
                         (["--allow-database-host"], "needs a value")):
        cp = admin.provision(*args)
        assert cp.returncode == 2 and needle in cp.stderr, (args, cp.stdout + cp.stderr)
    out = admin.estate.mez("provision", "--help").stdout
    assert "--allow-mass-api URL" in out and "--allow-database-host HOST[:PORT]" in out


def test_allow_lists_bind_a_request_that_holds_no_secret(admin, provisioned):
    """An estate that lists its Mass APIs or database hosts means them for every request, not only while the
    provisioner holds a token or a password: deploy's pre-flight reaches the named host from the provisioner's
    network all the same (and the zone keeps talking to it). With the lists and no secret, a Mass or a database
    host not listed fails the request before anything is probed or connected to."""
    zone, profile = "kz-aifc", "digital-financial-center"
    srv, mass, seen = recording_mass()
    db = Acceptor()
    try:
        for member, args, pointer in (
                ({"mass_api": mass}, ["--allow-mass-api", "https://mass.estate.example"], "/mass_api"),
                ({"database": "postgresql://mez@127.0.0.1:%d/mez_kz" % db.port},
                 ["--allow-database-host", "db.estate.example"], "/database")):
            admin.requeue(dict({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % free_port()},
                               **member))
            before = admin.estate.snapshot()
            cp = admin.provision(*args)
            assert cp.returncode == 1, cp.stdout + cp.stderr
            st = admin.status(zone).json()
            assert st["state"] == "failed" and st["error"]["step"] == "preflight", st
            assert st["error"]["code"] == "provision.endpoint_not_allowed" and st["error"]["pointer"] == pointer, st
            assert "a request names only those" in st["error"]["detail"], st
            assert admin.estate.snapshot() == before
        assert seen == [] and db.connections == 0, (seen, db.connections)
    finally:
        srv.shutdown()
        db.close()


def test_a_destroyed_zone_stays_destroyed_and_a_restored_one_stays_the_requests(admin, provisioned, mez_env):
    """kz-aifc asked for in production: without the UN list its zone.yaml declares the provisioner's deploy refuses
    it (nothing written); with `mez provision --sanctions-un` it is imported and the zone serves. `mez zone
    destroy` takes its request and status out of the spool (GET answers 404) and leaves root's mark naming the
    request: the request put back with a status saying "running" (what the httpd user can write) is refused,
    provision.zone_destroyed, and makes nothing. `mez zone restore` brings it back as the request's zone (the mark
    kept in deploy.json, so its own "running" status resumes it), in production still; restored with another
    listen address it is the operator's, and the request no longer reaches it."""
    zone, profile = "kz-aifc", "digital-financial-center"
    xml = mez_env.shared("data", "sanctions", "un-consolidated.xml")
    e = admin.estate
    port = free_port()
    request = os.path.join(admin.spool, zone + ".request.json")
    status = os.path.join(admin.spool, zone + ".status.json")
    admin.requeue({"jurisdiction": zone, "profile": profile, "listen": "127.0.0.1:%d" % port, "mode": "production"})
    before = e.snapshot()
    cp = admin.provision()
    assert cp.returncode == 1, cp.stdout + cp.stderr
    st = admin.status(zone).json()
    assert st["state"] == "failed" and st["error"]["code"] == "deploy.sanctions_list_missing", st
    assert "UN Security Council consolidated list" in st["error"]["detail"] and "--sanctions-un" in st["error"]["detail"]
    assert e.snapshot() == before
    os.unlink(status)
    cp = admin.provision("--sanctions-un", xml)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert admin.status(zone).json()["state"] == "succeeded"
    r = get(port, "/readyz")
    assert r.status_code == 200 and r.json()["checks"]["sanctions_imports"] == {"state": "ok"}, r.text
    assert get(port, "/v1/zone").json()["mode"] == "production"
    record = os.path.join(e.data, zone, "deploy.json")
    rec = json.load(open(record))
    assert rec["provision_request"].startswith("sha256:") and rec["provision_spool"] == admin.spool, rec
    with open(request, "rb") as f:
        asked = f.read()

    cp = e.mez("zone", "destroy", zone, "--data-dir", e.data, "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "its provisioning request removed from %s" % admin.spool in cp.stdout, cp.stdout
    assert not os.path.exists(request) and not os.path.exists(status)
    assert_problem(admin.status(zone), 404, "provision.not_found")
    mark = json.load(open(os.path.join(e.data, "archive", zone + ".destroyed.json")))
    assert mark["provision_request"] == rec["provision_request"] and os.path.exists(mark["archive"]), mark
    with open(request, "wb") as f:        # the request back, with a "running" status: what the httpd user can write
        f.write(asked)
    forge_running(admin, zone)
    with open(os.path.join(e.root, "httpd.conf"), "rb") as f:
        main_conf = f.read()
    cp = admin.provision("--sanctions-un", xml)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    st = admin.status(zone).json()
    assert st["state"] == "failed" and st["error"]["code"] == "provision.zone_destroyed", st
    assert not os.path.exists(os.path.join(e.data, zone))
    assert not os.path.exists(os.path.join(e.conf_dir, zone + ".conf"))
    with open(os.path.join(e.root, "httpd.conf"), "rb") as f:
        assert f.read() == main_conf
    with pytest.raises(Exception):
        get(port, "/readyz", timeout=3)

    cp = e.mez("zone", "restore", mark["archive"], "--data-dir", e.data)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    rec2 = json.load(open(record))
    assert rec2["provision_request"] == rec["provision_request"] and rec2["provision_spool"] == admin.spool, rec2
    assert rec2["mode"] == "production" and get(port, "/v1/zone").json()["mode"] == "production"
    assert not os.path.exists(os.path.join(e.data, "archive", zone + ".destroyed.json"))
    forge_running(admin, zone)
    cp = admin.provision("--sanctions-un", xml)
    assert cp.returncode == 0 and "resuming" in cp.stdout, cp.stdout + cp.stderr
    assert admin.status(zone).json()["state"] == "succeeded"
    assert get(port, "/readyz").json()["checks"]["sanctions_imports"] == {"state": "ok"}

    archive = mark["archive"]
    other = free_port()
    cp = e.mez("zone", "restore", archive, "--data-dir", e.data, "--replace", "--yes",
               "--listen", "127.0.0.1:%d" % other)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "its provisioning request did not ask for" in cp.stdout, cp.stdout
    assert "provision_request" not in json.load(open(record))
    with open(request, "wb") as f:
        f.write(asked)
    forge_running(admin, zone)
    snap = e.snapshot()
    cp = admin.provision("--sanctions-un", xml)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert admin.status(zone).json()["error"]["code"] == "provision.zone_exists"
    assert e.snapshot() == snap
    assert get(other, "/v1/zone").json()["zone_id"] == zone

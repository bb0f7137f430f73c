# test_deploy.py: `mez deploy` and `mez zone list|status|destroy` driven as a new operator would drive them: the
# real CLI, a clean data dir, a self-contained httpd (--httpd-root) with the build's mod_mez, the shipped packs.
# Zones share one httpd (one Listen each here); a PostgreSQL zone gets its password from a file on a server that
# demands one (scram-sha-256). Every refused deploy is checked to have left the data dir, the conf dir and the
# httpd root exactly as they were.
import hashlib
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from mez_harness import PgServer, free_port, run, sample_credential


# ------------------------------------------------------------------------------------------------ helpers

class Estate:
    """One data dir + one self-contained httpd, as an operator's machine."""

    def __init__(self, env, base):
        self.env = env
        self.base = base
        self.data = os.path.join(base, "data")
        self.root = os.path.join(base, "httpd")
        self.conf_dir = os.path.join(self.root, "zones")

    def cli_env(self):
        e = self.env.env()
        src = self.env.source_dir
        e.update({
            "MEZ_HTTPD": self.env.apache2,
            "MEZ_HTTPD_MODULES": self.env.httpd_modules,
            "MEZ_MODULE": self.env.mod_so,
            "MEZ_SQL_DIR": self.env.sql_dir,
            "MEZ_PROFILE_DIR": os.path.join(src, "profiles"),
            "MEZ_AKN_XSD": self.env.shared("schemas", "akn", "akomantoso30.xsd"),
            "MEZ_POLICY_CONF": os.path.join(src, "conf", "mez-policy.conf"),
            "MEZ_CONSOLE_DIR": os.path.join(src, "htdocs", "regulator"),
            "MEZ_PACKS_DIR": os.path.join(src, "packs"),
        })
        e.pop("PGPASSWORD", None)
        return e

    def mez(self, *args, env=None, timeout=180):
        return run([self.env.mez_bin] + [str(a) for a in args], env=env or self.cli_env(), timeout=timeout)

    def deploy(self, profile, zone, port, *extra, env=None):
        return self.mez("deploy", "--profile", profile, "--jurisdiction", zone, "--data-dir", self.data,
                        "--httpd-root", self.root, "--listen", "127.0.0.1:%d" % port, *extra, env=env)

    def stop(self):
        conf = os.path.join(self.root, "httpd.conf")
        if os.path.exists(conf):
            run([self.env.apache2, "-d", self.root, "-f", conf, "-k", "stop"], env=self.env.env())
            pidfile = os.path.join(self.root, "run", "httpd.pid")
            for _ in range(100):
                if not os.path.exists(pidfile):
                    break
                time.sleep(0.1)

    def snapshot(self):
        """Every path under the estate; the content of each except logs and SQLite files (which a serving
        httpd's own reads and writes may touch)."""
        snap = {}
        for top in (self.data, self.root):
            for dirpath, dirnames, filenames in os.walk(top):
                snap[dirpath] = "dir"
                for f in filenames:
                    path = os.path.join(dirpath, f)
                    if re.search(r"(\.log|\.sqlite(-wal|-shm|-journal)?|\.pid)$", f):
                        snap[path] = "volatile"
                    else:
                        with open(path, "rb") as fh:
                            snap[path] = hashlib.sha256(fh.read()).hexdigest()
        return snap


def get(port, path, host=None, token=None, timeout=10):
    headers = {}
    if host:
        headers["Host"] = host
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.get("http://127.0.0.1:%d%s" % (port, path), headers=headers, timeout=timeout)


def token_of(estate, zone):
    with open(os.path.join(estate.data, zone, "operator-token")) as f:
        return f.read().strip()


def assert_refused(cp, estate, before, *needles):
    assert cp.returncode != 0, cp.stdout + cp.stderr
    text = cp.stdout + cp.stderr
    for n in needles:
        assert n in text, text
    assert estate.snapshot() == before, "the refused deploy changed the estate:\n" + text


@pytest.fixture(scope="module")
def estate(mez_env):
    e = Estate(mez_env, mez_env.new_dir("deploy"))
    yield e
    e.stop()


@pytest.fixture(scope="module")
def pk(estate):
    """pk-sifc deployed on SQLite, once for the module."""
    port = free_port()
    t0 = time.monotonic()
    cp = estate.deploy("sovereign-govos", "pk-sifc", port)
    elapsed = time.monotonic() - t0
    assert cp.returncode == 0, cp.stdout + cp.stderr
    print("deploy of pk-sifc: %.2f s" % elapsed)
    return {"port": port, "out": cp.stdout, "elapsed": elapsed}


# ------------------------------------------------------------------------------------------------ deploy

def test_deploy_pk_sifc_serves(estate, pk):
    out = pk["out"]
    for n in range(1, 8):
        assert re.search(r"^\[%d/7\] \w+ \.\.\. ok" % n, out, re.M) or \
            re.search(r"^\[%d/7\] corridors \.\.\. unchanged \(none" % n, out, re.M), out
    port = pk["port"]
    r = get(port, "/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready", r.text
    zone = get(port, "/v1/zone").json()
    assert zone["zone_id"] == "pk-sifc"
    assert zone["did"] in out                      # the DID printed is the one served
    # the endpoints printed are the virtual host's (name-based), and the address form printed reaches it
    assert "  zone:           http://pk-sifc.localhost:%d/v1/zone" % port in out, out
    m = re.search(r"^  by address:     curl -H 'Host: ([^']+)' (http://[0-9.:]+)/v1/zone$", out, re.M)
    assert m and m.group(1) == "pk-sifc.localhost", out
    assert requests.get(m.group(2) + "/v1/zone", headers={"Host": m.group(1)}, timeout=10).json()["did"] == zone["did"]
    zdir = os.path.join(estate.data, "pk-sifc")
    key = os.stat(os.path.join(zdir, "zone-key.pem"))
    assert stat.S_IMODE(key.st_mode) == 0o600
    if estate.env.server_user:
        import pwd
        assert pwd.getpwuid(key.st_uid).pw_name == estate.env.server_user
    tok = os.path.join(zdir, "operator-token")
    assert stat.S_IMODE(os.stat(tok).st_mode) == 0o600
    secret = token_of(estate, "pk-sifc")
    assert secret not in out                       # the token is never printed, only its path
    assert tok in out
    with open(os.path.join(zdir, "zone-key.pem")) as f:
        assert f.read() not in out
    # the operator token works: a write that needs the operator role
    r = requests.post("http://127.0.0.1:%d/v1/credentials/issue" % port,
                      json={"credential": sample_credential(), "options": {}},
                      headers={"Authorization": "Bearer " + secret}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["verifiableCredential"]["issuer"] == zone["did"]
    # and without it the same write is refused
    r = requests.post("http://127.0.0.1:%d/v1/credentials/issue" % port,
                      json={"credential": sample_credential(), "options": {}}, timeout=30)
    assert r.status_code == 401
    # TRACE, which would echo the Authorization header back as the body, is off
    r = requests.request("TRACE", "http://127.0.0.1:%d/v1/zone" % port, headers={"Host": "pk-sifc.localhost",
                         "Authorization": "Bearer " + secret}, timeout=30)
    assert r.status_code == 405 and secret not in r.text, r.text
    # the regulator console is served beside the API, with its headers, and printed
    assert "  console:        http://pk-sifc.localhost:%d/regulator/" % port in out, out
    page = get(port, "/regulator/")
    assert page.status_code == 200 and "Regulator console" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert get(port, "/regulator/console.mjs").headers["Content-Type"].startswith("text/javascript")
    # the packs it serves are the verified copies of packs/pk
    packs = get(port, "/v1/packs").json()
    assert len(json.dumps(packs)) > 100
    with open(os.path.join(zdir, "tensor.json")) as f:
        tensor = json.load(f)
    assert tensor["profile"]["id"] == "sovereign-govos" and "sanctions" in tensor["compliance_domains"]


def test_redeploy_changes_nothing(estate, pk):
    before = estate.snapshot()
    cp = estate.deploy("sovereign-govos", "pk-sifc", pk["port"])
    assert cp.returncode == 0, cp.stdout + cp.stderr
    steps = re.findall(r"^\[(\d)/7\] (\w+) \.\.\. (\w+)", cp.stdout, re.M)
    assert len(steps) == 7 and all(s[2] == "unchanged" for s in steps), cp.stdout
    assert estate.snapshot() == before
    assert get(pk["port"], "/readyz").status_code == 200


def test_public_authority(estate, pk, mez_env):
    """The zone's conf names the authorities peers address it by (MezPublicAuthority): its server name, on the
    default and the listen port, its listen address, and --public-authority's (remembered by a re-deploy). A peer's
    request signed for one of them passes, one signed for another zone's name is refused."""
    port = pk["port"]
    conf_file = os.path.join(estate.conf_dir, "pk-sifc.conf")
    own = "MezPublicAuthority pk-sifc.localhost pk-sifc.localhost:%d 127.0.0.1:%d" % (port, port)
    assert re.search("^    %s$" % re.escape(own), open(conf_file).read(), re.M), open(conf_file).read()
    assert "  peers address:  %s (MezPublicAuthority)" % own.split(" ", 1)[1] in pk["out"], pk["out"]
    cp = estate.mez("zone", "status", "pk-sifc", "--data-dir", estate.data)
    assert json.loads(cp.stdout)["public_authorities"] == own.split(" ")[1:], cp.stdout
    cp = estate.deploy("sovereign-govos", "pk-sifc", port, "--public-authority", "pk.zones.example, LB.example:%d"
                       % port)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "    %s pk.zones.example LB.example:%d\n" % (own, port) in open(conf_file).read()
    before = estate.snapshot()
    cp = estate.deploy("sovereign-govos", "pk-sifc", port)          # remembered: nothing changes
    assert cp.returncode == 0 and estate.snapshot() == before, cp.stdout + cp.stderr
    # A peer registered at runtime signs for the load balancer's name, then for another zone's.
    work = mez_env.new_dir("deploy-authority")
    key = os.path.join(work, "peer.pem")
    did = mez_env.keygen(key)
    r = requests.post("http://127.0.0.1:%d/v1/peers" % port, json={"zone_id": "lb-peer", "url": "http://127.0.0.1:9",
                      "did": did}, headers={"Authorization": "Bearer " + token_of(estate, "pk-sifc")}, timeout=30)
    assert r.status_code in (200, 201), r.text

    def signed(authority):
        cp = estate.mez("peer", "sign", "--key", key, "--url", "http://%s/v1/corridors" % authority)
        assert cp.returncode == 0, cp.stderr
        h = dict(line.split(": ", 1) for line in cp.stdout.splitlines())
        h["Host"] = authority
        return requests.get("http://127.0.0.1:%d/v1/corridors" % port, headers=h, timeout=30)

    r = signed("lb.example:%d" % port)
    assert r.status_code == 200, r.text
    r = signed("ae-adgm.localhost:%d" % port)
    assert r.status_code == 401 and r.json()["code"] == "httpsig.wrong_authority", r.text
    assert r.json()["pointer"] == "/headers/host"


def test_dry_run_writes_nothing(estate, pk):
    before = estate.snapshot()
    cp = estate.deploy("digital-financial-center", "ae-adgm", free_port(), "--dry-run")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "dry run" in cp.stdout and "[4/7] database" in cp.stdout
    assert estate.snapshot() == before
    assert not os.path.exists(os.path.join(estate.data, "ae-adgm"))


def test_second_zone_same_httpd_and_isolation(estate, pk):
    port = free_port()
    cp = estate.deploy("digital-financial-center", "ae-adgm", port)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "httpd reloaded" in cp.stdout        # the same httpd, gracefully reloaded
    a, b = get(pk["port"], "/v1/zone").json(), get(port, "/v1/zone").json()
    assert a["zone_id"] == "pk-sifc" and b["zone_id"] == "ae-adgm" and a["did"] != b["did"]
    assert get(pk["port"], "/readyz").status_code == 200 and get(port, "/readyz").status_code == 200
    # a token of one zone is refused by the other, and accepted by its own
    ta, tb = token_of(estate, "pk-sifc"), token_of(estate, "ae-adgm")
    assert get(port, "/v1/corridors", token=ta).status_code == 401
    assert get(pk["port"], "/v1/corridors", token=tb).status_code == 401
    assert get(port, "/v1/corridors", token=tb).status_code == 200
    assert get(pk["port"], "/v1/corridors", token=ta).status_code == 200
    # list and status
    cp = estate.mez("zone", "list", "--data-dir", estate.data)
    assert cp.returncode == 0
    lines = dict(l.split("\t")[:2] for l in cp.stdout.splitlines())
    assert lines == {"pk-sifc": "ready", "ae-adgm": "ready"}, cp.stdout
    cp = estate.mez("zone", "status", "ae-adgm", "--data-dir", estate.data)
    assert cp.returncode == 0, cp.stderr
    st = json.loads(cp.stdout)
    assert st["did"] == b["did"] and st["state"] == "ready" and st["corridors"] == []
    assert st["database"]["driver"] == "sqlite3"


def test_corridor_proposed_then_active(estate, pk, mez_env):
    """kz-aifc proposes a corridor to pk-sifc through --corridors; pk-sifc's operator registered kz-aifc as a
    peer (with the key kz-aifc will be deployed with) and accepts; a re-deploy reports it active."""
    port = free_port()
    work = mez_env.new_dir("deploy-keys")
    key = os.path.join(work, "kz.pem")
    kz_did = mez_env.keygen(key)
    pk_did = get(pk["port"], "/v1/zone").json()["did"]
    ta = token_of(estate, "pk-sifc")
    r = requests.post("http://127.0.0.1:%d/v1/peers" % pk["port"], headers={"Authorization": "Bearer " + ta},
                      json={"zone_id": "kz-aifc", "url": "http://127.0.0.1:%d" % port, "did": kz_did}, timeout=30)
    assert r.status_code in (200, 201), r.text
    peers = os.path.join(work, "peers.json")
    with open(peers, "w") as f:
        json.dump({"pk-sifc": {"url": "http://127.0.0.1:%d" % pk["port"], "did": pk_did}}, f)
    cp = estate.deploy("digital-financial-center", "kz-aifc", port, "--corridors", "pk-sifc", "--peers", peers,
                       "--key-file", key)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "proposed, awaiting pk-sifc" in cp.stdout, cp.stdout
    cid = re.search(r"awaiting pk-sifc \(([0-9a-f-]{36})\)", cp.stdout).group(1)
    r = requests.post("http://127.0.0.1:%d/v1/corridors/%s/accept" % (pk["port"], cid),
                      headers={"Authorization": "Bearer " + ta}, json={}, timeout=30)
    assert r.status_code in (200, 201), r.text
    cp = estate.deploy("digital-financial-center", "kz-aifc", port, "--corridors", "pk-sifc", "--peers", peers,
                       "--key-file", key)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert re.search(r"\[6/7\] corridors \.\.\. unchanged \(pk-sifc active", cp.stdout), cp.stdout


def test_key_rotation_of_a_deployed_zone(estate, pk):
    """mez key rotate on a zone deploy made: the record finds the key, database and httpd; httpd is reloaded with
    the new key; its peer (which registered it at runtime) is told and the corridor keeps working."""
    kz = json.load(open(os.path.join(estate.data, "kz-aifc", "deploy.json")))
    port = int(kz["listen"].rsplit(":", 1)[1])
    old = get(port, "/v1/zone").json()["did"]
    cp = estate.mez("key", "rotate", "--zone", "kz-aifc", "--data-dir", estate.data, "--reason", "annual")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    new = get(port, "/v1/zone").json()["did"]
    assert new != old and "[4/5] reload: http://127.0.0.1:%d answers %s" % (port, new) in cp.stdout, cp.stdout
    assert "peer pk-sifc: knows %s now" % new in cp.stdout, cp.stdout
    assert os.stat(kz["key_file"]).st_mode & 0o777 == 0o600
    assert json.load(open(os.path.join(estate.data, "kz-aifc", "deploy.json")))["did"] == new
    keys = get(port, "/v1/zone/keys").json()
    assert [k["did"] for k in keys["keys"]] == [old, new] and len(keys["rotations"]) == 1
    tk, ta = token_of(estate, "kz-aifc"), token_of(estate, "pk-sifc")
    cid = get(port, "/v1/corridors", token=tk).json()["corridors"][0]["corridor_id"]
    r = requests.post("http://127.0.0.1:%d/v1/corridors/%s/receipts" % (port, cid),
                      headers={"Authorization": "Bearer " + tk},
                      json={"transition": {"kind": "payment", "payload": {"amount_minor": 1}}}, timeout=30)
    assert r.status_code == 201 and r.json()["delivery"] == {"delivered": True}, r.text
    theirs = get(pk["port"], "/v1/corridors/" + cid, token=ta).json()
    assert theirs["peer_did"] == new and theirs["sequencer_did"] == new and theirs["size"] == r.json()["size"]


# ------------------------------------------------------------------------------------------------ refusals

def test_bad_arguments_change_nothing(estate, pk, mez_env):
    work = mez_env.new_dir("deploy-bad")
    before = estate.snapshot()
    port = free_port()
    cases = [
        (["digital-financial-center", "ae-adgm-x", port], ["deploy.unknown_jurisdiction", "ae-adgm-x"]),
        (["no-such-profile", "hn-prospera", port], ["deploy.unknown_profile", "no-such-profile"]),
        (["sovereign-govos", "hn-prospera", port], ["deploy.profile_mismatch", "charter-city"]),
        (["charter-city", "hn-prospera", port, "--corridors", "xx-nowhere"], ["deploy.unknown_peer"]),
        (["charter-city", "hn-prospera", port, "--mass-api", "http://127.0.0.1:%d/mass" % free_port()],
         ["deploy.mass_unreachable"]),
        (["charter-city", "hn-prospera", port, "--key-file", os.path.join(work, "missing.pem")],
         ["deploy.unreadable_key"]),
        (["charter-city", "hn-prospera", port, "--database", "postgresql://u:pw@127.0.0.1:1/db"],
         ["deploy.password_on_command_line"]),
        (["charter-city", "hn-prospera", port, "--database",
          "postgresql://postgres@127.0.0.1:%d/mezdb" % free_port()], ["deploy.database_refused"]),
    ]
    peers = os.path.join(work, "peers.json")
    with open(peers, "w") as f:
        json.dump({"kz-aifc": {"url": "http://127.0.0.1:1", "did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnn"
                                                                  "EGta2doK"}}, f)
    cases.append((["charter-city", "hn-prospera", port, "--corridors", "xx-nowhere", "--peers", peers],
                  ["deploy.unknown_peer", "xx-nowhere"]))
    garbage = os.path.join(work, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a key\n")
    cases.append((["charter-city", "hn-prospera", port, "--key-file", garbage], ["deploy.unreadable_key"]))
    cases.append((["charter-city", "hn-prospera", port, "--public-authority", "lb.example,https://lb.example"],
                  ["deploy.invalid_public_authority", "'https://lb.example' is not host[:port]"]))
    for (profile, zone, p, *extra), needles in cases:
        cp = estate.deploy(profile, zone, p, *extra)
        assert_refused(cp, estate, before, *needles)
        assert "nothing was written" in cp.stderr

    # an occupied port (somebody else listens there)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        cp = estate.deploy("charter-city", "hn-prospera", busy)
        assert_refused(cp, estate, before, "deploy.port_in_use", "127.0.0.1:%d" % busy)
    assert get(pk["port"], "/readyz").status_code == 200


def test_failure_mid_deploy_is_undone(estate, pk, mez_env):
    """A failure after files, a database and a conf were made (httpd's config test refuses the policy file):
    everything this run made is removed, the shared httpd is back on its previous configuration."""
    work = mez_env.new_dir("deploy-mid")
    policy = os.path.join(work, "bad-policy.conf")
    with open(policy, "w") as f:
        f.write("<Location /v1>\n  ThisIsNotADirective on\n</Location>\n")
    before = estate.snapshot()
    cp = estate.deploy("charter-city", "hn-prospera", free_port(), "--policy-conf", policy)
    assert cp.returncode == 2, cp.stdout + cp.stderr
    assert "step 4/7 (database) failed" in cp.stderr and "config test" in cp.stderr, cp.stderr
    assert "undo: removing" in cp.stdout
    assert estate.snapshot() == before
    assert get(pk["port"], "/readyz").status_code == 200


class _MassStub(BaseHTTPRequestHandler):
    """A Mass that answers every GET with {"status":"ok"} (deploy checks that it is reachable)."""

    def do_GET(self):
        b = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *a):
        pass


def recording_mass(host="127.0.0.1"):
    """A Mass stub on a free port of host that answers every request {"status":"ok"} and records each one's
    method, path and Authorization header: (server, base URL, records). Stop it with server.shutdown()."""
    seen = []

    class Recorder(_MassStub):
        def do_GET(self):
            seen.append((self.command, self.path, self.headers.get("Authorization")))
            super().do_GET()

        do_POST = do_HEAD = do_GET

    srv = ThreadingHTTPServer((host, 0), Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://%s:%d" % (host, srv.server_address[1]), seen


def test_production_refuses_a_clear_text_mass_before_sending_it_the_token(mez_env):
    """--mode production with a Mass over plain http (not loopback) is refused before the pre-flight probe: the
    probe carried the token to it (Authorization: Bearer), and only httpd's start-up refused the URL, later."""
    srv, mass, seen = recording_mass("127.0.0.2")    # 127.0.0.0/8 but not the loopback httpd accepts
    e = Estate(mez_env, mez_env.new_dir("deploy-prod-mass"))
    tok = os.path.join(e.base, "mass.token")
    with open(tok, "w") as f:
        f.write("estate-mass-token-cccccccccccc\n")
    os.chmod(tok, 0o600)
    try:
        before = e.snapshot()
        cp = e.deploy("sovereign-govos", "pk-sifc", free_port(), "--mode", "production", "--mass-api", mass,
                      "--mass-token-file", tok)
        assert_refused(cp, e, before, "deploy.invalid_mass", "only over https", "nothing was written")
        assert cp.returncode == 1
        assert seen == [], seen
        # the same deploy in development mode does probe it (the listener is reachable: the refusal above is
        # the mode's, not a connection failure)
        cp = e.deploy("sovereign-govos", "pk-sifc", free_port(), "--mass-api", mass, "--dry-run")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert seen and all(a is None for _, _, a in seen), seen
    finally:
        e.stop()
        srv.shutdown()


def test_giving_the_data_dir_to_the_httpd_user_never_follows_a_link(mez_env):
    """Each deploy gives <zone>/data (the httpd user's: it may create, rename and link there) to the httpd user,
    recursively, as root. A symbolic link there is given away itself, never what it points at; and a directory
    the walk has entered cannot be swapped for a link to elsewhere (it walked by path: lstat said directory, then
    every name under it was resolved again, through the link the httpd user had put in its place meanwhile). A
    file with a second name (a hard link to a file outside, where the kernel lets the httpd user make one) is not
    given away."""
    if not mez_env.server_user:
        pytest.skip("deploy gives files to the httpd user only as root")
    e = Estate(mez_env, mez_env.new_dir("deploy-chown"))
    port = free_port()
    www = pwd.getpwnam(mez_env.server_user).pw_uid
    outside = os.path.join(e.base, "outside")          # root's, as /etc is
    os.makedirs(os.path.join(outside, "a"))
    for name in ("z", os.path.join("a", "f00000"), "linked"):
        with open(os.path.join(outside, name), "w") as f:
            f.write("root's\n")
    owners = lambda: {os.path.relpath(os.path.join(d, n), outside): os.lstat(os.path.join(d, n)).st_uid
                      for d, ds, fs in os.walk(outside) for n in ds + fs + ["."]}
    try:
        cp = e.deploy("sovereign-govos", "pk-sifc", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        data = os.path.join(e.data, "pk-sifc", "data")
        assert os.stat(data).st_uid == www
        # what the httpd user can leave in its data dir: a link to a directory outside, and a tree whose directory
        # it swaps for such a link while the walk is under it (a/ holds enough names to keep the walk busy there)
        os.symlink(outside, os.path.join(data, "link"))
        os.link(os.path.join(outside, "linked"), os.path.join(data, "hard"))   # a second name of a file outside
        sub = os.path.join(data, "sub")
        os.makedirs(os.path.join(sub, "a"))
        for i in range(5000):
            open(os.path.join(sub, "a", "f%05d" % i), "w").close()
        open(os.path.join(sub, "z"), "w").close()
        before = owners()
        assert set(before.values()) == {0}
        swapped, done = [], threading.Event()

        def swap():
            while not done.is_set():
                try:
                    if os.lstat(os.path.join(sub, "a")).st_uid == www:     # the walk is inside sub/a
                        os.rename(sub, sub + ".old")
                        os.symlink(outside, sub)
                        swapped.append(True)
                        return
                except FileNotFoundError:
                    pass
                time.sleep(0.0002)

        t = threading.Thread(target=swap, daemon=True)
        t.start()
        cp = e.deploy("sovereign-govos", "pk-sifc", port)
        done.set()
        t.join()
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert swapped, "the walk never entered sub/a"
        assert owners() == before
        assert os.lstat(os.path.join(data, "link")).st_uid == www          # the link itself is given away
        assert os.lstat(os.path.join(sub + ".old", "z")).st_uid == www      # and the tree it walked, whole
        assert os.lstat(os.path.join(sub + ".old", "a", "f04999")).st_uid == www
        assert get(port, "/readyz").status_code == 200
    finally:
        e.stop()


def test_a_data_dir_with_spaces_serves_and_unsafe_paths_are_refused(mez_env):
    """Every path deploy writes into httpd's confs is quoted: an estate under "/srv/economic zones" works. A path
    httpd would read otherwise than written (a quote, a backslash, a ${...} it would expand) is refused first."""
    base = mez_env.new_dir("deploy-space")
    e = Estate(mez_env, os.path.join(base, "economic zones"))
    os.mkdir(e.base)
    os.chmod(e.base, 0o755)
    port = free_port()
    try:
        cp = e.deploy("sovereign-govos", "pk-sifc", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(port, "/readyz").status_code == 200
        assert get(port, "/regulator/").status_code == 200
        conf = open(os.path.join(e.conf_dir, "pk-sifc.conf")).read()
        assert 'MezDataDir "%s' % os.path.join(e.data, "pk-sifc") in conf, conf
        cp = e.mez("zone", "backup", "pk-sifc", "--data-dir", e.data, "--out", os.path.join(base, "pk sifc.tar.gz"))
        assert cp.returncode == 0, cp.stdout + cp.stderr
    finally:
        e.stop()
    for name in ("cost$HOME", 'a"quote', "back\\slash"):
        bad = Estate(mez_env, os.path.join(base, name))
        os.mkdir(bad.base)
        cp = bad.deploy("sovereign-govos", "pk-sifc", free_port())
        assert cp.returncode != 0 and "deploy.unsafe_path" in cp.stderr, cp.stdout + cp.stderr
        assert not os.path.exists(bad.data) and not os.path.exists(bad.root), name


def test_undone_redeploy_restores_secret_mode(mez_env):
    """A re-deploy that rotates --mass-token-file and then fails (httpd's config test refuses the policy file)
    puts mass.token back with its old content and its old mode 0600 (it was restored 0644, readable by all)."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _MassStub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    mass = "http://127.0.0.1:%d" % srv.server_address[1]
    e = Estate(mez_env, mez_env.new_dir("deploy-undo-mode"))
    t1, t2 = os.path.join(e.base, "t1"), os.path.join(e.base, "t2")
    for path, v in ((t1, "token-one-aaaaaaaaaaaaaaaa"), (t2, "token-two-bbbbbbbbbbbbbbbb")):
        with open(path, "w") as f:
            f.write(v + "\n")
        os.chmod(path, 0o600)
    bad = os.path.join(e.base, "bad-policy.conf")
    with open(bad, "w") as f:
        f.write("ThisIsNotADirective on\n")
    port = free_port()
    try:
        cp = e.deploy("sovereign-govos", "pk-sifc", port, "--mass-api", mass, "--mass-token-file", t1)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        mt = os.path.join(e.data, "pk-sifc", "mass.token")
        st = os.stat(mt)
        assert stat.S_IMODE(st.st_mode) == 0o600
        cp = e.deploy("sovereign-govos", "pk-sifc", port, "--mass-api", mass, "--mass-token-file", t2,
                      "--policy-conf", bad)
        assert cp.returncode == 2 and "undo: restoring %s" % mt in cp.stdout, cp.stdout + cp.stderr
        after = os.stat(mt)
        assert stat.S_IMODE(after.st_mode) == 0o600
        assert (after.st_uid, after.st_gid) == (st.st_uid, st.st_gid)
        with open(mt) as f:
            assert f.read().strip() == "token-one-aaaaaaaaaaaaaaaa"
        assert get(port, "/readyz").status_code == 200
    finally:
        e.stop()
        srv.shutdown()


def test_destroy(estate, pk, mez_env):
    """ae-adgm (from the isolation test) is destroyed; pk-sifc keeps serving."""
    zdir = os.path.join(estate.data, "ae-adgm")
    if not os.path.isdir(zdir):
        pytest.skip("ae-adgm was not deployed")
    port = json.load(open(os.path.join(zdir, "deploy.json")))["listen"].rsplit(":", 1)[1]
    cp = estate.mez("zone", "destroy", "ae-adgm", "--data-dir", estate.data)
    assert cp.returncode != 0 and "--yes" in cp.stderr
    assert os.path.isdir(zdir)
    cp = estate.mez("zone", "destroy", "ae-adgm", "--data-dir", estate.data, "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    archives = os.listdir(os.path.join(estate.data, "archive"))
    arch = [a for a in archives if a.startswith("ae-adgm-") and a.endswith(".tar.gz")]
    assert len(arch) == 1, archives
    listing = subprocess.run(["tar", "-tzf", os.path.join(estate.data, "archive", arch[0])],
                             capture_output=True, text=True, check=True).stdout.split()
    for member in ("ae-adgm/zone-key.pem", "ae-adgm/data/mez.sqlite", "ae-adgm/deploy.json",
                   "ae-adgm/packs/stack.lock"):
        assert member in listing, listing
    assert not os.path.exists(zdir)
    assert not os.path.exists(os.path.join(estate.conf_dir, "ae-adgm.conf"))
    with pytest.raises(requests.RequestException):
        get(int(port), "/readyz", timeout=3)
    assert get(pk["port"], "/readyz").status_code == 200
    cp = estate.mez("zone", "list", "--data-dir", estate.data)
    assert "ae-adgm" not in cp.stdout and "pk-sifc\tready" in cp.stdout


# ------------------------------------------------------------------------------------------------ PostgreSQL

@pytest.fixture(scope="module")
def pg_password_server(mez_env):
    """A private PostgreSQL that demands a password over TCP for the deploy role (the superuser keeps trust,
    for the test's own look-ups)."""
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    pg = PgServer(mez_env).start()
    pg.psql("postgres", "CREATE ROLE mezdeploy LOGIN CREATEDB PASSWORD 'correct horse battery'")
    hba = os.path.join(pg.data, "pg_hba.conf")
    with open(hba, "w") as f:
        f.write("local all all trust\nhost all postgres 127.0.0.1/32 trust\n"
                "host all all 127.0.0.1/32 scram-sha-256\n")
    if pg.user:
        subprocess.run(["chown", pg.user, hba], check=True)
    pg._as_owner([pg._bin("pg_ctl"), "-D", pg.data, "reload"], check=True)
    time.sleep(0.5)
    yield pg
    pg.stop()


def test_postgresql_zone_password_from_file(estate, pk, pg_password_server, mez_env):
    pg = pg_password_server
    work = mez_env.new_dir("deploy-pg")
    wrong = os.path.join(work, "wrong")
    with open(wrong, "w") as f:
        f.write("not the password\n")
    url = "postgresql://mezdeploy@127.0.0.1:%d/mez_sc" % pg.port
    with open(os.path.join(mez_env.source_dir, "packs", "sc", "zone.yaml")) as f:
        text = f.read()
    zone_id = re.search(r"^zone_id: (\S+)", text, re.M).group(1)
    profile = re.search(r"^profile: (\S+)", text, re.M).group(1)
    before = estate.snapshot()
    cp = estate.deploy(profile, zone_id, free_port(), "--database", url, "--database-password-file", wrong)
    assert_refused(cp, estate, before, "deploy.database_refused")
    assert pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'mez_sc'") == "0"

    right = os.path.join(work, "pw")
    with open(right, "w") as f:
        f.write("correct horse battery\n")
    os.chmod(right, 0o600)
    port = free_port()
    cp = estate.deploy(profile, zone_id, port, "--database", url, "--database-password-file", right)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "correct horse battery" not in cp.stdout + cp.stderr
    r = get(port, "/readyz")
    assert r.status_code == 200 and r.json()["checks"]["driver"] == "pgsql", r.text
    assert get(port, "/v1/zone").json()["zone_id"] == zone_id
    assert pg.psql("mez_sc", "SELECT count(*) FROM mez_token") == "1"
    # the password is in the pgpass file only (0600, the httpd user's), never in a generated conf
    zdir = os.path.join(estate.data, zone_id)
    pgpass = os.path.join(zdir, "pgpass")
    assert stat.S_IMODE(os.stat(pgpass).st_mode) == 0o600
    if estate.env.server_user:
        import pwd
        assert pwd.getpwuid(os.stat(pgpass).st_uid).pw_name == estate.env.server_user
    for top in (estate.root, zdir):
        for dirpath, _, files in os.walk(top):
            for f in files:
                path = os.path.join(dirpath, f)
                if path == pgpass or f.endswith(".log"):
                    continue
                with open(path, "rb") as fh:
                    assert b"correct horse battery" not in fh.read(), path
    conf = open(os.path.join(estate.conf_dir, zone_id + ".conf")).read()
    assert "passfile='%s'" % pgpass in conf and "password" not in conf.replace("passfile", "")
    # httpd's connections give up on a database that stops answering (docs/02-deploy.md 2.3)
    assert "connect_timeout=10 " in conf and " keepalives=1 " in conf and "tcp_user_timeout=30000" in conf, conf
    # its operator token works there and not on pk-sifc
    t = token_of(estate, zone_id)
    assert get(port, "/v1/corridors", token=t).status_code == 200
    assert get(pk["port"], "/v1/corridors", token=t).status_code == 401
    # re-deploy: unchanged
    cp = estate.deploy(profile, zone_id, port, "--database", url, "--database-password-file", right)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert all(s == "unchanged" for s in re.findall(r"^\[\d/7\] \w+ \.\.\. (\w+)", cp.stdout, re.M)), cp.stdout
    # Another zone named at this zone's database, or at a database of another application: refused before anything
    # is written (a zone's register, ledger and audit chain are its own).
    before = estate.snapshot()
    cp = estate.deploy("charter-city", "hn-prospera", free_port(), "--database", url, "--database-password-file",
                       right)
    assert_refused(cp, estate, before, "deploy.database_in_use", "holds zone %s's records" % zone_id)
    assert pg.psql("mez_sc", "SELECT count(*) FROM mez_token") == "1"
    pg.psql("postgres", "CREATE DATABASE ministry_hr OWNER mezdeploy")
    pg.psql("ministry_hr", "CREATE TABLE staff (id int); ALTER TABLE staff OWNER TO mezdeploy")
    cp = estate.deploy("charter-city", "hn-prospera", free_port(), "--database",
                       "postgresql://mezdeploy@127.0.0.1:%d/ministry_hr" % pg.port, "--database-password-file", right)
    assert_refused(cp, estate, before, "deploy.database_in_use", "public.staff")
    assert pg.psql("ministry_hr", "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'mez%'") == "0"
    # destroy keeps a dump of the database in the archive
    cp = estate.mez("zone", "destroy", zone_id, "--data-dir", estate.data, "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    arch = [a for a in os.listdir(os.path.join(estate.data, "archive")) if a.startswith(zone_id + "-")]
    listing = subprocess.run(["tar", "-tzf", os.path.join(estate.data, "archive", arch[0])],
                             capture_output=True, text=True, check=True).stdout.split()
    assert "%s/database.sql" % zone_id in listing, listing
    assert get(pk["port"], "/readyz").status_code == 200


def test_destroying_the_last_zone_stops_its_httpd(mez_env):
    """A self-contained httpd with one zone: destroying it stops httpd (with the configuration it runs on, removed
    only afterwards) instead of failing to stop it and putting the zone back."""
    lone = Estate(mez_env, mez_env.new_dir("deploy-lone"))
    port = free_port()
    try:
        cp = lone.deploy("digital-financial-center", "ae-adgm", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(port, "/readyz").status_code == 200
        cp = lone.mez("zone", "destroy", "ae-adgm", "--data-dir", lone.data, "--yes")
        assert cp.returncode == 0 and "httpd stopped" in cp.stdout, cp.stdout + cp.stderr
        with pytest.raises(requests.RequestException):
            get(port, "/readyz", timeout=3)
        assert not os.path.exists(os.path.join(lone.root, "httpd.conf"))
        assert not os.path.exists(os.path.join(lone.data, "ae-adgm"))
        assert len(os.listdir(os.path.join(lone.data, "archive"))) == 1
    finally:
        lone.stop()


def test_destroy_and_redeploy_keep_the_estate_user(mez_env):
    """Two zones deployed --user daemon: destroying one rewrites httpd.conf still with User daemon (it wrote
    www-data, and the other zone's SQLite became read-only to its children), and a deploy without --user keeps
    daemon too."""
    e = Estate(mez_env, mez_env.new_dir("deploy-user"))
    p1, p2 = free_port(), free_port()
    conf = os.path.join(e.root, "httpd.conf")

    def users():
        with open(conf) as f:
            return re.findall(r"^(?:User|Group) (\S+)$", f.read(), re.M)

    try:
        for profile, zone, port in (("sovereign-govos", "pk-sifc", p1), ("digital-financial-center", "ae-adgm", p2)):
            cp = e.deploy(profile, zone, port, "--user", "daemon")
            assert cp.returncode == 0, cp.stdout + cp.stderr
        if os.geteuid() != 0:
            pytest.skip("User is written only when deploy runs as root")
        assert users() == ["daemon", "daemon"]
        cp = e.mez("zone", "destroy", "ae-adgm", "--data-dir", e.data, "--yes")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert users() == ["daemon", "daemon"]
        cp = e.deploy("sovereign-govos", "pk-sifc", p1)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert users() == ["daemon", "daemon"]
        assert os.stat(os.path.join(e.data, "pk-sifc", "zone-key.pem")).st_uid == pwd.getpwnam("daemon").pw_uid
        # the remaining zone still signs and writes its database (issuing is audited)
        r = requests.post("http://127.0.0.1:%d/v1/credentials/issue" % p1,
                          json={"credential": sample_credential(), "options": {}},
                          headers={"Authorization": "Bearer " + token_of(e, "pk-sifc")}, timeout=30)
        assert r.status_code == 201, r.text
    finally:
        e.stop()


def test_a_server_name_taken_on_the_listen_address_is_refused(mez_env):
    """A second zone asking for the first one's ServerName on the same listen address is refused before anything
    is written (httpd gave the first zone's traffic to one of them, silently); on another address it is served."""
    e = Estate(mez_env, mez_env.new_dir("deploy-names"))
    port = free_port()
    try:
        cp = e.deploy("sovereign-govos", "pk-sifc", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        before = e.snapshot()
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--server-name", "PK-SIFC.localhost")
        assert cp.returncode == 1, cp.stdout + cp.stderr     # a refusal, as deploy.port_in_use
        assert_refused(cp, e, before, "deploy.server_name_taken", "pk-sifc", "nothing was written")
        assert get(port, "/v1/zone", host="pk-sifc.localhost").json()["zone_id"] == "pk-sifc"
        # its own re-deploy keeps its name
        cp = e.deploy("sovereign-govos", "pk-sifc", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        other = free_port()
        cp = e.deploy("digital-financial-center", "ae-adgm", other, "--server-name", "pk-sifc.localhost")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(other, "/v1/zone", host="pk-sifc.localhost").json()["zone_id"] == "ae-adgm"
        assert get(port, "/v1/zone", host="pk-sifc.localhost").json()["zone_id"] == "pk-sifc"
    finally:
        e.stop()


def test_restore_replace_checks_before_destroying(mez_env):
    """mez zone restore --replace --yes refuses what deploy would refuse (a listen address another program holds,
    a server name another zone serves there) before it destroys the live zone: it destroyed it first, and the
    refused restore left neither the zone nor its restoration; then a restore that passes replaces it."""
    e = Estate(mez_env, mez_env.new_dir("deploy-restore"))
    port, other = free_port(), free_port()
    out = os.path.join(e.base, "pk.tar.gz")
    busy = socket.socket()
    try:
        cp = e.deploy("sovereign-govos", "pk-sifc", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--server-name", "adgm.example")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        cp = e.mez("zone", "backup", "pk-sifc", "--data-dir", e.data, "--out", out)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        before = e.snapshot()
        for extra, needle in ((["--listen", "127.0.0.1:%d" % busy.getsockname()[1]], "in use by another program"),
                              (["--server-name", "ADGM.example"], "zone ae-adgm already serves")):
            cp = e.mez("zone", "restore", out, "--data-dir", e.data, "--replace", "--yes", *extra)
            assert cp.returncode == 1 and needle in cp.stderr, cp.stdout + cp.stderr
            assert "nothing restored" in cp.stderr and "destroyed" not in cp.stdout, cp.stdout + cp.stderr
            assert e.snapshot() == before
            assert get(port, "/v1/zone", host="pk-sifc.localhost").json()["zone_id"] == "pk-sifc"
        cp = e.mez("zone", "restore", out, "--data-dir", e.data, "--replace", "--yes",
                   "--listen", "127.0.0.1:%d" % other)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(other, "/v1/zone", host="pk-sifc.localhost").json()["zone_id"] == "pk-sifc"
        assert get(port, "/v1/zone", host="adgm.example").json()["zone_id"] == "ae-adgm"
    finally:
        busy.close()
        e.stop()


def test_mode_and_policy_are_remembered(mez_env):
    """--mode production and a non-default policy file land in the zone's conf and deploy.json; a re-deploy given
    neither keeps them (unchanged), and a bad mode is refused before anything is written."""
    e = Estate(mez_env, mez_env.new_dir("deploy-mode"))
    port = free_port()
    policy = os.path.join(e.base, "policy.conf")
    shutil.copy(os.path.join(mez_env.source_dir, "conf", "mez-policy.conf"), policy)
    try:
        before = e.snapshot()
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--mode", "staging")
        assert cp.returncode == 2 and "--mode is development or production" in cp.stderr, cp.stdout + cp.stderr
        assert e.snapshot() == before
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--mode", "production", "--policy-conf", policy,
                      "--sanctions-un", mez_env.shared("data", "sanctions", "un-consolidated.xml"))
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(port, "/v1/zone").json()["mode"] == "production"
        rec = json.load(open(os.path.join(e.data, "ae-adgm", "deploy.json")))
        assert (rec["mode"], rec["policy_conf"]) == ("production", policy)
        with open(os.path.join(e.conf_dir, "ae-adgm.conf")) as f:
            conf = f.read()
        assert "MezMode production" in conf and 'Include "%s"' % policy in conf
        cp = e.deploy("digital-financial-center", "ae-adgm", port)
        assert cp.returncode == 0 and cp.stdout.count("unchanged") >= 7, cp.stdout + cp.stderr
        assert get(port, "/v1/zone").json()["mode"] == "production"
    finally:
        e.stop()


def test_the_console_can_be_left_off_for_good(mez_env):
    """--console off deploys the zone without the regulator console, and the choice is remembered: a re-deploy
    without --console, and a restore, keep it off (editing the generated virtual host would not survive either);
    --console on brings it back, and a bad value is refused before anything is written."""
    e = Estate(mez_env, mez_env.new_dir("deploy-console"))
    port = free_port()
    out = os.path.join(e.base, "adgm.tar.gz")
    try:
        before = e.snapshot()
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--console", "maybe")
        assert cp.returncode == 2 and "--console is on or off" in cp.stderr, cp.stdout + cp.stderr
        assert e.snapshot() == before
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--console", "off")
        assert cp.returncode == 0 and "console:" not in cp.stdout, cp.stdout + cp.stderr
        assert get(port, "/regulator/").status_code == 404
        assert json.load(open(os.path.join(e.data, "ae-adgm", "deploy.json")))["console"] == "off"
        cp = e.deploy("digital-financial-center", "ae-adgm", port)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(port, "/regulator/").status_code == 404
        cp = e.mez("zone", "backup", "ae-adgm", "--data-dir", e.data, "--out", out)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        cp = e.mez("zone", "restore", out, "--data-dir", e.data, "--replace", "--yes")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert get(port, "/v1/zone").json()["zone_id"] == "ae-adgm"
        assert get(port, "/regulator/").status_code == 404
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--console", "on")
        assert cp.returncode == 0 and "console:" in cp.stdout, cp.stdout + cp.stderr
        assert get(port, "/regulator/").status_code == 200
    finally:
        e.stop()


def un_feed(path, records):
    """A UN list file in the UN's format with the given <INDIVIDUAL> records (XML text)."""
    with open(path, "w") as f:
        f.write('<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-03-01T00:00:00Z"><INDIVIDUALS>%s'
                "</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>\n" % records)
    return path


def test_deploy_imports_the_un_list_the_zone_declares(mez_env):
    """Every shipped zone.yaml declares the UN Security Council Consolidated List (sanctions_imports), which is
    imported, never shipped. --sanctions-un FILE imports it into the zone's packs (listed in its zone.yaml, the
    lock written again) before httpd starts: /readyz says it is loaded. A re-deploy with the same file, or without
    one, changes nothing and keeps the list; a feed that names no one or lost half the list is refused before
    anything is written, the zone's list unchanged. --mode production refuses a zone that would run without the
    list (it would not start: a hard screening block against nothing fails open), naming the list and the option."""
    e = Estate(mez_env, mez_env.new_dir("deploy-un"))
    xml = mez_env.shared("data", "sanctions", "un-consolidated.xml")
    port = free_port()
    zone_yaml = os.path.join(e.data, "pk-sifc", "packs", "zone.yaml")
    args = ["--profile-dir", os.path.join(mez_env.source_dir, "profiles"),
            "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd")]
    try:
        cp = e.deploy("sovereign-govos", "pk-sifc", port, "--sanctions-un", xml, "--dry-run")
        assert cp.returncode == 0 and "import the UN list %s" % xml in cp.stdout, cp.stdout + cp.stderr
        assert not os.path.exists(os.path.join(e.data, "pk-sifc"))
        cp = e.deploy("sovereign-govos", "pk-sifc", port, "--sanctions-un", xml)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert "UN list of 2026-02-27 imported from %s" % xml in cp.stdout, cp.stdout
        assert get(port, "/readyz").json()["checks"]["sanctions_imports"] == {"state": "ok"}
        with open(zone_yaml) as f:
            assert "regpacks/un-consolidated.yaml" in f.read()
        cp = e.mez("zone", "check", *args, zone_yaml)
        assert cp.returncode == 0 and "sanctions list" not in cp.stderr, cp.stdout + cp.stderr
        log = open(os.path.join(e.data, "pk-sifc", "logs", "error.log")).read()
        assert "declares the sanctions list" not in log
        # the same file again, or none: nothing changes, the list stays
        for extra in (["--sanctions-un", xml], []):
            cp = e.deploy("sovereign-govos", "pk-sifc", port, *extra)
            assert cp.returncode == 0 and cp.stdout.count("unchanged") >= 7, cp.stdout + cp.stderr
            assert get(port, "/readyz").json()["checks"]["sanctions_imports"] == {"state": "ok"}
        # a feed that names no one, or one that lost half the list: refused, nothing written
        work = mez_env.new_dir("deploy-un-feeds")
        one = un_feed(os.path.join(work, "one.xml"), "<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME><SECOND_NAME>B"
                      "</SECOND_NAME><REFERENCE_NUMBER>TSi.001</REFERENCE_NUMBER></INDIVIDUAL>")
        before = e.snapshot()
        for feed, code in ((un_feed(os.path.join(work, "empty.xml"), ""), "sanctions.empty_list"),
                           (one, "sanctions.list_shrank")):
            cp = e.deploy("sovereign-govos", "pk-sifc", port, "--sanctions-un", feed)
            assert_refused(cp, e, before, code, "nothing was written")
        assert "--sanctions-allow-shrink" in cp.stderr
        assert get(port, "/readyz").json()["checks"]["sanctions_imports"] == {"state": "ok"}
        # production without the list is refused before anything is written; with it, it serves
        before = e.snapshot()
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--server-name", "adgm.localhost",
                      "--mode", "production")
        assert_refused(cp, e, before, "deploy.sanctions_list_missing",
                       "/sanctions_imports/0: UN Security Council consolidated list", "--sanctions-un FILE")
        cp = e.deploy("digital-financial-center", "ae-adgm", port, "--server-name", "adgm.localhost",
                      "--mode", "production", "--sanctions-un", xml)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        r = get(port, "/readyz", host="adgm.localhost")
        assert r.status_code == 200 and r.json()["checks"]["sanctions_imports"] == {"state": "ok"}, r.text
        assert get(port, "/v1/zone", host="adgm.localhost").json()["mode"] == "production"
        # development still deploys without it, and says what is missing
        cp = e.deploy("charter-city", "hn-prospera", free_port())
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert "warning: /sanctions_imports/0: UN Security Council consolidated list (un-consolidated-xml) is " \
               "not loaded" in cp.stdout, cp.stdout
    finally:
        e.stop()


def test_the_operator_token_deploy_made_is_audited(estate, pk):
    db = os.path.join(estate.data, "pk-sifc", "data", "mez.sqlite")
    cp = estate.mez("audit", "show", "--driver", "sqlite3", "--params", db)
    assert cp.returncode == 0, cp.stderr
    rows = [json.loads(line) for line in cp.stdout.splitlines() if line.strip()]
    made = [r for r in rows if r["action"] == "token.create"]
    assert len(made) == 1 and made[0]["detail"]["by"] == "mez deploy", rows
    assert estate.mez("audit", "verify", "--driver", "sqlite3", "--params", db).returncode == 0


def test_a_database_that_never_answers_does_not_hold_deploy(mez_env):
    """A host that takes the TCP connection and never says a word: deploy's own connections give up after their
    connect_timeout (10 s) with a refusal, rather than holding deploy, and `mez provision` with every request
    queued after it, for ever."""
    import socket
    import threading
    held = []
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]

    def hold():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            held.append(c)          # never answered, never closed until the test ends
    threading.Thread(target=hold, daemon=True).start()
    e = Estate(mez_env, mez_env.new_dir("deploy-mute-db"))
    try:
        started = time.monotonic()
        cp = e.deploy("sovereign-govos", "pk-sifc", free_port(), "--database",
                      "postgresql://mez@127.0.0.1:%d/mez_mute" % port, "--dry-run")
        took = time.monotonic() - started
        assert cp.returncode != 0 and held, cp.stdout + cp.stderr
        assert took < 40, took
    finally:
        srv.close()
        for c in held:
            c.close()

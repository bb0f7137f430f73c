# test_estate.py: the estate acceptance test of the deploy issue, driven as a new operator would drive it (the `mez`
# CLI only, from clean data directories, self-contained httpds with --httpd-root, the shipped packs):
#  - five zones (every jurisdiction in packs/) on one httpd as name-based virtual hosts on one address, each with
#    its own DID; a token of one zone is 401 at another, a peer registered with one is refused by another;
#  - two zones on two separate httpd instances with a corridor between them (deploy --corridors/--peers, the
#    peer's operator accepts with the token from its data dir), receipts written;
#  - every deploy run again: every step "unchanged";
#  - one zone destroyed; another backed up (mez zone backup), destroyed and restored (mez zone restore): the same
#    DID, entities, corridor chain and a verifying audit chain, and the corridor goes on; the destroyed one is
#    restored from destroy's own archive; bad archives and an existing zone are refused and change nothing.
import json
import os
import re
import subprocess
import tarfile
import time

import pytest
import requests

from mez_harness import free_port
from test_deploy import Estate

ZONES = [("pk-sifc", "sovereign-govos"), ("ae-adgm", "digital-financial-center"),
         ("kz-aifc", "digital-financial-center"), ("sc-fsa", "digital-financial-center"),
         ("hn-prospera", "charter-city")]
EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


class Node:
    """One zone as a client reaches it: address, virtual host name, operator token."""

    def __init__(self, estate, zone, port):
        self.estate, self.zone, self.port = estate, zone, port
        self.host = "%s.localhost:%d" % (zone, port)

    @property
    def token(self):
        with open(os.path.join(self.estate.data, self.zone, "operator-token")) as f:
            return f.read().strip()

    def url(self, path):
        return "http://%s%s" % (self.host, path)

    def req(self, method, path, token=None, headers=None, **kw):
        h = {"Host": self.host}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        return requests.request(method, "http://127.0.0.1:%d%s" % (self.port, path), headers=h, timeout=30, **kw)

    def op(self, method, path, body=None):
        return self.req(method, path, token=self.token, json=body if method != "GET" else None)


def deploy(estate, zone, profile, port, *extra):
    cp = estate.mez("deploy", "--profile", profile, "--jurisdiction", zone, "--data-dir", estate.data,
                    "--httpd-root", estate.root, "--listen", "127.0.0.1:%d" % port, *extra)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return cp


def all_unchanged(cp):
    steps = re.findall(r"^\[(\d)/7\] (\w+) \.\.\. (\w+)", cp.stdout, re.M)
    return len(steps) == 7 and all(s[2] == "unchanged" for s in steps)


def chain(node, cid):
    r = node.op("GET", "/v1/corridors/%s/receipts?from=0" % cid)
    assert r.status_code == 200, r.text
    return r.json()["receipts"]


def peer_headers(env, key, method, url):
    cp = env.mez("peer", "sign", "--key", key, "--url", url, "--method", method, check=True)
    return dict(line.split(": ", 1) for line in cp.stdout.splitlines() if ": " in line)


@pytest.fixture(scope="module")
def estates(mez_env):
    base = mez_env.new_dir("estate")
    one = Estate(mez_env, os.path.join(base, "one"))          # five zones, one httpd
    two = Estate(mez_env, os.path.join(base, "two"))          # two zones, two httpds, one data dir
    os.mkdir(os.path.join(base, "one"), 0o755)
    os.mkdir(os.path.join(base, "two"), 0o755)
    two.root_b, two.root_c = os.path.join(base, "two", "httpd-b"), os.path.join(base, "two", "httpd-c")
    state = {"one": one, "two": two, "t0": time.monotonic()}
    yield state
    one.stop()
    for root in (two.root_b, two.root_c):
        two.root = root
        two.stop()


def test_five_zones_on_one_httpd(estates, mez_env):
    one = estates["one"]
    assert not os.path.exists(one.data)          # a clean data directory
    port = free_port()
    t0 = time.monotonic()
    for zone, profile in ZONES:
        deploy(one, zone, profile, port)
    print("five deploys: %.1f s" % (time.monotonic() - t0))
    nodes = {z: Node(one, z, port) for z, _ in ZONES}
    estates["five"] = nodes
    # one Listen, five name-based virtual hosts
    with open(os.path.join(one.root, "httpd.conf")) as f:
        assert re.findall(r"^Listen (.*)$", f.read(), re.M) == ["127.0.0.1:%d" % port]
    dids = {}
    for z, n in nodes.items():
        r = n.req("GET", "/v1/zone")
        assert r.status_code == 200 and r.json()["zone_id"] == z, r.text
        dids[z] = r.json()["did"]
        assert n.req("GET", "/readyz").status_code == 200
    assert len(set(dids.values())) == 5
    estates["dids"] = dids
    cp = one.mez("zone", "list", "--data-dir", one.data)
    assert dict(l.split("\t")[:2] for l in cp.stdout.splitlines()) == {z: "ready" for z, _ in ZONES}, cp.stdout

    # a token of one zone does nothing in another
    for a, b in (("pk-sifc", "ae-adgm"), ("ae-adgm", "kz-aifc"), ("sc-fsa", "hn-prospera"), ("hn-prospera", "pk-sifc")):
        ta = nodes[a].token
        assert nodes[a].req("GET", "/v1/corridors", token=ta).status_code == 200
        assert nodes[b].req("GET", "/v1/corridors", token=ta).status_code == 401
        before = nodes[b].op("GET", "/v1/peers").json()["peers"]
        r = nodes[b].req("POST", "/v1/peers", token=ta, json={"zone_id": "x-intruder", "url": "http://127.0.0.1:9",
                                                               "did": dids[a]})
        assert r.status_code == 401, r.text
        assert nodes[b].op("GET", "/v1/peers").json()["peers"] == before

    # a peer registered with pk-sifc signs requests pk-sifc accepts, and sc-fsa refuses
    key = os.path.join(mez_env.new_dir("estate-peer"), "peer.pem")
    peer_did = mez_env.keygen(key)
    r = nodes["pk-sifc"].op("POST", "/v1/peers", {"zone_id": "xx-peer", "url": "http://127.0.0.1:9", "did": peer_did})
    assert r.status_code == 201, r.text
    for z, want in (("pk-sifc", 200), ("sc-fsa", 401), ("ae-adgm", 401)):
        n = nodes[z]
        r = n.req("GET", "/v1/corridors", headers=peer_headers(mez_env, key, "GET", n.url("/v1/corridors")))
        assert r.status_code == want, (z, r.text)
        if want == 401:
            assert r.json()["code"].startswith("httpsig."), r.text


def test_two_httpds_with_a_corridor(estates, mez_env):
    two = estates["two"]
    pb, pc = free_port(), free_port()
    two.root = two.root_b
    deploy(two, "pk-sifc", "sovereign-govos", pb)
    b = Node(two, "pk-sifc", pb)
    b_did = b.req("GET", "/v1/zone").json()["did"]
    # kz-aifc's key made beforehand, so pk-sifc's operator can register it as a peer
    work = mez_env.new_dir("estate-kz")
    key = os.path.join(work, "kz.pem")
    kz_did = mez_env.keygen(key)
    assert b.op("POST", "/v1/peers", {"zone_id": "kz-aifc", "url": "http://127.0.0.1:%d" % pc,
                                      "did": kz_did}).status_code == 201
    peers = os.path.join(work, "peers.json")
    with open(peers, "w") as f:
        json.dump({"pk-sifc": {"url": "http://127.0.0.1:%d" % pb, "did": b_did}}, f)
    two.root = two.root_c
    kz_args = ("--corridors", "pk-sifc", "--peers", peers, "--key-file", key)
    cp = deploy(two, "kz-aifc", "digital-financial-center", pc, *kz_args)
    cid = re.search(r"awaiting pk-sifc \(([0-9a-f-]{36})\)", cp.stdout).group(1)
    c = Node(two, "kz-aifc", pc)
    assert c.req("GET", "/v1/zone").json()["did"] == kz_did
    # two httpd instances
    pids = [open(os.path.join(r, "run", "httpd.pid")).read().strip() for r in (two.root_b, two.root_c)]
    assert pids[0] != pids[1]
    # the peer's operator accepts, with the token from its data dir
    r = b.op("POST", "/v1/corridors/%s/accept" % cid, {})
    assert r.status_code in (200, 201), r.text
    for i in range(3):
        r = c.op("POST", "/v1/corridors/%s/receipts" % cid,
                 {"transition": {"kind": "payment", "payload": {"amount_minor": 100 + i, "currency": "USD"}}})
        assert r.status_code == 201 and r.json()["delivery"]["delivered"] is True, r.text
    assert len(chain(c, cid)) == 3 and chain(c, cid) == chain(b, cid)
    estates.update(b=b, c=c, cid=cid, pb=pb, pc=pc, kz_args=kz_args, kz_did=kz_did)


def test_redeploy_everything_unchanged(estates):
    one, two = estates["one"], estates["two"]
    port = estates["five"]["pk-sifc"].port
    for zone, profile in ZONES:
        cp = deploy(one, zone, profile, port)
        assert all_unchanged(cp), cp.stdout
    two.root = two.root_b
    assert all_unchanged(deploy(two, "pk-sifc", "sovereign-govos", estates["pb"]))
    two.root = two.root_c
    cp = deploy(two, "kz-aifc", "digital-financial-center", estates["pc"], *estates["kz_args"])
    assert all_unchanged(cp) and "pk-sifc active" in cp.stdout, cp.stdout


def test_destroy_one(estates):
    one, nodes = estates["one"], estates["five"]
    cp = one.mez("zone", "destroy", "hn-prospera", "--data-dir", one.data, "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert not os.path.exists(os.path.join(one.data, "hn-prospera"))
    # the name is no longer served (the address's first virtual host answers it, as itself)
    assert nodes["hn-prospera"].req("GET", "/v1/zone").json()["zone_id"] != "hn-prospera"
    for z in ("pk-sifc", "ae-adgm", "kz-aifc", "sc-fsa"):
        assert nodes[z].req("GET", "/v1/zone").json()["zone_id"] == z
        assert nodes[z].req("GET", "/readyz").status_code == 200


def test_backup_destroy_restore(estates, mez_env):
    two, c, b, cid = estates["two"], estates["c"], estates["b"], estates["cid"]
    two.root = two.root_c
    # data worth keeping: an entity, the corridor's chain, the audit rows of both
    r = c.op("POST", "/v1/entities", {"entity_type": "corporation", "legal_name": "Steppe Looms Ltd",
                                      "compliance": {"evidence": EVIDENCE}})
    assert r.status_code == 201, r.text
    entity = r.json()
    eid = entity.get("entity_id") or entity.get("id")
    assert eid, entity
    receipts = chain(c, cid)
    token = c.token
    # a key the zone rotated from, as `mez key rotate` archives it: kept with the backup (docs/08)
    retired_dir = os.path.join(two.data, "kz-aifc", "retired-keys")
    os.makedirs(retired_dir, mode=0o700, exist_ok=True)
    retired = os.path.join(retired_dir, "rotatedfromkey16.pem")
    mez_env.keygen(retired)
    os.chmod(retired, 0o600)
    with open(retired, "rb") as f:
        retired_bytes = f.read()
    out = os.path.join(mez_env.new_dir("estate-backup"), "kz.tar.gz")
    cp = two.mez("zone", "backup", "kz-aifc", "--data-dir", two.data, "--out", out)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    with tarfile.open(out) as t:
        names = set(t.getnames())
        files = {m.name[len("kz-aifc/"):] for m in t.getmembers() if m.isfile()}
        manifest = json.load(t.extractfile("kz-aifc/MANIFEST.json"))
    for m in ("zone-key.pem", "operator-token", "deploy.json", "packs/stack.lock", "data/mez.sqlite",
              "vhost.conf", "MANIFEST.json", "retired-keys/rotatedfromkey16.pem"):
        assert "kz-aifc/" + m in names, names
    assert manifest["did"] == estates["kz_did"] and manifest["database"]["driver"] == "sqlite3"
    assert {m["path"] for m in manifest["members"]} == files - {"MANIFEST.json"}
    assert c.req("GET", "/readyz").status_code == 200          # a backup does not stop the zone

    # restoring over the serving zone is refused and changes nothing
    before = two.snapshot()
    cp = two.mez("zone", "restore", out, "--data-dir", two.data, "--httpd-root", two.root_c)
    assert cp.returncode == 1 and "exists" in cp.stderr, cp.stdout + cp.stderr
    assert two.snapshot() == before

    cp = two.mez("zone", "destroy", "kz-aifc", "--data-dir", two.data, "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    with pytest.raises(requests.RequestException):
        c.req("GET", "/readyz")

    # a tampered archive is refused before anything is written
    bad = tamper(out, mez_env)
    before = two.snapshot()
    cp = two.mez("zone", "restore", bad, "--data-dir", two.data, "--httpd-root", two.root_c)
    assert cp.returncode == 1 and "does not match the manifest" in cp.stderr, cp.stdout + cp.stderr
    assert two.snapshot() == before

    t0 = time.monotonic()
    cp = two.mez("zone", "restore", out, "--data-dir", two.data, "--httpd-root", two.root_c)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    print("restore: %.1f s" % (time.monotonic() - t0))
    assert "[7/7] ready ... ok" in cp.stdout, cp.stdout
    assert c.req("GET", "/readyz").status_code == 200
    assert c.req("GET", "/v1/zone").json()["did"] == estates["kz_did"]
    with open(retired, "rb") as f:
        assert f.read() == retired_bytes
    assert oct(os.stat(retired).st_mode & 0o777) == "0o600"
    assert c.token == token and c.op("GET", "/v1/corridors").status_code == 200
    assert chain(c, cid) == receipts
    r = c.op("GET", "/v1/entities/%s" % eid)
    assert r.status_code == 200 and r.json()["legal_name"] == "Steppe Looms Ltd", r.text
    db = os.path.join(two.data, "kz-aifc", "data", "mez.sqlite")
    cp = mez_env.mez("audit", "verify", "--driver", "sqlite3", "--params", db)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    # the corridor goes on from where it was, on both sides
    r = c.op("POST", "/v1/corridors/%s/receipts" % cid, {"transition": {"kind": "payment", "payload": {
        "amount_minor": 999, "currency": "USD"}}})
    assert r.status_code == 201 and r.json()["delivery"]["delivered"] is True, r.text
    assert len(chain(c, cid)) == len(receipts) + 1 and chain(c, cid) == chain(b, cid)
    # and a re-deploy of the restored zone with its original arguments changes nothing
    cp = deploy(two, "kz-aifc", "digital-financial-center", estates["pc"], *estates["kz_args"])
    assert all_unchanged(cp), cp.stdout


def tamper(archive, mez_env):
    work = mez_env.new_dir("estate-tamper")
    with tarfile.open(archive) as t:
        t.extractall(work)
    with open(os.path.join(work, "kz-aifc", "operator-token"), "a") as f:
        f.write("x")
    bad = os.path.join(work, "bad.tar.gz")
    subprocess.run(["tar", "-czf", bad, "-C", work, "kz-aifc"], check=True)
    return bad


def test_destroy_archive_restores(estates):
    one, nodes = estates["one"], estates["five"]
    arch = [a for a in os.listdir(os.path.join(one.data, "archive")) if a.startswith("hn-prospera-")]
    assert len(arch) == 1
    # where it was served (the httpd root) comes from the archived record
    cp = one.mez("zone", "restore", os.path.join(one.data, "archive", arch[0]), "--data-dir", one.data)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    z = nodes["hn-prospera"].req("GET", "/v1/zone").json()
    assert z["zone_id"] == "hn-prospera" and z["did"] == estates["dids"]["hn-prospera"]
    cp = one.mez("zone", "list", "--data-dir", one.data)
    assert dict(l.split("\t")[:2] for l in cp.stdout.splitlines()) == {z: "ready" for z, _ in ZONES}, cp.stdout
    print("estate test: %.1f s" % (time.monotonic() - estates["t0"]))

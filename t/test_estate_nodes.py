# test_estate_nodes.py: one zone on two httpd nodes against one PostgreSQL database (DESIGN §5), behind a front
# httpd running the shipped sample conf/balancer/mez-balancer.conf (mod_proxy_balancer + mod_proxy_http), all made
# with the CLI: node 1 is `mez deploy`, node 2 a second `mez deploy` of the same zone id and database into another
# data dir and httpd root with node 1's key. Requests through the balancer reach both nodes and land in the one
# database; with a node stopped the zone keeps serving. Then the PostgreSQL zone is backed up (pg_dump) and
# restored onto a third httpd against a new database: the same DID and the same rows, the audit chain verifying.
import os
import re
import shutil

import pytest
import requests

from mez_harness import PgServer, free_port, run
from test_deploy import Estate

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


@pytest.fixture(scope="module")
def pg(mez_env):
    if "pgsql" not in mez_env.drivers:
        pytest.skip("pgsql not in MEZ_TEST_DRIVERS")
    server = PgServer(mez_env).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lb(mez_env, pg):
    base = mez_env.new_dir("estate-lb")
    n1, n2 = Estate(mez_env, os.path.join(base, "node1")), Estate(mez_env, os.path.join(base, "node2"))
    for d in (n1.base, n2.base):
        os.mkdir(d, 0o755)
    p1, p2, pf = free_port(), free_port(), free_port()
    url = "postgresql://postgres@127.0.0.1:%d/mez_lb" % pg.port
    for node, port, extra in ((n1, p1, ()), (n2, p2, ("--key-file", os.path.join(n1.data, "pk-sifc",
                                                                                "zone-key.pem")))):
        cp = node.mez("deploy", "--profile", "sovereign-govos", "--jurisdiction", "pk-sifc", "--data-dir", node.data,
                      "--httpd-root", node.root, "--listen", "127.0.0.1:%d" % port, "--database", url, *extra)
        assert cp.returncode == 0, cp.stdout + cp.stderr
    # the second node found the database made and migrated, and kept it
    assert "created" not in re.search(r"^\[4/7\] database .*$", cp.stdout, re.M).group(0), cp.stdout
    # the front httpd: the sample, with its Define lines set as an operator would edit them
    front = os.path.join(base, "front")
    os.mkdir(front, 0o755)
    with open(os.path.join(mez_env.source_dir, "conf", "balancer", "mez-balancer.conf")) as f:
        text = f.read()
    for name, value in (("MEZ_FRONT_ROOT", front), ("MEZ_FRONT_LISTEN", "127.0.0.1:%d" % pf),
                        ("MEZ_MODULES", mez_env.httpd_modules), ("MEZ_NODE1", "http://127.0.0.1:%d" % p1),
                        ("MEZ_NODE2", "http://127.0.0.1:%d" % p2)):
        text, n = re.subn(r"^Define %s .*$" % name, "Define %s %s" % (name, value), text, flags=re.M)
        assert n == 1, name
    conf = os.path.join(front, "httpd.conf")
    with open(conf, "w") as f:
        f.write(text)
    cp = run([mez_env.apache2, "-d", front, "-f", conf, "-k", "start"], env=mez_env.env())
    assert cp.returncode == 0, cp.stdout + cp.stderr + open(os.path.join(front, "error.log")).read()
    state = {"n1": n1, "n2": n2, "p1": p1, "p2": p2, "pf": pf, "front": front, "conf": conf, "url": url, "pg": pg,
             "base": base}
    yield state
    run([mez_env.apache2, "-d", front, "-f", conf, "-k", "stop"], env=mez_env.env())
    for node in (n1, n2) + tuple(state.get("extra", ())):
        node.stop()


def via(lb, method, path, token=None, json=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return requests.request(method, "http://127.0.0.1:%d%s" % (lb["pf"], path), headers=headers, json=json,
                            timeout=30)


def token_of(node):
    with open(os.path.join(node.data, "pk-sifc", "operator-token")) as f:
        return f.read().strip()


def hits(node, needle):
    with open(os.path.join(node.data, "pk-sifc", "logs", "access.log")) as f:
        return sum(1 for line in f if needle in line)


def test_two_nodes_one_database_behind_the_balancer(lb):
    n1, n2, pg = lb["n1"], lb["n2"], lb["pg"]
    dids = {requests.get("http://127.0.0.1:%d/v1/zone" % p, timeout=10).json()["did"] for p in (lb["p1"], lb["p2"])}
    assert len(dids) == 1                     # one zone, one key
    for _ in range(4):
        r = via(lb, "GET", "/readyz")
        assert r.status_code == 200 and r.json()["checks"]["driver"] == "pgsql", r.text
        assert via(lb, "GET", "/v1/zone").json()["did"] in dids
    # each node's operator token works through the balancer: the tokens are rows of the one database
    assert pg.psql("mez_lb", "SELECT count(*) FROM mez_token") == "2"
    before = int(pg.psql("mez_lb", "SELECT count(*) FROM mez_mass_entity"))
    h1, h2 = hits(n1, "POST /v1/entities"), hits(n2, "POST /v1/entities")
    for i in range(6):
        tok = token_of((n1, n2)[i % 2])
        r = via(lb, "POST", "/v1/entities", tok, {"entity_type": "corporation", "legal_name": "Balanced %d Ltd" % i,
                                                  "compliance": {"evidence": EVIDENCE}})
        assert r.status_code == 201, r.text
    # the same name through either node is one entity
    r = via(lb, "POST", "/v1/entities", token_of(n1), {"entity_type": "corporation", "legal_name": "BALANCED 0 LTD",
                                                       "compliance": {"evidence": EVIDENCE}})
    assert r.status_code == 409, r.text
    assert int(pg.psql("mez_lb", "SELECT count(*) FROM mez_mass_entity")) == before + 6
    # both nodes answered some of them (byrequests alternates)
    assert hits(n1, "POST /v1/entities") > h1 and hits(n2, "POST /v1/entities") > h2
    with open(os.path.join(lb["front"], "access.log")) as f:
        workers = set(re.findall(r"-> (\S+)$", f.read(), re.M))
    assert {"http://127.0.0.1:%d" % lb["p1"], "http://127.0.0.1:%d" % lb["p2"]} <= workers, workers


def test_a_node_stopping_leaves_the_zone_serving(lb):
    n1, n2, pg = lb["n1"], lb["n2"], lb["pg"]
    n2.stop()
    with pytest.raises(requests.RequestException):
        requests.get("http://127.0.0.1:%d/readyz" % lb["p2"], timeout=3)
    before = int(pg.psql("mez_lb", "SELECT count(*) FROM mez_mass_entity"))
    for i in range(4):
        assert via(lb, "GET", "/readyz").status_code == 200
        r = via(lb, "POST", "/v1/entities", token_of(n2), {"entity_type": "corporation",
                                                           "legal_name": "Failover %d Ltd" % i,
                                                           "compliance": {"evidence": EVIDENCE}})
        assert r.status_code == 201, r.text
    assert int(pg.psql("mez_lb", "SELECT count(*) FROM mez_mass_entity")) == before + 4


def test_postgresql_zone_backup_and_restore(lb, mez_env):
    n1, pg = lb["n1"], lb["pg"]
    out = os.path.join(lb["base"], "pk.tar.gz")
    cp = n1.mez("zone", "backup", "pk-sifc", "--data-dir", n1.data, "--out", out)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    listing = run(["tar", "-tzf", out], check=True).stdout.split()
    assert "pk-sifc/database.sql" in listing and "pk-sifc/MANIFEST.json" in listing, listing
    entities = pg.psql("mez_lb", "SELECT string_agg(entity_id::text, ',' ORDER BY entity_id) FROM mez_mass_entity")
    # the recorded database exists (both nodes use it): refused, nothing made
    n3 = Estate(mez_env, os.path.join(lb["base"], "node3"))
    os.mkdir(n3.base, 0o755)
    port = free_port()
    cp = n3.mez("zone", "restore", out, "--data-dir", n3.data, "--httpd-root", n3.root, "--listen",
                "127.0.0.1:%d" % port)
    assert cp.returncode == 1 and "exists" in cp.stderr, cp.stdout + cp.stderr
    assert not os.path.exists(os.path.join(n3.data, "pk-sifc")) and not os.path.exists(n3.root)
    # onto a new database (as on a new estate)
    lb["extra"] = [n3]
    cp = n3.mez("zone", "restore", out, "--data-dir", n3.data, "--httpd-root", n3.root, "--listen",
                "127.0.0.1:%d" % port, "--database", "postgresql://postgres@127.0.0.1:%d/mez_lb_copy" % pg.port)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    z = requests.get("http://127.0.0.1:%d/v1/zone" % port, timeout=10).json()
    assert z["did"] == requests.get("http://127.0.0.1:%d/v1/zone" % lb["p1"], timeout=10).json()["did"]
    assert requests.get("http://127.0.0.1:%d/readyz" % port, timeout=10).json()["checks"]["driver"] == "pgsql"
    assert pg.psql("mez_lb_copy", "SELECT string_agg(entity_id::text, ',' ORDER BY entity_id) FROM "
                                  "mez_mass_entity") == entities
    cp = mez_env.mez("audit", "verify", "--driver", "pgsql", "--params", pg.conninfo("mez_lb_copy"))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    # the restored zone's operator token (node 1's, from the archive) works there
    r = requests.get("http://127.0.0.1:%d/v1/corridors" % port, headers={"Authorization": "Bearer " + token_of(n1)},
                     timeout=10)
    assert r.status_code == 200, r.text
    shutil.rmtree(os.path.join(n3.data, "archive"), ignore_errors=True)

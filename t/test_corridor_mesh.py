# test_corridor_mesh.py: five zones, each its own httpd with its own key, database and jurisdiction's packs
# (pk-sifc on PostgreSQL when it runs, ae-adgm, kz-aifc, sc-fsa and hn-prospera on SQLite), every one a MezPeer of
# the four others over TLS, establish all ten pairwise corridors; then a payment from pk-sifc to hn-prospera
# follows the manifold's cheapest route, hop by hop, each hop a cross-border transfer both of its zones decide.
#
# The manifold's fees below are test data chosen so that the direct corridor is dearer than going through
# ae-adgm, and ae-adgm the cheapest way through (no source publishes real inter-zone corridor costs; packs/*/SOURCES.md say what is sourced).
import itertools
import json
import os
import shutil

import pytest

from mez_tls import ServerTLS, TestCA
from test_corridor_protocol import EVIDENCE, balance, chain, policy, token

ZONES = [("pk-sifc", "pk"), ("ae-adgm", "ae-adgm"), ("kz-aifc", "kz-aifc"), ("sc-fsa", "sc"),
         ("hn-prospera", "hn-prospera")]


def manifold():
    ids = [z for z, _ in ZONES]
    corridors = []
    for a, b in itertools.combinations(ids, 2):
        # the direct pk-sifc/hn-prospera corridor is dear, corridors through ae-adgm are the cheapest
        bps, flat = (300, 250) if {a, b} == {"pk-sifc", "hn-prospera"} else (5, 3) if "ae-adgm" in (a, b) else (10, 5)
        corridors.append({"corridor_id": "%s--%s" % (a, b), "source_jurisdiction": a, "target_jurisdiction": b,
                          "is_bidirectional": True, "is_active": True, "transfer_fee_bps": bps,
                          "flat_fee_usd": flat, "estimated_transfer_hours": 24, "settlement_finality_hours": 24})
    return {"jurisdictions": [{"jurisdiction_id": z, "entry_fee_usd": 0, "is_active": True} for z in ids],
            "corridors": corridors}


class Mesh:
    def __init__(self, zones):
        self.zones = zones                      # zone id -> Zone
        self.ops = {z: token(zone, "operator") for z, zone in zones.items()}
        self.corridors = {}                     # frozenset({a, b}) -> corridor id

    def post(self, zid, path, body=None, status=None):
        r = self.zones[zid].post(path, json=body, headers=self.ops[zid])
        if status is not None:
            assert r.status_code == status, r.text
        return r

    def get(self, zid, path):
        r = self.zones[zid].get(path, headers=self.ops[zid])
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def mesh(module_zones, mez_env):
    drivers = mez_env.drivers
    work = mez_env.new_dir("mesh")
    ca = TestCA(os.path.join(work, "ca"), "mez mesh test CA")
    graph = os.path.join(work, "manifold.json")
    with open(graph, "w") as f:
        json.dump(manifold(), f)
    zones = {}
    for i, (zid, packdir) in enumerate(ZONES):
        shutil.copytree(os.path.join(mez_env.source_dir, "packs", packdir), os.path.join(work, packdir))
        driver = "pgsql" if i == 0 and "pgsql" in drivers else ("sqlite3" if "sqlite3" in drivers else drivers[0])
        zones[zid] = module_zones(driver, start=False, name="mesh-" + zid, zone_id=zid, tls=ServerTLS(ca),
                                  zone_file=os.path.join(work, packdir, "zone.yaml"))
    for zid, zone in zones.items():
        peers = [(o, other.url(""), other.did) for o, other in zones.items() if o != zid]
        zone.extra_conf = policy(mez_env, peers, ca.cert) + "\nMezManifoldFile %s" % graph
        zone.write_conf()
        zone.start()
    return Mesh(zones)


def test_all_ten_pairwise_corridors_are_established(mesh):
    ids = [z for z, _ in ZONES]
    for a, b in itertools.combinations(ids, 2):
        c = mesh.post(a, "/v1/corridors", {"peer_zone_id": b}, 201).json()
        assert c["delivery"] == {"delivered": True}
        mesh.post(b, "/v1/corridors/%s/accept" % c["corridor_id"], None, 200)
        mesh.corridors[frozenset((a, b))] = c["corridor_id"]
    assert len(mesh.corridors) == 10
    for (pair, cid) in mesh.corridors.items():
        a, b = sorted(pair)
        ca, cb = mesh.get(a, "/v1/corridors/" + cid), mesh.get(b, "/v1/corridors/" + cid)
        assert ca["state"] == cb["state"] == "ACTIVE"
        assert ca["genesis_root"] == cb["genesis_root"] and ca["peer_zone_id"] == b and cb["peer_zone_id"] == a
    # every zone sees exactly its four corridors
    for zid in ids:
        mine = mesh.get(zid, "/v1/corridors")["corridors"]
        assert sorted(c["peer_zone_id"] for c in mine) == sorted(o for o in ids if o != zid)


def account(mesh, zid, name, deposit=None):
    eid = mesh.post(zid, "/v1/entities", {"entity_type": "corporation", "legal_name": name,
                                          "compliance": {"evidence": EVIDENCE}}, 201).json()["id"]
    acc = mesh.post(zid, "/v1/fiscal/accounts", {"entity_id": eid, "account_type": "operating", "currency": "USD",
                                                 "ntn": {"ntn_number": "1122334", "ntn_type": "company"}},
                    201).json()["resource"]["account_id"]
    if deposit:
        mesh.post(zid, "/mass/v1/fiscal/accounts/%s/deposits" % acc,
                  {"amount": deposit, "currency": "USD", "reference": "opening balance"}, 201)
    return acc


def test_a_payment_follows_the_cheapest_compliant_route_hop_by_hop(mesh):
    if len(mesh.corridors) < 10:
        pytest.skip("needs the corridors of the test above")
    route = mesh.post("pk-sifc", "/v1/manifold/route", {"source": "pk-sifc", "target": "hn-prospera",
                                                         "asset_value_usd": 10000}, 200).json()
    hops = [(h["source"], h["target"]) for h in route["hops"]]
    assert hops == [("pk-sifc", "ae-adgm"), ("ae-adgm", "hn-prospera")], route
    # a payer in the first zone, a correspondent in every zone the route passes through, the payee at the end
    accounts = {"pk-sifc": account(mesh, "pk-sifc", "Sialkot Surgical Instruments (Pvt) Ltd", "20000.00"),
                "ae-adgm": account(mesh, "ae-adgm", "Gulf Correspondent Settlement Ltd", "5000.00"),
                "hn-prospera": account(mesh, "hn-prospera", "Roatan Medical Supplies LLC")}
    start = {z: float(balance(mesh_pair(mesh, z), mesh.zones[z], a)) for z, a in accounts.items()}
    for src, dst in hops:
        cid = mesh.corridors[frozenset((src, dst))]
        r = mesh.post(src, "/v1/corridors/%s/transfers" % cid, {
            "source_account_id": accounts[src], "amount": "7500.00", "currency": "USD",
            "payment_type": "goods_payment", "compliance": {"evidence": EVIDENCE},
            "destination": {"account_id": accounts[dst], "compliance": {"evidence": EVIDENCE}}}, 201)
        t = r.json()
        assert t["settlement"]["settled"] is True, t["settlement"]
        p = t["receipt"]["transition"]["payload"]
        assert (p["outbound"]["zone_id"], p["inbound"]["zone_id"]) == (src, dst)
        # both ends of the hop hold the same chain
        assert chain(mesh_pair(mesh, src), mesh.zones[src], cid) == chain(mesh_pair(mesh, dst), mesh.zones[dst], cid)
    end = {z: float(balance(mesh_pair(mesh, z), mesh.zones[z], a)) for z, a in accounts.items()}
    assert end["pk-sifc"] == start["pk-sifc"] - 7500
    assert end["ae-adgm"] == start["ae-adgm"]              # the correspondent passed it on
    assert end["hn-prospera"] == start["hn-prospera"] + 7500
    # the direct corridor was not used
    direct = mesh.corridors[frozenset(("pk-sifc", "hn-prospera"))]
    assert mesh.get("pk-sifc", "/v1/corridors/" + direct)["size"] == 0


class _PairView:
    """What test_corridor_protocol's helpers expect of a pair: op(zone, method, path, body)."""

    def __init__(self, mesh):
        self.mesh = mesh

    def op(self, zone, method, path, body=None, **kw):
        headers = self.mesh.ops[zone.zone_id]
        if method == "GET":
            return zone.get(path, headers=headers, **kw)
        return zone.post(path, json=body, headers=headers, **kw)


def mesh_pair(mesh, zid):
    return _PairView(mesh)

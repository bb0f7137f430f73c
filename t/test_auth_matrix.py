# test_auth_matrix.py: every route of a zone running conf/mez-policy.conf, called by every kind of caller: no
# token, operator, regulator, an entity token for the entity the request reaches, an entity token for another
# entity, a watcher, a revoked token, an expired token, and another zone's operator token. Each answer must be what
# the policy says: 401 for no usable token where one is needed, 403 (problem+json, a stable code) for a role or
# entity the route does not admit, and anything but 401/403 where the caller is admitted.
import os
import re
import shutil
import uuid

import pytest

from mez_harness import assert_problem, run

CALLERS = ["none", "operator", "regulator", "entity_own", "entity_other", "watcher", "revoked", "expired",
           "other_zone"]
EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
NTN = {"ntn_number": "7654321", "ntn_type": "company"}
PUBLIC = set(CALLERS)


def policy_conf(env):
    return """
        LoadModule authn_core_module %s
        Include %s
    """ % (os.path.join(env.httpd_modules, "mod_authn_core.so"), os.path.join(env.source_dir, "conf", "mez-policy.conf"))


def cli(zone, *args):
    e = zone.env
    return run([e.mez_bin, "token"] + list(args) + ["--driver", zone.driver, "--params", zone.db.params],
               env=e.env(), user=e.server_user, check=True)


def token(zone, role, entity=None, expires=None):
    args = ["create", "--zone", zone.zone_id, "--role", role]
    if entity:
        args += ["--entity", entity]
    if expires:
        args += ["--expires", expires]
    return cli(zone, *args).stdout.strip()


@pytest.fixture(scope="module")
def world(module_zones, driver, mez_env):
    work = mez_env.new_dir("authm")
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    zone = module_zones(driver, name="authm", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                        extra_conf=policy_conf(mez_env))
    other = module_zones(driver, name="authm2", extra_conf=policy_conf(mez_env))
    op = token(zone, "operator")
    h = {"Authorization": "Bearer " + op}

    def form(name):
        r = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                             "compliance": {"evidence": EVIDENCE}}, headers=h)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    own, foreign = form("Matrix Own Traders Ltd"), form("Matrix Other Traders Ltd")
    acc = zone.post("/v1/fiscal/accounts", json={"entity_id": own, "account_type": "operating", "currency": "PKR",
                                                 "ntn": NTN}, headers=h).json()["id"]
    lic = zone.post("/v1/licences", json={"entity_id": own, "licence_type": "pk-secp:private-limited-company"},
                    headers=h).json()["id"]
    cp = cli(zone, "create", "--zone", zone.zone_id, "--role", "operator")
    revoked = cp.stdout.strip()
    cli(zone, "revoke", re.search(r"token ([0-9a-f]+) ", cp.stderr).group(1))
    tokens = {"none": None, "operator": op, "regulator": token(zone, "regulator"),
              "entity_own": token(zone, "entity", own), "entity_other": token(zone, "entity", foreign),
              "watcher": token(zone, "watcher"), "revoked": revoked,
              "expired": token(zone, "operator", expires="2020-01-01T00:00:00Z"),
              "other_zone": token(other, "operator")}
    return {"zone": zone, "tokens": tokens, "own": own, "foreign": foreign, "acc": acc, "lic": lic}


def routes(w):
    """(name, method, path, body, callers admitted)."""
    own, acc, lic = w["own"], w["acc"], w["lic"]
    ops = {"operator"}
    reg = {"operator", "regulator"}
    owner = {"operator", "entity_own"}
    reader = {"operator", "regulator", "entity_own"}
    evaluate = {"action": {"type": "entity_formation", "date": "2026-01-15", "jurisdiction": "pk-sifc"},
                "subject": {"id": "did:example:m", "name": "Matrix Probe Ltd"}, "preview": True}
    return [
        ("healthz", "GET", "/healthz", None, PUBLIC),
        ("readyz", "GET", "/readyz", None, PUBLIC),
        ("zone", "GET", "/v1/zone", None, PUBLIC),
        ("openapi", "GET", "/v1/openapi.json", None, PUBLIC),
        ("packs", "GET", "/v1/packs", None, PUBLIC),
        ("law", "GET", "/v1/laws/sec_153", None, PUBLIC),
        ("metrics", "GET", "/metrics", None, PUBLIC),
        ("verify", "POST", "/v1/credentials/verify", {"verifiableCredential": {}}, PUBLIC),
        ("commitment", "GET", "/v1/tensor/pk-sifc/commitment", None, PUBLIC),
        ("issue", "POST", "/v1/credentials/issue", {"credential": {}}, ops),
        ("evaluate", "POST", "/v1/compliance/evaluate", evaluate, {"operator", "regulator", "entity_own",
                                                                  "entity_other"}),
        ("mass store", "GET", "/mass/v1/entities/" + own, None, ops),
        ("formation", "POST", "/v1/entities", {"entity_type": "llc", "legal_name": "M %s Ltd" % uuid.uuid4().hex},
         ops),
        ("entity read", "GET", "/v1/entities/" + own, None, reader),
        ("officer", "POST", "/v1/entities/%s/officers" % own, {"name": "Sana Mir", "role": "secretary"}, owner),
        ("entity status", "POST", "/v1/entities/%s/status" % own, {"target_status": "BOGUS"}, reg),
        ("account read", "GET", "/v1/fiscal/accounts/" + acc, None, reader),
        ("payment", "POST", "/v1/fiscal/payments",
         {"source_account_id": acc, "destination": {"type": "internal_account", "account_id": acc},
          "amount": "1", "currency": "PKR", "payment_type": "goods_payment"}, owner),
        ("licence read", "GET", "/v1/licences/" + lic, None, reader),
        ("licence apply", "POST", "/v1/licences", {"entity_id": own, "licence_type": "pk-secp:nbfc"}, owner),
        ("licence review", "POST", "/v1/licences/%s/review" % lic, {}, reg),
        ("person", "POST", "/v1/identity/persons", {"full_name": "Zara Khan"}, ops),
        ("person read", "GET", "/v1/identity/persons/per_" + "0" * 64, None, reg),
    ]


def names(w):
    return [r[0] for r in routes(w)]


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_answers_as_the_policy_says(world, caller):
    zone, tok = world["zone"], world["tokens"][caller]
    failures = []
    for name, method, path, body, admitted in routes(world):
        headers = {"Authorization": "Bearer " + tok} if tok else {}
        r = zone.request(method, path, json=body, headers=headers)
        if caller in admitted:
            if r.status_code in (401, 403):
                failures.append("%s %s: admitted, got %d %s" % (method, path, r.status_code, r.text[:200]))
            continue
        want = 401 if caller in ("none", "revoked", "expired", "other_zone") else 403
        if r.status_code != want:
            failures.append("%s %s: expected %d, got %d %s" % (method, path, want, r.status_code, r.text[:200]))
            continue
        body = assert_problem(r, want)
        if want == 403 and body["code"] not in ("auth.forbidden_role", "auth.not_entity_owner"):
            failures.append("%s %s: 403 with code %s" % (method, path, body["code"]))
    assert not failures, "\n".join(failures)


def test_entity_token_cannot_reach_another_entity_through_the_body(world):
    zone, tok = world["zone"], world["tokens"]["entity_other"]
    r = zone.post("/v1/licences", json={"entity_id": world["own"], "licence_type": "pk-secp:nbfc"},
                  headers={"Authorization": "Bearer " + tok})
    assert_problem(r, 403, "auth.not_entity_owner")
    r = zone.post("/v1/entities", json={"entity_type": "llc", "legal_name": "Sneaky Ltd"},
                  headers={"Authorization": "Bearer " + tok})
    assert_problem(r, 403, "auth.not_entity_owner")

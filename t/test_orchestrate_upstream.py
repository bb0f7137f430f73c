# test_orchestrate_upstream.py: the write pipeline against a remote Mass that misbehaves. Zone A (pk-sifc, its
# packs) keeps every primitive in zone B's sovereign store, reached through a proxy (mass_proxy.py) that can
# rewrite, drop or delay B's answers. What A must never do whatever Mass answers: crash, certify a record Mass did
# not name, write a second credential for one Mass write, or forget an intent whose Mass write did or may have
# happened (a retry with the same Idempotency-Key must complete it, once).
import os
import shutil
import uuid

import pytest

from mass_proxy import MassProxy
from mez_harness import assert_problem
from test_mass_client import operator_token, protected_store_conf, write_secret

EVIDENCE = {"kyc": {"state": "compliant"}, "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
REMOTE = ("entities", "ownership", "fiscal", "consent", "identity")


def formation(name):
    return {"entity_type": "corporation", "legal_name": name, "compliance": {"evidence": EVIDENCE}}


@pytest.fixture(scope="module")
def env(module_zones, driver, mez_env):
    b = module_zones(driver, name="upb", extra_conf=protected_store_conf(mez_env))
    proxy = MassProxy(b.url("/mass"))
    work = mez_env.new_dir("upa")
    token_file = write_secret(os.path.join(work, "mass.token"), operator_token(b))
    pk = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), pk)
    conf = "\n".join(["MezMassEndpoint %s %s" % (p, proxy.url()) for p in REMOTE]
                     + ["MezMassTokenFile %s" % token_file, "MezMassTimeout 3"])
    a = module_zones(driver, name="upa", zone_id="pk-sifc", zone_file=os.path.join(pk, "zone.yaml"),
                     extra_conf=conf)
    yield a, b, proxy
    proxy.close()


@pytest.fixture
def zones(env):
    env[2].clear()
    yield env
    env[2].clear()


def state(a, b):
    return {"credentials": a.count("mez_credential"), "evaluations": a.count("mez_evaluation"),
            "audit": a.count("mez_audit"), "b_entities": b.count("mez_mass_entity")}


def intent(a, key):
    """The state of A's own Idempotency-Key record for key (None: there is none)."""
    return a.db.query_value("SELECT state FROM mez_idempotency WHERE idempotency_key = '%s' AND principal <> "
                            "'mass-store'" % key)


def post(a, path, body, key):
    return a.post(path, json=body, headers={"Idempotency-Key": key}, validate=False)


def new_entity(a, name):
    r = post(a, "/v1/entities", formation(name), str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    return r.json()["id"]


# ------------------------------------------------------------------ a 201 that does not name its record

def _officer(a):
    return "/v1/entities/%s/officers" % new_entity(a, "Officer Host Traders Ltd"), {"name": "Sana Mir",
                                                                                   "role": "director"}


def _account(a):
    return "/v1/fiscal/accounts", {"entity_id": new_entity(a, "Account Host Traders Ltd"),
                                   "account_type": "operating", "currency": "PKR"}


def _consent(a):
    return "/v1/consent", {"action_type": "share_transfer", "title": "Approve a transfer",
                           "requester_id": "did:example:req", "zone_id": "pk-sifc",
                           "signatories": [{"signatory_id": "did:example:d1", "role": "board_director"}],
                           "threshold": {"type": "unanimous"}}


CASES = {
    # operation: (the Mass path the proxy rewrites, how to build the zone request)
    "entity.formation": ("/v1/entities", lambda a: ("/v1/entities", formation("Nameless Mills Ltd"))),
    "entity.officer": ("/officers", _officer),
    "fiscal.account": ("/v1/fiscal/accounts", _account),
    "consent.request": ("/v1/consent/request", _consent),
    "identity.person": ("/v1/identity/persons", lambda a: ("/v1/identity/persons", {"full_name": "Bilal Ahmed"})),
}


@pytest.mark.parametrize("op", sorted(CASES))
def test_a_new_record_without_its_id_is_refused_not_certified(zones, op):
    """B does the write and answers 201 without the record's id (the proxy removes it): A answers 502
    mass.upstream_error, signs nothing, records nothing, keeps its intent (the write happened) and keeps serving.
    Before, identity and consent crashed httpd's child (a NULL subject), the others certified the path's or the
    owner's id."""
    a, b, proxy = zones
    suffix, build = CASES[op]
    path, body = build(a)
    before = state(a, b)
    key = str(uuid.uuid4())
    proxy.rule("POST", suffix, MassProxy.replace(201, {"status": "created"}))
    p = assert_problem(post(a, path, body, key), 502, "mass.upstream_error")
    assert "without its" in p["detail"], p
    before["b_entities"] += op == "entity.formation"        # B did the write, A certified none of it
    assert state(a, b) == before
    assert intent(a, key) == "in_progress"
    assert a.get("/healthz").status_code == 200

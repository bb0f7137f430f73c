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
        ("whoami", "GET", "/v1/whoami", None, {"operator", "regulator", "entity_own", "entity_other", "watcher"}),
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
        ("entity list", "GET", "/v1/entities?status=ACTIVE", None, reg),
        ("entity read", "GET", "/v1/entities/" + own, None, reader),
        ("officer", "POST", "/v1/entities/%s/officers" % own, {"name": "Sana Mir", "role": "secretary"}, owner),
        ("entity status", "POST", "/v1/entities/%s/status" % own, {"target_status": "BOGUS"}, reg),
        ("account read", "GET", "/v1/fiscal/accounts/" + acc, None, reader),
        ("payment", "POST", "/v1/fiscal/payments",
         {"source_account_id": acc, "destination": {"type": "internal_account", "account_id": acc},
          "amount": "1", "currency": "PKR", "payment_type": "goods_payment"}, owner),
        # Every entity token lists (its own entity's payments); naming another entity is refused.
        ("payment list", "GET", "/v1/fiscal/payments?status=processing", None, reader | {"entity_other"}),
        ("payment list of an entity", "GET", "/v1/fiscal/payments?entity_id=" + own, None, reader),
        ("payment settle", "POST", "/v1/fiscal/payments/pay_x/settle", {"reference": "FT1"}, ops),
        ("payment return", "POST", "/v1/fiscal/payments/pay_x/return", {"reason": "AC04"}, ops),
        ("withholding calculate", "POST", "/v1/fiscal/withholding/calculate",
         {"payer_entity_id": own, "payee_ntn": {"ntn_number": "7654321", "ntn_type": "company", "filer_status":
          "filer"}, "amount": "1000000", "currency": "PKR", "payment_type": "service_fee",
          "effective_date": "2026-01-15"}, reader),
        ("tax events", "GET", "/v1/fiscal/%s/tax-events" % own, None, reader),
        ("payment aggregate", "GET", "/v1/fiscal/%s/payment-aggregate?payee=entity:%s&aggregate=services_paid_to_payee"
         "&tax_year=2026&currency=PKR" % (own, own), None, reader),
        ("tax report", "POST", "/v1/fiscal/reporting/generate",
         {"entity_id": own, "tax_year": "2026", "output_format": "summary"}, {"operator", "regulator", "entity_own"}),
        ("licence list", "GET", "/v1/licences?entity_id=" + own, None, reg),
        ("register summary", "GET", "/v1/registers/summary", None, reg),
        ("licence read", "GET", "/v1/licences/" + lic, None, reader),
        ("licence apply", "POST", "/v1/licences", {"entity_id": own, "licence_type": "pk-secp:nbfc"}, owner),
        ("licence review", "POST", "/v1/licences/%s/review" % lic, {}, reg),
        ("person", "POST", "/v1/identity/persons", {"full_name": "Zara Khan"}, ops),
        ("person read", "GET", "/v1/identity/persons/per_" + "0" * 64, None, reg),
        ("clearances", "GET", "/v1/sanctions/clearances", None, reg),
        ("clearance", "POST", "/v1/sanctions/clearances", {"context_id": own, "name": "Matrix Probe",
                                                           "entry": "pk-proscribed/none", "reason": "probe"}, reg),
        ("clearance read", "GET", "/v1/sanctions/clearances/clr_x", None, reg),
        ("clearance approve", "POST", "/v1/sanctions/clearances/clr_x/approve", {}, reg),
        ("clearance revoke", "POST", "/v1/sanctions/clearances/clr_x/revoke", {"reason": "probe"}, reg),
        ("evaluations", "GET", "/v1/evaluations?decision=non_compliant", None, reg),
        ("evaluation read", "GET", "/v1/evaluations/1", None, reg),
        ("audit rows", "GET", "/v1/audit/rows", None, reg),
        ("audit anchor", "GET", "/v1/audit/anchor", None, reg),
        ("peers", "GET", "/v1/peers", None, reg),
        ("peer refusals", "GET", "/v1/peers/refusals", None, reg),
        ("peer register", "POST", "/v1/peers", {"zone_id": "matrix-peer"}, ops),
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


def test_an_entity_token_learns_nothing_of_another_entity_s_fiscal_reads(world):
    """/v1/fiscal/{entity_id}/tax-events and /payment-aggregate name the entity in the path: an entity token asking
    for another's is refused before anything is read, so an id that does not exist is refused as one that does
    (after the read, the one was 404 and the other 403: whether an entity exists, told to any entity)."""
    zone = world["zone"]
    query = "?payee=entity:%s&aggregate=services_paid_to_payee&tax_year=2026&currency=PKR" % world["own"]
    for route in ("/v1/fiscal/%s/tax-events", "/v1/fiscal/%s/payment-aggregate" + query):
        known, unknown = (assert_problem(zone.get(route % entity, headers=bearer(world, "entity_other")), 403)
                          for entity in (world["own"], "ent_" + "0" * 64))
        assert known["code"] == unknown["code"] and known["detail"] == unknown["detail"], (known, unknown)
    assert zone.get("/v1/fiscal/%s/payment-aggregate%s" % (world["own"], query),
                    headers=bearer(world, "entity_own")).status_code == 200


def test_entity_has_its_own_tax_report_generated_only(world):
    """POST /v1/fiscal/reporting/generate takes the entity from the body: an entity token has its own entity's
    report generated, another's is refused (403 at /entity_id) before anything is read or recorded; a regulator
    has any entity's generated, each one an audit row."""
    zone, own, foreign = world["zone"], world["own"], world["foreign"]
    body = {"entity_id": own, "tax_year": "2026", "output_format": "structured_json"}
    audited = zone.count("mez_audit")
    r = zone.post("/v1/fiscal/reporting/generate", json=body, headers=bearer(world, "entity_other"))
    assert_problem(r, 403, "auth.not_entity_owner", pointer="/entity_id")
    r = zone.post("/v1/fiscal/reporting/generate", json=dict(body, entity_id="ent_nobody"),
                  headers=bearer(world, "entity_other"))
    assert_problem(r, 403, "auth.not_entity_owner", pointer="/entity_id")
    assert zone.count("mez_audit") == audited
    r = zone.post("/v1/fiscal/reporting/generate", json=dict(body, entity_id=foreign),
                  headers=bearer(world, "entity_other"))
    # The other entity has no treasury account, so no NTN to report under: refused by the store, not by the role.
    assert_problem(r, 422, "fiscal.ntn_unknown", pointer="/entity_id")
    for caller in ("entity_own", "regulator"):
        r = zone.post("/v1/fiscal/reporting/generate", json=body, headers=bearer(world, caller))
        assert r.status_code == 200, r.text
        assert r.json()["entity_id"] == own and r.json()["summary"]["total_tax_events"] == 0
    assert zone.count("mez_audit") == audited + 2


def bearer(world, caller):
    return {"Authorization": "Bearer " + world["tokens"][caller]}


def stranger(world):
    """An entity token for a third entity, which neither pays nor is paid below."""
    if "stranger" not in world:
        zone = world["zone"]
        r = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": "Matrix Third Traders Ltd",
                                             "compliance": {"evidence": EVIDENCE}}, headers=bearer(world, "operator"))
        assert r.status_code == 201, r.text
        world["stranger"] = {"Authorization": "Bearer " + token(zone, "entity", r.json()["id"])}
    return world["stranger"]


def test_entity_records_and_attests_evaluations_of_itself_only(world):
    """POST /v1/compliance/evaluate takes its subject from the body: an entity token may have the zone record an
    evaluation (and sign an attestation) naming itself only; a preview, which records and signs nothing, may name
    anyone."""
    zone, own, foreign = world["zone"], world["own"], world["foreign"]
    h = bearer(world, "entity_own")

    def evaluate(subject_id, **options):
        body = {"action": {"type": "entity_formation", "date": "2026-01-15", "jurisdiction": "pk-sifc"},
                "subject": {"id": subject_id, "name": "Matrix Own Traders Ltd"}, "evidence": EVIDENCE}
        if subject_id is None:
            del body["subject"]["id"]
        body.update(options)
        return zone.post("/v1/compliance/evaluate", json=body, headers=h)

    before = zone.count("mez_evaluation"), zone.count("mez_credential"), zone.count("mez_audit")
    for subject_id in ("urn:mez:pk-sifc:" + foreign, foreign, "urn:mez:other-zone:" + own, None):
        for options in ({"attest": True}, {}):
            assert_problem(evaluate(subject_id, **options), 403, "auth.not_entity_owner", pointer="/subject/id")
    assert (zone.count("mez_evaluation"), zone.count("mez_credential"), zone.count("mez_audit")) == before
    r = evaluate("urn:mez:pk-sifc:" + foreign, preview=True)
    assert r.status_code in (200, 422) and r.json()["recorded"] is False, r.text
    assert (zone.count("mez_evaluation"), zone.count("mez_credential"), zone.count("mez_audit")) == before
    # Its own id, as the registry's URN (which an attestation needs: a credential subject is a URL) or bare.
    for subject_id, attest in (("urn:mez:pk-sifc:" + own, True), (own, False)):
        r = evaluate(subject_id, attest=attest)
        assert r.status_code in (200, 422) and "recorded" in r.json(), r.text
        assert r.json()["recorded"] is True
        if attest:
            assert r.json()["attestation"]["credentialSubject"]["id"] == subject_id
    # Operators and regulators evaluate for anyone.
    r = zone.post("/v1/compliance/evaluate", headers=bearer(world, "regulator"),
                  json={"action": {"type": "entity_formation", "date": "2026-01-15", "jurisdiction": "pk-sifc"},
                        "subject": {"id": "urn:mez:pk-sifc:" + foreign, "name": "Matrix Other Traders Ltd"},
                        "evidence": EVIDENCE, "attest": True})
    assert r.status_code in (200, 422) and r.json()["recorded"] is True, r.text


def test_entity_reads_its_payments_ledger_and_consents(world, mez_env):
    """A payment, a ledger and a consent name their entity indirectly (accounts, metadata): the entity they belong
    to reads them, the payee reads a payment made to it, and nobody else."""
    zone, own, foreign, acc = world["zone"], world["own"], world["foreign"], world["acc"]
    op, mine, payee, third = bearer(world, "operator"), bearer(world, "entity_own"), bearer(world, "entity_other"), \
        stranger(world)
    wht = zone.post("/v1/fiscal/accounts", headers=op, json={"entity_id": own, "account_type": "withholding",
                                                              "currency": "PKR", "ntn": NTN}).json()["id"]
    dst = zone.post("/v1/fiscal/accounts", headers=op, json={"entity_id": foreign, "account_type": "operating",
                                                              "currency": "PKR", "ntn": NTN}).json()["id"]
    r = zone.post("/mass/v1/fiscal/accounts/%s/deposits" % acc, headers=op,
                  json={"amount": "5000000", "currency": "PKR", "reference": "capital injection"})
    assert r.status_code == 201, r.text
    r = zone.post("/v1/fiscal/payments", headers=mine, json={
        "source_account_id": acc, "destination": {"type": "internal_account", "account_id": dst},
        "amount": "100000", "currency": "PKR", "payment_type": "service_fee",
        "compliance": {"date": "2026-01-15", "subject": {"filer_status": "filer"},
                       "counterparty": {"filer_status": "filer"}, "evidence": EVIDENCE,
                       "withholding_account_id": wht}})
    assert r.status_code == 201, r.text
    payment = "/v1/fiscal/payments/" + r.json()["id"]
    keys = mez_env.new_dir("authm-keys")
    requester, director = (mez_env.keygen(os.path.join(keys, n + ".pem")) for n in ("req", "d1"))
    r = zone.post("/v1/consent", headers=op, json={
        "action_type": "share_transfer", "title": "Approve a transfer", "requester_id": requester,
        "zone_id": "pk-sifc", "signatories": [{"signatory_id": director, "role": "board_director"}],
        "threshold": {"type": "unanimous"}, "metadata": {"entity_id": own}})
    assert r.status_code == 201, r.text
    consent = "/v1/consent/" + r.json()["id"]

    for path, readers in ((payment, (mine, payee)), ("/v1/fiscal/accounts/%s/ledger" % acc, (mine,)),
                          ("/v1/fiscal/accounts/%s/ledger" % dst, (payee,)), (consent, (mine,)),
                          (consent + "/audit-trail", (mine,))):
        for h in (mine, payee, third):
            r = zone.get(path, headers=h)
            if h in readers:
                assert r.status_code == 200, (path, r.text)
            else:
                assert_problem(r, 403, "auth.not_entity_owner")
        assert zone.get(path, headers=bearer(world, "regulator")).status_code == 200, path


def test_a_granted_request_is_not_logged_as_refused(world):
    """In a <RequireAny>, `Require mez-role operator` refuses an entity token before `Require mez-entity-owner`
    admits it: that passing refusal must not reach the audit log's problem= field, mez_problems_total or the
    error log, which would show granted requests as refused."""
    zone = world["zone"]

    def forbidden_count():
        for line in zone.get("/metrics").text.splitlines():
            if line.startswith("mez_problems_total{") and 'code="auth.forbidden_role"' in line:
                return int(float(line.rsplit(" ", 1)[1]))
        return 0

    def logged():
        return zone.error_log().count("refused (auth.forbidden_role)")

    before, logged_before = forbidden_count(), logged()
    for caller in ("entity_own", "regulator"):
        r = zone.get("/v1/entities/" + world["own"], headers=bearer(world, caller))
        assert r.status_code == 200, r.text
    assert forbidden_count() == before
    assert logged() == logged_before
    # A refusal that decides the answer is still counted and logged.
    assert_problem(zone.get("/v1/entities/" + world["own"], headers=bearer(world, "watcher")), 403,
                   "auth.forbidden_role")
    assert forbidden_count() == before + 1
    assert logged() == logged_before + 1


def test_entity_relays_signatures_on_its_own_consents_only(world, mez_env):
    """POST /v1/consent/{id}/sign with an entity token: the signatory's signature decides, the token only says
    whose consents it reaches, the consent's metadata.entity_id."""
    from test_mass_consent import Party, stamp
    zone = world["zone"]
    keys = mez_env.new_dir("authm-sign")
    requester, director = (Party(mez_env, keys, n) for n in ("req", "d1"))
    r = zone.post("/v1/consent", headers=bearer(world, "operator"), json={
        "action_type": "corporate_resolution", "title": "Relay " + uuid.uuid4().hex, "requester_id": requester.did,
        "zone_id": "pk-sifc", "signatories": [{"signatory_id": director.did, "role": "board_director"}],
        "threshold": {"type": "unanimous"}, "metadata": {"entity_id": world["own"]}})
    assert r.status_code == 201, r.text
    record = r.json()["resource"]
    at = stamp()
    body = {"signatory_id": director.did, "decision": "approve", "signed_at": at,
            "proof": director.sign(record, "approve", at)}
    others = (bearer(world, "entity_other"), stranger(world))
    before = zone.count("mez_credential")
    for h in others:
        assert_problem(zone.post("/v1/consent/%s/sign" % record["consent_id"], json=body, headers=h), 403,
                       "auth.not_entity_owner")
    assert zone.count("mez_credential") == before
    r = zone.post("/v1/consent/%s/sign" % record["consent_id"], json=body, headers=bearer(world, "entity_own"))
    assert r.status_code == 200 and r.json()["resource"]["status"] == "approved", r.text


def test_only_the_treasury_ends_a_payment_to_a_bank(world):
    """A payment the entity itself made to a bank: it may not confirm it settled, nor take its money back (the
    bank's word, recorded by the zone's treasury operators); an operator settles it. Nothing is written for the
    refusals."""
    zone, own, acc = world["zone"], world["own"], world["acc"]
    op, mine = bearer(world, "operator"), bearer(world, "entity_own")
    r = zone.post("/mass/v1/fiscal/accounts/%s/deposits" % acc, headers=op,
                  json={"amount": "1000", "currency": "PKR", "reference": "for a bank payment"})
    assert r.status_code == 201, r.text
    r = zone.post("/v1/fiscal/payments", headers=mine, json={
        "source_account_id": acc, "amount": "100", "currency": "PKR", "payment_type": "goods_payment",
        "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                 "beneficiary_name": "Matrix Bank Payee"}},
        "compliance": {"date": "2026-01-15", "evidence": EVIDENCE, "withholding_rule": "s153-1-a-goods-company",
                       "counterparty": {"entity_class": "company", "filer_status": "filer"}}})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["resource"]["status"] == "processing"
    before = zone.count("mez_credential"), zone.count("mez_audit"), zone.count("mez_mass_ledger_line")
    for verb, body in (("settle", {"reference": "FT1"}), ("return", {"reason": "changed my mind"})):
        for caller in ("entity_own", "regulator", "watcher"):
            assert_problem(zone.post("/v1/fiscal/payments/%s/%s" % (pid, verb), json=body,
                                     headers=bearer(world, caller)), 403, "auth.forbidden_role")
    assert (zone.count("mez_credential"), zone.count("mez_audit"), zone.count("mez_mass_ledger_line")) == before
    r = zone.post("/v1/fiscal/payments/%s/settle" % pid, json={"reference": "FT1"}, headers=op)
    assert r.status_code == 200 and r.json()["resource"]["status"] == "settled", r.text
    assert zone.get("/v1/fiscal/payments/" + pid, headers=mine).json()["status"] == "settled"


def test_an_entity_does_not_state_its_own_classes_of_person(world):
    """The classes of person a threshold binds (compliance.subject.taxpayer_classes) decide which of a payer's
    obligations open (a dealer's cash report, a bank's CDD limit): an operator states them, an entity's own token
    may not (403 auth.forbidden_role at the member), and nothing is written."""
    zone, acc = world["zone"], world["acc"]
    body = {"source_account_id": acc, "amount": "100", "currency": "PKR", "payment_type": "goods_payment",
            "destination": {"type": "external_bank", "bank_details": {"iban": "PK36SCBL0000001123456702",
                                                                     "beneficiary_name": "Matrix Class Payee"}},
            "compliance": {"date": "2026-01-15", "evidence": EVIDENCE, "withholding_rule": "s153-1-a-goods-company",
                           "subject": {"taxpayer_classes": ["dpms"]},
                           "counterparty": {"entity_class": "company", "filer_status": "filer"}}}
    tables = ("mez_credential", "mez_audit", "mez_mass_ledger_line", "mez_evaluation")
    before = [zone.count(t) for t in tables]
    assert_problem(zone.post("/v1/fiscal/payments", json=body, headers=bearer(world, "entity_own")), 403,
                   "auth.forbidden_role", pointer="/compliance/subject/taxpayer_classes")
    assert [zone.count(t) for t in tables] == before
    # the same classes stated by an operator are the zone's word: the payment is decided on them
    r = zone.post("/mass/v1/fiscal/accounts/%s/deposits" % acc, headers=bearer(world, "operator"),
                  json={"amount": "100", "currency": "PKR", "reference": "for the classes test"})
    assert r.status_code == 201, r.text
    r = zone.post("/v1/fiscal/payments", json=body, headers=bearer(world, "operator"))
    assert r.status_code == 201 and r.json()["resource"]["status"] == "processing", r.text


def test_an_entity_does_not_state_its_classes_in_a_recorded_evaluation(world):
    """POST /v1/compliance/evaluate: an entity's own token may not state its classes of person in an evaluation the
    zone records or signs (403 auth.forbidden_role at the member, nothing recorded); a preview may ask "what if"."""
    zone, own = world["zone"], world["own"]
    h = bearer(world, "entity_own")
    body = {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": "pk-sifc", "payment_type": "goods",
                       "amount": {"amount": "100000", "currency": "PKR"}},
            "subject": {"id": "urn:mez:pk-sifc:" + own, "name": "Matrix Own Traders Ltd", "entity_class": "company",
                        "filer_status": "filer", "taxpayer_classes": ["dpms"]},
            "counterparty": {"id": "did:example:payee", "name": "Indus Consulting", "entity_class": "company",
                             "filer_status": "filer"},
            "evidence": EVIDENCE}
    before = zone.count("mez_evaluation"), zone.count("mez_credential"), zone.count("mez_audit")
    for options in ({"attest": True}, {}):
        assert_problem(zone.post("/v1/compliance/evaluate", json=dict(body, **options), headers=h), 403,
                       "auth.forbidden_role", pointer="/subject/taxpayer_classes")
    assert (zone.count("mez_evaluation"), zone.count("mez_credential"), zone.count("mez_audit")) == before
    r = zone.post("/v1/compliance/evaluate", json=dict(body, preview=True), headers=h)
    assert r.status_code in (200, 422) and r.json()["recorded"] is False, r.text
    r = zone.post("/v1/compliance/evaluate", json=body, headers=bearer(world, "operator"))
    assert r.status_code in (200, 422) and r.json()["recorded"] is True, r.text

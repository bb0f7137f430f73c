# test_terms.py: the terms and deadlines the packs set, over HTTP on the shipped zones' packs.
#
# Obligation deadlines: an evaluation that opens an obligation (a threshold met whose row names the obligation row,
# obligation_id) answers by when, on the zone's calendar: Pakistan's CTR seven business days after the
# transaction (pk-aml-cft/ctr-filing), Kazakhstan's threshold report the business day after it
# (kz-aml/kz-threshold-report-next-business-day); through POST /v1/compliance/evaluate and through a payment
# written by the zone API; the zone.yaml weekend counts, and a bad one is refused.
#
# Licence terms: a grant's default valid_until is the licence type's validity_years counted on the zone's
# calendar (Karachi), a longer one is refused with nothing written, a type without validity_years grants no fixed
# term, a renewal runs from the current expiry's day and one recorded after renewal.lead_days before expiry is
# accepted with a finding.
import datetime
import json
import os
import shutil
from zoneinfo import ZoneInfo

import pytest
import yaml

from mez_harness import assert_problem

KARACHI = ZoneInfo("Asia/Karachi")
EVIDENCE = {"kyc": {"state": "compliant", "attestations": [{"id": "urn:kyc:1", "issuer": "did:example:nadra"}]},
            "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}


def zone_args(mez_env):
    return ["--profile-dir", os.path.join(mez_env.source_dir, "profiles"),
            "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd")]


def copy_packs(mez_env, directory, prefix):
    dest = os.path.join(mez_env.new_dir(prefix), directory)
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", directory), dest)
    return dest


def relock(mez_env, zone_dir):
    cp = mez_env.mez("lock", *zone_args(mez_env), os.path.join(zone_dir, "zone.yaml"))
    assert cp.returncode == 0, cp.stderr


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    assert old in text, (path, old)
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


def lock_digest(zone_dir, pack_id):
    with open(os.path.join(zone_dir, "stack.lock")) as f:
        return {a["id"]: a["digest"] for a in json.load(f)["artifacts"]}[pack_id]


def payment(date, amount, currency="PKR", jurisdiction="pk-sifc", classes=None):
    body = {"action": {"type": "payment", "date": date, "jurisdiction": jurisdiction, "payment_type": "services",
                       "amount": {"amount": amount, "currency": currency}},
            "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company",
                        "filer_status": "filer"},
            "counterparty": {"id": "did:example:payee", "name": "Indus Consulting", "entity_class": "company",
                             "filer_status": "filer"},
            "preview": True}
    if classes:
        body["subject"]["taxpayer_classes"] = classes
    return body


def met(evaluation, obligation):
    return [r for r in evaluation["domains"]["aml"]["reasons"]
            if r["code"] == "threshold_met" and r["obligation"] == obligation]


# ---------------------------------------------------------------- obligation deadlines

@pytest.fixture(scope="module")
def pk_dir(mez_env):
    return copy_packs(mez_env, "pk", "terms-pk")


@pytest.fixture(scope="module")
def pk_zone(module_zones, driver, pk_dir):
    return module_zones(driver, zone_id="pk-sifc", zone_file=os.path.join(pk_dir, "zone.yaml"))


def test_zone_answers_its_weekend(pk_zone):
    z = pk_zone.get("/v1/zone").json()
    assert z["timezone"] == "Asia/Karachi" and z["weekend"] == ["saturday", "sunday"]
    assert z["public_holidays"] == {"complete_from": "2026-09-01", "complete_through": "2026-12-31",
                                    "days": [{"date": "2026-11-09", "name": "Iqbal Day"},
                                             {"date": "2026-12-25", "name": "Quaid-e-Azam Day and Christmas"}]}


@pytest.mark.parametrize("day, due, passed, known", [
    # Friday 6 November 2026: seven working days are 10 .. 13, 16 .. 18 November, Monday 9 (Iqbal Day) passed over.
    ("2026-11-06", "2026-11-18", [{"date": "2026-11-09", "name": "Iqbal Day"}], True),
    # Thursday 24 December: Friday 25 (Quaid-e-Azam Day) passed over, then the weekend and 28 .. 31 December and
    # 1 .. 5 January 2027; 2027's holidays are not listed, so the date may be early.
    ("2026-12-24", "2027-01-05", [{"date": "2026-12-25", "name": "Quaid-e-Azam Day and Christmas"}], False),
    # Wednesday 1 July 2026: before the list is complete (Ashura's days are not in it): none passed over, not known.
    ("2026-07-01", "2026-07-10", [], False),
    # Monday 5 October: no holiday within the count, and every day counted is in the list's days.
    ("2026-10-05", "2026-10-14", [], True),
])
def test_ctr_deadline_passes_over_public_holidays(pk_zone, day, due, passed, known):
    r = pk_zone.post("/v1/compliance/evaluate", json=payment(day, "2000000"))
    assert r.status_code == 200, r.text
    dl = met(r.json()["evaluation"], "currency_transaction_report")[0]["deadline"]
    assert dl["due_date"] == due and dl["public_holidays"] == passed and dl["public_holidays_known"] is known, dl
    if known:
        assert "complete from 2026-09-01 through 2026-12-31" in dl["detail"], dl
    else:
        assert "counted as a business day" in dl["detail"] and "may be later, never earlier" in dl["detail"], dl


def test_ctr_deadline_in_an_evaluation(pk_zone, pk_dir):
    """A cash payment of Rs 2 million on Wednesday 1 July 2026 opens the CTR (FMU: within seven working days of
    the transaction): due Friday 10 July, the last second of that day in Karachi being 18:59:59 UTC."""
    r = pk_zone.post("/v1/compliance/evaluate", json=payment("2026-07-01", "2000000"))
    assert r.status_code == 200, r.text
    evaluation = r.json()["evaluation"]
    ctr = met(evaluation, "currency_transaction_report")
    assert len(ctr) == 1, evaluation["domains"]["aml"]
    dl = ctr[0]["deadline"]
    assert dl["rule"] == "pk-aml-cft/ctr-filing"
    assert dl["pack_digest"] == lock_digest(pk_dir, "pk-aml-cft")
    assert dl["form"] == {"business_days": 7, "from": "transaction"}
    assert dl["from_date"] == "2026-07-01" and dl["dated"] is True
    assert dl["due_date"] == "2026-07-10" and dl["due_by"] == "2026-07-10T18:59:59Z"
    assert dl["timezone"] == "Asia/Karachi" and dl["weekend"] == ["saturday", "sunday"]
    assert dl["regulator"] == "pk-fmu"
    assert "public holidays" in dl["detail"]
    assert dl["source"]["id"] == "fmu-circular-01-2025"
    # CDD's limit names no obligation row: nothing to date.
    cdd = met(evaluation, "customer_due_diligence")
    assert cdd and "deadline" not in cdd[0]
    # Under the limit, nothing opens.
    r = pk_zone.post("/v1/compliance/evaluate", json=payment("2026-07-01", "1999999"))
    assert not met(r.json()["evaluation"], "currency_transaction_report")


def test_ctr_deadline_in_a_payment_written_by_the_zone_api(pk_zone):
    """The write route's answer carries the same: a payment of Rs 2 million recorded on its value date,
    Thursday 15 January 2026, is due to be reported by Monday 26 January."""
    def post(path, body, status=201):
        r = pk_zone.post(path, json=body)
        assert r.status_code == status, r.text
        return r.json()
    entity = {"entity_type": "corporation", "directors": [{"name": "Ayesha Siddiqui", "role": "director"}],
              "compliance": {"evidence": EVIDENCE}}
    payer = post("/v1/entities", dict(entity, legal_name="Lahore Deadlines (Pvt) Ltd"))["id"]
    payee = post("/v1/entities", dict(entity, legal_name="Multan Deadlines (Pvt) Ltd"))["id"]
    ntn = {"ntn_number": "1234567", "ntn_type": "company"}
    src, wht, dst = (post("/v1/fiscal/accounts", {"entity_id": e, "account_type": t, "currency": "PKR",
                                                  "ntn": ntn})["resource"]["account_id"]
                     for e, t in ((payer, "operating"), (payer, "withholding"), (payee, "operating")))
    r = pk_zone.post("/mass/v1/fiscal/accounts/%s/deposits" % src,
                     json={"amount": "5000000", "currency": "PKR", "reference": "capital"})
    assert r.status_code == 201, r.text
    pay = post("/v1/fiscal/payments", {
        "source_account_id": src, "destination": {"type": "internal_account", "account_id": dst},
        "amount": "2000000", "currency": "PKR", "payment_type": "service_fee",
        "compliance": {"date": "2026-01-15", "subject": {"filer_status": "filer"},
                       "counterparty": {"filer_status": "filer"}, "evidence": EVIDENCE,
                       "withholding_account_id": wht}})
    ctr = met(pay["compliance"]["evaluation"], "currency_transaction_report")
    assert ctr, pay["compliance"]["evaluation"]["domains"]["aml"]
    dl = ctr[0]["deadline"]
    assert (dl["from_date"], dl["due_date"], dl["due_by"]) == ("2026-01-15", "2026-01-26", "2026-01-26T18:59:59Z")
    # The evidence discharges the obligation; the deadline is still what it was due by.
    assert pay["compliance"]["evaluation"]["domains"]["aml"]["state"] == "compliant"


def test_the_zones_weekend_counts(make_zone, driver, mez_env):
    """zone.yaml weekend [friday, saturday]: the seventh business day after Wednesday 1 July is Sunday 12 July."""
    d = copy_packs(mez_env, "pk", "terms-frisat")
    edit(os.path.join(d, "zone.yaml"), "weekend: [saturday, sunday]", "weekend: [friday, saturday]")
    relock(mez_env, d)
    z = make_zone(driver, zone_id="pk-sifc", zone_file=os.path.join(d, "zone.yaml"))
    assert z.get("/v1/zone").json()["weekend"] == ["friday", "saturday"]
    dl = met(z.post("/v1/compliance/evaluate", json=payment("2026-07-01", "2000000")).json()["evaluation"],
             "currency_transaction_report")[0]["deadline"]
    assert dl["due_date"] == "2026-07-12" and dl["weekend"] == ["friday", "saturday"]


@pytest.mark.parametrize("weekend,code,pointer", [
    ("[saturday, Sunday]", "zone.invalid_value", "/weekend/1"),
    ("[friday, friday]", "zone.duplicate_value", "/weekend/1"),
    ("[]", "zone.invalid_value", "/weekend"),
    ("sunday", "zone.invalid_type", "/weekend"),
])
def test_a_bad_weekend_is_refused(mez_env, weekend, code, pointer):
    d = copy_packs(mez_env, "pk", "terms-badweekend")
    edit(os.path.join(d, "zone.yaml"), "weekend: [saturday, sunday]", "weekend: %s" % weekend)
    with open(os.path.join(d, "stack.lock"), "rb") as f:
        lock = f.read()
    cp = mez_env.mez("zone", "check", *zone_args(mez_env), os.path.join(d, "zone.yaml"))
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert code in cp.stderr and "zone.yaml:" in cp.stderr and pointer in cp.stderr, cp.stderr
    cp = mez_env.mez("lock", *zone_args(mez_env), os.path.join(d, "zone.yaml"))
    assert cp.returncode == 1 and code in cp.stderr, cp.stderr
    with open(os.path.join(d, "stack.lock"), "rb") as f:
        assert f.read() == lock          # nothing written


@pytest.fixture(scope="module")
def kz_zone(module_zones, driver, mez_env):
    d = copy_packs(mez_env, "kz-aifc", "terms-kz")
    return module_zones(driver, zone_id="kz-aifc", zone_file=os.path.join(d, "zone.yaml"))


def test_kazakh_threshold_report_the_next_business_day(kz_zone):
    """Law 191-IV Art. 10(2): reported no later than the business day after the transaction. KZT 5 million moved by
    a financial monitoring subject on Friday 3 July 2026: due Monday 6 July, whose last second in Astana (UTC+05
    since March 2024) is 18:59:59 UTC."""
    body = payment("2026-07-03", "5000000", "KZT", "kz-aifc", ["financial_monitoring_subject"])
    body["action"] = {"type": "cross_border_transfer", "date": "2026-07-03", "jurisdiction": "kz-aifc",
                      "destination_jurisdiction": "pk-sifc", "amount": {"amount": "5000000", "currency": "KZT"}}
    r = kz_zone.post("/v1/compliance/evaluate", json=body)
    assert r.status_code == 200, r.text
    reports = met(r.json()["evaluation"], "threshold_transaction_report")
    assert {x["rule"] for x in reports} == {"kz-aml/kz-offshore-5m", "kz-aml/kz-anonymous-account-abroad-5m",
                                            "kz-aml/kz-gambling-winnings-1m"}
    for x in reports:
        dl = x["deadline"]
        assert dl["rule"] == "kz-aml/kz-threshold-report-next-business-day"
        assert dl["form"] == {"business_days": 1, "from": "transaction"}
        assert (dl["due_date"], dl["due_by"], dl["timezone"]) == ("2026-07-06", "2026-07-06T18:59:59Z", "Asia/Almaty")


# ---------------------------------------------------------------- licence terms

ANNUAL = """
  - id: pk-secp:test-annual-licence
    name: A licence of one year (test)
    regulator: pk-secp
    category: corporate
    validity_years: 1
    renewal: {lead_days: 30}
    valid_from: "2017-05-30"
    source: companies-act-2017-gazette
"""


@pytest.fixture(scope="module")
def lic_zone(module_zones, driver, mez_env):
    """pk-sifc with a licence type of one year whose renewal is applied for 30 days ahead (no shipped type states
    a lead time), relocked."""
    d = copy_packs(mez_env, "pk", "terms-lic")
    with open(os.path.join(d, "licensepacks", "pk-secp-sbp.yaml"), "a") as f:
        f.write(ANNUAL)
    relock(mez_env, d)
    return module_zones(driver, zone_id="pk-sifc", zone_file=os.path.join(d, "zone.yaml"))


def karachi_today(zone):
    return datetime.date.fromisoformat(zone.get("/v1/zone").json()["today"])


def one_year_on(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:                    # 29 February: 28 February next year
        return day.replace(year=day.year + 1, day=28)


def end_of_day_utc(day):
    """The last second of day in Karachi (UTC+05:00, no daylight saving), as mez writes times."""
    end = datetime.datetime.combine(day, datetime.time(23, 59, 59), KARACHI).astimezone(datetime.timezone.utc)
    return end.strftime("%Y-%m-%dT%H:%M:%SZ")


def reviewed(zone, name, licence_type):
    ent = zone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": name,
                                          "directors": [{"name": "Ayesha Siddiqui", "role": "director"}],
                                          "compliance": {"evidence": EVIDENCE}})
    assert ent.status_code == 201, ent.text
    r = zone.post("/v1/licences", json={"entity_id": ent.json()["id"], "licence_type": licence_type})
    assert r.status_code == 201, r.text
    lic = r.json()["id"]
    assert zone.post("/v1/licences/%s/review" % lic, json={}).status_code == 200
    return lic


GRANT_EVIDENCE = {"licensing": {"state": "compliant",
                                "attestations": [{"id": "urn:secp:1", "issuer": "did:example:secp"}]}, **EVIDENCE}


def move(zone, lic, verb, status=200, **body):
    r = zone.post("/v1/licences/%s/%s" % (lic, verb), json=dict(body, compliance={"evidence": GRANT_EVIDENCE}))
    assert r.status_code == status, r.text
    return r.json()


def unchanged(zone, lic, before_doc, before_counts):
    assert zone.get("/v1/licences/" + lic).json() == before_doc
    assert {t: zone.count(t) for t in ("mez_credential", "mez_evaluation")} == before_counts


def test_a_grant_runs_the_types_term_on_the_zones_calendar(lic_zone):
    lic = reviewed(lic_zone, "Gwadar Term Traders Ltd", "pk-secp:test-annual-licence")
    today = karachi_today(lic_zone)
    until = end_of_day_utc(one_year_on(today))
    # One second more than the term: refused at /valid_until, naming the latest instant; nothing written.
    doc = lic_zone.get("/v1/licences/" + lic).json()
    before = {t: lic_zone.count(t) for t in ("mez_credential", "mez_evaluation")}
    over = (datetime.datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(seconds=1))
    p = assert_problem(lic_zone.post("/v1/licences/%s/grant" % lic,
                                     json={"valid_until": over.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                           "compliance": {"evidence": GRANT_EVIDENCE}}),
                       422, "licence.term_too_long", pointer="/valid_until")
    assert until in p["detail"] and "Asia/Karachi" in p["detail"]
    unchanged(lic_zone, lic, doc, before)
    # The default: the whole year after the grant's day in Karachi.
    g = move(lic_zone, lic, "grant")
    assert karachi_today(lic_zone) == today, "the day changed in Karachi during the test: run it again"
    res = g["resource"]
    assert res["status"] == "ACTIVE" and res["valid_until"] == until
    assert res["term"] == {"validity_years": 1, "fixed": True,
                           "rule": "pk-secp-sbp/pk-secp:test-annual-licence", "pack_digest": res["term"]["pack_digest"],
                           "timezone": "Asia/Karachi",
                           "renewal": {"lead_days": 30,
                                       "apply_by": (one_year_on(today) - datetime.timedelta(days=30)).isoformat()}}
    claims = g["credential"]["credentialSubject"]
    assert claims["valid_until"] == until and claims["term"] == res["term"]


def test_a_renewal_after_the_lead_date_is_recorded_with_a_finding(lic_zone):
    lic = reviewed(lic_zone, "Gwadar Late Renewals Ltd", "pk-secp:test-annual-licence")
    today = karachi_today(lic_zone)
    # Granted for ten days only: the last day to apply for renewal (30 days before expiry) has passed.
    expiry = today + datetime.timedelta(days=10)
    move(lic_zone, lic, "grant", valid_until=end_of_day_utc(expiry))
    # A renewal beyond a year from the current expiry's day is refused; nothing written.
    doc = lic_zone.get("/v1/licences/" + lic).json()
    before = {t: lic_zone.count(t) for t in ("mez_credential", "mez_evaluation")}
    over = datetime.datetime.combine(one_year_on(expiry) + datetime.timedelta(days=1), datetime.time(0, 0), KARACHI)
    assert_problem(lic_zone.post("/v1/licences/%s/renew" % lic,
                                 json={"valid_until": over.astimezone(datetime.timezone.utc)
                                       .strftime("%Y-%m-%dT%H:%M:%SZ"),
                                       "compliance": {"evidence": GRANT_EVIDENCE}}),
                   422, "licence.term_too_long", pointer="/valid_until")
    unchanged(lic_zone, lic, doc, before)
    r = move(lic_zone, lic, "renew")
    res = r["resource"]
    assert res["status"] == "ACTIVE" and res["valid_until"] == end_of_day_utc(one_year_on(expiry))
    finding = res["history"][-1]["finding"]
    assert finding["code"] == "renewal_after_lead_date" and finding["lead_days"] == 30
    assert finding["expires_on"] == expiry.isoformat()
    assert finding["apply_by"] == (expiry - datetime.timedelta(days=30)).isoformat()
    assert finding["renewed_on"] == today.isoformat() and finding["timezone"] == "Asia/Karachi"
    assert r["credential"]["credentialSubject"]["finding"] == finding
    # Renewed again at once, well before the new last day to apply: no finding.
    r = move(lic_zone, lic, "renew")
    assert "finding" not in r["resource"]["history"][-1]
    assert r["resource"]["valid_until"] == end_of_day_utc(one_year_on(one_year_on(expiry)))


def test_a_type_without_a_term_grants_none(lic_zone):
    lic = reviewed(lic_zone, "Gwadar Registrations Ltd", "pk-secp:single-member-company")
    with open(os.path.join(os.path.dirname(__file__), "..", "packs", "pk", "licensepacks", "pk-secp-sbp.yaml")) as f:
        types = {t["id"]: t for t in yaml.safe_load(f)["licence_types"]}
    assert "validity_years" not in types["pk-secp:single-member-company"]
    requirements = [r["id"] for r in types["pk-secp:single-member-company"].get("requirements", [])]
    evidence = dict(GRANT_EVIDENCE, licensing={"attestations": [{"id": "urn:secp:2", "issuer": "did:example:secp",
                                                                 "obligations": requirements}]})
    r = lic_zone.post("/v1/licences/%s/grant" % lic, json={"compliance": {"evidence": evidence}})
    assert r.status_code == 200, r.text
    res = r.json()["resource"]
    assert "valid_until" not in res and res["term"]["fixed"] is False and "validity_years" not in res["term"]
    assert "valid_until" not in r.json()["credential"]["credentialSubject"]
    doc = lic_zone.get("/v1/licences/" + lic).json()
    before = {t: lic_zone.count(t) for t in ("mez_credential", "mez_evaluation")}
    assert_problem(lic_zone.post("/v1/licences/%s/renew" % lic,
                                 json={"valid_until": "2040-01-01T00:00:00Z", "compliance": {"evidence": evidence}}),
                   409, "licence.no_fixed_term")
    unchanged(lic_zone, lic, doc, before)


def test_mez_tensor_eval_counts_on_the_calendar_it_is_given(mez_env, tmp_path):
    """The offline evaluator answers the same deadline when told the zone's calendar, and refuses a bad weekend."""
    action = tmp_path / "action.json"
    body = payment("2026-07-01", "2000000")
    del body["preview"]
    action.write_text(json.dumps(body))
    pack = os.path.join(mez_env.source_dir, "packs", "pk", "regpacks", "pk-aml-cft.yaml")
    for extra, due, by in (([], "2026-07-10", "2026-07-10T23:59:59Z"),
                           (["--timezone", "Asia/Karachi"], "2026-07-10", "2026-07-10T18:59:59Z"),
                           (["--timezone", "Asia/Karachi", "--weekend", "friday,saturday"], "2026-07-12",
                            "2026-07-12T18:59:59Z")):
        cp = mez_env.mez("tensor", "eval", "--pack", pack, *extra, str(action))
        assert cp.returncode in (0, 1), cp.stderr
        dl = met(json.loads(cp.stdout), "currency_transaction_report")[0]["deadline"]
        assert (dl["due_date"], dl["due_by"]) == (due, by), (extra, dl)
    # A tax regpack's "following year" is the year after the tax year the zone names (--tax-year-start, as
    # zone.yaml's tax_year_start): a return due 30 April after a tax year of 1 July - 30 June.
    tax_pack = tmp_path / "tax.json"
    tax_pack.write_text(json.dumps({
        "format": "mez-regpack/1", "id": "pk-tax-dl", "jurisdiction_id": "pk", "domain": "tax",
        "title": "Tax deadlines", "sources": [{"id": "ito", "title": "Income Tax Ordinance, 2001"}],
        "tax_rates": [{"id": "cit-29", "tax": "cit", "article": "18", "taxpayer_class": "company",
                       "income_class": "taxable_income", "rate": "29", "basis": "taxable_income",
                       "conditions": ["annual-return"], "valid_from": "2025-07-01", "source": "ito"}],
        "obligations": [{"id": "annual-return", "description": "File the return", "regulator": "pk-fbr",
                         "deadline": {"day_of_month": 30, "of": "april_following_year"},
                         "valid_from": "2025-07-01", "source": "ito"}]}))
    assess = tmp_path / "assess.json"
    assess.write_text(json.dumps({
        "action": {"type": "tax_assessment", "date": "2026-08-01", "jurisdiction": "pk",
                   "income": [{"income_class": "taxable_income", "amount": "1000000", "currency": "PKR"}]},
        "subject": {"id": "tp-1", "name": "Indus Traders Ltd", "taxpayer_classes": ["company"]}}))
    for extra, due in (([], "2027-04-30"), (["--tax-year-start", "07-01"], "2028-04-30")):
        cp = mez_env.mez("tensor", "eval", "--pack", str(tax_pack), *extra, str(assess))
        assert cp.returncode in (0, 1), cp.stderr
        reasons = json.loads(cp.stdout)["domains"]["tax"]["reasons"]
        dl = [r for r in reasons if r["code"] == "condition_not_evidenced"][0]["conditions"][0]["deadline"]
        assert dl["due_date"] == due, (extra, dl)
    for bad in (["--weekend", "sat"], ["--weekend", "friday,friday"], ["--tax-year-start", "02-29"]):
        cp = mez_env.mez("tensor", "eval", "--pack", pack, *bad, str(action))
        assert cp.returncode == 2 and cp.stdout == "", (bad, cp.stdout, cp.stderr)
    # --zone: the shipped zone's calendar, public holidays included, as the zone itself counts (Iqbal Day on
    # Monday 9 November 2026 passed over); a later option takes the place of the zone's own.
    zone_file = os.path.join(mez_env.source_dir, "packs", "pk", "zone.yaml")
    body["action"]["date"] = "2026-11-06"
    action.write_text(json.dumps(body))
    for extra, due, by, passed in (
            (["--zone", zone_file], "2026-11-18", "2026-11-18T18:59:59Z", ["2026-11-09"]),
            (["--zone", zone_file, "--timezone", "UTC"], "2026-11-18", "2026-11-18T23:59:59Z", ["2026-11-09"]),
            (["--timezone", "Asia/Karachi"], "2026-11-17", "2026-11-17T18:59:59Z", [])):
        cp = mez_env.mez("tensor", "eval", "--pack", pack, *extra, str(action))
        assert cp.returncode in (0, 1), cp.stderr
        dl = met(json.loads(cp.stdout), "currency_transaction_report")[0]["deadline"]
        assert (dl["due_date"], dl["due_by"]) == (due, by), (extra, dl)
        assert [h["date"] for h in dl["public_holidays"]] == passed and dl["public_holidays_known"] is bool(passed)
    bad_zone = tmp_path / "zone.yaml"
    with open(zone_file) as f:
        bad_zone.write_text(f.read().replace('"2026-11-09"', '"2026-11-31"'))
    cp = mez_env.mez("tensor", "eval", "--pack", pack, "--zone", str(bad_zone), str(action))
    assert cp.returncode == 2 and cp.stdout == "" and "zone.invalid_value" in cp.stderr, cp.stderr
    assert "/public_holidays/days/0/date" in cp.stderr, cp.stderr

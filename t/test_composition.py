# test_composition.py: a zone's packs compose by its jurisdiction_stack (national base, then the zone's overlay).
# Rules of different layers that govern the same thing while both are in force are conflicts: reported, never
# merged. `mez zone check` fails and httpd refuses to start until zone.yaml resolves each one with an override;
# an override that names an unknown rule is an error; GET /v1/packs shows the conflicts and the overrides.
# The zone here is synthetic (two small layers written by the test) so that each case is one edit away.
import json
import os
import re

import jsonschema
import pytest
import yaml

from mez_harness import HarnessError

ZONE_ID = "t-sifc"

ZONE = """\
format: mez-zone/1
zone_id: t-sifc
zone_name: Layered test zone
jurisdiction_id: pk-sifc
jurisdiction_stack: [pk, pk-sifc]
profile: sovereign-govos
packs:
  regpacks: [regpacks/base.yaml, regpacks/overlay.yaml]
  licensepacks: [licensepacks/base.yaml, licensepacks/overlay.yaml]
"""

OVERRIDES = """\
overrides:
  - rule: t-zone-rates/goods-sifc
    replaces: t-base/goods
    reason: SRO 1/2025 sets a reduced rate for zone enterprises
  - rule: t-zone-rates/str-filing
    replaces: t-base/str-filing
    reason: the same duty, restated by the zone's regulations
  - rule: t-zone-licences/pk-secp:private-limited-company
    replaces: t-base-licences/pk-secp:private-limited-company
    reason: zone companies are registered for three years
"""

# The base: a goods rate, a services rate that ended when the overlay's began, an obligation.
BASE = """\
format: mez-regpack/1
id: t-base
jurisdiction_id: pk
domain: tax
title: National rates
as_of_date: "2025-07-01"
sources:
  - {id: fa, title: Finance Act, kind: finance_act}
withholding_rates:
  - id: goods
    section: "153(1)(a)"
    payment_type: goods
    payee_class: company
    rates: {filer: "5", non_filer: "10"}
    valid_from: "2025-07-01"
    source: fa
  - id: services-old
    section: "153(1)(b)"
    payment_type: services
    payee_class: any
    rates: {filer: "6", non_filer: "12"}
    valid_from: "2024-07-01"
    valid_to: "2025-07-01"
    source: fa
obligations:
  - id: str-filing
    description: File a suspicious transaction report
    deadline: {days: 7, from: suspicion}
    valid_from: "2020-01-01"
    source: fa
"""

# The overlay: a different goods rate (values differ), the same obligation restated (values equal), a services
# rate from the day the base's ended (no conflict).
OVERLAY = """\
format: mez-regpack/1
id: t-zone-rates
jurisdiction_id: pk-sifc
domain: tax
title: Zone rates
as_of_date: "2025-07-01"
sources:
  - {id: sro, title: SRO 1/2025, kind: sro}
withholding_rates:
  - id: goods-sifc
    section: "153(1)(a)"
    payment_type: goods
    payee_class: company
    rates: {filer: "1", non_filer: "10"}
    valid_from: "2025-07-01"
    source: sro
  - id: services-sifc
    section: "153(1)(b)"
    payment_type: services
    payee_class: company
    rates: {filer: "3", non_filer: "6"}
    valid_from: "2025-07-01"
    source: sro
obligations:
  - id: str-filing
    description: The zone restates the national duty
    deadline: {days: 7, from: suspicion}
    valid_from: "2024-01-01"
    source: sro
"""

LICENCES = """\
format: mez-licensepack/1
id: {id}
jurisdiction_id: {jurisdiction}
domain: licensing
title: Company registration
as_of_date: "2025-07-01"
sources:
  - {{id: ca, title: Companies Act 2017, kind: statute}}
regulators:
  - {{id: pk-secp, name: Securities and Exchange Commission of Pakistan, jurisdiction_id: pk, source: ca}}
licence_types:
  - id: pk-secp:private-limited-company
    name: Private limited company
    regulator: pk-secp
    validity_years: {years}
    valid_from: "{valid_from}"
    source: ca
"""

RULES = {
    ("withholding_rates", "t-base/goods", "t-zone-rates/goods-sifc"): ("2025-07-01", True),
    ("obligations", "t-base/str-filing", "t-zone-rates/str-filing"): ("2024-01-01", False),
    ("licence_types", "t-base-licences/pk-secp:private-limited-company",
     "t-zone-licences/pk-secp:private-limited-company"): ("2025-07-01", True),
}


# ------------------------------------------------------------------------------------------------ helpers

def profile_dir(mez_env):
    return os.path.join(mez_env.source_dir, "profiles")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make_layers(mez_env, prefix, zone_text, lock=True):
    """A zone directory with both layers; locked with `mez lock` unless lock is False. Returns zone.yaml."""
    d = mez_env.new_dir(prefix)
    write(os.path.join(d, "zone.yaml"), zone_text)
    write(os.path.join(d, "regpacks", "base.yaml"), BASE)
    write(os.path.join(d, "regpacks", "overlay.yaml"), OVERLAY)
    write(os.path.join(d, "licensepacks", "base.yaml"),
          LICENCES.format(id="t-base-licences", jurisdiction="pk", years=1, valid_from="2017-05-30"))
    write(os.path.join(d, "licensepacks", "overlay.yaml"),
          LICENCES.format(id="t-zone-licences", jurisdiction="pk-sifc", years=3, valid_from="2025-07-01"))
    path = os.path.join(d, "zone.yaml")
    if lock:
        cp = mez(mez_env, "lock", path)
        assert cp.returncode == 0, cp.stderr
    return path


def mez(mez_env, cmd, *args):
    sub = ["zone", cmd] if cmd in ("check", "show") else [cmd]
    return mez_env.mez(*sub, "--profile-dir", profile_dir(mez_env), *args)


def line_of(path, needle):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return n
    raise AssertionError("%r not in %s" % (needle, path))


@pytest.fixture(scope="module")
def spec(mez_env):
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        return json.load(f)


def check_openapi(spec, path, resp):
    answer = spec["paths"][path]["get"]["responses"][str(resp.status_code)]
    schema = dict(answer["content"]["application/json"]["schema"])
    schema["components"] = spec["components"]
    jsonschema.validate(resp.json(), schema, cls=jsonschema.Draft202012Validator)


def start_fails(make_zone, driver, zone_file):
    z = make_zone(driver, start=False, zone_id=ZONE_ID, zone_file=zone_file)
    with pytest.raises(HarnessError):
        z.start(timeout=60)
    assert not z.running
    return z.error_log() + z.stderr_text()


# ------------------------------------------------------------------------------------------------ unresolved

def test_zone_check_reports_unresolved_conflicts(mez_env):
    path = make_layers(mez_env, "conflicts", ZONE)
    cp = mez(mez_env, "check", path)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "CONFLICT t-sifc: 3 unresolved conflicts" in cp.stderr, cp.stderr
    assert cp.stderr.count("zone.conflict:") == 3, cp.stderr
    goods = [line for line in cp.stderr.splitlines() if "t-base/goods" in line]
    assert len(goods) == 1, cp.stderr
    assert "t-base/goods (pk, regpacks/base.yaml:10)" in goods[0]
    assert "t-zone-rates/goods-sifc (pk-sifc, regpacks/overlay.yaml:10)" in goods[0]
    assert "from 2025-07-01 (open-ended)" in goods[0] and "values differ" in goods[0]
    assert "overrides: [{rule: t-zone-rates/goods-sifc, replaces: t-base/goods" in goods[0]
    same = [line for line in cp.stderr.splitlines() if "t-base/str-filing" in line]
    assert len(same) == 1 and "are the same" in same[0], cp.stderr
    # The services rows are never in force on the same day: not a conflict.
    assert "services" not in cp.stderr
    # The lock itself is fine: only the conflicts fail the check.
    assert "MISMATCH" not in cp.stderr


def test_mez_lock_warns_about_conflicts(mez_env):
    path = make_layers(mez_env, "lockwarn", ZONE, lock=False)
    cp = mez(mez_env, "lock", path)
    assert cp.returncode == 0, cp.stderr
    assert "3 unresolved conflicts" in cp.stderr


def test_zone_show_lists_conflicts(mez_env):
    path = make_layers(mez_env, "show", ZONE)
    cp = mez(mez_env, "show", path)
    assert cp.returncode == 0, cp.stderr
    shown = json.loads(cp.stdout)
    assert shown["unresolved_conflicts"] == 3 and shown["overrides"] == []
    packs = {p["id"]: p["digest"] for p in shown["packs"]}
    got = {}
    for c in shown["conflicts"]:
        assert c["resolved"] is False and "override" not in c
        assert c["base"]["jurisdiction_id"] == "pk" and c["overlay"]["jurisdiction_id"] == "pk-sifc"
        assert c["base"]["pack_digest"] == packs[c["base"]["rule"].split("/")[0]]
        assert "to" not in c["period"]
        got[(c["kind"], c["base"]["rule"], c["overlay"]["rule"])] = (c["period"]["from"], c["values_differ"])
    assert got == RULES
    # In section order: withholding rates, obligations, licence types.
    assert [c["kind"] for c in shown["conflicts"]] == ["withholding_rates", "obligations", "licence_types"]
    assert shown["conflicts"][0]["subject"] == "section 153(1)(a), payment_type goods, payee_class company"


def test_overlapping_periods_only(mez_env):
    """Moved back half a year, the overlay's services rate meets the base's ('any' covers company) until the
    base's ends; a bounded overlap has an end."""
    path = make_layers(mez_env, "overlap", ZONE, lock=False)
    overlay = os.path.join(os.path.dirname(path), "regpacks", "overlay.yaml")
    with open(overlay) as f:
        text = f.read()
    i = text.index("  - id: services-sifc")
    write(overlay, text[:i] + text[i:].replace('valid_from: "2025-07-01"', 'valid_from: "2025-01-01"', 1))
    cp = mez(mez_env, "show", path)
    assert cp.returncode == 0, cp.stderr
    services = [c for c in json.loads(cp.stdout)["conflicts"] if c["base"]["rule"] == "t-base/services-old"]
    assert len(services) == 1, cp.stdout
    assert services[0]["overlay"]["rule"] == "t-zone-rates/services-sifc"
    assert services[0]["period"] == {"from": "2025-01-01", "to": "2025-07-01"}
    assert services[0]["subject"].endswith("payee_class any / company")


def test_unresolved_conflict_refuses_to_start(make_zone, driver, mez_env):
    path = make_layers(mez_env, "refuse", ZONE)
    log = start_fails(make_zone, driver, path)
    assert "zone t-sifc refuses to start (3 unresolved conflicts" in log, log
    emerg = [line for line in log.splitlines() if "zone.conflict" in line]
    assert len(emerg) == 3, log
    assert all(":emerg]" in line for line in emerg), emerg
    assert any("t-base/goods" in line and "t-zone-rates/goods-sifc" in line for line in emerg), emerg


# ------------------------------------------------------------------------------------------------ overrides

@pytest.fixture(scope="module")
def resolved_file(mez_env):
    return make_layers(mez_env, "resolved", ZONE + OVERRIDES)


@pytest.fixture(scope="module")
def resolved_zone(module_zones, driver, resolved_file):
    return module_zones(driver, zone_id=ZONE_ID, zone_file=resolved_file)


def test_zone_file_with_overrides_validates_against_the_schema(mez_env, resolved_file):
    with open(os.path.join(mez_env.source_dir, "schemas", "zone.schema.json")) as f:
        schema = json.load(f)
    with open(resolved_file) as f:
        doc = yaml.safe_load(f)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    for bad in ({"rule": "goods", "replaces": "t-base/goods", "reason": "r"},
                {"rule": "t-zone-rates/goods-sifc", "replaces": "t-base/goods"},
                {"rule": "t-zone-rates/goods-sifc", "replaces": "t-base/goods", "reason": "r", "by": "me"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(dict(doc, overrides=[bad]), schema, cls=jsonschema.Draft202012Validator)


def test_overrides_resolve_the_conflicts(mez_env, resolved_file):
    cp = mez(mez_env, "check", resolved_file)
    assert cp.returncode == 0, cp.stderr
    assert "3 conflicts between layers, all resolved by overrides" in cp.stdout
    shown = json.loads(mez(mez_env, "show", resolved_file).stdout)
    assert shown["unresolved_conflicts"] == 0
    assert all(c["resolved"] and c["override"]["replaces"] == c["base"]["rule"] for c in shown["conflicts"])


def test_one_override_missing_fails_the_check(mez_env):
    lines = OVERRIDES.splitlines(keepends=True)
    path = make_layers(mez_env, "partial", ZONE + "".join(lines[:7]))
    cp = mez(mez_env, "check", path)
    assert cp.returncode == 1, cp.stderr
    assert "1 unresolved conflict " in cp.stderr and "t-base-licences/pk-secp:private-limited-company" in cp.stderr


def test_packs_list_shows_conflicts_and_overrides(resolved_zone, resolved_file, spec):
    r = resolved_zone.get("/v1/packs")
    assert r.status_code == 200, r.text
    check_openapi(spec, "/v1/packs", r)
    body = r.json()
    with open(resolved_file) as f:
        assert body["overrides"] == yaml.safe_load(f)["overrides"]
    assert len(body["packs"]) == 4
    got = {(c["kind"], c["base"]["rule"], c["overlay"]["rule"]): (c["period"]["from"], c["values_differ"])
           for c in body["conflicts"]}
    assert got == RULES
    for c in body["conflicts"]:
        assert c["resolved"] is True
        assert (c["override"]["rule"], c["override"]["replaces"]) == (c["overlay"]["rule"], c["base"]["rule"])


def test_overlay_manifests_are_signed_too(resolved_zone, spec):
    for p in resolved_zone.get("/v1/packs").json()["packs"]:
        r = resolved_zone.get("/v1/packs/" + p["digest"])
        assert r.status_code == 200, r.text
        check_openapi(spec, "/v1/packs/{digest}", r)
        vc = r.json()["credential"]
        assert vc["credentialSubject"]["jurisdiction_id"] == p["jurisdiction_id"]
        v = resolved_zone.post("/v1/credentials/verify", json={"verifiableCredential": vc})
        assert v.status_code == 200, v.text


# ------------------------------------------------------------------------------------------------ bad overrides

def unknown_rule_file(mez_env, prefix):
    text = ZONE + OVERRIDES.replace("rule: t-zone-rates/goods-sifc", "rule: t-zone-rates/goods-zone")
    return make_layers(mez_env, prefix, text, lock=False)


def test_override_naming_an_unknown_rule_is_an_error(mez_env):
    path = unknown_rule_file(mez_env, "unknown")
    line = line_of(path, "t-zone-rates/goods-zone")
    for cmd in ("lock", "check"):
        cp = mez(mez_env, cmd, path)
        assert cp.returncode == 1, (cmd, cp.stderr)
        assert re.search(r"zone\.unknown_rule: \S*zone\.yaml:%d:\d+: .*t-zone-rates/goods-zone.*"
                         r"\(at /overrides/0/rule\)" % line, cp.stderr), cp.stderr
    assert not os.path.exists(os.path.join(os.path.dirname(path), "stack.lock"))


def test_override_of_rules_not_in_conflict_is_an_error(mez_env):
    text = ZONE + OVERRIDES.replace("rule: t-zone-rates/goods-sifc", "rule: t-zone-rates/services-sifc") \
        .replace("replaces: t-base/goods", "replaces: t-base/services-old")
    path = make_layers(mez_env, "noconflict", text, lock=False)
    cp = mez(mez_env, "check", path)
    assert cp.returncode == 1, cp.stderr
    assert "zone.invalid_override" in cp.stderr and "never in force on the same day" in cp.stderr


def test_override_naming_an_unknown_rule_refuses_to_start(make_zone, driver, mez_env):
    path = unknown_rule_file(mez_env, "unknown-httpd")
    # Locked before the override went wrong, so that the loader, not the lock, is what refuses.
    good = make_layers(mez_env, "unknown-lock", ZONE + OVERRIDES)
    with open(os.path.join(os.path.dirname(good), "stack.lock")) as f, \
            open(os.path.join(os.path.dirname(path), "stack.lock"), "w") as g:
        g.write(f.read())
    log = start_fails(make_zone, driver, path)
    assert "zone.unknown_rule" in log and "/overrides/0/rule" in log, log


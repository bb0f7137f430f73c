# test_sanctions.py: `mez sanctions import-un` on the UN consolidated list in ../shared: the regpack it writes
# loads as a pack (same digest as `mez pack verify` computes), and `mez tensor eval` with it denies a payment to a
# listed name written differently, naming the entry and why it matched, while a clean payee is screened clear.
import json
import os

import pytest
import yaml

UN_LIST = ("data", "sanctions", "un-consolidated.xml")


def summary(stdout):
    """The `key: value` lines import-un prints."""
    out = {}
    for line in stdout.splitlines():
        key, _, value = line.partition(": ")
        out.setdefault(key, value)
    return out


@pytest.fixture(scope="module")
def imported(mez_env):
    """The list imported for pk, once as YAML and once as JSON."""
    d = mez_env.new_dir("sanctions")
    xml = mez_env.shared(*UN_LIST)
    if not os.path.exists(xml):
        pytest.skip("%s is not there" % xml)
    out = {}
    for ext in ("yaml", "json"):
        path = os.path.join(d, "un-consolidated." + ext)
        cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", path, xml)
        assert cp.returncode == 0, cp.stderr
        out[ext] = (path, summary(cp.stdout))
    out["dir"] = d
    return out


def payment(payee):
    return {"action": {"type": "payment", "date": "2026-03-02", "jurisdiction": "pk-sifc",
                       "payment_type": "services", "amount": {"amount": "250000", "currency": "PKR"}},
            "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company"},
            "counterparty": {"id": "did:example:payee", "name": payee, "entity_class": "company"}}


def evaluate(mez_env, pack, payee):
    cp = mez_env.mez("tensor", "eval", "--pack", pack, "-", input=json.dumps(payment(payee)))
    assert cp.returncode in (0, 1), cp.stderr
    return cp.returncode, json.loads(cp.stdout)


def test_import_writes_a_regpack_with_the_lists_date(mez_env, imported):
    path, s = imported["yaml"]
    assert s["list_date"] == "2026-02-27"
    assert int(s["individuals"]) == 730 and int(s["entities"]) == 273
    assert int(s["aliases"]) > 2000 and int(s["aliases_in_original_script"]) > 0
    assert s["pack"] == "un-consolidated-2026-02-27"
    assert "ENTITY_ALIAS/NOTE" in s["not_in_schema"]
    with open(path, encoding="utf-8") as f:
        pack = yaml.safe_load(f)
    assert pack["format"] == "mez-regpack/1" and pack["domain"] == "sanctions" and pack["jurisdiction_id"] == "pk"
    assert pack["as_of_date"] == "2026-02-27"
    assert pack["sources"][0]["publisher"] == "United Nations Security Council"
    lst = pack["lists"][0]
    assert lst["list_date"] == "2026-02-27" and lst["source"] == pack["sources"][0]["id"]
    entries = {e["id"]: e for e in lst["entries"]}
    assert len(entries) == 1003
    e = entries["qde-157"]
    assert e["name"] == "AL-KAWTHAR MONEY EXCHANGE" and e["listed_on"] == "2018-03-06"
    assert {"Al Kawthar Co.", "Al-Kawthar Hawala", "شركة الكوثر"} <= set(e["aliases"])
    # Every string is quoted, so no name or id is read back as a number, a date or a boolean.
    assert all(isinstance(x["id"], str) and isinstance(x["name"], str) for x in lst["entries"])


def test_yaml_and_json_are_the_same_pack(mez_env, imported):
    ypath, ys = imported["yaml"]
    jpath, js = imported["json"]
    assert ys["digest"] == js["digest"] and ys["digest"].startswith("sha256:")
    cp = mez_env.mez("pack", "verify", "--digest", ys["digest"], ypath)
    assert cp.returncode == 0, cp.stderr
    with open(jpath, encoding="utf-8") as f, open(ypath, encoding="utf-8") as g:
        assert json.load(f) == yaml.safe_load(g)


@pytest.mark.parametrize("ext", ["yaml", "json"])
def test_payment_to_a_listed_alias_is_denied(mez_env, imported, ext):
    rc, out = evaluate(mez_env, imported[ext][0], "al kawthar-HAWÁLA")
    assert rc == 1
    assert out["decision"] == "non_compliant"
    sanctions = out["domains"]["sanctions"]
    assert sanctions["state"] == "non_compliant"
    hit = [r for r in sanctions["reasons"] if r["code"] == "sanctions_match"]
    assert len(hit) == 1, sanctions
    hit = hit[0]
    assert hit["hard_block"] is True and hit["party"] == "counterparty"
    assert hit["entry"]["id"] == "qde-157"
    assert hit["match"] == {"on": "alias", "listed_name": "Al-Kawthar Hawala", "how": "exact",
                            "normalised": "al kawthar hawala", "listed_normalised": "al kawthar hawala"}
    assert hit["rule"] == "un-consolidated-2026-02-27/qde-157"
    assert hit["source"]["id"] == "un-sc-consolidated" and hit["source_detail"] == "Al-Qaida QDe.157"


def test_near_miss_and_clean_payee_are_screened_clear(mez_env, imported):
    for payee in ("Al-Kawthar Hawalla", "Indus Consulting (Pvt) Ltd"):
        _, out = evaluate(mez_env, imported["yaml"][0], payee)
        sanctions = out["domains"]["sanctions"]
        assert sanctions["state"] == "compliant", (payee, sanctions)
        assert [r["code"] for r in sanctions["reasons"]] == ["sanctions_clear"]


def test_errors_and_usage(mez_env, imported):
    d = imported["dir"]
    xml = mez_env.shared(*UN_LIST)
    broken = os.path.join(d, "broken.xml")
    with open(broken, "w") as f:
        f.write('<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-01-05T00:00:00Z">\n'
                "<INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>X</SECOND_NAME></INDIVIDUAL>\n")
    out = os.path.join(d, "never.yaml")
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", out, broken)
    assert cp.returncode == 1
    assert "sanctions.invalid_xml" in cp.stderr and "broken.xml:4:" in cp.stderr
    assert not os.path.exists(out)
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "PK", "--out", out, xml)
    assert cp.returncode == 1 and "pack.invalid_value" in cp.stderr
    cp = mez_env.mez("sanctions", "import-un", "--out", out, xml)
    assert cp.returncode == 2
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", os.path.join(d, "x.txt"), xml)
    assert cp.returncode == 2
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", out, os.path.join(d, "missing.xml"))
    assert cp.returncode == 2 and "io.open" in cp.stderr
    assert not [n for n in os.listdir(d) if n.startswith("never.yaml")]
    # A feed that names no one, or whose records sit where this reader does not look, stops the import and
    # leaves the zone's list as it was (screening is a hard block: an empty list would let every name through).
    kept = os.path.join(d, "kept.yaml")
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", kept, xml)
    assert cp.returncode == 0, cp.stderr
    with open(kept, "rb") as f:
        before = f.read()
    for label, body, code in [
            ("empty", "<INDIVIDUALS/><ENTITIES/>", "sanctions.empty_list"),
            ("wrapped", "<LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL></INDIVIDUALS></LIST>",
             "sanctions.not_un_list"),
            ("no entities", "<INDIVIDUALS/>", "sanctions.not_un_list")]:
        feed = os.path.join(d, "feed-%s.xml" % label.replace(" ", "-"))
        with open(feed, "w") as f:
            f.write('<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-03-01T00:00:00Z">%s'
                    "</CONSOLIDATED_LIST>\n" % body)
        cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", kept, feed)
        assert cp.returncode == 1 and code in cp.stderr, (label, cp.stdout, cp.stderr)
        with open(kept, "rb") as f:
            assert f.read() == before, label
    assert not [n for n in os.listdir(d) if n.startswith("kept.yaml.")]
    # A feed that lost more than half the list (one record left) is a truncated download far likelier than the
    # Council's decision: refused unless --allow-shrink, the list file unchanged.
    one = os.path.join(d, "feed-one.xml")
    with open(one, "w") as f:
        f.write('<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-03-01T00:00:00Z"><INDIVIDUALS>'
                "<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME><SECOND_NAME>B</SECOND_NAME>"
                "<REFERENCE_NUMBER>TSi.001</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS><ENTITIES/>"
                "</CONSOLIDATED_LIST>\n")
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", kept, one)
    assert cp.returncode == 1 and "sanctions.list_shrank" in cp.stderr and "1 entries" in cp.stderr, cp.stderr
    with open(kept, "rb") as f:
        assert f.read() == before
    cp = mez_env.mez("sanctions", "import-un", "--jurisdiction", "pk", "--out", kept, "--allow-shrink", one)
    assert cp.returncode == 0, cp.stderr
    assert summary(cp.stdout)["individuals"] == "1"
    cp = mez_env.mez("sanctions", "import-un", "--help")
    assert cp.returncode == 0 and "--jurisdiction" in cp.stdout
    cp = mez_env.mez("sanctions")
    assert cp.returncode == 2


# ---------------------------------------------------------------- the zone's write pipeline on the shipped pk zone
# Names the zone API carries into screening, on the real pk proscription list (pk-proscribed.yaml): the hard
# block holds whatever date the request gives the action, however the name is written, and wherever in the
# request the name is.
from mez_harness import assert_problem  # noqa: E402

EVIDENCE = {"kyc": {"state": "compliant", "attestations": [{"id": "urn:kyc:1", "issuer": "did:example:nadra"}]},
            "aml": {"state": "compliant"}, "corporate": {"state": "compliant"}}
NTN = {"ntn_number": "1234567", "ntn_type": "company"}
TLP = "Tehreek-e-Labbaik Pakistan"      # pk-fs-088, listed on 2025-10-24
COUNTED = ["mez_mass_entity", "mez_credential", "mez_mass_ledger_line"]


@pytest.fixture(scope="module")
def pk(module_zones, driver, mez_env):
    import shutil
    dest = os.path.join(mez_env.new_dir("sanc-pk"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    return module_zones(driver, zone_id="pk-sifc", zone_file=os.path.join(dest, "zone.yaml"))


def counts(zone):
    return {t: zone.count(t) for t in COUNTED}


def form(zone, legal_name, directors=("Ayesha Siddiqui",), cdate=None, **extra):
    body = {"entity_type": "corporation", "legal_name": legal_name,
            "directors": [{"name": d, "role": "director"} for d in directors],
            "compliance": {"evidence": EVIDENCE}}
    if cdate:
        body["compliance"]["date"] = cdate
    body.update(extra)
    return zone.post("/v1/entities", json=body)


@pytest.fixture(scope="module")
def pk_account(pk):
    """A funded operating account of a clean payer."""
    r = form(pk, "Sanctions Test Payer (Pvt) Ltd")
    assert r.status_code == 201, r.text
    r = pk.post("/v1/fiscal/accounts", json={"entity_id": r.json()["id"], "account_type": "operating",
                                             "currency": "PKR", "ntn": NTN})
    assert r.status_code == 201, r.text
    acc = r.json()["resource"]["account_id"]
    r = pk.post("/mass/v1/fiscal/accounts/%s/deposits" % acc,
                json={"amount": "1000000", "currency": "PKR", "reference": "seed"})
    assert r.status_code in (200, 201), r.text
    return acc


def pay(zone, acc, beneficiary, cdate=None, **bank):
    bd = {"iban": "PK36SCBL0000001123456702", "beneficiary_name": beneficiary}
    bd.update(bank)
    body = {"source_account_id": acc, "destination": {"type": "external_bank", "bank_details": bd},
            "amount": "100", "currency": "PKR", "payment_type": "goods_payment",
            "compliance": {"evidence": EVIDENCE}}
    if cdate:
        body["compliance"]["date"] = cdate
    return zone.post("/v1/fiscal/payments", json=body)


def blocked(zone, r, before, entry):
    """A hard block naming the list entry, with nothing of the request written."""
    p = assert_problem(r, 422, "compliance.sanctions_hard_block")
    assert entry in json.dumps(p["compliance"]), p["compliance"]
    assert counts(zone) == before
    return p


@pytest.mark.parametrize("where", ["director", "legal_name", "beneficiary"])
def test_a_backdated_action_is_screened_as_of_today(pk, pk_account, where):
    # pk-fs-088 was listed on 2025-10-24: an action dated the day before is judged by that day's tax law, but its
    # names are screened as of the day the write is made.
    before = counts(pk)
    if where == "director":
        r = form(pk, "Backdate Director Ltd", ["Ayesha Siddiqui", TLP], cdate="2025-10-23")
    elif where == "legal_name":
        r = form(pk, TLP, cdate="2025-10-23")
    else:
        r = pay(pk, pk_account, TLP, cdate="2025-10-23")
    p = blocked(pk, r, before, "pk-fs-088")
    ev = p["compliance"]["evaluation"]
    assert ev["date"] == "2025-10-23" and ev["screening_date"] > "2025-10-24"


@pytest.mark.parametrize("director", ["Lashkar-e-Tai\u00adba", "Lashkar-e-Tai\u200dba", "\u202eLashkar-e-Taiba\u202c"])
def test_invisible_characters_do_not_clear_a_listed_name(pk, director):
    # pk-fs-004 Lashkar-e-Taiba, with a soft hyphen, a zero-width joiner, a right-to-left override.
    before = counts(pk)
    blocked(pk, form(pk, "Clean Four Ltd", ["Ayesha Siddiqui", director]), before, "pk-fs-004")


@pytest.mark.parametrize("director", ["Lashkar-e-T\u0430iba",          # Cyrillic a
                                      "L\u0410SHK\u0410R-\u0395-TAIBA",  # Cyrillic A, Greek Epsilon
                                      "Lashkar-e-Ta\u0456ba"])           # Cyrillic-Ukrainian i
def test_homoglyphs_do_not_clear_a_listed_name(pk, director):
    before = counts(pk)
    blocked(pk, form(pk, "Clean Homoglyph Ltd", ["Ayesha Siddiqui", director]), before, "pk-fs-004")


def hit_pointers(p):
    return [s["pointer"] for s in p["compliance"]["screenings"] if s["state"] == "non_compliant"]


def test_a_trading_name_is_screened(pk):
    before = counts(pk)
    p = blocked(pk, form(pk, "Clean Three Ltd", trading_name="Lashkar-e-Taiba"), before, "pk-fs-004")
    assert hit_pointers(p) == ["/trading_name"]


@pytest.mark.parametrize("bank,pointer,entry", [
    ({"account_title": "Lashkar-e-Taiba"}, "/destination/bank_details/account_title", "pk-fs-004"),
    ({"intermediary_bank": "Tehreek-e-Labbaik Pakistan"}, "/destination/bank_details/intermediary_bank",
     "pk-fs-088"),
    ({"intermediary_bank": {"name": "Tehreek-e-Labbaik Pakistan", "swift_bic": "ABCDPKKA"}},
     "/destination/bank_details/intermediary_bank/name", "pk-fs-088"),
    ({"correspondent_bank_name": "Lashkar-i-Taiba"}, "/destination/bank_details/correspondent_bank_name",
     "pk-fs-004"),
])
def test_names_in_bank_details_are_screened(pk, pk_account, bank, pointer, entry):
    before = counts(pk)
    p = blocked(pk, pay(pk, pk_account, "Ayesha Siddiqui", **bank), before, entry)
    assert hit_pointers(p) == [pointer]


def test_a_clean_payment_with_bank_details_goes_through(pk, pk_account):
    r = pay(pk, pk_account, "Ayesha Siddiqui", account_title="Ayesha Siddiqui", swift_bic="SCBLPKKX",
            intermediary_bank={"name": "Standard Chartered Bank", "swift_bic": "SCBLGB2L"})
    assert r.status_code == 201, r.text
    screened = {s["name"] for s in r.json()["compliance"]["screenings"]}
    assert screened == {"Ayesha Siddiqui", "Standard Chartered Bank"}


@pytest.mark.parametrize("kind,value,pointer", [
    ("director", "-- . --", "/directors/1/name"),
    ("director", "", "/directors/1/name"),
    ("director", "\u00ad\u200b", "/directors/1/name"),
    ("legal_name", "***", "/legal_name"),
    ("trading_name", "...", "/trading_name"),
    ("beneficiary", "...", "/destination/bank_details/beneficiary_name"),
    ("account_title", "- -", "/destination/bank_details/account_title"),
])
def test_a_name_that_cannot_be_screened_is_refused(pk, pk_account, kind, value, pointer):
    # Nothing of such a name is left to compare with the lists: refused up front, not let through as pending.
    before = counts(pk)
    if kind == "director":
        r = form(pk, "Clean Five Ltd", ["Ayesha Siddiqui", value])
    elif kind == "legal_name":
        r = form(pk, value)
    elif kind == "trading_name":
        r = form(pk, "Clean Five Ltd", trading_name=value)
    elif kind == "beneficiary":
        r = pay(pk, pk_account, value)
    else:
        r = pay(pk, pk_account, "Ayesha Siddiqui", account_title=value)
    assert_problem(r, 422, "request.unscreenable_name", pointer=pointer)
    assert counts(pk) == before


@pytest.mark.parametrize("kind,pointer", [("director", "/directors/1/name"),
                                          ("beneficiary", "/destination/bank_details/beneficiary_name")])
def test_a_name_too_long_to_screen_is_refused(pk, pk_account, kind, pointer):
    # 513 characters (the list's own name among them): refused before it is screened, nothing written.
    name = TLP + " " + "x" * (513 - len(TLP) - 1)
    before = counts(pk)
    r = form(pk, "Clean Six Ltd", ["Ayesha Siddiqui", name]) if kind == "director" else pay(pk, pk_account, name)
    assert_problem(r, 422, "request.name_too_long", pointer=pointer)
    assert counts(pk) == before
    # 512 are screened, and this one is blocked.
    name = name[:-1]
    r = form(pk, "Clean Six Ltd", ["Ayesha Siddiqui", name]) if kind == "director" else pay(pk, pk_account, name)
    blocked(pk, r, before, "pk-fs-088")


@pytest.mark.parametrize("director", ["Jama'at-ud-Da'awa", "Jama\u2019at-ud-Da\u2019awa", "Jama\u02bfat-ud-Da\u02bcawa"])
def test_apostrophes_written_or_not_match_alike(pk, director):
    # pk-fs-065 Jamaat-ud-Daawa: an apostrophe inside the word is spelling, not a word break.
    before = counts(pk)
    blocked(pk, form(pk, "Clean Seven Ltd", ["Ayesha Siddiqui", director]), before, "pk-fs-065")


def test_a_declared_list_that_no_pack_holds_is_said(pk, make_zone, driver, mez_env, imported):
    """zone.yaml's sanctions_imports says which official lists the zone screens against; the shipped pk zone
    declares the UN list but holds none (the list is imported, never copied into the project). That is said at
    start-up, by /readyz and by `mez zone check`, not left for the operator to believe; with the imported list
    among the regpacks (and the lock redone) all three say it is loaded."""
    import shutil
    missing = "/sanctions_imports/0: UN Security Council consolidated list (un-consolidated-xml)"
    r = pk.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["sanctions_imports"] == {"state": "not_loaded", "missing": [missing]}
    assert "zone pk-sifc declares the sanctions list %s, but no regpack of the zone holds it" % missing \
        in pk.error_log()
    args = ["--profile-dir", os.path.join(mez_env.source_dir, "profiles"),
            "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd")]
    cp = mez_env.mez("zone", "check", *args, pk.zone_file)
    assert cp.returncode == 0 and "warning: zone pk-sifc declares the sanctions list %s" % missing in cp.stderr, \
        cp.stdout + cp.stderr
    dest = os.path.join(mez_env.new_dir("sanc-un-pk"), "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    shutil.copy(imported["yaml"][0], os.path.join(dest, "regpacks", "un-consolidated.yaml"))
    zone_yaml = os.path.join(dest, "zone.yaml")
    with open(zone_yaml) as f:
        text = f.read()
    assert "  regpacks: [" in text
    with open(zone_yaml, "w") as f:
        f.write(text.replace("  regpacks: [", "  regpacks: [regpacks/un-consolidated.yaml, ", 1))
    cp = mez_env.mez("lock", *args, zone_yaml)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    cp = mez_env.mez("zone", "check", *args, zone_yaml)
    assert cp.returncode == 0 and "sanctions list" not in cp.stderr, cp.stdout + cp.stderr
    z = make_zone(driver, zone_id="pk-sifc", zone_file=zone_yaml)
    assert z.get("/readyz").json()["checks"]["sanctions_imports"] == {"state": "ok"}
    assert "declares the sanctions list" not in z.error_log()


def test_production_does_not_start_a_zone_without_its_declared_list(make_zone, driver, mez_env):
    """A zone in MezMode production screens against every list its zone.yaml declares, or does not start: every
    screening hit is a hard block, and a zone screening against nothing in the list's place would let the listed
    names through (development starts with a warning, the test above). The refusal names the list and the commands
    that load it; with the list imported (as `mez deploy --sanctions-un` does) the zone starts."""
    from mez_harness import import_un_list, pk_zone_file
    z = make_zone(driver, start=False, zone_id="pk-sifc", zone_file=pk_zone_file(mez_env, "un-prod"),
                  extra_conf="MezMode production")
    with pytest.raises(Exception):
        z.start(timeout=15)
    assert not z.running
    log = z.error_log() + z.stderr_text()
    assert "zone pk-sifc refuses to start: it declares the sanctions list /sanctions_imports/0: UN Security " \
           "Council consolidated list (un-consolidated-xml), which no regpack of the zone holds" in log, log
    assert "mez deploy --jurisdiction pk-sifc ... --sanctions-un UN.xml" in log and \
        "mez sanctions import-un --jurisdiction pk --out regpacks/un-consolidated.yaml UN.xml" in log, log
    import_un_list(mez_env, z.zone_file)
    z.start(timeout=30)
    r = z.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["sanctions_imports"] == {"state": "ok"}, r.text
    assert z.get("/v1/zone").json()["mode"] == "production"

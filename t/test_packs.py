# test_packs.py: the shipped packs (packs/<jurisdiction>/) against the pack formats of packs/README.md: every pack
# file validates against its JSON Schema in schemas/packs/, the built `mez pack build` accepts every jurisdiction
# directory, and broken copies of real packs are refused by the CLI (exit 1, the stable code and FILE:LINE in stderr)
# and, where a schema can say it, by the JSON Schema too, so the validator and the schemas keep agreeing.
#
# Environment as for the other t/ tests (see mez_harness.MezEnv): MEZ_BUILD_DIR (the build whose cli/mez runs),
# MEZ_SHARED (../shared: the Akoma Ntoso schema).
import glob
import json
import os
import re
import shutil

import jsonschema
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKS = os.path.join(ROOT, "packs")
JURISDICTIONS = sorted(d for d in os.listdir(PACKS) if os.path.isdir(os.path.join(PACKS, d)))
PACK_FILES = sorted(glob.glob(os.path.join(PACKS, "*", "regpacks", "*.yaml"))
                    + glob.glob(os.path.join(PACKS, "*", "licensepacks", "*.yaml"))
                    + glob.glob(os.path.join(PACKS, "*", "lawpacks", "*", "lawpack.yaml")))


# ------------------------------------------------------------------------------------------------ YAML as mez reads it

class Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1 (2025-07-01 is a date, `no` is false, 1_000 an integer); mez reads the YAML 1.2 core
    schema (mez/yaml.h), where those are strings. This loader resolves plain scalars as mez does, so the schemas
    see the model mez validates. (mez refuses floats outright; here they load as floats, which every schema
    refuses since amounts and rates are strings.)"""


Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
]:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _int12(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)


def load_yaml(text):
    return yaml.load(text, Loader=Yaml12Loader)


def schema_for(doc):
    kind = {"mez-regpack/1": "regpack", "mez-licensepack/1": "licensepack", "mez-lawpack/1": "lawpack"}[doc["format"]]
    with open(os.path.join(ROOT, "schemas", "packs", "mez-%s.schema.json" % kind)) as f:
        return json.load(f)


def schema_errors(doc):
    return list(jsonschema.Draft202012Validator(schema_for(doc)).iter_errors(doc))


def test_the_loader_reads_plain_scalars_as_mez_does():
    doc = load_yaml("a: 2025-07-01\nb: no\nc: 0x1f\nd: \"5\"\ne: 4.5\nf: ~\ng: True\n")
    assert doc == {"a": "2025-07-01", "b": "no", "c": 31, "d": "5", "e": 4.5, "f": None, "g": True}


# ------------------------------------------------------------------------------------------------ the shipped packs

def test_every_jurisdiction_ships_packs():
    assert {"pk", "ae-adgm", "kz-aifc"} <= set(JURISDICTIONS)
    for jur in JURISDICTIONS:
        assert any(p.startswith(os.path.join(PACKS, jur) + os.sep) for p in PACK_FILES), jur


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: os.path.relpath(p, PACKS))
def test_pack_validates_against_its_json_schema(path):
    with open(path) as f:
        doc = load_yaml(f.read())
    errors = schema_errors(doc)
    assert not errors, "\n".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in errors[:10])


def pack_build(mez_env, *paths):
    return mez_env.mez("pack", "build", "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd"), *paths)


@pytest.mark.parametrize("jur", JURISDICTIONS)
def test_cli_builds_every_jurisdiction(mez_env, jur):
    cp = pack_build(mez_env, os.path.join(PACKS, jur))
    assert cp.returncode == 0, cp.stderr
    assert "INVALID" not in cp.stderr
    # Every pack file of the jurisdiction was built and summarised.
    for path in PACK_FILES:
        if path.startswith(os.path.join(PACKS, jur) + os.sep):
            assert path in cp.stdout, path


# ------------------------------------------------------------------------------------------------ broken copies

# (id, jurisdiction, file under it, text to find (its first occurrence is edited), replacement, expected code,
#  where the problem is reported: None = the line of the edit, else a text whose first line is that line,
#  whether the JSON Schema can see it too)
BROKEN = [
    ("float-rate", "pk", "regpacks/pk-wht-ty2026.yaml",
     'rates: {filer: "11", non_filer: "11"}', "rates: {filer: 11.5, non_filer: \"11\"}",
     "pack.float_not_allowed", None, True),
    ("unknown-key", "pk", "regpacks/pk-wht-ty2026.yaml",
     "  - id: s149-salary-band-3\n", "  - id: s149-salary-band-3\n    slabs: []\n",
     "pack.unknown_key", "    slabs: []", True),
    ("missing-source", "kz-aifc", "regpacks/kz-aml.yaml",
     '    source: afsa-aml-mlro\n    source_detail: "AIFC AML 13.1.1-13.1.3. valid_from',
     '    source_detail: "AIFC AML 13.1.1-13.1.3. valid_from',
     "pack.missing_source", "  - id: aifc-mlro-resident", True),
    ("up-to-renamed", "ae-adgm", "regpacks/ae-corporate-tax.yaml",
     "applies: at_or_below, measure: taxable_income", "applies: up_to, measure: taxable_income",
     "pack.invalid_value", None, True),
    ("percent-without-combine", "ae-adgm", "regpacks/ae-corporate-tax.yaml",
     "    combine: lower_of\n", "",
     "pack.missing_field", "  - id: qfzp-de-minimis", True),
    ("tax-rate-over-100", "ae-adgm", "regpacks/ae-corporate-tax.yaml",
     'rate: "9"', 'rate: "900"', "pack.invalid_value", None, True),
    ("without-delay-false", "ae-adgm", "regpacks/ae-aml-cft.yaml",
     "deadline: {without_delay: true, from: suspicion}", "deadline: {without_delay: false, from: suspicion}",
     "pack.invalid_value", None, True),
    ("retention-in-months", "ae-adgm", "regpacks/ae-aml-cft.yaml",
     "retention: {years: 5,", "retention: {months: 60,", "pack.unknown_key", None, True),
    ("requirement-count-zero", "ae-adgm", "licensepacks/adgm-ra-fsra.yaml",
     "count: 2", "count: 0", "pack.invalid_value", None, True),
    ("business-days-without-event", "kz-aifc", "regpacks/kz-aml.yaml",
     "deadline: {business_days: 1, from: transaction}", "deadline: {business_days: 1}",
     "pack.invalid_value", None, True),
    ("fee-type-with-filing-folded-in", "kz-aifc", "licensepacks/aifc-afsa.yaml",
     "fee_type: registration, filing: online", "fee_type: registration_online",
     "pack.invalid_value", None, True),
    ("exemption-with-rate", "kz-aifc", "regpacks/kz-aifc-tax.yaml",
     "    exempt: true\n", "    exempt: true\n    rate: \"0\"\n",
     "pack.invalid_value", "    rate: \"0\"\n    conditions", True),
    ("condition-not-an-obligation", "kz-aifc", "regpacks/kz-aifc-tax.yaml",
     "conditions: [aifc-substantial-presence]", "conditions: [aifc-substance]",
     "pack.unknown_obligation", None, False),
    ("base-amount-other-currency", "pk", "regpacks/pk-wht-ty2026.yaml",
     '    base_amount: {amount: "6000", currency: PKR}\n',
     '    base_amount: {amount: "6000", currency: USD}\n',
     "pack.invalid_value", '    base_amount: {amount: "6000"', False),
    ("fee-scale-band-below-included", "pk", "licensepacks/pk-secp-sbp.yaml",
     '{up_to: {amount: "5000000000", currency: PKR}', '{up_to: {amount: "50000", currency: PKR}',
     "pack.invalid_value", None, False),
    ("fee-scale-last-band-closed", "pk", "licensepacks/pk-secp-sbp.yaml",
     '- {amount: {amount: "165", currency: PKR}}',
     '- {up_to: {amount: "9000000000", currency: PKR}, amount: {amount: "165", currency: PKR}}',
     "pack.invalid_value", None, False),
    ("fee-scale-in-minor-units", "pk", "licensepacks/pk-secp-sbp.yaml",
     'per: {amount: "100000", currency: PKR}', "per: {amount_minor: 10000000, currency: PKR}",
     "pack.invalid_value", None, True),
    ("fee-scale-unknown-basis", "pk", "licensepacks/pk-secp-sbp.yaml",
     "basis: capital", "basis: turnover", "pack.invalid_value", None, True),
    ("fee-scale-cap-other-currency", "pk", "licensepacks/pk-secp-sbp.yaml",
     'max: {amount: "40000000", currency: PKR}', 'max: {amount: "40000000", currency: USD}',
     "pack.invalid_value", None, False),
    ("parent-authority-unknown", "pk", "regpacks/pk-aml-cft.yaml",
     "  - id: pk-fmu\n", "  - id: pk-fmu\n    parent_authority: pk-finance-division\n",
     "pack.unknown_regulator", "    parent_authority:", False),
]


def broken_copy(mez_env, jur, rel, old, new):
    """A copy of packs/<jur> in a temporary directory with the first occurrence of old in rel replaced by new;
    returns (the copy's directory, the edited file's path, its new text, the 1-based line of the edit)."""
    src = os.path.join(PACKS, jur)
    dst = os.path.join(mez_env.new_dir("packs"), jur)
    shutil.copytree(src, dst)
    path = os.path.join(dst, rel)
    with open(path) as f:
        text = f.read()
    at = text.find(old)
    assert at >= 0, "%r is no longer in %s: update the test" % (old, rel)
    text = text[:at] + new + text[at + len(old):]
    with open(path, "w") as f:
        f.write(text)
    return dst, path, text, text.count("\n", 0, at) + 1


def line_of(text, needle):
    at = text.find(needle)
    assert at >= 0, needle
    return text.count("\n", 0, at) + 1


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c[0])
def test_cli_refuses_a_broken_copy_with_code_and_line(mez_env, case):
    _, jur, rel, old, new, code, where, schema_sees_it = case
    dst, path, text, edit_line = broken_copy(mez_env, jur, rel, old, new)
    line = edit_line if where is None else line_of(text, where)

    cp = pack_build(mez_env, dst)
    assert cp.returncode == 1, (cp.returncode, cp.stderr)
    assert "INVALID %s" % path in cp.stderr
    # "CODE: FILE:LINE:COLUMN: message (at /pointer)" on one line.
    assert re.search(r"^\s*%s: %s:%d:\d+: .*\(at /" % (re.escape(code), re.escape(path), line), cp.stderr, re.M), \
        cp.stderr
    # The other packs of the copy are still built and summarised.
    assert cp.stdout.strip()

    if schema_sees_it:
        assert schema_errors(load_yaml(text)), "the JSON Schema accepts what mez refuses (%s)" % code


def test_the_shipped_bands_carry_base_amounts(mez_env):
    """The format's answer to the Pakistan author's slabs: band rows with base_amount build and validate."""
    text = open(os.path.join(PACKS, "pk", "regpacks", "pk-wht-ty2026.yaml")).read()
    assert 'base_amount: {amount: "6000", currency: PKR}' in text
    assert not schema_errors(load_yaml(text))


def test_cli_exit_1_on_a_single_broken_file(mez_env):
    """A file path (not a jurisdiction directory) is built alone: exit 1, and the float is named with its line."""
    dst, path, text, line = broken_copy(mez_env, "kz-aifc", "licensepacks/aifc-afsa.yaml",
                                        'amount: {amount: "8000", currency: USD}', "amount: {amount: 8000.0, "
                                        "currency: USD}")
    cp = pack_build(mez_env, path)
    assert cp.returncode == 1
    assert "pack.float_not_allowed: %s:%d:" % (path, line) in cp.stderr


# ------------------------------------------------------------------------------------------------ lawpack CAS form

def _canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def built_pk(mez_env, tmp_path):
    """The shipped pk zone's packs built into a CAS under tmp_path/built; the data dir's path."""
    built = str(tmp_path / "built")
    cp = mez_env.mez("pack", "build", "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd"),
                     "--datadir", built, os.path.join(PACKS, "pk"))
    assert cp.returncode == 0, cp.stderr
    return built


def test_cas_keeps_only_a_lawpacks_own_bytes_at_its_address(mez_env, tmp_path):
    """The lawpack digest frames files as path NUL bytes NUL without lengths: a single file embedding
    "\\0lawpack.yaml\\0...", the files in reverse order, or a path with "\\u0000junk" appended all hashed to the
    genuine address. cas put, cas verify and bundle import refuse them; the genuine archive is still accepted."""
    import base64
    built = built_pk(mez_env, tmp_path)
    lawdir = os.path.join(built, "cas", "lawpack")
    name = sorted(os.listdir(lawdir))[0]
    digest = "sha256:" + name
    with open(os.path.join(lawdir, name), "rb") as f:
        genuine = f.read()
    a = json.loads(genuine)
    files = a["files"]
    assert len(files) >= 2 and _canon(a) == genuine
    dec = {f["path"]: base64.b64decode(f["content_base64"]) for f in files}
    first, rest = files[0]["path"], files[1:]
    glued = dec[first] + b"".join(b"\0" + f["path"].encode() + b"\0" + dec[f["path"]] for f in rest)
    variants = {
        "one file": {"format": a["format"], "files": [{"path": first,
                                                        "content_base64": base64.b64encode(glued).decode()}]},
        "reversed": {"format": a["format"], "files": list(reversed(files))},
        "nul path": {"format": a["format"],
                     "files": [dict(files[0], path=first + "\u0000junk")] + files[1:]},
    }
    for label, doc in variants.items():
        path = str(tmp_path / ("v-" + label.replace(" ", "-")))
        with open(path, "wb") as f:
            f.write(_canon(doc))
        store = str(tmp_path / ("d-" + label.replace(" ", "-")))
        cp = mez_env.mez("cas", "put", "--datadir", store, "--type", "lawpack", "--digest", digest, path)
        assert cp.returncode != 0, label
        assert "cas.invalid_content" in cp.stderr, (label, cp.stderr)
        # An impostor planted at the genuine address is corrupt, not verified.
        os.makedirs(os.path.join(store, "cas", "lawpack"), exist_ok=True)
        shutil.copyfile(path, os.path.join(store, "cas", "lawpack", name))
        cp = mez_env.mez("cas", "verify", "--datadir", store, "--type", "lawpack", "--shallow", digest)
        assert cp.returncode != 0 and "cas.corrupt" in cp.stderr, (label, cp.stderr)
    path = str(tmp_path / "genuine")
    with open(path, "wb") as f:
        f.write(genuine)
    store = str(tmp_path / "d-genuine")
    cp = mez_env.mez("cas", "put", "--datadir", store, "--type", "lawpack", "--digest", digest, path)
    assert cp.returncode == 0, cp.stderr
    cp = mez_env.mez("cas", "verify", "--datadir", store, "--type", "lawpack", digest)
    assert cp.returncode == 0, cp.stderr


def test_cas_is_never_written_through_a_link_and_holds_only_packs_under_pack_types(mez_env, tmp_path):
    """Whoever may write a data directory (the httpd user) could replace cas/<type> with a link to /etc, and
    httpd's parent, storing the zone's packs as root at each start, would write (and hand to that user) behind
    it. A store directory that is a link is refused. And "regpack/<digest>" holds a regpack, not any bytes."""
    store, outside = str(tmp_path / "data"), str(tmp_path / "outside")
    os.makedirs(os.path.join(store, "cas"))
    os.makedirs(outside)
    os.symlink(outside, os.path.join(store, "cas", "regpack"))
    built = built_pk(mez_env, tmp_path)
    regdir = os.path.join(built, "cas", "regpack")
    name = sorted(os.listdir(regdir))[0]
    cp = mez_env.mez("cas", "put", "--datadir", store, "--type", "regpack", os.path.join(regdir, name))
    assert cp.returncode != 0 and "cas.unsafe_store" in cp.stderr, cp.stdout + cp.stderr
    assert os.listdir(outside) == []
    os.unlink(os.path.join(store, "cas", "regpack"))
    cp = mez_env.mez("cas", "put", "--datadir", store, "--type", "regpack", os.path.join(regdir, name))
    assert cp.returncode == 0, cp.stderr
    junk = str(tmp_path / "junk.txt")
    with open(junk, "w") as f:
        f.write("not a regpack\n")
    cp = mez_env.mez("cas", "put", "--datadir", store, "--type", "regpack", junk)
    assert cp.returncode != 0 and "cas.invalid_content" in cp.stderr, cp.stdout + cp.stderr
    assert sorted(os.listdir(os.path.join(store, "cas", "regpack"))) == [name]
    # cas get --out replaces the file whole (a link there is replaced, not written through).
    victim, out = str(tmp_path / "victim"), str(tmp_path / "got.json")
    with open(victim, "w") as f:
        f.write("keep me\n")
    os.symlink(victim, out)
    cp = mez_env.mez("cas", "get", "--datadir", store, "--type", "regpack", "--out", out, "sha256:" + name)
    assert cp.returncode == 0 and cp.stdout == "", cp.stderr
    cp = mez_env.mez("cas", "get", "--datadir", store, "--type", "regpack", "--out", "/dev/null", "sha256:" + name)
    assert cp.returncode == 2 and "not a regular file" in cp.stderr and os.path.exists("/dev/null"), cp.stderr
    assert not os.path.isfile("/dev/null")
    assert not os.path.islink(out) and open(victim).read() == "keep me\n"
    with open(out, "rb") as f, open(os.path.join(regdir, name), "rb") as g:
        assert f.read() == g.read()


def test_integers_stop_at_two_to_the_53_minus_one(mez_env):
    """RFC 8785 writes a number as its nearest double: 9007199254740993 and 9007199254740992 had one canonical
    form, so a pack's digest did not pin its deadline. The validator caps integers at 2^53 - 1."""
    old = "deadline: {business_days: 7, from: suspicion}"
    dst, path, text, line = broken_copy(mez_env, "pk", "regpacks/pk-aml-cft.yaml", old,
                                        "deadline: {business_days: 9007199254740993, from: suspicion}")
    cp = pack_build(mez_env, path)
    assert cp.returncode == 1, cp.stdout
    assert "pack.invalid_value: %s:%d:" % (path, line) in cp.stderr, cp.stderr
    assert "9007199254740991" in cp.stderr and "/deadline/business_days" in cp.stderr, cp.stderr
    cp = mez_env.mez("lock", "--profile-dir", os.path.join(mez_env.source_dir, "profiles"), "--akn-xsd",
                     mez_env.shared("schemas", "akn", "akomantoso30.xsd"), "--out",
                     os.path.join(dst, "new.lock"), os.path.join(dst, "zone.yaml"))
    assert cp.returncode != 0 and "pack.invalid_value" in cp.stderr, cp.stderr
    assert not os.path.exists(os.path.join(dst, "new.lock"))
    # The largest exact integer is still a valid deadline.
    dst, path, text, line = broken_copy(mez_env, "pk", "regpacks/pk-aml-cft.yaml", old,
                                        "deadline: {business_days: 9007199254740991, from: suspicion}")
    cp = pack_build(mez_env, path)
    assert cp.returncode == 0, cp.stderr

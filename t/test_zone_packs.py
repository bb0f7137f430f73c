# test_zone_packs.py: a zone started with MezZoneFile (packs/pk, the shipped stack.lock) serves its packs and
# laws read-only, each pack's manifest signed with the zone key and stored in the CAS tied to its pack; a pack
# that no longer matches the lock, or a missing lock, stops httpd at start-up naming the artifact with the
# expected and actual digest; `mez lock` / `mez zone check` agree with the server. The zone's calendar
# (zone.yaml's timezone) is read at start-up: GET /v1/zone says which and what day it is there; a name the
# machine has no zone for stops httpd. (Conflicts between the layers
# of a zone: test_composition.py.)
import datetime
import json
import os
import re
import shutil
import stat
import zoneinfo

import jsonschema
import pytest

from mez_harness import HarnessError, assert_problem

ZONE_ID = "pk-sifc"
LAWPACK = "pk-ito-2001-withholding"
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
ZERO = "sha256:" + "0" * 64


# ------------------------------------------------------------------------------------------------ helpers

def pk_source(mez_env):
    return os.path.join(mez_env.source_dir, "packs", "pk")


def copy_pk(mez_env, prefix="pk"):
    """A private copy of packs/pk, shipped stack.lock included (tests may edit it)."""
    dest = os.path.join(mez_env.new_dir(prefix), "pk")
    shutil.copytree(pk_source(mez_env), dest)
    return dest


def zone_args(mez_env):
    return ["--profile-dir", os.path.join(mez_env.source_dir, "profiles"),
            "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd")]


def read_lock(path):
    with open(path) as f:
        return json.load(f)


def change_a_rate(pk_dir):
    """Changes the first non-filer withholding rate of the TY2026 regpack (the lock is left as it was)."""
    path = os.path.join(pk_dir, "regpacks", "pk-wht-ty2026.yaml")
    with open(path) as f:
        text = f.read()
    m = re.search(r'non_filer: "([0-9.]+)"', text)
    assert m, "no non_filer rate in %s" % path
    new = "99" if m.group(1) != "99" else "98"
    with open(path, "w") as f:
        f.write(text[:m.start(1)] + new + text[m.end(1):])


@pytest.fixture(scope="module")
def spec(mez_env):
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        return json.load(f)


def check_openapi(spec, path, resp):
    """The answer matches what openapi/mez.openapi.json documents for (path, GET, status)."""
    answer = spec["paths"][path]["get"]["responses"][str(resp.status_code)]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    ctype = resp.headers["Content-Type"].split(";")[0].strip()
    schema = dict(answer["content"][ctype]["schema"])
    schema["components"] = spec["components"]
    jsonschema.validate(resp.json(), schema, cls=jsonschema.Draft202012Validator)


@pytest.fixture(scope="module")
def pk_copy(mez_env):
    return copy_pk(mez_env)


@pytest.fixture(scope="module")
def pk_zone(module_zones, driver, pk_copy):
    return module_zones(driver, zone_id=ZONE_ID, zone_file=os.path.join(pk_copy, "zone.yaml"))


@pytest.fixture(scope="module")
def built(mez_env):
    """kind, id -> digest as `mez pack build` computes them from the shipped files."""
    cp = mez_env.mez("pack", "build", "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd"),
                     pk_source(mez_env))
    assert cp.returncode == 0, cp.stderr
    found = {}
    for line in cp.stdout.splitlines():
        m = re.match(r"^(lawpack|regpack|licensepack) (\S+) (sha256:[0-9a-f]{64})$", line)
        if m:
            found[(m.group(1), m.group(2))] = m.group(3)
    return found


# ------------------------------------------------------------------------------------------------ the shipped lock

SHIPPED = ["pk", "ae-adgm"]


def shipped_lock(mez_env, jurisdiction):
    path = os.path.join(mez_env.source_dir, "packs", jurisdiction, "stack.lock")
    if jurisdiction != "pk" and not os.path.exists(path):
        pytest.skip("packs/%s has no stack.lock yet" % jurisdiction)
    return path


@pytest.mark.parametrize("jurisdiction", SHIPPED)
def test_shipped_lock_is_what_mez_lock_writes(mez_env, jurisdiction):
    """The shipped stack.lock is current and canonical: `mez lock` on a copy writes the same bytes."""
    shipped = shipped_lock(mez_env, jurisdiction)
    copy = os.path.join(mez_env.new_dir("relock"), jurisdiction)
    shutil.copytree(os.path.dirname(shipped), copy)
    os.unlink(os.path.join(copy, "stack.lock"))
    cp = mez_env.mez("lock", *zone_args(mez_env), os.path.join(copy, "zone.yaml"))
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(copy, "stack.lock"), "rb") as a, open(shipped, "rb") as b:
        assert a.read() == b.read(), "packs/%s/stack.lock is stale: run mez lock packs/%s/zone.yaml" % (
            jurisdiction, jurisdiction)


@pytest.mark.parametrize("jurisdiction", SHIPPED)
def test_shipped_locks_pass_zone_check(mez_env, jurisdiction):
    path = shipped_lock(mez_env, jurisdiction)
    cp = mez_env.mez("zone", "check", *zone_args(mez_env), os.path.join(os.path.dirname(path), "zone.yaml"))
    assert cp.returncode == 0, cp.stderr
    lock = read_lock(path)
    with open(os.path.join(mez_env.source_dir, "schemas", "stack-lock.schema.json")) as f:
        jsonschema.validate(lock, json.load(f), cls=jsonschema.Draft202012Validator)
    assert [(a["type"], a["path"]) for a in lock["artifacts"]] == \
        sorted((a["type"], a["path"]) for a in lock["artifacts"])
    digests = [lock["zone_manifest"], lock["profile"]["digest"]] + [a["digest"] for a in lock["artifacts"]]
    assert all(DIGEST_RE.match(d) and d != ZERO for d in digests), lock
    assert len(set(digests)) == len(digests), "two artifacts share a digest: %r" % lock


def test_zone_check_names_the_changed_artifact(mez_env):
    copy = copy_pk(mez_env, "tamper-cli")
    locked = {a["id"]: a["digest"] for a in read_lock(os.path.join(copy, "stack.lock"))["artifacts"]}
    change_a_rate(copy)
    cp = mez_env.mez("zone", "check", *zone_args(mez_env), os.path.join(copy, "zone.yaml"))
    assert cp.returncode == 1, cp.stderr
    assert "lock.digest_mismatch" in cp.stderr
    assert "regpack pk-wht-ty2026 (regpacks/pk-wht-ty2026.yaml)" in cp.stderr
    m = re.search(r"expected (sha256:[0-9a-f]{64}), actual (sha256:[0-9a-f]{64})", cp.stderr)
    assert m, cp.stderr
    assert m.group(1) == locked["pk-wht-ty2026"] and m.group(2) != m.group(1)
    # Only that pack differs: nothing else is reported.
    assert cp.stderr.count("lock.") == 1, cp.stderr


# ------------------------------------------------------------------------------------------------ a running zone

def test_packs_list(pk_zone, pk_copy, built, spec):
    r = pk_zone.get("/v1/packs")
    assert r.status_code == 200, r.text
    check_openapi(spec, "/v1/packs", r)
    body = r.json()
    assert body["zone_id"] == ZONE_ID
    packs = body["packs"]
    assert len(packs) == 5, packs
    lock = read_lock(os.path.join(pk_copy, "stack.lock"))
    assert {(p["type"], p["id"], p["digest"]) for p in packs} == \
        {(a["type"], a["id"], a["digest"]) for a in lock["artifacts"]}
    for p in packs:
        assert p["digest"] == built[(p["type"], p["id"])], p
        assert p["jurisdiction_id"] == "pk" and p["title"] and re.match(r"^\d{4}-\d{2}-\d{2}$", p["as_of_date"])
    assert {p["type"] for p in packs} == {"lawpack", "regpack", "licensepack"}
    assert len({p["digest"] for p in packs}) == 5
    # One layer (pk): nothing to compose, nothing to override.
    assert body["conflicts"] == [] and body["overrides"] == []
    # Reads carry an ETag (the lock's digest) and honour If-None-Match.
    assert r.headers["ETag"] == '"%s"' % body["stack_lock"]
    assert pk_zone.get("/v1/packs", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_pack_manifest_by_digest(pk_zone, spec):
    for p in pk_zone.get("/v1/packs").json()["packs"]:
        r = pk_zone.get("/v1/packs/" + p["digest"])
        assert r.status_code == 200, r.text
        check_openapi(spec, "/v1/packs/{digest}", r)
        m = r.json()
        assert m["digest"] == p["digest"] and m["pack_id"] == p["id"] and m["type"] == p["type"]
        assert m["id"] == "urn:mez:pack:" + p["digest"]
        assert m["sources"] and all(s["id"] and s["title"] for s in m["sources"]), m["sources"]
        # The signed manifest names its CAS artifact, whose digest tags the answer (it changes with each start).
        assert m["manifest_artifact"]["type"] == "manifest" and DIGEST_RE.match(m["manifest_artifact"]["digest"])
        assert r.headers["ETag"] == '"%s"' % m["manifest_artifact"]["digest"]
        assert pk_zone.get("/v1/packs/" + p["digest"], headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_pack_manifest_is_signed_by_the_zone(pk_zone):
    for p in pk_zone.get("/v1/packs").json()["packs"]:
        m = pk_zone.get("/v1/packs/" + p["digest"]).json()
        vc = m.pop("credential")
        m.pop("manifest_artifact")
        assert vc["type"] == ["VerifiableCredential", "PackManifestCredential"]
        assert vc["issuer"] == pk_zone.did
        assert vc["proof"]["verificationMethod"] == pk_zone.verification_method
        # The credential says exactly what the manifest says.
        assert vc["credentialSubject"] == m
        r = pk_zone.post("/v1/credentials/verify", json={"verifiableCredential": vc})
        assert r.status_code == 200, r.text
        assert "signature" in r.json()["checks"]
        # A manifest that claims another digest is not the zone's.
        forged = json.loads(json.dumps(vc))
        forged["credentialSubject"]["digest"] = ZERO
        r = pk_zone.post("/v1/credentials/verify", json={"verifiableCredential": forged})
        assert_problem(r, 422, code_prefix="vc.signature")


def test_pack_unknown_or_malformed_digest(pk_zone, spec):
    r = pk_zone.get("/v1/packs/" + ZERO)
    assert_problem(r, 404, "pack.not_found")
    check_openapi(spec, "/v1/packs/{digest}", r)
    for bad in ("sha256:xyz", "8c844c6cdce235f979b161e7a690eda1d826d4028df4b8eb33afc80785b37833",
                "sha256:" + "A" * 64, "sha256:" + "0" * 63):
        r = pk_zone.get("/v1/packs/" + bad)
        assert_problem(r, 400, "digest.invalid")
        check_openapi(spec, "/v1/packs/{digest}", r)
    assert_problem(pk_zone.get("/v1/packs/"), 404, "request.not_found")
    assert_problem(pk_zone.post("/v1/packs", json={}), 405, "request.method_not_allowed")


def test_law_section(pk_zone, pk_copy, mez_env, spec):
    r = pk_zone.get("/v1/laws/sec_153")
    assert r.status_code == 200, r.text
    check_openapi(spec, "/v1/laws/{eId}", r)
    law = r.json()
    assert law["lawpack"] == LAWPACK and law["eId"] == "sec_153" and law["element"] == "section"
    assert "153" in law["num"] and law["heading"] and len(law["text"]) > 100, law
    assert law["source"]["document"] == "akn/main.xml" and law["source"]["line"] > 0
    assert law["source"]["frbr_work"].startswith("/akn/pk/act/2001")
    packs = {p["id"]: p["digest"] for p in pk_zone.get("/v1/packs").json()["packs"]}
    assert law["lawpack_digest"] == packs[LAWPACK]
    # The same element as the CLI reads it from the files.
    cp = mez_env.mez("pack", "section", "--akn-xsd", mez_env.shared("schemas", "akn", "akomantoso30.xsd"),
                     os.path.join(pk_copy, "lawpacks", LAWPACK), "sec_153")
    assert cp.returncode == 0, cp.stderr
    cli = json.loads(cp.stdout)
    assert (cli["num"], cli["heading"], cli["text"], cli["line"]) == \
        (law["num"], law["heading"], law["text"], law["source"]["line"])
    # A clause, and the lawpack chosen explicitly.
    r = pk_zone.get("/v1/laws/sec_153__subsec_1__para_a", params={"lawpack": LAWPACK})
    assert r.status_code == 200, r.text
    assert r.json()["eId"] == "sec_153__subsec_1__para_a"
    assert pk_zone.get("/v1/laws/sec_153", headers={"If-None-Match": r.headers["ETag"]}).status_code == 200
    assert pk_zone.get("/v1/laws/sec_153__subsec_1__para_a", params={"lawpack": LAWPACK},
                       headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_law_not_found_and_bad_parameters(pk_zone, spec):
    for path, params in (("/v1/laws/sec_999", None), ("/v1/laws/sec_153", {"lawpack": "pk-other"})):
        r = pk_zone.get(path, params=params)
        assert_problem(r, 404, "law.not_found")
        check_openapi(spec, "/v1/laws/{eId}", r)
    r = pk_zone.get("/v1/laws/sec_153", params={"section": "153"})
    assert_problem(r, 400, "request.invalid_parameter")
    check_openapi(spec, "/v1/laws/{eId}", r)


def test_packs_are_in_the_cas(pk_zone, mez_env):
    for p in pk_zone.get("/v1/packs").json()["packs"]:
        path = os.path.join(pk_zone.data_dir, "cas", p["type"], p["digest"][len("sha256:"):])
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o444, oct(st.st_mode)
        if mez_env.server_user:
            import pwd
            assert pwd.getpwuid(st.st_uid).pw_name == mez_env.server_user
        cp = mez_env.mez("cas", "verify", "--datadir", pk_zone.data_dir, "--type", p["type"], p["digest"])
        assert cp.returncode == 0, cp.stderr


def test_signed_manifests_are_in_the_cas(pk_zone, mez_env):
    """Each signed manifest is a CAS artifact whose closure is itself and its pack."""
    for p in pk_zone.get("/v1/packs").json()["packs"]:
        m = pk_zone.get("/v1/packs/" + p["digest"]).json()
        digest = m["manifest_artifact"]["digest"]
        path = os.path.join(pk_zone.data_dir, "cas", "manifest", digest[len("sha256:"):])
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
        with open(path) as f:
            artifact = json.load(f)
        assert artifact == {"format": "mez-pack-manifest/1", "credential": m["credential"],
                            "references": [{"type": p["type"], "digest": p["digest"]}]}
        cp = mez_env.mez("cas", "verify", "--datadir", pk_zone.data_dir, "--type", "manifest", digest)
        assert cp.returncode == 0, cp.stderr
        assert "(closure of 2 artifacts)" in cp.stdout and "%s/%s" % (p["type"], p["digest"]) in cp.stdout


def test_zone_without_zone_file_has_no_packs(zone):
    r = zone.get("/v1/packs")
    assert r.status_code == 200, r.text
    assert r.json() == {"packs": [], "conflicts": [], "overrides": []}
    assert_problem(zone.get("/v1/packs/" + ZERO), 404, "pack.not_found")
    assert_problem(zone.get("/v1/laws/sec_153"), 404, "law.not_found")


# ------------------------------------------------------------------------------------------------ refusing to start

def start_fails(make_zone, driver, zone_file, zone_id=ZONE_ID):
    z = make_zone(driver, start=False, zone_id=zone_id, zone_file=zone_file)
    with pytest.raises(HarnessError):
        z.start(timeout=60)
    assert not z.running
    return z.error_log() + z.stderr_text()


def test_changed_pack_refuses_to_start(make_zone, driver, mez_env):
    copy = copy_pk(mez_env, "tamper")
    locked = {a["id"]: a["digest"] for a in read_lock(os.path.join(copy, "stack.lock"))["artifacts"]}
    change_a_rate(copy)
    log = start_fails(make_zone, driver, os.path.join(copy, "zone.yaml"))
    assert "lock.digest_mismatch" in log, log
    m = re.search(r"regpack pk-wht-ty2026 \(regpacks/pk-wht-ty2026\.yaml\) does not match the lock: "
                  r"expected (sha256:[0-9a-f]{64}), actual (sha256:[0-9a-f]{64})", log)
    assert m, log
    assert m.group(1) == locked["pk-wht-ty2026"] and m.group(2) != m.group(1)
    assert "refuses to start" in log


def test_missing_lock_refuses_to_start(make_zone, driver, mez_env):
    copy = copy_pk(mez_env, "nolock")
    os.unlink(os.path.join(copy, "stack.lock"))
    log = start_fails(make_zone, driver, os.path.join(copy, "zone.yaml"))
    assert "lock.missing" in log and "mez lock" in log, log


def test_a_named_pipe_for_a_lock_refuses_to_start_at_once(make_zone, driver, mez_env):
    """The lock was opened before its type was checked: a FIFO there left httpd waiting for a writer at start-up,
    forever. Now it is refused at once, saying what it is."""
    copy = copy_pk(mez_env, "fifolock")
    lock = os.path.join(copy, "stack.lock")
    os.unlink(lock)
    os.mkfifo(lock)
    log = start_fails(make_zone, driver, os.path.join(copy, "zone.yaml"))
    assert "%s is a named pipe (FIFO), not a regular file" % lock in log, log


def test_zone_id_must_match_mezzone(make_zone, driver, mez_env):
    copy = copy_pk(mez_env, "otherid")
    log = start_fails(make_zone, driver, os.path.join(copy, "zone.yaml"), zone_id="pk-other")
    assert "is zone 'pk-sifc', but MezZone" in log, log


def test_invalid_zone_file_refuses_to_start(make_zone, driver, mez_env):
    copy = copy_pk(mez_env, "badzone")
    path = os.path.join(copy, "zone.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("profile: sovereign-govos", "profile: sovereign-govos\nprofle: typo", 1))
    log = start_fails(make_zone, driver, path)
    assert "zone.unknown_key" in log and "zone.yaml:" in log and "/profle" in log, log


def test_zone_file_without_mezzone_refuses_to_start(make_zone, driver, mez_env):
    copy = copy_pk(mez_env, "nozoneid")
    z = make_zone(driver, start=False, mez_directives=False,
                  extra_conf="MezZoneFile %s\nMezProfileDir %s" % (os.path.join(copy, "zone.yaml"),
                                                                  os.path.join(mez_env.source_dir, "profiles")))
    with pytest.raises(HarnessError):
        z.start(timeout=60)
    assert "no server has MezZone" in z.error_log() + z.stderr_text()


# ------------------------------------------------------------------------------------------------ the zone's calendar

def zone_today(tz):
    return datetime.datetime.now(zoneinfo.ZoneInfo(tz)).date().isoformat()


def test_zone_reads_its_timezone(pk_zone):
    """packs/pk says timezone: Asia/Karachi: the day a write is judged on is Karachi's (UTC+5), which differs from
    UTC's from 19:00 to 24:00 UTC every day."""
    before = zone_today("Asia/Karachi")
    body = pk_zone.get("/v1/zone").json()
    after = zone_today("Asia/Karachi")
    assert body["timezone"] == "Asia/Karachi", body
    assert body["today"] in (before, after), (body, before, after)


def test_zone_without_zone_file_is_on_utc(zone):
    before = zone_today("UTC")
    body = zone.get("/v1/zone").json()
    assert body["timezone"] == "UTC" and body["today"] in (before, zone_today("UTC")), body


def with_timezone(copy, line):
    """Replaces the timezone line of a copy's zone.yaml (None: removes it)."""
    path = os.path.join(copy, "zone.yaml")
    with open(path) as f:
        text = f.read()
    assert "timezone: Asia/Karachi\n" in text
    with open(path, "w") as f:
        f.write(text.replace("timezone: Asia/Karachi\n", line + "\n" if line else "", 1))
    return path


def test_unknown_timezone_refuses_to_start(make_zone, driver, mez_env):
    """A zone whose timezone no IANA zone on the machine has is refused at load, naming the field, its line and
    the name, before anything else is read (the lock is not even reached)."""
    copy = copy_pk(mez_env, "marstz")
    path = with_timezone(copy, "timezone: Mars/Olympus")
    log = start_fails(make_zone, driver, path)
    assert "zone.unknown_timezone" in log and "/timezone" in log, log
    assert "there is no time zone 'Mars/Olympus'" in log and "zone.yaml:9:" in log, log
    cp = mez_env.mez("zone", "check", *zone_args(mez_env), path)
    assert cp.returncode == 1, cp
    assert "zone.unknown_timezone" in cp.stderr and "Mars/Olympus" in cp.stderr, cp.stderr
    cp = mez_env.mez("lock", *zone_args(mez_env), path)
    assert cp.returncode == 1 and "zone.unknown_timezone" in cp.stderr, cp.stderr


def test_timezone_that_is_a_path_is_refused(mez_env):
    for bad in ("timezone: ../../../etc/passwd", "timezone: /etc/localtime", "timezone: localtime"):
        path = with_timezone(copy_pk(mez_env, "pathtz"), bad)
        cp = mez_env.mez("zone", "check", *zone_args(mez_env), path)
        assert cp.returncode == 1 and "zone.invalid_value" in cp.stderr and "/timezone" in cp.stderr, cp.stderr


def test_zone_without_timezone_runs_on_utc_and_says_so(make_zone, driver, mez_env):
    """timezone is optional: without it the zone's dates are UTC's, which start-up and `mez zone check` warn of."""
    copy = copy_pk(mez_env, "utctz")
    path = with_timezone(copy, None)
    cp = mez_env.mez("lock", *zone_args(mez_env), path)
    assert cp.returncode == 0, cp.stderr
    cp = mez_env.mez("zone", "check", *zone_args(mez_env), path)
    assert cp.returncode == 0 and "has no timezone" in cp.stderr and "dates in UTC" in cp.stdout, cp
    z = make_zone(driver, zone_id=ZONE_ID, zone_file=path)
    assert z.get("/v1/zone").json()["timezone"] == "UTC"
    assert "zone pk-sifc has no timezone" in z.error_log()

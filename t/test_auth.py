# test_auth.py: AuthType mez (bearer tokens from `mez token create`) and Require mez-role, on a zone whose
# configuration protects POST /v1/credentials/issue for operators. Every refusal is a problem+json and writes
# nothing; the default harness zones stay unprotected.
import json
import os

import jsonschema
import pytest

from mez_harness import assert_problem, policy_conf, run, sample_credential

ISSUE = "/v1/credentials/issue"


def protected_conf(env, roles="operator"):
    return """
        LoadModule authn_core_module %s
        <Location /v1/credentials/issue>
          AuthType mez
          Require mez-role %s
        </Location>
    """ % (os.path.join(env.httpd_modules, "mod_authn_core.so"), roles)


@pytest.fixture(scope="module")
def authzone(module_zones, driver, mez_env):
    return module_zones(driver, extra_conf=protected_conf(mez_env))


def mez_token(zone, *args, check=True):
    # As httpd's user: a root-owned SQLite -wal/-shm file left by the CLI would lock httpd out.
    e = zone.env
    return run([e.mez_bin, "token", args[0], "--driver", zone.driver, "--params", zone.db.params] + list(args[1:]),
               env=e.env(), user=e.server_user, check=check)


def token(zone, role, *extra, zone_id=None):
    cp = mez_token(zone, "create", "--zone", zone_id or zone.zone_id, "--role", role, *extra)
    secret = cp.stdout.strip()
    assert secret.startswith("mez_") and len(secret) == 47, cp.stdout
    return secret


def token_list(zone):
    cp = mez_token(zone, "list")
    return [line.split("\t") for line in cp.stdout.splitlines()]


def issue(zone, secret=None, header=None):
    headers = {}
    if secret is not None:
        headers["Authorization"] = "Bearer " + secret
    if header is not None:
        headers["Authorization"] = header
    return zone.post(ISSUE, json={"credential": sample_credential(), "options": {}}, headers=headers)


def documented(zone, resp):
    """The answer is one openapi/mez.openapi.json lists for the route, in the shape it gives."""
    with open(os.path.join(zone.env.source_dir, "openapi", "mez.openapi.json")) as f:
        spec = json.load(f)
    answer = spec["paths"][ISSUE]["post"]["responses"][str(resp.status_code)]
    answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = dict(answer["content"]["application/problem+json"]["schema"], components=spec["components"])
    jsonschema.validate(resp.json(), schema, cls=jsonschema.Draft202012Validator)


def refused(zone, status, code, **kw):
    before = zone.count("mez_credential")
    r = issue(zone, **kw)
    assert_problem(r, status, code)
    documented(zone, r)
    if status == 401:
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers
    assert zone.count("mez_credential") == before
    return r


def test_no_token(authzone):
    refused(authzone, 401, "auth.missing_token")


def test_not_bearer(authzone):
    refused(authzone, 401, "auth.invalid_token", header="Basic dXNlcjpwYXNz")


def test_bad_token(authzone):
    refused(authzone, 401, "auth.invalid_token", secret="mez_" + "A" * 43)
    refused(authzone, 401, "auth.invalid_token", secret="not-a-mez-token")


def test_expired_token(authzone):
    refused(authzone, 401, "auth.expired_token",
            secret=token(authzone, "operator", "--expires", "2001-01-01T00:00:00Z"))


def test_expired_on_creation_is_said(authzone):
    cp = mez_token(authzone, "create", "--zone", authzone.zone_id, "--role", "operator", "--expires",
                   "2001-01-01T00:00:00Z")
    assert cp.returncode == 0 and cp.stdout.startswith("mez_")
    assert "expired already (at 2001-01-01T00:00:00Z)" in cp.stderr, cp.stderr
    cp = mez_token(authzone, "create", "--zone", authzone.zone_id, "--role", "operator", "--expires",
                   "2999-01-01T00:00:00Z")
    assert "expired" not in cp.stderr, cp.stderr


def test_revoked_token(authzone):
    secret = token(authzone, "operator")
    assert issue(authzone, secret).status_code == 201
    tid = [row[0] for row in token_list(authzone) if row[4] == "active" and row[1] == "operator"]
    for t in tid:
        mez_token(authzone, "revoke", t)
    refused(authzone, 401, "auth.revoked_token", secret=secret)
    # Revoking again changes nothing and writes no second audit row.
    before = authzone.count("mez_audit")
    cp = mez_token(authzone, "revoke", tid[0])
    assert cp.returncode == 0 and "was already revoked at" in cp.stdout, cp.stdout
    assert authzone.count("mez_audit") == before


def test_other_zones_token(authzone):
    refused(authzone, 401, "auth.invalid_token", secret=token(authzone, "operator", zone_id="some-other-zone"))


def test_regulator_forbidden(authzone):
    r = refused(authzone, 403, "auth.forbidden_role", secret=token(authzone, "regulator"))
    assert "WWW-Authenticate" not in r.headers


def test_entity_and_watcher_forbidden(authzone):
    refused(authzone, 403, "auth.forbidden_role", secret=token(authzone, "entity", "--entity", "ent-1"))
    refused(authzone, 403, "auth.forbidden_role", secret=token(authzone, "watcher"))


def test_operator_issues(authzone):
    before = authzone.count("mez_credential")
    r = issue(authzone, token(authzone, "operator", "--expires", "2999-01-01T00:00:00Z"))
    assert r.status_code == 201, r.text
    assert authzone.count("mez_credential") == before + 1


def test_other_routes_stay_open(authzone):
    assert authzone.get("/v1/zone").status_code == 200


def test_list_never_shows_secrets(authzone):
    secret = token(authzone, "watcher")
    cp = mez_token(authzone, "list")
    assert secret not in cp.stdout and secret[4:] not in cp.stdout
    assert all(len(row) == 7 and row[4] in ("active", "expired", "revoked") for row in token_list(authzone))
    # The holder, when the token names one, is the sixth column; "-" when it does not.
    named = token(authzone, "regulator", "--holder", "Sana Mir, SECP-0112")
    [row] = [r for r in token_list(authzone) if r[5] != "-"]
    assert row[1:] == ["regulator", authzone.zone_id, "-", "active", "Sana Mir, SECP-0112", "-"], row
    assert named not in mez_token(authzone, "list").stdout
    # A holder that is not a name is refused, and no token is made.
    before = authzone.count("mez_token")
    cp = mez_token(authzone, "create", "--zone", authzone.zone_id, "--role", "regulator", "--holder", "a\x01b",
                   check=False)
    assert cp.returncode == 1 and "token.invalid_holder" in cp.stderr and not cp.stdout.strip(), cp.stderr
    assert authzone.count("mez_token") == before
    assert authzone.db.query_value("SELECT COUNT(*) FROM mez_token WHERE token_hash LIKE '%%%s%%'" % secret[4:]) \
        in (0, "0")


def test_tokens_for_another_zones_mass_calls(authzone):
    """`mez token create --mass-zone Z`: a token of this zone for zone Z's calls to its Mass store, listed with Z in
    the last column and named in its audit row; a mass zone that is no zone id is refused, and nothing is made."""
    secret = token(authzone, "operator", "--mass-zone", "ae-dubai", "--holder", "ae-dubai's Mass gateway")
    [row] = [r for r in token_list(authzone) if r[6] != "-"]
    assert row[1:] == ["operator", authzone.zone_id, "-", "active", "ae-dubai's Mass gateway", "ae-dubai"], row
    assert secret not in mez_token(authzone, "list").stdout
    assert json.loads(authzone.db.query_value("SELECT detail FROM mez_audit WHERE action = 'token.create' AND "
                                              "resource_id = '%s'" % row[0]))["mass_zone_id"] == "ae-dubai"
    before = authzone.count("mez_token")
    for bad in ("AE-Dubai", "ae_dubai", "-ae", ""):
        cp = mez_token(authzone, "create", "--zone", authzone.zone_id, "--role", "operator", "--mass-zone", bad,
                       check=False)
        assert cp.returncode == 1 and "token.invalid_mass_zone" in cp.stderr and not cp.stdout.strip(), cp.stderr
    assert authzone.count("mez_token") == before


def test_cli_refusals(authzone):
    assert mez_token(authzone, "create", "--zone", "z", "--role", "admin", check=False).returncode == 1
    assert mez_token(authzone, "create", "--zone", "z", "--role", "entity", check=False).returncode == 1
    assert mez_token(authzone, "revoke", "no-such-id", check=False).returncode == 1
    assert mez_token(authzone, "create", check=False).returncode == 2
    for sub in ("create", "list", "revoke"):
        cp = authzone.env.mez("token", sub, "--help")
        assert cp.returncode == 0 and "usage: mez token" in cp.stdout


def test_unknown_role_stops_startup(make_zone, mez_env):
    z = make_zone("sqlite3", start=False, extra_conf=protected_conf(mez_env, "operator admin"))
    cp = z.config_test()
    assert cp.returncode != 0
    assert "'admin' is not one of" in cp.stderr + cp.stdout


# ------------------------------------------------------------------------------------------------ GET /v1/whoami

@pytest.fixture(scope="module")
def policyzone(module_zones, driver, mez_env):
    return module_zones(driver, name="whoami", extra_conf=policy_conf(mez_env))


def whoami(zone, secret=None):
    return zone.get("/v1/whoami", headers={"Authorization": "Bearer " + secret} if secret else {})


def test_whoami_tells_a_caller_who_it_is(policyzone):
    z = policyzone
    secret = token(z, "regulator", "--holder", "Sana Mir, SECP-0412", "--expires", "2099-01-01T00:00:00Z")
    [row] = [x for x in token_list(z) if x[5:6] == ["Sana Mir, SECP-0412"]]
    r = whoami(z, secret)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", r.text
    assert r.json() == {"principal": row[0], "role": "regulator", "authenticated_by": "token", "zone_id": z.zone_id,
                        "holder": "Sana Mir, SECP-0412", "expires_at": "2099-01-01T00:00:00Z"}
    ent = token(z, "entity", "--entity", "ent_" + "1" * 64)
    me = whoami(z, ent).json()
    assert me["role"] == "entity" and me["entity_id"] == "ent_" + "1" * 64 and "holder" not in me
    assert whoami(z, token(z, "watcher")).json()["role"] == "watcher"


def test_whoami_without_a_usable_token_is_401(policyzone):
    z = policyzone
    for secret in (None, "mez_" + "x" * 43):
        r = whoami(z, secret)
        assert_problem(r, 401, code_prefix="auth.")
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    gone = token(z, "operator")
    mez_token(z, "revoke", [x for x in token_list(z) if x[1] == "operator"][-1][0])
    assert_problem(whoami(z, gone), 401, "auth.revoked_token")

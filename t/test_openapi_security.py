# test_openapi_security.py: what the OpenAPI document says about who may call each operation (its `security`) is
# what a zone running the shipped conf/mez-policy.conf does. Every operation of the document is called without
# any credential: an operation the policy protects answers 401 and must declare a credential (no `{}`, the
# "anonymous is fine" alternative); one it leaves open must not answer 401 and must declare none or `{}`. A
# client generated from the document would otherwise send no token where one is needed, or an integrator would
# read a protected route as public.
import json
import os
import re

import pytest

from test_auth_matrix import policy_conf

PLACEHOLDER = {"digest": "sha256:" + "0" * 64, "eId": "sec_153", "jurisdiction": "pk-sifc", "path": "v1/entities",
               "seq": "1"}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield method.upper(), path, op


def needs_credential(op):
    sec = op.get("security", [])
    return bool(sec) and all(alt for alt in sec)


def concrete(path):
    return re.sub(r"\{([^}]+)\}", lambda m: PLACEHOLDER.get(m.group(1), "x_" + m.group(1)), path)


@pytest.fixture(scope="module")
def spec(mez_env):
    with open(os.path.join(mez_env.source_dir, "openapi", "mez.openapi.json")) as f:
        return json.load(f)


def test_declared_security_is_the_policy(module_zones, driver, mez_env, spec):
    zone = module_zones(driver, name="oasec", extra_conf=policy_conf(mez_env))
    wrong = []
    for method, path, op in operations(spec):
        r = zone.request(method, concrete(path), json={} if method != "GET" else None, validate=False)
        protected = r.status_code == 401
        if protected != needs_credential(op):
            wrong.append("%s %s: without a credential %d, the document declares security %s"
                         % (method, path, r.status_code, json.dumps(op.get("security"))))
        if protected:
            assert r.headers["Content-Type"].startswith("application/problem+json"), (method, path)
            assert r.json()["code"] == "auth.missing_token", (method, path, r.text)
    assert not wrong, "\n".join(wrong)


def test_forbidden_codes_are_documented(spec):
    """Each code a 403 of the zone API can carry is named where the security schemes are described."""
    text = json.dumps(spec["components"]["securitySchemes"])
    for code in ("auth.forbidden_role", "auth.not_entity_owner", "auth.forbidden_peer", "auth.not_peer"):
        assert code in text, code

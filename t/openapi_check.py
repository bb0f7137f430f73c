# openapi_check.py: checks an answer of a mez zone against openapi/mez.openapi.json, the document the zone serves
# at /v1/openapi.json. The harness (mez_harness.Zone.get/post/request) calls check() on every answer a test
# receives, so an undocumented status, Content-Type or body shape fails the test that met it.
#
# What is checked, for an answer to METHOD PATH:
#  - PATH is matched against the document's path templates ({x} is one segment; a parameter marked
#    x-mez-multi-segment takes the rest of the path, e.g. /mass/v1/{path}); the template with the most literal
#    segments wins. No template: the answer must be mez's 404 problem request.not_found. A template without
#    METHOD: mez's 405 problem request.method_not_allowed with an Allow header (or a 401/403 problem of
#    AuthType mez where the path is protected).
#  - the status is one the operation lists; the Content-Type (without parameters) one that response lists;
#  - the body validates against that response's schema (JSON Schema 2020-12, $refs into the document);
#    problem documents also say the answer's own status and a type of urn:mez:problem:<code>;
#  - where the schema names a Mass contract (x-mass-contract: {file, schema | pointer, deviations}), that part of
#    the body also validates against the contract in ../shared/schemas/mass/apis/, patched by the named
#    deviations (components.x-mass-contract-deviations: JSON Patch, RFC 6902) — the contracts are read from there,
#    never copied into the document.
# HEAD is checked as GET without a body. Answers that are not mez's — httpd's own HTML error pages for requests
# it refuses before (or without) the mez-api handler — are counted, not checked.
#
# Opt out: per call (zone.get(..., validate=False)), per zone (zone.validate_answers = False) or per run
# (MEZ_TEST_OPENAPI=0). MEZ_OPENAPI_STATS=<file>: at exit, the counts of checked and skipped answers are
# appended to that file as one JSON line.
import atexit
import copy
import json
import os
import re
import threading

import jsonschema

# httpd's own refusals (before or outside the handler): its HTML error page, never mez's problem+json.
HTTPD_STATUSES = {400, 403, 404, 405, 408, 411, 413, 414, 417, 431, 501}

_lock = threading.Lock()
_validators = {}
STATS = {"checked": 0, "contract_parts_checked": 0, "skipped_not_mez": 0, "opted_out": 0}


class OpenApiMismatch(AssertionError):
    pass


def enabled():
    return os.environ.get("MEZ_TEST_OPENAPI", "1") not in ("0", "no", "false")


SEEN = {}   # "METHOD template status" -> answers checked, for the stats file


def count(what, seen=None):
    with _lock:
        STATS[what] += 1
        if seen:
            SEEN[seen] = SEEN.get(seen, 0) + 1


def _write_stats():
    path = os.environ.get("MEZ_OPENAPI_STATS")
    if path and (STATS["checked"] or STATS["skipped_not_mez"] or STATS["opted_out"]):
        with open(path, "a") as f:
            f.write(json.dumps(dict(STATS, pid=os.getpid(), seen=SEEN), sort_keys=True) + "\n")


atexit.register(_write_stats)


def validator(source_dir, shared_dir):
    key = (source_dir, shared_dir)
    with _lock:
        if key not in _validators:
            _validators[key] = Validator(os.path.join(source_dir, "openapi", "mez.openapi.json"), shared_dir)
        return _validators[key]


def check(env, method, path, resp):
    """Checks resp (a requests.Response) against the document; raises OpenApiMismatch when it does not match."""
    validator(env.source_dir, env.shared_dir).check(method, path, resp)


# ------------------------------------------------------------------------------------------------ JSON Patch

def _pointer_tokens(pointer):
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError("not a JSON pointer: %r" % pointer)
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _resolve(doc, pointer):
    for t in _pointer_tokens(pointer):
        doc = doc[int(t)] if isinstance(doc, list) else doc[t]
    return doc


def json_patch(doc, ops):
    """RFC 6902 add, remove, replace and test, on doc in place."""
    for op in ops:
        tokens = _pointer_tokens(op["path"])
        parent = _resolve(doc, "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1]))
        last = tokens[-1]
        if isinstance(parent, list):
            idx = len(parent) if last == "-" else int(last)
        if op["op"] == "test":
            got = parent[idx] if isinstance(parent, list) else parent.get(last)
            if got != op["value"]:
                raise ValueError("JSON Patch test failed at %s: %r is not %r" % (op["path"], got, op["value"]))
        elif op["op"] == "remove":
            del parent[idx if isinstance(parent, list) else last]
        elif op["op"] == "add":
            if isinstance(parent, list):
                parent.insert(idx, copy.deepcopy(op["value"]))
            else:
                parent[last] = copy.deepcopy(op["value"])
        elif op["op"] == "replace":
            if isinstance(parent, list):
                parent[idx] = copy.deepcopy(op["value"])
            else:
                if last not in parent:
                    raise ValueError("JSON Patch replace of a missing member %s" % op["path"])
                parent[last] = copy.deepcopy(op["value"])
        else:
            raise ValueError("JSON Patch op %r is not supported here" % op["op"])
    return doc


# ------------------------------------------------------------------------------------------------ the checker

class Validator:
    def __init__(self, doc_path, shared_dir):
        with open(doc_path, encoding="utf-8") as f:
            self.spec = json.load(f)
        self.shared_dir = shared_dir
        self.components = self.spec.get("components", {})
        self.deviations = self.components.get("x-mass-contract-deviations", {})
        self.templates = []
        for template, item in self.spec["paths"].items():
            multi = set()
            for p in item.get("parameters", []) + [p for op in item.values() if isinstance(op, dict)
                                                   for p in op.get("parameters", [])]:
                if isinstance(p, dict) and p.get("x-mez-multi-segment"):
                    multi.add(p["name"])
            self.templates.append((template, self._template_re(template, multi),
                                   sum(1 for s in template.split("/") if s and "{" not in s)))
        self._cache = {}
        self._contracts = {}
        self._cache_lock = threading.Lock()

    @staticmethod
    def _template_re(template, multi):
        out = ""
        for part in re.split(r"(\{[^}]+\})", template):
            if part.startswith("{") and part.endswith("}"):
                out += "(.+)" if part[1:-1] in multi else "([^/]+)"
            else:
                out += re.escape(part)
        return re.compile("^" + out + "$")

    def match(self, path):
        best = None
        for template, rx, literals in self.templates:
            if rx.match(path) and (best is None or literals > best[1]):
                best = (template, literals)
        return best[0] if best else None

    def _deref(self, obj):
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj and seen < 10:
            obj = _resolve(self.spec, obj["$ref"][1:])
            seen += 1
        return obj

    def _schema_validator(self, key, schema):
        with self._cache_lock:
            v = self._cache.get(key)
            if v is None:
                root = dict(schema)
                root["components"] = self.components
                v = self._cache[key] = jsonschema.Draft202012Validator(root)
            return v

    # -------------------------------------------------------------- Mass contracts

    def _contract_validator(self, xc):
        key = (xc["file"], xc.get("schema"), xc.get("pointer"), tuple(xc.get("deviations", [])))
        with self._cache_lock:
            v = self._contracts.get(key)
            if v is not None:
                return v
        import yaml
        with open(os.path.join(self.shared_dir, "schemas", "mass", "apis", xc["file"]), encoding="utf-8") as f:
            contract = yaml.safe_load(f)
        for name in xc.get("deviations", []):
            if name not in self.deviations:
                raise OpenApiMismatch("the document names a Mass contract deviation %r it does not define" % name)
            json_patch(contract, self.deviations[name]["patch"])
        root = dict(contract)
        root["$ref"] = "#/components/schemas/" + xc["schema"] if xc.get("schema") else "#" + xc["pointer"]
        v = jsonschema.Draft202012Validator(root)
        with self._cache_lock:
            self._contracts[key] = v
        return v

    def _contract_parts(self, schema, where=(), depth=0):
        """(instance path, x-mass-contract) for every x-mass-contract the schema reaches by $ref, allOf, properties
        and items (an array's elements: "*" in the path)."""
        if depth > 12 or not isinstance(schema, dict):
            return
        schema = self._deref(schema)
        if not isinstance(schema, dict):
            return
        xc = schema.get("x-mass-contract")
        if xc and (xc.get("schema") or xc.get("pointer")):
            yield where, xc
        for sub in schema.get("allOf", []):
            yield from self._contract_parts(sub, where, depth + 1)
        for name, sub in schema.get("properties", {}).items():
            yield from self._contract_parts(sub, where + (name,), depth + 1)
        if isinstance(schema.get("items"), dict):
            yield from self._contract_parts(schema["items"], where + ("*",), depth + 1)

    def _instance_parts(self, part, where, at):
        """(instance path, value) of every part of the body a contract path names ("*": each array element)."""
        if not where:
            yield at, part
            return
        name, rest = where[0], where[1:]
        if name == "*":
            for i, item in enumerate(part if isinstance(part, list) else []):
                yield from self._instance_parts(item, rest, at + (str(i),))
        elif isinstance(part, dict) and part.get(name) is not None:
            yield from self._instance_parts(part[name], rest, at + (name,))

    # -------------------------------------------------------------- answers

    def fail(self, method, path, resp, why):
        body = resp.text[:1500] if resp.content else "(empty)"
        raise OpenApiMismatch("openapi/mez.openapi.json: %s %s answered %d (%s): %s\n--- body\n%s"
                              % (method, path, resp.status_code, resp.headers.get("Content-Type", "no Content-Type"),
                                 why, body))

    def check(self, method, path, resp):
        method = method.upper()
        head = method == "HEAD"
        path = path.split("?", 1)[0].split("#", 1)[0]
        ctype_full = resp.headers.get("Content-Type", "")
        ctype = ctype_full.split(";")[0].strip().lower()
        if ctype == "text/html" and resp.status_code in HTTPD_STATUSES and not resp.text.lstrip().startswith("{"):
            count("skipped_not_mez")       # httpd's own error page: the request never reached mez's handler
            return
        template = self.match(path)
        if template is None:
            return self._check_problem(method, path, resp, ctype, head, {404}, "request.not_found",
                                       "the path matches no path of the document")
        item = self.spec["paths"][template]
        op = item.get("get" if head else method.lower())
        if op is None:
            protected = any(isinstance(o, dict) and o.get("security") for o in item.values())
            allowed = {405} | ({401, 403} if protected else set())
            self._check_problem(method, template, resp, ctype, head, allowed,
                                "request.method_not_allowed" if resp.status_code == 405 else None,
                                "%s is not documented on %s" % (method, template))
            if resp.status_code == 405 and not resp.headers.get("Allow"):
                self.fail(method, path, resp, "a 405 answer without an Allow header")
            return
        status = str(resp.status_code)
        answer = op["responses"].get(status) or op["responses"].get(status[0] + "XX") or op["responses"].get("default")
        if answer is None:
            self.fail(method, path, resp, "status %s is not documented for %s %s (documented: %s)"
                      % (status, method, template, ", ".join(sorted(op["responses"]))))
        answer = self._deref(answer)
        content = answer.get("content")
        if not content:
            if resp.content and not head:
                self.fail(method, path, resp, "%s %s %s is documented without a body" % (method, template, status))
            count("checked", "%s %s %s" % (method, template, status))
            return
        if ctype not in content:
            self.fail(method, path, resp, "Content-Type %r is not documented for %s %s %s (documented: %s)"
                      % (ctype_full, method, template, status, ", ".join(sorted(content))))
        if head:
            if resp.content:
                self.fail(method, path, resp, "an answer to HEAD with a body")
            count("checked", "HEAD %s %s" % (template, status))
            return
        schema = content[ctype].get("schema", {})
        if ctype.endswith("json"):
            try:
                body = resp.json()
            except ValueError:
                self.fail(method, path, resp, "the body is not JSON")
        else:
            body = resp.text
        v = self._schema_validator((template, method, status, ctype), schema)
        errors = sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            self.fail(method, path, resp, "the body does not match the schema of %s %s %s %s: at /%s: %s"
                      % (method, template, status, ctype, "/".join(str(p) for p in e.absolute_path), e.message[:500]))
        if ctype == "application/problem+json":
            self._problem_consistent(method, path, resp, body)
        for where, xc in self._contract_parts(schema):
            for at, part in self._instance_parts(body, where, ()):
                errors = sorted(self._contract_validator(xc).iter_errors(part), key=lambda e: list(e.absolute_path))
                if errors:
                    e = errors[0]
                    self.fail(method, path, resp, "/%s does not match the Mass contract %s %s (deviations: %s): "
                              "at /%s: %s" % ("/".join(at), xc["file"], xc.get("schema") or xc.get("pointer"),
                                              ", ".join(xc.get("deviations", [])) or "none",
                                              "/".join(str(p) for p in e.absolute_path), e.message[:500]))
                count("contract_parts_checked")
        count("checked", "%s %s %s" % (method, template, status))

    def _problem_consistent(self, method, path, resp, body):
        if body.get("status") != resp.status_code:
            self.fail(method, path, resp, "the problem's status %r is not the answer's" % body.get("status"))
        if body.get("type") != "urn:mez:problem:%s" % body.get("code"):
            self.fail(method, path, resp, "the problem's type %r does not name its code %r"
                      % (body.get("type"), body.get("code")))

    def _check_problem(self, method, path, resp, ctype, head, statuses, code, why):
        if resp.status_code not in statuses:
            self.fail(method, path, resp, "%s, so the answer must be %s, not %d"
                      % (why, " or ".join(str(s) for s in sorted(statuses)), resp.status_code))
        if ctype != "application/problem+json":
            self.fail(method, path, resp, "%s: the answer must be an application/problem+json problem" % why)
        if not head:
            body = resp.json()
            v = self._schema_validator(("#Problem",), {"$ref": "#/components/schemas/Problem"})
            errors = list(v.iter_errors(body))
            if errors:
                self.fail(method, path, resp, "not a Problem: %s" % errors[0].message[:500])
            self._problem_consistent(method, path, resp, body)
            if code and body.get("code") != code:
                self.fail(method, path, resp, "%s: the problem's code must be %s" % (why, code))
        count("checked", "%s %s %d" % (method, "(a path not documented)" if code == "request.not_found" else path,
                                       resp.status_code))

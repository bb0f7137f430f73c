# test_metrics.py: GET /metrics in Prometheus text format 0.0.4, from counters in shared memory that every httpd
# child adds to. The zone runs two mpm_event children (its access log records which child served each request);
# requests spread over both must add up in one scrape, whichever child answers it. Routes are labelled by the
# route table's path (an id in the URI never becomes a label value), problems and unknown paths are counted,
# tensor evaluations by decision, credentials issued, each labelled with the zone.
import concurrent.futures
import os
import re
import shutil
import time

import pytest
import requests

from mez_harness import sample_credential

ZONE_ID = "pk-sifc"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{%s(?:,%s)*\})? ([0-9]+)$' % (LABEL, LABEL))
LABELS_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
HELP_RE = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$')
COUNTERS = ("mez_requests_total", "mez_tensor_evaluations_total", "mez_credentials_issued_total",
            "mez_mass_calls_total", "mez_audit_rows_total", "mez_metrics_dropped_total")


def two_children_conf(dir_):
    # Overrides the harness's StartServers 1 (the later directive wins); %P is the child's pid.
    return """
        StartServers 2
        MaxSpareThreads 40
        LogFormat "%%P %%>s %%U" mezpid
        CustomLog %s mezpid
    """ % os.path.join(dir_, "pids.log")


@pytest.fixture(scope="module")
def mzone(module_zones, driver, mez_env):
    work = mez_env.new_dir("metrics")
    dest = os.path.join(work, "pk")
    shutil.copytree(os.path.join(mez_env.source_dir, "packs", "pk"), dest)
    z = module_zones(driver, name="metrics", zone_id=ZONE_ID, zone_file=os.path.join(dest, "zone.yaml"),
                     extra_conf=two_children_conf(work))
    z.pid_log = os.path.join(work, "pids.log")
    return z


def parse(text):
    """{(name, frozenset(labels)): value}, checking every line's syntax and that HELP/TYPE precede samples."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("#"):
            m = HELP_RE.match(line)
            assert m, "bad comment line %r" % line
            if m.group(1) == "TYPE":
                assert m.group(3) == "counter", line
                typed.add(m.group(2))
            continue
        m = SAMPLE_RE.match(line)
        assert m, "line %r is not `name{labels} value`" % line
        name = m.group(1)
        assert name in typed, "%s has no # TYPE before it" % name
        labels = frozenset(LABELS_RE.findall(m.group(2) or ""))
        assert (name, labels) not in samples, "duplicate series %r" % line
        samples[(name, labels)] = int(m.group(3))
    return samples


def scrape(zone):
    r = zone.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].replace(" ", "") == "text/plain;version=0.0.4;charset=utf-8", r.headers
    return parse(r.text)


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


def wait_for(z, name, expected, **labels):
    """log_transaction counts a request after its answer went out: poll briefly until the count arrives."""
    deadline = time.monotonic() + 10
    while True:
        got = value(scrape(z), name, **labels)
        if got >= expected or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def payment(status):
    return {"action": {"type": "payment", "date": "2026-01-15", "jurisdiction": ZONE_ID, "payment_type": "services",
                       "amount": {"amount": "1000000", "currency": "PKR"}},
            "subject": {"id": "did:example:payer", "name": "Karachi Traders (Pvt) Ltd", "entity_class": "company",
                        "filer_status": "filer"},
            "counterparty": {"id": "did:example:payee", "name": "Indus Consulting", "entity_class": "company",
                             "filer_status": status}}


def test_format_and_every_counter(mzone):
    assert mzone.get("/healthz").status_code == 200
    assert wait_for(mzone, "mez_requests_total", 1, zone=ZONE_ID, route="/healthz", code="200") >= 1
    r = mzone.get("/metrics")
    assert r.status_code == 200
    samples = parse(r.text)
    names = {n for n, _ in samples}
    for c in COUNTERS:
        assert "# TYPE %s counter" % c in r.text, c
    # counters without labels exist from the start (0 rather than absent)
    assert ("mez_credentials_issued_total", frozenset({("zone", ZONE_ID)})) in samples
    assert ("mez_audit_rows_total", frozenset({("zone", ZONE_ID)})) in samples
    assert "mez_requests_total" in names
    for (name, labels) in samples:
        if name != "mez_metrics_dropped_total":
            assert dict(labels)["zone"] == ZONE_ID, (name, labels)
    assert value(samples, "mez_metrics_dropped_total") == 0


def test_requests_from_all_children_add_up(mzone):
    # /v1/zone: no other test (nor the harness) asks for it, so nothing else is still being counted
    before = value(scrape(mzone), "mez_requests_total", zone=ZONE_ID, route="/v1/zone", code="200")
    with open(mzone.pid_log) as f:
        skip = len(f.readlines())

    def hit(_):
        # a new connection each time, so the listener hands them to either child
        return requests.get(mzone.url("/v1/zone"), headers={"Connection": "close"}, timeout=30).status_code

    sent, pids = 0, set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(10):
            codes = list(pool.map(hit, range(40)))
            assert codes == [200] * len(codes)
            sent += len(codes)
            time.sleep(0.2)
            with open(mzone.pid_log) as f:
                pids = {line.split()[0] for line in f.readlines()[skip:] if line.split()[2] == "/v1/zone"}
            if len(pids) >= 2:
                break
    assert len(pids) >= 2, "all %d requests were served by one child: %s" % (sent, pids)
    got = wait_for(mzone, "mez_requests_total", before + sent, zone=ZONE_ID, route="/v1/zone", code="200")
    assert got == before + sent, (before, sent, got)


def test_routes_are_table_paths_not_uris(mzone):
    s0 = scrape(mzone)
    digests = ["sha256:%064x" % i for i in range(1, 6)]
    for d in digests:
        assert mzone.get("/v1/packs/" + d).status_code == 404
    for i in range(3):
        assert mzone.get("/no/such/place/%d" % i).status_code == 404
    bad = mzone.post("/v1/credentials/issue", data=b"{", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    got = wait_for(mzone, "mez_requests_total", value(s0, "mez_requests_total", zone=ZONE_ID, route="unmatched",
                                                      code="404") + 3, zone=ZONE_ID, route="unmatched", code="404")
    s1 = scrape(mzone)
    assert got == value(s0, "mez_requests_total", zone=ZONE_ID, route="unmatched", code="404") + 3
    assert value(s1, "mez_requests_total", zone=ZONE_ID, route="/v1/packs/", code="404") == \
        value(s0, "mez_requests_total", zone=ZONE_ID, route="/v1/packs/", code="404") + len(digests)
    assert value(s1, "mez_requests_total", zone=ZONE_ID, route="/v1/credentials/issue", code="400") == \
        value(s0, "mez_requests_total", zone=ZONE_ID, route="/v1/credentials/issue", code="400") + 1
    routes = {dict(labels)["route"] for (name, labels) in s1 if name == "mez_requests_total"}
    assert not any(d in r for r in routes for d in digests), routes
    assert not any(r.startswith("/no/") for r in routes), routes


def test_evaluations_and_credentials(mzone):
    s0 = scrape(mzone)
    decisions = []
    for status in ("filer", "non_filer"):
        r = mzone.post("/v1/compliance/evaluate", json=payment(status))
        assert r.status_code in (200, 422), r.text
        decisions.append(r.json()["evaluation"]["decision"])
    attested = dict(payment("filer"), attest=True)
    r = mzone.post("/v1/compliance/evaluate", json=attested)
    assert r.status_code in (200, 422), r.text
    decisions.append(r.json()["evaluation"]["decision"])
    issued = mzone.post("/v1/credentials/issue", json={"credential": sample_credential(), "options": {}})
    assert issued.status_code == 201, issued.text
    refused = mzone.post("/v1/credentials/issue", json={"credential": sample_credential(issuer="did:key:z6MkNotUs")})
    assert refused.status_code >= 400
    # a verification's decision (valid/invalid) is not a tensor evaluation
    vc = issued.json()["verifiableCredential"]
    assert mzone.post("/v1/credentials/verify", json={"verifiableCredential": vc}).status_code == 200

    wait_for(mzone, "mez_requests_total", value(s0, "mez_requests_total", zone=ZONE_ID, route="/v1/credentials/verify",
                                                code="200") + 1,
             zone=ZONE_ID, route="/v1/credentials/verify", code="200")
    s1 = scrape(mzone)
    for d in set(decisions):
        assert value(s1, "mez_tensor_evaluations_total", zone=ZONE_ID, decision=d) == \
            value(s0, "mez_tensor_evaluations_total", zone=ZONE_ID, decision=d) + decisions.count(d), d
    total = lambda s: sum(v for (n, _), v in s.items() if n == "mez_tensor_evaluations_total")  # noqa: E731
    assert total(s1) == total(s0) + len(decisions)
    # the attestation and the issued credential; not the refusal
    assert value(s1, "mez_credentials_issued_total", zone=ZONE_ID) == \
        value(s0, "mez_credentials_issued_total", zone=ZONE_ID) + 2


def test_metrics_only_get(mzone):
    r = mzone.post("/metrics", data=b"")
    assert r.status_code == 405
    assert r.headers["Allow"].startswith("GET")

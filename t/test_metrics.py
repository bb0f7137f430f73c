# test_metrics.py: GET /metrics in Prometheus text format 0.0.4, from counters in shared memory that every httpd
# child adds to. The zone runs two mpm_event children (its access log records which child served each request);
# requests spread over both must add up in one scrape, whichever child answers it. Routes are labelled by the
# route table's path (an id in the URI never becomes a label value), problems and unknown paths are counted,
# tensor evaluations by decision and by domain, credentials issued, each labelled with the zone. Corridor series
# come from two zones with a corridor (plain HTTP): receipts appended/pushed/failed per corridor, chain length,
# the peer's acknowledged length and the last checkpoint's age read from the database at scrape time, and the
# outcome of the last call to each peer, recorded when calls are made (a scrape calls no peer).
import concurrent.futures
import os
import re
import shutil
import time

import pytest
import requests

from mez_harness import free_port, run, sample_credential

ZONE_ID = "pk-sifc"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{%s(?:,%s)*\})? ([0-9]+)$' % (LABEL, LABEL))
LABELS_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
HELP_RE = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$')
COUNTERS = ("mez_requests_total", "mez_tensor_evaluations_total", "mez_credentials_issued_total",
            "mez_mass_calls_total", "mez_audit_rows_total", "mez_metrics_dropped_total",
            "mez_corridor_receipts_total", "mez_peer_calls_total", "mez_tensor_domain_decisions_total",
            "mez_problems_total")
GAUGES = ("mez_peer_up", "mez_peer_last_call_timestamp_seconds", "mez_mass_primitive_up", "mez_database_up",
          "mez_corridor_info", "mez_corridor_chain_length", "mez_corridor_peer_acked_length",
          "mez_corridor_checkpoint_age_seconds")
PRIMITIVES = ("entities", "identity", "fiscal", "ownership", "consent")


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
    samples, typed, done, current = {}, set(), set(), None
    for line in text.splitlines():
        if line.startswith("#"):
            m = HELP_RE.match(line)
            assert m, "bad comment line %r" % line
            if m.group(1) == "TYPE":
                assert m.group(3) == ("gauge" if m.group(2) in GAUGES else "counter"), line
                assert m.group(2) not in typed, "two TYPE lines for %s" % m.group(2)
                typed.add(m.group(2))
            continue
        m = SAMPLE_RE.match(line)
        assert m, "line %r is not `name{labels} value`" % line
        name = m.group(1)
        assert name in typed, "%s has no # TYPE before it" % name
        # the text format wants a family's samples together
        if name != current:
            assert name not in done, "%s's samples are not together" % name
            done.add(name)
            current = name
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
    for g in GAUGES:
        assert "# TYPE %s gauge" % g in r.text, g
    # the database answered the scrape, and every primitive is the sovereign store's
    assert value(samples, "mez_database_up", zone=ZONE_ID) == 1
    for p in PRIMITIVES:
        assert value(samples, "mez_mass_primitive_up", zone=ZONE_ID, primitive=p, endpoint="sovereign") == 1, p
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
    decisions, cells = [], []
    for status in ("filer", "non_filer"):
        r = mzone.post("/v1/compliance/evaluate", json=payment(status))
        assert r.status_code in (200, 422), r.text
        decisions.append(r.json()["evaluation"]["decision"])
        cells += [(d, v["state"]) for d, v in r.json()["evaluation"]["domains"].items()]
    attested = dict(payment("filer"), attest=True)
    r = mzone.post("/v1/compliance/evaluate", json=attested)
    assert r.status_code in (200, 422), r.text
    decisions.append(r.json()["evaluation"]["decision"])
    cells += [(d, v["state"]) for d, v in r.json()["evaluation"]["domains"].items()]
    assert cells
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
    # per domain: each evaluated domain's state, as the answers reported them
    for d, st in set(cells):
        assert value(s1, "mez_tensor_domain_decisions_total", zone=ZONE_ID, domain=d, decision=st) == \
            value(s0, "mez_tensor_domain_decisions_total", zone=ZONE_ID, domain=d, decision=st) + cells.count((d, st))
    dom = lambda s: sum(v for (n, _), v in s.items() if n == "mez_tensor_domain_decisions_total")  # noqa: E731
    assert dom(s1) == dom(s0) + len(cells)
    # the attestation and the issued credential; not the refusal
    assert value(s1, "mez_credentials_issued_total", zone=ZONE_ID) == \
        value(s0, "mez_credentials_issued_total", zone=ZONE_ID) + 2


def test_audit_rows_counts_every_committed_row(mzone):
    """mez_audit_rows_total counts every audit row a request committed, whatever appended it: an orchestrated write
    (entity.formation), a credential issue, a recorded evaluation; a refused request commits none. (It counted only
    the rows of mez_request_audit: a formation and an issue made two rows and counted one.)"""
    s0 = scrape(mzone)
    t0 = mzone.count("mez_audit")
    r = mzone.post("/v1/entities", json={"entity_type": "corporation", "legal_name": "Karachi Looms (Pvt) Ltd",
                                         "directors": [{"name": "Ayesha Siddiqui", "role": "director"}]})
    assert r.status_code in (200, 201, 202, 422), r.text
    assert mzone.post("/v1/credentials/issue", json={"credential": sample_credential()}).status_code == 201
    r = mzone.post("/v1/compliance/evaluate", json=dict(payment("filer"), attest=True))
    assert r.status_code in (200, 422), r.text
    refused = mzone.post("/v1/credentials/issue", json={"credential": sample_credential(issuer="did:key:z6MkNotUs")})
    assert refused.status_code >= 400
    t1 = mzone.count("mez_audit")
    assert t1 >= t0 + 3, (t0, t1)
    want = value(s0, "mez_audit_rows_total", zone=ZONE_ID) + (t1 - t0)
    assert wait_for(mzone, "mez_audit_rows_total", want, zone=ZONE_ID) == want
    time.sleep(0.3)                    # nothing more arrives late
    assert value(scrape(mzone), "mez_audit_rows_total", zone=ZONE_ID) == want


def test_problems_by_code(mzone):
    """Every problem answered is counted under its code: a malformed body, an unknown route, a missing entity."""
    s0 = scrape(mzone)
    answers = [mzone.post("/v1/compliance/evaluate", data=b"{not json", headers={"Content-Type": "application/json"}),
               mzone.get("/v1/no-such-route"),
               mzone.get("/v1/entities/ent_nope")]
    codes = [r.json()["code"] for r in answers]
    assert all(r.status_code >= 400 and r.headers["Content-Type"].startswith("application/problem+json")
               for r in answers), [(r.status_code, r.text) for r in answers]
    for c in set(codes):
        wait_for(mzone, "mez_problems_total", value(s0, "mez_problems_total", zone=ZONE_ID, code=c) + codes.count(c),
                 zone=ZONE_ID, code=c)
    s1 = scrape(mzone)
    for c in set(codes):
        assert value(s1, "mez_problems_total", zone=ZONE_ID, code=c) == \
            value(s0, "mez_problems_total", zone=ZONE_ID, code=c) + codes.count(c), c
    assert value(s1, "mez_problems_total", zone=ZONE_ID, code="other") == \
        value(s0, "mez_problems_total", zone=ZONE_ID, code="other")
    assert value(s1, "mez_metrics_dropped_total") == 0


def test_metrics_only_get(mzone):
    r = mzone.post("/metrics", data=b"")
    assert r.status_code == 405
    assert r.headers["Allow"].startswith("GET")


# ------------------------------------------------------------------------------------------------ corridors

def corridor_policy(env, peers):
    lines = ["LoadModule authn_core_module %s" % os.path.join(env.httpd_modules, "mod_authn_core.so"),
             "Include %s" % os.path.join(env.source_dir, "conf", "mez-policy.conf")]
    lines += ["MezPeer %s %s %s" % p for p in peers]
    return "\n".join(lines)


def operator(zone):
    e = zone.env
    cp = run([e.mez_bin, "token", "create", "--zone", zone.zone_id, "--role", "operator", "--driver", zone.driver,
              "--params", zone.db.params], env=e.env(), user=e.server_user, check=True)
    return {"Authorization": "Bearer " + cp.stdout.strip()}


@pytest.fixture(scope="module")
def cpair(module_zones, driver, mez_env):
    """pk-sifc (sequencer) and ae-adgm on their own httpd each, plus a configured peer nobody serves."""
    packs = mez_env.new_dir("metrics-corridor-packs")
    for src in ("pk", "ae-adgm"):
        shutil.copytree(os.path.join(mez_env.source_dir, "packs", src), os.path.join(packs, src))
    a = module_zones(driver, start=False, name="mc-pk", zone_id="pk-sifc", zone_file=os.path.join(packs, "pk", "zone.yaml"))
    b = module_zones(driver, start=False, name="mc-ae", zone_id="ae-adgm",
                     zone_file=os.path.join(packs, "ae-adgm", "zone.yaml"))
    ghost_did = mez_env.keygen(os.path.join(mez_env.new_dir("metrics-ghost"), "ghost.pem"))
    a.extra_conf = corridor_policy(mez_env, [("ae-adgm", b.url(""), b.did),
                                             ("ghost-zone", "http://127.0.0.1:%d" % free_port(), ghost_did)])
    b.extra_conf = corridor_policy(mez_env, [("pk-sifc", a.url(""), a.did)])
    for z in (a, b):
        z.write_conf()
        z.start()
        z.op = operator(z)
    return a, b


def zvalue(samples, zone, name, **labels):
    return value(samples, name, zone=zone.zone_id, **labels)


def series(samples, zone, name):
    return {frozenset(kv for kv in labels if kv[0] != "zone"): v for (n, labels), v in samples.items()
            if n == name and dict(labels).get("zone") == zone.zone_id}


def test_corridor_metrics(cpair):
    a, b = cpair
    t0 = int(time.time())
    r = a.post("/v1/corridors", json={"peer_zone_id": "ae-adgm"}, headers=a.op)
    assert r.status_code == 201 and r.json()["delivery"] == {"delivered": True}, r.text
    cid = r.json()["corridor_id"]
    assert b.post("/v1/corridors/%s/accept" % cid, headers=b.op).status_code == 200
    sa0, sb0 = scrape(a), scrape(b)
    # established, nothing appended yet; no checkpoint, so no age
    assert zvalue(sa0, a, "mez_corridor_info", corridor=cid, peer="ae-adgm", role="proposer", state="ACTIVE") == 1
    assert zvalue(sb0, b, "mez_corridor_info", corridor=cid, peer="pk-sifc", role="responder", state="ACTIVE") == 1
    assert zvalue(sa0, a, "mez_corridor_chain_length", corridor=cid) == 0
    assert frozenset({("corridor", cid)}) not in series(sa0, a, "mez_corridor_checkpoint_age_seconds")

    for i in range(3):
        r = a.post("/v1/corridors/%s/receipts" % cid, headers=a.op,
                   json={"transition": {"kind": "payment", "payload": {"amount_minor": 10 + i, "currency": "USD"}}})
        assert r.status_code == 201 and r.json()["delivery"] == {"delivered": True}, r.text
    assert a.post("/v1/corridors/%s/checkpoints" % cid, headers=a.op).status_code in (200, 201)
    assert b.post("/v1/corridors/%s/sync" % cid, headers=b.op).status_code == 200
    sa, sb = scrape(a), scrape(b)

    def delta(s1, s0, z, outcome):
        return zvalue(s1, z, "mez_corridor_receipts_total", corridor=cid, outcome=outcome) - \
            zvalue(s0, z, "mez_corridor_receipts_total", corridor=cid, outcome=outcome)
    assert (delta(sa, sa0, a, "appended"), delta(sa, sa0, a, "pushed"), delta(sa, sa0, a, "failed")) == (3, 3, 0)
    assert (delta(sb, sb0, b, "appended"), delta(sb, sb0, b, "pushed"), delta(sb, sb0, b, "failed")) == (3, 0, 0)
    # gauges from each zone's own database
    assert zvalue(sa, a, "mez_corridor_chain_length", corridor=cid) == 3
    assert zvalue(sb, b, "mez_corridor_chain_length", corridor=cid) == 3
    assert zvalue(sa, a, "mez_corridor_peer_acked_length", corridor=cid) == 3
    assert frozenset({("corridor", cid)}) not in series(sb, b, "mez_corridor_peer_acked_length")  # not b's to push
    for s, z in ((sa, a), (sb, b)):
        ages = series(s, z, "mez_corridor_checkpoint_age_seconds")
        assert 0 <= ages[frozenset({("corridor", cid)})] <= int(time.time()) - t0 + 2, ages
    # the last call to each peer got an answer, just now
    now = int(time.time())
    for s, z, peer in ((sa, a, "ae-adgm"), (sb, b, "pk-sifc")):
        assert zvalue(s, z, "mez_peer_up", peer=peer) == 1
        assert t0 - 1 <= zvalue(s, z, "mez_peer_last_call_timestamp_seconds", peer=peer) <= now
        assert zvalue(s, z, "mez_peer_calls_total", peer=peer, outcome="ok") >= 1
        assert zvalue(s, z, "mez_peer_calls_total", peer=peer, outcome="unreachable") == 0
    # label values are the zone's corridors and peers, nothing else
    assert {dict(k)["corridor"] for k in series(sa, a, "mez_corridor_receipts_total")} == {cid}
    assert {dict(k)["peer"] for k in series(sa, a, "mez_peer_calls_total")} == {"ae-adgm"}


def test_unreachable_peer_and_scrapes_call_nobody(cpair):
    a, b = cpair
    s0 = scrape(a)
    r = a.post("/v1/corridors", json={"peer_zone_id": "ghost-zone"}, headers=a.op)
    assert r.status_code == 201 and r.json()["delivery"]["delivered"] is False, r.text
    ghost = r.json()["corridor_id"]
    s1 = scrape(a)
    assert zvalue(s1, a, "mez_peer_up", peer="ghost-zone") == 0
    assert zvalue(s1, a, "mez_peer_calls_total", peer="ghost-zone", outcome="unreachable") == \
        zvalue(s0, a, "mez_peer_calls_total", peer="ghost-zone", outcome="unreachable") + 1
    assert zvalue(s1, a, "mez_corridor_info", corridor=ghost, peer="ghost-zone", role="proposer", state="DRAFT") == 1
    assert zvalue(s1, a, "mez_corridor_chain_length", corridor=ghost) == 0
    # scraping again calls no peer: every peer's calls and last-call time stay as they were
    time.sleep(1.1)
    s2 = scrape(a)
    for name in ("mez_peer_calls_total", "mez_peer_up", "mez_peer_last_call_timestamp_seconds"):
        assert series(s2, a, name) == series(s1, a, name), name


def test_receipts_that_cannot_be_pushed_fail(cpair):
    a, b = cpair
    cid = [dict(k)["corridor"] for k, v in series(scrape(a), a, "mez_corridor_chain_length").items() if v == 3][0]
    s0 = scrape(a)
    b.stop()
    r = a.post("/v1/corridors/%s/receipts" % cid, headers=a.op,
               json={"transition": {"kind": "payment", "payload": {"amount_minor": 99, "currency": "USD"}}})
    assert r.status_code == 201 and r.json()["delivery"]["delivered"] is False, r.text
    s1 = scrape(a)
    got = {o: zvalue(s1, a, "mez_corridor_receipts_total", corridor=cid, outcome=o) -
           zvalue(s0, a, "mez_corridor_receipts_total", corridor=cid, outcome=o) for o in ("appended", "pushed", "failed")}
    assert got == {"appended": 1, "pushed": 0, "failed": 1}
    assert zvalue(s1, a, "mez_corridor_chain_length", corridor=cid) == 4
    assert zvalue(s1, a, "mez_corridor_peer_acked_length", corridor=cid) == 3
    assert zvalue(s1, a, "mez_peer_up", peer="ae-adgm") == 0

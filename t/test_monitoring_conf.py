# test_monitoring_conf.py: the monitoring configuration shipped in conf/ matches what a zone serves.
# conf/grafana/mez-zones.json must load as JSON, be a dashboard with a zone variable, and every metric its
# PromQL expressions name must be a family (# TYPE line) of a running zone's /metrics; every expression is
# scoped to the selected zone. conf/prometheus/mez-scrape.yml must parse, scrape /metrics, keep the zone label
# the server gives, and its relabelling must turn a zone's host name into its zone.
import json
import os
import re

import yaml

METRIC_RE = re.compile(r"\b(mez_[a-z0-9_]+)\b")
TYPE_RE = re.compile(r"^# TYPE (\S+) (counter|gauge)$", re.M)


def load_dashboard(env):
    with open(os.path.join(env.source_dir, "conf", "grafana", "mez-zones.json")) as f:
        return json.load(f)


def expressions(dash):
    out = []
    for p in dash["panels"]:
        for q in p.get("targets", []):
            out.append((p["title"], q["expr"]))
        for sub in p.get("panels", []):
            for q in sub.get("targets", []):
                out.append((sub["title"], q["expr"]))
    return out


def test_dashboard_metrics_exist_in_a_zones_metrics(zone):
    dash = load_dashboard(zone.env)
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert "zone" in variables and "label_values(mez_database_up, zone)" in variables["zone"]["definition"]
    exprs = expressions(dash)
    assert len(exprs) >= 12
    r = zone.get("/metrics")
    assert r.status_code == 200
    families = set(TYPE_RE.findall(r.text))
    names = {n for n, _ in families}
    used = set()
    for title, e in exprs:
        found = METRIC_RE.findall(e)
        assert found, "%s: %s names no mez metric" % (title, e)
        used.update(found)
        # every selector is scoped to the zone the panel is for
        for sel in re.findall(r"mez_[a-z0-9_]+(\{[^}]*\})?", e):
            assert 'zone="$zone"' in sel, "%s: %s is not scoped to $zone" % (title, e)
    missing = used - names
    assert not missing, "the dashboard queries metrics no zone serves: %s" % sorted(missing)
    # and the panels the issue asks for are there
    wanted = {"mez_requests_total", "mez_tensor_evaluations_total", "mez_tensor_domain_decisions_total",
              "mez_corridor_chain_length", "mez_corridor_checkpoint_age_seconds", "mez_peer_up",
              "mez_mass_calls_total", "mez_mass_primitive_up"}
    assert wanted <= used, wanted - used
    # rates of counters, never of gauges
    kinds = dict(families)
    for title, e in exprs:
        for name in re.findall(r"(?:rate|increase)\((mez_[a-z0-9_]+)", e):
            assert kinds[name] == "counter", (title, name)


def test_scrape_config(mez_env):
    with open(os.path.join(mez_env.source_dir, "conf", "prometheus", "mez-scrape.yml")) as f:
        conf = yaml.safe_load(f)
    (job,) = conf["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["honor_labels"] is True
    assert job["file_sd_configs"][0]["files"]
    # Prometheus anchors relabel regexes at both ends; apply them as it does to targets without a zone label
    labels = {"__address__": "pk-sifc.zones.example.gov:443"}
    for rule in job["relabel_configs"]:
        src = ";".join(labels.get(s, "") for s in rule["source_labels"])
        m = re.fullmatch(rule.get("regex", "(.*)"), src)
        if m and rule.get("action", "replace") == "replace":
            labels[rule["target_label"]] = m.expand(rule.get("replacement", "$1").replace("$", "\\"))
    assert labels["zone"] == "pk-sifc" and labels["instance"] == "pk-sifc.zones.example.gov"
    # a zone label given with the target wins
    labels = {"__address__": "10.0.0.5:8443", "zone": "kz-aifc"}
    for rule in job["relabel_configs"]:
        src = ";".join(labels.get(s, "") for s in rule["source_labels"])
        m = re.fullmatch(rule.get("regex", "(.*)"), src)
        if m and rule.get("action", "replace") == "replace":
            labels[rule["target_label"]] = m.expand(rule.get("replacement", "$1").replace("$", "\\"))
    assert labels["zone"] == "kz-aifc" and labels["instance"] == "10.0.0.5"

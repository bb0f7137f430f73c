# test_watcher_exit.py: a corridor watcher's exit on a zone whose unbonding period is short (MezWatcherUnbondingPeriod
# 2s): the stake is held until the period has passed since the unbonding began, then returned once (DEACTIVATED,
# the event log's amount, the zone's audit row), and nothing moves a DEACTIVATED watcher again. (Rebonding and the
# default period: test_watchers.py, which slashes on a real corridor.)
import os
import time

import pytest

from mez_harness import assert_problem, policy_conf, token_headers


@pytest.fixture(scope="module")
def zone(module_zones, driver, mez_env):
    return module_zones(driver, name="exit", extra_conf=policy_conf(mez_env) + "\nMezWatcherUnbondingPeriod 2s")


def test_an_exit_returns_the_stake_after_the_unbonding_period(zone, mez_env):
    op = token_headers(zone, "operator")
    did = zone.env.keygen(os.path.join(mez_env.new_dir("exit-watcher"), "watcher.pem"))
    w = zone.post("/v1/watchers", json={"did": did, "stake": {"amount_minor": 1200, "currency": "PKR"}},
                  headers=op).json()
    path = "/v1/watchers/%s/complete-unbond" % w["watcher_id"]
    assert_problem(zone.post(path, headers=op), 409, "lifecycle.illegal_transition")   # ACTIVE: no exit begun
    assert zone.post("/v1/watchers/%s/unbond" % w["watcher_id"], headers=op).json()["state"] == "UNBONDING"
    events = zone.count("mez_watcher_event")
    assert_problem(zone.post(path, headers=op), 409, "watcher.unbonding")
    assert zone.count("mez_watcher_event") == events
    time.sleep(2.2)
    r = zone.post(path, headers=op)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["stake"]["amount_minor"]) == ("DEACTIVATED", 0)
    got = zone.get("/v1/watchers/" + w["watcher_id"], headers=op).json()
    last = got["events"][-1]
    assert (last["event"], last["from_state"], last["to_state"], last["amount_minor"]) == \
        ("complete_unbond", "UNBONDING", "DEACTIVATED", 1200)
    assert zone.db.query_value("SELECT COUNT(*) FROM mez_audit WHERE action = 'watcher.complete_unbond' AND "
                               "resource_id = '%s' AND outcome = 'committed'" % w["watcher_id"]) == "1"
    for move, body in (("complete-unbond", None), ("unbond", None),
                       ("rebond", {"stake": {"amount_minor": 5, "currency": "PKR"}})):
        assert_problem(zone.post("/v1/watchers/%s/%s" % (w["watcher_id"], move), json=body, headers=op), 409,
                       "lifecycle.illegal_transition")
    assert zone.count("mez_watcher_event") == events + 1
    # Only operators move watchers; an unknown one is 404.
    assert_problem(zone.post(path, headers=token_headers(zone, "regulator")), 403)
    assert_problem(zone.post("/v1/watchers/wat_%s/complete-unbond" % ("0" * 32), headers=op), 404,
                   "watcher.not_found")

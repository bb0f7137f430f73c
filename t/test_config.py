# test_config.py: the generated configuration passes `apache2 -t`; bad MezKeyFile / MezZone / MezMaxBodySize /
# MezClearanceApprovers / MezDBTimeout / MezWatcherUnbondingPeriod values stop httpd at configuration time with
# httpd's "Syntax error on line N of FILE" naming the directive.
import pytest


def test_config_ok(make_zone, driver):
    z = make_zone(driver, start=False)
    cp = z.config_test()
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "Syntax OK" in cp.stdout + cp.stderr


def assert_config_error(z, directive):
    cp = z.config_test()
    out = cp.stdout + cp.stderr
    assert cp.returncode != 0, out
    line = z.conf_line(directive)
    assert "Syntax error on line %d of %s" % (line, z.conf_file) in out, out
    assert directive in out, out
    # and it does not start either
    with pytest.raises(Exception):
        z.start(timeout=15)
    assert not z.running


def test_key_file_world_readable(make_zone, driver):
    z = make_zone(driver, start=False, key_mode=0o644)
    assert_config_error(z, "MezKeyFile")


def test_key_file_missing(make_zone, driver):
    z = make_zone(driver, start=False)
    z.key_file = z.key_file + ".missing"
    z.write_conf()
    assert_config_error(z, "MezKeyFile")


def test_bad_zone_id(make_zone, driver):
    z = make_zone(driver, start=False, zone_id="bad zone!")
    assert_config_error(z, "MezZone")


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_bad_max_body_size(make_zone, driver, value):
    z = make_zone(driver, start=False, max_body_size=value)
    assert_config_error(z, "MezMaxBodySize")


@pytest.mark.parametrize("value", ["0", "3", "two"])
def test_bad_clearance_approvers(make_zone, driver, value):
    z = make_zone(driver, start=False, extra_conf="MezClearanceApprovers " + value)
    assert_config_error(z, "MezClearanceApprovers")


@pytest.mark.parametrize("value", ["0", "3601", "-5", "soon", "2s"])
def test_bad_db_timeout(make_zone, driver, value):
    z = make_zone(driver, start=False, extra_conf="MezDBTimeout " + value)
    assert_config_error(z, "MezDBTimeout")


@pytest.mark.parametrize("value", ["off", "1", "3600"])
def test_db_timeout_accepted(make_zone, driver, value):
    z = make_zone(driver, start=False, extra_conf="MezDBTimeout " + value)
    cp = z.config_test()
    assert cp.returncode == 0, cp.stdout + cp.stderr


@pytest.mark.parametrize("value", ["-1d", "14w", "d", "3661d", "1.5d", "14dd"])
def test_bad_watcher_unbonding_period(make_zone, driver, value):
    z = make_zone(driver, start=False, extra_conf="MezWatcherUnbondingPeriod " + value)
    assert_config_error(z, "MezWatcherUnbondingPeriod")


@pytest.mark.parametrize("value", ["0", "14d", "36h", "90m", "30s", "3660d"])
def test_watcher_unbonding_period_accepted(make_zone, driver, value):
    z = make_zone(driver, start=False, extra_conf="MezWatcherUnbondingPeriod " + value)
    cp = z.config_test()
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_the_documented_defaults_parse_when_uncommented(make_zone, driver, mez_env):
    """conf/mez.conf shows each built-in default as a commented directive: an operator changes one by uncommenting
    its line, so every such line must be a directive httpd accepts as it stands (a remark after the arguments, on
    the same line, is read by httpd as more arguments: "MezMode takes one argument")."""
    import os
    import re
    with open(os.path.join(mez_env.source_dir, "conf", "mez.conf")) as f:
        lines = [m.group(1) for m in (re.match(r"^\s*#(Mez\w+\s.*)$", line) for line in f) if m]
    assert len(lines) >= 8, lines
    z = make_zone(driver, start=False, extra_conf="\n".join(lines))
    cp = z.config_test()
    assert cp.returncode == 0 and "Syntax OK" in cp.stdout + cp.stderr, "\n".join(lines) + "\n" + cp.stdout + cp.stderr

# conftest.py: pytest fixtures for mez's integration tests: the build (mez_env), a private PostgreSQL (pg_server),
# zones = key + database + one httpd each (zone, make_zone), every one parametrized over both database drivers.
#
# Environment: MEZ_BUILD_DIR (out-of-tree build), MEZ_SOURCE_DIR, MEZ_SHARED, MEZ_TEST_DRIVERS=sqlite3,pgsql,
# MEZ_KEEP_TMP=1 (keep the temporary zones, logs and database for a post-mortem), MEZ_TEST_TMPDIR.
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mez_harness  # noqa: E402
from mez_harness import MezEnv, PgServer, ZoneFactory  # noqa: E402

ALL_DRIVERS = ["sqlite3", "pgsql"]


def _drivers():
    wanted = [d.strip() for d in os.environ.get("MEZ_TEST_DRIVERS", ",".join(ALL_DRIVERS)).split(",")]
    return [d for d in ALL_DRIVERS if d in wanted]


def pytest_configure(config):
    config.addinivalue_line("markers", "harness: tests of the test harness itself")


def pytest_report_header(config):
    try:
        env = _env_singleton()
    except mez_harness.HarnessError as e:
        return ["mez: %s" % e]
    return ["mez: build %s, source %s, shared %s" % (env.build_dir, env.source_dir, env.shared_dir),
            "mez: httpd %s, postgres %s, drivers %s, tmp %s" % (env.apache2, env.pg_bin, ",".join(_drivers()),
                                                               env.tmp_dir)]


_ENV = []


def _env_singleton():
    if not _ENV:
        _ENV.append(MezEnv())
    return _ENV[0]


@pytest.fixture(scope="session")
def mez_env():
    try:
        env = _env_singleton()
    except mez_harness.HarnessError as e:
        pytest.exit("mez test harness: %s" % e, returncode=2)
    yield env
    env.cleanup()


@pytest.fixture(scope="session")
def _pg_holder(mez_env):
    """Starts PostgreSQL on first use only, so a sqlite3-only run never needs it."""
    holder = {}

    def get():
        if "srv" not in holder:
            holder["srv"] = PgServer(mez_env).start()
        return holder["srv"]
    yield get
    if "srv" in holder:
        holder["srv"].stop()


@pytest.fixture(scope="session")
def pg_server(_pg_holder):
    return _pg_holder()


@pytest.fixture(scope="module", params=_drivers())
def driver(request):
    return request.param


@pytest.fixture(scope="module")
def module_zones(mez_env, _pg_holder):
    f = ZoneFactory(mez_env, _pg_holder)
    yield f
    f.stop_all()


@pytest.fixture(scope="module")
def zone(module_zones, driver):
    """A migrated zone with default settings, shared by the tests of one module (per driver)."""
    return module_zones(driver)


@pytest.fixture
def make_zone(mez_env, _pg_holder):
    """make_zone(driver, start=True, migrate=True, max_body_size=..., zone_id=..., key_mode=..., extra_conf=...):
    zones for one test, stopped when it ends."""
    f = ZoneFactory(mez_env, _pg_holder)
    yield f
    f.stop_all()


@pytest.fixture
def workdir(mez_env):
    return mez_env.new_dir("work")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("setup", "call"):
        # The zones the test was given first (a module's zones of the other driver may still be running).
        used = []
        for v in getattr(item, "funcargs", {}).values():
            for z in (v if isinstance(v, (tuple, list)) else (v,)):
                if z in mez_harness.RUNNING_ZONES and z not in used:
                    used.append(z)
        for z in used + [z for z in list(mez_harness.RUNNING_ZONES) if z not in used]:
            log = z.error_log()
            if log:
                rep.sections.append(("error.log of %r (%s)" % (z, z.dir), log[-6000:]))

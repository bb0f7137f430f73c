# mez_harness.py: the integration-test harness: finds the build, runs the `mez` CLI, starts a private PostgreSQL
# and any number of independent httpd instances ("zones") with mod_mez, each on its own loopback port.
#
# Modelled on mod_md's test suite (test/pyhttpd): every zone gets a generated httpd.conf in its own temporary
# ServerRoot, a free port, its own PidFile/logs/runtime dir, and is stopped when the test (or module) is done.
# Zone(tls=mez_tls.ServerTLS(...)) serves HTTPS through mod_ssl with a CA the tests generate (t/mez_tls.py);
# its url() is then https:// and its get/post/request verify the server against that CA.
import base64
import glob
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import requests

import openapi_check

DEFAULT_MAX_BODY = 1048576
SERVER_USER = "www-data"
PG_SUPERUSER = "postgres"
VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
DID_KEY_RE = re.compile(r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+")

# Zones that are running now; conftest adds their error logs to the report of a failing test.
RUNNING_ZONES = []
_names = itertools.count(1)


class HarnessError(Exception):
    pass


def is_root():
    return os.geteuid() == 0


# Every port free_port() has handed out in this test process.
_PORTS_GIVEN = set()


# Under pytest-xdist (scripts/test.sh) each worker process hands out ports from a range of its own, below the
# kernel's ephemeral ports (32768 and up on Linux, where its client connections' ports come from): a port one
# worker gave a server it is about to start, or gave as one where nothing listens (a peer that is down), is never
# bound by another worker's server meanwhile. Without xdist, the kernel's choice (port 0) as before.
_PORT_FLOOR, _PORT_CEILING = 10000, 32000


def _worker_ports():
    """range of this xdist worker's ports, or None outside xdist."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    # A worker xdist started again after one crashed is numbered count or more: it has no range of its own (the
    # crashed one's ports may still be held), so it takes the kernel's ports, as outside xdist.
    if not (worker.startswith("gw") and worker[2:].isdigit() and count.isdigit()
            and 0 <= int(worker[2:]) < int(count)):
        return None
    size = (_PORT_CEILING - _PORT_FLOOR) // int(count)
    low = _PORT_FLOOR + size * int(worker[2:])
    return range(low, low + size)


def free_port():
    """A loopback port nobody listens on right now, and one this process has not handed out before (a small race
    with whoever else binds next remains; callers retry). Once its probing socket is closed the kernel may offer a
    port again, so two servers created before either starts could be given the same one: the second then fails to
    bind, and a probe of its /healthz is answered by the first, so that every request meant for it reaches the
    other server (seen as a zone answering with another's database, a relay that carried nothing)."""
    ports = _worker_ports()
    if ports is not None:
        for port in ports:
            if port in _PORTS_GIVEN:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue        # someone outside the test run holds it
            finally:
                s.close()
            _PORTS_GIVEN.add(port)
            return port
        raise HarnessError("every port of this test process's range %d-%d has been handed out"
                           % (ports.start, ports.stop - 1))
    held = []
    try:
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)      # kept bound until the end, so the kernel offers another port next
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port not in _PORTS_GIVEN:
                break
        _PORTS_GIVEN.add(port)
        return port
    finally:
        for s in held:
            s.close()


def run(cmd, *, env=None, input=None, user=None, cwd=None, timeout=120, check=False):
    """Runs a command, capturing text output. user: run as that system user (only when we are root)."""
    if user and is_root():
        cmd = ["runuser", "-u", user, "--"] + list(cmd)
    if isinstance(input, (dict, list)):
        input = json.dumps(input)
    cp = subprocess.run(cmd, env=env, input=input, cwd=cwd, timeout=timeout, capture_output=True, text=True)
    if check and cp.returncode != 0:
        raise HarnessError("command failed (exit %d): %s\n--- stdout\n%s\n--- stderr\n%s"
                           % (cp.returncode, " ".join(cmd), cp.stdout, cp.stderr))
    return cp


def chown_tree(path, user):
    """chown -R path to user (and its primary group); a no-op when we are not root."""
    if not is_root():
        return
    subprocess.run(["chown", "-R", "%s:" % user, path], check=True)


# ------------------------------------------------------------------------------------------------ environment

class MezEnv:
    """Where the build, the sources, the shared vectors and the system's httpd and PostgreSQL are."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.source_dir = os.path.abspath(os.environ.get("MEZ_SOURCE_DIR") or os.path.dirname(here))
        build = os.environ.get("MEZ_BUILD_DIR")
        if build:
            build = os.path.abspath(build)
        elif os.path.isdir(os.path.join(self.source_dir, "mod_mez", ".libs")):
            build = self.source_dir
        else:
            raise HarnessError("set MEZ_BUILD_DIR to the out-of-tree build directory (e.g. MEZ_BUILD_DIR=build): "
                               "%s has no mod_mez/.libs" % self.source_dir)
        self.build_dir = build
        self.shared_dir = os.path.abspath(os.environ.get("MEZ_SHARED")
                                          or os.path.join(self.source_dir, "..", "shared"))
        self.mod_so = os.path.join(build, "mod_mez", ".libs", "mod_mez.so")
        self.lib_dir = os.path.join(build, "libmezcore", ".libs")
        self.mez_bin = os.path.join(build, "cli", "mez")
        self.sql_dir = os.path.join(self.source_dir, "sql")
        for path in (self.mod_so, self.lib_dir, self.mez_bin, self.sql_dir):
            if not os.path.exists(path):
                raise HarnessError("%s is missing: build first (make in %s)" % (path, build))
        self.apache2 = os.environ.get("MEZ_HTTPD") or shutil.which("apache2") or "/usr/sbin/apache2"
        self.httpd_modules = os.environ.get("MEZ_HTTPD_MODULES") or "/usr/lib/apache2/modules"
        self.builtin_modules = self._builtin_modules()
        self.pg_bin = os.environ.get("MEZ_PG_BIN") or self._find_pg_bin()
        self.server_user = SERVER_USER if is_root() else None
        self.drivers = [d.strip() for d in os.environ.get("MEZ_TEST_DRIVERS", "sqlite3,pgsql").split(",")
                        if d.strip()]
        self.keep_tmp = bool(os.environ.get("MEZ_KEEP_TMP"))
        # One 0755 base directory for the whole run: httpd children (www-data) and PostgreSQL (postgres) must be
        # able to traverse it, which pytest's 0700 tmp_path is not.
        self.tmp_dir = tempfile.mkdtemp(prefix="mez-t-", dir=os.environ.get("MEZ_TEST_TMPDIR"))
        os.chmod(self.tmp_dir, 0o755)

    def _builtin_modules(self):
        try:
            out = subprocess.run([self.apache2, "-l"], capture_output=True, text=True, timeout=30).stdout
        except OSError as e:
            raise HarnessError("cannot run %s: %s (install apache2)" % (self.apache2, e))
        return set(re.findall(r"(mod_\w+)\.c", out))

    @staticmethod
    def _find_pg_bin():
        def version(path):
            m = re.search(r"/postgresql/(\d+)/", path)
            return int(m.group(1)) if m else 0
        cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
        if cands:
            return os.path.dirname(cands[-1])
        initdb = shutil.which("initdb")
        return os.path.dirname(initdb) if initdb else None

    def env(self):
        """Environment for httpd and the CLI: the build tree's libmezcore first."""
        e = dict(os.environ)
        e["LD_LIBRARY_PATH"] = self.lib_dir + (":" + e["LD_LIBRARY_PATH"] if e.get("LD_LIBRARY_PATH") else "")
        return e

    def mez(self, *args, input=None, check=False, timeout=120):
        """Runs the `mez` CLI from the build tree."""
        return run([self.mez_bin] + [str(a) for a in args], env=self.env(), input=input, check=check,
                   timeout=timeout)

    def keygen(self, path):
        """mez keygen --out path; returns the did:key it printed."""
        cp = self.mez("keygen", "--out", path, check=True)
        m = DID_KEY_RE.search(cp.stdout)
        if not m:
            raise HarnessError("mez keygen printed no did:key: %r" % cp.stdout)
        return m.group(0)

    def shared(self, *rel):
        return os.path.join(self.shared_dir, *rel)

    def new_dir(self, prefix):
        d = tempfile.mkdtemp(prefix=prefix + "-", dir=self.tmp_dir)
        os.chmod(d, 0o755)
        return d

    def cleanup(self):
        if not self.keep_tmp:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ databases

class PgServer:
    """A private PostgreSQL cluster: initdb --auth=trust into a fresh directory as a non-root user (postgres when
    we are root), listening only on 127.0.0.1:<free port>, its socket in the same directory."""

    def __init__(self, env):
        if not env.pg_bin or not os.path.exists(os.path.join(env.pg_bin, "initdb")):
            raise HarnessError("PostgreSQL server binaries not found (install the Debian package postgresql, "
                               "or set MEZ_PG_BIN)")
        self.env = env
        self.user = PG_SUPERUSER if is_root() else None
        self.dir = env.new_dir("pg")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = None
        self._dbs = itertools.count(1)
        os.mkdir(self.sock, 0o755)
        if self.user:
            chown_tree(self.dir, self.user)

    def _bin(self, name):
        return os.path.join(self.env.pg_bin, name)

    def _as_owner(self, cmd, **kw):
        return run(cmd, user=self.user, cwd=self.dir, **kw)

    def start(self):
        self._as_owner([self._bin("initdb"), "-D", self.data, "-U", PG_SUPERUSER, "--auth=trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"], check=True)
        last = None
        for _ in range(5):  # another process may grab the free port between free_port() and listen()
            self.port = free_port()
            last = self._pg_ctl("start")
            if last.returncode == 0:
                return self
        raise HarnessError("PostgreSQL did not start:\n%s\n%s\n%s" % (last.stdout, last.stderr, self.log_text()))

    def _pg_ctl(self, action):
        opts = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=300 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off" % (self.port, self.sock))
        return self._as_owner([self._bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-m", "fast",
                               "-w", "-t", "60", action])

    def restart(self):
        """pg_ctl restart -m fast on the same port: every client connection is cut."""
        cp = self._pg_ctl("restart")
        if cp.returncode != 0:
            raise HarnessError("PostgreSQL did not restart:\n%s\n%s" % (cp.stderr, self.log_text()))

    def stop(self):
        if self.port is not None:
            self._as_owner([self._bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"])
            self.port = None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def conninfo(self, dbname):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, dbname, PG_SUPERUSER)

    def createdb(self, prefix="mez"):
        name = "%s_%d" % (re.sub(r"[^a-z0-9_]", "_", prefix.lower()), next(self._dbs))
        run([self._bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_SUPERUSER, name], check=True)
        return name

    def psql(self, dbname, sql):
        cp = run([self._bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_SUPERUSER, "-d", dbname,
                  "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql], check=True)
        return cp.stdout.strip()


class SqliteDb:
    """The embedded default: one file in the zone's data dir, owned by the httpd user."""
    driver = "sqlite3"

    def __init__(self, env, path):
        self.env = env
        self.path = path
        self.params = path

    def query_value(self, sql):
        # Run as the httpd user: a root-owned -wal/-shm file created by our read would lock httpd out.
        script = ("import sqlite3, sys\n"
                  "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
                  "r = c.execute(sys.argv[2]).fetchone()\n"
                  "print('' if r is None or r[0] is None else r[0])\n")
        cp = run([sys.executable, "-c", script, self.path, sql], user=self.env.server_user,
                 cwd=os.path.dirname(self.path), check=True)
        return cp.stdout.strip()

    def execute(self, sql):
        """Runs one statement and commits it (tests that must put a database in a state no API reaches)."""
        script = ("import sqlite3, sys\n"
                  "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
                  "c.execute(sys.argv[2])\n"
                  "c.commit()\n")
        run([sys.executable, "-c", script, self.path, sql], user=self.env.server_user,
            cwd=os.path.dirname(self.path), check=True)

    def describe(self):
        return "sqlite3:%s" % self.path


class PgDb:
    driver = "pgsql"

    def __init__(self, server, name):
        self.server = server
        self.name = name
        self.params = server.conninfo(name)

    def query_value(self, sql):
        return self.server.psql(self.name, sql)

    def execute(self, sql):
        self.server.psql(self.name, sql)

    def describe(self):
        return "pgsql:%s" % self.params


# ------------------------------------------------------------------------------------------------ zones

class Zone:
    """One mez zone: its key, its database, and one httpd instance serving it on 127.0.0.1:<port>."""

    def __init__(self, env, driver, pg=None, *, name=None, zone_id=None, migrate=True,
                 max_body_size=DEFAULT_MAX_BODY, key_mode=None, extra_conf="", mez_directives=True,
                 zone_file=None, profile_dir=None, akn_schema=None, tls=None):
        if driver not in ("sqlite3", "pgsql"):
            raise HarnessError("unknown driver %r" % driver)
        if driver == "pgsql" and pg is None:
            raise HarnessError("a pgsql zone needs the PostgreSQL server fixture")
        self.env = env
        self.driver = driver
        self.pg = pg
        self.name = name or "zone%d" % next(_names)
        self.zone_id = zone_id if zone_id is not None else "test-%s-%s" % (self.name, driver)
        self.migrate = migrate
        self.max_body_size = max_body_size
        self.key_mode = key_mode
        self.extra_conf = extra_conf
        self.mez_directives = mez_directives
        self.tls = tls  # None: plain HTTP; a mez_tls.ServerTLS: mod_ssl with its certificates
        # zone_file: a zone.yaml for MezZoneFile (its packs are loaded and checked against its stack.lock at
        # start-up); the profiles default to the source tree's, the AKN schema to ../shared's.
        self.zone_file = zone_file
        self.profile_dir = profile_dir or os.path.join(env.source_dir, "profiles")
        self.akn_schema = akn_schema or env.shared("schemas", "akn", "akomantoso30.xsd")
        self.dir = env.new_dir(self.name)
        self.data_dir = os.path.join(self.dir, "data")
        self.run_dir = os.path.join(self.dir, "run")
        self.key_file = os.path.join(self.dir, "zone-key.pem")
        self.conf_file = os.path.join(self.dir, "httpd.conf")
        self.pid_file = os.path.join(self.dir, "httpd.pid")
        self.error_log_file = os.path.join(self.dir, "error.log")
        self.stderr_file = os.path.join(self.dir, "httpd.stderr")
        self.port = None
        self.did = None
        self.db = None
        self.proc = None
        self._created = False

    def __repr__(self):
        return "<Zone %s %s port=%s>" % (self.name, self.driver, self.port)

    # -------------------------------------------------------------- set-up

    def create(self):
        """Key, database (+ migration unless disabled) and httpd.conf; does not start httpd."""
        os.mkdir(self.data_dir, 0o755)
        os.mkdir(self.run_dir, 0o755)
        self.did = self.env.keygen(self.key_file)
        if self.key_mode is not None:
            os.chmod(self.key_file, self.key_mode)
        if self.driver == "sqlite3":
            self.db = SqliteDb(self.env, os.path.join(self.data_dir, "mez.sqlite"))
        else:
            self.db = PgDb(self.pg, self.pg.createdb("mez_" + self.name))
        if self.migrate:
            self.env.mez("db", "migrate", "--driver", self.driver, "--params", self.db.params,
                         "--sql-dir", self.env.sql_dir, check=True)
        if self.env.server_user:
            chown_tree(self.data_dir, self.env.server_user)
        self.port = free_port()
        self.write_conf()
        self._created = True
        return self

    def conf_text(self):
        e = self.env
        mods = e.httpd_modules
        lines = [
            "# generated by t/mez_harness.py for zone %s (%s)" % (self.name, self.driver),
            'ServerRoot "%s"' % self.dir,
            "ServerName 127.0.0.1",
            "Listen 127.0.0.1:%d%s" % (self.port, " https" if self.tls else ""),
            "PidFile %s" % self.pid_file,
            "DefaultRuntimeDir %s" % self.run_dir,
            "Mutex file:%s default" % self.run_dir,
            "ErrorLog %s" % self.error_log_file,
            "LoadModule mpm_event_module %s/mod_mpm_event.so" % mods,
            "LoadModule authz_core_module %s/mod_authz_core.so" % mods,
            "LoadModule dbd_module %s/mod_dbd.so" % mods,
        ]
        if "mod_log_config" not in e.builtin_modules:
            lines.append("LoadModule log_config_module %s/mod_log_config.so" % mods)
        if "mod_unixd" not in e.builtin_modules:
            lines.append("LoadModule unixd_module %s/mod_unixd.so" % mods)
        if self.tls:
            lines += self.tls.conf_lines(mods, e.builtin_modules, self.run_dir)
        lines += [
            "LoadModule mez_module %s" % e.mod_so,
            # after LoadModule: per-module log levels need the module loaded
            "LogLevel warn mez:debug",
            'LogFormat "%h %l %u %t \\"%r\\" %>s %b %D" mezt',
            "CustomLog %s mezt" % os.path.join(self.dir, "access.log"),
        ]
        if e.server_user:
            lines += ["User %s" % e.server_user, "Group %s" % e.server_user]
        lines += [
            "StartServers 1",
            "ServerLimit 2",
            "ThreadLimit 10",
            "ThreadsPerChild 10",
            "MaxRequestWorkers 20",
            "MinSpareThreads 5",
            "MaxSpareThreads 20",
            "KeepAliveTimeout 2",
            "Timeout 30",
            "DBDriver %s" % self.driver,
            'DBDParams "%s"' % self.db.params,
            "DBDMin 0",
            "DBDKeep 2",
            "DBDMax 10",
        ]
        if self.mez_directives:
            lines += [
                'MezZone "%s"' % self.zone_id,
                "MezKeyFile %s" % self.key_file,
                "MezDataDir %s" % self.data_dir,
                "MezMaxBodySize %s" % self.max_body_size,
            ]
            if self.zone_file:
                lines += [
                    "MezZoneFile %s" % self.zone_file,
                    "MezProfileDir %s" % self.profile_dir,
                    "MezAknSchema %s" % self.akn_schema,
                ]
        lines += [
            "<Location />",
            "  SetHandler mez-api",
            "</Location>",
        ]
        if self.extra_conf:
            # @PORT@: the port this zone listens on (it may change when a start loses the race for one)
            lines.append(textwrap.dedent(self.extra_conf).strip().replace("@PORT@", str(self.port)))
        return "\n".join(lines) + "\n"

    def write_conf(self):
        with open(self.conf_file, "w") as f:
            f.write(self.conf_text())

    def conf_line(self, prefix):
        """1-based line number of the first config line starting with prefix (for error-message checks)."""
        with open(self.conf_file) as f:
            for n, line in enumerate(f, 1):
                if line.strip().startswith(prefix):
                    return n
        raise HarnessError("%s not in %s" % (prefix, self.conf_file))

    def config_test(self):
        """apache2 -t on the generated config."""
        return run([self.env.apache2, "-t", "-d", self.dir, "-f", self.conf_file], env=self.env.env(), timeout=60)

    # -------------------------------------------------------------- httpd

    def start(self, timeout=30):
        """Runs httpd in the foreground (our child; its own process group) and waits until /healthz answers."""
        if not self._created:
            self.create()
        for attempt in range(3):
            with open(self.stderr_file, "ab") as err:
                self.proc = subprocess.Popen(
                    [self.env.apache2, "-d", self.dir, "-f", self.conf_file, "-DFOREGROUND"],
                    env=self.env.env(), stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                    start_new_session=True)
            RUNNING_ZONES.append(self)
            try:
                self._wait_live(timeout)
                return self
            except HarnessError:
                text = self.stderr_text() + self.error_log()
                self.stop()
                if "Address already in use" in text and attempt < 2:
                    self.port = free_port()  # lost the race for the port: take another one
                    self.write_conf()
                    continue
                raise

    def _holds_port(self):
        """Whether our httpd (its parent process) holds the socket listening on self.port: True, False, or None
        when /proc cannot tell (another system, or no permission)."""
        try:
            mine = set()
            for fd in os.listdir("/proc/%d/fd" % self.proc.pid):
                link = os.readlink("/proc/%d/fd/%s" % (self.proc.pid, fd))
                if link.startswith("socket:["):
                    mine.add(link[8:-1])
            with open("/proc/net/tcp") as f:
                rows = [line.split() for line in f.readlines()[1:]]
        except OSError:
            return None
        port = ":%04X" % self.port
        return any(r[1].endswith(port) and r[3] == "0A" and r[9] in mine for r in rows)

    def _wait_live(self, timeout):
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("httpd for %s exited with %s at start-up\n--- stderr\n%s\n--- error.log\n%s"
                                   % (self, self.proc.returncode, self.stderr_text(), self.error_log()))
            try:
                requests.get(self.url("/healthz"), timeout=2, **self._tls_kw(probe=True))
            except requests.RequestException:
                time.sleep(0.1)
                continue
            # Any HTTP answer: a server is up (tests check the status themselves). It must be this one, not another
            # server on the same port while ours failed to bind: ours must hold the listening socket (or, where
            # /proc cannot say, have outlived a failed bind, which ends httpd within a few hundred milliseconds).
            owns = self._holds_port()
            if owns is None:
                time.sleep(max(0.0, 0.4 - (time.monotonic() - started)))
            if owns is not False and self.proc.poll() is None:
                return
            time.sleep(0.05)
        if self.proc.poll() is not None:
            raise HarnessError("httpd for %s exited with %s at start-up\n--- stderr\n%s\n--- error.log\n%s"
                               % (self, self.proc.returncode, self.stderr_text(), self.error_log()))
        raise HarnessError("httpd for %s did not answer /healthz within %ss\n--- stderr\n%s\n--- error.log\n%s"
                           % (self, timeout, self.stderr_text(), self.error_log()))

    def stop(self, timeout=20):
        """SIGTERM to the parent (what `apache2 -k stop` sends), wait for it; SIGKILL its group as a last resort."""
        if self in RUNNING_ZONES:
            RUNNING_ZONES.remove(self)
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        # children belong to the process group we created; make sure none outlives the parent
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -------------------------------------------------------------- talking to it

    def url(self, path="/"):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port, path)

    def _tls_kw(self, probe=False, kw=None):
        """kw with the TLS defaults added (verify= the zone's CA; cert= a probe certificate for the harness's own
        requests to a zone that requires one); callers' own verify=/cert= win."""
        kw = dict(kw or {})
        if self.tls:
            for k, v in self.tls.request_defaults(probe=probe).items():
                kw.setdefault(k, v)
        return kw

    # Every answer is checked against openapi/mez.openapi.json (t/openapi_check.py: path, method, status,
    # Content-Type, body schema, Mass contracts). Opt out per call (validate=False), per zone
    # (zone.validate_answers = False) or per run (MEZ_TEST_OPENAPI=0).
    validate_answers = True

    def checked(self, method, path, resp, validate=True):
        if not (validate and self.validate_answers and openapi_check.enabled()):
            openapi_check.count("opted_out")
        else:
            openapi_check.check(self.env, method, path, resp)
        return resp

    def get(self, path, validate=True, **kw):
        kw.setdefault("timeout", 30)
        return self.checked("GET", path, requests.get(self.url(path), **self._tls_kw(kw=kw)), validate)

    def post(self, path, json=None, data=None, headers=None, validate=True, **kw):
        """json=: sent as application/json. data= (str/bytes/generator): sent as given, with headers as given."""
        kw.setdefault("timeout", 30)
        return self.checked("POST", path, requests.post(self.url(path), json=json, data=data, headers=headers,
                                                         **self._tls_kw(kw=kw)),
                            validate)

    def request(self, method, path, validate=True, **kw):
        kw.setdefault("timeout", 30)
        return self.checked(method, path, requests.request(method, self.url(path), **self._tls_kw(kw=kw)), validate)

    def count(self, table):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
            raise HarnessError("bad table name %r" % table)
        return int(self.db.query_value("SELECT count(*) FROM %s" % table))

    def error_log(self):
        try:
            with open(self.error_log_file, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stderr_text(self):
        try:
            with open(self.stderr_file, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def verification_method(self):
        return "%s#%s" % (self.did, self.did[len("did:key:"):])


class ZoneFactory:
    """Makes zones and stops every one of them at teardown."""

    def __init__(self, env, pg_getter):
        self.env = env
        self._pg_getter = pg_getter
        self.zones = []
        self._lock = threading.Lock()

    def __call__(self, driver, start=True, **kw):
        pg = self._pg_getter() if driver == "pgsql" else None
        z = Zone(self.env, driver, pg, **kw)
        with self._lock:
            self.zones.append(z)
        z.create()
        if start:
            z.start()
        return z

    def stop_all(self):
        for z in self.zones:
            z.stop()
        self.zones.clear()


# ------------------------------------------------------------------------------------------------ problems

PROBLEM_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "pattern": "^urn:mez:problem:"},
        "title": {"type": "string", "minLength": 1},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)+$"},
        "detail": {"type": "string"},
        "pointer": {"type": "string", "pattern": "^(/.*)?$"},
    },
}


def policy_conf(env):
    """httpd lines for the shipped authorisation policy (conf/mez-policy.conf) and the module it needs."""
    return "LoadModule authn_core_module %s\nInclude %s" % (
        os.path.join(env.httpd_modules, "mod_authn_core.so"), os.path.join(env.source_dir, "conf", "mez-policy.conf"))


def pk_zone_file(env, name):
    """A copy of the shipped Pakistan packs (packs/pk) in a new directory named after name: its zone.yaml, for a
    pk-sifc zone (each zone checks and stores its own copy)."""
    dest = os.path.join(env.new_dir(name), "pk")
    shutil.copytree(os.path.join(env.source_dir, "packs", "pk"), dest)
    return os.path.join(dest, "zone.yaml")


UN_LIST_FILE = "regpacks/un-consolidated.yaml"


def import_un_list(env, zone_file):
    """Imports the UN Security Council Consolidated List (../shared's copy) into the packs of zone_file as `mez
    deploy --sanctions-un` does: `mez sanctions import-un` into regpacks/un-consolidated.yaml, that file listed
    among zone.yaml's regpacks, and `mez lock`. A zone in MezMode production whose zone.yaml declares the list
    (every shipped pack does) does not start without it. Returns zone_file."""
    import yaml
    pack_dir = os.path.dirname(zone_file)
    with open(zone_file) as f:
        z = yaml.safe_load(f)
    env.mez("sanctions", "import-un", "--jurisdiction", z["jurisdiction_id"], "--out",
            os.path.join(pack_dir, UN_LIST_FILE), env.shared("data", "sanctions", "un-consolidated.xml"), check=True)
    z["packs"].setdefault("regpacks", []).append(UN_LIST_FILE)
    with open(zone_file, "w") as f:
        yaml.safe_dump(z, f)
    env.mez("lock", "--profile-dir", os.path.join(env.source_dir, "profiles"), "--akn-xsd",
            env.shared("schemas", "akn", "akomantoso30.xsd"), zone_file, check=True)
    return zone_file


def peer_policy(env, peers, ca_file=None):
    """httpd lines for a zone of a corridor test: the shipped policy (conf/mez-policy.conf), its MezPeer lines
    (zone id, url, did), for TLS between zones the peers' CA (MezPeerCAFile), and the name its peers address it
    by (MezPublicAuthority: every peer request of the corridor tests is checked against it)."""
    lines = policy_conf(env).split("\n")
    if ca_file:
        lines.append("MezPeerCAFile %s" % ca_file)
    lines += ["MezPeer %s %s %s" % p for p in peers]
    lines.append("MezPublicAuthority 127.0.0.1:@PORT@")
    return "\n".join(lines)


def console_conf(env):
    """httpd lines serving the regulator console (htdocs/regulator) from the source tree, as `mez deploy` does:
    the modules it needs, conf/mez-regulator.conf and the directory it is given."""
    loads = ["LoadModule %s_module %s" % (m, os.path.join(env.httpd_modules, "mod_%s.so" % m))
             for m in ("alias", "mime", "dir", "headers")]
    return "\n".join(loads + [
        "TypesConfig %s" % ("/etc/mime.types" if os.path.exists("/etc/mime.types") else "/dev/null"),
        "Define MEZ_CONSOLE_DIR %s" % os.path.join(env.source_dir, "htdocs", "regulator"),
        "Include %s" % os.path.join(env.source_dir, "conf", "mez-regulator.conf")])


NODE_MODULES = "/usr/share/nodejs"   # Debian's node-jsdom


def drive_console(zone, token, step, *args):
    """The regulator console run in a DOM against zone over HTTP(S) (t/console/drive.mjs): what the page shows
    after step, as a dict. Skips the test where node or Debian's node-jsdom is missing."""
    import pytest
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(NODE_MODULES, "jsdom")):
        pytest.skip("node and Debian's node-jsdom are needed to run the console")
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    if zone.tls:
        env["NODE_EXTRA_CA_CERTS"] = zone.tls.ca_file
    cp = subprocess.run([node, os.path.join(zone.env.source_dir, "t", "console", "drive.mjs"),
                         os.path.join(zone.env.source_dir, "htdocs", "regulator"), zone.url(""), token, step]
                        + list(args), capture_output=True, text=True, timeout=120, env=env)
    if cp.returncode != 0:
        raise HarnessError("t/console/drive.mjs %s failed: %s" % (step, cp.stderr[-3000:]))
    return json.loads(cp.stdout)


def token_secret(zone, role, entity=None, holder=None, mass_zone=None):
    """A new token of role for zone (`mez token create`, as the httpd user; --entity for an entity token, --holder
    for the person holding it, --mass-zone for another zone's calls to zone's Mass store)."""
    e = zone.env
    args = [e.mez_bin, "token", "create", "--zone", zone.zone_id, "--role", role]
    if entity:
        args += ["--entity", entity]
    if holder:
        args += ["--holder", holder]
    if mass_zone:
        args += ["--mass-zone", mass_zone]
    cp = run(args + ["--driver", zone.driver, "--params", zone.db.params], env=e.env(), user=e.server_user,
             check=True)
    return cp.stdout.strip()


def token_headers(zone, role, entity=None, holder=None):
    """An Authorization header with a new token of role for zone (token_secret)."""
    return {"Authorization": "Bearer " + token_secret(zone, role, entity, holder)}


def proscribed_name(env):
    """The first entry of packs/pk's proscribed organisations list (a name every pk-sifc zone hard-blocks)."""
    import yaml
    with open(os.path.join(env.source_dir, "packs", "pk", "regpacks", "pk-proscribed.yaml")) as f:
        return yaml.safe_load(f)["lists"][0]["entries"][0]["name"]


def sql_dir_before(env, workdir, version):
    """A copy of the shipped migrations that stops before step `version` (both drivers), for a database as an
    older build left it: `mez db migrate --sql-dir` on it, then on env.sql_dir, is an upgrade."""
    old = os.path.join(workdir, "sql-%d" % (version - 1))
    for d in ("sqlite3", "pgsql"):
        os.makedirs(os.path.join(old, d))
        for f in sorted(os.listdir(os.path.join(env.sql_dir, d))):
            if f < "%04d" % version:
                shutil.copy(os.path.join(env.sql_dir, d, f), os.path.join(old, d))
    return old


def assert_problem(resp, status, code=None, code_prefix=None, pointer=None):
    """Checks an RFC 9457 problem answer; returns its body."""
    import jsonschema
    ctype = resp.headers.get("Content-Type", "")
    assert resp.status_code == status, "expected %d, got %d: %s" % (status, resp.status_code, resp.text[:2000])
    assert ctype.split(";")[0].strip() == "application/problem+json", \
        "Content-Type %r, body %s" % (ctype, resp.text[:2000])
    body = resp.json()
    jsonschema.validate(body, PROBLEM_SCHEMA, cls=jsonschema.Draft202012Validator)
    assert body["status"] == status, body
    assert body["type"] == "urn:mez:problem:" + body["code"], body
    if code is not None:
        assert body["code"] == code, body
    if code_prefix is not None:
        assert body["code"].startswith(code_prefix), body
    if pointer is not None:
        assert body.get("pointer") == pointer, body
    return body


# ------------------------------------------------------------------------------------------------ credentials

def sample_credential(subject_id="did:example:ebfeb1f712ebc6f1c276e12ec21", **extra):
    """A VC 2.0 credential without issuer or proof, as a client would submit it for issuing."""
    c = {
        "@context": [VC_CONTEXT_V2, "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:%s" % _uuid(),
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": subject_id, "alumniOf": {"name": "Example University"}},
    }
    c.update(extra)
    return c


def _uuid():
    import uuid
    return str(uuid.uuid4())


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(s):
    n = 0
    for ch in s:
        n = n * 58 + _B58.index(ch)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(s) - len(s.lstrip("1"))) + body


def jcs(obj):
    """RFC 8785 for the documents tests build (strings, integers, nested objects/arrays, BMP keys): Python's
    sorted keys equal UTF-16 order there, and integers serialise the same. Not a general JCS."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def ed25519_pem_from_seed(seed):
    """PKCS#8 PEM of an Ed25519 private key from its 32-byte seed."""
    der = bytes.fromhex("302e020100300506032b657004220420") + seed
    b64 = base64.b64encode(der).decode()
    return "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % b64


def openssl_sign(key_file, data, workdir):
    """Ed25519 signature of data with the PEM key, by the openssl command (independent of libmezcore)."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise HarnessError("openssl command not found")
    fd, path = tempfile.mkstemp(dir=workdir)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    try:
        cp = subprocess.run([openssl, "pkeyutl", "-sign", "-inkey", key_file, "-rawin", "-in", path],
                            capture_output=True, timeout=30)
        if cp.returncode != 0:
            raise HarnessError("openssl pkeyutl failed: %s" % cp.stderr.decode(errors="replace"))
        return cp.stdout
    finally:
        os.unlink(path)


def sign_eddsa_jcs_2022(document, key_file, verification_method, workdir, *, purpose="assertionMethod",
                        created="2024-01-01T00:00:00Z", challenge=None, domain=None):
    """Adds a DataIntegrityProof (eddsa-jcs-2022, W3C vc-di-eddsa section 3.3) made outside libmezcore:
    proofConfig gets the document's @context; signature over sha256(JCS(proofConfig)) || sha256(JCS(document))."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    if "@context" in unsecured:
        proof["@context"] = unsecured["@context"]
    hash_data = hashlib.sha256(jcs(proof)).digest() + hashlib.sha256(jcs(unsecured)).digest()
    sig = openssl_sign(key_file, hash_data, workdir)
    proof["proofValue"] = "z" + b58encode(sig)
    secured = dict(unsecured)
    secured["proof"] = proof
    return secured


def did_vm(did):
    return "%s#%s" % (did, did[len("did:key:"):])


def signature_digest(headers):
    """How a zone names a peer's signature in its refusal records (GET /v1/peers/refusals): SHA-256 of the
    signature's bytes, from the Signature field of an RFC 9421 request ("label=:base64:")."""
    b64 = headers["Signature"].split("=", 1)[1].split(":")[1]
    return "sha256:" + hashlib.sha256(base64.b64decode(b64)).hexdigest()

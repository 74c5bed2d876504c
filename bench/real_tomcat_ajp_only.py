#!/usr/bin/python3
"""The checks of scenarios/ajp-only.scn done by hand with a REAL Tomcat 10.1.

The other half of bench/run_scenarios.sh: what `wssim run
scenarios/ajp-only.scn` replaces. Run it with Debian's /usr/bin/python3
(python3-websockets); it needs Debian's tomcat10, tomcat10-examples and a
JRE (`sh scripts/setup.sh --bench`) and apache2.

    /usr/bin/python3 bench/real_tomcat_ajp_only.py [-v]

What it does, timed from the first step to the last:
  1. a private CATALINA_BASE in a temp dir: conf/ copied from Debian's
     pristine copy (/usr/share/tomcat10/etc), a server.xml of its own (an
     HTTP and an AJP connector on free loopback ports, no shutdown port)
     and Debian's examples webapp deployed as Debian does it (a Context
     descriptor in conf/Catalina/localhost/ pointing at
     /usr/share/tomcat10-examples/examples); logs/, work/, temp/ inside;
  2. Tomcat started with `catalina.sh run` in its own process group, until
     GET /examples/websocket/echo.xhtml on its HTTP port answers;
  3. apache2 -DFOREGROUND with the scenario's config (ProxyPreserveHost On,
     ProxyPass /examples ajp://127.0.0.1:AJP/examples retry=5,
     ProxyPassReverse) in a temp dir of its own, until its port accepts;
  4. the scenario's three clients:
       via_proxy  websocket through Apache: HTTP 500 (the browser: 1006);
       direct     websocket straight to Tomcat's HTTP port: open, echo
                  "hello", close 1000, closed 1000;
       page       GET /examples/websocket/echo.xhtml through Apache: 200;
  5. both stopped (SIGTERM to each process group, SIGKILL after 10 s) and
     the temp dirs removed.

Prints each step on stderr (with -v also Tomcat's own output on failure)
and one line on stdout:

    total_ms=.. tomcat_ready_ms=.. apache_ready_ms=.. checks_ms=..
    stop_ms=.. checks_passed=3 checks_failed=0

tomcat_ready_ms is from Tomcat's start until its HTTP port answered.
Exit 0 when all three checks hold, 1 when one failed, 2 when the setup
failed (a package missing, Tomcat or Apache not coming up), 3 on a signal.
Loopback only; bounded (60 s in all, SIGALRM); whatever happens, both
process groups are killed and both temp dirs removed.
"""

import asyncio
import contextlib
import grp
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CATALINA_HOME = "/usr/share/tomcat10"
TOMCAT_CONF = "/usr/share/tomcat10/etc"  # Debian's pristine conf/ copy
EXAMPLES = "/usr/share/tomcat10-examples/examples"
JAVA_HOME = "/usr/lib/jvm/default-java"
APACHE_BIN = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"

ECHO = "/examples/websocket/echoProgrammatic"
PAGE = "/examples/websocket/echo.xhtml"

BUDGET = 60  # seconds for the whole script
TOMCAT_START_TIMEOUT = 30.0
APACHE_START_TIMEOUT = 10.0
CHECK_TIMEOUT = 5.0
STOP_TIMEOUT = 10.0

VERBOSE = "-v" in sys.argv[1:]


class SetupError(Exception):
    """Tomcat or Apache could not be set up: exit 2."""


class Interrupted(BaseException):
    """SIGTERM, SIGINT or the overall time limit: exit 3."""


def say(msg):
    print("real-tomcat: %s" % msg, file=sys.stderr, flush=True)


def ms_since(t0):
    return (time.monotonic() - t0) * 1000.0


def free_port():
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, limit=3000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------
# Child processes in their own process groups


class Group:
    """A child started in a new session: its pid is its process group, so
    stop() ends it and anything it forked (Apache's workers)."""

    def __init__(self, argv, log_path, env=None, cwd=None):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, env=env, cwd=cwd,
            start_new_session=True)
        self.pgid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def _kill(self, sig):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, sig)

    def stop(self):
        """SIGTERM the group, wait, then SIGKILL the group for sure (also
        a child left behind by a leader that has already exited)."""
        if self.alive():
            self._kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_TIMEOUT)
        self._kill(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(STOP_TIMEOUT)
        self.log.close()


def http_get(port, path, timeout=CHECK_TIMEOUT):
    """(status, body) of GET path on 127.0.0.1:port."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_http(port, path, deadline, alive):
    """Poll GET path until any HTTP answer; its status, or None if the
    child died or the deadline passed first."""
    while time.monotonic() < deadline:
        if not alive():
            return None
        try:
            return http_get(port, path, timeout=2.0)[0]
        except (OSError, http.client.HTTPException):
            time.sleep(0.01)
    return None


def wait_port(port, deadline, alive):
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.005)
    return False


# --------------------------------------------------------------------------
# Tomcat


SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- bench/real_tomcat_ajp_only.py: a private Tomcat on loopback. -->
<Server port="-1" shutdown="SHUTDOWN">
  <Listener className="org.apache.catalina.startup.VersionLoggerListener" />
  <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener" />
  <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener" />
  <Service name="Catalina">
    <Connector protocol="HTTP/1.1" address="127.0.0.1" port="%(http)d"
               connectionTimeout="20000" maxParameterCount="1000" />
    <Connector protocol="AJP/1.3" address="127.0.0.1" port="%(ajp)d"
               secretRequired="false" maxParameterCount="1000" />
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps"
            unpackWARs="false" autoDeploy="false" />
    </Engine>
  </Service>
</Server>
"""

# As Debian's tomcat10-examples installs it (/etc/tomcat10/Catalina/
# localhost/examples.xml).
EXAMPLES_XML = """<Context docBase="%s">
  <Resources allowLinking="true"/>
</Context>
""" % EXAMPLES


def need_packages():
    missing = []
    for path, pkg in ((CATALINA_HOME + "/bin/catalina.sh", "tomcat10"),
                      (TOMCAT_CONF + "/server.xml", "tomcat10"),
                      (EXAMPLES + PAGE.replace("/examples", "", 1),
                       "tomcat10-examples"),
                      (JAVA_HOME + "/bin/java", "default-jre-headless"),
                      (APACHE_BIN, "apache2"),
                      (APACHE_MODULES + "/mod_proxy_ajp.so", "apache2")):
        if not os.path.exists(path):
            missing.append("%s (package %s)" % (path, pkg))
    if missing:
        raise SetupError("missing: %s; install with: sh scripts/setup.sh "
                         "--bench" % ", ".join(missing))


def make_catalina_base(base, http_port, ajp_port):
    conf = os.path.join(base, "conf")
    shutil.copytree(TOMCAT_CONF, conf)
    with open(os.path.join(conf, "server.xml"), "w") as f:
        f.write(SERVER_XML % {"http": http_port, "ajp": ajp_port})
    ctx = os.path.join(conf, "Catalina", "localhost")
    os.makedirs(ctx)
    with open(os.path.join(ctx, "examples.xml"), "w") as f:
        f.write(EXAMPLES_XML)
    for d in ("logs", "work", "temp", "webapps", "lib"):
        os.makedirs(os.path.join(base, d))


def start_tomcat(base, http_port, children):
    env = dict(os.environ)
    for k in ("JAVA_OPTS", "CATALINA_OPTS", "JRE_HOME", "CATALINA_PID"):
        env.pop(k, None)
    env.update({
        "CATALINA_HOME": CATALINA_HOME,
        "CATALINA_BASE": base,
        "CATALINA_TMPDIR": os.path.join(base, "temp"),
        "JAVA_HOME": JAVA_HOME,
        "JAVA_OPTS": "-Djava.awt.headless=true",
    })
    log = os.path.join(base, "logs", "catalina.out")
    t = time.monotonic()
    child = Group([CATALINA_HOME + "/bin/catalina.sh", "run"], log,
                  env=env, cwd=base)
    children.append(child)
    status = wait_http(http_port, PAGE, t + TOMCAT_START_TIMEOUT, child.alive)
    ready_ms = ms_since(t)
    if status is None:
        raise SetupError("Tomcat did not answer on 127.0.0.1:%d within "
                         "%.0f s (exit code %s); catalina.out:\n%s"
                         % (http_port, TOMCAT_START_TIMEOUT,
                            child.proc.poll(), tail(log)))
    if status != 200:
        say("warning: Tomcat answered GET %s with %d" % (PAGE, status))
    return ready_ms, log


# --------------------------------------------------------------------------
# Apache, with the scenario's config


def apache_builtin_modules():
    out = subprocess.run([APACHE_BIN, "-l"], capture_output=True, text=True,
                         timeout=10).stdout
    return {line.strip()[4:-2] for line in out.splitlines()
            if line.strip().startswith("mod_")}


def apache_config(d, port, ajp_port):
    mods = ["mpm_event", "authz_core", "proxy", "proxy_ajp"]
    lines = []
    if os.geteuid() == 0:
        mods.append("unixd")
        for user in ("www-data", "nobody"):
            try:
                pw = pwd.getpwnam(user)
            except KeyError:
                continue
            lines += ["User %s" % user,
                      "Group %s" % grp.getgrgid(pw.pw_gid).gr_name]
            break
    builtin = apache_builtin_modules()
    head = [
        'ServerRoot "%s"' % d,
        "ServerName 127.0.0.1",
        "Listen 127.0.0.1:%d" % port,
        'PidFile "%s/httpd.pid"' % d,
        'ErrorLog "%s/error.log"' % d,
        "LogLevel warn",
        'DefaultRuntimeDir "%s/run"' % d,
        "Mutex file:%s/run default" % d,
        'DocumentRoot "%s/htdocs"' % d,
    ]
    head += ["LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m)
             for m in mods if m not in builtin]
    body = [
        "StartServers 1",
        "ServerLimit 2",
        "ThreadsPerChild 16",
        "MaxRequestWorkers 32",
        "MinSpareThreads 1",
        "MaxSpareThreads 32",
        "Timeout 20",
        "",
        "# scenarios/ajp-only.scn's config block",
        "ProxyPreserveHost On",
        "ProxyPass        /examples ajp://127.0.0.1:%d/examples retry=5"
        % ajp_port,
        "ProxyPassReverse /examples ajp://127.0.0.1:%d/examples" % ajp_port,
        "",
    ]
    return "\n".join(head + lines + body)


def start_apache(d, ajp_port, children):
    os.chmod(d, 0o755)  # workers run as www-data when we are root
    os.makedirs(os.path.join(d, "run"))
    os.makedirs(os.path.join(d, "htdocs"))
    port = free_port()
    conf = os.path.join(d, "apache2.conf")
    with open(conf, "w") as f:
        f.write(apache_config(d, port, ajp_port))
    t = time.monotonic()
    child = Group([APACHE_BIN, "-f", conf, "-DFOREGROUND"],
                  os.path.join(d, "stdout-stderr.log"), cwd=d)
    children.append(child)
    if not wait_port(port, t + APACHE_START_TIMEOUT, child.alive):
        raise SetupError("apache2 did not come up on 127.0.0.1:%d (exit code "
                         "%s):\n%s\n%s" % (port, child.proc.poll(),
                                           tail(d + "/error.log"),
                                           tail(d + "/stdout-stderr.log")))
    return port, ms_since(t)


# --------------------------------------------------------------------------
# The scenario's three clients


async def via_proxy(ws_lib, apache_port):
    """ws through the AJP-only proxy: the handshake fails with HTTP 500."""
    url = "ws://127.0.0.1:%d%s" % (apache_port, ECHO)
    try:
        async with ws_lib.connect(url, open_timeout=CHECK_TIMEOUT,
                                  close_timeout=1):
            return False, "opened (expected HTTP 500)"
    except ws_lib.exceptions.InvalidStatusCode as e:
        return e.status_code == 500, "HTTP %d" % e.status_code


async def direct(ws_lib, tomcat_port):
    """ws straight to Tomcat: open, echo "hello", close 1000."""
    url = "ws://127.0.0.1:%d%s" % (tomcat_port, ECHO)
    async with ws_lib.connect(url, open_timeout=CHECK_TIMEOUT,
                              close_timeout=CHECK_TIMEOUT) as ws:
        await ws.send("hello")
        got = await asyncio.wait_for(ws.recv(), CHECK_TIMEOUT)
        await ws.close(1000)
        code = ws.close_code
    ok = got == "hello" and code == 1000
    return ok, "open, echo %r, closed %s" % (got, code)


def page(apache_port):
    status, body = http_get(apache_port, PAGE)
    return status == 200, "HTTP %d, %d bytes" % (status, len(body))


def run_checks(ws_lib, apache_port, tomcat_port):
    results = []
    for name, fn in (
            ("via_proxy", lambda: asyncio.run(via_proxy(ws_lib, apache_port))),
            ("direct", lambda: asyncio.run(direct(ws_lib, tomcat_port))),
            ("page", lambda: page(apache_port))):
        try:
            ok, what = fn()
        except Exception as e:  # noqa: BLE001 - a failed check, reported
            ok, what = False, "%s: %s" % (type(e).__name__, e)
        say("%s %s: %s" % ("PASS" if ok else "FAIL", name, what))
        results.append(ok)
    return results


# --------------------------------------------------------------------------


def on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def main():
    try:
        import websockets
        import websockets.exceptions  # noqa: F401
    except ImportError:
        say("Python module 'websockets' missing for %s: run with "
            "/usr/bin/python3 (apt-get install python3-websockets)"
            % sys.executable)
        return 2
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(BUDGET)

    children = []  # Group, stopped in reverse order
    dirs = []
    rc = 0
    tomcat_ms = apache_ms = checks_ms = stop_ms = None
    results = []
    t0 = time.monotonic()
    try:
        need_packages()
        base = tempfile.mkdtemp(prefix="wssim-bench-tomcat-")
        dirs.append(base)
        http_port, ajp_port = free_port(), free_port()
        while ajp_port == http_port:
            ajp_port = free_port()
        make_catalina_base(base, http_port, ajp_port)
        tomcat_ms, tomcat_log = start_tomcat(base, http_port, children)
        say("Tomcat answered on 127.0.0.1:%d after %.0f ms (AJP on %d)"
            % (http_port, tomcat_ms, ajp_port))

        adir = tempfile.mkdtemp(prefix="wssim-bench-apache-")
        dirs.append(adir)
        apache_port, apache_ms = start_apache(adir, ajp_port, children)
        say("apache2 answered on 127.0.0.1:%d after %.0f ms"
            % (apache_port, apache_ms))

        t = time.monotonic()
        results = run_checks(websockets, apache_port, http_port)
        checks_ms = ms_since(t)
        if not all(results):
            rc = 1
            say("apache2 error log:\n%s" % tail(adir + "/error.log"))
            if VERBOSE:
                say("Tomcat's output:\n%s" % tail(tomcat_log))

        t = time.monotonic()
        while children:
            children[-1].stop()
            children.pop()
        stop_ms = ms_since(t)
    except SetupError as e:
        say(str(e))
        rc = 2
    except Interrupted as e:
        say("interrupted (%s): stopping everything" % e)
        rc = 3
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while children:
            children[-1].stop()
            children.pop()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    total_ms = ms_since(t0)

    def f(v):
        return "na" if v is None else "%.1f" % v
    print("total_ms=%s tomcat_ready_ms=%s apache_ready_ms=%s checks_ms=%s "
          "stop_ms=%s checks_passed=%d checks_failed=%d"
          % (f(total_ms if rc in (0, 1) else None), f(tomcat_ms),
             f(apache_ms), f(checks_ms), f(stop_ms), sum(results),
             len(results) - sum(results)), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())

"""Shared helpers for wssim's integration tests (real peers, real sockets).

What it gives a test script:
  - run(body, budget): the frame of a script. `body(t)` gets a Test that
    counts checks, prints each one, keeps going after a failed case, and
    ends with "N passed, M failed" (exit 1 on any failure). The whole script
    is bounded by `budget` seconds (SIGALRM); SIGTERM/SIGINT and any exit
    path still stop every child process and remove every temp dir.
  - Mock: `$WSSIM mock-tomcat` with the named connectors on free ports,
    parsed from its "listening <conn> <addr>:<port>" lines.
  - Apache, Nginx, HAProxy: the real programs with a generated config in a
    private temp dir, in the foreground in their own process group, on a
    free loopback port; their logs are shown when something goes wrong.
  - Probe: a raw-socket HTTP/websocket client that sends frames exactly as
    told (masked or not, fragmented, any opcode) and reads frames with their
    FIN bit, opcode and length, so frame-level behaviour can be asserted.
  - missing(): skip (exit 77) when a peer is genuinely absent; with CI=true
    a missing peer is a failure instead, since CI installs every peer.

Only the standard library is used here; scripts that drive Python
`websockets` import it through need_websockets(). Everything binds to
loopback only.
"""

import base64
import contextlib
import hashlib
import grp
import os
import pwd
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import traceback

APACHE_BIN = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
NGINX_BIN = "/usr/sbin/nginx"
HAPROXY_BIN = "/usr/sbin/haproxy"

ECHO = "/examples/websocket/echoProgrammatic"
ECHO_STREAM = "/examples/websocket/echoStreamAnnotation"
ECHO_PAGE = "/examples/websocket/echo.xhtml"
STOPPING = "The web application is stopping"

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

START_TIMEOUT = 10.0  # seconds for any child to come up
STOP_TIMEOUT = 5.0  # seconds for any child to stop before SIGKILL


# --------------------------------------------------------------------------
# Skips and failures of the environment


class Skip(Exception):
    """Raised by missing(): the script ends with exit 77 (or 1 in CI)."""


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


_running = False  # inside run(): Skip is caught there


def missing(what, hint):
    """A peer (binary, module, library) is absent: skip with the reason,
    except in CI, where every peer is installed and absence is a failure.
    Works at import time too (a script's top-level need_websockets())."""
    why = "%s is missing (%s)" % (what, hint)
    if _running:
        raise Skip(why)
    if in_ci():
        print("FAIL (CI=true: every peer must be installed): %s" % why)
        print("0 passed, 1 failed", flush=True)
        sys.exit(1)
    print("SKIP: %s" % why, flush=True)
    sys.exit(77)


def need_file(path, hint):
    if not os.path.exists(path):
        missing(path, hint)
    return path


def need_websockets():
    """The Python `websockets` module (Debian's python3-websockets)."""
    try:
        import websockets  # noqa: F401
        import websockets.exceptions  # noqa: F401
    except ImportError:
        missing("Python module 'websockets' for %s" % sys.executable,
                "apt-get install python3-websockets; run with /usr/bin/python3")
    return sys.modules["websockets"]


def wssim_binary():
    """The built wssim binary (env WSSIM, set by ctest). Not a skip when
    absent: the build is ours, so a missing binary is a failure."""
    path = os.environ.get("WSSIM")
    if not path:
        raise RuntimeError("env WSSIM is not set (run the tests through ctest)")
    if not os.access(path, os.X_OK):
        raise RuntimeError("WSSIM=%s is not an executable file" % path)
    return path


# --------------------------------------------------------------------------
# The test frame: checks, cases, cleanup, time bound


class Test:
    """Counts and prints checks; owns the temp dirs and children of a
    script and undoes them (LIFO) at the end, whatever happened."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self._undo = []  # callables, run last-in first-out
        self._logs = []  # (title, path): shown when something failed

    # checks ---------------------------------------------------------------
    def check(self, what, ok, detail=""):
        if not isinstance(detail, str):
            detail = repr(detail)
        if ok:
            self.passed += 1
            print("  ok   %s" % what, flush=True)
        else:
            self.failed += 1
            print("  FAIL %s%s" % (what, (": " + detail) if detail else ""),
                  flush=True)
        return bool(ok)

    def eq(self, what, got, want):
        return self.check(what, got == want, "got %r, want %r" % (got, want))

    @contextlib.contextmanager
    def case(self, title):
        """A group of checks: an exception in it is one failure, printed
        with its traceback, and the script goes on with the next case."""
        print("-- %s" % title, flush=True)
        try:
            yield
        except Skip:
            raise
        except Exception as e:  # noqa: BLE001 - report and go on
            self.failed += 1
            print("  FAIL %s: %s: %s" % (title, type(e).__name__, e),
                  flush=True)
            traceback.print_tb(e.__traceback__, file=sys.stdout)
            sys.stdout.flush()

    # resources ------------------------------------------------------------
    def defer(self, fn):
        """Run fn() at the end of the script (LIFO), even on failure."""
        self._undo.append(fn)
        return fn

    def tmpdir(self, prefix="wssim-it-"):
        d = tempfile.mkdtemp(prefix=prefix)
        _tell_reaper("dir", d)

        def remove():
            shutil.rmtree(d, ignore_errors=True)
            _tell_reaper("undir", d)
        self.defer(remove)
        return d

    def show_on_failure(self, title, path):
        if path not in [p for _, p in self._logs]:
            self._logs.append((title, path))

    def cleanup(self):
        while self._undo:
            fn = self._undo.pop()
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - keep undoing
                print("cleanup: %s: %s" % (type(e).__name__, e), flush=True)

    def show_logs(self):
        for title, path in self._logs:
            print("---- %s (%s) ----" % (title, path))
            print(tail(path) or "(empty)")
        sys.stdout.flush()


def tail(path, limit=6000):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    if len(data) > limit:
        data = b"...\n" + data[-limit:]
    return data.decode("utf-8", "replace").rstrip()


class _Timeout(BaseException):
    """The script's time budget ran out (a BaseException so that no
    `except Exception` inside a case swallows it)."""


def run(body, budget=120):
    """Run body(t) as a whole test script and exit with its outcome:
    0 all checks passed, 1 any failed, 77 skipped (a peer is absent)."""
    global _reaper, _running
    _running = True
    t = Test(os.path.basename(sys.argv[0]))
    code = 1
    _reaper = _Reaper()

    def on_alarm(signum, frame):
        raise _Timeout("the script ran over its %d s budget" % budget)

    def on_term(signum, frame):
        raise SystemExit("stopped by signal %d" % signum)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.alarm(budget)
    try:
        body(t)
        code = 0 if t.failed == 0 and t.passed > 0 else 1
        if t.passed == 0 and t.failed == 0:
            print("FAIL: no checks ran")
            t.failed += 1
    except Skip as e:
        if in_ci() or t.failed:
            why = "CI=true: every peer must be installed" if in_ci() \
                else "after failed checks"
            print("FAIL (%s): %s" % (why, e))
            t.failed += 1
            code = 1
        else:
            print("SKIP: %s" % e)
            code = 77
    except (_Timeout, SystemExit, KeyboardInterrupt, Exception) as e:  # noqa: BLE001
        t.failed += 1
        print("FAIL %s: %s" % (type(e).__name__, e))
        traceback.print_tb(e.__traceback__, file=sys.stdout)
        code = 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        if t.failed:
            t.show_logs()
        t.cleanup()
        _reaper.done()
    if code != 77:
        print("%d passed, %d failed" % (t.passed, t.failed), flush=True)
    sys.stdout.flush()
    os._exit(code)


# --------------------------------------------------------------------------
# Child processes


def free_port():
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline, alive=lambda: True, host="127.0.0.1"):
    """Wait until host:port accepts a TCP connection. False if `alive()`
    turns false or the deadline passes first."""
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class _Reaper:
    """A small process that outlives the script only to clean up after a
    kill that no handler sees (SIGKILL from a runner): the script tells it
    each process group and temp dir it makes and undoes, and it kills and
    removes whatever is left if the script dies without saying "done".
    It runs in its own session, so a kill of the script's group spares
    it; it exits as soon as the script does."""

    def __init__(self):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the reaper
            try:
                os.close(w)
                os.setsid()
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                self._serve(os.fdopen(r, "r"))
            finally:
                os._exit(0)
        os.close(r)
        self._w = os.fdopen(w, "w", buffering=1)

    @staticmethod
    def _serve(pipe):
        groups, dirs, done = set(), set(), False
        for line in pipe:  # until EOF: the script has ended
            verb, _, arg = line.rstrip("\n").partition(" ")
            if verb == "pg":
                groups.add(int(arg))
            elif verb == "unpg":
                groups.discard(int(arg))
            elif verb == "dir":
                dirs.add(arg)
            elif verb == "undir":
                dirs.discard(arg)
            elif verb == "done":
                done = True
        if done:
            return
        for g in groups:
            with contextlib.suppress(OSError):
                os.killpg(g, signal.SIGKILL)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)

    def tell(self, verb, arg=""):
        with contextlib.suppress(OSError, ValueError):
            self._w.write("%s %s\n" % (verb, arg))

    def done(self):
        self.tell("done")
        with contextlib.suppress(OSError):
            self._w.close()


_reaper = None


def _tell_reaper(verb, arg=""):
    if _reaper:
        _reaper.tell(verb, arg)


class Child:
    """A child process in its own process group (start_new_session), so
    that stopping it stops everything it forked. Stopped at the end of
    the script if the test did not stop it before."""

    def __init__(self, t, argv, stdout, stderr, env=None, cwd=None):
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            env=env, cwd=cwd, start_new_session=True)
        self.pgid = self.proc.pid
        _tell_reaper("pg", self.pgid)
        self.returncode = None
        self.stopped = False
        t.defer(self.stop)

    def alive(self):
        return self.proc.poll() is None

    def kill(self, sig):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, sig)

    def wait(self, timeout):
        """The exit code, or None if it is still running after timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal the group, wait, then SIGKILL the group for sure (also
        any child left behind by a leader that already exited)."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.alive():
            self.kill(sig)
            self.wait(timeout)
        self.kill(signal.SIGKILL)
        if self.alive():
            self.wait(STOP_TIMEOUT)
        _tell_reaper("unpg", self.pgid)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                with contextlib.suppress(OSError):
                    f.close()
        return self.proc.returncode


# --------------------------------------------------------------------------
# The mock Tomcat


class Mock:
    """`$WSSIM mock-tomcat` with the given connectors on free ports.

    mock = Mock(t, "http", "https", "ajp", args=["--ajp-secret", "s"])
    mock.port["http"], mock.ca (the test CA's PEM when https is open),
    mock.log() (its stderr so far), mock.stop() -> exit code.
    """

    def __init__(self, t, *connectors, args=(), verbose=False, env=None):
        self.t = t
        self.dir = t.tmpdir("wssim-mock-")
        self.ca = None
        argv = [wssim_binary(), "mock-tomcat"]
        for c in connectors:
            argv += ["--" + c, "0"]
        if "https" in connectors and "--cert" not in args:
            self.ca = os.path.join(self.dir, "ca.pem")
            argv += ["--ca-out", self.ca]
        if verbose:
            argv.append("-v")
        argv += list(args)
        self.log_path = os.path.join(self.dir, "mock.log")
        t.show_on_failure("mock-tomcat stderr", self.log_path)
        self._err = open(self.log_path, "wb")
        t.defer(self._err.close)
        self.child = Child(t, argv, subprocess.PIPE, self._err,
                           env=dict(os.environ, **env) if env else None)
        self.port, self.addr = {}, {}
        self._read_listening(set(connectors))

    def _read_listening(self, want):
        fd = self.child.proc.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        while want - set(self.port):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(
                    "mock-tomcat: no 'listening' line for %s within %.0f s; "
                    "stdout so far %r; stderr: %s" %
                    (sorted(want - set(self.port)), START_TIMEOUT, buf,
                     tail(self.log_path)))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            data = os.read(fd, 4096)
            if not data:
                self.child.wait(1)
                raise RuntimeError(
                    "mock-tomcat exited (code %s) before listening; "
                    "stderr: %s" % (self.child.proc.returncode,
                                    tail(self.log_path)))
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                parts = line.decode().split()
                if len(parts) != 3 or parts[0] != "listening":
                    raise RuntimeError("mock-tomcat: unexpected stdout "
                                       "line %r" % line)
                host, _, port = parts[2].rpartition(":")
                self.addr[parts[1]] = host.strip("[]")
                self.port[parts[1]] = int(port)

    def log(self):
        self._err.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, conn, path=ECHO):
        scheme = {"http": "ws", "https": "wss"}[conn]
        return "%s://127.0.0.1:%d%s" % (scheme, self.port[conn], path)

    def ssl_context(self):
        """A client context that trusts only the mock's test CA."""
        ctx = ssl.create_default_context(cafile=self.ca)
        return ctx

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        return self.child.stop(sig, timeout)


# --------------------------------------------------------------------------
# Real proxies: a private dir, a generated config, a free port


class Peer:
    """A real server program under test. Subclasses give config(port)
    and argv(); start() retries on a port lost to a race."""

    name = "peer"
    log_name = "error.log"

    def __init__(self, t):
        self.t = t
        self.dir = t.tmpdir("wssim-%s-" % self.name)
        if os.geteuid() == 0:
            # Workers drop to an unprivileged user and must reach their
            # files (mutexes, temp files) inside the private dir.
            os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, self.name + ".conf")
        self.log_path = os.path.join(self.dir, self.log_name)
        self.out_path = os.path.join(self.dir, "stdout-stderr.log")
        t.show_on_failure("%s log" % self.name, self.log_path)
        t.show_on_failure("%s stdout/stderr" % self.name, self.out_path)
        self.child = None
        self.port = None

    def config(self, port):
        raise NotImplementedError

    def argv(self):
        raise NotImplementedError

    def start(self, attempts=3):
        for _ in range(attempts):
            self.port = free_port()
            with open(self.conf, "w") as f:
                f.write(self.config(self.port))
            out = open(self.out_path, "ab")
            self.t.defer(out.close)
            self.child = Child(self.t, self.argv(), out, subprocess.STDOUT,
                               cwd=self.dir)
            deadline = time.monotonic() + START_TIMEOUT
            if wait_port(self.port, deadline, self.child.alive):
                return self
            self.child.stop()
            logs = tail(self.log_path) + "\n" + tail(self.out_path)
            if "in use" not in logs:  # not a lost port race: give up
                break
        raise RuntimeError(
            "%s did not come up on 127.0.0.1:%d (exit code %s)\n"
            "config %s:\n%s\nlog:\n%s\nstdout/stderr:\n%s" %
            (self.name, self.port, self.child.proc.returncode, self.conf,
             open(self.conf).read(), tail(self.log_path),
             tail(self.out_path)))

    def log(self):
        return tail(self.log_path, limit=1 << 20)

    def stop(self):
        if self.child:
            self.child.stop()


def _unprivileged_user():
    """(user, group) for workers when running as root."""
    for user in ("www-data", "nobody"):
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            continue
        return user, grp.getgrgid(pw.pw_gid).gr_name
    raise RuntimeError("no www-data or nobody user to run workers as")


_builtin = None


def _apache_builtin_modules():
    """Modules compiled into apache2 (`apache2 -l`: "mod_unixd.c")."""
    global _builtin
    if _builtin is None:
        out = subprocess.run([APACHE_BIN, "-l"], capture_output=True,
                             text=True, timeout=10).stdout
        _builtin = {line.strip()[4:-2] for line in out.splitlines()
                    if line.strip().startswith("mod_")}
    return _builtin


class Apache(Peer):
    """Debian's apache2 with only the modules named (mpm_event always;
    unixd when running as root) and `body` pasted into the main server.

    Apache(t, body, modules=["proxy", "proxy_ajp"]).start().port
    """

    name = "apache2"

    def __init__(self, t, body, modules=(), log_level="warn"):
        super().__init__(t)
        need_file(APACHE_BIN, "apt-get install apache2")
        self.body = body
        self.log_level = log_level
        mods = ["mpm_event", "authz_core"]
        if os.geteuid() == 0:
            mods.append("unixd")  # User/Group (compiled in on Debian)
        builtin = _apache_builtin_modules()
        self.modules = [m for m in mods + [m for m in modules if m not in mods]
                        if m not in builtin]
        for m in self.modules:
            need_file(self.module_path(m), "apt-get install apache2")
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "htdocs"), exist_ok=True)

    @staticmethod
    def module_path(m):
        return os.path.join(APACHE_MODULES, "mod_%s.so" % m)

    def config(self, port):
        d = self.dir
        lines = [
            'ServerRoot "%s"' % d,
            "ServerName 127.0.0.1",
            "Listen 127.0.0.1:%d" % port,
            'PidFile "%s/httpd.pid"' % d,
            'ErrorLog "%s"' % self.log_path,
            "LogLevel %s" % self.log_level,
            'DefaultRuntimeDir "%s/run"' % d,
            "Mutex file:%s/run default" % d,
            'DocumentRoot "%s/htdocs"' % d,
        ]
        lines += ["LoadModule %s_module %s" % (m, self.module_path(m))
                  for m in self.modules]
        if os.geteuid() == 0:
            user, group = _unprivileged_user()
            lines += ["User %s" % user, "Group %s" % group]
        lines += [
            "StartServers 1",
            "ServerLimit 2",
            "ThreadsPerChild 16",
            "MaxRequestWorkers 32",
            "MinSpareThreads 1",
            "MaxSpareThreads 32",
            "Timeout 20",
            "",
            self.body,
            "",
        ]
        return "\n".join(lines)

    def argv(self):
        return [APACHE_BIN, "-f", self.conf, "-DFOREGROUND"]


class Nginx(Peer):
    """Debian's nginx with `servers`, a list of server-block bodies; each
    gets its own `listen 127.0.0.1:PORT` (self.ports, in order)."""

    name = "nginx"

    def __init__(self, t, servers):
        super().__init__(t)
        need_file(NGINX_BIN, "apt-get install nginx")
        self.servers = servers
        self.ports = []
        for sub in ("tmp", "logs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)

    def config(self, port):
        d = self.dir
        self.ports = [port] + [free_port() for _ in self.servers[1:]]
        user = ""
        if os.geteuid() == 0:
            user = "user %s %s;" % _unprivileged_user()
        blocks = "\n".join(
            "  server {\n    listen 127.0.0.1:%d;\n%s\n  }" % (p, body)
            for p, body in zip(self.ports, self.servers))
        return """%(user)s
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(log)s info;
events { worker_connections 256; }
http {
  access_log %(d)s/logs/access.log;
  client_body_temp_path %(d)s/tmp/body;
  proxy_temp_path %(d)s/tmp/proxy;
  fastcgi_temp_path %(d)s/tmp/fastcgi;
  uwsgi_temp_path %(d)s/tmp/uwsgi;
  scgi_temp_path %(d)s/tmp/scgi;
%(blocks)s
}
""" % {"user": user, "d": d, "log": self.log_path, "blocks": blocks}

    def start(self, attempts=3):
        super().start(attempts)
        deadline = time.monotonic() + START_TIMEOUT
        for p in self.ports[1:]:
            if not wait_port(p, deadline, self.child.alive):
                raise RuntimeError("nginx: port %d not answering" % p)
        return self

    def argv(self):
        return [NGINX_BIN, "-p", self.dir + "/", "-e", self.log_path,
                "-c", self.conf, "-g", "daemon off;"]


class HAProxy(Peer):
    """Debian's haproxy in http mode: one frontend on a free port, one
    backend server `backend` ("127.0.0.1:PORT"); logs go to stderr."""

    name = "haproxy"
    log_name = "stdout-stderr.log"

    def __init__(self, t, backend, extra_defaults=""):
        super().__init__(t)
        need_file(HAPROXY_BIN, "apt-get install haproxy")
        self.backend = backend
        self.extra = extra_defaults

    def config(self, port):
        return """global
  log stderr format raw local0 info
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 20s
  timeout server 20s
  timeout tunnel 30s
%s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server mock %s
""" % (self.extra, port, self.backend)

    def argv(self):
        return [HAPROXY_BIN, "-f", self.conf, "-db"]


# --------------------------------------------------------------------------
# Raw HTTP / websocket probe


def ws_accept(key):
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def close_payload(code, reason=""):
    return struct.pack("!H", code) + reason.encode()


def parse_close(payload):
    """(code, reason) of a close frame payload; (None, "") when empty."""
    if len(payload) < 2:
        return None, ""
    return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", "replace")


def encode_frame(opcode, payload=b"", fin=True, rsv=0, mask=True, mask_key=None):
    """One websocket frame, exactly as told (RFC 6455 section 5.2)."""
    b0 = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + _xor(payload, key)


def _xor(data, key):
    if not data:
        return b""
    k = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(len(data), "big")


class Frame:
    def __init__(self, fin, rsv, opcode, masked, payload):
        self.fin, self.rsv, self.opcode = fin, rsv, opcode
        self.masked, self.payload = masked, payload

    def __repr__(self):
        p = self.payload if len(self.payload) <= 32 else \
            self.payload[:32] + b"...(%d bytes)" % len(self.payload)
        return "Frame(fin=%d rsv=%d op=%#x masked=%d %r)" % (
            self.fin, self.rsv, self.opcode, self.masked, p)


class Response:
    """An HTTP response head (and body, when read)."""

    def __init__(self, status_line, headers, raw):
        self.status_line = status_line
        parts = status_line.split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.headers = headers  # [(name, value)] in order
        self.raw = raw
        self.body = b""

    def header(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def names(self):
        return [n for n, _ in self.headers]


class Probe:
    """A raw TCP (or TLS) client with a deadline on every read."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0, tls=None,
                 server_hostname=None):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock,
                                        server_hostname=server_hostname or host)
        self.host = "%s:%d" % (host, port)
        self.buf = b""
        self.key = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no more data in time (have %d bytes: %r)" %
                               (len(self.buf), self.buf[:80]))
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no more data in time (have %d bytes: %r)" %
                               (len(self.buf), self.buf[:80]))
        if not data:
            raise EOFError("connection closed by the peer (have %d bytes: %r)"
                           % (len(self.buf), self.buf[:80]))
        self.buf += data

    def recv_exact(self, n, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_until(self, delim, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while delim not in self.buf:
            self._fill(deadline)
        i = self.buf.index(delim) + len(delim)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def peer_closed(self, timeout=None):
        """True if the peer ends the connection (FIN or reset) within the
        timeout with no more bytes; raises if bytes arrive instead."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            if self.buf:
                raise AssertionError("unexpected bytes before close: %r" %
                                     self.buf[:80])
            try:
                self._fill(deadline)
            except EOFError:
                return True
            except TimeoutError:
                return False
            except (ConnectionResetError, ssl.SSLError):
                return True

    # HTTP -----------------------------------------------------------------
    def request(self, method, path, headers=(), version="HTTP/1.1", host=None):
        lines = ["%s %s %s" % (method, path, version),
                 "Host: %s" % (host or self.host)]
        lines += ["%s: %s" % h for h in headers]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def read_head(self, timeout=None):
        raw = self.recv_until(b"\r\n\r\n", timeout)
        text = raw.decode("latin-1")
        lines = text.split("\r\n")
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
        return Response(lines[0], headers, raw)

    def read_response(self, timeout=None, head_only=False):
        """A whole response: the body by Content-Length, by chunks, or up
        to the close when there is neither."""
        r = self.read_head(timeout)
        if not head_only:
            self.read_body(r, timeout)
        return r

    def read_body(self, r, timeout=None):
        """Read the body of response head r into r.body."""
        if r.status in (101, 204, 304) or (r.status or 0) < 200:
            return r
        cl = r.header("Content-Length")
        te = (r.header("Transfer-Encoding") or "").lower()
        if cl is not None:
            r.body = self.recv_exact(int(cl), timeout)
        elif "chunked" in te:
            body = b""
            while True:
                size = int(self.recv_until(b"\r\n", timeout).split(b";")[0], 16)
                body += self.recv_exact(size, timeout)
                self.recv_exact(2, timeout)  # after data; after 0: the end
                if size == 0:  # (trailers are not expected here)
                    break
            r.body = body
        else:
            deadline = time.monotonic() + (timeout or self.timeout)
            with contextlib.suppress(EOFError, ConnectionResetError):
                while True:
                    self._fill(deadline)
            r.body, self.buf = self.buf, b""
        return r

    def handshake(self, path=ECHO, extensions=None, headers=(), host=None,
                  origin=True):
        """Send a websocket upgrade request (browser-like) and read the
        response head. self.key is the key sent."""
        self.key = base64.b64encode(os.urandom(16)).decode()
        h = [("Connection", "Upgrade"), ("Upgrade", "websocket"),
             ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", self.key)]
        if origin:
            h.append(("Origin", "http://%s" % (host or self.host)))
        if extensions:
            h.append(("Sec-WebSocket-Extensions", extensions))
        self.request("GET", path, h + list(headers), host=host)
        return self.read_head()

    # websocket frames -----------------------------------------------------
    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, mask=True):
        self.send(encode_frame(opcode, payload, fin, rsv, mask))

    def recv_frame(self, timeout=None):
        b0, b1 = self.recv_exact(2, timeout)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.recv_exact(2, timeout))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.recv_exact(8, timeout))[0]
        masked = bool(b1 & 0x80)
        key = self.recv_exact(4, timeout) if masked else None
        payload = self.recv_exact(n, timeout) if n else b""
        if masked:
            payload = _xor(payload, key)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, masked, payload)

    def recv_frames(self, count, timeout=None):
        return [self.recv_frame(timeout) for _ in range(count)]


def http_get(port, path, headers=(), host="127.0.0.1", timeout=5.0):
    """One GET on a fresh connection; the whole Response."""
    with Probe(port, host=host, timeout=timeout) as p:
        p.request("GET", path, list(headers) + [("Connection", "close")])
        return p.read_response()


def ws_open(port, path=ECHO, extensions=None, timeout=5.0, tls=None,
            server_hostname=None):
    """A Probe with a completed websocket handshake (raises on non-101)."""
    p = Probe(port, timeout=timeout, tls=tls, server_hostname=server_hostname)
    r = p.handshake(path, extensions)
    if r.status != 101:
        p.close()
        raise AssertionError("handshake on %d%s: %r" % (port, path, r.status_line))
    p.response = r
    return p

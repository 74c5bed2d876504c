"""`wssim run` as a program: self-test scenarios that must fail do fail,
with the expected message and exit code (tests/scenarios/fail/), malformed
scenarios give their file:line:col error (tests/scenarios/bad/), SIGINT and
SIGTERM during a run leave no proxy process and no temp dir behind, SIGKILL
leaves no proxy process (and the next run removes the stale dir), the
reports (--tap, --junit, --json) are well formed, a proxy that dies
during the run is reported as such (exit 3, with its error log) and so is
a crash of one of its workers, and the bundled scenarios run in parallel
with -j 4 without colliding.

Each self-test file says what it expects in its leading comments:
    # args: --apache-bin /nonexistent/apache2
    # expect-exit: 1
    # expect-output: FAIL via_proxy: closed 1006
"""

import glob
import json
import os
import re
import resource
import signal
import subprocess
import time
import xml.dom.minidom

import harness as h

SRC = os.environ.get("WSSIM_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
SELF = os.path.join(SRC, "tests", "scenarios")


def headers(path):
    args, exit_code, outputs = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition(":")
            value = value.strip()
            if key == "args":
                args += value.split()
            elif key == "expect-exit":
                exit_code = int(value)
            elif key == "expect-output":
                outputs.append(value)
    return args, exit_code, outputs


def wssim_run(t, tmp, *argv, timeout=60):
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    p = subprocess.run([h.wssim_binary(), "run", *argv], env=env,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def leftovers(tmp):
    return glob.glob(os.path.join(tmp, "wssim-run-*"))


def proxy_pids_under(tmp):
    """Processes whose command line names a file under tmp (our proxies
    run with their config there)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if tmp in cmd and ("apache2" in cmd or "nginx" in cmd or "haproxy" in cmd):
            pids.append(int(d))
    return pids


def check_self_tests(t, tmp):
    for path in sorted(glob.glob(os.path.join(SELF, "*", "*.scn"))):
        name = os.path.relpath(path, SELF)
        args, want_exit, outputs = headers(path)
        if want_exit is None:
            want_exit = {"bad": 2, "fail": 1}.get(name.split("/")[0], 0)
        if name.startswith("bad") and not outputs:
            outputs = [os.path.basename(path) + ":"]
        code, out = wssim_run(t, tmp, *args, path)
        ok = t.eq("%s exits %d" % (name, want_exit), code, want_exit)
        for o in outputs:
            ok &= t.check("%s says %r" % (name, o), o in out, out[-3000:])
        if not ok:
            print(out)
    t.eq("no run dir left behind by the self-tests", leftovers(tmp), [])


SLOW = """
tomcat t1 { connector ajp; connector http }
apache front {
    listen http
    config {
        ProxyPass /examples ajp://${t1.ajp}/examples
    }
}
client slow ws://${t1.http}/examples/websocket/echoProgrammatic {
    expect open
    wait 20s
}
"""


def start_slow(t, tmp, scn):
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    p = subprocess.Popen([h.wssim_binary(), "run", scn], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    t.defer(lambda: p.poll() is None and p.kill())
    deadline = time.time() + 10
    while time.time() < deadline and not proxy_pids_under(tmp):
        time.sleep(0.02)
    time.sleep(0.2)  # the client is in its wait now
    return p


def check_signals(t, tmp):
    scn = os.path.join(tmp, "slow.scn")
    with open(scn, "w") as f:
        f.write(SLOW)
    for sig in (signal.SIGINT, signal.SIGTERM):
        work = t.tmpdir()
        p = start_slow(t, work, scn)
        t.check("%s: apache2 is running during the run" % sig.name,
                proxy_pids_under(work), "no apache2 found")
        t0 = time.time()
        p.send_signal(sig)
        out, _ = p.communicate(timeout=10)
        t.check("%s: wssim ends within 3 s" % sig.name, time.time() - t0 < 3)
        t.eq("%s: exit code 3 (interrupted)" % sig.name, p.returncode, 3)
        t.check("%s: the report says interrupted" % sig.name,
                "interrupted" in out, out)
        t.eq("%s: no apache2 left" % sig.name, proxy_pids_under(work), [])
        t.eq("%s: no temp dir left" % sig.name, leftovers(work), [])
    work = t.tmpdir()
    p = start_slow(t, work, scn)
    p.kill()
    p.wait(timeout=5)
    deadline = time.time() + 5
    while time.time() < deadline and proxy_pids_under(work):
        time.sleep(0.05)
    t.eq("SIGKILL: no apache2 left", proxy_pids_under(work), [])
    t.check("SIGKILL: the stale run dir is there", leftovers(work) != [])
    code, out = wssim_run(t, work, os.path.join(SRC, "scenarios", "direct-http.scn"))
    t.eq("the next run passes", code, 0)
    t.eq("the next run removed the stale dir", leftovers(work), [])


def check_reports(t, tmp):
    junit = os.path.join(tmp, "r.xml")
    js = os.path.join(tmp, "r.json")
    files = [os.path.join(SRC, "scenarios", "ajp-only.scn"),
             os.path.join(SELF, "fail", "wrong-echo.scn")]
    code, out = wssim_run(t, tmp, "--tap", "--junit", junit, "--json", js, *files)
    t.eq("a failing file makes the run exit 1", code, 1)
    t.check("TAP plan and points", "1..4" in out and "not ok" in out, out)
    doc = xml.dom.minidom.parse(junit)
    cases = doc.getElementsByTagName("testcase")
    fails = doc.getElementsByTagName("failure")
    t.eq("JUnit: one testcase per client", len(cases), 4)
    t.eq("JUnit: one failure", len(fails), 1)
    with open(js, encoding="utf-8") as f:
        r = json.load(f)
    t.eq("JSON schema", (r["schema"], r["version"]), ("wssim-report", 1))
    t.eq("JSON summary", (r["summary"]["passed"], r["summary"]["failed"]), (1, 1))
    via = r["scenarios"][0]["clients"][0]
    t.eq("JSON client name", via["name"], "via_proxy")
    t.check("JSON summary explains the 1006",
            "AJP" in via["summary"] and "1006" in via["summary"], via["summary"])
    # the options run shares with replay: bad values and unknown ones
    for argv, what in ((("--timeout", "0"), "--timeout: '0' is not a number "
                        "of seconds"),
                       (("--bogus",), "unknown option or missing value: "
                        "'--bogus'")):
        code, out = wssim_run(t, tmp, *argv, files[0])
        t.eq("%s exits 2" % " ".join(argv), code, 2)
        t.check("  says %r" % what, ("wssim run: " + what) in out, out)


def check_keep(t, tmp):
    check_keep_in(t, tmp)
    # TMPDIR itself named like a run dir: the kept dir is found by its own
    # name, not by a substring of the whole path
    odd = os.path.join(tmp, "wssim-run-odd")
    os.mkdir(odd)
    check_keep_in(t, odd)


def check_keep_in(t, tmp):
    code, out = wssim_run(t, tmp, "--keep", os.path.join(SELF, "fail", "ajp-expect-open.scn"))
    t.eq("--keep: the failing run exits 1", code, 1)
    kept = leftovers(tmp)
    t.eq("--keep: one run dir kept", len(kept), 1)
    if kept:
        t.check("--keep: the report says where", kept[0] in out, out[-1500:])
        confs = glob.glob(os.path.join(kept[0], "*", "*.conf"))
        t.check("--keep: the generated apache config is there", confs, os.listdir(kept[0]))
        if confs:
            with open(confs[0], encoding="utf-8") as f:
                text = f.read()
            t.check("--keep: it holds the scenario's ProxyPass with the real port",
                    "ProxyPass /examples ajp://127.0.0.1:" in text, text[-800:])
            paths = re.findall(r'"(/[^"]*)"', text)
            ours = [p for p in paths if p.startswith(tmp)]
            t.check("--keep: the config names files in the run dir", ours, text[:800])
            gone = [p for p in ours if not p.startswith(kept[0] + "/")
                    or not os.path.isdir(os.path.dirname(p))]
            t.eq("--keep: every path the kept config names is in the kept dir", gone, [])
    code, out = wssim_run(t, tmp, "--keep", os.path.join(SRC, "scenarios", "direct-http.scn"))
    t.eq("--keep: a passing run keeps nothing", leftovers(tmp), kept)
    code, out = wssim_run(t, tmp, os.path.join(SRC, "scenarios", "direct-http.scn"))
    t.eq("--keep: the kept dir survives later runs", leftovers(tmp), kept)


EXTERNAL = """
proxy ext at 127.0.0.1:%d
client through ws://${ext.http}/examples/websocket/echoProgrammatic {
    expect open
    send text "to a running proxy"
    expect echo
}
"""


def check_external(t, tmp):
    mock = h.Mock(t, "http")
    scn = os.path.join(tmp, "external.scn")
    with open(scn, "w") as f:
        f.write(EXTERNAL % mock.port["http"])
    code, out = wssim_run(t, tmp, scn)
    t.eq("a proxy already running at an address (here the mock itself)", code, 0)
    if code:
        print(out)


# An apache2 that crashes once it serves: 400 ms after its pid file
# appears, SIGSEGV to its whole process group (parent and workers), no
# core dump.
CRASHING_APACHE = """#!/bin/sh
case "$1" in -v | -V) exec %(apache)s "$@" ;; esac
ulimit -c 0
pidfile="$(dirname "$2")/httpd.pid"
(
	while [ ! -s "$pidfile" ]; do sleep 0.01; done
	sleep 0.4
	kill -SEGV 0
) &
exec %(apache)s "$@"
"""

DIES = """
tomcat t1 { connector ajp }
apache front {
    listen http
    config {
        ProxyPass /examples ajp://${t1.ajp}/examples
    }
}
client before http://${front.http}/examples/websocket/echo.xhtml { expect status 200 }
client after ws://${front.http}/examples/websocket/echoProgrammatic {
    start 1500ms
    expect status 500
}
"""


def check_proxy_dies(t, tmp):
    apache = next((p for p in ("/usr/sbin/apache2", "/usr/bin/apache2")
                   if os.path.exists(p)), None)
    if not t.check("apache2 is installed", apache):
        return
    wrapper = os.path.join(tmp, "crashing-apache2")
    with open(wrapper, "w") as f:
        f.write(CRASHING_APACHE % {"apache": apache})
    os.chmod(wrapper, 0o755)
    scn = os.path.join(tmp, "dies.scn")
    with open(scn, "w") as f:
        f.write(DIES)
    code, out = wssim_run(t, tmp, "--apache-bin", wrapper, scn)
    t.eq("a proxy that dies during the run: exit 3", code, 3)
    t.check("the report says the proxy died, and how",
            "ERROR front: the proxy died during the run: apache2 was "
            "killed by signal 11 (Segmentation fault)" in out, out[-3000:])
    after = next((l for l in out.splitlines() if "FAIL after:" in l), "")
    t.check("the client after the crash names the dead proxy",
            "the proxy front is not running: apache2 was killed by signal "
            "11" in after, out[-3000:])
    t.check("... and does not blame the backend",
            after and "nothing reached the backend" not in after, after)
    t.check("the proxy's error log is in the report",
            "---- front error log ----" in out and "AH00094" in out,
            out[-3000:])
    t.eq("no apache2 left", proxy_pids_under(tmp), [])
    t.eq("no run dir left", leftovers(tmp), [])


WORKER_CRASH = """
tomcat t1 { connector ajp; connector http }
apache front {
    listen http
    config {
        RewriteEngine on
        RewriteCond %{HTTP:Upgrade} "(?i)websocket"
        RewriteCond %{HTTP:Connection} "(?i)upgrade"
        RewriteRule ^(.*)$ ws://${t1.http}$1 [P]
        ProxyPass /examples ajp://${t1.ajp}/examples
    }
}
client session ws://${front.http}/examples/websocket/echoProgrammatic {
    expect open
    wait 4s
    send text "after the crash"
    expect echo
}
"""


def proc_ppid(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            return int(f.read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def check_worker_crash(t, tmp):
    """Apache's worker dies under an open websocket session (SIGSEGV from
    here): its parent logs AH00052 and starts another; the client's
    report names the crash."""
    scn = os.path.join(tmp, "worker-crash.scn")
    with open(scn, "w") as f:
        f.write(WORKER_CRASH)
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    no_core = lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # noqa: E731
    p = subprocess.Popen([h.wssim_binary(), "run", scn], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, preexec_fn=no_core)
    t.defer(lambda: p.poll() is None and p.kill())
    workers, deadline = [], time.time() + 10
    while time.time() < deadline and not workers:
        pids = proxy_pids_under(tmp)
        workers = [w for w in pids if proc_ppid(w) in pids]
        time.sleep(0.02)
    t.check("apache2 has a worker process", workers, proxy_pids_under(tmp))
    time.sleep(0.5)  # the session is open, the client in its wait
    for w in workers:
        os.kill(w, signal.SIGSEGV)
    out, _ = p.communicate(timeout=30)
    t.eq("a worker crash fails the session: exit 1", p.returncode, 1)
    line = next((l for l in out.splitlines() if "FAIL session:" in l), "")
    t.check("the session's report names the worker's crash",
            "a worker of the proxy front crashed: AH00052: child pid %d exit "
            "signal Segmentation fault (11)" % workers[0] in line
            if workers else False, out[-3000:])


CONCURRENT = """
tomcat t1 { connector http }
client slow ws://${t1.http}/examples/websocket/echoProgrammatic {
    start 0ms
    expect open
    wait 400ms
    send text "slow"
    expect echo
}
client quick ws://${t1.http}/examples/websocket/echoAnnotation {
    start 50ms
    expect open
    send text "quick"
    expect echo
    close 1000
    expect closed 1000
}
client after http://${t1.http}/examples/websocket/echo.xhtml { expect status 200 }
"""


def check_concurrent(t, tmp):
    scn = os.path.join(tmp, "concurrent.scn")
    with open(scn, "w") as f:
        f.write(CONCURRENT)
    code, out = wssim_run(t, tmp, "-v", scn)
    t.eq("clients with `start` run alongside: exit 0", code, 0)
    lines = out.splitlines()

    def first(pred):
        return next((i for i, l in enumerate(lines) if pred(l)), -1)
    quick = first(lambda l: " quick " in l and "PASS:" in l)
    slow = first(lambda l: " slow " in l and "PASS:" in l)
    after = first(lambda l: " after " in l and "connecting" in l)
    t.check("the quick client finished while the slow one was still open",
            0 <= quick < slow, out[-2500:])
    t.check("a client without `start` waited for both", slow < after, out[-2500:])


def check_parallel(t, tmp):
    files = sorted(glob.glob(os.path.join(SRC, "scenarios", "*.scn")))
    t.check("at least 8 bundled scenarios", len(files) >= 8, files)
    code, out = wssim_run(t, tmp, "-j", "4", *files, timeout=120)
    t.eq("-j 4 over every bundled scenario exits 0", code, 0)
    if code:
        print(out)
    t.check("every scenario reported", ("%d scenarios: %d passed" % (len(files), len(files))) in out, out[-2000:])
    t.eq("no run dir left behind", leftovers(tmp), [])


def body(t):
    tmp = t.tmpdir()
    with t.case("self-tests that must fail, and malformed files"):
        check_self_tests(t, tmp)
    with t.case("reports"):
        check_reports(t, t.tmpdir())
    with t.case("signals"):
        check_signals(t, tmp)
    with t.case("--keep"):
        check_keep(t, t.tmpdir())
    with t.case("an already running proxy"):
        check_external(t, t.tmpdir())
    with t.case("a proxy that dies during the run"):
        check_proxy_dies(t, t.tmpdir())
    with t.case("a proxy worker that crashes"):
        check_worker_crash(t, t.tmpdir())
    with t.case("clients at their start offsets"):
        check_concurrent(t, t.tmpdir())
    with t.case("-j 4"):
        check_parallel(t, t.tmpdir())


if __name__ == "__main__":
    h.run(body, budget=280)

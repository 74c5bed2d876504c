"""`wssim capture -o` and `wssim replay` as programs: the round trip of
issue 5. A Python websockets client talks through a real Apache with the
article's wstunnel fix in front of the mock Tomcat while tcpdump records
the Apache port; `wssim capture -r pcap -o rec.scn` turns it into a
scenario (checked: it parses, it holds the sends and the expectations
with their recorded times, and `wssim run` executes it); `wssim replay
rec.scn --target ...` against the same setup passes (exit 0, also with
--asap, --speed and --repeat) and shows each session's timing drift, which
fails only with --max-drift; against Apache with the AJP-only config it
fails (exit 1) and the report shows the 101 became a 500 and the echo went
missing. The same recording with --setup: against scenarios/ajp-only.scn
(no hand-started Apache) the same diff, against the wstunnel and the
upgrade=websocket scenarios a pass.

Without capture privileges still: hand-written recordings replayed against
the mock through --setup and --target: --binary-by-length (a binary
payload that differs in content but not length passes with it and fails
without; text stays exact), the timing line in the console, JSON and JUnit
reports, --max-drift; bad usage and bad setups exit 2 (an unknown --via
lists the valid ones, a setup that does not parse names file:line:col).
"""

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import time

import harness as h

FIX = """
ProxyPreserveHost On
RewriteEngine on
RewriteCond %{{HTTP:Upgrade}} "(?i)websocket"
RewriteCond %{{HTTP:Connection}} "(?i)upgrade"
RewriteRule ^(.*)$ ws://127.0.0.1:{http}$1 [P]
ProxyPass        /examples ajp://127.0.0.1:{ajp}/examples
ProxyPassReverse /examples ajp://127.0.0.1:{ajp}/examples
"""

AJP_ONLY = """
ProxyPreserveHost On
ProxyPass        /examples ajp://127.0.0.1:{ajp}/examples retry=5
ProxyPassReverse /examples ajp://127.0.0.1:{ajp}/examples
"""

MODULES = ["proxy", "proxy_ajp", "proxy_wstunnel", "rewrite"]


SRC = os.environ.get("WSSIM_SRC",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = os.path.join(SRC, "scenarios")
# the per-session drift line of the console report
TIMING = re.compile(r"timing: (\d+) sent, (\d+) received; drift p50 "
                    r"[+-]\d+\.\d\d ms, max [+-]\d+\.\d\d ms at line \d+ "
                    r"\((?:sent \w+|received \w+|the response|the open)\)")

# A hand-written recording of the mock's echo: what `capture -o` writes,
# with a binary answer that differs from what the echo returns in content
# (ffeeddcc, not 00010203) but not in length.
BINARY_REC = """# written by hand, as capture -o would
scenario "a binary echo, recorded"

client c1 "ws://127.0.0.1:1/examples/websocket/echoProgrammatic" {
	start 0ms
	expect status 101 at 2ms
	expect open
	wait 20ms
	send binary hex "00010203" at 22ms
	expect binary hex "%s" at 22.400ms
	wait 10ms
	send text "%s" at 32.400ms
	expect text "%s" at 32.800ms
	close 1000 "done" at 33ms
	expect closed 1000 at 33.300ms
}
"""


def binary_rec(work, name, expect_hex="ffeeddcc", send="still exact",
               expect_text=None):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(BINARY_REC % (expect_hex, send,
                              expect_text if expect_text is not None
                              else send))
    return path


def scn(name):
    return os.path.join(SCENARIOS, name)


def wssim(*argv, timeout=60, cwd=None):
    p = subprocess.run([h.wssim_binary(), *argv], capture_output=True,
                       text=True, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def tcpdump(t, path, port):
    # -Z root: Debian's tcpdump otherwise drops to its own user, which
    # cannot write into our private temp dir
    p = subprocess.Popen(["tcpdump", "--immediate-mode", "-Z", "root", "-i",
                          "lo", "-U", "-s", "0", "-w", path,
                          "tcp port %d" % port],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t.defer(lambda: p.poll() is None and p.kill())
    deadline = time.time() + 5
    line = b""
    while time.time() < deadline and b"listening" not in line:
        line = p.stderr.readline()
    if b"listening" not in line:
        raise RuntimeError("tcpdump did not start: %r" % line)
    return p


def stop_tcpdump(p):
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=5)


async def scripted_session(url):
    websockets = h.need_websockets()
    async with websockets.connect(url) as ws:
        await ws.send("hello")
        a = await asyncio.wait_for(ws.recv(), 5)
        await asyncio.sleep(0.25)  # a pause the recording keeps
        await ws.send("world")
        b = await asyncio.wait_for(ws.recv(), 5)
        await ws.close(code=1000, reason="done")
    return [a, b]


def check_usage(t):
    work = t.tmpdir()
    rec = os.path.join(work, "rec.scn")
    with open(rec, "w") as f:
        f.write('client c1 "ws://127.0.0.1:9/x" {\n\texpect open\n}\n')
    code, out, err = wssim("replay", rec)
    t.eq("no --target or --setup exits 2", code, 2)
    t.check("and says one is required",
            "--target URL or --setup FILE is required" in err, err)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--setup", scn("ajp-only.scn"))
    t.eq("--target with --setup exits 2", code, 2)
    t.check("  (one place to replay to)", "exclude each other" in err, err)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--via", "front.http")
    t.eq("--via without --setup exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--asap", "--max-drift", "1")
    t.eq("--max-drift with --asap exits 2", code, 2)
    t.check("  (--asap drops the timing)", "--asap" in err, err)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--max-drift", "soon")
    t.eq("--max-drift that is not a number exits 2", code, 2)
    code, out, err = wssim("replay", "--target", "ws://127.0.0.1:9")
    t.eq("no recording exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://192.0.2.1:80")
    t.eq("a target off loopback exits 2", code, 2)
    t.check("and says loopback", "loopback" in err, err)
    code, out, err = wssim("replay", rec, "--target", "ftp://127.0.0.1:9")
    t.eq("a target that is not ws/wss/http/https exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9/p")
    t.eq("a target with a path exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--speed", "0")
    t.eq("--speed 0 exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--speed", "1e-13")
    t.eq("--speed 1e-13 (out of range) exits 2", code, 2)
    t.check("  and says the range", "from 0.001 to 1000" in err, err)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--speed", "2", "--asap")
    t.eq("--speed with --asap exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--bogus")
    t.eq("an unknown option exits 2", code, 2)
    t.check("  and says which", "wssim replay: unknown option or missing "
            "value: '--bogus'" in err, err)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--timeout", "x")
    t.eq("--timeout x exits 2", code, 2)
    t.check("  and says why", "wssim replay: --timeout: 'x' is not a "
            "number of seconds" in err, err)
    missing = os.path.join(work, "missing.scn")
    code, out, err = wssim("replay", missing, "--target", "ws://127.0.0.1:9")
    t.eq("a missing recording exits 2", code, 2)
    t.check("with the parser's 'FILE: cannot open'",
            (missing + ": cannot open") in err, err)
    code, out, err = wssim("replay", "--help")
    t.eq("--help exits 0", code, 0)
    for opt in ("--target", "--setup", "--via", "--binary-by-length",
                "--max-drift", "--speed", "--asap", "--repeat"):
        t.check("the usage explains %s" % opt, opt in out, out)


def check_setup_errors(t):
    work = t.tmpdir()
    rec = binary_rec(work, "rec.scn")
    code, out, err = wssim("replay", rec, "--setup", scn("ajp-only.scn"),
                           "--via", "back.http")
    t.eq("an unknown --via exits 2", code, 2)
    t.check("  and lists the listeners there are",
            "--via: 'back.http' is not a listener of" in err and
            "(valid: front.http, t1.http)" in err, err)
    code, out, err = wssim("replay", rec, "--setup", scn("ajp-only.scn"),
                           "--via", "t1.ajp")
    t.eq("--via an AJP connector (no client speaks it) exits 2", code, 2)
    bad = os.path.join(work, "bad-setup.scn")
    with open(bad, "w") as f:
        f.write("# a setup with a typo\ntomcat t1 { connector http }\n"
                "apache front { lisen http; config { x } }\n")
    code, out, err = wssim("replay", rec, "--setup", bad, "--no-color")
    t.eq("a setup that does not parse exits 2", code, 2)
    t.check("  and names file:line:col", (bad + ":3:16:") in err, err)
    empty = os.path.join(work, "clients-only.scn")
    with open(empty, "w") as f:
        f.write("client c ws://127.0.0.1:1/ { expect open }\n")
    code, out, err = wssim("replay", rec, "--setup", empty)
    t.eq("a setup without a component exits 2", code, 2)
    t.check("  and says so", "no component" in err, err)
    code, out, err = wssim("replay", rec, "--setup",
                           os.path.join(work, "missing.scn"))
    t.eq("a missing setup exits 2", code, 2)
    t.check("  with 'cannot open'", "cannot open" in err, err)
    code, out, err = wssim("replay", scn("ajp-only.scn"), "--setup",
                           scn("ajp-only.scn"))
    t.eq("a scenario with components as the recording exits 2", code, 2)
    t.check("  and points to --setup", "--setup" in err, err)


def check_binary_by_length(t):
    work = t.tmpdir()
    rec = binary_rec(work, "rec.scn")
    setup = scn("direct-http.scn")
    code, out, err = wssim("replay", rec, "--setup", setup, "--no-color")
    print(out + err)
    t.eq("a binary answer that differs in content: exit 1", code, 1)
    t.check("  the diff shows recorded vs replayed bytes",
            "expected binary (4 bytes: ffeeddcc), got binary 4 bytes: "
            "00010203" in out, out)
    t.check("  via the first listener of the setup (the mock's)",
            "replayed against %s via t1.http" % setup in out, out)
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color")
    t.eq("the same with --binary-by-length: exit 0", code, 0)
    t.check("  PASS", "PASS c1" in out, out + err)
    mock = h.Mock(t, "http")
    code, out, err = wssim("replay", rec, "--target",
                           "ws://127.0.0.1:%d" % mock.port["http"],
                           "--binary-by-length", "--no-color")
    t.eq("and against a running mock with --target: exit 0", code, 0)
    t.check("  (report)", code == 0, out + err)
    code, out, err = wssim("replay", rec, "--target",
                           "ws://127.0.0.1:%d" % mock.port["http"],
                           "--no-color")
    t.eq("  without the option: exit 1", code, 1)
    shorter = binary_rec(work, "shorter.scn", expect_hex="ffee")
    code, out, err = wssim("replay", shorter, "--setup", setup,
                           "--binary-by-length", "--no-color")
    t.eq("a binary answer of another length still differs: exit 1",
         code, 1)
    t.check("  expected by its length, got the 4 bytes",
            "expected binary of 2 bytes (any content), got binary 4 bytes"
            in out, out)
    text = binary_rec(work, "text.scn", send="hello", expect_text="hullo")
    code, out, err = wssim("replay", text, "--setup", setup,
                           "--binary-by-length", "--no-color")
    t.eq("text stays exact with --binary-by-length: exit 1", code, 1)
    t.check("  the text diff", 'expected text "hullo", got text "hello"'
            in out, out)
    t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


def check_timing(t):
    work = t.tmpdir()
    rec = binary_rec(work, "rec.scn")
    setup = scn("direct-http.scn")
    jpath = os.path.join(work, "r.json")
    xpath = os.path.join(work, "r.xml")
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color", "--json",
                           jpath, "--junit", xpath)
    print(out + err)
    t.eq("replay: exit 0 (drift is shown, it does not fail)", code, 0)
    m = TIMING.search(out)
    t.check("the console shows the session's drift line", m, out)
    # sent: binary, text, close; received: the 101, binary, text, close
    t.check("  3 sent, 4 received", m and m.group(1, 2) == ("3", "4"), out)
    doc = json.load(open(jpath))
    cl = doc["scenarios"][0]["clients"][0]
    tm = cl["timing"]
    t.check("the JSON report has the timing", tm is not None, cl)
    t.eq("  its line is the console's", "timing: " + tm["text"],
         m.group(0) if m else None) if m and tm else None
    steps = tm["steps"] if tm else []
    t.eq("  one entry per timed step",
         [(s["direction"], s["what"]) for s in steps],
         [("received", "response"), ("sent", "binary"),
          ("received", "binary"), ("sent", "text"), ("received", "text"),
          ("sent", "close"), ("received", "close")])
    t.eq("  recorded times from the recording's `at`",
         [s["recorded_ms"] for s in steps],
         [2.0, 22.0, 22.4, 32.4, 32.8, 33.0, 33.3])
    t.check("  replayed times and drift for each",
            all(isinstance(s["replayed_ms"], float) and
                abs(s["replayed_ms"] - s["recorded_ms"] - s["drift_ms"])
                < 0.0015 for s in steps), steps)
    t.check("  p50 and max", tm and isinstance(tm["drift_p50_ms"], float)
            and isinstance(tm["drift_max_ms"], float), tm)
    t.eq("  no limit asked", tm and tm["max_drift_ms"], None)
    t.check("the JUnit report has it too",
            "timing: 3 sent, 4 received" in open(xpath).read())
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color",
                           "--max-drift", "0.001", "--json", jpath)
    print(out + err)
    t.eq("--max-drift 0.001: the drift is a difference, exit 1", code, 1)
    t.check("  the diff names the worst step and the limit",
            re.search(r"rec\.scn:\d+: timing: line \d+ \(.*\) happened "
                      r"\d+\.\d{3} ms (later|earlier) than recorded "
                      r"\(recorded at \d+\.\d{3} ms, replayed at "
                      r"\d+\.\d{3} ms after the client.s start\), over "
                      r"--max-drift 0\.001 ms", out), out)
    tm = json.load(open(jpath))["scenarios"][0]["clients"][0]["timing"]
    t.check("  the JSON report counts the steps over it",
            tm["max_drift_ms"] == 0.001 and tm["over_max_drift"] >= 1, tm)
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color",
                           "--max-drift", "2000")
    t.eq("--max-drift 2000 (2 s): exit 0", code, 0)
    t.check("  (report)", code == 0, out + err)
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color", "--repeat",
                           "3")
    t.eq("--repeat 3: exit 0", code, 0)
    t.check("  a drift line for each session and one over all of them",
            len(TIMING.findall(out)) == 3 and re.search(
                r"timing over 3 sessions: 21 timed steps; drift p50 "
                r"[+-]\d+\.\d\d ms, p99 [+-]\d+\.\d\d ms, max "
                r"[+-]\d+\.\d\d ms at c1_r\d line \d+", out), out)
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color", "--asap")
    t.eq("--asap: exit 0", code, 0)
    t.check("  and no drift line (no recorded timing to keep)",
            "timing:" not in out, out)
    code, out, err = wssim("replay", rec, "--setup", setup,
                           "--binary-by-length", "--no-color", "--speed",
                           "2", "--json", jpath)
    t.eq("--speed 2: exit 0", code, 0)
    steps = json.load(open(jpath))["scenarios"][0]["clients"][0]["timing"][
        "steps"]
    t.eq("  compared with the recorded times halved",
         [s["recorded_ms"] for s in steps],
         [1.0, 11.0, 11.2, 16.2, 16.4, 16.5, 16.65])


def check_round_trip(t):
    if not shutil.which("tcpdump"):
        raise h.Skip("tcpdump is not installed (apt-get install tcpdump)")
    if os.geteuid() != 0:
        raise h.Skip("capturing on lo needs CAP_NET_RAW (run as root)")
    h.need_websockets()
    work = t.tmpdir()
    mock = h.Mock(t, "http", "ajp")
    conf = FIX.format(http=mock.port["http"], ajp=mock.port["ajp"])
    apache = h.Apache(t, conf, modules=MODULES).start()
    pcap = os.path.join(work, "session.pcap")
    td = tcpdump(t, pcap, apache.port)
    url = "ws://127.0.0.1:%d%s" % (apache.port, h.ECHO)
    got = asyncio.run(scripted_session(url))
    stop_tcpdump(td)
    t.eq("the scripted session got its echoes through Apache", got,
         ["hello", "world"])

    rec = os.path.join(work, "rec.scn")
    code, out, err = wssim("capture", "-r", pcap, "-o", rec)
    t.eq("capture -o: exit 0", code, 0)
    t.check("capture -o: the summary still goes to stdout",
            "websocket" in out and "101" in out, out + err)
    text = open(rec).read()
    print(text)
    t.check('rec.scn has its title',
            'scenario "recorded by wssim capture from %s"' % pcap in text,
            text)
    t.check("rec.scn has 'expect open'", "\texpect open\n" in text, text)
    at = r" at (\d+(?:\.\d{1,3})?)ms\n"
    times = {}
    for line in ["expect status 101", 'send text "hello"',
                 'expect text "hello"', 'send text "world"',
                 'expect text "world"', 'close 1000 "done"',
                 "expect closed 1000"]:
        m = re.search("\t" + re.escape(line) + at, text)
        t.check("rec.scn has %r with its recorded time (at)" % line, m, text)
        times[line] = float(m.group(1)) if m else 0.0
    # each send at its time from the client's start: hello's and world's
    # 0.25 s apart
    gap = times['send text "world"'] - times['send text "hello"']
    t.check("rec.scn keeps the recorded pause between the sends' 'at's "
            "(%.3f ms)" % gap, 240 <= gap <= 2000, text)
    t.check("rec.scn: the 'at's in recorded order",
            sorted(times.values()) == list(times.values()), text)
    t.check("rec.scn has no wait (sends carry their time)",
            "\twait " not in text, text)
    t.eq("rec.scn: one client (the client leg)", text.count("\nclient "), 1)
    code, out, err = wssim("run", "--no-color", rec)
    t.eq("wssim run executes the recording as it is: exit 0", code, 0)
    t.check("  (report)", code == 0, out + err)

    target = "ws://127.0.0.1:%d" % apache.port
    jpath = os.path.join(work, "same.json")
    code, out, err = wssim("replay", rec, "--target", target, "--no-color",
                           "--json", jpath, "--junit",
                           os.path.join(work, "same.xml"))
    t.eq("replay against the same setup: exit 0", code, 0)
    t.check("  PASS in the report", "PASS" in out, out + err)
    m = TIMING.search(out)
    t.check("  the session's timing drift line", m, out)
    # sent: hello, world, close; received: the 101, two echoes, the close
    t.check("  3 sent, 4 received", m and m.group(1, 2) == ("3", "4"), out)
    tm = json.load(open(jpath))["scenarios"][0]["clients"][0]["timing"]
    t.check("  the JSON report has the drift of each step",
            tm and len(tm["steps"]) == 7 and
            all(s["drift_ms"] is not None for s in tm["steps"]), tm)
    t.check("  the JSON report says pass",
            '"pass"' in open(jpath).read().lower(), open(jpath).read()[:500])
    t.check("  the JUnit report is written",
            "<testsuite" in open(os.path.join(work, "same.xml")).read())
    code, out, err = wssim("replay", rec, "--target", target, "--no-color",
                           "--max-drift", "0.001")
    t.eq("replay with --max-drift 0.001: exit 1", code, 1)
    t.check("  the difference is the timing", "over --max-drift" in out,
            out + err)
    t0 = time.monotonic()
    code, out, err = wssim("replay", rec, "--target", target, "--asap",
                           "--repeat", "3", "--no-color")
    t.eq("replay --asap --repeat 3: exit 0", code, 0)
    t.check("  three clients ran",
            all(("_r%d" % k) in out for k in (1, 2, 3)), out + err)
    t.check("  as fast as possible", time.monotonic() - t0 < 5,
            time.monotonic() - t0)
    code, out, err = wssim("replay", rec, "--target",
                           "http://127.0.0.1:%d/" % apache.port, "--speed",
                           "4", "--host", "127.0.0.1:%d" % apache.port,
                           "--no-color")
    t.eq("replay --speed 4 --host, an http:// target (ws kept): exit 0",
         code, 0)
    t.check("  (report)", code == 0, out + err)
    apache.stop()

    # the same recording against the AJP-only config: the regression
    apache = h.Apache(t, AJP_ONLY.format(ajp=mock.port["ajp"]),
                      modules=["proxy", "proxy_ajp"]).start()
    target = "ws://127.0.0.1:%d" % apache.port
    jpath = os.path.join(work, "ajp.json")
    code, out, err = wssim("replay", rec, "--target", target, "--no-color",
                           "--json", jpath)
    print(out + err)
    t.eq("replay against the AJP-only config: exit 1", code, 1)
    t.check("  FAIL in the report", "FAIL" in out, out)
    t.check("  the diff: the recorded 101 became a 500",
            "expected status 101" in out and "500" in out, out)
    t.check("  the proxy's status line is shown", "HTTP/1.1 500" in out, out)
    t.check("  the echo went missing: closed 1006 instead of open",
            "1006" in out, out)
    t.check("  the failed line of rec.scn is named",
            (rec + ":") in out, out)
    doc = json.load(open(jpath))
    t.check("  the JSON report says fail", "fail" in json.dumps(doc).lower(),
            json.dumps(doc)[:500])
    apache.stop()
    t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)

    # the same with the topology of the bundled scenarios, no Apache of
    # our own: wssim brings each up and tears it down
    code, out, err = wssim("replay", rec, "--setup", scn("ajp-only.scn"),
                           "--no-color")
    print(out + err)
    t.eq("replay --setup scenarios/ajp-only.scn: exit 1", code, 1)
    t.check("  sent to the first proxy's listener",
            "via front.http" in out, out)
    t.check("  the diff: the recorded 101 became a 500",
            "expected status 101" in out and "HTTP/1.1 500" in out, out)
    t.check("  the echo went missing: closed 1006", "1006" in out, out)
    t.check("  the failed line is the recording's", (rec + ":") in out, out)
    t.check("  the fix for the AJP-only config is hinted", "fix:" in out,
            out)
    for name in ("wstunnel-rewrite.scn", "proxypass-upgrade-websocket.scn"):
        code, out, err = wssim("replay", rec, "--setup", scn(name),
                               "--no-color")
        print(out + err)
        t.eq("replay --setup scenarios/%s: exit 0" % name, code, 0)
        t.check("  PASS, with its timing", "PASS" in out and
                TIMING.search(out), out + err)


def check_setup_include(t):
    """A setup whose proxy includes a file beside it, in another folder
    than the recording (the include is the setup's, not the
    recording's)."""
    work = t.tmpdir()
    deploy = os.path.join(work, "deploy")
    recdir = os.path.join(work, "rec")
    os.mkdir(deploy)
    os.mkdir(recdir)
    selftests = os.path.join(SRC, "tests", "scenarios", "pass")
    for name in ("include-vhost.scn", "include-vhost.conf"):
        shutil.copy(os.path.join(selftests, name), deploy)
    binary_rec(recdir, "rec.scn")
    # relative paths, as a user types them
    code, out, err = wssim("replay", "rec/rec.scn", "--setup",
                           "deploy/include-vhost.scn", "--no-color",
                           cwd=work)
    t.eq("the include is read from the setup's folder: exit 1 (the "
         "vhost proxies over AJP only), not 2", code, 1)
    t.check("  the diff: the 101 became a 500",
            "expected status 101, got HTTP/1.1 500 500" in out, out + err)
    t.check("  no 'cannot read'", "cannot read" not in out + err, out + err)


def body(t):
    with t.case("bad usage and a missing recording"):
        check_usage(t)
    with t.case("bad setups and listeners"):
        check_setup_errors(t)
    with t.case("--setup with an include beside it, the recording elsewhere"):
        check_setup_include(t)
    with t.case("--binary-by-length, with --setup and --target"):
        check_binary_by_length(t)
    with t.case("timing drift: console, JSON, JUnit, --max-drift"):
        check_timing(t)
    with t.case("round trip: capture through the wstunnel fix, replay "
                "against the AJP-only config (--target and --setup)"):
        check_round_trip(t)


if __name__ == "__main__":
    h.run(body, budget=280)

"""`wssim capture -o` and `wssim replay` as programs: the round trip of
issue 5. A Python websockets client talks through a real Apache with the
article's wstunnel fix in front of the mock Tomcat while tcpdump records
the Apache port; `wssim capture -r pcap -o rec.scn` turns it into a
scenario (checked: it parses, it holds the sends and the expectations,
and `wssim run` executes it); `wssim replay rec.scn --target ...` against
the same setup passes (exit 0, also with --asap, --speed and --repeat);
against Apache with the AJP-only config it fails (exit 1) and the report
shows the 101 became a 500 and the echo went missing. Also: bad usage
exits 2, a missing recording exits 2 with the parser's "cannot open".
"""

import asyncio
import json
import os
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


def wssim(*argv, timeout=60):
    p = subprocess.run([h.wssim_binary(), *argv], capture_output=True,
                       text=True, timeout=timeout)
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
    t.eq("no --target exits 2", code, 2)
    t.check("and says --target is required", "--target" in err, err)
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
                           "--speed", "2", "--asap")
    t.eq("--speed with --asap exits 2", code, 2)
    code, out, err = wssim("replay", rec, "--target", "ws://127.0.0.1:9",
                           "--bogus")
    t.eq("an unknown option exits 2", code, 2)
    missing = os.path.join(work, "missing.scn")
    code, out, err = wssim("replay", missing, "--target", "ws://127.0.0.1:9")
    t.eq("a missing recording exits 2", code, 2)
    t.check("with the parser's 'FILE: cannot open'",
            (missing + ": cannot open") in err, err)
    code, out, err = wssim("replay", "--help")
    t.eq("--help exits 0", code, 0)
    t.check("the usage says sessions do not overlap yet",
            "one after" in out and "overlap" in out, out)


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
    for line in ['scenario "recorded by wssim capture from %s"' % pcap,
                 "\texpect status 101\n", "\texpect open\n",
                 '\tsend text "hello"\n', '\texpect text "hello"\n',
                 '\tsend text "world"\n', '\texpect text "world"\n',
                 '\tclose 1000 "done"\n', "\texpect closed 1000\n"]:
        t.check("rec.scn has %r" % line.strip(), line in text, text)
    # each send at its time from the client's start: hello's and world's
    # 0.25 s apart
    ats = [float(ln.strip()[3:-2]) for ln in text.splitlines()
           if ln.strip().startswith("at ") and ln.strip().endswith("ms")]
    t.check("rec.scn keeps the recorded pause between the sends' 'at's",
            len(ats) == 3 and 240 <= ats[1] - ats[0] <= 2000
            and ats[0] <= ats[1] <= ats[2], text)
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
    t.check("  the JSON report says pass",
            '"pass"' in open(jpath).read().lower(), open(jpath).read()[:500])
    t.check("  the JUnit report is written",
            "<testsuite" in open(os.path.join(work, "same.xml")).read())
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


def body(t):
    with t.case("bad usage and a missing recording"):
        check_usage(t)
    with t.case("round trip: capture through the wstunnel fix, replay "
                "against the AJP-only config"):
        check_round_trip(t)


if __name__ == "__main__":
    h.run(body, budget=150)

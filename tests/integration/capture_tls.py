"""`wssim capture --keylog` on a pcap made here: tcpdump on loopback
around two wss sessions of Python `websockets` (Debian's) against the
mock's HTTPS connector, one TLS 1.3 and one TLS 1.2, with the client's
SSLKEYLOGFILE-format key log (ssl.SSLContext.keylog_filename). With the key
log the websocket messages must show in clear both ways, exactly as sent,
each connection's JSON saying it was decrypted (version, cipher suite);
without it both connections show as tls with their SNI and version and
the reason they were not decrypted (no --keylog; no key log line). With
-o the decrypted sessions become wss:// clients with the recorded
messages, their TLS facts as comments, and `wssim replay --target
wss://... --ca/--insecure` replays them over TLS against the mock's HTTPS
connector (exit 0; without a way to trust its certificate it fails); a
connection the key log has no secrets for is named in a comment instead.
A key log with a malformed line is refused with its line number (exit 3).
"""

import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import time

import harness as h

websockets = h.need_websockets()


async def session(mock, keylog, maxver, text):
    ctx = mock.ssl_context()
    ctx.keylog_filename = keylog
    if maxver:
        ctx.maximum_version = maxver
    async with websockets.connect(mock.url("https"), ssl=ctx,
                                  server_hostname="localhost",
                                  open_timeout=5, close_timeout=3) as ws:
        await ws.send(text)
        got = await asyncio.wait_for(ws.recv(), 5)
        return got


def capture(*argv, timeout=60):
    p = subprocess.run([h.wssim_binary(), "capture", *argv],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def tcpdump(t, work, port, name):
    path = os.path.join(work, name)
    # -Z root: Debian's tcpdump otherwise drops to its own user, which
    # cannot write into our private temp dir
    p = subprocess.Popen(["tcpdump", "--immediate-mode", "-Z", "root", "-i", "lo", "-U", "-s", "0",
                          "-w", path, "tcp port %d" % port],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t.defer(lambda: p.poll() is None and p.kill())
    deadline = time.time() + 5
    line = b""
    while time.time() < deadline and b"listening" not in line:
        line = p.stderr.readline()
    return p, path


def stop_tcpdump(p):
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=5)


def texts(conn):
    return [(m["dir"], m["payload"]) for m in conn.get("websocket", {}).get("messages", [])
            if m["opcode"] == "text"]


def wssim(*argv, timeout=60):
    p = subprocess.run([h.wssim_binary(), *argv], capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def clients(text):
    """{name: (url, [step lines])} of a printed scenario."""
    out = {}
    for m in re.finditer(r'^client (\S+) "([^"]*)" \{\n(.*?)^\}', text,
                         re.M | re.S):
        out[m.group(1)] = (m.group(2), [ln.strip() for ln in
                                        m.group(3).splitlines()])
    return out


def body(t):
    if not shutil.which("tcpdump"):
        raise h.Skip("tcpdump is not installed (apt-get install tcpdump)")
    if os.geteuid() != 0:
        raise h.Skip("capturing on lo needs CAP_NET_RAW (run as root)")
    work = t.tmpdir()
    keylog = os.path.join(work, "keys.log")
    mock = h.Mock(t, "https")
    td, pcap = tcpdump(t, work, mock.port["https"], "tls.pcap")
    for maxver, text in ((None, "secret hello"), (ssl.TLSVersion.TLSv1_2, "secret hello 1.2")):
        got = asyncio.run(session(mock, keylog, maxver, text))
        t.eq("the mock echoed", got, text)
    stop_tcpdump(td)
    with open(keylog) as f:
        lines = f.read()
    t.check("the key log has TLS 1.3 and 1.2 secrets",
            "CLIENT_TRAFFIC_SECRET_0" in lines and "CLIENT_RANDOM" in lines, lines[:300])

    with t.case("with --keylog: the messages in clear"):
        code, out, err = capture("-r", pcap, "--keylog", keylog, "--json")
        t.eq("exit 0", code, 0)
        doc = json.loads(out)
        conns = doc["connections"]
        t.eq("two websocket connections", [c["protocol"] for c in conns], ["websocket", "websocket"])
        t.eq("TLS 1.3 session: the text both ways", texts(conns[0]),
             [("c2s", "secret hello"), ("s2c", "secret hello")])
        t.eq("TLS 1.2 session: the text both ways", texts(conns[1]),
             [("c2s", "secret hello 1.2"), ("s2c", "secret hello 1.2")])
        t.check("the summary counts them", "TLS: 2 connections, 2 decrypted" in err, err)
        tls = [c.get("tls") or {} for c in conns]
        t.eq("each says it was decrypted, with its version and suite",
             [(x.get("decrypted"), x.get("not_decrypted"), x.get("selected"),
               (x.get("cipher_suite") or {}).get("name", "")[:8]) for x in tls],
             [(True, None, "TLS1.3", "TLS_AES_"), (True, None, "TLS1.2", "TLS_ECDH")])
        t.check("records decrypted both ways",
                all(x["records"]["c2s"] > 0 and x["records"]["s2c"] > 0 for x in tls), tls)
        t.eq("the summary lines say so",
             len(re.findall(r"websocket .*; decrypted TLS1\.[23] TLS_\S+ sni=localhost$",
                            err, re.M)), 2)

    with t.case("without --keylog: tls with SNI and version"):
        code, out, err = capture("-r", pcap, "--json")
        t.eq("exit 0", code, 0)
        conns = json.loads(out)["connections"]
        t.eq("two tls connections", [c["protocol"] for c in conns], ["tls", "tls"])
        t.eq("SNI and selected versions",
             [(c["tls"]["sni"], c["tls"]["selected"]) for c in conns],
             [("localhost", "TLS1.3"), ("localhost", "TLS1.2")])
        t.eq("not decrypted: no --keylog",
             [(c["tls"]["decrypted"], c["tls"]["not_decrypted"]["reason"]) for c in conns],
             [(False, "no_keylog")] * 2)
        t.eq("the summary lines say why", err.count("; not decrypted: no --keylog given"), 2)

    with t.case("a key log without this session's secrets, and a malformed one"):
        other = os.path.join(work, "other.log")
        with open(other, "w") as f:
            f.write("CLIENT_RANDOM " + "ab" * 32 + " " + "cd" * 48 + "\n")
        code, out, err = capture("-r", pcap, "--keylog", other, "--json")
        t.eq("exit 0", code, 0)
        conns = json.loads(out)["connections"]
        t.eq("still tls", [c["protocol"] for c in conns], ["tls", "tls"])
        t.check("each reported without a key log entry", err.count("no key log entry") == 2, err)
        t.eq("the JSON says why",
             [c["tls"]["not_decrypted"] for c in conns],
             [{"reason": "no_key", "text": "no key log line for this client random"}] * 2)

    with t.case("malformed key log lines are skipped with a warning, the rest decrypts"):
        mixed = os.path.join(work, "mixed.log")
        good = [ln for ln in lines.splitlines() if ln.strip()]
        with open(mixed, "w") as f:
            f.write("# comment\nCLIENT_RANDOM abc\n")            # line 2
            f.write("CLIENT_RANDOM " + "z" * 5000 + "\n")          # line 3
            f.write("\n".join(good) + "\n")
            f.write("SERVER_TRAFFIC_SECRET_0 " + "ab" * 32 + " xyz")  # last, no LF
        last = 3 + len(good) + 1
        code, out, err = capture("-r", pcap, "--keylog", mixed, "--json")
        t.eq("exit 0", code, 0)
        warns = [ln for ln in err.splitlines() if "warning: --keylog" in ln]
        t.eq("one warning a bad line, with the file, line number and why", warns, [
            "wssim capture: warning: --keylog %s:2: CLIENT_RANDOM: expected LABEL "
            "CLIENT_RANDOM SECRET (three fields); line skipped" % mixed,
            "wssim capture: warning: --keylog %s:3: longer than 4096 bytes; line skipped" % mixed,
            "wssim capture: warning: --keylog %s:%d: SERVER_TRAFFIC_SECRET_0: the secret "
            "is not 64 or 96 hex digits; line skipped" % (mixed, last)])
        conns = json.loads(out)["connections"]
        t.eq("both sessions decrypted with the good lines",
             [texts(c) for c in conns],
             [[("c2s", "secret hello"), ("s2c", "secret hello")],
              [("c2s", "secret hello 1.2"), ("s2c", "secret hello 1.2")]])

    with t.case("-o: wss:// clients with the recorded messages, replayed over TLS"):
        rec = os.path.join(work, "tls.scn")
        code, out, err = capture("-r", pcap, "--keylog", keylog, "-o", rec)
        t.eq("exit 0", code, 0)
        with open(rec) as f:
            text = f.read()
        cl = clients(text)
        t.eq("two wss:// clients", [u.split("://")[0] for u, _ in cl.values()],
             ["wss", "wss"])
        want = {"secret hello": 'c1', "secret hello 1.2": 'c2'}
        for msg, name in want.items():
            steps = cl.get(name, ("", []))[1]
            # each with its recorded time (at), which replay compares
            t.eq("%s: the recorded messages" % name,
                 [re.sub(r" at \d+(\.\d{1,3})?ms$", " at T", s)
                  for s in steps if s.startswith(("send", "expect text"))],
                 ['send text "%s" at T' % msg, 'expect text "%s" at T' % msg])
        t.check("the header says how to trust the target",
                "--ca FILE or --insecure" in text, text)
        t.check("the TLS facts as a comment on each client",
                re.search(r'^# recorded over TLS1\.3 \(TLS_\S+\), SNI localhost, '
                          r'decrypted with the key log\nclient c1 ', text, re.M) and
                re.search(r'^# recorded over TLS1\.2 \(TLS_\S+\), SNI localhost, '
                          r'decrypted with the key log\nclient c2 ', text, re.M), text)
        target = "wss://127.0.0.1:%d" % mock.port["https"]
        upgrades = mock.log().count(" -> 101")
        code, out, err = wssim("replay", rec, "--target", target, "--ca", mock.ca,
                               "--no-color")
        t.eq("replay --target wss://... --ca: exit 0", code, 0)
        t.check("  (report)", code == 0 and "PASS" in out, out + err)
        code, out, err = wssim("replay", rec, "--target", target, "--insecure",
                               "--no-color")
        t.eq("replay --target wss://... --insecure: exit 0", code, 0)
        t.check("  (report)", code == 0, out + err)
        log = mock.log()
        t.eq("the mock's HTTPS connector upgraded both clients twice",
             log.count(" -> 101") - upgrades, 4)
        code, out, err = wssim("replay", rec, "--target", target, "--no-color")
        t.check("without --ca or --insecure the mock's certificate is refused",
                code != 0 and "certificate" in (out + err).lower(), out + err)

    with t.case("-o: a TLS connection without secrets is named, not lost"):
        only13 = os.path.join(work, "only13.log")
        with open(only13, "w") as f:
            f.writelines(ln + "\n" for ln in lines.splitlines()
                         if ln and not ln.startswith("CLIENT_RANDOM"))
        rec = os.path.join(work, "only13.scn")
        code, out, err = capture("-r", pcap, "--keylog", only13, "-o", rec)
        t.eq("exit 0", code, 0)
        with open(rec) as f:
            text = f.read()
        t.eq("one client, the TLS 1.3 session", [(n, u[:6]) for n, (u, _) in clients(text).items()],
             [("c1", "wss://")])
        t.check("a comment names the other connection and why",
                re.search(r"^# connection #2 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:%d: "
                          r"TLS1\.2 \(TLS_\S+\), SNI localhost; not recorded, as it "
                          r"was not decrypted: no key log line for this client random$"
                          % mock.port["https"], text, re.M), text)
        code, out, err = wssim("replay", rec, "--target",
                               "wss://127.0.0.1:%d" % mock.port["https"], "--ca", mock.ca,
                               "--no-color")
        t.eq("and it replays: exit 0", code, 0)
        t.check("  (report)", code == 0, out + err)
        rec = os.path.join(work, "none.scn")
        code, out, err = capture("-r", pcap, "-o", rec)
        t.eq("without --keylog: exit 0", code, 0)
        t.check("nothing to replay: not written, and the summary says why",
                not os.path.exists(rec) and "not written" in err and
                out.count("not decrypted: no --keylog given") == 2, out + err)


if __name__ == "__main__":
    h.run(body, budget=120)

"""`wssim capture` as a program, on real pcaps: the captures of a real
Tomcat 10 and a real Apache in ../shared/captures/, and pcaps made here by
running tcpdump on loopback around our own sessions (a websocket echo with
permessage-deflate negotiated by node ws, and a session through a real
Apache in front of the mock: both legs). The extracted messages, status
lines and close codes must be exactly what was sent. Also: --json is one
JSON document on stdout and nothing else, a truncated pcap and a wrong
magic give clear messages, bad usage exits 2, an unreadable file exits 3.
"""

import base64
import json
import re
import os
import shutil
import signal
import struct
import subprocess
import time

import harness as h

SRC = os.environ.get("WSSIM_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.normpath(os.path.join(SRC, "..", "shared", "captures"))


def capture(*argv, timeout=60):
    p = subprocess.run([h.wssim_binary(), "capture", *argv],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ws_messages(doc, conn_pred=lambda c: True):
    out = []
    for c in doc["connections"]:
        if c.get("protocol") == "websocket" and conn_pred(c):
            for m in c.get("websocket", {}).get("messages", []):
                if m.get("encoding") == "base64":
                    m["payload"] = base64.b64decode(m["payload"])
                out.append(m)
    return out


def check_shared(t):
    direct = os.path.join(SHARED, "tomcat10-direct-echo.pcap")
    both = os.path.join(SHARED, "apache-ajp-only-both-legs.pcap")
    if not os.path.exists(direct):
        raise h.Skip("../shared/captures is not there (%s)" % SHARED)
    code, out, err = capture("-r", direct)
    t.eq("direct echo: exit 0", code, 0)
    t.check("summary names the websocket and its close",
            "websocket" in out and "1000" in out, out + err)
    code, out, err = capture("-r", direct, "--json")
    t.eq("--json: exit 0", code, 0)
    doc = json.loads(out)
    t.eq("schema", (doc["schema"], doc["version"]), ("wssim-capture", 3))
    msgs = ws_messages(doc)
    texts = [(m["dir"], m["payload"]) for m in msgs if m["opcode"] == "text"]
    t.eq("the text both ways", texts, [("c2s", "hello"), ("s2c", "hello")])
    closes = [(m["dir"], m.get("code"), m.get("reason")) for m in msgs if m["opcode"] == "close"]
    t.eq("close 1000 'bye' both ways", closes, [("c2s", 1000, "bye"), ("s2c", 1000, "bye")])
    pings = [m for m in msgs if m["opcode"] in ("ping", "pong")]
    t.eq("a ping and its pong", [m["opcode"] for m in pings], ["ping", "pong"])
    t.check("same ping/pong payload", len(pings) == 2 and pings[0].get("payload") == pings[1].get("payload"), pings)
    code, out, err = capture("-r", both, "--json")
    t.eq("both legs: exit 0", code, 0)
    doc = json.loads(out)
    protos = sorted(c["protocol"] for c in doc["connections"])
    t.check("an http and an ajp connection", "ajp" in protos and "http" in protos, protos)
    ajp = [c for c in doc["connections"] if c["protocol"] == "ajp"][0]
    http = [c for c in doc["connections"] if c["protocol"] == "http"][0]
    t.check("AJP: the upgrade answered 500", "500" in json.dumps(ajp), json.dumps(ajp)[:600])
    t.check("client leg: HTTP/1.1 500 500", "500" in json.dumps(http), json.dumps(http)[:600])
    t.check("the legs are linked", json.dumps(ajp).find(str(http["id"])) >= 0 or
            json.dumps(http).find(str(ajp["id"])) >= 0, (ajp.get("links"), http.get("links")))
    code, out, err = capture("-r", both)
    t.check("summary: the browser would report 1006", "1006" in out, out)


def tcpdump(t, work, port, name):
    path = os.path.join(work, name)
    # -Z root: Debian's tcpdump otherwise drops to its own user, which
    # cannot write into our private temp dir
    p = subprocess.Popen(["tcpdump", "--immediate-mode", "-Z", "root", "-i", "lo", "-U", "-s", "0", "-w", path,
                          "tcp port %d" % port],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t.defer(lambda: p.poll() is None and p.kill())
    # tcpdump says "listening on lo" on stderr once it captures
    deadline = time.time() + 5
    line = b""
    while time.time() < deadline and b"listening" not in line:
        line = p.stderr.readline()
    return p, path


def stop_tcpdump(p):
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=5)


NODE_CLIENT = r"""
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[2]);   // permessage-deflate by default
ws.on('open', () => { ws.send('compressed hello, compressed hello'); });
ws.on('message', (m) => { ws.close(1000, 'done'); });
ws.on('close', () => process.exit(0));
setTimeout(() => process.exit(1), 5000);
"""


def check_own_capture(t):
    if not shutil.which("tcpdump"):
        raise h.Skip("tcpdump is not installed (apt-get install tcpdump)")
    if os.geteuid() != 0:
        raise h.Skip("capturing on lo needs CAP_NET_RAW (run as root)")
    work = t.tmpdir()
    mock = h.Mock(t, "http")
    port = mock.port["http"]
    td, pcap = tcpdump(t, work, port, "deflate.pcap")
    js = os.path.join(work, "client.js")
    with open(js, "w") as f:
        f.write(NODE_CLIENT)
    r = subprocess.run(["node", js, "ws://127.0.0.1:%d/examples/websocket/echoProgrammatic" % port],
                       env=dict(os.environ, NODE_PATH="/usr/share/nodejs"), timeout=20)
    t.eq("node ws client ran", r.returncode, 0)
    stop_tcpdump(td)
    code, out, err = capture("-r", pcap, "--json")
    t.eq("own capture: exit 0", code, 0)
    doc = json.loads(out)
    msgs = ws_messages(doc)
    texts = [(m["dir"], m["payload"]) for m in msgs if m["opcode"] == "text"]
    t.eq("permessage-deflate inflated both ways", texts,
         [("c2s", "compressed hello, compressed hello"), ("s2c", "compressed hello, compressed hello")])
    t.check("the compression was negotiated", "permessage-deflate" in out, out[:400])
    closes = [(m["dir"], m.get("code"), m.get("reason")) for m in msgs if m["opcode"] == "close"]
    t.eq("close 1000 'done' both ways", closes, [("c2s", 1000, "done"), ("s2c", 1000, "done")])


LIVE_CLIENT = r"""
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[2], {perMessageDeflate: false});
ws.on('open', () => { ws.send('live one'); });
ws.on('message', (m) => { ws.close(1001, 'going'); });
ws.on('close', () => process.exit(0));
setTimeout(() => process.exit(1), 5000);
"""


def check_live(t):
    if os.geteuid() != 0:
        raise h.Skip("live capture needs CAP_NET_RAW (run as root)")
    work = t.tmpdir()
    mock = h.Mock(t, "http")
    port = mock.port["http"]
    p = subprocess.Popen([h.wssim_binary(), "capture", "-i", "lo", "-f",
                          "tcp port %d" % port, "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t.defer(lambda: p.poll() is None and p.kill())
    time.sleep(0.5)  # the capture is open
    js = os.path.join(work, "live.js")
    with open(js, "w") as f:
        f.write(LIVE_CLIENT)
    r = subprocess.run(["node", js, "ws://127.0.0.1:%d/examples/websocket/echoAnnotation" % port],
                       env=dict(os.environ, NODE_PATH="/usr/share/nodejs"), timeout=20)
    t.eq("node ws client ran", r.returncode, 0)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    t.eq("Ctrl-C on a live capture: exit 0", p.returncode, 0)
    doc = json.loads(out)
    msgs = ws_messages(doc)
    t.eq("what was captured so far is written",
         [(m["dir"], m["payload"]) for m in msgs if m["opcode"] == "text"],
         [("c2s", "live one"), ("s2c", "live one")])
    t.eq("with the close",
         [(m["dir"], m.get("code"), m.get("reason")) for m in msgs if m["opcode"] == "close"],
         [("c2s", 1001, "going"), ("s2c", 1001, "going")])


def check_live_unprivileged(t):
    """Live capture without the privilege: exit 3, naming the
    capabilities it needs. Run as an unprivileged user (setpriv), from a
    copy of the binary that user may execute."""
    if os.geteuid() != 0:
        raise h.Skip("dropping privileges to test this needs root")
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise h.Skip("setpriv (util-linux) is not installed")
    user, group = h._unprivileged_user()
    work = t.tmpdir()
    os.chmod(work, 0o755)
    exe = os.path.join(work, "wssim")
    shutil.copy(h.wssim_binary(), exe)
    os.chmod(exe, 0o755)
    p = subprocess.run([setpriv, "--reuid=" + user, "--regid=" + group,
                        "--clear-groups", "--inh-caps=-all", exe, "capture",
                        "-i", "lo", "--count", "1"],
                       capture_output=True, text=True, timeout=30)
    t.eq("as %s: exit 3" % user, p.returncode, 3)
    t.check("  says which capabilities it needs",
            "lo: live capture needs the CAP_NET_RAW and CAP_NET_ADMIN "
            "capabilities" in p.stderr, p.stderr)
    t.check("  and how to grant them", "setcap cap_net_raw,cap_net_admin"
            in p.stderr, p.stderr)


def check_bad_input(t):
    work = t.tmpdir()
    code, out, err = capture("-r", os.path.join(work, "missing.pcap"))
    t.eq("a missing file exits 3", code, 3)
    t.check("and says so", "missing.pcap" in err, err)
    bad = os.path.join(work, "bad.pcap")
    with open(bad, "wb") as f:
        f.write(b"this is not a pcap file at all, not even close" * 4)
    code, out, err = capture("-r", bad)
    t.eq("a wrong magic exits 3", code, 3)
    t.check("the message names the file", "bad.pcap" in err, err)
    direct = os.path.join(SHARED, "tomcat10-direct-echo.pcap")
    if os.path.exists(direct):
        with open(direct, "rb") as f:
            data = f.read()
        cut = os.path.join(work, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 2 // 3])
        code, out, err = capture("-r", cut)
        t.eq("a truncated pcap still exits 0 (input read)", code, 0)
        t.check("it says the file was cut", "truncat" in (out + err).lower(), out + err)
        t.check("and decodes what came before", "websocket" in out, out)
        # two captures run together on stdin: the second's file header
        # read as a packet; a pipe has no offset to give
        p = subprocess.run([h.wssim_binary(), "capture", "-r", "-"],
                           input=data + data, capture_output=True,
                           timeout=60)
        err = p.stderr.decode()
        t.eq("-r - with a corrupt stream exits 0 (input read)",
             p.returncode, 0)
        t.check("  names the packet it could not read",
                re.search(r"-: unreadable from packet \d+ on \(after \d+ "
                          r"complete packets\): ", err), err)
        t.check("  and decodes what came before",
                b"websocket" in p.stdout, p.stdout)
    code, out, err = capture("--bogus")
    t.eq("an unknown option exits 2", code, 2)


def syn_flood_pcap(path, n):
    """A pcap (raw IPv4) of n unanswered SYNs, 5 us apart, each from its
    own address and port to 192.0.2.2:80."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i in range(n):
            src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0,
                             src, bytes([192, 0, 2, 2]))
            tcp = struct.pack("!HHIIBBHHH", 1024 + i % 60000, 80, i * 7919,
                              0, 5 << 4, 0x02, 65535, 0, 0)
            us = i * 5
            f.write(struct.pack("<IIII", 1700000000 + us // 1000000,
                                us % 1000000, 40, 40) + ip + tcp)


def pcap_of(path, packets):
    """A pcap (raw IPv4) of (src, sport, dst, dport, seq, ack, flags,
    payload) tuples, 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i, (src, sp, dst, dp, seq, ack, fl, data) in enumerate(packets):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(data), 0, 0,
                             64, 6, 0, bytes(src), bytes(dst))
            tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, fl,
                              65535, 0, 0)
            n = 40 + len(data)
            f.write(struct.pack("<IIII", 1700000000, i * 1000, n, n) + ip + tcp + data)


def check_conflicting_retransmission(t):
    work = t.tmpdir()
    path = os.path.join(work, "conflict.pcap")
    C, S = (192, 0, 2, 1), (192, 0, 2, 2)
    req_a = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    req_b = b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n"  # same length
    resp = b"HTTP/1.1 204 No Content\r\n\r\n"
    pcap_of(path, [
        (C, 41000, S, 80, 100, 0, 0x02, b""),
        (S, 80, C, 41000, 900, 101, 0x12, b""),
        (C, 41000, S, 80, 101, 901, 0x10, b""),
        (C, 41000, S, 80, 101, 901, 0x18, req_a),
        (C, 41000, S, 80, 101, 901, 0x18, req_a),   # a faithful copy
        (C, 41000, S, 80, 101, 901, 0x18, req_b),   # other bytes
        (S, 80, C, 41000, 901, 101 + len(req_a), 0x18, resp),
    ])
    code, out, err = capture("-r", path)
    t.eq("exit 0", code, 0)
    lines = out.splitlines()
    t.check("the connection's line counts it, the first copy kept (/a)",
            lines[0].endswith("; retransmissions with different data c2s 1 s2c 0 "
                              "(first copy kept)") and '"GET /a"' in lines[0], out)
    t.check("and the summary line", "; 1 retransmissions with different data;" in lines[-1],
            lines[-1])
    code, out, err = capture("-r", path, "--json")
    c = json.loads(out)["connections"][0]
    t.eq("JSON: retransmission_conflicts", c["retransmission_conflicts"], {"c2s": 1, "s2c": 0})
    t.eq("JSON: the request is the first copy", c["exchanges"][0]["request"]["target"], "/a")
    t.eq("JSON: a note says which copy is kept", [n["text"] for n in c["notes"]],
         ["c2s: 1 retransmission with different data, the first at byte %d; "
          "the first copy of each byte is kept" % len(req_a)])


def check_syn_flood(t):
    work = t.tmpdir()
    flood = os.path.join(work, "flood.pcap")
    syn_flood_pcap(flood, 12000)
    code, out, err = capture("-r", flood)
    t.eq("exit 0", code, 0)
    last = out.splitlines()[-1]
    t.check("the summary line counts the evicted",
            last.startswith("12000 packets, 12000 TCP segments, 12000 connections;")
            and last.endswith("; 0 retransmissions with different data; 2000 connections without payload evicted"), last)
    t.eq("the 10000 held at the end are listed", len(out.splitlines()) - 1, 10000)
    keys = os.path.join(work, "empty.log")
    open(keys, "w").close()
    # with --keylog the TLS filter sits in front: it forgets them too
    code, out, err = capture("-r", flood, "--json", "--keylog", keys)
    t.eq("--json --keylog: exit 0", code, 0)
    doc = json.loads(out)
    t.eq("JSON: evicted_connections, and the others listed",
         (doc["version"], doc["evicted_connections"], len(doc["connections"])),
         (3, 2000, 10000))
    t.eq("the oldest went first", doc["connections"][0]["id"], 2001)


def body(t):
    with t.case("../shared/captures"):
        check_shared(t)
    with t.case("bad input"):
        check_bad_input(t)
    with t.case("a SYN flood: bounded, evicted ones counted"):
        check_syn_flood(t)
    with t.case("a retransmission with different data"):
        check_conflicting_retransmission(t)
    with t.case("tcpdump around our own session"):
        check_own_capture(t)
    with t.case("live capture, stopped with Ctrl-C"):
        check_live(t)
    with t.case("live capture without the privilege"):
        check_live_unprivileged(t)


if __name__ == "__main__":
    h.run(body, budget=120)

"""`wssim capture --keylog` on a pcap made here: tcpdump on loopback
around two wss sessions of Python `websockets` (Debian's) against the
mock's HTTPS connector, one TLS 1.3 and one TLS 1.2, with the client's
SSLKEYLOGFILE-format key log (ssl.SSLContext.keylog_filename). With the key
log the websocket messages must show in clear both ways, exactly as sent;
without it both connections show as tls with their SNI and version. A
key log with a malformed line is refused with its line number (exit 3).
"""

import asyncio
import json
import os
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

    with t.case("without --keylog: tls with SNI and version"):
        code, out, err = capture("-r", pcap, "--json")
        t.eq("exit 0", code, 0)
        conns = json.loads(out)["connections"]
        t.eq("two tls connections", [c["protocol"] for c in conns], ["tls", "tls"])
        t.eq("SNI and selected versions",
             [(c["tls"]["sni"], c["tls"]["selected"]) for c in conns],
             [("localhost", "TLS1.3"), ("localhost", "TLS1.2")])

    with t.case("a key log without this session's secrets, and a malformed one"):
        other = os.path.join(work, "other.log")
        with open(other, "w") as f:
            f.write("CLIENT_RANDOM " + "ab" * 32 + " " + "cd" * 48 + "\n")
        code, out, err = capture("-r", pcap, "--keylog", other, "--json")
        t.eq("exit 0", code, 0)
        conns = json.loads(out)["connections"]
        t.eq("still tls", [c["protocol"] for c in conns], ["tls", "tls"])
        t.check("each reported without a key log entry", err.count("no key log entry") == 2, err)
        with open(other, "a") as f:
            f.write("# comment\nCLIENT_RANDOM abc\n")
        code, out, err = capture("-r", pcap, "--keylog", other)
        t.eq("a malformed key log exits 3", code, 3)
        t.check("with the file and line number", other + ":3:" in err, err)


if __name__ == "__main__":
    h.run(body, budget=120)

"""`wssim mock-tomcat` as a program: its command line (bad arguments exit
2 with a message), shutdown on SIGTERM/SIGINT with websocket sessions open
(close 1001 "The web application is stopping", exit 0 within 1.5 s even
if the client never answers), the AJP connector spoken to by hand (secret,
CPING), and abuse that must not take it down or block other clients.

AJP13 packets are built here by hand after the ajpv13a protocol document:
to the container 0x12 0x34, a 16-bit length, the payload; from it "AB",
a 16-bit length, the payload; strings are a 16-bit length, the bytes and
a NUL (0xFFFF for a null string).
"""

import contextlib
import os
import socket
import struct
import subprocess
import threading
import time

import harness as h
from harness import OP_PING, OP_PONG, OP_TEXT

# --------------------------------------------------------------------------
# AJP13 by hand

AJP_FORWARD_REQUEST, AJP_CPING = 2, 10
AJP_SEND_BODY_CHUNK, AJP_SEND_HEADERS, AJP_END_RESPONSE = 3, 4, 5
AJP_GET_BODY_CHUNK, AJP_CPONG = 6, 9
AJP_METHOD_GET = 2
AJP_HEADER_HOST = 0xA00B
AJP_ATTR_SECRET, AJP_ATTR_DONE = 0x0C, 0xFF


def ajp_string(s):
    if s is None:
        return b"\xff\xff"
    b = s.encode()
    return struct.pack("!H", len(b)) + b + b"\0"


def ajp_packet(payload):
    return b"\x12\x34" + struct.pack("!H", len(payload)) + payload


def ajp_forward_request(path, secret=None, headers=()):
    """A FORWARD_REQUEST for GET `path` as mod_proxy_ajp would send it."""
    p = bytes([AJP_FORWARD_REQUEST, AJP_METHOD_GET])
    p += ajp_string("HTTP/1.1") + ajp_string(path)
    p += ajp_string("127.0.0.1") + ajp_string(None) + ajp_string("localhost")
    p += struct.pack("!H", 80) + b"\0"  # server_port, is_ssl
    hs = [(AJP_HEADER_HOST, "localhost")] + list(headers)
    p += struct.pack("!H", len(hs))
    for name, value in hs:
        p += struct.pack("!H", name) if isinstance(name, int) else ajp_string(name)
        p += ajp_string(value)
    if secret is not None:
        p += bytes([AJP_ATTR_SECRET]) + ajp_string(secret)
    p += bytes([AJP_ATTR_DONE])
    return ajp_packet(p)


class AjpReader:
    """Reads container packets ("AB", length, payload) from a Probe."""

    def __init__(self, probe):
        self.p = probe

    def packet(self):
        head = self.p.recv_exact(4)
        if head[:2] != b"AB":
            raise AssertionError("not an AJP container packet: %r" % head)
        return self.p.recv_exact(struct.unpack("!H", head[2:])[0])

    def response(self):
        """(status, message, headers, body, reuse) up to END_RESPONSE."""
        status, message, headers, body = None, None, [], b""
        while True:
            pkt = self.packet()
            kind = pkt[0]
            if kind == AJP_SEND_HEADERS:
                status, message, headers = self._headers(pkt)
            elif kind == AJP_SEND_BODY_CHUNK:
                n = struct.unpack("!H", pkt[1:3])[0]
                body += pkt[3:3 + n]
            elif kind == AJP_END_RESPONSE:
                return status, message, headers, body, pkt[1] == 1
            else:
                raise AssertionError("unexpected AJP packet type %d" % kind)

    @staticmethod
    def _headers(pkt):
        pos = 1

        def string():
            nonlocal pos
            n = struct.unpack("!H", pkt[pos:pos + 2])[0]
            pos += 2
            if n == 0xFFFF:
                return None
            s = pkt[pos:pos + n].decode("latin-1")
            pos += n + 1
            return s

        status = struct.unpack("!H", pkt[pos:pos + 2])[0]
        pos += 2
        message = string()
        count = struct.unpack("!H", pkt[pos:pos + 2])[0]
        pos += 2
        headers = []
        for _ in range(count):
            if pkt[pos] == 0xA0:
                code = struct.unpack("!H", pkt[pos:pos + 2])[0]
                pos += 2
                name = "0x%04X" % code
            else:
                name = string()
            headers.append((name, string()))
        return status, message, headers


CPING = ajp_packet(bytes([AJP_CPING]))
CPONG = b"AB\x00\x01" + bytes([AJP_CPONG])


# --------------------------------------------------------------------------
# The checks


def check_usage(t, wssim):
    bad = [
        ([], "no connector named"),
        (["--http", "abc"], "a port that is not a number"),
        (["--http", "70000"], "a port out of range"),
        (["--http"], "an option without its value"),
        (["--bogus"], "an unknown option"),
        (["--http", "0", "extra"], "a stray argument"),
        (["--https", "0", "--cert", "/nonexistent.pem"], "--cert without --key"),
        (["--ajp", "0", "--ajp-packet-size", "100"], "an AJP packet size too small"),
        (["--http", "0", "--bind", "not-an-address"], "a --bind that is no IP"),
    ]
    for args, what in bad:
        r = subprocess.run([wssim, "mock-tomcat"] + args, capture_output=True,
                           timeout=5, stdin=subprocess.DEVNULL)
        err = r.stderr.decode("utf-8", "replace").strip()
        t.check("%s: exit 2 with a message (%s)" % (what, (err.splitlines() or ["-"])[0]),
                r.returncode == 2 and "mock-tomcat" in err and not r.stdout,
                "exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout, err))
    r = subprocess.run([wssim, "mock-tomcat", "--help"], capture_output=True,
                       timeout=5, stdin=subprocess.DEVNULL)
    t.check("--help: exit 0 with the usage on stdout",
            r.returncode == 0 and b"usage: wssim mock-tomcat" in r.stdout,
            "exit %d, %r" % (r.returncode, r.stdout[:200]))


def check_shutdown(t, sig):
    name = "SIGTERM" if sig == 15 else "SIGINT"
    mock = h.Mock(t, "http", "https")
    sessions = [h.ws_open(mock.port["http"]),
                h.ws_open(mock.port["https"], tls=mock.ssl_context(),
                          server_hostname="localhost")]
    idle_http = h.Probe(mock.port["http"])  # a keep-alive connection, idle
    idle_http.request("GET", h.ECHO_PAGE)
    t.eq("%s: the idle HTTP connection was served" % name,
         idle_http.read_response().status, 200)
    sessions[0].send_frame(OP_TEXT, b"before")
    sessions[0].recv_frame()
    try:
        start = time.monotonic()
        mock.child.kill(sig)
        for i, p in enumerate(sessions):
            f = p.recv_frame(timeout=2)
            t.eq("%s: session %d (%s) gets close 1001 %r" %
                 (name, i + 1, ("http", "https")[i], h.STOPPING),
                 (f.opcode, h.parse_close(f.payload)), (h.OP_CLOSE, (1001, h.STOPPING)))
        # The clients never answer the close: the mock must not wait for them.
        code = mock.child.wait(timeout=3)
        took = time.monotonic() - start
        t.eq("%s: exit code 0" % name, code, 0)
        t.check("%s: exited within 1.5 s (%.2f s)" % (name, took), took <= 1.5)
        for i, p in enumerate(sessions):
            t.check("%s: session %d's TCP connection ended" % (name, i + 1),
                    p.peer_closed(timeout=1))
    finally:
        for p in sessions + [idle_http]:
            p.close()


def ajp_request(port, path, secret=None):
    with h.Probe(port) as p:
        p.send(ajp_forward_request(path, secret))
        status, message, headers, body, reuse = AjpReader(p).response()
        pong = None
        if reuse:
            p.send(CPING)
            pong = p.recv_exact(5)
        return status, message, body, reuse, pong


def check_ajp_secret_sources(t):
    """The secret from a file or the environment, and never left in the
    command line that every user's ps shows."""
    work = t.tmpdir()
    path = os.path.join(work, "secret")
    with open(path, "w") as f:
        f.write("fr0m-file\n")
    os.chmod(path, 0o600)
    for how, args, env, secret in (
            ("--ajp-secret-file", ["--ajp-secret-file", path], None, "fr0m-file"),
            ("WSSIM_AJP_SECRET", [], {"WSSIM_AJP_SECRET": "fr0m-env"}, "fr0m-env"),
            ("--ajp-secret", ["--ajp-secret", "fr0m-argv"], None, "fr0m-argv")):
        mock = h.Mock(t, "ajp", args=args, env=env)
        port = mock.port["ajp"]
        t.eq("%s: without the secret -> 403" % how,
             ajp_request(port, h.ECHO_PAGE)[0], 403)
        t.eq("%s: with it -> 200" % how,
             ajp_request(port, h.ECHO_PAGE, secret=secret)[0], 200)
        with open("/proc/%d/cmdline" % mock.child.proc.pid, "rb") as f:
            cmdline = f.read()
        t.check("%s: the secret is not in the command line ps shows" % how,
                secret.encode() not in cmdline, cmdline)
        mock.stop()
    for what, content in (("an empty first line", "\nx\n"),):
        bad = os.path.join(work, "bad")
        with open(bad, "w") as f:
            f.write(content)
        p = subprocess.run([h.wssim_binary(), "mock-tomcat", "--ajp", "0",
                            "--ajp-secret-file", bad], capture_output=True,
                           text=True, timeout=10)
        t.eq("--ajp-secret-file with %s: exit 2" % what, p.returncode, 2)
        t.check("  says so", "first line is empty" in p.stderr, p.stderr)
    p = subprocess.run([h.wssim_binary(), "mock-tomcat", "--ajp", "0",
                        "--ajp-secret-file", "/dev/zero"], capture_output=True,
                       text=True, timeout=10)
    t.eq("--ajp-secret-file /dev/zero: exit 2 at once", p.returncode, 2)


def check_ajp(t):
    mock = h.Mock(t, "ajp", args=["--ajp-secret", "s3cret"])
    port = mock.port["ajp"]
    with h.Probe(port) as p:
        p.send(CPING)
        t.eq("CPING -> CPONG", p.recv_exact(5), CPONG)
        p.send(CPING + CPING)
        t.eq("two CPINGs in one write -> two CPONGs", p.recv_exact(10), CPONG * 2)

    status, message, _, _, _ = ajp_request(port, h.ECHO_PAGE)
    t.eq("FORWARD_REQUEST without the secret -> SEND_HEADERS 403", (status, message), (403, "403"))
    status, _, _, _, _ = ajp_request(port, h.ECHO_PAGE, secret="wrong")
    t.eq("with a wrong secret -> 403", status, 403)
    status, message, body, reuse, pong = ajp_request(port, h.ECHO_PAGE, secret="s3cret")
    t.eq("with the secret -> SEND_HEADERS 200 '200'", (status, message), (200, "200"))
    t.check("the body is the echo page", b"WebSocket connection opened" in body, body[:100])
    t.check("END_RESPONSE allows reuse", reuse)
    t.eq("CPING on the reused connection -> CPONG", pong, CPONG)
    t.check("the mock logged the missing secret", "missing AJP secret" in mock.log(),
            mock.log()[-500:])
    t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


def check_abuse(t):
    mock = h.Mock(t, "http", "ajp")
    http, ajp = mock.port["http"], mock.port["ajp"]

    def served(what):
        start = time.monotonic()
        r = h.http_get(http, h.ECHO_PAGE, timeout=3)
        took = time.monotonic() - start
        t.check("%s: another client is served (%.3f s)" % (what, took),
                r.status == 200 and took < 1.0, r.status_line)

    # A 10 MB request header.
    big = h.Probe(http, timeout=10)
    sender_error = []

    def send_big():
        try:
            big.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (10 << 20) + b"\r\n\r\n")
        except OSError as e:
            sender_error.append(e)
    sender = threading.Thread(target=send_big, daemon=True)
    sender.start()
    served("10 MB header")
    try:
        r = big.read_head(timeout=5)
        t.eq("10 MB header -> 400", r.status_line, "HTTP/1.1 400 ")
    except (EOFError, ConnectionResetError) as e:
        t.check("10 MB header -> connection closed (%s)" % type(e).__name__, True)
    sender.join(10)
    t.check("the sender of 10 MB was cut off, not left hanging", not sender.is_alive())
    big.close()

    # A client sending one byte per 50 ms.
    request = ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % h.ECHO_PAGE).encode()
    slow = h.Probe(http, timeout=10)

    def trickle():
        with contextlib.suppress(OSError):
            for i in range(len(request)):
                slow.send(request[i:i + 1])
                time.sleep(0.05)
    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    worst, ok = 0.0, True
    while trickler.is_alive():
        start = time.monotonic()
        ok = h.http_get(http, h.ECHO_PAGE, timeout=3).status == 200
        with h.ws_open(http) as p:
            p.send_frame(OP_TEXT, b"quick")
            ok = ok and p.recv_frame().payload == b"quick"
        worst = max(worst, time.monotonic() - start)
        if not ok:
            break
        time.sleep(0.05)
    t.check("while a client trickles its request, others are served "
            "(worst %.3f s)" % worst, ok and worst < 0.5)
    trickler.join(5)
    t.eq("the slow client gets its answer in the end", slow.read_response().status, 200)
    slow.close()

    # 10000 pings in a row.
    with h.ws_open(http, timeout=10) as p:
        n = 10000
        flood = b"".join(h.encode_frame(OP_PING, struct.pack("!I", i)) for i in range(n))
        pinger = threading.Thread(target=lambda: p.send(flood), daemon=True)
        pinger.start()
        bad = None
        for i in range(n):
            f = p.recv_frame()
            if f.opcode != OP_PONG or f.payload != struct.pack("!I", i):
                bad = (i, f)
                break
        pinger.join(5)
        t.check("10000 pings -> 10000 pongs in order with their payloads", bad is None,
                repr(bad))
        p.send_frame(OP_TEXT, b"after the flood")
        t.eq("the session still echoes", p.recv_frame().payload, b"after the flood")
    served("after the ping flood")

    # Garbage on the AJP port.
    seen = len(mock.log())
    with h.Probe(ajp) as p:
        p.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        t.check("HTTP on the AJP port: connection closed", p.peer_closed())
    with h.Probe(ajp) as p:
        p.send(ajp_packet(b"\x63\x00"))  # no such message type
        t.check("an unknown AJP message type: connection closed", p.peer_closed())
    log = mock.log()[seen:]
    t.check("both were logged as protocol errors",
            sum("ajp#" in line and "protocol error" in line
                for line in log.splitlines()) == 2, log)
    with h.Probe(ajp) as p:
        p.send(CPING)
        t.eq("the AJP connector still answers CPING", p.recv_exact(5), CPONG)
    served("after AJP garbage")
    t.eq("mock is running", mock.child.alive(), True)
    t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


def body(t):
    wssim = h.wssim_binary()
    with t.case("command line"):
        check_usage(t, wssim)
    with t.case("SIGTERM with websocket sessions open"):
        check_shutdown(t, 15)
    with t.case("SIGINT with websocket sessions open"):
        check_shutdown(t, 2)
    with t.case("AJP by hand: secret, CPING"):
        check_ajp(t)
    with t.case("the AJP secret from a file or the environment"):
        check_ajp_secret_sources(t)
    with t.case("abuse"):
        check_abuse(t)


if __name__ == "__main__":
    socket.setdefaulttimeout(10)
    h.run(body, budget=150)

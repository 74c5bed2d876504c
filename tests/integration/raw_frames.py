"""The raw-socket probe against the mock's HTTP connector: frame-level
behaviour of Tomcat 10.1 (DESIGN.md sections 5 and 6), byte for byte.
"""

import os

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT


def shape(frames):
    """[(fin, opcode, length)] of frames, for readable comparisons."""
    return [(int(f.fin), f.opcode, len(f.payload)) for f in frames]


def check_handshake(t, mock):
    with h.Probe(mock.port["http"]) as p:
        r = p.handshake()
        t.eq("status line is exactly 'HTTP/1.1 101 '", r.status_line, "HTTP/1.1 101 ")
        t.eq("header order as Tomcat's", r.names(),
             ["X-Frame-Options", "X-Content-Type-Options", "Upgrade",
              "Connection", "Sec-WebSocket-Accept", "Date"])
        t.eq("Upgrade", r.header("Upgrade"), "websocket")
        t.eq("Connection", r.header("Connection"), "upgrade")
        t.eq("Sec-WebSocket-Accept", r.header("Sec-WebSocket-Accept"), h.ws_accept(p.key))
        t.eq("X-Frame-Options", r.header("X-Frame-Options"), "DENY")
        t.eq("X-Content-Type-Options", r.header("X-Content-Type-Options"), "nosniff")
        t.check("Date ends in GMT", (r.header("Date") or "").endswith(" GMT"), r.header("Date"))
        t.eq("no extension without an offer", r.header("Sec-WebSocket-Extensions"), None)

        p.send_frame(OP_TEXT, b"hello")
        f = p.recv_frame()
        t.eq("'hello' echoed as one text frame", shape([f]), [(1, OP_TEXT, 5)])
        t.eq("echo payload", f.payload, b"hello")
        t.eq("server frames are not masked", f.masked, False)

    with h.Probe(mock.port["http"]) as p:
        r = p.handshake(extensions="permessage-deflate; client_max_window_bits")
        t.eq("Chromium's offer gets exactly Tomcat's answer",
             r.header("Sec-WebSocket-Extensions"),
             "permessage-deflate;client_max_window_bits=15")


def check_partial_echo(t, mock):
    with h.ws_open(mock.port["http"]) as p:
        data = os.urandom(64 * 1024)
        p.send_frame(OP_BINARY, data)
        frames = p.recv_frames(8)
        t.eq("64 KiB binary -> 8 frames of 8192, FIN only on the last",
             shape(frames),
             [(0, OP_BINARY, 8192)] + [(0, OP_CONT, 8192)] * 6 + [(1, OP_CONT, 8192)])
        t.check("the 8 frames carry the data in order",
                b"".join(f.payload for f in frames) == data)

        parts = [b"frag-1 ", b"frag-2 ", b"frag-3"]
        got = []
        for i, part in enumerate(parts):
            op = OP_TEXT if i == 0 else OP_CONT
            p.send_frame(op, part, fin=(i == 2))
            got.append(p.recv_frame())  # echoed as it arrives
        t.eq("3 text fragments echoed frame by frame", shape(got),
             [(0, OP_TEXT, 7), (0, OP_CONT, 7), (1, OP_CONT, 6)])
        t.eq("fragment payloads", [f.payload for f in got], parts)

        p.send_frame(OP_TEXT, b"before-ping ", fin=False)
        p.send_frame(OP_PING, b"between")
        p.send_frame(OP_CONT, b"after-ping", fin=True)
        got = p.recv_frames(3)
        t.eq("ping between fragments: text, pong, continuation", shape(got),
             [(0, OP_TEXT, 12), (1, OP_PONG, 7), (1, OP_CONT, 10)])
        t.eq("pong carries the ping's payload", got[1].payload, b"between")

        p.send_frame(OP_PING, b"")
        t.eq("empty ping -> empty pong", shape([p.recv_frame()]), [(1, OP_PONG, 0)])


def check_stream_endpoint(t, mock):
    with h.ws_open(mock.port["http"], h.ECHO_STREAM) as p:
        p.send_frame(OP_TEXT, b"one ", fin=False)
        p.send_frame(OP_CONT, b"two ", fin=False)
        p.send_frame(OP_CONT, b"three", fin=True)
        f = p.recv_frame()
        t.eq("echoStreamAnnotation joins 3 text fragments into one frame",
             shape([f]), [(1, OP_TEXT, 13)])
        t.eq("joined payload", f.payload, b"one two three")

        data = os.urandom(100)
        p.send_frame(OP_BINARY, data)
        frames = [p.recv_frame()]
        while not frames[-1].fin and len(frames) < 10:
            frames.append(p.recv_frame())
        t.eq("binary echo ends with an empty final frame", shape(frames)[-1], (1, OP_CONT, 0))
        t.eq("first frame is binary", frames[0].opcode, OP_BINARY)
        t.check("binary data echoed", b"".join(f.payload for f in frames) == data,
                repr(frames))


def expect_close(t, p, what, code):
    f = p.recv_frame()
    c, reason = h.parse_close(f.payload)
    t.eq("%s: close frame" % what, f.opcode, OP_CLOSE)
    t.eq("%s: close code" % what, c, code)
    t.check("%s: a readable reason (%r)" % (what, reason), len(reason) > 0)
    t.check("%s: then the server closes TCP" % what, p.peer_closed())


def check_errors_and_close(t, mock):
    with h.ws_open(mock.port["http"]) as p:
        p.send_frame(OP_TEXT, b"unmasked", mask=False)
        expect_close(t, p, "unmasked client frame", 1002)

    # RFC 6455 section 5.2: the length in its shortest form or 1002
    # ("Hello" in the 16-bit form; 2 bytes in the 64-bit form), zero mask
    for what, head in (("16-bit length of 5", b"\x81\xfe\x00\x05"),
                       ("64-bit length of 5", b"\x81\xff" + b"\x00" * 7 + b"\x05")):
        with h.ws_open(mock.port["http"]) as p:
            p.send(head + b"\x00" * 4 + b"Hello")
            expect_close(t, p, what, 1002)

    with h.ws_open(mock.port["http"]) as p:
        p.send_frame(OP_TEXT, b"bad \xc3\x28 utf-8")
        expect_close(t, p, "invalid UTF-8 text", 1007)

    with h.ws_open(mock.port["http"]) as p:
        p.send_frame(OP_CLOSE, h.close_payload(1000, "bye"))
        f = p.recv_frame()
        t.eq("close 1000 'bye' echoed", (f.opcode, h.parse_close(f.payload)),
             (OP_CLOSE, (1000, "bye")))
        t.check("then the server closes TCP", p.peer_closed())


def check_http(t, mock):
    port = mock.port["http"]
    r = h.http_get(port, h.ECHO)
    t.eq("endpoint without Upgrade -> 404", r.status_line, "HTTP/1.1 404 ")
    r = h.http_get(port, h.ECHO_PAGE)
    t.eq("echo.xhtml -> 200", r.status_line, "HTTP/1.1 200 ")
    t.check("echo.xhtml is text/html", (r.header("Content-Type") or "").startswith("text/html"),
            r.header("Content-Type"))
    t.check("echo.xhtml is the echo page", b"WebSocket connection opened" in r.body)

    with h.Probe(port) as p:
        p.request("GET", h.ECHO_PAGE, version="HTTP/1.0")
        r = p.read_response(head_only=True)
        t.eq("HTTP/1.0 request -> 200", r.status, 200)
        t.eq("HTTP/1.0 without keep-alive -> Connection: close",
             r.header("Connection"), "close")
        p.recv_exact(int(r.header("Content-Length")))
        t.check("HTTP/1.0: then the server closes TCP", p.peer_closed())

    with h.Probe(port) as p:
        req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /examples/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n" % h.ECHO_PAGE)
        p.send(req.encode())
        first, second = p.read_response(), p.read_response()
        t.eq("pipelined requests answered in order",
             (first.status, second.status), (200, 404))
        t.check("the connection is kept alive", not p.peer_closed(timeout=0.3))
        p.request("GET", h.ECHO_PAGE)
        t.eq("a third request on it", p.read_response().status, 200)


def body(t):
    mock = h.Mock(t, "http")
    print("mock: http %d" % mock.port["http"])
    with t.case("handshake"):
        check_handshake(t, mock)
    with t.case("partial-message echo and pings"):
        check_partial_echo(t, mock)
    with t.case("echoStreamAnnotation"):
        check_stream_endpoint(t, mock)
    with t.case("protocol errors and close"):
        check_errors_and_close(t, mock)
    with t.case("plain HTTP"):
        check_http(t, mock)
    with t.case("mock still healthy"):
        t.eq("mock is running", mock.child.alive(), True)
        t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


if __name__ == "__main__":
    h.run(body, budget=90)

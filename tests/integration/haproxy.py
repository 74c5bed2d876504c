"""Real haproxy (http mode) in front of the mock's HTTP connector: haproxy
passes websocket upgrades by itself (DESIGN.md section 1), so Python
`websockets` and the raw probe get Tomcat's echo through it.
"""

import asyncio
import os

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_CONT, OP_TEXT

websockets = h.need_websockets()


async def session(t, port):
    async with websockets.connect("ws://127.0.0.1:%d%s" % (port, h.ECHO),
                                  open_timeout=5, close_timeout=3) as ws:
        t.eq("permessage-deflate answer passed through",
             ws.response_headers.get("Sec-WebSocket-Extensions"),
             "permessage-deflate;client_max_window_bits=15")
        await ws.send("through haproxy")
        t.eq("text echoed", await asyncio.wait_for(ws.recv(), 5), "through haproxy")
        await ws.send(["1 ", "2 ", "3"])
        t.eq("fragmented text echoed", await asyncio.wait_for(ws.recv(), 5), "1 2 3")
        data = os.urandom(64 * 1024)
        await ws.send(data)
        t.check("64 KiB binary echoed", await asyncio.wait_for(ws.recv(), 5) == data)
        await asyncio.wait_for(await ws.ping(b"haproxy"), 5)
        t.check("pong with the ping's payload", True)
        await asyncio.wait_for(ws.close(1000, "bye"), 5)
        t.eq("close 1000 'bye' echoed", (ws.close_code, ws.close_reason), (1000, "bye"))


def body(t):
    mock = h.Mock(t, "http")
    hap = h.HAProxy(t, "127.0.0.1:%d" % mock.port["http"]).start()
    print("mock: http %d; haproxy on %d" % (mock.port["http"], hap.port))

    with t.case("python websockets through haproxy"):
        asyncio.run(session(t, hap.port))

    with t.case("raw probe through haproxy"):
        with h.Probe(hap.port) as p:
            r = p.handshake()
            t.eq("status 101", r.status, 101)
            t.eq("Sec-WebSocket-Accept", r.header("Sec-WebSocket-Accept"), h.ws_accept(p.key))
            p.send_frame(OP_TEXT, b"a", fin=False)
            p.send_frame(OP_CONT, b"b", fin=True)
            t.eq("fragments echoed frame by frame",
                 [(f.fin, f.opcode, f.payload) for f in p.recv_frames(2)],
                 [(False, OP_TEXT, b"a"), (True, OP_CONT, b"b")])
            p.send_frame(OP_BINARY, bytes(64 * 1024))
            t.eq("64 KiB binary -> 8 frames of 8192",
                 [len(f.payload) for f in p.recv_frames(8)], [8192] * 8)
            p.send_frame(OP_CLOSE, h.close_payload(1000, "bye"))
            f = p.recv_frame()
            t.eq("close echoed", h.parse_close(f.payload), (1000, "bye"))
            t.check("connection closed after the close", p.peer_closed())
        t.eq("echo.xhtml -> 200", h.http_get(hap.port, h.ECHO_PAGE).status, 200)

    with t.case("teardown"):
        hap.stop()
        t.eq("mock is running", mock.child.alive(), True)
        t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


if __name__ == "__main__":
    h.run(body, budget=120)

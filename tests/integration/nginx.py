"""Real nginx in front of the mock's HTTP connector (DESIGN.md section 1):
a plain `proxy_pass` drops the upgrade headers, so the mock sees a plain
GET of the endpoint and answers 404; with `proxy_http_version 1.1` and the
Upgrade/Connection headers the websocket works end to end.
"""

import asyncio
import os

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_TEXT

websockets = h.need_websockets()

PLAIN = """
    location / {{
      proxy_pass http://127.0.0.1:{http};
    }}"""

UPGRADE = """
    location / {{
      proxy_pass http://127.0.0.1:{http};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $host;
      proxy_read_timeout 30s;
    }}"""


async def attempt(port):
    try:
        async with websockets.connect("ws://127.0.0.1:%d%s" % (port, h.ECHO),
                                      open_timeout=5):
            return "opened"
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code


async def echo_session(t, port):
    async with websockets.connect("ws://127.0.0.1:%d%s" % (port, h.ECHO),
                                  open_timeout=5, close_timeout=3) as ws:
        await ws.send("through nginx")
        t.eq("python websockets: text echoed",
             await asyncio.wait_for(ws.recv(), 5), "through nginx")
        data = os.urandom(64 * 1024)
        await ws.send(data)
        t.check("python websockets: 64 KiB binary echoed",
                await asyncio.wait_for(ws.recv(), 5) == data)
        await ws.send(["x", "y", "z"])
        t.eq("python websockets: fragmented echo",
             await asyncio.wait_for(ws.recv(), 5), "xyz")
        await asyncio.wait_for(await ws.ping(b"nginx"), 5)
        t.check("python websockets: pong", True)
        await asyncio.wait_for(ws.close(1000, "bye"), 5)
        t.eq("python websockets: close echoed",
             (ws.close_code, ws.close_reason), (1000, "bye"))


def body(t):
    mock = h.Mock(t, "http")
    ngx = h.Nginx(t, [PLAIN.format(http=mock.port["http"]),
                      UPGRADE.format(http=mock.port["http"])]).start()
    plain, upgrade = ngx.ports
    print("mock: http %d; nginx plain on %d, with upgrade headers on %d" %
          (mock.port["http"], plain, upgrade))

    with t.case("plain proxy_pass (no upgrade headers)"):
        seen = len(mock.log())
        with h.Probe(plain) as p:
            r = p.handshake()
            t.eq("the upgrade gets 404", r.status, 404)
        t.eq("python websockets: InvalidStatusCode 404", asyncio.run(attempt(plain)), 404)
        log = mock.log()[seen:]
        t.check("the mock saw the endpoint requested without Upgrade",
                "requested without 'Upgrade: websocket'" in log, log[-600:])
        t.eq("echo.xhtml -> 200", h.http_get(plain, h.ECHO_PAGE).status, 200)

    with t.case("proxy_http_version 1.1 + Upgrade/Connection headers"):
        with h.Probe(upgrade) as p:
            r = p.handshake()
            t.eq("status 101", r.status, 101)
            t.eq("Sec-WebSocket-Accept", r.header("Sec-WebSocket-Accept"), h.ws_accept(p.key))
            p.send_frame(OP_TEXT, b"hello")
            f = p.recv_frame()
            t.eq("raw: text echoed", (f.fin, f.opcode, f.payload), (True, OP_TEXT, b"hello"))
            p.send_frame(OP_BINARY, os.urandom(64 * 1024))
            t.eq("raw: 64 KiB binary -> 8 frames of 8192",
                 [len(f.payload) for f in p.recv_frames(8)], [8192] * 8)
            p.send_frame(OP_CLOSE, h.close_payload(1001))
            f = p.recv_frame()
            t.eq("raw: close 1001 echoed", h.parse_close(f.payload)[0], 1001)
            t.check("raw: connection closed after the close", p.peer_closed())
        asyncio.run(echo_session(t, upgrade))

    with t.case("teardown"):
        ngx.stop()
        t.eq("mock is running", mock.child.alive(), True)
        t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


if __name__ == "__main__":
    h.run(body, budget=120)

"""Real apache2 with the article's fix (DESIGN.md section 1): three
mod_rewrite lines before the AJP ProxyPass send websocket upgrades to the
mock's HTTP connector through mod_proxy_wstunnel, while pages still go
over AJP. Run twice: with mod_proxy_wstunnel alone (it passes Tomcat's 101
through byte for byte) and with mod_proxy_http loaded too (which then
handles the ws:// rewrite itself).
"""

import asyncio
import os

import harness as h
from harness import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT

websockets = h.need_websockets()

ARTICLE = """
ProxyPreserveHost On
RewriteEngine on
RewriteCond %{{HTTP:Upgrade}} "(?i)websocket"
RewriteCond %{{HTTP:Connection}} "(?i)upgrade"
RewriteRule ^(.*)$ ws://127.0.0.1:{http}$1 [P]
ProxyPass        /examples ajp://127.0.0.1:{ajp}/examples
ProxyPassReverse /examples ajp://127.0.0.1:{ajp}/examples
"""


def check_variant(t, mock, label, modules, exact_101):
    conf = ARTICLE.format(http=mock.port["http"], ajp=mock.port["ajp"])
    apache = h.Apache(t, conf, modules=modules).start()
    print("apache2 (%s) on %d" % (", ".join(modules), apache.port))
    seen = len(mock.log())

    with h.Probe(apache.port) as p:
        r = p.handshake()
        if exact_101:
            t.eq("%s: Tomcat's status line passed through" % label,
                 r.status_line, "HTTP/1.1 101 ")
        else:
            t.eq("%s: status 101" % label, r.status, 101)
        t.eq("%s: Sec-WebSocket-Accept" % label,
             r.header("Sec-WebSocket-Accept"), h.ws_accept(p.key))
        t.eq("%s: Upgrade" % label, (r.header("Upgrade") or "").lower(), "websocket")

        p.send_frame(OP_TEXT, b"hello")
        f = p.recv_frame()
        t.eq("%s: text echoed" % label, (f.fin, f.opcode, f.payload), (True, OP_TEXT, b"hello"))

        data = os.urandom(64 * 1024)
        p.send_frame(OP_BINARY, data)
        frames = p.recv_frames(8)
        t.eq("%s: 64 KiB binary -> 8 frames of 8192 through the tunnel" % label,
             [(f.fin, f.opcode, len(f.payload)) for f in frames],
             [(False, OP_BINARY, 8192)] + [(False, OP_CONT, 8192)] * 6
             + [(True, OP_CONT, 8192)])
        t.check("%s: binary data intact" % label,
                b"".join(f.payload for f in frames) == data)

        p.send_frame(OP_PING, b"through")
        f = p.recv_frame()
        t.eq("%s: pong" % label, (f.opcode, f.payload), (OP_PONG, b"through"))

        p.send_frame(OP_CLOSE, h.close_payload(1000, "bye"))
        f = p.recv_frame()
        t.eq("%s: close 1000 'bye' echoed" % label,
             (f.opcode, h.parse_close(f.payload)), (OP_CLOSE, (1000, "bye")))
        t.check("%s: connection closed after the close" % label, p.peer_closed())

    async def client():
        async with websockets.connect("ws://127.0.0.1:%d%s" % (apache.port, h.ECHO),
                                      open_timeout=5, close_timeout=3) as ws:
            t.eq("%s: python websockets: permessage-deflate answer" % label,
                 ws.response_headers.get("Sec-WebSocket-Extensions"),
                 "permessage-deflate;client_max_window_bits=15")
            await ws.send("through apache")
            t.eq("%s: python websockets: echo" % label,
                 await asyncio.wait_for(ws.recv(), 5), "through apache")
            await ws.send(["a", "b", "c"])
            t.eq("%s: python websockets: fragmented echo" % label,
                 await asyncio.wait_for(ws.recv(), 5), "abc")
            await asyncio.wait_for(ws.close(1000, "bye"), 5)
            t.eq("%s: python websockets: close echoed" % label,
                 (ws.close_code, ws.close_reason), (1000, "bye"))
    asyncio.run(client())

    r = h.http_get(apache.port, h.ECHO_PAGE)
    t.eq("%s: echo.xhtml still over AJP ('200 200')" % label,
         r.status_line, "HTTP/1.1 200 200")

    log = mock.log()[seen:]
    t.check("%s: the upgrades reached the HTTP connector" % label,
            "websocket open" in log and "http#" in log, log[-800:])
    t.check("%s: the page reached the AJP connector" % label,
            any(line.startswith("mock-tomcat: ajp#") and
                line.endswith("GET /examples/websocket/echo.xhtml")
                for line in log.splitlines()), log[-800:])
    t.check("%s: no upgrade went over AJP" % label,
            "upgrade over AJP" not in log, log[-800:])
    apache.stop()


def body(t):
    mock = h.Mock(t, "http", "ajp")
    print("mock: http %d, ajp %d" % (mock.port["http"], mock.port["ajp"]))
    base = ["proxy", "proxy_ajp", "proxy_wstunnel", "rewrite"]
    with t.case("mod_proxy_wstunnel alone"):
        check_variant(t, mock, "wstunnel", base, exact_101=True)
    with t.case("mod_proxy_wstunnel with mod_proxy_http loaded"):
        check_variant(t, mock, "wstunnel+http", base + ["proxy_http"], exact_101=False)
    with t.case("teardown"):
        t.eq("mock is running", mock.child.alive(), True)
        t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


if __name__ == "__main__":
    h.run(body, budget=120)

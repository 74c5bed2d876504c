"""Real apache2 proxying /examples to the mock over AJP only (DESIGN.md
section 1): pages work ("HTTP/1.1 200 200"), a websocket upgrade fails
with "HTTP/1.1 500 500" because AJP cannot upgrade, which browsers and
client libraries report as a failed handshake.
"""

import asyncio

import harness as h

websockets = h.need_websockets()

AJP_ONLY = """
ProxyPreserveHost On
ProxyPass        /examples ajp://127.0.0.1:{ajp}/examples {params}
ProxyPassReverse /examples ajp://127.0.0.1:{ajp}/examples
"""


def ajp_apache(t, ajp_port, params=""):
    conf = AJP_ONLY.format(ajp=ajp_port, params=params)
    return h.Apache(t, conf, modules=["proxy", "proxy_ajp"]).start()


def body(t):
    mock = h.Mock(t, "ajp")
    apache = ajp_apache(t, mock.port["ajp"])
    print("mock: ajp %d; apache2 on %d" % (mock.port["ajp"], apache.port))

    with t.case("a page through AJP"):
        r = h.http_get(apache.port, h.ECHO_PAGE)
        t.eq("echo.xhtml status line", r.status_line, "HTTP/1.1 200 200")
        t.check("text/html", (r.header("Content-Type") or "").startswith("text/html"),
                r.header("Content-Type"))
        t.check("the echo page", b"WebSocket connection opened" in r.body)
        t.check("the mock served it on its AJP connector",
                "GET /examples/websocket/echo.xhtml" in mock.log()
                and "ajp#" in mock.log(), mock.log()[-400:])

        r = h.http_get(apache.port, h.ECHO)
        t.eq("the endpoint without Upgrade -> '404 404'", r.status_line, "HTTP/1.1 404 404")

    with t.case("a websocket upgrade through AJP"):
        with h.Probe(apache.port) as p:
            r = p.handshake()
            t.eq("status line", r.status_line, "HTTP/1.1 500 500")
            # Tomcat began the handshake before the AJP processor refused.
            t.eq("Upgrade still set", r.header("Upgrade"), "websocket")
            t.eq("Sec-WebSocket-Accept still set", r.header("Sec-WebSocket-Accept"),
                 h.ws_accept(p.key))
            t.check("Connection: ... close",
                    "close" in (r.header("Connection") or "").lower(), r.header("Connection"))
            p.read_body(r)
            t.check("the error page names the cause",
                    b"HTTP upgrade is not supported by this protocol" in r.body,
                    r.raw + r.body[:300])
        log = mock.log()
        t.check("the mock logged the upgrade over AJP answered 500",
                "-> 500: websocket upgrade over AJP" in log, log[-600:])

    with t.case("python websockets through the AJP-only proxy"):
        async def attempt():
            try:
                async with websockets.connect(
                        "ws://127.0.0.1:%d%s" % (apache.port, h.ECHO),
                        open_timeout=5):
                    return "opened"
            except websockets.exceptions.InvalidStatusCode as e:
                return e.status_code
        t.eq("the handshake fails with InvalidStatusCode 500",
             asyncio.run(attempt()), 500)

    with t.case("AJP secret through Apache"):
        mock_s = h.Mock(t, "ajp", args=["--ajp-secret", "s3cret"])
        with_secret = ajp_apache(t, mock_s.port["ajp"], "secret=s3cret")
        without = ajp_apache(t, mock_s.port["ajp"])
        r = h.http_get(with_secret.port, h.ECHO_PAGE)
        t.eq("ProxyPass ... secret=s3cret -> '200 200'", r.status_line, "HTTP/1.1 200 200")
        r = h.http_get(without.port, h.ECHO_PAGE)
        t.eq("no secret -> '403 403'", r.status_line, "HTTP/1.1 403 403")

    with t.case("teardown"):
        t.eq("mock is running", mock.child.alive(), True)
        apache.stop()
        t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


if __name__ == "__main__":
    h.run(body, budget=120)

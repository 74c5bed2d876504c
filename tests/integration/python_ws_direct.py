"""Python `websockets` (Debian's 10.4) straight against the mock's HTTP
and HTTPS connectors: what a real client library sees of DESIGN.md
section 6. HTTPS trusts only the test CA the mock writes with --ca-out.
"""

import asyncio
import os
import time

import harness as h

websockets = h.need_websockets()

PMD_ANSWER = "permessage-deflate;client_max_window_bits=15"
STEP = 5  # seconds for any one websocket operation


def connect(mock, conn, hostname="localhost", **kw):
    kw.setdefault("open_timeout", STEP)
    kw.setdefault("close_timeout", 3)
    if conn == "https":
        kw["ssl"] = mock.ssl_context()
        if hostname:
            kw["server_hostname"] = hostname
    return websockets.connect(mock.url(conn), **kw)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), STEP)


async def fragments():
    for part in ("async-1 ", "async-2 ", "async-3"):
        yield part


def check_conn(t, mock, conn):
    async def handshake_and_text():
        async with connect(mock, conn) as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions")
            t.eq("%s: Sec-WebSocket-Extensions answer" % conn, ext, PMD_ANSWER)
            t.eq("%s: Upgrade header" % conn,
                 ws.response_headers.get("Upgrade"), "websocket")
            await ws.send("hello")
            t.eq("%s: text 'hello' echoed" % conn, await recv(ws), "hello")

    async def fragmented():
        async with connect(mock, conn) as ws:
            await ws.send(["frag-1 ", "frag-2 ", "frag-3"])
            t.eq("%s: 3 text fragments (iterable) echoed" % conn,
                 await recv(ws), "frag-1 frag-2 frag-3")
            await ws.send(fragments())
            t.eq("%s: 3 text fragments (async iterator) echoed" % conn,
                 await recv(ws), "async-1 async-2 async-3")

    async def binary():
        async with connect(mock, conn) as ws:
            data = os.urandom(64 * 1024)
            await ws.send(data)
            got = await recv(ws)
            t.check("%s: 64 KiB binary echoed" % conn, got == data,
                    "got %s of %d bytes" % (type(got).__name__, len(got)))

    async def ping():
        async with connect(mock, conn) as ws:
            waiter = await ws.ping(b"ping-payload-42")
            # websockets resolves the waiter only for a pong whose payload
            # is the ping's.
            await asyncio.wait_for(waiter, STEP)
            t.check("%s: pong with the ping's payload" % conn, True)

    async def close(code, reason):
        ws = await connect(mock, conn)
        try:
            start = time.monotonic()
            await asyncio.wait_for(ws.close(code, reason), STEP)
            took = time.monotonic() - start
            t.eq("%s: close %d %r echoed (code)" % (conn, code, reason),
                 ws.close_code, code)
            t.eq("%s: close %d %r echoed (reason)" % (conn, code, reason),
                 ws.close_reason, reason)
            # The client waits up to close_timeout (3 s) for the server to
            # end TCP after the close handshake: quick means it did.
            t.check("%s: server closed TCP after the close (%.2f s)" %
                    (conn, took), took < 2.0)
        finally:
            await ws.close()

    asyncio.run(handshake_and_text())
    asyncio.run(fragmented())
    asyncio.run(binary())
    asyncio.run(ping())
    asyncio.run(close(1000, "bye"))
    asyncio.run(close(1001, ""))


def body(t):
    mock = h.Mock(t, "http", "https")
    print("mock: http %d, https %d, CA %s" %
          (mock.port["http"], mock.port["https"], mock.ca))
    for conn in ("http", "https"):
        with t.case("python websockets on the %s connector" % conn.upper()):
            check_conn(t, mock, conn)

    with t.case("HTTPS certificate"):
        async def by_ip():
            # No server_hostname: the name checked is 127.0.0.1 (IP SAN).
            async with connect(mock, "https", hostname=None) as ws:
                await ws.send("ip")
                t.eq("wss://127.0.0.1 verified by its IP SAN", await recv(ws), "ip")
        asyncio.run(by_ip())

        async def untrusted():
            import ssl
            try:
                ctx = ssl.create_default_context()  # system CAs only
                async with websockets.connect(mock.url("https"), ssl=ctx,
                                              server_hostname="localhost",
                                              open_timeout=STEP):
                    pass
            except ssl.SSLCertVerificationError:
                return True
            return False
        t.check("the cert does not verify without the test CA",
                asyncio.run(untrusted()))

    with t.case("without compression"):
        async def plain():
            async with connect(mock, "http", compression=None) as ws:
                t.eq("no extension offered, none answered",
                     ws.response_headers.get("Sec-WebSocket-Extensions"), None)
                await ws.send("plain")
                t.eq("text echoed uncompressed", await recv(ws), "plain")
        asyncio.run(plain())

    with t.case("mock still healthy"):
        t.eq("mock is running", mock.child.alive(), True)
        t.eq("mock exits 0 on SIGTERM", mock.stop(), 0)


if __name__ == "__main__":
    h.run(body, budget=120)

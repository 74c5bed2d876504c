#!/usr/bin/python3
"""Minimal websocket echo server on Python `websockets` (Debian
python3-websockets 10.4; run with /usr/bin/python3), a peer wssim's mock
is compared with in bench/run.sh.

Usage: echo_python.py [PORT]   (0 or absent: a free port)

Listens on 127.0.0.1 only, prints "listening http 127.0.0.1:PORT" on stdout
once it accepts, and echoes every message as one message of the same type.
Compression (permessage-deflate) is off, as in the mock and the node
server, so every server does the same work; other settings are the
library's defaults (keepalive pings every 20 s). A plain GET gets
websockets' "426 Upgrade Required". Stops on SIGTERM/SIGINT.
"""
import asyncio
import resource
import signal
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(
            sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(echo, "127.0.0.1", port, compression=None,
                                backlog=4096) as server:
        addr = server.sockets[0].getsockname()
        print(f"listening http {addr[0]}:{addr[1]} (Python "
              f"{sys.version.split()[0]}, websockets {websockets.__version__},"
              f" compression off)", flush=True)
        await stop


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))

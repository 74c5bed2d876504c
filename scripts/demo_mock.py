"""Start `wssim mock-tomcat`, show it answer a page and echo a websocket
message, then stop it. Used by scripts/quickstart.sh until `wssim run`
exists. Runs with Debian's python3 and python3-websockets."""
import asyncio
import subprocess
import sys
import urllib.request

import websockets


async def main(wssim):
    proc = subprocess.Popen([wssim, "mock-tomcat", "--http", "0", "--ajp", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        ports = {}
        for _ in range(2):
            line = proc.stdout.readline().split()
            ports[line[1]] = line[2]
            print("mock-tomcat:", " ".join(line))
        http = ports["http"]
        with urllib.request.urlopen(f"http://{http}/examples/websocket/echo.xhtml",
                                    timeout=5) as r:
            print(f"GET /examples/websocket/echo.xhtml -> {r.status}")
        uri = f"ws://{http}/examples/websocket/echoProgrammatic"
        async with websockets.connect(uri, open_timeout=5) as ws:
            print(f"{uri}: opened")
            await ws.send("hello")
            print(f"sent 'hello', echoed {await asyncio.wait_for(ws.recv(), 5)!r}")
    finally:
        proc.terminate()
        proc.wait(timeout=5)


asyncio.run(main(sys.argv[1]))

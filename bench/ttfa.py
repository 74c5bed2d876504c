#!/usr/bin/python3
"""Time from a server's start until its HTTP port answers, for bench/run.sh.

Usage: ttfa.py [--runs N] [--pin] PORT -- COMMAND [ARG...]

Runs COMMAND N times (default 7). Each time it takes the clock, starts the
command, and until the first answer connects to 127.0.0.1:PORT over and
over, sends "GET /examples/websocket/echo.xhtml" and waits for the first
bytes of an HTTP status line; then stops the server (SIGTERM, SIGKILL after
2 s). Any status counts (node ws and Python websockets answer a plain GET
with 426): the question is when the connector answers. With --pin the
server runs on CPU 0 and the polling on CPU 1. Prints one line:
"ttfa_ms=MEDIAN min_ms=.. max_ms=.. runs=N" (and each run on stderr).
A run that gets no answer within 10 s fails the whole measurement (exit 1).
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

REQ = (b"GET /examples/websocket/echo.xhtml HTTP/1.1\r\n"
       b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")


def probe(port):
    """One attempt: True once an HTTP status line starts to arrive."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(("127.0.0.1", port))
        s.sendall(REQ)
        s.settimeout(2)
        return s.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False
    finally:
        s.close()


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(2)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def one(port, cmd, pin):
    if pin:
        os.sched_setaffinity(0, {0})  # the child inherits CPU 0
    t0 = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if pin:
        os.sched_setaffinity(0, {1})
    try:
        while True:
            if probe(port):
                return (time.monotonic_ns() - t0) / 1e6
            if p.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {p.returncode}")
            if time.monotonic_ns() - t0 > 10e9:
                raise RuntimeError("no answer within 10 s")
    finally:
        stop(p)


def main(argv):
    runs, pin = 7, False
    while argv and argv[0].startswith("--") and argv[0] != "--":
        if argv[0] == "--runs":
            runs = int(argv[1])
            argv = argv[2:]
        elif argv[0] == "--pin":
            pin = True
            argv = argv[1:]
        else:
            sys.exit(f"ttfa.py: unknown option {argv[0]}")
    if len(argv) < 3 or argv[1] != "--":
        sys.exit(__doc__)
    port, cmd = int(argv[0]), argv[2:]
    times = []
    try:
        for _ in range(runs):
            ms = one(port, cmd, pin)
            print(f"ttfa: {ms:.1f} ms", file=sys.stderr)
            times.append(ms)
            time.sleep(0.05)  # let the port be released
    except RuntimeError as e:
        print(f"ttfa.py: {e}", file=sys.stderr)
        return 1
    print(f"ttfa_ms={statistics.median(times):.1f} min_ms={min(times):.1f} "
          f"max_ms={max(times):.1f} runs={runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

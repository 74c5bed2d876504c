"""Helper of bench/replay_timing.sh (issue 5: replay timing fidelity).
Run with Debian's /usr/bin/python3 (python3-websockets); stdlib otherwise.

  replay_timing.py record PORT [N] [MSGS]
      N concurrent websocket clients (default 100) against the mock's
      echoProgrammatic endpoint on 127.0.0.1:PORT: client i opens at
      i * 1000/N ms plus 0-3 ms of jitter (so about 1 s of staggered
      starts, in a fixed order), then sends MSGS (10) text messages
      "sNNN-mMM" at irregular pauses of 20-200 ms (not whole
      milliseconds), waits for each echo, and closes with 1000. The
      schedule is seeded, so every run sends the same thing. What counts
      is what tcpdump saw, not this script's clock.

  replay_timing.py compare RECORDED.json REPLAYED.json [RECORDING.scn]
      Both are `wssim capture -r X --json` documents. Websocket sessions
      (client legs) are matched by their order of start, client->server
      data messages by their index within the session; both timelines
      are aligned at the first such message of the whole capture. Prints
      the distribution of |replayed - recorded| send-time differences and
      key=value lines for the shell script; with the .scn, also how much
      of the difference is the recording's rounding of waits to ms.
"""

import asyncio
import json
import random
import re
import sys


def record(port, n, msgs):
    import websockets  # python3-websockets (Debian)

    rnd = random.Random(5)
    plans = []
    for i in range(n):
        start = i * 1000.0 / n + rnd.uniform(0, 3)
        gaps = [rnd.uniform(20, 200) for _ in range(msgs)]
        plans.append((start, gaps))
    url = "ws://127.0.0.1:%d/examples/websocket/echoProgrammatic" % port
    errors = []

    async def client(i, start, gaps, t0):
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, t0 + start / 1000 - loop.time()))
        try:
            async with websockets.connect(url, compression=None,
                                          open_timeout=10) as ws:
                at = loop.time()
                for j, gap in enumerate(gaps):
                    at += gap / 1000
                    await asyncio.sleep(max(0.0, at - loop.time()))
                    msg = "s%03d-m%02d" % (i, j)
                    await ws.send(msg)
                    echo = await asyncio.wait_for(ws.recv(), 10)
                    if echo != msg:
                        errors.append("%s: echo %r" % (msg, echo))
                await ws.close(1000)
        except Exception as e:  # noqa: BLE001 - reported, then exit 1
            errors.append("client %d: %r" % (i, e))

    async def main():
        t0 = asyncio.get_running_loop().time() + 0.05
        await asyncio.gather(*(client(i, s, g, t0)
                               for i, (s, g) in enumerate(plans)))

    asyncio.run(main())
    for e in errors[:10]:
        print("record: " + e, file=sys.stderr)
    print("clients=%d messages=%d errors=%d" % (n, n * msgs, len(errors)))
    return 1 if errors else 0


def sessions(doc):
    """[(start_us, [(time_us, payload), ...], {payload: echo time_us}),
    ...] for the websocket client legs, in order of start (the
    connection's first packet)."""
    out = []
    for c in doc["connections"]:
        if c.get("protocol") != "websocket" or "leg_of" in c:
            continue
        data = [m for m in c["websocket"]["messages"]
                if m["opcode"] in ("text", "binary")]
        ms = [(m["time_us"], m.get("payload")) for m in data
              if m["dir"] == "c2s"]
        echo = {}
        for m in data:
            if m["dir"] == "s2c":
                echo.setdefault(m.get("payload"), m["time_us"])
        out.append((c["start_us"], ms, echo))
    out.sort(key=lambda s: s[0])
    return out


def pct(sorted_vals, p):
    """nearest-rank percentile of an ascending list"""
    if not sorted_vals:
        return float("nan")
    k = max(1, -(-len(sorted_vals) * p // 100))
    return sorted_vals[int(k) - 1]


def scn_waits(path):
    """the waits of each client in a recording, in ms, in file order"""
    clients, cur = [], None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("client "):
                cur = []
                clients.append(cur)
            elif cur is not None:
                m = re.match(r"wait\s+([0-9.]+)(us|ms|s)\b", s)
                if m:
                    v = float(m.group(1))
                    cur.append(v / 1000 if m.group(2) == "us" else
                               v * 1000 if m.group(2) == "s" else v)
    return clients


def compare(rec_path, rep_path, scn_path=None):
    with open(rec_path) as f:
        rec = sessions(json.load(f))
    with open(rep_path) as f:
        rep = sessions(json.load(f))
    first = [min((m[0] for s in x for m in s[1]), default=None)
             for x in (rec, rep)]
    if first[0] is None or first[1] is None:
        print("no client->server messages in one of the captures",
              file=sys.stderr)
        print("matched=0 unmatched=0")
        return 1
    diffs, signed, unmatched, payload_diff = [], [], 0, 0
    by_index = {}
    start_diffs = []
    for k in range(max(len(rec), len(rep))):
        if k >= len(rec) or k >= len(rep):
            unmatched += len((rec if k < len(rec) else rep)[k][1])
            continue
        (rs, rm, _), (ps, pm, _) = rec[k], rep[k]
        start_diffs.append(((ps - first[1]) - (rs - first[0])) / 1000)
        for j in range(max(len(rm), len(pm))):
            if j >= len(rm) or j >= len(pm):
                unmatched += 1
                continue
            d = ((pm[j][0] - first[1]) - (rm[j][0] - first[0])) / 1000
            signed.append(d)
            diffs.append(abs(d))
            by_index.setdefault(j, []).append(d)
            if pm[j][1] != rm[j][1]:
                payload_diff += 1
    diffs.sort()
    n = len(diffs)
    p50, p99, mx = pct(diffs, 50), pct(diffs, 99), (diffs[-1] if n else 0)
    mean = sum(signed) / n if n else 0
    late = sum(1 for d in signed if d > 0)
    print("sessions: %d recorded, %d replayed" % (len(rec), len(rep)))
    print("messages (client->server): %d recorded, %d replayed, %d matched,"
          " %d unmatched, %d matched with another payload"
          % (sum(len(s[1]) for s in rec), sum(len(s[1]) for s in rep), n,
             unmatched, payload_diff))
    print("|replayed - recorded| send time, ms: p50 %.3f  p99 %.3f  max %.3f"
          % (p50, p99, mx))
    print("signed (replayed later > 0): mean %+.3f ms, %d of %d later"
          % (mean, late, n))
    sd = sorted(abs(x) for x in start_diffs)
    if sd:
        print("session start (first packet) |difference|, ms: p50 %.3f"
              "  p99 %.3f  max %.3f" % (pct(sd, 50), pct(sd, 99), sd[-1]))
    print("mean signed difference by message index within a session (ms):")
    print("  " + "  ".join("m%d %+.2f" % (j, sum(v) / len(v))
                           for j, v in sorted(by_index.items())))
    # Where the difference comes from. (1) capture -o writes each wait as
    # the gap since the client's previous send, rounded to whole ms.
    # (2) the replay runs a wait after the step before it has finished
    # (here: `expect text`, the echo), so each replayed gap between two
    # sends is the echo's round trip plus the wait plus the timer's lag.
    steps, rtts = [], []
    for k in range(min(len(rec), len(rep))):
        (_, rm, _), (_, pm, pe) = rec[k], rep[k]
        for j in range(1, min(len(rm), len(pm))):
            steps.append(((pm[j][0] - pm[j - 1][0]) -
                          (rm[j][0] - rm[j - 1][0])) / 1000)
            if pm[j - 1][1] in pe:
                rtts.append((pe[pm[j - 1][1]] - pm[j - 1][0]) / 1000)
    if steps:
        print("replayed minus recorded gap between consecutive sends of a"
              " session, ms: mean %+.3f, p50 %+.3f, p99 %+.3f (%d gaps)"
              % (sum(steps) / len(steps), pct(sorted(steps), 50),
                 pct(sorted(steps), 99), len(steps)))
    if rtts:
        print("replay: echo round trip on the wire (send -> echo), ms:"
              " mean %.3f, p50 %.3f, p99 %.3f"
              % (sum(rtts) / len(rtts), pct(sorted(rtts), 50),
                 pct(sorted(rtts), 99)))
    if scn_path:
        waits = scn_waits(scn_path)
        errs, cum = [], []
        for k, (_, rm, _) in enumerate(rec):
            if k >= len(waits) or len(waits[k]) != len(rm):
                continue
            c = 0.0
            for j in range(1, len(rm)):
                e = waits[k][j] - (rm[j][0] - rm[j - 1][0]) / 1000
                errs.append(e)
                c += e
                cum.append(abs(c))
        if errs:
            ae = sorted(abs(e) for e in errs)
            cum.sort()
            print("recording (%s): wait minus recorded gap between sends, ms:"
                  " mean %+.3f, |p50| %.3f, |max| %.3f; summed over a session"
                  " (rounding alone): |p50| %.3f, |p99| %.3f, |max| %.3f"
                  % (scn_path.rsplit("/", 1)[-1], sum(errs) / len(errs),
                     pct(ae, 50), ae[-1], pct(cum, 50), pct(cum, 99),
                     cum[-1]))
    print("matched=%d unmatched=%d payload_diff=%d p50_ms=%.3f p99_ms=%.3f"
          " max_ms=%.3f mean_ms=%+.3f" % (n, unmatched, payload_diff, p50,
                                          p99, mx, mean))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "record":
        return record(int(argv[1]), int(argv[2]) if len(argv) > 2 else 100,
                      int(argv[3]) if len(argv) > 3 else 10)
    if len(argv) in (3, 4) and argv[0] == "compare":
        return compare(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

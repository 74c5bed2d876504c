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
      are aligned at the first session's first packet (its SYN: the
      replay's first act). Prints the distribution of |replayed -
      recorded| send-time differences (every message counts), where the
      lateness comes from (the server's answer or the replay itself), and
      key=value lines for the shell script; with the .scn, also how far
      its `start` + `at` times are from the recorded send times.
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
    """[(start_us, [(time_us, payload), ...], {payload: echo time_us},
    answer_us), ...] for the websocket client legs, in order of start (the
    connection's first packet: its SYN); answer_us is when the handshake's
    response arrived."""
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
        resp = [x["response"]["time_us"] for x in c.get("exchanges", [])
                if x.get("response")]
        out.append((c["start_us"], ms, echo, resp[0] if resp else None))
    out.sort(key=lambda s: s[0])
    return out


def pct(sorted_vals, p):
    """nearest-rank percentile of an ascending list"""
    if not sorted_vals:
        return float("nan")
    k = max(1, -(-len(sorted_vals) * p // 100))
    return sorted_vals[int(k) - 1]


def scn_ats(path):
    """each client's `start` and the `at`s of its sends, in µs, in file
    order: [(start_us, [at_us, ...]), ...]"""
    def us(v, unit):
        return float(v) * {"us": 1, "ms": 1000, "s": 1000000}[unit]
    clients = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("client "):
                clients.append([0.0, []])
                continue
            m = re.match(r"start\s+([0-9.]+)(us|ms|s)$", s)
            if m and clients:
                clients[-1][0] = us(m.group(1), m.group(2))
                continue
            # a send's (or close's) trailing `at`: when it is sent
            m = re.match(r"(send|close)\b.*\sat\s+([0-9.]+)(us|ms|s)$", s)
            if m and clients:
                clients[-1][1].append(us(m.group(2), m.group(3)))
    return clients


def compare(rec_path, rep_path, scn_path=None):
    with open(rec_path) as f:
        rec = sessions(json.load(f))
    with open(rep_path) as f:
        rep = sessions(json.load(f))
    if not rec or not rep:
        print("no websocket sessions in one of the captures",
              file=sys.stderr)
        print("matched=0 unmatched=0")
        return 1
    # The timelines are aligned at the first session's first packet: the
    # replay's first act (its first connect), the recording's first SYN.
    # Every later difference counts, whatever its cause.
    first = [rec[0][0], rep[0][0]]
    diffs, signed, unmatched, payload_diff = [], [], 0, 0
    by_index = {}
    start_diffs = []
    late = []  # (difference, whether the server's answer came late)
    for k in range(max(len(rec), len(rep))):
        if k >= len(rec) or k >= len(rep):
            unmatched += len((rec if k < len(rec) else rep)[k][1])
            continue
        (rs, rm, _, _), (ps, pm, pe, pa) = rec[k], rep[k]
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
            if d > 0.5:
                # what the send waited for in the replay: the echo of the
                # message before, or the handshake's answer
                prev = pe.get(pm[j - 1][1]) if j else pa
                due = rm[j][0] - first[0] + first[1]
                late.append((d, prev is not None and prev > due))
    diffs.sort()
    n = len(diffs)
    p50, p99, mx = pct(diffs, 50), pct(diffs, 99), (diffs[-1] if n else 0)
    mean = sum(signed) / n if n else 0
    later = sum(1 for d in signed if d > 0)
    print("sessions: %d recorded, %d replayed" % (len(rec), len(rep)))
    print("messages (client->server): %d recorded, %d replayed, %d matched,"
          " %d unmatched, %d matched with another payload"
          % (sum(len(s[1]) for s in rec), sum(len(s[1]) for s in rep), n,
             unmatched, payload_diff))
    print("|replayed - recorded| send time, ms: p50 %.3f  p90 %.3f  p99 %.3f"
          "  max %.3f" % (p50, pct(diffs, 90), p99, mx))
    print("signed (replayed later > 0): mean %+.3f ms, %d of %d later"
          % (mean, later, n))
    print("over 0.5 / 1 / 2 ms off: %d / %d / %d messages"
          % tuple(sum(1 for d in diffs if d > x) for x in (0.5, 1, 2)))
    sd = sorted(abs(x) for x in start_diffs)
    if sd:
        print("session start (first packet) |difference|, ms: p50 %.3f"
              "  p99 %.3f  max %.3f" % (pct(sd, 50), pct(sd, 99), sd[-1]))
    print("mean signed difference by message index within a session (ms):")
    print("  " + "  ".join("m%d %+.2f" % (j, sum(v) / len(v))
                           for j, v in sorted(by_index.items())))
    if late:
        waited = sum(1 for _, w in late if w)
        print("replayed over 0.5 ms late: %d; of these %d waited for the"
              " server (its echo or 101 came after the recorded send time),"
              " %d were sent late by the replay itself"
              % (len(late), waited, len(late) - waited))
    rtts = []
    for _, pm, pe, _ in rep:
        for t, pl in pm:
            if pl in pe:
                rtts.append((pe[pl] - t) / 1000)
    if rtts:
        rtts.sort()
        print("replay: echo round trip on the wire (send -> echo), ms:"
              " mean %.3f, p50 %.3f, p99 %.3f, max %.3f"
              % (sum(rtts) / len(rtts), pct(rtts, 50), pct(rtts, 99),
                 rtts[-1]))
    if scn_path:
        # The recording itself: each client's `start` + `at` against the
        # recorded send time, both from the first session's first packet.
        errs = []
        for k, (start, ats) in enumerate(scn_ats(scn_path)):
            # the data messages come first; a last `at` is the close's
            if k >= len(rec) or len(ats) < len(rec[k][1]):
                continue
            errs += [abs(start + at - (t - first[0])) / 1000
                     for at, (t, _) in zip(ats, rec[k][1])]
        if errs:
            print("recording (%s): start + at minus the recorded send time,"
                  " |max| %.3f ms over %d sends"
                  % (scn_path.rsplit("/", 1)[-1], max(errs), len(errs)))
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

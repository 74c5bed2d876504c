"""wssim as root against a hostile local user, and against hostile paths.

- A directory planted by another uid (nobody, through setpriv) where the
  old stale-run reaper looked (TMPDIR/wssim-run-*, with an `owner` that is
  dead and a pid file naming a root process called nginx), and a fake run
  record in an XDG_RUNTIME_DIR that is not root's: a root `wssim run` must
  kill nothing and delete nothing of it.
- Report and recording targets that another user replaced by a symlink to
  a root file, or by a FIFO: refused (the file is untouched, nothing
  blocks), written only with --force.
- Inputs that are not regular files (a FIFO, a directory, /dev/zero,
  /dev/urandom) as scenario, include, pcap, key log, recording, PEM:
  refused at once with the path and why and the documented exit code,
  never a hang, never an empty file taken for a config.
Every wssim run here is bounded (a hang is a failure, the process killed).
"""

import os
import shutil
import signal
import stat
import subprocess
import time

import harness as h

SRC = os.environ.get("WSSIM_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(SRC, "..", "shared", "captures")
DIRECT = os.path.join(SRC, "scenarios", "direct-http.scn")
LIMIT = 20  # seconds: far more than any of these takes


def wssim(t, tmp, *argv, env=None):
    """(exit code, output), or (None, output) if it hung (then killed)."""
    e = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    e.update(env or {})
    p = subprocess.Popen([h.wssim_binary(), *argv], env=e, text=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=LIMIT)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return None, out + "\n(hung: killed after %d s)" % LIMIT


def as_user(argv):
    """Run argv as the unprivileged user; its exit code."""
    user, group = h._unprivileged_user()
    return subprocess.run(["setpriv", "--reuid=" + user, "--regid=" + group,
                           "--clear-groups", *argv], timeout=30).returncode


def need_root():
    if os.geteuid() != 0:
        raise h.Skip("a second uid needs root to switch to (setpriv)")
    if not shutil.which("setpriv"):
        h.missing("setpriv", "apt-get install util-linux")


def shared_tmp(t):
    """A world-writable sticky dir, like /tmp, that others can plant in."""
    d = t.tmpdir()
    os.chmod(d, 0o1777)
    return d


def victim(t, work):
    """A root process whose comm is 'nginx', in a group of its own."""
    exe = os.path.join(work, "nginx")
    shutil.copy("/bin/sleep", exe)
    p = subprocess.Popen([exe, "300"], start_new_session=True)

    def stop():
        if p.poll() is None:
            p.kill()
        p.wait()
    t.defer(stop)
    return p


def check_planted(t):
    need_root()
    tmp = shared_tmp(t)
    work = t.tmpdir()
    v = victim(t, work)
    dead = subprocess.Popen(["true"])
    dead.wait()
    # what the old reaper trusted, made by another uid
    planted = os.path.join(tmp, "wssim-run-%d-evil" % dead.pid)
    xdg = os.path.join(tmp, "xdg")
    script = (
        "set -e; mkdir -p '{p}/front' '{x}/wssim'; chmod 700 '{x}' '{x}/wssim'; "
        "echo {dead} > '{p}/owner'; echo {v} > '{p}/front/httpd.pid'; "
        "echo {v} > '{p}/front/group.pid'; echo keep > '{p}/keep'; "
        "printf 'wssim-run 1\\nboot -\\nowner {dead} 1\\nproc {v} 1\\n"
        "dir 0 0 {w}\\n' > '{x}/wssim/run-{dead}-0'"
    ).format(p=planted, x=xdg, dead=dead.pid, v=v.pid, w=work)
    t.eq("another uid planted a run dir and a run record",
         as_user(["sh", "-c", script]), 0)
    code, out = wssim(t, tmp, "run", DIRECT, env={"XDG_RUNTIME_DIR": xdg})
    t.eq("root's run passes", code, 0)
    time.sleep(0.2)
    t.check("the root 'nginx' another user pointed at still runs",
            v.poll() is None, "killed: %r" % v.returncode)
    t.check("the planted dir is left alone",
            os.path.exists(os.path.join(planted, "keep")), os.listdir(tmp))
    t.check("the fake record is not root's: ignored",
            os.path.exists(os.path.join(xdg, "wssim", "run-%d-0" % dead.pid)),
            out[-1500:])
    t.check("the dir it named is left alone", os.path.isdir(work))


def check_outputs(t):
    need_root()
    tmp = shared_tmp(t)
    precious = os.path.join(t.tmpdir(), "precious")
    with open(precious, "w") as f:
        f.write("root's file\n")
    os.chmod(os.path.dirname(precious), 0o755)
    os.chmod(precious, 0o644)
    rec = os.path.join(SHARED, "tomcat10-direct-echo.pcap")
    cases = [
        ("run --json", ["run", "--json", "{out}", DIRECT]),
        ("run --junit", ["run", "--junit", "{out}", DIRECT]),
        ("capture -o", ["capture", "-r", rec, "-o", "{out}"]),
        ("mock-tomcat --ca-out", ["mock-tomcat", "--https", "0", "--ca-out", "{out}"]),
    ]
    for i, (what, argv) in enumerate(cases):
        link = os.path.join(tmp, "out%d" % i)
        t.eq("%s: another uid planted a symlink" % what,
             as_user(["ln", "-s", precious, link]), 0)
        code, out = wssim(t, tmp, *[a.format(out=link) for a in argv])
        t.eq("%s through a symlink: exit 3" % what, code, 3)
        t.check("  says why", "is a symbolic link: refusing to write "
                "through it (--force" in out, out[-800:])
        with open(precious) as f:
            t.eq("  the file it points at is untouched", f.read(), "root's file\n")
        fifo = os.path.join(tmp, "fifo%d" % i)
        os.mkfifo(fifo)
        code, out = wssim(t, tmp, *[a.format(out=fifo) for a in argv])
        t.eq("%s to a FIFO: refused at once, exit 3" % what, code, 3)
        t.check("  says why", "is a FIFO" in out, out[-800:])
    # --force: the user said so
    link = os.path.join(tmp, "forced.json")
    os.symlink(precious, link)
    code, out = wssim(t, tmp, "run", "--force", "--json", link, DIRECT)
    t.eq("--force --json through a symlink: exit 0", code, 0)
    with open(precious) as f:
        t.check("  written where it points", f.read().startswith('{"schema"'))
    # an ordinary target is replaced whole, not truncated in place
    plain = os.path.join(tmp, "plain.json")
    with open(plain, "w") as f:
        f.write("old")
    ino = os.stat(plain).st_ino
    code, out = wssim(t, tmp, "run", "--json", plain, DIRECT)
    t.eq("--json over a regular file: exit 0", code, 0)
    t.check("  renamed into place", os.stat(plain).st_ino != ino)
    left = [n for n in os.listdir(tmp) if n.startswith(".")]
    t.eq("  no temp file left beside it", left, [])


def check_inputs(t):
    tmp = t.tmpdir()
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    d = os.path.join(tmp, "dir")
    os.mkdir(d)
    bad = [("a FIFO", fifo, "is a FIFO, not a regular file"),
           ("a directory", d, "is a directory, not a regular file"),
           ("/dev/zero", "/dev/zero", "is a character device"),
           ("/dev/urandom", "/dev/urandom", "is a character device")]
    pcap = os.path.join(SHARED, "tomcat10-direct-echo.pcap")
    for what, path, why in bad:
        code, out = wssim(t, tmp, "run", path)
        t.eq("run: %s as the scenario: exit 2" % what, code, 2)
        t.check("  names it and why", path + ": " + why in out, out[-600:])
        scn = os.path.join(tmp, "inc.scn")
        with open(scn, "w") as f:
            f.write('tomcat t1 { connector http }\n'
                    'apache front {\n    listen http\n    include "%s"\n}\n'
                    'client direct http://${t1.http}/examples/websocket/echo.xhtml'
                    ' { expect status 200 }\n' % path)
        code, out = wssim(t, tmp, "run", scn)
        t.eq("run: %s as an include: exit 2 (not an empty config that "
             "passes)" % what, code, 2)
        t.check("  names it and why, at the scenario line",
                "inc.scn:4:13: front: include " + path + ": " + why in out,
                out[-600:])
        code, out = wssim(t, tmp, "capture", "-r", path)
        t.eq("capture: %s as -r: exit 3" % what, code, 3)
        t.check("  names it and why", path + ": " + why in out, out[-600:])
        code, out = wssim(t, tmp, "capture", "-r", pcap, "--keylog", path)
        t.eq("capture: %s as --keylog: exit 3" % what, code, 3)
        t.check("  names it and why", path + ": " + why in out, out[-600:])
        code, out = wssim(t, tmp, "replay", path, "--target", "ws://127.0.0.1:1")
        t.eq("replay: %s as the recording: exit 2" % what, code, 2)
        t.check("  names it and why", why in out, out[-600:])
        code, out = wssim(t, tmp, "mock-tomcat", "--https", "0", "--cert",
                          path, "--key", path)
        t.eq("mock-tomcat: %s as --cert: exit 3" % what, code, 3)
        t.check("  names it and why", path + ": " + why in out, out[-600:])
    # a file name that tries to forge a report line
    forged = os.path.join(tmp, "x.scn\n  PASS forged")
    with open(forged, "w") as f:
        f.write("client c http://127.0.0.1:1/ {\n  expect status 200\n}\n")
    code, out = wssim(t, tmp, "run", forged)
    t.check("a newline in a scenario's name forges no line",
            "\n  PASS forged" not in out and "\\n  PASS forged" in out,
            out[-600:])


def body(t):
    with t.case("a run dir and a record planted by another uid"):
        check_planted(t)
    with t.case("report and recording targets swapped by another uid"):
        check_outputs(t)
    with t.case("inputs that are not regular files"):
        check_inputs(t)


if __name__ == "__main__":
    h.run(body, budget=240)

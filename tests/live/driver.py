#!/usr/bin/env python3
"""Live tier: every cross-layer rule reproduced on real servers, and its fix verified.

    python3 tests/live/driver.py --stacklint BIN CASE

A case is a directory under tests/live/cases/CASE/ with one sub-directory per variant: `broken`
first, then one or more fixes (`fixed`, `fixed-*`). Each variant is a small stack (nginx.conf plus
gunicorn.conf.py or php-fpm.conf + pool.d/) with an EXPECT file (`CODE file:line` of each
finding's primary label, as in fixtures/rules; empty for a fix) and the case may hold FIX, a text
the broken finding's help must contain (the fix the variants apply is the one stacklint suggests).

For every variant the driver
  1. lints the fixture as written (`--nginx-version` of the installed nginx) and checks EXPECT;
  2. copies it to a temp dir, rewriting every `127.0.0.1:PORT` to a free port (consistently: one
     fixture port, one free port) and every /run/, /srv/, /var/log/ path to the temp dir; lints the
     copy and checks the findings (rule, and file:line of every label) are identical;
  3. starts the real servers (nginx, haproxy, php-fpm unprivileged when run as root; gunicorn from
     the live virtualenv), drives bounded traffic and checks status counts and log lines;
  4. stops every process it started (process groups), also when a check fails.

Prints `OBSERVED case variant key=value ...` lines (the README table quotes them). Exit 0 on
success, 1 on a failed check, 77 when a needed tool is missing.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
APPS = HERE / "apps"
NOBODY = 65534
CASE_DEADLINE_S = 180  # the whole case, all variants; the driver aborts (and cleans up) after it


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def observed(case, variant, **kv):
    print(f"OBSERVED {case} {variant} " + " ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


# ---------------------------------------------------------------------------------------- tools

def find_tool(names, extra_dirs=("/usr/sbin", "/usr/local/sbin")):
    path = os.environ.get("PATH", "").split(":")
    for name in names:
        for d in list(path) + list(extra_dirs):
            p = Path(d) / name
            if p.is_file() and os.access(p, os.X_OK):
                return str(p)
    return None


def venv_dir():
    v = os.environ.get("STACKLINT_LIVE_VENV")
    if v:
        return Path(v)
    return Path(os.environ.get("HOME", "/root")) / ".cache" / "stacklint-live-venv"


def need(tool):
    if tool == "nginx":
        p = find_tool(["nginx"])
    elif tool == "php-fpm":
        p = find_tool(["php-fpm8.2", "php-fpm"])
    elif tool == "node":
        p = find_tool(["node", "nodejs"])
    elif tool == "haproxy":
        p = find_tool(["haproxy"])
    elif tool == "gunicorn":
        p = str(venv_dir() / "bin" / "gunicorn")
        p = p if os.access(p, os.X_OK) else None
    else:
        raise ValueError(tool)
    if not p:
        raise Skip(f"{tool} not found (run scripts/install-test-deps.sh; gunicorn is looked up in {venv_dir()})")
    return p


def nginx_version(nginx):
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    m = re.search(r"nginx/(\d+\.\d+\.\d+)", out)
    check(m, f"cannot read the nginx version from {out!r}")
    return m.group(1)


def drop_privileges():
    """Command prefix that runs a server as nobody when we are root (servers run unprivileged)."""
    if os.geteuid() != 0:
        return []
    setpriv = find_tool(["setpriv"])
    check(setpriv, "running as root but setpriv (util-linux) is missing")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------- stacklint

def lint(stacklint, directory, nginx_ver):
    out = subprocess.run(
        [stacklint, "--format", "json", "--nginx-version", nginx_ver, "."],
        cwd=directory, capture_output=True, text=True, timeout=60,
    )
    try:
        j = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise Fail(f"stacklint on {directory}: not JSON: {out.stderr}")
    check(not j["errors"], f"stacklint on {directory}: load errors {j['errors']}")
    return j


def primaries(j):
    out = set()
    for f in j["findings"]:
        p = next((l for l in f["labels"] if l["primary"]), f["labels"][0])
        out.add(f"{f['rule']} {p['file'].removeprefix('./')}:{p['line']}")
    return out


def labelled_lines(j):
    """Every finding as (rule, sorted labels as file:line): what a rewrite must not change."""
    return sorted(
        (f["rule"], tuple(sorted(f"{l['file'].removeprefix('./')}:{l['line']}" for l in f["labels"])))
        for f in j["findings"]
    )


def expected(d):
    lines = (d / "EXPECT").read_text().splitlines() if (d / "EXPECT").exists() else []
    return {" ".join(l.split()) for l in lines if l.strip() and not l.startswith("#")}


# ---------------------------------------------------------------------------------- the stack

PORT_RE = re.compile(r"127\.0\.0\.1:(\d{1,5})")
NODE_LISTEN_RE = re.compile(r"(\.listen\()(\d{1,5})(,\s*'127\.0\.0\.1'\))")  # server.listen(3000, '127.0.0.1')
PATH_RE = re.compile(r"(?<![\w./-])/(run|srv|var/log)/")


class Stack:
    """One variant copied to a temp dir with ports and paths rewritten; owns the processes."""

    def __init__(self, case, variant, src):
        self.case, self.variant, self.src = case, variant, src
        self.tmp = Path(tempfile.mkdtemp(prefix="stacklint-live-"))
        os.chmod(self.tmp, 0o755)
        self.conf = self.tmp / "conf"
        self.procs = []
        self.ports = {}
        self.dirs = set()

    # -- rewriting
    def port(self, fixture_port):
        """The free port standing in for `fixture_port`."""
        p = int(fixture_port)
        if p not in self.ports:
            taken = set(self.ports.values())
            q = free_port()
            while q in taken:
                q = free_port()
            self.ports[p] = q
        return self.ports[p]

    def path(self, fixture_path):
        return str(self.tmp) + fixture_path

    def rewrite_text(self, text):
        text = PORT_RE.sub(lambda m: f"127.0.0.1:{self.port(m.group(1))}", text)
        text = NODE_LISTEN_RE.sub(lambda m: f"{m.group(1)}{self.port(m.group(2))}{m.group(3)}", text)

        def repl(m):
            return f"{self.tmp}/{m.group(1)}/"

        text = PATH_RE.sub(repl, text)
        for m in re.finditer(re.escape(str(self.tmp)) + r"/[\w./-]+", text):
            p = Path(m.group(0))
            self.dirs.add(p if "." not in p.name else p.parent)  # a document root, or a file's dir
        return text

    def materialise(self):
        for f in sorted(self.src.rglob("*")):
            rel = f.relative_to(self.src)
            dst = self.conf / rel
            if f.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(self.rewrite_text(f.read_text()))
        for d in self.dirs:
            if not str(d).startswith(str(self.conf)):
                d.mkdir(parents=True, exist_ok=True)
        (self.tmp / "nginx" / "logs").mkdir(parents=True, exist_ok=True)
        www = self.tmp / "srv" / "www"
        if www.exists():
            shutil.copy(APPS / "slow.php", www / "slow.php")

    def hand_to_nobody(self):
        if os.geteuid() != 0:
            return
        for root, dirs, files in os.walk(self.tmp):
            for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                os.chown(n, NOBODY, NOBODY)

    # -- processes
    def spawn(self, name, argv, env=None, cwd=None):
        log = open(self.tmp / f"{name}.out", "wb")
        p = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=cwd or self.tmp, env=env, start_new_session=True,
        )
        log.close()
        self.procs.append((name, p))
        return p

    def output(self, name):
        f = self.tmp / f"{name}.out"
        return f.read_text(errors="replace") if f.exists() else ""

    def stop(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for name, p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(p.pid, signal.SIGKILL)  # whatever is left of the group
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()

    def cleanup(self):
        self.stop()
        if os.environ.get("STACKLINT_LIVE_KEEP"):
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def wait_tcp(self, port, what, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.assert_alive()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise Fail(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s\n{self.outputs()}")

    def wait_unix(self, path, what, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.assert_alive()
            if os.path.exists(path):
                return
            time.sleep(0.05)
        raise Fail(f"{what} did not create {path} within {timeout}s\n{self.outputs()}")

    def assert_alive(self):
        for name, p in self.procs:
            if p.poll() is not None:
                raise Fail(f"{name} exited with {p.returncode}\n{self.outputs()}")

    def outputs(self):
        return "\n".join(f"--- {n}:\n{self.output(n)[-3000:]}" for n, _ in self.procs)

    # -- servers
    def nginx_argv(self, nginx, *extra):
        pre = self.tmp / "nginx"
        return drop_privileges() + [
            nginx, "-p", f"{pre}/", "-c", str(self.conf / "nginx.conf"), "-e", str(pre / "error.log"),
            "-g", f"daemon off; pid {pre}/nginx.pid;", *extra,
        ]

    def nginx_test(self, nginx):
        """`nginx -t` (in a network namespace of its own when we may make one: a hostname lookup
        then fails at once, and no query leaves the machine)."""
        argv = self.nginx_argv(nginx, "-t")
        unshare = find_tool(["unshare"])
        if os.geteuid() == 0 and unshare:
            argv = [unshare, "--net", "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def start_nginx(self, nginx):
        self.spawn("nginx", self.nginx_argv(nginx))
        m = re.search(r"listen\s+127\.0\.0\.1:(\d+)", (self.conf / "nginx.conf").read_text())
        self.nginx_port = int(m.group(1))
        self.wait_tcp(self.nginx_port, "nginx")

    def error_log(self):
        f = self.tmp / "nginx" / "error.log"
        return f.read_text(errors="replace") if f.exists() else ""

    def access_statuses(self):
        f = self.tmp / "nginx" / "logs" / "access.log"
        if not f.exists():
            return []
        return [int(m.group(1)) for m in re.finditer(r'" (\d{3}) ', f.read_text())]

    def start_haproxy(self, haproxy):
        self.spawn("haproxy", drop_privileges() + [haproxy, "-f", str(self.conf / "haproxy.cfg"), "-db"])
        m = re.search(r"bind\s+127\.0\.0\.1:(\d+)", (self.conf / "haproxy.cfg").read_text())
        self.nginx_port = int(m.group(1))  # the front door, whichever proxy it is
        self.wait_tcp(self.nginx_port, "haproxy")

    def haproxy_log(self):
        return self.output("haproxy")

    def start_gunicorn(self, gunicorn):
        self.app_log = self.tmp / "app.log"
        env = dict(os.environ, LIVE_APP_LOG=str(self.app_log))
        self.spawn("gunicorn", [
            gunicorn, "-c", str(self.conf / "gunicorn.conf.py"), "--no-control-socket",
            "--chdir", str(APPS), "app:app",
        ], env=env)
        m = re.search(r'bind\s*=\s*"127\.0\.0\.1:(\d+)"', (self.conf / "gunicorn.conf.py").read_text())
        self.wait_tcp(int(m.group(1)), "gunicorn")

    def start_node(self, node):
        self.app_log = self.tmp / "app.log"
        env = dict(os.environ, LIVE_APP_LOG=str(self.app_log))
        self.spawn("node", [node, str(self.conf / "server.js")], env=env)
        m = NODE_LISTEN_RE.search((self.conf / "server.js").read_text())
        self.node_port = int(m.group(2))
        self.wait_tcp(self.node_port, "node")

    def app_lines(self):
        return self.app_log.read_text().splitlines() if self.app_log.exists() else []

    def start_fpm(self, fpm):
        self.spawn("php-fpm", drop_privileges() + [
            fpm, "-n", "-F", "-y", str(self.conf / "php-fpm.conf"), "-p", str(self.conf),
        ])
        m = re.search(r"^listen\s*=\s*(\S+)", (self.conf / "pool.d" / "www.conf").read_text(), re.M)
        self.wait_unix(m.group(1), "php-fpm")

    def fpm_log(self):
        f = Path(self.path("/var/log/php8.2-fpm.log"))
        return (f.read_text(errors="replace") if f.exists() else "") + self.output("php-fpm")


# ------------------------------------------------------------------------------------ traffic

def http(port, method, target, timeout=15):
    """One request on its own connection; returns (status, body)."""
    body = b"x" * 16 if method == "POST" else b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(
            f"{method} {target} HTTP/1.1\r\nHost: live\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n".encode() + body
        )
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    head, _, rest = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1."), f"not an HTTP response: {data[:200]!r}")
    return int(head.split()[1]), rest.decode(errors="replace")


def parallel(n, fn):
    out = [None] * n

    def run(i):
        try:
            out[i] = fn(i)
        except Exception as e:  # a failed request is an observation, not a crash
            out[i] = (0, repr(e))

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def until(t):
    """Sleeps until monotonic time t (the last 2 ms by spinning, for sub-millisecond timing)."""
    while True:
        d = t - time.monotonic()
        if d <= 0:
            return
        if d > 0.002:
            time.sleep(d - 0.0015)


def count(statuses):
    c = {}
    for s in statuses:
        c[s] = c.get(s, 0) + 1
    return c


def fmt_counts(c):
    return ",".join(f"{k}:{v}" for k, v in sorted(c.items()))


# -------------------------------------------------------------------------------------- cases

def haproxy_log_lines(st, pattern, want, wait=3.0):
    """HAProxy's log and its lines matching `pattern`, once there are `want` of them or after
    `wait` seconds: HAProxy writes a stream's line when the stream ends, which may be just after
    the client has its response."""
    deadline = time.monotonic() + wait
    while True:
        log = st.haproxy_log()
        lines = [l for l in log.splitlines() if re.search(pattern, l)]
        if len(lines) >= want or time.monotonic() > deadline:
            return log, lines
        time.sleep(0.05)


def start_proxy(st, tools):
    if "haproxy" in tools:
        st.start_haproxy(tools["haproxy"])
    else:
        st.start_nginx(tools["nginx"])


def traffic_timeout_order(st, tools, broken):
    """3 concurrent GETs to a 2 s handler: a 1 s proxy timeout answers 504 while gunicorn goes on."""
    st.start_gunicorn(tools["gunicorn"])
    start_proxy(st, tools)
    haproxy = "haproxy" in tools
    t0 = time.monotonic()
    res = parallel(3, lambda i: http(st.nginx_port, "GET", f"/?sleep=2&id=t{i}"))
    took = time.monotonic() - t0
    c = count(s for s, _ in res)
    if broken:
        check(c == {504: 3}, f"expected 3 x 504, got {c}")
        check(took < 1.9, f"the proxy should give up after 1 s, took {took:.2f}s")
        if haproxy:
            # httplog: ... backend/server Tq/Tw/Tc/Tr/Ta 504 ... termination state sH-- (server timeout)
            log, hits = haproxy_log_lines(st, r" 504 \d+ - - sH-- ", 3)
            check(len(hits) == 3, f"expected 3 log lines with status 504 and termination state sH--:\n{log}")
            what = "'504 ... sH--' (server-side timeout) x3"
        else:
            log = st.error_log()
            check("upstream timed out (110: Connection timed out) while reading response header from upstream" in log,
                  f"no 'upstream timed out' in nginx's error log:\n{log}")
            what = "'upstream timed out (110: Connection timed out) while reading response header'"
        end = time.monotonic() + 5
        while time.monotonic() < end and sum("done id=t" in l for l in st.app_lines()) < 3:
            time.sleep(0.1)
        done = sum("done id=t" in l for l in st.app_lines())
        check(done == 3, f"gunicorn should finish all 3 requests after nginx gave up; app log: {st.app_lines()}")
        observed(st.case, st.variant, status=fmt_counts(c), proxy_gave_up_after=f"{took:.2f}s",
                 app_completed=f"{done}/3", log=what)
    else:
        check(c == {200: 3}, f"expected 3 x 200, got {c}")
        check("upstream timed out" not in st.error_log() and "sH--" not in st.haproxy_log(), st.outputs())
        observed(st.case, st.variant, status=fmt_counts(c), took=f"{took:.2f}s")


RACE_WIDTH = 16  # concurrent POSTs per burst
# The broken stack runs at least RACE_WINDOW's min bursts, and more up to its max until it has seen 3 x 502.
RACE_SCHEDULE = {}  # the broken run's burst count, replayed by the fixed run
# When the server closes an idle connection, in seconds after its handler finished (measured on
# this machine): gunicorn gthread `keepalive = 1` at the first event-loop wake-up after 1 s, about
# 1.0013 s; Node 20 `keepAliveTimeout = 1000` about 2.002-2.004 s (not 1 s: observed, see README).
RACE_WINDOW = {"gunicorn": (1.0000, 1.0020, 25, 60), "node": (2.0010, 2.0030, 15, 30)}  # from, to, min/max bursts


def node_close_after_done(port, samples=4):
    """Median seconds between a Node handler finishing and Node closing the idle connection."""
    out = []
    for _ in range(samples):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST /?sleep=0.05&id=probe HTTP/1.1\r\nHost: live\r\nContent-Length: 1\r\n\r\nx")
            data = b""
            while not re.search(rb"done=[0-9.]+\n", data):
                b = s.recv(4096)
                check(b, f"probe: connection closed early: {data!r}")
                data += b
            done = float(re.search(rb"done=([0-9.]+)", data).group(1))
            check(s.recv(10) == b"", "probe: data after the response")
            out.append(time.monotonic() - done)
    return sorted(out)[len(out) // 2]


def start_app(st, tools):
    if "node" in tools:
        st.start_node(tools["node"])
    else:
        st.start_gunicorn(tools["gunicorn"])


def traffic_keepalive_race(st, tools, broken):
    """Bursts of 16 concurrent POSTs (50 ms handler), the next burst timed to land as gunicorn's
    gthread worker closes the previous burst's connections (keepalive = 1: about 1.000-1.002 s
    after the last handler finished; the offset is drawn at random in that range from a fixed
    seed, so the fixed stack gets the same schedule). POST is not retried by nginx on a failed
    reused connection, so a lost race is a 502. Node's keepAliveTimeout timer fires in the same
    window."""
    start_app(st, tools)
    start_proxy(st, tools)
    rng = random.Random(20261124)
    port = st.nginx_port
    lo, hi, min_bursts, max_bursts = RACE_WINDOW["node" if "node" in tools else "gunicorn"]
    if "node" in tools and broken:
        # Node's close time moves from one process to the next by a few ms (its timers run off a
        # cached loop time): measure it on this process, straight to Node, and aim just before it.
        m = node_close_after_done(st.node_port)
        lo, hi = m - 0.0015, m + 0.0003
        RACE_SCHEDULE[st.case + "/window"] = (lo, hi, f"{m * 1000:.2f}ms")
    lo, hi, calibrated = RACE_SCHEDULE.get(st.case + "/window", (lo, hi, "-"))

    def burst(at, r):
        def one(i):
            until(at)
            status, body = http(port, "POST", f"/?sleep=0.05&id=r{r}-{i}")
            m = re.search(r"done=([0-9.]+)", body)
            return status, float(m.group(1)) if m else None
        return parallel(RACE_WIDTH, one)

    res = burst(time.monotonic(), 0)
    statuses = []
    hit_bursts = 0
    bursts = max_bursts if broken else RACE_SCHEDULE.get(st.case, min_bursts)
    r = 0
    while r < bursts:
        if broken and r >= min_bursts and statuses.count(502) >= 3:
            break
        r += 1
        dones = [d for _, d in res if d]
        last = max(dones) if dones else time.monotonic()
        res = burst(last + rng.uniform(lo, hi), r)
        s = [x for x, _ in res]
        statuses += s
        hit_bursts += any(x != 200 for x in s)
    RACE_SCHEDULE[st.case] = r
    c = count(statuses)
    n = len(statuses)
    bad = n - c.get(200, 0)
    if "haproxy" in tools:
        # httplog: status 502 with termination state SH-- / SD-- (the server closed or reset)
        log, lines = haproxy_log_lines(st, r" 502 \d+ - - S[HD]-- ", c.get(502, 0))
        kinds = sorted({re.search(r" (S[HD]--) ", l).group(1) for l in lines})
    else:
        log = st.error_log()
        lines = [l for l in log.splitlines() if "upstream prematurely closed connection" in l
                 or "recv() failed (104: Connection reset by peer)" in l
                 or "writev() failed (32: Broken pipe)" in l]
        kinds = sorted({("prematurely closed" if "prematurely" in l else "104: reset" if "104" in l else "32: broken pipe")
                        for l in lines})
    extra = {}
    if "node" in tools:
        idle = [int(m.group(1)) for l in st.app_lines() for m in [re.search(r"after (\d+) ms idle", l)] if m]
        extra = {"node_closed_kept_alive": len(idle), "idle_ms": f"{min(idle)}-{max(idle)}" if idle else "-",
                 "node_close_after_done": calibrated}
    if broken:
        check(c.get(502, 0) >= 3, f"expected >= 3 x 502 in {n} POSTs, got {c}\n{log[-2000:]}")
        check(set(c) <= {200, 502}, f"unexpected statuses {c}")
        check(len(lines) >= c[502], f"{c[502]} x 502 but {len(lines)} matching log lines:\n{log[-3000:]}")
        observed(st.case, st.variant, requests=n, status=fmt_counts(c), bursts_with_502=f"{hit_bursts}/{r}",
                 log_lines=len(lines), kinds="+".join(kinds), **extra)
    else:
        check(bad == 0, f"expected 0 failures in {n} POSTs, got {c}\n{log[-2000:]}")
        check(not lines, f"race lines in the proxy's log:\n{lines}")
        observed(st.case, st.variant, requests=n, status=fmt_counts(c), **extra)


def traffic_port_mismatch(st, tools, broken):
    st.start_gunicorn(tools["gunicorn"])
    st.start_nginx(tools["nginx"])
    c = count(http(st.nginx_port, "GET", f"/?id=p{i}")[0] for i in range(10))
    log = st.error_log()
    if broken:
        check(c == {502: 10}, f"expected 10 x 502, got {c}")
        check("connect() failed (111: Connection refused) while connecting to upstream" in log, log)
        observed(st.case, st.variant, status=fmt_counts(c), log="'connect() failed (111: Connection refused)'")
    else:
        check(c == {200: 10}, f"expected 10 x 200, got {c}")
        observed(st.case, st.variant, status=fmt_counts(c))


def traffic_missing_upstream(st, tools, broken):
    rc, out = st.nginx_test(tools["nginx"])
    if broken:
        check(rc != 0, f"nginx -t should fail:\n{out}")
        check('host not found in upstream "backnd"' in out, f"nginx -t output:\n{out}")
        observed(st.case, st.variant, nginx_t=f"exit {rc}", log="'host not found in upstream \"backnd\"'")
        return
    check(rc == 0, f"nginx -t should pass:\n{out}")
    st.start_gunicorn(tools["gunicorn"])
    st.start_nginx(tools["nginx"])
    c = count(http(st.nginx_port, "GET", f"/?id=m{i}")[0] for i in range(10))
    check(c == {200: 10}, f"expected 10 x 200, got {c}")
    observed(st.case, st.variant, nginx_t="exit 0", status=fmt_counts(c))


def traffic_fpm_socket_typo(st, tools, broken):
    st.start_fpm(tools["php-fpm"])
    st.start_nginx(tools["nginx"])
    c = count(http(st.nginx_port, "GET", f"/slow.php?id={i}")[0] for i in range(10))
    log = st.error_log()
    if broken:
        check(c == {502: 10}, f"expected 10 x 502, got {c}")
        want = f"connect() to unix:{st.path('/run/php/php8.1-fpm.sock')} failed (2: No such file or directory)"
        check(want in log, f"no {want!r} in:\n{log}")
        observed(st.case, st.variant, status=fmt_counts(c),
                 log="'connect() to unix:.../php8.1-fpm.sock failed (2: No such file or directory)'")
    else:
        check(c == {200: 10}, f"expected 10 x 200, got {c}")
        observed(st.case, st.variant, status=fmt_counts(c))


def traffic_fpm_timeout_order(st, tools, broken):
    """3 concurrent requests to a 2 s PHP script."""
    st.start_fpm(tools["php-fpm"])
    st.start_nginx(tools["nginx"])
    t0 = time.monotonic()
    res = parallel(3, lambda i: http(st.nginx_port, "GET", f"/slow.php?sleep=2&id=f{i}"))
    took = time.monotonic() - t0
    c = count(s for s, _ in res)
    log = st.error_log()
    if broken:
        # fastcgi_read_timeout 1s < request_terminate_timeout 20s: nginx gives up, FPM goes on.
        check(c == {504: 3}, f"expected 3 x 504, got {c}")
        check("upstream timed out (110: Connection timed out) while reading response header from upstream" in log, log)
        observed(st.case, st.variant, status=fmt_counts(c), nginx_gave_up_after=f"{took:.2f}s",
                 log="'upstream timed out (110: Connection timed out)'")
    elif st.variant == "fixed":
        check(c == {200: 3}, f"expected 3 x 200, got {c}")
        observed(st.case, st.variant, status=fmt_counts(c), took=f"{took:.2f}s")
    else:
        # request_terminate_timeout 1s < fastcgi_read_timeout 3s: SL101's other fix. FPM kills the
        # worker and nginx reports what happened (502), as rules/SL101-timeout-order.md says.
        check(c == {502: 3}, f"expected 3 x 502, got {c}\n{log}")
        # FPM's master kills the child with SIGTERM: nginx sees EOF or a reset, depending on timing.
        kill = re.search(r"(upstream prematurely closed FastCGI stdout|recv\(\) failed \(104: Connection reset by peer\))"
                         r" while reading response header from upstream", log)
        check(kill, f"no 'prematurely closed' / 'reset by peer' line in nginx's error log:\n{log}")
        end = time.monotonic() + 3
        while time.monotonic() < end and "execution timed out" not in st.fpm_log():
            time.sleep(0.1)
        fl = st.fpm_log()
        m = re.search(r"\[pool www\] child \d+, script '[^']*slow\.php' \(request: \"GET [^\"]*\"\) execution timed out \(([0-9.]+) sec\), terminating", fl)
        check(m, f"no 'execution timed out ... terminating' in the FPM log:\n{fl}")
        check("upstream timed out" not in log, log)
        observed(st.case, st.variant, status=fmt_counts(c), answered_after=f"{took:.2f}s",
                 fpm_log=f"'execution timed out ({m.group(1)} sec), terminating'",
                 nginx_log=f"'{kill.group(1)}'")


CASE_DEFS = {
    "timeout-order": (["nginx", "gunicorn"], traffic_timeout_order),
    "keepalive-race": (["nginx", "gunicorn"], traffic_keepalive_race),
    "port-mismatch": (["nginx", "gunicorn"], traffic_port_mismatch),
    "missing-upstream": (["nginx", "gunicorn"], traffic_missing_upstream),
    "fpm-socket-typo": (["nginx", "php-fpm"], traffic_fpm_socket_typo),
    "haproxy-timeout-order": (["haproxy", "gunicorn"], traffic_timeout_order),
    "haproxy-keepalive-race": (["haproxy", "gunicorn"], traffic_keepalive_race),
    "haproxy-node-keepalive-race": (["haproxy", "node"], traffic_keepalive_race),
    "fpm-timeout-order": (["nginx", "php-fpm"], traffic_fpm_timeout_order),
}


def run_case(stacklint, case):
    needs, traffic = CASE_DEFS[case]
    tools = {t: need(t) for t in needs}
    ngv = nginx_version(tools["nginx"]) if "nginx" in tools else "1.30.0"  # stacklint default
    cdir = CASES / case
    variants = ["broken"] + sorted(p.name for p in cdir.iterdir() if p.is_dir() and p.name.startswith("fixed"))
    check(len(variants) >= 2, f"{case}: needs broken/ and at least one fixed*/")
    fix = (cdir / "FIX").read_text().strip() if (cdir / "FIX").exists() else None
    for variant in variants:
        src = cdir / variant
        broken = variant == "broken"
        # 1. the fixture as written
        j0 = lint(stacklint, src, ngv)
        want = expected(src)
        got = primaries(j0)
        check(got == want, f"{case}/{variant}: stacklint found {sorted(got)}, EXPECT says {sorted(want)}")
        if broken:
            check(want, f"{case}/broken: EXPECT lists no finding")
            if fix:
                helps = " | ".join(f["help"] for f in j0["findings"])
                check(fix in helps, f"{case}: the fix applied ({fix!r}) is not what stacklint suggests: {helps}")
        st = Stack(case, variant, src)
        try:
            # 2. the rewritten copy: same findings, same labelled lines
            st.materialise()
            j1 = lint(stacklint, st.conf, ngv)
            check(labelled_lines(j0) == labelled_lines(j1),
                  f"{case}/{variant}: rewriting ports/paths changed the findings:\n{labelled_lines(j0)}\n{labelled_lines(j1)}")
            rules = ",".join(sorted(f["rule"] for f in j0["findings"])) or "none"
            observed(case, variant, stacklint=rules, ports=";".join(f"{a}->{b}" for a, b in sorted(st.ports.items())))
            st.hand_to_nobody()
            # 3. the real stack
            traffic(st, tools, broken)
        finally:
            st.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stacklint", required=True)
    ap.add_argument("case", choices=sorted(CASE_DEFS))
    a = ap.parse_args()

    def on_signal(sig, frame):
        raise Fail(f"signal {sig} (deadline {CASE_DEADLINE_S}s or interrupted)")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(CASE_DEADLINE_S)
    t0 = time.monotonic()
    try:
        run_case(a.stacklint, a.case)
    except Skip as e:
        print(f"SKIP {a.case}: {e}", flush=True)
        return 77
    except Fail as e:
        print(f"FAIL {a.case}: {e}", flush=True)
        return 1
    print(f"PASS {a.case} in {time.monotonic() - t0:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

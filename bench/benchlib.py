"""Shared helpers of gureum's benchmarks (platform_bench.py, iam_bench.py).

Servers are spawned in their own process group and stopped through that group only (SIGTERM,
then SIGKILL); nothing is ever killed by name. wrk is driven with a Lua script that replays one
request, and its output is parsed into req/s and latency percentiles.
"""

from __future__ import annotations

import os
import platform as pyplatform
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _peers_script() -> Path:
    """../shared/tools/peers.sh next to the checkout; from a git worktree elsewhere, next to the
    main checkout (the parent of git's common dir)."""
    here = (REPO / ".." / "shared" / "tools" / "peers.sh").resolve()
    if here.is_file():
        return here
    try:
        common = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--path-format=absolute",
                                 "--git-common-dir"], capture_output=True, text=True, check=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return here
    main = (Path(common).parent / ".." / "shared" / "tools" / "peers.sh").resolve()
    return main if main.is_file() else here


PEERS = _peers_script()
WRK = shutil.which("wrk") or "/usr/bin/wrk"

HEALTH_TIMEOUT_S = 60.0  # moto imports a lot of Python; everything else is ready in milliseconds


# ---------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One spawned server in its own process group; stop() ends that group only."""

    def __init__(self, argv: list[str], log: Path, env: dict | None = None):
        self.argv = argv
        self.log_path = log
        self._log = open(log, "ab")
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own process group, id == its pid
        )
        self.needed_sigkill = False
        self.stop_ms: float | None = None
        LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL if the leader has not exited within 5 s."""
        if self not in LIVE:
            return
        LIVE.discard(self)
        t0 = time.perf_counter()
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)  # the group this process leads, created above
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.needed_sigkill = True
                continue
            self.stop_ms = (time.perf_counter() - t0) * 1000.0
            # The leader is gone; make sure nothing it forked into its group lingers.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        self._log.close()

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


LIVE: set[Server] = set()


def stop_all() -> None:
    for s in list(LIVE):
        s.stop()


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """One raw HTTP/1.1 GET; the status code, or None if nothing answered."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            buf = b""
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def wait_healthy(server: Server, port: int, path: str) -> float:
    """Polls ~every 1 ms; returns ms from spawn to the first 200."""
    deadline = server.t_spawn + HEALTH_TIMEOUT_S
    while True:
        if http_status(port, path) == 200:
            return (time.perf_counter() - server.t_spawn) * 1000.0
        if not server.alive():
            raise RuntimeError(f"{server.argv[0]} exited with {server.proc.returncode}:\n{server.log_tail()}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no 200 from {path} within {HEALTH_TIMEOUT_S:.0f} s:\n{server.log_tail()}")
        time.sleep(0.001)


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
            except OSError:
                continue
            for k in kids:
                out.append(int(k))
                todo.append(int(k))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of pid and its live descendants, in seconds."""
    ticks = 0
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = f
    return user + nice + system + irq + softirq + steal, sum(f)


def pin_threads(pid: int, cpus: set[int]) -> None:
    """Sets the CPU affinity of every thread of pid and of its descendants."""
    for p in [pid, *descendants(pid)]:
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tids:
            try:
                os.sched_setaffinity(int(t), cpus)
            except OSError:
                pass


def rss_mib(pid: int) -> float:
    """VmRSS of pid and all its descendants, in MiB."""
    total_kib = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            pass
    return total_kib / 1024.0


# ---------------------------------------------------------------------------------------------
# wrk


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(out: str) -> dict:
    res: dict = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    res["p99_ms"] = float(m.group(1)) * UNIT_MS[m.group(2)] if m else None
    m = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    res["p50_ms"] = float(m.group(1)) * UNIT_MS[m.group(2)] if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else {}
    return res


def run_wrk(port: int, script: Path, threads: int, conns: int, duration: int, server_pid: int,
            parse=parse_wrk, wrk_cpus: set[int] | None = None) -> dict:
    """One wrk run against 127.0.0.1:port; wrk_cpus pins wrk to those CPUs."""
    argv = [WRK, "--latency", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "-s", str(script),
            f"http://127.0.0.1:{port}/"]
    preexec = (lambda: os.sched_setaffinity(0, wrk_cpus)) if wrk_cpus else None
    server_cpu0 = cpu_seconds(server_pid)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30, preexec_fn=preexec)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(server_pid) - server_cpu0
    if p.returncode != 0 or "Requests/sec" not in p.stdout:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    res = parse(p.stdout)
    # Where the two cores went: CPU per answered request, in the server and in wrk itself.
    wrk_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if res["requests"]:
        res["server_cpu_us_per_req"] = 1e6 * server_cpu / res["requests"]
        res["wrk_cpu_us_per_req"] = 1e6 * wrk_cpu / res["requests"]
    res["server_cpu_cores"] = server_cpu / duration
    res["wrk_cpu_cores"] = wrk_cpu / duration
    problems = []
    if res["non_2xx"]:
        problems.append(f"{res['non_2xx']} non-2xx responses")
    if any(res["socket_errors"].values()):
        problems.append("socket errors " + ", ".join(f"{k} {v}" for k, v in res["socket_errors"].items() if v))
    res["problems"] = problems
    if problems:
        print(f"    ! wrk -c{conns}: " + "; ".join(problems), flush=True)
    return res


# ---------------------------------------------------------------------------------------------
# report and machine


def fmt(v, spec: str, quoted: bool = False) -> str:
    if v is None:
        return "-"
    s = format(v, spec)
    return "~" + s if quoted else s


def peer_bin(name: str) -> str | None:
    try:
        return subprocess.run(["bash", str(PEERS), "bin", name], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info() -> dict:
    info = {"cpus": os.cpu_count(), "kernel": pyplatform.release(), "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    try:
        info["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def wrk_problem_lines(results, keys, header="wrk reported errors (those figures include failed requests):"):
    """The report lines for wrk runs that saw errors: `results` are target dicts holding wrk
    results under `keys` (each with an optional `problems` list). Empty when all went well.
    `header` says what the figures above count (jsonbench counts 2xx answers only)."""
    bad = [f"{r['name']} {k}: {'; '.join(r[k]['problems'])}" for r in results for k in keys
           if isinstance(r.get(k), dict) and r[k].get("problems")]
    if not bad:
        return []
    return ["", header] + ["  " + b for b in bad]

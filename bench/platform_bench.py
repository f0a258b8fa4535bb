"""Platform benchmark: gureum side by side with moto_server, fakecloud and an nginx HTTP floor.

Measures, on this machine and over loopback only:
  * ready time: wall time from spawning the server to its first 200 from its health URL;
  * idle RSS: VmRSS of the server (and any children) after it has been ready and idle ~1 s;
  * STS GetCallerIdentity throughput and p99 latency at concurrency 1 and 32, driven by wrk
    replaying one SigV4-signed request (so the load generator, not a Python client, is the client);
  * the same wrk load against a fixed-response nginx, the HTTP floor of this machine.
Then prints a table, ratios, and the issue's aims as met / not met.

Run it with a Python that has botocore (tests/.venv has it):

    cargo build --release
    tests/.venv/bin/python bench/platform_bench.py [--json results.json]

Needs wrk (/usr/bin/wrk) and nginx (/usr/sbin/nginx, Debian package nginx-light). moto is installed
through ../shared/tools/peers.sh if missing; fakecloud is used only if already installed.
Every process started here is stopped by its own pid / process group; nothing is killed by name.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib, next to this file

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from benchlib import (  # noqa: E402  (shared with iam_bench.py)
    wrk_problem_lines,
    PEERS,
    REPO,
    WRK,
    Server,
    free_port,
    fmt,
    lua_string,
    machine_info,
    peer_bin,
    rss_mib,
    run_wrk,
    stop_all,
    wait_healthy,
)

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover - depends on the interpreter used
    sys.exit("botocore is needed for signing: run with tests/.venv/bin/python (see bench/README.md)")

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
STS_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
# Shaped and sized like a GetCallerIdentity answer, so the floor moves comparable bytes.
NGINX_BODY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn>"
    "<UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
    "</ResponseMetadata></GetCallerIdentityResponse>"
)

# The figures for fakecloud and the nginx floor, measured earlier on this kind of machine.
# Shown only when fakecloud is not installed, and always labelled as quoted.
QUOTED_FAKECLOUD = {"ready_ms": 40.0, "rss_mib": 54.0, "c1_rps": 10_000.0, "c32_rps": 43_000.0}
QUOTED_FLOOR = {"c1_rps": 15_000.0, "c32_rps": 118_000.0}

AIM_READY_MS = 20.0
AIM_RSS_MIB = 20.0
AIM_FLOOR_PCT = 70.0


# ---------------------------------------------------------------------------------------------
# targets


@dataclass
class Target:
    name: str
    health: str  # health URL path
    argv: object  # callable(port, workdir) -> argv
    sts: bool = True  # answers GetCallerIdentity (nginx answers a fixed body)


def gureum_target(binary: Path, ephemeral: bool) -> Target:
    if ephemeral:
        return Target(
            "gureum (ephemeral)",
            "/_gureum/health",
            lambda port, wd: [str(binary), "serve", "--ephemeral", "--listen", f"127.0.0.1:{port}",
                              "--log-level", "warn"],
        )
    # The default mode: a durable store in a data directory. The first start creates it, the
    # following ones reopen it (the usual case); the median is over all of them.
    return Target(
        "gureum (data dir)",
        "/_gureum/health",
        lambda port, wd: [str(binary), "serve", "--data-dir", str(wd / "data"), "--listen",
                          f"127.0.0.1:{port}", "--log-level", "warn"],
    )


def moto_target(binary: str) -> Target:
    return Target("moto_server", "/moto-api/", lambda port, wd: [binary, "-H", "127.0.0.1", "-p", str(port)])


def fakecloud_target(binary: str) -> Target:
    return Target(
        "fakecloud",
        "/_fakecloud/health",
        lambda port, wd: [binary, "--addr", f"127.0.0.1:{port}", "--log-level", "warn"],
    )


def nginx_conf(port: int, wd: Path) -> str:
    tmp = wd / "nginx-tmp"
    return f"""# Fixed-response nginx: the HTTP floor for bench/platform_bench.py.
daemon off;
master_process on;
worker_processes 2;
pid {wd}/nginx.pid;
error_log {wd}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type text/xml;
            return 200 '{NGINX_BODY}';
        }}
    }}
}}
"""


def nginx_target() -> Target:
    def argv(port: int, wd: Path) -> list[str]:
        (wd / "nginx-tmp").mkdir(exist_ok=True)
        conf = wd / "nginx.conf"
        conf.write_text(nginx_conf(port, wd))
        return [NGINX, "-c", str(conf), "-p", str(wd), "-e", str(wd / "nginx-error.log")]

    return Target("nginx (floor)", "/", argv, sts=False)


# ---------------------------------------------------------------------------------------------
# load


def signed_request(port: int) -> dict[str, str]:
    """SigV4-signed GetCallerIdentity headers for 127.0.0.1:port (valid for 15 minutes of skew)."""
    req = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}/",
        data=STS_BODY,
        headers={"Content-Type": STS_CONTENT_TYPE},
    )
    SigV4Auth(Credentials("test", "test"), "sts", "us-east-1").add_auth(req)
    headers = dict(req.headers.items())
    headers["Host"] = f"127.0.0.1:{port}"  # what was signed, and what wrk sends
    return headers


def verify(port: int, headers: dict[str, str], sts: bool) -> str:
    """One request through urllib; raises unless it is a 200 (with an account id for STS)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=STS_BODY.encode(), method="POST")
    for k, v in headers.items():
        if k.lower() != "host":
            req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, body = resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode(errors="replace")
    if status != 200:
        raise RuntimeError(f"signed GetCallerIdentity answered {status}: {body[:500]}")
    m = re.search(r"<Account>(\d{12})</Account>", body)
    if not m:
        raise RuntimeError(f"signed GetCallerIdentity answered 200 without an account id: {body[:500]}")
    return m.group(1)


def write_wrk_script(path: Path, headers: dict[str, str]) -> None:
    lines = ["-- Replays one signed STS GetCallerIdentity request (written by bench/platform_bench.py).",
             'wrk.method = "POST"', f"wrk.body = {lua_string(STS_BODY)}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}")
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# one target


def bench_target(t: Target, args, root: Path) -> dict:
    wd = Path(tempfile.mkdtemp(prefix=re.sub(r"\W+", "-", t.name).strip("-") + "-", dir=root))
    out: dict = {"name": t.name}
    print(f"\n== {t.name}", flush=True)

    # 1. ready time over several starts
    ready, stops = [], []
    for i in range(args.runs):
        port = free_port()
        s = Server(t.argv(port, wd), wd / "server.log")
        try:
            ready.append(wait_healthy(s, port, t.health))
        finally:
            s.stop()
            stops.append(s)
    out["ready_ms_runs"] = [round(x, 2) for x in ready]
    out["ready_ms"] = statistics.median(ready)
    print(f"  ready: median {out['ready_ms']:.1f} ms over {len(ready)} starts "
          f"(min {min(ready):.1f}, max {max(ready):.1f})", flush=True)

    # 2. one more start that stays up: idle RSS, then load
    port = free_port()
    s = Server(t.argv(port, wd), wd / "server.log")
    try:
        wait_healthy(s, port, t.health)
        time.sleep(args.idle)
        out["rss_mib"] = rss_mib(s.pid)
        print(f"  idle RSS: {out['rss_mib']:.1f} MiB", flush=True)

        for label, threads, conns in (("c1", 1, 1), ("c32", 2, 32)):
            # The floor gets the very same signed request (nginx ignores the signature), so every
            # target reads and answers the same bytes in.
            headers = signed_request(port)
            if t.sts:
                out["account"] = verify(port, headers, t.sts)
            else:
                verify_floor(port, headers)
            script = wd / f"{label}.lua"
            write_wrk_script(script, headers)
            r = run_wrk(port, script, threads, conns, args.duration, s.pid)
            out[label] = r
            p99 = f"{r['p99_ms']:.2f} ms" if r["p99_ms"] is not None else "?"
            print(f"  {label}: {r['rps']:.0f} req/s, p99 {p99}", flush=True)
        out["rss_after_load_mib"] = rss_mib(s.pid)
    finally:
        s.stop()
        stops.append(s)
        shutil.rmtree(wd, ignore_errors=True)
    # How the server took SIGTERM: a server that ignores it needs the SIGKILL fallback.
    out["stop_ms"] = [round(x.stop_ms, 1) if x.stop_ms is not None else None for x in stops]
    out["sigterm_ignored"] = sum(x.needed_sigkill for x in stops)
    if out["sigterm_ignored"]:
        print(f"  ! {out['sigterm_ignored']} of {len(stops)} starts did not exit within 5 s of SIGTERM "
              "(stopped with SIGKILL)", flush=True)
    return out


def verify_floor(port: int, headers: dict[str, str]) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=STS_BODY.encode(), method="POST",
                                 headers={k: v for k, v in headers.items() if k.lower() != "host"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        if resp.status != 200 or b"<Account>" not in resp.read():
            raise RuntimeError("nginx floor did not answer its fixed body")


# ---------------------------------------------------------------------------------------------
# report


def print_report(results: list[dict], fakecloud_quoted: bool) -> list[str]:
    rows = []
    for r in results:
        rows.append([
            r["name"], fmt(r.get("ready_ms"), ".1f"), fmt(r.get("rss_mib"), ".1f"),
            fmt(r["c1"]["rps"], ",.0f"), fmt(r["c1"]["p99_ms"], ".2f"),
            fmt(r["c32"]["rps"], ",.0f"), fmt(r["c32"]["p99_ms"], ".2f"),
        ])
    if fakecloud_quoted:
        q = QUOTED_FAKECLOUD
        rows.append(["fakecloud (QUOTED, not measured)", fmt(q["ready_ms"], ".0f", True),
                     fmt(q["rss_mib"], ".0f", True), fmt(q["c1_rps"], ",.0f", True), "-",
                     fmt(q["c32_rps"], ",.0f", True), "-"])
    head = ["target", "ready ms (median)", "idle RSS MiB", "c1 req/s", "c1 p99 ms", "c32 req/s", "c32 p99 ms"]
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    lines = []

    def line(cells):
        return "| " + " | ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                 for i, c in enumerate(cells)) + " |"

    lines.append(line(head))
    lines.append("|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|")
    lines += [line(r) for r in rows]

    by = {r["name"]: r for r in results}
    g = by.get("gureum (ephemeral)")
    gd = by.get("gureum (data dir)")
    floor = by.get("nginx (floor)")
    lines.append("")

    def versus(peer_name: str, peer: dict, label: str):
        for gname, gr in (("ephemeral", g), ("data dir", gd)):
            if not gr:
                continue
            parts = []
            for c in ("c1", "c32"):
                pr = peer[c]["rps"] if isinstance(peer.get(c), dict) else peer.get(f"{c}_rps")
                if pr and gr[c]["rps"]:
                    parts.append(f"{c} req/s x{gr[c]['rps'] / pr:.2f}")
            if peer.get("ready_ms") and gr.get("ready_ms"):
                parts.append(f"ready {peer['ready_ms'] / gr['ready_ms']:.1f}x faster")
            if peer.get("rss_mib") and gr.get("rss_mib"):
                parts.append(f"RSS {peer['rss_mib'] / gr['rss_mib']:.1f}x smaller")
            lines.append(f"gureum ({gname}) vs {label}: " + ", ".join(parts))

    if "moto_server" in by:
        versus("moto_server", by["moto_server"], "moto_server")
    if "fakecloud" in by:
        versus("fakecloud", by["fakecloud"], "fakecloud")
    elif fakecloud_quoted:
        versus("fakecloud", QUOTED_FAKECLOUD, "fakecloud (QUOTED figures, not measured)")

    if floor:
        for gname, gr in (("ephemeral", g), ("data dir", gd)):
            if gr:
                lines.append(
                    f"gureum ({gname}) as % of the nginx floor: c1 {100 * gr['c1']['rps'] / floor['c1']['rps']:.0f}%, "
                    f"c32 {100 * gr['c32']['rps'] / floor['c32']['rps']:.0f}%")
        lines.append(f"nginx floor here: c1 {floor['c1']['rps']:,.0f}, c32 {floor['c32']['rps']:,.0f} req/s "
                     f"(issue quoted ~{QUOTED_FLOOR['c1_rps']:,.0f} / ~{QUOTED_FLOOR['c32_rps']:,.0f})")

    cpu = [r for r in results if r["c32"].get("server_cpu_us_per_req")]
    if cpu:
        lines.append("")
        lines.append("CPU per request at c32 (2 cores shared by server and wrk; us = microseconds):")
        for r in cpu:
            c = r["c32"]
            lines.append(f"  {r['name']}: server {c['server_cpu_us_per_req']:.1f} us ({c['server_cpu_cores']:.2f} cores busy), "
                         f"wrk {c['wrk_cpu_us_per_req']:.1f} us ({c['wrk_cpu_cores']:.2f} cores)")
    lines.append("")
    for gname, gr in (("ephemeral", g), ("data dir", gd)):
        if not gr:
            continue

        def met(ok):
            return "met" if ok else "NOT met"

        lines.append(f"aim: ready < {AIM_READY_MS:.0f} ms [{gname}]: {gr['ready_ms']:.1f} ms "
                     f"({met(gr['ready_ms'] < AIM_READY_MS)})")
        lines.append(f"aim: idle RSS < {AIM_RSS_MIB:.0f} MiB [{gname}]: {gr['rss_mib']:.1f} MiB "
                     f"({met(gr['rss_mib'] < AIM_RSS_MIB)})")
        if floor:
            pct = 100 * gr["c32"]["rps"] / floor["c32"]["rps"]
            lines.append(f"aim: c32 >= {AIM_FLOOR_PCT:.0f}% of the nginx floor [{gname}]: {pct:.0f}% "
                         f"({met(pct >= AIM_FLOOR_PCT)})")

    for r in results:
        if r.get("sigterm_ignored"):
            lines.append(f"note: {r['name']} ignored SIGTERM in {r['sigterm_ignored']} of {len(r['stop_ms'])} stops "
                         "(needed SIGKILL)")
    lines += wrk_problem_lines(results, ("c1", "c32"))
    print("\n" + "\n".join(lines))
    return lines


# ---------------------------------------------------------------------------------------------
# main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gureum", type=Path, default=REPO / "target" / "release" / "gureum",
                    help="the gureum binary (default: target/release/gureum; cargo build --release first)")
    ap.add_argument("--runs", type=int, default=7, help="starts per target for the ready time (median)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--idle", type=float, default=1.0, help="seconds idle before reading RSS")
    ap.add_argument("--only", default="", help="comma list of: nginx,gureum,gureum-data,moto,fakecloud")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    args = ap.parse_args()

    for tool, pkg in ((WRK, "wrk"), (NGINX, "nginx-light")):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} not found: apt-get install {pkg}")
    if not args.gureum.is_file():
        sys.exit(f"{args.gureum} not found: run `cargo build --release` first (or pass --gureum PATH)")

    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def want(key):
        return not only or key in only

    targets: list[Target] = []
    if want("nginx"):
        targets.append(nginx_target())
    if want("gureum"):
        targets.append(gureum_target(args.gureum.resolve(), ephemeral=True))
    if want("gureum-data"):
        targets.append(gureum_target(args.gureum.resolve(), ephemeral=False))

    skipped = []
    if want("moto"):
        moto = peer_bin("moto")
        if moto and not os.access(moto, os.X_OK):
            print("moto_server missing: installing it with peers.sh install moto ...", flush=True)
            subprocess.run(["bash", str(PEERS), "install", "moto"], check=False, timeout=600)
        if moto and os.access(moto, os.X_OK):
            targets.append(moto_target(moto))
        else:
            skipped.append("moto_server: could not be installed (peers.sh install moto)")
    fakecloud_quoted = False
    if want("fakecloud"):
        fc = peer_bin("fakecloud")
        if fc and os.access(fc, os.X_OK):
            targets.append(fakecloud_target(fc))
        else:
            fakecloud_quoted = True
            skipped.append("fakecloud: not installed (peers.sh install fakecloud)")
    for s in skipped:
        print(s, flush=True)

    info = machine_info()
    print(f"machine: {info.get('cpus')} CPUs ({info.get('cpu', '?')}), load average {' '.join(info.get('loadavg', []))}"
          f", {info['date']}", flush=True)
    print(f"wrk: {args.duration} s per run, c1 = -t1 -c1, c32 = -t2 -c32; ready time = median of {args.runs} starts",
          flush=True)

    root = Path(tempfile.mkdtemp(prefix="gureum-bench-"))
    results = []
    failures = []
    try:
        for t in targets:
            try:
                results.append(bench_target(t, args, root))
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                print(f"  ! {t.name} failed: {e}", flush=True)
                failures.append({"name": t.name, "error": str(e)})
    finally:
        stop_all()
        shutil.rmtree(root, ignore_errors=True)

    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    lines = print_report(results, fakecloud_quoted) if results else []
    if failures:
        print("\nfailed: " + ", ".join(f["name"] for f in failures))
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info,
            "settings": {"runs": args.runs, "duration_s": args.duration, "idle_s": args.idle},
            "results": results,
            "failures": failures,
            "skipped": skipped,
            "quoted": {"fakecloud": QUOTED_FAKECLOUD, "nginx_floor": QUOTED_FLOOR} if fakecloud_quoted else
                      {"nginx_floor": QUOTED_FLOOR},
            "report": lines,
        }, indent=2) + "\n")
        print(f"\nraw numbers: {args.json}")
    return 1 if failures else 0


def _on_signal(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)

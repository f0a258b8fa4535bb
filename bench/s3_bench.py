"""S3 benchmark: gureum's object PUT/GET side by side with moto_server, fakecloud and two limits.

Measures, on this machine and over loopback only:
  * 4 KiB objects: PUT and GET ops/s and p99 at concurrency 1 and 32, driven by wrk replaying one
    SigV4-signed request (payload signed with its SHA-256 in x-amz-content-sha256, as boto3 does
    over http); the nginx floor answers the very same requests with a fixed 4 KiB body / a 200;
  * 256 MiB objects: one PUT and one GET streamed with http.client (UNSIGNED-PAYLOAD), in MiB/s,
    against the same bytes copied with `cp` on the same filesystem as the data directory;
  * peak RSS of a fresh gureum during one 1 GiB upload (VmHWM, and VmRSS sampled every 10 ms).
Then prints a table, ratios, and the issue's aims as met / NOT met.

    cargo build --release -p gureum
    tests/.venv/bin/python bench/s3_bench.py [--no-large] [--json results.json]

gureum runs in its default, durable mode (a data directory). Needs wrk and nginx, like
platform_bench.py; moto comes from ../shared/tools/peers.sh; fakecloud is used only if installed
(else its figures from the issue are shown, labelled QUOTED). Every process started here is stopped
through its own process group; nothing is killed by name.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib, next to this file

import argparse
import hashlib
import http.client
import json
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from benchlib import (  # noqa: E402
    wrk_problem_lines,
    PEERS,
    REPO,
    WRK,
    Server,
    fmt,
    free_port,
    lua_string,
    machine_info,
    peer_bin,
    rss_mib,
    run_wrk,
    stop_all,
    wait_healthy,
)

try:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover
    sys.exit("botocore is needed for signing: run with tests/.venv/bin/python (see bench/README.md)")

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CREDS = Credentials("test", "test")
REGION = "us-east-1"
BUCKET = "s3-bench"
SMALL_KEY = "small-4k"        # the object GET reads
PUT_KEYS_PER_THREAD = 256     # PUT keys each wrk thread cycles through (see put_paths)
LARGE_KEY = "large-object"
MIB = 1024 * 1024
SMALL_SIZE = 4096
# A fixed 4 KiB body of plain characters (also the file the nginx floor serves).
SMALL_BODY = (("gureum-s3-bench-" * 256)[:SMALL_SIZE]).encode()
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# The issue's figures for fakecloud (measured earlier on this kind of machine), shown only when it
# is not installed and always labelled as quoted. Persistent mode: only a PUT rate, no concurrency.
QUOTED_FAKECLOUD = {
    "fakecloud in-memory": {"get_c1": 10_000.0, "put_c1": 3_600.0, "get_c32": 39_000.0, "put_c32": 8_000.0},
    "fakecloud persistent": {"put": 900.0},
}

AIM_GET_FLOOR_PCT = 70.0
AIM_PUT_VS_FC_MEM = 1.0
AIM_PUT_VS_FC_PERSIST = 10.0
AIM_LARGE_CP_PCT = 70.0
AIM_PEAK_RSS_MIB = 100.0


# ---------------------------------------------------------------------------------------------
# targets


@dataclass
class Target:
    name: str
    health: str
    argv: object  # callable(port, workdir) -> argv
    s3: bool = True  # nginx only answers fixed bodies
    large: bool = True
    extra: dict = field(default_factory=dict)


def gureum_target(binary: Path) -> Target:
    return Target("gureum (data dir)", "/_gureum/health",
                  lambda port, wd: [str(binary), "serve", "--listen", f"127.0.0.1:{port}",
                                    "--data-dir", str(wd / "data"), "--log-level", "warn"])


def moto_target(binary: str) -> Target:
    return Target("moto_server", "/moto-api/", lambda port, wd: [binary, "-H", "127.0.0.1", "-p", str(port)])


def fakecloud_target(binary: str, persistent: bool) -> Target:
    if persistent:
        return Target("fakecloud persistent", "/_fakecloud/health",
                      lambda port, wd: [binary, "--addr", f"127.0.0.1:{port}", "--log-level", "warn",
                                        "--storage-mode", "persistent", "--data-path", str(wd / "data")])
    return Target("fakecloud in-memory", "/_fakecloud/health",
                  lambda port, wd: [binary, "--addr", f"127.0.0.1:{port}", "--log-level", "warn"])


def nginx_conf(port: int, wd: Path) -> str:
    tmp = wd / "nginx-tmp"
    return f"""# Fixed-response nginx: the HTTP floor for bench/s3_bench.py (GET: a 4 KiB file, PUT: 200).
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
        sendfile on;
        tcp_nopush on;  # headers and the file in one segment
        open_file_cache max=16 inactive=60s;  # no open() per request: the floor stays a floor
        open_file_cache_valid 60s;
        location / {{
            default_type application/octet-stream;
            if ($request_method = PUT) {{ return 200; }}
            root {wd}/www;
            try_files /object =404;
        }}
    }}
}}
"""


def nginx_target() -> Target:
    def argv(port: int, wd: Path) -> list[str]:
        (wd / "nginx-tmp").mkdir(exist_ok=True)
        (wd / "www").mkdir(exist_ok=True)
        (wd / "www" / "object").write_bytes(SMALL_BODY)  # a 4 KiB static file (too long for `return`)
        for d in (wd.parent, wd, wd / "www"):  # nginx workers run unprivileged; mkdtemp made 0700
            d.chmod(0o755)
        (wd / "www" / "object").chmod(0o644)
        conf = wd / "nginx.conf"
        conf.write_text(nginx_conf(port, wd))
        return [NGINX, "-c", str(conf), "-p", str(wd), "-e", str(wd / "nginx-error.log")]

    return Target("nginx (floor)", "/", argv, s3=False, large=False)


# ---------------------------------------------------------------------------------------------
# signing and single requests


class _UnsignedPayloadAuth(S3SigV4Auth):
    def _should_sha256_sign_payload(self, request):  # noqa: D401 - botocore hook
        return False  # x-amz-content-sha256: UNSIGNED-PAYLOAD, as S3 allows for streamed bodies


def signed_headers(port: int, method: str, path: str, body: bytes | None, unsigned_payload=False) -> dict[str, str]:
    """SigV4 headers for 127.0.0.1:port (valid for 15 minutes). The payload is signed with its
    SHA-256 (x-amz-content-sha256), as boto3 does over http, unless unsigned_payload."""
    # Bodies go with an explicit Content-Type (signed): urllib would otherwise send a form type,
    # which moto_server's werkzeug consumes as form data.
    ctype = {"Content-Type": "application/octet-stream"} if body else {}
    req = AWSRequest(method=method, url=f"http://127.0.0.1:{port}{path}", data=body or b"", headers=ctype)
    auth = (_UnsignedPayloadAuth if unsigned_payload else S3SigV4Auth)(CREDS, "s3", REGION)
    auth.add_auth(req)
    headers = dict(req.headers.items())
    headers["Host"] = f"127.0.0.1:{port}"
    return headers


def request(port: int, method: str, path: str, body: bytes | None = None, headers=None) -> tuple[int, bytes]:
    h = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def s3_call(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    return request(port, method, path, body if method in ("PUT", "POST") else None,
                   signed_headers(port, method, path, body))


def write_wrk_script(path: Path, method: str, req_path: str, headers: dict[str, str], body: bytes | None) -> None:
    lines = [f"-- Replays one signed S3 {method} (written by bench/s3_bench.py).",
             f"wrk.method = {lua_string(method)}", f"wrk.path = {lua_string(req_path)}"]
    if body:
        lines.append(f"wrk.body = {lua_string(body.decode())}")
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}")
    path.write_text("\n".join(lines) + "\n")


def put_paths(tid: int) -> list[str]:
    """The keys wrk thread tid PUTs to, in turn. Each thread has its own 256 keys and at most 16
    requests in flight, so no two in-flight PUTs write the same key (moto_server answers 500 to
    concurrent overwrites of one key); after the first cycle every PUT overwrites an object, which
    is still a full write of data and metadata."""
    return [f"/{BUCKET}/put-4k-t{tid}-{i:03d}" for i in range(PUT_KEYS_PER_THREAD)]


def write_put_script(path: Path, signed: dict[int, list[tuple[str, dict[str, str]]]]) -> None:
    """A wrk script in which each thread cycles through its own pre-signed PUTs."""
    lines = ["-- Pre-signed S3 PUTs of 4 KiB, one key per request in turn (written by bench/s3_bench.py).",
             f"local body = {lua_string(SMALL_BODY.decode())}", "local signed = {}"]
    for tid, reqs in signed.items():
        lines.append(f"signed[{tid}] = {{")
        for p, headers in reqs:
            hs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
            lines.append(f"  {{{lua_string(p)}, {{{hs}}}}},")
        lines.append("}")
    lines += [
        "local counter = 1",
        "function setup(thread) thread:set(\"tid\", counter); counter = counter + 1 end",
        "local mine, n, i = {}, 0, 0",
        "function init(args)",
        "  for k, r in ipairs(signed[tid]) do mine[k] = wrk.format(\"PUT\", r[1], r[2], body) end",
        "  n = #mine",
        "end",
        "function request() i = i % n + 1; return mine[i] end",
    ]
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# small objects


def bench_small(t: Target, port: int, pid: int, wd: Path, args) -> dict:
    out: dict = {}
    get_path = f"/{BUCKET}/{SMALL_KEY}"
    if t.s3:
        st, body = s3_call(port, "PUT", f"/{BUCKET}")
        if st != 200:
            raise RuntimeError(f"CreateBucket answered {st}: {body[:300]!r}")
        st, body = s3_call(port, "PUT", get_path, SMALL_BODY)
        if st != 200:
            raise RuntimeError(f"PutObject answered {st}: {body[:300]!r}")
    for op in ("get", "put"):
        for label, threads, conns in (("c1", 1, 1), ("c32", 2, 32)):
            script = wd / f"{op}-{label}.lua"
            if op == "get":
                headers = signed_headers(port, "GET", get_path, None)
                # One request of this very kind first: a 200 and the 4 KiB that was written.
                st, got = request(port, "GET", get_path, None, headers)
                if st != 200:
                    raise RuntimeError(f"signed GET {get_path} answered {st}: {got[:300]!r}")
                if got != SMALL_BODY:
                    raise RuntimeError(f"GET {get_path} answered {len(got)} bytes, not the 4 KiB written")
                write_wrk_script(script, "GET", get_path, headers, None)
            else:
                signed = {tid: [(path, signed_headers(port, "PUT", path, SMALL_BODY))
                                for path in put_paths(tid)] for tid in range(1, threads + 1)}
                path, headers = signed[threads][-1]
                st, got = request(port, "PUT", path, SMALL_BODY, headers)
                if st != 200:
                    raise RuntimeError(f"signed PUT {path} answered {st}: {got[:300]!r}")
                write_put_script(script, signed)
            # The floor is a limit and it is noisy on this VM: its best of --floor-runs runs.
            runs = [run_wrk(port, script, threads, conns, args.duration, pid)
                    for _ in range(1 if t.s3 else max(1, args.floor_runs))]
            r = max(runs, key=lambda x: x["rps"] or 0)
            if len(runs) > 1:
                r["all_runs_rps"] = [x["rps"] for x in runs]
            out[f"{op}_{label}"] = r
            p99 = f"{r['p99_ms']:.2f} ms" if r["p99_ms"] is not None else "?"
            print(f"  {op.upper()} {label}: {r['rps']:,.0f} ops/s, p99 {p99}", flush=True)
    put_path = put_paths(2)[0]
    if t.s3:  # the object the PUTs overwrote is intact
        st, got = s3_call(port, "GET", put_path)
        if st != 200 or got != SMALL_BODY:
            raise RuntimeError(f"after the PUT runs, GET {put_path} answered {st} with {len(got)} bytes")
    return out


# ---------------------------------------------------------------------------------------------
# large objects


def stream_put(port: int, path: str, src: Path, size: int) -> float:
    """PUT src with http.client in 1 MiB sends; returns seconds from the first byte to the 200."""
    headers = signed_headers(port, "PUT", path, None, unsigned_payload=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    buf = bytearray(MIB)
    with open(src, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            conn.send(memoryview(buf)[:n])
    resp = conn.getresponse()
    body = resp.read()
    dt = time.perf_counter() - t0
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"PUT {path} ({size // MIB} MiB) answered {resp.status}: {body[:300]!r}")
    return dt


def stream_get(port: int, path: str, size: int) -> float:
    """GET path, reading the body in 1 MiB pieces (discarded); returns seconds, checks the length."""
    headers = signed_headers(port, "GET", path, None)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"GET {path} answered {resp.status}: {resp.read()[:300]!r}")
    buf = bytearray(MIB)
    got = 0
    while True:
        n = resp.readinto(buf)
        if not n:
            break
        got += n
    dt = time.perf_counter() - t0
    conn.close()
    if got != size:
        raise RuntimeError(f"GET {path} answered {got} bytes, expected {size}")
    return dt


def make_file(path: Path, size: int) -> None:
    """Incompressible-ish bytes: 1 MiB of urandom repeated."""
    block = os.urandom(MIB)
    with open(path, "wb") as f:
        for _ in range(size // MIB):
            f.write(block)


def bench_large(t: Target, port: int, src: Path, size: int) -> dict:
    path = f"/{BUCKET}/{LARGE_KEY}"
    put_s = stream_put(port, path, src, size)
    get_s = stream_get(port, path, size)
    s3_call(port, "DELETE", path)
    r = {"put_s": put_s, "get_s": get_s, "put_mibps": size / MIB / put_s, "get_mibps": size / MIB / get_s}
    print(f"  {size // MIB} MiB: PUT {r['put_mibps']:,.0f} MiB/s ({put_s:.2f} s), "
          f"GET {r['get_mibps']:,.0f} MiB/s ({get_s:.2f} s)", flush=True)
    return r


def bench_cp(src: Path, dst_dir: Path, size: int) -> dict:
    """The same bytes copied with cp into dst_dir (the data directory's filesystem)."""
    dst = dst_dir / "cp-copy"
    t0 = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True, timeout=600)
    cp_s = time.perf_counter() - t0
    dst.unlink()
    t0 = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True, timeout=600)
    subprocess.run(["sync", "-f", str(dst)], check=True, timeout=600)  # cp plus flushing to disk
    cp_sync_s = time.perf_counter() - t0
    dst.unlink()
    r = {"cp_s": cp_s, "cp_mibps": size / MIB / cp_s, "cp_sync_s": cp_sync_s,
         "cp_sync_mibps": size / MIB / cp_sync_s}
    print(f"  cp: {r['cp_mibps']:,.0f} MiB/s ({cp_s:.2f} s); cp + sync: {r['cp_sync_mibps']:,.0f} MiB/s "
          f"({cp_sync_s:.2f} s)", flush=True)
    return r


def vm_field(pid: int, name: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def bench_peak_rss(binary_target: Target, root: Path, src: Path, size: int) -> dict:
    """A fresh gureum, one upload of src; the peak RSS seen (VmHWM, and VmRSS sampled every 10 ms)."""
    wd = Path(tempfile.mkdtemp(prefix="gureum-rss-", dir=root))
    port = free_port()
    s = Server(binary_target.argv(port, wd), wd / "server.log")
    try:
        wait_healthy(s, port, binary_target.health)
        st, body = s3_call(port, "PUT", f"/{BUCKET}")
        if st != 200:
            raise RuntimeError(f"CreateBucket answered {st}: {body[:300]!r}")
        before = rss_mib(s.pid)
        samples: list[float] = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append(rss_mib(s.pid))
                time.sleep(0.01)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        try:
            put_s = stream_put(port, f"/{BUCKET}/{LARGE_KEY}", src, size)
        finally:
            done.set()
            th.join()
        hwm = vm_field(s.pid, "VmHWM")
        r = {"size_mib": size // MIB, "rss_before_mib": before, "peak_sampled_mib": max(samples, default=None),
             "vmhwm_mib": hwm, "put_s": put_s, "put_mibps": size / MIB / put_s,
             "rss_after_mib": rss_mib(s.pid)}
        r["peak_mib"] = max(x for x in (hwm, r["peak_sampled_mib"]) if x is not None)
        print(f"  1 GiB upload: peak RSS {r['peak_mib']:,.0f} MiB (VmHWM {fmt(hwm, ',.0f')}, sampled max "
              f"{fmt(r['peak_sampled_mib'], ',.0f')}; {before:.0f} MiB before, {r['rss_after_mib']:,.0f} after), "
              f"{r['put_mibps']:,.0f} MiB/s", flush=True)
        return r
    finally:
        s.stop()
        shutil.rmtree(wd, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# one target


def bench_target(t: Target, args, root: Path, large_src: Path | None) -> dict:
    wd = Path(tempfile.mkdtemp(prefix=re.sub(r"\W+", "-", t.name).strip("-") + "-", dir=root))
    out: dict = {"name": t.name}
    print(f"\n== {t.name}", flush=True)
    port = free_port()
    s = Server(t.argv(port, wd), wd / "server.log")
    try:
        out["ready_ms"] = wait_healthy(s, port, t.health)
        out["idle_rss_mib"] = rss_mib(s.pid)
        out.update(bench_small(t, port, s.pid, wd, args))
        out["rss_after_small_mib"] = rss_mib(s.pid)
        if large_src is not None and t.large:
            try:
                out["large"] = bench_large(t, port, large_src, args.large_mib * MIB)
            except (RuntimeError, OSError, http.client.HTTPException) as e:
                print(f"  ! large objects failed: {e}", flush=True)
                out["large_error"] = str(e)
    finally:
        s.stop()
        out["sigterm_ignored"] = s.needed_sigkill
        if s.needed_sigkill:
            print(f"  ! {t.name} did not exit within 5 s of SIGTERM (stopped with SIGKILL)", flush=True)
        shutil.rmtree(wd, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------
# report


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]

    def line(cells):
        return "| " + " | ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                 for i, c in enumerate(cells)) + " |"

    return [line(head), "|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2))
                                       for i, w in enumerate(widths)) + "|"] + [line(r) for r in rows]


def rps(r: dict, k: str):
    return r[k]["rps"] if isinstance(r.get(k), dict) else None


def p99(r: dict, k: str):
    return r[k]["p99_ms"] if isinstance(r.get(k), dict) else None


def print_report(results: list[dict], quoted: dict, cp: dict | None, peak: dict | None, large_mib: int) -> list[str]:
    def met(ok):
        return "met" if ok else "NOT met"

    lines = ["4 KiB objects (ops/s; p99 in ms):"]
    rows = []
    for r in results:
        rows.append([r["name"]] + [x for k in ("get_c1", "get_c32", "put_c1", "put_c32")
                                   for x in (fmt(rps(r, k), ",.0f"), fmt(p99(r, k), ".2f"))])
    for name, q in quoted.items():
        if "put" in q:  # persistent: one PUT rate, concurrency not given
            rows.append([f"{name} (QUOTED, not measured)", "-", "-", "-", "-",
                         fmt(q["put"], ",.0f", True), "-", "-", "-"])
        else:
            rows.append([f"{name} (QUOTED, not measured)"] + [x for k in ("get_c1", "get_c32", "put_c1", "put_c32")
                                                              for x in (fmt(q[k], ",.0f", True), "-")])
    lines += table(["target", "GET c1", "p99", "GET c32", "p99", "PUT c1", "p99", "PUT c32", "p99"], rows)

    by = {r["name"]: r for r in results}
    g = by.get("gureum (data dir)")
    floor = by.get("nginx (floor)")
    moto = by.get("moto_server")
    lines.append("")
    if g:
        def versus(label, peer_get):
            parts = []
            for k in ("get_c1", "get_c32", "put_c1", "put_c32"):
                pv = peer_get(k)
                if pv and rps(g, k):
                    parts.append(f"{k.replace('_', ' ').upper().replace(' C', ' c')} x{rps(g, k) / pv:.2f}")
            if parts:
                lines.append(f"gureum vs {label}: " + ", ".join(parts))

        if moto:
            versus("moto_server", lambda k: rps(moto, k))
        for fname in ("fakecloud in-memory", "fakecloud persistent"):
            if fname in by:
                versus(fname, lambda k, f=by[fname]: rps(f, k))
        if "fakecloud in-memory" in quoted:
            versus("fakecloud in-memory (QUOTED figures)", lambda k: quoted["fakecloud in-memory"][k])
        if floor:
            lines.append("gureum as % of the nginx floor: " + ", ".join(
                f"{k.replace('_', ' ').upper().replace(' C', ' c')} {100 * rps(g, k) / rps(floor, k):.0f}%"
                for k in ("get_c1", "get_c32", "put_c1", "put_c32") if rps(floor, k) and rps(g, k)))

    cpu = [r for r in results if isinstance(r.get("get_c32"), dict) and r["get_c32"].get("server_cpu_us_per_req")]
    if cpu:
        lines.append("")
        lines.append("CPU per request at c32 (2 cores shared by server and wrk; us = microseconds):")
        for r in cpu:
            parts = []
            for k in ("get_c32", "put_c32"):
                c = r[k]
                parts.append(f"{k[:3].upper()} server {c['server_cpu_us_per_req']:.1f} us "
                             f"({c['server_cpu_cores']:.2f} cores), wrk {c['wrk_cpu_us_per_req']:.1f} us")
            lines.append(f"  {r['name']}: " + "; ".join(parts))

    large_rows = [r for r in results if r.get("large")]
    if large_rows or cp:
        lines.append("")
        lines.append(f"{large_mib} MiB objects (MiB/s; one streamed PUT then one GET, body discarded by the client):")
        rows = [[r["name"], fmt(r["large"]["put_mibps"], ",.0f"), fmt(r["large"]["get_mibps"], ",.0f")]
                for r in large_rows]
        if cp:
            rows.append(["cp on the data dir's filesystem (limit)", fmt(cp["cp_mibps"], ",.0f"), "-"])
            rows.append(["cp + sync -f (same, flushed to disk)", fmt(cp["cp_sync_mibps"], ",.0f"), "-"])
        lines += table(["target", "PUT MiB/s", "GET MiB/s"], rows)
        if g and g.get("large") and cp:
            gl = g["large"]
            lines.append(f"gureum as % of cp: PUT {100 * gl['put_mibps'] / cp['cp_mibps']:.0f}%, "
                         f"GET {100 * gl['get_mibps'] / cp['cp_mibps']:.0f}%; as % of cp + sync: "
                         f"PUT {100 * gl['put_mibps'] / cp['cp_sync_mibps']:.0f}%, "
                         f"GET {100 * gl['get_mibps'] / cp['cp_sync_mibps']:.0f}%")
        if g and g.get("large") and moto and moto.get("large"):
            lines.append(f"gureum vs moto_server: PUT x{g['large']['put_mibps'] / moto['large']['put_mibps']:.2f}, "
                         f"GET x{g['large']['get_mibps'] / moto['large']['get_mibps']:.2f}")

    lines.append("")
    if g and floor and rps(g, "get_c32") and rps(floor, "get_c32"):
        pct = 100 * rps(g, "get_c32") / rps(floor, "get_c32")
        lines.append(f"aim: GET c32 >= {AIM_GET_FLOOR_PCT:.0f}% of the nginx floor: {pct:.0f}% ({met(pct >= AIM_GET_FLOOR_PCT)})")
    fc_mem = by.get("fakecloud in-memory")
    fc_per = by.get("fakecloud persistent")
    if g:
        for c in ("c1", "c32"):
            k = f"put_{c}"
            if fc_mem:
                ref, label = rps(fc_mem, k), "measured"
            elif "fakecloud in-memory" in quoted:
                ref, label = quoted["fakecloud in-memory"][k], "QUOTED"
            else:
                ref = None
            if ref and rps(g, k):
                lines.append(f"aim: PUT {c} >= fakecloud in-memory ({label} {ref:,.0f}): {rps(g, k):,.0f} "
                             f"(x{rps(g, k) / ref:.2f}, {met(rps(g, k) >= AIM_PUT_VS_FC_MEM * ref)})")
            if fc_per:
                ref, label = rps(fc_per, k), "measured"
            elif "fakecloud persistent" in quoted:
                ref, label = quoted["fakecloud persistent"]["put"], "QUOTED"
            else:
                ref = None
            if ref and rps(g, k):
                lines.append(f"aim: PUT {c} >= 10x fakecloud persistent ({label} {ref:,.0f}, so {10 * ref:,.0f}): "
                             f"{rps(g, k):,.0f} (x{rps(g, k) / ref:.1f}, {met(rps(g, k) >= AIM_PUT_VS_FC_PERSIST * ref)})")
    if g and g.get("large") and cp:
        for op in ("put", "get"):
            pct = 100 * g["large"][f"{op}_mibps"] / cp["cp_mibps"]
            lines.append(f"aim: {large_mib} MiB {op.upper()} >= {AIM_LARGE_CP_PCT:.0f}% of cp: {pct:.0f}% "
                         f"({met(pct >= AIM_LARGE_CP_PCT)})")
    if peak:
        lines.append(f"aim: peak RSS during a {peak['size_mib']} MiB upload < {AIM_PEAK_RSS_MIB:.0f} MiB: "
                     f"{peak['peak_mib']:,.0f} MiB ({met(peak['peak_mib'] < AIM_PEAK_RSS_MIB)})")

    lines += wrk_problem_lines(results, ("get_c1", "get_c32", "put_c1", "put_c32"))
    print("\n" + "\n".join(lines))
    return lines


# ---------------------------------------------------------------------------------------------
# main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gureum", type=Path, default=REPO / "target" / "release" / "gureum",
                    help="the gureum binary (default: target/release/gureum; cargo build --release -p gureum first)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--floor-runs", type=int, default=2, help="wrk runs per measure on nginx (the best is kept)")
    ap.add_argument("--only", default="", help="comma list of: nginx,gureum,moto,fakecloud")
    ap.add_argument("--no-large", action="store_true", help="skip the 256 MiB objects and the 1 GiB upload")
    ap.add_argument("--large-mib", type=int, default=256, help="size of the large object (MiB)")
    ap.add_argument("--rss-mib", type=int, default=1024, help="size of the upload for the peak RSS (MiB)")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    args = ap.parse_args()

    for tool, pkg in ((WRK, "wrk"), (NGINX, "nginx-light")):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} not found: apt-get install {pkg}")
    if not args.gureum.is_file():
        sys.exit(f"{args.gureum} not found: run `cargo build --release -p gureum` first (or pass --gureum PATH)")
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def want(key):
        return not only or key in only

    gureum = gureum_target(args.gureum.resolve())
    targets: list[Target] = []
    if want("nginx"):
        targets.append(nginx_target())
    if want("gureum"):
        targets.append(gureum)
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
    quoted: dict = {}
    if want("fakecloud"):
        fc = peer_bin("fakecloud")
        if fc and os.access(fc, os.X_OK):
            targets += [fakecloud_target(fc, False), fakecloud_target(fc, True)]
        else:
            quoted = QUOTED_FAKECLOUD
            skipped.append("fakecloud: not installed (peers.sh install fakecloud); its figures from the issue "
                           "are shown as QUOTED")
    for s in skipped:
        print(s, flush=True)

    info = machine_info()
    print(f"machine: {info.get('cpus')} CPUs ({info.get('cpu', '?')}), load average {' '.join(info.get('loadavg', []))}"
          f", {info['date']}", flush=True)
    print(f"wrk: {args.duration} s per run, c1 = -t1 -c1, c32 = -t2 -c32; 4 KiB bodies; gureum with a data dir "
          "(durable PUTs)", flush=True)

    root = Path(tempfile.mkdtemp(prefix="gureum-s3-bench-"))  # the data dirs live here too
    results, failures = [], []
    cp = peak = None
    large_src = None
    try:
        if not args.no_large:
            need = (args.large_mib + args.rss_mib) * MIB * 2 + args.rss_mib * MIB  # sources + stored copies
            free = shutil.disk_usage(root).free
            if free < need + 2 * 1024 * MIB:
                print(f"! only {free // MIB:,} MiB free on {root}'s filesystem, {need // MIB:,} MiB needed: "
                      "skipping large objects", flush=True)
                args.no_large = True
            else:
                large_src = root / f"src-{args.large_mib}m"
                make_file(large_src, args.large_mib * MIB)
        for t in targets:
            try:
                results.append(bench_target(t, args, root, large_src))
            except (RuntimeError, subprocess.SubprocessError, OSError, http.client.HTTPException) as e:
                print(f"  ! {t.name} failed: {e}", flush=True)
                failures.append({"name": t.name, "error": str(e)})
        if large_src is not None:
            print("\n== limits and memory", flush=True)
            cp = bench_cp(large_src, root, args.large_mib * MIB)
            large_src.unlink()
            large_src = None
            if want("gureum"):
                rss_src = root / f"src-{args.rss_mib}m"
                make_file(rss_src, args.rss_mib * MIB)
                try:
                    peak = bench_peak_rss(gureum, root, rss_src, args.rss_mib * MIB)
                except (RuntimeError, OSError, http.client.HTTPException) as e:
                    print(f"  ! peak RSS run failed: {e}", flush=True)
                    failures.append({"name": "peak RSS", "error": str(e)})
                finally:
                    rss_src.unlink(missing_ok=True)
    finally:
        stop_all()
        shutil.rmtree(root, ignore_errors=True)

    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    lines = print_report(results, quoted, cp, peak, args.large_mib) if results else []
    if failures:
        print("\nfailed: " + ", ".join(f["name"] for f in failures))
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info,
            "settings": {"duration_s": args.duration, "large_mib": None if args.no_large else args.large_mib,
                         "rss_mib": None if args.no_large else args.rss_mib},
            "results": results, "cp": cp, "peak_rss": peak, "failures": failures, "skipped": skipped,
            "quoted": quoted, "report": lines,
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

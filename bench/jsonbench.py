"""Shared part of the AWS-JSON-protocol benchmarks (dynamodb_bench.py, kms_bench.py).

Every operation is one SigV4-signed POST / with an X-Amz-Target header and a JSON body. A bench
describes its operations (name, target, body, a check of the answer); this module starts the
targets (gureum with a data dir, a fixed-response nginx floor, moto_server, and fakecloud in its
default in-memory mode and with --storage-mode persistent, if it is installed), sends each
operation once through http.client (a 200 and the expected answer, else that operation is not
benchmarked on that target: its row is reported as failed, with the reason, and the other
operations and targets still run), then replays the signed request with wrk at c1 (-t1 -c1) and
c32 (-t2 -c32), and prints a table with ratios and the bench's aims.

The ops/s figures count 2xx answers only: when wrk sees non-2xx answers, the rate is wrk's rate
times the share of 2xx answers, the cell is marked "!" and the errors are listed under the report.
When fakecloud is not run (not installed, or left out by --only), the bench's QUOTED figures are
shown instead, labelled as such.

The nginx floor answers the very same signed requests with, for each X-Amz-Target, the body gureum
answered to the check request (same shape and size); it is run after gureum for that reason.
Processes run in their own process groups and are stopped through them only (benchlib.Server).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    run_wrk,
    stop_all,
    wait_healthy,
)

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover
    sys.exit("botocore is needed for signing: run with tests/.venv/bin/python (see bench/README.md)")

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CREDS = Credentials("test", "test")
REGION = "us-east-1"
LEVELS = (("c1", 1, 1), ("c32", 2, 32))


@dataclass
class Op:
    """One benchmarked operation: a signed POST replayed by wrk."""
    name: str                     # e.g. "GetItem"
    kind: str                     # "read" or "write" (for the aims)
    body: Callable[[dict], dict]  # state -> request JSON
    check: Callable[[dict, dict], str | None]  # (state, answer JSON) -> problem or None


@dataclass
class Target:
    name: str
    health: str
    argv: Callable
    real: bool = True  # False: the nginx floor (no setup, no checks of content)


@dataclass
class Service:
    signing_name: str   # "dynamodb", "kms"
    target_prefix: str  # "DynamoDB_20120810", "TrentService"
    content_type: str   # "application/x-amz-json-1.0" / "-1.1"
    ops: list[Op]
    setup: Callable     # (Client) -> state dict (tables, keys, ciphertexts)
    floor_bodies: dict[str, bytes] = field(default_factory=dict)  # op name -> answer body


class Client:
    """Signed JSON calls over one keep-alive http.client connection."""

    def __init__(self, svc: Service, port: int):
        self.svc, self.port = svc, port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def headers(self, op: str, payload: bytes) -> dict[str, str]:
        req = AWSRequest(method="POST", url=f"http://127.0.0.1:{self.port}/", data=payload,
                         headers={"Content-Type": self.svc.content_type,
                                  "X-Amz-Target": f"{self.svc.target_prefix}.{op}"})
        SigV4Auth(CREDS, self.svc.signing_name, REGION).add_auth(req)
        h = dict(req.headers.items())
        h["Host"] = f"127.0.0.1:{self.port}"
        return h

    def raw(self, headers: dict[str, str], payload: bytes) -> tuple[int, bytes]:
        self.conn.request("POST", "/", body=payload, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def call(self, op: str, body: dict, ok=(200,)) -> dict:
        payload = json.dumps(body).encode()
        st, got = self.raw(self.headers(op, payload), payload)
        if st not in ok:
            raise RuntimeError(f"{op} answered {st}: {got[:300]!r}")
        return json.loads(got) if got else {}

    def close(self):
        self.conn.close()


def write_script(path: Path, headers: dict[str, str], payload: bytes, op: str) -> None:
    lines = [f"-- Replays one signed {op} (written by bench/jsonbench.py).",
             'wrk.method = "POST"', 'wrk.path = "/"', f"wrk.body = {lua_string(payload.decode())}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# targets


def gureum_target(binary: Path) -> Target:
    return Target("gureum (data dir)", "/_gureum/health",
                  lambda port, wd: [str(binary), "serve", "--listen", f"127.0.0.1:{port}",
                                    "--data-dir", str(wd / "data"), "--log-level", "warn"])


def moto_target(binary: str) -> Target:
    return Target("moto_server", "/moto-api/", lambda port, wd: [binary, "-H", "127.0.0.1", "-p", str(port)])


FC_MEM, FC_PERSIST = "fakecloud in-memory", "fakecloud persistent"


def fakecloud_target(binary: str, persistent: bool) -> Target:
    """fakecloud in its default in-memory mode, or persisting to a data path in its work dir."""
    if persistent:
        return Target(FC_PERSIST, "/_fakecloud/health",
                      lambda port, wd: [binary, "--addr", f"127.0.0.1:{port}", "--log-level", "warn",
                                        "--storage-mode", "persistent", "--data-path", str(wd / "data")])
    return Target(FC_MEM, "/_fakecloud/health",
                  lambda port, wd: [binary, "--addr", f"127.0.0.1:{port}", "--log-level", "warn"])


def nginx_target(svc: Service) -> Target:
    """POST / answers, per X-Amz-Target, a fixed file (POST to a static file is a 405 in nginx;
    error_page turns it into an internal GET of the file, with status 200)."""

    def argv(port: int, wd: Path) -> list[str]:
        www = wd / "www"
        (wd / "nginx-tmp").mkdir(exist_ok=True)
        (www / "r").mkdir(parents=True, exist_ok=True)
        maps = []
        for op in svc.ops:
            body = svc.floor_bodies.get(op.name) or b'{"floor":"no body captured"}'
            (www / "r" / f"{op.name}.json").write_bytes(body)
            maps.append(f'        "{svc.target_prefix}.{op.name}" /r/{op.name}.json;')
        for p in [wd.parent, wd, www, www / "r", *(www / "r").iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        tmp = wd / "nginx-tmp"
        conf = wd / "nginx.conf"
        conf.write_text(f"""# Fixed-response nginx: the HTTP floor for the JSON-protocol benches.
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
    map $http_x_amz_target $answer {{
        default /r/none.json;
{chr(10).join(maps)}
    }}
    server {{
        listen 127.0.0.1:{port};
        root {www};
        open_file_cache max=16 inactive=60s;
        open_file_cache_valid 60s;
        default_type {svc.content_type};
        location = / {{
            if ($request_method = GET) {{ return 200 "ok"; }}
            error_page 405 =200 $answer;
            return 405;
        }}
        location /r/ {{ internal; }}
    }}
}}
""")
        return [NGINX, "-c", str(conf), "-p", str(wd), "-e", str(wd / "nginx-error.log")]

    return Target("nginx (floor)", "/", argv, real=False)


# ---------------------------------------------------------------------------------------------
# running


# What a failed check request can raise: an unexpected status or body, an answer that is not the
# JSON expected, or a broken connection.
OP_ERRORS = (RuntimeError, ValueError, KeyError, TypeError, AttributeError, OSError,
             http.client.HTTPException)


def only_2xx(r: dict) -> dict:
    """Counts 2xx answers only: rps becomes wrk's rate times the share of 2xx answers (wrk's own
    figure is kept as wrk_rps). Non-2xx answers are also in r["problems"] (see benchlib.run_wrk)."""
    r["wrk_rps"] = r["rps"]
    if r.get("non_2xx") and r.get("requests") and r["rps"] is not None:
        r["rps"] = r["rps"] * max(0, r["requests"] - r["non_2xx"]) / r["requests"]
    return r


def check_request(t: Target, svc: Service, op: Op, client: Client, state: dict, args) -> tuple[dict, bytes, bytes]:
    """Sends op's signed request once; returns (headers, payload, answer) if the answer is a 200
    and passes op.check (the floor: is the body gureum answered), else raises."""
    if not t.real and op.name not in svc.floor_bodies:
        raise RuntimeError("gureum gave no answer to replay")
    payload = json.dumps(op.body(state if t.real else args.floor_state)).encode()
    headers = client.headers(op.name, payload)
    st, got = client.raw(headers, payload)
    if st != 200:
        raise RuntimeError(f"signed {op.name} answered {st}: {got[:300]!r}")
    if t.real:
        problem = op.check(state, json.loads(got))
        if problem:
            raise RuntimeError(f"{op.name} answer: {problem}: {got[:300]!r}")
    elif got != svc.floor_bodies[op.name]:
        raise RuntimeError(f"floor answered the wrong body for {op.name}")
    return headers, payload, got


def bench_target(t: Target, svc: Service, args, root: Path) -> dict:
    """Starts t, sets it up, checks then replays each operation. A failure to start or to set up
    raises (the whole target failed); a failed operation is recorded in out["op_errors"] and the
    next operation runs."""
    wd = Path(tempfile.mkdtemp(prefix=re.sub(r"\W+", "-", t.name).strip("-") + "-", dir=root))
    out: dict = {"name": t.name, "op_errors": {}}
    print(f"\n== {t.name}", flush=True)
    port = free_port()
    s = Server(t.argv(port, wd), wd / "server.log")
    client = None
    try:
        out["ready_ms"] = wait_healthy(s, port, t.health)
        client = Client(svc, port)
        try:
            state = svc.setup(client) if t.real else {}
        except OP_ERRORS as e:
            raise RuntimeError(f"setup failed: {e}") from e
        for op in svc.ops:
            try:
                headers, payload, got = check_request(t, svc, op, client, state, args)
            except OP_ERRORS as e:
                out["op_errors"][op.name] = f"check request failed: {e}"
                print(f"  ! {op.name}: not benchmarked, the check request failed: {str(e)[:300]}", flush=True)
                client.close()  # http.client opens a fresh connection on the next request
                continue
            if t.name.startswith("gureum"):
                svc.floor_bodies[op.name] = got
                args.floor_state = state
            out.setdefault("answer_bytes", {})[op.name] = len(got)
            for label, threads, conns in LEVELS:
                script = wd / f"{op.name}-{label}.lua"
                write_script(script, headers, payload, op.name)
                try:
                    runs = [only_2xx(run_wrk(port, script, threads, conns, args.duration, s.pid))
                            for _ in range(1 if t.real else max(1, args.floor_runs))]
                except (RuntimeError, subprocess.SubprocessError) as e:
                    out["op_errors"][f"{op.name} {label}"] = f"wrk run failed: {e}"
                    print(f"  ! {op.name} {label}: wrk run failed: {str(e)[:300]}", flush=True)
                    continue
                r = max(runs, key=lambda x: x["rps"] or 0)
                if len(runs) > 1:
                    r["all_runs_rps"] = [x["rps"] for x in runs]
                out[f"{op.name}_{label}"] = r
                print(f"  {op.name} {label}: {fmt(r['rps'], ',.0f')} ops/s (2xx), p50 {fmt(r['p50_ms'], '.2f')} ms, "
                      f"p99 {fmt(r['p99_ms'], '.2f')} ms", flush=True)
        if t.real and getattr(svc, "after", None):
            if out["op_errors"]:
                out["after_check"] = "skipped (an operation failed)"
            else:
                try:
                    problem = svc.after(client, state)
                except OP_ERRORS as e:
                    problem = f"failed: {e}"
                out["after_check"] = problem or "ok"
                if problem:
                    out["op_errors"]["after the runs"] = problem
                    print(f"  ! after the runs: {problem}", flush=True)
    finally:
        if client:
            client.close()
        s.stop()
        out["sigterm_ignored"] = s.needed_sigkill
        if s.needed_sigkill:
            print(f"  ! {t.name} did not exit within 5 s of SIGTERM (stopped with SIGKILL)", flush=True)
        shutil.rmtree(wd, ignore_errors=True)
    return out


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]

    def line(cells):
        return "| " + " | ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                 for i, c in enumerate(cells)) + " |"

    return [line(head), "|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2))
                                       for i, w in enumerate(widths)) + "|"] + [line(r) for r in rows]


def rps(r: dict | None, k: str):
    return r[k]["rps"] if r and isinstance(r.get(k), dict) else None


def flagged(r: dict | None, k: str) -> str:
    """"!" when wrk saw errors in that run (non-2xx answers or socket errors), else ""."""
    return "!" if r and isinstance(r.get(k), dict) and r[k].get("problems") else ""


def ratio(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


PEERS_COMPARED = ("moto_server", FC_MEM, FC_PERSIST)


def make_ref(by: dict, quoted: dict, failed: dict) -> Callable:
    """ref(name, key, quoted_value) -> (figure, label) for the aims: the figure measured in this
    run ("measured"), else quoted_value ("QUOTED") when the QUOTED figures are in effect (fakecloud
    not run), else (None, why there is no figure) if the target ran or failed, else (None, None)."""

    def ref(name: str, key: str, quoted_value: float | None = None) -> tuple[float | None, str | None]:
        r = by.get(name)
        if r is not None:
            v = rps(r, key)
            if v:
                return v, "measured" + (", with wrk errors" if flagged(r, key) else "")
            op = key.rsplit("_", 1)[0]
            err = r.get("op_errors", {}).get(op) or r.get("op_errors", {}).get(key.replace("_", " "))
            return None, f"{name} not measured: {err[:200] if err else 'no 2xx answers'}"
        if name in failed:
            return None, f"{name} not measured: {failed[name][:200]}"
        if quoted and quoted_value is not None:
            return quoted_value, "QUOTED"
        return None, None

    return ref


def report(svc: Service, results: list[dict], quoted: dict, aims: Callable, failed: dict) -> list[str]:
    """quoted: the QUOTED figures to show ({} when fakecloud was run); failed: target -> error."""
    lines = []
    keys = [f"{op.name}_{lv}" for op in svc.ops for lv, _, _ in LEVELS]
    rows = []
    for r in results:
        for op in svc.ops:
            cells = [r["name"], op.name + (" (failed)" if op.name in r.get("op_errors", {}) else "")]
            for lv, _, _ in LEVELS:
                k = f"{op.name}_{lv}"
                x = r.get(k) or {}
                cells += [fmt(x.get("rps"), ",.0f") + flagged(r, k), fmt(x.get("p50_ms"), ".2f"),
                          fmt(x.get("p99_ms"), ".2f")]
            rows.append(cells)
    for name, q in quoted.items():
        for opname, v in q.items():
            rows.append([f"{name} (QUOTED, not measured)", opname,
                         fmt(v.get("c1"), ",.0f", True), "-", "-", fmt(v.get("c32"), ",.0f", True), "-", "-"])
    lines.append("ops/s (2xx answers only; ! = wrk saw errors in that run, listed below); p50 and p99 in ms")
    lines += table(["target", "op", "c1 ops/s", "p50", "p99", "c32 ops/s", "p50", "p99"], rows)
    op_failures = [f"  {r['name']} {what}: {why[:300]}" for r in results
                   for what, why in r.get("op_errors", {}).items()]
    op_failures += [f"  {name}: the whole target failed: {err[:300]}" for name, err in failed.items()]
    if op_failures:
        lines += ["", "failed (not benchmarked on that target):"] + op_failures
    by = {r["name"]: r for r in results}
    g, floor = by.get("gureum (data dir)"), by.get("nginx (floor)")
    lines.append("")
    if g:
        for peer in PEERS_COMPARED:
            if peer in by:
                p = by[peer]
                parts = [f"{k.replace('_', ' ')} x{ratio(rps(g, k) / rps(p, k))}{flagged(g, k) or flagged(p, k)}"
                         for k in keys if rps(g, k) and rps(p, k)]
                lines.append(f"gureum vs {peer}: " + (", ".join(parts) if parts else "nothing measured on both"))
    if g and floor:
        lines.append("gureum as % of the nginx floor: " + ", ".join(
            f"{k.replace('_', ' ')} {100 * rps(g, k) / rps(floor, k):.0f}%" for k in keys
            if rps(g, k) and rps(floor, k)))
    cpu = [r for r in results if any((r.get(f"{op.name}_c32") or {}).get("server_cpu_us_per_req") for op in svc.ops)]
    if cpu:
        lines.append("")
        lines.append("CPU per request at c32 (2 cores shared by server and wrk):")
        for r in cpu:
            lines.append(f"  {r['name']}: " + "; ".join(
                f"{op.name} server {r[f'{op.name}_c32']['server_cpu_us_per_req']:.1f} us "
                f"({r[f'{op.name}_c32']['server_cpu_cores']:.2f} cores), wrk "
                f"{r[f'{op.name}_c32']['wrk_cpu_us_per_req']:.1f} us"
                for op in svc.ops if (r.get(f"{op.name}_c32") or {}).get("server_cpu_us_per_req")))
    lines.append("")
    lines += aims(by, make_ref(by, quoted, failed))
    lines += wrk_problem_lines(results, keys, "wrk reported errors (ops/s above counts 2xx answers only; "
                                              "p50 and p99 include the failed requests):")
    print("\n" + "\n".join(lines))
    return lines


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(svc: Service, description: str, quoted: dict, aims: Callable) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--gureum", type=Path, default=REPO / "target" / "release" / "gureum")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--floor-runs", type=int, default=2, help="wrk runs per measure on nginx (best kept)")
    ap.add_argument("--only", default="",
                    help="comma list of: gureum,nginx,moto,fakecloud (nginx needs gureum; fakecloud runs "
                         "in-memory and persistent)")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    args = ap.parse_args()
    args.floor_state = {}
    for tool, pkg in ((WRK, "wrk"), (NGINX, "nginx-light")):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} not found: apt-get install {pkg}")
    if not args.gureum.is_file():
        sys.exit(f"{args.gureum} not found: run `cargo build --release -p gureum` first")
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    want = lambda k: not only or k in only  # noqa: E731

    targets, skipped = [], []
    if want("gureum") or want("nginx"):
        targets.append(gureum_target(args.gureum.resolve()))  # first: the floor replays its answers
    if want("nginx"):
        targets.append(nginx_target(svc))
    if want("moto"):
        moto = peer_bin("moto")
        if moto and not os.access(moto, os.X_OK):
            subprocess.run(["bash", str(PEERS), "install", "moto"], check=False, timeout=600)
        if moto and os.access(moto, os.X_OK):
            targets.append(moto_target(moto))
        else:
            skipped.append("moto_server: could not be installed (peers.sh install moto)")
    shown_quoted = quoted  # the QUOTED figures stand in for fakecloud only when it is not run
    if want("fakecloud"):
        fc = peer_bin("fakecloud")
        if fc and os.access(fc, os.X_OK):
            targets += [fakecloud_target(fc, False), fakecloud_target(fc, True)]
            shown_quoted = {}
        else:
            skipped.append("fakecloud: not installed (peers.sh install fakecloud); its figures from the "
                           "issue are shown as QUOTED")
    else:
        skipped.append("fakecloud: not in --only; its figures from the issue are shown as QUOTED")
    for s in skipped:
        print(s, flush=True)
    info = machine_info()
    print(f"machine: {info.get('cpus')} CPUs ({info.get('cpu', '?')}), load average "
          f"{' '.join(info.get('loadavg', []))}, {info['date']}", flush=True)
    print(f"wrk: {args.duration} s per run, c1 = -t1 -c1, c32 = -t2 -c32; gureum with a data dir (durable)", flush=True)

    root = Path(tempfile.mkdtemp(prefix=f"gureum-{svc.signing_name}-bench-"))
    results, failures = [], []
    try:
        for t in targets:
            if not t.real and not svc.floor_bodies:
                print("\n== nginx (floor): skipped, gureum gave no answers to replay", flush=True)
                continue
            try:
                results.append(bench_target(t, svc, args, root))
            except (RuntimeError, subprocess.SubprocessError, OSError, http.client.HTTPException,
                    ValueError, KeyError) as e:
                print(f"  ! {t.name} failed: {e}", flush=True)
                failures.append({"name": t.name, "error": str(e)})
    finally:
        stop_all()
        shutil.rmtree(root, ignore_errors=True)
    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    failed = {f["name"]: f["error"] for f in failures}
    lines = report(svc, results, shown_quoted, aims, failed) if results else []
    failures += [{"name": f"{r['name']} {what}", "error": why} for r in results
                 for what, why in r.get("op_errors", {}).items()]
    if failures:
        print("\nfailed: " + "; ".join(f"{f['name']}: {f['error'][:200]}" for f in failures))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "settings": {"duration_s": args.duration},
                                         "results": results, "failures": failures, "skipped": skipped,
                                         "quoted": shown_quoted, "report": lines}, indent=2) + "\n")
        print(f"\nraw numbers: {args.json}")
    return 1 if failures else 0

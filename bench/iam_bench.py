"""IAM benchmark: the cost of a policy decision, and the rate of authorized requests vs moto_server.

Measures, on this machine and over loopback only:
  * decision cost: ns per decision of gureum's policy evaluator for a user with 10 attached
    policies of 10 statements each (crates/gureum-iam-policy/examples/decision_cost.rs), for an
    allow decided by the very last statement and for an implicit deny;
  * authorized request rate: the same user built through the IAM API on gureum and on moto_server
    (10 customer managed policies x 10 statements, attached, plus an access key), then
    `iam:GetUser` signed by that user replayed by wrk at concurrency 1 and 32: req/s, mean, p99;
  * authorization overhead: the same request signed by root on gureum (root skips identity
    policy evaluation), alternated with the user's runs, so user vs root at c1 is what
    authorization adds to a request's latency.
Then prints a table, the ratios, and the issue's aims as met / NOT met.

Run it with a Python that has boto3 (tests/.venv has it):

    cargo build --release -p gureum
    tests/.venv/bin/python bench/iam_bench.py [--json results.json]

It runs `cargo run --release -q -p gureum-iam-policy --example decision_cost` itself. Needs wrk
(/usr/bin/wrk); moto is installed through ../shared/tools/peers.sh if missing.
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
import urllib.error
import urllib.request

from benchlib import (  # noqa: E402  (shared with platform_bench.py)
    PEERS,
    REPO,
    UNIT_MS,
    WRK,
    Server,
    fmt,
    lua_string,
    machine_info,
    machine_ticks,
    pin_threads,
    parse_wrk,
    peer_bin,
    run_wrk,
    stop_all,
    wait_healthy,
    free_port,
)

try:
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover - depends on the interpreter used
    sys.exit("boto3 is needed: run with tests/.venv/bin/python (see bench/README.md)")

REGION = "us-east-1"
ROOT_KEY = ("test", "test")  # gureum's loopback root credentials; moto accepts anything before enforcing
USER = "iam-bench-user"  # 10 managed policies x 10 statements
USER1 = "iam-bench-user1"  # 1 managed policy x 1 statement (gureum only: splits the overhead)
QUERY_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
# The benchmarked request: needs iam:GetUser on the user's ARN, answers one small <User>.
WORK_BODY = f"Action=GetUser&UserName={USER}&Version=2010-05-08"
WORK_EXPECT = f"<UserName>{USER}</UserName>"
# A request none of the user's policies allows: must be refused, proving evaluation happens.
DENIED_BODY = "Action=ListUsers&Version=2010-05-08"

POLICIES = 10
STATEMENTS = 10

AIM_DECISION_NS = 5000.0
AIM_OVERHEAD_PCT = 5.0

DECISION_CMD = ["cargo", "run", "--release", "-q", "-p", "gureum-iam-policy", "--example", "decision_cost"]


# ---------------------------------------------------------------------------------------------
# the user's policies: 10 x 10 statements, modelled on decision_cost.rs


def statement(account: str, p: int, s: int) -> dict:
    """Statement s of policy p: services, resources and conditions vary; s == 7 is a Deny.

    None of them allows iam:GetUser on the benchmarked user (the iam ones name other users), and
    none allows iam:ListUsers, so the last policy's last statement alone decides the workload.
    """
    services = ["ec2", "dynamodb", "sqs", "s3", "kms", "lambda", "iam", "logs", "sns", "s3"]
    service = services[(p + s) % len(services)]
    if service == "s3":
        actions, resource = ["s3:Put*", f"s3:GetBucket{s}"], f"arn:aws:s3:::bucket-{p}-{s}/*"
    elif service == "ec2":
        actions = ["ec2:Describe*", "ec2:StartInstances", "ec2:StopInstances"]
        resource = f"arn:aws:ec2:*:{account}:instance/i-{p}{s}"
    elif service == "dynamodb":
        actions = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"]
        resource = f"arn:aws:dynamodb:us-east-1:{account}:table/t{p}{s}"
    elif service == "iam":
        # Matches the workload's action (iam:GetUser), not its resource: evaluated, not applicable.
        actions, resource = ["iam:Get*", "iam:List*"], f"arn:aws:iam::{account}:user/u{p}{s}"
    else:
        actions = [f"{service}:*"]
        resource = [f"arn:aws:{service}:us-east-1:{account}:thing-{p}-{s}",
                    f"arn:aws:{service}:us-west-2:{account}:*"]
    st = {"Sid": f"P{p}S{s}", "Effect": "Deny" if s == 7 else "Allow", "Action": actions, "Resource": resource}
    if s % 4 == 1:
        st["Condition"] = {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}
    elif s % 4 == 2:
        st["Condition"] = {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}
    elif s % 4 == 3:
        st["Condition"] = {"Bool": {"aws:SecureTransport": "true"},
                           "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
    return st


# The statement that allows the workload, with conditions that hold for it. Resource "*": moto
# authorizes IAM actions against the resource "*" only (see README), so nothing narrower works there.
ALLOW_WORKLOAD = {
    "Sid": "ReadUsers",
    "Effect": "Allow",
    "Action": ["iam:GetUser", "iam:ListUserTags"],
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"},
                  "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
}


def policy_documents(account: str) -> list[str]:
    """The benchmarked user's 10 policies; the last statement of the last one allows the workload."""
    docs = []
    for p in range(POLICIES):
        statements = [statement(account, p, s) for s in range(STATEMENTS)]
        if p == POLICIES - 1:
            statements[-1] = ALLOW_WORKLOAD
        docs.append(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return docs


def small_policy_documents() -> list[str]:
    """USER1's one policy of one statement: the same request, with almost nothing to evaluate."""
    return [json.dumps({"Version": "2012-10-17", "Statement": [ALLOW_WORKLOAD]})]


def root_clients(port: int):
    kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION, aws_access_key_id=ROOT_KEY[0],
              aws_secret_access_key=ROOT_KEY[1], config=Config(retries={"max_attempts": 1}))
    return boto3.client("iam", **kw), boto3.client("sts", **kw)


def make_user(iam, name: str, docs: list[str]) -> dict:
    """As root: the user, its managed policies (created and attached) and an access key."""
    iam.create_user(UserName=name)
    for i, doc in enumerate(docs):
        arn = iam.create_policy(PolicyName=f"{name}-{i}", PolicyDocument=doc)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    if len(attached) != len(docs):
        raise RuntimeError(f"{name}: {len(attached)} policies attached, expected {len(docs)}")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"key": (key["AccessKeyId"], key["SecretAccessKey"]), "policy_chars": [len(d) for d in docs],
            "calls": 1 + 2 * len(docs) + 1 + 1}


# ---------------------------------------------------------------------------------------------
# signed requests


def signed(port: int, body: str, key: tuple[str, str]) -> dict[str, str]:
    """SigV4-signed headers of an IAM query POST to 127.0.0.1:port."""
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body,
                     headers={"Content-Type": QUERY_CONTENT_TYPE})
    SigV4Auth(Credentials(*key), "iam", REGION).add_auth(req)
    headers = dict(req.headers.items())
    headers["Host"] = f"127.0.0.1:{port}"  # what was signed, and what wrk sends
    return headers


def send(port: int, body: str, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body.encode(), method="POST")
    for k, v in headers.items():
        if k.lower() != "host":
            req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def verify_allowed(port: int, headers: dict[str, str], who: str) -> int:
    status, text = send(port, WORK_BODY, headers)
    if status != 200 or WORK_EXPECT not in text:
        raise RuntimeError(f"GetUser signed by {who} answered {status}: {text[:500]}")
    return len(text)


def verify_denied(port: int, key: tuple[str, str]) -> str:
    """The user's ListUsers must be refused with a 403 AccessDenied."""
    status, text = send(port, DENIED_BODY, signed(port, DENIED_BODY, key))
    if status != 403 or "AccessDenied" not in text:
        raise RuntimeError(f"ListUsers signed by the user answered {status}, expected 403 AccessDenied: "
                           f"{text[:500]}")
    m = re.search(r"<Message>(.*?)</Message>", text, re.S)
    return m.group(1).strip() if m else text[:200]


def write_wrk_script(path: Path, body: str, headers: dict[str, str], who: str) -> None:
    lines = [f"-- Replays one signed iam:GetUser request by {who} (written by bench/iam_bench.py).",
             'wrk.method = "POST"', f"wrk.body = {lua_string(body)}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}")
    path.write_text("\n".join(lines) + "\n")


def parse_wrk_mean(out: str) -> dict:
    """parse_wrk plus the mean latency from wrk's thread stats."""
    res = parse_wrk(out)
    m = re.search(r"^\s*Latency\s+([\d.]+)(us|ms|s|m)\s", out, re.M)
    res["wrk_mean_ms"] = float(m.group(1)) * UNIT_MS[m.group(2)] if m else None
    return res


LOADS = {"c1": (1, 1), "c32": (2, 32)}  # label: (wrk threads, connections)
ALL_CPUS = os.sched_getaffinity(0)
# c1 runs put the server on one CPU and wrk on another. Unpinned, Linux sometimes runs both on
# the same core, where a c1 round trip takes ~25 us instead of ~65 us: c1 figures then jump
# between two modes from one run to the next, and a 5 % difference is lost in that.
SERVER_CPU, WRK_CPU = (sorted(ALL_CPUS)[:2] if len(ALL_CPUS) >= 2 else (None, None))
BUSY_OTHERS_CORES = 0.25  # other processes using more than this during a run: flagged


def load(port: int, server: Server, key: tuple[str, str], who: str, label: str, args, wd: Path) -> dict:
    """Verify, then one wrk run of the workload signed by `key`."""
    headers = signed(port, WORK_BODY, key)
    verify_allowed(port, headers, who)
    script = wd / f"{who}-{label}.lua"
    write_wrk_script(script, WORK_BODY, headers, who)
    threads, conns = LOADS[label]
    pinned = label == "c1" and args.pin and SERVER_CPU is not None
    pin_threads(server.pid, {SERVER_CPU} if pinned else ALL_CPUS)
    busy0, total0 = machine_ticks()
    r = run_wrk(port, script, threads, conns, args.duration, server.pid, parse=parse_wrk_mean,
                wrk_cpus={WRK_CPU} if pinned else None)
    busy1, total1 = machine_ticks()
    # What else ran meanwhile: all CPUs' busy time minus the server's and wrk's.
    busy_cores = (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)
    r["pinned"] = pinned
    r["machine_busy_cores"] = busy_cores
    r["other_cores"] = max(0.0, busy_cores - r["server_cpu_cores"] - r["wrk_cpu_cores"])
    others = f", others {r['other_cores']:.2f} cores" if r["other_cores"] >= 0.1 else ""
    print(f"  {who} {label}: {r['rps']:,.0f} req/s, p50 {fmt(r['p50_ms'], '.3f')} ms, "
          f"p99 {fmt(r['p99_ms'], '.2f')} ms, server CPU {fmt(r.get('server_cpu_us_per_req'), '.1f')} us/req"
          + others, flush=True)
    return r


# ---------------------------------------------------------------------------------------------
# decision cost


def decision_cost(runs: int) -> dict:
    print(f"\n== decision cost: {' '.join(DECISION_CMD)} (x{runs})", flush=True)
    allow, deny, header = [], [], ""
    for _ in range(runs):
        p = subprocess.run(DECISION_CMD, cwd=REPO, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            raise RuntimeError(f"decision_cost failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-2000:]}")
        a = re.search(r"^allow.*?:\s*([\d.]+) ns/decision", p.stdout, re.M)
        d = re.search(r"^implicit deny:\s*([\d.]+) ns/decision", p.stdout, re.M)
        if not (a and d):
            raise RuntimeError(f"decision_cost printed no ns/decision figures:\n{p.stdout}")
        allow.append(float(a.group(1)))
        deny.append(float(d.group(1)))
        header = p.stdout.splitlines()[0] if p.stdout else ""
        print(f"  allow {allow[-1]:.0f} ns, implicit deny {deny[-1]:.0f} ns", flush=True)
    return {"what": header, "allow_ns_runs": allow, "deny_ns_runs": deny,
            "allow_ns": statistics.median(allow), "deny_ns": statistics.median(deny)}


# ---------------------------------------------------------------------------------------------
# targets


def bench_gureum(binary: Path, args, root: Path) -> dict:
    print("\n== gureum (serve --ephemeral --log-level warn)", flush=True)
    wd = Path(tempfile.mkdtemp(prefix="gureum-", dir=root))
    port = free_port()
    s = Server([str(binary), "serve", "--ephemeral", "--listen", f"127.0.0.1:{port}", "--log-level", "warn"],
               wd / "server.log")
    out: dict = {"name": "gureum"}
    try:
        wait_healthy(s, port, "/_gureum/health")
        iam, sts = root_clients(port)
        out["account"] = account = sts.get_caller_identity()["Account"]
        user = make_user(iam, USER, policy_documents(account))
        user1 = make_user(iam, USER1, small_policy_documents())
        out["policy_chars"] = user["policy_chars"]
        out["denied_message"] = verify_denied(port, user["key"])
        verify_denied(port, user1["key"])
        print(f"  {USER}: {POLICIES} managed policies x {STATEMENTS} statements attached "
              f"({sum(user['policy_chars']):,} chars of JSON); {USER1}: 1 policy x 1 statement; "
              f"ListUsers by either: 403 \"{out['denied_message'][:80]}...\"", flush=True)
        # The principals alternate, in a rotated order each round, so drift in the machine's load
        # falls on all alike; each round's user/root pair gives one overhead figure.
        keys = {"root": ROOT_KEY, "user": user["key"], "user1": user1["key"]}
        whos = list(keys)
        for label in LOADS:
            out[label] = {who: [] for who in whos}
            for i in range(args.rounds):
                for who in whos[i % 3:] + whos[:i % 3]:
                    out[label][who].append(load(port, s, keys[who], who, label, args, wd))
        verify_denied(port, user["key"])  # still denied after the load
    finally:
        s.stop()
        out["sigterm_ignored"] = int(s.needed_sigkill)
        shutil.rmtree(wd, ignore_errors=True)
    return out


def bench_moto(binary: str, args, root: Path) -> dict:
    print("\n== moto_server (IAM enforced after setup: POST /moto-api/reset-auth 0)", flush=True)
    wd = Path(tempfile.mkdtemp(prefix="moto-", dir=root))
    port = free_port()
    env = dict(os.environ)
    # moto authorizes nothing until INITIAL_NO_AUTH_ACTION_COUNT actions have run (default: never).
    # Setup runs unauthenticated (root-equivalent); then /moto-api/reset-auth sets the count to 0
    # and resets the counter, so every later request is authenticated and authorized.
    env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
    s = Server([binary, "-H", "127.0.0.1", "-p", str(port)], wd / "server.log", env=env)
    out: dict = {"name": "moto_server"}
    try:
        wait_healthy(s, port, "/moto-api/")
        iam, sts = root_clients(port)
        out["account"] = account = sts.get_caller_identity()["Account"]
        user = make_user(iam, USER, policy_documents(account))
        out["setup_calls"] = 1 + user["calls"]
        # Before enforcing: the same request, not checked at all (moto's default mode).
        for label in LOADS:
            out[label] = {"user-noauth": [load(port, s, user["key"], "user-noauth", label, args, wd)]}
        # (a body type Flask leaves alone: a form-encoded body would be parsed away and read as "")
        req = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            out["reset_auth"] = json.loads(resp.read())
        out["denied_message"] = verify_denied(port, user["key"])
        # Root credentials mean nothing to moto once it enforces: only IAM users' keys are known.
        status, text = send(port, WORK_BODY, signed(port, WORK_BODY, ROOT_KEY))
        out["root_key_after_enforcing"] = status
        print(f"  enforcing now: ListUsers by the user: 403 \"{out['denied_message'][:80]}\"; "
              f"GetUser signed with test/test: {status}", flush=True)
        for label in LOADS:
            out[label]["user"] = [load(port, s, user["key"], "user", label, args, wd)]
        verify_denied(port, user["key"])
    finally:
        s.stop()
        out["sigterm_ignored"] = int(s.needed_sigkill)
        shutil.rmtree(wd, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------
# report


def summary(runs: list[dict]) -> dict:
    """Median over rounds of req/s, p50, server CPU per request; the worst p99."""
    def med(k):  # the median: one round disturbed by another process must not move it
        xs = [r[k] for r in runs if r.get(k) is not None]
        return statistics.median(xs) if xs else None

    p99 = [r["p99_ms"] for r in runs if r.get("p99_ms") is not None]
    rps = med("rps")
    # At c1 one request follows the other on one connection, so 1/(req/s) is the mean time a
    # request takes as the client sees it. (wrk's own mean is corrected for coordinated omission:
    # every slow answer adds synthetic samples, so a single hiccup moves it; 1/(req/s) is exact.)
    return {"rps": rps, "us_per_req": 1e6 / rps if rps else None, "p50_ms": med("p50_ms"),
            "wrk_mean_ms": med("wrk_mean_ms"), "p99_ms": max(p99) if p99 else None,
            "cpu_us": med("server_cpu_us_per_req"), "rounds": len(runs)}


def pct(a: float, b: float) -> float:
    return 100.0 * (a - b) / b


ROWS = [  # (result name, who, row label)
    ("gureum", "user", f"gureum, {USER} (10x10 policies)"),
    ("gureum", "user1", f"gureum, {USER1} (1x1 policy)"),
    ("gureum", "root", "gureum, root (no policy evaluation)"),
    ("moto_server", "user", f"moto_server, {USER} (IAM enforced)"),
    ("moto_server", "user-noauth", "moto_server, IAM not enforced"),
]


def print_report(dec: dict | None, g: dict | None, m: dict | None) -> list[str]:
    lines: list[str] = []
    results = {r["name"]: r for r in (g, m) if r}
    table, sums = [], {}
    for name, who, label in ROWS:
        r = results.get(name)
        if not r or who not in r.get("c1", {}) or who not in r.get("c32", {}):
            continue
        c1, c32 = summary(r["c1"][who]), summary(r["c32"][who])
        sums[(name, who)] = (c1, c32)
        table.append([label, fmt(c1["rps"], ",.0f"), fmt(c1["us_per_req"], ".1f"), fmt(c1["p50_ms"], ".3f"),
                      fmt(c1["p99_ms"], ".2f"),
                      fmt(c32["rps"], ",.0f"), fmt(c32["p99_ms"], ".2f"), fmt(c32["cpu_us"], ".1f")])
    if table:
        head = ["iam:GetUser signed by", "c1 req/s", "c1 us/req", "c1 p50 ms", "c1 p99 ms", "c32 req/s", "c32 p99 ms",
                "c32 server CPU us/req"]
        widths = [max(len(head[i]), *(len(t[i]) for t in table)) for i in range(len(head))]

        def line(cells):
            return "| " + " | ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                     for i, c in enumerate(cells)) + " |"

        lines.append(line(head))
        lines.append("|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|")
        lines += [line(t) for t in table]
        if g and "c1" in g:
            lines.append(f"(gureum rows: median of {len(g['c1']['user'])} rotating rounds, p99 the worst round; "
                         "moto rows: one run each; c1 "
                         + ("pinned: server on CPU %s, wrk on CPU %s)" % (SERVER_CPU, WRK_CPU)
                            if g['c1']['user'][0].get('pinned') else "not pinned)"))
        lines.append("")

    gu, g1, gr = sums.get(("gureum", "user")), sums.get(("gureum", "user1")), sums.get(("gureum", "root"))
    mu, mn = sums.get(("moto_server", "user")), sums.get(("moto_server", "user-noauth"))
    if gu and mu:
        lines.append(f"gureum vs moto_server ({USER}, authorized): c1 req/s x{gu[0]['rps'] / mu[0]['rps']:.1f}, "
                     f"c32 req/s x{gu[1]['rps'] / mu[1]['rps']:.1f}, "
                     f"c1 latency {mu[0]['us_per_req'] / gu[0]['us_per_req']:.1f}x lower")
    overhead = None
    if gu and gr:
        overhead = pct(gu[0]["us_per_req"], gr[0]["us_per_req"])
        pairs = [pct(r["rps"], u["rps"]) for u, r in zip(g["c1"]["user"], g["c1"]["root"])]
        lines.append(f"gureum authorization overhead at c1 ({USER} vs root, mean latency = 1/req/s): {overhead:+.1f}% "
                     f"({gu[0]['us_per_req']:.1f} vs {gr[0]['us_per_req']:.1f} us; per round "
                     + ", ".join(f"{x:+.1f}%" for x in pairs) + f"; p50 {pct(gu[0]['p50_ms'], gr[0]['p50_ms']):+.1f}%)")
        lines.append(f"  req/s {USER} vs root: c1 {pct(gu[0]['rps'], gr[0]['rps']):+.1f}%, "
                     f"c32 {pct(gu[1]['rps'], gr[1]['rps']):+.1f}%")
        if gu[1]["cpu_us"] and gr[1]["cpu_us"]:
            split = ""
            if g1 and g1[1]["cpu_us"]:
                split = (f": {g1[1]['cpu_us'] - gr[1]['cpu_us']:+.1f} us for a user at all ({USER1} vs root), "
                         f"{gu[1]['cpu_us'] - g1[1]['cpu_us']:+.1f} us for 99 more statements ({USER} vs {USER1})")
            lines.append(f"  server CPU per request at c32: {USER} {gu[1]['cpu_us']:.1f} us, root {gr[1]['cpu_us']:.1f} us "
                         f"({gu[1]['cpu_us'] - gr[1]['cpu_us']:+.1f} us, {pct(gu[1]['cpu_us'], gr[1]['cpu_us']):+.1f}%)"
                         + split)
    if mu and mn:
        lines.append(f"moto_server authorization overhead at c1 (enforced vs not): "
                     f"{pct(mu[0]['us_per_req'], mn[0]['us_per_req']):+.1f}% mean latency, "
                     f"server CPU {mn[1]['cpu_us']:.0f} -> {mu[1]['cpu_us']:.0f} us/req at c32")
    if dec:
        lines.append(f"decision cost ({dec['what'] or '10 x 10 statements'}; median of {len(dec['allow_ns_runs'])} runs): "
                     f"allow {dec['allow_ns']:.0f} ns, implicit deny {dec['deny_ns']:.0f} ns")
    lines.append("")

    def met(ok):
        return "met" if ok else "NOT met"

    if dec:
        worst = max(dec["allow_ns"], dec["deny_ns"])
        lines.append(f"aim: decision < {AIM_DECISION_NS / 1000:.0f} us: {worst / 1000:.2f} us (worst of allow/deny) "
                     f"({met(worst < AIM_DECISION_NS)})")
    if overhead is not None:
        lines.append(f"aim: authorization adds < {AIM_OVERHEAD_PCT:.0f}% to a request's latency: {overhead:+.1f}% "
                     f"at c1 ({met(overhead < AIM_OVERHEAD_PCT)})")
    busy = [(r["name"], who, label, x["other_cores"]) for r in (g, m) if r for label in LOADS
            for who, runs in r.get(label, {}).items() for x in runs if x.get("other_cores", 0) > BUSY_OTHERS_CORES]
    if busy:
        lines.append(f"note: other processes used > {BUSY_OTHERS_CORES} cores during {len(busy)} runs (up to "
                     f"{max(b[3] for b in busy):.2f} cores): "
                     + ", ".join(f"{n.split('_')[0]} {w} {lb}" for n, w, lb, _ in busy)
                     + "; the machine was busy, those figures are low (re-run when it is quiet)")
    for r in (g, m):
        if r and r.get("sigterm_ignored"):
            lines.append(f"note: {r['name']} ignored SIGTERM (stopped with SIGKILL)")
    bad = []
    for r in (g, m):
        for label in LOADS:
            for who, runs in (r or {}).get(label, {}).items():
                for x in runs:
                    if x.get("problems"):
                        bad.append(f"{r['name']} {who} {label}: {'; '.join(x['problems'])}")
    if bad:
        lines.append("")
        lines.append("wrk reported errors (those figures include failed requests):")
        lines += ["  " + b for b in bad]
    print("\n" + "\n".join(lines))
    return lines


# ---------------------------------------------------------------------------------------------
# main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gureum", type=Path, default=REPO / "target" / "release" / "gureum",
                    help="the gureum binary (default: target/release/gureum; cargo build --release -p gureum first)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternating user/root rounds on gureum, per concurrency (moto: one run)")
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="do not pin the server and wrk to different CPUs for the c1 runs")
    ap.add_argument("--decision-runs", type=int, default=3, help="runs of the decision_cost example (median)")
    ap.add_argument("--only", default="", help="comma list of: decision,gureum,moto")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    args = ap.parse_args()

    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def want(key):
        return not only or key in only

    if not os.access(WRK, os.X_OK):
        sys.exit(f"{WRK} not found: apt-get install wrk")
    if want("gureum") and not args.gureum.is_file():
        sys.exit(f"{args.gureum} not found: run `cargo build --release -p gureum` first (or pass --gureum PATH)")

    skipped = []
    moto = None
    if want("moto"):
        moto = peer_bin("moto")
        if moto and not os.access(moto, os.X_OK):
            print("moto_server missing: installing it with peers.sh install moto ...", flush=True)
            subprocess.run(["bash", str(PEERS), "install", "moto"], check=False, timeout=600)
        if not (moto and os.access(moto, os.X_OK)):
            skipped.append("moto_server: could not be installed (peers.sh install moto)")
            moto = None
    for s in skipped:
        print(s, flush=True)

    info = machine_info()
    print(f"machine: {info.get('cpus')} CPUs ({info.get('cpu', '?')}), load average {' '.join(info.get('loadavg', []))}"
          f", {info['date']}", flush=True)
    print(f"workload: iam:GetUser UserName={USER}, signed by the user ({POLICIES} managed policies x {STATEMENTS} "
          f"statements); wrk {args.duration} s per run, c1 = -t1 -c1, c32 = -t2 -c32", flush=True)

    root = Path(tempfile.mkdtemp(prefix="gureum-iam-bench-"))
    dec = g = m = None
    failures = []
    try:
        steps = []
        if want("decision"):
            steps.append(("decision cost", lambda: decision_cost(args.decision_runs)))
        if want("gureum"):
            steps.append(("gureum", lambda: bench_gureum(args.gureum.resolve(), args, root)))
        if moto:
            steps.append(("moto_server", lambda: bench_moto(moto, args, root)))
        for name, step in steps:
            try:
                res = step()
            except Exception as e:  # noqa: BLE001 - report and go on with the next target
                print(f"  ! {name} failed: {e}", flush=True)
                failures.append({"name": name, "error": str(e)})
                continue
            if name == "decision cost":
                dec = res
            elif name == "gureum":
                g = res
            else:
                m = res
    finally:
        stop_all()
        shutil.rmtree(root, ignore_errors=True)

    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    lines = print_report(dec, g, m)
    if failures:
        print("\nfailed: " + ", ".join(f["name"] for f in failures))
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info,
            "settings": {"duration_s": args.duration, "rounds": args.rounds, "decision_runs": args.decision_runs,
                         "c1_pinned": {"server_cpu": SERVER_CPU, "wrk_cpu": WRK_CPU} if args.pin else None,
                         "workload": WORK_BODY, "denied_probe": DENIED_BODY,
                         "policies": {USER: policy_documents("ACCOUNT"), USER1: small_policy_documents()}},
            "decision_cost": dec,
            "gureum": g,
            "moto_server": m,
            "failures": failures,
            "skipped": skipped,
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

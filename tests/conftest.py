"""Starts the real gureum binary for the integration tests and hands out clients for it.

The binary is target/debug/gureum unless GUREUM_BIN names another. Each test session gets one
server on a free loopback port with a fresh data directory; tests that need their own server
(restarts, kill -9, other flags) start one with `start_gureum`.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("GUREUM_BIN", os.path.join(ROOT, "target", "debug", "gureum"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gureum:
    """One running gureum process."""

    def __init__(self, args=(), env=None, data_dir=None, port=None):
        self.port = port or free_port()
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="gureum-test-")
        self.args = list(args)
        self.env = env
        self.log = tempfile.NamedTemporaryFile(prefix="gureum-log-", suffix=".txt", delete=False)
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait=True):
        env = dict(os.environ)
        env.pop("GUREUM_CONFIG", None)
        env.update(self.env or {})
        cmd = [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir, *self.args]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=self.data_dir)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gureum exited with {self.proc.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_gureum/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("gureum did not become healthy: " + self.output())

    def output(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self.kill()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        os.unlink(self.log.name)

    def client(self, service, key="test", secret="test", token=None, region="us-east-1", **config):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=botocore.config.Config(retries={"max_attempts": 1}, **config),
        )

    def admin(self, path, body=None, method=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method or ("POST" if data else "GET"))
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def cli(self, *args, key="test", secret="test", check=True, env_extra=None):
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=key,
            AWS_SECRET_ACCESS_KEY=secret,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        env.update(env_extra or {})
        out = subprocess.run(["aws", *args], capture_output=True, text=True, env=env, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {out.stderr}")
        return out


@pytest.fixture(scope="session")
def gureum():
    server = Gureum().start()
    yield server
    server.stop()


@pytest.fixture
def start_gureum():
    started = []

    def start(*args, **kwargs):
        server = Gureum(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

"""Small helpers the test modules share: AWS error codes of a raised ClientError, polling for
what the server's background tick does, and searching the data directory's bytes."""

import os
import time

import botocore.exceptions


def error_of(excinfo):
    """(code, HTTP status) of the ClientError a `pytest.raises` block caught."""
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def eventually(check, timeout=15):
    """Polls until `check` holds: work the server's tick does (right after the clock moves, then
    every 5 s; one tick does bounded work) shows up a little later."""
    deadline = time.time() + timeout
    while True:
        try:
            check()
            return
        except (AssertionError, KeyError, botocore.exceptions.ClientError):
            if time.time() > deadline:
                raise
            time.sleep(0.25)


def files_containing(data_dir, needle):
    """The files under `data_dir` whose bytes contain `needle`."""
    hits = []
    for root, _, files in os.walk(data_dir):
        for f in files:
            path = os.path.join(root, f)
            try:
                with open(path, "rb") as fh:
                    if needle in fh.read():
                        hits.append(path)
            except OSError:
                pass
    return hits

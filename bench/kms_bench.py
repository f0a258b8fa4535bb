"""KMS benchmark: gureum's Encrypt, Decrypt and GenerateDataKey vs moto_server and the nginx floor.

One symmetric key (CreateKey, SYMMETRIC_DEFAULT), then wrk replays one SigV4-signed request per
operation at c1 (-t1 -c1) and c32 (-t2 -c32), 5 s each:
  * Encrypt of a 256-byte plaintext (the answer's CiphertextBlob must decrypt back to it);
  * Decrypt of one ciphertext made by Encrypt (the answer must be the plaintext);
  * GenerateDataKey, KeySpec AES_256 (a 32-byte Plaintext and a CiphertextBlob that decrypts to it).
Each request is first sent once and its 200 and body checked. The floor (nginx) answers the same
requests with the bodies gureum answered. fakecloud's figures from issue 6 are shown QUOTED.

    cargo build --release -p gureum
    tests/.venv/bin/python bench/kms_bench.py [--json results.json]
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jsonbench import LEVELS, Op, Service, main, met, rps  # noqa: E402

PLAINTEXT = bytes(range(256))  # 256 bytes
B64 = base64.b64encode(PLAINTEXT).decode()

_client = {}


def setup(c) -> dict:
    key = c.call("CreateKey", {"Description": "kms bench", "KeySpec": "SYMMETRIC_DEFAULT",
                               "KeyUsage": "ENCRYPT_DECRYPT"})["KeyMetadata"]["KeyId"]
    blob = c.call("Encrypt", {"KeyId": key, "Plaintext": B64})["CiphertextBlob"]
    _client["c"] = c
    return {"key": key, "blob": blob}


def decrypts_to(state, blob: str, expected: str) -> bool:
    got = _client["c"].call("Decrypt", {"CiphertextBlob": blob})
    return got.get("Plaintext") == expected


def check_encrypt(state, ans):
    blob = ans.get("CiphertextBlob")
    if not blob:
        return "no CiphertextBlob"
    return None if decrypts_to(state, blob, B64) else "the ciphertext does not decrypt to the plaintext"


def check_decrypt(state, ans):
    return None if ans.get("Plaintext") == B64 else "not the plaintext"


def check_gdk(state, ans):
    pt = ans.get("Plaintext")
    if not pt or len(base64.b64decode(pt)) != 32:
        return "no 32-byte Plaintext"
    return None if decrypts_to(state, ans.get("CiphertextBlob", ""), pt) else "the CiphertextBlob does not decrypt to the key"


OPS = [
    Op("Encrypt", "write", lambda s: {"KeyId": s["key"], "Plaintext": B64}, check_encrypt),
    Op("Decrypt", "read", lambda s: {"CiphertextBlob": s["blob"]}, check_decrypt),
    Op("GenerateDataKey", "write", lambda s: {"KeyId": s["key"], "KeySpec": "AES_256"}, check_gdk),
]

QUOTED = {"fakecloud": {"Encrypt": {"c1": 10_000.0, "c32": 44_000.0}}}


def aims(by: dict) -> list[str]:
    g, floor = by.get("gureum (data dir)"), by.get("nginx (floor)")
    out = []
    if not g:
        return out
    for op in ("Encrypt", "Decrypt", "GenerateDataKey"):
        k = f"{op}_c32"
        if rps(g, k) and rps(floor, k):
            pct = 100 * rps(g, k) / rps(floor, k)
            out.append(f"aim: {op} c32 >= 70% of the nginx floor: {pct:.0f}% ({met(pct >= 70)})")
    for lv, _, _ in LEVELS:
        v = rps(g, f"Encrypt_{lv}")
        ref = QUOTED["fakecloud"]["Encrypt"][lv]
        if v:
            out.append(f"for reference: Encrypt {lv} vs fakecloud (QUOTED {ref:,.0f}): {v:,.0f} (x{v / ref:.2f})")
    return out


SVC = Service("kms", "TrentService", "application/x-amz-json-1.1", OPS, setup)
SVC.after = None

if __name__ == "__main__":
    sys.exit(main(SVC, __doc__.splitlines()[0], QUOTED, aims))

"""KMS benchmark: gureum's Encrypt, Decrypt and GenerateDataKey vs moto_server, fakecloud and the nginx floor.

One symmetric key (CreateKey, SYMMETRIC_DEFAULT), then wrk replays one SigV4-signed request per
operation at c1 (-t1 -c1) and c32 (-t2 -c32), 5 s each:
  * Encrypt of a 256-byte plaintext (the answer's CiphertextBlob must decrypt back to it);
  * Decrypt of one ciphertext made by Encrypt (the answer must be the plaintext);
  * GenerateDataKey, KeySpec AES_256 (a 32-byte Plaintext and a CiphertextBlob that decrypts to it).
Each request is first sent once and its 200 and body checked (an operation that fails its check
is reported as failed on that target and not benchmarked). The floor (nginx) answers the same
requests with the bodies gureum answered. fakecloud (../shared/tools/peers.sh) runs twice if it is
installed: in memory (its default) and with --storage-mode persistent; Encrypt is compared, for
reference, with its measured rates, or with its figures from issue 6 (labelled QUOTED) when it is
not run.

    cargo build --release -p gureum
    tests/.venv/bin/python bench/kms_bench.py [--json results.json]
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jsonbench import FC_MEM, FC_PERSIST, LEVELS, Op, Service, main, met, rps  # noqa: E402

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

# Issue 6's figures for fakecloud (which mode is not recorded here); shown, and used below, only when
# fakecloud is not run.
QUOTED = {"fakecloud": {"Encrypt": {"c1": 10_000.0, "c32": 44_000.0}}}


def aims(by: dict, ref) -> list[str]:
    """ref(name, key, quoted) -> (figure, label): fakecloud's measured rate, else the QUOTED one."""
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
        if not v:
            continue
        for name, quoted in ((FC_MEM, QUOTED["fakecloud"]["Encrypt"][lv]), (FC_PERSIST, None)):
            fc, label = ref(name, f"Encrypt_{lv}", quoted)
            shown = "fakecloud" if label == "QUOTED" else name  # the quoted figure's mode is not known
            if fc:
                out.append(f"for reference: Encrypt {lv} vs {shown} ({label} {fc:,.0f}): {v:,.0f} (x{v / fc:.2f})")
            elif label:
                out.append(f"for reference: Encrypt {lv} vs {shown}: {label}")
    return out


SVC = Service("kms", "TrentService", "application/x-amz-json-1.1", OPS, setup)
SVC.after = None

if __name__ == "__main__":
    sys.exit(main(SVC, __doc__.splitlines()[0], QUOTED, aims))

# Shared by bench/*_callgrind.sh (sourced, not run): starts gureum under callgrind with
# instrumentation off, and counts the instructions of one workload with it on.
#
#   cg_start [store flags...]   # default --ephemeral; sets OUT, PORT, VG, PY
#   cg_measure MODE N           # calls the script's `run setup 0`, `run MODE 3` (warm-up), then
#                               # `run MODE N` with instrumentation on; prints total Ir
# The script defines `run` (its boto3 workload); BIN and PYTHON may be set by the caller.

cg_start() {
  HERE=$(cd "$(dirname "$0")" && pwd)
  BIN=${BIN:-$HERE/../target/release/gureum}
  PY=${PYTHON:-$HERE/../tests/.venv/bin/python}
  OUT=$(mktemp -d)
  PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  local store=("$@")
  [ ${#store[@]} -gt 0 ] || store=(--ephemeral)
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.out" \
    "$BIN" serve "${store[@]}" --workers 1 --listen 127.0.0.1:$PORT --log-level warn >"$OUT/vg.log" 2>&1 &
  VG=$!
  for _ in $(seq 1 200); do curl -s -o /dev/null http://127.0.0.1:$PORT/_gureum/health && break; sleep 0.5; done
}

cg_measure() {
  run setup 0
  run "$1" 3
  callgrind_control -i on $VG >/dev/null 2>&1
  run "$1" "$2"
  callgrind_control -i off $VG >/dev/null 2>&1
  kill -TERM $VG; wait $VG || true
  callgrind_annotate "$OUT/cg.out" 2>/dev/null | grep -m1 "PROGRAM TOTALS" || true
  echo "profile: $OUT/cg.out (callgrind_annotate --inclusive=yes $OUT/cg.out)"
}

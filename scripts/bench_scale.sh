#!/usr/bin/env bash
# Time and peak memory of the release binary on hostile shapes at growing sizes (issue 12):
# vhosts on one wildcard port (lint and `stacklint graph`), include chains that double at every
# level, a glob directory including itself five times per file, and N timeout-order findings.
# The trees come from benches/gen_hostile.py. Each figure is the median wall time of RUNS runs
# and the peak RSS of the slowest (GNU time's "Maximum resident set size").
#
#   bash scripts/bench_scale.sh                  build --release, then measure every shape
#   BIN=/path/to/stacklint bash scripts/bench_scale.sh vhosts   another binary, one shape
#
# Environment: RUNS (default 3), LIMIT (seconds before a run is killed, default 120),
# VHOSTS, CHAIN, GLOB, FINDINGS (space-separated sizes).
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
LIMIT="${LIMIT:-120}"
VHOSTS="${VHOSTS:-1000 2000 4000 8000 16000}"
CHAIN="${CHAIN:-10 15 20 25 30}"
GLOB="${GLOB:-10 20 30}"
FINDINGS="${FINDINGS:-25000 50000 100000}"
TARGET="${CARGO_TARGET_DIR:-target}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q || exit 1
  BIN="$TARGET/release/stacklint"
fi
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time; Debian package 'time')" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# measure NAME SIZE -- COMMAND...: prints one table row.
measure() {
  local name="$1" size="$2"; shift 3
  local times=() rss=0 bytes=0 code=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$WORK/time" timeout "$LIMIT" "$@" >"$WORK/out" 2>/dev/null
    code=$?
    local wall mem
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time")
    mem=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
    times+=("$wall"); [ "$mem" -gt "$rss" ] && rss=$mem
    bytes=$(stat -c %s "$WORK/out")
    [ "$code" -eq 124 ] && break   # killed: one run is enough
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local note=""
  [ "$code" -eq 124 ] && note=" (killed after ${LIMIT} s)"
  printf '| %s | %s | %.2f s%s | %d MB | %s | %d |\n' "$name" "$size" "$med" "$note" "$((rss / 1024))" "$code" "$bytes"
}

shapes=("${@:-vhosts graph chain glob findings}")
# shellcheck disable=SC2206
shapes=(${shapes[*]})
echo "binary: $BIN"
echo
echo "| shape | size | wall (median of $RUNS) | peak RSS | exit | output bytes |"
echo "|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
  case "$shape" in
    vhosts|graph)
      for n in $VHOSTS; do
        d="$WORK/vhosts-$n"; [ -d "$d" ] || python3 benches/gen_hostile.py vhosts "$n" "$d"
        if [ "$shape" = vhosts ]; then
          measure "lint --format json: vhosts on *:80" "$n" -- "$BIN" --format json "$d"
        else
          measure "graph: vhosts on *:80" "$n" -- "$BIN" graph "$d"
        fi
      done ;;
    chain)
      for n in $CHAIN; do
        d="$WORK/chain-$n"; [ -d "$d" ] || python3 benches/gen_hostile.py include-chain "$n" "$d"
        measure "include chain, each file twice" "$n files" -- "$BIN" --format json "$d"
      done ;;
    glob)
      for n in $GLOB; do
        d="$WORK/glob-$n"; [ -d "$d" ] || python3 benches/gen_hostile.py include-glob "$n" "$d"
        measure "include c/*.conf x5 per file" "$n files" -- "$BIN" --format json "$d"
      done ;;
    findings)
      for n in $FINDINGS; do
        d="$WORK/findings-$n"; [ -d "$d" ] || python3 benches/gen_hostile.py findings "$n" "$d"
        measure "findings (SL101, SL401, SL301), --format json" "$n" -- "$BIN" --format json "$d"
      done ;;
    *) echo "unknown shape $shape (vhosts graph chain glob findings)" >&2; exit 2 ;;
  esac
done

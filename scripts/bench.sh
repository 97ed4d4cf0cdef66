#!/usr/bin/env bash
# Times the whole CLI (`stacklint DIR`) on the generated stack (benches/gen_stack.py: 1,000
# servers, 10,000 locations, 1,404 files, 2.1 MB) side by side with `crossplane parse`,
# `gixy` (gixy-ng) and `nginx -t` on the same tree. Uses hyperfine when installed, else a loop.
#
#   bash scripts/bench.sh [TREE_DIR]      (default: target/bench-tree, generated if absent)
#
# Then, when valgrind is installed, counts the instructions of one whole lint with callgrind
# (repeatable whatever else the machine is doing, unlike wall time) and prints the time spent in
# each phase (STACKLINT_TIMINGS=1, best of 10 runs).
#
# Installs hyperfine (Debian), crossplane 0.5.8 and gixy-ng (PyPI) if missing; a tool that is
# still missing is left out of the table.
set -uo pipefail
cd "$(dirname "$0")/.."
TREE="${1:-${CARGO_TARGET_DIR:-target}/bench-tree}"
[ -f "$TREE/etc/nginx/nginx.conf" ] || python3 benches/gen_stack.py "$TREE" >/dev/null
TREE="$(cd "$TREE" && pwd)"
CONF="$TREE/etc/nginx/nginx.conf"

command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || true; }
python3 -c 'import crossplane' 2>/dev/null || python3 -m pip install -q crossplane==0.5.8 >/dev/null 2>&1 || true
command -v gixy >/dev/null || python3 -m pip install -q gixy-ng >/dev/null 2>&1 || true
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

cargo build --release --locked -q
BIN="${CARGO_TARGET_DIR:-target}/release/stacklint"
PREFIX="$(mktemp -d)"; mkdir -p "$PREFIX/logs"
bytes=$(find "$TREE/etc/nginx" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "tree: $TREE ($(find "$TREE" -type f | wc -l) files; nginx: $bytes bytes)"

cmds=("$BIN --format json $TREE")
names=("stacklint (whole lint)")
python3 -c 'import crossplane' 2>/dev/null && { cmds+=("crossplane parse $CONF"); names+=("crossplane parse"); }
command -v gixy >/dev/null && { cmds+=("gixy $CONF"); names+=("gixy-ng"); }
[ -x "$NGINX" ] && { cmds+=("$NGINX -t -q -p $PREFIX -e stderr -c $CONF"); names+=("nginx -t"); }

if command -v hyperfine >/dev/null; then
  args=()
  for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  hyperfine -N -i --warmup 1 --min-runs 5 --export-markdown "${CARGO_TARGET_DIR:-target}/bench.md" "${args[@]}"
  cat "${CARGO_TARGET_DIR:-target}/bench.md"
else
  for i in "${!cmds[@]}"; do
    start=$(date +%s.%N)
    for _ in 1 2 3 4 5; do ${cmds[$i]} >/dev/null 2>&1; done
    end=$(date +%s.%N)
    echo "${names[$i]}: $(echo "($end - $start) / 5" | bc -l | cut -c1-6) s"
  done
fi
rm -rf "$PREFIX"

echo
echo "phases of one whole lint (best of 10 runs, ms):"
for _ in 1 2 3 4 5 6 7 8 9 10; do STACKLINT_TIMINGS=1 "$BIN" --format json "$TREE" 2>&1 >/dev/null; done \
  | sed 's/stacklint: timing: //; s/ ms$//' \
  | awk '{v=$NF; $NF=""; sub(/ +$/, ""); if (!($0 in m) || v < m[$0]) m[$0]=v; if (!($0 in o)) { o[$0]=n++ } }
         END { for (k in o) order[o[k]]=k; for (i=0; i<n; i++) printf "  %-14s %7.2f\n", order[i], m[order[i]] }'

if command -v valgrind >/dev/null; then
  out="$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" --format json "$TREE" 2>&1 >/dev/null | grep 'refs:')"
  echo "instructions, whole lint (callgrind): ${out##* }"
fi

#!/bin/bash
# Alternating A/B of two (or more) checkouts of tutti serving digits, through `tutti bench --endpoint`:
# each round starts the server of every checkout in turn (same endpoint), measures 1, 64 and 256 in
# flight closed-loop plus the open-loop step at half its peak, and stops it. The checkouts are git
# worktrees with their own `pnpm install` (the server bundles its sources when it starts).
#
#   bench/ab-servers.sh ROUNDS OUTDIR CHECKOUT_A CHECKOUT_B [...]
#
# A system may also be LABEL=CHECKOUT:NODE_ARGS, to compare Node flags for the children on one
# checkout (passed as TUTTI_CHILD_NODE_ARGS), e.g. gc64=.:--max-semi-space-size=64
#   npx tsx bench/ab-summary.ts OUTDIR
set -euo pipefail
rounds=$1; out=$2; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  for system in "$@"; do
    name=$(basename "$system"); d=$system; args=""
    if [[ $system == *=* ]]; then name=${system%%=*}; d=${system#*=}; args=${d#*:}; d=${d%%:*}; [[ $args == "$d" ]] && args=""; fi
    log="$out/$name-r$r.serve.log"
    (cd "$d" && TUTTI_CHILD_NODE_ARGS="$args" node_modules/.bin/tutti serve ensembles/digits > "$log" 2>&1 &)
    for _ in $(seq 1 80); do grep -q "ready in" "$log" && break; sleep 0.5; done
    sup=$(pgrep -f "tutti.js serve ensembles/digits" | head -1)
    (cd "$here" && node_modules/.bin/tutti bench ensembles/digits --endpoint tcp://127.0.0.1:5555 --metrics http://127.0.0.1:9464 \
      --no-baselines -c 1,64,256 -s 4 -o "$out/$name-r$r" > "$out/$name-r$r.log" 2>&1)
    kill -INT "$sup"
    for _ in $(seq 1 40); do pgrep -f "tutti.js serve" > /dev/null || break; sleep 0.5; done
    echo "$name round $r done"
  done
done

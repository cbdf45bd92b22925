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
# The system `floor` is the floor pipeline (bench/floor-server.ts, direct replies) on the same endpoint.
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
    if [[ $system == floor ]]; then
      (cd "$here" && node_modules/.bin/tsx bench/floor-server.ts --endpoint tcp://127.0.0.1:5555 --direct tcp://127.0.0.1:5556 --pids-file "$out/floor.pids" > "$log" 2>&1 &)
    else
      (cd "$d" && TUTTI_CHILD_NODE_ARGS="$args" node_modules/.bin/tutti serve ensembles/digits > "$log" 2>&1 &)
    fi
    for _ in $(seq 1 80); do grep -q "ready in" "$log" && break; sleep 0.5; done
    if [[ $system == floor ]]; then
      sup=$(pgrep -f "floor-server.ts" | head -1)
      pids=$(cat "$out/floor.pids"); metrics=()
    else
      metrics=(--metrics http://127.0.0.1:9464)
      sup=$(pgrep -f "tutti.js serve ensembles/digits" | head -1)
      # The children's pids, from the serve log's process list: CPU per request of each.
      pids=$(grep -o ' pid [0-9]*' "$log" | awk '{print $2}' | paste -sd, -)
    fi
    (cd "$here" && node_modules/.bin/tutti bench ensembles/digits --endpoint tcp://127.0.0.1:5555 "${metrics[@]}" \
      --pids "$pids" --no-baselines -c 1,64,256 -s 4 -o "$out/$name-r$r" > "$out/$name-r$r.log" 2>&1)
    kill -INT "$sup"
    for _ in $(seq 1 40); do pgrep -f "tutti.js serve|floor-main" > /dev/null || break; sleep 0.5; done
    echo "$name round $r done"
  done
done

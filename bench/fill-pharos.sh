#!/usr/bin/env bash
# Pharos's memory per cached object alone: the fill stage of
# bench/compare.sh (same defaults, same PSS and gctrace readings) without
# the other servers or the hit rounds, for before/after comparisons.
#
#   FILL_N=100000 bench/fill-pharos.sh
#
# Settings: FILL_N (100000), FILL_SIZE (100), FILL_CONC (32), FILL_WARM
# (5000), CACHE_MEM (2 KiB per object or 512 MiB, whichever is more, as
# compare.sh), BASE_PORT (18500: ports BASE_PORT..BASE_PORT+4 on 127.0.0.1),
# PHAROS_ENV (extra environment for pharos, e.g. "GOGC=50").
# Prints the fill and read-back results, then PSS growth and Go live heap
# growth (GODEBUG=gctrace=1, after the last GC) per object.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

FILL_N=${FILL_N:-100000}
FILL_SIZE=${FILL_SIZE:-100}
FILL_CONC=${FILL_CONC:-32}
FILL_WARM=${FILL_WARM:-5000}
BASE_PORT=${BASE_PORT:-18500}
mb=$(((FILL_N + FILL_WARM) * 2 / 1024))
[ "$mb" -ge 512 ] || mb=512
CACHE_MEM=${CACHE_MEM:-${mb}MiB}

T=$(mktemp -d /tmp/fillpharos.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

go build -o "$T/pharos" ./cmd/pharos
go build -o "$T/origin" ./cmd/pharos-origin
go build -o "$T/fill" ./bench/fill

origin=127.0.0.1:$BASE_PORT
port=$((BASE_PORT + 1))
"$T/origin" --listen "$origin" >"$T/origin.log" 2>&1 &
pids+=($!)
# shellcheck disable=SC2086
env GODEBUG=gctrace=1 ${PHAROS_ENV:-} "$T/pharos" up --origin "http://$origin" --http "127.0.0.1:$port" \
	--api "127.0.0.1:$((port + 1))" --dns "127.0.0.1:$((port + 2))" --https "127.0.0.1:$((port + 3))" \
	--data "$T/data" --cache-mem "$CACHE_MEM" --log-level warn >"$T/edge.log" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 1 300); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/up?size=1" 2>/dev/null && break
	sleep 0.1
done

pss() { awk '/^Pss:/ { print $2 * 1024; exit }' "/proc/$1/smaps_rollup"; }
heap() { grep -o '[0-9]*->[0-9]*->[0-9]* MB' "$T/edge.log" | tail -1 | sed 's/.*->\([0-9]*\) MB/\1/'; }
query="size=$FILL_SIZE&cc=max-age%3D86400"

"$T/fill" -base "http://127.0.0.1:$port/fillwarm/" -query "$query" -n "$FILL_WARM" -c "$FILL_CONC" -timeout 5m >/dev/null
sleep 3
before=$(pss "$pid") h0=$(heap)
fill=$("$T/fill" -base "http://127.0.0.1:$port/fill/" -query "$query" -n "$FILL_N" -c "$FILL_CONC" -timeout 15m)
sleep 5
after=$(pss "$pid") h1=$(heap)
verify=$("$T/fill" -base "http://127.0.0.1:$port/fill/" -query "$query" -n "$FILL_N" -c "$FILL_CONC" -verify "$FILL_N" -timeout 15m)
done_n=$(sed -n 's/.*"done":\([0-9]*\).*/\1/p' <<<"$fill")
echo "$(date -u +%F) commit $(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- internal cmd)" ] || echo '+uncommitted'): fill $fill; read back $verify"
echo "PSS $((before / 1048576)) -> $((after / 1048576)) MiB: $(((after - before) / done_n)) B per object; Go live heap ${h0:-?} -> ${h1:-?} MB: $(((${h1:-0} - ${h0:-0}) * 1048576 / done_n)) B per object (--cache-mem $CACHE_MEM${PHAROS_ENV:+, $PHAROS_ENV})"

#!/usr/bin/env bash
# Cache-hit throughput and latency of a Pharos edge for a 1 KiB and a 1 MiB
# object from memory, and a 1 MiB object from the disk tier (sendfile),
# measured with wrk on loopback. Everything binds to 127.0.0.1 and stops on
# its own.
#
#   bench/hit.sh                 # defaults: wrk -t1 -c64 -d10s
#   DURATION=30s CONNS=128 bench/hit.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
ORIGIN_ADDR=${ORIGIN_ADDR:-127.0.0.1:18300}
EDGE_ADDR=${EDGE_ADDR:-127.0.0.1:18380}
API_ADDR=${API_ADDR:-127.0.0.1:18390}
DISK_EDGE_ADDR=${DISK_EDGE_ADDR:-127.0.0.1:18381}
DISK_API_ADDR=${DISK_API_ADDR:-127.0.0.1:18391}

if ! command -v wrk >/dev/null; then
	echo "installing wrk" >&2
	if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
fi

mkdir -p bin bench/out
go build -o bin/pharos ./cmd/pharos
go build -o bin/pharos-origin ./cmd/pharos-origin
data=$(mktemp -d)
cleanup() {
	kill "${edge_pid:-}" "${disk_pid:-}" "${origin_pid:-}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$data"
}
trap cleanup EXIT

bin/pharos-origin --listen "$ORIGIN_ADDR" >/dev/null &
origin_pid=$!
bin/pharos up --origin "http://$ORIGIN_ADDR" --http "$EDGE_ADDR" --api "$API_ADDR" \
	--dns 127.0.0.1:0 --https 127.0.0.1:0 --data "$data" --cache-mem 512MiB --log-level warn >"$data/up.log" 2>&1 &
edge_pid=$!
# The disk edge's memory tier keeps nothing over 512 KiB (--cache-mem/8):
# its 1 MiB hits come from the disk tier.
bin/pharos up --origin "http://$ORIGIN_ADDR" --http "$DISK_EDGE_ADDR" --api "$DISK_API_ADDR" \
	--dns 127.0.0.1:0 --https 127.0.0.1:0 --data "$data/disk" --cache-mem 4MiB --cache-disk 2GiB --log-level warn >"$data/up-disk.log" 2>&1 &
disk_pid=$!
for log in "$data/up.log" "$data/up-disk.log"; do
	for _ in $(seq 1 100); do
		grep -q "Pharos is up" "$log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "Pharos is up" "$log" || { cat "$log"; exit 1; }
done

run() { # name path [edge]
	local name=$1 url="http://${3:-$EDGE_ADDR}$2"
	curl -fsS -o /dev/null "$url"
	curl -fsS -o /dev/null -D - "$url" | grep -qi '^x-cache: Hit' || { echo "$name: not a hit" >&2; exit 1; }
	echo "== $name: wrk -t$THREADS -c$CONNS -d$DURATION --latency $url"
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" | tee "bench/out/$name.txt"
}

echo "pharos $(git rev-parse --short HEAD 2>/dev/null || echo dev), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
run hit-1k "/bench/1k?size=1024&cc=max-age%3D3600"
run hit-1m "/bench/1m?size=1048576&cc=max-age%3D3600"
run hit-1m-disk "/bench/1m?size=1048576&cc=max-age%3D3600" "$DISK_EDGE_ADDR"

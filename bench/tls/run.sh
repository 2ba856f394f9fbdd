#!/usr/bin/env bash
# HTTPS side by side: Pharos and nginx serving 1 KiB cache hits over TLS 1.3
# with the same ECDSA P-256 certificate chain, measured with h2load
# (nghttp2-client) in interleaved rounds; medians are reported.
#
#   bench/tls/run.sh                    # ROUNDS=3, DURATION=10s
#   ROUNDS=1 DURATION=5s bench/tls/run.sh
#
# Measurements, each against both servers in every round (order alternating):
#   h1:        HTTPS/1.1 keep-alive hits: h2load --h1 -c CONNS -D DURATION
#   h2:        HTTP/2 hits: h2load -c CONNS -m STREAMS -D DURATION
#   handshake: full TLS 1.3 handshakes per second: h2load --h1 -c HS_N -n HS_N
#              (HS_N clients, one request each, so one handshake per request)
# The server runs pinned to CPU 0 (nginx with one worker; Pharos's GOMAXPROCS
# follows the mask), h2load to the other cores (PIN=0: unpinned).
# With PROFILE=1 a 10 s CPU profile of Pharos under the h1 and h2 loads is
# written next to the report (go tool pprof -top FILE).
#
# Before each run it waits (at most QUIET_MAX s) until the machine is less
# than QUIET_PCT % busy, and the report gives the load seen at each start.
# Settings: ROUNDS (3), DURATION (10s), WARMUP (2s), CONNS (64), STREAMS (10),
# HS_N (2000), PIN (1), QUIET_PCT (15), QUIET_MAX (60),
# BASE_PORT (18600: ports BASE_PORT..+9 on 127.0.0.1).
# Installs nginx and nghttp2-client from Debian when missing (root).
# Output: bench/out/tls-<UTC time>.md and the raw h2load outputs beside it.
set -Eeuo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-64}
STREAMS=${STREAMS:-10}
HS_N=${HS_N:-2000}
PIN=${PIN:-1}
PROFILE=${PROFILE:-0}
BASE_PORT=${BASE_PORT:-18600}
QUIET_PCT=${QUIET_PCT:-15}
QUIET_MAX=${QUIET_MAX:-60}
NAME=bench.tls.test
URLPATH="/tls-1k?cc=max-age=86400&size=1024"

log() { printf '[tls-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

install_packages() {
	local missing=()
	command -v nginx >/dev/null || missing+=(nginx)
	command -v h2load >/dev/null || missing+=(nghttp2-client)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root to install them"
	log "installing ${missing[*]}"
	local policy_made=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then # keep postinst from starting nginx
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_made=1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	[ $policy_made = 1 ] && rm -f /usr/sbin/policy-rc.d
	return 0
}

NCPU=$(nproc)
SERVER_CPUS=0
LOAD_CPUS=1-$((NCPU - 1))
[ "$NCPU" -ge 2 ] || PIN=0
pin() { # pin SIDE: the taskset prefix for the server or the load
	[ "$PIN" = 1 ] || return 0
	if [ "$1" = server ]; then echo "taskset -c $SERVER_CPUS"; else echo "taskset -c $LOAD_CPUS"; fi
}

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=bench/out/tls-$STAMP
mkdir -p "$OUT"
T=$(mktemp -d /tmp/pharos-tls-bench.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$T/nginx/nginx.pid" ] && kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null || true
	sleep 0.5
	rm -rf "$T"
}
trap cleanup EXIT

install_packages
log "building pharos and pharos-origin"
go build -o "$T/pharos" ./cmd/pharos
go build -o "$T/pharos-origin" ./cmd/pharos-origin

# One certificate for both: an ECDSA P-256 leaf for $NAME under a CA of its
# own, served as the chain leaf + CA by both servers.
log "making the certificate"
(
	cd "$T"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
	openssl req -x509 -new -key ca.key -subj "/CN=tls bench CA" -days 30 -out ca.pem \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null
	openssl req -new -key leaf.key -subj "/CN=$NAME" -out leaf.csr 2>/dev/null
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$NAME" >leaf.ext
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.pem 2>/dev/null
	cat leaf.pem ca.pem >chain.pem
	chmod 644 leaf.key # nginx's workers (www-data) read it in this temp dir
)

ORIGIN_PORT=$BASE_PORT
P_HTTP=$((BASE_PORT + 1)) P_HTTPS=$((BASE_PORT + 2)) P_API=$((BASE_PORT + 3)) P_DNS=$((BASE_PORT + 4))
N_HTTPS=$((BASE_PORT + 5)) PPROF=$((BASE_PORT + 6))

"$T/pharos-origin" --listen "127.0.0.1:$ORIGIN_PORT" >"$T/origin.log" 2>&1 &
PIDS+=($!)

log "starting pharos (https 127.0.0.1:$P_HTTPS)"
# shellcheck disable=SC2046
$(pin server) "$T/pharos" up --data "$T/pharos-data" --http "127.0.0.1:$P_HTTP" --https "127.0.0.1:$P_HTTPS" \
	--api "127.0.0.1:$P_API" --dns "127.0.0.1:$P_DNS" --pprof "127.0.0.1:$PPROF" >"$OUT/pharos.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "^Pharos is up" "$OUT/pharos.log" && break; sleep 0.2; done
grep -q "^Pharos is up" "$OUT/pharos.log" || die "pharos did not start: $(tail -5 "$OUT/pharos.log")"
SECRET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secretAccessKey"])' "$T/pharos-data/credentials.json")
api() { curl -sS -f -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/json' "$@"; }
api -X POST "http://127.0.0.1:$P_API/v1/distributions" -o /dev/null -d @- <<JSON
{"comment": "tls bench", "enabled": true, "aliases": ["$NAME"],
 "origins": [{"id": "o", "domainName": "127.0.0.1", "httpPort": $ORIGIN_PORT}],
 "defaultBehavior": {"targetOriginId": "o",
   "cachePolicy": {"minTTL": 0, "defaultTTL": 86400, "maxTTL": 86400, "queryStrings": {"behavior": "all"}}},
 "viewerCertificate": {"minimumProtocolVersion": "TLSv1.3_2025"}}
JSON
"$T/pharos" cert import --cert "$T/chain.pem" --key "$T/leaf.key" --api-url "http://127.0.0.1:$P_API" \
	--credentials "$T/pharos-data/credentials.json" >/dev/null

log "starting nginx (https 127.0.0.1:$N_HTTPS)"
mkdir -p "$T/nginx" "/dev/shm/pharos-tls-bench-$STAMP"
chown www-data "/dev/shm/pharos-tls-bench-$STAMP" 2>/dev/null || true
sed -e "s#@DIR@#$T/nginx#g" -e "s#@WORKERS@#1#" -e "s#@MEM_CACHE@#/dev/shm/pharos-tls-bench-$STAMP#" \
	-e "s#@ORIGIN@#127.0.0.1:$ORIGIN_PORT#" -e "s#@PORT@#$N_HTTPS#" -e "s#@CHAIN@#$T/chain.pem#" \
	-e "s#@KEY@#$T/leaf.key#" bench/tls/nginx.conf >"$T/nginx/nginx.conf"
[ "$(id -u)" = 0 ] || sed -i 's/^user www-data;//' "$T/nginx/nginx.conf"
# shellcheck disable=SC2046
$(pin server) nginx -c "$T/nginx/nginx.conf" -p "$T/nginx/" -e "$T/nginx/error.log" -g 'daemon off;' >"$T/nginx/nginx.log" 2>&1 &
PIDS+=($!)
trap 'cleanup; rm -rf /dev/shm/pharos-tls-bench-$STAMP' EXIT

# Both must present the same leaf for $NAME, over TLS 1.3, and cache the URL.
check() { # check PORT
	local subj
	subj=$(openssl s_client -connect "127.0.0.1:$1" -servername "$NAME" -tls1_3 </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null) || return 1
	[ "$subj" = "$(openssl x509 -in "$T/leaf.pem" -noout -fingerprint -sha256)" ] || return 1
	curl -sS -o /dev/null --cacert "$T/ca.pem" --resolve "$NAME:$1:127.0.0.1" "https://$NAME:$1$URLPATH"
	curl -sS -o /dev/null --cacert "$T/ca.pem" --resolve "$NAME:$1:127.0.0.1" "https://$NAME:$1$URLPATH"
	curl -sS -D - -o /dev/null --cacert "$T/ca.pem" --resolve "$NAME:$1:127.0.0.1" "https://$NAME:$1$URLPATH" |
		grep -qiE '^(x-cache: hit|x-cache-status: hit)'
}
for port in $P_HTTPS $N_HTTPS; do
	ok=0
	for _ in $(seq 50); do if check "$port"; then ok=1; break; fi; sleep 0.2; done
	[ $ok = 1 ] || die "127.0.0.1:$port does not present the bench certificate or does not hit"
done
if openssl s_client -connect "127.0.0.1:$P_HTTPS" -servername "$NAME" -tls1_2 </dev/null >/dev/null 2>&1 ||
	openssl s_client -connect "127.0.0.1:$N_HTTPS" -servername "$NAME" -tls1_2 </dev/null >/dev/null 2>&1; then
	die "a server accepted TLS 1.2: both must be TLS 1.3 only"
fi

# busy_pct: % of the machine busy over the next second (/proc/stat).
busy_pct() {
	local a b
	a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
	local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
	for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
	echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
# quiet: wait until the machine is quiet (bounded); prints the % busy seen.
quiet() {
	local t0=$SECONDS pct
	while :; do
		pct=$(busy_pct)
		[ "$pct" -lt "$QUIET_PCT" ] || [ $((SECONDS - t0)) -ge "$QUIET_MAX" ] && break
	done
	echo "$pct"
}
BUSY=()

# run KIND SERVER PORT ROUND: one h2load run, its output kept; prints req/s.
run() {
	local kind=$1 server=$2 port=$3 round=$4 args=()
	case $kind in
	h1) args=(--h1 -c "$CONNS" -t 1 -D "$DURATION" --warm-up-time "$WARMUP") ;;
	h2) args=(-c "$CONNS" -m "$STREAMS" -t 1 -D "$DURATION" --warm-up-time "$WARMUP") ;;
	handshake) args=(--h1 -c "$HS_N" -n "$HS_N" -t 1) ;;
	esac
	local f="$OUT/$kind-$server-$round.txt"
	# shellcheck disable=SC2046
	$(pin load) h2load "${args[@]}" --connect-to "127.0.0.1:$port" "https://$NAME:$port$URLPATH" >"$f" 2>&1 || true
	local failed
	failed=$(awk '/^requests:/ {for (i=1;i<=NF;i++) if ($(i+1)=="failed,") print $i}' "$f")
	[ "${failed:-1}" = 0 ] || log "warning: $kind $server round $round: ${failed:-?} failed requests (see $f)"
	awk '/^finished in/ {gsub(",", "", $4); print $4}' "$f"
}

declare -A R
for round in $(seq "$ROUNDS"); do
	order="pharos nginx"
	[ $((round % 2)) = 0 ] && order="nginx pharos"
	for kind in h1 h2 handshake; do
		for server in $order; do
			port=$P_HTTPS
			[ "$server" = nginx ] && port=$N_HTTPS
			b=$(quiet)
			BUSY+=("$b")
			v=$(run "$kind" "$server" "$port" "$round")
			R[$kind,$server,$round]=$v
			log "round $round $kind $server: $v req/s (machine $b % busy before)"
		done
	done
done

if [ "$PROFILE" = 1 ]; then
	for kind in h1 h2; do
		log "profiling pharos under $kind"
		curl -sS -o "$OUT/pharos-$kind.prof" "http://127.0.0.1:$PPROF/debug/pprof/profile?seconds=10" &
		cp=$!
		sleep 0.5
		DURATION=9s run "$kind" pharos "$P_HTTPS" profile >/dev/null
		wait $cp
	done
fi

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
{
	echo "# TLS: Pharos and nginx, $(date -u '+%Y-%m-%d %H:%M') UTC"
	echo
	echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $NCPU cores, server pinned: $PIN (CPU $SERVER_CPUS; h2load on $LOAD_CPUS);"
	echo "ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS STREAMS=$STREAMS HS_N=$HS_N; TLS 1.3 only, ECDSA P-256 leaf + CA chain on both."
	echo "Machine busy before each run (%, others' load; QUIET_PCT=$QUIET_PCT): ${BUSY[*]}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "| measurement | Pharos | nginx | Pharos/nginx | rounds (Pharos; nginx) |"
	echo "| --- | --- | --- | --- | --- |"
	for kind in h1 h2 handshake; do
		p=() n=()
		for round in $(seq "$ROUNDS"); do p+=("${R[$kind,pharos,$round]:-0}"); n+=("${R[$kind,nginx,$round]:-0}"); done
		mp=$(median "${p[@]}") mn=$(median "${n[@]}")
		label=$kind
		case $kind in
		h1) label="1 KiB hits, HTTPS/1.1, req/s" ;;
		h2) label="1 KiB hits, HTTP/2 ($STREAMS streams/conn), req/s" ;;
		handshake) label="full TLS 1.3 handshakes ($HS_N clients × 1 request), conn/s" ;;
		esac
		printf '| %s | %.0f | %.0f | %.2f | %s; %s |\n' "$label" "$mp" "$mn" "$(echo "$mp $mn" | awk '{print ($2>0) ? $1/$2 : 0}')" "${p[*]}" "${n[*]}"
	done
} | tee "$OUT.md"
log "report: $OUT.md; raw outputs: $OUT/"

#!/usr/bin/env bash
# DNS router throughput: `pharos router` (fed by a control plane and three
# real edges) against Knot DNS serving a static zone with the same names,
# measured with dnsperf on loopback in interleaved rounds. Answers are
# checked with dig first (the right edge for clients placed by a coverage
# zone file through EDNS Client Subnet). Everything binds to 127.0.0.x and
# stops on its own; results go to bench/out/dns-<date>.md.
#
#   bench/dns/run.sh                        # 3 rounds of 10 s each
#   ROUNDS=5 DURATION=20 CLIENTS=16 bench/dns/run.sh
#   PROFILE=1 bench/dns/run.sh              # also a CPU profile of the router
#
# dnsperf settings (environment):
#   DURATION     -l, seconds per measurement (10)
#   CLIENTS      -c, client sockets (8): spreads replies over server threads
#   THREADS      -T, dnsperf threads (1): on 2 cores one thread saturates
#                the servers without taking a core from them
#   OUTSTANDING  -q, queries in flight (200): enough to keep both servers
#                busy without queueing into the timeout
#   MAX_QPS      -Q, rate cap (empty: as fast as answers come back)
#   ECS          1: every query carries EDNS Client Subnet 198.51.100.0/24
#                (as public resolvers send it), 0: plain EDNS
# The query file holds the distributions' A names, NX_PCT % of lines
# being names that do not exist (NXDOMAIN).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-1}
OUTSTANDING=${OUTSTANDING:-200}
MAX_QPS=${MAX_QPS:-}
ECS=${ECS:-1}
DISTS=${DISTS:-20}
NX_PCT=${NX_PCT:-10}
PROFILE=${PROFILE:-}
QUIET_PCT=${QUIET_PCT:-30}
QUIET_MAX=${QUIET_MAX:-120}
ZONE=cdn.test
API=127.0.0.1:18590
NATS=127.0.0.1:18522
ROUTER=127.0.0.1:18553
ROUTER_HTTP=127.0.0.1:18555
ROUTER_PPROF=127.0.0.1:18556
KNOT=127.0.0.1:18554

need=""
command -v dnsperf >/dev/null || need="$need dnsperf"
command -v knotd >/dev/null || need="$need knot"
command -v dig >/dev/null || need="$need bind9-dnsutils"
if [ -n "$need" ]; then
	echo "installing:$need" >&2
	if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
	# Debian starts the packaged knot service; this benchmark runs its own.
	$SUDO systemctl disable --now knot >/dev/null 2>&1 || true
fi

mkdir -p bin bench/out
go build -o bin/pharos ./cmd/pharos
commit=$(git rev-parse --short HEAD 2>/dev/null || echo dev)
git diff --quiet HEAD -- internal/router cmd/pharos internal/node 2>/dev/null || commit="$commit+changes"
work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE PATTERN: until a process's log shows it is up (30 s).
wait_for() {
	for _ in $(seq 1 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	exit 1
}

# ------------------------------------------------------- the Pharos side

bin/pharos control --data "$work/control" --api "$API" --nats-listen "$NATS" --zone "$ZONE" \
	--log-level warn >"$work/control.log" 2>&1 &
pids+=($!)
wait_for "$work/control.log" "control plane is up"
creds=(--api-url "http://$API" --credentials "$work/control/credentials.json")

# Three edges, each on its own loopback address, in three POPs.
edge() { # id pop ip lat lon
	bin/pharos edge --nats "nats://$NATS" --id "$1" --pop "$2" --http "$3:18580" --data "$work/$1" \
		--lat "$4" --lon "$5" --public-addr "$3" --shutdown-grace 1s --log-level warn >"$work/$1.log" 2>&1 &
	pids+=($!)
}
edge edge-ams ams 127.0.0.2 52.37 4.90
edge edge-nyc nyc 127.0.0.3 40.71 -74.01
edge edge-tyo tyo 127.0.0.4 35.68 139.69

# Coverage zones: one network per POP, and one (Sydney) whose POP has no
# edge, placed by its coordinates.
cat >"$work/czf.json" <<'EOF'
{"coverageZones": {
  "ams": {"network": ["10.1.0.0/16"], "coordinates": {"latitude": 52.37, "longitude": 4.90}},
  "nyc": {"network": ["10.2.0.0/16", "198.51.100.0/24"], "coordinates": {"latitude": 40.71, "longitude": -74.01}},
  "syd": {"network": ["10.3.0.0/16"], "coordinates": {"latitude": -33.87, "longitude": 151.21}}
}}
EOF
router_args=(--nats "nats://$NATS" --id bench-router --dns "$ROUTER" --zone "$ZONE" --czf "$work/czf.json"
	--http "$ROUTER_HTTP" --ttl 30 --answers 3 --log-level warn)
[ -n "$PROFILE" ] && router_args+=(--pprof "$ROUTER_PPROF")
bin/pharos router "${router_args[@]}" >"$work/router.log" 2>&1 &
router_pid=$!
pids+=($router_pid)
wait_for "$work/router.log" "router bench-router is up"

names=()
for i in $(seq 1 "$DISTS"); do
	dn=$(bin/pharos dist create --origin http://127.0.0.1:9 --comment "dns bench $i" "${creds[@]}" -o json |
		sed -n 's/^  "domainName": "\(.*\)",$/\1/p')
	[ -n "$dn" ] || { echo "dist create printed no domainName" >&2; exit 1; }
	names+=("$dn")
done

# digs SERVER NAME [dig options]: the answer's addresses, space separated.
digs() {
	local host=${1%@*} port=${1#*@}
	shift
	dig @"$host" -p "$port" +time=2 +tries=2 +norecurse +short "$@" | tr '\n' ' ' | sed 's/ $//'
}
status() { # SERVER NAME: the rcode
	local host=${1%@*} port=${1#*@}
	dig @"$host" -p "$port" +time=2 +tries=2 +norecurse "$2" A | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}
rt="${ROUTER%:*}@${ROUTER#*:}"
kt="${KNOT%:*}@${KNOT#*:}"

# Until the router knows every distribution and every edge.
for _ in $(seq 1 300); do
	n=0
	for dn in "${names[@]}"; do
		[ "$(digs "$rt" "$dn" A | wc -w)" = 3 ] && n=$((n + 1))
	done
	[ "$n" = "$DISTS" ] && break
	sleep 0.1
done
[ "$n" = "$DISTS" ] || { echo "the router answers $n of $DISTS distributions with 3 edges" >&2; exit 1; }

# ---------------------------------------------------------- Knot DNS side

mkdir -p "$work/knot/run" "$work/knot/db"
{
	echo "\$ORIGIN $ZONE."
	echo "\$TTL 30"
	echo "@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 30"
	echo "@ 3600 IN NS ns1"
	echo "ns1 3600 IN A 127.0.0.1"
	for dn in "${names[@]}"; do
		for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do echo "$dn. IN A $ip"; done
	done
} >"$work/knot/$ZONE.zone"
# Knot's defaults otherwise: one UDP worker per core, the same for TCP.
cat >"$work/knot/knot.conf" <<EOF
server:
    rundir: "$work/knot/run"
    listen: ${KNOT%:*}@${KNOT#*:}
database:
    storage: "$work/knot/db"
log:
  - target: stderr
    any: warning
zone:
  - domain: $ZONE
    storage: "$work/knot"
    file: "$ZONE.zone"
EOF
knotd -c "$work/knot/knot.conf" >"$work/knot.log" 2>&1 &
knot_pid=$!
pids+=($knot_pid)
for _ in $(seq 1 100); do
	[ "$(status "$kt" "${names[0]}")" = NOERROR ] && break
	sleep 0.1
done

# ------------------------------------------------- answers are right first

fail=0
check() { # what got want
	if [ "$2" = "$3" ]; then
		echo "ok   $1: $2"
	else
		echo "FAIL $1: got '$2', want '$3'"
		fail=1
	fi
}
first() { digs "$rt" "$1" A "+subnet=$2" | cut -d' ' -f1; }
dn=${names[0]}
check "router, client in the ams zone (10.1.0.0/24)" "$(first "$dn" 10.1.0.0/24)" 127.0.0.2
check "router, client in the nyc zone (10.2.7.0/24)" "$(first "$dn" 10.2.7.0/24)" 127.0.0.3
check "router, client in the syd zone: nearest is Tokyo" "$(first "$dn" 10.3.0.0/24)" 127.0.0.4
check "router, the benchmark's ECS client (198.51.100.0/24)" "$(first "$dn" 198.51.100.0/24)" 127.0.0.3
check "router, Sydney's full order (New York 15,990 km, Amsterdam 16,640)" "$(digs "$rt" "$dn" A +subnet=10.3.0.0/24)" "127.0.0.4 127.0.0.3 127.0.0.2"
check "router, +subnet=0 answers" "$(digs "$rt" "$dn" A +subnet=0 | wc -w)" 3
check "router over TCP" "$(digs "$rt" "$dn" A +tcp +subnet=10.1.0.0/24 | cut -d' ' -f1)" 127.0.0.2
check "router, an unknown name" "$(status "$rt" "dnx0.$ZONE")" NXDOMAIN
check "router, the edge's own name" "$(digs "$rt" "e-edge-tyo.$dn" A)" 127.0.0.4
check "knot, same addresses" "$(digs "$kt" "$dn" A | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"127.0.0.2 127.0.0.3 127.0.0.4"
check "knot, an unknown name" "$(status "$kt" "dnx0.$ZONE")" NXDOMAIN
[ "$fail" = 0 ] || { echo "answers are wrong; not measuring" >&2; exit 1; }

# ------------------------------------------------------------ measuring

# The query file: the names in turn, every (100/NX_PCT)th line a name
# that does not exist.
queries=$work/queries.txt
: >"$queries"
nx_every=$((NX_PCT > 0 ? 100 / NX_PCT : 0))
line=0
for rep in $(seq 1 50); do
	for dn in "${names[@]}"; do
		line=$((line + 1))
		if [ "$nx_every" -gt 0 ] && [ $((line % nx_every)) = 0 ]; then
			echo "dnx$rep$line.$ZONE A" >>"$queries"
		else
			echo "$dn A" >>"$queries"
		fi
	done
done

perf_args=(-l "$DURATION" -c "$CLIENTS" -T "$THREADS" -q "$OUTSTANDING" -d "$queries")
[ -n "$MAX_QPS" ] && perf_args+=(-Q "$MAX_QPS")
if [ "$ECS" = 1 ]; then
	# Option 8 (RFC 7871): family 1, source /24, scope 0, 198.51.100.
	perf_args+=(-E 8:00011800c63364)
else
	perf_args+=(-e)
fi

cpu_total() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat; }
wait_quiet() {
	local start=$SECONDS a b busy
	while :; do
		a=$(cpu_total)
		sleep 1
		b=$(cpu_total)
		busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); t = y[1] - x[1]; printf "%d", (t > 0 ? 100 * (t - (y[2] - x[2])) / t : 0) }')
		if [ "$busy" -lt "$QUIET_PCT" ]; then
			QUIET="${busy}% busy before"
			return
		fi
		if [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then
			QUIET="NOT QUIET: ${busy}% busy after ${QUIET_MAX} s of waiting"
			return
		fi
	done
}
# cpu_secs PID: user+system CPU seconds the process has used.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

stamp=$(date -u +%Y-%m-%dT%H%MZ)
report=bench/out/dns-$stamp.md
raw=bench/out/dns-$stamp
mkdir -p "$raw"
declare -A qps lat lost cpu usq
measure() { # name pid server round
	local name=$1 pid=$2 server=$3 r=$4 out c0 c1
	wait_quiet
	out="$raw/$name-$r.txt"
	c0=$(cpu_secs "$pid")
	dnsperf -s "${server%:*}" -p "${server#*:}" "${perf_args[@]}" >"$out" 2>&1
	c1=$(cpu_secs "$pid")
	qps[$name,$r]=$(awk '/Queries per second:/ { printf "%.0f", $4 }' "$out")
	lat[$name,$r]=$(awk '/Average Latency \(s\):/ { printf "%.3f", $4 * 1000 }' "$out")
	lost[$name,$r]=$(awk '/Queries lost:/ { gsub(/[()%]/, "", $4); print $4 }' "$out")
	cpu[$name,$r]=$(awk -v a="$c0" -v b="$c1" -v d="$DURATION" 'BEGIN { printf "%.2f", (b - a) / d }')
	# Server CPU per query: steadier than q/s when the machine is shared.
	usq[$name,$r]=$(awk -v a="$c0" -v b="$c1" -v d="$DURATION" -v q="${qps[$name,$r]}" 'BEGIN { printf "%.1f", (q > 0 ? 1e6 * (b - a) / d / q : 0) }')
	printf '%-6s round %d: %7s q/s, avg latency %s ms, lost %s %%, server %s cores, %s µs CPU/query (%s; %s)\n' \
		"$name" "$r" "${qps[$name,$r]}" "${lat[$name,$r]}" "${lost[$name,$r]}" "${cpu[$name,$r]}" "${usq[$name,$r]}" \
		"$(sed -n 's/.*Response codes: *//p' "$out")" "$QUIET" | tee -a "$raw/rounds.txt"
}

# answered_nyc: how many answers the router gave with edge-nyc first (the
# benchmark's ECS client is in the nyc coverage zone).
answered_nyc() {
	curl -fsS "http://$ROUTER_HTTP/metrics" |
		awk '/^pharos_router_answers_total\{.*edge="edge-nyc"/ { s += $2 } END { printf "%.0f", s }'
}
nyc_before=$(answered_nyc)

echo "pharos $commit, $(nproc) cores, $(date -u +%FT%TZ)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "dnsperf ${perf_args[*]}"
for r in $(seq 1 "$ROUNDS"); do
	# Rotate the order so that neither server always goes first.
	if [ $((r % 2)) = 1 ]; then
		measure pharos "$router_pid" "$ROUTER" "$r"
		measure knot "$knot_pid" "$KNOT" "$r"
	else
		measure knot "$knot_pid" "$KNOT" "$r"
		measure pharos "$router_pid" "$ROUTER" "$r"
	fi
done

# Every NOERROR answer in the measurements named edge-nyc first: the
# router placed each query by its ECS option (or, with ECS=0, by no
# location, where edge-ams goes first by id).
nyc=$(($(answered_nyc) - nyc_before))
noerror=$(cat "$raw"/pharos-*.txt | sed -n 's/.*Response codes: *NOERROR \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
if [ "$ECS" = 1 ]; then
	check "router, answers with edge-nyc first during the runs (= NOERROR answers)" "$nyc" "$noerror"
fi

if [ -n "$PROFILE" ]; then
	# A CPU profile of the router under the same load.
	dnsperf -s "${ROUTER%:*}" -p "${ROUTER#*:}" "${perf_args[@]}" >/dev/null 2>&1 &
	perf=$!
	sleep 1
	curl -fsS -o "$raw/router-cpu.pprof" "http://$ROUTER_PPROF/debug/pprof/profile?seconds=$((DURATION > 3 ? DURATION - 2 : 1))"
	wait "$perf" || true
	go tool pprof -top -cum -nodecount=40 bin/pharos "$raw/router-cpu.pprof" >"$raw/router-cpu.txt" 2>/dev/null || true
	echo "CPU profile of the router: $raw/router-cpu.txt"
	sed -n '1,30p' "$raw/router-cpu.txt"
fi

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
col() { # metric name
	local -n arr=$1
	local r s=""
	for r in $(seq 1 "$ROUNDS"); do s="$s ${arr[$2,$r]}"; done
	echo "$s"
}
{
	echo "# DNS: pharos router and Knot DNS, $(date -u +%FT%TZ)"
	echo
	echo "pharos $commit, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(knotd --version), $(dnsperf -h 2>&1 | grep Version)"
	echo
	echo "\`ROUNDS=$ROUNDS DURATION=$DURATION CLIENTS=$CLIENTS THREADS=$THREADS OUTSTANDING=$OUTSTANDING ECS=$ECS DISTS=$DISTS NX_PCT=$NX_PCT bench/dns/run.sh\`: dnsperf ${perf_args[*]}"
	echo
	echo "| medians of $ROUNDS rounds | pharos router | Knot DNS | pharos/Knot |"
	echo "| --- | --- | --- | --- |"
	pq=$(col qps pharos | median) kq=$(col qps knot | median)
	pl=$(col lat pharos | median) kl=$(col lat knot | median)
	echo "| queries/s | $pq | $kq | $(awk -v a="$pq" -v b="$kq" 'BEGIN { printf "%.2f", a / b }') |"
	echo "| average latency, ms | $pl | $kl | $(awk -v a="$pl" -v b="$kl" 'BEGIN { printf "%.2f", a / b }') |"
	echo "| queries lost, % | $(col lost pharos | median) | $(col lost knot | median) | |"
	echo "| server CPU, cores | $(col cpu pharos | median) | $(col cpu knot | median) | |"
	pu=$(col usq pharos | median) ku=$(col usq knot | median)
	echo "| server CPU per query, µs | $pu | $ku | $(awk -v a="$pu" -v b="$ku" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') |"
	echo
	[ "$ECS" = 1 ] && echo "Answers naming edge-nyc first during the pharos runs: $nyc of $noerror NOERROR answers." && echo
	echo "Rounds:"
	echo
	sed 's/^/    /' "$raw/rounds.txt"
} >"$report"
cat "$report"
echo "report: $report"
exit "$fail"

#!/usr/bin/env bash
# Pharos side by side with the caching proxies a user would otherwise pick:
# nginx (proxy_cache), Varnish and Apache Traffic Server, all in front of the
# same test origin (pharos-origin) on loopback, measured with the same wrk
# command in interleaved rounds.
#
#   bench/compare.sh                          # ROUNDS=3, fill N=1,000,000
#   ROUNDS=1 FILL_N=100000 bench/compare.sh   # a quicker run
#   SKIP_FILL=1 bench/compare.sh              # no memory-per-object stage
#   CORES="1 2 4 8" bench/compare.sh          # + core scaling (needs > 8 cores)
#
# Measurements (medians over the rounds; each round runs every server once
# per measurement, in an order that rotates from round to round):
#   1. 1 KiB hits from memory: req/s, p50, p99      (wrk --latency)
#   2. 1 MiB hits from memory: GiB/s                (wrk Transfer/sec)
#   3. 1 MiB hits from disk: GiB/s                  (Pharos disk tier, nginx
#      file cache on disk, Varnish file storage, ATS cache file with a RAM
#      cache that keeps nothing over 512 KiB)
#   4. 200-way collapsed miss on a 300 ms origin: origin requests for the
#      URL (the test origin's counter), p50 and max of the 200 viewers
#      (bench/collapse)
#   5. memory per cached object: PSS of the server's processes before and
#      after storing FILL_N objects of FILL_SIZE bytes (bench/fill), on a
#      fresh instance of each server, one at a time (skip: SKIP_FILL=1)
#   6. with CORES="k1 k2 ...": 1 KiB hits of Pharos and nginx pinned to
#      cores 0..k-1 (nginx with k workers, Pharos with k event loops; its
#      GOMAXPROCS follows the affinity mask), wrk pinned to the other cores
#      with one thread each
# During every wrk run the CPU time of the server's processes, of wrk and of
# everything else is sampled from /proc (% of the whole machine).
#
# Settings (environment): ROUNDS (3), DURATION (10s), CONNS (64), THREADS
# (1): wrk -tTHREADS -cCONNS -dDURATION --latency for every server;
# N or FILL_N (1000000), FILL_SIZE (100 bytes), FILL_CONC (32 connections),
# FILL_WARM (5000 warm-up objects), FILL_TIMEOUT (15m per server),
# READBACK_N (200000 objects read back), SKIP_FILL (0); COLLAPSE_N (200),
# COLLAPSE_DELAY (300 ms); CORES (none: the machine's cores, unpinned),
# SCALE_THREADS (wrk threads when pinned: the cores left to wrk);
# QUIET_PCT (10) and QUIET_MAX (30 s): before each measurement wait until
# the machine is less than QUIET_PCT % busy, at most QUIET_MAX s;
# RETRY_OTHER (15) and WRK_RETRIES (2): a wrk run during which other
# processes took more than RETRY_OTHER % of the machine is made again;
# SERVERS ("pharos nginx varnish ats"); BASE_PORT (18400: ports
# BASE_PORT..BASE_PORT+63 on 127.0.0.1). REPORT_ONLY=bench/out/compare-<time>
# renders that run's report again from its results.tsv and meta.env.
#
# Every server binds to 127.0.0.1 and talks only to 127.0.0.1; everything
# started here is stopped on exit. Needs root to install missing packages
# (nginx, varnish, trafficserver, wrk: their system services are stopped and
# disabled if the package started them; this script runs its own instances
# from temp dirs with the configs in bench/compare/).
#
# Output: a markdown report printed and written to
# bench/out/compare-<UTC time>.md; raw wrk outputs, collapse and fill results
# and the servers' logs under bench/out/compare-<UTC time>/.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
N=${N:-1000000}
FILL_N=${FILL_N:-$N}
FILL_SIZE=${FILL_SIZE:-100}
FILL_CONC=${FILL_CONC:-32}
FILL_WARM=${FILL_WARM:-5000}
READBACK_N=${READBACK_N:-200000}
FILL_TIMEOUT=${FILL_TIMEOUT:-15m}
SKIP_FILL=${SKIP_FILL:-0}
COLLAPSE_N=${COLLAPSE_N:-200}
COLLAPSE_DELAY=${COLLAPSE_DELAY:-300}
CORES=${CORES:-}
SCALE_THREADS=${SCALE_THREADS:-}
QUIET_PCT=${QUIET_PCT:-10}
QUIET_MAX=${QUIET_MAX:-30}
RETRY_OTHER=${RETRY_OTHER:-15}
WRK_RETRIES=${WRK_RETRIES:-2}
SERVERS=${SERVERS:-pharos nginx varnish ats}
BASE_PORT=${BASE_PORT:-18400}

NCPU=$(nproc)
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=bench/out/compare-$STAMP
MD=bench/out/compare-$STAMP.md
ORIGIN=127.0.0.1:$BASE_PORT

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
	log "compare.sh: $*"
	exit 1
}
note() { # a line for the report's notes (and the log)
	log "NOTE: $*"
	echo "- $*" >>"$OUT/notes.md"
}

# ---------------------------------------------------------------- install

install_packages() {
	local missing=() pkg cmd
	for pkg in nginx:nginx varnish:varnishd trafficserver:traffic_server wrk:wrk; do
		cmd=${pkg#*:}
		command -v "$cmd" >/dev/null || missing+=("${pkg%%:*}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root to install them"
	log "installing ${missing[*]}"
	# Keep the packages' postinst scripts from starting their services
	# (Debian's policy-rc.d convention); removed again below.
	local policy_made=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_made=1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	[ $policy_made = 1 ] && rm -f /usr/sbin/policy-rc.d
	# Whatever started anyway is stopped and disabled: this script runs its
	# own instances.
	local svc
	for svc in nginx varnish varnishncsa trafficserver; do
		if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
			systemctl disable --now "$svc" >/dev/null 2>&1 || true
		else
			service "$svc" stop >/dev/null 2>&1 || true
			command -v update-rc.d >/dev/null && update-rc.d "$svc" disable >/dev/null 2>&1 || true
		fi
	done
	# Daemons left running by a postinst without an init system: only those
	# with the packages' own pid files.
	local pidfile
	for pidfile in /run/nginx.pid /run/varnishd.pid /run/trafficserver/server.lock; do
		[ -s "$pidfile" ] && kill "$(head -c 20 "$pidfile" | tr -cd 0-9)" 2>/dev/null || true
	done
}

# -------------------------------------------------------------- processes

declare -A ROOT=()   # instance name -> pid of its main process
declare -A PORT=()   # instance name -> HTTP port
declare -A KIND=()   # instance name -> pharos | nginx | varnish | ats
declare -A IDIR=()   # instance name -> its temp dir

# descendants PID: PID and all its descendants, one per line.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			keep[root] = 1; print root
			do {
				added = 0
				for (i in pids) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; print p; added = 1 } }
			} while (added)
		}'
}

# starttime PID: the process's start time (field 22 of /proc/PID/stat),
# which tells it from a later process that got the same pid; nothing for a
# process that is gone or a zombie.
starttime() {
	local st f
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	read -r -a f <<<"${st##*) }"
	case ${f[0]} in Z | X) return 0 ;; esac
	echo "${f[19]}"
}

# stop NAME: SIGTERM to the instance's main process; SIGKILL to whatever of
# its process tree is left 15 s later.
stop() {
	local name=$1 pid=${ROOT[$1]:-} tree=() i p t alive
	[ -n "$pid" ] || return 0
	for p in $(descendants "$pid"); do tree+=("$p:$(starttime "$p")"); done
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 150); do
		alive=0
		for p in "${tree[@]}"; do
			t=$(starttime "${p%%:*}")
			if [ -n "$t" ] && [ "$t" = "${p#*:}" ]; then
				alive=1
				break
			fi
		done
		[ $alive = 1 ] || break
		sleep 0.1
	done
	for p in "${tree[@]}"; do
		t=$(starttime "${p%%:*}")
		if [ -n "$t" ] && [ "$t" = "${p#*:}" ]; then kill -KILL "${p%%:*}" 2>/dev/null || true; fi
	done
	wait "$pid" 2>/dev/null || true
	unset "ROOT[$name]"
}

cleanup() {
	local rc=$? name f
	trap - EXIT INT TERM
	if [ -n "${CHILD:-}" ]; then kill "$CHILD" 2>/dev/null || true; fi
	for name in "${!ROOT[@]}"; do stop "$name"; done
	if [ -n "${T:-}" ] && [ -d "${OUT:-}/logs" ]; then
		for name in "$T"/*/; do
			for f in "$name"*.log "$name"log/diags.log; do
				[ -f "$f" ] && cp "$f" "$OUT/logs/$(basename "$name")-$(basename "$f")"
			done
		done
	fi
	if [ -n "${origin_pid:-}" ]; then
		kill "$origin_pid" 2>/dev/null || true
		wait "$origin_pid" 2>/dev/null || true
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
	[ -n "${SHM:-}" ] && rm -rf "$SHM"
	exit "$rc"
}

# start_origin: the test origin, restarted by check_alive should it die.
start_origin() {
	"$T/bin/cdn-origin" --listen "$ORIGIN" >>"$OUT/origin.log" 2>&1 &
	origin_pid=$!
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null --max-time 1 "http://$ORIGIN/_origin/health" 2>/dev/null && return 0
		sleep 0.1
	done
	die "the test origin did not come up on $ORIGIN"
}

# check_alive WHAT: restart the origin or a server that has died since the
# last measurement (and say so in the report).
declare -A START=() # instance name -> the command that starts it
check_alive() {
	local name rc
	if ! kill -0 "$origin_pid" 2>/dev/null; then
		wait "$origin_pid" 2>/dev/null && rc=0 || rc=$?
		note "before $1: the test origin had exited (status $rc, signal $((rc > 128 ? rc - 128 : 0))); restarted"
		start_origin
	fi
	for name in "${!ROOT[@]}"; do
		if ! kill -0 "${ROOT[$name]}" 2>/dev/null; then
			wait "${ROOT[$name]}" 2>/dev/null && rc=0 || rc=$?
			note "before $1: $name had exited (status $rc); restarted (its cache starts empty)"
			cp "${IDIR[$name]}"/*.log "$OUT/logs/" 2>/dev/null || true
			unset "ROOT[$name]"
			eval "${START[$name]}"
		fi
	done
}

# wait_up NAME: until the instance answers a request proxied to the origin.
wait_up() {
	local name=$1 i
	for i in $(seq 1 300); do
		if ! kill -0 "${ROOT[$name]}" 2>/dev/null; then
			tail -20 "${IDIR[$name]}"/*.log >&2 2>/dev/null || true
			die "$name exited during start"
		fi
		if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${PORT[$name]}/_origin/health")" = 200 ]; then
			return 0
		fi
		sleep 0.1
	done
	tail -20 "${IDIR[$name]}"/*.log >&2 2>/dev/null || true
	die "$name did not come up on 127.0.0.1:${PORT[$name]}"
}

port_free() {
	local p
	for p in "$@"; do
		if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then die "port $p is in use (set BASE_PORT)"; fi
	done
}

# pin CPUS: the command prefix that runs a command on those CPUs (or none).
pin() { [ -n "$1" ] && echo "taskset -c $1" || true; }

# start_pharos NAME PORT CPUS EXTRA-FLAGS...: ports PORT..PORT+3 (edge,
# API, and DNS and HTTPS, which this build does not open yet but which are
# kept on loopback should a later build open them).
start_pharos() {
	START[$1]=$(printf '%q ' start_pharos "$@")
	local name=$1 port=$2 cpus=$3
	shift 3
	local dir=$T/$name
	mkdir -p "$dir"
	port_free "$port" $((port + 1))
	# shellcheck disable=SC2086
	$(pin "$cpus") env ${EDGE_ENV:-} "$T/bin/cdn-edge" up --origin "http://$ORIGIN" --http "127.0.0.1:$port" \
		--api "127.0.0.1:$((port + 1))" --dns "127.0.0.1:$((port + 2))" --https "127.0.0.1:$((port + 3))" \
		--data "$dir/data" --cache-mem 512MiB --log-level warn "$@" >"$dir/edge.log" 2>&1 &
	ROOT[$name]=$!
	PORT[$name]=$port KIND[$name]=pharos IDIR[$name]=$dir
	wait_up "$name"
}

# start_nginx NAME PORT CPUS WORKERS: the memory cache (tmpfs) on PORT, the
# disk cache on PORT+1.
start_nginx() {
	START[$1]=$(printf '%q ' start_nginx "$@")
	local name=$1 port=$2 cpus=$3 workers=$4
	local dir=$T/$name mem=$SHM/$name
	mkdir -p "$dir/disk" "$mem"
	chown www-data "$dir/disk" "$mem"
	port_free "$port" $((port + 1))
	sed -e "s|@WORKERS@|$workers|; s|@DIR@|$dir|g; s|@MEM_CACHE@|$mem|; s|@DISK_CACHE@|$dir/disk|" \
		-e "s|@ORIGIN@|$ORIGIN|; s|@PORT_MEM@|$port|; s|@PORT_DISK@|$((port + 1))|" \
		bench/compare/nginx.conf >"$dir/nginx.conf"
	$(pin "$cpus") nginx -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" -g 'daemon off;' >"$dir/nginx.log" 2>&1 &
	ROOT[$name]=$!
	PORT[$name]=$port KIND[$name]=nginx IDIR[$name]=$dir
	wait_up "$name"
	PORT[$name-disk]=$((port + 1)) KIND[$name-disk]=nginx IDIR[$name-disk]=$dir
	ROOTOF[$name-disk]=$name
}

# start_varnish NAME PORT STORAGE
start_varnish() {
	START[$1]=$(printf '%q ' start_varnish "$@")
	local name=$1 port=$2 storage=$3
	local dir=$T/$name
	mkdir -p "$dir"
	port_free "$port"
	sed -e "s|@ORIGIN_HOST@|${ORIGIN%:*}|; s|@ORIGIN_PORT@|${ORIGIN##*:}|" bench/compare/default.vcl >"$dir/default.vcl"
	varnishd -F -a "127.0.0.1:$port" -T none -n "$dir/work" -f "$dir/default.vcl" -s "$storage" >"$dir/varnishd.log" 2>&1 &
	ROOT[$name]=$!
	PORT[$name]=$port KIND[$name]=varnish IDIR[$name]=$dir
	wait_up "$name"
}

# start_ats NAME PORT RAM_CACHE_BYTES RAM_CUTOFF_BYTES [CACHE_FILE_SIZE]:
# traffic_server run directly (no traffic_manager) from a runroot in its
# temp dir.
start_ats() {
	START[$1]=$(printf '%q ' start_ats "$@")
	local name=$1 port=$2 ram=$3 cutoff=$4 size=${5:-2G}
	local dir=$T/$name f
	mkdir -p "$dir/etc" "$dir/var" "$dir/run" "$dir/log" "$dir/cache"
	port_free "$port"
	for f in bench/compare/ats/*; do
		sed -e "s|@PORT@|$port|g; s|@ORIGIN@|$ORIGIN|g; s|@CACHE_DIR@|$dir/cache|g" \
			-e "s|@RAM_CACHE@|$ram|g; s|@RAM_CUTOFF@|$cutoff|g; s|@CACHE_SIZE@|$size|g" "$f" >"$dir/etc/$(basename "$f")"
	done
	# Configuration files ATS reads but this setup leaves empty.
	for f in cache.config hosting.config parent.config volume.config \
		splitdns.config ssl_multicert.config socks.config; do
		[ -e "$dir/etc/$f" ] || : >"$dir/etc/$f"
	done
	cat >"$dir/runroot.yaml" <<-EOF
		prefix: /usr
		exec_prefix: /usr
		bindir: /usr/bin
		sbindir: /usr/sbin
		sysconfdir: $dir/etc
		datadir: $dir/var
		includedir: /usr/include
		libdir: /usr/lib/trafficserver
		libexecdir: /usr/lib/trafficserver/modules
		localstatedir: $dir/var
		runtimedir: $dir/run
		logdir: $dir/log
		cachedir: $dir/cache
	EOF
	TS_RUNROOT=$dir/runroot.yaml traffic_server >"$dir/traffic_server.log" 2>&1 &
	ROOT[$name]=$!
	PORT[$name]=$port KIND[$name]=ats IDIR[$name]=$dir
	wait_up "$name"
}

declare -A ROOTOF=() # instance name -> the instance whose processes serve it

# server_pids NAME: the pids of the processes serving NAME.
server_pids() {
	local owner=${ROOTOF[$1]:-$1}
	descendants "${ROOT[$owner]}"
}

# interruptible FILE COMMAND...: runs COMMAND in the background with its
# stdout in FILE and waits for it, so that a signal to this script runs its
# cleanup at once instead of after a long command (a fill) ends.
CHILD=
interruptible() {
	local out=$1
	shift
	"$@" >"$out" &
	CHILD=$!
	local rc=0
	wait "$CHILD" || rc=$?
	CHILD=
	return $rc
}

# ------------------------------------------------------------- /proc probes

# cpu_now: "total idle" jiffies over all CPUs.
cpu_now() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $5 + $6; exit }' /proc/stat; }

# proc_ticks PID...: user+system jiffies of these processes (threads and
# reaped children included).
proc_ticks() {
	local p st sum=0 f
	for p in "$@"; do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		read -r -a f <<<"${st##*) }"
		sum=$((sum + f[11] + f[12] + f[13] + f[14]))
	done
	echo $sum
}

# pss PID...: summed proportional set size in bytes (shared pages, such as
# nginx's key zone, counted once over the processes sharing them; for one
# process PSS is its RSS minus its share of shared libraries).
pss() {
	local p sum=0 kb
	for p in "$@"; do
		kb=$(awk '/^Pss:/ { print $2; exit }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${kb:-0} * 1024))
	done
	echo $sum
}
rss() {
	local p sum=0 kb
	for p in "$@"; do
		kb=$(awk '/^VmRSS:/ { print $2; exit }' "/proc/$p/status" 2>/dev/null) || continue
		sum=$((sum + ${kb:-0} * 1024))
	done
	echo $sum
}

# wait_quiet: until the machine is less than QUIET_PCT % busy over one
# second (at most QUIET_MAX s; then go on and note it). The 1-minute load
# average would need more than a minute to fall after every 10 s run.
QUIET=
wait_quiet() {
	local what=$1 start=$SECONDS a b busy
	while :; do
		a=$(cpu_now)
		sleep 1
		b=$(cpu_now)
		busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; i = y[2] - x[2]; printf "%d", (t > 0 ? 100 * (t - i) / t : 0) }')
		if [ "$busy" -lt "$QUIET_PCT" ]; then
			QUIET="quiet: ${busy}% busy after $((SECONDS - start)) s"
			return 0
		fi
		if [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then
			QUIET="not quiet: still ${busy}% busy after ${QUIET_MAX} s"
			note "$what: the machine was still ${busy}% busy after ${QUIET_MAX} s of waiting; measured anyway (load average $(cut -d' ' -f1-3 /proc/loadavg))"
			return 0
		fi
	done
}

# ------------------------------------------------------------- the origin

# origin_count PREFIX: requests the origin saw for URIs starting with PREFIX.
origin_count() {
	curl -fsS --max-time 30 "http://$ORIGIN/_origin/counts" |
		grep -o "\"$1[^\"]*\":[0-9]*" | awk -F: '{ s += $NF } END { print s + 0 }'
}

# ----------------------------------------------------------- measurements

RES= # results: measure <tab> instance <tab> round <tab> value
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RES"; }

# is_hit NAME HEADERS: the server's own hit indicator.
is_hit() {
	local h=$2
	case ${KIND[$1]} in
	pharos) grep -qi '^x-cache: hit' <<<"$h" ;;
	nginx) grep -qi '^x-cache-status: hit' <<<"$h" ;;
	varnish) grep -Eqi '^x-varnish: [0-9]+ [0-9]+' <<<"$h" ;;
	ats) grep -Eqi '^via:.*\[c[HR]' <<<"$h" ;; # ATS's Via cache codes: cH, cR = hit
	esac
}

# warm NAME URL: fetch until the server's hit indicator says hit and the
# origin's X-Origin-Count (a cached copy keeps the count of the fetch that
# filled it) does not change.
warm() {
	local name=$1 url=$2 h c0 c1 i
	h=$(curl -fsS -D - -o /dev/null --max-time 60 "$url") || return 1
	for i in $(seq 1 20); do
		c0=$(grep -i '^x-origin-count:' <<<"$h" | tr -dc 0-9)
		h=$(curl -fsS -D - -o /dev/null --max-time 60 "$url") || return 1
		c1=$(grep -i '^x-origin-count:' <<<"$h" | tr -dc 0-9)
		if is_hit "$name" "$h" && [ -n "$c1" ] && [ "$c0" = "$c1" ]; then return 0; fi
		sleep 0.25
	done
	printf '%s\n' "$h" >"$OUT/not-a-hit-$name.txt"
	return 1
}

# parse_wrk FILE: "req/s p50_ms p99_ms GiB/s non2xx socket_errors"
parse_wrk() {
	awk '
		function ms(v) {
			if (v ~ /us$/) return v / 1000
			if (v ~ /ms$/) return v + 0
			if (v ~ /m$/) return v * 60000
			if (v ~ /h$/) return v * 3600000
			return v * 1000
		}
		function bytes(v) {
			if (v ~ /TB$/) return v * 1024 ^ 4
			if (v ~ /GB$/) return v * 1024 ^ 3
			if (v ~ /MB$/) return v * 1024 ^ 2
			if (v ~ /KB$/) return v * 1024
			return v + 0
		}
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/^Transfer\/sec:/ { gib = bytes($2) / 1024 ^ 3 }
		/Non-2xx or 3xx responses:/ { non2xx = $NF }
		/Socket errors:/ { gsub(/,/, ""); errs = $4 + $6 + $8 + $10 }
		END {
			if (rps == "") exit 1
			printf "%.2f %.3f %.3f %.3f %d %d\n", rps, p50, p99, gib, non2xx, errs
		}' "$1"
}

# wrk_once NAME URL FILE PREFIX WRK_CPUS THREADS CONNS: one wrk run, its
# output in FILE; sets W_RPS W_P50 W_P99 W_GIB W_BAD (non-2xx + socket
# errors) W_MISS (origin requests for the object during the run) and the CPU
# split W_SRV W_WRK W_OTH (% of all cores). Returns 1 without a result.
wrk_once() {
	local name=$1 url=$2 file=$3 prefix=$4 wrkcpus=$5 threads=$6 conns=$7
	local pids o0 o1 c0 c1 s0 s1 wrk_ticks head1 head2 pinw parsed
	pids=$(server_pids "$name" | tr '\n' ' ')
	pinw=$(pin "$wrkcpus")
	head1="# $(date -u +%FT%TZ) $name; $QUIET; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	head2="# $pinw wrk -t$threads -c$conns -d$DURATION --latency $url"
	o0=$(origin_count "$prefix")
	c0=$(cpu_now)
	# shellcheck disable=SC2086
	s0=$(proc_ticks $pids)
	# The subshell's `times` gives wrk's CPU time (its only child).
	(
		echo "$head1"
		echo "$head2"
		$pinw wrk -t"$threads" -c"$conns" -d"$DURATION" --latency "$url" 2>&1 || echo "wrk failed: $?"
		times >"$file.times"
	) >"$file"
	# shellcheck disable=SC2086
	s1=$(proc_ticks $pids)
	c1=$(cpu_now)
	o1=$(origin_count "$prefix")
	wrk_ticks=$(awk 'NR == 2 { n = split($0, f, " "); t = 0; for (i = 1; i <= n; i++) { split(f[i], a, "m"); t += a[1] * 60 + a[2] } printf "%d", t * 100 }' "$file.times")
	rm -f "$file.times"
	parsed=$(parse_wrk "$file") || return 1
	local non2xx errs
	read -r W_RPS W_P50 W_P99 W_GIB non2xx errs <<<"$parsed"
	W_BAD=$((non2xx + errs)) W_MISS=$((o1 - o0))
	read -r W_SRV W_WRK W_OTH <<<"$(awk -v a="$c0" -v b="$c1" -v s=$((s1 - s0)) -v w="$wrk_ticks" 'BEGIN {
		split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; busy = t - (y[2] - x[2])
		if (t <= 0) t = 1
		o = busy - s - w; if (o < 0) o = 0
		printf "%.0f %.0f %.0f", 100 * s / t, 100 * w / t, 100 * o / t }')"
	echo "# cpu (% of all $NCPU cores): server $W_SRV, wrk $W_WRK, everything else $W_OTH; origin requests for the object during the run: $W_MISS; non-2xx $non2xx, socket errors $errs" >>"$file"
	return 0
}

# run_wrk MEASURE NAME ROUND PATH [SERVER_CPUS WRK_CPUS WRK_THREADS]: warm
# PATH, wait for a quiet machine, run wrk against it and record req/s, p50,
# p99, GiB/s and the CPU split. A run during which other processes took
# more than RETRY_OTHER % of the machine is made again (at most
# WRK_RETRIES times); the run with the least such interference counts.
run_wrk() {
	local m=$1 name=$2 r=$3 path=$4 wrkcpus=${6:-} threads=${7:-$THREADS}
	local url="http://127.0.0.1:${PORT[$name]}$path" base="$OUT/$m-r$r-$name"
	local prefix="${path%%\?*}?" conns=$CONNS
	[ "$conns" -ge "$threads" ] || conns=$threads
	check_alive "$m, round $r, $name"
	if ! warm "$name" "$url"; then
		note "$m, round $r, $name: $url never answered a cache hit; not measured (headers in $OUT/not-a-hit-$name.txt)"
		return 0
	fi
	local try best='' best_oth=1000 file
	local b_rps b_p50 b_p99 b_gib b_bad b_miss b_srv b_wrk b_oth
	for try in $(seq 1 $((WRK_RETRIES + 1))); do
		file=$base.txt
		[ "$try" = 1 ] || file=$base-try$try.txt
		wait_quiet "$m, round $r, $name"
		log "$m r$r $name: wrk -t$threads -c$conns -d$DURATION --latency $url"
		if ! wrk_once "$name" "$url" "$file" "$prefix" "$wrkcpus" "$threads" "$conns"; then
			note "$m, round $r, $name: no wrk result (see $file)"
			continue
		fi
		log "$m r$r $name: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, $W_GIB GiB/s; cpu server $W_SRV% wrk $W_WRK% other $W_OTH%"
		if [ "$W_OTH" -lt "$best_oth" ]; then
			best=$file best_oth=$W_OTH
			b_rps=$W_RPS b_p50=$W_P50 b_p99=$W_P99 b_gib=$W_GIB b_bad=$W_BAD b_miss=$W_MISS b_srv=$W_SRV b_wrk=$W_WRK b_oth=$W_OTH
		fi
		[ "$W_OTH" -gt "$RETRY_OTHER" ] || break
		if [ "$try" -le "$WRK_RETRIES" ]; then
			note "$m, round $r, $name: other processes took $W_OTH% of the machine during the run ($W_RPS req/s); measured again"
		else
			note "$m, round $r, $name: other processes took ${best_oth}% of the machine even in the best of $try runs; that one counts"
		fi
	done
	[ -n "$best" ] || return 0
	[ "$b_bad" = 0 ] || note "$m, round $r, $name: wrk saw $b_bad non-2xx responses or socket errors ($best)"
	[ "$b_miss" = 0 ] || note "$m, round $r, $name: the origin got $b_miss requests for the object during the run (not all hits)"
	record "$m.rps" "$name" "$r" "$b_rps"
	record "$m.p50" "$name" "$r" "$b_p50"
	record "$m.p99" "$name" "$r" "$b_p99"
	record "$m.gibs" "$name" "$r" "$b_gib"
	record "$m.cpu_srv" "$name" "$r" "$b_srv"
	record "$m.cpu_wrk" "$name" "$r" "$b_wrk"
	record "$m.cpu_oth" "$name" "$r" "$b_oth"
	return 0
}

# run_collapse NAME ROUND: COLLAPSE_N viewers ask at once for a fresh URL
# whose origin answers after COLLAPSE_DELAY ms.
run_collapse() {
	local name=$1 r=$2
	local path="/cmp/$name/collapse-$STAMP-r$r"
	local url="http://127.0.0.1:${PORT[$name]}$path?size=1024&cc=max-age%3D3600&delay=$COLLAPSE_DELAY"
	local warm_url="http://127.0.0.1:${PORT[$name]}/cmp/$name/collapse-warm?size=16&cc=max-age%3D3600"
	check_alive "collapse, round $r, $name"
	wait_quiet "collapse, round $r, $name"
	log "collapse r$r $name: $COLLAPSE_N viewers, $url"
	local json
	json=$("$T/bin/collapse" -url "$url" -warm "$warm_url" -n "$COLLAPSE_N" -timeout 30s) || true
	sleep 0.5 # let a proxy's background fill reach the origin's counter
	local origin
	origin=$(origin_count "$path?")
	echo "# $name round $r: $url; $QUIET" >>"$OUT/collapse.txt"
	echo "$json origin_requests=$origin" >>"$OUT/collapse.txt"
	log "collapse r$r $name: $json, origin requests $origin"
	local p50 max errs
	p50=$(sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' <<<"$json")
	max=$(sed -n 's/.*"max_ms":\([0-9.]*\).*/\1/p' <<<"$json")
	errs=$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' <<<"$json")
	if [ -z "$p50" ] || [ "${errs:-1}" != 0 ]; then
		note "collapse, round $r, $name: ${errs:-?} of $COLLAPSE_N viewers failed ($json)"
	fi
	record collapse.origin "$name" "$r" "$origin"
	[ -n "$p50" ] && record collapse.p50 "$name" "$r" "$p50"
	[ -n "$max" ] && record collapse.max "$name" "$r" "$max"
	return 0
}

# rotate R WORDS...: WORDS rotated left by R-1.
rotate() {
	local r=$1
	shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + r - 1) % n))]}"; done
}

# -------------------------------------------------------------- the stages

start_main() {
	local s
	for s in $SERVERS; do
		case $s in
		pharos)
			start_pharos pharos $((BASE_PORT + 10)) ""
			# The disk edge's memory tier keeps nothing over 512 KiB
			# (--cache-mem/8): its 1 MiB hits come from the disk tier.
			start_pharos pharos-disk $((BASE_PORT + 14)) "" --cache-mem 4MiB --cache-disk 2GiB
			;;
		nginx) start_nginx nginx $((BASE_PORT + 20)) "" auto ;;
		varnish)
			start_varnish varnish $((BASE_PORT + 30)) malloc,512m
			start_varnish varnish-disk $((BASE_PORT + 31)) "file,$T/varnish-disk/storage.bin,2g"
			;;
		ats)
			start_ats ats $((BASE_PORT + 40)) 536870912 4194304
			# No RAM cache: its 1 MiB hits are read from the cache file.
			start_ats ats-disk $((BASE_PORT + 41)) 0 524288
			;;
		*) die "unknown server $s (SERVERS: pharos nginx varnish ats)" ;;
		esac
	done
}

# check_ats_ram: after the rounds, ATS's own counters must show a 512 MiB
# RAM cache for the memory edge and none for the disk edge.
check_ats_ram() {
	local name want stats got
	for name in ats ats-disk; do
		[ -n "${ROOT[$name]:-}" ] || continue
		want=536870912
		[ "$name" = ats ] || want=0
		stats=$(curl -fsS --max-time 10 "http://127.0.0.1:${PORT[$name]}/_stats") || true
		got=$(grep -o '"proxy.process.cache.ram_cache.total_bytes": "[0-9]*"' <<<"$stats" | tr -dc 0-9 | tail -c 20)
		if [ "$got" != "$want" ]; then
			note "$name: ATS reports a RAM cache of ${got:-?} bytes, not $want"
		else
			log "$name: RAM cache $got bytes, as configured"
		fi
	done
}

main_rounds() {
	local r s order
	for r in $(seq 1 "$ROUNDS"); do
		# shellcheck disable=SC2086
		order=$(rotate "$r" $SERVERS)
		log "round $r of $ROUNDS: $order"
		for s in $order; do run_wrk hit1k "$s" "$r" "/cmp/$s/1k?size=1024&cc=max-age%3D3600"; done
		for s in $order; do run_wrk hit1m "$s" "$r" "/cmp/$s/1m?size=1048576&cc=max-age%3D3600"; done
		for s in $order; do run_wrk hit1m-disk "$s-disk" "$r" "/cmp/$s-disk/1m?size=1048576&cc=max-age%3D3600"; done
		for s in $order; do run_collapse "$s" "$r"; done
	done
}

scale_rounds() {
	local k r s order cpus wcpus threads
	for k in $CORES; do
		if [ "$k" -ge "$NCPU" ]; then
			note "core scaling: $k cores skipped: this machine has $NCPU, and wrk needs at least one core of its own"
			continue
		fi
		cpus=0-$((k - 1))
		wcpus=$k-$((NCPU - 1))
		threads=${SCALE_THREADS:-$((NCPU - k))}
		# One event loop per core, as nginx gets one worker per core: the
		# pinned cores are the server's alone (by default Pharos leaves one
		# core to everything but hits, and wrk).
		start_pharos "pharos-$k" $((BASE_PORT + 50)) "$cpus" --event-loops "$k"
		start_nginx "nginx-$k" $((BASE_PORT + 54)) "$cpus" "$k"
		for r in $(seq 1 "$ROUNDS"); do
			order=$(rotate "$r" pharos nginx)
			for s in $order; do
				run_wrk "scale$k" "$s-$k" "$r" "/cmp/$s-$k/1k?size=1024&cc=max-age%3D3600" "$cpus" "$wcpus" "$threads"
			done
		done
		stop "pharos-$k"
		stop "nginx-$k"
	done
}

fill_one() {
	local s=$1 name=fill-$1 pids before written after rss_before rss_after json readback extra='' f
	check_alive "fill, $s"
	# Cache sizes: as in the rounds (512 MiB), or 2 KiB per object if that
	# is more, so that all the objects fit: Pharos charges each object what
	# it really takes against --cache-mem (about 600 B for these, so 512 MiB
	# holds about 900,000 of them). A size is a limit, not an allocation, in
	# all four servers.
	local mb=$(((FILL_N + FILL_WARM) * 2 / 1024))
	[ "$mb" -ge 512 ] || mb=512
	case $s in
	pharos)
		# gctrace: the Go runtime prints the live heap after each GC to
		# stderr, for the report's "live heap per object".
		EDGE_ENV=GODEBUG=gctrace=1 start_pharos "$name" $((BASE_PORT + 60)) "" --cache-mem "${mb}MiB"
		;;
	nginx) start_nginx "$name" $((BASE_PORT + 60)) "" auto ;;
	varnish) start_varnish "$name" $((BASE_PORT + 60)) "malloc,${mb}m" ;;
	ats)
		# Cache file: 8 KB per object (ATS uses about 4.5 KB for these),
		# at least 2 GiB.
		start_ats "$name" $((BASE_PORT + 60)) $((mb * 1048576)) 4194304 "$(((FILL_N + FILL_WARM) * 8 / 1000 > 2048 ? (FILL_N + FILL_WARM) * 8 / 1000 : 2048))M"
		;;
	esac
	local port=${PORT[$name]}
	local base="http://127.0.0.1:$port/fill/$s/"
	local query="size=$FILL_SIZE&cc=max-age%3D86400"
	# Warm-up: FILL_WARM objects under another path with the same
	# concurrency, so that what a server sets up for FILL_CONC connections
	# (threads, buffers, pools) is in the "before", not counted per object.
	interruptible /dev/null "$T/bin/fill" -base "http://127.0.0.1:$port/fillwarm/$s/" -query "$query" -n "$FILL_WARM" -c "$FILL_CONC" -timeout 5m ||
		note "fill, $s: the warm-up fill failed"
	sleep 3
	pids=$(server_pids "$name" | tr '\n' ' ')
	# shellcheck disable=SC2086
	before=$(pss $pids) rss_before=$(rss $pids)
	local gc_lines=0
	[ "$s" = pharos ] && gc_lines=$(wc -l <"${IDIR[$name]}/edge.log")
	log "fill $s: $FILL_N objects of $FILL_SIZE bytes, $FILL_CONC connections (PSS before $((before / 1048576)) MiB)"
	interruptible "$T/fill.json" "$T/bin/fill" -base "$base" -query "$query" -n "$FILL_N" -c "$FILL_CONC" -timeout "$FILL_TIMEOUT" || true
	json=$(cat "$T/fill.json")
	log "fill $s: $json"
	sleep 5
	# shellcheck disable=SC2046
	written=$(pss $(server_pids "$name"))
	local gc_lines_written=0
	[ "$s" = pharos ] && gc_lines_written=$(wc -l <"${IDIR[$name]}/edge.log")
	local done_n
	done_n=$(sed -n 's/.*"done":\([0-9]*\).*/\1/p' <<<"$json")
	# The objects are read once more (all of them, or READBACK_N spread
	# evenly over them): this checks that they are still cached (none
	# refetched), and counts what a server allocates on a hit.
	local rb=${done_n:-$FILL_N}
	[ "$rb" -le "$READBACK_N" ] || rb=$READBACK_N
	interruptible "$T/fill.json" "$T/bin/fill" -base "$base" -query "$query" -n "${done_n:-$FILL_N}" -c "$FILL_CONC" -verify "$rb" -timeout "$FILL_TIMEOUT" || true
	readback=$(cat "$T/fill.json")
	log "fill $s: read back $readback"
	sleep 5
	pids=$(server_pids "$name" | tr '\n' ' ')
	# shellcheck disable=SC2086
	after=$(pss $pids) rss_after=$(rss $pids)
	case $s in
	nginx) extra="; cache files on tmpfs: $(du -sB1 "$SHM/$name" | cut -f1) bytes" ;;
	varnish) extra="; varnishstat: $(varnishstat -n "${IDIR[$name]}/work" -1 -f MAIN.n_object -f MAIN.n_lru_nuked -f SMA.s0.g_bytes 2>/dev/null | awk '{ printf "%s=%s ", $1, $2 }')" ;;
	ats)
		local stats
		stats=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/_stats") || true
		extra="; cache file used: $(du -sB1 "${IDIR[$name]}/cache" | cut -f1) bytes (sparse); $(grep -E '"proxy.process.cache.(ram_cache.(total_bytes|bytes_used|hits|misses)|direntries.(total|used))"' <<<"$stats" | tr -d ' ",' | tr '\n' ' ')"
		;;
	pharos)
		# Live heap (MB) after the last GC before the fill and at the end.
		local h0 h1
		h0=$(head -n "$gc_lines" "${IDIR[$name]}/edge.log" | grep -o '[0-9]*->[0-9]*->[0-9]* MB' | tail -1 | sed 's/.*->\([0-9]*\) MB/\1/')
		h1=$(head -n "$gc_lines_written" "${IDIR[$name]}/edge.log" | grep -o '[0-9]*->[0-9]*->[0-9]* MB' | tail -1 | sed 's/.*->\([0-9]*\) MB/\1/')
		extra="; Go live heap after the last GC: ${h0:-?} MB before the fill, ${h1:-?} MB after it"
		if [ -n "$h0" ] && [ -n "$h1" ] && [ -n "$done_n" ] && [ "$done_n" -gt 0 ]; then
			record fill.heap pharos 1 $(((h1 - h0) * 1048576 / done_n))
		fi
		;;
	esac
	echo "$s: fill $json; read back $readback; PSS $before -> $written (written) -> $after (read back); RSS $rss_before -> $rss_after$extra" >>"$OUT/fill.txt"
	if [ -n "$done_n" ] && [ "$done_n" -gt 0 ]; then
		record fill.bpo "$s" 1 "$(((written - before) / done_n))"
		record fill.bpo_readback "$s" 1 "$(((after - before) / done_n))"
		record fill.total "$s" 1 "$written"
		record fill.rate "$s" 1 "$(sed -n 's/.*"rate":\([0-9]*\).*/\1/p' <<<"$json")"
		local cached asked
		cached=$(sed -n 's/.*"cached":\([0-9]*\).*/\1/p' <<<"$readback")
		asked=$(sed -n 's/.*"verify":\([0-9]*\).*/\1/p' <<<"$readback")
		record fill.kept "$s" 1 "$(awk -v c="${cached:-0}" -v a="${asked:-0}" 'BEGIN { printf "%.1f", (a > 0 ? 100 * c / a : 0) }')"
		[ "$done_n" = "$FILL_N" ] || note "fill, $s: only $done_n of $FILL_N objects stored in $FILL_TIMEOUT ($json)"
		if [ "${cached:-0}" != "${asked:-x}" ]; then
			note "fill, $s: of the ${asked:-?} filled objects read back, ${cached:-0} were still cached ($readback): its per-object figure is for fewer objects than it was sent"
		fi
		if [ "$s" = nginx ]; then record fill.files nginx 1 "$(($(du -sB1 "$SHM/$name" | cut -f1) / done_n))"; fi
		if [ "$s" = ats ]; then record fill.files ats 1 "$(($(du -sB1 "${IDIR[$name]}/cache" | cut -f1) / done_n))"; fi
	else
		note "fill, $s: failed ($json)"
	fi
	stop "$name"
	for f in "${IDIR[$name]}"/*.log "${IDIR[$name]}"/log/diags.log; do
		[ -f "$f" ] && cp "$f" "$OUT/logs/$name-$(basename "$f")"
	done
	rm -rf "${IDIR[$name]:?}" "${SHM:?}/$name"
	curl -fsS -X POST -o /dev/null "http://$ORIGIN/_origin/reset"
}

# ------------------------------------------------------------------ report

# median MEASURE INSTANCE
median() {
	awk -F'\t' -v m="$1" -v s="$2" '$1 == m && $2 == s { v[++n] = $4 }
		END {
			if (n == 0) { print ""; exit }
			for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] + 0 > x + 0) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
			if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2
		}' "$RES"
}
# all MEASURE INSTANCE: the values of every round, in round order.
all_rounds() {
	awk -F'\t' -v m="$1" -v s="$2" '$1 == m && $2 == s { printf "%s%s", (n++ ? " / " : ""), $4 }' "$RES"
}
# fmt KIND VALUE
fmt() {
	[ -n "$2" ] || {
		echo n/a
		return
	}
	awk -v k="$1" -v v="$2" 'function commas(x,   s) { s = sprintf("%d", x + 0.5); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s); return s }
		BEGIN {
			if (k == "int") print commas(v)
			else if (k == "ms") printf (v < 10 ? "%.2f ms" : v < 100 ? "%.1f ms" : "%.0f ms"), v
			else if (k == "gib") printf "%.2f", v
			else if (k == "pct") printf "%.0f%%", v
			else print v
		}'
}
ratio() {
	if [ -z "$1" ] || [ -z "$2" ]; then
		echo n/a
	else awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; fi
}

# row LABEL MEASURE KIND SUFFIX: one table row over the four servers (with
# SUFFIX appended to the instance names, e.g. -disk).
row() {
	local label=$1 m=$2 kind=$3 sfx=${4:-} s v cells=() meds=()
	for s in pharos nginx varnish ats; do
		v=$(median "$m" "$s$sfx")
		meds+=("$v")
		cells+=("$(fmt "$kind" "$v")")
	done
	echo "| $label | ${cells[0]} | ${cells[1]} | ${cells[2]} | ${cells[3]} | $(ratio "${meds[0]}" "${meds[1]}") | $(ratio "${meds[0]}" "${meds[2]}") | $(ratio "${meds[0]}" "${meds[3]}") |"
}
cpu_cell() {
	local srv wrk oth
	srv=$(median "$1.cpu_srv" "$2") wrk=$(median "$1.cpu_wrk" "$2") oth=$(median "$1.cpu_oth" "$2")
	[ -n "$srv" ] && echo "$(fmt int "$srv") / $(fmt int "$wrk") / $(fmt int "$oth")" || echo n/a
}

report() {
	local s cpu_model
	cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	{
		echo "# Pharos, nginx, Varnish and Apache Traffic Server side by side"
		echo
		echo "\`$CMDLINE\` — started $START_UTC, finished $END_UTC."
		echo "Pharos $PHAROS_REV, $(go version | cut -d' ' -f3);"
		echo "$(nginx -v 2>&1 | sed 's|nginx version: ||'), $(varnishd -V 2>&1 | grep -o 'varnish-[0-9.]*' | head -1), ATS $(traffic_server -V 2>/dev/null | sed -n 's/.*Traffic Server \([0-9.]*\).*/\1/p' | head -1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2);"
		echo "$NCPU cores ($cpu_model), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r); load average at start $LOAD_START."
		echo
		echo "All servers on 127.0.0.1 in front of one pharos-origin; wrk and the servers share the machine's cores (unpinned)."
		echo "Each cell is the median over $ROUNDS round(s); in each round every server ran each measurement once, in an order rotated from round to round, after waiting for the machine to be under ${QUIET_PCT}% busy (at most ${QUIET_MAX} s)."
		echo "wrk: \`wrk -t$THREADS -c$CONNS -d$DURATION --latency\`. Ratios are Pharos ÷ the other: above 1 means Pharos is higher (better for req/s and GiB/s, worse for latency, origin requests and bytes)."
		echo
		echo "| measurement | Pharos | nginx | Varnish | ATS | Pharos/nginx | Pharos/Varnish | Pharos/ATS |"
		echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
		row "1 KiB hits, req/s" hit1k.rps int
		row "1 KiB hits, p50" hit1k.p50 ms
		row "1 KiB hits, p99" hit1k.p99 ms
		row "1 MiB hits from memory, GiB/s" hit1m.gibs gib
		row "1 MiB hits from disk, GiB/s" hit1m-disk.gibs gib -disk
		row "$COLLAPSE_N-way collapsed miss (${COLLAPSE_DELAY} ms origin): origin requests" collapse.origin int
		row "collapsed miss: viewer p50" collapse.p50 ms
		row "collapsed miss: viewer max" collapse.max ms
		if [ "$SKIP_FILL" != 1 ]; then
			row "memory per cached object, bytes (PSS growth ÷ $(fmt int "$FILL_N") objects of $FILL_SIZE B)" fill.bpo int
			local pb ph nt at vb nb
			pb=$(median fill.bpo pharos) ph=$(median fill.heap pharos) nt=$(median fill.files nginx) at=$(median fill.files ats)
			echo "| … Pharos: index bytes per object (the above − the $FILL_SIZE B body) | $([ -n "$pb" ] && fmt int $((pb - FILL_SIZE)) || echo n/a) | | | | | | |"
			echo "| … Pharos: Go live heap per object (GODEBUG=gctrace=1, after the last GC) | $(fmt int "$ph") | | | | | | |"
			echo "| … plus the bodies outside the process: nginx's cache files on tmpfs (memory), ATS's cache file (disk), bytes per object | | $(fmt int "$nt") | | $(fmt int "$at") | | | |"
			vb=$(median fill.bpo varnish) nb=$(median fill.bpo nginx)
			[ -z "$nb" ] || [ -z "$nt" ] || nb=$((nb + nt))
			echo "| … memory per object, bodies included (process + nginx's tmpfs files; ATS keeps the bodies on disk) | $(fmt int "$pb") | $(fmt int "$nb") | $(fmt int "$vb") | n/a | $(ratio "$pb" "$nb") | $(ratio "$pb" "$vb") | n/a |"
			row "the server's PSS after the fill, MiB" fill.total.mib int
			row "filled objects still cached when read back, % ($(fmt int "$([ "$FILL_N" -le "$READBACK_N" ] && echo "$FILL_N" || echo "$READBACK_N")") read)" fill.kept raw
			row "fill rate, misses/s ($FILL_CONC connections; origin, filler and server share the cores)" fill.rate int
		fi
		echo
		echo "CPU during the wrk runs, % of all $NCPU cores: server / wrk / everything else (medians):"
		echo
		echo "| run | Pharos | nginx | Varnish | ATS |"
		echo "| --- | --- | --- | --- | --- |"
		echo "| 1 KiB hits | $(cpu_cell hit1k pharos) | $(cpu_cell hit1k nginx) | $(cpu_cell hit1k varnish) | $(cpu_cell hit1k ats) |"
		echo "| 1 MiB hits, memory | $(cpu_cell hit1m pharos) | $(cpu_cell hit1m nginx) | $(cpu_cell hit1m varnish) | $(cpu_cell hit1m ats) |"
		echo "| 1 MiB hits, disk | $(cpu_cell hit1m-disk pharos-disk) | $(cpu_cell hit1m-disk nginx-disk) | $(cpu_cell hit1m-disk varnish-disk) | $(cpu_cell hit1m-disk ats-disk) |"
		echo
		echo "Core scaling, 1 KiB hits, req/s (median):"
		echo
		echo "| server cores | Pharos | nginx | Pharos/nginx | wrk |"
		echo "| --- | --- | --- | --- | --- |"
		local k p n
		for k in $CORES; do
			[ "$k" -lt "$NCPU" ] || continue
			p=$(median "scale$k.rps" "pharos-$k") n=$(median "scale$k.rps" "nginx-$k")
			echo "| $k (taskset 0-$((k - 1)), nginx workers and Pharos event loops: $k) | $(fmt int "$p") | $(fmt int "$n") | $(ratio "$p" "$n") | cores $k-$((NCPU - 1)), -t${SCALE_THREADS:-$((NCPU - k))} |"
		done
		p=$(median hit1k.rps pharos) n=$(median hit1k.rps nginx)
		echo "| all $NCPU (unpinned, shared with wrk; the table above) | $(fmt int "$p") | $(fmt int "$n") | $(ratio "$p" "$n") | -t$THREADS |"
		echo
		echo "## Every round"
		echo
		echo "| measurement | server | rounds 1..$ROUNDS |"
		echo "| --- | --- | --- |"
		local m
		for m in hit1k.rps hit1k.p99 hit1m.gibs hit1m-disk.gibs collapse.origin collapse.p50 collapse.max; do
			for s in pharos nginx varnish ats; do
				case $m in hit1m-disk.*) s=$s-disk ;; esac
				v=$(all_rounds "$m" "$s")
				[ -n "$v" ] && echo "| $m | $s | $v |"
			done
		done
		for k in $CORES; do
			for s in pharos nginx; do
				v=$(all_rounds "scale$k.rps" "$s-$k")
				[ -n "$v" ] && echo "| scale$k.rps | $s-$k | $v |"
			done
		done
		echo
		echo "## Setup"
		echo
		echo "- Pharos: \`pharos up --origin http://$ORIGIN --cache-mem 512MiB --log-level warn\`; disk round: a second edge with \`--cache-mem 4MiB --cache-disk 2GiB\` (its memory tier keeps nothing over 512 KiB, so 1 MiB hits come from the disk tier, sent with sendfile(2))."
		echo "- nginx: bench/compare/nginx.conf, \`worker_processes auto\` ($NCPU workers), proxy_cache on tmpfs (/dev/shm) for the memory rounds and in a directory on the root file system for the disk round, proxy_cache_lock on, keep-alive to the origin, access_log off."
		echo "- Varnish: bench/compare/default.vcl (built-in VCL), \`-s malloc,512m\`, default thread pools; disk round: \`-s file,<temp>/storage.bin,2g\` (the open-source file storage: an mmap'ed file, not persistent across restarts)."
		echo "- ATS: bench/compare/ats/ (records.config, remap.config, storage.config, ip_allow.yaml, logging.yaml), traffic_server run directly from a runroot in a temp dir, 2 GiB cache file, 512 MiB RAM cache; disk round: no RAM cache (ram_cache.size 0, checked in stats_over_http), so 1 MiB hits are read from the cache file."
		echo "- Every measured object was warmed first and checked to be a hit by the server's own indicator (Pharos X-Cache, nginx X-Cache-Status, Varnish's two X-Varnish ids, ATS Via codes) and by the origin's X-Origin-Count not changing; the origin's request counter for the object is read before and after each wrk run."
		echo "- All disk caches live on the root file system and are read through the page cache (the machine has spare memory), so the disk round measures each server's file-serving path, not the disk."
		echo "- The collapse viewers each have their own keep-alive connection, opened before the barrier; latency runs from the barrier to the last body byte. nginx's waiting requests poll the cache lock every 500 ms."
		if [ "$SKIP_FILL" != 1 ]; then
			local fmb=$(((FILL_N + FILL_WARM) * 2 / 1024))
			[ "$fmb" -ge 512 ] || fmb=512
			echo "- Memory per object: a fresh instance of each server (the memory rounds' configuration, with room for every object: Pharos --cache-mem, Varnish malloc and ATS's RAM cache ${fmb} MiB, i.e. 512 MiB or 2 KiB per object if more; ATS cache file 8 KB per object, at least 2 GiB; nginx's 256 MB key zone holds 2M keys), one at a time. First $(fmt int "$FILL_WARM") warm-up objects with the same $FILL_CONC connections (so per-connection threads, buffers and pools are in the baseline), then PSS (summed over the server's processes; shared pages such as nginx's key zone counted once), then $(fmt int "$FILL_N") objects of $FILL_SIZE bytes (GET /fill/<server>/<i>, each once), then PSS again 5 s later: figure = PSS growth ÷ objects. Then $([ "$FILL_N" -le "$READBACK_N" ] && echo "every object is" || echo "$(fmt int "$READBACK_N") objects spread evenly over them are") read once more, to check that they are still cached (the origin's X-Origin-Count must still be 1); PSS after that read is in fill.txt. Pharos and Varnish (malloc) keep the objects in their own memory. nginx keeps bodies only in files: its figure is its key zone and process memory, and its cache files on tmpfs (a 4 KiB page each, plus kernel inodes not counted) are the extra row. ATS writes every object to its cache file on disk (the extra row; read through the page cache) and puts an object in its RAM cache only at its second read from there (its counters are in fill.txt); its directory (10 bytes per entry, one entry per 1000 bytes of cache file) is allocated at start, in the baseline. Go (Pharos) collects garbage when the heap has doubled (GOGC=100), so its PSS includes not yet collected garbage; the gctrace row is the live heap alone. Raw figures: $OUT/fill.txt."
		fi
		echo
		if [ -s "$OUT/notes.md" ]; then
			echo "## Notes"
			echo
			cat "$OUT/notes.md"
			echo
		fi
		echo "Raw wrk outputs, collapse and fill results and logs: \`$OUT/\`."
	} >"$MD"
}

# ------------------------------------------------------------------- main

# All of the script is in functions and the last line runs main and exits,
# so editing this file while it runs cannot change what the run does.
main() {
	local p name s
	if [ -n "${REPORT_ONLY:-}" ]; then
		# Render the report again from a finished run's results.
		OUT=${REPORT_ONLY%/}
		MD=$OUT.md
		RES=$OUT/results.tsv
		# shellcheck disable=SC1091
		. "$OUT/meta.env"
		report
		cat "$MD"
		return 0
	fi
	CMDLINE="ROUNDS=$ROUNDS FILL_N=$FILL_N$([ "$SKIP_FILL" != 1 ] || echo ' SKIP_FILL=1')${CORES:+ CORES=\"$CORES\"} DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS bench/compare.sh"
	START_UTC=$(date -u +%FT%TZ)
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	mkdir -p "$OUT"
	: >"$OUT/notes.md"
	mkdir -p "$OUT/logs"
	RES=$OUT/results.tsv
	: >"$RES"

	install_packages
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	[ "$(ulimit -n)" -ge 4096 ] || note "open files limit is $(ulimit -n)"

	# The temp dir and the binaries built into it avoid the word "pharos": on a
	# shared machine other work may stop stray processes by name (pkill -f
	# pharos), which must not hit the servers under test.
	T=$(mktemp -d /tmp/cdncmp.XXXXXX)
	chmod 755 "$T" # nginx workers (www-data) and varnishd's children read their files here
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then SHM=$(mktemp -d /dev/shm/cdncmp.XXXXXX); else SHM=$(mktemp -d "$T/shm.XXXXXX"); fi
	chmod 755 "$SHM"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$T/varnish-disk"

	log "building pharos (as cdn-edge), pharos-origin (as cdn-origin), bench/collapse and bench/fill into $T/bin"
	mkdir -p "$T/bin"
	go build -o "$T/bin/cdn-edge" ./cmd/pharos
	go build -o "$T/bin/cdn-origin" ./cmd/pharos-origin
	go build -o "$T/bin/collapse" ./bench/collapse
	go build -o "$T/bin/fill" ./bench/fill
	# What was built: HEAD, and whether the product code (outside bench/)
	# differed from it.
	PHAROS_REV="commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	if [ -n "$(git status --porcelain -- . ':!bench' 2>/dev/null)" ]; then
		PHAROS_REV="$PHAROS_REV with uncommitted changes outside bench/"
	fi
	PHAROS_REV="$PHAROS_REV, built $(date -u +%FT%TZ)"

	for p in $(pgrep -x nginx) $(pgrep -x varnishd) $(pgrep -f '^traffic_server|TS_MAIN'); do
		note "a server not started by this script is running (pid $p, $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80)): it may take CPU during the runs"
	done

	port_free "$BASE_PORT"
	start_origin

	log "starting $SERVERS ($ROUNDS rounds, wrk -t$THREADS -c$CONNS -d$DURATION)"
	start_main
	main_rounds
	check_ats_ram
	for name in "${!ROOT[@]}"; do stop "$name"; done

	if [ -n "$CORES" ]; then
		scale_rounds
	fi

	if [ "$SKIP_FILL" != 1 ]; then
		curl -fsS -X POST -o /dev/null "http://$ORIGIN/_origin/reset"
		for s in $SERVERS; do fill_one "$s"; done
		# MiB for the report.
		awk -F'\t' '$1 == "fill.total" { printf "fill.total.mib\t%s\t%s\t%d\n", $2, $3, $4 / 1048576 }' "$RES" >"$T/mib.tsv"
		cat "$T/mib.tsv" >>"$RES"
	fi

	END_UTC=$(date -u +%FT%TZ)
	# Everything the report needs, for REPORT_ONLY=<this run's dir>.
	declare -p CMDLINE START_UTC END_UTC LOAD_START PHAROS_REV ROUNDS DURATION CONNS THREADS \
		FILL_N FILL_SIZE FILL_CONC FILL_WARM READBACK_N SKIP_FILL COLLAPSE_N COLLAPSE_DELAY \
		CORES SCALE_THREADS QUIET_PCT QUIET_MAX NCPU ORIGIN >"$OUT/meta.env"
	report
	cat "$MD"
	log "report: $MD; raw: $OUT/"
}

main "$@"
exit

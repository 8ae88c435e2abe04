#!/bin/bash
# The guest half of scripts/bench.sh: run inside the VM by scripts/vm.sh (as
# root, in the checkout, with brkwatch loaded). Runs each workload under each
# tracer, the tracers alternating within each round, then the scale part, and
# prints one line per fact on stdout, for bench.sh to parse:
#   BENCH info KEY VALUE...
#   BENCH run ROUND TRACER WORKLOAD name=... iters=N ns_total=... ns_per_iter=...
#   BENCH brkcalls WORKLOAD CALLS_PER_ITER        (brkwatch's calls_seen delta)
#   BENCH na TRACER REASON...
#   BENCH scale ROUND MODE name=scale tracked=N spawned=N iters=... ns_per_iter=...
#   BENCH mem KEY VALUE
#   BENCH status WHEN KEY VALUE                   (brkwatch's counters)
#   BENCH profile ...                             (with --profile)
# Progress goes to stderr. Leaves brkwatch loaded, as vm.sh expects.
#
# Usage: scripts/bench-guest.sh [--rounds N] [--scale-rounds N]
#          [--tracers LIST] [--workloads LIST] [--quick] [--profile]
set -u

BIN=.cache/bench
KO=.cache/build/$(uname -r)/brkwatch.ko
FLOOR_KO=.cache/build/$(uname -r)-floor/brkwatch_floor.ko
STATUS=/proc/brkwatch/status
TMP=/tmp/bench
rounds=5
scale_rounds=3
tracers=bare,brkwatch,stacks,floor,syscall-floor,strace,perf,bpftrace,ftrace
workloads=growshrink,brkquery,mallocheavy,getppid,mprotect,mmapmunmap,pagefault
# Those that call brk() in their loop: the only ones "stacks" runs.
BRK_WORKLOADS=" growshrink brkquery mallocheavy "
calls_brk() {	# WORKLOAD
	[ -z "${BRK_WORKLOADS##* "$1" *}" ]
}
quick=
profile=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--scale-rounds) scale_rounds=$2; shift ;;
	--tracers) tracers=$2; shift ;;
	--workloads) workloads=$2; shift ;;
	--quick) quick=1 ;;
	--profile) profile=1 ;;
	*) echo "bench-guest.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
tracers=${tracers//,/ }
workloads=${workloads//,/ }
mkdir -p "$TMP"

say() { echo "bench: $*" >&2; }
out() { echo "BENCH $*"; }

# Iterations per workload (bare ~0.1-0.3 s each under TCG), divided for the
# tracers that make each call much slower, so that one round stays short.
declare -A ITERS=([growshrink]=10000 [brkquery]=100000 [getppid]=200000
	[mallocheavy]=100 [clock]=100000 [mprotect]=50000 [mmapmunmap]=20000
	[pagefault]=25600)
declare -A DIV=([strace]=100 [perf]=5 [bpftrace]=10)
MIN_ITERS=4
SCALE_ITERS=5000
SCALE_STOPS="1 100 10000"
if [ -n "$quick" ]; then
	for w in "${!ITERS[@]}"; do ITERS[$w]=$((ITERS[$w] / 10)); done
	SCALE_ITERS=500
	SCALE_STOPS="1 100 1000"
fi
iters_for() {	# TRACER WORKLOAD
	local n=${ITERS[$2]} d=${DIV[$1]:-1}
	n=$((n / d))
	[ "$n" -ge "$MIN_ITERS" ] || n=$MIN_ITERS
	echo "$n"
}

# ---- facts about the guest ----
krel=$(uname -r)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
accel=unknown
case $cpu in
*TCG*) accel=tcg ;;
*) grep -qw hypervisor /proc/cpuinfo && accel=kvm || accel=none ;;
esac
out info kernel "$krel"
out info cpu "$cpu"
out info cpus "$(nproc)"
out info accel "$accel"
out info clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
out info rounds "$rounds"
out info scale_rounds "$scale_rounds"
for w in $workloads; do
	out info iters "$w" "${ITERS[$w]}" strace "$(iters_for strace "$w")" \
		perf "$(iters_for perf "$w")" bpftrace "$(iters_for bpftrace "$w")"
done

# ---- brkwatch: unloaded except for its runs ----
have_module() { [ -e /sys/module/brkwatch ]; }
unload() {
	if have_module; then rmmod brkwatch || { say "rmmod brkwatch failed"; return 1; }; fi
}
load() {
	have_module || insmod "$KO" || { say "insmod $KO failed"; return 1; }
}
status_get() {	# KEY
	sed -n "s/^$1: //p" "$STATUS" 2>/dev/null
}
# What brkwatch probes (its status's "probes:" line), for the floor to
# probe the same places; among them where it follows brk()'s lock (the
# first "function+0xOFFSET"; down_write_killable where it found no such
# place).
probes=
lock_point=
if [ -f "$KO" ] && load; then
	probes=$(status_get probes)
	lock_point=$(echo "$probes" | tr ' ' '\n' | grep -m 1 '+0x')
fi
out info probes "$probes"
out info lock_point "${lock_point:-down_write_killable}"
unload || exit 1
[ -f "$KO" ] || { out na brkwatch "$KO missing"; }

# ---- the tracers: start (per round) / wrap (per run) / stop ----
PERF=
perf_pick() {
	local mm
	mm=${krel%%.*}.$(echo "$krel" | cut -d. -f2 | sed 's/[^0-9].*//')
	if [ -x "/usr/bin/perf_$mm" ]; then
		PERF=/usr/bin/perf_$mm
	elif command -v perf >/dev/null; then
		PERF=$(command -v perf)
	fi
	[ -n "$PERF" ] || return 1
	local v
	v=$("$PERF" --version 2>/dev/null | awk '{print $3}')
	out info perf "$PERF" "$v"
	case $v in
	"$mm".*) ;;
	*) out info perf_note "perf $v on kernel $krel (no perf_$mm installed)" ;;
	esac
}

# The floor module's probes= for TRACER: brkwatch's places (floor), or its
# syscall entries alone (syscall-floor: what hooking the call and its
# return costs before any probe inside brk()).
floor_probes() {	# TRACER
	if [ "$1" = floor ]; then
		echo "${probes// /,}"
	else
		echo "$probes" | tr ' ' '\n' | grep '_sys_brk$' | paste -sd,
	fi
}

bgpid=
reason=
perf_ok=
tracer_start() {	# TRACER: sets reason and fails when it cannot run
	reason=
	case $1 in
	bare) unload ;;
	brkwatch | stacks)
		[ -f "$KO" ] || { reason="$KO missing"; return 1; }
		load || { reason="insmod failed: $(dmesg | tail -n 1)"; return 1; }
		;;
	floor | syscall-floor)
		[ -f "$FLOOR_KO" ] || { reason="$FLOOR_KO missing"; return 1; }
		[ -n "$probes" ] || { reason="brkwatch's probes unknown"; return 1; }
		insmod "$FLOOR_KO" probes="$(floor_probes "$1")" ||
			{ reason="insmod failed: $(dmesg | tail -n 1)"; return 1; }
		;;
	strace)
		command -v strace >/dev/null || { reason="strace not installed"; return 1; }
		;;
	perf)
		[ -n "$PERF" ] || perf_pick || { reason="perf not installed"; return 1; }
		[ -z "$perf_ok" ] || return 0
		if ! timeout 120 "$PERF" trace -e brk -o "$TMP/perf.out" -- true 2>"$TMP/perf.err"; then
			reason="perf trace fails: $(grep -v '^$' "$TMP/perf.err" | head -n 1)"
			return 1
		fi
		perf_ok=1
		;;
	bpftrace)
		command -v bpftrace >/dev/null || { reason="bpftrace not installed"; return 1; }
		[ -e /sys/kernel/btf/vmlinux ] || { reason="no BTF (/sys/kernel/btf/vmlinux)"; return 1; }
		: >"$TMP/bt.out"
		bpftrace -o "$TMP/bt.out" scripts/bench/brk.bt 2>"$TMP/bt.err" &
		bgpid=$!
		local t=0
		say "$1: waiting for bpftrace to attach"
		while ! grep -q READY "$TMP/bt.out" 2>/dev/null; do
			if ! kill -0 "$bgpid" 2>/dev/null || [ $t -ge 300 ]; then
				reason="bpftrace did not start (in $t s): $(grep -v '^$' "$TMP/bt.err" | head -n 2 | tr '\n' ' ')"
				stop_bg
				return 1
			fi
			sleep 1
			t=$((t + 1))
		done
		;;
	ftrace)
		command -v trace-cmd >/dev/null || { reason="trace-cmd not installed"; return 1; }
		[ -e /sys/kernel/tracing/events/syscalls/sys_enter_brk ] ||
			{ reason="no syscalls:sys_enter_brk event"; return 1; }
		if ! timeout 120 trace-cmd start -e syscalls:sys_enter_brk -e syscalls:sys_exit_brk \
			>/dev/null 2>"$TMP/tc.err"; then
			reason="trace-cmd start fails: $(head -n 1 "$TMP/tc.err")"
			return 1
		fi
		;;
	*) reason="unknown tracer"; return 1 ;;
	esac
}

# bpftrace ends on SIGINT, but may not while it attaches: then SIGKILL.
stop_bg() {
	[ -n "$bgpid" ] || return 0
	kill -INT "$bgpid" 2>/dev/null
	local _
	for _ in $(seq 1 30); do
		kill -0 "$bgpid" 2>/dev/null || break
		sleep 1
	done
	kill -KILL "$bgpid" 2>/dev/null
	wait "$bgpid" 2>/dev/null
	bgpid=
}

tracer_stop() {	# TRACER
	case $1 in
	brkwatch | stacks) unload ;;
	floor | syscall-floor) rmmod brkwatch_floor || say "rmmod brkwatch_floor failed" ;;
	bpftrace)
		stop_bg
		local lost
		lost=$(grep -c '^Lost' "$TMP/bt.out" 2>/dev/null)
		[ "${lost:-0}" = 0 ] || say "bpftrace reported lost events ($lost lines)"
		rm -f "$TMP/bt.out"
		;;
	ftrace)
		timeout 120 trace-cmd stop >/dev/null 2>&1
		timeout 120 trace-cmd reset >/dev/null 2>&1
		;;
	esac
	rm -f "$TMP/strace.out" "$TMP/perf.out"
}

run_one() {	# ROUND TRACER WORKLOAD
	local n line before after
	n=$(iters_for "$2" "$3")
	[ "$2" != brkwatch ] || before=$(status_get calls_seen)
	case $2 in
	strace) line=$(timeout 300 strace -f -e trace=brk -o "$TMP/strace.out" "$BIN/$3" "$n") ;;
	perf) line=$(timeout 300 "$PERF" trace -e brk -o "$TMP/perf.out" -- "$BIN/$3" "$n") ;;
	stacks)
		# brkwatch, with "stacks PID" for the workload before it starts
		# shellcheck disable=SC2016 # $$, $0 and $1 are the inner shell's
		line=$(timeout 300 sh -c 'echo "stacks $$" >/proc/brkwatch/control &&
			exec "$0" "$1"' "$BIN/$3" "$n")
		;;
	*) line=$(timeout 300 "$BIN/$3" "$n") ;;
	esac
	case $line in
	name=*) out run "$1" "$2" "$3" "$line" ;;
	*) say "round $1: $3 under $2 failed: '$line'"; out fail "$1" "$2" "$3" ;;
	esac
	if [ "$2" = brkwatch ] && [ "$1" = 1 ]; then
		after=$(status_get calls_seen)
		out brkcalls "$3" "$(awk -v a="$after" -v b="$before" -v n="$n" \
			'BEGIN { printf "%.2f", (a - b) / n }')"
	fi
}

# Another process calls brk() under every tracer while a workload that never
# does runs: those are measured while brkwatch records someone else. It is
# stopped while a brk() caller runs, whose clock would count its calls too,
# except under perf: on 6.12 with --icount, "perf trace -- COMMAND" never
# returns when nothing else runs in the guest (seen with perf 6.1.192).
"$BIN/brkticker" &
ticker=$!
trap 'kill -KILL "$ticker" 2>/dev/null' EXIT
ticker_for() {	# TRACER WORKLOAD
	if [ "$1" != perf ] && calls_brk "$2"; then
		kill -STOP "$ticker"
	else
		kill -CONT "$ticker"
	fi
}

declare -A NA=()
t_start=$(date +%s)
for r in $(seq 1 "$rounds"); do
	for t in $tracers; do
		[ -z "${NA[$t]:-}" ] || continue
		if ! tracer_start "$t"; then
			NA[$t]=1
			out na "$t" "$reason"
			say "$t: n/a: $reason"
			tracer_stop "$t"
			continue
		fi
		# Let what the last tracer's teardown left (RCU callbacks, freed
		# buffers, module unload) finish before the clock starts.
		sync
		sleep 2
		say "round $r: $t"
		for w in $workloads; do
			[ "$t" != stacks ] || calls_brk "$w" || continue
			ticker_for "$t" "$w"
			run_one "$r" "$t" "$w"
		done
		if [ "$t" = stacks ]; then
			for k in stacks_stored stacks_dropped_ring stacks_dropped_nomem \
				stacks_short; do
				out status "stacks$r" "$k" "$(status_get "$k")"
			done
		fi
		if [ "$t" = brkwatch ]; then
			for k in records_stored records_dropped_ring records_dropped_memcap \
				records_dropped_nomem kretprobe_missed inflight_overflow \
				unknown_verdicts; do
				out status "round$r" "$k" "$(status_get "$k")"
			done
		fi
		tracer_stop "$t"
	done
	say "round $r of $rounds done ($(($(date +%s) - t_start)) s)"
done
out info matrix_seconds $(($(date +%s) - t_start))
kill -KILL "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
trap - EXIT

# ---- memory per record: a few processes, ~1000 records each ----
t_start=$(date +%s)
if [ -f "$KO" ]; then
	unload && load && sleep 1
	m0=$(status_get memory_bytes)
	r0=$(status_get records_stored)
	p0=$(($(status_get processes_running) + $(status_get processes_exited)))
	for _ in 1 2 3 4 5 6 7 8; do "$BIN/brkquery" 1000 >/dev/null; done
	sleep 1.5	# the worker's refill of the pools
	m1=$(status_get memory_bytes)
	r1=$(status_get records_stored)
	p1=$(($(status_get processes_running) + $(status_get processes_exited)))
	out mem ring_memory_delta $((m1 - m0))
	out mem ring_records_delta $((r1 - r0))
	out mem ring_processes_delta $((p1 - p0))
	out mem record_bytes "$(status_get record_bytes)"
	out mem records_per_process "$(status_get records_per_process)"
fi

# ---- memory per short process: 1000 of 1, 2 and 3 calls each ----
# memory_bytes counts each history's file and its process's pid at
# status's file_bytes and pid_bytes; what the kernel's caches of them grew
# by is read apart, from /proc/slabinfo (objects, in whole slabs, times
# their size there).
slab_bytes() {	# CACHE
	awk -v c="$1" '$1 == c { print $3 * $4 }' /proc/slabinfo
}
if [ -f "$KO" ]; then
	out mem file_bytes "$(status_get file_bytes)"
	out mem pid_bytes "$(status_get pid_bytes)"
	for calls in 1 2 3; do
		sleep 1.5	# the pools full again, as after the loop
		m0=$(status_get memory_bytes)
		f0=$(slab_bytes proc_dir_entry)
		i0=$(slab_bytes pid)
		p0=$(($(status_get processes_running) + $(status_get processes_exited)))
		"$BIN/smallprocs" 1000 "$calls"
		sleep 1.5
		m1=$(status_get memory_bytes)
		f1=$(slab_bytes proc_dir_entry)
		i1=$(slab_bytes pid)
		p1=$(($(status_get processes_running) + $(status_get processes_exited)))
		out mem "small${calls}_memory_delta" $((m1 - m0))
		out mem "small${calls}_processes_delta" $((p1 - p0))
		out mem "small${calls}_pde_slab_delta" $((f1 - f0))
		out mem "small${calls}_pid_slab_delta" $((i1 - i0))
	done
fi

# ---- scale: the grow/shrink loop with 1, 100, 10,000 tracked processes ----
for r in $(seq 1 "$scale_rounds"); do
	for mode in bare brkwatch; do
		if [ $mode = brkwatch ]; then
			[ -f "$KO" ] || continue
			load || continue
			sleep 1
			m0=$(status_get memory_bytes)
			r0=$(status_get records_stored)
		else
			unload
		fi
		# shellcheck disable=SC2086 # a list
		"$BIN/scale" "$SCALE_ITERS" $SCALE_STOPS | while read -r line; do
			out scale "$r" "$mode" "$line"
		done
		if [ $mode = brkwatch ]; then
			sleep 1.5
			if [ "$r" = 1 ]; then
				out mem scale_memory_before "$m0"
				out mem scale_memory_after "$(status_get memory_bytes)"
				out mem scale_records_delta $(($(status_get records_stored) - r0))
				out mem scale_processes "$(($(status_get processes_running) + $(status_get processes_exited)))"
				out mem scale_dropped_nomem "$(status_get records_dropped_nomem)"
				out mem scale_dropped_memcap "$(status_get records_dropped_memcap)"
			fi
			unload
		fi
	done
	say "scale round $r of $scale_rounds done ($(($(date +%s) - t_start)) s)"
done
out info scale_seconds $(($(date +%s) - t_start))

# ---- profile: where brkwatch's time goes (--profile) ----
if [ -n "$profile" ]; then
	t_start=$(date +%s)
	# The clocksource's cost: clock_gettime() through the syscall vs getppid.
	for r in 1 2 3; do
		for w in getppid clock; do
			out profile clock "$r" "$("$BIN/$w" "${ITERS[clock]}")"
		done
	done
	# perf's sampling of the whole guest while brkwatch records brk(0) and grow/shrink.
	[ -n "$PERF" ] || perf_pick
	if [ -n "$PERF" ] && load; then
		sleep 1
		for w in brkquery growshrink; do
			"$PERF" record -e cpu-clock -F 4000 -a -g -o "$TMP/perf.data" -- \
				"$BIN/$w" "${ITERS[$w]}" >/dev/null 2>"$TMP/perf.err"
			"$PERF" report -i "$TMP/perf.data" --no-children --sort sym --stdio -g none \
				2>/dev/null | grep -E '^ +[0-9]' | head -n 40 |
				while read -r l; do out profile self "$w" "$l"; done
			"$PERF" report -i "$TMP/perf.data" --children --sort sym --stdio -g none \
				2>/dev/null | grep -E '^ +[0-9]' | head -n 60 |
				while read -r l; do out profile children "$w" "$l"; done
			rm -f "$TMP/perf.data"
		done
		unload
	fi
	out info profile_seconds $(($(date +%s) - t_start))
fi

# vm.sh unloads the module and checks that it unloads.
load
exit 0

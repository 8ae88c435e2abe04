#!/bin/bash
# brkwatch's benchmark: one VM boot per kernel; in it, each workload under
# each tracer (bare, brkwatch, brkwatch with stacks, strace, perf trace,
# bpftrace, ftrace), alternating, several rounds; then the per-call cost
# with 1, 100 and 10,000 tracked processes and the module's memory. Prints
# a table, or with --json one JSON document. See --help.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/bench.sh [--kernel NAME]... [--json] [OPTIONS]

Boots each kernel asked for (default 6.1; one of $KERNELS, repeatable)
once in QEMU and, in that boot, runs scripts/bench-guest.sh: each workload
(scripts/bench/*.c) under each tracer, the tracers alternating within each
round, medians over the rounds and ratios to the bare kernel; then the
grow/shrink loop's cost with 1, 100 and 10,000 tracked processes and
brkwatch's memory per record.

Options:
  --kernel NAME     a kernel of the matrix (repeatable; default 6.1)
  --json            print one JSON document with every number, not the table
  --rounds N        rounds of the tracer matrix (default 5)
  --scale-rounds N  rounds of the scale part (default 3)
  --tracers LIST    comma-separated, from bare,brkwatch,stacks,floor,
                    syscall-floor,strace,perf,bpftrace,ftrace (the default:
                    all of them). stacks is brkwatch with "stacks PID" for
                    the workload (the brk() callers only; its cost per call
                    over brkwatch is printed); floor is brkwatch's probes
                    with empty handlers (scripts/bench/floor/): what the
                    kprobe mechanism costs by itself; syscall-floor the same
                    on the brk syscall's entries alone (the kretprobe that
                    follows each call and its return, no probe inside brk())
  --workloads LIST  from growshrink,brkquery,mallocheavy (brk() callers) and
                    getppid,mprotect,mmapmunmap,pagefault (processes that
                    never call brk() in their loop, measured while another
                    process calls it every millisecond); default all
  --quick           a tenth of the iterations, 1,000 processes at most: a
                    smoke test of the script, not a measurement
  --profile         also: the clocksource's cost and perf's sampling of the
                    guest while brkwatch records (where its time goes)
  --icount          count instructions, not time: the guest's clock
                    advances 8 ns per instruction (scripts/vm.sh --icount
                    3), with one vCPU. Every round then gives the same
                    numbers whatever the host does, so that small ratios
                    can be told apart; they are instruction counts, which
                    leave out what a real CPU's caches and traps cost
  --hpet            keep the clocksource the guest picks by itself under TCG
                    (HPET) instead of booting with tsc=reliable (below)
  --raw FILE        only format FILE, the guest's output of an earlier run
  -h, --help        this text

The guest boots with tsc=reliable: under TCG the kernel finds the vCPUs'
TSCs out of step and falls back to HPET, each read of which is an emulated
device access costing about half a microsecond. No real machine keeps time
that way, and it weighs only on the tracers that read CLOCK_MONOTONIC in
the kernel (brkwatch, bpftrace's nsecs), not on those that timestamp with
the scheduler clock, which still reads the TSC (ftrace, perf).

Installs what is missing with apt-get (root): $BENCH_PACKAGES.
Results stay in .cache/bench/results/: NAME.raw (the guest's output for
kernel NAME; --raw formats it again) and latest.json (the last run).
EOF
}

# The Debian packages the benchmark needs (and only installs when missing).
BENCH_PACKAGES="gcc libc6-dev strace linux-perf bpftrace trace-cmd python3"

kernels=
json=
guest_args=()
raw=
cmdline=tsc=reliable
vm_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_arg "${2:-}"
		kernels="$kernels $2"
		shift
		;;
	--json) json=1 ;;
	--rounds | --scale-rounds | --tracers | --workloads)
		[ $# -ge 2 ] || die "$1 needs a value"
		guest_args+=("$1" "$2")
		shift
		;;
	--quick | --profile) guest_args+=("$1") ;;
	--hpet) cmdline= ;;
	--icount) vm_args=(--icount 3) ;;
	--raw)
		[ $# -ge 2 ] || die "--raw needs a FILE"
		raw=$2
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$kernels" ] || kernels=6.1

report() {	# FILE... -> table or JSON on stdout
	python3 "$REPO/scripts/bench/report.py" ${json:+--json} "$@"
}

if [ -n "$raw" ]; then
	report "$raw"
	exit
fi

# ---- tools: install what is missing ----
missing=
for p in $BENCH_PACKAGES; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root to install them)"
	note "installing:$missing"
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing >&2 || die "apt-get install$missing failed"
fi

# ---- workloads: built on the host (the guest sees it read-only) ----
BIN=$CACHE/bench
mkdir -p "$BIN" "$BIN/results"
for src in "$REPO"/scripts/bench/*.c; do
	name=$(basename "$src" .c)
	if [ ! -x "$BIN/$name" ] || [ "$src" -nt "$BIN/$name" ] ||
		[ "$REPO/scripts/bench/bench.h" -nt "$BIN/$name" ]; then
		gcc -O2 -Wall -Wextra -Werror -o "$BIN/$name" "$src" ||
			die "building $src failed"
	fi
done

# The floor module (scripts/bench/floor/), built apart from brkwatch for
# each kernel, where its headers are (kernel_exec): its objects go to
# .cache/build/RELEASE-floor/.
build_floor() {	# NAME
	local rel dir
	kernel_setup "$1"
	rel=$(kernel_release "$1")
	dir=$CACHE/build/$rel-floor
	mkdir -p "$dir"
	ln -sf "$REPO/scripts/bench/floor/Kbuild" "$REPO/scripts/bench/floor/brkwatch_floor.c" \
		"$REPO/module/compat.h" "$dir/"
	kernel_exec "$1" make -s -C "/lib/modules/$rel/build" M="$dir" modules >&2 ||
		die "building the floor module for $rel failed"
}

# ---- one boot per kernel ----
files=()
for k in $kernels; do
	build_floor "$k"
	out=$BIN/results/$k.raw
	note "kernel $k: booting (TCG: allow ~10 minutes)"
	start=$(date +%s)
	rc=0
	# One host thread for every vCPU: probes come and go in each round.
	"$REPO/scripts/vm.sh" --kernel "$k" --timeout 2400 --tcg-single-thread --cmdline "$cmdline" \
		"${vm_args[@]}" -- scripts/bench-guest.sh "${guest_args[@]}" >"$out" || rc=$?
	[ ${#vm_args[@]} = 0 ] || echo "BENCH info icount_shift ${vm_args[1]}" >>"$out"
	echo "BENCH info wall_seconds $(($(date +%s) - start))" >>"$out"
	echo "BENCH info vm_status $rc" >>"$out"
	[ "$rc" = 0 ] || note "kernel $k: the VM run failed (status $rc): partial results"
	files+=("$out")
done
python3 "$REPO/scripts/bench/report.py" --json "${files[@]}" >"$BIN/results/latest.json" ||
	note "could not write $BIN/results/latest.json"
report "${files[@]}"
note "kept: the guest's output in $BIN/results/NAME.raw, all of it as JSON in $BIN/results/latest.json"

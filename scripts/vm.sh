#!/bin/bash
# Boot one kernel of the matrix in QEMU, load brkwatch.ko, run a command in
# the checkout, unload the module, and fail on any kernel trouble.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/vm.sh --kernel NAME [OPTIONS] -- COMMAND [ARGS...]
       scripts/vm.sh --list

Boots kernel NAME of the matrix ($KERNELS)
in QEMU with the host's filesystem visible read-only and a writable tmpfs
on /tmp, loads the brkwatch.ko built for that kernel, runs COMMAND in the
checkout ($REPO) and unloads the module.
Whatever is out of date (module for NAME, userspace/, selftests/) is rebuilt
first, so an edit is always what runs: the module where NAME's headers are
(the host, or for 5.10, newest and debug the release's chroot that
scripts/setup.sh made in .cache/chroots/, which needs root), the rest on the
host. debug is a kernel built from Debian's $DEBUG_SOURCE with KASAN,
lockdep, kmemleak, KFENCE, UBSAN and DEBUG_VM (scripts/debug-kernel.sh: the
first time, or after its config changes, 8-17 minutes on 2 cores); after
rmmod, kmemleak scans and any leak it suspects fails the run. A guest
kernel that crashes while booting, before anything of brkwatch ran (seen
on 7.3 under multi-threaded TCG), is booted once more, and said so.

COMMAND's stdout and stderr are printed as they come; the kernel log is kept
apart and printed when something fails. COMMAND's environment has
BRKWATCH_KERNEL (NAME) and BRKWATCH_KO (the brkwatch.ko built for NAME).

Options:
  --kernel NAME        a kernel of the matrix (required); it is set up
                       first if needed (scripts/setup.sh)
  --list               print each kernel name with the release it resolves
                       to (as set up now), and the compile lane's flavours
  --no-module          do not load (nor build) brkwatch.ko
  --module-args ARGS   module parameters for insmod, e.g. 'foo=1 bar=2'
  --user NAME          run COMMAND as this (unprivileged) user of the guest;
                       the guest uses the host's /etc/passwd
  --timeout SECONDS    hard limit for the whole VM run (default: 600)
  --accel tcg|kvm      force the accelerator (default: KVM if a bounded trial
                       boot works, cached in .cache/accel; else TCG)
  --tcg-single-thread  run every vCPU on one host thread (TCG only): needed to
                       load and unload kprobe modules under load, see below
  --cmdline ARGS       more kernel command line, e.g. 'tsc=reliable'
  --icount SHIFT       the guest's clock counts instructions, 2^SHIFT ns each
                       (QEMU's -icount shift=SHIFT,sleep=off; 0 to 10): the
                       same program takes the same guest time in every run,
                       whatever the host does. TCG with one vCPU (QEMU 7.2
                       hangs bringing up a second one under -icount); for
                       benchmarks, which then compare instruction counts,
                       not what a real CPU would take
  --kernel-checks      turn on the kernel's error detectors that NAME has
                       built in but off: slub_debug=FZPU (SLUB_DEBUG),
                       page_poison=1 (PAGE_POISONING), and
                       kfence.sample_interval=10 (KFENCE); for test runs
  --kernel-checks-light  the same, but slub_debug only for the module's own
                       caches (brkwatch_*): for long stress runs, which every
                       slab's checks slow down several times on PREEMPT_RT
  --no-build           do not rebuild anything first
  --show-log           print the kernel log after the run even on success
  -h, --help           this text

Exit status: COMMAND's, or 125 when the run itself failed: the VM did not
finish in time or died, the module failed to load or to unload, or the guest
kernel logged an oops, BUG, WARNING, lockdep, KASAN or KFENCE report, RCU
stall, soft lockup or hung task, a slab or page corruption report (the
offending lines are printed), or a command of vm.sh itself failed.
The last run's logs stay in .cache/logs/NAME/.

Multi-threaded TCG (QEMU's default) runs each vCPU on its own host thread and
does not honour the kernel's cross-modifying code protocol (text_poke_bp():
int3, sync IPI, new bytes, sync IPI): a vCPU can still execute the int3 of a
patch that has already completed. ftrace patches call sites whenever kprobes
are registered or removed, so loading or unloading brkwatch while other
vCPUs run the probed functions oopses there ("int3" at down_write_killable+4,
or an ftrace kprobe taken as an int3 one). --tcg-single-thread avoids it;
the vCPUs still interleave.
EOF
}

# NAME, the kernel release and Debian version it resolves to as set up now,
# where its headers live; the compile lane's flavours marked as such.
list_kernels() {
	local k hv what
	for k in $COMPILE_KERNELS; do
		case " $KERNELS " in
		*" $k "*) what=boot ;;
		*) what=compile ;;
		esac
		# shellcheck disable=SC2046 # RELEASE VERSION
		set -- $(kernel_headers "$k")
		if [ $# -eq 2 ]; then
			hv="$1 $2"
			[ "$what" = compile ] || kernel_ready "$k" || hv="$hv (image not set up)"
		else
			hv="(not set up: scripts/setup.sh --kernel $k)"
		fi
		printf '%-13s %-8s %-8s %s\n' "$k" "$what" "$(kernel_suite "$k")" "$hv"
	done
	# shellcheck disable=SC2046 # RELEASE VERSION
	set -- $(kernel_headers debug)
	hv="(not built: scripts/setup.sh --kernel debug)"
	[ $# -ne 2 ] || hv="$1 built from $DEBUG_SOURCE $2"
	printf '%-13s %-8s %-8s %s\n' debug boot trixie "$hv"
}

kernel=
module=1
module_args=
run_user=
timeout_s=600
accel=${BRKWATCH_ACCEL:-}
build=1
show_log=
tcg_thread=multi
cmdline=
kernel_checks=
icount=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_arg "${2:-}"
		kernel=$2
		shift
		;;
	--list) list_kernels; exit 0 ;;
	--no-module) module= ;;
	--module-args)
		[ $# -ge 2 ] || die "--module-args needs a value"
		module_args=$2
		shift
		;;
	--user)
		[ $# -ge 2 ] || die "--user needs a user NAME"
		run_user=$2
		shift
		;;
	--timeout)
		[ $# -ge 2 ] && [ "$2" -gt 0 ] 2>/dev/null || die "--timeout needs a number of seconds"
		timeout_s=$2
		shift
		;;
	--accel)
		[ $# -ge 2 ] || die "--accel needs tcg or kvm"
		accel=$2
		shift
		;;
	--tcg-single-thread) tcg_thread=single ;;
	--cmdline)
		[ $# -ge 2 ] || die "--cmdline needs kernel parameters"
		cmdline=$2
		shift
		;;
	--icount)
		[ $# -ge 2 ] && [ "$2" -ge 0 ] 2>/dev/null && [ "$2" -le 10 ] ||
			die "--icount needs a shift from 0 to 10"
		icount=$2
		shift
		;;
	--kernel-checks) kernel_checks=all ;;
	--kernel-checks-light) kernel_checks=light ;;
	--no-build) build= ;;
	--show-log) show_log=1 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) die "unknown argument '$1' (see --help; COMMAND goes after --)" ;;
	esac
	shift
done
[ -n "$kernel" ] || die "--kernel NAME is required ($KERNELS); see --help"
[ $# -gt 0 ] || die "no COMMAND given: scripts/vm.sh --kernel $kernel -- COMMAND [ARGS...]"
case $accel in
'' | tcg | kvm) ;;
*) die "--accel must be tcg or kvm, not '$accel'" ;;
esac
if [ -n "$icount" ]; then
	[ "$accel" != kvm ] || die "--icount is TCG's: not with --accel kvm"
	accel=tcg
	tcg_thread=single
fi
if [ -n "$run_user" ]; then
	getent passwd "$run_user" >/dev/null ||
		die "user '$run_user' does not exist (the guest uses the host's /etc/passwd)"
fi

run=
qpid=
finished=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	local st=$?
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$run" ] || rm -rf "$run"
	# A command of this script that failed under set -e exits with its own
	# status, often 1, which would pass for COMMAND's: make it 125.
	if [ -z "$finished" ] && [ "$st" = 1 ]; then
		echo "vm.sh: $kernel: stopped by a failing command of vm.sh itself: the run failed" >&2
		exit 125
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kernel_setup "$kernel"
kdir=$(kernel_dir "$kernel")
release=$(kernel_release "$kernel")

# The detectors Debian builds in but leaves off (no KASAN, no lockdep there).
if [ -n "$kernel_checks" ]; then
	kconfig() { grep -qx "CONFIG_$1=y" "$kdir/config"; }
	checks=
	slabs=
	[ "$kernel_checks" = all ] || slabs=',brkwatch_*'
	! kconfig SLUB_DEBUG || checks="$checks slub_debug=FZPU$slabs"
	! kconfig PAGE_POISONING || checks="$checks page_poison=1"
	! kconfig KFENCE || checks="$checks kfence.sample_interval=10"
	cmdline="${checks# }${cmdline:+ $cmdline}"
fi

# Rebuild what is out of date, on the host: the guest sees it read-only.
if [ -n "$build" ]; then
	mkdir -p "$CACHE/build"
	# The module where the kernel's headers are (the host or its chroot),
	# the rest on the host. (Kbuild's note about BTF is noise: Debian ships
	# no vmlinux.)
	(
		set -o pipefail
		exec 9>"$CACHE/build/.lock"
		flock 9
		{
			{ [ -z "$module" ] ||
				kernel_exec "$kernel" make -s -C "$REPO" KREL="$release" module-kernel; } &&
				make -s -C "$REPO" userspace selftests
		} 2>&1 | sed '/^Skipping BTF generation/d' >&2
	) || die "build for $kernel ($release) failed"
fi
ko=
if [ -n "$module" ]; then
	ko=$CACHE/build/$release/brkwatch.ko
	[ -f "$ko" ] || die "$ko missing: build it with make -C $REPO module-kernel KREL=$release"
fi

# Two CPUs (one under --icount). The debug kernel has no ACPI and finds
# CPUs in the BIOS's MP table, which lists one CPU per package: there they
# are two packages.
smp=2
[ "$kernel" != debug ] || smp=2,sockets=2,cores=1,threads=1
[ -z "$icount" ] || smp=1
# Four-level paging for the debug kernel: with TCG's five-level (la57)
# "max" CPU, an interrupt taken during identify_cpu() made KASAN report a
# wild access to the irq_desc lock (an ff11... address) about one boot in
# ten, before brkwatch was loaded, and lockdep then turned itself off.
cpu=max
[ "$kernel" != debug ] || cpu=max,la57=off
qemu_base() {
	local a=$1
	echo qemu-system-x86_64 -no-user-config -nodefaults -display none -no-reboot \
		-m 1024 -smp "$smp"
	if [ "$a" = kvm ]; then
		echo -accel kvm -cpu host
	else
		echo -accel "tcg,thread=$tcg_thread" -cpu "$cpu"
		[ -z "$icount" ] || echo -icount "shift=$icount,sleep=off"
	fi
}

# KVM where it works; the check boots once, bounded in time, and is cached.
if [ -z "$accel" ]; then
	accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		if [ -f "$CACHE/accel" ]; then
			accel=$(cat "$CACHE/accel")
		else
			note "trying KVM (at most 60 s; the result is cached in $CACHE/accel)"
			if BRKWATCH_ACCEL=kvm "$0" --kernel "$kernel" --accel kvm --timeout 60 \
				--no-module --no-build -- true >/dev/null 2>&1; then
				accel=kvm
			else
				note "KVM does not work here: using TCG"
			fi
			echo "$accel" >"$CACHE/accel"
		fi
	fi
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/brkwatch-vm.XXXXXX")

{
	printf 'REPO_DIR=%q\n' "$REPO"
	ids=
	[ -z "$run_user" ] || ids=$(getent passwd "$run_user" | cut -d: -f3,4)
	printf 'RUN_USER=%q\n' "$run_user"
	printf 'RUN_UID=%q\n' "${ids%:*}"
	printf 'RUN_GID=%q\n' "${ids#*:}"
	printf 'MODULE=%q\n' "$ko"
	printf 'KERNEL_NAME=%q\n' "$kernel"
	printf 'KO_PATH=%q\n' "$CACHE/build/$release/brkwatch.ko"
	printf 'MODULE_ARGS=%q\n' "$module_args"
} >"$run/config"
{
	printf 'cd %q || exit 126\n' "$REPO"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$run/cmd"
cp "$REPO/scripts/vm-guest.sh" "$run/vm-guest.sh"
: >"$run/stdout"
: >"$run/stderr"
: >"$run/console.log"

# no_timer_check: under an emulator on a busy host the boot's timer check
# can fail ("IO-APIC + timer doesn't work!", seen on 5.10) and panic.
boot() {
	# shellcheck disable=SC2046
	timeout --kill-after=5 "$timeout_s" $(qemu_base "$accel") \
		-kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.gz" \
		-append "console=ttyS0 loglevel=7 printk.devkmsg=on panic=-1 no_timer_check${cmdline:+ $cmdline}" \
		-serial "file:$run/console.log" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=root \
		-fsdev "local,id=out,path=$run,security_model=none" \
		-device virtio-9p-pci,fsdev=out,mount_tag=out \
		</dev/null >"$run/qemu.log" 2>&1 &
	qpid=$!
	# COMMAND's output is written by the guest into the run's share: stream it.
	tail -n +1 -s 0.2 -f --pid=$qpid "$run/stdout" &
	tail1=$!
	tail -n +1 -s 0.2 -f --pid=$qpid "$run/stderr" >&2 &
	tail2=$!
	qrc=0
	wait $qpid || qrc=$?
	qpid=
	wait $tail1 $tail2 || true
}
boot
# A kernel that crashes while it boots, before the guest's script has done
# anything (it writes taint first, before the module is loaded): seen on
# 7.3 under multi-threaded TCG, an int3 Oops in sched_clock_cpu() as the
# kernel patched its own text, no module loaded. Nothing of brkwatch ran:
# the boot is tried once more, and said so; the first boot's kernel log is
# kept as console.boot1.log.
crash=
[ -e "$run/taint" ] || [ -e "$run/done" ] ||
	crash=$(grep -m 1 -E 'Oops|Kernel panic|BUG:' "$run/console.log" | tr -d '\r')
if [ -n "$crash" ]; then
	note "$kernel: the guest kernel crashed while booting, before brkwatch was loaded or COMMAND run ($crash): booting it once more"
	mv "$run/console.log" "$run/console.boot1.log"
	: >"$run/console.log"
	boot
fi

problems=
problem() {
	echo "vm.sh: $kernel: $*" >&2
	problems=1
}

# Keep the logs of the last run of this kernel; failing to is a problem,
# never a reason to skip the checks below.
logs=$CACHE/logs/$kernel
keep_logs() {
	local f
	mkdir -p "$logs" && rm -f "$logs"/* || return 1
	for f in console.log console.boot1.log dmesg qemu.log insmod.log rmmod.log kmemleak; do
		[ ! -f "$run/$f" ] || cp "$run/$f" "$logs/$f" || return 1
	done
}
keep_logs || problem "could not keep the logs in $logs"

klog=$run/console.log
[ ! -s "$run/dmesg" ] || klog=$run/dmesg

# Lines of the kernel log that make a run fail.
FATAL='Oops|BUG:|kernel BUG at|WARNING:|cut here|Kernel panic|general protection fault|unable to handle|Unable to handle|INFO: task .* blocked for more than|rcu: INFO|rcu_.* detected stall|self-detected stall|soft lockup|hard LOCKUP|KASAN|KFENCE|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|bad unlock balance|suspicious RCU usage|lock held when returning|held lock freed|stack-protector|list_(add|del) corruption|Call Trace:|^(\[[ 0-9.]*\] )?BUG [^ ]+ \(|Poison overwritten|Redzone overwritten|Object padding overwritten|pagealloc: .*corruption|memory corruption|ODEBUG|suspected memory leak|memory leak detector disabled'

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	problem "the VM did not finish within $timeout_s s (hung?): killed"
elif [ "$qrc" != 0 ]; then
	problem "qemu failed (status $qrc): $(tail -n 3 "$run/qemu.log" | tr '\n' ' ')"
fi
if [ -f "$run/insmod.rc" ] && [ "$(cat "$run/insmod.rc")" != 0 ]; then
	problem "loading $ko failed: $(tr '\n' ' ' <"$run/insmod.log")"
fi
if [ -f "$run/rmmod.rc" ] && [ "$(cat "$run/rmmod.rc")" != 0 ]; then
	problem "unloading the module failed: $(tr '\n' ' ' <"$run/rmmod.log")"
fi
if [ ! -f "$run/rc" ]; then
	if [ ! -f "$run/insmod.rc" ] || [ "$(cat "$run/insmod.rc")" = 0 ]; then
		problem "COMMAND did not complete: the VM died or hung before it finished"
	fi
elif [ -n "$module" ] && [ ! -f "$run/rmmod.rc" ]; then
	problem "the VM died or hung while unloading the module"
fi
if [ -s "$run/kmemleak" ]; then
	problem "kmemleak suspects $(grep -c '^unreferenced object' "$run/kmemleak") leaks after the module's unload:"
	head -n 40 "$run/kmemleak" | sed 's/^/  /' >&2
fi
# A checker the kernel has must have checked the whole run.
if grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$kdir/config" && [ -f "$run/rmmod.rc" ] &&
	[ "$(cat "$run/kmemleak.status" 2>/dev/null)" != scanned ]; then
	problem "kmemleak did not scan after the module's unload: $(cat "$run/kmemleak.status" 2>/dev/null)"
fi
if [ -f "$run/debug_locks" ] && [ "$(cat "$run/debug_locks")" != 1 ]; then
	problem "lockdep turned itself off during the run (debug_locks $(cat "$run/debug_locks")): see the kernel log"
fi
if [ -f "$run/taint" ]; then
	# New taint: B bad page (KASAN, KFENCE), D oops, W warning, L soft lockup.
	read -r t0 t1 <<<"$(tr '\n' ' ' <"$run/taint")" || true
	if [ -n "${t1:-}" ]; then
		new=$(((t1 & ~t0) & ((1 << 5) | (1 << 7) | (1 << 9) | (1 << 14))))
		if [ "$new" != 0 ]; then
			letters=PFSRMBUDAWCIOELKXTN flags=
			for i in 5 7 9 14; do
				[ $(((new >> i) & 1)) = 0 ] || flags="$flags${letters:i:1}"
			done
			problem "the guest kernel got tainted: $flags (taint $t0 -> $t1)"
		fi
	fi
fi
bad=$(grep -nE "$FATAL" "$klog" | grep -v 'brkwatch-vm:' || true)
if [ -n "$bad" ]; then
	problem "the guest kernel logged trouble (kernel log: ${klog##*/}):"
	echo "$bad" | head -n 20 | sed 's/^/  /' >&2
	first=$(echo "$bad" | head -n 1 | cut -d: -f1)
	echo "--- kernel log from line $first ---" >&2
	tail -n +"$first" "$klog" | head -n 60 | tr -d '\r' >&2
	echo "---" >&2
elif { [ -n "$problems" ] || [ -n "$show_log" ]; } && [ -s "$klog" ]; then
	echo "--- kernel log (last 60 lines of ${klog##*/}) ---" >&2
	tail -n 60 "$klog" | tr -d '\r' >&2
	echo "---" >&2
fi
if [ -n "$problems" ]; then
	rc=none
	[ ! -f "$run/rc" ] || rc=$(cat "$run/rc")
	echo "vm.sh: $kernel: run failed (COMMAND's status: $rc; logs in $logs)" >&2
	finished=1
	exit 125
fi
rc=$(cat "$run/rc")
finished=1
exit "$rc"

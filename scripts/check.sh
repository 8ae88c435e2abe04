#!/bin/bash
# make check: setup if needed, checkpatch and the fuzz target on the host,
# the compile lane (W=1 and sparse, every flavour of every series of the
# matrix), the reader's unit tests and the counter's own test on the host,
# then for each kernel of the matrix: build, boot, run the selftests in the
# guest; last the debug lane, the same on a kernel built with KASAN,
# lockdep, kmemleak, KFENCE, UBSAN, DEBUG_VM and ODEBUG
# (scripts/debug-kernel.sh). Prints each stage's time; ends with
# "N passed, N failed, N skipped".
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/check.sh [--kernel NAME]... [--fuzz-seconds N]

Runs scripts/setup.sh (quietly, when needed), checkpatch.pl --strict over
module/, the userspace fuzz target for N seconds (default: \$FUZZ_SECONDS or
30), the compile lane (scripts/compile-lane.sh: every flavour of the series
of the kernels), the packages (scripts/check-deb.sh: make deb, DKMS,
modprobe in a guest, purge), the reader's unit tests (userspace/test_brkwatch:
canned data, no kernel; again built with AddressSanitizer and UBSan, where
any report or leak fails) and scripts/tap-count-test.sh on the host, then for
each kernel ($CHECK_KERNELS, or those given) boots it with scripts/vm.sh
and runs the selftests in it, printing their TAP as it comes; then boots
each with single-threaded TCG for the tests that reload the module, two
such boots at a time (each printed whole when it ends). The debug lane is
a kernel built
from Debian's $DEBUG_SOURCE with KASAN, lockdep, kmemleak, KFENCE, UBSAN, DEBUG_VM and ODEBUG (scripts/debug-kernel.sh,
rebuilt only when scripts/debug-kernel.config or the source changes: about
8-17 min on 2 cores), where any report of theirs, and any leak kmemleak finds
after the module's unload, fails the run. "--kernel debug" alone runs only
it (and the host's stages; no compile lane, no packages). After each
stage a line "# time: STAGE: N s". The last line is "N passed, N failed,
N skipped"; the exit status is non-zero when any failed. A VM that fails,
hangs or logs kernel trouble, a test program that crashes, ends mid-line,
reports no plan or fewer results than planned, and a skip that is not in
scripts/skips-allowed count as failures.

  --kernel NAME      only this kernel (repeatable)
  --fuzz-seconds N   fuzzing time; 0 skips the fuzz test
  (BRKWATCH_VM_TIMEOUT: the hard limit of each VM run; by default 120 s
  for the boot plus selftests/settings' timeout for each program it runs,
  so that no program is cut off while within its own limit)
  -h, --help         this text
EOF
}

kernels=
fuzz_seconds=${FUZZ_SECONDS:-30}
# A hard limit per VM run: a hung guest fails, never hangs make check.
# Each test program has its own (selftests/settings, scripts/run-tests.sh),
# each test inside it the harness's: the VM's must hold all of its programs'.
vm_timeout=${BRKWATCH_VM_TIMEOUT:-}
test_timeout=$(sed -n 's/^timeout=//p' "$(dirname "$0")/../selftests/settings")
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_arg "${2:-}"
		kernels="$kernels $2"
		shift
		;;
	--fuzz-seconds)
		[ $# -ge 2 ] && [ "$2" -ge 0 ] 2>/dev/null || die "--fuzz-seconds needs a number"
		fuzz_seconds=$2
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$kernels" ] || kernels=$CHECK_KERNELS

cd "$REPO"
passed=0
failed=0
skipped=0
start=$(date +%s)

# "# time: STAGE: N s" since the stage began at $stage_start (reset).
stage_start=$start
stage_time() {
	local now
	now=$(date +%s)
	echo "# time: $1: $((now - stage_start)) s"
	stage_start=$now
}

result() { # ok|not-ok NAME [DETAIL]
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok - $2"
	else
		failed=$((failed + 1))
		echo "not ok - $2${3:+: $3}"
	fi
}

# Counts the "ok - NAME" and "not ok - NAME: DETAIL" lines of a stage's
# script on standard input, and passes the rest through.
relay_results() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) result ok "${line#ok - }" ;;
		"not ok - "*)
			line=${line#not ok - }
			result not-ok "${line%%: *}" "${line#*: }"
			;;
		*) echo "$line" ;;
		esac
	done
}

# Runs a stage's script (NAME COMMAND...) and counts its results; a script
# that fails without saying which check failed counts as a failure itself.
stage_script() {
	local name=$1 before=$failed rc=0
	shift
	relay_results < <("$@" 2>&1)
	wait $! || rc=$?
	if [ "$rc" != 0 ] && [ "$failed" = "$before" ]; then
		result not-ok "$name" "exited with status $rc, no failure reported"
	fi
}

# The kernels and every flavour of their series (the compile lane's); none
# when only debug is given (setup and the compile lane, with no names, would
# do every kernel).
# shellcheck disable=SC2086
flavours=$(kernel_flavours $kernels)
if [ -n "$flavours" ]; then
	# shellcheck disable=SC2046,SC2086
	"$REPO/scripts/setup.sh" --quiet $(printf -- '--kernel %s ' $flavours) ||
		die "setup failed: run scripts/setup.sh as root and read its error"
	stage_time setup
fi
# The debug kernel is built, not downloaded (once per fragment and source).
case " $kernels " in
*" debug "*)
	"$REPO/scripts/setup.sh" --quiet --kernel debug ||
		die "setup of the debug kernel failed: read its error above"
	stage_time "debug kernel build"
	;;
esac

echo "# host: build"
if make -s userspace selftests && make -s -C userspace asan; then
	result ok "build userspace/ (also with AddressSanitizer and UBSan) and selftests/"
else
	result not-ok "build userspace/ (also with AddressSanitizer and UBSan) and selftests/" \
		"errors above"
fi
stage_time "host build"

echo "# host: checkpatch.pl --strict module/"
if make -s checkpatch; then
	result ok "checkpatch.pl --strict module/"
else
	result not-ok "checkpatch.pl --strict module/" "errors, warnings or checks above"
fi
stage_time checkpatch

if [ "$fuzz_seconds" -gt 0 ]; then
	echo "# host: fuzz for $fuzz_seconds s"
	if make -s fuzz FUZZ_SECONDS="$fuzz_seconds"; then
		result ok "fuzz ($fuzz_seconds s)"
	else
		result not-ok "fuzz ($fuzz_seconds s)" "a crash, or the target is missing"
	fi
	stage_time fuzz
fi

if [ -n "$flavours" ]; then
	echo "# compile lane: W=1 and sparse, every flavour of the series"
	# shellcheck disable=SC2046,SC2086
	stage_script "compile lane" "$REPO/scripts/compile-lane.sh" --no-setup $(printf -- '--kernel %s ' $flavours)
	stage_time "compile lane"
fi

# The Debian kernels among them: the debug kernel is built here, with no
# package for DKMS to build against.
debian_kernels=
for k in $kernels; do
	[ "$k" = debug ] || debian_kernels="$debian_kernels $k"
done
if [ -n "$debian_kernels" ]; then
	echo "# packages: make deb, DKMS for each kernel, modprobe in a guest, purge"
	# shellcheck disable=SC2046,SC2086
	stage_script packages "$REPO/scripts/check-deb.sh" $(printf -- '--kernel %s ' $debian_kernels)
	stage_time packages
fi

# The programs of selftests/Makefile's list target $1, as paths from $REPO.
test_list() {
	local t
	for t in $(make -s -C selftests "$1"); do
		echo "selftests/$t"
	done
}
# shellcheck disable=SC2207
others=($(test_list list_other_tests))
# The tests that unload and load the module boot on their own with
# single-threaded TCG: see scripts/vm.sh --help.
# shellcheck disable=SC2207
reload=($(test_list list_reload_tests))

# Reads one run's framed output (scripts/run-tests.sh) from the tests on
# kernel $2 ("host" for none), prints it as it comes, and writes "passed
# failed skipped" into $1 (scripts/tap-count.awk).
tap_count() {
	awk -v out="$1" -v kernel="$2" -v allow="$REPO/scripts/skips-allowed" \
		-f "$REPO/scripts/tap-count.awk"
}

# The kernel options selftests/config asks for, missing from kernel $1.
config_missing() {
	local line cfg
	cfg=$(kernel_dir "$1")/config
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF "$line" "$cfg" || echo "$line" ;;
		esac
	done <selftests/config
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Adds the counts "passed failed skipped" in file $1, if there is one, to
# the run's, and leaves them in added_passed, added_failed, added_skipped.
add_counts() {
	added_passed=0 added_failed=0 added_skipped=0
	[ ! -f "$1" ] || read -r added_passed added_failed added_skipped <"$1"
	passed=$((passed + added_passed))
	failed=$((failed + added_failed))
	skipped=$((skipped + added_skipped))
}

# One boot of kernel $1 running the test programs after "--" through
# scripts/run-tests.sh, with vm.sh options before it; its TAP goes to
# standard output as it comes, its counts into $work/$1.counts (tap_count)
# and vm.sh's status into $work/$1.rc. vm_counted then counts them.
vm_run() {
	local k=$1 opts=() limit vrc
	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	limit=${vm_timeout:-$((120 + test_timeout * $#))}
	rm -f "$work/$k.rc" "$work/$k.counts"
	{
		vrc=0
		"$REPO/scripts/vm.sh" --kernel "$k" --timeout "$limit" \
			"${opts[@]}" -- scripts/run-tests.sh "$@" || vrc=$?
		echo "$vrc" >"$work/$k.rc"
	} | tap_count "$work/$k.counts" "$k"
}

# Counts the results of kernel $1's last vm_run, and its failure as a whole.
vm_counted() {
	local k=$1 vrc
	add_counts "$work/$k.counts"
	vrc=$(cat "$work/$k.rc" 2>/dev/null || echo none)
	# 0 and 1 are run-tests.sh's own: all passed, or some failed, which
	# the counter must then have seen. Anything else is vm.sh's.
	if [ "$vrc" = 1 ] && [ "$added_failed" = 0 ]; then
		result not-ok "kernel $k: the VM run failed" "status 1, but no failure counted"
	elif [ "$vrc" != 0 ] && [ "$vrc" != 1 ] ||
		[ $((added_passed + added_failed + added_skipped)) = 0 ]; then
		result not-ok "kernel $k: the VM run failed" "status $vrc; see vm.sh's messages above"
	fi
}

# The tests that need no kernel run once, here; the reader's twice, the
# second time built with AddressSanitizer and UBSan (make -C userspace asan).
echo "# host: the reader's unit tests, also under AddressSanitizer, and the counter's"
host_tests=(userspace/test_brkwatch userspace/asan/test_brkwatch scripts/tap-count-test.sh)
scripts/run-tests.sh "${host_tests[@]}" | tap_count "$work/host.counts" host
add_counts "$work/host.counts"
stage_time "host tests"

for k in $kernels; do
	echo "# kernel $k"
	for opt in $(config_missing "$k"); do
		echo "# warning: selftests/config wants $opt, kernel $k does not have it"
	done
	# On the debug kernel KASAN checks every slab at each access, which
	# slub_debug on every cache would only repeat, slower: there it is
	# on for the module's own caches only, as in the reload boot.
	checks=--kernel-checks
	[ "$k" != debug ] || checks=--kernel-checks-light
	vm_run "$k" "$checks" -- "${others[@]}"
	vm_counted "$k"
	stage_time "kernel $k: boot"
done

# The tests that unload and load the module boot on their own with
# single-threaded TCG (see scripts/vm.sh --help), which runs on one host
# core: two such boots at a time, so that both cores work. Each one's
# output is printed whole when it ends, so the two never mix. The debug
# kernel's, the longest by far, starts first. (Only the module's own
# caches get slab checks: every slab's make the reloads several times
# slower on -rt.)
reload_queue=
for k in $kernels; do
	case $k in
	debug) reload_queue="debug $reload_queue" ;;
	*) reload_queue="$reload_queue $k" ;;
	esac
done
declare -A reload_pid=() reload_start=()
# Prints, counts and forgets the reload boot of a kernel that has ended.
reload_collect() {
	local k=$1
	wait "${reload_pid[$k]}" || true
	echo "# kernel $k, single-threaded TCG: the tests that reload the module"
	cat "$work/$k.out"
	vm_counted "$k"
	echo "# time: kernel $k: single-threaded boot: $(($(date +%s) - reload_start[$k])) s"
	unset "reload_pid[$k]"
}
# Waits until one reload boot ends, and collects those that have.
reload_wait() {
	local k
	wait -n "${reload_pid[@]}" || true
	for k in "${!reload_pid[@]}"; do
		kill -0 "${reload_pid[$k]}" 2>/dev/null || reload_collect "$k"
	done
}
if [ ${#reload[@]} -gt 0 ]; then
	stage_start=$(date +%s)
	for k in $reload_queue; do
		while [ ${#reload_pid[@]} -ge 2 ]; do
			reload_wait
		done
		reload_start[$k]=$(date +%s)
		vm_run "$k" --tcg-single-thread --kernel-checks-light -- "${reload[@]}" \
			>"$work/$k.out" 2>&1 &
		reload_pid[$k]=$!
	done
	while [ ${#reload_pid[@]} -gt 0 ]; do
		reload_wait
	done
	stage_time "the single-threaded boots, two at a time"
fi

echo "# $(($(date +%s) - start)) s, kernels:$kernels"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

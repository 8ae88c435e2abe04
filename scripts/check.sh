#!/bin/bash
# make check: setup if needed, checkpatch and the fuzz target on the host,
# the compile lane (W=1, every flavour of every series of the matrix), then
# for each kernel of the matrix: build, boot, run the selftests and the
# userspace unit tests in the guest. Prints each stage's time; ends with
# "N passed, M failed".
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
modprobe in a guest, purge), then for each kernel ($KERNELS, or those
given) boots it with scripts/vm.sh and runs the selftests and
userspace/test_brkwatch in it, printing their TAP as it comes. After each
stage a line "# time: STAGE: N s". The last line is "N passed, M failed";
the exit status is non-zero when M > 0 (a VM that fails, hangs or logs
kernel trouble counts as a failure).

  --kernel NAME      only this kernel (repeatable)
  --fuzz-seconds N   fuzzing time; 0 skips the fuzz test
  (BRKWATCH_VM_TIMEOUT: the hard limit of each kernel's VM run, default 480 s)
  -h, --help         this text
EOF
}

kernels=
fuzz_seconds=${FUZZ_SECONDS:-30}
# A hard limit per kernel: a hung guest fails, never hangs make check.
vm_timeout=${BRKWATCH_VM_TIMEOUT:-600}
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
[ -n "$kernels" ] || kernels=$KERNELS

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

# The kernels and every flavour of their series (the compile lane's).
# shellcheck disable=SC2086
flavours=$(kernel_flavours $kernels)
# shellcheck disable=SC2046,SC2086
"$REPO/scripts/setup.sh" --quiet $(printf -- '--kernel %s ' $flavours) ||
	die "setup failed: run scripts/setup.sh as root and read its error"
stage_time setup

echo "# host: build"
make -s userspace selftests || true
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

echo "# compile lane: W=1, every flavour of the series"
# shellcheck disable=SC2046,SC2086
while IFS= read -r line; do
	case $line in
	"ok - "*) result ok "${line#ok - }" ;;
	"not ok - "*)
		line=${line#not ok - }
		result not-ok "${line%%: *}" "${line#*: }"
		;;
	*) echo "$line" ;;
	esac
done < <("$REPO/scripts/compile-lane.sh" --no-setup $(printf -- '--kernel %s ' $flavours) 2>&1)
stage_time "compile lane"

echo "# packages: make deb, DKMS for each kernel, modprobe in a guest, purge"
# shellcheck disable=SC2046,SC2086
while IFS= read -r line; do
	case $line in
	"ok - "*) result ok "${line#ok - }" ;;
	"not ok - "*)
		line=${line#not ok - }
		result not-ok "${line%%: *}" "${line#*: }"
		;;
	*) echo "$line" ;;
	esac
done < <("$REPO/scripts/check-deb.sh" $(printf -- '--kernel %s ' $kernels) 2>&1)
stage_time packages

# shellcheck disable=SC2207
progs=($(make -s -C selftests list_tests | sed 's|^|selftests/|; s| | selftests/|g'))
progs+=(userspace/test_brkwatch)

# Reads one guest run's framed output (scripts/run-tests.sh), prints it as it
# comes, and writes "passed failed skipped" into $1.
tap_count() {
	awk -v out="$1" '
	function finish(st) {
		if (plan > n) {
			print "not ok - " prog ": " plan - n " of its " plan " results missing"
			fail += plan - n
		}
		if (st != 0 && nfail == 0 && plan <= n) {
			print "not ok - " prog ": exited with status " st
			fail++
		}
		prog = ""
	}
	/^### test / { prog = $3; plan = 0; n = 0; nfail = 0; print "# " prog; fflush(); next }
	/^### exit / { if (prog != "") finish($3); fflush(); next }
	{ print; fflush() }
	prog != "" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0 }
	prog != "" && /^ok [0-9]+/ {
		n++
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skip++; else pass++
	}
	prog != "" && /^not ok [0-9]+/ {
		n++; nfail++
		if ($0 ~ /# *[Tt][Oo][Dd][Oo]/) skip++; else fail++
	}
	END {
		if (prog != "") {
			print "not ok - " prog ": did not finish"
			fail++
		}
		print pass + 0, fail + 0, skip + 0 > out
	}'
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

counts=$(mktemp)
trap 'rm -f "$counts" "$counts.rc"' EXIT

# One boot of kernel $1 running the test programs after "--", with vm.sh
# options before it; counts their results.
vm_tests() {
	local k=$1 p f s vrc
	shift
	rm -f "$counts.rc"
	{
		vrc=0
		"$REPO/scripts/vm.sh" --kernel "$k" --timeout "$vm_timeout" "$@" || vrc=$?
		echo "$vrc" >"$counts.rc"
	} | tap_count "$counts"
	read -r p f s <"$counts"
	vrc=$(cat "$counts.rc" 2>/dev/null || echo none)
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	# 0 and 1 are run-tests.sh's own (all passed, some failed: counted).
	if [ "$vrc" != 0 ] && [ "$vrc" != 1 ] || [ $((p + f + s)) = 0 ]; then
		result not-ok "kernel $k: the VM run failed" "see vm.sh's messages above"
	fi
}

# The tests that unload and load the module boot on their own with
# single-threaded TCG: see scripts/vm.sh --help.
reloading=" brk_load_unload_test brk_lifecycle_test brk_memcap_test brk_reader_test brk_params_test "
reload=()
others=()
for t in "${progs[@]}"; do
	case $reloading in
	*" ${t#selftests/} "*) reload+=("$t") ;;
	*) others+=("$t") ;;
	esac
done

for k in $kernels; do
	echo "# kernel $k"
	for opt in $(config_missing "$k"); do
		echo "# warning: selftests/config wants $opt, kernel $k does not have it"
	done
	vm_tests "$k" -- scripts/run-tests.sh "${others[@]}"
	stage_time "kernel $k: boot"
	[ ${#reload[@]} -gt 0 ] || continue
	echo "# kernel $k, single-threaded TCG: the tests that reload the module"
	vm_tests "$k" --tcg-single-thread -- scripts/run-tests.sh "${reload[@]}"
	stage_time "kernel $k: single-threaded boot"
done

[ "$skipped" = 0 ] || echo "# $skipped skipped"
echo "# $(($(date +%s) - start)) s, kernels:$kernels"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

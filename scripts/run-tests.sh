#!/bin/bash
# Run test programs one after the other, each bounded by selftests/settings'
# timeout (BRKWATCH_TEST_TIMEOUT overrides it), and frame their TAP (stdout
# and stderr merged) for scripts/check.sh (scripts/tap-count.awk):
#   ### test PROGRAM
#   ...TAP...
#   ### partial          (only when the output ended mid-line)
#   # PROGRAM took N s
#   ### exit STATUS
# The markers always start a line of their own, so a program that dies in
# the middle of a line cannot hide them. Meant to run inside the guest
# (scripts/vm.sh -- scripts/run-tests.sh ...) or on the host, from the
# checkout's directory.
# The limits nest: the harness stops each test at its own timeout (30 s, or
# TEST_F_TIMEOUT's), selftests/settings' timeout is at least the sum of those
# of any one program's tests (brk_verdict_test: 14 x 30 s + 200 s), and
# scripts/check.sh gives each VM run the sum of its programs' timeouts.
# In a guest that loaded the module (BRKWATCH_KO, from scripts/vm-guest.sh)
# every program starts with it loaded; one that is cut off mid-reload (its
# timeout kills it before its teardown) can leave it unloaded, and the
# programs after it would all fail for it. Then the module is loaded again
# with its defaults, and that program fails (status 1 if it exited 0).
set -u
PATH=$PATH:/usr/sbin:/sbin

loaded() { [ -d /sys/module/brkwatch ]; }

timeout_s=${BRKWATCH_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' selftests/settings 2>/dev/null)}
timeout_s=${timeout_s:-45}
log=$(mktemp "${TMPDIR:-/tmp}/run-tests.XXXXXX") || exit 125
trap 'rm -f "$log"' EXIT
rc=0
for t in "$@"; do
	echo "### test $t"
	was_loaded=
	[ -z "${BRKWATCH_KO:-}" ] || ! loaded || was_loaded=1
	if [ ! -x "$t" ]; then
		echo "# $t is missing: it was not built"
		st=127
	else
		t0=$SECONDS
		timeout -k 5 "$timeout_s" "./$t" </dev/null 2>&1 | tee "$log"
		st=${PIPESTATUS[0]}
		took=$((SECONDS - t0))
		# $(...) drops a final newline: anything left means a partial line.
		if [ -n "$(tail -c 1 "$log")" ]; then
			echo
			echo "### partial"
		fi
		[ "$st" != 124 ] || echo "# $t timed out after $timeout_s s"
		echo "# $t took $took s"
	fi
	if [ -n "$was_loaded" ] && ! loaded; then
		echo "# $t left brkwatch unloaded: loading it again for the programs after it"
		insmod "$BRKWATCH_KO" || echo "# could not load $BRKWATCH_KO again"
		[ "$st" != 0 ] || st=1
	fi
	echo "### exit $st"
	[ "$st" = 0 ] || rc=1
done
exit $rc

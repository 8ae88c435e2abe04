#!/bin/bash
# Run test programs one after the other, each bounded by selftests/settings'
# timeout, and frame their TAP (stdout and stderr merged) for scripts/check.sh:
#   ### test PROGRAM
#   ...TAP...
#   ### exit STATUS
# Meant to run inside the guest (scripts/vm.sh -- scripts/run-tests.sh ...),
# from the checkout's directory.
set -u

timeout_s=$(sed -n 's/^timeout=//p' selftests/settings 2>/dev/null)
timeout_s=${timeout_s:-45}
rc=0
for t in "$@"; do
	echo "### test $t"
	if [ ! -x "$t" ]; then
		echo "# $t is missing: it was not built"
		st=127
	else
		timeout -k 5 "$timeout_s" "./$t" 2>&1 </dev/null
		st=$?
		[ $st != 124 ] || echo "# $t timed out after $timeout_s s"
	fi
	echo "### exit $st"
	[ $st = 0 ] || rc=1
done
exit $rc

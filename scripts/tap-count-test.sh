#!/bin/bash
# Checks the counter of scripts/check.sh (scripts/tap-count.awk) together
# with the framing of scripts/run-tests.sh: small programs that crash in
# the middle of a line, die after one result of forty, print nothing, skip,
# or lie with their exit status are run through both, and the counts must
# say what happened. Prints TAP; exits 1 on any mismatch.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
work=$(mktemp -d "${TMPDIR:-/tmp}/tap-count-test.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
n=0
nfail=0

# A test program named $1 whose body (bash) is $2.
prog() {
	printf '#!/bin/bash\n%s\n' "$2" >"$work/$1"
	chmod +x "$work/$1"
}

# check NAME "PASSED FAILED SKIPPED" COUNTER-INPUT-COMMAND...
check() {
	local name=$1 want=$2 got
	shift 2
	"$@" 2>&1 | awk -v out="$work/counts" -v kernel=test \
		-v allow="$work/allow" -f "$here/tap-count.awk" >"$work/log"
	got=$(cat "$work/counts")
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name: $got"
	else
		nfail=$((nfail + 1))
		echo "not ok $n - $name: counted '$got', want '$want'"
		sed 's/^/# /' "$work/log"
	fi
}

# Through scripts/run-tests.sh, as in the guest.
run() {
	(cd "$work" && BRKWATCH_TEST_TIMEOUT=20 "$here/run-tests.sh" "$@")
}

# Raw counter input: the framing as it would reach the counter.
raw() {
	printf '%s\n' "$@"
}

printf '# kernel\tprogram\ttest\treason\n*\tskipper\tallowed one\tcannot be helped\n*\tharness\tf.allowed\tcannot be helped\n' >"$work/allow"

prog good 'echo "TAP version 13"; echo "1..2"; echo "ok 1 - a"; echo "ok 2 - b"'
prog plan_last 'echo "ok 1 - a"; echo "ok 2 - b"; echo "1..2"'
prog crash_midline 'printf "1..3\nok 1 - a\nok 2"; kill -SEGV $$'
prog crash_1_of_40 'echo "1..40"; echo "ok 1 - a"; kill -SEGV $$'
prog silent 'exit 0'
prog failing 'echo "1..2"; echo "ok 1 - a"; echo "not ok 2 - b"; exit 1'
prog lying 'echo "1..1"; echo "ok 1 - a"; exit 1'
prog exit_0_plan_0 'echo "1..0 # SKIP nothing to do"'
prog skipper 'echo "1..3"; echo "ok 1 - allowed one # SKIP why"
	echo "ok 2 - other # SKIP why"; echo "ok 3 - c"'
# kselftest_harness names a skipped test only in its "#  RUN" line
prog harness 'echo "1..3"; echo "#  RUN           f.allowed ..."
	echo "#      SKIP      why"; echo "ok 1 # SKIP why"
	echo "#  RUN           f.other ..."; echo "ok 2 # SKIP why"
	echo "#  RUN           f.c ..."; echo "ok 3 f.c"'
prog hang 'echo "1..1"; sleep 60; echo "ok 1 - a"'

check "two results, status 0" "2 0 0" run good
check "the plan after the results" "2 0 0" run plan_last
check "crash in the middle of a result line" "1 4 0" run crash_midline
check "crash after 1 result of 40" "1 40 0" run crash_1_of_40
check "no output, status 0: no plan" "0 1 0" run silent
check "a failure and status 1" "1 1 0" run failing
check "status 1 without a failure" "1 1 0" run lying
check "a plan of none" "0 1 0" run exit_0_plan_0
check "an allowed skip and one that is not" "1 1 1" run skipper
check "the harness's skips, named by their RUN lines" "1 1 1" run harness
check "a missing program" "0 2 0" run no_such_program
check "a program that outlives its timeout" "0 2 0" \
	env BRKWATCH_TEST_TIMEOUT=1 bash -c "cd '$work' && '$here/run-tests.sh' hang"
check "several programs, one crashing" "5 4 0" run good crash_midline good
check "old framing: the exit marker glued to a result" "2 1 0" \
	raw "### test x" "1..2" "ok 1 - a" "ok 2 - ### exit 139"
check "a program's frame cut short by the next one" "3 1 0" \
	raw "### test x" "1..2" "ok 1 - a" "### test y" "1..2" "ok 1 - a" "ok 2 - b" "### exit 0"
check "nothing at all" "0 0 0" raw ""

echo "1..$n"
[ "$nfail" = 0 ]

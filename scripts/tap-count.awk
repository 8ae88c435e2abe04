# Counts the results of test programs framed by scripts/run-tests.sh:
#   ### test PROGRAM
#   ...the program's TAP (stdout and stderr merged)...
#   ### partial          (only when the output ended mid-line)
#   ### exit STATUS
# prints the input as it comes, adds a "not ok - ..." line for each failure
# it finds beyond the programs' own, and writes "passed failed skipped" into
# the file `out`. Variables (awk -v):
#   out      where the three counts go (required)
#   allow    the allow-list of skips (scripts/skips-allowed); a skip not on
#            it counts as a failure
#   kernel   the kernel the programs ran on ("host" for none), matched
#            against the allow-list's first column
# A program fails beyond its own results when it reports no plan of at least
# one result, fewer results than its plan, more than one plan, exits with a
# status other than 0 or 1, exits with 1 but reports no failure, ends its
# output mid-line (that last, partial result is not counted), or has no
# "### exit" line at all (the run stopped inside it).
# Used by scripts/check.sh; scripts/tap-count-test.sh checks it.

# A failure of the program as a whole, counted `count` times (default once).
function bad(msg, count) {
	print "not ok - " prog ": " msg
	fail += count == "" ? 1 : count
}

function finish(st) {
	if (plans == 0)
		bad("reported no plan (a 1..N line with N >= 1)")
	else if (plans > 1)
		bad("reported " plans " plans")
	else if (plan < 1)
		bad("planned no result (1.." plan ")")
	else if (n < plan)
		bad(plan - n " of its " plan " results missing", plan - n)
	else if (n > plan)
		bad(n " results for a plan of " plan)
	if (st != 0 && st != 1)
		bad("exited with status " st)
	else if (st == 1 && nfail == 0)
		bad("exited with status 1 but reported no failure")
	prog = ""
}

# Is the skip of test `name` of program `p` on the allow-list?
function allowed(p, name,    line, f, nf, rest, i) {
	if (allow == "")
		return 0
	while ((getline line < allow) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		nf = split(line, f, /\t+/)
		if (nf < 4)
			continue
		if ((f[1] == "*" || f[1] == kernel) && f[2] == p && f[3] == name) {
			close(allow)
			return 1
		}
	}
	close(allow)
	return 0
}

# A result line's test name: after "ok N " (and an optional "- "), up to
# " # " (a directive) or the end.
function test_name(line,    s) {
	s = line
	sub(/^(not )?ok [0-9]+ */, "", s)
	sub(/^- */, "", s)
	sub(/ *#.*$/, "", s)
	# kselftest_harness writes a skip as "ok N # SKIP reason", without the
	# name: that of the test it last said it ran.
	if (s == "")
		s = running
	return s
}

BEGIN {
	if (out == "") {
		print "tap-count.awk: -v out=FILE is required" > "/dev/stderr"
		exit 2
	}
	if (kernel == "")
		kernel = "host"
	prog = ""
	last = ""
}

/^### test / {
	if (prog != "")
		bad("no exit status: the run stopped inside it")
	prog = $3; plan = 0; plans = 0; n = 0; nfail = 0; last = ""; running = ""
	print "# " prog
	fflush()
	next
}

/^### partial$/ {
	if (prog != "") {
		# The partial line was counted as it came: take it back.
		if (last == "pass") { pass--; n-- }
		else if (last == "skip") { skip--; n-- }
		else if (last == "fail") { fail--; n--; nfail-- }
		bad("output ends mid-line: it stopped while writing a result")
	}
	last = ""
	fflush()
	next
}

/^### exit / {
	if (prog != "")
		finish($3)
	last = ""
	fflush()
	next
}

{ print; fflush(); last = "" }

prog == "" { next }

# kselftest_harness: "#  RUN           fixture.test ..."
/^# +RUN +[^ ]+ \.\.\.$/ {
	running = $3
	next
}

/^1\.\.[0-9]+/ {
	plans++
	plan = substr($1, 4) + 0
	next
}

/^ok [0-9]+/ {
	n++
	if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) {
		if (allowed(prog, test_name($0))) {
			skip++
			last = "skip"
		} else {
			bad("\"" test_name($0) "\" skipped, and that skip is not in scripts/skips-allowed")
			last = "fail"
			nfail++
		}
	} else {
		pass++
		last = "pass"
	}
	next
}

/^not ok [0-9]+/ {
	n++
	nfail++
	fail++
	last = "fail"
	next
}

END {
	if (prog != "")
		bad("did not finish: no exit status")
	print pass + 0, fail + 0, skip + 0 > out
}

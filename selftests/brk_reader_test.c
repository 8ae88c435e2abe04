// SPDX-License-Identifier: GPL-2.0
/*
 * brk_reader_test: the reader, userspace/brkwatch, against the loaded module
 * (issue 5).
 *
 * - `brkwatch run --json -- PROG` of a program that mallocs holds every call
 *   of /proc/brkwatch/<PID> (read after the run: the history outlives the
 *   process), field by field; the document is valid JSON of the schema in
 *   brkwatch(1) (userspace/jsoncheck.c, the reader's unit tests' checker,
 *   linked in: syntax, keys, types and names; the values are compared with
 *   the proc file here) and python3's json module takes it;
 * - `brkwatch run -- PROG` prints the query and grow rows with the proc
 *   file's addresses;
 * - `brkwatch run --relative` (text and JSON) of two runs is byte-identical,
 *   and its offsets are the proc file's addresses minus start_brk;
 * - each error prints its message and exits with its code: 1 usage, 2 module
 *   not loaded (the module is unloaded and loaded again, root), 3 no history,
 *   4 permission denied (the reader as nobody on a root process's history),
 *   5 malformed proc data (BRKWATCH_PROC pointing at a copy with a broken line).
 *
 * - `brkwatch run --json` of a program whose calls are refused with every
 *   kind of details (overlap with gap_only 0 and 1, limits with err,
 *   rlimit-data with limit and size) has each detail key of the proc file,
 *   with its value and type, and no other.
 *
 * - `brkwatch run -F --json` of a program that forks two children that call
 *   brk() holds the program and both children, each against its proc file.
 *
 * run writes its report on stderr (issue 14): `-o -` puts it on stdout, where
 * these tests read it, apart from PROG's pids on stderr.
 *
 * PROG is this program run again with MALLOC_CHILD as argv[1]: it mallocs,
 * frees, reports its pid on stderr and exits with CHILD_EXIT; with
 * DETAILS_CHILD it makes those refused calls instead; with FORKS_CHILD it
 * forks the two children and reports their pids after its own.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"
#include "brk_check.h"
#include "jsoncheck.h"

#define MALLOC_CHILD	"--malloc-child"
#define DETAILS_CHILD	"--details-child"
#define FORKS_CHILD	"--forks-child"
#define CHILD_EXIT	7
#define CHILD_TAG	"brk_reader_test malloc child pid "
#define NOBODY		65534
#define PYTHON		"/usr/bin/python3"

/* ---- The program that mallocs ---- */

static void __attribute__((constructor)) malloc_child(int argc, char **argv)
{
	char line[64] = CHILD_TAG;
	size_t len = strlen(line);
	void *small, *big[2];

	if (argc < 2 || strcmp(argv[1], MALLOC_CHILD))
		return;
	/* the same requests every run: query, grow, grow, then a trim */
	small = malloc(100);
	big[0] = malloc(100000);
	big[1] = malloc(100000);
	if (!small || !big[0] || !big[1])
		_exit(100);
	memset(big[0], 1, 100000);
	memset(big[1], 2, 100000);
	free(big[1]);
	free(big[0]);
	free(small);
	len += bwt_utoa(line + len, (unsigned long)getpid());
	line[len++] = '\n';
	if (write(2, line, len) != (ssize_t)len)
		_exit(101);
	_exit(CHILD_EXIT);
}

/* A fixed anonymous mapping at addr, or _exit(status). */
static void details_map(unsigned long addr, size_t len, int prot, int flags, int status)
{
	void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE | flags, -1, 0);

	if (p != (void *)addr)
		_exit(status);
}

static void __attribute__((constructor)) details_child(int argc, char **argv)
{
	char line[64] = CHILD_TAG;
	size_t len = strlen(line);
	unsigned long top;
	struct rlimit rl;

	if (argc < 2 || strcmp(argv[1], DETAILS_CHILD))
		return;
	top = BWT_PAGE_ALIGN((unsigned long)bwt_brk(0));
	/* overlap, gap_only=0: a read-only page just above the break */
	details_map(top, BWT_PAGE, PROT_READ, 0, 102);
	bwt_brk(top + BWT_PAGE + 10);
	munmap((void *)top, BWT_PAGE);
	/* overlap, gap_only=1: a one-page grow into a growsdown mapping's gap */
	details_map(top + 16 * BWT_PAGE, 4 * BWT_PAGE, PROT_READ | PROT_WRITE,
		    MAP_GROWSDOWN, 103);
	bwt_brk(top + 100);
	munmap((void *)(top + 16 * BWT_PAGE), 4 * BWT_PAGE);
	/* limits, err=-ENOMEM: past TASK_SIZE, RLIMIT_DATA out of the way */
	if (getrlimit(RLIMIT_DATA, &rl))
		_exit(104);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_DATA, &rl))
		_exit(105);
	bwt_brk(1UL << 63);
	/* rlimit-data, limit and size: a limit of one page */
	rl.rlim_cur = BWT_PAGE;
	if (setrlimit(RLIMIT_DATA, &rl))
		_exit(106);
	bwt_brk(top + 64 * BWT_PAGE);
	len += bwt_utoa(line + len, (unsigned long)getpid());
	line[len++] = '\n';
	if (write(2, line, len) != (ssize_t)len)
		_exit(101);
	_exit(CHILD_EXIT);
}

static void __attribute__((constructor)) forks_child(int argc, char **argv)
{
	char line[128] = CHILD_TAG;
	size_t len = strlen(line);
	pid_t kids[2];
	int i, st;

	if (argc < 2 || strcmp(argv[1], FORKS_CHILD))
		return;
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			_exit(110);
		if (!kids[i]) {
			unsigned long b = (unsigned long)bwt_brk(0);

			bwt_brk(BWT_PAGE_ALIGN(b) + (i + 1) * BWT_PAGE);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++)
		if (waitpid(kids[i], &st, 0) != kids[i] || st)
			_exit(111);
	len += bwt_utoa(line + len, (unsigned long)getpid());
	for (i = 0; i < 2; i++) {
		line[len++] = ' ';
		len += bwt_utoa(line + len, (unsigned long)kids[i]);
	}
	line[len++] = '\n';
	if (write(2, line, len) != (ssize_t)len)
		_exit(101);
	_exit(CHILD_EXIT);
}

/* ---- Comparing the reader's JSON with the proc file ---- */

struct why {
	char s[512];
};

#define MISMATCH(w, ...) \
	(snprintf((w)->s, sizeof((w)->s), __VA_ARGS__), false)

static bool key_int(struct jc_doc *d, int obj, const char *key, long long want,
		    const char *where, struct why *w)
{
	long long v;

	if (!jc_int(d, jc_get(d, obj, key), &v))
		return MISMATCH(w, "%s: '%s' is missing or not an integer", where, key);
	if (v != want)
		return MISMATCH(w, "%s: '%s' is %lld, the proc file says %lld",
				where, key, v, want);
	return true;
}

static bool key_str(struct jc_doc *d, int obj, const char *key, const char *want,
		    const char *where, struct why *w)
{
	int v = jc_get(d, obj, key);

	if (!jc_str_is(d, v, want)) {
		if (v >= 0 && d->n[v].type == JC_STR)
			return MISMATCH(w, "%s: '%s' is \"%.*s\", the proc file says \"%s\"",
					where, key, (int)d->n[v].len, d->n[v].text, want);
		return MISMATCH(w, "%s: '%s' is missing or not a string (want \"%s\")",
				where, key, want);
	}
	return true;
}

static bool key_absent(struct jc_doc *d, int obj, const char *key,
		       const char *where, struct why *w)
{
	if (jc_get(d, obj, key) >= 0)
		return MISMATCH(w, "%s: '%s' is present", where, key);
	return true;
}

/* "0x" and 16 hex digits, or (relative) an offset from base. */
static void fmt_addr(char *buf, size_t size, unsigned long a, bool rel,
		     unsigned long base, bool is_request)
{
	if (!rel)
		snprintf(buf, size, "0x%016lx", a);
	else if (is_request && !a)
		snprintf(buf, size, "0x0");
	else if (a >= base)
		snprintf(buf, size, "+0x%lx", a - base);
	else
		snprintf(buf, size, "-0x%lx", base - a);
}

static bool key_addr(struct jc_doc *d, int obj, const char *key, unsigned long a,
		     bool rel, unsigned long base, const char *where, struct why *w)
{
	char want[32];

	fmt_addr(want, sizeof(want), a, rel, base, !strcmp(key, "request"));
	return key_str(d, obj, key, want, where, w);
}

static bool refusal(const char *verdict)
{
	static const char *const refused[] = {
		"below-min", "rlimit-data", "shrink-failed", "limits",
		"mlock-limit", "overlap", "nomem", "interrupted",
	};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(verdict, refused[i]))
			return true;
	return false;
}

/*
 * The details object against the proc file's details (text), key by key:
 * every key of the text with its value and JSON type, and no other key.
 */
static bool check_details(struct jc_doc *d, int det, const char *text, bool ra,
			  unsigned long base, const char *where, struct why *w)
{
	char buf[256], *item, *save = NULL, *val;
	unsigned long u;
	long l;
	int n = 0, v;

	if (det < 0 || d->n[det].type != JC_OBJ)
		return MISMATCH(w, "%s: 'details' is not an object", where);
	if (!strcmp(text, "-")) {
		if (d->n[det].count)
			return MISMATCH(w, "%s: 'details' is not {} for '-'", where);
		return true;
	}
	if (bwt_copy(buf, sizeof(buf), text))
		return MISMATCH(w, "%s: details '%s' too long for this test", where, text);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		val = strchr(item, '=');
		if (!val)
			return MISMATCH(w, "%s: details item '%s' has no '='", where, item);
		*val++ = '\0';
		n++;
		if (!strcmp(item, "limit") || !strcmp(item, "size")) {
			if (bwt_parse_ulong(val, &u))
				return MISMATCH(w, "%s: %s=%s is not a number", where, item, val);
			if (!key_int(d, det, item, (long long)u, where, w))
				return false;
		} else if (!strcmp(item, "next_start") || !strcmp(item, "next_end")) {
			if (bwt_parse_ulong(val, &u))
				return MISMATCH(w, "%s: %s=%s is not an address", where, item, val);
			if (!key_addr(d, det, item, u, ra, base, where, w))
				return false;
		} else if (!strcmp(item, "next_kind")) {
			if (!key_str(d, det, item, val, where, w))
				return false;
		} else if (!strcmp(item, "gap_only")) {
			v = jc_get(d, det, item);
			if ((strcmp(val, "0") && strcmp(val, "1")) || v < 0 ||
			    d->n[v].type != (!strcmp(val, "1") ? JC_TRUE : JC_FALSE))
				return MISMATCH(w, "%s: 'gap_only' is not %s for gap_only=%s",
						where, !strcmp(val, "1") ? "true" : "false", val);
		} else if (!strcmp(item, "err")) {
			if (bwt_parse_long(val, &l))
				return MISMATCH(w, "%s: err=%s is not a number", where, val);
			if (!key_int(d, det, item, l, where, w))
				return false;
		} else {
			return MISMATCH(w, "%s: details key '%s' unknown to this test", where, item);
		}
	}
	if (d->n[det].count != n)
		return MISMATCH(w, "%s: 'details' has %d keys, the proc file's '%s' %d",
				where, d->n[det].count, text, n);
	return true;
}

/* rel: --relative's fields; ra: its addresses (calls before an exec have none) */
static bool check_call(struct jc_doc *d, int ev, const struct bwt_event *e,
		       bool rel, bool ra, unsigned long base, const char *where,
		       struct why *w)
{
	int v, det;

	if (!key_str(d, ev, "type", "call", where, w) ||
	    !key_int(d, ev, "seq", e->seq, where, w) ||
	    !key_str(d, ev, "entry", e->entry, where, w) ||
	    !key_addr(d, ev, "request", e->request, ra, base, where, w) ||
	    !key_addr(d, ev, "brk_before", e->brk_before, ra, base, where, w) ||
	    !key_addr(d, ev, "brk_after", e->brk_after, ra, base, where, w) ||
	    !key_addr(d, ev, "aligned_before", e->aligned_before, ra, base, where, w) ||
	    !key_addr(d, ev, "aligned_after", e->aligned_after, ra, base, where, w) ||
	    !key_int(d, ev, "delta", e->delta, where, w) ||
	    !key_str(d, ev, "verdict", e->verdict, where, w))
		return false;
	if (rel) {
		if (!key_absent(d, ev, "time_ns", where, w) ||
		    !key_absent(d, ev, "tid", where, w) ||
		    !key_absent(d, ev, "duration_ns", where, w) ||
		    !key_str(d, ev, "thread", "main", where, w))
			return false;
	} else if (!key_int(d, ev, "time_ns", (long long)e->time_ns, where, w) ||
		   !key_int(d, ev, "tid", e->tid, where, w) ||
		   !key_int(d, ev, "duration_ns", (long long)e->duration_ns, where, w)) {
		return false;
	}
	if (e->ret < 0) {
		if (jc_get(d, ev, "ret") < 0 || d->n[jc_get(d, ev, "ret")].type != JC_NULL)
			return MISMATCH(w, "%s: 'ret' is not null for errno %ld", where, e->ret);
		if (!key_int(d, ev, "ret_errno", e->ret, where, w))
			return false;
	} else {
		if (!key_addr(d, ev, "ret", (unsigned long)e->ret, ra, base, where, w))
			return false;
		v = jc_get(d, ev, "ret_errno");
		if (v < 0 || d->n[v].type != JC_NULL)
			return MISMATCH(w, "%s: 'ret_errno' is not null", where);
	}
	v = jc_get(d, ev, "refused");
	if (v < 0 || d->n[v].type != (refusal(e->verdict) ? JC_TRUE : JC_FALSE))
		return MISMATCH(w, "%s: 'refused' is not %s for verdict %s", where,
				refusal(e->verdict) ? "true" : "false", e->verdict);
	det = jc_get(d, ev, "details");
	return check_details(d, det, e->details, ra, base, where, w);
}

static bool check_exec(struct jc_doc *d, int ev, const struct bwt_event *e,
		       bool rel, const char *where, struct why *w)
{
	if (!key_str(d, ev, "type", "exec", where, w) ||
	    !key_str(d, ev, "comm", e->comm, where, w))
		return false;
	if (rel)
		return key_absent(d, ev, "time_ns", where, w) &&
		       key_absent(d, ev, "tid", where, w) &&
		       key_absent(d, ev, "start_brk", where, w);
	return key_int(d, ev, "time_ns", (long long)e->time_ns, where, w) &&
	       key_int(d, ev, "tid", e->tid, where, w) &&
	       key_addr(d, ev, "start_brk", e->start_brk, false, 0, where, w) &&
	       key_addr(d, ev, "start_data", e->start_data, false, 0, where, w) &&
	       key_addr(d, ev, "end_data", e->end_data, false, 0, where, w);
}

/*
 * A process object of the reader's JSON against the parsed proc file:
 * every header line, every event and every field of it. With rel, what
 * --relative leaves out must be absent, and addresses are offsets from the
 * start_brk of the call's heap.
 */
static bool check_process(struct jc_doc *d, int p, const struct bwt_history *h,
			  bool rel, struct why *w)
{
	static const char *const verdicts[] = {
		"unknown", "query", "below-min", "rlimit-data", "same-page",
		"grow", "shrink", "shrink-failed", "limits", "mlock-limit",
		"overlap", "nomem", "interrupted",
	};
	int evs, ev, i, tot, by, seen_exec = 0;
	unsigned long base = h->start_brk;
	const char *where = "process";
	char at[48];
	size_t k;

	if (p < 0 || d->n[p].type != JC_OBJ)
		return MISMATCH(w, "the process is not an object");
	if (!key_int(d, p, "format", h->version, where, w) ||
	    !key_str(d, p, "comm", h->comm, where, w) ||
	    !key_str(d, p, "state", h->state, where, w) ||
	    !key_int(d, p, "uid", h->uid, where, w) ||
	    !key_int(d, p, "data_size", (long long)(h->end_data - h->start_data), where, w) ||
	    !key_int(d, p, "heap_size", h->brk > h->start_brk ?
		     (long long)(h->brk - h->start_brk) : 0, where, w) ||
	    !key_int(d, p, "calls", h->calls, where, w) ||
	    !key_int(d, p, "dropped", h->dropped, where, w))
		return false;
	if (rel) {
		static const char *const gone[] = {
			"pid", "ppid", "start_brk", "start_data", "end_data",
			"brk", "gap",
		};

		for (k = 0; k < sizeof(gone) / sizeof(gone[0]); k++)
			if (!key_absent(d, p, gone[k], where, w))
				return false;
	} else if (!key_int(d, p, "pid", h->pid, where, w) ||
		   !key_int(d, p, "ppid", h->ppid, where, w) ||
		   !key_addr(d, p, "start_brk", h->start_brk, false, 0, where, w) ||
		   !key_addr(d, p, "start_data", h->start_data, false, 0, where, w) ||
		   !key_addr(d, p, "end_data", h->end_data, false, 0, where, w) ||
		   !key_addr(d, p, "brk", h->brk, false, 0, where, w) ||
		   !key_int(d, p, "gap", h->start_brk > h->end_data ?
			    (long long)(h->start_brk - h->end_data) : 0, where, w)) {
		return false;
	}
	evs = jc_get(d, p, "events");
	if (evs < 0 || d->n[evs].type != JC_ARR)
		return MISMATCH(w, "'events' is missing or not an array");
	if (d->n[evs].count != h->nevents)
		return MISMATCH(w, "'events' has %d entries, the proc file %d lines "
				"(%d calls)", d->n[evs].count, h->nevents, h->ncalls);
	/* calls before the first exec keep absolute addresses (README) */
	for (i = 0; i < h->nevents; i++)
		seen_exec |= h->ev[i].exec;
	for (i = 0, ev = d->n[evs].first; i < h->nevents; i++, ev = d->n[ev].next) {
		const struct bwt_event *e = &h->ev[i];

		snprintf(at, sizeof(at), "event %d (proc line %d)", i + 1, 14 + i);
		if (d->n[ev].type != JC_OBJ)
			return MISMATCH(w, "%s is not an object", at);
		if (e->exec) {
			base = e->start_brk;
			seen_exec = 0;
			if (!check_exec(d, ev, e, rel, at, w))
				return false;
		} else if (!check_call(d, ev, e, rel, rel && !seen_exec, base, at, w)) {
			return false;
		}
	}
	tot = jc_get(d, p, "totals");
	by = jc_get(d, tot, "by_verdict");
	if (by < 0 || d->n[by].type != JC_OBJ)
		return MISMATCH(w, "'totals.by_verdict' is missing");
	for (k = 0; k < sizeof(verdicts) / sizeof(verdicts[0]); k++) {
		long long n = 0;

		for (i = 0; i < h->nevents; i++)
			n += !h->ev[i].exec && !strcmp(h->ev[i].verdict, verdicts[k]);
		if (!key_int(d, by, verdicts[k], n, "totals.by_verdict", w))
			return false;
	}
	return true;
}

/* ---- Running the reader ---- */

static char reader_path[4096];
static char self_path[4096];

static int env_plain(void *arg)
{
	return unsetenv("BRKWATCH_PROC");
}

static int env_proc(void *arg)
{
	return setenv("BRKWATCH_PROC", arg, 1);
}

static int as_nobody(void *arg)
{
	if (unsetenv("BRKWATCH_PROC") || setgroups(0, NULL) ||
	    setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	return getuid() == NOBODY && geteuid() == NOBODY ? 0 : -1;
}

#define MAX_ARGS	16

/* Runs the reader with the arguments given (NULL-terminated). */
static int reader(struct bwt_output *o, int (*pre)(void *), void *arg, ...)
{
	char *argv[MAX_ARGS + 2];
	va_list ap;
	int n = 0;

	argv[n++] = reader_path;
	va_start(ap, arg);
	while (n <= MAX_ARGS && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return bwt_spawn(argv, pre ? pre : env_plain, arg, o);
}

/* Finds the paths; false when the reader is not built. */
static bool find_programs(void)
{
	ssize_t len;

	if (bwt_checkout_path("userspace/brkwatch", reader_path, sizeof(reader_path)))
		return false;
	len = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (len < 0)
		return false;
	self_path[len] = '\0';
	return access(reader_path, X_OK) == 0;
}

/* The child's pid from its stderr line, or -1. */
static int child_pid(const struct bwt_output *o)
{
	const char *p = o->err ? strstr(o->err, CHILD_TAG) : NULL;

	return p ? atoi(p + strlen(CHILD_TAG)) : -1;
}

/* The line of text at the first byte where a and b differ, for a log. */
static void first_difference(const char *a, const char *b, int *line,
			     const char **la, const char **lb)
{
	const char *sa = a, *sb = b;

	*line = 1;
	while (*a && *a == *b) {
		if (*a == '\n') {
			(*line)++;
			sa = a + 1;
			sb = b + 1;
		}
		a++;
		b++;
	}
	*la = sa;
	*lb = sb;
}

static int line_len(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? (int)(nl - s) : (int)strlen(s);
}

/* Validates text with python3's json module: 0 ok, 1 invalid, -1 no python. */
static int python_json(const char *text, size_t len, char *why, size_t size)
{
	char path[] = "/tmp/brk_reader_test.json.XXXXXX";
	char *argv[] = {
		PYTHON, "-c",
		"import json,sys\n"
		"d = json.load(open(sys.argv[1], encoding='ascii'))\n"
		"assert isinstance(d, dict), 'not an object'\n",
		path, NULL,
	};
	struct bwt_output o;
	int fd, err;

	if (access(PYTHON, X_OK))
		return -1;
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(path);
	if (bwt_write_file(path, text, len))
		return -1;
	err = bwt_spawn(argv, env_plain, NULL, &o);
	unlink(path);
	if (err)
		return -1;
	snprintf(why, size, "%.*s", line_len(o.err), o.err);
	if (o.status && strstr(o.err, "No module named"))
		err = -1;
	else
		err = o.status ? 1 : 0;
	bwt_output_free(&o);
	return err;
}

static struct bwt_history *hist;

#define SETUP() do { \
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded"); \
	ASSERT_TRUE(find_programs()) \
		TH_LOG("%s is not built (make -C userspace)", reader_path); \
	hist = bwt_zalloc(sizeof(*hist)); \
	ASSERT_NE(NULL, hist); \
} while (0)

/*
 * brkwatch run -o - [--json] [--relative] -- PROG child: its exit status and
 * the child's pid checked, the child's history read into hist. The pid.
 */
static int run_child(struct __test_metadata *_metadata, struct bwt_output *o, bool json,
		     bool rel, const char *child)
{
	char *argv[10] = { reader_path, "run", "-o", "-" };
	int n = 4, pid, err;

	if (json)
		argv[n++] = "--json";
	if (rel)
		argv[n++] = "--relative";
	argv[n++] = "--";
	argv[n++] = self_path;
	argv[n++] = (char *)child;
	ASSERT_EQ(0, bwt_spawn(argv, env_plain, NULL, o));
	ASSERT_EQ(CHILD_EXIT, o->status) TH_LOG("brkwatch run exited %d: %s", o->status, o->err);
	pid = child_pid(o);
	ASSERT_LT(0, pid) TH_LOG("no pid from the child; stderr: %s", o->err);
	err = bwt_history_read(pid, hist);
	ASSERT_EQ(0, err) TH_LOG("/proc/brkwatch/%d: %s %s", pid, strerror(-err),
				 err == -EBADMSG ? hist->error : "");
	return pid;
}

/* ---- run: the reader's report against the proc file ---- */

TEST(run_json_holds_every_call_of_the_proc_file)
{
	struct bwt_output o;
	struct jc_doc d;
	struct why w;
	int pid, procs, argv, v;
	long long n;
	char pyerr[256];

	SETUP();
	pid = run_child(_metadata, &o, true, false, MALLOC_CHILD);
	ASSERT_EQ(0UL, hist->dropped);
	ASSERT_EQ(hist->calls, (unsigned long)hist->ncalls);
	ASSERT_LE(2, hist->ncalls) TH_LOG("the malloc child made %d brk() calls", hist->ncalls);

	ASSERT_EQ(0, jc_check(&d, o.out, o.out_len, JC_DOCUMENT))
		TH_LOG("not the JSON of brkwatch(1): %s: '%.40s'", d.err, o.out + d.err_at);
	ASSERT_TRUE(d.n[0].type == JC_OBJ);
	ASSERT_TRUE(key_int(&d, 0, "schema", 1, "document", &w)) TH_LOG("%s", w.s);
	ASSERT_TRUE(key_str(&d, 0, "command", "run", "document", &w)) TH_LOG("%s", w.s);
	ASSERT_TRUE(key_int(&d, 0, "exit_status", CHILD_EXIT, "document", &w)) TH_LOG("%s", w.s);
	v = jc_get(&d, 0, "relative");
	ASSERT_TRUE(v >= 0 && d.n[v].type == JC_FALSE) TH_LOG("'relative' is not false");
	argv = jc_get(&d, 0, "argv");
	ASSERT_TRUE(argv >= 0 && d.n[argv].count == 2) TH_LOG("'argv' is not the 2 words run");
	ASSERT_TRUE(jc_str_is(&d, jc_at(&d, argv, 0), self_path));
	ASSERT_TRUE(jc_str_is(&d, jc_at(&d, argv, 1), MALLOC_CHILD));
	procs = jc_get(&d, 0, "processes");
	ASSERT_TRUE(procs >= 0 && d.n[procs].type == JC_ARR && d.n[procs].count == 1)
		TH_LOG("'processes' is not an array of one process");
	ASSERT_TRUE(jc_int(&d, jc_get(&d, jc_at(&d, procs, 0), "pid"), &n));
	ASSERT_EQ(pid, n) TH_LOG("the JSON's pid is not the pid the child printed");
	EXPECT_TRUE(check_process(&d, jc_at(&d, procs, 0), hist, false, &w))
		TH_LOG("run --json vs /proc/brkwatch/%d: %s", pid, w.s);
	jc_free(&d);

	switch (python_json(o.out, o.out_len, pyerr, sizeof(pyerr))) {
	case -1:
		EXPECT_TRUE(false)
			TH_LOG("no %s with its json module: run scripts/setup.sh", PYTHON);
		break;
	case 1:
		EXPECT_TRUE(false) TH_LOG("python3's json.load refuses it: %s", pyerr);
		break;
	}
	bwt_output_free(&o);
}

/*
 * The table row of seq shows the proc file's request, break before -> after,
 * aligned before -> after and verdict (the table prints 0x%lx).
 */
static bool check_row(const char *table, const struct bwt_event *e, struct why *w)
{
	char want[4][96];
	const char *line;
	int i, len;

	for (line = table; *line; line += line_len(line) + (line[line_len(line)] == '\n')) {
		const char *p = line;
		char *end;

		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9' || strtoul(p, &end, 10) != e->seq || *end != ' ')
			continue;
		len = line_len(line);
		snprintf(want[0], sizeof(want[0]), " 0x%lx ", e->request);
		snprintf(want[1], sizeof(want[1]), " 0x%lx -> 0x%lx ", e->brk_before, e->brk_after);
		snprintf(want[2], sizeof(want[2]), " 0x%lx -> 0x%lx ",
			 e->aligned_before, e->aligned_after);
		snprintf(want[3], sizeof(want[3]), " %s", e->verdict);
		for (i = 0; i < 4; i++) {
			const char *hit = memmem(line, len, want[i], strlen(want[i]));

			if (!hit)
				return MISMATCH(w, "row %lu '%.*s' lacks '%s'", e->seq,
						len, line, want[i]);
		}
		return true;
	}
	return MISMATCH(w, "no row for seq %lu", e->seq);
}

TEST(run_table_shows_the_proc_file_addresses)
{
	struct bwt_output o;
	struct why w;
	int pid, i, queries = 0, grows = 0;

	SETUP();
	pid = run_child(_metadata, &o, false, false, MALLOC_CHILD);

	for (i = 0; i < hist->nevents; i++) {
		struct bwt_event *e = &hist->ev[i];

		if (e->exec)
			continue;
		queries += !strcmp(e->verdict, "query");
		grows += !strcmp(e->verdict, "grow");
		EXPECT_TRUE(check_row(o.out, e, &w))
			TH_LOG("brkwatch run vs /proc/brkwatch/%d: %s", pid, w.s);
	}
	EXPECT_LE(1, queries) TH_LOG("no query in the malloc child's history");
	EXPECT_LE(1, grows) TH_LOG("no grow in the malloc child's history");
	if (_metadata->passed != 1)
		TH_LOG("the report:\n%s", o.out);
	bwt_output_free(&o);
}

/*
 * The details of refused calls, key by key, as they are and with
 * --relative: overlap (next_start, next_end, next_kind, gap_only 0 and 1),
 * limits (err), rlimit-data (limit, size). Before 6.1 brk() looked for a
 * mapping in the way first: the request past TASK_SIZE is a second overlap
 * with gap_only 0, not limits.
 */
TEST(run_json_details_are_the_proc_file_details)
{
	static const char *const want[][2] = {
		{ "overlap", "gap_only=0" }, { "overlap", "gap_only=1" },
		{ "limits", "err=-12" }, { "rlimit-data", "limit=4096,size=" },
	};
	int times[] = { 1, 1, 1, 1 };
	struct bwt_output o;
	struct jc_doc d;
	struct why w;
	int rel, pid, i, k, found;

	SETUP();
	if (bwt_kernel_before_6_1()) {
		times[0] = 2;
		times[2] = 0;
	}
	for (rel = 0; rel < 2; rel++) {
		pid = run_child(_metadata, &o, true, rel, DETAILS_CHILD);
		for (k = 0; k < (int)(sizeof(want) / sizeof(want[0])); k++) {
			for (i = 0, found = 0; i < hist->nevents; i++)
				found += !hist->ev[i].exec &&
					 !strcmp(hist->ev[i].verdict, want[k][0]) &&
					 strstr(hist->ev[i].details, want[k][1]);
			ASSERT_EQ(times[k], found)
				TH_LOG("%d %s calls with %s in /proc/brkwatch/%d, expected %d",
				       found, want[k][0], want[k][1], pid, times[k]);
		}
		ASSERT_EQ(0, jc_check(&d, o.out, o.out_len, JC_DOCUMENT))
			TH_LOG("not the JSON of brkwatch(1): %s", d.err);
		EXPECT_TRUE(check_process(&d, jc_at(&d, jc_get(&d, 0, "processes"), 0),
					  hist, rel, &w))
			TH_LOG("run --json%s vs /proc/brkwatch/%d: %s",
			       rel ? " --relative" : "", pid, w.s);
		jc_free(&d);
		bwt_output_free(&o);
	}
}

/*
 * run -F: the command first, then its descendants by pid, each the same as
 * its proc file; without -F, the command alone.
 */
TEST(run_follow_forks_holds_the_command_and_its_children)
{
	struct bwt_output o;
	struct jc_doc d;
	struct why w;
	const char *tag;
	int forks, pids[3], procs, i, err;
	long long n;

	SETUP();
	for (forks = 1; forks >= 0; forks--) {
		ASSERT_EQ(0, reader(&o, NULL, NULL, "run", "-o", "-", forks ? "-F" : "--json",
				    "--json", "--", self_path, FORKS_CHILD, NULL));
		ASSERT_EQ(CHILD_EXIT, o.status)
			TH_LOG("brkwatch run exited %d: %s", o.status, o.err);
		tag = strstr(o.err, CHILD_TAG);
		ASSERT_NE(NULL, tag) TH_LOG("no pids from the child; stderr: %s", o.err);
		ASSERT_EQ(3, sscanf(tag + strlen(CHILD_TAG), "%d %d %d", &pids[0], &pids[1],
				    &pids[2]));
		if (pids[1] > pids[2]) {	/* descendants come by pid */
			i = pids[1];
			pids[1] = pids[2];
			pids[2] = i;
		}
		ASSERT_EQ(0, jc_check(&d, o.out, o.out_len, JC_DOCUMENT))
			TH_LOG("not the JSON of brkwatch(1): %s", d.err);
		procs = jc_get(&d, 0, "processes");
		ASSERT_TRUE(procs >= 0 && d.n[procs].type == JC_ARR &&
			    d.n[procs].count == (forks ? 3 : 1))
			TH_LOG("'processes' is not an array of %d", forks ? 3 : 1);
		for (i = 0; i < d.n[procs].count; i++) {
			ASSERT_TRUE(jc_int(&d, jc_get(&d, jc_at(&d, procs, i), "pid"), &n));
			EXPECT_EQ(pids[i], n) TH_LOG("process %d of the document", i + 1);
			err = bwt_history_read(pids[i], hist);
			ASSERT_EQ(0, err) TH_LOG("/proc/brkwatch/%d: %s", pids[i], strerror(-err));
			EXPECT_TRUE(check_process(&d, jc_at(&d, procs, i), hist, false, &w))
				TH_LOG("run%s --json vs /proc/brkwatch/%d: %s",
				       forks ? " -F" : "", pids[i], w.s);
		}
		jc_free(&d);
		bwt_output_free(&o);
	}
}

TEST(run_relative_is_the_same_twice)
{
	struct bwt_output a, b;
	const char *la, *lb;
	struct jc_doc d;
	struct why w;
	int json, line, pid, err, v;

	SETUP();
	for (json = 0; json < 2; json++) {
		char *argv[] = {
			reader_path, "run", "-o", "-", "--relative", json ? "--json" : "--",
			json ? "--" : self_path, json ? self_path : MALLOC_CHILD,
			json ? MALLOC_CHILD : NULL, NULL,
		};
		const char *mode = json ? "--json" : "(text)";

		ASSERT_EQ(0, bwt_spawn(argv, env_plain, NULL, &a));
		ASSERT_EQ(0, bwt_spawn(argv, env_plain, NULL, &b));
		ASSERT_EQ(CHILD_EXIT, a.status) TH_LOG("run --relative: %d %s", a.status, a.err);
		ASSERT_EQ(CHILD_EXIT, b.status) TH_LOG("run --relative: %d %s", b.status, b.err);
		ASSERT_NE(child_pid(&a), child_pid(&b));
		ASSERT_LT(0, (long)a.out_len);
		first_difference(a.out, b.out, &line, &la, &lb);
		EXPECT_TRUE(a.out_len == b.out_len && !memcmp(a.out, b.out, a.out_len))
			TH_LOG("run --relative %s: two runs differ at line %d:\n'%.*s'\n'%.*s'",
			       mode, line, line_len(la), la, line_len(lb), lb);
		if (!json) {
			EXPECT_NE(NULL, strstr(a.out, " query")) TH_LOG("%s", a.out);
			EXPECT_NE(NULL, strstr(a.out, " grow")) TH_LOG("%s", a.out);
		} else {
			/* and its offsets are the proc file's addresses - start_brk */
			pid = child_pid(&b);
			err = bwt_history_read(pid, hist);
			ASSERT_EQ(0, err) TH_LOG("/proc/brkwatch/%d: %s", pid, strerror(-err));
			ASSERT_EQ(0, jc_check(&d, b.out, b.out_len, JC_DOCUMENT))
				TH_LOG("not the JSON of brkwatch(1): %s", d.err);
			v = jc_get(&d, 0, "relative");
			EXPECT_TRUE(v >= 0 && d.n[v].type == JC_TRUE) TH_LOG("'relative' is not true");
			EXPECT_TRUE(check_process(&d, jc_at(&d, jc_get(&d, 0, "processes"), 0),
						  hist, true, &w))
				TH_LOG("run --relative --json vs /proc/brkwatch/%d: %s", pid, w.s);
			jc_free(&d);
		}
		bwt_output_free(&a);
		bwt_output_free(&b);
	}
}

/* ---- Errors: message and exit code ---- */

static bool err_has(const struct bwt_output *o, const char *s)
{
	return o->err && strstr(o->err, s);
}

TEST(usage_errors_exit_1)
{
	static const char *const cases[][5] = {
		/* arguments, then what the message says */
		{ NULL, NULL, NULL, "which PID?" },
		{ "bogus", NULL, NULL, "unknown command 'bogus'" },
		{ "12x", NULL, NULL, "'12x' is not a PID" },
		{ "--no-such-option", "1", NULL, "unknown option '--no-such-option'" },
		{ "--json", "--explain", "1", "do not go with --json" },
		{ "run", NULL, NULL, "run: which command?" },
		{ "status", "1", NULL, "status takes no arguments" },
		{ "-f", "1", "2", "--follow takes one PID" },
	};
	struct bwt_output o;
	size_t i;

	SETUP();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, reader(&o, NULL, NULL, cases[i][0], cases[i][1],
				    cases[i][2], NULL));
		EXPECT_EQ(1, o.status)
			TH_LOG("case %zu ('%s %s %s'): exit %d, stderr '%s'", i,
			       cases[i][0] ?: "", cases[i][1] ?: "", cases[i][2] ?: "",
			       o.status, o.err);
		EXPECT_TRUE(err_has(&o, cases[i][3]) && err_has(&o, "Try 'brkwatch --help'"))
			TH_LOG("case %zu: the message '%s' does not say '%s'", i, o.err,
			       cases[i][3]);
		EXPECT_EQ((size_t)0, o.out_len) TH_LOG("case %zu printed '%s'", i, o.out);
		bwt_output_free(&o);
	}
}

static int fds[2];

/* A child that made no brk() call: it waits for its pipe to close. */
static int no_brk_child(void *arg)
{
	char c;

	close(fds[1]);
	while (read(fds[0], &c, 1) < 0 && errno == EINTR)
		;
	return 0;
}

TEST(no_history_exits_3)
{
	char pidbuf[24], path[64], want[64];
	unsigned long max = 0;
	struct bwt_output o;
	char text[32];
	int pid, i;

	SETUP();
	/* a pid no process has */
	ASSERT_LT(0, bwt_read_file("/proc/sys/kernel/pid_max", text, sizeof(text)));
	text[strcspn(text, "\n")] = '\0';
	ASSERT_EQ(0, bwt_parse_ulong(text, &max));
	for (pid = (int)max - 1; pid > 300; pid--) {
		bwt_history_path(path, sizeof(path), pid);
		if (kill(pid, 0) && errno == ESRCH && access(path, F_OK) && errno == ENOENT)
			break;
	}
	ASSERT_LT(300, pid);
	bwt_utoa(pidbuf, pid);
	ASSERT_EQ(0, reader(&o, NULL, NULL, pidbuf, NULL));
	snprintf(want, sizeof(want), "no history for PID %d", pid);
	EXPECT_EQ(3, o.status) TH_LOG("no process %d: exit %d, '%s'", pid, o.status, o.err);
	EXPECT_TRUE(err_has(&o, want)) TH_LOG("the message '%s' lacks '%s'", o.err, want);
	bwt_output_free(&o);

	/* a live process that made no brk() call: no history either */
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(no_brk_child(NULL));
	close(fds[0]);
	bwt_history_path(path, sizeof(path), pid);
	bwt_utoa(pidbuf, pid);
	for (i = 0; i < 2; i++) {
		EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s exists: the child called brk()", path);
		ASSERT_EQ(0, reader(&o, NULL, NULL, i ? "--json" : "show", pidbuf, NULL));
		snprintf(want, sizeof(want), "no history for PID %d", pid);
		EXPECT_EQ(3, o.status) TH_LOG("live pid %d without calls: exit %d, '%s'",
					      pid, o.status, o.err);
		EXPECT_TRUE(err_has(&o, want)) TH_LOG("the message '%s' lacks '%s'", o.err, want);
		EXPECT_EQ((size_t)0, o.out_len) TH_LOG("printed '%s'", o.out);
		bwt_output_free(&o);
	}
	close(fds[1]);
	waitpid(pid, NULL, 0);
}

static int brk_calls(void *arg)
{
	unsigned long cur = bwt_brk(0);

	bwt_brk(BWT_PAGE_ALIGN(cur) + 3 * BWT_PAGE);
	bwt_brk(cur);
	return 0;
}

TEST(permission_denied_exits_4_as_nobody)
{
	struct bwt_output o;
	char pidbuf[24];
	int pid, status, n;

	SETUP();
	if (geteuid() != 0)
		SKIP(return, "needs root: a root process's history, read as nobody");
	pid = bwt_run_child(brk_calls, NULL, &status);
	ASSERT_LT(0, pid) TH_LOG("fork: %s", strerror(-pid));
	ASSERT_EQ(0, bwt_history_wait(pid, hist, 2000));
	ASSERT_EQ(0U, hist->uid);
	bwt_utoa(pidbuf, pid);

	/* root reads it: the history exists */
	ASSERT_EQ(0, reader(&o, NULL, NULL, pidbuf, NULL));
	EXPECT_EQ(0, o.status) TH_LOG("root: exit %d, '%s'", o.status, o.err);
	bwt_output_free(&o);

	for (n = 0; n < 2; n++) {
		ASSERT_EQ(0, reader(&o, as_nobody, NULL, n ? "--json" : "show", pidbuf, NULL));
		ASSERT_NE(125, o.status) TH_LOG("could not become uid/gid %d", NOBODY);
		EXPECT_EQ(4, o.status) TH_LOG("nobody reading root's pid %d: exit %d, '%s'",
					      pid, o.status, o.err);
		EXPECT_TRUE(err_has(&o, "permission denied") &&
			    err_has(&o, "only the process's owner and root can read its history"))
			TH_LOG("the message '%s' does not name the owner rule", o.err);
		EXPECT_EQ((size_t)0, o.out_len) TH_LOG("printed '%s'", o.out);
		bwt_output_free(&o);
	}
	bwt_reap(pid);

	/* the other side of the rule: nobody reads its own program's history */
	ASSERT_EQ(0, reader(&o, as_nobody, NULL, "run", "-o", "-", "--", self_path,
			    MALLOC_CHILD, NULL));
	EXPECT_EQ(CHILD_EXIT, o.status) TH_LOG("nobody: run exited %d, '%s'", o.status, o.err);
	EXPECT_NE(NULL, strstr(o.out, " grow")) TH_LOG("nobody's run printed '%s'", o.out);
	bwt_output_free(&o);
}

TEST(malformed_proc_data_exits_5)
{
	char dir[] = "/tmp/brk_reader_test.XXXXXX";
	char good[64], bad[64], text_path[64], pidbuf[24], badpid[24], want[96];
	char *text, *line, *p, *end;
	struct bwt_output o;
	ssize_t len;
	int pid, status, n;

	SETUP();
	pid = bwt_run_child(brk_calls, NULL, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, bwt_history_wait(pid, hist, 2000));
	ASSERT_LE(2, hist->ncalls);
	text = bwt_zalloc(BWT_FILE_MAX);
	ASSERT_NE(NULL, text);
	bwt_history_path(text_path, sizeof(text_path), pid);
	len = bwt_read_file(text_path, text, BWT_FILE_MAX);
	bwt_reap(pid);
	ASSERT_LT(0, len);
	ASSERT_NE(NULL, mkdtemp(dir));

	/*
	 * a faithful copy, then in its place (a file names its own pid: issue 14)
	 * one whose line 15 (the second call) stops after 5 columns
	 */
	bwt_utoa(pidbuf, pid);
	bwt_utoa(badpid, pid);
	snprintf(good, sizeof(good), "%s/%s", dir, pidbuf);
	snprintf(bad, sizeof(bad), "%s/%s", dir, badpid);
	ASSERT_EQ(0, bwt_write_file(good, text, len));
	for (line = text, n = 1; line && n < 15; n++)
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	ASSERT_NE(NULL, line);
	end = strchr(line, '\n');
	ASSERT_NE(NULL, end);
	for (p = line - 1, n = 0; p && n < 5; n++)
		p = memchr(p + 1, ' ', end - p - 1);
	ASSERT_NE(NULL, p) TH_LOG("line 15 has less than 6 columns");
	memmove(p, end, strlen(end) + 1);

	ASSERT_EQ(0, reader(&o, env_proc, dir, pidbuf, NULL));
	EXPECT_EQ(0, o.status) TH_LOG("BRKWATCH_PROC copy: exit %d, '%s'", o.status, o.err);
	bwt_output_free(&o);
	ASSERT_EQ(0, unlink(good));
	ASSERT_EQ(0, bwt_write_file(bad, text, strlen(text)));

	for (n = 0; n < 2; n++) {
		ASSERT_EQ(0, reader(&o, env_proc, dir, n ? "--json" : "show", badpid, NULL));
		snprintf(want, sizeof(want), "%s line 15: ", bad);
		EXPECT_EQ(5, o.status) TH_LOG("malformed line 15: exit %d, '%s'", o.status, o.err);
		EXPECT_TRUE(err_has(&o, want)) TH_LOG("the message '%s' lacks '%s'", o.err, want);
		EXPECT_EQ((size_t)0, o.out_len) TH_LOG("printed '%s'", o.out);
		bwt_output_free(&o);
	}
	unlink(good);
	unlink(bad);
	rmdir(dir);
	bwt_free(text, BWT_FILE_MAX);
}

TEST(module_not_loaded_exits_2)
{
	struct bwt_output o[3];
	char marker[] = "/tmp/brk_reader_test.ran.XXXXXX";
	char *sh = "/bin/sh", cmd[96];
	int err, load_err, i, fd;

	SETUP();
	if (geteuid() != 0)
		SKIP(return, "needs root to unload and load the module");
	fd = mkstemp(marker);
	ASSERT_LE(0, fd);
	close(fd);
	unlink(marker);
	snprintf(cmd, sizeof(cmd), "touch %s", marker);

	err = bwt_module_unload(5000);
	ASSERT_EQ(0, err) TH_LOG("rmmod: %s", strerror(-err));
	ASSERT_FALSE(bwt_module_loaded());
	memset(o, 0, sizeof(o));
	err = reader(&o[0], NULL, NULL, "status", NULL);
	if (!err)
		err = reader(&o[1], NULL, NULL, "1", NULL);
	if (!err)
		err = reader(&o[2], NULL, NULL, "run", "--", sh, "-c", cmd, NULL);
	/* loaded again with its defaults before anything can stop the test */
	load_err = bwt_module_load("");
	ASSERT_EQ(0, load_err) TH_LOG("insmod: %s", strerror(-load_err));
	ASSERT_TRUE(bwt_module_loaded());
	ASSERT_EQ(0, err);

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(2, o[i].status) TH_LOG("case %d: exit %d, '%s'", i, o[i].status, o[i].err);
		EXPECT_TRUE(err_has(&o[i], "/proc/brkwatch does not exist") &&
			    err_has(&o[i], "not loaded") &&
			    err_has(&o[i], "load it with: sudo insmod module/brkwatch.ko"))
			TH_LOG("case %d: the message '%s' does not say how to load it",
			       i, o[i].err);
		EXPECT_EQ((size_t)0, o[i].out_len) TH_LOG("case %d printed '%s'", i, o[i].out);
		bwt_output_free(&o[i]);
	}
	EXPECT_NE(0, access(marker, F_OK)) TH_LOG("run started its command without the module");
	unlink(marker);
}

/* ---- run --stacks: who grew the heap ---- */

/*
 * The text of each "stack" array of a JSON document, one after the other:
 * its start, *len set, *at moved past it; NULL after the last. (Frames
 * hold no arrays: the array ends at the first ']'.)
 */
static const char *next_stack(const char **at, size_t *len)
{
	static const char key[] = "\"stack\": [";
	const char *p = strstr(*at, key), *end;

	if (!p)
		return NULL;
	p += sizeof(key) - 1;
	end = strchr(p, ']');
	if (!end)
		return NULL;
	*len = (size_t)(end - p);
	*at = end;
	return p;
}

/* Where what is in s[0..len), or -1. */
static long find_in(const char *s, size_t len, const char *what)
{
	size_t n = strlen(what), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(s + i, what, n))
			return (long)i;
	return -1;
}

/*
 * The stacks whose frames go through glibc's malloc (a symbol ending in
 * "malloc") and, further out, the function fn of the program.
 */
static int stacks_through(const char *json, const char *fn)
{
	char frame[128];
	const char *at = json, *st;
	size_t len;
	int n = 0;

	snprintf(frame, sizeof(frame), "\"symbol\": \"%s\"", fn);
	while ((st = next_stack(&at, &len))) {
		long m = find_in(st, len, "malloc\"");
		long f = find_in(st, len, frame);

		n += m >= 0 && f > m;
	}
	return n;
}

static char stacks_prog[4096];

static void run_stacks(struct __test_metadata *_metadata, struct bwt_output *o,
		       const char *prog, bool stacks)
{
	ASSERT_EQ(0, bwt_checkout_path(prog, stacks_prog, sizeof(stacks_prog)));
	ASSERT_EQ(0, access(stacks_prog, X_OK)) TH_LOG("%s is not built", stacks_prog);
	ASSERT_EQ(0, reader(o, NULL, NULL, "run", "-o", "-", "--json",
			    stacks ? "--stacks" : "--", stacks ? "--" : stacks_prog,
			    stacks ? stacks_prog : NULL, NULL));
	ASSERT_EQ(0, o->status) TH_LOG("brkwatch run exited %d: %s", o->status, o->err);
}

/*
 * A program built -O0 -g without frame pointers grows its heap from two
 * functions: each call's stack, unwound from the .eh_frame of the files it
 * had mapped, names the function through glibc's malloc, with its file
 * and line.
 */
TEST(run_stacks_name_both_functions_through_malloc)
{
	struct bwt_output o;

	SETUP();
	run_stacks(_metadata, &o, "selftests/brk_stacks_prog", true);
	EXPECT_LE(1, stacks_through(o.out, "parse_config"))
		TH_LOG("no stack goes through malloc from parse_config:\n%.3000s", o.out);
	EXPECT_LE(1, stacks_through(o.out, "load_table"))
		TH_LOG("no stack goes through malloc from load_table:\n%.3000s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "brk_stacks_prog.c\""))
		TH_LOG("no frame gives the program's source file");
	EXPECT_EQ(NULL, strstr(o.out, "\"stack\": null"))
		TH_LOG("a call of the program has no stack");
	bwt_output_free(&o);
	bwt_free(hist, sizeof(*hist));
}

/*
 * Its stripped copy: the same stacks, but the program's own frames are
 * its file and an offset, never a name.
 */
TEST(run_stacks_of_a_stripped_program_give_offsets_not_names)
{
	struct bwt_output o;
	const char *at, *st;
	size_t len;
	int anonymous = 0;

	SETUP();
	run_stacks(_metadata, &o, "selftests/brk_stacks_prog.stripped", true);
	EXPECT_EQ(NULL, strstr(o.out, "parse_config"));
	EXPECT_EQ(NULL, strstr(o.out, "load_table"));
	for (at = o.out; (st = next_stack(&at, &len));) {
		static const char obj[] = "brk_stacks_prog.stripped\",";
		long i = find_in(st, len, obj);
		const char *p = st + i + sizeof(obj) - 1;

		if (i < 0 || find_in(st, len, "malloc\"") < 0)
			continue;
		/* the next member of that frame */
		p += strspn(p, " \n");
		anonymous += !strncmp(p, "\"symbol\": null,", 15);
	}
	EXPECT_LE(2, anonymous)
		TH_LOG("no stack through malloc with the stripped program's frames as offsets:\n%.3000s",
		       o.out);
	bwt_output_free(&o);
	bwt_free(hist, sizeof(*hist));
}

/* Without --stacks nothing is captured: every call's stack is null. */
TEST(run_without_stacks_has_none)
{
	struct bwt_output o;

	SETUP();
	run_stacks(_metadata, &o, "selftests/brk_stacks_prog", false);
	EXPECT_EQ(NULL, strstr(o.out, "\"stack\": ["));
	EXPECT_NE(NULL, strstr(o.out, "\"stack\": null"));
	bwt_output_free(&o);
	bwt_free(hist, sizeof(*hist));
}

TEST_HARNESS_MAIN

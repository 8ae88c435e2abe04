// SPDX-License-Identifier: GPL-2.0
/*
 * brk_torture_test: everything at once, for BRK_TORTURE_SECONDS (default
 * 20), then every count checked.
 *
 * - Racers: RACERS processes of THREADS threads each call brk() as fast as
 *   they can, growing, shrinking and querying over 48 pages, with mmap()
 *   and munmap() between, and a mapping put just above the heap now and
 *   then so that grows are refused (overlap). Each thread logs its calls
 *   (the last LOG of them) in shared memory.
 * - Stormers: STORMERS processes fork children BURST at a time, each
 *   making a few logged calls, then one of: exit; exec of this program as
 *   a helper that makes more logged calls; setuid to nobody and exec of a
 *   setuid program (passwd -S); wait to be forgotten ("forget PID"), then
 *   more calls in a new history. A child's pid is often handed to the next
 *   one (ns_last_pid) once it is reaped. Each child's history is checked
 *   by its stormer before it is reaped.
 * - Readers: READERS processes read status and every history, parse them
 *   and check every record they see: its columns, and for the torture's
 *   own processes its verdict (other tests' processes get other ones).
 *
 * Afterwards: every call a process logged is in its history (`calls` is
 * exactly what it counted, the kept records are its last calls, in its
 * order, under its tid); every record agrees with its verdict, and only
 * the verdicts these calls can get appear (query, grow, shrink, same-page,
 * overlap: never unknown); status's counters add up: each call seen was
 * stored or counted as dropped for memory, nothing missed, and there are
 * as many files as histories running and exited.
 *
 * The children call brk() only through bwt_brk() (no malloc, no stdio), so
 * their histories hold exactly their logged calls; an exec'd program adds
 * its loader's calls, which are checked but not counted.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define P		BWT_PAGE
#define RACERS		3
#define THREADS		3
#define LOG		2048	/* per thread: more than a ring of 1024 */
#define STORMERS	2
#define READERS		2
#define BURST		4	/* children of a stormer at once */
#define KCALLS		8	/* logged calls of a child, per part */
#define LOADER_MAX	8	/* calls of an exec'd program before its own */
#define STACK		(64UL << 10)
#define HELPER_ENV	"BRK_TORTURE_HELPER"
#define SECONDS_ENV	"BRK_TORTURE_SECONDS"
#define SETUID_PROG	"/usr/bin/passwd"
#define NOBODY		65534
#define MSG		240

enum kind { KIND_PLAIN, KIND_EXEC, KIND_SETUID, KIND_VICTIM, NR_KINDS };

/* One thread's calls: the last LOG of them, n in all. */
struct tlog {
	int tid;
	unsigned long n;
	unsigned long req[LOG];
	long ret[LOG];
};

/* A stormer's child: its calls before (0) and after (1) exec or forget. */
struct klog {
	int state;		/* victim: 1 ready to be forgotten, 2 forgotten */
	unsigned long n[2];
	unsigned long req[2][KCALLS];
	long ret[2][KCALLS];
};

struct stormer {
	unsigned long kids[NR_KINDS];
	unsigned long reuses;
	unsigned long failures;
	char msg[MSG];		/* the first failure */
	struct klog k[BURST];
};

struct reader {
	unsigned long files;	/* histories read and checked */
	unsigned long gone;	/* removed while being opened or read */
	unsigned long failures;
	char msg[MSG];
};

struct shared {
	int stop;
	int pids[1 + STORMERS];	/* the test's and the stormers': parents of ours */
	int racers_done[RACERS];
	struct tlog t[RACERS][THREADS];
	struct stormer s[STORMERS];
	struct reader r[READERS];
};

static struct shared *sh;
static int memfd;		/* sh's, passed to the exec'd helpers */
static char self_exe[4096];
static bool can_setuid;

static bool stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST);
}

static unsigned long rnd(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- Checking a history ---- */

static bool details_none(const struct bwt_event *e)
{
	return !strcmp(e->details, "-");
}

/*
 * Why record e disagrees with its verdict, or NULL. start_brk 0: unknown.
 * Not strict (a process of another test): only the columns that follow
 * from the others.
 */
static const char *check_event(const struct bwt_event *e, unsigned long start_brk,
			       bool strict)
{
	unsigned long areq = BWT_PAGE_ALIGN(e->request);
	unsigned long after = e->ret < 0 ? e->brk_before : (unsigned long)e->ret;
	unsigned long ns, ne;
	char kind[16];
	int gap;

	if (e->brk_after != after)
		return "brk_after is not what the call returned";
	if (e->aligned_before != BWT_PAGE_ALIGN(e->brk_before) ||
	    e->aligned_after != BWT_PAGE_ALIGN(e->brk_after))
		return "aligned breaks do not follow the breaks";
	if (e->delta != (long)(e->aligned_after - e->aligned_before))
		return "delta is not aligned_after - aligned_before";
	if (!strict)
		return NULL;
	if (strcmp(e->entry, "x64"))
		return "entry is not x64";
	if (!strcmp(e->verdict, "query"))
		return e->request == 0 && e->ret == (long)e->brk_before &&
		       details_none(e) ? NULL : "query: not brk(0) returning the break";
	if (!strcmp(e->verdict, "grow"))
		return e->ret == (long)e->request && areq > e->aligned_before &&
		       details_none(e) ? NULL : "grow: not a granted request above the break's page";
	if (!strcmp(e->verdict, "shrink"))
		return e->ret == (long)e->request && areq < e->aligned_before &&
		       e->request >= start_brk && details_none(e) ? NULL :
		       "shrink: not a granted request below the break's page";
	if (!strcmp(e->verdict, "same-page"))
		return e->ret == (long)e->request && areq == e->aligned_before &&
		       e->request >= start_brk && details_none(e) ? NULL :
		       "same-page: not a granted request in the break's page";
	if (!strcmp(e->verdict, "overlap")) {
		if (e->ret != (long)e->brk_before || !e->request ||
		    areq <= e->aligned_before)
			return "overlap: not a refused grow";
		if (sscanf(e->details, "next_start=%lx,next_end=%lx,next_kind=%15[a-z],gap_only=%d",
			   &ns, &ne, kind, &gap) != 4)
			return "overlap: details unreadable";
		if (ns >= ne || ns < e->aligned_before)
			return "overlap: the next mapping is not above the old break";
		if (!gap && ns >= areq + P)
			return "overlap: the next mapping is not within a page of the new break";
		return NULL;
	}
	return "a verdict none of these calls can get";
}

static void say(char *msg, const char *what, unsigned long a, unsigned long b)
{
	snprintf(msg, MSG, "%s (%lu, %lu)", what, a, b);
}

/*
 * The body of history h: each record agrees with its verdict, seq goes up
 * by one (only up, for a live process whose ring may be overtaken while it
 * is read), and for an exited process the header counts what is kept and
 * dropped. Strict: only the verdicts the torture's calls can get. False
 * with msg set.
 */
static bool check_body(const struct bwt_history *h, bool strict, char *msg)
{
	unsigned long start = 0, last = 0;
	bool exited = !strcmp(h->state, "exited");
	const char *why;
	int i, calls = 0;

	for (i = 0; i < h->nevents; i++) {
		const struct bwt_event *e = &h->ev[i];

		if (e->exec) {
			start = e->start_brk;
			continue;
		}
		why = check_event(e, start, strict);
		if (why) {
			snprintf(msg, MSG, "pid %d seq %lu: %s: %s request %#lx ret %#lx before %#lx %s",
				 h->pid, e->seq, why, e->verdict, e->request,
				 (unsigned long)e->ret, e->brk_before, e->details);
			return false;
		}
		if (calls && (exited ? e->seq != last + 1 : e->seq <= last)) {
			say(msg, "seq out of order", last, e->seq);
			return false;
		}
		last = e->seq;
		calls++;
	}
	if (!exited)
		return true;
	if (calls && last != h->calls) {
		say(msg, "the last seq is not '# calls'", last, h->calls);
		return false;
	}
	if ((unsigned long)calls + h->dropped != h->calls) {
		say(msg, "kept + dropped is not '# calls'", calls + h->dropped, h->calls);
		return false;
	}
	return true;
}

/* Call events [from, to) of h are the n calls req/ret made by tid. */
static bool check_calls(const struct bwt_history *h, int from, int to, int tid,
			const unsigned long *req, const long *ret,
			unsigned long n, char *msg)
{
	unsigned long i;

	if ((unsigned long)(to - from) != n) {
		say(msg, "not as many records as logged calls", to - from, n);
		return false;
	}
	for (i = 0; i < n; i++) {
		const struct bwt_event *e = &h->ev[from + i];

		if (e->exec || e->tid != tid || e->request != req[i] ||
		    e->ret != ret[i]) {
			snprintf(msg, MSG, "pid %d line %lu: %s tid %d request %#lx ret %#lx, logged tid %d request %#lx ret %#lx",
				 h->pid, from + i + 1, e->exec ? "exec" : "call",
				 e->tid, e->request, (unsigned long)e->ret, tid,
				 req[i], (unsigned long)ret[i]);
			return false;
		}
	}
	return true;
}

/* ---- The children's calls ---- */

static long logged(struct klog *k, int part, unsigned long req)
{
	unsigned long i = k->n[part];
	long ret = bwt_brk(req);

	if (i < KCALLS) {
		k->req[part][i] = req;
		k->ret[part][i] = ret;
		k->n[part] = i + 1;
	}
	return ret;
}

/* Five calls from the current break: grow, same page, shrink, back, query. */
static void kid_calls(struct klog *k, int part, unsigned long salt)
{
	unsigned long cur = logged(k, part, 0);
	unsigned long top = BWT_PAGE_ALIGN(cur) + (2 + salt % 5) * P + salt % 997 + 1;

	logged(k, part, top);
	logged(k, part, top + 1);
	logged(k, part, BWT_PAGE_ALIGN(cur) + P + salt % 13);
	logged(k, part, cur);
}

/*
 * This program exec'd by a stormer's child: HELPER_ENV=<stormer>,<slot>,
 * <fd of the shared memory>. Its calls, then exit, before the harness starts.
 */
static void __attribute__((constructor)) exec_helper(void)
{
	const char *env = getenv(HELPER_ENV);
	unsigned long idx, slot, fd;
	struct shared *s;
	char *end;

	if (!env)
		return;
	idx = strtoul(env, &end, 10);
	if (*end != ',' || idx >= STORMERS)
		_exit(126);
	slot = strtoul(end + 1, &end, 10);
	if (*end != ',' || slot >= BURST)
		_exit(126);
	fd = strtoul(end + 1, &end, 10);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (*end || s == MAP_FAILED)
		_exit(126);
	kid_calls(&s->s[idx].k[slot], 1, (unsigned long)getpid());
	_exit(0);
}

static void kid_main(int idx, int slot, enum kind kind, unsigned long salt)
{
	struct klog *k = &sh->s[idx].k[slot];
	static char env[64] = HELPER_ENV "=";
	char *argv[] = { self_exe, NULL, NULL };
	char *envp[] = { env, NULL };
	size_t len = strlen(env);
	int nfd;

	bwt_die_with_parent();
	kid_calls(k, 0, salt);
	switch (kind) {
	case KIND_PLAIN:
		_exit(0);
	case KIND_EXEC:
		len += bwt_utoa(env + len, (unsigned long)idx);
		env[len++] = ',';
		len += bwt_utoa(env + len, (unsigned long)slot);
		env[len++] = ',';
		bwt_utoa(env + len, (unsigned long)memfd);
		execve(self_exe, argv, envp);
		_exit(127);
	case KIND_SETUID:
		nfd = open("/dev/null", O_RDWR);
		if (nfd < 0 || dup2(nfd, 0) < 0 || dup2(nfd, 1) < 0 ||
		    dup2(nfd, 2) < 0)
			_exit(125);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(125);
		argv[0] = SETUID_PROG;
		argv[1] = "-S";
		execve(SETUID_PROG, argv, envp + 1);
		_exit(127);
	case KIND_VICTIM:
		__atomic_store_n(&k->state, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&k->state, __ATOMIC_SEQ_CST) != 2)
			bwt_sleep_ms(1);
		kid_calls(k, 1, salt + 1);
		_exit(0);
	default:
		_exit(125);
	}
}

/* Why the history of child pid disagrees with its log, or NULL. */
static bool check_kid(struct bwt_history *h, int pid, enum kind kind,
		      const struct klog *k, char *msg)
{
	int err = bwt_history_read(pid, h), i, mark = -1, extra;

	if (err) {
		snprintf(msg, MSG, "pid %d: reading its history: %s %s", pid,
			 strerror(-err), h->error);
		return false;
	}
	if (!check_body(h, true, msg))
		return false;
	if (h->dropped) {
		say(msg, "a child's history dropped calls", pid, h->dropped);
		return false;
	}
	for (i = 0; i < h->nevents; i++) {
		if (h->ev[i].exec && mark < 0)
			mark = i;
		else if (h->ev[i].exec)
			return say(msg, "two exec markers", pid, i), false;
		else if (h->ev[i].tid != pid)
			return say(msg, "a call of another tid", pid, h->ev[i].tid), false;
	}
	switch (kind) {
	case KIND_PLAIN:
		return check_calls(h, 0, h->nevents, pid, k->req[0], k->ret[0],
				   k->n[0], msg);
	case KIND_VICTIM:
		/* forgotten after its first calls: the new history has the rest */
		return check_calls(h, 0, h->nevents, pid, k->req[1], k->ret[1],
				   k->n[1], msg);
	case KIND_EXEC:
	case KIND_SETUID:
		if (mark != (int)k->n[0])
			return say(msg, "the exec marker is not after the logged calls",
				   mark + 1, k->n[0] + 1), false;
		if (!check_calls(h, 0, mark, pid, k->req[0], k->ret[0], k->n[0], msg))
			return false;
		if (kind == KIND_SETUID)
			return true;
		extra = h->nevents - mark - 1 - (int)k->n[1];
		if (extra < 0 || extra > LOADER_MAX)
			return say(msg, "calls after exec, besides the helper's",
				   extra, k->n[1]), false;
		return check_calls(h, mark + 1 + extra, h->nevents, pid,
				   k->req[1], k->ret[1], k->n[1], msg);
	default:
		return false;
	}
}

static void stormer_fail(struct stormer *st, const char *msg)
{
	if (!st->failures++)
		bwt_copy(st->msg, sizeof(st->msg), msg);
}

/*
 * Starts BURST children at once, then checks each one's history against
 * its log once it has exited, before reaping it.
 */
static void stormer(int idx)
{
	struct stormer *st = &sh->s[idx];
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	char msg[MSG];
	unsigned long serial = 0, salt;
	int last = 0, pid[BURST], status = 0, tries, i, b, err;
	enum kind kind[BURST];
	bool ok;

	bwt_die_with_parent();
	if (!h)
		_exit(1);
	while (!stopping()) {
		memset(st->k, 0, sizeof(st->k));
		/* the last child's pid, just reaped, for the next one */
		if (last && geteuid() == 0 && serial % 2 == 0)
			bwt_set_last_pid(last - 1);
		for (b = 0; b < BURST; b++) {
			serial++;
			kind[b] = (enum kind)(serial % NR_KINDS);
			if (kind[b] == KIND_SETUID && !can_setuid)
				kind[b] = KIND_PLAIN;
			salt = serial * 7919 + idx * 104729;
			pid[b] = fork();
			if (pid[b] < 0) {
				stormer_fail(st, "fork failed");
				_exit(1);
			}
			if (!pid[b])
				kid_main(idx, b, kind[b], salt);
			if (pid[b] == last)
				st->reuses++;
			st->kids[kind[b]]++;
		}
		for (b = 0; b < BURST; b++) {
			if (kind[b] != KIND_VICTIM)
				continue;
			for (i = 0; i < 10000; i++) {
				if (__atomic_load_n(&st->k[b].state, __ATOMIC_SEQ_CST) == 1)
					break;
				bwt_sleep_ms(1);
			}
			err = bwt_forget(pid[b]);
			if (err) {
				snprintf(msg, MSG, "forget %d: %s", pid[b], strerror(-err));
				stormer_fail(st, msg);
			}
			__atomic_store_n(&st->k[b].state, 2, __ATOMIC_SEQ_CST);
		}
		for (b = 0; b < BURST; b++) {
			if (bwt_wait_noreap(pid[b], &status)) {
				stormer_fail(st, "waitid failed");
				_exit(1);
			}
			if (status && kind[b] != KIND_SETUID) {
				say(msg, "a child failed", kind[b], status);
				stormer_fail(st, msg);
			}
			/*
			 * Until the worker has caught up, the file can be
			 * missing, or be that of a history just replaced (a
			 * reused pid) or forgotten: the check is retried for a
			 * while.
			 */
			for (tries = 0; tries < 250; tries++) {
				ok = check_kid(h, pid[b], kind[b], &st->k[b], msg);
				if (ok)
					break;
				bwt_sleep_ms(20);
			}
			if (!ok)
				stormer_fail(st, msg);
		}
		for (b = 0; b < BURST; b++)
			bwt_reap(pid[b]);
		last = pid[BURST - 1];
	}
	_exit(0);
}

/* ---- Racers ---- */

struct racer_arg {
	int r, t;
	unsigned long base;
};

static long raced(struct tlog *log, unsigned long req)
{
	unsigned long i = log->n % LOG;
	long ret = bwt_brk(req);

	log->req[i] = req;
	log->ret[i] = ret;
	__atomic_store_n(&log->n, log->n + 1, __ATOMIC_RELEASE);
	return ret;
}

static int racer_thread(void *p)
{
	struct racer_arg *a = p;
	struct tlog *log = &sh->t[a->r][a->t];
	unsigned long s = 0x9e3779b97f4a7c15UL * (a->r * THREADS + a->t + 1);
	unsigned long x, hint;
	char *m;

	log->tid = (int)syscall(SYS_gettid);
	while (!stopping()) {
		x = rnd(&s);
		switch (x % 16) {
		case 0:
		case 1:
		case 2:
			raced(log, 0);
			break;
		case 3:
			m = mmap(NULL, (1 + x % 4) * P, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m != MAP_FAILED) {
				m[0] = 1;
				munmap(m, (1 + x % 4) * P);
			}
			break;
		case 4:
			/* read-only: never merged with the heap */
			hint = a->base + (24 + (x >> 8) % 24) * P;
			m = mmap((void *)hint, P, PROT_READ, MAP_PRIVATE |
				 MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (m == MAP_FAILED)
				break;
			if ((unsigned long)m == hint) {
				raced(log, hint + P + (x >> 20) % P);
				raced(log, hint + 4 * P);
			}
			munmap(m, P);
			break;
		default:
			raced(log, a->base + (x >> 8) % (48 * P));
		}
	}
	return 0;
}

static int racer_clone(void *p)
{
	struct racer_arg *a = p;

	racer_thread(p);
	__atomic_add_fetch(&sh->racers_done[a->r], 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void racer(int r)
{
	struct racer_arg args[THREADS];
	unsigned long base;
	int t;

	bwt_die_with_parent();
	sh->t[r][0].tid = (int)syscall(SYS_gettid);
	base = BWT_PAGE_ALIGN(raced(&sh->t[r][0], 0));
	for (t = 0; t < THREADS; t++) {
		args[t].r = r;
		args[t].t = t;
		args[t].base = base;
	}
	for (t = 1; t < THREADS; t++) {
		void *stack = bwt_zalloc(STACK);

		if (!stack || clone(racer_clone, (char *)stack + STACK,
				    CLONE_VM | CLONE_FS | CLONE_FILES |
				    CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
				    &args[t]) < 0)
			_exit(1);
	}
	racer_thread(&args[0]);
	while (__atomic_load_n(&sh->racers_done[r], __ATOMIC_SEQ_CST) < THREADS - 1)
		bwt_sleep_ms(1);
	_exit(0);
}

/* ---- Readers ---- */

/* A history of the torture's processes (racers, stormers' children)? */
static bool ours(int ppid)
{
	int i;

	for (i = 0; i <= STORMERS; i++)
		if (ppid == __atomic_load_n(&sh->pids[i], __ATOMIC_SEQ_CST))
			return true;
	return false;
}

/*
 * A live history is read as long as records come: faster than the reader,
 * they can outnumber what the parser holds. Only the first lines count.
 */
static void cut_lines(char *buf, int lines)
{
	char *nl = buf;

	while (lines-- && nl && *nl) {
		nl = strchr(nl, '\n');
		if (nl)
			nl++;
	}
	if (nl)
		*nl = '\0';
}

static void reader(int idx)
{
	struct reader *rd = &sh->r[idx];
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	char *buf = bwt_zalloc(BWT_FILE_MAX), *dents = bwt_zalloc(65536);
	char path[64], msg[MSG];
	long n, off;
	ssize_t len;
	int dfd;

	bwt_die_with_parent();
	if (!h || !buf || !dents)
		_exit(1);
	while (!stopping()) {
		len = bwt_read_file(BWT_PROC_DIR "/status", buf, BWT_FILE_MAX);
		if (len < 0 && !rd->failures++)
			bwt_copy(rd->msg, sizeof(rd->msg), "status could not be read");
		dfd = open(BWT_PROC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			_exit(1);
		while ((n = syscall(SYS_getdents64, dfd, dents, 65536)) > 0) {
			for (off = 0; off < n;) {
				struct bwt_dirent64 *d = (void *)(dents + off);

				off += d->d_reclen;
				if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
				    strlen(d->d_name) > 20)
					continue;
				bwt_history_path(path, sizeof(path), atoi(d->d_name));
				len = bwt_read_file(path, buf, BWT_FILE_MAX);
				/* forgotten, replaced: removed under the reader */
				if (len == -ENOENT || len == -EIO) {
					rd->gone++;
					continue;
				}
				if (len >= 0)
					cut_lines(buf, 13 + BWT_MAX_EVENTS);
				if (len < 0) {
					snprintf(msg, MSG, "%s: %s", path, strerror((int)-len));
				} else if (bwt_parse_history(buf, h)) {
					snprintf(msg, MSG, "%s: %s", path, h->error);
				} else if (check_body(h, ours(h->ppid), msg)) {
					rd->files++;
					continue;
				}
				if (!rd->failures++)
					bwt_copy(rd->msg, sizeof(rd->msg), msg);
			}
		}
		close(dfd);
	}
	_exit(0);
}

/*
 * The records of racer r's history are its threads' calls: each thread's
 * last ones, in its order (all of them if nothing was dropped), and no
 * other tid. False with msg set.
 */
static bool check_racer(const struct bwt_history *h, int r, char *msg)
{
	unsigned long n, k, j;
	int i, t, known;

	for (i = 0; i < h->nevents; i++) {
		for (t = 0, known = 0; t < THREADS; t++)
			known |= h->ev[i].tid == sh->t[r][t].tid;
		if (!known || h->ev[i].exec) {
			say(msg, "a record not of one of its threads", i + 1, h->ev[i].tid);
			return false;
		}
	}
	for (t = 0; t < THREADS; t++) {
		const struct tlog *log = &sh->t[r][t];

		n = log->n;
		for (i = 0, k = 0; i < h->nevents; i++)
			k += h->ev[i].tid == log->tid;
		if (k > n || k > LOG || (!h->dropped && k != n)) {
			snprintf(msg, MSG, "thread %d (tid %d): %lu records, %lu calls, %lu dropped",
				 t, log->tid, k, n, h->dropped);
			return false;
		}
		/* its last k calls, in order */
		for (i = 0, j = n - k; i < h->nevents; i++) {
			const struct bwt_event *e = &h->ev[i];

			if (e->tid != log->tid)
				continue;
			if (e->request != log->req[j % LOG] || e->ret != log->ret[j % LOG]) {
				snprintf(msg, MSG, "thread %d (tid %d) call %lu of %lu: recorded request %#lx ret %#lx, made request %#lx ret %#lx",
					 t, log->tid, j + 1, n, e->request,
					 (unsigned long)e->ret, log->req[j % LOG],
					 (unsigned long)log->ret[j % LOG]);
				return false;
			}
			j++;
		}
	}
	return true;
}

/* ---- The test ---- */

static const char *const counters[] = {
	"calls_seen", "records_stored", "records_dropped_memcap",
	"records_dropped_nomem", "kretprobe_missed", "inflight_overflow",
	"unknown_verdicts", "records_dropped_ring",
};

/* the verdicts the racers' calls get, each seen */
static const char *const verdicts[] = {
	"query", "grow", "shrink", "same-page", "overlap",
};

#define NR_SEEN	((int)ARRAY_SIZE(verdicts))

enum { SEEN, STORED, MEMCAP, NOMEM, MISSED, OVERFLOW, UNKNOWN, RING, NR_COUNTERS };

static int read_counters(unsigned long *v)
{
	int i, err;

	for (i = 0; i < NR_COUNTERS; i++) {
		err = bwt_status_get(counters[i], &v[i]);
		if (err)
			return err;
	}
	return 0;
}

/* How many histories have a file in /proc/brkwatch. */
static long count_files(void)
{
	char dents[32768];
	long n, off, files = 0;
	int dfd = open(BWT_PROC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, dfd, dents, sizeof(dents))) > 0)
		for (off = 0; off < n;) {
			struct bwt_dirent64 *d = (void *)(dents + off);

			off += d->d_reclen;
			files += d->d_name[0] >= '0' && d->d_name[0] <= '9';
		}
	close(dfd);
	return files;
}

FIXTURE(torture) {
	pid_t kids[RACERS + STORMERS + READERS];
	int nkids;
};

FIXTURE_SETUP(torture)
{
	ssize_t len;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	/* shared with the exec'd helpers through this fd */
	memfd = memfd_create("brk_torture", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, sizeof(*sh)));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED,
		  memfd, 0);
	ASSERT_NE(MAP_FAILED, sh);
	len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_LT(0, len);
	self_exe[len] = '\0';
	can_setuid = geteuid() == 0 && access(SETUID_PROG, X_OK) == 0;
}

FIXTURE_TEARDOWN(torture)
{
	int i;

	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < self->nkids; i++)
		waitpid(self->kids[i], NULL, 0);
	close(memfd);
}

static int start(FIXTURE_DATA(torture) *self, void (*fn)(int), int arg)
{
	int pid = fork();

	if (!pid)
		fn(arg);
	if (pid > 0)
		self->kids[self->nkids++] = pid;
	return pid;
}

TEST_F_TIMEOUT(torture, everything_at_once_then_every_count_checked, 280)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long before[NR_COUNTERS], after[NR_COUNTERS], d[NR_COUNTERS];
	unsigned long seconds = 20, counted = 0, execs = 0, drops, v;
	unsigned long running, exited, kinds[NR_KINDS] = { 0 }, reuses = 0;
	unsigned long seen[NR_SEEN] = { 0 };
	const char *env = getenv(SECONDS_ENV);
	int racer_pid[RACERS], i, r, t, status = 0, err, pid;
	char msg[MSG];
	long files = -1;

	ASSERT_NE(NULL, h);
	if (env) {
		ASSERT_EQ(0, bwt_parse_ulong(env, &seconds))
			TH_LOG("%s=%s: expected a number of seconds", SECONDS_ENV, env);
		ASSERT_TRUE(seconds >= 1 && seconds <= 240)
			TH_LOG("%s=%s: from 1 to 240 seconds", SECONDS_ENV, env);
	}
	if (!can_setuid)
		TH_LOG("no exec of %s as nobody: %s", SETUID_PROG,
		       geteuid() ? "not root" : "not there");
	ASSERT_EQ(0, read_counters(before));

	sh->pids[0] = getpid();
	for (i = 0; i < READERS; i++)
		ASSERT_LT(0, start(self, reader, i));
	for (i = 0; i < RACERS; i++) {
		racer_pid[i] = start(self, racer, i);
		ASSERT_LT(0, racer_pid[i]);
	}
	for (i = 0; i < STORMERS; i++) {
		pid = start(self, stormer, i);
		ASSERT_LT(0, pid);
		__atomic_store_n(&sh->pids[1 + i], pid, __ATOMIC_SEQ_CST);
	}
	bwt_sleep_ms(seconds * 1000);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);

	/* racers: `calls` is what their threads counted, each its last calls */
	for (r = 0; r < RACERS; r++) {
		unsigned long total = 0;

		ASSERT_EQ(0, bwt_wait_noreap(racer_pid[r], &status));
		EXPECT_EQ(0, status) TH_LOG("racer %d exited with %d", r, status);
		err = bwt_history_wait(racer_pid[r], h, 5000);
		ASSERT_EQ(0, err) TH_LOG("racer %d: %s %s", r, strerror(-err), h->error);
		for (t = 0; t < THREADS; t++)
			total += sh->t[r][t].n;
		counted += total;
		EXPECT_EQ(total, h->calls)
			TH_LOG("racer %d: '# calls' %lu, its threads counted %lu",
			       r, h->calls, total);
		EXPECT_TRUE(check_body(h, true, msg)) TH_LOG("racer %d: %s", r, msg);
		EXPECT_TRUE(check_racer(h, r, msg)) TH_LOG("racer %d: %s", r, msg);
		for (i = 0; i < h->nevents; i++)
			for (t = 0; t < NR_SEEN; t++)
				seen[t] += !strcmp(h->ev[i].verdict, verdicts[t]);
	}

	for (t = 0; t < NR_SEEN; t++) {
		TH_LOG("racers' records kept: %lu %s", seen[t], verdicts[t]);
		EXPECT_LT(0UL, seen[t]) TH_LOG("no %s among the racers' calls", verdicts[t]);
	}

	/* stormers and readers: what they found */
	for (i = 0; i < self->nkids; i++)
		waitpid(self->kids[i], NULL, 0);
	self->nkids = 0;
	for (i = 0; i < STORMERS; i++) {
		const struct stormer *st = &sh->s[i];

		for (t = 0; t < NR_KINDS; t++) {
			kinds[t] += st->kids[t];
			counted += st->kids[t] * 5;
		}
		counted += (st->kids[KIND_EXEC] + st->kids[KIND_VICTIM]) * 5;
		execs += st->kids[KIND_EXEC] + st->kids[KIND_SETUID];
		reuses += st->reuses;
		EXPECT_EQ(0UL, st->failures)
			TH_LOG("stormer %d: %lu children disagree with their histories; the first: %s",
			       i, st->failures, st->msg);
	}
	TH_LOG("children: %lu exited, %lu exec'd the helper, %lu exec'd %s, %lu forgotten; %lu pids reused",
	       kinds[KIND_PLAIN], kinds[KIND_EXEC], kinds[KIND_SETUID], SETUID_PROG,
	       kinds[KIND_VICTIM], reuses);
	EXPECT_LT(0UL, kinds[KIND_EXEC]);
	EXPECT_LT(0UL, kinds[KIND_VICTIM]);
	if (geteuid() == 0)
		EXPECT_LT(0UL, reuses) TH_LOG("no pid was reused");
	for (i = 0; i < READERS; i++) {
		const struct reader *rd = &sh->r[i];

		TH_LOG("reader %d: %lu histories read and checked, %lu removed meanwhile",
		       i, rd->files, rd->gone);
		EXPECT_LT(0UL, rd->files);
		EXPECT_EQ(0UL, rd->failures)
			TH_LOG("reader %d: %lu failures; the first: %s", i, rd->failures, rd->msg);
	}
	for (r = 0; r < RACERS; r++)
		bwt_reap(racer_pid[r]);

	/* status adds up */
	ASSERT_EQ(0, read_counters(after));
	for (i = 0; i < NR_COUNTERS; i++) {
		d[i] = after[i] - before[i];
		TH_LOG("status %s: +%lu", counters[i], d[i]);
	}
	EXPECT_EQ(0UL, d[UNKNOWN]);
	EXPECT_EQ(0UL, d[MISSED]) TH_LOG("kretprobes missed calls");
	EXPECT_EQ(0UL, d[OVERFLOW]);
	EXPECT_LE(counted, d[SEEN]) TH_LOG("calls_seen grew by %lu, the processes counted %lu",
					   d[SEEN], counted);
	drops = d[MEMCAP] + d[NOMEM];
	/* a drop may be an exec marker's, which is no call */
	EXPECT_LE(d[SEEN], d[STORED] + drops);
	EXPECT_GE(d[SEEN] + execs, d[STORED] + drops)
		TH_LOG("calls_seen +%lu, records_stored +%lu, dropped for memory +%lu",
		       d[SEEN], d[STORED], drops);
	/* once the worker caught up: a file per history */
	for (i = 0; i < 100; i++) {
		err = bwt_status_get("processes_running", &running);
		err = err ? err : bwt_status_get("processes_exited", &exited);
		ASSERT_EQ(0, err);
		files = count_files();
		err = bwt_status_get("processes_running", &v);
		ASSERT_EQ(0, err);
		if (v == running && files == (long)(running + exited))
			break;
		bwt_sleep_ms(50);
	}
	EXPECT_EQ((long)(running + exited), files)
		TH_LOG("%ld files, status counts %lu running and %lu exited",
		       files, running, exited);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

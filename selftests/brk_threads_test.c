// SPDX-License-Identifier: GPL-2.0
/*
 * brk_threads_test: threads of one process calling brk() at the same time.
 * Every call is recorded once, under the thread that made it, in that
 * thread's order, with what it returned; nothing is lost, nothing added.
 *
 * The threads are started with clone() on stacks of their own, not with
 * pthread_create() (which may malloc(), hence brk()), and call brk() raw,
 * as sbrk() does, each logging its requests and returns in shared memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the harness's functions, and those its macros define, leave parameters unused */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "brkwatch_test.h"
#include "brk_check.h"

#define NTHREADS	4
#ifndef NCALLS
#define NCALLS		250	/* per thread: 4 x 250 + 2 fit in the 1024-record ring */
#endif
#define STACK		(64UL << 10)

struct thread_log {
	int tid;
	unsigned long req[NCALLS];
	long ret[NCALLS];
};

struct shared {
	unsigned long b0, bf;		/* the main thread's brk(0), first and last */
	volatile int ready, go, done;
	struct thread_log t[NTHREADS];
	int err;
};

struct arg {
	struct shared *s;
	int index;
};

static int worker(void *p)
{
	struct arg *a = p;
	struct shared *s = a->s;
	struct thread_log *log = &s->t[a->index];
	unsigned long req;
	int i, j = a->index;

	log->tid = (int)syscall(SYS_gettid);
	__atomic_add_fetch(&s->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->go, __ATOMIC_SEQ_CST))
		sched_yield();
	for (i = 0; i < NCALLS; i++) {
		/* up and down over 13 pages; a thread's own offset in the page */
		req = s->b0 + ((unsigned long)(j * 7 + i) % 13) * BWT_PAGE +
		      16 * j + 8;
		log->req[i] = req;
		log->ret[i] = syscall(SYS_brk, req);
	}
	__atomic_add_fetch(&s->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int child(void *p)
{
	struct shared *s = p;
	struct arg args[NTHREADS];
	int i;

	s->b0 = syscall(SYS_brk, 0);
	for (i = 0; i < NTHREADS; i++) {
		void *stack = bwt_zalloc(STACK);

		args[i].s = s;
		args[i].index = i;
		if (!stack || clone(worker, (char *)stack + STACK,
				    CLONE_VM | CLONE_FS | CLONE_FILES |
				    CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
				    &args[i]) < 0) {
			s->err = errno;
			return 1;
		}
	}
	while (__atomic_load_n(&s->ready, __ATOMIC_SEQ_CST) < NTHREADS)
		sched_yield();
	__atomic_store_n(&s->go, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&s->done, __ATOMIC_SEQ_CST) < NTHREADS)
		sched_yield();
	s->bf = syscall(SYS_brk, 0);
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* What brk() decides for a request that was granted, from where it started. */
static const char *granted_verdict(unsigned long before, unsigned long req)
{
	if (BWT_PAGE_ALIGN(req) == BWT_PAGE_ALIGN(before))
		return "same-page";
	return req > before ? "grow" : "shrink";
}

FIXTURE(threads) {
	int unused;
};

FIXTURE_SETUP(threads)
{
}

FIXTURE_TEARDOWN(threads)
{
}

TEST_F_TIMEOUT(threads, concurrent_brk_calls_are_each_recorded_once_under_their_thread, 120)
{
	const int total = 2 + NTHREADS * NCALLS;
	struct shared *s = bwt_shared_alloc(sizeof(*s));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long *before, *after;
	int next[NTHREADS] = { 0 };
	int status = 0, pid, err, i, j, missing;
	unsigned long *refused;
	struct bwt_want w;

	ASSERT_TRUE(bwt_module_loaded()) {
		TH_LOG("%s/status is missing: the brkwatch module is not loaded",
		       BWT_PROC_DIR);
	}
	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, h);
	pid = bwt_run_child(child, s, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, status) {
		TH_LOG("child: clone(): %s", strerror(s->err));
	}
	err = bwt_history_wait(pid, h, 5000);
	ASSERT_EQ(0, err) {
		TH_LOG("reading %s/%d: %s %s", BWT_PROC_DIR, pid, strerror(-err),
		       h->error);
	}
	for (refused = NULL, j = 0; j < NTHREADS && !refused; j++)
		for (i = 0; i < NCALLS && !refused; i++)
			if ((long)s->t[j].req[i] != s->t[j].ret[i])
				refused = &s->t[j].req[i];
	ASSERT_EQ(NULL, refused) {
		TH_LOG("brk(%#lx) was refused: the test needs every call granted",
		       *refused);
	}

	/* nothing lost, nothing added */
	EXPECT_EQ(0UL, h->dropped) {
		char text[1024];

		if (bwt_read_file(BWT_PROC_DIR "/status", text, sizeof(text)) > 0)
			TH_LOG("%lu of %lu calls not stored; %s/status:\n%s",
			       h->dropped, h->calls, BWT_PROC_DIR, text);
	}
	EXPECT_EQ((unsigned long)total, h->calls);
	ASSERT_EQ(total, h->nevents) {
		TH_LOG("%d lines, expected the %d calls made", h->nevents, total);
	}

	/* the main thread's two queries open and close the history */
	memset(&w, 0, sizeof(w));
	w.tid = pid;
	w.entry = "x64";
	w.verdict = "query";
	w.brk_before = w.ret = s->b0;
	bwt_check_call(_metadata, &h->ev[0], &w, 0);
	w.brk_before = w.ret = s->bf;
	bwt_check_call(_metadata, &h->ev[total - 1], &w, total - 1);

	/* per thread, its calls in its order, each once */
	for (i = 0; i < total; i++) {
		struct bwt_event *e = &h->ev[i];

		ASSERT_FALSE(e->exec);
		EXPECT_EQ((unsigned long)i + 1, e->seq);
		if (i == 0 || i == total - 1)
			continue;
		for (j = 0; j < NTHREADS && s->t[j].tid != e->tid; j++)
			;
		ASSERT_GT(NTHREADS, j) {
			TH_LOG("call %d: tid %d is none of the threads", i + 1, e->tid);
		}
		ASSERT_GT(NCALLS, next[j]) {
			TH_LOG("thread %d (tid %d) has more than its %d calls",
			       j, e->tid, NCALLS);
		}
		w.tid = s->t[j].tid;
		w.request = s->t[j].req[next[j]];
		w.ret = s->t[j].ret[next[j]];
		/* where it started is another thread's doing: see below */
		w.brk_before = e->brk_before;
		w.verdict = granted_verdict(e->brk_before, w.request);
		bwt_check_call(_metadata, e, &w, i);
		next[j]++;
	}
	for (j = 0, missing = 0; j < NTHREADS; j++)
		missing += NCALLS - next[j];
	EXPECT_EQ(0, missing) {
		TH_LOG("%d calls of the threads are not in the history", missing);
	}

	/*
	 * The calls held the mmap lock one after the other, each starting
	 * from the break the one before left: the breaks they started from
	 * are the first break and all breaks left but the last, whatever
	 * order the calls were recorded in.
	 */
	before = calloc(total, sizeof(*before));
	after = calloc(total, sizeof(*after));
	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	/* after[]: b0, and every break left but the final one (bf's) */
	for (i = 0; i < total; i++) {
		before[i] = h->ev[i].brk_before;
		after[i] = i ? h->ev[i - 1].brk_after : s->b0;
	}
	qsort(before, total, sizeof(*before), cmp_ulong);
	qsort(after, total, sizeof(*after), cmp_ulong);
	for (i = 0; i < total; i++)
		EXPECT_EQ(after[i], before[i]) {
			TH_LOG("the breaks calls started from are not the chain of breaks calls left (sorted position %d)",
			       i);
			break;
		}
	free(before);
	free(after);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

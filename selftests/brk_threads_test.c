// SPDX-License-Identifier: GPL-2.0
/*
 * brk_threads_test: threads of one process calling brk() at the same time.
 * Every call is recorded once, under the thread that made it, in that
 * thread's order, with what it returned; nothing is lost, nothing added;
 * the calls are numbered and kept in the order they held the mmap lock,
 * even where they return in another. With stacks on, each call's stack
 * is found under that call, whatever the order the threads returned in.
 *
 * The threads are started with clone() on stacks of their own, not with
 * pthread_create() (which may malloc(), hence brk()), and call brk() raw,
 * as sbrk() does, each logging its requests and returns in shared memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

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
	bool stacks;			/* "stacks PID" before the first call */
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

/* The caller's own stacks on, before its first brk() call: 0 or -errno. */
static int stacks_on_self(void)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "stacks %d", getpid());
	return bwt_control(cmd);
}

static int child(void *p)
{
	struct shared *s = p;
	struct arg args[NTHREADS];
	int i, err;

	if (s->stacks) {
		err = stacks_on_self();
		if (err) {
			s->err = -err;
			return 1;
		}
	}
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

/* What brk() decides for a request that was granted, from where it started. */
static const char *granted_verdict(unsigned long before, unsigned long req)
{
	if (BWT_PAGE_ALIGN(req) == BWT_PAGE_ALIGN(before))
		return "same-page";
	return req > before ? "grow" : "shrink";
}

/*
 * With stacks on: the newest stack_records calls (of threads that returned
 * in any order) each have their stack, the one of that call: brk() takes
 * its request in rdi (DWARF register 5) and is system call 12 (rax).
 */
static void check_stacks(struct __test_metadata *_metadata, int pid,
			 const struct bwt_history *h,
			 unsigned long stack_records)
{
	size_t size = 4UL << 20;
	char *text = bwt_zalloc(size);
	struct bwt_stack *st = bwt_zalloc(sizeof(*st));
	unsigned long want;
	char path[64];
	ssize_t len;
	int i, bad;

	if (!text || !st) {
		EXPECT_TRUE(text && st);
		goto out;
	}
	want = (unsigned long)h->ncalls < stack_records ?
	       (unsigned long)h->ncalls : stack_records;
	EXPECT_EQ(want, (unsigned long)h->nstacks) {
		TH_LOG("%d stacks for %d calls with stack_records=%lu",
		       h->nstacks, h->ncalls, stack_records);
	}
	bwt_history_path(path, sizeof(path), pid);
	len = bwt_read_file(path, text, size - 1);
	if (len <= 0) {
		EXPECT_LT(0, len);
		goto out;
	}
	text[len] = '\0';
	for (i = h->nevents - (int)want, bad = 0; i < h->nevents; i++) {
		const struct bwt_event *e = &h->ev[i];

		if (i < 0 || e->exec)
			continue;
		EXPECT_TRUE(e->stack) {
			TH_LOG("call %lu (tid %d), among the newest %lu, has no stack",
			       e->seq, e->tid, want);
		}
		if (!e->stack)
			continue;
		EXPECT_EQ(0, bwt_stack_of(text, e->seq, st));
		if (st->seq != e->seq || st->regs[0] != SYS_brk ||
		    st->regs[5] != e->request) {
			if (!bad++)
				TH_LOG("call %lu: brk(%#lx), its stack line has seq %lu, rax %lu, rdi %#lx",
				       e->seq, e->request, st->seq, st->regs[0],
				       st->regs[5]);
		}
	}
	EXPECT_EQ(0, bad);
out:
	bwt_free(st, sizeof(*st));
	bwt_free(text, size);
}

FIXTURE(threads) {
	unsigned long stack_records;
};

FIXTURE_VARIANT(threads) {
	bool stacks;
};

FIXTURE_VARIANT_ADD(threads, without_stacks) {
	.stacks = false,
};

FIXTURE_VARIANT_ADD(threads, with_stacks) {
	.stacks = true,
};

FIXTURE_SETUP(threads)
{
	ASSERT_EQ(0, bwt_status_get("stack_records", &self->stack_records));
}

FIXTURE_TEARDOWN(threads)
{
}

TEST_F_TIMEOUT(threads, concurrent_brk_calls_are_each_recorded_once_under_their_thread, 120)
{
	const int total = 2 + NTHREADS * NCALLS;
	struct shared *s = bwt_shared_alloc(sizeof(*s));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
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
	s->stacks = variant->stacks;
	pid = bwt_run_child(child, s, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, status) {
		TH_LOG("child: %s", strerror(s->err));
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
	 * The calls held the mmap lock one after the other and are kept in
	 * that order: each starts from the break the one before it left.
	 */
	for (i = 1; i < total; i++)
		EXPECT_EQ(h->ev[i - 1].brk_after, h->ev[i].brk_before) {
			TH_LOG("call %d does not start where call %d left the break",
			       i + 1, i);
			break;
		}
	EXPECT_EQ(s->bf, h->brk);
	if (variant->stacks)
		check_stacks(_metadata, pid, h, self->stack_records);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

/*
 * Two threads whose calls hold the mmap lock in one order and return in
 * the other. The first shrinks a heap that a userfaultfd watches for
 * unmaps: brk() drops the lock, then waits for the unmap event to be read
 * before it returns. The second sees the event pending (the first holds
 * the lock no more), grows the heap by a page, returns, and only then
 * reads the event, which lets the first return.
 */
struct order {
	bool stacks;		/* "stacks PID" before the first call */
	unsigned long b0;
	long ret_a, ret_b;
	int tid_a, tid_b;
	int uffd;
	volatile int b_done;
	int err;
	const char *what;
	/* the history as the second thread read it, the first still in brk() */
	char during[512 << 10];	/* with stacks: 2 x 2 x stack_bytes */
	ssize_t during_len;
};

static int order_fail(struct order *o, const char *what)
{
	o->err = errno;
	o->what = what;
	return 1;
}

static int order_second(void *p)
{
	struct order *o = p;
	struct pollfd pfd = { .fd = o->uffd, .events = POLLIN };
	struct uffd_msg msg;
	char path[64];

	o->tid_b = (int)syscall(SYS_gettid);
	/*
	 * The unmap event: the first call has dropped the lock and waits.
	 * (The userfaultfd is non-blocking: poll() on a blocking one returns
	 * POLLERR at once, and this thread's brk() would then shrink the
	 * heap first and wait for its own event to be read: both hang.)
	 */
	if (poll(&pfd, 1, 10000) != 1 || pfd.revents != POLLIN) {
		order_fail(o, "poll(userfaultfd)");
	} else {
		o->ret_b = syscall(SYS_brk, o->b0 + 3 * BWT_PAGE);
		bwt_history_path(path, sizeof(path), getpid());
		o->during_len = bwt_read_file(path, o->during,
					      sizeof(o->during) - 1);
		if (read(o->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_UNMAP)
			order_fail(o, "read(userfaultfd)");
	}
	__atomic_store_n(&o->b_done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int order_child(void *p)
{
	struct order *o = p;
	void *stack = bwt_zalloc(STACK);
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_EVENT_UNMAP };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int err = o->stacks ? stacks_on_self() : 0;
	char path[64];
	int waited;

	if (err) {
		o->err = -err;
		o->what = "writing \"stacks PID\"";
		return 1;
	}
	o->b0 = syscall(SYS_brk, 0);
	o->b0 = BWT_PAGE_ALIGN(o->b0);
	if (syscall(SYS_brk, o->b0 + 4 * BWT_PAGE) != (long)(o->b0 + 4 * BWT_PAGE))
		return order_fail(o, "brk(+4 pages)");
	/* the worker gives a history its file after its first call */
	bwt_history_path(path, sizeof(path), getpid());
	for (waited = 0; access(path, F_OK) && waited < 5000; waited += 10)
		bwt_sleep_ms(10);
	if (access(path, F_OK))
		return order_fail(o, "waiting for the history's file");
	o->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (o->uffd < 0)
		return order_fail(o, "userfaultfd()");
	if (ioctl(o->uffd, UFFDIO_API, &api))
		return order_fail(o, "UFFDIO_API with UFFD_FEATURE_EVENT_UNMAP");
	reg.range.start = o->b0;
	reg.range.len = 4 * BWT_PAGE;
	if (ioctl(o->uffd, UFFDIO_REGISTER, &reg))
		return order_fail(o, "UFFDIO_REGISTER of the heap");
	o->tid_a = (int)syscall(SYS_gettid);
	if (!stack || clone(order_second, (char *)stack + STACK,
			    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			    CLONE_THREAD | CLONE_SYSVSEM, o) < 0)
		return order_fail(o, "clone()");
	o->ret_a = syscall(SYS_brk, o->b0 + 2 * BWT_PAGE);
	while (!__atomic_load_n(&o->b_done, __ATOMIC_SEQ_CST))
		sched_yield();
	return o->err ? 1 : 0;
}

TEST_F_TIMEOUT(threads, calls_are_kept_in_the_order_the_lock_gave_them, 60)
{
	struct order *o = bwt_shared_alloc(sizeof(*o));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	struct bwt_event *a, *b;
	int status, pid, err;

	ASSERT_TRUE(bwt_module_loaded());
	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, h);
	o->stacks = variant->stacks;
	pid = bwt_run_child(order_child, o, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, status) {
		TH_LOG("child: %s: %s", o->what, strerror(o->err));
	}
	ASSERT_EQ((long)(o->b0 + 2 * BWT_PAGE), o->ret_a);
	ASSERT_EQ((long)(o->b0 + 3 * BWT_PAGE), o->ret_b);
	/*
	 * Read while the first call was numbered but still inside brk(): the
	 * history stops before it, so that the second is not shown first.
	 */
	ASSERT_LT(0, o->during_len) {
		TH_LOG("reading the history during the calls: %s",
		       strerror((int)-o->during_len));
	}
	o->during[o->during_len] = '\0';
	ASSERT_EQ(0, bwt_parse_history(o->during, h)) {
		TH_LOG("the history read during the calls: %s", h->error);
	}
	EXPECT_EQ(2, h->nevents) {
		TH_LOG("%d calls shown while the third was still inside brk()",
		       h->nevents);
	}
	EXPECT_EQ(4UL, h->calls);
	err = bwt_history_wait(pid, h, 5000);
	ASSERT_EQ(0, err) {
		TH_LOG("reading %s/%d: %s %s", BWT_PROC_DIR, pid, strerror(-err),
		       h->error);
	}
	/* brk(0) and the grow, then the two calls in the lock's order */
	ASSERT_EQ(4, h->nevents);
	a = &h->ev[2];
	b = &h->ev[3];
	EXPECT_EQ(o->tid_a, a->tid) {
		TH_LOG("the call that held the lock first is not third in the history (seq %lu, tid %d)",
		       a->seq, a->tid);
	}
	EXPECT_EQ(3UL, a->seq);
	EXPECT_EQ(o->b0 + 2 * BWT_PAGE, a->request);
	EXPECT_EQ(o->b0 + 4 * BWT_PAGE, a->brk_before);
	EXPECT_STREQ("shrink", a->verdict);
	EXPECT_EQ(o->tid_b, b->tid);
	EXPECT_EQ(4UL, b->seq);
	EXPECT_EQ(o->b0 + 3 * BWT_PAGE, b->request);
	EXPECT_EQ(o->b0 + 2 * BWT_PAGE, b->brk_before) {
		TH_LOG("the second call does not start where the first left the break");
	}
	EXPECT_STREQ("grow", b->verdict);
	/* the header's break is the one the last call in that order left */
	EXPECT_EQ(o->b0 + 3 * BWT_PAGE, h->brk);
	/* the second returned first: each still has its own stack */
	if (variant->stacks)
		check_stacks(_metadata, pid, h, self->stack_records);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

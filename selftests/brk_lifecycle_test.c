// SPDX-License-Identifier: GPL-2.0
/*
 * brk_lifecycle_test: what happens to a history over its process's life.
 *
 * - It is "running" while the process runs and stays, "exited" with the
 *   same calls, after the process is gone and reaped.
 * - A pid used again by a new process (forced with ns_last_pid, root)
 *   gets a new history: the old process's calls never show in it.
 * - execve() appends an "# exec" marker with the new program's comm and
 *   heap, and the calls of the new program follow it, seq going on.
 * - Ring overflow (module reloaded with records_per_process=32, root):
 *   of 100 calls only the last 32 are kept, dropped says 68, and so does
 *   status's records_dropped_ring. The module is loaded again with its
 *   default parameters afterwards.
 *
 * The children never malloc, so their histories hold exactly their calls.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define P		BWT_PAGE
#define EXEC_ENV	"BRKWATCH_LIFECYCLE_EXEC_HELPER"
#define RING		32
#define RING_CALLS	100

/*
 * After execve() of this program with EXEC_ENV set: two known calls, then
 * exit, before the harness runs. brk(0) then a grow of 5 pages and 7.
 */
static void __attribute__((constructor)) exec_helper(void)
{
	unsigned long cur;

	if (!getenv(EXEC_ENV))
		return;
	cur = bwt_brk(0);
	bwt_brk(BWT_PAGE_ALIGN(cur) + 5 * P + 7);
	_exit(0);
}

static int pipe_fd[2];

/* Three calls, then waits for the parent to close its end of the pipe. */
static int calls_then_wait(void *arg)
{
	unsigned long cur = bwt_brk(0);
	char c;

	(void)arg;
	bwt_brk(cur + 3 * P);
	bwt_brk(cur + P);
	close(pipe_fd[1]);
	while (read(pipe_fd[0], &c, 1) < 0 && errno == EINTR)
		;
	return 0;
}

TEST(history_outlives_its_process)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long exited0, exited1;
	int pid, err, i;
	pid_t got;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, pipe(pipe_fd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(calls_then_wait(NULL));
	close(pipe_fd[0]);

	/* the calls are made: wait for them to show */
	for (i = 0; i < 300; i++) {
		err = bwt_history_read(pid, h);
		if (!err && h->ncalls == 3)
			break;
		bwt_sleep_ms(10);
	}
	ASSERT_EQ(0, err) TH_LOG("while running: %s %s", strerror(-err), h->error);
	ASSERT_EQ(3, h->ncalls);
	EXPECT_STREQ("running", h->state);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited0));

	close(pipe_fd[1]);	/* the child reads EOF and exits */
	got = waitpid(pid, NULL, 0);
	ASSERT_EQ(pid, got);

	err = bwt_history_read(pid, h);
	ASSERT_EQ(0, err) TH_LOG("after exit and reaping: %s %s",
				 strerror(-err), h->error);
	EXPECT_STREQ("exited", h->state);
	EXPECT_EQ(pid, h->pid);
	EXPECT_EQ(3UL, h->calls);
	ASSERT_EQ(3, h->ncalls);
	for (i = 0; i < 3; i++)
		EXPECT_EQ((unsigned long)i + 1, h->ev[i].seq);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited1));
	EXPECT_EQ(exited0 + 1, exited1) TH_LOG("processes_exited after the exit");
	bwt_free(h, sizeof(*h));
}

/* ---- PID reuse ---- */

static unsigned long old_requests[3];

/* old_requests[] are set by the parent before the fork */
static int old_process(void *arg)
{
	(void)arg;
	bwt_brk(0);
	bwt_brk(old_requests[0]);
	bwt_brk(old_requests[1]);
	bwt_brk(old_requests[2]);
	return 0;
}

static int new_process(void *arg)
{
	(void)arg;
	bwt_brk(0);
	return 0;
}

TEST(reused_pid_gets_a_new_history)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long exited0, exited1;
	int old, young = -1, status = -1, err, i, tries;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "writing ns_last_pid needs root");
	ASSERT_NE(NULL, h);

	/* the old process: four calls, exits, is reaped */
	old_requests[2] = bwt_brk(0);	/* the break the child inherits */
	old_requests[0] = BWT_PAGE_ALIGN(old_requests[2]) + 7 * P + 11;
	old_requests[1] = BWT_PAGE_ALIGN(old_requests[2]) + 9 * P + 13;
	old = bwt_run_child(old_process, NULL, &status);
	ASSERT_LT(0, old);
	err = bwt_history_wait(old, h, 3000);
	ASSERT_EQ(0, err) TH_LOG("old process %d: %s %s", old, strerror(-err), h->error);
	ASSERT_EQ(4, h->ncalls);
	bwt_reap(old);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited0));

	/* the new process gets the same pid */
	for (tries = 0; tries < 20; tries++) {
		ASSERT_EQ(0, bwt_set_last_pid(old - 1)) TH_LOG("writing ns_last_pid");
		young = bwt_run_child(new_process, NULL, &status);
		ASSERT_LT(0, young);
		if (young == old)
			break;
		bwt_reap(young);
	}
	ASSERT_EQ(old, young) TH_LOG("pid %d could not be had again in %d tries",
				     old, tries);

	/* its history replaces the old one, once the worker swapped files */
	for (i = 0; i < 300; i++) {
		err = bwt_history_read(young, h);
		if (!err && h->calls == 1)
			break;
		bwt_sleep_ms(10);
	}
	ASSERT_EQ(0, err) TH_LOG("new process %d: %s %s", young, strerror(-err), h->error);
	EXPECT_EQ(1UL, h->calls)
		TH_LOG("after 3 s the file of pid %d still says %lu calls: the old process's",
		       young, h->calls);
	EXPECT_EQ(0UL, h->dropped);
	ASSERT_EQ(1, h->nevents) TH_LOG("the new history has %d lines, expected 1",
					h->nevents);
	EXPECT_EQ(1UL, h->ev[0].seq);
	EXPECT_EQ(0UL, h->ev[0].request);
	EXPECT_STREQ("query", h->ev[0].verdict);
	EXPECT_EQ(getpid(), h->ppid);
	for (i = 0; i < h->nevents; i++) {
		EXPECT_NE(old_requests[0], h->ev[i].request);
		EXPECT_NE(old_requests[1], h->ev[i].request);
	}
	/* the old history is gone, not kept somewhere as exited */
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited1));
	EXPECT_EQ(exited0, exited1)
		TH_LOG("processes_exited %lu, was %lu with the old one: the new one (exited) replaced it",
		       exited1, exited0);
	bwt_reap(young);
	bwt_free(h, sizeof(*h));
}

/* ---- execve ---- */

static char self_path[4096];
static unsigned long pre_exec[2];

static int calls_then_exec(void *arg)
{
	static char env[] = EXEC_ENV "=1";
	char *argv[] = { self_path, NULL };
	char *envp[] = { env, NULL };

	(void)arg;
	bwt_brk(0);
	bwt_brk(pre_exec[1]);
	execve(self_path, argv, envp);
	return 127;
}

TEST(execve_appends_an_exec_marker)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	const struct bwt_event *m = NULL, *e, *last;
	char comm[16];
	const char *base;
	ssize_t len;
	int pid, status = -1, err, i, mark = -1;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	ASSERT_NE(NULL, h);
	len = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	ASSERT_LT(0, len);
	self_path[len] = '\0';
	base = strrchr(self_path, '/') + 1;
	memset(comm, 0, sizeof(comm));
	strncpy(comm, base, 15);	/* TASK_COMM_LEN - 1 */

	pre_exec[0] = bwt_brk(0);	/* the break the child inherits */
	pre_exec[1] = BWT_PAGE_ALIGN(pre_exec[0]) + 2 * P;
	pid = bwt_run_child(calls_then_exec, NULL, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, status) TH_LOG("the exec'd helper exited with %d", status);
	err = bwt_history_wait(pid, h, 3000);
	ASSERT_EQ(0, err) TH_LOG("%s %s", strerror(-err), h->error);

	for (i = 0; i < h->nevents; i++) {
		if (h->ev[i].exec) {
			ASSERT_EQ(-1, mark) TH_LOG("two exec markers for one execve");
			mark = i;
		}
	}
	ASSERT_EQ(2, mark) TH_LOG("the exec marker is line %d of the body, expected 3 (after the 2 calls before execve)",
				  mark + 1);
	m = &h->ev[mark];

	/* before: the two calls of the old program */
	EXPECT_EQ(0UL, h->ev[0].request);
	EXPECT_EQ(pre_exec[1], h->ev[1].request);

	/* the marker */
	EXPECT_EQ(pid, m->tid);
	EXPECT_STREQ(comm, m->comm) TH_LOG("comm= of the marker");
	EXPECT_LE(h->ev[1].time_ns, m->time_ns);
	EXPECT_EQ(h->start_brk, m->start_brk) TH_LOG("the marker's start_brk is not the header's");
	EXPECT_EQ(h->start_data, m->start_data);
	EXPECT_EQ(h->end_data, m->end_data);
	EXPECT_STREQ(comm, h->comm) TH_LOG("'# comm' after the execve");

	/* after: the new program's calls, seq going on, on the new heap */
	ASSERT_LE(mark + 3, h->nevents) TH_LOG("the helper's two calls are missing");
	e = &h->ev[mark + 1];
	EXPECT_EQ(3UL, e->seq) TH_LOG("seq does not go on after the marker");
	EXPECT_LE(m->time_ns, e->time_ns);
	EXPECT_EQ(m->start_brk, e->brk_before)
		TH_LOG("the first call after exec does not start at the new heap");
	for (i = mark + 1; i < h->nevents; i++) {
		EXPECT_FALSE(h->ev[i].exec);
		EXPECT_EQ((unsigned long)i, h->ev[i].seq);
	}
	last = &h->ev[h->nevents - 1];
	EXPECT_EQ(BWT_PAGE_ALIGN(h->ev[h->nevents - 2].ret) + 5 * P + 7, last->request)
		TH_LOG("the last call is not the helper's grow");
	EXPECT_STREQ("query", h->ev[h->nevents - 2].verdict);
	EXPECT_STREQ("grow", last->verdict);
	EXPECT_EQ((unsigned long)h->nevents - 1, h->calls);
	EXPECT_STREQ("exited", h->state);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

/* ---- Ring overflow, with the module reloaded ---- */

BWT_RELOAD_FIXTURE(small_ring, "records_per_process=32")

static unsigned long ring_base;

/* ring_base is set by the parent before the fork */
static int many_calls(void *arg)
{
	int i;

	(void)arg;
	bwt_brk(0);	/* call 1 */
	for (i = 2; i <= RING_CALLS; i++)	/* request of call i */
		bwt_brk(ring_base + 8 * i);
	return 0;
}

TEST_F(small_ring, oldest_calls_are_overwritten_and_counted)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long per, dropped0, dropped1;
	int pid, status = -1, err, i;

	if (!self->reloaded)
		SKIP(return, "reloading the module needs root");
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, bwt_status_get("records_per_process", &per));
	ASSERT_EQ((unsigned long)RING, per);
	ASSERT_EQ(0, bwt_status_get("records_dropped_ring", &dropped0));

	ring_base = BWT_PAGE_ALIGN(bwt_brk(0)) + P;
	pid = bwt_run_child(many_calls, NULL, &status);
	ASSERT_LT(0, pid);
	err = bwt_history_wait(pid, h, 3000);
	ASSERT_EQ(0, err) TH_LOG("%s %s", strerror(-err), h->error);

	EXPECT_EQ((unsigned long)RING_CALLS, h->calls);
	EXPECT_EQ((unsigned long)(RING_CALLS - RING), h->dropped)
		TH_LOG("dropped should count the %d calls overwritten",
		       RING_CALLS - RING);
	ASSERT_EQ(RING, h->nevents) TH_LOG("lines kept");
	for (i = 0; i < RING; i++) {
		unsigned long seq = RING_CALLS - RING + 1 + i;

		EXPECT_EQ(seq, h->ev[i].seq);
		EXPECT_EQ(ring_base + 8 * seq, h->ev[i].request)
			TH_LOG("line %d is not call %lu", i + 1, seq);
	}
	ASSERT_EQ(0, bwt_status_get("records_dropped_ring", &dropped1));
	EXPECT_EQ((unsigned long)(RING_CALLS - RING), dropped1 - dropped0)
		TH_LOG("status records_dropped_ring went from %lu to %lu",
		       dropped0, dropped1);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

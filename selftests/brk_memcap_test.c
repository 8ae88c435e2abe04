// SPDX-License-Identifier: GPL-2.0
/*
 * brk_memcap_test: the memory cap under a storm of short-lived processes.
 *
 * The module is reloaded with memory_cap_kib=1024 (root), and processes
 * that each call brk() once run until the first one's history has been
 * evicted, then twice as many again: the storm needs three times what
 * fills the cap (1,250 to 1,550 histories seen), however fast the kernel
 * is (at most 10,000 processes; none evicted by then fails). While they run,
 * memory_bytes in status never exceeds memory_cap_bytes; the exited
 * histories are evicted oldest first (the first process's history is
 * gone, fewer histories are kept than processes ran) and a process after
 * the storm still gets a history. After clear, memory_bytes is back
 * to its value before the storm (measured after a clear too). The module
 * is loaded again with its default parameters afterwards.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define CAP_KIB		1024
#define STORM_MAX	10000
#define STORM_TURNS	3	/* times the processes that filled the cap */
#define SAMPLE_EVERY	50

BWT_RELOAD_FIXTURE(memcap, "memory_cap_kib=1024")

static int one_call(void *arg)
{
	(void)arg;
	bwt_brk(0);
	return 0;
}

static int storm_child(void *arg)
{
	(void)arg;
	bwt_brk(0);
	return 0;	/* clone() makes this the exit status */
}

/*
 * A process that calls brk() once and exits, reaped at once: its pid.
 * clone(CLONE_VM | CLONE_VFORK) rather than fork(): no page tables to
 * copy, which under TCG makes the storm several times faster. The child
 * is still a process of its own (its own pid, start time and history);
 * it only queries the break it shares.
 */
static int short_lived(void)
{
	static char stack[16384] __attribute__((aligned(16)));
	pid_t pid = clone(storm_child, stack + sizeof(stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	int status;

	if (pid < 0)
		return -errno;
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return pid;
}

TEST_F_TIMEOUT(memcap, storm_stays_under_the_cap_and_clear_restores_memory, 300)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long cap, before, mem, peak = 0, exited, peak_exited = 0;
	unsigned long running, dropped, t0, ms;
	int i, n, first = -1, evicted_at = 0, pid, last, status = -1, err;

	if (!self->reloaded)
		SKIP(return, "reloading the module needs root");
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, bwt_status_get("memory_cap_bytes", &cap));
	ASSERT_EQ(CAP_KIB * 1024UL, cap);

	ASSERT_EQ(0, bwt_control("clear"));
	ASSERT_EQ(0, bwt_status_get("memory_bytes", &before));
	ASSERT_GE(cap, before);

	t0 = bwt_now_ns();
	n = STORM_MAX;
	for (i = 0; i < n; i++) {
		pid = short_lived();
		ASSERT_LT(0, pid) TH_LOG("process %d of the storm: %s", i, strerror(-pid));
		if (first < 0) {
			/* its file comes from the worker: absent is not yet gone */
			first = pid;
			err = bwt_history_wait(first, h, 5000);
			ASSERT_EQ(0, err) TH_LOG("the first process (%d) has no history: %s",
						 first, strerror(-err));
		}
		if (i % SAMPLE_EVERY == 0 || i == n - 1) {
			ASSERT_EQ(0, bwt_status_get("memory_bytes", &mem));
			ASSERT_GE(cap, mem)
				TH_LOG("after %d processes memory_bytes %lu is over the cap %lu",
				       i + 1, mem, cap);
			if (mem > peak)
				peak = mem;
			ASSERT_EQ(0, bwt_status_get("processes_exited", &exited));
			if (exited > peak_exited)
				peak_exited = exited;
			if (!evicted_at && bwt_history_wait_gone(first, 0)) {
				evicted_at = i + 1;
				n = STORM_TURNS * evicted_at;
				if (n > STORM_MAX)
					n = STORM_MAX;
			}
		}
	}
	ms = (bwt_now_ns() - t0) / 1000000;
	TH_LOG("%d processes in %lu ms, the first one's history evicted after %d; memory_bytes peaked at %lu of %lu, before %lu",
	       n, ms, evicted_at, peak, cap, before);
	ASSERT_NE(0, evicted_at)
		TH_LOG("after %d processes the first one's history is still kept: nothing evicted",
		       n);

	/* the storm must have reached the cap's eviction level (7/8) */
	EXPECT_LT(cap / 8 * 7 - cap / 16, peak)
		TH_LOG("memory_bytes peaked at %lu: the storm did not reach the cap", peak);
	EXPECT_GT((unsigned long)n / 2, peak_exited)
		TH_LOG("up to %lu exited histories kept: not evicted", peak_exited);

	/*
	 * and a new process still gets a history, once the worker has evicted
	 * below the eviction level (7/8 of the cap) and refilled its pools in
	 * the same pass; it runs at least once a second
	 */
	t0 = bwt_now_ns();
	do {
		ASSERT_EQ(0, bwt_status_get("memory_bytes", &mem));
		if (mem <= cap / 8 * 7)
			break;
		bwt_sleep_ms(10);
	} while (bwt_now_ns() - t0 < 10000 * 1000000UL);
	ASSERT_GE(cap / 8 * 7, mem)
		TH_LOG("memory_bytes %lu still above 7/8 of the cap 10 s after the storm", mem);
	last = bwt_run_child(one_call, NULL, &status);
	ASSERT_LT(0, last);
	err = bwt_history_wait(last, h, 3000);
	EXPECT_EQ(0, err) TH_LOG("a process after the storm has no history: %s",
				 strerror(-err));
	bwt_reap(last);
	ASSERT_EQ(0, bwt_status_get("memory_bytes", &mem));
	EXPECT_GE(cap, mem);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited));
	ASSERT_EQ(0, bwt_status_get("processes_running", &running));
	ASSERT_EQ(0, bwt_status_get("records_dropped_memcap", &dropped));
	TH_LOG("after the storm: %lu exited and %lu running histories, memory_bytes %lu, records_dropped_memcap %lu",
	       exited, running, mem, dropped);

	ASSERT_EQ(0, bwt_control("clear"));
	ASSERT_EQ(0, bwt_status_get("memory_bytes", &mem));
	EXPECT_EQ(before, mem)
		TH_LOG("after clear memory_bytes is %lu, it was %lu before the storm",
		       mem, before);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

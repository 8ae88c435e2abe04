// SPDX-License-Identifier: GPL-2.0
/*
 * brk_history_test: a brk(0) query and a grow, made with raw syscalls, are
 * the last two call lines of the process's own /proc/brkwatch/<pid>, with
 * exactly what the kernel returned.
 *
 * Nothing between the two syscalls and the read of the file may call brk:
 * no stdio, no malloc (brkwatch_test.c reads and parses into mmap()ed
 * memory). The harness prints only after everything is read.
 */
#include "kselftest_harness.h"
#include "brkwatch_test.h"

TEST(query_and_grow_are_the_last_two_calls)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	struct bwt_event *query, *grow;
	unsigned long cur, want;
	long got_query, got_grow;
	int err;

	ASSERT_NE(NULL, h);
	ASSERT_TRUE(bwt_module_loaded()) {
		TH_LOG("%s/status is missing: the brkwatch module is not loaded",
		       BWT_PROC_DIR);
	}

	got_query = bwt_brk(0);
	cur = (unsigned long)got_query;
	want = cur + 3 * BWT_PAGE + 100;
	got_grow = bwt_brk(want);
	/* the file appears when the module's worker has run */
	err = bwt_history_wait(getpid(), h, 5000);

	ASSERT_EQ(0, err) {
		TH_LOG("reading %s/%d: %s %s", BWT_PROC_DIR, getpid(),
		       strerror(-err), err == -EBADMSG ? h->error : "");
	}
	ASSERT_EQ((unsigned long)want, (unsigned long)got_grow) {
		TH_LOG("the grow was refused: is memory that short?");
	}
	ASSERT_EQ(2, h->version);
	ASSERT_EQ(getpid(), h->pid);
	ASSERT_GE(h->ncalls, 2);
	ASSERT_EQ(h->calls, (unsigned long)h->ncalls + h->dropped);

	grow = bwt_last_call(h);
	query = grow - 1;
	while (query > h->ev && query->exec)
		query--;
	ASSERT_FALSE(query->exec);

	EXPECT_STREQ("query", query->verdict);
	EXPECT_EQ(0UL, query->request);
	EXPECT_EQ(got_query, query->ret);
	EXPECT_EQ(cur, query->brk_before);
	EXPECT_EQ(cur, query->brk_after);
	EXPECT_EQ(0L, query->delta);
	EXPECT_STREQ("x64", query->entry);
	EXPECT_EQ(getpid(), query->tid);

	EXPECT_STREQ("grow", grow->verdict);
	EXPECT_EQ(want, grow->request);
	EXPECT_EQ(got_grow, grow->ret);
	EXPECT_EQ(cur, grow->brk_before);
	EXPECT_EQ(want, grow->brk_after);
	EXPECT_EQ(BWT_PAGE_ALIGN(cur), grow->aligned_before);
	EXPECT_EQ(BWT_PAGE_ALIGN(want), grow->aligned_after);
	EXPECT_EQ((long)(BWT_PAGE_ALIGN(want) - BWT_PAGE_ALIGN(cur)), grow->delta);
	EXPECT_EQ(query->seq + 1, grow->seq);
	EXPECT_EQ(h->calls, grow->seq);

	EXPECT_LE(h->start_brk, cur);
	EXPECT_EQ(want, h->brk);
	EXPECT_STREQ("running", h->state);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

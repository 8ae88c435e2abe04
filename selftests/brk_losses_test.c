// SPDX-License-Identifier: GPL-2.0
/*
 * brk_losses_test: after the ordinary tests of a boot (scripts/check.sh
 * runs it last among them, with the module loaded since the boot), the
 * module lost nothing: every probe attached, no kretprobe missed, no call
 * beyond the in-flight table, no verdict it could not classify, no record
 * dropped for memory. A test above that passed while the module quietly
 * lost calls would otherwise go unseen. Ring overwrites are not losses of
 * the module: a process that makes more calls than records_per_process
 * keeps the newest, by design, and says how many it dropped.
 */
#include "kselftest_harness.h"
#include "brkwatch_test.h"

/* The status counter key, asserted to be zero. */
static void expect_zero(struct __test_metadata *_metadata, const char *key)
{
	unsigned long v = 1;
	int err = bwt_status_get(key, &v);

	ASSERT_EQ(0, err) {
		TH_LOG("%s/status: %s: %s", BWT_PROC_DIR, key, strerror(-err));
	}
	EXPECT_EQ(0UL, v) {
		TH_LOG("%s: %lu after the tests of this boot", key, v);
	}
}

FIXTURE(losses) {
	unsigned long seen;
};

FIXTURE_SETUP(losses)
{
	int err;

	ASSERT_TRUE(bwt_module_loaded()) {
		TH_LOG("%s/status is missing: the brkwatch module is not loaded",
		       BWT_PROC_DIR);
	}
	err = bwt_status_get("calls_seen", &self->seen);
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(losses)
{
}

/* The counters below mean something only after calls were seen. */
TEST_F(losses, the_tests_before_made_calls)
{
	unsigned long stored = 0;

	EXPECT_LT(1000UL, self->seen) {
		TH_LOG("only %lu calls seen: did the other tests run in this boot?",
		       self->seen);
	}
	ASSERT_EQ(0, bwt_status_get("records_stored", &stored));
	EXPECT_LT(1000UL, stored);
}

TEST_F(losses, every_probe_attached)
{
	char missing[256];
	int err = bwt_status_text("probes_missing", missing, sizeof(missing));

	ASSERT_EQ(0, err);
	EXPECT_STREQ("-", missing);
}

/*
 * brk()'s mmap lock is followed inside brk() (status names the place as
 * __do_sys_brk+0xOFFSET), not at down_write_killable(), which every
 * mmap(), munmap() and mprotect() of every process calls: the module
 * falls back to that only where it cannot find brk()'s call, which no
 * kernel of the matrix should make it do.
 */
TEST_F(losses, the_lock_is_followed_inside_brk)
{
	char probes[512];

	ASSERT_EQ(0, bwt_status_text("probes", probes, sizeof(probes)));
	EXPECT_NE(NULL, strstr(probes, "__do_sys_brk+0x")) TH_LOG("probes: %s", probes);
	EXPECT_EQ(NULL, strstr(probes, "down_write_killable")) TH_LOG("probes: %s", probes);
}

/*
 * From 6.1 on, check_brk_limits()'s result is read at two places inside it
 * (status names them check_brk_limits+0xOFFSET), the one every grow passes
 * a kprobe the kernel turns into a jump, not at its return, a kretprobe
 * that costs each grow about three times as much: the module falls back to
 * that only where it cannot find them, which no kernel of the matrix
 * should make it do. Before 6.1 there is no such function: do_brk_flags()
 * makes those checks.
 */
TEST_F(losses, check_brk_limits_is_read_inside_brk)
{
	char probes[512], words[512], *tok, *save;
	bool inside = false, at_return = false;

	ASSERT_EQ(0, bwt_status_text("probes", probes, sizeof(probes)));
	memcpy(words, probes, sizeof(words));
	for (tok = strtok_r(words, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "check_brk_limits+0x", 19))
			inside = true;
		if (!strcmp(tok, "check_brk_limits"))
			at_return = true;
	}
	EXPECT_EQ(!bwt_kernel_before_6_1(), inside) TH_LOG("probes: %s", probes);
	EXPECT_FALSE(at_return) TH_LOG("probes: %s", probes);
}

TEST_F(losses, no_kretprobe_missed)
{
	expect_zero(_metadata, "kretprobe_missed");
}

TEST_F(losses, no_inflight_overflow)
{
	expect_zero(_metadata, "inflight_overflow");
}

TEST_F(losses, no_unknown_verdict)
{
	expect_zero(_metadata, "unknown_verdicts");
}

TEST_F(losses, no_record_dropped_for_the_memory_cap)
{
	expect_zero(_metadata, "records_dropped_memcap");
}

TEST_F(losses, no_record_dropped_for_lack_of_memory)
{
	expect_zero(_metadata, "records_dropped_nomem");
}

TEST_HARNESS_MAIN

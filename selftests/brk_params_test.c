// SPDX-License-Identifier: GPL-2.0
/*
 * Bad module parameters are refused at load with a clear error and leave
 * nothing behind, and the memory the kernel sets aside for the probes'
 * instances is counted under memory_cap_kib: a cap they do not fit in is
 * refused (ENOSPC), whatever the number of CPUs.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

FIXTURE(params) {
	bool root;
};

FIXTURE_SETUP(params)
{
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	self->root = geteuid() == 0;
	if (!self->root)
		SKIP(return, "loading the module needs root");
	ASSERT_EQ(0, bwt_module_unload(5000));
}

/* Whatever a test did, the module is loaded again with its defaults. */
FIXTURE_TEARDOWN(params)
{
	if (!self->root)
		return;
	if (bwt_module_loaded())
		ASSERT_EQ(0, bwt_module_unload(5000));
	ASSERT_EQ(0, bwt_module_load(""));
}

static void expect_refused(struct __test_metadata *_metadata,
			   const char *params, int err)
{
	EXPECT_EQ(-err, bwt_module_load(params))
		TH_LOG("loading with %s", params);
	EXPECT_FALSE(bwt_module_loaded())
		TH_LOG("%s left /proc/brkwatch behind", params);
}

/* Loading a module under an emulator on a busy host may take long. */
TEST_F_TIMEOUT(params, out_of_range_values_are_refused, 120)
{
	expect_refused(_metadata, "records_per_process=17", EINVAL);
	expect_refused(_metadata, "records_per_process=1048577", EINVAL);
	expect_refused(_metadata, "maxactive=0", EINVAL);
	expect_refused(_metadata, "maxactive=65537", EINVAL);
	expect_refused(_metadata, "memory_cap_kib=63", EINVAL);
}

/*
 * 64 KiB cannot hold 256 instances of each of the kretprobes (four, three
 * before 6.1; brk()'s lock has a plain kprobe, without instances). They are
 * counted first: with fewer, the module loads whatever its pools of ready
 * objects would have taken (more on PREEMPT_RT).
 */
TEST_F_TIMEOUT(params, a_cap_the_probes_do_not_fit_in_is_refused, 120)
{
	expect_refused(_metadata, "memory_cap_kib=64", ENOSPC);
	/* with fewer instances they fit */
	ASSERT_EQ(0, bwt_module_load("memory_cap_kib=64 maxactive=8"));
}

/* The instances are in memory_bytes from the start, and leave with the module. */
TEST_F_TIMEOUT(params, the_probes_instances_are_counted, 120)
{
	unsigned long small = 0, big = 0, cap = 0;

	ASSERT_EQ(0, bwt_module_load("maxactive=8"));
	ASSERT_EQ(0, bwt_status_get("memory_bytes", &small));
	ASSERT_EQ(0, bwt_module_unload(5000));
	ASSERT_EQ(0, bwt_module_load("maxactive=1024"));
	ASSERT_EQ(0, bwt_status_get("memory_bytes", &big));
	ASSERT_EQ(0, bwt_status_get("memory_cap_bytes", &cap));
	/* 1016 more instances of at least three probes, each of 40 bytes or more */
	EXPECT_LE(small + 3 * 1016 * 40UL, big)
		TH_LOG("memory_bytes %lu with maxactive=8, %lu with 1024", small, big);
	EXPECT_GE(cap, big);
}

TEST_HARNESS_MAIN

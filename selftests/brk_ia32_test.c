// SPDX-License-Identifier: GPL-2.0
/*
 * brk_ia32_test: a statically linked 32-bit program (brk_ia32_prog, next to
 * this test) is recorded through __ia32_sys_brk: every call it made, and
 * nothing else, with entry "ia32", its 32-bit requests and returns, and
 * the verdicts of a query, a grow, a same-page move, a shrink, a request
 * below start_brk and one past the 32-bit TASK_SIZE: "limits" from 6.1 on;
 * before 6.1 brk() looked for a mapping in the way first, and the one above
 * the heap (read from /proc/PID/maps) refused it: "overlap".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* the harness's functions, and those its macros define, leave parameters unused */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "brkwatch_test.h"
#include "brk_check.h"
#include "brk_ia32.h"

#define PROG		"brk_ia32_prog"
#define EXIT_EXEC	120	/* + errno, when execve() fails */

/* The helper program, in this test's directory. */
static int prog_path(char *path, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", path, size - 1);
	char *slash;

	if (len < 0)
		return -1;
	path[len] = '\0';
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + sizeof("/" PROG) > size)
		return -1;
	strcpy(slash + 1, PROG);
	return 0;
}

TEST(ia32_static_program_is_recorded_through_the_32bit_entry)
{
	static const char *const verdicts[] = {
		"query", "grow", "same-page", "shrink", "below-min", "limits",
		"query",
	};
	const int nverdicts = sizeof(verdicts) / sizeof(verdicts[0]);
	struct bwt_want want[IA32_MAX];
	unsigned long start_data = 0, end_data = 0, start_brk = 0;
	char path[PATH_MAX], statpath[64];
	struct ia32_report rep;
	struct bwt_history *h;
	int res[2], go[2], pid, status = 0, err, i;
	char mapspath[64];
	struct bwt_mapping next = { 0, 0, "anon" };
	bool early_overlap;
	ssize_t got;

	ASSERT_TRUE(bwt_module_loaded()) {
		TH_LOG("%s/status is missing: the brkwatch module is not loaded",
		       BWT_PROC_DIR);
	}
	ASSERT_EQ(0, prog_path(path, sizeof(path)));
	ASSERT_EQ(0, access(path, X_OK)) {
		TH_LOG("%s: %s (build it: see selftests/Makefile)", path,
		       strerror(errno));
	}
	h = bwt_zalloc(sizeof(*h));
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *const argv[] = { (char *)PROG, NULL };
		char *const envp[] = { NULL };

		/* dup2() clears O_CLOEXEC on the copies */
		if (dup2(res[1], 3) < 0 || dup2(go[0], 4) < 0)
			_exit(EXIT_EXEC);
		execve(path, argv, envp);
		_exit(EXIT_EXEC + errno);
	}
	close(res[1]);
	close(go[0]);
	memset(&rep, 0, sizeof(rep));
	got = read(res[0], &rep, sizeof(rep));
	close(res[0]);
	if (got == 0) {
		/* no report: execve() failed */
		close(go[1]);
		ASSERT_EQ(0, bwt_wait_noreap(pid, &status));
		bwt_reap(pid);
		if (status == EXIT_EXEC + ENOEXEC)
			SKIP(return, "this kernel refuses 32-bit programs (ENOEXEC: no IA32 emulation, or ia32_emulation=0)");
		ASSERT_EQ(0, status) {
			TH_LOG("execve(%s) failed: %s", path,
			       status > EXIT_EXEC ? strerror(status - EXIT_EXEC) : "?");
		}
	}
	ASSERT_EQ((ssize_t)sizeof(rep), got);
	ASSERT_EQ(IA32_MAGIC, rep.magic);

	/* the program waits on fd 4: its heap, while it still has one */
	snprintf(statpath, sizeof(statpath), "/proc/%d/stat", pid);
	snprintf(mapspath, sizeof(mapspath), "/proc/%d/maps", pid);
	err = bwt_stat_heap(statpath, &start_data, &end_data, &start_brk);
	early_overlap = bwt_kernel_before_6_1();
	if (early_overlap)
		ASSERT_EQ(0, bwt_mapping_above(mapspath, BWT_PAGE_ALIGN(rep.ret[4]),
					       &next));
	close(go[1]);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, bwt_wait_noreap(pid, &status));
	EXPECT_EQ(0, status);

	err = bwt_history_wait(pid, h, 5000);
	ASSERT_EQ(0, err) {
		TH_LOG("reading %s/%d: %s %s", BWT_PROC_DIR, pid, strerror(-err),
		       h->error);
	}
	ASSERT_EQ((unsigned int)nverdicts, rep.n);

	/* what the kernel did, as the program saw it */
	EXPECT_EQ((unsigned int)start_brk, rep.ret[0]);
	EXPECT_EQ(rep.req[1], rep.ret[1]);
	EXPECT_EQ(rep.req[2], rep.ret[2]);
	EXPECT_EQ(rep.req[3], rep.ret[3]);
	EXPECT_EQ(rep.ret[3], rep.ret[4]);
	EXPECT_EQ(rep.ret[3], rep.ret[5]);
	EXPECT_EQ(rep.ret[3], rep.ret[6]);

	memset(want, 0, sizeof(want));
	for (i = 0; i < nverdicts; i++) {
		want[i].tid = (int)rep.tid;
		want[i].entry = "ia32";
		want[i].request = rep.req[i];
		want[i].ret = rep.ret[i];
		want[i].brk_before = i ? rep.ret[i - 1] : rep.ret[0];
		want[i].verdict = verdicts[i];
	}
	if (early_overlap) {
		want[5].verdict = "overlap";
		bwt_overlap_details(want[5].details, sizeof(want[5].details),
				    &next, rep.req[5]);
	} else {
		snprintf(want[5].details, sizeof(want[5].details), "err=%d", -ENOMEM);
	}
	EXPECT_EQ(pid, (int)rep.tid);
	EXPECT_STREQ(PROG, h->comm);
	bwt_check_head(_metadata, h, pid, getuid(), start_data, end_data,
		       start_brk);
	bwt_check_calls(_metadata, h, want, nverdicts);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

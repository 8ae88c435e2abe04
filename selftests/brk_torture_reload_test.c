// SPDX-License-Identifier: GPL-2.0
/*
 * brk_torture_reload_test: the module unloaded and loaded again while its
 * files are held open (root), CYCLES times, with processes calling brk()
 * and a reader reading a held file in a loop meanwhile.
 *
 * Each cycle opens status, control, the directory and the histories of
 * running and exited processes, reads some of them part way, and unloads
 * the module with all of them open: the unload succeeds. Then every held
 * file reads EIO, never data or end of file (its module is gone); the
 * files held are closed, some before the module is loaded again, some
 * after, some only after later cycles (closing one must not call into the
 * module that made it). After loading, new histories read correctly.
 * The kernel must not be tainted by a warning or oops (scripts/vm.sh
 * checks its log too). brk_load_unload_test does the 50 quick cycles
 * without held files.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define CYCLES		8
#define LOOPERS		3
#define EXITED		3	/* exited children, histories kept, per cycle */
#define HELD		(3 + LOOPERS + EXITED)

struct shared {
	int fd_ready;		/* the held fd the hammer reads */
	int stop;
	unsigned long reads, eio, other;
	int other_errno;
};

static struct shared *sh;

/* Reads fd from its start over and over: data while loaded, then EIO. */
static void hammer(int fd)
{
	static char buf[4096];
	ssize_t n;

	bwt_die_with_parent();
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
		n = pread(fd, buf, sizeof(buf), 0);
		if (n > 0)
			sh->reads++;
		else if (n < 0 && errno == EIO)
			sh->eio++;
		else if (!sh->other++)
			sh->other_errno = n < 0 ? errno : 0;
		if (n < 0)
			bwt_sleep_ms(1);	/* the module is away: leave it the CPU */
	}
	_exit(0);
}

static int two_calls(void *arg)
{
	unsigned long cur = bwt_brk(0);

	(void)arg;
	bwt_brk(cur + 3 * BWT_PAGE);
	return 0;
}

static int open_history(int pid)
{
	char path[64];

	bwt_history_path(path, sizeof(path), pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The start of a looper's history, once it has a file: 0 or -errno. */
static int looper_head(int pid, char *buf, size_t size)
{
	char path[64];
	ssize_t len;
	int ms;

	bwt_history_path(path, sizeof(path), pid);
	for (ms = 0; ms < 5000; ms += 10) {
		len = bwt_read_file(path, buf, size);
		if (len != -ENOENT)
			break;
		bwt_sleep_ms(10);
	}
	if (len < 0)
		return (int)len;
	return strncmp(buf, "# brkwatch ", 11) ? -EBADMSG : 0;
}

FIXTURE(held) {
	int loopers[LOOPERS];
	int exited[CYCLES * EXITED];
	int nexited;
	int hammer;
	int late[CYCLES];	/* held until the end */
};

FIXTURE_SETUP(held)
{
	int i;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	sh = bwt_shared_alloc(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (i = 0; i < CYCLES; i++)
		self->late[i] = -1;
}

FIXTURE_TEARDOWN(held)
{
	int i, err;

	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	if (self->hammer > 0)
		waitpid(self->hammer, NULL, 0);
	bwt_kill_wait(self->loopers, LOOPERS);
	for (i = 0; i < self->nexited; i++)
		bwt_reap(self->exited[i]);
	for (i = 0; i < CYCLES; i++)
		if (self->late[i] >= 0)
			close(self->late[i]);
	err = bwt_module_load_again();
	if (err)
		TH_LOG("could not load brkwatch again: %s", strerror(-err));
	EXPECT_EQ(0, err);
}

TEST_F_TIMEOUT(held, unload_and_load_with_files_held_open, 280)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long taint0, taint1;
	char buf[256];
	int fd[HELD], i, c, n, err, pid, status;
	ssize_t got;

	if (geteuid() != 0)
		SKIP(return, "loading and unloading the module needs root");
	ASSERT_NE(NULL, h);
	taint0 = bwt_tainted();
	for (i = 0; i < LOOPERS; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			bwt_looper(5 * BWT_PAGE, BWT_PAGE + 17, NULL);
		self->loopers[i] = pid;
	}

	for (c = 0; c < CYCLES; c++) {
		/* histories of exited processes, and of the loopers */
		for (i = 0; i < EXITED; i++) {
			pid = bwt_run_child(two_calls, NULL, &status);
			ASSERT_LT(0, pid);
			self->exited[self->nexited++] = pid;
			err = bwt_history_wait(pid, h, 5000);
			ASSERT_EQ(0, err) TH_LOG("cycle %d: child %d: %s %s", c + 1, pid,
						 strerror(-err), h->error);
			EXPECT_EQ(2, h->ncalls);
			EXPECT_STREQ("exited", h->state);
		}
		/* (read as long as records come: only the start of them) */
		for (i = 0; i < LOOPERS; i++) {
			err = looper_head(self->loopers[i], buf, sizeof(buf));
			ASSERT_EQ(0, err) TH_LOG("cycle %d: looper %d: %s", c + 1,
						 self->loopers[i], strerror(-err));
		}

		/* held: status, control, the directory, the histories */
		n = 0;
		fd[n++] = open(BWT_PROC_DIR "/status", O_RDONLY | O_CLOEXEC);
		fd[n++] = open(BWT_PROC_DIR "/control", O_RDWR | O_CLOEXEC);
		fd[n++] = open(BWT_PROC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		for (i = 0; i < LOOPERS; i++)
			fd[n++] = open_history(self->loopers[i]);
		for (i = 0; i < EXITED; i++)
			fd[n++] = open_history(self->exited[self->nexited - 1 - i]);
		for (i = 0; i < n; i++)
			ASSERT_LE(0, fd[i]) TH_LOG("cycle %d: held file %d: %s", c + 1,
						   i, strerror(errno));
		/* part way through some: the seq_file has state */
		for (i = 3; i < n; i += 2)
			EXPECT_EQ(40, read(fd[i], buf, 40));
		EXPECT_LT(0, read(fd[0], buf, 10));
		if (c == 0) {
			/* the hammer keeps reading a looper's history, held since */
			sh->fd_ready = dup(fd[3]);
			ASSERT_LE(0, sh->fd_ready);
			self->hammer = fork();
			ASSERT_LE(0, self->hammer);
			if (!self->hammer)
				hammer(sh->fd_ready);
			close(sh->fd_ready);
			bwt_sleep_ms(100);
		}

		err = bwt_module_unload(10000);
		ASSERT_EQ(0, err) TH_LOG("cycle %d: unloading with %d files held: %s",
					 c + 1, n, strerror(-err));
		ASSERT_FALSE(bwt_module_loaded());

		/* the module is gone: its files read EIO */
		for (i = 0; i < n; i++) {
			if (i == 2)
				continue;	/* the directory */
			errno = 0;
			got = read(fd[i], buf, sizeof(buf));
			EXPECT_EQ(-1, got) TH_LOG("cycle %d: held file %d read %zd bytes after the unload",
						  c + 1, i, got);
			EXPECT_EQ(EIO, errno) TH_LOG("cycle %d: held file %d: %s",
						    c + 1, i, strerror(errno));
		}
		EXPECT_EQ(-1, write(fd[1], "pause", 5));
		/* some closed now, the others after loading again */
		for (i = 0; i < n; i += 2)
			close(fd[i]);

		err = bwt_module_load("");
		ASSERT_EQ(0, err) TH_LOG("cycle %d: loading: %s", c + 1, strerror(-err));
		for (i = 1; i < n; i += 2) {
			EXPECT_EQ(-1, read(fd[i], buf, sizeof(buf)));
			if (i == 3) {
				self->late[c] = fd[i];	/* closed at the end */
				continue;
			}
			close(fd[i]);
		}
		/* the module works: a new process's calls, read whole */
		pid = bwt_run_child(two_calls, NULL, &status);
		ASSERT_LT(0, pid);
		self->exited[self->nexited++] = pid;
		err = bwt_history_wait(pid, h, 5000);
		ASSERT_EQ(0, err) TH_LOG("cycle %d: after loading: %s %s", c + 1,
					 strerror(-err), h->error);
		EXPECT_EQ(2UL, h->calls);
		EXPECT_EQ(2, h->ncalls);
		for (i = 0; i < h->nevents; i++)
			EXPECT_STRNE("unknown", h->ev[i].verdict);
		/* pids go on: reap this cycle's children */
		while (self->nexited)
			bwt_reap(self->exited[--self->nexited]);
	}

	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(self->hammer, waitpid(self->hammer, NULL, 0));
	self->hammer = 0;
	TH_LOG("the hammer: %lu reads, %lu EIO, %lu other", sh->reads, sh->eio, sh->other);
	EXPECT_LT(0UL, sh->reads);
	EXPECT_LT(0UL, sh->eio);
	EXPECT_EQ(0UL, sh->other) TH_LOG("the hammer got %s: only data, then EIO, expected",
					 sh->other_errno ? strerror(sh->other_errno) : "end of file");
	taint1 = bwt_tainted();
	EXPECT_EQ(taint0 & BWT_BAD_TAINT, taint1 & BWT_BAD_TAINT)
		TH_LOG("the kernel got tainted: %#lx -> %#lx", taint0, taint1);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

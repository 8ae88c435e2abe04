// SPDX-License-Identifier: GPL-2.0
/*
 * brk_control_test: /proc/brkwatch/control.
 *
 * - pause: no call is seen or recorded while paused; resume: they are again.
 * - forget PID: that history is gone, others stay; forgetting it again, or
 *   a pid without a history, is ESRCH.
 * - clear: every history is gone; new calls make new histories from seq 1.
 * - 20 and more invalid writes (empty, huge, binary, out-of-range and
 *   malformed pids, unknown words) each get EINVAL and change nothing.
 * - A non-root process gets EPERM, opening for writing or writing on a
 *   descriptor root opened.
 *
 * Needs root (the commands are root's); the children never malloc.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define NOBODY_UID	65534
#define NOBODY_GID	65534
#define FILE_MAX	(256 << 10)

static int three_calls(void *arg)
{
	unsigned long cur = bwt_brk(0);

	(void)arg;
	bwt_brk(cur + 2 * BWT_PAGE);
	bwt_brk(cur);
	return 0;
}

static int five_calls(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 5; i++)
		bwt_brk(0);
	return 0;
}

static int no_calls(void *arg)
{
	(void)arg;
	return 0;
}

/* A zombie child with a history of three calls; its pid. */
static int zombie_with_history(struct __test_metadata *_metadata,
			       struct bwt_history *h)
{
	int status = -1, pid, err;

	pid = bwt_run_child(three_calls, NULL, &status);
	ASSERT_LT(0, pid) TH_LOG("fork: %s", strerror(-pid));
	err = bwt_history_wait(pid, h, 3000);
	ASSERT_EQ(0, err) TH_LOG("child %d: no history: %s %s", pid,
				 strerror(-err), h->error);
	ASSERT_EQ(3, h->ncalls);
	return pid;
}

static bool exists(int pid)
{
	char path[64];

	bwt_history_path(path, sizeof(path), pid);
	return access(path, F_OK) == 0;
}

FIXTURE(control) {
	struct bwt_history *h;
};

FIXTURE_SETUP(control)
{
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		return;		/* each test skips */
	self->h = bwt_zalloc(sizeof(*self->h));
	ASSERT_NE(NULL, self->h);
	ASSERT_EQ(0, bwt_control("resume"));
}

/* Setup leaves self->h NULL when not root. */
#define NEED_ROOT() do { \
	if (!self->h) \
		SKIP(return, "control commands need root"); \
} while (0)

FIXTURE_TEARDOWN(control)
{
	if (geteuid() == 0 && bwt_module_loaded())
		bwt_control("resume");
	bwt_free(self->h, sizeof(*self->h));
}

TEST_F(control, pause_stops_recording_and_resume_restarts_it)
{
	unsigned long seen0, seen1, seen2;
	char paused[16];
	int status = -1, pid, paused_pid, err;

	NEED_ROOT();
	ASSERT_EQ(0, bwt_control("pause\n")) TH_LOG("writing 'pause'");
	ASSERT_EQ(0, bwt_status_text("paused", paused, sizeof(paused)));
	EXPECT_STREQ("yes", paused);
	ASSERT_EQ(0, bwt_status_get("calls_seen", &seen0));

	pid = bwt_run_child(five_calls, NULL, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, bwt_status_get("calls_seen", &seen1));
	EXPECT_EQ(seen0, seen1) TH_LOG("calls were seen while paused");
	paused_pid = pid;

	ASSERT_EQ(0, bwt_control("resume")) TH_LOG("writing 'resume'");
	ASSERT_EQ(0, bwt_status_text("paused", paused, sizeof(paused)));
	EXPECT_STREQ("no", paused);
	pid = bwt_run_child(five_calls, NULL, &status);
	ASSERT_LT(0, pid);
	err = bwt_history_wait(pid, self->h, 3000);
	ASSERT_EQ(0, err) TH_LOG("after resume: %s %s", strerror(-err), self->h->error);
	/*
	 * The worker makes the files of all new histories in one pass, in the
	 * order they began: with this child's file there, a history of the
	 * paused child, begun earlier, would have its file too.
	 */
	EXPECT_FALSE(exists(paused_pid))
		TH_LOG("a child that called brk only while paused has a history");
	bwt_reap(paused_pid);
	EXPECT_EQ(5, self->h->ncalls);
	EXPECT_EQ(5UL, self->h->calls);
	ASSERT_EQ(0, bwt_status_get("calls_seen", &seen2));
	EXPECT_LE(seen1 + 5, seen2);
	bwt_reap(pid);
}

TEST_F(control, forget_removes_that_history_only)
{
	unsigned long exited0, exited1;
	int a, b, c, status = -1;

	NEED_ROOT();
	a = zombie_with_history(_metadata, self->h);
	b = zombie_with_history(_metadata, self->h);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited0));

	ASSERT_EQ(0, bwt_forget(a)) TH_LOG("forget %d", a);
	EXPECT_FALSE(exists(a)) TH_LOG("forgotten history %d still has a file", a);
	EXPECT_EQ(0, bwt_history_read(b, self->h))
		TH_LOG("forgetting %d took %d's history too", a, b);
	EXPECT_EQ(3, self->h->ncalls);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited1));
	EXPECT_EQ(exited0 - 1, exited1);

	EXPECT_EQ(-ESRCH, bwt_forget(a)) TH_LOG("forgetting %d twice", a);
	c = bwt_run_child(no_calls, NULL, &status);
	ASSERT_LT(0, c);
	EXPECT_EQ(-ESRCH, bwt_forget(c))
		TH_LOG("forgetting %d, which never called brk", c);
	bwt_reap(c);
	bwt_reap(b);
	bwt_reap(a);
}

TEST_F(control, clear_removes_every_history)
{
	unsigned long running, exited;
	int a, b, c, status = -1, err;

	NEED_ROOT();
	a = zombie_with_history(_metadata, self->h);
	b = zombie_with_history(_metadata, self->h);

	ASSERT_EQ(0, bwt_control("clear")) TH_LOG("writing 'clear'");
	EXPECT_FALSE(exists(a));
	EXPECT_FALSE(exists(b));
	ASSERT_EQ(0, bwt_status_get("processes_running", &running));
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited));
	EXPECT_EQ(0UL, exited) TH_LOG("exited histories left after clear");
	EXPECT_EQ(0UL, running) TH_LOG("running histories left after clear");

	/* recording goes on: a new history from seq 1 */
	c = bwt_run_child(five_calls, NULL, &status);
	ASSERT_LT(0, c);
	err = bwt_history_wait(c, self->h, 3000);
	ASSERT_EQ(0, err) TH_LOG("after clear: %s %s", strerror(-err), self->h->error);
	ASSERT_EQ(5, self->h->ncalls);
	EXPECT_EQ(1UL, self->h->ev[0].seq);
	bwt_reap(c);
	bwt_reap(b);
	bwt_reap(a);
}

/* What an invalid command must leave as it was. */
struct snapshot {
	char paused[16];
	unsigned long running, exited;
	ssize_t len;
	char file[FILE_MAX];
};

static int take_snapshot(struct snapshot *s, int pid)
{
	char path[64];
	int err;

	bwt_history_path(path, sizeof(path), pid);
	err = bwt_status_text("paused", s->paused, sizeof(s->paused));
	if (!err)
		err = bwt_status_get("processes_running", &s->running);
	if (!err)
		err = bwt_status_get("processes_exited", &s->exited);
	s->len = bwt_read_file(path, s->file, sizeof(s->file));
	return err;
}

struct bad_cmd {
	const char *what;
	const char *buf;
	size_t len;	/* 0: strlen(buf) */
};

#define CMD(what, s)	{ what, s, sizeof(s) - 1 }

TEST_F(control, invalid_commands_get_einval_and_change_nothing)
{
	static char huge[65536], long_forget[40];
	struct bad_cmd cmds[] = {
		{ "empty write", "", 0 },
		CMD("just a newline", "\n"),
		{ "64 KiB of 'c'", huge, sizeof(huge) },
		{ "forget with a 32-character pid", long_forget, 0 },
		CMD("'clear' and a NUL", "clear\0"),
		CMD("NUL then 'clear'", "\0clear"),
		CMD("binary bytes", "\xff\xfe\x01\x02\x80"),
		CMD("forget -1", "forget -1"),
		CMD("forget 99999999999", "forget 99999999999"),
		CMD("forget 0", "forget 0"),
		CMD("forget past PID_MAX_LIMIT", "forget 4194305"),
		CMD("forget and no pid", "forget "),
		CMD("forget without space", "forget"),
		CMD("forget a word", "forget abc"),
		CMD("forget hex", "forget 0x10"),
		CMD("forget two pids", "forget 1 2"),
		CMD("upper case", "CLEAR"),
		CMD("trailing space", "clear "),
		CMD("leading space", " pause"),
		CMD("two newlines", "pause\n\n"),
		CMD("CR LF", "clear\r\n"),
		CMD("two commands", "pause\nclear"),
		CMD("unknown word", "stop"),
		CMD("resume with more", "resume now"),
		CMD("prefix of a command", "paus"),
	};
	struct snapshot *before = bwt_zalloc(sizeof(*before));
	struct snapshot *after = bwt_zalloc(sizeof(*after));
	int i, n = sizeof(cmds) / sizeof(cmds[0]), pid, err;

	NEED_ROOT();
	ASSERT_LE(20, n);
	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	memset(huge, 'c', sizeof(huge));
	memcpy(long_forget, "forget ", 7);
	memset(long_forget + 7, '1', 25);	/* 32 bytes in all */

	pid = zombie_with_history(_metadata, self->h);
	ASSERT_EQ(0, take_snapshot(before, pid));
	ASSERT_LT(0, before->len);
	ASSERT_STREQ("no", before->paused);

	for (i = 0; i < n; i++) {
		size_t len = cmds[i].len ? cmds[i].len : strlen(cmds[i].buf);

		err = bwt_control_write(cmds[i].buf, len);
		EXPECT_EQ(-EINVAL, err)
			TH_LOG("%s (%zu bytes): %s, expected EINVAL",
			       cmds[i].what, len, err ? strerror(-err) : "accepted");
		ASSERT_EQ(0, take_snapshot(after, pid));
		EXPECT_STREQ(before->paused, after->paused)
			TH_LOG("%s changed paused to %s", cmds[i].what, after->paused);
		EXPECT_EQ(before->running, after->running)
			TH_LOG("%s changed processes_running", cmds[i].what);
		EXPECT_EQ(before->exited, after->exited)
			TH_LOG("%s changed processes_exited", cmds[i].what);
		EXPECT_TRUE(before->len == after->len &&
			    !memcmp(before->file, after->file, before->len))
			TH_LOG("%s changed history %d (%zd bytes, was %zd)",
			       cmds[i].what, pid, after->len, before->len);
	}
	bwt_reap(pid);
	bwt_free(before, sizeof(*before));
	bwt_free(after, sizeof(*after));
}

struct nobody_run {
	int fd;			/* opened for writing by root */
	int open_err;		/* errno of open(O_WRONLY) as nobody */
	int write_err;		/* errno of write() on root's fd as nobody */
	int read_err;
	char text[128];
};

static int nobody_writer(void *arg)
{
	struct nobody_run *r = arg;
	ssize_t len;
	int fd;

	if (setgroups(0, NULL) || setresgid(NOBODY_GID, NOBODY_GID, NOBODY_GID) ||
	    setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID))
		return 10;
	fd = open(BWT_PROC_DIR "/control", O_WRONLY | O_CLOEXEC);
	r->open_err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	r->write_err = write(r->fd, "clear", 5) < 0 ? errno : 0;
	len = bwt_read_file(BWT_PROC_DIR "/control", r->text, sizeof(r->text));
	r->read_err = len < 0 ? (int)-len : 0;
	return 0;
}

TEST_F(control, non_root_gets_eperm)
{
	struct nobody_run *r = bwt_shared_alloc(sizeof(*r));
	unsigned long exited0, exited1;
	int pid, writer, status = -1;

	NEED_ROOT();
	ASSERT_NE(NULL, r);
	pid = zombie_with_history(_metadata, self->h);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited0));
	r->fd = open(BWT_PROC_DIR "/control", O_WRONLY);
	ASSERT_LE(0, r->fd);

	writer = bwt_run_child(nobody_writer, r, &status);
	ASSERT_LT(0, writer);
	ASSERT_EQ(0, status) TH_LOG("the child could not become nobody");
	EXPECT_EQ(EPERM, r->open_err)
		TH_LOG("nobody opening control for writing: %s, expected EPERM",
		       strerror(r->open_err));
	EXPECT_EQ(EPERM, r->write_err)
		TH_LOG("nobody writing 'clear' on root's descriptor: %s, expected EPERM",
		       strerror(r->write_err));
	EXPECT_EQ(0, r->read_err) TH_LOG("nobody reading control: %s",
					 strerror(r->read_err));
	EXPECT_EQ(0, strncmp(r->text, "commands: ", 10)) TH_LOG("control reads '%s'", r->text);

	EXPECT_TRUE(exists(pid)) TH_LOG("nobody's 'clear' removed history %d", pid);
	ASSERT_EQ(0, bwt_status_get("processes_exited", &exited1));
	EXPECT_LE(exited0, exited1);
	close(r->fd);
	bwt_reap(writer);
	bwt_reap(pid);
}

TEST_HARNESS_MAIN

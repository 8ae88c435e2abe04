// SPDX-License-Identifier: GPL-2.0
/*
 * brk_stuck_reader_test: a reader of a history that is stuck in a page
 * fault holds up only what removes that history's file.
 *
 * The reader's buffer is registered with userfaultfd (MISSING mode), so
 * its read() blocks in the copy to user space, with the file in use. Then
 * "forget" of that history waits for the reader (proc_remove() does), and
 * meanwhile, each within a bound: status is read, "forget" of another
 * process's history succeeds and its file goes, "pause" and "resume" take
 * effect, and a new process's history gets its file. The module used to
 * remove files under the worker's mutex, which status and every command
 * take: all of them hung until the fault was resolved. Then the fault is
 * resolved (UFFDIO_COPY), the reader gets its header and the "forget"
 * completes.
 *
 * Needs root (a userfaultfd that catches the kernel's own accesses, and
 * control commands).
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

/* how long a command may take while the reader is stuck */
#define BOUND_MS	8000

/* A child that makes a few calls, then waits to be killed. */
struct kid {
	int pid;
};

static int kid_start(struct kid *k)
{
	k->pid = fork();
	if (k->pid < 0)
		return -errno;
	if (!k->pid) {
		unsigned long cur = bwt_brk(0);

		bwt_brk(cur + 2 * BWT_PAGE);
		bwt_brk(cur);
		for (;;)
			pause();
	}
	return 0;
}

static void kid_stop(struct kid *k)
{
	if (k->pid <= 0)
		return;
	kill(k->pid, SIGKILL);
	waitpid(k->pid, NULL, 0);
	k->pid = 0;
}

/* What a command run in a child (run_bounded()) does; 0 or -errno. */
enum op { OP_STATUS, OP_FORGET, OP_PAUSE, OP_RESUME, OP_NEW_FILE };

static int do_op(enum op op, int pid)
{
	char buf[4096], value[16];
	struct bwt_history *h;
	int err;

	switch (op) {
	case OP_STATUS:
		err = bwt_read_file(BWT_PROC_DIR "/status", buf, sizeof(buf));
		return err < 0 ? err : 0;
	case OP_FORGET:
		return bwt_forget(pid);
	case OP_PAUSE:
	case OP_RESUME:
		err = bwt_control(op == OP_PAUSE ? "pause" : "resume");
		if (!err)
			err = bwt_status_text("paused", value, sizeof(value));
		if (!err && strcmp(value, op == OP_PAUSE ? "yes" : "no"))
			err = -EPROTO;
		return err;
	case OP_NEW_FILE:
		/* pid is a child that made calls: its file appears */
		h = bwt_zalloc(sizeof(*h));
		if (!h)
			return -ENOMEM;
		err = bwt_history_wait(pid, h, BOUND_MS);
		bwt_free(h, sizeof(*h));
		return err;
	}
	return -EINVAL;
}

/*
 * Starts do_op(op, pid) in a child: its pid. The child's exit status is
 * the errno it got (0 for success).
 */
static int op_start(enum op op, int pid)
{
	int child = fork();

	if (!child)
		_exit(-do_op(op, pid));
	return child;
}

/*
 * Waits up to ms for child: its exit status, or -ETIMEDOUT (the child is
 * left running: a task stuck on a mutex cannot be killed).
 */
static int op_wait(int child, unsigned int ms)
{
	int status;

	for (;;) {
		int got = waitpid(child, &status, WNOHANG);

		if (got == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		if (got < 0)
			return -errno;
		if (!ms)
			return -ETIMEDOUT;
		bwt_sleep_ms(ms < 10 ? ms : 10);
		ms -= ms < 10 ? ms : 10;
	}
}

struct reader {
	int fd;
	char *buf;
	ssize_t n;
	int err;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->n = read(r->fd, r->buf, BWT_PAGE);
	r->err = r->n < 0 ? errno : 0;
	return NULL;
}

FIXTURE(stuck) {
	struct kid a, b, c;
	int uffd;
	int forget_a;		/* the child forgetting a's history */
	int pending[8];		/* op children that timed out */
	int npending;
	char *buf;
	bool faulting;		/* the reader's page is not resolved yet */
	pthread_t thread;
	bool started;
	struct reader r;
};

FIXTURE_SETUP(stuck)
{
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	self->uffd = -1;
	self->r.fd = -1;
}

/* Unblocks the reader whatever happened, so that nothing stays stuck. */
static void resolve(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stuck) *self)
{
	struct uffdio_copy copy;
	static char zero[4096] __attribute__((aligned(4096)));

	if (!self->faulting)
		return;
	memset(&copy, 0, sizeof(copy));
	copy.dst = (unsigned long)self->buf;
	copy.src = (unsigned long)zero;
	copy.len = BWT_PAGE;
	EXPECT_EQ(0, ioctl(self->uffd, UFFDIO_COPY, &copy))
		TH_LOG("UFFDIO_COPY: %s", strerror(errno));
	self->faulting = false;
}

FIXTURE_TEARDOWN(stuck)
{
	int i;

	resolve(_metadata, self);
	if (self->started)
		pthread_join(self->thread, NULL);
	for (i = 0; i < self->npending; i++)
		waitpid(self->pending[i], NULL, 0);
	if (self->forget_a > 0)
		waitpid(self->forget_a, NULL, 0);
	if (self->r.fd >= 0)
		close(self->r.fd);
	if (self->uffd >= 0)
		close(self->uffd);
	kid_stop(&self->a);
	kid_stop(&self->b);
	kid_stop(&self->c);
	bwt_control("resume");
}

TEST_F_TIMEOUT(stuck, status_and_commands_go_on_while_a_reader_faults, 120)
{
	static const char *const names[] = {
		"reading status", "forget of another process",
		"pause (and status saying so)",
		"resume (and status saying so)", "a new process's file",
	};
	struct uffdio_register reg;
	struct uffdio_api api;
	struct uffd_msg msg;
	struct pollfd pfd;
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	char path[64];
	int i, st, child, err;
	unsigned long t0, ms;

	if (geteuid() != 0)
		SKIP(return, "a userfaultfd that catches the kernel's accesses, and control, need root");
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, kid_start(&self->a));
	ASSERT_EQ(0, kid_start(&self->b));
	err = bwt_history_wait(self->a.pid, h, 5000);
	ASSERT_EQ(0, err) TH_LOG("history of %d: %s", self->a.pid, strerror(-err));
	err = bwt_history_wait(self->b.pid, h, 5000);
	ASSERT_EQ(0, err) TH_LOG("history of %d: %s", self->b.pid, strerror(-err));

	/* the reader's buffer: a page no one touched, caught by userfaultfd */
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0 && (errno == ENOSYS || errno == EOPNOTSUPP))
		SKIP(return, "no userfaultfd in this kernel");
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api))
		TH_LOG("UFFDIO_API: %s", strerror(errno));
	self->buf = bwt_zalloc(BWT_PAGE);
	ASSERT_NE(NULL, self->buf);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)self->buf;
	reg.range.len = BWT_PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));
	self->faulting = true;

	bwt_history_path(path, sizeof(path), self->a.pid);
	self->r.fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->r.fd) TH_LOG("%s: %s", path, strerror(errno));
	self->r.buf = self->buf;
	ASSERT_EQ(0, pthread_create(&self->thread, NULL, reader_fn, &self->r));
	self->started = true;

	/* the reader is in the fault once the event arrives */
	pfd.fd = self->uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("the reader never faulted on its buffer");
	ASSERT_EQ((ssize_t)sizeof(msg), read(self->uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_EQ((unsigned long)self->buf, msg.arg.pagefault.address & ~(BWT_PAGE - 1));

	/* forgetting a's history waits for its reader: it may block */
	self->forget_a = op_start(OP_FORGET, self->a.pid);
	ASSERT_LT(0, self->forget_a);
	bwt_sleep_ms(1000);
	/* (the worker may have taken a's file to remove: then it waits) */
	if (op_wait(self->forget_a, 0) != -ETIMEDOUT)
		TH_LOG("forget of the history being read returned while its reader is stuck");

	ASSERT_EQ(0, kid_start(&self->c));
	for (i = OP_STATUS; i <= OP_NEW_FILE; i++) {
		int pid = i == OP_FORGET ? self->b.pid : self->c.pid;

		t0 = bwt_now_ns();
		child = op_start(i, pid);
		ASSERT_LT(0, child);
		st = op_wait(child, BOUND_MS);
		ms = (bwt_now_ns() - t0) / 1000000;
		if (st == -ETIMEDOUT) {
			self->pending[self->npending++] = child;
			EXPECT_NE(-ETIMEDOUT, st)
				TH_LOG("%s did not complete in %d ms while a reader of another history is stuck in a page fault",
				       names[i], BOUND_MS);
			continue;
		}
		EXPECT_EQ(0, st) TH_LOG("%s: %s", names[i], strerror(st));
		TH_LOG("%s: %lu ms", names[i], ms);
	}
	/* b's file is gone */
	if (!self->npending)
		EXPECT_TRUE(bwt_history_wait_gone(self->b.pid, BOUND_MS))
			TH_LOG("the file of %d stays after forget", self->b.pid);

	/* the reader goes on, and so does the forget of its history */
	resolve(_metadata, self);
	pthread_join(self->thread, NULL);
	self->started = false;
	EXPECT_LT(0, self->r.n) TH_LOG("the stuck read: %s", strerror(self->r.err));
	if (self->r.n > 0)
		EXPECT_EQ(0, strncmp(self->buf, "# brkwatch ", 11))
			TH_LOG("the read got '%.20s', not a history's header", self->buf);
	st = op_wait(self->forget_a, 20000);
	EXPECT_EQ(0, st) TH_LOG("forget of the history whose reader was stuck: %s",
				st == -ETIMEDOUT ? "still blocked once the fault is resolved" :
				strerror(st));
	if (!st)
		self->forget_a = 0;
	for (i = 0; i < self->npending; i++)
		waitpid(self->pending[i], NULL, 0);
	self->npending = 0;
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

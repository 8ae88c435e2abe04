// SPDX-License-Identifier: GPL-2.0
/*
 * brk_strace_test: brkwatch agrees with strace on real programs of the
 * machine. Each program runs under `strace -f -qq -e trace=brk`; for every
 * process strace shows, the calls of its history after its last exec
 * marker are exactly the brk() calls strace saw: same request, same
 * return, same order, nothing more. The break before and after each call,
 * their page-aligned values and the delta follow from strace's own chain:
 * a call's break after is what it returned, its break before is what the
 * call before returned (the exec's start_brk for the first after an exec).
 * (What a process did before its exec, strace's own child before it became
 * the program, strace does not show.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* the harness's functions, and those its macros define, leave parameters unused */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define STRACE		"/usr/bin/strace"
#define MAX_PIDS	64
#define MAX_CALLS	1024

struct traced_call {
	unsigned long request;
	unsigned long ret;
};

struct traced {
	int pid;
	int n;
	struct traced_call call[MAX_CALLS];
	unsigned long pending;		/* request of an <unfinished ...> call */
	bool unfinished;
};

FIXTURE(strace) {
	char out[64];
	struct traced *procs;
	int nprocs;
	struct bwt_history *h;
};

FIXTURE_VARIANT(strace) {
	const char *argv[6];	/* argv[0]: the program, by absolute path */
	const char *comm;	/* what its history must be named */
};

FIXTURE_VARIANT_ADD(strace, ls) {
	.argv = { "/usr/bin/ls", "-l", "/", NULL },
	.comm = "ls",
};

FIXTURE_VARIANT_ADD(strace, cat) {
	.argv = { "/usr/bin/cat", "/etc/os-release", NULL },
	.comm = "cat",
};

FIXTURE_VARIANT_ADD(strace, sort) {
	.argv = { "/usr/bin/sort", "/etc/passwd", NULL },
	.comm = "sort",
};

FIXTURE_VARIANT_ADD(strace, gzip) {
	.argv = { "/usr/bin/gzip", "-c", "/etc/os-release", NULL },
	.comm = "gzip",
};

FIXTURE_VARIANT_ADD(strace, python3) {
	.argv = { "/usr/bin/python3", "-c", "pass", NULL },
	.comm = "python3",
};

FIXTURE_SETUP(strace)
{
	ASSERT_TRUE(bwt_module_loaded()) {
		TH_LOG("%s/status is missing: the brkwatch module is not loaded",
		       BWT_PROC_DIR);
	}
	snprintf(self->out, sizeof(self->out), "/tmp/brk_strace.%d", getpid());
	self->procs = calloc(MAX_PIDS, sizeof(*self->procs));
	ASSERT_NE(NULL, self->procs);
	self->nprocs = 0;
	self->h = bwt_zalloc(sizeof(*self->h));
	ASSERT_NE(NULL, self->h);
}

FIXTURE_TEARDOWN(strace)
{
	unlink(self->out);
	free(self->procs);
	bwt_free(self->h, sizeof(*self->h));
}

static struct traced *traced_get(FIXTURE_DATA(strace) *self, int pid)
{
	int i;

	for (i = 0; i < self->nprocs; i++)
		if (self->procs[i].pid == pid)
			return &self->procs[i];
	if (self->nprocs == MAX_PIDS)
		return NULL;
	self->procs[self->nprocs].pid = pid;
	return &self->procs[self->nprocs++];
}

static int parse_addr(const char *s, unsigned long *v)
{
	char *end;

	if (!strncmp(s, "NULL", 4)) {
		*v = 0;
		return 0;
	}
	errno = 0;
	*v = strtoul(s, &end, 16);
	return errno || end == s ? -1 : 0;
}

/* " = 0x..." at the end of a line: the return value */
static int parse_ret(const char *s, unsigned long *v)
{
	const char *eq = strstr(s, " = ");

	return eq ? parse_addr(eq + 3, v) : -1;
}

/*
 * One line of strace -f output: "PID brk(ARG) = RET", or split in two,
 * "PID brk(ARG <unfinished ...>" then "PID <... brk resumed>) = RET".
 * Anything else (signals, exits) is not a brk call. 0, or -1 with a
 * message for a line that names brk but cannot be read.
 */
static int parse_line(FIXTURE_DATA(strace) *self, char *line,
		      const char **why)
{
	struct traced *t;
	unsigned long req, ret;
	char *p;
	long pid;

	errno = 0;
	pid = strtol(line, &p, 10);
	if (errno || p == line || *p != ' ')
		return strstr(line, "brk") ? (*why = "no pid", -1) : 0;
	while (*p == ' ')	/* strace pads the pid */
		p++;
	if (strncmp(p, "brk(", 4) && strncmp(p, "<... brk resumed>", 17))
		return 0;
	t = traced_get(self, (int)pid);
	if (!t) {
		*why = "too many processes";
		return -1;
	}
	if (!strncmp(p, "brk(", 4)) {
		if (parse_addr(p + 4, &req)) {
			*why = "unreadable request";
			return -1;
		}
		if (strstr(p, "<unfinished ...>")) {
			t->pending = req;
			t->unfinished = true;
			return 0;
		}
	} else {
		if (!t->unfinished) {
			*why = "resumed call never started";
			return -1;
		}
		req = t->pending;
		t->unfinished = false;
	}
	if (parse_ret(p, &ret)) {
		*why = "unreadable return value";
		return -1;
	}
	if (t->n == MAX_CALLS) {
		*why = "too many calls";
		return -1;
	}
	t->call[t->n].request = req;
	t->call[t->n].ret = ret;
	t->n++;
	return 0;
}

/* Runs strace on the variant's program; its exit status. */
static int run_strace(FIXTURE_DATA(strace) *self,
		      const FIXTURE_VARIANT(strace) *variant)
{
	const char *argv[16] = {
		STRACE, "-f", "-qq", "-e", "trace=brk", "-o", self->out,
	};
	int i, n = 7, status = 0, fd;
	pid_t pid;

	for (i = 0; variant->argv[i]; i++)
		argv[n++] = variant->argv[i];
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		execv(STRACE, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F_TIMEOUT(strace, every_brk_strace_shows_is_in_the_history, 240)
{
	struct bwt_history *h = self->h;
	char line[512];
	const char *why = NULL;
	int i, j, k, lineno = 0, err;
	FILE *f;

	if (access(STRACE, X_OK))
		SKIP(return, "%s is not installed", STRACE);
	if (access(variant->argv[0], X_OK))
		SKIP(return, "%s is not installed", variant->argv[0]);
	ASSERT_EQ(0, run_strace(self, variant)) {
		TH_LOG("strace ... %s failed (strace's messages are above)",
		       variant->argv[0]);
	}

	f = fopen(self->out, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (parse_line(self, line, &why))
			break;
	}
	fclose(f);
	ASSERT_EQ(NULL, why) {
		TH_LOG("%s line %d: %s: %s", self->out, lineno, why, line);
	}
	ASSERT_LT(0, self->nprocs) {
		TH_LOG("strace saw no brk() call of %s", variant->argv[0]);
	}

	for (i = 0; i < self->nprocs; i++) {
		struct traced *t = &self->procs[i];
		int first = 0, ncalls;

		EXPECT_FALSE(t->unfinished) {
			TH_LOG("pid %d: brk(%#lx) never finished", t->pid, t->pending);
		}
		err = bwt_history_wait(t->pid, h, 5000);
		ASSERT_EQ(0, err) {
			TH_LOG("strace shows %d brk() calls of pid %d; reading %s/%d: %s %s",
			       t->n, t->pid, BWT_PROC_DIR, t->pid, strerror(-err),
			       h->error);
		}
		EXPECT_EQ(0UL, h->dropped);
		/* the calls after the last exec */
		for (j = 0; j < h->nevents; j++)
			if (h->ev[j].exec)
				first = j + 1;
		ncalls = h->nevents - first;
		if (i == 0)
			EXPECT_STREQ(variant->comm, h->comm);
		TH_LOG("pid %d (%s): strace %d calls, brkwatch %d after exec",
		       t->pid, h->comm, t->n, ncalls);
		for (k = 0; k < t->n && k < ncalls; k++) {
			struct bwt_event *e = &h->ev[first + k];
			unsigned long before, after = t->call[k].ret;

			/* without an exec marker, the first call's break before is unknown to strace */
			if (k)
				before = t->call[k - 1].ret;
			else if (first)
				before = h->ev[first - 1].start_brk;
			else
				before = e->brk_before;
			EXPECT_TRUE(e->brk_before == before && e->brk_after == after &&
				    e->aligned_before == BWT_PAGE_ALIGN(before) &&
				    e->aligned_after == BWT_PAGE_ALIGN(after) &&
				    e->delta == (long)(BWT_PAGE_ALIGN(after) - BWT_PAGE_ALIGN(before))) {
				TH_LOG("pid %d call %d: strace's chain gives brk %#lx -> %#lx, aligned %#lx -> %#lx, delta %ld; brkwatch seq %lu: %#lx -> %#lx, %#lx -> %#lx, %ld",
				       t->pid, k + 1, before, after, BWT_PAGE_ALIGN(before),
				       BWT_PAGE_ALIGN(after),
				       (long)(BWT_PAGE_ALIGN(after) - BWT_PAGE_ALIGN(before)),
				       e->seq, e->brk_before, e->brk_after,
				       e->aligned_before, e->aligned_after, e->delta);
			}

			EXPECT_TRUE(e->request == t->call[k].request &&
				    (unsigned long)e->ret == t->call[k].ret) {
				TH_LOG("pid %d call %d: strace brk(%#lx) = %#lx, brkwatch seq %lu brk(%#lx) = %#lx",
				       t->pid, k + 1, t->call[k].request,
				       t->call[k].ret, e->seq, e->request, e->ret);
			}
			EXPECT_STREQ("x64", e->entry);
			EXPECT_STRNE("unknown", e->verdict) {
				TH_LOG("pid %d seq %lu: no verdict", t->pid, e->seq);
			}
		}
		EXPECT_EQ(t->n, ncalls) {
			TH_LOG("pid %d: strace saw %d brk() calls, brkwatch has %d after the last exec",
			       t->pid, t->n, ncalls);
		}
	}
}

TEST_HARNESS_MAIN

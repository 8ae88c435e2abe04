// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/brkwatch/<PID> grants exactly what /proc/<PID>/maps grants: for a
 * live process, every reader here gets from the history the answer it gets
 * from maps (the owner, other users, root, CAP_SYS_PTRACE alone, a process
 * made undumpable or given new ids after its last brk()); an exited one is
 * judged as it stood at exit; a file opened before a setuid exec shows
 * nothing of the program after it; a PID namespace sees nothing outside.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define NOBODY		65534
#define OTHER		1	/* daemon: a second unprivileged user */

/* A process under test and its orders: it waits on a pipe between steps. */
struct target {
	int pid;
	int go[2];		/* parent -> target: one byte per step */
	int ready[2];		/* target -> parent: one byte per step done */
};

enum { AS_ROOT, AS_NOBODY, AS_NOBODY_UNDUMPABLE, AS_ROOT_THEN_NOBODY };

static int become(int uid, bool dumpable)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0);
}

/* Nobody's ids with CAP_SYS_PTRACE alone, effective. */
static int become_nobody_ptracer(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) ||
	    setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	data[0].effective = 1u << CAP_SYS_PTRACE;
	data[0].permitted = 1u << CAP_SYS_PTRACE;
	return syscall(SYS_capset, &hdr, data);
}

static void step_wait(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void step_signal(int fd)
{
	char c = 1;

	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/*
 * The target: becomes who @how says, calls brk(), and for
 * AS_NOBODY_UNDUMPABLE turns undumpable, for AS_ROOT_THEN_NOBODY takes
 * nobody's ids (and is made dumpable again), both after its last brk().
 * Then it waits to be told to exit.
 */
static int target_start(struct target *t, int how)
{
	if (pipe(t->go) || pipe(t->ready))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid)
		return 0;
	if (how == AS_NOBODY || how == AS_NOBODY_UNDUMPABLE)
		if (become(NOBODY, true))
			_exit(10);
	bwt_brk(0);
	bwt_brk(bwt_brk(0) + 4096);
	if (how == AS_NOBODY_UNDUMPABLE && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		_exit(11);
	if (how == AS_ROOT_THEN_NOBODY && become(NOBODY, true))
		_exit(12);
	step_signal(t->ready[1]);
	step_wait(t->go[0]);
	_exit(0);
}

/* Tells the target to exit, and waits for it without reaping it. */
static int target_exit(struct target *t)
{
	int status = -1;

	step_signal(t->go[1]);
	if (bwt_wait_noreap(t->pid, &status))
		return -1;
	return status;
}

static void target_reap(struct target *t)
{
	bwt_reap(t->pid);
	close(t->go[0]);
	close(t->go[1]);
	close(t->ready[0]);
	close(t->ready[1]);
}

enum { READ_AS_ROOT, READ_AS_NOBODY, READ_AS_OTHER, READ_AS_PTRACER };

struct answers {
	int maps;		/* errno opening /proc/PID/maps, 0 if it opened */
	int history;		/* the same for /proc/brkwatch/PID */
};

static int open_errno(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* In a child that becomes @who: what maps and the history answer. */
static int ask(int pid, int who, struct answers *out)
{
	char maps[64], history[64];
	int status = -1, child;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	bwt_history_path(history, sizeof(history), pid);
	child = fork();
	if (child < 0)
		return -1;
	if (!child) {
		int err = 0;

		if (who == READ_AS_NOBODY)
			err = become(NOBODY, true);
		else if (who == READ_AS_OTHER)
			err = become(OTHER, true);
		else if (who == READ_AS_PTRACER)
			err = become_nobody_ptracer();
		if (err)
			_exit(20);
		out->maps = open_errno(maps);
		out->history = open_errno(history);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE(access) {
	struct target t;
	struct answers *a;
	struct bwt_history *h;
};

/*
 * A process set up as @how, read by @who: maps answers @want, and so must
 * the history; or, @exited, the history answers @want after the exit.
 */
FIXTURE_VARIANT(access) {
	int how;
	int who;
	int want;
	bool exited;
};

FIXTURE_VARIANT_ADD(access, owner_reads_its_dumpable_process) {
	.how = AS_NOBODY, .who = READ_AS_NOBODY, .want = 0,
};

FIXTURE_VARIANT_ADD(access, another_user_is_refused) {
	.how = AS_NOBODY, .who = READ_AS_OTHER, .want = EACCES,
};

FIXTURE_VARIANT_ADD(access, root_reads_anyone) {
	.how = AS_NOBODY_UNDUMPABLE, .who = READ_AS_ROOT, .want = 0,
};

FIXTURE_VARIANT_ADD(access, nobody_is_refused_root) {
	.how = AS_ROOT, .who = READ_AS_NOBODY, .want = EACCES,
};

FIXTURE_VARIANT_ADD(access, cap_sys_ptrace_alone_reads_root) {
	.how = AS_ROOT, .who = READ_AS_PTRACER, .want = 0,
};

/* prctl(PR_SET_DUMPABLE, 0) after the last brk(): its own user is refused. */
FIXTURE_VARIANT_ADD(access, undumpable_after_last_brk_is_refused_to_its_user) {
	.how = AS_NOBODY_UNDUMPABLE, .who = READ_AS_NOBODY, .want = EACCES,
};

/* New ids after the last brk(): the live ids decide, not the old ones. */
FIXTURE_VARIANT_ADD(access, new_ids_after_last_brk_let_their_user_in) {
	.how = AS_ROOT_THEN_NOBODY, .who = READ_AS_NOBODY, .want = 0,
};

FIXTURE_VARIANT_ADD(access, new_ids_after_last_brk_keep_others_out) {
	.how = AS_ROOT_THEN_NOBODY, .who = READ_AS_OTHER, .want = EACCES,
};

FIXTURE_VARIANT_ADD(access, exited_undumpable_stays_refused_to_its_user) {
	.how = AS_NOBODY_UNDUMPABLE, .who = READ_AS_NOBODY, .want = EACCES,
	.exited = true,
};

FIXTURE_VARIANT_ADD(access, exited_undumpable_is_read_by_root) {
	.how = AS_NOBODY_UNDUMPABLE, .who = READ_AS_ROOT, .want = 0,
	.exited = true,
};

FIXTURE_VARIANT_ADD(access, exited_dumpable_stays_readable_by_its_user) {
	.how = AS_NOBODY, .who = READ_AS_NOBODY, .want = 0, .exited = true,
};

FIXTURE_VARIANT_ADD(access, exited_stays_refused_to_another_user) {
	.how = AS_NOBODY, .who = READ_AS_OTHER, .want = EACCES, .exited = true,
};

FIXTURE_SETUP(access)
{
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to play other users");
	self->a = bwt_shared_alloc(sizeof(*self->a));
	self->h = bwt_zalloc(sizeof(*self->h));
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->h);
	self->t.pid = 0;
}

FIXTURE_TEARDOWN(access)
{
	if (self->t.pid > 0) {
		target_exit(&self->t);
		target_reap(&self->t);
	}
	if (self->h)
		bwt_free(self->h, sizeof(*self->h));
	if (self->a)
		bwt_free(self->a, sizeof(*self->a));
}

/* Starts a target as @how and waits until its history has a file. */
static int start_and_wait(struct target *t, struct bwt_history *h, int how)
{
	if (target_start(t, how))
		return -1;
	step_wait(t->ready[0]);
	return bwt_history_wait(t->pid, h, 3000);
}

/*
 * While the process runs, the history answers as maps does. Once it has
 * exited, maps has nothing left to refuse: the state at exit decides.
 */
TEST_F(access, answers)
{
	ASSERT_EQ(0, start_and_wait(&self->t, self->h, variant->how));
	if (variant->exited)
		ASSERT_EQ(0, target_exit(&self->t));
	ASSERT_EQ(0, ask(self->t.pid, variant->who, self->a));
	if (variant->exited) {
		EXPECT_EQ(variant->want, self->a->history)
			TH_LOG("the exited process's history: %s",
			       strerror(self->a->history));
		return;
	}
	EXPECT_EQ(variant->want, self->a->maps)
		TH_LOG("maps answered %s", strerror(self->a->maps));
	EXPECT_EQ(self->a->maps, self->a->history)
		TH_LOG("maps answered %s, the history %s",
		       strerror(self->a->maps), strerror(self->a->history));
}

/*
 * An fd opened before an exec, read after it. The process is nobody's; it
 * opens its own history, hands the fd to a reader of its own (nobody),
 * and execs PROGRAM. The reader reads once the program has exited.
 */
struct exec_run {
	int calls_before;	/* calls in the history when the fd was opened */
	size_t len;
	char text[1 << 16];
};

static int exec_with_fd_open(struct exec_run *run, const char *program,
			     char *const argv[], int *pid_out)
{
	int go[2], done[2], status = -1;
	struct pollfd pfd;
	pid_t pid, reader;
	char c;

	/* close-on-exec: only the reader, forked without exec, keeps them */
	if (pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct bwt_history *h = bwt_zalloc(sizeof(*h));
		char path[64];
		int fd, i;

		if (!h || become(NOBODY, true))
			_exit(30);
		bwt_brk(0);
		bwt_brk(bwt_brk(0) + 4096);
		/* its file appears once the module's worker made it */
		for (i = 0; i < 300 && bwt_history_read(getpid(), h); i++)
			bwt_sleep_ms(10);
		run->calls_before = h->ncalls;
		bwt_history_path(path, sizeof(path), getpid());
		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(31);
		reader = fork();
		if (reader < 0)
			_exit(32);
		if (!reader) {
			ssize_t n;

			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			while (run->len < sizeof(run->text) - 1 &&
			       (n = read(fd, run->text + run->len,
					 sizeof(run->text) - 1 - run->len)) > 0)
				run->len += n;
			if (write(done[1], "x", 1) != 1)
				_exit(1);
			_exit(0);
		}
		execv(program, argv);
		_exit(33);
	}
	close(go[0]);
	close(done[1]);
	*pid_out = pid;
	/* The program ran and exited (not reaped); now the reader reads. */
	if (bwt_wait_noreap(pid, &status) || write(go[1], "x", 1) != 1)
		return -1;
	close(go[1]);
	pfd.fd = done[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(done[0], &c, 1) != 1)
		return -1;
	close(done[0]);
	return 0;
}

static int count_lines(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int count = 0;
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, prefix, n))
			count++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return count;
}

TEST(setuid_exec_is_hidden_from_an_fd_opened_before)
{
	char *const argv[] = { "passwd", "-S", NULL };
	struct exec_run *run = bwt_shared_alloc(sizeof(*run));
	int pid = -1;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	ASSERT_NE(NULL, run);
	ASSERT_EQ(0, access("/usr/bin/passwd", X_OK));
	ASSERT_EQ(0, exec_with_fd_open(run, "/usr/bin/passwd", argv, &pid));
	ASSERT_LT(0U, run->len) TH_LOG("the reader read nothing");
	EXPECT_EQ(0, count_lines(run->text, "# exec "))
		TH_LOG("the setuid program's exec line was shown:\n%s", run->text);
	EXPECT_EQ(run->calls_before, count_lines(run->text, "") -
		  count_lines(run->text, "#"))
		TH_LOG("calls after the setuid exec were shown:\n%s", run->text);
	EXPECT_EQ(NULL, strstr(run->text, "# comm passwd"))
		TH_LOG("the header showed the setuid program:\n%s", run->text);
	bwt_reap(pid);
	bwt_free(run, sizeof(*run));
}

/* The control: an exec of a program its owner may read is shown. */
TEST(ordinary_exec_is_shown_to_an_fd_opened_before)
{
	char *const argv[] = { "true", NULL };
	struct exec_run *run = bwt_shared_alloc(sizeof(*run));
	int pid = -1;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	ASSERT_NE(NULL, run);
	ASSERT_EQ(0, exec_with_fd_open(run, "/bin/true", argv, &pid));
	ASSERT_LT(0U, run->len) TH_LOG("the reader read nothing");
	EXPECT_EQ(1, count_lines(run->text, "# exec "))
		TH_LOG("the exec line of /bin/true is missing:\n%s", run->text);
	EXPECT_LT(run->calls_before, count_lines(run->text, "") -
		  count_lines(run->text, "#"))
		TH_LOG("no call of /bin/true was shown:\n%s", run->text);
	bwt_reap(pid);
	bwt_free(run, sizeof(*run));
}

/*
 * In a new PID namespace with its own /proc, a process of the parent
 * namespace does not exist: its history is ENOENT, as its /proc dir is.
 */
TEST(pid_namespace_sees_nothing_outside)
{
	struct answers *a = bwt_shared_alloc(sizeof(*a));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	int status = -1, outside, child;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to make a PID namespace");
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, h);
	outside = getpid();
	bwt_brk(0);
	ASSERT_EQ(0, bwt_history_wait(outside, h, 3000));

	ASSERT_EQ(0, unshare(CLONE_NEWPID | CLONE_NEWNS));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char path[64];

		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("proc", "/proc", "proc", 0, NULL))
			_exit(40);
		snprintf(path, sizeof(path), "/proc/%d/maps", outside);
		a->maps = open_errno(path);
		bwt_history_path(path, sizeof(path), outside);
		a->history = open_errno(path);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("could not mount /proc");
	EXPECT_EQ(ENOENT, a->maps);
	EXPECT_EQ(ENOENT, a->history)
		TH_LOG("a history outside the namespace: %s", strerror(a->history));
	bwt_free(h, sizeof(*h));
	bwt_free(a, sizeof(*a));
}

/*
 * In a new PID namespace with its own /proc, a process sees its own
 * history under its own numbers: the file (still named by the initial
 * namespace's pid) says "# pid 1", "# ppid 0" (its parent is outside),
 * and its threads' calls carry the thread ids of the namespace; and the
 * reader run there finds the history of the program it ran.
 */
struct nsview {
	volatile int thread_called, stop;
	int thread_tid;		/* in the namespace */
	int found;		/* files saying "# pid 1" */
	unsigned long name;	/* the name of that file */
	int pid, ppid;
	int main_tid, other_tid;	/* of the two calls */
	int reader_status;
	bool reader_true;	/* its JSON names the program it ran */
	int stacks_status;	/* the same with --stacks */
	bool stacks_shown;	/* its JSON has a call's stack */
	char why[128];
	char reader[4096];	/* userspace/brkwatch, found outside */
};

static int ns_thread(void *arg)
{
	struct nsview *v = arg;

	v->thread_tid = (int)syscall(SYS_gettid);
	bwt_brk(0);
	__atomic_store_n(&v->thread_called, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&v->stop, __ATOMIC_SEQ_CST))
		sched_yield();
	return 0;
}

static int ns_look(struct nsview *v, struct bwt_history *h, char *text)
{
	char path[300];
	struct bwt_output o;
	struct dirent *d;
	void *stack = bwt_zalloc(1 << 16);
	DIR *dir;
	int i;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL))
		return snprintf(v->why, sizeof(v->why), "mount /proc: %m"), 1;
	bwt_brk(0);
	if (!stack || clone(ns_thread, (char *)stack + (1 << 16),
			    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			    CLONE_THREAD | CLONE_SYSVSEM, v) < 0)
		return snprintf(v->why, sizeof(v->why), "clone: %m"), 1;
	while (!__atomic_load_n(&v->thread_called, __ATOMIC_SEQ_CST))
		sched_yield();
	dir = opendir(BWT_PROC_DIR);
	if (!dir)
		return snprintf(v->why, sizeof(v->why), "%s: %m", BWT_PROC_DIR), 1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", BWT_PROC_DIR, d->d_name);
		if (bwt_read_file(path, text, BWT_FILE_MAX) <= 0 ||
		    bwt_parse_history(text, h) || h->pid != getpid())
			continue;
		v->found++;
		v->name = strtoul(d->d_name, NULL, 10);
		v->pid = h->pid;
		v->ppid = h->ppid;
		for (i = 0; i < h->nevents; i++)
			if (h->ev[i].tid == getpid())
				v->main_tid = h->ev[i].tid;
			else
				v->other_tid = h->ev[i].tid;
	}
	closedir(dir);
	__atomic_store_n(&v->stop, 1, __ATOMIC_SEQ_CST);

	{
		char *argv[] = { v->reader, "run", "-o", "-", "--json", "--", "/bin/true", NULL };

		if (bwt_spawn(argv, NULL, NULL, &o))
			return snprintf(v->why, sizeof(v->why), "spawn: %m"), 1;
	}
	v->reader_status = o.status;
	v->reader_true = strstr(o.out, "\"comm\": \"true\"") != NULL;
	if (o.status)
		snprintf(v->why, sizeof(v->why), "%.120s", o.err);
	bwt_output_free(&o);
	/* "stacks PID" takes the pid the writer knows */
	{
		char *argv[] = { v->reader, "run", "-o", "-", "--json", "--stacks", "--",
				 "/bin/true", NULL };

		if (bwt_spawn(argv, NULL, NULL, &o))
			return snprintf(v->why, sizeof(v->why), "spawn: %m"), 1;
	}
	v->stacks_status = o.status;
	v->stacks_shown = strstr(o.out, "\"stack\": [") != NULL;
	if (o.status)
		snprintf(v->why, sizeof(v->why), "%.120s", o.err);
	bwt_output_free(&o);
	return 0;
}

TEST(pid_namespace_sees_its_own_under_its_numbers)
{
	struct nsview *v = bwt_shared_alloc(sizeof(*v));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	char *text = bwt_zalloc(BWT_FILE_MAX);
	int status = -1, child;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to make a PID namespace");
	ASSERT_NE(NULL, v);
	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, bwt_checkout_path("userspace/brkwatch", v->reader,
				       sizeof(v->reader)));
	ASSERT_EQ(0, access(v->reader, X_OK))
		TH_LOG("the reader is not built (make -C userspace)");
	ASSERT_EQ(0, unshare(CLONE_NEWPID));
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(unshare(CLONE_NEWNS) ? 2 : ns_look(v, h, text));
	ASSERT_EQ(0, bwt_wait_noreap(child, &status));
	ASSERT_EQ(0, status) TH_LOG("in the namespace: %s", v->why);

	/* inside: one file says "# pid 1", the one named by the outer pid */
	EXPECT_EQ(1, v->found);
	EXPECT_EQ((unsigned long)child, v->name);
	EXPECT_EQ(1, v->pid);
	EXPECT_EQ(0, v->ppid) TH_LOG("the parent is outside the namespace");
	EXPECT_EQ(1, v->main_tid);
	EXPECT_EQ(v->thread_tid, v->other_tid)
		TH_LOG("the thread's call under tid %d, not its %d of the namespace",
		       v->other_tid, v->thread_tid);
	EXPECT_EQ(0, v->reader_status) TH_LOG("brkwatch run in the namespace: %s", v->why);
	EXPECT_TRUE(v->reader_true) TH_LOG("brkwatch run did not show /bin/true's history");
	EXPECT_EQ(0, v->stacks_status)
		TH_LOG("brkwatch run --stacks in the namespace: %s", v->why);
	EXPECT_TRUE(v->stacks_shown) TH_LOG("brkwatch run --stacks showed no stack");

	/* outside: the same history under the initial namespace's numbers */
	ASSERT_EQ(0, bwt_history_read(child, h));
	EXPECT_EQ(child, h->pid);
	EXPECT_EQ(getpid(), h->ppid);
	bwt_reap(child);
	bwt_free(text, BWT_FILE_MAX);
	bwt_free(h, sizeof(*h));
	bwt_free(v, sizeof(*v));
}

TEST_HARNESS_MAIN

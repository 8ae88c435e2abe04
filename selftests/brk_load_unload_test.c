// SPDX-License-Identifier: GPL-2.0
/*
 * brk_load_unload_test: 50 unload/load cycles of the module (root) while
 * 4 processes call brk() in loops and 2 readers read every file of
 * /proc/brkwatch in loops; on a kernel too slow for 50 in the time budget
 * (the debug and -rt kernels), as many as fit, at least 10.
 *
 * Every unload and load must succeed; the loopers and readers work during
 * the cycles (counted), the readers meet the module's absence (ENOENT or
 * EIO) and may find nothing else; a fifth process, whose every grow
 * do_brk_flags() refuses, has each call since the load recorded as that
 * refusal or as "unknown" (a call made while the probes were still going
 * in), never as another refusal, and its last call after the last load
 * "nomem";
 * the kernel must not get tainted by a warning, oops or lockup (and
 * scripts/vm.sh checks the whole kernel log after the run). At the end the
 * module is loaded with its default parameters and records calls again.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define CYCLES		50
/*
 * 50 cycles took 125 s on 6.1 and 150 to 200 s on 6.12-rt alone on the
 * host, over 300 s there with other VMs beside it. On the debug kernel
 * (KASAN, lockdep, kmemleak, ODEBUG) every load and unload does the same
 * work several times slower, and 50 cycles outlast any bound that still
 * catches a hang elsewhere. Since the lock point became an optimized
 * kprobe, each unload on an -rt kernel also waits for it to be
 * un-optimized: 50 cycles took 266 s on 6.12-rt. So the cycles have a time
 * budget, the share of make check's 60 minutes this test can have on each
 * of seven kernels: after MIN_CYCLES, the test stops before a cycle that,
 * at the mean pace so far, would end past BUDGET_S, and says how many it
 * ran. MIN_CYCLES always run: a kernel that cannot do them within the
 * test's 600 s fails.
 */
#define MIN_CYCLES	10
#define BUDGET_S	150
#define LOOPERS		4
#define READERS		2

struct reader_stats {
	unsigned long files;		/* files read to the end */
	unsigned long enoent;
	unsigned long eio;
	unsigned long other;		/* any other error */
	int other_errno;
	char other_path[64];
};

struct shared {
	struct reader_stats r[READERS];
	unsigned long loops[LOOPERS];
	unsigned long refusals;
	int refuser_err;	/* errno of its setup, if it failed */
};

static void note_error(struct reader_stats *s, const char *path, int err)
{
	if (err == ENOENT) {
		s->enoent++;
	} else if (err == EIO) {
		s->eio++;
	} else {
		s->other++;
		s->other_errno = err;
		bwt_copy(s->other_path, sizeof(s->other_path), path);
	}
}

static void read_one(struct reader_stats *s, const char *path)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		note_error(s, path, errno);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		note_error(s, path, errno);
	else
		s->files++;
	close(fd);
}

/* Reads status and every file in /proc/brkwatch, forever. */
static void reader(struct reader_stats *s)
{
	static char dents[32768];
	char path[300];
	long n, off;
	int dfd;

	bwt_die_with_parent();
	for (;;) {
		read_one(s, BWT_PROC_DIR "/status");
		dfd = open(BWT_PROC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			note_error(s, BWT_PROC_DIR, errno);
			continue;
		}
		while ((n = syscall(SYS_getdents64, dfd, dents, sizeof(dents))) > 0) {
			for (off = 0; off < n;) {
				struct bwt_dirent64 *d = (void *)(dents + off);

				off += d->d_reclen;
				if (d->d_name[0] == '.')
					continue;
				memcpy(path, BWT_PROC_DIR "/", sizeof(BWT_PROC_DIR));
				bwt_copy(path + sizeof(BWT_PROC_DIR), sizeof(path) - sizeof(BWT_PROC_DIR),
					 d->d_name);
				read_one(s, path);
			}
		}
		if (n < 0)
			note_error(s, BWT_PROC_DIR, errno);
		close(dfd);
	}
}

/* Is the module being loaded: its init running, its probes going in? */
static bool module_coming(void)
{
	char state[16];

	return bwt_read_file("/sys/module/brkwatch/initstate", state,
			     sizeof(state)) > 0 && !strncmp(state, "coming", 6);
}

/*
 * Grows that do_brk_flags() refuses, forever: RLIMIT_AS just above the
 * process's size leaves no room for 64 pages (may_expand_vm(), -ENOMEM).
 * As fast as it can while the module is being loaded, so that some call
 * is under way as each probe goes in; else one call a millisecond, so
 * that those calls are still in the ring (1024 records) when read.
 */
static void refuser(struct shared *sh)
{
	unsigned long cur = bwt_brk(0);
	long vm = bwt_status_bytes("VmSize");
	struct rlimit rl;

	bwt_die_with_parent();
	if (vm <= 0 || getrlimit(RLIMIT_AS, &rl)) {
		sh->refuser_err = vm < 0 ? (int)-vm : errno;
		return;
	}
	rl.rlim_cur = vm + BWT_PAGE;
	if (setrlimit(RLIMIT_AS, &rl)) {
		sh->refuser_err = errno;
		return;
	}
	for (;;) {
		bwt_brk(cur + 64 * BWT_PAGE);
		sh->refusals++;
		if (!module_coming())
			usleep(1000);
	}
}

/*
 * The refuser's calls in the history the module has kept since it was
 * loaded: brk(0), then grows refused for lack of memory, each "nomem" or
 * "unknown". 0, or the number of the first other record (from 1), or
 * -errno of reading the history.
 */
static int refusals_bad(int pid, struct bwt_history *h, int *unknown)
{
	int i, err = bwt_history_wait(pid, h, 3000);

	if (err)
		return err;
	for (i = 0; i < h->nevents; i++) {
		const struct bwt_event *e = &h->ev[i];

		if (e->exec)
			continue;
		if (!strcmp(e->verdict, "unknown"))
			(*unknown)++;
		else if (strcmp(e->verdict, e->request ? "nomem" : "query"))
			return i + 1;
	}
	return 0;
}

/* "brk_load_unload_test: cycle N" in the kernel log, to place trouble. */
static void kmsg_cycle(int n)
{
	char msg[64] = "brk_load_unload_test: cycle ";
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	size_t len = strlen(msg);

	if (fd < 0)
		return;
	len += bwt_utoa(msg + len, (unsigned long)n);
	msg[len++] = '\n';
	if (write(fd, msg, len) != (ssize_t)len)
		len = 0;	/* only a hint: nothing to do */
	close(fd);
}

/* What the children did so far: looper rounds, files read, absences met. */
static unsigned long done_loops(const struct shared *sh)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < LOOPERS; i++)
		n += sh->loops[i];
	return n;
}

static unsigned long done_files(const struct shared *sh)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < READERS; i++)
		n += sh->r[i].files;
	return n;
}

static unsigned long done_gone(const struct shared *sh)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < READERS; i++)
		n += sh->r[i].enoent + sh->r[i].eio;
	return n;
}

/* Waits up to ms for count(sh) to pass old; true if it did. */
static bool wait_more(unsigned long (*count)(const struct shared *),
		      const struct shared *sh, unsigned long old, unsigned int ms)
{
	unsigned long end = bwt_now_ns() + ms * 1000000UL;

	while (count(sh) <= old) {
		if (bwt_now_ns() >= end)
			return false;
		bwt_sleep_ms(1);
	}
	return true;
}

static int one_call(void *arg)
{
	(void)arg;
	bwt_brk(0);
	return 0;
}

FIXTURE(stress) {
	pid_t kids[LOOPERS + READERS + 1];
	int nkids;
	struct shared *sh;
};

FIXTURE_SETUP(stress)
{
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	self->sh = bwt_shared_alloc(sizeof(*self->sh));
	ASSERT_NE(NULL, self->sh);
}

/* Stops the children, and leaves the module loaded with its defaults. */
FIXTURE_TEARDOWN(stress)
{
	int err;

	bwt_kill_wait(self->kids, self->nkids);
	err = bwt_module_load_again();
	if (err)
		TH_LOG("could not load brkwatch again: %s", strerror(-err));
	EXPECT_EQ(0, err);
}

/* The bound is 600 s, inside selftests/settings' 660 s for the program. */
TEST_F_TIMEOUT(stress, unload_and_load_cycles_under_calls_and_reads, 600)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	unsigned long taint0, taint1, per, cap, t0, ms, files0, loops0, gone0;
	int i, j, err, pid, status = -1, cycles, refuser_pid, bad, unknown = 0;

	if (geteuid() != 0)
		SKIP(return, "loading and unloading the module needs root");
	ASSERT_NE(NULL, h);
	taint0 = bwt_tainted();

	for (i = 0; i < LOOPERS + READERS; i++) {
		pid = fork();
		ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
		if (!pid) {
			if (i < LOOPERS)
				bwt_looper(3 * BWT_PAGE, 0, &self->sh->loops[i]);
			else
				reader(&self->sh->r[i - LOOPERS]);
			_exit(0);
		}
		self->kids[self->nkids++] = pid;
	}
	refuser_pid = fork();
	ASSERT_LE(0, refuser_pid) TH_LOG("fork: %s", strerror(errno));
	if (!refuser_pid) {
		refuser(self->sh);
		_exit(0);
	}
	self->kids[self->nkids++] = refuser_pid;
	/* every child at work before the first cycle */
	t0 = bwt_now_ns();
	for (j = 0; j < LOOPERS + READERS; j++) {
		const unsigned long *n = j < LOOPERS ? &self->sh->loops[j] :
					 &self->sh->r[j - LOOPERS].files;

		while (!*n && bwt_now_ns() - t0 < 10000 * 1000000UL)
			bwt_sleep_ms(1);
		ASSERT_LT(0UL, *n)
			TH_LOG("%s %d did nothing in 10 s", j < LOOPERS ? "looper" : "reader",
			       j < LOOPERS ? j + 1 : j - LOOPERS + 1);
	}
	loops0 = done_loops(self->sh);
	files0 = done_files(self->sh);
	gone0 = done_gone(self->sh);

	t0 = bwt_now_ns();
	for (i = 0; i < CYCLES; i++) {
		/* i cycles done: would one more end past the budget? */
		ms = (bwt_now_ns() - t0) / 1000000;
		if (i >= MIN_CYCLES && ms + ms / i > BUDGET_S * 1000UL)
			break;
		kmsg_cycle(i + 1);
		err = bwt_module_unload(10000);
		ASSERT_EQ(0, err) TH_LOG("cycle %d: unloading: %s", i + 1, strerror(-err));
		ASSERT_FALSE(bwt_module_loaded()) TH_LOG("cycle %d: still loaded", i + 1);
		/* the loopers run without it too, the readers find it gone */
		if (i % 2) {
			wait_more(done_gone, self->sh, done_gone(self->sh), 1000);
			wait_more(done_loops, self->sh, done_loops(self->sh), 1000);
		}
		err = bwt_module_load("");
		ASSERT_EQ(0, err) TH_LOG("cycle %d: loading: %s", i + 1, strerror(-err));
		bad = refusals_bad(refuser_pid, h, &unknown);
		ASSERT_EQ(0, self->sh->refuser_err)
			TH_LOG("the refuser's RLIMIT_AS: %s", strerror(self->sh->refuser_err));
		ASSERT_LE(0, bad) TH_LOG("cycle %d: the refuser's history: %s %s",
					 i + 1, strerror(-bad), h->error);
		ASSERT_EQ(0, bad) {
			const struct bwt_event *e = &h->ev[bad - 1];

			TH_LOG("cycle %d: the refuser's call %lu, brk(%#lx) = %#lx, recorded %s (%s), not nomem",
			       i + 1, e->seq, e->request, (unsigned long)e->ret, e->verdict,
			       e->details);
		}
		/* histories and files get made, and read */
		if (i % 3 == 0)
			wait_more(done_files, self->sh, done_files(self->sh), 1000);
	}
	ms = (bwt_now_ns() - t0) / 1000000;
	cycles = i;
	if (cycles < CYCLES)
		TH_LOG("%d of %d cycles, %lu ms each: one more would end past %d s",
		       cycles, CYCLES, ms / cycles, BUDGET_S);

	for (i = 0; i < READERS; i++) {
		const struct reader_stats *s = &self->sh->r[i];

		TH_LOG("reader %d: %lu files read, %lu ENOENT, %lu EIO, %lu other",
		       i + 1, s->files, s->enoent, s->eio, s->other);
		EXPECT_EQ(0UL, s->other)
			TH_LOG("reader %d: %s while reading %s, expected only ENOENT or EIO",
			       i + 1, strerror(s->other_errno), s->other_path);
	}
	TH_LOG("%d cycles in %lu ms; during them %lu looper rounds of 3 calls, %lu files read, %lu absences met",
	       cycles, ms, done_loops(self->sh) - loops0, done_files(self->sh) - files0,
	       done_gone(self->sh) - gone0);
	TH_LOG("the refuser: %lu grows refused, of those read after each load %d recorded unknown, the rest nomem",
	       self->sh->refusals, unknown);
	/* once the last load is done, its calls are decided again */
	bwt_sleep_ms(50);
	j = 0;
	bad = refusals_bad(refuser_pid, h, &j);
	ASSERT_EQ(0, bad);
	ASSERT_LT(0, h->nevents);
	EXPECT_STREQ("nomem", h->ev[h->nevents - 1].verdict);
	/* the children worked during the cycles, and met the module's absence */
	EXPECT_LT(loops0, done_loops(self->sh));
	EXPECT_LT(files0, done_files(self->sh));
	EXPECT_LT(gone0, done_gone(self->sh))
		TH_LOG("no reader met the module's absence (ENOENT or EIO) in %d cycles", cycles);

	/* the kernel is fine, the module works with its defaults */
	taint1 = bwt_tainted();
	EXPECT_EQ(taint0 & BWT_BAD_TAINT, taint1 & BWT_BAD_TAINT)
		TH_LOG("the kernel got tainted: %#lx -> %#lx", taint0, taint1);
	ASSERT_EQ(0, bwt_status_get("records_per_process", &per));
	EXPECT_EQ(1024UL, per);
	ASSERT_EQ(0, bwt_status_get("memory_cap_bytes", &cap));
	EXPECT_EQ(65536UL * 1024, cap);
	pid = bwt_run_child(one_call, NULL, &status);
	ASSERT_LT(0, pid);
	err = bwt_history_wait(pid, h, 3000);
	EXPECT_EQ(0, err) TH_LOG("no history after the cycles: %s %s",
				 strerror(-err), h->error);
	EXPECT_EQ(1, h->ncalls);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
}

TEST_HARNESS_MAIN

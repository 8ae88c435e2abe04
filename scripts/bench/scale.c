// SPDX-License-Identifier: GPL-2.0
/*
 * The grow/shrink loop of growshrink.c, measured with NPROC tracked
 * processes, for each NPROC given, in increasing order.
 *
 * The processes tracked besides this one are made by a helper, forked for
 * each step (so that they share the helper's memory, not ours: our
 * munmap()s must not have to reach CPUs where they ran). The helper's
 * children call brk(0) and exit; each shares the helper's memory
 * (CLONE_VM | CLONE_VFORK: no copy, so ten thousand of them take seconds,
 * not minutes) and is a process of its own (no CLONE_THREAD: its own pid,
 * hence its own history). They are reaped at once: ten thousand live
 * processes would not fit in the guest's memory, and brkwatch keeps an
 * exited process's history, in the same table as the running ones', for
 * exited_keep_seconds (600 s).
 * This process calls brk() before any child, so its history is the oldest:
 * the worst case for a lookup structure that puts new entries first.
 *
 * With brkwatch loaded, "tracked" is processes_running + processes_exited
 * from /proc/brkwatch/status, and children are added until it reaches
 * NPROC (a child whose history could not be made, e.g. while the module's
 * pools were being refilled, does not count). Without it, it is 1 + the
 * children made.
 *
 * Usage: scale ITERATIONS NPROC... (env SETTLE_MS, default 2000: the pause
 * before each measurement, for the module's worker to catch up)
 * Prints one result line per NPROC, with tracked=N and spawned=N, and
 * brkwatch's memory_bytes and records_stored before the loop (mem=, recs=).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "bench.h"

static char child_stack[16384] __attribute__((aligned(16)));

static int child(void *arg)
{
	(void)arg;
	syscall(SYS_brk, 0L);
	return 0;
}

/* From /proc/brkwatch/status: -1 without brkwatch */
static long status_sum(const char *key1, const char *key2)
{
	FILE *f = fopen("/proc/brkwatch/status", "r");
	char line[256], fmt1[64], fmt2[64];
	long sum = 0, v;

	if (!f)
		return -1;
	snprintf(fmt1, sizeof(fmt1), "%s: %%ld", key1);
	snprintf(fmt2, sizeof(fmt2), "%s: %%ld", key2 ? key2 : key1);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, fmt1, &v) == 1 ||
		    (key2 && sscanf(line, fmt2, &v) == 1))
			sum += v;
	}
	fclose(f);
	return sum;
}

static long tracked_by_brkwatch(void)
{
	return status_sum("processes_running", "processes_exited");
}

static int spawn_here(unsigned long count)
{
	unsigned long i;

	for (i = 1; i <= count; i++) {
		pid_t pid = clone(child, child_stack + sizeof(child_stack),
				  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

		if (pid < 0) {
			perror("clone");
			return -1;
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		/* brkwatch's pools are refilled by a worker: leave it time */
		if (i % 16 == 0)
			usleep(1000);
	}
	return 0;
}

/* In a helper process, whose memory the children share. */
static int spawn(unsigned long count)
{
	int status;
	pid_t helper = fork();

	if (helper < 0) {
		perror("fork");
		return -1;
	}
	if (helper == 0)
		_exit(spawn_here(count) ? 1 : 0);
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), spawned = 0;
	unsigned long settle = 2000;
	unsigned long long ns;
	char name[128];
	int a;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ITERATIONS NPROC...\n", argv[0]);
		return 2;
	}
	if (getenv("SETTLE_MS"))
		settle = strtoul(getenv("SETTLE_MS"), NULL, 10);
	printf("%s", "");
	syscall(SYS_brk, 0L);		/* our history first */
	for (a = 2; a < argc; a++) {
		long want = strtol(argv[a], NULL, 10), have;
		int tries = 0;

		for (;;) {
			have = tracked_by_brkwatch();
			if (have < 0)
				have = 1 + spawned;
			if (have >= want || tries++ > 20)
				break;
			if (spawn(want - have))
				return 1;
			spawned += want - have;
		}
		usleep(settle * 1000);
		have = tracked_by_brkwatch();
		if (have < 0)
			have = 1 + spawned;
		ns = bench_growshrink(n);
		if (!ns)
			return 1;
		snprintf(name, sizeof(name), "scale tracked=%ld spawned=%lu mem=%ld recs=%ld",
			 have, spawned, status_sum("memory_bytes", NULL),
			 status_sum("records_stored", NULL));
		bench_report(name, n, ns, 2);
	}
	return 0;
}

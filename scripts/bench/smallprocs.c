// SPDX-License-Identifier: GPL-2.0
/*
 * COUNT short processes, one after the other, each making the first CALLS
 * (1 to 3) of the brk() calls a dynamically linked program starts with
 * when it allocates memory: the loader's brk(NULL), malloc's brk(NULL),
 * and malloc's first grow of 132 KiB. Then each exits: brkwatch keeps its
 * history, whose size the caller reads from /proc/brkwatch/status before
 * and after.
 *
 * Usage: smallprocs COUNT CALLS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void calls(unsigned long n)
{
	unsigned long start = syscall(SYS_brk, 0L);

	if (n >= 2)
		syscall(SYS_brk, 0L);
	if (n >= 3)
		syscall(SYS_brk, start + (132 << 10));
}

int main(int argc, char **argv)
{
	unsigned long count, n, i;
	int status;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT CALLS\n", argv[0]);
		return 2;
	}
	count = strtoul(argv[1], NULL, 0);
	n = strtoul(argv[2], NULL, 0);
	if (!count || !n || n > 3) {
		fprintf(stderr, "%s: COUNT must be positive, CALLS 1 to 3\n", argv[0]);
		return 2;
	}
	for (i = 0; i < count; i++) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid) {
			calls(n);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				perror("waitpid");
				return 1;
			}
		/* brkwatch's pools are refilled by a worker: leave it time */
		if (i % 16 == 15)
			usleep(1000);
	}
	return 0;
}

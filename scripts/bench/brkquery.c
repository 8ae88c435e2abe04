// SPDX-License-Identifier: GPL-2.0
/*
 * brk(0) query loop: the raw system call (glibc's sbrk(0) answers from a
 * cached value without entering the kernel).
 * Usage: brkquery [ITERATIONS]
 */
#include <unistd.h>
#include <sys/syscall.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i;
	unsigned long long t0, t1;

	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if (syscall(SYS_brk, 0L) == -1) {
			perror("brk");
			return 1;
		}
	}
	t1 = bench_now();
	bench_report("brkquery", n, t1 - t0, 1);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * A loop of clock_gettime(CLOCK_MONOTONIC) through the system call (not
 * the vDSO): the kernel's ktime_get_ns() plus a system call's cost. Set
 * against the getppid loop it gives the cost of reading the clocksource,
 * which brkwatch does twice per brk() call (for the profile only).
 * Usage: clock [ITERATIONS]
 */
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i;
	unsigned long long t0, t1, sum = 0;
	struct timespec ts;

	t0 = bench_cpu_now();
	for (i = 0; i < n; i++) {
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		sum += ts.tv_nsec;
	}
	t1 = bench_cpu_now();
	if (sum == 1)
		return 1;
	bench_report("clock", n, t1 - t0, 1);
	return 0;
}

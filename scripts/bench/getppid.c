// SPDX-License-Identifier: GPL-2.0
/*
 * A loop of a system call that is not brk(): getppid(), through syscall()
 * so that no library can answer it from a cache.
 * Usage: getppid [ITERATIONS]
 */
#include <unistd.h>
#include <sys/syscall.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i;
	unsigned long long t0, t1;
	long sum = 0;

	t0 = bench_cpu_now();
	for (i = 0; i < n; i++)
		sum += syscall(SYS_getppid);
	t1 = bench_cpu_now();
	if (sum <= 0)
		return 1;
	bench_report("getppid", n, t1 - t0, 1);
	return 0;
}

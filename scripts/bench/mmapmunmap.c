// SPDX-License-Identifier: GPL-2.0
/*
 * A loop of mmap() then munmap() of one anonymous page, never touched:
 * two system calls that take the mmap lock for writing, neither brk().
 * Usage: mmapmunmap [ITERATIONS]
 */
#include <stdio.h>
#include <sys/mman.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i;
	unsigned long long t0, t1;

	t0 = bench_cpu_now();
	for (i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p, 4096)) {
			perror("mmap/munmap");
			return 1;
		}
	}
	t1 = bench_cpu_now();
	bench_report("mmapmunmap", n, t1 - t0, 2);
	return 0;
}

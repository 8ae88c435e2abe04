// SPDX-License-Identifier: GPL-2.0
/*
 * A loop of mprotect() on one page, read-only then read-write: a system
 * call that takes the mmap lock for writing, as brk() does, without being
 * brk(). Counted per mprotect() call.
 * Usage: mprotect [ITERATIONS]
 */
#include <stdio.h>
#include <sys/mman.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i;
	unsigned long long t0, t1;
	char *page;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	page[0] = 1;
	t0 = bench_cpu_now();
	for (i = 0; i < n; i++) {
		if (mprotect(page, 4096, i & 1 ? PROT_READ | PROT_WRITE :
				    PROT_READ)) {
			perror("mprotect");
			return 1;
		}
	}
	t1 = bench_cpu_now();
	bench_report("mprotect", n, t1 - t0, 1);
	return 0;
}

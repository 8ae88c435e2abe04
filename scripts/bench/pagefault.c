// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults on fresh anonymous memory: map 256 pages, write one byte to
 * each (a fault that allocates a zeroed page), unmap, again. Counted per
 * page touched; the mmap() and munmap() add one pair per 256 pages.
 * Usage: pagefault [ITERATIONS]   (pages, rounded up to a multiple of 256)
 */
#include <stdio.h>
#include <sys/mman.h>
#include "bench.h"

#define BLOCK_PAGES 256

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i, j;
	unsigned long blocks = (n + BLOCK_PAGES - 1) / BLOCK_PAGES;
	unsigned long long t0, t1;

	t0 = bench_cpu_now();
	for (i = 0; i < blocks; i++) {
		volatile char *p = mmap(NULL, BLOCK_PAGES * 4096UL,
					PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (j = 0; j < BLOCK_PAGES; j++)
			p[j * 4096] = 1;
		if (munmap((void *)p, BLOCK_PAGES * 4096UL)) {
			perror("munmap");
			return 1;
		}
	}
	t1 = bench_cpu_now();
	bench_report("pagefault", blocks * BLOCK_PAGES, t1 - t0, 0);
	return 0;
}

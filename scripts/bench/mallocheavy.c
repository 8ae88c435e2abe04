// SPDX-License-Identifier: GPL-2.0
/*
 * malloc-heavy: each iteration allocates 64 blocks of 2-8 KiB (about
 * 320 KiB in all: too large for the tcache, below the mmap threshold, so
 * from the brk heap), writes them, and frees them newest first. glibc
 * grows the heap with brk() while allocating (by the request plus
 * M_TOP_PAD, 128 KiB) and trims it with brk() when the free top passes
 * M_TRIM_THRESHOLD (128 KiB): a few brk() calls per iteration, and page
 * faults on the pages mapped again each time.
 * Usage: mallocheavy [ITERATIONS]
 */
#include <string.h>
#include <stdlib.h>
#include <malloc.h>
#include "bench.h"

#define BLOCKS 64

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 1000), i;
	unsigned long long t0, t1;
	static char *p[BLOCKS];
	unsigned long sum = 0;
	int j;

	/* The default, but fixed: no dynamic mmap threshold. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		for (j = 0; j < BLOCKS; j++) {
			size_t size = 1024 * (2 + (j + i) % 7);

			p[j] = malloc(size);
			if (!p[j])
				return 1;
			memset(p[j], j, size);
		}
		for (j = BLOCKS - 1; j >= 0; j--) {
			sum += (unsigned char)p[j][0];
			free(p[j]);
		}
	}
	t1 = bench_now();
	if (sum == 1)
		return 1;
	bench_report("mallocheavy", n, t1 - t0, 0);
	return 0;
}

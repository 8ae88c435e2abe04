// SPDX-License-Identifier: GPL-2.0
/*
 * brk grow/shrink loop: sbrk(+4096) then sbrk(-4096), N times. Each is one
 * brk() call that maps, then unmaps, one page at the top of the heap.
 * Usage: growshrink [ITERATIONS]
 */
#include <stdint.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000), i;
	unsigned long long t0, t1;

	/* stdio's buffer first, so that printf cannot move the break later */
	printf("%s", "");
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if (sbrk(4096) == (void *)-1 || sbrk(-4096) == (void *)-1) {
			perror("sbrk");
			return 1;
		}
	}
	t1 = bench_now();
	bench_report("growshrink", n, t1 - t0, 2);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * brk grow/shrink loop: sbrk(+4096) then sbrk(-4096), N times. Each is one
 * brk() call that maps, then unmaps, one page at the top of the heap.
 * Usage: growshrink [ITERATIONS]
 */
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long n = bench_iters(argc, argv, 10000);
	unsigned long long ns;

	/* stdio's buffer first, so that printf cannot move the break later */
	printf("%s", "");
	ns = bench_growshrink(n);
	if (!ns)
		return 1;
	bench_report("growshrink", n, ns, 2);
	return 0;
}

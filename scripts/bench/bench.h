/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the benchmark workloads (scripts/bench/): the iteration
 * count from argv and one result line, "name=... iters=N ns_per_iter=X
 * calls_per_iter=C", with the time taken by clock_gettime() around the loop
 * alone, so that whatever a tracer does at start-up is not counted: the
 * time that passed (bench_now()) for the brk() callers, which counts what
 * a tracer's own process does for each call (strace's, say), with no other
 * process calling brk() but under perf (scripts/bench-guest.sh); the
 * thread's own CPU time (bench_cpu_now()) for the workloads that never
 * call brk(), measured while another process does (brkticker.c): on a
 * guest with one vCPU that process runs on the same CPU, and its calls are
 * not theirs.
 */
#ifndef BRKWATCH_BENCH_H
#define BRKWATCH_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline unsigned long bench_iters(int argc, char **argv,
					unsigned long dflt)
{
	char *end;
	unsigned long n;

	if (argc < 2)
		return dflt;
	n = strtoul(argv[1], &end, 10);
	if (*end || n == 0) {
		fprintf(stderr, "%s: ITERATIONS must be a positive number\n",
			argv[0]);
		exit(2);
	}
	return n;
}

static inline unsigned long long bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline unsigned long long bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The grow/shrink loop: sbrk(+4096) then sbrk(-4096), @n times, each one
 * brk() call mapping, then unmapping, a page at the top of the heap.
 * Returns the nanoseconds it took, or 0 (after perror()) if sbrk() failed.
 */
static inline unsigned long long bench_growshrink(unsigned long n)
{
	unsigned long long t0 = bench_now();
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (sbrk(4096) == (void *)-1 || sbrk(-4096) == (void *)-1) {
			perror("sbrk");
			return 0;
		}
	}
	return bench_now() - t0;
}

/* calls_per_iter: system calls per iteration, 0 when not fixed. */
static inline void bench_report(const char *name, unsigned long iters,
				unsigned long long ns, unsigned int calls)
{
	printf("name=%s iters=%lu ns_total=%llu ns_per_iter=%.1f calls_per_iter=%u\n",
	       name, iters, ns, (double)ns / iters, calls);
	fflush(stdout);
}

#endif

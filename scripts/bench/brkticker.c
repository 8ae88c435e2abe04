// SPDX-License-Identifier: GPL-2.0
/*
 * Another process that calls brk() while a workload that never does runs:
 * one page grown and shrunk back every millisecond, until killed, so that
 * brkwatch is recording while the cost on everyone else is measured.
 * Usage: brkticker
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	const struct timespec ms = { .tv_nsec = 1000000 };

	for (;;) {
		if (sbrk(4096) == (void *)-1 || sbrk(-4096) == (void *)-1) {
			perror("sbrk");
			return 1;
		}
		nanosleep(&ms, NULL);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * brk_stacks_prog: a program whose heap glibc's malloc() grows from two
 * functions of its own, parse_config() and load_table(), for the call
 * stacks of brk_reader_test. Built -O0 -g without frame pointers, as
 * Debian builds its binaries; brk_stacks_prog.stripped is its stripped copy.
 */
#include <stdlib.h>
#include <string.h>

/* Under malloc's mmap threshold (128 KiB): from the heap, grown by brk(). */
#define CHUNK	(96 << 10)
#define EACH	4

void *parse_config(int i)
{
	char *p = malloc(CHUNK);

	if (p)
		memset(p, i, CHUNK);
	return p;
}

void *load_table(int i)
{
	char *p = malloc(CHUNK);

	if (p)
		memset(p, i, CHUNK);
	return p;
}

int main(void)
{
	void *keep[2 * EACH];
	int i;

	for (i = 0; i < EACH; i++)
		keep[i] = parse_config(i);
	for (i = 0; i < EACH; i++)
		keep[EACH + i] = load_table(i);
	for (i = 0; i < 2 * EACH; i++)
		if (!keep[i])
			return 1;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* make demo's program: one malloc(100), then its pid on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char *p = malloc(100);

	if (!p)
		return 1;
	p[99] = 1;
	printf("%d\n", (int)getpid());
	free(p);
	return 0;
}

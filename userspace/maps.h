/* SPDX-License-Identifier: GPL-2.0 */
/* The text of /proc/PID/maps: which mapping lies above an address. Pure. */
#ifndef BWR_MAPS_H
#define BWR_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bwr_mapping {
	uint64_t start, end;
	char name[128];		/* escaped path or [stack] etc., "" for anonymous */
};

/* The mapping with the lowest start >= addr. False if none (or unreadable). */
bool bwr_maps_next_above(const char *text, size_t len, uint64_t addr, struct bwr_mapping *m);

#endif

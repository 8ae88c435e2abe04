// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the proc parsers must never crash or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	struct bwr_history h;
	struct bwr_status *st = malloc(sizeof(*st));
	struct bwr_error e;

	if (!buf || !st)
		abort();
	memcpy(buf, data, size);
	if (bwr_parse_history(buf, size, &h, &e) == BWR_OK) {
		struct bwr_walk w;

		bwr_walk_init(&h, &w);
		for (size_t i = 0; i < h.n_ev; i++)
			bwr_walk_step(&w, &h.ev[i]);
		bwr_history_free(&h);
	} else if (!e.msg[0]) {
		abort();	/* every rejection must say why */
	}
	if (bwr_parse_status(buf, size, st, &e) != BWR_OK && !e.msg[0])
		abort();
	free(st);
	free(buf);
	return 0;
}

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
	struct bw_history h;
	struct bw_status *st = malloc(sizeof(*st));
	struct bw_error e;

	if (!buf || !st)
		abort();
	memcpy(buf, data, size);
	if (bw_parse_history(buf, size, &h, &e) == BW_OK) {
		struct bw_walk w;

		bw_walk_init(&h, &w);
		for (size_t i = 0; i < h.n_ev; i++)
			bw_walk_step(&w, &h.ev[i]);
		bw_history_free(&h);
	} else if (!e.msg[0]) {
		abort();	/* every rejection must say why */
	}
	if (bw_parse_status(buf, size, st, &e) != BW_OK && !e.msg[0])
		abort();
	free(st);
	free(buf);
	return 0;
}

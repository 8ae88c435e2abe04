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
	enum bwr_parse_result whole = bwr_parse_history(buf, size, &h, &e);

	if (whole == BWR_OK) {
		struct bwr_walk w;

		bwr_walk_init(&h, &w);
		for (size_t i = 0; i < h.n_ev; i++)
			bwr_walk_step(&w, &h.ev[i]);
	} else if (!e.msg[0]) {
		abort();	/* every rejection must say why */
	}
	/*
	 * The streaming parser, fed in pieces (sizes from the input's first
	 * byte), agrees with the whole-text one on every input
	 */
	{
		struct bwr_parser *p = malloc(sizeof(*p));
		struct bwr_history sh;
		struct bwr_error se;
		enum bwr_parse_result r = BWR_OK;
		size_t step = size ? (size_t)data[0] % 97 + 1 : 1, off = 0;
		uint64_t events = 0;

		if (!p)
			abort();
		bwr_parser_init(p, &sh);
		while (r == BWR_OK && off < size) {
			size_t n = size - off < step ? size - off : step;

			r = bwr_parser_feed(p, &sh, buf + off, n, false, NULL, NULL, &se);
			off += n;
		}
		if (r == BWR_OK)
			r = bwr_parser_feed(p, &sh, NULL, 0, true, NULL, NULL, &se);
		events = sh.n_events;
		if (r != BWR_OK && !se.msg[0])
			abort();
		/* the whole-text parser also bounds events and bytes; below that, the same answer */
		if (size <= BWR_MAX_INPUT && events < BWR_MAX_EVENTS &&
		    ((r == BWR_OK) != (whole == BWR_OK) ||
		     (whole == BWR_OK && (events != h.n_ev ||
					  memcmp(&sh.tot, &h.tot, sizeof(sh.tot))))))
			abort();
		if (whole != BWR_OK && r != BWR_OK && e.line != se.line)
			abort();
		free(p);
	}
	if (whole == BWR_OK)
		bwr_history_free(&h);
	if (bwr_parse_status(buf, size, st, &e) != BWR_OK && !e.msg[0])
		abort();
	free(st);
	free(buf);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* --chart: the heap's size after each call of the current heap, in 80 columns. */
#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "util.h"

#define HEIGHT 10
#define LABEL 10			/* "  1.5 MiB " */
#define PLOT (80 - LABEL - 2)		/* columns for calls */

void bwr_print_chart(FILE *f, const struct bwr_history *h)
{
	uint64_t val[PLOT] = { 0 }, max = 0, base = 0;
	bool refused[PLOT] = { false }, base_set = false;
	size_t first = 0, n = 0, cols, cw;
	uint64_t seq0 = 0, seq1 = 0;
	struct bwr_walk w;
	char s[32];

	/* the current heap: the calls after the last exec marker */
	for (size_t i = 0; i < h->n_ev; i++)
		if (h->ev[i].is_exec)
			first = i + 1;
	bwr_walk_init(h, &w);
	for (size_t i = 0; i < h->n_ev; i++) {
		bwr_walk_step(&w, &h->ev[i]);
		if (i >= first && !h->ev[i].is_exec) {
			if (!n)
				seq0 = h->ev[i].call.seq;
			seq1 = h->ev[i].call.seq;
			n++;
		}
	}
	if (!n) {
		fputs("chart: no calls on the current heap\n", f);
		return;
	}
	if (w.known) {
		base = w.base;
		base_set = true;
	}
	cols = n < PLOT ? n : PLOT;		/* buckets of calls */
	cw = PLOT / cols > 8 ? 8 : PLOT / cols;	/* characters per bucket */
	for (size_t i = first, k = 0; i < h->n_ev; i++) {
		const struct bwr_call *c = &h->ev[i].call;
		size_t col;
		uint64_t size;

		if (h->ev[i].is_exec)
			continue;
		if (!base_set) {
			base = c->brk_before;
			base_set = true;
		}
		col = k * cols / n;
		size = c->brk_after > base ? c->brk_after - base : 0;
		if (size > val[col])
			val[col] = size;
		if (size > max)
			max = size;
		refused[col] |= bwr_verdict_refused(c->verdict);
		k++;
	}
	fprintf(f, "heap size after each call (seq %" PRIu64 " to %" PRIu64 ")\n", seq0, seq1);
	if (n > PLOT)
		fprintf(f, "(each column: the largest of %zu or %zu calls)\n", n / cols,
			(n + cols - 1) / cols);
	for (int r = HEIGHT; r >= 1; r--) {
		if (r == HEIGHT)
			fprintf(f, "%*s |", LABEL - 1, bwr_human_size(max, s, sizeof(s)));
		else if (r == HEIGHT / 2)
			fprintf(f, "%*s |", LABEL - 1, bwr_human_size(max / 2, s, sizeof(s)));
		else
			fprintf(f, "%*s |", LABEL - 1, "");
		for (size_t c = 0; c < cols; c++) {
			/* a column reaches row r when its value is above (r - 1) / HEIGHT of max */
			bool on = max && val[c] && val[c] * HEIGHT > (uint64_t)(r - 1) * max;

			for (size_t k = 0; k < cw; k++)
				fputc(on && (k + 1 < cw || cw == 1) ? '#' : ' ', f);
		}
		fputc('\n', f);
	}
	fprintf(f, "%*s +", LABEL - 1, "0");
	for (size_t c = 0; c < cols; c++)
		for (size_t k = 0; k < cw; k++)
			fputc(refused[c] && k == 0 ? 'x' : '-', f);
	fputc('\n', f);
	{
		char left[32], right[32];
		int ll = snprintf(left, sizeof(left), "seq %" PRIu64, seq0);
		int rl = snprintf(right, sizeof(right), "seq %" PRIu64, seq1);
		int pad = (int)(cols * cw) - ll - rl;

		fprintf(f, "%*s  %s", LABEL - 1, "", left);
		if (n > 1)
			fprintf(f, "%*s%s", pad > 1 ? pad : 1, "", right);
		fputc('\n', f);
	}
	if (memchr(refused, true, sizeof(refused)))
		fputs("          (x on the axis: a refused call)\n", f);
}

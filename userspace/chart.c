// SPDX-License-Identifier: GPL-2.0
/*
 * --chart: the heap's size after each call of the current heap, in 80
 * columns. Fed one event at a time, in bounded memory: a column holds a run
 * of calls, and when the columns run out, neighbours merge and a column holds
 * twice as many.
 */
#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "util.h"

#define HEIGHT 10
#define LABEL 10			/* "  1.5 MiB " */

void bwr_chart_init(struct bwr_chart *c)
{
	memset(c, 0, sizeof(*c));
	c->per_col = 1;
}

void bwr_chart_add(struct bwr_chart *c, const struct bwr_walk *w, const struct bwr_event *e)
{
	const struct bwr_call *call = &e->call;
	uint64_t size;
	size_t col;

	if (e->is_exec) {		/* a new heap: the chart starts again */
		bwr_chart_init(c);
		return;
	}
	if (!c->n) {
		c->base = w->known ? w->base : call->brk_before;
		c->seq0 = call->seq;
	}
	c->seq1 = call->seq;
	col = (size_t)(c->n / c->per_col);
	if (col == BWR_CHART_COLS) {	/* merge pairs: half the columns, twice the calls */
		for (size_t i = 0; i < BWR_CHART_COLS / 2; i++) {
			uint64_t a = c->val[2 * i], b = c->val[2 * i + 1];

			c->val[i] = a > b ? a : b;
			c->refused[i] = c->refused[2 * i] || c->refused[2 * i + 1];
		}
		memset(c->val + BWR_CHART_COLS / 2, 0, sizeof(c->val) / 2);
		memset(c->refused + BWR_CHART_COLS / 2, 0, sizeof(c->refused) / 2);
		c->per_col *= 2;
		col = (size_t)(c->n / c->per_col);
	}
	size = call->brk_after > c->base ? call->brk_after - c->base : 0;
	if (size > c->val[col])
		c->val[col] = size;
	if (size > c->max)
		c->max = size;
	c->refused[col] |= bwr_verdict_refused(call->verdict);
	c->n++;
}

void bwr_chart_print(FILE *f, const struct bwr_chart *ch)
{
	size_t cols, cw;
	bool any_refused = false;
	char s[32];

	if (!ch->n) {
		fputs("chart: no calls on the current heap\n", f);
		return;
	}
	cols = (size_t)((ch->n + ch->per_col - 1) / ch->per_col);
	cw = BWR_CHART_COLS / cols > 8 ? 8 : BWR_CHART_COLS / cols;	/* characters per column */
	fprintf(f, "heap size after each call (seq %" PRIu64 " to %" PRIu64 ")\n", ch->seq0, ch->seq1);
	if (ch->per_col > 1)
		fprintf(f, "(each column: the largest of %" PRIu64 " calls)\n", ch->per_col);
	for (int r = HEIGHT; r >= 1; r--) {
		if (r == HEIGHT)
			fprintf(f, "%*s |", LABEL - 1, bwr_human_size(ch->max, s, sizeof(s)));
		else if (r == HEIGHT / 2)
			fprintf(f, "%*s |", LABEL - 1, bwr_human_size(ch->max / 2, s, sizeof(s)));
		else
			fprintf(f, "%*s |", LABEL - 1, "");
		for (size_t c = 0; c < cols; c++) {
			/* a column reaches row r when its value is above (r - 1) / HEIGHT of max */
			bool on = ch->max && ch->val[c] &&
				  ch->val[c] * HEIGHT > (uint64_t)(r - 1) * ch->max;

			for (size_t k = 0; k < cw; k++)
				fputc(on && (k + 1 < cw || cw == 1) ? '#' : ' ', f);
		}
		fputc('\n', f);
	}
	fprintf(f, "%*s +", LABEL - 1, "0");
	for (size_t c = 0; c < cols; c++) {
		any_refused |= ch->refused[c];
		for (size_t k = 0; k < cw; k++)
			fputc(ch->refused[c] && k == 0 ? 'x' : '-', f);
	}
	fputc('\n', f);
	{
		char left[32], right[32];
		int ll = snprintf(left, sizeof(left), "seq %" PRIu64, ch->seq0);
		int rl = snprintf(right, sizeof(right), "seq %" PRIu64, ch->seq1);
		int pad = (int)(cols * cw) - ll - rl;

		fprintf(f, "%*s  %s", LABEL - 1, "", left);
		if (ch->n > 1)
			fprintf(f, "%*s%s", pad > 1 ? pad : 1, "", right);
		fputc('\n', f);
	}
	if (any_refused)
		fputs("          (x on the axis: a refused call)\n", f);
}

void bwr_print_chart(FILE *f, const struct bwr_history *h)
{
	struct bwr_chart c;
	struct bwr_walk w;

	bwr_chart_init(&c);
	bwr_walk_init(h, &w);
	for (size_t i = 0; i < h->n_ev; i++) {
		bwr_walk_step(&w, &h->ev[i]);
		bwr_chart_add(&c, &w, &h->ev[i]);
	}
	bwr_chart_print(f, &c);
}

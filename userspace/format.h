/* SPDX-License-Identifier: GPL-2.0 */
/* Text output: the history table, explanations, the chart, list and status. */
#ifndef BWR_FORMAT_H
#define BWR_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "procfile.h"

struct bwr_opts {
	bool relative;		/* offsets from start_brk, no pids/tids/times */
	bool explain;		/* a sentence or two after each call */
	bool chart;		/* the heap's size over its calls */
};

#define BWR_MAX_TIDS 256

/* --relative thread labels: "main" for the pid, then "T1", "T2"... by first appearance */
struct bwr_tids {
	uint32_t tid[BWR_MAX_TIDS];
	size_t n;
};
const char *bwr_thread_label(struct bwr_tids *t, uint32_t tid, uint32_t pid,
			     char *buf, size_t size);

/* State carried from one printed event to the next (also across --follow polls). */
struct bwr_view {
	const struct bwr_opts *o;
	uint32_t pid;
	bool t0_set;
	uint64_t t0;		/* time of the first event printed */
	struct bwr_walk walk;
	struct bwr_tids tids;	/* --relative thread labels */
	bool has_prev;
	struct bwr_call prev;	/* the previous call, for --explain */
	uint64_t last_seq;	/* of the last call printed, 0 before the first */
	const char *maps;	/* /proc/PID/maps text for --explain, or NULL */
	size_t maps_len;
};

void bwr_view_init(struct bwr_view *v, const struct bwr_opts *o, const struct bwr_history *h);

void bwr_print_header(FILE *f, const struct bwr_history *h, const struct bwr_opts *o);
void bwr_print_table_head(FILE *f, const struct bwr_opts *o);
/* One event (call row or exec marker), and its explanation with --explain. */
void bwr_print_event(FILE *f, struct bwr_view *v, const struct bwr_history *h, size_t i);
void bwr_print_footer(FILE *f, const struct bwr_history *h, const struct bwr_opts *o);
/* Header, table, footer, and the chart with --chart. */
void bwr_print_history(FILE *f, const struct bwr_history *h, const struct bwr_opts *o,
		       const char *maps, size_t maps_len);

/* explain.c: what the kernel did on one call, in words, with its numbers. */
void bwr_explain_call(FILE *f, const struct bwr_view *v, const struct bwr_call *c);
/* chart.c: heap size over the calls of the current heap, 80 columns. */
void bwr_print_chart(FILE *f, const struct bwr_history *h);

/* Totals over the calls of a history. */
struct bwr_totals {
	uint64_t grown, shrunk;		/* bytes */
	uint64_t grow_calls, shrink_calls, refused;
	uint64_t by_verdict[BRKWATCH_NR_VERDICTS];
};
void bwr_totals(const struct bwr_history *h, struct bwr_totals *t);
/* The heap's size now: brk - start_brk */
uint64_t bwr_heap_size(const struct bwr_history *h);

/* brkwatch list */
void bwr_print_list_head(FILE *f);
void bwr_print_list_row(FILE *f, const struct bwr_history *h);
/* brkwatch status; returns true when something was lost */
bool bwr_print_status(FILE *f, const struct bwr_status *st);
#define BWR_LOSS_LEN 200
/* The sentences saying what the module lost; returns how many (at most max). */
size_t bwr_status_losses(const struct bwr_status *st, char out[][BWR_LOSS_LEN], size_t max);

#endif

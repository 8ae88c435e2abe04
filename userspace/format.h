/* SPDX-License-Identifier: GPL-2.0 */
/* Text output: the history table, explanations, the chart, list and status. */
#ifndef BW_FORMAT_H
#define BW_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "procfile.h"

struct bw_opts {
	bool relative;		/* offsets from start_brk, no pids/tids/times */
	bool explain;		/* a sentence or two after each call */
	bool chart;		/* the heap's size over its calls */
};

#define BW_MAX_TIDS 256

/* --relative thread labels: "main" for the pid, then "T1", "T2"... by first appearance */
struct bw_tids {
	uint32_t tid[BW_MAX_TIDS];
	size_t n;
};
const char *bw_thread_label(struct bw_tids *t, uint32_t tid, uint32_t pid, char *buf, size_t size);

/* State carried from one printed event to the next (also across --follow polls). */
struct bw_view {
	const struct bw_opts *o;
	uint32_t pid;
	bool t0_set;
	uint64_t t0;		/* time of the first event printed */
	struct bw_walk walk;
	struct bw_tids tids;	/* --relative thread labels */
	bool has_prev;
	struct bw_call prev;	/* the previous call, for --explain */
	const char *maps;	/* /proc/PID/maps text for --explain, or NULL */
	size_t maps_len;
};

void bw_view_init(struct bw_view *v, const struct bw_opts *o, const struct bw_history *h);

void bw_print_header(FILE *f, const struct bw_history *h, const struct bw_opts *o);
void bw_print_table_head(FILE *f, const struct bw_opts *o);
/* One event (call row or exec marker), and its explanation with --explain. */
void bw_print_event(FILE *f, struct bw_view *v, const struct bw_history *h, size_t i);
void bw_print_footer(FILE *f, const struct bw_history *h, const struct bw_opts *o);
/* Header, table, footer, and the chart with --chart. */
void bw_print_history(FILE *f, const struct bw_history *h, const struct bw_opts *o,
		      const char *maps, size_t maps_len);

/* explain.c: what the kernel did on one call, in words, with its numbers. */
void bw_explain_call(FILE *f, const struct bw_view *v, const struct bw_history *h,
		     const struct bw_call *c);
/* chart.c: heap size over the calls of the current heap, 80 columns. */
void bw_print_chart(FILE *f, const struct bw_history *h);

/* Totals over the calls of a history. */
struct bw_totals {
	uint64_t grown, shrunk;		/* bytes */
	uint64_t grow_calls, shrink_calls, refused;
	uint64_t by_verdict[BRKWATCH_NR_VERDICTS];
};
void bw_totals(const struct bw_history *h, struct bw_totals *t);
/* The heap's size now: brk - start_brk */
uint64_t bw_heap_size(const struct bw_history *h);

/* brkwatch list */
void bw_print_list_head(FILE *f);
void bw_print_list_row(FILE *f, const struct bw_history *h);
/* brkwatch status; returns true when something was lost */
bool bw_print_status(FILE *f, const struct bw_status *st);
#define BW_LOSS_LEN 200
/* The sentences saying what the module lost; returns how many (at most max). */
size_t bw_status_losses(const struct bw_status *st, char out[][BW_LOSS_LEN], size_t max);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Text output: the history table, explanations, the chart, list and status. */
#ifndef BWR_FORMAT_H
#define BWR_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "procfile.h"

#define BWR_MAX_TID_FILTER 16

struct bwr_opts {
	bool relative;		/* offsets from start_brk, no pids/tids/times */
	bool explain;		/* a sentence or two after each call */
	bool chart;		/* the heap's size over its calls */
	bool narrow;		/* the table without the old and aligned breaks */
	bool durations;		/* -T: each call's time in the kernel */
	bool summary;		/* -c: per verdict, instead of the table */
	int abs_time;		/* -t: 1 wall-clock seconds, 2 microseconds too */
	int64_t real_minus_mono;	/* -t: CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	/* filters: which calls are shown (exec lines always are) */
	bool refused_only;	/* --refused */
	uint32_t verdicts;	/* --verdict: a bit per verdict, 0 for all */
	uint32_t tids[BWR_MAX_TID_FILTER];	/* --tid */
	size_t n_tids;
};

/* Whether the filters of o let c be shown */
bool bwr_call_shown(const struct bwr_opts *o, const struct bwr_call *c);

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
	uint64_t last_seq;	/* of the last call read, 0 before the first */
	const char *maps;	/* /proc/PID/maps text for --explain, or NULL */
	size_t maps_len;
	const struct bwr_frames *stack;	/* the call's frames, when it has a stack */
};

void bwr_view_init(struct bwr_view *v, const struct bwr_opts *o, const struct bwr_history *h);

void bwr_print_header(FILE *f, const struct bwr_history *h, const struct bwr_opts *o);
void bwr_print_table_head(FILE *f, const struct bwr_opts *o);
/* One event (call row or exec marker), and its explanation with --explain. */
void bwr_print_event(FILE *f, struct bwr_view *v, const struct bwr_event *e);
void bwr_print_footer(FILE *f, const struct bwr_history *h, const struct bwr_opts *o);
struct bwr_json;
struct bwr_svg;

/* chart.c: heap size over the calls of the current heap, 80 columns. */
#define BWR_CHART_COLS 68		/* 80 - a label of 10 - " |" */
struct bwr_chart {
	uint64_t val[BWR_CHART_COLS];	/* the largest heap size of each column's calls */
	bool refused[BWR_CHART_COLS];
	uint64_t per_col;		/* calls per column */
	uint64_t n, seq0, seq1, base, max;
};
void bwr_chart_init(struct bwr_chart *c);
/* Each event in order, with the walk stepped past it. */
void bwr_chart_add(struct bwr_chart *c, const struct bwr_walk *w, const struct bwr_event *e);
void bwr_chart_print(FILE *f, const struct bwr_chart *c);
/* The whole of an in-memory history */
void bwr_print_chart(FILE *f, const struct bwr_history *h);

/*
 * One history printed as it is read, in bounded memory: text, or with j
 * JSON (the members of a process object: j is inside it). has_exec: whether
 * the whole history holds an exec marker (calls before it belong to an
 * earlier program). bwr_printer_event() is a bwr_event_fn.
 */
/* -c: per verdict, over the calls shown */
struct bwr_summary {
	uint64_t calls[BRKWATCH_NR_VERDICTS];
	uint64_t mapped[BRKWATCH_NR_VERDICTS], unmapped[BRKWATCH_NR_VERDICTS];
	uint64_t ns[BRKWATCH_NR_VERDICTS];
};
void bwr_summary_add(struct bwr_summary *s, const struct bwr_call *c);
void bwr_print_summary(FILE *f, const struct bwr_history *h, const struct bwr_summary *s);

struct bwr_printer {
	FILE *f;
	const struct bwr_opts *o;
	struct bwr_json *j;
	bool jsonl;		/* JSON lines on f (-f --json): a line per event */
	struct bwr_svg *svg;	/* --svg: fed every event, or NULL */
	bool has_exec, started;
	uint64_t events, shown;
	struct bwr_summary sum;
	const char *maps;
	size_t maps_len;
	struct bwr_view v;
	struct bwr_chart chart;
	/* call stacks: the maps they are unwound against (bwr_printer_stacks()) */
	const char *stack_maps;
	size_t stack_maps_len;
	uint32_t pid;
	uint64_t exec_total, exec_seen;
	bool stacks_set;
	struct bwr_unwinder *unw, *unw_none;
	struct bwr_frame *frames;
	char why[160];
};
void bwr_printer_init(struct bwr_printer *p, FILE *f, const struct bwr_opts *o,
		      struct bwr_json *j, bool has_exec, const char *maps, size_t maps_len);
enum bwr_parse_result bwr_printer_event(void *ctx, const struct bwr_history *h,
					const struct bwr_event *e);
/*
 * The process's maps text (kept by the caller), for unwinding the stacks of
 * the calls after the last of the exec_total exec markers of the history:
 * the program the maps are of. Without it (or for earlier calls), a stack
 * gives its first frame's address only, and says why.
 */
void bwr_printer_stacks(struct bwr_printer *p, const char *maps, size_t len, uint32_t pid,
			uint64_t exec_total);
/* The header now (the first event does it otherwise); once only. */
void bwr_printer_start(struct bwr_printer *p, const struct bwr_history *h);
/* The header if no event came, then the footer and chart, or the JSON totals. */
void bwr_printer_end(struct bwr_printer *p, const struct bwr_history *h);
/* What the printer holds for stacks (bwr_printer_end() too); again: nothing. */
void bwr_printer_free(struct bwr_printer *p);

/* Header, table, footer, and the chart with --chart. */
void bwr_print_history(FILE *f, const struct bwr_history *h, const struct bwr_opts *o,
		       const char *maps, size_t maps_len);

/* explain.c: what the kernel did on one call, in words, with its numbers. */
void bwr_explain_call(FILE *f, const struct bwr_view *v, const struct bwr_call *c);

/* Totals over the calls of a history read so far (h->tot). */
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

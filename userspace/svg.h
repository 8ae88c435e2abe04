/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --svg: a history as an SVG 1.1 picture, with no scripts: the heap's size
 * over time as a step line, the grows, shrinks and refusals marked and
 * coloured by verdict, exec boundaries, and a to-scale sketch of the address
 * space around the current heap. Fed one event at a time, in bounded memory.
 */
#ifndef BWR_SVG_H
#define BWR_SVG_H

#include <stdio.h>

#include "procfile.h"

#define BWR_SVG_POINTS	4096	/* calls kept; past that every other one goes */
#define BWR_SVG_EXECS	64

struct bwr_svg_point {
	uint64_t t, before, after;	/* time, heap sizes before and after */
	uint64_t seq;
	int64_t delta;
	unsigned heap;			/* which heap: exec lines seen before it */
	enum brkwatch_verdict verdict;
	char stack[320];		/* its top frames, "f (file:line) <- g ...", or "" */
};

struct bwr_svg {
	struct bwr_svg_point p[BWR_SVG_POINTS];
	size_t n;
	uint64_t stride, seen;		/* keep one call in stride, of seen */
	uint64_t exec_t[BWR_SVG_EXECS];
	struct bwr_comm exec_comm[BWR_SVG_EXECS];
	unsigned n_exec;		/* exec lines seen (those past BWR_SVG_EXECS not drawn) */
	uint64_t t0, t1;
	bool t_set;
	uint64_t base;			/* the current heap's start */
	bool base_set;
	/* the mapping that stopped a grow of the current heap, if one did */
	bool stopped;
	uint64_t next_start, next_end;
	enum brkwatch_next_kind next_kind;
	bool gap_only;
};

void bwr_svg_init(struct bwr_svg *s);
/* Each event in order, with the walk stepped past it; st: a call's frames, or NULL. */
struct bwr_frames;
void bwr_svg_add(struct bwr_svg *s, const struct bwr_walk *w, const struct bwr_event *e,
		 const struct bwr_frames *st);
/* The picture; h: the header and totals. */
void bwr_svg_write(FILE *f, const struct bwr_svg *s, const struct bwr_history *h);

#endif

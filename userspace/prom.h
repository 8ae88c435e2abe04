/* SPDX-License-Identifier: GPL-2.0 */
/*
 * brkwatch export: the module's counters and the busiest processes' totals
 * in Prometheus's text exposition format (version 0.0.4), for
 * node_exporter's textfile collector. Pure: text out of parsed structs.
 */
#ifndef BWR_PROM_H
#define BWR_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "procfile.h"

#define BWR_PROM_TOP_DEFAULT	10
#define BWR_PROM_TOP_MAX	1000

/*
 * A label value as the format requires it: backslash, double quote and
 * newline escaped; other control bytes and bytes past 0x7e (not always
 * UTF-8) written as \ooo octal, the backslash itself escaped.
 */
void bwr_prom_label(FILE *f, const char *s, size_t len);

/*
 * Keeps the top histories with the most calls (pid breaks ties: lower
 * first) in kept[0..*n), *n <= top: h is moved in, evicting the one with
 * the fewest calls, or freed. Bounded: never more than top held.
 */
void bwr_prom_keep(struct bwr_history *kept, size_t *n, size_t top, struct bwr_history *h);

/*
 * Writes the status's series, then those of kept[0..n) sorted by calls
 * (most first). total: histories read, kept ones included; unreadable:
 * those the caller may not read.
 */
void bwr_prom_write(FILE *f, const struct bwr_status *st, struct bwr_history *kept, size_t n,
		    size_t total, size_t unreadable);

#endif

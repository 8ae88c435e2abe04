/* SPDX-License-Identifier: GPL-2.0 */
/* Reading /proc/brkwatch (or the directory in $BRKWATCH_PROC). */
#ifndef BWR_SOURCE_H
#define BWR_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "procfile.h"

/* Exit codes (documented in brkwatch.1) */
enum bwr_exit {
	BWR_EXIT_OK = 0,
	BWR_EXIT_USAGE = 1,
	BWR_EXIT_NOMODULE = 2,
	BWR_EXIT_NOHISTORY = 3,
	BWR_EXIT_PERM = 4,
	BWR_EXIT_DATA = 5,
	BWR_EXIT_ERROR = 6,	/* any other system error */
	BWR_EXIT_LOST = 7,	/* status: the module lost calls or verdicts */
};

/* $BRKWATCH_PROC, or /proc/brkwatch */
const char *bwr_proc_root(void);
/* Whole file, at most BWR_MAX_INPUT + 1 bytes (so the parser sees "too big"). 0 or -errno. */
int bwr_read_file(const char *path, char **buf, size_t *len);
/* BWR_EXIT_OK, or an exit code with a one-line message (no "brkwatch: " prefix) */
int bwr_check_module(char *msg, size_t size);
int bwr_load_history(uint32_t pid, struct bwr_history *h, char *msg, size_t size);
int bwr_load_status(struct bwr_status *st, char *msg, size_t size);
/* The pids under the root, ascending; *pids is malloc'ed. 0 or an exit code. */
int bwr_list_pids(uint32_t **pids, size_t *n, char *msg, size_t size);
/*
 * /proc/PID/maps now, or with $BRKWATCH_PROC set, <root>/<PID>.maps (canned
 * layouts for tests). NULL when it cannot be read.
 */
char *bwr_read_maps(uint32_t pid, size_t *len);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Reading /proc/brkwatch (or the directory in $BRKWATCH_PROC). */
#ifndef BW_SOURCE_H
#define BW_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "procfile.h"

/* Exit codes (documented in brkwatch.1) */
enum bw_exit {
	BW_EXIT_OK = 0,
	BW_EXIT_USAGE = 1,
	BW_EXIT_NOMODULE = 2,
	BW_EXIT_NOHISTORY = 3,
	BW_EXIT_PERM = 4,
	BW_EXIT_DATA = 5,
	BW_EXIT_ERROR = 6,	/* any other system error */
};

/* $BRKWATCH_PROC, or /proc/brkwatch */
const char *bw_proc_root(void);
/* Whole file, at most BW_MAX_INPUT + 1 bytes (so the parser sees "too big"). 0 or -errno. */
int bw_read_file(const char *path, char **buf, size_t *len);
/* BW_EXIT_OK, or an exit code with a one-line message (no "brkwatch: " prefix) */
int bw_check_module(char *msg, size_t size);
int bw_load_history(uint32_t pid, struct bw_history *h, char *msg, size_t size);
int bw_load_status(struct bw_status *st, char *msg, size_t size);
/* The pids under the root, ascending; *pids is malloc'ed. 0 or an exit code. */
int bw_list_pids(uint32_t **pids, size_t *n, char *msg, size_t size);
/*
 * /proc/PID/maps now, or with $BRKWATCH_PROC set, <root>/<PID>.maps (canned
 * layouts for tests). NULL when it cannot be read.
 */
char *bw_read_maps(uint32_t pid, size_t *len);

#endif

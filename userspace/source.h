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
/*
 * A history's header and totals, read to its end in bounded memory (h->ev
 * stays NULL): for list, export and run -F.
 */
int bwr_load_history(uint32_t pid, struct bwr_history *h, char *msg, size_t size);

/* A history file held open, read as it comes: to its end, or as it grows (-f). */
struct bwr_file {
	int fd;
	uint32_t pid;
	bool pid_checked;
	struct bwr_parser *p;
	struct bwr_history h;	/* header and totals of what was read */
	bwr_event_fn fn;	/* where the events go */
	void *ctx;
	char path[4096];
};
int bwr_file_open(struct bwr_file *f, uint32_t pid, bwr_event_fn fn, void *ctx,
		  char *msg, size_t size);
/*
 * Reads what the file holds now (from where the last read stopped) and hands
 * the events on. final: nothing more will come (a last line without newline
 * is a line; a header cut short is an error). fn returning BWR_STOP stops
 * early, without error. Returns BWR_EXIT_OK or an exit code, with msg.
 */
int bwr_file_read(struct bwr_file *f, bool final, char *msg, size_t size);
void bwr_file_close(struct bwr_file *f);
/* Whether the history holds an exec marker (it stops reading at the first). */
int bwr_history_has_exec(uint32_t pid, bool *has, char *msg, size_t size);
/* Only the header of a history, as it is now (reads no further than it). */
int bwr_load_header(uint32_t pid, struct bwr_history *h, char *msg, size_t size);
int bwr_load_status(struct bwr_status *st, char *msg, size_t size);
/*
 * The pids of the histories under the root, ascending, as the reader knows
 * them: their "# pid" lines, which differ from the files' names in a PID
 * namespace other than the initial one (a container); histories outside
 * the reader's namespace are left out. *pids is malloc'ed. 0 or an exit
 * code.
 */
int bwr_list_pids(uint32_t **pids, size_t *n, char *msg, size_t size);
/*
 * Opens the history of pid (the reader's number for it): *fdp and its path,
 * found by name, or by the files' "# pid" lines in another PID namespace.
 * 0, or -errno (-ENOENT: no history gives that pid).
 */
int bwr_history_path(uint32_t pid, char *path, size_t size, int *fdp);
/*
 * /proc/PID/maps now, or with $BRKWATCH_PROC set, <root>/<PID>.maps (canned
 * layouts for tests). NULL when it cannot be read.
 */
char *bwr_read_maps(uint32_t pid, size_t *len);
/*
 * The maps of the program pid runs now, to unwind its stacks against: read
 * between two counts of its history's exec markers that agree (*n_exec),
 * so that they are those of the program after the last marker counted.
 * NULL when the process has exited, or its maps cannot be read, or it kept
 * running new programs meanwhile.
 */
char *bwr_read_stack_maps(uint32_t pid, size_t *len, uint64_t *n_exec);

#endif

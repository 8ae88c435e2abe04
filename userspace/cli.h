/* SPDX-License-Identifier: GPL-2.0 */
/* What the command line asked for, shared by main.c and run.c. */
#ifndef BWR_CLI_H
#define BWR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "procfile.h"

#define BWR_MAX_PIDS 64

struct bwr_cli {
	struct bwr_opts o;
	int json;
	int follow;
	int follow_forks;
	long top;		/* export: processes with series; -1: not given */
	uint32_t pids[BWR_MAX_PIDS];	/* -p */
	size_t n_pids;
	bool wide;		/* --wide */
	const char *svg_path;	/* --svg FILE: the first process's picture */
	const char *out_path;	/* -o: NULL, "-" (stdout) or a file */
	FILE *out;		/* the report's stream, set by open_output() */
	bool out_owned;		/* out is out_path, opened by us */
	/* run --stacks: the command's maps, captured before it was reaped */
	bool stacks;
	const char *run_maps;
	size_t run_maps_len;
	uint32_t run_maps_pid;
};

/* "brkwatch: MSG" on stderr */
void bwr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct bwr_json;
/*
 * One process's report, read in bounded memory: text on c->out, or with j
 * the members of its JSON object. checked: the history as bwr_load_history()
 * read it already (it checks the whole file), or NULL to have it read here.
 * Nothing is printed for a malformed file. svg: a file for its picture, or
 * NULL. Returns an exit code, msg set.
 */
int bwr_report_pid(const struct bwr_cli *c, uint32_t pid, struct bwr_json *j,
		   const struct bwr_history *checked, const char *svg, char *msg, size_t size);
/* run: brkwatch run [-F] -- COMMAND...; returns the exit status */
int bwr_cmd_run(const struct bwr_cli *c, char **argv);

#endif

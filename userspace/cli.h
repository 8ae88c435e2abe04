/* SPDX-License-Identifier: GPL-2.0 */
/* What the command line asked for, shared by main.c and run.c. */
#ifndef BWR_CLI_H
#define BWR_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "format.h"

struct bwr_cli {
	struct bwr_opts o;
	int json;
	int follow;
	int follow_forks;
	long top;		/* export: processes with series; -1: not given */
	const char *out_path;	/* -o: NULL, "-" (stdout) or a file */
	FILE *out;		/* the report's stream, set by open_output() */
	bool out_owned;		/* out is out_path, opened by us */
};

/* "brkwatch: MSG" on stderr */
void bwr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* show: one process, text or JSON, with maps for --explain */
void bwr_report_one(const struct bwr_cli *c, const struct bwr_history *h);
/* run: brkwatch run [-F] -- COMMAND...; returns the exit status */
int bwr_cmd_run(const struct bwr_cli *c, char **argv);

#endif

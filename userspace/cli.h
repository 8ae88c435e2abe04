/* SPDX-License-Identifier: GPL-2.0 */
/* What the command line asked for, shared by main.c and run.c. */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdio.h>

#include "format.h"

struct bw_cli {
	struct bw_opts o;
	int json;
	int follow;
	int follow_forks;
	FILE *out;
};

/* "brkwatch: MSG" on stderr */
void bw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* show: one process, text or JSON, with maps for --explain */
void bw_report_one(const struct bw_cli *c, const struct bw_history *h);
/* run: brkwatch run [-F] -- COMMAND...; returns the exit status */
int bw_cmd_run(const struct bw_cli *c, char **argv);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* --json output; the schema is in README.md. */
#ifndef BW_JSON_H
#define BW_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "procfile.h"

#define BW_JSON_SCHEMA 1

struct bw_json {
	FILE *f;
	int depth;
	bool need_comma[32];
};

void bw_json_begin(struct bw_json *j, FILE *f);	/* opens the document's object */
void bw_json_end(struct bw_json *j);		/* closes it, adds a newline */
void bw_json_key_obj(struct bw_json *j, const char *key);	/* key NULL inside arrays */
void bw_json_key_arr(struct bw_json *j, const char *key);
void bw_json_close(struct bw_json *j, char c);	/* '}' or ']' */
void bw_json_str(struct bw_json *j, const char *key, const char *s, size_t n);
void bw_json_u64(struct bw_json *j, const char *key, uint64_t v);
void bw_json_i64(struct bw_json *j, const char *key, int64_t v);
void bw_json_bool(struct bw_json *j, const char *key, bool v);

/* One process: header, events, totals. relative: see README.md, "--relative". events: include them. */
void bw_json_history(struct bw_json *j, const struct bw_history *h, bool relative, bool events);
void bw_json_status(struct bw_json *j, const struct bw_status *st);

#endif

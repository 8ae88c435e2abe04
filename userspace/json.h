/* SPDX-License-Identifier: GPL-2.0 */
/* --json output; the schema is in brkwatch(1), under JSON OUTPUT. */
#ifndef BWR_JSON_H
#define BWR_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "procfile.h"

#define BWR_JSON_SCHEMA 1

struct bwr_json {
	FILE *f;
	int depth;
	bool need_comma[32];
	bool compact;		/* one line: JSON lines (set after bwr_json_begin) */
};

void bwr_json_begin(struct bwr_json *j, FILE *f);	/* opens the document's object */
void bwr_json_end(struct bwr_json *j);		/* closes it, adds a newline */
void bwr_json_key_obj(struct bwr_json *j, const char *key);	/* key NULL inside arrays */
void bwr_json_key_arr(struct bwr_json *j, const char *key);
void bwr_json_close(struct bwr_json *j, char c);	/* '}' or ']' */
void bwr_json_str(struct bwr_json *j, const char *key, const char *s, size_t n);
void bwr_json_u64(struct bwr_json *j, const char *key, uint64_t v);
void bwr_json_i64(struct bwr_json *j, const char *key, int64_t v);
void bwr_json_bool(struct bwr_json *j, const char *key, bool v);

/*
 * One process: header, events, totals. relative: see brkwatch(1), "--relative".
 * events: include them.
 */
void bwr_json_history(struct bwr_json *j, const struct bwr_history *h, bool relative, bool events);
/* The same in three steps, for a history read as it comes: */
void bwr_json_history_head(struct bwr_json *j, const struct bwr_history *h, bool relative);
/* one element of the "events" array (opened by the caller) */
/* st: the frames of a call's "# stack" line, or NULL for a call without one */
struct bwr_frames;
void bwr_json_event(struct bwr_json *j, const struct bwr_event *e, bool relative,
		    const struct bwr_walk *w, const char *thread, const struct bwr_frames *st);
/* its members only, in an object the caller opened */
void bwr_json_event_members(struct bwr_json *j, const struct bwr_event *e, bool relative,
			    const struct bwr_walk *w, const char *thread,
			    const struct bwr_frames *st);
void bwr_json_totals(struct bwr_json *j, const struct bwr_totals *t);
void bwr_json_status(struct bwr_json *j, const struct bwr_status *st);

#endif

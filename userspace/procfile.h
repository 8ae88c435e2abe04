/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parser for the text under /proc/brkwatch (format in README.md): text in,
 * structs out. Pure: no I/O, no global state, bounded memory. Every
 * rejection names the line. This is what the fuzzer targets.
 */
#ifndef BW_PROCFILE_H
#define BW_PROCFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../module/brkwatch.h"

#define BW_MAX_LINE	4096		/* bytes in one line, without the newline */
#define BW_MAX_INPUT	(32u << 20)	/* bytes in one proc file */
#define BW_MAX_EVENTS	(1u << 17)	/* calls + exec markers in one history */
#define BW_COMM_MAX	64		/* decoded bytes of a command name */

enum bw_parse_result {
	BW_OK = 0,
	BW_E_FORMAT,		/* malformed: a line breaks the format */
	BW_E_VERSION,		/* a format version this reader does not know */
	BW_E_NOMEM,
};

struct bw_error {
	unsigned line;		/* 1-based; 0 when not about one line */
	char msg[256];
};

/* Which key=value details a call line carried. */
enum {
	BW_D_LIMIT	= 1 << 0,
	BW_D_SIZE	= 1 << 1,
	BW_D_NEXT_START	= 1 << 2,
	BW_D_NEXT_END	= 1 << 3,
	BW_D_NEXT_KIND	= 1 << 4,
	BW_D_GAP_ONLY	= 1 << 5,
	BW_D_ERR	= 1 << 6,
};

struct bw_call {
	uint64_t time_ns;
	uint64_t request;
	uint64_t brk_before, brk_after;
	uint64_t aligned_before, aligned_after;
	int64_t delta;
	uint64_t ret;		/* the address returned, when ret_errno == 0 */
	int ret_errno;		/* negative errno returned, or 0 */
	uint32_t seq, tid, duration_ns;
	bool ia32;
	enum brkwatch_verdict verdict;
	unsigned details;	/* BW_D_* */
	uint64_t limit, size, next_start, next_end;
	enum brkwatch_next_kind next_kind;
	bool gap_only;
	int64_t err;
};

struct bw_comm {
	char s[BW_COMM_MAX];	/* decoded bytes, not NUL-terminated */
	size_t len;
};

struct bw_exec {
	uint64_t time_ns;
	uint32_t tid;
	struct bw_comm comm;
	uint64_t start_brk, start_data, end_data;
};

struct bw_event {
	bool is_exec;
	union {
		struct bw_call call;
		struct bw_exec exec;
	};
};

struct bw_history {
	unsigned version;
	uint32_t pid, ppid, uid;
	struct bw_comm comm;
	bool exited;		/* state: exited (else running) */
	uint64_t start_brk, start_data, end_data, brk;
	uint64_t calls, dropped;
	struct bw_event *ev;	/* calls and exec markers, in file order */
	size_t n_ev;
	bool has_exec;		/* some event is an exec marker */
};

/* Parse one /proc/brkwatch/<PID>. On error h is left empty. */
enum bw_parse_result bw_parse_history(const char *text, size_t len,
				      struct bw_history *h, struct bw_error *err);
void bw_history_free(struct bw_history *h);

#define BW_STATUS_MAX	64
#define BW_STATUS_KEY	48
#define BW_STATUS_VAL	512

enum bw_status_type { BW_ST_STR, BW_ST_U64, BW_ST_BOOL, BW_ST_LIST };

struct bw_status {
	size_t n;
	struct {
		char key[BW_STATUS_KEY];
		char val[BW_STATUS_VAL];
		enum bw_status_type type;
		uint64_t u;	/* BW_ST_U64 and BW_ST_BOOL (1 = yes) */
	} kv[BW_STATUS_MAX];
};

/* Parse /proc/brkwatch/status. Every key of the README must be present. */
enum bw_parse_result bw_parse_status(const char *text, size_t len,
				     struct bw_status *st, struct bw_error *err);
/* The value of a key, or NULL */
const char *bw_status_get(const struct bw_status *st, const char *key);
/* The number of a BW_ST_U64 / BW_ST_BOOL key, 0 when absent */
uint64_t bw_status_u64(const struct bw_status *st, const char *key);

/* Verdicts: the module's names, and which ones are refusals. */
const char *bw_verdict_name(enum brkwatch_verdict v);
bool bw_verdict_refused(enum brkwatch_verdict v);
const char *bw_next_kind_name(enum brkwatch_next_kind k);

/*
 * Walking a history, the start_brk of the heap each event belongs to: the
 * last exec marker's, or the header's when the history has no exec marker.
 * Unknown (known == false) for calls before the first exec marker.
 * Call bw_walk_step() on each event, in order, before using base.
 */
struct bw_walk {
	uint64_t base;
	bool known;
};
void bw_walk_init(const struct bw_history *h, struct bw_walk *w);
void bw_walk_step(struct bw_walk *w, const struct bw_event *e);

#endif

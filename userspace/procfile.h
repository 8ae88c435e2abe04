/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parser for the text under /proc/brkwatch (its format: module/ABI/procfs-brkwatch):
 * text in, structs out. Pure: no I/O, no global state, bounded memory. Every
 * rejection names the line. This is what the fuzzer targets.
 */
#ifndef BWR_PROCFILE_H
#define BWR_PROCFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <brkwatch.h>

#define BWR_MAX_LINE	4096		/* bytes in one line, without the newline */
#define BWR_MAX_INPUT	(32u << 20)	/* bytes in one proc file */
#define BWR_MAX_EVENTS	(1u << 17)	/* calls + exec markers in one history */
#define BWR_COMM_MAX	64		/* decoded bytes of a command name */

enum bwr_parse_result {
	BWR_OK = 0,
	BWR_E_FORMAT,		/* malformed: a line breaks the format */
	BWR_E_VERSION,		/* a format version this reader does not know */
	BWR_E_NOMEM,
};

struct bwr_error {
	unsigned line;		/* 1-based; 0 when not about one line */
	char msg[256];
};

/* Which key=value details a call line carried. */
enum {
	BWR_D_LIMIT	= 1 << 0,
	BWR_D_SIZE	= 1 << 1,
	BWR_D_NEXT_START	= 1 << 2,
	BWR_D_NEXT_END	= 1 << 3,
	BWR_D_NEXT_KIND	= 1 << 4,
	BWR_D_GAP_ONLY	= 1 << 5,
	BWR_D_ERR	= 1 << 6,
};

struct bwr_call {
	uint64_t time_ns;
	uint64_t request;
	uint64_t brk_before, brk_after;
	uint64_t aligned_before, aligned_after;
	int64_t delta;
	uint64_t ret;		/* the address returned, when ret_errno == 0 */
	int ret_errno;		/* negative errno returned, or 0 */
	uint64_t seq;		/* 48 bits in the module */
	uint32_t tid, duration_ns;
	bool ia32;
	enum brkwatch_verdict verdict;
	unsigned details;	/* BWR_D_* */
	uint64_t limit, size, next_start, next_end;
	enum brkwatch_next_kind next_kind;
	bool gap_only;
	int64_t err;
};

struct bwr_comm {
	char s[BWR_COMM_MAX];	/* decoded bytes, not NUL-terminated */
	size_t len;
};

struct bwr_exec {
	uint64_t time_ns;
	uint32_t tid;
	struct bwr_comm comm;
	uint64_t start_brk, start_data, end_data;
};

struct bwr_event {
	bool is_exec;
	union {
		struct bwr_call call;
		struct bwr_exec exec;
	};
};

struct bwr_history {
	unsigned version;
	uint32_t pid, ppid, uid;
	struct bwr_comm comm;
	bool exited;		/* state: exited (else running) */
	uint64_t start_brk, start_data, end_data, brk;
	uint64_t calls, dropped;
	struct bwr_event *ev;	/* calls and exec markers, in file order */
	size_t n_ev;
	bool has_exec;		/* some event is an exec marker */
};

/* Parse one /proc/brkwatch/<PID>. On error h is left empty. */
enum bwr_parse_result bwr_parse_history(const char *text, size_t len,
					struct bwr_history *h, struct bwr_error *err);
void bwr_history_free(struct bwr_history *h);

#define BWR_STATUS_MAX	64
#define BWR_STATUS_KEY	48
#define BWR_STATUS_VAL	512

enum bwr_status_type { BWR_ST_STR, BWR_ST_U64, BWR_ST_BOOL, BWR_ST_LIST };

struct bwr_status {
	size_t n;
	struct {
		char key[BWR_STATUS_KEY];
		char val[BWR_STATUS_VAL];
		enum bwr_status_type type;
		uint64_t u;	/* BWR_ST_U64 and BWR_ST_BOOL (1 = yes) */
	} kv[BWR_STATUS_MAX];
};

/* Parse /proc/brkwatch/status. Every key of its specification must be present. */
enum bwr_parse_result bwr_parse_status(const char *text, size_t len,
				       struct bwr_status *st, struct bwr_error *err);
/* The value of a key, or NULL */
const char *bwr_status_get(const struct bwr_status *st, const char *key);
/* The number of a BWR_ST_U64 / BWR_ST_BOOL key, 0 when absent */
uint64_t bwr_status_u64(const struct bwr_status *st, const char *key);

/* Verdicts: the module's names, and which ones are refusals. */
const char *bwr_verdict_name(enum brkwatch_verdict v);
bool bwr_verdict_refused(enum brkwatch_verdict v);
const char *bwr_next_kind_name(enum brkwatch_next_kind k);

/*
 * Walking a history, the start_brk and data segment of the program each event
 * belongs to: the last exec marker's, or the header's when the history has no
 * exec marker. Unknown (known == false) for calls before the first exec
 * marker. Call bwr_walk_step() on each event, in order, before using them.
 */
struct bwr_walk {
	uint64_t base;
	uint64_t start_data, end_data;
	bool known;
};
void bwr_walk_init(const struct bwr_history *h, struct bwr_walk *w);
void bwr_walk_step(struct bwr_walk *w, const struct bwr_event *e);

#endif

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
/*
 * bwr_parse_history() holds a whole text and its events in memory, so it is
 * bounded; the reader itself streams (struct bwr_parser): any length.
 */
#define BWR_MAX_INPUT	(32u << 20)	/* bytes of one text in memory */
#define BWR_MAX_EVENTS	(1u << 17)	/* events of one history in memory */
#define BWR_COMM_MAX	64		/* decoded bytes of a command name */

/*
 * Format 2 adds the "# stack" line under a call (module/ABI/procfs-brkwatch):
 * this reader reads formats 1 and 2.
 */
#define BWR_FORMAT_STACKS	2		/* the first format with "# stack" lines */
#define BWR_FORMAT_MAX		2		/* the newest format this reader knows */
#define BWR_STACK_REGS		17		/* x86-64 DWARF registers: 0 rax .. 16 rip */
#define BWR_MAX_STACK_BYTES	65536		/* the module's stack_bytes at most */
/* a "# stack" line may be longer than BWR_MAX_LINE: its data is 2 hex digits a byte */
#define BWR_MAX_STACK_LINE	(2 * BWR_MAX_STACK_BYTES + 512)

enum bwr_parse_result {
	BWR_OK = 0,
	BWR_E_FORMAT,		/* malformed: a line breaks the format */
	BWR_E_VERSION,		/* a format version this reader does not know */
	BWR_E_NOMEM,
	BWR_STOP,		/* not an error: a callback asked to stop reading */
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

/* The user registers and top of the user stack at a brk() call ("# stack"). */
struct bwr_stack {
	uint64_t seq;
	uint64_t regs[BWR_STACK_REGS];	/* DWARF order: 6 rbp, 7 rsp, 16 rip */
	size_t len;			/* bytes of data, from regs[7] upward */
	const unsigned char *data;
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
	/*
	 * Its "# stack" line, or NULL. Valid during the bwr_event_fn call that
	 * hands the event on; bwr_parse_history() keeps its own copy.
	 */
	const struct bwr_stack *stack;
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

/* Totals over the calls of a history (kept as they are parsed). */
struct bwr_totals {
	uint64_t grown, shrunk;		/* bytes */
	uint64_t grow_calls, shrink_calls, refused;
	uint64_t by_verdict[BRKWATCH_NR_VERDICTS];
};

struct bwr_history {
	unsigned version;
	uint32_t pid, ppid, uid;
	struct bwr_comm comm;
	bool exited;		/* state: exited (else running) */
	uint64_t start_brk, start_data, end_data, brk;
	uint64_t calls, dropped;
	struct bwr_event *ev;	/* calls and exec markers, in file order (in memory only) */
	size_t n_ev;
	bool has_exec;		/* some event read so far is an exec marker */
	uint64_t n_exec;	/* exec markers read so far */
	uint64_t n_stacks;	/* calls read so far with a "# stack" line */
	uint64_t n_events;	/* events read so far */
	uint64_t first_ns;	/* time of the first event, when n_events */
	struct bwr_totals tot;	/* over the calls read so far */
};

/* Parse one /proc/brkwatch/<PID>, all in memory. On error h is left empty. */
enum bwr_parse_result bwr_parse_history(const char *text, size_t len,
					struct bwr_history *h, struct bwr_error *err);
void bwr_history_free(struct bwr_history *h);

/*
 * The same as the text comes, in bounded memory: feed it in pieces of any
 * size. The header fills h (h->ev stays NULL); each event goes to fn, once
 * the header is complete, and is counted in h's totals. fn returns BWR_OK to
 * go on, or anything else to stop (BWR_STOP: not an error).
 */
typedef enum bwr_parse_result (*bwr_event_fn)(void *ctx, const struct bwr_history *h,
					       const struct bwr_event *e);
struct bwr_parser {
	unsigned no;		/* lines seen */
	unsigned key;		/* header lines parsed */
	uint64_t last_seq;
	size_t part_len;	/* bytes of an unfinished line */
	bool cr;		/* the unfinished line ends with '\r' */
	/* a call is handed on when the next line shows whether a "# stack" line follows it */
	bool pending;
	struct bwr_event ev;	/* the call read, not yet handed on */
	struct bwr_stack stack;
	unsigned char stack_data[BWR_MAX_STACK_BYTES];
	char part[BWR_MAX_STACK_LINE + 2];
};
void bwr_parser_init(struct bwr_parser *p, struct bwr_history *h);
/* n bytes of text; eof: nothing more will come (an unfinished line is a line). */
enum bwr_parse_result bwr_parser_feed(struct bwr_parser *p, struct bwr_history *h,
				      const char *text, size_t n, bool eof,
				      bwr_event_fn fn, void *ctx, struct bwr_error *err);
bool bwr_parser_header_done(const struct bwr_parser *p);
/*
 * Hand on the last call read, without waiting for the line after it: for a
 * reader at the current end of a file that grows (-f). The module writes a
 * call and its "# stack" line in one go, so at the end of a read both are in.
 */
enum bwr_parse_result bwr_parser_flush(struct bwr_parser *p, struct bwr_history *h,
				       bwr_event_fn fn, void *ctx);
/* Count an event in h's totals (bwr_parser_feed() does). */
void bwr_history_count(struct bwr_history *h, const struct bwr_event *e);

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

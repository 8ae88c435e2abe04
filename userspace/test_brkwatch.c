// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests (parser, formatter) and command-line tests on canned proc text
 * in tests/data/, found next to this binary. Prints TAP; exits non-zero on
 * any failure. Writes only under $TMPDIR (default /tmp).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format.h"
#include "json.h"
#include "jsoncheck.h"
#include "maps.h"
#include "procfile.h"
#include "prom.h"
#include "source.h"
#include "unwind.h"
#include "util.h"

static int n_test, n_fail;
static char dir[PATH_MAX];	/* where this binary is: userspace/ */
static char data[PATH_MAX + 32];

static void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		n_fail++;
}

static char *slurp(const char *path, size_t *len)
{
	char *buf;

	if (bwr_read_file(path, &buf, len)) {
		printf("# cannot read %s\n", path);
		exit(1);
	}
	buf = realloc(buf, *len + 1);
	buf[*len] = '\0';
	return buf;
}

static char *canned(const char *name, size_t *len)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", data, name);
	return slurp(path, len);
}

/* Parse text; on error return the line and copy the message. */
static enum bwr_parse_result parse(const char *text, size_t len, struct bwr_history *h,
				   struct bwr_error *e)
{
	return bwr_parse_history(text, len, h, e);
}

static const char header[] =
	"# brkwatch 1\n# pid 1234\n# ppid 1200\n# comm demo\n# state running\n# uid 1000\n"
	"# start_brk 0x000055ff09543000\n# start_data 0x000055ff08f2e000\n"
	"# end_data 0x000055ff08f2f010\n# brk 0x000055ff09564000\n# calls 2\n# dropped 0\n"
	"# columns seq time_ns tid entry request brk_before brk_after aligned_before "
	"aligned_after delta ret duration_ns verdict details\n";
static const char call1[] =
	"1 5123456789 1234 x64 0x0000000000000000 0x000055ff09543000 0x000055ff09543000 "
	"0x000055ff09543000 0x000055ff09543000 0 0x000055ff09543000 2100 query -\n";
static const char call2[] =
	"2 5123470000 1234 x64 0x000055ff09564000 0x000055ff09543000 0x000055ff09564000 "
	"0x000055ff09543000 0x000055ff09564000 135168 0x000055ff09564000 53000 grow -\n";

/* Replace the first `from` in t (of size `size`) by `to`. */
static void replace(char *t, size_t size, const char *from, const char *to)
{
	char *p = strstr(t, from);

	if (!p || strlen(t) - strlen(from) + strlen(to) >= size) {
		printf("Bail out! test text '%s' not found\n", from);
		exit(1);
	}
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
}

/* header + the lines given, as one string (static buffer) */
static const char *doc(const char *lines)
{
	static char buf[1 << 16];

	snprintf(buf, sizeof(buf), "%s%s", header, lines);
	return buf;
}

/* Expect a rejection at line `line` whose message contains `what`. */
static void rejects(const char *text, size_t len, unsigned line, const char *what,
		    const char *name)
{
	struct bwr_history h;
	struct bwr_error e;
	enum bwr_parse_result r = parse(text, len, &h, &e);

	ok(r != BWR_OK && e.line == line && strstr(e.msg, what), "rejects %s (line %u: %s)",
	   name, e.line, e.msg);
	if (r == BWR_OK)
		bwr_history_free(&h);
}

/* ---- call stacks (format 2) ---- */

/* A "# stack" line for seq with regs r (17) and n bytes of data d. malloc'ed. */
static char *stack_line(uint64_t seq, const uint64_t *r, const unsigned char *d, size_t n)
{
	size_t cap = 64 + BWR_STACK_REGS * 20 + 2 * n + 32, off;
	char *s = malloc(cap);

	off = (size_t)snprintf(s, cap, "# stack seq=%" PRIu64 " regs=", seq);
	for (int i = 0; i < BWR_STACK_REGS; i++)
		off += (size_t)snprintf(s + off, cap - off, "%s0x%016" PRIx64, i ? "," : "", r[i]);
	off += (size_t)snprintf(s + off, cap - off, " bytes=%zu data=", n);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off, "%02x", d[i]);
	snprintf(s + off, cap - off, "\n");
	return s;
}

/* header (format 2) + lines: malloc'ed */
static char *doc2(const char *lines)
{
	size_t n = strlen(header) + strlen(lines) + 1;
	char *s = malloc(n);

	snprintf(s, n, "# brkwatch 2\n%s%s", header + 13, lines);
	return s;
}

static char *join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

struct got_events {
	size_t n, with_stack;
	uint64_t stack_seq;
	size_t stack_len;
	unsigned char first, last;
};

static enum bwr_parse_result count_stacks(void *ctx, const struct bwr_history *h,
					  const struct bwr_event *e)
{
	struct got_events *g = ctx;

	(void)h;
	g->n++;
	if (!e->is_exec && e->call.stack) {
		g->with_stack++;
		g->stack_seq = e->call.stack->seq;
		g->stack_len = e->call.stack->len;
		g->first = e->call.stack->len ? e->call.stack->data[0] : 0;
		g->last = e->call.stack->len ? e->call.stack->data[e->call.stack->len - 1] : 0;
	}
	return BWR_OK;
}

static void stack_rejects(const char *line, const char *what, const char *name)
{
	char *body = join3(call1, line, "");
	char *t = doc2(body);

	rejects(t, strlen(t), 15, what, name);
	free(t);
	free(body);
}

static void test_stack_parser(void)
{
	uint64_t r[BWR_STACK_REGS];
	unsigned char d[8192];
	struct bwr_history h;
	struct bwr_error e;
	char *sl, *body, *t;

	for (int i = 0; i < BWR_STACK_REGS; i++)
		r[i] = 0x7ffc00000000u + (uint64_t)i * 0x111;
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(i * 7 + 3);

	sl = stack_line(1, r, d, 64);
	body = join3(call1, sl, call2);
	t = doc2(body);
	ok(parse(t, strlen(t), &h, &e) == BWR_OK && h.version == 2 && h.n_ev == 2 &&
	   h.ev[0].call.stack && !h.ev[1].call.stack && h.ev[0].call.stack->seq == 1 &&
	   h.ev[0].call.stack->len == 64 && !memcmp(h.ev[0].call.stack->data, d, 64) &&
	   !memcmp(h.ev[0].call.stack->regs, r, sizeof(r)),
	   "format 2: the stack line goes with the call above it, registers and bytes as written (%s)",
	   e.msg);
	if (!e.msg[0])
		bwr_history_free(&h);
	{
		/* the streaming parser, fed a byte at a time, hands the stack on with its call */
		struct bwr_parser *p = malloc(sizeof(*p));
		struct got_events g = { 0 };
		enum bwr_parse_result pr = BWR_OK;

		bwr_parser_init(p, &h);
		for (size_t i = 0; i < strlen(t) && !pr; i++)
			pr = bwr_parser_feed(p, &h, t + i, 1, false, count_stacks, &g, &e);
		ok(!pr && g.n == 1 && g.with_stack == 1 && g.stack_seq == 1 && g.stack_len == 64 &&
		   g.first == d[0] && g.last == d[63],
		   "streaming, a byte at a time: the call is handed on with its stack once the "
		   "next line shows it (%zu events)", g.n);
		pr = bwr_parser_flush(p, &h, count_stacks, &g);
		ok(!pr && g.n == 2 && g.with_stack == 1,
		   "bwr_parser_flush() hands on the last call without waiting for a next line");
		pr = bwr_parser_feed(p, &h, NULL, 0, true, count_stacks, &g, &e);
		ok(!pr && g.n == 2, "and it is not handed on twice at the end");
		free(p);
	}
	free(t);
	free(body);
	free(sl);

	/* 8 KiB of stack: a line longer than BWR_MAX_LINE, allowed for stack lines only */
	sl = stack_line(2, r, d, sizeof(d));
	body = join3(call1, call2, sl);
	t = doc2(body);
	ok(parse(t, strlen(t), &h, &e) == BWR_OK && h.n_ev == 2 && h.ev[1].call.stack &&
	   h.ev[1].call.stack->len == sizeof(d) && !memcmp(h.ev[1].call.stack->data, d, sizeof(d)),
	   "a stack line of 8192 bytes (%zu characters), the last line (%s)", strlen(sl), e.msg);
	if (!e.msg[0])
		bwr_history_free(&h);
	free(t);
	free(body);
	free(sl);

	sl = stack_line(1, r, d, 0);
	body = join3(call1, sl, "");
	t = doc2(body);
	ok(parse(t, strlen(t), &h, &e) == BWR_OK && h.ev[0].call.stack &&
	   h.ev[0].call.stack->len == 0, "a stack of 0 bytes (registers only)");
	if (!e.msg[0])
		bwr_history_free(&h);
	free(t);
	free(body);

	/* refused */
	body = join3(call1, sl, "");
	t = join3(header, body, "");
	rejects(t, strlen(t), 15, "a stack line in a format 1 history", "a stack line in format 1");
	free(t);
	free(body);
	t = doc2(sl);
	rejects(t, strlen(t), 14, "not right under a call line", "a stack line with no call above");
	free(t);
	body = join3(call1, sl, sl);
	t = doc2(body);
	rejects(t, strlen(t), 16, "not right under a call line", "two stack lines under one call");
	free(t);
	free(body);
	body = join3("# exec time_ns=5 tid=1234 comm=x start_brk=0x1000 start_data=0x0 end_data=0x0\n",
		     sl, "");
	t = doc2(body);
	rejects(t, strlen(t), 15, "not right under a call line", "a stack line under an exec line");
	free(t);
	free(body);
	free(sl);
	sl = stack_line(2, r, d, 8);
	stack_rejects(sl, "the stack of seq 2 under the call of seq 1", "a stack of another seq");
	free(sl);

	sl = stack_line(1, r, d, 8);
	{
		/* the good line with one thing changed: what the parser says, and the case */
		static const struct {
			const char *from, *to, *what, *name;
		} bad[] = {
			{ ",0x00007ffc00001110", "", "expected 17 registers, found 16",
			  "16 registers" },
			{ "0x00007ffc00001110", "0x00007ffc00001110,0x1",
			  "expected 17 registers, found 18", "18 registers" },
			{ "0x00007ffc00001110", "0x00007ffc0000111g", "bad value for register 16",
			  "a register not in hex" },
			{ ",0x00007ffc00000111,", ",,", "'regs': empty register",
			  "an empty register" },
			{ "bytes=8", "bytes=9", "'data' has 16 hex digits, 'bytes' says 9",
			  "bytes and data disagree" },
			{ "bytes=8", "bytes=65537", "bad value for 'bytes'",
			  "more bytes than any stack_bytes" },
			{ "data=03", "data=0A", "not a lowercase hex digit at byte 0",
			  "uppercase hex in data" },
			{ " bytes=8", "", "expected 4 key=value fields, found 3", "a missing field" },
			{ "seq=1", "sequence=1", "expected 'seq=' at 'sequence=1'",
			  "a misnamed field" },
			{ "seq=1", "seq=0", "bad value for 'seq'", "seq 0" },
		};
		char buf[1024];

		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			snprintf(buf, sizeof(buf), "%s", sl);
			replace(buf, sizeof(buf), bad[k].from, bad[k].to);
			stack_rejects(buf, bad[k].what, bad[k].name);
		}
		stack_rejects("# stack\n", "expected 4 key=value fields, found 0", "an empty stack line");
	}
	free(sl);
	{
		/* an ordinary line stays bounded by BWR_MAX_LINE, a stack line by its own bound */
		size_t n = BWR_MAX_STACK_LINE + 100;
		char *big = malloc(n + 2), *doc_t;

		memset(big, 'x', n);
		memcpy(big, "# stack ", 8);
		big[n] = '\n';
		big[n + 1] = '\0';
		body = join3(call1, big, "");
		doc_t = doc2(body);
		rejects(doc_t, strlen(doc_t), 15, "longer than 131584 bytes", "an overlong stack line");
		free(doc_t);
		free(body);
		memset(big, '#', 5000);
		big[5000] = '\n';
		big[5001] = '\0';
		body = join3(call1, big, "");
		doc_t = doc2(body);
		rejects(doc_t, strlen(doc_t), 15, "longer than 4096 bytes",
			"a 5000-byte line that is not a stack line");
		free(doc_t);
		free(body);
		free(big);
	}
}

/* The vocabulary the reader takes from the module's <brkwatch.h>. */
static void test_abi(void)
{
	static const char *const refusals[] = {
		"below-min", "rlimit-data", "shrink-failed", "limits",
		"mlock-limit", "overlap", "nomem", "interrupted",
	};
	const char *c = BRKWATCH_COLUMNS;
	unsigned words = 1, refused = 0, listed = 0;

	for (; *c; c++)
		words += *c == ' ';
	ok(words == BRKWATCH_NR_COLUMNS, "BRKWATCH_COLUMNS names %u columns, BRKWATCH_NR_COLUMNS %d",
	   words, BRKWATCH_NR_COLUMNS);
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++) {
		bool in_list = false;

		for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
			in_list |= !strcmp(bwr_verdict_name(v), refusals[i]);
		refused += bwr_verdict_refused(v);
		listed += in_list;
		if (bwr_verdict_refused(v) != in_list)
			break;
	}
	ok(refused == 8 && listed == 8, "the refusals are the eight verdicts of the man page");
	ok(!bwr_verdict_refused(BRKWATCH_NR_VERDICTS) && !bwr_verdict_refused(-1),
	   "no verdict out of range is a refusal");
	ok(!strcmp(bwr_next_kind_name(BRKWATCH_NEXT_GROWSDOWN), "growsdown") &&
	   !strcmp(bwr_next_kind_name(BRKWATCH_NR_NEXT_KINDS), "?"),
	   "next kinds are named, out of range is '?'");
}

static void test_parser(void)
{
	struct bwr_history h;
	struct bwr_error e;
	char buf[8192];
	size_t len;
	char *text;

	snprintf(buf, sizeof(buf), "%s%s%s", header, call1, call2);
	ok(parse(buf, strlen(buf), &h, &e) == BWR_OK && h.n_ev == 2 && h.pid == 1234 &&
	   h.ppid == 1200 && h.uid == 1000 && !h.exited && h.comm.len == 4 &&
	   h.start_brk == 0x55ff09543000 && h.brk == 0x55ff09564000 && h.calls == 2 &&
	   h.ev[1].call.delta == 135168 && h.ev[1].call.verdict == BRKWATCH_GROW &&
	   h.ev[0].call.verdict == BRKWATCH_QUERY && h.ev[1].call.duration_ns == 53000,
	   "parses the example of module/ABI/procfs-brkwatch");
	bwr_history_free(&h);

	/* a line quoted in an error reads as it was: spaces stay spaces */
	snprintf(buf, sizeof(buf), "%s%s", header, call1);
	replace(buf, sizeof(buf), "# pid 1234", "# pid 12 34");
	rejects(buf, strlen(buf), 2, "bad value for 'pid': '12 34'", "a bad value, quoted readably");

	/* records that contradict themselves are malformed, never "16 EiB" */
	{
		char t[8192], l[512];

		snprintf(l, sizeof(l), "%s", call2);
		replace(l, sizeof(l), "0x000055ff09543000 0x000055ff09564000 0x000055ff09543000 "
			"0x000055ff09564000 135168", "0x000055ff09564000 0x000055ff09543000 "
			"0x000055ff09564000 0x000055ff09543000 -135168");
		snprintf(t, sizeof(t), "%s%s%s", header, call1, l);
		rejects(t, strlen(t), 15, "verdict 'grow' with delta -135168", "a grow with a negative delta");
		snprintf(l, sizeof(l), "%s", call2);
		replace(l, sizeof(l), "135168 0x000055ff09564000 53000 grow", "135168 0x000055ff09564000 53000 overlap");
		snprintf(t, sizeof(t), "%s%s%s", header, call1, l);
		rejects(t, strlen(t), 15, "verdict 'overlap' with delta 135168", "a refusal that mapped pages");
		snprintf(l, sizeof(l), "%s", call2);
		replace(l, sizeof(l), "0x000055ff09543000 0x000055ff09564000 135168",
			"0x000055ff09542000 0x000055ff09564000 135168");
		snprintf(t, sizeof(t), "%s%s%s", header, call1, l);
		replace(t, sizeof(t), "0x000055ff09542000 0x000055ff09564000 135168",
			"0x000055ff09542000 0x000055ff09564000 139264");
		rejects(t, strlen(t), 15, "'aligned_before': 0x000055ff09542000 is not brk_before rounded",
			"aligned values that are not the page-rounded breaks");
		snprintf(t, sizeof(t), "%s%s%s", header, call1, call2);
		replace(t, sizeof(t), "# dropped 0", "# dropped 3");
		rejects(t, strlen(t), 12, "3 calls dropped of 2 seen", "more dropped than calls");
	}

	text = canned("proc/1234", &len);
	ok(parse(text, len, &h, &e) == BWR_OK && h.n_ev == 10 &&
	   h.ev[5].call.verdict == BRKWATCH_RLIMIT_DATA && h.ev[5].call.limit == 67108864 &&
	   h.ev[5].call.details == (BWR_D_LIMIT | BWR_D_SIZE) &&
	   h.ev[6].call.verdict == BRKWATCH_OVERLAP && h.ev[6].call.next_kind == BRKWATCH_NEXT_ANON &&
	   h.ev[6].call.next_start == 0x55ff09743000 && !h.ev[6].call.gap_only &&
	   h.ev[7].call.ret_errno == -4 && h.ev[9].call.err == -12,
	   "parses every verdict's details (canned 1234): %s", e.msg);
	bwr_history_free(&h);
	free(text);

	text = canned("proc/2000", &len);
	ok(parse(text, len, &h, &e) == BWR_OK && h.n_ev == 5 && h.has_exec && h.ev[1].is_exec &&
	   h.ev[1].exec.comm.len == 7 && !memcmp(h.ev[1].exec.comm.s, "my prog", 7) &&
	   h.comm.len == 7 && h.ev[4].call.ia32 && h.exited && h.dropped == 5,
	   "parses exec markers, escaped comm, ia32, exited (canned 2000): %s", e.msg);
	{
		struct bwr_walk w;
		bool k[5];
		uint64_t b[5];

		bwr_walk_init(&h, &w);
		for (size_t i = 0; i < h.n_ev && i < 5; i++) {
			bwr_walk_step(&w, &h.ev[i]);
			k[i] = w.known;
			b[i] = w.base;
		}
		ok(!k[0] && k[1] && k[4] && b[4] == 0x57e1c000,
		   "heap base is unknown before the first exec, the exec's start_brk after");
	}
	bwr_history_free(&h);
	free(text);

	/* CRLF and a missing final newline */
	{
		char crlf[8192] = "";
		const char *p = doc(call1);

		for (size_t i = 0, o = 0; p[i] && o < sizeof(crlf) - 2; i++) {
			if (p[i] == '\n')
				crlf[o++] = '\r';
			crlf[o++] = p[i];
			crlf[o] = '\0';
		}
		ok(parse(crlf, strlen(crlf), &h, &e) == BWR_OK && h.n_ev == 1, "accepts CRLF line ends");
		bwr_history_free(&h);
	}
	snprintf(buf, sizeof(buf), "%s%s", header, call1);
	ok(parse(buf, strlen(buf) - 1, &h, &e) == BWR_OK && h.n_ev == 1,
	   "accepts a missing final newline");
	bwr_history_free(&h);
	ok(parse(header, strlen(header), &h, &e) == BWR_OK && h.n_ev == 0, "accepts no calls");
	bwr_history_free(&h);

	rejects("", 0, 1, "truncated", "empty input");
	rejects("hello\n", 6, 1, "not a brkwatch history", "another file");
	rejects(header, 60, 5, "", "a header cut inside a line");
	{
		const char *p = header;

		for (int i = 0; i < 7; i++)
			p = strchr(p, '\n') + 1;
		rejects(header, (size_t)(p - header), 8, "truncated: expected header '# start_data'",
			"a header cut at a line end");
	}
	{
		const char *d = doc("# brkwatch 3\n");

		(void)d;
		snprintf(buf, sizeof(buf), "# brkwatch 3\n%s", header + 13);
		rejects(buf, strlen(buf), 1, "format version 3", "an unknown format version");
		ok(parse(buf, strlen(buf), &h, &e) == BWR_E_VERSION, "unknown version is BWR_E_VERSION");
	}
	memcpy(buf, doc(call1), strlen(header) + 41);
	buf[strlen(header) + 10] = '\0';
	rejects(buf, strlen(header) + 40, 14, "NUL", "a NUL byte");
	snprintf(buf, sizeof(buf), "%.*s", (int)(strlen(call1) - 9), call1);
	rejects(doc(buf), strlen(doc(buf)), 14, "missing column 'verdict'", "missing columns");
	rejects(doc("1 2 3\n"), strlen(doc("1 2 3\n")), 14, "missing column 'entry'", "a short line");
	{
		char *big = malloc(BWR_MAX_LINE + 200);

		memset(big, '1', BWR_MAX_LINE + 100);
		big[BWR_MAX_LINE + 100] = '\0';
		rejects(doc(big), strlen(doc(big)), 14, "longer than", "an overlong line");
		free(big);
	}
#define REPLACE(from, to, line, what, name) do { \
		char t[8192]; \
		snprintf(t, sizeof(t), "%s%s%s", header, call1, call2); \
		replace(t, sizeof(t), from, to); \
		rejects(t, strlen(t), line, what, name); \
	} while (0)
	REPLACE("1 5123456789", "0 5123456789", 14, "'seq'", "a seq of 0");
	REPLACE("1 5123456789", "18446744073709551616 5123456789", 14, "'seq'", "a seq above 2^64");
	{
		/* The module numbers calls with 48 bits: past 2^32 is no error. */
		char t[8192];

		snprintf(t, sizeof(t), "%s%s%s", header, call1, call2);
		replace(t, sizeof(t), "1 5123456789", "4294967296 5123456789");
		replace(t, sizeof(t), "2 5123470000", "4294967297 5123470000");
		ok(parse(t, strlen(t), &h, &e) == BWR_OK && h.n_ev == 2 &&
		   h.ev[1].call.seq == 4294967297ULL, "a seq above 2^32 is read as it is");
		bwr_history_free(&h);
	}
	REPLACE("5123456789", "18446744073709551616", 14, "'time_ns'", "a time above 2^64");
	REPLACE("0x0000000000000000", "0x10000000000000000", 14, "'request'", "17 hex digits");
	REPLACE("0x0000000000000000", "0000000000000000", 14, "'request'", "hex without 0x");
	REPLACE(" 135168 ", " 99999999999999999999 ", 15, "'delta'", "a delta above 2^63");
	REPLACE(" 135168 ", " 4096 ", 15, "aligned_after - aligned_before", "an inconsistent delta");
	REPLACE("grow -", "grown -", 15, "unknown verdict 'grown'", "an unknown verdict");
	REPLACE("grow -", "grow foo=1", 15, "unknown key 'foo'", "an unknown details key");
	REPLACE("grow -", "grow err=-1,err=-2", 15, "twice", "a repeated details key");
	REPLACE("grow -", "grow err=5", 15, "bad value for 'err'", "a positive err");
	REPLACE("grow -", "grow next_kind=heap", 15, "next_kind", "an unknown next_kind");
	REPLACE("grow -", "grow limit=1,", 15, "empty", "a trailing comma in details");
	REPLACE("grow -", "grow - extra", 15, "more than 14 columns", "an extra column");
	REPLACE(" x64 0x000055ff0956", " arm 0x000055ff0956", 15, "'entry'", "an unknown entry");
	REPLACE("2 5123470000", "1 5123470000", 15, "not increasing", "a repeated seq");
	REPLACE("0x000055ff09564000 53000", "-4096 53000", 15, "'ret'", "an errno out of range");
	REPLACE("# comm demo", "# comm de\\09o", 4, "'comm'", "a bad octal escape");
	REPLACE("# comm demo", "# comm d mo", 4, "'comm'", "a raw space in comm");
	REPLACE("# state running", "# state zombie", 5, "'state'", "an unknown state");
	REPLACE("# ppid 1200", "# ppid -1", 3, "bad value for 'ppid'", "a negative ppid");
	REPLACE("# uid 1000", "# uid 4294967296", 6, "bad value for 'uid'", "a uid above 2^32");
	REPLACE("# end_data 0x000055ff08f2f010", "# end_data 55ff08f2f010", 9,
		"bad value for 'end_data'", "an end_data without 0x");
	REPLACE("# dropped 0", "# dropped x", 12, "bad value for 'dropped'", "a dropped that is no number");
	REPLACE("query -\n", "query -\n# exec time_ns=1 tid=2 comm=ls start_brk=0x1 start_data=0x2 end_data=3\n",
		15, "bad value for 'end_data'", "an exec line's end_data without 0x");
	REPLACE("# uid 1000\n", "", 6, "'# uid", "a missing header line");
	REPLACE("query -\n", "query -\n\n", 15, "empty line", "an empty line");
	REPLACE("query -\n", "query -\n# note hi\n", 15, "unexpected comment", "an unknown comment");
	REPLACE("query -\n", "query -\n# exec time_ns=1 tid=2\n", 15, "exec line", "a short exec line");
	REPLACE("seq time_ns", "seq time", 13, "unexpected columns", "other columns");
	{
		char t[8192];

		snprintf(t, sizeof(t), "%s%s", header, call1);
		replace(t, sizeof(t), "# comm demo", "# comm \\377mo");
		ok(parse(t, strlen(t), &h, &e) == BWR_OK && (unsigned char)h.comm.s[0] == 0xff,
		   "decodes \\377 in comm");
		bwr_history_free(&h);
	}
	/* thousands of lines, and the bound */
	{
		size_t n = BWR_MAX_EVENTS + 1, cap = strlen(header) + n * 160, o;
		char *t = malloc(cap);
		const char *rest = strchr(call1, ' ');

		o = (size_t)sprintf(t, "%s", header);
		for (size_t i = 1; i <= n; i++)
			o += (size_t)sprintf(t + o, "%zu%s", i, rest);
		{
			const char *p = t + strlen(header);

			for (int i = 0; i < 5000; i++)
				p = strchr(p, '\n') + 1;
			ok(parse(t, (size_t)(p - t), &h, &e) == BWR_OK && h.n_ev == 5000,
			   "parses 5000 calls");
		}
		bwr_history_free(&h);
		rejects(t, o, 13 + (unsigned)n, "more than", "more events than the bound");
		free(t);
	}
	/* random corruption must never crash and always explain itself */
	{
		unsigned seed = 12345, bad = 0;

		snprintf(buf, sizeof(buf), "%s%s%s", header, call1, call2);
		len = strlen(buf);
		for (int i = 0; i < 20000; i++) {
			char t[8192];
			size_t l = len - (size_t)(rand_r(&seed) % 40);

			memcpy(t, buf, len);
			for (int k = 0; k < 3; k++)
				t[rand_r(&seed) % l] = (char)rand_r(&seed);
			if (parse(t, l, &h, &e) == BWR_OK)
				bwr_history_free(&h);
			else if (!e.msg[0])
				bad++;
		}
		ok(bad == 0, "20000 corrupted inputs: no crash, every rejection has a message");
	}
}

static void test_status(void)
{
	struct bwr_status *st = malloc(sizeof(*st));
	struct bwr_error e;
	size_t len;
	char *text = canned("proc/status", &len);
	char lost[16][BWR_LOSS_LEN];

	ok(bwr_parse_status(text, len, st, &e) == BWR_OK && st->n == 20 &&
	   bwr_status_u64(st, "memory_cap_bytes") == 67108864 &&
	   !strcmp(bwr_status_get(st, "kernel"), "6.1.0-56-amd64") &&
	   bwr_status_losses(st, lost, 16) == 0, "parses the status file, nothing lost");
	free(text);
	text = canned("lossy/status", &len);
	ok(bwr_parse_status(text, len, st, &e) == BWR_OK && bwr_status_losses(st, lost, 16) == 6 &&
	   strstr(lost[0], "17 calls overwritten"), "counts the losses in a lossy status");
	ok(bwr_parse_status(text, (size_t)((char *)memchr(text + len / 2, '\n', len - len / 2) - text) + 1, st, &e) != BWR_OK &&
	   strstr(e.msg, "missing"),
	   "rejects a truncated status (%s)", e.msg);
	{
		char t[4096];

		snprintf(t, sizeof(t), "%s", text);
		memcpy(strstr(t, "calls_seen: 40"), "calls_seen: 4x", 14);
		ok(bwr_parse_status(t, strlen(t), st, &e) != BWR_OK && e.line == 7,
		   "rejects a bad number with its line (%u: %s)", e.line, e.msg);
		snprintf(t, sizeof(t), "%sformat: 1\n", text);
		ok(bwr_parse_status(t, strlen(t), st, &e) != BWR_OK && strstr(e.msg, "twice"),
		   "rejects a repeated key");
		snprintf(t, sizeof(t), "%snew_counter: 7\n", text);
		ok(bwr_parse_status(t, strlen(t), st, &e) == BWR_OK && bwr_status_u64(st, "new_counter") == 7,
		   "keeps keys it does not know");
	}
	free(text);
	free(st);
}

static void test_units(void)
{
	char b[64];

	ok(!strcmp(bwr_human_delta(0, b, sizeof(b)), "0"), "0 bytes is '0'");
	ok(!strcmp(bwr_human_delta(135168, b, sizeof(b)), "+132 KiB"), "+132 KiB");
	ok(!strcmp(bwr_human_delta(-4096, b, sizeof(b)), "-4 KiB"), "-4 KiB");
	ok(!strcmp(bwr_human_delta(1572864, b, sizeof(b)), "+1.5 MiB"), "+1.5 MiB");
	ok(!strcmp(bwr_human_delta(100, b, sizeof(b)), "+100 B"), "+100 B");
	ok(!strcmp(bwr_human_delta(INT64_MIN, b, sizeof(b)), "-8 EiB"), "INT64_MIN is -8 EiB");
	ok(!strcmp(bwr_human_size(0, b, sizeof(b)), "0 B"), "size 0 B");
	ok(!strcmp(bwr_since(5000123456, 5000000000, b, sizeof(b)), "+0.000123s"), "+0.000123s");
	ok(!strcmp(bwr_offset(0x1000, 0x3000, b, sizeof(b)), "-0x2000"), "negative offset");
	ok(!strcmp(bwr_escape("a b\\\n\xff", 6, b, sizeof(b)), "a\\040b\\134\\012\\377"),
	   "escapes space, backslash, newline, high bytes");
	ok(strlen(bwr_escape("0123456789", 10, b, 8)) < 8, "escape output is bounded");
}

static void test_maps(void)
{
	struct bwr_mapping m;
	size_t len;
	char *text = canned("proc/1234.maps", &len);

	ok(bwr_maps_next_above(text, len, 0x55ff09565000, &m) && m.start == 0x7f3a1c000000 &&
	   m.name[0] == '\0', "finds the next (anonymous) mapping above the heap");
	ok(bwr_maps_next_above(text, len, 0x7f3a1c021000, &m) &&
	   !strcmp(m.name, "/usr/lib/x86_64-linux-gnu/libc.so.6"), "names a file mapping");
	ok(!bwr_maps_next_above(text, len, 0x7fffffffffff, &m), "nothing above the stack");
	free(text);
}

/*
 * The canned histories must be what the kernel can write: a call that got
 * past brk()'s RLIMIT_DATA check (any verdict after rlimit-data in the
 * kernel's order) cannot ask for more than the limit a refusal of the same
 * program showed.
 */
static void check_producible(const char *name)
{
	struct bwr_history h;
	struct bwr_error e;
	struct bwr_walk w;
	size_t len;
	char *text = canned(name, &len);
	uint64_t limit = UINT64_MAX;
	bool good = true;

	if (parse(text, len, &h, &e) != BWR_OK) {
		ok(false, "canned %s parses (line %u: %s)", name, e.line, e.msg);
		free(text);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		bwr_walk_init(&h, &w);
		for (size_t i = 0; i < h.n_ev; i++) {
			const struct bwr_call *c = &h.ev[i].call;
			uint64_t data;

			bwr_walk_step(&w, &h.ev[i]);
			if (h.ev[i].is_exec) {
				limit = pass ? limit : UINT64_MAX;
				continue;
			}
			if (!w.known)
				continue;
			data = w.end_data - w.start_data;
			if (c->verdict == BRKWATCH_RLIMIT_DATA && (c->details & BWR_D_LIMIT)) {
				limit = c->limit;
				continue;
			}
			if (!pass || c->verdict <= BRKWATCH_RLIMIT_DATA ||
			    c->verdict == BRKWATCH_INTERRUPTED || c->request < w.base)
				continue;
			if (c->request - w.base + data > limit) {
				printf("# %s seq %" PRIu64 ": %s asks for %" PRIu64 " bytes, over RLIMIT_DATA %" PRIu64 "\n",
				       name, c->seq, bwr_verdict_name(c->verdict),
				       c->request - w.base + data, limit);
				good = false;
			}
		}
	}
	ok(good, "canned %s: no call past RLIMIT_DATA's check asks for more than its limit", name);
	bwr_history_free(&h);
	free(text);
}

static bool lines_fit(const char *s, size_t width);
static bool valid_json(const char *s, enum jc_what what);

/* A history in text -> what bwr_print_history() prints (malloc'ed) */
static char *render_text(const char *text, const struct bwr_opts *o)
{
	struct bwr_history h;
	struct bwr_error e;
	size_t out_len;
	char *out = NULL;
	FILE *f;

	if (parse(text, strlen(text), &h, &e) != BWR_OK) {
		printf("Bail out! test text does not parse: line %u: %s\n", e.line, e.msg);
		exit(1);
	}
	f = open_memstream(&out, &out_len);
	bwr_print_history(f, &h, o, NULL, 0);
	fclose(f);
	bwr_history_free(&h);
	return out;
}

/* Column of `what` in each table row (lines starting with a seq); true if all equal */
static bool aligned_at(const char *out, const char *what, int *rows)
{
	long col = -1;

	*rows = 0;
	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
		const char *p = strstr(l, what), *nl = l + strcspn(l, "\n");

		if (strspn(l, " ") < 6 && *l != ' ')
			continue;
		if (!p || p > nl || !strchr("0123456789", l[strspn(l, " ")]))
			continue;
		if (col >= 0 && p - l != col)
			return false;
		col = p - l;
		(*rows)++;
	}
	return true;
}

/* Command names in UTF-8 print as UTF-8, in text and JSON; invalid bytes are escaped. */
static void test_utf8_comm(void)
{
	struct bwr_opts plain = { 0 };
	char text[1 << 16], *out;
	struct bwr_history h;
	struct bwr_error e;
	struct bwr_json j;
	size_t len;
	FILE *f;

	snprintf(text, sizeof(text), "%s", doc(call1));
	replace(text, sizeof(text), "# comm demo", "# comm caf\\303\\251\\377\\302\\205");
	replace(text, sizeof(text), "# calls 2", "# calls 1");
	replace(text, sizeof(text), "# brk 0x000055ff09564000", "# brk 0x000055ff09543000");
	out = render_text(text, &plain);
	ok(strstr(out, "comm       caf\xc3\xa9\\377\\302\\205\n") != NULL,
	   "text: a UTF-8 comm as UTF-8, a bad byte and a C1 control escaped");
	free(out);
	if (parse(text, strlen(text), &h, &e) != BWR_OK) {
		printf("Bail out! %s\n", e.msg);
		exit(1);
	}
	out = NULL;
	f = open_memstream(&out, &len);
	bwr_json_begin(&j, f);
	bwr_json_history(&j, &h, false, false);
	bwr_json_end(&j);
	fclose(f);
	ok(strstr(out, "\"comm\": \"caf\xc3\xa9\\u00ff\\u00c2\\u0085\"") && valid_json(out, JC_PROCESS),
	   "JSON: a UTF-8 comm as UTF-8, a bad byte as \\u00XX");
	free(out);
	bwr_history_free(&h);
}

/* Times past 100 s, past a day: the table keeps its columns. */
static void test_time_column(void)
{
	struct bwr_opts plain = { 0 };
	char text[1 << 16], calls[4096], *out;
	const char *line2 = call2 + 2;	/* after "2 " */
	int rows = 0;

	snprintf(calls, sizeof(calls), "%s%s", call1, call2);
	/* the same grow at +150 s and at +200000 s, as same-page calls of 0 bytes */
	for (int i = 0; i < 2; i++) {
		char l[512];
		uint64_t t = 5123456789ull + (i ? 200000ull : 150ull) * 1000000000ull;

		snprintf(l, sizeof(l), "%d %" PRIu64 "%s", 3 + i, t,
			 strchr(line2, ' '));
		replace(l, sizeof(l), "0x000055ff09564000 0x000055ff09543000 0x000055ff09564000 "
			"0x000055ff09543000 0x000055ff09564000 135168",
			"0x000055ff09564000 0x000055ff09564000 0x000055ff09564000 "
			"0x000055ff09564000 0x000055ff09564000 0");
		replace(l, sizeof(l), " grow -", " same-page -");
		strncat(calls, l, sizeof(calls) - strlen(calls) - 1);
	}
	snprintf(text, sizeof(text), "%s", doc(calls));
	replace(text, sizeof(text), "# calls 2", "# calls 4");
	out = render_text(text, &plain);
	ok(aligned_at(out, " -> ", &rows) && rows == 4 && strstr(out, "+150.000000s") &&
	   strstr(out, "+200000s"), "the TIME column keeps the table aligned past 100 s (%d rows)", rows);
	if (rows != 4)
		printf("# %s\n", out);
	free(out);
}

/* --chart of a long history: still 80 columns. */
static void test_chart_wide(void)
{
	struct bwr_opts chart = { .chart = true };
	size_t cap = 1 << 20, n = 0;
	char *text = malloc(cap), *out, *axis;
	uint64_t brk = 0x55ff09543000ull;

	n += (size_t)snprintf(text, cap, "%s", header);
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t next = brk + ((i % 4) == 3 ? 0 : 4096);
		const char *v = next == brk ? "same-page" : "grow";

		n += (size_t)snprintf(text + n, cap - n, "%u %u 1234 x64 0x%016" PRIx64 " 0x%016" PRIx64
				      " 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 " %d 0x%016" PRIx64
				      " 2000 %s -\n", 999001 + i, 600000000u + i, next, brk, next, brk,
				      next, next == brk ? 0 : 4096, next, v);
		brk = next;
	}
	replace(text, cap, "# calls 2", "# calls 1000000");
	replace(text, cap, "# dropped 0", "# dropped 999000");
	out = render_text(text, &chart);
	ok(strstr(out, "heap size after each call") && lines_fit(strstr(out, "heap size after each call"), 80),
	   "--chart of 1000 calls numbered up to 1000000 fits 80 columns");
	axis = strstr(out, "0 +");
	ok(axis && strcspn(axis, "x\n") == strcspn(axis, "\n") && !strstr(out, "x on the axis"),
	   "--chart of calls none refused: no x on the axis, no legend for it");
	free(out);
	free(text);
}

static void test_data_producible(void)
{
	static const char *const names[] = {
		"proc/1234", "proc/1235", "proc/2000", "proc/3000", "explain/4000", "explain/4001",
		"real/120", "real/157", "real/164", "real/178", "real/180", "real/182", "real/186", "stacks/4100",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_producible(names[i]);
}

/* ---- the JSON against brkwatch(1)'s schema (jsoncheck.c) ---- */

/* Whether s is valid JSON of the documented schema; if not, why on a TAP comment. */
static bool valid_json(const char *s, enum jc_what what)
{
	char why[256];

	if (jc_valid(s, what, why, sizeof(why)))
		return true;
	printf("# not the documented JSON: %s\n", why);
	return false;
}

/* ---- formatter, through a memory stream ---- */

static char *render(const char *name, const struct bwr_opts *o, bool json, const char *maps_name)
{
	struct bwr_history h;
	struct bwr_error e;
	size_t len, out_len, maps_len = 0;
	char *text = canned(name, &len), *out = NULL, *maps = NULL;
	FILE *f = open_memstream(&out, &out_len);

	if (maps_name)
		maps = canned(maps_name, &maps_len);
	if (parse(text, len, &h, &e) != BWR_OK) {
		printf("# %s: %u: %s\n", name, e.line, e.msg);
		exit(1);
	}
	if (json) {
		struct bwr_json j;

		bwr_json_begin(&j, f);	/* as show --json prints it */
		bwr_json_u64(&j, "schema", BWR_JSON_SCHEMA);
		bwr_json_str(&j, "command", "show", 4);
		bwr_json_bool(&j, "relative", o->relative);
		bwr_json_key_obj(&j, "process");
		bwr_json_history(&j, &h, o->relative, true);
		bwr_json_close(&j, '}');
		bwr_json_end(&j);
	} else {
		bwr_print_history(f, &h, o, maps, maps_len);
	}
	fclose(f);
	bwr_history_free(&h);
	free(text);
	free(maps);
	return out;
}

static bool lines_fit(const char *s, size_t width)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		if (n > width)
			return false;
		s += n + (s[n] ? 1 : 0);
	}
	return true;
}

static void squash(char *s);

static void test_format(void)
{
	struct bwr_opts plain = { 0 }, rel = { .relative = true }, expl = { .explain = true },
		       chart = { .chart = true };
	char *a, *b;

	a = render("proc/1234", &plain, false, NULL);
	ok(strstr(a, "pid        1234 (parent 1200, uid 1000)") && strstr(a, "+132 KiB  grow") &&
	   strstr(a, "-68 KiB  shrink") && strstr(a, "interrupted (-4)") &&
	   strstr(a, "refused    5 calls: below-min 1, rlimit-data 1, overlap 1, nomem 1, interrupted 1") &&
	   strstr(a, "grown      +136 KiB in 2 calls") && strstr(a, "heap       68 KiB now"),
	   "table, header and totals of canned 1234");
	free(a);
	a = render("proc/2000", &plain, false, NULL);
	ok(strstr(a, "exec my\\040prog") && strstr(a, "5 calls are not shown"),
	   "exec marker and dropped calls are shown");
	free(a);
	a = render("proc/1234", &rel, false, NULL);
	b = render("proc/1235", &rel, false, NULL);
	ok(!strcmp(a, b) && !strstr(a, "55ff") && strstr(a, "+0x21000") && strstr(a, " T1 "),
	   "--relative: two runs at different addresses print the same");
	free(a);
	free(b);
	a = render("proc/1234", &rel, true, NULL);
	b = render("proc/1235", &rel, true, NULL);
	ok(!strcmp(a, b) && !strstr(a, "55ff") && !strstr(a, "time_ns") && valid_json(a, JC_DOCUMENT),
	   "--relative --json: the same document for both runs");
	free(a);
	free(b);
	a = render("proc/1234", &expl, false, "proc/1234.maps");
	squash(a);	/* the explanations wrap where their words fall */
	ok(strstr(a, "mapped 33 pages (132") && strstr(a, "/proc/1234/maps") &&
	   strstr(a, "268509200 bytes (256.1 MiB)") && strstr(a, "67108864 bytes (64 MiB)") &&
	   strstr(a, "-EINTR") && strstr(a, "err=-12") && strstr(a, "unmapped") &&
	   strstr(a, "same 4 KiB page") && strstr(a, "top pad"),
	   "--explain gives each call's numbers");
	free(a);
	a = render("proc/1234", &chart, false, NULL);
	b = strstr(a, "heap size after each call");
	ok(b && lines_fit(b, 80) && strstr(b, "x-----") && strchr(b, '#') &&
	   strstr(b, "(x on the axis: a refused call)"),
	   "--chart fits 80 columns and marks refusals, with a legend");
	free(a);
	a = render("proc/2000", &chart, false, NULL);
	b = strstr(a, "heap size after each call");
	ok(b && lines_fit(b, 80) && strstr(b, "seq 4"), "--chart shows the current heap only");
	free(a);
	a = render("proc/1234", &plain, true, NULL);
	ok(valid_json(a, JC_DOCUMENT) && strstr(a, "\"verdict\": \"rlimit-data\"") &&
	   strstr(a, "\"start_brk\": \"0x000055ff09543000\"") && strstr(a, "\"ret_errno\": -4") &&
	   strstr(a, "\"next_kind\": \"anon\"") && strstr(a, "\"limit\": 67108864"),
	   "--json is valid and has every field");
	free(a);
	a = render("proc/2000", &plain, true, NULL);
	ok(valid_json(a, JC_DOCUMENT) && strstr(a, "\"comm\": \"my prog\"") && strstr(a, "\"type\": \"exec\""),
	   "--json with an exec marker");
	free(a);
}

/* ---- the command line, end to end ---- */

struct cli_result {
	int status;
	char *out, *err;
};

static char *read_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static int tmpfile_fd(void)
{
	const char *t = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/brkwatch-test.XXXXXX", t && *t ? t : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		printf("Bail out! cannot create %s: %s\n", path, strerror(errno));
		exit(1);
	}
	unlink(path);
	return fd;
}

/*
 * Run ./brkwatch with BRKWATCH_PROC=env and the arguments in ap. With
 * no_override, root's power to read any file (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH) is dropped from the child's bounding set first, so
 * that file permissions hold for it as for anyone (status 98 if that fails).
 */
static rlim_t cli_as_limit = RLIM_INFINITY;	/* the child's RLIMIT_AS */

static struct cli_result vcli(const char *env, bool no_override, va_list ap)
{
	struct cli_result r;
	char *argv[16], exe[PATH_MAX + 16];
	int out = tmpfile_fd(), err = tmpfile_fd(), n = 1, st;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/brkwatch", dir);
	argv[0] = exe;
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	argv[n] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (no_override && geteuid() == 0 &&
		    (prctl(PR_CAPBSET_DROP, 1 /* CAP_DAC_OVERRIDE */, 0, 0, 0) ||
		     prctl(PR_CAPBSET_DROP, 2 /* CAP_DAC_READ_SEARCH */, 0, 0, 0)))
			_exit(98);
		setenv("BRKWATCH_PROC", env, 1);
		if (cli_as_limit != RLIM_INFINITY &&
		    setrlimit(RLIMIT_AS, &(struct rlimit){ cli_as_limit, cli_as_limit }))
			_exit(97);
		dup2(out, 1);
		dup2(err, 2);
		execv(exe, argv);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = read_fd(out);
	r.err = read_fd(err);
	return r;
}

/*
 * Run ./brkwatch with BRKWATCH_PROC=env, a path; with no_override as a
 * caller without root's override.
 */
static struct cli_result cli_at(const char *env, int no_override, ...)
{
	struct cli_result r;
	va_list ap;

	/* an int: va_start() after a parameter that is promoted is undefined */
	va_start(ap, no_override);
	r = vcli(env, no_override != 0, ap);
	va_end(ap);
	return r;
}

/* Run ../brkwatch with BRKWATCH_PROC=tests/data/<root> (NULL: a missing directory). */
static struct cli_result cli(const char *root, ...)
{
	char env[PATH_MAX + 64];
	struct cli_result r;
	va_list ap;

	snprintf(env, sizeof(env), "%s/%s", data, root ? root : "no-such-dir");
	va_start(ap, root);
	r = vcli(env, false, ap);
	va_end(ap);
	return r;
}

static void done(struct cli_result *r)
{
	free(r->out);
	free(r->err);
}

/* Copy canned file tests/data/<name> to path, with mode. */
static void copy_canned(const char *name, const char *path, mode_t mode)
{
	size_t len;
	char *text = canned(name, &len);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) || close(fd)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(text);
}

/*
 * Exit 4 and list's unreadable entries: a proc root in $TMPDIR where
 * history 1234 has mode 0 (readable by nobody but root's override, which
 * the reader runs without) and 2000 is readable.
 */
static void test_permission(void)
{
	const char *t = getenv("TMPDIR");
	char root[PATH_MAX], p1[PATH_MAX + 16], p2[PATH_MAX + 16], p3[PATH_MAX + 16];
	struct cli_result r;

	snprintf(root, sizeof(root), "%s/brkwatch-perm.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(root) || chmod(root, 0755)) {
		printf("Bail out! cannot create %s: %s\n", root, strerror(errno));
		exit(1);
	}
	snprintf(p1, sizeof(p1), "%s/1234", root);
	snprintf(p2, sizeof(p2), "%s/2000", root);
	snprintf(p3, sizeof(p3), "%s/status", root);
	copy_canned("proc/1234", p1, 0);
	copy_canned("proc/2000", p2, 0644);
	copy_canned("proc/status", p3, 0644);

	r = cli_at(root, true, "1234", NULL);
	ok(r.status == 4 && strstr(r.err, "permission denied reading") && strstr(r.err, "/1234") &&
	   !r.out[0], "permission denied: exit 4, says who may read it (status %d)", r.status);
	done(&r);
	r = cli_at(root, true, "--json", "1234", NULL);
	ok(r.status == 4 && !r.out[0], "permission denied with --json: exit 4, no output");
	done(&r);
	r = cli_at(root, true, "2000", NULL);
	ok(r.status == 0 && strstr(r.out, "exec my\\040prog"), "a readable history beside it: exit 0");
	done(&r);
	r = cli_at(root, true, "list", NULL);
	ok(r.status == 0 && strstr(r.out, "my\\040prog") && !strstr(r.out, "demo") &&
	   strstr(r.out, "(1 more process not shown: only their owner and root"),
	   "list with an unreadable entry: shows the rest, counts it");
	done(&r);
	r = cli_at(root, true, "list", "--json", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"unreadable\": 1") &&
	   strstr(r.out, "\"malformed\": 0") && strstr(r.out, "\"pid\": 2000") &&
	   !strstr(r.out, "\"pid\": 1234"), "list --json with an unreadable entry");
	done(&r);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	rmdir(root);
}

/* All that fd (a file) holds so far, without moving its offset. */
static char *peek_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while ((n = pread(fd, buf + len, cap - len - 1, (off_t)len)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

/* Replaces path's content at once (a reader never sees half a file). */
static void put_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 16];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) || rename(tmp, path)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/*
 * Writes text over path's content in place (the same file, as a proc file
 * grows under an open reader): text must extend the old content, with header
 * lines of the same lengths.
 */
static void grow_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	size_t len = strlen(text);

	if (fd < 0 || pwrite(fd, text, len, 0) != (ssize_t)len || close(fd)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Waits up to 10 s until fd's output holds what; true if it does. */
static bool wait_output(int fd, const char *what)
{
	for (int i = 0; i < 1000; i++) {
		char *out = peek_fd(fd);
		bool found = strstr(out, what) != NULL;

		free(out);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}

/* Waits up to seconds for pid to exit (true), else kills it (false); *st its status. */
static bool wait_exit(pid_t pid, int *st, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, st, 0);
	return false;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/*
 * Starts ./brkwatch -f 1234 with BRKWATCH_PROC=root, both its output
 * streams to fd, for a test to change the history while it follows.
 */
static pid_t follow_start(const char *root, int fd)
{
	char exe[PATH_MAX + 16];
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/brkwatch", dir);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setenv("BRKWATCH_PROC", root, 1);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(exe, exe, "-f", "1234", (char *)NULL);
		_exit(99);
	}
	return pid;
}

/*
 * -f on a live process: the history grows while brkwatch follows it; each
 * new call is printed once, a gap in seq is reported, and the process's
 * exit ends it with status 0.
 */
static void test_follow_live(void)
{
	static const char call3[] =
		"3 5123480000 1234 x64 0x000055ff09554000 0x000055ff09564000 0x000055ff09554000 "
		"0x000055ff09564000 0x000055ff09554000 -65536 0x000055ff09554000 30000 shrink -\n";
	static const char call5[] =
		"5 5123500000 1234 x64 0x000055ff09556000 0x000055ff09554000 0x000055ff09556000 "
		"0x000055ff09554000 0x000055ff09556000 8192 0x000055ff09556000 30000 grow -\n";
	const char *t = getenv("TMPDIR");
	char root[PATH_MAX], path[PATH_MAX + 16], text[8192], *out;
	int fd = tmpfile_fd(), st = -1;
	bool seen2, seen3, ended = false;
	pid_t pid;

	snprintf(root, sizeof(root), "%s/brkwatch-follow.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(root)) {
		printf("Bail out! cannot create %s: %s\n", root, strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/status", root);
	copy_canned("proc/status", path, 0644);
	snprintf(path, sizeof(path), "%s/1234", root);
	snprintf(text, sizeof(text), "%s%s%s", header, call1, call2);
	put_file(path, text);

	pid = follow_start(root, fd);
	seen2 = wait_output(fd, " grow\n");
	/* a shrink */
	snprintf(text, sizeof(text), "%s%s%s%s", header, call1, call2, call3);
	replace(text, sizeof(text), "# calls 2", "# calls 3");
	replace(text, sizeof(text), "# brk 0x000055ff09564000", "# brk 0x000055ff09554000");
	grow_file(path, text);
	seen3 = wait_output(fd, " shrink\n");
	/* call 4 dropped, call 5, and the process exits (a header of another length: anew) */
	snprintf(text, sizeof(text), "%s%s%s%s%s", header, call1, call2, call3, call5);
	replace(text, sizeof(text), "# calls 2", "# calls 5");
	replace(text, sizeof(text), "# dropped 0", "# dropped 1");
	replace(text, sizeof(text), "# brk 0x000055ff09564000", "# brk 0x000055ff09556000");
	/*
	 * call 2, read already, made unreadable: a reader that follows from where
	 * it stopped never reads it again; one that re-read the file would stop
	 * on it (exit 5)
	 */
	replace(text, sizeof(text), " 53000 grow -", " 53000 xxxx -");
	grow_file(path, text);
	replace(text, sizeof(text), "# state running", "# state exited");
	put_file(path, text);
	ended = wait_exit(pid, &st, 10);
	out = peek_fd(fd);
	ok(seen2 && seen3, "-f on a live process: prints each call as it comes");
	ok(ended && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "-f on a live process: reads on from where it stopped, ends with status 0 when it exits");
	ok(count(out, " query\n") == 1 && count(out, " grow\n") == 2 && count(out, " shrink\n") == 1 &&
	   strstr(out, "(1 call dropped before seq 5)"),
	   "-f on a live process: every call once, and the dropped one said");
	if (!ended || count(out, " grow\n") != 2)
		printf("# output:\n%s\n", out);
	free(out);
	close(fd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/status", root);
	unlink(path);
	rmdir(root);
}

/* Runs of spaces and newlines (the explanations wrap) made one space. */
static void squash(char *s)
{
	char *d = s;
	bool space = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n') {
			space = true;
			continue;
		}
		if (space && d != s)
			*d++ = ' ';
		space = false;
		*d++ = *s;
	}
	*d = '\0';
}

/*
 * --explain of the refusals the real files lack: tests/data/explain/4000
 * holds one call of each (with the numbers the module would print).
 */
static void test_explain(void)
{
	static const char *const want[][2] = {
		{ "shrink-failed: no heap mapping below the old break, and the range it kept",
		  "from 0x55ff09564000 to 0x55ff09550000, but the kernel found no heap mapping "
		  "below the old break 0x55ff09564000 (or could not unmap), so [0x55ff09550000, "
		  "0x55ff09564000) stayed mapped. It returned 0x55ff09564000, the old break." },
		{ "limits", "check_brk_limits refused the new end 0x8000000000000000 (pages "
		  "0x55ff09564000 -> 0x8000000000000000): the range is outside what this address "
		  "space allows (TASK_SIZE, mmap_min_addr) (err=-12). The kernel returned "
		  "0x55ff09564000, the old break." },
		{ "mlock-limit", "(mlockall(MCL_FUTURE)), and locking 16 pages (64 KiB) more would "
		  "exceed RLIMIT_MEMLOCK, so check_brk_limits refused (err=-11). The kernel returned "
		  "0x55ff09564000, the old break." },
		{ "overlap in the guard gap", "The grown heap would end at 0x55ff09565000, but the "
		  "next mapping [0x55ff09574000, 0x55ff09578000) (growsdown) keeps a stack guard gap "
		  "below it that reaches within a page of that end. The kernel refused and returned "
		  "0x55ff09564000, the old break." },
		{ "unknown", "The module could not tell which check decided this call (a probe was "
		  "missing or missed it); the call returned 0x55ff09564000." },
		{ "interrupted", "interrupted (-4) A fatal signal arrived while the call waited for "
		  "the mmap lock (down_write_killable): the kernel gave up, returned -4 (-EINTR) and "
		  "the break did not move." },
		{ "nomem: every cause do_brk_flags has", "do_brk_flags could not map 1 page (4 KiB): "
		  "may_expand_vm refused it (RLIMIT_AS, or RLIMIT_DATA on all private writable "
		  "memory), or vm.max_map_count, the overcommit policy, or allocating the mapping "
		  "failed (err=-12)." },
		{ "the totals", "refused 6 calls: shrink-failed 1, limits 1, mlock-limit 1, overlap 1, "
		  "nomem 1, interrupted 1 unknown 1 call the module could not classify" },
	};
	/* tests/data/explain/4001: two execs with different data segments */
	static const char *const want2[][2] = {
		{ "after an exec, heap + data is the exec line's data segment",
		  "The kernel checked RLIMIT_DATA (heap + data = 136 KiB)" },
		{ "after a second exec, its own data segment", "(heap + data = 644 KiB)" },
		{ "grow names check_brk_limits and the guard gap", "check_brk_limits() accepted "
		  "the range, no mapping (nor the stack guard gap below one) reaches within a page "
		  "of the new end" },
		{ "limits: the page-rounded end, not the request", "check_brk_limits refused the "
		  "new end 0x7ffffffff800 (pages 0x562000121000 -> 0x800000000000)" },
		{ "overlap: a mapping starting exactly at the new end", "(anon) starts exactly "
		  "at that end, leaving no free page between them" },
	};
	struct cli_result r = cli("explain", "--explain", "4000", NULL);
	size_t i;

	squash(r.out);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(r.status == 0 && strstr(r.out, want[i][1]), "--explain: %s", want[i][0]);
	if (r.status || !strstr(r.out, want[0][1]))
		printf("# status %d, output: %s\n", r.status, r.out);
	done(&r);
	r = cli("explain", "--explain", "4001", NULL);
	squash(r.out);
	for (i = 0; i < sizeof(want2) / sizeof(want2[0]); i++)
		ok(r.status == 0 && strstr(r.out, want2[i][1]), "--explain: %s", want2[i][0]);
	if (r.status || !strstr(r.out, want2[0][1]))
		printf("# status %d, output: %s\n", r.status, r.out);
	done(&r);
}

/* A proc root in $TMPDIR with the canned status in it; returns its path in root. */
static void temp_root(char *root, size_t size, const char *name)
{
	const char *t = getenv("TMPDIR");
	char path[PATH_MAX + 16];

	snprintf(root, size, "%s/brkwatch-%s.XXXXXX", t && *t ? t : "/tmp", name);
	if (!mkdtemp(root)) {
		printf("Bail out! cannot create %s: %s\n", root, strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/status", root);
	copy_canned("proc/status", path, 0644);
}

/* Removes what temp_root() made, and the files named in it. */
static void remove_root(const char *root)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		printf("# could not remove %s\n", root);
}

static char *svg_facts(const char *path);

/*
 * run: the report goes to stderr (or -o), apart from COMMAND's output. The
 * command writes its own history (canned 1234, renamed to its pid) into the
 * proc root, as the module would have, then prints "hello".
 */
static void test_run_report(void)
{
	char root[PATH_MAX], src[PATH_MAX * 2], script[3 * PATH_MAX + 128], out[PATH_MAX + 16];
	char *file;
	struct cli_result r;
	size_t len;

	temp_root(root, sizeof(root), "run");
	snprintf(src, sizeof(src), "%s/proc/1234", data);
	snprintf(script, sizeof(script),
		 "sed -e \"s/^# pid 1234$/# pid $$/\" '%s' > \"$BRKWATCH_PROC/$$\" && echo hello",
		 src);
	r = cli_at(root, false, "run", "--", "sh", "-c", script, NULL);
	ok(r.status == 0 && !strcmp(r.out, "hello\n") && strstr(r.err, "comm       demo") &&
	   strstr(r.err, "refused    5 calls") && strstr(r.err, " rlimit-data\n"),
	   "run: the report on stderr, the command's output alone on stdout");
	done(&r);
	r = cli_at(root, false, "run", "--json", "--", "sh", "-c", script, NULL);
	ok(r.status == 0 && !strcmp(r.out, "hello\n") && valid_json(r.err, JC_DOCUMENT),
	   "run --json: stderr is one JSON document, stdout the command's");
	done(&r);
	r = cli_at(root, false, "run", "-o", "-", "--", "sh", "-c", script, NULL);
	ok(r.status == 0 && !strncmp(r.out, "hello\n", 6) && strstr(r.out, "comm       demo") &&
	   !r.err[0], "run -o -: the report on stdout");
	done(&r);
	snprintf(out, sizeof(out), "%s/report", root);
	r = cli_at(root, false, "run", "-o", out, "--json", "--", "sh", "-c", script, NULL);
	file = slurp(out, &len);
	ok(r.status == 0 && !strcmp(r.out, "hello\n") && !r.err[0] && valid_json(file, JC_DOCUMENT),
	   "run -o FILE: the report in FILE only");
	free(file);
	done(&r);
	r = cli("proc", "-o", "-", "1234", NULL);
	ok(r.status == 0 && strstr(r.out, "comm       demo"), "show -o -: stdout");
	done(&r);
	snprintf(out, sizeof(out), "%s/run.svg", root);
	r = cli_at(root, false, "run", "--svg", out, "--", "sh", "-c", script, NULL);
	file = svg_facts(out);
	ok(r.status == 0 && !strcmp(r.out, "hello\n") && (!file || strstr(file, "version 1.1")),
	   "run --svg FILE: the command's picture");
	free(file);
	done(&r);
	remove_root(root);
}

/* -o is opened only once the command line is known good, and only the last one. */
static void test_output_late(void)
{
	char root[PATH_MAX], a[PATH_MAX + 16], b[PATH_MAX + 16], *text;
	struct cli_result r;
	struct stat sb;
	size_t len;
	int fd;

	temp_root(root, sizeof(root), "late");
	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/b", root);
	r = cli("proc", "-o", a, "--bogus", "1234", NULL);
	ok(r.status == 1 && stat(a, &sb) && errno == ENOENT, "a bad option after -o: no file made");
	done(&r);
	r = cli("proc", "-o", a, "--json", "--explain", "1234", NULL);
	ok(r.status == 1 && stat(a, &sb) && errno == ENOENT, "a bad combination: no file made");
	done(&r);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "keep\n", 5) != 5 || close(fd)) {
		printf("Bail out! cannot write %s\n", a);
		exit(1);
	}
	r = cli("proc", "-o", a, "-o", b, "1234", NULL);
	text = slurp(a, &len);
	ok(r.status == 0 && !strcmp(text, "keep\n"), "-o a -o b: a is left alone");
	free(text);
	text = slurp(b, &len);
	ok(strstr(text, "comm       demo") != NULL, "-o a -o b: the report in b");
	free(text);
	done(&r);
	remove_root(root);
}

/*
 * Writes, into the FIFO path, a history of n calls as the module would: each
 * call grows the heap by a page, every 1024th is refused (below-min).
 */
static void write_history(const char *path, uint64_t n)
{
	uint64_t start = 0x55ff09543000ull, brk = start, grown = 0;
	FILE *f = fopen(path, "w");

	if (!f)
		_exit(1);
	for (uint64_t i = 1; i <= n; i++)
		grown += i % 1024 ? 4096 : 0;
	fprintf(f, "# brkwatch 1\n# pid 1234\n# ppid 1\n# comm big\n# state exited\n# uid 0\n"
		"# start_brk 0x%016" PRIx64 "\n# start_data 0x000055ff08f2e000\n"
		"# end_data 0x000055ff08f2f010\n# brk 0x%016" PRIx64 "\n# calls %" PRIu64 "\n"
		"# dropped 0\n# columns %s\n", start, start + grown, n, BRKWATCH_COLUMNS);
	for (uint64_t i = 1; i <= n; i++) {
		if (i % 1024 == 0) {
			fprintf(f, "%" PRIu64 " %" PRIu64 " 1234 x64 0x0000000000001000 0x%016" PRIx64
				" 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 " 0 0x%016" PRIx64
				" 1000 below-min -\n", i, 1000000 + i, brk, brk, brk, brk, brk);
			continue;
		}
		fprintf(f, "%" PRIu64 " %" PRIu64 " 1234 x64 0x%016" PRIx64 " 0x%016" PRIx64
			" 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 " 4096 0x%016" PRIx64
			" 1000 grow -\n", i, 1000000 + i, brk + 4096, brk, brk + 4096, brk,
			brk + 4096, brk + 4096);
		brk += 4096;
	}
	if (fclose(f))
		_exit(1);
}

/* The same in a child, times times over. */
static pid_t history_writer(const char *path, uint64_t n, int times)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	while (times--)
		write_history(path, n);
	_exit(0);
}

/*
 * Built with AddressSanitizer (make test-asan), which reserves terabytes of
 * address space for its shadow: no RLIMIT_AS can hold such a program.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif

/*
 * The module keeps up to 1,048,576 records per process: the reader reads
 * them all, as they come, in bounded memory (under RLIMIT_AS 96 MiB here,
 * less than the text or its events would take whole; without a limit under
 * AddressSanitizer, where the normal build's run holds the bound).
 */
static void test_big_history(void)
{
	const uint64_t n = 1048576 + 1000;
	char root[PATH_MAX], fifo[PATH_MAX + 16], devnull[] = "/dev/null";
	struct cli_result r;
	pid_t w;
	int st;

	temp_root(root, sizeof(root), "big");
	snprintf(fifo, sizeof(fifo), "%s/1234", root);
	if (mkfifo(fifo, 0600)) {
		printf("Bail out! mkfifo %s: %s\n", fifo, strerror(errno));
		exit(1);
	}
	cli_as_limit = TEST_ASAN ? RLIM_INFINITY : 96u << 20;
	w = history_writer(fifo, n, 1);
	r = cli_at(root, false, "list", NULL);
	waitpid(w, &st, 0);
	ok(r.status == 0 && strstr(r.out, "1049576") && strstr(r.out, "  1024\n"),
	   "list reads a history of 1049576 calls %s (status %d: %.200s)",
	   TEST_ASAN ? "(no memory bound under AddressSanitizer)" : "in bounded memory",
	   r.status, r.err);
	done(&r);
	w = history_writer(fifo, n, 1);
	r = cli_at(root, false, "-o", devnull, "-f", "--chart", "1234", NULL);
	waitpid(w, &st, 0);
	ok(r.status == 0 && !r.err[0], "-f --chart prints it all as it comes (status %d: %.200s)",
	   r.status, r.err);
	done(&r);
	cli_as_limit = RLIM_INFINITY;
	remove_root(root);
}

/* The table rows of a text report: lines that begin with a seq (right-aligned in 6). */
static int rows_with(const char *out, const char *what)
{
	int n = 0;

	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
		size_t sp = strspn(l, " "), len = strcspn(l, "\n");
		const char *p = strstr(l, what);

		if (sp < 6 && l[sp] >= '0' && l[sp] <= '9' && l[6] == ' ' && p && p < l + len)
			n++;
	}
	return n;
}

/* strace's habits: -p, filters, -t/-tt, -T, -c, the entry, a narrow table, -f --json. */
static void test_strace_habits(void)
{
	struct cli_result r, s;
	char *p;
	int ok_lines = 0, lines = 0;

	r = cli("proc", "-p", "1234", "-p", "2000", NULL);
	s = cli("proc", "show", "1234", "2000", NULL);
	ok(r.status == 0 && strstr(r.out, "=== process 1 of 2 ===\n") &&
	   strstr(r.out, "=== process 2 of 2 ===\n") && strstr(r.out, "comm       demo") &&
	   strstr(r.out, "comm       my\\040prog") && !strcmp(r.out, s.out),
	   "-p PID -p PID: both processes in one report, as show PID PID");
	done(&r);
	done(&s);
	r = cli("proc", "--json", "-p", "1234", "-p", "2000", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"processes\": [") &&
	   strstr(r.out, "\"pid\": 1234") && strstr(r.out, "\"pid\": 2000"),
	   "-p twice with --json: one document, a process each");
	done(&r);
	r = cli("proc", "-p", "1234", "-p", "999", NULL);
	ok(r.status == 3 && strstr(r.out, "comm       demo") && strstr(r.err, "no history for PID 999"),
	   "-p with one PID missing: the other shown, exit 3");
	done(&r);

	r = cli("proc", "--refused", "1234", NULL);
	ok(r.status == 0 && rows_with(r.out, " x64 ") == 5 && !rows_with(r.out, " grow") &&
	   rows_with(r.out, " rlimit-data") == 1 && strstr(r.out, "filter     5 "),
	   "--refused: the refused calls only (%d rows)", rows_with(r.out, " x64 "));
	done(&r);
	r = cli("proc", "--verdict", "grow,shrink", "1234", NULL);
	ok(r.status == 0 && rows_with(r.out, " x64 ") == 3 && rows_with(r.out, " grow") == 2 &&
	   rows_with(r.out, " shrink") == 1, "--verdict grow,shrink: those only");
	done(&r);
	r = cli("proc", "--tid", "1240", "1234", NULL);
	ok(r.status == 0 && rows_with(r.out, " x64 ") == 2 && rows_with(r.out, " 1240 ") == 2,
	   "--tid 1240: that thread's calls only");
	done(&r);
	r = cli("proc", "--json", "--refused", "1234", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && count(r.out, "\"type\": \"call\"") == 5 &&
	   !strstr(r.out, "\"verdict\": \"grow\""), "--json --refused: refused events only");
	done(&r);
	r = cli("proc", "--verdict", "grow,bogus", "1234", NULL);
	ok(r.status == 1 && strstr(r.err, "unknown verdict 'bogus'"), "--verdict with a bad name: exit 1");
	done(&r);

	r = cli("proc", "-tt", "1234", NULL);
	p = r.out ? strstr(r.out, "\n     1  ") : NULL;
	ok(r.status == 0 && p && p[11] == ':' && p[14] == ':' && p[17] == '.' &&
	   strspn(p + 18, "0123456789") == 6, "-tt: wall-clock times with microseconds");
	done(&r);
	r = cli("proc", "-t", "1234", NULL);
	p = r.out ? strstr(r.out, "\n     1  ") : NULL;
	ok(r.status == 0 && p && p[11] == ':' && p[14] == ':' && p[17] == ' ',
	   "-t: wall-clock times in seconds");
	done(&r);
	r = cli("proc", "-r", "-t", "1234", NULL);
	ok(r.status == 1, "-t with --relative (which hides times): exit 1");
	done(&r);
	r = cli("proc", "-T", "1234", NULL);
	ok(r.status == 0 && strstr(r.out, " query <0.000002010>\n") &&
	   strstr(r.out, " interrupted (-4) <0.000002080>\n"), "-T: each call's time in brk()");
	done(&r);
	r = cli("proc", "-c", "1234", NULL);
	ok(r.status == 0 && strstr(r.out, "% time     seconds      calls") &&
	   strstr(r.out, "          2    136 KiB        0 B  grow\n") &&
	   strstr(r.out, "         10    136 KiB     68 KiB  total\n") && !strstr(r.out, "REQUEST"),
	   "-c: calls, bytes and time per verdict, instead of the table");
	if (r.status || !strstr(r.out, "  total\n"))
		printf("# %s\n", r.out);
	done(&r);
	r = cli("proc", "2000", NULL);
	ok(rows_with(r.out, " ia32 ") == 3 && rows_with(r.out, " x64 ") == 1 && strstr(r.out, "ENTRY"),
	   "the entry (ia32) is in the table");
	done(&r);

	r = cli("proc", "-f", "--json", "2000", NULL);
	for (char *l = r.out; *l; ) {
		size_t n = strcspn(l, "\n");
		char save = l[n];

		l[n] = '\0';
		lines++;
		ok_lines += valid_json(l, JC_LINE);
		l[n] = save;
		l += n + (save ? 1 : 0);
	}
	ok(r.status == 0 && lines == 7 && ok_lines == 7 && !strncmp(r.out, "{\"type\": \"process\"", 18) &&
	   strstr(r.out, "\n{\"type\": \"end\""), "-f --json: JSON lines, a line per event (%d of %d valid)",
	   ok_lines, lines);
	done(&r);
}

/* Ctrl-C during -f: the totals of what was read, and exit 0. */
static void test_follow_interrupt(void)
{
	char root[PATH_MAX], path[PATH_MAX + 16], *out;
	int fd = tmpfile_fd(), st = 0;
	bool seen, ended = false;
	pid_t pid;

	temp_root(root, sizeof(root), "int");
	snprintf(path, sizeof(path), "%s/1234", root);
	copy_canned("proc/1234", path, 0644);	/* state running: -f waits */
	pid = follow_start(root, fd);
	seen = wait_output(fd, " nomem\n");
	kill(pid, SIGINT);
	ended = wait_exit(pid, &st, 5);
	out = peek_fd(fd);
	ok(seen && ended && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	   strstr(out, "refused    5 calls") && strstr(out, "grown      +136 KiB in 2 calls"),
	   "Ctrl-C during -f: the totals, exit 0");
	free(out);
	close(fd);
	remove_root(root);
}

/*
 * What an SVG shows, read back by python3's XML parser: "version", "scripts"
 * (script elements and on* attributes), "calls:VERDICT" per marked call,
 * "execs", "lines" (step lines), "keys" (legend entries), and the titles of
 * the sketch's rects ("heap", "stopper"). NULL without python3.
 */
static char *svg_facts(const char *path)
{
	static const char script[] =
		"import sys, collections, xml.etree.ElementTree as ET\n"
		"r = ET.parse(sys.argv[1]).getroot()\n"
		"ns = '{http://www.w3.org/2000/svg}'\n"
		"print('root', r.tag == ns + 'svg', 'version', r.get('version'))\n"
		"bad = [e for e in r.iter() if e.tag == ns + 'script' or "
		"any(a.startswith('on') for a in e.attrib)]\n"
		"print('scripts', len(bad))\n"
		"c = collections.Counter(e.get('class').split()[1] for e in r.iter(ns + 'circle') "
		"if e.get('class', '').startswith('call '))\n"
		"print('calls', ' '.join('%s=%d' % kv for kv in sorted(c.items())))\n"
		"print('keys', ' '.join(sorted(e.get('class').split()[1] for e in r.iter(ns + 'circle') "
		"if e.get('class', '').startswith('key '))))\n"
		"print('execs', sum(1 for e in r.iter(ns + 'line') if e.get('class') == 'exec'))\n"
		"print('lines', sum(1 for e in r.iter(ns + 'polyline') if e.get('class') == 'break'))\n"
		"for e in r.iter(ns + 'text'):\n"
		"    if 'to scale' in (e.text or ''):\n"
		"        print('scale', e.text)\n"
		"for e in r.iter(ns + 'rect'):\n"
		"    t = e.find(ns + 'title')\n"
		"    if e.get('class') in ('heap', 'stopper', 'gap'):\n"
		"        print(e.get('class'), t.text, 'width', e.get('width'))\n";
	char cmd[PATH_MAX + 64], *out = NULL;
	size_t len = 0, n;
	char buf[4096];
	FILE *p;

	if (access("/usr/bin/python3", X_OK))
		return NULL;
	{
		char tmp[PATH_MAX];
		const char *t = getenv("TMPDIR");
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s/brkwatch-svgcheck.py", t && *t ? t : "/tmp");
		f = fopen(tmp, "w");
		if (!f || fputs(script, f) == EOF || fclose(f))
			return NULL;
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s '%s' 2>&1", tmp, path);
		p = popen(cmd, "r");
		if (!p) {
			unlink(tmp);
			return NULL;
		}
		while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
			out = realloc(out, len + n + 1);
			memcpy(out + len, buf, n);
			len += n;
			out[len] = '\0';
		}
		pclose(p);
		unlink(tmp);
	}
	return out ? out : strdup("");
}

/* --svg: an SVG 1.1 file without scripts, whose marks are the history's calls. */
static void test_svg(void)
{
	char root[PATH_MAX], path[PATH_MAX + 16], *facts;
	struct cli_result r;

	temp_root(root, sizeof(root), "svg");
	snprintf(path, sizeof(path), "%s/1234.svg", root);
	r = cli("proc", "--svg", path, "1234", NULL);
	facts = svg_facts(path);
	if (!facts) {
		ok(true, "# SKIP --svg: no python3 to read the XML");
		done(&r);
		remove_root(root);
		return;
	}
	ok(r.status == 0 && strstr(r.out, "comm       demo") && strstr(facts, "root True version 1.1\n") &&
	   strstr(facts, "scripts 0\n"), "--svg: an SVG 1.1 document, no scripts, beside the report");
	ok(strstr(facts, "calls below-min=1 grow=2 interrupted=1 nomem=1 overlap=1 rlimit-data=1 "
		  "shrink=1\n") &&
	   strstr(facts, "keys below-min grow interrupted nomem overlap rlimit-data shrink\n"),
	   "--svg: a mark per grow, shrink and refusal, coloured by verdict, and their legend");
	ok(strstr(facts, "heap heap [0x55ff09543000, 0x55ff09554000) 68 KiB") &&
	   strstr(facts, "stopper the mapping that stopped a grow [0x55ff09743000, 0x55ff09943000) 2 MiB") &&
	   strstr(facts, "execs 0\nlines 1\n"),
	   "--svg: the sketch has the heap and the mapping that stopped a grow, to their addresses");
	ok(strstr(facts, " per pixel), from end_data 0x55ff08f2f010\n") != NULL,
	   "--svg: the sketch's scale and where it starts, each its own value");
	if (!strstr(facts, "lines 1\n") || !strstr(facts, "grow=2"))
		printf("# %s\n", facts);
	free(facts);
	done(&r);
	snprintf(path, sizeof(path), "%s/2000.svg", root);
	r = cli("proc", "--svg", path, "-o", "/dev/null", "2000", NULL);
	facts = svg_facts(path);
	ok(r.status == 0 && facts && strstr(facts, "execs 1\nlines 2\n") && strstr(facts, "calls grow=2\n"),
	   "--svg across an exec: its boundary, and a step line per heap");
	free(facts);
	done(&r);
	r = cli("proc", "--svg", "/nonexistent-dir/x.svg", "1234", NULL);
	ok(r.status == 6 && strstr(r.err, "cannot write /nonexistent-dir/x.svg") && !r.out[0],
	   "--svg to a file that cannot be made: exit 6, nothing printed");
	done(&r);
	remove_root(root);
}

/* On a terminal under 132 columns the narrow table; --wide or a pipe: the full one. */
static void test_narrow(void)
{
	char exe[PATH_MAX + 16], env[PATH_MAX + 64], out[65536];
	const char *want[] = { "OLD ALIGNED", NULL, "OLD ALIGNED" };
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	snprintf(exe, sizeof(exe), "%s/brkwatch", dir);
	snprintf(env, sizeof(env), "%s/proc", data);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		ok(true, "# SKIP no pseudo-terminal");
		return;
	}
	for (int wide = 0; wide < 2; wide++) {
		struct winsize ws = { .ws_row = 50, .ws_col = 100 };
		size_t len = 0;
		ssize_t n;
		pid_t pid;
		int st, sl = open(ptsname(m), O_RDWR | O_NOCTTY);

		ioctl(sl, TIOCSWINSZ, &ws);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			setenv("BRKWATCH_PROC", env, 1);
			dup2(sl, 1);
			execl(exe, exe, "1234", wide ? "--wide" : NULL, (char *)NULL);
			_exit(99);
		}
		close(sl);
		while (len < sizeof(out) - 1 && (n = read(m, out + len, sizeof(out) - 1 - len)) > 0)
			len += (size_t)n;
		out[len] = '\0';
		waitpid(pid, &st, 0);
		if (!wide)
			ok(!strstr(out, "OLD ALIGNED") && strstr(out, " BREAK ") && lines_fit(out, 100 + 1),
			   "a terminal of 100 columns: the narrow table, within it");
		else
			ok(strstr(out, want[2]) != NULL, "--wide on that terminal: the full table");
		/* the pty's master saw EOF: open another for the next run */
		if (!wide) {
			close(m);
			m = posix_openpt(O_RDWR | O_NOCTTY);
			if (m < 0 || grantpt(m) || unlockpt(m))
				return;
		}
	}
	close(m);
	(void)want;
}

/* Exit 6 (another error: a write error), -o, -V. */
static void test_output(void)
{
	const char *t = getenv("TMPDIR");
	char path[PATH_MAX], *file;
	struct cli_result r, s;
	size_t len;
	int fd;

	r = cli("proc", "-o", "/nonexistent-dir/report", "1234", NULL);
	ok(r.status == 6 && strstr(r.err, "cannot write /nonexistent-dir/report") && !r.out[0],
	   "-o in a missing directory: exit 6 (status %d)", r.status);
	done(&r);
	r = cli("proc", "-o", "/dev/full", "1234", NULL);
	ok(r.status == 6 && strstr(r.err, "writing the report failed"),
	   "a write error (/dev/full): exit 6 (status %d)", r.status);
	done(&r);
	snprintf(path, sizeof(path), "%s/brkwatch-out.XXXXXX", t && *t ? t : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		printf("Bail out! cannot create %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	r = cli("proc", "-o", path, "--json", "1234", NULL);
	s = cli("proc", "--json", "1234", NULL);
	file = slurp(path, &len);
	ok(r.status == 0 && !r.out[0] && !r.err[0] && s.status == 0 && !strcmp(file, s.out),
	   "-o FILE: the report goes there, the same as on stdout, nothing else");
	free(file);
	done(&r);
	done(&s);
	unlink(path);
	r = cli("proc", "-V", NULL);
	s = cli("proc", "--version", NULL);
	ok(r.status == 0 && !strncmp(r.out, "brkwatch ", 9) &&
	   strstr(r.out, "(proc format 2)\n") && !strcmp(r.out, s.out),
	   "-V and --version: the version and the proc format read");
	done(&r);
	done(&s);
}

static void test_cli(void)
{
	struct cli_result r, s;

	r = cli("proc", "1234", NULL);
	ok(r.status == 0 && strstr(r.out, "comm       demo") && !r.err[0], "brkwatch PID");
	s = cli("proc", "show", "1234", NULL);
	ok(s.status == 0 && !strcmp(r.out, s.out), "brkwatch show PID is the same");
	done(&r);
	done(&s);
	r = cli("proc", "--json", "show", "1234", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"command\": \"show\""),
	   "show --json is one valid document");
	done(&r);
	r = cli("proc", "-r", "--json", "1234", NULL);
	s = cli("proc", "1235", "--relative", "--json", NULL);
	ok(r.status == 0 && !strcmp(r.out, s.out), "--relative --json: diffable");
	done(&r);
	done(&s);
	r = cli("proc", "list", NULL);
	ok(r.status == 0 && strstr(r.out, "demo") && strstr(r.out, "my\\040prog") &&
	   strstr(r.out, "idle") && !strstr(r.out, "maps"), "list shows every process");
	done(&r);
	r = cli("proc", "list", "--json", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"pid\": 3000"), "list --json");
	done(&r);
	r = cli("proc", "status", NULL);
	ok(r.status == 0 && strstr(r.out, "nothing lost"), "status: nothing lost, exit 0");
	done(&r);
	/*
	 * In a PID namespace (a container) the files keep the initial
	 * namespace's names, and their "# pid" lines the reader's numbers.
	 */
	r = cli("pidns", "list", "--json", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"pid\": 7,") &&
	   strstr(r.out, "\"pid\": 9,") && !strstr(r.out, "\"pid\": 4242") && !strstr(r.out, "\"pid\": 430") &&
	   !strstr(r.out, "\"comm\": \"old\"") &&
	   count(r.out, "\"pid\": 9,") == 1,
	   "pidns: list gives the processes under the pids of their # pid lines, a reused pid once");
	done(&r);
	r = cli("pidns", "7", NULL);
	ok(r.status == 0 && strstr(r.out, "demo") && strstr(r.out, "grow"),
	   "pidns: show 7 finds the file whose # pid line says 7 (named 4242)");
	done(&r);
	r = cli("pidns", "9", NULL);
	ok(r.status == 0 && strstr(r.out, "new") && !strstr(r.out, "old"),
	   "pidns: a pid two files give: the newest file's (highest name)");
	done(&r);
	r = cli("pidns", "8", NULL);
	ok(r.status == 3 && strstr(r.err, "no history for PID 8"), "pidns: a pid no file gives: exit 3");
	done(&r);
	r = cli("lossy", "status", NULL);
	ok(r.status == 7 && strstr(r.out, "SOMETHING IS LOST") && strstr(r.out, "17 calls") &&
	   strstr(r.out, "probes not attached: check_brk_limits") && strstr(r.out, "5 calls the module could not classify"),
	   "status says clearly what was lost, exit 7");
	ok(strstr(r.out, "memory_cap_kib=") && strstr(r.out, "maxactive=") &&
	   strstr(r.out, "(echo resume > /proc/brkwatch/control)") && !strstr(r.out, "memory_cap_bytes)"),
	   "status's hints name the module's real parameters and the control file's path");
	done(&r);
	r = cli("lossy", "status", "--json", NULL);
	ok(r.status == 7 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"lost\": true") &&
	   strstr(r.out, "\"probes_missing\": [\n      \"check_brk_limits\""), "status --json");
	done(&r);
	/* Files the module printed in the test VMs: every verdict kind seen. */
	r = cli("real", "list", "--json", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"pid\": 186"),
	   "real files from the module: list --json");
	done(&r);
	r = cli("real", "--json", "178", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"verdict\": \"overlap\"") &&
	   strstr(r.out, "\"next_kind\": \"anon\""), "real overlap record: --json");
	done(&r);
	r = cli("real", "--explain", "164", NULL);
	ok(r.status == 0 && strstr(r.out, "rlimit-data") && strstr(r.out, "RLIMIT_DATA"),
	   "real rlimit-data record: --explain");
	done(&r);
	r = cli("real", "status", NULL);
	ok(r.status == 7 && strstr(r.out, "6.12.117") && strstr(r.out, "30050 calls overwritten"),
	   "real status file: its ring losses, exit 7");
	done(&r);
	r = cli(NULL, "1234", NULL);
	ok(r.status == 2 && strstr(r.err, "sudo insmod module/brkwatch.ko"),
	   "module not loaded: exit 2, says how to load it");
	done(&r);
	r = cli(NULL, "status", NULL);
	ok(r.status == 2, "status without the module: exit 2");
	done(&r);
	r = cli("proc", "999", NULL);
	ok(r.status == 3 && strstr(r.err, "no history for PID 999"), "no history: exit 3");
	done(&r);
	r = cli("lossy", "66", NULL);
	ok(r.status == 5 && strstr(r.err, "66 line 15:") && !r.out[0],
	   "malformed line: exit 5, names the line, prints nothing of the file");
	done(&r);
	r = cli("lossy", "--json", "66", NULL);
	ok(r.status == 5 && strstr(r.err, "66 line 15:") && !r.out[0],
	   "malformed line with --json: exit 5, no document");
	done(&r);
	r = cli("lossy", "68", NULL);
	ok(r.status == 5 && strstr(r.err, "68 line 2: the history says '# pid 999'"),
	   "a file named 68 that says '# pid 999': exit 5, names the line");
	done(&r);
	r = cli("lossy", "67", NULL);
	ok(r.status == 5 && strstr(r.err, "line 1: format version 3"), "unknown version: exit 5");
	done(&r);
	r = cli("lossy", "list", NULL);
	ok(r.status == 5 && strstr(r.err, "line 15"), "list reports a malformed file, exit 5");
	done(&r);
	r = cli("proc", NULL);
	ok(r.status == 1, "no arguments: usage error, exit 1");
	done(&r);
	r = cli("proc", "bogus", NULL);
	ok(r.status == 1 && strstr(r.err, "unknown command"), "unknown command: exit 1");
	done(&r);
	r = cli("proc", "--json", "--explain", "1234", NULL);
	ok(r.status == 1, "--json with --explain: exit 1");
	done(&r);
	r = cli("proc", "12x", NULL);
	ok(r.status == 1, "a bad PID: exit 1");
	done(&r);
	r = cli("proc", "--help", NULL);
	{
		int lines = 0;

		for (char *p = r.out; *p; p++)
			lines += *p == '\n';
		ok(r.status == 0 && lines <= 24 && lines_fit(r.out, 80), "--help fits a screen (%d lines)",
		   lines);
	}
	done(&r);
	r = cli("proc", "-f", "2000", NULL);
	ok(r.status == 0 && strstr(r.out, "exec my\\040prog") && strstr(r.out, "grown"),
	   "--follow on an exited process prints it and stops");
	s = cli("proc", "2000", NULL);
	ok(!strcmp(r.out, s.out) && strstr(s.out, "(2 calls dropped before seq 4)\n") &&
	   strstr(s.out, "(3 calls dropped before seq 9)\n"),
	   "-f and show say the same, where calls were dropped included");
	done(&r);
	done(&s);
	r = cli("proc", "-f", "--chart", "2000", NULL);
	ok(r.status == 0 && strstr(r.out, "heap size after each call"), "-f --chart: the chart at the end");
	done(&r);
	r = cli("proc", "-jx", "1234", NULL);
	ok(r.status == 1 && strstr(r.err, "unknown option '-x'\n"), "-jx: the letter that is wrong ('-x')");
	done(&r);
	r = cli("proc", "--json=yes", "1234", NULL);
	ok(r.status == 1 && strstr(r.err, "option '--json' takes no argument"),
	   "--json=yes: the option takes no argument");
	done(&r);
	/* run: on the host there is no history for the child, but the status must pass through */
	r = cli("proc", "run", "--", "sh", "-c", "exit 7", NULL);
	ok(r.status == 7 && strstr(r.err, "no history"), "run exits with the command's status");
	done(&r);
	r = cli("proc", "run", "--", "sh", "-c", "kill -9 $$", NULL);
	ok(r.status == 137, "run: killed by SIGKILL gives 128+9");
	done(&r);
	r = cli("proc", "run", "--", "/nonexistent/command", NULL);
	ok(r.status == 127 && strstr(r.err, "cannot run"), "run: a missing command gives 127");
	done(&r);
	r = cli(NULL, "run", "--", "true", NULL);
	ok(r.status == 2, "run without the module does not start the command: exit 2");
	done(&r);
}

static struct bwr_history fake_history(uint32_t pid, uint64_t calls, const char *comm)
{
	struct bwr_history h = { .pid = pid, .calls = calls, .start_brk = 0x1000,
				 .brk = 0x1000 + calls * 4096 };

	h.comm.len = strlen(comm);
	memcpy(h.comm.s, comm, h.comm.len);
	h.ev = malloc(1);	/* freed by whoever owns the history */
	return h;
}

static void test_prom(void)
{
	struct bwr_history kept[2], h;
	struct bwr_status *st = malloc(sizeof(*st));
	struct bwr_error e;
	size_t n = 0, len, out_len;
	char *text = canned("proc/status", &len), *out = NULL;
	FILE *f = open_memstream(&out, &out_len);
	const char weird[] = "a\"b\\c\nd\001\303\251";

	bwr_prom_label(f, weird, sizeof(weird) - 1);
	fflush(f);
	ok(!strcmp(out, "a\\\"b\\\\c\\nd\\\\001\\\\303\\\\251"),
	   "a label value escapes quote, backslash, newline, and bytes outside ASCII as \\ooo (%s)",
	   out);
	fclose(f);
	free(out);

	h = fake_history(10, 5, "five");
	bwr_prom_keep(kept, &n, 2, &h);
	h = fake_history(11, 9, "nine");
	bwr_prom_keep(kept, &n, 2, &h);
	h = fake_history(9, 5, "x\"y");
	bwr_prom_keep(kept, &n, 2, &h);
	h = fake_history(12, 1, "one");
	bwr_prom_keep(kept, &n, 2, &h);
	ok(n == 2 && ((kept[0].pid == 11 && kept[1].pid == 9) || (kept[0].pid == 9 && kept[1].pid == 11)),
	   "keeps the 2 processes with the most calls, the lower pid on a tie (%zu kept)", n);

	ok(bwr_parse_status(text, len, st, &e) == BWR_OK, "export: the canned status parses");
	f = open_memstream(&out, &out_len);
	bwr_prom_write(f, st, kept, n, 4, 1);
	fclose(f);
	ok(strstr(out, "# TYPE brkwatch_calls_seen_total counter\nbrkwatch_calls_seen_total 12\n") &&
	   strstr(out, "brkwatch_info{version=\"0.1.0\",kernel=\"6.1.0-56-amd64\"} 1\n") &&
	   strstr(out, "brkwatch_memory_cap_bytes 67108864\n"),
	   "export: the module's counters, typed, and its version and kernel");
	{
		const char *a = strstr(out, "brkwatch_process_calls_total{pid=\"11\",comm=\"nine\"} 9\n");
		const char *b = strstr(out, "brkwatch_process_calls_total{pid=\"9\",comm=\"x\\\"y\"} 5\n");

		ok(a && b && a < b && strstr(out, "state=\"exported\"} 2\n") &&
		   strstr(out, "state=\"not_exported\"} 2\n") && strstr(out, "state=\"unreadable\"} 1\n") &&
		   strstr(out, "brkwatch_process_heap_bytes{pid=\"9\",comm=\"x\\\"y\"} 20480\n") &&
		   strstr(out, "brkwatch_process_refused_total{pid=\"11\",comm=\"nine\",verdict=\"overlap\"} 0\n") &&
		   !strstr(out, "pid=\"10\""),
		   "export: per-process series for the kept ones only, most calls first, escaped");
	}
	{
		/* Every sample line: a name, optional labels, a space, a number. */
		bool good = true;
		char *save, *line;

		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			size_t nl = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
			const char *v;

			if (line[0] == '#')
				continue;
			v = strrchr(line, ' ');
			if (!nl || (line[nl] != '{' && line[nl] != ' ') || !v ||
			    strspn(v + 1, "0123456789") != strlen(v + 1) || !v[1])
				good = false;
		}
		ok(good, "export: every sample line is NAME[{LABELS}] VALUE");
	}
	free(out);
	for (size_t i = 0; i < n; i++)
		bwr_history_free(&kept[i]);
	free(text);
	free(st);
}

/* ---- the JSON checker itself (jsoncheck.c): it passes the reader's output, and can fail ---- */

/* doc with the first from replaced by to (a copy); the test fails if from is not there. */
static char *mutate(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	char *out;

	if (!at) {
		ok(false, "jsoncheck: '%s' is in the document to change", from);
		return strdup(doc);
	}
	if (asprintf(&out, "%.*s%s%s", (int)(at - doc), doc, to, at + strlen(from)) < 0)
		exit(1);
	return out;
}

/* The checker refuses doc (as what), with why containing want. */
static void refuses(const char *doc, enum jc_what what, const char *want, const char *name)
{
	char why[256];
	bool valid = jc_valid(doc, what, why, sizeof(why));

	ok(!valid && strstr(why, want), "jsoncheck refuses %s: '%s'", name, why);
}

/* C's escapes \n \t \\ \xHH in s, in place. */
static char *unescape(char *s)
{
	char *w = s;

	for (const char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*w++ = *p;
			continue;
		}
		p++;
		if (*p == 'x' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], 0 };

			*w++ = (char)strtoul(hex, NULL, 16);
			p += 2;
		} else {
			*w++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		}
	}
	*w = '\0';
	return s;
}

/* Each change of tests/jsoncheck-refused.tsv to one of the documents is refused. */
static void refuses_listed(const struct cli_result *docs, size_t n_docs)
{
	char path[PATH_MAX + 64], *line = NULL;
	size_t cap = 0;
	int cases = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/jsoncheck-refused.tsv", dir);
	f = fopen(path, "re");
	if (!f) {
		printf("Bail out! cannot read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *field[5], *doc;
		int i;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < 5 && p; i++)
			field[i] = unescape(strsep(&p, "\t"));
		if (i < 5 || p || (size_t)atoi(field[0]) >= n_docs) {
			ok(false, "jsoncheck-refused.tsv: '%s' is 5 fields, a document first", line);
			continue;
		}
		doc = mutate(docs[atoi(field[0])].out, field[1], field[2]);
		refuses(doc, JC_DOCUMENT, field[3], field[4]);
		free(doc);
		cases++;
	}
	free(line);
	fclose(f);
	ok(cases >= 30, "jsoncheck-refused.tsv: %d cases", cases);
}

static void test_jsoncheck(void)
{
	/* documents of the reader on tests/data: each passes, then each change is refused */
	static const struct {
		const char *root, *argv[4];
		int status;
	} docs[] = {
		{ "proc", { "--json", "1234" }, 0 },
		{ "proc", { "--relative", "--json", "1234" }, 0 },
		{ "proc", { "--json", "1234", "1235" }, 0 },
		{ "proc", { "list", "--json" }, 0 },
		{ "lossy", { "status", "--json" }, 7 },
	};
	struct cli_result r[sizeof(docs) / sizeof(docs[0])], f[2];
	char why[256], *doc;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *const *v = docs[i].argv;

		r[i] = cli(docs[i].root, v[0], v[1], v[2], v[3], NULL);
		ok(r[i].status == docs[i].status && jc_valid(r[i].out, JC_DOCUMENT, why, sizeof(why)),
		   "jsoncheck passes %s %s %s %s (%s)", v[0], v[1], v[2] ? v[2] : "",
		   v[3] ? v[3] : "", why);
	}
	refuses_listed(r, sizeof(docs) / sizeof(docs[0]));
	doc = mutate(r[4].out, "\"calls_seen\"", "\"new_counter\": 3, \"other\": \"x\", \"calls_seen\"");
	ok(jc_valid(doc, JC_DOCUMENT, why, sizeof(why)),
	   "jsoncheck keeps status keys it does not know, as ints or strings (%s)", why);
	free(doc);
	refuses("", JC_DOCUMENT, "value expected", "nothing");
	refuses("[]", JC_DOCUMENT, "an array, not an object", "an array for a document");
	refuses("{\"schema\": 1}", JC_DOCUMENT, "key 'command' missing", "a document without command");
	refuses(r[0].out, JC_LINE, "key 'type' missing", "a document as a -f line");
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		done(&r[i]);

	/* -f --json: JSON lines */
	f[0] = cli("proc", "-f", "--json", "2000", NULL);
	f[1] = cli("proc", "-f", "--relative", "--json", "2000", NULL);
	for (int rel = 0; rel < 2; rel++) {
		int lines = 0, valid = 0;

		for (char *p = f[rel].out; *p; ) {
			size_t n = strcspn(p, "\n");
			char save = p[n];

			p[n] = '\0';
			lines++;
			valid += jc_valid(p, JC_LINE, why, sizeof(why));
			if (lines == 2 && !rel) {
				refuses(p, JC_DOCUMENT, "key 'schema' missing", "a -f line as a document");
				doc = mutate(p, "\"seq\"", "\"thread\": \"main\", \"seq\"");
				refuses(doc, JC_LINE, "thread: only in a --relative document",
					"a -f call line with both pid and thread");
				free(doc);
			}
			p[n] = save;
			p += n + (save ? 1 : 0);
		}
		ok(lines == 7 && valid == 7, "jsoncheck passes -f%s --json: %d of %d lines",
		   rel ? " --relative" : "", valid, lines);
		done(&f[rel]);
	}
	refuses("{\"type\": \"end\", \"calls\": 1, \"dropped\": 0, \"state\": \"exited\"}", JC_LINE,
		"key 'totals' missing", "an end line without totals");
	refuses("{\"type\": \"begin\"}", JC_LINE, "type: not \"process\"", "an unknown line type");
}

/* ---- unwinding: the test captures its own registers and stack ---- */

static struct {
	uint64_t regs[BWR_STACK_REGS];
	size_t len;
	unsigned char data[8192];
} cap;			/* not on the stack that is captured */
static uint64_t cap_stack_end;	/* the top of [stack] */
static unsigned cap_line_inner, cap_line_outer, cap_line_test;

/*
 * Frames the unwinding tests expect to find: neither inlined nor changed by
 * what the compiler infers of their callers (gcc's noipa; clang has none).
 */
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define TEST_NOINLINE __attribute__((noinline, noipa))
#endif
#endif
#ifndef TEST_NOINLINE
#define TEST_NOINLINE __attribute__((noinline))
#endif

/*
 * The stack's bytes as the module copies them, whatever they belong to:
 * AddressSanitizer's red zones around other frames' variables too. Byte by
 * byte through a volatile pointer, so that no memcpy() it intercepts does it.
 */
__attribute__((no_sanitize_address)) static void copy_stack(void *to, const void *from,
							    size_t n)
{
	const volatile unsigned char *s = from;
	unsigned char *d = to;

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

/*
 * The registers at the asm statement, as the module takes them at brk():
 * DWARF order, rip the address right after the lea. Then up to 8 KiB of
 * the stack from rsp, as far as [stack] goes.
 */
TEST_NOINLINE static void stack_inner(void)
{
	size_t n;

	cap_line_inner = __LINE__; __asm__ volatile(
		"mov %%rax, 0(%0)\n\t" "mov %%rdx, 8(%0)\n\t" "mov %%rcx, 16(%0)\n\t"
		"mov %%rbx, 24(%0)\n\t" "mov %%rsi, 32(%0)\n\t" "mov %%rdi, 40(%0)\n\t"
		"mov %%rbp, 48(%0)\n\t" "mov %%rsp, 56(%0)\n\t" "mov %%r8, 64(%0)\n\t"
		"mov %%r9, 72(%0)\n\t" "mov %%r10, 80(%0)\n\t" "mov %%r11, 88(%0)\n\t"
		"mov %%r12, 96(%0)\n\t" "mov %%r13, 104(%0)\n\t" "mov %%r14, 112(%0)\n\t"
		"mov %%r15, 120(%0)\n\t" "lea 0(%%rip), %%rax\n\t" "mov %%rax, 128(%0)\n\t"
		: : "r"(cap.regs) : "rax", "memory");
	n = cap_stack_end - cap.regs[7];
	cap.len = n < sizeof(cap.data) ? n : sizeof(cap.data);
	copy_stack(cap.data, (const void *)(uintptr_t)cap.regs[7], cap.len);
}

TEST_NOINLINE static void stack_outer(void)
{
	cap_line_outer = __LINE__; stack_inner();
	__asm__ volatile("" ::: "memory");	/* no tail call: this frame stays */
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* maps text with path's lines given path2 and inode ino (static buffer) */
static char *maps_renamed(const char *maps, const char *path, const char *path2,
			  unsigned long long ino)
{
	static char out[1 << 18];
	size_t off = 0;
	const char *p = maps;

	while (*p && off < sizeof(out) - 1024) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024], range[64], perms[8], pgoff[32], dev[16];
		unsigned long long old_ino;
		int name = 0;

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (sscanf(line, "%63s %7s %31s %15s %llu %n", range, perms, pgoff, dev, &old_ino,
			   &name) == 5 && name && !strcmp(line + name, path))
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s %s %s %s %llu %s\n",
						range, perms, pgoff, dev, ino, path2);
		else
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s\n", line);
		p = nl ? nl + 1 : p + n;
	}
	out[off] = '\0';
	return out;
}

static size_t unwind_with(const char *maps, const struct bwr_stack *s, struct bwr_frame *f,
			  char *why, size_t why_size)
{
	struct bwr_unwinder *u = bwr_unwinder_new(maps, strlen(maps), (uint32_t)getpid());
	size_t n = u ? bwr_unwind(u, s, f, BWR_MAX_FRAMES, why, why_size) : 0;

	bwr_unwinder_free(u);
	return n;
}

static void print_frames(const struct bwr_frame *f, size_t n)
{
	char buf[1024];

	for (size_t i = 0; i < n; i++)
		printf("#   #%zu %s\n", i, bwr_frame_text(&f[i], buf, sizeof(buf)));
}

static void put_in(const char *root, const char *name, const char *text)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	put_file(path, text);
}

/* The reader's output for a history holding the stack the test captured of itself */
__attribute__((noinline)) static void test_stack_cli(const char *maps, const char *self)
{
	char root[PATH_MAX], want[256], *sl, *body, *t, *j;
	struct cli_result r;

	temp_root(root, sizeof(root), "stacks");
	sl = stack_line(2, cap.regs, cap.data, cap.len);
	body = join3(call1, call2, sl);
	t = doc2(body);
	put_in(root, "1234", t);
	put_in(root, "1234.maps", maps);

	r = cli_at(root, false, "1234", NULL);
	snprintf(want, sizeof(want), "\n  #0 0x%016" PRIx64 " stack_inner+0x", cap.regs[16]);
	ok(r.status == 0 && strstr(r.out, want) && strstr(r.out, " (test_brkwatch) test_brkwatch.c:") &&
	   strstr(r.out, "\n  #1 0x") && strstr(r.out, " stack_outer+0x") &&
	   strstr(r.out, "grow\n  #0 0x"),
	   "show: the frames under the call that has a stack, indented, one a line");
	if (r.status || !strstr(r.out, want))
		printf("# %s%s\n", r.out, r.err);
	done(&r);
	r = cli_at(root, false, "--explain", "1234", NULL);
	ok(r.status == 0 && strstr(r.out, want), "--explain: the frames as well");
	done(&r);
	{
		char svg[PATH_MAX + 16], title[256], *pic;
		size_t len;

		snprintf(svg, sizeof(svg), "%s/p.svg", root);
		r = cli_at(root, false, "--svg", svg, "1234", NULL);
		pic = r.status == 0 ? slurp(svg, &len) : NULL;
		snprintf(title, sizeof(title), "<title>seq 2: grow +132 KiB, from stack_inner "
			 "(test_brkwatch.c:%u) &lt;- stack_outer (test_brkwatch.c:%u) &lt;- ",
			 cap_line_inner, cap_line_outer);
		ok(pic && strstr(pic, title), "--svg: the mark of a call with a stack has its top "
		   "frames in its title");
		free(pic);
		done(&r);
		unlink(svg);
	}

	r = cli_at(root, false, "--json", "1234", NULL);
	j = r.out;
	ok(r.status == 0 && valid_json(j, JC_DOCUMENT) &&
	   strstr(j, "\"stack\": null,\n        \"stack_end\": null") &&
	   strstr(j, "\"symbol\": \"stack_inner\"") && strstr(j, "\"symbol\": \"stack_outer\"") &&
	   strstr(j, "\"object\": \"") && strstr(j, self) && strstr(j, "test_brkwatch.c\",\n"),
	   "--json: a \"stack\" array of frames, null for a call without one, schema-checked");
	if (j && strstr(j, "\"line\": ")) {
		const char *l = strstr(j, "\"line\": ");
		char from[64];
		char *m;

		snprintf(from, sizeof(from), "%.*s", (int)strcspn(l, "\n"), l);
		m = mutate(j, from, "\"line\": null");
		refuses(m, JC_DOCUMENT, "not both or neither of 'file' and 'line' null",
			"a frame with a file and no line");
		free(m);
		m = mutate(j, "\"symbol\": \"stack_inner\"", "\"symbol\": 7");
		refuses(m, JC_DOCUMENT, "symbol: a number, not a string or null", "a symbol that is a number");
		free(m);
		m = mutate(j, "\"stack\": null", "\"stack\": []");
		refuses(m, JC_DOCUMENT, "not both or neither of 'stack' and 'stack_end' null",
			"a stack without its stack_end");
		free(m);
	}
	done(&r);
	r = cli_at(root, false, "--relative", "--json", "1234", NULL);
	ok(r.status == 0 && valid_json(r.out, JC_DOCUMENT) && strstr(r.out, "\"address\": null") &&
	   strstr(r.out, "\"symbol\": \"stack_inner\""),
	   "--relative --json: frames without their addresses, which move from run to run");
	done(&r);
	{
		/* -f: the maps of the process as it runs, for the calls to come too */
		int fd = tmpfile_fd(), st = -1;
		bool seen, ended;
		pid_t pid;
		char *out;

		pid = follow_start(root, fd);
		seen = wait_output(fd, " stack_outer+0x");
		replace(t, strlen(t) + 1, "# state running", "# state exited");
		put_in(root, "1234", t);
		ended = wait_exit(pid, &st, 10);
		out = peek_fd(fd);
		ok(seen && ended && WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, want) &&
		   strstr(out, " (test_brkwatch) test_brkwatch.c:"),
		   "-f: the frames under the call, unwound against the maps of the process followed");
		if (!seen)
			printf("# output:\n%s\n", out);
		free(out);
		close(fd);
	}

	/* an exec after the call: the maps are of another program */
	free(body);
	free(t);
	body = join3(call2, sl,
		     "# exec time_ns=5123460000 tid=1234 comm=other start_brk=0x000055ff09543000 "
		     "start_data=0x000055ff08f2e000 end_data=0x000055ff08f2f010\n");
	t = doc2(body);
	put_in(root, "1234", t);
	r = cli_at(root, false, "1234", NULL);
	snprintf(want, sizeof(want), "  #0 0x%016" PRIx64 "\n  (not unwound: the process has run "
		 "another program since)\n", cap.regs[16]);
	ok(r.status == 0 && strstr(r.out, want) && !strstr(r.out, "stack_inner"),
	   "a call before an exec marker: its first address only, and why");
	done(&r);

	/* an exited process's maps are gone: show does not guess */
	free(t);
	t = doc2(body);
	replace(t, strlen(t) + 1, "# state running", "# state exited");
	put_in(root, "1234", t);
	r = cli_at(root, false, "1234", NULL);
	ok(r.status == 0 && strstr(r.out, "(not unwound: the process's maps were not captured)") &&
	   !strstr(r.out, "stack_inner"), "an exited process: not unwound, and why");
	done(&r);
	free(t);
	free(body);
	free(sl);
	remove_root(root);
}

/*
 * Unwind @s as if the test's file were a copy of it made by objcopy(1) with
 * @opts, named after @tag in @copy, removed afterwards: the number of
 * frames, or -1 when no copy could be made.
 */
static ssize_t unwind_copy(const char *maps, const struct bwr_stack *s, const char *self,
			   const char *opts, const char *tag, char *copy, size_t copy_size,
			   struct bwr_frame *g)
{
	static char cmd[3 * PATH_MAX + 64];
	const char *tmp = getenv("TMPDIR");
	char why[256];
	struct stat st;
	size_t n;

	snprintf(copy, copy_size, "%s/brkwatch-%s.%d", tmp && *tmp ? tmp : "/tmp", tag,
		 (int)getpid());
	snprintf(cmd, sizeof(cmd), "objcopy %s '%s' '%s'", opts, self, copy);
	if (system(cmd) || stat(copy, &st))
		return -1;
	n = unwind_with(maps_renamed(maps, self, copy, (unsigned long long)st.st_ino), s, g, why,
			sizeof(why));
	unlink(copy);
	return (ssize_t)n;
}

TEST_NOINLINE static void test_unwind(void)
{
	/* static: main()'s frame stays within the 8 KiB captured above this one */
	static struct bwr_frame f[BWR_MAX_FRAMES], g[BWR_MAX_FRAMES];
	static char self[PATH_MAX], copy[PATH_MAX + 64];
	char why[256], *maps, *sl, *body, *t;
	struct bwr_history h;
	struct bwr_error e;
	struct bwr_stack s;
	size_t maps_len, n, m;
	ssize_t got, k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	bool prefix = true, grew = true, named = false;

	self[k > 0 ? k : 0] = '\0';
	maps = slurp("/proc/self/maps", &maps_len);
	for (char *p = maps; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		unsigned long long lo, hi;

		if (sscanf(p, "%llx-%llx", &lo, &hi) == 2 && !strncmp(strchr(p, '\n') - 7, "[stack]", 7))
			cap_stack_end = hi;
	}
	cap_line_test = __LINE__; stack_outer();
	__asm__ volatile("" ::: "memory");

	/* through the history text and the parser, as the module would write it */
	sl = stack_line(1, cap.regs, cap.data, cap.len);
	body = join3(call1, sl, "");
	t = doc2(body);
	if (parse(t, strlen(t), &h, &e) != BWR_OK || !h.ev[0].call.stack) {
		printf("Bail out! the captured stack does not parse: %s\n", e.msg);
		exit(1);
	}
	s = *h.ev[0].call.stack;
	n = unwind_with(maps, &s, f, why, sizeof(why));
	print_frames(f, n);
	ok(n >= 4 && !strcmp(f[0].symbol, "stack_inner") && !strcmp(f[1].symbol, "stack_outer") &&
	   !strcmp(f[2].symbol, "test_unwind") && !strcmp(f[0].object, self) &&
	   !strcmp(f[1].object, self) && f[0].addr == cap.regs[16],
	   "unwinding its own stack (%zu bytes), the test names its two functions, innermost "
	   "first, then their caller (%zu frames, stopped: %s)", s.len, n, why);
	ok(n >= 3 && !strcmp(base_of(f[0].file), "test_brkwatch.c") && f[0].line == cap_line_inner &&
	   !strcmp(base_of(f[1].file), "test_brkwatch.c") && f[1].line == cap_line_outer &&
	   f[2].line == cap_line_test,
	   "file:line from the test's debug information: lines %u, %u, %u (expected %u, %u, %u)",
	   f[0].line, n > 1 ? f[1].line : 0, n > 2 ? f[2].line : 0, cap_line_inner,
	   cap_line_outer, cap_line_test);
	for (size_t i = 0; i < n; i++)
		named |= !strcmp(f[i].symbol, "main");
	ok(named, "the walk goes on up to main()");
	ok(f[0].symbol[0] && f[0].sym_offset > 0 && f[0].obj_offset > 0 &&
	   f[0].addr - f[0].sym_offset < f[0].addr,
	   "a frame gives its symbol's offset and its offset in the file");

	/* cut short: each shorter stack gives a prefix of the frames, never others */
	m = 0;
	for (size_t len = 0; len <= s.len; len += 8) {
		struct bwr_stack c = s;
		size_t nc;

		c.len = len;
		nc = unwind_with(maps, &c, g, why, sizeof(why));
		if (len == 0 && (nc != 1 || strcmp(g[0].symbol, "stack_inner")))
			prefix = false;
		for (size_t i = 0; i < nc; i++)
			if (i >= n || g[i].addr != f[i].addr || strcmp(g[i].symbol, f[i].symbol))
				prefix = false;
		if (nc < m)
			grew = false;
		m = nc;
		if (len > 4096)
			len += 504;	/* the rest in bigger steps */
	}
	ok(prefix && grew, "a stack cut short (0 to %zu bytes, every 8) gives the frames it can: "
	   "the first ones of the whole stack, more as it grows, frame 0 from the registers alone",
	   s.len);

	/* the file on disk is not the one mapped (another inode): addresses only */
	n = unwind_with(maps_renamed(maps, self, self, 1), &s, g, why, sizeof(why));
	named = false;
	for (size_t i = 0; i < n; i++)
		named |= !strcmp(g[i].object, self) && g[i].symbol[0];
	ok(n >= 1 && !named && !strcmp(g[0].object, self) && g[0].obj_offset == f[0].obj_offset,
	   "a file whose inode is not the mapped one is not read: object+offset, no name");

	/* a stripped copy: object+offset, never a wrong name */
	got = unwind_copy(maps, &s, self, "--strip-all", "stripped", copy, sizeof(copy), g);
	if (got < 0) {
		ok(true, "# SKIP objcopy(1) is not available: the stripped case is not tested");
	} else {
		n = (size_t)got;
		print_frames(g, n);
		named = false;
		for (size_t i = 0; i < n; i++)
			named |= !strcmp(g[i].object, copy) && (g[i].symbol[0] || g[i].file[0]);
		ok(n >= 3 && !named && !strcmp(g[0].object, copy) &&
		   g[0].obj_offset == f[0].obj_offset && g[1].obj_offset == f[1].obj_offset &&
		   g[1].addr == f[1].addr,
		   "a stripped copy: its frames as object+offset (the same offsets), unwound "
		   "through its .eh_frame, and no name at all in it (%zu frames)", n);
	}
	/* no .debug_aranges, as clang builds: the lines from the units' own ranges */
	got = unwind_copy(maps, &s, self, "--remove-section=.debug_aranges", "noaranges", copy,
			  sizeof(copy), g);
	if (got < 0) {
		ok(true, "# SKIP objcopy(1) is not available: the case without .debug_aranges is "
		   "not tested");
	} else {
		n = (size_t)got;
		ok(n >= 3 && !strcmp(base_of(g[0].file), "test_brkwatch.c") &&
		   g[0].line == cap_line_inner && g[1].line == cap_line_outer &&
		   g[2].line == cap_line_test,
		   "a copy without .debug_aranges (clang writes none): the same file:line from its "
		   "compile units, lines %u, %u, %u", g[0].line, n > 1 ? g[1].line : 0,
		   n > 2 ? g[2].line : 0);
	}
	test_stack_cli(maps, self);
	bwr_history_free(&h);
	free(t);
	free(body);
	free(sl);
	free(maps);
}

/* run --stacks without the module: the control file and the order of things, in a fake root */
static void test_run_stacks(void)
{
	char root[PATH_MAX], ctl[PATH_MAX + 16], mark[PATH_MAX + 16], script[3 * PATH_MAX];
	struct cli_result r;
	struct stat st;

	temp_root(root, sizeof(root), "runstacks");
	snprintf(ctl, sizeof(ctl), "%s/control", root);
	snprintf(mark, sizeof(mark), "%s/ran", root);
	put_file(ctl, "");
	/* COMMAND reads the control file: stacks were turned on for its pid before it ran */
	snprintf(script, sizeof(script),
		 "read x < '%s'; [ \"$x\" = \"stacks $$\" ] && echo ordered > '%s'", ctl, mark);
	r = cli_at(root, false, "run", "--stacks", "--", "sh", "-c", script, NULL);
	ok(!stat(mark, &st) && st.st_size == 8 && strstr(r.err, "no history for PID"),
	   "run --stacks: 'stacks PID' is written for the child before it runs COMMAND (%s)",
	   r.err);
	done(&r);
	unlink(mark);
	unlink(ctl);
	snprintf(script, sizeof(script), "echo ran > '%s'", mark);
	r = cli_at(root, false, "run", "--stacks", "--", "sh", "-c", script, NULL);
	ok(r.status == 6 && stat(mark, &st) && strstr(r.err, "--stacks: writing 'stacks ") &&
	   strstr(r.err, "No such file or directory") && !strchr(strchr(r.err, '\n') + 1, '\n'),
	   "run --stacks when stacks cannot be turned on: one line, and COMMAND is not run (%s)",
	   r.err);
	done(&r);
	/* traced, COMMAND still gets its signals: a handled one, then the one that kills it */
	put_file(ctl, "");
	r = cli_at(root, false, "run", "--stacks", "--", "sh", "-c",
		   "trap 'echo usr1' USR1; kill -USR1 $$; kill -TERM $$; echo not reached", NULL);
	ok(r.status == 128 + SIGTERM && !strcmp(r.out, "usr1\n"),
	   "run --stacks: COMMAND's signals reach it through the tracer (status %d)", r.status);
	done(&r);
	r = cli("proc", "--stacks", "1234", NULL);
	ok(r.status == 1 && strstr(r.err, "--stacks goes with run"), "--stacks without run: usage");
	done(&r);
	remove_root(root);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argc;
	if (n <= 0) {
		snprintf(self, sizeof(self), "%s", argv[0]);
		n = (ssize_t)strlen(self);
	}
	self[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", dirname(self));
	snprintf(data, sizeof(data), "%s/tests/data", dir);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("TAP version 13\n");
	test_abi();
	test_parser();
	test_stack_parser();
	test_unwind();
	test_run_stacks();
	test_status();
	test_prom();
	test_units();
	test_maps();
	test_format();
	test_data_producible();
	test_time_column();
	test_utf8_comm();
	test_chart_wide();
	test_cli();
	test_permission();
	test_explain();
	test_follow_live();
	test_output();
	test_run_report();
	test_output_late();
	test_big_history();
	test_strace_habits();
	test_narrow();
	test_follow_interrupt();
	test_svg();
	test_jsoncheck();
	printf("1..%d\n", n_test);
	if (n_fail)
		printf("# %d of %d failed\n", n_fail, n_test);
	return n_fail ? 1 : 0;
}

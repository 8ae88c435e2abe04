// SPDX-License-Identifier: GPL-2.0
/* Text of /proc/brkwatch/<PID> and /proc/brkwatch/status -> structs. */
#include <inttypes.h>
#include "procfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The names come from the module's header, never from here. */
static const char *const verdict_names[] = BRKWATCH_VERDICT_NAMES;
_Static_assert(sizeof(verdict_names) / sizeof(verdict_names[0]) == BRKWATCH_NR_VERDICTS,
	       "one name per verdict");

static const char *const next_kind_names[] = BRKWATCH_NEXT_KIND_NAMES;
_Static_assert(BRKWATCH_FORMAT_VERSION <= BWR_FORMAT_MAX,
	       "the module's format is one the reader knows");
_Static_assert(sizeof(next_kind_names) / sizeof(next_kind_names[0]) == BRKWATCH_NR_NEXT_KINDS,
	       "one name per next kind");

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *bwr_verdict_name(enum brkwatch_verdict v)
{
	if ((unsigned)v < ARRAY_SIZE(verdict_names) && verdict_names[v])
		return verdict_names[v];
	return "?";
}

bool bwr_verdict_refused(enum brkwatch_verdict v)
{
	return (unsigned)v < BRKWATCH_NR_VERDICTS && (BRKWATCH_REFUSALS >> v) & 1;
}

const char *bwr_next_kind_name(enum brkwatch_next_kind k)
{
	if ((unsigned)k < ARRAY_SIZE(next_kind_names))
		return next_kind_names[k];
	return "?";
}

/* ---- errors ---- */

static enum bwr_parse_result fail(struct bwr_error *err, enum bwr_parse_result r,
				  unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum bwr_parse_result fail(struct bwr_error *err, enum bwr_parse_result r,
				  unsigned line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return r;
}

/* A token quoted for an error message: readable, escaped where it must be, cut at 40 bytes. */
static const char *quote(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);

	return bwr_escape_msg(s, n > 40 ? 40 : n, buf, size);
}

/* ---- lines ---- */

struct lines {
	const char *p, *end;
	unsigned no;
	char buf[BWR_MAX_LINE + 1];
};

/* Lines of text, in *itp, to free(); or an error, err set. err is cleared. */
static enum bwr_parse_result lines_open(const char *text, size_t len, struct lines **itp,
					struct bwr_error *err)
{
	struct lines *it;

	memset(err, 0, sizeof(*err));
	if (len > BWR_MAX_INPUT)
		return fail(err, BWR_E_FORMAT, 0, "more than %u bytes", BWR_MAX_INPUT);
	it = malloc(sizeof(*it));
	if (!it)
		return fail(err, BWR_E_NOMEM, 0, "out of memory");
	it->p = text;
	it->end = text + len;
	it->no = 0;
	*itp = it;
	return BWR_OK;
}

/* 1: a line in it->buf; 0: end of text; -1: error (err set) */
static int next_line(struct lines *it, struct bwr_error *err)
{
	const char *nl;
	size_t n;

	if (it->p >= it->end)
		return 0;
	it->no++;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	n = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
	if (n > 0 && it->p[n - 1] == '\r')	/* CRLF */
		n--;
	if (n > BWR_MAX_LINE) {
		fail(err, BWR_E_FORMAT, it->no, "line longer than %d bytes", BWR_MAX_LINE);
		return -1;
	}
	if (memchr(it->p, '\0', n)) {
		fail(err, BWR_E_FORMAT, it->no, "NUL byte in line");
		return -1;
	}
	memcpy(it->buf, it->p, n);
	it->buf[n] = '\0';
	it->p = nl ? nl + 1 : it->end;
	return 1;
}


static const char stack_prefix[] = "# stack ";
#define STACK_PREFIX_LEN (sizeof(stack_prefix) - 1)

/* One line, without its newline: CRLF taken as LF, NUL and overlong lines refused. */
static enum bwr_parse_result check_line(char *buf, size_t *n, unsigned no, struct bwr_error *err)
{
	if (*n > 0 && buf[*n - 1] == '\r')	/* CRLF */
		(*n)--;
	if (*n > BWR_MAX_STACK_LINE)
		return fail(err, BWR_E_FORMAT, no, "line longer than %d bytes", BWR_MAX_STACK_LINE);
	if (*n > BWR_MAX_LINE && memcmp(buf, stack_prefix, STACK_PREFIX_LEN))
		return fail(err, BWR_E_FORMAT, no, "line longer than %d bytes", BWR_MAX_LINE);
	if (memchr(buf, '\0', *n))
		return fail(err, BWR_E_FORMAT, no, "NUL byte in line");
	buf[*n] = '\0';
	return BWR_OK;
}

#define MAX_TOKENS 20

/* Split s in place on runs of spaces. Returns the count, MAX_TOKENS + 1 if more. */
static int split(char *s, char sep, char **tok)
{
	int n = 0;

	for (;;) {
		while (*s == sep)
			s++;
		if (!*s)
			return n;
		if (n == MAX_TOKENS)
			return MAX_TOKENS + 1;
		tok[n++] = s;
		while (*s && *s != sep)
			s++;
		if (*s)
			*s++ = '\0';
	}
}

/* ---- numbers ---- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned char)*s - '0';

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (*s == '-') {
		if (!parse_u64(s + 1, (uint64_t)INT64_MAX + 1, &v))
			return false;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return true;
	}
	if (!parse_u64(s, INT64_MAX, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

static bool parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	if (s[0] != '0' || s[1] != 'x')
		return false;
	for (s += 2; *s; s++, n++) {
		char c = *s;
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (n == 16)
			return false;
		v = v << 4 | d;
	}
	if (n == 0)
		return false;
	*out = v;
	return true;
}

/* A command name with \ooo escapes. Raw bytes >= 0x80 are taken as they are. */
static bool parse_comm(const char *s, struct bwr_comm *c)
{
	c->len = 0;
	while (*s) {
		unsigned char b = (unsigned char)*s;

		if (b == '\\') {
			unsigned v = 0;

			for (int i = 1; i <= 3; i++) {
				if (s[i] < '0' || s[i] > '7')
					return false;
				v = v * 8 + (unsigned)(s[i] - '0');
			}
			if (v > 0377)
				return false;
			b = (unsigned char)v;
			s += 4;
		} else if (b <= 0x20 || b == 0x7f) {
			return false;
		} else {
			s++;
		}
		if (c->len == BWR_COMM_MAX)
			return false;
		c->s[c->len++] = (char)b;
	}
	return true;
}

/* ---- history ---- */

static const char columns_line[] = BRKWATCH_COLUMNS;
#define N_COLUMNS ((size_t)BRKWATCH_NR_COLUMNS)

/* The name of column i (from 0), the i-th word of the module's list. */
static const char *column_name(unsigned i, char *buf, size_t size)
{
	const char *s = columns_line;
	size_t n;

	for (; i > 0 && s; i--) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	if (!s)
		return "?";
	n = strcspn(s, " ");
	snprintf(buf, size, "%.*s", (int)n, s);
	return buf;
}

enum hkey {
	H_VERSION, H_PID, H_PPID, H_COMM, H_STATE, H_UID, H_START_BRK,
	H_START_DATA, H_END_DATA, H_BRK, H_CALLS, H_DROPPED, H_COLUMNS, H_N
};

static const char *const header_keys[H_N] = {
	"brkwatch", "pid", "ppid", "comm", "state", "uid", "start_brk",
	"start_data", "end_data", "brk", "calls", "dropped", "columns",
};

static enum bwr_parse_result parse_header_line(char *line, unsigned no, enum hkey k,
					       struct bwr_history *h,
					       struct bwr_error *err)
{
	/* Where the plain numbers go, by their parser. */
	uint32_t *const u32[H_N] = { [H_PID] = &h->pid, [H_PPID] = &h->ppid, [H_UID] = &h->uid };
	uint64_t *const hex[H_N] = {
		[H_START_BRK] = &h->start_brk, [H_START_DATA] = &h->start_data,
		[H_END_DATA] = &h->end_data, [H_BRK] = &h->brk,
	};
	uint64_t *const u64[H_N] = { [H_CALLS] = &h->calls, [H_DROPPED] = &h->dropped };
	const char *key = header_keys[k];
	size_t klen = strlen(key);
	char *val;
	char q[200];
	bool ok;

	if (line[0] != '#' || line[1] != ' ' || strncmp(line + 2, key, klen) ||
	    (line[2 + klen] != ' ' && line[2 + klen] != '\0')) {
		if (k == H_VERSION)
			return fail(err, BWR_E_FORMAT, no,
				    "not a brkwatch history: expected '# brkwatch %d', got '%s'",
				    BRKWATCH_FORMAT_VERSION, quote(line, q, sizeof(q)));
		return fail(err, BWR_E_FORMAT, no, "expected header '# %s ...', got '%s'",
			    key, quote(line, q, sizeof(q)));
	}
	val = line + 2 + klen;
	if (*val)
		val++;

	switch (k) {
	case H_VERSION: {
		uint64_t v;

		if (!parse_u64(val, UINT32_MAX, &v))
			return fail(err, BWR_E_FORMAT, no, "bad format version '%s'",
				    quote(val, q, sizeof(q)));
		if (v < 1 || v > BWR_FORMAT_MAX)
			return fail(err, BWR_E_VERSION, no,
				    "format version %llu, this reader understands versions 1 to %d",
				    (unsigned long long)v, BWR_FORMAT_MAX);
		h->version = (unsigned)v;
		return BWR_OK;
	}
	case H_COMM:
		ok = parse_comm(val, &h->comm);
		break;
	case H_STATE:
		ok = !strcmp(val, "running") || !strcmp(val, "exited");
		h->exited = !strcmp(val, "exited");
		break;
	case H_COLUMNS:
		if (strcmp(val, columns_line))
			return fail(err, BWR_E_FORMAT, no,
				    "unexpected columns '%s' (expected '%s')",
				    quote(val, q, sizeof(q)), columns_line);
		return BWR_OK;
	default:
		if (u32[k])
			ok = parse_u32(val, u32[k]);
		else if (hex[k])
			ok = parse_hex(val, hex[k]);
		else
			ok = u64[k] && parse_u64(val, UINT64_MAX, u64[k]);
	}
	if (!ok)
		return fail(err, BWR_E_FORMAT, no, "bad value for '%s': '%s'", key,
			    quote(val, q, sizeof(q)));
	return BWR_OK;
}

static bool parse_verdict(const char *s, enum brkwatch_verdict *v)
{
	for (unsigned i = 0; i < ARRAY_SIZE(verdict_names); i++) {
		if (verdict_names[i] && !strcmp(s, verdict_names[i])) {
			*v = (enum brkwatch_verdict)i;
			return true;
		}
	}
	return false;
}

static enum bwr_parse_result parse_details(char *s, struct bwr_call *c, unsigned no,
					   struct bwr_error *err)
{
	char *pair[MAX_TOKENS];
	char q[200];
	int n;

	c->details = 0;
	if (!strcmp(s, "-"))
		return BWR_OK;
	if (s[0] == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return fail(err, BWR_E_FORMAT, no, "column 'details': empty key=value pair");
	n = split(s, ',', pair);
	if (n > MAX_TOKENS)
		return fail(err, BWR_E_FORMAT, no, "column 'details': too many pairs");
	for (int i = 0; i < n; i++) {
		char *k = pair[i], *v = strchr(k, '=');
		unsigned bit;
		bool ok;

		if (!v)
			return fail(err, BWR_E_FORMAT, no,
				    "column 'details': '%s' is not key=value",
				    quote(k, q, sizeof(q)));
		*v++ = '\0';
		if (!strcmp(k, "limit")) {
			bit = BWR_D_LIMIT;
			ok = parse_u64(v, UINT64_MAX, &c->limit);
		} else if (!strcmp(k, "size")) {
			bit = BWR_D_SIZE;
			ok = parse_u64(v, UINT64_MAX, &c->size);
		} else if (!strcmp(k, "next_start")) {
			bit = BWR_D_NEXT_START;
			ok = parse_hex(v, &c->next_start);
		} else if (!strcmp(k, "next_end")) {
			bit = BWR_D_NEXT_END;
			ok = parse_hex(v, &c->next_end);
		} else if (!strcmp(k, "next_kind")) {
			bit = BWR_D_NEXT_KIND;
			ok = false;
			for (unsigned j = 0; j < ARRAY_SIZE(next_kind_names); j++) {
				if (!strcmp(v, next_kind_names[j])) {
					c->next_kind = (enum brkwatch_next_kind)j;
					ok = true;
				}
			}
		} else if (!strcmp(k, "gap_only")) {
			bit = BWR_D_GAP_ONLY;
			ok = !strcmp(v, "0") || !strcmp(v, "1");
			c->gap_only = !strcmp(v, "1");
		} else if (!strcmp(k, "err")) {
			bit = BWR_D_ERR;
			ok = parse_i64(v, &c->err) && c->err < 0 && c->err >= -4095;
		} else {
			return fail(err, BWR_E_FORMAT, no, "column 'details': unknown key '%s'",
				    quote(k, q, sizeof(q)));
		}
		if (c->details & bit)
			return fail(err, BWR_E_FORMAT, no, "column 'details': '%s' given twice", k);
		if (!ok)
			return fail(err, BWR_E_FORMAT, no, "column 'details': bad value for '%s': '%s'",
				    k, quote(v, q, sizeof(q)));
		c->details |= bit;
	}
	return BWR_OK;
}

/* PAGE_ALIGN(); an address in the last page (not a user one) wraps to 0, as in the kernel */
static uint64_t page_align(uint64_t a)
{
	return (a + 4095) & ~(uint64_t)4095;
}

static enum bwr_parse_result parse_call(char *line, unsigned no, struct bwr_call *c,
					struct bwr_error *err)
{
	char *t[MAX_TOKENS];
	char q[200], name[32];
	int n = split(line, ' ', t);
	int bad = -1;
	int64_t ret;

	memset(c, 0, sizeof(*c));
	if (n < (int)N_COLUMNS)
		return fail(err, BWR_E_FORMAT, no, "missing column '%s' (%d of %zu columns)",
			    column_name((unsigned)n, name, sizeof(name)), n, N_COLUMNS);
	if (n > (int)N_COLUMNS)
		return fail(err, BWR_E_FORMAT, no, "more than %zu columns", N_COLUMNS);

	if (!parse_u64(t[0], UINT64_MAX, &c->seq) || c->seq == 0)
		bad = 0;
	else if (!parse_u64(t[1], UINT64_MAX, &c->time_ns))
		bad = 1;
	else if (!parse_u32(t[2], &c->tid))
		bad = 2;
	else if (strcmp(t[3], "x64") && strcmp(t[3], "ia32"))
		bad = 3;
	else if (!parse_hex(t[4], &c->request))
		bad = 4;
	else if (!parse_hex(t[5], &c->brk_before))
		bad = 5;
	else if (!parse_hex(t[6], &c->brk_after))
		bad = 6;
	else if (!parse_hex(t[7], &c->aligned_before))
		bad = 7;
	else if (!parse_hex(t[8], &c->aligned_after))
		bad = 8;
	else if (!parse_i64(t[9], &c->delta))
		bad = 9;
	else if (t[10][0] == '-' ? !parse_i64(t[10], &ret) || ret < -4095 || ret > -1
				 : !parse_hex(t[10], &c->ret))
		bad = 10;
	else if (!parse_u32(t[11], &c->duration_ns))
		bad = 11;
	else if (!parse_verdict(t[12], &c->verdict))
		return fail(err, BWR_E_FORMAT, no, "unknown verdict '%s'",
			    quote(t[12], q, sizeof(q)));
	if (bad >= 0)
		return fail(err, BWR_E_FORMAT, no, "column '%s': bad value '%s'",
			    column_name((unsigned)bad, name, sizeof(name)),
			    quote(t[bad], q, sizeof(q)));
	c->ia32 = !strcmp(t[3], "ia32");
	if (t[10][0] == '-')
		c->ret_errno = (int)ret;
	if ((uint64_t)c->delta != c->aligned_after - c->aligned_before)
		return fail(err, BWR_E_FORMAT, no,
			    "column 'delta': %lld is not aligned_after - aligned_before",
			    (long long)c->delta);
	if (c->aligned_before != page_align(c->brk_before))
		return fail(err, BWR_E_FORMAT, no,
			    "column 'aligned_before': %s is not brk_before rounded up to a page",
			    t[7]);
	if (c->aligned_after != page_align(c->brk_after))
		return fail(err, BWR_E_FORMAT, no,
			    "column 'aligned_after': %s is not brk_after rounded up to a page",
			    t[8]);
	/* what each verdict did to the pages: grow maps, shrink unmaps, the rest neither */
	if ((c->verdict == BRKWATCH_GROW && c->delta <= 0) ||
	    (c->verdict == BRKWATCH_SHRINK && c->delta >= 0) ||
	    (c->verdict != BRKWATCH_GROW && c->verdict != BRKWATCH_SHRINK &&
	     c->verdict != BRKWATCH_UNKNOWN && c->delta != 0))
		return fail(err, BWR_E_FORMAT, no, "verdict '%s' with delta %lld: the two contradict",
			    t[12], (long long)c->delta);
	return parse_details(t[13], c, no, err);
}

static enum bwr_parse_result parse_exec(char *line, unsigned no, struct bwr_exec *x,
					struct bwr_error *err)
{
	static const char *const keys[] = {
		"time_ns", "tid", "comm", "start_brk", "start_data", "end_data",
	};
	/* keys[3] to keys[5] */
	uint64_t *const hex[] = { &x->start_brk, &x->start_data, &x->end_data };
	char *t[MAX_TOKENS];
	char q[200];
	int n = split(line, ' ', t);

	memset(x, 0, sizeof(*x));
	if (n != (int)ARRAY_SIZE(keys))
		return fail(err, BWR_E_FORMAT, no, "exec line: expected %zu key=value fields, found %d",
			    ARRAY_SIZE(keys), n > MAX_TOKENS ? MAX_TOKENS : n);
	for (int i = 0; i < n; i++) {
		size_t kl = strlen(keys[i]);
		const char *v = t[i] + kl + 1;
		bool ok;

		if (strncmp(t[i], keys[i], kl) || t[i][kl] != '=')
			return fail(err, BWR_E_FORMAT, no, "exec line: expected '%s=' at '%s'",
				    keys[i], quote(t[i], q, sizeof(q)));
		if (i == 0)
			ok = parse_u64(v, UINT64_MAX, &x->time_ns);
		else if (i == 1)
			ok = parse_u32(v, &x->tid);
		else if (i == 2)
			ok = parse_comm(v, &x->comm);
		else
			ok = parse_hex(v, hex[i - 3]);
		if (!ok)
			return fail(err, BWR_E_FORMAT, no, "exec line: bad value for '%s': '%s'",
				    keys[i], quote(v, q, sizeof(q)));
	}
	return BWR_OK;
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * "seq=N regs=R0,...,R16 bytes=N data=HEX" (after "# stack "), into s with
 * its bytes in buf (BWR_MAX_STACK_BYTES).
 */
static enum bwr_parse_result parse_stack(char *line, unsigned no, struct bwr_stack *s,
					 unsigned char *buf, struct bwr_error *err)
{
	static const char *const keys[] = { "seq", "regs", "bytes", "data" };
	char *t[MAX_TOKENS], *reg[MAX_TOKENS];
	char q[200];
	int n = split(line, ' ', t), nr;
	uint64_t bytes;
	size_t dl;

	memset(s, 0, sizeof(*s));
	if (n != (int)ARRAY_SIZE(keys))
		return fail(err, BWR_E_FORMAT, no,
			    "stack line: expected %zu key=value fields, found %d",
			    ARRAY_SIZE(keys), n > MAX_TOKENS ? MAX_TOKENS : n);
	for (int i = 0; i < n; i++) {
		size_t kl = strlen(keys[i]);

		if (strncmp(t[i], keys[i], kl) || t[i][kl] != '=')
			return fail(err, BWR_E_FORMAT, no, "stack line: expected '%s=' at '%s'",
				    keys[i], quote(t[i], q, sizeof(q)));
		t[i] += kl + 1;
	}
	if (!parse_u64(t[0], UINT64_MAX, &s->seq) || s->seq == 0)
		return fail(err, BWR_E_FORMAT, no, "stack line: bad value for 'seq': '%s'",
			    quote(t[0], q, sizeof(q)));
	if (t[1][0] == ',' || !t[1][0] || t[1][strlen(t[1]) - 1] == ',' || strstr(t[1], ",,"))
		return fail(err, BWR_E_FORMAT, no, "stack line: 'regs': empty register");
	nr = split(t[1], ',', reg);
	if (nr != BWR_STACK_REGS)
		return fail(err, BWR_E_FORMAT, no,
			    "stack line: 'regs': expected %d registers, found %s%d", BWR_STACK_REGS, nr > MAX_TOKENS ? "more than " : "",
			    nr > MAX_TOKENS ? MAX_TOKENS : nr);
	for (int i = 0; i < nr; i++)
		if (!parse_hex(reg[i], &s->regs[i]))
			return fail(err, BWR_E_FORMAT, no,
				    "stack line: 'regs': bad value for register %d: '%s'",
				    i, quote(reg[i], q, sizeof(q)));
	if (!parse_u64(t[2], BWR_MAX_STACK_BYTES, &bytes))
		return fail(err, BWR_E_FORMAT, no,
			    "stack line: bad value for 'bytes': '%s' (0 to %d)",
			    quote(t[2], q, sizeof(q)), BWR_MAX_STACK_BYTES);
	dl = strlen(t[3]);
	if (dl != 2 * bytes)
		return fail(err, BWR_E_FORMAT, no,
			    "stack line: 'data' has %zu hex digits, 'bytes' says %llu bytes",
			    dl, (unsigned long long)bytes);
	for (size_t i = 0; i < bytes; i++) {
		int hi = hexdigit(t[3][2 * i]), lo = hexdigit(t[3][2 * i + 1]);

		if (hi < 0 || lo < 0)
			return fail(err, BWR_E_FORMAT, no,
				    "stack line: 'data': not a lowercase hex digit at byte %zu", i);
		buf[i] = (unsigned char)(hi << 4 | lo);
	}
	s->len = (size_t)bytes;
	s->data = buf;
	return BWR_OK;
}

void bwr_history_count(struct bwr_history *h, const struct bwr_event *e)
{
	const struct bwr_call *c = &e->call;
	struct bwr_totals *t = &h->tot;

	if (!h->n_events++)
		h->first_ns = e->is_exec ? e->exec.time_ns : c->time_ns;
	if (e->is_exec) {
		h->has_exec = true;
		h->n_exec++;
		return;
	}
	h->n_stacks += c->stack != NULL;
	t->by_verdict[c->verdict]++;
	if (bwr_verdict_refused(c->verdict))
		t->refused++;
	if (c->delta > 0) {
		t->grown += (uint64_t)c->delta;
		t->grow_calls++;
	} else if (c->delta < 0) {
		t->shrunk += (uint64_t)0 - (uint64_t)c->delta;
		t->shrink_calls++;
	}
}

void bwr_parser_init(struct bwr_parser *p, struct bwr_history *h)
{
	p->no = 0;
	p->key = 0;
	p->last_seq = 0;
	p->part_len = 0;
	p->cr = false;
	p->pending = false;
	memset(h, 0, sizeof(*h));
}

bool bwr_parser_header_done(const struct bwr_parser *p)
{
	return p->key == H_N;
}

/* An event read: counted, handed on */
static enum bwr_parse_result deliver(struct bwr_history *h, const struct bwr_event *e,
				     bwr_event_fn fn, void *ctx)
{
	bwr_history_count(h, e);
	return fn ? fn(ctx, h, e) : BWR_OK;
}

enum bwr_parse_result bwr_parser_flush(struct bwr_parser *p, struct bwr_history *h,
				       bwr_event_fn fn, void *ctx)
{
	if (!p->pending)
		return BWR_OK;
	p->pending = false;
	return deliver(h, &p->ev, fn, ctx);
}

/* A "# stack" line: it belongs to the call just above, which goes on with it */
static enum bwr_parse_result stack_line(struct bwr_parser *p, struct bwr_history *h,
					bwr_event_fn fn, void *ctx, struct bwr_error *err)
{
	enum bwr_parse_result r;

	if (h->version < BWR_FORMAT_STACKS)
		return fail(err, BWR_E_FORMAT, p->no,
			    "a stack line in a format %u history (stacks came with format %d)",
			    h->version, BWR_FORMAT_STACKS);
	if (!p->pending)
		return fail(err, BWR_E_FORMAT, p->no, "a stack line not right under a call line");
	/* after "# stack " (or "# stack" and nothing) */
	r = parse_stack(p->part + STACK_PREFIX_LEN - !p->part[STACK_PREFIX_LEN - 1], p->no,
			&p->stack, p->stack_data, err);
	if (r)
		return r;
	if (p->stack.seq != p->ev.call.seq)
		return fail(err, BWR_E_FORMAT, p->no,
			    "the stack of seq %" PRIu64 " under the call of seq %" PRIu64,
			    p->stack.seq, p->ev.call.seq);
	p->ev.call.stack = &p->stack;
	return bwr_parser_flush(p, h, fn, ctx);
}

/* One complete line (NUL-terminated in p->part) */
static enum bwr_parse_result parse_line(struct bwr_parser *p, struct bwr_history *h,
					bwr_event_fn fn, void *ctx, struct bwr_error *err)
{
	enum bwr_parse_result r;
	struct bwr_event e;
	char q[200];

	if (p->key < H_N) {
		r = parse_header_line(p->part, p->no, (enum hkey)p->key, h, err);
		if (r)
			return r;
		if (p->key == H_DROPPED && h->dropped > h->calls)
			return fail(err, BWR_E_FORMAT, p->no,
				    "%" PRIu64 " calls dropped of %" PRIu64 " seen: more than there were",
				    h->dropped, h->calls);
		p->key++;
		return BWR_OK;
	}
	if (p->part[0] == '\0')
		return fail(err, BWR_E_FORMAT, p->no, "empty line");
	if (!strncmp(p->part, stack_prefix, STACK_PREFIX_LEN) || !strcmp(p->part, "# stack"))
		return stack_line(p, h, fn, ctx, err);
	r = bwr_parser_flush(p, h, fn, ctx);
	if (r)
		return r;
	if (p->part[0] == '#') {
		if (strncmp(p->part, "# exec ", 7))
			return fail(err, BWR_E_FORMAT, p->no, "unexpected comment '%s'",
				    quote(p->part, q, sizeof(q)));
		e.is_exec = true;
		r = parse_exec(p->part + 7, p->no, &e.exec, err);
	} else {
		e.is_exec = false;
		r = parse_call(p->part, p->no, &e.call, err);
		if (!r && e.call.seq <= p->last_seq)
			r = fail(err, BWR_E_FORMAT, p->no,
				 "seq %" PRIu64 " after seq %" PRIu64 ": not increasing",
				 e.call.seq, p->last_seq);
		if (!r)
			p->last_seq = e.call.seq;
	}
	if (r)
		return r;
	if (e.is_exec)
		return deliver(h, &e, fn, ctx);
	p->ev = e;		/* a "# stack" line may follow */
	p->pending = true;
	return BWR_OK;
}

/* The line gathered in p->part is complete: number it, check it, parse it. */
static enum bwr_parse_result end_line(struct bwr_parser *p, struct bwr_history *h,
				      bwr_event_fn fn, void *ctx, struct bwr_error *err)
{
	enum bwr_parse_result r;

	p->no++;
	r = check_line(p->part, &p->part_len, p->no, err);
	p->part_len = 0;
	return r ? r : parse_line(p, h, fn, ctx, err);
}

enum bwr_parse_result bwr_parser_feed(struct bwr_parser *p, struct bwr_history *h,
				      const char *text, size_t n, bool eof,
				      bwr_event_fn fn, void *ctx, struct bwr_error *err)
{
	enum bwr_parse_result r;
	const char *end = n ? text + n : text;	/* text may be NULL when n is 0 */

	memset(err, 0, sizeof(*err));
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t take = (size_t)((nl ? nl : end) - text);

		/* room for the longest line, its '\r', and one byte to see it is too long */
		if (p->part_len + take > BWR_MAX_LINE + 1) {
			char pre[STACK_PREFIX_LEN];
			size_t k = p->part_len < STACK_PREFIX_LEN ? p->part_len : STACK_PREFIX_LEN;
			int max = BWR_MAX_STACK_LINE;

			/* more than BWR_MAX_LINE bytes: the first few are in part and text */
			memcpy(pre, p->part, k);
			memcpy(pre + k, text, STACK_PREFIX_LEN - k);
			if (memcmp(pre, stack_prefix, STACK_PREFIX_LEN))
				max = BWR_MAX_LINE;
			if (p->part_len + take > (size_t)max + 1)
				return fail(err, BWR_E_FORMAT, p->no + 1,
					    "line longer than %d bytes", max);
		}
		memcpy(p->part + p->part_len, text, take);
		p->part_len += take;
		text += take;
		if (!nl)
			break;
		text++;
		r = end_line(p, h, fn, ctx, err);
		if (r)
			return r;
	}
	if (!eof)
		return BWR_OK;
	if (p->part_len) {
		r = end_line(p, h, fn, ctx, err);
		if (r)
			return r;
	}
	r = bwr_parser_flush(p, h, fn, ctx);
	if (r)
		return r;
	if (p->key < H_N)
		return fail(err, BWR_E_FORMAT, p->no + 1,
			    "truncated: expected header '# %s', found the end of the file",
			    header_keys[p->key]);
	return BWR_OK;
}

struct keep {
	size_t cap;
	struct bwr_history *h;
	unsigned no;
};

/* bwr_parse_history(): every event into h->ev, bounded */
static enum bwr_parse_result keep_event(void *ctx, const struct bwr_history *hh,
					const struct bwr_event *e)
{
	struct keep *k = ctx;
	struct bwr_history *h = k->h;

	(void)hh;
	if (h->n_ev == BWR_MAX_EVENTS)
		return BWR_E_FORMAT;	/* the caller words it */
	if (h->n_ev == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 64;
		struct bwr_event *ev;

		if (ncap > BWR_MAX_EVENTS)
			ncap = BWR_MAX_EVENTS;
		ev = realloc(h->ev, ncap * sizeof(*ev));
		if (!ev)
			return BWR_E_NOMEM;
		h->ev = ev;
		k->cap = ncap;
	}
	h->ev[h->n_ev] = *e;
	if (!e->is_exec && e->call.stack) {
		const struct bwr_stack *s = e->call.stack;
		struct bwr_stack *copy = malloc(sizeof(*copy) + s->len);

		if (!copy) {
			h->ev[h->n_ev].call.stack = NULL;
			return BWR_E_NOMEM;
		}
		*copy = *s;
		memcpy(copy + 1, s->data, s->len);
		copy->data = (const unsigned char *)(copy + 1);
		h->ev[h->n_ev].call.stack = copy;
	}
	h->n_ev++;
	return BWR_OK;
}

enum bwr_parse_result bwr_parse_history(const char *text, size_t len,
					struct bwr_history *h, struct bwr_error *err)
{
	struct bwr_parser *p;
	struct keep k = { .cap = 0, .h = h };
	enum bwr_parse_result r;

	memset(h, 0, sizeof(*h));
	memset(err, 0, sizeof(*err));
	if (len > BWR_MAX_INPUT)
		return fail(err, BWR_E_FORMAT, 0, "more than %u bytes", BWR_MAX_INPUT);
	p = malloc(sizeof(*p));
	if (!p)
		return fail(err, BWR_E_NOMEM, 0, "out of memory");
	bwr_parser_init(p, h);
	r = bwr_parser_feed(p, h, text, len, true, keep_event, &k, err);
	if (r != BWR_OK && !err->msg[0]) {
		if (r == BWR_E_NOMEM)
			fail(err, r, p->no, "out of memory");
		else
			fail(err, r, p->no, "more than %u events (refusing, to bound memory)",
			     BWR_MAX_EVENTS);
	}
	free(p);
	if (r)
		bwr_history_free(h);
	return r;
}

void bwr_history_free(struct bwr_history *h)
{
	for (size_t i = 0; h->ev && i < h->n_ev; i++)
		if (!h->ev[i].is_exec)
			free((void *)h->ev[i].call.stack);
	free(h->ev);
	memset(h, 0, sizeof(*h));
}

void bwr_walk_init(const struct bwr_history *h, struct bwr_walk *w)
{
	w->base = h->start_brk;
	w->start_data = h->start_data;
	w->end_data = h->end_data;
	w->known = !h->has_exec;
}

void bwr_walk_step(struct bwr_walk *w, const struct bwr_event *e)
{
	if (e->is_exec) {
		w->base = e->exec.start_brk;
		w->start_data = e->exec.start_data;
		w->end_data = e->exec.end_data;
		w->known = true;
	}
}

/* ---- status ---- */

static const struct {
	const char *key;
	enum bwr_status_type type;
} status_keys[] = {
	{ "version", BWR_ST_STR },
	{ "format", BWR_ST_U64 },
	{ "kernel", BWR_ST_STR },
	{ "probes", BWR_ST_LIST },
	{ "probes_missing", BWR_ST_LIST },
	{ "paused", BWR_ST_BOOL },
	{ "calls_seen", BWR_ST_U64 },
	{ "records_stored", BWR_ST_U64 },
	{ "records_dropped_ring", BWR_ST_U64 },
	{ "records_dropped_memcap", BWR_ST_U64 },
	{ "records_dropped_nomem", BWR_ST_U64 },
	{ "kretprobe_missed", BWR_ST_U64 },
	{ "inflight_overflow", BWR_ST_U64 },
	{ "unknown_verdicts", BWR_ST_U64 },
	{ "processes_running", BWR_ST_U64 },
	{ "processes_exited", BWR_ST_U64 },
	{ "memory_bytes", BWR_ST_U64 },
	{ "memory_cap_bytes", BWR_ST_U64 },
	{ "records_per_process", BWR_ST_U64 },
	{ "exited_keep_seconds", BWR_ST_U64 },
};

enum bwr_parse_result bwr_parse_status(const char *text, size_t len,
				       struct bwr_status *st, struct bwr_error *err)
{
	struct lines *it = NULL;
	enum bwr_parse_result r = BWR_OK;
	char q[200];
	int got;

	memset(st, 0, sizeof(*st));
	r = lines_open(text, len, &it, err);
	if (r)
		return r;
	while (!r && (got = next_line(it, err)) != 0) {
		char *line = it->buf, *sep, *val;
		size_t klen;
		int type = -1;

		if (got < 0) {
			r = BWR_E_FORMAT;
			break;
		}
		sep = strstr(line, ": ");
		klen = sep ? (size_t)(sep - line) : 0;
		if (!sep || klen == 0 || klen >= BWR_STATUS_KEY ||
		    strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_") != klen) {
			r = fail(err, BWR_E_FORMAT, it->no, "expected 'key: value', got '%s'",
				 quote(line, q, sizeof(q)));
			break;
		}
		*sep = '\0';
		val = sep + 2;
		if (!*val || strlen(val) >= BWR_STATUS_VAL) {
			r = fail(err, BWR_E_FORMAT, it->no, "'%s': empty or overlong value", line);
			break;
		}
		for (const char *c = val; *c; c++) {
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
				r = fail(err, BWR_E_FORMAT, it->no, "'%s': non-printable byte in value", line);
				break;
			}
		}
		if (r)
			break;
		for (size_t i = 0; i < st->n; i++)
			if (!strcmp(st->kv[i].key, line))
				r = fail(err, BWR_E_FORMAT, it->no, "'%s' given twice", line);
		if (r)
			break;
		if (st->n == BWR_STATUS_MAX) {
			r = fail(err, BWR_E_FORMAT, it->no, "more than %d keys", BWR_STATUS_MAX);
			break;
		}
		for (size_t i = 0; i < ARRAY_SIZE(status_keys); i++)
			if (!strcmp(status_keys[i].key, line))
				type = (int)status_keys[i].type;
		strcpy(st->kv[st->n].key, line);
		strcpy(st->kv[st->n].val, val);
		/* keys this reader does not know yet: numbers stay numbers */
		if (type < 0)
			type = parse_u64(val, UINT64_MAX, &st->kv[st->n].u) ?
			       BWR_ST_U64 : BWR_ST_STR;
		st->kv[st->n].type = (enum bwr_status_type)type;
		if (type == BWR_ST_U64 && !parse_u64(val, UINT64_MAX, &st->kv[st->n].u))
			r = fail(err, BWR_E_FORMAT, it->no, "'%s': expected a decimal number, got '%s'",
				 line, quote(val, q, sizeof(q)));
		if (type == BWR_ST_BOOL) {
			if (strcmp(val, "yes") && strcmp(val, "no"))
				r = fail(err, BWR_E_FORMAT, it->no, "'%s': expected yes or no, got '%s'",
					 line, quote(val, q, sizeof(q)));
			st->kv[st->n].u = !strcmp(val, "yes");
		}
		st->n++;
	}
	for (size_t i = 0; !r && i < ARRAY_SIZE(status_keys); i++)
		if (!bwr_status_get(st, status_keys[i].key))
			r = fail(err, BWR_E_FORMAT, it->no + 1, "key '%s' missing (truncated?)",
				 status_keys[i].key);
	free(it);
	return r;
}

const char *bwr_status_get(const struct bwr_status *st, const char *key)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->kv[i].key, key))
			return st->kv[i].val;
	return NULL;
}

uint64_t bwr_status_u64(const struct bwr_status *st, const char *key)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->kv[i].key, key) &&
		    (st->kv[i].type == BWR_ST_U64 || st->kv[i].type == BWR_ST_BOOL))
			return st->kv[i].u;
	return 0;
}

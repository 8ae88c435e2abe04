// SPDX-License-Identifier: GPL-2.0
/*
 * jsoncheck: the one checker of the reader's JSON (jsoncheck.h). The schema
 * below is brkwatch(1)'s JSON OUTPUT section, key by key: a key it does not
 * name, a missing key, a wrong type or an unknown name is the first problem
 * reported, with the path to it ("processes[0].events[2].verdict: ...").
 */
#include "jsoncheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brkwatch.h>

#define JC_MAX_DEPTH	64
#define JC_MAX_NODES	(1 << 22)

/* ---- syntax ---- */

static int fail_at(struct jc_doc *d, const char *why)
{
	if (!d->err[0]) {
		d->err_at = (size_t)(d->p - d->start);
		snprintf(d->err, sizeof(d->err), "byte %zu: %s", d->err_at, why);
	}
	return -1;
}

static void skip_ws(struct jc_doc *d)
{
	while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
		d->p++;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence of two to four bytes at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, beyond Unicode, or a surrogate */
	return len;
}

/* A string at d->p (the opening quote); its raw contents in *s, *len. */
static int parse_string(struct jc_doc *d, const char **s, size_t *len)
{
	d->p++;
	*s = d->p;
	for (;;) {
		unsigned char c;

		if (d->p >= d->end)
			return fail_at(d, "unterminated string");
		c = (unsigned char)*d->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail_at(d, "control byte in a string");
		if (c == 0x7f)	/* brkwatch(1): escaped as \u007f */
			return fail_at(d, "unescaped byte 0x7f in a string");
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)d->p, (size_t)(d->end - d->p));

			if (!n)
				return fail_at(d, "invalid UTF-8 in a string");
			d->p += n;
			continue;
		}
		if (c == '\\') {
			d->p++;
			if (d->p >= d->end)
				return fail_at(d, "unterminated escape");
			if (*d->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (d->p + i >= d->end || !is_hex(d->p[i]))
						return fail_at(d, "bad \\u escape");
				d->p += 4;
			} else if (!strchr("\"\\/bfnrt", *d->p)) {
				return fail_at(d, "bad escape");
			}
		}
		d->p++;
	}
	*len = (size_t)(d->p - *s);
	d->p++;
	return 0;
}

static int parse_number(struct jc_doc *d)
{
	if (d->p < d->end && *d->p == '-')
		d->p++;
	if (d->p >= d->end || !is_digit(*d->p))
		return fail_at(d, "bad number");
	if (*d->p == '0')
		d->p++;
	else
		while (d->p < d->end && is_digit(*d->p))
			d->p++;
	if (d->p < d->end && *d->p == '.') {
		d->p++;
		if (d->p >= d->end || !is_digit(*d->p))
			return fail_at(d, "bad fraction");
		while (d->p < d->end && is_digit(*d->p))
			d->p++;
	}
	if (d->p < d->end && (*d->p == 'e' || *d->p == 'E')) {
		d->p++;
		if (d->p < d->end && (*d->p == '+' || *d->p == '-'))
			d->p++;
		if (d->p >= d->end || !is_digit(*d->p))
			return fail_at(d, "bad exponent");
		while (d->p < d->end && is_digit(*d->p))
			d->p++;
	}
	if (d->p < d->end && (is_digit(*d->p) || *d->p == '.'))
		return fail_at(d, "bad number");	/* 01, 1.2.3 */
	return 0;
}

static int new_node(struct jc_doc *d, enum jc_type type)
{
	struct jc_node *n;

	if (d->count == d->cap) {
		int cap = d->cap ? d->cap * 2 : 256;

		if (cap > JC_MAX_NODES)
			return fail_at(d, "too many values");
		n = realloc(d->n, (size_t)cap * sizeof(*n));
		if (!n)
			return fail_at(d, "out of memory");
		d->n = n;
		d->cap = cap;
	}
	n = &d->n[d->count];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->text = d->p;
	n->first = n->last = n->next = -1;
	return d->count++;
}

static void add_child(struct jc_doc *d, int parent, int child)
{
	struct jc_node *p = &d->n[parent];

	if (p->last >= 0)
		d->n[p->last].next = child;
	else
		p->first = child;
	p->last = child;
	p->count++;
}

static int parse_value(struct jc_doc *d, int depth)
{
	static const struct { const char *word; enum jc_type type; } lit[] = {
		{ "null", JC_NULL }, { "false", JC_FALSE }, { "true", JC_TRUE },
	};
	int me, child;

	if (depth > JC_MAX_DEPTH)
		return fail_at(d, "nested too deep");
	skip_ws(d);
	if (d->p >= d->end)
		return fail_at(d, "value expected");
	if (*d->p == '{' || *d->p == '[') {
		bool obj = *d->p == '{';
		char close = obj ? '}' : ']';

		me = new_node(d, obj ? JC_OBJ : JC_ARR);
		if (me < 0)
			return -1;
		d->p++;
		skip_ws(d);
		if (d->p < d->end && *d->p == close) {
			d->p++;
			return me;
		}
		for (;;) {
			const char *key = NULL;
			size_t klen = 0;

			skip_ws(d);
			if (obj) {
				if (d->p >= d->end || *d->p != '"')
					return fail_at(d, "member name expected");
				if (parse_string(d, &key, &klen))
					return -1;
				skip_ws(d);
				if (d->p >= d->end || *d->p != ':')
					return fail_at(d, "':' expected");
				d->p++;
			}
			child = parse_value(d, depth + 1);
			if (child < 0)
				return -1;
			d->n[child].key = key;
			d->n[child].klen = klen;
			add_child(d, me, child);
			skip_ws(d);
			if (d->p < d->end && *d->p == ',') {
				d->p++;
				continue;
			}
			if (d->p < d->end && *d->p == close) {
				d->p++;
				return me;
			}
			return fail_at(d, obj ? "',' or '}' expected" : "',' or ']' expected");
		}
	}
	if (*d->p == '"') {
		me = new_node(d, JC_STR);
		if (me < 0 || parse_string(d, &d->n[me].text, &d->n[me].len))
			return -1;
		return me;
	}
	if (*d->p == '-' || is_digit(*d->p)) {
		me = new_node(d, JC_NUM);
		if (me < 0 || parse_number(d))
			return -1;
		d->n[me].len = (size_t)(d->p - d->n[me].text);
		return me;
	}
	for (size_t i = 0; i < sizeof(lit) / sizeof(lit[0]); i++) {
		size_t wl = strlen(lit[i].word);

		if ((size_t)(d->end - d->p) >= wl && !memcmp(d->p, lit[i].word, wl)) {
			me = new_node(d, lit[i].type);
			if (me < 0)
				return -1;
			d->p += wl;
			return me;
		}
	}
	return fail_at(d, "unexpected character");
}

int jc_parse(struct jc_doc *d, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->p = d->start = text;
	d->end = text + len;
	if (parse_value(d, 0) < 0)
		return -1;
	skip_ws(d);
	if (d->p != d->end)
		return fail_at(d, "text after the document");
	return 0;
}

void jc_free(struct jc_doc *d)
{
	free(d->n);
	d->n = NULL;
	d->count = d->cap = 0;
}

int jc_get(const struct jc_doc *d, int obj, const char *key)
{
	size_t klen = strlen(key);

	if (obj < 0 || d->n[obj].type != JC_OBJ)
		return -1;
	for (int c = d->n[obj].first; c >= 0; c = d->n[c].next)
		if (d->n[c].klen == klen && !memcmp(d->n[c].key, key, klen))
			return c;
	return -1;
}

int jc_at(const struct jc_doc *d, int arr, int i)
{
	int c;

	if (arr < 0 || d->n[arr].type != JC_ARR)
		return -1;
	for (c = d->n[arr].first; c >= 0 && i; c = d->n[c].next)
		i--;
	return c;
}

bool jc_str_is(const struct jc_doc *d, int v, const char *s)
{
	return v >= 0 && d->n[v].type == JC_STR && d->n[v].len == strlen(s) &&
	       !memcmp(d->n[v].text, s, d->n[v].len);
}

bool jc_int(const struct jc_doc *d, int v, long long *out)
{
	char buf[32], *end;

	if (v < 0 || d->n[v].type != JC_NUM || d->n[v].len >= sizeof(buf))
		return false;
	memcpy(buf, d->n[v].text, d->n[v].len);
	buf[d->n[v].len] = '\0';
	if (strpbrk(buf, ".eE"))
		return false;
	errno = 0;
	if (buf[0] == '-')
		*out = strtoll(buf, &end, 10);
	else
		*out = (long long)strtoull(buf, &end, 10);
	return !errno && !*end;
}

/* ---- schema ---- */

static int fail(struct jc_doc *d, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct jc_doc *d, const char *path, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!d->err[0]) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(d->err, sizeof(d->err), "%s%s%s", path, *path ? ": " : "", msg);
	}
	return -1;
}

enum kind {
	K_UINT,		/* integer >= 0, up to 2^64 - 1 */
	K_INT,		/* integer, signed 64 bits */
	K_NEG,		/* integer < 0 */
	K_BOOL,
	K_STR,
	K_STRS,		/* array of strings */
	K_ADDR,		/* "0x" and 16 lowercase hex digits */
	K_WHERE,	/* K_ADDR, or with --relative an offset "+0x.." "-0x.." or "0x0" */
	K_STATE,	/* running, exited */
	K_ENTRY,	/* x64, ia32 */
	K_VERDICT,	/* module/brkwatch.h */
	K_NEXT_KIND,	/* module/brkwatch.h */
	K_THREAD,	/* main, T1, T2... */
	K_OBJ,
	K_ARR,
	K_ANY_UINT_STR,	/* status keys this reader does not know */
};

#define K_NULL	0x100	/* or null */

/* When a key is there: always, only without/with --relative, only in -f lines, maybe. */
enum { F_ALL, F_ABS = 1, F_REL = 2, F_LINE = 4, F_OPT = 8 };

struct field {
	const char *key;
	int kind;
	int when;
};

struct ctx {
	bool rel;	/* --relative */
	bool line;	/* a line of -f --json */
};

static const char *const verdicts[] = BRKWATCH_VERDICT_NAMES;
static const char *const next_kinds[] = BRKWATCH_NEXT_KIND_NAMES;

static const char *type_name(enum jc_type t)
{
	static const char *const names[] = {
		[JC_NULL] = "null", [JC_FALSE] = "a bool", [JC_TRUE] = "a bool",
		[JC_NUM] = "a number", [JC_STR] = "a string", [JC_ARR] = "an array",
		[JC_OBJ] = "an object",
	};

	return names[t];
}

static bool str_in(const struct jc_node *n, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (n->len == strlen(names[i]) && !memcmp(n->text, names[i], n->len))
			return true;
	return false;
}

static bool hex_run(const char *s, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

static bool is_addr(const struct jc_node *n)
{
	return n->len == 18 && !memcmp(n->text, "0x", 2) && hex_run(n->text + 2, 16, 16, 16);
}

static bool is_offset(const struct jc_node *n)
{
	if (n->len == 3 && !memcmp(n->text, "0x0", 3))
		return true;
	return n->len > 3 && (n->text[0] == '+' || n->text[0] == '-') &&
	       !memcmp(n->text + 1, "0x", 2) && hex_run(n->text + 3, n->len - 3, 1, 16) &&
	       (n->len == 4 || n->text[3] != '0');
}

static bool is_thread(const struct jc_node *n)
{
	if (n->len == 4 && !memcmp(n->text, "main", 4))
		return true;
	if (n->len < 2 || n->len > 11 || n->text[0] != 'T' || n->text[1] == '0')
		return false;
	for (size_t i = 1; i < n->len; i++)
		if (!is_digit(n->text[i]))
			return false;
	return true;
}

/* An integer that fits: sign -1 negative, 0 signed, 1 unsigned. */
static bool is_int(const struct jc_doc *d, int v, int sign)
{
	const struct jc_node *n = &d->n[v];
	char buf[32], *end;

	if (n->type != JC_NUM || n->len >= sizeof(buf) || memchr(n->text, '.', n->len) ||
	    memchr(n->text, 'e', n->len) || memchr(n->text, 'E', n->len))
		return false;
	memcpy(buf, n->text, n->len);
	buf[n->len] = '\0';
	errno = 0;
	if (buf[0] == '-') {
		long long x = strtoll(buf, &end, 10);

		return sign <= 0 && !errno && !*end && x < 0;
	}
	if (sign < 0)
		return false;
	if (sign > 0)
		strtoull(buf, &end, 10);
	else
		strtoll(buf, &end, 10);
	return !errno && !*end;
}

static int check_kind(struct jc_doc *d, int v, int kind, const struct ctx *c,
		      const char *path)
{
	const struct jc_node *n = &d->n[v];

	if ((kind & K_NULL) && n->type == JC_NULL)
		return 0;
	switch (kind & ~K_NULL) {
	case K_UINT:
		if (!is_int(d, v, 1))
			return fail(d, path, "%s, not an integer >= 0", type_name(n->type));
		return 0;
	case K_INT:
		if (!is_int(d, v, 0))
			return fail(d, path, "%s, not a 64-bit integer", type_name(n->type));
		return 0;
	case K_NEG:
		if (!is_int(d, v, -1))
			return fail(d, path, "%s, not a negative integer%s", type_name(n->type),
				    kind & K_NULL ? " or null" : "");
		return 0;
	case K_BOOL:
		if (n->type != JC_TRUE && n->type != JC_FALSE)
			return fail(d, path, "%s, not a bool", type_name(n->type));
		return 0;
	case K_OBJ:
		if (n->type != JC_OBJ)
			return fail(d, path, "%s, not an object", type_name(n->type));
		return 0;
	case K_ARR:
		if (n->type != JC_ARR)
			return fail(d, path, "%s, not an array", type_name(n->type));
		return 0;
	case K_STRS:
		if (n->type != JC_ARR)
			return fail(d, path, "%s, not an array of strings", type_name(n->type));
		for (int e = n->first, i = 0; e >= 0; e = d->n[e].next, i++)
			if (d->n[e].type != JC_STR)
				return fail(d, path, "element %d is %s, not a string", i,
					    type_name(d->n[e].type));
		return 0;
	case K_ANY_UINT_STR:
		if (n->type != JC_STR && !is_int(d, v, 1))
			return fail(d, path, "%s, not an integer >= 0 or a string",
				    type_name(n->type));
		return 0;
	}
	if (n->type != JC_STR)
		return fail(d, path, "%s, not a string%s", type_name(n->type),
			    kind & K_NULL ? " or null" : "");
	switch (kind & ~K_NULL) {
	case K_ADDR:
		if (!is_addr(n))
			goto bad;
		return 0;
	case K_WHERE:
		if (!is_addr(n) && !(c->rel && is_offset(n)))
			goto bad;
		return 0;
	case K_STATE:
		if (!str_in(n, (const char *const[]){ "running", "exited" }, 2))
			goto bad;
		return 0;
	case K_ENTRY:
		if (!str_in(n, (const char *const[]){ "x64", "ia32" }, 2))
			goto bad;
		return 0;
	case K_VERDICT:
		if (!str_in(n, verdicts, BRKWATCH_NR_VERDICTS))
			goto bad;
		return 0;
	case K_NEXT_KIND:
		if (!str_in(n, next_kinds, BRKWATCH_NR_NEXT_KINDS))
			goto bad;
		return 0;
	case K_THREAD:
		if (!is_thread(n))
			goto bad;
		return 0;
	}
	return 0;
bad:
	{
		static const char *const what[] = {
			[K_ADDR] = "an address (0x and 16 lowercase hex digits)",
			[K_WHERE] = "an address or, with --relative, an offset",
			[K_STATE] = "a state (running, exited)",
			[K_ENTRY] = "an entry (x64, ia32)",
			[K_VERDICT] = "a verdict name of module/brkwatch.h",
			[K_NEXT_KIND] = "a next kind (anon, file, stack, growsdown)",
			[K_THREAD] = "a thread label (main, T1, T2...)",
		};

		return fail(d, path, "\"%.*s\" is not %s", (int)(n->len > 40 ? 40 : n->len),
			    n->text, what[kind & ~K_NULL]);
	}
}

static bool field_applies(const struct field *f, const struct ctx *c)
{
	if ((f->when & F_ABS) && c->rel)
		return false;
	if ((f->when & F_REL) && !c->rel)
		return false;
	if ((f->when & F_LINE) && !c->line)
		return false;
	return true;
}

/*
 * The members of object obj against fields: each member named by a field
 * that applies, once, of its kind; each such field not F_OPT present. A
 * member no field names is refused, or with other >= 0 of that kind.
 */
static int check_fields(struct jc_doc *d, int obj, const struct field *fields, size_t nf,
			int other, const struct ctx *c, const char *path)
{
	char sub[160];

	if (d->n[obj].type != JC_OBJ)
		return fail(d, path, "%s, not an object", type_name(d->n[obj].type));
	for (int m = d->n[obj].first; m >= 0; m = d->n[m].next) {
		const struct jc_node *n = &d->n[m];
		size_t i;

		for (i = 0; i < nf; i++)
			if (n->klen == strlen(fields[i].key) &&
			    !memcmp(n->key, fields[i].key, n->klen))
				break;
		snprintf(sub, sizeof(sub), "%s%s%.*s", path, *path ? "." : "",
			 (int)(n->klen > 40 ? 40 : n->klen), n->key);
		if (i == nf && other < 0)
			return fail(d, sub, "unknown key");
		if (i < nf && !field_applies(&fields[i], c))
			return fail(d, sub, "%s", (fields[i].when & F_ABS) && c->rel ?
				    "not in a --relative document" : (fields[i].when & F_REL) &&
				    !c->rel ? "only in a --relative document" :
				    "only in a line of -f --json");
		for (int o = d->n[obj].first; o != m; o = d->n[o].next)
			if (d->n[o].klen == n->klen && !memcmp(d->n[o].key, n->key, n->klen))
				return fail(d, sub, "key given twice");
		if (check_kind(d, m, i < nf ? fields[i].kind : other, c, sub))
			return -1;
	}
	for (size_t i = 0; i < nf; i++)
		if (!(fields[i].when & F_OPT) && field_applies(&fields[i], c) &&
		    jc_get(d, obj, fields[i].key) < 0)
			return fail(d, path, "key '%s' missing", fields[i].key);
	return 0;
}

#define CHECK_FIELDS(d, obj, fields, c, path) \
	check_fields(d, obj, fields, sizeof(fields) / sizeof(fields[0]), -1, c, path)

static void join(char *buf, size_t size, const char *path, const char *key, int index)
{
	if (index >= 0)
		snprintf(buf, size, "%s%s%s[%d]", path, *path && *key ? "." : "", key, index);
	else
		snprintf(buf, size, "%s%s%s", path, *path ? "." : "", key);
}

static int check_totals(struct jc_doc *d, int t, const struct ctx *c, const char *path)
{
	static const struct field fields[] = {
		{ "grown_bytes", K_UINT, F_ALL }, { "grow_calls", K_UINT, F_ALL },
		{ "shrunk_bytes", K_UINT, F_ALL }, { "shrink_calls", K_UINT, F_ALL },
		{ "refused_calls", K_UINT, F_ALL }, { "by_verdict", K_OBJ, F_ALL },
	};
	struct field by[BRKWATCH_NR_VERDICTS];
	char sub[160];

	if (CHECK_FIELDS(d, t, fields, c, path))
		return -1;
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++)
		by[v] = (struct field){ verdicts[v], K_UINT, F_ALL };
	join(sub, sizeof(sub), path, "by_verdict", -1);
	return CHECK_FIELDS(d, jc_get(d, t, "by_verdict"), by, c, sub);
}

static int check_details(struct jc_doc *d, int det, const struct ctx *c, const char *path)
{
	static const struct field fields[] = {
		{ "limit", K_UINT, F_OPT }, { "size", K_UINT, F_OPT },
		{ "next_start", K_WHERE, F_OPT }, { "next_end", K_WHERE, F_OPT },
		{ "next_kind", K_NEXT_KIND, F_OPT }, { "gap_only", K_BOOL, F_OPT },
		{ "err", K_NEG, F_OPT },
	};

	return CHECK_FIELDS(d, det, fields, c, path);
}

/* "stack": frames, each with every key, null where unknown, consistent */
static int check_stack(struct jc_doc *d, int ev, const struct ctx *c, const char *path)
{
	static const struct field frame[] = {
		{ "address", K_ADDR | K_NULL, F_ALL }, { "object", K_STR | K_NULL, F_ALL },
		{ "symbol", K_STR | K_NULL, F_ALL }, { "offset", K_UINT | K_NULL, F_ALL },
		{ "file", K_STR | K_NULL, F_ALL }, { "line", K_UINT | K_NULL, F_ALL },
	};
	int st = jc_get(d, ev, "stack"), i = 0;
	char sub[160];

	if ((d->n[st].type == JC_NULL) != (d->n[jc_get(d, ev, "stack_end")].type == JC_NULL))
		return fail(d, path, "not both or neither of 'stack' and 'stack_end' null");
	if (d->n[st].type == JC_NULL)
		return 0;
	if (d->n[st].first < 0)
		return fail(d, path, "'stack' is empty: a stack has at least its first frame");
	for (int f = d->n[st].first; f >= 0; f = d->n[f].next, i++) {
		bool null_addr, null_obj, null_sym, null_off, null_file, null_line;

		join(sub, sizeof(sub), path, "stack", i);
		if (CHECK_FIELDS(d, f, frame, c, sub))
			return -1;
		null_addr = d->n[jc_get(d, f, "address")].type == JC_NULL;
		null_obj = d->n[jc_get(d, f, "object")].type == JC_NULL;
		null_sym = d->n[jc_get(d, f, "symbol")].type == JC_NULL;
		null_off = d->n[jc_get(d, f, "offset")].type == JC_NULL;
		null_file = d->n[jc_get(d, f, "file")].type == JC_NULL;
		null_line = d->n[jc_get(d, f, "line")].type == JC_NULL;
		if (null_addr != c->rel)
			return fail(d, sub, c->rel ? "an address in a --relative document" :
				    "no address");
		if (null_off != (null_sym && null_obj))
			return fail(d, sub,
				    "'offset' is null exactly when 'symbol' and 'object' are");
		if (null_file != null_line)
			return fail(d, sub, "not both or neither of 'file' and 'line' null");
	}
	return 0;
}

static int check_event(struct jc_doc *d, int ev, const struct ctx *c, const char *path)
{
	static const struct field call[] = {
		{ "type", K_STR, F_ALL }, { "pid", K_UINT, F_LINE | F_ABS },
		{ "seq", K_UINT, F_ALL }, { "time_ns", K_UINT, F_ABS }, { "tid", K_UINT, F_ABS },
		{ "thread", K_THREAD, F_REL }, { "entry", K_ENTRY, F_ALL },
		{ "request", K_WHERE, F_ALL }, { "brk_before", K_WHERE, F_ALL },
		{ "brk_after", K_WHERE, F_ALL }, { "aligned_before", K_WHERE, F_ALL },
		{ "aligned_after", K_WHERE, F_ALL }, { "delta", K_INT, F_ALL },
		{ "ret", K_WHERE | K_NULL, F_ALL }, { "ret_errno", K_NEG | K_NULL, F_ALL },
		{ "duration_ns", K_UINT, F_ABS }, { "verdict", K_VERDICT, F_ALL },
		{ "refused", K_BOOL, F_ALL }, { "details", K_OBJ, F_ALL },
		{ "stack", K_ARR | K_NULL, F_ALL }, { "stack_end", K_STR | K_NULL, F_ALL },
	};
	static const struct field exec[] = {
		{ "type", K_STR, F_ALL }, { "pid", K_UINT, F_LINE | F_ABS },
		{ "time_ns", K_UINT, F_ABS }, { "tid", K_UINT, F_ABS }, { "comm", K_STR, F_ALL },
		{ "start_brk", K_ADDR, F_ABS }, { "start_data", K_ADDR, F_ABS },
		{ "end_data", K_ADDR, F_ABS },
	};
	int type = jc_get(d, ev, "type"), ret, verdict;
	bool refused;
	char sub[160];

	if (d->n[ev].type != JC_OBJ)
		return fail(d, path, "%s, not an event object", type_name(d->n[ev].type));
	if (jc_str_is(d, type, "exec"))
		return CHECK_FIELDS(d, ev, exec, c, path);
	if (!jc_str_is(d, type, "call")) {
		join(sub, sizeof(sub), path, "type", -1);
		return fail(d, sub, type < 0 ? "missing" : "not \"call\" or \"exec\"");
	}
	if (CHECK_FIELDS(d, ev, call, c, path))
		return -1;
	ret = jc_get(d, ev, "ret");
	if ((d->n[ret].type == JC_NULL) == (d->n[jc_get(d, ev, "ret_errno")].type == JC_NULL))
		return fail(d, path, "not exactly one of 'ret' and 'ret_errno' is null");
	verdict = jc_get(d, ev, "verdict");
	refused = d->n[jc_get(d, ev, "refused")].type == JC_TRUE;
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++)
		if (jc_str_is(d, verdict, verdicts[v]) &&
		    refused != !!(BRKWATCH_REFUSALS & (1u << v))) {
			join(sub, sizeof(sub), path, "refused", -1);
			return fail(d, sub, "%s for verdict %s", refused ? "true" : "false",
				    verdicts[v]);
		}
	if (check_stack(d, ev, c, path))
		return -1;
	join(sub, sizeof(sub), path, "details", -1);
	return check_details(d, jc_get(d, ev, "details"), c, sub);
}

/* The fields of a process's head, the -f process line's as well. */
#define PROCESS_HEAD							\
	{ "format", K_UINT, F_ALL }, { "pid", K_UINT, F_ABS },		\
	{ "ppid", K_UINT, F_ABS }, { "comm", K_STR, F_ALL },		\
	{ "state", K_STATE, F_ALL }, { "uid", K_UINT, F_ALL },		\
	{ "start_brk", K_ADDR, F_ABS }, { "start_data", K_ADDR, F_ABS },	\
	{ "end_data", K_ADDR, F_ABS }, { "brk", K_ADDR, F_ABS },	\
	{ "gap", K_UINT, F_ABS }, { "data_size", K_UINT, F_ALL },	\
	{ "heap_size", K_UINT, F_ALL }, { "calls", K_UINT, F_ALL },	\
	{ "dropped", K_UINT, F_ALL }

/* events: 1 required, 0 absent, -1 either */
static int check_process(struct jc_doc *d, int p, const struct ctx *c, int events,
			 const char *path)
{
	static const struct field with[] = {
		PROCESS_HEAD, { "events", K_ARR, F_ALL }, { "totals", K_OBJ, F_ALL },
	};
	static const struct field maybe[] = {
		PROCESS_HEAD, { "events", K_ARR, F_OPT }, { "totals", K_OBJ, F_ALL },
	};
	static const struct field without[] = {
		PROCESS_HEAD, { "totals", K_OBJ, F_ALL },
	};
	int evs, i = 0;
	char sub[160];

	if (events > 0 ? CHECK_FIELDS(d, p, with, c, path) :
	    events < 0 ? CHECK_FIELDS(d, p, maybe, c, path) :
	    CHECK_FIELDS(d, p, without, c, path))
		return -1;
	evs = jc_get(d, p, "events");
	if (evs >= 0)
		for (int e = d->n[evs].first; e >= 0; e = d->n[e].next, i++) {
			join(sub, sizeof(sub), path, "events", i);
			if (check_event(d, e, c, sub))
				return -1;
		}
	join(sub, sizeof(sub), path, "totals", -1);
	return check_totals(d, jc_get(d, p, "totals"), c, sub);
}

static int check_processes(struct jc_doc *d, int arr, const struct ctx *c, int events)
{
	char sub[160];
	int i = 0;

	for (int p = d->n[arr].first; p >= 0; p = d->n[p].next, i++) {
		join(sub, sizeof(sub), "", "processes", i);
		if (check_process(d, p, c, events, sub))
			return -1;
	}
	return 0;
}

static int check_status(struct jc_doc *d, int st, const struct ctx *c)
{
	static const struct field known[] = {
		{ "version", K_STR, F_ALL }, { "format", K_UINT, F_ALL },
		{ "kernel", K_STR, F_OPT }, { "probes", K_STRS, F_OPT },
		{ "probes_missing", K_STRS, F_OPT }, { "paused", K_BOOL, F_OPT },
		{ "calls_seen", K_UINT, F_OPT }, { "records_stored", K_UINT, F_OPT },
		{ "records_dropped_ring", K_UINT, F_OPT },
		{ "records_dropped_memcap", K_UINT, F_OPT },
		{ "records_dropped_nomem", K_UINT, F_OPT },
		{ "kretprobe_missed", K_UINT, F_OPT }, { "inflight_overflow", K_UINT, F_OPT },
		{ "unknown_verdicts", K_UINT, F_OPT }, { "processes_running", K_UINT, F_OPT },
		{ "processes_exited", K_UINT, F_OPT }, { "memory_bytes", K_UINT, F_OPT },
		{ "memory_cap_bytes", K_UINT, F_OPT }, { "records_per_process", K_UINT, F_OPT },
		{ "exited_keep_seconds", K_UINT, F_OPT },
	};

	/* the known keys with their types, any other as an int or a string */
	return check_fields(d, st, known, sizeof(known) / sizeof(known[0]), K_ANY_UINT_STR,
			    c, "status");
}

enum { SHOW = 1, RUN = 2, LIST = 4, STATUS = 8 };

static int check_document(struct jc_doc *d, const struct ctx *c0)
{
	static const char *const commands[] = { "show", "run", "list", "status" };
	/* the keys of a document: the commands that have them, and those that may not */
	static const struct {
		struct field f;
		unsigned int in, opt;
	} keys[] = {
		{ { "schema", K_UINT, F_ALL }, SHOW | RUN | LIST | STATUS, 0 },
		{ { "command", K_STR, F_ALL }, SHOW | RUN | LIST | STATUS, 0 },
		{ { "argv", K_STRS, F_ALL }, RUN, 0 }, { { "exit_status", K_INT, F_ALL }, RUN, 0 },
		{ { "relative", K_BOOL, F_ALL }, SHOW | RUN, 0 },
		{ { "process", K_OBJ, F_ALL }, SHOW, SHOW },
		{ { "processes", K_ARR, F_ALL }, SHOW | RUN | LIST, SHOW },
		{ { "unreadable", K_UINT, F_ALL }, LIST, 0 },
		{ { "malformed", K_UINT, F_ALL }, LIST, 0 }, { { "status", K_OBJ, F_ALL }, STATUS, 0 },
		{ { "lost", K_BOOL, F_ALL }, STATUS, 0 }, { { "warnings", K_STRS, F_ALL }, STATUS, 0 },
	};
	struct field fields[sizeof(keys) / sizeof(keys[0])];
	int cmd = jc_get(d, 0, "command"), schema = jc_get(d, 0, "schema"), p;
	struct ctx c = *c0;
	unsigned int bit;
	size_t i, n = 0;
	long long v;

	if (d->n[0].type != JC_OBJ)
		return fail(d, "", "the document is %s, not an object", type_name(d->n[0].type));
	if (schema < 0)
		return fail(d, "", "key 'schema' missing");
	if (!jc_int(d, schema, &v) || v != 1)
		return fail(d, "schema", "not 1, the schema this checker knows");
	if (cmd < 0)
		return fail(d, "", "key 'command' missing");
	for (i = 0; i < 4 && !jc_str_is(d, cmd, commands[i]); i++)
		;
	if (i == 4)
		return fail(d, "command", "not \"show\", \"run\", \"list\" or \"status\"");
	bit = 1u << i;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].in & bit) {
			fields[n] = keys[i].f;
			fields[n++].when |= keys[i].opt & bit ? F_OPT : 0;
		}
	p = jc_get(d, 0, "relative");
	c.rel = p >= 0 && d->n[p].type == JC_TRUE;
	if (check_fields(d, 0, fields, n, -1, &c, ""))
		return -1;
	switch (bit) {
	case SHOW:
		p = jc_get(d, 0, "process");
		if ((p >= 0) == (jc_get(d, 0, "processes") >= 0))
			return fail(d, "", "not exactly one of 'process' and 'processes'");
		if (p >= 0)
			return check_process(d, p, &c, 1, "process");
		return check_processes(d, jc_get(d, 0, "processes"), &c, 1);
	case RUN:
	case LIST:
		return check_processes(d, jc_get(d, 0, "processes"), &c, bit == RUN);
	default:
		return check_status(d, jc_get(d, 0, "status"), &c);
	}
}

/* A line of -f --json: without --relative, every line but "end" has a pid. */
static int check_line(struct jc_doc *d)
{
	static const struct field process[] = {
		{ "type", K_STR, F_ALL }, PROCESS_HEAD,
	};
	static const struct field end[] = {
		{ "type", K_STR, F_ALL }, { "calls", K_UINT, F_ALL },
		{ "dropped", K_UINT, F_ALL }, { "state", K_STATE, F_ALL },
		{ "totals", K_OBJ, F_ALL },
	};
	struct ctx c = { .line = true };
	int type = jc_get(d, 0, "type");

	if (d->n[0].type != JC_OBJ)
		return fail(d, "", "the line is %s, not an object", type_name(d->n[0].type));
	if (jc_str_is(d, type, "end"))
		return CHECK_FIELDS(d, 0, end, &c, "") ||
		       check_totals(d, jc_get(d, 0, "totals"), &c, "totals") ? -1 : 0;
	c.rel = jc_get(d, 0, "pid") < 0;
	if (jc_str_is(d, type, "process"))
		return CHECK_FIELDS(d, 0, process, &c, "");
	if (type < 0)
		return fail(d, "", "key 'type' missing");
	if (!jc_str_is(d, type, "call") && !jc_str_is(d, type, "exec"))
		return fail(d, "type", "not \"process\", \"call\", \"exec\" or \"end\"");
	return check_event(d, 0, &c, "");
}

int jc_check(struct jc_doc *d, const char *text, size_t len, enum jc_what what)
{
	struct ctx c = { 0 };

	if (jc_parse(d, text, len))
		return -1;
	switch (what) {
	case JC_DOCUMENT:
		return check_document(d, &c);
	case JC_LINE:
		return check_line(d);
	case JC_PROCESS:
		c.rel = d->n[0].type == JC_OBJ && jc_get(d, 0, "pid") < 0;
		return check_process(d, 0, &c, -1, "");
	}
	return fail(d, "", "unknown kind of document");
}

bool jc_valid(const char *text, enum jc_what what, char *why, size_t size)
{
	struct jc_doc d;
	int r = jc_check(&d, text, strlen(text), what);

	if (why && size)
		snprintf(why, size, "%s", d.err);
	jc_free(&d);
	return !r;
}

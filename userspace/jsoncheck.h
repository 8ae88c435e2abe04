/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jsoncheck: a strict JSON parser that keeps the tree, and a check of a
 * parsed document against the schema of the reader's --json output, as
 * brkwatch(1) documents it in JSON OUTPUT. Shared by the reader's unit
 * tests (userspace/test_brkwatch.c) and the reader's selftest
 * (selftests/brk_reader_test.c), which compares the values with the proc
 * file on top of it. Nothing here is linked into brkwatch itself.
 */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

enum jc_type { JC_NULL, JC_FALSE, JC_TRUE, JC_NUM, JC_STR, JC_ARR, JC_OBJ };

/* A value; nodes are indices into jc_doc.n, -1 for none. */
struct jc_node {
	enum jc_type type;
	const char *text;	/* strings: after the quote; else the value */
	size_t len;		/* strings: raw bytes between the quotes */
	const char *key;	/* member name, raw, in an object */
	size_t klen;
	int first, last, next;	/* children and siblings */
	int count;		/* children */
};

struct jc_doc {
	struct jc_node *n;	/* n[0] is the root */
	int count, cap;
	const char *p, *start, *end;
	char err[256];		/* the first problem, "" if none */
	size_t err_at;		/* syntax errors: byte offset */
};

/* What jc_check() expects the text to be. */
enum jc_what {
	JC_DOCUMENT,	/* one document of show, run, list or status */
	JC_LINE,	/* one line of -f --json: process, call, exec or end */
	JC_PROCESS,	/* a process object alone, with or without events */
};

/* Parses len bytes of text, strictly (RFC 8259, UTF-8): 0, or -1 and d->err. */
int jc_parse(struct jc_doc *d, const char *text, size_t len);

/* Parses text and checks it against the schema: 0, or -1 and d->err. */
int jc_check(struct jc_doc *d, const char *text, size_t len, enum jc_what what);

/* jc_check() of a NUL-terminated text, the tree freed: why gets the problem. */
bool jc_valid(const char *text, enum jc_what what, char *why, size_t size);

void jc_free(struct jc_doc *d);

/* Member key of object obj, element i of array arr: the node, or -1. */
int jc_get(const struct jc_doc *d, int obj, const char *key);
int jc_at(const struct jc_doc *d, int arr, int i);

/* Whether v is the string s (raw, unescaped bytes). */
bool jc_str_is(const struct jc_doc *d, int v, const char *s);

/* An integer (no fraction, no exponent) into *out. */
bool jc_int(const struct jc_doc *d, int v, long long *out);

#endif /* JSONCHECK_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checking a parsed history (brkwatch_test.h) against what a test knows,
 * with the kselftest harness: include after kselftest_harness.h. Each
 * function takes the harness's _metadata, so its EXPECTs count for the
 * test that calls it.
 *
 * A test says, per call, what brk() was asked, what it returned, the
 * break it started from and the verdict with its details; the columns
 * that follow from those (brk_after, the aligned breaks, delta) are
 * derived here the way brk() defines them, never read back from the
 * history.
 */
#ifndef BRK_CHECK_H
#define BRK_CHECK_H

#include <stdio.h>
#include "brkwatch_test.h"

struct bwt_want {
	int tid;
	const char *entry;		/* "x64" or "ia32" */
	unsigned long request;
	unsigned long brk_before;
	long ret;			/* an address, or -errno */
	const char *verdict;
	char details[160];		/* exactly as printed; "" means "-" */
};

/* A mapping, as an overlap's details name it. */
struct bwt_mapping {
	unsigned long start, end;
	const char *kind;		/* next_kind: file, stack or anon */
};

static inline unsigned long bwt_hex(const char **p)
{
	unsigned long v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else
			return v;
	}
}

/*
 * The first mapping in @maps (a /proc/PID/maps path) that ends above
 * @addr. Raw reads, no allocation: a child that counts its brk() calls may
 * call it on itself. 0, or -1 if there is none.
 */
static inline int bwt_mapping_above(const char *maps, unsigned long addr,
				    struct bwt_mapping *m)
{
	static char buf[1 << 16];
	ssize_t len = bwt_read_file(maps, buf, sizeof(buf));
	const char *p = buf, *end;
	int field;

	if (len <= 0)
		return -1;
	end = buf + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);

		if (!eol)
			eol = end;
		m->start = bwt_hex(&p);
		p++;
		m->end = bwt_hex(&p);
		/* perms offset dev inode, then the name if any */
		for (field = 0; field < 4 && p < eol; field++) {
			while (p < eol && *p == ' ')
				p++;
			while (p < eol && *p != ' ')
				p++;
		}
		while (p < eol && *p == ' ')
			p++;
		if (m->end > addr) {
			m->kind = *p == '/' ? "file" :
				  !strncmp(p, "[stack]", 7) ? "stack" : "anon";
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}

/*
 * The details of an overlap with @m refusing a grow to @request. Only a
 * grows-down mapping (the stack, of those maps can name) has a gap that
 * alone may be hit.
 */
static inline void bwt_overlap_details(char *buf, size_t size,
				       const struct bwt_mapping *m,
				      unsigned long request)
{
	bool gap_only = !strcmp(m->kind, "stack") &&
			BWT_PAGE_ALIGN(request) + BWT_PAGE <= m->start;

	snprintf(buf, size,
		 "next_start=0x%016lx,next_end=0x%016lx,next_kind=%s,gap_only=%d",
		 m->start, m->end, m->kind, gap_only);
}

/* The break a call leaves: what it returned, but for an error. */
static inline unsigned long bwt_want_after(const struct bwt_want *w)
{
	return w->ret < 0 ? w->brk_before : (unsigned long)w->ret;
}

/* Call number i (from 0) of a history against what it should be. */
static inline void bwt_check_call(struct __test_metadata *_metadata,
				  const struct bwt_event *e,
				 const struct bwt_want *w, int i)
{
	unsigned long after = bwt_want_after(w);
	unsigned long abefore = BWT_PAGE_ALIGN(w->brk_before);
	unsigned long aafter = BWT_PAGE_ALIGN(after);
	const char *details = w->details[0] ? w->details : "-";

	EXPECT_EQ(w->tid, e->tid) {
		TH_LOG("call %d: tid %d, expected %d", i + 1, e->tid, w->tid);
	}
	EXPECT_STREQ(w->entry, e->entry) {
		TH_LOG("call %d: entry %s, expected %s", i + 1, e->entry, w->entry);
	}
	EXPECT_EQ(w->request, e->request) {
		TH_LOG("call %d: request %#lx, expected %#lx", i + 1,
		       e->request, w->request);
	}
	EXPECT_EQ(w->ret, e->ret) {
		TH_LOG("call %d (request %#lx): ret %#lx, but brk() returned %#lx",
		       i + 1, w->request, e->ret, w->ret);
	}
	EXPECT_EQ(w->brk_before, e->brk_before) {
		TH_LOG("call %d (request %#lx): brk_before %#lx, expected %#lx",
		       i + 1, w->request, e->brk_before, w->brk_before);
	}
	EXPECT_EQ(after, e->brk_after) {
		TH_LOG("call %d (request %#lx): brk_after %#lx, expected %#lx",
		       i + 1, w->request, e->brk_after, after);
	}
	EXPECT_EQ(abefore, e->aligned_before) {
		TH_LOG("call %d: aligned_before %#lx, expected %#lx", i + 1,
		       e->aligned_before, abefore);
	}
	EXPECT_EQ(aafter, e->aligned_after) {
		TH_LOG("call %d: aligned_after %#lx, expected %#lx", i + 1,
		       e->aligned_after, aafter);
	}
	EXPECT_EQ((long)(aafter - abefore), e->delta) {
		TH_LOG("call %d: delta %ld, expected %ld", i + 1, e->delta,
		       (long)(aafter - abefore));
	}
	EXPECT_STREQ(w->verdict, e->verdict) {
		TH_LOG("call %d (request %#lx, ret %#lx, brk_before %#lx): verdict %s, expected %s",
		       i + 1, w->request, w->ret, w->brk_before, e->verdict,
		       w->verdict);
	}
	EXPECT_STREQ(details, e->details) {
		TH_LOG("call %d (%s): details '%s', expected '%s'", i + 1,
		       w->verdict, e->details, details);
	}
}

/*
 * The whole body of a history is exactly these calls, numbered from 1,
 * with no exec marker and nothing dropped; the header's counters and
 * break follow them.
 */
static inline void bwt_check_calls(struct __test_metadata *_metadata,
				   const struct bwt_history *h,
				  const struct bwt_want *want, int n)
{
	int i;

	ASSERT_EQ(n, h->nevents) {
		TH_LOG("the history has %d lines (%d calls), expected exactly the %d calls the child made",
		       h->nevents, h->ncalls, n);
		for (i = 0; i < h->nevents; i++)
			TH_LOG("  line %d: %s request %#lx ret %#lx %s %s", i + 1,
			       h->ev[i].exec ? "exec" : "call", h->ev[i].request,
			       h->ev[i].ret, h->ev[i].verdict, h->ev[i].details);
	}
	EXPECT_EQ((unsigned long)n, h->calls) {
		TH_LOG("'# calls' is %lu, expected %d", h->calls, n);
	}
	EXPECT_EQ(0UL, h->dropped);
	for (i = 0; i < n; i++) {
		ASSERT_FALSE(h->ev[i].exec) {
			TH_LOG("line %d is an exec marker: the child did not exec", i + 1);
		}
		EXPECT_EQ((unsigned long)i + 1, h->ev[i].seq) {
			TH_LOG("call %d has seq %lu", i + 1, h->ev[i].seq);
		}
		if (i)
			EXPECT_LE(h->ev[i - 1].time_ns, h->ev[i].time_ns) {
				TH_LOG("call %d entered before call %d, made after it",
				       i + 1, i);
			}
		bwt_check_call(_metadata, &h->ev[i], &want[i], i);
	}
	if (n)
		EXPECT_EQ(bwt_want_after(&want[n - 1]), h->brk) {
			TH_LOG("'# brk' is %#lx, expected the break after the last call, %#lx",
			       h->brk, bwt_want_after(&want[n - 1]));
		}
}

/*
 * The header of an exited child's history: its pid, its parent (the
 * caller), its owner, and its heap as the child read it from
 * /proc/self/stat.
 */
static inline void bwt_check_head(struct __test_metadata *_metadata,
				  const struct bwt_history *h, int pid,
				 unsigned int uid, unsigned long start_data,
				 unsigned long end_data, unsigned long start_brk)
{
	EXPECT_EQ(2, h->version);
	EXPECT_EQ(pid, h->pid);
	EXPECT_EQ(getpid(), h->ppid) {
		TH_LOG("'# ppid' %d, expected the test process %d", h->ppid, getpid());
	}
	EXPECT_STREQ("exited", h->state);
	EXPECT_EQ(uid, h->uid);
	EXPECT_EQ(start_brk, h->start_brk) {
		TH_LOG("'# start_brk' %#lx, /proc/%d/stat says %#lx", h->start_brk,
		       pid, start_brk);
	}
	EXPECT_EQ(start_data, h->start_data) {
		TH_LOG("'# start_data' %#lx, /proc/%d/stat says %#lx",
		       h->start_data, pid, start_data);
	}
	EXPECT_EQ(end_data, h->end_data) {
		TH_LOG("'# end_data' %#lx, /proc/%d/stat says %#lx", h->end_data,
		       pid, end_data);
	}
}

#endif /* BRK_CHECK_H */

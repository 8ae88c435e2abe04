// SPDX-License-Identifier: GPL-2.0
/*
 * --explain: what brk() did on one call, following the kernel's order of
 * checks in mm/mmap.c, with the numbers of that call.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "format.h"
#include "maps.h"
#include "util.h"

#define WIDTH 78
#define INDENT "        "

struct text {
	char s[2048];
	size_t n;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (t->n >= sizeof(t->s) - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		t->n += (size_t)r < sizeof(t->s) - t->n ? (size_t)r : sizeof(t->s) - 1 - t->n;
}

/* Print t word-wrapped, indented. */
static void wrap(FILE *f, const struct text *t)
{
	const char *p = t->s;
	size_t col = 0;

	while (*p) {
		size_t w;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (!w)
			break;
		if (col && col + 1 + w > WIDTH - sizeof(INDENT) + 1) {
			fputc('\n', f);
			col = 0;
		}
		fputs(col ? " " : INDENT, f);
		fwrite(p, 1, w, f);
		col += w + (col ? 1 : 0);
		p += w;
	}
	if (col)
		fputc('\n', f);
}

/* An address the way the table prints it. */
static const char *A(const struct bwr_view *v, uint64_t a, char *buf)
{
	if (v->o->relative && v->walk.known)
		return bwr_offset(a, v->walk.base, buf, 32);
	return bwr_addr(a, buf, 32);
}

static const char *pages(uint64_t bytes, char *buf)
{
	char h[32];
	uint64_t n = bytes / BWR_PAGE_SIZE;

	snprintf(buf, 64, "%" PRIu64 " page%s (%s)", n, n == 1 ? "" : "s",
		 bwr_human_size(bytes, h, sizeof(h)));
	return buf;
}

/* PAGE_ALIGN(a), saturating at the top of the address space */
static uint64_t page_end(uint64_t a)
{
	return a > UINT64_MAX - (BWR_PAGE_SIZE - 1) ? a & ~(BWR_PAGE_SIZE - 1)
						  : (a + BWR_PAGE_SIZE - 1) & ~(BWR_PAGE_SIZE - 1);
}

/* Bytes a grow to c->request would map: page-rounded request - aligned_before */
static uint64_t grow_bytes(const struct bwr_call *c)
{
	uint64_t end = (c->request + BWR_PAGE_SIZE - 1) & ~(BWR_PAGE_SIZE - 1);

	return end > c->aligned_before ? end - c->aligned_before : 0;
}

static void err_suffix(struct text *t, const struct bwr_call *c)
{
	if (c->details & BWR_D_ERR)
		add(t, " (err=%" PRId64 ")", c->err);
}

static void next_mapping(struct text *t, const struct bwr_view *v, uint64_t end)
{
	struct bwr_mapping m;
	char a[32], h[32];

	if (!v->maps || v->o->relative || !bwr_maps_next_above(v->maps, v->maps_len, end, &m))
		return;
	add(t, " (the next mapping, in /proc/%" PRIu32 "/maps now, is %s at %s, %s above)",
	    v->pid, m.name[0] ? m.name : "anonymous memory", bwr_addr(m.start, a, sizeof(a)),
	    bwr_human_size(m.start - end, h, sizeof(h)));
}

void bwr_explain_call(FILE *f, const struct bwr_view *v, const struct bwr_call *c)
{
	struct text t = { .n = 0 };
	char rq[32], b0[32], b1[32], a0[32], a1[32], ret[32], x[64], y[64];
	/* this program's data segment: its exec line's, not the header's (the last one's) */
	const struct bwr_walk *w = &v->walk;
	uint64_t data = w->end_data >= w->start_data ? w->end_data - w->start_data : 0;

	A(v, c->request, rq);
	A(v, c->brk_before, b0);
	A(v, c->brk_after, b1);
	A(v, c->aligned_before, a0);
	A(v, c->aligned_after, a1);
	if (c->ret_errno)
		snprintf(ret, sizeof(ret), "%d", c->ret_errno);
	else
		A(v, c->ret, ret);

	switch (c->verdict) {
	case BRKWATCH_QUERY:
		add(&t, "brk(0) only asks where the break is: 0 is below start_brk, so the kernel "
		    "changed nothing and returned the current break %s.", ret);
		if (!v->has_prev)
			add(&t, " glibc asks this to learn where the heap ends: its dynamic "
			    "loader at start-up, and malloc before its first brk() call.");
		break;
	case BRKWATCH_BELOW_MIN:
		add(&t, "The request %s lies below start_brk, where the heap begins: the kernel "
		    "refused it and returned %s, the old break.", rq, ret);
		break;
	case BRKWATCH_RLIMIT_DATA:
		if ((c->details & (BWR_D_LIMIT | BWR_D_SIZE)) == (BWR_D_LIMIT | BWR_D_SIZE))
			add(&t, "RLIMIT_DATA refused it: (request - start_brk) + (end_data - start_data) "
			    "= %" PRIu64 " bytes (%s) is more than the limit of %" PRIu64 " bytes (%s).",
			    c->size, bwr_human_size(c->size, x, 32), c->limit,
			    bwr_human_size(c->limit, y, 32));
		else
			add(&t, "RLIMIT_DATA refused it: the heap up to %s plus the data segment "
			    "would be more than the limit.", rq);
		add(&t, " The kernel returned %s, the old break.", ret);
		break;
	case BRKWATCH_SAME_PAGE:
		add(&t, "The break moved from %s to %s, but both round up to the same 4 KiB page "
		    "boundary %s: there was no page to map or unmap, so the kernel only set "
		    "mm->brk and returned %s.", b0, b1, a1, ret);
		break;
	case BRKWATCH_GROW:
		add(&t, "The program asked to move the break from %s to %s (%s).", b0, rq,
		    bwr_human_delta((int64_t)(c->request - c->brk_before), x, 32));
		if (v->has_prev && v->prev.verdict == BRKWATCH_QUERY)
			add(&t, " After a query this is how malloc starts a heap: glibc asks for what "
			    "it needs plus its top pad (M_TOP_PAD, 128 KiB by default).");
		if (v->walk.known && c->request >= v->walk.base)
			add(&t, " The kernel checked RLIMIT_DATA (heap + data = %s),",
			    bwr_human_size((c->request - v->walk.base) + data, x, 32));
		else
			add(&t, " The kernel checked RLIMIT_DATA,");
		add(&t, " rounded old and new break up to 4 KiB pages (%s -> %s), "
		    "check_brk_limits() accepted the range, no mapping (nor the stack guard gap "
		    "below one) reaches within a page of the new end %s", a0, a1, a1);
		next_mapping(&t, v, c->aligned_after);
		add(&t, ", and mapped %s of anonymous memory. It returned the new break %s.",
		    pages((uint64_t)c->delta, y), ret);
		break;
	case BRKWATCH_SHRINK:
		add(&t, "The program moved the break down from %s to %s. Rounded up to pages "
		    "(%s -> %s), the kernel unmapped [%s, %s): %s went back to the system. "
		    "It returned the new break %s.", b0, rq, a0, a1, a1, a0,
		    pages((uint64_t)0 - (uint64_t)c->delta, x), ret);
		break;
	case BRKWATCH_SHRINK_FAILED:
		/*
		 * brk() wants the mapping holding the heap's end to exist and start
		 * below the old aligned break; then it unmaps [PAGE_ALIGN(request),
		 * aligned old break). Nothing moved: the range is the request's.
		 */
		add(&t, "The program asked to move the break down from %s to %s, but the kernel "
		    "found no heap mapping below the old break %s (or could not unmap), so "
		    "[%s, %s) stayed mapped", b0, rq, b0,
		    A(v, (c->request + BWR_PAGE_SIZE - 1) & ~(BWR_PAGE_SIZE - 1), x), a0);
		err_suffix(&t, c);
		add(&t, ". It returned %s, the old break.", ret);
		break;
	case BRKWATCH_LIMITS:
		add(&t, "check_brk_limits refused the new end %s (pages %s -> %s): the range is "
		    "outside what this address space allows (TASK_SIZE, mmap_min_addr)", rq, a0,
		    A(v, page_end(c->request > c->brk_before ? c->request : c->brk_before), x));
		err_suffix(&t, c);
		add(&t, ". The kernel returned %s, the old break.", ret);
		break;
	case BRKWATCH_MLOCK_LIMIT:
		add(&t, "The process locks all its future memory (mlockall(MCL_FUTURE)), and "
		    "locking %s more would exceed RLIMIT_MEMLOCK, so check_brk_limits refused",
		    pages(grow_bytes(c), x));
		err_suffix(&t, c);
		add(&t, ". The kernel returned %s, the old break.", ret);
		break;
	case BRKWATCH_OVERLAP: {
		const uint64_t end = (c->request + BWR_PAGE_SIZE - 1) & ~(BWR_PAGE_SIZE - 1);

		A(v, end, y);
		if ((c->details & (BWR_D_NEXT_START | BWR_D_NEXT_END)) == (BWR_D_NEXT_START | BWR_D_NEXT_END)) {
			char ns[32], ne[32], g[32];

			add(&t, "The grown heap would end at %s, but the next mapping [%s, %s) (%s)",
			    y, A(v, c->next_start, ns), A(v, c->next_end, ne),
			    c->details & BWR_D_NEXT_KIND ? bwr_next_kind_name(c->next_kind) : "?");
			if (c->gap_only)
				add(&t, " keeps a stack guard gap below it that reaches within a page "
				    "of that end.");
			else if (c->next_start == end)
				add(&t, " starts exactly at that end, leaving no free page between "
				    "them (the kernel keeps one).");
			else if (c->next_start < end)
				add(&t, " begins below that end: the heap would run into it.");
			else
				add(&t, " starts only %s after it, less than the one free page the "
				    "kernel requires.", bwr_human_size(c->next_start - end, g, sizeof(g)));
		} else {
			add(&t, "The grown heap would end at %s, within a page of the next mapping.", y);
		}
		add(&t, " The kernel refused and returned %s, the old break.", ret);
		break;
	}
	case BRKWATCH_NOMEM:
		add(&t, "All checks passed, but do_brk_flags could not map %s: may_expand_vm "
		    "refused it (RLIMIT_AS, or RLIMIT_DATA on all private writable memory), or "
		    "vm.max_map_count, the overcommit policy, or allocating the mapping failed",
		    pages(grow_bytes(c), x));
		err_suffix(&t, c);
		add(&t, ". The kernel returned %s, the old break.", ret);
		break;
	case BRKWATCH_INTERRUPTED:
		add(&t, "A fatal signal arrived while the call waited for the mmap lock "
		    "(down_write_killable): the kernel gave up, returned %s (-EINTR) and the "
		    "break did not move.", ret);
		break;
	default:
		add(&t, "The module could not tell which check decided this call (a probe was "
		    "missing or missed it); the call returned %s.", ret);
		break;
	}
	wrap(f, &t);
}

// SPDX-License-Identifier: GPL-2.0
/* --svg: the heap's life as an SVG 1.1 file (svg.h). */
#include "svg.h"
#include "unwind.h"

#include <inttypes.h>
#include <string.h>

#include "util.h"

#define W	900
#define H	560
#define X0	80		/* the plot */
#define Y0	50
#define PW	780
#define PH	260
#define SY	400		/* the address-space sketch */
#define SH	36

static const char *colour(enum brkwatch_verdict v)
{
	if (v == BRKWATCH_GROW)
		return "#2a9d3f";
	if (v == BRKWATCH_SHRINK)
		return "#1f6fd1";
	if (bwr_verdict_refused(v))
		return "#d62828";
	return "#888888";
}

/* The calls drawn as marks: those that moved the break, and the refusals. */
static bool marked(enum brkwatch_verdict v)
{
	return v == BRKWATCH_GROW || v == BRKWATCH_SHRINK || bwr_verdict_refused(v) ||
	       v == BRKWATCH_UNKNOWN;
}

void bwr_svg_init(struct bwr_svg *s)
{
	memset(s, 0, sizeof(*s));
	s->stride = 1;
}

/* "sym (file:line) <- sym <- (object+0x...)": as many frames as fit, innermost first */
static void stack_title(char *buf, size_t size, const struct bwr_frames *st)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; st && i < st->n && off < size; i++) {
		const struct bwr_frame *f = &st->f[i];
		const char *file = strrchr(f->file, '/'), *obj = strrchr(f->object, '/');
		char one[1024];

		file = file ? file + 1 : f->file;
		obj = obj ? obj + 1 : f->object;
		if (f->symbol[0] && f->file[0])
			snprintf(one, sizeof(one), "%s (%s:%u)", f->symbol, file, f->line);
		else if (f->symbol[0])
			snprintf(one, sizeof(one), "%s", f->symbol);
		else if (f->object[0])
			snprintf(one, sizeof(one), "(%s+0x%" PRIx64 ")", obj, f->obj_offset);
		else
			snprintf(one, sizeof(one), "0x%" PRIx64, f->addr);
		/* whole frames only */
		if (off + strlen(one) + (i ? 4 : 0) >= size)
			break;
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? " <- " : "", one);
	}
}

void bwr_svg_add(struct bwr_svg *s, const struct bwr_walk *w, const struct bwr_event *e,
		 const struct bwr_frames *st)
{
	const struct bwr_call *c = &e->call;
	uint64_t t = e->is_exec ? e->exec.time_ns : c->time_ns;
	struct bwr_svg_point *p;

	if (!s->t_set) {
		s->t0 = t;
		s->t_set = true;
	}
	if (t > s->t1)
		s->t1 = t;
	if (e->is_exec) {
		if (s->n_exec < BWR_SVG_EXECS) {
			s->exec_t[s->n_exec] = t;
			s->exec_comm[s->n_exec] = e->exec.comm;
		}
		s->n_exec++;
		s->base = e->exec.start_brk;
		s->base_set = true;
		s->stopped = false;
		return;
	}
	if (!s->base_set) {
		s->base = w->known ? w->base : c->brk_before;
		s->base_set = true;
	}
	if (c->verdict == BRKWATCH_OVERLAP &&
	    (c->details & (BWR_D_NEXT_START | BWR_D_NEXT_END)) == (BWR_D_NEXT_START | BWR_D_NEXT_END)) {
		s->stopped = true;
		s->next_start = c->next_start;
		s->next_end = c->next_end;
		s->next_kind = c->next_kind;
		s->gap_only = c->gap_only;
	}
	/* bounded: when full, every other call goes and one in twice as many is kept */
	if (s->seen++ % s->stride && !bwr_verdict_refused(c->verdict))
		return;
	if (s->n == BWR_SVG_POINTS) {
		for (size_t i = 0; i < BWR_SVG_POINTS / 2; i++)
			s->p[i] = s->p[2 * i + 1];
		s->n = BWR_SVG_POINTS / 2;
		s->stride *= 2;
	}
	p = &s->p[s->n++];
	p->t = t;
	p->before = c->brk_before > s->base ? c->brk_before - s->base : 0;
	p->after = c->brk_after > s->base ? c->brk_after - s->base : 0;
	p->seq = c->seq;
	p->delta = c->delta;
	p->heap = s->n_exec;
	p->verdict = c->verdict;
	stack_title(p->stack, sizeof(p->stack), c->stack ? st : NULL);
}

/* Text content, escaped for XML; bytes that are not printable ASCII as \ooo. */
static void xml_text(FILE *f, const char *s, size_t n)
{
	char buf[4 * 256 + 4];

	bwr_escape_msg(s, n, buf, sizeof(buf));
	for (const char *c = buf; *c; c++) {
		if (*c == '<')
			fputs("&lt;", f);
		else if (*c == '>')
			fputs("&gt;", f);
		else if (*c == '&')
			fputs("&amp;", f);
		else if (*c == '"')
			fputs("&quot;", f);
		else
			fputc(*c, f);
	}
}

static double xt(const struct bwr_svg *s, uint64_t t)
{
	uint64_t span = s->t1 > s->t0 ? s->t1 - s->t0 : 1;

	return X0 + (double)PW * (double)(t - s->t0) / (double)span;
}

static double ys(uint64_t size, uint64_t max)
{
	return Y0 + PH - (double)PH * (double)size / (double)(max ? max : 1);
}

/* One segment of the address-space sketch, [a, b) at x..x+w */
static void segment(FILE *f, double x, double w, const char *cls, const char *fill,
		    const char *label, uint64_t a, uint64_t b)
{
	char sz[32], s0[32], s1[32];

	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		"stroke=\"#333333\" stroke-width=\"0.5\"><title>%s [%s, %s) %s</title></rect>\n",
		cls, x, SY, w < 1 ? 1 : w, SH, fill, label, bwr_addr(a, s0, sizeof(s0)),
		bwr_addr(b, s1, sizeof(s1)), bwr_human_size(b - a, sz, sizeof(sz)));
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%s %s</text>\n", x, SY + SH + 16,
		label, sz);
}

static void sketch(FILE *f, const struct bwr_svg *s, const struct bwr_history *h)
{
	uint64_t lo = h->end_data, hi = h->brk > h->start_brk ? h->brk : h->start_brk;
	double scale, x;
	char a[32], b[32];

	if (s->stopped && s->next_end > hi)
		hi = s->next_end;
	if (h->start_brk < lo || hi <= lo) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">(no sketch: start_brk below "
			"end_data)</text>\n", X0, SY + 20);
		return;
	}
	scale = (double)PW / (double)(hi - lo);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">the address space around the heap, "
		"to scale (%s per pixel), from end_data %s</text>\n", X0, SY - 10,
		bwr_human_size((uint64_t)((double)(hi - lo) / PW), a, sizeof(a)),
		bwr_addr(lo, b, sizeof(b)));
	x = X0;
	segment(f, x, (double)(h->start_brk - lo) * scale, "gap", "#eeeeee", "random gap",
		lo, h->start_brk);
	x += (double)(h->start_brk - lo) * scale;
	segment(f, x, (double)(h->brk - h->start_brk) * scale, "heap", "#2a9d3f", "heap",
		h->start_brk, h->brk > h->start_brk ? h->brk : h->start_brk);
	if (s->stopped && s->next_start >= h->brk) {
		x = X0 + (double)(s->next_start - lo) * scale;
		segment(f, x, (double)(s->next_end - s->next_start) * scale, "stopper", "#d62828",
			s->gap_only ? "the mapping whose guard gap stopped a grow" :
			"the mapping that stopped a grow", s->next_start, s->next_end);
	}
}

void bwr_svg_write(FILE *f, const struct bwr_svg *s, const struct bwr_history *h)
{
	uint64_t max = 0;
	bool in_line = false, seen[BRKWATCH_NR_VERDICTS] = { false };
	unsigned heap = 0;
	char a[32], b[32];
	int ly = Y0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->p[i].before > max)
			max = s->p[i].before;
		if (s->p[i].after > max)
			max = s->p[i].after;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n", W + 200, H, W + 200, H);
	fputs("<title>brkwatch: the heap of ", f);
	xml_text(f, h->comm.s, h->comm.len);
	fprintf(f, " (PID %" PRIu32 ")</title>\n", h->pid);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W + 200, H);
	fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\">heap size (brk - start_brk) of PID %"
		PRIu32 ", ", X0, h->pid);
	xml_text(f, h->comm.s, h->comm.len);
	fprintf(f, ", %" PRIu64 " calls (%" PRIu64 " dropped)</text>\n", h->calls, h->dropped);
	/* axes */
	fprintf(f, "<g class=\"axes\" stroke=\"#333333\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></g>\n", X0, Y0 + PH, X0 + PW, Y0 + PH,
		X0, Y0, X0, Y0 + PH);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
		X0 - 4, Y0 + 4, bwr_human_size(max, a, sizeof(a)));
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">0</text>\n",
		X0 - 4, Y0 + PH + 4);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", X0, Y0 + PH + 18,
		bwr_since(s->t0, s->t0, a, sizeof(a)));
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
		X0 + PW, Y0 + PH + 18, bwr_since(s->t1, s->t0, b, sizeof(b)));
	/* the break: a step line per heap */
	for (size_t i = 0; i < s->n; i++) {
		const struct bwr_svg_point *p = &s->p[i];

		if (in_line && p->heap != heap) {
			fputs("\"/>\n", f);
			in_line = false;
		}
		if (!in_line) {
			fputs("<polyline class=\"break\" fill=\"none\" stroke=\"#333333\" "
			      "stroke-width=\"1.5\" points=\"", f);
			in_line = true;
			heap = p->heap;
		}
		fprintf(f, "%.1f,%.1f %.1f,%.1f ", xt(s, p->t), ys(p->before, max), xt(s, p->t),
			ys(p->after, max));
	}
	if (in_line)
		fputs("\"/>\n", f);
	/* exec boundaries */
	for (unsigned i = 0; i < s->n_exec && i < BWR_SVG_EXECS; i++) {
		fprintf(f, "<line class=\"exec\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#7b2cbf\" stroke-dasharray=\"4,3\"/>\n", xt(s, s->exec_t[i]), Y0,
			xt(s, s->exec_t[i]), Y0 + PH);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#7b2cbf\">exec ",
			xt(s, s->exec_t[i]) + 3, Y0 + 12);
		xml_text(f, s->exec_comm[i].s, s->exec_comm[i].len);
		fputs("</text>\n", f);
	}
	/* the calls that moved the break, and the refusals */
	for (size_t i = 0; i < s->n; i++) {
		const struct bwr_svg_point *p = &s->p[i];
		const char *name = bwr_verdict_name(p->verdict);

		if (!marked(p->verdict))
			continue;
		seen[p->verdict] = true;
		fprintf(f, "<circle class=\"call %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\">"
			"<title>seq %" PRIu64 ": %s %s", name, xt(s, p->t),
			ys(p->after, max), bwr_verdict_refused(p->verdict) ? 5 : 3,
			colour(p->verdict), p->seq, name, bwr_human_delta(p->delta, a, sizeof(a)));
		if (p->stack[0]) {	/* who called brk(): its top frames */
			fputs(", from ", f);
			xml_text(f, p->stack, strlen(p->stack));
		}
		fputs("</title></circle>\n", f);
	}
	/* the legend */
	fprintf(f, "<g class=\"legend\" font-size=\"12\">\n");
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\" "
		"stroke-width=\"1.5\"/><text x=\"%d\" y=\"%d\">the break</text>\n",
		W, ly, W + 20, ly, W + 26, ly + 4);
	ly += 20;
	if (s->n_exec) {
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#7b2cbf\" "
			"stroke-dasharray=\"4,3\"/><text x=\"%d\" y=\"%d\">exec</text>\n",
			W, ly, W + 20, ly, W + 26, ly + 4);
		ly += 20;
	}
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++) {
		if (!seen[v])
			continue;
		fprintf(f, "<circle class=\"key %s\" cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">%s</text>\n", bwr_verdict_name((enum brkwatch_verdict)v),
			W + 10, ly, colour((enum brkwatch_verdict)v), W + 26, ly + 4,
			bwr_verdict_name((enum brkwatch_verdict)v));
		ly += 20;
	}
	fputs("</g>\n", f);
	if (s->stride > 1)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">(one call in %" PRIu64
			" drawn, every refusal)</text>\n", X0, Y0 + PH + 34, s->stride);
	sketch(f, s, h);
	fputs("</svg>\n", f);
}

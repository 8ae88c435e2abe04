// SPDX-License-Identifier: GPL-2.0
#include "format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "svg.h"
#include "unwind.h"
#include "util.h"

void bwr_view_init(struct bwr_view *v, const struct bwr_opts *o, const struct bwr_history *h)
{
	memset(v, 0, sizeof(*v));
	v->o = o;
	v->pid = h->pid;
	bwr_walk_init(h, &v->walk);
}

uint64_t bwr_heap_size(const struct bwr_history *h)
{
	return h->brk > h->start_brk ? h->brk - h->start_brk : 0;
}

void bwr_totals(const struct bwr_history *h, struct bwr_totals *t)
{
	*t = h->tot;
}

/* An address as printed: absolute, or with --relative an offset from start_brk. */
static const char *addr(const struct bwr_view *v, uint64_t a, char *buf, size_t size)
{
	if (v->o->relative && v->walk.known)
		return bwr_offset(a, v->walk.base, buf, size);
	return bwr_addr(a, buf, size);
}

const char *bwr_thread_label(struct bwr_tids *t, uint32_t tid, uint32_t pid, char *buf, size_t size)
{
	size_t i;

	if (tid == pid)
		return "main";
	for (i = 0; i < t->n && t->tid[i] != tid; i++)
		;
	if (i == t->n && i < BWR_MAX_TIDS)
		t->tid[t->n++] = tid;
	if (i < BWR_MAX_TIDS)
		snprintf(buf, size, "T%zu", i + 1);
	else
		snprintf(buf, size, "T?");
	return buf;
}

static const char *thread(struct bwr_view *v, uint32_t tid, char *buf, size_t size)
{
	if (!v->o->relative) {
		snprintf(buf, size, "%" PRIu32, tid);
		return buf;
	}
	return bwr_thread_label(&v->tids, tid, v->pid, buf, size);
}

static void comm(FILE *f, const struct bwr_comm *c)
{
	char buf[4 * BWR_COMM_MAX + 4];

	fputs(bwr_escape(c->s, c->len, buf, sizeof(buf)), f);
}

void bwr_print_header(FILE *f, const struct bwr_history *h, const struct bwr_opts *o)
{
	char a[32], b[32], s[32];

	if (!o->relative)
		fprintf(f, "pid        %" PRIu32 " (parent %" PRIu32 ", uid %" PRIu32 ")\n",
			h->pid, h->ppid, h->uid);
	fputs("comm       ", f);
	comm(f, &h->comm);
	fprintf(f, "\nstate      %s\n", h->exited ? "exited" : "running");
	if (!o->relative) {
		if (h->start_brk >= h->end_data)
			fprintf(f, "start_brk  %s, %s after end_data %s (.bss, then a random gap)\n",
				bwr_addr(h->start_brk, a, sizeof(a)),
				bwr_human_size(h->start_brk - h->end_data, s, sizeof(s)),
				bwr_addr(h->end_data, b, sizeof(b)));
		else
			fprintf(f, "start_brk  %s, below end_data %s\n",
				bwr_addr(h->start_brk, a, sizeof(a)), bwr_addr(h->end_data, b, sizeof(b)));
	}
	fprintf(f, "data       %s (end_data - start_data)\n",
		bwr_human_size(h->end_data >= h->start_data ? h->end_data - h->start_data : 0,
			       s, sizeof(s)));
	fprintf(f, "heap       %s now", bwr_human_size(bwr_heap_size(h), s, sizeof(s)));
	if (!o->relative)
		fprintf(f, " (brk %s)", bwr_addr(h->brk, a, sizeof(a)));
	fprintf(f, "\ncalls      %" PRIu64 " (%" PRIu64 " dropped)\n", h->calls, h->dropped);
	if (o->relative)
		fputs("           (--relative: addresses are offsets from start_brk; "
		      "pids, thread ids and times are hidden)\n", f);
}

bool bwr_call_shown(const struct bwr_opts *o, const struct bwr_call *c)
{
	size_t i;

	if (o->refused_only && !bwr_verdict_refused(c->verdict))
		return false;
	if (o->verdicts && !((o->verdicts >> c->verdict) & 1))
		return false;
	for (i = 0; i < o->n_tids && o->tids[i] != c->tid; i++)
		;
	return !o->n_tids || i < o->n_tids;
}

/*
 * The table's columns. TIME holds "+99999.999999s" (bwr_since()) or, with
 * -tt, "HH:MM:SS.uuuuuu": 15 columns, past 100 s too. The narrow layout
 * (under 132 columns) leaves out the old break and the aligned breaks.
 */
#define W_SEQ	"%6s  "
#define W_TIME	"%-15s  "
#define W_TID	"%7s  "
#define W_THR	"%-6s  "
#define W_ENTRY	"%-5s  "
#define W_RQ	"%-14s  "
#define W_TAIL	"%9s  %s\n"

static void row(FILE *f, const struct bwr_opts *o, const char *seq, const char *t,
		const char *tid, const char *entry, const char *rq, const char *b0,
		const char *b1, const char *a0, const char *a1, const char *d, const char *verdict)
{
	fprintf(f, W_SEQ, seq);
	if (o->relative)
		fprintf(f, W_THR, tid);
	else
		fprintf(f, W_TIME W_TID, t, tid);
	fprintf(f, W_ENTRY W_RQ, entry, rq);
	if (o->narrow)
		fprintf(f, "%-14s  ", b1);
	else
		fprintf(f, "%14s -> %-14s  %14s -> %-14s  ", b0, b1, a0, a1);
	fprintf(f, W_TAIL, d, verdict);
}

void bwr_print_table_head(FILE *f, const struct bwr_opts *o)
{
	fputc('\n', f);
	row(f, o, "SEQ", "TIME", o->relative ? "THREAD" : "TID", "ENTRY", "REQUEST", "OLD BREAK",
	    o->narrow ? "BREAK" : "NEW BREAK", "OLD ALIGNED", "NEW ALIGNED", "MAPPED", "VERDICT");
}

/* A time as the TIME column shows it: since the first event, or with -t the wall clock */
static const char *when(const struct bwr_view *v, uint64_t t, char *buf, size_t size)
{
	int64_t real = (int64_t)t + v->o->real_minus_mono;
	time_t sec = (time_t)(real / 1000000000);
	struct tm tm;

	if (!v->o->abs_time)
		return bwr_since(t, v->t0, buf, size);
	if (real < 0 || !localtime_r(&sec, &tm)) {
		snprintf(buf, size, "?");
		return buf;
	}
	if (v->o->abs_time == 1)
		snprintf(buf, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, size, "%02d:%02d:%02d.%06d", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(real % 1000000000 / 1000));
	return buf;
}

static void print_exec(FILE *f, struct bwr_view *v, const struct bwr_exec *x)
{
	char t[32], a[32], tid[16];

	fprintf(f, "------  exec ");
	comm(f, &x->comm);
	if (!v->o->relative)
		fprintf(f, " at %s by tid %s: new heap at start_brk %s\n",
			when(v, x->time_ns, t, sizeof(t)),
			thread(v, x->tid, tid, sizeof(tid)),
			bwr_addr(x->start_brk, a, sizeof(a)));
	else
		fprintf(f, ": a new heap (offsets below are from its start_brk)\n");
}

/* The frames under the call's row, indented; why the walk ended, unless at the outermost frame */
static void print_stack(FILE *f, const struct bwr_frames *st, bool relative)
{
	char buf[1200];

	for (size_t i = 0; i < st->n; i++) {
		const char *t = bwr_frame_text(&st->f[i], buf, sizeof(buf));

		/* addresses move from run to run: with --relative, what they are in only */
		if (relative)
			t = strlen(t) > 19 ? t + 19 : "?";
		fprintf(f, "  #%zu %s\n", i, t);
	}
	if (st->why && strcmp(st->why, "the outermost frame"))
		fprintf(f, "  (%s)\n", st->why);
}

void bwr_print_event(FILE *f, struct bwr_view *v, const struct bwr_event *e)
{
	const struct bwr_call *c = &e->call;
	char seq[24], t[32], tid[16], rq[32], b0[32], b1[32], a0[32], a1[32], d[32];
	char verdict[64];
	int n;

	if (!v->t0_set) {
		v->t0 = e->is_exec ? e->exec.time_ns : c->time_ns;
		v->t0_set = true;
	}
	bwr_walk_step(&v->walk, e);
	if (e->is_exec) {
		print_exec(f, v, &e->exec);
		v->has_prev = false;
		return;
	}
	/* where calls are missing: the same line for show and -f */
	if (c->seq > v->last_seq + 1)
		fprintf(f, "(%" PRIu64 " call%s dropped before seq %" PRIu64 ")\n",
			c->seq - v->last_seq - 1, c->seq - v->last_seq - 1 == 1 ? "" : "s", c->seq);
	v->last_seq = c->seq;
	if (!bwr_call_shown(v->o, c)) {
		v->prev = *c;
		v->has_prev = true;
		return;
	}
	snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
	if (c->request == 0)
		snprintf(rq, sizeof(rq), "0x0");
	else
		addr(v, c->request, rq, sizeof(rq));
	n = snprintf(verdict, sizeof(verdict), "%s", bwr_verdict_name(c->verdict));
	if (c->ret_errno)
		n += snprintf(verdict + n, sizeof(verdict) - (size_t)n, " (%d)", c->ret_errno);
	if (v->o->durations)
		snprintf(verdict + n, sizeof(verdict) - (size_t)n, " <%" PRIu32 ".%09" PRIu32 ">",
			 c->duration_ns / 1000000000u, c->duration_ns % 1000000000u);
	addr(v, c->brk_before, b0, sizeof(b0));
	addr(v, c->brk_after, b1, sizeof(b1));
	addr(v, c->aligned_before, a0, sizeof(a0));
	addr(v, c->aligned_after, a1, sizeof(a1));
	bwr_human_delta(c->delta, d, sizeof(d));
	row(f, v->o, seq, when(v, c->time_ns, t, sizeof(t)), thread(v, c->tid, tid, sizeof(tid)),
	    c->ia32 ? "ia32" : "x64", rq, b0, b1, a0, a1, d, verdict);
	if (c->stack && v->stack)
		print_stack(f, v->stack, v->o->relative);
	if (v->o->explain)
		bwr_explain_call(f, v, c);
	v->prev = *c;
	v->has_prev = true;
}

void bwr_print_footer(FILE *f, const struct bwr_history *h, const struct bwr_opts *o)
{
	struct bwr_totals t;
	char s[32];
	const char *sep = "";

	(void)o;
	bwr_totals(h, &t);
	fputc('\n', f);
	fprintf(f, "grown      %s in %" PRIu64 " call%s\n", bwr_human_delta((int64_t)t.grown, s, sizeof(s)),
		t.grow_calls, t.grow_calls == 1 ? "" : "s");
	fprintf(f, "shrunk     %s in %" PRIu64 " call%s\n",
		t.shrunk ? bwr_human_delta(-(int64_t)t.shrunk, s, sizeof(s)) : "0",
		t.shrink_calls, t.shrink_calls == 1 ? "" : "s");
	fprintf(f, "refused    %" PRIu64 " call%s", t.refused, t.refused == 1 ? "" : "s");
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++) {
		if (!bwr_verdict_refused((enum brkwatch_verdict)v) || !t.by_verdict[v])
			continue;
		fprintf(f, "%s%s %" PRIu64, *sep ? sep : ": ", bwr_verdict_name((enum brkwatch_verdict)v),
			t.by_verdict[v]);
		sep = ", ";
	}
	fputc('\n', f);
	if (t.by_verdict[BRKWATCH_UNKNOWN])
		fprintf(f, "unknown    %" PRIu64 " call%s the module could not classify\n",
			t.by_verdict[BRKWATCH_UNKNOWN], t.by_verdict[BRKWATCH_UNKNOWN] == 1 ? "" : "s");
	if (h->dropped)
		fprintf(f, "note       %" PRIu64 " call%s not shown (dropped by the module); "
			"the totals cover the calls shown\n", h->dropped, h->dropped == 1 ? " is" : "s are");
}

static void cstr_type(struct bwr_json *j, const char *type)
{
	bwr_json_str(j, "type", type, strlen(type));
}

static bool filtering(const struct bwr_opts *o)
{
	return o->refused_only || o->verdicts || o->n_tids;
}

void bwr_summary_add(struct bwr_summary *s, const struct bwr_call *c)
{
	s->calls[c->verdict]++;
	if (c->delta > 0)
		s->mapped[c->verdict] += (uint64_t)c->delta;
	else
		s->unmapped[c->verdict] += (uint64_t)0 - (uint64_t)c->delta;
	s->ns[c->verdict] += c->duration_ns;
}

/* -c, like strace's: time in the kernel, calls and bytes per verdict, most time first */
void bwr_print_summary(FILE *f, const struct bwr_history *h, const struct bwr_summary *s)
{
	uint64_t ns = 0, calls = 0, mapped = 0, unmapped = 0;
	bool done[BRKWATCH_NR_VERDICTS] = { false };
	char c[4 * BWR_COMM_MAX + 4], m[32], u[32];

	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++) {
		ns += s->ns[v];
		calls += s->calls[v];
		mapped += s->mapped[v];
		unmapped += s->unmapped[v];
	}
	fprintf(f, "pid %" PRIu32 " (%s)\n", h->pid, bwr_escape(h->comm.s, h->comm.len, c, sizeof(c)));
	fprintf(f, "%% time     seconds      calls     mapped   unmapped  verdict\n");
	fprintf(f, "------ ----------- ---------- ---------- ----------  -------------\n");
	for (;;) {
		int best = -1;

		for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++)
			if (!done[v] && s->calls[v] && (best < 0 || s->ns[v] > s->ns[best]))
				best = v;
		if (best < 0)
			break;
		done[best] = true;
		fprintf(f, "%6.2f %11.6f %10" PRIu64 " %10s %10s  %s\n",
			ns ? 100.0 * (double)s->ns[best] / (double)ns : 0.0, (double)s->ns[best] / 1e9,
			s->calls[best], bwr_human_size(s->mapped[best], m, sizeof(m)),
			bwr_human_size(s->unmapped[best], u, sizeof(u)),
			bwr_verdict_name((enum brkwatch_verdict)best));
	}
	fprintf(f, "------ ----------- ---------- ---------- ----------  -------------\n");
	fprintf(f, "100.00 %11.6f %10" PRIu64 " %10s %10s  total\n", (double)ns / 1e9, calls,
		bwr_human_size(mapped, m, sizeof(m)), bwr_human_size(unmapped, u, sizeof(u)));
}

void bwr_printer_init(struct bwr_printer *p, FILE *f, const struct bwr_opts *o,
		      struct bwr_json *j, bool has_exec, const char *maps, size_t maps_len)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->o = o;
	p->j = j;
	p->has_exec = has_exec;
	p->maps = maps;
	p->maps_len = maps_len;
	bwr_chart_init(&p->chart);
}

void bwr_printer_stacks(struct bwr_printer *p, const char *maps, size_t len, uint32_t pid,
			uint64_t exec_total)
{
	p->stack_maps = maps;
	p->stack_maps_len = len;
	p->pid = pid;
	p->exec_total = exec_total;
	p->stacks_set = true;
}

/* The frames of a call's stack, in p->frames; NULL when out of memory */
static const struct bwr_frames *unwind_call(struct bwr_printer *p, const struct bwr_call *c,
					    struct bwr_frames *st)
{
	struct bwr_unwinder *u;
	const char *why = NULL;

	if (!p->frames)
		p->frames = malloc(BWR_MAX_FRAMES * sizeof(*p->frames));
	if (!p->frames)
		return NULL;
	/* the maps are of the program after the last exec marker */
	if (!p->stacks_set || !p->stack_maps)
		why = "not unwound: the process's maps were not captured";
	else if (p->exec_seen != p->exec_total)
		why = "not unwound: the process has run another program since";
	if (why) {
		if (!p->unw_none)
			p->unw_none = bwr_unwinder_new("", 0, p->pid);
		u = p->unw_none;
	} else {
		if (!p->unw)
			p->unw = bwr_unwinder_new(p->stack_maps, p->stack_maps_len, p->pid);
		u = p->unw;
	}
	if (!u)
		return NULL;
	st->f = p->frames;
	st->n = bwr_unwind(u, c->stack, p->frames, BWR_MAX_FRAMES, p->why, sizeof(p->why));
	st->why = why ? why : p->why;
	return st;
}

void bwr_printer_start(struct bwr_printer *p, const struct bwr_history *h)
{
	struct bwr_history head = *h;

	if (p->started)
		return;
	head.has_exec = p->has_exec;	/* what the walk needs: the whole file's */
	bwr_view_init(&p->v, p->o, &head);
	p->v.maps = p->maps;
	p->v.maps_len = p->maps_len;
	p->started = true;
	if (p->jsonl) {
		struct bwr_json j;

		bwr_json_begin(&j, p->f);
		j.compact = true;
		cstr_type(&j, "process");
		bwr_json_history_head(&j, h, p->o->relative);
		bwr_json_end(&j);
		return;
	}
	if (p->j) {
		bwr_json_history_head(p->j, h, p->o->relative);
		bwr_json_key_arr(p->j, "events");
		return;
	}
	if (p->o->summary)
		return;
	bwr_print_header(p->f, h, p->o);
	bwr_print_table_head(p->f, p->o);
}

enum bwr_parse_result bwr_printer_event(void *ctx, const struct bwr_history *h,
					const struct bwr_event *e)
{
	struct bwr_printer *p = ctx;
	struct bwr_frames frames;
	const struct bwr_frames *st = NULL;

	bool shown = e->is_exec || bwr_call_shown(p->o, &e->call);

	if (!p->started)
		bwr_printer_start(p, h);
	p->exec_seen += e->is_exec;
	if (shown && !e->is_exec && e->call.stack && !p->o->summary) {
		st = unwind_call(p, &e->call, &frames);
		if (!st)
			return BWR_E_NOMEM;
	}
	p->v.stack = st;
	if (p->svg) {	/* the picture's walk: its own, the view's steps below */
		struct bwr_walk w = p->v.walk;

		bwr_walk_step(&w, e);
		bwr_svg_add(p->svg, &w, e, st);
	}
	p->events++;
	p->shown += shown && !e->is_exec;

	if (shown && !e->is_exec)
		bwr_summary_add(&p->sum, &e->call);
	if (p->jsonl) {
		struct bwr_json j;
		char buf[16];

		bwr_walk_step(&p->v.walk, e);
		if (!shown)
			return BWR_OK;
		bwr_json_begin(&j, p->f);
		j.compact = true;
		if (!p->o->relative)
			bwr_json_u64(&j, "pid", h->pid);
		bwr_json_event_members(&j, e, p->o->relative, &p->v.walk,
				       e->is_exec ? "" :
				       bwr_thread_label(&p->v.tids, e->call.tid, h->pid,
							buf, sizeof(buf)), st);
		bwr_json_end(&j);
		return BWR_OK;
	}
	if (p->j) {
		char buf[16];

		bwr_walk_step(&p->v.walk, e);
		if (shown)
			bwr_json_event(p->j, e, p->o->relative, &p->v.walk,
				       e->is_exec ? "" :
				       bwr_thread_label(&p->v.tids, e->call.tid, h->pid,
							buf, sizeof(buf)), st);
		return BWR_OK;
	}
	if (p->o->summary)
		bwr_walk_step(&p->v.walk, e);
	else
		bwr_print_event(p->f, &p->v, e);	/* steps the walk */
	if (p->o->chart)
		bwr_chart_add(&p->chart, &p->v.walk, e);
	return BWR_OK;
}

void bwr_printer_free(struct bwr_printer *p)
{
	bwr_unwinder_free(p->unw);
	bwr_unwinder_free(p->unw_none);
	free(p->frames);
	p->unw = p->unw_none = NULL;
	p->frames = NULL;
}

void bwr_printer_end(struct bwr_printer *p, const struct bwr_history *h)
{
	bwr_printer_free(p);
	if (!p->started)
		bwr_printer_start(p, h);
	if (p->jsonl) {
		struct bwr_json j;

		bwr_json_begin(&j, p->f);
		j.compact = true;
		cstr_type(&j, "end");
		bwr_json_u64(&j, "calls", h->calls);
		bwr_json_u64(&j, "dropped", h->dropped);
		bwr_json_str(&j, "state", h->exited ? "exited" : "running", h->exited ? 6 : 7);
		bwr_json_totals(&j, &h->tot);
		bwr_json_end(&j);
		return;
	}
	if (p->j) {
		bwr_json_close(p->j, ']');
		bwr_json_totals(p->j, &h->tot);
		return;
	}
	if (p->o->summary) {
		bwr_print_summary(p->f, h, &p->sum);
		return;
	}
	if (!p->events)
		fputs("(no calls recorded)\n", p->f);
	bwr_print_footer(p->f, h, p->o);
	if (filtering(p->o))
		fprintf(p->f, "filter     %" PRIu64 " of the calls read shown; the totals "
			"above are of them all\n", p->shown);
	if (p->o->chart) {
		fputc('\n', p->f);
		bwr_chart_print(p->f, &p->chart);
	}
}

void bwr_print_history(FILE *f, const struct bwr_history *h, const struct bwr_opts *o,
		       const char *maps, size_t maps_len)
{
	struct bwr_printer p;

	bwr_printer_init(&p, f, o, NULL, h->has_exec, maps, maps_len);
	for (size_t i = 0; i < h->n_ev; i++)
		bwr_printer_event(&p, h, &h->ev[i]);
	bwr_printer_end(&p, h);
}

/* ---- list ---- */

#define LIST_ROW "%8s  %-16s  %-7s  %8s  %10s  %8s\n"

void bwr_print_list_head(FILE *f)
{
	fprintf(f, LIST_ROW, "PID", "COMM", "STATE", "CALLS", "HEAP", "REFUSED");
}

void bwr_print_list_row(FILE *f, const struct bwr_history *h)
{
	char pid[16], calls[24], heap[32], refused[24], c[4 * BWR_COMM_MAX + 4];
	struct bwr_totals t;

	bwr_totals(h, &t);
	snprintf(pid, sizeof(pid), "%" PRIu32, h->pid);
	snprintf(calls, sizeof(calls), "%" PRIu64, h->calls);
	snprintf(refused, sizeof(refused), "%" PRIu64, t.refused);
	fprintf(f, LIST_ROW, pid, bwr_escape(h->comm.s, h->comm.len, c, sizeof(c)),
		h->exited ? "exited" : "running", calls,
		bwr_human_size(bwr_heap_size(h), heap, sizeof(heap)), refused);
}

/* ---- status ---- */

size_t bwr_status_losses(const struct bwr_status *st, char out[][BWR_LOSS_LEN], size_t max)
{
	static const struct {
		const char *key, *what;
	} lost[] = {
		{ "records_dropped_ring", "calls overwritten in full per-process rings "
		  "(load the module with a larger records_per_process=)" },
		{ "records_dropped_memcap", "calls not stored because the memory cap was reached "
		  "(load the module with a larger memory_cap_kib=)" },
		{ "records_dropped_nomem", "calls not stored because the kernel had no memory" },
		{ "kretprobe_missed", "calls missed by the probes: kretprobe instances exhausted "
		  "(load the module with a larger maxactive=)" },
		{ "inflight_overflow", "calls whose entry could not be tracked (too many in flight)" },
		{ "unknown_verdicts", "calls the module could not classify (verdict \"unknown\")" },
	};
	const char *missing = bwr_status_get(st, "probes_missing");
	size_t n = 0;

	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]) && n < max; i++) {
		uint64_t v = bwr_status_u64(st, lost[i].key);

		if (v)
			snprintf(out[n++], BWR_LOSS_LEN, "%" PRIu64 " %s", v, lost[i].what);
	}
	if (missing && strcmp(missing, "-") && n < max)
		snprintf(out[n++], BWR_LOSS_LEN, "probes not attached: %.100s (decisions that need them are unknown)",
			 missing);
	if (bwr_status_u64(st, "paused") && n < max)
		snprintf(out[n++], BWR_LOSS_LEN, "recording is paused: new calls are not recorded "
			 "(echo resume > /proc/" BRKWATCH_PROC_DIR "/control)");
	if ((bwr_status_u64(st, "format") < 1 ||
	     bwr_status_u64(st, "format") > BRKWATCH_FORMAT_VERSION) && n < max)
		snprintf(out[n++], BWR_LOSS_LEN, "the module writes format %" PRIu64 ", this reader reads %d",
			 bwr_status_u64(st, "format"), BRKWATCH_FORMAT_VERSION);
	return n;
}

bool bwr_print_status(FILE *f, const struct bwr_status *st)
{
	char lost[16][BWR_LOSS_LEN];
	size_t n;

	for (size_t i = 0; i < st->n; i++)
		fprintf(f, "%-24s %s\n", st->kv[i].key, st->kv[i].val);
	n = bwr_status_losses(st, lost, 16);
	fputc('\n', f);
	if (n == 0) {
		fputs("nothing lost: every call seen was recorded and classified\n", f);
		return false;
	}
	fputs("SOMETHING IS LOST OR INCOMPLETE:\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  - %s\n", lost[i]);
	return true;
}

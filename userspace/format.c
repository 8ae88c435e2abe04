// SPDX-License-Identifier: GPL-2.0
#include "format.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"
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

#define ROW_REL "%6s  %-6s  %-14s  %14s -> %-14s  %14s -> %-14s  %9s  %s\n"
/* TIME: "+99999.999999s" at most (bwr_since()), 14 columns, past 100 s too */
#define ROW_ABS "%6s  %-14s  %7s  %-14s  %14s -> %-14s  %14s -> %-14s  %9s  %s\n"

void bwr_print_table_head(FILE *f, const struct bwr_opts *o)
{
	fputc('\n', f);
	if (o->relative)
		fprintf(f, ROW_REL, "SEQ", "THREAD", "REQUEST", "OLD BREAK", "NEW BREAK",
			"OLD ALIGNED", "NEW ALIGNED", "MAPPED", "VERDICT");
	else
		fprintf(f, ROW_ABS, "SEQ", "TIME", "TID", "REQUEST", "OLD BREAK", "NEW BREAK",
			"OLD ALIGNED", "NEW ALIGNED", "MAPPED", "VERDICT");
}

static void print_exec(FILE *f, struct bwr_view *v, const struct bwr_exec *x)
{
	char t[32], a[32], tid[16];

	fprintf(f, "------  exec ");
	comm(f, &x->comm);
	if (!v->o->relative)
		fprintf(f, " at %s by tid %s: new heap at start_brk %s\n",
			bwr_since(x->time_ns, v->t0, t, sizeof(t)),
			thread(v, x->tid, tid, sizeof(tid)),
			bwr_addr(x->start_brk, a, sizeof(a)));
	else
		fprintf(f, ": a new heap (offsets below are from its start_brk)\n");
}

void bwr_print_event(FILE *f, struct bwr_view *v, const struct bwr_event *e)
{
	const struct bwr_call *c = &e->call;
	char seq[24], t[32], tid[16], rq[32], b0[32], b1[32], a0[32], a1[32], d[32];
	char verdict[48];

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
	snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
	if (c->request == 0)
		snprintf(rq, sizeof(rq), "0x0");
	else
		addr(v, c->request, rq, sizeof(rq));
	if (c->ret_errno)
		snprintf(verdict, sizeof(verdict), "%s (%d)", bwr_verdict_name(c->verdict),
			 c->ret_errno);
	else
		snprintf(verdict, sizeof(verdict), "%s", bwr_verdict_name(c->verdict));
	addr(v, c->brk_before, b0, sizeof(b0));
	addr(v, c->brk_after, b1, sizeof(b1));
	addr(v, c->aligned_before, a0, sizeof(a0));
	addr(v, c->aligned_after, a1, sizeof(a1));
	bwr_human_delta(c->delta, d, sizeof(d));
	if (v->o->relative)
		fprintf(f, ROW_REL, seq, thread(v, c->tid, tid, sizeof(tid)), rq, b0, b1, a0, a1,
			d, verdict);
	else
		fprintf(f, ROW_ABS, seq, bwr_since(c->time_ns, v->t0, t, sizeof(t)),
			thread(v, c->tid, tid, sizeof(tid)), rq, b0, b1, a0, a1, d, verdict);
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
	if (p->j) {
		bwr_json_history_head(p->j, h, p->o->relative);
		bwr_json_key_arr(p->j, "events");
		return;
	}
	bwr_print_header(p->f, h, p->o);
	bwr_print_table_head(p->f, p->o);
}

enum bwr_parse_result bwr_printer_event(void *ctx, const struct bwr_history *h,
					const struct bwr_event *e)
{
	struct bwr_printer *p = ctx;

	if (!p->started)
		bwr_printer_start(p, h);
	p->events++;
	if (p->j) {
		char buf[16];

		bwr_walk_step(&p->v.walk, e);
		bwr_json_event(p->j, e, p->o->relative, &p->v.walk,
			       e->is_exec ? "" : bwr_thread_label(&p->v.tids, e->call.tid, h->pid,
								  buf, sizeof(buf)));
		return BWR_OK;
	}
	bwr_print_event(p->f, &p->v, e);	/* steps the walk */
	if (p->o->chart)
		bwr_chart_add(&p->chart, &p->v.walk, e);
	return BWR_OK;
}

void bwr_printer_end(struct bwr_printer *p, const struct bwr_history *h)
{
	if (!p->started)
		bwr_printer_start(p, h);
	if (p->j) {
		bwr_json_close(p->j, ']');
		bwr_json_totals(p->j, &h->tot);
		return;
	}
	if (!p->events)
		fputs("(no calls recorded)\n", p->f);
	bwr_print_footer(p->f, h, p->o);
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
	if (bwr_status_u64(st, "format") != BRKWATCH_FORMAT_VERSION && n < max)
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

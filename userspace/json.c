// SPDX-License-Identifier: GPL-2.0
#include "json.h"

#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "util.h"

static void indent(struct bw_json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void raw_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)	/* bytes as U+0000..U+00FF */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Comma, newline, indentation and "key": before a value. */
static void key(struct bw_json *j, const char *k)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	indent(j);
	if (k) {
		raw_str(j->f, k, strlen(k));
		fputs(": ", j->f);
	}
}

static void open_nested(struct bw_json *j, const char *k, char c)
{
	key(j, k);
	fputc(c, j->f);
	if (j->depth < 31)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void bw_json_begin(struct bw_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	fputc('{', f);
	j->depth = 1;
}

void bw_json_end(struct bw_json *j)
{
	fputs("\n}\n", j->f);
}

void bw_json_key_obj(struct bw_json *j, const char *k) { open_nested(j, k, '{'); }
void bw_json_key_arr(struct bw_json *j, const char *k) { open_nested(j, k, '['); }

void bw_json_close(struct bw_json *j, char c)
{
	bool empty = !j->need_comma[j->depth];

	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void bw_json_str(struct bw_json *j, const char *k, const char *s, size_t n)
{
	key(j, k);
	raw_str(j->f, s, n);
}

void bw_json_u64(struct bw_json *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void bw_json_i64(struct bw_json *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, v);
}

void bw_json_bool(struct bw_json *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

static void null(struct bw_json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}

static void cstr(struct bw_json *j, const char *k, const char *s)
{
	bw_json_str(j, k, s, strlen(s));
}

/* "0x" + 16 hex digits, as in the proc file */
static void addr(struct bw_json *j, const char *k, uint64_t a)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, a);
	cstr(j, k, buf);
}

/* An address: absolute, or with relative an offset from the heap's start_brk. */
static void where(struct bw_json *j, const char *k, uint64_t a, bool relative,
		  const struct bw_walk *w)
{
	char buf[24];

	if (relative && w->known)
		cstr(j, k, bw_offset(a, w->base, buf, sizeof(buf)));
	else
		addr(j, k, a);
}

static void details(struct bw_json *j, const struct bw_call *c, bool relative,
		    const struct bw_walk *w)
{
	bw_json_key_obj(j, "details");
	if (c->details & BW_D_LIMIT)
		bw_json_u64(j, "limit", c->limit);
	if (c->details & BW_D_SIZE)
		bw_json_u64(j, "size", c->size);
	if (c->details & BW_D_NEXT_START)
		where(j, "next_start", c->next_start, relative, w);
	if (c->details & BW_D_NEXT_END)
		where(j, "next_end", c->next_end, relative, w);
	if (c->details & BW_D_NEXT_KIND)
		cstr(j, "next_kind", bw_next_kind_name(c->next_kind));
	if (c->details & BW_D_GAP_ONLY)
		bw_json_bool(j, "gap_only", c->gap_only);
	if (c->details & BW_D_ERR)
		bw_json_i64(j, "err", c->err);
	bw_json_close(j, '}');
}

static void call(struct bw_json *j, const struct bw_call *c, bool relative,
		 const struct bw_walk *w, const char *thread)
{
	cstr(j, "type", "call");
	bw_json_u64(j, "seq", c->seq);
	if (!relative) {
		bw_json_u64(j, "time_ns", c->time_ns);
		bw_json_u64(j, "tid", c->tid);
	} else {
		cstr(j, "thread", thread);
	}
	cstr(j, "entry", c->ia32 ? "ia32" : "x64");
	if (relative && c->request == 0)
		cstr(j, "request", "0x0");
	else
		where(j, "request", c->request, relative, w);
	where(j, "brk_before", c->brk_before, relative, w);
	where(j, "brk_after", c->brk_after, relative, w);
	where(j, "aligned_before", c->aligned_before, relative, w);
	where(j, "aligned_after", c->aligned_after, relative, w);
	bw_json_i64(j, "delta", c->delta);
	if (c->ret_errno) {
		null(j, "ret");
		bw_json_i64(j, "ret_errno", c->ret_errno);
	} else {
		where(j, "ret", c->ret, relative, w);
		null(j, "ret_errno");
	}
	if (!relative)
		bw_json_u64(j, "duration_ns", c->duration_ns);
	cstr(j, "verdict", bw_verdict_name(c->verdict));
	bw_json_bool(j, "refused", bw_verdict_refused(c->verdict));
	details(j, c, relative, w);
}

void bw_json_history(struct bw_json *j, const struct bw_history *h, bool relative, bool events)
{
	struct bw_totals t;
	struct bw_walk w;
	struct bw_tids tids = { .n = 0 };

	bw_json_u64(j, "format", h->version);
	if (!relative) {
		bw_json_u64(j, "pid", h->pid);
		bw_json_u64(j, "ppid", h->ppid);
	}
	bw_json_str(j, "comm", h->comm.s, h->comm.len);
	cstr(j, "state", h->exited ? "exited" : "running");
	bw_json_u64(j, "uid", h->uid);
	if (!relative) {
		addr(j, "start_brk", h->start_brk);
		addr(j, "start_data", h->start_data);
		addr(j, "end_data", h->end_data);
		addr(j, "brk", h->brk);
		bw_json_u64(j, "gap", h->start_brk >= h->end_data ? h->start_brk - h->end_data : 0);
	}
	bw_json_u64(j, "data_size", h->end_data >= h->start_data ? h->end_data - h->start_data : 0);
	bw_json_u64(j, "heap_size", bw_heap_size(h));
	bw_json_u64(j, "calls", h->calls);
	bw_json_u64(j, "dropped", h->dropped);
	if (events) {
		bw_walk_init(h, &w);
		bw_json_key_arr(j, "events");
		for (size_t i = 0; i < h->n_ev; i++) {
			const struct bw_event *e = &h->ev[i];
			char buf[16];

			bw_walk_step(&w, e);
			bw_json_key_obj(j, NULL);
			if (e->is_exec) {
				cstr(j, "type", "exec");
				if (!relative) {
					bw_json_u64(j, "time_ns", e->exec.time_ns);
					bw_json_u64(j, "tid", e->exec.tid);
				}
				bw_json_str(j, "comm", e->exec.comm.s, e->exec.comm.len);
				if (!relative) {
					addr(j, "start_brk", e->exec.start_brk);
					addr(j, "start_data", e->exec.start_data);
					addr(j, "end_data", e->exec.end_data);
				}
			} else {
				call(j, &e->call, relative, &w,
				     bw_thread_label(&tids, e->call.tid, h->pid, buf, sizeof(buf)));
			}
			bw_json_close(j, '}');
		}
		bw_json_close(j, ']');
	}
	bw_totals(h, &t);
	bw_json_key_obj(j, "totals");
	bw_json_u64(j, "grown_bytes", t.grown);
	bw_json_u64(j, "grow_calls", t.grow_calls);
	bw_json_u64(j, "shrunk_bytes", t.shrunk);
	bw_json_u64(j, "shrink_calls", t.shrink_calls);
	bw_json_u64(j, "refused_calls", t.refused);
	bw_json_key_obj(j, "by_verdict");
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++)
		bw_json_u64(j, bw_verdict_name((enum brkwatch_verdict)v), t.by_verdict[v]);
	bw_json_close(j, '}');
	bw_json_close(j, '}');
}

static void list(struct bw_json *j, const char *k, const char *v)
{
	bw_json_key_arr(j, k);
	if (strcmp(v, "-")) {
		while (*v) {
			size_t n = strcspn(v, " ");

			if (n)
				bw_json_str(j, NULL, v, n);
			v += n;
			v += strspn(v, " ");
		}
	}
	bw_json_close(j, ']');
}

void bw_json_status(struct bw_json *j, const struct bw_status *st)
{
	char lost[16][BW_LOSS_LEN];
	size_t n;

	bw_json_key_obj(j, "status");
	for (size_t i = 0; i < st->n; i++) {
		const char *k = st->kv[i].key, *v = st->kv[i].val;

		switch (st->kv[i].type) {
		case BW_ST_U64:
			bw_json_u64(j, k, st->kv[i].u);
			break;
		case BW_ST_BOOL:
			bw_json_bool(j, k, st->kv[i].u);
			break;
		case BW_ST_LIST:
			list(j, k, v);
			break;
		default:
			cstr(j, k, v);
		}
	}
	bw_json_close(j, '}');
	n = bw_status_losses(st, lost, 16);
	bw_json_bool(j, "lost", n > 0);
	bw_json_key_arr(j, "warnings");
	for (size_t i = 0; i < n; i++)
		cstr(j, NULL, lost[i]);
	bw_json_close(j, ']');
}

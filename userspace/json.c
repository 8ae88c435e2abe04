// SPDX-License-Identifier: GPL-2.0
#include "json.h"
#include "unwind.h"

#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "util.h"

static void indent(struct bwr_json *j)
{
	if (j->compact)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void raw_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t u8 = bwr_utf8_len(s + i, n - i);

		if (u8) {		/* valid UTF-8 goes as it is */
			fwrite(s + i, 1, u8, f);
			i += u8 - 1;
		} else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)	/* bytes as U+0000..U+00FF */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Comma, newline, indentation and "key": before a value. */
static void key(struct bwr_json *j, const char *k)
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

static void open_nested(struct bwr_json *j, const char *k, char c)
{
	key(j, k);
	fputc(c, j->f);
	if (j->depth < 31)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void bwr_json_begin(struct bwr_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	fputc('{', f);
	j->depth = 1;
}

void bwr_json_end(struct bwr_json *j)
{
	fputs(j->compact ? "}\n" : "\n}\n", j->f);
}

void bwr_json_key_obj(struct bwr_json *j, const char *k) { open_nested(j, k, '{'); }
void bwr_json_key_arr(struct bwr_json *j, const char *k) { open_nested(j, k, '['); }

void bwr_json_close(struct bwr_json *j, char c)
{
	bool empty = !j->need_comma[j->depth];

	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void bwr_json_str(struct bwr_json *j, const char *k, const char *s, size_t n)
{
	key(j, k);
	raw_str(j->f, s, n);
}

void bwr_json_u64(struct bwr_json *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void bwr_json_i64(struct bwr_json *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, v);
}

void bwr_json_bool(struct bwr_json *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

static void null(struct bwr_json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}

static void cstr(struct bwr_json *j, const char *k, const char *s)
{
	bwr_json_str(j, k, s, strlen(s));
}

/* "0x" + 16 hex digits, as in the proc file */
static void addr(struct bwr_json *j, const char *k, uint64_t a)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, a);
	cstr(j, k, buf);
}

/* An address: absolute, or with relative an offset from the heap's start_brk. */
static void where(struct bwr_json *j, const char *k, uint64_t a, bool relative,
		  const struct bwr_walk *w)
{
	char buf[24];

	if (relative && w->known)
		cstr(j, k, bwr_offset(a, w->base, buf, sizeof(buf)));
	else
		addr(j, k, a);
}

static void details(struct bwr_json *j, const struct bwr_call *c, bool relative,
		    const struct bwr_walk *w)
{
	bwr_json_key_obj(j, "details");
	if (c->details & BWR_D_LIMIT)
		bwr_json_u64(j, "limit", c->limit);
	if (c->details & BWR_D_SIZE)
		bwr_json_u64(j, "size", c->size);
	if (c->details & BWR_D_NEXT_START)
		where(j, "next_start", c->next_start, relative, w);
	if (c->details & BWR_D_NEXT_END)
		where(j, "next_end", c->next_end, relative, w);
	if (c->details & BWR_D_NEXT_KIND)
		cstr(j, "next_kind", bwr_next_kind_name(c->next_kind));
	if (c->details & BWR_D_GAP_ONLY)
		bwr_json_bool(j, "gap_only", c->gap_only);
	if (c->details & BWR_D_ERR)
		bwr_json_i64(j, "err", c->err);
	bwr_json_close(j, '}');
}

static void call(struct bwr_json *j, const struct bwr_call *c, bool relative,
		 const struct bwr_walk *w, const char *thread)
{
	cstr(j, "type", "call");
	bwr_json_u64(j, "seq", c->seq);
	if (!relative) {
		bwr_json_u64(j, "time_ns", c->time_ns);
		bwr_json_u64(j, "tid", c->tid);
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
	bwr_json_i64(j, "delta", c->delta);
	if (c->ret_errno) {
		null(j, "ret");
		bwr_json_i64(j, "ret_errno", c->ret_errno);
	} else {
		where(j, "ret", c->ret, relative, w);
		null(j, "ret_errno");
	}
	if (!relative)
		bwr_json_u64(j, "duration_ns", c->duration_ns);
	cstr(j, "verdict", bwr_verdict_name(c->verdict));
	bwr_json_bool(j, "refused", bwr_verdict_refused(c->verdict));
	details(j, c, relative, w);
}

void bwr_json_history_head(struct bwr_json *j, const struct bwr_history *h, bool relative)
{
	bwr_json_u64(j, "format", h->version);
	if (!relative) {
		bwr_json_u64(j, "pid", h->pid);
		bwr_json_u64(j, "ppid", h->ppid);
	}
	bwr_json_str(j, "comm", h->comm.s, h->comm.len);
	cstr(j, "state", h->exited ? "exited" : "running");
	bwr_json_u64(j, "uid", h->uid);
	if (!relative) {
		addr(j, "start_brk", h->start_brk);
		addr(j, "start_data", h->start_data);
		addr(j, "end_data", h->end_data);
		addr(j, "brk", h->brk);
		bwr_json_u64(j, "gap",
			     h->start_brk >= h->end_data ? h->start_brk - h->end_data : 0);
	}
	bwr_json_u64(j, "data_size",
		     h->end_data >= h->start_data ? h->end_data - h->start_data : 0);
	bwr_json_u64(j, "heap_size", bwr_heap_size(h));
	bwr_json_u64(j, "calls", h->calls);
	bwr_json_u64(j, "dropped", h->dropped);
}

void bwr_json_event(struct bwr_json *j, const struct bwr_event *e, bool relative,
		    const struct bwr_walk *w, const char *thread, const struct bwr_frames *st)
{
	bwr_json_key_obj(j, NULL);
	bwr_json_event_members(j, e, relative, w, thread, st);
	bwr_json_close(j, '}');
}

/* "stack": the frames, innermost first; null members where nothing is known */
static void stack(struct bwr_json *j, const struct bwr_frames *st, bool relative)
{
	if (!st) {
		null(j, "stack");
		null(j, "stack_end");
		return;
	}
	bwr_json_key_arr(j, "stack");
	for (size_t i = 0; i < st->n; i++) {
		const struct bwr_frame *f = &st->f[i];

		bwr_json_key_obj(j, NULL);
		if (relative)
			null(j, "address");	/* moves from run to run */
		else
			addr(j, "address", f->addr);
		if (f->object[0])
			cstr(j, "object", f->object);
		else
			null(j, "object");
		if (f->symbol[0])
			cstr(j, "symbol", f->symbol);
		else
			null(j, "symbol");
		if (f->symbol[0])
			bwr_json_u64(j, "offset", f->sym_offset);
		else if (f->object[0])
			bwr_json_u64(j, "offset", f->obj_offset);
		else
			null(j, "offset");
		if (f->file[0]) {
			cstr(j, "file", f->file);
			bwr_json_u64(j, "line", f->line);
		} else {
			null(j, "file");
			null(j, "line");
		}
		bwr_json_close(j, '}');
	}
	bwr_json_close(j, ']');
	cstr(j, "stack_end", st->why ? st->why : "");
}

void bwr_json_event_members(struct bwr_json *j, const struct bwr_event *e, bool relative,
			    const struct bwr_walk *w, const char *thread,
			    const struct bwr_frames *st)
{
	if (e->is_exec) {
		cstr(j, "type", "exec");
		if (!relative) {
			bwr_json_u64(j, "time_ns", e->exec.time_ns);
			bwr_json_u64(j, "tid", e->exec.tid);
		}
		bwr_json_str(j, "comm", e->exec.comm.s, e->exec.comm.len);
		if (!relative) {
			addr(j, "start_brk", e->exec.start_brk);
			addr(j, "start_data", e->exec.start_data);
			addr(j, "end_data", e->exec.end_data);
		}
	} else {
		call(j, &e->call, relative, w, thread);
		stack(j, e->call.stack ? st : NULL, relative);
	}
}

void bwr_json_totals(struct bwr_json *j, const struct bwr_totals *t)
{
	bwr_json_key_obj(j, "totals");
	bwr_json_u64(j, "grown_bytes", t->grown);
	bwr_json_u64(j, "grow_calls", t->grow_calls);
	bwr_json_u64(j, "shrunk_bytes", t->shrunk);
	bwr_json_u64(j, "shrink_calls", t->shrink_calls);
	bwr_json_u64(j, "refused_calls", t->refused);
	bwr_json_key_obj(j, "by_verdict");
	for (int v = 0; v < BRKWATCH_NR_VERDICTS; v++)
		bwr_json_u64(j, bwr_verdict_name((enum brkwatch_verdict)v), t->by_verdict[v]);
	bwr_json_close(j, '}');
	bwr_json_close(j, '}');
}

void bwr_json_history(struct bwr_json *j, const struct bwr_history *h, bool relative, bool events)
{
	struct bwr_walk w;
	struct bwr_tids tids = { .n = 0 };

	bwr_json_history_head(j, h, relative);
	if (events) {
		bwr_walk_init(h, &w);
		bwr_json_key_arr(j, "events");
		for (size_t i = 0; i < h->n_ev; i++) {
			char buf[16];

			bwr_walk_step(&w, &h->ev[i]);
			bwr_json_event(j, &h->ev[i], relative, &w,
				       h->ev[i].is_exec ? "" :
				       bwr_thread_label(&tids, h->ev[i].call.tid, h->pid,
							buf, sizeof(buf)), NULL);
		}
		bwr_json_close(j, ']');
	}
	bwr_json_totals(j, &h->tot);
}

static void list(struct bwr_json *j, const char *k, const char *v)
{
	bwr_json_key_arr(j, k);
	if (strcmp(v, "-")) {
		while (*v) {
			size_t n = strcspn(v, " ");

			if (n)
				bwr_json_str(j, NULL, v, n);
			v += n;
			v += strspn(v, " ");
		}
	}
	bwr_json_close(j, ']');
}

void bwr_json_status(struct bwr_json *j, const struct bwr_status *st)
{
	char lost[16][BWR_LOSS_LEN];
	size_t n;

	bwr_json_key_obj(j, "status");
	for (size_t i = 0; i < st->n; i++) {
		const char *k = st->kv[i].key, *v = st->kv[i].val;

		switch (st->kv[i].type) {
		case BWR_ST_U64:
			bwr_json_u64(j, k, st->kv[i].u);
			break;
		case BWR_ST_BOOL:
			bwr_json_bool(j, k, st->kv[i].u);
			break;
		case BWR_ST_LIST:
			list(j, k, v);
			break;
		default:
			cstr(j, k, v);
		}
	}
	bwr_json_close(j, '}');
	n = bwr_status_losses(st, lost, 16);
	bwr_json_bool(j, "lost", n > 0);
	bwr_json_key_arr(j, "warnings");
	for (size_t i = 0; i < n; i++)
		cstr(j, NULL, lost[i]);
	bwr_json_close(j, ']');
}

// SPDX-License-Identifier: GPL-2.0
/* brkwatch export: Prometheus text exposition format (see prom.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "prom.h"

void bwr_prom_label(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\')
			fputs("\\\\", f);
		else if (ch == '"')
			fputs("\\\"", f);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20 || ch > 0x7e)
			fprintf(f, "\\\\%03o", ch);
		else
			fputc(ch, f);
	}
}

/* The module's counters: status key, metric name, help. */
static const struct {
	const char *key, *name, *help;
} counters[] = {
	{ "calls_seen", "brkwatch_calls_seen_total", "brk() calls the module saw" },
	{ "records_stored", "brkwatch_records_stored_total", "calls stored in a history" },
	{ "records_dropped_ring", "brkwatch_records_dropped_ring_total",
	  "records overwritten in a full per-process ring" },
	{ "records_dropped_memcap", "brkwatch_records_dropped_memcap_total",
	  "calls not stored: memory cap reached" },
	{ "records_dropped_nomem", "brkwatch_records_dropped_nomem_total",
	  "calls not stored: allocation failed" },
	{ "kretprobe_missed", "brkwatch_kretprobe_missed_total",
	  "calls missed: more at once than maxactive" },
	{ "inflight_overflow", "brkwatch_inflight_overflow_total",
	  "calls not followed: the table of calls in progress was full" },
	{ "unknown_verdicts", "brkwatch_unknown_verdicts_total",
	  "calls whose verdict the module could not be sure of" },
};

static const struct {
	const char *key, *name, *help;
} gauges[] = {
	{ "paused", "brkwatch_paused", "1 while recording is paused" },
	{ "processes_running", "brkwatch_processes_running", "tracked processes still running" },
	{ "processes_exited", "brkwatch_processes_exited", "histories kept after exit" },
	{ "memory_bytes", "brkwatch_memory_bytes",
	  "memory the module holds, its histories' procfs entries and pids included" },
	{ "memory_cap_bytes", "brkwatch_memory_cap_bytes", "the module's memory cap" },
};

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(FILE *f, const struct bwr_history *h)
{
	fprintf(f, "{pid=\"%" PRIu32 "\",comm=\"", h->pid);
	bwr_prom_label(f, h->comm.s, h->comm.len);
	fputc('"', f);
}

static int by_calls(const void *a, const void *b)
{
	const struct bwr_history *x = a, *y = b;

	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

void bwr_prom_keep(struct bwr_history *kept, size_t *n, size_t top, struct bwr_history *h)
{
	size_t i, worst = 0;

	if (*n < top) {
		kept[(*n)++] = *h;
		return;
	}
	if (!top) {
		bwr_history_free(h);
		return;
	}
	for (i = 1; i < *n; i++)
		if (by_calls(&kept[i], &kept[worst]) > 0)
			worst = i;
	if (by_calls(h, &kept[worst]) < 0) {
		bwr_history_free(&kept[worst]);
		kept[worst] = *h;
	} else {
		bwr_history_free(h);
	}
}

void bwr_prom_write(FILE *f, const struct bwr_status *st, struct bwr_history *hs, size_t n,
		    size_t total, size_t unreadable)
{
	const char *v = bwr_status_get(st, "version");
	const char *k = bwr_status_get(st, "kernel");
	size_t i, shown;

	head(f, "brkwatch_info", "gauge", "the module's version and kernel, value 1");
	fputs("brkwatch_info{version=\"", f);
	bwr_prom_label(f, v ? v : "", v ? strlen(v) : 0);
	fputs("\",kernel=\"", f);
	bwr_prom_label(f, k ? k : "", k ? strlen(k) : 0);
	fputs("\"} 1\n", f);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		head(f, counters[i].name, "counter", counters[i].help);
		fprintf(f, "%s %" PRIu64 "\n", counters[i].name,
			bwr_status_u64(st, counters[i].key));
	}
	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		head(f, gauges[i].name, "gauge", gauges[i].help);
		fprintf(f, "%s %" PRIu64 "\n", gauges[i].name, bwr_status_u64(st, gauges[i].key));
	}

	qsort(hs, n, sizeof(*hs), by_calls);
	shown = n;
	head(f, "brkwatch_export_processes", "gauge",
	     "processes with a history, by what was done with them");
	fprintf(f, "brkwatch_export_processes{state=\"exported\"} %zu\n", shown);
	fprintf(f, "brkwatch_export_processes{state=\"not_exported\"} %zu\n", total - shown);
	fprintf(f, "brkwatch_export_processes{state=\"unreadable\"} %zu\n", unreadable);
	if (!shown)
		return;

	head(f, "brkwatch_process_calls_total", "counter", "brk() calls of the process");
	for (i = 0; i < shown; i++) {
		fputs("brkwatch_process_calls_total", f);
		labels(f, &hs[i]);
		fprintf(f, "} %" PRIu64 "\n", hs[i].calls);
	}
	head(f, "brkwatch_process_refused_total", "counter",
	     "refused brk() calls of the process in its history, by verdict");
	for (i = 0; i < shown; i++) {
		struct bwr_totals t;

		bwr_totals(&hs[i], &t);
		for (int vd = 0; vd < BRKWATCH_NR_VERDICTS; vd++) {
			if (!bwr_verdict_refused(vd))
				continue;
			fputs("brkwatch_process_refused_total", f);
			labels(f, &hs[i]);
			fprintf(f, ",verdict=\"%s\"} %" PRIu64 "\n", bwr_verdict_name(vd),
				t.by_verdict[vd]);
		}
	}
	head(f, "brkwatch_process_heap_bytes", "gauge", "brk - start_brk after the last call");
	for (i = 0; i < shown; i++) {
		fputs("brkwatch_process_heap_bytes", f);
		labels(f, &hs[i]);
		fprintf(f, "} %" PRIu64 "\n", bwr_heap_size(&hs[i]));
	}
	head(f, "brkwatch_process_dropped_total", "counter",
	     "calls of the process no longer or never in its history");
	for (i = 0; i < shown; i++) {
		fputs("brkwatch_process_dropped_total", f);
		labels(f, &hs[i]);
		fprintf(f, "} %" PRIu64 "\n", hs[i].dropped);
	}
}

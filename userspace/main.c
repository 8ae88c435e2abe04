// SPDX-License-Identifier: GPL-2.0
/* brkwatch: what happened after malloc. Command line and the small commands. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"
#include "svg.h"
#include "json.h"
#include "prom.h"
#include "source.h"
#include "util.h"

#define POLL_NS 200000000L	/* --follow: 0.2 s between reads */

static const char usage_text[] =
"Usage: brkwatch [OPTIONS] [show] PID... | -p PID...  processes' brk() calls\n"
"       brkwatch [OPTIONS] run [-F] -- COMMAND [ARGS...]   run it, then its calls\n"
"       brkwatch [OPTIONS] list | status   every process tracked | what was lost\n"
"       brkwatch [--top N] export          the counters for Prometheus\n"
"       brkwatch -f PID                    new calls as they come, until it exits\n"
"Options:\n"
"  -j, --json         JSON (-f: JSON lines)   -o, --output FILE  ('-': stdout)\n"
"  -r, --relative     offsets from start_brk, no pids, tids or times (diffable)\n"
"  -e, --explain      what the kernel did, in words  --chart  the heap's size\n"
"  -c, --summary      calls, bytes and time per verdict, instead of the table\n"
"  -t, -tt            wall-clock times (-tt: microseconds)  -T  time in brk()\n"
"  -f, --follow       print new calls until the process exits (Ctrl-C: totals)\n"
"  -F, --follow-forks run: the processes COMMAND started too\n"
"      --stacks       run: the user call stack of each of COMMAND's brk() calls\n"
"  -p, --pid PID      a process to show (repeat for several)\n"
"      --refused      refused calls only   --verdict LIST   those verdicts only\n"
"      --tid TID      that thread's calls only (repeatable)\n"
"      --wide         the full table on a terminal under 132 columns\n"
"      --svg FILE     show, run: the heap's life as a picture (SVG)\n"
"      --top N        export: the N processes with the most calls (10)\n"
"  -h, --help         this help            -V, --version\n"
"run reports on stderr, the others on stdout. Exit: 0 ok, 1 usage, 2 no module,\n"
"3 no history, 4 permission denied, 5 malformed data, 6 other error, 7 (status)\n"
"something was lost; run: COMMAND's status. See brkwatch(1).\n";

enum {
	OPT_CHART = 256,
	OPT_TOP,
	OPT_REFUSED,
	OPT_VERDICT,
	OPT_TID,
	OPT_WIDE,
	OPT_SVG,
	OPT_STACKS,
};

static const struct option longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "relative", no_argument, NULL, 'r' },
	{ "explain", no_argument, NULL, 'e' },
	{ "chart", no_argument, NULL, OPT_CHART },
	{ "summary", no_argument, NULL, 'c' },
	{ "follow", no_argument, NULL, 'f' },
	{ "follow-forks", no_argument, NULL, 'F' },
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "refused", no_argument, NULL, OPT_REFUSED },
	{ "verdict", required_argument, NULL, OPT_VERDICT },
	{ "tid", required_argument, NULL, OPT_TID },
	{ "wide", no_argument, NULL, OPT_WIDE },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "stacks", no_argument, NULL, OPT_STACKS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ NULL, 0, NULL, 0 },
};

void bwr_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("brkwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("brkwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'brkwatch --help'.\n", stderr);
	return BWR_EXIT_USAGE;
}

static bool parse_pid(const char *s, uint32_t *pid);

/* --verdict LIST: comma-separated verdict names, into a mask */
static int parse_verdicts(const char *list, uint32_t *mask)
{
	while (*list) {
		size_t n = strcspn(list, ",");
		int v;

		for (v = 0; v < BRKWATCH_NR_VERDICTS; v++) {
			const char *name = bwr_verdict_name((enum brkwatch_verdict)v);

			if (strlen(name) == n && !strncmp(name, list, n))
				break;
		}
		if (v == BRKWATCH_NR_VERDICTS) {
			usage_error("--verdict: unknown verdict '%.*s' (the verdicts are in brkwatch(1))",
				    (int)n, list);
			return -1;
		}
		*mask |= 1u << v;
		list += n + (list[n] == ',');
	}
	if (!*mask) {
		usage_error("--verdict needs a list of verdicts, like grow,overlap");
		return -1;
	}
	return 0;
}

/*
 * getopt_long's '?': an unknown long option (optopt 0), a known long one given
 * "=VALUE" it does not take (optopt its letter: a long option always moves
 * optind past itself), or an unknown letter, maybe inside a cluster ("-jx").
 */
static int option_error(char **argv, const char *optstring)
{
	const char *arg = argv[optind - 1];
	int len = (int)strcspn(arg, "=");

	if (optopt == 0)
		return usage_error("unknown option '%.*s'", len, arg);
	if ((optopt >= 256 || (optopt != ':' && strchr(optstring, optopt))) &&
	    !strncmp(arg, "--", 2) && arg[len])
		return usage_error("option '%.*s' takes no argument", len, arg);
	return usage_error("unknown option '-%c'", optopt);
}

/* Options; returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, const char *optstring, struct bwr_cli *c)
{
	int ch;

	optind = 0;	/* GNU: start afresh at argv[1] */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c->json = 1;
			break;
		case 'r':
			c->o.relative = true;
			break;
		case 'e':
			c->o.explain = true;
			break;
		case OPT_CHART:
			c->o.chart = true;
			break;
		case 'c':
			c->o.summary = true;
			break;
		case 't':
			c->o.abs_time = c->o.abs_time < 2 ? c->o.abs_time + 1 : 2;
			break;
		case 'T':
			c->o.durations = true;
			break;
		case OPT_REFUSED:
			c->o.refused_only = true;
			break;
		case OPT_WIDE:
			c->wide = true;
			break;
		case OPT_SVG:
			c->svg_path = optarg;	/* written once the history was read */
			break;
		case OPT_STACKS:
			c->stacks = true;
			break;
		case OPT_VERDICT:
			if (parse_verdicts(optarg, &c->o.verdicts))
				return BWR_EXIT_USAGE;
			break;
		case OPT_TID:
		case 'p': {
			uint32_t id;

			if (!parse_pid(optarg, &id))
				return usage_error("%s needs a number, not '%s'",
						   ch == 'p' ? "-p" : "--tid", optarg);
			if (ch == 'p' && c->n_pids < BWR_MAX_PIDS)
				c->pids[c->n_pids++] = id;
			else if (ch == OPT_TID && c->o.n_tids < BWR_MAX_TID_FILTER)
				c->o.tids[c->o.n_tids++] = id;
			else
				return usage_error("too many %s (at most %d)", ch == 'p' ? "-p" : "--tid",
						   ch == 'p' ? BWR_MAX_PIDS : BWR_MAX_TID_FILTER);
			break;
		}
		case 'f':
			c->follow = 1;
			break;
		case 'F':
			c->follow_forks = 1;
			break;
		case 'o':
			/* opened once every option is checked; the last -o wins */
			c->out_path = optarg;
			break;
		case OPT_TOP: {
			char *end;

			errno = 0;
			c->top = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || c->top < 0 || c->top > BWR_PROM_TOP_MAX)
				return usage_error("--top needs a number from 0 to %d, not '%s'",
						   BWR_PROM_TOP_MAX, optarg);
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			return BWR_EXIT_OK;
		case 'V':
			printf("brkwatch %s (proc format %d)\n", BRKWATCH_VERSION,
			       BRKWATCH_FORMAT_VERSION);
			return BWR_EXIT_OK;
		case ':':
			if (!strncmp(argv[optind - 1], "--", 2))
				return usage_error("option '%s' needs an argument", argv[optind - 1]);
			return usage_error("option '-%c' needs an argument", optopt);
		default:
			return option_error(argv, optstring);
		}
	}
	return -1;
}

/*
 * The report's stream: -o FILE, "-o -" for standard output, else def (run:
 * standard error, the others: standard output). Called only after every
 * option and argument was checked, so a usage error creates no file.
 */
static int open_output(struct bwr_cli *c, FILE *def)
{
	if (!c->out_path) {
		c->out = def;
		return -1;
	}
	if (!strcmp(c->out_path, "-")) {
		c->out = stdout;
		return -1;
	}
	c->out = fopen(c->out_path, "we");
	if (!c->out) {
		bwr_warn("cannot write %s: %s", c->out_path, strerror(errno));
		c->out = def;
		return BWR_EXIT_ERROR;
	}
	c->out_owned = true;
	return -1;
}

static bool parse_pid(const char *s, uint32_t *pid)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > UINT32_MAX)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return false;
	*pid = (uint32_t)v;
	return true;
}

static int fail(int code, const char *msg)
{
	bwr_warn("%s", msg);
	return code;
}

int bwr_report_pid(const struct bwr_cli *c, uint32_t pid, struct bwr_json *j,
		   const struct bwr_history *checked, const char *svg, char *msg, size_t size)
{
	struct bwr_svg *pic = NULL;
	FILE *svgf = NULL;
	struct bwr_history h;
	struct bwr_printer pr;
	struct bwr_file f;
	size_t maps_len = 0, stack_maps_len = 0;
	char *maps = NULL, *own_stack_maps = NULL;
	const char *stack_maps = NULL;
	uint64_t stack_execs;
	int r;

	/*
	 * Read once to the end first, printing nothing: a malformed file is said
	 * before any of it is printed, and whether an exec line comes (which heap
	 * the calls before it belong to) is known. Memory stays bounded.
	 */
	if (!checked) {
		r = bwr_load_history(pid, &h, msg, size);
		if (r)
			return r;
		checked = &h;
	}
	if (c->o.explain && !j && !checked->exited)
		maps = bwr_read_maps(pid, &maps_len);
	/* stacks are unwound against the maps run captured, or the process's now */
	stack_execs = checked->n_exec;
	if (c->run_maps && c->run_maps_pid == pid) {
		stack_maps = c->run_maps;
		stack_maps_len = c->run_maps_len;
	} else if (checked->n_stacks && !checked->exited) {
		own_stack_maps = bwr_read_stack_maps(pid, &stack_maps_len, &stack_execs);
		stack_maps = own_stack_maps;
	}
	if (svg) {
		pic = malloc(sizeof(*pic));
		svgf = pic ? fopen(svg, "we") : NULL;
		if (!svgf) {
			snprintf(msg, size, "cannot write %s: %s", svg, strerror(errno));
			free(pic);
			free(maps);
			free(own_stack_maps);
			return BWR_EXIT_ERROR;
		}
		bwr_svg_init(pic);
	}
	bwr_printer_init(&pr, c->out, &c->o, j, checked->has_exec, maps, maps_len);
	bwr_printer_stacks(&pr, stack_maps, stack_maps_len, pid, stack_execs);
	pr.svg = pic;
	r = bwr_file_open(&f, pid, bwr_printer_event, &pr, msg, size);
	if (!r)
		r = bwr_file_read(&f, true, msg, size);
	if (!r)
		bwr_printer_end(&pr, &f.h);
	if (!r && pic)
		bwr_svg_write(svgf, pic, &f.h);
	if (svgf) {
		bool bad = fflush(svgf) || ferror(svgf);

		if ((fclose(svgf) || bad) && !r) {
			snprintf(msg, size, "writing %s failed: %s", svg, strerror(errno));
			r = BWR_EXIT_ERROR;
		}
	}
	bwr_file_close(&f);
	bwr_printer_free(&pr);
	free(pic);
	free(maps);
	free(own_stack_maps);
	return r;
}

/*
 * show PID, or several (-p PID -p PID, show PID PID): one report, the
 * processes in the order given; a history that cannot be read is said and
 * the others shown, and the exit status is the first error's.
 */
static int cmd_show(const struct bwr_cli *c)
{
	struct bwr_history h;
	struct bwr_json j;
	char msg[1024];
	int r, first = BWR_EXIT_OK;
	bool many = c->n_pids > 1;

	if (c->json) {
		/* one document, begun once the first history is known to be good */
		r = bwr_load_history(c->pids[0], &h, msg, sizeof(msg));
		if (r && !many)
			return fail(r, msg);
		bwr_json_begin(&j, c->out);
		bwr_json_u64(&j, "schema", BWR_JSON_SCHEMA);
		bwr_json_str(&j, "command", "show", 4);
		bwr_json_bool(&j, "relative", c->o.relative);
		if (many)
			bwr_json_key_arr(&j, "processes");
	}
	for (size_t i = 0; i < c->n_pids; i++) {
		if (c->json) {
			r = i || many ? bwr_load_history(c->pids[i], &h, msg, sizeof(msg)) : 0;
			if (!r) {
				bwr_json_key_obj(&j, many ? NULL : "process");
				r = bwr_report_pid(c, c->pids[i], &j, &h, i ? NULL : c->svg_path,
						   msg, sizeof(msg));
				bwr_json_close(&j, '}');
			}
		} else {
			if (many)
				fprintf(c->out, "%s=== process %zu of %zu ===\n", i ? "\n" : "", i + 1,
					c->n_pids);
			r = bwr_report_pid(c, c->pids[i], NULL, NULL, i ? NULL : c->svg_path,
					   msg, sizeof(msg));
		}
		if (r) {
			bwr_warn("%s", msg);
			if (!first)
				first = r;
		}
	}
	if (c->json) {
		if (many)
			bwr_json_close(&j, ']');
		bwr_json_end(&j);
	}
	return first;
}

/*
 * -f: the file stays open and is read on from where the last read stopped
 * (the module's file gives the records appended since); the header, read
 * afresh (and only it), says when the process has exited.
 */
static volatile sig_atomic_t follow_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	follow_interrupted = 1;
}

static int cmd_follow(const struct bwr_cli *c, uint32_t pid)
{
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	struct bwr_printer pr;
	struct bwr_history now;
	struct bwr_file f;
	bool has_exec = false;
	size_t maps_len = 0, stack_maps_len = 0;
	char *maps = NULL, *stack_maps;
	uint64_t stack_execs = 0;
	char msg[1024];
	int r;

	memset(&now, 0, sizeof(now));
	r = c->o.explain ? bwr_load_header(pid, &now, msg, sizeof(msg)) : 0;
	if (!r && (c->o.relative || c->o.explain))
		r = bwr_history_has_exec(pid, &has_exec, msg, sizeof(msg));
	if (r)
		return fail(r, msg);
	if (c->o.explain && !now.exited)
		maps = bwr_read_maps(pid, &maps_len);
	/*
	 * Stacks, those of calls to come included, are unwound against the
	 * program it runs now: those after another exec are not.
	 */
	stack_maps = bwr_read_stack_maps(pid, &stack_maps_len, &stack_execs);
	follow_interrupted = 0;
	bwr_printer_init(&pr, c->out, &c->o, NULL, has_exec, maps, maps_len);
	bwr_printer_stacks(&pr, stack_maps, stack_maps_len, pid, stack_execs);
	pr.jsonl = c->json;
	/* Ctrl-C: the totals so far, as strace -c does; no SA_RESTART, to wake the sleep */
	sigaction(SIGINT, &sa, &old);
	r = bwr_file_open(&f, pid, bwr_printer_event, &pr, msg, sizeof(msg));
	for (bool exited = false; !r;) {
		uint64_t before = f.h.n_events;

		r = bwr_file_read(&f, exited, msg, sizeof(msg));
		if (r || exited || follow_interrupted)
			break;
		fflush(c->out);
		if (f.h.n_events != before)
			continue;	/* more may be there already */
		if (!pr.started && bwr_parser_header_done(f.p)) {
			bwr_printer_start(&pr, &f.h);
			fflush(c->out);
		}
		if (f.h.exited) {	/* it had exited when opened: all of it is there */
			now = f.h;
			exited = true;
			continue;
		}
		r = bwr_load_header(pid, &now, msg, sizeof(msg));
		if (r == BWR_EXIT_NOHISTORY && pr.started) {
			fprintf(c->out, "(the history of PID %" PRIu32 " is gone)\n", pid);
			r = BWR_EXIT_OK;
			goto out;
		}
		exited = !r && now.exited;
		if (!exited && !r && !follow_interrupted)
			nanosleep(&(struct timespec){ .tv_sec = 0, .tv_nsec = POLL_NS }, NULL);
		if (follow_interrupted)
			break;
	}
	sigaction(SIGINT, &old, NULL);
	if (!r) {
		/* the footer with the header as it is now, the totals of what was read */
		now.tot = f.h.tot;
		now.n_events = f.h.n_events;
		bwr_printer_end(&pr, &now);
	}
out:
	bwr_file_close(&f);
	bwr_printer_free(&pr);
	free(maps);
	free(stack_maps);
	return r ? fail(r, msg) : BWR_EXIT_OK;
}

/* How a walk over every history went. */
struct walk_counts {
	size_t unreadable;	/* not ours to read */
	size_t bad;		/* malformed (said on stderr) */
};

/*
 * list and export: each history the module holds, header and totals read in
 * bounded memory, handed to fn; those we may not read counted, malformed ones
 * said and counted, forgotten ones skipped. Returns an exit code of the
 * listing itself (msg set), else 0.
 */
static int each_history(void (*fn)(void *ctx, struct bwr_history *h), void *ctx,
			struct walk_counts *wc, char *msg, size_t size)
{
	uint32_t *pids;
	size_t n;
	int r = bwr_list_pids(&pids, &n, msg, size);

	memset(wc, 0, sizeof(*wc));
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct bwr_history h;

		r = bwr_load_history(pids[i], &h, msg, size);
		if (r == BWR_EXIT_PERM) {
			wc->unreadable++;
		} else if (r == BWR_EXIT_NOHISTORY) {	/* forgotten meanwhile */
			continue;
		} else if (r) {
			wc->bad++;
			bwr_warn("%s", msg);
		} else {
			fn(ctx, &h);
		}
	}
	free(pids);
	return 0;
}

struct list_ctx {
	const struct bwr_cli *c;
	struct bwr_json j;
};

static void list_one(void *ctx, struct bwr_history *h)
{
	struct list_ctx *l = ctx;

	if (!l->c->json) {
		bwr_print_list_row(l->c->out, h);
		return;
	}
	bwr_json_key_obj(&l->j, NULL);
	bwr_json_history(&l->j, h, false, false);
	bwr_json_close(&l->j, '}');
}

static int cmd_list(const struct bwr_cli *c)
{
	struct list_ctx l = { .c = c };
	struct walk_counts wc;
	char msg[1024];
	int r = bwr_check_module(msg, sizeof(msg));

	if (r)
		return fail(r, msg);
	if (c->json) {
		bwr_json_begin(&l.j, c->out);
		bwr_json_u64(&l.j, "schema", BWR_JSON_SCHEMA);
		bwr_json_str(&l.j, "command", "list", 4);
		bwr_json_key_arr(&l.j, "processes");
	} else {
		bwr_print_list_head(c->out);
	}
	r = each_history(list_one, &l, &wc, msg, sizeof(msg));
	if (r)
		return fail(r, msg);
	if (c->json) {
		bwr_json_close(&l.j, ']');
		bwr_json_u64(&l.j, "unreadable", wc.unreadable);
		bwr_json_u64(&l.j, "malformed", wc.bad);
		bwr_json_end(&l.j);
	} else if (wc.unreadable) {
		fprintf(c->out, "(%zu more process%s not shown: only their owner and root can "
			"read their history)\n", wc.unreadable, wc.unreadable == 1 ? "" : "es");
	}
	return wc.bad ? BWR_EXIT_DATA : BWR_EXIT_OK;
}

static int cmd_status(const struct bwr_cli *c)
{
	struct bwr_status *st = malloc(sizeof(*st));
	char msg[1024], lines[16][BWR_LOSS_LEN];
	bool lost;
	int r;

	if (!st)
		return fail(BWR_EXIT_ERROR, "out of memory");
	r = bwr_load_status(st, msg, sizeof(msg));
	if (r) {
		free(st);
		return fail(r, msg);
	}
	if (c->json) {
		struct bwr_json j;

		bwr_json_begin(&j, c->out);
		bwr_json_u64(&j, "schema", BWR_JSON_SCHEMA);
		bwr_json_str(&j, "command", "status", 6);
		bwr_json_status(&j, st);
		bwr_json_end(&j);
		lost = bwr_status_losses(st, lines, 16) > 0;
	} else {
		lost = bwr_print_status(c->out, st);
	}
	free(st);
	return lost ? BWR_EXIT_LOST : BWR_EXIT_OK;
}

struct export_ctx {
	struct bwr_history *hs;
	size_t kept, top, total;
};

static void export_one(void *ctx, struct bwr_history *h)
{
	struct export_ctx *x = ctx;

	x->total++;
	bwr_prom_keep(x->hs, &x->kept, x->top, h);
}

static int cmd_export(const struct bwr_cli *c)
{
	struct export_ctx x = { .top = c->top < 0 ? BWR_PROM_TOP_DEFAULT : (size_t)c->top };
	struct bwr_status *st = malloc(sizeof(*st));
	struct walk_counts wc;
	char msg[1024];
	int r;

	x.hs = calloc(x.top ? x.top : 1, sizeof(*x.hs));
	if (!st || !x.hs) {
		free(st);
		free(x.hs);
		return fail(BWR_EXIT_ERROR, "out of memory");
	}
	r = bwr_load_status(st, msg, sizeof(msg));
	if (!r)
		r = each_history(export_one, &x, &wc, msg, sizeof(msg));
	if (!r)
		bwr_prom_write(c->out, st, x.hs, x.kept, x.total, wc.unreadable);
	for (size_t i = 0; i < x.kept; i++)
		bwr_history_free(&x.hs[i]);
	free(x.hs);
	free(st);
	if (r)
		return fail(r, msg);
	return wc.bad ? BWR_EXIT_DATA : BWR_EXIT_OK;
}

#define OPTSTRING ":jrecfFo:hVtTp:"

/* The narrow table on a terminal under 132 columns, unless --wide; the full one in a pipe. */
static void choose_layout(struct bwr_cli *c)
{
	struct winsize ws;

	c->o.narrow = !c->wide && isatty(fileno(c->out)) &&
		      !ioctl(fileno(c->out), TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_col < 132;
}

/* What goes with what; returns -1 when all is well, else the exit code. */
static int check_combinations(const struct bwr_cli *c, const char *cmd)
{
	bool table = !strcmp(cmd, "show") || !strcmp(cmd, "run") || !strcmp(cmd, "pid");

	if (c->json && (c->o.explain || c->o.chart))
		return usage_error("--explain and --chart print text; they do not go with --json");
	if (c->json && (c->o.summary || c->o.abs_time || c->o.durations))
		return usage_error("-c, -t and -T shape the text table; JSON has every number");
	if (c->o.summary && (c->o.explain || c->o.chart))
		return usage_error("-c prints a summary instead of the table: not with --explain or --chart");
	if (c->o.relative && c->o.abs_time)
		return usage_error("--relative hides times: not with -t");
	if (c->follow_forks && strcmp(cmd, "run"))
		return usage_error("--follow-forks goes with run");
	if (c->stacks && strcmp(cmd, "run"))
		return usage_error("--stacks goes with run (for a running process: "
				   "echo stacks PID > /proc/" BRKWATCH_PROC_DIR "/control)");
	if (c->top >= 0 && strcmp(cmd, "export"))
		return usage_error("--top goes with export");
	if (c->svg_path && c->follow)
		return usage_error("--svg goes with show and run, not with --follow");
	if (c->n_pids && strcmp(cmd, "pid") && strcmp(cmd, "show"))
		return usage_error("-p goes with show");
	if (!table && (c->o.relative || c->o.explain || c->o.chart || c->o.summary ||
		       c->o.abs_time || c->o.durations || c->o.refused_only || c->o.verdicts ||
		       c->o.n_tids || c->wide || c->follow || c->svg_path))
		return usage_error(!strcmp(cmd, "export") ? "export takes only --top and --output" :
				   "%s takes only --json and --output", cmd);
	if (!strcmp(cmd, "export") && c->json)
		return usage_error("export takes only --top and --output");
	return -1;
}

static int dispatch(int argc, char **argv, struct bwr_cli *c)
{
	const char *cmd = "pid";
	int r;

	r = parse_options(argc, argv, "+" OPTSTRING, c);
	if (r >= 0)
		return r;
	if (optind < argc) {
		cmd = argv[optind];
		argc -= optind;
		argv += optind;
		/* the command's own options; run stops at its COMMAND */
		r = parse_options(argc, argv, strcmp(cmd, "run") ? OPTSTRING : "+" OPTSTRING, c);
		if (r >= 0)
			return r;
		if (strcmp(cmd, "show") && strcmp(cmd, "run") && strcmp(cmd, "list") &&
		    strcmp(cmd, "status") && strcmp(cmd, "export")) {
			uint32_t pid;

			if (!parse_pid(cmd, &pid) && cmd[0] >= 'a' && cmd[0] <= 'z')
				return usage_error("unknown command '%s'", cmd);
			if (!parse_pid(cmd, &pid))
				return usage_error("'%s' is not a PID", cmd);
			if (c->n_pids == BWR_MAX_PIDS)
				return usage_error("too many PIDs (at most %d)", BWR_MAX_PIDS);
			c->pids[c->n_pids++] = pid;	/* the first PID, argv[0] here */
			cmd = "pid";
		}
	} else if (!c->n_pids) {
		return usage_error("which PID? (or run, list, status)");
	} else {
		argc = optind = 0;
	}
	r = check_combinations(c, cmd);
	if (r >= 0)
		return r;
	if (!strcmp(cmd, "export")) {
		if (optind < argc)
			return usage_error("export takes no arguments");
		r = open_output(c, stdout);
		return r >= 0 ? r : cmd_export(c);
	}
	if (!strcmp(cmd, "run")) {
		if (c->follow)
			return usage_error("--follow goes with a PID, not with run");
		if (optind >= argc)
			return usage_error("run: which command? (brkwatch run -- COMMAND [ARGS...])");
		r = open_output(c, stderr);
		if (r >= 0)
			return r;
		choose_layout(c);
		return bwr_cmd_run(c, argv + optind);
	}
	if (!strcmp(cmd, "list") || !strcmp(cmd, "status")) {
		if (optind < argc)
			return usage_error("%s takes no arguments", cmd);
		r = open_output(c, stdout);
		if (r >= 0)
			return r;
		return !strcmp(cmd, "list") ? cmd_list(c) : cmd_status(c);
	}
	/* show PID..., PID..., -p PID...: the PIDs after the options */
	for (; optind < argc; optind++) {
		uint32_t pid;

		if (!parse_pid(argv[optind], &pid))
			return usage_error("'%s' is not a PID", argv[optind]);
		if (c->n_pids == BWR_MAX_PIDS)
			return usage_error("too many PIDs (at most %d)", BWR_MAX_PIDS);
		c->pids[c->n_pids++] = pid;
	}
	if (!c->n_pids)
		return usage_error("show: which PID?");
	if (c->follow && c->n_pids > 1)
		return usage_error("--follow takes one PID");
	r = open_output(c, stdout);
	if (r >= 0)
		return r;
	choose_layout(c);
	return c->follow ? cmd_follow(c, c->pids[0]) : cmd_show(c);
}

int main(int argc, char **argv)
{
	struct bwr_cli c = { .out = stdout, .top = -1 };
	int r = dispatch(argc, argv, &c);

	if (fflush(c.out) || ferror(c.out)) {
		bwr_warn("writing the report failed: %s", strerror(errno));
		if (!r)
			r = BWR_EXIT_ERROR;
	}
	if (c.out_owned)
		fclose(c.out);
	return r;
}

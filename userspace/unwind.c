// SPDX-License-Identifier: GPL-2.0
/*
 * Call stacks with libdw's Dwfl, as perf and systemd-coredump unwind: the
 * mapped files are reported from the captured maps text
 * (dwfl_linux_proc_maps_report), the thread's state comes from the captured
 * registers, and its memory is the captured stack bytes only.
 */
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MAPPINGS 4096

struct mapping {
	uint64_t start, end, pgoff;
	char path[256];		/* "" for anonymous ones */
};

struct bwr_unwinder {
	uint32_t pid;
	Dwfl *dwfl;		/* NULL when no mapped file could be used */
	bool attached;
	const struct bwr_stack *cur;	/* the stack being unwound */
	bool beyond;		/* libdw asked for memory outside it */
	struct mapping *m;
	size_t n;
	/* the current walk */
	struct bwr_frame *f;
	size_t nf, max;
};

/* One line of maps text: "start-end perms offset dev inode [path]" */
static bool parse_maps_line(const char *line, struct mapping *m, unsigned long long *ino)
{
	unsigned long long s, e, off;
	int name = 0;

	if (sscanf(line, "%llx-%llx %*s %llx %*s %llu %n", &s, &e, &off, ino, &name) < 4)
		return false;
	m->start = s;
	m->end = e;
	m->pgoff = off;
	snprintf(m->path, sizeof(m->path), "%s", name ? line + name : "");
	return true;
}

/*
 * Whether the file at path is still the one mapped: a regular file with the
 * mapped inode. " (deleted)" files and replaced ones are not.
 */
static bool same_file(const char *path, unsigned long long ino)
{
	struct stat st;

	return path[0] == '/' && !stat(path, &st) && S_ISREG(st.st_mode) &&
	       (unsigned long long)st.st_ino == ino;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct bwr_unwinder *u = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return (pid_t)u->pid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct bwr_unwinder *u = arg;

	(void)dwfl;
	if (tid != (pid_t)u->pid)
		return false;
	*thread_argp = u;
	return true;
}

/* Only the captured bytes: anything else is unknown, never guessed */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct bwr_unwinder *u = arg;
	const struct bwr_stack *s = u->cur;
	uint64_t sp = s->regs[7];

	(void)dwfl;
	if (addr < sp || addr - sp > s->len || s->len - (addr - sp) < sizeof(*result)) {
		u->beyond = true;
		return false;
	}
	memcpy(result, s->data + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct bwr_unwinder *u = thread_arg;
	Dwarf_Word regs[BWR_STACK_REGS];

	for (int i = 0; i < BWR_STACK_REGS; i++)
		regs[i] = u->cur->regs[i];
	return dwfl_thread_state_registers(thread, 0, BWR_STACK_REGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static char *debuginfo_path;	/* NULL: the default, ":.debug:/usr/lib/debug" */

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct bwr_unwinder *bwr_unwinder_new(const char *maps, size_t len, uint32_t pid)
{
	struct bwr_unwinder *u = calloc(1, sizeof(*u));
	char *usable = malloc(len + 1), *line = malloc(len + 1);
	size_t ulen = 0;
	const char *p = maps, *end = maps + len;
	FILE *f;

	if (!u || !usable || !line)
		goto nomem;
	u->pid = pid;
	u->m = calloc(MAX_MAPPINGS, sizeof(*u->m));
	if (!u->m)
		goto nomem;
	while (p < end && u->n < MAX_MAPPINGS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		unsigned long long ino;

		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		if (!parse_maps_line(line, &u->m[u->n], &ino))
			continue;
		/* only the files that are still the ones mapped go to libdw */
		if (same_file(u->m[u->n].path, ino)) {
			memcpy(usable + ulen, line, n);
			ulen += n;
			usable[ulen++] = '\n';
		}
		u->n++;
	}
	free(line);
	line = NULL;
	/* local files only: never ask a debuginfod server */
	unsetenv("DEBUGINFOD_URLS");
	u->dwfl = dwfl_begin(&callbacks);
	if (!u->dwfl)
		goto nomem;
	f = ulen ? fmemopen(usable, ulen, "r") : NULL;
	dwfl_report_begin(u->dwfl);
	if (f) {
		dwfl_linux_proc_maps_report(u->dwfl, f);
		fclose(f);
	}
	dwfl_report_end(u->dwfl, NULL, NULL);
	/* the architecture comes from the first file that libdw can read */
	u->attached = dwfl_attach_state(u->dwfl, NULL, (pid_t)pid, &thread_callbacks, u);
	free(usable);
	return u;
nomem:
	free(line);
	free(usable);
	if (u)
		free(u->m);
	free(u);
	return NULL;
}

void bwr_unwinder_free(struct bwr_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u->m);
	free(u);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * The source line of @at in @mod, looked for in each compile unit's own
 * address ranges: @src and @lineno are set only where one is found.
 * dwfl_module_getsrc() finds the unit through the .debug_aranges index
 * alone in Debian 12's libdw (0.188), and clang writes no such index: a
 * program built with clang has lines all the same.
 */
static void line_by_units(Dwfl_Module *mod, Dwarf_Addr at, const char **src, int *lineno)
{
	Dwarf_Addr bias = 0;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	Dwarf_Line *l;
	const char *file;
	int n;

	if (!dw)
		return;
	while (dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
		if (dwarf_haspc(&cudie, at - bias) != 1)
			continue;
		l = dwarf_getsrc_die(&cudie, at - bias);
		file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
		if (file && dwarf_lineno(l, &n) == 0) {
			*src = file;
			*lineno = n;
		}
		return;
	}
}

/* What is known of pc: its mapping, and from libdw its symbol and source line */
static void describe(struct bwr_unwinder *u, uint64_t pc, bool activation, struct bwr_frame *f)
{
	/* a return address is after the call: look the call itself up */
	uint64_t at = activation || !pc ? pc : pc - 1;
	Dwfl_Module *mod;

	memset(f, 0, sizeof(*f));
	f->addr = pc;
	for (size_t i = 0; i < u->n; i++) {
		if (at >= u->m[i].start && at < u->m[i].end) {
			snprintf(f->object, sizeof(f->object), "%s", u->m[i].path);
			f->obj_offset = pc - u->m[i].start + u->m[i].pgoff;
			break;
		}
	}
	mod = u->dwfl ? dwfl_addrmodule(u->dwfl, at) : NULL;
	if (!mod)
		return;
	{
		GElf_Off off = 0;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		/*
		 * Only a function that covers the address names it: a symbol
		 * without a size (or only the nearest one below) could be wrong.
		 */
		if (name && (type == STT_FUNC || type == STT_GNU_IFUNC) && sym.st_size &&
		    off < sym.st_size) {
			/* without its symbol version (__libc_start_main@@GLIBC_2.34) */
			int n = (int)strcspn(name, "@");

			snprintf(f->symbol, sizeof(f->symbol), "%.*s", n, name);
			f->sym_offset = off + (pc - at);
		}
	}
	{
		Dwfl_Line *l = dwfl_module_getsrc(mod, at);
		int lineno = 0;
		const char *src = l ? dwfl_lineinfo(l, NULL, &lineno, NULL, NULL, NULL) : NULL;

		if (!src)
			line_by_units(mod, at, &src, &lineno);
		if (src && lineno > 0) {
			snprintf(f->file, sizeof(f->file), "%s", src);
			f->line = (unsigned)lineno;
		}
	}
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct bwr_unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (u->nf == u->max)
		return DWARF_CB_ABORT;
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* the first frame is where the syscall was made: an exact address */
	describe(u, pc, activation || u->nf == 0, &u->f[u->nf]);
	u->nf++;
	return DWARF_CB_OK;
}

size_t bwr_unwind(struct bwr_unwinder *u, const struct bwr_stack *s, struct bwr_frame *f,
		  size_t max, char *why, size_t why_size)
{
	char dummy[1];
	int r;

	if (!why) {
		why = dummy;
		why_size = sizeof(dummy);
	}
	if (!max) {
		snprintf(why, why_size, "no room");
		return 0;
	}
	u->cur = s;
	u->beyond = false;
	u->f = f;
	u->nf = 0;
	u->max = max;
	if (!u->attached) {
		/* no file to read: the registers alone give the first frame */
		describe(u, s->regs[16], true, &f[0]);
		snprintf(why, why_size, "no mapped file could be read");
		return 1;
	}
	r = dwfl_getthread_frames(u->dwfl, (pid_t)u->pid, frame_cb, u);
	if (u->nf == 0) {
		describe(u, s->regs[16], true, &f[0]);
		u->nf = 1;
	}
	/* libdw ends the walk as at the outermost frame when it cannot read memory */
	if (u->beyond)
		snprintf(why, why_size, "the captured stack ends");
	else if (r == 0)
		snprintf(why, why_size, "the outermost frame");
	else if (u->nf == max)
		snprintf(why, why_size, "more than %zu frames", max);
	else
		snprintf(why, why_size, "%s", dwfl_errmsg(-1));
	return u->nf;
}

const char *bwr_frame_text(const struct bwr_frame *f, char *buf, size_t size)
{
	int n = snprintf(buf, size, "0x%016" PRIx64, f->addr);

	if (n < 0 || (size_t)n >= size)
		return buf;
	if (f->symbol[0])
		n += snprintf(buf + n, size - (size_t)n, " %s+0x%" PRIx64 " (%s)", f->symbol,
			      f->sym_offset, f->object[0] ? base_name(f->object) : "?");
	else if (f->object[0])
		n += snprintf(buf + n, size - (size_t)n, " (%s+0x%" PRIx64 ")",
			      base_name(f->object), f->obj_offset);
	if ((size_t)n < size && f->file[0])
		snprintf(buf + n, size - (size_t)n, " %s:%u", base_name(f->file), f->line);
	return buf;
}

// SPDX-License-Identifier: GPL-2.0
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *bwr_proc_root(void)
{
	const char *r = getenv("BRKWATCH_PROC");

	return r && *r ? r : "/proc/" BRKWATCH_PROC_DIR;
}

int bwr_read_file(const char *path, char **bufp, size_t *lenp)
{
	size_t cap = 16384, len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > BWR_MAX_INPUT)
				break;	/* the parser reports "too big" */
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
}

int bwr_check_module(char *msg, size_t size)
{
	struct stat sb;
	const char *root = bwr_proc_root();

	if (stat(root, &sb) == 0 && S_ISDIR(sb.st_mode))
		return BWR_EXIT_OK;
	if (errno == EACCES || errno == EPERM) {
		snprintf(msg, size, "%s: permission denied", root);
		return BWR_EXIT_PERM;
	}
	snprintf(msg, size,
		 "%s does not exist: the brkwatch module is not loaded "
		 "(load it with: sudo insmod module/brkwatch.ko)", root);
	return BWR_EXIT_NOMODULE;
}

/* An error opening or reading a proc file (-errno) as an exit code and message. */
static int open_error(const char *path, int r, uint32_t pid, char *msg, size_t size)
{
	if (r == -EACCES || r == -EPERM) {
		snprintf(msg, size,
			 "permission denied reading %s: only the process's owner and "
			 "root can read its history (try sudo)", path);
		return BWR_EXIT_PERM;
	}
	if ((r == -ENOENT || r == -ESRCH) && pid) {
		snprintf(msg, size,
			 "no history for PID %u: no such process, or it has made no brk() "
			 "call since the module was loaded, or it exited and was forgotten", pid);
		return BWR_EXIT_NOHISTORY;
	}
	if (r == -ENOENT) {
		snprintf(msg, size, "%s does not exist: is the loaded module a brkwatch module?", path);
		return BWR_EXIT_NOMODULE;
	}
	snprintf(msg, size, "%s: %s", path, strerror(-r));
	return BWR_EXIT_ERROR;
}

/* Read a proc file, mapping errno to an exit code and message. */
static int load(const char *path, uint32_t pid, char **buf, size_t *len,
		char *msg, size_t size)
{
	int r = bwr_check_module(msg, size);

	if (r)
		return r;
	r = bwr_read_file(path, buf, len);
	if (r == 0)
		return BWR_EXIT_OK;
	return open_error(path, r, pid, msg, size);
}

static int parse_error(const char *path, enum bwr_parse_result r,
		       const struct bwr_error *e, char *msg, size_t size)
{
	if (r == BWR_E_NOMEM) {
		snprintf(msg, size, "%s: out of memory", path);
		return BWR_EXIT_ERROR;
	}
	if (e->line)
		snprintf(msg, size, "%s line %u: %s%s", path, e->line, e->msg,
			 r == BWR_E_VERSION ?
			 " (use a brkwatch built with the loaded module)" : "");
	else
		snprintf(msg, size, "%s: %s", path, e->msg);
	return BWR_EXIT_DATA;
}

/*
 * Files are named by the pids of the initial PID namespace; their "# pid"
 * line gives the pid the reader knows the process by, in its own namespace
 * (module/ABI). In another namespace (a container) the two differ, and a
 * process's file is found by that line: the names of such files are kept
 * here, by the pid their line gives. Where several files give one pid (a
 * pid reused in the container while the first history is kept), the one
 * with the highest name, the newest but where pids wrapped, is kept.
 */
struct alias {
	uint32_t pid;
	uint32_t name;
};

static struct alias *aliases;
static size_t naliases, aliases_cap;

static uint32_t alias_name(uint32_t pid)
{
	size_t i;

	for (i = 0; i < naliases; i++)
		if (aliases[i].pid == pid)
			return aliases[i].name;
	return pid;
}

static int alias_add(uint32_t pid, uint32_t name)
{
	size_t i;

	for (i = 0; i < naliases; i++)
		if (aliases[i].pid == pid) {
			if (name > aliases[i].name)
				aliases[i].name = name;
			return 0;
		}
	if (naliases == aliases_cap) {
		size_t cap = aliases_cap ? aliases_cap * 2 : 16;
		struct alias *na = realloc(aliases, cap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		aliases = na;
		aliases_cap = cap;
	}
	aliases[naliases++] = (struct alias){ pid, name };
	return 0;
}

/* The pid the "# pid" line of an open history gives: 0, or -errno. */
static int fd_header_pid(int fd, uint32_t *pid)
{
	char buf[128], *line;
	unsigned long v;
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	line = strstr(buf, "\n# pid ");
	if (!line || sscanf(line, "\n# pid %lu", &v) != 1 || v > UINT32_MAX)
		return -EBADMSG;
	*pid = (uint32_t)v;
	return 0;
}

/*
 * The "# pid" line of the file of that name: 0, or -errno (-EBADMSG where
 * it cannot be read apart from the file's reading proper: not a regular
 * file, as a test's pipe, which must not be opened twice).
 */
static int header_pid(const char *root, uint32_t name, uint32_t *pid)
{
	char path[4096];
	struct stat sb;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%u", root, name);
	if (stat(path, &sb))
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EBADMSG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fd_header_pid(fd, pid);
	close(fd);
	return r;
}

/* The events of f, after checking that the file is the PID's (its header complete by then) */
static enum bwr_parse_result file_event(void *ctx, const struct bwr_history *h,
					const struct bwr_event *e)
{
	struct bwr_file *f = ctx;

	if (!f->pid_checked) {
		if (h->pid != f->pid)
			return BWR_E_FORMAT;	/* worded by bwr_file_read() */
		f->pid_checked = true;
	}
	return f->fn ? f->fn(f->ctx, h, e) : BWR_OK;
}

int bwr_file_open(struct bwr_file *f, uint32_t pid, bwr_event_fn fn, void *ctx,
		  char *msg, size_t size)
{
	int r = bwr_check_module(msg, size);

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (r)
		return r;
	r = bwr_history_path(pid, f->path, sizeof(f->path), &f->fd);
	if (r)
		return open_error(f->path, r, pid, msg, size);
	f->p = malloc(sizeof(*f->p));
	if (!f->p) {
		close(f->fd);
		f->fd = -1;
		snprintf(msg, size, "out of memory");
		return BWR_EXIT_ERROR;
	}
	f->pid = pid;
	f->fn = fn;
	f->ctx = ctx;
	bwr_parser_init(f->p, &f->h);
	return BWR_EXIT_OK;
}

static int file_feed(struct bwr_file *f, const char *buf, size_t n, bool eof, char *msg, size_t size)
{
	struct bwr_error e;
	enum bwr_parse_result pr = bwr_parser_feed(f->p, &f->h, buf, n, eof, file_event, f, &e);

	if (pr == BWR_OK && bwr_parser_header_done(f->p) && !f->pid_checked) {
		if (f->h.pid != f->pid)
			pr = BWR_E_FORMAT;
		else
			f->pid_checked = true;
	}
	if (pr == BWR_OK || pr == BWR_STOP)
		return pr == BWR_STOP ? -1 : BWR_EXIT_OK;
	if (bwr_parser_header_done(f->p) && f->h.pid != f->pid) {
		snprintf(msg, size, "%s line 2: the history says '# pid %u': not the file of PID %u",
			 f->path, f->h.pid, f->pid);
		return BWR_EXIT_DATA;
	}
	return parse_error(f->path, pr, &e, msg, size);
}

int bwr_file_read(struct bwr_file *f, bool final, char *msg, size_t size)
{
	static char buf[65536];

	for (;;) {
		ssize_t n = read(f->fd, buf, sizeof(buf));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, size, "%s: %s", f->path, strerror(errno));
			return BWR_EXIT_ERROR;
		}
		if (n == 0)
			break;
		r = file_feed(f, buf, (size_t)n, false, msg, size);
		if (r)
			return r < 0 ? BWR_EXIT_OK : r;
	}
	if (final) {
		int r = file_feed(f, NULL, 0, true, msg, size);

		return r < 0 ? BWR_EXIT_OK : r;
	}
	/* at the end of what the file holds now: the last call cannot wait for its next line */
	if (bwr_parser_header_done(f->p)) {
		enum bwr_parse_result pr = bwr_parser_flush(f->p, &f->h, file_event, f);

		if (pr == BWR_E_NOMEM) {
			snprintf(msg, size, "%s: out of memory", f->path);
			return BWR_EXIT_ERROR;
		}
	}
	return BWR_EXIT_OK;
}

void bwr_file_close(struct bwr_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->p);
	f->fd = -1;
	f->p = NULL;
}

/* The header and totals of pid's history, read to its end or until fn stops it. */
static int load_with(uint32_t pid, struct bwr_history *h, bwr_event_fn fn, void *ctx,
		     char *msg, size_t size)
{
	struct bwr_file f;
	int r = bwr_file_open(&f, pid, fn, ctx, msg, size);

	memset(h, 0, sizeof(*h));
	if (!r)
		r = bwr_file_read(&f, true, msg, size);
	if (!r)
		*h = f.h;
	bwr_file_close(&f);
	return r;
}

int bwr_load_history(uint32_t pid, struct bwr_history *h, char *msg, size_t size)
{
	return load_with(pid, h, NULL, NULL, msg, size);
}

static enum bwr_parse_result stop_at_exec(void *ctx, const struct bwr_history *h,
					  const struct bwr_event *e)
{
	(void)h;
	if (!e->is_exec)
		return BWR_OK;
	*(bool *)ctx = true;
	return BWR_STOP;
}

int bwr_history_has_exec(uint32_t pid, bool *has, char *msg, size_t size)
{
	struct bwr_history h;

	*has = false;
	return load_with(pid, &h, stop_at_exec, has, msg, size);
}

static enum bwr_parse_result stop_at_once(void *ctx, const struct bwr_history *h,
					  const struct bwr_event *e)
{
	(void)ctx;
	(void)h;
	(void)e;
	return BWR_STOP;
}

int bwr_load_header(uint32_t pid, struct bwr_history *h, char *msg, size_t size)
{
	return load_with(pid, h, stop_at_once, NULL, msg, size);
}

int bwr_load_status(struct bwr_status *st, char *msg, size_t size)
{
	char path[4096];
	struct bwr_error e;
	enum bwr_parse_result pr;
	char *buf;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/status", bwr_proc_root());
	r = load(path, 0, &buf, &len, msg, size);
	if (r)
		return r;
	pr = bwr_parse_status(buf, len, st, &e);
	free(buf);
	return pr ? parse_error(path, pr, &e, msg, size) : BWR_EXIT_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The numbers in the root's file names, as they come. */
static int list_names(uint32_t **pids, size_t *n, char *msg, size_t size)
{
	const char *root = bwr_proc_root();
	size_t cap = 0;
	struct dirent *d;
	DIR *dir;
	int r = bwr_check_module(msg, size);

	*pids = NULL;
	*n = 0;
	if (r)
		return r;
	dir = opendir(root);
	if (!dir) {
		snprintf(msg, size, "%s: %s", root, strerror(errno));
		return errno == EACCES ? BWR_EXIT_PERM : BWR_EXIT_ERROR;
	}
	while ((d = readdir(dir))) {
		unsigned long v;
		char *end;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		errno = 0;
		v = strtoul(d->d_name, &end, 10);
		if (*end || errno || v > UINT32_MAX)
			continue;
		if (*n == cap) {
			uint32_t *np;

			cap = cap ? cap * 2 : 64;
			np = realloc(*pids, cap * sizeof(**pids));
			if (!np) {
				closedir(dir);
				snprintf(msg, size, "out of memory");
				return BWR_EXIT_ERROR;
			}
			*pids = np;
		}
		(*pids)[(*n)++] = (uint32_t)v;
	}
	closedir(dir);
	return BWR_EXIT_OK;
}

int bwr_list_pids(uint32_t **pids, size_t *n, char *msg, size_t size)
{
	const char *root = bwr_proc_root();
	size_t i, kept = 0;
	uint32_t pid;
	int r = list_names(pids, n, msg, size);

	if (r)
		return r;
	/*
	 * Each process under the pid its "# pid" line gives the reader. A
	 * file that does not exist for the reader (a process outside its PID
	 * namespace, or one forgotten since) is left out; one it may not read
	 * stays under its name.
	 */
	for (i = 0; i < *n; i++) {
		r = header_pid(root, (*pids)[i], &pid);
		if (r == -ENOENT || r == -ESRCH)
			continue;
		if (!r && pid != (*pids)[i]) {
			if (alias_add(pid, (*pids)[i])) {
				snprintf(msg, size, "out of memory");
				return BWR_EXIT_ERROR;
			}
			(*pids)[i] = pid;
		}
		(*pids)[kept++] = (*pids)[i];
	}
	*n = kept;
	if (*n)
		qsort(*pids, *n, sizeof(**pids), cmp_u32);
	/* pids reused in a container: one file each */
	for (i = kept = 0; i < *n; i++)
		if (!kept || (*pids)[kept - 1] != (*pids)[i])
			(*pids)[kept++] = (*pids)[i];
	*n = kept;
	return BWR_EXIT_OK;
}

/* Every file whose "# pid" line differs from its name, into aliases. */
static int scan_aliases(void)
{
	char msg[256];
	uint32_t *pids;
	size_t n;
	int r = bwr_list_pids(&pids, &n, msg, sizeof(msg));

	if (r)
		return -EIO;
	free(pids);
	return 0;
}

/* Opens root/name: *fdp, and what its "# pid" line says (0 if unread). */
static int open_named(uint32_t name, char *path, size_t size, int *fdp, uint32_t *said)
{
	int fd;

	snprintf(path, size, "%s/%u", bwr_proc_root(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* unreadable there (a pipe, a header cut short): the parser says what is wrong */
	if (fd_header_pid(fd, said))
		*said = 0;
	*fdp = fd;
	return 0;
}

int bwr_history_path(uint32_t pid, char *path, size_t size, int *fdp)
{
	uint32_t said, name;
	int fd, r;

	r = open_named(alias_name(pid), path, size, &fd, &said);
	if (!r && (!said || said == pid)) {
		*fdp = fd;
		return 0;
	}
	/* not there, or another process's: look the pid up by the files' lines */
	if ((r == -ENOENT || !r) && !scan_aliases() && (name = alias_name(pid)) != pid) {
		int fd2;

		if (!open_named(name, path, size, &fd2, &said)) {
			if (said == pid) {
				if (!r)
					close(fd);
				*fdp = fd2;
				return 0;
			}
			close(fd2);
		}
	}
	/* the file of that name, if any: its header says whose it is */
	snprintf(path, size, "%s/%u", bwr_proc_root(), pid);
	if (!r)
		*fdp = fd;
	return r;
}

char *bwr_read_maps(uint32_t pid, size_t *len)
{
	const char *env = getenv("BRKWATCH_PROC");
	char path[4096];
	char *buf;

	if (env && *env)
		snprintf(path, sizeof(path), "%s/%u.maps", env, pid);
	else
		snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	if (bwr_read_file(path, &buf, len))
		return NULL;
	return buf;
}

char *bwr_read_stack_maps(uint32_t pid, size_t *len, uint64_t *n_exec)
{
	struct bwr_history h;
	char msg[256], *maps;
	uint64_t before;

	for (int tries = 0; tries < 3; tries++) {
		/* maps first: no history is read again for a process gone */
		maps = bwr_read_maps(pid, len);
		if (!maps || bwr_load_history(pid, &h, msg, sizeof(msg)) || h.exited)
			break;
		before = h.n_exec;
		free(maps);
		maps = bwr_read_maps(pid, len);
		if (!maps || bwr_load_history(pid, &h, msg, sizeof(msg)))
			break;
		if (h.n_exec == before) {
			*n_exec = before;
			return maps;
		}
		free(maps);
		maps = NULL;
	}
	free(maps);
	return NULL;
}

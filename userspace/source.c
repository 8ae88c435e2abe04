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

int bwr_load_history(uint32_t pid, struct bwr_history *h, char *msg, size_t size)
{
	char path[4096];
	struct bwr_error e;
	enum bwr_parse_result pr;
	char *buf;
	size_t len;
	int r;

	memset(h, 0, sizeof(*h));
	snprintf(path, sizeof(path), "%s/%u", bwr_proc_root(), pid);
	r = load(path, pid, &buf, &len, msg, size);
	if (r)
		return r;
	pr = bwr_parse_history(buf, len, h, &e);
	free(buf);
	if (pr)
		return parse_error(path, pr, &e, msg, size);
	if (h->pid != pid) {
		snprintf(msg, size, "%s line 2: the history says '# pid %u': not the file of PID %u",
			 path, h->pid, pid);
		bwr_history_free(h);
		return BWR_EXIT_DATA;
	}
	return BWR_EXIT_OK;
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

int bwr_list_pids(uint32_t **pids, size_t *n, char *msg, size_t size)
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
	if (*n)
		qsort(*pids, *n, sizeof(**pids), cmp_u32);
	return BWR_EXIT_OK;
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

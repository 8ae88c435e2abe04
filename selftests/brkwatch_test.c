// SPDX-License-Identifier: GPL-2.0
/*
 * The brkwatch selftests' shared helpers, linked into each test program
 * (brkwatch_test.h says what each one does).
 *
 * Nothing here calls malloc() or stdio: a test that reads its own history
 * must not add calls to it while reading. Buffers are mmap()ed.
 */
/* first: it defines _GNU_SOURCE before any system header */
#include "brkwatch_test.h"
#include <sys/prctl.h>

long bwt_brk(unsigned long addr)
{
	return syscall(SYS_brk, addr);
}

void *bwt_zalloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bwt_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

void bwt_history_path(char *path, size_t size, int pid)
{
	char digits[16];
	size_t n = 0, len = strlen(BWT_PROC_DIR "/");

	do {
		digits[n++] = '0' + pid % 10;
		pid /= 10;
	} while (pid && n < sizeof(digits));
	memcpy(path, BWT_PROC_DIR "/", len);
	while (n && len < size - 1)
		path[len++] = digits[--n];
	path[len] = '\0';
}

ssize_t bwt_read_file(const char *path, char *buf, size_t size)
{
	ssize_t len = 0, n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0)
		len = -errno;
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

int bwt_parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

int bwt_parse_long(const char *s, long *v)
{
	unsigned long u;
	char *end;

	if (*s != '-') {
		if (bwt_parse_ulong(s, &u))
			return -1;
		*v = (long)u;
		return 0;
	}
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

int bwt_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

/*
 * ---- The history parser ----
 * The tests' own parser of /proc/brkwatch/<PID>, independent of the
 * reader's (userspace/procfile.c) on purpose: written apart from it, from
 * the format's description, so that a misreading of the format shared by
 * the module and the reader cannot pass through both unseen. It is
 * strict: header lines in their order, the column line
 * exactly BWT_COLUMNS, every body line complete.
 */

/* Splits line at spaces, in place; returns the number of words. */
static int bwt_split(char *line, char **word, int max)
{
	int n = 0;

	while (*line && n < max) {
		while (*line == ' ')
			*line++ = '\0';
		if (!*line)
			break;
		word[n++] = line;
		while (*line && *line != ' ')
			line++;
	}
	return *line ? -1 : n;
}

static int bwt_parse_call(char *line, struct bwt_event *e)
{
	char *w[14];

	if (bwt_split(line, w, 14) != 14)
		return -1;
	e->exec = false;
	if (bwt_parse_ulong(w[0], &e->seq) ||
	    bwt_parse_ulong(w[1], &e->time_ns) ||
	    bwt_parse_long(w[2], &e->ret) /* tid, reparsed below */ ||
	    bwt_copy(e->entry, sizeof(e->entry), w[3]) ||
	    bwt_parse_ulong(w[4], &e->request) ||
	    bwt_parse_ulong(w[5], &e->brk_before) ||
	    bwt_parse_ulong(w[6], &e->brk_after) ||
	    bwt_parse_ulong(w[7], &e->aligned_before) ||
	    bwt_parse_ulong(w[8], &e->aligned_after) ||
	    bwt_parse_long(w[9], &e->delta))
		return -1;
	e->tid = (int)e->ret;
	if (bwt_parse_long(w[10], &e->ret) ||
	    bwt_parse_ulong(w[11], &e->duration_ns) ||
	    bwt_copy(e->verdict, sizeof(e->verdict), w[12]) ||
	    bwt_copy(e->details, sizeof(e->details), w[13]))
		return -1;
	return 0;
}

/* "# exec time_ns=N tid=N comm=C start_brk=0x.. start_data=0x.. end_data=0x.." */
static int bwt_parse_exec(char *line, struct bwt_event *e)
{
	char *w[8];
	unsigned long tid;

	if (bwt_split(line, w, 8) != 8 || strcmp(w[0], "#") ||
	    strcmp(w[1], "exec") ||
	    strncmp(w[2], "time_ns=", 8) || strncmp(w[3], "tid=", 4) ||
	    strncmp(w[4], "comm=", 5) || strncmp(w[5], "start_brk=", 10) ||
	    strncmp(w[6], "start_data=", 11) || strncmp(w[7], "end_data=", 9))
		return -1;
	e->exec = true;
	if (bwt_parse_ulong(w[2] + 8, &e->time_ns) ||
	    bwt_parse_ulong(w[3] + 4, &tid) ||
	    bwt_copy(e->comm, sizeof(e->comm), w[4] + 5) ||
	    bwt_parse_ulong(w[5] + 10, &e->start_brk) ||
	    bwt_parse_ulong(w[6] + 11, &e->start_data) ||
	    bwt_parse_ulong(w[7] + 9, &e->end_data))
		return -1;
	e->tid = (int)tid;
	return 0;
}

static int bwt_parse_head(char *line, struct bwt_history *h)
{
	char *w[3];
	unsigned long v = 0;
	int n;

	/* more than three words: bwt_parse_history() compares it whole */
	if (!strncmp(line, "# columns ", 10))
		return 0;
	n = bwt_split(line, w, 3);
	if (n != 3 || strcmp(w[0], "#"))
		return -1;
	if (!strcmp(w[1], "comm"))
		return bwt_copy(h->comm, sizeof(h->comm), w[2]);
	if (!strcmp(w[1], "state"))
		return bwt_copy(h->state, sizeof(h->state), w[2]);
	if (bwt_parse_ulong(w[2], &v))
		return -1;
	if (!strcmp(w[1], "brkwatch"))
		h->version = (int)v;
	else if (!strcmp(w[1], "pid"))
		h->pid = (int)v;
	else if (!strcmp(w[1], "ppid"))
		h->ppid = (int)v;
	else if (!strcmp(w[1], "uid"))
		h->uid = (unsigned int)v;
	else if (!strcmp(w[1], "start_brk"))
		h->start_brk = v;
	else if (!strcmp(w[1], "start_data"))
		h->start_data = v;
	else if (!strcmp(w[1], "end_data"))
		h->end_data = v;
	else if (!strcmp(w[1], "brk"))
		h->brk = v;
	else if (!strcmp(w[1], "calls"))
		h->calls = v;
	else if (!strcmp(w[1], "dropped"))
		h->dropped = v;
	else
		return -1;
	return 0;
}

static int bwt_fail(struct bwt_history *h, int lineno, const char *why)
{
	char *p = h->error;
	char digits[12];
	int n = 0;

	do {
		digits[n++] = '0' + lineno % 10;
		lineno /= 10;
	} while (lineno && n < 11);
	memcpy(p, "line ", 5);
	p += 5;
	while (n)
		*p++ = digits[--n];
	*p++ = ':';
	*p++ = ' ';
	bwt_copy(p, sizeof(h->error) - (p - h->error), why);
	return -EBADMSG;
}

static int bwt_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* lowercase only */
}

/* "0x" and exactly 16 lowercase hex digits at s: 0 or -1. */
static int bwt_hex64(const char *s, unsigned long *v)
{
	int i, d;

	if (s[0] != '0' || s[1] != 'x')
		return -1;
	*v = 0;
	for (i = 0; i < 16; i++) {
		d = bwt_hexdigit(s[2 + i]);
		if (d < 0)
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Decimal digits at *s, moved past them: 0 or -1 if there are none. */
static int bwt_dec(const char **s, unsigned long *v)
{
	const char *p = *s;

	*v = 0;
	while (*p >= '0' && *p <= '9' && p - *s < 19)
		*v = *v * 10 + (unsigned long)(*p++ - '0');
	if (p == *s || (*p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	return 0;
}

static int bwt_stack_seq(const char *line, unsigned long *seq)
{
	const char *p = line + 12;

	if (strncmp(line, "# stack seq=", 12))
		return -1;
	return bwt_dec(&p, seq);
}

int bwt_parse_stack(const char *line, struct bwt_stack *st)
{
	const char *p = line + 12;
	unsigned long seq, v, bytes, i;
	int hi, lo;

	if (strncmp(line, "# stack seq=", 12) || bwt_dec(&p, &seq) || !seq ||
	    strncmp(p, " regs=", 6))
		return -1;
	p += 6;
	for (i = 0; i < BWT_STACK_REGS; i++) {
		if (bwt_hex64(p, &v))
			return -1;
		if (st)
			st->regs[i] = v;
		p += 18;
		if (*p++ != (i == BWT_STACK_REGS - 1 ? ' ' : ','))
			return -1;
	}
	if (strncmp(p, "bytes=", 6))
		return -1;
	p += 6;
	if (bwt_dec(&p, &bytes) || bytes > BWT_STACK_MAX ||
	    strncmp(p, " data=", 6))
		return -1;
	p += 6;
	for (i = 0; i < bytes; i++) {
		hi = bwt_hexdigit(p[2 * i]);
		lo = hi < 0 ? -1 : bwt_hexdigit(p[2 * i + 1]);
		if (lo < 0)
			return -1;
		if (st)
			st->data[i] = (unsigned char)(hi << 4 | lo);
	}
	if (p[2 * bytes] != '\0' && p[2 * bytes] != '\n')
		return -1;
	if (st) {
		st->seq = seq;
		st->bytes = bytes;
	}
	return 0;
}

int bwt_stack_of(const char *text, unsigned long seq, struct bwt_stack *st)
{
	const char *line = text;
	unsigned long s;

	while (*line) {
		if (!bwt_stack_seq(line, &s) && s == seq)
			return bwt_parse_stack(line, st) ? -EBADMSG : 0;
		line = strchr(line, '\n');
		if (!line)
			break;
		line++;
	}
	return -ENOENT;
}

int bwt_parse_history(char *text, struct bwt_history *h)
{
	static const char head_order[][12] = {
		"brkwatch", "pid", "ppid", "comm", "state", "uid", "start_brk",
		"start_data", "end_data", "brk", "calls", "dropped", "columns",
	};
	char *line = text, *nl;
	int lineno = 0;

	memset(h, 0, sizeof(*h) - sizeof(h->ev));
	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			return bwt_fail(h, lineno + 1, "no final newline");
		*nl = '\0';
		lineno++;
		if (lineno <= 13) {
			size_t klen = strlen(head_order[lineno - 1]);

			if (strncmp(line, "# ", 2) ||
			    strncmp(line + 2, head_order[lineno - 1], klen) ||
			    line[2 + klen] != ' ')
				return bwt_fail(h, lineno, "header out of order");
			if (lineno == 13 && strcmp(line + 10, BWT_COLUMNS))
				return bwt_fail(h, lineno, "unexpected columns");
			if (bwt_parse_head(line, h))
				return bwt_fail(h, lineno, "bad header line");
		} else {
			struct bwt_event *e = &h->ev[h->nevents];
			unsigned long seq;

			if (!strncmp(line, "# stack ", 8)) {
				/* right after its call, once */
				if (!h->nevents || e[-1].exec || e[-1].stack ||
				    bwt_parse_stack(line, NULL) ||
				    bwt_stack_seq(line, &seq) || seq != e[-1].seq)
					return bwt_fail(h, lineno, "bad stack line");
				e[-1].stack = true;
				h->nstacks++;
				line = nl + 1;
				continue;
			}
			if (h->nevents == BWT_MAX_EVENTS)
				return bwt_fail(h, lineno, "too many lines");
			memset(e, 0, sizeof(*e));
			if (line[0] == '#' ? bwt_parse_exec(line, e) :
					     bwt_parse_call(line, e))
				return bwt_fail(h, lineno, "bad body line");
			h->nevents++;
			if (!e->exec)
				h->ncalls++;
		}
		line = nl + 1;
	}
	if (lineno < 13)
		return bwt_fail(h, lineno, "header incomplete");
	return 0;
}

/* ---- The rest, in the order of brkwatch_test.h ---- */

int bwt_history_read(int pid, struct bwt_history *h)
{
	char path[64];
	char *buf = bwt_zalloc(BWT_FILE_MAX);
	ssize_t len;
	int err;

	if (!buf)
		return -ENOMEM;
	bwt_history_path(path, sizeof(path), pid);
	len = bwt_read_file(path, buf, BWT_FILE_MAX);
	err = len < 0 ? (int)len : bwt_parse_history(buf, h);
	bwt_free(buf, BWT_FILE_MAX);
	return err;
}

struct bwt_event *bwt_last_call(struct bwt_history *h)
{
	int i = h->nevents;

	while (i--)
		if (!h->ev[i].exec)
			return &h->ev[i];
	return NULL;
}

bool bwt_module_loaded(void)
{
	return access(BWT_PROC_DIR "/status", R_OK) == 0;
}

int bwt_wait_noreap(int pid, int *status)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT))
		if (errno != EINTR)
			return -errno;
	*status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	return 0;
}

int bwt_run_child(int (*fn)(void *), void *arg, int *status)
{
	pid_t pid = fork();
	int err;

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(fn(arg));
	err = bwt_wait_noreap(pid, status);
	return err ? err : pid;
}

void bwt_reap(int pid)
{
	waitpid(pid, NULL, 0);
}

void *bwt_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bwt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int bwt_history_wait(int pid, struct bwt_history *h, long timeout_ms)
{
	int err;

	while ((err = bwt_history_read(pid, h)) == -ENOENT && timeout_ms > 0) {
		bwt_sleep_ms(10);
		timeout_ms -= 10;
	}
	return err;
}

int bwt_stat_heap(const char *path, unsigned long *start_data,
		  unsigned long *end_data, unsigned long *start_brk)
{
	char buf[2048], *p, *end;
	unsigned long v[3];
	ssize_t len = bwt_read_file(path, buf, sizeof(buf));
	int field;

	if (len < 0)
		return (int)len;
	p = strrchr(buf, ')');	/* the comm may hold spaces and parentheses */
	if (!p)
		return -EBADMSG;
	p++;
	for (field = 3; field <= 47; field++) {
		while (*p == ' ')
			p++;
		errno = 0;
		if (field >= 45) {
			v[field - 45] = strtoul(p, &end, 10);
			if (errno || end == p)
				return -EBADMSG;
		} else {
			end = p;
			while (*end && *end != ' ')
				end++;
			if (end == p)
				return -EBADMSG;
		}
		p = end;
	}
	*start_data = v[0];
	*end_data = v[1];
	*start_brk = v[2];
	return 0;
}

long bwt_status_bytes(const char *key)
{
	char buf[4096], *p;
	size_t klen = strlen(key);
	ssize_t len = bwt_read_file("/proc/self/status", buf, sizeof(buf));

	if (len < 0)
		return len;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return (long)strtoul(p + klen + 1, NULL, 10) * 1024;
	return -ENOENT;
}

unsigned long bwt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

size_t bwt_utoa(char *buf, unsigned long v)
{
	char digits[24];
	size_t n = 0, len = 0;

	do {
		digits[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return len;
}

bool bwt_history_wait_gone(int pid, unsigned int ms)
{
	char path[64];

	bwt_history_path(path, sizeof(path), pid);
	for (;;) {
		if (access(path, F_OK) && errno == ENOENT)
			return true;
		if (!ms)
			return false;
		bwt_sleep_ms(ms < 10 ? ms : 10);
		ms -= ms < 10 ? ms : 10;
	}
}

int bwt_status_text(const char *key, char *value, size_t size)
{
	char buf[4096], *line = buf, *nl;
	size_t klen = strlen(key);
	ssize_t len = bwt_read_file(BWT_PROC_DIR "/status", buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	while (*line) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, key, klen) && line[klen] == ':' &&
		    line[klen + 1] == ' ')
			return bwt_copy(value, size, line + klen + 2) ? -ENOSPC : 0;
		if (!nl)
			break;
		line = nl + 1;
	}
	return -ENOENT;
}

int bwt_status_get(const char *key, unsigned long *num)
{
	char value[64];
	int err = bwt_status_text(key, value, sizeof(value));

	if (err)
		return err;
	return bwt_parse_ulong(value, num) ? -EBADMSG : 0;
}

int bwt_control_write(const void *buf, size_t len)
{
	int fd = open(BWT_PROC_DIR "/control", O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EMSGSIZE;
	close(fd);
	return err;
}

int bwt_control(const char *cmd)
{
	return bwt_control_write(cmd, strlen(cmd));
}

int bwt_forget(int pid)
{
	char cmd[32] = "forget ";

	bwt_utoa(cmd + 7, (unsigned long)pid);
	return bwt_control(cmd);
}

/*
 * The brkwatch.ko built for the running kernel: $BRKWATCH_KO, else
 * <checkout>/.cache/build/<release>/brkwatch.ko (bwt_checkout_path()).
 */
static int bwt_module_path(char *path, size_t size)
{
	const char *env = getenv("BRKWATCH_KO");
	static const char mid[] = ".cache/build/", tail[] = "/brkwatch.ko";
	char rel[sizeof(mid) + sizeof(((struct utsname *)0)->release) +
		 sizeof(tail)];
	struct utsname u;
	size_t len;

	if (env && *env)
		return bwt_copy(path, size, env) ? -ENAMETOOLONG : 0;
	if (uname(&u))
		return -errno;
	len = strnlen(u.release, sizeof(u.release));
	memcpy(rel, mid, sizeof(mid) - 1);
	memcpy(rel + sizeof(mid) - 1, u.release, len);
	memcpy(rel + sizeof(mid) - 1 + len, tail, sizeof(tail));
	return bwt_checkout_path(rel, path, size);
}

int bwt_module_unload(unsigned int ms)
{
	for (;;) {
		if (!syscall(SYS_delete_module, BWT_MODULE_NAME, O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return 0;
		if ((errno != EAGAIN && errno != EBUSY) || !ms)
			return -errno;
		bwt_sleep_ms(ms < 20 ? ms : 20);
		ms -= ms < 20 ? ms : 20;
	}
}

int bwt_module_load(const char *params)
{
	char path[4096];
	int fd, err = bwt_module_path(path, sizeof(path));

	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return err;
}

int bwt_module_reload(const char *params)
{
	int err = bwt_module_unload(5000);

	return err ? err : bwt_module_load(params);
}

int bwt_module_load_again(void)
{
	if (geteuid() != 0 || bwt_module_loaded())
		return 0;
	return bwt_module_load("");
}

unsigned long bwt_tainted(void)
{
	char buf[32];
	unsigned long v = 0;

	if (bwt_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		bwt_parse_ulong(buf, &v);
	}
	return v;
}

bool bwt_kernel_before_6_1(void)
{
	unsigned long major, minor;
	struct utsname u;
	char *end;

	if (uname(&u))
		return false;
	major = strtoul(u.release, &end, 10);
	if (*end != '.')
		return false;
	minor = strtoul(end + 1, NULL, 10);
	return major < 6 || (major == 6 && minor < 1);
}

void bwt_die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

void bwt_looper(unsigned long grow, unsigned long back, unsigned long *count)
{
	unsigned long cur = bwt_brk(0);

	bwt_die_with_parent();
	for (;;) {
		bwt_brk(cur + grow);
		bwt_brk(cur + back);
		bwt_brk(0);
		if (count)
			(*count)++;
	}
}

void bwt_kill_wait(const pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

int bwt_set_last_pid(int pid)
{
	char num[24];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	size_t len = bwt_utoa(num, (unsigned long)pid);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, num, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

int bwt_checkout_path(const char *rel, char *path, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", path, size - 1);
	size_t rlen = strlen(rel);
	int up;

	if (len < 0)
		return -errno;
	path[len] = '\0';
	for (up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');

		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
	len = strlen(path);
	if ((size_t)len + 1 + rlen + 1 > size)
		return -ENAMETOOLONG;
	path[len] = '/';
	memcpy(path + len + 1, rel, rlen + 1);
	return 0;
}

/* Reads a whole file descriptor from offset 0 into a new mmap()ed buffer. */
static char *bwt_fd_slurp(int fd, size_t *lenp)
{
	char *buf = bwt_zalloc(BWT_CAPTURE_MAX);
	size_t len = 0;
	ssize_t n;

	*lenp = 0;
	if (!buf)
		return NULL;
	while (len < BWT_CAPTURE_MAX - 1 &&
	       (n = pread(fd, buf + len, BWT_CAPTURE_MAX - 1 - len, len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			bwt_free(buf, BWT_CAPTURE_MAX);
			return NULL;
		}
		len += n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int bwt_spawn(char *const argv[], int (*pre)(void *), void *arg,
	      struct bwt_output *o)
{
	int ofd, efd, nfd, err = 0, status;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	ofd = memfd_create("bwt_stdout", MFD_CLOEXEC);
	efd = memfd_create("bwt_stderr", MFD_CLOEXEC);
	if (ofd < 0 || efd < 0) {
		err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (!pid) {
		nfd = open("/dev/null", O_RDONLY);
		if (nfd < 0 || dup2(nfd, 0) < 0 || dup2(ofd, 1) < 0 ||
		    dup2(efd, 2) < 0)
			_exit(125);
		if (pre && pre(arg))
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			err = -errno;
			goto out;
		}
	o->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	o->out = bwt_fd_slurp(ofd, &o->out_len);
	o->err = bwt_fd_slurp(efd, &o->err_len);
	if (!o->out || !o->err)
		err = -ENOMEM;
out:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	return err;
}

void bwt_output_free(struct bwt_output *o)
{
	bwt_free(o->out, BWT_CAPTURE_MAX);
	bwt_free(o->err, BWT_CAPTURE_MAX);
	memset(o, 0, sizeof(*o));
}

int bwt_write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		buf += n;
		len -= n;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}

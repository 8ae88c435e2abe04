// SPDX-License-Identifier: GPL-2.0
/*
 * brk_proc_test: the file /proc/brkwatch/<PID> itself.
 *
 * - A child makes a scripted series of brk() calls, one of each verdict it
 *   can provoke (query, grow, same-page, shrink, below-min, rlimit-data,
 *   overlap) and then many grows and shrinks, noting what each returned and
 *   when; it then reads its own history. Every header line and every column
 *   of every call line must be what it did.
 * - The same file read with 1-byte reads, in odd-sized pieces and from
 *   seeked offsets gives the same bytes as one big read.
 * - Who may read: an unprivileged process cannot open root's history
 *   (EACCES) and can open its own; root can open both.
 * - What status says procfs allocates for each file (file_bytes) and what
 *   the history's reference to its process's pid keeps (pid_bytes), both
 *   counted in memory_bytes, are the objects of the proc_dir_entry and pid
 *   caches, as the slab allocator's sysfs files give them.
 *
 * The children never call malloc() or stdio, so their histories hold
 * exactly the calls they made.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define P		BWT_PAGE
#define PA(x)		BWT_PAGE_ALIGN(x)
#define MAX_SCRIPT	256
#define LOOP_CALLS	90	/* enough lines to span several read pages */
#define TEXT_MAX	(1 << 20)

#define NOBODY_UID	65534
#define NOBODY_GID	65534

/* What the child did, in order: one entry per brk() call. */
struct script_call {
	unsigned long request;
	unsigned long before;	/* the break before the call */
	long ret;
	unsigned long t0, t1;	/* CLOCK_MONOTONIC around the call */
	char verdict[24];
	char details[160];
};

struct format_run {
	int ncalls;
	struct script_call c[MAX_SCRIPT];
	int tid;
	unsigned long start_data, end_data, start_brk;
	bool overlap_done;	/* the mapping above the heap could be placed */
	int step_failed;	/* which step could not be set up, or 0 */
	ssize_t len;		/* of text, or -errno of the read */
	char text[TEXT_MAX];	/* the child's own read of its history */
};

static void put_hex(char *p, unsigned long v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	memcpy(p, "0x", 2);
	for (i = 0; i < 16; i++)
		p[2 + i] = hex[(v >> (60 - 4 * i)) & 0xf];
	p[18] = '\0';
}

/* Appends s to dst (size bytes), stdio-free. */
static void cat(char *dst, size_t size, const char *s)
{
	size_t len = strlen(dst), n = strlen(s);

	if (len + n < size)
		memcpy(dst + len, s, n + 1);
}

static unsigned long cur_brk;

/* One call, noted; the verdict and details the history must show. */
static long do_call(struct format_run *r, unsigned long request,
		    const char *verdict, const char *details)
{
	struct script_call *c = &r->c[r->ncalls++];

	c->request = request;
	c->before = cur_brk;
	c->t0 = bwt_now_ns();
	c->ret = bwt_brk(request);
	c->t1 = bwt_now_ns();
	bwt_copy(c->verdict, sizeof(c->verdict), verdict);
	bwt_copy(c->details, sizeof(c->details), details ? details : "-");
	if (c->ret > 0)
		cur_brk = c->ret;
	return c->ret;
}

static int format_child(void *arg)
{
	struct format_run *r = arg;
	struct rlimit saved, low;
	unsigned long base, req, above, size;
	char details[160], num[24], hex[20], path[64];
	int fd, i;
	ssize_t n;

	r->tid = (int)syscall(SYS_gettid);
	if (bwt_stat_heap("/proc/self/stat", &r->start_data, &r->end_data, &r->start_brk))
		return r->step_failed = 1;

	/* brk(0) asks for the break */
	cur_brk = 0;
	cur_brk = do_call(r, 0, "query", NULL);
	r->c[0].before = cur_brk;
	base = PA(cur_brk);

	do_call(r, base + 3 * P + 100, "grow", NULL);
	do_call(r, base + 3 * P + 2000, "same-page", NULL);
	do_call(r, base + P + 50, "shrink", NULL);
	do_call(r, 1, "below-min", NULL);

	/* RLIMIT_DATA one page above what the heap and data use now */
	if (getrlimit(RLIMIT_DATA, &saved))
		return r->step_failed = 2;
	size = (cur_brk - r->start_brk) + (r->end_data - r->start_data);
	low = saved;
	low.rlim_cur = size + P;
	if (setrlimit(RLIMIT_DATA, &low))
		return r->step_failed = 3;
	req = cur_brk + 4 * P;
	details[0] = '\0';
	bwt_utoa(num, low.rlim_cur);
	cat(details, sizeof(details), "limit=");
	cat(details, sizeof(details), num);
	bwt_utoa(num, (req - r->start_brk) + (r->end_data - r->start_data));
	cat(details, sizeof(details), ",size=");
	cat(details, sizeof(details), num);
	do_call(r, req, "rlimit-data", details);
	if (setrlimit(RLIMIT_DATA, &saved))
		return r->step_failed = 4;

	/* a mapping two pages above the heap: growing into it overlaps */
	above = PA(cur_brk) + 2 * P;
	if (mmap((void *)above, P, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
	    (void *)above) {
		details[0] = '\0';
		put_hex(hex, above);
		cat(details, sizeof(details), "next_start=");
		cat(details, sizeof(details), hex);
		put_hex(hex, above + P);
		cat(details, sizeof(details), ",next_end=");
		cat(details, sizeof(details), hex);
		cat(details, sizeof(details), ",next_kind=anon,gap_only=0");
		do_call(r, above + 100, "overlap", details);
		munmap((void *)above, P);
		r->overlap_done = true;
	}

	/* many more lines: alternately up three pages and down again */
	base = PA(cur_brk);
	for (i = 0; i < LOOP_CALLS; i++)
		do_call(r, i % 2 ? base + P + 8 * i : base + 4 * P + 8 * i,
			i % 2 ? "shrink" : "grow", NULL);

	/* and now its own history, straight after the last call */
	bwt_history_path(path, sizeof(path), getpid());
	for (i = 0; i < 300; i++) {	/* the module's worker makes the file */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		bwt_sleep_ms(10);
	}
	if (fd < 0) {
		r->len = -errno;
		return 0;
	}
	r->len = 0;
	while ((n = read(fd, r->text + r->len, TEXT_MAX - 1 - r->len)) > 0)
		r->len += n;
	if (n < 0)
		r->len = -errno;
	else
		r->text[r->len] = '\0';
	close(fd);
	return 0;
}

/* Runs format_child, leaves it a zombie; its pid. */
static int run_format_child(struct __test_metadata *_metadata,
			    struct format_run *r)
{
	int status = -1, pid;

	pid = bwt_run_child(format_child, r, &status);
	ASSERT_LT(0, pid) TH_LOG("fork: %s", strerror(-pid));
	ASSERT_EQ(0, status) TH_LOG("the child exited with %d", status);
	ASSERT_EQ(0, r->step_failed)
		TH_LOG("the child could not set up step %d", r->step_failed);
	return pid;
}

TEST(own_history_shows_every_column_of_every_call)
{
	struct format_run *r = bwt_shared_alloc(sizeof(*r));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	char comm[64];
	ssize_t clen;
	int pid, i, err;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, h);
	pid = run_format_child(_metadata, r);
	if (!r->overlap_done)
		TH_LOG("note: no room above the heap for the overlap step");

	ASSERT_LE(0, r->len) {
		TH_LOG("the child could not read its own history: %s",
		       strerror((int)-r->len));
	}
	err = bwt_parse_history(r->text, h);
	ASSERT_EQ(0, err) TH_LOG("its history does not parse: %s", h->error);

	/* the header */
	clen = bwt_read_file("/proc/self/comm", comm, sizeof(comm));
	ASSERT_LT(0, clen);
	comm[clen - 1] = '\0';
	EXPECT_EQ(2, h->version);
	EXPECT_EQ(pid, h->pid);
	EXPECT_EQ(getpid(), h->ppid) TH_LOG("ppid is not the test's pid");
	EXPECT_STREQ(comm, h->comm);
	EXPECT_STREQ("running", h->state)
		TH_LOG("the child read its history while running");
	EXPECT_EQ(getuid(), h->uid);
	EXPECT_EQ(r->start_brk, h->start_brk)
		TH_LOG("start_brk %#lx, /proc/self/stat says %#lx",
		       h->start_brk, r->start_brk);
	EXPECT_EQ(r->start_data, h->start_data);
	EXPECT_EQ(r->end_data, h->end_data);
	EXPECT_EQ((unsigned long)r->c[r->ncalls - 1].ret, h->brk)
		TH_LOG("'# brk' is not the break the last call left");
	EXPECT_EQ((unsigned long)r->ncalls, h->calls);
	EXPECT_EQ(0UL, h->dropped);
	ASSERT_EQ(r->ncalls, h->nevents)
		TH_LOG("%d lines for the %d calls the child made",
		       h->nevents, r->ncalls);

	/* every column of every call */
	for (i = 0; i < r->ncalls; i++) {
		const struct script_call *c = &r->c[i];
		const struct bwt_event *e = &h->ev[i];
		unsigned long after = c->ret < 0 ? c->before : (unsigned long)c->ret;

		ASSERT_FALSE(e->exec) TH_LOG("line %d is an exec marker", i + 1);
		EXPECT_EQ((unsigned long)i + 1, e->seq) TH_LOG("call %d", i + 1);
		EXPECT_LE(c->t0, e->time_ns)
			TH_LOG("call %d: time_ns %lu before the call began (%lu)",
			       i + 1, e->time_ns, c->t0);
		EXPECT_GE(c->t1, e->time_ns + e->duration_ns)
			TH_LOG("call %d: time_ns %lu + duration_ns %lu after it returned (%lu)",
			       i + 1, e->time_ns, e->duration_ns, c->t1);
		EXPECT_EQ(r->tid, e->tid) TH_LOG("call %d", i + 1);
		EXPECT_STREQ("x64", e->entry);
		EXPECT_EQ(c->request, e->request) TH_LOG("call %d", i + 1);
		EXPECT_EQ(c->before, e->brk_before)
			TH_LOG("call %d (%s): brk_before", i + 1, c->verdict);
		EXPECT_EQ(after, e->brk_after)
			TH_LOG("call %d (%s): brk_after", i + 1, c->verdict);
		EXPECT_EQ(PA(c->before), e->aligned_before) TH_LOG("call %d", i + 1);
		EXPECT_EQ(PA(after), e->aligned_after) TH_LOG("call %d", i + 1);
		EXPECT_EQ((long)(PA(after) - PA(c->before)), e->delta)
			TH_LOG("call %d (%s): delta", i + 1, c->verdict);
		EXPECT_EQ(c->ret, e->ret) TH_LOG("call %d (%s): ret", i + 1, c->verdict);
		EXPECT_STREQ(c->verdict, e->verdict)
			TH_LOG("call %d: request %#lx from break %#lx",
			       i + 1, c->request, c->before);
		EXPECT_STREQ(c->details, e->details)
			TH_LOG("call %d (%s): details", i + 1, c->verdict);
	}
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
	bwt_free(r, sizeof(*r));
}

/* Reads fd from its current offset to EOF in pieces of piece bytes. */
static ssize_t read_rest(int fd, char *buf, size_t size, size_t piece)
{
	ssize_t len = 0, n;

	for (;;) {
		size_t want = size - 1 - len < piece ? size - 1 - len : piece;

		if (!want)
			return -ENOSPC;
		n = read(fd, buf + len, want);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

/* Exactly n bytes unless at EOF: seq_file reads may come up short. */
static ssize_t read_n(int fd, char *buf, size_t n)
{
	size_t len = 0;
	ssize_t got;

	while (len < n) {
		got = read(fd, buf + len, n - len);
		if (got < 0)
			return -errno;
		if (!got)
			break;
		len += got;
	}
	return len;
}

static ssize_t read_at(const char *path, off_t off, char *buf, size_t size,
		       size_t piece)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -errno;
	if (lseek(fd, off, SEEK_SET) != off) {
		len = -errno;
		close(fd);
		return len;
	}
	len = read_rest(fd, buf, size, piece);
	close(fd);
	return len;
}

TEST(small_reads_and_seeks_give_the_bytes_of_one_read)
{
	static const size_t pieces[] = { 1, 2, 3, 7, 100, 4095, 4096, 4097 };
	struct format_run *r = bwt_shared_alloc(sizeof(*r));
	char *whole = bwt_zalloc(TEXT_MAX), *part = bwt_zalloc(TEXT_MAX);
	char path[64];
	ssize_t len, plen;
	off_t offs[16];
	int pid, fd, i, noffs = 0;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, whole);
	ASSERT_NE(NULL, part);
	pid = run_format_child(_metadata, r);
	ASSERT_LE(0, r->len) TH_LOG("the child could not read its own history: %s",
				    strerror((int)-r->len));
	bwt_history_path(path, sizeof(path), pid);

	/* the child is a zombie: its history does not change any more */
	len = read_at(path, 0, whole, TEXT_MAX, TEXT_MAX);
	ASSERT_LT(8192, len) {
		TH_LOG("%s: %zd bytes (%s), expected more than two read pages",
		       path, len, len < 0 ? strerror((int)-len) : "");
	}

	for (i = 0; i < (int)(sizeof(pieces) / sizeof(pieces[0])); i++) {
		plen = read_at(path, 0, part, TEXT_MAX, pieces[i]);
		ASSERT_EQ(len, plen)
			TH_LOG("reads of %zu bytes: %zd bytes, one read: %zd",
			       pieces[i], plen, len);
		ASSERT_EQ(0, memcmp(whole, part, len))
			TH_LOG("reads of %zu bytes differ from one read", pieces[i]);
	}

	offs[noffs++] = 1;
	offs[noffs++] = 13;
	offs[noffs++] = len / 3;
	offs[noffs++] = len / 2 + 1;
	offs[noffs++] = 4095;
	offs[noffs++] = 4096;
	offs[noffs++] = 4097;
	offs[noffs++] = len - 1;
	offs[noffs++] = len;
	for (i = 0; i < noffs; i++) {
		plen = read_at(path, offs[i], part, TEXT_MAX, i % 2 ? 1 : 512);
		ASSERT_EQ(len - offs[i], plen)
			TH_LOG("from offset %ld: %zd bytes, expected %zd",
			       (long)offs[i], plen, len - offs[i]);
		ASSERT_EQ(0, memcmp(whole + offs[i], part, plen))
			TH_LOG("from offset %ld: not the bytes of one read",
			       (long)offs[i]);
	}
	/* past the end: nothing */
	plen = read_at(path, len + 10, part, TEXT_MAX, 512);
	EXPECT_EQ(0, plen) TH_LOG("reading past the end gave %zd", plen);

	/* back and forth in one open file */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5000, read_n(fd, part, 5000));
	ASSERT_EQ(300, lseek(fd, 300, SEEK_SET));
	ASSERT_EQ(200, read_n(fd, part, 200));
	ASSERT_EQ(0, memcmp(whole + 300, part, 200)) TH_LOG("after seeking back to 300");
	ASSERT_EQ(600, lseek(fd, 100, SEEK_CUR));
	plen = read_rest(fd, part, TEXT_MAX, 333);
	ASSERT_EQ(len - 600, plen);
	ASSERT_EQ(0, memcmp(whole + 600, part, plen)) TH_LOG("after SEEK_CUR to 600");
	close(fd);

	/*
	 * The child's own read, while it ran, differs only in its state:
	 * the bytes are the same whoever reads them.
	 */
	{
		static const char running[] = "\n# state running\n";
		char *run = strstr(r->text, running);
		size_t head;

		ASSERT_NE(NULL, run) TH_LOG("the child's own read (%zd bytes): %.300s",
					    r->len, r->text);
		head = run - r->text;
		memcpy(part, r->text, head);
		memcpy(part + head, "\n# state exited\n", 16);
		memcpy(part + head + 16, run + sizeof(running) - 1,
		       r->len - head - (sizeof(running) - 1) + 1);
		ASSERT_EQ(len, r->len - 1);
		EXPECT_EQ(0, memcmp(whole, part, len))
			TH_LOG("the exited child's history is not what it read itself");
	}
	bwt_reap(pid);
	bwt_free(whole, TEXT_MAX);
	bwt_free(part, TEXT_MAX);
	bwt_free(r, sizeof(*r));
}

/* ---- Who may read ---- */

static int become_nobody(bool dumpable)
{
	if (setgroups(0, NULL) || setresgid(NOBODY_GID, NOBODY_GID, NOBODY_GID) ||
	    setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID))
		return -1;
	if (dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -1;
	return 0;
}

struct access_run {
	int root_pid;		/* a history of root's */
	int nobody_pid;		/* filled by the parent for the reader */
	int open_root_err;	/* what the unprivileged reader got */
	int open_own_err;
	int own_calls_ok;
};

static int root_child(void *arg)
{
	(void)arg;
	bwt_brk(0);
	bwt_brk(bwt_brk(0) + 100);
	return 0;
}

static int open_err(int pid)
{
	char path[64];
	int fd;

	bwt_history_path(path, sizeof(path), pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* As nobody: brk, read its own history, try root's. */
static int nobody_child(void *arg)
{
	struct access_run *a = arg;
	int i;

	if (become_nobody(true))
		return 10;
	bwt_brk(0);
	a->open_root_err = open_err(a->root_pid);
	/* its own history appears once the module's worker made its file */
	for (i = 0; i < 300; i++) {
		a->open_own_err = open_err(getpid());
		if (a->open_own_err != ENOENT)
			break;
		bwt_sleep_ms(10);
	}
	return 0;
}

TEST(unprivileged_reads_only_its_own_root_reads_all)
{
	struct access_run *a = bwt_shared_alloc(sizeof(*a));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	int status = -1, pid, err;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, h);

	a->root_pid = bwt_run_child(root_child, NULL, &status);
	ASSERT_LT(0, a->root_pid);
	err = bwt_history_wait(a->root_pid, h, 3000);
	ASSERT_EQ(0, err) TH_LOG("root's child %d has no history: %s %s",
				 a->root_pid, strerror(-err), h->error);
	ASSERT_EQ(0U, h->uid);

	pid = bwt_run_child(nobody_child, a, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, status) TH_LOG("the child could not become nobody");

	EXPECT_EQ(EACCES, a->open_root_err)
		TH_LOG("nobody opening root's history: %s, expected EACCES",
		       strerror(a->open_root_err));
	EXPECT_EQ(0, a->open_own_err)
		TH_LOG("nobody opening its own history: %s, expected success",
		       strerror(a->open_own_err));

	/* root reads both */
	err = bwt_history_read(a->root_pid, h);
	EXPECT_EQ(0, err) TH_LOG("root reading root's: %s", strerror(-err));
	EXPECT_EQ(3, h->ncalls);
	err = bwt_history_read(pid, h);
	EXPECT_EQ(0, err) TH_LOG("root reading nobody's: %s", strerror(-err));
	EXPECT_EQ((unsigned int)NOBODY_UID, h->uid) TH_LOG("'# uid' of nobody's history");
	EXPECT_EQ(1, h->ncalls);

	bwt_reap(pid);
	bwt_reap(a->root_pid);
	bwt_free(h, sizeof(*h));
	bwt_free(a, sizeof(*a));
}

/* A setuid() from root leaves a process undumpable: then only root reads. */
static int undumpable_child(void *arg)
{
	struct access_run *a = arg;

	if (become_nobody(false))
		return 10;
	bwt_brk(0);
	a->own_calls_ok = 1;
	return 0;
}

static int nobody_reader(void *arg)
{
	struct access_run *a = arg;

	if (become_nobody(true))
		return 10;
	a->open_root_err = open_err(a->nobody_pid);
	return 0;
}

TEST(undumpable_process_is_hidden_from_its_own_user)
{
	struct access_run *a = bwt_shared_alloc(sizeof(*a));
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	int status = -1, pid, reader, err;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, h);

	pid = bwt_run_child(undumpable_child, a, &status);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, status);
	err = bwt_history_wait(pid, h, 3000);
	ASSERT_EQ(0, err) TH_LOG("root reading it: %s %s", strerror(-err), h->error);
	EXPECT_EQ((unsigned int)NOBODY_UID, h->uid);

	a->nobody_pid = pid;
	reader = bwt_run_child(nobody_reader, a, &status);
	ASSERT_LT(0, reader);
	ASSERT_EQ(0, status);
	EXPECT_EQ(EACCES, a->open_root_err)
		TH_LOG("another nobody process opening an undumpable nobody's history: %s, expected EACCES",
		       strerror(a->open_root_err));
	bwt_reap(reader);
	bwt_reap(pid);
	bwt_free(h, sizeof(*h));
	bwt_free(a, sizeof(*a));
}

/*
 * A number the slab allocator gives of cache @name (SLUB's sysfs files:
 * object_size, what each allocation asks for; align, the boundary each
 * object starts on), or 0 if it has no such file. Slab debugging adds
 * its metadata beside the object: these stay what they are.
 */
static unsigned long slab_number(const char *name, const char *what)
{
	char path[128], buf[32];
	unsigned long v;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", name, what);
	if (bwt_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return bwt_parse_ulong(buf, &v) ? 0 : v;
}

TEST(file_bytes_is_what_procfs_allocates_for_a_file)
{
	unsigned long file_bytes, object;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	ASSERT_EQ(0, bwt_status_get("file_bytes", &file_bytes));
	object = slab_number("proc_dir_entry", "object_size");
	ASSERT_NE(0UL, object) TH_LOG("no /sys/kernel/slab/proc_dir_entry/object_size");
	EXPECT_EQ(object, file_bytes)
		TH_LOG("status file_bytes %lu, procfs's proc_dir_entry objects %lu bytes",
		       file_bytes, object);
}

TEST(pid_bytes_is_what_a_pid_of_the_initial_namespace_takes)
{
	unsigned long pid_bytes, object, align;

	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	ASSERT_EQ(0, bwt_status_get("pid_bytes", &pid_bytes));
	object = slab_number("pid", "object_size");
	align = slab_number("pid", "align");
	ASSERT_NE(0UL, object) TH_LOG("no /sys/kernel/slab/pid/object_size");
	ASSERT_NE(0UL, align) TH_LOG("no /sys/kernel/slab/pid/align");
	EXPECT_EQ((object + align - 1) / align * align, pid_bytes)
		TH_LOG("status pid_bytes %lu, the pid cache's objects %lu bytes aligned to %lu",
		       pid_bytes, object, align);
}

TEST_HARNESS_MAIN

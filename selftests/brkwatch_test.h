/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the brkwatch selftests share, defined in brkwatch_test.c and linked
 * into each test: reading and parsing a history, /proc/brkwatch/<PID>,
 * running a child whose brk() calls are then exactly its history, the
 * module's status and control files, loading it, running a program.
 *
 * Nothing there calls malloc() or stdio: a test that reads its own history
 * must not add calls to it while reading. Buffers are mmap()ed.
 */
#ifndef BRKWATCH_TEST_H
#define BRKWATCH_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BWT_PROC_DIR	"/proc/brkwatch"
#define BWT_COLUMNS	"seq time_ns tid entry request brk_before brk_after " \
	"aligned_before aligned_after delta ret duration_ns verdict details"
#define BWT_MAX_EVENTS	8192
#define BWT_FILE_MAX	(8 << 20)
#define BWT_PAGE		4096UL
#define BWT_PAGE_ALIGN(x)	(((x) + BWT_PAGE - 1) & ~(BWT_PAGE - 1))

/* One line of the body: a call, or an execve marker. */
struct bwt_event {
	bool exec;
	unsigned long seq;
	unsigned long time_ns;
	int tid;
	char entry[8];
	unsigned long request;
	unsigned long brk_before;
	unsigned long brk_after;
	unsigned long aligned_before;
	unsigned long aligned_after;
	long delta;
	long ret;
	unsigned long duration_ns;
	char verdict[24];
	char details[160];
	/* exec markers */
	char comm[64];
	unsigned long start_brk;
	unsigned long start_data;
	unsigned long end_data;
	bool stack;	/* a call followed by its "# stack" line */
};

struct bwt_history {
	int version;
	int pid;
	int ppid;
	char comm[64];
	char state[16];
	unsigned int uid;
	unsigned long start_brk;
	unsigned long start_data;
	unsigned long end_data;
	unsigned long brk;
	unsigned long calls;
	unsigned long dropped;
	int nevents;
	int ncalls;
	int nstacks;	/* "# stack" lines */
	struct bwt_event ev[BWT_MAX_EVENTS];
	char error[128];	/* why parsing failed */
};

/* The brk() system call itself, not glibc's: the break it returns. */
long bwt_brk(unsigned long addr);

/* Zeroed memory from mmap(), or NULL; bwt_free() gives it back. */
void *bwt_zalloc(size_t size);
void bwt_free(void *p, size_t size);

/* "/proc/brkwatch/<pid>" without snprintf. */
void bwt_history_path(char *path, size_t size, int pid);

/* Reads a whole file with read(2) into buf; its length, or -errno. */
ssize_t bwt_read_file(const char *path, char *buf, size_t size);

/* The whole of s as strtoul(s, NULL, 0) reads it: 0, or -1 if it is not. */
int bwt_parse_ulong(const char *s, unsigned long *v);
int bwt_parse_long(const char *s, long *v);

/* src into dst: 0, or -1 (dst unchanged) if it does not fit. */
int bwt_copy(char *dst, size_t size, const char *src);

/*
 * Parses a whole history file held in text (modified in place): 0, or
 * -EBADMSG with h->error saying which line. The tests' own parser,
 * independent of the reader's on purpose: see brkwatch_test.c.
 */
int bwt_parse_history(char *text, struct bwt_history *h);

/* A call's "# stack" line (format 2): registers and the stack's top. */
#define BWT_STACK_REGS	17
#define BWT_STACK_MAX	65536
struct bwt_stack {
	unsigned long seq;
	unsigned long regs[BWT_STACK_REGS];	/* DWARF order: 7 rsp, 16 rip */
	unsigned long bytes;
	unsigned char data[BWT_STACK_MAX];
};

/*
 * Parses "# stack seq=N regs=R0,...,R16 bytes=N data=HEX" (line without
 * its newline) into st, or only checks it when st is NULL: 0 or -1.
 */
int bwt_parse_stack(const char *line, struct bwt_stack *st);

/*
 * The "# stack" line of call seq in a history's text: 0, -ENOENT when
 * there is none, -EBADMSG when it does not parse.
 */
int bwt_stack_of(const char *text, unsigned long seq, struct bwt_stack *st);

/*
 * Reads and parses /proc/brkwatch/<pid>. 0, -errno of open or read, or
 * -EBADMSG with h->error saying which line.
 */
int bwt_history_read(int pid, struct bwt_history *h);

/* The last call of a history, or NULL. */
struct bwt_event *bwt_last_call(struct bwt_history *h);

/* True when the module is loaded: tests fail, not skip, without it. */
bool bwt_module_loaded(void);

/*
 * Waits for child pid to exit without reaping it (its pid stays taken, its
 * history cannot be replaced): 0 or -errno. *status gets its exit status,
 * or 128 + the signal that killed it.
 */
int bwt_wait_noreap(int pid, int *status);

/*
 * Runs fn(arg) in a child that calls nothing but what fn calls, waits for
 * it without reaping it (so its pid cannot be reused), and returns its pid;
 * the caller reads its history and then reaps it with bwt_reap(). *status
 * gets the child's wait status.
 */
int bwt_run_child(int (*fn)(void *), void *arg, int *status);
void bwt_reap(int pid);

/* An anonymous MAP_SHARED mapping: what a child writes there survives it. */
void *bwt_shared_alloc(size_t size);

/* Sleeps ms milliseconds, the whole of them even if a signal comes. */
void bwt_sleep_ms(long ms);

/*
 * bwt_history_read(), waiting for the file if it does not exist yet: the
 * module's worker creates it shortly after the process's first call. Gives
 * up after about timeout_ms (the last error is returned).
 */
int bwt_history_wait(int pid, struct bwt_history *h, long timeout_ms);

/*
 * Fields 45-47 of a /proc/<pid>/stat file (path), counted from 1 as in
 * proc(5): start_data end_data start_brk. Read it in the process itself
 * or while it is alive: a zombie has no mm and shows 0. 0 or -errno.
 */
int bwt_stat_heap(const char *path, unsigned long *start_data,
		  unsigned long *end_data, unsigned long *start_brk);

/* A "Key:   N kB" line of /proc/self/status, in bytes; -errno if absent. */
long bwt_status_bytes(const char *key);

/*
 * ---- Status, control, waiting, and loading the module ----
 * (for the proc, lifecycle, control, memory cap and load/unload tests)
 */
#define BWT_MODULE_NAME	"brkwatch"

/* CLOCK_MONOTONIC in nanoseconds. */
unsigned long bwt_now_ns(void);

/* Decimal digits of v into buf (at least 21 bytes); the length. */
size_t bwt_utoa(char *buf, unsigned long v);

/* Waits up to ms until /proc/brkwatch/<pid> is gone; true if it is. */
bool bwt_history_wait_gone(int pid, unsigned int ms);

/*
 * The value of "key: value" in /proc/brkwatch/status, as text (value,
 * size) and, when it is a number, in *num (may be NULL). 0, -errno of
 * the read, or -ENOENT when the key is missing.
 */
int bwt_status_text(const char *key, char *value, size_t size);
int bwt_status_get(const char *key, unsigned long *num);

/* One write(2) of len bytes to /proc/brkwatch/control: 0 or -errno. */
int bwt_control_write(const void *buf, size_t len);

/* A command such as "clear" or "forget 123": 0 or -errno. */
int bwt_control(const char *cmd);

/* "forget <pid>": 0 or -errno (-ESRCH when the module has no history). */
int bwt_forget(int pid);

/*
 * rmmod brkwatch (root): 0 when it is not loaded any more. Retries for up
 * to ms while it is in use (a reader holds it).
 */
int bwt_module_unload(unsigned int ms);

/* insmod brkwatch.ko params (root): 0 or -errno (-EEXIST if loaded). */
int bwt_module_load(const char *params);

/*
 * Unloads the module and loads it again with params ("" for the
 * defaults): every history and counter starts afresh. 0 or -errno.
 */
int bwt_module_reload(const char *params);

/*
 * Loads the module with its defaults if it is not loaded and this is root
 * (a test's teardown, after unloading it): 0, or -errno of the load.
 */
int bwt_module_load_again(void);

/*
 * A fixture whose tests run with brkwatch reloaded with @params, and
 * loaded again with its defaults after each. Only root can reload: for
 * anyone else the tests run against the module as it is.
 */
#define BWT_RELOAD_FIXTURE(name, params)					\
FIXTURE(name) {								\
	bool reloaded;							\
};									\
									\
FIXTURE_SETUP(name)							\
{									\
	int err;							\
									\
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded"); \
	if (geteuid() != 0)						\
		return;							\
	err = bwt_module_reload(params);				\
	self->reloaded = true;						\
	ASSERT_EQ(0, err) TH_LOG("reloading brkwatch with %s: %s",	\
				 params, strerror(-err));		\
}									\
									\
FIXTURE_TEARDOWN(name)							\
{									\
	int err;							\
									\
	if (!self->reloaded)						\
		return;							\
	err = bwt_module_reload("");					\
	if (err)							\
		TH_LOG("could not load brkwatch again with its defaults: %s", \
		       strerror(-err));					\
	EXPECT_EQ(0, err);						\
}

/*
 * ---- Children that keep going while the module comes and goes ----
 * (for the load/unload, lifecycle and torture tests)
 */

/* taint bits: 5 bad page, 7 died (oops), 9 warning, 14 soft lockup */
#define BWT_BAD_TAINT	((1UL << 5) | (1UL << 7) | (1UL << 9) | (1UL << 14))

/* /proc/sys/kernel/tainted; 0 if it cannot be read. */
unsigned long bwt_tainted(void);

/*
 * Before 6.1, brk() looked for a mapping in the way of a grow before it
 * checked the range (get_unmapped_area()) and the mlock limit, which
 * do_brk_flags() made (there was no check_brk_limits()), and a shrink
 * unmapped whatever lay there, nothing included, and succeeded.
 */
bool bwt_kernel_before_6_1(void);

/* SIGKILL for the calling process when its parent dies. */
void bwt_die_with_parent(void);

/*
 * Never returns: dies with its parent, and from the break b it starts
 * at calls brk(b + grow), brk(b + back) and brk(0) over and over,
 * counting the rounds in *count when count is not NULL.
 */
_Noreturn void bwt_looper(unsigned long grow, unsigned long back,
			  unsigned long *count);

/* SIGKILL to each of the n pids above 0, then waits for each of them. */
void bwt_kill_wait(const pid_t *pids, int n);

/*
 * Writes pid to /proc/sys/kernel/ns_last_pid (root): the next process of
 * this pid namespace gets pid + 1 if it is free. 0 or -errno.
 */
int bwt_set_last_pid(int pid);

/* A record of getdents64(2). */
struct bwt_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * ---- Running a program and capturing what it prints ----
 * (for the tests of the reader, userspace/brkwatch)
 */
#define BWT_CAPTURE_MAX	(4 << 20)

/*
 * A path inside the checkout: <checkout>/rel, the checkout being two levels
 * above this program (selftests/<test>). 0 or -errno.
 */
int bwt_checkout_path(const char *rel, char *path, size_t size);

/* What a program printed and how it ended (bwt_spawn()). */
struct bwt_output {
	int status;	/* exit code, 128 + the signal that killed it */
	char *out;	/* stdout, NUL-terminated (BWT_CAPTURE_MAX at most) */
	size_t out_len;
	char *err;	/* stderr, likewise */
	size_t err_len;
};

/*
 * Runs argv[0] (a path) with argv, stdin from /dev/null, stdout and stderr
 * into memory files, and waits for it. pre(arg), when given, runs in the
 * child before execve() (change the environment, drop privileges...); when
 * it returns non-zero, the child exits with 125 (and execve() failing, 127).
 * 0 with *o filled (release it with bwt_output_free()), or -errno.
 */
int bwt_spawn(char *const argv[], int (*pre)(void *), void *arg,
	      struct bwt_output *o);

void bwt_output_free(struct bwt_output *o);

/* Writes len bytes of buf to a new file path (mode 0644): 0 or -errno. */
int bwt_write_file(const char *path, const char *buf, size_t len);

#endif /* BRKWATCH_TEST_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * brk_stacks_test: "stacks PID" makes the module keep, for each brk() call
 * of that process, its user registers and the top of its user stack, shown
 * as a "# stack" line after the call's line; exactly what the process had
 * in its registers and memory at the syscall, fewer bytes where its stack
 * ends, nothing for a process that did not ask; bad commands change
 * nothing, "nostacks" frees the store.
 *
 * The calls are made with an inline "syscall" instruction whose address and
 * stack pointer the test knows, and through glibc's syscall(). A child is
 * turned on before its first call: it waits on a pipe until its parent has
 * written "stacks PID".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "brkwatch_test.h"

#define CANARY_WORDS	16
#define CANARY_SEED	0x5ca1ab1e0ddba11UL

/* What a child saw of its own calls, for its parent to compare. */
struct shared {
	unsigned long rip[3];		/* after each call's syscall instruction */
	unsigned long rsp[3];		/* at each call */
	unsigned long canary[3];	/* where each call's canary lay */
	unsigned long brk[3];		/* what each returned */
	unsigned long fill_start;	/* the short stack: its bytes... */
	unsigned long fill_end;		/* ...up to the unreadable page */
	unsigned int ncalls;
};

static unsigned long canary_word(unsigned int call, unsigned int i)
{
	return CANARY_SEED ^ ((unsigned long)call << 56) ^
	       (i * 0x9e3779b97f4a7c15UL);
}

/*
 * brk(addr) with a "syscall" instruction of our own: the address after it
 * and the stack pointer at it go to *rip and *rsp.
 */
static __attribute__((noinline)) long
asm_brk(unsigned long addr, unsigned long *rip, unsigned long *rsp)
{
	long ret;

	asm volatile("lea 1f(%%rip), %1\n\t"
		     "mov %%rsp, %2\n\t"
		     "syscall\n"
		     "1:"
		     : "=a"(ret), "=&r"(*rip), "=&r"(*rsp)
		     : "0"((long)SYS_brk), "D"(addr)
		     : "rcx", "r11", "memory");
	return ret;
}

/* A call with a canary in its caller's frame, above the stack pointer. */
static __attribute__((noinline)) void canary_call(struct shared *sh, bool libc)
{
	volatile unsigned long canary[CANARY_WORDS];
	unsigned int n = sh->ncalls, i;

	for (i = 0; i < CANARY_WORDS; i++)
		canary[i] = canary_word(n, i);
	sh->canary[n] = (unsigned long)canary;
	if (libc) {
		sh->brk[n] = syscall(SYS_brk, 0);
	} else {
		sh->brk[n] = asm_brk(0, &sh->rip[n], &sh->rsp[n]);
	}
	sh->ncalls = n + 1;
	asm volatile("" : : "r"(canary) : "memory");
}

/*
 * brk(0) on a stack of @len bytes that ends at an unreadable page: the
 * stack pointer is switched for the syscall only, which uses no stack.
 */
static int short_call(struct shared *sh, unsigned long len)
{
	unsigned char *map = mmap(NULL, 4 * BWT_PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long top, sp, i, rip;
	unsigned int n = sh->ncalls;
	long ret;

	if (map == MAP_FAILED || mprotect(map + 3 * BWT_PAGE, BWT_PAGE, PROT_NONE))
		return 1;
	top = (unsigned long)map + 3 * BWT_PAGE;
	sp = top - len;
	for (i = sp; i < top; i++)
		*(unsigned char *)i = (unsigned char)(i * 7 + 3);
	asm volatile("lea 1f(%%rip), %1\n\t"
		     "mov %%rsp, %%r12\n\t"
		     "mov %3, %%rsp\n\t"
		     "syscall\n"
		     "1:\n\t"
		     "mov %%r12, %%rsp"
		     : "=a"(ret), "=&r"(rip)
		     : "0"((long)SYS_brk), "r"(sp), "D"(0UL)
		     : "rcx", "r11", "r12", "memory");
	sh->rip[n] = rip;
	sh->rsp[n] = sp;
	sh->brk[n] = ret;
	sh->fill_start = sp;
	sh->fill_end = top;
	sh->ncalls = n + 1;
	return 0;
}

enum child_kind { CANARIES, SHORT, PLAIN, FIVE };

struct child {
	pid_t pid;
	int go;			/* write end of the pipe it waits on */
	struct shared *sh;
};

/* Forks a child that waits for a byte on a pipe, then makes its calls. */
static int child_start(struct child *c, enum child_kind kind)
{
	int fd[2];
	char b;

	c->sh = bwt_shared_alloc(sizeof(*c->sh));
	if (!c->sh || pipe(fd))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (!c->pid) {
		close(fd[1]);
		if (read(fd[0], &b, 1) != 1)
			_exit(2);
		switch (kind) {
		case CANARIES:
			canary_call(c->sh, false);
			canary_call(c->sh, true);
			break;
		case SHORT:
			if (short_call(c->sh, 1000) || short_call(c->sh, BWT_PAGE + 1000))
				_exit(3);
			break;
		case PLAIN:
			bwt_brk(0);
			break;
		case FIVE:
			for (int i = 0; i < 5; i++)
				bwt_brk(0);
			break;
		}
		_exit(0);
	}
	close(fd[0]);
	c->go = fd[1];
	return 0;
}

/* Lets the child go and waits for it without reaping it: its status. */
static int child_finish(struct child *c)
{
	int status = -1;

	if (write(c->go, "g", 1) != 1)
		return -1;
	close(c->go);
	if (bwt_wait_noreap(c->pid, &status))
		return -1;
	return status;
}

static int control_pid(const char *verb, long pid)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%s %ld", verb, pid);
	return bwt_control(cmd);
}

static unsigned long status_num(const char *key)
{
	unsigned long v = 0;

	if (bwt_status_get(key, &v))
		return (unsigned long)-1;
	return v;
}

/* The text of /proc/brkwatch/<pid>, NUL-terminated, in buf: 0 or -errno. */
static int history_text(int pid, char *buf)
{
	char path[64];
	ssize_t len;

	bwt_history_path(path, sizeof(path), pid);
	len = bwt_read_file(path, buf, BWT_FILE_MAX - 1);
	if (len < 0)
		return (int)len;
	buf[len] = '\0';
	return 0;
}

/* Whether addr is in an executable mapping of this process (and its forks). */
static bool executable(unsigned long addr)
{
	char *maps = bwt_zalloc(1 << 20), *line, *nl;
	unsigned long lo, hi;
	char perm[5];
	bool found = false;

	if (!maps || bwt_read_file("/proc/self/maps", maps, (1 << 20) - 1) < 0)
		return false;
	for (line = maps; *line && !found; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 &&
		    lo <= addr && addr < hi && perm[2] == 'x')
			found = true;
	}
	bwt_free(maps, 1 << 20);
	return found;
}

/* The end of the mapping holding addr in this process, or 0. */
static unsigned long mapping_end(unsigned long addr)
{
	char *maps = bwt_zalloc(1 << 20), *line, *nl;
	unsigned long lo, hi, end = 0;

	if (!maps || bwt_read_file("/proc/self/maps", maps, (1 << 20) - 1) < 0)
		return 0;
	for (line = maps; *line && !end; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi)
			end = hi;
	}
	bwt_free(maps, 1 << 20);
	return end;
}

FIXTURE(stacks) {
	char *text;
	struct bwt_history *h;
	struct bwt_stack *st;
	unsigned long stack_bytes;
	unsigned long stack_records;
	struct child c;
};

FIXTURE_SETUP(stacks)
{
	ASSERT_TRUE(bwt_module_loaded()) TH_LOG("brkwatch is not loaded");
	if (geteuid() != 0)
		SKIP(return, "the control commands need CAP_SYS_ADMIN");
	self->text = bwt_zalloc(BWT_FILE_MAX);
	self->h = bwt_zalloc(sizeof(*self->h));
	self->st = bwt_zalloc(sizeof(*self->st));
	ASSERT_NE(NULL, self->text);
	ASSERT_NE(NULL, self->h);
	ASSERT_NE(NULL, self->st);
	ASSERT_EQ(0, bwt_status_get("stack_bytes", &self->stack_bytes));
	ASSERT_EQ(0, bwt_status_get("stack_records", &self->stack_records));
	ASSERT_GE((unsigned long)BWT_STACK_MAX, self->stack_bytes);
	self->c.pid = 0;
}

FIXTURE_TEARDOWN(stacks)
{
	if (self->c.pid > 0) {
		control_pid("nostacks", self->c.pid);
		bwt_forget(self->c.pid);
		kill(self->c.pid, SIGKILL);
		bwt_reap(self->c.pid);
	}
}

/*
 * Turned on before its first call, a child's two calls each have their
 * stack: the registers it had (syscall number, argument, the stack pointer
 * and the address after the syscall instruction it used) and its memory
 * from that stack pointer up, its canary at the right place.
 */
TEST_F(stacks, registers_and_memory_of_each_call)
{
	unsigned long stored = status_num("stacks_stored");
	unsigned long procs = status_num("stacks_processes");
	unsigned long mem = status_num("memory_bytes");
	unsigned long end, off;
	struct shared *sh;
	unsigned int call, i;

	ASSERT_EQ(0, child_start(&self->c, CANARIES));
	sh = self->c.sh;
	ASSERT_EQ(0, control_pid("stacks", self->c.pid));
	/* idempotent */
	ASSERT_EQ(0, control_pid("stacks", self->c.pid));
	EXPECT_EQ(procs + 1, status_num("stacks_processes"));
	EXPECT_LE(mem + self->stack_records * self->stack_bytes,
		  status_num("memory_bytes"))
		TH_LOG("the store is counted in memory_bytes");
	ASSERT_EQ(0, child_finish(&self->c));
	ASSERT_EQ(2U, sh->ncalls);
	EXPECT_LE(stored + 2, status_num("stacks_stored"));

	ASSERT_EQ(0, bwt_history_wait(self->c.pid, self->h, 5000))
		TH_LOG("history: %s", self->h->error);
	ASSERT_EQ(2, self->h->ncalls);
	ASSERT_EQ(2, self->h->nstacks);
	ASSERT_EQ(0, history_text(self->c.pid, self->text));

	end = mapping_end(sh->rsp[0]);
	for (call = 0; call < 2; call++) {
		struct bwt_stack *st = self->st;
		unsigned long rsp;

		ASSERT_TRUE(self->h->ev[call].stack);
		ASSERT_EQ(0, bwt_stack_of(self->text, self->h->ev[call].seq, st))
			TH_LOG("no stack line for seq %lu", self->h->ev[call].seq);
		EXPECT_EQ(self->h->ev[call].seq, st->seq);
		EXPECT_EQ((unsigned long)SYS_brk, st->regs[0]);
		EXPECT_EQ(0UL, st->regs[5]) TH_LOG("rdi, brk()'s argument");
		EXPECT_EQ((unsigned long)self->h->ev[call].ret, sh->brk[call]);
		rsp = st->regs[7];
		if (call == 0) {
			/* our own syscall instruction: exact */
			EXPECT_EQ(sh->rip[0], st->regs[16]);
			EXPECT_EQ(sh->rsp[0], rsp);
		}
		/* glibc's syscall(): somewhere in its code */
		EXPECT_TRUE(executable(st->regs[16]))
			TH_LOG("rip 0x%lx is in no executable mapping", st->regs[16]);
		/*
		 * Up to the stack's top or stack_bytes; fewer only where a
		 * page is not present (the copy does not fault), at a page
		 * boundary.
		 */
		ASSERT_NE(0UL, end);
		EXPECT_GE(end - rsp < self->stack_bytes ? end - rsp : self->stack_bytes,
			  st->bytes);
		if (st->bytes < self->stack_bytes)
			EXPECT_EQ(0UL, (rsp + st->bytes) % BWT_PAGE)
				TH_LOG("a short copy ends at rsp+%lu", st->bytes);
		ASSERT_LT(rsp, sh->canary[call]);
		off = sh->canary[call] - rsp;
		ASSERT_GE(st->bytes, off + sizeof(unsigned long) * CANARY_WORDS)
			TH_LOG("canary at rsp+%lu not captured", off);
		for (i = 0; i < CANARY_WORDS; i++) {
			unsigned long w;

			memcpy(&w, st->data + off + i * sizeof(w), sizeof(w));
			EXPECT_EQ(canary_word(call, i), w)
				TH_LOG("call %u, canary word %u at rsp+%lu", call, i,
				       off + i * sizeof(w));
		}
	}
}

/*
 * A stack that ends (an unreadable page) less than stack_bytes above the
 * stack pointer gives exactly the bytes up to there, as the process had
 * them, within one page and across two; stacks_short counts both, and
 * the faults that stopped the copies are not counted as kprobe misses.
 */
TEST_F(stacks, short_stack_stops_at_the_unreadable_page)
{
	unsigned long shorts = status_num("stacks_short");
	unsigned long missed = status_num("kretprobe_missed");
	struct shared *sh;
	unsigned int call;
	unsigned long i;

	ASSERT_EQ(0, child_start(&self->c, SHORT));
	sh = self->c.sh;
	ASSERT_EQ(0, control_pid("stacks", self->c.pid));
	ASSERT_EQ(0, child_finish(&self->c));
	ASSERT_EQ(2U, sh->ncalls);
	EXPECT_LE(shorts + 2, status_num("stacks_short"));
	/* the copy's faults at the unreadable page are no probe misses */
	EXPECT_EQ(missed, status_num("kretprobe_missed"));
	ASSERT_EQ(0, bwt_history_wait(self->c.pid, self->h, 5000))
		TH_LOG("history: %s", self->h->error);
	ASSERT_EQ(2, self->h->nstacks);
	ASSERT_EQ(0, history_text(self->c.pid, self->text));
	for (call = 0; call < 2; call++) {
		unsigned long len = call ? BWT_PAGE + 1000 : 1000;
		struct bwt_stack *st = self->st;

		ASSERT_EQ(0, bwt_stack_of(self->text, self->h->ev[call].seq, st));
		EXPECT_EQ(sh->rip[call], st->regs[16]);
		EXPECT_EQ(sh->rsp[call], st->regs[7]);
		ASSERT_EQ(len, st->bytes);
		ASSERT_GT(self->stack_bytes, st->bytes);
		for (i = 0; i < len; i++)
			if (st->data[i] != (unsigned char)((st->regs[7] + i) * 7 + 3))
				break;
		EXPECT_EQ(len, i) TH_LOG("call %u: byte %lu differs", call, i);
	}
}

/* A process that did not ask has no "# stack" line. */
TEST_F(stacks, none_without_asking)
{
	ASSERT_EQ(0, child_start(&self->c, PLAIN));
	ASSERT_EQ(0, child_finish(&self->c));
	ASSERT_EQ(0, bwt_history_wait(self->c.pid, self->h, 5000))
		TH_LOG("history: %s", self->h->error);
	ASSERT_EQ(1, self->h->ncalls);
	EXPECT_EQ(0, self->h->nstacks);
	ASSERT_EQ(0, history_text(self->c.pid, self->text));
	EXPECT_EQ(NULL, strstr(self->text, "# stack"));
}

/* "nostacks" frees the store: memory_bytes goes back, the lines go. */
TEST_F(stacks, nostacks_frees)
{
	unsigned long procs = status_num("stacks_processes");
	unsigned long on, off;

	ASSERT_EQ(0, child_start(&self->c, CANARIES));
	ASSERT_EQ(0, control_pid("stacks", self->c.pid));
	ASSERT_EQ(0, child_finish(&self->c));
	ASSERT_EQ(0, bwt_history_wait(self->c.pid, self->h, 5000))
		TH_LOG("history: %s", self->h->error);
	ASSERT_EQ(2, self->h->nstacks);
	on = status_num("memory_bytes");
	ASSERT_EQ(0, control_pid("nostacks", self->c.pid));
	off = status_num("memory_bytes");
	EXPECT_EQ(procs, status_num("stacks_processes"));
	EXPECT_LE(off + self->stack_records * self->stack_bytes, on)
		TH_LOG("memory_bytes %lu with stacks, %lu after nostacks", on, off);
	ASSERT_EQ(0, bwt_history_read(self->c.pid, self->h));
	EXPECT_EQ(2, self->h->ncalls);
	EXPECT_EQ(0, self->h->nstacks);
	/* not on any more */
	EXPECT_EQ(-ESRCH, control_pid("nostacks", self->c.pid));
}

/* A thread of a process: its id is not a process's. */
static void *idle_thread(void *arg)
{
	*(volatile pid_t *)arg = gettid();
	pause();
	return NULL;
}

/*
 * Bad commands are refused, EINVAL when malformed, ESRCH for no such
 * process (or not on, for nostacks), and change nothing in status.
 */
TEST_F(stacks, bad_commands_change_nothing)
{
	static const char malformed[][24] = {
		"stacks", "stacks ", "stacks x", "stacks 0", "stacks -1",
		"stacks 12x", "stacks 99999999999", "stacks 4194305",
		"stacks  1", "stacks 1 2", "STACKS 1", "stack 1", "nostacks",
		"nostacks 0", "nostacks -5", "nostacks abc", "stacks\t1",
	};
	char *before = bwt_zalloc(1 << 16), *after = bwt_zalloc(1 << 16);
	volatile pid_t tid = 0;
	pthread_t thread;
	pid_t gone;
	unsigned int i;

	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	gone = fork();
	ASSERT_LE(0, gone);
	if (!gone)
		_exit(0);
	bwt_reap(gone);
	ASSERT_EQ(0, pthread_create(&thread, NULL, idle_thread, (void *)&tid));
	while (!tid)
		bwt_sleep_ms(1);

	ASSERT_LT(0, bwt_read_file(BWT_PROC_DIR "/status", before, (1 << 16) - 1));
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		EXPECT_EQ(-EINVAL, bwt_control(malformed[i]))
			TH_LOG("'%s' was not refused with EINVAL", malformed[i]);
	EXPECT_EQ(-ESRCH, control_pid("stacks", gone)) TH_LOG("a pid no process has");
	EXPECT_EQ(-ESRCH, control_pid("stacks", tid)) TH_LOG("a thread's id");
	EXPECT_EQ(-ESRCH, control_pid("nostacks", getpid())) TH_LOG("not on");
	EXPECT_EQ(-ESRCH, control_pid("nostacks", gone));
	ASSERT_LT(0, bwt_read_file(BWT_PROC_DIR "/status", after, (1 << 16) - 1));
	EXPECT_STREQ(before, after);
	pthread_cancel(thread);
	pthread_join(thread, NULL);
}

/* Over the memory cap, "stacks" is refused with ENOMEM, nothing changed. */
BWT_RELOAD_FIXTURE(stacks_cap, "stack_bytes=65536 stack_records=4096")

TEST_F(stacks_cap, over_the_cap_enomem)
{
	char *before = bwt_zalloc(1 << 16), *after = bwt_zalloc(1 << 16);

	if (!self->reloaded)
		SKIP(return, "reloading the module needs root");
	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	ASSERT_LT(0, bwt_read_file(BWT_PROC_DIR "/status", before, (1 << 16) - 1));
	/* 4096 stacks of 64 KiB: 256 MiB, over the default 64 MiB cap */
	EXPECT_EQ(-ENOMEM, control_pid("stacks", getpid()));
	ASSERT_LT(0, bwt_read_file(BWT_PROC_DIR "/status", after, (1 << 16) - 1));
	EXPECT_STREQ(before, after);
	EXPECT_EQ(-ESRCH, control_pid("nostacks", getpid()));
}

/*
 * A process keeps its newest stack_records stacks: with 3, the stacks of
 * five calls are those of calls 3 to 5, each after its own call line, and
 * two were evicted.
 */
BWT_RELOAD_FIXTURE(stacks_ring, "stack_records=3")

TEST_F(stacks_ring, newest_kept)
{
	struct bwt_history *h = bwt_zalloc(sizeof(*h));
	char *text = bwt_zalloc(BWT_FILE_MAX);
	struct bwt_stack *st = bwt_zalloc(sizeof(*st));
	struct child c;
	int i;

	if (!self->reloaded)
		SKIP(return, "reloading the module needs root");
	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, text);
	ASSERT_NE(NULL, st);
	ASSERT_EQ(0UL, status_num("stacks_dropped_ring"));
	ASSERT_EQ(0, child_start(&c, FIVE));
	ASSERT_EQ(0, control_pid("stacks", c.pid));
	ASSERT_EQ(0, child_finish(&c));
	EXPECT_EQ(5UL, status_num("stacks_stored"));
	EXPECT_EQ(2UL, status_num("stacks_dropped_ring"));
	ASSERT_EQ(0, bwt_history_wait(c.pid, h, 5000)) TH_LOG("history: %s", h->error);
	ASSERT_EQ(5, h->ncalls);
	EXPECT_EQ(3, h->nstacks);
	ASSERT_EQ(0, history_text(c.pid, text));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(i >= 2, h->ev[i].stack) TH_LOG("call %d", i + 1);
		EXPECT_EQ(i >= 2 ? 0 : -ENOENT, bwt_stack_of(text, h->ev[i].seq, st));
	}
	EXPECT_EQ(0, control_pid("nostacks", c.pid));
	bwt_forget(c.pid);
	bwt_reap(c.pid);
}

TEST_HARNESS_MAIN

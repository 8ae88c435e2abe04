// SPDX-License-Identifier: GPL-2.0
/*
 * brk_ia32_prog: the 32-bit program of brk_ia32_test. Static, without libc
 * (so that no brk() is made but these): int $0x80 system calls only, which
 * enter the kernel's 32-bit table, __ia32_sys_brk for brk.
 *
 * It makes the calls below, writes what each returned to fd 3 (struct
 * ia32_report), then waits for fd 4 to reach end of file (the parent reads
 * /proc/<pid>/stat meanwhile) and exits.
 *
 * Build: gcc -m32 -static -nostdlib -fno-pic -fno-stack-protector
 */
#include "brk_ia32.h"

#define NR_read		3
#define NR_write	4
#define NR_brk		45
#define NR_gettid	224
#define NR_exit_group	252

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	return ret;
}

static struct ia32_report rep;

static unsigned int call(unsigned int req)
{
	unsigned int ret = (unsigned int)sys3(NR_brk, req, 0, 0);

	if (rep.n < IA32_MAX) {
		rep.req[rep.n] = req;
		rep.ret[rep.n] = ret;
	}
	rep.n++;
	return ret;
}

void __attribute__((noreturn, used)) _start(void)
{
	unsigned int b0, top;
	char c;

	rep.magic = IA32_MAGIC;
	rep.tid = (unsigned int)sys3(NR_gettid, 0, 0, 0);
	b0 = call(0);				/* query */
	top = (b0 + 4095) & ~4095u;
	call(top + 3 * 4096 + 7);		/* grow */
	call(top + 3 * 4096 + 99);		/* same-page */
	call(top + 4096 + 1);			/* shrink */
	call(1);				/* below-min */
	call(0xfffff000u);			/* limits: past the 32-bit TASK_SIZE */
	call(0);				/* query */
	sys3(NR_write, 3, (long)&rep, sizeof(rep));
	while (sys3(NR_read, 4, (long)&c, 1) > 0)
		;
	for (;;)
		sys3(NR_exit_group, 0, 0, 0);
}

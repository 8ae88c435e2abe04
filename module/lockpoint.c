// SPDX-License-Identifier: GPL-2.0
/*
 * Where brk() has just taken its mmap lock, found in the machine code of
 * the function that holds brk()'s body: the instruction after its call to
 * down_write_killable(), or better, the first one of the path that runs
 * when the lock was taken.
 *
 * A probe there runs in brk() alone. Hooking the return of
 * down_write_killable() instead costs every mmap(), munmap() and
 * mprotect() of every process a probe hit; that probe stays as the
 * fallback where the call cannot be found unambiguously.
 *
 * The call is found by a byte match (0xe8 and a 32-bit displacement that
 * lands on down_write_killable(), or on mmap_write_lock_killable() where a
 * kernel built with lockdep or KASAN keeps that inline function out of
 * line, its result the same), not by decoding every instruction:
 * what is found is then registered as a kprobe, and the kprobe core
 * refuses an address that is not an instruction boundary. A stray match
 * inside another instruction is therefore caught; two matches are refused.
 *
 * Right after the call, the compilers of the matrix move or test the
 * result, may leave a tracepoint's 5-byte NOP, and branch on it to the
 * -EINTR path. A probe on the instruction after the call costs brk() a
 * breakpoint trap: the register moves and the branch cannot be copied
 * out of line, so the kprobe core cannot turn it into a jump. The first
 * instruction of the path taken when the lock is held (usually a load
 * from the mm) can be, and needs no test of the result. That path is
 * used when the few instructions in between are recognised, byte for
 * byte; otherwise the place after the call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "internal.h"

/* brk()'s body, out of line in every kernel of the matrix (kernel-notes) */
#define BW_LOCK_FUNC		"__do_sys_brk"
/* more than any brk() body, so that an unexpected one is refused */
#define BW_LOCK_FUNC_MAX	4096
#define BW_CALL_REL32		0xe8
#define BW_CALL_LEN		5
/* instructions between the call and the branch on its result */
#define BW_HELD_SCAN_INSNS	4

static const u8 bw_nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/*
 * One instruction just after the call: a REX prefix, then mov or test
 * between two registers (ModRM mod 3), or the 5-byte NOP. Follows which
 * registers hold the call's result in @holders (bit 0: eax) and sets
 * @tested when the flags come from testing one of them against itself.
 * Returns its length, or 0 for any other instruction.
 */
static unsigned int bw_result_op(const u8 *c, size_t len, u16 *holders,
				 bool *tested)
{
	unsigned int rex = len && (c[0] & 0xf0) == 0x40 ? c[0] : 0;
	unsigned int reg, rm;
	const u8 *op = c + !!rex;

	if (len >= sizeof(bw_nop5) && !memcmp(c, bw_nop5, sizeof(bw_nop5)))
		return sizeof(bw_nop5);
	if (len < !!rex + 2 || (op[1] & 0xc0) != 0xc0)
		return 0;
	reg = ((op[1] >> 3) & 7) | (rex & 4 ? 8 : 0);	/* REX.R */
	rm = (op[1] & 7) | (rex & 1 ? 8 : 0);		/* REX.B */
	switch (op[0]) {
	case 0x85:	/* test r/m, r */
		*tested = reg == rm && (*holders & BIT(reg));
		break;
	case 0x89:	/* mov r/m, r */
		*holders = (*holders & ~BIT(rm)) |
			   (*holders & BIT(reg) ? BIT(rm) : 0);
		break;
	case 0x8b:	/* mov r, r/m */
		*holders = (*holders & ~BIT(reg)) |
			   (*holders & BIT(rm) ? BIT(reg) : 0);
		break;
	default:
		return 0;
	}
	return !!rex + 2;
}

/*
 * @c, @len: the code just after the call, at @addr. The address where the
 * path with the lock held starts, or 0 unless the code is the expected
 * moves, NOP and test of the result followed by a jne/je on it.
 */
static unsigned long bw_held_path(const u8 *c, size_t len, unsigned long addr)
{
	u16 holders = BIT(0);	/* the int result, in eax */
	bool tested = false;
	unsigned int i, n;
	s32 rel;

	for (i = 0; i < BW_HELD_SCAN_INSNS; i++) {
		n = bw_result_op(c, len, &holders, &tested);
		if (!n)
			break;
		c += n;
		len -= n;
		addr += n;
	}
	if (!tested)
		return 0;
	/* jne/je rel8: the lock is held on the next instruction/the target */
	if (len >= 2 && (c[0] == 0x75 || c[0] == 0x74))
		return c[0] == 0x75 ? addr + 2 : addr + 2 + (s8)c[1];
	/* jne/je rel32 */
	if (len >= 6 && c[0] == 0x0f && (c[1] == 0x85 || c[1] == 0x84)) {
		memcpy(&rel, c + 2, sizeof(rel));
		return c[1] == 0x85 ? addr + 6 : addr + 6 + (long)rel;
	}
	return 0;
}

/* The wrapper brk() calls, where the compiler did not inline it. */
#define BW_LOCK_WRAPPER		"mmap_write_lock_killable"

/*
 * Does a call to @target take brk()'s lock: down_write_killable() itself,
 * or the start of an out-of-line copy of its wrapper ("name", or with a
 * suffix the compiler adds to a specialised copy: "name.constprop.0").
 */
static bool bw_takes_lock(unsigned long target)
{
	size_t len = strlen(BW_LOCK_WRAPPER);
	char sym[KSYM_SYMBOL_LEN];

	if (target == (unsigned long)down_write_killable)
		return true;
	sprint_symbol(sym, target);
	return !strncmp(sym, BW_LOCK_WRAPPER, len) &&
	       (sym[len] == '+' || sym[len] == '.') &&
	       strstr(sym + len, "+0x0/");
}

/*
 * The start and size of @name, from a kprobe that is registered disabled
 * (the code is not touched) only to resolve the name, and from kallsyms'
 * "name+off/size".
 */
static int bw_func_bounds(const char *name, unsigned long *start,
			  unsigned long *size)
{
	struct kprobe kp = {
		.symbol_name = name,
		.flags = KPROBE_FLAG_DISABLED,
	};
	char sym[KSYM_SYMBOL_LEN];
	unsigned long off;
	size_t len = strlen(name);
	int err;

	err = register_kprobe(&kp);
	if (err)
		return err;
	sprint_symbol(sym, (unsigned long)kp.addr);
	unregister_kprobe(&kp);
	if (strncmp(sym, name, len) || sym[len] != '+' ||
	    sscanf(sym + len, "+%lx/%lx", &off, size) != 2)
		return -ENOENT;
	*start = (unsigned long)kp.addr - off;
	return 0;
}

/**
 * bw_lock_point_find - where brk() goes on once its lock is taken
 * @after_call: set to the instruction after the call that takes it
 * @held: set to the first instruction of the path taken with the lock
 *	held, or 0 where it is not recognised
 *
 * A probe at @held runs only with the lock held; one at @after_call also
 * when down_write_killable() failed, with its result in ax.
 *
 * Return: 0; -ENOENT when brk()'s body is not found or takes the lock
 * nowhere, -E2BIG when it does so more than once or
 * is larger than expected, or another error from reading it. A caller
 * registers a kprobe at either address, which is where a false match is
 * refused.
 */
int bw_lock_point_find(unsigned long *after_call, unsigned long *held)
{
	unsigned long start, size, found = 0, i;
	u8 *code;
	int err;

	err = bw_func_bounds(BW_LOCK_FUNC, &start, &size);
	if (err)
		return err;
	if (size < BW_CALL_LEN || size > BW_LOCK_FUNC_MAX)
		return -E2BIG;
	code = kmalloc(size, GFP_KERNEL);
	if (!code)
		return -ENOMEM;
	err = copy_from_kernel_nofault(code, (void *)start, size);
	if (err)
		goto out;
	for (i = 0; i + BW_CALL_LEN <= size; i++) {
		s32 rel;

		if (code[i] != BW_CALL_REL32)
			continue;
		memcpy(&rel, code + i + 1, sizeof(rel));
		if (!bw_takes_lock(start + i + BW_CALL_LEN + (long)rel))
			continue;
		if (found) {
			err = -E2BIG;
			goto out;
		}
		found = start + i + BW_CALL_LEN;
	}
	if (!found) {
		err = -ENOENT;
		goto out;
	}
	*after_call = found;
	*held = bw_held_path(code + (found - start), start + size - found,
			     found);
	if (*held <= found || *held >= start + size)
		*held = 0;
out:
	kfree(code);
	return err;
}

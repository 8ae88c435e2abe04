// SPDX-License-Identifier: GPL-2.0
/*
 * Places inside brk()'s machine code where a kprobe runs in brk() alone:
 * where it has just taken its mmap lock, and, from 6.1 on, where
 * check_brk_limits() has the range check's result and where it refuses
 * for the mlock limit.
 *
 * The lock: the instruction after brk()'s call to down_write_killable(),
 * or better, the first one of the path that runs when the lock was taken.
 * Hooking the return of down_write_killable() instead costs every mmap(),
 * munmap() and mprotect() of every process a probe hit; that probe stays
 * as the fallback where the call cannot be found unambiguously.
 *
 * check_brk_limits(): its return hooked with a kretprobe costs each grow
 * about three times what a kprobe the kernel turns into a jump costs
 * (scripts/bench/RESULTS.md, run 21). One such kprobe, just after its call
 * to get_unmapped_area() (ax holds the address or the range check's
 * error), says the same on every grow but those of an mm whose new
 * mappings are locked (mlockall(MCL_FUTURE)), for which it goes on to the
 * mlock limit; for those, a kprobe on the one instruction that sets its
 * -EAGAIN (mov $-EAGAIN, %eax: the path taken only when the limit
 * refuses), which costs nothing to any other call. Where the limit is
 * checked out of line and the error made without a branch (the debug
 * kernel: its mlock_future_ok() returns a bool, turned into -EAGAIN with
 * sbb and and), the instruction after that call instead, with the check's
 * result in ax. Where no such place is found, the kretprobe stays.
 *
 * A call is found by a byte match (0xe8 and a 32-bit displacement that
 * lands on the function called, or on an out-of-line copy of an inline
 * wrapper, as mmap_write_lock_killable() where a kernel built with lockdep
 * or KASAN keeps it out of line), not by decoding every instruction: what
 * is found is then registered as a kprobe, and the kprobe core refuses an
 * address that is not an instruction boundary. A stray match inside
 * another instruction is therefore caught; two matches are refused.
 *
 * Right after a call, the compilers of the matrix move or test the int
 * result, may leave a tracepoint's 5-byte NOP, and branch on it. A probe
 * on the instruction after the call costs brk() a breakpoint trap: the
 * register moves and the branch cannot be copied out of line, so the
 * kprobe core cannot turn it into a jump. The first instruction of the
 * path taken when the result is 0 (usually a load) can be, and needs no
 * test of the result. That path is used when the few instructions in
 * between are recognised, byte for byte; for the lock, otherwise the place
 * after the call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "internal.h"

/* brk()'s body, out of line in every kernel of the matrix (kernel-notes) */
#define BW_BRK_FUNC		"__do_sys_brk"
/* static from 6.1 on: out of line in every kernel of the matrix */
#define BW_LIMITS_FUNC		"check_brk_limits"
/* more than either body, so that an unexpected one is refused */
#define BW_FUNC_MAX		4096
/* the two instructions looked for: an opcode and a 32-bit operand */
#define BW_CALL_REL32		0xe8
#define BW_MOV_EAX_IMM32	0xb8
#define BW_OP32_LEN		5
/* instructions between a call and the branch on its result */
#define BW_ZERO_SCAN_INSNS	4

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
 * @c, @len: the code just after a call that returns an int, at @addr. The
 * address where the path taken when it returned 0 starts, or 0 unless the
 * code is the expected moves, NOP and test of the result followed by a
 * jne/je on it.
 */
static unsigned long bw_zero_path(const u8 *c, size_t len, unsigned long addr)
{
	u16 holders = BIT(0);	/* the int result, in eax */
	bool tested = false;
	unsigned int i, n;
	s32 rel;

	for (i = 0; i < BW_ZERO_SCAN_INSNS; i++) {
		n = bw_result_op(c, len, &holders, &tested);
		if (!n)
			break;
		c += n;
		len -= n;
		addr += n;
	}
	if (!tested)
		return 0;
	/* jne/je rel8: 0 goes on to the next instruction/the target */
	if (len >= 2 && (c[0] == 0x75 || c[0] == 0x74))
		return c[0] == 0x75 ? addr + 2 : addr + 2 + (s8)c[1];
	/* jne/je rel32 */
	if (len >= 6 && c[0] == 0x0f && (c[1] == 0x85 || c[1] == 0x84)) {
		memcpy(&rel, c + 2, sizeof(rel));
		return c[1] == 0x85 ? addr + 6 : addr + 6 + (long)rel;
	}
	return 0;
}

/*
 * Does @target start @name, or a copy of it that the compiler specialised
 * ("name.constprop.0", "name.isra.0")?
 */
static bool bw_is_func(unsigned long target, const char *name)
{
	size_t len = strlen(name);
	char sym[KSYM_SYMBOL_LEN];

	sprint_symbol(sym, target);
	return !strncmp(sym, name, len) &&
	       (sym[len] == '+' || sym[len] == '.') &&
	       strstr(sym + len, "+0x0/");
}

/*
 * Does a call to @target take brk()'s lock: down_write_killable() itself,
 * or an out-of-line copy of the wrapper brk() calls.
 */
static bool bw_takes_lock(unsigned long target)
{
	return target == (unsigned long)down_write_killable ||
	       bw_is_func(target, "mmap_write_lock_killable");
}

/*
 * The range check check_brk_limits() calls: get_unmapped_area(), which is
 * a macro for __get_unmapped_area() from 6.10 on.
 */
static bool bw_maps_range(unsigned long target)
{
	return bw_is_func(target, "get_unmapped_area") ||
	       bw_is_func(target, "__get_unmapped_area");
}

/* The mlock limit's check, where out of line: see compat.h. */
static bool bw_checks_mlock(unsigned long target)
{
	return bw_is_func(target, BW_MLOCK_CHECK);
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

/*
 * @func's code, copied into a buffer that @code is set to, for the caller
 * to kfree(), with its @start and @size.
 *
 * Return: 0; -ENOENT when @func is not found, -E2BIG when it is larger
 * than expected, or another error from reading it.
 */
static int bw_func_code(const char *func, u8 **code, unsigned long *start,
			unsigned long *size)
{
	u8 *c;
	int err;

	err = bw_func_bounds(func, start, size);
	if (err)
		return err;
	if (*size < BW_OP32_LEN || *size > BW_FUNC_MAX)
		return -E2BIG;
	c = kmalloc(*size, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	err = copy_from_kernel_nofault(c, (void *)*start, *size);
	if (err) {
		kfree(c);
		return err;
	}
	*code = c;
	return 0;
}

/*
 * The one instruction made of @opcode and a 32-bit operand in the code of
 * @start and @size copied at @code whose value @accept accepts: for a call
 * (BW_CALL_REL32), the address it calls; else the operand, sign-extended.
 * @found is set to its address.
 *
 * Return: 0; -ENOENT when there is none, -E2BIG when there is more than one.
 */
static int bw_find_op32(const u8 *code, unsigned long start,
			unsigned long size, u8 opcode,
			bool (*accept)(unsigned long value),
			unsigned long *found)
{
	unsigned long i, at = 0;

	for (i = 0; i + BW_OP32_LEN <= size; i++) {
		unsigned long value;
		s32 op;

		if (code[i] != opcode)
			continue;
		memcpy(&op, code + i + 1, sizeof(op));
		value = (long)op;
		if (opcode == BW_CALL_REL32)
			value += start + i + BW_OP32_LEN;
		if (!accept(value))
			continue;
		if (at)
			return -E2BIG;
		at = start + i;
	}
	if (!at)
		return -ENOENT;
	*found = at;
	return 0;
}

/*
 * The path taken when the int returned by the call before @after was 0,
 * in the code of @start and @size copied at @code; 0 where not recognised.
 */
static unsigned long bw_find_zero_path(const u8 *code, unsigned long start,
				       unsigned long size, unsigned long after)
{
	unsigned long zero = bw_zero_path(code + (after - start),
					  start + size - after, after);

	return zero > after && zero < start + size ? zero : 0;
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
	unsigned long start, size, call;
	u8 *code;
	int err;

	err = bw_func_code(BW_BRK_FUNC, &code, &start, &size);
	if (err)
		return err;
	err = bw_find_op32(code, start, size, BW_CALL_REL32, bw_takes_lock,
			   &call);
	if (!err) {
		*after_call = call + BW_OP32_LEN;
		*held = bw_find_zero_path(code, start, size, *after_call);
	}
	kfree(code);
	return err;
}

/* The value check_brk_limits() returns when the mlock limit refuses. */
static bool bw_is_eagain(unsigned long value)
{
	return value == (unsigned long)-EAGAIN;
}

/**
 * bw_limits_points_find - where check_brk_limits() tells its result
 * @range: set to the instruction after its call to get_unmapped_area(),
 *	where ax holds what that returned
 * @mlock: set to the instruction that sets its -EAGAIN, run only when the
 *	mlock limit refused; else to the instruction after its call to the
 *	limit's check, where ax holds what that returned
 * @mlock_after_call: set to which of the two @mlock is
 *
 * Return: 0; -ENOENT when the function, the calls or the instruction are
 * not found, -E2BIG when a call is made more than once or the function is
 * larger than expected, or another error from reading it. As for the
 * lock, the kprobe core refuses a false match.
 */
int bw_limits_points_find(unsigned long *range, unsigned long *mlock,
			  bool *mlock_after_call)
{
	unsigned long start, size, call;
	u8 *code;
	int err;

	err = bw_func_code(BW_LIMITS_FUNC, &code, &start, &size);
	if (err)
		return err;
	err = bw_find_op32(code, start, size, BW_CALL_REL32, bw_maps_range,
			   &call);
	if (err)
		goto out;
	*range = call + BW_OP32_LEN;
	*mlock_after_call = false;
	if (!bw_find_op32(code, start, size, BW_MOV_EAX_IMM32, bw_is_eagain,
			  mlock))
		goto out;
	/* none, or more than one: the limit may be checked out of line */
	*mlock_after_call = true;
	err = bw_find_op32(code, start, size, BW_CALL_REL32, bw_checks_mlock,
			   &call);
	if (!err)
		*mlock = call + BW_OP32_LEN;
out:
	kfree(code);
	return err;
}

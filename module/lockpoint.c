// SPDX-License-Identifier: GPL-2.0
/*
 * Where brk() has just taken its mmap lock: the instruction after its
 * call to down_write_killable(), found in the machine code of the
 * function that holds brk()'s body.
 *
 * A probe there runs in brk() alone. Hooking the return of
 * down_write_killable() instead costs every mmap(), munmap() and
 * mprotect() of every process a probe hit; that probe stays as the
 * fallback where the call cannot be found unambiguously.
 *
 * The search is a byte match (0xe8 and a 32-bit displacement that lands
 * on down_write_killable()), not a decoding of every instruction: what it
 * finds is then registered as a kprobe, and the kprobe core refuses an
 * address that is not an instruction boundary. A stray match inside
 * another instruction is therefore caught; two matches are refused.
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
 * bw_lock_point_find - the address in brk() just after its lock is taken
 * @addr: set to that address
 * @where: set to it as "function+offset", for status
 * @len: the size of @where
 *
 * Return: 0; -ENOENT when brk()'s body is not found or calls
 * down_write_killable() nowhere, -E2BIG when it does so more than once or
 * is larger than expected, or another error from reading it. A caller
 * registers a kprobe at @addr, which is where a false match is refused.
 */
int bw_lock_point_find(unsigned long *addr, char *where, size_t len)
{
	unsigned long start, size, target = (unsigned long)down_write_killable;
	unsigned long found = 0, i;
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
		if (start + i + BW_CALL_LEN + (long)rel != target)
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
	*addr = found;
	snprintf(where, len, "%s+%#lx", BW_LOCK_FUNC, found - start);
out:
	kfree(code);
	return err;
}

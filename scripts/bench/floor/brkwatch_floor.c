// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: brkwatch's probes on the same functions, of the
 * same kinds, with handlers that do nothing. What brkwatch costs above
 * this is its own work; this much is the kprobe mechanism's.
 *
 * brkwatch follows brk()'s mmap lock with a kprobe inside brk(), where the
 * lock is held, at the place its status file names ("__do_sys_brk+0x8a" on
 * "probes:"): give it as lock_point=, which the benchmark does. Without
 * it, where brkwatch could not find that place, both hook the return of
 * down_write_killable() for every caller, this module even for a process
 * alone on its mm, which makes the floor higher, never lower.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/mm_types.h>
#include <linux/string.h>
#include "compat.h"	/* brkwatch's, linked beside this file */

static int floor_hook_return(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	return 0;
}

static int floor_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int floor_lock_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct mm_struct *mm = current->mm;

	return mm && atomic_read(&mm->mm_users) == 1;
}

static int floor_hit(struct kprobe *kp, struct pt_regs *regs)
{
	return 0;
}

static char *lock_point;
module_param(lock_point, charp, 0444);
MODULE_PARM_DESC(lock_point,
		 "Where brkwatch probes brk()'s lock, as its status names it (function+0xOFFSET)");

static char floor_lock_sym[KSYM_NAME_LEN];
static struct kprobe floor_lock_kprobe = {
	.symbol_name = floor_lock_sym,
	.pre_handler = floor_hit,
};

static bool floor_lock_kprobe_registered;

NOKPROBE_SYMBOL(floor_hook_return);
NOKPROBE_SYMBOL(floor_return);
NOKPROBE_SYMBOL(floor_lock_entry);
NOKPROBE_SYMBOL(floor_hit);

#define FLOOR_KRETPROBE(sym) {					\
	.kp.symbol_name = sym,					\
	.entry_handler = floor_hook_return,			\
	.handler = floor_return,				\
	.maxactive = 256,					\
}

/* As in brkwatch's probe.c; the lock's kretprobe only without lock_point. */
#define FLOOR_LOCK 2
static struct kretprobe floor_probes[] = {
	FLOOR_KRETPROBE("__x64_sys_brk"),
	FLOOR_KRETPROBE("__ia32_sys_brk"),
	[FLOOR_LOCK] = {
		.kp.symbol_name = "down_write_killable",
		.entry_handler = floor_lock_entry,
		.handler = floor_return,
		.maxactive = 256,
	},
	FLOOR_KRETPROBE("check_brk_limits"),
#if !BW_BRK_FLAGS_ONLY_ENOMEM
	FLOOR_KRETPROBE("do_brk_flags"),
#endif
};

static bool floor_registered[ARRAY_SIZE(floor_probes)];

/* Where brkwatch needs only its entry, a kprobe. */
static struct kprobe floor_brk_flags_kprobe = {
	.symbol_name = "do_brk_flags",
	.pre_handler = floor_hit,
};

static bool floor_brk_flags_kprobe_registered;

static void floor_exit(void)
{
	unsigned int i;

	if (floor_lock_kprobe_registered)
		unregister_kprobe(&floor_lock_kprobe);
	if (floor_brk_flags_kprobe_registered)
		unregister_kprobe(&floor_brk_flags_kprobe);
	for (i = 0; i < ARRAY_SIZE(floor_probes); i++)
		if (floor_registered[i])
			unregister_kretprobe(&floor_probes[i]);
}
module_exit(floor_exit);

/*
 * What brkwatch may miss (the static check_brk_limits() inlined, no ia32
 * entry), the floor may miss too; not the syscall or the lock.
 */
static int __init floor_lock_point_init(void)
{
	const char *plus = strchr(lock_point, '+');
	unsigned int off;
	int err;

	if (!plus || plus == lock_point ||
	    plus - lock_point >= sizeof(floor_lock_sym) ||
	    kstrtouint(plus + 1, 0, &off)) {
		pr_err("brkwatch_floor: lock_point '%s' is not function+0xOFFSET\n",
		       lock_point);
		return -EINVAL;
	}
	memcpy(floor_lock_sym, lock_point, plus - lock_point);
	floor_lock_kprobe.offset = off;
	err = register_kprobe(&floor_lock_kprobe);
	if (err) {
		pr_err("brkwatch_floor: cannot probe %s (%d)\n", lock_point, err);
		return err;
	}
	floor_lock_kprobe_registered = true;
	return 0;
}

static int __init floor_init(void)
{
	unsigned int i;

	if (lock_point && *lock_point) {
		int err = floor_lock_point_init();

		if (err)
			return err;
	}
	for (i = 0; i < ARRAY_SIZE(floor_probes); i++) {
		const char *sym = floor_probes[i].kp.symbol_name;
		int err;

		if (i == FLOOR_LOCK && floor_lock_kprobe_registered)
			continue;
		err = register_kretprobe(&floor_probes[i]);

		floor_registered[i] = !err;
		if (!err)
			continue;
		if (!strcmp(sym, "__x64_sys_brk") ||
		    !strcmp(sym, "down_write_killable")) {
			pr_err("brkwatch_floor: cannot probe %s (%d)\n", sym, err);
			floor_exit();
			return err;
		}
		pr_info("brkwatch_floor: %s not probed (%d)\n", sym, err);
	}
	if (BW_BRK_FLAGS_ONLY_ENOMEM) {
		int err = register_kprobe(&floor_brk_flags_kprobe);

		floor_brk_flags_kprobe_registered = !err;
		if (err)
			pr_info("brkwatch_floor: do_brk_flags not probed (%d)\n",
				err);
	}
	return 0;
}
module_init(floor_init);

MODULE_DESCRIPTION("brkwatch's probes with empty handlers: the benchmark's floor");
MODULE_LICENSE("GPL");

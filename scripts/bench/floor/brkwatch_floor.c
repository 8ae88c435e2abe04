// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: brkwatch's probes on the same functions, of the
 * same kinds, with handlers that do nothing. What brkwatch costs above
 * this is its own work; this much is the kprobe mechanism's.
 *
 * As brkwatch, it leaves the return of down_write_killable() unhooked for
 * a process alone on its mm. One difference, which makes the floor higher,
 * never lower: for any other, brkwatch hooks it only inside brk(), this
 * module on every call (every mmap() and munmap() too).
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/mm_types.h>
#include <linux/string.h>

static int floor_hook_return(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	return 0;
}

static int floor_no_return(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	return 1;
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

NOKPROBE_SYMBOL(floor_hook_return);
NOKPROBE_SYMBOL(floor_no_return);
NOKPROBE_SYMBOL(floor_return);
NOKPROBE_SYMBOL(floor_lock_entry);

#define FLOOR_KRETPROBE(sym) {					\
	.kp.symbol_name = sym,					\
	.entry_handler = floor_hook_return,			\
	.handler = floor_return,				\
	.maxactive = 256,					\
}

/* As in brkwatch's probe.c: do_brk_flags() at entry only. */
static struct kretprobe floor_probes[] = {
	FLOOR_KRETPROBE("__x64_sys_brk"),
	FLOOR_KRETPROBE("__ia32_sys_brk"),
	{
		.kp.symbol_name = "down_write_killable",
		.entry_handler = floor_lock_entry,
		.handler = floor_return,
		.maxactive = 256,
	},
	FLOOR_KRETPROBE("check_brk_limits"),
	{
		.kp.symbol_name = "do_brk_flags",
		.entry_handler = floor_no_return,
		.maxactive = 256,
	},
};

static bool floor_registered[ARRAY_SIZE(floor_probes)];

static void floor_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(floor_probes); i++)
		if (floor_registered[i])
			unregister_kretprobe(&floor_probes[i]);
}
module_exit(floor_exit);

/*
 * What brkwatch may miss (the static check_brk_limits() inlined, no ia32
 * entry), the floor may miss too; not the syscall or the lock.
 */
static int __init floor_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(floor_probes); i++) {
		const char *sym = floor_probes[i].kp.symbol_name;
		int err = register_kretprobe(&floor_probes[i]);

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
	return 0;
}
module_init(floor_init);

MODULE_DESCRIPTION("brkwatch's probes with empty handlers: the benchmark's floor");
MODULE_LICENSE("GPL");

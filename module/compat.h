/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels brkwatch builds for (5.10 to 7.x),
 * and the only place that tests a kernel version. Each wrapper names the
 * release and the upstream change that made it necessary; the .c files
 * call the wrappers and never test versions themselves.
 */
#ifndef BRKWATCH_COMPAT_H
#define BRKWATCH_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>

/*
 * The one comparison with the kernel's version; out of tree, a module
 * built for many kernels needs it (checkpatch's warnings on it are
 * silenced for this file alone, in the Makefile).
 */
#define BW_KERNEL_AT_LEAST(a, b, c) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(a, b, c))

#if BW_KERNEL_AT_LEAST(7, 2, 0)
#include <linux/sched/exec_state.h>
#else
#include <linux/sched/coredump.h>
#endif

/*
 * 5.17, commit 359745d78351 ("proc: remove PDE_DATA() completely"): the
 * data of a proc entry is read with pde_data(), PDE_DATA() before.
 */
static inline void *bw_pde_data(const struct inode *inode)
{
#if BW_KERNEL_AT_LEAST(5, 17, 0)
	return pde_data(inode);
#else
	return PDE_DATA(inode);
#endif
}

/*
 * Whether @task may be inspected by its owner, as ptrace's rule sees it.
 * 7.2 moved the dumpable state from mm->flags (get_dumpable(),
 * SUID_DUMP_USER) to the task's exec state (struct task_exec_state in
 * linux/sched/exec_state.h, TASK_DUMPABLE_OWNER), which outlives exit_mm().
 * Its getter is not exported, the structure is public. Before 7.2 a task
 * without an mm (exiting, a kernel thread) gives false.
 */
static inline bool bw_task_dumpable(struct task_struct *task)
{
#if BW_KERNEL_AT_LEAST(7, 2, 0)
	const struct task_exec_state *es;
	bool dumpable;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	dumpable = es && READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER;
	rcu_read_unlock();
	return dumpable;
#else
	struct mm_struct *mm = READ_ONCE(task->mm);

	return mm && get_dumpable(mm) == SUID_DUMP_USER;
#endif
}

/*
 * 6.17, the workqueue API cleanup that added system_dfl_wq and
 * system_percpu_wq and slates system_unbound_wq for removal: the unbound
 * system workqueue is system_dfl_wq.
 */
static inline struct workqueue_struct *bw_unbound_wq(void)
{
#if BW_KERNEL_AT_LEAST(6, 17, 0)
	return system_dfl_wq;
#else
	return system_unbound_wq;
#endif
}

/*
 * 6.16, the sched_process_exit tracepoint gained a "bool group_dead"
 * argument (and moved before exit_mm()). Its probe's prototype follows;
 * brkwatch does not need the argument (signal->live tells the same).
 */
void bw_history_task_exit(struct task_struct *task);

/*
 * The exit must note the process's dumpable state, which lived in its mm
 * until 7.2. The 6.16 move of trace_sched_process_exit() before exit_mm()
 * lets the tracepoint see it; before, the exit is followed by a probe on
 * exit_mm_release() (global in kernel/fork.c since 5.5, when exit and exec
 * got their own mm_release()), which exit_mm() calls while the task still
 * has its mm.
 */
#define BW_EXIT_TRACEPOINT_SEES_MM	BW_KERNEL_AT_LEAST(6, 16, 0)
#define BW_EXIT_MM_SYMBOL		"exit_mm_release"

#if BW_KERNEL_AT_LEAST(6, 16, 0)
static inline void bw_tp_process_exit(void *data, struct task_struct *task,
				      bool group_dead)
#else
static inline void bw_tp_process_exit(void *data, struct task_struct *task)
#endif
{
	bw_history_task_exit(task);
}

/*
 * 5.12, commit ffb37ca3bd16 ("switch file_open_root() to struct path"):
 * file_open_root_mnt() opens a path relative to a mount's root.
 */
static inline struct file *bw_file_open_root_mnt(struct vfsmount *mnt,
						 const char *name, int flags)
{
#if BW_KERNEL_AT_LEAST(5, 12, 0)
	return file_open_root_mnt(mnt, name, flags, 0);
#else
	return file_open_root(mnt->mnt_root, mnt, name, flags, 0);
#endif
}

/*
 * The first argument of a system call: the x86 syscall wrappers
 * (__x64_sys_brk, __ia32_sys_brk, 4.17, commit fa697140f9a2 "syscalls/x86:
 * Use 'struct pt_regs' based syscall calling convention for 64-bit
 * syscalls") take the user's registers as their own first argument.
 * syscall_get_arguments() reads bx for a 32-bit task, di otherwise.
 */
static inline unsigned long bw_syscall_arg0(struct pt_regs *regs)
{
	struct pt_regs *user = (struct pt_regs *)regs_get_kernel_argument(regs, 0);
	unsigned long args[6];

	syscall_get_arguments(current, user, args);
	return args[0];
}

/*
 * The lowest break brk() accepts. With CONFIG_COMPAT_BRK (off in Debian,
 * on in some distributions) a process without brk randomisation may set
 * its break down to the end of its data.
 */
static inline unsigned long bw_min_brk(struct mm_struct *mm)
{
#ifdef CONFIG_COMPAT_BRK
	if (!current->brk_randomized)
		return mm->end_data;
#endif
	return mm->start_brk;
}

/*
 * 6.6, the x86 user shadow stack series ("mm: Add guard pages around a
 * shadow stack"): vm_start_gap() keeps one page below a shadow-stack
 * mapping, as it keeps stack_guard_gap below a grows-down one. True when
 * @flags give a mapping such a gap. VM_SHADOW_STACK is VM_NONE where the
 * kernel has no user shadow stacks, and undefined before 6.6.
 */
static inline bool bw_vma_has_gap(unsigned long flags)
{
#ifdef VM_SHADOW_STACK
	if (flags & VM_SHADOW_STACK)
		return true;
#endif
	return flags & VM_GROWSDOWN;
}

/*
 * 6.1, the maple tree series ("mm/mmap: change do_brk_flags() to expand
 * existing VMA and add do_brk_munmap()"): brk() calls check_brk_limits()
 * (the range and the mlock limit) before its overlap check, and
 * do_brk_flags() only maps. Before 6.1 the overlap check comes first and
 * do_brk_flags() itself checks the range (get_unmapped_area()), the mlock
 * limit (-EAGAIN), then may_expand_vm(), the map count and overcommit.
 */
#define BW_BRK_FLAGS_CHECKS_LIMITS	(!BW_KERNEL_AT_LEAST(6, 1, 0))

/*
 * From the same 6.1 change to 7.3, the newest kernel of the matrix,
 * do_brk_flags() fails with -ENOMEM only, and brk() then returns the old
 * break: that the call entered it and what brk() returned say all that its
 * return value would. Its entry is probed, not its return, which would
 * cost every grow a kretprobe instance and the return trampoline. Not
 * assumed after 7.3: making VMA write locks killable, proposed upstream,
 * would let it fail with -EINTR too.
 */
#define BW_BRK_FLAGS_ONLY_ENOMEM \
	(BW_KERNEL_AT_LEAST(6, 1, 0) && !BW_KERNEL_AT_LEAST(7, 4, 0))

/*
 * 6.5, "mm/mmap: refactor mlock_future_check()": the mlock limit's check
 * became mlock_future_ok(), true where the limit lets the mapping be;
 * mlock_future_check() returned 0 or -EAGAIN. Where check_brk_limits()
 * calls it out of line (the debug kernel of the matrix), what it returned,
 * in ax, says whether the limit refused (lockpoint.c).
 */
#if BW_KERNEL_AT_LEAST(6, 5, 0)
#define BW_MLOCK_CHECK		"mlock_future_ok"
static inline bool bw_mlock_refused(unsigned long ax)
{
	return !(u8)ax;
}
#else
#define BW_MLOCK_CHECK		"mlock_future_check"
static inline bool bw_mlock_refused(unsigned long ax)
{
	return (int)ax;
}
#endif

/*
 * What the kernel sets aside for a kretprobe's instances, an estimate
 * counted under the module's memory cap: maxactive instances with their
 * data. 6.7, "kprobes: kretprobe scalability improvement with objpool":
 * they come from an objpool, each of whose per-CPU slots can index all of
 * them, so that it grows with the number of CPUs too.
 */
static inline size_t bw_kretprobe_bytes(unsigned int maxactive,
					size_t data_size)
{
	size_t bytes = maxactive *
		       (sizeof(struct kretprobe_instance) + data_size);

#if BW_KERNEL_AT_LEAST(6, 7, 0)
	bytes += num_possible_cpus() * roundup_pow_of_two(maxactive) *
		 sizeof(void *);
#endif
	return bytes;
}

/*
 * 5.14, "kprobes: Remove kprobe::fault_handler": before it, x86's
 * kprobe_fault_handler() counted every fault taken in a running kprobe's
 * handler as a miss of that kprobe, even one that copy_from_user_nofault()
 * fixes up (measured on 5.10: a stack copy stopping at an unreadable page
 * added to the syscall kretprobe's nmissed). stack.c counts those faults,
 * and status's kretprobe_missed leaves them out.
 */
#define BW_HANDLER_FAULT_IS_MISS	(!BW_KERNEL_AT_LEAST(5, 14, 0))

#endif /* BRKWATCH_COMPAT_H */

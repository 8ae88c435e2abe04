// SPDX-License-Identifier: GPL-2.0
/*
 * The probes: registering them, and the handlers, nothing else.
 *
 * A kretprobe on the brk syscall entry starts a snapshot of the call in
 * its instance data and the return handler hands it to the history. In
 * between, probes inside brk() fill the snapshot in: the instruction
 * after brk()'s call to down_write_killable() (lockpoint.c), where the
 * state brk() starts from is read while the call holds the mmap lock, so
 * that no other thread can change it (a process alone on its mm has it
 * read at entry instead); the result of check_brk_limits(), read at two
 * places inside it that lockpoint.c finds (else at its return), and the
 * entry of do_brk_flags() (which of the late steps refused). Exit and
 * exec are followed by their tracepoints.
 *
 * The handlers run in the calling task with preemption disabled: they
 * never sleep, never allocate and take no global lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include "compat.h"
#include "internal.h"
#include "pool.h"

bool bw_paused;
unsigned int bw_probes_present;

/*
 * Every probe is in: set once the last is armed, cleared before the first
 * goes. A call not made entirely in between may have passed a place while
 * it had no probe, so nothing about it follows from what was not seen.
 */
static bool bw_probes_armed;

/* ---- The syscall: entry starts the snapshot, return records it ---- */

/*
 * The heap's base, as brk() sees it under the mmap lock. RLIMIT_DATA is
 * the exception: no lock orders it against prlimit() from another process,
 * so brk()'s own read may see a value changed since this one, read at
 * entry or just after the lock, or the value before.
 */
static void bw_read_base(struct bw_call *call, struct mm_struct *mm)
{
	call->brk = mm->brk;
	call->start_brk = mm->start_brk;
	call->min_brk = bw_min_brk(mm);
	call->start_data = mm->start_data;
	call->end_data = mm->end_data;
	call->rlimit_data = READ_ONCE(current->signal->rlim[RLIMIT_DATA].rlim_cur);
	call->based = true;
}

static int bw_brk_start(struct kretprobe_instance *ri, u64 request, bool ia32)
{
	struct bw_call *call = (struct bw_call *)ri->data;
	struct mm_struct *mm = current->mm;

	if (!mm || READ_ONCE(bw_paused))
		return 1;
	/* The rest is written by the step that sets its flag. */
	call->time_ns = ktime_get_ns();
	call->request = request;
	call->brk_entry = READ_ONCE(mm->brk);
	call->ia32 = ia32;
	call->alone = atomic_read(&mm->mm_users) == 1;
	call->based = false;
	call->mlock_pending = false;
	call->limits_checked = false;
	call->brk_flags_called = false;
	call->next_found = false;
	call->incomplete = !READ_ONCE(bw_probes_armed);
	call->rlimit_changed = false;
	call->ordered = false;
	call->slotted = false;
	call->missed = bw_probes_inner_missed();
	/*
	 * Only tasks using this mm change its heap, and only the caller can
	 * add one (a thread): alone on it now, the caller finds the base as
	 * it is here once it holds the lock, and the lock's return need not
	 * be hooked. Others taking a reference (a /proc reader) only read.
	 */
	if (call->alone)
		bw_read_base(call, mm);
	/* Unseen by the probes inside brk(): nothing follows by elimination. */
	if (!bw_inflight_enter(call)) {
		bw_count(inflight_overflow);
		call->incomplete = true;
	}
	return 0;
}

static int bw_brk64_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return bw_brk_start(ri, bw_syscall_arg0(regs), false);
}

static int bw_brk32_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return bw_brk_start(ri, (u32)bw_syscall_arg0(regs), true);
}

static u8 bw_next_kind(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_file)
		return BRKWATCH_NEXT_FILE;
	if (vma->vm_start <= mm->start_stack && mm->start_stack < vma->vm_end)
		return BRKWATCH_NEXT_STACK;
	if (vma->vm_flags & VM_GROWSDOWN)
		return BRKWATCH_NEXT_GROWSDOWN;
	return BRKWATCH_NEXT_ANON;
}

/*
 * The mapping above the old break, which brk()'s overlap check looks at.
 * The caller holds the mmap lock, so the tree cannot change under
 * find_vma().
 */
static void bw_note_next(struct bw_call *call, struct mm_struct *mm)
{
	struct vm_area_struct *next = find_vma(mm, PAGE_ALIGN(call->brk));

	if (!next)
		return;
	call->next_found = true;
	call->next_start = next->vm_start;
	call->next_end = next->vm_end;
	call->next_flags = next->vm_flags;
	call->next_kind = bw_next_kind(mm, next);
}

/* What check_brk_limits() returned (6.1 on). */
static void bw_limits_known(struct bw_call *call, int ret)
{
	call->limits_ret = ret;
	call->limits_checked = true;
}

/*
 * Under the call's write lock, check_brk_limits()'s range check passed:
 * the heap may grow. Note the mapping above it, which the overlap check
 * that follows will look at. Not for a caller alone on its mm: only a grow
 * that check refuses needs it, and the syscall's return reads it then
 * (bw_brk_return()).
 */
static void bw_range_passed(struct bw_call *call)
{
	if (!call->alone)
		bw_note_next(call, current->mm);
}

/* A grow that brk() refused before do_brk_flags(): by elimination an overlap. */
static bool bw_refused_early(const struct bw_call *call, long ret)
{
	return call->based && !call->brk_flags_called &&
	       PAGE_ALIGN(call->request) > PAGE_ALIGN(call->brk) &&
	       (u64)ret == call->brk;
}

static int bw_brk_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bw_call *call = (struct bw_call *)ri->data;
	long ret = (long)regs_return_value(regs);
	struct mm_struct *mm = current->mm;

	bw_inflight_leave();
	if (bw_probes_inner_missed() != call->missed ||
	    !READ_ONCE(bw_probes_armed))
		call->incomplete = true;
	/*
	 * check_brk_limits() went on to the mlock limit, and the place where
	 * that refuses was not reached: it passed. Unless a probe inside
	 * brk() missed the call.
	 */
	if (call->mlock_pending && !call->limits_checked && !call->incomplete)
		bw_limits_known(call, 0);
	/*
	 * prlimit() from another process may have changed RLIMIT_DATA between
	 * the read above and brk()'s own: one refusal could then pass for
	 * another.
	 */
	if (call->based && READ_ONCE(current->signal->rlim[RLIMIT_DATA].rlim_cur) !=
	    call->rlimit_data)
		call->rlimit_changed = true;
	/*
	 * The mapping that the overlap check of a grow it refused saw, read
	 * now: before 6.1 no probe runs between that check and the end of
	 * the call, and from 6.1 on a caller alone on its mm leaves it to
	 * here, since a grow that passed does not need it (else the lock's
	 * probe, or check_brk_limits()'s return, read it under the lock).
	 * Alone on its mm, the caller is the only task that could have
	 * changed it. The lock is only tried: a probe cannot sleep.
	 */
	if ((BW_BRK_FLAGS_CHECKS_LIMITS || call->alone) && !call->next_found &&
	    !(call->limits_checked && call->limits_ret) &&
	    bw_refused_early(call, ret) &&
	    mmap_read_trylock(mm)) {
		bw_note_next(call, mm);
		mmap_read_unlock(mm);
	}
	bw_history_record(call, ret);
	return 0;
}

/* ---- Inside brk(): each probe finds the snapshot of its task's call ---- */

static int bw_step_entry(struct kretprobe_instance *ri, struct bw_call *call)
{
	if (!call)
		return 1;
	*(struct bw_call **)ri->data = call;
	return 0;
}

static struct bw_call *bw_step_call(struct kretprobe_instance *ri)
{
	return *(struct bw_call **)ri->data;
}

/*
 * brk() holds the lock unless @err says it was killed while waiting: the
 * base it starts from can be read, and the call numbered in the order the
 * lock gives the tasks sharing the mm.
 */
static void bw_lock_taken(struct bw_call *call, int err)
{
	if (err)
		return;
	bw_read_base(call, current->mm);
	/* Before 6.1 the overlap check has no probe of its own: see it now. */
	if (BW_BRK_FLAGS_CHECKS_LIMITS &&
	    PAGE_ALIGN(call->request) > PAGE_ALIGN(call->brk))
		bw_note_next(call, current->mm);
	bw_history_locked(call);
}

/* Inside brk(), down_write_killable() has just returned its int in ax. */
static int bw_lock_point_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	if (call && !call->based)
		bw_lock_taken(call, (int)regs->ax);
	return 0;
}

/* Inside brk(), on the path that runs once the lock is held. */
static int bw_lock_held_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	if (call && !call->based)
		bw_lock_taken(call, 0);
	return 0;
}

/*
 * The fallback, where brk()'s own call cannot be found: every mmap() and
 * munmap() passes here, leave fast unless in brk().
 */
static int bw_lock_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	if (!call || call->based ||
	    regs->di != (unsigned long)&current->mm->mmap_lock)
		return 1;
	return bw_step_entry(ri, call);
}

static int bw_lock_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* an int: the upper half of the register is not part of it */
	bw_lock_taken(bw_step_call(ri), (int)regs_return_value(regs));
	return 0;
}

static int bw_limits_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	return bw_step_entry(ri, call && call->based ? call : NULL);
}

static int bw_limits_return(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct bw_call *call = bw_step_call(ri);
	int ret = (int)regs_return_value(regs);

	bw_limits_known(call, ret);
	if (!ret)
		bw_range_passed(call);
	return 0;
}

/*
 * Inside check_brk_limits(), just after get_unmapped_area() returned: ax
 * holds the address, or the range check's error, which check_brk_limits()
 * then returns. Else it returns what the mlock limit decides, which it
 * checks only for an mm whose new mappings are locked (mlockall() with
 * MCL_FUTURE: VM_LOCKED in def_flags, which the call's lock holds still).
 */
static int bw_range_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();
	unsigned long addr = regs->ax;

	if (!call || !call->based)
		return 0;
	if (IS_ERR_VALUE(addr)) {
		bw_limits_known(call, (long)addr);
		return 0;
	}
	bw_range_passed(call);
	if (current->mm->def_flags & VM_LOCKED)
		call->mlock_pending = true;
	else
		bw_limits_known(call, 0);
	return 0;
}

/* Inside check_brk_limits(), where the mlock limit refused: -EAGAIN. */
static int bw_mlock_refused_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	if (call && call->mlock_pending)
		bw_limits_known(call, -EAGAIN);
	return 0;
}

/*
 * Inside check_brk_limits(), just after its call to the mlock limit's
 * check, where lockpoint.c finds no instruction run only when that
 * refuses: ax holds what the check returned (compat.h).
 */
static int bw_mlock_checked_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	if (call && call->mlock_pending)
		bw_limits_known(call, bw_mlock_refused(regs->ax) ? -EAGAIN : 0);
	return 0;
}

/*
 * do_brk_flags() was reached: every earlier check passed. The ELF loader
 * calls it too (vm_brk_flags()), outside any brk() call: not followed.
 */
static struct bw_call *bw_brk_flags_reached(void)
{
	struct bw_call *call = bw_inflight_find();

	if (!call || !call->based)
		return NULL;
	call->brk_flags_called = true;
	return call;
}

/* Where its return says nothing more (BW_BRK_FLAGS_ONLY_ENOMEM). */
static int bw_brk_flags_hit(struct kprobe *kp, struct pt_regs *regs)
{
	bw_brk_flags_reached();
	return 0;
}

static int bw_brk_flags_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct bw_call *call = bw_brk_flags_reached();

	return call ? bw_step_entry(ri, call) : 1;
}

/*
 * What it returned: before 6.1 the error says which of its checks refused,
 * from 7.x on it may also be -EINTR (a killable VMA lock). TASK_SIZE is
 * the caller's (32-bit tasks have their own): the range check used it.
 */
static int bw_brk_flags_return(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct bw_call *call = bw_step_call(ri);

	call->brk_flags_ret = (int)regs_return_value(regs);
	call->task_size = TASK_SIZE;
	return 0;
}

/* Where the exit tracepoint comes after exit_mm(): see compat.h. */
static int bw_exit_mm_entry(struct kprobe *kp, struct pt_regs *regs)
{
	bw_history_task_exit(current);
	return 0;
}

/* A probe hit inside a handler would recurse. */
NOKPROBE_SYMBOL(bw_brk64_entry);
NOKPROBE_SYMBOL(bw_brk32_entry);
NOKPROBE_SYMBOL(bw_brk_return);
NOKPROBE_SYMBOL(bw_lock_taken);
NOKPROBE_SYMBOL(bw_lock_point_hit);
NOKPROBE_SYMBOL(bw_lock_held_hit);
NOKPROBE_SYMBOL(bw_lock_entry);
NOKPROBE_SYMBOL(bw_lock_return);
NOKPROBE_SYMBOL(bw_limits_entry);
NOKPROBE_SYMBOL(bw_limits_known);
NOKPROBE_SYMBOL(bw_range_passed);
NOKPROBE_SYMBOL(bw_limits_return);
NOKPROBE_SYMBOL(bw_range_hit);
NOKPROBE_SYMBOL(bw_mlock_refused_hit);
NOKPROBE_SYMBOL(bw_mlock_checked_hit);
NOKPROBE_SYMBOL(bw_brk_flags_reached);
NOKPROBE_SYMBOL(bw_brk_flags_hit);
NOKPROBE_SYMBOL(bw_brk_flags_entry);
NOKPROBE_SYMBOL(bw_brk_flags_return);
NOKPROBE_SYMBOL(bw_note_next);
NOKPROBE_SYMBOL(bw_next_kind);
NOKPROBE_SYMBOL(bw_refused_early);
NOKPROBE_SYMBOL(bw_read_base);
NOKPROBE_SYMBOL(bw_brk_start);
NOKPROBE_SYMBOL(bw_step_entry);
NOKPROBE_SYMBOL(bw_step_call);
NOKPROBE_SYMBOL(bw_probes_inner_missed);
NOKPROBE_SYMBOL(bw_exit_mm_entry);

/* ---- Registration ---- */

struct bw_probe {
	struct kretprobe rp;
	unsigned int bit;	/* in bw_probes_present, for the verdict */
	bool required;
	bool wanted;		/* on this kernel, else not even tried */
	bool entry_only;	/* rp.kp alone, a kprobe: no instances */
	bool registered;
};

enum { BW_P_X64, BW_P_IA32, BW_P_LOCK, BW_P_LIMITS, BW_P_BRK_FLAGS };

static struct bw_probe bw_probes[] = {
	[BW_P_X64] = {
		.rp = {
			.kp.symbol_name = "__x64_sys_brk",
			.entry_handler = bw_brk64_entry,
			.handler = bw_brk_return,
			.data_size = sizeof(struct bw_call),
		},
		.required = true,
		.wanted = true,
	},
	[BW_P_IA32] = {
		/* absent without CONFIG_IA32_EMULATION */
		.rp = {
			.kp.symbol_name = "__ia32_sys_brk",
			.entry_handler = bw_brk32_entry,
			.handler = bw_brk_return,
			.data_size = sizeof(struct bw_call),
		},
		.wanted = true,
	},
	[BW_P_LOCK] = {
		/* wanted only where the lock's point cannot be placed */
		.rp = {
			.kp.symbol_name = "down_write_killable",
			.entry_handler = bw_lock_entry,
			.handler = bw_lock_return,
			.data_size = sizeof(struct bw_call *),
		},
		.bit = BW_PROBE_LOCK,
		.required = true,
	},
	[BW_P_LIMITS] = {
		/*
		 * Static (6.1 on): the compiler may inline it into brk(). Its
		 * return is hooked only where lockpoint.c does not find the
		 * places that tell its result (bw_limits_choose()).
		 */
		.rp = {
			.kp.symbol_name = "check_brk_limits",
			.entry_handler = bw_limits_entry,
			.handler = bw_limits_return,
			.data_size = sizeof(struct bw_call *),
		},
		.bit = BW_PROBE_LIMITS,
	},
	[BW_P_BRK_FLAGS] = {
		/* its return value only before 6.1 (and after 7.3) */
		.rp = {
			.kp.symbol_name = "do_brk_flags",
			.kp.pre_handler = bw_brk_flags_hit,
			.entry_handler = bw_brk_flags_entry,
			.handler = bw_brk_flags_return,
			.data_size = sizeof(struct bw_call *),
		},
		.bit = BW_PROBE_BRK_FLAGS,
		.wanted = true,
		.entry_only = BW_BRK_FLAGS_ONLY_ENOMEM,
	},
};

/*
 * The kprobes at places inside brk() that lockpoint.c finds: where brk()
 * holds its lock, and the two inside check_brk_limits() that tell its
 * result. Registered disabled by bw_probes_prepare() (where the kprobe
 * core checks the address), armed by bw_probes_init().
 */
enum { BW_PT_LOCK, BW_PT_RANGE, BW_PT_MLOCK, BW_NR_POINTS };

struct bw_point {
	struct kprobe kp;
	bool registered;
	char where[KSYM_SYMBOL_LEN];	/* "function+0x..." */
};

static struct bw_point bw_points[BW_NR_POINTS];

static unsigned long bw_probe_missed(const struct bw_probe *p)
{
	return READ_ONCE(p->rp.nmissed) + READ_ONCE(p->rp.kp.nmissed);
}

NOKPROBE_SYMBOL(bw_probe_missed);

/**
 * bw_probes_inner_missed - misses of the probes inside brk(), so far
 *
 * One during a call (by any task: the counters are shared) means a step
 * may have gone unseen, and no verdict is then decided by elimination.
 * Read twice per call: each probe by name, no loop over them all.
 */
unsigned long bw_probes_inner_missed(void)
{
	return bw_probe_missed(&bw_probes[BW_P_LOCK]) +
	       bw_probe_missed(&bw_probes[BW_P_LIMITS]) +
	       bw_probe_missed(&bw_probes[BW_P_BRK_FLAGS]) +
	       READ_ONCE(bw_points[BW_PT_LOCK].kp.nmissed) +
	       READ_ONCE(bw_points[BW_PT_RANGE].kp.nmissed) +
	       READ_ONCE(bw_points[BW_PT_MLOCK].kp.nmissed);
}

struct bw_tracepoint {
	const char *name;
	void *probe;
	bool wanted;		/* on this kernel */
	struct tracepoint *tp;
	bool registered;
};

static void bw_on_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	bw_history_exec(p);
}

/* Neither tracepoint is exported: found by name. */
static struct bw_tracepoint bw_tracepoints[] = {
	{ .name = "sched_process_exec", .probe = bw_on_exec, .wanted = true },
	{
		.name = "sched_process_exit",
		.probe = bw_tp_process_exit,
		.wanted = BW_EXIT_TRACEPOINT_SEES_MM,
	},
};

static struct kprobe bw_exit_kprobe = {
	.symbol_name = BW_EXIT_MM_SYMBOL,
	.pre_handler = bw_exit_mm_entry,
};

static bool bw_exit_kprobe_registered;

static void bw_find_tracepoint(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bw_tracepoints); i++)
		if (!strcmp(tp->name, bw_tracepoints[i].name))
			bw_tracepoints[i].tp = tp;
}

static void bw_tracepoints_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bw_tracepoints); i++) {
		struct bw_tracepoint *t = &bw_tracepoints[i];

		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
		t->registered = false;
	}
	tracepoint_synchronize_unregister();
}

static int bw_tracepoints_init(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(bw_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(bw_tracepoints); i++) {
		struct bw_tracepoint *t = &bw_tracepoints[i];

		if (!t->wanted)
			continue;
		if (!t->tp) {
			pr_err("tracepoint %s not found\n", t->name);
			err = -ENOENT;
			goto fail;
		}
		err = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n",
			       t->name, err);
			goto fail;
		}
		t->registered = true;
	}
	return 0;
fail:
	bw_tracepoints_exit();
	return err;
}

/* Point @i: a disabled kprobe at @addr with @handler, named for status. */
static int bw_point_try(unsigned int i, unsigned long addr,
			kprobe_pre_handler_t handler)
{
	struct bw_point *pt = &bw_points[i];
	char *end;
	int err;

	memset(&pt->kp, 0, sizeof(pt->kp));
	pt->kp.addr = (kprobe_opcode_t *)addr;
	pt->kp.pre_handler = handler;
	pt->kp.flags = KPROBE_FLAG_DISABLED;
	err = register_kprobe(&pt->kp);
	if (err)
		return err;
	sprint_symbol(pt->where, addr);
	end = strchr(pt->where, '/');	/* "/size" */
	if (end)
		*end = '\0';
	pt->registered = true;
	return 0;
}

static void bw_point_exit(unsigned int i)
{
	if (bw_points[i].registered)
		unregister_kprobe(&bw_points[i].kp);
	bw_points[i].registered = false;
}

/* The registered points into @kps, in order, to be unregistered together. */
static unsigned int bw_points_take(struct kprobe **kps)
{
	unsigned int i, n = 0;

	for (i = 0; i < BW_NR_POINTS; i++) {
		if (bw_points[i].registered)
			kps[n++] = &bw_points[i].kp;
		bw_points[i].registered = false;
	}
	return n;
}

static void bw_points_exit(void)
{
	struct kprobe *kps[BW_NR_POINTS];
	unsigned int n = bw_points_take(kps);

	if (n)
		unregister_kprobes(kps, n);
}

/*
 * Where brk() has just taken its lock, if lockpoint.c finds it and the
 * kprobe core accepts it there: the start of the path with the lock held
 * (which the kprobe core can turn into a jump), else just after the call;
 * else every caller of down_write_killable() is probed, brk() among them.
 */
static void bw_lock_choose(void)
{
	unsigned long after_call, held;
	int err;

	err = bw_lock_point_find(&after_call, &held);
	if (!err && (!held || bw_point_try(BW_PT_LOCK, held, bw_lock_held_hit)))
		err = bw_point_try(BW_PT_LOCK, after_call, bw_lock_point_hit);
	if (err) {
		pr_notice("brk()'s call to down_write_killable() not found (%d): probing every caller of it, which slows mmap(), munmap() and mprotect()\n",
			  err);
		bw_probes[BW_P_LOCK].wanted = true;
		return;
	}
	bw_probes[BW_P_LOCK].wanted = false;
}

/*
 * check_brk_limits()'s result (6.1 on), where lockpoint.c finds the two
 * places that tell it and the kprobe core accepts both; else its return
 * is hooked, which costs each grow more.
 */
static void bw_limits_choose(void)
{
	unsigned long range, mlock;
	bool after_call;
	int err;

	bw_probes[BW_P_LIMITS].wanted = false;
	if (BW_BRK_FLAGS_CHECKS_LIMITS)
		return;
	err = bw_limits_points_find(&range, &mlock, &after_call);
	if (!err)
		err = bw_point_try(BW_PT_RANGE, range, bw_range_hit);
	if (!err)
		err = bw_point_try(BW_PT_MLOCK, mlock,
				   after_call ? bw_mlock_checked_hit :
						bw_mlock_refused_hit);
	if (err) {
		pr_notice("check_brk_limits()'s result not found inside it (%d): hooking its return\n",
			  err);
		bw_point_exit(BW_PT_RANGE);
		bw_probes[BW_P_LIMITS].wanted = true;
	}
}

/* What registering @p sets aside, counted under the memory cap. */
static size_t bw_probe_bytes(const struct bw_probe *p)
{
	if (p->entry_only)
		return 0;
	return bw_kretprobe_bytes(bw_maxactive, p->rp.data_size);
}

static int bw_probe_register(struct bw_probe *p)
{
	if (p->entry_only)
		return register_kprobe(&p->rp.kp);
	p->rp.maxactive = bw_maxactive;
	return register_kretprobe(&p->rp);
}

/*
 * In reverse: the probes inside brk() go before the syscall's, whose
 * snapshots they write into. All at once, the kprobes together and then
 * the kretprobes: unregistering a kprobe the kernel optimized queues its
 * un-optimizing to the kprobe optimizer, whose pass holds kprobe_mutex
 * while it waits for every task to pass through the scheduler, and each
 * unregistering takes that mutex. One after another, each optimized
 * kprobe made the next wait a pass: on the debug kernel, with brk()
 * callers and readers busy, an unload took 22 to 24 s, and 8 to 11 s so.
 */
static void bw_kretprobes_exit(void)
{
	struct kprobe *kps[BW_NR_POINTS + ARRAY_SIZE(bw_probes)];
	struct kretprobe *rps[ARRAY_SIZE(bw_probes)];
	unsigned int i = ARRAY_SIZE(bw_probes), nkps, nrps = 0;

	WRITE_ONCE(bw_probes_armed, false);
	/* before any disarming: a return that reads it set saw every place */
	smp_mb();
	nkps = bw_points_take(kps);
	while (i--) {
		struct bw_probe *p = &bw_probes[i];

		if (p->registered && p->entry_only)
			kps[nkps++] = &p->rp.kp;
		else if (p->registered)
			rps[nrps++] = &p->rp;
		p->registered = false;
	}
	if (nkps)
		unregister_kprobes(kps, nkps);
	if (nrps)
		unregister_kretprobes(rps, nrps);
	bw_probes_present = 0;
}

/* What the probes' instances take, counted under the memory cap. */
static size_t bw_probes_reserved;

/**
 * bw_probes_prepare - choose the lock's probe, count instances under the cap
 *
 * Before anything else takes memory: the kretprobes' instances are a
 * fixed cost, the pools of ready objects only a cache that fills what is
 * left. Which probe follows the lock decides whether down_write_killable()
 * needs instances, so that is chosen first; nothing is armed yet.
 *
 * Return: 0, or -ENOSPC (one kernel-log line says why) when the instances
 * do not fit in memory_cap_kib.
 */
int bw_probes_prepare(void)
{
	size_t bytes = 0;
	unsigned int i;

	bw_lock_choose();
	bw_limits_choose();
	for (i = 0; i < ARRAY_SIZE(bw_probes); i++)
		if (bw_probes[i].wanted)
			bytes += bw_probe_bytes(&bw_probes[i]);
	if (!bw_memory_add(bytes)) {
		pr_err("memory_cap_kib too small: %u instances of each probe need %zu bytes on %u CPUs, over the cap; not loading\n",
		       bw_maxactive, bytes, num_possible_cpus());
		bw_points_exit();
		return -ENOSPC;
	}
	bw_probes_reserved = bytes;
	return 0;
}

/**
 * bw_probes_release - undo bw_probes_prepare()
 */
void bw_probes_release(void)
{
	bw_points_exit();
	bw_memory_sub(bw_probes_reserved);
	bw_probes_reserved = 0;
}

/*
 * The syscall entries first, so that every call the probes inside brk()
 * see has a snapshot to fill; the calls that begin before the last probe
 * is armed are incomplete (bw_probes_armed): before 6.1, one could pass
 * do_brk_flags() before it was probed, be refused there, and look refused
 * by the overlap check.
 */
static int bw_kretprobes_init(void)
{
	unsigned int i;
	size_t bytes;
	int err;

	for (i = 0; i < ARRAY_SIZE(bw_probes); i++) {
		struct bw_probe *p = &bw_probes[i];

		if (!p->wanted)
			continue;
		err = bw_probe_register(p);
		if (!err) {
			p->registered = true;
			bw_probes_present |= p->bit;
			continue;
		}
		if (p->required) {
			pr_err("cannot probe %s (%d): needed, not loading\n",
			       p->rp.kp.symbol_name, err);
			bw_kretprobes_exit();
			return err;
		}
		pr_notice("%s cannot be probed (%d): verdicts that need it will be \"unknown\"\n",
			  p->rp.kp.symbol_name, err);
		/* its instances were never made */
		bytes = bw_probe_bytes(p);
		bw_memory_sub(bytes);
		bw_probes_reserved -= bytes;
	}
	/*
	 * In reverse: the place where the mlock limit refuses is armed before
	 * the range check's, so that no call sees the range pass and then
	 * misses it (bw_brk_return() would take that for the limit passing);
	 * bw_points_exit() removes them in the other order.
	 */
	i = BW_NR_POINTS;
	while (i--) {
		if (!bw_points[i].registered)
			continue;
		err = enable_kprobe(&bw_points[i].kp);
		if (err) {
			pr_err("cannot arm the probe at %s (%d): needed, not loading\n",
			       bw_points[i].where, err);
			bw_kretprobes_exit();
			return err;
		}
	}
	if (bw_points[BW_PT_LOCK].registered)
		bw_probes_present |= BW_PROBE_LOCK;
	if (bw_points[BW_PT_MLOCK].registered)
		bw_probes_present |= BW_PROBE_LIMITS;
	/* set only after every probe is armed, for the calls that begin next */
	smp_wmb();
	WRITE_ONCE(bw_probes_armed, true);
	return 0;
}

static int bw_exit_kprobe_init(void)
{
	int err;

	if (BW_EXIT_TRACEPOINT_SEES_MM)
		return 0;
	err = register_kprobe(&bw_exit_kprobe);
	if (err) {
		pr_err("cannot probe %s (%d): needed, not loading\n",
		       bw_exit_kprobe.symbol_name, err);
		return err;
	}
	bw_exit_kprobe_registered = true;
	return 0;
}

static void bw_exit_kprobe_exit(void)
{
	if (bw_exit_kprobe_registered)
		unregister_kprobe(&bw_exit_kprobe);
	bw_exit_kprobe_registered = false;
}

/**
 * bw_probes_init - attach to the tracepoints and register the probes
 *
 * Return: 0, or the error of a probe brkwatch cannot do without (one
 * kernel-log line names it); nothing stays registered then.
 */
int bw_probes_init(void)
{
	int err = bw_tracepoints_init();

	if (err)
		return err;
	err = bw_exit_kprobe_init();
	if (err)
		goto fail_exit;
	err = bw_kretprobes_init();
	if (err)
		goto fail_kretprobes;
	return 0;

fail_kretprobes:
	bw_exit_kprobe_exit();
fail_exit:
	bw_tracepoints_exit();
	return err;
}

/**
 * bw_probes_exit - unregister everything bw_probes_init() registered
 */
void bw_probes_exit(void)
{
	bw_kretprobes_exit();
	bw_exit_kprobe_exit();
	bw_tracepoints_exit();
}

/**
 * bw_probes_describe - the "probes:" and "probes_missing:" lines of status
 * @m: the status file
 */
void bw_probes_describe(struct seq_file *m)
{
	unsigned int i;
	bool any = false;

	seq_puts(m, "probes:");
	for (i = 0; i < ARRAY_SIZE(bw_probes); i++) {
		if (i == BW_P_LOCK && bw_points[BW_PT_LOCK].registered)
			seq_printf(m, " %s", bw_points[BW_PT_LOCK].where);
		if (i == BW_P_LIMITS && bw_points[BW_PT_MLOCK].registered)
			seq_printf(m, " %s %s", bw_points[BW_PT_RANGE].where,
				   bw_points[BW_PT_MLOCK].where);
		if (bw_probes[i].registered)
			seq_printf(m, " %s", bw_probes[i].rp.kp.symbol_name);
	}
	if (bw_exit_kprobe_registered)
		seq_printf(m, " %s", bw_exit_kprobe.symbol_name);
	seq_puts(m, "\nprobes_missing:");
	for (i = 0; i < ARRAY_SIZE(bw_probes); i++) {
		if (bw_probes[i].wanted && !bw_probes[i].registered) {
			seq_printf(m, " %s", bw_probes[i].rp.kp.symbol_name);
			any = true;
		}
	}
	seq_puts(m, any ? "\n" : " -\n");
}

/**
 * bw_probes_syscall_faults - the x64 syscall kretprobe's kprobe misses
 *
 * Called from its return handler (stack.c) around the stack copy, where
 * kernels before 5.14 count each fault as one of them (compat.h).
 */
unsigned long bw_probes_syscall_faults(void)
{
	return READ_ONCE(bw_probes[BW_P_X64].rp.kp.nmissed);
}

NOKPROBE_SYMBOL(bw_probes_syscall_faults);

/**
 * bw_probes_missed - calls that entered a probed function unfollowed
 *
 * Every kretprobe's misses (all instances busy) and kprobe misses
 * (re-entry), for status's kretprobe_missed; not the faults of the stack
 * copies that kernels before 5.14 count among them (compat.h).
 */
unsigned long bw_probes_missed(void)
{
	unsigned long missed = 0;
	struct bw_stats s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bw_probes); i++)
		if (bw_probes[i].registered)
			missed += bw_probes[i].rp.nmissed +
				  bw_probes[i].rp.kp.nmissed;
	for (i = 0; i < BW_NR_POINTS; i++)
		missed += bw_points[i].kp.nmissed;
	if (BW_HANDLER_FAULT_IS_MISS) {
		bw_stats_sum(&s);
		missed -= min_t(unsigned long, missed, s.stacks_faults);
	}
	return missed;
}

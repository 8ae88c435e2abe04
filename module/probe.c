// SPDX-License-Identifier: GPL-2.0
/*
 * The probes: registering them, and the handlers, nothing else.
 *
 * A kretprobe on the brk syscall entry starts a snapshot of the call in
 * its instance data and the return handler hands it to the history. In
 * between, kretprobes inside brk() fill the snapshot in: the return of
 * down_write_killable() on the caller's mmap lock (the state brk() starts
 * from, read while the call holds the lock, so no other thread can change
 * it; a process alone on its mm has it read at entry instead), the return
 * of check_brk_limits() and the entry of do_brk_flags() (which of the late
 * steps refused). Exit and exec are followed by their tracepoints.
 *
 * The handlers run in the calling task with preemption disabled: they
 * never sleep, never allocate and take no global lock.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include "internal.h"

bool bw_paused;

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
	call->based = false;
	call->limits_checked = false;
	call->brk_flags_called = false;
	call->next_found = false;
	/*
	 * Only tasks using this mm change its heap, and only the caller can
	 * add one (a thread): alone on it now, the caller finds the base as
	 * it is here once it holds the lock, and the lock's return need not
	 * be hooked. Others taking a reference (a /proc reader) only read.
	 */
	if (atomic_read(&mm->mm_users) == 1)
		bw_read_base(call, mm);
	if (!bw_inflight_enter(call))
		bw_count(inflight_overflow);
	return 0;
}

/* The syscall wrappers take the user's registers as their argument. */
static int bw_brk64_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct pt_regs *user = (const struct pt_regs *)regs->di;

	return bw_brk_start(ri, user->di, false);
}

static int bw_brk32_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct pt_regs *user = (const struct pt_regs *)regs->di;

	return bw_brk_start(ri, (u32)user->bx, true);
}

static int bw_brk_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bw_call *call = (struct bw_call *)ri->data;

	bw_inflight_leave();
	bw_history_record(call, (long)regs_return_value(regs));
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

/* Every mmap() and munmap() passes here: leave fast unless in brk(). */
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
	if (!(int)regs_return_value(regs))	/* else killed while waiting */
		bw_read_base(bw_step_call(ri), current->mm);
	return 0;
}

static int bw_limits_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	return bw_step_entry(ri, call && call->based ? call : NULL);
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
 * The heap may grow: note the mapping above it, which the overlap check
 * that follows will look at. The call holds the mmap lock for writing, so
 * the tree cannot change under find_vma().
 */
static int bw_limits_return(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct bw_call *call = bw_step_call(ri);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *next;

	call->limits_ret = (int)regs_return_value(regs);
	call->limits_checked = true;
	if (call->limits_ret)
		return 0;
	next = find_vma(mm, PAGE_ALIGN(call->brk));
	if (next) {
		call->next_found = true;
		call->next_start = next->vm_start;
		call->next_end = next->vm_end;
		call->next_flags = next->vm_flags;
		call->next_kind = bw_next_kind(mm, next);
	}
	return 0;
}

/*
 * Reaching do_brk_flags() is all the verdict needs: returning non-zero,
 * the entry handler leaves the return unhooked. The ELF loader calls it
 * too (vm_brk_flags()), outside any brk() call.
 */
static int bw_brk_flags_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct bw_call *call = bw_inflight_find();

	if (call && call->based)
		call->brk_flags_called = true;
	return 1;
}

/* A probe hit inside a handler would recurse. */
NOKPROBE_SYMBOL(bw_brk64_entry);
NOKPROBE_SYMBOL(bw_brk32_entry);
NOKPROBE_SYMBOL(bw_brk_return);
NOKPROBE_SYMBOL(bw_lock_entry);
NOKPROBE_SYMBOL(bw_lock_return);
NOKPROBE_SYMBOL(bw_limits_entry);
NOKPROBE_SYMBOL(bw_limits_return);
NOKPROBE_SYMBOL(bw_brk_flags_entry);

/* ---- Registration ---- */

struct bw_probe {
	struct kretprobe rp;
	bool required;
	bool registered;
};

static struct bw_probe bw_probes[] = {
	{
		.rp = {
			.kp.symbol_name = "__x64_sys_brk",
			.entry_handler = bw_brk64_entry,
			.handler = bw_brk_return,
			.data_size = sizeof(struct bw_call),
		},
		.required = true,
	},
	{
		/* absent without CONFIG_IA32_EMULATION */
		.rp = {
			.kp.symbol_name = "__ia32_sys_brk",
			.entry_handler = bw_brk32_entry,
			.handler = bw_brk_return,
			.data_size = sizeof(struct bw_call),
		},
	},
	{
		.rp = {
			.kp.symbol_name = "down_write_killable",
			.entry_handler = bw_lock_entry,
			.handler = bw_lock_return,
			.data_size = sizeof(struct bw_call *),
		},
		.required = true,
	},
	{
		/* static: the compiler may inline it into brk() */
		.rp = {
			.kp.symbol_name = "check_brk_limits",
			.entry_handler = bw_limits_entry,
			.handler = bw_limits_return,
			.data_size = sizeof(struct bw_call *),
		},
	},
	{
		.rp = {
			.kp.symbol_name = "do_brk_flags",
			.entry_handler = bw_brk_flags_entry,
		},
	},
};

struct bw_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static void bw_on_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	bw_history_exec(p);
}

static void bw_on_exit(void *data, struct task_struct *p)
{
	bw_history_task_exit(p);
}

/* Neither tracepoint is exported: found by name. */
static struct bw_tracepoint bw_tracepoints[] = {
	{ .name = "sched_process_exec", .probe = bw_on_exec },
	{ .name = "sched_process_exit", .probe = bw_on_exit },
};

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

		if (t->tp)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
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

		if (!t->tp) {
			pr_err("brkwatch: tracepoint %s not found\n", t->name);
			err = -ENOENT;
			goto fail;
		}
		err = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (err) {
			pr_err("brkwatch: cannot attach to tracepoint %s: %d\n",
			       t->name, err);
			t->tp = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	bw_tracepoints_exit();
	return err;
}

/*
 * In reverse: the probes inside brk() go before the syscall's, whose
 * snapshots they write into.
 */
static void bw_kretprobes_exit(void)
{
	unsigned int i = ARRAY_SIZE(bw_probes);

	while (i--) {
		if (bw_probes[i].registered)
			unregister_kretprobe(&bw_probes[i].rp);
		bw_probes[i].registered = false;
	}
}

/*
 * The syscall entry first, so that the probes inside brk() find nothing
 * to fill until every probe is in: a call that started before then simply
 * has no snapshot, and its verdict says "unknown".
 */
static int bw_kretprobes_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(bw_probes); i++) {
		struct bw_probe *p = &bw_probes[i];

		p->rp.maxactive = bw_maxactive;
		err = register_kretprobe(&p->rp);
		if (!err) {
			p->registered = true;
			continue;
		}
		if (p->required) {
			pr_err("brkwatch: cannot probe %s (%d): needed, not loading\n",
			       p->rp.kp.symbol_name, err);
			bw_kretprobes_exit();
			return err;
		}
		pr_notice("brkwatch: %s cannot be probed (%d): verdicts that need it will be \"unknown\"\n",
			  p->rp.kp.symbol_name, err);
	}
	return 0;
}

int bw_probes_init(void)
{
	int err = bw_tracepoints_init();

	if (err)
		return err;
	err = bw_kretprobes_init();
	if (err)
		bw_tracepoints_exit();
	return err;
}

void bw_probes_exit(void)
{
	bw_kretprobes_exit();
	bw_tracepoints_exit();
}

void bw_probes_describe(struct seq_file *m)
{
	unsigned int i;
	bool any = false;

	seq_puts(m, "probes:");
	for (i = 0; i < ARRAY_SIZE(bw_probes); i++)
		if (bw_probes[i].registered)
			seq_printf(m, " %s", bw_probes[i].rp.kp.symbol_name);
	seq_puts(m, "\nprobes_missing:");
	for (i = 0; i < ARRAY_SIZE(bw_probes); i++) {
		if (!bw_probes[i].registered) {
			seq_printf(m, " %s", bw_probes[i].rp.kp.symbol_name);
			any = true;
		}
	}
	seq_puts(m, any ? "\n" : " -\n");
}

/* Calls that entered a probed function while all instances were busy. */
unsigned long bw_probes_missed(void)
{
	unsigned long missed = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bw_probes); i++)
		if (bw_probes[i].registered)
			missed += bw_probes[i].rp.nmissed +
				  bw_probes[i].rp.kp.nmissed;
	return missed;
}

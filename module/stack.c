// SPDX-License-Identifier: GPL-2.0
/*
 * Stacks: for the processes that asked for them ("stacks PID"), the user
 * registers and the top of the user stack at each brk() call, so that the
 * reader can unwind them with the binaries' call frame information.
 *
 * Each such process has one store, allocated whole in the control write
 * (process context, counted under the memory cap) and never in a probe:
 * stack_records slots of stack_bytes each, a ring, newest overwriting the
 * oldest, kept sorted by the calls' numbers through an index of the slots
 * (so that a reader finds a call's stack by halves). The store belongs to
 * the process's history once it has one (history.c attaches it, or keeps
 * it as a wish until the first call) and is freed with it, on "nostacks",
 * or at unload.
 *
 * The format of the "# stack" line is in module/ABI/procfs-brkwatch.
 */
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "internal.h"
#include "pool.h"

/* Every store, attached or still a wish; under bw_stacks_mutex. */
static DEFINE_MUTEX(bw_stacks_mutex);
static LIST_HEAD(bw_stacks_all);
static unsigned long bw_stacks_nr;

/* The size of one slot: its header, then stack_bytes of data, aligned. */
size_t bw_stack_slot_size(void)
{
	return ALIGN(offsetof(struct bw_stack_slot, data) + bw_stack_bytes, 8);
}

static struct bw_stack_slot *bw_stacks_slot(struct bw_stacks *s,
					    unsigned int i)
{
	return (struct bw_stack_slot *)(s->slots + (size_t)i * s->slot_size);
}

/* Process context: a store for @tgid, counted under the cap, or NULL. */
static struct bw_stacks *bw_stacks_alloc(struct pid *tgid, pid_t nr)
{
	size_t slot = bw_stack_slot_size();
	struct bw_stacks *s;
	size_t data = slot * bw_stack_records;
	size_t bytes = struct_size(s, slots, data) +
		       bw_stack_records * sizeof(*s->order);
	unsigned int i;

	if (!bw_memory_add(bytes))
		return NULL;
	s = kvzalloc(bytes, GFP_KERNEL | __GFP_NOWARN);
	if (!s) {
		bw_memory_sub(bytes);
		return NULL;
	}
	raw_spin_lock_init(&s->lock);
	s->tgid = get_pid(tgid);
	s->nr = nr;
	s->bytes = bytes;
	s->slot_size = slot;
	/* after the slots, whose size is a multiple of 8 */
	s->order = (u32 *)(s->slots + data);
	for (i = 0; i < bw_stack_records; i++)
		s->order[i] = i;
	INIT_HLIST_NODE(&s->wish);
	INIT_LIST_HEAD(&s->link);
	return s;
}

/* Process context, no probe or reader can reach @s any more. */
static void bw_stacks_free(struct bw_stacks *s)
{
	size_t bytes = s->bytes;

	put_pid(s->tgid);
	kvfree(s);
	bw_memory_sub(bytes);
}

/*
 * Up to stack_bytes of user memory at @sp into @to, a page at a time,
 * without faulting: the copy stops at the first page that cannot be read,
 * so what is copied is exactly what the process has there.
 */
static u32 bw_stacks_copy(u8 *to, unsigned long sp)
{
	u32 done = 0;

	while (done < bw_stack_bytes) {
		unsigned long from = sp + done;
		u32 chunk = min_t(unsigned long, bw_stack_bytes - done,
				  PAGE_SIZE - offset_in_page(from));

		if (from < sp ||
		    copy_from_user_nofault(to + done, (const void __user *)from,
					   chunk))
			break;
		done += chunk;
	}
	return done;
}

/*
 * The user registers in DWARF order (x86-64 psABI): rax, rdx, rcx, rbx,
 * rsi, rdi, rbp, rsp, r8 to r15, rip. rax is orig_ax, the syscall number:
 * ax itself is not the user's any more at the syscall.
 */
static void bw_stacks_regs(u64 *to, const struct pt_regs *regs)
{
	to[0] = regs->orig_ax;
	to[1] = regs->dx;
	to[2] = regs->cx;
	to[3] = regs->bx;
	to[4] = regs->si;
	to[5] = regs->di;
	to[6] = regs->bp;
	to[7] = regs->sp;
	to[8] = regs->r8;
	to[9] = regs->r9;
	to[10] = regs->r10;
	to[11] = regs->r11;
	to[12] = regs->r12;
	to[13] = regs->r13;
	to[14] = regs->r14;
	to[15] = regs->r15;
	to[16] = regs->ip;
}

/* Under s->lock: the place in order of the @i-th oldest stack kept, from 0. */
static unsigned int bw_stacks_place(const struct bw_stacks *s, unsigned int i)
{
	unsigned int first = s->filled < bw_stack_records ? 0 : s->next;

	return (first + i) % bw_stack_records;
}

/* Under s->lock: the @i-th oldest stack kept, from 0. */
static struct bw_stack_slot *bw_stacks_nth(struct bw_stacks *s,
					   unsigned int i)
{
	return bw_stacks_slot(s, s->order[bw_stacks_place(s, i)]);
}

/*
 * Under s->lock: the newest stack, at the last place, moved down to the
 * place its number gives it among the others. A call of a thread that
 * returned after calls numbered after it goes back by as many places as
 * they are: none, as a rule.
 */
static void bw_stacks_sort_newest(struct bw_stacks *s)
{
	unsigned int i = s->filled - 1;
	u32 *a, *b;

	for (; i > 0; i--) {
		a = &s->order[bw_stacks_place(s, i - 1)];
		b = &s->order[bw_stacks_place(s, i)];
		if (bw_stacks_slot(s, *a)->seq < bw_stacks_slot(s, *b)->seq)
			break;
		swap(*a, *b);
	}
}

/**
 * bw_stacks_capture - keep the current task's registers and stack top
 * @s: its process's store
 * @seq: the number of the call being recorded
 *
 * Probe context, in the calling task, under its history's lock (so that a
 * reader finds the stack as soon as it finds the call). Allocates nothing;
 * the user memory is read without faulting.
 */
void bw_stacks_capture(struct bw_stacks *s, u64 seq)
{
	const struct pt_regs *regs = task_pt_regs(current);
	struct bw_stack_slot *slot;
	unsigned long faults = 0;
	bool evicted;
	u32 bytes;

	raw_spin_lock(&s->lock);
	/* the oldest place, once all are in use */
	slot = bw_stacks_slot(s, s->order[s->next]);
	evicted = slot->seq;
	slot->seq = seq;
	bw_stacks_regs(slot->regs, regs);
	if (BW_HANDLER_FAULT_IS_MISS)
		faults = bw_probes_syscall_faults();
	bytes = bw_stacks_copy(slot->data, regs->sp);
	if (BW_HANDLER_FAULT_IS_MISS)
		bw_count_add(stacks_faults, bw_probes_syscall_faults() - faults);
	slot->bytes = bytes;
	if (++s->next == bw_stack_records)
		s->next = 0;
	if (s->filled < bw_stack_records)
		s->filled++;
	bw_stacks_sort_newest(s);
	raw_spin_unlock(&s->lock);

	bw_count(stacks_stored);
	if (evicted)
		bw_count(stacks_dropped_ring);
	if (bytes < bw_stack_bytes)
		bw_count(stacks_short);
}

/**
 * bw_stacks_find - copy the stack of one call of a history, if kept
 * @p: the history
 * @seq: the call's number
 * @out: a slot of bw_stack_slot_size() bytes
 *
 * Process context (a reader). The ring is kept in the order of the
 * calls' numbers (bw_stacks_sort_newest()), and is searched by halves.
 *
 * Return: true if the call's stack was copied to @out.
 */
bool bw_stacks_find(struct bw_history *p, u64 seq, struct bw_stack_slot *out)
{
	struct bw_stack_slot *slot;
	unsigned int lo, hi, mid;
	struct bw_stacks *s;
	bool found = false;

	rcu_read_lock();
	s = rcu_dereference(p->stacks);
	if (s) {
		raw_spin_lock(&s->lock);
		lo = 0;
		hi = s->filled;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (bw_stacks_nth(s, mid)->seq < seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		slot = lo < s->filled ? bw_stacks_nth(s, lo) : NULL;
		if (slot && slot->seq == seq) {
			memcpy(out, slot, offsetof(struct bw_stack_slot, data) +
			       slot->bytes);
			found = true;
		}
		raw_spin_unlock(&s->lock);
	}
	rcu_read_unlock();
	return found;
}

/**
 * bw_stacks_show - the "# stack" line of one call
 * @m: the history file
 * @slot: the call's stack, from bw_stacks_find()
 */
void bw_stacks_show(struct seq_file *m, const struct bw_stack_slot *slot)
{
	unsigned int i, chunk;

	seq_printf(m, "# stack seq=%llu regs=", slot->seq);
	for (i = 0; i < BW_STACK_REGS; i++)
		seq_printf(m, "%s0x%016llx", i ? "," : "", slot->regs[i]);
	seq_printf(m, " bytes=%u data=", slot->bytes);
	/* %*phN prints at most 64 bytes at once */
	for (i = 0; i < slot->bytes; i += chunk) {
		chunk = min_t(unsigned int, slot->bytes - i, 64);
		seq_printf(m, "%*phN", chunk, slot->data + i);
	}
	seq_putc(m, '\n');
}

/*
 * Under bw_stacks_mutex: the store of the process @tgid, or with no such
 * process (it was reaped), the store of the one that had the pid @nr.
 */
static struct bw_stacks *bw_stacks_lookup(struct pid *tgid, pid_t nr)
{
	struct bw_stacks *s;

	list_for_each_entry(s, &bw_stacks_all, link)
		if (tgid ? s->tgid == tgid : s->nr == nr)
			return s;
	return NULL;
}

/**
 * bw_stacks_on - the control command "stacks PID"
 * @nr: the process, in the initial PID namespace
 *
 * Process context. Idempotent; nothing changes on error.
 *
 * Return: 0, -ESRCH (no such process), or -ENOMEM (over the memory cap, or
 * no memory).
 */
int bw_stacks_on(pid_t nr)
{
	struct task_struct *task;
	struct bw_stacks *s;
	struct pid *tgid;
	int err = 0;

	rcu_read_lock();
	tgid = get_pid(find_pid_ns(nr, &init_pid_ns));
	rcu_read_unlock();
	if (!tgid)
		return -ESRCH;
	rcu_read_lock();
	task = pid_task(tgid, PIDTYPE_TGID);
	if (!task || (task->flags & PF_KTHREAD))
		err = -ESRCH;
	rcu_read_unlock();
	if (err)
		goto out;

	mutex_lock(&bw_stacks_mutex);
	if (bw_stacks_lookup(tgid, nr))
		goto unlock;
	s = bw_stacks_alloc(tgid, nr);
	if (!s) {
		err = -ENOMEM;
		goto unlock;
	}
	list_add_tail(&s->link, &bw_stacks_all);
	bw_stacks_nr++;
	bw_history_stacks_attach(s);
unlock:
	mutex_unlock(&bw_stacks_mutex);
out:
	put_pid(tgid);
	return err;
}

/**
 * bw_stacks_off - the control command "nostacks PID"
 * @nr: the process, in the initial PID namespace
 *
 * Process context: the store is taken from the process's history (or its
 * wish), and freed once no probe or reader can hold it.
 *
 * Return: 0, or -ESRCH when stacks are not on for @nr.
 */
int bw_stacks_off(pid_t nr)
{
	struct bw_stacks *s;
	struct pid *tgid;

	rcu_read_lock();
	tgid = get_pid(find_pid_ns(nr, &init_pid_ns));
	if (tgid && !pid_task(tgid, PIDTYPE_TGID)) {
		/* a number in use, but not a process: only an old store */
		put_pid(tgid);
		tgid = NULL;
	}
	rcu_read_unlock();

	mutex_lock(&bw_stacks_mutex);
	s = bw_stacks_lookup(tgid, nr);
	if (s) {
		bw_history_stacks_detach(s);
		list_del(&s->link);
		bw_stacks_nr--;
	}
	mutex_unlock(&bw_stacks_mutex);
	put_pid(tgid);
	if (!s)
		return -ESRCH;
	synchronize_rcu();
	bw_stacks_free(s);
	return 0;
}

/**
 * bw_stacks_release - free a history's store with the history
 * @p: the history, which no probe or reader can reach any more
 */
void bw_stacks_release(struct bw_history *p)
{
	struct bw_stacks *s;

	mutex_lock(&bw_stacks_mutex);
	s = rcu_dereference_protected(p->stacks,
				      lockdep_is_held(&bw_stacks_mutex));
	if (s) {
		RCU_INIT_POINTER(p->stacks, NULL);
		list_del(&s->link);
		bw_stacks_nr--;
	}
	mutex_unlock(&bw_stacks_mutex);
	if (s)
		bw_stacks_free(s);
}

/**
 * bw_stacks_reap - free the wishes of processes that ended without a call
 *
 * The worker's, process context. A process that is gone (no task has its
 * pid any more) can make no call: its wish would never be taken.
 */
void bw_stacks_reap(void)
{
	struct bw_stacks *s, *next;
	LIST_HEAD(dead);
	bool gone;

	mutex_lock(&bw_stacks_mutex);
	list_for_each_entry_safe(s, next, &bw_stacks_all, link) {
		rcu_read_lock();
		gone = !pid_task(s->tgid, PIDTYPE_TGID);
		rcu_read_unlock();
		if (gone && bw_history_stacks_drop_wish(s)) {
			list_move(&s->link, &dead);
			bw_stacks_nr--;
		}
	}
	mutex_unlock(&bw_stacks_mutex);
	/* a wish is reached by no probe: no grace period needed */
	list_for_each_entry_safe(s, next, &dead, link)
		bw_stacks_free(s);
}

/**
 * bw_stacks_processes - how many processes have stacks on, for status
 */
unsigned long bw_stacks_processes(void)
{
	unsigned long nr;

	mutex_lock(&bw_stacks_mutex);
	nr = bw_stacks_nr;
	mutex_unlock(&bw_stacks_mutex);
	return nr;
}

/**
 * bw_stacks_exit - at unload, after every history was freed: the wishes
 */
void bw_stacks_exit(void)
{
	struct bw_stacks *s, *next;

	mutex_lock(&bw_stacks_mutex);
	list_for_each_entry_safe(s, next, &bw_stacks_all, link) {
		WARN_ON_ONCE(!bw_history_stacks_drop_wish(s));
		list_del(&s->link);
		bw_stacks_free(s);
	}
	bw_stacks_nr = 0;
	mutex_unlock(&bw_stacks_mutex);
}

/* Called by the probe handlers: a probe hit in them would recurse. */
NOKPROBE_SYMBOL(bw_stacks_capture);
NOKPROBE_SYMBOL(bw_stacks_copy);
NOKPROBE_SYMBOL(bw_stacks_regs);
NOKPROBE_SYMBOL(bw_stacks_slot);
NOKPROBE_SYMBOL(bw_stacks_place);
NOKPROBE_SYMBOL(bw_stacks_sort_newest);

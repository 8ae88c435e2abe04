// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process histories: a bounded ring of records for each process that
 * called brk(), kept after the process exits, forgotten oldest first.
 *
 * Two contexts meet here. The probes (atomic, any CPU) find a history by
 * pid in an RCU hash table, create one from a pool when a process calls
 * brk() for the first time, and append under the history's own raw
 * spinlock: no lock is shared by all CPUs, and nothing is allocated under
 * a raw lock. Everything that may sleep (creating and removing /proc
 * files, freeing, refilling the pools) is done by the worker, its lists
 * under bw_lock; the probes hand it work through a lock-free list, a
 * history on it at most once at a time (bw_handoff()).
 *
 * A history is freed only after it left the hash table, its /proc file
 * was removed (proc_remove() waits for readers, so bw_lock is not held
 * then) and an RCU grace period passed (no probe still holds it).
 */
#include <linux/bits.h>
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include "compat.h"
#include "internal.h"
#include "pool.h"

/*
 * Histories are found by pid in BIT(BW_HASH_BITS) RCU chains: enough that
 * a lookup stays a step or two long with tens of thousands of histories,
 * so the probes' cost does not grow with them. Writers lock one of
 * BIT(BW_LOCK_BITS) stripes of chains.
 */
#define BW_HASH_BITS		14
#define BW_LOCK_BITS		8
/*
 * Objects kept ready per CPU. PREEMPT_RT cannot fall back to allocating in
 * the probes, so it keeps more.
 */
#define BW_CHUNKS_READY		(IS_ENABLED(CONFIG_PREEMPT_RT) ? 128 : 32)
#define BW_PROCS_READY		(IS_ENABLED(CONFIG_PREEMPT_RT) ? 32 : 8)

static struct hlist_head *bw_chains;
static raw_spinlock_t bw_chain_locks[BIT(BW_LOCK_BITS)];

/*
 * Stacks asked for processes that have no history yet (stack.c): by the
 * stripe of their pid, under its chain lock, so that the first call takes
 * its process's wish as it creates the history. Counted, so that history
 * creation looks only when there is one.
 */
static struct hlist_head bw_wishes[BIT(BW_LOCK_BITS)];
static atomic_t bw_wishes_nr = ATOMIC_INIT(0);

static struct bw_pool bw_chunks;
static struct bw_pool bw_procs_pool;

/* From atomic context to the worker: bw_handoff(). */
static LLIST_HEAD(bw_handoffs);

/* The worker's view, under bw_lock. */
static DEFINE_MUTEX(bw_lock);
static LIST_HEAD(bw_running);		/* those of running processes */
static LIST_HEAD(bw_exited);		/* kept after exit, oldest exit first */
static LIST_HEAD(bw_dying);		/* retired, not yet freed */
static DEFINE_XARRAY(bw_files);		/* pid -> the history with its file */
static atomic_t bw_gens;		/* bw_history.gen */
static unsigned long bw_nr_running;
static unsigned long bw_nr_exited;
static unsigned long bw_nr_unlisted;	/* running or exited, no file yet */

/* bw_history.list: the list its link is on, of the three above */
enum bw_list {
	BW_LIST_NONE,		/* not taken in by the worker yet */
	BW_LIST_RUNNING,
	BW_LIST_EXITED,
	BW_LIST_DYING,
};

static void bw_maintain_work(struct work_struct *work);
static void bw_refill_work_fn(struct work_struct *work);
static DECLARE_WORK(bw_kick_work, bw_maintain_work);
static DECLARE_WORK(bw_refill_work, bw_refill_work_fn);
static DECLARE_DELAYED_WORK(bw_tick_work, bw_maintain_work);
static bool bw_stopping;

static struct hlist_head *bw_chain(pid_t pid)
{
	return &bw_chains[hash_32(pid, BW_HASH_BITS)];
}

static unsigned int bw_stripe(pid_t pid)
{
	return hash_32(pid, BW_HASH_BITS) % BIT(BW_LOCK_BITS);
}

static raw_spinlock_t *bw_chain_lock(pid_t pid)
{
	return &bw_chain_locks[bw_stripe(pid)];
}

/*
 * Under the chain lock of @p's pid, before @p is in the table: the wish
 * for @p's process, if there is one, becomes @p's store.
 */
static void bw_take_wish(struct bw_history *p)
{
	struct bw_stacks *s;

	if (likely(!atomic_read(&bw_wishes_nr)))
		return;
	hlist_for_each_entry(s, &bw_wishes[bw_stripe(p->pid)], wish) {
		if (s->tgid == p->tgid) {
			hlist_del_init(&s->wish);
			atomic_dec(&bw_wishes_nr);
			s->proc = p;
			rcu_assign_pointer(p->stacks, s);
			return;
		}
	}
}

/* Atomic context: ask the worker to run soon. */
static void bw_kick(void)
{
	if (!READ_ONCE(bw_stopping))
		queue_work(bw_unbound_wq(), &bw_kick_work);
}

/*
 * Any context: hand @p to the worker, for @why (BW_HANDOFF_*). Its node is
 * on bw_handoffs at most once: only a reason given while none is pending
 * puts it there, and the worker takes every pending reason at once
 * (bw_collect()), before it may be put there again.
 */
static void bw_handoff(struct bw_history *p, int why)
{
	if (!atomic_fetch_or(why, &p->handoff)) {
		llist_add(&p->handoff_node, &bw_handoffs);
		bw_kick();
	}
}

/* Atomic context: count a record that could not be stored. */
static void bw_count_no_memory(size_t want)
{
	if (bw_memory_used() + want > bw_memory_cap())
		bw_count(dropped_memcap);
	else
		bw_count(dropped_nomem);
	bw_kick();
}

/*
 * Atomic context, raw locks held too: an object made ready, or NULL; more
 * are asked for when they run low. The refill is queued at high priority
 * on this CPU, so it runs as soon as the calling task leaves the kernel: a
 * burst of brk() calls does not outrun it.
 */
static void *bw_take_ready(struct bw_pool *pool)
{
	void *obj = bw_pool_get(pool);

	if ((!obj || bw_pool_low(pool)) && !READ_ONCE(bw_stopping))
		queue_work(system_highpri_wq, &bw_refill_work);
	return obj;
}

/*
 * Atomic context, no raw lock held: an object made ready, else one
 * allocated where the kernel allows it; NULL counted as a loss.
 */
static void *bw_take(struct bw_pool *pool)
{
	void *obj = bw_take_ready(pool);

	if (!obj)
		obj = bw_pool_get_nowait(pool);
	if (!obj)
		bw_count_no_memory(pool->size);
	return obj;
}

/*
 * Under p->lock, RCU held: who owns @tsk's process now, and whether it is
 * dumpable. Noted when the history begins, at each exec and at exit: what
 * decides who may read the history of a process that has exited
 * (access.c); a live one is asked about at each open.
 */
static void bw_proc_note_owner(struct bw_history *p, struct task_struct *tsk)
{
	const struct cred *cred = __task_cred(tsk);

	p->uid = cred->uid;
	p->gid = cred->gid;
	p->owner_reads = uid_eq(cred->uid, cred->euid) &&
			 uid_eq(cred->uid, cred->suid) &&
			 gid_eq(cred->gid, cred->egid) &&
			 gid_eq(cred->gid, cred->sgid) && bw_task_dumpable(tsk);
}

static void bw_proc_note_heap(struct bw_history *p, struct mm_struct *mm)
{
	p->start_brk = mm->start_brk;
	p->start_data = mm->start_data;
	p->end_data = mm->end_data;
}

static void bw_proc_init(struct bw_history *p, struct task_struct *tsk,
			 pid_t pid)
{
	memset(p, 0, sizeof(*p));
	raw_spin_lock_init(&p->lock);
	p->pid = pid;
	p->tgid = get_pid(task_tgid(tsk));
	p->gen = atomic_inc_return(&bw_gens);
	memcpy(p->comm, tsk->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	rcu_read_lock();
	p->ppid = task_tgid_nr(rcu_dereference(tsk->real_parent));
	bw_proc_note_owner(p, tsk);
	rcu_read_unlock();
	bw_proc_note_heap(p, tsk->mm);
	p->brk = tsk->mm->brk;
	INIT_LIST_HEAD(&p->ordered);
	INIT_LIST_HEAD(&p->link);
}

static struct bw_history *bw_proc_find(pid_t pid)
{
	struct bw_history *p;

	hlist_for_each_entry_rcu(p, bw_chain(pid), hash)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* RCU held: the history of @tsk's process, if it has one. */
static struct bw_history *bw_proc_of(struct task_struct *tsk)
{
	struct bw_history *p = bw_proc_find(task_tgid_nr(tsk));

	if (p && p->tgid == task_tgid(tsk))
		return p;
	return NULL;
}

/*
 * Atomic context, RCU held: the history of @tsk's process, created on its
 * first call. A pid used before by another process (another struct pid)
 * gets a new history; the old one is forgotten.
 */
static struct bw_history *bw_proc_get(struct task_struct *tsk)
{
	pid_t pid = task_tgid_nr(tsk);
	raw_spinlock_t *lock = bw_chain_lock(pid);
	struct bw_history *p, *old, *fresh;

	p = bw_proc_of(tsk);
	if (p)
		return p;

	fresh = bw_take(&bw_procs_pool);
	if (!fresh)
		return NULL;
	bw_proc_init(fresh, tsk, pid);

	raw_spin_lock(lock);
	old = bw_proc_find(pid);
	if (old && old->tgid == fresh->tgid) {
		/* another thread of the process was first */
		raw_spin_unlock(lock);
		put_pid(fresh->tgid);	/* never the last reference */
		bw_pool_put(&bw_procs_pool, fresh);
		return old;
	}
	bw_take_wish(fresh);
	if (old) {
		hlist_replace_rcu(&old->hash, &fresh->hash);
		WRITE_ONCE(old->retired, true);
		bw_handoff(old, BW_HANDOFF_REPLACED);
	} else {
		hlist_add_head_rcu(&fresh->hash, bw_chain(pid));
	}
	raw_spin_unlock(lock);

	bw_handoff(fresh, BW_HANDOFF_NEW);
	return fresh;
}

/* @p's first chunk, in its header, read as any other. */
static struct bw_chunk *bw_first_chunk(struct bw_history *p)
{
	BUILD_BUG_ON(offsetof(struct bw_first_chunk, next) !=
		     offsetof(struct bw_chunk, next));
	BUILD_BUG_ON(offsetof(struct bw_first_chunk, rec) !=
		     offsetof(struct bw_chunk, rec));
	return (struct bw_chunk *)&p->first;
}

/* Whether @chunk is @p's first chunk, the one in its header. */
static bool bw_is_first_chunk(const struct bw_history *p,
			      const struct bw_chunk *chunk)
{
	return (const void *)chunk == &p->first;
}

/* How many records @chunk of @p holds. */
static unsigned int bw_chunk_records(const struct bw_history *p,
				     const struct bw_chunk *chunk)
{
	return bw_is_first_chunk(p, chunk) ? BW_FIRST_CHUNK_RECORDS :
					     BW_CHUNK_RECORDS;
}

/*
 * A chunk allocated for a history outside its lock, when none was ready
 * (bw_ring_append_slow()): the ring takes it if it still needs one.
 */
struct bw_spare {
	struct bw_chunk *chunk;
	bool tried;		/* allocation was tried */
};

/*
 * Under p->lock: a new tail chunk; false if there is none. The first one
 * is in the header. The spare comes before a ready one: were a ready
 * chunk taken instead (the worker may have refilled the pool since the
 * spare was allocated), the spare would go back into the pool over its
 * target, memory that "clear" does not give back.
 */
static bool bw_ring_grow(struct bw_history *p, struct bw_spare *spare)
{
	struct bw_chunk *chunk;

	if (!p->tail) {
		p->head = bw_first_chunk(p);
		p->tail = p->head;
		p->tail_idx = 0;
		return true;
	}
	if (spare->chunk) {
		chunk = spare->chunk;
		spare->chunk = NULL;
	} else {
		chunk = bw_take_ready(&bw_chunks);
	}
	if (!chunk)
		return false;
	chunk->next = NULL;
	p->chunks++;
	p->tail->next = chunk;
	p->tail = chunk;
	p->tail_idx = 0;
	return true;
}

/* Under p->lock: make room for one record; false if there is none. */
static bool bw_ring_make_room(struct bw_history *p, struct bw_spare *spare)
{
	struct bw_chunk *chunk;

	if (p->nr == bw_records_per_process) {
		struct brkwatch_record *oldest = &p->head->rec[p->head_idx];

		if (!(oldest->flags & BRKWATCH_F_EXEC)) {
			p->dropped++;
			bw_count(dropped_ring);
		}
		p->nr--;
		if (++p->head_idx == bw_chunk_records(p, p->head)) {
			chunk = p->head;
			p->head = chunk->next;
			p->head_idx = 0;
			/* The first chunk leaves the ring for good. */
			if (!bw_is_first_chunk(p, chunk) &&
			    p->tail_idx == bw_chunk_records(p, p->tail)) {
				/* the emptied chunk becomes the tail */
				chunk->next = NULL;
				p->tail->next = chunk;
				p->tail = chunk;
				p->tail_idx = 0;
				return true;
			}
			if (!bw_is_first_chunk(p, chunk)) {
				bw_pool_put(&bw_chunks, chunk);
				p->chunks--;
			}
		}
	}
	if (p->tail && p->tail_idx < bw_chunk_records(p, p->tail))
		return true;
	return bw_ring_grow(p, spare);
}

/*
 * Under p->lock: the slot of the next record, or NULL if there is none.
 * The caller fills it in place before unlocking: readers take the lock.
 */
static struct brkwatch_record *bw_ring_append(struct bw_history *p,
					      struct bw_spare *spare)
{
	if (!bw_ring_make_room(p, spare))
		return NULL;
	p->nr++;
	p->appended++;
	return &p->tail->rec[p->tail_idx++];
}

/*
 * Under p->lock, which it drops and takes again: a chunk of the pool the
 * ring grows from next, allocated where the kernel allows it (never under
 * the raw lock), into @spare for bw_ring_grow().
 */
static void bw_spare_get(struct bw_history *p, struct bw_spare *spare)
	__must_hold(&p->lock)
{
	spare->tried = true;
	raw_spin_unlock(&p->lock);
	spare->chunk = bw_pool_get_nowait(&bw_chunks);
	raw_spin_lock(&p->lock);
}

/*
 * Under p->lock, which it drops and takes again: bw_ring_append() when no
 * chunk was ready, with one allocated meanwhile where the kernel allows it
 * (never under the raw lock). What the ring did not take stays in @spare,
 * for bw_spare_put() once the lock is dropped; a loss is counted.
 */
static struct brkwatch_record *bw_ring_append_slow(struct bw_history *p,
						   struct bw_spare *spare)
{
	struct brkwatch_record *rec;

	bw_spare_get(p, spare);
	rec = bw_ring_append(p, spare);
	if (!rec)
		bw_count_no_memory(bw_chunks.size);
	return rec;
}

static void bw_spare_put(struct bw_spare *spare)
{
	if (spare->chunk)
		bw_pool_put(&bw_chunks, spare->chunk);
}

/* Under p->lock: bw_ring_append(), allocating outside the lock if need be. */
static struct brkwatch_record *bw_ring_next(struct bw_history *p,
					    struct bw_spare *spare)
{
	struct brkwatch_record *rec = bw_ring_append(p, spare);

	return rec ? rec : bw_ring_append_slow(p, spare);
}

/**
 * bw_history_locked - a call took the mmap lock of an mm other tasks share
 * @call: what the probes saw of it so far
 *
 * Probe context, in the calling task, holding that lock: maybe an int3
 * handler, which lockdep counts as an NMI, so no lock is taken here. The
 * call joins its history's lockers, in the order the lock gives the tasks
 * of the mm; it is numbered when a return first finds it there
 * (bw_order_reserve()). A call of a process with no history yet is
 * numbered at its return, as one alone on its mm is.
 */
void bw_history_locked(struct bw_call *call)
{
	struct bw_history *p;

	rcu_read_lock();
	p = bw_proc_of(current);
	if (p) {
		call->hist = p;
		call->hist_gen = p->gen;
		INIT_LIST_HEAD(&call->order_link);
		llist_add(&call->lock_node, &p->lockers);
		call->ordered = true;
	}
	rcu_read_unlock();
}

/* Under p->lock: the lockers, in the lock's order, onto p->ordered. */
static void bw_order_drain(struct bw_history *p)
{
	struct llist_node *n = llist_reverse_order(llist_del_all(&p->lockers));
	struct bw_call *c, *tmp;

	llist_for_each_entry_safe(c, tmp, n, lock_node)
		list_add_tail(&c->order_link, &p->ordered);
}

/*
 * Under p->lock, which it may drop and take again to allocate: numbers
 * every call that took the lock up to @upto, in that order, each with the
 * next slot of the ring, marked pending until its own return fills it in.
 * Readers stop at a pending slot.
 */
static void bw_order_reserve(struct bw_history *p, struct bw_call *upto,
			     struct bw_spare *spare)
{
	struct brkwatch_record *rec;
	struct bw_call *c;

restart:
	bw_order_drain(p);
	list_for_each_entry(c, &p->ordered, order_link) {
		if (!c->slotted) {
			rec = bw_ring_append(p, spare);
			if (!rec && !spare->tried) {
				/* the list may change meanwhile: start again */
				bw_spare_get(p, spare);
				goto restart;
			}
			c->seq = ++p->calls;
			c->slot = rec;
			if (rec) {
				rec->flags = BRKWATCH_F_PENDING;
				c->ordinal = p->appended - 1;
			} else {
				p->dropped++;
				bw_count_no_memory(bw_chunks.size);
			}
			c->slotted = true;
		}
		if (c == upto)
			break;
	}
}

/*
 * Under p->lock: whether @call joined @p, the history its process has now
 * (not one forgotten since, whose object @p may be again).
 */
static bool bw_proc_joined(const struct bw_history *p,
			   const struct bw_call *call)
{
	return call->ordered && p == call->hist && p->gen == call->hist_gen;
}

/**
 * bw_history_record - store one finished brk() call in its process's history
 * @call: what the probes saw of it
 * @ret: what it returned
 *
 * Probe context (the syscall's return, in the calling task): creates the
 * history on the process's first call, appends the record with its
 * verdict (or fills the slot bw_history_reserve() numbered), counts a call
 * that could not be kept as dropped. Every caller runs with preemption
 * disabled (a kprobe's handler, or the exit tracepoint's or probe's):
 * that is a read-side critical section of RCU, whose flavours are one
 * since 4.20, for the histories and their stacks that the worker frees
 * after synchronize_rcu(); no rcu_read_lock() on every call.
 */
void bw_history_record(struct bw_call *call, long ret)
{
	struct task_struct *tsk = current;
	struct bw_spare spare = { };
	struct brkwatch_record *rec;
	struct bw_history *p;
	struct bw_stacks *stacks;
	u64 seq;
	/*
	 * Not local_clock(): without a stable TSC (as in many VMs) it stands
	 * still up to a tick, and short calls would last 0 ns.
	 */
	u64 duration = ktime_get_ns() - call->time_ns;

	lockdep_assert_preemption_disabled();
	bw_count(calls_seen);
	p = bw_proc_get(tsk);
	if (!p)
		return;
	raw_spin_lock(&p->lock);
	/* The history it joined, unless forgotten since: then as any call. */
	if (bw_proc_joined(p, call)) {
		bw_order_reserve(p, call, &spare);
		list_del(&call->order_link);
		seq = call->seq;
		/* Evicted meanwhile (counted as dropped then), or still there. */
		rec = call->slot && call->ordinal >= p->appended - p->nr ?
		      call->slot : NULL;
	} else {
		rec = bw_ring_next(p, &spare);
		seq = ++p->calls;
		if (!rec)
			p->dropped++;
	}
	if (call->based)
		bw_proc_note_heap(p, tsk->mm);
	/*
	 * The header's break is the one the newest call in the lock's order
	 * left: brk() returns it, but for -EINTR (the lock never held).
	 */
	if (ret >= 0 && seq >= p->brk_seq) {
		p->brk = ret;
		p->brk_seq = seq;
	}
	if (!rec)
		goto unlock;
	bw_verdict(call, ret, rec);
	rec->time_ns = call->time_ns;
	rec->tid = task_pid_nr(tsk);
	rec->call.seq = (u32)seq;
	rec->seq_hi = seq >> 32;
	rec->call.duration_ns = min_t(u64, duration, U32_MAX);
	bw_count(records_stored);
	if (rec->verdict == BRKWATCH_UNKNOWN)
		bw_count(unknown_verdicts);
unlock:
	/*
	 * Under the lock, before a reader can find the call: its stack
	 * line is there as soon as its call line. Not for 32-bit calls.
	 */
	stacks = rcu_dereference_sched(p->stacks);
	if (unlikely(stacks) && !call->ia32) {
		if (rec)
			bw_stacks_capture(stacks, seq);
		else
			bw_count(stacks_dropped_nomem);
	}
	raw_spin_unlock(&p->lock);
	bw_spare_put(&spare);
}

/* Under the history's lock: the heap @tsk's new program starts with. */
static void bw_exec_marker(struct brkwatch_record *rec,
			   struct task_struct *tsk, u64 now, bool dumpable)
{
	memset(rec, 0, sizeof(*rec));
	rec->time_ns = now;
	rec->tid = task_pid_nr(tsk);
	rec->flags = BRKWATCH_F_EXEC;
	if (!dumpable)
		rec->flags |= BRKWATCH_F_EXEC_SECURE;
	rec->exec.start_brk = tsk->mm->start_brk;
	rec->exec.start_data = tsk->mm->start_data;
	rec->exec.end_data = tsk->mm->end_data;
	BUILD_BUG_ON(sizeof(rec->exec.comm) != sizeof(tsk->comm));
	memcpy(rec->exec.comm, tsk->comm, sizeof(rec->exec.comm));
	rec->exec.comm[sizeof(rec->exec.comm) - 1] = '\0';
}

/*
 * Tracepoint context: @tsk has a new mm, hence a new heap, and maybe new
 * credentials (the exec that made the program not dumpable by its owner,
 * a setuid one, is marked: access.c). A reader that opened the history
 * before is shown what follows only if it may read the new program too.
 */
void bw_history_exec(struct task_struct *tsk)
{
	struct bw_spare spare = { };
	struct brkwatch_record *rec;
	struct bw_history *p;
	u64 now = ktime_get_ns();
	bool dumpable = bw_task_dumpable(tsk);

	if (!tsk->mm)
		return;
	rcu_read_lock();
	p = bw_proc_of(tsk);
	if (p) {
		raw_spin_lock(&p->lock);
		rec = bw_ring_next(p, &spare);
		if (rec)
			bw_exec_marker(rec, tsk, now, dumpable);
		else if (!p->lost_exec_ns)
			p->lost_exec_ns = now;
		p->last_exec_ns = now;
		bw_proc_note_heap(p, tsk->mm);
		bw_proc_note_owner(p, tsk);
		p->brk = tsk->mm->brk;
		memcpy(p->comm, tsk->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = '\0';
		raw_spin_unlock(&p->lock);
		bw_spare_put(&spare);
	}
	rcu_read_unlock();
}

/*
 * Exit context (a tracepoint, or a probe before exit_mm(): compat.h): a
 * thread of @tsk's process is exiting, and @tsk still has its mm or exec
 * state. The last one out ends the process; its owner and dumpable state
 * now decide who may read the history from then on.
 */
void bw_history_task_exit(struct task_struct *tsk)
{
	struct bw_history *p;
	bool first = false;

	struct bw_call *call = bw_inflight_find();

	/*
	 * A task cannot be inside brk() once it exits: one that dies there
	 * leaves its call unknown, not a slot that holds readers back.
	 */
	if (call && call->ordered)
		bw_history_record(call, -ESRCH);
	bw_inflight_leave();
	if (atomic_read(&tsk->signal->live))
		return;
	rcu_read_lock();
	p = bw_proc_of(tsk);
	if (p) {
		raw_spin_lock(&p->lock);
		if (!p->exited && !READ_ONCE(p->retired)) {
			bw_proc_note_owner(p, tsk);
			p->exited = true;
			p->exit_ns = ktime_get_ns();
			first = true;
		}
		raw_spin_unlock(&p->lock);
		if (first)
			bw_handoff(p, BW_HANDOFF_EXIT);
	}
	rcu_read_unlock();
}

/**
 * bw_history_read - copy one record of a history
 * @p: the history
 * @ordinal: which record, counting every record ever appended from 0; the
 *	     oldest one kept if that one was overwritten
 * @rec: where to copy it
 * @actual: the ordinal of the record copied
 * @cur: the reader's place in the ring, kept between calls
 *
 * O(1) for a reader going forward: it starts from where it last was, in
 * the chunk it last read (still in the ring as long as the head has not
 * passed its first record: chunks leave from the head only), and moves at
 * most one chunk on. The raw lock is held that long, never for a walk of
 * the whole ring.
 *
 * Return: false past the newest record, or at a call numbered but still
 * inside brk() (bw_history_reserve()).
 */
bool bw_history_read(struct bw_history *p, u64 ordinal,
		     struct brkwatch_record *rec, u64 *actual,
		     struct bw_cursor *cur)
{
	struct bw_chunk *chunk;
	u64 first, base;
	bool found = false;

	raw_spin_lock(&p->lock);
	first = p->appended - p->nr;
	if (ordinal < first)
		ordinal = first;
	if (ordinal < p->appended) {
		chunk = p->head;
		base = first - p->head_idx;
		if (cur->chunk && cur->base >= base && cur->base <= ordinal) {
			chunk = cur->chunk;
			base = cur->base;
		}
		while (ordinal - base >= bw_chunk_records(p, chunk)) {
			base += bw_chunk_records(p, chunk);
			chunk = chunk->next;
		}
		*rec = chunk->rec[ordinal - base];
		*actual = ordinal;
		cur->chunk = chunk;
		cur->base = base;
		/* A call still inside brk(): nothing after it is shown yet. */
		found = !(rec->flags & BRKWATCH_F_PENDING);
	}
	raw_spin_unlock(&p->lock);
	return found;
}

/**
 * bw_history_snapshot - copy a history's header fields, under its lock
 * @p: the history
 * @head: where to copy them
 */
void bw_history_snapshot(struct bw_history *p, struct bw_history_head *head)
{
	raw_spin_lock(&p->lock);
	head->pid = p->pid;
	head->ppid = p->ppid;
	memcpy(head->comm, p->comm, sizeof(head->comm));
	head->exited = p->exited;
	head->uid = p->uid;
	head->last_exec_ns = p->last_exec_ns;
	head->lost_exec_ns = p->lost_exec_ns;
	head->start_brk = p->start_brk;
	head->start_data = p->start_data;
	head->end_data = p->end_data;
	head->brk = p->brk;
	head->calls = p->calls;
	head->dropped = p->dropped;
	raw_spin_unlock(&p->lock);
}

/* ---- The worker's side, under bw_lock ---- */

static void bw_adopt(struct bw_history *p)
{
	list_add_tail(&p->link, &bw_running);
	p->list = BW_LIST_RUNNING;
	bw_nr_running++;
	bw_nr_unlisted++;
}

/*
 * Has @p its file? Each pid's file is the one history's that bw_files
 * maps it to; the pid's next history waits for that one to go.
 */
static bool bw_has_file(const struct bw_history *p)
{
	return xa_load(&bw_files, p->pid) == p;
}

/*
 * From bw_running to bw_exited, which is kept oldest exit first: a
 * history may have been handed over for another reason before another
 * one's exit.
 */
static void bw_note_exit(struct bw_history *p)
{
	struct bw_history *prev;

	if (READ_ONCE(p->retired) || p->list != BW_LIST_RUNNING)
		return;
	list_for_each_entry_reverse(prev, &bw_exited, link)
		if (prev->exit_ns <= p->exit_ns)
			break;
	list_move(&p->link, &prev->link);
	p->list = BW_LIST_EXITED;
	bw_nr_running--;
	bw_nr_exited++;
}

/*
 * Onto bw_dying. Once only: the worker may retire a history (eviction,
 * forget, clear) that a probe is replacing at the same time, and both
 * hand it here.
 */
static void bw_unlink(struct bw_history *p)
{
	if (p->list == BW_LIST_DYING)
		return;
	if (p->list == BW_LIST_RUNNING)
		bw_nr_running--;
	else if (p->list == BW_LIST_EXITED)
		bw_nr_exited--;
	if (p->list != BW_LIST_NONE && !bw_has_file(p))
		bw_nr_unlisted--;
	p->list = BW_LIST_DYING;
	list_move(&p->link, &bw_dying);
}

/*
 * Take in what the probes handed over (bw_handoff()). A history is handed
 * over as new before anything else: by the call that created it, before
 * its process can exit or its pid be used again.
 */
static void bw_collect(void)
{
	struct llist_node *list = llist_del_all(&bw_handoffs);
	struct bw_history *p, *next;
	int why;

	llist_for_each_entry_safe(p, next, llist_reverse_order(list),
				  handoff_node) {
		/* from here on, a new reason puts it back on the list */
		why = atomic_xchg(&p->handoff, 0);
		if (why & BW_HANDOFF_NEW)
			bw_adopt(p);
		if (why & BW_HANDOFF_EXIT)
			bw_note_exit(p);
		if (why & BW_HANDOFF_REPLACED)
			bw_unlink(p);
	}
}

/* Forget a history: out of the table now, freed by bw_bury(). */
static void bw_retire(struct bw_history *p)
{
	raw_spinlock_t *lock = bw_chain_lock(p->pid);

	raw_spin_lock(lock);
	if (!p->retired) {
		hlist_del_rcu(&p->hash);
		WRITE_ONCE(p->retired, true);
	}
	raw_spin_unlock(lock);
	bw_unlink(p);
}

static void bw_free_proc(struct bw_history *p)
{
	struct bw_chunk *chunk = p->head, *next;

	while (chunk) {
		next = chunk->next;
		if (!bw_is_first_chunk(p, chunk))
			bw_pool_free(&bw_chunks, chunk);
		chunk = next;
	}
	bw_stacks_release(p);
	put_pid(p->tgid);
	bw_pool_free(&bw_procs_pool, p);
}

/*
 * No lock held: free the retired histories of @batch, taken off bw_dying.
 * Their files go first (proc_remove() waits for their readers, which may
 * be slow: a read can fault on a FUSE or userfaultfd buffer, so bw_lock is
 * not held meanwhile), then a grace period lets every probe that found one
 * leave it. What the probes handed over meanwhile is taken in before
 * freeing, so no exit note is left pointing at freed memory; histories
 * replaced meanwhile are left on bw_dying for the next round.
 */
static void bw_bury(struct list_head *batch)
{
	struct bw_history *p, *next;

	if (list_empty(batch))
		return;
	/* Only a bury of its own batch takes a retired history off bw_files. */
	list_for_each_entry(p, batch, link)
		if (bw_has_file(p))
			bw_procfs_remove(p->pid);
	synchronize_rcu();
	mutex_lock(&bw_lock);
	bw_collect();
	/* Now its pid's next history may have its file. */
	list_for_each_entry(p, batch, link)
		if (bw_has_file(p))
			xa_erase(&bw_files, p->pid);
	mutex_unlock(&bw_lock);
	list_for_each_entry_safe(p, next, batch, link)
		bw_free_proc(p);
}

/*
 * Under bw_lock: @p, with no file, gets one. Not while the file of an
 * older process with the same pid is still there (it was replaced, and is
 * being buried): that one goes first, the next round tries again, as it
 * does after a failed creation.
 */
static void bw_list_file(struct bw_history *p)
{
	if (xa_insert(&bw_files, p->pid, p, GFP_KERNEL))
		return;
	if (bw_procfs_add(p)) {
		xa_erase(&bw_files, p->pid);
		return;
	}
	bw_nr_unlisted--;
}

/*
 * Under bw_lock: a file for each history that has none, newest first
 * (bw_adopt() adds at the tail), until all of them have been seen.
 */
static void bw_list_files(void)
{
	unsigned long left = bw_nr_unlisted;
	struct list_head *lists[] = { &bw_running, &bw_exited };
	struct bw_history *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry_reverse(p, lists[i], link) {
			if (!left)
				return;
			if (bw_has_file(p))
				continue;
			left--;
			bw_list_file(p);
		}
	}
}

static size_t bw_proc_bytes(const struct bw_history *p)
{
	size_t stacks = 0;
	struct bw_stacks *s;

	/* "nostacks" may free it meanwhile; its size never changes */
	rcu_read_lock();
	s = rcu_dereference(p->stacks);
	if (s)
		stacks = s->bytes;
	rcu_read_unlock();
	return bw_procs_pool.size + p->chunks * bw_chunks.size + stacks;
}

/*
 * When memory passes 7/8 of the cap, exited histories are forgotten,
 * oldest exit first, down to 3/4, so that the pools can be refilled.
 */
static void bw_evict_exited(void)
{
	u64 keep_ns = (u64)bw_exited_keep_seconds * NSEC_PER_SEC;
	unsigned long used = bw_memory_used();
	unsigned long cap = bw_memory_cap();
	bool tight = used > cap / 8 * 7;
	u64 now = ktime_get_ns();
	struct bw_history *p;

	while (!list_empty(&bw_exited)) {
		p = list_first_entry(&bw_exited, struct bw_history, link);
		if (tight && used <= cap / 4 * 3)
			tight = false;
		if (!tight && now - p->exit_ns < keep_ns)
			break;
		used -= min_t(unsigned long, used, bw_proc_bytes(p));
		bw_retire(p);
	}
}

/* No lock held: everything the probes cannot do themselves. */
static void bw_maintain(void)
{
	LIST_HEAD(batch);

	mutex_lock(&bw_lock);
	bw_collect();
	bw_evict_exited();
	list_splice_init(&bw_dying, &batch);
	mutex_unlock(&bw_lock);

	bw_bury(&batch);

	mutex_lock(&bw_lock);
	bw_collect();
	bw_list_files();
	bw_pool_refill(&bw_procs_pool);
	bw_pool_refill(&bw_chunks);
	mutex_unlock(&bw_lock);

	bw_stacks_reap();
}

static void bw_refill_work_fn(struct work_struct *work)
{
	bool full = bw_pool_refill(&bw_chunks);

	full = bw_pool_refill(&bw_procs_pool) && full;
	if (!full)
		bw_kick();	/* at the cap: exited histories may go */
}

static void bw_maintain_work(struct work_struct *work)
{
	bw_maintain();
	if (!READ_ONCE(bw_stopping))
		mod_delayed_work(bw_unbound_wq(), &bw_tick_work, HZ);
}

/* Under bw_lock: forget every history. */
static void bw_retire_all(void)
{
	struct bw_history *p, *next;

	list_for_each_entry_safe(p, next, &bw_running, link)
		bw_retire(p);
	list_for_each_entry_safe(p, next, &bw_exited, link)
		bw_retire(p);
}

/**
 * bw_history_clear - forget every history (the control command "clear")
 *
 * Process context. Returns once their files are removed and their memory
 * freed; waits for readers of those files to leave.
 */
void bw_history_clear(void)
{
	mutex_lock(&bw_lock);
	bw_collect();
	bw_retire_all();
	mutex_unlock(&bw_lock);
	bw_maintain();
}

/* Under bw_lock: the history with @pid, running or exited, or NULL. */
static struct bw_history *bw_listed(pid_t pid)
{
	struct bw_history *p;

	list_for_each_entry(p, &bw_running, link)
		if (p->pid == pid)
			return p;
	list_for_each_entry(p, &bw_exited, link)
		if (p->pid == pid)
			return p;
	return NULL;
}

/**
 * bw_history_forget - forget one process's history ("forget PID")
 * @pid: the process, in the initial PID namespace
 *
 * Process context; as bw_history_clear() for one history.
 *
 * Return: 0, or -ESRCH when no history has that pid.
 */
int bw_history_forget(pid_t pid)
{
	struct bw_history *found;

	mutex_lock(&bw_lock);
	bw_collect();
	found = bw_listed(pid);
	if (found)
		bw_retire(found);
	mutex_unlock(&bw_lock);
	bw_maintain();
	return found ? 0 : -ESRCH;
}

/**
 * bw_history_stacks_attach - give a new store to its process's history
 * @s: the store, on no history and no wish list
 *
 * Process context (stack.c, under its mutex). The process's history takes
 * it if there is one; else it waits as a wish for the first call.
 */
void bw_history_stacks_attach(struct bw_stacks *s)
{
	raw_spinlock_t *lock = bw_chain_lock(s->nr);
	struct bw_history *p;

	rcu_read_lock();
	raw_spin_lock(lock);
	p = bw_proc_find(s->nr);
	if (p && p->tgid == s->tgid) {
		raw_spin_lock(&p->lock);
		s->proc = p;
		rcu_assign_pointer(p->stacks, s);
		raw_spin_unlock(&p->lock);
	} else {
		hlist_add_head(&s->wish, &bw_wishes[bw_stripe(s->nr)]);
		atomic_inc(&bw_wishes_nr);
	}
	raw_spin_unlock(lock);
	rcu_read_unlock();
}

/**
 * bw_history_stacks_detach - take a store back from its history or wishes
 * @s: the store
 *
 * Process context (stack.c, under its mutex, which keeps @s's history from
 * being freed meanwhile). Probes and readers may still hold @s until a
 * grace period has passed.
 */
void bw_history_stacks_detach(struct bw_stacks *s)
{
	raw_spinlock_t *lock = bw_chain_lock(s->nr);
	struct bw_history *p;

	raw_spin_lock(lock);
	p = s->proc;
	if (p) {
		raw_spin_lock(&p->lock);
		RCU_INIT_POINTER(p->stacks, NULL);
		raw_spin_unlock(&p->lock);
		s->proc = NULL;
	} else {
		hlist_del_init(&s->wish);
		atomic_dec(&bw_wishes_nr);
	}
	raw_spin_unlock(lock);
}

/**
 * bw_history_stacks_drop_wish - take a store off the wishes, if it is one
 * @s: the store
 *
 * Return: true if @s was a wish (no history holds it).
 */
bool bw_history_stacks_drop_wish(struct bw_stacks *s)
{
	raw_spinlock_t *lock = bw_chain_lock(s->nr);
	bool wish;

	raw_spin_lock(lock);
	wish = !s->proc;
	if (wish) {
		hlist_del_init(&s->wish);
		atomic_dec(&bw_wishes_nr);
	}
	raw_spin_unlock(lock);
	return wish;
}

/**
 * bw_history_counts - how many histories there are, for status
 * @running: those of processes still running
 * @exited: those kept after their process exited
 */
void bw_history_counts(unsigned long *running, unsigned long *exited)
{
	mutex_lock(&bw_lock);
	bw_collect();
	*running = bw_nr_running;
	*exited = bw_nr_exited;
	mutex_unlock(&bw_lock);
}

/**
 * bw_history_pid_bytes - what a history's reference to its process's pid
 * keeps allocated
 *
 * The struct pid of a process in the initial PID namespace, which outlives
 * the process while its history holds it (until the history is freed):
 * the pid's own fields and one struct upid, from a cache aligned to the
 * cache line (SLAB_HWCACHE_ALIGN, kernel/pid.c). A process n namespaces
 * deeper has n struct upid more in its pid, from another cache; that is
 * not counted.
 *
 * Return: the bytes, counted with each history.
 */
size_t bw_history_pid_bytes(void)
{
	size_t size = offsetof(struct pid, numbers) + sizeof(struct upid);
	size_t align = cache_line_size();

	/* as the slab aligns it (calculate_alignment()) */
	while (size <= align / 2)
		align /= 2;
	return ALIGN(size, align);
}

/**
 * bw_history_init - the hash table and the pools, filled; the worker's tick
 *
 * Return: 0 or -ENOMEM.
 */
int bw_history_init(void)
{
	unsigned int i;
	int err;

	BUILD_BUG_ON(sizeof(struct brkwatch_record) != 56);
	BUILD_BUG_ON(offsetof(struct bw_chunk, free_node) != 0);
	BUILD_BUG_ON(sizeof(struct bw_chunk) != 512);
	BUILD_BUG_ON(offsetof(struct bw_history, free_node) != 0);

	/* zeroed: every chain empty */
	bw_chains = kvcalloc(BIT(BW_HASH_BITS), sizeof(*bw_chains), GFP_KERNEL);
	if (!bw_chains)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(bw_chain_locks); i++) {
		raw_spin_lock_init(&bw_chain_locks[i]);
		INIT_HLIST_HEAD(&bw_wishes[i]);
	}
	err = bw_pool_init(&bw_chunks, "brkwatch_chunk",
			   sizeof(struct bw_chunk), 0, BW_CHUNKS_READY);
	if (err)
		goto fail_chunks;
	/*
	 * A history is counted with its file and its process's pid, from the
	 * time it is made ready.
	 */
	err = bw_pool_init(&bw_procs_pool, "brkwatch_proc",
			   sizeof(struct bw_history),
			   bw_procfs_file_bytes() + bw_history_pid_bytes(),
			   BW_PROCS_READY);
	if (err)
		goto fail_procs;
	mutex_lock(&bw_lock);
	bw_pool_refill(&bw_procs_pool);
	bw_pool_refill(&bw_chunks);
	mutex_unlock(&bw_lock);
	WRITE_ONCE(bw_stopping, false);
	queue_delayed_work(bw_unbound_wq(), &bw_tick_work, HZ);
	return 0;

fail_procs:
	bw_pool_destroy(&bw_chunks);
fail_chunks:
	kvfree(bw_chains);
	return err;
}

/**
 * bw_history_stop - stop the worker, once the probes are gone
 *
 * No more work will be handed over; what is queued is cancelled.
 */
void bw_history_stop(void)
{
	WRITE_ONCE(bw_stopping, true);
	cancel_work_sync(&bw_refill_work);
	cancel_work_sync(&bw_kick_work);
	cancel_delayed_work_sync(&bw_tick_work);
}

/**
 * bw_history_exit - free every history and the pools
 *
 * After /proc/brkwatch is gone, with every file in it, and the worker
 * stopped.
 */
void bw_history_exit(void)
{
	LIST_HEAD(batch);

	mutex_lock(&bw_lock);
	bw_collect();
	bw_retire_all();
	/* Their files went with /proc/brkwatch (bw_procfs_exit()). */
	xa_destroy(&bw_files);
	while (!list_empty(&bw_dying)) {
		list_splice_init(&bw_dying, &batch);
		mutex_unlock(&bw_lock);
		bw_bury(&batch);
		INIT_LIST_HEAD(&batch);
		mutex_lock(&bw_lock);
	}
	mutex_unlock(&bw_lock);
	bw_pool_destroy(&bw_procs_pool);
	bw_pool_destroy(&bw_chunks);
	kvfree(bw_chains);
}

/* Called by the probe handlers (probe.c): a probe here would recurse. */
NOKPROBE_SYMBOL(bw_history_locked);
NOKPROBE_SYMBOL(bw_history_record);
NOKPROBE_SYMBOL(bw_proc_joined);
NOKPROBE_SYMBOL(bw_order_drain);
NOKPROBE_SYMBOL(bw_order_reserve);
NOKPROBE_SYMBOL(bw_spare_get);
NOKPROBE_SYMBOL(bw_history_task_exit);
NOKPROBE_SYMBOL(bw_proc_get);
NOKPROBE_SYMBOL(bw_proc_of);
NOKPROBE_SYMBOL(bw_proc_find);
NOKPROBE_SYMBOL(bw_proc_init);
NOKPROBE_SYMBOL(bw_proc_note_owner);
NOKPROBE_SYMBOL(bw_proc_note_heap);
NOKPROBE_SYMBOL(bw_chain);
NOKPROBE_SYMBOL(bw_chain_lock);
NOKPROBE_SYMBOL(bw_stripe);
NOKPROBE_SYMBOL(bw_take_wish);
NOKPROBE_SYMBOL(bw_take);
NOKPROBE_SYMBOL(bw_take_ready);
NOKPROBE_SYMBOL(bw_count_no_memory);
NOKPROBE_SYMBOL(bw_kick);
NOKPROBE_SYMBOL(bw_ring_next);
NOKPROBE_SYMBOL(bw_ring_append);
NOKPROBE_SYMBOL(bw_ring_append_slow);
NOKPROBE_SYMBOL(bw_ring_make_room);
NOKPROBE_SYMBOL(bw_ring_grow);
NOKPROBE_SYMBOL(bw_first_chunk);
NOKPROBE_SYMBOL(bw_is_first_chunk);
NOKPROBE_SYMBOL(bw_handoff);
NOKPROBE_SYMBOL(bw_chunk_records);
NOKPROBE_SYMBOL(bw_spare_put);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the parts of the brkwatch module: the probes
 * (probe.c) fill a struct bw_call, verdict.c turns it into a record,
 * history.c keeps the records per process, procfs.c prints them.
 */
#ifndef BRKWATCH_INTERNAL_H
#define BRKWATCH_INTERNAL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/sched.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include "brkwatch.h"
#include "record.h"

/*
 * What one brk() call saw, filled in by the probes, all running in the
 * calling task, in this order: the syscall entry, the moment brk() holds
 * the mmap lock, the result of check_brk_limits() (read inside it:
 * lockpoint.c) and the entry of do_brk_flags() when brk() reaches them,
 * and the syscall return. The entry sets the first four fields and clears
 * the flags; every other field is valid only once its flag is set.
 */
struct bw_call {
	u64 time_ns;		/* CLOCK_MONOTONIC at entry */
	u64 request;
	u64 brk_entry;		/* mm->brk at entry, before the lock */
	bool ia32;
	bool alone;		/* no other task used the mm at entry */
	bool based;		/* the heap's base below was read */
	bool mlock_pending;	/* check_brk_limits() checks the mlock limit */
	bool limits_checked;	/* check_brk_limits() returned limits_ret */
	bool brk_flags_called;	/* do_brk_flags() was reached */
	bool next_found;	/* a mapping lies above the old break */
	bool incomplete;	/* a step inside brk() may have gone unseen */
	bool rlimit_changed;	/* RLIMIT_DATA changed during the call */
	bool ordered;		/* in its history's lockers (bw_history_locked()) */
	bool slotted;		/* numbered, its slot reserved */
	u8 next_kind;		/* enum brkwatch_next_kind */
	unsigned long missed;	/* bw_probes_inner_missed() at entry */
	/*
	 * The heap's base, as brk() finds it once it holds the mmap lock:
	 * read under that lock, or at entry when no other task shares the mm
	 * (bw_brk_start()).
	 */
	u64 brk;
	u64 start_brk;
	u64 min_brk;		/* the lowest break brk() accepts */
	u64 start_data;
	u64 end_data;
	u64 rlimit_data;
	long limits_ret;
	long brk_flags_ret;	/* what do_brk_flags() returned, if hooked */
	u64 task_size;		/* the caller's TASK_SIZE, with brk_flags_ret */
	u64 next_start;
	u64 next_end;
	u64 next_flags;
	/*
	 * Where brk() took the lock of an mm that other tasks share, the call
	 * joined its history's lockers, in the order the lock gave them
	 * (bw_history_locked()); the first return that finds it there numbers
	 * it and reserves its slot in the ring, so that calls are kept in
	 * that order, not in the order their returns ran in. Under the
	 * history's lock, but for the two first fields.
	 */
	struct llist_node lock_node;	/* in hist->lockers */
	struct bw_history *hist;	/* the history it joined */
	u32 hist_gen;			/* and that history's generation */
	struct list_head order_link;	/* in hist->ordered */
	u64 seq;
	struct brkwatch_record *slot;	/* NULL if no room was found */
	u64 ordinal;			/* the slot's */
};

struct seq_file;
struct pid;

/* verdict.c */
void bw_verdict(const struct bw_call *call, long ret,
		struct brkwatch_record *rec);
const char *bw_verdict_name(unsigned int verdict);

/* inflight.c: the calls now inside brk(), found by task */
bool bw_inflight_enter(struct bw_call *call);
struct bw_call *bw_inflight_find(void);
void bw_inflight_leave(void);

/* Counters of the whole module: per CPU, summed when read. */
struct bw_stats {
	u64 calls_seen;
	u64 records_stored;
	u64 dropped_ring;
	u64 dropped_memcap;
	u64 dropped_nomem;
	u64 inflight_overflow;
	u64 unknown_verdicts;
	u64 stacks_stored;
	u64 stacks_dropped_ring;
	u64 stacks_dropped_nomem;
	u64 stacks_short;
	u64 stacks_faults;	/* counted as kprobe misses: compat.h */
};

DECLARE_PER_CPU(struct bw_stats, bw_stats);

#define bw_count(field)	this_cpu_inc(bw_stats.field)
#define bw_count_add(field, n)	this_cpu_add(bw_stats.field, n)

/* The break before the call: the base's if it was read. */
static inline u64 bw_call_brk_before(const struct bw_call *call)
{
	return call->based ? call->brk : call->brk_entry;
}

/*
 * What the call returned. The verdict fixes it: it is only given when the
 * call returned exactly this (verdict.c, bw_expect()).
 */
static inline s64 bw_record_ret(const struct brkwatch_record *rec)
{
	switch (rec->verdict) {
	case BRKWATCH_UNKNOWN:
		return rec->call.detail[0];
	case BRKWATCH_INTERRUPTED:
		return -EINTR;
	case BRKWATCH_SAME_PAGE:
	case BRKWATCH_GROW:
	case BRKWATCH_SHRINK:
		return rec->call.request;
	default:
		return rec->call.brk_before;
	}
}

/* The break a call left: the return value, but for -EINTR. */
static inline u64 bw_record_brk_after(const struct brkwatch_record *rec)
{
	s64 ret = bw_record_ret(rec);

	return ret < 0 ? rec->call.brk_before : ret;
}

void bw_stats_sum(struct bw_stats *sum);

/*
 * Records are kept in chunks: a history grows and recycles a chunk at
 * once. Nine records and the link fill 512 bytes. A history's first chunk
 * is smaller, BW_FIRST_CHUNK_RECORDS long, and part of its header (struct
 * bw_first_chunk): three, the calls a dynamically linked program starts
 * with when it allocates (the loader's brk(NULL), malloc's brk(NULL) and
 * its first grow), which is all that many programs make.
 */
#define BW_CHUNK_RECORDS	9
#define BW_FIRST_CHUNK_RECORDS	3

struct bw_chunk {
	union {
		struct bw_chunk *next;
		struct llist_node free_node;	/* while in a pool */
	};
	struct brkwatch_record rec[BW_CHUNK_RECORDS];
};

/* The x86-64 DWARF registers 0 (rax) to 16 (rip). */
#define BW_STACK_REGS		17

/* One call's registers and stack top, in a store (stack.c). */
struct bw_stack_slot {
	u64 seq;		/* the call's; 0 for an empty slot */
	u64 regs[BW_STACK_REGS];	/* DWARF order */
	u32 bytes;		/* of data, up to stack_bytes */
	u8 data[];		/* user memory from regs[7], the sp, up */
};

/*
 * A process's stacks ("stacks PID"): allocated whole in the control write,
 * a ring of stack_records slots. A wish until the process's history takes
 * it (history.c), then that history's until it is freed or "nostacks".
 */
struct bw_stacks {
	raw_spinlock_t lock;		/* the slots, order, next and filled */
	unsigned int next;		/* the place in order written next */
	unsigned int filled;		/* slots in use */
	/*
	 * The ring, by the calls' numbers: order[i] is the slot of the i-th
	 * place. Calls of threads return out of the order the mmap lock gave
	 * them their numbers; the slots stay where they were written.
	 */
	u32 *order;
	struct pid *tgid;		/* the process, referenced */
	pid_t nr;			/* its pid, in the initial namespace */
	/* Under the chain lock of nr (history.c): */
	struct bw_history *proc;	/* the history holding it, or NULL */
	struct hlist_node wish;		/* while a wish */
	/* Under bw_stacks_mutex (stack.c): */
	struct list_head link;
	size_t bytes;			/* allocated, in memory_bytes */
	size_t slot_size;		/* bw_stack_slot_size() */
	u8 slots[] __aligned(8);
};

/*
 * A history's first chunk, inside its header: a process that makes no
 * more calls than it holds needs nothing else. Read as a struct bw_chunk
 * whose records end after BW_FIRST_CHUNK_RECORDS (bw_chunk_records()).
 */
struct bw_first_chunk {
	struct bw_chunk *next;
	struct brkwatch_record rec[BW_FIRST_CHUNK_RECORDS];
};

/* bw_history.handoff: what a history was handed to the worker for */
#define BW_HANDOFF_NEW		BIT(0)	/* created: list it, make its file */
#define BW_HANDOFF_EXIT		BIT(1)	/* its process exited */
#define BW_HANDOFF_REPLACED	BIT(2)	/* its pid's next process replaced it */

/* One process's history. */
struct bw_history {
	union {
		struct llist_node free_node;	/* while in a pool */
		struct hlist_node hash;		/* in the table, by pid (RCU) */
	};
	raw_spinlock_t lock;	/* everything below but the worker's part */
	pid_t pid;		/* in the initial PID namespace */
	pid_t ppid;
	u32 gen;		/* tells a recycled object from the history */
	/*
	 * The process itself, referenced: while the history holds it, no
	 * other process has this struct pid, so it names the process.
	 */
	struct pid *tgid;
	/*
	 * The owner, when the history began, at each exec and at exit: the
	 * real ids, and whether its owner may read it as ptrace would let
	 * him (real, effective and saved ids alike, and dumpable).
	 */
	kuid_t uid;
	kgid_t gid;
	bool owner_reads;
	bool exited;
	bool retired;		/* forgotten: no longer appended to */
	u8 list;		/* the worker's: which list link is on */
	atomic_t handoff;	/* BW_HANDOFF_*, not yet taken by the worker */
	char comm[TASK_COMM_LEN];
	u64 last_exec_ns;	/* the newest exec, 0 if none */
	u64 lost_exec_ns;	/* the first exec whose marker was not kept */
	u64 start_brk;
	u64 start_data;
	u64 end_data;
	u64 brk;
	u64 brk_seq;		/* the call that left brk, in lock order */
	u64 calls;
	u64 dropped;
	u64 exit_ns;
	/*
	 * Calls that took the mmap lock, not yet returned: pushed (from any
	 * context) onto lockers, then moved, in the lock's order, onto
	 * ordered (under the lock below).
	 */
	struct llist_head lockers;
	struct list_head ordered;
	/* The ring: records [appended - nr, appended), first chunk first */
	struct bw_chunk *head;
	struct bw_chunk *tail;
	unsigned int head_idx;
	unsigned int tail_idx;
	unsigned int nr;
	unsigned int chunks;		/* allocated ones, after the first */
	u64 appended;
	/* The process's stacks, if on: set under lock, read under RCU. */
	struct bw_stacks __rcu *stacks;
	struct bw_first_chunk first;

	/* Handed from atomic context to the worker (handoff says why). */
	struct llist_node handoff_node;

	/* The worker's, under bw_lock. */
	struct list_head link;		/* as list says (history.c) */
};

/* What a reader needs of a history's header, copied under its lock. */
struct bw_history_head {
	pid_t pid;
	pid_t ppid;
	char comm[TASK_COMM_LEN];
	bool exited;
	kuid_t uid;
	u64 last_exec_ns;
	u64 lost_exec_ns;
	u64 start_brk;
	u64 start_data;
	u64 end_data;
	u64 brk;
	u64 calls;
	u64 dropped;
};

/* main.c: the module parameters */
extern unsigned int bw_records_per_process;
extern unsigned int bw_exited_keep_seconds;
extern unsigned int bw_maxactive;
extern unsigned int bw_stack_bytes;
extern unsigned int bw_stack_records;
unsigned long bw_memory_cap(void);

/* history.c */
int bw_history_init(void);
void bw_history_stop(void);
void bw_history_exit(void);
void bw_history_locked(struct bw_call *call);
void bw_history_record(struct bw_call *call, long ret);
void bw_history_exec(struct task_struct *task);
void bw_history_task_exit(struct task_struct *task);
/* A reader's place in a history's ring (bw_history_read()). */
struct bw_cursor {
	struct bw_chunk *chunk;		/* NULL: start from the head */
	u64 base;			/* the ordinal of its first record */
};

bool bw_history_read(struct bw_history *proc, u64 ordinal,
		     struct brkwatch_record *rec, u64 *actual,
		     struct bw_cursor *cur);
size_t bw_history_pid_bytes(void);
void bw_history_clear(void);
int bw_history_forget(pid_t pid);
void bw_history_counts(unsigned long *running, unsigned long *exited);
void bw_history_snapshot(struct bw_history *proc, struct bw_history_head *head);

/* history.c, for stack.c: a store given to or taken from its history */
void bw_history_stacks_attach(struct bw_stacks *s);
void bw_history_stacks_detach(struct bw_stacks *s);
bool bw_history_stacks_drop_wish(struct bw_stacks *s);

/* stack.c */
size_t bw_stack_slot_size(void);
void bw_stacks_capture(struct bw_stacks *s, u64 seq);
bool bw_stacks_find(struct bw_history *p, u64 seq, struct bw_stack_slot *out);
void bw_stacks_show(struct seq_file *m, const struct bw_stack_slot *slot);
int bw_stacks_on(pid_t nr);
int bw_stacks_off(pid_t nr);
void bw_stacks_release(struct bw_history *p);
void bw_stacks_reap(void);
unsigned long bw_stacks_processes(void);
void bw_stacks_exit(void);

/* access.c: who may read a history, asked at open and at each exec after */
struct pid_namespace *bw_reader_ns(const struct file *file);
int bw_access_open(const struct file *file, struct bw_history *proc);
bool bw_access_exec(const struct file *file, struct bw_history *proc, u64 exec_ns,
		    bool secure);

/* procfs.c */
int bw_procfs_init(void);
void bw_procfs_exit(void);
size_t bw_procfs_file_bytes(void);
int bw_procfs_add(struct bw_history *proc);
void bw_procfs_remove(pid_t pid);

/* lockpoint.c */
int bw_lock_point_find(unsigned long *after_call, unsigned long *held);
int bw_limits_points_find(unsigned long *range, unsigned long *mlock,
			  bool *mlock_after_call);

/* probe.c */
extern bool bw_paused;

/* The probes inside brk() that are registered, for the verdict. */
#define BW_PROBE_LOCK		BIT(0)	/* brk() took the mmap lock */
#define BW_PROBE_LIMITS		BIT(1)	/* check_brk_limits(), 6.1 on */
#define BW_PROBE_BRK_FLAGS	BIT(2)	/* do_brk_flags() */
extern unsigned int bw_probes_present;
unsigned long bw_probes_inner_missed(void);
int bw_probes_prepare(void);
void bw_probes_release(void);
int bw_probes_init(void);
void bw_probes_exit(void);
void bw_probes_describe(struct seq_file *m);
unsigned long bw_probes_missed(void);
unsigned long bw_probes_syscall_faults(void);

#endif /* BRKWATCH_INTERNAL_H */

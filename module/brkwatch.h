/* SPDX-License-Identifier: GPL-2.0 */
/*
 * brkwatch: what the kernel decided on each brk() call.
 *
 * This header is shared by the kernel module and the userspace reader: the
 * reader includes it for the verdict names and the proc format version, so
 * the two can never disagree on either.
 */
#ifndef BRKWATCH_H
#define BRKWATCH_H

#include <linux/types.h>

/* Bumped whenever a line of /proc/brkwatch/<PID> changes meaning. */
#define BRKWATCH_FORMAT_VERSION	1

#define BRKWATCH_PROC_DIR	"brkwatch"

/*
 * The verdicts, in the order brk() takes its decisions (mm/mmap.c). Their
 * names are part of the proc format: never rename one.
 */
enum brkwatch_verdict {
	BRKWATCH_UNKNOWN,
	BRKWATCH_QUERY,
	BRKWATCH_BELOW_MIN,
	BRKWATCH_RLIMIT_DATA,
	BRKWATCH_SAME_PAGE,
	BRKWATCH_GROW,
	BRKWATCH_SHRINK,
	BRKWATCH_SHRINK_FAILED,
	BRKWATCH_LIMITS,
	BRKWATCH_MLOCK_LIMIT,
	BRKWATCH_OVERLAP,
	BRKWATCH_NOMEM,
	BRKWATCH_INTERRUPTED,
	BRKWATCH_NR_VERDICTS
};

/* The names of enum brkwatch_verdict, in its order, for an initializer. */
#define BRKWATCH_VERDICT_NAMES {				\
	"unknown", "query", "below-min", "rlimit-data",		\
	"same-page", "grow", "shrink", "shrink-failed",		\
	"limits", "mlock-limit", "overlap", "nomem",		\
	"interrupted"						\
}

/* What lies just above the heap when the verdict is "overlap". */
enum brkwatch_next_kind {
	BRKWATCH_NEXT_ANON,
	BRKWATCH_NEXT_FILE,
	BRKWATCH_NEXT_STACK,
	BRKWATCH_NEXT_GROWSDOWN,
};

/* brkwatch_record.flags */
#define BRKWATCH_F_IA32		0x01	/* entered through __ia32_sys_brk */
#define BRKWATCH_F_EXEC		0x02	/* an execve marker, not a call */
#define BRKWATCH_F_GAP_ONLY	0x04	/* overlap: only the stack guard gap */
#define BRKWATCH_F_EXEC_SECURE	0x08	/* exec: not dumpable by its owner */
#define BRKWATCH_F_NEXT_SHIFT	4	/* overlap: enum brkwatch_next_kind */
#define BRKWATCH_F_NEXT_MASK	0x30

/*
 * One stored event: a brk() call, or (BRKWATCH_F_EXEC) the new heap an
 * execve gave the process. 56 bytes, so that nine fit in a 512-byte chunk
 * beside its link. What can be derived is derived when printed instead of
 * stored: the aligned breaks, the bytes mapped, and the return value and
 * break after the call, which each verdict fixes (the verdict is only
 * given when the call returned what it implies; "unknown" keeps the
 * return value in detail[0]).
 */
struct brkwatch_record {
	__u64 time_ns;		/* CLOCK_MONOTONIC at entry */
	__u32 tid;		/* thread id in the initial PID namespace */
	__u8 verdict;		/* enum brkwatch_verdict */
	__u8 flags;		/* BRKWATCH_F_* */
	__u16 reserved;
	union {
		struct {
			__u64 request;		/* the argument, as passed */
			__u64 brk_before;	/* mm->brk under the mmap lock */
			__u64 detail[2];	/* per verdict, see procfs.c */
			__u32 seq;		/* call number, from 1 */
			__u32 duration_ns;	/* saturated at U32_MAX */
		} call;
		struct {
			__u64 start_brk;
			__u64 start_data;
			__u64 end_data;
			char comm[16];		/* the new program's */
		} exec;
	};
};

#endif /* BRKWATCH_H */

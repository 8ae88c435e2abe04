/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the module stores one event of a history. Private to the module:
 * what user space sees is the text of /proc/brkwatch/<PID> (brkwatch.h,
 * ABI/procfs-brkwatch), never this layout.
 */
#ifndef BRKWATCH_RECORD_H
#define BRKWATCH_RECORD_H

#include <linux/types.h>

/* brkwatch_record.flags */
#define BRKWATCH_F_IA32		0x01	/* entered through __ia32_sys_brk */
#define BRKWATCH_F_EXEC		0x02	/* an execve marker, not a call */
#define BRKWATCH_F_GAP_ONLY	0x04	/* overlap: only the stack guard gap */
#define BRKWATCH_F_EXEC_SECURE	0x08	/* exec: not dumpable by its owner */
#define BRKWATCH_F_NEXT_SHIFT	4	/* overlap: enum brkwatch_next_kind */
#define BRKWATCH_F_NEXT_MASK	0x30
#define BRKWATCH_F_PENDING	0x40	/* numbered, its call not yet returned */

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
	__u16 seq_hi;		/* a call's number, bits 32 to 47 */
	union {
		struct {
			__u64 request;		/* the argument, as passed */
			__u64 brk_before;	/* mm->brk under the mmap lock */
			__u64 detail[2];	/* per verdict, see procfs.c */
			__u32 seq;		/* call number from 1, low bits */
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

/*
 * A call's number in its process, from 1: 48 bits, so that no process
 * makes enough calls to wrap it (2^48 at a million calls a second is
 * nine years).
 */
static inline __u64 bw_record_seq(const struct brkwatch_record *r)
{
	return (__u64)r->seq_hi << 32 | r->call.seq;
}

#endif /* BRKWATCH_RECORD_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The calls now inside brk(), found by their task.
 *
 * The probes inside brk() (where it holds the mmap lock, check_brk_limits(),
 * do_brk_flags()) must find the snapshot that the syscall entry probe of
 * the same task started. A task cannot be in two brk() calls at once, so a
 * small open-addressed table keyed by the task pointer does it without a
 * lock: a slot is claimed with cmpxchg() and only its own task writes it.
 * A lookup by a task that is not in brk() (do_brk_flags() from the ELF
 * loader; where brk()'s lock cannot be found inside it, every caller of
 * down_write_killable()) reads a few slots and leaves.
 */
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/atomic.h>
#include "internal.h"

#define BW_INFLIGHT_BITS	10
#define BW_INFLIGHT_SIZE	BIT(BW_INFLIGHT_BITS)
#define BW_INFLIGHT_PROBES	8

struct bw_inflight_slot {
	struct task_struct *task;
	struct bw_call *call;
};

static struct bw_inflight_slot bw_inflight[BW_INFLIGHT_SIZE];

static struct bw_inflight_slot *bw_inflight_slot(unsigned int i)
{
	unsigned int h = hash_ptr(current, BW_INFLIGHT_BITS);

	return &bw_inflight[(h + i) & (BW_INFLIGHT_SIZE - 1)];
}

/**
 * bw_inflight_enter - the calling task enters brk(): make its call findable
 * @call: its snapshot, in the syscall probe's instance data
 *
 * Return: false, and the caller counts it, when no slot is free.
 */
bool bw_inflight_enter(struct bw_call *call)
{
	unsigned int i;

	for (i = 0; i < BW_INFLIGHT_PROBES; i++) {
		struct bw_inflight_slot *slot = bw_inflight_slot(i);

		if (!READ_ONCE(slot->task) &&
		    !cmpxchg(&slot->task, NULL, current)) {
			WRITE_ONCE(slot->call, call);
			return true;
		}
	}
	return false;
}

static struct bw_inflight_slot *bw_inflight_mine(void)
{
	unsigned int i;

	for (i = 0; i < BW_INFLIGHT_PROBES; i++) {
		struct bw_inflight_slot *slot = bw_inflight_slot(i);

		if (READ_ONCE(slot->task) == current)
			return slot;
	}
	return NULL;
}

/**
 * bw_inflight_find - the call the calling task is making inside brk()
 *
 * Return: its snapshot, or NULL when the task is not in brk() (or its call
 * found no slot).
 */
struct bw_call *bw_inflight_find(void)
{
	struct bw_inflight_slot *slot = bw_inflight_mine();

	return slot ? slot->call : NULL;
}

/**
 * bw_inflight_leave - the calling task left brk() (or exits): free its slot
 */
void bw_inflight_leave(void)
{
	struct bw_inflight_slot *slot = bw_inflight_mine();

	if (!slot)
		return;
	WRITE_ONCE(slot->call, NULL);
	/* Whoever claims the slot next must see it empty first. */
	smp_store_release(&slot->task, NULL);
}

/* Called by the probe handlers (probe.c): a probe here would recurse. */
NOKPROBE_SYMBOL(bw_inflight_slot);
NOKPROBE_SYMBOL(bw_inflight_mine);
NOKPROBE_SYMBOL(bw_inflight_enter);
NOKPROBE_SYMBOL(bw_inflight_find);
NOKPROBE_SYMBOL(bw_inflight_leave);

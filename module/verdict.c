// SPDX-License-Identifier: GPL-2.0
/*
 * The decision brk() took, re-derived from what the probes saw.
 *
 * brk() returns the old break on every refusal, so its return value alone
 * cannot say why. The order of its checks (mm/mmap.c: the same from 6.1
 * to 7.x; before 6.1 the overlap check came before the range and mlock
 * checks, which do_brk_flags() made) is followed here step by step. Where
 * a step had no function of its own to probe, the verdict follows by
 * elimination; each verdict must agree with the value the call returned,
 * else the verdict is "unknown": a guess is never dressed as a verdict.
 */
#include <linux/errno.h>
#include <linux/err.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/resource.h>
#include "compat.h"
#include "internal.h"

static const char *const bw_verdict_names[] = BRKWATCH_VERDICT_NAMES;
static_assert(ARRAY_SIZE(bw_verdict_names) == BRKWATCH_NR_VERDICTS);

const char *bw_verdict_name(unsigned int verdict)
{
	if (verdict >= ARRAY_SIZE(bw_verdict_names))
		verdict = BRKWATCH_UNKNOWN;
	return bw_verdict_names[verdict];
}

/* The verdict holds only if the call returned what that decision returns. */
static u8 bw_expect(u8 verdict, long ret, u64 expected)
{
	return (u64)ret == expected ? verdict : BRKWATCH_UNKNOWN;
}

/* The overlap check refused: the mapping it found above the old break. */
static u8 bw_overlap_verdict(const struct bw_call *c, long ret,
			     struct brkwatch_record *rec)
{
	if (!c->next_found)
		return BRKWATCH_UNKNOWN;
	rec->call.detail[0] = c->next_start;
	rec->call.detail[1] = c->next_end;
	rec->flags |= c->next_kind << BRKWATCH_F_NEXT_SHIFT;
	/* Short of the mapping itself, only the gap kept below it was hit. */
	if (bw_vma_has_gap(c->next_flags) &&
	    PAGE_ALIGN(c->request) + PAGE_SIZE <= c->next_start)
		rec->flags |= BRKWATCH_F_GAP_ONLY;
	return bw_expect(BRKWATCH_OVERLAP, ret, c->brk);
}

/*
 * Before 6.1, do_brk_flags() checked the range itself, with
 * get_unmapped_area(addr, len, MAP_FIXED): -ENOMEM when len or the end of
 * the range passes TASK_SIZE, the security modules' error (mmap_min_addr)
 * otherwise; then the mlock limit (-EAGAIN); then it could only run out
 * of memory (-ENOMEM: may_expand_vm(), the map count, overcommit).
 */
static u8 bw_brk_flags_refusal(const struct bw_call *c)
{
	u64 oldbrk = PAGE_ALIGN(c->brk);
	u64 len = PAGE_ALIGN(c->request) - oldbrk;

	if (c->brk_flags_ret == -EAGAIN)
		return BRKWATCH_MLOCK_LIMIT;
	if (c->brk_flags_ret != -ENOMEM ||
	    len > c->task_size || oldbrk > c->task_size - len)
		return BRKWATCH_LIMITS;
	return BRKWATCH_NOMEM;
}

static u8 bw_grow_verdict(const struct bw_call *c, long ret,
			  struct brkwatch_record *rec)
{
	u64 origbrk = c->brk;

	/* Growing can only succeed one way. */
	if ((u64)ret == c->request)
		return BRKWATCH_GROW;
	if (!BW_BRK_FLAGS_CHECKS_LIMITS) {
		/* 6.1 on: check_brk_limits(), the overlap, do_brk_flags() */
		if (!(bw_probes_present & BW_PROBE_LIMITS) || !c->limits_checked)
			return BRKWATCH_UNKNOWN;
		if (c->limits_ret) {
			rec->call.detail[0] = c->limits_ret;
			/* mlock_future_check() and mlock_future_ok() give -EAGAIN */
			return bw_expect(c->limits_ret == -EAGAIN ?
					 BRKWATCH_MLOCK_LIMIT : BRKWATCH_LIMITS,
					 ret, origbrk);
		}
	}
	/* Reached, and the old break returned: do_brk_flags() refused. */
	if (c->brk_flags_called) {
		if (BW_BRK_FLAGS_CHECKS_LIMITS) {
			rec->call.detail[0] = c->brk_flags_ret;
			return bw_expect(bw_brk_flags_refusal(c), ret, origbrk);
		}
		/* Its only error, where its return is not hooked. */
		rec->call.detail[0] = BW_BRK_FLAGS_ONLY_ENOMEM ? -ENOMEM :
				      c->brk_flags_ret;
		return bw_expect(BRKWATCH_NOMEM, ret, origbrk);
	}
	/*
	 * Not reached: the overlap check refused, by elimination. Only if
	 * every probe it rests on was there and saw the whole call.
	 */
	if (!(bw_probes_present & BW_PROBE_BRK_FLAGS) || c->incomplete)
		return BRKWATCH_UNKNOWN;
	return bw_overlap_verdict(c, ret, rec);
}

static u8 bw_decide(const struct bw_call *c, long ret,
		    struct brkwatch_record *rec)
{
	u64 origbrk;
	u64 size;

	/* brk() fails only when killed waiting for the mmap lock. */
	if (ret == -EINTR)
		return BRKWATCH_INTERRUPTED;
	if (IS_ERR_VALUE(ret) || !c->based || c->rlimit_changed)
		return BRKWATCH_UNKNOWN;
	origbrk = c->brk;

	if (c->request < c->min_brk)
		return bw_expect(c->request ? BRKWATCH_BELOW_MIN :
					      BRKWATCH_QUERY, ret, origbrk);

	size = (c->request - c->start_brk) + (c->end_data - c->start_data);
	if (c->rlimit_data != RLIM_INFINITY && size > c->rlimit_data) {
		rec->call.detail[0] = c->rlimit_data;
		rec->call.detail[1] = size;
		return bw_expect(BRKWATCH_RLIMIT_DATA, ret, origbrk);
	}

	if (PAGE_ALIGN(c->request) == PAGE_ALIGN(origbrk))
		return bw_expect(BRKWATCH_SAME_PAGE, ret, c->request);

	if (c->request <= origbrk) {
		if ((u64)ret == c->request)
			return BRKWATCH_SHRINK;
		return bw_expect(BRKWATCH_SHRINK_FAILED, ret, origbrk);
	}

	return bw_grow_verdict(c, ret, rec);
}

/**
 * bw_verdict - turn what the probes saw of one call into its record
 * @c: the snapshot of the call
 * @ret: what the call returned
 * @rec: the record to fill (time, thread and sequence are the caller's)
 */
void bw_verdict(const struct bw_call *c, long ret, struct brkwatch_record *rec)
{
	rec->call.request = c->request;
	rec->call.brk_before = bw_call_brk_before(c);
	rec->call.detail[0] = 0;
	rec->call.detail[1] = 0;
	rec->flags = c->ia32 ? BRKWATCH_F_IA32 : 0;
	rec->verdict = bw_decide(c, ret, rec);
	/* No verdict to imply the return value: keep it. */
	if (rec->verdict == BRKWATCH_UNKNOWN) {
		rec->call.detail[0] = ret;
		rec->call.detail[1] = 0;
		rec->flags &= BRKWATCH_F_IA32;
	}
}

/* Called from the probe handlers: a probe hit in them would recurse. */
NOKPROBE_SYMBOL(bw_verdict);
NOKPROBE_SYMBOL(bw_decide);
NOKPROBE_SYMBOL(bw_grow_verdict);
NOKPROBE_SYMBOL(bw_brk_flags_refusal);
NOKPROBE_SYMBOL(bw_overlap_verdict);
NOKPROBE_SYMBOL(bw_expect);

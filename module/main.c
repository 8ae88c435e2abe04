// SPDX-License-Identifier: GPL-2.0
/*
 * brkwatch: records every brk() call of every process, with the decision
 * the kernel took, in /proc/brkwatch/<PID>.
 *
 * Parameters, init and exit, each in the reverse order of the other.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include "internal.h"

unsigned int bw_records_per_process = 1024;
module_param_named(records_per_process, bw_records_per_process, uint, 0444);
MODULE_PARM_DESC(records_per_process,
		 "Calls kept per process; older ones are overwritten and counted as dropped (18 to 1048576, default 1024)");

static unsigned long bw_memory_cap_kib = 65536;
module_param_named(memory_cap_kib, bw_memory_cap_kib, ulong, 0444);
MODULE_PARM_DESC(memory_cap_kib,
		 "Memory for all histories together, their files and pids included, in KiB; past 7/8 of it exited processes' histories are forgotten, oldest first, and at the cap new calls are dropped and counted (default 65536)");

unsigned int bw_exited_keep_seconds = 600;
module_param_named(exited_keep_seconds, bw_exited_keep_seconds, uint, 0444);
MODULE_PARM_DESC(exited_keep_seconds,
		 "How long the history of an exited process is kept, in seconds (default 600)");

unsigned int bw_maxactive = 256;
module_param_named(maxactive, bw_maxactive, uint, 0444);
MODULE_PARM_DESC(maxactive,
		 "Calls each probe can follow at once; more are counted as kretprobe misses (default 256)");

unsigned int bw_stack_bytes = 8192;
module_param_named(stack_bytes, bw_stack_bytes, uint, 0444);
MODULE_PARM_DESC(stack_bytes,
		 "Bytes of user stack kept per brk() call of a process with stacks on (512 to 65536, a multiple of 8, default 8192)");

unsigned int bw_stack_records = 64;
module_param_named(stack_records, bw_stack_records, uint, 0444);
MODULE_PARM_DESC(stack_records,
		 "Stacks kept per process with stacks on, newest first (1 to 4096, default 64)");

DEFINE_PER_CPU(struct bw_stats, bw_stats);

void bw_stats_sum(struct bw_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct bw_stats *s = per_cpu_ptr(&bw_stats, cpu);

		sum->calls_seen += s->calls_seen;
		sum->records_stored += s->records_stored;
		sum->dropped_ring += s->dropped_ring;
		sum->dropped_memcap += s->dropped_memcap;
		sum->dropped_nomem += s->dropped_nomem;
		sum->inflight_overflow += s->inflight_overflow;
		sum->unknown_verdicts += s->unknown_verdicts;
		sum->stacks_stored += s->stacks_stored;
		sum->stacks_dropped_ring += s->stacks_dropped_ring;
		sum->stacks_dropped_nomem += s->stacks_dropped_nomem;
		sum->stacks_short += s->stacks_short;
		sum->stacks_faults += s->stacks_faults;
	}
}

/* Called from the probe handlers too. */
unsigned long bw_memory_cap(void)
{
	return bw_memory_cap_kib * 1024;
}

NOKPROBE_SYMBOL(bw_memory_cap);

static int __init bw_check_params(void)
{
	if (bw_records_per_process < 2 * BW_CHUNK_RECORDS ||
	    bw_records_per_process > 1048576) {
		pr_err("records_per_process must be between %d and 1048576\n",
		       2 * BW_CHUNK_RECORDS);
		return -EINVAL;
	}
	if (bw_memory_cap_kib < 64 || bw_memory_cap_kib > ULONG_MAX / 1024) {
		pr_err("memory_cap_kib must be at least 64\n");
		return -EINVAL;
	}
	if (!bw_maxactive || bw_maxactive > 65536) {
		pr_err("maxactive must be between 1 and 65536\n");
		return -EINVAL;
	}
	if (bw_stack_bytes < 512 || bw_stack_bytes > 65536 ||
	    bw_stack_bytes % 8) {
		pr_err("stack_bytes must be a multiple of 8 between 512 and 65536\n");
		return -EINVAL;
	}
	if (!bw_stack_records || bw_stack_records > 4096) {
		pr_err("stack_records must be between 1 and 4096\n");
		return -EINVAL;
	}
	return 0;
}

static int __init brkwatch_init(void)
{
	int err;

	err = bw_check_params();
	if (err)
		return err;
	err = bw_probes_prepare();
	if (err)
		return err;
	err = bw_history_init();
	if (err)
		goto fail_history;
	err = bw_procfs_init();
	if (err)
		goto fail_procfs;
	err = bw_probes_init();
	if (err)
		goto fail_probes;
	return 0;

fail_probes:
	bw_history_stop();
	bw_procfs_exit();
	bw_history_exit();
	bw_stacks_exit();
	goto fail_history;
fail_procfs:
	bw_history_stop();
	bw_history_exit();
fail_history:
	bw_probes_release();
	return err;
}

static void __exit brkwatch_exit(void)
{
	bw_probes_exit();
	bw_history_stop();
	bw_procfs_exit();
	bw_history_exit();
	bw_stacks_exit();
	bw_probes_release();
}

module_init(brkwatch_init);
module_exit(brkwatch_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Records every brk() call and the decision the kernel took");
MODULE_VERSION(BRKWATCH_VERSION);

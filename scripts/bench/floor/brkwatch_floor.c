// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: brkwatch's probes at the same places, of the same
 * kinds, with handlers that do nothing. What brkwatch costs above this is
 * its own work; this much is the kprobe mechanism's.
 *
 * What to probe is brkwatch's own account, the "probes:" line of its
 * status file, given as probes= with commas for its spaces (the benchmark
 * does that): a place inside a function ("__do_sys_brk+0x8a", where
 * brkwatch follows brk()'s lock or reads check_brk_limits()'s result) gets
 * a kprobe; do_brk_flags() a kprobe where brkwatch needs only its entry,
 * as the exit probe does; any other function a kretprobe. On
 * down_write_killable(), which brkwatch probes only where it cannot find
 * brk()'s lock, the entry handler leaves at once for a process alone on its
 * mm, as brkwatch's does.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/mm_types.h>
#include <linux/string.h>
#include "compat.h"	/* brkwatch's, linked beside this file */

/* brkwatch registers fewer; a longer list is refused */
#define FLOOR_MAX_PROBES	10

static int floor_hook_return(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	return 0;
}

static int floor_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int floor_lock_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct mm_struct *mm = current->mm;

	return mm && atomic_read(&mm->mm_users) == 1;
}

static int floor_hit(struct kprobe *kp, struct pt_regs *regs)
{
	return 0;
}

NOKPROBE_SYMBOL(floor_hook_return);
NOKPROBE_SYMBOL(floor_return);
NOKPROBE_SYMBOL(floor_lock_entry);
NOKPROBE_SYMBOL(floor_hit);

static char *probes;
module_param(probes, charp, 0444);
MODULE_PARM_DESC(probes,
		 "brkwatch's status line \"probes:\", commas for its spaces: what to probe");

struct floor_probe {
	char sym[KSYM_NAME_LEN];
	bool kretprobe;
	bool registered;
	union {
		struct kprobe kp;
		struct kretprobe rp;
	};
};

static struct floor_probe floor_probes[FLOOR_MAX_PROBES];

static void floor_exit(void)
{
	unsigned int i = FLOOR_MAX_PROBES;

	while (i--) {
		struct floor_probe *p = &floor_probes[i];

		if (!p->registered)
			continue;
		if (p->kretprobe)
			unregister_kretprobe(&p->rp);
		else
			unregister_kprobe(&p->kp);
		p->registered = false;
	}
}
module_exit(floor_exit);

/* Sets up @p for @word, "function" or "function+0xOFFSET". */
static int __init floor_parse(struct floor_probe *p, const char *word,
			      size_t len)
{
	const char *plus = strnchr(word, len, '+');
	size_t name_len = plus ? plus - word : len;
	unsigned int off = 0;
	char num[16];

	if (!name_len || name_len >= sizeof(p->sym))
		return -EINVAL;
	memcpy(p->sym, word, name_len);
	p->sym[name_len] = '\0';
	if (plus) {
		size_t num_len = len - name_len - 1;

		if (!num_len || num_len >= sizeof(num))
			return -EINVAL;
		memcpy(num, plus + 1, num_len);
		num[num_len] = '\0';
		if (kstrtouint(num, 0, &off))
			return -EINVAL;
	}
	p->kretprobe = !plus && strcmp(p->sym, "exit_mm_release") &&
		       (strcmp(p->sym, "do_brk_flags") ||
			!BW_BRK_FLAGS_ONLY_ENOMEM);
	if (p->kretprobe) {
		p->rp.kp.symbol_name = p->sym;
		p->rp.entry_handler = strcmp(p->sym, "down_write_killable") ?
				      floor_hook_return : floor_lock_entry;
		p->rp.handler = floor_return;
		p->rp.maxactive = 256;
	} else {
		p->kp.symbol_name = p->sym;
		p->kp.offset = off;
		p->kp.pre_handler = floor_hit;
	}
	return 0;
}

static int __init floor_init(void)
{
	const char *word = probes;
	unsigned int n = 0;
	int err;

	if (!word || !*word) {
		pr_err("brkwatch_floor: probes= is required (brkwatch's status line \"probes:\")\n");
		return -EINVAL;
	}
	while (*word) {
		size_t len = strchrnul(word, ',') - word;

		if (len) {
			if (n == FLOOR_MAX_PROBES ||
			    floor_parse(&floor_probes[n], word, len)) {
				pr_err("brkwatch_floor: probes='%s': too many, or not function[+0xOFFSET]\n",
				       probes);
				return -EINVAL;
			}
			n++;
		}
		word += len + (word[len] == ',');
	}
	while (n--) {
		struct floor_probe *p = &floor_probes[n];

		err = p->kretprobe ? register_kretprobe(&p->rp) :
				     register_kprobe(&p->kp);
		if (err) {
			pr_err("brkwatch_floor: cannot probe %s (%d)\n",
			       p->sym, err);
			floor_exit();
			return err;
		}
		p->registered = true;
	}
	return 0;
}
module_init(floor_init);

MODULE_DESCRIPTION("brkwatch's probes with empty handlers: the benchmark's floor");
MODULE_LICENSE("GPL");

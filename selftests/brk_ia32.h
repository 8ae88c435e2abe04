/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What brk_ia32_prog (32-bit) tells brk_ia32_test (64-bit) through a pipe:
 * fixed-size fields only, the same layout on both sides.
 */
#ifndef BRK_IA32_H
#define BRK_IA32_H

#define IA32_MAGIC	0x62726b33u	/* "brk3" */
#define IA32_MAX	8

struct ia32_report {
	unsigned int magic;
	unsigned int tid;
	unsigned int n;			/* brk() calls made */
	unsigned int req[IA32_MAX];
	unsigned int ret[IA32_MAX];
};

#endif /* BRK_IA32_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * brkwatch: the text ABI of /proc/brkwatch, shared by the kernel module
 * and the userspace reader (which finds it through its include path), so
 * that the two can never disagree on a name. It holds the vocabulary of
 * the text and nothing else: the format is specified in
 * module/ABI/procfs-brkwatch, and how the module stores its records is its
 * own business (record.h).
 */
#ifndef BRKWATCH_H
#define BRKWATCH_H

/* The module's version: MODULE_VERSION, "version:" in status, brkwatch -V. */
#define BRKWATCH_VERSION	"0.1.0"

/* Bumped whenever a line of /proc/brkwatch/<PID> changes meaning. */
#define BRKWATCH_FORMAT_VERSION	2

#define BRKWATCH_PROC_DIR	"brkwatch"

/* The columns of a call line, as the "# columns" header line names them. */
#define BRKWATCH_COLUMNS						\
	"seq time_ns tid entry request brk_before brk_after "		\
	"aligned_before aligned_after delta ret duration_ns verdict details"
#define BRKWATCH_NR_COLUMNS	14

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

/*
 * The verdicts that are refusals: brk() left the break where it was
 * although the request asked to move it. A bit per enum brkwatch_verdict.
 */
#define BRKWATCH_REFUSALS					\
	((1u << BRKWATCH_BELOW_MIN) | (1u << BRKWATCH_RLIMIT_DATA) |	\
	 (1u << BRKWATCH_SHRINK_FAILED) | (1u << BRKWATCH_LIMITS) |	\
	 (1u << BRKWATCH_MLOCK_LIMIT) | (1u << BRKWATCH_OVERLAP) |	\
	 (1u << BRKWATCH_NOMEM) | (1u << BRKWATCH_INTERRUPTED))

/* What lies just above the heap when the verdict is "overlap". */
enum brkwatch_next_kind {
	BRKWATCH_NEXT_ANON,
	BRKWATCH_NEXT_FILE,
	BRKWATCH_NEXT_STACK,
	BRKWATCH_NEXT_GROWSDOWN,
	BRKWATCH_NR_NEXT_KINDS
};

/* The names of enum brkwatch_next_kind (next_kind=), for an initializer. */
#define BRKWATCH_NEXT_KIND_NAMES {				\
	[BRKWATCH_NEXT_ANON] = "anon",				\
	[BRKWATCH_NEXT_FILE] = "file",				\
	[BRKWATCH_NEXT_STACK] = "stack",			\
	[BRKWATCH_NEXT_GROWSDOWN] = "growsdown",		\
}

#endif /* BRKWATCH_H */

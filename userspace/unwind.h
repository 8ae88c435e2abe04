/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User call stacks of brk() calls ("# stack" lines), unwound with elfutils'
 * libdw against the mappings of the process, captured as /proc/PID/maps text
 * while it lived. The files named there are read from this machine: a file
 * whose inode is no longer the one mapped is not used (a frame in it gets
 * object+offset, never a name that may be wrong).
 */
#ifndef BWR_UNWIND_H
#define BWR_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procfile.h"

#define BWR_MAX_FRAMES	64

struct bwr_frame {
	uint64_t addr;		/* #0: where brk() was called; the others: return addresses */
	char object[256];	/* the mapping's path, or "" (anonymous or none) */
	uint64_t obj_offset;	/* addr as an offset in object's file (when object) */
	char symbol[256];	/* the function, or "" when no symbol covers addr */
	uint64_t sym_offset;	/* addr - the symbol's start (when symbol) */
	char file[512];		/* source file from the debug information, or "" */
	unsigned line;		/* its line, 0 when file is "" */
};

/* The frames of one call's stack, and why the walk ended there */
struct bwr_frames {
	const struct bwr_frame *f;
	size_t n;
	const char *why;
};

struct bwr_unwinder;

/*
 * An unwinder for one process's mappings (maps text, copied). pid is the
 * process's (only a label: nothing is read from it). NULL when out of memory.
 */
struct bwr_unwinder *bwr_unwinder_new(const char *maps, size_t len, uint32_t pid);
void bwr_unwinder_free(struct bwr_unwinder *u);

/*
 * The frames of one stack, innermost first, at most max: frame 0 comes from
 * the registers alone, the others from the call frame information of the
 * mapped files and the captured stack bytes. Unwinding stops where the
 * captured bytes end, where a frame has no call frame information, or at
 * the outermost frame: why (if not NULL) says which, in a few words.
 */
size_t bwr_unwind(struct bwr_unwinder *u, const struct bwr_stack *s, struct bwr_frame *f,
		  size_t max, char *why, size_t why_size);

/* "0x... sym+0x2a3 (libc.so.6) malloc.c:2712" or "0x... (object+0x1234)" or "0x..." */
const char *bwr_frame_text(const struct bwr_frame *f, char *buf, size_t size);

#endif

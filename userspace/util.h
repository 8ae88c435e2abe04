/* SPDX-License-Identifier: GPL-2.0 */
/* Small pure helpers: human units, times, addresses, escaping. No I/O. */
#ifndef BWR_UTIL_H
#define BWR_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define BWR_PAGE_SIZE 4096ULL	/* x86-64, the only architecture the module probes */

/* "0", "+12 B", "+132 KiB", "-4 KiB", "+1.5 MiB" (signed) */
const char *bwr_human_delta(int64_t bytes, char *buf, size_t size);
/* "0 B", "132 KiB", "1.5 MiB" (unsigned) */
const char *bwr_human_size(uint64_t bytes, char *buf, size_t size);
/* nanoseconds since the first call: "+0.000123s"; 14 bytes at most below 10^13 s */
const char *bwr_since(uint64_t t, uint64_t t0, char *buf, size_t size);
/* "0x55ff09543000" */
const char *bwr_addr(uint64_t a, char *buf, size_t size);
/* An offset from base: "+0x21000", "-0x10", "+0x0" */
const char *bwr_offset(uint64_t a, uint64_t base, char *buf, size_t size);

/*
 * Escape arbitrary bytes for a terminal: printable ASCII except backslash as
 * is, valid UTF-8 (bwr_utf8_len()) as is, everything else (space, controls,
 * invalid bytes, backslash) as \ooo octal, like the proc file. Always
 * NUL-terminates; cuts the output (ending with "...") when out is too small.
 */
const char *bwr_escape(const char *s, size_t n, char *out, size_t size);
/* The same for a line quoted in an error message: spaces kept as they are. */
const char *bwr_escape_msg(const char *s, size_t n, char *out, size_t size);
/* Length of the valid, printable UTF-8 sequence (2 to 4 bytes) at s, or 0 */
size_t bwr_utf8_len(const char *s, size_t n);

#endif

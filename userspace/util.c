// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *human(uint64_t v, const char *sign, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t div = 1;

	if (v == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && v / div >= 1024) {
		div *= 1024;
		u++;
	}
	if (v % div == 0) {
		snprintf(buf, size, "%s%" PRIu64 " %s", sign, v / div, units[u]);
	} else {
		/* one decimal, rounded; 1023.96 KiB becomes 1.0 MiB */
		uint64_t tenths = (v / div) * 10 + ((v % div) * 10 + div / 2) / div;

		if (tenths >= 10240 && u + 1 < sizeof(units) / sizeof(units[0])) {
			tenths = 10;
			u++;
		}
		if (tenths % 10 == 0)
			snprintf(buf, size, "%s%" PRIu64 " %s", sign, tenths / 10, units[u]);
		else
			snprintf(buf, size, "%s%" PRIu64 ".%" PRIu64 " %s", sign,
				 tenths / 10, tenths % 10, units[u]);
	}
	return buf;
}

const char *bwr_human_delta(int64_t bytes, char *buf, size_t size)
{
	if (bytes < 0)
		return human((uint64_t)0 - (uint64_t)bytes, "-", buf, size);
	return human((uint64_t)bytes, "+", buf, size);
}

const char *bwr_human_size(uint64_t bytes, char *buf, size_t size)
{
	human(bytes, "", buf, size);
	if (bytes == 0)
		snprintf(buf, size, "0 B");
	return buf;
}

const char *bwr_since(uint64_t t, uint64_t t0, char *buf, size_t size)
{
	uint64_t d = t > t0 ? t - t0 : 0;

	if (d >= 100000 * 1000000000ull) {	/* past 27 hours: whole seconds, still 14 columns */
		snprintf(buf, size, "+%" PRIu64 "s", d / 1000000000u);
		return buf;
	}
	snprintf(buf, size, "+%" PRIu64 ".%06" PRIu64 "s", d / 1000000000u,
		 d % 1000000000u / 1000u);
	return buf;
}

const char *bwr_addr(uint64_t a, char *buf, size_t size)
{
	snprintf(buf, size, "0x%" PRIx64, a);
	return buf;
}

const char *bwr_offset(uint64_t a, uint64_t base, char *buf, size_t size)
{
	if (a >= base)
		snprintf(buf, size, "+0x%" PRIx64, a - base);
	else
		snprintf(buf, size, "-0x%" PRIx64, base - a);
	return buf;
}

/*
 * The length of the valid UTF-8 sequence of 2 to 4 bytes at s (at most n), or
 * 0: no overlong forms, no surrogates, nothing past U+10FFFF, and no C1
 * control (U+0080..U+009F), which a terminal would obey.
 */
size_t bwr_utf8_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t len;

	if (n == 0 || u[0] < 0xc2 || u[0] > 0xf4)
		return 0;
	len = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : 2;
	if (n < len)
		return 0;
	cp = u[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	return len;
}

static const char *escape(const char *s, size_t n, char *out, size_t size, bool keep_space)
{
	size_t o = 0;

	if (size == 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t u8 = bwr_utf8_len(s + i, n - i);
		char tmp[5];
		const char *src = tmp;
		size_t len;

		if (u8) {
			src = s + i;
			len = u8;
		} else if ((c > 0x20 && c < 0x7f && c != '\\') || (c == ' ' && keep_space)) {
			tmp[0] = (char)c;
			len = 1;
		} else {
			snprintf(tmp, sizeof(tmp), "\\%03o", c);
			len = 4;
		}
		if (o + len + 4 > size) {	/* room for "..." and NUL */
			if (o + 4 <= size) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, src, len);
		o += len;
		if (u8)
			i += u8 - 1;
	}
	out[o] = '\0';
	return out;
}

const char *bwr_escape(const char *s, size_t n, char *out, size_t size)
{
	return escape(s, n, out, size, false);
}

const char *bwr_escape_msg(const char *s, size_t n, char *out, size_t size)
{
	return escape(s, n, out, size, true);
}

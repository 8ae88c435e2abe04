// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <inttypes.h>
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

const char *bwr_escape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[5];
		size_t len;

		if (c > 0x20 && c < 0x7f && c != '\\') {
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
		memcpy(out + o, tmp, len);
		o += len;
	}
	out[o] = '\0';
	return out;
}

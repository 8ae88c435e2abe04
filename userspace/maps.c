// SPDX-License-Identifier: GPL-2.0
#include "maps.h"

#include <string.h>

#include "util.h"

static bool hex(const char **p, const char *end, uint64_t *v)
{
	int n = 0;

	*v = 0;
	for (; *p < end && n < 16; (*p)++, n++) {
		char c = **p;
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		*v = *v << 4 | d;
	}
	return n > 0;
}

bool bwr_maps_next_above(const char *text, size_t len, uint64_t addr, struct bwr_mapping *m)
{
	const char *p = text, *end = text + len;
	bool found = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p, *name;
		uint64_t s, e;
		int field = 0;

		if (hex(&q, le, &s) && q < le && *q == '-' && (q++, hex(&q, le, &e)) &&
		    s >= addr && (!found || s < m->start)) {
			/* the name is the 6th field: skip perms, offset, dev, inode */
			for (name = q; name < le && field < 4; field++) {
				while (name < le && *name == ' ')
					name++;
				while (name < le && *name != ' ')
					name++;
			}
			while (name < le && *name == ' ')
				name++;
			m->start = s;
			m->end = e;
			bwr_escape(name, (size_t)(le - name), m->name, sizeof(m->name));
			found = true;
		}
		p = nl ? nl + 1 : end;
	}
	return found;
}

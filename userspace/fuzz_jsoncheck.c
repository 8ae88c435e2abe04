// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: jsoncheck (the tests' checker of --json output) never
 * crashes or reads out of bounds, and says why whenever it refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	struct jc_doc d;
	bool parsed;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	parsed = !jc_parse(&d, buf, size);
	if (parsed == !!d.err[0])
		abort();	/* a refusal says why, a success says nothing */
	jc_free(&d);
	for (int what = JC_DOCUMENT; what <= JC_PROCESS; what++) {
		int r = jc_check(&d, buf, size, (enum jc_what)what);

		if ((r == 0) == !!d.err[0] || (r == 0 && !parsed))
			abort();	/* and what does not parse never passes */
		jc_free(&d);
	}
	free(buf);
	return 0;
}

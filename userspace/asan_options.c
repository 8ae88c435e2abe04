// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into the sanitizer build alone (make test-asan): whatever
 * AddressSanitizer, LeakSanitizer or UBSan reports ends the program with
 * status 86, which brkwatch never exits with, so that no test takes a
 * report for an exit status of its own (1 is a usage error).
 */
const char *__asan_default_options(void);
const char *__lsan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "exitcode=86:detect_leaks=1";
}

const char *__lsan_default_options(void)
{
	return "exitcode=86";
}

const char *__ubsan_default_options(void)
{
	return "exitcode=86:print_stacktrace=1";
}

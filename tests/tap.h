/* SPDX-License-Identifier: MIT */
/*
 * A small TAP producer for unit tests. Tests are functions named
 * `test_<name>` registered with TEST(name); each runs in a fresh temp dir.
 */
#ifndef BANCADA_TESTS_TAP_H
#define BANCADA_TESTS_TAP_H

#include <stdint.h>
#include <string.h>

typedef void (*tap_fn)(void);
void tap_register(const char *name, tap_fn fn);
int tap_main(int argc, char **argv);
void tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The current test's temp dir (absolute). */
const char *tap_tmpdir(void);
/* Run a shell command (in the temp dir); returns its exit status. */
int tap_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST(name) \
	static void test_##name(void); \
	__attribute__((constructor)) static void reg_##name(void) { tap_register(#name, test_##name); } \
	static void test_##name(void)

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, what) do { long long _a = (long long)(a), _b = (long long)(b); \
	tap_ok(_a == _b, __FILE__, __LINE__, "%s (got %lld, want %lld)", what, _a, _b); } while (0)
#define is_str(a, b, what) do { const char *_a = (a), *_b = (b); \
	tap_ok(_a && _b && !strcmp(_a, _b), __FILE__, __LINE__, "%s (got \"%s\", want \"%s\")", \
		what, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)

#define TAP_MAIN int main(int argc, char **argv) { return tap_main(argc, argv); }

#endif

/* fuzz.h: what every fuzz target shares (tests/fuzz/, HACKING.md "Fuzzing").
 *
 * A target is one file fuzz-<name>.c that includes this header and
 * defines LLVMFuzzerTestOneInput(): it hands the bytes to one parser of
 * outside input and frees what the parser returns. Built two ways
 * (tests/fuzz/meson.build): with -Dfuzz=enabled (clang, libFuzzer,
 * ASan + UBSan) as a fuzzer, and in every other build with fuzz-main.c as
 * a program that runs each file of its corpus once (the unit suite's
 * fuzz-<name> test: every crash found stays a regression test). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A GLib critical (a g_return_if_fail in GLib, json-glib or labctl) is a
 * bug found: print it and abort(), which libFuzzer reports as a crash and
 * saves the input (GLib's own fatal criticals raise SIGTRAP, which it does
 * not catch). */
static inline void
fuzz_log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_log_default_handler (domain, level, message, data);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    abort ();
}

/* Once per process, first thing in LLVMFuzzerTestOneInput(). */
static inline void
fuzz_setup (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_default_handler (fuzz_log_handler, NULL);
}

/* The input as a NUL-terminated string (parsers of tool output take C
 * strings; an embedded NUL simply ends the text early). Free with g_free. */
static inline char *
fuzz_text (const uint8_t *data, size_t size)
{
  char *text = g_malloc (size + 1);

  if (size > 0)
    memcpy (text, data, size);
  text[size] = '\0';
  return text;
}

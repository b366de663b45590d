/* stand-test-util.h: helpers shared by the stand's system and e2e tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The tiny guest (Debian's kernel + busybox initramfs), built once by
 * tests/lib/build-tiny-guest.sh into $LABCTL_TINY_GUEST_DIR or the build
 * dir's tests/tiny-guest and reused while it is current. */
gboolean  stand_test_tiny_guest   (char   **kernel,
                                   char   **initrd,
                                   GError **error);
/* A private /24 for this process: "10.B.C" with B in 64..127. */
char     *stand_test_subnet_prefix (void);
/* Runs a command line, returns its stdout (NULL on failure, *error set). */
char     *stand_test_run          (const char *cmdline,
                                   int        *exit_status,
                                   GError    **error);

G_END_DECLS

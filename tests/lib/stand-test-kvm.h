/* stand-test-kvm.h: the harness of the nested kvm e2e tests (e2e-kvm,
 * e2e-kvm-ha): a private libvirtd (tests/lib/virt-host.sh, in its own
 * network namespace, where the lab network's gateway and so the iSCSI
 * portal live) as the host's libvirt; the lab's work dir and state under
 * /var/tmp; labctl run inside that namespace; commands on the nodes
 * through `labctl nodes ssh`; the tiny guest's CGI; the logs a failure
 * needs, kept in meson-logs/<test>/. One lab per test program. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *test;        /* "e2e-kvm": meson-logs/<test>/ */
  const char *labctl;      /* the binary under test */
  guint       n_nodes;     /* node1 .. node<n_nodes> */
  char       *lab;         /* the lab's name: <prefix><pid> */
  char       *netns;       /* the private libvirtd's namespace */
  char       *work_dir;    /* /var/tmp/labctl-e2e-<lab> */
  char       *state_dir;   /* LABCTL_STATE_DIR/<lab> */
  char       *subnet;      /* the lab network's /24: "10.B.C" */
  char       *kernel;      /* the tiny guest */
  char       *initrd;
  char       *recipe_path; /* stand_kvm_write_recipe() */
  char       *uri;         /* the private libvirtd (stand_kvm_host_up()) */
  gint64      t_start;
} StandKvm;

extern StandKvm stand_kvm;

/* The time since the tests began, in the TAP log. */
#define stand_kvm_at(what) \
  g_test_message ("%.0f s: %s", (g_get_monotonic_time () - stand_kvm.t_start) / 1e6, (what))

/* After stand_test_init(): the lab's name (prefix and the PID), work dir,
 * state dir and LVM configuration, TCG nodes (LABCTL_DOMAIN_TYPE qemu:
 * this machine's /dev/kvm cannot run a guest), the node image cache
 * (/var/tmp/labctl-cache unless LABCTL_CACHE_DIR says) built or found
 * there by this process (the namespace labctl runs in has no route to
 * the Debian mirror), a subnet, the tiny guest. FALSE (the test failed, with why) when one of them cannot
 * be had: main then returns g_test_run(). */
gboolean  stand_kvm_setup        (const char *test,
                                  const char *lab_prefix,
                                  guint       n_nodes);
/* Writes work_dir/<test>.lab with text (the whole recipe). */
gboolean  stand_kvm_write_recipe (const char *text);
/* The private libvirtd up (sets uri and LABCTL_LIBVIRT_URI), or down. */
gboolean  stand_kvm_host         (const char *verb);
/* labctl ARGS... --recipe <recipe> in the private libvirtd's network
 * namespace (nsenter: the mount namespace stays the machine's, so the
 * FUSE mount of the LUN made by one labctl is seen by the next). */
char     *stand_kvm_labctl       (int        *status,
                                  const char *first,
                                  ...) G_GNUC_NULL_TERMINATED;
/* The same, its stdout parsed as a JSON object (NULL, logged, when it is
 * not one); *keep holds the parser. */
JsonObject *stand_kvm_labctl_json (JsonParser **keep,
                                   int         *status,
                                   const char  *first,
                                   ...) G_GNUC_NULL_TERMINATED;
/* A command on a node: `labctl nodes ssh NODE -- sh -c SCRIPT`. */
char     *stand_kvm_on_node      (const char *node,
                                  const char *script,
                                  int        *status);
/* The node's boot id, NULL when it does not answer. */
char     *stand_kvm_boot_id      (const char *node);
/* A command line in the lab's network namespace. */
char     *stand_kvm_in_netns     (const char *command,
                                  int        *status);
/* The tiny guest's /cgi-bin/id line at address (boot_id=.. uptime=..
 * counter=.. vda=..), NULL when it does not answer; one field of it. */
char     *stand_kvm_guest_id     (const char *address);
char     *stand_kvm_id_field     (const char *id,
                                  const char *field);
/* Keeps in meson-logs/<test>/ labctl's command log, the host's
 * fence_virtd log (a [cluster]), each node's serial console (host side) and
 * what the node itself shows (libvirt's QEMU logs, domains, LVs, uptime,
 * the kernel's last lines, and extra_script's output when not NULL). TAG
 * names the moment (before-reset, a failed step). */
void      stand_kvm_keep_logs    (const char *tag,
                                  const char *extra_script);
/* Nothing of the lab left: no loop device or mount of its work dir, no
 * node domain, no state dir, no process with the state dir in its
 * command line. */
void      stand_kvm_assert_nothing_left (void);
/* Whatever happened: the lab down, the private libvirtd down, the work
 * dir removed; returns rc. */
int       stand_kvm_finish       (int rc);

G_END_DECLS

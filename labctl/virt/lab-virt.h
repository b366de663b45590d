/* lab-virt.h: the lab's libvirt side through the libvirt C API only:
 * the lab network, node domains, their lifecycle, snapshots and events
 * (lab-virt.c: the object, connections, errors, events, host probes;
 * lab-virt-network.c, lab-virt-domain.c, lab-virt-snapshot.c;
 * lab-virt-migrate.c: live migration between two libvirt daemons). The
 * documents are built and read in lab-virt-xml.h; g_autoptr for libvirt's
 * types comes from lab-virt-autoptr.h.
 *
 * Ownership: labctl touches only networks and domains whose XML carries its
 * <metadata> mark for the same lab (see lab-virt-xml.h). Anything else with
 * the same name, or a network overlapping the lab's subnet, is refused with
 * LAB_ERROR_FOREIGN and left alone.
 *
 * Events: lab_virt_connect() registers labctl's event loop implementation
 * for libvirt (once, before the first connection; lab-virt-events.h): a
 * private GMainContext run by a thread of its own, so the application's
 * default context stays the application's. Lifecycle events wake
 * lab_virt_wait_for_state() directly (no polling) and are re-emitted as
 * the "domain-event" signal in
 * the main context that was thread-default when the LabVirt was created,
 * so a GTK front end can follow the nodes.
 *
 * Errors: libvirt's own printing to stderr is switched off; failures become
 * LAB_ERROR_LIBVIRT (quoting libvirt), LAB_ERROR_PERMISSION (access denied:
 * join the libvirt group), LAB_ERROR_NOT_FOUND (daemon not running).
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "lab-runner.h"
#include "lab-virt-autoptr.h"
#include "lab-virt-xml.h"

G_BEGIN_DECLS

#define LAB_TYPE_VIRT (lab_virt_get_type ())
G_DECLARE_FINAL_TYPE (LabVirt, lab_virt, LAB, VIRT, GObject)

/* uri (e.g. LabContext.libvirt_uri) if not NULL, else $LABCTL_LIBVIRT_URI,
 * else qemu:///system. */
const char   *lab_virt_default_uri        (const char *uri);
/* Registers the event implementation (lab-virt-events.h) and starts its
 * thread; called by lab_virt_connect(), idempotent. */
void          lab_virt_init_events        (void);

LabVirt      *lab_virt_connect            (const char *uri,
                                           GError    **error);
const char   *lab_virt_get_uri            (LabVirt    *self);
/* The runner for the one external command lab-virt may need: qemu-img,
 * to revert an external snapshot where libvirt (< 9.9) cannot. */
void          lab_virt_set_runner         (LabVirt    *self,
                                           LabRunner  *runner);
virConnectPtr lab_virt_get_connect        (LabVirt    *self);

/* Sets *error from libvirt's last error, prefixed by what failed. */
void          lab_virt_set_error          (GError    **error,
                                           const char *format,
                                           ...) G_GNUC_PRINTF (2, 3);
/* Switches off libvirt's printing of every error to stderr (labctl
 * reports them through GError): once per process, thread-safe, idempotent.
 * Call it before opening a connection (lab_virt_connect(), lab_virt_open()
 * and lab_virt_probe() do). */
void          lab_virt_silence_errors     (void);
/* A list libvirt returned as a malloc()ed array of n objects
 * (virConnectListAllNetworks, virDomainListAllSnapshots ...; n < 0: none)
 * as a GPtrArray owning them (free_func: a wrapper of virNetworkFree ...);
 * the array itself is freed. */
GPtrArray    *lab_virt_take_list          (gpointer       items,
                                           int            n,
                                           GDestroyNotify free_func);

/* A plain connection (no LabVirt, no events), as the guests on a node's
 * libvirtd and the migration use it: libvirt's printing off;
 * LAB_ERROR_LIBVIRT naming the URI and asking whether the node's
 * libvirtd runs. */
virConnectPtr lab_virt_open               (const char *uri,
                                           GError    **error);

typedef struct {
  gboolean       reachable;    /* the read-only connection opened */
  gboolean       read_write;   /* the read-write one too (root or the libvirt group) */
  unsigned long  lib_version;  /* libvirt at the other end: major * 1000000 + minor * 1000 + micro; 0: unknown */
  char          *driver;       /* virConnectGetType(): "QEMU", "TEST" ...; NULL: unknown */
  virErrorPtr    error;        /* a copy of libvirt's error of the open that failed; NULL when none did */
} LabVirtProbeResult;

/* Can labctl reach libvirt at uri, and manage it? Opens it read-only
 * (anyone may), asks its version and driver, then opens it read-write.
 * Never fails: the result says how far it got and libvirt's error there
 * (for `labctl check` to judge); libvirt's last error is left clear. */
void          lab_virt_probe              (const char         *uri,
                                           LabVirtProbeResult *out);
void          lab_virt_probe_result_clear (LabVirtProbeResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LabVirtProbeResult, lab_virt_probe_result_clear)

/* ---- host ------------------------------------------------------------ */

/* TRUE when dev (normally "/dev/kvm") opens read-write and answers
 * KVM_GET_API_VERSION with 12; otherwise *why says what failed. */
gboolean      lab_virt_probe_kvm          (const char *dev,
                                           char      **why);
/* "kvm" or "qemu" for the node domains: $LABCTL_DOMAIN_TYPE when set;
 * "kvm" when /dev/kvm works and libvirt's domain capabilities offer kvm;
 * "qemu" (TCG) otherwise, with *why saying why (may be NULL). */
char         *lab_virt_pick_domain_type   (LabVirt    *self,
                                           char      **why);
/* Memory the host can give to new guests, in MiB: free + buffers + cache
 * (virNodeGetMemoryStats); the total where a driver has no statistics. */
gboolean      lab_virt_free_memory_mib    (LabVirt    *self,
                                           guint64    *out_mib,
                                           GError    **error);

/* ---- networks -------------------------------------------------------- */

/* *out_exists: a network of this lab with spec->name exists. Error
 * LAB_ERROR_FOREIGN when the name belongs to another owner or another
 * network overlaps the subnet or uses the bridge. */
gboolean      lab_virt_network_check      (LabVirt                  *self,
                                           const LabVirtNetworkSpec *spec,
                                           gboolean                 *out_exists,
                                           GError                  **error);
/* Defines (if absent), starts (if inactive) and sets autostart.
 * *out_created: it was defined now. */
gboolean      lab_virt_network_ensure     (LabVirt                  *self,
                                           const LabVirtNetworkSpec *spec,
                                           gboolean                 *out_created,
                                           GError                  **error);
/* Stops and undefines the network if it is this lab's; absent = success. */
gboolean      lab_virt_network_remove     (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           GError    **error);

/* ---- domains --------------------------------------------------------- */

/* Looks a domain up and checks it is this lab's. *out_dom NULL when absent
 * (success). LAB_ERROR_FOREIGN when it exists without our mark. */
gboolean      lab_virt_domain_lookup      (LabVirt      *self,
                                           const char   *name,
                                           const char   *lab_name,
                                           virDomainPtr *out_dom,
                                           GError      **error);
/* The running domain's interface whose MAC address is mac, as device XML
 * for virDomainUpdateDeviceFlags() with <link state='up'|'down'/>
 * (pure: unit-tested); LAB_ERROR_NOT_FOUND when it has none. */
char         *lab_virt_interface_with_link (const char *domain_xml,
                                            const char *mac,
                                            gboolean    up,
                                            GError    **error);
/* Sets the link of dom's interface mac up or down, live: the guest keeps
 * its NIC and address, the network stops hearing it (a cut cable). */
gboolean      lab_virt_domain_set_link    (virDomainPtr  dom,
                                           const char   *mac,
                                           gboolean      up,
                                           GError      **error);
/* labctl's mark on a guest or exercise VM (the <metadata> element in
 * LAB_VIRT_XMLNS that lab_virt_guest_xml() writes): its lab, guest and
 * exercise attributes, each NULL when absent or when the element does not
 * parse. FALSE when libvirt gave no metadata: *out_code is then libvirt's
 * error code (VIR_ERR_NO_DOMAIN_METADATA: the domain carries no mark) and
 * *out_why, when not NULL, its message. */
gboolean      lab_virt_domain_get_mark    (virDomainPtr  dom,
                                           char        **lab,
                                           char        **guest,
                                           char        **exercise,
                                           int          *out_code,
                                           char        **out_why);
/* Defines (or redefines, if it is ours) the domain from spec. */
gboolean      lab_virt_domain_define      (LabVirt                 *self,
                                           const LabVirtDomainSpec *spec,
                                           GError                 **error);
/* Starts it; already running is success. */
gboolean      lab_virt_domain_start       (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           GError    **error);
/* ACPI shutdown, waits up to timeout_ms for "shut off", then destroys;
 * timeout_ms 0: destroys at once (the power cut). Not running is success. */
gboolean      lab_virt_domain_stop        (LabVirt      *self,
                                           const char   *name,
                                           const char   *lab_name,
                                           guint         timeout_ms,
                                           GCancellable *cancellable,
                                           GError      **error);
/* Destroys if running, then undefines with its snapshots' metadata and
 * NVRAM. Absent is success. */
gboolean      lab_virt_domain_undefine    (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           GError    **error);
typedef enum {
  LAB_VIRT_OP_DEFINE = 1 << 0,
  LAB_VIRT_OP_START  = 1 << 1,   /* and wait (events) until running */
  LAB_VIRT_OP_STOP   = 1 << 2,   /* graceful with timeout, then destroy */
} LabVirtOps;

/* Runs ops on every spec's domain in parallel (one thread per node on the
 * shared, thread-safe connection). A start launches every node paused
 * first, then resumes them all, so that booting guests do not slow down
 * the launch of the others. timeout_ms bounds the wait for "running" /
 * the graceful shutdown. The first error is returned after all threads
 * finished. */
gboolean      lab_virt_domains_run        (LabVirt      *self,
                                           GPtrArray    *specs,    /* LabVirtDomainSpec* */
                                           LabVirtOps    ops,
                                           guint         timeout_ms,
                                           GCancellable *cancellable,
                                           GError      **error);

typedef struct {
  char  *name;
  char  *state;       /* "running", "shut off", ... */
  int    state_code;  /* virDomainState */
  guint  vcpus;
  guint64 memory_mib;
  char **addresses;   /* IPv4/IPv6 "addr/prefix" from DHCP leases or ARP; may be empty */
  char  *lab_name;
} LabVirtDomainInfo;

void          lab_virt_domain_info_free   (LabVirtDomainInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabVirtDomainInfo, lab_virt_domain_info_free)

gboolean      lab_virt_domain_get_info    (LabVirt            *self,
                                           const char         *name,
                                           const char         *lab_name,
                                           LabVirtDomainInfo **out_info,
                                           GError            **error);
/* The command that opens a node's serial console. */
char         *lab_virt_console_command    (LabVirt    *self,
                                           const char *name);
const char   *lab_virt_state_to_string    (int state);

/* Waits, driven by libvirt lifecycle events, until the domain is in state
 * (VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF ...). timeout_ms 0 = forever.
 * LAB_ERROR_TIMEOUT / LAB_ERROR_CANCELLED. */
gboolean      lab_virt_wait_for_state     (LabVirt      *self,
                                           const char   *name,
                                           int           state,
                                           guint         timeout_ms,
                                           GCancellable *cancellable,
                                           GError      **error);

/* ---- live migration between two libvirt daemons (lab-virt-migrate.c) - */

typedef struct {
  double   command_seconds;     /* wall time of the migration call */
  gboolean migrated;            /* the domain runs on the destination now */
  /* libvirt's completed job on the destination (0 / FALSE when absent) */
  gboolean have_job_stats;
  guint64  downtime_ms;
  guint64  elapsed_ms;
  guint64  data_transferred;    /* bytes */
  guint64  memory_transferred;  /* bytes */
  guint64  memory_total;        /* bytes */
  gboolean paused;              /* it was paused while its memory moved (not live) */
} LabVirtMigration;

/* How a guest migrates (lab_virt_migrate()); all zero: live, nothing pinned. */
typedef struct {
  const char *pin_cpuset;       /* a CPU list ("0", "0-1,3"); NULL: nothing pinned */
  gboolean    paused;           /* paused during the whole copy (no VIR_MIGRATE_LIVE) */
} LabVirtMigrateOptions;

/* Migrates domain `name` (a guest) from the libvirtd at src_uri to
 * the one its libvirtd reaches at peer_uri, peer to peer, defined there
 * and undefined here (PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE, and
 * LIVE unless opts->paused; no parameters), then reads the completed job's statistics on the
 * destination at dst_uri (lab_virt_open()). from_node and to_node name
 * the nodes in messages. FALSE when the source cannot be reached, the
 * domain is not there, or the migration fails (out->migrated FALSE), or
 * when the destination cannot be reached afterwards (out->migrated TRUE:
 * the domain did move). out->command_seconds is set once the call ran.
 * opts NULL or all zero: live, nothing pinned. opts->pin_cpuset: first
 * every vCPU and the emulator threads of the running domain are pinned to
 * those CPUs of the source (live), and the destination starts it so
 * pinned (the live definition migrates); FALSE, nothing migrated, when
 * that fails. opts->paused: without VIR_MIGRATE_LIVE (libvirt pauses the
 * domain for the whole copy and resumes it on the destination);
 * out->paused says so. */
gboolean      lab_virt_migrate            (const char       *name,
                                           const char       *src_uri,
                                           const char       *from_node,
                                           const char       *peer_uri,
                                           const char       *dst_uri,
                                           const char       *to_node,
                                           const LabVirtMigrateOptions *opts,
                                           LabVirtMigration *out,
                                           GError          **error);

/* ---- snapshots ------------------------------------------------------- */

/* The post-install snapshot `labctl reset` goes back to. */
#define LAB_VIRT_SNAPSHOT_CLEAN "clean"

/* Creates snapshot `snapshot` of a lab domain: internal (disks and, when
 * running, memory) when every writable disk is qcow2; otherwise external,
 * disk-only, with a qcow2 overlay per disk (beside a file disk, in
 * /var/lib/libvirt/images for a block device such as an LV). Reverting an
 * external snapshot: libvirt >= 9.9 does it; with older ones labctl does,
 * for the newest snapshot, by emptying the overlays again (qemu-img through
 * the runner given with lab_virt_set_runner()); the node is left shut off. */
gboolean      lab_virt_snapshot_create    (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           const char *snapshot,
                                           const char *description,
                                           GError    **error);
/* The <domainsnapshot> document lab_virt_snapshot_create() uses for a
 * domain (its XML), and the flags: 0 (internal) or DISK_ONLY|ATOMIC with
 * an external qcow2 overlay per writable non-qcow2 disk. */
char         *lab_virt_snapshot_xml       (const char   *domain_xml,
                                           const char   *snapshot,
                                           const char   *description,
                                           unsigned int *out_flags);
gboolean      lab_virt_snapshot_revert    (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           const char *snapshot,
                                           GError    **error);
gboolean      lab_virt_snapshot_delete    (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           const char *snapshot,
                                           GError    **error);
/* Names, oldest first. */
char        **lab_virt_snapshot_list      (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           GError    **error);

G_END_DECLS

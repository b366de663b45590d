/* lab-exercise-private.h: what the exercises share (lab-exercise-vm.c):
 * their state keys, the VMs they make, the facts a check reads from a
 * domain, the watcher. */
#pragma once

#include "lab-exercise.h"
#include "lab-flavor.h"
#include "lab-state.h"

G_BEGIN_DECLS

/* "exercises.<name>.<printf>" */
char     *lab_exercise_key     (const LabExercise *exercise,
                                const char        *format,
                                ...) G_GNUC_PRINTF (2, 3);
/* Drops every "exercises.<name>." key. */
void      lab_exercise_forget  (LabExerciseEnv    *env,
                                const LabExercise *exercise);
/* The exercise's directory for files it makes: <state dir>.exercises/<name>
 * (created 0755, so that the nodes' QEMU reaches its images). */
char     *lab_exercise_dir     (LabExerciseEnv    *env,
                                const LabExercise *exercise);

/* The lab's first guest: the model of the exercise VMs, and what
 * migrate moves; NULL with LAB_ERROR_UNSUPPORTED when the recipe has none. */
LabGuest *lab_exercise_guest   (LabExerciseEnv    *env,
                                GError           **error);
/* Why the lab cannot run an exercise on guests: no libvirt on the nodes,
 * no guest, too few nodes (min_nodes); NULL when it can. */
char     *lab_exercise_needs_guests (LabExerciseEnv *env,
                                     guint           min_nodes);

/* Address number host of the lab subnet (".200" ...), dotted. */
char     *lab_exercise_address (LabExerciseEnv    *env,
                                guint              host);
/* "52:54:00:xx:xx:xx" from the lab and name. */
char     *lab_exercise_mac     (LabExerciseEnv    *env,
                                const char        *name);
/* The first guest's domain as a VM of the exercise: its own name, UUID,
 * MAC, address (guestip= in the command line), the exercise's mark; no disk. */
LabVirtGuestSpec *lab_exercise_vm_spec (LabExerciseEnv    *env,
                                        const LabExercise *exercise,
                                        const char        *name,
                                        const char        *address);
/* Defines spec on node (refusing a domain of that name that is not the
 * exercise's), records it ("domain.<name>" = node), starts it when start. */
gboolean  lab_exercise_define  (LabExerciseEnv         *env,
                                const LabExercise      *exercise,
                                const char             *node,
                                const LabVirtGuestSpec *spec,
                                gboolean                start,
                                GError                **error);
/* Destroys and undefines (with snapshot metadata) every domain on every
 * reachable node whose mark is this lab's and this exercise's. */
gboolean  lab_exercise_remove_marked (LabExerciseEnv    *env,
                                      const LabExercise *exercise,
                                      GError           **error);
/* A new qcow2 image of bytes on node, in the lab's pool under the node's
 * libvirt directory (made through libvirt's storage API, so that the
 * node's QEMU can open it); recorded ("image.<name>" = node). Its path. */
char     *lab_exercise_make_image    (LabExerciseEnv    *env,
                                      const LabExercise *exercise,
                                      const char        *node,
                                      const char        *name,
                                      guint64            bytes,
                                      GError           **error);
/* Removes the images and files recorded ("image.*", "file.*"), the pools
 * made for them when empty, then the exercise's directory if it is empty. */
gboolean  lab_exercise_remove_files  (LabExerciseEnv    *env,
                                      const LabExercise *exercise,
                                      GError           **error);
void      lab_exercise_record_file   (LabExerciseEnv    *env,
                                      const LabExercise *exercise,
                                      const char        *path);

/* What a check reads from a domain. */
typedef struct {
  char     *offset;   /* slice offset, bytes as text; NULL: none */
  char     *source;   /* file path, or "IQN/LUN" of an iSCSI disk */
  char     *protocol; /* "iscsi" for a network disk; NULL: a file or block device */
  char     *format;   /* driver type */
  gboolean  readonly;
} LabExerciseDisk;

typedef struct {
  char      *node;
  char      *name;
  char      *uuid;
  gboolean   active;
  gboolean   autostart;
  GPtrArray *macs;        /* char* */
  GPtrArray *disks;       /* LabExerciseDisk* */
  char      *address;     /* guestip= of the kernel command line (no prefix); NULL: none */
  char      *mark_lab;    /* labctl's mark: lab, guest, exercise; NULL: none */
  char      *mark_guest;
  char      *mark_exercise;
} LabExerciseDomain;

void      lab_exercise_domain_free (LabExerciseDomain *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabExerciseDomain, lab_exercise_domain_free)

/* Every domain on every node whose libvirt answers (nodes that do not
 * are listed in *unreachable when not NULL). */
GPtrArray *lab_exercise_domains     (LabExerciseEnv *env,
                                     GString        *unreachable,
                                     GError        **error);
/* The domain called name (running copy first); NULL when none. */
LabExerciseDomain *lab_exercise_domains_find (GPtrArray  *domains,
                                              const char *name);

/* The watcher: started by start (a daemon running `labctl exercise watch
 * NAME`, pid in "watch.pid"), stopped by finish. */
gboolean  lab_exercise_watch_start  (LabExerciseEnv    *env,
                                     const LabExercise *exercise,
                                     const char        *address,
                                     gboolean           probe,
                                     GError           **error);
void      lab_exercise_watch_stop   (LabExerciseEnv    *env,
                                     const LabExercise *exercise);
/* What it wrote: { address, ids: [{t, boot_id, uptime}] (each change of
 * boot_id, and the latest), probe: lab_probe_result_to_json } or NULL. */
JsonObject *lab_exercise_watch_read (LabExerciseEnv    *env,
                                     const LabExercise *exercise);

/* Stops the watcher so that its probe's analysis is on disk, keeps the
 * worst gap of every period in the state ("probe.longest_gap_ms", and
 * when it began, "probe.gap_at_ms": real time of the last reply before
 * it), starts the watcher again on address, and adds probe_downtime_ms,
 * probe_sent and probe_lost to the report's figures. */
void      lab_exercise_probe_figures (LabExerciseEnv    *env,
                                      const LabExercise *exercise,
                                      LabExerciseReport *report,
                                      const char        *address);

/* What the ha check read (lab-exercise-ha.c); the grade is pure. */
typedef struct {
  const char *guest;
  const char *address;
  const char *victim;        /* where the guest ran at start */
  guint       n_nodes;
  gint64      since_us;      /* start, real time */
  gint64      fault_us;      /* the probe's last reply before its worst gap; 0: unknown */
  const char *ask_node;      /* a surviving node, for the commands in the hints */
  const char *cib_xml;       /* `cibadmin --query`; NULL: could not be read */
  const char *cluster_error; /* why the cluster could not be asked; NULL: it answered */
  gboolean    victim_online; /* crm_mon lists the victim online */
  GPtrArray  *events;        /* LabClusterEvent* from the survivors' logs; NULL: none read */
  const char *runs_on;       /* where libvirt runs the guest; NULL: nowhere */
  const char *unreachable;   /* nodes whose libvirt did not answer */
  const char *boot0;         /* boot_id at start */
  const char *boot_now;      /* boot_id now; NULL: no answer */
  const char *guest_error;   /* why it did not answer */
} LabExerciseHaFacts;

/* The steps ha.managed, ha.fault, ha.restarted, ha.answers, and the
 * failover's phases (lab_failover_phases_from_events) in the figures. */
void      lab_exercise_ha_grade (LabExerciseReport        *report,
                                 const LabExerciseHaFacts *facts);

/* The flavor row's stack (NULL: the nodes' libvirt runs the guests). */
const LabStackOps *lab_exercise_stack (LabExerciseEnv *env);
/* The stack's session (its API clients), made on first use, freed with env. */
gpointer           lab_exercise_stack_session (LabExerciseEnv *env);
/* The rows' stack variants (lab-exercise-stack.c). */
extern const LabExerciseStackRow lab_exercise_snapshot_stack;
extern const LabExerciseStackRow lab_exercise_clone_stack;
extern const LabExerciseStackRow lab_exercise_template_stack;
extern const LabExerciseStackRow lab_exercise_migrate_stack;
extern const LabExerciseStackRow lab_exercise_ha_stack;

/* The rows (lab-exercise-<name>.c). */
extern const LabExercise lab_exercise_snapshot;
extern const LabExercise lab_exercise_clone;
extern const LabExercise lab_exercise_template;
extern const LabExercise lab_exercise_migrate;
extern const LabExercise lab_exercise_storage;
extern const LabExercise lab_exercise_ha;

G_END_DECLS

/* lab-proxmox.h: the proxmox flavor: Proxmox VE nodes installed unattended
 * from the ISO (part 1: the ISO, the answers, the install media). Its
 * steps:
 *
 *   iso.fetch              (network, first) the recipe's ISO in the ISO
 *                          cache, its SHA-256 checked (lab-proxmox-iso.c)
 *   nodes.network          the vm flavor's lab network
 *   nodes.iso              (nodes) the prepared ISO, once per ISO:
 *                          /auto-installer-mode.toml added with xorriso as
 *                          proxmox-auto-install-assistant prepare-iso does
 *                          (lab-proxmox-iso.c)
 *   nodes.answer:<node>    (nodes) the node's answer.toml and the small FAT
 *                          image labelled PROXMOX-AIS that carries it
 *                          (lab-proxmox-answer-step.c)
 *   nodes.define:<node>    the vm flavor's, with the prepared ISO and the
 *                          answer image attached
 *   nodes.start            the vm flavor's: the nodes boot the automated
 *                          installer, install and power off
 *   nodes.install          (install) every node followed until it powered
 *                          off, its media detached, booted from its disk,
 *                          its API answering on 8006 (certificate recorded),
 *                          its snapshot "clean" taken (lab-proxmox-install.c)
 *
 * The answer file (lab-proxmox-answer.c) follows the schema of the
 * installer's answer.toml for each release, and is checked with the rules
 * of `proxmox-auto-install-assistant validate-answer`.
 */
#pragma once

#include <glib.h>

#include "lab-plan.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

/* What the answer file says (the subset labctl writes; every field the
 * validation looks at). NULL / 0: absent. */
typedef struct {
  char    *version;               /* "9.2": decides the spelling of the keys */
  /* [global] */
  char    *keyboard;
  char    *country;
  char    *fqdn;
  char    *mailto;
  char    *timezone;
  char    *root_password;         /* plain (validation only: labctl writes the hash) */
  char    *root_password_hashed;  /* crypt(3) SHA-512 */
  char   **root_ssh_keys;
  char    *reboot_mode;           /* "power-off" (8.4 and later) */
  /* [network] */
  char    *net_source;            /* "from-answer" | "from-dhcp" */
  char    *cidr;
  char    *dns;
  char    *gateway;
  char    *net_filter_key;        /* udev property, e.g. ID_NET_NAME_MAC */
  char    *net_filter_value;      /* glob */
  /* [disk-setup] */
  char    *filesystem;            /* ext4 | xfs | zfs | btrfs */
  char   **disk_list;
  char    *disk_filter_key;
  char    *disk_filter_value;
  char    *raid;                  /* zfs.raid / btrfs.raid */
  double   hdsize;                /* GiB; 0: all */
  double   swapsize;              /* GiB; 0: the installer's default */
  /* tests: write the keys as a release before 8.4 would (snake_case) */
  gboolean snake_case;
} LabPveAnswer;

LabPveAnswer *lab_pve_answer_new     (void);
void          lab_pve_answer_free    (LabPveAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabPveAnswer, lab_pve_answer_free)

/* The host's keyboard, country and time zone in the installer's terms,
 * read under sysroot (NULL: /): /etc/default/keyboard (XKBLAYOUT),
 * /etc/timezone or the /etc/localtime link, the country of that zone
 * (zone1970.tab), else of LANG; defaults en-us, us, UTC. */
void          lab_pve_host_locale    (const char   *sysroot,
                                      char        **out_keyboard,
                                      char        **out_country,
                                      char        **out_timezone);

/* The answer of node: fqdn <node>.<lab domain>, its reserved address,
 * the lab network's gateway as gateway and DNS, a NIC filter on its MAC,
 * ext4 on its one disk (vda), the host's locale, the hash of password,
 * ssh_key authorized for root, power-off at the end. */
LabPveAnswer *lab_pve_answer_for_node (LabRecipe     *recipe,
                                       const LabNode *node,
                                       const char    *sysroot,
                                       const char    *password_hash,
                                       const char    *ssh_key);

/* The problems validate-answer would report (each a line with its
 * message), in its order; an empty array when there is none. */
GPtrArray    *lab_pve_answer_validate (const LabPveAnswer *answer);

/* answer.toml (keys in the spelling of answer->version; mask: the
 * password hash as "******", for --dry-run). */
char         *lab_pve_answer_to_toml (const LabPveAnswer *answer,
                                      gboolean            mask);

/* A SHA-512 crypt(3) hash of password (random salt); NULL with an error. */
char         *lab_pve_hash_password  (const char  *password,
                                      GError     **error);
/* A random root password: 20 letters and digits. */
char         *lab_pve_new_password   (void);

/* The exact bytes prepare-iso writes to /auto-installer-mode.toml for
 * --fetch-from partition (toml::to_string_pretty of its settings). */
#define LAB_PVE_MODE_PARTITION "mode = \"partition\"\npartition_label = \"proxmox-ais\"\n\n[http]\n"
/* The file system label the installer looks for (proxmox-fetch-answer
 * tries the label as given, upper case, lower case). */
#define LAB_PVE_ANSWER_LABEL   "PROXMOX-AIS"

/* Prepared ISO: <dir>/<stem>-auto-from-partition.iso (prepare-iso's name). */
char         *lab_pve_prepared_iso_path (const char *iso_path);

/* prepare-iso --fetch-from partition, on files: refuses an ISO without
 * /auto-installer-capable, reads its volume UUID, copies it to
 * dest.tmp, adds mode_file as /auto-installer-mode.toml keeping the boot
 * images and the UUID, renames it to dest. */
gboolean      lab_pve_prepare_iso    (LabRunner    *runner,
                                      const char   *iso,
                                      const char   *dest,
                                      const char   *mode_file,
                                      GCancellable *cancellable,
                                      GError      **error);
/* The commands of lab_pve_prepare_iso (for --dry-run). */
void          lab_pve_prepare_iso_describe (GPtrArray  *lines,
                                            const char *iso,
                                            const char *dest,
                                            const char *mode_file);

/* The FAT image with answer.toml on it: mkfs.vfat -C -n PROXMOX-AIS, then
 * mcopy (no mount). */
gboolean      lab_pve_answer_image   (LabRunner    *runner,
                                      const char   *answer_file,
                                      const char   *image,
                                      GError      **error);
void          lab_pve_answer_image_describe (GPtrArray  *lines,
                                             const char *answer_file,
                                             const char *image);

/* The steps (lab-proxmox-iso.c, lab-proxmox-answer-step.c). */
void          lab_proxmox_add_network_steps (LabPlan    *plan,
                                             LabContext *ctx);
void          lab_proxmox_add_node_steps  (LabPlan    *plan,
                                           LabContext *ctx);
/* nodes.install (lab-proxmox-install.c) */
void          lab_proxmox_add_install_steps (LabPlan    *plan,
                                             LabContext *ctx);
/* `labctl reset`: every node back to its snapshot "clean", booted, its
 * API answering with the certificate recorded at the install. */
gboolean      lab_proxmox_reset           (LabContext *ctx,
                                           GError    **error);

G_END_DECLS

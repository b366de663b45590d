/* lab-recipe.h: a lab definition (*.lab, GKeyFile syntax), parsed and
 * validated once, with the course's defaults applied.
 *
 * Every error is LAB_ERROR_RECIPE with the message
 *   "<file>:<line>: <key>: <problem>; <hint>"
 *
 * Sections and keys (see recipes/README.md for the full reference):
 *   [lab]       name, description, flavor (proxmox|kvm|container), domain
 *   [storage]   backing-file, size, iqn, portal, vg, lv-prefix, chap, control-port
 *   [network]   name, subnet, bridge
 *   [nodes]     count, name-pattern, vcpus, memory, disk, cpu-mode, cache-mode,
 *               install-media, os, pve-version (proxmox)
 *   [node NAME] per-node overrides: vcpus, memory, disk, address
 *   [guest NAME] guests inside the lab (container flavor / experiments):
 *               node, memory, vcpus, kernel, initrd, cmdline, address
 *   [cluster]   token, stickiness (corosync + pacemaker over the nodes; the
 *               guests become HA resources)
 *   [exercises] list
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The recipe's `flavor`: which row of the flavor table (flavors/lab-flavor.h)
 * builds the nodes. A new flavor adds a value here (and its name to
 * lab_flavor_to_string), a folder flavors/<name>/ and a row. */
typedef enum {
  LAB_FLAVOR_PROXMOX,
  LAB_FLAVOR_KVM,
  LAB_FLAVOR_CONTAINER,
  LAB_N_FLAVORS
} LabFlavorId;

#define LAB_GIB (G_GUINT64_CONSTANT (1) << 30)

/* [cluster] defaults: corosync's token (ms; its own default is 3000 plus
 * 650 per node beyond two) and pacemaker's resource-stickiness */
#define LAB_CLUSTER_TOKEN_MS   1000
#define LAB_CLUSTER_STICKINESS 100
#define LAB_MIB (G_GUINT64_CONSTANT (1) << 20)

/* Defaults from the course. */
#define LAB_DEFAULT_IMAGE_SIZE   (100 * LAB_GIB)
#define LAB_DEFAULT_VG           "vg_iscsi"
#define LAB_DEFAULT_LV_PREFIX    "lv_"
#define LAB_DEFAULT_NODE_COUNT   3
#define LAB_DEFAULT_VCPUS        2
#define LAB_DEFAULT_MEMORY_MIB   2048
#define LAB_DEFAULT_DISK         (10 * LAB_GIB)
#define LAB_DEFAULT_CPU_MODE     "host-passthrough"
#define LAB_DEFAULT_CACHE_MODE   "passthrough"
#define LAB_DEFAULT_SUBNET       "192.168.150.0/24"
#define LAB_DEFAULT_ISCSI_PORT   3260
#define LAB_DEFAULT_PVE_VERSION  "9.2"

typedef struct {
  char    *name;          /* libvirt domain name and hostname, e.g. "pve1" */
  guint    vcpus;
  guint64  memory_mib;
  guint64  disk_bytes;    /* size of the node's LV */
  char    *lv_name;       /* "<lv-prefix><name>", e.g. "lv_pve1" */
  char    *address;       /* IPv4 address reserved on the lab network (no prefix) */
  char    *mac;           /* deterministic, locally administered (52:54:00 prefix + hash of lab and node name) */
  guint    line;          /* line of its [node NAME] section, 0 when generated from [nodes] */
  char    *initiator;     /* the iSCSI initiator name it logs in to the lab's target with,
                           * "<lab IQN>:<node>" (kvm: the node attaches the LUN itself);
                           * NULL: labctl does not know it before install (proxmox) or
                           * the node does not log in (vm, container) */
} LabNode;

typedef struct {
  char    *name;
  char    *node;          /* node it starts on */
  guint    vcpus;
  guint64  memory_mib;
  char    *kernel;        /* absolute paths after parsing (relative ones resolve against the recipe's dir) */
  char    *initrd;
  char    *cmdline;
  char    *address;       /* IPv4 on the lab network */
  char    *mac;
  guint64  disk_bytes;    /* 0: no disk; otherwise an LV "<lv-prefix><guest>" on the shared VG */
  gboolean container;     /* type = container: a libvirt LXC container whose root is its LV,
                           * made from its initrd (kvm flavor); FALSE: a VM */
} LabGuest;

typedef struct _LabRecipe {
  char      *path;          /* the file it came from (NULL when built in memory) */
  char      *hash;          /* sha256 of the file contents, hex */

  /* [lab] */
  char      *name;          /* lab name: [a-z][a-z0-9-]{0,30} */
  char      *description;
  LabFlavorId flavor;
  char      *domain;        /* reverse-DNS naming authority for the IQN, default "lab.labctl" */

  /* [storage] */
  char      *backing_file;  /* absolute path; default <state dir>/<lab>.img */
  guint64    image_size;
  char      *iqn;           /* default iqn.<YYYY-MM>.<domain reversed>:<lab> */
  char      *portal_address;/* default: the lab network's gateway address */
  guint16    portal_port;   /* default 3260 */
  guint16    control_port;  /* tgtd control port (-C), default 0 */
  char      *vg_name;
  char      *lv_prefix;
  gboolean   chap;          /* generate CHAP credentials */

  /* [network] */
  char      *net_name;      /* libvirt network name, default "labctl-<lab>" */
  char      *subnet;        /* CIDR, normalised, e.g. "192.168.150.0/24" */
  guint32    subnet_addr;   /* host byte order */
  guint      subnet_prefix;
  char      *gateway;       /* first host address */
  char      *bridge;        /* bridge name, default "lab-<lab>" truncated to 15 chars */

  /* [nodes] */
  char      *cpu_mode;
  char      *cache_mode;
  char      *install_media; /* path or iso-cache name; may be NULL */
  char      *os_id;         /* libosinfo short id or full id; may be NULL */
  char      *pve_version;   /* proxmox flavor: "9.2" (default), "9.1", "8.4"; NULL for the others */
  GPtrArray *nodes;         /* LabNode* */
  GPtrArray *guests;        /* LabGuest* */

  /* [cluster] */
  gboolean   cluster;            /* the recipe has a [cluster] section */
  guint      cluster_token_ms;   /* corosync totem token */
  guint      cluster_stickiness; /* pacemaker resource-stickiness */

  /* [exercises] */
  char     **exercises;
} LabRecipe;

LabRecipe   *lab_recipe_load         (const char  *path,
                                      GError     **error);
/* data: the file's text; path is used for messages and relative paths. */
LabRecipe   *lab_recipe_load_data    (const char  *data,
                                      gssize       length,
                                      const char  *path,
                                      GError     **error);
void         lab_recipe_free         (LabRecipe   *recipe);

/* Resolves "--recipe" arguments: an existing path, or the name of a recipe
 * shipped in the data dir ("proxmox-3node" or "proxmox-3node.lab").
 * NULL name: the default recipe "proxmox-3node". */
char        *lab_recipe_resolve_path (const char  *name_or_path,
                                      GError     **error);

/* lab_recipe_resolve_path() then lab_recipe_load(): the recipe a
 * command's --recipe names (NULL: the default one). */
LabRecipe   *lab_recipe_load_named   (const char  *name_or_path,
                                      GError     **error);

/* Names of the recipes shipped in the data dir (without ".lab"), sorted.
 * Free with g_strfreev(). */
char       **lab_recipe_list_shipped (void);

LabNode     *lab_recipe_find_node    (LabRecipe   *recipe,
                                      const char  *name);
LabGuest    *lab_recipe_find_guest   (LabRecipe   *recipe,
                                      const char  *name);
/* The MAC labctl gives a machine of lab (a node, a guest): 52:54:00 and
 * three bytes of the SHA-256 of "lab/name", the same on every run. */
char        *lab_recipe_make_mac     (const char  *lab,
                                      const char  *name);
/* "proxmox", "kvm", "container"; from_string: FALSE for another name. */
const char  *lab_flavor_to_string    (LabFlavorId  flavor);
gboolean     lab_flavor_from_string  (const char  *name,
                                      LabFlavorId *out_flavor);

/* The recipe with defaults applied, for `recipe show --json`. */
JsonNode    *lab_recipe_to_json      (LabRecipe   *recipe);
/* The recipe with defaults applied, as a .lab key file (`recipe show`). */
char        *lab_recipe_to_keyfile   (LabRecipe   *recipe);

/* Total bytes the lab may consume on the host: image (sparse, so worst case) */
guint64      lab_recipe_storage_bytes (LabRecipe  *recipe);
guint64      lab_recipe_memory_mib    (LabRecipe  *recipe);   /* sum over nodes */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabRecipe, lab_recipe_free)

G_END_DECLS

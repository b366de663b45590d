/* lab-recipe.c: parse and validate a lab recipe (*.lab, GKeyFile syntax).
 *
 * GKeyFile does the parsing but knows no line numbers, so the text is
 * scanned first to map every [section] and every (section, key) to its
 * line. Every error then reads "<file>:<line>: <key>: <problem>; <hint>".
 */
#include "config.h"

#include "lab-recipe.h"

#include <stdarg.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"
#include "lab-state.h"
#include "lab-util.h"

/* The date part of default IQNs: fixed so that an IQN never changes with
 * the day a recipe is loaded. */
#define LAB_IQN_DATE          "2026-01"
#define LAB_DEFAULT_DOMAIN    "lab.labctl"
#define LAB_DEFAULT_RECIPE    "proxmox-3node"
#define LAB_PV_METADATA       (4 * LAB_MIB)
#define LAB_LVM_EXTENT        (4 * LAB_MIB)
#define LAB_MAX_SIZE          (G_GUINT64_CONSTANT (1) << 50)   /* 1 PiB */
#define LAB_MIN_MEMORY_MIB    32
#define LAB_MAX_MEMORY_MIB    (1024 * 1024)
#define LAB_MAX_VCPUS         64
#define LAB_MAX_NODES         16
#define LAB_NAME_MAX          31
#define LAB_LV_NAME_MAX       31
#define LAB_NODE_ADDR_OFFSET  10   /* nodes get gateway + 10 + i */
#define LAB_GUEST_ADDR_OFFSET 50   /* guests get gateway + 50 + j */
#define LAB_GUEST_MEMORY_MIB  128

/* ---------------------------------------------------------------- */
/* Known sections and keys                                          */

static const char * const lab_keys[] = { "name", "description", "flavor", "domain", NULL };
static const char * const storage_keys[] = { "backing-file", "size", "iqn", "portal", "vg",
                                             "lv-prefix", "chap", "control-port", NULL };
static const char * const network_keys[] = { "name", "subnet", "bridge", NULL };
static const char * const nodes_keys[] = { "count", "name-pattern", "vcpus", "memory", "disk",
                                           "cpu-mode", "cache-mode", "install-media", "os", "pve-version",
                                           NULL };
static const char * const node_keys[] = { "vcpus", "memory", "disk", "address", NULL };
static const char * const guest_keys[] = { "node", "memory", "vcpus", "kernel", "initrd",
                                           "cmdline", "address", "disk", "type", NULL };
static const char * const guest_types[] = { "vm", "container", NULL };
static const char * const exercises_keys[] = { "list", NULL };
static const char * const cluster_keys[] = { "token", "stickiness", NULL };

static const char * const section_names[] = { "lab", "storage", "network", "nodes", "node NAME",
                                              "guest NAME", "cluster", "exercises", NULL };

/* in LabFlavorId's order */
static const char * const flavors[] = { "proxmox", "kvm", "container", NULL };
/* [nodes] name-pattern's default per flavor: the course calls Proxmox
 * nodes pve1, pve2 ... */
static const char * const flavor_node_patterns[] = { "pve%d", "node%d", "node%d" };
/* [nodes] pve-version: the Proxmox VE releases labctl can install, the
 * default first (PVE 8 reached its end of life in 2026-08). */
static const char * const pve_versions[] = { LAB_DEFAULT_PVE_VERSION, "9.1", "8.4", NULL };
static const char * const cpu_modes[] = { "host-passthrough", "host-model", "custom", NULL };
static const char * const cache_modes[] = { "passthrough", "emulate", "disable", NULL };

/* ---------------------------------------------------------------- */
/* Parser state                                                     */

typedef struct {
  const char *display;      /* file name for messages */
  char       *dir;          /* directory relative paths resolve against */
  GKeyFile   *kf;
  GHashTable *group_lines;  /* group -> line (GUINT_TO_POINTER) */
  GHashTable *key_lines;    /* "group\037key" -> line */
  GPtrArray  *groups;       /* group names in file order (borrowed from group_lines) */
  LabRecipe  *recipe;
} Parser;

static void
parser_clear (Parser *p)
{
  g_free (p->dir);
  g_clear_pointer (&p->kf, g_key_file_free);
  g_clear_pointer (&p->group_lines, g_hash_table_unref);
  g_clear_pointer (&p->key_lines, g_hash_table_unref);
  g_clear_pointer (&p->groups, g_ptr_array_unref);
}

static gboolean G_GNUC_PRINTF (5, 6)
recipe_error (Parser *p, GError **error, guint line, const char *key, const char *format, ...)
{
  g_autofree char *problem = NULL;
  va_list ap;

  va_start (ap, format);
  problem = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* a default that fails has no line of its own: point at the start */
  if (line == 0)
    line = 1;
  /* problem already carries "; hint" */
  g_set_error (error, LAB_ERROR, LAB_ERROR_RECIPE, "%s:%u: %s: %s",
               p->display, line, key, problem);
  return FALSE;
}

static guint
group_line (Parser *p, const char *group)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (p->group_lines, group));
}

static guint
key_line (Parser *p, const char *group, const char *key)
{
  g_autofree char *k = g_strconcat (group, "\037", key, NULL);
  guint line = GPOINTER_TO_UINT (g_hash_table_lookup (p->key_lines, k));

  return line != 0 ? line : group_line (p, group);
}

/* Pre-scan: line numbers, and the syntax errors GKeyFile would report
 * without a line. */
static gboolean
prescan (Parser *p, const char *data, gsize length, GError **error)
{
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = g_strndup (data, length);
  const char *group = NULL;

  if (!g_utf8_validate (data, length, NULL))
    {
      const char *end = NULL;
      guint line = 1;

      g_utf8_validate (data, length, &end);
      for (const char *c = data; c < end; c++)
        if (*c == '\n')
          line++;
      return recipe_error (p, error, line, _("(file)"), "%s; %s",
                           _("text is not valid UTF-8"),
                           _("save the recipe as UTF-8"));
    }

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint line = i + 1;
      char *s = g_strstrip (lines[i]);

      if (*s == '\0' || *s == '#')
        continue;
      if (*s == '[')
        {
          char *close = strchr (s, ']');
          char *name;

          if (close == NULL || close[1] != '\0' || close == s + 1)
            return recipe_error (p, error, line, s, "%s; %s",
                                 _("malformed section header"),
                                 _("write a section as [name] alone on its line, e.g. [nodes]"));
          name = g_strndup (s + 1, close - s - 1);
          if (g_hash_table_contains (p->group_lines, name))
            {
              g_autofree char *key = g_strdup_printf ("[%s]", name);
              guint first = group_line (p, name);

              g_free (name);
              return recipe_error (p, error, line, key,
                                   _("section appears twice; merge it with the one on line %u "
                                     "(node and guest names must be unique)"),
                                   first);
            }
          g_hash_table_insert (p->group_lines, name, GUINT_TO_POINTER (line));
          g_ptr_array_add (p->groups, name);
          group = name;
        }
      else
        {
          char *eq = strchr (s, '=');
          g_autofree char *key = NULL;
          g_autofree char *map_key = NULL;
          char *bracket;

          if (eq == NULL)
            return recipe_error (p, error, line, s, "%s; %s",
                                 _("not a 'key = value' line, a [section] or a # comment"),
                                 _("add '= value', or start the line with '#' to make it a comment"));
          key = g_strstrip (g_strndup (s, eq - s));
          if (*key == '\0')
            return recipe_error (p, error, line, "=", "%s; %s",
                                 _("missing key before '='"),
                                 _("write 'key = value'"));
          if (group == NULL)
            return recipe_error (p, error, line, key, "%s; %s",
                                 _("key outside any section"),
                                 _("put it below a section header such as [lab]"));
          /* localised keys (description[ru]) map to their base key */
          bracket = strchr (key, '[');
          if (bracket != NULL)
            *bracket = '\0';
          map_key = g_strconcat (group, "\037", key, NULL);
          if (bracket == NULL && g_hash_table_contains (p->key_lines, map_key))
            return recipe_error (p, error, line, key,
                                 _("key set twice in the same section; keep one of the two (the other is on line %u)"),
                                 GPOINTER_TO_UINT (g_hash_table_lookup (p->key_lines, map_key)));
          if (!g_hash_table_contains (p->key_lines, map_key))
            g_hash_table_insert (p->key_lines, g_steal_pointer (&map_key), GUINT_TO_POINTER (line));
        }
    }
  return TRUE;
}

/* ---------------------------------------------------------------- */
/* Suggestions                                                      */

static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint prev = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint cur = row[j];
          guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), prev + cost);
          prev = cur;
        }
    }
  return row[lb];
}

static const char *
closest (const char *word, const char * const *candidates)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  guint limit = strlen (word) <= 3 ? 1 : MAX (2, strlen (word) / 3);

  for (guint i = 0; candidates[i] != NULL; i++)
    {
      guint d = edit_distance (word, candidates[i]);

      if (d < best_d)
        {
          best_d = d;
          best = candidates[i];
        }
    }
  return best_d <= limit ? best : NULL;
}

static char *
join_quoted (const char * const *list)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; list[i] != NULL; i++)
    g_string_append_printf (s, "%s'%s'", i > 0 ? ", " : "", list[i]);
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------- */
/* Value parsers: return NULL on success, or a "problem; hint" text   */

static gboolean
is_decimal_unit (const char *u)
{
  return g_ascii_strcasecmp (u, "KB") == 0 || g_ascii_strcasecmp (u, "MB") == 0 ||
         g_ascii_strcasecmp (u, "GB") == 0 || g_ascii_strcasecmp (u, "TB") == 0 ||
         g_ascii_strcasecmp (u, "PB") == 0;
}

static guint64
binary_unit (const char *u)
{
  static const struct { const char *a, *b; guint shift; } units[] = {
    { "K", "KiB", 10 }, { "M", "MiB", 20 }, { "G", "GiB", 30 }, { "T", "TiB", 40 }, { "P", "PiB", 50 },
  };

  if (*u == '\0')
    return 1;
  if (g_ascii_strcasecmp (u, "B") == 0)
    return 1;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_ascii_strcasecmp (u, units[i].a) == 0 || g_ascii_strcasecmp (u, units[i].b) == 0)
      return G_GUINT64_CONSTANT (1) << units[i].shift;
  return 0;
}

/* Sizes: "100G", "100GiB", "10 GiB", "512M", plain bytes. default_unit
 * applies to a bare number (1 for bytes, LAB_MIB for memory). hint, when
 * not NULL, replaces the size examples of the hints (memory reads better
 * with its own). */
static char *
parse_size_hinted (const char *text, guint64 default_unit, const char *hint, guint64 *out)
{
#define HINT(size_hint) (hint != NULL ? hint : (size_hint))
  const char *p = text;
  guint64 n = 0, unit;
  g_autofree char *digits = NULL;
  const char *start;

  while (g_ascii_isspace (*p))
    p++;
  if (*p == '\0')
    return g_strdup_printf ("%s; %s", _("empty value"), HINT (_("give a size such as 10G")));
  if (*p == '-')
    return g_strdup_printf ("%s; %s", _("negative size"), HINT (_("give a positive size such as 10G")));
  if (*p == '+')
    p++;
  start = p;
  while (g_ascii_isdigit (*p))
    {
      guint d = *p - '0';

      if (n > (G_MAXUINT64 - d) / 10)
        return g_strdup_printf ("%s; %s", _("number too large"),
                                HINT (_("sizes are at most 1P; write e.g. 100G")));
      n = n * 10 + d;
      p++;
    }
  if (p == start)
    return g_strdup_printf (_("'%s' is not a size; %s"), text,
                            HINT (_("write a whole number with a binary unit, e.g. 512M, 10G or 10GiB")));
  digits = g_strndup (start, p - start);
  if (*p == '.' || *p == ',' || *p == 'e' || *p == 'E')
    return g_strdup_printf (_("'%s' is not a whole number; %s"), text,
                            HINT (_("write whole numbers with a binary unit, e.g. 1536M instead of 1.5G")));
  while (g_ascii_isspace (*p))
    p++;
  if (strstr (p, "#") != NULL)
    return g_strdup_printf (_("'%s' is not a size; %s"), text,
                            _("comments must be on their own line starting with '#'"));
  if (is_decimal_unit (p))
    {
      char u[2] = { g_ascii_toupper (*p), '\0' };

      return g_strdup_printf (_("'%s' uses an ambiguous decimal unit; write %s%s or %s%siB (binary units)"),
                              text, digits, u, digits, u);
    }
  unit = *p == '\0' ? default_unit : binary_unit (p);
  if (unit == 0)
    return g_strdup_printf (_("unknown unit '%s'; %s"), p,
                            HINT (_("use K, M, G or T (KiB, MiB, GiB, TiB), e.g. 10G")));
  if (n == 0)
    return g_strdup_printf ("%s; %s", _("size must be greater than zero"),
                            HINT (_("give a positive size such as 10G")));
  if (n > G_MAXUINT64 / unit || n * unit > LAB_MAX_SIZE)
    return g_strdup_printf ("%s; %s", _("size too large"),
                            HINT (_("sizes are at most 1P; write e.g. 100G")));
  *out = n * unit;
  return NULL;
#undef HINT
}

static char *
parse_size (const char *text, guint64 default_unit, guint64 *out)
{
  return parse_size_hinted (text, default_unit, NULL, out);
}

static char *
parse_memory (const char *text, guint64 *mib)
{
  guint64 bytes = 0;
  char *problem = parse_size_hinted (text, LAB_MIB,
                                     _("give memory in MiB as a whole number, e.g. 2048, 2048M or 2G"),
                                     &bytes);

  if (problem != NULL)
    return problem;
  if (bytes % LAB_MIB != 0)
    return g_strdup_printf ("%s; %s", _("memory is not a whole number of MiB"),
                            _("give memory in MiB, e.g. 2048 or 2G"));
  *mib = bytes / LAB_MIB;
  if (*mib < LAB_MIN_MEMORY_MIB || *mib > LAB_MAX_MEMORY_MIB)
    return g_strdup_printf (_("%llu MiB is out of range; give between %u MiB and %u MiB"),
                            (unsigned long long) *mib, LAB_MIN_MEMORY_MIB, LAB_MAX_MEMORY_MIB);
  return NULL;
}

static char *
parse_uint (const char *text, guint64 min, guint64 max, guint64 *out)
{
  const char *p = text;
  guint64 n = 0;

  while (g_ascii_isspace (*p))
    p++;
  if (*p == '\0' || !g_ascii_isdigit (*p))
    return g_strdup_printf (_("'%s' is not a whole number; give a number from %llu to %llu"),
                            text, (unsigned long long) min, (unsigned long long) max);
  for (; g_ascii_isdigit (*p); p++)
    {
      if (n > max)
        break;
      n = n * 10 + (*p - '0');
    }
  while (g_ascii_isdigit (*p))
    p++;
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0')
    return g_strdup_printf (_("'%s' is not a whole number; give a number from %llu to %llu"),
                            text, (unsigned long long) min, (unsigned long long) max);
  if (n < min || n > max)
    return g_strdup_printf (_("%s is out of range; give a number from %llu to %llu"),
                            text, (unsigned long long) min, (unsigned long long) max);
  *out = n;
  return NULL;
}

static char *
parse_bool (const char *text, gboolean *out)
{
  static const char * const yes[] = { "true", "yes", "on", "1", NULL };
  static const char * const no[] = { "false", "no", "off", "0", NULL };

  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, yes[i]) == 0)
      {
        *out = TRUE;
        return NULL;
      }
  for (guint i = 0; no[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, no[i]) == 0)
      {
        *out = FALSE;
        return NULL;
      }
  return g_strdup_printf (_("'%s' is not a boolean; write true or false"), text);
}

static char *
parse_choice (const char *text, const char * const *choices)
{
  g_autofree char *all = NULL;
  const char *near;

  if (g_strv_contains (choices, text))
    return NULL;
  all = join_quoted (choices);
  near = closest (text, choices);
  if (near != NULL)
    return g_strdup_printf (_("'%s' is not one of %s; did you mean '%s'?"), text, all, near);
  return g_strdup_printf (_("'%s' is not one of %s; use one of them"), text, all);
}

/* Parses dotted-quad IPv4 strictly (no leading zeros ambiguity: "010" refused). */
static gboolean
parse_ipv4 (const char *text, guint32 *out)
{
  guint32 addr = 0;
  const char *p = text;

  for (int i = 0; i < 4; i++)
    {
      guint v = 0, nd = 0;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (*p == '0' && g_ascii_isdigit (p[1]))
        return FALSE;
      while (g_ascii_isdigit (*p) && nd < 4)
        {
          v = v * 10 + (*p - '0');
          p++;
          nd++;
        }
      if (v > 255 || nd > 3)
        return FALSE;
      addr = (addr << 8) | v;
      if (i < 3)
        {
          if (*p != '.')
            return FALSE;
          p++;
        }
    }
  if (*p != '\0')
    return FALSE;
  *out = addr;
  return TRUE;
}

static char *
ipv4_to_string (guint32 a)
{
  return g_strdup_printf ("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static char *
parse_cidr (const char *text, guint32 *addr, guint *prefix)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *slash = strchr (copy, '/');
  guint64 n = 0;
  guint32 a, mask;

  if (slash == NULL)
    return g_strdup_printf (_("'%s' has no prefix length; write a network as a.b.c.d/n, e.g. %s"),
                            text, LAB_DEFAULT_SUBNET);
  *slash = '\0';
  if (!parse_ipv4 (copy, &a))
    return g_strdup_printf (_("'%s' is not an IPv4 address; write a network as a.b.c.d/n, e.g. %s"),
                            copy, LAB_DEFAULT_SUBNET);
  {
    g_autofree char *problem = parse_uint (slash + 1, 0, 32, &n);

    if (problem != NULL)
      return g_strdup_printf (_("'/%s' is not a prefix length; write a network as a.b.c.d/n, e.g. %s"),
                              slash + 1, LAB_DEFAULT_SUBNET);
  }
  if (n < 8 || n > 30)
    return g_strdup_printf (_("prefix length /%u is out of range; use /8 to /30, e.g. /24"), (guint) n);
  mask = (guint32) (G_MAXUINT32 << (32 - n));
  if ((a & mask) != a)
    {
      g_autofree char *net = ipv4_to_string (a & mask);

      return g_strdup_printf (_("host bits are set in '%s'; did you mean %s/%u?"), text, net, (guint) n);
    }
  if ((guint64) a < (G_GUINT64_CONSTANT (128) << 24) &&
      (guint64) a + (G_GUINT64_CONSTANT (1) << (32 - n)) > (G_GUINT64_CONSTANT (127) << 24))
    return g_strdup_printf (_("'%s' overlaps the loopback network 127.0.0.0/8; use a private network such as %s"),
                            text, LAB_DEFAULT_SUBNET);
  if ((a >> 24) == 0 || (a >> 28) >= 0xe)
    return g_strdup_printf (_("'%s' is not a unicast network; use a private network such as %s"),
                            text, LAB_DEFAULT_SUBNET);
  *addr = a;
  *prefix = n;
  return NULL;
}

/* Names valid as libvirt domain names, hostnames and LVM names. */
static char *
check_name (const char *name, const char *what, gsize max, gboolean lvm)
{
  static const char * const reserved[] = { "snapshot", "pvmove", NULL };

  if (*name == '\0')
    return g_strdup_printf (_("empty %s; %s"), what, _("use lowercase letters, digits and '-'"));
  if (!g_ascii_islower (name[0]))
    return g_strdup_printf (_("%s '%s' must start with a lowercase letter; %s"), what, name,
                            _("use lowercase letters, digits and '-'"));
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_islower (*c) && !g_ascii_isdigit (*c) && *c != '-')
      return g_strdup_printf (_("%s '%s' contains '%c'; %s"), what, name, *c,
                              _("use lowercase letters, digits and '-' only (valid as hostname, libvirt and LVM name)"));
  if (name[strlen (name) - 1] == '-')
    return g_strdup_printf (_("%s '%s' ends with '-'; %s"), what, name,
                            _("hostnames cannot end with '-'"));
  if (strlen (name) > max)
    return g_strdup_printf (_("%s '%s' is longer than %u characters; use a shorter name"),
                            what, name, (guint) max);
  for (guint i = 0; lvm && reserved[i] != NULL; i++)
    if (g_str_has_prefix (name, reserved[i]))
      return g_strdup_printf (_("%s '%s' is reserved by LVM ('%s'); choose another name"),
                              what, name, reserved[i]);
  return NULL;
}

static gboolean
is_dns_label_char (char c)
{
  return g_ascii_islower (c) || g_ascii_isdigit (c) || c == '-';
}

/* A domain name in normal or reversed order: lowercase labels joined by dots. */
static gboolean
is_domain (const char *s, gsize len)
{
  gsize label = 0;

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '.')
        {
          if (label == 0 || s[i - 1] == '-')
            return FALSE;
          label = 0;
        }
      else if (is_dns_label_char (s[i]))
        {
          if (label == 0 && s[i] == '-')
            return FALSE;
          label++;
          if (label > 63)
            return FALSE;
        }
      else
        return FALSE;
    }
  return label > 0 && s[len - 1] != '-';
}

/* RFC 3720 3.2.6.3.1: iqn.yyyy-mm.<reversed domain>[:<unique name>] */
static char *
check_iqn (const char *iqn)
{
  const char *hint = _("write iqn.YYYY-MM.reversed.domain:name, e.g. iqn.2026-01.labctl.lab:course");
  const char *p, *colon;
  guint year, month;

  if (strlen (iqn) > 223)
    return g_strdup_printf (_("IQN longer than 223 bytes; %s"), hint);
  if (g_ascii_strncasecmp (iqn, "iqn.", 4) != 0)
    return g_strdup_printf (_("'%s' does not start with 'iqn.'; %s"), iqn, hint);
  for (p = iqn; *p != '\0'; p++)
    if (g_ascii_isupper (*p))
      {
        g_autofree char *lower = g_ascii_strdown (iqn, -1);

        return g_strdup_printf (_("'%s' has uppercase letters; IQNs are lowercase: write '%s'"),
                                iqn, lower);
      }
  p = iqn + 4;
  if (!(g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]) &&
        g_ascii_isdigit (p[3]) && p[4] == '-' && g_ascii_isdigit (p[5]) && g_ascii_isdigit (p[6]) &&
        p[7] == '.'))
    return g_strdup_printf (_("'%s' lacks the date part YYYY-MM after 'iqn.'; %s"), iqn, hint);
  year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  month = (p[5] - '0') * 10 + (p[6] - '0');
  if (month < 1 || month > 12 || year < 1970)
    return g_strdup_printf (_("'%s' has an impossible date %.7s; %s"), iqn, p, hint);
  p += 8;
  colon = strchr (p, ':');
  if (!is_domain (p, colon != NULL ? (gsize) (colon - p) : strlen (p)))
    return g_strdup_printf (_("'%s' has no valid reversed domain name after the date; %s"), iqn, hint);
  if (colon != NULL)
    {
      if (colon[1] == '\0')
        return g_strdup_printf (_("'%s' ends with ':'; %s"), iqn, hint);
      for (p = colon + 1; *p != '\0'; p++)
        if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-' && *p != '.' && *p != ':')
          return g_strdup_printf (_("'%s' contains '%c'; IQNs may hold only a-z, 0-9, '-', '.' and ':'"),
                                  iqn, *p);
    }
  return NULL;
}

/* LVM names: [a-zA-Z0-9+_.-], not starting with '-', not "." or "..". */
static char *
check_lvm_name (const char *name, const char *what)
{
  static const char * const reserved_parts[] = { "_cdata", "_cmeta", "_corig", "_mimage", "_mlog",
                                                 "_pmspare", "_rimage", "_rmeta", "_tdata",
                                                 "_tmeta", "_vorigin", "_vdata", NULL };

  if (*name == '\0' || g_str_equal (name, ".") || g_str_equal (name, ".."))
    return g_strdup_printf (_("'%s' is not a valid %s; use letters, digits, '_' and '-', e.g. vg_iscsi"), name, what);
  if (name[0] == '-')
    return g_strdup_printf (_("%s '%s' starts with '-'; LVM names cannot start with '-'"), what, name);
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("+_.-", *c) == NULL)
      return g_strdup_printf (_("%s '%s' contains '%c'; use letters, digits, '_', '.', '+' and '-'"),
                              what, name, *c);
  if (strlen (name) > 127)
    return g_strdup_printf (_("%s '%s' is too long; LVM names have at most 127 characters"), what, name);
  for (guint i = 0; reserved_parts[i] != NULL; i++)
    if (strstr (name, reserved_parts[i]) != NULL)
      return g_strdup_printf (_("%s '%s' contains '%s', reserved by LVM; choose another name"),
                              what, name, reserved_parts[i]);
  if (g_str_has_prefix (name, "snapshot") || g_str_has_prefix (name, "pvmove"))
    return g_strdup_printf (_("%s '%s' is reserved by LVM; choose another name"), what, name);
  return NULL;
}

static char *
check_ifname (const char *name)
{
  if (*name == '\0' || strlen (name) > 15)
    return g_strdup_printf (_("bridge name '%s' must have 1 to 15 characters; use a short name such as lab-course"), name);
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return g_strdup_printf (_("bridge name '%s' contains '%c'; use letters, digits, '-' and '_'"), name, *c);
  return NULL;
}

/* ---------------------------------------------------------------- */
/* Helpers                                                          */

char *
lab_recipe_make_mac (const char *lab, const char *name)
{
  g_autofree char *seed = g_strconcat (lab, "/", name, NULL);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (sum, (const guchar *) seed, strlen (seed));
  g_checksum_get_digest (sum, digest, &len);
  return g_strdup_printf ("52:54:00:%02x:%02x:%02x", digest[0], digest[1], digest[2]);
}

static char *
reverse_domain (const char *domain)
{
  g_auto(GStrv) parts = g_strsplit (domain, ".", -1);
  guint n = g_strv_length (parts);
  GString *s = g_string_new (NULL);

  for (guint i = n; i > 0; i--)
    g_string_append_printf (s, "%s%s", i < n ? "." : "", parts[i - 1]);
  return g_string_free (s, FALSE);
}

static char *
resolve_relative (Parser *p, const char *value)
{
  if (g_path_is_absolute (value))
    return g_canonicalize_filename (value, NULL);
  return g_canonicalize_filename (value, p->dir);
}

/* Fetches a string value; NULL when the key is absent. Empty values are an error. */
static gboolean
get_string (Parser *p, const char *group, const char *key, char **out, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *value = NULL;

  *out = NULL;
  if (!g_key_file_has_key (p->kf, group, key, NULL))
    return TRUE;
  value = g_key_file_get_string (p->kf, group, key, &local);
  if (value == NULL)
    return recipe_error (p, error, key_line (p, group, key), key, "%s; %s",
                         local->message, _("check the escapes (\\s \\n \\t \\\\) in the value"));
  g_strstrip (value);
  if (*value == '\0')
    return recipe_error (p, error, key_line (p, group, key), key, "%s; %s",
                         _("empty value"), _("give a value or remove the line to use the default"));
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Value through a parser that returns a problem text. */
#define CHECK_VALUE(p, error, group, key, problem_expr)                              \
  G_STMT_START {                                                                     \
    g_autofree char *problem_ = (problem_expr);                                      \
    if (problem_ != NULL)                                                            \
      return recipe_error ((p), (error), key_line ((p), (group), (key)), (key), "%s", problem_); \
  } G_STMT_END

static gboolean
get_size (Parser *p, const char *group, const char *key, guint64 *inout, GError **error)
{
  g_autofree char *v = NULL;

  if (!get_string (p, group, key, &v, error))
    return FALSE;
  if (v != NULL)
    CHECK_VALUE (p, error, group, key, parse_size (v, 1, inout));
  return TRUE;
}

static gboolean
get_memory (Parser *p, const char *group, const char *key, guint64 *inout, GError **error)
{
  g_autofree char *v = NULL;

  if (!get_string (p, group, key, &v, error))
    return FALSE;
  if (v != NULL)
    CHECK_VALUE (p, error, group, key, parse_memory (v, inout));
  return TRUE;
}

static gboolean
get_uint (Parser *p, const char *group, const char *key, guint64 min, guint64 max,
          guint *inout, gboolean *was_set, GError **error)
{
  g_autofree char *v = NULL;
  guint64 n = 0;

  if (!get_string (p, group, key, &v, error))
    return FALSE;
  if (was_set != NULL)
    *was_set = v != NULL;
  if (v == NULL)
    return TRUE;
  CHECK_VALUE (p, error, group, key, parse_uint (v, min, max, &n));
  *inout = (guint) n;
  return TRUE;
}

static gboolean
get_choice (Parser *p, const char *group, const char *key, const char * const *choices,
            char **inout, GError **error)
{
  g_autofree char *v = NULL;

  if (!get_string (p, group, key, &v, error))
    return FALSE;
  if (v == NULL)
    return TRUE;
  CHECK_VALUE (p, error, group, key, parse_choice (v, choices));
  g_free (*inout);
  *inout = g_steal_pointer (&v);
  return TRUE;
}

/* ---------------------------------------------------------------- */
/* Sections                                                         */

static const struct {
  const char         *kind;   /* as shown in messages */
  const char         *prefix; /* group name, or its prefix for named sections */
  gboolean            named;
  const char * const *keys;
} sections[] = {
  { "lab", "lab", FALSE, lab_keys },
  { "storage", "storage", FALSE, storage_keys },
  { "network", "network", FALSE, network_keys },
  { "nodes", "nodes", FALSE, nodes_keys },
  { "node NAME", "node ", TRUE, node_keys },
  { "guest NAME", "guest ", TRUE, guest_keys },
  { "cluster", "cluster", FALSE, cluster_keys },
  { "exercises", "exercises", FALSE, exercises_keys },
};

static const char * const *
keys_for_group (const char *group)
{
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    if (sections[i].named ? g_str_has_prefix (group, sections[i].prefix)
                          : g_str_equal (group, sections[i].prefix))
      return sections[i].keys;
  return NULL;
}

static const char *
section_of_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    if (g_strv_contains (sections[i].keys, key))
      return sections[i].kind;
  return NULL;
}

static gboolean
check_structure (Parser *p, GError **error)
{
  for (guint i = 0; i < p->groups->len; i++)
    {
      const char *group = p->groups->pdata[i];
      g_autofree char *label = g_strdup_printf ("[%s]", group);
      const char * const *keys = keys_for_group (group);
      g_auto(GStrv) present = NULL;

      if (keys == NULL)
        {
          g_autofree char *head = g_strdup (group);
          const char *near;
          char *space = strchr (head, ' ');

          if (g_str_equal (group, "node") || g_str_equal (group, "guest"))
            return recipe_error (p, error, group_line (p, group), label,
                                 _("section has no name; write [%s NAME], e.g. [%s %s]"),
                                 group, group, g_str_equal (group, "node") ? "pve1" : "web1");
          if (space != NULL)
            *space = '\0';
          near = closest (head, section_names);
          if (near == NULL)
            {
              g_autofree char *all = join_quoted (section_names);

              return recipe_error (p, error, group_line (p, group), label,
                                   _("unknown section; known sections are %s"), all);
            }
          return recipe_error (p, error, group_line (p, group), label,
                               _("unknown section; did you mean [%s]?"), near);
        }
      present = g_key_file_get_keys (p->kf, group, NULL, NULL);
      for (guint k = 0; present != NULL && present[k] != NULL; k++)
        {
          g_autofree char *base = g_strdup (present[k]);
          char *bracket = strchr (base, '[');
          const char *near, *other;

          if (bracket != NULL)
            {
              *bracket = '\0';
              if (g_str_equal (base, "description") && g_str_equal (group, "lab"))
                continue;
              return recipe_error (p, error, key_line (p, group, base), present[k],
                                   _("only 'description' may be translated; remove the [locale] suffix"));
            }
          if (g_strv_contains (keys, base))
            continue;
          other = section_of_key (base);
          near = closest (base, keys);
          if (near != NULL && (other == NULL || edit_distance (base, near) <= 1))
            return recipe_error (p, error, key_line (p, group, base), base,
                                 _("unknown key in [%s]; did you mean '%s'?"), group, near);
          if (other != NULL)
            return recipe_error (p, error, key_line (p, group, base), base,
                                 _("unknown key in [%s]; '%s' belongs in [%s]"), group, base, other);
          {
            g_autofree char *all = join_quoted (keys);

            return recipe_error (p, error, key_line (p, group, base), base,
                                 _("unknown key in [%s]; known keys there are %s"), group, all);
          }
        }
    }
  return TRUE;
}

static gboolean
parse_lab (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;
  g_autofree char *flavor = g_strdup ("proxmox");

  if (!g_key_file_has_group (p->kf, "lab"))
    return recipe_error (p, error, 1, "[lab]", _("the [lab] section is missing; %s"),
                         _("start the recipe with [lab] and 'name = mylab'"));
  if (!get_string (p, "lab", "name", &r->name, error))
    return FALSE;
  if (r->name == NULL)
    return recipe_error (p, error, group_line (p, "lab"), "name",
                         _("the lab has no name; add 'name = mylab' to [lab]"));
  CHECK_VALUE (p, error, "lab", "name", check_name (r->name, _("lab name"), LAB_NAME_MAX, TRUE));
  if (g_key_file_has_key (p->kf, "lab", "description", NULL))
    {
      r->description = g_key_file_get_locale_string (p->kf, "lab", "description", NULL, NULL);
      if (r->description != NULL)
        g_strstrip (r->description);
    }
  if (!get_choice (p, "lab", "flavor", flavors, &flavor, error))
    return FALSE;
  lab_flavor_from_string (flavor, &r->flavor);
  if (!get_string (p, "lab", "domain", &r->domain, error))
    return FALSE;
  if (r->domain == NULL)
    r->domain = g_strdup (LAB_DEFAULT_DOMAIN);
  else if (!is_domain (r->domain, strlen (r->domain)))
    return recipe_error (p, error, key_line (p, "lab", "domain"), "domain",
                         _("'%s' is not a lowercase DNS domain; write e.g. 'lab.example.org'"), r->domain);
  return TRUE;
}

static gboolean
parse_network (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;
  g_autofree char *subnet = NULL;
  g_autofree char *net = NULL;

  if (!get_string (p, "network", "name", &r->net_name, error))
    return FALSE;
  if (r->net_name == NULL)
    r->net_name = g_strdup_printf ("labctl-%s", r->name);
  else
    CHECK_VALUE (p, error, "network", "name", check_name (r->net_name, _("network name"), 63, FALSE));
  if (!get_string (p, "network", "subnet", &subnet, error))
    return FALSE;
  if (subnet == NULL)
    subnet = g_strdup (LAB_DEFAULT_SUBNET);
  CHECK_VALUE (p, error, "network", "subnet", parse_cidr (subnet, &r->subnet_addr, &r->subnet_prefix));
  net = ipv4_to_string (r->subnet_addr);
  r->subnet = g_strdup_printf ("%s/%u", net, r->subnet_prefix);
  r->gateway = ipv4_to_string (r->subnet_addr + 1);
  if (!get_string (p, "network", "bridge", &r->bridge, error))
    return FALSE;
  if (r->bridge == NULL)
    {
      r->bridge = g_strdup_printf ("lab-%s", r->name);
      if (strlen (r->bridge) > 15)
        r->bridge[15] = '\0';
      /* a truncated name must not end with '-' */
      while (r->bridge[strlen (r->bridge) - 1] == '-')
        r->bridge[strlen (r->bridge) - 1] = '\0';
    }
  else
    CHECK_VALUE (p, error, "network", "bridge", check_ifname (r->bridge));
  return TRUE;
}

static gboolean
parse_storage (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;
  g_autofree char *backing = NULL;
  g_autofree char *portal = NULL;
  g_autofree char *chap = NULL;
  guint port = 0;

  if (!get_string (p, "storage", "backing-file", &backing, error))
    return FALSE;
  if (backing != NULL)
    r->backing_file = resolve_relative (p, backing);
  else
    {
      g_autofree char *dir = lab_state_dir_for_lab (r->name);
      g_autofree char *file = g_strdup_printf ("%s.img", r->name);

      r->backing_file = g_build_filename (dir, file, NULL);
    }

  r->image_size = LAB_DEFAULT_IMAGE_SIZE;
  if (!get_size (p, "storage", "size", &r->image_size, error))
    return FALSE;

  if (!get_string (p, "storage", "iqn", &r->iqn, error))
    return FALSE;
  if (r->iqn != NULL)
    CHECK_VALUE (p, error, "storage", "iqn", check_iqn (r->iqn));
  else
    {
      g_autofree char *rev = reverse_domain (r->domain);

      r->iqn = g_strdup_printf ("iqn.%s.%s:%s", LAB_IQN_DATE, rev, r->name);
    }

  r->portal_port = LAB_DEFAULT_ISCSI_PORT;
  if (!get_string (p, "storage", "portal", &portal, error))
    return FALSE;
  if (portal == NULL)
    r->portal_address = g_strdup (r->gateway);
  else
    {
      char *colon = strrchr (portal, ':');
      guint32 a;
      guint64 n = 0;

      if (colon != NULL)
        {
          *colon = '\0';
          {
            g_autofree char *problem = parse_uint (colon + 1, 1, 65535, &n);

            if (problem != NULL)
              return recipe_error (p, error, key_line (p, "storage", "portal"), "portal",
                                   _("'%s' is not a port; write ADDRESS[:PORT], e.g. 127.0.0.1:3260"),
                                   colon + 1);
          }
          r->portal_port = (guint16) n;
        }
      if (!parse_ipv4 (portal, &a))
        return recipe_error (p, error, key_line (p, "storage", "portal"), "portal",
                             _("'%s' is not an IPv4 address; write ADDRESS[:PORT], e.g. 127.0.0.1:3260"),
                             portal);
      r->portal_address = ipv4_to_string (a);
    }

  port = 0;
  if (!get_uint (p, "storage", "control-port", 0, 65535, &port, NULL, error))
    return FALSE;
  r->control_port = (guint16) port;

  if (!get_string (p, "storage", "vg", &r->vg_name, error))
    return FALSE;
  if (r->vg_name == NULL)
    r->vg_name = g_strdup (LAB_DEFAULT_VG);
  else
    CHECK_VALUE (p, error, "storage", "vg", check_lvm_name (r->vg_name, _("volume group name")));

  if (!get_string (p, "storage", "lv-prefix", &r->lv_prefix, error))
    return FALSE;
  if (r->lv_prefix == NULL)
    r->lv_prefix = g_strdup (LAB_DEFAULT_LV_PREFIX);
  else
    CHECK_VALUE (p, error, "storage", "lv-prefix", check_lvm_name (r->lv_prefix, _("LV prefix")));

  if (!get_string (p, "storage", "chap", &chap, error))
    return FALSE;
  if (chap != NULL)
    CHECK_VALUE (p, error, "storage", "chap", parse_bool (chap, &r->chap));
  return TRUE;
}

static void
lab_node_free (LabNode *n)
{
  g_free (n->name);
  g_free (n->lv_name);
  g_free (n->initiator);
  g_free (n->address);
  g_free (n->mac);
  g_free (n);
}

static void
lab_guest_free (LabGuest *g)
{
  g_free (g->name);
  g_free (g->node);
  g_free (g->kernel);
  g_free (g->initrd);
  g_free (g->cmdline);
  g_free (g->address);
  g_free (g->mac);
  g_free (g);
}

/* Parses an address key and checks it lies on the lab network. */
static gboolean
check_address (Parser *p, const char *group, const char *value, GHashTable *used, GError **error)
{
  LabRecipe *r = p->recipe;
  guint32 a, mask = (guint32) (G_MAXUINT32 << (32 - r->subnet_prefix));
  guint line = key_line (p, group, "address");
  const char *owner;

  if (!parse_ipv4 (value, &a))
    return recipe_error (p, error, line, "address",
                         _("'%s' is not an IPv4 address; write a.b.c.d without a prefix length"), value);
  if ((a & mask) != r->subnet_addr)
    return recipe_error (p, error, line, "address",
                         _("%s is outside the lab network %s; choose an address inside it"), value, r->subnet);
  if (a == r->subnet_addr || a == (r->subnet_addr | ~mask))
    return recipe_error (p, error, line, "address",
                         _("%s is the network or broadcast address of %s; choose a host address"),
                         value, r->subnet);
  if (a == r->subnet_addr + 1)
    return recipe_error (p, error, line, "address",
                         _("%s is the gateway of the lab network (the host); choose another address"),
                         value);
  owner = g_hash_table_lookup (used, GUINT_TO_POINTER (a));
  if (owner != NULL)
    return recipe_error (p, error, line, "address",
                         _("%s is already used by '%s'; give every node and guest its own address"),
                         value, owner);
  return TRUE;
}

/* Assigns gateway + offset, checking the subnet is large enough. */
static gboolean
default_address (Parser *p, guint offset, const char *owner_kind, guint line, const char *key,
                 GHashTable *used, char **out, GError **error)
{
  LabRecipe *r = p->recipe;
  guint32 mask = (guint32) (G_MAXUINT32 << (32 - r->subnet_prefix));
  guint32 broadcast = r->subnet_addr | ~mask;
  guint32 a = r->subnet_addr + 1 + offset;

  if (a >= broadcast)
    return recipe_error (p, error, line, key,
                         _("too many %s for the network %s (the default address gateway+%u is outside it); "
                           "use a larger subnet such as /24 in [network], or give addresses explicitly"),
                         owner_kind, r->subnet, offset);
  while (g_hash_table_contains (used, GUINT_TO_POINTER (a)) && a + 1 < broadcast)
    a++;
  *out = ipv4_to_string (a);
  return TRUE;
}

static gboolean
parse_nodes (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;
  g_autofree char *pattern = NULL;
  g_autoptr(GPtrArray) sections = g_ptr_array_new ();
  g_autoptr(GHashTable) used = g_hash_table_new (NULL, NULL);
  guint count = LAB_DEFAULT_NODE_COUNT, vcpus = LAB_DEFAULT_VCPUS;
  guint64 memory = LAB_DEFAULT_MEMORY_MIB, disk = LAB_DEFAULT_DISK;
  gboolean count_set = FALSE;
  gsize lv_max;

  r->cpu_mode = g_strdup (LAB_DEFAULT_CPU_MODE);
  r->cache_mode = g_strdup (LAB_DEFAULT_CACHE_MODE);
  if (!get_uint (p, "nodes", "count", 1, LAB_MAX_NODES, &count, &count_set, error) ||
      !get_string (p, "nodes", "name-pattern", &pattern, error) ||
      !get_uint (p, "nodes", "vcpus", 1, LAB_MAX_VCPUS, &vcpus, NULL, error) ||
      !get_memory (p, "nodes", "memory", &memory, error) ||
      !get_size (p, "nodes", "disk", &disk, error) ||
      !get_choice (p, "nodes", "cpu-mode", cpu_modes, &r->cpu_mode, error) ||
      !get_choice (p, "nodes", "cache-mode", cache_modes, &r->cache_mode, error) ||
      !get_string (p, "nodes", "install-media", &r->install_media, error) ||
      !get_string (p, "nodes", "os", &r->os_id, error) ||
      !get_choice (p, "nodes", "pve-version", pve_versions, &r->pve_version, error))
    return FALSE;
  if (r->pve_version != NULL && r->flavor != LAB_FLAVOR_PROXMOX)
    return recipe_error (p, error, key_line (p, "nodes", "pve-version"), "pve-version",
                         _("only the proxmox flavor installs Proxmox VE (this lab's flavor is %s); remove the line"),
                         lab_flavor_to_string (r->flavor));
  if (r->flavor == LAB_FLAVOR_PROXMOX)
    {
      /* the release decides the ISO (a catalogue name, `labctl iso list`)
       * and the OS profile, unless the recipe names them */
      if (r->pve_version == NULL)
        r->pve_version = g_strdup (LAB_DEFAULT_PVE_VERSION);
      if (r->install_media == NULL)
        r->install_media = g_strdup_printf ("proxmox-ve-%s", r->pve_version);
      if (r->os_id == NULL)
        r->os_id = g_strdup_printf ("proxmox-ve-%c", r->pve_version[0]);
    }
  if (r->install_media != NULL && strchr (r->install_media, '/') != NULL)
    {
      char *abs = resolve_relative (p, r->install_media);

      g_free (r->install_media);
      r->install_media = abs;
    }

  lv_max = LAB_LV_NAME_MAX > strlen (r->lv_prefix) ? LAB_LV_NAME_MAX - strlen (r->lv_prefix) : 0;
  if (lv_max == 0)
    return recipe_error (p, error, key_line (p, "storage", "lv-prefix"), "lv-prefix",
                         _("prefix '%s' leaves no room for node names in 31 characters; use a short prefix such as lv_"),
                         r->lv_prefix);

  for (guint i = 0; i < p->groups->len; i++)
    if (g_str_has_prefix (p->groups->pdata[i], "node "))
      g_ptr_array_add (sections, p->groups->pdata[i]);

  if (pattern != NULL)
    {
      const char *pct = strstr (pattern, "%d");

      if (pct == NULL || strchr (pct + 2, '%') != NULL || strchr (pattern, '%') != pct)
        return recipe_error (p, error, key_line (p, "nodes", "name-pattern"), "name-pattern",
                             _("'%s' must contain '%%d' exactly once and no other '%%'; write e.g. pve%%d"),
                             pattern);
      if (sections->len > 0 && !count_set)
        return recipe_error (p, error, key_line (p, "nodes", "name-pattern"), "name-pattern",
                             _("unused: the nodes are listed by [node NAME] sections; "
                               "remove name-pattern, or add 'count' to generate the nodes and override some"));
    }
  else
    pattern = g_strdup (flavor_node_patterns[r->flavor]);

  r->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_node_free);
  if (sections->len > 0 && !count_set)
    {
      /* explicit node list, in file order */
      for (guint i = 0; i < sections->len; i++)
        {
          LabNode *n = g_new0 (LabNode, 1);

          n->name = g_strstrip (g_strdup ((char *) sections->pdata[i] + 5));
          n->line = group_line (p, sections->pdata[i]);
          g_ptr_array_add (r->nodes, n);
        }
      if (r->nodes->len > LAB_MAX_NODES)
        return recipe_error (p, error, ((LabNode *) r->nodes->pdata[LAB_MAX_NODES])->line,
                             (char *) sections->pdata[LAB_MAX_NODES],
                             _("more than %u nodes; a lab has at most %u nodes"), LAB_MAX_NODES, LAB_MAX_NODES);
    }
  else
    {
      for (guint i = 0; i < count; i++)
        {
          LabNode *n = g_new0 (LabNode, 1);

          g_autofree char *number = g_strdup_printf ("%u", i + 1);
          const char *pct = strstr (pattern, "%d");

          n->name = g_strdup_printf ("%.*s%s%s", (int) (pct - pattern), pattern, number, pct + 2);
          g_ptr_array_add (r->nodes, n);
        }
      for (guint i = 0; i < sections->len; i++)
        {
          const char *name = (char *) sections->pdata[i] + 5;
          LabNode *n = lab_recipe_find_node (r, name);

          if (n == NULL)
            {
              g_autofree char *label = g_strdup_printf ("[%s]", (char *) sections->pdata[i]);

              return recipe_error (p, error, group_line (p, sections->pdata[i]), label,
                                   _("node '%s' is not one of the %u nodes made from name-pattern '%s' "
                                     "and count; name one of them (%s...), or remove 'count' to list the nodes explicitly"),
                                   name, count, pattern, ((LabNode *) r->nodes->pdata[0])->name);
            }
          n->line = group_line (p, sections->pdata[i]);
        }
    }

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = r->nodes->pdata[i];
      g_autofree char *group = g_strdup_printf ("node %s", n->name);
      gboolean has_section = g_key_file_has_group (p->kf, group);
      guint line = has_section ? n->line : key_line (p, "nodes", "name-pattern");
      const char *key = has_section ? group : "name-pattern";
      g_autofree char *label = has_section ? g_strdup_printf ("[%s]", group) : g_strdup (key);
      g_autofree char *problem = check_name (n->name, _("node name"), lv_max, TRUE);

      if (problem != NULL)
        return recipe_error (p, error, line, label, "%s", problem);
      for (guint j = 0; j < i; j++)
        if (g_str_equal (((LabNode *) r->nodes->pdata[j])->name, n->name))
          return recipe_error (p, error, line, label,
                               _("duplicate node name '%s'; give every node its own name"), n->name);
      n->vcpus = vcpus;
      n->memory_mib = memory;
      n->disk_bytes = disk;
      n->lv_name = g_strconcat (r->lv_prefix, n->name, NULL);
      n->mac = lab_recipe_make_mac (r->name, n->name);
      /* kvm nodes log in to the lab's target themselves, by this name;
       * the target's ACL lists it (lab-storage.c) */
      if (r->flavor == LAB_FLAVOR_KVM)
        n->initiator = g_strdup_printf ("%s:%s", r->iqn, n->name);
    }
  /* explicit addresses first, so that defaults skip them */
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = r->nodes->pdata[i];
      g_autofree char *group = g_strdup_printf ("node %s", n->name);

      if (!g_key_file_has_group (p->kf, group))
        continue;
      if (!get_uint (p, group, "vcpus", 1, LAB_MAX_VCPUS, &n->vcpus, NULL, error) ||
          !get_memory (p, group, "memory", &n->memory_mib, error) ||
          !get_size (p, group, "disk", &n->disk_bytes, error) ||
          !get_string (p, group, "address", &n->address, error))
        return FALSE;
      if (n->address != NULL)
        {
          guint32 a;

          if (!check_address (p, group, n->address, used, error))
            return FALSE;
          parse_ipv4 (n->address, &a);
          g_hash_table_insert (used, GUINT_TO_POINTER (a), n->name);
        }
    }
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = r->nodes->pdata[i];
      guint32 a;

      if (n->address != NULL)
        continue;
      if (!default_address (p, LAB_NODE_ADDR_OFFSET + i, _("nodes"),
                            count_set ? key_line (p, "nodes", "count")
                                      : (n->line ? n->line : key_line (p, "network", "subnet")),
                            count_set ? "count" : "subnet", used, &n->address, error))
        return FALSE;
      parse_ipv4 (n->address, &a);
      g_hash_table_insert (used, GUINT_TO_POINTER (a), n->name);
    }

  /* guests */
  r->guests = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_guest_free);
  for (guint i = 0; i < p->groups->len; i++)
    {
      const char *group = p->groups->pdata[i];
      g_autofree char *label = NULL;
      g_autofree char *disk_text = NULL;
      g_autofree char *type = NULL;
      LabGuest *g;

      if (!g_str_has_prefix (group, "guest "))
        continue;
      label = g_strdup_printf ("[%s]", group);
      g = g_new0 (LabGuest, 1);
      g_ptr_array_add (r->guests, g);
      g->name = g_strstrip (g_strdup (group + 6));
      CHECK_VALUE (p, error, group, label, check_name (g->name, _("guest name"), lv_max, TRUE));
      if (lab_recipe_find_node (r, g->name) != NULL)
        return recipe_error (p, error, group_line (p, group), label,
                             _("guest '%s' has the name of a node; give it its own name"), g->name);
      g->vcpus = 1;
      g->memory_mib = LAB_GUEST_MEMORY_MIB;
      if (!get_string (p, group, "node", &g->node, error) ||
          !get_uint (p, group, "vcpus", 1, LAB_MAX_VCPUS, &g->vcpus, NULL, error) ||
          !get_memory (p, group, "memory", &g->memory_mib, error) ||
          !get_string (p, group, "kernel", &g->kernel, error) ||
          !get_string (p, group, "initrd", &g->initrd, error) ||
          !get_string (p, group, "cmdline", &g->cmdline, error) ||
          !get_string (p, group, "address", &g->address, error) ||
          !get_size (p, group, "disk", &g->disk_bytes, error) ||
          !get_choice (p, group, "type", guest_types, &type, error))
        return FALSE;
      g->container = g_strcmp0 (type, "container") == 0;
      if (g->container && r->flavor != LAB_FLAVOR_KVM)
        return recipe_error (p, error, key_line (p, group, "type"), "type",
                             _("guest '%s': containers run on kvm nodes only (flavor = kvm); "
                               "remove 'type = container' or change the flavor"), g->name);
      if (g->container && (g->initrd == NULL || g->disk_bytes == 0))
        return recipe_error (p, error, group_line (p, group), label,
                             _("container '%s' needs 'initrd' (its root's files) and 'disk' (the LV its root "
                               "is made on); add both to [%s]"), g->name, group);
      if (g->node == NULL)
        g->node = g_strdup (((LabNode *) r->nodes->pdata[0])->name);
      else if (lab_recipe_find_node (r, g->node) == NULL)
        {
          g_autoptr(GPtrArray) names = g_ptr_array_new ();
          g_autofree char *all = NULL;

          for (guint j = 0; j < r->nodes->len; j++)
            g_ptr_array_add (names, ((LabNode *) r->nodes->pdata[j])->name);
          g_ptr_array_add (names, NULL);
          all = join_quoted ((const char * const *) names->pdata);
          return recipe_error (p, error, key_line (p, group, "node"), "node",
                               _("guest '%s' is placed on unknown node '%s'; the nodes are %s"),
                               g->name, g->node, all);
        }
      if (g->kernel != NULL)
        {
          char *abs = resolve_relative (p, g->kernel);

          g_free (g->kernel);
          g->kernel = abs;
        }
      if (g->initrd != NULL)
        {
          char *abs = resolve_relative (p, g->initrd);

          g_free (g->initrd);
          g->initrd = abs;
        }
      if (g->initrd != NULL && g->kernel == NULL && !g->container)
        return recipe_error (p, error, key_line (p, group, "initrd"), "initrd",
                             _("an initrd without a kernel; add 'kernel = PATH' to [%s]"), group);
      if (g->address != NULL)
        {
          guint32 a;

          if (!check_address (p, group, g->address, used, error))
            return FALSE;
          parse_ipv4 (g->address, &a);
          g_hash_table_insert (used, GUINT_TO_POINTER (a), g->name);
        }
      g->mac = lab_recipe_make_mac (r->name, g->name);
    }
  for (guint j = 0; j < r->guests->len; j++)
    {
      LabGuest *g = r->guests->pdata[j];
      g_autofree char *group = g_strdup_printf ("guest %s", g->name);
      guint32 a;

      if (g->address != NULL)
        continue;
      if (!default_address (p, LAB_GUEST_ADDR_OFFSET + j, _("guests"), group_line (p, group),
                            group, used, &g->address, error))
        return FALSE;
      parse_ipv4 (g->address, &a);
      g_hash_table_insert (used, GUINT_TO_POINTER (a), g->name);
    }
  return TRUE;
}

static gboolean
parse_exercises (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) list = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  if (g_key_file_has_key (p->kf, "exercises", "list", NULL))
    {
      list = g_key_file_get_string_list (p->kf, "exercises", "list", NULL, &local);
      if (list == NULL)
        return recipe_error (p, error, key_line (p, "exercises", "list"), "list",
                             _("%s; write exercise names separated by ';'"), local->message);
    }
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      char *name = g_strstrip (list[i]);

      if (*name == '\0')
        continue;
      CHECK_VALUE (p, error, "exercises", "list", check_name (name, _("exercise name"), 63, FALSE));
      g_ptr_array_add (out, g_strdup (name));
    }
  g_ptr_array_add (out, NULL);
  r->exercises = (char **) g_ptr_array_steal (out, NULL);
  return TRUE;
}

/* [cluster]: corosync + pacemaker across the nodes (their guests HA). */
static gboolean
parse_cluster (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;

  r->cluster = g_key_file_has_group (p->kf, "cluster");
  r->cluster_token_ms = LAB_CLUSTER_TOKEN_MS;
  r->cluster_stickiness = LAB_CLUSTER_STICKINESS;
  if (!r->cluster)
    return TRUE;
  if (!get_uint (p, "cluster", "token", 200, 60000, &r->cluster_token_ms, NULL, error)
      || !get_uint (p, "cluster", "stickiness", 0, 1000000, &r->cluster_stickiness, NULL, error))
    return FALSE;
  if (r->flavor != LAB_FLAVOR_CONTAINER && r->flavor != LAB_FLAVOR_KVM)
    return recipe_error (p, error, group_line (p, "cluster"), "[cluster]",
                         _("labctl builds a corosync + pacemaker cluster on kvm and container nodes only (this "
                           "lab's flavor is %s); remove [cluster] or set 'flavor = kvm' or 'flavor = container'"),
                         flavors[r->flavor]);
  if (r->nodes->len < 3)
    return recipe_error (p, error,
                         g_key_file_has_group (p->kf, "nodes") ? key_line (p, "nodes", "count")
                                                               : group_line (p, "cluster"),
                         "count",
                         _("a cluster needs 3 nodes (3 votes): with %u a lost node cannot be told from a lost "
                           "link; set 'count = 3' in [nodes]"), r->nodes->len);
  return TRUE;
}

static guint64
round_extent (guint64 bytes)
{
  return (bytes + LAB_LVM_EXTENT - 1) / LAB_LVM_EXTENT * LAB_LVM_EXTENT;
}

static guint64
lvs_bytes (LabRecipe *r)
{
  guint64 total = LAB_PV_METADATA;

  for (guint i = 0; i < r->nodes->len; i++)
    total += round_extent (((LabNode *) r->nodes->pdata[i])->disk_bytes);
  for (guint i = 0; i < r->guests->len; i++)
    total += round_extent (((LabGuest *) r->guests->pdata[i])->disk_bytes);
  return total;
}

static gboolean
check_capacity (Parser *p, GError **error)
{
  LabRecipe *r = p->recipe;
  guint64 need = lvs_bytes (r);

  if (need > r->image_size)
    {
      g_autofree char *have = lab_format_size_exact (r->image_size);
      g_autofree char *want = lab_format_size_exact ((need + LAB_MIB - 1) / LAB_MIB * LAB_MIB);
      guint line;

      /* the size line; without one, where the disks grew too large */
      if (g_key_file_has_group (p->kf, "storage"))
        line = key_line (p, "storage", "size");
      else if (g_key_file_has_group (p->kf, "nodes"))
        line = key_line (p, "nodes", g_key_file_has_key (p->kf, "nodes", "disk", NULL) ? "disk" : "count");
      else
        line = group_line (p, "lab");
      return recipe_error (p, error, line, "size",
                           _("the image (%s) cannot hold the logical volumes of the nodes and guests "
                             "plus 4 MiB LVM metadata (%s in all); set 'size = %s' or more in [storage], or give the nodes smaller disks"),
                           have, want, want);
    }
  return TRUE;
}

/* GKeyFile says what is wrong but not where: the first line at which a
 * growing prefix of the text stops loading is the culprit. Recipes are
 * small, and this runs only for a broken file. */
static guint
syntax_error_line (const char *data, gsize len)
{
  guint line = 1;

  for (gsize i = 0; i <= len; i++)
    if (i == len || data[i] == '\n')
      {
        g_autoptr(GKeyFile) kf = g_key_file_new ();

        if (!g_key_file_load_from_data (kf, data, i, G_KEY_FILE_KEEP_TRANSLATIONS, NULL))
          return line;
        line++;
      }
  return 1;
}

/* ---------------------------------------------------------------- */
/* Public API                                                       */

void
lab_recipe_free (LabRecipe *recipe)
{
  if (recipe == NULL)
    return;
  g_free (recipe->path);
  g_free (recipe->hash);
  g_free (recipe->name);
  g_free (recipe->description);
  g_free (recipe->domain);
  g_free (recipe->backing_file);
  g_free (recipe->iqn);
  g_free (recipe->portal_address);
  g_free (recipe->vg_name);
  g_free (recipe->lv_prefix);
  g_free (recipe->net_name);
  g_free (recipe->subnet);
  g_free (recipe->gateway);
  g_free (recipe->bridge);
  g_free (recipe->cpu_mode);
  g_free (recipe->cache_mode);
  g_free (recipe->install_media);
  g_free (recipe->os_id);
  g_free (recipe->pve_version);
  g_clear_pointer (&recipe->nodes, g_ptr_array_unref);
  g_clear_pointer (&recipe->guests, g_ptr_array_unref);
  g_strfreev (recipe->exercises);
  g_free (recipe);
}

LabRecipe *
lab_recipe_load_data (const char *data, gssize length, const char *path, GError **error)
{
  Parser p = { 0 };
  g_autoptr(LabRecipe) r = g_new0 (LabRecipe, 1);
  g_autoptr(GError) local = NULL;
  gsize len = length < 0 ? strlen (data) : (gsize) length;
  gboolean ok;

  g_return_val_if_fail (data != NULL, NULL);

  p.display = path != NULL ? path : "<recipe>";
  if (path != NULL)
    {
      g_autofree char *abs = g_canonicalize_filename (path, NULL);

      p.dir = g_path_get_dirname (abs);
      r->path = g_strdup (path);
    }
  else
    p.dir = g_get_current_dir ();
  r->hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  p.recipe = r;
  p.group_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  p.key_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  p.groups = g_ptr_array_new ();
  p.kf = g_key_file_new ();

  ok = prescan (&p, data, len, error);
  if (ok && !g_key_file_load_from_data (p.kf, data, len, G_KEY_FILE_KEEP_TRANSLATIONS, &local))
    {
      guint line = syntax_error_line (data, len);

      ok = recipe_error (&p, error, line, _("(syntax)"), "%s; %s", local->message,
                         _("fix the syntax: [section] headers, 'key = value' lines and # comments"));
    }
  ok = ok && check_structure (&p, error) && parse_lab (&p, error) && parse_network (&p, error)
          && parse_storage (&p, error) && parse_nodes (&p, error) && parse_cluster (&p, error)
          && parse_exercises (&p, error)
          && check_capacity (&p, error);
  parser_clear (&p);
  if (!ok)
    return NULL;
  return g_steal_pointer (&r);
}

LabRecipe *
lab_recipe_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, &local))
    {
      g_set_error (error, LAB_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? LAB_ERROR_NOT_FOUND : LAB_ERROR_FAILED,
                   _("Cannot read recipe %s: %s"), path, local->message);
      return NULL;
    }
  return lab_recipe_load_data (data, length, path, error);
}

LabRecipe *
lab_recipe_load_named (const char *name_or_path, GError **error)
{
  g_autofree char *path = lab_recipe_resolve_path (name_or_path, error);

  return path != NULL ? lab_recipe_load (path, error) : NULL;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

char **
lab_recipe_list_shipped (void)
{
  g_autofree char *dir = lab_paths_data_file ("recipes", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, ".lab"))
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - 4));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_steal (names, NULL);
}

char *
lab_recipe_resolve_path (const char *name_or_path, GError **error)
{
  const char *name = name_or_path != NULL ? name_or_path : LAB_DEFAULT_RECIPE;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) shipped = NULL;
  g_autofree char *list = NULL;

  if (g_file_test (name, G_FILE_TEST_IS_REGULAR))
    return g_strdup (name);
  if (strchr (name, '/') == NULL)
    {
      file = g_str_has_suffix (name, ".lab") ? g_strdup (name) : g_strconcat (name, ".lab", NULL);
      path = lab_paths_data_file ("recipes", file, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  shipped = lab_recipe_list_shipped ();
  list = shipped[0] != NULL ? g_strjoinv (", ", shipped) : g_strdup (_("(none installed)"));
  g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
               _("Recipe '%s' not found: it is neither a file nor a shipped recipe; "
                 "give the path of a .lab file or one of: %s"), name, list);
  return NULL;
}

LabNode *
lab_recipe_find_node (LabRecipe *recipe, const char *name)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  for (guint i = 0; recipe->nodes != NULL && i < recipe->nodes->len; i++)
    if (g_strcmp0 (((LabNode *) recipe->nodes->pdata[i])->name, name) == 0)
      return recipe->nodes->pdata[i];
  return NULL;
}

LabGuest *
lab_recipe_find_guest (LabRecipe *recipe, const char *name)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  for (guint i = 0; recipe->guests != NULL && i < recipe->guests->len; i++)
    if (g_strcmp0 (((LabGuest *) recipe->guests->pdata[i])->name, name) == 0)
      return recipe->guests->pdata[i];
  return NULL;
}

const char *
lab_flavor_to_string (LabFlavorId flavor)
{
  G_STATIC_ASSERT (G_N_ELEMENTS (flavors) == LAB_N_FLAVORS + 1);
  G_STATIC_ASSERT (G_N_ELEMENTS (flavor_node_patterns) == LAB_N_FLAVORS);

  return flavor < LAB_N_FLAVORS ? flavors[flavor] : "unknown";
}

gboolean
lab_flavor_from_string (const char *name, LabFlavorId *out_flavor)
{
  for (guint i = 0; flavors[i] != NULL; i++)
    if (g_strcmp0 (flavors[i], name) == 0)
      {
        *out_flavor = (LabFlavorId) i;
        return TRUE;
      }
  return FALSE;
}

guint64
lab_recipe_storage_bytes (LabRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, 0);
  return recipe->image_size;
}

guint64
lab_recipe_memory_mib (LabRecipe *recipe)
{
  guint64 total = 0;

  g_return_val_if_fail (recipe != NULL, 0);
  for (guint i = 0; i < recipe->nodes->len; i++)
    total += ((LabNode *) recipe->nodes->pdata[i])->memory_mib;
  return total;
}

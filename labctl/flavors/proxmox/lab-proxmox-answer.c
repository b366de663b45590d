/* lab-proxmox-answer.c: a node's answer.toml for the Proxmox VE automated
 * installer: what it says (LabPveAnswer, from the recipe and the host's
 * locale), the checks of `proxmox-auto-install-assistant validate-answer`
 * with its messages, and the TOML in the spelling of each release
 * (kebab-case keys from 8.4 on, snake_case before; 9.x still reads the
 * snake_case aliases but validate-answer rejects them).
 *
 * Schema and rules: ../shared/research/proxmox-autoinstall-and-api.md
 * sections 3 and 4 (pve-installer answer.rs, proxmox-installer-types,
 * parse_answer_fail tests). */
#include "config.h"

#include "lab-proxmox.h"

#include <crypt.h>
#include <errno.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

/* [global] keyboard values of the installer */
static const char * const keyboards[] = {
  "de", "de-ch", "dk", "en-gb", "en-us", "es", "fi", "fr", "fr-be", "fr-ca", "fr-ch", "hu", "is", "it",
  "jp", "lt", "mk", "nl", "no", "pl", "pt", "pt-br", "se", "si", "tr", NULL
};

/* ISO 3166-1 alpha-2 (tzdata's iso3166.tab), the installer's country list */
static const char countries[] =
  "ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs "
  "bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee "
  "eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm "
  "hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc "
  "li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na "
  "nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw "
  "sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to "
  "tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw ";

/* XKB layout -> installer keyboard */
static const struct { const char *xkb; const char *pve; } xkb_map[] = {
  { "us", "en-us" }, { "gb", "en-gb" }, { "uk", "en-gb" }, { "de", "de" }, { "ch", "de-ch" }, { "dk", "dk" },
  { "es", "es" }, { "fi", "fi" }, { "fr", "fr" }, { "be", "fr-be" }, { "ca", "fr-ca" }, { "hu", "hu" },
  { "is", "is" }, { "it", "it" }, { "jp", "jp" }, { "lt", "lt" }, { "mk", "mk" }, { "nl", "nl" },
  { "no", "no" }, { "pl", "pl" }, { "pt", "pt" }, { "br", "pt-br" }, { "se", "se" }, { "si", "si" },
  { "tr", "tr" },
};

#define ZONE_TAB "/usr/share/zoneinfo/zone1970.tab"
#define ZONE_TAB_OLD "/usr/share/zoneinfo/zone.tab"

LabPveAnswer *
lab_pve_answer_new (void)
{
  return g_new0 (LabPveAnswer, 1);
}

void
lab_pve_answer_free (LabPveAnswer *a)
{
  if (a == NULL)
    return;
  g_free (a->version);
  g_free (a->keyboard);
  g_free (a->country);
  g_free (a->fqdn);
  g_free (a->mailto);
  g_free (a->timezone);
  g_free (a->root_password);
  g_free (a->root_password_hashed);
  g_strfreev (a->root_ssh_keys);
  g_free (a->reboot_mode);
  g_free (a->net_source);
  g_free (a->cidr);
  g_free (a->dns);
  g_free (a->gateway);
  g_free (a->net_filter_key);
  g_free (a->net_filter_value);
  g_free (a->filesystem);
  g_strfreev (a->disk_list);
  g_free (a->disk_filter_key);
  g_free (a->disk_filter_value);
  g_free (a->raid);
  g_free (a);
}

/* ---- the host's locale ------------------------------------------------- */

static char *
read_under (const char *sysroot, const char *path)
{
  g_autofree char *full = g_build_filename (sysroot != NULL ? sysroot : "/", path, NULL);
  char *text = NULL;

  if (!g_file_get_contents (full, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

/* The country code of zone in the zone tables ("RU" for Europe/Moscow). */
static char *
zone_country (const char *zone)
{
  static const char * const tabs[] = { ZONE_TAB, ZONE_TAB_OLD };

  for (guint t = 0; t < G_N_ELEMENTS (tabs); t++)
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (tabs[t], &text, NULL, NULL))
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_auto(GStrv) f = g_strsplit (lines[i], "\t", -1);

          if (lines[i][0] != '#' && g_strv_length (f) >= 3 && g_str_equal (f[2], zone))
            return g_ascii_strdown (f[0], 2);   /* zone1970: "RU" or "CH,DE" */
        }
    }
  return NULL;
}

static gboolean
zone_known (const char *zone)
{
  g_autofree char *country = NULL;

  if (g_strcmp0 (zone, "UTC") == 0)
    return TRUE;
  country = zone_country (zone);
  return country != NULL;
}

static gboolean
country_known (const char *cc)
{
  g_autofree char *word = g_strdup_printf ("%s ", cc);

  return strlen (cc) == 2 && g_ascii_islower (cc[0]) && g_ascii_islower (cc[1])
         && strstr (countries, word) != NULL && ((strstr (countries, word) - countries) % 3) == 0;
}

void
lab_pve_host_locale (const char *sysroot, char **out_keyboard, char **out_country, char **out_timezone)
{
  g_autofree char *kbd = read_under (sysroot, "etc/default/keyboard");
  g_autofree char *tz = read_under (sysroot, "etc/timezone");
  g_autofree char *country = NULL;
  const char *keyboard = "en-us";

  if (kbd != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (kbd, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix (g_strstrip (lines[i]), "XKBLAYOUT="))
          {
            g_autofree char *v = g_strdup (lines[i] + strlen ("XKBLAYOUT="));
            g_auto(GStrv) layouts = NULL;

            g_strdelimit (v, "\"'", ' ');
            g_strstrip (v);
            layouts = g_strsplit (v, ",", -1);
            for (guint k = 0; layouts[0] != NULL && k < G_N_ELEMENTS (xkb_map); k++)
              if (g_str_equal (layouts[0], xkb_map[k].xkb))
                keyboard = xkb_map[k].pve;
          }
    }
  if (tz == NULL)
    {
      /* /etc/localtime -> /usr/share/zoneinfo/Europe/Moscow */
      g_autofree char *lt = g_build_filename (sysroot != NULL ? sysroot : "/", "etc", "localtime", NULL);
      g_autofree char *target = g_file_read_link (lt, NULL);
      const char *z = target != NULL ? strstr (target, "zoneinfo/") : NULL;

      if (z != NULL)
        tz = g_strdup (z + strlen ("zoneinfo/"));
    }
  /* the installer's list names UTC plainly */
  if (tz == NULL || g_str_equal (tz, "Etc/UTC") || g_str_equal (tz, "Etc/UCT") || g_str_equal (tz, "UCT")
      || g_str_equal (tz, "Etc/Universal") || g_str_equal (tz, "Zulu") || g_str_equal (tz, "Etc/GMT")
      || !zone_known (tz))
    {
      g_free (tz);
      tz = g_strdup ("UTC");
    }
  country = zone_country (tz);
  if (country == NULL)
    {
      /* LANG=ru_RU.UTF-8 */
      const char *lang = g_getenv ("LANG");
      const char *us = lang != NULL ? strchr (lang, '_') : NULL;

      if (us != NULL && g_ascii_isalpha (us[1]) && g_ascii_isalpha (us[2]))
        country = g_ascii_strdown (us + 1, 2);
    }
  if (country == NULL || !country_known (country))
    {
      g_free (country);
      country = g_strdup ("us");
    }
  *out_keyboard = g_strdup (keyboard);
  *out_country = g_steal_pointer (&country);
  *out_timezone = g_steal_pointer (&tz);
}

/* ---- the answer of a node ---------------------------------------------- */

LabPveAnswer *
lab_pve_answer_for_node (LabRecipe *r, const LabNode *node, const char *sysroot, const char *password_hash,
                         const char *ssh_key)
{
  LabPveAnswer *a = lab_pve_answer_new ();
  g_autofree char *mac = g_strdup (node->mac);
  char *w = mac;

  a->version = g_strdup (r->pve_version != NULL ? r->pve_version : LAB_DEFAULT_PVE_VERSION);
  lab_pve_host_locale (sysroot, &a->keyboard, &a->country, &a->timezone);
  a->fqdn = g_strdup_printf ("%s.%s", node->name, r->domain);
  a->mailto = g_strdup_printf ("root@%s", a->fqdn);
  a->root_password_hashed = g_strdup (password_hash);
  if (ssh_key != NULL)
    a->root_ssh_keys = g_strdupv ((char *[]) { (char *) ssh_key, NULL });
  a->reboot_mode = g_strdup ("power-off");
  a->net_source = g_strdup ("from-answer");
  a->cidr = g_strdup_printf ("%s/%u", node->address, r->subnet_prefix);
  a->gateway = g_strdup (r->gateway);
  /* libvirt's dnsmasq answers DNS on the gateway */
  a->dns = g_strdup (r->gateway);
  /* udev names the NIC enx<mac>: ID_NET_NAME_MAC = "enx525400873 68e" */
  for (const char *c = node->mac; *c; c++)
    if (*c != ':')
      *w++ = g_ascii_tolower (*c);
  *w = '\0';
  a->net_filter_key = g_strdup ("ID_NET_NAME_MAC");
  a->net_filter_value = g_strdup_printf ("*%s", mac);
  a->filesystem = g_strdup ("ext4");
  a->disk_list = g_strdupv ((char *[]) { (char *) "vda", NULL });
  return a;
}

/* ---- validate-answer --------------------------------------------------- */

static gboolean
version_at_least (const char *version, guint major, guint minor)
{
  guint64 ma = g_ascii_strtoull (version, NULL, 10);
  const char *dot = strchr (version, '.');
  guint64 mi = dot != NULL ? g_ascii_strtoull (dot + 1, NULL, 10) : 0;

  return ma > major || (ma == major && mi >= minor);
}

/* The HTML living standard's e-mail pattern, which the installer uses. */
static gboolean
email_ok (const char *s)
{
  static GRegex *re;

  if (g_once_init_enter (&re))
    g_once_init_leave (&re, g_regex_new ("^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9]"
                                                 "(?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9]"
                                                 "(?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$", 0, 0, NULL));
  return s != NULL && g_regex_match (re, s, 0, NULL);
}

static guint
min_disks (const char *fs, const char *raid)
{
  static const struct { const char *fs, *raid; guint n; } t[] = {
    { "zfs", "raid0", 1 }, { "zfs", "raid1", 2 }, { "zfs", "raid10", 4 }, { "zfs", "raidz-1", 3 },
    { "zfs", "raidz-2", 4 }, { "zfs", "raidz-3", 5 }, { "btrfs", "raid0", 1 }, { "btrfs", "raid1", 2 },
    { "btrfs", "raid10", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    if (g_strcmp0 (t[i].fs, fs) == 0 && g_strcmp0 (t[i].raid, raid) == 0)
      return t[i].n;
  return 1;
}

GPtrArray *
lab_pve_answer_validate (const LabPveAnswer *a)
{
  GPtrArray *p = g_ptr_array_new_with_free_func (g_free);
  const char *fs = a->filesystem;
  guint n_disks = a->disk_list != NULL ? g_strv_length (a->disk_list) : 0;

  /* spelling: kebab-case keys appeared in 8.4; validate-answer of 9.x
   * rejects the old snake_case aliases */
  if (a->snake_case && version_at_least (a->version, 9, 0))
    g_ptr_array_add (p, g_strdup (_("deprecated snake_case keys (root_password_hashed, disk_list ...): use the "
                                    "kebab-case spelling (root-password-hashed, disk-list ...) instead; Found issues "
                                    "in the answer file.")));
  if (!a->snake_case && !version_at_least (a->version, 8, 4))
    g_ptr_array_add (p, g_strdup_printf (_("unknown field `root-password-hashed`: kebab-case keys need Proxmox VE "
                                           "8.4 or later (this is %s)"), a->version));
  if (!g_strv_contains (keyboards, a->keyboard != NULL ? a->keyboard : ""))
    g_ptr_array_add (p, g_strdup_printf (_("unknown variant `%s` for `global.keyboard`"), a->keyboard ? a->keyboard : ""));
  if (a->country == NULL || !country_known (a->country))
    g_ptr_array_add (p, g_strdup_printf (_("country code '%s' is not valid"), a->country ? a->country : ""));
  if (a->timezone == NULL || !zone_known (a->timezone))
    g_ptr_array_add (p, g_strdup_printf (_("timezone '%s' is not valid"), a->timezone ? a->timezone : ""));
  if (a->fqdn == NULL || strchr (a->fqdn, '.') == NULL || a->fqdn[0] == '.' || g_str_has_suffix (a->fqdn, "."))
    g_ptr_array_add (p, g_strdup (_("either a fully-qualified domain name or extendend configuration for usage with "
                                    "DHCP must be specified")));
  if (!email_ok (a->mailto))
    g_ptr_array_add (p, g_strdup (_("Email does not look like a valid address (user@domain.tld)")));
  if (a->root_password == NULL && a->root_password_hashed == NULL)
    g_ptr_array_add (p, g_strdup (_("One of `global.root-password` or `global.root-password-hashed` must be set")));
  if (a->root_password != NULL && a->root_password_hashed != NULL)
    g_ptr_array_add (p, g_strdup (_("`global.root-password` and `global.root-password-hashed` cannot be set at the "
                                    "same time")));
  if (a->root_password != NULL && g_utf8_strlen (a->root_password, -1) < 8)
    g_ptr_array_add (p, g_strdup (_("`global.root-password` must be at least 8 characters long")));
  if (a->reboot_mode != NULL && g_strcmp0 (a->reboot_mode, "reboot") != 0
      && g_strcmp0 (a->reboot_mode, "power-off") != 0)
    g_ptr_array_add (p, g_strdup_printf (_("unknown variant `%s` for `global.reboot-mode`, expected `reboot` or "
                                           "`power-off`"), a->reboot_mode));
  if (g_strcmp0 (a->net_source, "from-answer") == 0)
    {
      if (a->cidr == NULL || a->dns == NULL || a->gateway == NULL)
        g_ptr_array_add (p, g_strdup (_("`network.source = \"from-answer\"` needs `cidr`, `dns` and `gateway`")));
      if (a->net_filter_key == NULL || a->net_filter_value == NULL)
        g_ptr_array_add (p, g_strdup (_("`network.source = \"from-answer\"` needs a `filter` that selects the NIC")));
    }
  else if (g_strcmp0 (a->net_source, "from-dhcp") != 0)
    g_ptr_array_add (p, g_strdup (_("`network.source` must be \"from-dhcp\" or \"from-answer\"")));
  if (!g_strv_contains ((const char * const[]) { "ext4", "xfs", "zfs", "btrfs", NULL }, fs != NULL ? fs : ""))
    g_ptr_array_add (p, g_strdup_printf (_("unknown variant `%s` for `disk-setup.filesystem`"), fs ? fs : ""));
  if (n_disks == 0 && a->disk_filter_key == NULL)
    g_ptr_array_add (p, g_strdup (_("Need either 'disk-list' or 'filter' set")));
  if (n_disks > 0 && a->disk_filter_key != NULL)
    g_ptr_array_add (p, g_strdup (_("Cannot use both 'disk-list' and 'filter'")));
  for (guint i = 0; i < n_disks; i++)
    for (guint j = 0; j < i; j++)
      if (g_str_equal (a->disk_list[i], a->disk_list[j]))
        {
          g_ptr_array_add (p, g_strdup_printf (_("List of disks contains duplicate device %s"), a->disk_list[i]));
          i = n_disks;
          break;
        }
  if ((g_strcmp0 (fs, "zfs") == 0 || g_strcmp0 (fs, "btrfs") == 0))
    {
      if (a->raid == NULL)
        g_ptr_array_add (p, g_strdup_printf (_("missing field `raid` in `disk-setup.%s`"), fs));
      else if (n_disks > 0 && n_disks < min_disks (fs, a->raid))
        {
          g_autofree char *raid = g_ascii_strup (a->raid, -1);

          g_ptr_array_add (p, g_strdup_printf (_("%s %s needs at least %u disks, got %u"),
                                               g_str_equal (fs, "zfs") ? "ZFS" : "BTRFS", raid,
                                               min_disks (fs, a->raid), n_disks));
        }
    }
  else if (n_disks > 1)
    g_ptr_array_add (p, g_strdup_printf (_("%s takes one disk, got %u; use zfs or btrfs for several"), fs, n_disks));
  if (a->hdsize > 0 && a->swapsize > a->hdsize / 2)
    g_ptr_array_add (p, g_strdup_printf (_("Swap size %g GiB cannot be greater than %g GiB (hard disk size / 2)"),
                                         a->swapsize, a->hdsize / 2));
  return p;
}

/* ---- TOML ------------------------------------------------------------- */

static void
toml_string (GString *s, const char *v)
{
  g_string_append_c (s, '"');
  for (const char *c = v; *c; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (s, "\\%c", *c);
      else if ((guchar) *c < 0x20 || *c == 0x7f)
        g_string_append_printf (s, "\\u%04X", (guchar) *c);
      else
        g_string_append_c (s, *c);
    }
  g_string_append_c (s, '"');
}

static void
toml_kv (GString *s, const char *key, const char *v)
{
  if (v == NULL)
    return;
  g_string_append_printf (s, "%s = ", key);
  toml_string (s, v);
  g_string_append_c (s, '\n');
}

static void
toml_array (GString *s, const char *key, char **v)
{
  if (v == NULL)
    return;
  g_string_append_printf (s, "%s = [", key);
  for (guint i = 0; v[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      toml_string (s, v[i]);
    }
  g_string_append (s, "]\n");
}

static void
toml_number (GString *s, const char *key, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (v <= 0)
    return;
  g_ascii_formatd (buf, sizeof buf, "%.1f", v);
  g_string_append_printf (s, "%s = %s\n", key, buf);
}

char *
lab_pve_answer_to_toml (const LabPveAnswer *a, gboolean mask)
{
  GString *s = g_string_new (NULL);
  gboolean snake = a->snake_case;
#define K(kebab, snake_) (snake ? (snake_) : (kebab))

  g_string_append_printf (s, "# answer.toml for the Proxmox VE %s automated installer, written by labctl\n",
                          a->version);
  g_string_append (s, "[global]\n");
  toml_kv (s, "keyboard", a->keyboard);
  toml_kv (s, "country", a->country);
  toml_kv (s, "fqdn", a->fqdn);
  toml_kv (s, "mailto", a->mailto);
  toml_kv (s, "timezone", a->timezone);
  toml_kv (s, K ("root-password", "root_password"), a->root_password != NULL && mask ? "******" : a->root_password);
  toml_kv (s, K ("root-password-hashed", "root_password_hashed"),
           a->root_password_hashed != NULL && mask ? "******" : a->root_password_hashed);
  toml_array (s, K ("root-ssh-keys", "root_ssh_keys"), a->root_ssh_keys);
  toml_kv (s, K ("reboot-mode", "reboot_mode"), a->reboot_mode);

  g_string_append (s, "\n[network]\n");
  toml_kv (s, "source", a->net_source);
  toml_kv (s, "cidr", a->cidr);
  toml_kv (s, "dns", a->dns);
  toml_kv (s, "gateway", a->gateway);
  if (a->net_filter_key != NULL)
    {
      g_string_append (s, "\n[network.filter]\n");
      toml_kv (s, a->net_filter_key, a->net_filter_value);
    }

  g_string_append (s, "\n[disk-setup]\n");
  toml_kv (s, "filesystem", a->filesystem);
  toml_array (s, K ("disk-list", "disk_list"), a->disk_list);
  if (a->raid != NULL && a->filesystem != NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s.raid", a->filesystem);
      toml_kv (s, key, a->raid);
    }
  if (a->hdsize > 0 || a->swapsize > 0)
    {
      g_autofree char *hd = g_strdup_printf ("%s.hdsize", g_strcmp0 (a->filesystem, "ext4") == 0
                                                            || g_strcmp0 (a->filesystem, "xfs") == 0
                                                          ? "lvm" : a->filesystem);
      toml_number (s, hd, a->hdsize);
      if (a->swapsize > 0)
        toml_number (s, "lvm.swapsize", a->swapsize);
    }
  if (a->disk_filter_key != NULL)
    {
      g_string_append (s, "\n[disk-setup.filter]\n");
      toml_kv (s, a->disk_filter_key, a->disk_filter_value);
    }
#undef K
  return g_string_free (s, FALSE);
}

/* ---- passwords --------------------------------------------------------- */

char *
lab_pve_new_password (void)
{
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  char buf[21];

  for (guint i = 0; i < 20; i++)
    buf[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  buf[20] = '\0';
  return g_strdup (buf);
}

char *
lab_pve_hash_password (const char *password, GError **error)
{
  g_autofree char *salt = crypt_gensalt_ra ("$6$", 0, NULL, 0);
  struct crypt_data data;
  const char *hash;

  if (salt == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot make a password salt: %s"), g_strerror (errno));
      return NULL;
    }
  memset (&data, 0, sizeof data);
  hash = crypt_r (password, salt, &data);
  if (hash == NULL || hash[0] == '*')
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot hash the root password: %s"), g_strerror (errno));
      return NULL;
    }
  return g_strdup (hash);
}

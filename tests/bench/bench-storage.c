/* bench-storage.c: `labctl storage up` + `down` against the same raw
 * tgtadm / qemu-storage-daemon / losetup / LVM sequence run by a shell
 * script, in one run, on loopback with private ports; prints both times and
 * the ratio (goal: labctl within 1.5x of the script).
 *
 * Root only. Usage: bench-storage [ROUNDS] (default 3); LABCTL = the labctl
 * binary (meson sets it; default: the build tree's). Both sides attach the
 * LUN the same way (FUSE + loop, LABCTL_STORAGE_ATTACH=fuse) and run LVM
 * with activation disabled in a private LVM_SYSTEM_DIR. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench-goal.h"
#include "lab-tgt.h"

static const char script_up[] =
  "set -eu\n"
  "truncate -s 1G \"$W/raw.img\"\n"
  "setsid tgtd -f -C \"$CP\" --iscsi portal=127.0.0.1:\"$PP\" >\"$W/tgtd.log\" 2>&1 </dev/null &\n"
  "echo $! >\"$W/tgtd.pid\"\n"
  "for i in $(seq 200); do tgtadm -C \"$CP\" --lld iscsi --op show --mode sys >/dev/null 2>&1 && break; sleep 0.02; done\n"
  "T=\"tgtadm -C $CP --lld iscsi\"\n"
  "$T --op new --mode target --tid 1 -T \"$IQN\"\n"
  "$T --op new --mode logicalunit --tid 1 --lun 1 -b \"$W/raw.img\" --bstype rdwr\n"
  "$T --op bind --mode target --tid 1 -I 127.0.0.1\n"
  "$T --op bind --mode target --tid 1 -I 10.99.0.0/24\n"
  ": >\"$W/raw.fuse\"\n"
  "setsid qemu-storage-daemon --blockdev driver=iscsi,node-name=lun1,transport=tcp,portal=127.0.0.1:$PP,target=$IQN,lun=1 "
  "--export type=fuse,id=exp0,node-name=lun1,mountpoint=$W/raw.fuse,writable=on --pidfile \"$W/qsd.pid\" "
  ">\"$W/qsd.log\" 2>&1 </dev/null &\n"
  "for i in $(seq 500); do grep -q \" $W/raw.fuse fuse\" /proc/mounts && break; sleep 0.02; done\n"
  "D=$(losetup --find --show \"$W/raw.fuse\"); echo \"$D\" >\"$W/raw.loop\"\n"
  "pvcreate -q --devices \"$D\" \"$D\"\n"
  "vgcreate -q --devices \"$D\" --addtag bench \"$VG\" \"$D\"\n"
  "pvchange -q --devices \"$D\" --addtag bench \"$D\"\n"
  "lvcreate -q --devices \"$D\" -y -L 256M -n lv_node1 --addtag bench \"$VG\"\n"
  "lvcreate -q --devices \"$D\" -y -L 256M -n lv_node2 --addtag bench \"$VG\"\n"
  "lvs --devices \"$D\" --reportformat json --units b --nosuffix -o lv_name,lv_size,lv_tags \"$VG\" >/dev/null\n";

static const char script_down[] =
  "set -eu\n"
  "D=$(cat \"$W/raw.loop\")\n"
  "lvremove -q --devices \"$D\" -y \"$VG/lv_node1\"\n"
  "lvremove -q --devices \"$D\" -y \"$VG/lv_node2\"\n"
  "vgremove -q --devices \"$D\" -y \"$VG\"\n"
  "pvremove -q --devices \"$D\" -y \"$D\"\n"
  "losetup --detach \"$D\"\n"
  "P=$(cat \"$W/qsd.pid\"); kill -TERM \"$P\"\n"
  "for i in $(seq 500); do case \"$(ps -o stat= -p \"$P\")\" in \"\"|Z*) break;; esac; sleep 0.02; done\n"
  "T=\"tgtadm -C $CP --lld iscsi\"\n"
  "$T --op delete --mode logicalunit --tid 1 --lun 1\n"
  "$T --op delete --mode target --tid 1 --force\n"
  "tgtadm -C \"$CP\" --op delete --mode system\n"
  "P=$(cat \"$W/tgtd.pid\")\n"
  "for i in $(seq 500); do case \"$(ps -o stat= -p \"$P\")\" in \"\"|Z*) break;; esac; sleep 0.02; done\n"
  "rm -f \"/run/tgtd/socket.$CP\" \"/run/tgtd/socket.$CP.lock\" \"$W/raw.img\" \"$W/raw.fuse\" \"$W/raw.loop\"\n";

static guint16
pick_port (guint lo)
{
  for (int i = 0; i < 100; i++)
    {
      guint16 p = lo + g_random_int_range (0, 10000);
      g_autofree char *sock = g_strdup_printf ("/run/tgtd/socket.%u", p);
      if (lab_tgt_check_portal_free ("127.0.0.1", p, NULL) && !g_file_test (sock, G_FILE_TEST_EXISTS))
        return p;
    }
  return 0;
}

static double
timed (char **argv, char **envp)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      fprintf (stderr, "bench-storage: %s failed: %s\n%s%s\n", argv[0], error ? error->message : "?",
               out ? out : "", err ? err : "");
      return -1;
    }
  return (g_get_monotonic_time () - t0) / 1e6;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 3;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *lvm_dir = NULL;
  g_autofree char *recipe = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *text = NULL;
  const char *labctl = g_getenv ("LABCTL");
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GArray) t_labctl = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_script = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ratios = g_array_new (FALSE, FALSE, sizeof (double));
  guint16 cp_l, pp_l, cp_s, pp_s;
  int pid = (int) getpid ();
  double med_l, med_s;
  int ret = 0;

  if (geteuid () != 0)
    {
      printf ("bench-storage: skipped: needs root (tgtd, losetup, LVM, FUSE)\n");
      return 77;
    }
  if (labctl == NULL)
    labctl = LABCTL_BUILD_DIR "/labctl/labctl";
  if (rounds < 1)
    rounds = 1;

  dir = g_dir_make_tmp ("labctl-bench-storage-XXXXXX", &error);
  lvm_dir = g_build_filename (dir, "lvm", NULL);
  g_mkdir_with_parents (lvm_dir, 0700);
  conf = g_strdup_printf (
    "devices { obtain_device_list_from_udev = 0 external_device_info_source = \"none\" "
    "use_devicesfile = 0 hints = \"none\" }\n"
    "global { activation = 0 locking_dir = \"%s/lock\" use_lvmpolld = 0 event_activation = 0 }\n"
    "activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }\n"
    "backup { backup = 0 archive = 0 }\n", lvm_dir);
  {
    g_autofree char *p = g_build_filename (lvm_dir, "lvm.conf", NULL);
    g_file_set_contents (p, conf, -1, NULL);
  }
  cp_l = pick_port (20000);
  pp_l = pick_port (40000);
  do
    cp_s = pick_port (20000);
  while (cp_s == cp_l);
  do
    pp_s = pick_port (40000);
  while (pp_s == pp_l);

  recipe = g_build_filename (dir, "bench.lab", NULL);
  text = g_strdup_printf ("[lab]\nname = bench%d\nflavor = kvm\n"
                          "[storage]\nsize = 1G\nportal = 127.0.0.1:%u\ncontrol-port = %u\n"
                          "backing-file = %s/bench.img\nvg = vg_benchl%d\n"
                          "[network]\nsubnet = 10.99.0.0/24\n[nodes]\ncount = 2\ndisk = 256M\n",
                          pid, pp_l, cp_l, dir, pid);
  g_file_set_contents (recipe, text, -1, NULL);

  env = g_environ_setenv (env, "LVM_SYSTEM_DIR", lvm_dir, TRUE);
  env = g_environ_setenv (env, "LABCTL_LVM_SYSTEM_DIR", lvm_dir, TRUE);
  env = g_environ_setenv (env, "LVM_SUPPRESS_FD_WARNINGS", "1", TRUE);
  env = g_environ_setenv (env, "LABCTL_STORAGE_ATTACH", "fuse", TRUE);
  {
    g_autofree char *state = g_build_filename (dir, "state", NULL);
    g_autofree char *cps = g_strdup_printf ("%u", cp_s);
    g_autofree char *pps = g_strdup_printf ("%u", pp_s);
    g_autofree char *iqn = g_strdup_printf ("iqn.2026-01.labctl.bench:raw%d", pid);
    g_autofree char *vg = g_strdup_printf ("vg_benchs%d", pid);
    env = g_environ_setenv (env, "LABCTL_STATE_DIR", state, TRUE);
    env = g_environ_setenv (env, "W", dir, TRUE);
    env = g_environ_setenv (env, "CP", cps, TRUE);
    env = g_environ_setenv (env, "PP", pps, TRUE);
    env = g_environ_setenv (env, "IQN", iqn, TRUE);
    env = g_environ_setenv (env, "VG", vg, TRUE);
  }

  printf ("bench-storage: %d round(s); each: storage up (1 GiB sparse LUN, tgtd, target, LUN, ACL, "
          "FUSE attach, PV, VG, 2 LVs) + down\n", rounds);
  for (int i = 0; i < rounds && ret == 0; i++)
    {
      char *l_up[] = { (char *) labctl, "storage", "up", "--recipe", recipe, NULL };
      char *l_down[] = { (char *) labctl, "storage", "down", "--recipe", recipe, NULL };
      char *s_up[] = { "bash", "-c", (char *) script_up, NULL };
      char *s_down[] = { "bash", "-c", (char *) script_down, NULL };
      double a = timed (l_up, env), b = a >= 0 ? timed (l_down, env) : -1;
      double c = b >= 0 ? timed (s_up, env) : -1, d = c >= 0 ? timed (s_down, env) : -1;
      double l = a + b, s = c + d;

      if (a < 0 || b < 0 || c < 0 || d < 0)
        {
          ret = 1;
          break;
        }
      g_array_append_val (t_labctl, l);
      g_array_append_val (t_script, s);
      {
        double q = l / s;
        g_array_append_val (ratios, q);
      }
      printf ("round %d: labctl up %.3f s + down %.3f s = %.3f s; script up %.3f s + down %.3f s = %.3f s\n",
              i + 1, a, b, l, c, d, s);
    }
  if (ret != 0)
    {
      char *l_down[] = { (char *) labctl, "storage", "down", "--recipe", recipe, NULL };
      char *s_down[] = { "bash", "-c", (char *) script_down, NULL };
      timed (l_down, env);
      timed (s_down, env);
    }
  else
    {
      g_array_sort (t_labctl, cmp_double);
      g_array_sort (t_script, cmp_double);
      med_l = g_array_index (t_labctl, double, t_labctl->len / 2);
      med_s = g_array_index (t_script, double, t_script->len / 2);
      g_array_sort (ratios, cmp_double);
      printf ("median of the per-round ratios %.2fx\n", g_array_index (ratios, double, ratios->len / 2));
      printf ("median: labctl %.3f s, shell script %.3f s, ratio %.2fx (goal <= 1.5x: %s)\n", med_l, med_s,
              med_l / med_s, bench_goal ("labctl / shell script <= 1.5x", med_l / med_s <= 1.5));
    }
  {
    char *rm[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync (NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
  bench_goal_summary ("bench-storage");
  return ret;
}

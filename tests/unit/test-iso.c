/* test-iso.c: the ISO cache against a local HTTP server (libsoup3's
 * SoupServer on 127.0.0.1, in a thread of its own, started by the test):
 * a download, a resume after the connection was cut, a wrong checksum
 * refused with nothing left to use, a full disk reported before the
 * download, a 404 named, an offline source; `add` by the catalogue's sum
 * and by --sha256, and `remove`. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lab-error.h"
#include "lab-iso.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"

#define BODY_SIZE (3 * 1024 * 1024 + 123)

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  guint         port;
  GBytes       *body;
  char         *sha256;
  /* what the handler saw and does */
  GMutex        lock;
  guint         requests;
  gint64        last_range_start;   /* -1: no Range */
  gboolean      cut_next;           /* send half the body, then close */
  gboolean      huge_next;          /* announce 1 PiB, then close */
  gboolean      corrupt;            /* serve other bytes */
  GCond         ready;
  gboolean      started;
} Server;

static Server srv;

static void
write_raw_and_close (SoupServerMessage *msg, const char *head, const void *data, gsize len)
{
  GIOStream *io = soup_server_message_steal_connection (msg);
  GOutputStream *out = g_io_stream_get_output_stream (io);

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  if (len > 0)
    g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
  g_object_unref (io);
}

static void
handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupRange *ranges = NULL;
  int n_ranges = 0;
  gsize size;
  const guchar *data = g_bytes_get_data (srv.body, &size);
  g_autofree guchar *other = NULL;
  gboolean cut, huge;
  gint64 start = -1;

  if (!g_str_equal (path, "/iso/test-1.0.iso"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (soup_message_headers_get_ranges (req, size, &ranges, &n_ranges))
    {
      start = ranges[0].start;
      soup_message_headers_free_ranges (req, ranges);
    }
  g_mutex_lock (&srv.lock);
  srv.requests++;
  srv.last_range_start = start;
  cut = srv.cut_next;
  huge = srv.huge_next;
  srv.cut_next = srv.huge_next = FALSE;
  if (srv.corrupt)
    {
      other = g_memdup2 (data, size);
      other[size / 2] ^= 0xff;
      data = other;
    }
  g_mutex_unlock (&srv.lock);

  if (huge)
    {
      write_raw_and_close (msg, "HTTP/1.1 200 OK\r\nContent-Length: 1125899906842624\r\n"
                                "Content-Type: application/octet-stream\r\n\r\n", data, 1024);
      return;
    }
  if (cut)
    {
      g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                                               "Content-Type: application/octet-stream\r\n\r\n", size);
      write_raw_and_close (msg, head, data, size / 2);
      return;
    }
  if (start > 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_set_content_range (soup_server_message_get_response_headers (msg), start, size - 1,
                                              size);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                        (const char *) data + start, size - start);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY, (const char *) data, size);
}

static gpointer
server_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (srv.context);
  srv.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (srv.server, NULL, handler, NULL, NULL);
  g_assert_true (soup_server_listen_local (srv.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (srv.server);
  srv.port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_mutex_lock (&srv.lock);
  srv.started = TRUE;
  g_cond_signal (&srv.ready);
  g_mutex_unlock (&srv.lock);
  g_main_loop_run (srv.loop);
  soup_server_disconnect (srv.server);
  g_clear_object (&srv.server);
  g_main_context_pop_thread_default (srv.context);
  return NULL;
}

static void
server_start (void)
{
  guchar *buf = g_malloc (BODY_SIZE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  for (gsize i = 0; i < BODY_SIZE; i++)
    buf[i] = g_rand_int (rand) & 0xff;
  srv.body = g_bytes_new_take (buf, BODY_SIZE);
  srv.sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, srv.body);
  srv.context = g_main_context_new ();
  srv.loop = g_main_loop_new (srv.context, FALSE);
  g_mutex_init (&srv.lock);
  g_cond_init (&srv.ready);
  srv.thread = g_thread_new ("http", server_thread, NULL);
  g_mutex_lock (&srv.lock);
  while (!srv.started)
    g_cond_wait (&srv.ready, &srv.lock);
  g_mutex_unlock (&srv.lock);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (srv.loop);
  return G_SOURCE_REMOVE;
}

static void
server_stop (void)
{
  g_main_context_invoke (srv.context, quit_loop, NULL);
  g_thread_join (srv.thread);
  g_main_loop_unref (srv.loop);
  g_main_context_unref (srv.context);
  g_bytes_unref (srv.body);
  g_free (srv.sha256);
}

/* ---- fixtures -------------------------------------------------------- */

typedef struct {
  char        *dir;
  char        *url;
  LabIsoEntry  entry;
  guint        progress_calls;
  guint64      progress_last;
} Fixture;

static void
progress (guint64 done, guint64 total, double rate, gpointer user_data)
{
  Fixture *f = user_data;

  f->progress_calls++;
  g_assert_cmpuint (done, >=, f->progress_last);
  g_assert_cmpuint (total, ==, BODY_SIZE);
  f->progress_last = done;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("labctl-iso-XXXXXX", &error);
  g_assert_no_error (error);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/iso/test-1.0.iso", srv.port);
  f->entry.name = (char *) "test-1.0";
  f->entry.file = (char *) "test-1.0.iso";
  f->entry.url = f->url;
  f->entry.sha256 = srv.sha256;
  g_mutex_lock (&srv.lock);
  srv.requests = 0;
  srv.corrupt = FALSE;
  g_mutex_unlock (&srv.lock);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lab_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->url);
}

static char *
in_dir (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
assert_file_is_body (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, BODY_SIZE);
  g_assert_true (memcmp (contents, g_bytes_get_data (srv.body, NULL), len) == 0);
}

/* ---- tests ----------------------------------------------------------- */

static void
test_fetch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *iso = in_dir (f, "test-1.0.iso");
  g_autofree char *rec = in_dir (f, "test-1.0.iso.sha256");
  g_autofree char *part = in_dir (f, "test-1.0.iso.part");
  g_autofree char *text = NULL;

  g_assert_false (lab_iso_is_verified (iso, srv.sha256));
  g_assert_true (lab_iso_fetch (&f->entry, f->dir, NULL, progress, f, NULL, &error));
  g_assert_no_error (error);
  assert_file_is_body (iso);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (rec, &text, NULL, NULL));
  /* sha256sum's format */
  g_assert_true (g_str_has_prefix (text, srv.sha256));
  g_assert_cmpstr (text + 64, ==, "  test-1.0.iso\n");
  g_assert_true (lab_iso_is_verified (iso, srv.sha256));
  g_assert_cmpuint (f->progress_calls, >=, 1);
  g_assert_cmpuint (f->progress_last, ==, BODY_SIZE);
  /* a verified file is not fetched again */
  g_assert_true (lab_iso_fetch (&f->entry, f->dir, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpuint (srv.requests, ==, 1);
}

static void
test_resume (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *iso = in_dir (f, "test-1.0.iso");
  g_autofree char *part = in_dir (f, "test-1.0.iso.part");
  struct stat st;

  srv.cut_next = TRUE;
  g_assert_false (lab_iso_fetch (&f->entry, f->dir, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FAILED);
  g_test_message ("cut: %s", error->message);
  g_assert_nonnull (strstr (error->message, "broke off"));
  g_assert_nonnull (strstr (error->message, "labctl iso fetch test-1.0"));
  g_clear_error (&error);
  g_assert_false (g_file_test (iso, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (part, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, BODY_SIZE / 2);

  g_assert_true (lab_iso_fetch (&f->entry, f->dir, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* the second request asked for the rest only */
  g_assert_cmpint (srv.last_range_start, ==, BODY_SIZE / 2);
  g_assert_cmpuint (srv.requests, ==, 2);
  assert_file_is_body (iso);
  g_assert_true (lab_iso_is_verified (iso, srv.sha256));
}

static void
test_bad_checksum (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *iso = in_dir (f, "test-1.0.iso");
  g_autofree char *part = in_dir (f, "test-1.0.iso.part");
  g_autofree char *rec = in_dir (f, "test-1.0.iso.sha256");

  srv.corrupt = TRUE;
  g_assert_false (lab_iso_fetch (&f->entry, f->dir, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, srv.sha256));
  g_assert_nonnull (strstr (error->message, "not used"));
  /* nothing that could be used is left */
  g_assert_false (g_file_test (iso, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (rec, G_FILE_TEST_EXISTS));
  g_assert_false (lab_iso_is_verified (iso, srv.sha256));
}

static void
test_full_disk (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *iso = in_dir (f, "test-1.0.iso");

  srv.huge_next = TRUE;
  g_assert_false (lab_iso_fetch (&f->entry, f->dir, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NO_SPACE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "1.0 PiB more"));
  g_assert_nonnull (strstr (error->message, f->dir));
  g_assert_false (g_file_test (iso, G_FILE_TEST_EXISTS));
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/iso/gone.iso", srv.port);

  g_assert_false (lab_iso_fetch (&f->entry, f->dir, url, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_nonnull (strstr (error->message, "404"));
}

static void
test_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;

  /* a port that was free a moment ago and has no listener */
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/iso/test-1.0.iso",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (sock, NULL);
  g_assert_false (lab_iso_fetch (&f->entry, f->dir, url, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "labctl iso add PATH/test-1.0.iso"));
  g_assert_nonnull (strstr (error->message, "--mirror"));
}

static GPtrArray *
catalogue (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = in_dir (f, "isos.ini");
  g_autofree char *text = g_strdup_printf ("[test-1.0]\nproduct = Test\nversion = 1.0\nfile = test-1.0.iso\n"
                                           "url = %s\nsha256 = %s\nosinfo = http://example.org/test/1\n",
                                           f->url, srv.sha256);
  GPtrArray *cat;

  lab_test_write_file (f->dir, "isos.ini", text, -1);
  cat = lab_iso_catalogue_load (path, &error);
  g_assert_no_error (error);
  return cat;
}

static void
test_add_remove (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cat = catalogue (f);
  g_autofree char *src_dir = in_dir (f, "src");
  g_autofree char *cache = in_dir (f, "cache");
  g_autofree char *mine = g_build_filename (src_dir, "download.iso", NULL);
  g_autofree char *other = g_build_filename (src_dir, "other.iso", NULL);
  g_autofree char *other_sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "other", -1);
  g_autofree char *cached = g_build_filename (cache, "test-1.0.iso", NULL);
  g_autofree char *prepared = g_build_filename (cache, "test-1.0-auto-from-partition.iso", NULL);
  g_autoptr(LabIsoEntry) added = NULL;
  LabIsoEntry *e;
  guint removed = 0;

  g_assert_cmpuint (cat->len, ==, 1);
  e = lab_iso_catalogue_find (cat, "test-1.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->osinfo, ==, "http://example.org/test/1");
  g_assert_null (lab_iso_catalogue_find (cat, "nope", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "known: test-1.0"));
  g_clear_error (&error);

  g_mkdir (src_dir, 0755);
  g_assert_true (g_file_set_contents (mine, g_bytes_get_data (srv.body, NULL), BODY_SIZE, NULL));
  lab_test_write_file (src_dir, "other.iso", "other", -1);
  /* a file with the catalogue's sum: under the catalogue's name */
  g_assert_true (lab_iso_add (cat, mine, NULL, cache, &added, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (added->name, ==, "test-1.0");
  assert_file_is_body (cached);
  g_assert_true (lab_iso_is_verified (cached, srv.sha256));
  /* unknown file, no --sha256: refused, saying what to do */
  g_assert_false (lab_iso_add (cat, other, NULL, cache, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  g_assert_nonnull (strstr (error->message, "--sha256"));
  g_clear_error (&error);
  /* a wrong --sha256: refused, nothing added */
  g_assert_false (lab_iso_add (cat, other, srv.sha256, cache, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  g_clear_error (&error);
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS) && g_file_test (cached, G_FILE_TEST_EXISTS)
                  && g_file_test (prepared, G_FILE_TEST_EXISTS));
  {
    g_autofree char *o = g_build_filename (cache, "other.iso", NULL);
    g_assert_false (g_file_test (o, G_FILE_TEST_EXISTS));
    /* the right one: accepted under its own name */
    g_clear_pointer (&added, lab_iso_entry_free);
    g_assert_true (lab_iso_add (cat, other, other_sum, cache, &added, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (added->name, ==, "other");
    g_assert_true (lab_iso_is_verified (o, other_sum));
  }
  /* remove takes the ISO, its record and what was prepared from it */
  lab_test_write_file (cache, "test-1.0-auto-from-partition.iso", "prepared", -1);
  g_assert_true (lab_iso_remove (e, cache, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 3);
  g_assert_false (g_file_test (cached, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (prepared, G_FILE_TEST_EXISTS));
}

/* `labctl iso` through the built binary: fetch from the local server with
 * --url, list --json, verify, a damaged file found by verify, remove. */
static void
test_cli (Fixture *f, gconstpointer data)
{
  g_autofree char *env_dir = g_strdup_printf ("LABCTL_ISO_DIR=%s", f->dir);
  const char *env[] = { env_dir, NULL };
  g_autofree char *src = g_build_filename (f->dir, "mine.iso", NULL);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "my own iso", -1);
  g_auto(LabTestRun) list = { 0 };
  g_auto(LabTestRun) add = { 0 };
  g_auto(LabTestRun) verify = { 0 };
  g_auto(LabTestRun) damaged = { 0 };
  g_auto(LabTestRun) rm = { 0 };
  g_auto(LabTestRun) fetch = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *cached = g_build_filename (f->dir, "mine.iso", NULL);
  JsonArray *isos;
  gboolean found = FALSE;

  lab_test_write_file (f->dir, "src/mine.iso", "my own iso", -1);
  g_free (src);
  src = g_build_filename (f->dir, "src", "mine.iso", NULL);
  g_assert_true (lab_test_run_labctl_env (&add, env, "iso", "add", src, "--sha256", sum, NULL));
  g_assert_cmpint (add.status, ==, 0);
  g_assert_nonnull (strstr (add.out, "as mine"));
  g_assert_true (lab_test_run_labctl_env (&list, env, "iso", "list", "--json", NULL));
  g_assert_cmpint (list.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, list.out, -1, NULL));
  isos = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "isos");
  for (guint i = 0; i < json_array_get_length (isos); i++)
    {
      JsonObject *o = json_array_get_object_element (isos, i);
      if (g_str_equal (json_object_get_string_member (o, "name"), "proxmox-ve-9.2"))
        {
          g_assert_cmpstr (json_object_get_string_member (o, "sha256"), ==,
                           "4e88fe416df9b527624a175f24c9aa07c714d3332afb1ee3dbf3879573ef2c6c");
          g_assert_false (json_object_get_boolean_member (o, "cached"));
        }
      if (g_str_equal (json_object_get_string_member (o, "name"), "mine"))
        {
          found = TRUE;
          g_assert_true (json_object_get_boolean_member (o, "verified"));
        }
    }
  g_assert_true (found);
  g_assert_true (lab_test_run_labctl_env (&verify, env, "iso", "verify", NULL));
  g_assert_cmpint (verify.status, ==, 0);
  g_assert_nonnull (strstr (verify.out, "mine: OK"));
  /* a file changed behind labctl's back */
  lab_test_write_file (f->dir, "mine.iso", "changed", -1);
  g_assert_true (lab_test_run_labctl_env (&damaged, env, "iso", "verify", "mine", NULL));
  g_assert_cmpint (damaged.status, ==, 1);
  g_assert_nonnull (strstr (damaged.err, "Damaged in the ISO cache: mine"));
  g_assert_true (lab_test_run_labctl_env (&rm, env, "iso", "remove", "mine", NULL));
  g_assert_cmpint (rm.status, ==, 0);
  g_assert_false (g_file_test (cached, G_FILE_TEST_EXISTS));
  /* a catalogue name from another URL: the sum is the catalogue's, so the
   * test server's file is refused and nothing is left */
  g_assert_true (lab_test_run_labctl_env (&fetch, env, "iso", "fetch", "proxmox-ve-8.4", "--url", f->url, NULL));
  g_assert_cmpint (fetch.status, ==, 1);
  g_assert_nonnull (strstr (fetch.err, "is not the expected file"));
  g_assert_nonnull (strstr (fetch.err, "d237d70ca48a9f6eb47f95fd4fd337722c3f69f8106393844d027d28c26523d8"));
}

static void
test_progress_line (void)
{
  g_autofree char *a = lab_iso_progress_line (512 * 1024 * 1024ull, 2048 * 1024 * 1024ull, 16 * 1024 * 1024.0);
  g_autofree char *b = lab_iso_format_eta (3725);

  g_assert_cmpstr (a, ==, "512.0 MiB of 2.0 GiB (25%), 16.0 MiB/s, 1 min 36 s left");
  g_assert_cmpstr (b, ==, "1 h 2 min");
}

int
main (int argc, char **argv)
{
  int ret;

  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  server_start ();
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/iso/fetch", test_fetch);
  ADD ("/iso/resume-after-cut", test_resume);
  ADD ("/iso/wrong-checksum", test_bad_checksum);
  ADD ("/iso/full-disk", test_full_disk);
  ADD ("/iso/not-found", test_not_found);
  ADD ("/iso/offline", test_offline);
  ADD ("/iso/add-remove", test_add_remove);
  ADD ("/iso/cli", test_cli);
  g_test_add_func ("/iso/progress-line", test_progress_line);
  ret = g_test_run ();
  server_stop ();
  return ret;
}

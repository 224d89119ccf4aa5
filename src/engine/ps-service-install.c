/* ps-service-install.c — installs, removes and reports a profile's background service
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * systemd's D-Bus API (org.freedesktop.systemd1.Manager) is what `systemctl
 * --user` uses: Reload is daemon-reload, EnableUnitFiles/DisableUnitFiles
 * are enable/disable, StartUnit/StopUnit queue a job whose end shows as the
 * unit's Job property going back to 0. Linger is logind's SetUserLinger, as
 * `loginctl enable-linger` does.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-scheduler.h"
#include "ps-service-install.h"

#define SYSTEMD_NAME      "org.freedesktop.systemd1"
#define SYSTEMD_PATH      "/org/freedesktop/systemd1"
#define MANAGER_IFACE     "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE        "org.freedesktop.systemd1.Unit"
#define SERVICE_IFACE     "org.freedesktop.systemd1.Service"
#define LOGIN_NAME        "org.freedesktop.login1"
#define LOGIN_PATH        "/org/freedesktop/login1"
#define LOGIN_IFACE       "org.freedesktop.login1.Manager"
#define LOGIN_USER_IFACE  "org.freedesktop.login1.User"
#define PROPERTIES_IFACE  "org.freedesktop.DBus.Properties"
#define LINGER_DIR        "/var/lib/systemd/linger"

/* The first line of every unit file Install writes: Remove deletes a file
 * only when it still starts with it. */
#define UNIT_MARKER "# Written by PandaSync (Install background service)."

#define CALL_TIMEOUT_MS       25000
#define JOB_TIMEOUT_SECONDS   150     /* the unit's TimeoutStopSec=2min, and a little */
#define SETTLE_SECONDS        5       /* after a start: until the service holds its lock */
#define POLL_INTERVAL_US      (100 * 1000)
#define PING_TIMEOUT_MS       500
#define PING_TRIES            10

/* A connection to the user's systemd: on a bus (destination set) or on its
 * private socket (no bus, no destination). */
typedef struct {
  GDBusConnection *connection;
  const char      *destination;
} Manager;

/* What systemd says about one unit. */
typedef struct {
  char *path;
  char *load_state;
  char *active_state;
  char *sub_state;
  char *unit_file_state;
  char *fragment_path;
  char *result;
  char *exec_program;   /* the program of the first ExecStart */
  int   exit_status;
} UnitInfo;

/* What Install changed, so that Remove undoes exactly that. */
typedef struct {
  char     *unit;
  char     *unit_file;   /* written by Install, or NULL (the installed template) */
  char     *program;
  gboolean  enabled;     /* Install enabled the unit */
  gboolean  linger;      /* Install turned linger on */
} Receipt;

G_DEFINE_QUARK (ps-service-error-quark, ps_service_error)

/* ---------------------------------------------------------------- helpers */

static void
manager_clear (Manager *m)
{
  g_clear_object (&m->connection);
  m->destination = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Manager, manager_clear)

static void
unit_info_free (UnitInfo *info)
{
  g_free (info->path);
  g_free (info->load_state);
  g_free (info->active_state);
  g_free (info->sub_state);
  g_free (info->unit_file_state);
  g_free (info->fragment_path);
  g_free (info->result);
  g_free (info->exec_program);
  g_free (info);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnitInfo, unit_info_free)

static void
receipt_free (Receipt *receipt)
{
  g_free (receipt->unit);
  g_free (receipt->unit_file);
  g_free (receipt->program);
  g_free (receipt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Receipt, receipt_free)

/* Every D-Bus error of systemd or logind becomes a PS_SERVICE_ERROR here:
 * @what_failed (translated, "systemd could not start …"), then the reason in
 * plain words. The raw error goes to g_debug. */
static GError *
error_from_dbus (const GError *error,
                 const char   *what_failed)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  g_autoptr(GError) copy = g_error_copy (error);
  PsServiceError code = PS_SERVICE_ERROR_FAILED;
  g_autofree char *reason = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  g_dbus_error_strip_remote_error (copy);
  g_debug ("%s: %s (%s)", what_failed, copy->message, remote != NULL ? remote : "no D-Bus error name");

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_AUTH_FAILED)
      || g_strcmp0 (remote, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") == 0)
    reason = g_strdup (_("you are not allowed to do that"));
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      code = PS_SERVICE_ERROR_UNAVAILABLE;
      reason = g_strdup (_("the service that would do it does not run on this machine"));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT))
    reason = g_strdup (_("it did not answer in time"));
  else if (g_strcmp0 (remote, "org.freedesktop.systemd1.NoSuchUnit") == 0
           || g_strcmp0 (remote, "org.freedesktop.DBus.Error.FileNotFound") == 0)
    reason = g_strdup (_("systemd does not know the unit (its file is missing)"));
  else if (g_strcmp0 (remote, "org.freedesktop.systemd1.UnitMasked") == 0)
    reason = g_strdup (_("the unit is masked (“systemctl --user unmask” undoes that)"));
  else
    reason = g_strdup (copy->message);
  return g_error_new (PS_SERVICE_ERROR, code, "%s: %s", what_failed, reason);
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
name_has_owner (GDBusConnection *bus,
                const char      *name,
                GCancellable    *cancellable)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, cancellable, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* A session bus is there to ask (without starting one: GLib would try
 * dbus-launch when neither the variable nor the user bus socket exists). */
static gboolean
session_bus_reachable (void)
{
  const char *runtime = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *socket = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL)
    return TRUE;
  if (runtime == NULL || *runtime == '\0')
    return FALSE;
  socket = g_build_filename (runtime, "bus", NULL);
  return g_file_test (socket, G_FILE_TEST_EXISTS);
}

/* On a fresh connection to the manager's private socket, systemd now and
 * then drops the first message that follows the authentication (the call
 * then waits out its whole timeout). A Ping that goes astray costs half a
 * second; once one is answered, the connection carries every call. */
static gboolean
prime_private_connection (GDBusConnection  *connection,
                          GCancellable     *cancellable,
                          GError          **error)
{
  g_autoptr(GError) local = NULL;

  for (guint i = 0; i < PING_TRIES; i++)
    {
      g_autoptr(GVariant) reply = NULL;

      g_clear_error (&local);
      reply = g_dbus_connection_call_sync (connection, NULL, SYSTEMD_PATH, "org.freedesktop.DBus.Peer",
                                           "Ping", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                           PING_TIMEOUT_MS, cancellable, &local);
      if (reply != NULL)
        return TRUE;
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        break;
      g_debug ("systemd did not answer a Ping on its private socket; asking again");
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* The user's systemd: on the session bus when it is the user bus (as on a
 * desktop with dbus-user-session), otherwise on the manager's private
 * socket, as systemctl --user does. */
static gboolean
manager_connect (Manager       *m,
                 GCancellable  *cancellable,
                 GError       **error)
{
  const char *runtime = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *socket = NULL;
  g_autoptr(GError) local = NULL;

  if (session_bus_reachable ())
    {
      g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &local);

      if (bus != NULL && name_has_owner (bus, SYSTEMD_NAME, cancellable))
        {
          g_debug ("Talking to systemd’s user manager on the session bus");
          m->connection = g_steal_pointer (&bus);
          m->destination = SYSTEMD_NAME;
          return TRUE;
        }
      if (local != NULL)
        g_debug ("No session bus: %s", local->message);
      g_clear_error (&local);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (runtime == NULL || *runtime == '\0')
    {
      g_set_error_literal (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_UNAVAILABLE,
                           _("No systemd user manager can be reached: XDG_RUNTIME_DIR is not set "
                             "(a sudo or su shell, or not logged in on this machine?)"));
      return FALSE;
    }
  socket = g_build_filename (runtime, "systemd", "private", NULL);
  if (g_file_test (socket, G_FILE_TEST_EXISTS))
    {
      g_autofree char *escaped = g_dbus_address_escape_value (socket);
      g_autofree char *address = g_strconcat ("unix:path=", escaped, NULL);

      m->connection = g_dbus_connection_new_for_address_sync (address,
                                                              G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                              NULL, cancellable, &local);
      if (m->connection != NULL && !prime_private_connection (m->connection, cancellable, &local))
        g_clear_object (&m->connection);
      if (m->connection != NULL)
        {
          g_debug ("Talking to systemd’s user manager on its private socket %s", socket);
          m->destination = NULL;
          return TRUE;
        }
      if (is_cancelled (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_UNAVAILABLE,
                   _("systemd’s user manager does not answer on %s: %s"), socket, local->message);
      return FALSE;
    }
  g_set_error_literal (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_UNAVAILABLE,
                       _("No systemd user manager runs for you here, so there is no background "
                         "service to install. Without systemd, cron can run the schedule: "
                         "“pandasync-cli service --once --all”."));
  return FALSE;
}

static GVariant *
manager_call (Manager             *m,
              const char          *path,
              const char          *interface,
              const char          *method,
              GVariant            *parameters,
              const GVariantType  *reply_type,
              GCancellable        *cancellable,
              GError             **error)
{
  return g_dbus_connection_call_sync (m->connection, m->destination, path, interface, method,
                                      parameters, reply_type, G_DBUS_CALL_FLAGS_NONE,
                                      CALL_TIMEOUT_MS, cancellable, error);
}

/* daemon-reload: systemd reads the unit files again. */
static gboolean
manager_reload (Manager       *m,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local = NULL;

  reply = manager_call (m, SYSTEMD_PATH, MANAGER_IFACE, "Reload", NULL, NULL, cancellable, &local);
  if (reply == NULL)
    {
      g_propagate_error (error, error_from_dbus (local, _("systemd could not reload its unit files")));
      return FALSE;
    }
  return TRUE;
}

static char *
lookup_string (GVariant   *dict,
               const char *name)
{
  char *value = NULL;

  if (!g_variant_lookup (dict, name, "s", &value))
    return NULL;
  if (*value == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static GVariant *
get_all (Manager       *m,
         const char    *path,
         const char    *interface,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *dict = NULL;

  reply = manager_call (m, path, PROPERTIES_IFACE, "GetAll", g_variant_new ("(s)", interface),
                        G_VARIANT_TYPE ("(a{sv})"), cancellable, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@a{sv})", &dict);
  return dict;
}

static UnitInfo *
read_unit (Manager       *m,
           const char    *unit,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(UnitInfo) info = g_new0 (UnitInfo, 1);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) service = NULL;
  g_autoptr(GVariant) exec = NULL;
  g_autoptr(GError) local = NULL;

  reply = manager_call (m, SYSTEMD_PATH, MANAGER_IFACE, "LoadUnit", g_variant_new ("(s)", unit),
                        G_VARIANT_TYPE ("(o)"), cancellable, &local);
  if (reply != NULL)
    {
      g_variant_get (reply, "(o)", &info->path);
      props = get_all (m, info->path, UNIT_IFACE, cancellable, &local);
    }
  if (props == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("systemd could not tell the state of %s"), unit);

      g_propagate_error (error, error_from_dbus (local, what));
      return NULL;
    }
  info->load_state = lookup_string (props, "LoadState");
  info->active_state = lookup_string (props, "ActiveState");
  info->sub_state = lookup_string (props, "SubState");
  info->unit_file_state = lookup_string (props, "UnitFileState");
  info->fragment_path = lookup_string (props, "FragmentPath");

  /* The service's side: how it ended, and what it runs. */
  service = get_all (m, info->path, SERVICE_IFACE, cancellable, &local);
  if (service == NULL)
    {
      if (is_cancelled (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      g_debug ("No service properties for %s: %s", unit, local->message);
      return g_steal_pointer (&info);
    }
  info->result = lookup_string (service, "Result");
  g_variant_lookup (service, "ExecMainStatus", "i", &info->exit_status);
  exec = g_variant_lookup_value (service, "ExecStart", G_VARIANT_TYPE ("a(sasbttttuii)"));
  if (exec != NULL && g_variant_n_children (exec) > 0)
    {
      g_autoptr(GVariant) first = g_variant_get_child_value (exec, 0);
      g_autoptr(GVariant) program = g_variant_get_child_value (first, 0);

      info->exec_program = g_variant_dup_string (program, NULL);
    }
  return g_steal_pointer (&info);
}

/* Waits until the unit has no job queued (the start or stop is done). */
static gboolean
wait_for_job (Manager       *m,
              const char    *unit_path,
              const char    *what,
              GCancellable  *cancellable,
              GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + JOB_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GError) local = NULL;
      guint32 id = 0;

      reply = manager_call (m, unit_path, PROPERTIES_IFACE, "Get",
                            g_variant_new ("(ss)", UNIT_IFACE, "Job"), G_VARIANT_TYPE ("(v)"),
                            cancellable, &local);
      if (reply == NULL)
        {
          g_propagate_error (error, error_from_dbus (local, what));
          return FALSE;
        }
      g_variant_get (reply, "(v)", &value);
      if (g_variant_is_of_type (value, G_VARIANT_TYPE ("(uo)")))
        g_variant_get (value, "(u&o)", &id, NULL);
      if (id == 0)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_FAILED,
                       _("%s: systemd did not finish within %d seconds"), what, JOB_TIMEOUT_SECONDS);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (POLL_INTERVAL_US);
    }
}

static gboolean
unit_file_state_is_enabled (const char *state)
{
  return state != NULL
         && (g_str_has_prefix (state, "enabled") || g_str_has_prefix (state, "linked")
             || g_str_equal (state, "alias"));
}

static PsServiceState
state_from_unit (const UnitInfo *info,
                 gboolean        installed)
{
  const char *active = info->active_state != NULL ? info->active_state : "inactive";

  if (g_str_equal (active, "active") || g_str_equal (active, "reloading"))
    return PS_SERVICE_ACTIVE;
  if (g_str_equal (active, "activating"))
    return g_strcmp0 (info->sub_state, "auto-restart") == 0 ? PS_SERVICE_FAILED : PS_SERVICE_STARTING;
  if (g_str_equal (active, "failed"))
    return PS_SERVICE_FAILED;
  return installed ? PS_SERVICE_INACTIVE : PS_SERVICE_NOT_INSTALLED;
}

/* ---- linger */

/* Whether the user's manager runs with nobody logged in: logind's word, or
 * (without logind) the file it keeps for it. */
static PsLinger
query_linger (GCancellable *cancellable)
{
  g_autoptr(GDBusConnection) system = g_bus_get_sync (G_BUS_TYPE_SYSTEM, cancellable, NULL);
  g_autofree char *file = g_build_filename (LINGER_DIR, g_get_user_name (), NULL);

  if (system != NULL)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) linger = NULL;
      const char *path = NULL;
      gboolean on = FALSE;

      reply = g_dbus_connection_call_sync (system, LOGIN_NAME, LOGIN_PATH, LOGIN_IFACE, "GetUser",
                                           g_variant_new ("(u)", (guint32) getuid ()),
                                           G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                           cancellable, NULL);
      if (reply != NULL)
        {
          g_autoptr(GVariant) answer = NULL;

          g_variant_get (reply, "(&o)", &path);
          answer = g_dbus_connection_call_sync (system, LOGIN_NAME, path, PROPERTIES_IFACE, "Get",
                                                g_variant_new ("(ss)", LOGIN_USER_IFACE, "Linger"),
                                                G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                                cancellable, NULL);
          if (answer != NULL)
            {
              g_variant_get (answer, "(v)", &linger);
              if (g_variant_is_of_type (linger, G_VARIANT_TYPE_BOOLEAN))
                {
                  on = g_variant_get_boolean (linger);
                  return on ? PS_LINGER_ON : PS_LINGER_OFF;
                }
            }
        }
    }
  return g_file_test (file, G_FILE_TEST_EXISTS) ? PS_LINGER_ON : PS_LINGER_OFF;
}

static gboolean
set_linger (gboolean       enable,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GDBusConnection) system = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local = NULL;
  const char *what = enable ? _("systemd-logind could not let your services run with nobody logged in")
                            : _("systemd-logind could not turn linger off");

  system = g_bus_get_sync (G_BUS_TYPE_SYSTEM, cancellable, &local);
  if (system != NULL)
    reply = g_dbus_connection_call_sync (system, LOGIN_NAME, LOGIN_PATH, LOGIN_IFACE, "SetUserLinger",
                                         g_variant_new ("(ubb)", (guint32) getuid (), enable, TRUE),
                                         NULL, G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                         CALL_TIMEOUT_MS, cancellable, &local);
  if (reply == NULL)
    {
      g_propagate_error (error, error_from_dbus (local, what));
      return FALSE;
    }
  return TRUE;
}

/* ---- receipts */

static char *
receipt_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "pandasync", "services", NULL);
}

static char *
receipt_path (const char *profile_name)
{
  g_autofree char *dir = receipt_dir ();
  g_autofree char *file = g_strconcat (profile_name, ".ini", NULL);

  return g_build_filename (dir, file, NULL);
}

static Receipt *
receipt_load (const char *profile_name)
{
  g_autofree char *path = receipt_path (profile_name);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  Receipt *receipt;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s: %s", path, error->message);
      return NULL;
    }
  receipt = g_new0 (Receipt, 1);
  receipt->unit = g_key_file_get_string (kf, "Service", "Unit", NULL);
  receipt->unit_file = g_key_file_get_string (kf, "Service", "UnitFile", NULL);
  receipt->program = g_key_file_get_string (kf, "Service", "Program", NULL);
  receipt->enabled = g_key_file_get_boolean (kf, "Service", "Enabled", NULL);
  receipt->linger = g_key_file_get_boolean (kf, "Service", "Linger", NULL);
  if (receipt->unit_file != NULL && *receipt->unit_file == '\0')
    g_clear_pointer (&receipt->unit_file, g_free);
  return receipt;
}

static gboolean
receipt_save (const char     *profile_name,
              const Receipt  *receipt,
              GError        **error)
{
  g_autofree char *dir = receipt_dir ();
  g_autofree char *path = receipt_path (profile_name);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize length = 0;

  g_key_file_set_comment (kf, NULL, NULL,
                          " What “Install background service” changed; Remove undoes exactly this.",
                          NULL);
  g_key_file_set_string (kf, "Service", "Unit", receipt->unit);
  g_key_file_set_string (kf, "Service", "UnitFile", receipt->unit_file != NULL ? receipt->unit_file : "");
  g_key_file_set_string (kf, "Service", "Program", receipt->program != NULL ? receipt->program : "");
  g_key_file_set_boolean (kf, "Service", "Enabled", receipt->enabled);
  g_key_file_set_boolean (kf, "Service", "Linger", receipt->linger);
  data = g_key_file_to_data (kf, &length, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* The receipt of another profile's service, or NULL. */
static char *
other_receipt (const char *profile_name)
{
  g_autofree char *dir = receipt_dir ();
  g_autofree char *own = g_strconcat (profile_name, ".ini", NULL);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
    {
      if (g_str_has_suffix (entry, ".ini") && !g_str_equal (entry, own))
        return g_strndup (entry, strlen (entry) - strlen (".ini"));
    }
  return NULL;
}

/* ---- unit files */

static char *
user_unit_path (const char *unit)
{
  return g_build_filename (g_get_user_config_dir (), "systemd", "user", unit, NULL);
}

static gboolean
unit_file_is_ours (const char *path)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL)
         && g_str_has_prefix (contents, UNIT_MARKER);
}

static gboolean
same_file (const char *a,
           const char *b)
{
  g_autofree char *real_a = NULL;
  g_autofree char *real_b = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  real_a = realpath (a, NULL);
  real_b = realpath (b, NULL);
  return g_strcmp0 (real_a != NULL ? real_a : a, real_b != NULL ? real_b : b) == 0;
}

/* One word of ExecStart=: as it is when it is plain, otherwise in double
 * quotes; '%' doubled, as systemd expands specifiers in every word, and '$'
 * doubled in the arguments (not in the program: systemd expands variables
 * only there). */
static gboolean
append_exec_argument (GString     *line,
                      const char  *argument,
                      GError     **error)
{
  gboolean program = line->len == 0;
  gboolean plain = *argument != '\0';

  for (const char *p = argument; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_FAILED,
                       _("“%s” cannot go into a systemd unit: it holds a control character "
                         "(a line break?)"), argument);
          return FALSE;
        }
      if (!g_ascii_isalnum (*p) && strchr ("/._-+:,=@", *p) == NULL)
        plain = FALSE;
    }
  if (line->len > 0)
    g_string_append_c (line, ' ');
  if (!plain)
    g_string_append_c (line, '"');
  for (const char *p = argument; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '%':
          g_string_append (line, "%%");
          break;
        case '$':
          g_string_append (line, program ? "$" : "$$");
          break;
        case '"':
        case '\\':
          g_string_append_c (line, '\\');
          g_string_append_c (line, *p);
          break;
        default:
          g_string_append_c (line, *p);
          break;
        }
    }
  if (!plain)
    g_string_append_c (line, '"');
  return TRUE;
}

/* The installed template runs this very program, and the profile is where
 * `--profile NAME` finds it. */
static gboolean
template_fits (const UnitInfo *info,
               const char     *program,
               const char     *profile_path,
               const char     *standard_path)
{
  if (g_strcmp0 (info->load_state, "loaded") != 0 || info->exec_program == NULL)
    return FALSE;
  return same_file (profile_path, standard_path) && same_file (info->exec_program, program);
}

static PsRunInfo *
read_last_run (PsProfile *profile)
{
  g_autofree char *path = ps_profile_dup_state_path (profile);
  g_autoptr(PsState) state = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;

  /* No state file yet: it never ran (and opening would create one). */
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  state = ps_state_open (path, &error);
  if (state != NULL)
    runs = ps_state_list_runs (state, 50, &error);
  if (runs == NULL)
    {
      g_debug ("Cannot read the run history %s: %s", path, error->message);
      return NULL;
    }
  for (guint i = 0; i < runs->len; i++)
    {
      PsRunInfo *info = g_ptr_array_index (runs, i);

      if (!info->dry_run)
        return g_ptr_array_steal_index (runs, i);
    }
  return NULL;
}

/* After a start: until the service holds the profile's service lock (it
 * loaded the profile and runs), or systemd says it failed. */
static void
wait_until_settled (Manager      *m,
                    PsProfile    *profile,
                    const char   *unit,
                    GCancellable *cancellable)
{
  gint64 deadline = g_get_monotonic_time () + SETTLE_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline && !g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(UnitInfo) info = NULL;
      PsServiceState state;

      if (ps_scheduler_service_is_active (profile))
        return;
      info = read_unit (m, unit, cancellable, NULL);
      if (info == NULL)
        return;
      state = state_from_unit (info, TRUE);
      if (state == PS_SERVICE_FAILED || state == PS_SERVICE_INACTIVE)
        return;
      g_usleep (POLL_INTERVAL_US);
    }
}

static const char *
failure_words (const char *result,
               int         exit_status,
               char      **owned)
{
  if (g_strcmp0 (result, "exit-code") == 0)
    {
      if (exit_status == 203)   /* systemd's EXIT_EXEC */
        return _("its program could not be started");
      *owned = g_strdup_printf (_("it exited with status %d"), exit_status);
      return *owned;
    }
  if (g_strcmp0 (result, "signal") == 0 || g_strcmp0 (result, "core-dump") == 0)
    return _("it was killed by a signal");
  if (g_strcmp0 (result, "timeout") == 0)
    return _("it did not start or stop in time");
  if (g_strcmp0 (result, "start-limit-hit") == 0)
    return _("it failed too often in a row, so systemd stopped restarting it");
  if (g_strcmp0 (result, "resources") == 0)
    return _("systemd could not prepare what it needs (a missing file or folder?)");
  *owned = g_strdup_printf (_("systemd reports “%s”"), result != NULL ? result : "?");
  return *owned;
}

/* ---------------------------------------------------------------- public API */

void
ps_service_status_free (PsServiceStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->profile);
  g_free (status->unit);
  g_free (status->unavailable);
  g_free (status->active_state);
  g_free (status->sub_state);
  g_free (status->unit_file_state);
  g_free (status->fragment_path);
  g_free (status->result);
  g_free (status->written_unit);
  g_free (status->note);
  g_clear_pointer (&status->last_run, ps_run_info_free);
  g_free (status);
}

const char *
ps_service_state_to_string (PsServiceState state)
{
  switch (state)
    {
    case PS_SERVICE_UNAVAILABLE:
      return "unavailable";
    case PS_SERVICE_NOT_INSTALLED:
      return "not-installed";
    case PS_SERVICE_INACTIVE:
      return "inactive";
    case PS_SERVICE_STARTING:
      return "starting";
    case PS_SERVICE_ACTIVE:
      return "active";
    case PS_SERVICE_FAILED:
      return "failed";
    default:
      return "unknown";
    }
}

char *
ps_service_status_describe (const PsServiceStatus *status)
{
  g_autofree char *owned = NULL;
  const char *words;

  g_return_val_if_fail (status != NULL, NULL);

  switch (status->state)
    {
    case PS_SERVICE_UNAVAILABLE:
      if (status->lock_held)
        return g_strdup (_("Running (started outside systemd)"));
      return g_strdup_printf (_("Cannot be checked: %s"), status->unavailable);
    case PS_SERVICE_NOT_INSTALLED:
      if (status->lock_held)
        return g_strdup (_("Not installed, but a “pandasync-cli service” started by hand runs the profile"));
      return g_strdup (_("Not installed"));
    case PS_SERVICE_INACTIVE:
      return g_strdup (_("Installed, not running"));
    case PS_SERVICE_STARTING:
      return g_strdup (_("Starting…"));
    case PS_SERVICE_ACTIVE:
      return g_strdup (_("Active (running)"));
    case PS_SERVICE_FAILED:
      words = failure_words (status->result, status->exit_status, &owned);
      if (g_strcmp0 (status->sub_state, "auto-restart") == 0)
        /* Translators: the reason, then the unit, e.g. "it exited with status 1", "pandasync@acme.service" */
        return g_strdup_printf (_("Failed: %s; systemd tries again shortly. “journalctl --user -u %s” shows why."),
                                words, status->unit);
      /* Translators: the reason, then the unit, e.g. "it exited with status 1", "pandasync@acme.service" */
      return g_strdup_printf (_("Failed: %s. “journalctl --user -u %s” shows why."), words, status->unit);
    default:
      return g_strdup ("?");
    }
}

gboolean
ps_service_status_runs_schedule (const PsServiceStatus *status)
{
  g_return_val_if_fail (status != NULL, FALSE);
  return status->state == PS_SERVICE_ACTIVE || status->state == PS_SERVICE_STARTING
         || status->lock_held;
}

char *
ps_service_unit_name (const char *profile_name)
{
  g_autoptr(GString) unit = g_string_new ("pandasync@");

  g_return_val_if_fail (profile_name != NULL, NULL);

  /* A profile name (letters, digits, '-', '_', '.') is a valid instance as
   * it is, so the template's %i gives it back unchanged; anything else (the
   * name of a profile file elsewhere) is escaped as systemd-escape does. */
  for (const char *p = profile_name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || strchr ("-_.:", *p) != NULL)
        g_string_append_c (unit, *p);
      else
        g_string_append_printf (unit, "\\x%02x", (guchar) *p);
    }
  g_string_append (unit, ".service");
  return g_string_free (g_steal_pointer (&unit), FALSE);
}

char *
ps_service_find_program (void)
{
  const char *env = g_getenv ("PANDASYNC_CLI");
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  const char *const relative[] = { "pandasync-cli", "../cli/pandasync-cli", NULL };

  if (env != NULL && *env != '\0')
    return g_file_test (env, G_FILE_TEST_IS_EXECUTABLE) ? realpath (env, NULL) : NULL;
  if (self != NULL)
    {
      base = g_path_get_basename (self);
      if (g_str_equal (base, "pandasync-cli"))
        return g_steal_pointer (&self);
      dir = g_path_get_dirname (self);
      for (guint i = 0; relative[i] != NULL; i++)
        {
          g_autofree char *candidate = g_build_filename (dir, relative[i], NULL);

          if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
            return realpath (candidate, NULL);
        }
    }
  return g_find_program_in_path ("pandasync-cli");
}

char *
ps_service_unit_contents (const char  *profile_name,
                          const char  *program,
                          const char  *profile_file,
                          GError     **error)
{
  g_autoptr(GString) exec = g_string_new (NULL);
  g_autoptr(GString) unit = g_string_new (NULL);
  g_autofree char *remove = NULL;

  g_return_val_if_fail (profile_name != NULL && program != NULL, NULL);

  if (!append_exec_argument (exec, program, error)
      || !append_exec_argument (exec, "service", error)
      || !append_exec_argument (exec, profile_file != NULL ? "--profile-file" : "--profile", error)
      || !append_exec_argument (exec, profile_file != NULL ? profile_file : profile_name, error))
    return NULL;
  remove = profile_file != NULL ? g_strdup_printf ("--profile-file %s", profile_file)
                                : g_strdup_printf ("--profile %s", profile_name);

  g_string_append (unit, UNIT_MARKER "\n");
  g_string_append_printf (unit, "# The background service of the PandaSync profile %s. Remove it with\n"
                                "# “Remove” on the app's Automation Sync page, or with\n"
                                "# pandasync-cli service remove %s\n\n", profile_name, remove);
  g_string_append (unit, "[Unit]\n");
  g_string_append_printf (unit, "Description=PandaSync: sync Active Directory into Asset Panda (profile %s)\n",
                          profile_name);
  g_string_append (unit, "Documentation=https://github.com/pandasync/pandasync#background-service\n\n");
  g_string_append (unit, "[Service]\n"
                         "Type=exec\n");
  g_string_append_printf (unit, "ExecStart=%s\n", exec->str);
  g_string_append (unit, "ExecReload=/bin/kill -HUP $MAINPID\n"
                         "TimeoutStopSec=2min\n"
                         "Restart=on-failure\n"
                         "RestartSec=30s\n"
                         "UMask=0077\n"
                         "NoNewPrivileges=yes\n\n"
                         "[Install]\n"
                         "WantedBy=default.target\n");
  return g_string_free (g_steal_pointer (&unit), FALSE);
}

PsServiceStatus *
ps_service_status_sync (PsProfile     *profile,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(PsServiceStatus) status = g_new0 (PsServiceStatus, 1);
  g_autoptr(Receipt) receipt = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(Manager) m = { 0 };

  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);

  status->profile = g_strdup (ps_profile_get_name (profile));
  status->unit = ps_service_unit_name (status->profile);
  receipt = receipt_load (status->profile);
  if (receipt != NULL)
    {
      status->by_pandasync = TRUE;
      status->written_unit = g_strdup (receipt->unit_file);
      status->linger_by_pandasync = receipt->linger;
    }
  status->lock_held = ps_scheduler_service_is_active (profile);
  status->last_run = read_last_run (profile);

  if (manager_connect (&m, cancellable, &local))
    {
      g_autoptr(UnitInfo) info = read_unit (&m, status->unit, cancellable, &local);

      if (info != NULL)
        {
          gboolean installed = receipt != NULL || unit_file_state_is_enabled (info->unit_file_state);

          status->state = state_from_unit (info, installed);
          status->active_state = g_steal_pointer (&info->active_state);
          status->sub_state = g_steal_pointer (&info->sub_state);
          status->unit_file_state = g_steal_pointer (&info->unit_file_state);
          status->fragment_path = g_steal_pointer (&info->fragment_path);
          status->result = g_steal_pointer (&info->result);
          status->exit_status = info->exit_status;
        }
    }
  if (local != NULL)
    {
      if (is_cancelled (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      status->state = PS_SERVICE_UNAVAILABLE;
      status->unavailable = g_strdup (local->message);
    }
  status->linger = query_linger (cancellable);
  return g_steal_pointer (&status);
}

PsServiceStatus *
ps_service_install_sync (PsProfile     *profile,
                         GCancellable  *cancellable,
                         GError       **error)
{
  const char *name;
  const char *path;
  g_autofree char *unit = NULL;
  g_autofree char *program = NULL;
  g_autofree char *standard = NULL;
  g_autofree char *user_unit = NULL;
  g_autofree char *note = NULL;
  g_autofree char *what = NULL;
  g_autoptr(Receipt) receipt = NULL;
  g_autoptr(UnitInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(PsServiceStatus) status = NULL;
  g_auto(Manager) m = { 0 };
  PsSchedule *schedule;
  gboolean own;

  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);

  name = ps_profile_get_name (profile);
  path = ps_profile_get_path (profile);
  schedule = ps_profile_get_schedule (profile);
  unit = ps_service_unit_name (name);
  standard = ps_profile_path_for_name (name);
  user_unit = user_unit_path (unit);

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_NOT_SAVED,
                   _("Save the profile “%s” first: the service reads it from its file."), name);
      return NULL;
    }
  if (!schedule->enabled || schedule->start == NULL)
    {
      g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_NO_SCHEDULE,
                   _("The profile “%s” has no enabled schedule, so the service would have nothing "
                     "to run. Turn on “Sync automatically” on the Automation Sync page (or set "
                     "Enabled=true in the profile’s [Schedule] group) first."), name);
      return NULL;
    }
  program = ps_service_find_program ();
  if (program == NULL)
    {
      g_set_error_literal (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_NO_PROGRAM,
                           _("pandasync-cli, the program the service runs, is neither next to this "
                             "program nor on PATH. Install PandaSync, or set PANDASYNC_CLI to it."));
      return NULL;
    }
  if (!manager_connect (&m, cancellable, error) || !manager_reload (&m, cancellable, error))
    return NULL;

  receipt = receipt_load (name);
  if (receipt == NULL)
    {
      receipt = g_new0 (Receipt, 1);
      receipt->unit = g_strdup (unit);
    }

  /* The installed template when it runs this very program for this very
   * profile file; otherwise a unit of our own. */
  if (g_file_test (user_unit, G_FILE_TEST_EXISTS))
    {
      if (!unit_file_is_ours (user_unit))
        {
          g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_FOREIGN,
                       _("%s was not written by PandaSync, so PandaSync leaves it alone. Remove it, "
                         "or manage the service with “systemctl --user”."), user_unit);
          return NULL;
        }
      own = TRUE;   /* from an earlier Install: written again for this program */
    }
  else
    {
      info = read_unit (&m, unit, cancellable, error);
      if (info == NULL)
        return NULL;
      own = !template_fits (info, program, path, standard);
      g_clear_pointer (&info, unit_info_free);
    }
  if (own)
    {
      g_autofree char *contents = ps_service_unit_contents (name, program,
                                                            same_file (path, standard) ? NULL : path,
                                                            error);
      g_autofree char *dir = g_path_get_dirname (user_unit);

      if (contents == NULL)
        return NULL;
      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
          return NULL;
        }
      if (!g_file_set_contents_full (user_unit, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        return NULL;
      g_free (receipt->unit_file);
      receipt->unit_file = g_strdup (user_unit);
      if (!manager_reload (&m, cancellable, error))
        return NULL;
    }
  g_free (receipt->program);
  receipt->program = g_strdup (program);

  info = read_unit (&m, unit, cancellable, error);
  if (info == NULL)
    return NULL;
  if (!unit_file_state_is_enabled (info->unit_file_state))
    {
      const char *units[] = { unit, NULL };

      reply = manager_call (&m, SYSTEMD_PATH, MANAGER_IFACE, "EnableUnitFiles",
                            g_variant_new ("(^asbb)", units, FALSE, FALSE),
                            G_VARIANT_TYPE ("(ba(sss))"), cancellable, &local);
      if (reply == NULL)
        {
          what = g_strdup_printf (_("systemd could not enable %s"), unit);
          g_propagate_error (error, error_from_dbus (local, what));
          /* A unit file written above is on the receipt: Remove takes it away. */
          if (receipt->unit_file != NULL)
            receipt_save (name, receipt, NULL);
          return NULL;
        }
      g_clear_pointer (&reply, g_variant_unref);
      receipt->enabled = TRUE;
      if (!manager_reload (&m, cancellable, error))
        return NULL;
    }
  /* Written before the start, so that Remove can undo whatever follows. */
  if (!receipt_save (name, receipt, error))
    return NULL;

  if (query_linger (cancellable) != PS_LINGER_ON)
    {
      if (set_linger (TRUE, cancellable, &local))
        {
          receipt->linger = TRUE;
          if (!receipt_save (name, receipt, error))
            return NULL;
        }
      else if (is_cancelled (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      else
        {
          /* Translators: the reason, then the user name */
          note = g_strdup_printf (_("The service runs only while you are logged in. %s. An "
                                    "administrator can change that with “loginctl enable-linger %s”."),
                                  local->message, g_get_user_name ());
          g_clear_error (&local);
        }
    }

  /* A unit that failed before is started afresh. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = manager_call (&m, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit", g_variant_new ("(s)", unit),
                        NULL, cancellable, NULL);
  g_clear_pointer (&reply, g_variant_unref);
  reply = manager_call (&m, SYSTEMD_PATH, MANAGER_IFACE, "StartUnit", g_variant_new ("(ss)", unit, "replace"),
                        G_VARIANT_TYPE ("(o)"), cancellable, &local);
  g_free (what);
  what = g_strdup_printf (_("systemd could not start %s"), unit);
  if (reply == NULL)
    {
      g_propagate_error (error, error_from_dbus (local, what));
      return NULL;
    }
  if (!wait_for_job (&m, info->path, what, cancellable, error))
    return NULL;
  wait_until_settled (&m, profile, unit, cancellable);

  status = ps_service_status_sync (profile, cancellable, error);
  if (status != NULL)
    status->note = g_steal_pointer (&note);
  return g_steal_pointer (&status);
}

PsServiceStatus *
ps_service_remove_sync (PsProfile     *profile,
                        GCancellable  *cancellable,
                        GError       **error)
{
  const char *name;
  g_autoptr(Receipt) receipt = NULL;
  g_autoptr(UnitInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(PsServiceStatus) status = NULL;
  g_autofree char *what = NULL;
  g_autofree char *note = NULL;
  g_autofree char *path = NULL;
  g_autofree char *other = NULL;
  g_auto(Manager) m = { 0 };

  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);

  name = ps_profile_get_name (profile);
  receipt = receipt_load (name);
  if (receipt == NULL || receipt->unit == NULL)
    {
      g_autofree char *unit = ps_service_unit_name (name);

      g_set_error (error, PS_SERVICE_ERROR, PS_SERVICE_ERROR_NOT_INSTALLED,
                   _("PandaSync did not install a background service for the profile “%s”, so it "
                     "removes nothing. A service set up by hand is removed with “systemctl --user "
                     "disable --now %s”."), name, unit);
      return NULL;
    }
  if (!manager_connect (&m, cancellable, error))
    return NULL;
  info = read_unit (&m, receipt->unit, cancellable, error);
  if (info == NULL)
    return NULL;

  what = g_strdup_printf (_("systemd could not stop %s"), receipt->unit);
  reply = manager_call (&m, SYSTEMD_PATH, MANAGER_IFACE, "StopUnit",
                        g_variant_new ("(ss)", receipt->unit, "replace"),
                        G_VARIANT_TYPE ("(o)"), cancellable, &local);
  if (reply == NULL && g_strcmp0 (info->load_state, "loaded") == 0)
    {
      g_propagate_error (error, error_from_dbus (local, what));
      return NULL;
    }
  g_clear_error (&local);
  if (reply != NULL && !wait_for_job (&m, info->path, what, cancellable, error))
    return NULL;
  g_clear_pointer (&reply, g_variant_unref);

  if (receipt->enabled)
    {
      const char *units[] = { receipt->unit, NULL };

      reply = manager_call (&m, SYSTEMD_PATH, MANAGER_IFACE, "DisableUnitFiles",
                            g_variant_new ("(^asb)", units, FALSE), G_VARIANT_TYPE ("(a(sss))"),
                            cancellable, &local);
      if (reply == NULL)
        {
          g_free (what);
          what = g_strdup_printf (_("systemd could not disable %s"), receipt->unit);
          g_propagate_error (error, error_from_dbus (local, what));
          return NULL;
        }
      g_clear_pointer (&reply, g_variant_unref);
    }
  /* Only a file that is still the one Install wrote. */
  if (receipt->unit_file != NULL && unit_file_is_ours (receipt->unit_file)
      && g_unlink (receipt->unit_file) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot remove %s: %s"), receipt->unit_file, g_strerror (saved));
      return NULL;
    }
  if (!manager_reload (&m, cancellable, error))
    return NULL;
  reply = manager_call (&m, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit",
                        g_variant_new ("(s)", receipt->unit), NULL, cancellable, NULL);

  /* Linger that Install turned on goes off with the last service that
   * PandaSync installed; until then another receipt carries it. */
  if (receipt->linger)
    {
      other = other_receipt (name);
      if (other != NULL)
        {
          g_autoptr(Receipt) next = receipt_load (other);

          if (next != NULL)
            {
              next->linger = TRUE;
              receipt_save (other, next, NULL);
            }
        }
      else if (!set_linger (FALSE, cancellable, &local))
        {
          if (is_cancelled (local))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
          /* Translators: the reason, then the user name */
          note = g_strdup_printf (_("Linger stays on: %s. “loginctl disable-linger %s” turns it off."),
                                  local->message, g_get_user_name ());
        }
    }
  path = receipt_path (name);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot remove %s: %s"), path, g_strerror (saved));
      return NULL;
    }

  status = ps_service_status_sync (profile, cancellable, error);
  if (status != NULL)
    status->note = g_steal_pointer (&note);
  return g_steal_pointer (&status);
}

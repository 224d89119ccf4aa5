/* ps-mock-systemd.c — a FAKE systemd user manager and logind on the session bus
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For tests that cannot start a real `systemd --user` (no root, no
 * namespaces) and for the UI tests: it owns org.freedesktop.systemd1
 * (--systemd) and org.freedesktop.login1 (--login1) on the bus in
 * DBUS_SESSION_BUS_ADDRESS and answers the calls PandaSync's service
 * installer makes, the way systemd does:
 *
 *   Manager: Reload, LoadUnit, GetUnitFileState, EnableUnitFiles,
 *            DisableUnitFiles, StartUnit, StopUnit, ResetFailedUnit
 *   units:   Unit.{Id,LoadState,ActiveState,SubState,UnitFileState,
 *            FragmentPath,Job}, Service.{Result,ExecMainStatus,MainPID,ExecStart}
 *   login1:  Manager.GetUser, Manager.SetUserLinger, User.Linger
 *
 * Unit files are looked up in $XDG_CONFIG_HOME/systemd/user, then in each
 * --unit-dir (standing for the system-wide folders); an instance falls back
 * to its template. Enabling links default.target.wants/UNIT as systemd
 * does. Starting a unit really runs its ExecStart (with %i, %% and $$
 * expanded) and follows the process: a non-zero exit makes the unit failed.
 *
 * For the tests, io.github.pandasync.MockSystemd on /org/freedesktop/systemd1:
 * FailUnit(unit, status) ends a unit's process and marks it failed with that
 * exit status; Calls() lists the Manager calls so far. --linger-denied makes
 * SetUserLinger fail with AccessDenied, as polkit would.
 *
 * Prints READY when it owns its names; SIGTERM ends it and its children.
 */

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define UNIT_PREFIX  "/org/freedesktop/systemd1/unit/"
#define LOGIN_PATH   "/org/freedesktop/login1"

static const char manager_xml[] =
  "<node>"
  " <interface name='org.freedesktop.systemd1.Manager'>"
  "  <method name='Reload'/>"
  "  <method name='LoadUnit'><arg type='s' direction='in'/><arg type='o' direction='out'/></method>"
  "  <method name='GetUnitFileState'><arg type='s' direction='in'/><arg type='s' direction='out'/></method>"
  "  <method name='EnableUnitFiles'><arg type='as' direction='in'/><arg type='b' direction='in'/>"
  "   <arg type='b' direction='in'/><arg type='b' direction='out'/><arg type='a(sss)' direction='out'/></method>"
  "  <method name='DisableUnitFiles'><arg type='as' direction='in'/><arg type='b' direction='in'/>"
  "   <arg type='a(sss)' direction='out'/></method>"
  "  <method name='StartUnit'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='o' direction='out'/></method>"
  "  <method name='StopUnit'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='o' direction='out'/></method>"
  "  <method name='ResetFailedUnit'><arg type='s' direction='in'/></method>"
  " </interface>"
  " <interface name='io.github.pandasync.MockSystemd'>"
  "  <method name='FailUnit'><arg type='s' direction='in'/><arg type='i' direction='in'/></method>"
  "  <method name='Calls'><arg type='as' direction='out'/></method>"
  " </interface>"
  "</node>";

static const char unit_xml[] =
  "<node>"
  " <interface name='org.freedesktop.systemd1.Unit'>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='LoadState' type='s' access='read'/>"
  "  <property name='ActiveState' type='s' access='read'/>"
  "  <property name='SubState' type='s' access='read'/>"
  "  <property name='UnitFileState' type='s' access='read'/>"
  "  <property name='FragmentPath' type='s' access='read'/>"
  "  <property name='Job' type='(uo)' access='read'/>"
  " </interface>"
  " <interface name='org.freedesktop.systemd1.Service'>"
  "  <property name='Result' type='s' access='read'/>"
  "  <property name='ExecMainStatus' type='i' access='read'/>"
  "  <property name='MainPID' type='u' access='read'/>"
  "  <property name='ExecStart' type='a(sasbttttuii)' access='read'/>"
  " </interface>"
  "</node>";

static const char login_xml[] =
  "<node>"
  " <interface name='org.freedesktop.login1.Manager'>"
  "  <method name='GetUser'><arg type='u' direction='in'/><arg type='o' direction='out'/></method>"
  "  <method name='SetUserLinger'><arg type='u' direction='in'/><arg type='b' direction='in'/>"
  "   <arg type='b' direction='in'/></method>"
  " </interface>"
  "</node>";

static const char user_xml[] =
  "<node>"
  " <interface name='org.freedesktop.login1.User'>"
  "  <property name='UID' type='u' access='read'/>"
  "  <property name='Linger' type='b' access='read'/>"
  " </interface>"
  "</node>";

typedef struct {
  char     *name;
  char     *object_path;
  char     *load_state;
  char     *active_state;
  char     *sub_state;
  char     *fragment;
  char     *exec_start;     /* the raw ExecStart= value */
  char     *result;
  int       exit_status;
  GPid      pid;
  guint     job;            /* non-zero while stopping */
  gboolean  stopping;
} Unit;

static GDBusConnection *bus;
static GMainLoop *loop;
static GHashTable *units;          /* name → Unit* */
static GPtrArray *calls;
static GStrv unit_dirs;
static gboolean linger;
static gboolean linger_denied;
static guint next_job = 1;
static GDBusNodeInfo *unit_info;
static GDBusNodeInfo *user_info;

/* ---------------------------------------------------------------- units */

static char *
escape_path (const char *name)
{
  GString *out = g_string_new (UNIT_PREFIX);

  for (const char *p = name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (out, *p);
      else
        g_string_append_printf (out, "_%02x", (guchar) *p);
    }
  return g_string_free (out, FALSE);
}

static char *
user_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "systemd", "user", NULL);
}

static char *
wants_link (const char *name)
{
  g_autofree char *dir = user_dir ();

  return g_build_filename (dir, "default.target.wants", name, NULL);
}

/* The file for @name: the instance itself, else its template. */
static char *
find_fragment (const char *name)
{
  g_autofree char *own = user_dir ();
  g_autoptr(GPtrArray) dirs = g_ptr_array_new ();
  g_autofree char *template = NULL;
  const char *at = strchr (name, '@');
  const char *dot = strrchr (name, '.');

  g_ptr_array_add (dirs, own);
  for (guint i = 0; unit_dirs != NULL && unit_dirs[i] != NULL; i++)
    g_ptr_array_add (dirs, unit_dirs[i]);
  if (at != NULL && dot != NULL && dot > at)
    template = g_strdup_printf ("%.*s%s", (int) (at - name + 1), name, dot);
  for (guint pass = 0; pass < 2; pass++)
    {
      const char *file = pass == 0 ? name : template;

      for (guint i = 0; file != NULL && i < dirs->len; i++)
        {
          char *path = g_build_filename (g_ptr_array_index (dirs, i), file, NULL);

          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            return path;
          g_free (path);
        }
    }
  return NULL;
}

static void
load (Unit *unit)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  g_clear_pointer (&unit->fragment, g_free);
  g_clear_pointer (&unit->exec_start, g_free);
  unit->fragment = find_fragment (unit->name);
  g_free (unit->load_state);
  unit->load_state = g_strdup (unit->fragment != NULL ? "loaded" : "not-found");
  if (unit->fragment == NULL || !g_file_get_contents (unit->fragment, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "ExecStart=") && unit->exec_start == NULL)
      unit->exec_start = g_strdup (lines[i] + strlen ("ExecStart="));
}

static const char *
unit_file_state (Unit *unit)
{
  g_autofree char *link = wants_link (unit->name);

  if (unit->fragment == NULL)
    return "";
  return g_file_test (link, G_FILE_TEST_EXISTS) ? "enabled" : "disabled";
}

static void
set_state (Unit       *unit,
           const char *active,
           const char *sub)
{
  g_free (unit->active_state);
  g_free (unit->sub_state);
  unit->active_state = g_strdup (active);
  unit->sub_state = g_strdup (sub);
}

static GVariant *
on_unit_get_property_cb (GDBusConnection *connection,
                         const char      *sender,
                         const char      *object_path,
                         const char      *interface_name,
                         const char      *property_name,
                         GError         **error,
                         gpointer         user_data)
{
  Unit *unit = user_data;

  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (unit->name);
  if (g_str_equal (property_name, "LoadState"))
    return g_variant_new_string (unit->load_state);
  if (g_str_equal (property_name, "ActiveState"))
    return g_variant_new_string (unit->active_state);
  if (g_str_equal (property_name, "SubState"))
    return g_variant_new_string (unit->sub_state);
  if (g_str_equal (property_name, "UnitFileState"))
    return g_variant_new_string (unit_file_state (unit));
  if (g_str_equal (property_name, "FragmentPath"))
    return g_variant_new_string (unit->fragment != NULL ? unit->fragment : "");
  if (g_str_equal (property_name, "Job"))
    {
      g_autofree char *job = g_strdup_printf ("/org/freedesktop/systemd1/job/%u", unit->job);

      return g_variant_new ("(uo)", unit->job, unit->job != 0 ? job : "/");
    }
  if (g_str_equal (property_name, "Result"))
    return g_variant_new_string (unit->result);
  if (g_str_equal (property_name, "ExecMainStatus"))
    return g_variant_new_int32 (unit->exit_status);
  if (g_str_equal (property_name, "MainPID"))
    return g_variant_new_uint32 (unit->pid);
  if (g_str_equal (property_name, "ExecStart"))
    {
      GVariantBuilder b;
      g_auto(GStrv) argv = NULL;

      g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sasbttttuii)"));
      if (unit->exec_start != NULL && g_shell_parse_argv (unit->exec_start, NULL, &argv, NULL))
        g_variant_builder_add (&b, "(s^asbttttuii)", argv[0], argv, FALSE,
                               (guint64) 0, (guint64) 0, (guint64) 0, (guint64) 0, (guint32) 0, 0, 0);
      return g_variant_builder_end (&b);
    }
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", property_name);
  return NULL;
}

static const GDBusInterfaceVTable unit_vtable = { NULL, on_unit_get_property_cb, NULL, { 0 } };

static Unit *
get_unit (const char *name)
{
  Unit *unit = g_hash_table_lookup (units, name);

  if (unit != NULL)
    return unit;
  unit = g_new0 (Unit, 1);
  unit->name = g_strdup (name);
  unit->object_path = escape_path (name);
  unit->result = g_strdup ("success");
  set_state (unit, "inactive", "dead");
  load (unit);
  for (guint i = 0; unit_info->interfaces[i] != NULL; i++)
    g_dbus_connection_register_object (bus, unit->object_path, unit_info->interfaces[i],
                                       &unit_vtable, unit, NULL, NULL);
  g_hash_table_insert (units, unit->name, unit);
  return unit;
}

static void
on_child_exited_cb (GPid     pid,
                    int      wait_status,
                    gpointer user_data)
{
  Unit *unit = user_data;
  g_autoptr(GError) error = NULL;

  g_spawn_close_pid (pid);
  if (unit->pid != pid)
    return;
  unit->pid = 0;
  unit->job = 0;
  if (unit->stopping || g_spawn_check_wait_status (wait_status, &error))
    {
      set_state (unit, "inactive", "dead");
      g_free (unit->result);
      unit->result = g_strdup ("success");
    }
  else if (WIFEXITED (wait_status))
    {
      set_state (unit, "failed", "failed");
      g_free (unit->result);
      unit->result = g_strdup ("exit-code");
      unit->exit_status = WEXITSTATUS (wait_status);
    }
  else
    {
      set_state (unit, "failed", "failed");
      g_free (unit->result);
      unit->result = g_strdup ("signal");
      unit->exit_status = WTERMSIG (wait_status);
    }
  unit->stopping = FALSE;
  g_printerr ("ps-mock-systemd: %s is %s (%s)\n", unit->name, unit->active_state, unit->result);
}

/* ExecStart= as systemd reads it: %i/%I, %% and $$ (the latter not in the
 * program, where systemd leaves '$' alone), then the quoting. */
static GStrv
exec_argv (Unit *unit)
{
  g_autoptr(GString) line = g_string_new (NULL);
  const char *at = strchr (unit->name, '@');
  const char *dot = strrchr (unit->name, '.');
  g_autofree char *instance = at != NULL && dot > at ? g_strndup (at + 1, dot - at - 1) : g_strdup ("");
  GStrv argv = NULL;

  for (const char *p = unit->exec_start; *p != '\0'; p++)
    {
      if (p[0] == '%' && (p[1] == 'i' || p[1] == 'I'))
        {
          g_string_append (line, instance);
          p++;
        }
      else if ((p[0] == '%' || p[0] == '$') && p[1] == p[0])
        {
          g_string_append_c (line, p[0]);
          p++;
        }
      else
        g_string_append_c (line, *p);
    }
  if (!g_shell_parse_argv (line->str, NULL, &argv, NULL))
    return NULL;
  return argv;
}

static gboolean
start_unit (Unit    *unit,
            GError **error)
{
  g_auto(GStrv) argv = NULL;

  load (unit);
  if (unit->fragment == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, "Unit %s not found.", unit->name);
      return FALSE;
    }
  if (unit->pid != 0)
    return TRUE;
  argv = unit->exec_start != NULL ? exec_argv (unit) : NULL;
  if (argv == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, "Unit %s has no usable ExecStart=.", unit->name);
      return FALSE;
    }
  if (!g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &unit->pid, error))
    {
      set_state (unit, "failed", "failed");
      g_free (unit->result);
      unit->result = g_strdup ("exit-code");
      unit->exit_status = 203;
      return TRUE;
    }
  g_child_watch_add (unit->pid, on_child_exited_cb, unit);
  set_state (unit, "active", "running");
  g_free (unit->result);
  unit->result = g_strdup ("success");
  unit->exit_status = 0;
  return TRUE;
}

static void
stop_unit (Unit *unit)
{
  if (unit->pid == 0)
    {
      if (g_strcmp0 (unit->active_state, "failed") != 0)
        set_state (unit, "inactive", "dead");
      return;
    }
  unit->stopping = TRUE;
  unit->job = next_job++;
  set_state (unit, "deactivating", "stop-sigterm");
  kill (unit->pid, SIGTERM);
}

/* ---------------------------------------------------------------- manager */

static void
return_error (GDBusMethodInvocation *invocation,
              const char            *name,
              const char            *message)
{
  g_dbus_method_invocation_return_dbus_error (invocation, name, message);
}

static void
on_manager_method_cb (GDBusConnection       *connection,
                      const char            *sender,
                      const char            *object_path,
                      const char            *interface_name,
                      const char            *method_name,
                      GVariant              *parameters,
                      GDBusMethodInvocation *invocation,
                      gpointer               user_data)
{
  g_autofree char *args = g_variant_print (parameters, FALSE);

  if (g_str_equal (interface_name, "io.github.pandasync.MockSystemd"))
    {
      if (g_str_equal (method_name, "Calls"))
        {
          g_ptr_array_add (calls, NULL);
          g_dbus_method_invocation_return_value (invocation,
                                                 g_variant_new ("(^as)", (char **) calls->pdata));
          g_ptr_array_remove_index (calls, calls->len - 1);
        }
      else
        {
          const char *name;
          int status;
          Unit *unit;

          g_variant_get (parameters, "(&si)", &name, &status);
          unit = get_unit (name);
          if (unit->pid != 0)
            {
              GPid pid = unit->pid;

              unit->pid = 0;
              kill (pid, SIGKILL);
            }
          set_state (unit, "failed", "failed");
          g_free (unit->result);
          unit->result = g_strdup ("exit-code");
          unit->exit_status = status;
          g_dbus_method_invocation_return_value (invocation, NULL);
        }
      return;
    }

  g_ptr_array_add (calls, g_strdup_printf ("%s %s", method_name, args));
  g_printerr ("ps-mock-systemd: %s %s\n", method_name, args);

  if (g_str_equal (method_name, "Reload"))
    {
      GHashTableIter iter;
      Unit *unit;

      g_hash_table_iter_init (&iter, units);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &unit))
        load (unit);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "LoadUnit"))
    {
      const char *name;

      g_variant_get (parameters, "(&s)", &name);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(o)", get_unit (name)->object_path));
    }
  else if (g_str_equal (method_name, "GetUnitFileState"))
    {
      const char *name;
      Unit *unit;

      g_variant_get (parameters, "(&s)", &name);
      unit = get_unit (name);
      if (unit->fragment == NULL)
        return_error (invocation, "org.freedesktop.DBus.Error.FileNotFound", "No such file or directory");
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", unit_file_state (unit)));
    }
  else if (g_str_equal (method_name, "EnableUnitFiles") || g_str_equal (method_name, "DisableUnitFiles"))
    {
      gboolean enable = g_str_equal (method_name, "EnableUnitFiles");
      g_autofree const char **names = NULL;
      GVariantBuilder changes;

      g_variant_get_child (parameters, 0, "^a&s", &names);
      g_variant_builder_init (&changes, G_VARIANT_TYPE ("a(sss)"));
      for (guint i = 0; names[i] != NULL; i++)
        {
          Unit *unit = get_unit (names[i]);
          g_autofree char *link = wants_link (names[i]);
          g_autofree char *dir = g_path_get_dirname (link);

          load (unit);
          if (enable && unit->fragment == NULL)
            {
              g_autofree char *message = g_strdup_printf ("Unit file %s does not exist.", names[i]);

              return_error (invocation, "org.freedesktop.DBus.Error.FileNotFound", message);
              return;
            }
          if (enable && !g_file_test (link, G_FILE_TEST_EXISTS))
            {
              g_mkdir_with_parents (dir, 0755);
              if (symlink (unit->fragment, link) == 0)
                g_variant_builder_add (&changes, "(sss)", "symlink", link, unit->fragment);
            }
          else if (!enable && g_unlink (link) == 0)
            {
              g_variant_builder_add (&changes, "(sss)", "unlink", link, "");
              g_rmdir (dir);   /* as systemctl leaves no empty .wants folder */
            }
        }
      if (enable)
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ba(sss))", TRUE, &changes));
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(sss))", &changes));
    }
  else if (g_str_equal (method_name, "StartUnit") || g_str_equal (method_name, "StopUnit"))
    {
      const char *name, *mode;
      g_autoptr(GError) error = NULL;
      g_autofree char *job = g_strdup_printf ("/org/freedesktop/systemd1/job/%u", next_job++);
      Unit *unit;

      g_variant_get (parameters, "(&s&s)", &name, &mode);
      unit = get_unit (name);
      if (g_str_equal (method_name, "StopUnit"))
        {
          if (g_strcmp0 (unit->load_state, "loaded") != 0 && unit->pid == 0)
            {
              g_autofree char *message = g_strdup_printf ("Unit %s not loaded.", name);

              return_error (invocation, "org.freedesktop.systemd1.NoSuchUnit", message);
              return;
            }
          stop_unit (unit);
        }
      else if (!start_unit (unit, &error))
        {
          return_error (invocation, "org.freedesktop.systemd1.NoSuchUnit", error->message);
          return;
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", job));
    }
  else if (g_str_equal (method_name, "ResetFailedUnit"))
    {
      const char *name;
      Unit *unit;

      g_variant_get (parameters, "(&s)", &name);
      unit = get_unit (name);
      if (g_strcmp0 (unit->active_state, "failed") == 0)
        {
          set_state (unit, "inactive", "dead");
          g_free (unit->result);
          unit->result = g_strdup ("success");
        }
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    return_error (invocation, "org.freedesktop.DBus.Error.UnknownMethod", method_name);
}

static const GDBusInterfaceVTable manager_vtable = { on_manager_method_cb, NULL, NULL, { 0 } };

/* ---------------------------------------------------------------- login1 */

static GVariant *
on_user_get_property_cb (GDBusConnection *connection,
                         const char      *sender,
                         const char      *object_path,
                         const char      *interface_name,
                         const char      *property_name,
                         GError         **error,
                         gpointer         user_data)
{
  if (g_str_equal (property_name, "Linger"))
    return g_variant_new_boolean (linger);
  return g_variant_new_uint32 (getuid ());
}

static const GDBusInterfaceVTable user_vtable = { NULL, on_user_get_property_cb, NULL, { 0 } };

static void
on_login_method_cb (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  guint32 uid = 0;

  g_printerr ("ps-mock-systemd: login1 %s\n", method_name);
  if (g_str_equal (method_name, "GetUser"))
    {
      g_autofree char *path = NULL;

      g_variant_get (parameters, "(u)", &uid);
      path = g_strdup_printf (LOGIN_PATH "/user/_%u", uid);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
      return;
    }
  if (linger_denied)
    {
      return_error (invocation, "org.freedesktop.DBus.Error.AccessDenied", "Access denied");
      return;
    }
  g_variant_get (parameters, "(ubb)", &uid, &linger, NULL);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable login_vtable = { on_login_method_cb, NULL, NULL, { 0 } };

/* ---------------------------------------------------------------- main */

static gboolean
on_terminate_cb (gpointer user_data)
{
  GHashTableIter iter;
  Unit *unit;

  g_hash_table_iter_init (&iter, units);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &unit))
    if (unit->pid != 0)
      {
        kill (unit->pid, SIGTERM);
        waitpid (unit->pid, NULL, 0);
      }
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
own_name (const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 result = 0;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", name, 4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &result);
  if (result != 1)
    g_printerr ("ps-mock-systemd: cannot own %s: %s\n", name, error != NULL ? error->message : "taken");
  return result == 1;
}

int
main (int    argc,
      char **argv)
{
  gboolean systemd = FALSE, login1 = FALSE;
  const GOptionEntry entries[] = {
    { "systemd", 0, 0, G_OPTION_ARG_NONE, &systemd, "Be systemd's user manager", NULL },
    { "login1", 0, 0, G_OPTION_ARG_NONE, &login1, "Be systemd-logind", NULL },
    { "linger-denied", 0, 0, G_OPTION_ARG_NONE, &linger_denied, "SetUserLinger fails", NULL },
    { "unit-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &unit_dirs, "A system-wide unit folder", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— a fake systemd for the tests");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) manager_info = NULL;
  g_autoptr(GDBusNodeInfo) login_info = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ps-mock-systemd: %s\n", error->message);
      return 2;
    }
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("ps-mock-systemd: no session bus: %s\n", error->message);
      return 1;
    }
  loop = g_main_loop_new (NULL, FALSE);
  units = g_hash_table_new (g_str_hash, g_str_equal);
  calls = g_ptr_array_new_with_free_func (g_free);
  unit_info = g_dbus_node_info_new_for_xml (unit_xml, NULL);
  user_info = g_dbus_node_info_new_for_xml (user_xml, NULL);

  if (systemd)
    {
      manager_info = g_dbus_node_info_new_for_xml (manager_xml, NULL);
      for (guint i = 0; manager_info->interfaces[i] != NULL; i++)
        g_dbus_connection_register_object (bus, SYSTEMD_PATH, manager_info->interfaces[i],
                                           &manager_vtable, NULL, NULL, NULL);
      if (!own_name ("org.freedesktop.systemd1"))
        return 1;
    }
  if (login1)
    {
      g_autofree char *user = g_strdup_printf (LOGIN_PATH "/user/_%u", (guint) getuid ());

      login_info = g_dbus_node_info_new_for_xml (login_xml, NULL);
      g_dbus_connection_register_object (bus, LOGIN_PATH, login_info->interfaces[0],
                                         &login_vtable, NULL, NULL, NULL);
      g_dbus_connection_register_object (bus, user, user_info->interfaces[0],
                                         &user_vtable, NULL, NULL, NULL);
      if (!own_name ("org.freedesktop.login1"))
        return 1;
    }
  g_unix_signal_add (SIGTERM, on_terminate_cb, NULL);
  g_unix_signal_add (SIGINT, on_terminate_cb, NULL);
  g_print ("READY\n");
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}

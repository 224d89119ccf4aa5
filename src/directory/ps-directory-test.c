/* ps-directory-test.c — the connection test, step by step
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <ldap.h>
#include <glib/gi18n.h>

#include "ps-directory-private.h"
#include "ps-secret-store.h"

/* ---------------------------------------------------------------- connection test */

static PsConnectionStep *
add_step (GPtrArray  *steps,
          const char *id,
          const char *title)
{
  PsConnectionStep *step = ps_connection_step_new (id, title);

  g_ptr_array_add (steps, step);
  return step;
}

static void
skip_rest (GPtrArray *steps)
{
  for (guint i = 0; i < steps->len; i++)
    {
      PsConnectionStep *step = g_ptr_array_index (steps, i);

      if (step->status == PS_STEP_SKIPPED && step->message == NULL)
        ps_connection_step_skip (step, _("Not tried because an earlier step failed."));
    }
}

/* Runs resolve → TCP → TLS → bind for one URI; FALSE if it failed before TLS
 * (so that the next URI is worth trying). */
static gboolean
test_uri (PsDirectory   *self,
          const char    *uri,
          GPtrArray     *steps,
          LDAP         **out,
          GCancellable  *cancellable)
{
  PsConnectionStep *resolve = add_step (steps, "ldap-resolve", _("Find the directory server"));
  PsConnectionStep *tcp = add_step (steps, "ldap-connect", _("Connect to the directory server"));
  PsConnectionStep *tls = add_step (steps, "ldap-tls", _("Secure the connection (TLS)"));
  PsConnectionStep *bind = add_step (steps, "ldap-bind", _("Log on to the directory"));
  g_autofree char *host = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  GList *addresses = NULL;
  guint16 port = 0;
  gint64 start = g_get_monotonic_time ();
  LDAP *ld;

  if (!ps_directory_parse_uri (uri, &host, &port, &error))
    {
      ps_connection_step_done (resolve, start, error, NULL);
      return FALSE;
    }
  addresses = g_resolver_lookup_by_name (resolver, host, cancellable, &error);
  if (addresses == NULL)
    {
      g_autoptr(GError) mapped = g_error_new (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_RESOLVE,
                                              _("The name %s was not found in DNS (%s). Check the address "
                                                "in the connection settings."), host, error->message);

      ps_connection_step_done (resolve, start, mapped, NULL);
      return FALSE;
    }
  {
    g_autofree char *first = g_inet_address_to_string (addresses->data);

    message = g_strdup_printf (_("%s is %s"), host, first);
  }
  g_resolver_free_addresses (addresses);
  ps_connection_step_done (resolve, start, NULL, message);
  g_clear_pointer (&message, g_free);

  start = g_get_monotonic_time ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, self->timeout);
  conn = g_socket_client_connect_to_host (client, host, port, cancellable, &error);
  if (conn == NULL)
    {
      g_autoptr(GError) mapped = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = g_error_new (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                              _("No answer from %s port %u within %u seconds. Check the address, "
                                "and that a firewall lets the connection through."), host, port, self->timeout);
      else
        mapped = g_error_new (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                              _("Cannot connect to %s port %u: %s. Check the address and port, and that "
                                "the directory server is running."), host, port, error->message);
      ps_connection_step_done (tcp, start, mapped, NULL);
      return FALSE;
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  message = g_strdup_printf (_("Port %u is open"), port);
  ps_connection_step_done (tcp, start, NULL, message);
  g_clear_pointer (&message, g_free);

  start = g_get_monotonic_time ();
  ld = ps_directory_open_uri (self, uri, cancellable, &error);
  if (ld == NULL)
    {
      ps_connection_step_done (tls, start, error, NULL);
      return TRUE;
    }
  if (ps_directory_is_ldaps (uri) || self->tls_mode != PS_TLS_MODE_NONE)
    ps_connection_step_done (tls, start, NULL,
                          self->allow_untrusted ? _("Encrypted, but the certificate is NOT checked (the profile allows an untrusted certificate)")
                          : ps_directory_is_ldaps (uri) ? _("Encrypted (LDAPS), certificate checked")
                          : _("Encrypted (StartTLS), certificate checked"));
  else
    ps_connection_step_skip (tls, _("Not encrypted: the profile turns TLS off."));

  start = g_get_monotonic_time ();
  if (!ps_directory_bind_handle (self, ld, uri, &error))
    {
      ps_connection_step_done (bind, start, error, NULL);
      ldap_unbind_ext_s (ld, NULL, NULL);
      return TRUE;
    }
  message = g_strdup_printf (_("Logged on as %s"),
                             self->bind_dn != NULL && *self->bind_dn != '\0' ? self->bind_dn : _("anonymous"));
  ps_connection_step_done (bind, start, NULL, message);
  *out = ld;
  return TRUE;
}

/**
 * ps_directory_test_connection_sync:
 * @group: (nullable): a group to look for as the last step
 *
 * Checks the connection step by step and returns the steps (PsConnectionStep*),
 * each ok, failed or skipped, with a message and its duration. Leaves the
 * directory connected when every step passed.
 */
GPtrArray *
ps_directory_test_connection_sync (PsDirectory   *self,
                                   const char    *group,
                                   GCancellable  *cancellable)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) uris = NULL;
  PsConnectionStep *base_step;
  PsConnectionStep *group_step = NULL;
  LDAP *ld = NULL;
  gint64 start;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  ps_directory_close (self);

  if (self->uris == NULL || self->uris[0] == NULL)
    {
      PsConnectionStep *srv = add_step (steps, "ldap-discover", _("Find the domain controllers (DNS SRV)"));

      start = g_get_monotonic_time ();
      uris = ps_directory_effective_uris (self, cancellable, &error);
      if (uris == NULL)
        {
          ps_connection_step_done (srv, start, error, NULL);
          return g_steal_pointer (&steps);
        }
      {
        g_autofree char *list = g_strjoinv (", ", uris);

        ps_connection_step_done (srv, start, NULL, list);
      }
    }
  else
    uris = g_strdupv (self->uris);

  for (guint i = 0; uris[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) attempt = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
      gboolean reached = test_uri (self, uris[i], attempt, &ld, cancellable);

      if (reached || uris[i + 1] == NULL)
        {
          g_ptr_array_extend_and_steal (steps, g_steal_pointer (&attempt));
          if (ld != NULL)
            {
              self->ld = ld;
              self->owner = g_thread_self ();
              self->connected_uri = g_strdup (uris[i]);
              ps_directory_read_root_dse (self);
            }
          break;
        }
    }

  base_step = add_step (steps, "ldap-base-dn", _("Read the base DN"));
  if (group != NULL && *group != '\0')
    group_step = add_step (steps, "ldap-group", _("Find the group"));
  if (self->ld == NULL)
    {
      skip_rest (steps);
      return g_steal_pointer (&steps);
    }

  start = g_get_monotonic_time ();
  {
    g_autoptr(PsDirectoryEntry) base = NULL;
    const char *base_dn = ps_directory_get_base_dn (self);

    if (base_dn == NULL)
      {
        g_autoptr(GError) missing = g_error_new (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                                                 _("The profile has no base DN, and the server names no "
                                                   "single default one: enter the base DN, such as "
                                                   "DC=example,DC=com."));

        ps_connection_step_done (base_step, start, missing, NULL);
        skip_rest (steps);
        return g_steal_pointer (&steps);
      }
    base = ps_directory_read_entry_sync (self, base_dn, NULL, cancellable, &error);
    if (base == NULL)
      {
        ps_connection_step_done (base_step, start, error, NULL);
        skip_rest (steps);
        return g_steal_pointer (&steps);
      }
    {
      const char *kind = self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY
                         ? _("Active Directory") : _("LDAP directory");
      g_autofree char *message = self->base_dn != NULL && *self->base_dn != '\0'
        ? g_strdup_printf (_("%s is readable (%s)"), base_dn, kind)
        /* Translators: the base DN, then the kind of directory */
        : g_strdup_printf (_("%s, the directory’s own base (from its rootDSE), is readable (%s)"),
                           base_dn, kind);

      ps_connection_step_done (base_step, start, NULL, message);
    }
  }

  if (group_step != NULL)
    {
      g_autoptr(PsDirectoryEntry) found = NULL;

      start = g_get_monotonic_time ();
      found = ps_directory_find_group_sync (self, group, cancellable, &error);
      if (found == NULL)
        ps_connection_step_done (group_step, start, error, NULL);
      else
        {
          g_autofree char *message = g_strdup_printf (_("Found %s"), ps_directory_entry_get_dn (found));

          ps_connection_step_done (group_step, start, NULL, message);
        }
    }
  skip_rest (steps);
  return g_steal_pointer (&steps);
}

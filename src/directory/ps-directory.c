/* ps-directory.c — reads Active Directory (or OpenLDAP) over LDAP: connecting and searching
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

G_DEFINE_TYPE (PsDirectory, ps_directory, G_TYPE_OBJECT)

const char *const ps_directory_user_attributes[] = {
  "objectGUID", "objectSid", "sAMAccountName", "userPrincipalName", "mail",
  "givenName", "sn", "displayName", "userAccountControl", "accountExpires", NULL
};

const char *const ps_directory_group_attributes[] = {
  "cn", "sAMAccountName", "objectGUID", "objectSid", "description", "groupType", NULL
};

/* ---------------------------------------------------------------- helpers */

static void
free_password (char *password)
{
  if (password != NULL)
    {
      memset (password, 0, strlen (password));
      g_free (password);
    }
}

gboolean
ps_directory_is_ldaps (const char *uri)
{
  return g_ascii_strncasecmp (uri, "ldaps://", 8) == 0;
}

static char *
get_diagnostic (LDAP *ld)
{
  char *msg = NULL;
  char *copy;

  if (ld == NULL || ldap_get_option (ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) != LDAP_OPT_SUCCESS)
    return NULL;
  copy = g_strdup (msg);
  ldap_memfree (msg);
  return copy;
}

static int
get_result_code (LDAP *ld)
{
  int rc = LDAP_OTHER;

  ldap_get_option (ld, LDAP_OPT_RESULT_CODE, &rc);
  return rc;
}

static void
set_ldap_error (GError      **error,
                LDAP         *ld,
                PsDirectoryOp op,
                int           rc,
                const char   *target)
{
  g_autofree char *diag = get_diagnostic (ld);

  ps_directory_set_error_from_ldap (error, op, rc, diag, target);
}

gboolean
ps_directory_parse_uri (const char  *uri,
           char       **host,
           guint16     *port,
           GError     **error)
{
  LDAPURLDesc *lud = NULL;

  if (ldap_url_parse (uri, &lud) != LDAP_URL_SUCCESS || lud->lud_host == NULL || *lud->lud_host == '\0')
    {
      if (lud != NULL)
        ldap_free_urldesc (lud);
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                   _("“%s” is not a directory address such as ldaps://dc1.example.com"), uri);
      return FALSE;
    }
  *host = g_strdup (lud->lud_host);
  if (lud->lud_port != 0)
    *port = (guint16) lud->lud_port;
  else
    *port = g_ascii_strcasecmp (lud->lud_scheme, "ldaps") == 0 ? 636 : 389;
  ldap_free_urldesc (lud);
  return TRUE;
}

static gboolean
check_owner (PsDirectory *self)
{
  if (self->ld != NULL && self->owner != g_thread_self ())
    {
      g_critical ("A PsDirectory connection is used by a thread that did not make it");
      return FALSE;
    }
  return TRUE;
}

char *
ps_directory_join_filter (const char *a,
             const char *b)
{
  if (a == NULL || *a == '\0')
    return g_strdup (b);
  if (b == NULL || *b == '\0')
    return g_strdup (a);
  return g_strdup_printf ("(&%s%s)", a, b);
}

const char *
ps_directory_person_filter (PsDirectory *self)
{
  if (self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY)
    return "(&(objectCategory=person)(objectClass=user))";
  return "(|(objectClass=inetOrgPerson)(objectClass=person))";
}

/* The same on every server: AD's schema may be served by a server that
 * does not announce itself as AD (a proxy, another LDAP server). */
const char *
ps_directory_group_filter (PsDirectory *self)
{
  return "(|(objectClass=group)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))";
}

gboolean
ps_directory_entry_has_class (PsDirectoryEntry *entry,
                 const char       *name)
{
  guint n = ps_directory_entry_get_n_values (entry, "objectClass");

  for (guint i = 0; i < n; i++)
    {
      gsize length = 0;
      const char *value = ps_directory_entry_get_value (entry, "objectClass", i, &length);

      if (length == strlen (name) && g_ascii_strncasecmp (value, name, length) == 0)
        return TRUE;
    }
  return FALSE;
}

char *
ps_directory_escape_text (const char *text)
{
  return ps_directory_escape_filter_value (text, strlen (text));
}

gboolean
ps_directory_looks_like_guid (const char *text)
{
  gsize n = strlen (text);

  if (n == 38 && text[0] == '{' && text[37] == '}')
    return TRUE;
  return n == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-';
}

gboolean
ps_directory_looks_like_sid (const char *text)
{
  return (text[0] == 'S' || text[0] == 's') && text[1] == '-' && g_ascii_isdigit (text[2]);
}

gboolean
ps_directory_looks_like_dn (const char *text)
{
  LDAPDN dn = NULL;
  gboolean ok;

  if (strchr (text, '=') == NULL)
    return FALSE;
  ok = ldap_str2dn (text, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && dn != NULL;
  ldap_dnfree (dn);
  return ok;
}

/* ---------------------------------------------------------------- TLS diagnosis */

static void
set_handshake_timeout_error (PsDirectory  *self,
                             const char   *uri,
                             gboolean      starttls,
                             GError      **error)
{
  if (starttls)
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TIMEOUT,
                 ngettext ("The directory server at %s did not complete StartTLS within %u second. "
                           "Check that the server has TLS set up, or raise the timeout.",
                           "The directory server at %s did not complete StartTLS within %u seconds. "
                           "Check that the server has TLS set up, or raise the timeout.", self->timeout),
                 uri, self->timeout);
  else
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TIMEOUT,
                 ngettext ("The directory server at %s accepted the connection but did not answer the "
                           "secure (TLS) handshake within %u second. Check that this port serves LDAPS.",
                           "The directory server at %s accepted the connection but did not answer the "
                           "secure (TLS) handshake within %u seconds. Check that this port serves LDAPS.",
                           self->timeout),
                 uri, self->timeout);
}


typedef struct {
  GTlsCertificateFlags flags;
  gboolean seen;
} TlsVerdict;

static gboolean
on_accept_certificate_cb (GTlsConnection       *conn,
                          GTlsCertificate      *peer_cert,
                          GTlsCertificateFlags  errors,
                          gpointer              user_data)
{
  TlsVerdict *verdict = user_data;

  verdict->flags = errors;
  verdict->seen = TRUE;
  return FALSE;
}

/* LDAP ExtendedRequest for StartTLS (RFC 4511 §4.14.1), message id 1 */
static const guint8 starttls_request[] = {
  0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16,
  '1', '.', '3', '.', '6', '.', '1', '.', '4', '.', '1', '.', '1', '4', '6', '6', '.',
  '2', '0', '0', '3', '7'
};

static gboolean
read_ldap_message (GInputStream  *in,
                   GCancellable  *cancellable,
                   GError       **error)
{
  guint8 head[2];
  guint8 buffer[512];
  gsize got;
  gsize length;

  if (!g_input_stream_read_all (in, head, 2, &got, cancellable, error) || got != 2)
    return FALSE;
  length = head[1];
  if (head[1] & 0x80)
    {
      guint n = head[1] & 0x7f;
      guint8 len_bytes[4];

      if (n == 0 || n > 4 || !g_input_stream_read_all (in, len_bytes, n, &got, cancellable, error) || got != n)
        return FALSE;
      length = 0;
      for (guint i = 0; i < n; i++)
        length = (length << 8) | len_bytes[i];
    }
  while (length > 0)
    {
      gsize chunk = MIN (length, sizeof buffer);

      if (!g_input_stream_read_all (in, buffer, chunk, &got, cancellable, error) || got != chunk)
        return FALSE;
      length -= chunk;
    }
  return TRUE;
}

/* libldap only says "Can't contact LDAP server" when the TLS handshake fails.
 * Repeat the handshake with GIO on the same host and port and read the
 * certificate verdict, to tell an unknown CA from a wrong host name or an
 * expired certificate. Always sets @error. */
static void
diagnose_tls (PsDirectory   *self,
              const char    *uri,
              gboolean       starttls,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GError) local = NULL;
  TlsVerdict verdict = { 0, FALSE };

  if (!ps_directory_parse_uri (uri, &host, &port, error))
    return;
  /* LDAP does not go through HTTP proxies (and the proxy settings need GSettings) */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, self->timeout);
  conn = g_socket_client_connect_to_host (client, host, port, cancellable, &local);
  if (conn == NULL)
    {
      g_debug ("TLS diagnosis: %s", local->message);
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                   _("Cannot connect to the directory server at %s: %s"), uri, local->message);
      return;
    }
  if (starttls)
    {
      GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));

      if (!g_output_stream_write_all (out, starttls_request, sizeof starttls_request, NULL, cancellable, &local)
          || !read_ldap_message (in, cancellable, &local))
        {
          g_debug ("TLS diagnosis: StartTLS exchange failed: %s", local != NULL ? local->message : "short read");
          g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                       _("The directory server at %s did not accept StartTLS. Choose LDAPS, or enable TLS on the server."),
                       uri);
          return;
        }
    }
  identity = g_network_address_new (host, port);
  tls = g_tls_client_connection_new (G_IO_STREAM (conn), identity, &local);
  if (tls == NULL)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                   _("The secure (TLS) connection to %s failed: %s"), uri, local->message);
      return;
    }
  if (self->ca_file != NULL && *self->ca_file != '\0')
    {
      g_autoptr(GTlsDatabase) db = g_tls_file_database_new (self->ca_file, &local);

      if (db == NULL)
        {
          g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                       _("Cannot read the CA certificate file %s: %s"), self->ca_file, local->message);
          return;
        }
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), db);
    }
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_certificate_cb), &verdict);
  if (g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, &local))
    {
      g_io_stream_close (tls, NULL, NULL);
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                   _("The secure (TLS) connection to %s failed, although its certificate is valid. "
                     "Check the server’s TLS settings."), uri);
      return;
    }
  g_debug ("TLS diagnosis for %s: %s (flags 0x%x)", uri, local->message, verdict.flags);
  if (!verdict.seen && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    set_handshake_timeout_error (self, uri, starttls, error);
  else if (verdict.seen && (verdict.flags & (G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_NOT_ACTIVATED)))
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS_EXPIRED,
                 _("The certificate of %s has expired or is not valid yet. Renew the domain "
                   "controller’s certificate, and check this computer’s clock."), uri);
  else if (verdict.seen && (verdict.flags & G_TLS_CERTIFICATE_UNKNOWN_CA))
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA,
                 _("The certificate of %s is not signed by a trusted authority. Choose the CA "
                   "certificate file of your domain in the connection settings."), uri);
  else if (verdict.seen && (verdict.flags & G_TLS_CERTIFICATE_BAD_IDENTITY))
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS_HOSTNAME,
                 _("The certificate of %s was issued for another host name. Connect with the "
                   "name in the certificate (usually the DC’s full DNS name)."), uri);
  else
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                 _("The secure (TLS) connection to %s failed: %s"), uri, local->message);
}

/* ---------------------------------------------------------------- connecting */

/* libldap applies LDAP_OPT_NETWORK_TIMEOUT to connect () only: when a server
 * accepts the TCP connection and then never answers the TLS handshake,
 * libldap 2.5 retries its non-blocking reads for ever. So the connect is
 * probed with a GIO timeout first (probe_tcp), the socket gets read and write
 * timeouts as soon as libldap has connected it, and a watchdog thread shuts
 * the socket down if LDAPS or StartTLS has not finished in time. */
/* Bounds the TLS handshake: if it has not finished in time, the socket is
 * shut down under libldap, whose reads then fail at once. */
typedef struct _Watchdog {
  GMutex lock;
  GCond cond;
  gboolean done;
  gboolean fired;
  ber_socket_t fd;
  guint timeout;
  GThread *thread;
} Watchdog;

static gpointer
watchdog_thread (gpointer data)
{
  Watchdog *w = data;
  gint64 end = g_get_monotonic_time () + (gint64) w->timeout * G_USEC_PER_SEC;

  g_mutex_lock (&w->lock);
  while (!w->done)
    if (!g_cond_wait_until (&w->cond, &w->lock, end))
      break;
  if (!w->done && w->fd >= 0)
    {
      shutdown (w->fd, SHUT_RDWR);
      w->fired = TRUE;
    }
  g_mutex_unlock (&w->lock);
  return NULL;
}

static void
watchdog_start (PsDirectory *self,
                Watchdog    *w)
{
  memset (w, 0, sizeof *w);
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->fd = -1;
  w->timeout = self->timeout;
  self->watchdog = w;
  w->thread = g_thread_new ("ps-directory-watchdog", watchdog_thread, w);
}

/* Returns TRUE if the watchdog had to cut the connection. */
static gboolean
watchdog_stop (PsDirectory *self,
               Watchdog    *w)
{
  gboolean fired;

  g_mutex_lock (&w->lock);
  w->done = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);
  fired = w->fired;
  self->watchdog = NULL;
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  return fired;
}

static int
on_connection_added_cb (LDAP                *ld,
                        Sockbuf             *sb,
                        LDAPURLDesc         *srv,
                        struct sockaddr     *addr,
                        struct ldap_conncb  *ctx)
{
  PsDirectory *self = ctx->lc_arg;
  struct timeval tv = { 0, 0 };
  ber_socket_t fd = -1;

  if (ber_sockbuf_ctrl (sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0)
    return 0;
  if (self->watchdog != NULL)
    {
      g_mutex_lock (&self->watchdog->lock);
      self->watchdog->fd = fd;
      g_mutex_unlock (&self->watchdog->lock);
    }
  tv.tv_sec = self->timeout;
  if (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0
      || setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    g_debug ("Cannot set the socket timeouts: %s", g_strerror (errno));
  return 0;
}

static void
on_connection_deleted_cb (LDAP               *ld,
                          Sockbuf            *sb,
                          struct ldap_conncb *ctx)
{
  PsDirectory *self = ctx->lc_arg;

  /* the descriptor is about to be closed: never shut down a reused number */
  if (self->watchdog != NULL)
    {
      g_mutex_lock (&self->watchdog->lock);
      self->watchdog->fd = -1;
      g_mutex_unlock (&self->watchdog->lock);
    }
}

static gboolean
probe_tcp (PsDirectory   *self,
           const char    *uri,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;

  if (!ps_directory_parse_uri (uri, &host, &port, error))
    return FALSE;
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, self->timeout);
  conn = g_socket_client_connect_to_host (client, host, port, cancellable, &local);
  if (conn == NULL)
    {
      g_debug ("TCP connect to %s: %s", uri, local->message);
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else if (g_error_matches (local, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)
               || g_error_matches (local, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE))
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_RESOLVE,
                     _("The name %s was not found in DNS. Check the address in the connection settings."), host);
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                     _("No answer from %s port %u within %u seconds. Check the address, and that a "
                       "firewall lets the connection through."), host, port, self->timeout);
      else
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                     _("Cannot connect to the directory server at %s: %s"), uri, local->message);
      return FALSE;
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return TRUE;
}

static gboolean
set_timeouts (PsDirectory *self,
              LDAP        *ld)
{
  struct timeval tv = { 0, 0 };
  int version = LDAP_VERSION3;

  tv.tv_sec = self->timeout;
  return ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS
      && ldap_set_option (ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) == LDAP_OPT_SUCCESS
      && ldap_set_option (ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) == LDAP_OPT_SUCCESS
      && ldap_set_option (ld, LDAP_OPT_TIMEOUT, &tv) == LDAP_OPT_SUCCESS
      && ldap_set_option (ld, LDAP_OPT_CONNECT_CB, &self->connection_callbacks) == LDAP_OPT_SUCCESS;
}

static gboolean
set_tls_options (PsDirectory  *self,
                 LDAP         *ld,
                 const char   *uri,
                 GError      **error)
{
  int require = LDAP_OPT_X_TLS_DEMAND;
  int newctx = 0;

  if (self->allow_untrusted)
    {
      g_warning ("Certificate checks for %s are off because the profile allows an untrusted "
                 "certificate: anyone on the network path can read the directory password", uri);
      require = LDAP_OPT_X_TLS_ALLOW;
    }
  if (ldap_set_option (ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) != LDAP_OPT_SUCCESS)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                   _("This LDAP library cannot check certificates."));
      return FALSE;
    }
  if (self->ca_file != NULL && *self->ca_file != '\0')
    {
      if (!g_file_test (self->ca_file, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                       _("The CA certificate file %s does not exist."), self->ca_file);
          return FALSE;
        }
      ldap_set_option (ld, LDAP_OPT_X_TLS_CACERTFILE, self->ca_file);
    }
  /* options only take effect in a new TLS context */
  if (ldap_set_option (ld, LDAP_OPT_X_TLS_NEWCTX, &newctx) != LDAP_OPT_SUCCESS)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                   _("The TLS settings could not be applied (CA file %s)."),
                   self->ca_file != NULL ? self->ca_file : "");
      return FALSE;
    }
  return TRUE;
}

/* Makes a handle for @uri and opens TCP (+ TLS). */
LDAP *
ps_directory_open_uri (PsDirectory   *self,
          const char    *uri,
          GCancellable  *cancellable,
          GError       **error)
{
  LDAP *ld = NULL;
  int rc;
  gboolean ldaps = ps_directory_is_ldaps (uri);
  gboolean starttls = !ldaps && self->tls_mode != PS_TLS_MODE_NONE;

  if (!probe_tcp (self, uri, cancellable, error))
    return NULL;
  rc = ldap_initialize (&ld, uri);
  if (rc != LDAP_SUCCESS || ld == NULL)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                   _("“%s” is not a directory address such as ldaps://dc1.example.com"), uri);
      return NULL;
    }
  if (!set_timeouts (self, ld)
      || ((ldaps || starttls) && !set_tls_options (self, ld, uri, error)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                     _("The LDAP library refused the connection settings for %s."), uri);
      ldap_unbind_ext_s (ld, NULL, NULL);
      return NULL;
    }

  {
    Watchdog watchdog;
    gboolean fired;

    watchdog_start (self, &watchdog);
    rc = ldap_connect (ld);
    fired = watchdog_stop (self, &watchdog);
    if (rc != LDAP_SUCCESS && fired)
      {
        ldap_unbind_ext_s (ld, NULL, NULL);
        set_handshake_timeout_error (self, uri, FALSE, error);
        return NULL;
      }
  }
  if (rc != LDAP_SUCCESS)
    {
      g_autofree char *diag = get_diagnostic (ld);

      g_debug ("ldap_connect (%s): %s; %s", uri, ldap_err2string (rc), diag != NULL ? diag : "");
      ldap_unbind_ext_s (ld, NULL, NULL);
      if (ldaps)
        diagnose_tls (self, uri, FALSE, cancellable, error);
      else
        ps_directory_set_error_from_ldap (error, PS_DIRECTORY_OP_CONNECT, rc, diag, uri);
      return NULL;
    }
  if (starttls)
    {
      Watchdog watchdog;
      gboolean fired;

      watchdog_start (self, &watchdog);
      /* the descriptor is already known: ldap_connect () reported it */
      ldap_get_option (ld, LDAP_OPT_DESC, &watchdog.fd);
      rc = ldap_start_tls_s (ld, NULL, NULL);
      fired = watchdog_stop (self, &watchdog);
      if (rc != LDAP_SUCCESS && (fired || rc == LDAP_TIMEOUT))
        {
          ldap_unbind_ext_s (ld, NULL, NULL);
          set_handshake_timeout_error (self, uri, TRUE, error);
          return NULL;
        }
      if (rc != LDAP_SUCCESS)
        {
          g_autofree char *diag = get_diagnostic (ld);

          g_debug ("StartTLS (%s): %s; %s", uri, ldap_err2string (rc), diag != NULL ? diag : "");
          ldap_unbind_ext_s (ld, NULL, NULL);
          if (rc == LDAP_PROTOCOL_ERROR || rc == LDAP_UNAVAILABLE || rc == LDAP_OPERATIONS_ERROR)
            g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                         _("The directory server at %s did not accept StartTLS. Choose LDAPS, "
                           "or enable TLS on the server."), uri);
          else
            diagnose_tls (self, uri, TRUE, cancellable, error);
          return NULL;
        }
    }
  return ld;
}

gboolean
ps_directory_bind_handle (PsDirectory  *self,
             LDAP         *ld,
             const char   *uri,
             GError      **error)
{
  struct berval cred = { 0, NULL };
  int rc;

  if (self->bind_dn == NULL || *self->bind_dn == '\0')
    return TRUE;   /* anonymous */
  if (!ps_directory_is_ldaps (uri) && self->tls_mode == PS_TLS_MODE_NONE && !self->allow_plaintext_bind)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PLAINTEXT_REFUSED,
                   _("PandaSync will not send the password of %s unencrypted to %s. Choose LDAPS or "
                     "StartTLS; allow a plaintext bind only on a network you trust."), self->bind_dn, uri);
      return FALSE;
    }
  cred.bv_val = self->password != NULL ? self->password : (char *) "";
  cred.bv_len = strlen (cred.bv_val);
  rc = ldap_sasl_bind_s (ld, self->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
  if (rc != LDAP_SUCCESS)
    {
      gboolean lost = rc == LDAP_TIMEOUT || rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;

      /* A refusal of a name in none of the forms a bind takes is about the
       * name, not the password: say which forms it may take. */
      if ((rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INVALID_DN_SYNTAX)
          && !ps_directory_bind_name_is_valid (self->bind_dn))
        {
          g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_BIND_NAME,
                       _("The directory refused the username “%s”: write it as a distinguished "
                         "name (CN=%s,OU=Service Accounts,DC=example,DC=com), as user@domain "
                         "(%s@example.com) or as DOMAIN\\user (EXAMPLE\\%s)."),
                       self->bind_dn, self->bind_dn, self->bind_dn, self->bind_dn);
          return FALSE;
        }
      set_ldap_error (error, ld, PS_DIRECTORY_OP_BIND, rc, lost ? uri : self->bind_dn);
      return FALSE;
    }
  return TRUE;
}

/**
 * ps_directory_bind_name_is_valid:
 * @name: a username as typed
 *
 * Whether @name has one of the forms a simple bind takes: a distinguished
 * name (CN=…,DC=…), a user principal name (user@domain) or a down-level
 * logon name (DOMAIN\user).
 */
gboolean
ps_directory_bind_name_is_valid (const char *name)
{
  const char *at;
  const char *backslash;

  if (name == NULL || *name == '\0')
    return FALSE;
  if (strchr (name, '=') != NULL)
    return TRUE;
  at = strchr (name, '@');
  if (at != NULL && at != name && at[1] != '\0' && strchr (at + 1, '@') == NULL)
    return TRUE;
  backslash = strchr (name, '\\');
  return backslash != NULL && backslash != name && backslash[1] != '\0';
}

/* The profile's Kind wins over what the rootDSE said. */
static void
apply_kind_setting (PsDirectory *self)
{
  if (self->kind_setting == PS_SERVER_KIND_ACTIVE_DIRECTORY)
    self->kind = PS_DIRECTORY_KIND_ACTIVE_DIRECTORY;
  else if (self->kind_setting == PS_SERVER_KIND_LDAP)
    self->kind = PS_DIRECTORY_KIND_OPENLDAP;
}

void
ps_directory_read_root_dse (PsDirectory *self)
{
  static const char *const attrs[] = {
    "defaultNamingContext", "namingContexts", "supportedCapabilities", "supportedControl", NULL
  };
  LDAPMessage *res = NULL;
  LDAPMessage *entry;
  struct timeval tv = { 0, 0 };
  int rc;

  tv.tv_sec = self->timeout;
  self->kind = PS_DIRECTORY_KIND_OPENLDAP;
  rc = ldap_search_ext_s (self->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", (char **) attrs, 0,
                          NULL, NULL, &tv, 1, &res);
  if (rc != LDAP_SUCCESS || (entry = ldap_first_entry (self->ld, res)) == NULL)
    {
      g_debug ("rootDSE not readable: %s", ldap_err2string (rc));
      ldap_msgfree (res);
      apply_kind_setting (self);
      return;
    }
  {
    struct berval **caps = ldap_get_values_len (self->ld, entry, "supportedCapabilities");
    struct berval **nc = ldap_get_values_len (self->ld, entry, "defaultNamingContext");
    struct berval **ctrls = ldap_get_values_len (self->ld, entry, "supportedControl");
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

    for (guint i = 0; caps != NULL && caps[i] != NULL; i++)
      if (caps[i]->bv_len == strlen (AD_CAPABILITY_OID)
          && memcmp (caps[i]->bv_val, AD_CAPABILITY_OID, caps[i]->bv_len) == 0)
        self->kind = PS_DIRECTORY_KIND_ACTIVE_DIRECTORY;
    if (nc != NULL && nc[0] != NULL)
      {
        g_free (self->default_nc);
        self->default_nc = g_strndup (nc[0]->bv_val, nc[0]->bv_len);
      }
    else
      {
        /* A directory without AD's defaultNamingContext (OpenLDAP, 389)
         * lists its databases: with exactly one, that is the base. */
        struct berval **contexts = ldap_get_values_len (self->ld, entry, "namingContexts");

        if (contexts != NULL && contexts[0] != NULL && contexts[1] == NULL && contexts[0]->bv_len > 0)
          {
            g_free (self->default_nc);
            self->default_nc = g_strndup (contexts[0]->bv_val, contexts[0]->bv_len);
          }
        else if (contexts != NULL && contexts[0] != NULL)
          g_debug ("The rootDSE names %u naming contexts: none is taken as the base DN",
                   ldap_count_values_len (contexts));
        ldap_value_free_len (contexts);
      }
    for (guint i = 0; ctrls != NULL && ctrls[i] != NULL; i++)
      {
        g_autofree char *oid = g_strndup (ctrls[i]->bv_val, ctrls[i]->bv_len);

        g_strv_builder_add (builder, oid);
      }
    g_strfreev (self->supported_controls);
    self->supported_controls = g_strv_builder_end (builder);
    ldap_value_free_len (caps);
    ldap_value_free_len (nc);
    ldap_value_free_len (ctrls);
  }
  ldap_msgfree (res);
  apply_kind_setting (self);
}

GStrv
ps_directory_effective_uris (PsDirectory   *self,
                GCancellable  *cancellable,
                GError       **error)
{
  if (self->uris != NULL && self->uris[0] != NULL)
    return g_strdupv (self->uris);
  if (self->domain != NULL && *self->domain != '\0')
    return ps_directory_discover_uris_sync (self->domain, self->tls_mode, cancellable, error);
  g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
               _("The profile names no directory server: give its address (ldaps://…) or the domain name."));
  return NULL;
}

static gboolean
stop_trying_others (const GError *error)
{
  /* a wrong password is wrong on every DC, and trying again risks a lockout */
  return error->domain != PS_DIRECTORY_ERROR
      || !(error->code == PS_DIRECTORY_ERROR_CONNECT || error->code == PS_DIRECTORY_ERROR_RESOLVE
           || error->code == PS_DIRECTORY_ERROR_TLS || error->code == PS_DIRECTORY_ERROR_TIMEOUT
           || error->code == PS_DIRECTORY_ERROR_SERVER_DOWN);
}

/* ---------------------------------------------------------------- object */

static void
ps_directory_finalize (GObject *object)
{
  PsDirectory *self = PS_DIRECTORY (object);

  ps_directory_close (self);
  g_strfreev (self->uris);
  g_free (self->domain);
  g_free (self->ca_file);
  g_free (self->bind_dn);
  g_free (self->base_dn);
  free_password (self->password);
  g_free (self->default_nc);
  g_strfreev (self->supported_controls);

  G_OBJECT_CLASS (ps_directory_parent_class)->finalize (object);
}

static void
ps_directory_class_init (PsDirectoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ps_directory_finalize;
}

static void
ps_directory_init (PsDirectory *self)
{
  self->connection_callbacks.lc_add = on_connection_added_cb;
  self->connection_callbacks.lc_del = on_connection_deleted_cb;
  self->connection_callbacks.lc_arg = self;
  self->page_size = 1000;
  self->timeout = 30;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
}

/* ---------------------------------------------------------------- public: setup */

const char *const *
ps_directory_default_user_attributes (void)
{
  return ps_directory_user_attributes;
}

PsDirectoryWatermark *
ps_directory_watermark_copy (const PsDirectoryWatermark *watermark)
{
  PsDirectoryWatermark *copy = g_new0 (PsDirectoryWatermark, 1);

  copy->server = g_strdup (watermark->server);
  copy->service_name = g_strdup (watermark->service_name);
  copy->invocation_id = g_strdup (watermark->invocation_id);
  copy->usn = watermark->usn;
  return copy;
}

PsDirectoryMemberReport *
ps_directory_member_report_new (void)
{
  PsDirectoryMemberReport *report = g_new0 (PsDirectoryMemberReport, 1);

  report->unreadable = g_ptr_array_new_with_free_func (g_free);
  report->unclassified = g_ptr_array_new_with_free_func (g_free);
  return report;
}

void
ps_directory_member_report_free (PsDirectoryMemberReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->unreadable);
  g_ptr_array_unref (report->unclassified);
  g_free (report);
}

void
ps_directory_watermark_free (PsDirectoryWatermark *watermark)
{
  if (watermark == NULL)
    return;
  g_free (watermark->server);
  g_free (watermark->service_name);
  g_free (watermark->invocation_id);
  g_free (watermark);
}

/**
 * ps_directory_new:
 * @config: the profile's directory settings (copied)
 * @bind_password: (nullable): the bind password (copied; wiped on finalize)
 */
PsDirectory *
ps_directory_new (const PsDirectoryConfig *config,
                  const char              *bind_password)
{
  PsDirectory *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (PS_TYPE_DIRECTORY, NULL);
  self->uris = g_strdupv (config->uris);
  self->domain = g_strdup (config->domain);
  self->tls_mode = config->tls_mode;
  self->ca_file = g_strdup (config->ca_file);
  self->allow_untrusted = config->allow_untrusted;
  self->allow_plaintext_bind = config->allow_plaintext_bind;
  self->bind_dn = g_strdup (config->bind_dn);
  self->base_dn = g_strdup (config->base_dn);
  self->page_size = CLAMP (config->page_size, 1, 1000);
  self->timeout = config->timeout > 0 ? config->timeout : 30;
  self->nested = config->nested;
  self->kind_setting = config->kind;
  self->password = g_strdup (bind_password);
  return self;
}

/**
 * ps_directory_new_for_profile:
 *
 * A directory for @profile, with the bind password from its secret store.
 * Blocking (the secret store may be asked over D-Bus).
 */
PsDirectory *
ps_directory_new_for_profile (PsProfile     *profile,
                              GCancellable  *cancellable,
                              GError       **error)
{
  PsDirectoryConfig *config = ps_profile_get_directory (profile);
  g_autoptr(PsSecretString) password = NULL;

  if (config->bind_dn != NULL && *config->bind_dn != '\0')
    {
      password = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, cancellable, error);
      if (password == NULL)
        return NULL;
    }
  return ps_directory_new (config, password);
}

void
ps_directory_set_max_attempts (PsDirectory *self,
                               guint        attempts)
{
  g_return_if_fail (PS_IS_DIRECTORY (self));
  self->max_attempts = MAX (attempts, 1);
}

/**
 * ps_directory_discover_uris_sync:
 *
 * Finds the domain controllers of @domain through DNS SRV records
 * (_ldap._tcp.dc._msdcs.DOMAIN), in priority and weight order.
 */
GStrv
ps_directory_discover_uris_sync (const char    *domain,
                                 PsTlsMode      tls_mode,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autofree char *name = g_strdup_printf ("dc._msdcs.%s", domain);
  g_autoptr(GError) local = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GList *targets;

  targets = g_resolver_lookup_service (resolver, "ldap", "tcp", name, cancellable, &local);
  if (targets == NULL)
    {
      g_debug ("SRV lookup of _ldap._tcp.%s: %s", name, local->message);
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_RESOLVE,
                   _("No domain controllers of %s were found in DNS (_ldap._tcp.dc._msdcs.%s). "
                     "Check the domain name and this computer’s DNS server, or enter a server address."),
                   domain, domain);
      return NULL;
    }
  for (GList *l = targets; l != NULL; l = l->next)
    {
      GSrvTarget *t = l->data;

      g_autofree char *uri = NULL;

      if (tls_mode == PS_TLS_MODE_LDAPS)
        uri = g_strdup_printf ("ldaps://%s:636", g_srv_target_get_hostname (t));
      else
        uri = g_strdup_printf ("ldap://%s:%u", g_srv_target_get_hostname (t), g_srv_target_get_port (t));
      g_strv_builder_add (builder, uri);
    }
  g_resolver_free_targets (targets);
  return g_strv_builder_end (builder);
}

/**
 * ps_directory_connect_sync:
 *
 * Tries each URI in order (TCP, TLS, then bind) and keeps the first
 * connection that works. Does nothing when already connected.
 */
gboolean
ps_directory_connect_sync (PsDirectory   *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_auto(GStrv) uris = NULL;
  g_autoptr(GError) last = NULL;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), FALSE);
  if (self->ld != NULL)
    return check_owner (self);
  uris = ps_directory_effective_uris (self, cancellable, error);
  if (uris == NULL)
    return FALSE;

  for (guint i = 0; uris[i] != NULL; i++)
    {
      LDAP *ld;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_clear_error (&last);
      ld = ps_directory_open_uri (self, uris[i], cancellable, &last);
      if (ld != NULL && !ps_directory_bind_handle (self, ld, uris[i], &last))
        {
          ldap_unbind_ext_s (ld, NULL, NULL);
          ld = NULL;
        }
      if (ld != NULL)
        {
          self->ld = ld;
          self->owner = g_thread_self ();
          g_free (self->connected_uri);
          self->connected_uri = g_strdup (uris[i]);
          ps_directory_read_root_dse (self);
          g_debug ("Connected to %s (%s)", uris[i],
                   self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY ? "Active Directory" : "LDAP");
          return TRUE;
        }
      g_debug ("%s: %s", uris[i], last->message);
      if (stop_trying_others (last))
        break;
    }
  g_propagate_error (error, g_steal_pointer (&last));
  return FALSE;
}

void
ps_directory_close (PsDirectory *self)
{
  g_return_if_fail (PS_IS_DIRECTORY (self));
  if (self->ld == NULL)
    return;
  if (self->owner != g_thread_self ())
    g_debug ("Closing a directory connection from another thread than the one that made it");
  ldap_unbind_ext_s (self->ld, NULL, NULL);
  self->ld = NULL;
  self->owner = NULL;
  g_clear_pointer (&self->connected_uri, g_free);
}

const char *
ps_directory_get_connected_uri (PsDirectory *self)
{
  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  return self->connected_uri;
}

PsDirectoryKind
ps_directory_get_kind (PsDirectory *self)
{
  g_return_val_if_fail (PS_IS_DIRECTORY (self), PS_DIRECTORY_KIND_UNKNOWN);
  return self->kind;
}

const char *
ps_directory_get_base_dn (PsDirectory *self)
{
  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (self->base_dn != NULL && *self->base_dn != '\0')
    return self->base_dn;
  return self->default_nc;
}

const char *
ps_directory_get_user_filter (PsDirectory *self)
{
  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  return ps_directory_person_filter (self);
}

const char *
ps_directory_get_group_filter (PsDirectory *self)
{
  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  return ps_directory_group_filter (self);
}

/* ---------------------------------------------------------------- searching */

static PsDirectoryEntry *
entry_from_message (LDAP        *ld,
                    LDAPMessage *msg)
{
  BerElement *ber = NULL;
  struct berval dn = { 0, NULL };
  struct berval attr = { 0, NULL };
  struct berval *values = NULL;
  PsDirectoryEntry *entry;
  char name[256];
  int rc;

  if (ldap_get_dn_ber (ld, msg, &ber, &dn) != LDAP_SUCCESS)
    return NULL;
  {
    g_autofree char *dn_text = g_strndup (dn.bv_val, dn.bv_len);

    entry = ps_directory_entry_new (dn_text);
  }
  for (rc = ldap_get_attribute_ber (ld, msg, ber, &attr, &values);
       rc == LDAP_SUCCESS && attr.bv_val != NULL;
       rc = ldap_get_attribute_ber (ld, msg, ber, &attr, &values))
    {
      /* attribute names are short; a longer one is cut, never overrun */
      gsize n = MIN (attr.bv_len, sizeof name - 1);

      memcpy (name, attr.bv_val, n);
      name[n] = '\0';
      for (guint i = 0; values != NULL && values[i].bv_val != NULL; i++)
        ps_directory_entry_add_value (entry, name, values[i].bv_val, values[i].bv_len);
      if (values != NULL)
        ber_memfree (values);
      values = NULL;
    }
  ber_free (ber, 0);
  return entry;
}

static int
scope_to_ldap (PsDirectoryScope scope)
{
  switch (scope)
    {
    case PS_DIRECTORY_SCOPE_BASE:
      return LDAP_SCOPE_BASE;
    case PS_DIRECTORY_SCOPE_ONE:
      return LDAP_SCOPE_ONELEVEL;
    case PS_DIRECTORY_SCOPE_SUBTREE:
    default:
      return LDAP_SCOPE_SUBTREE;
    }
}

gboolean
ps_directory_deliver (Delivery   *d,
         GPtrArray  *page,
         GError    **error)
{
  gboolean restarted = d->restart_pending;

  if (d->seen != NULL)
    {
      g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_directory_entry_unref);

      for (guint i = 0; i < page->len; i++)
        {
          PsDirectoryEntry *e = g_ptr_array_index (page, i);
          char *key = g_utf8_casefold (ps_directory_entry_get_dn (e), -1);

          if (g_hash_table_add (d->seen, key))
            g_ptr_array_add (fresh, ps_directory_entry_ref (e));
        }
      if (fresh->len == 0 && !restarted)
        return TRUE;
      d->restart_pending = FALSE;
      d->delivered += fresh->len;
      return d->func (fresh, restarted, d->user_data, error);
    }
  if (page->len == 0 && !restarted)
    return TRUE;
  d->restart_pending = FALSE;
  d->delivered += page->len;
  return d->func (page, restarted, d->user_data, error);
}

/* Waits for one message of @msgid, checking @cancellable and a deadline. */
static int
wait_result (PsDirectory   *self,
             int            msgid,
             LDAPMessage  **res,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) self->timeout * G_USEC_PER_SEC;

  for (;;)
    {
      struct timeval tv = { 0, POLL_INTERVAL_MS * 1000 };
      int type = ldap_result (self->ld, msgid, LDAP_MSG_ONE, &tv, res);

      if (type != 0)
        return type;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ldap_abandon_ext (self->ld, msgid, NULL, NULL);
          return -2;
        }
      if (g_get_monotonic_time () > deadline)
        {
          ldap_abandon_ext (self->ld, msgid, NULL, NULL);
          ps_directory_set_error_from_ldap (error, PS_DIRECTORY_OP_SEARCH, LDAP_TIMEOUT, NULL,
                                            self->connected_uri);
          return -2;
        }
    }
}

/* One attempt: every page of one paged search, delivered as it arrives. */
gboolean
ps_directory_search_attempt (PsDirectory       *self,
                const SearchSpec  *spec,
                Delivery          *d,
                GCancellable      *cancellable,
                GError           **error)
{
  struct berval cookie = { 0, NULL };
  gboolean done = FALSE;
  gboolean ok = TRUE;

  while (ok && !done)
    {
      LDAPControl *page_ctrl = NULL;
      LDAPControl deleted_ctrl = { (char *) SHOW_DELETED_OID, { 0, NULL }, 1 };
      LDAPControl *ctrls[3] = { NULL, NULL, NULL };
      struct timeval tv = { 0, 0 };
      int msgid = 0;
      int rc;
      g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_directory_entry_unref);
      gboolean page_done = FALSE;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      tv.tv_sec = self->timeout;
      rc = ldap_create_page_control (self->ld, self->page_size, &cookie, 1, &page_ctrl);
      if (rc != LDAP_SUCCESS)
        {
          set_ldap_error (error, self->ld, PS_DIRECTORY_OP_SEARCH, rc, spec->base);
          ok = FALSE;
          break;
        }
      ctrls[0] = page_ctrl;
      if (spec->show_deleted)
        ctrls[1] = &deleted_ctrl;
      rc = ldap_search_ext (self->ld, spec->base, spec->scope, spec->filter,
                            (char **) spec->attributes, 0, ctrls, NULL, &tv, LDAP_NO_LIMIT, &msgid);
      ldap_control_free (page_ctrl);
      if (rc != LDAP_SUCCESS)
        {
          set_ldap_error (error, self->ld, PS_DIRECTORY_OP_SEARCH, rc, spec->base);
          ok = FALSE;
          break;
        }

      while (ok && !page_done)
        {
          LDAPMessage *res = NULL;
          int type = wait_result (self, msgid, &res, cancellable, error);

          if (type == -2)
            {
              ok = FALSE;
              break;
            }
          if (type == -1)
            {
              set_ldap_error (error, self->ld, PS_DIRECTORY_OP_SEARCH, get_result_code (self->ld), spec->base);
              ok = FALSE;
              break;
            }
          if (type == LDAP_RES_SEARCH_ENTRY)
            {
              PsDirectoryEntry *entry = entry_from_message (self->ld, res);

              if (entry != NULL)
                g_ptr_array_add (page, entry);
            }
          else if (type == LDAP_RES_SEARCH_RESULT)
            {
              int result = LDAP_SUCCESS;
              char *diag = NULL;
              LDAPControl **rctrls = NULL;

              page_done = TRUE;
              rc = ldap_parse_result (self->ld, res, &result, NULL, &diag, NULL, &rctrls, 0);
              if (rc != LDAP_SUCCESS || result != LDAP_SUCCESS)
                {
                  ps_directory_set_error_from_ldap (error, PS_DIRECTORY_OP_SEARCH,
                                                    rc != LDAP_SUCCESS ? rc : result, diag, spec->base);
                  ok = FALSE;
                }
              else
                {
                  LDAPControl *resp = ldap_control_find (LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
                  ber_int_t estimate = 0;

                  if (cookie.bv_val != NULL)
                    ber_memfree (cookie.bv_val);
                  cookie.bv_val = NULL;
                  cookie.bv_len = 0;
                  if (resp == NULL
                      || ldap_parse_pageresponse_control (self->ld, resp, &estimate, &cookie) != LDAP_SUCCESS
                      || cookie.bv_val == NULL || cookie.bv_len == 0)
                    done = TRUE;
                }
              ldap_memfree (diag);
              ldap_controls_free (rctrls);
            }
          /* LDAP_RES_SEARCH_REFERENCE and intermediates: skipped (referrals are off) */
          ldap_msgfree (res);
        }
      if (ok)
        ok = ps_directory_deliver (d, page, error);
    }
  if (cookie.bv_val != NULL)
    ber_memfree (cookie.bv_val);
  return ok;
}

/* Lost connections and busy servers; also a failed reconnect after one. */
static gboolean
worth_retrying (const GError *error)
{
  return ps_directory_error_is_transient (error)
      || g_error_matches (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT);
}

/* Runs @attempt until it completes; a transient failure restarts it from the
 * first page on a new connection, at most max_attempts times in all. */
gboolean
ps_directory_run_with_retries (PsDirectory   *self,
                  AttemptFunc    attempt,
                  gpointer       data,
                  Delivery      *d,
                  const char    *what,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GError) last = NULL;
  guint tried = 0;

  for (guint n = 1; n <= self->max_attempts; n++)
    {
      g_clear_error (&last);
      if (n > 1)
        {
          /* back off a little, then start over on a fresh connection */
          g_usleep ((n - 1) * 250 * 1000);
          ps_directory_close (self);
          d->restart_pending = d->delivered > 0 || d->restart_pending;
          d->delivered = 0;
          if (d->seen != NULL)
            g_hash_table_remove_all (d->seen);
        }
      if (!ps_directory_connect_sync (self, cancellable, &last))
        {
          if (!worth_retrying (last))
            break;
          continue;
        }
      tried = n;
      if (attempt (self, data, d, cancellable, &last))
        return TRUE;
      if (g_error_matches (last, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !ps_directory_error_is_transient (last))
        break;
      g_debug ("Reading %s failed on attempt %u of %u: %s", what, n, self->max_attempts, last->message);
    }
  /* a specific, final cause (a size limit, no access …) keeps its own code;
   * its message already says the result was not used */
  if ((d->delivered > 0 || d->restart_pending) && worth_retrying (last))
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL,
                   ngettext ("Reading %s stopped part-way (%u attempt), so the result is incomplete and "
                             "was not used. Last error: %s",
                             "Reading %s stopped part-way (%u attempts, each from the first page), so the "
                             "result is incomplete and was not used. Last error: %s", tried),
                   what, tried, last->message);
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&last));
  return FALSE;
}

static gboolean
attempt_one_search (PsDirectory   *self,
                    gpointer       data,
                    Delivery      *d,
                    GCancellable  *cancellable,
                    GError       **error)
{
  return ps_directory_search_attempt (self, data, d, cancellable, error);
}

/**
 * ps_directory_search_sync:
 * @base: (nullable): where to search; NULL for the profile's base DN
 * @attributes: (nullable): the attributes to read; NULL for none but the DN
 *
 * A paged search; see the top of ps-directory.h for the contract of @func.
 */
gboolean
ps_directory_search_sync (PsDirectory          *self,
                          const char           *base,
                          PsDirectoryScope      scope,
                          const char           *filter,
                          const char *const    *attributes,
                          PsDirectoryPageFunc   func,
                          gpointer              user_data,
                          GCancellable         *cancellable,
                          GError              **error)
{
  static const char *const no_attrs[] = { LDAP_NO_ATTRS, NULL };
  SearchSpec spec = { 0 };
  Delivery d = { func, user_data, FALSE, 0, NULL };

  g_return_val_if_fail (PS_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  if (!check_owner (self) || !ps_directory_connect_sync (self, cancellable, error))
    return FALSE;
  spec.base = base != NULL ? base : ps_directory_get_base_dn (self);
  spec.scope = scope_to_ldap (scope);
  spec.filter = filter != NULL ? filter : "(objectClass=*)";
  spec.attributes = attributes != NULL ? attributes : no_attrs;
  if (spec.base == NULL)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG,
                   _("The profile has no base DN, and the server does not name a default one."));
      return FALSE;
    }
  return ps_directory_run_with_retries (self, attempt_one_search, &spec, &d, spec.base, cancellable, error);
}

static gboolean
collect_page_cb (GPtrArray  *entries,
                 gboolean    restarted,
                 gpointer    user_data,
                 GError    **error)
{
  GPtrArray *all = user_data;

  if (restarted)
    g_ptr_array_set_size (all, 0);
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (all, ps_directory_entry_ref (g_ptr_array_index (entries, i)));
  return TRUE;
}

GPtrArray *
ps_directory_search_all (PsDirectory        *self,
            const char         *base,
            PsDirectoryScope    scope,
            const char         *filter,
            const char *const  *attributes,
            GCancellable       *cancellable,
            GError            **error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_directory_entry_unref);

  if (!ps_directory_search_sync (self, base, scope, filter, attributes, collect_page_cb, all,
                                 cancellable, error))
    return NULL;
  return g_steal_pointer (&all);
}

/**
 * ps_directory_read_entry_sync:
 *
 * Reads one entry by DN; PS_DIRECTORY_ERROR_NO_SUCH_OBJECT when absent.
 */
PsDirectoryEntry *
ps_directory_read_entry_sync (PsDirectory        *self,
                              const char         *dn,
                              const char *const  *attributes,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_autofree char *normal = ps_directory_normalize_dn (dn, error);
  g_autoptr(GPtrArray) found = NULL;

  if (normal == NULL)
    return NULL;
  found = ps_directory_search_all (self, normal, PS_DIRECTORY_SCOPE_BASE, "(objectClass=*)", attributes,
                      cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT,
                   _("The directory has no entry %s, or the service account may not read it."), normal);
      return NULL;
    }
  return ps_directory_entry_ref (g_ptr_array_index (found, 0));
}

/* ps_directory_read_entry_sync () without its own retries, for use inside
 * an attempt (ps_directory_run_with_retries () restarts the whole read instead). */
PsDirectoryEntry *
ps_directory_read_entry_once (PsDirectory        *self,
                 const char         *dn,
                 const char *const  *attributes,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_directory_entry_unref);
  SearchSpec spec = { 0 };
  Delivery d = { collect_page_cb, found, FALSE, 0, NULL };

  spec.base = dn;
  spec.scope = LDAP_SCOPE_BASE;
  spec.filter = "(objectClass=*)";
  spec.attributes = attributes;
  if (!ps_directory_search_attempt (self, &spec, &d, cancellable, error))
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT,
                   _("The directory has no entry %s, or the service account may not read it."), dn);
      return NULL;
    }
  return ps_directory_entry_ref (g_ptr_array_index (found, 0));
}

/* "member;range=1500-*" → lo 1500, hi -1; FALSE if not a range of @attribute */
static gboolean
parse_range (const char *name,
             const char *attribute,
             gint64     *lo,
             gint64     *hi)
{
  gsize n = strlen (attribute);
  const char *p;
  char *end = NULL;

  if (g_ascii_strncasecmp (name, attribute, n) != 0 || g_ascii_strncasecmp (name + n, ";range=", 7) != 0)
    return FALSE;
  p = name + n + 7;
  *lo = g_ascii_strtoll (p, &end, 10);
  if (end == p || *end != '-')
    return FALSE;
  p = end + 1;
  if (*p == '*')
    {
      *hi = -1;
      return TRUE;
    }
  *hi = g_ascii_strtoll (p, &end, 10);
  return end != p;
}

/* Hands every value of @attribute of @dn to @func, following range
 * retrieval. @retry: each range read on its own retries (a public call), or
 * none (inside an attempt). */
gboolean
ps_directory_read_values (PsDirectory   *self,
             const char    *dn,
             const char    *attribute,
             gboolean       retry,
             ValueFunc      func,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 lo = 0;
  guint count = 0;
  gboolean ranges = self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY;

  for (;;)
    {
      g_autofree char *request = NULL;
      const char *attrs[2] = { NULL, NULL };
      g_autoptr(PsDirectoryEntry) entry = NULL;
      g_autoptr(GPtrArray) names = NULL;
      gboolean more = FALSE;
      gboolean found = FALSE;

      /* AD is asked for ranges; any server that answers with one (AD behind
       * a proxy, say) is followed with explicit ranges from then on */
      if (ranges || lo > 0)
        request = g_strdup_printf ("%s;range=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                   attribute, lo, lo + RANGE_STEP - 1);
      else
        request = g_strdup (attribute);
      attrs[0] = request;
      entry = retry ? ps_directory_read_entry_sync (self, dn, attrs, cancellable, error)
                    : ps_directory_read_entry_once (self, dn, attrs, cancellable, error);
      if (entry == NULL)
        return FALSE;
      names = ps_directory_entry_list_attributes (entry);
      for (guint i = 0; i < names->len; i++)
        {
          const char *name = g_ptr_array_index (names, i);
          guint n = ps_directory_entry_get_n_values (entry, name);
          gint64 rlo = 0;
          gint64 rhi = 0;

          if (g_ascii_strcasecmp (name, attribute) == 0)
            found = TRUE;
          else if (parse_range (name, attribute, &rlo, &rhi))
            {
              found = TRUE;
              if (rlo != lo)
                {
                  g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL,
                               _("The directory answered range %lld of %s of %s when %lld was asked for; "
                                 "the value list is incomplete."),
                               (long long) rlo, attribute, dn, (long long) lo);
                  return FALSE;
                }
              if (rhi >= 0)
                {
                  more = TRUE;
                  lo = rhi + 1;
                }
            }
          else
            continue;
          for (guint j = 0; j < n; j++)
            {
              gsize length = 0;
              const char *value = ps_directory_entry_get_value (entry, name, j, &length);

              func (value, length, user_data);
            }
          count += n;
        }
      if (!found && ranges && lo == 0)
        {
          /* no answer to a range: a server without range retrieval, taken
           * for AD by the profile's Kind; ask it the plain way */
          ranges = FALSE;
          continue;
        }
      if (!found || !more)
        break;
      g_debug ("%s of %s: %u values so far, next range from %" G_GINT64_FORMAT,
               attribute, dn, count, lo);
    }
  return TRUE;
}

static void
add_bytes_value (const char *value,
                 gsize       length,
                 gpointer    user_data)
{
  g_ptr_array_add (user_data, g_bytes_new (value, length));
}

/**
 * ps_directory_read_ranged_sync:
 *
 * Every value of @attribute of @dn as a GBytes array. On Active Directory it
 * asks for ranges of 1,000 values (member;range=0-999, then 1000-1999 …) and
 * follows the server's answer until it says "-*"; other servers are read in
 * one go, unless they answer with a range.
 */
GPtrArray *
ps_directory_read_ranged_sync (PsDirectory   *self,
                               const char    *dn,
                               const char    *attribute,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (!ps_directory_connect_sync (self, cancellable, error))
    return NULL;
  if (!ps_directory_read_values (self, dn, attribute, TRUE, add_bytes_value, values, cancellable, error))
    return NULL;
  return g_steal_pointer (&values);
}

/* ---------------------------------------------------------------- async wrappers */

typedef struct {
  PsDirectory *copy;   /* made and used in the worker thread only */
  char *text;
  guint limit;
} TaskData;

static void
task_data_free (gpointer data)
{
  TaskData *td = data;

  g_free (td->text);
  g_free (td);
}

static PsDirectory *
copy_directory (PsDirectory *self)
{
  PsDirectory *copy = g_object_new (PS_TYPE_DIRECTORY, NULL);

  copy->uris = g_strdupv (self->uris);
  copy->domain = g_strdup (self->domain);
  copy->tls_mode = self->tls_mode;
  copy->ca_file = g_strdup (self->ca_file);
  copy->allow_untrusted = self->allow_untrusted;
  copy->allow_plaintext_bind = self->allow_plaintext_bind;
  copy->bind_dn = g_strdup (self->bind_dn);
  copy->base_dn = g_strdup (self->base_dn);
  copy->page_size = self->page_size;
  copy->timeout = self->timeout;
  copy->nested = self->nested;
  copy->kind_setting = self->kind_setting;
  copy->password = g_strdup (self->password);
  copy->max_attempts = self->max_attempts;
  return copy;
}

static void
test_connection_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  TaskData *td = task_data;
  g_autoptr(PsDirectory) copy = copy_directory (source_object);
  GPtrArray *steps = ps_directory_test_connection_sync (copy, td->text, cancellable);

  ps_directory_close (copy);
  g_task_return_pointer (task, steps, (GDestroyNotify) g_ptr_array_unref);
}

void
ps_directory_test_connection_async (PsDirectory         *self,
                                    const char          *group,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TaskData *td = g_new0 (TaskData, 1);

  g_return_if_fail (PS_IS_DIRECTORY (self));
  td->text = g_strdup (group);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_directory_test_connection_async);
  g_task_set_task_data (task, td, task_data_free);
  g_task_run_in_thread (task, test_connection_thread);
}

GPtrArray *
ps_directory_test_connection_finish (PsDirectory   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_directory_test_connection_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
find_group_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  TaskData *td = task_data;
  g_autoptr(PsDirectory) copy = copy_directory (source_object);
  g_autoptr(GError) error = NULL;
  PsDirectoryEntry *entry = ps_directory_find_group_sync (copy, td->text, cancellable, &error);

  ps_directory_close (copy);
  if (entry == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) ps_directory_entry_unref);
}

void
ps_directory_find_group_async (PsDirectory         *self,
                               const char          *group,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TaskData *td = g_new0 (TaskData, 1);

  g_return_if_fail (PS_IS_DIRECTORY (self));
  g_return_if_fail (group != NULL);
  td->text = g_strdup (group);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_directory_find_group_async);
  g_task_set_task_data (task, td, task_data_free);
  g_task_run_in_thread (task, find_group_thread);
}

PsDirectoryEntry *
ps_directory_find_group_finish (PsDirectory   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_directory_find_group_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
list_groups_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  TaskData *td = task_data;
  g_autoptr(PsDirectory) copy = copy_directory (source_object);
  g_autoptr(GError) error = NULL;
  GPtrArray *groups = ps_directory_list_groups_sync (copy, td->text, td->limit, cancellable, &error);

  ps_directory_close (copy);
  if (groups == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, groups, (GDestroyNotify) g_ptr_array_unref);
}

void
ps_directory_list_groups_async (PsDirectory         *self,
                                const char          *search,
                                guint                limit,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TaskData *td = g_new0 (TaskData, 1);

  g_return_if_fail (PS_IS_DIRECTORY (self));
  td->text = g_strdup (search);
  td->limit = limit;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_directory_list_groups_async);
  g_task_set_task_data (task, td, task_data_free);
  g_task_run_in_thread (task, list_groups_thread);
}

GPtrArray *
ps_directory_list_groups_finish (PsDirectory   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_directory_list_groups_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

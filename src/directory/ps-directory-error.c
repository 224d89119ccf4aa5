/* ps-directory-error.c — LDAP result codes and AD data codes → GError
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <ldap.h>
#include <glib/gi18n.h>

#include "ps-directory-error.h"

G_DEFINE_QUARK (ps-directory-error-quark, ps_directory_error)

/**
 * ps_directory_ad_data_code:
 * @diagnostic: (nullable): the server's diagnostic message
 *
 * Active Directory puts the reason for a failed bind in the diagnostic
 * message: "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext
 * error, data 52e, v1db1". Returns that "data" number (0x52e), or 0.
 */
int
ps_directory_ad_data_code (const char *diagnostic)
{
  const char *p;

  if (diagnostic == NULL)
    return 0;
  p = strstr (diagnostic, "data ");
  if (p == NULL)
    return 0;
  p += strlen ("data ");
  if (!g_ascii_isxdigit (*p))
    return 0;
  return (int) g_ascii_strtoull (p, NULL, 16);
}

static const char *
op_name (PsDirectoryOp op)
{
  switch (op)
    {
    case PS_DIRECTORY_OP_CONNECT:
      return "connect";
    case PS_DIRECTORY_OP_TLS:
      return "tls";
    case PS_DIRECTORY_OP_BIND:
      return "bind";
    case PS_DIRECTORY_OP_SEARCH:
      return "search";
    case PS_DIRECTORY_OP_READ_BASE:
      return "read-base";
    default:
      return "?";
    }
}

static void
set_bind_error (GError     **error,
                int          rc,
                const char  *diagnostic,
                const char  *target)
{
  int data = ps_directory_ad_data_code (diagnostic);

  switch (data)
    {
    case 0x52e:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS,
                   _("The directory rejected the user name or password of %s (invalid credentials). "
                     "Check the bind DN and store the current password again."), target);
      return;
    case 0x525:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS,
                   _("The directory has no account %s (invalid credentials). "
                     "Check the bind DN or user principal name."), target);
      return;
    case 0x530:
    case 0x531:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_LOGON_RESTRICTED,
                   _("The account %s may not log on at this time or from this computer. "
                     "Ask a domain administrator to relax its logon hours or workstation list."), target);
      return;
    case 0x532:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PASSWORD_EXPIRED,
                   _("The password of %s has expired. Set a new one in Active Directory, "
                     "then store it in PandaSync."), target);
      return;
    case 0x533:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_ACCOUNT_DISABLED,
                   _("The account %s is disabled. Ask a domain administrator to enable it."), target);
      return;
    case 0x701:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_ACCOUNT_EXPIRED,
                   _("The account %s has expired. Ask a domain administrator to extend it."), target);
      return;
    case 0x773:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PASSWORD_MUST_CHANGE,
                   _("The password of %s must be changed before it can be used. Set a new one "
                     "in Active Directory, then store it in PandaSync."), target);
      return;
    case 0x775:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_ACCOUNT_LOCKED,
                   _("The account %s is locked out after too many failed logons. Wait for the lockout "
                     "to end or ask a domain administrator to unlock it."), target);
      return;
    default:
      break;
    }

  switch (rc)
    {
    case LDAP_INVALID_CREDENTIALS:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS,
                   _("The directory rejected the user name or password of %s (invalid credentials). "
                     "Check the bind DN and store the current password again."), target);
      return;
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED,
                   _("The directory requires an encrypted connection for %s. Choose LDAPS or StartTLS."),
                   target);
      return;
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_UNWILLING_TO_PERFORM:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_BIND,
                   _("The directory refused to log %s on (%s). Check that the account may use a simple bind."),
                   target, ldap_err2string (rc));
      return;
    default:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_BIND,
                   _("Logging on as %s failed: %s."), target, ldap_err2string (rc));
      return;
    }
}

/**
 * ps_directory_set_error_from_ldap:
 * @error: return location
 * @op: what was being done
 * @result_code: an LDAP result code or a negative API error
 * @diagnostic: (nullable): the server's or library's diagnostic message
 * @target: (nullable): what the operation was about: a URI, bind DN or DN
 *
 * The one place where LDAP result codes and Active Directory's data codes
 * become errors people can act on. The raw detail is logged with g_debug ().
 */
void
ps_directory_set_error_from_ldap (GError       **error,
                                  PsDirectoryOp  op,
                                  int            result_code,
                                  const char    *diagnostic,
                                  const char    *target)
{
  const char *t = target != NULL ? target : "";

  g_debug ("LDAP %s on “%s” failed: %d (%s); diagnostic: %s",
           op_name (op), t, result_code, ldap_err2string (result_code),
           diagnostic != NULL ? diagnostic : "(none)");

  if (op == PS_DIRECTORY_OP_BIND && result_code != LDAP_SERVER_DOWN
      && result_code != LDAP_TIMEOUT && result_code != LDAP_CONNECT_ERROR)
    {
      set_bind_error (error, result_code, diagnostic, t);
      return;
    }

  switch (result_code)
    {
    case LDAP_SERVER_DOWN:
      if (op == PS_DIRECTORY_OP_CONNECT || op == PS_DIRECTORY_OP_TLS)
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                     _("Cannot reach the directory server at %s. Check the address and port, "
                       "and that a firewall lets the connection through."), t);
      else
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SERVER_DOWN,
                     _("The connection to the directory server was lost while reading %s. "
                       "Nothing read so far was used; try again."), t);
      return;
    case LDAP_CONNECT_ERROR:
      if (op == PS_DIRECTORY_OP_TLS)
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                     _("The secure (TLS) connection to %s failed. Check the certificate settings "
                       "and that the server offers TLS on this port."), t);
      else
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                     _("Cannot connect to the directory server at %s."), t);
      return;
    case LDAP_ADMINLIMIT_EXCEEDED:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SIZE_LIMIT,
                   _("The directory stopped the search of %s at an administrative limit; the result is "
                     "incomplete and was not used. Narrow the base DN or the group, or ask the domain "
                     "administrator about the LDAP policy (MaxPageSize, MaxResultSetSize)."), t);
      return;
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
      if (result_code == LDAP_TIMEOUT)
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TIMEOUT,
                     _("The directory server at %s did not answer in time. Raise the timeout "
                       "or check the server’s load."), t);
      else
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TIME_LIMIT,
                     _("The directory stopped the search of %s at its time limit; the result is "
                       "incomplete and was not used. Narrow the base DN or the group."), t);
      return;
    case LDAP_SIZELIMIT_EXCEEDED:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SIZE_LIMIT,
                   _("The directory stopped the search of %s at its size limit; the result is "
                     "incomplete and was not used."), t);
      return;
    case LDAP_NO_SUCH_OBJECT:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT,
                   _("The directory has no entry %s. Check the base DN."), t);
      return;
    case LDAP_REFERRAL:
      /* referrals are not followed: the entry lives in another naming context */
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT,
                   _("This directory server does not hold %s; it refers to another server. "
                     "Check the base DN, or connect to a global catalog."), t);
      return;
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_OPERATIONS_ERROR:
      if (result_code == LDAP_OPERATIONS_ERROR && ps_directory_ad_data_code (diagnostic) == 0)
        break;
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_ACCESS_DENIED,
                   _("The service account may not read %s. Give it read access, or choose another base DN."), t);
      return;
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED,
                   _("The directory requires an encrypted connection. Choose LDAPS or StartTLS."));
      return;
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SERVER_DOWN,
                   _("The directory server is busy or unavailable (%s). Try again later."),
                   ldap_err2string (result_code));
      return;
    case LDAP_FILTER_ERROR:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_PARAM_ERROR:
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT,
                   _("The directory did not accept the request for %s (%s)."), t,
                   ldap_err2string (result_code));
      return;
    default:
      break;
    }

  if (op == PS_DIRECTORY_OP_CONNECT)
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT,
                 _("Cannot connect to the directory server at %s: %s."), t, ldap_err2string (result_code));
  else if (op == PS_DIRECTORY_OP_TLS)
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS,
                 _("The secure (TLS) connection to %s failed: %s."), t, ldap_err2string (result_code));
  else
    g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SEARCH,
                 _("Reading %s from the directory failed: %s."), t, ldap_err2string (result_code));
}

/**
 * ps_directory_error_is_transient:
 *
 * TRUE for errors after which the same read may succeed when started again
 * from its first page (lost connection, busy server, an evicted paging cookie).
 */
gboolean
ps_directory_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != PS_DIRECTORY_ERROR)
    return FALSE;
  switch ((PsDirectoryError) error->code)
    {
    case PS_DIRECTORY_ERROR_SERVER_DOWN:
    case PS_DIRECTORY_ERROR_TIMEOUT:
    case PS_DIRECTORY_ERROR_SEARCH:
      return TRUE;
    case PS_DIRECTORY_ERROR_CONFIG:
    case PS_DIRECTORY_ERROR_RESOLVE:
    case PS_DIRECTORY_ERROR_CONNECT:
    case PS_DIRECTORY_ERROR_TLS:
    case PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA:
    case PS_DIRECTORY_ERROR_TLS_HOSTNAME:
    case PS_DIRECTORY_ERROR_TLS_EXPIRED:
    case PS_DIRECTORY_ERROR_PLAINTEXT_REFUSED:
    case PS_DIRECTORY_ERROR_INVALID_CREDENTIALS:
    case PS_DIRECTORY_ERROR_ACCOUNT_DISABLED:
    case PS_DIRECTORY_ERROR_ACCOUNT_LOCKED:
    case PS_DIRECTORY_ERROR_ACCOUNT_EXPIRED:
    case PS_DIRECTORY_ERROR_PASSWORD_EXPIRED:
    case PS_DIRECTORY_ERROR_PASSWORD_MUST_CHANGE:
    case PS_DIRECTORY_ERROR_LOGON_RESTRICTED:
    case PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED:
    case PS_DIRECTORY_ERROR_BIND:
    case PS_DIRECTORY_ERROR_NO_SUCH_OBJECT:
    case PS_DIRECTORY_ERROR_ACCESS_DENIED:
    case PS_DIRECTORY_ERROR_NOT_FOUND:
    case PS_DIRECTORY_ERROR_AMBIGUOUS:
    case PS_DIRECTORY_ERROR_SIZE_LIMIT:
    case PS_DIRECTORY_ERROR_TIME_LIMIT:
    case PS_DIRECTORY_ERROR_PARTIAL:
    case PS_DIRECTORY_ERROR_NOT_SUPPORTED:
    case PS_DIRECTORY_ERROR_INVALID_ARGUMENT:
    case PS_DIRECTORY_ERROR_INVALID_VALUE:
    case PS_DIRECTORY_ERROR_FULL_READ_REQUIRED:
    case PS_DIRECTORY_ERROR_PARTIAL_MEMBERS:
    case PS_DIRECTORY_ERROR_BIND_NAME:
    default:
      return FALSE;
    }
}

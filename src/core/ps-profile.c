/* ps-profile.c — load, validate and save sync profiles
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-ldap-syntax.h"
#include "ps-okta-syntax.h"
#include "ps-profile.h"

#define PROFILE_VERSION 1

#define G_PROFILE     "Profile"
#define G_TARGET      "AssetPanda"
#define G_DIRECTORY   "Directory"
#define G_ENTRA       "EntraID"
#define G_OKTA        "Okta"
#define G_SCHEDULE    "Schedule"
#define PREFIX_USERS  "UserMapping "
#define PREFIX_COLL   "CollectionMapping "
#define FIELD_PREFIX  "Field."

struct _PsProfile
{
  GObject            parent_instance;

  char              *name;
  char              *path;
  char              *id;
  char              *credentials_file;
  char              *state_file;
  GKeyFile          *keyfile;     /* as loaded: keeps comments and unknown keys */

  PsTargetConfig     target;
  PsDirectoryConfig  directory;
  PsSourceKind       source_kind;
  PsEntraIdConfig    entra;
  PsOktaConfig       okta;
  PsSchedule         schedule;
  GPtrArray         *mappings;    /* of PsMapping* */

  char              *disk_etag;   /* the file's checksum when it was last read or written */
  char              *saved_etag;  /* ps_profile_to_data ()'s checksum at that moment */
};

G_DEFINE_TYPE (PsProfile, ps_profile, G_TYPE_OBJECT)
G_DEFINE_QUARK (ps-profile-error-quark, ps_profile_error)

enum {
  SIGNAL_CHANGED,
  SIGNAL_RELOADED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* Keys we know, per fixed section; anything else is reported by validate. */
static const char *const profile_keys[] = { "Version", "Id", "CredentialsFile", "StateFile", NULL };
static const char *const target_keys[] = { "URL", "Dialect", "ClientId", "Email", "CAFile",
                                           "Concurrency", "RateCalls", "RateWindow", NULL };
static const char *const directory_keys[] = { "URIs", "Domain", "TLS", "CAFile",
                                              "AllowUntrustedCertificate", "AllowPlaintextBind",
                                              "BindDN", "BaseDN", "PageSize", "Timeout",
                                              "NestedGroups", "Kind", NULL };
static const char *const entra_keys[] = { "Tenant", "ClientId", "LoginURL", "GraphURL", "CAFile",
                                          "CertificateFile", "PageSize", "Timeout", NULL };
static const char *const okta_keys[] = { "URL", "CAFile", "ClientId", "PageSize", "Timeout", NULL };
static const char *const schedule_keys[] = { "Enabled", "StartTime", "Interval", "EveryHours",
                                             "FullReconciliationHours", NULL };
static const char *const mapping_keys[] = { "Enabled", "Account", "Module", "Group", "GroupName",
                                            "SearchBase", "Filter",
                                            "Role", "Email", "FirstName", "LastName",
                                            "Collection", "UniqueIdentifier", "UniqueField",
                                            "StatusField", "MatchOnly", "DeactivationThreshold",
                                            NULL };

/* Enum tables: the profile's words for each value, in enum order. */
static const char *const dialect_words[] = { "auto", "classic", "pro", NULL };
static const char *const tls_words[] = { "ldaps", "starttls", "none", NULL };
static const char *const nested_words[] = { "client", "in-chain", "off", NULL };
static const char *const kind_words[] = { "auto", "active-directory", "ldap", NULL };
static const char *const interval_words[] = { "hourly", "hours", "daily", "weekly", NULL };
static const char *const ownership_words[] = { "overwrite", "fill-empty", "never-blank", NULL };

/* ---------------------------------------------------------------- helpers */

static int
word_index (const char *const *words, const char *text)
{
  for (int i = 0; words[i] != NULL; i++)
    if (g_ascii_strcasecmp (words[i], text) == 0)
      return i;
  return -1;
}

static char *
join_words (const char *const *words)
{
  return g_strjoinv (", ", (char **) words);
}

/* A profile file's etag: the checksum of its bytes. Unlike its mtime, it
 * neither misses an edit within the same second nor sees one in a touch. */
static char *
etag_of_data (const char *data,
              gsize       length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
}

/* The file's etag now; NULL when it cannot be read (or is gone). */
static char *
etag_of_file (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (path == NULL || !g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  return etag_of_data (contents, length);
}

static char *
etag_of_profile (PsProfile *self)
{
  gsize length = 0;
  g_autofree char *data = ps_profile_to_data (self, &length);

  return etag_of_data (data, length);
}

static void
clear_target (PsTargetConfig *t)
{
  g_clear_pointer (&t->url, g_free);
  g_clear_pointer (&t->client_id, g_free);
  g_clear_pointer (&t->email, g_free);
  g_clear_pointer (&t->ca_file, g_free);
}

static void
clear_directory (PsDirectoryConfig *d)
{
  g_clear_pointer (&d->uris, g_strfreev);
  g_clear_pointer (&d->domain, g_free);
  g_clear_pointer (&d->ca_file, g_free);
  g_clear_pointer (&d->bind_dn, g_free);
  g_clear_pointer (&d->base_dn, g_free);
}

static void
clear_entra (PsEntraIdConfig *e)
{
  g_clear_pointer (&e->tenant, g_free);
  g_clear_pointer (&e->client_id, g_free);
  g_clear_pointer (&e->login_url, g_free);
  g_clear_pointer (&e->graph_url, g_free);
  g_clear_pointer (&e->ca_file, g_free);
  g_clear_pointer (&e->certificate_file, g_free);
}

static void
clear_okta (PsOktaConfig *o)
{
  g_clear_pointer (&o->url, g_free);
  g_clear_pointer (&o->ca_file, g_free);
  g_clear_pointer (&o->client_id, g_free);
}

static void
set_defaults (PsProfile *self)
{
  self->target.url = g_strdup ("https://api.assetpanda.com");
  self->target.dialect = PS_DIALECT_AUTO;
  self->target.concurrency = 4;
  self->target.rate_calls = 400;
  self->target.rate_window = 180;

  self->directory.uris = g_new0 (char *, 1);
  self->directory.tls_mode = PS_TLS_MODE_LDAPS;
  self->directory.page_size = 1000;
  self->directory.timeout = 30;
  self->directory.nested = PS_NESTED_CLIENT;
  self->directory.kind = PS_SERVER_KIND_AUTO;

  self->source_kind = PS_SOURCE_KIND_ACTIVE_DIRECTORY;
  self->entra.page_size = 999;
  self->entra.timeout = 60;
  self->okta.page_size = 200;
  self->okta.timeout = 60;

  self->schedule.enabled = FALSE;
  self->schedule.interval = PS_INTERVAL_DAILY;
  self->schedule.every_hours = 4;
  self->schedule.full_every_hours = 24;
}

static void
field_map_free (PsFieldMap *map)
{
  g_free (map->field);
  g_free (map->attribute);
  g_free (map);
}

/* A key-file reader that turns every problem into an error naming the key. */
typedef struct {
  GKeyFile   *kf;
  const char *group;
  GError    **error;
  gboolean    failed;
} Reader;

static gboolean
reader_has (Reader *r, const char *key)
{
  return !r->failed && g_key_file_has_key (r->kf, r->group, key, NULL);
}

static void
reader_fail (Reader *r, const char *key, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
reader_fail (Reader *r, const char *key, const char *format, ...)
{
  va_list args;
  g_autofree char *reason = NULL;

  if (r->failed)
    return;
  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  r->failed = TRUE;
  /* Translators: first %s is a section, second a key, third the reason */
  g_set_error (r->error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID,
               _("[%s] %s: %s"), r->group, key, reason);
}

static char *
reader_string (Reader *r, const char *key, const char *fallback)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *value = NULL;

  if (!reader_has (r, key))
    return g_strdup (fallback);
  value = g_key_file_get_string (r->kf, r->group, key, &local);
  if (value == NULL)
    {
      reader_fail (r, key, "%s", local->message);
      return g_strdup (fallback);
    }
  if (strlen (value) > PS_PROFILE_MAX_VALUE_LEN)
    {
      reader_fail (r, key, _("value is longer than %d bytes"), PS_PROFILE_MAX_VALUE_LEN);
      return g_strdup (fallback);
    }
  g_strstrip (value);
  if (*value == '\0')
    return g_strdup (fallback);
  return g_steal_pointer (&value);
}

static gboolean
reader_bool (Reader *r, const char *key, gboolean fallback)
{
  g_autofree char *value = reader_string (r, key, NULL);

  if (value == NULL)
    return fallback;
  if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1"))
    return TRUE;
  if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0"))
    return FALSE;
  reader_fail (r, key, _("“%s” is not true or false"), value);
  return fallback;
}

static guint
reader_uint (Reader *r, const char *key, guint fallback, guint min, guint max)
{
  g_autofree char *value = reader_string (r, key, NULL);
  guint64 number = 0;
  g_autoptr(GError) local = NULL;

  if (value == NULL)
    return fallback;
  if (!g_ascii_string_to_unsigned (value, 10, min, max, &number, &local))
    {
      reader_fail (r, key, _("“%s” is not a whole number from %u to %u"), value, min, max);
      return fallback;
    }
  return (guint) number;
}

static int
reader_enum (Reader *r, const char *key, const char *const *words, int fallback)
{
  g_autofree char *value = reader_string (r, key, NULL);
  int idx;

  if (value == NULL)
    return fallback;
  idx = word_index (words, value);
  if (idx < 0)
    {
      g_autofree char *choices = join_words (words);
      reader_fail (r, key, _("“%s” is not one of: %s"), value, choices);
      return fallback;
    }
  return idx;
}

static char **
reader_list (Reader *r, const char *key)
{
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) raw = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  if (!reader_has (r, key))
    return g_new0 (char *, 1);
  raw = g_key_file_get_string_list (r->kf, r->group, key, NULL, &local);
  if (raw == NULL)
    {
      reader_fail (r, key, "%s", local->message);
      return g_new0 (char *, 1);
    }
  for (guint i = 0; raw[i] != NULL; i++)
    {
      g_strstrip (raw[i]);
      if (strlen (raw[i]) > PS_PROFILE_MAX_VALUE_LEN)
        {
          reader_fail (r, key, _("value is longer than %d bytes"), PS_PROFILE_MAX_VALUE_LEN);
          break;
        }
      if (*raw[i] != '\0')
        g_ptr_array_add (out, g_strdup (raw[i]));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static gboolean
key_is_known (const char *const *known, const char *key)
{
  return g_strv_contains (known, key);
}

/* ---------------------------------------------------------------- mappings */

PsMapping *
ps_mapping_new (PsMappingKind kind,
                const char   *name)
{
  PsMapping *m = g_new0 (PsMapping, 1);

  m->kind = kind;
  m->name = g_strdup (name);
  m->enabled = TRUE;
  m->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_map_free);
  m->deactivation_threshold = -1;
  if (kind == PS_MAPPING_USERS)
    {
      m->email_attr = g_strdup ("mail|userPrincipalName");
      m->first_name_attr = g_strdup ("givenName");
      m->last_name_attr = g_strdup ("sn");
    }
  else
    {
      m->unique_id_attr = g_strdup ("objectSid");
    }
  return m;
}

void
ps_mapping_add_field (PsMapping   *mapping,
                      const char  *field,
                      const char  *attribute,
                      PsOwnership  ownership)
{
  PsFieldMap *map = g_new0 (PsFieldMap, 1);

  map->field = g_strdup (field);
  map->attribute = g_strdup (attribute);
  map->ownership = ownership;
  g_ptr_array_add (mapping->fields, map);
}

PsMapping *
ps_mapping_copy (const PsMapping *src)
{
  PsMapping *m = ps_mapping_new (src->kind, src->name);

#define COPY_STR(f) do { g_free (m->f); m->f = g_strdup (src->f); } while (0)
  COPY_STR (account);
  COPY_STR (module);
  COPY_STR (group);
  COPY_STR (group_name);
  COPY_STR (search_base);
  COPY_STR (filter);
  COPY_STR (role);
  COPY_STR (email_attr);
  COPY_STR (first_name_attr);
  COPY_STR (last_name_attr);
  COPY_STR (collection);
  COPY_STR (unique_id_attr);
  COPY_STR (unique_field);
  COPY_STR (status_field);
#undef COPY_STR
  m->enabled = src->enabled;
  m->match_only = src->match_only;
  m->deactivation_threshold = src->deactivation_threshold;
  for (guint i = 0; i < src->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (src->fields, i);
      ps_mapping_add_field (m, f->field, f->attribute, f->ownership);
    }
  return m;
}

void
ps_mapping_free (PsMapping *m)
{
  if (m == NULL)
    return;
  g_free (m->name);
  g_free (m->account);
  g_free (m->module);
  g_free (m->group);
  g_free (m->group_name);
  g_free (m->search_base);
  g_free (m->filter);
  g_free (m->role);
  g_free (m->email_attr);
  g_free (m->first_name_attr);
  g_free (m->last_name_attr);
  g_free (m->collection);
  g_free (m->unique_id_attr);
  g_free (m->unique_field);
  g_free (m->status_field);
  g_ptr_array_unref (m->fields);
  g_free (m);
}

/* An attribute or "a|b|c" fallbacks, in the syntax of @source; FALSE
 * (and the reader failed) if not. */
/* A Microsoft Graph property name, or a.b for a member of an object
 * property (onPremisesExtensionAttributes.extensionAttribute1). */
static gboolean
graph_name_is_valid (const char *name)
{
  gboolean start = TRUE;

  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (start)
            return FALSE;
          start = TRUE;
          continue;
        }
      if (start ? !g_ascii_isalpha (*p) : !(g_ascii_isalnum (*p) || *p == '_'))
        return FALSE;
      start = FALSE;
    }
  return !start;
}

static GStrv
split_for_source (PsSourceKind   source,
                  const char    *spec,
                  char         **reason)
{
  return ps_source_kind_split_attribute_spec (source, spec, reason);
}

static gboolean
reader_attribute (Reader       *r,
                  PsSourceKind  source,
                  const char   *key,
                  const char   *spec)
{
  g_autofree char *reason = NULL;
  g_auto(GStrv) names = NULL;

  if (spec == NULL)
    return TRUE;
  names = split_for_source (source, spec, &reason);
  if (names == NULL)
    {
      reader_fail (r, key, "%s", reason);
      return FALSE;
    }
  return TRUE;
}

static PsMapping *
read_mapping (GKeyFile      *kf,
              const char    *group,
              PsMappingKind  kind,
              const char    *name,
              PsSourceKind   source,
              GError       **error)
{
  Reader r = { kf, group, error, FALSE };
  g_autoptr(PsMapping) m = ps_mapping_new (kind, name);
  g_auto(GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  g_autofree char *threshold = NULL;
  gboolean okta = source == PS_SOURCE_KIND_OKTA;

  m->enabled = reader_bool (&r, "Enabled", TRUE);
  m->account = reader_string (&r, "Account", NULL);
  m->module = reader_string (&r, "Module", NULL);
  m->group = reader_string (&r, "Group", NULL);
  m->group_name = reader_string (&r, "GroupName", NULL);
  m->search_base = reader_string (&r, "SearchBase", NULL);
  m->filter = reader_string (&r, "Filter", NULL);
  if (m->filter != NULL && okta)
    {
      /* An Okta mapping's Filter is an Okta search expression. */
      g_autofree char *reason = NULL;
      g_autofree char *normal = ps_okta_search_parse (m->filter, NULL, &reason);

      if (normal == NULL)
        reader_fail (&r, "Filter", _("“%s” is not an Okta search expression: %s"), m->filter,
                     reason);
      else
        {
          g_free (m->filter);
          m->filter = g_steal_pointer (&normal);
        }
    }
  else if (m->filter != NULL)
    {
      g_autofree char *reason = NULL;
      g_autofree char *normal = ps_ldap_filter_parse (m->filter, NULL, &reason);

      if (normal == NULL)
        reader_fail (&r, "Filter", _("“%s” is not a valid LDAP filter: %s"), m->filter, reason);
      else
        {
          g_free (m->filter);
          m->filter = g_steal_pointer (&normal);
        }
    }
  m->match_only = reader_bool (&r, "MatchOnly", FALSE);

  threshold = reader_string (&r, "DeactivationThreshold", "auto");
  if (g_ascii_strcasecmp (threshold, "auto") == 0)
    m->deactivation_threshold = -1;
  else if (g_ascii_strcasecmp (threshold, "off") == 0)
    m->deactivation_threshold = 0;
  else
    {
      guint64 n = 0;
      if (g_ascii_string_to_unsigned (threshold, 10, 1, 1000000, &n, NULL))
        m->deactivation_threshold = (int) n;
      else
        reader_fail (&r, "DeactivationThreshold",
                     _("“%s” is not auto, off or a number of records"), threshold);
    }

  if (kind == PS_MAPPING_USERS)
    {
      g_free (m->email_attr);
      g_free (m->first_name_attr);
      g_free (m->last_name_attr);
      m->role = reader_string (&r, "Role", NULL);
      m->email_attr = reader_string (&r, "Email", okta ? "email" : "mail");
      m->first_name_attr = reader_string (&r, "FirstName", okta ? "firstName" : "givenName");
      m->last_name_attr = reader_string (&r, "LastName", okta ? "lastName" : "sn");
      reader_attribute (&r, source, "Email", m->email_attr);
      reader_attribute (&r, source, "FirstName", m->first_name_attr);
      reader_attribute (&r, source, "LastName", m->last_name_attr);
    }
  else
    {
      g_free (m->unique_id_attr);
      m->collection = reader_string (&r, "Collection", NULL);
      m->unique_id_attr = reader_string (&r, "UniqueIdentifier", okta ? "id" : "objectSid");
      m->unique_field = reader_string (&r, "UniqueField", NULL);
      m->status_field = reader_string (&r, "StatusField", NULL);
      if (okta && m->unique_id_attr != NULL && !ps_okta_attribute_is_valid (m->unique_id_attr))
        reader_fail (&r, "UniqueIdentifier",
                     _("“%s” is not one Okta attribute name (the identifier has no fallbacks; "
                       "id, the Okta user id, is recommended)"), m->unique_id_attr);
      else if (!okta && m->unique_id_attr != NULL
               && !ps_ldap_attribute_is_valid (m->unique_id_attr))
        reader_fail (&r, "UniqueIdentifier",
                     _("“%s” is not one directory attribute name (the identifier has no fallbacks)"),
                     m->unique_id_attr);
    }

  for (guint i = 0; keys != NULL && keys[i] != NULL && !r.failed; i++)
    {
      g_auto(GStrv) parts = NULL;
      PsOwnership own = kind == PS_MAPPING_USERS ? PS_OWNERSHIP_OVERWRITE
                                                 : PS_OWNERSHIP_NEVER_BLANK;
      const char *field;

      if (!g_str_has_prefix (keys[i], FIELD_PREFIX))
        continue;
      field = keys[i] + strlen (FIELD_PREFIX);
      parts = reader_list (&r, keys[i]);
      if (*field == '\0')
        {
          reader_fail (&r, keys[i], _("the field name after “Field.” is missing"));
          break;
        }
      if (parts[0] == NULL)
        {
          reader_fail (&r, keys[i], _("no directory attribute is given"));
          break;
        }
      if (parts[1] != NULL && !ps_ownership_from_string (parts[1], &own))
        {
          g_autofree char *choices = join_words (ownership_words);
          reader_fail (&r, keys[i], _("“%s” is not one of: %s"), parts[1], choices);
          break;
        }
      if (!reader_attribute (&r, source, keys[i], parts[0]))
        break;
      ps_mapping_add_field (m, field, parts[0], own);
    }

  if (r.failed)
    return NULL;
  return g_steal_pointer (&m);
}

/* ---------------------------------------------------------------- load */

static gboolean
parse_keyfile (PsProfile   *self,
               GKeyFile    *kf,
               GError     **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  g_autofree char *start = NULL;
  g_autofree char *rate = NULL;

  {
    Reader r = { kf, G_PROFILE, error, FALSE };
    guint version = reader_uint (&r, "Version", PROFILE_VERSION, 1, 1000);

    if (!r.failed && version > PROFILE_VERSION)
      reader_fail (&r, "Version",
                   _("this profile was written by a newer PandaSync (format %u; this version reads %d)"),
                   version, PROFILE_VERSION);
    g_free (self->id);
    self->id = reader_string (&r, "Id", NULL);
    self->credentials_file = reader_string (&r, "CredentialsFile", NULL);
    self->state_file = reader_string (&r, "StateFile", NULL);
    if (r.failed)
      return FALSE;
  }

  {
    Reader r = { kf, G_TARGET, error, FALSE };
    PsTargetConfig *t = &self->target;
    g_autofree char *url = reader_string (&r, "URL", t->url);

    g_free (t->url);
    t->url = g_steal_pointer (&url);
    t->dialect = reader_enum (&r, "Dialect", dialect_words, t->dialect);
    t->client_id = reader_string (&r, "ClientId", NULL);
    t->email = reader_string (&r, "Email", NULL);
    t->ca_file = reader_string (&r, "CAFile", NULL);
    t->concurrency = reader_uint (&r, "Concurrency", t->concurrency, 1, 16);
    t->rate_calls = reader_uint (&r, "RateCalls", t->rate_calls, 1, 100000);
    t->rate_window = reader_uint (&r, "RateWindow", t->rate_window, 1, 86400);
    if (r.failed)
      return FALSE;
  }

  {
    Reader r = { kf, G_DIRECTORY, error, FALSE };
    PsDirectoryConfig *d = &self->directory;

    g_strfreev (d->uris);
    d->uris = reader_list (&r, "URIs");
    d->domain = reader_string (&r, "Domain", NULL);
    d->tls_mode = reader_enum (&r, "TLS", tls_words, d->tls_mode);
    d->ca_file = reader_string (&r, "CAFile", NULL);
    d->allow_untrusted = reader_bool (&r, "AllowUntrustedCertificate", FALSE);
    d->allow_plaintext_bind = reader_bool (&r, "AllowPlaintextBind", FALSE);
    d->bind_dn = reader_string (&r, "BindDN", NULL);
    d->base_dn = reader_string (&r, "BaseDN", NULL);
    d->page_size = reader_uint (&r, "PageSize", d->page_size, 1, 1000);
    d->timeout = reader_uint (&r, "Timeout", d->timeout, 1, 3600);
    d->nested = reader_enum (&r, "NestedGroups", nested_words, d->nested);
    d->kind = reader_enum (&r, "Kind", kind_words, d->kind);
    if (r.failed)
      return FALSE;
  }

  if (g_key_file_has_group (kf, G_ENTRA))
    {
      Reader r = { kf, G_ENTRA, error, FALSE };
      PsEntraIdConfig *e = &self->entra;

      if (g_key_file_has_group (kf, G_DIRECTORY))
        reader_fail (&r, "Tenant", _("a profile reads one identity source: remove the [Directory] "
                                     "section, or this one"));
      self->source_kind = PS_SOURCE_KIND_ENTRA_ID;
      e->tenant = reader_string (&r, "Tenant", NULL);
      e->client_id = reader_string (&r, "ClientId", NULL);
      e->login_url = reader_string (&r, "LoginURL", NULL);
      e->graph_url = reader_string (&r, "GraphURL", NULL);
      e->ca_file = reader_string (&r, "CAFile", NULL);
      e->certificate_file = reader_string (&r, "CertificateFile", NULL);
      e->page_size = reader_uint (&r, "PageSize", e->page_size, 1, 999);
      e->timeout = reader_uint (&r, "Timeout", e->timeout, 1, 3600);
      if (r.failed)
        return FALSE;
    }

  if (g_key_file_has_group (kf, G_OKTA))
    {
      Reader r = { kf, G_OKTA, error, FALSE };
      PsOktaConfig *o = &self->okta;

      if (g_key_file_has_group (kf, G_DIRECTORY) || g_key_file_has_group (kf, G_ENTRA))
        reader_fail (&r, "URL", _("a profile reads one identity source: remove the [%s] "
                                  "section, or this one"),
                     g_key_file_has_group (kf, G_DIRECTORY) ? G_DIRECTORY : G_ENTRA);
      self->source_kind = PS_SOURCE_KIND_OKTA;
      o->url = reader_string (&r, "URL", NULL);
      o->ca_file = reader_string (&r, "CAFile", NULL);
      o->client_id = reader_string (&r, "ClientId", NULL);
      o->page_size = reader_uint (&r, "PageSize", o->page_size, 1, 200);
      o->timeout = reader_uint (&r, "Timeout", o->timeout, 1, 3600);
      if (r.failed)
        return FALSE;
    }

  {
    Reader r = { kf, G_SCHEDULE, error, FALSE };
    PsSchedule *s = &self->schedule;

    s->enabled = reader_bool (&r, "Enabled", s->enabled);
    start = reader_string (&r, "StartTime", NULL);
    if (start != NULL)
      {
        g_autoptr(GTimeZone) local = g_time_zone_new_local ();
        s->start = g_date_time_new_from_iso8601 (start, local);
        if (s->start == NULL)
          reader_fail (&r, "StartTime",
                       _("“%s” is not a date and time such as 2026-01-31T02:00:00"), start);
      }
    s->interval = reader_enum (&r, "Interval", interval_words, s->interval);
    s->every_hours = reader_uint (&r, "EveryHours", s->every_hours, 1, 168);
    s->full_every_hours = reader_uint (&r, "FullReconciliationHours", s->full_every_hours, 1, 24 * 31);
    if (r.failed)
      return FALSE;
  }

  for (guint i = 0; groups[i] != NULL; i++)
    {
      PsMappingKind kind;
      const char *name;
      PsMapping *m;

      if (g_str_has_prefix (groups[i], PREFIX_USERS))
        {
          kind = PS_MAPPING_USERS;
          name = groups[i] + strlen (PREFIX_USERS);
        }
      else if (g_str_has_prefix (groups[i], PREFIX_COLL))
        {
          kind = PS_MAPPING_COLLECTION;
          name = groups[i] + strlen (PREFIX_COLL);
        }
      else
        continue;

      if (*name == '\0')
        {
          g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID,
                       _("[%s]: a mapping needs a name after the section word"), groups[i]);
          return FALSE;
        }
      if (ps_profile_find_mapping (self, name) != NULL)
        {
          g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID,
                       _("[%s]: another mapping already has the name “%s”"), groups[i], name);
          return FALSE;
        }
      m = read_mapping (kf, groups[i], kind, name, self->source_kind, error);
      if (m == NULL)
        return FALSE;
      g_ptr_array_add (self->mappings, m);
    }

  return TRUE;
}

static char *
name_from_path (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  if (g_str_has_suffix (base, ".conf"))
    base[strlen (base) - strlen (".conf")] = '\0';
  return g_steal_pointer (&base);
}

PsProfile *
ps_profile_load_file (const char  *path,
                      GError     **error)
{
  g_autoptr(PsProfile) self = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  gsize length = 0;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, PS_PROFILE_ERROR,
                   saved == ENOENT ? PS_PROFILE_ERROR_NOT_FOUND : PS_PROFILE_ERROR_UNREADABLE,
                   _("Cannot read the profile %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNREADABLE,
                   _("Cannot read the profile %s: it is not a regular file"), path);
      return NULL;
    }
  if (st.st_size > PS_PROFILE_MAX_FILE_SIZE)
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT,
                   _("The profile %s is %lld bytes; a profile may be at most %d bytes"),
                   path, (long long) st.st_size, PS_PROFILE_MAX_FILE_SIZE);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNREADABLE,
                   _("Cannot read the profile %s: %s"), path, local->message);
      return NULL;
    }
  if (!g_utf8_validate_len (contents, length, NULL))
    {
      const char *end = NULL;
      guint line = 1;

      g_utf8_validate_len (contents, length, &end);
      for (const char *p = contents; p < end; p++)
        if (*p == '\n')
          line++;
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT,
                   _("The profile %s is not valid UTF-8 (line %u); fix or restore that line"),
                   path, line);
      return NULL;
    }
  if (!g_key_file_load_from_data (kf, contents, length,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local))
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT,
                   _("The profile %s is not a valid profile file: %s"), path, local->message);
      return NULL;
    }

  name = name_from_path (path);
  self = ps_profile_new (name);
  g_free (self->path);
  self->path = g_strdup (path);
  if (!parse_keyfile (self, kf, &local))
    {
      g_set_error (error, PS_PROFILE_ERROR, local->code,
                   _("The profile %s is not valid: %s"), path, local->message);
      return NULL;
    }
  if (self->id == NULL)
    self->id = g_strdup (name);
  g_key_file_free (self->keyfile);
  self->keyfile = g_steal_pointer (&kf);
  self->disk_etag = etag_of_data (contents, length);
  self->saved_etag = etag_of_profile (self);
  return g_steal_pointer (&self);
}

/**
 * ps_profile_snapshot:
 *
 * A snapshot of @self for a worker thread: the same identity, settings and
 * mappings as now, which later edits of @self do not touch. Call it on the
 * thread that edits @self.
 */
PsProfile *
ps_profile_snapshot (PsProfile *self)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) copy = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);

  data = ps_profile_to_data (self, &length);
  copy = ps_profile_new (self->name);
  g_free (copy->path);
  copy->path = g_strdup (self->path);
  if (!g_key_file_load_from_data (kf, data, length,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS, &error)
      || !parse_keyfile (copy, kf, &error))
    {
      /* Only a value the reader would refuse can get here (set in code
       * without validation); the copy then keeps what could be read. */
      g_warning ("The profile %s could not be copied whole: %s", self->name, error->message);
    }
  if (copy->id == NULL)
    copy->id = g_strdup (self->id);
  g_key_file_free (copy->keyfile);
  copy->keyfile = g_steal_pointer (&kf);
  return g_steal_pointer (&copy);
}

PsProfile *
ps_profile_load (const char  *name,
                 GError     **error)
{
  g_autofree char *path = NULL;

  if (!ps_profile_name_is_valid (name))
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND,
                   _("“%s” is not a valid profile name: use letters, digits, “-”, “_” and “.”"),
                   name);
      return NULL;
    }
  path = ps_profile_path_for_name (name);
  return ps_profile_load_file (path, error);
}

/* ---------------------------------------------------------------- save */

static void
set_or_remove (GKeyFile   *kf,
               const char *group,
               const char *key,
               const char *value)
{
  if (value != NULL && *value != '\0')
    g_key_file_set_string (kf, group, key, value);
  else
    g_key_file_remove_key (kf, group, key, NULL);
}

/* Whether the mapping sections of @kf are the first mappings of the
 * profile, in its order: then writing appends the new ones in place. */
static gboolean
mapping_groups_in_order (PsProfile *self,
                         GKeyFile  *kf)
{
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  guint next = 0;

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const PsMapping *m;
      const char *prefix;

      if (!g_str_has_prefix (groups[i], PREFIX_USERS) && !g_str_has_prefix (groups[i], PREFIX_COLL))
        continue;
      if (next >= self->mappings->len)
        return FALSE;
      m = g_ptr_array_index (self->mappings, next++);
      prefix = m->kind == PS_MAPPING_USERS ? PREFIX_USERS : PREFIX_COLL;
      if (!g_str_has_prefix (groups[i], prefix) || g_strcmp0 (groups[i] + strlen (prefix), m->name) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
write_mapping (GKeyFile        *kf,
               const PsMapping *m)
{
  g_autofree char *group = g_strconcat (m->kind == PS_MAPPING_USERS ? PREFIX_USERS : PREFIX_COLL,
                                        m->name, NULL);
  g_auto(GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);

  /* Values are set in place (GKeyFile would otherwise pile up blank lines);
   * only keys that no longer apply are removed. */
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      gboolean keep = FALSE;

      if (!g_str_has_prefix (keys[i], FIELD_PREFIX))
        continue;
      for (guint j = 0; j < m->fields->len && !keep; j++)
        {
          const PsFieldMap *f = g_ptr_array_index (m->fields, j);
          keep = g_str_equal (keys[i] + strlen (FIELD_PREFIX), f->field);
        }
      if (!keep)
        g_key_file_remove_key (kf, group, keys[i], NULL);
    }

  g_key_file_set_boolean (kf, group, "Enabled", m->enabled);
  set_or_remove (kf, group, "Account", m->account);
  set_or_remove (kf, group, "Module", m->module);
  set_or_remove (kf, group, "Group", m->group);
  set_or_remove (kf, group, "GroupName", m->group_name);
  set_or_remove (kf, group, "SearchBase", m->search_base);
  set_or_remove (kf, group, "Filter", m->filter);
  if (m->kind == PS_MAPPING_USERS)
    {
      set_or_remove (kf, group, "Role", m->role);
      set_or_remove (kf, group, "Email", m->email_attr);
      set_or_remove (kf, group, "FirstName", m->first_name_attr);
      set_or_remove (kf, group, "LastName", m->last_name_attr);
    }
  else
    {
      set_or_remove (kf, group, "Collection", m->collection);
      set_or_remove (kf, group, "UniqueIdentifier", m->unique_id_attr);
      set_or_remove (kf, group, "UniqueField", m->unique_field);
      set_or_remove (kf, group, "StatusField", m->status_field);
    }
  g_key_file_set_boolean (kf, group, "MatchOnly", m->match_only);
  if (m->deactivation_threshold < 0)
    g_key_file_set_string (kf, group, "DeactivationThreshold", "auto");
  else if (m->deactivation_threshold == 0)
    g_key_file_set_string (kf, group, "DeactivationThreshold", "off");
  else
    g_key_file_set_integer (kf, group, "DeactivationThreshold", m->deactivation_threshold);

  for (guint i = 0; i < m->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (m->fields, i);
      g_autofree char *key = g_strconcat (FIELD_PREFIX, f->field, NULL);
      const char *value[] = { f->attribute, ownership_words[f->ownership] };

      g_key_file_set_string_list (kf, group, key, value, 2);
    }
}

char *
ps_profile_to_data (PsProfile *self,
                    gsize     *length)
{
  GKeyFile *kf = self->keyfile;
  g_auto(GStrv) groups = NULL;
  PsTargetConfig *t = &self->target;
  PsDirectoryConfig *d = &self->directory;
  PsSchedule *s = &self->schedule;
  g_autoptr(GKeyFile) moved = g_key_file_new ();

  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);

  g_key_file_set_integer (kf, G_PROFILE, "Version", PROFILE_VERSION);
  set_or_remove (kf, G_PROFILE, "Id", self->id);
  set_or_remove (kf, G_PROFILE, "CredentialsFile", self->credentials_file);
  set_or_remove (kf, G_PROFILE, "StateFile", self->state_file);

  set_or_remove (kf, G_TARGET, "URL", t->url);
  g_key_file_set_string (kf, G_TARGET, "Dialect", dialect_words[t->dialect]);
  set_or_remove (kf, G_TARGET, "ClientId", t->client_id);
  set_or_remove (kf, G_TARGET, "Email", t->email);
  set_or_remove (kf, G_TARGET, "CAFile", t->ca_file);
  g_key_file_set_integer (kf, G_TARGET, "Concurrency", t->concurrency);
  g_key_file_set_integer (kf, G_TARGET, "RateCalls", t->rate_calls);
  g_key_file_set_integer (kf, G_TARGET, "RateWindow", t->rate_window);

  if (self->source_kind == PS_SOURCE_KIND_OKTA)
    {
      PsOktaConfig *o = &self->okta;

      g_key_file_remove_group (kf, G_DIRECTORY, NULL);
      g_key_file_remove_group (kf, G_ENTRA, NULL);
      set_or_remove (kf, G_OKTA, "URL", o->url);
      set_or_remove (kf, G_OKTA, "CAFile", o->ca_file);
      set_or_remove (kf, G_OKTA, "ClientId", o->client_id);
      g_key_file_set_integer (kf, G_OKTA, "PageSize", o->page_size);
      g_key_file_set_integer (kf, G_OKTA, "Timeout", o->timeout);
    }
  else if (self->source_kind == PS_SOURCE_KIND_ENTRA_ID)
    {
      PsEntraIdConfig *e = &self->entra;

      g_key_file_remove_group (kf, G_DIRECTORY, NULL);
      g_key_file_remove_group (kf, G_OKTA, NULL);
      set_or_remove (kf, G_ENTRA, "Tenant", e->tenant);
      set_or_remove (kf, G_ENTRA, "ClientId", e->client_id);
      set_or_remove (kf, G_ENTRA, "LoginURL", e->login_url);
      set_or_remove (kf, G_ENTRA, "GraphURL", e->graph_url);
      set_or_remove (kf, G_ENTRA, "CAFile", e->ca_file);
      set_or_remove (kf, G_ENTRA, "CertificateFile", e->certificate_file);
      g_key_file_set_integer (kf, G_ENTRA, "PageSize", e->page_size);
      g_key_file_set_integer (kf, G_ENTRA, "Timeout", e->timeout);
    }
  else
    {
      g_key_file_remove_group (kf, G_ENTRA, NULL);
      g_key_file_remove_group (kf, G_OKTA, NULL);
      if (d->uris != NULL && d->uris[0] != NULL)
        g_key_file_set_string_list (kf, G_DIRECTORY, "URIs", (const char *const *) d->uris,
                                    g_strv_length (d->uris));
      else
        g_key_file_remove_key (kf, G_DIRECTORY, "URIs", NULL);
      set_or_remove (kf, G_DIRECTORY, "Domain", d->domain);
      g_key_file_set_string (kf, G_DIRECTORY, "TLS", tls_words[d->tls_mode]);
      set_or_remove (kf, G_DIRECTORY, "CAFile", d->ca_file);
      g_key_file_set_boolean (kf, G_DIRECTORY, "AllowUntrustedCertificate", d->allow_untrusted);
      g_key_file_set_boolean (kf, G_DIRECTORY, "AllowPlaintextBind", d->allow_plaintext_bind);
      set_or_remove (kf, G_DIRECTORY, "BindDN", d->bind_dn);
      set_or_remove (kf, G_DIRECTORY, "BaseDN", d->base_dn);
      g_key_file_set_integer (kf, G_DIRECTORY, "PageSize", d->page_size);
      g_key_file_set_integer (kf, G_DIRECTORY, "Timeout", d->timeout);
      g_key_file_set_string (kf, G_DIRECTORY, "NestedGroups", nested_words[d->nested]);
      if (d->kind != PS_SERVER_KIND_AUTO)
        g_key_file_set_string (kf, G_DIRECTORY, "Kind", kind_words[d->kind]);
      else
        g_key_file_remove_key (kf, G_DIRECTORY, "Kind", NULL);
    }

  g_key_file_set_boolean (kf, G_SCHEDULE, "Enabled", s->enabled);
  if (s->start != NULL)
    {
      g_autofree char *iso = g_date_time_format (s->start, "%Y-%m-%dT%H:%M:%S");
      g_key_file_set_string (kf, G_SCHEDULE, "StartTime", iso);
    }
  else
    g_key_file_remove_key (kf, G_SCHEDULE, "StartTime", NULL);
  g_key_file_set_string (kf, G_SCHEDULE, "Interval", interval_words[s->interval]);
  g_key_file_set_integer (kf, G_SCHEDULE, "EveryHours", s->every_hours);
  g_key_file_set_integer (kf, G_SCHEDULE, "FullReconciliationHours", s->full_every_hours);

  /* Drop the sections of mappings that were removed, then write the rest. */
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *name = NULL;

      if (g_str_has_prefix (groups[i], PREFIX_USERS))
        name = groups[i] + strlen (PREFIX_USERS);
      else if (g_str_has_prefix (groups[i], PREFIX_COLL))
        name = groups[i] + strlen (PREFIX_COLL);
      if (name != NULL)
        {
          PsMapping *m = ps_profile_find_mapping (self, name);
          const char *want = m == NULL ? NULL
                             : m->kind == PS_MAPPING_USERS ? PREFIX_USERS : PREFIX_COLL;
          if (want == NULL || !g_str_has_prefix (groups[i], want))
            g_key_file_remove_group (kf, groups[i], NULL);
        }
    }
  /* First match wins, in file order: a reordered list rewrites the
   * mapping sections in the new order, with their keys and the comments
   * inside them. (GKeyFile keeps a comment above a section with the section
   * before it, so such a comment stays where it was.) */
  if (!mapping_groups_in_order (self, kf))
    {
      g_auto(GStrv) left = g_key_file_get_groups (kf, NULL);

      for (guint i = 0; left[i] != NULL; i++)
        if (g_str_has_prefix (left[i], PREFIX_USERS) || g_str_has_prefix (left[i], PREFIX_COLL))
          {
            g_auto(GStrv) keys = g_key_file_get_keys (kf, left[i], NULL, NULL);

            for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
              {
                g_autofree char *value = g_key_file_get_value (kf, left[i], keys[k], NULL);
                g_autofree char *key_comment = g_key_file_get_comment (kf, left[i], keys[k], NULL);

                g_key_file_set_value (moved, left[i], keys[k], value != NULL ? value : "");
                if (key_comment != NULL && *key_comment != '\0')
                  g_key_file_set_comment (moved, left[i], keys[k], key_comment, NULL);
              }
            g_key_file_remove_group (kf, left[i], NULL);
          }
    }
  for (guint i = 0; i < self->mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (self->mappings, i);
      g_autofree char *group = g_strconcat (m->kind == PS_MAPPING_USERS ? PREFIX_USERS : PREFIX_COLL,
                                            m->name, NULL);
      g_auto(GStrv) keys = g_key_file_get_keys (moved, group, NULL, NULL);

      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          g_autofree char *value = g_key_file_get_value (moved, group, keys[k], NULL);
          g_autofree char *key_comment = g_key_file_get_comment (moved, group, keys[k], NULL);

          g_key_file_set_value (kf, group, keys[k], value);
          if (key_comment != NULL)
            g_key_file_set_comment (kf, group, keys[k], key_comment, NULL);
        }
      write_mapping (kf, m);
    }

  return g_key_file_to_data (kf, length, NULL);
}

gboolean
ps_profile_save_to_file (PsProfile   *self,
                         const char  *path,
                         GError     **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) local = NULL;
  gsize length = 0;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* Never over a file someone edited since it was read: they decide. */
  if (g_strcmp0 (self->path, path) == 0 && ps_profile_changed_on_disk (self))
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CHANGED_ON_DISK,
                   _("The profile %s was changed by another program since PandaSync read it, so "
                     "it was not overwritten. Reload it, or keep PandaSync's version to save over "
                     "it."), path);
      return FALSE;
    }
  data = ps_profile_to_data (self, &length);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNWRITABLE,
                   _("Cannot create the folder %s for the profile: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  /* g_file_set_contents_full writes a temporary file and renames it over
   * the old one, so a failed save leaves the previous profile intact. */
  if (!g_file_set_contents_full (path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNWRITABLE,
                   _("Cannot save the profile %s: %s. The previous version was kept."),
                   path, local->message);
      return FALSE;
    }
  if (g_strcmp0 (self->path, path) != 0)
    {
      g_free (self->path);
      self->path = g_strdup (path);
    }
  g_free (self->disk_etag);
  self->disk_etag = etag_of_data (data, length);
  g_free (self->saved_etag);
  self->saved_etag = g_strdup (self->disk_etag);
  return TRUE;
}

gboolean
ps_profile_save (PsProfile  *self,
                 GError    **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);

  if (self->path != NULL)
    return ps_profile_save_to_file (self, self->path, error);
  path = ps_profile_path_for_name (self->name);
  return ps_profile_save_to_file (self, path, error);
}

/**
 * ps_profile_changed_on_disk:
 *
 * Whether the profile's file is no longer what PandaSync last read or wrote
 * (another program, or a hand edit, changed or removed it). A profile that
 * was never read from or written to its file has nothing to compare.
 */
gboolean
ps_profile_changed_on_disk (PsProfile *self)
{
  g_autofree char *now = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);

  if (self->disk_etag == NULL || self->path == NULL)
    return FALSE;
  now = etag_of_file (self->path);
  return g_strcmp0 (now, self->disk_etag) != 0;
}

/* Whether the profile in memory differs from what was last read or saved. */
gboolean
ps_profile_has_unsaved_changes (PsProfile *self)
{
  g_autofree char *now = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);

  if (self->saved_etag == NULL)
    return FALSE;
  now = etag_of_profile (self);
  return g_strcmp0 (now, self->saved_etag) != 0;
}

/**
 * ps_profile_reload:
 *
 * Reads the profile's file again into @self (the same object, so everyone
 * holding it sees the file's settings), then emits PsProfile::changed. On
 * an error @self is left as it was. Mappings of the old profile are freed:
 * look them up again by name.
 */
gboolean
ps_profile_reload (PsProfile  *self,
                   GError    **error)
{
  g_autoptr(PsProfile) fresh = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (self->path != NULL, FALSE);

  fresh = ps_profile_load_file (self->path, error);
  if (fresh == NULL)
    return FALSE;
  /* Trade places: @fresh takes the old settings away with it. */
#define SWAP(field) G_STMT_START { \
    __typeof__ (self->field) tmp = self->field; \
    self->field = fresh->field; \
    fresh->field = tmp; \
  } G_STMT_END
  SWAP (id);
  SWAP (credentials_file);
  SWAP (state_file);
  SWAP (keyfile);
  SWAP (target);
  SWAP (directory);
  SWAP (source_kind);
  SWAP (entra);
  SWAP (okta);
  SWAP (schedule);
  SWAP (mappings);
  SWAP (disk_etag);
  SWAP (saved_etag);
#undef SWAP
  g_signal_emit (self, signals[SIGNAL_RELOADED], 0);
  ps_profile_changed (self);
  return TRUE;
}

/* The administrator keeps PandaSync's version: the next save may replace
 * the file as it is now. */
void
ps_profile_keep_mine (PsProfile *self)
{
  g_return_if_fail (PS_IS_PROFILE (self));

  g_free (self->disk_etag);
  self->disk_etag = etag_of_file (self->path);
  /* Gone: nothing to protect; the save writes it again. */
}

/* ---------------------------------------------------------------- validate */

static void
problem (GPtrArray  *problems,
         const char *group,
         const char *key,
         const char *format,
         ...) G_GNUC_PRINTF (4, 5);

static void
problem (GPtrArray  *problems,
         const char *group,
         const char *key,
         const char *format,
         ...)
{
  va_list args;
  g_autofree char *reason = NULL;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (problems, g_strdup_printf ("[%s] %s: %s", group, key, reason));
}

static void
check_url (GPtrArray  *problems,
           const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local = NULL;

  if (url == NULL)
    {
      problem (problems, G_TARGET, "URL", _("the Asset Panda URL is missing"));
      return;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local);
  if (uri == NULL)
    problem (problems, G_TARGET, "URL", _("“%s” is not a URL: %s"), url, local->message);
  else if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
           && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
    problem (problems, G_TARGET, "URL", _("“%s” must start with https://"), url);
  else if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    problem (problems, G_TARGET, "URL", _("“%s” has no host name"), url);
}

static void
check_ldap_uri (GPtrArray         *problems,
                const PsDirectoryConfig *d,
                const char        *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NON_DNS, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || (g_strcmp0 (scheme, "ldap") != 0 && g_strcmp0 (scheme, "ldaps") != 0))
    {
      problem (problems, G_DIRECTORY, "URIs",
               _("“%s” is not an LDAP URL such as ldaps://dc1.example.com"), text);
      return;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    problem (problems, G_DIRECTORY, "URIs", _("“%s” has no host name"), text);
  if (g_str_equal (scheme, "ldaps") && d->tls_mode != PS_TLS_MODE_LDAPS)
    problem (problems, G_DIRECTORY, "TLS",
             _("“%s” is an ldaps:// URL, so TLS must be “ldaps”"), text);
  if (g_str_equal (scheme, "ldap") && d->tls_mode == PS_TLS_MODE_LDAPS)
    problem (problems, G_DIRECTORY, "TLS",
             _("“%s” is an ldap:// URL: use ldaps://, or set TLS to “starttls”"), text);
}

static void
check_attribute (GPtrArray    *problems,
                 PsSourceKind  source,
                 const char   *group,
                 const char   *key,
                 const char   *spec)
{
  g_autofree char *reason = NULL;
  g_auto(GStrv) names = NULL;

  if (spec == NULL)
    return;
  names = split_for_source (source, spec, &reason);
  if (names == NULL)
    problem (problems, group, key, "%s", reason);
}

static void
check_https (GPtrArray  *problems,
             const char *key,
             const char *url)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL)
    return;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
                      && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    problem (problems, G_ENTRA, key, _("“%s” is not an https:// URL"), url);
}

static void
check_entra (GPtrArray             *problems,
             const PsEntraIdConfig *e)
{
  if (e->tenant == NULL)
    problem (problems, G_ENTRA, "Tenant",
             _("give the tenant: its id (a GUID) or a verified domain such as contoso.onmicrosoft.com"));
  else if (strchr (e->tenant, '/') != NULL || strchr (e->tenant, ' ') != NULL)
    problem (problems, G_ENTRA, "Tenant", _("“%s” is neither a tenant id nor a domain name"), e->tenant);
  if (e->client_id == NULL)
    problem (problems, G_ENTRA, "ClientId", _("the application (client) ID of the app registration is missing"));
  check_https (problems, "LoginURL", e->login_url);
  check_https (problems, "GraphURL", e->graph_url);
}

static void
check_okta (GPtrArray          *problems,
            const PsOktaConfig *o)
{
  g_autofree char *reason = NULL;
  g_autofree char *url = ps_okta_org_url_check (o->url, &reason);

  if (url == NULL)
    problem (problems, G_OKTA, "URL", "%s", reason);
  if (o->client_id != NULL)
    problem (problems, G_OKTA, "ClientId",
             _("OAuth 2.0 service apps are not supported yet: remove ClientId and store an API "
               "token (okta-api-token)"));
}

static void
check_mapping (GPtrArray       *problems,
               PsSourceKind     source,
               const PsMapping *m)
{
  g_autofree char *group = g_strconcat (m->kind == PS_MAPPING_USERS ? PREFIX_USERS : PREFIX_COLL,
                                        m->name, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (m->account == NULL)
    problem (problems, group, "Account", _("choose the Asset Panda account"));
  if (m->group == NULL)
    problem (problems, group, "Group", _("choose the Active Directory group"));
  if (m->kind == PS_MAPPING_USERS)
    {
      if (m->role == NULL)
        problem (problems, group, "Role", _("choose the role new users get"));
      if (m->email_attr == NULL)
        problem (problems, group, "Email", _("map the email to a directory attribute"));
    }
  else
    {
      if (m->collection == NULL)
        problem (problems, group, "Collection", _("choose the collection"));
      if (m->unique_id_attr == NULL)
        problem (problems, group, "UniqueIdentifier",
                 _("choose the unique identifier (objectSid is recommended)"));
    }
  for (guint i = 0; i < m->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (m->fields, i);
      g_autofree char *key = g_strconcat (FIELD_PREFIX, f->field, NULL);

      if (!g_hash_table_add (seen, f->field))
        problem (problems, group, "Field", _("the field “%s” is mapped twice"), f->field);
      check_attribute (problems, source, group, key, f->attribute);
    }
  if (m->kind == PS_MAPPING_USERS)
    {
      check_attribute (problems, source, group, "Email", m->email_attr);
      check_attribute (problems, source, group, "FirstName", m->first_name_attr);
      check_attribute (problems, source, group, "LastName", m->last_name_attr);
    }
  else if (source == PS_SOURCE_KIND_OKTA)
    {
      if (m->unique_id_attr != NULL && !ps_okta_attribute_is_valid (m->unique_id_attr))
        problem (problems, group, "UniqueIdentifier",
                 _("“%s” is not one Okta attribute name (the identifier has no fallbacks; id, "
                   "the Okta user id, is recommended)"), m->unique_id_attr);
    }
  else if (m->unique_id_attr != NULL && !ps_ldap_attribute_is_valid (m->unique_id_attr))
    problem (problems, group, "UniqueIdentifier",
             _("“%s” is not one directory attribute name (the identifier has no fallbacks)"),
             m->unique_id_attr);
  if (m->filter != NULL && source == PS_SOURCE_KIND_OKTA)
    {
      g_autofree char *reason = NULL;
      g_autofree char *normal = ps_okta_search_parse (m->filter, NULL, &reason);

      if (normal == NULL)
        problem (problems, group, "Filter", _("“%s” is not an Okta search expression: %s"),
                 m->filter, reason);
    }
  else if (m->filter != NULL)
    {
      g_autofree char *reason = NULL;
      g_autofree char *normal = ps_ldap_filter_parse (m->filter, NULL, &reason);

      if (normal == NULL)
        problem (problems, group, "Filter", _("“%s” is not a valid LDAP filter: %s"), m->filter, reason);
    }
  if (m->search_base != NULL && source == PS_SOURCE_KIND_OKTA)
    problem (problems, group, "SearchBase",
             _("a search base is for LDAP directories: remove it; an Okta mapping is scoped by "
               "its group and its Filter"));
  else if (m->search_base != NULL && strchr (m->search_base, '=') == NULL)
    problem (problems, group, "SearchBase",
             _("“%s” is not a DN such as OU=Staff,DC=example,DC=com"), m->search_base);
}

static void
check_unknown_keys (GPtrArray         *problems,
                    GKeyFile          *kf,
                    const char        *group,
                    const char *const *known,
                    gboolean           allow_fields)
{
  g_auto(GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      if (key_is_known (known, keys[i]))
        continue;
      if (allow_fields && g_str_has_prefix (keys[i], FIELD_PREFIX))
        continue;
      problem (problems, group, keys[i], _("unknown key (misspelt? it is ignored)"));
    }
}

/**
 * ps_profile_validate:
 * @problems: (out) (optional): every problem found, as "[Section] Key: reason"
 *
 * Returns: %TRUE when the profile can be used for a sync.
 */
gboolean
ps_profile_validate (PsProfile  *self,
                     GPtrArray **problems)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) groups = NULL;
  PsDirectoryConfig *d = &self->directory;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);

  check_url (out, self->target.url);
  if (ps_target_config_effective_dialect (&self->target) == PS_DIALECT_CLASSIC
      && self->target.email == NULL)
    problem (out, G_TARGET, "Email", _("the email of the Asset Panda API user is missing"));
  if (self->target.client_id == NULL)
    problem (out, G_TARGET, "ClientId", _("the API client ID is missing"));

  if (self->source_kind == PS_SOURCE_KIND_OKTA)
    check_okta (out, &self->okta);
  else if (self->source_kind == PS_SOURCE_KIND_ENTRA_ID)
    check_entra (out, &self->entra);
  else if ((d->uris == NULL || d->uris[0] == NULL) && d->domain == NULL)
    problem (out, G_DIRECTORY, "URIs",
             _("give the LDAP URL of a domain controller, or the domain name to find one"));
  for (guint i = 0; self->source_kind == PS_SOURCE_KIND_ACTIVE_DIRECTORY && d->uris != NULL
                   && d->uris[i] != NULL; i++)
    check_ldap_uri (out, d, d->uris[i]);
  /* No BaseDN: the directory's own, from its rootDSE (defaultNamingContext,
   * or its one namingContexts). */
  if (self->source_kind == PS_SOURCE_KIND_ACTIVE_DIRECTORY && d->bind_dn == NULL)
    problem (out, G_DIRECTORY, "BindDN", _("the service account to bind as is missing"));
  if (self->source_kind == PS_SOURCE_KIND_ACTIVE_DIRECTORY
      && d->tls_mode == PS_TLS_MODE_NONE && !d->allow_plaintext_bind)
    problem (out, G_DIRECTORY, "TLS",
             _("without TLS the bind password crosses the network in clear text; "
               "use ldaps or starttls, or set AllowPlaintextBind=true"));
  if (d->kind == PS_SERVER_KIND_LDAP && d->nested == PS_NESTED_IN_CHAIN)
    problem (out, G_DIRECTORY, "NestedGroups",
             _("in-chain nesting needs Active Directory, but Kind is ldap; "
               "use NestedGroups=client"));

  if (self->schedule.enabled && self->schedule.start == NULL)
    problem (out, G_SCHEDULE, "StartTime", _("a schedule needs a start time"));

  for (guint i = 0; i < self->mappings->len; i++)
    check_mapping (out, self->source_kind, g_ptr_array_index (self->mappings, i));

  if (self->credentials_file != NULL && !g_path_is_absolute (self->credentials_file))
    problem (out, G_PROFILE, "CredentialsFile", _("“%s” must be an absolute path"),
             self->credentials_file);

  groups = g_key_file_get_groups (self->keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      if (g_str_equal (groups[i], G_PROFILE))
        check_unknown_keys (out, self->keyfile, groups[i], profile_keys, FALSE);
      else if (g_str_equal (groups[i], G_TARGET))
        check_unknown_keys (out, self->keyfile, groups[i], target_keys, FALSE);
      else if (g_str_equal (groups[i], G_DIRECTORY))
        check_unknown_keys (out, self->keyfile, groups[i], directory_keys, FALSE);
      else if (g_str_equal (groups[i], G_ENTRA))
        check_unknown_keys (out, self->keyfile, groups[i], entra_keys, FALSE);
      else if (g_str_equal (groups[i], G_OKTA))
        check_unknown_keys (out, self->keyfile, groups[i], okta_keys, FALSE);
      else if (g_str_equal (groups[i], G_SCHEDULE))
        check_unknown_keys (out, self->keyfile, groups[i], schedule_keys, FALSE);
      else if (g_str_has_prefix (groups[i], PREFIX_USERS) || g_str_has_prefix (groups[i], PREFIX_COLL))
        check_unknown_keys (out, self->keyfile, groups[i], mapping_keys, TRUE);
      else
        g_ptr_array_add (out, g_strdup_printf (_("[%s]: unknown section (misspelt? it is ignored)"),
                                               groups[i]));
    }

  if (problems != NULL)
    *problems = g_ptr_array_ref (out);
  return out->len == 0;
}

/* ---------------------------------------------------------------- GObject */

static void
ps_profile_finalize (GObject *object)
{
  PsProfile *self = PS_PROFILE (object);

  g_free (self->name);
  g_free (self->path);
  g_free (self->id);
  g_free (self->credentials_file);
  g_free (self->state_file);
  g_key_file_free (self->keyfile);
  clear_target (&self->target);
  clear_directory (&self->directory);
  clear_entra (&self->entra);
  clear_okta (&self->okta);
  g_clear_pointer (&self->schedule.start, g_date_time_unref);
  g_ptr_array_unref (self->mappings);
  g_free (self->disk_etag);
  g_free (self->saved_etag);

  G_OBJECT_CLASS (ps_profile_parent_class)->finalize (object);
}

static void
ps_profile_class_init (PsProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ps_profile_finalize;

  /**
   * PsProfile::changed:
   *
   * Emitted by ps_profile_changed() after the caller edited the profile.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * PsProfile::reloaded:
   *
   * Emitted by ps_profile_reload() once the file's settings replaced those
   * in memory, before PsProfile::changed: forms that hold settings of their
   * own show the profile again.
   */
  signals[SIGNAL_RELOADED] =
    g_signal_new ("reloaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ps_profile_init (PsProfile *self)
{
  self->keyfile = g_key_file_new ();
  self->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_mapping_free);
  set_defaults (self);
}

/* ---------------------------------------------------------------- public API */

PsProfile *
ps_profile_new (const char *name)
{
  PsProfile *self = g_object_new (PS_TYPE_PROFILE, NULL);

  self->name = g_strdup (name);
  self->id = g_strdup (name);
  return self;
}

const char *
ps_profile_get_name (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return self->name;
}

const char *
ps_profile_get_path (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return self->path;
}

/* The identity used for secrets and sync state; stable across renames of the file. */
const char *
ps_profile_get_id (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return self->id;
}

const char *
ps_profile_get_credentials_file (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return self->credentials_file;
}

void
ps_profile_set_credentials_file (PsProfile  *self,
                                 const char *path)
{
  g_return_if_fail (PS_IS_PROFILE (self));
  g_free (self->credentials_file);
  self->credentials_file = g_strdup (path);
}

const char *
ps_profile_get_state_file (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return self->state_file;
}

/* Where this profile's SQLite state lives: StateFile, or
 * $XDG_STATE_HOME/pandasync/ID.db. */
char *
ps_profile_dup_state_path (PsProfile *self)
{
  g_autofree char *file = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  if (self->state_file != NULL)
    return g_strdup (self->state_file);
  file = g_strconcat (self->id, ".db", NULL);
  return g_build_filename (g_get_user_state_dir (), "pandasync", file, NULL);
}

PsTargetConfig *
ps_profile_get_target (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return &self->target;
}

PsSourceKind
ps_profile_get_source_kind (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  return self->source_kind;
}

void
ps_profile_set_source_kind (PsProfile    *self,
                            PsSourceKind  kind)
{
  g_return_if_fail (PS_IS_PROFILE (self));
  self->source_kind = kind;
}

PsEntraIdConfig *
ps_profile_get_entra_id (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return &self->entra;
}

PsOktaConfig *
ps_profile_get_okta (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return &self->okta;
}

const char *
ps_source_kind_to_string (PsSourceKind kind)
{
  switch (kind)
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      return "entra-id";
    case PS_SOURCE_KIND_OKTA:
      return "okta";
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      return "active-directory";
    }
}

/**
 * ps_source_kind_split_attribute_spec:
 * @source: whose syntax the names are in
 * @spec: an attribute or fallbacks "a|b|c"
 * @reason: (out) (optional): why it is not, translated
 *
 * The names of @spec in the source's own syntax: LDAP attribute
 * descriptions, Microsoft Graph property names or Okta user attributes.
 * The profile checks a mapping's attributes with it, and the wizard what
 * is typed.
 *
 * Returns: (transfer full): the names, trimmed; NULL with @reason naming
 *   the bad part.
 */
GStrv
ps_source_kind_split_attribute_spec (PsSourceKind   source,
                                     const char    *spec,
                                     char         **reason)
{
  g_auto(GStrv) names = NULL;

  g_return_val_if_fail (spec != NULL, NULL);
  if (source == PS_SOURCE_KIND_OKTA)
    return ps_okta_attribute_spec_split (spec, reason);
  if (source != PS_SOURCE_KIND_ENTRA_ID)
    return ps_ldap_attribute_spec_split (spec, reason);
  /* the LDAP rules for the shape of the list, Graph's for each name */
  names = g_strsplit (spec, "|", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      char *name = g_strstrip (names[i]);

      if (!graph_name_is_valid (name))
        {
          if (reason == NULL)
            return NULL;
          *reason = *name == '\0'
            ? g_strdup_printf (_("“%s” has an empty alternative: write names between the “|”, as in "
                                 "mail|userPrincipalName"), spec)
            : g_strdup_printf (_("“%s” is not a Microsoft Graph property name (such as mail, surname "
                                 "or onPremisesExtensionAttributes.extensionAttribute1)"), name);
          return NULL;
        }
    }
  return g_steal_pointer (&names);
}

PsDirectoryConfig *
ps_profile_get_directory (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return &self->directory;
}

PsSchedule *
ps_profile_get_schedule (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return &self->schedule;
}

GPtrArray *
ps_profile_get_mappings (PsProfile *self)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  return self->mappings;
}

PsMapping *
ps_profile_find_mapping (PsProfile  *self,
                         const char *name)
{
  g_return_val_if_fail (PS_IS_PROFILE (self), NULL);
  for (guint i = 0; i < self->mappings->len; i++)
    {
      PsMapping *m = g_ptr_array_index (self->mappings, i);
      if (g_strcmp0 (m->name, name) == 0)
        return m;
    }
  return NULL;
}

/* Takes ownership of @mapping; replaces a mapping of the same name. */
void
ps_profile_add_mapping (PsProfile *self,
                        PsMapping *mapping)
{
  g_return_if_fail (PS_IS_PROFILE (self));
  g_return_if_fail (mapping != NULL && mapping->name != NULL);

  ps_profile_remove_mapping (self, mapping->name);
  g_ptr_array_add (self->mappings, mapping);
}

/**
 * ps_profile_replace_mapping:
 * @name: the mapping to replace
 * @mapping: (transfer full): its new version, which may have another name
 *
 * Puts @mapping where @name was, so the order (first match wins) stays.
 * Returns FALSE (and frees @mapping) when there is no mapping @name, or
 * when another mapping already has @mapping's name.
 */
gboolean
ps_profile_replace_mapping (PsProfile  *self,
                            const char *name,
                            PsMapping  *mapping)
{
  g_autoptr(PsMapping) owned = mapping;
  PsMapping *old, *other;
  guint index;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (mapping != NULL && mapping->name != NULL, FALSE);

  old = ps_profile_find_mapping (self, name);
  other = ps_profile_find_mapping (self, mapping->name);
  if (old == NULL || (other != NULL && other != old))
    return FALSE;
  g_ptr_array_find (self->mappings, old, &index);
  ps_mapping_free (self->mappings->pdata[index]);
  self->mappings->pdata[index] = g_steal_pointer (&owned);
  return TRUE;
}

/* Moves the mapping @name to @index of the list (clamped to its end). */
gboolean
ps_profile_move_mapping (PsProfile  *self,
                         const char *name,
                         guint       index)
{
  PsMapping *m;
  guint from;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);
  m = ps_profile_find_mapping (self, name);
  if (m == NULL)
    return FALSE;
  g_ptr_array_find (self->mappings, m, &from);
  g_ptr_array_steal_index (self->mappings, from);
  g_ptr_array_insert (self->mappings, (int) MIN (index, self->mappings->len), m);
  return TRUE;
}

gboolean
ps_profile_remove_mapping (PsProfile  *self,
                           const char *name)
{
  PsMapping *m;

  g_return_val_if_fail (PS_IS_PROFILE (self), FALSE);
  m = ps_profile_find_mapping (self, name);
  if (m == NULL)
    return FALSE;
  return g_ptr_array_remove (self->mappings, m);
}

void
ps_profile_changed (PsProfile *self)
{
  g_return_if_fail (PS_IS_PROFILE (self));
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

PsDialect
ps_target_config_effective_dialect (const PsTargetConfig *target)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (target->dialect != PS_DIALECT_AUTO)
    return target->dialect;
  uri = target->url != NULL ? g_uri_parse (target->url, G_URI_FLAGS_NONE, NULL) : NULL;
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host != NULL && (g_str_equal (host, "assetpanda.app") || g_str_has_suffix (host, ".assetpanda.app")))
    return PS_DIALECT_PRO;
  return PS_DIALECT_CLASSIC;
}

char *
ps_profile_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "pandasync", "profiles", NULL);
}

gboolean
ps_profile_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || *name == '.' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

char *
ps_profile_path_for_name (const char *name)
{
  g_autofree char *dir = ps_profile_dir ();
  g_autofree char *file = g_strconcat (name, ".conf", NULL);

  return g_build_filename (dir, file, NULL);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

GPtrArray *
ps_profile_list_names (GError **error)
{
  g_autofree char *path = ps_profile_dir ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local = NULL;
  const char *entry;

  dir = g_dir_open (path, 0, &local);
  if (dir == NULL)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&names);
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNREADABLE,
                   _("Cannot list the profiles in %s: %s"), path, local->message);
      return NULL;
    }
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *name = NULL;
      if (!g_str_has_suffix (entry, ".conf"))
        continue;
      name = name_from_path (entry);
      if (ps_profile_name_is_valid (name))
        g_ptr_array_add (names, g_steal_pointer (&name));
    }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

const char *
ps_dialect_to_string (PsDialect dialect)
{
  return dialect_words[dialect];
}

const char *
ps_tls_mode_to_string (PsTlsMode mode)
{
  return tls_words[mode];
}

const char *
ps_nested_mode_to_string (PsNestedMode mode)
{
  return nested_words[mode];
}

const char *
ps_interval_to_string (PsIntervalKind kind)
{
  return interval_words[kind];
}

const char *
ps_ownership_to_string (PsOwnership ownership)
{
  return ownership_words[ownership];
}

gboolean
ps_ownership_from_string (const char  *text,
                          PsOwnership *out)
{
  int idx = text != NULL ? word_index (ownership_words, text) : -1;

  if (idx < 0)
    return FALSE;
  *out = (PsOwnership) idx;
  return TRUE;
}

/* ---------------------------------------------------------------- schedule */

GTimeSpan
ps_schedule_period (const PsSchedule *schedule)
{
  switch (schedule->interval)
    {
    case PS_INTERVAL_HOURLY:
      return G_TIME_SPAN_HOUR;
    case PS_INTERVAL_HOURS:
      return MAX (1, schedule->every_hours) * G_TIME_SPAN_HOUR;
    case PS_INTERVAL_WEEKLY:
      return 7 * G_TIME_SPAN_DAY;
    case PS_INTERVAL_DAILY:
    default:
      return G_TIME_SPAN_DAY;
    }
}

/**
 * ps_schedule_next_run:
 * @last_run: (nullable): when the last run started, from persisted state
 * @now: the current time (injectable for tests)
 *
 * The schedule's slots are start + k × period. The next run is the first slot
 * after @last_run (or the start itself when nothing ran yet). A result at or
 * before @now means "due now": missed slots are coalesced into one run.
 *
 * Returns: (transfer full) (nullable): %NULL when no schedule is set.
 */
GDateTime *
ps_schedule_next_run (const PsSchedule *schedule,
                      GDateTime        *last_run,
                      GDateTime        *now)
{
  GTimeSpan period = ps_schedule_period (schedule);
  GTimeSpan since;
  gint64 k;

  if (!schedule->enabled || schedule->start == NULL)
    return NULL;
  if (last_run == NULL || g_date_time_compare (last_run, schedule->start) < 0)
    return g_date_time_ref (schedule->start);

  since = g_date_time_difference (last_run, schedule->start);
  k = since / period + 1;
  /* A run that never happened after a long gap: the next slot after last_run
   * may still be before now; that is fine, the caller runs it once. */
  (void) now;
  return g_date_time_add (schedule->start, k * period);
}

/* ps-directory-entry.c — one directory entry, with AD values decoded
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ldap.h>
#include <glib/gi18n.h>

#include "ps-directory-entry.h"
#include "ps-directory-error.h"

/* An entry keeps its DN, attribute names and values in one buffer: a page of
 * a thousand entries with ten attributes would otherwise cost tens of
 * thousands of small allocations. GBytes are made only when asked for. */
typedef struct {
  gsize offset;
  gsize length;
} Span;

typedef struct {
  gsize name;          /* offset of the NUL-terminated name in data */
  guint n_values;
  Span first;
  GArray *more;        /* Span: the second value on */
  GPtrArray *bytes;    /* GBytes, made by get_values () */
} Attribute;

struct _PsDirectoryEntry {
  char      *dn;
  GString   *data;
  GArray    *attributes;  /* Attribute; a handful per entry, so a list is fastest */
};

G_DEFINE_BOXED_TYPE (PsDirectoryEntry, ps_directory_entry,
                     ps_directory_entry_ref, ps_directory_entry_unref)

/* 100 ns ticks between 1601-01-01 and 1970-01-01 */
#define FILETIME_UNIX_EPOCH G_GINT64_CONSTANT (116444736000000000)

/* ---------------------------------------------------------------- helpers */

static void
attribute_clear (gpointer data)
{
  Attribute *a = data;

  g_clear_pointer (&a->more, g_array_unref);
  g_clear_pointer (&a->bytes, g_ptr_array_unref);
}

static const char *
attribute_name (PsDirectoryEntry *self,
                Attribute        *a)
{
  return self->data->str + a->name;
}

static Attribute *
find_attribute (PsDirectoryEntry *self,
                const char       *name)
{
  char first = g_ascii_tolower (name[0]);

  for (guint i = 0; i < self->attributes->len; i++)
    {
      Attribute *a = &g_array_index (self->attributes, Attribute, i);
      const char *have = attribute_name (self, a);

      /* cheap first-letter test: this runs for every value of every entry */
      if (g_ascii_tolower (have[0]) == first && g_ascii_strcasecmp (have, name) == 0)
        return a;
    }
  return NULL;
}

static gboolean
value_is (const char *value,
          gsize       length,
          const char *name)
{
  return length == strlen (name) && g_ascii_strncasecmp (value, name, length) == 0;
}

static const Span *
value_span (Attribute *a,
            guint      index)
{
  if (index >= a->n_values)
    return NULL;
  if (index == 0)
    return &a->first;
  return &g_array_index (a->more, Span, index - 1);
}

/* The value's bytes; valid until the entry gets another value. */
static const char *
value_data (PsDirectoryEntry *self,
            Attribute        *a,
            guint             index,
            gsize            *length)
{
  const Span *span = value_span (a, index);

  if (span == NULL)
    return NULL;
  *length = span->length;
  return self->data->str + span->offset;
}

static gboolean
is_sid_attribute (const char *name)
{
  return g_ascii_strcasecmp (name, "objectSid") == 0;
}

static gboolean
is_guid_attribute (const char *name)
{
  return g_ascii_strcasecmp (name, "objectGUID") == 0
      || g_ascii_strcasecmp (name, "invocationId") == 0;
}

static char *
decode_value (const char  *attribute,
              const char  *value,
              gsize        length,
              GError     **error)
{
  const guint8 *data = (const guint8 *) value;

  if (is_sid_attribute (attribute))
    {
      char *sid = ps_directory_sid_to_string (data, length);

      if (sid == NULL)
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_VALUE,
                     _("The %s value is not a security identifier (%lu bytes)"),
                     attribute, (unsigned long) length);
      return sid;
    }
  if (is_guid_attribute (attribute))
    {
      char *guid = ps_directory_guid_to_string (data, length);

      if (guid == NULL)
        g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_VALUE,
                     _("The %s value is not a GUID (%lu bytes)"),
                     attribute, (unsigned long) length);
      return guid;
    }
  if (memchr (value, '\0', length) != NULL || !g_utf8_validate (value, length, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (value, length);

      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_VALUE,
                   _("The %s value “%s” is not valid UTF-8 text"), attribute, shown);
      return NULL;
    }
  return g_strndup (value, length);
}

/* ---------------------------------------------------------------- entry */

PsDirectoryEntry *
ps_directory_entry_new (const char *dn)
{
  PsDirectoryEntry *self = g_atomic_rc_box_new0 (PsDirectoryEntry);

  self->dn = g_strdup (dn);
  self->data = g_string_sized_new (256);
  self->attributes = g_array_sized_new (FALSE, TRUE, sizeof (Attribute), 12);
  g_array_set_clear_func (self->attributes, attribute_clear);
  return self;
}

static void
entry_clear (gpointer data)
{
  PsDirectoryEntry *self = data;

  g_free (self->dn);
  g_string_free (self->data, TRUE);
  g_array_unref (self->attributes);
}

PsDirectoryEntry *
ps_directory_entry_ref (PsDirectoryEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
ps_directory_entry_unref (PsDirectoryEntry *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, entry_clear);
}

void
ps_directory_entry_add_value (PsDirectoryEntry *self,
                              const char       *attribute,
                              const void       *data,
                              gsize             length)
{
  Attribute *a;
  Span span;

  g_return_if_fail (self != NULL);
  g_return_if_fail (attribute != NULL);

  a = find_attribute (self, attribute);
  if (a == NULL)
    {
      Attribute fresh = { 0 };

      fresh.name = self->data->len;
      g_string_append_len (self->data, attribute, strlen (attribute) + 1);
      g_array_append_val (self->attributes, fresh);
      a = &g_array_index (self->attributes, Attribute, self->attributes->len - 1);
    }
  span.offset = self->data->len;
  span.length = length;
  g_string_append_len (self->data, data, length);
  if (a->n_values == 0)
    a->first = span;
  else
    {
      if (a->more == NULL)
        a->more = g_array_new (FALSE, FALSE, sizeof (Span));
      g_array_append_val (a->more, span);
    }
  a->n_values++;
  g_clear_pointer (&a->bytes, g_ptr_array_unref);
}

const char *
ps_directory_entry_get_dn (PsDirectoryEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dn;
}

gboolean
ps_directory_entry_has_attribute (PsDirectoryEntry *self,
                                  const char       *attribute)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return find_attribute (self, attribute) != NULL;
}

GPtrArray *
ps_directory_entry_list_attributes (PsDirectoryEntry *self)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->attributes->len; i++)
    g_ptr_array_add (names, g_strdup (attribute_name (self, &g_array_index (self->attributes, Attribute, i))));
  return names;
}

guint
ps_directory_entry_get_n_values (PsDirectoryEntry *self,
                                 const char       *attribute)
{
  Attribute *a;

  g_return_val_if_fail (self != NULL, 0);
  a = find_attribute (self, attribute);
  return a != NULL ? a->n_values : 0;
}

const char *
ps_directory_entry_get_value (PsDirectoryEntry *self,
                              const char       *attribute,
                              guint             index,
                              gsize            *length)
{
  Attribute *a;
  gsize dummy;

  g_return_val_if_fail (self != NULL, NULL);
  a = find_attribute (self, attribute);
  if (a == NULL)
    return NULL;
  return value_data (self, a, index, length != NULL ? length : &dummy);
}

GPtrArray *
ps_directory_entry_get_values (PsDirectoryEntry *self,
                               const char       *attribute)
{
  Attribute *a;

  g_return_val_if_fail (self != NULL, NULL);
  a = find_attribute (self, attribute);
  if (a == NULL)
    return NULL;
  if (a->bytes == NULL)
    {
      a->bytes = g_ptr_array_new_full (a->n_values, (GDestroyNotify) g_bytes_unref);
      for (guint i = 0; i < a->n_values; i++)
        {
          gsize length = 0;
          const char *data = value_data (self, a, i, &length);

          g_ptr_array_add (a->bytes, g_bytes_new (data, length));
        }
    }
  return a->bytes;
}

char *
ps_directory_entry_dup_string (PsDirectoryEntry  *self,
                               const char        *attribute,
                               GError           **error)
{
  const char *value;
  gsize length = 0;

  g_return_val_if_fail (self != NULL, NULL);
  value = ps_directory_entry_get_value (self, attribute, 0, &length);
  if (value == NULL)
    return NULL;
  return decode_value (attribute, value, length, error);
}

GStrv
ps_directory_entry_dup_strings (PsDirectoryEntry  *self,
                                const char        *attribute,
                                GError           **error)
{
  Attribute *a = find_attribute (self, attribute);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (a == NULL)
    return NULL;
  for (guint i = 0; i < a->n_values; i++)
    {
      gsize length = 0;
      const char *data = value_data (self, a, i, &length);
      char *text = decode_value (attribute, data, length, error);

      if (text == NULL)
        return NULL;
      g_strv_builder_add (builder, text);
      g_free (text);
    }
  return g_strv_builder_end (builder);
}

gboolean
ps_directory_entry_get_int64 (PsDirectoryEntry *self,
                              const char       *attribute,
                              gint64           *out)
{
  gsize length = 0;
  const char *data = ps_directory_entry_get_value (self, attribute, 0, &length);
  char buffer[32];
  char *end = NULL;
  gint64 number;

  if (data == NULL || length == 0 || length >= sizeof buffer)
    return FALSE;
  memcpy (buffer, data, length);
  buffer[length] = '\0';
  errno = 0;
  number = g_ascii_strtoll (buffer, &end, 10);
  if (errno != 0 || end == buffer || *end != '\0')
    return FALSE;
  if (out != NULL)
    *out = number;
  return TRUE;
}

char *
ps_directory_entry_dup_sid (PsDirectoryEntry *self)
{
  gsize length = 0;
  const char *data = ps_directory_entry_get_value (self, "objectSid", 0, &length);

  if (data == NULL)
    return NULL;
  return ps_directory_sid_to_string ((const guint8 *) data, length);
}

char *
ps_directory_entry_dup_guid (PsDirectoryEntry *self)
{
  gsize length = 0;
  const char *data = ps_directory_entry_get_value (self, "objectGUID", 0, &length);

  if (data == NULL)
    return NULL;
  return ps_directory_guid_to_string ((const guint8 *) data, length);
}

guint32
ps_directory_entry_get_uac (PsDirectoryEntry *self)
{
  gint64 uac = 0;

  if (!ps_directory_entry_get_int64 (self, "userAccountControl", &uac))
    return 0;
  /* AD sends it as a signed 32-bit integer */
  return (guint32) (uac & 0xFFFFFFFF);
}

gint64
ps_directory_entry_get_account_expires (PsDirectoryEntry *self)
{
  gint64 expires = 0;

  if (!ps_directory_entry_get_int64 (self, "accountExpires", &expires))
    return 0;
  return expires;
}

gboolean
ps_directory_entry_get_locked (PsDirectoryEntry *self)
{
  gint64 lockout = 0;

  if (ps_directory_entry_get_uac (self) & PS_UAC_LOCKOUT)
    return TRUE;
  return ps_directory_entry_get_int64 (self, "lockoutTime", &lockout) && lockout != 0;
}

/**
 * ps_directory_entry_get_enabled:
 *
 * FALSE when bit 0x2 (ACCOUNTDISABLE) of userAccountControl is set, or when
 * accountExpires is a time in the past. 0 and 0x7FFFFFFFFFFFFFFF mean never.
 */
gboolean
ps_directory_entry_get_enabled (PsDirectoryEntry *self)
{
  gint64 expires;

  g_return_val_if_fail (self != NULL, FALSE);
  if (ps_directory_entry_get_uac (self) & PS_UAC_ACCOUNTDISABLE)
    return FALSE;
  expires = ps_directory_entry_get_account_expires (self);
  if (!ps_directory_filetime_is_never (expires))
    {
      gint64 now = g_get_real_time () * 10 + FILETIME_UNIX_EPOCH;

      if (expires <= now)
        return FALSE;
    }
  return TRUE;
}

guint64
ps_directory_entry_get_usn_changed (PsDirectoryEntry *self)
{
  gint64 usn = 0;

  if (!ps_directory_entry_get_int64 (self, "uSNChanged", &usn) || usn < 0)
    return 0;
  return (guint64) usn;
}

GDateTime *
ps_directory_entry_dup_when_changed (PsDirectoryEntry *self)
{
  g_autofree char *text = ps_directory_entry_dup_string (self, "whenChanged", NULL);

  if (text == NULL)
    return NULL;
  return ps_directory_generalized_time_parse (text);
}

/**
 * ps_directory_entry_get_member_kind:
 *
 * What the entry is as a group member, from its own objectClass values and
 * never from what the server says it is: AD's computer class derives from
 * user and person, and its contact from person, so those are tested first.
 * PS_DIRECTORY_MEMBER_UNKNOWN when none matches (or objectClass was not read).
 */
PsDirectoryMemberKind
ps_directory_entry_get_member_kind (PsDirectoryEntry *self)
{
  static const char *const group_classes[] = { "group", "groupOfNames", "groupOfUniqueNames", NULL };
  static const char *const person_classes[] = { "user", "inetOrgPerson", "person", "organizationalPerson",
                                                NULL };
  gboolean group = FALSE;
  gboolean person = FALSE;
  gboolean contact = FALSE;
  gboolean foreign = FALSE;
  guint n;

  g_return_val_if_fail (self != NULL, PS_DIRECTORY_MEMBER_UNKNOWN);
  n = ps_directory_entry_get_n_values (self, "objectClass");
  for (guint i = 0; i < n; i++)
    {
      gsize length = 0;
      const char *value = ps_directory_entry_get_value (self, "objectClass", i, &length);

      if (value_is (value, length, "computer"))
        return PS_DIRECTORY_MEMBER_COMPUTER;
      contact = contact || value_is (value, length, "contact");
      foreign = foreign || value_is (value, length, "foreignSecurityPrincipal");
      for (guint j = 0; group_classes[j] != NULL; j++)
        group = group || value_is (value, length, group_classes[j]);
      for (guint j = 0; person_classes[j] != NULL; j++)
        person = person || value_is (value, length, person_classes[j]);
    }
  if (foreign)
    return PS_DIRECTORY_MEMBER_FOREIGN_PRINCIPAL;
  if (contact)
    return PS_DIRECTORY_MEMBER_CONTACT;
  if (group)
    return PS_DIRECTORY_MEMBER_GROUP;
  if (person)
    return PS_DIRECTORY_MEMBER_PERSON;
  return PS_DIRECTORY_MEMBER_UNKNOWN;
}

/* ---------------------------------------------------------------- codecs */

/**
 * ps_directory_sid_to_string:
 *
 * Binary SID (revision, count, 48-bit big-endian authority, count × 32-bit
 * little-endian sub-authorities) → "S-1-5-21-…". NULL if malformed.
 */
static char *
append_decimal (char    *p,
                guint64  value)
{
  char digits[24];
  int n = 0;

  do
    {
      digits[n++] = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value > 0);
  while (n > 0)
    *p++ = digits[--n];
  return p;
}

/**
 * ps_directory_sid_to_string:
 *
 * Binary SID (revision, count, 48-bit big-endian authority, count × 32-bit
 * little-endian sub-authorities) → "S-1-5-21-…". NULL if malformed.
 */
char *
ps_directory_sid_to_string (const guint8 *data,
                            gsize         length)
{
  /* "S-" + 3 + "-" + 15 + 15 × ("-" + 10) */
  char text[2 + 3 + 1 + 15 + 15 * 11 + 1];
  char *p = text;
  guint count;
  guint64 authority = 0;

  if (data == NULL || length < 8)
    return NULL;
  count = data[1];
  if (data[0] != 1 || count > 15 || length != 8 + 4 * (gsize) count)
    return NULL;
  for (guint i = 2; i < 8; i++)
    authority = (authority << 8) | data[i];
  *p++ = 'S';
  *p++ = '-';
  p = append_decimal (p, data[0]);
  *p++ = '-';
  p = append_decimal (p, authority);
  for (guint i = 0; i < count; i++)
    {
      const guint8 *q = data + 8 + 4 * i;
      guint32 sub = (guint32) q[0] | ((guint32) q[1] << 8) | ((guint32) q[2] << 16) | ((guint32) q[3] << 24);

      *p++ = '-';
      p = append_decimal (p, sub);
    }
  return g_strndup (text, p - text);
}

static GBytes *
invalid_sid (const char  *text,
             GError     **error)
{
  g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a security identifier such as S-1-5-21-…"), text != NULL ? text : "");
  return NULL;
}

static gboolean
parse_decimal (const char *text,
               guint64     max,
               guint64    *out)
{
  return text[0] != '\0' && text[0] != '-' && text[0] != '+'
      && g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

GBytes *
ps_directory_sid_from_string (const char  *text,
                              GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GByteArray) out = NULL;
  guint n;
  guint64 revision;
  guint64 authority;
  guint8 header[8];

  if (text == NULL || (text[0] != 'S' && text[0] != 's') || text[1] != '-')
    return invalid_sid (text, error);
  parts = g_strsplit (text + 2, "-", -1);
  n = g_strv_length (parts);
  if (n < 2 || n - 2 > 15
      || !parse_decimal (parts[0], 255, &revision) || revision != 1
      || !parse_decimal (parts[1], G_GUINT64_CONSTANT (0xFFFFFFFFFFFF), &authority))
    return invalid_sid (text, error);
  header[0] = 1;
  header[1] = (guint8) (n - 2);
  for (guint i = 0; i < 6; i++)
    header[2 + i] = (guint8) (authority >> (8 * (5 - i)));
  out = g_byte_array_new ();
  g_byte_array_append (out, header, sizeof header);
  for (guint i = 2; i < n; i++)
    {
      guint64 sub;
      guint8 le[4];

      if (!parse_decimal (parts[i], G_MAXUINT32, &sub))
        return invalid_sid (text, error);
      le[0] = sub & 0xFF;
      le[1] = (sub >> 8) & 0xFF;
      le[2] = (sub >> 16) & 0xFF;
      le[3] = (sub >> 24) & 0xFF;
      g_byte_array_append (out, le, sizeof le);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/**
 * ps_directory_guid_to_string:
 *
 * objectGUID bytes → "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in the form AD
 * tools show: the first three groups are little-endian in the bytes.
 */
char *
ps_directory_guid_to_string (const guint8 *d,
                             gsize         length)
{
  /* wire byte for each pair of hex digits of the text form */
  static const guint8 order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
  static const char hex[] = "0123456789abcdef";
  char *text;
  char *p;

  if (d == NULL || length != 16)
    return NULL;
  text = g_malloc (37);
  p = text;
  for (guint i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        *p++ = '-';
      *p++ = hex[d[order[i]] >> 4];
      *p++ = hex[d[order[i]] & 0xF];
    }
  *p = '\0';
  return text;
}

GBytes *
ps_directory_guid_from_string (const char  *text,
                               GError     **error)
{
  /* byte index in the wire form for each hex pair of the text form */
  static const guint8 order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
  guint8 out[16];
  g_autofree char *hex = NULL;
  GString *digits;
  const char *p = text;

  if (text == NULL)
    p = "";
  if (*p == '{')
    p++;
  digits = g_string_new (NULL);
  for (guint i = 0; p[i] != '\0' && p[i] != '}'; i++)
    {
      gboolean dash_ok = (digits->len == 8 || digits->len == 12 || digits->len == 16 || digits->len == 20);

      if (p[i] == '-' && dash_ok)
        continue;
      g_string_append_c (digits, p[i]);
    }
  hex = g_string_free (digits, FALSE);
  if (strlen (hex) != 32 || (text != NULL && text[0] == '{' && text[strlen (text) - 1] != '}'))
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a GUID such as 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
                   text != NULL ? text : "");
      return NULL;
    }
  for (guint i = 0; i < 16; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        {
          g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a GUID such as 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), text);
          return NULL;
        }
      out[order[i]] = (guint8) (hi * 16 + lo);
    }
  return g_bytes_new (out, sizeof out);
}

gboolean
ps_directory_filetime_is_never (gint64 filetime)
{
  return filetime == 0 || filetime == PS_FILETIME_NEVER;
}

/* NULL for "never" */
GDateTime *
ps_directory_filetime_to_date_time (gint64 filetime)
{
  gint64 unix_us;

  if (ps_directory_filetime_is_never (filetime) || filetime < 0)
    return NULL;
  unix_us = (filetime - FILETIME_UNIX_EPOCH) / 10;
  return g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
}

/* "20261122023750.0Z" (AD) or "20261122023750Z" (OpenLDAP) */
GDateTime *
ps_directory_generalized_time_parse (const char *text)
{
  int year, month, day, hour, minute, second;

  if (text == NULL || strlen (text) < 15
      || sscanf (text, "%4d%2d%2d%2d%2d%2d", &year, &month, &day, &hour, &minute, &second) != 6)
    return NULL;
  return g_date_time_new_utc (year, month, day, hour, minute, second);
}

/* ---------------------------------------------------------------- escaping */

char *
ps_directory_escape_filter_value (const void *data,
                                  gsize       length)
{
  struct berval in = { 0, NULL };
  struct berval out = { 0, NULL };
  char *result;

  in.bv_len = length;
  in.bv_val = (char *) data;
  if (ldap_bv2escaped_filter_value (&in, &out) != 0)
    return NULL;
  result = g_strndup (out.bv_val, out.bv_len);
  ber_memfree (out.bv_val);
  return result;
}

char *
ps_directory_normalize_dn (const char  *dn,
                           GError     **error)
{
  LDAPDN parsed = NULL;
  char *text = NULL;
  char *result;
  int rc;

  if (dn == NULL)
    dn = "";
  rc = ldap_str2dn (dn, &parsed, LDAP_DN_FORMAT_LDAPV3);
  if (rc == LDAP_SUCCESS)
    rc = ldap_dn2str (parsed, &text, LDAP_DN_FORMAT_LDAPV3);
  ldap_dnfree (parsed);
  if (rc != LDAP_SUCCESS)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a distinguished name such as CN=Staff,OU=Groups,DC=example,DC=com"), dn);
      return NULL;
    }
  result = g_strdup (text != NULL ? text : "");
  ldap_memfree (text);
  return result;
}

char *
ps_directory_escape_dn_value (const char *value)
{
  LDAPAVA ava = { { 0, NULL }, { 0, NULL }, 0, NULL };
  LDAPAVA *rdn[2] = { &ava, NULL };
  LDAPRDN dn[2] = { rdn, NULL };
  char *text = NULL;
  char *result;

  ava.la_attr.bv_val = (char *) "cn";
  ava.la_attr.bv_len = 2;
  ava.la_value.bv_val = (char *) value;
  ava.la_value.bv_len = strlen (value);
  ava.la_flags = LDAP_AVA_STRING;
  if (ldap_dn2str (dn, &text, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || text == NULL)
    return NULL;
  result = g_strdup (text + 3);
  ldap_memfree (text);
  return result;
}

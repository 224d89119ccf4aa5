/* ps-directory-entry.h — one directory entry, with AD values decoded
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* userAccountControl bits we look at; "disabled" is a bit test, never a list. */
#define PS_UAC_ACCOUNTDISABLE      0x00000002
#define PS_UAC_LOCKOUT             0x00000010
#define PS_UAC_PASSWD_NOTREQD      0x00000020
#define PS_UAC_NORMAL_ACCOUNT      0x00000200
#define PS_UAC_DONT_EXPIRE_PASSWD  0x00010000

/* accountExpires: 0 and this value both mean "never" */
#define PS_FILETIME_NEVER G_GINT64_CONSTANT (0x7FFFFFFFFFFFFFFF)

typedef struct _PsDirectoryEntry PsDirectoryEntry;

/* What a group member is, decided from its own objectClass values. */
typedef enum {
  PS_DIRECTORY_MEMBER_UNKNOWN,            /* none of the classes below */
  PS_DIRECTORY_MEMBER_PERSON,             /* user, inetOrgPerson, person, organizationalPerson */
  PS_DIRECTORY_MEMBER_GROUP,              /* group, groupOfNames, groupOfUniqueNames */
  PS_DIRECTORY_MEMBER_COMPUTER,           /* computer (also a user and a person on AD) */
  PS_DIRECTORY_MEMBER_CONTACT,            /* contact (also a person on AD) */
  PS_DIRECTORY_MEMBER_FOREIGN_PRINCIPAL,  /* foreignSecurityPrincipal */
} PsDirectoryMemberKind;

#define PS_TYPE_DIRECTORY_ENTRY (ps_directory_entry_get_type ())
GType             ps_directory_entry_get_type   (void) G_GNUC_CONST;

PsDirectoryEntry *ps_directory_entry_new        (const char *dn);
PsDirectoryEntry *ps_directory_entry_ref        (PsDirectoryEntry *self);
void              ps_directory_entry_unref      (PsDirectoryEntry *self);
void              ps_directory_entry_add_value  (PsDirectoryEntry *self,
                                                 const char       *attribute,
                                                 const void       *data,
                                                 gsize             length);

const char       *ps_directory_entry_get_dn     (PsDirectoryEntry *self);
gboolean          ps_directory_entry_has_attribute (PsDirectoryEntry *self,
                                                    const char       *attribute);
/* The attribute names present, in the order the server sent them. */
GPtrArray        *ps_directory_entry_list_attributes (PsDirectoryEntry *self);
/* Raw values without copies: @index from 0; NULL past the end. The pointer
 * stays valid until the entry gets another value. */
guint             ps_directory_entry_get_n_values (PsDirectoryEntry *self,
                                                   const char       *attribute);
const char       *ps_directory_entry_get_value   (PsDirectoryEntry *self,
                                                  const char       *attribute,
                                                  guint             index,
                                                  gsize            *length);
/* Raw values (GBytes), or NULL when absent. */
GPtrArray        *ps_directory_entry_get_values (PsDirectoryEntry *self,
                                                 const char       *attribute);

/* The first value as text: objectSid as "S-1-5-…", objectGUID and
 * invocationId as a GUID string, anything else as UTF-8. NULL without an
 * error when absent; NULL with PS_DIRECTORY_ERROR_INVALID_VALUE when the
 * value is not valid UTF-8. */
char             *ps_directory_entry_dup_string  (PsDirectoryEntry *self,
                                                  const char       *attribute,
                                                  GError          **error);
GStrv             ps_directory_entry_dup_strings (PsDirectoryEntry *self,
                                                  const char       *attribute,
                                                  GError          **error);
gboolean          ps_directory_entry_get_int64   (PsDirectoryEntry *self,
                                                  const char       *attribute,
                                                  gint64           *out);

char             *ps_directory_entry_dup_sid     (PsDirectoryEntry *self);
char             *ps_directory_entry_dup_guid    (PsDirectoryEntry *self);
guint32           ps_directory_entry_get_uac     (PsDirectoryEntry *self);
gint64            ps_directory_entry_get_account_expires (PsDirectoryEntry *self);
gboolean          ps_directory_entry_get_locked  (PsDirectoryEntry *self);
gboolean          ps_directory_entry_get_enabled (PsDirectoryEntry *self);
guint64           ps_directory_entry_get_usn_changed (PsDirectoryEntry *self);
GDateTime        *ps_directory_entry_dup_when_changed (PsDirectoryEntry *self);
/* From the entry's objectClass values (read it along with the rest). */
PsDirectoryMemberKind ps_directory_entry_get_member_kind (PsDirectoryEntry *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsDirectoryEntry, ps_directory_entry_unref)

/* Codecs */
char       *ps_directory_sid_to_string   (const guint8 *data, gsize length);
GBytes     *ps_directory_sid_from_string (const char *text, GError **error);
char       *ps_directory_guid_to_string  (const guint8 *data, gsize length);
GBytes     *ps_directory_guid_from_string (const char *text, GError **error);
gboolean    ps_directory_filetime_is_never (gint64 filetime);
GDateTime  *ps_directory_filetime_to_date_time (gint64 filetime);
GDateTime  *ps_directory_generalized_time_parse (const char *text);

/* RFC 4515 filter value (ldap_bv2escaped_filter_value) */
char       *ps_directory_escape_filter_value (const void *data, gsize length);
/* RFC 4514: parses and re-serialises a DN (ldap_str2dn / ldap_dn2str) */
char       *ps_directory_normalize_dn (const char *dn, GError **error);
/* RFC 4514: one attribute value made safe to put in a DN */
char       *ps_directory_escape_dn_value (const char *value);

G_END_DECLS

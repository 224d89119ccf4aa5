/* ps-directory-private.h — what the files of the LDAP reader share
 *
 * ps-directory.c connects and searches; ps-directory-groups.c reads groups,
 * their members and users; ps-directory-delta.c reads uSNChanged changes;
 * ps-directory-test.c is the connection test. Nothing here is public.
 */
#pragma once

#include <ldap.h>

#include "ps-directory.h"

G_BEGIN_DECLS

#define AD_CAPABILITY_OID      "1.2.840.113556.1.4.800"
#define IN_CHAIN_RULE          "1.2.840.113556.1.4.1941"
#define SHOW_DELETED_OID       "1.2.840.113556.1.4.417"
#define DEFAULT_MAX_ATTEMPTS   3
#define RANGE_STEP             1000
#define GROUPS_PER_FILTER      64
#define POLL_INTERVAL_MS       200
#define MEMBERS_NAMED          3      /* DNs an error message names; the report has all */

struct _PsDirectory
{
  GObject parent_instance;

  /* settings (a private copy) */
  char **uris;
  char *domain;
  PsTlsMode tls_mode;
  char *ca_file;
  gboolean allow_untrusted;
  gboolean allow_plaintext_bind;
  char *bind_dn;
  char *base_dn;
  guint page_size;
  guint timeout;
  PsNestedMode nested;
  PsServerKind kind_setting;
  char *password;
  guint max_attempts;

  /* the connection: owned by the thread that made it */
  ldap_conncb connection_callbacks;
  struct _Watchdog *watchdog;   /* while a connect or StartTLS runs */
  LDAP *ld;
  GThread *owner;
  char *connected_uri;
  PsDirectoryKind kind;
  char *default_nc;
  GStrv supported_controls;
};

typedef struct {
  PsDirectoryPageFunc func;
  gpointer user_data;
  gboolean restart_pending;
  guint64 delivered;
  GHashTable *seen;    /* lower-case DNs, when several searches feed one result */
} Delivery;

typedef struct {
  const char *base;
  int scope;
  const char *filter;
  const char *const *attributes;
  gboolean show_deleted;
} SearchSpec;

typedef gboolean (*AttemptFunc) (PsDirectory   *self,
                                 gpointer       data,
                                 Delivery      *d,
                                 GCancellable  *cancellable,
                                 GError       **error);

typedef void (*ValueFunc) (const char *value,
                           gsize       length,
                           gpointer    user_data);

extern const char *const ps_directory_user_attributes[];
extern const char *const ps_directory_group_attributes[];

GPtrArray *ps_directory_search_all (PsDirectory *self, const char *base, PsDirectoryScope scope, const char *filter, const char *const *attributes, GCancellable *cancellable, GError **error);
PsDirectoryEntry *ps_directory_read_entry_once (PsDirectory *self, const char *dn, const char *const *attributes, GCancellable *cancellable, GError **error);
char *ps_directory_escape_text (const char *text);
char *ps_directory_join_filter (const char *a, const char *b);
const char *ps_directory_group_filter (PsDirectory *self);
const char *ps_directory_person_filter (PsDirectory *self);
gboolean ps_directory_deliver (Delivery *d, GPtrArray *page, GError **error);
gboolean ps_directory_entry_has_class (PsDirectoryEntry *entry, const char *name);
gboolean ps_directory_looks_like_dn (const char *text);
gboolean ps_directory_looks_like_guid (const char *text);
gboolean ps_directory_looks_like_sid (const char *text);
gboolean ps_directory_read_values (PsDirectory *self, const char *dn, const char *attribute, gboolean retry, ValueFunc func, gpointer user_data, GCancellable *cancellable, GError **error);
gboolean ps_directory_run_with_retries (PsDirectory *self, AttemptFunc attempt, gpointer data, Delivery *d, const char *what, GCancellable *cancellable, GError **error);
gboolean ps_directory_search_attempt (PsDirectory *self, const SearchSpec *spec, Delivery *d, GCancellable *cancellable, GError **error);

GStrv ps_directory_effective_uris (PsDirectory *self, GCancellable *cancellable, GError **error);
LDAP *ps_directory_open_uri (PsDirectory *self, const char *uri, GCancellable *cancellable, GError **error);
gboolean ps_directory_bind_handle (PsDirectory *self, LDAP *ld, const char *uri, GError **error);
gboolean ps_directory_is_ldaps (const char *uri);
gboolean ps_directory_parse_uri (const char *uri, char **host, guint16 *port, GError **error);
void ps_directory_read_root_dse (PsDirectory *self);

G_END_DECLS

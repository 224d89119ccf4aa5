/* ps-source.h — an identity source: where the people of a mapping come from
 *
 * Active Directory over LDAP is one implementation (src/directory/), Microsoft
 * Entra ID over Microsoft Graph another (src/entra/). The engine, the CLI and
 * the GUI know sources only through this interface: they connect, test,
 * find groups, read a group's people (nested expansion is the source's job)
 * and read what changed since an opaque watermark. Every guard and every
 * planning rule stays in the engine.
 *
 * All calls block: use them from a worker thread. A source is used by one
 * thread at a time.
 */
#pragma once

#include <gio/gio.h>

#include "ps-person.h"
#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_SOURCE (ps_source_get_type ())
G_DECLARE_INTERFACE (PsSource, ps_source, PS, SOURCE, GObject)

/* A group as a source describes it. */
typedef struct {
  char *id;           /* immutable: objectGUID, or the Graph object id */
  char *name;         /* cn / displayName */
  char *path;         /* LDAP DN, or NULL */
  char *description;
} PsSourceGroup;

PsSourceGroup *ps_source_group_new  (const char *id, const char *name);
void           ps_source_group_free (PsSourceGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsSourceGroup, ps_source_group_free)

typedef enum {
  PS_SOURCE_LOG_INFO,
  PS_SOURCE_LOG_WARNING,
} PsSourceLogLevel;

typedef void (*PsSourceLogFunc) (PsSourceLogLevel  level,
                                 const char       *message,
                                 gpointer          user_data);

/* What to read for one mapping. */
typedef struct {
  const char        *name;          /* the mapping's name, for messages */
  const char        *group;         /* as the mapping stores it */
  const char        *search_base;   /* optional scope narrowing (LDAP) */
  const char        *filter;        /* optional scope narrowing (RFC 4515) */
  /* The anchor: with NULL, the immutable id is the local anchor and the
   * remote one is objectSid (or the id); otherwise this attribute is both. */
  const char        *anchor_attribute;
  const char *const *attributes;    /* specs the people must carry ("a|b|c") */
  const char *const *attribute_keys;/* the profile keys naming them, for messages */
  PsSourceLogFunc    log;
  gpointer           log_data;
} PsSourceQuery;

/* The link the engine keeps for a person, as a delta read needs it. */
typedef struct {
  const char *anchor;
  const char *dn;
  gboolean    active;
  gboolean    synced;               /* the last run read them (the link has a hash) */
} PsSourceKnown;

#define PS_SOURCE_ERROR (ps_source_error_quark ())
GQuark ps_source_error_quark (void);

typedef enum {
  PS_SOURCE_ERROR_NOT_SUPPORTED,    /* e.g. a filter on a source without one */
  PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,/* a mapping names an attribute the source lacks */
} PsSourceError;

struct _PsSourceInterface
{
  GTypeInterface parent_iface;

  const char        *(*get_kind_name)    (PsSource *self);
  gboolean           (*connect)          (PsSource *self, GCancellable *cancellable, GError **error);
  void               (*close)            (PsSource *self);
  const char        *(*get_location)     (PsSource *self);
  GPtrArray         *(*test_connection)  (PsSource *self, const char *group,
                                          GCancellable *cancellable, GError **error);
  GPtrArray         *(*find_groups)      (PsSource *self, const char *search, guint limit,
                                          GCancellable *cancellable, GError **error);
  PsSourceGroup     *(*resolve_group)    (PsSource *self, const char *group,
                                          GCancellable *cancellable, GError **error);
  const char *const *(*suggested_attributes) (PsSource *self);
  gboolean           (*check_attributes) (PsSource *self, const PsSourceQuery *query,
                                          GCancellable *cancellable, GError **error);
  GPtrArray         *(*read_people)      (PsSource *self, const PsSourceQuery *query,
                                          guint *members, GCancellable *cancellable, GError **error);
  char              *(*read_watermark)   (PsSource *self, const PsSourceQuery *query,
                                          GCancellable *cancellable, GError **error);
  GPtrArray         *(*read_changes)     (PsSource *self, const PsSourceQuery *query,
                                          const char *watermark, GHashTable *known,
                                          char **new_watermark, GCancellable *cancellable,
                                          GError **error);
  GHashTable        *(*own_anchors)      (PsSource *self, const PsSourceQuery *query,
                                          GPtrArray *people, GPtrArray *anchors,
                                          GCancellable *cancellable, GError **error);
};

const char        *ps_source_get_kind_name   (PsSource *self);
gboolean           ps_source_connect_sync    (PsSource *self, GCancellable *cancellable, GError **error);
void               ps_source_close           (PsSource *self);
const char        *ps_source_get_location    (PsSource *self);
GPtrArray         *ps_source_test_connection_sync (PsSource *self, const char *group,
                                                   GCancellable *cancellable, GError **error);
GPtrArray         *ps_source_find_groups_sync (PsSource *self, const char *search, guint limit,
                                               GCancellable *cancellable, GError **error);
PsSourceGroup     *ps_source_resolve_group_sync (PsSource *self, const char *group,
                                                 GCancellable *cancellable, GError **error);
const char *const *ps_source_suggested_attributes (PsSource *self);
gboolean           ps_source_check_attributes_sync (PsSource *self, const PsSourceQuery *query,
                                                    GCancellable *cancellable, GError **error);
/* The people in the mapping's scope (nested groups expanded, SearchBase and
 * Filter applied). NULL with @error when the read failed or is partial;
 * @members (optional) gets the group's size before the scope narrowed it. */
GPtrArray         *ps_source_read_people_sync (PsSource *self, const PsSourceQuery *query,
                                               guint *members, GCancellable *cancellable,
                                               GError **error);
/* The watermark to store with a full read: read it *before* the read, so
 * that nothing changed during the read is missed. NULL without an error when
 * the source has no change tracking. */
char              *ps_source_read_watermark_sync (PsSource *self, const PsSourceQuery *query,
                                                  GCancellable *cancellable, GError **error);
/* The people of the scope as of now, reading only what changed since
 * @watermark: changed people are read, the others come back with
 * `unchanged` set, built from @known (anchor → PsSourceKnown). NULL without
 * an error when a full read is needed instead. */
GPtrArray         *ps_source_read_changes_sync (PsSource *self, const PsSourceQuery *query,
                                                const char *watermark, GHashTable *known,
                                                char **new_watermark, GCancellable *cancellable,
                                                GError **error);
/* Which of @anchors (values Asset Panda records carry) belong to this
 * source: a lower-case set. @people are the people just read. */
GHashTable        *ps_source_own_anchors_sync (PsSource *self, const PsSourceQuery *query,
                                               GPtrArray *people, GPtrArray *anchors,
                                               GCancellable *cancellable, GError **error);

/* What every source does to report on a read: to the query's log
 * callback, else to the debug log. */
void               ps_source_query_log (const PsSourceQuery *query, PsSourceLogLevel level,
                                        const char *format, ...) G_GNUC_PRINTF (3, 4);

/* The source the profile names ([Directory] or [EntraID]). */
PsSource          *ps_source_new_for_profile (PsProfile *profile, GCancellable *cancellable,
                                              GError **error);

G_END_DECLS

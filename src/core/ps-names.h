/* ps-names.h — what Asset Panda calls its ids: accounts, modules, roles,
 * collections and fields
 *
 * Profiles, plans and the run history keep Asset Panda's ids ("30135",
 * "field_1"); people read names ("Basic", "First Name"). Every listing the
 * app or the engine makes anyway (the wizard's choices, the fields a run
 * reads) is remembered here, so a row loaded from disk shows a name at once
 * and nothing asks Asset Panda again per row. A plan and a run keep a copy
 * of the names they used, so History shows what was true then.
 *
 * This is the one id → name lookup of the project: the mapping pages, the
 * Preview, History and the CSV exports all use it. Thread-safe: a PsNames
 * may be read and filled from several threads.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ps-profile.h"

G_BEGIN_DECLS

typedef enum {
  PS_NAME_ACCOUNT,
  PS_NAME_MODULE,
  PS_NAME_ROLE,
  PS_NAME_COLLECTION,
  PS_NAME_FIELD,        /* scoped by its collection's id */
  PS_NAME_N_KINDS
} PsNameKind;

#define PS_TYPE_NAMES (ps_names_get_type ())
G_DECLARE_FINAL_TYPE (PsNames, ps_names, PS, NAMES, GObject)

PsNames  *ps_names_new           (void);
PsNames  *ps_names_new_from_json (JsonNode *node);
JsonNode *ps_names_to_json       (PsNames *self);

/* @scope is the collection id for PS_NAME_FIELD and NULL otherwise. */
void      ps_names_set           (PsNames *self, PsNameKind kind, const char *scope,
                                  const char *id, const char *name);
char     *ps_names_lookup        (PsNames *self, PsNameKind kind, const char *scope,
                                  const char *id);
/* The name, or @id itself when it is not known. */
char     *ps_names_display       (PsNames *self, PsNameKind kind, const char *scope,
                                  const char *id);
void      ps_names_merge         (PsNames *self, PsNames *other);
guint     ps_names_get_size      (PsNames *self);

/* The profile's remembered names ($XDG_CACHE_HOME/pandasync/ID.names.json):
 * empty when none were kept or the file cannot be read (it is a cache). */
PsNames  *ps_names_load_for_profile (PsProfile *profile);
/* Adds @names to the profile's file (read, merge, write). */
gboolean  ps_names_remember         (PsProfile *profile, PsNames *names, GError **error);

G_END_DECLS

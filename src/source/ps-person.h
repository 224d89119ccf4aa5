/* ps-person.h — a person as an identity source describes them
 *
 * Every source (Active Directory over LDAP, Microsoft Entra ID, …) turns the
 * members of a mapping's group into PsPerson values; the engine plans from
 * them without knowing where they came from.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One member of a mapping's group. */
typedef struct {
  char       *anchor;         /* kept locally: the immutable id (objectGUID, Entra object id)
                                 for users, the unique identifier for collections */
  char       *remote_anchor;  /* written into Asset Panda: objectSid, the object id, or
                                 the unique identifier */
  char       *dn;             /* where the source keeps them (LDAP DN), or NULL */
  char       *name;           /* for people reading the log */
  gboolean    enabled;        /* not disabled (UAC 0x2) and not expired */
  gboolean    unchanged;      /* a delta read did not read them: nothing changed since */
  GPtrArray  *values;         /* pairs: interned lower-case attribute name, value;
                                 a list, not a hash table: a person has a handful,
                                 and a directory has 100,000 people */
} PsPerson;

PsPerson   *ps_person_new       (const char *anchor, const char *dn);
void        ps_person_free      (PsPerson *person);
void        ps_person_set_value (PsPerson *person, const char *attribute, const char *value);
const char *ps_person_get_value (const PsPerson *person, const char *attribute);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsPerson, ps_person_free)

G_END_DECLS

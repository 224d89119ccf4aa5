/* ps-ldap-syntax.h — checking what a profile says in LDAP's own syntax
 *
 * Attribute descriptions (RFC 4512), attribute fallbacks ("mail|userPrincipalName":
 * the first non-empty of them) and search filters (RFC 4515). Pure string
 * work, so that a profile is checked before any search is made: a filter
 * that cannot be parsed must be a named profile error, never a search that
 * returns nothing and deactivates everyone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean ps_ldap_attribute_is_valid (const char *name);

/* Splits "a|b|c" into its attribute names, trimmed. NULL with a message
 * (translated, naming the bad part) in @reason when a part is empty or not
 * a valid attribute description. */
GStrv    ps_ldap_attribute_spec_split (const char *spec, char **reason);

/* Parses an RFC 4515 filter. A bare item ("department=Sales") is accepted
 * and returned in parentheses. Returns the normalised filter, or NULL with a
 * translated @reason naming the position. @attributes (optional) receives
 * every attribute description the filter tests. */
char    *ps_ldap_filter_parse (const char  *text,
                               GPtrArray  **attributes,
                               char       **reason);

G_END_DECLS

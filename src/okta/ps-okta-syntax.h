/* ps-okta-syntax.h — checking what a profile says in Okta's own syntax
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The org URL, user attribute names (profile attributes, standard or
 * custom, and the user's own properties), "a|b|c" fallbacks and the search
 * expressions of `GET /api/v1/users?search=` (§2.2 of the Okta read
 * contract). Pure string work, like ps-ldap-syntax.h: the profile checks a
 * mapping's Filter when it is read, so that a bad expression is a named
 * profile error, never a read that returns nobody and deactivates everyone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Checks an org URL (§1.1): https://host[:port] — any host, so that
 * *.okta.com, *.oktapreview.com, *.okta-emea.com and custom domains work;
 * http:// only for 127.0.0.1 (a test server). A path (/api/v1, /admin…), a
 * query, a user name, an admin host (acme-admin.okta.com) or the
 * documentation's placeholder are refused with a translated @reason that
 * says what to remove. Returns the URL without a trailing slash. */
char    *ps_okta_org_url_check (const char  *url,
                                char       **reason);

/* TRUE when @name can name a user attribute in a mapping: a profile
 * attribute as "department" or "profile.department" (letters, digits and
 * "_", starting with a letter), or one of the user's own properties
 * (ps_okta_user_property_names ()). */
gboolean ps_okta_attribute_is_valid (const char *name);

/* Splits "a|b|c" into its attribute names, trimmed. NULL with a
 * translated @reason naming the bad part when one is empty or not an Okta
 * attribute name. */
GStrv    ps_okta_attribute_spec_split (const char  *spec,
                                       char       **reason);

/* The user's own (top-level) properties a mapping may read by name: id,
 * status, created, lastUpdated… NULL-terminated, static. */
const char *const *ps_okta_user_property_names (void);

/* Okta's standard profile attributes (UserProfile), in Okta's spelling.
 * NULL-terminated, static. */
const char *const *ps_okta_standard_attribute_names (void);

/* Parses a user search expression (§2.2):
 *
 *   expression := term { ("and" | "or") term }     ("and" binds tighter)
 *   term       := "(" expression ")" | attribute "pr" | attribute op value
 *   attribute  := profile.NAME | NAME | id | status | created | activated
 *                 | statusChanged | lastUpdated | type.id
 *   op         := eq | sw | co | gt | ge | lt | le
 *   value      := "a string" (\" and \\ escaped) | a number | true | false
 *
 * A bare NAME that is not a top-level property means profile.NAME. `not`
 * and `ne` do not exist in Okta's search and are refused with the way to
 * write them; `co` only works on firstName, lastName, email and login;
 * status values must be one of Okta's eight; dates must be ISO 8601 with a
 * time zone. Standard attribute names are put in Okta's spelling (names are
 * case-sensitive in Okta). Returns the normalised expression (single
 * spaces, lower-case operators, profile. prefixes), or NULL with a
 * translated @reason naming the position. @attributes (optional) receives
 * every attribute the expression tests, as written in the result. */
char    *ps_okta_search_parse (const char  *text,
                               GPtrArray  **attributes,
                               char       **reason);

/* Okta's eight user statuses, upper-case. NULL-terminated, static. */
const char *const *ps_okta_status_names (void);

G_END_DECLS

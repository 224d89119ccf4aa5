/* ps-person.c — a person as an identity source describes them
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-person.h"

PsPerson *
ps_person_new (const char *anchor,
               const char *dn)
{
  PsPerson *person = g_new0 (PsPerson, 1);

  person->anchor = g_strdup (anchor);
  person->dn = g_strdup (dn);
  person->enabled = TRUE;
  person->values = g_ptr_array_new ();
  return person;
}

void
ps_person_free (PsPerson *person)
{
  if (person == NULL)
    return;
  g_free (person->anchor);
  g_free (person->remote_anchor);
  g_free (person->dn);
  g_free (person->name);
  /* Names are interned; only the values are ours. */
  for (guint i = 1; i < person->values->len; i += 2)
    g_free (g_ptr_array_index (person->values, i));
  g_ptr_array_unref (person->values);
  g_free (person);
}

static int
find_value (const PsPerson *person,
            const char     *attribute)
{
  for (guint i = 0; i + 1 < person->values->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (person->values, i), attribute) == 0)
      return (int) i + 1;
  return -1;
}

void
ps_person_set_value (PsPerson   *person,
                     const char *attribute,
                     const char *value)
{
  int at = find_value (person, attribute);
  g_autofree char *lower = NULL;

  if (at >= 0)
    {
      g_free (g_ptr_array_index (person->values, at));
      g_ptr_array_index (person->values, at) = g_strdup (value);
      return;
    }
  lower = g_ascii_strdown (attribute, -1);
  g_ptr_array_add (person->values, (gpointer) g_intern_string (lower));
  g_ptr_array_add (person->values, g_strdup (value));
}

const char *
ps_person_get_value (const PsPerson *person,
                     const char     *attribute)
{
  int at;

  if (attribute == NULL)
    return NULL;
  at = find_value (person, attribute);
  if (at >= 0)
    return g_ptr_array_index (person->values, at);
  if (strchr (attribute, '|') != NULL)
    {
      /* fallbacks not resolved when read: the first non-empty alternative */
      g_auto(GStrv) names = g_strsplit (attribute, "|", -1);
      const char *found = NULL;

      for (guint i = 0; names[i] != NULL; i++)
        {
          const char *value;

          at = find_value (person, g_strstrip (names[i]));
          value = at >= 0 ? g_ptr_array_index (person->values, at) : NULL;
          if (value != NULL && *value != '\0')
            return value;
          if (value != NULL)
            found = value;
        }
      return found;
    }
  return NULL;
}


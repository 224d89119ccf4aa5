/* graph-query.c — the OData query options the emulator understands:
 * $select, a $filter subset and $search
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * $filter: eq, in, startswith(), and, or, parentheses; with advanced
 * queries (ConsistencyLevel: eventual and $count=true) also ne, not,
 * endswith() and comparisons with null. Strings compare case-insensitively.
 */

#include <string.h>

#include "graph-private.h"

/* ---------------------------------------------------------------- errors */

void
graph_error_clear (GraphError *error)
{
  g_clear_pointer (&error->message, g_free);
  error->status = 0;
  error->code = NULL;
}

void
graph_error_set (GraphError *error, guint status, const char *code, const char *format, ...)
{
  va_list args;

  if (error->status != 0)
    return;
  va_start (args, format);
  error->status = status;
  error->code = code;
  error->message = g_strdup_vprintf (format, args);
  va_end (args);
}

static const char *
resource_name (guint kinds)
{
  for (guint k = 0; k < GRAPH_N_KINDS; k++)
    if (kinds == (1u << k))
      return graph_kind_type_name (k);
  return "directoryObject";
}

/* ---------------------------------------------------------------- $select */

GPtrArray *
graph_select_parse (const char *text, guint kinds, gboolean collection, GraphError *error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);
      const char *canonical = NULL;
      gboolean single_only = FALSE;

      if (*part == '\0')
        {
          graph_error_set (error, 400, "BadRequest", "Syntax error: character ',' is not valid at position %u in '%s'.",
                           (guint) (part - parts[i]), text);
          return NULL;
        }
      if (g_ascii_strcasecmp (part, "id") == 0)
        canonical = "id";
      for (guint k = 0; k < GRAPH_N_KINDS && canonical == NULL; k++)
        {
          guint n_props;
          const GraphProp *props = graph_kind_props (k, &n_props);

          if (!(kinds & (1u << k)))
            continue;
          for (guint p = 0; p < n_props && canonical == NULL; p++)
            if (g_ascii_strcasecmp (props[p].name, part) == 0)
              {
                canonical = props[p].name;
                single_only = (props[p].flags & PROP_SINGLE_ONLY) != 0;
              }
        }
      if (canonical == NULL)
        {
          graph_error_set (error, 400, "Request_BadRequest",
                           "Could not find a property named '%s' on type 'microsoft.graph.%s'.", part,
                           resource_name (kinds));
          return NULL;
        }
      if (single_only && collection)
        {
          graph_error_set (error, 501, "NotImplemented",
                           "This operation target is not yet supported: '%s' can only be selected "
                           "on a single user.", canonical);
          return NULL;
        }
      if (!g_ptr_array_find_with_equal_func (names, canonical, g_str_equal, NULL))
        g_ptr_array_add (names, g_strdup (canonical));
    }
  return g_steal_pointer (&names);
}

/* ---------------------------------------------------------------- $filter */

typedef enum {
  FILTER_AND,
  FILTER_OR,
  FILTER_NOT,
  FILTER_EQ,
  FILTER_NE,
  FILTER_IN,
  FILTER_STARTS,
  FILTER_ENDS,
} FilterOp;

typedef enum {
  LIT_NULL,
  LIT_STRING,
  LIT_BOOL,
} LiteralType;

typedef struct {
  LiteralType  type;
  char        *text;       /* LIT_STRING, as written */
  char        *folded;     /* LIT_STRING, case-folded */
  gboolean     value;      /* LIT_BOOL */
} Literal;

struct _GraphFilter {
  FilterOp          op;
  GraphFilter      *left;
  GraphFilter      *right;
  const GraphProp  *prop;     /* NULL for id */
  GArray           *literals; /* of Literal */
};

typedef enum {
  TOK_END,
  TOK_IDENT,
  TOK_STRING,
  TOK_NUMBER,
  TOK_OPEN,
  TOK_CLOSE,
  TOK_COMMA,
  TOK_BAD,
} TokenType;

typedef struct {
  const char  *text;
  const char  *pos;
  TokenType    type;
  char        *value;
  GraphKind    kind;
  gboolean     advanced;
  GraphError  *error;
} Lexer;

static void
literal_clear (Literal *literal)
{
  g_free (literal->text);
  g_free (literal->folded);
}

void
graph_filter_free (GraphFilter *filter)
{
  if (filter == NULL)
    return;
  graph_filter_free (filter->left);
  graph_filter_free (filter->right);
  g_clear_pointer (&filter->literals, g_array_unref);
  g_free (filter);
}

static void
lex_next (Lexer *lexer)
{
  const char *p = lexer->pos;

  g_clear_pointer (&lexer->value, g_free);
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0')
    lexer->type = TOK_END;
  else if (*p == '(')
    lexer->type = TOK_OPEN, p++;
  else if (*p == ')')
    lexer->type = TOK_CLOSE, p++;
  else if (*p == ',')
    lexer->type = TOK_COMMA, p++;
  else if (*p == '\'')
    {
      GString *value = g_string_new (NULL);

      p++;
      for (;;)
        {
          if (*p == '\0')
            {
              lexer->type = TOK_BAD;
              g_string_free (value, TRUE);
              lexer->pos = p;
              return;
            }
          if (*p == '\'' && p[1] == '\'')
            {
              g_string_append_c (value, '\'');
              p += 2;
            }
          else if (*p == '\'')
            {
              p++;
              break;
            }
          else
            g_string_append_c (value, *p++);
        }
      lexer->type = TOK_STRING;
      lexer->value = g_string_free (value, FALSE);
    }
  else if (g_ascii_isdigit (*p) || *p == '-')
    {
      const char *start = p++;

      while (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == ':')
        p++;
      lexer->type = TOK_NUMBER;
      lexer->value = g_strndup (start, p - start);
    }
  else if (g_ascii_isalpha (*p) || *p == '_' || *p == '@')
    {
      const char *start = p;

      while (g_ascii_isalnum (*p) || *p == '_' || *p == '.' || *p == '/' || *p == '@')
        p++;
      lexer->type = TOK_IDENT;
      lexer->value = g_strndup (start, p - start);
    }
  else
    {
      lexer->type = TOK_BAD;
      p++;
    }
  lexer->pos = p;
}

static gboolean
is_word (Lexer *lexer, const char *word)
{
  return lexer->type == TOK_IDENT && g_ascii_strcasecmp (lexer->value, word) == 0;
}

static GraphFilter *
syntax_error (Lexer *lexer)
{
  graph_error_set (lexer->error, 400, "BadRequest", "Invalid filter clause: syntax error at position %u in '%s'.",
                   (guint) (lexer->pos - lexer->text), lexer->text);
  return NULL;
}

static gboolean
need_advanced (Lexer *lexer, const char *what)
{
  if (lexer->advanced)
    return TRUE;
  graph_error_set (lexer->error, 400, "Request_UnsupportedQuery",
                   "Operator '%s' is not supported because the required parameters might be missing. "
                   "Try adding $count with a value of true and set the ConsistencyLevel header to eventual.", what);
  return FALSE;
}

/* Resolves a property name: "id" gives prop NULL. */
static gboolean
lex_property (Lexer *lexer, const GraphProp **prop)
{
  const GraphProp *found = NULL;
  guint n_props;
  const GraphProp *props = graph_kind_props (lexer->kind, &n_props);

  if (lexer->type != TOK_IDENT)
    return syntax_error (lexer) != NULL;
  if (g_ascii_strcasecmp (lexer->value, "id") == 0)
    {
      *prop = NULL;
      lex_next (lexer);
      return TRUE;
    }
  for (guint i = 0; i < n_props && found == NULL; i++)
    if (g_ascii_strcasecmp (props[i].name, lexer->value) == 0)
      found = &props[i];
  if (found == NULL || !(found->flags & PROP_FILTER) || found->type == PROP_STRINGS)
    {
      graph_error_set (lexer->error, 400, "Request_UnsupportedQuery",
                       "Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.",
                       lexer->value, graph_kind_type_name (lexer->kind));
      return FALSE;
    }
  *prop = found;
  lex_next (lexer);
  return TRUE;
}

static gboolean
lex_literal (Lexer *lexer, const GraphProp *prop, Literal *literal)
{
  gboolean is_bool = prop != NULL && prop->type == PROP_BOOL;

  memset (literal, 0, sizeof *literal);
  if (is_word (lexer, "null"))
    {
      if (!need_advanced (lexer, "eq null"))
        return FALSE;
      literal->type = LIT_NULL;
    }
  else if (is_bool && (is_word (lexer, "true") || is_word (lexer, "false")))
    {
      literal->type = LIT_BOOL;
      literal->value = is_word (lexer, "true");
    }
  else if (!is_bool && lexer->type == TOK_STRING)
    {
      literal->type = LIT_STRING;
      literal->text = g_strdup (lexer->value);
      literal->folded = graph_fold (lexer->value);
    }
  else if (lexer->type == TOK_STRING || is_word (lexer, "true") || is_word (lexer, "false") ||
           lexer->type == TOK_NUMBER)
    {
      graph_error_set (lexer->error, 400, "BadRequest",
                       "A binary operator with incompatible types was detected. Found operand types '%s' and "
                       "'%s' for operator kind 'Equal'.", is_bool ? "Edm.Boolean" : "Edm.String",
                       lexer->type == TOK_STRING ? "Edm.String" : lexer->type == TOK_NUMBER ? "Edm.Int32" :
                       "Edm.Boolean");
      return FALSE;
    }
  else
    return syntax_error (lexer) != NULL;
  lex_next (lexer);
  return TRUE;
}

static GraphFilter *
node_new (FilterOp op, const GraphProp *prop)
{
  GraphFilter *filter = g_new0 (GraphFilter, 1);

  filter->op = op;
  filter->prop = prop;
  filter->literals = g_array_new (FALSE, TRUE, sizeof (Literal));
  g_array_set_clear_func (filter->literals, (GDestroyNotify) literal_clear);
  return filter;
}

static GraphFilter *parse_or (Lexer *lexer);

static GraphFilter *
parse_function (Lexer *lexer, FilterOp op)
{
  const GraphProp *prop = NULL;
  g_autoptr(GraphFilter) filter = NULL;
  Literal literal;

  lex_next (lexer);
  if (lexer->type != TOK_OPEN)
    return syntax_error (lexer);
  lex_next (lexer);
  if (!lex_property (lexer, &prop))
    return NULL;
  if (prop != NULL && prop->type == PROP_BOOL)
    {
      graph_error_set (lexer->error, 400, "BadRequest", "No function signature for the function with name "
                       "'%s' matches the specified arguments.", op == FILTER_STARTS ? "startswith" : "endswith");
      return NULL;
    }
  if (lexer->type != TOK_COMMA)
    return syntax_error (lexer);
  lex_next (lexer);
  if (lexer->type != TOK_STRING)
    return syntax_error (lexer);
  filter = node_new (op, prop);
  if (!lex_literal (lexer, prop, &literal))
    return NULL;
  g_array_append_val (filter->literals, literal);
  if (lexer->type != TOK_CLOSE)
    return syntax_error (lexer);
  lex_next (lexer);
  return g_steal_pointer (&filter);
}

static GraphFilter *
parse_primary (Lexer *lexer)
{
  const GraphProp *prop = NULL;
  g_autoptr(GraphFilter) filter = NULL;
  Literal literal;

  if (lexer->type == TOK_OPEN)
    {
      lex_next (lexer);
      filter = parse_or (lexer);
      if (filter == NULL)
        return NULL;
      if (lexer->type != TOK_CLOSE)
        return syntax_error (lexer);
      lex_next (lexer);
      return g_steal_pointer (&filter);
    }
  if (is_word (lexer, "not"))
    {
      if (!need_advanced (lexer, "not"))
        return NULL;
      lex_next (lexer);
      filter = node_new (FILTER_NOT, NULL);
      filter->left = parse_primary (lexer);
      return filter->left != NULL ? g_steal_pointer (&filter) : NULL;
    }
  if (is_word (lexer, "startswith"))
    return parse_function (lexer, FILTER_STARTS);
  if (is_word (lexer, "endswith"))
    return need_advanced (lexer, "endsWith") ? parse_function (lexer, FILTER_ENDS) : NULL;

  if (!lex_property (lexer, &prop))
    return NULL;
  if (is_word (lexer, "eq") || is_word (lexer, "ne"))
    {
      gboolean ne = is_word (lexer, "ne");

      if (ne && !need_advanced (lexer, "ne"))
        return NULL;
      lex_next (lexer);
      filter = node_new (ne ? FILTER_NE : FILTER_EQ, prop);
      if (!lex_literal (lexer, prop, &literal))
        return NULL;
      g_array_append_val (filter->literals, literal);
      return g_steal_pointer (&filter);
    }
  if (is_word (lexer, "in"))
    {
      lex_next (lexer);
      if (lexer->type != TOK_OPEN)
        return syntax_error (lexer);
      lex_next (lexer);
      filter = node_new (FILTER_IN, prop);
      for (;;)
        {
          if (!lex_literal (lexer, prop, &literal))
            return NULL;
          g_array_append_val (filter->literals, literal);
          if (lexer->type == TOK_CLOSE)
            break;
          if (lexer->type != TOK_COMMA)
            return syntax_error (lexer);
          lex_next (lexer);
        }
      lex_next (lexer);
      if (filter->literals->len > 15 && prop == NULL)
        {
          graph_error_set (lexer->error, 400, "Request_UnsupportedQuery",
                           "Too many child clauses specified in search filter expression containing 'OR' "
                           "operators: %u. Max allowed: 15.", filter->literals->len);
          return NULL;
        }
      return g_steal_pointer (&filter);
    }
  if (is_word (lexer, "gt") || is_word (lexer, "ge") || is_word (lexer, "lt") || is_word (lexer, "le"))
    {
      graph_error_set (lexer->error, 400, "Request_UnsupportedQuery",
                       "Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.",
                       prop != NULL ? prop->name : "id", graph_kind_type_name (lexer->kind));
      return NULL;
    }
  return syntax_error (lexer);
}

static GraphFilter *
parse_and (Lexer *lexer)
{
  g_autoptr(GraphFilter) left = parse_primary (lexer);

  while (left != NULL && is_word (lexer, "and"))
    {
      GraphFilter *node = node_new (FILTER_AND, NULL);

      lex_next (lexer);
      node->left = g_steal_pointer (&left);
      node->right = parse_primary (lexer);
      left = node;
      if (node->right == NULL)
        return NULL;
    }
  return g_steal_pointer (&left);
}

static GraphFilter *
parse_or (Lexer *lexer)
{
  g_autoptr(GraphFilter) left = parse_and (lexer);

  while (left != NULL && is_word (lexer, "or"))
    {
      GraphFilter *node = node_new (FILTER_OR, NULL);

      lex_next (lexer);
      node->left = g_steal_pointer (&left);
      node->right = parse_and (lexer);
      left = node;
      if (node->right == NULL)
        return NULL;
    }
  return g_steal_pointer (&left);
}

GraphFilter *
graph_filter_parse (const char *text, GraphKind kind, gboolean advanced, GraphError *error)
{
  Lexer lexer = { text, text, TOK_END, NULL, kind, advanced, error };
  g_autoptr(GraphFilter) filter = NULL;

  lex_next (&lexer);
  filter = parse_or (&lexer);
  if (filter != NULL && lexer.type != TOK_END)
    {
      g_clear_pointer (&filter, graph_filter_free);
      syntax_error (&lexer);
    }
  g_free (lexer.value);
  return g_steal_pointer (&filter);
}

static gboolean
literal_equals (Literal *literal, GraphObject *object, const GraphProp *prop)
{
  JsonNode *value = prop != NULL ? graph_object_value (object, prop) : NULL;

  switch (literal->type)
    {
    case LIT_NULL:
      return prop != NULL && value == NULL;
    case LIT_BOOL:
      return value != NULL && json_node_get_boolean (value) == literal->value;
    case LIT_STRING:
      {
        const char *text = prop == NULL ? object->id : value != NULL ? json_node_get_string (value) : NULL;
        g_autofree char *folded = text != NULL ? graph_fold (text) : NULL;

        return folded != NULL && g_str_equal (folded, literal->folded);
      }
    default:
      return FALSE;
    }
}

gboolean
graph_filter_match (GraphFilter *filter, GraphObject *object)
{
  Literal *first = filter->literals->len > 0 ? &g_array_index (filter->literals, Literal, 0) : NULL;

  switch (filter->op)
    {
    case FILTER_AND:
      return graph_filter_match (filter->left, object) && graph_filter_match (filter->right, object);
    case FILTER_OR:
      return graph_filter_match (filter->left, object) || graph_filter_match (filter->right, object);
    case FILTER_NOT:
      return !graph_filter_match (filter->left, object);
    case FILTER_EQ:
      return literal_equals (first, object, filter->prop);
    case FILTER_NE:
      return !literal_equals (first, object, filter->prop);
    case FILTER_IN:
      for (guint i = 0; i < filter->literals->len; i++)
        if (literal_equals (&g_array_index (filter->literals, Literal, i), object, filter->prop))
          return TRUE;
      return FALSE;
    case FILTER_STARTS:
    case FILTER_ENDS:
      {
        JsonNode *value = filter->prop != NULL ? graph_object_value (object, filter->prop) : NULL;
        const char *text = filter->prop == NULL ? object->id : value != NULL ? json_node_get_string (value) : NULL;
        g_autofree char *folded = text != NULL ? graph_fold (text) : NULL;

        if (folded == NULL)
          return FALSE;
        return filter->op == FILTER_STARTS ? g_str_has_prefix (folded, first->folded) :
               g_str_has_suffix (folded, first->folded);
      }
    default:
      return FALSE;
    }
}

static gboolean
collect_ids (GraphFilter *filter, GPtrArray *ids)
{
  switch (filter->op)
    {
    case FILTER_OR:
      return collect_ids (filter->left, ids) && collect_ids (filter->right, ids);
    case FILTER_EQ:
    case FILTER_IN:
      if (filter->prop != NULL)
        return FALSE;
      for (guint i = 0; i < filter->literals->len; i++)
        {
          Literal *literal = &g_array_index (filter->literals, Literal, i);

          if (literal->type != LIT_STRING)
            return FALSE;
          g_ptr_array_add (ids, g_ascii_strdown (literal->text, -1));
        }
      return TRUE;
    case FILTER_AND:
    case FILTER_NOT:
    case FILTER_NE:
    case FILTER_STARTS:
    case FILTER_ENDS:
    default:
      return FALSE;
    }
}

GPtrArray *
graph_filter_id_list (GraphFilter *filter)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  if (!collect_ids (filter, ids))
    return NULL;
  return g_steal_pointer (&ids);
}

const char *
graph_filter_simple_eq (GraphFilter *filter, const char **property)
{
  Literal *literal;

  if (filter->op != FILTER_EQ || filter->literals->len != 1)
    return NULL;
  literal = &g_array_index (filter->literals, Literal, 0);
  if (literal->type != LIT_STRING)
    return NULL;
  if (filter->prop == NULL)
    *property = "id";
  else if (g_str_equal (filter->prop->name, "userPrincipalName"))
    *property = "userPrincipalName";
  else
    return NULL;
  return literal->text;
}

/* ---------------------------------------------------------------- $search */

typedef struct {
  const GraphProp *prop;
  char            *term;      /* folded */
  gboolean         and;       /* joined to the clauses before with AND */
} SearchClause;

struct _GraphSearch {
  GArray *clauses;
};

static void
clause_clear (SearchClause *clause)
{
  g_free (clause->term);
}

void
graph_search_free (GraphSearch *search)
{
  if (search == NULL)
    return;
  g_array_unref (search->clauses);
  g_free (search);
}

GraphSearch *
graph_search_parse (const char *text, GraphKind kind, GraphError *error)
{
  g_autoptr(GraphSearch) search = g_new0 (GraphSearch, 1);
  const char *p = text;
  gboolean and = FALSE;

  search->clauses = g_array_new (FALSE, TRUE, sizeof (SearchClause));
  g_array_set_clear_func (search->clauses, (GDestroyNotify) clause_clear);
  for (;;)
    {
      const char *end;
      g_autofree char *clause_text = NULL;
      const char *colon;
      g_autofree char *name = NULL;
      SearchClause clause = { 0 };

      while (*p == ' ')
        p++;
      if (*p != '"' || (end = strchr (p + 1, '"')) == NULL)
        {
          graph_error_set (error, 400, "Request_UnsupportedQuery",
                           "Syntax error: $search takes \"property:value\" clauses in double quotes, "
                           "joined by AND or OR.");
          return NULL;
        }
      clause_text = g_strndup (p + 1, end - p - 1);
      colon = strchr (clause_text, ':');
      if (colon == NULL)
        {
          graph_error_set (error, 400, "Request_UnsupportedQuery",
                           "Syntax error: a $search clause is \"property:value\".");
          return NULL;
        }
      name = g_strndup (clause_text, colon - clause_text);
      clause.prop = graph_kind_prop (kind, name);
      if (clause.prop == NULL || clause.prop->type != PROP_STRING)
        {
          graph_error_set (error, 400, "Request_UnsupportedQuery",
                           "The property '%s' does not support search on resource '%s'.", name,
                           graph_kind_type_name (kind));
          return NULL;
        }
      clause.term = graph_fold (colon + 1);
      clause.and = and;
      g_array_append_val (search->clauses, clause);
      p = end + 1;
      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      if (g_ascii_strncasecmp (p, "AND ", 4) == 0)
        and = TRUE, p += 4;
      else if (g_ascii_strncasecmp (p, "OR ", 3) == 0)
        and = FALSE, p += 3;
      else
        {
          graph_error_set (error, 400, "Request_UnsupportedQuery",
                           "Syntax error: $search clauses are joined by AND or OR.");
          return NULL;
        }
    }
  return g_steal_pointer (&search);
}

/* Tokenised: a term matches when a word of the value starts with it. */
static gboolean
clause_match (SearchClause *clause, GraphObject *object)
{
  JsonNode *value = graph_object_value (object, clause->prop);
  g_autofree char *folded = value != NULL ? graph_fold (json_node_get_string (value)) : NULL;

  if (folded == NULL)
    return FALSE;
  for (const char *p = folded; *p != '\0'; p++)
    if ((p == folded || !g_ascii_isalnum (p[-1])) && g_str_has_prefix (p, clause->term))
      return TRUE;
  return FALSE;
}

gboolean
graph_search_match (GraphSearch *search, GraphObject *object)
{
  gboolean result = FALSE;

  for (guint i = 0; i < search->clauses->len; i++)
    {
      SearchClause *clause = &g_array_index (search->clauses, SearchClause, i);

      if (i == 0)
        result = clause_match (clause, object);
      else if (clause->and)
        result = result && clause_match (clause, object);
      else
        result = result || clause_match (clause, object);
    }
  return result;
}

/* okta-query.c — the filter and search expressions of the Okta emulator
 * (§2.2, §3.1 and §6.3 of the contract), the index a user query can use,
 * and the fields projection
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One SCIM-like grammar: comparisons `attr op "value"` (or `attr pr`),
 * `and`, `or` and parentheses; `not` is refused. Each mode checks which
 * attributes and operators it allows and answers Okta's error code:
 * E0000031 for users and groups, E0000030 for a bad date, E0000053 for the
 * System Log.
 */

#include <stdlib.h>
#include <string.h>

#include "okta-private.h"

typedef enum {
  EXPR_AND,
  EXPR_OR,
  EXPR_CMP,
} ExprKind;

typedef enum {
  OP_EQ,
  OP_NE,
  OP_GT,
  OP_GE,
  OP_LT,
  OP_LE,
  OP_SW,
  OP_CO,
  OP_EW,
  OP_PR,
  N_OPS,
} Op;

static const char *const op_names[N_OPS] = { "eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew", "pr" };

typedef enum {
  VAL_NONE,
  VAL_STRING,
  VAL_NUMBER,
  VAL_TRUE,
  VAL_FALSE,
} ValueKind;

typedef enum {
  ATTR_STRING,          /* id, type.id, type, source.id */
  ATTR_STATUS,
  ATTR_TIME,
  ATTR_PROFILE,
  ATTR_LOG_PATH,
} AttrKind;

struct _OktaExpr {
  ExprKind    kind;
  OktaExpr   *left;
  OktaExpr   *right;
  OktaQueryMode mode;
  char       *attr;
  char      **path;       /* ATTR_LOG_PATH: the attribute split on '.' */
  AttrKind    attr_kind;
  Op          op;
  ValueKind   value_kind;
  char       *value;      /* unescaped string, or the number's text */
  char       *folded;
  double      number;
  gint64      time;
  gboolean    insensitive;
};

struct _OktaFields {
  GHashTable *top;
  GHashTable *profile;    /* NULL = all of profile, when "profile" is in top */
};

typedef struct {
  const char   *text;
  const char   *at;
  OktaQueryMode mode;
  OktaOrg      *org;
  OktaError    *error;
} Parser;

/* ---------------------------------------------------------------- errors */

void
okta_error_clear (OktaError *error)
{
  g_clear_pointer (&error->summary, g_free);
  g_clear_pointer (&error->code, g_free);
  error->status = 0;
}

void
okta_error_set (OktaError *error, guint status, const char *code, const char *format, ...)
{
  va_list args;

  if (error == NULL || error->status != 0)
    return;
  error->status = status;
  error->code = g_strdup (code);
  va_start (args, format);
  error->summary = g_strdup_vprintf (format, args);
  va_end (args);
}

static void
parse_fail (Parser *parser, const char *why)
{
  if (parser->error->status != 0)
    return;
  g_debug ("query %s: %s at offset %u", parser->text, why, (guint) (parser->at - parser->text));
  if (parser->mode == OKTA_Q_LOG_FILTER)
    okta_error_set (parser->error, 400, "E0000053", "Invalid SCIM filter.");
  else
    okta_error_set (parser->error, 400, "E0000031", "Invalid search criteria.");
}

static void
date_fail (Parser *parser)
{
  if (parser->mode == OKTA_Q_LOG_FILTER)
    parse_fail (parser, "bad date");
  else
    okta_error_set (parser->error, 400, "E0000030",
                    "Bad request. Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, "
                    "e.g. 2013-01-01T12:00:00.000-07:00.");
}

/* ---------------------------------------------------------------- the tree */

void
okta_expr_free (OktaExpr *expr)
{
  if (expr == NULL)
    return;
  okta_expr_free (expr->left);
  okta_expr_free (expr->right);
  g_free (expr->attr);
  g_strfreev (expr->path);
  g_free (expr->value);
  g_free (expr->folded);
  g_free (expr);
}

static void
skip_space (Parser *parser)
{
  while (*parser->at == ' ' || *parser->at == '\t' || *parser->at == '\n' || *parser->at == '\r')
    parser->at++;
}

static gboolean
is_word_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '$' || c == '-' || c == ':' || c == '+';
}

/* The next bare word (attribute, operator, keyword, number), or NULL. */
static char *
read_word (Parser *parser)
{
  const char *start;

  skip_space (parser);
  start = parser->at;
  while (is_word_char (*parser->at))
    parser->at++;
  return parser->at > start ? g_strndup (start, parser->at - start) : NULL;
}

static gboolean
peek_keyword (Parser *parser, const char *keyword)
{
  gsize length = strlen (keyword);

  skip_space (parser);
  return g_ascii_strncasecmp (parser->at, keyword, length) == 0 && !is_word_char (parser->at[length]);
}

static char *
read_string (Parser *parser)
{
  GString *text = g_string_new (NULL);

  parser->at++;   /* the opening quote */
  while (*parser->at != '\0' && *parser->at != '"')
    {
      if (*parser->at == '\\' && parser->at[1] != '\0')
        parser->at++;
      g_string_append_c (text, *parser->at);
      parser->at++;
    }
  if (*parser->at != '"')
    {
      g_string_free (text, TRUE);
      parse_fail (parser, "unterminated string");
      return NULL;
    }
  parser->at++;
  return g_string_free (text, FALSE);
}

static const char *const user_times[] = { "created", "activated", "statusChanged", "lastUpdated", "lastLogin",
                                          "passwordChanged", NULL };
static const char *const group_times[] = { "created", "lastUpdated", "lastMembershipUpdated", NULL };

/* Classifies @attr for the mode and checks the operator; FALSE with the
 * error set when the mode does not allow it. */
static gboolean
check_comparison (Parser *parser, OktaExpr *expr)
{
  const char *attr = expr->attr;
  Op op = expr->op;
  gboolean range = op == OP_GT || op == OP_GE || op == OP_LT || op == OP_LE;

  if (op == OP_NE)
    {
      parse_fail (parser, "ne is not supported");
      return FALSE;
    }
  switch (parser->mode)
    {
    case OKTA_Q_USER_FILTER:
      if (g_str_equal (attr, "status"))
        expr->attr_kind = ATTR_STATUS;
      else if (g_str_equal (attr, "id"))
        expr->attr_kind = ATTR_STRING;
      else if (g_str_equal (attr, "lastUpdated"))
        expr->attr_kind = ATTR_TIME;
      else if (g_str_equal (attr, "profile.login") || g_str_equal (attr, "profile.email") ||
               g_str_equal (attr, "profile.firstName") || g_str_equal (attr, "profile.lastName"))
        expr->attr_kind = ATTR_PROFILE;
      else
        {
          parse_fail (parser, "attribute not filterable");
          return FALSE;
        }
      if (op != OP_EQ && !(range && expr->attr_kind == ATTR_TIME))
        {
          parse_fail (parser, "operator not allowed in filter");
          return FALSE;
        }
      return TRUE;

    case OKTA_Q_USER_SEARCH:
      if (g_str_equal (attr, "status"))
        expr->attr_kind = ATTR_STATUS;
      else if (g_str_equal (attr, "id") || g_str_equal (attr, "type.id"))
        expr->attr_kind = ATTR_STRING;
      else if (g_strv_contains (user_times, attr))
        expr->attr_kind = ATTR_TIME;
      else if (g_str_has_prefix (attr, "profile.") && okta_org_knows_attribute (parser->org, attr + 8))
        expr->attr_kind = ATTR_PROFILE;
      else
        {
          parse_fail (parser, "unknown attribute");
          return FALSE;
        }
      if (op == OP_EW || (op == OP_CO && !(g_str_equal (attr, "profile.firstName") ||
                                            g_str_equal (attr, "profile.lastName") ||
                                            g_str_equal (attr, "profile.email") ||
                                            g_str_equal (attr, "profile.login"))) ||
          (op == OP_SW && expr->attr_kind == ATTR_TIME))
        {
          parse_fail (parser, "operator not allowed on this attribute");
          return FALSE;
        }
      return TRUE;

    case OKTA_Q_GROUP_FILTER:
      if (g_str_equal (attr, "id") || g_str_equal (attr, "type"))
        expr->attr_kind = ATTR_STRING;
      else if (g_str_equal (attr, "lastUpdated") || g_str_equal (attr, "lastMembershipUpdated"))
        expr->attr_kind = ATTR_TIME;
      else
        {
          parse_fail (parser, "attribute not filterable");
          return FALSE;
        }
      if (op != OP_EQ && !(range && expr->attr_kind == ATTR_TIME))
        {
          parse_fail (parser, "operator not allowed in filter");
          return FALSE;
        }
      return TRUE;

    case OKTA_Q_GROUP_SEARCH:
      if (g_str_equal (attr, "id") || g_str_equal (attr, "type") || g_str_equal (attr, "source.id"))
        expr->attr_kind = ATTR_STRING;
      else if (g_strv_contains (group_times, attr))
        expr->attr_kind = ATTR_TIME;
      else if (g_str_has_prefix (attr, "profile.") && attr[8] != '\0')
        expr->attr_kind = ATTR_PROFILE;
      else
        {
          parse_fail (parser, "unknown attribute");
          return FALSE;
        }
      if (op == OP_EW || (op == OP_CO && !g_str_equal (attr, "profile.name") &&
                          !g_str_equal (attr, "profile.description")) ||
          (op == OP_SW && expr->attr_kind == ATTR_TIME))
        {
          parse_fail (parser, "operator not allowed on this attribute");
          return FALSE;
        }
      return TRUE;

    case OKTA_Q_LOG_FILTER:
      if (g_str_equal (attr, "published") || range)
        {
          parse_fail (parser, "published and range operators are not filterable");
          return FALSE;
        }
      expr->attr_kind = ATTR_LOG_PATH;
      expr->path = g_strsplit (attr, ".", -1);
      return TRUE;

    default:
      return FALSE;
    }
}

static OktaExpr *parse_or (Parser *parser);

static OktaExpr *
parse_comparison (Parser *parser)
{
  g_autofree char *attr = read_word (parser);
  g_autofree char *op_text = NULL;
  g_autoptr(OktaExpr) expr = NULL;
  int op = -1;

  if (attr == NULL)
    {
      parse_fail (parser, "an attribute was expected");
      return NULL;
    }
  op_text = read_word (parser);
  for (int i = 0; op_text != NULL && i < N_OPS; i++)
    if (g_ascii_strcasecmp (op_text, op_names[i]) == 0)
      op = i;
  if (op < 0)
    {
      parse_fail (parser, "an operator was expected");
      return NULL;
    }
  expr = g_new0 (OktaExpr, 1);
  expr->kind = EXPR_CMP;
  expr->mode = parser->mode;
  expr->attr = g_steal_pointer (&attr);
  expr->op = op;
  expr->insensitive = parser->mode == OKTA_Q_USER_SEARCH || parser->mode == OKTA_Q_GROUP_SEARCH ||
                      op == OP_SW || op == OP_CO || op == OP_EW;
  if (!check_comparison (parser, expr))
    return NULL;
  if (op == OP_PR)
    return g_steal_pointer (&expr);

  skip_space (parser);
  if (*parser->at == '"')
    {
      expr->value = read_string (parser);
      if (expr->value == NULL)
        return NULL;
      expr->value_kind = VAL_STRING;
    }
  else
    {
      g_autofree char *word = read_word (parser);
      char *end = NULL;

      if (word == NULL)
        {
          parse_fail (parser, "a value was expected");
          return NULL;
        }
      if (g_ascii_strcasecmp (word, "true") == 0)
        expr->value_kind = VAL_TRUE;
      else if (g_ascii_strcasecmp (word, "false") == 0)
        expr->value_kind = VAL_FALSE;
      else
        {
          expr->number = g_ascii_strtod (word, &end);
          if (end == word || *end != '\0')
            {
              parse_fail (parser, "values are quoted strings, numbers, true or false");
              return NULL;
            }
          expr->value_kind = VAL_NUMBER;
        }
      expr->value = g_steal_pointer (&word);
    }
  expr->folded = g_utf8_casefold (expr->value, -1);

  if (expr->attr_kind == ATTR_TIME)
    {
      if (expr->value_kind != VAL_STRING || !okta_parse_time (expr->value, &expr->time))
        {
          date_fail (parser);
          return NULL;
        }
    }
  else if (expr->attr_kind == ATTR_STATUS && expr->op == OP_EQ)
    {
      OktaStatus status;
      g_autofree char *upper = g_ascii_strup (expr->value, -1);

      if (expr->value_kind != VAL_STRING ||
          !okta_status_parse (expr->insensitive ? upper : expr->value, &status))
        {
          parse_fail (parser, "not a status");
          return NULL;
        }
    }
  return g_steal_pointer (&expr);
}

static OktaExpr *
parse_unary (Parser *parser)
{
  skip_space (parser);
  if (peek_keyword (parser, "not"))
    {
      parse_fail (parser, "not is not supported");
      return NULL;
    }
  if (*parser->at == '(')
    {
      OktaExpr *inner;

      parser->at++;
      inner = parse_or (parser);
      if (inner == NULL)
        return NULL;
      skip_space (parser);
      if (*parser->at != ')')
        {
          okta_expr_free (inner);
          parse_fail (parser, "a ) was expected");
          return NULL;
        }
      parser->at++;
      return inner;
    }
  return parse_comparison (parser);
}

static OktaExpr *
join (ExprKind kind, OktaExpr *left, OktaExpr *right)
{
  OktaExpr *expr = g_new0 (OktaExpr, 1);

  expr->kind = kind;
  expr->left = left;
  expr->right = right;
  return expr;
}

static OktaExpr *
parse_and (Parser *parser)
{
  OktaExpr *left = parse_unary (parser);

  while (left != NULL && peek_keyword (parser, "and"))
    {
      OktaExpr *right;

      parser->at += 3;
      right = parse_unary (parser);
      if (right == NULL)
        {
          okta_expr_free (left);
          return NULL;
        }
      left = join (EXPR_AND, left, right);
    }
  return left;
}

static OktaExpr *
parse_or (Parser *parser)
{
  OktaExpr *left = parse_and (parser);

  while (left != NULL && peek_keyword (parser, "or"))
    {
      OktaExpr *right;

      parser->at += 2;
      right = parse_and (parser);
      if (right == NULL)
        {
          okta_expr_free (left);
          return NULL;
        }
      left = join (EXPR_OR, left, right);
    }
  return left;
}

OktaExpr *
okta_expr_parse (const char *text, OktaQueryMode mode, OktaOrg *org, OktaError *error)
{
  Parser parser = { text, text, mode, org, error };
  OktaExpr *expr = parse_or (&parser);

  if (expr != NULL)
    {
      skip_space (&parser);
      if (*parser.at != '\0')
        {
          parse_fail (&parser, "trailing text");
          g_clear_pointer (&expr, okta_expr_free);
        }
    }
  if (expr == NULL)
    parse_fail (&parser, "empty expression");
  return expr;
}

/* ---------------------------------------------------------------- matching */

static int
compare_text (OktaExpr *expr, const char *text)
{
  if (expr->insensitive)
    {
      g_autofree char *folded = g_utf8_casefold (text, -1);

      return strcmp (folded, expr->folded);
    }
  return strcmp (text, expr->value);
}

static gboolean
match_text (OktaExpr *expr, const char *text)
{
  g_autofree char *folded = NULL;
  const char *subject = text;
  const char *wanted = expr->value;

  if (text == NULL)
    return FALSE;
  if (expr->insensitive)
    {
      folded = g_utf8_casefold (text, -1);
      subject = folded;
      wanted = expr->folded;
    }
  switch (expr->op)
    {
    case OP_EQ:
      return strcmp (subject, wanted) == 0;
    case OP_SW:
      return g_str_has_prefix (subject, wanted);
    case OP_CO:
      return strstr (subject, wanted) != NULL;
    case OP_EW:
      return g_str_has_suffix (subject, wanted);
    case OP_GT:
      return compare_text (expr, text) > 0;
    case OP_GE:
      return compare_text (expr, text) >= 0;
    case OP_LT:
      return compare_text (expr, text) < 0;
    case OP_LE:
      return compare_text (expr, text) <= 0;
    case OP_PR:
      return TRUE;
    case OP_NE:
    case N_OPS:
    default:
      return FALSE;
    }
}

static gboolean
match_time (OktaExpr *expr, gint64 ms)
{
  if (expr->op == OP_PR)
    return ms != 0;
  if (ms == 0)
    return FALSE;
  switch (expr->op)
    {
    case OP_EQ:
      return ms == expr->time;
    case OP_GT:
      return ms > expr->time;
    case OP_GE:
      return ms >= expr->time;
    case OP_LT:
      return ms < expr->time;
    case OP_LE:
      return ms <= expr->time;
    case OP_NE:
    case OP_SW:
    case OP_CO:
    case OP_EW:
    case OP_PR:
    case N_OPS:
    default:
      return FALSE;
    }
}

static gboolean
match_value (OktaExpr *expr, JsonNode *node)
{
  GType type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (match_value (expr, json_array_get_element (array, i)))
          return TRUE;
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (expr->op == OP_PR)
    return TRUE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_BOOLEAN)
    {
      gboolean value = json_node_get_boolean (node);

      if (expr->value_kind == VAL_TRUE || expr->value_kind == VAL_FALSE)
        return expr->op == OP_EQ && value == (expr->value_kind == VAL_TRUE);
      return match_text (expr, value ? "true" : "false");
    }
  if ((type == G_TYPE_INT64 || type == G_TYPE_DOUBLE) && expr->value_kind == VAL_NUMBER)
    {
      double value = json_node_get_double (node);

      switch (expr->op)
        {
        case OP_EQ:
          return value == expr->number;
        case OP_GT:
          return value > expr->number;
        case OP_GE:
          return value >= expr->number;
        case OP_LT:
          return value < expr->number;
        case OP_LE:
          return value <= expr->number;
        case OP_NE:
        case OP_SW:
        case OP_CO:
        case OP_EW:
        case OP_PR:
        case N_OPS:
        default:
          break;
        }
    }
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      if (type == G_TYPE_INT64)
        g_snprintf (buffer, sizeof buffer, "%" G_GINT64_FORMAT, json_node_get_int (node));
      else
        g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node));
      return match_text (expr, buffer);
    }
  return match_text (expr, json_node_get_string (node));
}

static gint64
user_time (OktaUser *user, const char *attr)
{
  if (g_str_equal (attr, "created"))
    return user->created;
  if (g_str_equal (attr, "activated"))
    return user->activated;
  if (g_str_equal (attr, "statusChanged"))
    return user->status_changed;
  if (g_str_equal (attr, "lastUpdated"))
    return user->last_updated;
  if (g_str_equal (attr, "lastLogin"))
    return user->last_login;
  if (g_str_equal (attr, "passwordChanged"))
    return user->password_changed;
  return 0;
}

static gboolean
match_user_cmp (OktaExpr *expr, OktaUser *user)
{
  switch (expr->attr_kind)
    {
    case ATTR_STATUS:
      return expr->op == OP_PR || match_text (expr, okta_status_name (user->status));
    case ATTR_STRING:
      return match_text (expr, g_str_equal (expr->attr, "id") ? user->id : user->type_id);
    case ATTR_TIME:
      return match_time (expr, user_time (user, expr->attr));
    case ATTR_PROFILE:
      return match_value (expr, json_object_get_member (user->profile, expr->attr + 8));
    case ATTR_LOG_PATH:
    default:
      return FALSE;
    }
}

gboolean
okta_expr_match_user (OktaExpr *expr, OktaUser *user)
{
  switch (expr->kind)
    {
    case EXPR_AND:
      return okta_expr_match_user (expr->left, user) && okta_expr_match_user (expr->right, user);
    case EXPR_OR:
      return okta_expr_match_user (expr->left, user) || okta_expr_match_user (expr->right, user);
    case EXPR_CMP:
    default:
      return match_user_cmp (expr, user);
    }
}

static gboolean
match_group_cmp (OktaExpr *expr, OktaGroup *group)
{
  switch (expr->attr_kind)
    {
    case ATTR_STRING:
      if (g_str_equal (expr->attr, "id"))
        return match_text (expr, group->id);
      if (g_str_equal (expr->attr, "type"))
        return match_text (expr, group->type);
      return match_text (expr, group->source_id);
    case ATTR_TIME:
      return match_time (expr, g_str_equal (expr->attr, "created") ? group->created :
                         g_str_equal (expr->attr, "lastUpdated") ? group->last_updated :
                         group->last_membership_updated);
    case ATTR_PROFILE:
      return match_value (expr, json_object_get_member (group->profile, expr->attr + 8));
    case ATTR_STATUS:
    case ATTR_LOG_PATH:
    default:
      return FALSE;
    }
}

gboolean
okta_expr_match_group (OktaExpr *expr, OktaGroup *group)
{
  switch (expr->kind)
    {
    case EXPR_AND:
      return okta_expr_match_group (expr->left, group) && okta_expr_match_group (expr->right, group);
    case EXPR_OR:
      return okta_expr_match_group (expr->left, group) || okta_expr_match_group (expr->right, group);
    case EXPR_CMP:
    default:
      return match_group_cmp (expr, group);
    }
}

/* Walks @path from @node; arrays on the way match when any element does. */
static gboolean
match_path (OktaExpr *expr, JsonNode *node, char **path)
{
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (match_path (expr, json_array_get_element (array, i), path))
          return TRUE;
      return FALSE;
    }
  if (*path == NULL)
    return match_value (expr, node);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  return match_path (expr, json_object_get_member (json_node_get_object (node), *path), path + 1);
}

gboolean
okta_expr_match_event (OktaExpr *expr, OktaEvent *event)
{
  switch (expr->kind)
    {
    case EXPR_AND:
      return okta_expr_match_event (expr->left, event) && okta_expr_match_event (expr->right, event);
    case EXPR_OR:
      return okta_expr_match_event (expr->left, event) || okta_expr_match_event (expr->right, event);
    case EXPR_CMP:
    default:
      {
        g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), event->object);

        return match_path (expr, root, expr->path);
      }
    }
}

/* ---------------------------------------------------------------- drives */

static void
consider (OktaExpr *expr, OktaDrive *drive)
{
  OktaDriveKind kind = OKTA_DRIVE_ALL;
  OktaStatus status;
  g_autofree char *upper = NULL;

  if (expr->kind == EXPR_AND)
    {
      consider (expr->left, drive);
      consider (expr->right, drive);
      return;
    }
  if (expr->kind != EXPR_CMP)
    return;
  if (expr->op == OP_EQ && expr->value_kind == VAL_STRING && g_str_equal (expr->attr, "id"))
    kind = OKTA_DRIVE_ID;
  else if (expr->op == OP_EQ && expr->value_kind == VAL_STRING && g_str_equal (expr->attr, "profile.login"))
    kind = OKTA_DRIVE_LOGIN;
  else if ((expr->op == OP_GT || expr->op == OP_GE) && g_str_equal (expr->attr, "lastUpdated"))
    kind = OKTA_DRIVE_UPDATED;
  else if (expr->op == OP_EQ && expr->attr_kind == ATTR_STATUS)
    {
      upper = g_ascii_strup (expr->value, -1);
      if (okta_status_parse (upper, &status))
        kind = OKTA_DRIVE_STATUS;
    }
  /* The most selective wins: ID, LOGIN, UPDATED, STATUS, in that order. */
  if (kind == OKTA_DRIVE_ALL || (drive->kind != OKTA_DRIVE_ALL && drive->kind <= kind))
    return;
  drive->kind = kind;
  drive->text = expr->value;
  drive->time = expr->time;
  drive->inclusive = expr->op == OP_GE;
  if (kind == OKTA_DRIVE_STATUS)
    drive->status = status;
}

void
okta_expr_user_drive (OktaExpr *expr, OktaDrive *drive)
{
  memset (drive, 0, sizeof *drive);
  drive->kind = OKTA_DRIVE_ALL;
  if (expr != NULL)
    consider (expr, drive);
}

/* ---------------------------------------------------------------- fields */

void
okta_fields_free (OktaFields *fields)
{
  if (fields == NULL)
    return;
  g_hash_table_unref (fields->top);
  g_clear_pointer (&fields->profile, g_hash_table_unref);
  g_free (fields);
}

OktaFields *
okta_fields_parse (const char *text, OktaError *error)
{
  g_autoptr(OktaFields) fields = g_new0 (OktaFields, 1);
  const char *at = text;

  fields->top = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (fields->top, g_strdup ("id"));
  while (*at != '\0')
    {
      const char *start = at;
      g_autofree char *name = NULL;

      while (*at != '\0' && *at != ',' && *at != ':')
        at++;
      name = g_strstrip (g_strndup (start, at - start));
      if (*name == '\0')
        {
          okta_error_set (error, 400, "E0000001", "Api validation failed: fields");
          return NULL;
        }
      if (*at == ':')
        {
          if (!g_str_equal (name, "profile") || at[1] != '(')
            {
              okta_error_set (error, 400, "E0000001", "Api validation failed: fields");
              return NULL;
            }
          at += 2;
          fields->profile = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          while (*at != '\0' && *at != ')')
            {
              const char *item = at;

              while (*at != '\0' && *at != ',' && *at != ')')
                at++;
              g_hash_table_add (fields->profile, g_strstrip (g_strndup (item, at - item)));
              if (*at == ',')
                at++;
            }
          if (*at != ')')
            {
              okta_error_set (error, 400, "E0000001", "Api validation failed: fields");
              return NULL;
            }
          at++;
        }
      g_hash_table_add (fields->top, g_steal_pointer (&name));
      if (*at == ',')
        at++;
    }
  return g_steal_pointer (&fields);
}

gboolean
okta_fields_has (OktaFields *fields, const char *name)
{
  return fields == NULL || g_hash_table_contains (fields->top, name);
}

gboolean
okta_fields_has_profile (OktaFields *fields, const char *name)
{
  if (fields == NULL)
    return TRUE;
  if (!g_hash_table_contains (fields->top, "profile"))
    return FALSE;
  return fields->profile == NULL || g_hash_table_contains (fields->profile, name);
}

/* ---------------------------------------------------------------- sorting */

char *
okta_user_attribute_text (OktaUser *user, const char *attribute)
{
  JsonNode *node;

  if (g_str_equal (attribute, "id"))
    return g_strdup (user->id);
  if (g_str_equal (attribute, "status"))
    return g_strdup (okta_status_name (user->status));
  if (g_strv_contains (user_times, attribute))
    {
      gint64 ms = user_time (user, attribute);

      return ms != 0 ? okta_format_time (ms) : NULL;
    }
  if (!g_str_has_prefix (attribute, "profile."))
    return NULL;
  node = json_object_get_member (user->profile, attribute + 8);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_utf8_casefold (json_node_get_string (node), -1);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%020" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

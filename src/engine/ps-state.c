/* ps-state.c — sync state and run history in SQLite
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <sqlite3.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-engine-error.h"
#include "ps-state.h"

#define SCHEMA_VERSION 3

struct _PsState
{
  GObject   parent_instance;

  char     *path;
  sqlite3  *db;
};

G_DEFINE_TYPE (PsState, ps_state, G_TYPE_OBJECT)
G_DEFINE_QUARK (ps-engine-error-quark, ps_engine_error)

static const char schema_sql[] =
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
  "CREATE TABLE IF NOT EXISTS links ("
  "  mapping TEXT NOT NULL, anchor TEXT NOT NULL, target_id TEXT NOT NULL,"
  "  values_hash TEXT, dn TEXT, active INTEGER NOT NULL DEFAULT 1,"
  "  updated_at INTEGER NOT NULL, PRIMARY KEY (mapping, anchor));"
  "CREATE TABLE IF NOT EXISTS intents ("
  "  mapping TEXT NOT NULL, anchor TEXT NOT NULL, operation TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL, PRIMARY KEY (mapping, anchor));"
  "CREATE TABLE IF NOT EXISTS watermarks ("
  "  mapping TEXT PRIMARY KEY, dc TEXT, service TEXT, invocation_id TEXT, usn INTEGER,"
  "  full_at INTEGER, token TEXT);"
  "CREATE TABLE IF NOT EXISTS source_counts (mapping TEXT PRIMARY KEY, count INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS runs ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, started_at INTEGER NOT NULL, finished_at INTEGER,"
  "  trigger TEXT NOT NULL, dry_run INTEGER NOT NULL, status TEXT NOT NULL, outline TEXT);"
  "CREATE TABLE IF NOT EXISTS run_mappings ("
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, mapping TEXT NOT NULL,"
  "  status TEXT NOT NULL, created INTEGER, updated INTEGER, deactivated INTEGER,"
  "  reactivated INTEGER, skipped INTEGER, failed INTEGER, paused INTEGER, message TEXT);"
  "CREATE TABLE IF NOT EXISTS run_actions ("
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
  "  mapping TEXT NOT NULL, action TEXT NOT NULL, anchor TEXT, target_id TEXT, name TEXT,"
  "  changes TEXT, error TEXT, email TEXT);"
  "CREATE INDEX IF NOT EXISTS run_actions_run ON run_actions (run_id, seq);"
  "CREATE TABLE IF NOT EXISTS run_log ("
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
  "  ts INTEGER NOT NULL, level TEXT NOT NULL, mapping TEXT, message TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS run_log_run ON run_log (run_id, seq);";

static const char *const status_words[] = {
  "running", "succeeded", "failed", "paused", "cancelled", "interrupted", NULL
};

/* ---------------------------------------------------------------- helpers */

static gboolean
set_db_error (PsState     *self,
              GError     **error,
              const char  *what)
{
  g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
               _("The sync state %s cannot be %s: %s"), self->path, what,
               sqlite3_errmsg (self->db));
  return FALSE;
}

static sqlite3_stmt *
prepare (PsState     *self,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, _("read"));
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static void
bind_text (sqlite3_stmt *stmt,
           int           idx,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, idx);
}

static gboolean
step_done (PsState      *self,
           sqlite3_stmt *stmt,
           GError      **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, _("written"));
  return TRUE;
}

static gboolean
exec (PsState     *self,
      const char  *sql,
      GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("The sync state %s cannot be written: %s"), self->path,
                   message != NULL ? message : "?");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
has_column (PsState    *self,
            const char *table,
            const char *column)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA table_info(%s)", table);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, NULL);

  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 1), column) == 0)
      return TRUE;
  return FALSE;
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);
  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
foreach_rows (PsState        *self,
              const char     *sql,
              gint64          run_id,
              int             columns,
              PsStateRowFunc  func,
              gpointer        user_data,
              GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *row[16] = { NULL };

      for (int i = 0; i < columns && i < 15; i++)
        row[i] = (const char *) sqlite3_column_text (stmt, i);
      func (row, user_data);
    }
  if (rc != SQLITE_DONE)
    return set_db_error (self, error, _("read"));
  return TRUE;
}

/* ---------------------------------------------------------------- boxed helpers */

PsLink *
ps_link_new (const char *anchor,
             const char *target_id)
{
  PsLink *link = g_new0 (PsLink, 1);

  link->anchor = g_strdup (anchor);
  link->target_id = g_strdup (target_id);
  link->active = TRUE;
  return link;
}

void
ps_link_free (PsLink *link)
{
  if (link == NULL)
    return;
  g_free (link->anchor);
  g_free (link->target_id);
  g_free (link->values_hash);
  g_free (link->dn);
  g_free (link);
}

void
ps_watermark_free (PsWatermark *mark)
{
  if (mark == NULL)
    return;
  g_free (mark->token);
  g_free (mark);
}

void
ps_run_info_free (PsRunInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->trigger);
  g_free (info);
}

const char *
ps_run_status_to_string (PsRunStatus status)
{
  return status_words[status];
}

static PsRunStatus
run_status_from_string (const char *text)
{
  for (guint i = 0; status_words[i] != NULL; i++)
    if (g_strcmp0 (status_words[i], text) == 0)
      return (PsRunStatus) i;
  return PS_RUN_FAILED;
}

/* ---------------------------------------------------------------- GObject */

static void
ps_state_finalize (GObject *object)
{
  PsState *self = PS_STATE (object);

  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (ps_state_parent_class)->finalize (object);
}

static void
ps_state_class_init (PsStateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_state_finalize;
}

static void
ps_state_init (PsState *self)
{
}

/* ---------------------------------------------------------------- public API */

PsState *
ps_state_open (const char  *path,
               GError     **error)
{
  g_autoptr(PsState) self = g_object_new (PS_TYPE_STATE, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int version = 0;

  self->path = g_strdup (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("Cannot create the folder %s for the sync state: %s"), dir, g_strerror (saved));
      return NULL;
    }
  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      set_db_error (self, error, _("opened"));
      return NULL;
    }
  g_chmod (path, 0600);
  sqlite3_busy_timeout (self->db, 10000);
  if (!exec (self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", error))
    return NULL;

  stmt = prepare (self, "PRAGMA user_version", error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("The sync state %s was written by a newer PandaSync (schema %d); "
                     "update PandaSync"), path, version);
      return NULL;
    }
  /* Only a new (or older) file is written to on open: readers such as the
   * History page never wait on a running sync for this. */
  /* Version 1 kept Active Directory's watermark in columns of its own;
   * version 2 keeps any source's as an opaque token. An old row has no
   * token, which makes the next run a full read. */
  if (version == 1 && !exec (self, "ALTER TABLE watermarks ADD COLUMN token TEXT;", error))
    return NULL;
  if (version < SCHEMA_VERSION && !exec (self, schema_sql, error))
    return NULL;
  /* Version 3 keeps each run's outline (its mappings' ids and Asset Panda's
   * names for them) and each action's email. */
  if (version < 3
      && ((!has_column (self, "runs", "outline")
           && !exec (self, "ALTER TABLE runs ADD COLUMN outline TEXT;", error))
          || (!has_column (self, "run_actions", "email")
              && !exec (self, "ALTER TABLE run_actions ADD COLUMN email TEXT;", error))))
    return NULL;
  if (version < SCHEMA_VERSION
      && !exec (self, "PRAGMA user_version = " G_STRINGIFY (SCHEMA_VERSION), error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
ps_state_get_path (PsState *self)
{
  return self->path;
}

gboolean
ps_state_begin (PsState  *self,
                GError  **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
ps_state_commit (PsState  *self,
                 GError  **error)
{
  return exec (self, "COMMIT", error);
}

void
ps_state_rollback (PsState *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

GHashTable *
ps_state_load_links (PsState     *self,
                     const char  *mapping,
                     GError     **error)
{
  g_autoptr(GHashTable) links = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify) ps_link_free);
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "SELECT anchor, target_id, values_hash, dn, active FROM links WHERE mapping = ?", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, mapping);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PsLink *link = ps_link_new ((const char *) sqlite3_column_text (stmt, 0),
                                  (const char *) sqlite3_column_text (stmt, 1));
      link->values_hash = column_dup (stmt, 2);
      link->dn = column_dup (stmt, 3);
      link->active = sqlite3_column_int (stmt, 4) != 0;
      g_hash_table_replace (links, link->anchor, link);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, _("read"));
      return NULL;
    }
  return g_steal_pointer (&links);
}

gboolean
ps_state_put_link (PsState       *self,
                   const char    *mapping,
                   const PsLink  *link,
                   GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT OR REPLACE INTO links (mapping, anchor, target_id, values_hash, dn, active, updated_at)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  bind_text (stmt, 2, link->anchor);
  bind_text (stmt, 3, link->target_id);
  bind_text (stmt, 4, link->values_hash);
  bind_text (stmt, 5, link->dn);
  sqlite3_bind_int (stmt, 6, link->active ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, now_unix ());
  return step_done (self, stmt, error);
}

gboolean
ps_state_delete_link (PsState     *self,
                      const char  *mapping,
                      const char  *anchor,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "DELETE FROM links WHERE mapping = ? AND anchor = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  bind_text (stmt, 2, anchor);
  return step_done (self, stmt, error);
}

/**
 * ps_state_rename_mapping:
 *
 * Carries everything the state keeps of the mapping @from over to the name
 * @to, in one transaction: its links (so its people are not leavers), its
 * pending intents, its watermark and last source count, and its lines in
 * the run history. Fails, changing nothing, when @to already has state.
 */
gboolean
ps_state_rename_mapping (PsState     *self,
                         const char  *from,
                         const char  *to,
                         GError     **error)
{
  static const char *const tables[] = {
    "links", "intents", "watermarks", "source_counts", "run_mappings", "run_actions", "run_log"
  };

  if (g_strcmp0 (from, to) == 0)
    return TRUE;
  if (ps_state_count_links (self, to, FALSE) > 0)
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("The sync state already holds people of a mapping named “%s”: choose another "
                     "name, or remove that mapping’s state first"), to);
      return FALSE;
    }
  if (!ps_state_begin (self, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("UPDATE %s SET mapping = ? WHERE mapping = ?", tables[i]);
      g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, error);

      if (stmt == NULL)
        {
          ps_state_rollback (self);
          return FALSE;
        }
      bind_text (stmt, 1, to);
      bind_text (stmt, 2, from);
      if (!step_done (self, stmt, error))
        {
          ps_state_rollback (self);
          return FALSE;
        }
    }
  return ps_state_commit (self, error);
}

guint
ps_state_count_links (PsState    *self,
                      const char *mapping,
                      gboolean    active_only)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, active_only
      ? "SELECT COUNT(*) FROM links WHERE mapping = ? AND active = 1"
      : "SELECT COUNT(*) FROM links WHERE mapping = ?", NULL);

  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, mapping);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return (guint) sqlite3_column_int64 (stmt, 0);
}

gboolean
ps_state_add_intent (PsState     *self,
                     const char  *mapping,
                     const char  *anchor,
                     const char  *operation,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT OR REPLACE INTO intents (mapping, anchor, operation, created_at) VALUES (?, ?, ?, ?)",
      error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  bind_text (stmt, 2, anchor);
  bind_text (stmt, 3, operation);
  sqlite3_bind_int64 (stmt, 4, now_unix ());
  return step_done (self, stmt, error);
}

gboolean
ps_state_clear_intent (PsState     *self,
                       const char  *mapping,
                       const char  *anchor,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "DELETE FROM intents WHERE mapping = ? AND anchor = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  bind_text (stmt, 2, anchor);
  return step_done (self, stmt, error);
}

GHashTable *
ps_state_load_intents (PsState     *self,
                       const char  *mapping,
                       GError     **error)
{
  g_autoptr(GHashTable) intents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "SELECT anchor, operation FROM intents WHERE mapping = ?", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, mapping);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_replace (intents, column_dup (stmt, 0), column_dup (stmt, 1));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, _("read"));
      return NULL;
    }
  return g_steal_pointer (&intents);
}

PsWatermark *
ps_state_get_watermark (PsState    *self,
                        const char *mapping)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "SELECT token, full_at FROM watermarks WHERE mapping = ?", NULL);
  PsWatermark *mark;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, mapping);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  mark = g_new0 (PsWatermark, 1);
  mark->token = column_dup (stmt, 0);
  mark->full_at = sqlite3_column_int64 (stmt, 1);
  return mark;
}

gboolean
ps_state_set_watermark (PsState            *self,
                        const char         *mapping,
                        const PsWatermark  *mark,
                        GError            **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT OR REPLACE INTO watermarks (mapping, token, full_at) VALUES (?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  bind_text (stmt, 2, mark->token);
  sqlite3_bind_int64 (stmt, 3, mark->full_at);
  return step_done (self, stmt, error);
}

gboolean
ps_state_clear_watermark (PsState     *self,
                          const char  *mapping,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "DELETE FROM watermarks WHERE mapping = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  return step_done (self, stmt, error);
}

gint64
ps_state_get_source_count (PsState    *self,
                           const char *mapping)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "SELECT count FROM source_counts WHERE mapping = ?", NULL);

  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, mapping);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
ps_state_set_source_count (PsState     *self,
                           const char  *mapping,
                           gint64       count,
                           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT OR REPLACE INTO source_counts (mapping, count) VALUES (?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mapping);
  sqlite3_bind_int64 (stmt, 2, count);
  return step_done (self, stmt, error);
}

gint64
ps_state_begin_run (PsState     *self,
                    const char  *trigger,
                    gboolean     dry_run,
                    GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT INTO runs (started_at, trigger, dry_run, status) VALUES (?, ?, ?, 'running')", error);

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, now_unix ());
  bind_text (stmt, 2, trigger);
  sqlite3_bind_int (stmt, 3, dry_run ? 1 : 0);
  if (!step_done (self, stmt, error))
    return -1;
  return sqlite3_last_insert_rowid (self->db);
}

gboolean
ps_state_finish_run (PsState      *self,
                     gint64        run_id,
                     PsRunStatus   status,
                     GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now_unix ());
  bind_text (stmt, 2, status_words[status]);
  sqlite3_bind_int64 (stmt, 3, run_id);
  return step_done (self, stmt, error);
}

gboolean
ps_state_set_run_outline (PsState     *self,
                          gint64       run_id,
                          const char  *outline,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "UPDATE runs SET outline = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, outline);
  sqlite3_bind_int64 (stmt, 2, run_id);
  return step_done (self, stmt, error);
}

char *
ps_state_dup_run_outline (PsState  *self,
                          gint64    run_id,
                          GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT outline FROM runs WHERE id = ?", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    set_db_error (self, error, _("read"));
  return NULL;
}

GHashTable *
ps_state_last_actions (PsState     *self,
                       const char  *mapping,
                       const char  *action,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "SELECT a.target_id, MAX(a.run_id), r.started_at FROM run_actions a JOIN runs r ON r.id = a.run_id"
      " WHERE a.mapping = ? AND a.action = ? AND r.dry_run = 0 AND a.target_id IS NOT NULL"
      " GROUP BY a.target_id", error);
  g_autoptr(GHashTable) stamps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, mapping);
  bind_text (stmt, 2, action);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PsRunStamp *stamp = g_new0 (PsRunStamp, 1);

      stamp->run_id = sqlite3_column_int64 (stmt, 1);
      stamp->started_at = sqlite3_column_int64 (stmt, 2);
      g_hash_table_replace (stamps, column_dup (stmt, 0), stamp);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, _("read"));
      return NULL;
    }
  return g_steal_pointer (&stamps);
}

/* Runs left "running" by a process that died are marked interrupted. */
guint
ps_state_mark_interrupted (PsState *self)
{
  if (sqlite3_exec (self->db, "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
                    NULL, NULL, NULL) != SQLITE_OK)
    return 0;
  return (guint) sqlite3_changes (self->db);
}

gboolean
ps_state_add_run_mapping (PsState      *self,
                          gint64        run_id,
                          const char   *mapping,
                          const char   *status,
                          const guint   counts[7],
                          const char   *message,
                          GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT INTO run_mappings (run_id, mapping, status, created, updated, deactivated,"
      " reactivated, skipped, failed, paused, message) VALUES (?,?,?,?,?,?,?,?,?,?,?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  bind_text (stmt, 2, mapping);
  bind_text (stmt, 3, status);
  for (int i = 0; i < 7; i++)
    sqlite3_bind_int64 (stmt, 4 + i, counts[i]);
  bind_text (stmt, 11, message);
  return step_done (self, stmt, error);
}

gboolean
ps_state_add_action (PsState     *self,
                     gint64       run_id,
                     const char  *mapping,
                     const char  *action,
                     const char  *anchor,
                     const char  *target_id,
                     const char  *name,
                     const char  *email,
                     const char  *changes_json,
                     const char  *error_text,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT INTO run_actions (run_id, seq, mapping, action, anchor, target_id, name, changes, error,"
      " email)"
      " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_actions WHERE run_id = ?1),"
      " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  bind_text (stmt, 2, mapping);
  bind_text (stmt, 3, action);
  bind_text (stmt, 4, anchor);
  bind_text (stmt, 5, target_id);
  bind_text (stmt, 6, name);
  bind_text (stmt, 7, changes_json);
  bind_text (stmt, 8, error_text);
  bind_text (stmt, 9, email);
  return step_done (self, stmt, error);
}

gboolean
ps_state_add_log (PsState     *self,
                  gint64       run_id,
                  const char  *level,
                  const char  *mapping,
                  const char  *message,
                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "INSERT INTO run_log (run_id, seq, ts, level, mapping, message)"
      " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_log WHERE run_id = ?1), ?2, ?3, ?4, ?5)",
      error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / 1000);
  bind_text (stmt, 3, level);
  bind_text (stmt, 4, mapping);
  bind_text (stmt, 5, message);
  return step_done (self, stmt, error);
}

static PsRunInfo *
run_from_row (sqlite3_stmt *stmt)
{
  PsRunInfo *info = g_new0 (PsRunInfo, 1);

  info->id = sqlite3_column_int64 (stmt, 0);
  info->started_at = sqlite3_column_int64 (stmt, 1);
  info->finished_at = sqlite3_column_int64 (stmt, 2);
  info->trigger = column_dup (stmt, 3);
  info->dry_run = sqlite3_column_int (stmt, 4) != 0;
  info->status = run_status_from_string ((const char *) sqlite3_column_text (stmt, 5));
  info->created = sqlite3_column_int (stmt, 6);
  info->updated = sqlite3_column_int (stmt, 7);
  info->deactivated = sqlite3_column_int (stmt, 8);
  info->reactivated = sqlite3_column_int (stmt, 9);
  info->skipped = sqlite3_column_int (stmt, 10);
  info->failed = sqlite3_column_int (stmt, 11);
  info->paused = sqlite3_column_int (stmt, 12);
  return info;
}

#define RUN_SELECT \
  "SELECT r.id, r.started_at, COALESCE(r.finished_at, 0), r.trigger, r.dry_run, r.status," \
  " COALESCE(SUM(m.created),0), COALESCE(SUM(m.updated),0), COALESCE(SUM(m.deactivated),0)," \
  " COALESCE(SUM(m.reactivated),0), COALESCE(SUM(m.skipped),0), COALESCE(SUM(m.failed),0)," \
  " COALESCE(SUM(m.paused),0) FROM runs r LEFT JOIN run_mappings m ON m.run_id = r.id "

GPtrArray *
ps_state_list_runs (PsState  *self,
                    guint     limit,
                    GError  **error)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_run_info_free);
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      RUN_SELECT "GROUP BY r.id ORDER BY r.id DESC LIMIT ?", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit > 0 ? limit : G_MAXINT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (runs, run_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, _("read"));
      return NULL;
    }
  return g_steal_pointer (&runs);
}

PsRunInfo *
ps_state_get_run (PsState  *self,
                  gint64    run_id,
                  GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, RUN_SELECT "WHERE r.id = ? GROUP BY r.id", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("There is no run %lld in the history"), (long long) run_id);
      return NULL;
    }
  return run_from_row (stmt);
}

/* When the last run started (unix seconds), or 0. Scheduling uses real runs
 * only: a preview must not postpone the next sync. */
gint64
ps_state_last_run_start (PsState  *self,
                         gboolean  real_runs_only)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, real_runs_only
      ? "SELECT MAX(started_at) FROM runs WHERE dry_run = 0"
      : "SELECT MAX(started_at) FROM runs", NULL);

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
ps_state_foreach_action (PsState         *self,
                         gint64           run_id,
                         PsStateRowFunc   func,
                         gpointer         user_data,
                         GError         **error)
{
  return foreach_rows (self,
                       "SELECT mapping, action, anchor, target_id, name, changes, error, email"
                       " FROM run_actions WHERE run_id = ? ORDER BY seq",
                       run_id, 8, func, user_data, error);
}

gboolean
ps_state_foreach_log (PsState         *self,
                      gint64           run_id,
                      PsStateRowFunc   func,
                      gpointer         user_data,
                      GError         **error)
{
  return foreach_rows (self,
                       "SELECT ts, level, mapping, message FROM run_log WHERE run_id = ? ORDER BY seq",
                       run_id, 4, func, user_data, error);
}

gboolean
ps_state_foreach_run_mapping (PsState         *self,
                              gint64           run_id,
                              PsStateRowFunc   func,
                              gpointer         user_data,
                              GError         **error)
{
  return foreach_rows (self,
                       "SELECT mapping, status, created, updated, deactivated, reactivated,"
                       " skipped, failed, paused, message FROM run_mappings WHERE run_id = ?"
                       " ORDER BY rowid",
                       run_id, 10, func, user_data, error);
}

/* The names of the mappings that have had at least one successful real run:
 * for a mapping not among them, the next real run is its first. */
GPtrArray *
ps_state_list_applied_mappings (PsState  *self,
                                GError  **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(sqlite3_stmt) stmt = prepare (self,
      "SELECT DISTINCT m.mapping FROM run_mappings m JOIN runs r ON r.id = m.run_id"
      " WHERE r.dry_run = 0 AND m.status = 'succeeded' ORDER BY m.mapping", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (names, column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, _("read"));
      return NULL;
    }
  return g_steal_pointer (&names);
}

/* ps-profile.h — a sync profile: connections, schedule and mappings.
 *
 * A profile is one GKeyFile under $XDG_CONFIG_HOME/pandasync/profiles/NAME.conf.
 * It never holds a secret: those live in the secret store (ps-secret-store.h).
 * The format is documented in README.md ("Profiles").
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PS_PROFILE_ERROR (ps_profile_error_quark ())
GQuark ps_profile_error_quark (void);

typedef enum {
  PS_PROFILE_ERROR_NOT_FOUND,     /* no such profile / file */
  PS_PROFILE_ERROR_UNREADABLE,    /* permission denied or I/O error */
  PS_PROFILE_ERROR_CORRUPT,       /* not a key file, not UTF-8, oversized */
  PS_PROFILE_ERROR_INVALID,       /* a key has a bad value; message names the key */
  PS_PROFILE_ERROR_UNWRITABLE,    /* the save failed; the old file is untouched */
  PS_PROFILE_ERROR_CHANGED_ON_DISK, /* the file changed since it was read: not overwritten */
} PsProfileError;

/* Largest profile file we read, and the largest single value. */
#define PS_PROFILE_MAX_FILE_SIZE  (1024 * 1024)
#define PS_PROFILE_MAX_VALUE_LEN  4096

typedef enum {
  PS_DIALECT_AUTO,     /* from the URL host: *.assetpanda.app → Pro, else Classic */
  PS_DIALECT_CLASSIC,  /* Classic v3: bearer token from email + password */
  PS_DIALECT_PRO,      /* Pro: Access-Key-Id / Access-Key-Secret headers */
} PsDialect;

typedef enum {
  PS_TLS_MODE_LDAPS,     /* ldaps:// (default for new profiles) */
  PS_TLS_MODE_STARTTLS,  /* ldap:// then StartTLS */
  PS_TLS_MODE_NONE,      /* plain ldap://; a simple bind needs AllowPlaintextBind */
} PsTlsMode;

typedef enum {
  PS_NESTED_CLIENT,    /* expand member client-side, once per group (default) */
  PS_NESTED_IN_CHAIN,  /* AD's LDAP_MATCHING_RULE_IN_CHAIN */
  PS_NESTED_OFF,       /* direct members only */
} PsNestedMode;

typedef enum {
  PS_SERVER_KIND_AUTO,              /* from the rootDSE: AD announces its capability OID */
  PS_SERVER_KIND_ACTIVE_DIRECTORY,  /* AD, whatever the rootDSE says (e.g. behind a proxy) */
  PS_SERVER_KIND_LDAP,              /* any other LDAP server (OpenLDAP and the like) */
} PsServerKind;

typedef enum {
  PS_INTERVAL_HOURLY,
  PS_INTERVAL_HOURS,   /* every N hours */
  PS_INTERVAL_DAILY,
  PS_INTERVAL_WEEKLY,
} PsIntervalKind;

typedef enum {
  PS_OWNERSHIP_OVERWRITE,    /* AD wins, also when AD is empty */
  PS_OWNERSHIP_FILL_EMPTY,   /* write only if Asset Panda's value is empty */
  PS_OWNERSHIP_NEVER_BLANK,  /* AD wins, but an empty AD value never blanks the field */
} PsOwnership;

typedef struct {
  char *url;            /* https://api.assetpanda.com */
  PsDialect dialect;
  char *client_id;
  char *email;
  char *ca_file;        /* optional extra CA (a private emulator, a proxy) */
  guint concurrency;    /* parallel HTTP calls, default 4 */
  guint rate_calls;     /* pace under rate_calls per rate_window s (400/180) */
  guint rate_window;
} PsTargetConfig;

typedef struct {
  char **uris;          /* tried in order */
  char *domain;         /* optional: DNS SRV discovery when uris is empty */
  PsTlsMode tls_mode;
  char *ca_file;
  gboolean allow_untrusted;   /* explicit, warned about */
  gboolean allow_plaintext_bind;
  char *bind_dn;
  char *base_dn;
  guint page_size;      /* ≤ 1000 */
  guint timeout;        /* seconds, connect and each operation */
  PsNestedMode nested;
  PsServerKind kind;    /* overrides the rootDSE detection unless auto */
} PsDirectoryConfig;

/* Which identity source the profile reads: the section it has. */
typedef enum {
  PS_SOURCE_KIND_ACTIVE_DIRECTORY,  /* [Directory]: Active Directory or LDAP */
  PS_SOURCE_KIND_ENTRA_ID,          /* [EntraID]: Microsoft Entra ID over Microsoft Graph */
  PS_SOURCE_KIND_OKTA,              /* [Okta]: an Okta org over its Management API */
} PsSourceKind;

/* [EntraID]: an app registration with application permissions
 * User.Read.All and GroupMember.Read.All; its secret is in the keyring. */
typedef struct {
  char *tenant;         /* tenant id (GUID) or a verified domain */
  char *client_id;      /* the application (client) id */
  char *login_url;      /* NULL: https://login.microsoftonline.com (national clouds differ) */
  char *graph_url;      /* NULL: https://graph.microsoft.com */
  char *ca_file;        /* optional extra CA (a private emulator, a TLS proxy) */
  char *certificate_file; /* optional: certificate credentials instead of the secret */
  guint page_size;      /* 1–999 */
  guint timeout;        /* seconds per request */
} PsEntraIdConfig;

/* [Okta]: an org and the API token (in the keyring) of an admin who may
 * read users and groups. */
typedef struct {
  char *url;            /* the org URL: https://acme.okta.com, or a custom domain */
  char *ca_file;        /* optional extra CA (a private emulator, a TLS proxy) */
  char *client_id;      /* an OAuth 2.0 service app: not supported yet, named as such */
  guint page_size;      /* 1–200 (Okta's largest page of users) */
  guint timeout;        /* seconds per request */
} PsOktaConfig;

typedef struct {
  gboolean enabled;
  GDateTime *start;     /* first run, local time */
  PsIntervalKind interval;
  guint every_hours;    /* with PS_INTERVAL_HOURS */
  guint full_every_hours; /* full reconciliation cadence, default 24 */
} PsSchedule;

/* One collection field ← AD attribute, with its ownership mode. */
typedef struct {
  char *field;          /* field key (Classic field_N) or column id (Pro) */
  char *attribute;      /* AD attribute, e.g. "department"; "a|b" = first non-empty */
  PsOwnership ownership;
} PsFieldMap;

typedef enum {
  PS_MAPPING_USERS,
  PS_MAPPING_COLLECTION,
} PsMappingKind;

/* A user mapping or a collection mapping (seed 000). */
typedef struct {
  PsMappingKind kind;
  char *name;           /* unique within the profile */
  gboolean enabled;
  char *account;
  char *module;
  char *group;          /* objectGUID, objectSid or DN of the AD group */
  char *group_name;     /* its display name, for people */
  char *search_base;    /* optional OU: members outside it are out of scope */
  char *filter;         /* optional RFC 4515 filter ANDed with the group (normalised) */
  /* users */
  char *role;
  char *email_attr;     /* an attribute, or fallbacks "mail|userPrincipalName" */
  char *first_name_attr;
  char *last_name_attr;
  /* collections */
  char *collection;
  char *unique_id_attr; /* objectSid (default) */
  char *unique_field;   /* Asset Panda field holding the anchor; empty = integ_ad_sid */
  char *status_field;   /* the "Integration Status AD" field, or NULL */
  GPtrArray *fields;    /* of PsFieldMap* */
  /* both */
  gboolean match_only;  /* link to existing people only, never create */
  int deactivation_threshold; /* -1 = automatic: min(500, max(10, 5%)); 0 = off */
} PsMapping;

PsMapping   *ps_mapping_new      (PsMappingKind kind, const char *name);
PsMapping   *ps_mapping_copy     (const PsMapping *mapping);
void         ps_mapping_free     (PsMapping *mapping);
void         ps_mapping_add_field (PsMapping *mapping, const char *field,
                                   const char *attribute, PsOwnership ownership);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsMapping, ps_mapping_free)

#define PS_TYPE_PROFILE (ps_profile_get_type ())
G_DECLARE_FINAL_TYPE (PsProfile, ps_profile, PS, PROFILE, GObject)

PsProfile   *ps_profile_new          (const char *name);
PsProfile   *ps_profile_load_file    (const char *path, GError **error);
PsProfile   *ps_profile_load         (const char *name, GError **error);
PsProfile   *ps_profile_snapshot         (PsProfile *self);
gboolean     ps_profile_save         (PsProfile *self, GError **error);
gboolean     ps_profile_save_to_file (PsProfile *self, const char *path, GError **error);
char        *ps_profile_to_data      (PsProfile *self, gsize *length);
gboolean     ps_profile_validate     (PsProfile *self, GPtrArray **problems);

/* Edits of the file by others: saving refuses to overwrite a file that
 * changed since it was read or written (PS_PROFILE_ERROR_CHANGED_ON_DISK)
 * until it is reloaded or ps_profile_keep_mine () says to. */
gboolean     ps_profile_changed_on_disk     (PsProfile *self);
gboolean     ps_profile_has_unsaved_changes (PsProfile *self);
gboolean     ps_profile_reload              (PsProfile *self, GError **error);
void         ps_profile_keep_mine           (PsProfile *self);

const char  *ps_profile_get_name     (PsProfile *self);
const char  *ps_profile_get_path     (PsProfile *self);
const char  *ps_profile_get_id       (PsProfile *self);
const char  *ps_profile_get_credentials_file (PsProfile *self);
void         ps_profile_set_credentials_file (PsProfile *self, const char *path);
const char  *ps_profile_get_state_file (PsProfile *self);
char        *ps_profile_dup_state_path (PsProfile *self);

PsTargetConfig    *ps_profile_get_target    (PsProfile *self);
PsDirectoryConfig *ps_profile_get_directory (PsProfile *self);
PsSourceKind       ps_profile_get_source_kind (PsProfile *self);
void               ps_profile_set_source_kind (PsProfile *self, PsSourceKind kind);
PsEntraIdConfig   *ps_profile_get_entra_id   (PsProfile *self);
PsOktaConfig      *ps_profile_get_okta       (PsProfile *self);
PsSchedule        *ps_profile_get_schedule  (PsProfile *self);
GPtrArray         *ps_profile_get_mappings  (PsProfile *self);
PsMapping         *ps_profile_find_mapping  (PsProfile *self, const char *name);
void               ps_profile_add_mapping   (PsProfile *self, PsMapping *mapping);
gboolean           ps_profile_replace_mapping (PsProfile *self, const char *name, PsMapping *mapping);
gboolean           ps_profile_move_mapping  (PsProfile *self, const char *name, guint index);
gboolean           ps_profile_remove_mapping (PsProfile *self, const char *name);
void               ps_profile_changed       (PsProfile *self);

PsDialect    ps_target_config_effective_dialect (const PsTargetConfig *target);

char        *ps_profile_dir           (void);
char        *ps_profile_path_for_name (const char *name);
GPtrArray   *ps_profile_list_names    (GError **error);
gboolean     ps_profile_name_is_valid (const char *name);

const char  *ps_dialect_to_string     (PsDialect dialect);
const char  *ps_tls_mode_to_string    (PsTlsMode mode);
const char  *ps_nested_mode_to_string (PsNestedMode mode);
const char  *ps_source_kind_to_string (PsSourceKind kind);
GStrv        ps_source_kind_split_attribute_spec (PsSourceKind   source,
                                                  const char    *spec,
                                                  char         **reason);
const char  *ps_interval_to_string    (PsIntervalKind kind);
const char  *ps_ownership_to_string   (PsOwnership ownership);
gboolean     ps_ownership_from_string (const char *text, PsOwnership *out);

GDateTime   *ps_schedule_next_run (const PsSchedule *schedule, GDateTime *last_run, GDateTime *now);
GTimeSpan    ps_schedule_period   (const PsSchedule *schedule);

G_END_DECLS

/* ps-emu.h — start the Asset Panda emulator for a test, and talk to its admin API */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ps-target.h"

G_BEGIN_DECLS

/* Seed credentials of tests/emulator/assetpanda/seed-small.json */
#define EMU_CLASSIC_ACCOUNT   "21040"
#define EMU_CLASSIC_EMAIL     "admin@example.com"
#define EMU_CLASSIC_PASSWORD  "Panda-Admin-1"
#define EMU_CLASSIC_CLIENT    "ps-demo-client"
#define EMU_CLASSIC_SECRET    "ps-demo-secret"
#define EMU_CLASSIC_BASIC_CLIENT "ps-basic-client"
#define EMU_CLASSIC_BASIC_SECRET "ps-basic-secret"
#define EMU_CLASSIC_EMPLOYEES "82677"
#define EMU_CLASSIC_ASSETS    "82676"
#define EMU_PRO_KEY           "AKID-DEMO-0001"
#define EMU_PRO_SECRET        "aks-demo-secret-0001"
#define EMU_PRO_BASIC_KEY     "AKID-BASIC-0002"
#define EMU_PRO_BASIC_SECRET  "aks-basic-secret-0002"
#define EMU_PRO_ACCOUNT       "01HWQGD1GHCAKJQ5NRFBFYH5K0"
#define EMU_PRO_MODULE        "01HWQJKCTVJVWAEKG252XHYN9C"
#define EMU_PRO_EMPLOYEES     "01HWQZC22GGFDETG9M3M7S2ZR5"

typedef struct {
  GSubprocess *process;
  guint        port;
  char        *url;
  SoupSession *admin;
} PsEmu;

/* Starts ps-emulator ($PS_EMULATOR) on a free port with the seed
 * ($PS_EMULATOR_SEED) and the extra arguments (NULL-terminated). */
PsEmu      *ps_emu_start        (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
void        ps_emu_stop         (PsEmu *emu);
JsonNode   *ps_emu_admin_get    (PsEmu *emu, const char *what);
void        ps_emu_admin_post   (PsEmu *emu, const char *what, const char *json);
/* Switches for the next calls, e.g. "{\"fail_next\":2}". */
void        ps_emu_faults       (PsEmu *emu, const char *json);
gint64      ps_emu_stat         (PsEmu *emu, const char *member);
/* How many calls of @route ("POST /v3/groups/{id}/objects") the log holds. */
guint       ps_emu_count_route  (PsEmu *emu, const char *route);

PsTarget   *ps_emu_classic      (PsEmu *emu, guint concurrency, guint rate_calls, guint rate_window);
PsTarget   *ps_emu_pro          (PsEmu *emu, guint concurrency, guint rate_calls, guint rate_window);
/* A Classic or Pro target for any @url (e.g. a closed port), with the seed's
 * credentials and short backoff. */
PsTarget   *ps_emu_target_at    (const char *url, PsDialect dialect);
PsTarget   *ps_emu_target_full  (PsEmu *emu, PsDialect dialect, const char *client_id,
                                 const char *client_secret, const char *email,
                                 const char *password, guint concurrency,
                                 guint rate_calls, guint rate_window);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsEmu, ps_emu_stop)

G_END_DECLS

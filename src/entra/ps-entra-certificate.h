/* ps-entra-certificate.h — a certificate credential: the signed client assertion
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Instead of a client secret, an application may prove who it is with a
 * certificate whose public part is uploaded to its app registration
 * (Entra ID / Graph read contract §1.2): each token request carries a JWT
 * signed with the private key,
 *   header  {"alg": "PS256", "typ": "JWT", "x5t": SHA-1 thumbprint,
 *            "x5t#S256": SHA-256 thumbprint}   (both base64url, of the DER)
 *   claims  {"aud": the token URL, "iss" = "sub" = the client id,
 *            "jti": a fresh GUID, "nbf" = "iat" = now, "exp": now + 10 min}
 * RS256 instead of PS256 for tenants that still want it. The assertion is a
 * credential for its ten minutes: it is never logged.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _PsEntraCertificate PsEntraCertificate;

#define PS_ENTRA_ASSERTION_LIFETIME_S 600

/* Reads a PEM file holding the certificate and its private key (PKCS#1 or
 * PKCS#8; encrypted with @passphrase, or not when it is NULL). The key must
 * be RSA. Errors: PS_ENTRA_ERROR_CONFIG (unreadable file, no certificate,
 * no key, wrong passphrase), naming the file. */
PsEntraCertificate *ps_entra_certificate_load     (const char  *path,
                                                   const char  *passphrase,
                                                   GError     **error);
void                ps_entra_certificate_free     (PsEntraCertificate *certificate);

/* base64url thumbprints of the certificate's DER. */
const char         *ps_entra_certificate_get_x5t      (PsEntraCertificate *certificate);
const char         *ps_entra_certificate_get_x5t_s256 (PsEntraCertificate *certificate);

/* The signed JWT for one token request at @now (seconds since the epoch).
 * Free it with ps_secret_free (). */
char               *ps_entra_certificate_sign_assertion (PsEntraCertificate  *certificate,
                                                         const char          *audience,
                                                         const char          *client_id,
                                                         gboolean             rs256,
                                                         gint64               now,
                                                         GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsEntraCertificate, ps_entra_certificate_free)

G_END_DECLS

/* entra-test-cert.h — a throw-away RSA key and self-signed certificate
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

G_BEGIN_DECLS

typedef struct {
  char            *certificate_pem;  /* the certificate alone (for the app registration) */
  char            *pem;              /* certificate + key */
  char            *encrypted_pem;    /* certificate + key encrypted with "pass phrase" */
  gnutls_datum_t   der;              /* the certificate, DER */
  gnutls_pubkey_t  pubkey;
} EntraTestCert;

EntraTestCert *entra_test_cert_new  (void);
void           entra_test_cert_free (EntraTestCert *cert);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntraTestCert, entra_test_cert_free)

G_END_DECLS

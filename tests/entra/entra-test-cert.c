/* entra-test-cert.c — a throw-away RSA key and self-signed certificate
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <time.h>
#include <glib.h>
#include <gnutls/x509.h>

#include "entra-test-cert.h"

static char *
datum_string (const gnutls_datum_t *datum)
{
  return g_strndup ((const char *) datum->data, datum->size);
}

EntraTestCert *
entra_test_cert_new (void)
{
  EntraTestCert *cert = g_new0 (EntraTestCert, 1);
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t cert_pem = { NULL, 0 };
  gnutls_datum_t key_pem = { NULL, 0 };
  gnutls_datum_t encrypted = { NULL, 0 };
  g_autofree char *key_text = NULL;
  g_autofree char *encrypted_text = NULL;
  unsigned char serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  time_t now = time (NULL);

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_RSA, 2048, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, now - 60), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, now + 3600), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn (crt, "CN=PandaSync test app", NULL), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);

  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cert_pem), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &cert->der), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &key_pem), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, "pass phrase",
                                                      GNUTLS_PKCS_PBES2_AES_256, &encrypted),
                   ==, 0);
  g_assert_cmpint (gnutls_pubkey_init (&cert->pubkey), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_x509 (cert->pubkey, crt, 0), ==, 0);

  cert->certificate_pem = datum_string (&cert_pem);
  key_text = datum_string (&key_pem);
  encrypted_text = datum_string (&encrypted);
  cert->pem = g_strconcat (cert->certificate_pem, key_text, NULL);
  cert->encrypted_pem = g_strconcat (cert->certificate_pem, encrypted_text, NULL);
  gnutls_free (cert_pem.data);
  gnutls_free (key_pem.data);
  gnutls_free (encrypted.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return cert;
}

void
entra_test_cert_free (EntraTestCert *cert)
{
  if (cert == NULL)
    return;
  gnutls_pubkey_deinit (cert->pubkey);
  gnutls_free (cert->der.data);
  g_free (cert->certificate_pem);
  g_free (cert->pem);
  g_free (cert->encrypted_pem);
  g_free (cert);
}

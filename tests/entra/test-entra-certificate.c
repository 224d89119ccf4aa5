/* test-entra-certificate.c — certificate credentials: the signed client assertion
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Makes a throw-away RSA key and self-signed certificate (entra-test-cert.c), signs
 * assertions with them and checks every header field, every claim and the
 * signature with the certificate's public key (contract §1.2).
 */

#include <string.h>
#include <json-glib/json-glib.h>

#include "ps-test.h"
#include "entra-test-cert.h"
#include "ps-entra-certificate.h"
#include "ps-entra-error.h"
#include "ps-secret-store.h"

#define CLIENT_ID "11111111-2222-3333-4444-555555555555"
#define AUDIENCE  "https://login.example.com/contoso.onmicrosoft.com/oauth2/v2.0/token"

static EntraTestCert *keys;

static GBytes *
base64url_decode (const char *text)
{
  g_autoptr(GString) b64 = g_string_new (text);
  guchar *data;
  gsize length = 0;

  g_strdelimit (b64->str, "-", '+');
  g_strdelimit (b64->str, "_", '/');
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');
  data = g_base64_decode (b64->str, &length);
  return g_bytes_new_take (data, length);
}

static JsonObject *
decode_segment (const char *segment)
{
  g_autoptr(GBytes) bytes = base64url_decode (segment);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                              &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
expected_thumbprint (GChecksumType type)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  guint8 digest[64];
  gsize size = sizeof digest;
  g_autofree char *b64 = NULL;

  g_checksum_update (checksum, keys->der.data, keys->der.size);
  g_checksum_get_digest (checksum, digest, &size);
  b64 = g_base64_encode (digest, size);
  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  *strchrnul (b64, '=') = '\0';
  return g_steal_pointer (&b64);
}

static void
check_assertion (PsEntraCertificate *certificate,
                 gboolean            rs256)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) jwt = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *input = NULL;
  g_autofree char *x5t = expected_thumbprint (G_CHECKSUM_SHA1);
  g_autofree char *x5t_s256 = expected_thumbprint (G_CHECKSUM_SHA256);
  gnutls_datum_t data;
  gnutls_datum_t sig;
  gint64 now = 1767225600;

  jwt = ps_entra_certificate_sign_assertion (certificate, AUDIENCE, CLIENT_ID, rs256, now, &error);
  g_assert_no_error (error);
  g_assert_null (strchr (jwt, '='));
  parts = g_strsplit (jwt, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);

  header = decode_segment (parts[0]);
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, rs256 ? "RS256" : "PS256");
  g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");
  g_assert_cmpstr (json_object_get_string_member (header, "x5t"), ==, x5t);
  g_assert_cmpstr (json_object_get_string_member (header, "x5t#S256"), ==, x5t_s256);
  g_assert_cmpstr (ps_entra_certificate_get_x5t (certificate), ==, x5t);
  g_assert_cmpstr (ps_entra_certificate_get_x5t_s256 (certificate), ==, x5t_s256);

  claims = decode_segment (parts[1]);
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, AUDIENCE);
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, CLIENT_ID);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, CLIENT_ID);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (claims, "jti")));
  g_assert_cmpint (json_object_get_int_member (claims, "nbf"), ==, now);
  g_assert_cmpint (json_object_get_int_member (claims, "iat"), ==, now);
  g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, now + 600);

  input = g_strconcat (parts[0], ".", parts[1], NULL);
  signature = base64url_decode (parts[2]);
  data.data = (unsigned char *) input;
  data.size = strlen (input);
  sig.data = (unsigned char *) g_bytes_get_data (signature, NULL);
  sig.size = g_bytes_get_size (signature);
  g_assert_cmpint (gnutls_pubkey_verify_data2 (keys->pubkey,
                                               rs256 ? GNUTLS_SIGN_RSA_SHA256
                                                     : GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
                                               0, &data, &sig), >=, 0);
  /* A different algorithm does not verify: the header tells the truth. */
  g_assert_cmpint (gnutls_pubkey_verify_data2 (keys->pubkey,
                                               rs256 ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA256
                                                     : GNUTLS_SIGN_RSA_SHA256,
                                               0, &data, &sig), <, 0);
}

static void
test_assertion (void)
{
  g_autofree char *path = ps_test_write_file ("app.pem", keys->pem, -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsEntraCertificate) certificate = ps_entra_certificate_load (path, NULL, &error);
  g_autoptr(PsSecretString) first = NULL;
  g_autoptr(PsSecretString) second = NULL;

  g_assert_no_error (error);
  check_assertion (certificate, FALSE);
  check_assertion (certificate, TRUE);

  /* A fresh jti every time. */
  first = ps_entra_certificate_sign_assertion (certificate, AUDIENCE, CLIENT_ID, FALSE, 1, NULL);
  second = ps_entra_certificate_sign_assertion (certificate, AUDIENCE, CLIENT_ID, FALSE, 1, NULL);
  g_assert_cmpstr (first, !=, second);
}

static void
test_passphrase (void)
{
  g_autofree char *path = ps_test_write_file ("locked.pem", keys->encrypted_pem, -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsEntraCertificate) wrong = ps_entra_certificate_load (path, "not it", &error);
  g_autoptr(PsEntraCertificate) none = NULL;
  g_autoptr(PsEntraCertificate) right = NULL;

  g_assert_null (wrong);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  none = ps_entra_certificate_load (path, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_clear_error (&error);

  right = ps_entra_certificate_load (path, "pass phrase", &error);
  g_assert_no_error (error);
  check_assertion (right, FALSE);
}

static void
test_bad_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (g_get_tmp_dir (), "no-such-dir", "app.pem", NULL);
  g_autofree char *key_only = NULL;
  g_autofree char *cert_only = NULL;
  const char *key_start = strstr (keys->pem, "-----BEGIN RSA PRIVATE KEY-----");
  PsEntraCertificate *certificate;

  if (key_start == NULL)
    key_start = strstr (keys->pem, "-----BEGIN PRIVATE KEY-----");
  g_assert_nonnull (key_start);
  key_only = ps_test_write_file ("key.pem", key_start, -1, 0600);
  cert_only = ps_test_write_file ("cert.pem", keys->pem, key_start - keys->pem, 0600);

  certificate = ps_entra_certificate_load (missing, NULL, &error);
  g_assert_null (certificate);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_clear_error (&error);

  certificate = ps_entra_certificate_load (key_only, NULL, &error);
  g_assert_null (certificate);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "no PEM certificate"));
  g_clear_error (&error);

  certificate = ps_entra_certificate_load (cert_only, NULL, &error);
  g_assert_null (certificate);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "private key"));
}

int
main (int    argc,
      char **argv)
{
  int rc;

  ps_test_init (&argc, &argv);
  keys = entra_test_cert_new ();

  g_test_add_func ("/entra/certificate/assertion", test_assertion);
  g_test_add_func ("/entra/certificate/passphrase", test_passphrase);
  g_test_add_func ("/entra/certificate/bad-files", test_bad_files);
  rc = g_test_run ();

  entra_test_cert_free (keys);
  return rc;
}

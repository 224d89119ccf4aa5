/* okta-jose.c — compact JWS parsing and verification with public JWKs
 * (RS256/384/512 and ES256/384/512), RFC 7638 thumbprints, PEM keys
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Used for private_key_jwt client assertions and DPoP proofs. Signatures
 * are checked with GnuTLS when the build has it; without it every
 * signature is refused (OKTA_JWS_UNSUPPORTED).
 */

#include <string.h>

#ifdef OKTA_HAVE_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#endif

#include "okta-private.h"

/* ---------------------------------------------------------------- base64url */

char *
okta_base64url (const guint8 *data, gsize length)
{
  g_autofree char *encoded = g_base64_encode (data, length);
  char *end;

  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  end = strchr (encoded, '=');
  if (end != NULL)
    *end = '\0';
  return g_steal_pointer (&encoded);
}

GBytes *
okta_base64url_decode (const char *text)
{
  g_autoptr(GString) padded = NULL;
  guchar *data;
  gsize length = 0;

  if (text == NULL)
    return NULL;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return NULL;
  padded = g_string_new (text);
  g_strdelimit (padded->str, "-", '+');
  g_strdelimit (padded->str, "_", '/');
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');
  data = g_base64_decode (padded->str, &length);
  return g_bytes_new_take (data, length);
}

static JsonObject *
decode_part (const char *text)
{
  g_autoptr(GBytes) bytes = okta_base64url_decode (text);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

/* ---------------------------------------------------------------- JWS */

void
okta_jws_free (OktaJws *jws)
{
  if (jws == NULL)
    return;
  g_free (jws->signed_text);
  g_clear_pointer (&jws->header, json_object_unref);
  g_clear_pointer (&jws->claims, json_object_unref);
  g_clear_pointer (&jws->signature, g_bytes_unref);
  g_free (jws);
}

OktaJws *
okta_jws_parse (const char *compact)
{
  g_auto(GStrv) parts = compact != NULL ? g_strsplit (compact, ".", -1) : NULL;
  g_autoptr(OktaJws) jws = g_new0 (OktaJws, 1);

  if (parts == NULL || g_strv_length (parts) != 3)
    return NULL;
  jws->header = decode_part (parts[0]);
  jws->claims = decode_part (parts[1]);
  jws->signature = okta_base64url_decode (parts[2]);
  if (jws->header == NULL || jws->claims == NULL || jws->signature == NULL ||
      g_bytes_get_size (jws->signature) == 0)
    return NULL;
  jws->signed_text = g_strdup_printf ("%s.%s", parts[0], parts[1]);
  jws->alg = json_object_get_string_member_with_default (jws->header, "alg", "");
  return g_steal_pointer (&jws);
}

gboolean
okta_jws_alg_ok (const char *alg)
{
  static const char *const algs[] = { "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", NULL };

  return alg != NULL && g_strv_contains (algs, alg);
}

static const char *
jwk_string (JsonObject *jwk, const char *name)
{
  JsonNode *node = json_object_get_member (jwk, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING ?
         json_node_get_string (node) : NULL;
}

static gboolean
decodes (JsonObject *jwk, const char *name)
{
  g_autoptr(GBytes) bytes = okta_base64url_decode (jwk_string (jwk, name));

  return bytes != NULL && g_bytes_get_size (bytes) > 0;
}

gboolean
okta_jwk_check (JsonObject *jwk, GError **error)
{
  const char *kty = jwk_string (jwk, "kty");
  const char *crv = jwk_string (jwk, "crv");

  if (g_strcmp0 (kty, "RSA") == 0 && decodes (jwk, "n") && decodes (jwk, "e"))
    return TRUE;
  if (g_strcmp0 (kty, "EC") == 0 && decodes (jwk, "x") && decodes (jwk, "y") &&
      (g_strcmp0 (crv, "P-256") == 0 || g_strcmp0 (crv, "P-384") == 0 || g_strcmp0 (crv, "P-521") == 0))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "a key is an RSA JWK (kty, n, e) or an EC JWK (kty, crv P-256/384/521, x, y), or {kid, pem}");
  return FALSE;
}

char *
okta_jwk_thumbprint (JsonObject *jwk)
{
  g_autofree char *canonical = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize size = sizeof digest;

  if (!okta_jwk_check (jwk, NULL))
    return NULL;
  if (g_str_equal (jwk_string (jwk, "kty"), "RSA"))
    canonical = g_strdup_printf ("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", jwk_string (jwk, "e"),
                                 jwk_string (jwk, "n"));
  else
    canonical = g_strdup_printf ("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                                 jwk_string (jwk, "crv"), jwk_string (jwk, "x"), jwk_string (jwk, "y"));
  g_checksum_update (checksum, (const guchar *) canonical, strlen (canonical));
  g_checksum_get_digest (checksum, digest, &size);
  return okta_base64url (digest, size);
}

#ifdef OKTA_HAVE_GNUTLS

static gnutls_datum_t
datum (GBytes *bytes)
{
  gnutls_datum_t d = { (unsigned char *) g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes) };

  return d;
}

static gnutls_pubkey_t
jwk_pubkey (JsonObject *jwk)
{
  gnutls_pubkey_t key = NULL;
  int rc = -1;

  if (!okta_jwk_check (jwk, NULL) || gnutls_pubkey_init (&key) < 0)
    return NULL;
  if (g_str_equal (jwk_string (jwk, "kty"), "RSA"))
    {
      g_autoptr(GBytes) n = okta_base64url_decode (jwk_string (jwk, "n"));
      g_autoptr(GBytes) e = okta_base64url_decode (jwk_string (jwk, "e"));
      gnutls_datum_t dn = datum (n);
      gnutls_datum_t de = datum (e);

      rc = gnutls_pubkey_import_rsa_raw (key, &dn, &de);
    }
  else
    {
      g_autoptr(GBytes) x = okta_base64url_decode (jwk_string (jwk, "x"));
      g_autoptr(GBytes) y = okta_base64url_decode (jwk_string (jwk, "y"));
      gnutls_datum_t dx = datum (x);
      gnutls_datum_t dy = datum (y);
      const char *crv = jwk_string (jwk, "crv");
      gnutls_ecc_curve_t curve = g_str_equal (crv, "P-256") ? GNUTLS_ECC_CURVE_SECP256R1 :
                                 g_str_equal (crv, "P-384") ? GNUTLS_ECC_CURVE_SECP384R1 :
                                 GNUTLS_ECC_CURVE_SECP521R1;

      rc = gnutls_pubkey_import_ecc_raw (key, curve, &dx, &dy);
    }
  if (rc < 0)
    {
      gnutls_pubkey_deinit (key);
      return NULL;
    }
  return key;
}

#endif

OktaJwsResult
okta_jws_verify (OktaJws *jws, JsonObject *jwk)
{
#ifdef OKTA_HAVE_GNUTLS
  const char *alg = jws->alg;
  const char *kty = jwk_string (jwk, "kty");
  const char *crv = jwk_string (jwk, "crv");
  gnutls_pubkey_t key;
  gnutls_sign_algorithm_t sign;
  gnutls_datum_t data = { (unsigned char *) jws->signed_text, strlen (jws->signed_text) };
  gnutls_datum_t sig = datum (jws->signature);
  gnutls_datum_t der = { NULL, 0 };
  gsize half = 0;
  int rc;

  if (!okta_jws_alg_ok (alg))
    return OKTA_JWS_BAD_ALG;
  if (alg[0] == 'R')
    {
      if (g_strcmp0 (kty, "RSA") != 0)
        return OKTA_JWS_BAD_ALG;
      sign = g_str_equal (alg, "RS256") ? GNUTLS_SIGN_RSA_SHA256 :
             g_str_equal (alg, "RS384") ? GNUTLS_SIGN_RSA_SHA384 : GNUTLS_SIGN_RSA_SHA512;
    }
  else
    {
      const char *wanted = g_str_equal (alg, "ES256") ? "P-256" : g_str_equal (alg, "ES384") ? "P-384" : "P-521";

      if (g_strcmp0 (kty, "EC") != 0 || g_strcmp0 (crv, wanted) != 0)
        return OKTA_JWS_BAD_ALG;
      sign = g_str_equal (alg, "ES256") ? GNUTLS_SIGN_ECDSA_SHA256 :
             g_str_equal (alg, "ES384") ? GNUTLS_SIGN_ECDSA_SHA384 : GNUTLS_SIGN_ECDSA_SHA512;
      half = g_str_equal (alg, "ES256") ? 32 : g_str_equal (alg, "ES384") ? 48 : 66;
    }
  key = jwk_pubkey (jwk);
  if (key == NULL)
    return OKTA_JWS_BAD_KEY;
  if (half > 0)
    {
      /* JWS carries R || S; GnuTLS wants the DER of the pair. */
      gnutls_datum_t r = { sig.data, half };
      gnutls_datum_t s = { sig.data + half, half };

      if (sig.size != 2 * half || gnutls_encode_rs_value (&der, &r, &s) < 0)
        {
          gnutls_pubkey_deinit (key);
          return OKTA_JWS_BAD_SIGNATURE;
        }
      sig = der;
    }
  rc = gnutls_pubkey_verify_data2 (key, sign, 0, &data, &sig);
  gnutls_free (der.data);
  gnutls_pubkey_deinit (key);
  return rc >= 0 ? OKTA_JWS_OK : OKTA_JWS_BAD_SIGNATURE;
#else
  return OKTA_JWS_UNSUPPORTED;
#endif
}

JsonObject *
okta_jwk_from_pem (const char *pem, GError **error)
{
#ifdef OKTA_HAVE_GNUTLS
  gnutls_pubkey_t key = NULL;
  gnutls_datum_t data = { (unsigned char *) pem, strlen (pem) };
  gnutls_datum_t a = { NULL, 0 };
  gnutls_datum_t b = { NULL, 0 };
  JsonObject *jwk = NULL;

  if (gnutls_pubkey_init (&key) < 0 || gnutls_pubkey_import (key, &data, GNUTLS_X509_FMT_PEM) < 0)
    {
      if (key != NULL)
        gnutls_pubkey_deinit (key);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "pem: not a PEM public key");
      return NULL;
    }
  if (gnutls_pubkey_get_pk_algorithm (key, NULL) == GNUTLS_PK_RSA &&
      gnutls_pubkey_export_rsa_raw2 (key, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ) == 0)
    {
      g_autofree char *n = okta_base64url (a.data, a.size);
      g_autofree char *e = okta_base64url (b.data, b.size);

      jwk = json_object_new ();
      json_object_set_string_member (jwk, "kty", "RSA");
      json_object_set_string_member (jwk, "n", n);
      json_object_set_string_member (jwk, "e", e);
    }
  else
    {
      gnutls_ecc_curve_t curve;

      if (gnutls_pubkey_export_ecc_raw2 (key, &curve, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ) == 0 &&
          (curve == GNUTLS_ECC_CURVE_SECP256R1 || curve == GNUTLS_ECC_CURVE_SECP384R1 ||
           curve == GNUTLS_ECC_CURVE_SECP521R1))
        {
          g_autofree char *x = okta_base64url (a.data, a.size);
          g_autofree char *y = okta_base64url (b.data, b.size);

          jwk = json_object_new ();
          json_object_set_string_member (jwk, "kty", "EC");
          json_object_set_string_member (jwk, "crv", curve == GNUTLS_ECC_CURVE_SECP256R1 ? "P-256" :
                                         curve == GNUTLS_ECC_CURVE_SECP384R1 ? "P-384" : "P-521");
          json_object_set_string_member (jwk, "x", x);
          json_object_set_string_member (jwk, "y", y);
        }
    }
  gnutls_free (a.data);
  gnutls_free (b.data);
  gnutls_pubkey_deinit (key);
  if (jwk == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "pem: only RSA and EC P-256/384/521 keys");
  return jwk;
#else
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "pem keys need a build with GnuTLS; give a JWK");
  return NULL;
#endif
}

gboolean
okta_have_crypto (void)
{
#ifdef OKTA_HAVE_GNUTLS
  return TRUE;
#else
  return FALSE;
#endif
}

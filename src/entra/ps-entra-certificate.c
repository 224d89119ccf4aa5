/* ps-entra-certificate.c — load a certificate and key, sign client assertions
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

#include "ps-entra-certificate.h"
#include "ps-entra-error.h"
#include "ps-secret-store.h"

struct _PsEntraCertificate
{
  gnutls_privkey_t  key;
  char             *x5t;
  char             *x5t_s256;
  char             *path;
};

/* ---------------------------------------------------------------- helpers */

/* base64url without padding (RFC 7515 §2). */
static char *
base64url (const guint8 *data,
           gsize         length)
{
  char *text = g_base64_encode (data, length);
  char *end;

  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  end = strchr (text, '=');
  if (end != NULL)
    *end = '\0';
  return text;
}

static char *
thumbprint (GChecksumType  type,
            const guint8  *der,
            gsize          length)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  guint8 digest[64];
  gsize size = sizeof digest;

  g_checksum_update (checksum, der, length);
  g_checksum_get_digest (checksum, digest, &size);
  return base64url (digest, size);
}

static char *
json_segment (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;
  gsize length = 0;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return base64url ((const guint8 *) text, length);
}

/* ---------------------------------------------------------------- public API */

PsEntraCertificate *
ps_entra_certificate_load (const char  *path,
                           const char  *passphrase,
                           GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  gnutls_x509_crt_t crt = NULL;
  gnutls_privkey_t key = NULL;
  gnutls_datum_t pem;
  gnutls_datum_t der = { NULL, 0 };
  PsEntraCertificate *certificate;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                   _("Cannot read the certificate file %s: %s"), path, local->message);
      return NULL;
    }
  pem.data = (unsigned char *) contents;
  pem.size = (unsigned int) length;

  gnutls_x509_crt_init (&crt);
  rc = gnutls_x509_crt_import (crt, &pem, GNUTLS_X509_FMT_PEM);
  if (rc >= 0)
    rc = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der);
  gnutls_x509_crt_deinit (crt);
  if (rc < 0)
    {
      memset (contents, 0, length);
      g_debug ("certificate %s: %s", path, gnutls_strerror (rc));
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                   _("The file %s holds no PEM certificate. Put the certificate and its "
                     "private key in one PEM file."), path);
      return NULL;
    }

  gnutls_privkey_init (&key);
  rc = gnutls_privkey_import_x509_raw (key, &pem, GNUTLS_X509_FMT_PEM, passphrase, 0);
  memset (contents, 0, length);
  if (rc < 0)
    {
      g_debug ("private key in %s: %s", path, gnutls_strerror (rc));
      gnutls_privkey_deinit (key);
      gnutls_free (der.data);
      if (rc == GNUTLS_E_DECRYPTION_FAILED || rc == GNUTLS_E_INVALID_PASSWORD)
        g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                     _("Cannot decrypt the private key in %s: enter its passphrase as the "
                       "profile’s secret."), path);
      else
        g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                     _("The file %s holds no usable private key. Put the certificate and its "
                       "private key in one PEM file."), path);
      return NULL;
    }
  if (gnutls_privkey_get_pk_algorithm (key, NULL) != GNUTLS_PK_RSA)
    {
      gnutls_privkey_deinit (key);
      gnutls_free (der.data);
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                   _("The private key in %s is not an RSA key; Microsoft Entra ID signs "
                     "client assertions with RSA only."), path);
      return NULL;
    }

  certificate = g_new0 (PsEntraCertificate, 1);
  certificate->key = key;
  certificate->path = g_strdup (path);
  certificate->x5t = thumbprint (G_CHECKSUM_SHA1, der.data, der.size);
  certificate->x5t_s256 = thumbprint (G_CHECKSUM_SHA256, der.data, der.size);
  gnutls_free (der.data);
  return certificate;
}

void
ps_entra_certificate_free (PsEntraCertificate *certificate)
{
  if (certificate == NULL)
    return;
  gnutls_privkey_deinit (certificate->key);
  g_free (certificate->x5t);
  g_free (certificate->x5t_s256);
  g_free (certificate->path);
  g_free (certificate);
}

const char *
ps_entra_certificate_get_x5t (PsEntraCertificate *certificate)
{
  return certificate->x5t;
}

const char *
ps_entra_certificate_get_x5t_s256 (PsEntraCertificate *certificate)
{
  return certificate->x5t_s256;
}

char *
ps_entra_certificate_sign_assertion (PsEntraCertificate  *certificate,
                                     const char          *audience,
                                     const char          *client_id,
                                     gboolean             rs256,
                                     gint64               now,
                                     GError             **error)
{
  g_autoptr(JsonBuilder) header = json_builder_new ();
  g_autoptr(JsonBuilder) claims = json_builder_new ();
  g_autofree char *jti = g_uuid_string_random ();
  g_autofree char *header_text = NULL;
  g_autofree char *claims_text = NULL;
  g_autofree char *input = NULL;
  g_autofree char *signature_text = NULL;
  gnutls_datum_t data;
  gnutls_datum_t signature = { NULL, 0 };
  int rc;

  g_return_val_if_fail (certificate != NULL && audience != NULL && client_id != NULL, NULL);

  json_builder_begin_object (header);
  json_builder_set_member_name (header, "alg");
  json_builder_add_string_value (header, rs256 ? "RS256" : "PS256");
  json_builder_set_member_name (header, "typ");
  json_builder_add_string_value (header, "JWT");
  json_builder_set_member_name (header, "x5t");
  json_builder_add_string_value (header, certificate->x5t);
  json_builder_set_member_name (header, "x5t#S256");
  json_builder_add_string_value (header, certificate->x5t_s256);
  json_builder_end_object (header);

  json_builder_begin_object (claims);
  json_builder_set_member_name (claims, "aud");
  json_builder_add_string_value (claims, audience);
  json_builder_set_member_name (claims, "iss");
  json_builder_add_string_value (claims, client_id);
  json_builder_set_member_name (claims, "sub");
  json_builder_add_string_value (claims, client_id);
  json_builder_set_member_name (claims, "jti");
  json_builder_add_string_value (claims, jti);
  json_builder_set_member_name (claims, "nbf");
  json_builder_add_int_value (claims, now);
  json_builder_set_member_name (claims, "iat");
  json_builder_add_int_value (claims, now);
  json_builder_set_member_name (claims, "exp");
  json_builder_add_int_value (claims, now + PS_ENTRA_ASSERTION_LIFETIME_S);
  json_builder_end_object (claims);

  header_text = json_segment (header);
  claims_text = json_segment (claims);
  input = g_strconcat (header_text, ".", claims_text, NULL);
  data.data = (unsigned char *) input;
  data.size = (unsigned int) strlen (input);
  rc = gnutls_privkey_sign_data2 (certificate->key,
                                  rs256 ? GNUTLS_SIGN_RSA_SHA256 : GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
                                  0, &data, &signature);
  if (rc < 0)
    {
      g_debug ("signing with %s: %s", certificate->path, gnutls_strerror (rc));
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_CERTIFICATE,
                   _("Cannot sign the client assertion with the key in %s (%s)."),
                   certificate->path, gnutls_strerror (rc));
      return NULL;
    }
  signature_text = base64url (signature.data, signature.size);
  gnutls_free (signature.data);
  return g_strconcat (input, ".", signature_text, NULL);
}

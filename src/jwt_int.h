/*
 * jwt_int.h -- JSON Web Tokens signed with RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7515/7518), for OAuth JWT
 * bearer grants (RFC 7523; Salesforce's only accepted algorithm, PROTOCOL.md A9). Generic crypto: the caller
 * writes the header and claims JSON; this module reads the PEM key, signs and encodes.
 *
 * Key material never leaves this module: the file's bytes and the signing input are wiped after use, and no
 * message mentions anything read from the key file.
 */
#ifndef UCRM_JWT_INT_H
#define UCRM_JWT_INT_H

#include "common_int.h"

/* Checks that pem_file holds an unencrypted RSA private key in PEM form (PKCS#1 or PKCS#8).
 * UCRM_ERR_CONF_INVALID with the reason (unreadable, not PEM, encrypted, not RSA), or UCRM_ERR_NOMEM. */
ucrm_err_t ucrm_jwt__check_key(const char *pem_file, ucrm_error_t **errp);

/* *out = base64url(header_json) "." base64url(claims_json) "." base64url(RS256 signature), allocated with
 * ucrm__malloc (free with ucrm__free_secret: it is a credential). Errors as ucrm_jwt__check_key(), plus
 * UCRM_ERR_FAIL when OpenSSL fails to sign. */
ucrm_err_t ucrm_jwt__sign_rs256(const char *pem_file, const char *header_json, const char *claims_json, char **out,
                                ucrm_error_t **errp);

#endif /* UCRM_JWT_INT_H */

/*-------------------------------------------------------------------------
 *
 * crypto.h
 *	  The JWS algorithms and the OpenSSL primitives that implement them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_CRYPTO_H
#define TRACKER_CRYPTO_H

#include <openssl/evp.h>

typedef enum JwsAlg
{
	JWS_INVALID = 0,
	JWS_HS256,
	JWS_HS384,
	JWS_HS512,
	JWS_RS256,
	JWS_RS384,
	JWS_RS512,
	JWS_ES256,
	JWS_ES384,
	JWS_ES512
} JwsAlg;

#define JWS_IS_HMAC(alg)	((alg) >= JWS_HS256 && (alg) <= JWS_HS512)
#define JWS_IS_RSA(alg)		((alg) >= JWS_RS256 && (alg) <= JWS_RS512)
#define JWS_IS_EC(alg)		((alg) >= JWS_ES256 && (alg) <= JWS_ES512)

extern JwsAlg jws_alg_from_name(const char *name);
extern const char *jws_alg_name(JwsAlg alg);
extern int	jws_hmac_min_secret(JwsAlg alg);

/*
 * HMAC.  A context keyed with a secret is made once per key: keying fetches
 * the digest and hashes the padded secret twice, which every MAC made with
 * the context then skips.  crypto_hmac_keyed returns NULL when OpenSSL
 * refuses; free the context with crypto_hmac_free.
 */
extern EVP_MAC_CTX *crypto_hmac_keyed(JwsAlg alg, const unsigned char *secret, int secretlen);
extern void crypto_hmac_free(EVP_MAC_CTX *ctx);

/* HMAC of data into mac (EVP_MAX_MD_SIZE bytes); returns its length or -1 */
extern int	crypto_hmac_with(EVP_MAC_CTX *keyed, const char *data, int datalen,
							 unsigned char *mac);
extern int	crypto_hmac(JwsAlg alg, const unsigned char *secret, int secretlen,
						const char *data, int datalen, unsigned char *mac);

/* Signature checks; data is the signing input "header.payload" */
extern bool crypto_hmac_verify(EVP_MAC_CTX *keyed, const char *data, int datalen,
							   const unsigned char *sig, int siglen);
extern bool crypto_pubkey_verify(JwsAlg alg, EVP_PKEY *pkey,
								 const char *data, int datalen,
								 const unsigned char *sig, int siglen);

/*
 * Public-key intake.  These never raise: they return NULL and set *err to
 * a message that names no key material.  The caller owns the EVP_PKEY.
 */
extern EVP_PKEY *crypto_pubkey_from_pem(const char *pem, int len, const char **err);
extern EVP_PKEY *crypto_pubkey_from_der(const unsigned char *der, int len);
extern EVP_PKEY *crypto_rsa_from_jwk(const unsigned char *n, int nlen,
									 const unsigned char *e, int elen,
									 const char **err);
extern EVP_PKEY *crypto_ec_from_jwk(const char *crv,
									const unsigned char *x, int xlen,
									const unsigned char *y, int ylen,
									const char **err);
extern const char *crypto_check_pubkey(EVP_PKEY *pkey, JwsAlg alg);
extern unsigned char *crypto_pubkey_to_der(EVP_PKEY *pkey, int *len);
extern char *crypto_describe_pubkey(EVP_PKEY *pkey);

/* The public JWK of an RSA or EC key (kty and its numbers), or NULL */
extern char *crypto_public_jwk(EVP_PKEY *pkey);
extern void crypto_sha256(const void *data, size_t len, unsigned char out[32]);

#endif

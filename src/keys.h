/*-------------------------------------------------------------------------
 *
 * keys.h
 *	  The key registry as verification sees it: a per-backend cache of
 *	  tracker.jwt_keys, refreshed whenever the table changes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_KEYS_H
#define TRACKER_KEYS_H

#include "datatype/timestamp.h"
#include "utils/uuid.h"

#include "crypto.h"

#define KID_MAXLEN 256

typedef struct VerifyKey
{
	char		kid[KID_MAXLEN + 1];	/* hash key */
	JwsAlg		alg;
	unsigned char *material;	/* secret, or DER public key */
	int			material_len;
	char	   *issuer;			/* NULL: any issuer */
	char	   *audience;		/* NULL: any audience */
	bool		tenant_bound;
	pg_uuid_t	tenant_id;
	bool		retires;
	TimestampTz retired_at;
	EVP_PKEY   *pkey;			/* parsed on first use; public keys only */
	EVP_MAC_CTX *hmac;			/* keyed on first use; HMAC keys only */
} VerifyKey;

/* The key with this kid, or NULL.  Valid until the next cache refresh. */
extern VerifyKey *keys_lookup(const char *kid);

/* The keyed HMAC context of a registered HS key */
extern EVP_MAC_CTX *keys_hmac(VerifyKey *key);

/* The parsed public key of a registered RS or ES key */
extern EVP_PKEY *keys_public_key(VerifyKey *key);

#endif

/*-------------------------------------------------------------------------
 *
 * jwt.h
 *	  Verify a compact JWS token against the key registry.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_JWT_H
#define TRACKER_JWT_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

typedef struct VerifiedToken
{
	Jsonb	   *claims;			/* the whole payload */
	char	   *subject;		/* sub */
	pg_uuid_t	tenant;			/* the tenant claim */
	TimestampTz expires;		/* exp plus leeway */
	TimestampTz key_retires;	/* when the signing key retires, or DT_NOEND */
	TimestampTz issued_at;		/* iat, or 0 when absent */
	char	   *jti;			/* NULL when absent */
	char	   *kid;
} VerifiedToken;

/*
 * Check everything the token itself can tell: structure, header, key,
 * signature and claims, as of now.  Raises 28000 on any failure; never
 * quotes key material.  Revocation and membership are the caller's.
 */
extern void jwt_verify(const char *token, int len, VerifiedToken *out);

/* A string taken from a token, fit for a message: 64 printable ASCII bytes at most */
extern char *jwt_shown(const char *s, int len);

/* Raise the error for a token that has expired at some time */
extern void jwt_report_expired(TimestampTz expires) pg_attribute_noreturn();

#endif

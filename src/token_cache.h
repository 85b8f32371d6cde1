/*-------------------------------------------------------------------------
 *
 * token_cache.h
 *	  Verified tokens shared by every backend of the server.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_TOKEN_CACHE_H
#define TRACKER_TOKEN_CACHE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "invalidation.h"
#include "registry.h"
#include "usage.h"

/* Room for a token's subject, kid and claims; a token that needs more is not shared */
#define TOKEN_CACHE_DATA 640

/*
 * What the verification of a token found, apart from its subject, claims
 * and teams: the token's own word and the database's, with the
 * invalidation stamp taken before the rows were read.  A backend's own
 * cache (context.c) and the shared one both keep it.
 */
typedef struct VerifiedFacts
{
	pg_uuid_t	tenant;
	pg_uuid_t	user_id;
	char		role[MEMBER_ROLE_MAXLEN];
	char		key_prefix[16];
	char		data_schema[NAMEDATALEN];
	UsageLimits limits;			/* the tenant's limits on API calls */
	TimestampTz expires;		/* exp plus leeway */
	TimestampTz recheck_at;		/* expiry, or earlier retirement of its key */
	InvalStamp	stamp;			/* what the answers depend on */
	bool		has_jti;		/* revocations concern it */
	TimestampTz issued_at;		/* iat, 0 without one */
	bool		member_elsewhere;	/* user read through the planner: see context.c */
	int64		member_shard;	/* the local shard the user was read from (Citus), or 0 */
} VerifiedFacts;

/*
 * A token's entry in the shared cache: the facts (their stamp's local part
 * means nothing to another backend and is not compared) and, in data, the
 * subject, the kid of the key that verified it and the claims.
 */
typedef struct SharedContext
{
	VerifiedFacts facts;
	bool		has_teams;		/* the user's teams are known (data, last) */
	uint16		subject_len;	/* data: the subject, the kid of its key, */
	uint16		kid_len;		/* each ending in a NUL, then the claims, */
	uint16		claims_len;		/* then, once known, the user's teams */
	uint16		nteams;
	union						/* MAXALIGNed, so that the claims are too */
	{
		char		bytes[TOKEN_CACHE_DATA];
		double		force_align;
	}			data;
} SharedContext;

#define shared_context_subject(c) ((c)->data.bytes)
#define shared_context_kid(c) ((c)->data.bytes + (c)->subject_len + 1)
#define shared_context_claims(c) \
	((Jsonb *) ((c)->data.bytes + MAXALIGN((c)->subject_len + 1 + (c)->kid_len + 1)))
#define shared_context_teams(c) \
	((pg_uuid_t *) ((char *) shared_context_claims(c) + MAXALIGN((c)->claims_len)))

/* Asks for the cache's part of shared memory (from _PG_init) */
extern void token_cache_init(void);

/*
 * Fill the data of *ctx from the token's subject, the kid of the key that
 * verified it and its claims; false when they do not fit, and the token is
 * then not shared.
 */
extern bool token_cache_pack(SharedContext *ctx, const char *subject, const char *kid,
							 const Jsonb *claims);

/*
 * The entry another backend (or this one) left for a token, verified in
 * this database, against its present key table, under the session's
 * verification rules, copied into *out;
 * false when there is none.  Whether it is still good (expiry, stamp) is
 * the caller's to judge.
 */
extern bool token_cache_find(const unsigned char *digest, SharedContext *out);

/* Leave a verified token's context for the other backends */
extern void token_cache_add(const unsigned char *digest, const SharedContext *ctx);

/*
 * Add the user's teams, read after the token was verified, to its entry, if
 * the entry is still the one made under this stamp (and they fit).  The
 * caller has checked that the stamp was still current after it read them.
 */
extern void token_cache_add_teams(const unsigned char *digest, const InvalStamp *stamp,
								  const pg_uuid_t *teams, int nteams);

#endif

/*-------------------------------------------------------------------------
 *
 * moves.h
 *	  A tenant's write lock, which keeps its writes out of a move of its
 *	  rows between data schemas.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_MOVES_H
#define TRACKER_MOVES_H

#include "utils/uuid.h"

/*
 * Take the tenant's write lock in shared mode, until the end of the
 * transaction; returns whether it had to wait (for a move).
 */
extern bool tenant_write_lock_shared(const pg_uuid_t *tenant);

/*
 * Raise 40001 if the tenant's rows, by the latest committed state of the
 * registry, are no longer in this schema.
 */
extern void tenant_write_check_schema(const pg_uuid_t *tenant, const char *schema);

/* Installs the hook that makes sessions follow their tenant (from _PG_init) */
extern void moves_init(void);

#endif

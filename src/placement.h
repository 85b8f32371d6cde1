/*-------------------------------------------------------------------------
 *
 * placement.h
 *	  Where this node keeps a table's rows: the table itself, or, on a
 *	  Citus cluster, the local shard that holds a tenant's rows.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_PLACEMENT_H
#define TRACKER_PLACEMENT_H

#include "utils/uuid.h"

/*
 * The relation that holds, on this node, the rows of relid for tenant (NULL
 * for a table of one shard: a reference table, a table of a distributed
 * schema, or one Citus does not manage).  Without Citus, or for a table
 * Citus does not manage, that is relid itself, with *shardid 0.  Returns
 * false, with *local InvalidOid, when the rows are on another node.
 */
extern bool placement_local(Oid relid, const pg_uuid_t *tenant, Oid *local, int64 *shardid);

/* The index of a shard (shardid from placement_local) for index of its table */
extern Oid	placement_index(Oid index, int64 shardid);

/*
 * Is this node a Citus worker: in a cluster's metadata, and not its
 * coordinator?  False without Citus.
 */
extern bool placement_on_worker(void);

/*
 * Is this backend one of Citus's connections between nodes, by the
 * application_name Citus gives them?  A client can give itself that name
 * too: this narrows what the workers allow, and is no proof.
 */
extern bool placement_citus_connection(void);

#endif

/*-------------------------------------------------------------------------
 *
 * strict_json.h
 *	  Parse a token segment as one JSON object with no duplicate members.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_STRICT_JSON_H
#define TRACKER_STRICT_JSON_H

#include "utils/jsonb.h"

/*
 * Parse len bytes of UTF-8 JSON that must be an object whose members are
 * unique at every level, nested at most 64 deep, with numbers jsonb can
 * hold.  Returns the object as jsonb in the server encoding; otherwise
 * raises sqlstate with a message that starts with what ("token header").
 */
extern Jsonb *strict_json_object(const char *utf8, int len, const char *what,
								 int sqlstate);

/* Look up a top-level member; NULL when absent */
extern JsonbValue *jsonb_member(Jsonb *obj, const char *name, JsonbValue *buf);

#endif

/*-------------------------------------------------------------------------
 *
 * sign.h
 *	  tracker.sign_token(): HS tokens for operators, made with libjwt.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_SIGN_H
#define TRACKER_SIGN_H

/* Only SQL-callable functions; nothing to share. */

#endif

/*-------------------------------------------------------------------------
 *
 * base64url.h
 *	  Strict base64url (RFC 4648 section 5) without padding, as JWS uses it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_BASE64URL_H
#define TRACKER_BASE64URL_H

/* Worst-case decoded length for an encoded length */
#define BASE64URL_DECODED_MAX(len)	(((len) / 4) * 3 + 2)
#define BASE64URL_ENCODED_LEN(len)	((((len) + 2) / 3) * 4)

extern int	base64url_decode(const char *src, int srclen, unsigned char *dst);
extern int	base64url_encode(const unsigned char *src, int srclen, char *dst);

#endif

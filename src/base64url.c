/*-------------------------------------------------------------------------
 *
 * base64url.c
 *	  Strict base64url decoding and encoding for JWS segments.
 *
 * Decoding accepts only the 64 characters of the URL-safe alphabet: no
 * padding, no whitespace, no standard-alphabet '+' or '/'.  It also insists
 * on the canonical encoding (unused trailing bits are zero, and a length of
 * 1 modulo 4 is impossible), so that every byte string has exactly one
 * accepted encoding and a changed segment is always a changed value.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "base64url.h"

static const char encode_table[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value of each ASCII character in the alphabet, -1 for the others */
static const int8 decode_table[128] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1
};

static inline int
decode_char(unsigned char c)
{
	return c < 128 ? decode_table[c] : -1;
}

/*
 * Decode srclen characters into dst, which must have room for
 * BASE64URL_DECODED_MAX(srclen) bytes.  Returns the decoded length, or -1
 * when the input is not canonical unpadded base64url.
 */
int
base64url_decode(const char *src, int srclen, unsigned char *dst)
{
	uint32		acc = 0;
	int			bits = 0;
	int			out = 0;

	if (srclen % 4 == 1)
		return -1;

	for (int i = 0; i < srclen; i++)
	{
		int			v = decode_char((unsigned char) src[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			dst[out++] = (unsigned char) ((acc >> bits) & 0xFF);
		}
	}

	/* leftover bits must be zero for the encoding to be canonical */
	if (bits > 0 && (acc & ((1U << bits) - 1)) != 0)
		return -1;

	return out;
}

/*
 * Encode srclen bytes into dst, which must have room for
 * BASE64URL_ENCODED_LEN(srclen) + 1 bytes.  Returns the encoded length; the
 * result is NUL-terminated and unpadded.
 */
int
base64url_encode(const unsigned char *src, int srclen, char *dst)
{
	uint32		acc = 0;
	int			bits = 0;
	int			out = 0;

	for (int i = 0; i < srclen; i++)
	{
		acc = (acc << 8) | src[i];
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			dst[out++] = encode_table[(acc >> bits) & 0x3F];
		}
	}
	if (bits > 0)
		dst[out++] = encode_table[(acc << (6 - bits)) & 0x3F];
	dst[out] = '\0';
	return out;
}

#!/usr/bin/python3
"""Mint JWTs for the tracker tests, independently of the extension.

Uses only PyJWT and cryptography (Debian: python3-jwt, python3-cryptography);
run it with /usr/bin/python3.  Prints exactly one token on stdout, with no
trailing newline.  Paths are relative to the current directory.

Modes:

  mint.py ALG KEYFILE [--kid KID] [--claims JSON] [--header JSON]
          [--exp SECONDS_FROM_NOW | --no-exp] [--iat-offset N] [--nbf-offset N]

      Ordinary token built and signed by PyJWT.  Header: {"alg": ALG}, plus
      "kid" from --kid, plus the members of --header (PyJWT serialises it
      with sorted keys; "typ" appears only if --header gives it).  Payload:
      iat = now + iat-offset (default 0), exp = now + 3600 (or now +
      --exp, or absent with --no-exp), nbf = now + N only with --nbf-offset,
      then every member of --claims added or overriding those.

  mint.py --raw HEADER_JSON PAYLOAD_JSON ALG KEYFILE

      Sign exactly the given header and payload bytes (base64url of the
      literal argument strings, never parsed or re-serialised), so tokens
      can carry duplicate members, odd whitespace, invalid JSON, a header
      "alg" that differs from ALG, and so on.  The signature is computed
      with cryptography directly: HMAC (HS*), RSASSA-PKCS1-v1_5 (RS*),
      ECDSA with the fixed-size r||s JWS encoding (ES*).

  mint.py --hs-with-public PEMFILE HEADER_JSON PAYLOAD_JSON

      Algorithm-confusion forgery: HMAC-SHA256 over the literal header and
      payload, keyed with the exact bytes of PEMFILE (e.g. a public key).

ALG is one of HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512.
KEYFILE is a secret file, used byte for byte (HS*), or a private key PEM
(RS*, ES*).  The curve of an EC key is not checked against ALG, so a token
can deliberately be signed e.g. ES256 with a P-384 key.

Bad usage exits with status 2, other failures (unreadable file, wrong kind
of key) with status 1; the message goes to stderr.
"""

import argparse
import base64
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PROG = "mint.py"
ALGS = ("HS256", "HS384", "HS512",
        "RS256", "RS384", "RS512",
        "ES256", "ES384", "ES512")
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
DEFAULT_LIFETIME = 3600

USAGE = f"""\
usage: {PROG} ALG KEYFILE [--kid KID] [--claims JSON] [--header JSON]
               [--exp SECONDS_FROM_NOW | --no-exp] [--iat-offset N] [--nbf-offset N]
       {PROG} --raw HEADER_JSON PAYLOAD_JSON ALG KEYFILE
       {PROG} --hs-with-public PEMFILE HEADER_JSON PAYLOAD_JSON
       {PROG} --help
ALG: {' '.join(ALGS)}
"""


class UsageError(Exception):
    pass


class MintError(Exception):
    pass


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise MintError(f"cannot read {path}: {e.strerror}") from None


def check_alg(alg: str) -> str:
    if alg not in ALGS:
        raise UsageError(f"unknown ALG {alg!r} (expected one of: {' '.join(ALGS)})")
    return alg


def load_private_key(alg: str, path: str):
    """Private key object for RS*/ES*, checked against the algorithm family."""
    data = read_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise MintError(f"{path} is not an unencrypted private key PEM") from None
    if alg.startswith("RS") and not isinstance(key, rsa.RSAPrivateKey):
        raise MintError(f"{alg} needs an RSA private key, {path} is not one")
    if alg.startswith("ES") and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise MintError(f"{alg} needs an EC private key, {path} is not one")
    return key


def sign(alg: str, keyfile: str, signing_input: bytes) -> bytes:
    """Raw JWS signature of signing_input, with cryptography only."""
    hash_cls = HASHES[alg[2:]]
    if alg.startswith("HS"):
        mac = hmac.HMAC(read_file(keyfile), hash_cls())
        mac.update(signing_input)
        return mac.finalize()
    key = load_private_key(alg, keyfile)
    if alg.startswith("RS"):
        return key.sign(signing_input, padding.PKCS1v15(), hash_cls())
    # ES*: cryptography returns DER; JWS wants r and s as fixed-size
    # big-endian integers, each as long as the curve order (RFC 7518 3.4).
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hash_cls())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def raw_token(header: str, payload: str, alg: str, keyfile: str) -> str:
    # os.fsencode gives back the argument's exact bytes from the command line.
    signing_input = b64url(os.fsencode(header)) + b"." + b64url(os.fsencode(payload))
    return (signing_input + b"." + b64url(sign(alg, keyfile, signing_input))).decode("ascii")


def mode_raw(args) -> str:
    if len(args) != 4:
        raise UsageError("--raw takes exactly HEADER_JSON PAYLOAD_JSON ALG KEYFILE")
    header, payload, alg, keyfile = args
    return raw_token(header, payload, check_alg(alg), keyfile)


def mode_hs_with_public(args) -> str:
    if len(args) != 3:
        raise UsageError("--hs-with-public takes exactly PEMFILE HEADER_JSON PAYLOAD_JSON")
    pemfile, header, payload = args
    return raw_token(header, payload, "HS256", pemfile)


def json_object(option: str, text: str) -> dict:
    def no_duplicates(pairs):
        seen = {}
        for name, value in pairs:
            if name in seen:
                raise UsageError(f"{option}: duplicate member {name!r} (use --raw for that)")
            seen[name] = value
        return seen

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise UsageError(f"{option}: invalid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option}: must be a JSON object")
    return value


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def mode_normal(argv) -> str:
    parser = Parser(prog=PROG, add_help=False)
    parser.add_argument("alg")
    parser.add_argument("keyfile")
    parser.add_argument("--kid")
    parser.add_argument("--claims", default="{}")
    parser.add_argument("--header", default="{}")
    lifetime = parser.add_mutually_exclusive_group()
    lifetime.add_argument("--exp", type=int, default=DEFAULT_LIFETIME)
    lifetime.add_argument("--no-exp", action="store_true")
    parser.add_argument("--iat-offset", type=int, default=0)
    parser.add_argument("--nbf-offset", type=int)
    opts = parser.parse_args(argv)

    alg = check_alg(opts.alg)
    claims = json_object("--claims", opts.claims)
    extra_header = json_object("--header", opts.header)
    # PyJWT would sign with a header "alg" instead of ALG, and treats "b64"
    # specially; both belong to --raw.
    if "alg" in extra_header:
        raise UsageError("--header may not set \"alg\" (use --raw for a mismatched alg)")
    if "b64" in extra_header:
        raise UsageError("--header may not set \"b64\" (use --raw)")

    now = int(time.time())
    payload = {"iat": now + opts.iat_offset}
    if not opts.no_exp:
        payload["exp"] = now + opts.exp
    if opts.nbf_offset is not None:
        payload["nbf"] = now + opts.nbf_offset
    payload.update(claims)

    # PyJWT adds "typ": "JWT" unless typ is falsy; leave it out unless asked.
    headers = {"typ": None}
    headers.update(extra_header)
    if opts.kid is not None:
        headers["kid"] = opts.kid

    if alg.startswith("HS"):
        key = read_file(opts.keyfile)
    else:
        key = load_private_key(alg, opts.keyfile)
    try:
        return jwt.encode(payload, key, algorithm=alg, headers=headers)
    except (jwt.exceptions.PyJWTError, TypeError, ValueError) as e:
        raise MintError(f"PyJWT refused: {e}") from None


def main(argv) -> int:
    try:
        if not argv:
            raise UsageError("missing arguments")
        if argv[0] in ("-h", "--help"):
            sys.stdout.write(USAGE + "\n" + __doc__)
            return 0
        if argv[0] == "--raw":
            token = mode_raw(argv[1:])
        elif argv[0] == "--hs-with-public":
            token = mode_hs_with_public(argv[1:])
        else:
            token = mode_normal(argv)
    except UsageError as e:
        sys.stderr.write(f"{USAGE}{PROG}: error: {e}\n")
        return 2
    except MintError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 1
    sys.stdout.write(token)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""Generate the TEST-ONLY key fixtures in this directory.

Every file written here has a name starting with "test-only-".  The keys are
published in the repository and therefore worthless as secrets: never use
them for anything but the tests of this extension.

Run with Debian's python (needs python3-cryptography):

    /usr/bin/python3 test/keys/generate.py

It rewrites all fixtures with fresh random keys; tests that embed tokens or
key material must then be refreshed too.
"""

import base64
import json
import os
import secrets
import string
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

OUT = os.path.dirname(os.path.abspath(__file__))
PREFIX = "test-only-"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_to_b64url(value: int, length: int = 0) -> str:
    """Big-endian unsigned encoding; minimal length unless length is given."""
    if length == 0:
        length = max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(length, "big"))


def write(name: str, data, mode: int = 0o644) -> None:
    assert name.startswith(PREFIX)
    if isinstance(data, str):
        data = data.encode("ascii")
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    print("wrote", os.path.relpath(path), file=sys.stderr)


def write_json(name: str, obj) -> None:
    write(name, json.dumps(obj, indent=2) + "\n")


def private_pem(key) -> bytes:
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def rsa_jwk(key) -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "n": int_to_b64url(numbers.n),
        "e": int_to_b64url(numbers.e),
    }


EC_CURVES = {
    # file tag: (curve, JWK crv name)
    "ec256": (ec.SECP256R1(), "P-256"),
    "ec384": (ec.SECP384R1(), "P-384"),
    "ec521": (ec.SECP521R1(), "P-521"),
}


def ec_jwk(key, crv: str) -> dict:
    numbers = key.public_key().public_numbers()
    # RFC 7518 6.2.1.2: coordinates are padded to the full field size.
    size = (key.curve.key_size + 7) // 8
    return {
        "kty": "EC",
        "crv": crv,
        "x": int_to_b64url(numbers.x, size),
        "y": int_to_b64url(numbers.y, size),
    }


def write_key_set(tag: str, key, jwk: dict) -> None:
    write(f"{PREFIX}{tag}.key.pem", private_pem(key))
    write(f"{PREFIX}{tag}.pub.pem", public_pem(key))
    write_json(f"{PREFIX}{tag}.pub.jwk", jwk)


def main() -> None:
    alphabet = string.ascii_letters + string.digits
    for bits, length in ((256, 32), (384, 48), (512, 64)):
        secret = "".join(secrets.choice(alphabet) for _ in range(length))
        write(f"{PREFIX}hs{bits}.secret", secret)  # no trailing newline

    jwks = []

    for tag in ("rsa", "rsa2"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = rsa_jwk(key)
        write_key_set(tag, key, jwk)
        if tag == "rsa":
            jwks.append(dict(jwk, kid="jwks-rs256", alg="RS256", use="sig"))

    for tag, (curve, crv) in EC_CURVES.items():
        key = ec.generate_private_key(curve)
        jwk = ec_jwk(key, crv)
        write_key_set(tag, key, jwk)
        if tag == "ec256":
            jwks.append(dict(jwk, kid="jwks-es256", alg="ES256"))
        elif tag == "ec384":
            jwks.append(dict(jwk, kid="jwks-es384", alg="ES384"))

    # Too small on purpose: the extension must refuse RSA keys under 2048 bits.
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    write(f"{PREFIX}rsa-1024.pub.pem", public_pem(small))

    write_json(f"{PREFIX}jwks.json", {"keys": jwks})


if __name__ == "__main__":
    main()

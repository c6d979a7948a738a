"""A downstream service written with PyJWT, as the README shows it.

    pyjwt_peer.py verify JWKS_URL TOKEN     verify a latchkey token from the JWKS; print its claims
    pyjwt_peer.py mint SECRET CLAIMS_JSON   sign claims with an HS256 secret the way PyJWT does
"""

import base64
import json
import sys

import jwt


def verify(jwks_url, token):
    # PyJWKClient fetches the JWKS once and caches it; a kid it has not seen makes it refetch.
    client = jwt.PyJWKClient(jwks_url)
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key,
        algorithms=["EdDSA", "ES256"],
        issuer="latchkey",
        options={"require": ["exp", "iat", "sub"]},
    )
    print(json.dumps(claims))


def mint(secret_b64, claims_json):
    secret = base64.urlsafe_b64decode(secret_b64 + "=" * (-len(secret_b64) % 4))
    claims = json.loads(claims_json)
    kid = claims.pop("_kid")
    # PyJWT sorts header members and adds what it likes; latchkey must accept that spelling.
    print(jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid, "x-extra": 1}))


if __name__ == "__main__":
    {"verify": verify, "mint": mint}[sys.argv[1]](*sys.argv[2:])

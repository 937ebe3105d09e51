"""Access tokens: short-lived HS256 JWTs naming the user and their role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import jwt

ISSUER = "kustodia"
ALGORITHM = "HS256"


@attrs.frozen(kw_only=True)
class AccessClaims:
    """What a valid access token says."""

    subject: str
    role: str


@attrs.frozen
class AccessTokens:
    """Issues and checks access tokens against the wall clock."""

    secret: str = attrs.field(repr=False)
    ttl: timedelta
    wall_clock: Callable[[], datetime]

    def issue(self, user_id: str, role: str) -> str:
        now = self.wall_clock()
        claims = {
            "sub": user_id,
            "role": role,
            "iss": ISSUER,
            "typ": "access",
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def read(self, token: str) -> AccessClaims | None:
        """The claims of a valid, unexpired access token; ``None`` for anything else."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["sub", "exp", "iat", "iss"]},
            )
        except jwt.PyJWTError:
            return None
        if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
            return None
        return AccessClaims(subject=claims["sub"], role=str(claims.get("role", "")))

    @property
    def expires_in(self) -> int:
        """Lifetime of a new token in seconds."""
        return int(self.ttl.total_seconds())

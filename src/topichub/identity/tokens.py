"""JWT access tokens (RFC 8725 practice: pinned algorithm, required claims, typed tokens).

Refresh tokens are not JWTs: they are opaque random strings stored hashed, so they can be
rotated and revoked (see ``service.refresh``). An access token is never accepted where a
refresh token is expected and vice versa: their formats differ.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from topichub.kit.time import utcnow

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
STREAM_TICKET_TYPE = "stream"
_REQUIRED = ["exp", "iat", "sub", "type", "tid", "ver"]


class InvalidToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    version: int
    token_type: str
    jti: str
    expires_at: datetime | None = None
    issued_at: datetime | None = None


class TokenCodec:
    def __init__(self, secret: str, access_ttl_s: int) -> None:
        self._secret = secret
        self.access_ttl_s = access_ttl_s

    def issue(
        self,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        version: int,
        *,
        token_type: str = ACCESS_TYPE,
        ttl_s: int | None = None,
    ) -> str:
        now = utcnow()
        claims = {
            "sub": str(user_id),
            "tid": str(tenant_id),
            "ver": version,
            "type": token_type,
            "iat": now,
            "exp": now + timedelta(seconds=ttl_s or self.access_ttl_s),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(
        self, token: str, *, expected_type: str = ACCESS_TYPE, allow_expired: bool = False
    ) -> AccessClaims:
        """The claims of a valid token. ``allow_expired`` skips only the expiry check, for
        a caller that keeps its own record of how long the token may serve (a stream
        ticket resuming the stream it opened)."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": _REQUIRED, "verify_exp": not allow_expired},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("Invalid token") from exc
        if claims.get("type") != expected_type:
            raise InvalidToken("Wrong token type")
        try:
            return AccessClaims(
                user_id=uuid.UUID(str(claims["sub"])),
                tenant_id=uuid.UUID(str(claims["tid"])),
                version=int(claims["ver"]),
                token_type=str(claims["type"]),
                jti=str(claims.get("jti", "")),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
                issued_at=datetime.fromtimestamp(int(claims["iat"]), tz=UTC),
            )
        except (ValueError, TypeError) as exc:
            raise InvalidToken("Invalid token claims") from exc

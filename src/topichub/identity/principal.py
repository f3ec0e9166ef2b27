"""The auth subject: who is calling, for which tenant, with which permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from topichub.errors import Forbidden, NotFound


class Permission(StrEnum):
    """Ordered: ``admin`` includes ``write``, which includes ``read``."""

    read = "read"
    write = "write"
    admin = "admin"


_RANK = {Permission.read: 1, Permission.write: 2, Permission.admin: 3}

ROLE_PERMISSIONS = {
    "owner": Permission.admin,
    "admin": Permission.admin,
    "member": Permission.write,
}


def permission_level(permissions: frozenset[Permission]) -> int:
    return max((_RANK[p] for p in permissions), default=0)


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str
    """``"user"`` (a JWT) or ``"api_key"``."""
    user_id: uuid.UUID | None
    tenant_id: uuid.UUID
    permissions: frozenset[Permission]
    role: str | None = None
    project_id: uuid.UUID | None = None
    """Set for API keys: the only project they may act on."""
    api_key_id: uuid.UUID | None = None
    is_platform_admin: bool = False
    email: str | None = None
    username: str | None = None
    token_version: int | None = None
    """For user tokens: the version they were issued with (streams watch it)."""
    credential_expires_at: datetime | None = None
    """When the access token (or the session behind a stream ticket) expires: a stream
    it opened closes then, so a stolen token does not stream forever."""
    tenant_key: str = field(init=False, repr=False, compare=False)
    """``str(tenant_id)``, made once: the hot paths key limits, usage and log lines by
    it (``str`` of a ``UUID`` costs about a microsecond each time)."""
    quota_holder: str = field(init=False, repr=False, compare=False)
    """Whose daily quota and stream slots this credential uses: the person (a key
    counts against its creator, as seed 000 does), else the key itself."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenant_key", str(self.tenant_id))
        holder = str(self.user_id) if self.user_id else f"key:{self.api_key_id}"
        object.__setattr__(self, "quota_holder", holder)

    @property
    def is_key(self) -> bool:
        return self.kind == "api_key"

    def can(self, permission: Permission) -> bool:
        return permission_level(self.permissions) >= _RANK[permission]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"This credential lacks the '{permission.value}' permission")

    def require_user(self) -> uuid.UUID:
        """For actions only a person may take (account settings, creating keys as oneself)."""
        if self.kind != "user" or self.user_id is None:
            raise Forbidden("This action needs a user login, not an API key")
        return self.user_id

    def check_project(self, project_id: uuid.UUID) -> None:
        """An API key sees only its own project; anything else does not exist for it."""
        if self.project_id is not None and self.project_id != project_id:
            raise NotFound("Project not found")

    def require_platform_admin(self) -> None:
        if not self.is_platform_admin or self.kind != "user":
            raise Forbidden("Platform administrator privileges required")

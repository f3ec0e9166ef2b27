from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"
    ),
]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: EmailStr
    password: Password
    username: Username | None = None


class RegisterIn(BaseModel):
    """Seed 004's ``/register``: a username, an email, or both."""

    model_config = ConfigDict(extra="ignore")

    username: Username | None = None
    email: EmailStr | None = None
    password: Password
    confirm_password: Password | None = None
    """Seed 004's form sends it: when present it must equal ``password``."""

    @field_validator("confirm_password")
    @classmethod
    def _confirmed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value != info.data.get("password"):
            raise ValueError("confirm_password does not match password")
        return value

    @model_validator(mode="after")
    def _one_identifier(self) -> RegisterIn:
        if self.username is None and self.email is None:
            raise ValueError("Give a username or an email")
        return self


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Annotated[str, Field(min_length=1, max_length=320)] | None = None
    username: Annotated[str, Field(min_length=1, max_length=320)] | None = None
    password: Password

    @model_validator(mode="after")
    def _one_identifier(self) -> LoginIn:
        if not (self.email or self.username):
            raise ValueError("Give an email or a username")
        return self

    @property
    def login(self) -> str:
        return self.email or self.username or ""


class RefreshIn(BaseModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    password: Password | None = None
    current_password: Password | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    username: str | None
    is_active: bool
    is_platform_admin: bool
    tenant_id: uuid.UUID | None = None
    role: str | None = None
    created_at: datetime


class TokenOut(BaseModel):
    """Carries every field any seed's client reads: ``access_token`` is the canonical name,
    ``token`` the same value under seed 000's name."""

    token: str = Field(description="Alias of `access_token` (seed 000's clients read this).")
    access_token: str = Field(description="A short-lived JWT: `Authorization: Bearer <it>`.")
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    user: UserOut


class MeUpdated(UserOut):
    """The user; after a password change also this session's fresh tokens (every other
    session has ended), under the same names as ``TokenOut``."""

    token: str | None = None
    access_token: str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    refresh_token: str | None = None

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

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

USER_EXAMPLE: dict[str, Any] = {
    "id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
    "email": "ada@example.com",
    "username": "ada",
    "is_active": True,
    "is_platform_admin": False,
    "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
    "role": "owner",
    "created_at": "2026-12-04T09:30:00Z",
}
_TOKENS_EXAMPLE: dict[str, Any] = {
    "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWIyZSJ9.c2lnbmF0dXJl",
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWIyZSJ9.c2lnbmF0dXJl",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "thr_9xY2bQ7LmN4pR8sT1vW6zA3cD5eF0gH",
}


class SignupIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"email": "ada@example.com", "password": "correct horse battery staple"},
                {
                    "email": "ada@example.com",
                    "password": "correct horse battery",
                    "username": "ada",
                },
            ]
        },
    )

    email: EmailStr
    password: Password
    username: Username | None = None


class RegisterIn(BaseModel):
    """Seed 004's ``/register``: a username, an email, or both."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "username": "ada",
                    "email": "ada@example.com",
                    "password": "correct horse battery staple",
                    "confirm_password": "correct horse battery staple",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"email": "ada@example.com", "password": "correct horse battery staple"},
                {"username": "ada", "password": "correct horse battery staple"},
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"refresh_token": "thr_9xY2bQ7LmN4pR8sT1vW6zA3cD5eF0gH"}]}
    )

    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class MeUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"password": "a new long passphrase", "current_password": "correct horse battery"},
                {"email": "ada@example.org", "current_password": "correct horse battery staple"},
            ]
        },
    )

    email: EmailStr | None = None
    password: Password | None = None
    current_password: Password | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [USER_EXAMPLE]})

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

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_TOKENS_EXAMPLE, "user": USER_EXAMPLE}]}
    )

    token: str = Field(description="Alias of `access_token` (seed 000's clients read this).")
    access_token: str = Field(description="A short-lived JWT: `Authorization: Bearer <it>`.")
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    user: UserOut


class MeUpdated(UserOut):
    """The user; after a password change also this session's fresh tokens (every other
    session has ended), under the same names as ``TokenOut``."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {**USER_EXAMPLE, "email": "ada@example.org"},
                {**USER_EXAMPLE, **_TOKENS_EXAMPLE},
            ]
        },
    )

    token: str | None = None
    access_token: str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    refresh_token: str | None = None

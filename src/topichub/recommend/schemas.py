"""Seed 003's request and response shapes for items, interactions and recommendations.

Field limits are the original system's: ``item_id`` and ``user_id`` up to 128 characters,
``title`` 512, ``description`` 2048, ``category`` 64 of ``[a-z0-9-]``, at most 20 tags of
32 characters, 1 to 1,000 items per upload.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from topichub.recommend.model import INTERACTION_TYPES

MAX_ITEMS = 1000
MAX_INTERACTIONS = 1000
MAX_COUNT = 100

# Printable text: control characters other than tab/newline are refused.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=_TEXT)
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512, pattern=_TEXT)
]
Description = Annotated[str, StringConstraints(max_length=2048, pattern=_TEXT)]
Category = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64, pattern=r"^[a-z0-9-]*$")
]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=_TEXT)
]
InteractionType = Literal[
    "view",
    "click",
    "share",
    "like",
    "add_to_cart",
    "purchase",
    "remove_from_cart",
    "dislike",
    "rating",
]
assert set(get_args(InteractionType)) == set(INTERACTION_TYPES)


class ItemIn(BaseModel):
    """A catalog item; an ``item_id`` already in the catalog is replaced."""

    item_id: Identifier
    title: Title
    description: Description | None = None
    category: Category | None = Field(default=None, examples=["books"])
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("metadata")
    @classmethod
    def _standard_json(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # Python's parser accepts NaN and Infinity; PostgreSQL's json type refuses them.
        try:
            json.dumps(value, allow_nan=False)
        except ValueError as exc:
            raise ValueError("must be standard JSON (no NaN or Infinity)") from exc
        return value

    @field_validator("category")
    @classmethod
    def _empty_category_is_none(cls, value: str | None) -> str | None:
        return value or None


class ItemsUpload(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "item_id": "book-42",
                            "title": "The Pragmatic Programmer",
                            "category": "books",
                            "tags": ["software", "craft"],
                            "metadata": {"price": 39.9},
                        }
                    ]
                }
            ]
        }
    )

    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class ItemsUploadOut(BaseModel):
    """Seed 003's answer (``accepted``, ``rejected``, ``validation_errors``) plus how many
    items were new and how many replaced. An invalid item fails the whole upload (422)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accepted": 1,
                    "rejected": 0,
                    "validation_errors": None,
                    "created": 1,
                    "updated": 0,
                }
            ]
        }
    )

    accepted: int
    rejected: int = 0
    validation_errors: list[dict[str, str]] | None = None
    created: int
    updated: int


class InteractionIn(BaseModel):
    """One interaction of one of the tenant's users with an item. ``weight`` overrides
    the type's default; a ``rating`` needs a ``value`` from 0 to 5."""

    user_id: Identifier
    item_id: Identifier
    interaction_type: InteractionType = Field(
        validation_alias=AliasChoices("interaction_type", "type")
    )
    timestamp: datetime | None = Field(
        default=None, description="When it happened (ISO-8601; UTC if no offset)."
    )
    weight: float | None = Field(default=None, ge=-100, le=100, allow_inf_nan=False)
    value: float | None = Field(default=None, ge=-1e9, le=1e9, allow_inf_nan=False)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _rating_value(self) -> InteractionIn:
        if self.interaction_type == "rating" and self.weight is None:
            if self.value is None:
                raise ValueError("a rating needs a value (0 to 5)")
            if not 0 <= self.value <= 5:
                raise ValueError("a rating's value must be from 0 to 5")
        return self


class InteractionsIn(BaseModel):
    """One interaction object (seed 003's form), or ``{"interactions": [...]}`` with up
    to 1,000 of them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "interactions": [
                        {"user_id": "u-7", "item_id": "book-42", "interaction_type": "view"},
                        {
                            "user_id": "u-7",
                            "item_id": "book-42",
                            "interaction_type": "rating",
                            "value": 4.5,
                            "timestamp": "2026-12-04T10:05:00Z",
                        },
                    ]
                }
            ]
        }
    )

    interactions: list[InteractionIn] = Field(min_length=1, max_length=MAX_INTERACTIONS)
    single: SkipJsonSchema[bool] = Field(default=False, exclude=True)
    """Whether the body was one bare interaction (the answer then names its id)."""

    @model_validator(mode="before")
    @classmethod
    def _wrap_single(cls, data: Any) -> Any:
        if isinstance(data, dict) and "interactions" not in data:
            return {"interactions": [data], "single": True}
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key != "single"}
        return data


class InteractionsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "accepted",
                    "interaction_ids": [
                        "8f7e6d5c-4b3a-4c2d-9e1f-0a9b8c7d6e5f",
                        "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                    ],
                    "accepted": 2,
                }
            ]
        }
    )

    status: Literal["accepted"] = "accepted"
    interaction_id: str | None = Field(
        default=None, description="The id of a single interaction (seed 003's answer)."
    )
    interaction_ids: list[str]
    accepted: int


class Filters(BaseModel):
    """Which items may be recommended. ``category``/``categories`` and ``tags`` keep
    items that match any of the values given."""

    model_config = ConfigDict(extra="forbid")

    category: Annotated[list[Category], Field(max_length=100)] | None = Field(
        default=None, description="One category or a list of them."
    )
    categories: Annotated[list[Category], Field(max_length=100)] | None = None
    tags: Annotated[list[Tag], Field(max_length=100)] | None = None
    exclude_items: Annotated[list[Identifier], Field(max_length=10_000)] | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)

    @field_validator("category", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def category_set(self) -> list[str] | None:
        if self.category is None and self.categories is None:
            return None
        return sorted({*(self.category or ()), *(self.categories or ())})


class RecommendationRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"user_id": "u-7", "count": 5},
                {
                    "user_id": "u-7",
                    "count": 3,
                    "filters": {"category": ["books"], "min_score": 0.2},
                },
            ]
        }
    )

    user_id: Identifier
    count: int = Field(default=10, ge=1, le=MAX_COUNT)
    filters: Filters | None = None
    context: dict[str, Any] | None = Field(
        default=None, description="Accepted for compatibility; not used by the model."
    )


class RecommendationItem(BaseModel):
    item_id: str
    score: float = Field(ge=0.0, le=1.0)
    title: str
    category: str | None
    tags: list[str]


class RecommendationMetadata(BaseModel):
    model_version: str
    latency_ms: float
    strategy: Literal["personalized", "popular"]
    """``popular`` for a user without history (cold start)."""
    catalog_size: int


class RecommendationResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recommendations": [
                        {
                            "item_id": "book-43",
                            "score": 0.87,
                            "title": "Refactoring",
                            "category": "books",
                            "tags": ["software"],
                        }
                    ],
                    "metadata": {
                        "model_version": "hybrid-v1.r118",
                        "latency_ms": 3.2,
                        "strategy": "personalized",
                        "catalog_size": 250,
                    },
                }
            ]
        }
    )

    recommendations: list[RecommendationItem]
    metadata: RecommendationMetadata

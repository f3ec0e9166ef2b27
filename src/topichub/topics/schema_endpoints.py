"""A topic's JSON Schema: ``PUT``/``GET``/``DELETE /topics/{name}/schema`` (docs/schemas.md)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from topichub.dependencies import SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.models import TopicSchema
from topichub.topics import schema_service
from topichub.topics.schema_schemas import (
    SchemaCheckIn,
    SchemaCheckOut,
    SchemaFailure,
    SchemaIn,
    SchemaOut,
    SchemaVersions,
)

router = APIRouter(tags=["topics"])

ProjectQuery = Annotated[uuid.UUID | None, Query()]


def _out(topic_name: str, active_version: int | None, row: TopicSchema) -> SchemaOut:
    return SchemaOut(
        topic=topic_name,
        version=row.version,
        schema_=json.loads(row.document),
        active=row.version == active_version,
        forced=row.forced,
        created_at=row.created_at,
    )


@router.put(
    "/topics/{name}/schema",
    summary="Set a topic's JSON Schema",
    response_model=SchemaOut,
    responses={
        403: {"description": "Needs the admin permission; app topics take no schema"},
        409: {"description": "The new schema may reject messages the old one accepted"},
        422: {"description": "Not a JSON Schema (draft 2020-12) topichub can use"},
    },
)
async def put_schema(
    name: str,
    data: SchemaIn,
    principal: PrincipalDep,
    session: SessionDep,
    force: Annotated[
        bool, Query(description="Replace even a schema the new one may not accept all of")
    ] = False,
    project_id: ProjectQuery = None,
) -> SchemaOut:
    """Set the topic's JSON Schema (draft 2020-12). From then on a publish whose message
    does not validate is refused whole (422, naming the message's index and the JSON
    pointer), and stored messages carry the version in the `topichub-schema-version`
    header. Sending the schema in force again changes nothing; any other schema becomes
    a new version. Replacing a schema with one that cannot be shown to accept every
    message the old one accepted answers 409 unless `force=true`."""
    topic, row = await schema_service.put(
        session, principal, name, project_id, data.schema_, force=force
    )
    out = _out(topic.name, topic.schema_version, row)
    await session.commit()
    return out


@router.get("/topics/{name}/schema", summary="Get a topic's JSON Schema", response_model=SchemaOut)
async def get_schema(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="A past version; default: in force")
    ] = None,
    project_id: ProjectQuery = None,
) -> SchemaOut:
    """The schema publishes are checked against (404 when there is none), or a past
    version by number."""
    topic, row = await schema_service.active(session, principal, name, project_id, version)
    return _out(topic.name, topic.schema_version, row)


@router.get(
    "/topics/{name}/schema/versions",
    summary="List a topic's schema versions",
    response_model=SchemaVersions,
)
async def list_schema_versions(
    name: str, principal: PrincipalDep, session: SessionDep, project_id: ProjectQuery = None
) -> SchemaVersions:
    """Every version the topic's schema has had, newest first."""
    topic, rows = await schema_service.versions(session, principal, name, project_id)
    return SchemaVersions(
        topic=topic.name,
        active_version=topic.schema_version,
        versions=[_out(topic.name, topic.schema_version, row) for row in rows],
    )


@router.delete(
    "/topics/{name}/schema",
    summary="Remove a topic's schema",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_schema(
    name: str, principal: PrincipalDep, session: SessionDep, project_id: ProjectQuery = None
) -> None:
    """Stop checking publishes. Past versions stay readable; a later PUT starts a new
    version (numbers are never reused)."""
    await schema_service.remove(session, principal, name, project_id)
    await session.commit()


@router.post(
    "/topics/{name}/schema/check",
    summary="Check values against a schema",
    response_model=SchemaCheckOut,
)
async def check_schema(
    name: str,
    data: SchemaCheckIn,
    principal: PrincipalDep,
    session: SessionDep,
    project_id: ProjectQuery = None,
) -> SchemaCheckOut:
    """Try values against the active schema, or against a schema not yet saved (then
    also say whether it could replace the active one without `force`). Nothing is
    stored; this is what a schema editor calls before saving."""
    result = await schema_service.check(
        session, principal, name, project_id, data.values, data.schema_
    )
    return SchemaCheckOut(
        valid=not result.failures,
        failures=[
            SchemaFailure(
                index=f["index"],
                pointer=f["pointer"],
                schema_pointer=f["schema_pointer"],
                reason=f["reason"],
            )
            for f in result.failures
        ],
        version=result.version,
        compatible=result.compatible,
        incompatibilities=result.incompatibilities,
    )

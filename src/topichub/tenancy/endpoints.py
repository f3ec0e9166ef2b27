from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from topichub.dependencies import SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.tenancy import service
from topichub.tenancy.schemas import ProjectCreate, ProjectOut, ProjectUpdate

router = APIRouter(tags=["projects"])
"""Deleting a project is ``accounts/endpoints.py``'s: it retires the project's topics,
and topics sit above tenancy."""


@router.get("/projects", summary="List projects", response_model=list[ProjectOut])
async def list_projects(principal: PrincipalDep, session: SessionDep) -> list[ProjectOut]:
    """The projects of your tenant (an API key sees only its own project)."""
    projects = await service.list_projects(session, principal)
    return [ProjectOut.model_validate(p) for p in projects]


@router.post(
    "/projects",
    summary="Create a project",
    response_model=ProjectOut,
    status_code=status.HTTP_201_CREATED,
)
async def create_project(
    data: ProjectCreate, principal: PrincipalDep, session: SessionDep
) -> ProjectOut:
    """Create a project in your tenant (admin permission; names are unique in the tenant,
    at most 100 projects). It starts without topics: create them with `project_id`."""
    return ProjectOut.model_validate(await service.create_project(session, principal, data))


@router.get("/projects/{project_id}", summary="Get a project", response_model=ProjectOut)
async def get_project(
    project_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> ProjectOut:
    """One project of your tenant; 404 for another tenant's."""
    return ProjectOut.model_validate(await service.get_project(session, principal, project_id))


@router.patch("/projects/{project_id}", summary="Update a project", response_model=ProjectOut)
async def update_project(
    project_id: uuid.UUID, data: ProjectUpdate, principal: PrincipalDep, session: SessionDep
) -> ProjectOut:
    """Rename a project or change its description (admin permission); fields left out
    keep their value."""
    project = await service.update_project(session, principal, project_id, data)
    return ProjectOut.model_validate(project)

"""An app on the Kafka engine (tansu), on SQLite and PostgreSQL, for real Kafka clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app


@pytest.fixture(scope="module")
async def kafka_app(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url, tmp_path_factory.mktemp("kafka"), kafka_bootstrap_servers=kafka_bootstrap
    )
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def kafka_client(kafka_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(kafka_app) as client:
        yield client

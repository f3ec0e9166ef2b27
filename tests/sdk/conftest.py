from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.cli.support import topichub_server
from tests.scale.support import ServerProcess


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServerProcess]:
    """One real server per module and database engine; tests sign up their own users."""
    async with topichub_server(request.param, tmp_path_factory.mktemp("serve")) as process:
        yield process

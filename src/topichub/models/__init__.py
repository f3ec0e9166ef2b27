"""Every ORM table, one module each. Importing this package registers them all on
``Base.metadata`` (Alembic and the schema test rely on that)."""

from topichub.models.api_key import ApiKey
from topichub.models.bus import BusGroupOffset, BusPartition, BusRecord, BusTopic
from topichub.models.membership import Membership, Role
from topichub.models.project import Project
from topichub.models.refresh_token import RefreshToken
from topichub.models.tenant import Tenant
from topichub.models.topic import Topic, TopicKind
from topichub.models.usage import UsageCounter
from topichub.models.user import User

__all__ = [
    "ApiKey",
    "BusGroupOffset",
    "BusPartition",
    "BusRecord",
    "BusTopic",
    "Membership",
    "Project",
    "RefreshToken",
    "Role",
    "Tenant",
    "Topic",
    "TopicKind",
    "UsageCounter",
    "User",
]

"""Every ORM table, one module each. Importing this package registers them all on
``Base.metadata`` (Alembic and the schema test rely on that)."""

from topichub.models.api_key import ApiKey
from topichub.models.api_usage import ApiUsage
from topichub.models.audit import DeadLetter, EventLogEntry
from topichub.models.bus import BusGroupOffset, BusPartition, BusRecord, BusTopic
from topichub.models.calculation import Calculation
from topichub.models.chat import (
    ChatGroup,
    ChatInvitation,
    ChatMember,
    ChatMessage,
    ChatRole,
    InvitationStatus,
)
from topichub.models.consumer_group import (
    ConsumerGroup,
    ConsumerGroupAttempt,
    ConsumerGroupMember,
    ConsumerGroupPartition,
)
from topichub.models.idempotency import IdempotencyKey
from topichub.models.membership import Membership, Role
from topichub.models.outbox import OutboxEvent
from topichub.models.project import Project
from topichub.models.recommend import RecommendInteraction, RecommendItem
from topichub.models.refresh_token import RefreshToken
from topichub.models.stream_ticket import StreamTicket
from topichub.models.tenant import Tenant
from topichub.models.todo import Todo
from topichub.models.topic import Topic, TopicKind
from topichub.models.topic_schema import TopicSchema
from topichub.models.usage import UsageCounter
from topichub.models.user import User

__all__ = [
    "ApiKey",
    "ApiUsage",
    "BusGroupOffset",
    "BusPartition",
    "BusRecord",
    "BusTopic",
    "Calculation",
    "ChatGroup",
    "ChatInvitation",
    "ChatMember",
    "ChatMessage",
    "ChatRole",
    "ConsumerGroup",
    "ConsumerGroupAttempt",
    "ConsumerGroupMember",
    "ConsumerGroupPartition",
    "DeadLetter",
    "EventLogEntry",
    "IdempotencyKey",
    "InvitationStatus",
    "Membership",
    "OutboxEvent",
    "Project",
    "RecommendInteraction",
    "RecommendItem",
    "RefreshToken",
    "Role",
    "StreamTicket",
    "Tenant",
    "Todo",
    "Topic",
    "TopicKind",
    "TopicSchema",
    "UsageCounter",
    "User",
]

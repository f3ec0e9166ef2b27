"""The embedded engine: a durable log in the application's SQL database, for one
process. ``bus`` is the port's implementation; the group commit is in ``writer``, the
readers and group consumers in ``readers``, retention in ``retention``."""

from topichub.bus.embedded.bus import EmbeddedBus
from topichub.bus.embedded.common import decode_headers, encode_headers, validate_topic_spec
from topichub.bus.embedded.readers import EmbeddedGroupConsumer, EmbeddedReader
from topichub.bus.embedded.writer import MAX_RECORDS_PER_TRANSACTION

__all__ = [
    "MAX_RECORDS_PER_TRANSACTION",
    "EmbeddedBus",
    "EmbeddedGroupConsumer",
    "EmbeddedReader",
    "decode_headers",
    "encode_headers",
    "validate_topic_spec",
]

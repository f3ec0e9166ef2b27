"""The Kafka engine: the bus port on any Kafka-protocol cluster, through aiokafka.
``bus`` is the port's implementation (and documents the broker quirks it handles); the
shared-batch produce path is in ``producer``, readers and group consumers (and the
record decoding) in ``consumers``, the error mapping in ``errors``."""

from topichub.bus.kafka.bus import KafkaBus
from topichub.bus.kafka.consumers import READER_FETCH_WAIT_MS, KafkaGroupConsumer, KafkaReader
from topichub.bus.kafka.producer import MAX_BATCH_BYTES

__all__ = [
    "MAX_BATCH_BYTES",
    "READER_FETCH_WAIT_MS",
    "KafkaBus",
    "KafkaGroupConsumer",
    "KafkaReader",
]

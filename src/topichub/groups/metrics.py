"""Consumer-group lag in ``/metrics``, with no group, topic or tenant label: a tenant's
group names are its own data and unbounded in number, so the series are aggregates
(per-group lag is in the tenant-scoped API). Every process samples the shared state
every ``SAMPLE_INTERVAL_S``; across processes, aggregate with ``max``."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.bus import EventBus
from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.groups.repository import GroupRepository
from topichub.groups.service import lag_of
from topichub.kit.periodic import Periodic

SAMPLE_INTERVAL_S = 15.0
MAX_TOPICS_SAMPLED = 500
"""Most topics whose end offsets one sample asks the log for (bounds its cost)."""
LAG_BOUNDS = ("0", "100", "10000", "+Inf")

GROUPS = Gauge("topichub_consumer_groups", "HTTP consumer groups (all tenants)")
LAG_MAX = Gauge("topichub_consumer_group_lag_max", "Largest lag of any HTTP consumer group")
LAG_TOTAL = Gauge("topichub_consumer_group_lag_total", "Sum of the lag of all HTTP consumer groups")
BY_LAG = Gauge(
    "topichub_consumer_groups_by_lag",
    "HTTP consumer groups whose lag is at most le records",
    ["le"],
)


@dataclass(frozen=True, slots=True)
class Sample:
    groups: int
    lags: list[int]


async def sample(sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus) -> Sample:
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        groups = await repo.all_groups()
        rows = await repo.partitions_of([g for g, _ in groups])
    topic_of = dict(groups)
    committed: dict[object, dict[int, int]] = defaultdict(dict)
    for row in rows:
        committed[row.group_id][row.partition] = row.committed
    ends: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
    for topic in sorted(set(topic_of.values()))[:MAX_TOPICS_SAMPLED]:
        try:
            ends[topic] = (await bus.beginning_offsets(topic), await bus.end_offsets(topic))
        except BusTopicNotFound:
            ends[topic] = ({}, {})
    lags = []
    for group_id, topic in groups:
        if topic not in ends:
            continue
        beginning, end = ends[topic]
        lags.append(
            sum(
                lag_of(offset, beginning.get(p, 0), end.get(p, 0))
                for p, offset in committed[group_id].items()
            )
        )
    return Sample(len(groups), lags)


def publish(found: Sample) -> None:
    GROUPS.set(found.groups)
    LAG_MAX.set(max(found.lags, default=0))
    LAG_TOTAL.set(sum(found.lags))
    for bound in LAG_BOUNDS:
        limit = float(bound)
        BY_LAG.labels(bound).set(sum(1 for lag in found.lags if lag <= limit))


async def _sample_and_publish(
    sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus
) -> None:
    publish(await sample(sessionmaker, bus))


def sampler(sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus) -> Periodic:
    """Samples every ``SAMPLE_INTERVAL_S``, from the app's start to its stop."""
    return Periodic(
        functools.partial(_sample_and_publish, sessionmaker, bus),
        SAMPLE_INTERVAL_S,
        name="group-lag-metrics",
        first_at_start=True,
    )

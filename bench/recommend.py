"""recommend: offline quality and request latency of the recommender's model.

A synthetic tenant with planted tastes: 10,000 items in 20 categories (titles,
descriptions and tags drawn from per-category and shared vocabularies, popularity
Zipf-distributed), 5,000 users each with a favourite category, 100,000 interactions
(75 % in the user's favourite category, the rest anywhere, both following popularity;
types view/click/like/add_to_cart/purchase).

- **Quality**: for 1,000 users with at least 10 distinct items, 20 % of their items are
  held out (every interaction with them removed) and the model is built from the rest.
  recall@10 = held-out items in the top 10 / min(10, held-out), averaged; the user's
  training items are excluded from both rankings (``exclude_items``). The baseline is
  the most popular items (distinct users) of the same training data, in the same run.
- **Latency**: ``TenantModel.recommend(user, 10)`` called in-process on the model of all
  100,000 interactions, for 2,000 requests (80 % users with history, 20 % cold start);
  the baseline is a numpy top-10 of popularity with the user's items masked. This is
  the model's share of ``POST /api/v1/recommendations``; HTTP, authentication and the
  rate limiter are measured by the publish benchmarks.
- Also reported: the cold build of the model from 100,000 stored rows and the rate of
  incremental updates (``apply_interaction``).

Run: ``uv run python -m bench.recommend`` (about 15 s).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.common import Row, cli, fmt_ms, fmt_rate, log, percentile, ratio
from topichub.recommend.model import (
    DEFAULT_WEIGHTS,
    CatalogItem,
    InteractionEvent,
    TenantModel,
)

NAME = "recommend"
ENGINE = "in-process"
N_ITEMS = 10_000
N_CATEGORIES = 20
N_USERS = 5_000
N_INTERACTIONS = 100_000
FAVOURITE_SHARE = 0.75
EVAL_USERS = 1_000
HOLDOUT = 0.2
K = 10
LATENCY_REQUESTS = 2_000
RECALL_TARGET = 2.0
P99_TARGET_MS = 50.0
SEED = 20_250_107

TYPES = ("view", "click", "like", "add_to_cart", "purchase")
TYPE_P = (0.55, 0.2, 0.05, 0.1, 0.1)


@dataclass
class DataSet:
    items: list[CatalogItem]
    users: npt.NDArray[np.int64]
    item_of: npt.NDArray[np.int64]
    kinds: npt.NDArray[np.int64]
    favourite: npt.NDArray[np.int64]

    def events(self, keep: npt.NDArray[np.bool_] | None = None) -> list[InteractionEvent]:
        rows = np.flatnonzero(keep) if keep is not None else np.arange(len(self.users))
        return [
            InteractionEvent(
                int(k) + 1,
                f"user-{self.users[k]}",
                self.items[self.item_of[k]].item_id,
                TYPES[self.kinds[k]],
                DEFAULT_WEIGHTS[TYPES[self.kinds[k]]],
            )
            for k in rows.tolist()
        ]


def synthesize(rng: np.random.Generator) -> DataSet:
    category = rng.permutation(np.arange(N_ITEMS) % N_CATEGORIES)
    common = [f"word{j}" for j in range(300)]
    vocab = [[f"c{c}term{j}" for j in range(40)] for c in range(N_CATEGORIES)]
    tag_pool = [[f"c{c}tag{j}" for j in range(12)] for c in range(N_CATEGORIES)]
    items = []
    for i in range(N_ITEMS):
        c = int(category[i])
        title = " ".join(
            [*rng.choice(vocab[c], 3).tolist(), *rng.choice(common, 1).tolist(), str(i)]
        )
        words = [*rng.choice(vocab[c], 4).tolist(), *rng.choice(common, 6).tolist()]
        tags = rng.choice(tag_pool[c], 2, replace=False).tolist()
        if rng.random() < 0.1:
            tags.append(str(rng.choice(tag_pool[int(rng.integers(N_CATEGORIES))])))
        items.append(CatalogItem(f"item-{i:05d}", title, " ".join(words), f"cat-{c}", tuple(tags)))
    # Zipf-like popularity, independent of the category.
    rank = rng.permutation(N_ITEMS)
    popularity = 1.0 / (rank + 10.0) ** 0.9
    global_p = popularity / popularity.sum()
    favourite = rng.integers(N_CATEGORIES, size=N_USERS)
    users = rng.integers(N_USERS, size=N_INTERACTIONS)
    item_of = rng.choice(N_ITEMS, size=N_INTERACTIONS, p=global_p)
    in_favourite = rng.random(N_INTERACTIONS) < FAVOURITE_SHARE
    for c in range(N_CATEGORIES):
        members = np.flatnonzero(category == c)
        p = popularity[members] / popularity[members].sum()
        rows = np.flatnonzero(in_favourite & (favourite[users] == c))
        item_of[rows] = rng.choice(members, size=len(rows), p=p)
    kinds = rng.choice(len(TYPES), size=N_INTERACTIONS, p=TYPE_P)
    return DataSet(items, users, item_of, kinds, favourite)


def split(
    data: DataSet, rng: np.random.Generator
) -> tuple[npt.NDArray[np.bool_], dict[int, set[int]]]:
    """Training mask and, per evaluated user, the held-out items."""
    keep = np.ones(len(data.users), dtype=np.bool_)
    per_user: dict[int, set[int]] = {}
    for user, item in zip(data.users.tolist(), data.item_of.tolist(), strict=True):
        per_user.setdefault(user, set()).add(item)
    eligible = sorted(u for u, seen in per_user.items() if len(seen) >= 10)
    chosen = rng.choice(eligible, size=min(EVAL_USERS, len(eligible)), replace=False)
    held: dict[int, set[int]] = {}
    for user in chosen.tolist():
        seen = sorted(per_user[user])
        n = max(1, round(HOLDOUT * len(seen)))
        held[user] = set(rng.choice(seen, size=n, replace=False).tolist())
    held_pairs = {(u, i) for u, items in held.items() for i in items}
    for k, (user, item) in enumerate(zip(data.users.tolist(), data.item_of.tolist(), strict=True)):
        if (user, item) in held_pairs:
            keep[k] = False
    return keep, held


def popularity_top(
    popularity: npt.NDArray[np.float64], exclude: npt.NDArray[np.int64], k: int
) -> npt.NDArray[np.int64]:
    scores = popularity.copy()
    scores[exclude] = -1.0
    top = np.argpartition(-scores, k)[:k]
    result: npt.NDArray[np.int64] = top[np.argsort(-scores[top], kind="stable")]
    return result


def quality(data: DataSet, rng: np.random.Generator) -> tuple[float, float, float, float]:
    keep, held = split(data, rng)
    model = TenantModel.build(data.items, data.events(keep))
    train_users, train_items = data.users[keep], data.item_of[keep]
    distinct = np.unique(train_users * N_ITEMS + train_items)
    popularity = np.bincount(distinct % N_ITEMS, minlength=N_ITEMS).astype(np.float64)
    ours, base, ours_hits, base_hits = [], [], 0, 0
    for user, truth in held.items():
        seen = np.unique(train_items[train_users == user])
        exclude = [data.items[i].item_id for i in seen.tolist()]
        answer = model.recommend(f"user-{user}", K, exclude=exclude)
        got = {int(s.item_id[5:]) for s in answer.items}
        hits = len(got & truth)
        ours.append(hits / min(K, len(truth)))
        ours_hits += hits > 0
        base_got = set(popularity_top(popularity, seen, K).tolist())
        b_hits = len(base_got & truth)
        base.append(b_hits / min(K, len(truth)))
        base_hits += b_hits > 0
    n = len(held)
    return float(np.mean(ours)), float(np.mean(base)), ours_hits / n, base_hits / n


def latency(data: DataSet, rng: np.random.Generator) -> dict[str, float]:
    events = data.events()
    started = time.perf_counter()
    model = TenantModel.build(data.items, events)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    model.recommend("user-0", K)  # the first request also builds the content matrix
    first_s = time.perf_counter() - started
    distinct = np.unique(data.users * N_ITEMS + data.item_of)
    popularity = np.bincount(distinct % N_ITEMS, minlength=N_ITEMS).astype(np.float64)
    by_user: dict[int, npt.NDArray[np.int64]] = {}
    order = np.argsort(data.users, kind="stable")
    bounds = np.searchsorted(data.users[order], np.arange(N_USERS + 1))
    for user in range(N_USERS):
        by_user[user] = np.unique(data.item_of[order[bounds[user] : bounds[user + 1]]])
    requests = [
        int(u) if rng.random() < 0.8 else -1 for u in rng.integers(N_USERS, size=LATENCY_REQUESTS)
    ]
    ours, base = [], []
    for user in requests:
        name = f"user-{user}" if user >= 0 else f"stranger-{rng.integers(10**9)}"
        t0 = time.perf_counter()
        model.recommend(name, K)
        ours.append((time.perf_counter() - t0) * 1000)
        seen = by_user.get(user, np.zeros(0, dtype=np.int64))
        t0 = time.perf_counter()
        popularity_top(popularity, seen, K)
        base.append((time.perf_counter() - t0) * 1000)
    ours.sort()
    base.sort()
    extra = TenantModel.build(data.items[:1], [])
    fresh = [
        InteractionEvent(10**9 + k, e.user_id, e.item_id, e.type, e.weight)
        for k, e in enumerate(events[:20_000])
    ]
    t0 = time.perf_counter()
    for event in fresh:
        model.apply_interaction(event)
    apply_rate = len(fresh) / (time.perf_counter() - t0)
    del extra
    return {
        "p50": percentile(ours, 50),
        "p99": percentile(ours, 99),
        "base_p50": percentile(base, 50),
        "base_p99": percentile(base, 99),
        "build_s": build_s,
        "first_s": first_s,
        "apply_rate": apply_rate,
    }


async def run(engines: Sequence[str]) -> list[Row]:
    """The engine list is ignored: the model does not touch the bus."""
    rng = np.random.default_rng(SEED)
    log(f"{NAME}: synthesizing {N_ITEMS:,} items, {N_INTERACTIONS:,} interactions")
    data = synthesize(rng)
    log(f"{NAME}: quality on {EVAL_USERS:,} users (hold-out {HOLDOUT:.0%})")
    recall, base_recall, hit, base_hit = quality(data, rng)
    log(f"{NAME}: latency over {LATENCY_REQUESTS:,} requests")
    lat = latency(data, rng)
    recall_ratio = ratio(recall, base_recall)
    return [
        Row(
            NAME,
            ENGINE,
            "recall@10",
            f"{recall:.3f}",
            f"{base_recall:.3f} (popularity)",
            recall_ratio,
            f">= {RECALL_TARGET:.2f}x",
            None if recall_ratio is None else recall_ratio >= RECALL_TARGET,
        ),
        Row(
            NAME,
            ENGINE,
            "hit rate@10",
            f"{hit:.3f}",
            f"{base_hit:.3f} (popularity)",
            ratio(hit, base_hit),
        ),
        Row(
            NAME,
            ENGINE,
            "latency p50",
            fmt_ms(lat["p50"]),
            f"{fmt_ms(lat['base_p50'])} (popularity)",
            ratio(lat["p50"], lat["base_p50"]),
        ),
        Row(
            NAME,
            ENGINE,
            "latency p99",
            fmt_ms(lat["p99"]),
            f"{fmt_ms(lat['base_p99'])} (popularity)",
            ratio(lat["p99"], lat["base_p99"]),
            f"<= {P99_TARGET_MS:.0f} ms",
            lat["p99"] <= P99_TARGET_MS,
            [
                f"{N_ITEMS:,} items, {N_INTERACTIONS:,} interactions, {N_USERS:,} users; "
                "TenantModel.recommend in-process, 20 % cold-start users"
            ],
        ),
        Row(
            NAME,
            ENGINE,
            "cold build",
            fmt_ms(lat["build_s"] * 1000),
            "",
            None,
            notes=[
                f"model from {N_INTERACTIONS:,} rows; the first request then builds the "
                f"content matrix in {fmt_ms(lat['first_s'] * 1000)}"
            ],
        ),
        Row(
            NAME,
            ENGINE,
            "updates/s",
            fmt_rate(lat["apply_rate"]),
            "",
            None,
            notes=["apply_interaction, one event at a time (the consumer's path)"],
        ),
    ]


def main() -> None:
    cli(__doc__ or NAME, run, f"{NAME}: hybrid model vs popularity, same data, same run")


if __name__ == "__main__":
    main()

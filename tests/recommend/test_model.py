"""The model on its own (no database): incremental equals bulk, each event counts once,
scores stay in [0, 1], ties are broken by item id, content reaches unseen items."""

from __future__ import annotations

import random

import pytest

from topichub.recommend.model import (
    CatalogItem,
    InteractionEvent,
    TenantModel,
    rating_weight,
)

CATEGORIES = ("books", "music", "games", "tools")


def _catalog(n: int = 40) -> list[CatalogItem]:
    return [
        CatalogItem(
            f"item-{k:03d}",
            f"{CATEGORIES[k % 4]} item number {k}",
            f"words about {CATEGORIES[k % 4]} and thing {k % 7}",
            CATEGORIES[k % 4],
            (f"tag{k % 5}",),
        )
        for k in range(n)
    ]


def _events(seed: int = 7, n: int = 400) -> list[InteractionEvent]:
    rng = random.Random(seed)
    kinds = [("view", 1.0), ("click", 2.0), ("purchase", 8.0), ("dislike", -4.0)]
    events = []
    for k in range(n):
        user = rng.randrange(30)
        category = user % 4 if rng.random() < 0.8 else rng.randrange(4)
        item = 4 * rng.randrange(10) + category
        kind, weight = rng.choice(kinds)
        events.append(InteractionEvent(k + 1, f"user-{user}", f"item-{item:03d}", kind, weight))
    return events


def _answer(model: TenantModel, user: str, **kwargs: object) -> list[tuple[str, float]]:
    result = model.recommend(user, 40, **kwargs)  # type: ignore[arg-type]
    return [(s.item_id, s.score) for s in result.items]


def test_incremental_updates_give_the_bulk_build() -> None:
    bulk = TenantModel.build(_catalog(), _events())
    incremental = TenantModel()
    for event in _events()[:150]:
        incremental.apply_interaction(event)  # interactions may precede the catalog
    for item in _catalog():
        incremental.upsert_item(item)
    for event in _events()[150:]:
        incremental.apply_interaction(event)
    for user in ("user-0", "user-5", "user-29", "nobody"):
        a, b = _answer(bulk, user), _answer(incremental, user)
        assert [i for i, _ in a] == [i for i, _ in b]
        assert all(abs(x - y) < 1e-6 for (_, x), (_, y) in zip(a, b, strict=True))


def test_each_event_counts_once() -> None:
    events = _events()
    model = TenantModel.build(_catalog(), events + events[:50])
    assert model.interactions == len(events)
    before = _answer(model, "user-3")
    assert not any(model.apply_interaction(e) for e in events)
    assert _answer(model, "user-3") == before
    assert model.apply_interaction(InteractionEvent(10**9, "user-3", "item-000", "view", 1.0))


@pytest.mark.parametrize("seed", range(5))
def test_scores_are_in_the_unit_interval_and_sorted(seed: int) -> None:
    model = TenantModel.build(_catalog(), _events(seed))
    rng = random.Random(seed)
    for user in (f"user-{k}" for k in range(30)):
        kwargs = rng.choice([{}, {"categories": ["books"]}, {"tags": ["tag1", "tag2"]}])
        scores = [s for _, s in _answer(model, user, **kwargs)]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)


def test_ties_are_broken_by_item_id() -> None:
    items = [CatalogItem(item_id, "same", None, None, ()) for item_id in ("c", "a", "b", "d")]
    model = TenantModel.build(items, [])
    assert [s.item_id for s in model.recommend("anyone", 3).items] == ["a", "b", "c"]


def test_content_reaches_items_nobody_interacted_with() -> None:
    items = [
        CatalogItem("novel-1", "A mystery novel", "detective story", "books", ("mystery",)),
        CatalogItem("novel-2", "Another mystery novel", "a detective again", "books", ("mystery",)),
        CatalogItem("drill", "Cordless drill", "18 V power tool", "tools", ("diy",)),
        CatalogItem("saw", "Hand saw", "for wood", "tools", ("diy",)),
    ]
    events = [InteractionEvent(k, f"crowd-{k}", "drill", "purchase", 8.0) for k in range(1, 9)]
    events.append(InteractionEvent(100, "reader", "novel-1", "purchase", 8.0))
    model = TenantModel.build(items, events)
    assert model.recommend("reader", 1).items[0].item_id == "novel-2"
    assert model.recommend("stranger", 1).items[0].item_id == "drill"


def test_items_outside_the_catalog_link_users_but_are_never_recommended() -> None:
    items = [CatalogItem(f"i{k}", f"item {k}", None, None, ()) for k in range(4)]
    events = [
        InteractionEvent(1, "a", "ghost", "purchase", 8.0),
        InteractionEvent(2, "b", "ghost", "purchase", 8.0),
        InteractionEvent(3, "b", "i3", "purchase", 8.0),
    ]
    model = TenantModel.build(items, events)
    answer = model.recommend("a", 10).items
    assert answer[0].item_id == "i3"
    assert "ghost" not in [s.item_id for s in answer]


def test_an_unchanged_item_does_not_change_the_model() -> None:
    model = TenantModel.build(_catalog(4), [])
    revision = model.revision
    assert not model.upsert_item(_catalog(4)[0])
    assert model.revision == revision
    assert model.upsert_item(CatalogItem("item-000", "renamed"))
    assert model.revision == revision + 1


def test_rating_weights() -> None:
    assert rating_weight(5) == 5.0
    assert rating_weight(2.5) == 0.0
    assert rating_weight(0) == -5.0

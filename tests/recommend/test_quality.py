"""What the recommender recommends: planted tastes, exclusions, filters, cold start,
tenant isolation, determinism and a cold rebuild, all through the HTTP API."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.recommend.support import (
    catalog,
    ids,
    planted_tenant,
    purchase,
    recommend,
    track,
    upload,
)
from tests.support.factories import signup


async def test_a_user_who_buys_books_is_recommended_books(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await planted_tenant(client, account)
    await track(client, account, [purchase("reader", "books-1"), purchase("reader", "books-2")])
    body = await recommend(client, account, "reader", count=5)
    assert body["metadata"]["strategy"] == "personalized"
    recommended = ids(body)
    assert len(recommended) == 5
    # Electronics are the most popular items of the tenant, yet the books come first.
    assert all(item.startswith("books-") for item in recommended), body
    assert not {"books-1", "books-2"} & set(recommended)


async def test_a_user_who_buys_electronics_is_recommended_electronics(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await planted_tenant(client, account)
    await track(client, account, [purchase("geek", "electronics-3")])
    recommended = ids(await recommend(client, account, "geek", count=4))
    assert all(item.startswith("electronics-") for item in recommended)
    assert "electronics-3" not in recommended


async def test_purchased_and_disliked_items_are_excluded_viewed_ones_are_not(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await planted_tenant(client, account)
    await track(
        client,
        account,
        [
            purchase("shopper", "clothing-0"),
            {"user_id": "shopper", "item_id": "clothing-1", "interaction_type": "dislike"},
            {"user_id": "shopper", "item_id": "clothing-2", "interaction_type": "view"},
        ],
    )
    recommended = ids(await recommend(client, account, "shopper", count=100))
    assert "clothing-0" not in recommended
    assert "clothing-1" not in recommended
    assert "clothing-2" in recommended
    assert len(recommended) == len(catalog()) - 2
    # Buying later removes an item that was recommended before.
    await track(client, account, [purchase("shopper", "clothing-2")])
    assert "clothing-2" not in ids(await recommend(client, account, "shopper", count=100))


async def test_filters_are_honoured(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await planted_tenant(client, account)
    await track(client, account, [purchase("reader", "books-1")])

    only_clothing = ids(await recommend(client, account, "reader", 5, category="clothing"))
    assert len(only_clothing) == 5
    assert all(item.startswith("clothing-") for item in only_clothing)

    two = ids(await recommend(client, account, "reader", 100, category=["clothing", "books"]))
    assert {item.split("-")[0] for item in two} == {"clothing", "books"}
    assert ids(await recommend(client, account, "reader", 100, categories=["books"])) == [
        item for item in two if item.startswith("books-")
    ]

    audio = ids(await recommend(client, account, "reader", 100, tags=["audio", "poetry"]))
    assert sorted(audio) == ["books-3", "electronics-0", "electronics-5"]

    top = ids(await recommend(client, account, "reader", 3))
    without = ids(await recommend(client, account, "reader", 3, exclude_items=top[:2]))
    assert without[0] == top[2]
    assert not set(top[:2]) & set(without)

    strong = await recommend(client, account, "reader", 100, min_score=0.5)
    assert strong["recommendations"]
    assert all(r["score"] >= 0.5 for r in strong["recommendations"])

    assert ids(await recommend(client, account, "reader", 10, category="no-such")) == []


async def test_a_cold_start_user_gets_the_popular_items(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await planted_tenant(client, account)
    body = await recommend(client, account, "newcomer", count=8)
    assert body["metadata"]["strategy"] == "popular"
    # 12 electronics fans against 6 book and 4 clothing fans.
    assert all(item.startswith("electronics-") for item in ids(body))
    assert body["recommendations"][0]["score"] == 1.0


async def test_a_tenant_never_sees_another_tenants_items_or_users(
    client: httpx.AsyncClient,
) -> None:
    first, second = await signup(client), await signup(client)
    await planted_tenant(client, first)
    await track(client, first, [purchase("reader", "books-1")])
    await upload(
        client,
        second,
        [{"item_id": f"own-{n}", "title": f"Second tenant item {n}"} for n in range(3)],
    )
    body = await recommend(client, second, "reader", count=100)
    # "reader" is a user of the first tenant: for the second one it has no history.
    assert body["metadata"]["strategy"] == "popular"
    assert body["metadata"]["catalog_size"] == 3
    assert ids(body) == ["own-0", "own-1", "own-2"]
    # An item id of the first tenant, tracked by the second, is not the first's item.
    await track(client, second, [purchase("buyer", "books-2")])
    assert ids(await recommend(client, second, "buyer", count=100)) == ["own-0", "own-1", "own-2"]
    assert all(
        not item.startswith("own-") for item in ids(await recommend(client, first, "buyer", 100))
    )


async def test_equal_inputs_give_equal_answers_and_a_cold_rebuild_agrees(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    await planted_tenant(client, account)
    await track(client, account, [purchase("reader", "books-1")])
    warm = await recommend(client, account, "reader", count=20)
    assert (await recommend(client, account, "reader", count=20))["recommendations"] == warm[
        "recommendations"
    ]
    registry = app.state.resources.recommender
    builds = registry.builds
    registry.forget(uuid.UUID(account.tenant_id))
    cold = await recommend(client, account, "reader", count=20)
    assert registry.builds == builds + 1
    assert ids(cold) == ids(warm)
    for a, b in zip(cold["recommendations"], warm["recommendations"], strict=True):
        assert abs(a["score"] - b["score"]) < 1e-6
    assert cold["metadata"]["model_version"] == warm["metadata"]["model_version"]


async def test_the_model_version_changes_with_the_data(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await upload(client, account, catalog())
    before = (await recommend(client, account, "u"))["metadata"]["model_version"]
    await track(client, account, [purchase("u", "books-0")])
    after = (await recommend(client, account, "u"))["metadata"]["model_version"]
    assert before != after

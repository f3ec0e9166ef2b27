"""Helpers for the recommender tests: calls of the public API and a small catalog with
planted tastes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.factories import Account

CATEGORIES = {
    "books": [
        ("The Silent Library", "A mystery novel set among old manuscripts", ["fiction", "mystery"]),
        ("Paper Kingdoms", "An epic fantasy saga in three volumes", ["fiction", "fantasy"]),
        ("A Short History of Maps", "Non-fiction about cartography and explorers", ["history"]),
        ("Letters to a Young Poet", "Classic essays on writing poetry", ["poetry"]),
        ("The Gardener's Almanac", "A novel of seasons, family and secrets", ["fiction"]),
        ("Cooking for One", "Recipes and stories from a small kitchen", ["cookbook"]),
        ("Stars Above Us", "Astronomy for curious readers, illustrated", ["science"]),
        ("The Last Lighthouse", "A thriller on a stormy island", ["fiction", "thriller"]),
    ],
    "electronics": [
        ("Noise-cancelling headphones", "Wireless over-ear headphones, 30 h battery", ["audio"]),
        ("USB-C charger 65 W", "Fast charger for laptops and phones", ["charging"]),
        ("4K monitor 27 inch", "IPS display with HDR and USB-C input", ["display"]),
        ("Mechanical keyboard", "Hot-swappable switches, RGB backlight", ["input"]),
        ("Smartwatch", "Fitness tracking, heart rate, GPS", ["wearable"]),
        ("Bluetooth speaker", "Portable waterproof speaker with deep bass", ["audio"]),
        ("Wireless mouse", "Ergonomic mouse with silent clicks", ["input"]),
        ("Power bank 20000 mAh", "Charge two devices at once on the go", ["charging"]),
    ],
    "clothing": [
        ("Wool sweater", "Warm merino crew-neck sweater", ["winter"]),
        ("Rain jacket", "Lightweight waterproof shell with hood", ["outdoor"]),
        ("Running shoes", "Cushioned trainers for road running", ["sport"]),
        ("Linen shirt", "Breathable summer shirt, relaxed fit", ["summer"]),
        ("Denim jeans", "Slim fit stretch denim", ["casual"]),
        ("Beanie", "Knitted hat in soft cotton", ["winter"]),
        ("Hiking socks", "Cushioned socks for long walks", ["outdoor"]),
        ("Trench coat", "Classic belted coat for spring", ["outdoor"]),
    ],
}


def catalog() -> list[dict[str, Any]]:
    """24 items: ``books-0`` … ``books-7``, ``electronics-0`` …, ``clothing-0`` …"""
    return [
        {
            "item_id": f"{category}-{n}",
            "title": title,
            "description": description,
            "category": category,
            "tags": tags,
            "metadata": {"price": 10 + n},
        }
        for category, entries in CATEGORIES.items()
        for n, (title, description, tags) in enumerate(entries)
    ]


def planted_interactions() -> list[dict[str, Any]]:
    """Other users' tastes: many electronics buyers (electronics are the most popular),
    fewer book and clothing buyers, each buying within their favourite category."""
    found: list[dict[str, Any]] = []
    crowds = {"electronics": 12, "books": 6, "clothing": 4}
    for category, people in crowds.items():
        for person in range(people):
            for k in range(4):
                item = f"{category}-{(person + 2 * k) % 8}"
                found.append(purchase(f"{category}-fan-{person}", item))
                found.append(
                    {"user_id": f"{category}-fan-{person}", "item_id": item, "type": "view"}
                )
    return found


def purchase(user_id: str, item_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "item_id": item_id, "interaction_type": "purchase"}


async def upload(
    client: httpx.AsyncClient, account: Account, items: list[dict[str, Any]]
) -> dict[str, Any]:
    response = await client.post("/api/v1/items", json={"items": items}, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def track(
    client: httpx.AsyncClient, account: Account, interactions: list[dict[str, Any]]
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/interactions", json={"interactions": interactions}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def recommend(
    client: httpx.AsyncClient,
    account: Account,
    user_id: str,
    count: int = 10,
    **filters: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"user_id": user_id, "count": count}
    if filters:
        payload["filters"] = filters
    response = await client.post("/api/v1/recommendations", json=payload, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    scores = [r["score"] for r in body["recommendations"]]
    assert all(0.0 <= s <= 1.0 for s in scores), scores
    assert scores == sorted(scores, reverse=True)
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [r["item_id"] for r in body["recommendations"]]


async def planted_tenant(client: httpx.AsyncClient, account: Account) -> None:
    await upload(client, account, catalog())
    await track(client, account, planted_interactions())

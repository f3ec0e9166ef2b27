"""The recommender's model, one per tenant: pure numpy, no I/O.

A recommendation for user *u* blends three signals, each scaled to [0, 1] over the
candidates and mixed with fixed weights (``BLEND``), so the final score is in [0, 1]:

- **Item-to-item collaborative filtering.** Every (user, item) pair holds the sum of the
  user's interaction weights on the item (``raw``, negative for dislikes) and its
  damped strength ``f = log1p(max(raw, 0))``. Items are vectors over users and the
  similarity of two items is their cosine. The item-item matrix is never materialised:
  ``score(j) = sum_i w_ui cos(i, j)`` is computed per request as two sparse products
  through the pair arrays (users who touched the history, then what else they touched),
  ``O(pairs)`` with ``np.bincount``. The user's own row is left out (similarities come
  from other people) and so is each history item's similarity with itself.
- **Content similarity.** Each catalog item is a vector of three L2-normalised blocks,
  TF-IDF over title and description words, its category, TF-IDF over its tags, weighted
  by ``CONTENT_BLOCKS`` so that the cosine of two items is a weighted mean of "similar
  text", "same category" and "shared tags". The user's profile is the weighted sum of
  their history's vectors; items are scored by their dot product with it.
- **Popularity**: ``log1p(sum_v f_vj)``. A user without history (cold start) gets
  popularity alone.

Items the user purchased, or whose net weight for the user is negative, are never
recommended. Ties are broken by ``item_id``, so equal inputs give equal answers.

What is incremental: an interaction updates one pair, the item's squared norm and its
popularity in O(1) (``apply_interaction``); nothing is recomputed. An item written to the
catalog updates its own row of features; the content matrix (whose IDF depends on the
whole catalog) is rebuilt lazily, vectorised, at the next request after a catalog
change. ``TenantModel.build`` makes the same state from the stored rows in one go (a cold
process). Each interaction is applied once: the model remembers every event id it has
seen, so the after-commit hook, the bus consumer and a rebuild can all deliver one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

ALGORITHM: Final = "hybrid-v1"

DEFAULT_WEIGHTS: Final[dict[str, float]] = {
    "view": 1.0,
    "click": 2.0,
    "share": 3.0,
    "like": 4.0,
    "add_to_cart": 4.0,
    "purchase": 8.0,
    "remove_from_cart": -2.0,
    "dislike": -4.0,
}
"""How much each interaction type says about a user's taste. ``rating`` has none: its
weight comes from its value (see ``rating_weight``)."""

INTERACTION_TYPES: Final = (*DEFAULT_WEIGHTS, "rating")
PURCHASE: Final = "purchase"

BLEND: Final = {"collaborative": 0.5, "content": 0.35, "popularity": 0.15}
"""Weights of the three signals for a user with history; they sum to 1."""

CONTENT_BLOCKS: Final = {"text": 0.4, "category": 0.35, "tags": 0.25}
"""Weights of the three feature blocks in an item's content vector; they sum to 1."""

_TEXT_FIELD_WEIGHT: Final = {"title": 2.0, "description": 1.0}
_TOKEN = re.compile(r"[^\W_]{2,}")
_STOP_WORDS: Final = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in"}
    | {"is", "it", "its", "of", "on", "or", "our", "that", "the", "this", "to", "was"}
    | {"were", "will", "with", "you", "your"}
)
_CATEGORY, _TAG = "\x1fc:", "\x1ft:"
_BLOCK_TEXT, _BLOCK_CATEGORY, _BLOCK_TAGS = 0, 1, 2
_PAIR_KEY: Final = 1 << 32

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _sums(indices: npt.NDArray[np.int64], weights: npt.NDArray[Any], length: int) -> FloatArray:
    """``out[k] = sum(weights[indices == k])`` for ``k < length``: a sparse product step."""
    return np.asarray(np.bincount(indices, weights=weights, minlength=length), dtype=np.float64)


def rating_weight(value: float) -> float:
    """A rating of 0..5 stars: 5 → +5, 2.5 → 0, 0 → -5."""
    return 2.0 * value - 5.0


def _signed_log(values: FloatArray) -> FloatArray:
    result: FloatArray = np.sign(values) * np.log1p(np.abs(values))
    return result


def tokens(text: str | None) -> list[str]:
    if not text:
        return []
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP_WORDS]


class _Column:
    """A growable 1-D array with amortised O(1) append."""

    __slots__ = ("data", "size")

    def __init__(self, dtype: Any, capacity: int = 64) -> None:
        self.data: npt.NDArray[Any] = np.zeros(max(capacity, 1), dtype=dtype)
        self.size = 0

    def reserve(self, size: int) -> None:
        if size > len(self.data):
            grown = np.zeros(max(size, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown

    def append(self, value: Any) -> int:
        self.reserve(self.size + 1)
        self.data[self.size] = value
        self.size += 1
        return self.size - 1

    def extend(self, values: npt.NDArray[Any]) -> None:
        self.reserve(self.size + len(values))
        self.data[self.size : self.size + len(values)] = values
        self.size += len(values)

    def view(self) -> npt.NDArray[Any]:
        return self.data[: self.size]


@dataclass(frozen=True, slots=True)
class CatalogItem:
    item_id: str
    title: str
    description: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """One interaction as the model needs it; ``event_id`` is its de-duplication key."""

    event_id: int
    user_id: str
    item_id: str
    type: str
    weight: float


@dataclass(frozen=True, slots=True)
class Scored:
    item_id: str
    score: float
    title: str
    category: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    items: list[Scored]
    strategy: str
    """``personalized`` (the user has history) or ``popular`` (cold start)."""
    model_version: str


@dataclass(frozen=True, slots=True)
class _Features:
    """An item's content terms before IDF: column, raw term frequency, block."""

    columns: IntArray
    tf: FloatArray
    blocks: IntArray


@dataclass(frozen=True, slots=True)
class _Content:
    """The catalog's content matrix in CSR-like form (rows are item indexes)."""

    rows: IntArray
    columns: IntArray
    data: FloatArray
    indptr: IntArray
    self_dot: FloatArray
    """``|x_j|^2`` per item: 1 for an item with features, else 0."""


class TenantModel:
    """The state of one tenant's recommender; see the module docstring."""

    def __init__(self) -> None:
        self.revision = 0
        """Grows with every change; part of ``model_version``."""
        self.interactions = 0
        # Items, by dense index.
        self._item_index: dict[str, int] = {}
        self._items: list[CatalogItem | None] = []
        self._features: list[_Features | None] = []
        self._in_catalog = _Column(np.bool_)
        self._category_code = _Column(np.int64)
        self._item_sq = _Column(np.float64)
        self._item_pop = _Column(np.float64)
        self._categories: dict[str, int] = {}
        self._tag_items: dict[str, set[int]] = {}
        self._vocabulary: dict[str, int] = {}
        self._content: _Content | None = None
        self._id_rank: IntArray | None = None
        # Users and (user, item) pairs.
        self._user_index: dict[str, int] = {}
        self._user_slots: list[list[int]] = []
        self._pair_slot: dict[int, int] = {}
        self._pair_user = _Column(np.int64)
        self._pair_item = _Column(np.int64)
        self._pair_raw = _Column(np.float64)
        self._pair_f = _Column(np.float64)
        self._pair_purchased = _Column(np.bool_)
        self._events: set[int] = set()

    # -- construction ---------------------------------------------------------------

    @classmethod
    def build(
        cls,
        items: Iterable[CatalogItem],
        interactions: Sequence[InteractionEvent],
    ) -> TenantModel:
        """The model of a catalog and an interaction history, computed in bulk."""
        model = cls()
        for item in items:
            model.upsert_item(item)
        model._bulk_interactions(interactions)
        return model

    def _bulk_interactions(self, interactions: Sequence[InteractionEvent]) -> None:
        if self._pair_slot:
            for event in interactions:
                self.apply_interaction(event)
            return
        fresh: dict[int, InteractionEvent] = {}
        for event in interactions:
            fresh.setdefault(event.event_id, event)
        if not fresh:
            return
        events = list(fresh.values())
        self._events.update(fresh)
        n = len(events)
        users = np.fromiter((self._user(e.user_id) for e in events), np.int64, n)
        items = np.fromiter((self._item(e.item_id) for e in events), np.int64, n)
        weights = np.fromiter((e.weight for e in events), np.float64, n)
        bought = np.fromiter((e.type == PURCHASE for e in events), np.float64, n)
        # Aggregate per (user, item) pair; pairs come out sorted by user, then item.
        keys, inverse = np.unique(users * _PAIR_KEY + items, return_inverse=True)
        raw = np.bincount(inverse, weights=weights, minlength=len(keys))
        pair_user, pair_item = keys // _PAIR_KEY, keys % _PAIR_KEY
        pair_f = np.log1p(np.maximum(raw, 0.0))
        self._pair_user.extend(pair_user)
        self._pair_item.extend(pair_item)
        self._pair_raw.extend(raw)
        self._pair_f.extend(pair_f)
        self._pair_purchased.extend(np.bincount(inverse, weights=bought) > 0)
        self._pair_slot = dict(zip(keys.tolist(), range(len(keys)), strict=True))
        starts = np.flatnonzero(np.r_[True, pair_user[1:] != pair_user[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        for user, start, end in zip(
            pair_user[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
        ):
            self._user_slots[user] = list(range(start, end))
        n_items = len(self._items)
        self._item_sq.view()[:] = np.bincount(pair_item, weights=pair_f * pair_f, minlength=n_items)
        self._item_pop.view()[:] = np.bincount(pair_item, weights=pair_f, minlength=n_items)
        self.interactions += n
        self.revision += n

    # -- incremental updates ------------------------------------------------------------

    def apply_interaction(self, event: InteractionEvent) -> bool:
        """Add one interaction; ``False`` when this event was applied before."""
        if event.event_id in self._events:
            return False
        self._events.add(event.event_id)
        user, item = self._user(event.user_id), self._item(event.item_id)
        slot = self._slot(user * _PAIR_KEY + item)
        self._set_raw(slot, self._pair_raw.data[slot] + event.weight)
        if event.type == PURCHASE:
            self._pair_purchased.data[slot] = True
        self.interactions += 1
        self.revision += 1
        return True

    def upsert_item(self, item: CatalogItem) -> bool:
        """Add or replace a catalog item; ``False`` when nothing changed."""
        index = self._item(item.item_id)
        old = self._items[index]
        if old == item:
            return False
        if old is not None:
            for tag in old.tags:
                self._tag_items.get(tag.lower(), set()).discard(index)
        self._items[index] = item
        self._features[index] = self._item_features(item)
        self._in_catalog.data[index] = True
        self._category_code.data[index] = self._category(item.category)
        for tag in item.tags:
            self._tag_items.setdefault(tag.lower(), set()).add(index)
        self._content = None
        self.revision += 1
        return True

    def has_event(self, event_id: int) -> bool:
        return event_id in self._events

    @property
    def catalog_size(self) -> int:
        return int(self._in_catalog.view().sum())

    @property
    def version(self) -> str:
        return f"{ALGORITHM}.r{self.revision}"

    def _item(self, item_id: str) -> int:
        index = self._item_index.get(item_id)
        if index is None:
            index = self._item_index[item_id] = len(self._items)
            self._items.append(None)
            self._features.append(None)
            self._in_catalog.append(False)
            self._category_code.append(-1)
            self._item_sq.append(0.0)
            self._item_pop.append(0.0)
            self._id_rank = None
            self._content = None
        return index

    def _user(self, user_id: str) -> int:
        index = self._user_index.get(user_id)
        if index is None:
            index = self._user_index[user_id] = len(self._user_slots)
            self._user_slots.append([])
        return index

    def _slot(self, key: int) -> int:
        slot = self._pair_slot.get(key)
        if slot is None:
            user, item = divmod(key, _PAIR_KEY)
            slot = self._pair_slot[key] = self._pair_user.append(user)
            self._pair_item.append(item)
            self._pair_raw.append(0.0)
            self._pair_f.append(0.0)
            self._pair_purchased.append(False)
            self._user_slots[user].append(slot)
        return slot

    def _set_raw(self, slot: int, raw: float) -> None:
        item = int(self._pair_item.data[slot])
        old_f = float(self._pair_f.data[slot])
        new_f = math.log1p(raw) if raw > 0 else 0.0
        self._pair_raw.data[slot] = raw
        self._pair_f.data[slot] = new_f
        self._item_sq.data[item] += new_f * new_f - old_f * old_f
        self._item_pop.data[item] += new_f - old_f

    def _category(self, category: str | None) -> int:
        if category is None:
            return -1
        return self._categories.setdefault(category, len(self._categories))

    def _column(self, term: str) -> int:
        return self._vocabulary.setdefault(term, len(self._vocabulary))

    def _item_features(self, item: CatalogItem) -> _Features:
        counts: dict[int, list[float]] = {}

        def add(term: str, weight: float, block: int) -> None:
            entry = counts.setdefault(self._column(term), [0.0, float(block)])
            entry[0] += weight

        for field, weight in _TEXT_FIELD_WEIGHT.items():
            for token in tokens(getattr(item, field)):
                add(token, weight, _BLOCK_TEXT)
        if item.category:
            add(_CATEGORY + item.category, 1.0, _BLOCK_CATEGORY)
        for tag in item.tags:
            add(_TAG + tag.lower(), 1.0, _BLOCK_TAGS)
        columns = np.fromiter(counts, np.int64, len(counts))
        values = np.array(list(counts.values()), dtype=np.float64).reshape(-1, 2)
        # Sublinear term frequency: a word said ten times is not ten times as telling.
        tf = np.where(values[:, 0] > 1, 1 + np.log(np.maximum(values[:, 0], 1)), values[:, 0])
        return _Features(columns, tf, values[:, 1].astype(np.int64))

    # -- derived state ------------------------------------------------------------------

    def _content_matrix(self) -> _Content:
        if self._content is not None:
            return self._content
        n_items = len(self._items)
        present = [
            (index, feats)
            for index, feats in enumerate(self._features)
            if feats is not None and len(feats.columns)
        ]
        if not present:
            empty_i = np.zeros(0, dtype=np.int64)
            self._content = _Content(
                empty_i,
                empty_i,
                np.zeros(0),
                np.zeros(n_items + 1, dtype=np.int64),
                np.zeros(n_items),
            )
            return self._content
        lengths = np.array([len(f.columns) for _, f in present], dtype=np.int64)
        rows = np.repeat(np.array([i for i, _ in present], dtype=np.int64), lengths)
        columns = np.concatenate([f.columns for _, f in present])
        tf = np.concatenate([f.tf for _, f in present])
        blocks = np.concatenate([f.blocks for _, f in present])
        # Smoothed IDF over the catalog; category terms keep weight 1 (one per item).
        n_docs = len(present)
        df = np.bincount(columns, minlength=len(self._vocabulary)).astype(np.float64)
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        data = tf * np.where(blocks == _BLOCK_CATEGORY, 1.0, idf[columns])
        # L2-normalise each (item, block), then weight the blocks present in the item so
        # the whole row has unit length.
        cell = rows * 3 + blocks
        block_sq = np.bincount(cell, weights=data * data, minlength=n_items * 3)
        data = data / np.sqrt(block_sq[cell])
        block_weight = np.array(
            [CONTENT_BLOCKS["text"], CONTENT_BLOCKS["category"], CONTENT_BLOCKS["tags"]]
        )
        has_block = (block_sq.reshape(n_items, 3) > 0).astype(np.float64)
        row_total = has_block @ block_weight
        scale = np.sqrt(block_weight[blocks] / row_total[rows])
        data = data * scale
        indptr = np.zeros(n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_items), out=indptr[1:])
        self_dot = (row_total > 0).astype(np.float64)
        # ``present`` is in index order, so the entries are already sorted by row.
        self._content = _Content(rows, columns, data, indptr, self_dot)
        return self._content

    def _ranks(self) -> IntArray:
        """Each item's position in ``item_id`` order: the tie-breaker."""
        if self._id_rank is None or len(self._id_rank) != len(self._items):
            ids = list(self._item_index)
            order = sorted(range(len(ids)), key=ids.__getitem__)
            rank = np.empty(len(ids), dtype=np.int64)
            rank[np.array(order, dtype=np.int64)] = np.arange(len(ids))
            self._id_rank = rank
        return self._id_rank

    # -- scoring ------------------------------------------------------------------------

    def recommend(
        self,
        user_id: str,
        count: int,
        *,
        categories: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        min_score: float | None = None,
    ) -> Recommendation:
        """Up to ``count`` catalog items for ``user_id``, best first."""
        n_items = len(self._items)
        mask = self._in_catalog.view().copy()
        if categories is not None:
            codes = [self._categories[c] for c in categories if c in self._categories]
            mask &= np.isin(self._category_code.view(), np.array(codes, dtype=np.int64))
        if tags is not None:
            tagged = np.zeros(n_items, dtype=np.bool_)
            for tag in tags:
                members = self._tag_items.get(tag.lower())
                if members:
                    tagged[np.fromiter(members, np.int64, len(members))] = True
            mask &= tagged
        for item_id in exclude:
            index = self._item_index.get(item_id)
            if index is not None:
                mask[index] = False

        user = self._user_index.get(user_id)
        slots = np.array(self._user_slots[user] if user is not None else [], dtype=np.int64)
        popularity = np.log1p(np.maximum(self._item_pop.view(), 0.0))
        if len(slots) == 0:
            scores = _unit(popularity, mask)
            return self._top(scores, mask, count, min_score, "popular")

        history = self._pair_item.data[slots]
        raw = self._pair_raw.data[slots]
        purchased = self._pair_purchased.data[slots]
        mask[history[purchased | (raw < 0)]] = False
        weight = _signed_log(raw)
        assert user is not None
        collaborative = self._collaborative(user, history, weight, slots)
        content = self._content_scores(history, weight)
        scores = (
            BLEND["collaborative"] * _unit(collaborative, mask)
            + BLEND["content"] * _unit(content, mask)
            + BLEND["popularity"] * _unit(popularity, mask)
        )
        return self._top(scores, mask, count, min_score, "personalized")

    def _collaborative(
        self, user: int, history: IntArray, weight: FloatArray, slots: IntArray
    ) -> FloatArray:
        n_items = len(self._items)
        pair_user = self._pair_user.view()
        pair_item = self._pair_item.view()
        pair_f = self._pair_f.view()
        item_sq = np.maximum(self._item_sq.view(), 0.0)
        norms = np.sqrt(item_sq)
        inverse_norm = np.divide(1.0, norms, out=np.zeros(n_items), where=norms > 0)
        # g_i = w_ui / |f_i| on the history; a_v = sum_i g_i f_vi over the other users.
        g = np.zeros(n_items)
        g[history] = weight * inverse_norm[history]
        affinity = _sums(pair_user, g[pair_item] * pair_f, len(self._user_slots))
        affinity[user] = 0.0
        # s_j = sum_v a_v f_vj / |f_j| = sum_i w_ui cos(i, j), without the user's own row.
        scores = _sums(pair_item, affinity[pair_user] * pair_f, n_items)
        scores *= inverse_norm
        # Each history item is, trivially, similar to itself: take that term out.
        own_f = self._pair_f.data[slots]
        others_sq = item_sq[history] - own_f * own_f
        self_term = np.divide(
            weight * others_sq,
            item_sq[history],
            out=np.zeros(len(history)),
            where=item_sq[history] > 0,
        )
        scores[history] -= self_term
        return scores

    def _content_scores(self, history: IntArray, weight: FloatArray) -> FloatArray:
        content = self._content_matrix()
        starts = content.indptr[history]
        lengths = content.indptr[history + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(len(self._items))
        # The history rows' entries, gathered without a Python loop.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        entries = np.arange(total) + offsets
        profile = _sums(
            content.columns[entries],
            content.data[entries] * np.repeat(weight, lengths),
            len(self._vocabulary),
        )
        scores = _sums(content.rows, content.data * profile[content.columns], len(self._items))
        scores[history] -= weight * content.self_dot[history]
        return scores

    def _top(
        self,
        scores: FloatArray,
        mask: BoolArray,
        count: int,
        min_score: float | None,
        strategy: str,
    ) -> Recommendation:
        scores = np.asarray(np.round(np.clip(scores, 0.0, 1.0), 6), dtype=np.float64)
        if min_score is not None:
            mask = mask & (scores >= min_score)
        candidates = np.flatnonzero(mask)
        chosen = scores[candidates]
        if len(candidates) > count:
            # Everything tied with the count-th best stays in, so the tie-break decides.
            threshold = np.partition(chosen, len(chosen) - count)[len(chosen) - count]
            keep = chosen >= threshold
            candidates, chosen = candidates[keep], chosen[keep]
        order = np.lexsort((self._ranks()[candidates], -chosen))[:count]
        out = []
        for index, score in zip(candidates[order].tolist(), chosen[order].tolist(), strict=True):
            item = self._items[index]
            assert item is not None
            out.append(Scored(item.item_id, float(score), item.title, item.category, item.tags))
        return Recommendation(out, strategy, self.version)


def _unit(values: FloatArray, mask: BoolArray) -> FloatArray:
    """``values`` clipped at 0 and divided by their maximum over ``mask`` (0 if none)."""
    positive = np.maximum(values, 0.0)
    top = float(positive[mask].max()) if mask.any() else 0.0
    if top <= 0:
        return np.zeros_like(positive)
    result: FloatArray = positive / top
    return result

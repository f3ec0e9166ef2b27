// The recommender's request rules (src/topichub/recommend/schemas.py), checked before
// sending, and a small sample catalogue for the playground.
import { LIMITS } from "../../api/limits";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];
export type ItemIn = Schemas["ItemIn"];
export type InteractionType = Schemas["InteractionIn"]["interaction_type"];
export type Filters = Schemas["Filters"];

export const MAX_ITEMS = LIMITS.ItemsUpload.items.maxItems;
export const MAX_COUNT = LIMITS.RecommendationRequest.count.maximum;
const ID_MAX = LIMITS.ItemIn.item_id.maxLength;
const TITLE_MAX = LIMITS.ItemIn.title.maxLength;
const DESCRIPTION_MAX = LIMITS.ItemIn.description.maxLength;
const CATEGORY_MAX = LIMITS.ItemIn.category.maxLength;
export const TAGS_MAX = LIMITS.ItemIn.tags.maxItems;
const TAG_MAX = LIMITS.ItemIn.tags.items.maxLength;
export const WEIGHT = LIMITS.InteractionIn.weight;
const FILTER_CATEGORIES_MAX = LIMITS.Filters.categories.maxItems;
const FILTER_TAGS_MAX = LIMITS.Filters.tags.maxItems;
// Control characters other than tab, newline and carriage return.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;
const CATEGORY = /^[a-z0-9-]*$/;

/** Interaction types with the weight the server gives each (rating: 2 × value − 5). */
export const INTERACTION_TYPES: { type: InteractionType; weight: string }[] = [
  { type: "view", weight: "1" },
  { type: "click", weight: "2" },
  { type: "share", weight: "3" },
  { type: "like", weight: "4" },
  { type: "add_to_cart", weight: "4" },
  { type: "purchase", weight: "8" },
  { type: "remove_from_cart", weight: "−2" },
  { type: "dislike", weight: "−4" },
  { type: "rating", weight: "2 × value − 5" },
];

export const SAMPLE_ITEMS: ItemIn[] = [
  { item_id: "book-dune", title: "Dune", category: "books", tags: ["sci-fi", "classic", "desert"] },
  { item_id: "book-foundation", title: "Foundation", category: "books", tags: ["sci-fi", "classic"] },
  { item_id: "book-hobbit", title: "The Hobbit", category: "books", tags: ["fantasy", "classic"] },
  { item_id: "book-martian", title: "The Martian", category: "books", tags: ["sci-fi", "space"] },
  { item_id: "movie-arrival", title: "Arrival", category: "movies", tags: ["sci-fi", "drama"] },
  { item_id: "movie-interstellar", title: "Interstellar", category: "movies", tags: ["sci-fi", "space"] },
  { item_id: "movie-spirited-away", title: "Spirited Away", category: "movies", tags: ["fantasy", "animation"] },
  {
    item_id: "game-outer-wilds",
    title: "Outer Wilds",
    description: "A solar system stuck in a time loop.",
    category: "games",
    tags: ["space", "mystery"],
    metadata: { year: 2019 },
  },
];

export function sampleItemsText(): string {
  return JSON.stringify(SAMPLE_ITEMS, null, 2);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkText(
  value: unknown,
  name: string,
  { required, max }: { required: boolean; max: number },
): string | undefined {
  if (value === undefined || value === null) return required ? `${name} is required` : undefined;
  if (typeof value !== "string") return `${name} must be text`;
  if (required && !value.trim()) return `${name} must not be empty`;
  if (value.trim().length > max) return `${name} has more than ${max} characters`;
  if (CONTROL.test(value)) return `${name} contains control characters`;
  return undefined;
}

/** Why one item is refused by the server, or undefined. */
export function itemProblem(item: unknown): string | undefined {
  if (!isObject(item)) return "is not an object";
  const problem =
    checkText(item.item_id, "item_id", { required: true, max: ID_MAX }) ??
    checkText(item.title, "title", { required: true, max: TITLE_MAX }) ??
    checkText(item.description, "description", { required: false, max: DESCRIPTION_MAX });
  if (problem) return problem;
  const { category, tags, metadata } = item;
  if (category !== undefined && category !== null) {
    if (typeof category !== "string") return "category must be text";
    const trimmed = category.trim();
    if (trimmed.length > CATEGORY_MAX) return `category has more than ${CATEGORY_MAX} characters`;
    if (!CATEGORY.test(trimmed)) return "category may hold only a-z, 0-9 and '-'";
  }
  if (tags !== undefined && tags !== null) {
    if (!Array.isArray(tags)) return "tags must be a list of text";
    if (tags.length > TAGS_MAX) return `at most ${TAGS_MAX} tags`;
    for (const tag of tags) {
      const tagProblem = checkText(tag, "a tag", { required: true, max: TAG_MAX });
      if (tagProblem) return tagProblem;
    }
  }
  if (metadata !== undefined && metadata !== null && !isObject(metadata)) {
    return "metadata must be a JSON object";
  }
  return undefined;
}

/** The items of the upload text (a JSON array, or `{"items": [...]}`), or what is wrong. */
export function parseItems(text: string): { ok: true; items: ItemIn[] } | { ok: false; error: string } {
  if (!text.trim()) return { ok: false, error: "Enter a JSON array of items, or load the sample items." };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message : "invalid JSON";
    return { ok: false, error: `Not valid JSON: ${reason}` };
  }
  if (isObject(value) && "items" in value) value = value.items;
  if (!Array.isArray(value)) return { ok: false, error: "Enter a JSON array of items: [{...}, ...]." };
  if (value.length === 0) return { ok: false, error: "Enter at least one item." };
  if (value.length > MAX_ITEMS) {
    return { ok: false, error: `Upload at most ${MAX_ITEMS} items at once (there are ${value.length}).` };
  }
  for (const [index, item] of value.entries()) {
    const problem = itemProblem(item);
    if (problem) return { ok: false, error: `Item ${index + 1}: ${problem}.` };
  }
  return { ok: true, items: value as ItemIn[] };
}

/** Why an identifier (user or item id) is refused, or undefined. */
export function checkIdentifier(value: string, what: string): string | undefined {
  const text = value.trim();
  if (!text) return `Enter the ${what}.`;
  if (text.length > ID_MAX) return `Use at most ${ID_MAX} characters.`;
  if (CONTROL.test(text)) return "Remove the control characters.";
  return undefined;
}

/** An optional number field in [min, max]: its value, or the problem. */
export function optionalNumber(
  raw: string,
  min: number,
  max: number,
): { value: number | null; error?: string } {
  const text = raw.trim();
  if (!text) return { value: null };
  const value = Number(text);
  if (!Number.isFinite(value)) return { value: null, error: "Enter a number." };
  if (value < min || value > max) return { value: null, error: `Enter a number from ${min} to ${max}.` };
  return { value };
}

export interface InteractionForm {
  userId: string;
  itemId: string;
  type: InteractionType;
  weight: string;
  value: string;
}

export type InteractionBody = Schemas["InteractionIn"];

/** The interaction to send, or the problem per field. */
export function buildInteraction(
  form: InteractionForm,
): { ok: true; body: InteractionBody } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const user = checkIdentifier(form.userId, "user id");
  if (user) errors.user_id = user;
  const item = checkIdentifier(form.itemId, "item id");
  if (item) errors.item_id = item;
  const weight = optionalNumber(form.weight, WEIGHT.minimum, WEIGHT.maximum);
  if (weight.error) errors.weight = weight.error;
  const rating = optionalNumber(form.value, 0, 5);
  if (form.type === "rating") {
    if (rating.error) errors.value = rating.error;
    else if (rating.value === null && weight.value === null && !weight.error) {
      errors.value = "A rating needs a value from 0 to 5.";
    }
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const body: InteractionBody = {
    user_id: form.userId.trim(),
    item_id: form.itemId.trim(),
    interaction_type: form.type,
  };
  if (weight.value !== null) body.weight = weight.value;
  if (form.type === "rating" && rating.value !== null) body.value = rating.value;
  return { ok: true, body };
}

/** "a, b ,, c" → ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

export interface FilterForm {
  categories: string;
  tags: string;
  exclude: string;
  minScore: string;
}

/** The filters to send (null when none is set), or the problem per field. */
export function buildFilters(
  form: FilterForm,
): { ok: true; filters: Filters | null } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const categories = splitList(form.categories);
  const badCategory = categories.find((c) => c.length > CATEGORY_MAX || !CATEGORY.test(c));
  if (categories.length > FILTER_CATEGORIES_MAX) errors.categories = `Use at most ${FILTER_CATEGORIES_MAX} categories.`;
  else if (badCategory !== undefined) {
    errors.categories = `"${badCategory}" is not a category: use a-z, 0-9 and '-' only.`;
  }
  const tags = splitList(form.tags);
  const badTag = tags.find((t) => t.length > TAG_MAX || CONTROL.test(t));
  if (badTag !== undefined) errors.tags = `"${badTag.slice(0, 40)}" is not a tag: use at most ${TAG_MAX} characters.`;
  if (tags.length > FILTER_TAGS_MAX) errors.tags = `Use at most ${FILTER_TAGS_MAX} tags.`;
  const exclude = splitList(form.exclude);
  const badId = exclude.find((id) => checkIdentifier(id, "item id"));
  if (badId !== undefined) {
    errors.exclude = `"${badId.slice(0, 40)}" is not an item id (1 to ${ID_MAX} characters).`;
  }
  const minScore = optionalNumber(form.minScore, 0, 1);
  if (minScore.error) errors.min_score = minScore.error;
  if (Object.keys(errors).length) return { ok: false, errors };
  const filters: Filters = {};
  if (categories.length) filters.categories = categories;
  if (tags.length) filters.tags = tags;
  if (exclude.length) filters.exclude_items = exclude;
  if (minScore.value !== null) filters.min_score = minScore.value;
  return { ok: true, filters: Object.keys(filters).length ? filters : null };
}

/** A count from 1 to MAX_COUNT, or the problem. */
export function checkCount(raw: string): string | undefined {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) return "Enter a whole number.";
  const value = Number(text);
  if (value < 1 || value > MAX_COUNT) return `Enter a number from 1 to ${MAX_COUNT}.`;
  return undefined;
}

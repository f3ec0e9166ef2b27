import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { envelope, fakeApi } from "../../test/fakeApi";
import { SchemaEditor } from "./SchemaEditor";
import { parseSchema } from "./schemaEditor";

const stored = (version: number, schema: object) => ({
  topic: "orders",
  version,
  schema,
  active: true,
  forced: false,
  created_at: "2026-11-23T10:00:00Z",
});

describe("the schema editor", () => {
  it("checks the sample before saving, and saves only a schema the sample matches", async () => {
    let active: ReturnType<typeof stored> | null = null;
    const seen = fakeApi({
      "GET /api/v1/topics/orders/schema": () =>
        active ? { body: active } : { status: 404, body: envelope("NOT_FOUND", "No schema") },
      "POST /api/v1/topics/orders/schema/check": ({ body }) => {
        const { values } = body as { values: { qty?: unknown }[] };
        const good = typeof values[0]?.qty === "number";
        return {
          body: {
            valid: good,
            version: null,
            compatible: null,
            incompatibilities: [],
            failures: good ? [] : [{ index: 0, pointer: "/qty", schema_pointer: "/properties/qty/type", reason: "not a number" }],
          },
        };
      },
      "PUT /api/v1/topics/orders/schema": ({ body }) => {
        active = stored(1, (body as { schema: object }).schema);
        return { body: active };
      },
    });
    const user = userEvent.setup();
    render(<SchemaEditor topic="orders" projectId={null} />);
    const schemaField = await screen.findByLabelText("JSON Schema (draft 2020-12)");
    expect(screen.getByText(/No schema: any JSON value is accepted/)).toBeInTheDocument();

    await user.clear(schemaField);
    await user.type(schemaField, "[[1]");
    await user.click(screen.getByRole("button", { name: "Save schema" }));
    expect(await screen.findByText(/A schema is a JSON object/)).toBeInTheDocument();

    await user.clear(schemaField);
    await user.type(schemaField, '{{"type": "object"}');
    const sample = screen.getByLabelText("Sample message (JSON)");
    await user.clear(sample);
    await user.type(sample, '{{"qty": "x"}');
    await user.click(screen.getByRole("button", { name: "Save schema" }));
    expect(await screen.findByText("at /qty: not a number")).toBeInTheDocument();
    expect(seen.some((s) => s.method === "PUT")).toBe(false);

    await user.clear(sample);
    await user.type(sample, '{{"qty": 2}');
    await user.click(screen.getByRole("button", { name: "Save schema" }));
    expect(await screen.findByText("Schema version 1 is in force.")).toBeInTheDocument();
    expect(seen.find((s) => s.method === "PUT")?.body).toEqual({ schema: { type: "object" } });
    await waitFor(() => expect(screen.getByText("version 1 in force")).toBeInTheDocument());
  });

  it("replaces an incompatible schema only when forced", async () => {
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const seen = fakeApi({
      "GET /api/v1/topics/orders/schema": () => ({ body: stored(1, { type: "object" }) }),
      "POST /api/v1/topics/orders/schema/check": () => ({
        body: { valid: true, version: null, compatible: false, incompatibilities: ["type narrowed"], failures: [] },
      }),
      "PUT /api/v1/topics/orders/schema": ({ query }) =>
        query.get("force") === "true"
          ? { body: { ...stored(2, { type: "array" }), forced: true } }
          : { status: 409, body: envelope("CONFLICT", "The new schema may refuse messages the old one accepted") },
      "DELETE /api/v1/topics/orders/schema": () => ({ status: 204 }),
    });
    const user = userEvent.setup();
    render(<SchemaEditor topic="orders" projectId="p1" />);
    await screen.findByText("version 1 in force");
    await user.click(screen.getByRole("button", { name: "Check sample" }));
    expect(await screen.findByText("type narrowed")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save schema" }));
    expect(await screen.findByText(/may refuse messages the old one accepted/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Replace it anyway" }));
    expect(await screen.findByText("Schema version 2 is in force.")).toBeInTheDocument();
    const puts = seen.filter((s) => s.method === "PUT");
    expect(puts.map((s) => s.query.get("force"))).toEqual([null, "true"]);
    expect(puts[1]?.query.get("project_id")).toBe("p1");

    await user.click(screen.getByRole("button", { name: "Remove schema" }));
    expect(await screen.findByText(/publishes are no longer checked/)).toBeInTheDocument();
    expect(confirm).toHaveBeenCalled();
    confirm.mockRestore();
  });

  it("reads a schema as an object or true/false", () => {
    expect(parseSchema("true")).toEqual({ ok: true, value: true });
    expect(parseSchema('{"type": "string"}')).toEqual({ ok: true, value: { type: "string" } });
    expect(parseSchema("")).toEqual({ ok: false, error: "Enter a schema." });
    expect(parseSchema("{").ok).toBe(false);
  });
});

import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/errors";
import { useAction } from "../hooks/useApi";
import { CreateForm } from "./CreateForm";
import { TextField } from "./ui";

function Harness({ send, onCreated }: { send(name: string): Promise<void>; onCreated(): void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const create = useAction(() => send(name));
  return (
    <CreateForm
      title="New thing"
      submitLabel="Create thing"
      action={create}
      check={() => {
        setError(name ? undefined : "Enter a name.");
        return Boolean(name);
      }}
      onCreated={() => {
        setName("");
        onCreated();
      }}
    >
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={error} />
    </CreateForm>
  );
}

describe("CreateForm", () => {
  it("checks before sending, shows the server's refusal, and clears after success", async () => {
    const send = vi.fn(async (name: string) => {
      if (name === "taken") throw new ApiError("'taken' already exists", { status: 409, code: "CONFLICT" });
    });
    const onCreated = vi.fn();
    const user = userEvent.setup();
    render(<Harness send={send} onCreated={onCreated} />);

    await user.click(screen.getByRole("button", { name: "Create thing" }));
    expect(await screen.findByText("Enter a name.")).toBeInTheDocument();
    expect(send).not.toHaveBeenCalled();

    await user.type(screen.getByLabelText("Name"), "taken");
    await user.click(screen.getByRole("button", { name: "Create thing" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("'taken' already exists"));
    expect(onCreated).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "fresh");
    await user.click(screen.getByRole("button", { name: "Create thing" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledTimes(1));
    expect(send).toHaveBeenLastCalledWith("fresh");
    expect(screen.getByLabelText("Name")).toHaveValue("");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/errors";
import { useAction } from "../hooks/useApi";
import { EditForm } from "./EditForm";
import { TextField } from "./ui";

function Harness({ send, onDone }: { send(name: string): Promise<void>; onDone(saved: boolean): void }) {
  const [name, setName] = useState("old");
  const [error, setError] = useState<string>();
  const save = useAction(() => send(name));
  return (
    <EditForm
      action={save}
      check={() => {
        setError(name ? undefined : "Enter a name.");
        return Boolean(name);
      }}
      onDone={onDone}
    >
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={error} />
    </EditForm>
  );
}

describe("EditForm", () => {
  it("checks before sending, shows the server's refusal, and is done after success", async () => {
    const send = vi.fn(async (name: string) => {
      if (name === "taken") throw new ApiError("'taken' already exists", { status: 409, code: "CONFLICT" });
    });
    const onDone = vi.fn();
    const user = userEvent.setup();
    render(<Harness send={send} onDone={onDone} />);

    await user.clear(screen.getByLabelText("Name"));
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Enter a name.")).toBeInTheDocument();
    expect(send).not.toHaveBeenCalled();

    await user.type(screen.getByLabelText("Name"), "taken");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("'taken' already exists"));
    expect(onDone).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "fresh");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(true));
    expect(send).toHaveBeenLastCalledWith("fresh");
  });

  it("cancels with the button or Escape, sending nothing", async () => {
    const send = vi.fn(async () => {});
    const onDone = vi.fn();
    const user = userEvent.setup();
    render(<Harness send={send} onDone={onDone} />);

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onDone).toHaveBeenLastCalledWith(false);
    await user.type(screen.getByLabelText("Name"), "{Escape}");
    expect(onDone).toHaveBeenCalledTimes(2);
    expect(onDone).toHaveBeenLastCalledWith(false);
    expect(send).not.toHaveBeenCalled();
  });
});

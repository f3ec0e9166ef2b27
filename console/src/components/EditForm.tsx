// The console's in-place edit form (rename a project or a topic, edit a to-do): the page's
// fields, checked before sending, the server's refusal under them, Save and Cancel; Escape
// cancels. The submit runs as CreateForm's does.
import type { ReactNode } from "react";

import type { Action } from "../hooks/useApi";
import { formSubmit } from "./CreateForm";
import { Alert, Button } from "./ui";

export function EditForm({
  action,
  check,
  onDone,
  submitLabel = "Save",
  className = "flex flex-col gap-2",
  children,
}: {
  /** The request (useAction with no arguments: it reads the page's fields). */
  action: Action<[]>;
  /** The page's checks before sending: false keeps the form (and shows its errors). */
  check?: () => boolean;
  /** Saved (true) after the server accepted it, or cancelled (false). */
  onDone(saved: boolean): void;
  submitLabel?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <form
      onSubmit={formSubmit(action, check, () => onDone(true))}
      onKeyDown={(e) => e.key === "Escape" && onDone(false)}
      noValidate
      className={className}
    >
      {children}
      {action.error && <Alert>{action.error}</Alert>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={action.busy}>
          {submitLabel}
        </Button>
        <Button variant="secondary" onClick={() => onDone(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

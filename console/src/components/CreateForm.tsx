// The console's create form: a card with the page's fields, checked before sending, the
// server's refusal under them and one submit button. The page keeps its fields' state and
// its own checks; this runs the submit the same way everywhere (as does EditForm).
import type { FormEvent, ReactNode } from "react";

import type { Action } from "../hooks/useApi";
import { Alert, Button, Card } from "./ui";

/** The submit of the console's forms: the page's checks (false keeps the form and clears
 * the last refusal), then the request, then `done` once the server accepted it. */
export function formSubmit(action: Action<[]>, check: (() => boolean) | undefined, done: () => void) {
  return async (event: FormEvent) => {
    event.preventDefault();
    if (check && !check()) {
      action.reset();
      return;
    }
    if (await action.run()) done();
  };
}

export function CreateForm({
  title,
  submitLabel,
  action,
  check,
  onCreated,
  notice,
  children,
}: {
  title: ReactNode;
  submitLabel: string;
  /** The request (useAction with no arguments: it reads the page's fields). */
  action: Action<[]>;
  /** The page's checks before sending: false keeps the form (and shows its errors). */
  check?: () => boolean;
  /** After the server accepted it: clear the fields, reload a list, …. */
  onCreated(): void;
  /** Shown above the button, e.g. a success message. */
  notice?: ReactNode;
  children: ReactNode;
}) {
  const submit = formSubmit(action, check, onCreated);

  return (
    <Card title={title}>
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        {children}
        {action.error && <Alert>{action.error}</Alert>}
        {notice}
        <div>
          <Button type="submit" busy={action.busy}>
            {submitLabel}
          </Button>
        </div>
      </form>
    </Card>
  );
}

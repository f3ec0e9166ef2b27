// The signed-in user's account: who they are, change password (then a silent sign-in
// with the new password, since a password change ends every session), change email,
// deactivate the account.
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import type { User } from "../../api/session";
import { useAuth } from "../../auth/AuthProvider";
import { Alert, Badge, Button, Card, PageHeader, Spinner, TextField } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import { checkEmail, checkPassword } from "../../lib/validate";
import { formatDateTime } from "../../lib/time";

export interface PasswordChange {
  current: string;
  next: string;
  confirm: string;
}

/** Why a password change cannot be sent, per field; empty when it can. */
export function checkPasswordChange({ current, next, confirm }: PasswordChange): Partial<Record<keyof PasswordChange, string>> {
  const errors: Partial<Record<keyof PasswordChange, string>> = {};
  if (!current) errors.current = "Enter your current password.";
  const weak = checkPassword(next);
  if (weak) errors.next = weak;
  else if (current && next === current) errors.next = "Choose a password different from the current one.";
  if (confirm !== next) errors.confirm = "The passwords do not match.";
  return errors;
}

/** What the user signs in with: their email, else their username. */
export function loginOf(user: Pick<User, "email" | "username">): string | null {
  return user.email ?? user.username ?? null;
}

export default function AccountPage() {
  const { user: cached, reload } = useAuth();
  const me = useLoad(() => unwrap(api.GET("/api/v1/auth/me")), []);
  const user = me.data ?? cached;

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Account" />
      {me.error && <Alert>{me.error}</Alert>}
      {!user ? (
        <Spinner label="Loading your account" />
      ) : (
        <>
          <Profile user={user} />
          <div className="grid gap-4 md:grid-cols-2">
            <ChangePassword user={user} />
            <ChangeEmail
              user={user}
              onChanged={async () => {
                await reload();
                await me.reload();
              }}
            />
          </div>
          <DeleteAccount user={user} />
        </>
      )}
    </div>
  );
}

function Profile({ user }: { user: User }) {
  const rows: [string, string][] = [
    ["Email", user.email ?? "—"],
    ["Username", user.username ?? "—"],
    ["Tenant", user.tenant_id ?? "—"],
    ["Role", user.role ?? "—"],
    ["Created", formatDateTime(user.created_at)],
  ];
  return (
    <Card
      title="Profile"
      actions={user.is_platform_admin ? <Badge tone="warning">Platform admin</Badge> : undefined}
    >
      <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="font-medium text-slate-600">{label}</dt>
            <dd className={label === "Tenant" ? "font-mono text-xs break-all" : "wrap-anywhere"}>{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

function ChangePassword({ user }: { user: User }) {
  const { signIn, signOut } = useAuth();
  const [form, setForm] = useState<PasswordChange>({ current: "", next: "", confirm: "" });
  const [errors, setErrors] = useState<Partial<Record<keyof PasswordChange, string>>>({});
  const [outcome, setOutcome] = useState<"signed-in" | "sign-in-again" | null>(null);
  const change = useAction(async ({ current, next }: PasswordChange) => {
    await unwrap(api.PATCH("/api/v1/auth/me", { body: { current_password: current, password: next } }));
    // The server ended every session (this one too): sign in again with the new password.
    const login = loginOf(user);
    try {
      if (!login) throw new Error("no login");
      await signIn(login, next);
      setOutcome("signed-in");
    } catch {
      setOutcome("sign-in-again");
    }
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setOutcome(null);
    const next = checkPasswordChange(form);
    setErrors(next);
    if (Object.keys(next).length) return;
    if (await change.run(form)) setForm({ current: "", next: "", confirm: "" });
  }

  const set = (field: keyof PasswordChange) => (value: string) => setForm((f) => ({ ...f, [field]: value }));
  const wrongCurrent = change.error && /current password/i.test(change.error) ? change.error : undefined;

  return (
    <Card title="Change password">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        {change.error && !wrongCurrent && <Alert>{change.error}</Alert>}
        {outcome === "signed-in" && (
          <Alert tone="success">Password changed. Your other sessions have been signed out.</Alert>
        )}
        {outcome === "sign-in-again" && (
          <Alert tone="warning">
            Password changed, and every session was signed out.{" "}
            <button type="button" className="underline" onClick={signOut}>
              Sign in again
            </button>{" "}
            with your new password.
          </Alert>
        )}
        {/* A hidden username field lets password managers pair the new password with the account. */}
        <input type="text" hidden readOnly autoComplete="username" value={loginOf(user) ?? ""} />
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={form.current}
          onChange={(e) => set("current")(e.target.value)}
          error={errors.current ?? wrongCurrent}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters."
          value={form.next}
          onChange={(e) => set("next")(e.target.value)}
          error={errors.next ?? change.fieldError("password")}
        />
        <TextField
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          value={form.confirm}
          onChange={(e) => set("confirm")(e.target.value)}
          error={errors.confirm}
        />
        <p className="text-xs text-slate-500">Changing your password signs you out everywhere else.</p>
        <div>
          <Button type="submit" busy={change.busy}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}

function ChangeEmail({ user, onChanged }: { user: User; onChanged(): Promise<void> }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [done, setDone] = useState<string | null>(null);
  const change = useAction(async () => {
    const updated = await unwrap(
      api.PATCH("/api/v1/auth/me", { body: { email: email.trim(), current_password: password } }),
    );
    setDone(updated.email);
    setEmail("");
    setPassword("");
    await onChanged();
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const next: { email?: string; password?: string } = {};
    const bad = checkEmail(email);
    if (bad) next.email = bad;
    else if (email.trim().toLowerCase() === user.email) next.email = "That is already your email address.";
    if (!password) next.password = "Enter your current password.";
    setErrors(next);
    if (next.email || next.password) return;
    await change.run();
  }

  const wrongCurrent = change.error && /current password/i.test(change.error) ? change.error : undefined;
  const badEmail =
    change.fieldError("email") ?? (change.error && /email/i.test(change.error) ? change.error : undefined);

  return (
    <Card title="Change email">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        {change.error && !wrongCurrent && !badEmail && <Alert>{change.error}</Alert>}
        {done && <Alert tone="success">Your email is now {done}.</Alert>}
        <TextField
          label="New email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email ?? badEmail}
        />
        <TextField
          label="Current password (to confirm)"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password ?? wrongCurrent}
        />
        <div>
          <Button type="submit" busy={change.busy}>
            Change email
          </Button>
        </div>
      </form>
    </Card>
  );
}

function DeleteAccount({ user }: { user: User }) {
  const { signOut } = useAuth();
  const expected = loginOf(user) ?? "";
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string>();
  const remove = useAction(async () => {
    await unwrap(api.DELETE("/api/v1/auth/me"));
    signOut();
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (typed.trim().toLowerCase() !== expected.toLowerCase()) {
      setError(`Type ${expected} to confirm.`);
      return;
    }
    setError(undefined);
    await remove.run();
  }

  return (
    <Card title="Delete account">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <p className="text-sm text-slate-700">
          Your account is deactivated: you are signed out, your API keys stop working and your open streams close.
          You cannot sign in again afterwards.
        </p>
        {remove.error && <Alert>{remove.error}</Alert>}
        <div className="max-w-sm">
          <TextField
            label={`Type ${expected} to confirm`}
            autoComplete="off"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            error={error}
          />
        </div>
        <div>
          <Button type="submit" variant="danger" busy={remove.busy}>
            Delete my account
          </Button>
        </div>
      </form>
    </Card>
  );
}

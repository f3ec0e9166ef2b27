import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";

import { useAuth } from "../../auth/AuthProvider";
import { Alert, Button, TextField } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import { checkEmail, checkPassword, checkUsername } from "../../lib/validate";
import { AuthFrame } from "./AuthFrame";

export default function SignupPage() {
  const { signUp } = useAuth();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const action = useAction(signUp);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = {
      email: checkEmail(email),
      username: checkUsername(username),
      password: checkPassword(password),
      confirm: confirm === password ? undefined : "The passwords do not match.",
    };
    setErrors(next);
    if (Object.values(next).some(Boolean)) return;
    if (await action.run(email.trim(), password, username)) navigate("/", { replace: true });
  }

  return (
    <AuthFrame title="Create your account">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        {action.error && <Alert>{action.error}</Alert>}
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email ?? action.fieldError("email")}
        />
        <TextField
          label="Username (optional)"
          autoComplete="nickname"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={errors.username ?? action.fieldError("username")}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password ?? action.fieldError("password")}
        />
        <TextField
          label="Confirm password"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={errors.confirm}
        />
        <Button type="submit" busy={action.busy}>
          Create account
        </Button>
        <p className="text-center text-sm text-slate-600">
          Have an account?{" "}
          <Link className="text-indigo-700 underline" to="/login">
            Sign in
          </Link>
        </p>
      </form>
    </AuthFrame>
  );
}

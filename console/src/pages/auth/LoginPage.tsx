import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";

import { useAuth } from "../../auth/AuthProvider";
import { Alert, Button, TextField } from "../../components/ui";
import { useAction } from "../../hooks/useApi";
import { AuthFrame } from "./AuthFrame";

export default function LoginPage() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<{ login?: string; password?: string }>({});
  const action = useAction(signIn);
  const expired = new URLSearchParams(location.search).get("expired") === "1";

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = {
      login: login.trim() ? undefined : "Enter your email or username.",
      password: password ? undefined : "Enter your password.",
    };
    setErrors(next);
    if (next.login || next.password) return;
    if (await action.run(login.trim(), password)) navigate("/", { replace: true });
  }

  return (
    <AuthFrame title="Sign in to topichub">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        {expired && <Alert tone="info">Your session ended. Please sign in again.</Alert>}
        {action.error && <Alert>{action.error}</Alert>}
        <TextField
          label="Email or username"
          autoComplete="username"
          value={login}
          onChange={(e) => setLogin(e.target.value)}
          error={errors.login}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <Button type="submit" busy={action.busy}>
          Sign in
        </Button>
        <p className="text-center text-sm text-slate-600">
          New here?{" "}
          <Link className="text-indigo-700 underline" to="/signup">
            Create an account
          </Link>
        </p>
      </form>
    </AuthFrame>
  );
}

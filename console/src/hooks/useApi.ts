// Loading data and running actions with the typed client, with errors a person can read.
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";

import { ApiError, describe } from "../api/errors";

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload(): Promise<void>;
}

/** Load on mount and whenever `deps` change: `useLoad(() => unwrap(api.GET(...)), [])`. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const stable = useCallback(load, deps);

  const reload = useCallback(async () => {
    const call = ++latest.current;
    setLoading(true);
    try {
      const value = await stable();
      if (call === latest.current) {
        setData(value);
        setError(null);
      }
    } catch (caught) {
      if (call === latest.current) setError(describe(caught));
    } finally {
      if (call === latest.current) setLoading(false);
    }
  }, [stable]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { data, error, loading, reload };
}

export interface Action<A extends unknown[]> {
  run(...args: A): Promise<boolean>;
  busy: boolean;
  error: string | null;
  /** The server's message for one field of the last failed call. */
  fieldError(field: string): string | undefined;
  reset(): void;
}

/** Run a mutation; `run` resolves to whether it succeeded, and `error` says why not. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setFailure(null);
    try {
      await action(...args);
      return true;
    } catch (caught) {
      setFailure(caught);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return {
    run,
    busy,
    error: failure ? describe(failure) : null,
    fieldError: (field) => (failure instanceof ApiError ? failure.forField(field) : undefined),
    reset: () => setFailure(null),
  };
}

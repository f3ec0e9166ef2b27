// Run a callback now (unless `immediate` is false: the view loaded already) and every
// `intervalMs` while the tab is visible, and once more when it becomes visible again: a
// polled view costs nothing in a background tab.
import { useEffect, useRef } from "react";

export function usePoll(tick: () => void, intervalMs: number, enabled = true, immediate = true): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    let first = true;
    const start = () => {
      if (timer !== undefined) return;
      if (immediate || !first) latest.current();
      first = false;
      timer = setInterval(() => latest.current(), intervalMs);
    };
    const stop = () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => (document.visibilityState === "hidden" ? stop() : start());
    if (document.visibilityState !== "hidden") start();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      stop();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [intervalMs, enabled, immediate]);
}

// A poll's close pushes nothing (PROTOCOL.md: `closes_at` is in the poll), so
// a page showing open polls asks again once a closing time has passed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { CLOSE_RECHECK_MS, MAX_TIMER_MS, closeCheckAt, nextCloseCheck, type Poll } from '../lib/polls';

/**
 * Calls `onDue` with the shown open polls whose closing time (plus the
 * clocks' margin) has passed, for the page to ask the server about them
 * again. One the server still calls open (this browser's clock runs ahead)
 * is due again CLOSE_RECHECK_MS later. `deps` are what `onDue` reads besides
 * the polls (its session, its channel).
 */
export function usePollCloses(polls: Poll[], onDue: (due: Poll[]) => Promise<unknown> | void, deps: unknown[]): void {
  const recheck = useRef(new Map<string, number>());
  // Bumped by each timer, so that the next one is set even when no answer changes the list.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const at = nextCloseCheck(polls, recheck.current);
    if (at === null) return;
    const timer = setTimeout(() => {
      const now = Date.now();
      const due = polls.filter((p) => !p.closed && closeCheckAt(p, recheck.current) <= now);
      for (const p of due) recheck.current.set(p.id, now + CLOSE_RECHECK_MS);
      void Promise.resolve(onDue(due)).finally(() => setTick((n) => n + 1));
    }, Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS));
    return () => clearTimeout(timer);
  }, [polls, tick, ...deps]);
}

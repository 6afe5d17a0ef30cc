import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { subscribeLive, useLiveStatus } from './live';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/**
 * Loads `load()` now, again whenever `key` changes, and every `everyMs` while the page is shown
 * (0 = never again). A slow answer for an old key never overwrites a newer one.
 */
export function usePolled<T>(load: () => Promise<T>, key: string, everyMs = 3000): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => {
    const mine = ++generation.current;
    loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      },
      (err: Error) => {
        if (mine === generation.current) setError(err.message);
      },
    );
  }, []);
  useEffect(() => {
    setData(undefined);
    reload();
  }, [key, reload]);
  useEffect(() => {
    if (everyMs <= 0) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, reload]);
  return { data, error, reload };
}

/** While the live stream is up, a slow poll only guards against a missed message. */
const SAFETY_POLL_MS = 30_000;
const POLL_MS = 3_000;
/** Several changes in a burst cause one reload. */
const COALESCE_MS = 250;

/** Like usePolled, reloaded when the server says something changed; polls every few seconds while it cannot say. */
export function useLive<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const status = useLiveStatus();
  const loaded = usePolled(load, key, status === 'live' ? SAFETY_POLL_MS : POLL_MS);
  const { reload } = loaded;
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribeLive(() => {
      pending ??= setTimeout(() => {
        pending = undefined;
        reload();
      }, COALESCE_MS);
    });
    return () => {
      unsubscribe();
      clearTimeout(pending);
    };
  }, [reload]);
  return loaded;
}

/** The part of the address after `#`, kept in state so links and the back button work. */
export function useHashRoute(): string {
  const [route, setRoute] = useState(() => location.hash.slice(1) || '/runs');
  useEffect(() => {
    const update = () => setRoute(location.hash.slice(1) || '/runs');
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

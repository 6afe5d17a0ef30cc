import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/**
 * Loads `load()` now, again whenever `key` changes, and every `everyMs` while the page is shown
 * (live updates without reload). A slow answer for an old key never overwrites a newer one.
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
    if (everyMs <= 0) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [key, everyMs, reload]);
  return { data, error, reload };
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

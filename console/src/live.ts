/**
 * Live updates: one Server-Sent Events stream per tab (GET /api/v1/live) says when runs or inbox
 * events changed, and every page shown reloads what it reads. EventSource cannot send the bearer
 * token, so the tab first trades it for a one-minute stream ticket (POST /api/v1/live/tickets).
 * Whenever the stream is down (refused, proxy without streaming, server restart) pages poll instead,
 * and the tab tries the stream again with a fresh ticket.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';

export type LiveStatus = 'live' | 'polling';

const RECONNECT_MS = 5_000;
const listeners = new Set<() => void>();
const statusListeners = new Set<(status: LiveStatus) => void>();
let source: EventSource | undefined;
let connecting = false;
let reconnect: ReturnType<typeof setTimeout> | undefined;
let status: LiveStatus = 'polling';

function setStatus(next: LiveStatus) {
  if (next === status) return;
  status = next;
  for (const listener of statusListeners) listener(next);
}

const notify = () => listeners.forEach((listener) => listener());

function retryLater() {
  setStatus('polling');
  if (reconnect === undefined && listeners.size > 0)
    reconnect = setTimeout(() => {
      reconnect = undefined;
      void connect();
    }, RECONNECT_MS);
}

async function connect(): Promise<void> {
  if (source || connecting || listeners.size === 0) return;
  connecting = true;
  try {
    const { ticket } = await api.post<{ ticket: string }>('/live/tickets');
    const stream = new EventSource(`/api/v1/live?ticket=${encodeURIComponent(ticket)}`);
    source = stream;
    stream.addEventListener('open', () => {
      setStatus('live');
      // What changed while the stream was being opened.
      notify();
    });
    stream.addEventListener('change', notify);
    // EventSource would reconnect by itself with the same ticket, which expires: start again instead.
    stream.addEventListener('error', () => {
      stream.close();
      if (source === stream) source = undefined;
      retryLater();
    });
  } catch {
    retryLater();
  } finally {
    connecting = false;
  }
}

function disconnectWhenUnused() {
  if (listeners.size > 0) return;
  source?.close();
  source = undefined;
  clearTimeout(reconnect);
  reconnect = undefined;
  setStatus('polling');
}

/** Calls `listener` whenever the server says something changed; returns the unsubscribe. */
export function subscribeLive(listener: () => void): () => void {
  listeners.add(listener);
  void connect();
  return () => {
    listeners.delete(listener);
    disconnectWhenUnused();
  };
}

/** Closes the stream now (sign-out). */
export function stopLive(): void {
  listeners.clear();
  disconnectWhenUnused();
}

export function useLiveStatus(): LiveStatus {
  const [current, setCurrent] = useState(status);
  useEffect(() => {
    statusListeners.add(setCurrent);
    setCurrent(status);
    return () => void statusListeners.delete(setCurrent);
  }, []);
  return current;
}

import type { Request } from 'express';

/** The URL (scheme, host, port) that a request's links, `Link` and `Location` headers start with. */
export type BaseUrlOf = (req: Request) => string;

/** A host[:port] a proxy may name; anything else in the header is ignored. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** The first value of a possibly comma-joined header (a chain of proxies lists the client's first). */
const first = (value: string | undefined) => value?.split(',')[0]?.trim() || undefined;

/**
 * Where the sandbox says it lives, so it can run behind a TLS front as operators run it: the
 * configured public URL; else what the proxy says (`X-Forwarded-Host`, `X-Forwarded-Proto`); else
 * the address it listens on (the request's own host before `listen()`, as under supertest).
 */
export function publicBaseUrl(configured: string | undefined, listening: () => string | undefined): BaseUrlOf {
  const fixed = configured?.replace(/\/+$/, '');
  return (req) => {
    if (fixed) return fixed;
    const host = first(req.get('X-Forwarded-Host'));
    if (host && HOST.test(host)) {
      const proto = first(req.get('X-Forwarded-Proto'));
      return `${proto === 'https' || proto === 'http' ? proto : req.protocol}://${host}`;
    }
    return listening() ?? `${req.protocol}://${req.get('host')}`;
  };
}

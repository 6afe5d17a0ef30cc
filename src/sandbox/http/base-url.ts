import type { Request } from 'express';

/** The URL (scheme, host, port) that a request's links, `Link` and `Location` headers start with. */
export type BaseUrlOf = (req: Request) => string;

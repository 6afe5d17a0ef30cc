import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { ConfigError } from '../errors';

/** What a listening socket is for, so a failure names the setting that fixes it. */
export interface ListenPurpose {
  /** Config path of the port, e.g. `server.port`. */
  path: string;
  /** Environment variables of the port and the address, e.g. PORT and HOST. */
  portEnv: string;
  hostEnv: string;
  /** Timeouts and other options of the server. */
  options?: ServerOptions;
}

/**
 * Starts an HTTP server; a port that cannot be bound is a ConfigError saying which port, why, and
 * which variable to set — never a TypeError from a server that is not listening.
 */
export function listenOn(
  handler: RequestListener,
  port: number,
  host: string,
  purpose: ListenPurpose,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(purpose.options ?? {}, handler);
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, port, host, purpose)));
    server.listen(port, host, () => resolve(server));
  });
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string, purpose: ListenPurpose): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ConfigError([
        `${purpose.path}: port ${port} is in use on ${host}; set ${purpose.portEnv} to a free port or stop what holds it`,
      ]);
    case 'EACCES':
      return new ConfigError([
        `${purpose.path}: port ${port} needs privileges this process lacks; set ${purpose.portEnv} to a port above 1023`,
      ]);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ConfigError([
        `${purpose.path}: address ${host} is not one of this machine's; set ${purpose.hostEnv} (0.0.0.0 = every address)`,
      ]);
    default:
      return err;
  }
}

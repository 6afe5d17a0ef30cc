import { connect } from 'node:net';
import express from 'express';
import { closeServer, serverOptions, type ServerTimeouts } from '../../../src/api/http-server';
import { listenOn } from '../../../src/api/listen';
import type { RequestListener } from 'node:http';

/** A slow or stalled client can neither hold a connection forever nor hold a shutdown (issue "Security hardening" item 12). */
/** The test app on a free port, with the server timeouts as serve sets them. */
const listen = (app: RequestListener, timeouts: ServerTimeouts) =>
  listenOn(app, 0, '127.0.0.1', {
    path: 'server.port',
    portEnv: 'PORT',
    hostEnv: 'HOST',
    options: serverOptions(timeouts),
  });

describe('slow clients', () => {
  const appWithRoute = () => {
    const app = express();
    app.post('/echo', express.json(), (req, res) => res.json(req.body));
    return app;
  };
  const port = (server: import('node:http').Server) => (server.address() as { port: number }).port;

  function stalledClient(at: number, partial: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(at, '127.0.0.1', () => socket.write(partial));
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => resolve(answer));
      socket.on('error', () => resolve(answer));
    });
  }

  it('cuts off a client that sends its headers too slowly', async () => {
    const server = await listen(appWithRoute(), { requestTimeoutMs: 800, headersTimeoutMs: 500 });
    try {
      const answer = await stalledClient(port(server), 'POST /echo HTTP/1.1\r\nHost: x\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await closeServer(server, 100);
    }
  });

  it('shuts down within the grace although a client holds a request open', async () => {
    const server = await listen(appWithRoute(), {
      requestTimeoutMs: 600_000,
      headersTimeoutMs: 600_000,
    });
    const held = stalledClient(
      port(server),
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await closeServer(server, 300);
    // Generous bound: without the grace the close would wait for the client (the review saw 3 minutes).
    expect(Date.now() - started).toBeLessThan(5000);
    await held;
  });
});

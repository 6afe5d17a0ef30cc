import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The page the instance's Tomcat answers a request line or headers too large for it with (HTTP 400,
 * "Request header is too large": https://support.servicenow.com/kb?id=kb_article_view&sysparm_article=KB0826932).
 */
const PAGE = [
  '<!doctype html><html lang="en"><head><title>HTTP Status 400 – Bad Request</title></head><body>',
  '<h1>HTTP Status 400 – Bad Request</h1><hr class="line" />',
  '<p><b>Type</b> Exception Report</p><p><b>Message</b> Request header is too large</p>',
  '<p><b>Description</b> The server cannot or will not process the request due to something that is perceived',
  ' to be a client error (e.g., malformed request syntax, invalid request message framing, or deceptive request routing).</p>',
  '</body></html>',
].join('');

function answer(socket: Duplex, status: string, body: string, type: string): void {
  const bytes = Buffer.from(body);
  const head = `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head), bytes]));
}

/**
 * An over-long URL (or header block) gets the instance's error page rather than Node's empty 431;
 * other malformed requests get a bare 400, as without this handler.
 */
export function answerOverlongRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW') answer(socket, '400 Bad Request', PAGE, 'text/html;charset=utf-8');
    else answer(socket, '400 Bad Request', '', 'text/plain');
  });
}

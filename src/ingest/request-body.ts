import type { IncomingMessage } from 'node:http';

/** Why a request's body was not read: the answer's status, code and message. */
export class BodyRefused extends Error {
  constructor(
    readonly status: 413 | 415 | 400,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The request's body, whole, as the sender sent it (the webhook's signature is over these bytes).
 * Refused before a byte is read when its declared length is over `limitBytes` or it is compressed
 * (ServiceNow's Business Rule sends plain JSON), and as soon as more than `limitBytes` arrive.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = (err: BodyRefused) => {
      req.removeAllListeners('data');
      req.resume(); // what is still coming is dropped, not kept
      reject(err);
    };
    const tooLarge = () => new BodyRefused(413, 'request.too_large', `body exceeds ${limitBytes} bytes`);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity')
      return refuse(
        new BodyRefused(
          415,
          'request.unsupported_encoding',
          `content-encoding ${encoding} is not accepted; send the body as is`,
        ),
      );
    if (Number(req.headers['content-length'] ?? 0) > limitBytes) return refuse(tooLarge());
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) return refuse(tooLarge());
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)));
    req.once('error', () => reject(new BodyRefused(400, 'request.aborted', 'the body was not received whole')));
  });
}

import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../src/observability/logger';

/** The production logger (its format adds the correlation id and masks secrets), writing its JSON lines to an array. */
export function capturingLogger(): { logger: winston.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info');
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    }),
  );
  return { logger, lines };
}

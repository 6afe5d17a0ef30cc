import winston from 'winston';
import { currentCorrelationId } from './context';
import { traceIdOf } from './trace-ids';
import { currentTraceId } from './tracing';
import { redact } from './redact';

/** Adds the correlation id and trace id of the current event or run and masks secrets, on every line. */
const enrich = winston.format((info) => {
  const correlationId = currentCorrelationId();
  if (correlationId && !info.correlationId) info.correlationId = correlationId;
  const traceId =
    currentTraceId() ?? (typeof info.correlationId === 'string' ? traceIdOf(info.correlationId) : undefined);
  if (traceId && !info.traceId) info.traceId = traceId;
  for (const key of Object.keys(info)) {
    if (key !== 'level' && key !== 'timestamp') info[key] = redact(info[key]);
  }
  return info;
});

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(
  level = 'info',
  defaultMeta: Record<string, unknown> = { service: 'snowline' },
): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta,
    format: winston.format.combine(winston.format.timestamp(), enrich(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

export type Logger = winston.Logger;

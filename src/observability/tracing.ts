import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type IdGenerator, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingSettings } from './observability-config';
import { rootSpanIdOf, traceIdOf } from './trace-ids';
import { SNOWLINE_VERSION } from '../version';

/**
 * OpenTelemetry traces (https://opentelemetry.io/docs/languages/js/): spans for ingest → match →
 * step (with its gates) → write-back, and the run, exported by OTLP/HTTP when configured. Off, every
 * function here costs nothing and changes nothing. The W3C `traceparent` of the current span goes on
 * every outbound call (traceHeaders) and to Ansible.
 */

/** Ids the next span must take (its trace's root, a run's span): see trace-ids.ts. */
const forcedIds = new AsyncLocalStorage<{ traceId?: string; spanId?: string }>();

const idGenerator: IdGenerator = {
  generateTraceId: () => forcedIds.getStore()?.traceId ?? randomBytes(16).toString('hex'),
  generateSpanId: () => forcedIds.getStore()?.spanId ?? randomBytes(8).toString('hex'),
};

let provider: NodeTracerProvider | undefined;

/** Starts tracing for this process (once); the returned stop flushes what is left. */
export function startTracing(settings: TracingSettings, extra: SpanProcessor[] = []): { stop(): Promise<void> } {
  if (!settings.enabled || provider) return { stop: async () => undefined };
  const processors = [...extra];
  if (settings.otlpUrl) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.otlpUrl })));
  const started = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': SNOWLINE_VERSION }),
    idGenerator,
    spanProcessors: processors,
  });
  started.register();
  provider = started;
  return {
    async stop() {
      await started.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      provider = undefined;
    },
  };
}

export interface SpanOptions {
  correlationId: string;
  /** The span it hangs from; default the event's root span. */
  parentSpanId?: string;
  /** This span is the event's root (ingest): it takes the derived ids. */
  root?: boolean;
  /** Derived span id for a span others hang from (a run). */
  spanId?: string;
  attributes?: Attributes;
  startTime?: number;
}

function parentContext(options: SpanOptions): Context {
  if (options.root) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceIdOf(options.correlationId),
    spanId: options.parentSpanId ?? rootSpanIdOf(options.correlationId),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** Runs fn inside a span (active for everything it awaits), recording an error that escapes it. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: () => Promise<T>): Promise<T> {
  if (!provider) return fn();
  const ids = options.root
    ? { traceId: traceIdOf(options.correlationId), spanId: rootSpanIdOf(options.correlationId) }
    : { spanId: options.spanId };
  const span = forcedIds.run(ids, () =>
    trace
      .getTracer('snowline')
      .startSpan(name, { attributes: options.attributes, startTime: options.startTime }, parentContext(options)),
  );
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** A span of work already done (a run, from its start to its end). */
export function recordSpan(name: string, options: SpanOptions & { endTime: number; failed?: boolean }): void {
  if (!provider) return;
  const span = forcedIds.run({ spanId: options.spanId }, () =>
    trace
      .getTracer('snowline')
      .startSpan(name, { attributes: options.attributes, startTime: options.startTime }, parentContext(options)),
  );
  if (options.failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(options.endTime);
}

/** `traceparent` (and `tracestate`) of the current span, for an outbound request; {} when none. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The trace id of the current span, if one is recording. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

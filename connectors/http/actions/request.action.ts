import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import { applyBodyTypes } from '../body-types';
import type { EndpointClient } from '../client';
import { CONNECTOR, invalidParams } from '../errors';
import { parseResponsePath, readResponsePath } from '../response-path';
import { requestParamsSchema, requestResultSchema, type RequestParams, type RequestResult } from '../schemas';

/**
 * `http.request`: one REST call to a configured endpoint. Success is the status list (default
 * 2xx) plus an optional `check` on the body; `result` maps body paths into the step result.
 * The step's idempotency key travels in the endpoint's idempotency header.
 */
export const requestAction: ActionSpec<RequestParams, RequestResult> = {
  name: 'request',
  risk: 'medium',
  description: 'Call a REST API on a configured endpoint and map the response into the step result',
  params: requestParamsSchema,
  result: requestResultSchema,
};

export function parseRequestParams(
  input: unknown,
  endpoints: ReadonlyMap<string, EndpointClient>,
): { params: RequestParams; endpoint: EndpointClient } {
  const parsed = requestParamsSchema.safeParse(input);
  if (!parsed.success)
    throw invalidParams(
      requestAction.name,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`),
    );
  const params = parsed.data;
  const problems: string[] = [];
  const endpoint = endpoints.get(params.endpoint);
  if (!endpoint)
    problems.push(
      `endpoint: ${JSON.stringify(params.endpoint)} is not configured (known: ${[...endpoints.keys()].join(', ') || 'none'})`,
    );
  for (const [field, expr] of Object.entries({
    ...(params.result ?? {}),
    ...(params.success?.check ? { 'success.check.path': params.success.check.path } : {}),
  })) {
    try {
      parseResponsePath(expr);
    } catch (err) {
      problems.push(`${field.startsWith('success.') ? field : `result.${field}`}: ${(err as Error).message}`);
    }
  }
  if (params.body_types) {
    if (params.body === undefined) problems.push('body_types: there is no body');
    else {
      const typed = applyBodyTypes(params.body, params.body_types);
      problems.push(...typed.problems);
      params.body = typed.body;
    }
  }
  if (problems.length > 0) throw invalidParams(requestAction.name, problems);
  return { params, endpoint: endpoint! };
}

export function createRequestHandler(
  endpoints: ReadonlyMap<string, EndpointClient>,
): ActionHandler<RequestParams, RequestResult> {
  return {
    async start(input, ctx: ActionContext) {
      const { params, endpoint } = parseRequestParams(input, endpoints);
      const hasBody = params.body !== undefined;
      const res = await endpoint.sendExpecting(
        {
          method: params.method,
          path: params.path,
          query: params.query,
          headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...(params.headers ?? {}) },
          body: hasBody ? JSON.stringify(params.body) : undefined,
          idempotencyKey: ctx.idempotencyKey,
          signal: ctx.signal,
        },
        params.success?.status,
      );
      const check = params.success?.check;
      if (check) {
        const actual = readResponsePath(res.body, check.path);
        if (actual !== check.equals) {
          throw new ConnectorError(
            CONNECTOR,
            'permanent',
            'check_failed',
            `${params.method} ${params.path} answered ${res.status} but ${check.path} is ${JSON.stringify(actual)}, not ${JSON.stringify(check.equals)}`,
            {
              details: { status: res.status, path: check.path },
            },
          );
        }
      }
      const fields: Record<string, unknown> = {};
      for (const [name, expr] of Object.entries(params.result ?? {}))
        fields[name] = readResponsePath(res.body, expr) ?? null;
      ctx.logger.info('http: request done', {
        endpoint: params.endpoint,
        method: params.method,
        path: params.path,
        status: res.status,
      });
      return {
        status: 'done',
        result: params.result ? { status: res.status, fields } : { status: res.status, fields, body: res.body },
      };
    },
  };
}

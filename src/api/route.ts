import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors';
import type { Identity } from '../security/jwt';
import type { Permission } from '../security/roles';
import { requires } from './auth.middleware';

/**
 * One API route: its permission is part of its definition, so no route can exist without one, and
 * the same table produces the OpenAPI document.
 */
export interface RouteDefinition {
  method: 'get' | 'post';
  /** Express path, e.g. `/runs/:id`. */
  path: string;
  permission: Permission;
  summary: string;
  query?: z.ZodObject;
  /** JSON request body, validated before `handle` runs. */
  body?: z.ZodObject;
  response: z.ZodType;
  handle(req: Request, input: { query: Record<string, unknown>; body: Record<string, unknown> }): Promise<unknown>;
}

/** A response that is not JSON (a report as Markdown or CSV): a route's handle returns one to send text. */
export class TextBody {
  constructor(
    readonly contentType: string,
    readonly text: string,
  ) {}
}

export function mountRoutes(
  routes: readonly RouteDefinition[],
  onUse?: (identity: Identity, permission: Permission) => void,
): Router {
  const router = Router();
  for (const route of routes) {
    router[route.method](route.path, requires(route.permission, onUse), async (req: Request, res: Response, next) => {
      try {
        const query = route.query ? parseInput('query', route.query, req.query) : {};
        const body = route.body ? parseInput('body', route.body, req.body ?? {}) : {};
        const result = await route.handle(req, { query, body });
        if (result instanceof TextBody) res.type(result.contentType).send(result.text);
        else res.json(result);
      } catch (err) {
        next(err);
      }
    });
  }
  return router;
}

function parseInput(where: 'query' | 'body', schema: z.ZodObject, input: unknown): Record<string, unknown> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  throw new ValidationError(
    where,
    parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

/** OpenAPI 3.1 from the route table: paths, parameters, permissions and response schemas. */
export function openApiDocument(
  routes: readonly RouteDefinition[],
  basePath: string,
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const openApiPath = basePath + route.path.replace(/:([a-zA-Z]+)/g, '{$1}');
    const pathParams = [...route.path.matchAll(/:([a-zA-Z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryParams = route.query
      ? Object.entries(route.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        }))
      : [];
    (paths[openApiPath] ??= {})[route.method] = {
      summary: route.summary,
      'x-permission': route.permission,
      security: [{ bearer: [] }],
      parameters: [...pathParams, ...queryParams],
      ...(route.body
        ? {
            requestBody: {
              required: false,
              content: {
                'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) },
              },
            },
          }
        : {}),
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: z.toJSONSchema(route.response, { unrepresentable: 'any' }) } },
        },
        '401': { description: 'missing or invalid token' },
        '403': { description: `the caller lacks ${route.permission}` },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Snowline API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}

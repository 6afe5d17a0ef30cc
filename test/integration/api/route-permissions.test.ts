import request from 'supertest';
import { API_BASE } from '../../../src/api/http-app';
import { createRateLimits } from '../../../src/api/rate-limits';
import type { RouteDefinition } from '../../../src/api/route';
import { silentLogger } from '../../../src/observability/logger';
import { PERMISSIONS, ROLES, type Role } from '../../../src/security/roles';
import { issueToken } from '../../../src/security/jwt';
import { apiHarness, jwtOptions, tokenFor } from './api-harness';

/**
 * The access policy as the issue states it, written out independently of roles.ts so that a change
 * to the role table that widens or narrows a right fails here.
 */
const POLICY: Record<string, readonly Role[]> = {
  'GET /runs': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /runs/:id': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /runs/:id/timeline': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /overview': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /servicenow/budget': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /live/tickets': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /session': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /runs/:id/retry': ['operator', 'admin'],
  'POST /runs/:id/cancel': ['operator', 'admin'],
  'POST /runs/:id/pause': ['operator', 'admin'],
  'POST /runs/:id/resume': ['operator', 'admin'],
  'POST /runs/:id/steps/:step/skip': ['operator', 'admin'],
  'POST /runs/:id/steps/:step/retry': ['operator', 'admin'],
  'POST /runs/:id/approve': ['approver', 'admin'],
  'POST /runs/:id/reject': ['approver', 'admin'],
  'GET /events': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /events/:id/replay': ['operator', 'admin'],
  'GET /audit': ['auditor', 'admin'],
  'GET /rules': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /rules/versions': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /rules/dry-run': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /rules/:id/trigger': ['operator', 'admin'],
  'GET /rules/:id': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /rules/:id/bpmn': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /rules/:id/versions': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /rules/dry-run/ticket': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /rules/reload': ['editor', 'admin'],
  'POST /rules/proposals': ['editor', 'admin'],
  'GET /rules/proposals': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'GET /rules/proposals/:id': ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'],
  'POST /rules/proposals/:id/approve': ['approver', 'admin'],
  'POST /rules/proposals/:id/reject': ['approver', 'admin'],
  // Continuous-improvement reports: aggregates of runs, readable by everyone who reads runs.
  ...Object.fromEntries(
    ['value', 'portfolio', 'failures', 'slas', 'adoption'].map((kind) => [
      `GET /reports/${kind}`,
      ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'] as const,
    ]),
  ),
};

const key = (r: RouteDefinition) => `${r.method.toUpperCase()} ${r.path}`;
const urlOf = (r: RouteDefinition) => API_BASE + r.path.replace(/:[a-zA-Z]+/g, 'no-such-id');
const call = (app: Parameters<typeof request>[0], r: RouteDefinition) =>
  r.method === 'get' ? request(app).get(urlOf(r)) : request(app).post(urlOf(r));

describe('the API route table', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  beforeAll(async () => {
    // Every role is refused many routes from one address: the refused-request limit is not under test here.
    const rateLimits = createRateLimits(
      { perIdentityPerMinute: 10_000, refusedPerAddressPerMinute: 10_000, webhookPerAddressPerMinute: 0 },
      silentLogger(),
    );
    h = await apiHarness({ rateLimits });
  });
  afterAll(() => h.close());

  it('gives every route a known permission, and the policy covers every route', () => {
    expect(h.routes.length).toBeGreaterThan(0);
    for (const route of h.routes) {
      expect(PERMISSIONS).toContain(route.permission);
      expect(Object.keys(POLICY)).toContain(key(route));
    }
  });

  it('documents the permission of every route in the OpenAPI document', async () => {
    const doc = (await request(h.app).get(`${API_BASE}/openapi.json`)).body;
    for (const route of h.routes) {
      const op = doc.paths[API_BASE + route.path.replace(/:([a-zA-Z]+)/g, '{$1}')][route.method];
      expect(op['x-permission']).toBe(route.permission);
    }
  });

  it('refuses every route without a token (401) and with a token holding no role (403)', async () => {
    for (const route of h.routes) {
      expect({ route: key(route), status: (await call(h.app, route)).status }).toEqual({
        route: key(route),
        status: 401,
      });
      const res = await call(h.app, route).set('Authorization', `Bearer ${tokenFor('nobody', [])}`);
      expect({ route: key(route), status: res.status, code: res.body.error?.code }).toEqual({
        route: key(route),
        status: 403,
        code: 'auth.forbidden',
      });
    }
  });

  it('refuses a forged, an expired and a malformed token with 401', async () => {
    const route = h.routes[0]!;
    const forged = (await import('jsonwebtoken')).default.sign(
      { sub: 'x', roles: ['admin'] },
      'another-secret-another-secret-00',
      { issuer: 'snowline', audience: 'snowline-api' },
    );
    const expired = issueToken(jwtOptions, 'x', ['admin'], -120);
    for (const bad of [forged, expired, 'not.a.jwt', 'x']) {
      expect((await call(h.app, route).set('Authorization', `Bearer ${bad}`)).status).toBe(401);
    }
  });

  it.each(ROLES)('lets %s through exactly the routes the policy grants it', async (role) => {
    const token = tokenFor(`someone-${role}`, [role]);
    for (const route of h.routes) {
      const res = await call(h.app, route).set('Authorization', `Bearer ${token}`);
      const allowed = POLICY[key(route)]!.includes(role);
      // Past the permission check the handler answers: data, 404 for the made-up id, 400 for the empty body.
      if (allowed)
        expect({ route: key(route), passed: ![401, 403].includes(res.status) }).toEqual({
          route: key(route),
          passed: true,
        });
      else expect({ route: key(route), status: res.status }).toEqual({ route: key(route), status: 403 });
    }
  });
});

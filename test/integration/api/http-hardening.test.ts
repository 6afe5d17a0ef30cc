import request from 'supertest';
import { z } from 'zod';
import { API_BASE } from '../../../src/api/http-app';
import type { RouteDefinition } from '../../../src/api/route';
import { apiHarness, tokenFor } from './api-harness';

/** A handler that fails the way a bug would: an unexpected error whose message holds internals. */
const exploding: RouteDefinition = {
  method: 'get',
  path: '/explode',
  permission: 'runs:read',
  summary: 'test only',
  response: z.unknown(),
  handle: async () => {
    throw new TypeError('cannot read properties of undefined (reading "dbPassword") at /srv/snowline/src/x.ts:12');
  },
};
const echo: RouteDefinition = {
  method: 'post',
  path: '/echo',
  permission: 'runs:read',
  summary: 'test only',
  response: z.unknown(),
  handle: async (req) => ({ received: typeof req.body }),
};

describe('HTTP hardening', () => {
  const viewer = `Bearer ${tokenFor('viewer-1', ['viewer'])}`;

  it('sends helmet security headers and no x-powered-by', async () => {
    const h = await apiHarness();
    try {
      const res = await request(h.app).get(`${API_BASE}/runs`).set('Authorization', viewer);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('keeps CORS closed by default and opens it only to configured origins', async () => {
    const closed = await apiHarness();
    const open = await apiHarness({ corsOrigins: ['https://console.example'] });
    try {
      const preflight = (app: typeof closed.app, origin: string) =>
        request(app)
          .options(`${API_BASE}/runs`)
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'GET')
          .set('Access-Control-Request-Headers', 'authorization');
      expect(
        (await preflight(closed.app, 'https://console.example')).headers['access-control-allow-origin'],
      ).toBeUndefined();
      expect((await preflight(open.app, 'https://console.example')).headers['access-control-allow-origin']).toBe(
        'https://console.example',
      );
      expect(
        (await preflight(open.app, 'https://evil.example')).headers['access-control-allow-origin'],
      ).toBeUndefined();
    } finally {
      await closed.close();
      await open.close();
    }
  });

  it('rate-limits per identity: one noisy caller gets 429, another caller is unaffected', async () => {
    const h = await apiHarness({ rateLimitPerMinute: 3 });
    try {
      const noisy = `Bearer ${tokenFor('noisy-script', ['viewer'])}`;
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await request(h.app).get(`${API_BASE}/runs`).set('Authorization', noisy)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await request(h.app).get(`${API_BASE}/runs`).set('Authorization', noisy);
      expect(limited.body.error.code).toBe('request.rate_limited');
      expect((await request(h.app).get(`${API_BASE}/runs`).set('Authorization', viewer)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('answers an oversized body with 413 and malformed JSON with 400', async () => {
    const h = await apiHarness({ extraRoutes: [echo] });
    try {
      const big = await request(h.app)
        .post(`${API_BASE}/echo`)
        .set('Authorization', viewer)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ x: 'a'.repeat(5000) }));
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('request.too_large');
      const bad = await request(h.app)
        .post(`${API_BASE}/echo`)
        .set('Authorization', viewer)
        .set('Content-Type', 'application/json')
        .send('{"x":');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('request.malformed_json');
    } finally {
      await h.close();
    }
  });

  it('never sends a stack trace or an internal error message', async () => {
    const h = await apiHarness({ extraRoutes: [exploding] });
    try {
      const res = await request(h.app).get(`${API_BASE}/explode`).set('Authorization', viewer);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
      expect(res.text).not.toMatch(/dbPassword|\/srv\/|\.ts:|at /);
    } finally {
      await h.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * Small HTTP servers speaking the provider APIs privileged steps use, for tests: a Vault
 * (dynamic database credentials under leases, KV v2, lease revocation) and a CyberArk-style PVWA
 * (logon, password retrieve = checkout, check-in, logoff). They keep what was issued and given back.
 */
export async function startVault(token: string) {
  const leases = new Map<string, { password: string; revoked: boolean }>();
  const state = { down: false, reads: 0 };
  const app = express();
  app.use(express.json());
  app.use((req, res, next) => {
    if (state.down) return void res.status(503).json({ errors: ['Vault is sealed'] });
    if (req.get('X-Vault-Token') !== token) return void res.status(403).json({ errors: ['permission denied'] });
    next();
  });
  app.get('/v1/database/creds/:role', (req, res) => {
    state.reads++;
    const leaseId = `database/creds/${req.params.role}/${randomBytes(6).toString('hex')}`;
    const password = `A1a-${randomBytes(9).toString('base64url')}`;
    leases.set(leaseId, { password, revoked: false });
    res.json({
      request_id: 'r',
      lease_id: leaseId,
      renewable: true,
      lease_duration: 600,
      data: { username: `v-snowline-${req.params.role}`, password },
      warnings: null,
    });
  });
  app.get('/v1/secret/data/:name', (req, res) => {
    state.reads++;
    res.json({
      lease_id: '',
      lease_duration: 0,
      renewable: false,
      data: { data: { password: `kv-${req.params.name}-pw` }, metadata: { version: 3 } },
    });
  });
  app.put('/v1/sys/leases/revoke', (req, res) => {
    const lease = leases.get(String(req.body?.lease_id));
    if (!lease) return void res.status(400).json({ errors: ['invalid lease ID'] });
    lease.revoked = true;
    res.status(204).end();
  });
  return { ...(await listen(app)), leases, state };
}

export async function startPam(user: { username: string; password: string }, accounts: Record<string, string>) {
  const sessions = new Set<string>();
  const checkedOut = new Map<string, string>();
  const log: string[] = [];
  const app = express();
  app.use(express.json());
  app.post('/PasswordVault/API/auth/CyberArk/Logon', (req, res) => {
    if (req.body?.username !== user.username || req.body?.password !== user.password)
      return void res.status(403).json({ ErrorCode: 'ITATS004E', ErrorMessage: 'Authentication failure' });
    const session = randomBytes(12).toString('hex');
    sessions.add(session);
    res.json(session);
  });
  app.use('/PasswordVault/API', (req, res, next) =>
    sessions.has(req.get('Authorization') ?? '') ? next() : void res.status(401).json({ ErrorCode: 'PASWS006E' }),
  );
  app.post('/PasswordVault/API/Accounts/:id/Password/Retrieve', (req, res) => {
    const password = accounts[req.params.id];
    if (password === undefined) return void res.status(404).json({ ErrorCode: 'PASWS165E' });
    if (checkedOut.has(req.params.id))
      return void res.status(409).json({ ErrorCode: 'ITATS543E', ErrorMessage: 'account is already checked out' });
    checkedOut.set(req.params.id, String(req.body?.reason));
    log.push(`checkout ${req.params.id} ticket=${req.body?.TicketId}`);
    res.json(password);
  });
  app.post('/PasswordVault/API/Accounts/:id/CheckIn', (req, res) => {
    checkedOut.delete(req.params.id);
    log.push(`checkin ${req.params.id}`);
    res.status(200).end();
  });
  app.post('/PasswordVault/API/auth/Logoff', (req, res) => {
    sessions.delete(req.get('Authorization') ?? '');
    res.status(200).end();
  });
  return { ...(await listen(app)), checkedOut, log, sessions };
}

async function listen(app: express.Express) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

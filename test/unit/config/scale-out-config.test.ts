import { loadConfig } from '../../../src/config';
import { configProblems } from '../../helpers/config-problems';

const file = 'config/default.yaml';

const problems = (env: NodeJS.ProcessEnv) => configProblems(env, file);

describe('scale-out settings', () => {
  it('need nothing by default: no Redis, no global run limit, the default schema', () => {
    const config = loadConfig({ file, env: {} });
    expect(config.redis.url).toBeUndefined();
    expect(config.engine.maxActiveRuns).toBeUndefined();
    expect(config.store.postgresSchema).toBeUndefined();
    expect(config.engine.leaderCheckMs).toBe(5000);
  });

  it('read Redis and the PostgreSQL schema from the environment', () => {
    const config = loadConfig({
      file,
      env: { SNOWLINE_REDIS_URL: 'redis://cache:6379/2', SNOWLINE_DB_SCHEMA: 'snowline_prod' },
    });
    expect(config.redis.url).toBe('redis://cache:6379/2');
    expect(config.store.postgresSchema).toBe('snowline_prod');
  });

  it('stop start-up naming the field when a value is unusable', () => {
    expect(problems({ SNOWLINE_REDIS_URL: 'http://cache:6379' })).toEqual([
      'redis.url: expected a redis:// or rediss:// URL, got (a secret, not shown)',
    ]);
    expect(problems({ SNOWLINE_DB_SCHEMA: 'Prod; drop' })).toEqual([
      'store.postgresSchema: expected a lower-case SQL identifier, got "Prod; drop"',
    ]);
  });
});

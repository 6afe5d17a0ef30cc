import { createEndpointLimiters, effectiveLimit } from '../../../connectors/endpoint-limits';
import { httpConnector } from '../../../connectors/http';
import { connectorSet } from '../../../src/engine/connector-set';
import { connectorSlots } from '../../../src/engine/connector-slots';
import { HourlyLimitError } from '../../../src/errors';

describe('connector limits', () => {
  it('take the config’s values over the connector’s declared defaults, field by field', () => {
    expect(effectiveLimit(httpConnector.defaults)).toEqual({ maxConcurrent: 8, requestsPerHour: undefined });
    expect(effectiveLimit(httpConnector.defaults, { maxConcurrent: 2 })).toEqual({
      maxConcurrent: 2,
      requestsPerHour: undefined,
    });
    const set = connectorSet(
      { http: { descriptor: httpConnector, runtime: { actions: {}, health: async () => ({ ok: true }) } } },
      { http: { requestsPerHour: 100 } },
    );
    expect(set.limit('http')).toEqual({ maxConcurrent: 8, requestsPerHour: 100 });
    expect(set.limit('unknown')).toBeUndefined();
  });

  it('refuse a request past the hourly budget at once, sending nothing, and name the next slot', async () => {
    const limiters = createEndpointLimiters('http', { maxConcurrent: 4, requestsPerHour: 2 });
    const endpoint = limiters.forEndpoint('api.example.com');
    let sent = 0;
    const send = async () => void (sent += 1);
    await Promise.all([endpoint.schedule(send), endpoint.schedule(send)]);
    const refused = await endpoint.schedule(send).catch((err: unknown) => err);
    expect(sent).toBe(2);
    expect(refused).toBeInstanceOf(HourlyLimitError);
    const limit = refused as HourlyLimitError;
    expect(limit.message).toMatch(/^connector http: hourly limit of 2 reached for api\.example\.com, next slot at /);
    expect(limit.nextSlotAt).toBeGreaterThan(Date.now() + 59 * 60_000);
    // Another endpoint has its own budget.
    await limiters.forEndpoint('other.example.com').schedule(send);
    expect(sent).toBe(3);
  });

  it('hold a connector’s steps in flight on one instance to its free slots', () => {
    const slots = connectorSlots(['http', 'fake'], (name) => (name === 'http' ? 2 : undefined));
    const first = slots.take('http');
    slots.take('http');
    slots.take('fake');
    expect(slots.free()).toEqual({ http: 0 });
    first();
    first();
    expect(slots.free()).toEqual({ http: 1 });
  });
});

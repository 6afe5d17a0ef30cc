import { identityValue, queryValue } from '../../../connectors/servicenow/schemas';
import { resolveDotWalks } from '../../../src/engine/dot-walk';
import { serviceNowLookups, type TicketLookups } from '../../../src/engine/ticket-lookups';
import type { ServiceNowClient } from '../../../connectors/servicenow/client';
import { hostileStrings } from '../../helpers/hostile-corpus';

/** Values a caller puts into a lookup are checked before the lookup, once, and refused for good. */
describe('identity and reference values', () => {
  it.each(['javascript:gs.getUserName()', '  JAVASCRIPT :gs.getUserID()', 'x^NQactive=true', 'a\nb'])(
    'queryValue refuses %j (permanent servicenow.bad_query_value)',
    (value) => {
      expect(() => queryValue(value)).toThrow(
        expect.objectContaining({ code: 'servicenow.bad_query_value', retryable: false }),
      );
    },
  );

  it('accepts a sys_id or a plain user_name, and nothing else', () => {
    expect(identityValue('6816f79cc0a8016401c5a33be04be441', 'user')).toEqual({
      kind: 'sys_id',
      value: '6816f79cc0a8016401c5a33be04be441',
    });
    expect(identityValue('beth.anglin', 'user')).toEqual({ kind: 'user_name', value: 'beth.anglin' });
    expect(identityValue("DOMAIN\\o'brien", 'user')).toMatchObject({ kind: 'user_name' });
    for (const bad of ['javascript:gs.getUserName()', 'beth^ORuser_nameISNOTEMPTY', 'a,b', 'beth*', '', ' x'])
      expect(() => identityValue(bad, 'requested_by')).toThrow(
        expect.objectContaining({
          code: 'servicenow.bad_identity',
          retryable: false,
          message: expect.stringMatching(/^requested_by: /),
        }),
      );
  });

  function recordingClient() {
    const queries: string[] = [];
    const client = {
      query: async (_table: string, options: { query: string }) => {
        queries.push(options.query);
        return { rows: [{ group: 'Linux Ops' }] };
      },
    } as unknown as ServiceNowClient;
    return { client, queries };
  }

  it('looks up groups by sys_id or exact user_name, and refuses a script without asking the instance', async () => {
    const { client, queries } = recordingClient();
    const lookups = serviceNowLookups(client, { groupCacheMs: 0 });
    await expect(lookups.groupsOf('beth.anglin')).resolves.toEqual(['Linux Ops']);
    await expect(lookups.groupsOf('6816f79cc0a8016401c5a33be04be441')).resolves.toEqual(['Linux Ops']);
    await expect(lookups.groupsOf('javascript:gs.getUserName()')).rejects.toMatchObject({
      code: 'servicenow.bad_identity',
      retryable: false,
    });
    expect(queries).toEqual(['user.user_name=beth.anglin', 'user=6816f79cc0a8016401c5a33be04be441']);
  });

  it('refuses every hostile caller_id once with a permanent ticket.bad_reference, never reading it', async () => {
    const reads: string[] = [];
    const lookups = {
      readRecord: async (_table: string, sysId: string) => {
        reads.push(sysId);
        return { vip: 'false' };
      },
    } as unknown as TicketLookups;
    const hostile = hostileStrings('/nonexistent/sentinel')
      .map((h) => h.value)
      .filter((v) => v !== '' && !/^[0-9a-f]{32}$/.test(v));
    expect(hostile.length).toBeGreaterThan(50);
    for (const callerId of hostile) {
      await expect(
        resolveDotWalks('incident', { caller_id: callerId }, ['caller_id.vip'], lookups),
      ).rejects.toMatchObject({
        code: 'ticket.bad_reference',
        retryable: false,
        message: expect.stringMatching(/^caller_id: expected a sys_id of sys_user/),
      });
    }
    expect(reads).toEqual([]);
    await expect(
      resolveDotWalks('incident', { caller_id: '6816f79cc0a8016401c5a33be04be441' }, ['caller_id.vip'], lookups),
    ).resolves.toMatchObject({ 'caller_id.vip': 'false' });
  });
});

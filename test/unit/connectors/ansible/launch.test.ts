import { jobExtraVars, launchProblems } from '../../../../connectors/ansible/client';
import { idempotencyKeyOf, idempotencyLabel, snowlineExtraVars } from '../../../../connectors/ansible/idempotency';
import { launchPromptsSchema } from '../../../../connectors/ansible/schemas';
import open from '../../../fixtures/awx/launch-prompts-open.json';
import noLimit from '../../../fixtures/awx/launch-prompts-no-limit.json';
import survey from '../../../fixtures/awx/launch-prompts-survey.json';

const prompts = (raw: unknown) => launchPromptsSchema.parse(raw);

describe('launch prompt refusal', () => {
  it('accepts fields the template prompts for', () => {
    expect(launchProblems(prompts(open), { extra_vars: { a: 1 }, limit: 'web01' })).toEqual([]);
  });

  it('refuses a limit when ask_limit_on_launch is off, naming the prompt to enable', () => {
    const problems = launchProblems(prompts(noLimit), { extra_vars: { a: 1 }, limit: 'web01' });
    expect(problems).toEqual([
      expect.objectContaining({ code: 'prompt_disabled', field: 'limit', prompt: 'ask_limit_on_launch' }),
    ]);
    expect(problems[0]!.message).toContain('ask_limit_on_launch');
  });

  it('refuses inventory, credentials and labels the template would drop', () => {
    const fields = launchProblems(prompts(open), { inventory: 3, credentials: [4], labels: [9] }).map((p) => p.prompt);
    expect(fields).toEqual(['ask_inventory_on_launch', 'ask_credential_on_launch', 'ask_labels_on_launch']);
  });

  it('with a survey and no ask_variables_on_launch only survey variables pass', () => {
    const p = prompts(survey);
    expect(launchProblems(p, { extra_vars: { service_name: 'nginx' } }, ['service_name'])).toEqual([]);
    const problems = launchProblems(p, { extra_vars: { service_name: 'nginx', snowline: {} } }, ['service_name']);
    expect(problems).toEqual([expect.objectContaining({ prompt: 'ask_variables_on_launch' })]);
    expect(problems[0]!.message).toContain('snowline');
    // without knowing the survey, any extra_vars are refused
    expect(launchProblems(p, { extra_vars: { service_name: 'nginx' } })[0]?.prompt).toBe('ask_variables_on_launch');
  });

  it('reports what the template needs to start', () => {
    expect(launchProblems(prompts(survey), {}, ['service_name']).map((p) => p.code)).toEqual(['variables_needed']);
    expect(
      launchProblems(prompts({ ...open, passwords_needed_to_start: ['ssh_password'] }), {}).map((p) => p.code),
    ).toEqual(['passwords_needed']);
    expect(launchProblems(prompts({ ...open, inventory_needed_to_start: true }), {}).map((p) => p.code)).toEqual([
      'inventory_needed',
    ]);
  });
});

describe('extra_vars Snowline adds', () => {
  const ctx = {
    idempotencyKey: 'run-1:restart',
    runId: 'run-1',
    stepName: 'restart',
    ticket: { table: 'incident', sysId: '9d385017c611228701d22104cc95c371', number: 'INC0000003' },
  };

  it('namespaces the idempotency key and ticket, and mirrors Event-Driven Ansible', () => {
    const vars = snowlineExtraVars({ service_name: 'nginx' }, ctx, new Date('2025-03-04T10:12:00Z'));
    const ticket = { table: 'incident', sys_id: ctx.ticket.sysId, number: 'INC0000003' };
    expect(vars).toEqual({
      service_name: 'nginx',
      snowline: { idempotency_key: 'run-1:restart', run_id: 'run-1', step: 'restart', ticket },
      ansible_eda: {
        ruleset: 'snowline',
        rule: 'restart',
        event: {
          ...ticket,
          meta: {
            source: { name: 'snowline', type: 'servicenow' },
            received_at: '2025-03-04T10:12:00.000Z',
            uuid: 'run-1:restart',
          },
        },
      },
    });
  });

  it('reads the key back from a job, whether extra_vars came as JSON, YAML or an object', () => {
    const vars = snowlineExtraVars(undefined, ctx, new Date());
    expect(idempotencyKeyOf({ extra_vars: JSON.stringify(vars) })).toBe('run-1:restart');
    expect(idempotencyKeyOf({ extra_vars: 'snowline:\n  idempotency_key: run-1:restart\n' })).toBe('run-1:restart');
    expect(idempotencyKeyOf({ extra_vars: vars })).toBe('run-1:restart');
    expect(idempotencyKeyOf({ extra_vars: '{}' })).toBeUndefined();
    expect(idempotencyKeyOf({ extra_vars: '---' })).toBeUndefined();
    expect(jobExtraVars({ extra_vars: '[1,2]' })).toBeUndefined();
  });

  it('the idempotency label fits AWX label names (512 characters): a long key becomes its hash', () => {
    expect(idempotencyLabel('run-1:restart')).toBe('snowline:run-1:restart');
    const long = idempotencyLabel(`run-1:${'x'.repeat(600)}`);
    expect(long).toMatch(/^snowline:sha256:[0-9a-f]{64}$/);
    expect(idempotencyLabel(`run-1:${'x'.repeat(600)}`)).toBe(long);
    expect(idempotencyLabel(`run-2:${'x'.repeat(600)}`)).not.toBe(long);
  });
});

import { connectors } from '../../../connectors/registry';
import { stepSchema } from '../../../src/rules/mapping.schema';

describe('connector registry', () => {
  it('holds every connector descriptor under its own name', () => {
    expect(Object.keys(connectors).sort()).toEqual([
      'ansible',
      'ansible_local',
      'cmdb',
      'http',
      'notify',
      'servicenow',
    ]);
    for (const [name, descriptor] of Object.entries(connectors)) expect(descriptor.name).toBe(name);
  });

  it('every action can be named by a mapping step (`use: <connector>.<action>`) and has zod schemas', () => {
    for (const [name, descriptor] of Object.entries(connectors)) {
      for (const [actionName, spec] of Object.entries(descriptor.actions)) {
        expect(spec.name).toBe(actionName);
        expect(stepSchema.safeParse({ name: 'step', use: `${name}.${actionName}` }).success).toBe(true);
        expect(typeof spec.params.safeParse).toBe('function');
        expect(typeof spec.result.safeParse).toBe('function');
      }
    }
    expect(Object.keys(connectors.servicenow!.actions).sort()).toEqual([
      'add_work_note',
      'attach_file',
      'create_change_task',
      'create_incident',
      'create_or_link_problem',
      'update_record',
    ]);
    expect(Object.keys(connectors.ansible!.actions)).toEqual(['launch_job_template', 'launch_workflow_job_template']);
  });

  it('declares resilience defaults', () => {
    expect(connectors.servicenow!.defaults).toEqual({
      maxConcurrent: 4,
      requestsPerHour: undefined,
      retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30000 },
      breaker: { failureThreshold: 5, resetAfterMs: 30000 },
    });
    expect(connectors.ansible!.acceptsIdempotencyKeys).toBe(false);
  });
});

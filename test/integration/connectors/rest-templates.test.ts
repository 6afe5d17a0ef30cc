import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ActionContext, ConnectorRuntime } from '../../../connectors/connector';
import { httpConnector } from '../../../connectors/http';
import { silentLogger } from '../../../src/observability/logger';
import type { TemplateValue } from '../../../src/rules/mapping.schema';
import { renderValue } from '../../../src/rules/template';
import { startStub, type Stub } from './stub-server';

/**
 * The shipped REST templates (mappings/templates), rendered as the engine renders them and sent
 * through the http connector to a stub: the exact request each makes.
 */
interface Template {
  params: Record<string, { default?: string }>;
  steps: Array<{ use: string; with: TemplateValue }>;
}

const ctx: ActionContext = {
  idempotencyKey: 'run-1:step',
  runId: 'run-1',
  stepName: 'step',
  ticket: { table: 'incident', sysId: '9d385017c611228701d22104cc95c371', number: 'INC0000003' },
  logger: silentLogger(),
  signal: new AbortController().signal,
};

/** The template's first step with its params rendered (defaults applied), and the action it uses. */
function rendered(name: string, params: Record<string, string>): { action: string; with: Record<string, unknown> } {
  const template = parse(readFileSync(`mappings/templates/${name}.yaml`, 'utf8')) as Template;
  const defaults = Object.fromEntries(
    Object.entries(template.params).flatMap(([k, p]) => (p.default === undefined ? [] : [[k, p.default]])),
  );
  const step = template.steps[0]!;
  return {
    action: step.use.split('.')[1]!,
    with: renderValue(step.with, { params: { ...defaults, ...params } }) as Record<string, unknown>,
  };
}

let stub: Stub;
let runtime: ConnectorRuntime;
beforeEach(async () => {
  stub = await startStub();
  runtime = httpConnector.create(
    httpConnector.config.parse({
      endpoints: {
        azure: { baseUrl: stub.url, auth: { type: 'bearer', token: 'arm-token' } },
        kubernetes: { baseUrl: `${stub.url}/k8s`, auth: { type: 'bearer', token: 'sa-token' } },
      },
    }),
    { logger: silentLogger() },
  );
});
afterEach(() => stub.close());

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const run = (step: { action: string; with: Record<string, unknown> }) =>
  runtime.actions[step.action]!.start(step.with, ctx);

describe('REST templates', () => {
  it('restart-azure-vm POSTs virtualMachines/restart with the api-version; 202 is success', async () => {
    const path = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01/restart`;
    stub.on('POST', path, { status: 202, body: '' });
    const progress = await run(
      rendered('restart-azure-vm', { subscription: SUB, resource_group: 'rg-web', vm: 'vm-web-01' }),
    );
    expect(progress).toMatchObject({ status: 'done', result: { status: 202 } });
    expect(stub.requests[0]).toMatchObject({ method: 'POST', path, query: { 'api-version': '2024-07-01' } });
    expect(stub.requests[0]!.headers.authorization).toBe('Bearer arm-token');
  });

  it('restart-azure-vm percent-encodes ticket text in the path instead of letting it add segments', async () => {
    stub.on('POST', /restart$/, { status: 202, body: '' });
    await run(rendered('restart-azure-vm', { subscription: SUB, resource_group: 'rg', vm: 'vm/../../other' }));
    expect(stub.requests[0]!.path).toContain('/virtualMachines/vm%2F..%2F..%2Fother/restart');
  });

  it('scale-kubernetes-deployment sends a merge patch with replicas as an integer, and refuses a non-number', async () => {
    const path = '/k8s/apis/apps/v1/namespaces/shop/deployments/web/scale';
    stub.on('PATCH', path, { body: { kind: 'Scale', spec: { replicas: 5 }, status: { replicas: 3 } } });
    const progress = await run(
      rendered('scale-kubernetes-deployment', { namespace: 'shop', deployment: 'web', replicas: '5' }),
    );
    expect(progress).toEqual({ status: 'done', result: { status: 200, fields: { replicas: 5 } } });
    expect(stub.requests[0]!.headers['content-type']).toBe('application/merge-patch+json');
    expect(stub.requests[0]!.json).toEqual({ spec: { replicas: 5 } });

    await expect(
      run(rendered('scale-kubernetes-deployment', { namespace: 'shop', deployment: 'web', replicas: '5; rm -rf /' })),
    ).rejects.toMatchObject({
      code: 'http.invalid_params',
      message: expect.stringContaining('body_types.spec.replicas: "5; rm -rf /" is not an integer'),
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('open-firewall-rule PUTs an inbound allow rule (priority typed, defaults applied); close-firewall-rule DELETEs it', async () => {
    const path = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-web/securityRules/allow-https-vendor`;
    stub.on('PUT', path, { status: 201, body: { id: `${path}`, properties: { provisioningState: 'Updating' } } });
    stub.on('DELETE', path, { status: 204, body: '' });
    const rule = { subscription: SUB, resource_group: 'rg-net', nsg: 'nsg-web', rule: 'allow-https-vendor' };
    const opened = await run(rendered('open-firewall-rule', { ...rule, port: '443', source: '203.0.113.0/24' }));
    expect(opened).toMatchObject({
      result: { status: 201, fields: { provisioning_state: 'Updating', rule_id: path } },
    });
    expect(stub.requests[0]!.query).toEqual({ 'api-version': '2024-05-01' });
    expect(stub.requests[0]!.json).toEqual({
      properties: {
        access: 'Allow',
        direction: 'Inbound',
        protocol: 'Tcp',
        sourceAddressPrefix: '203.0.113.0/24',
        sourcePortRange: '*',
        destinationAddressPrefix: '*',
        destinationPortRange: '443',
        priority: 300,
      },
    });

    expect(await run(rendered('close-firewall-rule', rule))).toMatchObject({ result: { status: 204 } });
    expect(stub.requests[1]).toMatchObject({ method: 'DELETE', path });
  });
});

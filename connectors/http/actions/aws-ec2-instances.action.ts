import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import type { EndpointClient } from '../client';
import { CONNECTOR, invalidParams } from '../errors';

/**
 * `http.aws_ec2_instances`: reboot, stop or start EC2 instances through the EC2 Query API
 * (`POST /` with `Action=RebootInstances&Version=2016-11-15&InstanceId.N=…`), signed with SigV4
 * by the endpoint's `aws_sigv4` auth (service `ec2`). All three operations are idempotent on
 * AWS's side, so a broken connection is retried rather than treated as ambiguous.
 */
const OPERATIONS = { reboot: 'RebootInstances', stop: 'StopInstances', start: 'StartInstances' } as const;
export const EC2_API_VERSION = '2016-11-15';

export const ec2InstancesParamsSchema = z
  .object({
    endpoint: z
      .string()
      .min(1)
      .describe('an endpoint with aws_sigv4 auth, service ec2, baseUrl https://ec2.<region>.amazonaws.com'),
    operation: z.enum(['reboot', 'stop', 'start']),
    instance_ids: z
      .array(z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id (i-…)'))
      .min(1)
      .max(50),
  })
  .strict();
export type Ec2InstancesParams = z.infer<typeof ec2InstancesParamsSchema>;

export const ec2InstancesResultSchema = z.object({
  operation: z.string(),
  request_id: z.string().nullable(),
  instances: z.array(
    z.object({ instance_id: z.string(), previous_state: z.string().nullable(), current_state: z.string().nullable() }),
  ),
});
export type Ec2InstancesResult = z.infer<typeof ec2InstancesResultSchema>;

export const ec2InstancesAction: ActionSpec<Ec2InstancesParams, Ec2InstancesResult> = {
  name: 'aws_ec2_instances',
  risk: 'low',
  description: 'Reboot, stop or start AWS EC2 instances (EC2 Query API, SigV4-signed)',
  params: ec2InstancesParamsSchema,
  result: ec2InstancesResultSchema,
};

/** The form body of the Query API call. */
export function ec2QueryBody(params: Ec2InstancesParams): string {
  const form = new URLSearchParams({ Action: OPERATIONS[params.operation], Version: EC2_API_VERSION });
  params.instance_ids.forEach((id, i) => form.set(`InstanceId.${i + 1}`, id));
  return form.toString();
}

const TRANSIENT_EC2_CODES = new Set([
  'RequestLimitExceeded',
  'Unavailable',
  'InternalError',
  'ServiceUnavailable',
  'InsufficientInstanceCapacity',
]);

function tag(xml: string, name: string): string | null {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? null;
}

/** The instance state changes in a Start/StopInstances answer (`instancesSet/item`). */
function stateChanges(xml: string): Ec2InstancesResult['instances'] {
  const items = xml.match(/<item>[\s\S]*?<\/item>\s*(?=<item>|<\/instancesSet>)/g) ?? [];
  return items.map((item) => ({
    instance_id: tag(item, 'instanceId') ?? '',
    current_state: /<currentState>[\s\S]*?<name>([^<]*)<\/name>/.exec(item)?.[1] ?? null,
    previous_state: /<previousState>[\s\S]*?<name>([^<]*)<\/name>/.exec(item)?.[1] ?? null,
  }));
}

export function createEc2InstancesHandler(
  endpoints: ReadonlyMap<string, EndpointClient>,
): ActionHandler<Ec2InstancesParams, Ec2InstancesResult> {
  return {
    async start(input, ctx: ActionContext) {
      const parsed = ec2InstancesParamsSchema.safeParse(input);
      if (!parsed.success)
        throw invalidParams(
          ec2InstancesAction.name,
          parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`),
        );
      const params = parsed.data;
      const endpoint = endpoints.get(params.endpoint);
      if (!endpoint)
        throw invalidParams(ec2InstancesAction.name, [
          `endpoint: ${JSON.stringify(params.endpoint)} is not configured`,
        ]);
      if (endpoint.config.auth.type !== 'aws_sigv4')
        throw invalidParams(ec2InstancesAction.name, [`endpoint: ${params.endpoint} does not use aws_sigv4 auth`]);
      const res = await endpoint
        .send({
          method: 'POST',
          path: '/',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: ec2QueryBody(params),
          signal: ctx.signal,
        })
        .catch((err: unknown) => {
          if (err instanceof ConnectorError && err.failure === 'ambiguous') {
            throw new ConnectorError(
              CONNECTOR,
              'transient',
              'unavailable',
              `${err.message}; EC2 ${params.operation} is idempotent, so it is repeated`,
              { cause: err },
            );
          }
          throw err;
        });
      const xml = typeof res.body === 'string' ? res.body : '';
      if (res.status !== 200) {
        const code = tag(xml, 'Code') ?? `HTTP ${res.status}`;
        const message = tag(xml, 'Message') ?? '';
        const failure = TRANSIENT_EC2_CODES.has(code) || res.status >= 500 ? 'transient' : 'permanent';
        throw new ConnectorError(
          CONNECTOR,
          failure,
          'aws_error',
          `EC2 ${OPERATIONS[params.operation]} failed: ${code} ${message}`.trim(),
          { details: { status: res.status, awsCode: code, requestId: tag(xml, 'RequestID') } },
        );
      }
      const instances =
        params.operation === 'reboot'
          ? params.instance_ids.map((id) => ({ instance_id: id, previous_state: null, current_state: null }))
          : stateChanges(xml);
      if (params.operation === 'reboot' && tag(xml, 'return') !== 'true') {
        throw new ConnectorError(CONNECTOR, 'permanent', 'aws_error', 'EC2 RebootInstances did not return true');
      }
      ctx.logger.info('http: EC2 operation done', { operation: params.operation, instances: params.instance_ids });
      return {
        status: 'done',
        result: { operation: OPERATIONS[params.operation], request_id: tag(xml, 'requestId'), instances },
      };
    },
  };
}

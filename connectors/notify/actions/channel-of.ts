import type { z } from 'zod';
import type { Channel } from '../client';
import { invalidParams } from '../errors';

/** The step's parameters, checked, and its channel, which must exist and be of the action's type. */
export function paramsAndChannel<P extends { channel: string }, C extends Channel>(
  action: string,
  schema: z.ZodType<P>,
  input: unknown,
  channels: ReadonlyMap<string, Channel>,
  isType: (channel: Channel) => channel is C,
): { params: P; channel: C } {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw invalidParams(
      action,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`),
    );
  const channel = channels.get(parsed.data.channel);
  if (!channel || !isType(channel)) {
    const fitting = [...channels.values()].filter(isType).map((c) => c.name);
    throw invalidParams(action, [
      `channel ${JSON.stringify(parsed.data.channel)} is not a configured channel for this action (configured: ${fitting.join(', ') || 'none'})`,
    ]);
  }
  return { params: parsed.data, channel };
}

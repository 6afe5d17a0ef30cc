import { z } from 'zod';
import type { EventControl } from '../engine/event-control';
import { NotFoundError } from '../errors';
import { EVENT_STATES, type InboxRepository } from '../store/inbox.repository';
import { eventViewSchema, toEventView } from './event-view';
import type { RouteDefinition } from './route';

const listQuery = z.object({
  state: z.enum(EVENT_STATES).optional().describe('only events in this state, e.g. rejected'),
  ticket: z.string().max(40).optional().describe('ticket number, e.g. INC0010001'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Event ids are positive integers; anything else names no event. */
function eventId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError('event', raw.slice(0, 40));
  return id;
}

/** Inbox events: list (viewer) and replay a rejected one (operator, audited). */
export function eventRoutes(inbox: InboxRepository, control: EventControl): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/events',
      permission: 'runs:read',
      summary: 'List inbox events, newest first, by state and ticket (rejected events wait for an operator)',
      query: listQuery,
      response: z.object({ events: z.array(eventViewSchema) }),
      handle: async (_req, { query }) => ({
        events: (await inbox.list(query as z.infer<typeof listQuery>)).map(toEventView),
      }),
    },
    {
      method: 'post',
      path: '/events/:id/replay',
      permission: 'runs:retry',
      summary: 'Replay a rejected event: the dispatcher acts on the rules that have not acted on it yet (audited)',
      response: eventViewSchema,
      handle: async (req) => toEventView(await control.replay(eventId(String(req.params.id)), req.identity!.subject)),
    },
  ];
}

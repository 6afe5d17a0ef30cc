import { ConflictError, NotFoundError } from '../errors';
import { type Repositories, type Store, inTransaction } from '../store';

/**
 * Operators' hold on inbox events: a rejected event (its rule's template fixed, the user it names
 * created) is sent back to the dispatcher, which acts on the rules that have not acted on it yet.
 * Each replay is audited with who asked.
 */
export function createEventControl(deps: {
  store: Store;
  repos: Repositories;
  onChange?: () => void;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const { store, repos } = deps;

  return {
    async replay(id: number, actor: string) {
      const event = await repos.inbox.get(id);
      if (!event) throw new NotFoundError('event', String(id));
      if (event.status !== 'rejected')
        throw new ConflictError(
          'event.not_replayable',
          `event ${id} is ${event.status}; only rejected events can be replayed`,
          { state: event.status },
        );
      const at = now();
      await inTransaction(store, async (trx) => {
        const replayed = await repos.inbox.replay(trx, id, `replayed by ${actor}; was rejected: ${event.note ?? ''}`);
        if (!replayed)
          throw new ConflictError('event.not_replayable', `event ${id} was replayed by someone else meanwhile`);
        await repos.audit.append(
          trx,
          {
            kind: 'event.replayed',
            actor,
            subject: event.number,
            detail: { event: id, key: event.event_key, reason: event.note },
          },
          at,
        );
      });
      deps.onChange?.();
      return (await repos.inbox.get(id))!;
    },
  };
}
export type EventControl = ReturnType<typeof createEventControl>;

import { sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError } from '../errors';
import { claimInIndexOrder } from './claim-plans';
import { isUniqueViolation, type StoreDialect } from './dialect';
import { ACTIVE_STEP_STATES, dueSteps, withinQuotas } from './due-steps';
import { groupedBy } from './grouped-by';
import { heldRows } from './held-rows';
import { ifReadable, jsonValueSchema, nameListSchema, parseJsonColumn, type JsonValue } from './json-column';
import type { RunRow, StepRow, Tables } from './schema';

export type Run = RunRow;
export type Step = StepRow;
export interface RunWithSteps extends Run {
  steps: Step[];
}

export interface RunFilter {
  ticket?: string;
  rule?: string;
  state?: string;
  since?: number;
  until?: number;
  limit: number;
}

export { ACTIVE_STEP_STATES };

/** A step's gates (`steps.gates`): names of the gates to pass before it starts. */
export function stepGates(step: Pick<Step, 'id' | 'gates'>): string[] {
  return parseJsonColumn(nameListSchema, { table: 'steps', column: 'gates', id: step.id }, step.gates);
}

/** A step's gates, or undefined when the column is corrupt (views of a step the worker failed for it). */
export const stepGatesIfReadable = ifReadable(stepGates);

/** A step's parameters as the rule wrote them (`steps.params`: templates, rendered per attempt). */
export function stepParams(step: Pick<Step, 'id' | 'params'>): JsonValue {
  return parseJsonColumn(jsonValueSchema, { table: 'steps', column: 'params', id: step.id }, step.params);
}

/** What a finished step left (`steps.result`); undefined when it left nothing. */
export function stepResult(step: Pick<Step, 'id' | 'result'>): JsonValue | undefined {
  if (step.result === null) return undefined;
  return parseJsonColumn(jsonValueSchema, { table: 'steps', column: 'result', id: step.id }, step.result);
}

/** Runs and their steps. Steps are claimed with leases so several workers never run one twice. */
export function runRepository(db: Kysely<Tables>, dialect: StoreDialect) {
  const heldRuns = heldRows<Run>();
  const heldSteps = heldRows<Step>();

  /** Runs this process inserted in state `queued` (committed or not): how the admission tells it has some to start. */
  let queuedInserted = 0;

  /** Inserts runs; a second run of one rule for one event is a ConflictError naming the rules and events. */
  async function insertRuns(trx: Kysely<Tables>, runs: Run[]): Promise<void> {
    queuedInserted += runs.filter((r) => r.state === 'queued').length;
    try {
      await trx.insertInto('runs').values(runs).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // PostgreSQL has ended the transaction: which run it was cannot be asked, only said of all of them.
      const rules = [...new Set(runs.map((r) => r.rule_id))];
      const events = [...new Set(runs.map((r) => r.event_key))];
      const which = rules.length === 1 ? `rule ${rules[0]}` : `one of rules ${rules.join(', ')}`;
      throw new ConflictError('run.exists', `${which} already has a run for event ${events.join(', ')}`);
    }
  }

  return {
    /** How many runs this process has inserted queued so far; a change is worth an admission round for. */
    queuedSoFar: (): number => queuedInserted,

    /**
     * Records a run and its steps; a second run of one rule for one event is a ConflictError.
     * Within `creatingAtEnd`, the rows are written when its work ends.
     */
    async create(trx: Transaction<Tables>, run: Run, steps: Step[]): Promise<void> {
      const runs = heldRuns.of(trx);
      if (runs) {
        runs.push(run);
        heldSteps.of(trx)!.push(...steps);
        return;
      }
      await insertRuns(trx, [run]);
      if (steps.length > 0) await trx.insertInto('steps').values(steps).execute();
    },

    /**
     * Runs `work` in `trx` with the runs it creates held, then inserts them and their steps
     * together (see heldRows): nothing in `work` may read them.
     */
    creatingAtEnd<T>(trx: Transaction<Tables>, work: () => Promise<T>): Promise<T> {
      return heldSteps.around(
        trx,
        () => heldRuns.around(trx, work, (runs) => insertRuns(trx, runs)),
        (steps) => trx.insertInto('steps').values(steps).execute(),
      );
    },

    async get(id: string): Promise<RunWithSteps | undefined> {
      const run = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!run) return undefined;
      return { ...run, steps: await this.stepsOf(db, id) };
    },

    /** Several runs with their steps, in two queries (the step workers read a claimed batch's runs at once). */
    async getMany(ids: readonly string[]): Promise<Map<string, RunWithSteps>> {
      const found = new Map<string, RunWithSteps>();
      if (ids.length === 0) return found;
      for (const run of await db.selectFrom('runs').selectAll().where('id', 'in', ids).execute())
        found.set(run.id, { ...run, steps: [] });
      for (const step of await db.selectFrom('steps').selectAll().where('run_id', 'in', ids).orderBy('idx').execute())
        found.get(step.run_id)?.steps.push(step);
      return found;
    },

    /** Rules that already have a run for this event (an event tried again starts none of them twice). */
    async rulesRunFor(executor: Kysely<Tables>, eventKey: string): Promise<Set<string>> {
      const rows = await executor.selectFrom('runs').select('rule_id').where('event_key', '=', eventKey).execute();
      return new Set(rows.map((r) => r.rule_id));
    },

    /** Newest first; `since` (inclusive) and `until` (exclusive) are epoch milliseconds of creation. */
    async list(filter: RunFilter): Promise<RunWithSteps[]> {
      let query = db.selectFrom('runs').selectAll().orderBy('created_at', 'desc').limit(filter.limit);
      if (filter.ticket) query = query.where('ticket_number', '=', filter.ticket);
      if (filter.rule) query = query.where('rule_id', '=', filter.rule);
      if (filter.state) query = query.where('state', '=', filter.state);
      if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
      const runs = await query.execute();
      if (runs.length === 0) return [];
      const steps = await db
        .selectFrom('steps')
        .selectAll()
        .where(
          'run_id',
          'in',
          runs.map((r) => r.id),
        )
        .orderBy('idx')
        .execute();
      return runs.map((run) => ({ ...run, steps: steps.filter((s) => s.run_id === run.id) }));
    },

    /** Rule, state and times of runs created since `since` (epoch ms), oldest first: the overview's raw material. */
    async summariesSince(since: number, limit: number) {
      return db
        .selectFrom('runs')
        .select(['rule_id', 'state', 'created_at', 'finished_at'])
        .where('created_at', '>=', since)
        .orderBy('created_at')
        .limit(limit)
        .execute();
    },

    async stepsOf(executor: Kysely<Tables>, runId: string): Promise<Step[]> {
      return executor.selectFrom('steps').selectAll().where('run_id', '=', runId).orderBy('idx').execute();
    },

    /** The steps of several runs, in one query. */
    async stepsOfRuns(executor: Kysely<Tables>, runIds: readonly string[]): Promise<Step[]> {
      if (runIds.length === 0) return [];
      return executor
        .selectFrom('steps')
        .selectAll()
        .where('run_id', 'in', [...runIds])
        .orderBy('idx')
        .execute();
    },

    /**
     * Claims up to `limit` due steps for `owner` until `now + leaseMs`, no more of a connector than
     * its `quotas` entry (its free slots). A step whose lease expired (its worker died) is due again.
     * On PostgreSQL, SKIP LOCKED lets instances claim side by side.
     */
    async claimDueSteps(
      owner: string,
      now: number,
      leaseMs: number,
      limit: number,
      quotas?: Readonly<Record<string, number>>,
    ): Promise<Step[]> {
      return claimInIndexOrder(db, dialect, async (trx) => {
        let due = dueSteps(trx, now, limit, quotas ?? {});
        if (dialect === 'postgres') due = due.forUpdate().skipLocked();
        const ids = withinQuotas(await due.execute(), quotas ?? {});
        if (ids.length === 0) return [];
        return trx
          .updateTable('steps')
          .set({ lease_owner: owner, lease_until: now + leaseMs })
          .where('id', 'in', ids)
          .returningAll()
          .execute();
      });
    },

    /** Saves a step only while `owner` still holds its lease; false when the lease was lost. */
    saveStep: saveLeasedStep,

    /**
     * saveStep for several steps at once, in one commit, each saved only while `owner` holds its
     * lease; says per save whether it was. On PostgreSQL, saves that set the same columns are one
     * statement (a statement is a round trip there, and steps worked side by side save at the same
     * moments: starting, then waiting); two saves of one step, and every save on SQLite (a call in
     * the process), are one each, in order. One statement commits on its own: a transaction
     * around it would only add its BEGIN and COMMIT round trips.
     */
    async saveSteps(owner: string, saves: StepSave[]): Promise<boolean[]> {
      const together = dialect === 'postgres' && new Set(saves.map((s) => s.id)).size === saves.length;
      const statements = together ? groupedBy(saves, (s) => setColumns(s.patch).join(',')) : saves.map((s) => [s]);
      const saveAll = async (executor: Kysely<Tables>) => {
        const saved = new Map<StepSave, boolean>();
        for (const group of statements) {
          const ids = new Set(
            group.length === 1 ? await oneSave(executor, group[0]!) : await sameColumns(executor, group),
          );
          for (const s of group) saved.set(s, ids.has(s.id));
        }
        return saves.map((s) => saved.get(s)!);
      };
      return statements.length === 1 ? saveAll(db) : db.transaction().execute(saveAll);

      async function oneSave(executor: Kysely<Tables>, save: StepSave): Promise<string[]> {
        return (await saveLeasedStep(executor, save.id, owner, save.patch)) ? [save.id] : [];
      }

      /** One UPDATE for saves setting the same columns: the rows as JSON, typed by the steps table itself. */
      async function sameColumns(executor: Kysely<Tables>, group: StepSave[]): Promise<string[]> {
        const columns = setColumns(group[0]!.patch);
        const rows = group.map((s) => ({ ...s.patch, id: s.id }));
        const assignments = sql.join(columns.map((c) => sql`${sql.id(c)} = v.${sql.id(c)}`));
        const { rows: saved } = await sql<{ id: string }>`update steps as s set ${assignments}
          from json_populate_recordset(null::steps, ${JSON.stringify(rows)}) as v
          where s.id = v.id and s.lease_owner = ${owner} returning s.id`.execute(executor);
        return saved.map((r) => r.id);
      }
    },

    /** Heartbeat: pushes `owner`'s lease on a step out to `until`; false when `owner` no longer holds it. */
    async extendLease(id: string, owner: string, until: number): Promise<boolean> {
      const result = await db
        .updateTable('steps')
        .set({ lease_until: until })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async updateSteps(executor: Kysely<Tables>, ids: string[], patch: Partial<Step>): Promise<void> {
      if (ids.length > 0) await executor.updateTable('steps').set(patch).where('id', 'in', ids).execute();
    },

    async setRunState(
      executor: Kysely<Tables>,
      id: string,
      state: string,
      now: number,
      finished: boolean,
    ): Promise<void> {
      await executor
        .updateTable('runs')
        .set({ state, updated_at: now, ...(finished ? { finished_at: now } : {}) })
        .where('id', '=', id)
        .execute();
    },

    /** A run whose steps are done and whose write-backs are still on their way; undefined when it is not that. */
    async writingBack(executor: Kysely<Tables>, id: string) {
      return executor
        .selectFrom('runs')
        .select(['id', 'rule_id', 'ticket_number', 'rule_version', 'created_at', 'correlation_id'])
        .where('id', '=', id)
        .where('state', '=', 'writing_back')
        .executeTakeFirst();
    },

    /** Ends a run that is writing back in `state`; false when it was not (another instance ended it first). */
    async finishWritingBack(executor: Kysely<Tables>, id: string, state: string, at: number): Promise<boolean> {
      const result = await executor
        .updateTable('runs')
        .set({ state, updated_at: at, finished_at: at })
        .where('id', '=', id)
        .where('state', '=', 'writing_back')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Ids of the oldest runs writing back (the sweep that ends runs whose last delivery's check was lost). */
    async oldestWritingBack(limit: number): Promise<string[]> {
      const rows = await db
        .selectFrom('runs')
        .select('id')
        .where('state', '=', 'writing_back')
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    /**
     * Tickets changed: their runs' steps held by a gate are asked again now rather than at their
     * next recheck (an approval or a state the gate waits for may just have arrived).
     */
    async wakeGatedSteps(executor: Kysely<Tables>, ticketNumbers: readonly string[], now: number): Promise<void> {
      if (ticketNumbers.length === 0) return;
      // Runs first (by the ticket index): most events are for tickets with no running run.
      const runIds = (
        await executor
          .selectFrom('runs')
          .select('id')
          .where('ticket_number', 'in', [...new Set(ticketNumbers)])
          .where('state', '=', 'running')
          .execute()
      ).map((r) => r.id);
      if (runIds.length === 0) return;
      await executor
        .updateTable('steps')
        .set({ next_at: now })
        .where('run_id', 'in', runIds)
        .where('state', '=', 'pending')
        .where('waiting_for', 'is not', null)
        .where('next_at', '>', now)
        .execute();
    },

    /** Gives back every lease `owner` holds (graceful shutdown), so another worker takes over at once. */
    async releaseLeases(owner: string): Promise<void> {
      await db
        .updateTable('steps')
        .set({ lease_owner: null, lease_until: null })
        .where('lease_owner', '=', owner)
        .execute();
    },

    async countActiveSteps(): Promise<number> {
      const row = await db
        .selectFrom('steps')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', [...ACTIVE_STEP_STATES])
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
export type RunRepository = ReturnType<typeof runRepository>;

/** A patch of one step, saved under its lease (runs.saveSteps). */
export interface StepSave {
  id: string;
  patch: Partial<Step>;
}

async function saveLeasedStep(executor: Kysely<Tables>, id: string, owner: string, patch: Partial<Step>) {
  const result = await executor
    .updateTable('steps')
    .set(patch)
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The columns a patch sets, in a fixed order (an undefined value sets nothing, as in Kysely's set). */
const setColumns = (patch: Partial<Step>) =>
  Object.keys(patch)
    .filter((k) => patch[k as keyof Step] !== undefined)
    .sort();

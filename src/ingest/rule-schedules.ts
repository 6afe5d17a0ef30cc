import cron, { type ScheduledTask } from 'node-cron';
import type { Leadership } from '../engine/leadership';
import type { Logger } from '../observability/logger';
import type { RuleSet } from '../rules/rule-set';
import { schedulesOf } from '../rules/schedule.schema';
import { watchedTableSchema } from '../engine/event.schema';
import type { ScheduledQueries, ScheduledTick } from './scheduled-query';

export interface RuleSchedulesDeps {
  /** The running rule set: `sync()` after it changes. */
  rules: () => RuleSet;
  leadership: Leadership;
  runTick: ScheduledQueries;
  logger: Logger;
}

/** A schedule of a rule, without its tick time. */
export type RuleSchedule = Omit<ScheduledTick, 'at'>;

/**
 * Runs the scheduled rules of the running rule set: one cron task per `{ schedule }` trigger of an
 * enabled rule, firing on every instance but querying only on the leader (as the poller). A tick is
 * named by the time it was scheduled for, so an instance that takes over leadership within a tick
 * offers the same events, which the inbox already holds. A tick missed while no instance led is not
 * made up: the next tick's query finds what is still in the state it looks for.
 */
export function createRuleSchedules(deps: RuleSchedulesDeps) {
  const { leadership, logger } = deps;
  const tasks = new Map<string, ScheduledTask>();

  /** Runs one tick now, if this instance leads; failures are logged, and the next tick tries again. */
  async function tick(schedule: RuleSchedule, at: Date): Promise<number> {
    if (!leadership.isLeader()) return 0;
    const scheduled = new Date(Math.floor(at.getTime() / 1000) * 1000);
    return deps.runTick({ ...schedule, at: scheduled }).catch((err: Error) => {
      logger.warn('scheduled rule query failed; the next tick tries again', {
        rule: schedule.rule,
        tick: scheduled.toISOString(),
        error: err.message,
      });
      return 0;
    });
  }

  /** The schedules the running rule set asks for, by a key that changes when any part does. */
  function wanted(): Map<string, RuleSchedule> {
    const found = new Map<string, RuleSchedule>();
    for (const [table, rules] of deps.rules().byTable) {
      const watched = watchedTableSchema.safeParse(table);
      if (!watched.success) continue;
      for (const { definition } of rules) {
        if (definition.mode === 'disabled') continue;
        for (const schedule of schedulesOf(definition.on))
          found.set(JSON.stringify([definition.id, table, schedule]), {
            rule: definition.id,
            table: watched.data,
            schedule,
          });
      }
    }
    return found;
  }

  return {
    tick,
    /** The schedules running now. */
    schedules: (): RuleSchedule[] => [...wanted().values()],
    /** Starts the schedules the rule set added or changed and stops those it dropped. */
    sync(): void {
      const next = wanted();
      for (const [key, task] of tasks)
        if (!next.has(key)) {
          void task.stop();
          tasks.delete(key);
        }
      for (const [key, schedule] of next) {
        if (tasks.has(key)) continue;
        const task = cron.schedule(schedule.schedule.cron, (ctx) => tick(schedule, ctx.date), {
          name: `rule:${schedule.rule}`,
          noOverlap: true,
        });
        tasks.set(key, task);
        logger.info('scheduled rule armed', {
          rule: schedule.rule,
          cron: schedule.schedule.cron,
          table: schedule.table,
        });
      }
    },
    async stop(): Promise<void> {
      await Promise.all([...tasks.values()].map((t) => t.stop()));
      tasks.clear();
    },
  };
}
export type RuleSchedules = ReturnType<typeof createRuleSchedules>;

import Bottleneck from 'bottleneck';
import { ConcurrencyLimiter } from './concurrency-limiter';

/** What a client needs of a limiter: Bottleneck has it, and so has a limiter that fails over. */
export interface RequestLimiter {
  schedule<T>(fn: () => PromiseLike<T>): Promise<T>;
  disconnect(flush?: boolean): Promise<void>;
}

/** Where a FailoverLimiter finds the fleet-wide limiter, and whom it tells when that one failed. */
export interface SharedSource {
  /** The fleet-wide limiter while Redis answers; undefined while it does not. */
  current(): Bottleneck | undefined;
  /** The fleet-wide limiter refused a request before running it: Redis is not usable. */
  failed(reason: string): void;
  /** When the fleet-wide hourly budget was last refilled (epoch ms), when the fleet keeps one. */
  lastRefill?(): Promise<number | undefined>;
}

/** A source with no fleet: the limiter is local to this instance (no Redis configured). */
export const LOCAL_ONLY: SharedSource = { current: () => undefined, failed: () => undefined };

interface Ticket {
  started: boolean;
  abandoned: boolean;
  fallBack(): void;
}

/**
 * A limiter that draws on the fleet's budget in Redis while Redis answers, and on a local one of the
 * same limits while it does not. A request waiting for the fleet limiter when Redis goes away (a
 * restart loses the queue's state, and its wake-up messages with it) is moved to the local one; a
 * request runs exactly once, whichever limiter lets it through.
 */
export class FailoverLimiter implements RequestLimiter {
  /**
   * Bottleneck only where it keeps an hourly budget: a limit of concurrency alone takes the lighter
   * ConcurrencyLimiter, which does not wait a timer turn per request.
   */
  private readonly local: Bottleneck | ConcurrencyLimiter;
  private readonly waiting = new Set<Ticket>();
  /** The local limiter's hourly budget refills at whole intervals from here. */
  private readonly createdAt = Date.now();

  /**
   * @param slotMs how long a request may hold a slot of the fleet limiter. Redis gives a slot back
   * only when its holder says so, or when this runs out: an instance killed mid-request would
   * otherwise keep its slots for ever, and after a few kills the fleet has none left.
   */
  constructor(
    private readonly source: SharedSource,
    private readonly options: Bottleneck.ConstructorOptions,
    private readonly slotMs: number,
  ) {
    this.local =
      options.reservoir == null ? new ConcurrencyLimiter(options.maxConcurrent ?? Infinity) : new Bottleneck(options);
  }

  /** The local limiter, when it keeps an hourly budget. */
  private localBudget(): Bottleneck | undefined {
    return this.local instanceof Bottleneck ? this.local : undefined;
  }

  schedule<T>(fn: () => PromiseLike<T>): Promise<T> {
    const shared = this.source.current();
    if (!shared) return this.local.schedule(fn);
    return new Promise<T>((resolve, reject) => {
      const ticket: Ticket = {
        started: false,
        abandoned: false,
        fallBack: () => {
          ticket.abandoned = true;
          this.waiting.delete(ticket);
          this.local.schedule(fn).then(resolve, reject);
        },
      };
      this.waiting.add(ticket);
      shared
        .schedule({ expiration: this.slotMs }, () => {
          this.waiting.delete(ticket);
          if (ticket.abandoned) return Promise.resolve();
          ticket.started = true;
          return Promise.resolve().then(fn).then(resolve, reject);
        })
        .catch((err: Error) => {
          // Once started, `fn`'s own outcome settles the request: a later rejection is the limiter's
          // (a slot outlasting slotMs), or Redis's.
          if (ticket.started || ticket.abandoned) return;
          this.source.failed(err.message);
          if (!ticket.abandoned) ticket.fallBack();
        });
    });
  }

  /** Redis went away: every request still waiting for the fleet limiter goes through the local one. */
  fallBack(): void {
    for (const ticket of [...this.waiting]) if (!ticket.started) ticket.fallBack();
  }

  /** The budget left this hour, in the limiter requests go through now (tests and operators). */
  currentReservoir(): Promise<number | null> {
    const limiter = this.source.current() ?? this.localBudget();
    return limiter ? limiter.currentReservoir() : Promise.resolve(null);
  }

  /**
   * Adds `incr` (negative: takes) to the budget left this hour, in one step, and returns what is
   * left after it: a budget taken this way cannot be overdrawn by two takers at once.
   */
  async incrementReservoir(incr: number): Promise<number | null> {
    const shared = this.source.current();
    if (shared)
      try {
        return await shared.incrementReservoir(incr);
      } catch (err) {
        this.source.failed((err as Error).message);
      }
    return (await this.localBudget()?.incrementReservoir(incr)) ?? null;
  }

  /** When the budget of the limiter requests go through now refills next (epoch ms); undefined = no hourly budget. */
  async nextRefillAt(now = Date.now()): Promise<number | undefined> {
    const interval = this.options.reservoirRefreshInterval;
    if (!interval) return undefined;
    const fleetRefill = this.source.current() ? await this.source.lastRefill?.() : undefined;
    const last = fleetRefill ?? this.createdAt;
    // Refills happen at whole intervals after the last one (the fleet's refills only when next asked).
    return last + Math.max(1, Math.ceil((now - last) / interval)) * interval;
  }

  async disconnect(): Promise<void> {
    const budget = this.localBudget();
    if (!budget) return this.local.disconnect();
    await budget.stop({ dropWaitingJobs: true }).catch(() => undefined);
    await budget.disconnect(false);
  }
}

import type { TicketEvent } from './event.schema';
import type { CommandInvocation } from '../rules/matcher';

/** An event as the matcher and run builder need it, whatever its source. */
export interface DispatchEvent {
  payload: TicketEvent;
  eventKey: string;
  correlationId: string;
  command?: CommandInvocation;
  /** Tried before (a retry or a replay): rules that already have a run for it are not started again. */
  again?: boolean;
}

/** What is reported (metrics, logs) only once the transaction committed: a rolled-back batch is tried again. */
export type AfterCommit = Array<() => void>;

/** Matched rules that could not act on the event (a permanent error building their run), with why. */
export type Rejections = Array<{ rule: string; code: string; reason: string }>;

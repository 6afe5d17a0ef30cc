import { z } from 'zod';
import type { MappingCatalog } from '../../src/rules/mapping-catalog';

/** What the engine benchmark's parent and its instance processes share. */

export const BENCH_WEBHOOK_SECRET = 'bench-secret';

export const BENCH_MAPPING = `
table: incident
rules:
  - id: restart
    description: Restart a service that is down
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    params: { host: "{{ ticket.short_description | capture: 'on ([a-z0-9-]+)' }}" }
    steps:
      - { name: restart, use: bench.launch, with: { host: "{{ params.host }}" } }
`;

export const BENCH_CATALOG: MappingCatalog = {
  fieldExists: () => true,
  connectorExists: (c) => c === 'bench',
  action: (c, a) =>
    c === 'bench' && a === 'launch'
      ? { name: 'launch', description: 'launch', params: z.object({ host: z.string() }), result: z.unknown() }
      : undefined,
  template: () => undefined,
  withTemplates() {
    return this;
  },
};

/**
 * mark: start counting CPU from now; count: how many first steps so far; report: the figures;
 * memory: the process's memory after a full GC, and how many steps wait on their job.
 */
export type InstanceRequest = { type: 'mark' } | { type: 'count' } | { type: 'report' } | { type: 'memory' };

export interface InstanceReport {
  type: 'report';
  /** Ticket number → when its first step reached the backend (epoch ms, sub-ms precision). */
  startedAt: Array<[string, number]>;
  /** CPU (user + system) used since the last mark. */
  cpuMs: number;
  /** Resident set size after a GC, with every run waiting. */
  rssMb: number;
  /** JS heap in use after that GC (what the process holds, as opposed to what it has not given back). */
  heapUsedMb: number;
}

/** Memory after a full GC. */
export interface MemoryFigures {
  /** Resident set size: everything the process holds from the system. */
  rssMb: number;
  /** JS heap in use. */
  heapUsedMb: number;
  /** Memory of C++ objects bound to JS objects and of buffers (outside the JS heap). */
  externalMb: number;
}

export interface InstanceMemoryReport extends MemoryFigures {
  type: 'memory';
  /** Steps in the store waiting on their backend job, claimed by nobody. */
  waiting: number;
}

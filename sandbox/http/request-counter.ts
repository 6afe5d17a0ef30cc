import { apiOfPath } from './latency';

/** Requests the sandbox served, as a client's bill would count them. */
export interface RequestCounts {
  /** HTTP requests to its APIs, ServiceNow's and the controller's (a batch is one). */
  total: number;
  /** The same, per API (`table`, `attachment`, `batch`, `awx`, …). */
  byApi: Record<string, number>;
  /** Calls carried inside batches, each run like a request of its own (docs/servicenow-behaviour.md §6.5). */
  batchItems: number;
}

/**
 * Counts what the sandbox served, for benchmarks and tests that assert how many calls a feature
 * costs the instance. Read and reset through `GET|DELETE /sandbox/requests`.
 */
export class RequestCounter {
  private counts: RequestCounts = { total: 0, byApi: {}, batchItems: 0 };

  /** Counts a request to one of the APIs; the sandbox's own endpoints (`/sandbox/…`) are not calls to the instance. */
  request(path: string): void {
    const api = apiOfPath(path);
    if (!api) return;
    this.counts.total++;
    this.counts.byApi[api] = (this.counts.byApi[api] ?? 0) + 1;
  }

  batchItem(): void {
    this.counts.batchItems++;
  }

  describe(): RequestCounts {
    return { ...this.counts, byApi: { ...this.counts.byApi } };
  }

  reset(): void {
    this.counts = { total: 0, byApi: {}, batchItems: 0 };
  }
}

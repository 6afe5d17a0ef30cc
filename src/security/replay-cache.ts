/**
 * Signatures of webhook deliveries already accepted, each remembered until its timestamp leaves the
 * replay window: a captured delivery re-sent inside the window is refused rather than re-ingested.
 * Bounded: when full, the oldest entries go first (they are the nearest to expiring anyway).
 * Per process: with several instances the inbox's dedup key still makes a replay harmless.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  has(signature: string, nowSeconds: number): boolean {
    const expires = this.seen.get(signature);
    return expires !== undefined && expires >= nowSeconds;
  }

  remember(signature: string, expiresAtSeconds: number, nowSeconds: number): void {
    this.evict(nowSeconds);
    this.seen.set(signature, expiresAtSeconds);
  }

  forget(signature: string): void {
    this.seen.delete(signature);
  }

  private evict(nowSeconds: number): void {
    for (const [signature, expires] of this.seen) {
      if (expires >= nowSeconds && this.seen.size < this.maxEntries) break;
      this.seen.delete(signature);
    }
  }
}

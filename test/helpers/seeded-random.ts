/**
 * Seeds for tests that inject faults at chosen moments (the crash and chaos tests): a run takes its
 * seed from the environment variable, or picks one and prints it, so a failing run can be replayed
 * with exactly the same kills.
 */
export function testSeed(envName: string, testName: string): number {
  const given = process.env[envName];
  const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`${envName}: expected an integer seed, got "${given}"`);
  process.stdout.write(`${testName}: seed ${seed} (replay with ${envName}=${seed})\n`);
  return seed;
}

/** A small seeded generator (mulberry32, https://gist.github.com/tommyettinger/46a874533244883189143505d203312c). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

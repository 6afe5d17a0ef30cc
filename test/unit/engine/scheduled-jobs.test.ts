import type { Leadership } from '../../../src/engine/leadership';
import { everySeconds, scheduleLeaderJobs } from '../../../src/engine/scheduled-jobs';
import { silentLogger } from '../../../src/observability/logger';

describe('scheduled jobs', () => {
  it('run only while this instance leads, and start again when it leads again', async () => {
    let leading = false;
    const leadership: Leadership = { isLeader: () => leading, stop: async () => undefined };
    const runs: number[] = [];
    const scheduled = scheduleLeaderJobs(
      [{ name: 'probe', cron: everySeconds(1), run: async () => void runs.push(Date.now()) }],
      leadership,
      silentLogger(),
    );
    try {
      await new Promise((r) => setTimeout(r, 2200));
      expect(runs).toHaveLength(0);
      leading = true;
      await new Promise((r) => setTimeout(r, 2200));
      expect(runs.length).toBeGreaterThanOrEqual(1);
    } finally {
      await scheduled.stop();
    }
  });

  it('keeps running after a job fails', async () => {
    let calls = 0;
    const scheduled = scheduleLeaderJobs(
      [
        {
          name: 'flaky',
          cron: everySeconds(1),
          run: async () => {
            calls += 1;
            throw new Error('backend down');
          },
        },
      ],
      { isLeader: () => true, stop: async () => undefined },
      silentLogger(),
    );
    try {
      await new Promise((r) => setTimeout(r, 3200));
      expect(calls).toBeGreaterThanOrEqual(2);
    } finally {
      await scheduled.stop();
    }
  });

  it('turns an interval into a node-cron expression', () => {
    expect(everySeconds(5)).toBe('*/5 * * * * *');
    expect(everySeconds(120)).toBe('0 */2 * * * *');
  });
});

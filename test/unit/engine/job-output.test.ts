import { outputAttachment, safeFileName, stepOutput, tailWithin } from '../../../src/engine/job-output';
import { writebackSchema } from '../../../src/rules/mapping.schema';

const step = (state: string, result: unknown, error: string | null = null) => ({
  id: 'step-1',
  state,
  result: result === null ? null : JSON.stringify(result),
  error,
});

describe('a step output as a file for the ticket', () => {
  it('is the job output a controller or playbook step kept', () => {
    expect(stepOutput(step('succeeded', { job_id: 7, stdout_tail: 'PLAY RECAP\n' }))).toBe('PLAY RECAP\n');
  });

  it('is the result as JSON for a step without job output', () => {
    expect(stepOutput(step('succeeded', { sys_id: 'abc' }))).toBe('{\n  "sys_id": "abc"\n}\n');
  });

  it('is the error of a failed step that left no output, and nothing for a skipped step', () => {
    expect(stepOutput(step('failed', null, 'controller job 9 ended failed'))).toBe('controller job 9 ended failed');
    expect(stepOutput(step('skipped', null))).toBeUndefined();
    expect(outputAttachment(step('skipped', null), 'x.log', 100)).toBeUndefined();
  });

  it('never names a file with a path', () => {
    expect(safeFileName('../../etc/passwd')).toBe('etc_passwd');
    expect(safeFileName('C:\\logs\\job.log')).toBe('C__logs_job.log');
    expect(safeFileName('...')).toBe('job-output.txt');
  });

  it('keeps the end of an output larger than the cap, says what was cut, and stays under the cap', () => {
    const log = `${'line of output\n'.repeat(200)}PLAY RECAP ok=3 failed=0\n`;
    const capped = tailWithin(log, 500);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(500);
    expect(capped).toMatch(/^\[first \d+ bytes of the output not attached: larger than 500 bytes\]\n/);
    expect(capped.endsWith('PLAY RECAP ok=3 failed=0\n')).toBe(true);
    expect(tailWithin('short', 500)).toBe('short');
  });

  it('does not split a multi-byte character at the cut', () => {
    const capped = tailWithin('é'.repeat(400), 300);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(300);
    expect(capped).not.toContain('\uFFFD');
  });

  it('a rule cannot ask for a file name that is a path', () => {
    const parsed = writebackSchema.safeParse({ attach_output: { step: 'restart', file_name: '../restart.log' } });
    expect(parsed.success).toBe(false);
    expect(writebackSchema.parse({ attach_output: { step: 'restart' } }).attach_output?.file_name).toBe(
      'job-output.txt',
    );
  });
});

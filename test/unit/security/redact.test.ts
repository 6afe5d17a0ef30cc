import { maskValues, redact, redactText, registerSecret, RUN_SECRET_TTL_MS } from '../../../src/observability/redact';
import { maskSecrets } from '../../../src/engine/secret-params';

describe('masking registered secrets', () => {
  it('masks a short secret where it stands alone, however short', () => {
    registerSecret('4711');
    registerSecret('adm');
    expect(redactText('PIN 4711 accepted; pin=4711, "4711"')).toBe(
      'PIN [redacted] accepted; pin=[redacted], "[redacted]"',
    );
    expect(redactText('logged in as adm (adm@host)')).toBe('logged in as [redacted] ([redacted]@host)');
  });

  it('leaves a short secret inside a longer word or number alone', () => {
    registerSecret('4711');
    registerSecret('adm');
    expect(redactText('ticket INC0047110, job 47112, administrator adm_ops')).toBe(
      'ticket INC0047110, job 47112, administrator adm_ops',
    );
    expect(maskValues('Zugang für Ädm und adm', ['adm'])).toBe('Zugang für Ädm und [redacted]');
  });

  it('masks a secret of six characters or more even inside a longer string', () => {
    registerSecret('s3cr3t-pw');
    expect(redactText('GET https://svc:s3cr3t-pw@db-01/x and xs3cr3t-pwx')).toBe(
      'GET https://svc:[redacted]@db-01/x and x[redacted]x',
    );
  });

  it('masks secrets with regex characters literally', () => {
    registerSecret('a+b');
    expect(redactText('key a+b, not aab')).toBe('key [redacted], not aab');
  });

  it('keeps structures valid: a one-character secret masks the scalar it equals and standalone text, not JSON syntax', () => {
    registerSecret('7');
    const masked = maskSecrets({ attempt: 7, results: [{ code: '7', note: 'exit 7 on INC0010007' }], ok: true });
    expect(masked).toEqual({
      attempt: '[redacted]',
      results: [{ code: '[redacted]', note: 'exit [redacted] on INC0010007' }],
      ok: true,
    });
    expect(redact({ message: 'exit 7', password: 'anything' })).toEqual({
      message: 'exit [redacted]',
      password: '[redacted]',
    });
  });

  it("keeps a run's secret while the run is taken up, forgets it a day after, and a configured one never", () => {
    jest.useFakeTimers({ now: Date.parse('2026-12-01T00:00:00Z') });
    try {
      const hours = (n: number) => jest.advanceTimersByTime(n * 60 * 60_000);
      registerSecret('configured-secret-1');
      registerSecret('run-secret-1', RUN_SECRET_TTL_MS);
      hours(12);
      registerSecret('run-secret-1', RUN_SECRET_TTL_MS); // a step of the run is taken up again
      hours(20);
      registerSecret('run-secret-2', RUN_SECRET_TTL_MS);
      expect(redactText('run-secret-1 configured-secret-1')).toBe('[redacted] [redacted]');
      hours(5);
      registerSecret('run-secret-3', RUN_SECRET_TTL_MS);
      expect(redactText('run-secret-1 configured-secret-1 run-secret-3')).toBe('run-secret-1 [redacted] [redacted]');
    } finally {
      jest.useRealTimers();
    }
  });

  it('ignores empty values', () => {
    registerSecret('');
    expect(redactText('nothing to hide')).toBe('nothing to hide');
  });
});

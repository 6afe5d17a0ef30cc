import { ConnectorError } from '../errors';

/**
 * One provider HTTP call with a timeout; failures become ConnectorErrors of connector `privilege`
 * (5xx and network errors transient, other refusals permanent). Messages carry the method, path and
 * status, never a body that could hold a secret.
 */
export async function providerCall(
  url: string,
  init: RequestInit & { timeoutMs: number; what: string },
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs), redirect: 'error' });
  } catch (err) {
    throw new ConnectorError(
      'privilege',
      'transient',
      'provider_unreachable',
      `${init.what}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${init.timeoutMs} ms` : (err as Error).message}`,
    );
  }
  if (response.ok) return response;
  await response.body?.cancel();
  const failure = response.status >= 500 || response.status === 429 ? 'transient' : 'permanent';
  throw new ConnectorError(
    'privilege',
    failure,
    'provider_refused',
    `${init.what}: the provider answered HTTP ${response.status}`,
    { details: { status: response.status } },
  );
}

/** The console's only way to the server: the public API with the signed-in token. */

const TOKEN_KEY = 'snowline.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Per tab, gone when the tab closes: a console left open elsewhere does not keep a token. */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Called when the API says the token is no longer good, so the app can return to sign-in. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = tokenStore.get()): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; details?: unknown };
  };
  if (!res.ok) {
    if (res.status === 401 && path.startsWith('/api/')) onUnauthorized();
    const detail = data.error?.details ? ` ${JSON.stringify(data.error.details)}` : '';
    throw new ApiError(res.status, data.error?.code ?? 'http', `${data.error?.message ?? res.statusText}${detail}`);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, token?: string) => request<T>('GET', `/api/v1${path}`, undefined, token),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', `/api/v1${path}`, body),
  /** Console-only endpoints outside the API (settings, sandbox sign-in). */
  consoleGet: <T>(path: string) => request<T>('GET', `/console${path}`),
  consolePost: <T>(path: string, body: unknown) => request<T>('POST', `/console${path}`, body),
};

/** Query string from the filled-in fields only. */
export function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

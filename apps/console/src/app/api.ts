/** The console's only door to the server: same-origin fetches with the admin token, typed errors. */

export interface ErrorDetail {
  path: string;
  reason: string;
}

/** An API failure as the console shows it: the server's `{error: {code, message, details}}` or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** One line for a banner: each named parameter's reason when the server gave them, else its message. */
  describe(): string {
    return this.details.length > 0 ? this.details.map((d) => `${d.path} ${d.reason}`).join('; ') : this.message;
  }
}

function isErrorDetail(value: unknown): value is ErrorDetail {
  return typeof value === 'object' && value !== null && typeof (value as ErrorDetail).path === 'string' && typeof (value as ErrorDetail).reason === 'string';
}

const FALLBACK_MESSAGES: Record<number, string> = {
  401: 'The token was not accepted.',
  403: 'This token does not allow reading the audit log.',
  404: 'Not found.',
  503: 'The service is temporarily unavailable.',
};

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`;
  const message = typeof error?.message === 'string' ? error.message : (FALLBACK_MESSAGES[res.status] ?? `The server answered ${res.status}.`);
  const details = Array.isArray(error?.details) ? error.details.filter(isErrorDetail) : [];
  return new ApiError(res.status, code, message, details);
}

export interface ApiClient {
  get<T>(path: string, query?: URLSearchParams, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /**
   * A streamed answer (Server-Sent Events) read with fetch, so the token goes in the Authorization header
   * as for every other call: EventSource cannot send one, and a token in the URL would end up in logs.
   */
  stream(path: string, query: URLSearchParams, signal: AbortSignal, headers?: Record<string, string>): Promise<ReadableStream<Uint8Array>>;
}

/**
 * A client bound to one session: a token, or a function giving the current one (a single sign-on session
 * renews its token without the console starting over). A 401 on any call means the token expired or was
 * revoked: `onUnauthorized` ends the session (the caller still gets the error, so nothing waits forever).
 */
export function createApiClient(token: string | (() => string), onUnauthorized: (error: ApiError) => void): ApiClient {
  const current = typeof token === 'string' ? () => token : token;
  const open = async (path: string, init: RequestInit, accept: string): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${current()}`, accept }, credentials: 'omit' });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check your connection and try again.');
    }
    if (!res.ok) {
      const error = await toApiError(res);
      if (res.status === 401) onUnauthorized(error);
      throw error;
    }
    return res;
  };
  const send = async <T>(path: string, init: RequestInit): Promise<T> => (await (await open(path, init, 'application/json')).json()) as T;
  return {
    get: (path, query, signal) => send(query && [...query.keys()].length > 0 ? `${path}?${query.toString()}` : path, { method: 'GET', signal }),
    post: (path, body) => send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    put: (path, body) => send(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    delete: (path) => send(path, { method: 'DELETE' }),
    stream: async (path, query, signal, headers = {}) => {
      const res = await open(`${path}?${query.toString()}`, { method: 'GET', signal, headers }, 'text/event-stream');
      if (!res.body) throw new ApiError(0, 'CLIENT', 'This browser cannot read a streamed answer.');
      return res.body;
    },
  };
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'CLIENT', error instanceof Error ? error.message : String(error));
}

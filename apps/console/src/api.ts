/** The console's calls to the API: same origin, the session cookie, the CSRF token on mutations. */

export type Problem = { status: number; code: string; detail: string };
export type Session = {
  role: 'MES' | 'VIEWER' | 'ADMIN';
  keyPrefix: string;
  csrfToken: string;
  expiresAt: string;
};

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail}`);
  }
}

let csrfToken = '';
let onSessionEnded: (code: string) => void = () => undefined;

export function whenSessionEnds(handler: (code: string) => void): void {
  onSessionEnded = handler;
}

async function call<T>(method: string, path: string, headers: Record<string, string> = {}): Promise<T> {
  const mutation = method !== 'GET';
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', ...(mutation ? { 'X-CSRF-Token': csrfToken } : {}), ...headers },
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json()) as T | Problem;
  if (!res.ok) {
    const problem = body as Problem;
    if (res.status === 401 && !headers.Authorization) {
      forgetSession();
      onSessionEnded(problem.code);
    }
    throw new ApiError(problem);
  }
  return body as T;
}

// The cookie is HttpOnly; this non-secret flag only says whether asking for the session is worth it
// (so a fresh visit shows the sign-in form without a 401 in the browser console).
const SIGNED_IN_FLAG = 'claimline.signedIn';

export async function signIn(key: string): Promise<Session> {
  const session = await call<Session>('POST', '/console/session', { Authorization: `Bearer ${key}` });
  csrfToken = session.csrfToken;
  localStorage.setItem(SIGNED_IN_FLAG, '1');
  return session;
}

export function forgetSession(): void {
  localStorage.removeItem(SIGNED_IN_FLAG);
  csrfToken = '';
}

export async function currentSession(): Promise<Session | undefined> {
  if (!localStorage.getItem(SIGNED_IN_FLAG)) return undefined;
  const res = await fetch('/console/session', { credentials: 'same-origin' });
  if (!res.ok) {
    forgetSession();
    return undefined;
  }
  const session = (await res.json()) as Session;
  csrfToken = session.csrfToken;
  return session;
}

/** What to show for a failed call: the problem's code and detail when the API answered one. */
export function problemText(error: unknown): string {
  return error instanceof ApiError ? `${error.problem.code}: ${error.problem.detail}` : String(error);
}

/**
 * Server-Sent Events from the API with the session cookie: `onData` for each `event` message. When the
 * stream is refused or closed for good, ask for the session once, so an ended session shows the sign-in
 * form (call() reports the 401). Returns the function that closes the stream.
 */
export function liveEvents<T>(
  path: string,
  event: string,
  onData: (data: T) => void,
  onEnd: () => void = () => undefined,
): () => void {
  const source = new EventSource(path, { withCredentials: true });
  source.addEventListener(event, (message) =>
    onData(JSON.parse((message as MessageEvent<string>).data) as T),
  );
  source.addEventListener('end', () => {
    source.close();
    onEnd();
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    void call('GET', '/console/session').catch(() => undefined);
  });
  return () => source.close();
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string) => call<T>('POST', path),
  signOut: () => call<void>('DELETE', '/console/session').finally(forgetSession),
};

import { members, queryMember, type OperationRequest } from './inputs.js';

export type Page<T> = { items: T[]; next?: string };

/**
 * One page of `items` (already sorted by `keyOf`, ascending unless `descending`). The token is the
 * base64 of the last key returned, so a page is stable when items before it are deleted meanwhile.
 */
export function pageOf<T>(
  items: T[],
  keyOf: (item: T) => string,
  token: string | undefined,
  size: number,
  descending = false,
): Page<T> {
  const after = token === undefined ? undefined : Buffer.from(token, 'base64').toString('utf8');
  const start =
    after === undefined
      ? 0
      : items.findIndex((item) => (descending ? keyOf(item) < after : keyOf(item) > after));
  const from = start === -1 ? items.length : start;
  const page = items.slice(from, from + size);
  const last = page.at(-1);
  const more = from + size < items.length && last !== undefined;
  return { items: page, next: more ? Buffer.from(keyOf(last), 'utf8').toString('base64') : undefined };
}

/** `marker` + `pageSize` (ListCertificates, ListAttachedPolicies); the model's default size is 25. */
export const markerPaging = (request: OperationRequest) => ({
  token: queryMember(request, members.marker, 'marker'),
  size: queryMember(request, members.pageSize, 'pageSize') ?? 25,
});

/** `nextToken` + `maxResults` (ListThingPrincipals, ListPrincipalThings). */
export const tokenPaging = (request: OperationRequest) => ({
  token: queryMember(request, members.marker, 'nextToken'),
  size: queryMember(request, members.pageSize, 'maxResults') ?? 25,
});

export const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

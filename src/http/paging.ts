import type { HttpRequest } from '@azure/functions';

export const MAX_PAGE_SIZE = 100;

/** `?limit=&continuationToken=` of a flows listing, checked; or what is wrong with it. */
export function readPaging(
  request: HttpRequest,
):
  | { readonly ok: true; readonly limit: number; readonly continuationToken?: string }
  | { readonly ok: false; readonly problem: string } {
  const limitText = request.query.get('limit') ?? '20';
  if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_PAGE_SIZE)
    return { ok: false, problem: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.` };
  const token = request.query.get('continuationToken') ?? undefined;
  if (token !== undefined && (token.length > 2048 || !/^[\x21-\x7e]+$/.test(token)))
    return { ok: false, problem: 'continuationToken is not one this API gave out.' };
  return { ok: true, limit: Number(limitText), ...(token === undefined ? {} : { continuationToken: token }) };
}

import type { ApiKeyRole } from '@claimline/db';
import type { Request, Response } from 'express';
import type { ZodObject, ZodType, z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { AppServices } from '../deps.js';

export type HandlerContext = {
  deps: AppServices;
  /** Set on every authenticated route. */
  principal: Principal;
  /** Client address, for the audit trail. */
  origin: string | null;
};

export type HandlerResult = { status: number; body: unknown; headers?: Record<string, string> };

export type ResponseSpec = { description: string; schema?: ZodType; contentType?: string };

type Out<S> = S extends ZodType ? z.output<S> : undefined;

/**
 * One route: its contract (zod schemas, roles, documented responses) and its handler. The same
 * object is mounted on express and registered in the OpenAPI document, so they cannot drift.
 * A handler returns `{status, body}`; a streaming one writes to `res` itself and returns nothing.
 */
export type ApiRoute<
  P extends ZodObject | undefined = ZodObject | undefined,
  Q extends ZodObject | undefined = ZodObject | undefined,
  B extends ZodType | undefined = ZodType | undefined,
  H extends ZodObject | undefined = ZodObject | undefined,
> = {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  /** Stable name for generated clients (`createBatch`); never renamed once published. */
  operationId: string;
  summary: string;
  tag: string;
  roles: readonly ApiKeyRole[] | 'public';
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads; validated like the rest (lower-case names, other headers pass). */
  headers?: H;
  /**
   * Station routes: the request must carry the station's RFC 9421 signature (checked after the body is
   * read, before it is validated); `enrolment` routes check it themselves against the key they upload.
   */
  signed?: 'station' | 'enrolment';
  /** Runs before the body is validated (cheap checks that give a better code than zod would). */
  precheck?: (ctx: HandlerContext, rawBody: unknown) => void;
  responses: Record<number, ResponseSpec>;
  handle: (
    ctx: HandlerContext,
    input: { params: Out<P>; query: Out<Q>; body: Out<B>; headers: Out<H> },
    req: Request,
    res: Response,
  ) => Promise<HandlerResult | void>;
};

export function defineRoute<
  P extends ZodObject | undefined = undefined,
  Q extends ZodObject | undefined = undefined,
  B extends ZodType | undefined = undefined,
  H extends ZodObject | undefined = undefined,
>(route: ApiRoute<P, Q, B, H>): ApiRoute {
  return route as unknown as ApiRoute;
}

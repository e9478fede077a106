import type { HandlerContext, HandlerResult } from '../http/route.js';

export async function listTemplatesHandler(ctx: HandlerContext): Promise<HandlerResult> {
  const items = Object.entries(ctx.deps.config.API_ALLOWED_TEMPLATES).map(([name, t]) => ({
    name,
    parameters: t.parameters,
  }));
  return { status: 200, body: { items } };
}

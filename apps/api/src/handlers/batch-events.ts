import type { Request, Response } from 'express';
import type { HandlerContext } from '../http/route.js';
import { batchProgress } from '../services/batch-progress.js';
import { findBatch } from '../services/batch-view.js';

const INTERVAL_MS = 1_000;
const HEARTBEAT_MS = 15_000;

/** Open event streams, ended when the server shuts down so that it can close. */
const openStreams = new Set<() => void>();
/** Their polls under way: a stream ended mid-poll still finishes its queries. */
const polling = new Set<Promise<void>>();

/** Ends every event stream and waits for polls under way, so the database can be closed after it. */
export async function endEventStreams(): Promise<void> {
  for (const end of [...openStreams]) end();
  await Promise.allSettled([...polling]);
}

/**
 * Server-Sent Events: a `progress` event at once, then every second when the counts changed (a comment
 * line keeps idle proxies from closing it); a final `end` event when the batch is finished.
 */
export async function batchEventsHandler(
  ctx: HandlerContext,
  id: string,
  req: Request,
  res: Response,
): Promise<void> {
  await findBatch(ctx.deps.prisma, id);
  res.status(200).set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let last = '';
  let lastSentAt = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    openStreams.delete(stop);
    res.end();
  };
  openStreams.add(stop);
  req.on('close', stop);
  const tick = async () => {
    if (closed) return;
    try {
      const batch = await findBatch(ctx.deps.prisma, id);
      const progress = await batchProgress(ctx.deps.prisma, batch);
      const data = JSON.stringify(progress);
      if (data !== last) {
        res.write(`event: progress\ndata: ${data}\n\n`);
        last = data;
        lastSentAt = Date.now();
      } else if (Date.now() - lastSentAt > HEARTBEAT_MS) {
        res.write(': keep-alive\n\n');
        lastSentAt = Date.now();
      }
      if (progress.finished) {
        res.write(`event: end\ndata: ${JSON.stringify({ id, finished: true })}\n\n`);
        return stop();
      }
    } catch (error) {
      ctx.deps.logger.warn({ err: error, batchId: id }, 'batch event stream failed');
      return stop();
    }
    if (!closed) timer = setTimeout(() => void poll(), INTERVAL_MS);
  };
  const poll = () => {
    const running = tick();
    polling.add(running);
    return running.finally(() => polling.delete(running));
  };
  await poll();
}

import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext } from '../http/route.js';
import { batchProgress } from '../services/batch-progress.js';
import { findBatch } from '../services/batch-view.js';
import { findVisibleBatch } from '../services/batch-access.js';

const INTERVAL_MS = 1_000;
const HEARTBEAT_MS = 15_000;

type Listener = { write(text: string): void; end(): void; keyId: string };

/**
 * One poller per batch, whatever the number of listeners: it reads the progress once a second and
 * writes each change to every stream of that batch (a comment line every 15 s keeps idle proxies from
 * closing them); a final `end` event when the batch is finished.
 */
type Feed = { listeners: Set<Listener>; last: string; lastSentAt: number; timer?: NodeJS.Timeout };

const feeds = new Map<string, Feed>();
/** Polls under way: a stream ended mid-poll still finishes its queries. */
const polling = new Set<Promise<void>>();
/** Open streams per API key id. */
const streamsPerKey = new Map<string, number>();

/** Ends every event stream and waits for polls under way, so the database can be closed after it. */
export async function endEventStreams(): Promise<void> {
  for (const feed of [...feeds.values()]) for (const listener of [...feed.listeners]) listener.end();
  await Promise.allSettled([...polling]);
}

/** Batches polled right now and their listener counts (metrics, tests). */
export function eventFeeds(): Map<string, number> {
  return new Map([...feeds].map(([id, feed]) => [id, feed.listeners.size]));
}

function broadcast(feed: Feed, text: string): void {
  for (const listener of feed.listeners) listener.write(text);
}

function startFeed(ctx: HandlerContext, id: string): Feed {
  const feed: Feed = { listeners: new Set(), last: '', lastSentAt: 0 };
  feeds.set(id, feed);
  const tick = async () => {
    if (feed.listeners.size === 0) return;
    try {
      const batch = await findBatch(ctx.deps.prisma, id);
      const progress = await batchProgress(ctx.deps.prisma, batch);
      const data = JSON.stringify(progress);
      if (data !== feed.last) {
        broadcast(feed, `event: progress\ndata: ${data}\n\n`);
        feed.last = data;
        feed.lastSentAt = Date.now();
      } else if (Date.now() - feed.lastSentAt > HEARTBEAT_MS) {
        broadcast(feed, ': keep-alive\n\n');
        feed.lastSentAt = Date.now();
      }
      if (progress.finished) {
        broadcast(feed, `event: end\ndata: ${JSON.stringify({ id, finished: true })}\n\n`);
        for (const listener of [...feed.listeners]) listener.end();
        return;
      }
    } catch (error) {
      ctx.deps.logger.warn({ err: error, batchId: id }, 'batch event feed failed');
      for (const listener of [...feed.listeners]) listener.end();
      return;
    }
    if (feed.listeners.size > 0) feed.timer = setTimeout(poll, INTERVAL_MS);
  };
  const poll = () => {
    const running = tick();
    polling.add(running);
    void running.finally(() => polling.delete(running));
  };
  queueMicrotask(poll);
  return feed;
}

/**
 * Server-Sent Events: a `progress` event at once, then one each time the counts change; `end` when the
 * batch is finished. At most API_MAX_EVENT_STREAMS_PER_KEY open streams per API key (429 beyond).
 */
export async function batchEventsHandler(
  ctx: HandlerContext,
  id: string,
  req: Request,
  res: Response,
): Promise<void> {
  await findVisibleBatch(ctx, ctx.deps.prisma, id);
  const { keyId } = ctx.principal;
  const open = streamsPerKey.get(keyId) ?? 0;
  const limit = ctx.deps.config.API_MAX_EVENT_STREAMS_PER_KEY;
  if (open >= limit) {
    throw new AppError('TOO_MANY_STREAMS', `this key holds ${open} event streams; at most ${limit}`, {
      limit,
    });
  }
  streamsPerKey.set(keyId, open + 1);
  res.status(200).set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  const feed = feeds.get(id) ?? startFeed(ctx, id);
  let closed = false;
  const listener: Listener = {
    keyId,
    write: (text) => {
      if (!closed) res.write(text);
    },
    end: () => {
      if (closed) return;
      closed = true;
      feed.listeners.delete(listener);
      const left = (streamsPerKey.get(keyId) ?? 1) - 1;
      if (left > 0) streamsPerKey.set(keyId, left);
      else streamsPerKey.delete(keyId);
      if (feed.listeners.size === 0) {
        clearTimeout(feed.timer);
        if (feeds.get(id) === feed) feeds.delete(id);
      }
      res.end();
    },
  };
  feed.listeners.add(listener);
  req.on('close', listener.end);
  if (feed.last) listener.write(`event: progress\ndata: ${feed.last}\n\n`);
}

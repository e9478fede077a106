import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext } from '../http/route.js';

const INTERVAL_MS = 1_000;
const HEARTBEAT_MS = 15_000;

/** One reading of a feed: the event to send when its data changed; `end` data when the feed is over. */
export type FeedReading = { event: string; data: unknown; end?: unknown };
export type FeedSource = { key: string; read: () => Promise<FeedReading> };

type Listener = { write(text: string): void; end(): void; keyId: string; sessionId?: string };

/**
 * One poller per feed key (a batch, a filtered batch list), whatever the number of listeners: it reads
 * once a second and writes each change to every stream of that key (a comment line every 15 s keeps
 * idle proxies from closing them); a final `end` event when the reading says the feed is over.
 */
type Feed = { listeners: Set<Listener>; last: string; lastSentAt: number; timer?: NodeJS.Timeout };

const feeds = new Map<string, Feed>();
/** Polls under way: a stream ended mid-poll still finishes its queries. */
const polling = new Set<Promise<void>>();
/** Open streams per API key id, every kind of feed together. */
const streamsPerKey = new Map<string, number>();
/** Every open stream, to end those of a key that is revoked or a console session that is closed. */
const openStreams = new Set<Listener>();

/** Ends the event streams of an API key (its standing changed: revoked, another role). */
export function endStreamsOfKey(keyId: string): void {
  for (const listener of [...openStreams]) if (listener.keyId === keyId) listener.end();
}

/** Ends the event streams opened through a console session (signed out). */
export function endStreamsOfSession(sessionId: string): void {
  for (const listener of [...openStreams]) if (listener.sessionId === sessionId) listener.end();
}

/** Ends every event stream and waits for polls under way, so the database can be closed after it. */
export async function endEventStreams(): Promise<void> {
  for (const feed of [...feeds.values()]) for (const listener of [...feed.listeners]) listener.end();
  await Promise.allSettled([...polling]);
}

/** Feeds polled right now and their listener counts (metrics, tests). */
export function eventFeeds(): Map<string, number> {
  return new Map([...feeds].map(([key, feed]) => [key, feed.listeners.size]));
}

function broadcast(feed: Feed, text: string): void {
  for (const listener of feed.listeners) listener.write(text);
}

function endAll(feed: Feed): void {
  for (const listener of [...feed.listeners]) listener.end();
}

function startFeed(ctx: HandlerContext, source: FeedSource): Feed {
  const feed: Feed = { listeners: new Set(), last: '', lastSentAt: 0 };
  feeds.set(source.key, feed);
  const tick = async () => {
    if (feed.listeners.size === 0) return;
    try {
      const reading = await source.read();
      const text = `event: ${reading.event}\ndata: ${JSON.stringify(reading.data)}\n\n`;
      if (text !== feed.last) {
        broadcast(feed, text);
        feed.last = text;
        feed.lastSentAt = Date.now();
      } else if (Date.now() - feed.lastSentAt > HEARTBEAT_MS) {
        broadcast(feed, ': keep-alive\n\n');
        feed.lastSentAt = Date.now();
      }
      if (reading.end !== undefined) {
        broadcast(feed, `event: end\ndata: ${JSON.stringify(reading.end)}\n\n`);
        return endAll(feed);
      }
    } catch (error) {
      ctx.deps.logger.warn({ err: error, feed: source.key }, 'event feed failed');
      return endAll(feed);
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
 * Server-Sent Events from a shared feed: the latest reading at once, then each change. At most
 * API_MAX_EVENT_STREAMS_PER_KEY open streams per API key, all feeds together (429 beyond). A stream
 * lives no longer than what authorised it: it ends when its key is revoked (the key cache's NOTIFY),
 * when its console session is signed out, and when that session's time is up.
 */
export function openEventStream(ctx: HandlerContext, req: Request, res: Response, source: FeedSource): void {
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
  const feed = feeds.get(source.key) ?? startFeed(ctx, source);
  let closed = false;
  let expiry: NodeJS.Timeout | undefined;
  const session = ctx.principal.session;
  const listener: Listener = {
    keyId,
    ...(session ? { sessionId: session.id } : {}),
    write: (text) => {
      if (!closed) res.write(text);
    },
    end: () => {
      if (closed) return;
      closed = true;
      clearTimeout(expiry);
      openStreams.delete(listener);
      feed.listeners.delete(listener);
      const left = (streamsPerKey.get(keyId) ?? 1) - 1;
      if (left > 0) streamsPerKey.set(keyId, left);
      else streamsPerKey.delete(keyId);
      if (feed.listeners.size === 0) {
        clearTimeout(feed.timer);
        if (feeds.get(source.key) === feed) feeds.delete(source.key);
      }
      res.end();
    },
  };
  feed.listeners.add(listener);
  openStreams.add(listener);
  if (session) expiry = setTimeout(listener.end, Math.max(0, session.expiresAt - Date.now()));
  req.on('close', listener.end);
  if (feed.last) listener.write(feed.last);
}

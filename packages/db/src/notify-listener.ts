import pg from 'pg';

export type NotificationListener = {
  /** True while the LISTEN connection is up: only then has every notification been heard. */
  readonly live: boolean;
  close(): Promise<void>;
};

export type NotificationListenerOptions = {
  url: string;
  channel: string;
  onNotify(payload: string): void;
  /** Called when the connection drops (notifications may be missed until it is back). */
  onDown?(error: unknown): void;
  /** Called each time LISTEN is (re)established. */
  onLive?(): void;
  reconnectMs?: number;
};

/**
 * One dedicated connection that LISTENs on a channel and reconnects after a drop. `live` is false from
 * the drop until LISTEN is back, so a cache built on it knows when it may have missed a notification.
 */
export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`bad channel name ${options.channel}`);
  let client: pg.Client | undefined;
  let live = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const down = (error: unknown) => {
    const wasUp = client !== undefined;
    live = false;
    const old = client;
    client = undefined;
    old?.removeAllListeners();
    old?.on('error', () => undefined);
    void old?.end().catch(() => undefined);
    if (wasUp) options.onDown?.(error);
    if (!closed) {
      timer = setTimeout(() => void connect(), options.reconnectMs ?? 1_000);
      timer.unref();
    }
  };

  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({ connectionString: options.url });
    client = next;
    next.on('error', down);
    next.on('end', () => client === next && down(new Error('LISTEN connection ended')));
    next.on('notification', (msg) => {
      if (msg.channel === options.channel) options.onNotify(msg.payload ?? '');
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${options.channel}`);
      if (closed || client !== next) return;
      live = true;
      options.onLive?.();
    } catch (error) {
      if (client === next) down(error);
    }
  };

  void connect();
  return {
    get live() {
      return live;
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(timer);
      const old = client;
      client = undefined;
      old?.removeAllListeners();
      old?.on('error', () => undefined);
      await old?.end().catch(() => undefined);
    },
  };
}

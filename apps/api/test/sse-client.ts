import http from 'node:http';

export type SseEvent = { event: string; data: unknown };

/** A Server-Sent Events reader for tests: the status, every event so far, and a wait for the next match. */
export type SseStream = {
  status: number;
  events: SseEvent[];
  next(match: (event: SseEvent) => boolean): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
};

export function openSse(port: number, path: string, headers: Record<string, string>): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ port, path, headers }, (res) => {
      const ended = new Promise<void>((done) => res.once('end', () => done()));
      const events: SseEvent[] = [];
      const waiting: { match: (e: SseEvent) => boolean; got: (e: SseEvent) => void }[] = [];
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const parsed = { event, data: JSON.parse(data) as unknown };
          events.push(parsed);
          for (const w of [...waiting]) {
            if (!w.match(parsed)) continue;
            waiting.splice(waiting.indexOf(w), 1);
            w.got(parsed);
          }
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        next: (match) => {
          const seen = events.find(match);
          if (seen) return Promise.resolve(seen);
          return new Promise((got) => waiting.push({ match, got }));
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

import autocannon from 'autocannon';

/**
 * The API bench's load generator as a process of its own (autocannon, programmatic): its standard input is a JSON
 * `{url, paths?, authorization?, connections, seconds}` (a list of paths outgrows a command line). Without `paths` every request asks for `url`;
 * with `paths` the requests go round the list (a different device per request, as an MES polling a
 * line's units), so no read is served by a statement or a page another read just warmed. Prints one
 * line: the JSON summary `{rps, p50, p99, non2xx, errors}`.
 */
type Plan = {
  url: string;
  paths?: string[];
  authorization?: string;
  connections: number;
  seconds: number;
};

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const plan = JSON.parse(input) as Plan;
  const { paths } = plan;
  let next = 0;
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: plan.seconds,
    headers: plan.authorization ? { authorization: plan.authorization } : {},
    ...(paths && {
      requests: [
        {
          setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }),
        },
      ],
    }),
  });
  const summary = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

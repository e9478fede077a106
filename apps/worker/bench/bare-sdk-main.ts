import { bareSdkLoop, type BareLoopTarget } from './bare-sdk.js';

/**
 * The bare SDK loop as a process of its own (processes.ts `runBareLoopChild`): argv[2] is a JSON
 * `{target, connections, flows, template, warmupFlows}`; the result is printed as one line `bare-loop {json}`.
 */
async function main() {
  const { target, connections, flows, template, warmupFlows } = JSON.parse(process.argv[2] ?? '{}') as {
    target: BareLoopTarget;
    connections: number;
    flows: number;
    template: string;
    warmupFlows: number;
  };
  const result = await bareSdkLoop(target, connections, flows, template, warmupFlows);
  process.stdout.write(`bare-loop ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

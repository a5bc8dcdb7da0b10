/**
 * `npm run twin`: synthesizes the app for a platform config, runs what the templates say on this
 * machine (lambdas/twin), starts a release of the example service on its state machine as the webhook
 * Lambda would, and prints each state as it runs, every call a role was denied, every Lambda timeout,
 * and what the run left behind. Exit 0: the release finished SUCCEEDED; 1: it failed or stalled; 2: bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RunInput } from '../core/pipeline/contract.ts';
import { parseRunSpec } from '../core/webhook/runSpec.ts';
import { wallSleep } from './clock.ts';
import type { InvocationRecord } from './lambdaRunner.ts';
import { startTwin, TWIN_ROOT } from './TwinPlatform.ts';

const USAGE = `usage: npm run twin -- [--time-scale N] [--config platform.yml] [--service-dir dir] [--stall-seconds S]

  --time-scale N     the twin's clock runs N times faster than wall time (default 20; Lambda timeouts
                     are twin time too, so above ~20 a loaded machine may time functions out)
  --config FILE      the platform config to synthesize (default examples/platform.yml)
  --service-dir DIR  the service whose release runs (its .vouch.yml; default examples/orders)
   --stall-seconds S  wall seconds without a state change or pipeline Lambda call before the run counts as stalled (default 30)`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      'time-scale': { type: 'string', default: '20' },
      config: { type: 'string', default: `${TWIN_ROOT}examples/platform.yml` },
      'service-dir': { type: 'string', default: `${TWIN_ROOT}examples/orders` },
      'stall-seconds': { type: 'string', default: '30' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
}
try {
  args = parse();
} catch (error) {
  usage((error as Error).message);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const timeScale = Number(args.values['time-scale']);
const stallSeconds = Number(args.values['stall-seconds']);
if (!(timeScale >= 1)) usage(`--time-scale must be a number >= 1, got ${args.values['time-scale']}`);
if (!(stallSeconds > 0)) usage(`--stall-seconds must be a number > 0, got ${args.values['stall-seconds']}`);

let specText: string;
try {
  specText = readFileSync(`${args.values['service-dir']}/.vouch.yml`, 'utf8');
} catch (error) {
  usage(`cannot read ${args.values['service-dir']}/.vouch.yml: ${(error as Error).message}`);
}
const spec = parseRunSpec(specText);

const wallStart = performance.now();
const elapsed = () => `${((performance.now() - wallStart) / 1000).toFixed(1).padStart(6)} s`;
console.log(`${elapsed()}  synthesizing ${args.values.config} (cdk synth, in process, offline)`);
const timeouts: InvocationRecord[] = [];
let lastActivity = performance.now();
const twin = await startTwin({
  configFile: args.values.config,
  timeScale,
  onInvocation: (r) => {
    // The recurring bot schedules invoke all the time: only the pipeline's functions are progress.
    if (
      r.function.startsWith('Task') ||
      r.function.startsWith('WindowEnd') ||
      r.function.startsWith('AlarmEvent')
    )
      lastActivity = performance.now();
    if (r.error === 'Sandbox.Timedout') timeouts.push(r);
  },
});
console.log(
  `${elapsed()}  twin up: ${twin.lambdas.functions.size} Lambdas, ${twin.stepFunctions.machines.size} state machines, ${twin.scheduler.schedules.size} schedules, ${twin.cloudWatch.alarms.size} alarms, table ${twin.table.tableName}; clock x${timeScale}`,
);

const repo = `example-org/${spec.service}`;
const registered = await twin.builds.getService(spec.service);
if (!registered) {
  console.error(
    `${spec.service} is not in the platform config's services: the deploy registered none by that name`,
  );
  await twin.stop();
  process.exit(2);
}
console.log(
  `${elapsed()}  the deploy registered ${(await twin.builds.listServices()).map((s) => s.service).join(', ')} in the build table (the service registry custom resource)`,
);

const machine = twin.stepFunctions.machine(`vouch-${spec.pipe}`);
const commit = '1'.repeat(40);
const input: RunInput = {
  service: spec.service,
  team: spec.team,
  solution: spec.solution,
  repo,
  commit,
  branch: spec.trunk ?? 'main',
  execution: 'twin-release-1',
  pipe: spec.pipe,
  config: spec.config,
};
twin.scheduler.start();
twin.cloudWatch.startEvaluating();
const run = twin.stepFunctions.start(machine.arn, input.execution, input);
console.log(`${elapsed()}  release 1 of ${spec.service} (${commit.slice(0, 7)}) started on ${machine.name}`);

let printed = 0;
let stalled = false;
while (run.status === 'RUNNING') {
  await wallSleep(200);
  for (; printed < run.events.length; printed++) {
    const e = run.events[printed];
    lastActivity = performance.now();
    if (e?.type === 'StateEntered') console.log(`${elapsed()}  > ${e.state}`);
    if (e?.type === 'StateFailed')
      console.log(`${elapsed()}  x ${e.state}: ${e.error}: ${e.cause?.slice(0, 300)}`);
    if (e?.type === 'StateRetried') console.log(`${elapsed()}  ~ ${e.state} retried`);
  }
  if (performance.now() - lastActivity > stallSeconds * 1000) {
    stalled = true;
    break;
  }
}
console.log('');
if (stalled) {
  const waiting = twin.stepFunctions.pendingTokens.map((t) => t.state).join(', ') || 'nothing';
  run.abort();
  console.log(
    `STALLED: nothing happened for ${stallSeconds} s of wall time (${stallSeconds * timeScale} s of twin time); the run waits on: ${waiting}`,
  );
} else {
  console.log(`${run.status}${run.error ? `: ${run.error}: ${run.cause?.slice(0, 300)}` : ''}`);
}
const denied = twin.sdk.calls.filter((c) => c.outcome === 'AccessDeniedException');
for (const d of denied) console.log(`denied: ${d.function} ${d.service}:${d.command}`);
for (const t of timeouts) console.log(`timed out: ${t.function}: ${t.message}`);
const asyncFailures = new Map<string, number>();
for (const f of twin.lambdas.asyncFailures) {
  const key = `${f.function}: ${f.error}: ${f.message.replace(/\s+/g, ' ').slice(0, 200)}`;
  asyncFailures.set(key, (asyncFailures.get(key) ?? 0) + 1);
}
for (const [key, count] of asyncFailures)
  console.log(`async failure (x${count}, after Lambda's 2 retries): ${key}`);
await run.done.catch(() => undefined);
// The notify task's message goes SNS -> notifier Lambda -> Slack (the twin's slack.com) asynchronously:
// stop what fires on its own (bot schedules, alarm evaluation), then let the invocations in flight end.
twin.scheduler.stop();
twin.cloudWatch.stopEvaluating();
await twin.lambdas.settled();
for (const m of twin.slack.messages)
  console.log(`slack ${m.channel}: ${m.text.replace(/\s+/g, ' ').slice(0, 300)}`);
const leftovers = {
  instances: twin.ec2.liveInstances,
  schedules: [...twin.scheduler.schedules.values()].filter((s) => s.origin === 'api').map((s) => s.name),
  tokens: twin.stepFunctions.pendingTokens.map((t) => t.state),
};
console.log(`left behind: ${JSON.stringify(leftovers)}`);
await twin.stop();
console.log(`${elapsed()}  done`);
process.exit(!stalled && run.status === 'SUCCEEDED' ? 0 : 1);

/**
 * `npm run twin`: synthesizes the app for a platform config, runs what the templates say on this
 * machine (lambdas/twin), and plays the story's releases of the example service one after the other on
 * its state machine, as the webhook Lambda would start them (story.ts): 1, a first release; 2, promoted
 * through qa and prod in canary steps; 3, the faulty overlay, rolled back at a canary step. It prints
 * each state as it runs, each release's outcome with what runs where (the build table beside what the
 * load balancer serves), every call a role was denied, every Lambda timeout, and what the runs left
 * behind. Exit 0: every release finished SUCCEEDED and nothing was left; 1: otherwise; 2: bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseRunSpec } from '../core/webhook/runSpec.ts';
import { wallSleep } from './clock.ts';
import type { InvocationRecord } from './lambdaRunner.ts';
import {
  lastingBaseUrls,
  leftovers,
  nothingLeft,
  releaseInput,
  type StoryRelease,
  storyReleases,
  whereItRuns,
} from './story.ts';
import { startTwin, TWIN_ROOT } from './TwinPlatform.ts';

const USAGE = `usage: npm run twin -- [--time-scale N] [--config platform.yml] [--service-dir dir]
                     [--faulty-overlay dir] [--releases 1|2|3] [--stall-seconds S]

  --time-scale N        the twin's clock runs N times faster than wall time (default 10; Lambda timeouts
                        are twin time too: at 20 a task's 30 s is 1.5 s of wall time, which a loaded
                        machine's DynamoDB calls through the twin can exceed)
  --config FILE         the platform config to synthesize (default examples/platform.yml)
  --service-dir DIR     the service whose releases run (its .vouch.yml; default examples/orders)
  --faulty-overlay DIR  laid over the service's files for release 3 (default examples/orders-faulty)
  --releases N          how many of the story's releases to run (default 3)
  --stall-seconds S     wall seconds without a state change or pipeline Lambda call before a run counts as stalled (default 60; bake is one Lambda call of 8 twin minutes)`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      'time-scale': { type: 'string', default: '10' },
      config: { type: 'string', default: `${TWIN_ROOT}examples/platform.yml` },
      'service-dir': { type: 'string', default: `${TWIN_ROOT}examples/orders` },
      'stall-seconds': { type: 'string', default: '60' },
      'faulty-overlay': { type: 'string', default: `${TWIN_ROOT}examples/orders-faulty` },
      releases: { type: 'string', default: '3' },
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
const releaseCount = Number(args.values.releases);
if (![1, 2, 3].includes(releaseCount)) usage(`--releases must be 1, 2 or 3, got ${args.values.releases}`);
if (!(stallSeconds > 0)) usage(`--stall-seconds must be a number > 0, got ${args.values['stall-seconds']}`);

let specText: string;
try {
  specText = readFileSync(`${args.values['service-dir']}/.vouch.yml`, 'utf8');
} catch (error) {
  usage(`cannot read ${args.values['service-dir']}/.vouch.yml: ${(error as Error).message}`);
}
const spec = parseRunSpec(specText);

const releases = storyReleases(
  args.values['service-dir'] as string,
  args.values['faulty-overlay'] as string,
).slice(0, releaseCount);

const wallStart = performance.now();
const elapsed = () => `${((performance.now() - wallStart) / 1000).toFixed(1).padStart(6)} s`;
console.log(`${elapsed()}  synthesizing ${args.values.config} (cdk synth, in process, offline)`);
const timeouts: InvocationRecord[] = [];
let lastActivity = performance.now();
const twin = await startTwin({
  configFile: args.values.config,
  commitSources: new Map(releases.map((r) => [r.commit, r.sources])),
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
const baseUrls = lastingBaseUrls(args.values.config as string, spec.service);
twin.scheduler.start();
twin.cloudWatch.startEvaluating();

/** A Lambda error's message from the cause Step Functions keeps (`{"errorType", "errorMessage", ...}`). */
function messageOf(cause: string | undefined): string {
  try {
    return String((JSON.parse(cause ?? '') as { errorMessage?: unknown }).errorMessage ?? cause);
  } catch {
    return cause ?? '';
  }
}

/** Runs one release to its end (or a stall), printing one line per state. */
async function runRelease(release: StoryRelease) {
  const input = releaseInput(spec, release, repo);
  const run = twin.stepFunctions.start(machine.arn, input.execution, input);
  console.log(
    `${elapsed()}  release ${release.number} of ${spec.service} (${release.commit.slice(0, 7)}, ${release.expected}) started on ${machine.name}`,
  );
  let printed = 0;
  let stalled = false;
  lastActivity = performance.now();
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
  let outcome: string;
  if (stalled) {
    const waiting = twin.stepFunctions.pendingTokens.map((t) => t.state).join(', ') || 'nothing';
    run.abort();
    outcome = `STALLED: nothing happened for ${stallSeconds} s of wall time (${stallSeconds * timeScale} s of twin time); the run waits on: ${waiting}`;
  } else {
    outcome = `${run.status}${run.error ? `: ${run.error}: ${messageOf(run.cause).slice(0, 300)}` : ''}`;
  }
  await run.done.catch(() => undefined);
  const where = (await whereItRuns(twin, spec.service, baseUrls))
    .map((w) => `${w.environment} v${w.recorded ?? '-'} (serving ${w.served ?? 'nothing'})`)
    .join(', ');
  return { release, succeeded: !stalled && run.status === 'SUCCEEDED', line: `${outcome}; where: ${where}` };
}

const outcomes = [];
for (const release of releases) {
  const outcome = await runRelease(release);
  outcomes.push(outcome);
  console.log(`${elapsed()}  release ${release.number}: ${outcome.line}`);
  console.log('');
}

for (const o of outcomes) console.log(`release ${o.release.number} (${o.release.expected}): ${o.line}`);
const denied = twin.sdk.calls.filter((c) => c.outcome === 'AccessDeniedException');
for (const d of denied) console.log(`denied: ${d.function} ${d.service}:${d.command}`);
const timedOut = new Map<string, number>();
for (const t of timeouts)
  timedOut.set(`${t.function}: ${t.message}`, (timedOut.get(`${t.function}: ${t.message}`) ?? 0) + 1);
for (const [key, count] of timedOut) console.log(`timed out (x${count}): ${key}`);
const asyncFailures = new Map<string, number>();
for (const f of twin.lambdas.asyncFailures) {
  const key = `${f.function}: ${f.error}: ${f.message.replace(/\s+/g, ' ').slice(0, 200)}`;
  asyncFailures.set(key, (asyncFailures.get(key) ?? 0) + 1);
}
for (const [key, count] of asyncFailures)
  console.log(`async failure (x${count}, after Lambda's 2 retries): ${key}`);
// The notify task's message goes SNS -> notifier Lambda -> Slack (the twin's slack.com) asynchronously:
// stop what fires on its own (bot schedules, alarm evaluation), then let the invocations in flight end.
twin.scheduler.stop();
twin.cloudWatch.stopEvaluating();
await twin.lambdas.settled();
for (const m of twin.slack.messages)
  console.log(`slack ${m.channel}: ${m.text.replace(/\s+/g, ' ').slice(0, 300)}`);
const albRequests = twin.cloudWatch.data.filter(
  (d) => d.namespace === 'AWS/ApplicationELB' && d.name === 'RequestCount',
).length;
console.log(
  `load balancer: ${albRequests} requests served to instances, published as AWS/ApplicationELB metrics`,
);
const left = await leftovers(twin, spec.service, Object.keys(baseUrls));
console.log(`left behind: ${JSON.stringify(left)}`);
await twin.stop();
console.log(`${elapsed()}  done`);
process.exit(outcomes.every((o) => o.succeeded) && nothingLeft(left) ? 0 : 1);

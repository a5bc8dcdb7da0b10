/**
 * `npm run twin`: synthesizes the app for a platform config, runs what the templates say on this
 * machine (lambdas/twin), and plays the story's releases of an example service (orders, the EC2
 * flavour, or with `--service orders-fn` the Lambda flavour) one after the other on its state machine,
 * as the webhook Lambda would start them (story.ts, `playStory`): 1, a first release; 2, promoted
 * through qa and prod in canary steps; 3, the faulty overlay, rolled back at a canary step. It prints
 * each state as it runs, each release's outcome with what runs where (the build table beside what the
 * lasting environment serves), the canary weights the load balancer or the function's aliases were
 * given, the Slack messages, every call a role was denied, every Lambda timeout, and what the runs left
 * behind.
 * Exit 0: every release ended as the story expects, no call was denied and nothing was left; 1:
 * otherwise; 2: bad usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseRunSpec } from '../core/webhook/runSpec.ts';
import { describeOutcome, playStory, STORY_DEFAULTS, STORY_SPECS } from './story.ts';

const USAGE = `usage: npm run twin -- [--service orders|orders-fn] [--time-scale N] [--config platform.yml]
                     [--spec .vouch.yml] [--service-dir dir] [--faulty-overlay dir] [--releases 1|2|3]
                     [--stall-seconds S]

  --service NAME        the example service whose story plays: orders (default; ec2-canary, the spec
                        lambdas/twin/story.vouch.yml) or orders-fn (lambda-canary, the spec
                        lambdas/twin/story-fn.vouch.yml); --spec overrides the spec
  --time-scale N        the twin's clock runs N times faster than wall time (default ${STORY_DEFAULTS.timeScale}; Lambda
                        timeouts are twin time too: at 15 a task's 30 s is 2 s of wall time)
  --config FILE         the platform config to synthesize (default examples/platform.yml)
  --spec FILE           the service's .vouch.yml the runs carry (default the --service's: the example's
                        pipe with windows sized for AWS's 60 s metric periods)
  --service-dir DIR     the service's source, every release (default examples/orders)
  --faulty-overlay DIR  laid over the service's files for release 3 (default examples/orders-faulty)
  --bot-rate-scale F    the platform config's bot rates times F (default ${STORY_DEFAULTS.botRateScale}; 1 runs them as written)
  --releases N          how many of the story's releases to run (default 3)
  --stall-seconds S     wall seconds without a state change or pipeline Lambda call before a run counts
                        as stalled (default ${STORY_DEFAULTS.stallSeconds})`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      'time-scale': { type: 'string', default: String(STORY_DEFAULTS.timeScale) },
      config: { type: 'string', default: STORY_DEFAULTS.configFile },
      service: { type: 'string', default: 'orders' },
      spec: { type: 'string' },
      'service-dir': { type: 'string', default: STORY_DEFAULTS.serviceDir },
      'stall-seconds': { type: 'string', default: String(STORY_DEFAULTS.stallSeconds) },
      'faulty-overlay': { type: 'string', default: STORY_DEFAULTS.faultyOverlay },
      releases: { type: 'string', default: String(STORY_DEFAULTS.releases) },
      'bot-rate-scale': { type: 'string', default: String(STORY_DEFAULTS.botRateScale) },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
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
const releases = Number(args.values.releases);
const botRateScale = Number(args.values['bot-rate-scale']);
if (!(botRateScale > 0)) usage(`--bot-rate-scale must be a number > 0, got ${args.values['bot-rate-scale']}`);
if (!(timeScale >= 1)) usage(`--time-scale must be a number >= 1, got ${args.values['time-scale']}`);
if (![1, 2, 3].includes(releases)) usage(`--releases must be 1, 2 or 3, got ${args.values.releases}`);
if (!(stallSeconds > 0)) usage(`--stall-seconds must be a number > 0, got ${args.values['stall-seconds']}`);
const service = args.values.service as string;
const serviceSpec = STORY_SPECS[service];
if (serviceSpec === undefined)
  usage(`--service must be one of ${Object.keys(STORY_SPECS).join(', ')}, got ${service}`);
const specFile = (args.values.spec as string | undefined) ?? serviceSpec;
for (const key of ['config', 'service-dir', 'faulty-overlay'] as const)
  if (!existsSync(args.values[key] as string)) usage(`--${key}: ${args.values[key]} does not exist`);
if (!existsSync(specFile)) usage(`--spec: ${specFile} does not exist`);

try {
  parseRunSpec(readFileSync(specFile, 'utf8'));
} catch (error) {
  usage(`--spec ${specFile}: ${(error as Error).message}`);
}

const started = performance.now();
const result = await playStory({
  configFile: args.values.config as string,
  specFile,
  serviceDir: args.values['service-dir'] as string,
  faultyOverlay: args.values['faulty-overlay'] as string,
  releases,
  botRateScale,
  timeScale,
  stallSeconds,
  log: (line) => console.log(line),
});

console.log('');
for (const o of result.releases)
  console.log(`release ${o.release.number} (${o.release.expected}): ${describeOutcome(o)}`);
const steps = new Map<string, number[]>();
for (const w of result.weights) {
  const key = `release ${w.release} ${w.environment}`;
  steps.set(key, [...(steps.get(key) ?? []), w.canaryPercent]);
}
for (const [key, percents] of steps)
  console.log(`canary weight, ${key}: ${percents.map((p) => `${p} %`).join(' -> ')}`);
for (const d of result.denied) console.log(`denied: ${d}`);
const timedOut = new Map<string, number>();
for (const t of result.timeouts)
  timedOut.set(`${t.function}: ${t.message}`, (timedOut.get(`${t.function}: ${t.message}`) ?? 0) + 1);
for (const [key, count] of timedOut) console.log(`timed out (x${count}): ${key}`);
const asyncFailures = new Map<string, number>();
for (const f of result.asyncFailures) asyncFailures.set(f, (asyncFailures.get(f) ?? 0) + 1);
for (const [key, count] of asyncFailures)
  console.log(`async failure (x${count}, after Lambda's 2 retries): ${key}`);
for (const m of result.slack) console.log(`slack ${m.channel}: ${m.text.replace(/\s+/g, ' ').slice(0, 400)}`);
console.log(
  `load balancer: ${result.albRequests} requests served to instances, published as AWS/ApplicationELB metrics`,
);
console.log(
  `Lambda services: ${result.served.length} requests served by their functions' versions, published as AWS/Lambda metrics`,
);
console.log(`left behind: ${JSON.stringify(result.leftovers)}`);
console.log(
  `${result.played ? 'the story played' : 'the story did not play'} in ${((performance.now() - started) / 1000).toFixed(1)} s of wall time at x${timeScale}`,
);
process.exit(result.played ? 0 : 1);

/**
 * What `vouch --help` and `vouch <command> --help` print: each command's name, summary and usage, as
 * static text. The command table (scripts/vouch.ts) lists and documents every command from here and
 * loads the module that runs one only when it runs, so a command does not start by loading every
 * other command's dependencies (AWS SDK clients, dynalite, the local platform). The defaults a usage
 * text states are defined here too, and the commands use them, so text and behaviour cannot differ.
 */
import { FLAVOURS, SPEC_FILE } from '../../lambdas/core/spec/names.ts';
import type { CommandHelp } from './types.ts';

/** Where the one-machine target journals the resources it creates (`<dataDir>/resources.jsonl`). */
export const DEFAULT_RESOURCE_JOURNAL = '.vouch/target/resources.jsonl';
/** The window `vouch cost` prices without --days. */
export const DEFAULT_COST_DAYS = 30;

/** The shell line that installs a git post-commit hook running `vouch trigger` on every commit. */
export const POST_COMMIT_HOOK = `printf '#!/bin/sh\\nvouch trigger >/dev/null 2>&1 &\\n' > .git/hooks/post-commit && chmod +x .git/hooks/post-commit`;

const TRIGGER_USAGE = `Usage: vouch trigger [--url URL] [--secret SECRET] [--platform FILE]
       vouch trigger --remote [--state-machine ARN]

Starts the pipeline for the current commit (HEAD) of the git repository in this directory.

Local (default): posts a GitHub-style push, signed with HMAC-SHA256 (X-Hub-Signature-256) like GitHub
does, to the local platform's webhook endpoint, which checks it exactly as it checks GitHub.
  --url URL          endpoint (default: webhookUrl in .vouch/platform.json, found from here upwards)
  --secret SECRET    webhook secret (default: env VOUCH_WEBHOOK_SECRET, else the file named by
                     webhookSecretFile in .vouch/platform.json)
  --platform FILE    the platform file (default: the nearest .vouch/platform.json)

Remote: starts the AWS execution through Step Functions StartExecution with your AWS credentials.
  --remote
  --state-machine ARN  the pipe's state machine (default: env VOUCH_STATE_MACHINE_ARN)

Run on every commit, from a git post-commit hook (in the service repo):
  ${POST_COMMIT_HOOK}

Exit codes: 0 a run started (or the push's run already exists); 1 the endpoint refused the push,
started nothing (another branch, say) or could not be reached; 2 bad usage or a repository that cannot
be triggered (no git, no commit, no .vouch.yml).`;

const DASHBOARD_USAGE = [
  'Usage: vouch dashboard [--port N] [--aws [--stack Vouch] [--outputs cdk-outputs.json]]',
  '',
  'Serves the dashboard on http://127.0.0.1:<port>/ until Ctrl-C: services and the version in each',
  'environment, executions drawn as they ran, live verification windows, rolled-back releases with',
  'their evidence, cost, and the promote / abort / rollback buttons.',
  'Without --aws: the local platform (npm start) found from this directory, or .vouch/data read-only.',
  'With --aws: the deployed stack (outputs from `npx cdk deploy --outputs-file cdk-outputs.json`, or',
  'VOUCH_BUILD_TABLE and VOUCH_CONTROL_URL) with your AWS credentials; the buttons call its control',
  'endpoint, which needs the ControlOperatorPolicyArn policy.',
  'Exit codes: 0 stopped by Ctrl-C, 1 could not serve, 2 bad usage.',
].join('\n');

export const validateHelp: CommandHelp = {
  name: 'validate',
  summary: 'check a .vouch.yml and the ASL its pipe compiles to',
  usage: `vouch validate [file]

Checks the file (default ./.vouch.yml; a folder means its .vouch.yml) against the schema and
compiles its pipe.
Every problem is printed as file:line:column: path: what was expected.
Exit codes: 0 valid, 2 invalid or not found.`,
};

export const showHelp: CommandHelp = {
  name: 'show',
  summary: "print this service's pipe (or a shipped flavour's) as a graph (Mermaid) or as its ASL",
  usage: `vouch show [--pipe <flavour>] [--asl] [--run-to T | --run-task T] [file]

Prints the pipe of the service you are in (the nearest ${SPEC_FILE} from here upwards, or [file])
as a Mermaid flowchart: its own environments (qa, prod) and canary steps (20 %, 50 %, 100 %).
--pipe <flavour> prints a shipped flavour instead, generically: ${FLAVOURS.join(', ')}.
Paste the output in a Markdown file or https://mermaid.live to see it.
--asl prints the compiled Amazon States Language instead (the same for every service of a flavour).
Exit codes: 0 printed, 2 no ${SPEC_FILE} found, invalid, or an unknown flavour or task.`,
};

export const runHelp: CommandHelp = {
  name: 'run',
  summary: "run this repository's pipe here, on the local platform",
  usage: `vouch run [--run-to T] [--run-task T] [--mock] [--fail T]... [--commit SHA] [dir]

Runs the pipe of <dir>/.vouch.yml (default: the current directory) on this machine.
  --run-to T     stop after task T (first and last still run)
  --run-task T   run task T alone
  --mock         replace every task by a recorder and print the order the tasks ran in
  --fail T       with --mock: make task T fail (to see what runs after a failure)
  --commit SHA   the commit to build (default: the directory's git HEAD)
A directory without .vouch.yml is not a Vouch service: it is skipped with a one-line reason.
Exit codes: 0 the run SUCCEEDED, 1 it FAILED, 2 bad usage or spec.`,
};

export const triggerHelp: CommandHelp = {
  name: 'trigger',
  summary: 'Start the pipeline for the current commit (signed push to the local webhook, or --remote on AWS)',
  usage: TRIGGER_USAGE,
};

export const statusHelp: CommandHelp = {
  name: 'status',
  summary: 'what runs where, the runs in progress and the open windows of a service',
  usage:
    'vouch status [service] [--json] [--aws [--stack Vouch]]\n\nAsks the running local platform (npm start); with --aws, reads the deployed build table (what runs where and the runs in progress, one Query per read).\nExit codes: 0 ok, 1 no platform (or the table could not be read), 2 bad usage, no stack or an unknown service.',
};

export const promoteHelp: CommandHelp = {
  name: 'promote',
  summary: 'close the open verification window now (skip the rest of the wait; the evidence still decides)',
  usage:
    'vouch promote <service> [--environment E] [--json] [--aws [--stack Vouch]]\n\nThe verdict uses the evidence gathered so far: too few bot samples still fails it.\nExit codes: 0 closed, 1 no open window, 2 an unknown service or environment.',
};

export const abortHelp: CommandHelp = {
  name: 'abort',
  summary: "stop a service's runs: they fail at their window, roll back and clean up",
  usage:
    'vouch abort <service> [--json] [--aws [--stack Vouch]]\n\nExit codes: 0 aborted, 1 no run in progress, 2 an unknown service.',
};

export const rollbackHelp: CommandHelp = {
  name: 'rollback',
  summary: "fast-track: take all traffic off an environment's canary at once",
  usage:
    'vouch rollback <service> <environment> [--json] [--aws [--stack Vouch]]\n\nExit codes: 0 rolled back, 1 no canary was running, 2 an unknown service or environment.',
};

export const historyHelp: CommandHelp = {
  name: 'history',
  summary: 'Builds of a service, newest first (no service: every registered service and its latest version)',
  usage: [
    'Usage: vouch history [service] [--limit N] [--cursor C] [--swept] [--aws [--stack Vouch]]',
    '',
    'With a service: its builds newest first, one page (default 20); pass the printed cursor for more.',
    'With --swept: what the last sweeps (default 5; --limit N) removed of the service instead: leftovers',
    'of ended runs, images beyond the newest N. Each is one Query.',
    'Without: every registered service with its team and latest version.',
  ].join('\n'),
};

export const eventsHelp: CommandHelp = {
  name: 'events',
  summary: 'Events of one build in order: run, task start/done, promotions',
  usage: [
    'Usage: vouch events <service> <version> [--full] [--aws [--stack Vouch]]',
    '',
    'Version as a number, with or without a leading v (42 or v42).',
    'Reports and evidence are cut to one line each; --full prints each one whole, indented, below its event.',
  ].join('\n'),
};

export const whereHelp: CommandHelp = {
  name: 'where',
  summary: 'What version of a service runs in each environment',
  usage: 'Usage: vouch where <service> [--aws [--stack Vouch]]',
};

export const costHelp: CommandHelp = {
  name: 'cost',
  summary: 'print the cost ESTIMATE of a team on this machine, per service and environment',
  usage: `vouch cost [--team T] [--days N] [--journal FILE]
       vouch cost --aws --team T [--days N] [--stack Vouch]

Prices what the one-machine target ran (service processes, environments, images) over the last N days
(default ${DEFAULT_COST_DAYS}) with the documented AWS on-demand price table, and prints one row per team,
service, solution and environment, most expensive first, then the total.
This is an ESTIMATE, not a bill: on AWS the daily collector reads the real cost from Cost Explorer and
the team dashboard (vouch-cost-<team>) shows it.

  --team T        only team T (default: every team)
  --days N        window in days, a positive integer (default ${DEFAULT_COST_DAYS})
  --journal FILE  resource journal to price (default ${DEFAULT_RESOURCE_JOURNAL}, or $VOUCH_RESOURCE_JOURNAL)
  --aws           the deployed platform instead: team T's cost per service and environment over the
                  last N UTC days as the daily collector recorded it from Cost Explorer (one Query of
                  the team's cost items in the build table); --team is required

Exit codes: 0 printed, 1 the deployed table could not be read, 2 bad usage, no stack or an unknown team.`,
};

export const judgeHelp: CommandHelp = {
  name: 'judge',
  summary: 'judge canary vs baseline on your own per-period metrics (one verdict per case)',
  usage: `vouch judge [FILE|-]

Runs the canary judge on cases read from FILE, or from standard input with - (the default):
one case as JSON, or many as JSON Lines, each
  { "config": <the .vouch.yml canary section>, "baseline": [period, ...], "canary": [period, ...] }
with period { "start": "<ISO time>", "requests": n, "errors": n, "latencyMs": { "p50": x, "p90": y, "p99": z } }
as CloudWatch gives them per slot (a period without traffic is simply absent).
Prints one verdict per case as JSON Lines, in order, each with a top-level "outcome" (PASS, FAIL or
INCONCLUSIVE) and the numbers of every signal. A bad case prints nothing for any case: every problem
is named by its line, and the exit code is 2.

Exit codes: 0 no case failed, 1 a case's verdict is FAIL, 2 bad usage or input.`,
};

export const dashboardHelp: CommandHelp = {
  name: 'dashboard',
  summary: 'serve the web dashboard on 127.0.0.1 (local platform, or --aws for the deployed one)',
  usage: DASHBOARD_USAGE,
};

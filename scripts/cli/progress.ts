import type { HistoryEntry } from '../../lambdas/adapters/local/engine.ts';

/** Prints an execution's history as it happens: one line per state that finishes, waits or fails. */
export function progressPrinter(out: (line: string) => void, prefix = ''): (entry: HistoryEntry) => void {
  return (entry) => {
    const where = entry.where ? ` [${entry.where}]` : '';
    const took = entry.durationMs !== undefined ? ` ${formatDuration(entry.durationMs)}` : '';
    switch (entry.kind) {
      case 'started':
        out(`${prefix}▶ started`);
        break;
      case 'entered':
        // Waiting states say so when they start; everything else is reported when it ends.
        if (entry.stateType === 'Map' || entry.stateType === 'Parallel')
          out(`${prefix}┌ ${entry.state}${where}`);
        else if (/verify|pause/.test(entry.state ?? ''))
          out(`${prefix}… ${entry.state}${where}: window open`);
        break;
      case 'succeeded':
        if (entry.stateType === 'Task' || entry.stateType === 'Map' || entry.stateType === 'Parallel') {
          out(`${prefix}${entry.stateType === 'Task' ? '✓' : '└'} ${entry.state}${where}${took}`);
        }
        break;
      case 'failed':
        if (entry.stateType !== 'Fail') {
          out(`${prefix}✗ ${entry.state}${where}${took}: ${describeFailure(entry.error, entry.cause)}`);
        }
        break;
      case 'retried':
        out(`${prefix}↻ ${entry.state}${where}: retrying`);
        break;
      case 'caught':
        out(`${prefix}↳ ${entry.state}${where}: failure caught, running cleanup`);
        break;
      case 'finished':
        out(`${prefix}■ ${entry.status}${entry.error ? `: ${entry.error}` : ''}`);
        break;
    }
  };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const ERROR_WORDS: Readonly<Record<string, string>> = {
  CanaryStepFailed: 'the canary judge failed the step',
  VerificationFailed: 'the verification window failed',
  Aborted: 'aborted by a person',
  ManualRollback: 'rolled back by a person',
  LockHeld: 'another run holds the deploy lock',
};

/**
 * A failed state's error and cause as a sentence: the cause's own summary or reason (every Vouch task
 * error carries one in its JSON), never a cut-off JSON object.
 */
export function describeFailure(error: string | undefined, cause: string | undefined): string {
  const what = (error && ERROR_WORDS[error]) ?? error ?? 'failed';
  if (!cause) return what;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return `${what}: ${shorten(cause)}`;
  }
  const fields = (parsed ?? {}) as Record<string, unknown>;
  const verdict = (fields.verdict ?? {}) as Record<string, unknown>;
  const reason = [fields.reason, fields.summary, verdict.summary, fields.errorMessage].find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  if (reason) return `${what}: ${shorten(reason)}`;
  return `${what}: ${shorten(cause)}`;
}

function shorten(text: string, max = 240): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

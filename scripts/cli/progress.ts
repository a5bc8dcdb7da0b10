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
          out(
            `${prefix}✗ ${entry.state}${where}${took}: ${entry.error}${entry.cause ? `: ${shorten(entry.cause)}` : ''}`,
          );
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

function shorten(text: string, max = 240): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * The one-machine target's record of every resource it created, with its tags. Kept in memory and
 * appended to `<dataDir>/resources.jsonl`, so `vouch cost` in another process can price the same
 * records (lambdas/core/cost/localEstimate.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ResourceRecord } from '../../../core/target/port.ts';

type JournalLine = { op: 'create'; record: ResourceRecord } | { op: 'end'; id: string; endedAt: string };

export class ResourceJournal {
  private readonly records = new Map<string, ResourceRecord>();

  /** `file` undefined keeps the records in memory only. */
  constructor(private readonly file: string | undefined) {
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  create(record: ResourceRecord): void {
    if (this.records.has(record.id)) return;
    this.records.set(record.id, record);
    this.append({ op: 'create', record });
  }

  end(id: string, endedAt: string): void {
    const record = this.records.get(id);
    if (!record || record.endedAt) return;
    this.records.set(id, { ...record, endedAt });
    this.append({ op: 'end', id, endedAt });
  }

  all(): readonly ResourceRecord[] {
    return [...this.records.values()];
  }

  private append(line: JournalLine): void {
    // Synchronous and one line at a time: a crash loses at most the line being written.
    if (this.file) appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

/** Replays a journal file: the records as the target last knew them (first create of an id wins). */
export function readResourceJournal(file: string): ResourceRecord[] {
  if (!existsSync(file)) return [];
  const records = new Map<string, ResourceRecord>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(text) as JournalLine;
    } catch {
      continue; // A torn last line from a crash.
    }
    if (line.op === 'create' && !records.has(line.record.id)) records.set(line.record.id, line.record);
    if (line.op === 'end') {
      const record = records.get(line.id);
      if (record && !record.endedAt) records.set(line.id, { ...record, endedAt: line.endedAt });
    }
  }
  return [...records.values()];
}

/**
 * What the sweeper removed of a service, kept in the service's partition as events are.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { checkSize, parseIso } from '../../../core/builds/model.ts';
import type { ServiceSweepRecord } from '../../../core/sweeper/sweep.ts';
import { keys } from '../keys.ts';
import { BUILD_TABLE_SCHEMA } from '../tableSchema.ts';
import { compact } from './items.ts';
import type { BuildTable } from './table.ts';

export class SweepRecords {
  constructor(private readonly table: BuildTable) {}

  /** What a sweep removed of a service (a SWEPT record in the service's partition, kept as events are). */
  async recordSweep(record: ServiceSweepRecord): Promise<void> {
    const at = parseIso(record.at, 'sweep time') ?? record.at;
    // DynamoDB's item limit is 400 KB; a sweep records tens of items.
    checkSize('sweep record', record, 350_000);
    await this.table.call('recordSweep', () =>
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...compact({ ...record, at, kind: 'SWEPT' }),
            pk: keys.service(record.service).pk,
            sk: keys.sweptSk(at),
            [BUILD_TABLE_SCHEMA.timeToLiveAttribute]:
              Math.floor(Date.parse(at) / 1000) + this.table.eventTtlSeconds,
          },
        }),
      ),
    );
  }

  /** A service's sweeps, newest first (one Query). */
  async listSweeps(service: string, limit = 5): Promise<ServiceSweepRecord[]> {
    const pk = keys.service(service).pk;
    const out = await this.table.call('listSweeps', () =>
      this.table.db.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'SWEPT#' },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map((item) => ({
      service: String(item.service),
      at: String(item.at),
      removed: (item.removed ?? []) as ServiceSweepRecord['removed'],
      failed: (item.failed ?? []) as ServiceSweepRecord['failed'],
    }));
  }
}

import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type CostItem, costItemKey } from '../../../core/cost/costItem.ts';
import { CostSinkError } from '../../../core/cost/errors.ts';
import type { CostLedger, RecordedCost } from '../../../core/cost/ports.ts';

export interface DynamoCostLedgerOptions {
  readonly tableName: string;
  /** Partition key attribute of the build data table. @default 'pk' */
  readonly partitionKey?: string;
  /** Sort key attribute of the build data table. @default 'sk' */
  readonly sortKey?: string;
  /** Puts in flight at once. @default 10 */
  readonly concurrency?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Cost items in the build data table under the `COST#` key space (see core/cost/costItem.ts).
 * One PutItem per item with ReturnValues ALL_OLD: the overwrite and the read of what it replaced are
 * one atomic call, so the metric delta is right even if two collectors overlap. BatchWriteItem
 * would be fewer calls but returns no old values.
 */
export function dynamoCostLedger(doc: DynamoDBDocumentClient, options: DynamoCostLedgerOptions): CostLedger {
  const pkName = options.partitionKey ?? 'pk';
  const skName = options.sortKey ?? 'sk';
  const concurrency = options.concurrency ?? 10;
  const now = options.now ?? (() => new Date());

  const recordOne = async (item: CostItem, collectedAt: string): Promise<RecordedCost> => {
    const key = costItemKey(item);
    try {
      const result = await doc.send(
        new PutCommand({
          TableName: options.tableName,
          Item: { ...item, [pkName]: key.pk, [skName]: key.sk, entity: 'cost', collectedAt },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const previous = result.Attributes?.amount;
      return { key, previousAmount: typeof previous === 'number' ? previous : undefined };
    } catch (error) {
      throw new CostSinkError(`Could not record cost item ${key.pk} ${key.sk} in ${options.tableName}`, {
        cause: error,
      });
    }
  };

  return {
    async record(items) {
      const collectedAt = now().toISOString();
      const recorded: RecordedCost[] = new Array(items.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < items.length) {
          const index = next++;
          const item = items[index];
          if (item !== undefined) recorded[index] = await recordOne(item, collectedAt);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
      return recorded;
    },
  };
}

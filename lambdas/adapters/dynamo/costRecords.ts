/**
 * The cost collector's items read back from the build data table (core/cost/costItem.ts): a team's
 * cost per day, service and environment over a range of days is one Query on its `COST#TEAM#<team>`
 * partition (pages only past DynamoDB's 1 MB per response), never a Scan.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { type ServiceCostItem, teamCostRange } from '../../core/cost/costItem.ts';
import { CostReadError } from '../../core/cost/errors.ts';

export interface TeamCostQuery {
  readonly team: string;
  /** First and last UTC day, `yyyy-mm-dd`, both included. */
  readonly from: string;
  readonly to: string;
}

export async function readTeamCost(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
  query: TeamCostQuery,
): Promise<ServiceCostItem[]> {
  const doc = client instanceof DynamoDBClient ? DynamoDBDocumentClient.from(client) : client;
  const range = teamCostRange(query.team, query.from, query.to);
  const items: ServiceCostItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (error) {
      throw new CostReadError(`Could not read the cost of team ${query.team} from ${tableName}`, {
        cause: error,
      });
    }
    for (const item of page.Items ?? []) {
      items.push({
        kind: 'service',
        day: String(item.day),
        team: String(item.team),
        service: String(item.service),
        environment: String(item.environment),
        amount: Number(item.amount),
        unit: String(item.unit),
        estimated: item.estimated === true,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

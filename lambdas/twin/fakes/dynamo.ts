/**
 * DynamoDB on the twin is dynalite: every call a Lambda makes is authorised on the table's ARN (and
 * index ARN for index queries) and then sent, unchanged, to dynalite through a client the twin owns
 * (a document client keeps the marshalling options of the handler's own).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoClient } from '../../adapters/local/dynalite.ts';
import { UnmodelledCallError } from '../errors.ts';
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake, TwinSdk } from '../sdk.ts';
import { TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

/** Document client commands -> the DynamoDB API action they call. */
const DOCUMENT_ACTIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  Query: 'Query',
  Scan: 'Scan',
};

const tableArn = (table: unknown) =>
  `arn:${TWIN_PARTITION}:dynamodb:${TWIN_REGION}:${TWIN_ACCOUNT}:table/${String(table)}`;

export function dynamoFake(sdk: TwinSdk, endpoint: string): ServiceFake {
  const documentClients = new WeakMap<object, DynamoDBDocumentClient>();
  const raw = sdk.own(localDynamoClient(endpoint));
  return {
    authorization(command, input) {
      const action = DOCUMENT_ACTIONS[command] ?? command;
      const on = (a: string, table: unknown, index?: unknown): AuthorizationRequest => ({
        action: `dynamodb:${a}`,
        resource: index ? `${tableArn(table)}/index/${String(index)}` : tableArn(table),
      });
      switch (action) {
        case 'BatchGetItem':
        case 'BatchWriteItem':
          return Object.keys(input.RequestItems as object).map((t) => on(action, t));
        case 'TransactWriteItems':
        case 'TransactGetItems':
          // Each item is authorised as its own action (DynamoDB API reference, TransactWriteItems).
          return (input.TransactItems as Record<string, { TableName: string }>[]).flatMap((item) =>
            Object.entries(item).map(([kind, op]) =>
              on(
                kind === 'ConditionCheck' ? 'ConditionCheckItem' : kind === 'Get' ? 'GetItem' : `${kind}Item`,
                op.TableName,
              ),
            ),
          );
        default:
          return [on(action, input.TableName, input.IndexName)];
      }
    },
    async handle(_command, _input, { command, client }) {
      if (client instanceof DynamoDBDocumentClient) {
        let doc = documentClients.get(client);
        if (doc === undefined) {
          const translateConfig = (client.config as { translateConfig?: object }).translateConfig;
          // One raw client per document client: the document client writes its options on it.
          doc = sdk.own(DynamoDBDocumentClient.from(sdk.own(localDynamoClient(endpoint)), translateConfig));
          documentClients.set(client, doc);
        }
        return doc.send(command as never);
      }
      if (client instanceof DynamoDBClient) return raw.send(command as never);
      throw new UnmodelledCallError('dynamodb', _command, `from a ${client.constructor.name}`);
    },
  };
}

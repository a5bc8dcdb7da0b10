/**
 * S3 on the twin: the templates' AWS::S3::Bucket resources as folders of a temp directory, one file
 * per object (the key is the relative path). Calls are authorised as S3 authorises them (Service
 * Authorization Reference, Amazon S3): object actions on `arn:aws:s3:::<bucket>/<key>`, ListObjectsV2 as
 * `s3:ListBucket` on the bucket with its `s3:prefix`, HeadObject as `s3:GetObject`, DeleteObjects as
 * `s3:DeleteObject` per key. No Lambda constructs an S3 client today: the callers are the CodeBuild
 * fake's `aws s3` commands (codeBuild.ts) and the EC2 fake's builder, which fetches the artifact it
 * bakes through `artifactDirectory(uri)`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { S3ServiceError, TwinTemplateError } from '../errors.ts';
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake } from '../sdk.ts';
import { type DeployedTemplates, TWIN_PARTITION } from '../template.ts';

const run = promisify(execFile);

export const objectArn = (bucket: string, key: string) => `arn:${TWIN_PARTITION}:s3:::${bucket}/${key}`;
export const bucketArn = (bucket: string) => `arn:${TWIN_PARTITION}:s3:::${bucket}`;

/** `s3://bucket/key` -> its parts, or a clear refusal. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!m) throw new TwinTemplateError(`not an s3://bucket/key URI: ${uri}`);
  return { bucket: m[1] as string, key: m[2] as string };
}

export class TwinS3 {
  readonly buckets = new Set<string>();
  private rootDir: Promise<string> | undefined;
  private readonly extracted = new Map<string, Promise<string>>();

  constructor(templates: DeployedTemplates) {
    for (const { stackName, logicalId } of templates.resourcesOfType('AWS::S3::Bucket')) {
      this.buckets.add(templates.ref(stackName, logicalId));
    }
  }

  private root(): Promise<string> {
    this.rootDir ??= mkdtemp(join(tmpdir(), 'vouch-twin-s3-'));
    return this.rootDir;
  }

  /** The file holding `bucket/key`; a key that would leave its bucket's folder is refused. */
  private async file(bucket: string, key: string): Promise<string> {
    if (!this.buckets.has(bucket)) {
      throw new S3ServiceError('NoSuchBucket', `The specified bucket does not exist: ${bucket}`);
    }
    const folder = join(await this.root(), bucket);
    const path = join(folder, key);
    if (key === '' || key.endsWith('/') || !path.startsWith(`${folder}${sep}`)) {
      throw new S3ServiceError(
        'InvalidObjectKey',
        `the twin stores no object under key ${JSON.stringify(key)}`,
        400,
      );
    }
    return path;
  }

  async putObject(bucket: string, key: string, body: Uint8Array | string): Promise<void> {
    const path = await this.file(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    this.extracted.delete(`s3://${bucket}/${key}`);
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    const path = await this.file(bucket, key);
    try {
      return await readFile(path);
    } catch {
      throw new S3ServiceError('NoSuchKey', 'The specified key does not exist.');
    }
  }

  async headObject(bucket: string, key: string): Promise<{ ContentLength: number; LastModified: Date }> {
    const path = await this.file(bucket, key);
    try {
      const s = await stat(path);
      return { ContentLength: s.size, LastModified: s.mtime };
    } catch {
      // HEAD has no body: S3 answers 404 NotFound, not NoSuchKey.
      throw new S3ServiceError('NotFound', 'Not Found');
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    // S3 answers 204 for a key that does not exist.
    await rm(await this.file(bucket, key), { force: true });
    this.extracted.delete(`s3://${bucket}/${key}`);
  }

  async listObjects(bucket: string, prefix = ''): Promise<{ Key: string; Size: number }[]> {
    if (!this.buckets.has(bucket)) {
      throw new S3ServiceError('NoSuchBucket', `The specified bucket does not exist: ${bucket}`);
    }
    const folder = join(await this.root(), bucket);
    const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
    const objects: { Key: string; Size: number }[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      const key = relative(folder, path).split(sep).join('/');
      if (key.startsWith(prefix)) objects.push({ Key: key, Size: (await stat(path)).size });
    }
    // ListObjectsV2 returns keys in UTF-8 binary order.
    return objects.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
  }

  /**
   * The directory a `.tar.gz` object unpacks to, as a builder instance would extract the artifact it
   * bakes (the EC2 fake's "artifact uri -> directory"). Extracted once per object version; NoSuchKey
   * when nothing was uploaded there (on AWS the builder's download fails the same way).
   */
  artifactDirectory(uri: string): Promise<string> {
    let dir = this.extracted.get(uri);
    if (dir === undefined) {
      dir = (async () => {
        const { bucket, key } = parseS3Uri(uri);
        const archive = await this.file(bucket, key);
        await stat(archive).catch(() => {
          throw new S3ServiceError('NoSuchKey', `The specified key does not exist: ${uri}`);
        });
        const target = await mkdtemp(join(await this.root(), '.extracted-'));
        await run('tar', ['-xzf', archive, '-C', target]);
        return target;
      })();
      dir.catch(() => this.extracted.delete(uri));
      this.extracted.set(uri, dir);
    }
    return dir;
  }

  /** Removes every object and extracted artifact. */
  async stop(): Promise<void> {
    if (this.rootDir) await rm(await this.rootDir, { recursive: true, force: true });
    this.rootDir = undefined;
    this.extracted.clear();
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input) => s3Authorization(command, input),
      handle: async (command, input) => {
        const bucket = String(input.Bucket);
        const key = String(input.Key ?? '');
        switch (command) {
          case 'PutObject': {
            const body = input.Body;
            if (typeof body !== 'string' && !(body instanceof Uint8Array))
              throw new TwinTemplateError('the twin S3 fake takes a string or bytes as PutObject Body');
            await this.putObject(bucket, key, body);
            return { ETag: '"twin"' };
          }
          case 'GetObject':
            return { Body: await this.getObject(bucket, key) };
          case 'HeadObject':
            return this.headObject(bucket, key);
          case 'DeleteObject':
            await this.deleteObject(bucket, key);
            return {};
          case 'DeleteObjects': {
            const keys = (input.Delete as { Objects: { Key: string }[] }).Objects.map((o) => o.Key);
            for (const k of keys) await this.deleteObject(bucket, k);
            return { Deleted: keys.map((Key) => ({ Key })) };
          }
          case 'ListObjectsV2': {
            const contents = await this.listObjects(bucket, input.Prefix as string | undefined);
            return { Contents: contents, KeyCount: contents.length, IsTruncated: false };
          }
          default:
            throw new TwinTemplateError(`the twin S3 fake does not model ${command}`);
        }
      },
    };
  }
}

/** What S3 authorises for a call (Service Authorization Reference for Amazon S3). */
export function s3Authorization(command: string, input: Record<string, unknown>): AuthorizationRequest[] {
  const bucket = String(input.Bucket);
  switch (command) {
    case 'PutObject':
      return [{ action: 's3:PutObject', resource: objectArn(bucket, String(input.Key)) }];
    case 'GetObject':
    case 'HeadObject':
      return [{ action: 's3:GetObject', resource: objectArn(bucket, String(input.Key)) }];
    case 'DeleteObject':
      return [{ action: 's3:DeleteObject', resource: objectArn(bucket, String(input.Key)) }];
    case 'DeleteObjects':
      return (input.Delete as { Objects: { Key: string }[] }).Objects.map((o) => ({
        action: 's3:DeleteObject',
        resource: objectArn(bucket, o.Key),
      }));
    case 'ListObjectsV2':
      return [
        {
          action: 's3:ListBucket',
          resource: bucketArn(bucket),
          context: { 's3:prefix': String(input.Prefix ?? '') },
        },
      ];
    default:
      throw new TwinTemplateError(`the twin S3 fake does not model ${command}`);
  }
}

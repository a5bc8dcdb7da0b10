/**
 * One-machine images: a content-addressed snapshot of a service folder under `<dataDir>/images/<id>/`.
 * The id is sha256 over the run spec and the sorted relative paths and contents, so baking the same content twice gives
 * the same id and copies nothing; a faulty release is different content, hence a different image.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ImageBakeError, ImageNotFoundError } from '../../../core/target/errors.ts';
import type { BakeRequest, Image, RunSpec } from '../../../core/target/port.ts';

/** Names never copied into an image: version-control and Vouch's own state. */
export const DEFAULT_IMAGE_EXCLUDES: readonly string[] = ['.git', '.vouch', 'node_modules'];

const MANIFEST = 'vouch-image.json';

interface SourceFile {
  /** POSIX relative path inside the image. */
  readonly path: string;
  readonly absolute: string;
  readonly executable: boolean;
}

async function listFiles(root: string, excludes: ReadonlySet<string>): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (excludes.has(entry.name)) continue;
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(absolute);
      } else if (entry.isFile()) {
        const stat = await lstat(absolute);
        files.push({
          path: relative(root, absolute).split(sep).join('/'),
          absolute,
          executable: (stat.mode & 0o111) !== 0,
        });
      } else {
        // A symlink or device would make the snapshot depend on what lies outside it: refuse.
        throw new ImageBakeError(`Cannot bake ${absolute}: only regular files and folders go into an image`);
      }
    }
  };
  await walk(root);
  return files;
}

/** Source then overlays, a later file replacing an earlier one with the same relative path. */
async function collectFiles(
  folders: readonly string[],
  excludes: ReadonlySet<string>,
): Promise<SourceFile[]> {
  const byPath = new Map<string, SourceFile>();
  for (const folder of folders) {
    if (!existsSync(folder)) throw new ImageBakeError(`Cannot bake: folder ${folder} does not exist`);
    for (const file of await listFiles(folder, excludes)) byPath.set(file.path, file);
  }
  if (byPath.has(MANIFEST)) {
    throw new ImageBakeError(`Cannot bake: ${MANIFEST} is reserved for the image's own manifest`);
  }
  // Sorted by code unit, so the hash does not depend on the file system's listing order.
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * sha256 over the run spec, then per file in sorted order: path, NUL, mode flag, NUL, byte length,
 * NUL, bytes. The lengths make the encoding unambiguous (no two file sets hash the same stream). The
 * run spec is part of the image: the same files started another way are another image.
 */
export async function hashServiceFiles(
  files: readonly SourceFile[],
  run: RunSpec,
): Promise<{ id: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  // A handler is part of the run only when set, so images baked before handlers existed keep their ids.
  const runText = JSON.stringify([
    run.command ?? null,
    run.healthPath ?? '/health',
    ...(run.handler === undefined ? [] : [run.handler]),
  ]);
  hash.update(`run\0${Buffer.byteLength(runText)}\0${runText}`);
  let sizeBytes = 0;
  for (const file of files) {
    const content = await readFile(file.absolute);
    sizeBytes += content.length;
    hash.update(`${file.path}\0${file.executable ? 'x' : '-'}\0${content.length}\0`);
    hash.update(content);
  }
  return { id: hash.digest('hex'), sizeBytes };
}

export interface BakeOutcome {
  readonly image: Image;
  /** False when the same content was already baked and nothing was copied. */
  readonly created: boolean;
}

export async function bakeImage(
  imagesDir: string,
  request: BakeRequest,
  now: () => Date,
  excludes: readonly string[] = DEFAULT_IMAGE_EXCLUDES,
): Promise<BakeOutcome> {
  const folders = [request.source, ...(request.overlays ?? [])].map((f) => resolve(f));
  const files = await collectFiles(folders, new Set(excludes));
  if (files.length === 0) throw new ImageBakeError(`Cannot bake: ${request.source} holds no files`);
  const { id, sizeBytes } = await hashServiceFiles(files, request.run);
  const location = join(imagesDir, id);
  const existing = await readImage(imagesDir, id).catch(() => undefined);
  if (existing) return { image: existing, created: false };

  const image: Image = {
    id,
    service: request.service,
    run: request.run,
    tags: request.tags,
    sizeBytes,
    fileCount: files.length,
    createdAt: now().toISOString(),
    location,
  };
  // Copy to a private folder and rename: a reader never sees half an image, and two concurrent
  // bakes of the same content both end with one complete copy.
  await mkdir(imagesDir, { recursive: true });
  const staging = join(imagesDir, `.staging-${id.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
  try {
    for (const file of files) {
      const target = join(staging, ...file.path.split('/'));
      await cp(file.absolute, target, { preserveTimestamps: false });
    }
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(image, null, 2)}\n`);
    await rename(staging, location);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const raced = await readImage(imagesDir, id).catch(() => undefined);
    if (raced) return { image: raced, created: false };
    throw new ImageBakeError(`Cannot bake ${request.service} from ${request.source}`, { cause: error });
  }
  return { image, created: true };
}

export async function readImage(imagesDir: string, id: string): Promise<Image> {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new ImageNotFoundError(id);
  try {
    return JSON.parse(await readFile(join(imagesDir, id, MANIFEST), 'utf8')) as Image;
  } catch (error) {
    throw new ImageNotFoundError(id, { cause: error });
  }
}

import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ExtractSourceSpec } from './extract-reader';
import { DENTRIX_TABLES } from './types';

/**
 * Reading files the extract names, confined to the extract's real folder (DESIGN §5, invariant 10: the extract is
 * untrusted input). A file is read only if its real path (links resolved) is inside the real path of its folder and
 * it is a regular file: links that leave the folder, FIFOs, devices, sockets and directories are refused. The file
 * is opened once (no link followed in its last component, non-blocking so a FIFO swapped in cannot hang the open),
 * checked on the open handle (fstat: regular, the same file that was checked; on Linux the kernel's path of the
 * handle is inside the folder) and read from that handle, so what is checked is what is read.
 *
 * Refusals are PHI-free: a kind and a short detail that never contains the path (file names in a practice's
 * extract can hold patient names).
 */

export const FILE_REFUSAL_KINDS = ['path_outside', 'link_outside', 'missing', 'not_regular_file', 'unreadable', 'size_mismatch', 'sha256_mismatch'] as const;
export type FileRefusalKind = (typeof FILE_REFUSAL_KINDS)[number];

export interface FileRefusal {
  kind: FileRefusalKind;
  /** What is wrong, without the path, e.g. "a symbolic link that leaves the extract folder". */
  detail: string;
}

/** What the extract declares about a file (document.size_bytes, document.sha256); each is checked when present. */
export interface DeclaredFile {
  sizeBytes?: number | null;
  sha256?: string | null;
}

export interface ConfineOptions {
  /** How refusals name the folder: "the extract folder" (default), "the documents folder". */
  folderLabel?: string;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** True when `target` is strictly inside `folder` (both absolute and normalised). */
export function isInside(folder: string, target: string): boolean {
  const relative = path.relative(folder, target);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/**
 * Where a path from the extract leads inside `root`, by its text only (`\` read as `/`), or undefined when it is
 * absolute (`/x`, `C:\x`, `\\server\x`), holds a NUL, or climbs out with `..`.
 */
export function confinedPath(root: string, relative: string): string | undefined {
  const text = relative.replace(/\\/g, '/');
  if (text === '' || text.includes('\0') || path.posix.isAbsolute(text) || path.win32.isAbsolute(relative) || /^[a-z]:/i.test(text)) return undefined;
  const base = path.resolve(root);
  const resolved = path.resolve(base, text);
  return isInside(base, resolved) ? resolved : undefined;
}

/** "fifo", "directory", ... : what a non-regular file is, for a refusal. */
export function fileTypeName(stats: Stats): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isSymbolicLink()) return 'symbolic link';
  return stats.isFile() ? 'regular file' : 'unknown type';
}

function refusal(kind: FileRefusalKind, detail: string): { refusal: FileRefusal } {
  return { refusal: { kind, detail } };
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

function notThere(code: string): boolean {
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The real path of a regular file inside `root`'s real folder, checked without opening it (so a FIFO or a device
 * is never opened): path text, links resolved, file type.
 */
export async function locateConfinedFile(
  root: string,
  relative: string,
  opts: ConfineOptions = {},
): Promise<{ path: string; realRoot: string; stats: Stats } | { refusal: FileRefusal }> {
  const folder = opts.folderLabel ?? 'the extract folder';
  const candidate = confinedPath(root, relative);
  if (!candidate) return refusal('path_outside', `the path points outside ${folder}`);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    return refusal('unreadable', `${folder} cannot be read (${codeOf(err)})`);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (err) {
    const code = codeOf(err);
    if (notThere(code)) return refusal('missing', `the file is not in ${folder}`);
    if (code === 'ELOOP') return refusal('unreadable', 'symbolic links that loop');
    return refusal('unreadable', `cannot be read (${code})`);
  }
  // The text stays inside the folder, so a real path outside it can only come from a link (the file's or a folder's).
  if (!isInside(realRoot, real)) return refusal('link_outside', `a symbolic link that leaves ${folder}`);
  let stats: Stats;
  try {
    stats = await stat(real);
  } catch (err) {
    const code = codeOf(err);
    return notThere(code) ? refusal('missing', `the file is not in ${folder}`) : refusal('unreadable', `cannot be read (${code})`);
  }
  if (!stats.isFile()) return refusal('not_regular_file', `not a regular file (${fileTypeName(stats)})`);
  return { path: real, realRoot, stats };
}

/**
 * Opens a file of the extract for reading, confined as `locateConfinedFile` says, and re-checks the open handle:
 * a regular file, the very file that was checked (device and inode), and (Linux) the kernel's path of the open
 * file inside the folder. The caller reads from the handle and closes it.
 */
export async function openConfinedFile(
  root: string,
  relative: string,
  opts: ConfineOptions = {},
): Promise<{ handle: FileHandle; path: string; stats: Stats } | { refusal: FileRefusal }> {
  const folder = opts.folderLabel ?? 'the extract folder';
  const located = await locateConfinedFile(root, relative, opts);
  if ('refusal' in located) return located;
  let handle: FileHandle;
  try {
    handle = await open(located.path, OPEN_FLAGS);
  } catch (err) {
    const code = codeOf(err);
    // The real path's last component became a link after it was checked.
    if (code === 'ELOOP') return refusal('link_outside', `a symbolic link that leaves ${folder}`);
    return notThere(code) ? refusal('missing', `the file is not in ${folder}`) : refusal('unreadable', `cannot be read (${code})`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return await closed(handle, refusal('not_regular_file', `not a regular file (${fileTypeName(stats)})`));
    if (stats.dev !== located.stats.dev || stats.ino !== located.stats.ino) {
      return await closed(handle, refusal('unreadable', 'the file changed while it was being checked'));
    }
    const opened = await openedPath(handle);
    if (opened !== undefined && !isInside(located.realRoot, opened)) {
      return await closed(handle, refusal('link_outside', `a symbolic link that leaves ${folder}`));
    }
    return { handle, path: located.path, stats };
  } catch (err) {
    return closed(handle, refusal('unreadable', `cannot be read (${codeOf(err)})`));
  }
}

async function closed<T>(handle: FileHandle, value: T): Promise<T> {
  await handle.close().catch(() => undefined);
  return value;
}

/** The kernel's path of an open file (Linux), undefined where it cannot say. */
async function openedPath(handle: FileHandle): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const target = await readlink(`/proc/self/fd/${handle.fd}`);
    return path.isAbsolute(target) ? target : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a whole file of the extract, confined (see `openConfinedFile`), in one read from the checked handle, and
 * compares it with what the extract declares: the size (also before reading, from the handle's fstat) and the
 * SHA-256 of exactly the bytes returned.
 */
export async function readConfinedFile(
  root: string,
  relative: string,
  declared: DeclaredFile = {},
  opts: ConfineOptions = {},
): Promise<{ path: string; content: Buffer } | { refusal: FileRefusal }> {
  const opened = await openConfinedFile(root, relative, opts);
  if ('refusal' in opened) return opened;
  const { handle } = opened;
  try {
    const sizeBytes = declared.sizeBytes ?? null;
    if (sizeBytes !== null && opened.stats.size !== sizeBytes) return sizeMismatch(opened.stats.size, sizeBytes);
    let content: Buffer;
    try {
      content = await handle.readFile();
    } catch (err) {
      return refusal('unreadable', `cannot be read (${codeOf(err)})`);
    }
    const mismatch = checkDeclared(content, declared);
    return mismatch ?? { path: opened.path, content };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A refusal when `content` differs from the declared size or SHA-256 (each checked when declared). */
export function checkDeclared(content: Buffer, declared: DeclaredFile): { refusal: FileRefusal } | undefined {
  const sizeBytes = declared.sizeBytes ?? null;
  if (sizeBytes !== null && content.length !== sizeBytes) return sizeMismatch(content.length, sizeBytes);
  const sha256 = declared.sha256?.trim().toLowerCase() || null;
  if (sha256 !== null && createHash('sha256').update(content).digest('hex') !== sha256) {
    return refusal('sha256_mismatch', 'sha256 differs from the declared one');
  }
  return undefined;
}

function sizeMismatch(actual: number, declared: number): { refusal: FileRefusal } {
  return refusal('size_mismatch', `size ${actual} bytes ≠ declared ${declared}`);
}

/**
 * A byte stream of a whole open file from its start, by positional reads on the handle (several streams may read
 * one handle in turn; none of them closes it: the caller does).
 */
export function handleStream(handle: FileHandle, chunkSize = 256 * 1024): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let position = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === chunkSize ? buffer : buffer.subarray(0, bytesRead);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Why a document's file is not uploaded: a refusal above, or the source has no documents folder, or no path. */
export type DocumentFileRefusalKind = FileRefusalKind | 'no_documents_folder' | 'empty_path' | 'extract_file';

/**
 * A document row's file, read once and checked, or why it cannot be uploaded (a PHI-free reason: a file's name can
 * hold a patient's name, so no reason names it). The file is read only inside the extract folder's real path (or a
 * SQL mirror's documents folder): links that leave it, FIFOs, devices and directories are refused, and so are the
 * extract's own manifest and table files; the bytes read are compared with the row's declared size_bytes and
 * sha256 (each when declared). The load uploads exactly `content`; the audit counts the refusals by kind.
 */
export async function readDocumentFile(
  source: ExtractSourceSpec,
  filePath: string | null,
  declared: DeclaredFile = {},
): Promise<{ path: string; content: Buffer } | { reason: string; kind: DocumentFileRefusalKind }> {
  if (!filePath) return { reason: 'document.file_path: empty', kind: 'empty_path' };
  const base = source.kind === 'folder' ? source.path : source.documentsDir;
  if (!base)
    return { reason: 'document files of a SQL mirror need its documents folder: start the migration with --documents DIR', kind: 'no_documents_folder' };
  const folderLabel = source.kind === 'folder' ? 'the extract folder' : 'the documents folder';
  const located = await locateConfinedFile(base, filePath, { folderLabel });
  if ('refusal' in located) return { reason: `document file: ${located.refusal.detail}`, kind: located.refusal.kind };
  if (source.kind === 'folder' && isExtractOwnFile(path.relative(located.realRoot, located.path))) {
    return { reason: "document file: one of the extract's own manifest or table files", kind: 'extract_file' };
  }
  const read = await readConfinedFile(base, filePath, declared, { folderLabel });
  return 'refusal' in read ? { reason: `document file: ${read.refusal.detail}`, kind: read.refusal.kind } : read;
}

/** manifest.json and `<table>.csv` at the top of an extract folder (folder-reader.ts): never a document. */
function isExtractOwnFile(relative: string): boolean {
  if (relative.includes(path.sep)) return false;
  const lower = relative.toLowerCase();
  return lower === 'manifest.json' || (lower.endsWith('.csv') && (DENTRIX_TABLES as readonly string[]).includes(lower.slice(0, -4)));
}

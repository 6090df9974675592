import { isUtf8 } from 'node:buffer';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import iconv from 'iconv-lite';

/**
 * RFC 4180 records from a byte stream (a CSV file, or the SQL mirror's COPY ... TO STDOUT CSV output), decoded
 * field by field: valid UTF-8 is decoded as UTF-8, anything else as Windows-1252 (what Dentrix workstations write)
 * and flagged, so the reader can report exactly which row and column held such bytes instead of mangling them.
 */
export interface RawRecord {
  values: string[];
  /** Indexes of fields whose bytes were not valid UTF-8 and were decoded as Windows-1252. */
  nonUtf8: number[] | null;
  /** 1-based line where the record started (files), or the record's ordinal (SQL). */
  line: number;
}

export type CsvEvent =
  | { kind: 'record'; record: RawRecord }
  /** A record csv-parse could not read (e.g. a quote closed in the middle of a field); `code` is csv-parse's. */
  | { kind: 'malformed'; line: number; code: string };

export interface CsvReadOptions {
  /** `line`: report where a record starts in the file; `ordinal`: report the record's position (SQL rows). */
  position: 'line' | 'ordinal';
  /**
   * `utf8`: the bytes are known to be valid UTF-8 (checked beforehand, or a PostgreSQL COPY): fields are decoded as
   * strings by csv-parse, the fast path. `per-field`: decide each field's encoding, for files that are not.
   */
  decoding: 'utf8' | 'per-field';
}

/** Whether a stream of bytes is entirely valid UTF-8 (a cheap, allocation-free pass that decides the decoding mode). */
export async function isUtf8Stream(source: AsyncIterable<Buffer>): Promise<boolean> {
  let carry: Buffer | null = null;
  for await (const chunk of source) {
    const bytes: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    // A multi-byte character may straddle two chunks: hold back an incomplete sequence at the end.
    let cut = bytes.length;
    for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
      const byte = bytes[i]!;
      if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the sequence's lead byte
      if (byte >= 0xc0) {
        const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
        if (bytes.length - i < length) cut = i;
      }
      break;
    }
    if (!isUtf8(bytes.subarray(0, cut))) return false;
    carry = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : null;
  }
  return carry === null || isUtf8(carry);
}

/** Thrown for a byte stream that is not a text encoding the format allows (UTF-16 exports). */
export class UnsupportedEncodingError extends Error {
  constructor(readonly encoding: string) {
    super(`file is ${encoding}; the extract format is UTF-8`);
    this.name = 'UnsupportedEncodingError';
  }
}

/** Drops a UTF-8 byte-order mark; refuses UTF-16 (its BOMs), which no field-level fallback could rescue. */
class ByteOrderMarkFilter extends Transform {
  private checked = false;
  private head: Buffer | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.checked) {
      callback(null, chunk);
      return;
    }
    const bytes: Buffer = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    if (bytes.length < 3) {
      this.head = bytes;
      callback();
      return;
    }
    this.release(bytes, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.checked && this.head) this.release(this.head, callback);
    else callback();
  }

  private release(bytes: Buffer, callback: TransformCallback): void {
    this.checked = true;
    this.head = null;
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      callback(new UnsupportedEncodingError('UTF-16'));
      return;
    }
    const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    callback(null, hasBom ? bytes.subarray(3) : bytes);
  }
}

function decodeField(field: unknown): { text: string; utf8: boolean } {
  if (typeof field === 'string') return { text: field, utf8: true };
  const bytes = field as Uint8Array;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return { text: buffer.toString('utf8'), utf8: true };
  return { text: iconv.decode(buffer, 'win1252'), utf8: false };
}

/** Yields every record of the stream (the header first) and every record that could not be parsed. */
export async function* readCsvRecords(source: Readable, options: CsvReadOptions): AsyncGenerator<CsvEvent> {
  const malformed: { line: number; code: string }[] = [];
  const parser = parse({
    encoding: options.decoding === 'utf8' ? 'utf8' : null, // null: fields come out as bytes, decoded per field below
    bom: false,
    // Per record: files glued from several exports mix them. Buffers, because with encoding null csv-parse cannot
    // convert delimiter strings itself.
    record_delimiter: [Buffer.from('\r\n'), Buffer.from('\n'), Buffer.from('\r')],
    relax_column_count: true, // a short or long record becomes a rejected row, not a dead file
    relax_quotes: true,
    // Empty lines come through as one empty field and are dropped below, so line numbers can be counted without
    // csv-parse's per-record info objects (a third of its time).
    skip_records_with_error: true,
    max_record_size: 16 * 1024 * 1024, // a stray quote must not swallow the rest of a 2 GB file into memory
    on_skip: (err: CsvError | undefined) => {
      // csv-parse's message quotes the field's value: keep only its code. Its line count may be off by the CRLFs
      // inside quoted fields so far; after a broken record, line numbers are approximate.
      const lines = (err as { lines?: number } | undefined)?.lines;
      malformed.push({ line: nextLine, code: err?.code ?? 'CSV_INVALID' });
      if (typeof lines === 'number') nextLine = lines + 1;
    },
  });
  const bomFilter = new ByteOrderMarkFilter();
  source.on('error', (err) => bomFilter.destroy(err));
  bomFilter.on('error', (err) => parser.destroy(err));
  source.pipe(bomFilter).pipe(parser);

  let nextLine = 1;
  let ordinal = 0;
  try {
    for await (const fields of parser as AsyncIterable<unknown[]>) {
      while (malformed.length > 0) {
        const bad = malformed.shift()!;
        ordinal += 1;
        yield { kind: 'malformed', line: options.position === 'line' ? bad.line : ordinal, code: bad.code };
      }
      let values: string[];
      let nonUtf8: number[] | null = null;
      if (options.decoding === 'utf8') {
        values = fields as string[];
      } else {
        values = new Array<string>(fields.length);
        for (let i = 0; i < fields.length; i++) {
          const decoded = decodeField(fields[i]);
          values[i] = decoded.text;
          if (!decoded.utf8) (nonUtf8 ??= []).push(i);
        }
      }
      const startLine = nextLine;
      nextLine += 1;
      for (const text of values) {
        if (text.includes('\n') || text.includes('\r')) nextLine += text.match(/\r\n|\r|\n/g)!.length;
      }
      if (values.length === 1 && values[0] === '') continue; // an empty line
      const line = options.position === 'line' ? startLine : ordinal;
      ordinal += 1;
      yield { kind: 'record', record: { values, nonUtf8, line } };
    }
    for (const bad of malformed.splice(0)) {
      ordinal += 1;
      yield { kind: 'malformed', line: options.position === 'line' ? bad.line : ordinal, code: bad.code };
    }
  } finally {
    // The consumer may have stopped early; the caller releases the source (a file handle, or a COPY to drain).
    if (!parser.destroyed) parser.destroy();
  }
}

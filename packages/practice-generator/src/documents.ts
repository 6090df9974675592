import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { Random } from './random';

/**
 * Small but real document files for the synthetic practice: JPEG radiographs and photos, PNG scans, one-page PDFs.
 * Each is a few hundred bytes to a few KB, unique per document, and byte-identical for the same seed.
 */
export type DocumentFileKind = 'jpeg' | 'png' | 'pdf';

export const FILE_KIND_BY_DOC_TYPE: Record<string, DocumentFileKind> = {
  xray: 'jpeg',
  intraoral_photo: 'jpeg',
  pano: 'jpeg',
  cbct: 'png',
  consent_form: 'pdf',
  referral_letter: 'pdf',
  insurance_card: 'png',
  other: 'pdf',
};

export const EXTENSION: Record<DocumentFileKind, string> = { jpeg: 'jpg', png: 'png', pdf: 'pdf' };

/** A grey-scale picture: a smooth gradient (radiograph-like) with seeded noise so no two files are equal. */
function pixels(random: Random, width: number, height: number, rgb: boolean): Buffer {
  const data = Buffer.alloc(width * height * 4);
  const tint = rgb ? [random.int(150, 255), random.int(80, 160), random.int(80, 160)] : [255, 255, 255];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = 40 + Math.round((150 * (x + y)) / (width + height)) + random.int(0, 40);
      const i = (y * width + x) * 4;
      data[i] = (base * tint[0]!) >> 8;
      data[i + 1] = (base * tint[1]!) >> 8;
      data[i + 2] = (base * tint[2]!) >> 8;
      data[i + 3] = 255;
    }
  }
  return data;
}

// jpeg-js builds its tables anew for every encode (tens of KB of garbage each): encode a few pictures once and make
// each file unique with a JPEG comment segment, which every decoder skips.
const JPEG_POOL_SIZE = 8;
let jpegPool: { grey: Buffer[]; colour: Buffer[] } | undefined;

function jpegBases(): { grey: Buffer[]; colour: Buffer[] } {
  if (!jpegPool) {
    const random = new Random(0x6a706567);
    const encodeOne = (colour: boolean): Buffer => {
      const width = random.int(16, 40);
      const height = random.int(16, 32);
      return encodeJpeg({ data: pixels(random, width, height, colour), width, height }, 60).data;
    };
    jpegPool = {
      grey: Array.from({ length: JPEG_POOL_SIZE }, () => encodeOne(false)),
      colour: Array.from({ length: JPEG_POOL_SIZE }, () => encodeOne(true)),
    };
  }
  return jpegPool;
}

export function makeJpeg(random: Random, colour: boolean, label: string): Buffer {
  const pool = jpegBases()[colour ? 'colour' : 'grey'];
  const base = random.pick(pool);
  const text = Buffer.from(`${label} ${random.digits(12)}`, 'latin1');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0); // COM marker
  segment.writeUInt16BE(text.length + 2, 2);
  // SOI (2 bytes), then the comment, then the rest of the original stream.
  return Buffer.concat([base.subarray(0, 2), segment, text, base.subarray(2)]);
}

export function makePng(random: Random): Buffer {
  const width = random.int(12, 32);
  const height = random.int(12, 24);
  const png = new PNG({ width, height });
  pixels(random, width, height, false).copy(png.data);
  return PNG.sync.write(png);
}

/** A one-page PDF 1.4 with a line of text; the cross-reference table is computed, so readers open it. */
export function makePdf(title: string, lines: readonly string[]): Buffer {
  const escape = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').replace(/([\\()])/g, '\\$1');
  const content = ['BT /F1 14 Tf 72 720 Td', `(${escape(title)}) Tj`, '/F1 10 Tf', ...lines.map((line) => `0 -18 Td (${escape(line)}) Tj`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

export function makeDocumentFile(docType: string, documentId: number, random: Random): { bytes: Buffer; extension: string } {
  const kind = FILE_KIND_BY_DOC_TYPE[docType] ?? 'pdf';
  let bytes: Buffer;
  if (kind === 'jpeg') bytes = makeJpeg(random, docType === 'intraoral_photo', `document ${documentId}`);
  else if (kind === 'png') bytes = makePng(random);
  else {
    const title = docType === 'consent_form' ? 'Informed consent' : docType === 'referral_letter' ? 'Referral letter' : 'Document';
    bytes = makePdf(`${title} - document ${documentId}`, ['Synthetic document generated for a rehearsal migration.', `Reference ${random.digits(8)}`]);
  }
  return { bytes, extension: EXTENSION[kind] };
}

/** Documents and images: the archive link, the file path and the file name carrying the source key. */
import type { z } from 'zod';
import { rowOf } from '../bundles';
import { fileNameWithKey } from '../source-keys';
import { singleLine } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, number, firstColumn, type TransformDef } from './rule';

export const FILE_TRANSFORMS = {
  image_archive_link: define({
    params: NO_PARAMS,
    description: 'the per-person URL in the image archive (base URL + patient id) when the patient has imaging',
    apply: ({ values, env }) => {
      const count = number(values[0]) ?? 0;
      const patientId = text(rowOf(env.bundle, 'patient')?.patient_id);
      if (count === 0 || patientId === null) return none();
      const base = env.options.imageArchiveBaseUrl;
      if (!base) {
        return {
          value: null,
          warnings: [{ column: null, code: 'image_archive_url_missing', reason: 'patient has imaging but no image archive base URL is configured' }],
        };
      }
      return none(`${base.replace(/\/+$/u, '')}/${encodeURIComponent(patientId)}`);
    },
  }),

  file_path: define({
    params: NO_PARAMS,
    description: 'the document path relative to the extract folder; rejects a document without one',
    apply: (input) => {
      const path = singleLine(text(input.values[0]))?.replace(/\\/gu, '/');
      return path ? none(path) : { value: null, reject: { column: firstColumn(input), reason: 'document has no file path' } };
    },
  }),

  document_file_name: define({
    params: NO_PARAMS,
    description: 'the file name prefixed with the source key (dentrix-document-12__consent.pdf)',
    apply: ({ values, env }) => {
      const path = singleLine(text(values[0]))?.replace(/\\/gu, '/');
      const base = path?.split('/').pop() || 'document';
      return none(fileNameWithKey(env.sourceKey, base));
    },
  }),
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

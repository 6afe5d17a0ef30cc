import { z } from 'zod';
import type { ActionHandler, ActionSpec } from '../../connector';
import type { ServiceNowClient } from '../client';
import { parseParams } from '../errors';
import {
  attachFileResultSchema,
  sysIdSchema,
  tableNameSchema,
  type AttachFileResult,
  type AttachmentInfo,
} from '../schemas';

export const attachFileParamsSchema = z
  .object({
    table: tableNameSchema,
    sys_id: sysIdSchema,
    file_name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\u0000-\u001f/\\]+$/, 'no path separators or control characters')
      // An RTL override shows `\u202Egnp.exe` as `exe.png` to the agent who opens it.
      .refine(
        (name) => !/[\u202a-\u202e\u2066-\u2069]/.test(name),
        'no bidirectional override characters (they disguise the extension)',
      )
      .refine(
        (name) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name),
        'not well-formed Unicode (a lone surrogate)',
      ),
    content_type: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type such as text/plain')
      .default('text/plain'),
    content: z.string().describe('the file content, as text or base64 (see encoding)'),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
  })
  .strict()
  .refine((p) => p.encoding !== 'base64' || /^[A-Za-z0-9+/]*={0,2}$/.test(p.content.replace(/\s+/g, '')), {
    message: 'content is not base64',
    path: ['content'],
  });
export type AttachFileParams = z.infer<typeof attachFileParamsSchema>;

/**
 * `servicenow.attach_file`: uploads a file (a job log, a report) to a record through the
 * Attachment API. Uploading is not idempotent; `recover` looks for an attachment of the same name
 * and size on the record before the engine uploads again.
 */
export const attachFileAction: ActionSpec<AttachFileParams, AttachFileResult> = {
  name: 'attach_file',
  risk: 'low',
  description: 'Attach a file to a ServiceNow record (size-capped)',
  params: attachFileParamsSchema,
  result: attachFileResultSchema,
};

const REF_PREFIX = 'attachment:';

export function fileBytes(params: Pick<AttachFileParams, 'content' | 'encoding'>): Buffer {
  return params.encoding === 'base64'
    ? Buffer.from(params.content.replace(/\s+/g, ''), 'base64')
    : Buffer.from(params.content, 'utf8');
}

function toResult(a: AttachmentInfo, recovered: boolean): AttachFileResult {
  return { sys_id: a.sysId, file_name: a.fileName, size_bytes: a.sizeBytes, download_link: a.downloadLink, recovered };
}

export function createAttachFileHandler(deps: {
  client: Pick<ServiceNowClient, 'attach' | 'listAttachments' | 'getAttachment'>;
}): ActionHandler<AttachFileParams, AttachFileResult> {
  const parse = (input: unknown) => parseParams(attachFileParamsSchema, input, attachFileAction.name);
  return {
    async start(input, ctx) {
      const params = parse(input);
      const info = await deps.client.attach(
        params.table,
        params.sys_id,
        params.file_name,
        params.content_type ?? 'text/plain',
        fileBytes(params),
        { signal: ctx.signal },
      );
      return { status: 'done', result: toResult(info, false) };
    },

    async recover(input, ctx) {
      const params = parse(input);
      const size = fileBytes(params).byteLength;
      const existing = await deps.client.listAttachments(params.table, params.sys_id, {
        fileName: params.file_name,
        signal: ctx.signal,
      });
      const found = existing.find(
        (a) => a.fileName === params.file_name && (a.sizeBytes === undefined || a.sizeBytes === size),
      );
      return found ? `${REF_PREFIX}${found.sysId}` : undefined;
    },

    async check(ref, _params, ctx) {
      const id = ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
      return { status: 'done', result: toResult(await deps.client.getAttachment(id, { signal: ctx.signal }), true) };
    },
  };
}

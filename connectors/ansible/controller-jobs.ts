import type { Readable } from 'node:stream';
import { ConnectorError } from '../../src/errors';
import { CONNECTOR } from './errors';
import { id, parse, type ControllerRequests } from './controller-requests';
import { jobPageSchema, jobSchema, workflowNodePageSchema, type Job, type WorkflowNode } from './schemas';
import { KIND_PATHS, type TemplateKind } from './template-kinds';

/** Jobs and workflow jobs: reading them (one, many, their output, their nodes), cancelling, and finding them again. */

const TOO_LARGE = /^Standard Output too large to display \(\d+ bytes\)/;
const MAX_PAGE_SIZE = 200;

/** `GET jobs/{id}/` (or `workflow_jobs/{id}/`). */
export async function getJob(
  api: ControllerRequests,
  jobId: number,
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<Job> {
  const { jobs } = KIND_PATHS[options.kind ?? 'job_template'];
  const res = await api.request({
    method: 'GET',
    path: `${jobs}${id(jobId)}/`,
    idempotent: true,
    signal: options.signal,
  });
  return parse(jobSchema, res.data, 'job');
}

/** Many jobs (or workflow jobs) in one call per 200: `GET jobs/?id__in=1,2,3&page_size=3`. */
export async function getJobs(
  api: ControllerRequests,
  jobIds: readonly number[],
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<Job[]> {
  const path = KIND_PATHS[options.kind ?? 'job_template'].jobs;
  const jobs: Job[] = [];
  const ids = [...new Set(jobIds.map(id))];
  for (let i = 0; i < ids.length; i += MAX_PAGE_SIZE) {
    const chunk = ids.slice(i, i + MAX_PAGE_SIZE);
    const res = await api.request({
      method: 'GET',
      path,
      params: { id__in: chunk.join(','), page_size: String(chunk.length) },
      idempotent: true,
      signal: options.signal,
    });
    jobs.push(...parse(jobPageSchema, res.data, 'job list').results);
  }
  return jobs;
}

/**
 * The job's output as plain text (`stdout/?format=txt`). Above the controller's display cap the
 * answer is a "too large to display" sentence, not output; then `format=txt_download` is read
 * instead. Only the last `maxBytes` are kept.
 */
export async function jobStdout(
  api: ControllerRequests,
  jobId: number,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<{ text: string; truncated: boolean }> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const path = `jobs/${id(jobId)}/stdout/`;
  const res = await api.request({
    method: 'GET',
    path,
    params: { format: 'txt' },
    idempotent: true,
    responseType: 'text',
    signal: options.signal,
  });
  const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
  if (!TOO_LARGE.test(text.trimStart())) return tail(Buffer.from(text, 'utf8'), maxBytes);
  const download = await api.request({
    method: 'GET',
    path,
    params: { format: 'txt_download' },
    idempotent: true,
    responseType: 'stream',
    signal: options.signal,
  });
  return readTail(download.data as Readable, maxBytes);
}

/** The nodes of a workflow job with their jobs (`GET workflow_jobs/{id}/workflow_nodes/`). */
export async function workflowNodes(
  api: ControllerRequests,
  workflowJobId: number,
  options: { signal?: AbortSignal } = {},
): Promise<WorkflowNode[]> {
  const res = await api.request({
    method: 'GET',
    path: `workflow_jobs/${id(workflowJobId)}/workflow_nodes/`,
    params: { page_size: String(MAX_PAGE_SIZE), order_by: 'id' },
    idempotent: true,
    signal: options.signal,
  });
  return parse(workflowNodePageSchema, res.data, 'workflow node list').results;
}

/**
 * `POST jobs/{id}/cancel/` (or `workflow_jobs/{id}/cancel/`, which cancels its running node
 * too): true when accepted (202), false when the job can no longer be cancelled (405).
 */
export async function cancelJob(
  api: ControllerRequests,
  jobId: number,
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<boolean> {
  const { jobs } = KIND_PATHS[options.kind ?? 'job_template'];
  try {
    // Cancelling twice is harmless, so the request may be repeated.
    await api.request({
      method: 'POST',
      path: `${jobs}${id(jobId)}/cancel/`,
      body: {},
      idempotent: true,
      signal: options.signal,
    });
    return true;
  } catch (err) {
    if (err instanceof ConnectorError && (err.details as { status?: number }).status === 405) return false;
    throw err;
  }
}

/**
 * Jobs of a template created at or after `sinceIso`, newest first (`created__gte`, up to
 * `maxPages` pages of 200), each with its extra_vars, for finding a launch again by idempotency key.
 */
export async function findJobsByTemplateSince(
  api: ControllerRequests,
  templateId: number,
  sinceIso: string,
  options: { maxPages?: number; signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<Job[]> {
  if (Number.isNaN(Date.parse(sinceIso)))
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'bad_request',
      `${JSON.stringify(sinceIso)} is not an ISO date-time`,
    );
  const { jobs: path, templateFilter } = KIND_PATHS[options.kind ?? 'job_template'];
  const jobs: Job[] = [];
  const maxPages = options.maxPages ?? 5;
  for (let page = 1; page <= maxPages; page++) {
    const res = await api.request({
      method: 'GET',
      path,
      params: {
        [templateFilter]: String(id(templateId)),
        created__gte: sinceIso,
        order_by: '-created',
        page_size: String(MAX_PAGE_SIZE),
        page: String(page),
      },
      idempotent: true,
      signal: options.signal,
    });
    const body = parse(jobPageSchema, res.data, 'job list');
    jobs.push(...body.results);
    if (!body.next) break;
  }
  // Some controller versions leave extra_vars out of list rows; read those jobs one by one.
  const withVars = await Promise.all(
    jobs.map(async (job) => (job.extra_vars === undefined ? getJob(api, job.id, options) : job)),
  );
  return withVars;
}

/** Jobs (or workflow jobs) of a template carrying label `name`, newest first (`labels__name=…`). */
export async function findJobsByLabel(
  api: ControllerRequests,
  templateId: number,
  name: string,
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<Job[]> {
  const { jobs, templateFilter } = KIND_PATHS[options.kind ?? 'job_template'];
  const res = await api.request({
    method: 'GET',
    path: jobs,
    params: { labels__name: name, [templateFilter]: String(id(templateId)), order_by: '-created', page_size: '20' },
    idempotent: true,
    signal: options.signal,
  });
  return parse(jobPageSchema, res.data, 'job list').results;
}

function tail(buffer: Buffer, maxBytes: number): { text: string; truncated: boolean } {
  if (buffer.byteLength <= maxBytes) return { text: buffer.toString('utf8'), truncated: false };
  // Drop UTF-8 continuation bytes at the cut so the text does not start mid-character.
  let start = buffer.byteLength - maxBytes;
  while (start < buffer.byteLength && (buffer[start]! & 0xc0) === 0x80) start++;
  return { text: buffer.subarray(start).toString('utf8'), truncated: true };
}

async function readTail(stream: Readable, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buf);
    size += buf.byteLength;
    while (chunks.length > 1 && size - chunks[0]!.byteLength >= maxBytes) {
      size -= chunks.shift()!.byteLength;
      dropped = true;
    }
  }
  const result = tail(Buffer.concat(chunks), maxBytes);
  return { text: result.text, truncated: result.truncated || dropped };
}

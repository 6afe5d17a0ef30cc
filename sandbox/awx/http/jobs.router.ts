import { Router, type Response } from 'express';
import { NotFoundError } from '../../../src/errors';
import { isActive, type JobRecord } from '../awx-model';
import { jobView } from '../awx-views';
import type { AwxController } from '../controller';
import { jobStdout } from '../job-stdout';
import { listPage, type Filterable } from '../list-page';
import { apiRoot, idParam, searchOf } from './awx-request';

type JobView = ReturnType<typeof jobView>;

/**
 * Fields `jobs/` can be filtered on: `id__in=1,2,3` is how clients batch-poll (docs/awx-behaviour.md §1.3),
 * `labels__name` (or `job_template` + `created__gte`) how they find a launch again after an
 * ambiguous failure.
 */
const JOB_FILTERS: Filterable<JobView> = {
  id: (j) => j.id,
  job_template: (j) => j.job_template,
  status: (j) => j.status,
  failed: (j) => j.failed,
  name: (j) => j.name,
  launch_type: (j) => j.launch_type,
  created: (j) => j.created,
  finished: (j) => j.finished,
  labels__name: (j) => j.summary_fields.labels.results.map((l) => l.name),
};

/**
 * The jobs a list is drawn from: those named by `id__in` when the query names them (a batch poll
 * reads a few jobs, however many the controller has run), else every one. The filters still apply.
 */
function candidates(controller: AwxController, query: URLSearchParams): JobRecord[] {
  const named = query.get('id__in');
  if (named === null) return controller.listJobs();
  return [...new Set(named.split(','))].flatMap((id) => controller.findJob(Number(id)) ?? []);
}

/** `jobs/…`: list, detail, cancel and stdout (docs/awx-behaviour.md §1.3). */
export function jobsRouter(controller: AwxController, now: () => number): Router {
  const router = Router();
  const view = (job: JobRecord, root: string) =>
    jobView(
      job,
      controller.template(job.templateId),
      job.labels.map((l) => controller.label(l)),
      root,
    );

  router.get('/', (req, res) => {
    const root = apiRoot(res);
    const query = searchOf(req);
    const views = candidates(controller, query).map((job) => view(job, root));
    res.json(listPage(views, `${root}jobs/`, query, JOB_FILTERS));
  });
  router.get('/:id', (req, res) => {
    res.json(view(controller.job(idParam(req)), apiRoot(res)));
  });
  router.get('/:id/cancel', (req, res) => {
    res.json({ can_cancel: isActive(controller.job(idParam(req)).status) });
  });
  router.post('/:id/cancel', (req, res) => {
    controller.cancel(idParam(req));
    res.status(202).end();
  });
  router.get('/:id/stdout', (req, res) => {
    const job = controller.job(idParam(req));
    const text = jobStdout(job, controller.template(job.templateId), now());
    sendStdout(res, job.id, text, searchOf(req));
  });
  return router;
}

/** docs/awx-behaviour.md §1.3 stdout formats: plain text (`txt`, `ansi`), a download, or JSON with line ranges (default). */
function sendStdout(res: Response, jobId: number, text: string, query: URLSearchParams): void {
  const format = query.get('format') ?? 'json';
  if (format === 'txt' || format === 'ansi') {
    res.type('text/plain').send(text);
  } else if (format === 'txt_download' || format === 'ansi_download') {
    res.type('text/plain').set('Content-Disposition', `attachment; filename="job_${jobId}.txt"`).send(text);
  } else if (format === 'json') {
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    const start = Math.max(0, Number.parseInt(query.get('start_line') ?? '0', 10) || 0);
    const end = Math.min(lines.length, Number.parseInt(query.get('end_line') ?? '', 10) || lines.length);
    const content = lines.slice(start, end).join('\n');
    res.json({ range: { start, end, absolute_end: lines.length }, content: content && `${content}\n` });
  } else {
    throw new NotFoundError('stdout format', format);
  }
}

import { Router } from 'express';
import type { BaseUrlOf } from '../../http/base-url';
import type { AwxController } from '../controller';
import { jobView, launchInfoView, templateView } from '../awx-views';
import { listPage } from '../list-page';
import { bodyObject, idParam, searchOf } from './awx-request';

/** `/api/v2/job_templates/…`: list, detail, and launch (§1.2). */
export function jobTemplatesRouter(controller: AwxController, baseUrl: BaseUrlOf): Router {
  const router = Router();
  const view = (id: number) => {
    const template = controller.template(id);
    const lastJob = controller.listJobs().filter((j) => j.templateId === id).at(-1);
    return templateView(template, lastJob);
  };

  router.get('/', (req, res) => {
    const views = controller.listTemplates().map((t) => view(t.id));
    res.json(listPage(views, '/api/v2/job_templates/', searchOf(req), ['id', 'name']));
  });
  router.get('/:id', (req, res) => {
    res.json(view(idParam(req)));
  });
  router.get('/:id/launch', (req, res) => {
    res.json(launchInfoView(controller.template(idParam(req))));
  });
  router.post('/:id/launch', (req, res) => {
    const id = idParam(req);
    const { job, ignoredFields } = controller.launch(id, bodyObject(req), String(res.locals.user));
    res.set('Location', `${baseUrl(req)}/api/v2/jobs/${job.id}/`);
    res.status(201).json({ job: job.id, ignored_fields: ignoredFields, ...jobView(job, controller.template(id)) });
  });
  return router;
}

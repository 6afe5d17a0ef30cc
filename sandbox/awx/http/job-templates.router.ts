import { Router } from 'express';
import type { BaseUrlOf } from '../../http/base-url';
import type { AwxController } from '../controller';
import { jobView, launchInfoView, templateView } from '../awx-views';
import { listPage, type Filterable } from '../list-page';
import { apiRoot, bodyObject, idParam, searchOf } from './awx-request';

type TemplateView = ReturnType<typeof templateView>;

/** Filters clients use to find a template: `?name=Restart service&organization__name=…`. */
const TEMPLATE_FILTERS: Filterable<TemplateView> = {
  id: (t) => t.id,
  name: (t) => t.name,
  organization: (t) => t.organization,
  organization__name: (t) => t.summary_fields.organization.name,
};

/** `job_templates/…`: list, detail, survey spec and launch (docs/awx-behaviour.md §1.2). */
export function jobTemplatesRouter(controller: AwxController, baseUrl: BaseUrlOf): Router {
  const router = Router();
  const view = (id: number, root: string) => {
    const template = controller.template(id);
    const lastJob = controller
      .listJobs()
      .filter((j) => j.templateId === id)
      .at(-1);
    return templateView(template, lastJob, root);
  };

  router.get('/', (req, res) => {
    const root = apiRoot(res);
    const views = controller.listTemplates().map((t) => view(t.id, root));
    res.json(listPage(views, `${root}job_templates/`, searchOf(req), TEMPLATE_FILTERS));
  });
  router.get('/:id', (req, res) => {
    res.json(view(idParam(req), apiRoot(res)));
  });
  // The sandbox's templates have no survey; AWX answers {} then.
  router.get('/:id/survey_spec', (req, res) => {
    controller.template(idParam(req));
    res.json({});
  });
  router.get('/:id/launch', (req, res) => {
    res.json(launchInfoView(controller.template(idParam(req))));
  });
  router.post('/:id/launch', (req, res) => {
    const id = idParam(req);
    const root = apiRoot(res);
    const { job, ignoredFields } = controller.launch(id, bodyObject(req), String(res.locals.user));
    res.set('Location', `${baseUrl(req)}${root}jobs/${job.id}/`);
    res.status(201).json({
      job: job.id,
      ignored_fields: ignoredFields,
      ...jobView(
        job,
        controller.template(id),
        job.labels.map((l) => controller.label(l)),
        root,
      ),
    });
  });
  return router;
}

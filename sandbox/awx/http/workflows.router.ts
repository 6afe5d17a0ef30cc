import { Router } from 'express';
import type { BaseUrlOf } from '../../http/base-url';
import { isActive, type WorkflowJobRecord } from '../awx-model';
import { workflowJobView, workflowLaunchInfoView, workflowNodeView, workflowTemplateView } from '../awx-views';
import type { AwxController } from '../controller';
import { listPage, type Filterable } from '../list-page';
import { apiRoot, bodyObject, idParam, searchOf } from './awx-request';

type WorkflowTemplateView = ReturnType<typeof workflowTemplateView>;
type WorkflowJobView = ReturnType<typeof workflowJobView>;

const WORKFLOW_TEMPLATE_FILTERS: Filterable<WorkflowTemplateView> = {
  id: (t) => t.id,
  name: (t) => t.name,
  organization: (t) => t.organization,
  organization__name: (t) => t.summary_fields.organization.name,
};

/** As for jobs: `id__in` to poll in batches, `labels__name` to find a launch again. */
const WORKFLOW_JOB_FILTERS: Filterable<WorkflowJobView> = {
  id: (w) => w.id,
  workflow_job_template: (w) => w.workflow_job_template,
  status: (w) => w.status,
  failed: (w) => w.failed,
  name: (w) => w.name,
  created: (w) => w.created,
  finished: (w) => w.finished,
  labels__name: (w) => w.summary_fields.labels.results.map((l) => l.name),
};

/** `workflow_job_templates/…`: list, detail, survey spec and launch (docs/awx-behaviour.md §1.2, which returns `workflow_job`). */
export function workflowTemplatesRouter(controller: AwxController, baseUrl: BaseUrlOf): Router {
  const router = Router();
  const view = (id: number, root: string) => {
    const lastJob = controller
      .listWorkflowJobs()
      .filter((w) => w.workflowTemplateId === id)
      .at(-1);
    return workflowTemplateView(controller.workflowTemplate(id), lastJob, root);
  };

  router.get('/', (req, res) => {
    const root = apiRoot(res);
    const views = controller.listWorkflowTemplates().map((t) => view(t.id, root));
    res.json(listPage(views, `${root}workflow_job_templates/`, searchOf(req), WORKFLOW_TEMPLATE_FILTERS));
  });
  router.get('/:id', (req, res) => {
    res.json(view(idParam(req), apiRoot(res)));
  });
  router.get('/:id/survey_spec', (req, res) => {
    controller.workflowTemplate(idParam(req));
    res.json({});
  });
  router.get('/:id/launch', (req, res) => {
    res.json(workflowLaunchInfoView(controller.workflowTemplate(idParam(req))));
  });
  router.post('/:id/launch', (req, res) => {
    const id = idParam(req);
    const root = apiRoot(res);
    const { workflowJob, ignoredFields } = controller.launchWorkflow(id, bodyObject(req), String(res.locals.user));
    const labels = workflowJob.labels.map((l) => controller.label(l));
    res.set('Location', `${baseUrl(req)}${root}workflow_jobs/${workflowJob.id}/`);
    res.status(201).json({
      workflow_job: workflowJob.id,
      ignored_fields: ignoredFields,
      ...workflowJobView(workflowJob, controller.workflowTemplate(id), labels, root),
    });
  });
  return router;
}

/** `workflow_jobs/…`: list, detail, cancel and the nodes with their jobs. */
export function workflowJobsRouter(controller: AwxController): Router {
  const router = Router();
  const view = (w: WorkflowJobRecord, root: string) =>
    workflowJobView(
      w,
      controller.workflowTemplate(w.workflowTemplateId),
      w.labels.map((l) => controller.label(l)),
      root,
    );

  router.get('/', (req, res) => {
    const root = apiRoot(res);
    const views = controller.listWorkflowJobs().map((w) => view(w, root));
    res.json(listPage(views, `${root}workflow_jobs/`, searchOf(req), WORKFLOW_JOB_FILTERS));
  });
  router.get('/:id', (req, res) => {
    res.json(view(controller.workflowJob(idParam(req)), apiRoot(res)));
  });
  router.get('/:id/cancel', (req, res) => {
    res.json({ can_cancel: isActive(controller.workflowJob(idParam(req)).status) });
  });
  router.post('/:id/cancel', (req, res) => {
    controller.cancelWorkflow(idParam(req));
    res.status(202).end();
  });
  router.get('/:id/workflow_nodes', (req, res) => {
    const root = apiRoot(res);
    const w = controller.workflowJob(idParam(req));
    const workflow = controller.workflowTemplate(w.workflowTemplateId);
    const nodes = w.nodes.map((node, index) =>
      workflowNodeView(
        w,
        workflow,
        index,
        controller.template(node.templateId),
        node.jobId === undefined ? undefined : controller.job(node.jobId),
        root,
      ),
    );
    res.json(
      listPage(nodes, `${root}workflow_jobs/${w.id}/workflow_nodes/`, searchOf(req), {
        id: (n) => n.id,
        job: (n) => n.job,
      }),
    );
  });
  return router;
}

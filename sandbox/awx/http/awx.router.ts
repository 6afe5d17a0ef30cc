import express, { Router } from 'express';
import type { Logger } from 'winston';
import type { BaseUrlOf } from '../../http/base-url';
import type { SandboxAccount } from '../../http/credentials';
import { hasNonJsonBody } from '../../http/json-body';
import { meView } from '../awx-views';
import type { AwxController } from '../controller';
import { requireAwxAuth } from './awx-auth';
import { awxErrorHandler } from './awx-errors';
import { jobTemplatesRouter } from './job-templates.router';
import { jobsRouter } from './jobs.router';
import { labelsRouter } from './labels.router';
import { workflowJobsRouter, workflowTemplatesRouter } from './workflows.router';

/** What the controller's HTTP side is built from. */
export interface AwxRouterDeps {
  controller: AwxController;
  account: SandboxAccount;
  token: string;
  baseUrl: BaseUrlOf;
  now: () => number;
  logger: Logger;
}

/**
 * The sandbox AWX controller (https://docs.ansible.com/projects/awx/en/latest/rest_api/), mounted under `/api/v2/` and under the AAP 2.5+
 * gateway path `/api/controller/v2/`; links in answers name the root the request came through.
 */
export function awxRouter(deps: AwxRouterDeps): Router {
  const router = Router();
  router.use((req, res, next) => {
    res.locals.apiRoot = `${req.baseUrl}/`;
    next();
  });
  // Health probes of controller clients need no credentials, as on AWX.
  router.get('/ping', (_req, res) => {
    res.json({
      ha: false,
      version: 'sandbox',
      active_node: 'sandbox',
      install_uuid: '00000000-0000-0000-0000-000000000000',
    });
  });
  router.use(requireAwxAuth(deps.account, deps.token));
  router.use((req, res, next) => {
    if (!hasNonJsonBody(req)) return next();
    res.status(415).json({ detail: `Unsupported media type "${req.get('Content-Type') ?? ''}" in request.` });
  });
  router.use(express.json({ limit: '10mb', type: ['application/json', '+json'] }));
  // The signed-in user, which clients read as a light authenticated health check.
  router.get('/me', (_req, res) => {
    res.json({
      count: 1,
      next: null,
      previous: null,
      results: [meView(String(res.locals.user), String(res.locals.apiRoot))],
    });
  });
  router.use('/job_templates', jobTemplatesRouter(deps.controller, deps.baseUrl));
  router.use('/jobs', jobsRouter(deps.controller, deps.now));
  router.use('/workflow_job_templates', workflowTemplatesRouter(deps.controller, deps.baseUrl));
  router.use('/workflow_jobs', workflowJobsRouter(deps.controller));
  router.use('/labels', labelsRouter(deps.controller));
  router.use((_req, res) => {
    res.status(404).json({ detail: 'Not found.' });
  });
  router.use(awxErrorHandler(deps.logger));
  return router;
}

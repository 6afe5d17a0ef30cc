import express, { Router } from 'express';
import type { Logger } from 'winston';
import type { RateLimitRules } from '../rate-limit-rules';
import { attachmentRouter } from './attachment.router';
import { batchRouter } from './batch.router';
import { identifyReconcileRouter } from './identify-reconcile.router';
import type { ImportSetService } from '../import-sets';
import { importSetRouter } from './import-set.router';
import { sendFailure, servicenowErrorHandler } from './failure-envelope';
import {
  enforceRateLimits,
  methodOverride,
  requireAuth,
  requireJson,
  transactionHeaders,
  type InstanceCredentials,
} from './request-guards';
import type { NowApiDeps } from './now-api';
import { tableRouter } from './table.router';

/** Largest accepted request body. */
const BODY_LIMIT = '10mb';

/** Everything under `/api/now`: the Table API in its unversioned, v1 and v2 forms, the Attachment, Batch and Import Set APIs. */
export function servicenowRouter(
  deps: NowApiDeps,
  imports: ImportSetService,
  credentials: InstanceCredentials,
  rateLimits: RateLimitRules,
  logger: Logger,
): Router {
  const router = Router();
  router.use(transactionHeaders, methodOverride, requireAuth(credentials), enforceRateLimits(rateLimits));
  // Attachments carry files of any type; everything else speaks JSON.
  router.use('/attachment', attachmentRouter(deps));
  router.use(requireJson, express.json({ limit: BODY_LIMIT, type: ['application/json', '+json'] }));
  router.use(['/batch', '/v1/batch'], batchRouter());
  router.use('/identifyreconcile', identifyReconcileRouter(deps));
  router.use('/import', importSetRouter(deps, imports));
  router.use(['/table', '/v2/table'], tableRouter(deps, 'latest'));
  router.use('/v1/table', tableRouter(deps, 'v1'));
  router.use((req, res) =>
    sendFailure(res, 400, `Requested URI does not represent any resource: ${req.originalUrl.split('?')[0]}`, null),
  );
  router.use(servicenowErrorHandler(logger));
  return router;
}

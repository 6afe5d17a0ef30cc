import { Router, type RequestHandler } from 'express';
import { fieldOf } from '../../../connectors/servicenow/dictionary';
import { IdentifyReconcileService, IrePayloadError, type IrePayload } from '../identify-reconcile';
import { sendFailure } from './failure-envelope';
import type { NowApiDeps } from './now-api';
import { requestUser } from './request-guards';

/**
 * `POST /api/now/identifyreconcile` and its dry run `/query` (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_IdentifyReconcileAPI.html); the
 * `/enhanced` and `/queryEnhanced` variants take the same payload here (their options string is
 * accepted and not modelled).
 */
export function identifyReconcileRouter(deps: NowApiDeps): Router {
  const router = Router();
  const ire = new IdentifyReconcileService(deps.store, deps.service);
  const choices = new Set((fieldOf('cmdb_ci', 'discovery_source')?.choices ?? []).map((c) => c.value));

  const handle =
    (dryRun: boolean): RequestHandler =>
    (req, res) => {
      const dataSource = typeof req.query.sysparm_data_source === 'string' ? req.query.sysparm_data_source : '';
      // [inf] the wording of a refused data source.
      if (!choices.has(dataSource))
        return sendFailure(
          res,
          400,
          'Invalid data source',
          `sysparm_data_source must be a discovery_source choice (${[...choices].join(', ')})`,
        );
      try {
        const result = ire.run((req.body ?? {}) as IrePayload, {
          dataSource,
          dryRun,
          ctx: { user: requestUser(res.locals), inputDisplayValue: false },
        });
        res.json({ result });
      } catch (err) {
        if (err instanceof IrePayloadError) return sendFailure(res, 400, 'Invalid payload', err.message);
        throw err;
      }
    };

  router.post(['/', '/enhanced'], handle(false));
  router.post(['/query', '/queryEnhanced'], handle(true));
  return router;
}

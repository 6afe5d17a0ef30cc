import { Router } from 'express';
import { labelView } from '../awx-views';
import type { AwxController } from '../controller';
import { listPage, type Filterable } from '../list-page';
import { apiRoot, bodyObject, idParam, searchOf } from './awx-request';

const LABEL_FILTERS: Filterable<ReturnType<typeof labelView>> = {
  id: (l) => l.id,
  name: (l) => l.name,
  organization: (l) => l.organization,
};

/** `labels/…`: list (by name and organization), detail, create. */
export function labelsRouter(controller: AwxController): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const root = apiRoot(res);
    res.json(
      listPage(
        controller.listLabels().map((l) => labelView(l, root)),
        `${root}labels/`,
        searchOf(req),
        LABEL_FILTERS,
      ),
    );
  });
  router.get('/:id', (req, res) => {
    res.json(labelView(controller.label(idParam(req)), apiRoot(res)));
  });
  router.post('/', (req, res) => {
    res.status(201).json(labelView(controller.createLabel(bodyObject(req)), apiRoot(res)));
  });
  return router;
}

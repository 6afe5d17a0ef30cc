import type { RequestLimiter } from '../failover-limiter';
import type { ConnectorDeps, ConnectorDescriptor, ConnectorRuntime } from '../connector';
import { addWorkNoteAction, createAddWorkNoteHandler } from './actions/add-work-note.action';
import { attachFileAction, createAttachFileHandler } from './actions/attach-file.action';
import { createChangeTaskAction, createChangeTaskHandler } from './actions/create-change-task.action';
import { createIncidentAction, createIncidentHandler } from './actions/create-incident.action';
import { createOrLinkProblemAction, createOrLinkProblemHandler } from './actions/create-or-link-problem.action';
import { createUpdateRecordHandler, updateRecordAction } from './actions/update-record.action';
import { ServiceNowClient } from './client';
import { classifyError } from './errors';
import { serviceNowConfigSchema, type ServiceNowConfig } from './schemas';

export { ServiceNowClient } from './client';
export type {
  QueryOptions,
  QueryPage,
  ReadOptions,
  WriteOptions,
  OrderBy,
  DisplayValue,
  BatchItem,
  BatchItemResult,
  BatchOutcome,
} from './client';
export { asBool, asDateTime, asInt, queryValue, rawValue, toDateTime, toWire, serviceNowConfigSchema } from './schemas';
export type {
  ServiceNowConfig,
  ServiceNowConfigInput,
  JournalEntry,
  AttachmentInfo,
  ImportSetResult,
  SnRecord,
} from './schemas';

/** The actions, by the name mapping steps use (`servicenow.<name>`). */
export const servicenowActions = {
  update_record: updateRecordAction,
  add_work_note: addWorkNoteAction,
  attach_file: attachFileAction,
  create_change_task: createChangeTaskAction,
  create_incident: createIncidentAction,
  create_or_link_problem: createOrLinkProblemAction,
};

/** Builds the runtime over an existing client (the engine or a test injects it). */
export function createServiceNowRuntime(client: ServiceNowClient): ConnectorRuntime {
  return {
    actions: {
      update_record: createUpdateRecordHandler({ client }),
      add_work_note: createAddWorkNoteHandler({ client }),
      attach_file: createAttachFileHandler({ client }),
      create_change_task: createChangeTaskHandler({ client }),
      create_incident: createIncidentHandler({ client }),
      create_or_link_problem: createOrLinkProblemHandler({ client }),
    },
    async health() {
      try {
        await client.query(client.config.healthTable, { limit: 1, fields: ['sys_id'] });
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
  };
}

/**
 * ServiceNow: Table API write-backs (field updates, work notes, attachments) and new task records
 * (change tasks, incidents, problems). The instance does not deduplicate requests, so
 * non-idempotent actions recover by looking (journal, attachments, correlation_id).
 */
export const servicenowConnector: ConnectorDescriptor<ServiceNowConfig> = {
  name: 'servicenow',
  description:
    'ServiceNow Table API: update records, add work notes, attach files, create change tasks, incidents and problems',
  config: serviceNowConfigSchema,
  actions: servicenowActions,
  acceptsIdempotencyKeys: false,
  defaults: {
    maxConcurrent: 4,
    requestsPerHour: undefined,
    retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 },
    breaker: { failureThreshold: 5, resetAfterMs: 30_000 },
  },
  classify: classifyError,
  /** `deps.client` shares one client (and so one limiter) with the poller and the outbox. */
  create(config: ServiceNowConfig, deps: ConnectorDeps & { client?: ServiceNowClient; limiter?: RequestLimiter }) {
    return createServiceNowRuntime(
      deps.client ?? new ServiceNowClient(config, { logger: deps.logger, limiter: deps.limiter }),
    );
  },
};

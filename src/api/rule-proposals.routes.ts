import { highRiskRulesOf } from '../store/rule-proposal.repository';
import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import { PROPOSABLE_FILE } from '../rules/proposal-review';
import type { RuleProposals } from '../mappings/rule-proposals';
import { PROPOSAL_STATES } from '../store/rule-proposal.repository';
import type { RuleProposalRow } from '../store/schema';
import type { RouteDefinition } from './route';

const proposalBody = z
  .object({
    file: z
      .string()
      .regex(PROPOSABLE_FILE, 'must be a top-level mapping table name such as incident.yaml')
      .describe('the mapping table to replace or add'),
    content: z
      .string()
      .min(1)
      .max(512 * 1024)
      .describe('the whole YAML text of the file'),
    comment: z.string().max(2000).optional().describe('why: shown to the approver and kept in the audit journal'),
  })
  .strict();

const decisionBody = z.object({ comment: z.string().max(2000).optional() }).strict();

const listQuery = z.object({
  state: z.enum(PROPOSAL_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const proposalViewSchema = z.object({
  id: z.string(),
  file: z.string(),
  state: z
    .enum(PROPOSAL_STATES)
    .describe('pending: waits for an approver; active: became the running version; rejected'),
  author: z.string(),
  comment: z.string().nullable(),
  createdAt: z.string().describe('ISO 8601'),
  baseVersion: z.string().describe('the running version the change was made against'),
  version: z.string().describe('the version the mapping tables have with this change'),
  highRiskRules: z
    .array(z.string())
    .describe('added or changed rules that are (or were) risk: high; non-empty = a second person must approve'),
  decidedBy: z.string().nullable(),
  decisionComment: z.string().nullable(),
  decidedAt: z.string().nullable(),
  activatedVersion: z.string().nullable(),
  activatedAt: z.string().nullable(),
});

const proposalDetailSchema = proposalViewSchema.extend({
  content: z.string(),
  diff: z.string().describe('unified diff from the file as it was when proposed'),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function toView(p: RuleProposalRow): z.infer<typeof proposalViewSchema> {
  return {
    id: p.id,
    file: p.file,
    state: p.state as z.infer<typeof proposalViewSchema>['state'],
    author: p.author,
    comment: p.comment,
    createdAt: iso(p.created_at)!,
    baseVersion: p.base_version,
    version: p.version,
    highRiskRules: highRiskRulesOf(p),
    decidedBy: p.decided_by,
    decisionComment: p.decision_comment,
    decidedAt: iso(p.decided_at),
    activatedVersion: p.activated_version,
    activatedAt: iso(p.activated_at),
  };
}

function toDetail(p: RuleProposalRow): z.infer<typeof proposalDetailSchema> {
  return {
    ...toView(p),
    content: p.content,
    diff: createTwoFilesPatch(`${p.base_version}/${p.file}`, `proposal/${p.file}`, p.base_content ?? '', p.content),
  };
}

/** Changing mapping tables through the API: editors propose, approvers decide on high-risk changes (four eyes). */
export function ruleProposalRoutes(proposals: RuleProposals): RouteDefinition[] {
  return [
    {
      method: 'post',
      path: '/rules/proposals',
      permission: 'rules:write',
      summary:
        'Propose the new text of one mapping table. Invalid: 400 with every problem as file:line:col, nothing stored. Adds or changes a risk: high rule: stored pending until another person approves. Otherwise active at once.',
      body: proposalBody,
      response: proposalDetailSchema,
      handle: async (req, { body }) => {
        const input = body as z.infer<typeof proposalBody>;
        return toDetail(await proposals.propose({ ...input, author: req.identity!.subject }));
      },
    },
    {
      method: 'get',
      path: '/rules/proposals',
      permission: 'rules:read',
      summary: 'Proposed mapping changes, newest first, optionally in one state',
      query: listQuery,
      response: z.array(proposalViewSchema),
      handle: async (_req, { query }) => (await proposals.list(query as z.infer<typeof listQuery>)).map(toView),
    },
    {
      method: 'get',
      path: '/rules/proposals/:id',
      permission: 'rules:read',
      summary: 'One proposal with its text and its diff',
      response: proposalDetailSchema,
      handle: async (req) => toDetail(await proposals.get(String(req.params.id))),
    },
    {
      method: 'post',
      path: '/rules/proposals/:id/approve',
      permission: 'approvals:decide',
      summary:
        'Approve a pending proposal and make it the running version; the author cannot approve their own (403 proposal.own_change)',
      body: decisionBody,
      response: proposalDetailSchema,
      handle: async (req, { body }) =>
        toDetail(
          await proposals.approve(String(req.params.id), req.identity!.subject, body.comment as string | undefined),
        ),
    },
    {
      method: 'post',
      path: '/rules/proposals/:id/reject',
      permission: 'approvals:decide',
      summary: 'Reject a pending proposal; nothing changes',
      body: decisionBody,
      response: proposalDetailSchema,
      handle: async (req, { body }) =>
        toDetail(
          await proposals.reject(String(req.params.id), req.identity!.subject, body.comment as string | undefined),
        ),
    },
  ];
}

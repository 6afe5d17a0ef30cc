/** The API's shapes as the console reads them (the OpenAPI document at /api/v1/openapi.json is the reference). */

export type Permission =
  | 'runs:read'
  | 'runs:trigger'
  | 'runs:retry'
  | 'runs:cancel'
  | 'rules:read'
  | 'rules:write'
  | 'approvals:decide'
  | 'audit:read';

export interface Session {
  subject: string;
  roles: string[];
  permissions: Permission[];
}

export interface StepView {
  name: string;
  use: string;
  state: string;
  stage: number;
  compensates: string | null;
  gates: string[];
  waitingFor: string | null;
  attempt: number;
  externalRef: string | null;
  error: string | null;
}

export interface RunView {
  id: string;
  rule: string;
  ruleVersion: string;
  ticket: string;
  table: string;
  state: string;
  createdAt: string;
  finishedAt: string | null;
  steps: StepView[];
}

export interface RunTimeline {
  run: RunView;
  steps: {
    name: string;
    stage: number;
    state: string;
    attempt: number;
    startedAt: string | null;
    finishedAt: string | null;
    durationMs: number | null;
    waitingFor: string | null;
    output: string | null;
  }[];
  writebacks: {
    kind: 'fields' | 'attachment';
    state: string;
    queuedAt: string;
    sentAt: string | null;
    attempts: number;
    lastError: string | null;
    workNote: string | null;
    fields: Record<string, unknown>;
    fileName: string | null;
  }[];
  decisions: { at: string; kind: string; actor: string; detail: unknown }[];
}

export const RUN_STATES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'refused', 'cancelled'] as const;

export interface RuleSummary {
  id: string;
  table: string;
  mode: string;
  risk: string;
  on: unknown[];
}

export interface RuleDetail {
  id: string;
  table: string;
  file: string;
  version: string;
  description: string;
  owner: string;
  risk: string;
  mode: string;
  on: unknown[];
  condition: string;
  gates: string[];
  steps: { name: string; use: string; gates: string[]; when: string | null }[];
  stages: string[][];
  writeback: Record<string, { work_note?: string; fields?: Record<string, string> } | undefined>;
}

export interface DryRunResult {
  ruleVersion: string;
  trigger: string;
  matched: string[];
  steps: { rule: string; name: string; use: string; with: unknown }[];
  explain: Record<string, { matched: boolean; mode?: string; reason?: string; failedTerms?: string[] }>;
}

export interface Proposal {
  id: string;
  file: string;
  state: 'pending' | 'active' | 'rejected';
  author: string;
  comment: string | null;
  createdAt: string;
  baseVersion: string;
  version: string;
  highRiskRules: string[];
  decidedBy: string | null;
  decisionComment: string | null;
  decidedAt: string | null;
  content?: string;
  diff?: string;
}

export const WATCHED_TABLES = ['incident', 'change_request', 'problem'] as const;

export interface Overview {
  from: string;
  to: string;
  truncated: boolean;
  perHour: { hour: string; started: number; succeeded: number; failed: number }[];
  successRate: number | null;
  byRule: {
    rule: string;
    runs: number;
    succeeded: number;
    failed: number;
    p50Ms: number | null;
    p95Ms: number | null;
  }[];
}

export const EVENT_STATES = ['pending', 'done', 'dropped', 'superseded', 'rejected'] as const;

export interface EventView {
  id: number;
  key: string;
  table: string;
  sys_id: string;
  ticket: string;
  sys_mod_count: number;
  kind: string;
  source: string;
  state: (typeof EVENT_STATES)[number];
  reason: string | null;
  attempts: number;
  received_at: string;
  processed_at: string | null;
  next_attempt_at: string | null;
}

export interface RuleRevision {
  version: string;
  loadedAt: string;
  loadedBy: string;
  current: boolean;
  text: string | null;
  diff: string;
}

export interface ServiceNowBudget {
  limitPerHour: number | null;
  perHour: { hour: string; calls: number }[];
  remaining: number | null;
}

/** `GET /api/v1/slo` (src/api/slo.routes.ts). */
export interface SloReport {
  evaluatedAt: string;
  slos: {
    id: string;
    rule: string;
    indicator: 'success' | 'duration';
    objective: number;
    periodDays: number;
    thresholdSeconds?: number;
    events: number;
    bad: number;
    sli: number | null;
    errorBudgetRemaining: number | null;
    burning: 'page' | 'ticket' | null;
  }[];
  alerts: { key: string; kind: string; target: string; summary: string; openedAt: string }[];
}

import { highRiskRulesOf } from '../store/rule-proposal.repository';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Logger } from '../observability/logger';
import { type Repositories, type Store, inTransaction } from '../store';
import type { ProposalState } from '../store/rule-proposal.repository';
import type { RuleProposalRow } from '../store/schema';
import { versionOf } from '../rules/build-rule-set';
import { readMappingSources } from './mapping-files';
import type { MappingCatalog } from '../rules/mapping-catalog';
import { reviewProposal } from '../rules/proposal-review';
import type { RuleReloader } from './rule-reloader';
import { formatProblem, type MappingProblem } from '../rules/validation-problem';
import { writeAtomically } from './write-atomically';

export interface RuleProposalsDeps {
  /** The mappings directory the reloader loads: activation writes the file here. */
  dir: string;
  catalog: MappingCatalog;
  rules: Pick<RuleReloader, 'current' | 'reload'>;
  store: Store;
  repos: Pick<Repositories, 'ruleProposals' | 'audit'>;
  logger: Logger;
  now?: () => number;
}

export interface ProposalInput {
  file: string;
  content: string;
  comment?: string;
  author: string;
}

/** Problems as the API reports them: `file:line:col` in the path, like `snowline validate` prints them. */
function invalid(what: string, problems: MappingProblem[]): ValidationError {
  return new ValidationError(
    what,
    problems.map((p) => ({ path: `${p.file}:${p.line}:${p.col}`, message: p.message })),
  );
}

/**
 * Changes to mapping tables through the API, with four eyes on high-risk rules. A proposal is
 * validated like `snowline validate`; a change that adds or modifies a `risk: high` rule waits
 * until a different person with the approver role approves it, any other change is activated at
 * once. Activation goes through the files like any change: the file is written into the mappings
 * directory (atomically) and the reloader loads it, recording the version with who changed it.
 */
export function createRuleProposals(deps: RuleProposalsDeps) {
  const now = deps.now ?? Date.now;
  const { store, repos, logger } = deps;
  // One activation at a time on this instance: each checks the directory against the running set.
  let activating = Promise.resolve();

  async function load(id: string): Promise<RuleProposalRow> {
    const proposal = await repos.ruleProposals.find(id);
    if (!proposal) throw new NotFoundError('proposal', id);
    return proposal;
  }

  function pendingOrRefuse(proposal: RuleProposalRow): void {
    if (proposal.state !== 'pending')
      throw new ConflictError(
        'proposal.not_pending',
        `proposal ${proposal.id} is ${proposal.state}; only a pending proposal can be decided`,
        { state: proposal.state },
      );
  }

  /** Files edited on disk but not running (invalid, or not reloaded yet) would go live with the proposal unreviewed. */
  function refuseWhenDirectoryDiverged(runningVersion: string): void {
    const onDisk = versionOf(readMappingSources(deps.dir));
    if (onDisk !== runningVersion) {
      throw new ConflictError(
        'rules.directory_diverged',
        `the mappings directory holds changes that are not running (version ${onDisk} on disk, ${runningVersion} running); fix or revert them first`,
        { onDisk, running: runningVersion },
      );
    }
  }

  function exclusively<T>(work: () => Promise<T>): Promise<T> {
    const result = activating.then(work);
    activating = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Makes the proposal the running version. Refused, with nothing written, when the file changed
   * since it was proposed (the approver would approve a diff that no longer applies), when the set
   * no longer validates, or when the directory holds changes that are not running.
   */
  function activate(proposal: RuleProposalRow, decision?: { by: string; comment?: string }): Promise<RuleProposalRow> {
    return exclusively(async () => {
      const running = deps.rules.current();
      if ((running.sources[proposal.file] ?? null) !== proposal.base_content) {
        throw new ConflictError(
          'proposal.stale',
          `${proposal.file} changed since proposal ${proposal.id} was made (running version ${running.version}); propose the change again`,
          { runningVersion: running.version },
        );
      }
      const review = reviewProposal(running.sources, proposal.file, proposal.content, deps.catalog);
      if (!review.ok)
        throw new ConflictError(
          'proposal.invalid',
          `proposal ${proposal.id} no longer validates against the running version ${running.version}`,
          { problems: review.problems.map(formatProblem) },
        );
      refuseWhenDirectoryDiverged(running.version);
      const loadedBy = decision ? `${proposal.author}, approved by ${decision.by}` : proposal.author;
      await writeAtomically(join(deps.dir, proposal.file), proposal.content);
      const reloaded = await deps.rules.reload(loadedBy);
      if (reloaded.version !== review.version) {
        // Someone changed the directory between the check and the reload: put the file back as it was.
        await restore(proposal, running.sources[proposal.file]);
        throw new ConflictError(
          'rules.activation_raced',
          `the mappings directory changed while proposal ${proposal.id} was being activated; running version is ${reloaded.version}`,
          { running: reloaded.version },
        );
      }
      const at = now();
      const settled = await inTransaction(store, async (trx) => {
        const done = await repos.ruleProposals.settle(trx, proposal.id, {
          state: 'active',
          decided_by: decision?.by ?? null,
          decision_comment: decision?.comment ?? null,
          decided_at: decision ? at : null,
          activated_version: review.version,
          activated_at: at,
        });
        if (!done) return false;
        const subject = `mappings/${proposal.file}`;
        if (decision)
          await repos.audit.append(
            trx,
            {
              kind: 'rules.approved',
              actor: decision.by,
              subject,
              detail: {
                proposal: proposal.id,
                author: proposal.author,
                highRiskRules: highRiskRulesOf(proposal),
                comment: decision.comment ?? null,
              },
            },
            at,
          );
        await repos.audit.append(
          trx,
          {
            kind: 'rules.activated',
            actor: decision?.by ?? proposal.author,
            subject,
            detail: { proposal: proposal.id, version: review.version, previous: running.version, loadedBy },
          },
          at,
        );
        return true;
      });
      // Another instance decided it first; the same content is running, so nothing is undone.
      if (!settled) logger.warn('rule proposal was decided elsewhere while being activated', { proposal: proposal.id });
      logger.info('rule proposal activated', {
        proposal: proposal.id,
        file: proposal.file,
        version: review.version,
        loadedBy,
      });
      return load(proposal.id);
    });
  }

  async function restore(proposal: RuleProposalRow, previous: string | undefined): Promise<void> {
    const path = join(deps.dir, proposal.file);
    if (previous === undefined) await rm(path, { force: true });
    else await writeAtomically(path, previous);
  }

  return {
    /**
     * Validates and stores a proposed mapping table. Invalid: a ValidationError with every problem
     * and nothing stored. High-risk: stored pending. Otherwise activated before this returns.
     */
    async propose(input: ProposalInput): Promise<RuleProposalRow> {
      const running = deps.rules.current();
      const review = reviewProposal(running.sources, input.file, input.content, deps.catalog);
      if (!review.ok) throw invalid(`mapping table ${input.file}`, review.problems);
      if (review.version === running.version)
        throw new ConflictError(
          'proposal.no_change',
          `${input.file} is already running with this content (version ${running.version})`,
        );
      refuseWhenDirectoryDiverged(running.version);
      const at = now();
      const proposal: RuleProposalRow = {
        id: randomUUID(),
        file: input.file,
        content: input.content,
        base_content: running.sources[input.file] ?? null,
        base_version: running.version,
        version: review.version,
        high_risk_rules: JSON.stringify(review.highRiskRules),
        state: 'pending',
        author: input.author,
        comment: input.comment ?? null,
        created_at: at,
        decided_by: null,
        decision_comment: null,
        decided_at: null,
        activated_version: null,
        activated_at: null,
      };
      await inTransaction(store, async (trx) => {
        await repos.ruleProposals.create(trx, proposal);
        await repos.audit.append(
          trx,
          {
            kind: 'rules.proposed',
            actor: input.author,
            subject: `mappings/${input.file}`,
            detail: {
              proposal: proposal.id,
              baseVersion: running.version,
              version: review.version,
              highRiskRules: review.highRiskRules,
              comment: proposal.comment,
            },
          },
          at,
        );
      });
      return review.highRiskRules.length > 0 ? proposal : activate(proposal);
    },

    /** A second person approves: the author never can (four eyes), whatever roles they hold. */
    async approve(id: string, approver: string, comment?: string): Promise<RuleProposalRow> {
      const proposal = await load(id);
      pendingOrRefuse(proposal);
      if (proposal.author === approver) {
        throw new ForbiddenError(
          'proposal.own_change',
          `four eyes: ${approver} proposed ${id} and cannot approve it; another person with the approver role must`,
          { author: proposal.author },
        );
      }
      return activate(proposal, { by: approver, comment });
    },

    /** Rejecting activates nothing, so anyone who may decide can do it, the author included (withdrawing). */
    async reject(id: string, actor: string, comment?: string): Promise<RuleProposalRow> {
      const proposal = await load(id);
      pendingOrRefuse(proposal);
      const at = now();
      const settled = await inTransaction(store, async (trx) => {
        if (
          !(await repos.ruleProposals.settle(trx, id, {
            state: 'rejected',
            decided_by: actor,
            decision_comment: comment ?? null,
            decided_at: at,
          }))
        )
          return false;
        await repos.audit.append(
          trx,
          {
            kind: 'rules.rejected',
            actor,
            subject: `mappings/${proposal.file}`,
            detail: { proposal: id, author: proposal.author, comment: comment ?? null },
          },
          at,
        );
        return true;
      });
      if (!settled) pendingOrRefuse(await load(id));
      return load(id);
    },

    get: load,
    list: (filter: { state?: ProposalState; limit: number }) => repos.ruleProposals.list(filter),
  };
}
export type RuleProposals = ReturnType<typeof createRuleProposals>;

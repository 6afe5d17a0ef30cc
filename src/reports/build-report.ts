import type { ReportsConfig } from './reports-settings';
import type { ReportRange, ReportRepository } from '../store/report.repository';
import { adoptionReport } from './adoption.report';
import { failuresReport } from './failures.report';
import { portfolioReport } from './portfolio.report';
import type { Report, ReportKind } from './report';
import type { PortfolioRule } from './rule-lint';
import { slasReport } from './slas.report';
import { valueReport, type ResolvedTicket } from './value.report';

export interface ReportInputs {
  reports: ReportRepository;
  settings: ReportsConfig;
  /** The loaded rules (portfolio review). */
  rules: () => PortfolioRule[];
  /** Resolved tickets read from ServiceNow (value report), when asked for. */
  resolved?: () => Promise<ResolvedTicket[]>;
}

/** Builds one report of `kind` over `range`: the one entry the CLI and the API share. */
export async function buildReport(kind: ReportKind, range: ReportRange, inputs: ReportInputs): Promise<Report> {
  switch (kind) {
    case 'value':
      return valueReport(inputs.reports, inputs.settings, range, await inputs.resolved?.());
    case 'portfolio':
      return portfolioReport(inputs.reports, inputs.settings, inputs.rules(), range);
    case 'failures':
      return failuresReport(inputs.reports, range);
    case 'slas':
      return slasReport(inputs.reports, inputs.settings, range);
    case 'adoption':
      return adoptionReport(inputs.reports, range);
  }
}

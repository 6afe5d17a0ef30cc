/** The two kinds of template a controller launches, and where each keeps its templates and jobs. */
export type TemplateKind = 'job_template' | 'workflow_job_template';

export const KIND_PATHS: Record<
  TemplateKind,
  { templates: string; jobs: string; templateFilter: string; noun: string }
> = {
  job_template: { templates: 'job_templates/', jobs: 'jobs/', templateFilter: 'job_template', noun: 'job template' },
  workflow_job_template: {
    templates: 'workflow_job_templates/',
    jobs: 'workflow_jobs/',
    templateFilter: 'workflow_job_template',
    noun: 'workflow job template',
  },
};

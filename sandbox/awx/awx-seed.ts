import {
  ASK_FLAGS,
  WORKFLOW_ASK_FLAGS,
  type AskFlag,
  type JobTemplate,
  type WorkflowAskFlag,
  type WorkflowTemplate,
} from './awx-model';

/** The organization, inventory and project every sandbox template belongs to. */
export const ORGANIZATION = {
  id: 1,
  name: 'Snowline Sandbox',
  description: 'Practice organization of the Snowline sandbox',
};
export const INVENTORY = {
  id: 1,
  name: 'Sandbox CMDB',
  description: 'Hosts of the sandbox CMDB (web-01, web-02, db-01)',
};
export const PROJECT = { id: 6, name: 'Snowline playbooks', description: 'Remediation playbooks', scm_type: 'git' };

/** Hosts a job runs on when its limit names none. */
export const INVENTORY_HOSTS = ['web-01', 'web-02', 'db-01'];

/** Variables, limit and labels may be given at launch; every other prompt is ignored. */
const ASK: Record<AskFlag, boolean> = {
  ...(Object.fromEntries(ASK_FLAGS.map((flag) => [flag, false])) as Record<AskFlag, boolean>),
  ask_variables_on_launch: true,
  ask_limit_on_launch: true,
  ask_labels_on_launch: true,
};

const template = (
  id: number,
  name: string,
  playbook: string,
  description: string,
  tasks: string[],
  extraVars: Record<string, unknown> = {},
  ask = ASK,
): JobTemplate => ({
  id,
  name,
  description,
  playbook,
  extraVars,
  tasks,
  ask,
});

/** The seeded job templates, with fixed ids. */
export const JOB_TEMPLATES: readonly JobTemplate[] = [
  template(7, 'Restart service', 'restart_service.yml', 'Restart a systemd service and wait until it is active', [
    'Check that {{ service_name }} is installed',
    'Restart {{ service_name }}',
    'Wait until {{ service_name }} is active',
  ]),
  template(
    8,
    'Clean up disk space',
    'cleanup_disk.yml',
    'Remove rotated logs and package caches',
    ['Measure free space on {{ path }}', 'Remove rotated logs older than 7 days', 'Clean the package cache'],
    { path: '/var/log', min_free_percent: 20 },
  ),
  template(
    9,
    'Patch host',
    'patch_host.yml',
    'Apply pending OS updates',
    ['Refresh package metadata', 'Apply updates', 'Reboot if a new kernel was installed'],
    { reboot_if_needed: true },
  ),
  template(
    10,
    'Provision server',
    'provision_server.yml',
    'Create and configure a server',
    ['Create the virtual machine', 'Apply the base configuration', 'Register the server in the CMDB'],
    { os: 'rhel9', size: 'small' },
  ),
  // Does not prompt for labels: launches of it are found again by their extra vars.
  template(
    11,
    'Revoke user access',
    'revoke_access.yml',
    'Lock an account and remove its keys',
    ['Lock account {{ user_name }}', 'Remove authorized keys of {{ user_name }}'],
    {},
    { ...ASK, ask_labels_on_launch: false },
  ),
  template(
    12,
    'Reboot cloud VM',
    'reboot_vm.yml',
    'Reboot a cloud instance and wait for SSH',
    ['Reboot the instance', 'Wait for SSH'],
    { wait_for_ssh: true },
  ),
  template(
    13,
    'Roll back patches',
    'rollback_patch.yml',
    'Undo the last package transaction (rollback plan of Patch host)',
    ['Find the last package transaction', 'Undo it', 'Reboot if the kernel changed back'],
  ),
  // A scan job succeeds whatever it finds and reports the verdict in its artifacts (set_stats), as
  // scanners wrapped in playbooks do; a milestone check reads `artifacts.scan_result`. The sandbox
  // reports a pass unless the launch sets sandbox_artifacts itself.
  template(
    14,
    'Security scan',
    'security_scan.yml',
    'Scan an application release for known vulnerabilities',
    ['Fetch the release of {{ application }}', 'Scan it for known vulnerabilities', 'Report the verdict'],
    { sandbox_artifacts: { scan_result: 'passed', findings: 0 } },
  ),
  template(15, 'Deploy application', 'deploy_application.yml', 'Deploy an application release to production', [
    'Take {{ target_host }} out of the load balancer',
    'Install {{ application }}',
    'Put {{ target_host }} back into the load balancer',
  ]),
  template(
    16,
    'Roll back deployment',
    'rollback_deployment.yml',
    'Reinstall the previous release (rollback plan of Deploy application)',
    ['Reinstall the previous release of {{ application }}', 'Check that {{ application }} answers'],
  ),
];

const WORKFLOW_ASK: Record<WorkflowAskFlag, boolean> = {
  ...(Object.fromEntries(WORKFLOW_ASK_FLAGS.map((flag) => [flag, false])) as Record<WorkflowAskFlag, boolean>),
  ask_variables_on_launch: true,
  ask_limit_on_launch: true,
  ask_labels_on_launch: true,
};

/**
 * The seeded workflow job templates. Their ids continue the job templates' (AWX numbers every
 * kind of template from one sequence).
 */
export const WORKFLOW_TEMPLATES: readonly WorkflowTemplate[] = [
  {
    id: 17,
    name: 'Patch and restart',
    description: 'Patch host, then restart its service',
    extraVars: {},
    nodes: [9, 7],
    ask: WORKFLOW_ASK,
  },
  {
    id: 18,
    name: 'Provision and patch',
    description: 'Provision a server, then patch it',
    extraVars: { os: 'rhel9' },
    nodes: [10, 9],
    ask: WORKFLOW_ASK,
  },
];

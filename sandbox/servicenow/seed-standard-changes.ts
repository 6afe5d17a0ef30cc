import { seedSysId } from './glide-values';

type Put = (table: string, id: string, values: Record<string, string>) => void;

/** A few standard change templates of the kind automation executes in real shops [sandbox choice]. */
const TEMPLATES = [
  {
    name: 'Restart a service on a Linux server',
    category: 'Software',
    values: {
      short_description: 'Restart a service on a Linux server',
      category: 'Software',
      risk: '4',
      impact: '3',
      implementation_plan: 'Restart the service with the "Restart service" job template; confirm it is active.',
      backout_plan: 'Start the service again; a restart changes no configuration.',
      test_plan: 'The unit is active and its health check answers.',
    },
  },
  {
    name: 'Apply OS security patches to a Linux server',
    category: 'System Software',
    values: {
      short_description: 'Apply OS security patches to a Linux server',
      category: 'System Software',
      risk: '4',
      impact: '2',
      implementation_plan: 'Apply pending security updates with the "Patch host" job template.',
      backout_plan: 'Roll back with the "Roll back patches" job template.',
      test_plan: 'The host boots and its services are active.',
    },
  },
  {
    name: 'Rotate a TLS certificate',
    category: 'Network',
    values: {
      short_description: 'Rotate a TLS certificate',
      category: 'Network',
      risk: '4',
      impact: '3',
      implementation_plan: 'Install the renewed certificate and reload the web server.',
      backout_plan: 'Reinstall the previous certificate.',
      test_plan: 'The endpoint presents the new certificate.',
    },
  },
];

/** The sys_id of a seeded template's version 1, as `change_request.std_change_producer_version` takes it. */
export const standardChangeVersionId = (templateName: string) =>
  seedSysId(`std_change_producer_version:${templateName}:1`);

/** Seeds each template with its record producer and version 1 (docs/servicenow-behaviour.md §3.4). */
export function seedStandardChanges(put: Put): void {
  for (const t of TEMPLATES) {
    const templateId = seedSysId(`std_change_template:${t.name}`);
    const producerId = seedSysId(`std_change_record_producer:${t.name}`);
    const encoded = Object.entries(t.values)
      .map(([field, value]) => `${field}=${value}`)
      .join('^');
    put('std_change_template', templateId, { name: t.name, table: 'change_request', template: encoded });
    put('std_change_record_producer', producerId, {
      name: t.name,
      short_description: t.values.short_description,
      template: templateId,
      category: t.category,
    });
    put('std_change_producer_version', standardChangeVersionId(t.name), {
      name: `${t.name} - v1`,
      std_change_producer: producerId,
      version: '1',
      template_value: encoded,
    });
  }
}

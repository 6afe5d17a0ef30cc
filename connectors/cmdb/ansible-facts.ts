import type { CiItem } from './schemas';

/** Serial numbers that mean "unknown" in Ansible facts; identifying by them would merge CIs. */
const NO_SERIAL = new Set(['', 'NA', 'N/A', 'None', 'Not Specified', 'To be filled by O.E.M.', '0']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number'
      ? String(value)
      : undefined;
}

/**
 * A server CI from Ansible facts (`ansible_facts` of a gather_facts run, keys with or without the
 * `ansible_` prefix, as set_stats artifacts carry them). Only facts that are present become values.
 */
export function ciFromAnsibleFacts(facts: Record<string, unknown>, className = 'cmdb_ci_linux_server'): CiItem {
  const fact = (name: string): unknown => facts[`ansible_${name}`] ?? facts[name];
  const ipv4 = (fact('default_ipv4') ?? {}) as Record<string, unknown>;
  const serial = text(fact('product_serial'));
  const candidates: Record<string, string | undefined> = {
    name: text(fact('hostname')),
    host_name: text(fact('hostname')),
    fqdn: text(fact('fqdn')),
    ip_address: text(ipv4.address),
    mac_address: text(ipv4.macaddress),
    serial_number: serial && !NO_SERIAL.has(serial) ? serial : undefined,
    os: text(fact('distribution')),
    os_version: text(fact('distribution_version')),
    cpu_count: text(fact('processor_vcpus')),
    ram: text(fact('memtotal_mb')),
  };
  const values: Record<string, string> = {};
  for (const [field, value] of Object.entries(candidates)) if (value !== undefined) values[field] = value;
  return { className, values, internal_id: values.name };
}

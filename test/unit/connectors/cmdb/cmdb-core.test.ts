import { ciFromAnsibleFacts, relationProblems } from '../../../../connectors/cmdb';

describe('ciFromAnsibleFacts', () => {
  it('maps the usual facts, with or without the ansible_ prefix', () => {
    expect(
      ciFromAnsibleFacts({
        hostname: 'db-9',
        ansible_fqdn: 'db-9.example.com',
        default_ipv4: { address: '10.1.1.9' },
        ansible_product_serial: 'SN9',
        ansible_memtotal_mb: 2048,
      }),
    ).toEqual({
      className: 'cmdb_ci_linux_server',
      internal_id: 'db-9',
      values: {
        name: 'db-9',
        host_name: 'db-9',
        fqdn: 'db-9.example.com',
        ip_address: '10.1.1.9',
        serial_number: 'SN9',
        ram: '2048',
      },
    });
  });
  it('drops placeholder serial numbers, which would merge unrelated servers', () => {
    for (const serial of ['NA', 'To be filled by O.E.M.', 'None'])
      expect(ciFromAnsibleFacts({ hostname: 'x', product_serial: serial }).values.serial_number).toBeUndefined();
  });
});

describe('relationProblems', () => {
  it('names relations whose ends are not items', () => {
    const items = [{ className: 'cmdb_ci_service', values: { name: 'S' }, internal_id: 's' }];
    expect(relationProblems(items, [{ parent_id: 's', child_id: 'x', type: 'Runs on::Runs' }])).toEqual([
      'relations[0].child_id: no item has internal_id "x"',
    ]);
  });
});

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/run-cli';

// Encoded-query JOIN and RLQUERY (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html): the rule engine does not implement
// them, so `snowline validate` refuses a condition using either, naming the file and the construct.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snowline-validate-'));
  cpSync(join(__dirname, '../../../mappings'), dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const plant = (construct: string) => {
  const file = join(dir, 'incident.yaml');
  const text = readFileSync(file, 'utf8').replace(
    /condition: active=true\^short_descriptionLIKEis down on/,
    `condition: active=true${construct}^short_descriptionLIKEis down on`,
  );
  expect(text).toContain(construct);
  writeFileSync(file, text);
};

it.each([
  ['^JOINincident.caller_id=sys_user.sys_id!active=true', 'JOIN queries (^JOIN) are not supported'],
  ['^RLQUERYtask_sla.task,>=1^stage=breached^ENDRLQUERY', 'related-list queries (^RLQUERY) are not supported'],
])('validate refuses a condition with %s', async (construct, message) => {
  plant(construct);
  const result = await runCli(['validate', dir], {});
  expect(result.code).toBe(1);
  expect(result.stdout + result.stderr).toContain(message);
  expect(result.stdout + result.stderr).toMatch(/incident\.yaml:\d+:\d+/);
});

// The environment the deploy files set goes through the CLI's config loader, as `switchboard serve` reads it: a
// misspelt SWITCHBOARD_* setting, or a variable the loader does not know (a launcher's), fails here before a deploy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, NON_SETTING_VARIABLES } from '../../src/cli/config.ts';
import { dockerfileEnv, readYaml, splitAssignments, systemdEnv } from './helpers.ts';

// Parsed YAML is walked by path; its shape is what the assertions check.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML and JSON walked by key; each value is asserted where it is read.
type Obj = Record<string, any>;

/** What an operator adds at deploy time (the files leave the secret out on purpose). */
const OPERATOR_ENV = {
  SWITCHBOARD_AUTH__HS256_SECRET: 'a-secret-of-at-least-thirty-two-bytes!!',
  SWITCHBOARD_ALLOW_PLAINTEXT: 'true',
};

/** Loads the environment and checks every SWITCHBOARD_* variable of the file was read as a setting or is a known non-setting. */
async function assertLoads(file: string, env: Record<string, string>): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig({ env: { ...OPERATOR_ENV, ...env } });
  } catch (err) {
    assert.fail(`${file}: the config loader refuses its environment: ${(err as Error).message}`);
  }
  const used = new Set(loaded.sources.values());
  for (const name of Object.keys(env).filter((n) => n.startsWith('SWITCHBOARD_'))) {
    assert.ok(
      used.has(name) || name in NON_SETTING_VARIABLES,
      `${file}: ${name} is neither a setting nor a known variable`,
    );
  }
  return loaded;
}

test('splitAssignments reads quoted and escaped values as Docker and systemd do', () => {
  assert.deepEqual(splitAssignments(`A=1  B="two words" C='x y' D=a\\ b "E=q"`), [
    'A=1',
    'B=two words',
    'C=x y',
    'D=a b',
    'E=q',
  ]);
});

test('deploy/Dockerfile: the runtime ENV loads through the config loader (listen on 0.0.0.0:8080)', async () => {
  const env = dockerfileEnv();
  assert.ok(
    Object.keys(env).some((n) => n.startsWith('SWITCHBOARD_')),
    'the image sets SWITCHBOARD_* variables',
  );
  const { config } = await assertLoads('deploy/Dockerfile', env);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.port, 8080);
});

test('deploy/systemd/switchboard.service: its Environment= lines load through the config loader', async () => {
  const env = systemdEnv();
  assert.ok(Object.keys(env).length > 0, 'the unit sets Environment=');
  await assertLoads('deploy/systemd/switchboard.service', env);
});

test('deploy/k8s/deployment.yaml: the image ENV plus the container env load through the config loader', async () => {
  const deployment = readYaml('k8s/deployment.yaml').find((d) => d['kind'] === 'Deployment') as Obj;
  const container = deployment['spec']['template']['spec']['containers'][0] as Obj;
  const env: Record<string, string> = {};
  for (const e of (container['env'] ?? []) as Obj[])
    env[e['name']] = e['value'] ?? (e['valueFrom'] !== undefined ? OPERATOR_ENV.SWITCHBOARD_AUTH__HS256_SECRET : '');
  assert.ok(Object.keys(env).length > 0);
  await assertLoads('deploy/k8s/deployment.yaml', { ...dockerfileEnv(), ...env });
});

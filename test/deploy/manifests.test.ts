// deploy/k8s/*.yaml and deploy/docker-compose.yml: they parse (PyYAML), fit together (selectors, ports, probes), and their
// environment gives a valid `switchboard serve` configuration with the Redis broker. No cluster or Docker engine runs here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readDeployFile, templateVariables } from '../cluster/harness/templates.ts';
import { configFromEnv, durationMs, readYaml } from './helpers.ts';

// Parsed YAML is walked by path; its shape is what the assertions check.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML and JSON walked by key; each value is asserted where it is read.
type Obj = Record<string, any>;

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';

function one(path: string, kind: string): Obj {
  const docs = readYaml(path).filter((d) => d['kind'] === kind);
  assert.equal(docs.length, 1, `${path} holds one ${kind}`);
  return docs[0] as Obj;
}

function envOf(container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container['env'] as Obj[])
    env[e['name']] = e['value'] ?? (e['valueFrom']?.['secretKeyRef'] !== undefined ? SECRET : '');
  return env;
}

test('k8s Deployment: 3 replicas, non-root, liveness /health and readiness /ready on the named port, preStop, grace period above preStop + drain', async () => {
  const d = one('k8s/deployment.yaml', 'Deployment');
  assert.equal(d['apiVersion'], 'apps/v1');
  assert.equal(d['spec']['replicas'], 3);
  assert.deepEqual(d['spec']['selector']['matchLabels'], d['spec']['template']['metadata']['labels']);
  const pod = d['spec']['template']['spec'];
  assert.equal(pod['securityContext']['runAsNonRoot'], true);
  const c = pod['containers'][0];
  const portNames = (c['ports'] as Obj[]).map((p) => p['name']);
  assert.equal(c['livenessProbe']['httpGet']['path'], '/health');
  assert.equal(c['readinessProbe']['httpGet']['path'], '/ready');
  assert.ok(
    portNames.includes(c['livenessProbe']['httpGet']['port']) &&
      portNames.includes(c['readinessProbe']['httpGet']['port']),
  );
  const preStop = (c['lifecycle']['preStop']['exec']['command'] as string[]).join(' ');
  const preStopMs = Number(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(preStop)?.[1] ?? NaN);
  assert.ok(preStopMs > 0, preStop);

  const config = await configFromEnv(envOf(c));
  assert.match(config.broker.url, /^redis:\/\//);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(c['ports'][0]['containerPort'], config.port);
  assert.equal(config.paths.health, '/health');
  assert.equal(config.paths.ready, '/ready');
  assert.ok(
    pod['terminationGracePeriodSeconds'] * 1000 >= preStopMs + config.limits.drainTimeoutMs + 5000,
    'the kubelet never SIGKILLs a drain',
  );
});

test('k8s Service: ClientIP affinity, selects the Deployment pods, targets the named port; PodDisruptionBudget selects them too', () => {
  const d = one('k8s/deployment.yaml', 'Deployment');
  const labels = d['spec']['template']['metadata']['labels'] as Obj;
  const s = one('k8s/service.yaml', 'Service');
  assert.equal(s['spec']['sessionAffinity'], 'ClientIP');
  assert.ok(s['spec']['sessionAffinityConfig']['clientIP']['timeoutSeconds'] > 0);
  for (const [k, v] of Object.entries(s['spec']['selector'] as Obj)) assert.equal(labels[k], v);
  const names = (d['spec']['template']['spec']['containers'][0]['ports'] as Obj[]).map((p) => p['name']);
  assert.ok(names.includes(s['spec']['ports'][0]['targetPort']));
  const pdb = one('k8s/pdb.yaml', 'PodDisruptionBudget');
  assert.equal(pdb['apiVersion'], 'policy/v1');
  for (const [k, v] of Object.entries(pdb['spec']['selector']['matchLabels'] as Obj)) assert.equal(labels[k], v);
  assert.ok(pdb['spec']['maxUnavailable'] === 1 || pdb['spec']['minAvailable'] !== undefined);
});

test('docker-compose.yml: 3 app replicas on Redis behind nginx; app env is a valid serve config; nginx fills every template variable', async () => {
  const [compose] = readYaml('docker-compose.yml') as Obj[];
  const services = compose!['services'] as Obj;
  assert.deepEqual(Object.keys(services).sort(), ['app', 'nginx', 'redis']);
  const app = services['app'];
  assert.equal(app['deploy']['replicas'], 3);
  assert.equal(app['build']['dockerfile'], 'deploy/Dockerfile');
  const env = Object.fromEntries(
    Object.entries(app['environment'] as Obj).map(([k, v]) => [k, String(v).startsWith('${') ? SECRET : String(v)]),
  );
  const config = await configFromEnv(env);
  assert.equal(config.broker.url, 'redis://redis:6379');
  assert.equal(config.host, '0.0.0.0');
  assert.ok(
    durationMs(app['stop_grace_period']) >= config.limits.drainTimeoutMs + 5000,
    'Docker never SIGKILLs a drain',
  );

  const nginx = services['nginx'];
  assert.ok(
    (nginx['volumes'] as string[]).some((v) => v.startsWith('./nginx.conf:')),
    'the committed nginx.conf is the one mounted',
  );
  const vars = Object.keys(nginx['environment'] as Obj).sort();
  assert.deepEqual(vars, templateVariables(readDeployFile('nginx.conf')).sort());
  const command = (nginx['command'] as string[]).join(' ');
  for (const name of vars) assert.match(command, new RegExp(`\\b${name}\\b`), `${name} is substituted`);
  assert.match(nginx['environment']['SB_UPSTREAMS'], new RegExp(`server app:${config.port}\\b`));
});

// deploy/k8s/*.yaml and deploy/docker-compose.yml: they parse (PyYAML), fit together (selectors, ports, probes, the
// Redis the nodes name), Redis keeps an append-only file on a volume, every Compose service has resource limits, and
// the environment gives a valid `switchboard serve` configuration with the Redis broker. No cluster or Docker engine
// runs here.
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

/** The value after `flag` in an argument list (`--dir /data`), or undefined. */
function arg(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

test('docker-compose.yml: Redis keeps an append-only file on a named volume; every service has CPU and memory limits', () => {
  const [compose] = readYaml('docker-compose.yml') as Obj[];
  const services = compose!['services'] as Obj;
  const redis = services['redis'];
  const command = redis['command'] as string[];
  assert.equal(arg(command, '--appendonly'), 'yes');
  assert.equal(arg(command, '--appendfsync'), 'everysec');
  const dir = arg(command, '--dir');
  const mount = (redis['volumes'] as string[]).find((v) => v.split(':')[1] === dir);
  assert.ok(mount !== undefined, `a volume is mounted at --dir ${dir}`);
  const volume = mount.split(':')[0]!;
  assert.ok(Object.keys(compose!['volumes'] as Obj).includes(volume), `${volume} is a named volume`);
  for (const [name, service] of Object.entries(services)) {
    const limits = service['deploy']?.['resources']?.['limits'] as Obj | undefined;
    assert.ok(limits !== undefined, `${name} has deploy.resources.limits`);
    assert.ok(Number(limits['cpus']) > 0, `${name} cpus`);
    assert.match(String(limits['memory']), /^\d+[mg]$/, `${name} memory`);
  }
});

test('docker-compose.yml: nginx publishes 80 and 443, redirects to HTTPS, and reads the certificate and key from the mounted TLS directory', () => {
  const [compose] = readYaml('docker-compose.yml') as Obj[];
  const nginx = (compose!['services'] as Obj)['nginx'];
  const env = nginx['environment'] as Obj;
  assert.deepEqual(nginx['ports'], ['80:80', '443:443']);
  assert.equal(env['SB_LISTEN'], '80');
  assert.equal(env['SB_TLS_LISTEN'], '443');
  assert.equal(env['SB_HTTP_REDIRECT'], 'on');
  const tls = (nginx['volumes'] as string[]).find((v) => v.startsWith('./tls:'));
  assert.ok(tls !== undefined, 'deploy/tls is mounted');
  const target = tls.split(':')[1]!;
  assert.ok(String(env['SB_TLS_CERT']).startsWith(`${target}/`));
  assert.ok(String(env['SB_TLS_KEY']).startsWith(`${target}/`));
  assert.ok(
    (nginx['volumes'] as string[]).some((v) => v.split(':')[1] === env['SB_ACME_ROOT']),
    'the ACME webroot is a volume certbot can share',
  );
});

test('k8s Redis: headless Service `redis` the nodes name, StatefulSet with a PVC at the AOF directory, non-root, probes, resources', () => {
  const service = one('k8s/redis.yaml', 'Service');
  const set = one('k8s/redis.yaml', 'StatefulSet');
  assert.equal(set['apiVersion'], 'apps/v1');
  const deployment = one('k8s/deployment.yaml', 'Deployment');
  const broker = new URL(envOf(deployment['spec']['template']['spec']['containers'][0])['SWITCHBOARD_BROKER__URL']!);
  assert.equal(service['metadata']['name'], broker.hostname, 'the nodes reach this Service by name');
  assert.equal(service['spec']['ports'][0]['port'], Number(broker.port));
  assert.equal(service['spec']['clusterIP'], 'None');
  assert.equal(set['spec']['serviceName'], service['metadata']['name']);
  const labels = set['spec']['template']['metadata']['labels'] as Obj;
  assert.deepEqual(set['spec']['selector']['matchLabels'], labels);
  for (const [k, v] of Object.entries(service['spec']['selector'] as Obj)) assert.equal(labels[k], v);
  for (const [k, v] of Object.entries(deployment['spec']['selector']['matchLabels'] as Obj))
    assert.notEqual(labels[k], v, 'the Redis pod is not selected as a Switchboard node');

  const pod = set['spec']['template']['spec'];
  assert.equal(pod['securityContext']['runAsNonRoot'], true);
  const c = pod['containers'][0];
  const portNames = (c['ports'] as Obj[]).map((p) => p['name']);
  assert.ok(portNames.includes(service['spec']['ports'][0]['targetPort']));
  const args = c['args'] as string[];
  assert.equal(arg(args, '--appendonly'), 'yes');
  const dir = arg(args, '--dir');
  const claims = (set['spec']['volumeClaimTemplates'] as Obj[]).map((v) => v['metadata']['name']);
  const mount = (c['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === dir);
  assert.ok(mount !== undefined && claims.includes(mount['name']), `a PVC is mounted at --dir ${dir}`);
  const claim = (set['spec']['volumeClaimTemplates'] as Obj[]).find((v) => v['metadata']['name'] === mount['name'])!;
  assert.match(String(claim['spec']['resources']['requests']['storage']), /^\d+[GM]i$/);
  assert.deepEqual(c['readinessProbe']['exec']['command'], ['redis-cli', 'ping']);
  assert.ok(c['livenessProbe'] !== undefined);
  assert.match(String(c['resources']['requests']['memory']), /^\d+[GM]i$/);
  assert.match(String(c['resources']['limits']['memory']), /^\d+[GM]i$/);
});

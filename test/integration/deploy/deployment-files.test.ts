import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parse } from 'yaml';
import { renderChart } from '../../helpers/helm-template';

/**
 * No container engine or helm binary runs on these machines, so the deployment files are checked
 * statically: the compose file by dclint (the Compose Specification's JSON schema plus its rules),
 * the chart rendered and each manifest validated against the Kubernetes OpenAPI schema
 * (kubernetes-models), and the Dockerfile for the promises the image makes.
 */
const ROOT = join(__dirname, '..', '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'snowline');
const run = promisify(execFile);

type Manifest = { kind: string; metadata: { name: string }; spec: Record<string, any> };
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  ConfigMap,
  Service,
  Deployment,
  HorizontalPodAutoscaler,
  PodDisruptionBudget,
};

function validated(manifests: unknown[]): Manifest[] {
  return (manifests as Manifest[]).map((manifest) => {
    const Model = MODELS[manifest.kind];
    if (!Model) throw new Error(`no schema for kind ${manifest.kind}`);
    new Model(manifest).validate();
    return manifest;
  });
}

describe('deploy/compose.yaml', () => {
  it('passes dclint: the Compose schema and its rules, no warning', async () => {
    const dclint = join(ROOT, 'node_modules', 'dclint', 'bin', 'dclint.cjs');
    const result = await run(process.execPath, [dclint, '--max-warnings', '0', 'deploy/compose.yaml'], {
      cwd: ROOT,
    }).then(
      () => ({ code: 0, out: '' }),
      (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
    );
    expect(result).toEqual({ code: 0, out: '' });
  });

  it('runs PostgreSQL, Redis, three Snowline instances on them, and the sandbox reachable from outside', () => {
    const compose = parse(readFileSync(join(ROOT, 'deploy', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; command?: string[]; depends_on?: object }>;
    };
    const names = Object.keys(compose.services).sort();
    expect(names).toEqual(['postgres', 'redis', 'sandbox', 'snowline-1', 'snowline-2', 'snowline-3']);
    for (const name of ['snowline-1', 'snowline-2', 'snowline-3']) {
      const env = compose.services[name]!.environment!;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(env.SNOWLINE_REDIS_URL).toBe('redis://redis:6379');
      expect(env.SERVICENOW_URL).toBe('http://sandbox:8081');
    }
    expect(compose.services.sandbox!.command).toEqual(['sandbox']);
    expect(compose.services.sandbox!.environment!.SNOWLINE_SANDBOX_HOST).toBe('0.0.0.0');
  });
});

describe('deploy/helm/snowline', () => {
  it('renders manifests that the Kubernetes schema accepts: probes, resources, PDB, HPA, secrets by reference', () => {
    const manifests = validated(renderChart(CHART));
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ]);
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.requests).toEqual({ cpu: '250m', memory: '256Mi' });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // Replicas belong to the HPA when it is on.
    expect(deployment.spec.replicas).toBeUndefined();
    const env = container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string } } }[];
    for (const secret of ['DATABASE_URL', 'SERVICENOW_PASSWORD', 'SNOWLINE_JWT_SECRET', 'SNOWLINE_WEBHOOK_SECRET'])
      expect(env.find((e) => e.name === secret)).toEqual({
        name: secret,
        valueFrom: { secretKeyRef: expect.objectContaining({ name: 'snowline-secrets' }) },
      });
    // No secret value anywhere in what the chart renders.
    expect(env.filter((e) => e.value !== undefined).map((e) => e.name)).toEqual([
      'SNOWLINE_CONFIG',
      'SERVICENOW_URL',
      'LOG_LEVEL',
    ]);
    const pdb = manifests.find((m) => m.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec.minAvailable).toBe(2);
    const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10, scaleTargetRef: { name: 'snowline' } });
  });

  it('with autoscaling off, sets replicas and renders no HPA; optional settings appear when given', () => {
    const manifests = validated(
      renderChart(CHART, {
        autoscaling: { enabled: false },
        awxUrl: 'https://awx.example.com',
        redisUrl: 'redis://r:6379',
      }),
    );
    expect(manifests.some((m) => m.kind === 'HorizontalPodAutoscaler')).toBe(false);
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(3);
    const names = (deployment.spec.template.spec.containers[0].env as { name: string }[]).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['AWX_URL', 'SNOWLINE_REDIS_URL']));
  });

  it('the schema check does catch a broken manifest', () => {
    const [deployment] = renderChart(CHART).filter((m) => (m as Manifest).kind === 'Deployment') as Manifest[];
    deployment!.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => validated([deployment])).toThrow();
  });

  it('the ConfigMap carries the site overlay, which loads as configuration', () => {
    const configMap = renderChart(CHART).find((m) => (m as Manifest).kind === 'ConfigMap') as {
      data: Record<string, string>;
    };
    expect(parse(configMap.data['site.yaml']!)).toEqual({
      servicenow: { requestsPerHour: 3000 },
      engine: { maxActiveRuns: 500 },
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  it('is multi-stage, runs as a non-root user with writable data and mappings, ships ansible-playbook and a HEALTHCHECK', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/COPY --chown=node:node mappings \.\/mappings/);
    expect(runtime).toMatch(/chown node:node \/data/);
    expect(runtime).toMatch(/ansible-core/);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', '.git', 'data', '*.db']),
    );
  });
});

/**
 * deploy/kubernetes: every manifest against the Kubernetes schemas (`kubernetes-models`), the
 * references between them (Service → container port, selectors → pod labels, Secret keys), the
 * restricted security context — and the real platform started with the Deployment's own args
 * and env, answering its probes.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { READY_TIMEOUT_MS } from "../../src/api/routes/readiness.js";
import { loadPlatformConfig } from "../../src/config.js";
import { freePort } from "../helpers/platform-process.js";
import { freshSchema } from "../helpers/stores.js";
import {
  appliedResources,
  deployDir,
  kubernetesFiles,
  type Manifest,
  plainEnv,
  platformContainer,
  resource,
  selects,
} from "./kubernetes-files.js";

/** `kubectl kustomize` runs offline; without kubectl that one check is skipped (it is optional). */
const KUSTOMIZE_SKIP =
  spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0
    ? false
    : "kubectl is not installed: `kubectl kustomize` not checked";

const MAIN = fileURLToPath(new URL("../../src/main.js", import.meta.url));
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
/** The schema-checked model of every kind deploy/kubernetes uses. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Service": Service,
  "v1/Secret": Secret,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
};

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

const deployment = () => resource("Deployment");
const podLabels = () => deployment().spec.template.metadata.labels as Record<string, string>;
const containerPort = (name: string): number => {
  const port = (platformContainer().ports as Manifest[]).find((p) => p.name === name);
  assert.ok(port, `the container has no port named ${name}`);
  return port.containerPort as number;
};

describe("deploy/kubernetes: the manifests", () => {
  it("every manifest validates against the Kubernetes schema of its kind", () => {
    let checked = 0;
    for (const [file, docs] of kubernetesFiles()) {
      if (file === "kustomization.yaml") continue;
      for (const doc of docs) {
        assert.doesNotThrow(() => validate(doc), `${file}: ${doc.kind} ${doc.metadata?.name}`);
        checked++;
      }
    }
    assert.ok(checked >= 9, `only ${checked} resources checked`);
  });

  it("the schema check catches a broken manifest (the validator is not a no-op)", () => {
    const broken = structuredClone(deployment());
    broken.spec.replicas = "three";
    assert.throws(() => validate(broken), /replicas/);
    const noSelector = structuredClone(deployment());
    delete noSelector.spec.selector;
    assert.throws(() => validate(noSelector), /selector/);
  });

  it("the kustomization applies every manifest but the Secret example, all in one namespace", () => {
    const files = kubernetesFiles();
    const [kustomization] = files.get("kustomization.yaml") ?? [];
    assert.equal(kustomization?.kind, "Kustomization");
    const listed = kustomization?.resources as string[];
    const expected = [...files.keys()].filter(
      (f) => f !== "kustomization.yaml" && f !== "secret.example.yaml",
    );
    assert.deepEqual([...listed].sort(), expected.sort());
    assert.ok(!listed.includes("secret.example.yaml"), "placeholder credentials must never be applied");
    assert.ok(!appliedResources().some((r) => r.kind === "Secret"));
    for (const r of appliedResources())
      if (r.kind !== "Namespace")
        assert.equal(r.metadata.namespace, kustomization?.namespace, r.metadata.name);
    assert.equal(resource("Namespace").metadata.name, kustomization?.namespace);
    const image = ((kustomization?.images ?? []) as Manifest[]).find((i) => i.name === "runagents-platform");
    assert.ok(image, "the kustomization sets the platform image");
    assert.equal(platformContainer().image.split(":")[0], image.name);
  });

  it("kustomize builds it: the resources above, each in the namespace, the image as set", {
    skip: KUSTOMIZE_SKIP,
  }, async () => {
    const { stdout } = await promisify(execFile)("kubectl", ["kustomize", join(deployDir(), "kubernetes")]);
    const built = parseAllDocuments(stdout).map((d) => d.toJS() as Manifest);
    const names = (list: Manifest[]) => list.map((r) => `${r.kind}/${r.metadata.name}`).sort();
    assert.deepEqual(names(built), names(appliedResources()));
    for (const r of built) if (r.kind !== "Namespace") assert.equal(r.metadata.namespace, "runagents");
    const deployed = built.find((r) => r.kind === "Deployment") as Manifest;
    assert.equal(deployed.spec.template.spec.containers[0].image, "runagents-platform:0.1.0");
    for (const r of built) assert.doesNotThrow(() => validate(r), `${r.kind}/${r.metadata.name}`);
  });

  it("the namespace enforces the restricted Pod Security Standard", () => {
    const labels = resource("Namespace").metadata.labels as Record<string, string>;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
  });

  it("the pods get no Kubernetes API token", () => {
    const account = resource("ServiceAccount");
    assert.equal(account.automountServiceAccountToken, false);
    const pod = deployment().spec.template.spec;
    assert.equal(pod.serviceAccountName, account.metadata.name);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it("the Deployment: 3 replicas, its selector matches its pods, rolling without losing capacity", () => {
    const spec = deployment().spec;
    assert.equal(spec.replicas, 3);
    assert.ok(selects(spec.selector, podLabels()));
    assert.equal(spec.strategy.type, "RollingUpdate");
    assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
  });

  it("the store URL and the secret key come from the Secret, whose example holds exactly those keys", () => {
    const refs = new Map<string, Manifest>();
    for (const item of platformContainer().env as Manifest[])
      if (item.valueFrom?.secretKeyRef) refs.set(item.name, item.valueFrom.secretKeyRef);
    assert.deepEqual(Object.fromEntries(refs), {
      RUNAGENTS_DATABASE_URL: { name: "runagents-platform", key: "database-url" },
      RUNAGENTS_SECRET_KEY: { name: "runagents-platform", key: "secret-key" },
    });
    const [example] = kubernetesFiles().get("secret.example.yaml") ?? [];
    assert.equal(example?.kind, "Secret");
    assert.equal(example?.metadata.name, "runagents-platform");
    assert.deepEqual(Object.keys(example?.stringData ?? {}).sort(), ["database-url", "secret-key"]);
    for (const name of ["RUNAGENTS_DATABASE_URL", "RUNAGENTS_SECRET_KEY"])
      assert.ok(!(name in plainEnv(platformContainer())), `${name} must not be a plain value`);
  });

  it("the platform accepts the Deployment's args and env as they are", () => {
    const container = platformContainer();
    assert.equal(container.command, undefined, "the image's entrypoint starts the platform");
    const env: Record<string, string> = {
      ...plainEnv(container),
      RUNAGENTS_DATABASE_URL: "postgres://u@db:5432/runagents",
    };
    const config = loadPlatformConfig(container.args, env);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, containerPort("http"));
    assert.equal(config.bootstrapKey, false);
    assert.equal(config.seedStarterKit, false);
    assert.equal(config.dataDir, env.RUNAGENTS_DATA_DIR);
    assert.equal(config.agentIsolation, "node-permission");
    assert.equal(config.databaseUrl, env.RUNAGENTS_DATABASE_URL);
  });

  it("every RUNAGENTS_ variable the Deployment sets is one the platform reads", () => {
    const source = readdirSync(SRC, { recursive: true })
      .filter((f) => String(f).endsWith(".js"))
      .map((f) => readFileSync(join(SRC, String(f)), "utf8"))
      .join("\n");
    for (const item of platformContainer().env as Manifest[]) {
      if (!item.name.startsWith("RUNAGENTS_")) continue;
      assert.ok(
        source.includes(`"${item.name}"`) || source.includes(`.${item.name}`),
        `${item.name}: read nowhere`,
      );
    }
  });

  it("the advertised URL is this pod's IP and container port", () => {
    const env = platformContainer().env as Manifest[];
    const podIp = env.find((e) => e.name === "POD_IP");
    assert.equal(podIp?.valueFrom?.fieldRef?.fieldPath, "status.podIP");
    const advertise = env.findIndex((e) => e.name === "RUNAGENTS_ADVERTISE_URL");
    assert.ok(advertise > env.indexOf(podIp as Manifest), "$(POD_IP) expands only after POD_IP is defined");
    assert.equal(env[advertise]?.value, `http://$(POD_IP):${containerPort("http")}`);
  });

  it("probes: startup and liveness on /healthz, readiness on /readyz, with room for the store's timeout", () => {
    const c = platformContainer();
    assert.equal(c.startupProbe.httpGet.path, "/healthz");
    assert.equal(c.livenessProbe.httpGet.path, "/healthz");
    assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
      const port = probe.httpGet.port;
      assert.equal(typeof port === "string" ? containerPort(port) : port, containerPort("http"));
    }
    assert.ok(
      c.readinessProbe.timeoutSeconds * 1000 > READY_TIMEOUT_MS,
      "the probe must outwait /readyz's own timeout",
    );
  });

  it("shutdown: preStop plus the drain fit inside the termination grace period", () => {
    const c = platformContainer();
    const pod = deployment().spec.template.spec;
    assert.deepEqual(c.lifecycle.preStop.exec.command, ["/bin/sleep", "5"]);
    const drain = Number(plainEnv(c).RUNAGENTS_DRAIN_TIMEOUT);
    assert.ok(Number.isInteger(drain) && drain > 0, "RUNAGENTS_DRAIN_TIMEOUT: whole seconds");
    assert.equal(pod.terminationGracePeriodSeconds, 60);
    assert.ok(5 + drain < pod.terminationGracePeriodSeconds);
  });

  it("resources: requests and limits for cpu and memory; the volumes fit the storage limit", () => {
    const { requests, limits } = platformContainer().resources;
    for (const r of ["cpu", "memory"]) {
      assert.ok(requests?.[r], `requests.${r}`);
      assert.ok(limits?.[r], `limits.${r}`);
    }
    const gib = (q: string) => Number(/^(\d+)Gi$/.exec(q)?.[1] ?? Number.NaN);
    const volumes = deployment().spec.template.spec.volumes as Manifest[];
    const sized = volumes.map((v) => gib(v.emptyDir.sizeLimit));
    assert.ok(sized.every(Number.isFinite), "every emptyDir has a sizeLimit");
    assert.ok(
      sized.reduce((a, b) => a + b, 0) <= gib(limits["ephemeral-storage"]),
      "the emptyDirs together fit the ephemeral-storage limit",
    );
  });

  it("the security context meets the restricted standard; every path the platform writes is a volume", () => {
    const pod = deployment().spec.template.spec;
    const c = platformContainer();
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.runAsUser, 10001);
    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
    assert.equal(c.securityContext.capabilities.add, undefined);
    assert.equal(c.securityContext.privileged, undefined);
    assert.equal(pod.hostNetwork ?? false, false);
    assert.equal(pod.hostPID ?? false, false);
    const volumes = new Map((pod.volumes as Manifest[]).map((v) => [v.name, v]));
    const mounts = new Map((c.volumeMounts as Manifest[]).map((m) => [m.mountPath, volumes.get(m.name)]));
    const env = plainEnv(c);
    for (const path of [env.RUNAGENTS_DATA_DIR, "/tmp", env.HOME]) {
      assert.ok(path && mounts.get(path)?.emptyDir, `${path} must be a writable emptyDir`);
    }
  });

  it("the Service sends port 80 to the container's http port on the Deployment's pods", () => {
    const svc = resource("Service");
    assert.ok(selects({ matchLabels: svc.spec.selector }, podLabels()));
    const [port] = svc.spec.ports as Manifest[];
    assert.equal(port?.port, 80);
    const target = port?.targetPort;
    assert.equal(typeof target === "string" ? containerPort(target) : target, 8092);
  });

  it("the PodDisruptionBudget lets one replica go at a time, and selects the Deployment's pods", () => {
    const pdb = resource("PodDisruptionBudget");
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.ok(selects(pdb.spec.selector, podLabels()));
    assert.ok(deployment().spec.replicas > pdb.spec.maxUnavailable);
  });
});

describe("deploy/kubernetes: the NetworkPolicies", () => {
  const agentLabels = { "app.kubernetes.io/name": "runagents", "app.kubernetes.io/component": "agent" };
  const policies = () => appliedResources().filter((r) => r.kind === "NetworkPolicy");
  const policy = (name: string) => resource("NetworkPolicy", name);
  const ports = (rule: Manifest) => ((rule.ports ?? []) as Manifest[]).map((p) => `${p.protocol}/${p.port}`);

  it("a default deny covers every pod, both directions", () => {
    const deny = policy("default-deny");
    assert.deepEqual(deny.spec.podSelector, {});
    assert.deepEqual([...deny.spec.policyTypes].sort(), ["Egress", "Ingress"]);
    assert.equal(deny.spec.ingress, undefined);
    assert.equal(deny.spec.egress, undefined);
  });

  it("the platform's policy selects its pods and nothing else in the namespace", () => {
    const selected = policies().filter(
      (p) => p.metadata.name !== "default-deny" && selects(p.spec.podSelector, podLabels()),
    );
    assert.deepEqual(
      selected.map((p) => p.metadata.name),
      ["runagents-platform"],
    );
    assert.ok(!selects(policy("runagents-platform").spec.podSelector, agentLabels));
  });

  it("the platform: in on its container port only; out to DNS, PostgreSQL, its peers and public HTTPS", () => {
    const spec = policy("runagents-platform").spec;
    for (const rule of spec.ingress as Manifest[])
      assert.deepEqual(ports(rule), [`TCP/${containerPort("http")}`]);
    const egress = spec.egress as Manifest[];
    const out = egress.flatMap(ports);
    for (const needed of ["UDP/53", "TCP/53", "TCP/5432", `TCP/${containerPort("http")}`, "TCP/443"])
      assert.ok(out.includes(needed), `egress lacks ${needed}`);
    const peers = egress.find((r) =>
      (r.to as Manifest[] | undefined)?.some((t) => selects(t.podSelector, podLabels())),
    );
    assert.ok(peers, "the replicas reach each other (forwarded invokes)");
    const internet = egress.find((r) => (r.to as Manifest[] | undefined)?.some((t) => t.ipBlock));
    const except = internet?.to[0].ipBlock.except as string[];
    for (const inside of ["169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
      assert.ok(except.includes(inside), `public HTTPS must exclude ${inside} (cloud metadata, cluster)`);
  });

  it("agent sandboxes reach only the platform, and only the platform reaches them", () => {
    const agents = policies().filter(
      (p) => p.metadata.name !== "default-deny" && selects(p.spec.podSelector, agentLabels),
    );
    assert.deepEqual(
      agents.map((p) => p.metadata.name),
      ["runagents-agents"],
    );
    const spec = agents[0]?.spec as Manifest;
    assert.deepEqual([...spec.policyTypes].sort(), ["Egress", "Ingress"]);
    for (const rule of spec.egress as Manifest[]) {
      assert.ok(rule.to?.length > 0, "an egress rule without `to` would allow every destination");
      for (const to of rule.to as Manifest[]) {
        assert.equal(to.ipBlock, undefined);
        assert.equal(to.namespaceSelector, undefined);
        assert.ok(selects(to.podSelector, podLabels()) && !selects(to.podSelector, agentLabels));
      }
      assert.deepEqual(ports(rule), [`TCP/${containerPort("http")}`], "no DNS, no other port");
    }
    for (const rule of spec.ingress as Manifest[])
      for (const from of rule.from as Manifest[])
        assert.ok(selects(from.podSelector, podLabels()) && !from.namespaceSelector);
  });
});

/**
 * The container's environment as Kubernetes would give it: `valueFrom` resolved by `resolve`,
 * `$(NAME)` expanded from the variables defined before it.
 */
function containerEnv(container: Manifest, resolve: (item: Manifest) => string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of container.env as Manifest[]) {
    env[item.name] =
      typeof item.value === "string"
        ? item.value.replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole)
        : resolve(item);
  }
  return env;
}

describe("deploy/kubernetes: the real platform with the Deployment's args and env", () => {
  let child: ChildProcess;
  let base = "";
  let output = "";
  let dir = "";
  let secretKey = "";
  let databaseUrl = "";
  let dropSchema: (() => Promise<void>) | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "runagents-k8s-"));
    // The Secret's database URL is a placeholder: a fresh PostgreSQL schema stands in (SQLite
    // when no PostgreSQL answers and CI does not require one).
    try {
      const schema = await freshSchema();
      databaseUrl = schema.url;
      dropSchema = schema.drop;
    } catch (error) {
      if (process.env.RUNAGENTS_REQUIRE_POSTGRES === "1") throw error;
    }
    secretKey = randomBytes(32).toString("base64");
    const container = platformContainer();
    const env = containerEnv(container, (item) => {
      if (item.valueFrom?.fieldRef?.fieldPath === "status.podIP") return "127.0.0.1";
      const key = item.valueFrom?.secretKeyRef?.key;
      if (key === "database-url") return databaseUrl;
      if (key === "secret-key") return secretKey;
      throw new Error(`no stand-in for ${item.name}`);
    });
    assert.equal(env.RUNAGENTS_ADVERTISE_URL, `http://127.0.0.1:${containerPort("http")}`);
    // Loopback only, on a free port, and nothing written outside the test's directory.
    const port = await freePort();
    const args = [...(container.args as string[])];
    const host = args.indexOf("--host");
    assert.equal(args[host + 1], "0.0.0.0", "the platform must listen on the pod's address");
    args[host + 1] = "127.0.0.1";
    Object.assign(env, {
      RUNAGENTS_PORT: String(port),
      RUNAGENTS_ADVERTISE_URL: `http://127.0.0.1:${port}`,
      RUNAGENTS_DATA_DIR: join(dir, "data"),
      HOME: join(dir, "home"),
      RUNAGENTS_CONFIG_DIR: join(dir, "config"),
      PATH: process.env.PATH ?? "",
    });
    child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    base = `http://127.0.0.1:${port}`;
    await new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (output.includes("RunAgents platform ready at")) resolve();
      };
      child.stdout?.on("data", read);
      child.stderr?.on("data", read);
      child.once("exit", (code) => reject(new Error(`platform exited with ${code}: ${output}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
    await dropSchema?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers every probe of the Deployment, without an API key", async () => {
    const c = platformContainer();
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
      const res = await fetch(`${base}${probe.httpGet.path}`);
      assert.equal(res.status, 200, probe.httpGet.path);
      assert.equal(((await res.json()) as { status: string }).status, "ok");
    }
  });

  it("creates no admin key, prints none, and refuses the API without one", async () => {
    const res = await fetch(`${base}/api/v1/agents`);
    assert.equal(res.status, 401);
    const gateway = await fetch(`${base}/v1/models`);
    assert.equal(gateway.status, 401);
    assert.doesNotMatch(output, /ra_ws_/);
    assert.match(output, /--create-api-key/, "the log says how to make the first key");
    assert.ok(!output.includes(secretKey), "the secret key never reaches the output");
    if (databaseUrl) assert.ok(!output.includes(databaseUrl), "nor does the database URL");
  });

  it("stops on SIGTERM, as the kubelet sends it", async () => {
    const gone = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await gone, 0);
  });
});

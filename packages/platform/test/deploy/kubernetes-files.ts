/**
 * Test helper: the repository's deployment files — `deploy/kubernetes/*.yaml` parsed into
 * objects, `deploy/container/Dockerfile` as text — and small accessors the manifest and image
 * tests share.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** `deploy/` of the repository: looked for above the working directory and above this file. */
export function deployDir(): string {
  for (const start of [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, "deploy", "kubernetes", "kustomization.yaml"))) return join(dir, "deploy");
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("deploy/ not found above the working directory: run the tests from the repository");
}

/** A parsed manifest: untyped YAML, which each test narrows where it reads it. */
export type Manifest = Record<string, any>;

/** Every document of one YAML file, parse errors included as failures. */
export function readYaml(path: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  return docs.map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Manifest;
  });
}

/** The YAML files of deploy/kubernetes, by file name. */
export function kubernetesFiles(): Map<string, Manifest[]> {
  const dir = join(deployDir(), "kubernetes");
  const files = new Map<string, Manifest[]>();
  for (const name of readdirSync(dir).sort())
    if (name.endsWith(".yaml") || name.endsWith(".yml")) files.set(name, readYaml(join(dir, name)));
  return files;
}

/** The resources `kubectl apply -k deploy/kubernetes` applies: the kustomization's resources. */
export function appliedResources(): Manifest[] {
  const files = kubernetesFiles();
  const [kustomization] = files.get("kustomization.yaml") ?? [];
  return ((kustomization?.resources ?? []) as string[]).flatMap((name) => {
    const docs = files.get(name);
    if (!docs) throw new Error(`kustomization.yaml lists ${name}, which deploy/kubernetes does not hold`);
    return docs;
  });
}

/** The one applied resource of `kind` named `name` (or the only one of its kind). */
export function resource(kind: string, name?: string): Manifest {
  const found = appliedResources().filter((r) => r.kind === kind && (!name || r.metadata?.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0] as Manifest;
}

/**
 * Whether a LabelSelector (`matchLabels`, `matchExpressions`) selects a pod with `labels`. An
 * empty selector selects every pod; a Service's plain selector map goes in as `{matchLabels}`.
 */
export function selects(selector: Manifest | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>))
    if (labels[key] !== value) return false;
  return ((selector.matchExpressions ?? []) as Manifest[]).every((expr) => {
    const value = labels[expr.key as string];
    const values = (expr.values ?? []) as string[];
    switch (expr.operator) {
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      case "In":
        return value !== undefined && values.includes(value);
      case "NotIn":
        return value === undefined || !values.includes(value);
      default:
        throw new Error(`unknown selector operator ${expr.operator}`);
    }
  });
}

/** The Deployment's one container. */
export function platformContainer(): Manifest {
  const containers = resource("Deployment").spec.template.spec.containers as Manifest[];
  if (containers.length !== 1) throw new Error(`expected one container, found ${containers.length}`);
  return containers[0] as Manifest;
}

/** The container's plain `value` environment (not the Secret or field references). */
export function plainEnv(container: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of (container.env ?? []) as Manifest[])
    if (typeof item.value === "string") env[item.name] = item.value;
  return env;
}

/** A Dockerfile's instructions (continuation lines joined, comments dropped), split by stage. */
export function dockerStages(text: string): { from: string; name?: string; lines: string[] }[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  const stages: { from: string; name?: string; lines: string[] }[] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      stages.push({ from: from[1] as string, ...(from[2] ? { name: from[2] } : {}), lines: [] });
      continue;
    }
    stages.at(-1)?.lines.push(line.replace(/\s+/g, " "));
  }
  return stages;
}

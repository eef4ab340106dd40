/**
 * deploy/container/Dockerfile, read statically (no image registry or container engine here):
 * multi-stage on node:20-slim, a reproducible install, dev dependencies pruned, the platform's
 * own entry point, and the user, port and paths the Kubernetes Deployment relies on.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { deployDir, dockerStages, plainEnv, platformContainer, resource } from "./kubernetes-files.js";

const root = () => join(deployDir(), "..");
const dockerfile = () => readFileSync(join(deployDir(), "container", "Dockerfile"), "utf8");
const stages = () => dockerStages(dockerfile());
const final = () => {
  const last = stages().at(-1);
  assert.ok(last, "the Dockerfile has no stage");
  return last;
};
const instruction = (lines: string[], name: string) =>
  lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

describe("deploy/container/Dockerfile", () => {
  it("builds in one stage and runs from another, both node:20-slim", () => {
    const all = stages();
    assert.ok(all.length >= 2, "multi-stage");
    for (const stage of all) assert.equal(stage.from, "node:20-slim");
    const build = all.find((s) => s.name === "build");
    assert.ok(build, "a stage named build");
    const run = instruction(build.lines, "RUN").join(" && ");
    assert.match(run, /\bnpm ci\b/, "installs exactly the lock file");
    assert.match(run, /\bnpm run build\b/);
    assert.match(run, /\bnpm prune --omit=dev\b/, "the image carries no dev dependencies");
    assert.ok(run.indexOf("npm run build") < run.indexOf("npm prune"), "prunes after building");
  });

  it("the runtime stage copies only build output, and no compiler", () => {
    const copies = instruction(final().lines, "COPY");
    assert.ok(copies.length > 0);
    for (const copy of copies) assert.match(copy, /^--from=build /, `copies from the build stage: ${copy}`);
    const run = instruction(final().lines, "RUN").join(" ");
    assert.doesNotMatch(run, /\bg\+\+|\bmake\b|python3/);
  });

  it("every file the build stage copies from the context exists in the repository", () => {
    const build = stages().find((s) => s.name === "build");
    for (const copy of instruction(build?.lines ?? [], "COPY")) {
      const parts = copy.split(" ").filter((p) => !p.startsWith("--"));
      for (const source of parts.slice(0, -1))
        assert.ok(existsSync(join(root(), source)), `COPY ${source}: not in the repository`);
    }
  });

  it("each workspace's published files are in the image", () => {
    const copied = instruction(final().lines, "COPY").map((c) => c.split(" ").at(-1) as string);
    for (const pkg of ["runagents", "platform"]) {
      const manifest = JSON.parse(readFileSync(join(root(), "packages", pkg, "package.json"), "utf8")) as {
        files: string[];
      };
      for (const file of ["package.json", ...manifest.files]) {
        const target = `./packages/${pkg}/${file === "package.json" ? "" : file}`;
        assert.ok(
          copied.some((c) => c.replace(/\/$/, "") === target.replace(/\/$/, "")),
          `${target} is not copied`,
        );
      }
    }
    assert.ok(copied.includes("./node_modules"));
  });

  it("runs the platform's own bin, as the user and on the port the Deployment expects", () => {
    const lines = final().lines;
    const [user] = instruction(lines, "USER");
    const pod = resource("Deployment").spec.template.spec;
    assert.equal(user, `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
    assert.equal(user?.split(":")[0], String(platformContainer().securityContext.runAsUser));
    const [expose] = instruction(lines, "EXPOSE");
    const port = platformContainer().ports.find((p: { name: string }) => p.name === "http").containerPort;
    assert.equal(expose, String(port));
    const [entrypoint] = instruction(lines, "ENTRYPOINT");
    const argv = JSON.parse(entrypoint ?? "[]") as string[];
    const platformPkg = JSON.parse(
      readFileSync(join(root(), "packages", "platform", "package.json"), "utf8"),
    ) as {
      bin: Record<string, string>;
    };
    const bin = (platformPkg.bin["runagents-platform"] ?? "").replace(/^\.\//, "");
    assert.ok(argv.includes(`/app/packages/platform/${bin}`), `the entrypoint runs ${bin}: ${entrypoint}`);
    assert.equal(argv[0], "/usr/bin/tini", "an init reaps agents' orphaned children and forwards SIGTERM");
    assert.equal(platformContainer().command, undefined, "the Deployment keeps the entrypoint and sets args");
    const [cmd] = instruction(lines, "CMD");
    assert.deepEqual(JSON.parse(cmd ?? "[]"), ["--host", "0.0.0.0"]);
  });

  it("the data dir and HOME match the Deployment's writable volumes", () => {
    const env = instruction(final().lines, "ENV").join(" ");
    const deploymentEnv = plainEnv(platformContainer());
    assert.match(env, new RegExp(`RUNAGENTS_DATA_DIR=${deploymentEnv.RUNAGENTS_DATA_DIR}\\b`));
    assert.match(env, new RegExp(`HOME=${deploymentEnv.HOME}\\b`));
    assert.match(env, /NODE_ENV=production/);
  });

  it("installs bubblewrap for the agent sandbox, and the sleep the preStop hook runs comes with the base", () => {
    const run = instruction(final().lines, "RUN").join(" ");
    assert.match(run, /apt-get install [^&]*\bbubblewrap\b/);
    assert.match(run, /apt-get install [^&]*\btini\b/);
    // node:20-slim is Debian with coreutils: /bin/sleep is there.
    assert.equal(platformContainer().lifecycle.preStop.exec.command[0], "/bin/sleep");
  });

  it("bakes no secret into the image", () => {
    const text = dockerfile();
    assert.doesNotMatch(text, /^\s*(ENV|ARG)\s[^\n]*(SECRET_KEY|DATABASE_URL|API_KEY|PASSWORD)/im);
  });

  it("the build context leaves out node_modules, build output and .git", () => {
    const ignore = readFileSync(join(deployDir(), "container", "Dockerfile.dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of ["**/node_modules", "**/dist", ".git"]) assert.ok(ignore.includes(entry), entry);
  });
});

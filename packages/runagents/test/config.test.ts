import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Client, ConfigError, configPath, loadConfig, RunAgentsError, saveConfig } from "../src/index.js";

function tempHome(t: { after: (fn: () => void) => void }): string {
  const home = mkdtempSync(join(tmpdir(), "runagents-config-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

function writeConfig(home: string, content: string): string {
  const dir = join(home, ".runagents");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "config.json");
  writeFileSync(path, content);
  return path;
}

const FULL_ENV = {
  RUNAGENTS_ENDPOINT: "https://env.example.com/",
  RUNAGENTS_API_KEY: "ra_ws_env",
  RUNAGENTS_NAMESPACE: "env-ws",
  RUNAGENTS_ASSISTANT_MODE: "off",
};

describe("loadConfig", () => {
  test("returns the defaults when there is no file and no environment", (t) => {
    const home = tempHome(t);
    assert.deepEqual(loadConfig({ home, env: {} }), {
      endpoint: "http://localhost:8092",
      apiKey: "",
      namespace: "default",
      assistantMode: "external",
    });
  });

  test("reads the snake_case file keys over the defaults and strips the endpoint's trailing slash", (t) => {
    const home = tempHome(t);
    writeConfig(
      home,
      JSON.stringify({
        endpoint: "https://file.example.com//",
        api_key: "k1",
        namespace: "ws1",
        assistant_mode: "runagents",
      }),
    );
    assert.deepEqual(loadConfig({ home, env: {} }), {
      endpoint: "https://file.example.com",
      apiKey: "k1",
      namespace: "ws1",
      assistantMode: "runagents",
    });
  });

  test("ignores empty file values and falls back to the defaults for them", (t) => {
    const home = tempHome(t);
    writeConfig(home, JSON.stringify({ endpoint: "", api_key: "", assistant_mode: "", namespace: null }));
    assert.deepEqual(loadConfig({ home, env: {} }), loadConfig({ home: tempHome(t), env: {} }));
  });

  test("lets non-empty environment variables override the file", (t) => {
    const home = tempHome(t);
    writeConfig(
      home,
      JSON.stringify({
        endpoint: "https://file.example.com",
        api_key: "k1",
        namespace: "ws1",
        assistant_mode: "runagents",
      }),
    );
    assert.deepEqual(loadConfig({ home, env: FULL_ENV }), {
      endpoint: "https://env.example.com",
      apiKey: "ra_ws_env",
      namespace: "env-ws",
      assistantMode: "off",
    });
    const blank = { RUNAGENTS_ENDPOINT: "", RUNAGENTS_API_KEY: "  ", RUNAGENTS_ASSISTANT_MODE: "" };
    assert.equal(loadConfig({ home, env: blank }).endpoint, "https://file.example.com");
    assert.equal(loadConfig({ home, env: blank }).apiKey, "k1");
  });

  test("lets explicit Client options override the environment and the file", (t) => {
    const home = tempHome(t);
    writeConfig(
      home,
      JSON.stringify({ endpoint: "https://file.example.com", api_key: "k1", namespace: "ws1" }),
    );
    const fromEnv = new Client({ config: { home, env: FULL_ENV } });
    assert.equal(fromEnv.endpoint, "https://env.example.com");
    assert.equal(fromEnv.namespace, "env-ws");
    const explicit = new Client({
      endpoint: "https://explicit.example.com",
      namespace: "mine",
      config: { home, env: FULL_ENV },
    });
    assert.equal(explicit.endpoint, "https://explicit.example.com");
    assert.equal(explicit.namespace, "mine");
    assert.equal(explicit.baseUrl, "https://explicit.example.com/api/v1/workspaces/mine");
  });

  test("normalises the assistant mode (trim, lower-case)", (t) => {
    const home = tempHome(t);
    writeConfig(home, JSON.stringify({ assistant_mode: "  RunAgents " }));
    assert.equal(loadConfig({ home, env: {} }).assistantMode, "runagents");
  });

  test("rejects an invalid assistant mode in the file with an error naming the file", (t) => {
    const home = tempHome(t);
    const path = writeConfig(home, JSON.stringify({ assistant_mode: "bogus" }));
    assert.throws(
      () => loadConfig({ home, env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError && error instanceof RunAgentsError);
        assert.equal(error.code, "CONFIG_ERROR");
        assert.equal(error.path, path);
        assert.equal(
          error.message,
          `invalid assistant-mode "bogus"; valid values: external, runagents, off (config file ${path})`,
        );
        return true;
      },
    );
  });

  test("rejects an invalid RUNAGENTS_ASSISTANT_MODE naming the variable", (t) => {
    const home = tempHome(t);
    assert.throws(() => loadConfig({ home, env: { RUNAGENTS_ASSISTANT_MODE: "chatty" } }), {
      code: "CONFIG_ERROR",
      message: /invalid assistant-mode "chatty".*from RUNAGENTS_ASSISTANT_MODE/,
    });
  });

  test("rejects a malformed file with an error naming the file", (t) => {
    const home = tempHome(t);
    const path = writeConfig(home, "{ not json");
    assert.throws(
      () => loadConfig({ home, env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, "CONFIG_ERROR");
        assert.ok(error.message.startsWith(`failed to parse config file ${path}: `), error.message);
        return true;
      },
    );
    writeConfig(home, "[1, 2]");
    assert.throws(() => loadConfig({ home, env: {} }), {
      message: `failed to parse config file ${path}: expected a JSON object`,
    });
    writeConfig(home, JSON.stringify({ endpoint: 42 }));
    assert.throws(() => loadConfig({ home, env: {} }), {
      message: `invalid config file ${path}: "endpoint" must be a string`,
    });
  });

  test("makes new Client() fail on a malformed file, but not when every option is explicit", (t) => {
    const home = tempHome(t);
    writeConfig(home, "{");
    assert.throws(() => new Client({ config: { home, env: {} } }), ConfigError);
    const client = new Client({
      endpoint: "http://h",
      apiKey: "",
      namespace: "default",
      config: { home, env: {} },
    });
    assert.equal(client.baseUrl, "http://h/api/v1");
  });

  test("resolves the file from path, then RUNAGENTS_CONFIG_DIR, then home", () => {
    assert.equal(configPath({ path: "/x/c.json", env: { RUNAGENTS_CONFIG_DIR: "/d" } }), "/x/c.json");
    assert.equal(configPath({ home: "/h", env: { RUNAGENTS_CONFIG_DIR: "/d" } }), "/d/config.json");
    assert.equal(configPath({ home: "/h", env: {} }), "/h/.runagents/config.json");
  });
});

describe("saveConfig", () => {
  test("creates the directory 0700 and the file 0600 with pretty snake_case JSON and a newline", (t) => {
    const home = tempHome(t);
    const path = saveConfig(
      { endpoint: "https://p.example.com/", apiKey: "ra_ws_1", namespace: "", assistantMode: "runagents" },
      { home, env: {} },
    );
    assert.equal(path, join(home, ".runagents", "config.json"));
    assert.equal(statSync(join(home, ".runagents")).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(path, "utf8"),
      '{\n  "endpoint": "https://p.example.com",\n  "api_key": "ra_ws_1",\n  "assistant_mode": "runagents"\n}\n',
    );
  });

  test("writes atomically: the old file is replaced by rename and no temporary file is left", (t) => {
    const home = tempHome(t);
    const path = writeConfig(home, JSON.stringify({ endpoint: "https://old.example.com" }));
    chmodSync(path, 0o644);
    const before = statSync(path).ino;
    saveConfig({ endpoint: "https://new.example.com" }, { home, env: {} });
    assert.notEqual(statSync(path).ino, before);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(home, ".runagents")), ["config.json"]);
    assert.equal(loadConfig({ home, env: {} }).endpoint, "https://new.example.com");
  });

  test("round-trips through loadConfig and honours RUNAGENTS_CONFIG_DIR", (t) => {
    const home = tempHome(t);
    const env = { RUNAGENTS_CONFIG_DIR: join(home, "profile") };
    const config = {
      endpoint: "https://r.example.com",
      apiKey: "k",
      namespace: "ws",
      assistantMode: "off",
    } as const;
    assert.equal(saveConfig(config, { env }), join(home, "profile", "config.json"));
    assert.deepEqual(loadConfig({ env }), config);
  });

  test("refuses to save an invalid assistant mode and writes nothing", (t) => {
    const home = tempHome(t);
    assert.throws(
      () => saveConfig({ assistantMode: "loud" as "off" }, { home, env: {} }),
      (error: unknown) => error instanceof ConfigError && /invalid assistant-mode "loud"/.test(error.message),
    );
    assert.throws(() => statSync(join(home, ".runagents", "config.json")), { code: "ENOENT" });
  });
});

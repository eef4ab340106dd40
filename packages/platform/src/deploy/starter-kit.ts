/**
 * @module deploy/starter-kit
 * The starter kit: the `echo-tool` (the platform's own `POST /echo`) and the `playground-llm`
 * model provider. Seeding is idempotent: only missing resources are created, and existing ones
 * are left as they are, with two refreshes of the kit's own (labelled) resources: the echo
 * tool's base URL follows the platform's current address, and when the platform has an OpenAI
 * key, an openai `playground-llm` gets the current key.
 *
 * `playground-llm` is an `openai` provider (`https://api.openai.com/v1`, `gpt-4o-mini`) using
 * the platform's `OPENAI_API_KEY` (kept only in the encrypted secret `playground-llm-provider-key`)
 * when one is configured; otherwise the built-in offline `playground` provider serving
 * `gpt-4o-mini` and `playground`.
 */
import type { PlatformConfig } from "../config.js";
import { UNPROBED_STATUS } from "../probe-tracker.js";
import { type Doc, type ResourceKind, type Store, VersionConflictError } from "../store/store.js";
import { isObject } from "../validate.js";

export const ECHO_TOOL = "echo-tool";
export const PLAYGROUND_LLM = "playground-llm";
export const STARTER_KIT_LABEL = "runagents.dev/starter-kit";

/** What seeding needs from the platform: its store, its OpenAI key and its own address. */
export interface StarterKitDeps {
  store: Store;
  config: Pick<PlatformConfig, "openaiApiKey">;
  baseUrl(): string;
}

export interface StarterKitResult {
  /** The name when this call created it, else "". */
  tool_created: string;
  model_provider_created: string;
  tools_created: string[];
  model_providers_created: string[];
  message: string;
}

const labels = { [STARTER_KIT_LABEL]: "true", demo: "true" };

export async function seedStarterKit(services: StarterKitDeps, workspace: string): Promise<StarterKitResult> {
  const { store } = services;
  const tools: string[] = [];
  const providers: string[] = [];
  const baseUrl = services.baseUrl();
  const tool = await store.getResource(workspace, "tool", ECHO_TOOL);
  if (!tool) {
    if (await createIfAbsent(store, workspace, "tool", ECHO_TOOL, echoToolDoc(baseUrl)))
      tools.push(ECHO_TOOL);
  } else if (isKit(tool.doc) && echoBaseUrl(tool.doc) !== baseUrl) {
    const spec = tool.doc.spec as Doc;
    const connection = { ...(spec.connection as Doc), ...connectionFor(baseUrl) };
    await store.putResource(workspace, "tool", ECHO_TOOL, {
      ...tool.doc,
      spec: { ...spec, connection },
      status: { ...UNPROBED_STATUS },
    });
  }
  const key = services.config.openaiApiKey;
  const provider = await store.getResource(workspace, "model_provider", PLAYGROUND_LLM);
  if (!provider) {
    if (key) await store.putSecret(workspace, `${PLAYGROUND_LLM}-provider-key`, { api_key: key });
    const doc = playgroundDoc(Boolean(key));
    if (await createIfAbsent(store, workspace, "model_provider", PLAYGROUND_LLM, doc))
      providers.push(PLAYGROUND_LLM);
  } else if (
    key &&
    isKit(provider.doc) &&
    isObject(provider.doc.spec) &&
    provider.doc.spec.provider === "openai"
  ) {
    await store.putSecret(workspace, `${PLAYGROUND_LLM}-provider-key`, { api_key: key });
  }
  const createdNames = [...tools, ...providers];
  return {
    tool_created: tools[0] ?? "",
    model_provider_created: providers[0] ?? "",
    tools_created: tools,
    model_providers_created: providers,
    message:
      createdNames.length > 0
        ? `starter kit seeded: created ${createdNames.join(", ")}`
        : `starter kit already present: ${ECHO_TOOL}, ${PLAYGROUND_LLM}`,
  };
}

/** False when another writer created it first: it exists, which is all seeding promises. */
async function createIfAbsent(store: Store, ws: string, kind: ResourceKind, name: string, doc: Doc) {
  try {
    await store.putResource(ws, kind, name, doc, { expectedVersion: 0 });
    return true;
  } catch (err) {
    if (err instanceof VersionConflictError) return false;
    throw err;
  }
}

const isKit = (doc: Doc): boolean => isObject(doc.labels) && doc.labels[STARTER_KIT_LABEL] === "true";

function echoBaseUrl(doc: Doc): string {
  const spec = isObject(doc.spec) ? doc.spec : {};
  const connection = isObject(spec.connection) ? spec.connection : {};
  return typeof connection.baseUrl === "string" ? connection.baseUrl : "";
}

function connectionFor(baseUrl: string): Doc {
  const url = new URL(baseUrl);
  const https = url.protocol === "https:";
  return { baseUrl, port: url.port ? Number(url.port) : https ? 443 : 80, scheme: https ? "HTTPS" : "HTTP" };
}

function echoToolDoc(baseUrl: string): Doc {
  return {
    name: ECHO_TOOL,
    labels,
    spec: {
      description: 'Demo tool: POST /echo {"message": "..."} answers {"reply": "..."}',
      connection: { topology: "Internal", ...connectionFor(baseUrl), authentication: { type: "None" } },
      governance: { accessControl: { mode: "Restricted" } },
      capabilities: [
        { name: "echo", method: "POST", path: "/echo", description: "Echo a message back as reply" },
      ],
    },
    status: { ...UNPROBED_STATUS },
  };
}

function playgroundDoc(withKey: boolean): Doc {
  const spec = withKey
    ? {
        provider: "openai",
        endpoint: "https://api.openai.com/v1",
        models: ["gpt-4o-mini"],
        auth: {
          type: "APIKey",
          apiKeyConfig: {
            in: "Header",
            name: "Authorization",
            valuePrefix: "Bearer ",
            secretRef: { name: `${PLAYGROUND_LLM}-provider-key` },
          },
        },
      }
    : { provider: "playground", endpoint: "", models: ["gpt-4o-mini", "playground"], auth: { type: "None" } };
  return {
    name: PLAYGROUND_LLM,
    labels,
    spec,
    status: { ...UNPROBED_STATUS },
  };
}

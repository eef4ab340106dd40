/**
 * @module deploy/tool-definitions
 * `TOOL_DEFINITIONS_JSON` and `TOOL_ROUTES_JSON` for the runtime's built-in tool loop, generated
 * from the bound tools' capabilities (runtime-contract §4, platform-and-cli A11):
 *
 * - one function per capability, named `<tool>__<capability>` (characters outside
 *   `[A-Za-z0-9_-]` become `_`, at most 64 characters, made unique with `_2`, `_3`, ...), routed
 *   to `{tool, method, path}`; the description is the capability's, else `<METHOD> <path>` and
 *   the tool's description; the parameters are the capability's `parameters` (a JSON Schema
 *   object) when it has one, else an open object whose `{name}` path placeholders are required
 *   strings — the runtime sends the arguments as the JSON body (POST/PUT/PATCH) or the query
 *   string (other methods) and fills `{name}` placeholders from them;
 * - a tool without capabilities gets one unrouted function `<tool>__request` (the runtime then
 *   POSTs to `path`, default `/`, with `body` as the JSON body); tools whose name is not a valid
 *   function name get none.
 */
import type { Doc } from "../store/store.js";
import { isObject, type Obj } from "../validate.js";

export interface OpenAIFunctionTool {
  type: "function";
  function: { name: string; description: string; parameters: Obj };
}

export interface ToolRoute {
  tool: string;
  method: string;
  path: string;
}

export interface ToolBinding {
  name: string;
  /** The stored tool document, or undefined when the tool is not registered. */
  doc: Doc | undefined;
}

export function toolDefinitions(tools: readonly ToolBinding[]): {
  definitions: OpenAIFunctionTool[];
  routes: Record<string, ToolRoute>;
} {
  const definitions: OpenAIFunctionTool[] = [];
  const routes: Record<string, ToolRoute> = {};
  const used = new Set<string>();
  for (const { name: tool, doc } of tools) {
    if (!doc) continue;
    const spec = isObject(doc.spec) ? doc.spec : {};
    const toolDescription = typeof spec.description === "string" ? spec.description.trim() : "";
    const capabilities = Array.isArray(spec.capabilities) ? spec.capabilities.filter(isObject) : [];
    if (capabilities.length === 0) {
      const fn = `${tool}__request`;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(fn) || used.has(fn)) continue;
      used.add(fn);
      definitions.push({
        type: "function",
        function: {
          name: fn,
          description: `Call the ${tool} tool: POST to \`path\` (default /) with \`body\` as the JSON body.${toolDescription ? ` ${toolDescription}` : ""}`,
          parameters: {
            type: "object",
            properties: {
              path: { type: "string", description: "Request path on the tool, e.g. /items" },
              body: { type: "object", description: "JSON request body" },
            },
          },
        },
      });
      continue;
    }
    for (const cap of capabilities) {
      const method = typeof cap.method === "string" ? cap.method.toUpperCase() : "POST";
      const path = typeof cap.path === "string" ? cap.path : "/";
      const capName = typeof cap.name === "string" && cap.name ? cap.name : `${method} ${path}`;
      const fn = uniqueName(`${sanitize(tool)}__${sanitize(capName) || "call"}`, used);
      const description =
        (typeof cap.description === "string" && cap.description.trim()) ||
        `${method} ${path} on the ${tool} tool${toolDescription ? `: ${toolDescription}` : ""}`;
      definitions.push({
        type: "function",
        function: { name: fn, description, parameters: parametersOf(cap, path) },
      });
      routes[fn] = { tool, method, path };
    }
  }
  return { definitions, routes };
}

function parametersOf(cap: Obj, path: string): Obj {
  if (isObject(cap.parameters)) return cap.parameters;
  const placeholders = [...path.matchAll(/\{([^{}/]+)\}/g)].map((m) => m[1] as string);
  if (placeholders.length === 0) return { type: "object", additionalProperties: true };
  return {
    type: "object",
    properties: Object.fromEntries(placeholders.map((p) => [p, { type: "string" }])),
    required: placeholders,
    additionalProperties: true,
  };
}

const sanitize = (text: string): string => text.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");

function uniqueName(wanted: string, used: Set<string>): string {
  const base = wanted.slice(0, 64);
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base.slice(0, 64 - `_${i}`.length)}_${i}`;
  used.add(name);
  return name;
}

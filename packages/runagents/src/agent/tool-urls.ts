/**
 * @module
 * Tool bindings from the environment: `TOOL_URL_<NAME>=<base URL>` binds tool `<name>`
 * (lower-cased, `_` → `-`). `TOOL_URL_REWRITES_JSON` is not a tool (the reference runtime swept it
 * in as a tool called `rewrites-json`). Not part of the public API.
 */

const PREFIX = "TOOL_URL_";
const NOT_TOOLS = new Set(["TOOL_URL_REWRITES_JSON"]);

/** `{toolName: baseUrl}` for every non-empty `TOOL_URL_*` variable. */
export function toolUrlsFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const tools: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(PREFIX) || NOT_TOOLS.has(key) || !value) continue;
    const name = key.slice(PREFIX.length).toLowerCase().replaceAll("_", "-");
    if (name !== "") tools[name] = value;
  }
  return tools;
}

/** The process environment, or `{}` where there is none. */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return typeof process === "undefined" ? {} : process.env;
}

/**
 * @module api/routes/starter-kit
 * `POST /starter-kit` (no body): seeds `echo-tool` and `playground-llm` when missing. 201 when
 * something was created, 200 when everything already existed (then the created lists are empty
 * and `tool_created` / `model_provider_created` are "").
 */
import { seedStarterKit } from "../../deploy/starter-kit.js";
import type { RequestContext, RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { STARTER_KIT_ROUTES } from "../schemas/deploy.js";

export function registerStarterKitRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/starter-kit", { schema: STARTER_KIT_ROUTES.seed, permission: "develop", handler: seed });
}

async function seed(ctx: RequestContext) {
  const result = await seedStarterKit(ctx.services, ctx.workspace);
  const createdAny = result.tools_created.length + result.model_providers_created.length > 0;
  return { status: createdAny ? 201 : 200, body: result };
}

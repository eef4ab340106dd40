import type { RouteDef } from "../context.js";
import type { Router } from "../router.js";

export function registerCatalogRoutes(_api: Router<RouteDef>): void {}

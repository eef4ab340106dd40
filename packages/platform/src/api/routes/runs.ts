import type { RouteDef } from "../context.js";
import type { Router } from "../router.js";

export function registerRunRoutes(_api: Router<RouteDef>): void {}

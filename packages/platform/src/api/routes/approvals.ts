import type { RouteDef } from "../context.js";
import type { Router } from "../router.js";

export function registerApprovalRoutes(_api: Router<RouteDef>): void {}

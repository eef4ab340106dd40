/**
 * @module api/routes
 * Every route module registers itself here; the server knows nothing of resources.
 */
import type { RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { registerActionRoutes } from "./actions.js";
import { registerAgentRoutes } from "./agents.js";
import { registerAnalyzeRoutes } from "./analyze.js";
import { registerApiKeyRoutes } from "./api-keys.js";
import { registerApprovalConnectorRoutes } from "./approval-connectors.js";
import { registerApprovalRoutes } from "./approvals.js";
import { registerAuditRoutes } from "./audit.js";
import { registerCatalogRoutes } from "./catalog.js";
import { registerContextExportRoutes } from "./context-export.js";
import { registerDeployRoutes } from "./deploy.js";
import { registerDeployDraftRoutes } from "./deploy-drafts.js";
import { registerDevSessionRoutes } from "./dev-session.js";
import { registerEventRoutes } from "./events.js";
import { registerGatewayApiRoutes } from "./gateway.js";
import { registerIdentityProviderRoutes } from "./identity-providers.js";
import { registerMcpRoutes } from "./mcp.js";
import { registerModelRoutes } from "./models.js";
import { registerOAuthRoutes } from "./oauth.js";
import { registerOpenApiRoutes } from "./openapi.js";
import { registerPolicyRoutes } from "./policies.js";
import { registerPolicyEvaluateRoutes } from "./policy-evaluate.js";
import { registerRootRoutes } from "./root.js";
import { registerRunRoutes } from "./runs.js";
import { registerSignInRoutes } from "./sign-in.js";
import { registerStarterKitRoutes } from "./starter-kit.js";
import { registerToolRoutes } from "./tools.js";

export function registerApiRoutes(api: Router<RouteDef>): void {
  registerActionRoutes(api);
  registerAgentRoutes(api);
  registerAnalyzeRoutes(api);
  registerApiKeyRoutes(api);
  registerApprovalConnectorRoutes(api);
  registerApprovalRoutes(api);
  registerAuditRoutes(api);
  registerCatalogRoutes(api);
  registerContextExportRoutes(api);
  registerDeployDraftRoutes(api);
  registerDeployRoutes(api);
  registerDevSessionRoutes(api);
  registerEventRoutes(api);
  registerGatewayApiRoutes(api);
  registerIdentityProviderRoutes(api);
  registerMcpRoutes(api);
  registerModelRoutes(api);
  registerOAuthRoutes(api);
  registerOpenApiRoutes(api);
  registerPolicyRoutes(api);
  registerPolicyEvaluateRoutes(api);
  registerRunRoutes(api);
  registerSignInRoutes(api);
  registerStarterKitRoutes(api);
  registerToolRoutes(api);
}

export { registerRootRoutes };

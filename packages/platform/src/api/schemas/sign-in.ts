/**
 * @module api/schemas/sign-in
 * The console's sign-in options (public) and the workspaces list.
 */
import { array, component, object, type RouteSchema, string } from "../schema.js";

export const SignInOption = component(
  "SignInOption",
  object({
    name: string({ description: "The identity provider's name" }),
    workspace: string({ description: "Where it is registered: this workspace or default" }),
    issuer: string(),
    client_id: string({ description: "The public client id (authorization code + PKCE, no secret)" }),
    authorization_endpoint: string(),
    token_endpoint: string(),
    scopes: array(string()),
  }),
);

export const Workspace = component("Workspace", object({ name: string() }));

export const SIGN_IN_ROUTES = {
  options: { responses: { 200: array(SignInOption) } },
  workspaces: { responses: { 200: array(Workspace) } },
} satisfies Record<string, RouteSchema>;

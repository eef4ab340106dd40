/**
 * @module ingress/end-users
 * The ingress service the API uses: which providers a workspace has, and who a bearer token says
 * the caller is. One JWKS cache per platform.
 */
import type { Store } from "../store/store.js";
import { JwksCache, type JwksOptions } from "./jwks.js";
import { type EndUserProvider, providersFor } from "./providers.js";
import { type VerifiedUser, verifyEndUserToken } from "./verify.js";

export interface EndUsers {
  providers(workspace: string): Promise<EndUserProvider[]>;
  /** Throws TokenRejected (→ 401) or SigningKeysUnavailable (→ 503). */
  verify(token: string, providers: readonly EndUserProvider[]): Promise<VerifiedUser>;
}

export function createEndUsers(store: Store, options: JwksOptions = {}): EndUsers {
  const keys = new JwksCache(options);
  return {
    providers: (workspace) => providersFor(store, workspace),
    verify: (token, providers) => verifyEndUserToken(token, providers, keys),
  };
}

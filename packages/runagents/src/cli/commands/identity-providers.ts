/**
 * @module
 * `runagents identity-providers list|get|apply|delete`.
 */

import { normalizeIdentityProviderDocument } from "../../client/identity-providers.js";
import { RunAgentsValidationError } from "../../errors.js";
import { CliError, type Group, str, UsageError } from "../args.js";
import { joined } from "../output.js";
import { readDocument } from "../yaml.js";

export const identityProviders: Group = {
  name: "identity-providers",
  summary: "Manage identity providers (end-user JWT validation)",
  commands: [
    {
      name: "list",
      summary: "List identity providers",
      async run(ctx) {
        const list = await ctx.client().identityProviders.list();
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No identity providers found.");
        ctx.out.table(
          ["NAME", "HOST", "USER_CLAIM", "ISSUER", "DOMAINS"],
          list.map((p) => [
            p.name,
            p.spec.host,
            p.spec.userIdClaim,
            p.spec.identityProvider.issuer,
            p.spec.allowedDomains.join(",") || "-",
          ]),
        );
      },
    },
    {
      name: "get",
      summary: "Show one identity provider",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        const p = await ctx.client().identityProviders.get(name);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Name", p.name],
          ["Namespace", p.namespace || undefined],
          ["Host", p.spec.host],
          ["User Claim", p.spec.userIdClaim],
          ["Issuer", p.spec.identityProvider.issuer],
          ["JWKS URI", p.spec.identityProvider.jwksUri],
          [
            "Audiences",
            p.spec.identityProvider.audiences.length ? joined(p.spec.identityProvider.audiences) : undefined,
          ],
          ["Domains", p.spec.allowedDomains.length ? joined(p.spec.allowedDomains) : undefined],
        ]);
      },
    },
    {
      name: "apply",
      summary: "Create or update an identity provider from a YAML or JSON file",
      options: {
        file: { type: "string", short: "f", value: "<file>", help: "{name, spec} or a bare spec" },
        name: { type: "string", value: "<name>", help: "name (required for a bare spec)" },
      },
      async run(ctx, parsed) {
        const file = str(parsed, "file");
        if (!file) throw new UsageError("--file is required");
        const document = await readDocument(ctx.cwd, file);
        const nameFlag = str(parsed, "name") ?? "";
        let name: string;
        try {
          name = String(normalizeIdentityProviderDocument(document, nameFlag).name);
        } catch (error) {
          if (error instanceof RunAgentsValidationError) throw new CliError(`${file}: ${error.message}`);
          throw error;
        }
        const client = ctx.client();
        const existed = await client.identityProviders.get(name).then(
          () => true,
          () => false,
        );
        const saved = await client.identityProviders.apply(document, nameFlag);
        if (ctx.printedRaw()) return;
        ctx.out.line(`Identity provider "${name}" ${existed ? "updated" : "created"}.`);
        ctx.out.line(`Host: ${saved.spec.host}, user claim: ${saved.spec.userIdClaim}`);
      },
    },
    {
      name: "delete",
      summary: "Delete an identity provider",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        await ctx.client().identityProviders.delete(name);
        ctx.out.line(`Identity provider "${name}" deleted.`);
      },
    },
  ],
};

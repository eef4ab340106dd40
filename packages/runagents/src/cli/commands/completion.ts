/**
 * @module
 * `runagents completion bash|zsh|fish`: a static completion script for the whole command tree.
 * Install with e.g. `runagents completion bash > /etc/bash_completion.d/runagents` or
 * `source <(runagents completion zsh)`.
 */

import { type Command, GLOBAL_OPTIONS, type Group, isGroup, type Options, UsageError } from "../args.js";
import { FAMILIES } from "../families.js";

interface Node {
  /** Space-separated command words, `""` for the root. */
  path: string;
  words: { name: string; summary: string }[];
  flags: string[];
}

function flagWords(options: Options | undefined): string[] {
  return Object.entries({ ...GLOBAL_OPTIONS, ...options }).flatMap(([name, spec]) =>
    spec.short ? [`--${name}`, `-${spec.short}`] : [`--${name}`],
  );
}

function valueFlags(options: Options | undefined, into: Set<string>): void {
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...options })) {
    if (spec.type !== "string") continue;
    into.add(`--${name}`);
    if (spec.short) into.add(`-${spec.short}`);
  }
}

async function collect(): Promise<{ nodes: Node[]; valued: Set<string> }> {
  const nodes: Node[] = [];
  const valued = new Set<string>();
  const rootWords = Object.entries(FAMILIES).map(([name, f]) => ({ name, summary: f.summary }));
  nodes.push({ path: "", words: rootWords, flags: [...flagWords(undefined), "--version"] });
  const visit = (path: string, node: Command | Group): void => {
    if (isGroup(node)) {
      nodes.push({
        path,
        words: node.commands.map((c) => ({ name: c.name, summary: c.summary })),
        flags: flagWords(undefined),
      });
      for (const child of node.commands) visit(`${path} ${child.name}`, child);
    } else {
      nodes.push({ path, words: [], flags: flagWords(node.options) });
      valueFlags(node.options, valued);
    }
  };
  for (const [name, family] of Object.entries(FAMILIES)) visit(name, await family.load());
  return { nodes, valued };
}

function bash(nodes: Node[], valued: Set<string>): string {
  const cases = nodes
    .map((n) => `    "${n.path}") words="${[...n.words.map((w) => w.name), ...n.flags].join(" ")}" ;;`)
    .join("\n");
  return `# runagents bash completion
_runagents() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${[...valued].sort().join("|")}) ((i++)); continue ;;
      -*) continue ;;
    esac
    path="\${path:+$path }$w"
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _runagents runagents
`;
}

function zsh(nodes: Node[], valued: Set<string>): string {
  return `#compdef runagents
# runagents zsh completion (uses bash completion emulation)
autoload -U +X bashcompinit && bashcompinit
${bash(nodes, valued)}`;
}

const fishQuote = (s: string): string => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

function fish(nodes: Node[]): string {
  const lines = ["# runagents fish completion", "complete -c runagents -f"];
  for (const node of nodes) {
    const parts = node.path === "" ? [] : node.path.split(" ");
    const condition =
      parts.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${parts[parts.length - 1]}; and not __fish_seen_subcommand_from ${
            node.words.map((w) => w.name).join(" ") || "__none__"
          }`;
    for (const w of node.words) {
      lines.push(`complete -c runagents -n ${fishQuote(condition)} -a ${w.name} -d ${fishQuote(w.summary)}`);
    }
  }
  for (const flagName of ["endpoint", "api-key", "output", "help"]) {
    const spec = GLOBAL_OPTIONS[flagName];
    lines.push(
      `complete -c runagents -l ${flagName}${spec?.short ? ` -s ${spec.short}` : ""}${spec?.type === "string" ? " -r" : ""} -d ${fishQuote(spec?.help ?? "")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export const completion: Command = {
  name: "completion",
  summary: "Print a shell completion script (bash, zsh, fish)",
  args: "<bash|zsh|fish>",
  min: 1,
  details:
    "Example: source <(runagents completion bash)   or   runagents completion fish > ~/.config/fish/completions/runagents.fish",
  async run(ctx, { positionals: [shell = ""] }) {
    if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
      throw new UsageError(`unsupported shell "${shell}": use bash, zsh or fish`);
    }
    const { nodes, valued } = await collect();
    const script =
      shell === "bash" ? bash(nodes, valued) : shell === "zsh" ? zsh(nodes, valued) : fish(nodes);
    ctx.out.line(script.trimEnd());
  },
};

/**
 * @module
 * `runagents completion bash|zsh|fish|powershell`: a static completion script for the whole
 * command tree. Install with e.g. `runagents completion bash > /etc/bash_completion.d/runagents`,
 * `source <(runagents completion zsh)` or, in PowerShell,
 * `runagents completion powershell | Out-String | Invoke-Expression` (in `$PROFILE`).
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

/** A PowerShell single-quoted string (PowerShell also ends them at typographic quotes). */
const psQuote = (s: string): string => `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")}'`;

function powershell(nodes: Node[], valued: Set<string>): string {
  // Each node: a flat list of (word, tooltip) pairs; flags are their own tooltip.
  const tree = nodes.map((n) => {
    const pairs = [
      ...n.words.flatMap((w) => [w.name, w.summary || w.name]),
      ...n.flags.flatMap((f) => [f, f]),
    ];
    return `    ${psQuote(n.path)} = @(${pairs.map(psQuote).join(", ")})`;
  });
  return `# runagents PowerShell completion
# Install: runagents completion powershell | Out-String | Invoke-Expression   (e.g. in $PROFILE)
Register-ArgumentCompleter -Native -CommandName runagents -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $valued = @(${[...valued].sort().map(psQuote).join(", ")})
  $tree = @{
${tree.join("\n")}
  }
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -le $cursorPosition } |
    ForEach-Object { $_.ToString() })
  if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words | Select-Object -First ($words.Count - 1)) }
  $path = @()
  $skip = $false
  foreach ($w in ($words | Select-Object -Skip 1)) {
    if ($skip) { $skip = $false; continue }
    if ($valued -contains $w) { $skip = $true; continue }
    if ($w.StartsWith('-')) { continue }
    $path += $w
  }
  $entries = $tree[($path -join ' ')]
  if ($null -eq $entries) { return }
  for ($i = 0; $i -lt $entries.Count; $i += 2) {
    $name = $entries[$i]
    if ($name -like "$wordToComplete*") {
      $kind = if ($name.StartsWith('-')) { 'ParameterName' } else { 'ParameterValue' }
      [System.Management.Automation.CompletionResult]::new($name, $name, $kind, $entries[$i + 1])
    }
  }
}
`;
}

const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

export const completion: Command = {
  name: "completion",
  summary: "Print a shell completion script (bash, zsh, fish, powershell)",
  args: "<bash|zsh|fish|powershell>",
  min: 1,
  details:
    "Example: source <(runagents completion bash)   or   runagents completion fish > ~/.config/fish/completions/runagents.fish\n" +
    "PowerShell: runagents completion powershell | Out-String | Invoke-Expression",
  async run(ctx, { positionals: [shell = ""] }) {
    if (!(SHELLS as readonly string[]).includes(shell)) {
      throw new UsageError(`unsupported shell "${shell}": use bash, zsh, fish or powershell`);
    }
    const { nodes, valued } = await collect();
    const script =
      shell === "bash"
        ? bash(nodes, valued)
        : shell === "zsh"
          ? zsh(nodes, valued)
          : shell === "fish"
            ? fish(nodes)
            : powershell(nodes, valued);
    ctx.out.line(script.trimEnd());
  },
};

/**
 * A small Dockerfile reader and .dockerignore matcher for the deployment tests. No Docker engine
 * runs in the test environment (the docker CLI may be installed, the daemon is not), so the image
 * cannot be built here; these helpers check what a typo or a bad merge usually breaks.
 *
 * Dockerfile: parser directives, `#` comment lines, `\` line continuations, instruction keywords
 * (case-insensitive), exec form (a JSON array) vs shell form, and stages (`FROM … AS name`).
 * .dockerignore: Go filepath.Match patterns anchored at the context root, `**` for any number of
 * folders, `!` exceptions, the last matching pattern wins, and a matched folder excludes its
 * contents (the rules of moby/patternmatcher).
 */

export const INSTRUCTIONS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

export interface Instruction {
  keyword: string;
  /** The arguments as one line (continuations joined with a space). */
  args: string;
  /** Exec form: the parsed JSON array; undefined for shell form. */
  exec?: string[];
  line: number;
  /** Index of the stage (0 for the first FROM); -1 before any FROM (global ARGs). */
  stage: number;
}

export interface Stage {
  index: number;
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  instructions: Instruction[];
  stages: Stage[];
  problems: string[];
}

function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function parseDockerfile(src: string): Dockerfile {
  const problems: string[] = [];
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  const lines = src.split('\n');
  let i = 0;
  let directives = true;
  while (i < lines.length) {
    const start = i;
    const raw = lines[i]!.replace(/\r$/, '');
    i++;
    const trimmed = raw.trim();
    if (trimmed === '') {
      directives = false;
      continue;
    }
    if (trimmed.startsWith('#')) {
      if (directives && !/^#\s*[a-z]+\s*=/.test(trimmed)) directives = false;
      continue;
    }
    directives = false;
    // Join continuation lines; comment lines inside a continuation are dropped, as Docker does.
    let text = raw;
    while (/\\\s*$/.test(text) && i < lines.length) {
      text = text.replace(/\\\s*$/, ' ');
      const next = lines[i]!.replace(/\r$/, '');
      i++;
      if (next.trim().startsWith('#')) {
        text += '\\';
        continue;
      }
      text += next;
    }
    if (/\\\s*$/.test(text)) problems.push(`line ${start + 1}: the last line ends with a continuation`);
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(text);
    if (!m) {
      problems.push(`line ${start + 1}: cannot read ${JSON.stringify(trimmed)}`);
      continue;
    }
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ').trim();
    if (!INSTRUCTIONS.has(keyword)) problems.push(`line ${start + 1}: unknown instruction ${keyword}`);
    if (args === '') problems.push(`line ${start + 1}: ${keyword} without arguments`);
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+([A-Za-z0-9][A-Za-z0-9_.-]*))?$/i.exec(args);
      if (!from) problems.push(`line ${start + 1}: malformed FROM ${args}`);
      stages.push({
        index: stages.length,
        image: from?.[1] ?? args,
        ...(from?.[2] ? { name: from[2] } : {}),
        instructions: [],
      });
    } else if (stages.length === 0 && keyword !== 'ARG') {
      problems.push(`line ${start + 1}: ${keyword} before the first FROM (only ARG may come first)`);
    }
    const exec = execForm(args.replace(/^(--\S+\s+)+/, '').replace(/^CMD\s+/i, ''));
    const ins: Instruction = { keyword, args, line: start + 1, stage: stages.length - 1, ...(exec ? { exec } : {}) };
    instructions.push(ins);
    stages.at(-1)?.instructions.push(ins);
  }
  if (stages.length === 0) problems.push('no FROM instruction');
  return { instructions, stages, problems };
}

/** `KEY=value KEY2="quoted value"` pairs of an ENV or ARG instruction. */
export function keyValues(args: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g;
  for (const m of args.matchAll(re)) {
    const raw = m[2] ?? '';
    out.set(m[1]!, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

// ── .dockerignore ────────────────────────────────────────────────────────────────────────────────

interface IgnoreRule {
  exclusion: boolean;
  re: RegExp;
}

function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === '*') {
      if (pattern.charAt(i + 1) === '*') {
        // `**` matches any number of folders, including none (`**/x` also matches `x`).
        i++;
        if (pattern.charAt(i + 1) === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (ch === '?') out += '[^/]';
    else if ('\\^$.|+()[]{}'.includes(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return new RegExp(`^${out}$`);
}

export function parseDockerignore(src: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of src.split('\n')) {
    let p = line.trim();
    if (p === '' || p.startsWith('#')) continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    p = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
    rules.push({ exclusion, re: globToRegExp(p) });
  }
  return rules;
}

/** Whether a context-relative path (forward slashes) is left out of the build context. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  let ignored = false;
  for (const rule of rules) {
    // A pattern that matches a parent folder matches everything below it.
    const hit = parts.some((_, n) => rule.re.test(parts.slice(0, n + 1).join('/')));
    if (hit) ignored = !rule.exclusion;
  }
  return ignored;
}

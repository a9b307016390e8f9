import { createRequire } from 'node:module';

/**
 * Microsoft's Kusto parser and semantic analyser (Kusto.Language, compiled to JavaScript by
 * Bridge.NET in @kusto/language-service-next). The package defines globals (`Bridge`, `Kusto`)
 * when its two scripts are required in order; the typings are global declarations of 30,000 lines,
 * so this helper declares only the few members it uses.
 */

interface NetList<T> {
  Count: number;
  getItem(index: number): T;
}

interface KustoDiagnostic {
  Severity: string;
  Code: string;
  Message: string;
  Start: number;
}

export interface KustoToken {
  Kind: number;
  /** The token's text as written. */
  Text: string;
  /** For literals: the decoded value. */
  ValueText: string;
  /** Whitespace and comments before the token. */
  Trivia: string;
  GetNextToken(includeZeroWidthTokens?: boolean): KustoToken | null;
}

interface KustoCode {
  Syntax: { GetFirstToken(includeZeroWidthTokens?: boolean): KustoToken | null };
  /** The type of the query's result; for a tabular result a table with columns. */
  ResultType: { Columns?: NetList<{ Name: string; Type: { Name: string } }> } | null;
}

interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
  KustoCode: {
    ParseAndAnalyze(text: string, globals: unknown): KustoCode;
    Parse(text: string, globals: unknown): KustoCode;
  };
  Editor: {
    CodeScript: {
      From$1(
        text: string,
        globals: unknown,
      ): {
        Blocks: NetList<{ Service: { GetCombinedDiagnostics(waitForAnalysis: boolean): NetList<KustoDiagnostic> } }>;
      };
    };
  };
  Syntax: { SyntaxKind: { StringLiteralToken: number } };
}

let language: KustoLanguage | undefined;

function kusto(): KustoLanguage {
  if (language === undefined) {
    const require = createRequire(import.meta.url);
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.js');
    language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  }
  return language;
}

/** A table for the analyser: name and Kusto schema text, e.g. `(TimeGenerated:datetime, ActionId:string)`. */
export interface DeclaredTable {
  name: string;
  schema: string;
}

const globalsCache = new Map<string, unknown>();

function globalsFor(tables: readonly DeclaredTable[]): unknown {
  const key = JSON.stringify(tables);
  let globals = globalsCache.get(key);
  if (globals === undefined) {
    const k = kusto();
    const symbols = tables.map((t) => new k.Symbols.TableSymbol.$ctor7(t.name, t.schema, null));
    globals = k.GlobalState.Default.WithDatabase(new k.Symbols.DatabaseSymbol.ctor('db', symbols));
    globalsCache.set(key, globals);
  }
  return globals;
}

/**
 * Every diagnostic (syntax, semantic and the analyser's warnings) of a query against the declared
 * tables, as `Severity Code: message @offset`. The query must form one block (no empty line).
 */
export function kqlDiagnostics(query: string, tables: readonly DeclaredTable[]): string[] {
  const script = kusto().Editor.CodeScript.From$1(query, globalsFor(tables));
  const out: string[] = [];
  if (script.Blocks.Count !== 1) out.push(`Error blocks: the text splits into ${script.Blocks.Count} queries`);
  for (let b = 0; b < script.Blocks.Count; b++) {
    const diagnostics = script.Blocks.getItem(b).Service.GetCombinedDiagnostics(true);
    for (let i = 0; i < diagnostics.Count; i++) {
      const d = diagnostics.getItem(i);
      out.push(`${d.Severity} ${d.Code}: ${d.Message} @${d.Start}`);
    }
  }
  return out;
}

/** A token of the parsed query: kind, text as written, decoded value, preceding trivia. */
export interface TokenInfo {
  kind: number;
  text: string;
  value: string;
  trivia: string;
}

/** The tokens of a query as Kusto's parser sees them (parse only, no semantic analysis). */
export function kqlTokens(query: string, tables: readonly DeclaredTable[]): TokenInfo[] {
  const code = kusto().KustoCode.Parse(query, globalsFor(tables));
  const tokens: TokenInfo[] = [];
  for (let t = code.Syntax.GetFirstToken(); t !== null; t = t.GetNextToken()) {
    tokens.push({ kind: t.Kind, text: t.Text, value: t.ValueText, trivia: t.Trivia });
  }
  return tokens;
}

/** The result columns of a tabular query as `name:type`, in order, as the analyser infers them. */
export function kqlResultColumns(query: string, tables: readonly DeclaredTable[]): string[] {
  const code = kusto().KustoCode.ParseAndAnalyze(query, globalsFor(tables));
  const columns = code.ResultType?.Columns;
  if (columns === undefined) return [];
  const out: string[] = [];
  for (let i = 0; i < columns.Count; i++) {
    const c = columns.getItem(i);
    out.push(`${c.Name}:${c.Type.Name}`);
  }
  return out;
}

/** The SyntaxKind of a string literal token. */
export function stringLiteralKind(): number {
  return kusto().Syntax.SyntaxKind.StringLiteralToken;
}

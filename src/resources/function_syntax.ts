/**
 * acorn loads on the first check, not with the API's modules: evaluating it builds its Unicode tables
 * (about 10 ms of every start otherwise, docs/performance.md).
 */
let acorn: Promise<typeof import("acorn")> | undefined;

/** Where and why a function's source does not compile. Lines and columns count from 1. */
export interface SyntaxProblem {
  message: string;
  line: number;
  column: number;
}

/**
 * Parses a function's ES module source without running it (acorn, latest ECMAScript) and checks that it
 * has a default export. Returns null when the code is fine.
 */
export async function checkFunctionSyntax(code: string): Promise<SyntaxProblem | null> {
  const { parse } = await (acorn ??= import("acorn").catch(function retryLater(e) {
    acorn = undefined;
    throw e;
  }));
  let program;
  try {
    program = parse(code, { ecmaVersion: "latest", sourceType: "module", locations: true });
  } catch (e) {
    const err = e as SyntaxError & { loc?: { line: number; column: number } };
    const loc = err.loc ?? { line: 1, column: 0 };
    // acorn appends "(line:column)" to its message; the structured fields carry it instead.
    const message = err.message.replace(/\s*\(\d+:\d+\)$/, "");
    return { message, line: loc.line, column: loc.column + 1 };
  }
  const hasDefault = program.body.some((n) =>
    n.type === "ExportDefaultDeclaration" ||
    (n.type === "ExportNamedDeclaration" && n.specifiers.some((s) =>
      s.exported.type === "Identifier" ? s.exported.name === "default" : s.exported.value === "default"
    ))
  );
  if (!hasDefault) {
    return {
      message: "no default export: write `export default async function(event, ctx) { ... }`",
      line: 1,
      column: 1,
    };
  }
  return null;
}

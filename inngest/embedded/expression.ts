/**
 * A small evaluator for the subset of Inngest's CEL expressions Kadr's functions produce
 * (https://www.inngest.com/docs/guides/writing-expressions): comparisons `==` and `!=` between
 * dotted paths (`event.data.jobId`, `async.data.jobId`) and literals (single- or double-quoted
 * strings, numbers, true, false, null), joined with `&&`. Anything else throws at compile time, so
 * an unsupported expression fails loudly instead of silently never matching.
 */

type Operand = { kind: "path"; path: string[] } | { kind: "literal"; value: unknown };
type Comparison = { left: Operand; op: "==" | "!="; right: Operand };

/** Raised for an expression outside the supported subset. */
export class ExpressionError extends Error {
  override name = "ExpressionError";
}

const OPERAND = String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null|[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)`;
const COMPARISON = new RegExp(String.raw`^\s*${OPERAND}\s*(==|!=)\s*${OPERAND}\s*$`);

function parseOperand(token: string): Operand {
  if (token.startsWith("'") || token.startsWith('"')) {
    return { kind: "literal", value: token.slice(1, -1).replace(/\\(.)/g, "$1") };
  }
  if (token === "true" || token === "false") return { kind: "literal", value: token === "true" };
  if (token === "null") return { kind: "literal", value: null };
  if (/^-?\d/.test(token)) return { kind: "literal", value: Number(token) };
  return { kind: "path", path: token.split(".") };
}

/** Compiles `expression` into a predicate over named roots (e.g. `{ event, async }`). */
export function compileExpression(expression: string): (roots: Record<string, unknown>) => boolean {
  const comparisons: Comparison[] = expression.split("&&").map((part) => {
    const m = COMPARISON.exec(part);
    if (!m) throw new ExpressionError(`Unsupported expression: ${JSON.stringify(expression)}`);
    return { left: parseOperand(m[1]!), op: m[2] as "==" | "!=", right: parseOperand(m[3]!) };
  });
  const resolve = (operand: Operand, roots: Record<string, unknown>): unknown => {
    if (operand.kind === "literal") return operand.value;
    let value: unknown = roots;
    for (const key of operand.path) {
      value =
        value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    }
    return value;
  };
  return (roots) =>
    comparisons.every(({ left, op, right }) => {
      const equal = resolve(left, roots) === resolve(right, roots);
      return op === "==" ? equal : !equal;
    });
}

const PATH = /^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*$/;

/**
 * Compiles a value expression — a dotted path such as `event.data.userId`, the form concurrency
 * keys take — into a function returning the value as a string ("" when absent).
 * @throws ExpressionError for anything but a dotted path.
 */
export function compileKeyExpression(expression: string): (roots: Record<string, unknown>) => string {
  const m = PATH.exec(expression);
  if (!m) throw new ExpressionError(`Unsupported key expression: ${JSON.stringify(expression)}`);
  const path = m[1]!.split(".");
  return (roots) => {
    let value: unknown = roots;
    for (const key of path) {
      value =
        value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    }
    return value === undefined || value === null
      ? ""
      : typeof value === "string"
        ? value
        : JSON.stringify(value);
  };
}

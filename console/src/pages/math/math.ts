// The math service's operations and bounds (src/topichub/math/operations.py), the checks
// run before sending, and how a calculation is written out.

export type Operand = "a" | "b" | "n";

export interface OperationSpec {
  name: string;
  label: string;
  operands: Operand[];
  /** For `n`: the largest value the server accepts. */
  maxN?: number;
}

export const MAX_OPERAND_DIGITS = 1000;
export const MAX_FACTORIAL = 1000;
export const MAX_FIBONACCI = 10_000;

export const OPERATIONS: OperationSpec[] = [
  { name: "add", label: "Add (a + b)", operands: ["a", "b"] },
  { name: "subtract", label: "Subtract (a − b)", operands: ["a", "b"] },
  { name: "multiply", label: "Multiply (a × b)", operands: ["a", "b"] },
  { name: "divide", label: "Divide (a ÷ b)", operands: ["a", "b"] },
  { name: "pow", label: "Power (a ^ b)", operands: ["a", "b"] },
  { name: "sqrt", label: "Square root (√a)", operands: ["a"] },
  { name: "factorial", label: "Factorial (n!)", operands: ["n"], maxN: MAX_FACTORIAL },
  { name: "fibonacci", label: "Fibonacci (F(n))", operands: ["n"], maxN: MAX_FIBONACCI },
];

export function operation(name: string): OperationSpec {
  return OPERATIONS.find((op) => op.name === name) ?? OPERATIONS[0]!;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?$/;

/** Why `raw` is not an operand the server accepts (the same grammar), or undefined. */
export function checkNumber(raw: string): string | undefined {
  const text = raw.trim();
  if (!text) return "Enter a number.";
  if (text.length > MAX_OPERAND_DIGITS + 10) return `Use at most ${MAX_OPERAND_DIGITS} digits.`;
  if (INTEGER.test(text)) {
    const digits = text.replace(/^[+-]/, "").replace(/^0+(?=\d)/, "");
    if (digits.length > MAX_OPERAND_DIGITS) return `Use at most ${MAX_OPERAND_DIGITS} digits.`;
    return undefined;
  }
  if (!DECIMAL.test(text)) return "Enter a number, e.g. 42, -3.5 or 1e6.";
  if (!Number.isFinite(Number(text))) return "That number is too large.";
  return undefined;
}

/** Why `raw` is not a whole number from 0 to `max`, or undefined. */
export function checkWhole(raw: string, max: number): string | undefined {
  const text = raw.trim();
  if (!text) return "Enter a whole number.";
  if (!INTEGER.test(text)) return "Enter a whole number (no decimals).";
  const value = Number(text);
  if (value < 0) return "Enter 0 or more.";
  if (value > max) return `Enter at most ${max.toLocaleString("en-US")}.`;
  return undefined;
}

/** Problems per operand of `spec`, empty when every operand is fine. */
export function checkOperands(
  spec: OperationSpec,
  values: Record<Operand, string>,
): Partial<Record<Operand, string>> {
  const problems: Partial<Record<Operand, string>> = {};
  for (const name of spec.operands) {
    const problem =
      name === "n" ? checkWhole(values[name], spec.maxN ?? MAX_FIBONACCI) : checkNumber(values[name]);
    if (problem) problems[name] = problem;
  }
  return problems;
}

/** The request body: the operands as text, so that integers of any size stay exact. */
export function operandsBody(spec: OperationSpec, values: Record<Operand, string>) {
  const body: Partial<Record<Operand, string>> = {};
  for (const name of spec.operands) body[name] = values[name].trim();
  return body;
}

/**
 * JSON text parsed with integers beyond 2^53 kept exact, as strings of digits (a
 * factorial has thousands of digits: `JSON.parse` would make it Infinity).
 */
export function parseExactJson(text: string): unknown {
  const quoted = text.replace(
    /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g,
    (token) => (token.startsWith('"') || Number.isSafeInteger(Number(token)) ? token : `"${token}"`),
  );
  return JSON.parse(quoted);
}

/** A number, an exact big integer (a string of digits) or anything else, as text. */
export function formatValue(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** `2 + 3`, `√16`, `10!`, `F(10)`: the left side of a calculation. */
export function expression(name: string, inputs: Record<string, unknown>): string {
  const a = formatValue(inputs.a);
  const b = formatValue(inputs.b);
  const n = formatValue(inputs.n);
  switch (name) {
    case "add":
      return `${a} + ${b}`;
    case "subtract":
      return `${a} − ${b}`;
    case "multiply":
      return `${a} × ${b}`;
    case "divide":
      return `${a} ÷ ${b}`;
    case "pow":
      return `${a} ^ ${b}`;
    case "sqrt":
      return `√${a}`;
    case "factorial":
      return `${n}!`;
    case "fibonacci":
      return `F(${n})`;
    default:
      return `${name}(${Object.entries(inputs)
        .map(([key, value]) => `${key}=${formatValue(value)}`)
        .join(", ")})`;
  }
}

/** A long result shortened for a list: the first and last digits with a count. */
export function abbreviate(text: string, max = 40): string {
  if (text.length <= max) return text;
  const keep = Math.floor((max - 3) / 2);
  return `${text.slice(0, keep)}…${text.slice(-keep)} (${text.replace(/^-/, "").length} digits)`;
}

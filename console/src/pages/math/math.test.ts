import { describe, expect, it } from "vitest";

import {
  abbreviate,
  checkNumber,
  checkOperands,
  checkWhole,
  expression,
  operandsBody,
  operation,
  parseExactJson,
} from "./math";

describe("math operands", () => {
  it("accepts the server's number grammar only", () => {
    for (const ok of ["2", "-3", "+4", "3.5", ".5", "5.", "1e6", "-2.5E-3"]) {
      expect(checkNumber(ok), ok).toBeUndefined();
    }
    for (const bad of ["", "abc", "1,5", "0x10", "1e", "NaN", "Infinity", "1e99999"]) {
      expect(checkNumber(bad), bad).toBeDefined();
    }
    expect(checkNumber("1e999")).toMatch(/too large/);
    expect(checkNumber("9".repeat(1000))).toBeUndefined();
    expect(checkNumber("9".repeat(1001))).toMatch(/1000 digits/);
  });

  it("wants whole numbers within the operation's bound for n", () => {
    expect(checkWhole("10", 1000)).toBeUndefined();
    expect(checkWhole("2.5", 1000)).toMatch(/whole/);
    expect(checkWhole("-1", 1000)).toMatch(/0 or more/);
    expect(checkWhole("1001", 1000)).toMatch(/at most 1,000/);
  });

  it("checks only the operands the operation takes", () => {
    const values = { a: "", b: "x", n: "5" };
    expect(checkOperands(operation("factorial"), values)).toEqual({});
    expect(Object.keys(checkOperands(operation("sqrt"), values))).toEqual(["a"]);
    expect(Object.keys(checkOperands(operation("add"), values))).toEqual(["a", "b"]);
    expect(checkOperands(operation("fibonacci"), { ...values, n: "10001" }).n).toMatch(/10,000/);
    // Division by zero is the server's to refuse (its message is shown).
    expect(checkOperands(operation("divide"), { a: "1", b: "0", n: "" })).toEqual({});
  });

  it("sends the operands as trimmed text", () => {
    expect(operandsBody(operation("pow"), { a: " 2 ", b: "10", n: "7" })).toEqual({ a: "2", b: "10" });
    expect(operandsBody(operation("factorial"), { a: "1", b: "2", n: "7" })).toEqual({ n: "7" });
  });
});

describe("parseExactJson", () => {
  it("keeps big integers exact and everything else as JSON.parse does", () => {
    const big = "9".repeat(2600);
    const parsed = parseExactJson(
      `{"operation":"factorial","n":1000,"result":${big},"f":-1.5e300,"s":"12345678901234567890","x":[9007199254740993,-12345678901234567890, 1234567890123456]}`,
    );
    expect(parsed).toEqual({
      operation: "factorial",
      n: 1000,
      result: big,
      f: -1.5e300,
      s: "12345678901234567890",
      x: ["9007199254740993", "-12345678901234567890", 1234567890123456],
    });
  });

  it("leaves long floats and escaped quotes alone", () => {
    expect(parseExactJson('{"a":"say \\"12345678901234567890\\"","b":12345678901234567890.5}')).toEqual({
      a: 'say "12345678901234567890"',
      b: 12345678901234567890.5,
    });
  });
});

describe("writing calculations out", () => {
  it("writes the expression per operation", () => {
    expect(expression("add", { a: 2, b: 3 })).toBe("2 + 3");
    expect(expression("divide", { a: 1, b: 0 })).toBe("1 ÷ 0");
    expect(expression("sqrt", { a: 16 })).toBe("√16");
    expect(expression("factorial", { n: 5 })).toBe("5!");
    expect(expression("fibonacci", { n: 10 })).toBe("F(10)");
    expect(expression("mystery", { a: 1 })).toBe("mystery(a=1)");
  });

  it("abbreviates long results", () => {
    expect(abbreviate("120")).toBe("120");
    const long = abbreviate("1".repeat(100), 23);
    expect(long).toBe(`${"1".repeat(10)}…${"1".repeat(10)} (100 digits)`);
  });
});

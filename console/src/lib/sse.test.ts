import { describe, expect, it } from "vitest";

import { backoffDelay } from "./backoff";
import { SSEParser } from "./sse";

describe("SSEParser", () => {
  it("parses topichub's frames: comments, ids, named events", () => {
    const parser = new SSEParser();
    const events = parser.push(
      ': connected\n\nid: 0:1\ndata: {"value":1}\n\nevent: gap\ndata: {"from":"0:0"}\n\n',
    );
    expect(events).toEqual([
      { event: "message", data: '{"value":1}', id: "0:1" },
      { event: "gap", data: '{"from":"0:0"}', id: "0:1" },
    ]);
  });

  it("joins events split across chunks anywhere, including inside \\r\\n", () => {
    const text = 'id: 0:5,1:2\r\ndata: {"a":\r\ndata: 2}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SSEParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual([
        { event: "message", data: '{"a":\n2}', id: "0:5,1:2" },
      ]);
    }
  });

  it("keeps the last id as the resume point and ignores events with no data", () => {
    const parser = new SSEParser("0:3");
    expect(parser.push("event: ping\n\ndata: x\n\n")).toEqual([
      { event: "message", data: "x", id: "0:3" },
    ]);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially, is capped, and is jittered within [ceiling/2, ceiling]", () => {
    expect(backoffDelay(0, {}, () => 0)).toBe(250);
    expect(backoffDelay(0, {}, () => 1)).toBe(500);
    expect(backoffDelay(3, {}, () => 1)).toBe(4000);
    expect(backoffDelay(30, {}, () => 1)).toBe(15_000);
    expect(backoffDelay(30, { maxMs: 2000 }, () => 0)).toBe(1000);
  });
});

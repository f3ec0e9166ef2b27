// A Server-Sent Events parser (the WHATWG event-stream format) for streams read with
// fetch(), which, unlike EventSource, sends an Authorization header and shows the
// status and error body when a stream is refused.

export interface SSEMessage {
  /** "message" unless the server named the event (gap, close, ...). */
  event: string;
  data: string;
  /** The id of this event, or of the last event that had one (the resume point). */
  id: string | null;
}

export class SSEParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private lastId: string | null = null;

  constructor(initialId: string | null = null) {
    this.lastId = initialId;
  }

  /** Feed decoded text; returns the events it completed. */
  push(chunk: string): SSEMessage[] {
    this.buffer += chunk;
    const out: SSEMessage[] = [];
    let start = 0;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer.slice(start));
      if (!match) break;
      const end = start + match.index;
      // A lone \r at the end of a chunk may be the first half of \r\n: wait for more.
      if (match[0] === "\r" && end + 1 === this.buffer.length) break;
      this.line(this.buffer.slice(start, end), out);
      start = end + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string, out: SSEMessage[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        out.push({ event: this.event || "message", data: this.data.join("\n"), id: this.lastId });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return; // comment (heartbeat)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
  }
}

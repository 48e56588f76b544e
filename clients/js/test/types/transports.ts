// The socket and EventSource classes the docs say to pass, as a strict TypeScript user passes
// them (test/unit/types.test.mjs compiles this against dist/).
import WebSocket from "ws";
import { EventSource } from "eventsource";
import { LiveQuery, liveEventSource, type SocketConstructor, type EventSourceOptions } from "../../dist/index.js";

const q = { table: "items", limit: 5 };
// `ws`'s in Node 20, and the browser's own
void new LiveQuery("ws://localhost:8080/v1/ws", { WebSocket });
void new LiveQuery("ws://localhost:8080/v1/ws", { WebSocket: globalThis.WebSocket });
// the `eventsource` package's in Node, and the browser's own
void liveEventSource("http://localhost:8080/v1/live", q, undefined, { EventSource });
void liveEventSource("http://localhost:8080/v1/live", q, undefined, { EventSource: globalThis.EventSource, withCredentials: true });

// the types still say what the client needs
class NoClose { readyState = 0; onopen = null; onmessage = null; onclose = null; onerror = null; send(data: string) { void data; } }
// @ts-expect-error: a socket must close
const noClose: SocketConstructor = NoClose;
class NumberData { readyState = 0; onopen = null; onerror = null; close() {} onmessage: ((ev: { data: number }) => void) | null = null; }
// @ts-expect-error: an EventSource's data is a string
const numberData: EventSourceOptions = { EventSource: NumberData };
void noClose; void numberData;

import { test } from "node:test";
import assert from "node:assert/strict";
import { Table, LiveQueryError } from "../../dist/index.js";

/** A Table whose fetch answers `status` with `body`. */
const answering = (status, body) => new Table("http://gw.test", "items",
  async () => ({ ok: status < 300, status, json: async () => JSON.parse(body), text: async () => body }), () => undefined, () => []);

test("an error answer's code and message come from its JSON body (PROTOCOL §7)", async () => {
  await assert.rejects(answering(412, '{"error":{"code":"version_mismatch","message":"at 3"}}').put({ id: "a" }),
    e => e instanceof LiveQueryError && e.status === 412 && e.code === "version_mismatch" && e.message === "at 3");
});

test("an error answer that is not JSON (a proxy's page) is a LiveQueryError with the status, not a SyntaxError", async () => {
  await assert.rejects(answering(502, "<html>Bad Gateway</html>").put({ id: "a" }),
    e => e instanceof LiveQueryError && e.status === 502 && e.code === "unavailable" && /Bad Gateway/.test(e.message));
  await assert.rejects(answering(404, "Not Found").patch("a", {}),
    e => e instanceof LiveQueryError && e.status === 404 && e.code === "http_404");
  assert.equal(await answering(404, "<html>no</html>").get("a"), null, "get: a 404 is an absent row");
});

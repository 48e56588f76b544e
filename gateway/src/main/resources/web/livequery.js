// livequery.js: a small WebSocket client for the live-query protocol (PROTOCOL.md §3-§4).
// No dependencies, no build step. One LiveQuery = one socket with many subscriptions.
//
//   const lq = new LiveQuery("/v1/ws", {onState: s => …});
//   const sub = lq.subscribe({table: "demo_items", order: [{field: "price"}], limit: 50},
//                            {onChange: (rows, frames) => …, onReady: (ready) => …});
//   sub.reanchor({limit: 100});          // grow; or {after: cursor} to slide
//   sub.close();
//
// Over Server-Sent Events there is nothing to send, so no client object is needed: keep an array and
// splice each frame into it with LiveQuery.apply(rows, JSON.parse(event.data)); EventSource itself
// reconnects with Last-Event-ID, which resumes.
//
// Frames are applied with splice semantics: each index is relative to the window as the previous
// frame left it. The last eid applied is remembered per subscription, and after a reconnect the
// subscription is re-sent with "resume" so only the missing splice comes back.
(function (global) {
  "use strict";

  function Subscription(lq, name, query, handlers) {
    this.lq = lq;
    this.name = name;
    this.query = Object.assign({}, query);
    this.handlers = handlers || {};
    this.rows = [];      // [{id, version, row, cursor}]
    this.eid = null;     // last applied eid: the resume token
    this.ready = null;   // last ready frame ({has_more_before, has_more_after, resumed})
    this.status = "live"; // "stale" while the server says its backend is unreachable (status frames)
    this.syncing = true; // from subscribe/reset/reanchor until the ready that ends it
    this.resets = 0;     // reset frames seen (a resume that works sends none)
    this.closed = false;
  }

  // Applies one row frame to a window (an array of {id, version, row, cursor}) with splice
  // semantics. Shared by WebSocket subscriptions and by EventSource users (see LiveQuery.apply).
  function applyFrame(w, f) {
    const entry = () => ({id: f.id, version: f.version, row: f.row, cursor: f.cursor});
    switch (f.op) {
      case "reset": w.length = 0; break;
      case "enter": w.splice(f.new_index, 0, entry()); break;
      case "leave": w.splice(f.old_index, 1); break;
      case "update": w[f.new_index] = entry(); break;
      case "move": w.splice(f.old_index, 1); w.splice(f.new_index, 0, entry()); break;
    }
    return w;
  }

  Subscription.prototype.apply = function (f) {
    // f.live: a change that happened while this window was in sync (not part of a snapshot or of a
    // reanchor the client asked for): what a UI would highlight.
    if (f.op === "reset") { this.syncing = true; this.resets++; }
    f.live = !this.syncing;
    applyFrame(this.rows, f);
    switch (f.op) {
      case "ready": this.ready = f; this.syncing = false; break;
      case "status": this.status = f.state; break;
      case "closed":
        this.closed = true;
        // after "shutdown" the socket closes too, and the reconnect resumes this subscription elsewhere
        if (f.cause !== "shutdown") delete this.lq.subs[this.name];
        break;
    }
    if (f.eid) this.eid = f.eid;
  };

  /** Changes the window: {limit}, {after: cursor}, {before: cursor}, {after: null} = from the top. */
  Subscription.prototype.reanchor = function (change) {
    const msg = Object.assign({action: "reanchor", sub: this.name}, change);
    if ("after" in change || "before" in change) {
      delete this.query.after; delete this.query.before;
      if (change.after) this.query.after = change.after;
      if (change.before) this.query.before = change.before;
    }
    if (change.limit) this.query.limit = change.limit;
    this.syncing = true;
    // Sent now, or (while disconnected) carried by the resubscribe: resume + the new window.
    this.lq._send(msg);
  };

  Subscription.prototype.close = function () {
    this.closed = true;
    delete this.lq.subs[this.name];
    this.lq._send({action: "unsubscribe", sub: this.name});
  };

  Subscription.prototype._subscribeMessage = function () {
    const m = {action: "subscribe", sub: this.name, query: this.query};
    if (this.eid) m.resume = this.eid;
    return m;
  };

  function LiveQuery(url, options) {
    this.url = new URL(url, global.location.href.replace(/^http/, "ws")).href.replace(/^http/, "ws");
    this.options = options || {};
    this.subs = {};
    this.next = 1;
    this.backoff = 250;
    this.state = "connecting";
    this.connects = 0;   // successful opens: 1 + reconnects
    this._connect();
  }

  LiveQuery.prototype._setState = function (s, detail) {
    this.state = s;
    if (this.options.onState) this.options.onState(s, detail);
  };

  // Render at most once per animation frame; hidden tabs get no animation frames, so use a timer there
  // (otherwise frames would pile up unrendered until the tab is shown again).
  function defer(fn) {
    if (global.requestAnimationFrame && !(global.document && global.document.hidden)) global.requestAnimationFrame(fn);
    else setTimeout(fn, 16);
  }

  LiveQuery.prototype._connect = function () {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this._setState("connecting");
    const self = this;
    let batch = {};
    let scheduled = false;
    ws.onopen = function () {
      self.backoff = 250;
      self.connects++;
      self._setState("open");
      Object.values(self.subs).forEach(s => ws.send(JSON.stringify(s._subscribeMessage())));
    };
    ws.onmessage = function (ev) {
      if (ws !== self.ws) return;
      const f = JSON.parse(ev.data);
      if (f.op === "pong") return;
      const s = f.sub && self.subs[f.sub];
      if (f.op === "error") {
        if (self.options.onError) self.options.onError(f);
        if (s && s.handlers.onError) s.handlers.onError(f);
        return;
      }
      if (!s) return;
      s.apply(f);
      // Coalesce rendering: many frames arrive in one burst; render once per animation frame.
      (batch[f.sub] = batch[f.sub] || []).push(f);
      if (!scheduled) {
        scheduled = true;
        defer(function () {
          scheduled = false;
          const b = batch; batch = {};
          Object.keys(b).forEach(name => {
            const sub = b[name][0] && self.subs[name];
            if (!sub) return;
            const h = sub.handlers;
            if (h.onChange && b[name].some(x => x.op !== "ready" && x.op !== "status")) h.onChange(sub.rows, b[name]);
            if (h.onStatus && b[name].some(x => x.op === "status")) h.onStatus(sub.status);
            if (h.onReady && b[name].some(x => x.op === "ready")) h.onReady(sub.ready);
          });
        });
      }
    };
    ws.onclose = function (ev) {
      if (ws !== self.ws) return;
      self._setState("closed", ev.code + (ev.reason ? " " + ev.reason : ""));
      if (self.stopped) return;
      const wait = Math.min(self.backoff, 10000) * (0.5 + Math.random());
      self.backoff *= 2;
      setTimeout(() => self._connect(), wait);
    };
  };

  /** Drops the socket as a network failure would (for tests and demos); it reconnects and resumes. */
  LiveQuery.prototype.drop = function () {
    if (this.ws) this.ws.close(4000, "dropped by client");
  };

  LiveQuery.prototype._send = function (msg) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
  };

  LiveQuery.prototype.subscribe = function (query, handlers) {
    const name = "s" + (this.next++);
    const s = new Subscription(this, name, query, handlers);
    this.subs[name] = s;
    this._send(s._subscribeMessage());
    return s;
  };

  LiveQuery.prototype.close = function () {
    this.stopped = true;
    if (this.ws) this.ws.close(1000, "bye");
  };

  /** Splice one frame into a window array: for EventSource (SSE) users, who hold the rows themselves. */
  LiveQuery.apply = applyFrame;

  global.LiveQuery = LiveQuery;
})(typeof window !== "undefined" ? window : globalThis);

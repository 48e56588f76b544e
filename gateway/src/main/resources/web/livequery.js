// livequery.js: a small WebSocket client for the live-query protocol (PROTOCOL.md §3-§4).
// No dependencies, no build step. One LiveQuery = one socket with many subscriptions.
//
//   const lq = new LiveQuery("/v1/ws", {onState: s => …});
//   const sub = lq.subscribe({table: "demo_items", order: [{field: "price"}], limit: 50},
//                            {onChange: (rows, frames) => …, onReady: (ready) => …});
//   sub.reanchor({limit: 100});          // grow; or {after: cursor} to slide
//   sub.close();
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
    this.ready = null;   // last ready frame
    this.closed = false;
  }

  Subscription.prototype.apply = function (f) {
    const w = this.rows;
    switch (f.op) {
      case "reset": w.length = 0; break;
      case "enter": w.splice(f.new_index, 0, {id: f.id, version: f.version, row: f.row, cursor: f.cursor}); break;
      case "leave": w.splice(f.old_index, 1); break;
      case "update": w[f.new_index] = {id: f.id, version: f.version, row: f.row, cursor: f.cursor}; break;
      case "move":
        w.splice(f.old_index, 1);
        w.splice(f.new_index, 0, {id: f.id, version: f.version, row: f.row, cursor: f.cursor});
        break;
      case "ready": this.ready = f; break;
      case "closed": this.closed = true; break;
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
    this._connect();
  }

  LiveQuery.prototype._setState = function (s, detail) {
    this.state = s;
    if (this.options.onState) this.options.onState(s, detail);
  };

  LiveQuery.prototype._connect = function () {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this._setState("connecting");
    const self = this;
    let batch = {};
    let scheduled = false;
    ws.onopen = function () {
      self.backoff = 250;
      self._setState("open");
      Object.values(self.subs).forEach(s => ws.send(JSON.stringify(s._subscribeMessage())));
    };
    ws.onmessage = function (ev) {
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
        // requestAnimationFrame never fires in a hidden tab (or a headless one), so a page that is
        // not visible coalesces on a short timer instead and is current when it is shown again.
        const visible = global.document && global.document.visibilityState === "visible" && global.requestAnimationFrame;
        (visible ? global.requestAnimationFrame.bind(global) : (fn) => setTimeout(fn, 16))(function () {
          scheduled = false;
          const b = batch; batch = {};
          Object.keys(b).forEach(name => {
            const sub = self.subs[name];
            if (sub && sub.handlers.onChange) sub.handlers.onChange(sub.rows, b[name]);
            if (sub && sub.handlers.onReady && b[name].some(x => x.op === "ready")) sub.handlers.onReady(sub.ready);
          });
        });
      }
    };
    ws.onclose = function (ev) {
      self._setState("closed", ev.code + (ev.reason ? " " + ev.reason : ""));
      if (self.stopped) return;
      const wait = Math.min(self.backoff, 10000) * (0.5 + Math.random());
      self.backoff *= 2;
      setTimeout(() => self._connect(), wait);
    };
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

  global.LiveQuery = LiveQuery;
})(typeof window !== "undefined" ? window : globalThis);

/* @livequery/client 0.1.0 (script-tag build; protocol v1). Apache-2.0. */
"use strict";
(() => {
  var __defProp = Object.defineProperty;
  var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

  // src/index.ts
  var index_exports = {};
  __export(index_exports, {
    EventSourceSubscription: () => EventSourceSubscription,
    LiveQuery: () => LiveQuery,
    LiveQueryError: () => LiveQueryError,
    LiveWindow: () => LiveWindow,
    Subscription: () => Subscription,
    SubscriptionError: () => SubscriptionError,
    Table: () => Table,
    applyFrame: () => applyFrame,
    liveEventSource: () => liveEventSource,
    protocolVersion: () => protocolVersion,
    sseUrl: () => sseUrl,
    version: () => version
  });

  // src/persist.ts
  function persistKey(url, query) {
    return "livequery:" + url + ":" + JSON.stringify([
      query.table,
      query.where ?? null,
      query.order ?? null,
      query.limit ?? null,
      query.after ?? null,
      query.before ?? null
    ]);
  }
  function defaultStorage() {
    try {
      return globalThis.sessionStorage;
    } catch {
      return void 0;
    }
  }
  function load(storage, key) {
    try {
      const raw = storage.getItem(key);
      if (!raw) return null;
      const s = JSON.parse(raw);
      if (s.v !== 1 || typeof s.eid !== "string" || !Array.isArray(s.rows) || !s.query) return null;
      return s;
    } catch {
      return null;
    }
  }
  function save(storage, key, s) {
    try {
      storage.setItem(key, JSON.stringify(s));
    } catch {
      storage.removeItem(key);
    }
  }

  // src/apply.ts
  function applyFrame(rows, f) {
    switch (f.op) {
      case "reset":
        rows.length = 0;
        break;
      case "enter":
        rows.splice(f.new_index, 0, entry(f));
        break;
      case "leave":
        rows.splice(f.old_index, 1);
        break;
      case "update":
        rows[f.new_index] = entry(f);
        break;
      case "move":
        rows.splice(f.old_index, 1);
        rows.splice(f.new_index, 0, entry(f));
        break;
    }
    return rows;
  }
  function entry(f) {
    return Object.freeze({ id: f.id, version: f.version, row: f.row, cursor: f.cursor });
  }

  // src/table.ts
  var LiveQueryError = class extends Error {
    constructor(status, code, message) {
      super(message);
      __publicField(this, "status", status);
      __publicField(this, "code", code);
      this.name = "LiveQueryError";
    }
  };
  var Table = class {
    constructor(base, name, fetcher, token, windows) {
      __publicField(this, "base", base);
      __publicField(this, "name", name);
      __publicField(this, "fetcher", fetcher);
      __publicField(this, "token", token);
      __publicField(this, "windows", windows);
    }
    /** Replaces or inserts a row. */
    put(row, opts = {}) {
      return this.write("PUT", row.id, row, opts, () => row);
    }
    /** Merges top-level fields (null deletes a field); 404 if the row is absent. */
    patch(id, fields, opts = {}) {
      return this.write("PATCH", id, fields, opts, (current) => current && mergePatch(current, fields));
    }
    delete(id, opts = {}) {
      return this.write("DELETE", id, void 0, opts, () => null);
    }
    /** Upserts and deletes, each row atomically (PROTOCOL §7). */
    batch(change) {
      return this.call("POST", `/batch`, { upsert: change.upsert ?? [], delete: change.delete ?? [] });
    }
    /** One row with its version, or null if absent. */
    async get(id) {
      try {
        return await this.call("GET", `/rows/${encodeURIComponent(id)}`);
      } catch (e) {
        if (e instanceof LiveQueryError && e.status === 404) return null;
        throw e;
      }
    }
    /** A one-shot window (not live). */
    query(q = {}) {
      const p = new URLSearchParams();
      if (q.where) p.set("where", JSON.stringify(q.where));
      if (q.order) p.set("order", q.order.map((k) => (k.dir === "desc" ? "-" : "") + k.field).join(","));
      if (q.limit) p.set("limit", String(q.limit));
      if (q.after) p.set("after", q.after);
      if (q.before) p.set("before", q.before);
      return this.call("GET", `/query?${p}`);
    }
    async write(method, id, body, opts, next) {
      const shown = [];
      if (opts.optimistic) {
        for (const w of this.windows()) {
          const current = w.rows.find((e) => e.id === id);
          if (!current) continue;
          w.overlay(id, next(current.row));
          shown.push(w);
        }
      }
      const headers = {};
      if (opts.ifMatch !== void 0) headers["If-Match"] = String(opts.ifMatch);
      try {
        const r = await this.call(method, `/rows/${encodeURIComponent(id)}`, body, headers);
        for (const w of shown) w.confirm(id, r.version);
        return r;
      } catch (e) {
        for (const w of shown) w.dropOverlay(id);
        throw e;
      }
    }
    async call(method, path, body, extra = {}) {
      const headers = { ...extra };
      if (body !== void 0) headers["Content-Type"] = "application/json";
      const t = await this.token();
      if (t) headers["Authorization"] = "Bearer " + t;
      const res = await this.fetcher(
        `${this.base}/v1/tables/${this.name}${path}`,
        { method, headers, body: body === void 0 ? void 0 : JSON.stringify(body) }
      );
      const text = await res.text();
      let json;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        const code = res.ok ? "bad_response" : res.status >= 500 ? "unavailable" : "http_" + res.status;
        throw new LiveQueryError(res.status, code, `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
      }
      if (!res.ok) {
        const err = json?.error ?? {};
        throw new LiveQueryError(res.status, err.code ?? "http_" + res.status, err.message ?? text);
      }
      return json;
    }
  };
  function mergePatch(row, fields) {
    const out = { ...row };
    for (const [k, v] of Object.entries(fields)) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return out;
  }

  // src/window.ts
  function reanchored(q, change) {
    const out = { ...q };
    if (change.after !== void 0 || change.before !== void 0) {
      delete out.after;
      delete out.before;
      if (change.after) out.after = change.after;
      if (change.before) out.before = change.before;
    }
    if (change.limit) out.limit = change.limit;
    return out;
  }
  var MAX_PENDING = 1e3;
  var SubscriptionError = class extends LiveQueryError {
    constructor(frame) {
      super(0, frame?.code ?? "closed", frame?.message ?? "subscription closed");
      __publicField(this, "frame", frame);
      this.name = "SubscriptionError";
    }
  };
  var LiveWindow = class {
    constructor(query, handlers, schedule) {
      __publicField(this, "schedule", schedule);
      __publicField(this, "query");
      __publicField(this, "handlers");
      /** the rows as of the last applied batch (frozen) */
      __publicField(this, "rows", Object.freeze([]));
      /** the last ready frame */
      __publicField(this, "ready", null);
      /** `stale` while the server says its backend is unreachable (a new connection or stream starts `live`) */
      __publicField(this, "status", "live");
      /** from subscribe, reset, reanchor or a dropped connection until the ready that ends it */
      __publicField(this, "syncing", true);
      /** reset frames seen (a resume that works sends none) */
      __publicField(this, "resets", 0);
      __publicField(this, "closed", false);
      __publicField(this, "error", null);
      /** the eid of the last applied frame: the resume token */
      __publicField(this, "eid", null);
      // What applied frames have made of the window; the public fields above follow at each publish,
      // so rows, ready, status and syncing always describe the same moment.
      __publicField(this, "work", []);
      /** the ids in `work`, to tell a frame that does not fit it */
      __publicField(this, "ids", /* @__PURE__ */ new Set());
      __publicField(this, "workSyncing", true);
      /**
       * The sync under way is a resume of the window the last ready confirmed (no reanchor, no reset):
       * its frames are the changes missed meanwhile, live as any other change.
       */
      __publicField(this, "workResuming", false);
      __publicField(this, "workReady", null);
      /** per status frames of the current server-side subscription or stream; a new one starts live */
      __publicField(this, "workStatus", "live");
      /** what onStatus last heard */
      __publicField(this, "toldStatus", "live");
      __publicField(this, "pending", []);
      __publicField(this, "scheduled", false);
      __publicField(this, "snapshot");
      __publicField(this, "listeners", /* @__PURE__ */ new Set());
      __publicField(this, "overlays", /* @__PURE__ */ new Map());
      /** the one promise every whenReady() of the current sync gets (not one per call) */
      __publicField(this, "readyWaiter", null);
      this.query = { ...query };
      this.handlers = handlers ?? {};
      this.snapshot = this.makeSnapshot([]);
    }
    get hasMoreBefore() {
      return this.ready?.has_more_before ?? false;
    }
    get hasMoreAfter() {
      return this.ready?.has_more_after ?? false;
    }
    /**
     * Applies one frame now; handlers and listeners hear of it with the rest of its batch. A frame
     * that does not fit the window is not applied: the window is not the server's, see {@link diverged}.
     */
    applyFrame(f) {
      if (!this.fits(f)) return this.diverged();
      if (f.op === "reset") {
        this.workSyncing = true;
        this.workResuming = false;
        this.resets++;
      }
      f.live = !this.workSyncing || this.workResuming;
      applyFrame(this.work, f);
      switch (f.op) {
        case "reset":
          this.ids.clear();
          break;
        case "ready":
          this.workReady = f;
          this.workSyncing = this.workResuming = false;
          this.pruneOverlays();
          break;
        case "status":
          this.workStatus = f.state;
          break;
      }
      switch (f.op) {
        case "enter":
          this.ids.add(f.id);
          break;
        case "leave":
          this.ids.delete(f.id);
          break;
      }
      switch (f.op) {
        case "enter":
        case "update":
        case "move":
          this.settle(f.id, f.version);
          break;
        case "leave":
          this.overlays.delete(f.id);
          break;
      }
      if (f.eid) this.eid = f.eid;
      this.pending.push(f);
      if (this.pending.length >= MAX_PENDING) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    }
    /**
     * Whether a row frame fits the window as PROTOCOL §3 says every frame does: its indexes in range,
     * a leave, update or move naming the row at its old index, an enter a row not in the window.
     */
    fits(f) {
      const w = this.work, at = (i, n) => Number.isInteger(i) && i >= 0 && i < n;
      switch (f.op) {
        case "enter":
          return at(f.new_index, w.length + 1) && !this.ids.has(f.id);
        case "leave":
          return at(f.old_index, w.length) && w[f.old_index].id === f.id;
        case "update":
          return at(f.new_index, w.length) && w[f.new_index].id === f.id;
        case "move":
          return at(f.old_index, w.length) && w[f.old_index].id === f.id && at(f.new_index, w.length);
        default:
          return true;
      }
    }
    /**
     * A frame did not fit: applying it (or any after it) would show rows the server's window does not
     * hold, and resuming by the eid would only carry the difference on. Subclasses ask for a fresh
     * snapshot; here the resume token is dropped.
     */
    diverged() {
      this.eid = null;
    }
    /**
     * Syncing again by resume (a new connection or stream, from the last applied eid). Only a window
     * in sync resumes as it was: during a reanchor or a snapshot the frames to come are not all changes.
     */
    resuming() {
      if (this.workSyncing) return;
      this.workSyncing = this.workResuming = true;
      this.publish([]);
    }
    /** A reanchor: the frames to come turn the window into another, they are no changes of its rows. */
    moving() {
      this.workSyncing = true;
      this.workResuming = false;
    }
    /** Replaces the working rows (a saved window). */
    replaceWork(rows) {
      this.work = rows;
      this.ids = new Set(rows.map((e) => e.id));
    }
    /** Publishes what was applied since the last flush: one snapshot, one round of handlers. */
    flush() {
      const frames = this.pending;
      if (frames.length === 0) return;
      this.pending = [];
      this.publish(frames);
      const h = this.handlers;
      if (h.onChange && frames.some((x) => x.op !== "ready" && x.op !== "status" && x.op !== "error" && x.op !== "closed")) {
        h.onChange(this.rows, frames);
      }
      if (h.onStatus && (frames.some((x) => x.op === "status") || this.status !== this.toldStatus)) h.onStatus(this.toldStatus = this.status);
      if (frames.some((x) => x.op === "ready") && this.ready && !this.syncing) {
        h.onReady?.(this.ready);
      }
      this.afterFlush();
    }
    /** A new frozen snapshot from the working rows, then every listener. */
    publish(frames) {
      this.rows = Object.freeze(this.withOverlays());
      this.ready = this.workReady;
      this.status = this.workStatus;
      this.syncing = this.workSyncing;
      this.snapshot = this.makeSnapshot(frames);
      if (this.ready && !this.syncing && this.readyWaiter) {
        const w = this.readyWaiter;
        this.readyWaiter = null;
        w.ok(this.ready);
      }
      for (const l of [...this.listeners]) l();
    }
    /** Called after each flush; subscriptions persist their window here. */
    afterFlush() {
    }
    /** Listens for new snapshots (useSyncExternalStore's `subscribe`). Returns the unsubscribe. */
    subscribe(listener) {
      this.listeners.add(listener);
      return () => {
        this.listeners.delete(listener);
      };
    }
    /** The current snapshot: the same object until the next applied batch. */
    getSnapshot() {
      return this.snapshot;
    }
    /**
     * Resolves at the ready that brings the window in sync (Suspense can throw it); rejects with a
     * {@link SubscriptionError} (code and message of the error that ended it, or code `closed`) once
     * the subscription has ended. Calls while syncing all get the same promise.
     */
    whenReady() {
      if (this.closed) return Promise.reject(new SubscriptionError(this.error));
      if (this.ready && !this.syncing) return Promise.resolve(this.ready);
      if (!this.readyWaiter) {
        let ok, fail;
        const promise = new Promise((y, n) => {
          ok = y;
          fail = n;
        });
        this.readyWaiter = { promise, ok, fail };
      }
      return this.readyWaiter.promise;
    }
    /** The subscription failed or ended: one last snapshot, then nothing more. */
    end(error) {
      this.closed = true;
      this.pending = [];
      if (error) this.error = error;
      const w = this.readyWaiter;
      this.readyWaiter = null;
      w?.fail(new SubscriptionError(error));
      this.publish([]);
    }
    /** Shows `row` (null = deleted) in place of the server's row `id` until {@link settle}d. */
    overlay(id, row) {
      if (!this.work.some((e) => e.id === id)) return;
      this.overlays.set(id, { row, version: Infinity });
      this.publish([]);
    }
    /** The write behind an overlay succeeded with `version`: keep it until a frame brings that version. */
    confirm(id, version2) {
      const o = this.overlays.get(id);
      if (!o) return;
      const base = this.work.find((e) => e.id === id);
      if (!base || base.version >= version2) this.dropOverlay(id);
      else o.version = version2;
    }
    /** The write behind an overlay failed: show the server's row again. */
    dropOverlay(id) {
      if (this.overlays.delete(id)) this.publish([]);
    }
    /** A frame for `id` arrived: the server's row wins over an overlay it confirms or contradicts. */
    settle(id, version2) {
      const o = this.overlays.get(id);
      if (o && (o.version === Infinity || version2 >= o.version)) this.overlays.delete(id);
    }
    /**
     * In sync (a ready): overlays of rows the window no longer holds go. A reset's snapshot without the
     * row brings no frame for it, and an overlay waiting for its confirmed version stayed for good.
     */
    pruneOverlays() {
      for (const id of this.overlays.keys()) if (!this.ids.has(id)) this.overlays.delete(id);
    }
    withOverlays() {
      if (this.overlays.size === 0) return this.work.slice();
      const out = [];
      for (const e of this.work) {
        const o = this.overlays.get(e.id);
        if (!o) out.push(e);
        else if (o.row) out.push(Object.freeze({ ...e, row: o.row, pending: true }));
      }
      return out;
    }
    currentStatus() {
      if (this.error) return "error";
      if (this.closed) return "closed";
      if (this.syncing) return "syncing";
      return this.status;
    }
    makeSnapshot(frames) {
      return Object.freeze({
        rows: this.rows,
        status: this.currentStatus(),
        ready: this.ready,
        hasMoreBefore: this.hasMoreBefore,
        hasMoreAfter: this.hasMoreAfter,
        error: this.error,
        frames: Object.freeze(frames)
      });
    }
  };

  // src/subscription.ts
  var Subscription = class extends LiveWindow {
    constructor(conn, name, query, handlers, schedule, storage) {
      super(query, handlers, schedule);
      __publicField(this, "conn", conn);
      __publicField(this, "name", name);
      __publicField(this, "storage", storage);
      /** true from sending subscribe until its first ready */
      __publicField(this, "subscribing", true);
      /** a frame of the subscribe came: it was accepted (the server refuses one before any frame) */
      __publicField(this, "accepted", false);
      /** the window the server holds as far as its answers tell; `query` is it with the changes below */
      __publicField(this, "base");
      /** the changes the reanchor in flight carries */
      __publicField(this, "sent", null);
      /** changes made while the subscribe or a reanchor was unanswered */
      __publicField(this, "queued", []);
      /**
       * The window the server last confirmed, while a resubscribe carries reanchors it never answered
       * (made offline, or in flight when the socket dropped): if the resubscribe is refused, the
       * refusal is theirs, and the subscription goes back to this window as a refused reanchor does.
       */
      __publicField(this, "fallback", null);
      /** a reset came and its snapshot's ready has not: that ready answers no reanchor (see {@link answered}) */
      __publicField(this, "inReset", false);
      if (storage) this.restore(storage.storage, storage.key);
      this.base = this.query;
    }
    /** Changes the window: {limit}, {after: cursor}, {before: cursor}, {after: null} = from the top. */
    reanchor(change) {
      if (this.closed) return;
      this.query = reanchored(this.query, change);
      this.queued.push(change);
      this.moving();
      this.publish([]);
      this.pump();
    }
    /**
     * Sends the queued changes as one reanchor once the subscribe and any reanchor before are
     * answered. One at a time, because the server answers an error at once but a ready after the
     * frames queued before it: with two in flight, an error could be either's.
     */
    pump() {
      if (this.subscribing || this.sent || this.queued.length === 0) return;
      this.sent = this.queued;
      this.queued = [];
      this.conn.send({ action: "reanchor", sub: this.name, ...this.sent.reduce(merged) });
    }
    /** Ends the subscription (unsubscribe is sent if connected). */
    close() {
      if (this.closed) return;
      this.conn.forget(this.name);
      this.conn.send({ action: "unsubscribe", sub: this.name });
      this.end(null);
    }
    /** The connection stopped for good: the subscription ends, with `error` unless by lq.close(). */
    stop(error) {
      if (this.closed) return;
      if (error) this.handlers.onError?.(error);
      this.end(error);
    }
    /** The socket dropped: the window may lack what changes until the resume's ready (as over SSE). */
    disconnected() {
      if (!this.closed) this.resuming();
    }
    /**
     * Shared mode: the leader's re-send of this subscription was refused for good. True if it should
     * be subscribed again: unless a subscribe of its own is unanswered (its answer decides then), the
     * refusal was taken for a reanchor's, and the window was restored; the server holds nothing.
     */
    resubscribeIfIdle() {
      return !this.closed && !this.subscribing;
    }
    /** The subscribe message for a (re)connect: resume by the last applied eid when there is one. */
    subscribeMessage() {
      if (this.sent || this.queued.length > 0) this.fallback ?? (this.fallback = this.base);
      this.subscribing = true;
      this.accepted = false;
      this.base = this.query;
      this.sent = null;
      this.queued = [];
      this.inReset = false;
      this.workStatus = "live";
      const m = { action: "subscribe", sub: this.name, query: this.query };
      if (this.eid) {
        m.resume = this.eid;
        this.resuming();
      }
      return m;
    }
    /** A frame for this subscription from the connection. */
    receive(f) {
      switch (f.op) {
        case "error":
          return this.failed(f);
        case "closed":
          return this.closedBy(f);
      }
      this.accepted = true;
      if (f.op === "reset") this.inReset = true;
      this.applyFrame(f);
      if (f.op === "ready") this.answered();
    }
    /**
     * A ready: it answers the subscribe, else the reanchor in flight; then the next one goes. Not the
     * ready of a reset's snapshot (overflow, failover, epoch) while a reanchor is in flight: the
     * server may have written that snapshot before it read the reanchor (the reanchor's splice and
     * ready, or its error, follow) or made it after (a pending reset takes the reanchor in, an
     * overflow replaces its splice: no other ready follows; docs/protocol.md), and the frames do not
     * tell which.
     */
    answered() {
      const ofReset = this.inReset;
      this.inReset = false;
      if (ofReset && this.sent) return this.resubscribe();
      this.fallback = null;
      if (this.subscribing) this.subscribing = false;
      else if (this.sent) this.base = this.sent.reduce(reanchored, this.base);
      this.sent = null;
      if (this.queued.length > 0) {
        this.workSyncing = true;
        this.pump();
      }
    }
    /**
     * Which window the server holds is not known: subscribed again under a new sub id (the frames
     * and error still coming for the old one are then nobody's), resuming from the rows held, with
     * the window asked for; its ready, or its refusal (then back to {@link base}), answers.
     */
    resubscribe() {
      const old = this.name;
      this.conn.send({ action: "unsubscribe", sub: old });
      this.name = this.conn.renamed(old);
      this.conn.send(this.subscribeMessage());
    }
    failed(f) {
      this.handlers.onError?.(f);
      if (this.subscribing && !this.accepted) {
        if (this.conn.resendLater(this.name, f, this.eid !== null)) return;
        if (this.fallback) {
          this.base = this.fallback;
          this.fallback = null;
          this.query = this.queued.reduce(reanchored, { ...this.base });
          this.conn.restored(this.name, this.query);
          this.conn.send(this.subscribeMessage());
          return;
        }
        this.conn.forget(this.name);
        this.end(f);
      } else if (this.sent) {
        if (f.code === "unauthorized") return;
        this.sent = null;
        this.conn.restored(this.name, this.base);
        this.query = this.queued.reduce(reanchored, { ...this.base });
        if (this.queued.length > 0) this.pump();
        else this.workSyncing = false;
        this.publish([]);
      }
    }
    /**
     * A frame did not fit the window: subscribed again without resume, under a new sub id (the frames
     * still coming for the old one are then nobody's), for a fresh snapshot; the rows stay shown until it.
     */
    diverged() {
      this.eid = null;
      const old = this.name;
      this.conn.send({ action: "unsubscribe", sub: old });
      this.name = this.conn.renamed(old);
      this.workSyncing = true;
      this.conn.send(this.subscribeMessage());
      this.publish([]);
    }
    closedBy(f) {
      const final = f.cause !== "shutdown";
      if (final) {
        this.conn.forget(this.name);
        this.end(null);
      }
      this.handlers.onClosed?.({ ...f, final });
    }
    afterFlush() {
      if (this.storage && this.eid && !this.syncing) {
        save(this.storage.storage, this.storage.key, { v: 1, query: this.query, rows: [...this.work], eid: this.eid });
      }
    }
    /** Paints the saved window at once; the subscribe then resumes from its eid. */
    restore(storage, key) {
      const saved = load(storage, key);
      if (!saved) return;
      this.query = { ...this.query, limit: saved.query.limit, after: saved.query.after, before: saved.query.before };
      for (const k of ["after", "before", "limit"]) if (this.query[k] == null) delete this.query[k];
      this.replaceWork(saved.rows.map((e) => Object.freeze({ ...e })));
      this.eid = saved.eid;
      this.publish([]);
    }
  };
  function merged(a, b) {
    const m = { ...a };
    if (b.after !== void 0 || b.before !== void 0) {
      delete m.after;
      delete m.before;
    }
    for (const [k, v] of Object.entries(b)) if (v !== void 0) m[k] = v;
    return m;
  }

  // src/shared.ts
  var PROBE_MS = 5e3;
  var MISSED_PROBES = 3;
  var DROPPED_KEPT = 100;
  var TabLink = class {
    constructor(name, timers, hooks) {
      __publicField(this, "timers", timers);
      __publicField(this, "hooks", hooks);
      __publicField(this, "tab", Math.random().toString(36).slice(2, 10));
      __publicField(this, "leader", false);
      /** not leading: the tab whose socket serves this one; null until one is heard */
      __publicField(this, "leaderTab", null);
      __publicField(this, "channel");
      __publicField(this, "remote", /* @__PURE__ */ new Map());
      __publicField(this, "release", null);
      /** Leader: the probe rounds so far, and the last one each other tab answered (or spoke in) */
      __publicField(this, "round", 0);
      __publicField(this, "seen", /* @__PURE__ */ new Map());
      /** Leader: tabs whose subscriptions it dropped as gone */
      __publicField(this, "dropped", /* @__PURE__ */ new Set());
      __publicField(this, "prober", null);
      __publicField(this, "closed", false);
      const g2 = globalThis;
      this.channel = new g2.BroadcastChannel("livequery:" + name);
      this.channel.onmessage = (ev) => this.onMessage(ev.data);
      g2.navigator.locks.request("livequery:" + name, () => {
        if (this.closed) return Promise.resolve();
        this.leader = true;
        this.post({ type: "hello" });
        this.probe();
        hooks.becomeLeader();
        return new Promise((r) => {
          this.release = r;
        });
      });
      this.post({ type: "join" });
    }
    static available() {
      const g2 = globalThis;
      return typeof g2.BroadcastChannel === "function" && !!g2.navigator?.locks;
    }
    /** A command of this tab: to the socket if leading, else to the leader. */
    command(m) {
      if (this.leader) this.hooks.send(m);
      else this.post({ type: "cmd", m });
    }
    /** Leader: a frame from the socket that is another tab's. Returns false if it is nobody's here. */
    forward(f) {
      const r = f.sub ? this.remote.get(f.sub) : void 0;
      if (!r) return false;
      const sub = f.sub;
      if (f.eid) r.eid = f.eid;
      let refused = false;
      if (f.op === "error" && r.unanswered) {
        r.unanswered = false;
        refused = !this.hooks.retry(sub, f.code, !!r.eid, () => this.resend(sub));
        if (refused) this.remote.delete(sub);
      } else if (f.op === "closed" && f.cause !== "shutdown") {
        this.remote.delete(sub);
      } else if (f.op !== "error") {
        r.unanswered = false;
      }
      this.post({ type: "frame", f });
      if (refused) this.post({ type: "refused", sub });
      return true;
    }
    resend(sub) {
      const r = this.remote.get(sub);
      if (r) r.unanswered = this.hooks.send(r.eid ? { ...r.msg, resume: r.eid } : r.msg);
    }
    /**
     * Not leading: this tab's subscription `sub` has `query` after all (its reanchor failed, the
     * server kept the window), so the leader's copy, which it re-sends on a reconnect, must too.
     */
    restored(sub, query) {
      if (!this.leader) this.post({ type: "query", sub, query });
    }
    /** Leader: the other tabs' subscriptions, for a (re)connect (which sends them). */
    remoteSubscribes() {
      return [...this.remote.values()].map((r) => {
        r.unanswered = true;
        return r.eid ? { ...r.msg, resume: r.eid } : r.msg;
      });
    }
    /** Leader: its connection state, mirrored by the other tabs. */
    announce(s, detail) {
      if (this.leader) this.post({ type: "state", s, detail });
    }
    owns(sub) {
      return !!sub && sub.startsWith(this.tab + ":");
    }
    /** Gives up the lock (or the wait for it: a closed link never leads), the channel and the probes. */
    close() {
      if (this.closed) return;
      this.closed = true;
      this.leader = false;
      if (this.prober !== null) this.timers.clearTimeout(this.prober);
      this.prober = null;
      this.release?.();
      this.channel.close();
    }
    /** Nothing once closed: the channel would throw (and the other tabs hear from the next leader). */
    post(m) {
      if (!this.closed) this.channel.postMessage({ ...m, from: this.tab });
    }
    /**
     * Leader, every {@link PROBE_MS}: the subscriptions of a tab that answered none of the last
     * {@link MISSED_PROBES} probes (a tab that crashed or was killed without pagehide) are dropped and
     * unsubscribed on the server; else they would be re-sent on every reconnect and count against the
     * connection's quota for good. The other tabs answer from their message handler, which a
     * background tab runs promptly (its timers may be throttled to once a minute); a leader whose own
     * timer runs late only probes less often, and drops nobody for it.
     */
    probe() {
      if (this.closed) return;
      this.round++;
      const gone = /* @__PURE__ */ new Set();
      for (const sub of [...this.remote.keys()]) {
        const tab = tabOf(sub);
        if ((this.seen.get(tab) ?? -Infinity) >= this.round - MISSED_PROBES) continue;
        gone.add(tab);
        this.remote.delete(sub);
        this.hooks.cancel(sub);
        this.hooks.send({ action: "unsubscribe", sub });
      }
      for (const tab of gone) this.dropTab(tab);
      for (const tab of this.seen.keys()) if (![...this.remote.keys()].some((sub) => tabOf(sub) === tab)) this.seen.delete(tab);
      this.post({ type: "probe" });
      this.prober = this.timers.setTimeout(() => this.probe(), PROBE_MS);
    }
    dropTab(tab) {
      this.seen.delete(tab);
      this.dropped.add(tab);
      if (this.dropped.size > DROPPED_KEPT) this.dropped.delete(this.dropped.values().next().value);
    }
    /** Leader: `tab` spoke. If its subscriptions were dropped as gone, it is told to send them again. */
    heard(tab) {
      if (typeof tab !== "string" || tab === this.tab) return;
      if (this.dropped.delete(tab)) this.post({ type: "resubscribe", tab });
      this.seen.set(tab, this.round);
    }
    onMessage(d) {
      if (this.leader) this.heard(d.from);
      switch (d.type) {
        case "probe":
          if (!this.leader) this.post({ type: "alive" });
          break;
        case "resubscribe":
          if (this.fromLeader(d) && d.tab === this.tab) this.hooks.resubscribe();
          break;
        case "cmd":
          if (this.leader) this.leaderCommand(d.m);
          break;
        case "frame":
          if (this.fromLeader(d) && this.owns(d.f.sub)) this.hooks.frame(d.f);
          break;
        case "refused":
          if (this.fromLeader(d) && this.owns(d.sub)) this.hooks.refused(d.sub);
          break;
        case "state":
          if (this.fromLeader(d)) this.hooks.state(d.s, d.detail);
          break;
        case "hello":
          if (this.leader) break;
          this.leaderTab = d.from;
          this.hooks.resubscribe();
          break;
        case "join":
          if (this.leader) this.post({ type: "state", ...this.hooks.current() });
          break;
        case "query": {
          const r = this.leader ? this.remote.get(d.sub) : void 0;
          if (r) r.msg = { ...r.msg, query: d.query };
          break;
        }
      }
    }
    /** Whether a leader's message `d` is from this tab's leader; false for any while this tab leads. */
    fromLeader(d) {
      if (this.leader || typeof d.from !== "string") return false;
      this.leaderTab ?? (this.leaderTab = d.from);
      return d.from === this.leaderTab;
    }
    leaderCommand(m) {
      const sub = m.sub;
      if (m.action === "subscribe") {
        this.hooks.cancel(sub);
        this.remote.set(sub, { msg: m, eid: m.resume, unanswered: this.hooks.send(m) });
        return;
      } else if (m.action === "reanchor") {
        const r = this.remote.get(sub);
        if (r) r.msg = { ...r.msg, query: reanchored(r.msg.query, m) };
      } else if (m.action === "unsubscribe") {
        this.remote.delete(sub);
        this.hooks.cancel(sub);
      }
      this.hooks.send(m);
    }
  };
  function tabOf(sub) {
    const i = sub.indexOf(":");
    return i < 0 ? "" : sub.slice(0, i);
  }

  // src/retries.ts
  var SubscribeRetries = class {
    /** `wait(tries)`: the delay before the re-send that follows `tries` earlier ones. */
    constructor(timers, wait) {
      __publicField(this, "timers", timers);
      __publicField(this, "wait", wait);
      /** by sub: the timer of the re-send due, and the tries so far */
      __publicField(this, "bySub", /* @__PURE__ */ new Map());
    }
    /** Runs `again` after the backoff for `sub`'s next try. */
    later(sub, again) {
      const r = this.bySub.get(sub) ?? { timer: null, tries: 0 };
      if (r.timer != null) this.timers.clearTimeout(r.timer);
      r.timer = this.timers.setTimeout(() => {
        r.timer = null;
        again();
      }, this.wait(r.tries++));
      this.bySub.set(sub, r);
    }
    /**
     * A ready for `sub`: its next refusal waits the first backoff again. Not while a re-send is due:
     * that ready does not answer the re-send, and the tries go on counting.
     */
    answered(sub) {
      if (this.bySub.get(sub)?.timer == null) this.bySub.delete(sub);
    }
    /** `sub` ended, or was sent again by other means: no re-send is due. */
    cancel(sub) {
      const r = this.bySub.get(sub);
      if (r?.timer != null) this.timers.clearTimeout(r.timer);
      this.bySub.delete(sub);
    }
    clear() {
      for (const r of this.bySub.values()) if (r.timer != null) this.timers.clearTimeout(r.timer);
      this.bySub.clear();
    }
  };
  function passing(code, resuming, canRenewToken) {
    return code === "unavailable" || code === "too_many_subs" && resuming || code === "unauthorized" && canRenewToken;
  }

  // src/scheduler.ts
  var FRAME_WAIT = 100;
  function animationFrames(raf, doc, timers) {
    return (fn) => {
      if (!raf || doc?.hidden) {
        timers.setTimeout(fn, 16);
        return;
      }
      let done = false;
      const once = () => {
        if (!done) {
          done = true;
          timers.clearTimeout(fallback);
          fn();
        }
      };
      const fallback = timers.setTimeout(once, FRAME_WAIT);
      raf(once);
    };
  }

  // src/page.ts
  function listenToPage(events, doc, on) {
    const visible = () => {
      if (!doc?.hidden) on.wake();
    };
    const hide = () => on.hide?.();
    const show = (ev) => on.show?.(!!ev?.persisted);
    events?.addEventListener("online", on.wake);
    doc?.addEventListener("visibilitychange", visible);
    if (on.hide) events?.addEventListener("pagehide", hide);
    if (on.show) events?.addEventListener("pageshow", show);
    return () => {
      events?.removeEventListener("online", on.wake);
      doc?.removeEventListener("visibilitychange", visible);
      events?.removeEventListener("pagehide", hide);
      events?.removeEventListener("pageshow", show);
    };
  }

  // src/connection.ts
  function tokenTimes(token) {
    const part = token.split(".")[1];
    if (!part) return null;
    try {
      const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
      const json = JSON.parse(atob(b64 + "===".slice((b64.length + 3) % 4)));
      if (typeof json.exp !== "number") return null;
      return { exp: json.exp * 1e3, iat: typeof json.iat === "number" ? json.iat * 1e3 : null };
    } catch {
      return null;
    }
  }

  // src/token.ts
  var CLOCK_SKEW = 3e4;
  var MAX_TIMEOUT = 2 ** 31 - 1;
  var TokenKeeper = class {
    /** `longestWait`: the backoff's largest delay, which also bounds the wait before a failed refresh is retried. */
    constructor(options, timers, now, longestWait) {
      __publicField(this, "options", options);
      __publicField(this, "timers", timers);
      __publicField(this, "now", now);
      __publicField(this, "longestWait", longestWait);
      /** the token the next connect or refresh sends: the last one getToken gave */
      __publicField(this, "token");
      /** when {@link token} expires by this client's clock, taken when it came; null: not known to */
      __publicField(this, "until");
      __publicField(this, "refresher", null);
      /** the getToken calls under way: each one's timeout and how to fail it */
      __publicField(this, "asking", /* @__PURE__ */ new Map());
      /** the getToken call under way: a connect, a refresh and HTTP calls meanwhile all take its answer */
      __publicField(this, "asked", null);
      this.token = options.token;
      this.until = this.token ? this.expiresAt(this.token) : null;
    }
    /**
     * The token for an HTTP call: without getToken the fixed one; with it the one held until it
     * expires, else getToken's answer (rejects as {@link fetch} does). Only a connect asked before,
     * so a tab that did not connect (or not yet: the first answer is awaited) sent none and got 401.
     */
    forHttp() {
      if (!this.options.getToken) return Promise.resolve(this.token);
      if (this.token && (this.until === null || this.now() < this.until)) return Promise.resolve(this.token);
      return this.fetch();
    }
    /**
     * getToken's answer, kept as {@link token}, or a rejection once it has taken longer than
     * `getTokenTimeoutMs`: one that never settles left the client `connecting` for good. A late
     * answer is dropped. A call under way is not asked again.
     */
    fetch() {
      if (this.asked) return this.asked;
      const asked = this.ask().then((t) => {
        if (this.asked === asked) {
          this.token = t;
          this.until = this.expiresAt(t);
        }
        return t;
      }).finally(() => {
        if (this.asked === asked) this.asked = null;
      });
      this.asked = asked;
      return asked;
    }
    ask() {
      const ms = this.options.getTokenTimeoutMs ?? 1e4;
      return new Promise((ok, fail) => {
        let timer = null;
        const done = () => {
          if (timer !== null) {
            this.timers.clearTimeout(timer);
            this.asking.delete(timer);
            timer = null;
          }
        };
        timer = this.timers.setTimeout(() => {
          this.asking.delete(timer);
          timer = null;
          fail(new Error("no answer within " + ms + " ms"));
        }, Math.min(ms, MAX_TIMEOUT));
        this.asking.set(timer, fail);
        Promise.resolve().then(() => this.options.getToken()).then((t) => {
          done();
          ok(t);
        }, (e) => {
          done();
          fail(e);
        });
      });
    }
    /**
     * A socket opened with {@link token}: with getToken and a JWT, a new token is fetched before this
     * one expires and handed to `use` while `current()` (the socket is still the connection's) holds.
     */
    refreshWhile(current, use) {
      const exp = this.token && this.options.getToken ? this.expiresAt(this.token) : null;
      if (exp === null) return;
      const left = exp - this.now();
      const margin = Math.min(this.options.refreshBeforeMs ?? 6e4, left / 2);
      this.refreshAt(this.now() + Math.max(1e3, left - margin), exp, current, use);
    }
    /** The socket went: no refresh for it. */
    cancelRefresh() {
      if (this.refresher !== null) this.timers.clearTimeout(this.refresher);
      this.refresher = null;
    }
    /**
     * Stopped: no getToken timeout is left to fire, and what waits for a getToken under way (an HTTP
     * call) fails now rather than when, or if ever, getToken answers. A call after this asks anew.
     */
    stop() {
      this.cancelRefresh();
      const waiting = [...this.asking];
      this.asking.clear();
      this.asked = null;
      for (const [t, fail] of waiting) {
        this.timers.clearTimeout(t);
        fail(new Error("the client stopped before getToken answered"));
      }
    }
    /**
     * When `token` expires by this client's clock: by `exp`, unless `iat` shows the clock is wrong
     * (issued in its future, or expired by it already); then by the token's lifetime from now, as if
     * just issued. A clock hours behind let the token lapse unrefreshed (close 4001); one ahead by more
     * than a lifetime refreshed it every second, asking getToken each time.
     */
    expiresAt(token) {
      const t = tokenTimes(token);
      if (!t) return null;
      const now = this.now();
      if (t.iat !== null && t.exp > t.iat && (t.iat - now > CLOCK_SKEW || now >= t.exp)) return now + (t.exp - t.iat);
      return t.exp;
    }
    /** Refreshes the token at `at`; a wait longer than a timer holds is done in capped steps. */
    refreshAt(at, exp, current, use) {
      const wait = at - this.now();
      this.refresher = this.timers.setTimeout(() => {
        if (wait > MAX_TIMEOUT) return this.refreshAt(at, exp, current, use);
        this.fetch().then((t) => {
          if (!current()) return;
          use(t);
          this.refreshWhile(current, use);
        }, () => {
          if (!current()) return;
          const next = this.now() + Math.max(1e3, Math.min(this.longestWait(), (exp - this.now()) / 4));
          if (next < exp) this.refreshAt(next, exp, current, use);
        });
      }, Math.min(wait, MAX_TIMEOUT));
    }
  };

  // src/client.ts
  var POLICY = 1008;
  var TOKEN_EXPIRED = 4001;
  var ORIGIN_REFUSED = "origin not allowed";
  var LiveQuery = class {
    constructor(url, options = {}) {
      __publicField(this, "url");
      __publicField(this, "options");
      __publicField(this, "state", "connecting");
      /** successful opens: 1 + reconnects */
      __publicField(this, "connects", 0);
      __publicField(this, "stopped", false);
      /** why it stopped */
      __publicField(this, "stoppedBy", "");
      /** the detail of the last state, for a tab that joins */
      __publicField(this, "detail");
      /** the subscriptions by sub id (a Map: a frame naming `constructor` or `__proto__` finds nothing) */
      __publicField(this, "subs", /* @__PURE__ */ new Map());
      __publicField(this, "ws", null);
      __publicField(this, "next", 1);
      __publicField(this, "backoff");
      __publicField(this, "retry", null);
      /** the socket's watchdog: its open deadline, then its pings */
      __publicField(this, "pinger", null);
      __publicField(this, "lastRx", 0);
      /** when the oldest unanswered ping went out; null once anything is heard */
      __publicField(this, "pingedAt", null);
      __publicField(this, "attempt", 0);
      __publicField(this, "tokens");
      /** subscribes refused for a passing reason, re-sent after a backoff */
      __publicField(this, "retries");
      __publicField(this, "timers");
      /** set when tabs share one socket; null = this tab has its own */
      __publicField(this, "link", null);
      /** Stopped: the page's events (online, visibilitychange, pagehide, pageshow) no longer hold this client. */
      __publicField(this, "unlisten");
      this.options = options;
      this.url = resolveWsUrl(url);
      this.timers = options.timers ?? globalThis;
      this.backoff = this.base();
      this.tokens = new TokenKeeper(options, this.timers, () => this.now(), () => this.max());
      this.retries = new SubscribeRetries(this.timers, (tries) => this.jittered(this.base() * 2 ** tries));
      if (options.shared && TabLink.available()) {
        this.link = new TabLink(this.url, this.timers, {
          becomeLeader: () => {
            if (!this.stopped) this.connect();
          },
          frame: (f) => this.dispatch(f),
          state: (s, d) => {
            if (s === "open") this.connects++;
            if (s === "stopped") this.halt("the leader tab's connection stopped: " + d);
            else this.setState(s, d);
          },
          resubscribe: () => {
            for (const s of [...this.subs.values()]) this.send(s.subscribeMessage());
          },
          send: (m) => {
            if (!this.ws || this.ws.readyState !== 1) return false;
            this.ws.send(JSON.stringify(m));
            return true;
          },
          retry: (sub, code, resuming, again) => {
            if (this.stopped || !passing(code, resuming, !!this.options.getToken)) return false;
            this.retries.later(sub, again);
            return true;
          },
          cancel: (sub) => this.retries.cancel(sub),
          refused: (sub) => {
            const s = this.subs.get(sub);
            if (s?.resubscribeIfIdle()) this.send(s.subscribeMessage());
          },
          current: () => ({ s: this.state, detail: this.detail })
        });
      }
      const page = options.events ?? (typeof globalThis.addEventListener === "function" ? globalThis : null);
      this.unlisten = listenToPage(page, this.doc(), this.link ? {
        wake: () => this.reconnectNow(),
        hide: () => {
          for (const sub of [...this.subs.values()]) this.send({ action: "unsubscribe", sub: sub.name });
        },
        show: (persisted) => {
          if (persisted) for (const sub of [...this.subs.values()]) this.send(sub.subscribeMessage());
        }
      } : { wake: () => this.reconnectNow() });
      if (!this.link) this.connect();
    }
    /** A new subscription; throws a {@link LiveQueryError} with code `stopped` once the client is stopped. */
    subscribe(query, handlers, opts = {}) {
      if (this.stopped) throw new LiveQueryError(0, "stopped", "this client is stopped (" + this.stoppedBy + "); make a new LiveQuery");
      const name = this.newName();
      const s = new Subscription(this, name, query, handlers, this.scheduler(), this.storageFor(query, opts.persist));
      this.subs.set(name, s);
      this.send(s.subscribeMessage());
      return s;
    }
    /**
     * The HTTP API of one table (PROTOCOL §7), with optimistic updates to this client's windows. Its
     * calls send the token: with getToken, the last one it gave while that lasts, else a new answer
     * (in every tab, also one whose socket is another tab's); a getToken that fails fails the call.
     */
    table(name) {
      return new Table(
        this.httpUrl(),
        name,
        this.options.fetch ?? globalThis.fetch.bind(globalThis),
        () => this.tokens.forHttp(),
        () => [...this.subs.values()].filter((s) => s.query.table === name)
      );
    }
    /** Closes the socket for good; every subscription ends (status `closed`). */
    close() {
      this.stopped = true;
      this.stoppedBy || (this.stoppedBy = "closed by the client");
      this.clearTimers();
      this.tokens.stop();
      this.unlisten();
      for (const s of [...this.subs.values()]) {
        if (this.link) this.send({ action: "unsubscribe", sub: s.name });
        s.stop(null);
      }
      this.subs.clear();
      this.link?.close();
      const ws = this.ws;
      this.ws = null;
      ws?.close(1e3, "bye");
      this.setState("stopped", "closed by the client");
    }
    /** Drops the socket as a network failure would (for tests and demos); it reconnects and resumes. */
    drop() {
      this.ws?.close(4e3, "dropped by client");
    }
    send(msg) {
      if (this.link && !this.link.leader) return this.link.command(msg);
      if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
    }
    forget(name) {
      this.subs.delete(name);
      this.retries.cancel(name);
    }
    renamed(name) {
      const s = this.subs.get(name);
      this.forget(name);
      const next = this.newName();
      if (s) this.subs.set(next, s);
      return next;
    }
    newName() {
      return (this.link ? this.link.tab + ":s" : "s") + this.next++;
    }
    restored(name, query) {
      this.link?.restored(name, query);
    }
    resendLater(name, error, resuming) {
      if (this.stopped || !passing(error.code, resuming, !!this.options.getToken)) return false;
      if (!this.link || this.link.leader) this.retries.later(name, () => {
        const s = this.subs.get(name);
        if (s) this.send(s.subscribeMessage());
      });
      return true;
    }
    connect() {
      if (this.stopped) return;
      this.retry = null;
      this.setState("connecting");
      const attempt = ++this.attempt;
      if (!this.options.getToken) return this.open(attempt);
      this.tokens.fetch().then(
        () => {
          if (attempt === this.attempt) this.open(attempt);
        },
        (e) => {
          if (attempt === this.attempt) this.closed(null, 0, "getToken failed: " + e);
        }
      );
    }
    open(attempt) {
      if (this.stopped) return;
      const WS = this.options.WebSocket ?? globalThis.WebSocket;
      if (!WS) throw new TypeError("LiveQuery: no WebSocket class here (Node 20 has none): pass one as options.WebSocket, e.g. the ws package's");
      const ws = new WS(this.url);
      this.ws = ws;
      this.pinger = this.timers.setTimeout(() => {
        if (ws === this.ws && ws.readyState === 0) this.abandon(ws, "not open in time");
      }, this.options.connectTimeoutMs ?? 1e4);
      ws.onopen = () => {
        if (ws !== this.ws) return;
        if (this.pinger !== null) this.timers.clearTimeout(this.pinger);
        this.connects++;
        this.lastRx = this.now();
        this.pingedAt = null;
        this.setState("open");
        if (this.tokens.token) ws.send(JSON.stringify({ action: "auth", token: this.tokens.token }));
        for (const s of [...this.subs.values()]) ws.send(JSON.stringify(s.subscribeMessage()));
        for (const m of this.link?.remoteSubscribes() ?? []) ws.send(JSON.stringify(m));
        this.schedulePing(ws);
        this.tokens.refreshWhile(() => ws === this.ws, (token) => this.send({ action: "auth", token }));
      };
      ws.onmessage = (ev) => {
        if (ws !== this.ws) return;
        this.lastRx = this.now();
        this.pingedAt = null;
        this.receive(ws, JSON.parse(String(ev.data)));
      };
      ws.onclose = (ev) => {
        if (ws === this.ws && attempt === this.attempt) this.closed(ws, ev.code, ev.code + (ev.reason ? " " + ev.reason : ""), ev.reason);
      };
      ws.onerror = () => {
      };
    }
    receive(ws, f) {
      if (f.op === "pong" || f.op === "ready") this.backoff = this.base();
      if (f.op === "pong") return;
      if (f.op === "ready" && f.sub) this.retries.answered(f.sub);
      if (!this.link?.forward(f)) this.dispatch(f);
      if (f.op === "error" && f.code === "unauthorized" && f.sub && this.options.getToken && ws === this.ws) {
        this.abandon(ws, "token refused");
      }
    }
    dispatch(f) {
      if (f.op === "error") this.options.onError?.(f);
      const s = f.sub ? this.subs.get(f.sub) : void 0;
      s?.receive(f);
    }
    closed(ws, code, detail, reason) {
      if (ws) this.ws = null;
      this.clearTimers();
      if (this.stopped) return;
      if ((code === POLICY || code === TOKEN_EXPIRED) && !this.options.getToken || code === POLICY && reason === ORIGIN_REFUSED) {
        return this.halt(detail);
      }
      this.setState("closed", detail);
      const wait = this.jittered(this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.max());
      this.retry = this.timers.setTimeout(() => this.connect(), wait);
    }
    /** Stops for good, not by close(): every subscription ends with error code `stopped`, and a shared link is given up. */
    halt(detail) {
      this.stopped = true;
      this.stoppedBy = detail;
      this.clearTimers();
      this.tokens.stop();
      this.unlisten();
      for (const s of [...this.subs.values()]) {
        const e = { op: "error", sub: s.name, code: "stopped", message: "the connection stopped: " + detail };
        this.options.onError?.(e);
        s.stop(e);
      }
      this.subs.clear();
      this.setState("stopped", detail);
      this.link?.close();
    }
    /** Back online or visible again: do not wait out the backoff. */
    reconnectNow() {
      if (this.stopped) return;
      if (this.retry !== null) {
        this.timers.clearTimeout(this.retry);
        this.connect();
      } else if (this.ws && this.ws.readyState === 1) {
        this.ping();
        if (this.pinger !== null) this.timers.clearTimeout(this.pinger);
        this.schedulePing(this.ws);
      }
    }
    schedulePing(ws) {
      const period = this.options.pingMs ?? 1e4;
      this.pinger = this.timers.setTimeout(() => {
        if (ws !== this.ws) return;
        if (this.pingedAt !== null && this.now() - this.pingedAt >= period) return this.abandon(ws, "no reply to ping");
        if (this.now() - this.lastRx >= period) this.ping();
        this.schedulePing(ws);
      }, period);
    }
    ping() {
      this.pingedAt ?? (this.pingedAt = this.now());
      this.send({ action: "ping" });
    }
    /** Gives up on a socket now (a close handshake could wait on a dead peer) and reconnects after the backoff. */
    abandon(ws, why) {
      this.ws = null;
      try {
        ws.close(4e3, why);
      } catch {
      }
      this.closed(null, 4e3, why);
    }
    clearTimers() {
      for (const t of [this.retry, this.pinger]) if (t !== null) this.timers.clearTimeout(t);
      this.retry = this.pinger = null;
      this.tokens.cancelRefresh();
      this.retries.clear();
    }
    setState(s, detail) {
      this.state = s;
      this.detail = detail;
      if (s === "closed") for (const sub of this.subs.values()) sub.disconnected();
      this.link?.announce(s, detail);
      this.options.onState?.(s, detail);
    }
    scheduler() {
      if (this.options.schedule) return this.options.schedule;
      if (this.options.timers) return (fn) => {
        this.timers.setTimeout(fn, 0);
      };
      const g2 = globalThis;
      return animationFrames(g2.requestAnimationFrame ? (fn) => g2.requestAnimationFrame(fn) : null, this.doc(), this.timers);
    }
    storageFor(query, persist) {
      if (!persist) return null;
      const p = persist === true ? {} : persist;
      const storage = p.storage ?? this.options.storage ?? defaultStorage();
      return storage ? { storage, key: p.key ?? persistKey(this.url, query) } : null;
    }
    httpUrl() {
      if (this.options.httpUrl) return this.options.httpUrl.replace(/\/$/, "");
      const u = new URL(this.url);
      u.protocol = u.protocol === "wss:" ? "https:" : "http:";
      return u.origin + u.pathname.replace(/\/v1\/ws\/?$/, "").replace(/\/$/, "");
    }
    /** `delay` jittered ±50 %, then capped: `backoff.max` is the longest wait, jitter included. */
    jittered(delay) {
      return Math.min(delay * (0.5 + (this.options.random ?? Math.random)()), this.max());
    }
    doc() {
      return this.options.document ?? globalThis.document;
    }
    now() {
      return this.timers.now ? this.timers.now() : Date.now();
    }
    base() {
      return this.options.backoff?.base ?? 250;
    }
    max() {
      return this.options.backoff?.max ?? 1e4;
    }
  };
  /** Splices one frame into a window array: for EventSource users, who hold the rows themselves. */
  __publicField(LiveQuery, "apply", applyFrame);
  function resolveWsUrl(url) {
    const loc = globalThis.location?.href;
    const u = loc ? new URL(url, loc) : new URL(url);
    if (u.protocol === "http:") u.protocol = "ws:";
    if (u.protocol === "https:") u.protocol = "wss:";
    return u.href;
  }

  // src/sse.ts
  var CLOSED = 2;
  var RETRY = 1e3;
  var MAX_RETRY = 1e4;
  var UNAUTHORIZED = 401;
  var EventSourceSubscription = class extends LiveWindow {
    constructor(url, query, handlers, options) {
      super(query, handlers, options.schedule ?? ((fn) => {
        setTimeout(fn, 0);
      }));
      __publicField(this, "url", url);
      __publicField(this, "options", options);
      __publicField(this, "es", null);
      /** the window before a reanchor whose stream has not opened yet */
      __publicField(this, "previous", null);
      __publicField(this, "timers");
      __publicField(this, "tokens");
      /** the client's own reconnect, due after its wait */
      __publicField(this, "retry", null);
      /** streams that failed to open since the last that did: the next wait doubles with each */
      __publicField(this, "fails", 0);
      /** the streams asked for: a getToken answer for an earlier one is dropped */
      __publicField(this, "attempt", 0);
      this.timers = options.timers ?? globalThis;
      this.tokens = new TokenKeeper(options, this.timers, () => this.timers.now?.() ?? Date.now(), () => MAX_RETRY);
      this.open();
    }
    reanchor(change) {
      if (this.closed) return;
      this.previous ?? (this.previous = this.query);
      this.query = reanchored(this.query, change);
      this.moving();
      this.publish([]);
      this.open();
    }
    close() {
      this.stop();
      this.end(null);
    }
    /** No stream, and none to come. */
    stop() {
      this.drop();
      this.tokens.stop();
    }
    /**
     * The stream closed and a pending reconnect cancelled; a getToken answer asked for before is
     * dropped too. Returns the new attempt's number.
     */
    drop() {
      this.es?.close();
      this.es = null;
      if (this.retry !== null) this.timers.clearTimeout(this.retry);
      this.retry = null;
      return ++this.attempt;
    }
    /** A new stream for the current window, resuming by the last eid; with getToken, once it has given a token. */
    open() {
      const attempt = this.drop();
      if (!this.options.getToken) return this.connect(this.options.token);
      this.tokens.fetch().then(
        (t) => {
          if (attempt === this.attempt && !this.closed) this.connect(t);
        },
        () => {
          if (attempt === this.attempt && !this.closed) this.reconnectLater();
        }
      );
    }
    connect(token) {
      const ES = this.options.EventSource ?? globalThis.EventSource;
      const es = new ES(sseUrl(this.url, this.query, this.eid, token), { withCredentials: !!this.options.withCredentials });
      this.es = es;
      es.onmessage = (ev) => {
        if (es !== this.es) return;
        const f = JSON.parse(ev.data);
        if (ev.lastEventId) f.eid = ev.lastEventId;
        if (f.op === "error") return this.failed(f);
        if (f.op === "closed") {
          const final = f.cause !== "shutdown";
          if (final) {
            this.stop();
            this.end(null);
          }
          this.handlers.onClosed?.({ ...f, final });
          return;
        }
        this.applyFrame(f);
      };
      es.onopen = () => {
        if (es === this.es) {
          this.workStatus = "live";
          this.previous = null;
          this.fails = 0;
        }
      };
      es.onerror = (ev) => {
        if (es !== this.es) return;
        const status = ev?.code;
        if (es.readyState === CLOSED && !(status === UNAUTHORIZED && this.options.getToken)) return this.refused(ev);
        this.resuming();
        if (this.options.getToken) this.reconnectLater();
      };
    }
    /** The stream ended or failed: a new one with a fresh token after the wait. */
    reconnectLater() {
      this.drop();
      const jitter = 0.5 + (this.options.random ?? Math.random)();
      const wait = Math.min(RETRY * 2 ** this.fails++ * jitter, MAX_RETRY);
      this.retry = this.timers.setTimeout(() => {
        this.retry = null;
        this.open();
      }, wait);
    }
    /** A frame did not fit the window: a new stream without resume, for a fresh snapshot. */
    diverged() {
      this.eid = null;
      this.workSyncing = true;
      this.publish([]);
      this.open();
    }
    /** EventSource gave up: the server answered other than 200 with an event stream. */
    refused(event) {
      const ev = event;
      const f = {
        op: "error",
        code: "refused",
        message: "the server refused the stream" + (ev?.code ? ` (HTTP ${ev.code}${ev.message ? ": " + ev.message : ""})` : "")
      };
      if (this.previous) {
        this.handlers.onError?.(f);
        this.query = this.previous;
        this.previous = null;
        this.open();
        return;
      }
      this.failed(f);
    }
    failed(f) {
      this.handlers.onError?.(f);
      this.stop();
      this.end(f);
    }
  };
  function sseUrl(base, q, resume, token) {
    const at = base.indexOf("?");
    const path = at < 0 ? base : base.slice(0, at);
    const p = new URLSearchParams(at < 0 ? "" : base.slice(at + 1));
    if (q.where) p.set("where", JSON.stringify(q.where));
    if (q.order) p.set("order", q.order.map((k) => (k.dir === "desc" ? "-" : "") + k.field).join(","));
    if (q.limit) p.set("limit", String(q.limit));
    if (q.after) p.set("after", q.after);
    if (q.before) p.set("before", q.before);
    if (resume) p.set("resume", resume);
    if (token) p.set("access_token", token);
    return `${path.replace(/\/$/, "")}/${encodeURIComponent(q.table)}?${p}`;
  }
  function liveEventSource(url, query, handlers, options = {}) {
    return new EventSourceSubscription(url, query, handlers, options);
  }

  // src/version.ts
  var protocolVersion = 1;
  var version = "0.1.0";

  // src/global.ts
  var g = globalThis;
  g.livequery = index_exports;
  g.LiveQuery = LiveQuery;
})();

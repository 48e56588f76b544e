/** The part of an event the client reads: `persisted` of a pageshow (a PageTransitionEvent). */
export type PageEvent = { readonly type: string; readonly persisted?: boolean };

/**
 * The part of EventTarget the client listens with: a window, a document, an EventTarget or a test
 * double. Its listeners take the dispatched event; one called with nothing (as a target written
 * for listeners typed `() => void` may do) counts as an event without `persisted`.
 */
export type PageEvents = {
  addEventListener(type: string, listener: (ev?: PageEvent) => void): void;
  removeEventListener(type: string, listener: (ev?: PageEvent) => void): void;
};

/**
 * Listens to the page events a client acts on; returns the function that stops listening, which
 * a stopped client calls so the page no longer holds it. `online`, and `visibilitychange` to
 * visible, call `wake` (a tab that slept or lost the network need not wait out the backoff). With
 * `hide` and `show` (shared tabs), `pagehide` and `pageshow` call them: a closing tab takes its
 * subscriptions off the leader's socket, and one back from the bfcache (`persisted`) puts them back.
 */
export function listenToPage(events: PageEvents | null, doc: (PageEvents & { hidden: boolean }) | null | undefined, on: {
  wake(): void;
  hide?(): void;
  show?(persisted: boolean): void;
}): () => void {
  const visible = () => { if (!doc?.hidden) on.wake(); };
  const hide = () => on.hide?.();
  const show = (ev?: PageEvent) => on.show?.(!!ev?.persisted);
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

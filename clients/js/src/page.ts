type Target = { addEventListener(t: string, f: (ev: any) => void): void; removeEventListener(t: string, f: (ev: any) => void): void };

/**
 * Listens to the page events a client acts on; returns the function that stops listening, which
 * a stopped client calls so the page no longer holds it. `online`, and `visibilitychange` to
 * visible, call `wake` (a tab that slept or lost the network need not wait out the backoff). With
 * `hide` and `show` (shared tabs), `pagehide` and `pageshow` call them: a closing tab takes its
 * subscriptions off the leader's socket, and one back from the bfcache (`persisted`) puts them back.
 */
export function listenToPage(events: Target | null, doc: (Target & { hidden: boolean }) | null | undefined, on: {
  wake(): void;
  hide?(): void;
  show?(persisted: boolean): void;
}): () => void {
  const visible = () => { if (!doc?.hidden) on.wake(); };
  const hide = () => on.hide?.();
  const show = (ev: { persisted?: boolean }) => on.show?.(!!ev.persisted);
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

import type { Timers } from "./connection.js";
import type { Scheduler } from "./window.js";

/** How long a batch waits for an animation frame before a timer publishes it. */
const FRAME_WAIT = 100;

/**
 * The default {@link Scheduler}: once per animation frame in a visible tab. A hidden tab gets no
 * animation frames, so there a timer; and a tab hidden after asking for one may not get it until
 * shown again, so a timer publishes the batch if no frame came within {@link FRAME_WAIT} ms.
 */
export function animationFrames(raf: ((fn: () => void) => void) | null, doc: { hidden: boolean } | undefined,
    timers: Timers): Scheduler {
  return fn => {
    if (!raf || doc?.hidden) { timers.setTimeout(fn, 16); return; }
    let done = false;
    const once = () => { if (!done) { done = true; timers.clearTimeout(fallback); fn(); } };
    const fallback = timers.setTimeout(once, FRAME_WAIT);
    raf(once);
  };
}

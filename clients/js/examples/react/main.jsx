// A live, virtualized list of one table: ?ws=<gateway WebSocket URL>&table=<name>&order=<field>&persist
import { useRef, useSyncExternalStore } from "react";
import { createRoot } from "react-dom/client";
import { LiveQuery } from "@livequery/client";
import { LiveQueryProvider } from "@livequery/client/react";
import { useLiveVirtualizer } from "@livequery/client/react-virtual";

const params = new URLSearchParams(location.search);
let connection = "connecting";
const listeners = new Set();
const lq = new LiveQuery(params.get("ws") ?? "/v1/ws", {
  shared: params.has("shared"),
  onState: s => { connection = s; listeners.forEach(l => l()); },
});
const query = { table: params.get("table") ?? "demo_items", order: [{ field: params.get("order") ?? "price" }], limit: 50 };

function App() {
  const ref = useRef(null);
  const state = useSyncExternalStore(l => { listeners.add(l); return () => listeners.delete(l); }, () => connection);
  const { virtualizer, window: win, item, subscription } = useLiveVirtualizer(query, {
    getScrollElement: () => ref.current, estimateSize: 24, page: 50, max: 200, persist: params.has("persist"),
  });
  window.app = { lq, win, sub: subscription };
  const badge = state === "open" ? win.status : state === "closed" ? "reconnecting" : state;
  return (
    <>
      <strong>{query.table}</strong> <span id="badge" className={badge}>{badge}</span>{" "}
      <span id="info">{win.rows.length} rows live from #{win.offset + 1}</span>
      <div id="scroller" ref={ref}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map(v => {
            const e = item(v.index);
            return (
              <div key={v.key} className="row" data-index={v.index} data-id={e?.id ?? ""}
                   style={{ transform: `translateY(${v.start}px)` }}>
                {e ? `${v.index + 1}. ${e.id} ${JSON.stringify(e.row)}` : "…"}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

createRoot(document.getElementById("root")).render(<LiveQueryProvider client={lq}><App /></LiveQueryProvider>);

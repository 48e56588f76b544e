import type { Entry, Frame, RowBase } from "./types.js";

/**
 * Splices one frame into a window with the semantics of PROTOCOL §3: each index is relative to
 * the window as the previous frame left it. Frames that do not change rows leave it alone.
 * Mutates and returns `rows`; the entries it inserts are new frozen objects, never changed later,
 * so snapshots can share them.
 */
export function applyFrame<Row extends RowBase>(rows: Entry<Row>[], f: Frame<Row>): Entry<Row>[] {
  switch (f.op) {
    case "reset": rows.length = 0; break;
    case "enter": rows.splice(f.new_index, 0, entry(f)); break;
    case "leave": rows.splice(f.old_index, 1); break;
    case "update": rows[f.new_index] = entry(f); break;
    case "move": rows.splice(f.old_index, 1); rows.splice(f.new_index, 0, entry(f)); break;
  }
  return rows;
}

function entry<Row extends RowBase>(f: { id: string; version: number; row: Row; cursor: Entry<Row>["cursor"] }): Entry<Row> {
  return Object.freeze({ id: f.id, version: f.version, row: f.row, cursor: f.cursor });
}

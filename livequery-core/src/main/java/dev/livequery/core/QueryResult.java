package dev.livequery.core;

import java.util.List;

/** A one-shot window: rows in order, each row's cursor, and whether rows lie beyond either edge. */
public record QueryResult(List<Row> rows, List<String> cursors, boolean hasMoreBefore, boolean hasMoreAfter) {}

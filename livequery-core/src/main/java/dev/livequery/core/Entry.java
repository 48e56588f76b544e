package dev.livequery.core;

/** A row at its position in one view: the unit windows hold and splices move. */
record Entry(Key key, Row row) {
    String id() {
        return key.id;
    }
}

package dev.livequery.core;

/**
 * A row at its position in one view: the unit windows hold and splices move. {@code prefix} is
 * the key's {@link Key#prefix}, copied here so that a window's binary search over its entries
 * decides most comparisons without following the pointer to the key (a cache miss apiece).
 */
record Entry(Key key, Row row, long prefix) {
    Entry(Key key, Row row) {
        this(key, row, key.prefix);
    }

    String id() {
        return key.id;
    }
}

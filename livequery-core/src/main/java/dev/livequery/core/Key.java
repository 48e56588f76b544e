package dev.livequery.core;

/**
 * A row's position in one shape's order: its sort values (normalized by {@link Values}) and its
 * id, the final tiebreak. Keys are owned by one view, so the cursor string encoded from a key is
 * cached here and shared by every frame and subscriber that names the position.
 */
final class Key {
    final Object[] values;
    final String id;
    private volatile String cursor;

    Key(Object[] values, String id) {
        this.values = values;
        this.id = id;
    }

    String cursor(Tokens codec) {
        String c = cursor;
        if (c == null) {
            c = Cursors.encode(codec.signer, codec.shape, this);
            cursor = c;
        }
        return c;
    }
}

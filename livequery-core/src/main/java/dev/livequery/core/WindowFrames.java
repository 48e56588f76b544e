package dev.livequery.core;

/**
 * The frames a {@link LiveWindow} makes. Each names the window state a client holds after it
 * ({@code tokens} + {@code state}), from which its eid is signed when first asked for; the row
 * frames carry the view's {@link Key}, from which the cursor is encoded once per row.
 */
final class WindowFrames {
    private WindowFrames() {}

    static Frame.Reset reset(String cause, long epoch, Tokens tokens, Tokens.State state) {
        return new Frame.Reset(cause, epoch, tokens, state, null);
    }

    static Frame.Enter enter(Entry e, int newIndex, Tokens tokens, Tokens.State state) {
        return new Frame.Enter(e.row(), e.key(), null, newIndex, tokens, state, null);
    }

    static Frame.Update update(Entry e, int index, Tokens tokens, Tokens.State state) {
        return new Frame.Update(e.row(), e.key(), null, index, tokens, state, null);
    }

    static Frame.Move move(Entry e, int oldIndex, int newIndex, Tokens tokens, Tokens.State state) {
        return new Frame.Move(e.row(), e.key(), null, oldIndex, newIndex, tokens, state, null);
    }

    static Frame.Leave leave(String id, long version, int oldIndex, Tokens tokens, Tokens.State state) {
        return new Frame.Leave(id, version, oldIndex, tokens, state, null);
    }

    static Frame.Ready ready(
            boolean hasMoreBefore, boolean hasMoreAfter, boolean resumed, Tokens tokens, Tokens.State state) {
        return new Frame.Ready(hasMoreBefore, hasMoreAfter, resumed, tokens, state, null);
    }
}

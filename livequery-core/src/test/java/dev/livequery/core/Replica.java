package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A naive client: a plain list that applies frames exactly as PROTOCOL §3 "splice semantics"
 * says, each index relative to the list as the previous frame left it. It asserts everything a
 * client could notice on its own: indexes in range, the id at old_index/new_index is the frame's
 * id, and no id ever appears twice.
 */
final class Replica {
    record Item(String id, long version, ObjectNode row) {}

    private final List<Item> items;

    Replica() {
        this.items = new ArrayList<>();
    }

    private Replica(List<Item> items) {
        this.items = new ArrayList<>(items);
    }

    Replica copy() {
        return new Replica(items);
    }

    List<Item> items() {
        return List.copyOf(items);
    }

    List<String> ids() {
        return items.stream().map(Item::id).toList();
    }

    void apply(Frame f) {
        switch (f) {
            case Frame.Reset r -> items.clear();
            case Frame.Enter e -> {
                assertThat(e.newIndex())
                        .as("enter new_index in [0,%d]: %s", items.size(), f)
                        .isBetween(0, items.size());
                assertThat(ids())
                        .as("enter of an id the client already holds: %s", f)
                        .doesNotContain(e.id());
                items.add(e.newIndex(), item(e));
            }
            case Frame.Leave l -> {
                assertThat(l.oldIndex())
                        .as("leave old_index in [0,%d): %s", items.size(), f)
                        .isBetween(0, items.size() - 1);
                assertThat(items.get(l.oldIndex()).id())
                        .as("id at leave old_index: %s", f)
                        .isEqualTo(l.id());
                items.remove(l.oldIndex());
            }
            case Frame.Update u -> {
                assertThat(u.newIndex())
                        .as("update new_index in [0,%d): %s", items.size(), f)
                        .isBetween(0, items.size() - 1);
                Item old = items.get(u.newIndex());
                assertThat(old.id()).as("id at update new_index: %s", f).isEqualTo(u.id());
                assertThat(u.version())
                        .as("update goes back in version: %s over %s", f, old.version())
                        .isGreaterThanOrEqualTo(old.version());
                items.set(u.newIndex(), item(u));
            }
            case Frame.Move m -> {
                assertThat(m.oldIndex())
                        .as("move old_index in [0,%d): %s", items.size(), f)
                        .isBetween(0, items.size() - 1);
                Item old = items.get(m.oldIndex());
                assertThat(old.id()).as("id at move old_index: %s", f).isEqualTo(m.id());
                assertThat(m.version())
                        .as("move goes back in version: %s over %s", f, old.version())
                        .isGreaterThanOrEqualTo(old.version());
                items.remove(m.oldIndex());
                assertThat(m.newIndex())
                        .as("move new_index in [0,%d] after removal: %s", items.size(), f)
                        .isBetween(0, items.size());
                items.add(m.newIndex(), item(m));
            }
            case Frame.Ready r -> {}
            default -> throw new AssertionError("the engine emitted a transport-only frame: " + f);
        }
        Set<String> seen = new HashSet<>();
        for (Item i : items) {
            assertThat(seen.add(i.id()))
                    .as("duplicate id %s in replica %s after %s", i.id(), ids(), f)
                    .isTrue();
        }
    }

    private static Item item(Frame.Placed f) {
        Row r = f.row();
        assertThat(r).as("row frame without a row: %s", f).isNotNull();
        assertThat(f.cursor()).as("row frame without a cursor: %s", f).isNotNull();
        return new Item(f.id(), f.version(), r.data());
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (Item i : items) {
            b.append(b.length() > 1 ? ", " : "")
                    .append(i.id())
                    .append('@')
                    .append(i.version())
                    .append(i.row());
        }
        return b.append(']').toString();
    }
}

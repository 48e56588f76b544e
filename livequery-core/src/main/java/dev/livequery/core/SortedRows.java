package dev.livequery.core;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The entries of one view in key order: a two-level sorted array (a sequence of blocks of at
 * most {@value #BLOCK} entries), in place of a red-black tree.
 *
 * <p>Why: a change removes one key and inserts one, and every window asks for its neighbours;
 * in a tree each of those walks ~log2(n) nodes scattered over the heap, a cache miss apiece.
 * Here a search is a binary search over the blocks' last keys and then over one block's
 * {@code long} prefixes ({@link Key#prefix}), contiguous in memory; an insert or a removal
 * shifts at most one block. Blocks split when full and are dropped or merged when they shrink,
 * so memory stays proportional to the entries.
 *
 * <p>Guarded by the table's lock, like the view that owns it.
 */
final class SortedRows {
    static final int BLOCK = 128;

    private static final class Block {
        final Entry[] e = new Entry[BLOCK];
        final long[] p = new long[BLOCK];
        int n;
    }

    private final Order order;
    private Block[] blocks = new Block[4];
    /** The prefix of each block's last key, beside the blocks: the first level is searched without reading a block. */
    private long[] lastP = new long[4];

    private int nb;
    private int size;

    SortedRows(Order order) {
        this.order = order;
    }

    int size() {
        return size;
    }

    void clear() {
        Arrays.fill(blocks, 0, nb, null);
        nb = 0;
        size = 0;
    }

    // ---- search ------------------------------------------------------------------------------

    private int cmp(Block b, int i, Key k) {
        long p = b.p[i];
        if (p != k.prefix) {
            return p < k.prefix ? -1 : 1;
        }
        return order.compare(b.e[i].key(), k);
    }

    /** The first block whose last key is >= k, or nb. */
    private int blockFor(Key k) {
        int lo = 0;
        int hi = nb - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long p = lastP[mid];
            int c;
            if (p != k.prefix) {
                c = p < k.prefix ? -1 : 1;
            } else {
                Block b = blocks[mid];
                c = cmp(b, b.n - 1, k);
            }
            if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** In block b: the index of k, or -(insertion point) - 1. */
    private int indexIn(Block b, Key k) {
        int lo = 0;
        int hi = b.n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = cmp(b, mid, k);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** The first entry, or null. */
    Entry first() {
        return nb == 0 ? null : blocks[0].e[0];
    }

    /** The entry just after k (k need not be present), or null. */
    Entry higher(Key k) {
        int bi = blockFor(k);
        if (bi == nb) {
            return null;
        }
        Block b = blocks[bi];
        int i = indexIn(b, k);
        i = i >= 0 ? i + 1 : -i - 1;
        if (i < b.n) {
            return b.e[i];
        }
        return bi + 1 < nb ? blocks[bi + 1].e[0] : null;
    }

    /** The entry just before k (k need not be present), or null. */
    Entry lower(Key k) {
        int bi = blockFor(k);
        if (bi == nb) {
            return nb == 0 ? null : last(blocks[nb - 1]);
        }
        Block b = blocks[bi];
        int i = indexIn(b, k);
        i = i >= 0 ? i - 1 : -i - 2;
        if (i >= 0) {
            return b.e[i];
        }
        return bi > 0 ? last(blocks[bi - 1]) : null;
    }

    /** Whether some entry is >= k. */
    boolean hasAtOrAbove(Key k) {
        return blockFor(k) < nb;
    }

    /** Whether some entry is <= k. */
    boolean hasAtOrBelow(Key k) {
        return nb > 0 && cmp(blocks[0], 0, k) <= 0;
    }

    private static Entry last(Block b) {
        return b.e[b.n - 1];
    }

    // ---- change ------------------------------------------------------------------------------

    /**
     * Adds an entry whose key is not present; returns the entry now just before it, or null (a
     * window finds where the new entry goes by that entry's identity, reading no other entry).
     */
    Entry add(Entry x) {
        Key k = x.key();
        if (nb == 0) {
            Block b = new Block();
            b.e[0] = x;
            b.p[0] = k.prefix;
            b.n = 1;
            insertBlock(0, b);
            size++;
            return null;
        }
        int bi = blockFor(k);
        if (bi == nb) {
            bi = nb - 1; // beyond every key: append to the last block
        }
        Block b = blocks[bi];
        int i = indexIn(b, k);
        if (i >= 0) {
            throw new IllegalStateException("key already present: " + k.id);
        }
        i = -i - 1;
        if (b.n == BLOCK) {
            Block right = new Block();
            int half = BLOCK / 2;
            System.arraycopy(b.e, half, right.e, 0, BLOCK - half);
            System.arraycopy(b.p, half, right.p, 0, BLOCK - half);
            Arrays.fill(b.e, half, BLOCK, null);
            right.n = BLOCK - half;
            b.n = half;
            insertBlock(bi + 1, right);
            lastP[bi] = b.p[half - 1];
            if (i > half) {
                b = right;
                i -= half;
                bi++;
            }
        }
        System.arraycopy(b.e, i, b.e, i + 1, b.n - i);
        System.arraycopy(b.p, i, b.p, i + 1, b.n - i);
        b.e[i] = x;
        b.p[i] = k.prefix;
        b.n++;
        lastP[bi] = b.p[b.n - 1];
        size++;
        return i > 0 ? b.e[i - 1] : bi > 0 ? last(blocks[bi - 1]) : null;
    }

    /** Removes the entry with key k; returns whether there was one. */
    boolean remove(Key k) {
        return take(k) != null;
    }

    /** Removes the entry with key k and returns it, or null when there was none. */
    Entry take(Key k) {
        int bi = blockFor(k);
        if (bi == nb) {
            return null;
        }
        Block b = blocks[bi];
        int i = indexIn(b, k);
        if (i < 0) {
            return null;
        }
        Entry gone = b.e[i];
        System.arraycopy(b.e, i + 1, b.e, i, b.n - i - 1);
        System.arraycopy(b.p, i + 1, b.p, i, b.n - i - 1);
        b.e[--b.n] = null;
        size--;
        if (b.n == 0) {
            removeBlock(bi);
        } else if (b.n < BLOCK / 4 && bi + 1 < nb && b.n + blocks[bi + 1].n <= BLOCK / 2) {
            Block next = blocks[bi + 1];
            System.arraycopy(next.e, 0, b.e, b.n, next.n);
            System.arraycopy(next.p, 0, b.p, b.n, next.n);
            b.n += next.n;
            removeBlock(bi + 1);
        }
        if (b.n > 0) {
            lastP[bi] = b.p[b.n - 1];
        }
        return gone;
    }

    private void insertBlock(int at, Block b) {
        if (nb == blocks.length) {
            blocks = Arrays.copyOf(blocks, nb * 2);
            lastP = Arrays.copyOf(lastP, nb * 2);
        }
        System.arraycopy(blocks, at, blocks, at + 1, nb - at);
        System.arraycopy(lastP, at, lastP, at + 1, nb - at);
        blocks[at] = b;
        lastP[at] = b.p[b.n - 1];
        nb++;
    }

    private void removeBlock(int at) {
        System.arraycopy(blocks, at + 1, blocks, at, nb - at - 1);
        System.arraycopy(lastP, at + 1, lastP, at, nb - at - 1);
        blocks[--nb] = null;
    }

    // ---- iteration ---------------------------------------------------------------------------

    /** Entries >= k (all when k is null), ascending. */
    Iterator<Entry> ascendingFrom(Key k) {
        int bi = k == null ? 0 : blockFor(k);
        int i = 0;
        if (bi < nb && k != null) {
            int j = indexIn(blocks[bi], k);
            i = j >= 0 ? j : -j - 1;
        }
        int startBlock = bi;
        int startIndex = i;
        return new Iterator<>() {
            int b = startBlock;
            int at = startIndex;

            @Override
            public boolean hasNext() {
                return b < nb;
            }

            @Override
            public Entry next() {
                if (b >= nb) {
                    throw new NoSuchElementException();
                }
                Entry e = blocks[b].e[at++];
                if (at == blocks[b].n) {
                    b++;
                    at = 0;
                }
                return e;
            }
        };
    }

    /** Entries < k, descending. */
    Iterator<Entry> descendingBelow(Key k) {
        int bi = blockFor(k);
        int i;
        if (bi == nb) {
            bi = nb - 1;
            i = bi < 0 ? -1 : blocks[bi].n - 1;
        } else {
            int j = indexIn(blocks[bi], k);
            i = j >= 0 ? j - 1 : -j - 2;
        }
        if (i < 0 && bi >= 0) {
            bi--;
            i = bi < 0 ? -1 : blocks[bi].n - 1;
        }
        int startBlock = bi;
        int startIndex = i;
        return new Iterator<>() {
            int b = startBlock;
            int at = startIndex;

            @Override
            public boolean hasNext() {
                return b >= 0;
            }

            @Override
            public Entry next() {
                if (b < 0) {
                    throw new NoSuchElementException();
                }
                Entry e = blocks[b].e[at--];
                if (at < 0) {
                    b--;
                    at = b < 0 ? -1 : blocks[b].n - 1;
                }
                return e;
            }
        };
    }
}

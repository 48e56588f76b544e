package dev.livequery.core;

/** Placeholder: the embedded backend is being written. */
public final class LocalBackend {
    public LocalBackend(EngineOptions options) {
    }
}

package dev.livequery.testkit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The checks behind {@link Cluster} and {@link Browser}: before any of the test's code runs. */
final class Requirements {
    private Requirements() {}

    /** Fails the test class (or method) with {@link Tools.MissingTool} if redis-server is missing. */
    static final class RedisServer implements BeforeAllCallback, BeforeEachCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            Tools.redisServer();
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            Tools.redisServer();
        }
    }

    /** Fails the test class (or method) with {@link Tools.MissingTool} if Chromium is missing. */
    static final class Chromium implements BeforeAllCallback, BeforeEachCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            Tools.chromium();
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            Tools.chromium();
        }
    }
}

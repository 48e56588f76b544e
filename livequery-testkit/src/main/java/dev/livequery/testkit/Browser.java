package dev.livequery.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that drives headless Chromium: tagged {@code browser} (left out by
 * {@code bin/test --fast}), and failed with one line naming the package when Chromium is not
 * installed.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("browser")
@ExtendWith(Requirements.Chromium.class)
public @interface Browser {}

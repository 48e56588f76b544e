package dev.livequery.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that starts redis-server processes: tagged {@code cluster} (left out by
 * {@code bin/test --fast}), and failed with one line naming the package when redis-server is not
 * installed.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("cluster")
@ExtendWith(Requirements.RedisServer.class)
public @interface Cluster {}

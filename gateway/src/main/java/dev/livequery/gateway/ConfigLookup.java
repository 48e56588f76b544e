package dev.livequery.gateway;

import dev.livequery.core.EngineOptions;
import io.helidon.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Config values by key, for {@link Settings} and the components with keys of their own (auth):
 * the obvious environment spelling of a key ({@code livequery.limits.max-row} is
 * {@code LIVEQUERY_LIMITS_MAX_ROW}) wins over the file, because Helidon's own environment source
 * spells dashes as {@code _dash_}. A value that does not parse fails with the key named and the
 * value left out (it may be a secret).
 */
public record ConfigLookup(Config config, Map<String, String> env) {
    /** The process's environment over {@code config}. */
    public static ConfigLookup of(Config config) {
        return new ConfigLookup(config, System.getenv());
    }

    /** The environment variable of a key (the engine's own spelling, so shards read the same). */
    public static String envName(String key) {
        return EngineOptions.envName(key);
    }

    /**
     * The key's value, trimmed; a list in the config is joined with commas, also when a flat source
     * (system properties) spells it as numbered keys, {@code livequery.tables.allow.0=items}: Helidon
     * reads those as an object, whose string value is empty, so the list was silently dropped.
     */
    public Optional<String> raw(String key) {
        String e = env.get(envName(key));
        if (e != null && !e.isBlank()) {
            return Optional.of(e.trim());
        }
        Config c = config.get(key);
        if (c.isList()) {
            return Optional.of(String.join(",", c.asList(String.class).get()));
        }
        if (c.type() == Config.Type.OBJECT) {
            return numbered(key, c);
        }
        return c.asString().asOptional().map(String::trim).filter(s -> !s.isEmpty());
    }

    /**
     * The values of {@code c}'s children named 0, 1, … n-1 joined with commas. Any other object is
     * refused: read as unset, a mistyped list ({@code livequery.tables.allow.first=items}) would
     * admit every table.
     */
    private static Optional<String> numbered(String key, Config c) {
        List<Config> children = c.asNodeList().orElse(List.of());
        List<String> values = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
            Optional<String> v = c.get(String.valueOf(i)).asString().asOptional();
            if (v.isEmpty()) {
                List<String> names =
                        children.stream().map(Config::name).sorted().toList();
                throw new IllegalArgumentException("config " + key + " is not valid: expected a value or a list"
                        + " (numbered keys " + key + ".0, " + key + ".1, …), found the keys " + names);
            }
            values.add(v.get().trim());
        }
        return values.isEmpty() ? Optional.empty() : Optional.of(String.join(",", values));
    }

    /** The parsed value, if the key is set. */
    public <T> Optional<T> get(String key, Function<String, T> parse) {
        Optional<String> v = raw(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse.apply(v.get()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config " + key + " is not valid: " + e.getMessage(), e);
        }
    }

    /** The value, or {@code dflt} when the key is not set. */
    public String string(String key, String dflt) {
        return raw(key).orElse(dflt);
    }

    /** The parsed value, or {@code dflt} when the key is not set. */
    public <T> T get(String key, Function<String, T> parse, T dflt) {
        return get(key, parse).orElse(dflt);
    }

    /** A comma-separated (or list) value, blanks dropped; empty when not set. */
    public List<String> list(String key) {
        List<String> out = new ArrayList<>();
        raw(key).ifPresent(v -> {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        });
        return List.copyOf(out);
    }
}

package dev.livequery.gateway.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import io.helidon.config.Config;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the rule map as JSON from wherever it is configured: a YAML or JSON file, an environment
 * variable holding JSON, or the Helidon config tree (where a flat source such as system properties
 * spells a list as numbered keys, {@code roles.0=admin}, read back as the list).
 *
 * <p>Helidon's config tree has only strings at its leaves, so there {@code true}, {@code false},
 * {@code null} and JSON numbers are read back as those JSON values; a rule that needs the string
 * {@code "true"} or a numeric string must come from a rules file, which keeps YAML's types.
 */
final class RulesSource {
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    private RulesSource() {}

    static JsonNode file(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "livequery.auth.rules-file: cannot read " + path + ": " + e.getMessage(), e);
        }
        return text(text, path.toString());
    }

    /** YAML is a superset of JSON, so one safe YAML loader reads both. */
    static JsonNode text(String text, String origin) {
        try {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            return Json.MAPPER.valueToTree(o);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "auth rules in " + origin + " are not valid YAML/JSON: "
                            + e.getMessage().lines().findFirst().orElse(""),
                    e);
        }
    }

    static JsonNode config(Config c) {
        if (c.isList()) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            c.asNodeList().get().forEach(n -> a.add(config(n)));
            return a;
        }
        if (c.type() == Config.Type.OBJECT && numbered(c)) {
            // a flat source (system properties, a properties file) spells a list as key.0, key.1…
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < c.asNodeList().get().size(); i++) {
                a.add(config(c.get(String.valueOf(i))));
            }
            return a;
        }
        if (c.type() == Config.Type.OBJECT) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            c.asNodeList().get().forEach(n -> o.set(unquote(n.name()), config(n)));
            return o;
        }
        return scalar(c.asString().orElse(null));
    }

    /** Whether the children of {@code c} are named exactly 0, 1, … n-1 (a list in a flat source). */
    private static boolean numbered(Config c) {
        var children = c.asNodeList().get();
        Set<String> names = new HashSet<>();
        children.forEach(n -> names.add(n.name()));
        for (int i = 0; i < children.size(); i++) {
            if (!names.contains(String.valueOf(i))) {
                return false;
            }
        }
        return !children.isEmpty();
    }

    /** Helidon keeps the quotes of a quoted YAML key such as {@code "*"} in some sources. */
    private static String unquote(String key) {
        return key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")
                ? key.substring(1, key.length() - 1)
                : key;
    }

    private static JsonNode scalar(String s) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (s == null || s.equals("null")) {
            return f.nullNode();
        }
        if (s.equals("true") || s.equals("false")) {
            return f.booleanNode(Boolean.parseBoolean(s));
        }
        if (NUMBER.matcher(s).matches()) {
            try {
                return Json.MAPPER.readTree(s);
            } catch (JsonProcessingException e) {
                return f.numberNode(new BigDecimal(s));
            }
        }
        return f.textNode(s);
    }
}

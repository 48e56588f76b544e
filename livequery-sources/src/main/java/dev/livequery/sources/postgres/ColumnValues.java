package dev.livequery.sources.postgres;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.sources.postgres.SourceException.Code;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.data.VariableScaleDecimal;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Debezium's Kafka Connect values (as configured by {@link EngineProperties}) to JSON, exactly:
 * integers and {@code numeric} to JSON numbers with every digit ({@code decimal.handling.mode=string},
 * parsed here: Debezium's own decimal modes turn a constrained numeric's NaN into null),
 * text and uuids to strings, booleans, SQL NULL to null, {@code json}/{@code jsonb} and arrays to
 * nested values, {@code date} to {@code yyyy-MM-dd}, and both timestamp types to UTC strings of one
 * fixed width ({@code yyyy-MM-ddTHH:mm:ss.ffffffZ}) so that string order is time order.
 * {@code timestamp} without time zone is read as UTC, the only reading that keeps it unchanged.
 */
final class ColumnValues {
    /** What Debezium sends for a TOASTed column an UPDATE left unchanged (replica identity default). */
    static final String UNAVAILABLE = "__debezium_unavailable_value";

    /**
     * The array forms of {@link #UNAVAILABLE} (Debezium's {@code UnchangedToastedPlaceholder}):
     * text, varchar, char, json and jsonb arrays get a list of the string; int4 and date arrays the
     * list of its bytes as ints, int8 arrays as longs; uuid arrays the name-based UUID of its
     * bytes. Other arrays get the plain string, which fails their conversion and arrives as null:
     * {@link TableCheck} refuses such columns unless the table has REPLICA IDENTITY FULL. A real
     * array equal to one of these (the 28 byte values of the placeholder, say) would be taken for
     * it: no real data looks like that.
     */
    private static final Set<List<?>> UNAVAILABLE_ARRAYS = unavailableArrays();

    private static Set<List<?>> unavailableArrays() {
        byte[] bytes = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);
        List<Integer> ints = new ArrayList<>();
        List<Long> longs = new ArrayList<>();
        for (byte b : bytes) {
            ints.add((int) b);
            longs.add((long) b);
        }
        return Set.of(
                List.of(UNAVAILABLE),
                List.copyOf(ints),
                List.copyOf(longs),
                List.of(UUID.nameUUIDFromBytes(bytes).toString()));
    }

    /** Core's configuration (floats as exact BigDecimal, PROTOCOL §1) but see {@link #JSON_TEXT}. */
    private static final ObjectReader JSONB = Json.MAPPER.reader();

    /**
     * For {@code json}, which Postgres stores as typed, duplicate keys included, and whose
     * operators take the last one: the last one wins here too. Core refuses duplicates, but a
     * value Postgres accepted cannot be refused without stopping the source.
     */
    private static final ObjectReader JSON_TEXT = Json.MAPPER
            .copy() // a reader's without(STRICT_DUPLICATE_DETECTION) does not undo the factory's setting
            .disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .reader();

    /** The Connect schema parameter {@code column.propagate.source.type} sets: the Postgres type. */
    static final String SOURCE_TYPE = "__debezium.source.column.type";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final long MIN_SECOND = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    private static final long MAX_SECOND = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

    private ColumnValues() {}

    /**
     * The row as JSON with {@code id} set to the key column's text. Columns Debezium could not
     * send (unchanged TOAST) are left out and listed in {@code unavailable}.
     */
    static ObjectNode row(Struct after, String idColumn, String id, List<String> unavailable) throws SourceException {
        ObjectNode out = F.objectNode();
        out.put("id", id);
        for (Field f : after.schema().fields()) {
            if (f.name().equals("id")) {
                if (!idColumn.equals("id")) {
                    // Catalog refuses this at start; a column added since would be hidden by the id.
                    throw unmappable(
                            "id",
                            "values hidden by the row id (the '" + idColumn + "' text): a column 'id' was added"
                                    + " that is not the key; rename it");
                }
                continue; // an "id" column that is the key is the livequery id, the key's text
            }
            Object v = after.get(f);
            if (UNAVAILABLE.equals(v) || v instanceof List<?> l && UNAVAILABLE_ARRAYS.contains(l)) {
                unavailable.add(f.name());
                continue;
            }
            out.set(f.name(), value(f.schema(), v, f.name()));
        }
        return out;
    }

    /** The key column's value as the livequery row id (integers and text as they print). */
    static String id(Struct image, String idColumn) throws SourceException {
        Object v = image.get(idColumn);
        if (v == null) {
            throw new SourceException(
                    Code.UNMAPPABLE_VALUE, "a change has no value for the id column '" + idColumn + "'");
        }
        JsonNode n = value(image.schema().field(idColumn).schema(), v, idColumn);
        return n.isTextual() ? n.textValue() : n.toString();
    }

    static JsonNode value(Schema schema, Object v, String column) throws SourceException {
        String type = schema.parameters() == null ? null : schema.parameters().get(SOURCE_TYPE);
        return value(schema, v, column, type == null ? "" : type.toLowerCase(Locale.ROOT));
    }

    /** {@code sourceType}: the column's Postgres type as Debezium propagates it ({@code _x} for arrays of x). */
    private static JsonNode value(Schema schema, Object v, String column, String sourceType) throws SourceException {
        if (v == null) {
            return F.nullNode();
        }
        String name = schema.name();
        if (schema.type() == Schema.Type.STRING && (sourceType.equals("numeric") || sourceType.equals("_numeric"))) {
            return numeric(column, (String) v);
        }
        if (name != null) {
            switch (name) {
                case "io.debezium.data.Json":
                    try {
                        return (sourceType.equals("json") || sourceType.equals("_json") ? JSON_TEXT : JSONB)
                                .readTree((String) v);
                    } catch (JsonProcessingException e) {
                        throw unmappable(column, "json that does not parse: " + e.getOriginalMessage());
                    }
                case "io.debezium.time.Timestamp":
                    return timestamp(
                            column, Math.floorDiv((Long) v, 1000L), Math.floorMod((Long) v, 1000L) * 1_000_000L);
                case "io.debezium.time.MicroTimestamp":
                    return timestamp(
                            column, Math.floorDiv((Long) v, 1_000_000L), Math.floorMod((Long) v, 1_000_000L) * 1000L);
                case "io.debezium.time.NanoTimestamp":
                    return timestamp(
                            column, Math.floorDiv((Long) v, 1_000_000_000L), Math.floorMod((Long) v, 1_000_000_000L));
                case "io.debezium.time.ZonedTimestamp": {
                    Instant i = OffsetDateTime.parse((String) v).toInstant();
                    return timestamp(column, i.getEpochSecond(), i.getNano());
                }
                case "io.debezium.time.Date": {
                    LocalDate d = LocalDate.ofEpochDay(((Number) v).longValue());
                    if (d.getYear() < 0 || d.getYear() > 9999) {
                        throw unmappable(column, "a date outside years 0000-9999 (" + d + ")");
                    }
                    return F.textNode(d.toString());
                }
                case "org.apache.kafka.connect.data.Decimal":
                    return F.numberNode((BigDecimal) v);
                case "io.debezium.data.VariableScaleDecimal": {
                    SpecialValueDecimal d = VariableScaleDecimal.toLogical((Struct) v);
                    return F.numberNode(d.getDecimalValue()
                            .orElseThrow(() ->
                                    unmappable(column, "numeric " + d + " (NaN or infinity has no JSON number)")));
                }
                default:
                    break; // io.debezium.data.Uuid and other string-typed names fall through to the type
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64 -> F.numberNode(((Number) v).longValue());
            case FLOAT32, FLOAT64 -> {
                double d = ((Number) v).doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw unmappable(column, d + " (no JSON number)");
                }
                yield F.numberNode(
                        schema.type() == Schema.Type.FLOAT32
                                ? new BigDecimal(Float.toString((Float) v))
                                : BigDecimal.valueOf(d));
            }
            case BOOLEAN -> F.booleanNode((Boolean) v);
            case STRING -> F.textNode((String) v);
            case ARRAY -> {
                ArrayNode a = F.arrayNode();
                for (Object e : (List<?>) v) {
                    a.add(value(schema.valueSchema(), e, column, sourceType));
                }
                yield a;
            }
            default -> throw unmappable(column, "Connect type " + schema.type() + (name == null ? "" : " " + name));
        };
    }

    /**
     * A {@code numeric} as Debezium's string mode sends it: every digit, scale kept. NaN and the
     * infinities have no JSON number and stop the source (for any numeric, constrained or not).
     */
    private static JsonNode numeric(String column, String text) throws SourceException {
        try {
            return F.numberNode(new BigDecimal(text));
        } catch (NumberFormatException e) {
            // Debezium spells them NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY
            throw unmappable(column, "numeric " + text + " (NaN or infinity has no JSON number)");
        }
    }

    private static JsonNode timestamp(String column, long second, long nanos) throws SourceException {
        if (second < MIN_SECOND || second > MAX_SECOND) {
            throw unmappable(column, "a timestamp outside years 0000-9999 (infinity?) has no fixed-width form");
        }
        return F.textNode(TS.format(Instant.ofEpochSecond(second, nanos)));
    }

    private static SourceException unmappable(String column, String what) {
        return new SourceException(Code.UNMAPPABLE_VALUE, "column " + column + " holds " + what);
    }
}

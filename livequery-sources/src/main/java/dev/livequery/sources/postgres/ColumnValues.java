package dev.livequery.sources.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.sources.postgres.SourceException.Code;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.data.VariableScaleDecimal;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Debezium's Kafka Connect values (as configured by {@link EngineProperties}) to JSON, exactly:
 * integers and {@code numeric} to JSON numbers with every digit ({@code decimal.handling.mode=precise}),
 * text and uuids to strings, booleans, SQL NULL to null, {@code json}/{@code jsonb} and arrays to
 * nested values, {@code date} to {@code yyyy-MM-dd}, and both timestamp types to UTC strings of one
 * fixed width ({@code yyyy-MM-ddTHH:mm:ss.ffffffZ}) so that string order is time order.
 * {@code timestamp} without time zone is read as UTC, the only reading that keeps it unchanged.
 */
final class ColumnValues {
    /** What Debezium sends for a TOASTed column an UPDATE left unchanged (replica identity default). */
    static final String UNAVAILABLE = "__debezium_unavailable_value";

    private static final ObjectMapper JSON = new ObjectMapper();
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
            if (UNAVAILABLE.equals(v)) {
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
        if (v == null) {
            return F.nullNode();
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case "io.debezium.data.Json":
                    try {
                        return JSON.readTree((String) v);
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
                    a.add(value(schema.valueSchema(), e, column));
                }
                yield a;
            }
            default -> throw unmappable(column, "Connect type " + schema.type() + (name == null ? "" : " " + name));
        };
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

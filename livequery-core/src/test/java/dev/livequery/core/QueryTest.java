package dev.livequery.core;

import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.json;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** PROTOCOL §2: parsing, canonical shapes, refusals with {@code bad_query}, and where semantics. */
class QueryTest {

    static Where where(String w) throws LiveQueryException {
        return Where.parse(json(w));
    }

    static boolean matches(String w, String row) throws LiveQueryException {
        return where(w).matches(obj(row));
    }

    // ---- valid queries ---------------------------------------------------------------------------

    @Nested
    class Parsing {
        @Test
        void minimalQuery() throws Exception {
            Query q = query("{'table':'items','limit':50}");
            assertThat(q.shape().table()).isEqualTo("items");
            assertThat(q.window()).isEqualTo(new Window(null, null, 50));
            assertThat(q.shape().order.size()).isZero();
            assertThat(q.shape().where.canonical().toString()).isEqualTo("{}");
            assertThat(q.shape().toString()).isEqualTo("{\"table\":\"items\",\"where\":{},\"order\":[]}");
        }

        @Test
        void bareValueMeansEq() throws Exception {
            assertThat(where("{'status':'open'}").canonical())
                    .isEqualTo(where("{'status':{'eq':'open'}}").canonical());
            assertThat(where("{'status':'open'}").canonical().toString()).isEqualTo("{\"status\":{\"eq\":\"open\"}}");
            assertThat(matches("{'status':'open'}", "{'status':'open'}")).isTrue();
            assertThat(matches("{'status':'open'}", "{'status':'closed'}")).isFalse();
            assertThat(matches("{'n':null}", "{'n':null}")).isTrue();
            assertThat(matches("{'n':null}", "{}")).as("missing is not null").isFalse();
        }

        @Test
        void everyOperatorParses() throws Exception {
            Where w = where("{'a':{'eq':1},'b':{'ne':'x'},'c':{'lt':3},'d':{'lte':4},'e':{'gt':5},'f':{'gte':6},"
                    + "'g':{'in':['x',2,true,null]},'h':{'prefix':'ab'},'i':{'exists':true},'j':{'exists':false}}");
            assertThat(w.canonical().toString())
                    .isEqualTo("{\"a\":{\"eq\":1},\"b\":{\"ne\":\"x\"},\"c\":{\"lt\":3},"
                            + "\"d\":{\"lte\":4},\"e\":{\"gt\":5},\"f\":{\"gte\":6},\"g\":{\"in\":[null,true,2,\"x\"]},"
                            + "\"h\":{\"prefix\":\"ab\"},\"i\":{\"exists\":true},\"j\":{\"exists\":false}}");
            assertThat(w.matches(obj("{'a':1,'b':'y','c':2,'d':4,'e':6,'f':6,'g':null,'h':'abc','i':0}")))
                    .isTrue();
            assertThat(w.matches(obj("{'a':1,'b':'y','c':2,'d':4,'e':6,'f':6,'g':null,'h':'abc','i':0,'j':1}")))
                    .isFalse();
        }

        @Test
        void severalOperatorsOnOneField() throws Exception {
            String w = "{'price':{'gte':10,'lt':100}}";
            assertThat(matches(w, "{'price':10}")).isTrue();
            assertThat(matches(w, "{'price':99.99}")).isTrue();
            assertThat(matches(w, "{'price':100}")).isFalse();
            assertThat(matches(w, "{'price':9}")).isFalse();
        }

        @Test
        void topLevelOr() throws Exception {
            String w = "{'kind':'a','or':[{'x':1},{'y':{'gt':5}}]}";
            assertThat(matches(w, "{'kind':'a','x':1}")).isTrue();
            assertThat(matches(w, "{'kind':'a','y':6}")).isTrue();
            assertThat(matches(w, "{'kind':'a','x':2,'y':5}")).isFalse();
            assertThat(matches(w, "{'kind':'b','x':1}"))
                    .as("or is AND-ed with the rest")
                    .isFalse();
            assertThat(where(w).canonical().toString())
                    .isEqualTo("{\"kind\":{\"eq\":\"a\"},\"or\":[{\"x\":{\"eq\":1}},{\"y\":{\"gt\":5}}]}");
        }

        @Test
        void multiKeyOrder() throws Exception {
            Query q = query("{'table':'t','order':[{'field':'price','dir':'desc'},{'field':'name'},"
                    + "{'field':'a','dir':'asc'},{'field':'b','dir':'desc'}],'limit':1}");
            assertThat(q.shape().order.canonical().toString())
                    .isEqualTo(
                            "[{\"field\":\"price\",\"dir\":\"desc\"},"
                                    + "{\"field\":\"name\",\"dir\":\"asc\"},{\"field\":\"a\",\"dir\":\"asc\"},{\"field\":\"b\",\"dir\":\"desc\"}]");
            Order o = q.shape().order;
            Row r1 = new Row("r1", 1, obj("{'id':'r1','price':5,'name':'b'}"));
            Row r2 = new Row("r2", 1, obj("{'id':'r2','price':5,'name':'a'}"));
            Row r3 = new Row("r3", 1, obj("{'id':'r3','price':7,'name':'z'}"));
            Row r0 = new Row("r0", 1, obj("{'id':'r0','price':5,'name':'a'}"));
            List<String> sorted = java.util.stream.Stream.of(r1, r2, r3, r0)
                    .map(o::key)
                    .sorted(o)
                    .map(k -> k.id)
                    .toList();
            assertThat(sorted).as("price desc, name asc, then id asc").containsExactly("r3", "r0", "r2", "r1");
        }

        @Test
        void orderDescPutsMissingLastAndIdTiebreakStaysAscending() throws Exception {
            Order o = query("{'table':'t','order':[{'field':'p','dir':'desc'}],'limit':1}")
                    .shape()
                    .order;
            List<String> sorted = java.util.stream.Stream.of(
                            new Row("b", 1, obj("{'id':'b','p':1}")), new Row("a", 1, obj("{'id':'a','p':1}")),
                            new Row("m", 1, obj("{'id':'m'}")), new Row("o", 1, obj("{'id':'o','p':{'x':1}}")),
                            new Row("s", 1, obj("{'id':'s','p':'str'}")), new Row("n", 1, obj("{'id':'n','p':null}")))
                    .map(o::key)
                    .sorted(o)
                    .map(k -> k.id)
                    .toList();
            assertThat(sorted).containsExactly("s", "a", "b", "n", "m", "o");
        }

        @Test
        void afterAndBeforeAreKeptOpaque() throws Exception {
            assertThat(query("{'table':'t','limit':3,'after':'abc'}").window()).isEqualTo(new Window("abc", null, 3));
            assertThat(query("{'table':'t','limit':3,'before':'xyz'}").window()).isEqualTo(new Window(null, "xyz", 3));
            assertThat(query("{'table':'t','limit':3,'after':null}").window()).isEqualTo(new Window(null, null, 3));
        }

        @Test
        void fromParamsWithCompactOrder() throws Exception {
            Query q = Query.fromParams("items", "{\"status\":\"open\"}", "-price,name", "25", null, null);
            Query same = query("{'table':'items','where':{'status':{'eq':'open'}},"
                    + "'order':[{'field':'price','dir':'desc'},{'field':'name','dir':'asc'}],'limit':10}");
            assertThat(q.shape()).isEqualTo(same.shape());
            assertThat(q.window()).isEqualTo(new Window(null, null, 25));
            Query bare = Query.fromParams("items", null, null, "1", "c", null);
            assertThat(bare.shape())
                    .isEqualTo(query("{'table':'items','limit':1}").shape());
            assertThat(bare.window()).isEqualTo(new Window("c", null, 1));
            assertThat(Query.fromParams("items", "", "", "1", null, "b").window())
                    .isEqualTo(new Window(null, "b", 1));
        }

        @Test
        void tableNamesAtTheEdges() throws Exception {
            assertThat(Query.table("a")).isEqualTo("a");
            assertThat(Query.table("a" + "_9".repeat(31))).hasSize(63);
            assertThat(Query.table("x_1")).isEqualTo("x_1");
        }
    }

    // ---- shapes ---------------------------------------------------------------------------------

    @Nested
    class Shapes {
        Shape shape(String where, String order) throws LiveQueryException {
            return query("{'table':'t','where':" + where + ",'order':" + order + ",'limit':1}")
                    .shape();
        }

        @Test
        void memberOrderAndNumberSpellingDoNotMatter() throws Exception {
            Shape a = shape("{'a':1,'b':2}", "[]");
            Shape b = shape("{'b':2,'a':1.0}", "[]");
            assertThat(a).isEqualTo(b);
            assertThat(a.hashCode()).isEqualTo(b.hashCode());
            assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
            assertThat(a.toString()).isEqualTo(b.toString());
        }

        @Test
        void equivalentSpellingsAreOneShape() throws Exception {
            assertThat(shape("{'a':1}", "[]")).isEqualTo(shape("{'a':{'eq':1e0}}", "[]"));
            assertThat(shape("{'g':{'in':[3,1,2,1.0]}}", "[]")).isEqualTo(shape("{'g':{'in':[1,2,3]}}", "[]"));
            assertThat(shape("{'a':{'lt':5,'gte':1}}", "[]")).isEqualTo(shape("{'a':{'gte':1,'lt':5}}", "[]"));
            assertThat(shape("{'or':[{'x':1},{'y':2}]}", "[]")).isEqualTo(shape("{'or':[{'y':2},{'x':1}]}", "[]"));
            assertThat(shape("{}", "[{'field':'p'}]")).isEqualTo(shape("{}", "[{'field':'p','dir':'asc'}]"));
            assertThat(shape("null", "null")).isEqualTo(shape("{}", "[]"));
        }

        @Test
        void differentShapes() throws Exception {
            Shape base = shape("{'a':1,'b':2}", "[{'field':'x'},{'field':'y'}]");
            assertThat(base).isNotEqualTo(shape("{'a':1,'b':2}", "[{'field':'y'},{'field':'x'}]"));
            assertThat(base).isNotEqualTo(shape("{'a':1,'b':2}", "[{'field':'x','dir':'desc'},{'field':'y'}]"));
            assertThat(base).isNotEqualTo(shape("{'a':1,'b':3}", "[{'field':'x'},{'field':'y'}]"));
            assertThat(base).isNotEqualTo(shape("{'a':'1','b':2}", "[{'field':'x'},{'field':'y'}]"));
            assertThat(base).isNotEqualTo(shape("{'a':1}", "[{'field':'x'},{'field':'y'}]"));
            assertThat(base.fingerprint())
                    .isNotEqualTo(shape("{'a':1,'b':2}", "[{'field':'y'},{'field':'x'}]")
                            .fingerprint());
            Shape otherTable = query(
                            "{'table':'u','where':{'a':1,'b':2},'order':[{'field':'x'},{'field':'y'}]," + "'limit':1}")
                    .shape();
            assertThat(base).isNotEqualTo(otherTable);
        }

        @Test
        void windowIsNotPartOfTheShape() throws Exception {
            assertThat(query("{'table':'t','limit':1}").shape())
                    .isEqualTo(query("{'table':'t','limit':99,'after':'zzz'}").shape());
        }
    }

    // ---- refusals -------------------------------------------------------------------------------

    @Nested
    class Invalid {
        void bad(String q, String messagePart) {
            LiveQueryException e = fails(BAD_QUERY, () -> query(q));
            assertThat(e.getMessage()).as("message for %s", q).containsIgnoringCase(messagePart);
        }

        String q(String where) {
            return "{'table':'t','where':" + where + ",'limit':10}";
        }

        @Test
        void numbersWithAnAbsurdExponentAreRefused() throws Exception {
            bad(q("{'a':{'gt':1e-10001}}"), "number out of range");
            bad(q("{'a':1e999999999}"), "number out of range");
            bad(q("{'a':{'in':[1, -1e-999999999]}}"), "number out of range");
            bad(q("{'or':[{'a':{'lt':0e-20000}}]}"), "number out of range");
            query(q("{'a':{'gt':1e-10000,'lt':9.99e10000}}")); // the bounds themselves
        }

        @Test
        void unknownOperator() {
            bad(q("{'a':{'like':'x'}}"), "unknown operator 'like'");
            bad(q("{'a':{'nested':{'eq':1}}}"), "unknown operator 'nested'");
            bad(q("{'a':{'EQ':1}}"), "lower case");
            bad(q("{'a':{'Gt':1}}"), "lower case");
            bad(q("{'a':{}}"), "empty condition");
        }

        @Test
        void wrongOperandTypes() {
            bad(q("{'a':{'in':5}}"), "in takes an array");
            bad(q("{'a':{'in':'x'}}"), "in takes an array");
            bad(q("{'a':{'in':{'x':1}}}"), "in takes an array");
            bad(q("{'a':{'in':[1,[2]]}}"), "an array");
            bad(q("{'a':{'in':[{'x':1}]}}"), "an object");
            bad(q("{'a':{'prefix':5}}"), "prefix takes a string, got a number");
            bad(q("{'a':{'prefix':null}}"), "prefix takes a string");
            bad(q("{'a':{'prefix':['a']}}"), "prefix takes a string");
            bad(q("{'a':{'exists':'yes'}}"), "exists takes true or false, got a string");
            bad(q("{'a':{'exists':1}}"), "exists takes true or false");
            bad(q("{'a':{'exists':null}}"), "exists takes true or false");
            for (String op : List.of("eq", "ne", "lt", "lte", "gt", "gte")) {
                bad(q("{'a':{'" + op + "':{'x':1}}}"), op + " takes a string, number, boolean or null, got an object");
                bad(q("{'a':{'" + op + "':[1]}}"), op + " takes a string, number, boolean or null, got an array");
            }
            bad(q("{'a':[1,2]}"), "got an array");
        }

        @Test
        void whereMustBeAnObject() {
            bad(q("[]"), "where must be a JSON object");
            bad(q("'a'"), "where must be a JSON object");
            bad(q("{'or':{}}"), "non-empty array");
            bad(q("{'or':[]}"), "non-empty array");
            bad(q("{'or':[1]}"), "branch must be a JSON object");
        }

        @Test
        void nestedOr() {
            bad(q("{'or':[{'a':1},{'or':[{'b':1},{'c':1}]}]}"), "only at the top level");
        }

        @Test
        void tooManyTerms() throws Exception {
            String ok = IntStream.range(0, Where.MAX_TERMS)
                    .mapToObj(i -> "'f" + i + "':" + i)
                    .collect(Collectors.joining(",", "{", "}"));
            query(q(ok));
            String over = IntStream.range(0, Where.MAX_TERMS + 1)
                    .mapToObj(i -> "'f" + i + "':" + i)
                    .collect(Collectors.joining(",", "{", "}"));
            bad(q(over), "more than 64 conditions");
            // terms inside or branches count too
            String split = "{"
                    + IntStream.range(0, 40).mapToObj(i -> "'f" + i + "':" + i).collect(Collectors.joining(","))
                    + ",'or':[{"
                    + IntStream.range(0, 25).mapToObj(i -> "'g" + i + "':" + i).collect(Collectors.joining(","))
                    + "}]}";
            bad(q(split), "more than 64 conditions");
            // several operators on one field are several terms
            String ops = "{"
                    + IntStream.range(0, 33)
                            .mapToObj(i -> "'f" + i + "':{'gt':0,'lt':9}")
                            .collect(Collectors.joining(","))
                    + "}";
            bad(q(ops), "more than 64 conditions");
        }

        @Test
        void tooManyOrBranches() throws Exception {
            String ok = IntStream.range(0, Where.MAX_OR)
                    .mapToObj(i -> "{'a':" + i + "}")
                    .collect(Collectors.joining(",", "{'or':[", "]}"));
            query(q(ok));
            String over = IntStream.range(0, Where.MAX_OR + 1)
                    .mapToObj(i -> "{'a':" + i + "}")
                    .collect(Collectors.joining(",", "{'or':[", "]}"));
            bad(q(over), "17 branches; at most 16");
        }

        @Test
        void tooManyInValues() throws Exception {
            query(q("{'a':{'in':" + IntStream.range(0, Where.MAX_IN).boxed().toList() + "}}"));
            bad(
                    q("{'a':{'in':"
                            + IntStream.range(0, Where.MAX_IN + 1).boxed().toList() + "}}"),
                    "1001 values; at most 1000");
        }

        @Test
        void badFieldNames() {
            bad(q("{'':1}"), "field names must be 1..128");
            bad(q("{'" + "f".repeat(129) + "':1}"), "field names must be 1..128");
        }

        @Test
        void badOrder() throws Exception {
            String five = "[{'field':'a'},{'field':'b'},{'field':'c'},{'field':'d'},{'field':'e'}]";
            bad("{'table':'t','order':" + five + ",'limit':1}", "order has 5 keys; at most 4");
            bad("{'table':'t','order':[{'field':'a','dir':'up'}],'limit':1}", "dir must be \"asc\" or \"desc\"");
            bad("{'table':'t','order':[{'field':'a','dir':'DESC'}],'limit':1}", "dir must be");
            bad("{'table':'t','order':[{'field':'a','dir':null}],'limit':1}", "dir must be");
            bad("{'table':'t','order':[{'field':'a','dir':1}],'limit':1}", "dir must be");
            bad("{'table':'t','order':[{'field':'a'},{'field':'a','dir':'desc'}],'limit':1}", "names field 'a' twice");
            bad("{'table':'t','order':{'field':'a'},'limit':1}", "order must be an array");
            bad("{'table':'t','order':'a','limit':1}", "order must be an array");
            bad("{'table':'t','order':['a'],'limit':1}", "string \"field\"");
            bad("{'table':'t','order':[{'dir':'asc'}],'limit':1}", "string \"field\"");
            bad("{'table':'t','order':[{'field':'a','desc':true}],'limit':1}", "unknown member");
            bad("{'table':'t','order':[{'field':''}],'limit':1}", "1..128");
        }

        @Test
        void badCompactOrder() {
            for (String o : List.of("-a,a", "a,-a")) {
                assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, o, "1", null, null))
                                .getMessage())
                        .contains("twice");
            }
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, "a,b,c,d,e", "1", null, null))
                            .getMessage())
                    .contains("5 keys");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, "a,", "1", null, null))
                            .getMessage())
                    .contains("1..128");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, "-", "1", null, null))
                            .getMessage())
                    .contains("1..128");
        }

        @Test
        void unknownQueryMember() {
            bad("{'table':'t','limit':1,'filter':{}}", "unknown query member 'filter'");
            bad("{'table':'t','limit':1,'sort':[]}", "unknown query member 'sort'");
        }

        @Test
        void notAnObject() {
            fails(BAD_QUERY, () -> Query.parse(json("[]")));
            fails(BAD_QUERY, () -> Query.parse(json("\"t\"")));
            fails(BAD_QUERY, () -> Query.parse(null));
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "",
                    ",'limit':null",
                    ",'limit':'10'",
                    ",'limit':1.5",
                    ",'limit':10.0",
                    ",'limit':1e1",
                    ",'limit':true",
                    ",'limit':[10]",
                    ",'limit':3000000000",
                    ",'limit':99999999999999999999"
                })
        void missingOrNonIntegerLimit(String limit) {
            bad("{'table':'t'" + limit + "}", "limit must be an integer");
        }

        @ParameterizedTest
        @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
        void zeroOrNegativeLimit(int limit) {
            bad("{'table':'t','limit':" + limit + "}", "limit must be at least 1, got " + limit);
        }

        @ParameterizedTest
        @CsvSource(
                value = {"NULL", "''", "abc", "1.5", "0x10", "' 5'"},
                nullValues = "NULL")
        void badCompactLimit(String limit) {
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, null, limit, null, null))
                            .getMessage())
                    .contains("limit must be an integer");
        }

        @Test
        void compactLimitZeroOrNegative() {
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, null, "0", null, null))
                            .getMessage())
                    .contains("at least 1");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, null, "-3", null, null))
                            .getMessage())
                    .contains("at least 1");
        }

        @Test
        void badCompactWhere() {
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", "{status:1}", null, "1", null, null))
                            .getMessage())
                    .contains("where is not valid JSON");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", "{\"a\":1} x", null, "1", null, null))
                            .getMessage())
                    .contains("where is not valid JSON");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", "[1]", null, "1", null, null))
                            .getMessage())
                    .contains("where must be a JSON object");
        }

        @Test
        void bothAfterAndBefore() {
            bad("{'table':'t','limit':1,'after':'a','before':'b'}", "at most one of after and before");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams("t", null, null, "1", "a", "b"))
                            .getMessage())
                    .contains("at most one of after and before");
        }

        @Test
        void nonStringCursor() {
            bad("{'table':'t','limit':1,'after':5}", "query.after must be a cursor string");
            bad("{'table':'t','limit':1,'before':{}}", "query.before must be a cursor string");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Items", "1x", "_x", "x-y", "x y", "é", ""})
        void badTableName(String table) {
            bad("{'table':'" + table + "','limit':1}", "table names match");
            assertThat(fails(BAD_QUERY, () -> Query.fromParams(table, null, null, "1", null, null))
                            .getMessage())
                    .contains("table names match");
        }

        @Test
        void tableNameTooLongOrMissing() {
            bad("{'table':'" + "a".repeat(64) + "','limit':1}", "table names match");
            bad("{'limit':1}", "query.table must be a string");
            bad("{'table':5,'limit':1}", "query.table must be a string");
            fails(BAD_QUERY, () -> Query.table(null));
        }

        @Test
        void invalidInputNeverDefaultsSilently() {
            // a where member that is not an operator object but an empty object would otherwise match all
            bad(q("{'a':{}}"), "empty condition");
        }
    }

    // ---- matching semantics ---------------------------------------------------------------------

    @Nested
    class Matching {
        @Test
        void neMatchesMissingAndOtherKinds() throws Exception {
            String w = "{'s':{'ne':'x'}}";
            assertThat(matches(w, "{}")).isTrue();
            assertThat(matches(w, "{'s':null}")).isTrue();
            assertThat(matches(w, "{'s':1}")).isTrue();
            assertThat(matches(w, "{'s':{'o':1}}")).isTrue();
            assertThat(matches(w, "{'s':'y'}")).isTrue();
            assertThat(matches(w, "{'s':'x'}")).isFalse();
            assertThat(matches("{'n':{'ne':1}}", "{'n':1.0}")).as("1 == 1.0").isFalse();
            assertThat(matches("{'n':{'ne':null}}", "{}")).as("missing != null").isTrue();
        }

        @Test
        void eqIsExactOnNumbers() throws Exception {
            assertThat(matches("{'n':1}", "{'n':1.0}")).isTrue();
            assertThat(matches("{'n':1e0}", "{'n':1}")).isTrue();
            assertThat(matches("{'n':9007199254740993}", "{'n':9007199254740992}"))
                    .isFalse();
            assertThat(matches("{'n':1e400}", "{'n':1.0e400}")).isTrue();
            assertThat(matches("{'n':'1'}", "{'n':1}")).isFalse();
            assertThat(matches("{'n':true}", "{'n':1}")).isFalse();
        }

        @Test
        void rangeOperatorsAcrossKindsAreFalse() throws Exception {
            for (String op : List.of("lt", "lte", "gt", "gte")) {
                assertThat(matches("{'a':{'" + op + "':5}}", "{'a':'x'}"))
                        .as("%s number vs string", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':'m'}}", "{'a':3}"))
                        .as("%s string vs number", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':5}}", "{}"))
                        .as("%s vs missing", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':5}}", "{'a':null}"))
                        .as("%s vs null", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':5}}", "{'a':true}"))
                        .as("%s vs boolean", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':5}}", "{'a':[1]}"))
                        .as("%s vs array", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':5}}", "{'a':{'b':1}}"))
                        .as("%s vs object", op)
                        .isFalse();
                assertThat(matches("{'a':{'" + op + "':'z'}}", "{'a':null}"))
                        .as("%s str vs null", op)
                        .isFalse();
            }
        }

        @Test
        void rangeOperatorsWithinAKind() throws Exception {
            assertThat(matches("{'a':{'lt':5}}", "{'a':4.999}")).isTrue();
            assertThat(matches("{'a':{'lt':5}}", "{'a':5.0}")).isFalse();
            assertThat(matches("{'a':{'lte':5}}", "{'a':5.0}")).isTrue();
            assertThat(matches("{'a':{'gt':9007199254740992}}", "{'a':9007199254740993}"))
                    .isTrue();
            assertThat(matches("{'a':{'gte':'b'}}", "{'a':'b'}")).isTrue();
            assertThat(matches("{'a':{'gt':'b'}}", "{'a':'ba'}")).isTrue();
            assertThat(matches("{'a':{'lt':'\\uD83D\\uDE00'}}", "{'a':'\\uFFFD'}"))
                    .as("code point order")
                    .isTrue();
            assertThat(matches("{'a':{'gt':false}}", "{'a':true}"))
                    .as("booleans are one kind")
                    .isTrue();
            assertThat(matches("{'a':{'lt':true}}", "{'a':false}")).isTrue();
            assertThat(matches("{'a':{'gte':null}}", "{'a':null}")).isTrue();
        }

        @Test
        void prefixOnlyOnStrings() throws Exception {
            String w = "{'s':{'prefix':'ab'}}";
            assertThat(matches(w, "{'s':'abc'}")).isTrue();
            assertThat(matches(w, "{'s':'ab'}")).isTrue();
            assertThat(matches(w, "{'s':'a'}")).isFalse();
            assertThat(matches(w, "{'s':'xab'}")).isFalse();
            assertThat(matches(w, "{'s':'ABc'}")).isFalse();
            assertThat(matches("{'n':{'prefix':'12'}}", "{'n':123}")).isFalse();
            assertThat(matches(w, "{'s':['abc']}")).isFalse();
            assertThat(matches(w, "{}")).isFalse();
            assertThat(matches("{'s':{'prefix':''}}", "{'s':''}")).isTrue();
            assertThat(matches("{'s':{'prefix':''}}", "{'s':0}")).isFalse();
        }

        @Test
        void existsTrueAndFalse() throws Exception {
            assertThat(matches("{'a':{'exists':true}}", "{'a':0}")).isTrue();
            assertThat(matches("{'a':{'exists':true}}", "{'a':null}")).isTrue();
            assertThat(matches("{'a':{'exists':true}}", "{'a':{}}")).isTrue();
            assertThat(matches("{'a':{'exists':true}}", "{'b':1}")).isFalse();
            assertThat(matches("{'a':{'exists':false}}", "{'b':1}")).isTrue();
            assertThat(matches("{'a':{'exists':false}}", "{'a':false}")).isFalse();
        }

        @Test
        void inWithMixedTypes() throws Exception {
            String w = "{'v':{'in':['1',2,true,null,1e400]}}";
            assertThat(matches(w, "{'v':'1'}")).isTrue();
            assertThat(matches(w, "{'v':2}")).isTrue();
            assertThat(matches(w, "{'v':2.0}")).isTrue();
            assertThat(matches(w, "{'v':true}")).isTrue();
            assertThat(matches(w, "{'v':null}")).isTrue();
            assertThat(matches(w, "{'v':10e399}")).isTrue();
            assertThat(matches(w, "{'v':1}")).as("number 1 is not string '1'").isFalse();
            assertThat(matches(w, "{'v':'2'}")).isFalse();
            assertThat(matches(w, "{'v':false}")).isFalse();
            assertThat(matches(w, "{}")).as("missing is not null").isFalse();
            assertThat(matches(w, "{'v':[2]}")).isFalse();
            assertThat(matches("{'v':{'in':[]}}", "{'v':1}")).isFalse();
        }

        @Test
        void nestedValuesAreNotFilterable() throws Exception {
            assertThat(matches("{'o':{'eq':1}}", "{'o':{'eq':1}}"))
                    .as("object value is missing, not the operator")
                    .isFalse();
            assertThat(matches("{'o':null}", "{'o':{'x':1}}")).isFalse();
        }

        @Test
        void emptyWhereMatchesEverything() throws Exception {
            assertThat(matches("{}", "{}")).isTrue();
            assertThat(Where.parse(null).matches(obj("{'x':1}"))).isTrue();
        }
    }

    @Test
    void queryJsonIsNotRetained() throws Exception {
        ObjectNode q = obj("{'table':'t','where':{'a':{'in':[1,2]}},'order':[{'field':'p'}],'limit':5}");
        Shape before = Query.parse(q).shape();
        String canonical = before.toString();
        ((ArrayNode) q.get("where").get("a").get("in")).add(3);
        ((ObjectNode) q.get("order").get(0)).put("dir", "desc");
        assertThat(before.toString()).isEqualTo(canonical);
    }
}

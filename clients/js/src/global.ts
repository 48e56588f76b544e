// The script-tag build: `<script src="/v1/client/livequery.js">` defines `LiveQuery` (the class the
// demo and the docs use, with LiveQuery.apply for EventSource users) and `livequery` (everything).
import * as api from "./index.js";

const g = globalThis as any;
g.livequery = api;
g.LiveQuery = api.LiveQuery;

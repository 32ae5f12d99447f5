// otlp_collector.js: a minimal OTLP/HTTP JSON trace collector for tests, on
// 127.0.0.1. Every request it accepts is checked against the official
// OpenTelemetry JS serializer (@opentelemetry/otlp-transformer): each span
// received is rebuilt as an SDK span and serialized again; the two must
// agree field by field. Prints its port, then one line per request to
// --out: "ok spans=N names=a|b|..." or "mismatch: ...".
//
//   node otlp_collector.js [--fail-first N] [--out FILE]
// Stops by itself after 60 seconds.
'use strict';
const http = require('http');
const fs = require('fs');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
let failFirst = Number(opt('--fail-first', '0'));
const out = opt('--out', 'collector.log');
const log = (line) => fs.appendFileSync(out, line + '\n');

const nanos = (s) => {
  const n = BigInt(s);
  return [Number(n / 1000000000n), Number(n % 1000000000n)];
};
const attrValue = (v) => {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  throw new Error('unsupported attribute value ' + JSON.stringify(v));
};

// Our span, as the SDK's ReadableSpan the official serializer takes.
function sdkSpan(s, resource, scope) {
  const attributes = {};
  for (const a of s.attributes) attributes[a.key] = attrValue(a.value);
  const ctx = { traceId: s.traceId, spanId: s.spanId, traceFlags: 1 };
  return {
    name: s.name,
    kind: s.kind - 1, // OTLP kinds count from 1 (internal), the SDK's from 0
    spanContext: () => ctx,
    parentSpanContext: s.parentSpanId ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: 1 } : undefined,
    startTime: nanos(s.startTimeUnixNano),
    endTime: nanos(s.endTimeUnixNano),
    attributes,
    status: s.status,
    events: [], links: [],
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
    resource, instrumentationScope: scope, ended: true, duration: [0, 0],
  };
}

const norm = (a) => a.map((x) => ({ key: x.key, value: attrValue(x.value) }));

function check(body) {
  const req = JSON.parse(body);
  const rs = req.resourceSpans[0];
  const resAttrs = {};
  for (const a of rs.resource.attributes) resAttrs[a.key] = attrValue(a.value);
  const resource = { attributes: resAttrs };
  const ss = rs.scopeSpans[0];
  const ours = ss.spans;
  const ref = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(
    ours.map((s) => sdkSpan(s, resource, ss.scope)))).toString());
  const theirs = ref.resourceSpans[0].scopeSpans[0].spans;
  if (ref.resourceSpans[0].resource.attributes[0].key !== 'service.name') throw new Error('resource');
  if (theirs.length !== ours.length) throw new Error('span count');
  const ids = new Set(ours.map((s) => s.spanId));
  ours.forEach((s, i) => {
    const t = theirs[i];
    for (const k of ['traceId', 'spanId', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano']) {
      if (String(s[k]) !== String(t[k])) throw new Error(`span ${i} ${k}: ${s[k]} != ${t[k]}`);
    }
    if (JSON.stringify(norm(s.attributes)) !== JSON.stringify(norm(t.attributes))) throw new Error(`span ${i} attributes`);
    if (s.status.code !== t.status.code || (s.status.message || '') !== (t.status.message || '')) throw new Error(`span ${i} status`);
    if (s.parentSpanId && !ids.has(s.parentSpanId)) throw new Error(`span ${i} parent missing`);
    if (!/^[0-9a-f]{32}$/.test(s.traceId) || !/^[0-9a-f]{16}$/.test(s.spanId)) throw new Error(`span ${i} ids`);
    if (BigInt(s.endTimeUnixNano) < BigInt(s.startTimeUnixNano)) throw new Error(`span ${i} ends before it starts`);
  });
  return ours;
}

const server = http.createServer((rq, rs) => {
  let body = '';
  rq.on('data', (c) => { body += c; });
  rq.on('end', () => {
    if (rq.method !== 'POST' || rq.url !== '/v1/traces') { rs.writeHead(404); rs.end(); return; }
    if (failFirst > 0) { failFirst--; log('refused 503'); rs.writeHead(503, { 'Retry-After': '0' }); rs.end(); return; }
    try {
      if (rq.headers['content-type'] !== 'application/json') throw new Error('content-type ' + rq.headers['content-type']);
      const spans = check(body);
      fs.writeFileSync(out + '.json', body);
      log(`ok spans=${spans.length} auth=${rq.headers['x-api-key'] || ''} names=${spans.map((s) => s.name).join('|')}`);
      rs.writeHead(200, { 'Content-Type': 'application/json' });
      rs.end('{}');
    } catch (e) {
      log('mismatch: ' + e.message);
      rs.writeHead(400);
      rs.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
setTimeout(() => process.exit(0), 60000).unref();
process.on('SIGTERM', () => process.exit(0));

// gen.js: writes data/{invoice,api,thread}.json, each a JSON array of
// generated documents, about three in four valid. Deterministic (seeded), so
// every run and both validators see the same bytes.
'use strict';
const fs = require('fs');
const path = require('path');

let seed = 0x5eed1234;
function rnd() { // mulberry32
  seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const chance = (p) => rnd() < p;
const hex = (n) => Array.from({length: n}, () => '0123456789abcdef'[int(0, 15)]).join('');
const alnum = (n) => Array.from({length: n}, () => 'abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789'[int(0, 42)]).join('');
const words = ['consulting', 'widget', 'license', 'support', 'shipping', 'hardware', 'design', 'audit', 'training', 'hosting'];
const sentence = (n) => Array.from({length: n}, () => pick(words)).join(' ');
const pad = (n) => String(n).padStart(2, '0');
const date = () => `20${pad(int(10, 29))}-${pad(int(1, 12))}-${pad(int(1, 28))}`;
const dateTime = () => `${date()}T${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))}${pick(['Z', '+02:00', '-05:00', '.123Z'])}`;
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const cents = (a, b) => int(a * 100, b * 100) / 100;

// Breaks a document in one random place: the kinds of mistakes a model makes.
function mutate(doc, edits) { pick(edits)(doc); return doc; }

function address() {
  const a = {country: pick(['US', 'DE', 'FR', 'GB', 'JP'])};
  if (chance(0.8)) { a.street = `${int(1, 999)} Main St`; a.city = pick(['Berlin', 'Paris', 'Austin']); a.postal_code = String(int(10000, 99999)); }
  return a;
}
function party() {
  const p = {name: pick(['Acme Corp', 'Globex GmbH', 'Initech', 'Umbrella SA'])};
  if (chance(0.5)) p.tax_id = chance(0.8) ? `DE${int(100000000, 999999999)}` : null;
  if (chance(0.6)) p.email = `billing${int(1, 99)}@example.com`;
  if (chance(0.8)) p.address = address();
  return p;
}
function invoice() {
  const items = Array.from({length: int(1, 8)}, () => {
    const q = int(1, 20), up = cents(1, 500);
    const li = {description: sentence(int(1, 4)), quantity: q, unit_price: up, amount: Math.round(q * up * 100) / 100};
    if (chance(0.5)) li.sku = `SKU-${int(1000, 9999)}`;
    if (chance(0.7)) li.unit = pick(['pcs', 'h', 'kg', 'license']);
    if (chance(0.5)) li.tax_rate = pick([0, 0.07, 0.19, 0.2]);
    if (chance(0.6)) li.category = pick(['goods', 'services', 'shipping']);
    return li;
  });
  const subtotal = Math.round(items.reduce((s, li) => s + li.amount, 0) * 100) / 100;
  const tax = Math.round(subtotal * 0.19 * 100) / 100;
  const doc = {invoice_number: `INV-${int(1000, 99999999)}`, issue_date: date(), vendor: party(),
    currency: pick(['USD', 'EUR', 'GBP']), line_items: items, subtotal, tax,
    total: Math.round((subtotal + tax) * 100) / 100};
  if (chance(0.6)) doc.due_date = date();
  if (chance(0.7)) doc.customer = party();
  if (chance(0.5)) doc.payment_terms = pick(['net15', 'net30', 'net60']);
  if (chance(0.3)) doc.notes = chance(0.5) ? sentence(int(3, 12)) : null;
  if (chance(0.8)) doc.confidence = int(50, 100) / 100;
  return doc;
}
const invoiceEdits = [
  (d) => { delete d.total; },
  (d) => { d.currency = 'usd'; },
  (d) => { d.invoice_number = 'INV-12'; },
  (d) => { d.line_items[d.line_items.length - 1].quantity = 0; },
  (d) => { d.line_items[0].unit = 'box'; },
  (d) => { d.total = d.total + 0.001; },
  (d) => { d.vendor.address = {city: 'Paris'}; },
  (d) => { d.line_items[0].price = 3; },
  (d) => { d.confidence = 1.5; },
  (d) => { d.line_items = []; },
];

function apiEvent() {
  const lines = Array.from({length: int(1, 6)}, () => {
    const l = {product_id: uuid(), quantity: int(1, 5), price: {value: cents(1, 300), currency: 'EUR'}};
    if (chance(0.2)) l.discount = {value: cents(0, 10), currency: 'EUR'};
    if (chance(0.1)) l.gift = true;
    return l;
  });
  const customer = {id: `cus_${alnum(int(8, 20))}`, email: `user${int(1, 9999)}@mail.example.org`};
  if (chance(0.8)) customer.name = 'Ada Lovelace';
  if (chance(0.5)) customer.phone = `+${int(1, 9)}${int(1000000, 99999999)}`;
  if (chance(0.7)) customer.created_at = dateTime();
  if (chance(0.3)) customer.vip = chance(0.5);
  if (chance(0.6)) customer.tags = Array.from(new Set(Array.from({length: int(0, 5)}, () => pick(['new', 'returning', 'b2b', 'promo', 'eu', 'mobile']))));
  if (chance(0.8)) customer.shipping_address = {line1: `${int(1, 300)} Rue X`, city: 'Lyon', country: 'FR', postal_code: '69001'};
  if (chance(0.4) && customer.shipping_address) customer.billing_address = {line1: 'PO Box 1', city: 'Lyon', country: 'FR'};
  const payment = pick([
    () => ({method: 'card', last4: String(int(1000, 9999)), brand: pick(['visa', 'amex'])}),
    () => ({method: 'sepa', iban: `DE${int(10, 99)}${int(100000000, 999999999)}${int(1000000, 9999999)}`}),
    () => ({method: 'invoice', due_days: pick([14, 30])}),
  ])();
  const order = {id: `ord_${alnum(int(8, 20))}`, status: pick(['pending', 'paid', 'fulfilled']), lines,
    amount: {value: cents(10, 1000), currency: 'EUR'}, payment};
  if (chance(0.5)) { order.shipped_at = chance(0.7) ? dateTime() : null; order.tracking_url = `https://track.example.com/p/${alnum(10)}?ref=mail`; }
  const doc = {event_id: uuid(), type: pick(['order.created', 'order.updated', 'order.shipped']), occurred_at: dateTime(), customer, order};
  if (chance(0.7)) doc.version = int(1, 3);
  if (chance(0.5)) doc.source_ip = `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  if (chance(0.4)) doc.webhook_url = 'https://hooks.example.com/orders';
  if (chance(0.6)) doc.metadata = {channel: 'web', campaign_id: int(1, 999), ab_test: chance(0.5)};
  return doc;
}
const apiEdits = [
  (d) => { d.event_id = 'not-a-uuid'; },
  (d) => { d.occurred_at = d.occurred_at.slice(0, 10); },
  (d) => { d.customer.email = 'nobody.example.com'; },
  (d) => { d.order.lines[0].quantity = 0; },
  (d) => { d.order.lines[d.order.lines.length - 1].price.value = 1.234; },
  (d) => { d.order.payment = {method: 'card'}; },
  (d) => { d.metadata = {BadKey: 1}; },
  (d) => { d.order.status = 'lost'; },
  (d) => { d.customer.billing_address = {line1: 'x', city: 'y', country: 'FR'}; delete d.customer.shipping_address; },
  (d) => { d.source_ip = '300.1.1.1'; },
];

let nextId = 1;
function comment(depth) {
  const c = {id: nextId++, author: {id: int(1, 5000), handle: pick(['ada', 'linus_t', 'grace99', 'ken_t', 'dmr'])},
    body: sentence(int(2, 15)), created_at: dateTime()};
  if (chance(0.8)) c.score = int(-5, 500);
  if (chance(0.2)) c.edited = true;
  if (chance(0.1)) c.flags = [pick(['spam', 'off_topic'])];
  if (chance(0.3)) c.author.karma = int(0, 10000);
  if (depth < 5 && chance(0.75)) c.replies = Array.from({length: int(1, depth < 2 ? 4 : 2)}, () => comment(depth + 1));
  return c;
}
function deepest(c) { while (c.replies && c.replies.length) c = c.replies[c.replies.length - 1]; return c; }
const threadEdits = [
  (d) => { delete deepest(d).body; },
  (d) => { deepest(d).author.handle = 'Bad Handle'; },
  (d) => { deepest(d).score = 1.5; },
  (d) => { deepest(d).created_at = 'yesterday'; },
  (d) => { deepest(d).extra = true; },
  (d) => { deepest(d).flags = ['spam', 'spam']; },
];

function build(name, make, edits, n) {
  const docs = [];
  for (let i = 0; i < n; i++) {
    const d = make();
    docs.push(chance(0.25) ? mutate(d, edits) : d);
  }
  const dir = path.join(__dirname, 'data');
  fs.mkdirSync(dir, {recursive: true});
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(docs));
}

const n = Number(process.argv[2] || 4000);
build('invoice', invoice, invoiceEdits, n);
build('api', apiEvent, apiEdits, n);
build('thread', () => comment(0), threadEdits, n);

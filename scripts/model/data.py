#!/usr/bin/env python3
"""The demo model's synthetic task: short invoices -> JSON fields.

Every invoice is generated from a seed, so the same seed gives the same
documents on any machine. The answer quotes the document: `vendor`,
`invoice_no` and `due_date` are copied verbatim, `currency` is the ISO code
(a symbol such as "€" in the text must be mapped to "EUR"), and the three
amounts are the numbers as printed (two decimals, no thousands separator).

Each document has decoys a small model confuses: the customer's name beside
the vendor's, an issue date beside the due date, line-item amounts and a
subtotal beside the total, and several layouts and label wordings.

    python3 scripts/model/data.py --out build/model/data          # the splits
    python3 scripts/model/data.py --demo examples/local-invoices  # demo cases

Seeds: split `train` uses seed*1000+1, `val` seed*1000+2, `test` seed*1000+3
(default seed 9); the demo cases are the first N documents of `test`.
"""
import argparse
import datetime
import json
import os
import random

FIELDS = ["vendor", "invoice_no", "due_date", "currency", "subtotal", "tax", "total"]

# The instruction the model is trained on; the demo workflow's prompt is the
# same text (examples/local-invoices/flow.yaml), so keep them in step.
INSTRUCTION = ("Extract vendor, invoice_no, due_date, currency, subtotal, tax "
               "and total from the invoice as JSON.")

NAMES_A = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Alder", "Birchwood",
           "Crescent", "Harbor", "Juniper", "Kestrel", "Lumen", "Meridian",
           "Oakridge", "Pinecrest", "Quarry", "Redwood", "Summit", "Tidewater",
           "Vantage", "Willow", "Blue Heron", "Copperfield", "Driftwood",
           "Evergreen", "Foxglove", "Granite", "Highland", "Ironbridge",
           "Larkspur", "Millbrook", "Nettle", "Orchard", "Pemberton", "Riverside",
           "Silverline", "Thornbury", "Upland", "Westgate", "Yarrow", "Zenith",
           "Ashford", "Bramble", "Calder", "Dunmore", "Elmstead", "Fenwick"]
NAMES_B = ["Tools", "Traders", "Supplies", "Logistics", "Analytics", "Foods",
           "Print", "Labs", "Systems", "Textiles", "Consulting", "Freight",
           "Electric", "Media", "Software", "Builders", "Paper", "Optics",
           "Catering", "Security", "Studios", "Farms", "Motors", "Health"]
SUFFIXES = ["Ltd", "GmbH", "Inc.", "S.A.", "LLC", "B.V.", "AG", "plc", "Co.", ""]
STREETS = ["Harbour Road", "Main Street", "Station Lane", "Mill Way", "King Street",
           "Market Square", "Bridge Street", "Park Avenue", "Church Lane", "High Street"]
CITIES = ["Leith", "Springfield", "Bremen", "Lyon", "Utrecht", "Porto", "Graz",
          "Malmo", "Cork", "Basel", "Leeds", "Ghent"]
ITEMS = ["paper, A4 ream", "toner cartridge", "consulting hours", "desk chairs",
         "network switch", "delivery", "cleaning service", "software licence",
         "printed brochures", "safety boots", "coffee beans", "cable reels",
         "monitor arms", "training day", "storage boxes", "server rack rental"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK"]
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
TAX_RATES = [0, 5, 7, 10, 19, 20, 21, 25]


def company(rng):
    name = rng.choice(NAMES_A) + " " + rng.choice(NAMES_B)
    suffix = rng.choice(SUFFIXES)
    return name + (" " + suffix if suffix else "")


def invoice_number(rng):
    d = lambda n: "".join(rng.choice("0123456789") for _ in range(n))
    form = rng.randrange(5)
    if form == 0:
        return "INV-" + d(5)
    if form == 1:
        return "20" + d(2) + "-" + d(4)
    if form == 2:
        return rng.choice("ABCDEFGHKMNPRSTX") + d(1) + "-" + d(4)
    if form == 3:
        return "F/" + "20" + d(2) + "/" + d(3)
    return d(6)


def date_text(day, form):
    if form == 0:
        return day.isoformat()
    if form == 1:
        return "%02d.%02d.%d" % (day.day, day.month, day.year)
    if form == 2:
        return "%d %s %d" % (day.day, MONTHS[day.month - 1], day.year)
    return "%s %d, %d" % (MONTHS[day.month - 1], day.day, day.year)


def money(rng, cur, amount):
    """An amount as printed with its currency, in one of the layouts."""
    a = "%.2f" % amount
    form = rng.randrange(3)
    if form == 0 and cur in SYMBOLS:
        return SYMBOLS[cur] + a
    if form == 1:
        return cur + " " + a
    return a + " " + cur


def split_amount(rng, total_cents, n):
    """n positive line amounts (cents) that sum to total_cents."""
    if n == 1 or total_cents < 100 * n:
        return [total_cents]
    cuts = sorted(rng.sample(range(1, total_cents), n - 1))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [total_cents])]
    return parts if min(parts) > 0 else [total_cents]


def make_invoice(rng):
    """One document and its answer (a dict in FIELDS order)."""
    vendor = company(rng)
    customer = company(rng)
    while customer == vendor:
        customer = company(rng)
    number = invoice_number(rng)
    issued = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(730))
    due = issued + datetime.timedelta(days=rng.choice([7, 14, 30, 45, 60]))
    dform = rng.randrange(4)
    issued_s, due_s = date_text(issued, dform), date_text(due, dform)
    cur = rng.choice(CURRENCIES)
    sub_c = rng.randrange(2000, 1000000)
    rate = rng.choice(TAX_RATES)
    tax_c = (sub_c * rate + 50) // 100
    total_c = sub_c + tax_c
    sub, tax, total = sub_c / 100, tax_c / 100, total_c / 100
    lines = split_amount(rng, sub_c, rng.randint(1, 3))
    items = rng.sample(ITEMS, len(lines))
    address = "%d %s, %s" % (rng.randint(1, 99), rng.choice(STREETS), rng.choice(CITIES))

    layout = rng.randrange(3)
    out = []
    if layout == 0:
        out.append(rng.choice(["INVOICE", "Invoice", "TAX INVOICE"]) + " " + number)
        out.append(vendor + ", " + address)
        out.append("Date: %s   %s: %s" % (issued_s, rng.choice(["Due", "Due date", "Pay by"]), due_s))
        out.append(rng.choice(["Bill to", "Customer", "Sold to"]) + ": " + customer)
        for it, c in zip(items, lines):
            out.append("  %s ........ %.2f" % (it, c / 100))
        out.append("Subtotal: %.2f" % sub)
        out.append("%s %d%%: %.2f" % (rng.choice(["VAT", "Tax", "Sales tax"]), rate, tax))
        out.append("%s: %s" % (rng.choice(["TOTAL DUE", "Total", "Amount due"]), money(rng, cur, total)))
    elif layout == 1:
        out.append(vendor)
        out.append(address)
        out.append("Invoice number: " + number)
        out.append("Invoice date: " + issued_s)
        out.append("Customer: " + customer)
        out.append("Description | Amount")
        for it, c in zip(items, lines):
            out.append("%s | %.2f" % (it, c / 100))
        out.append("Net amount: " + money(rng, cur, sub))
        out.append("Tax (%d%%): %s" % (rate, money(rng, cur, tax)))
        out.append("%s: %s" % (rng.choice(["Amount payable", "Balance due", "Total"]), money(rng, cur, total)))
        out.append("Payment due by %s." % due_s)
    else:
        out.append("From: %s, %s" % (vendor, address))
        out.append("To: " + customer)
        out.append("Ref %s, issued %s" % (number, issued_s))
        for it, c in zip(items, lines):
            out.append("- %s: %.2f" % (it, c / 100))
        out.append("Net %.2f, tax %.2f, total %s, payable by %s" % (sub, tax, money(rng, cur, total), due_s))
    text = "\n".join(out) + "\n"
    answer = {"vendor": vendor, "invoice_no": number, "due_date": due_s, "currency": cur,
              "subtotal": sub, "tax": tax, "total": total}
    return text, answer


def answer_json(answer):
    """The answer as the model writes it: one line, FIELDS order, amounts
    with two decimals (valid JSON numbers)."""
    parts = []
    for k in FIELDS:
        v = answer[k]
        parts.append('"%s": %s' % (k, "%.2f" % v if isinstance(v, float)
                                   else json.dumps(v, ensure_ascii=False)))
    return "{" + ", ".join(parts) + "}"


def prompt_text(document):
    """The user message: the instruction and the document (the same text as
    the demo workflow's prompt after its template is filled in)."""
    return INSTRUCTION + "\nInvoice:\n" + document + "\nJSON:"


def split(seed, name, n):
    rng = random.Random(seed * 1000 + {"train": 1, "val": 2, "test": 3}[name])
    return [make_invoice(rng) for _ in range(n)]


def field_matches(answer, got):
    """Per field: does the model's value equal the expected one? Amounts
    compare as numbers (to the cent), the rest as exact strings."""
    res = {}
    for k in FIELDS:
        want, have = answer[k], got.get(k) if isinstance(got, dict) else None
        if isinstance(want, float):
            res[k] = isinstance(have, (int, float)) and not isinstance(have, bool) \
                and abs(have - want) < 0.005
        else:
            res[k] = have == want
    return res


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--out", help="folder for train/val/test JSONL")
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--val", type=int, default=500)
    ap.add_argument("--test", type=int, default=500)
    ap.add_argument("--demo", help="folder for the demo's cases.jsonl and expected.jsonl")
    ap.add_argument("-n", type=int, default=40, help="demo documents (default 40)")
    a = ap.parse_args()
    if not a.out and not a.demo:
        ap.error("give --out and/or --demo")
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        for name, n in (("train", a.train), ("val", a.val), ("test", a.test)):
            rows = [{"document": d, "answer": answer_json(ans)} for d, ans in split(a.seed, name, n)]
            write_jsonl(os.path.join(a.out, name + ".jsonl"), rows)
    if a.demo:
        os.makedirs(a.demo, exist_ok=True)
        docs = split(a.seed, "test", a.n)
        write_jsonl(os.path.join(a.demo, "cases.jsonl"),
                    [{"name": "doc-%03d" % i, "inputs": {"invoice": d}} for i, (d, _) in enumerate(docs)])
        write_jsonl(os.path.join(a.demo, "expected.jsonl"),
                    [{"name": "doc-%03d" % i, "expected": json.loads(answer_json(ans))}
                     for i, (_, ans) in enumerate(docs)])


if __name__ == "__main__":
    main()

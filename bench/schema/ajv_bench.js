// ajv_bench.js: the same measurement as bench_schema.c, with ajv 8.
//
//     node ajv_bench.js SCHEMA.json DATA.json [RUNS]
//
// Ajv2020 (draft 2020-12), compiled once, allErrors false, strict false,
// formats asserted through ajv-formats. Prints one line of key=value pairs.
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const [schemaPath, dataPath, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const docs = JSON.parse(fs.readFileSync(dataPath, 'utf8'));
const texts = docs.map((d) => JSON.stringify(d));

// multipleOfPrecision: without it ajv rejects 0.07 as a multiple of 0.01
// (float division), and the verdicts would not match.
const ajv = new Ajv2020({allErrors: false, strict: false, multipleOfPrecision: 9});
addFormats(ajv);
const validate = ajv.compile(schema);

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (v) => { v.sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };

function passValidate() { let ok = 0; for (let i = 0; i < docs.length; i++) if (validate(docs[i])) ok++; return ok; }
function passParse() { let ok = 0; for (let i = 0; i < texts.length; i++) if (validate(JSON.parse(texts[i]))) ok++; return ok; }

function measure(pass) {
  for (let i = 0; i < 3; i++) pass(); // let V8 optimise first
  let t = now(); pass(); t = now() - t;
  const reps = Math.floor(0.3 / t) + 1;
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    for (let k = 0; k < reps; k++) pass();
    rates.push(docs.length * reps / (now() - t0));
  }
  return median(rates);
}

const valid = passValidate();
const v = measure(passValidate);
const p = measure(passParse);
console.log(`docs=${docs.length} valid=${valid} validate_per_s=${v.toFixed(0)} parse_validate_per_s=${p.toFixed(0)}`);

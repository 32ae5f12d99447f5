// browser.cjs: the review desk in a real browser. Debian's chromium, driven
// headless by playwright-core: sign in with the token address, see planted
// script stay text (no dialog, no script or img element, no request for the
// planted image), refuse a forged form (a wrong CSRF token, and a form posted
// from another origin), approve a waiting run and see it shipped.
// Open a run's trace waterfall, an artifact's why page with a retrieved
// document (planted markup in it) marked, and a saved eval report. Screenshots of the main pages go to
// $SHOTS.
//   node browser.cjs PLAYWRIGHT_DIR BASE URL RUN_TO_APPROVE OTHER_RUN
//                    RETRIEVE_RUN ITS_ARTIFACT
'use strict';
const path = require('path');
const http = require('http');
const { chromium } = require(path.join(process.argv[2], 'node_modules', 'playwright-core'));
const [base, url, runA, runB, runR, hashR] = process.argv.slice(3);
const shots = process.env.SHOTS;
let failures = 0;
const ok = (cond, what) => {
  console.log(`${cond ? 'ok' : 'FAIL'}: ${what}`);
  if (!cond) failures++;
};

// A page on another origin (another port of 127.0.0.1: the same site, so the
// SameSite cookie goes along) that posts the approval form to the desk.
function attacker(csrf) {
  const page = `<!doctype html><form id="f" method="post" action="${base}/runs/${runA}/decide">
<input name="csrf" value="${csrf}"><input name="step" value="review">
<input name="reviewer" value="mallory"><input name="decision" value="approve">
<button id="go">win a prize</button></form>`;
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(page);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  let dialogs = 0, plantedFetches = 0, pageErrors = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  page.on('pageerror', () => { pageErrors++; });
  context.on('request', (r) => { if (/\/x$/.test(new URL(r.url()).pathname)) plantedFetches++; });
  page.setDefaultTimeout(20000);

  // Without the token: refused.
  let resp = await page.goto(`${base}/queue`);
  ok(resp.status() === 401, `no token: HTTP ${resp.status()}`);
  await page.screenshot({ path: `${shots}/sign-in-needed.png` });

  // The address printed at start-up signs in and drops the token.
  resp = await page.goto(url);
  ok(resp.status() === 200 && !page.url().includes('token='), `signed in at ${page.url()}`);
  ok((await page.locator('table tbody tr').count()) >= 3, 'the runs list has rows');
  await page.screenshot({ path: `${shots}/runs.png`, fullPage: true });

  // The queue: planted markup is shown as text, never run.
  await page.goto(`${base}/queue`);
  const card = page.locator(`section#run-${runA}`);
  const text = await card.locator('pre.artifact').innerText();
  ok(text.includes('<script>alert(1)</script><img src=x onerror=alert(2)>'),
     'the planted markup reads as text');
  ok((await page.locator('script').count()) === 0, 'no script element on the page');
  ok((await page.locator('main img').count()) === 0, 'no img element on the page');
  await page.screenshot({ path: `${shots}/queue.png`, fullPage: true });

  // A forged form: a wrong CSRF token in the real page.
  await card.locator('input[name=reviewer]').fill('carol');
  await card.locator('input[name=csrf]').evaluate((e) => { e.value = 'f'.repeat(64); });
  resp = await Promise.all([page.waitForNavigation(),
                            card.locator('button.approve').click()]).then((a) => a[0]);
  ok(resp.status() === 403, `a wrong CSRF token: HTTP ${resp.status()}`);
  await page.screenshot({ path: `${shots}/forged-form-refused.png` });

  // A form posted from another origin, even with the right CSRF token.
  await page.goto(`${base}/queue`);
  const csrf = await page.locator(`section#run-${runA} input[name=csrf]`).inputValue();
  const srv = await attacker(csrf);
  const evil = await context.newPage();
  await evil.goto(`http://127.0.0.1:${srv.address().port}/`);
  resp = await Promise.all([evil.waitForNavigation(), evil.click('#go')]).then((a) => a[0]);
  ok(resp.status() === 403, `a form from another origin, with the right CSRF token: ` +
     `HTTP ${resp.status()}`);
  ok((await evil.locator('main').innerText()).includes('did not come from this server'),
     'refused for its origin (the session cookie went along)');
  await evil.close();
  srv.close();

  // The real approval.
  await page.goto(`${base}/queue`);
  const real = page.locator(`section#run-${runA}`);
  await real.locator('input[name=reviewer]').fill('carol');
  await real.locator('textarea[name=note]').fill('checked in the browser');
  resp = await Promise.all([page.waitForNavigation(),
                            real.locator('button.approve').click()]).then((a) => a[0]);
  ok(resp.status() === 200 && page.url().endsWith(`/runs/${runA}?decided=approved`),
     `approved: HTTP ${resp.status()} at ${page.url()}`);
  if (resp.status() !== 200) console.log(await page.locator('main').innerText());
  const body = await page.locator('main').innerText();
  ok(body.includes('Your decision was recorded'), 'the decision is confirmed');
  ok((await page.locator('h1 .badge').innerText()) === 'done', 'the run is done');
  ok((await page.locator('td .badge.b-shipped').count()) >= 1, 'its artifact is shipped');
  ok(body.includes('human:carol'), 'the ledger names the reviewer');
  await page.screenshot({ path: `${shots}/run-approved.png`, fullPage: true });

  // The other planted run's page, and the failures dashboard.
  await page.goto(`${base}/runs/${runB}`);
  ok((await page.locator('pre.artifact').innerText()).includes('onerror=alert(2)'),
     'the run page shows the planted markup as text');
  await page.screenshot({ path: `${shots}/run-waiting.png`, fullPage: true });
  await page.goto(`${base}/failures`);
  ok((await page.locator('main').innerText()).includes('schema_invalid'),
     'the failures dashboard counts schema_invalid');
  await page.screenshot({ path: `${shots}/failures.png`, fullPage: true });

  // The trace waterfall: nested bars on one scale.
  await page.goto(`${base}/runs/${runR}#trace`);
  const bars = page.locator('table.trace svg.bar rect');
  ok((await bars.count()) >= 5, `the trace draws a bar per span (${await bars.count()})`);
  const runBar = await bars.first().boundingBox();
  const callBar = await page.locator('table.trace rect.k-call').first().boundingBox();
  ok(runBar && callBar && runBar.width > 200 && callBar.width > 0 &&
     callBar.width < runBar.width && callBar.x >= runBar.x,
     'the call bar lies within the run bar on the same scale');
  await page.locator('#trace').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/trace.png`, fullPage: true });

  // The why page: the chain of custody, the retrieved span marked.
  await page.goto(`${base}/artifact/${hashR}`);
  const why = await page.locator('main').innerText();
  ok(why.includes('Prompt, exactly as sent') && why.includes('When are refunds paid?'),
     'the why page shows the exact prompt');
  const marked = await page.locator('pre.doc mark').innerText();
  ok(marked.includes('Refunds are paid within fourteen days.') &&
     marked.includes('<script>alert(3)</script><img src=x onerror=alert(4)>'),
     'the retrieved span is marked, its planted markup as text');
  const quoted = await page.locator('pre.doc mark strong.quote').allInnerTexts();
  ok(quoted.length === 1 && quoted[0] === 'fourteen days',
     `what the answer quotes is in bold within the span (${JSON.stringify(quoted)})`);
  ok((await page.locator('script').count()) === 0 && (await page.locator('main img').count()) === 0,
     'no script or img element on the why page');
  await page.screenshot({ path: `${shots}/why.png`, fullPage: true });

  // The approved artifact's why page names the reviewer.
  await page.goto(`${base}/runs/${runA}`);
  await Promise.all([page.waitForNavigation(), page.locator('a[href^="/artifact/"]').first().click()]);
  ok((await page.locator('main').innerText()).includes('human:carol'),
     'the approved artifact\'s chain names the reviewer');
  await page.screenshot({ path: `${shots}/why-approved.png`, fullPage: true });

  // Evals: a saved report with planted markup.
  await page.goto(`${base}/evals`);
  ok((await page.locator('main').innerText()).includes('<script>alert(5)</script>'),
     'the Evals page lists the report, its planted suite name as text');
  await page.screenshot({ path: `${shots}/evals.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.locator('a[href="/evals/planted.json"]').click()]);
  const rep = await page.locator('main').innerText();
  ok(rep.includes('<img src=x onerror=alert(6)>') && rep.includes('pass@1 0.667'),
     'the report page shows its figures, the planted case name as text');
  ok((await page.locator('script').count()) === 0 && (await page.locator('main img').count()) === 0,
     'no script or img element on the report page');
  await page.screenshot({ path: `${shots}/eval-report.png`, fullPage: true });

  await page.waitForTimeout(300);
  ok(dialogs === 0, `no dialog opened (${dialogs})`);
  ok(plantedFetches === 0, `the planted image was never fetched (${plantedFetches})`);
  ok(pageErrors === 0, `no script error (${pageErrors})`);
  await browser.close();
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log(`FAIL: ${e.stack || e}`); process.exit(1); });

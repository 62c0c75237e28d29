// The dashboard e2e's browser half: real headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core. dashboard_test.go starts the cluster, the controller and
// `kubectl serin dashboard`, runs this with the URLs in the environment, and checks the
// JSON it prints on stdout; any failed wait throws and exits non-zero.
//
//   DASHBOARD_URL  http://localhost:<port>/   the dashboard under test
//   READONLY_URL   the same cluster served with --read-only
//   ATTACKER_URL   a page on another origin that tries to act on the dashboard
//   NAMESPACE      where Rollout "web" is paused at step 1 of 6
//   SCREENSHOTS    where the screenshots go
'use strict';
const { chromium } = require('playwright-core');

const env = process.env;
const url = new URL(env.DASHBOARD_URL);
const ns = env.NAMESPACE;
const shots = env.SCREENSHOTS;
const long = 60000;
const log = (msg) => console.error(`browser: ${msg}`);

// waitText waits until the element with data-testid id shows exactly text.
function waitText(page, id, text, timeout = 15000) {
  const exact = new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*$`);
  log(`waiting for ${id} = ${text}`);
  return page.locator(`[data-testid="${id}"]`, { hasText: exact }).waitFor({ timeout });
}

// forbidden: the dashboard runs as a user who may read but not patch Rollouts; Promote
// must show the API server's reason in the page.
async function forbidden(ctx, result) {
  const page = await ctx.newPage();
  await page.goto(`${url.origin}/#/rollouts/${ns}/web`);
  await waitText(page, 'step', '1/6', long);
  await page.getByRole('button', { name: 'Promote', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm promote' }).click();
  await page.getByRole('alert').filter({ hasText: 'forbidden' }).waitFor({ timeout: 15000 });
  result.forbiddenAlert = await page.getByRole('alert').innerText();
  await page.screenshot({ path: `${shots}/detail-forbidden.png` });
}

async function scenario(ctx, result) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && log(`console: ${m.text()}`));

  log(`open ${url}`);
  await page.goto(url.href);
  const row = page.getByTestId(`row-${ns}/web`);
  await row.filter({ hasText: 'Paused' }).waitFor({ timeout: long });
  result.listRow = (await row.innerText()).replace(/\s+/g, ' ').trim();
  await page.screenshot({ path: `${shots}/list.png` });

  log('open the paused rollout');
  await row.getByRole('link', { name: 'web' }).click();
  await waitText(page, 'step', '1/6');
  await waitText(page, 'actual-weight', '20%', long);
  result.currentStep = await page.locator('[aria-current="step"]').innerText();
  const chart = page.getByRole('img', { name: /^error-rate:/ });
  await chart.waitFor({ timeout: long });
  result.analysis = {
    points: await chart.locator('circle').count(),
    thresholds: await chart.getByTestId('threshold').count(),
    label: await chart.getAttribute('aria-label'),
  };
  await page.evaluate(() => { window.__serinSamePage = true; });
  await page.screenshot({ path: `${shots}/detail-paused.png`, fullPage: true });

  log('promote');
  await page.getByRole('button', { name: 'Promote', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm promote' }).click();
  await waitText(page, 'step', '3/6', long);
  await waitText(page, 'actual-weight', '50%', long);
  result.promoteFeedback = await page.getByTestId('action-feedback').innerText();
  result.samePageAfterPromote = await page.evaluate(() => window.__serinSamePage === true);
  await page.screenshot({ path: `${shots}/detail.png` });

  log('a page on another origin posts to the dashboard');
  const evil = await ctx.newPage();
  const target = `${url.origin}/api/rollouts/${ns}/web/promote-full`;
  await evil.goto(`${env.ATTACKER_URL}?target=${encodeURIComponent(target)}`);
  await evil.waitForFunction(() => document.title === 'done', null, { timeout: 15000 });
  result.attacker = await evil.evaluate(() => window.result);
  await evil.close();

  log('the dashboard under another host name (DNS rebinding)');
  const rebind = await ctx.newPage();
  const resp = await rebind.goto(`http://rebind.test:${url.port}/api/rollouts`);
  result.rebindStatus = resp.status();
  result.rebindBody = await resp.text();
  await rebind.close();

  // Nothing the attacker sent had an effect: still paused at step 3.
  await waitText(page, 'step', '3/6');

  log('abort');
  await page.getByRole('button', { name: 'Abort', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm abort' }).click();
  await waitText(page, 'actual-weight', '0%', long);
  await page.locator('.detail-head .badge', { hasText: /^Degraded$/ }).waitFor({ timeout: long });
  result.abortFeedback = await page.getByTestId('action-feedback').innerText();
  result.statusLine = await page.getByTestId('status-line').innerText();
  result.samePageAfterAbort = await page.evaluate(() => window.__serinSamePage === true);
  await page.screenshot({ path: `${shots}/detail-aborted.png`, fullPage: true });

  log('narrow window');
  await page.setViewportSize({ width: 420, height: 900 });
  await page.screenshot({ path: `${shots}/detail-narrow.png` });
  result.narrowOverflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);

  log('keyboard: Tab reaches the first action button');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${url.origin}/#/rollouts/${ns}/web`);
  await page.locator('.detail-head .badge', { hasText: /^Degraded$/ }).waitFor({ timeout: long });
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => document.activeElement?.textContent ?? '');
    if (label === 'Retry') {
      result.keyboardReachesRetry = true;
      break;
    }
  }

  log('read-only dashboard');
  const ro = await ctx.newPage();
  await ro.goto(`${env.READONLY_URL}#/rollouts/${ns}/web`);
  await ro.locator('.detail-head .badge', { hasText: /^Degraded$/ }).waitFor({ timeout: long });
  result.readOnlyButtons = await ro.getByRole('button').count();
  result.readOnlyBadge = await ro.locator('.badge.readonly').count();
  await ro.close();
}

// blueGreen: Rollout "web" is blue-green, paused before promotion with revision 1 on the
// active Service and revision 2 on the preview; Promote must switch active to revision 2
// in the open page, without a reload.
async function blueGreen(ctx, result) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  const cards = async () => (await page.locator('.revision h3').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

  await page.goto(url.href);
  const row = page.getByTestId(`row-${ns}/web`);
  await row.filter({ hasText: 'Paused' }).waitFor({ timeout: long });
  result.listRow = (await row.innerText()).replace(/\s+/g, ' ').trim();
  await page.screenshot({ path: `${shots}/list-bluegreen.png` });

  await row.getByRole('link', { name: 'web' }).click();
  await waitText(page, 'active-revision', 'revision 1', long);
  await waitText(page, 'preview-revision', 'revision 2', long);
  await waitText(page, 'stage', 'paused', long);
  result.statusLine = await page.getByTestId('status-line').innerText();
  result.currentStage = await page.locator('[aria-current="step"]').innerText();
  result.timelines = await page.getByTestId('timeline').count();
  result.weights = await page.getByTestId('actual-weight').count();
  result.revisionsPaused = await cards();
  await page.evaluate(() => { window.__serinSamePage = true; });
  await page.screenshot({ path: `${shots}/detail-bluegreen-paused.png`, fullPage: true });

  log('promote');
  await page.getByRole('button', { name: 'Promote', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm promote' }).click();
  await waitText(page, 'active-revision', 'revision 2', long);
  result.promoteFeedback = await page.getByTestId('action-feedback').innerText();
  await waitText(page, 'stage', 'stable', long);
  result.revisionsPromoted = await cards();
  result.samePageAfterPromote = await page.evaluate(() => window.__serinSamePage === true);
  await page.screenshot({ path: `${shots}/detail-bluegreen-promoted.png`, fullPage: true });
}

// reconnect: the test stops the dashboard under the open page and starts another on the
// same port; the page must say so and come back live by itself, without a reload.
async function reconnect(ctx, result) {
  const lines = require('readline').createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const page = await ctx.newPage();
  await page.goto(url.href);
  const row = page.getByTestId(`row-${ns}/web`);
  await row.filter({ hasText: 'Healthy' }).waitFor({ timeout: long });
  await waitText(page, 'connection', 'live');
  await page.evaluate(() => { window.__serinSamePage = true; });
  console.log('stop-dashboard');
  await waitText(page, 'connection', 'reconnecting…', long);
  console.log('saw-reconnecting');
  const next = await lines.next();
  if (next.value !== 'restarted') throw new Error(`test said ${next.value}`);
  await row.filter({ hasText: 'Paused' }).waitFor({ timeout: long });
  await waitText(page, 'connection', 'live');
  result.row = (await row.innerText()).replace(/\s+/g, ' ').trim();
  result.samePage = await page.evaluate(() => window.__serinSamePage === true);
  process.stdin.destroy();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // rebind.test resolves to 127.0.0.1: a DNS-rebinding page reaching the dashboard.
    args: ['--no-sandbox', '--host-resolver-rules=MAP rebind.test 127.0.0.1'],
  });
  const result = {};
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    if (env.MODE === 'forbidden') {
      await forbidden(ctx, result);
    } else if (env.MODE === 'bluegreen') {
      await blueGreen(ctx, result);
    } else if (env.MODE === 'reconnect') {
      await reconnect(ctx, result);
    } else {
      await scenario(ctx, result);
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

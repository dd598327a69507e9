import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { start as startConsole, ConsoleApp } from '../../apps/console/src/service';
import { ARTIFACTS, launchChromium } from '../support/chromium';
import { TestOidcProvider, signingKey } from '../support/oidc-provider';
import { bearer, eventually, KEYS, startStack, Stack } from '../support/stack';

const SHOTS = path.join(ARTIFACTS, 'console');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/**
 * Issue 21: the staff and DPO console in the real headless Chromium against the real stack (four services on the
 * shared Kafka and FerretDB) and a real OpenID Connect provider on loopback. Each page is scanned with axe-core
 * and saved as a screenshot under test-artifacts/console/.
 */
describe('console: staff and DPO pages in headless Chromium', () => {
  const provider = new TestOidcProvider();
  let stack: Stack;
  let consoleApp: ConsoleApp;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    await provider.start();
    provider.keys = [await signingKey('console-key-1')];
    // Customers last: it gathers `GET /v1/audit?subject=` from the other three, so it needs their addresses.
    stack = await startStack(['consents', 'directory-bans', 'suppression', 'customers'], provider.env());
    consoleApp = await startConsole(0);
    url = consoleApp.url;
    browser = await launchChromium('the console', () => [url, provider.issuer]);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // A Finnish desk: the console takes its first language from the browser's.
    await page.setExtraHTTPHeaders({ 'accept-language': 'fi-FI,fi;q=0.9,en;q=0.5' });
    page.setDefaultTimeout(10_000);
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await consoleApp?.app.close();
    await stack?.close();
    await provider.close();
  });

  /** No serious or critical accessibility violation, a screenshot, no personal data in the URL or title. */
  const check = async (name: string, personal: string[] = []) => {
    await page.evaluate(AXE_SOURCE);
    const violations: AxeViolation[] = await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
    );
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(5_000);
    const title = await page.title();
    for (const value of personal) {
      expect(page.url()).not.toContain(value);
      expect(page.url()).not.toContain(encodeURIComponent(value));
      expect(title).not.toContain(value);
    }
  };

  const signInWithKey = async (key: string) => {
    await page.goto(`${url}/login`);
    await page.getByLabel(/API/).fill(key);
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: /Kirjaudu avaimella|Sign in with the key|Logga in med nyckeln/ }).click(),
    ]);
  };

  const signOut = async () => {
    await Promise.all([
      page.waitForURL(/\/login$/),
      page.getByRole('button', { name: /Kirjaudu ulos|Sign out|Logga ut/ }).click(),
    ]);
  };

  const cell = (channel: string, purpose: string) =>
    page.locator(`#matrix td[data-channel="${channel}"][data-purpose="${purpose}"]`);

  const createCustomer = async (name: string, email: string, activeContract = true) => {
    const res = await request(stack.urls.customers)
      .post('/v1/customers')
      .set(bearer('staff'))
      .send({ kind: 'person', name, emails: [email], activeContract });
    expect(res.status).toBe(201);
    return res.body as { id: string; customerNumber: string };
  };

  /** Polls suppression until it answers `decision` for own marketing on `channel` (it learns from Kafka). */
  const untilDecision = (customerId: string, channel: string, decision: 'allow' | 'suppress', what: string) =>
    eventually(
      async () => {
        const res = await request(stack.urls.suppression)
          .get('/v1/suppression/check')
          .query({ channel, purpose: 'own-marketing', customerId })
          .set(bearer('staff'));
        return res.status === 200 && res.body.decision === decision;
      },
      20_000,
      what,
    );

  it('refuses a marketing key with a 403 page, and a wrong key on the sign-in page', async () => {
    await page.goto(`${url}/login`);
    expect(await page.locator('html').getAttribute('lang')).toBe('fi');
    await check('sign-in');
    await signInWithKey(KEYS.marketing);
    expect(await page.locator('h1').textContent()).toBe('Ei käyttöoikeutta');
    await check('forbidden');
    await signInWithKey('not-a-key-at-all');
    expect(await page.getByRole('alert').textContent()).toBe('Avainta ei hyväksytty.');
  });

  it('staff: sign in, find a customer, record a prohibition and see the matrix suppress, set a ban, open a request, erasure refused in words, sign out', async () => {
    const email = `console.${randomUUID().slice(0, 8)}@example.fi`;
    const name = 'Kaisa Konsoli';
    const customer = await createCustomer(name, email);
    await untilDecision(customer.id, 'email', 'allow', 'suppression knows the customer');

    await signInWithKey(KEYS.staff);
    expect(page.url()).toBe(`${url}/search`);
    const cookies = await browser.context.cookies(url);
    expect(cookies.find((c) => c.name === 'kielto-console')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await check('search');

    // Find by e-mail: the address goes in a POST body; the results show name and customer number only.
    await page.getByLabel('Sähköpostiosoite').fill(email);
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Hae', exact: true }).first().click(),
    ]);
    const rows = page.locator('#results-heading + table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').allTextContents()).toEqual([
      name,
      customer.customerNumber,
      `Avaa ${customer.customerNumber}`,
    ]);
    await check('search-results', [email]);

    // The person's page, opened by keyboard.
    await page.getByRole('link', { name: `Avaa ${customer.customerNumber}` }).focus();
    await Promise.all([page.waitForURL(`${url}/people/${customer.id}`), page.keyboard.press('Enter')]);
    expect(await page.title()).toBe('Henkilö – kielto-konsoli');
    expect(await page.locator('#matrix td').count()).toBe(16);
    expect(await cell('email', 'own-marketing').getAttribute('data-decision')).toBe('allow');
    await check('person', [email, name]);

    // Record a prohibition of all direct marketing (GDPR Art 21) with its evidence.
    await page.locator('#consent-channel').selectOption('all');
    await page.locator('#consent-purpose').selectOption('all');
    await page.locator('#consent-decision').selectOption('prohibit');
    await page.locator('#consent-source').selectOption('customer-service');
    await page.locator('#consent-reference').fill('ticket-2101');
    await page.locator('#consent-confirm').check();
    await Promise.all([
      page.waitForURL(`${url}/people/${customer.id}`),
      page.getByRole('button', { name: 'Kirjaa' }).click(),
    ]);
    expect(await page.getByRole('status').textContent()).toBe(
      'Kirjattu: kielletty (Kaikki kanavat, Kaikki tarkoitukset).',
    );
    await eventually(
      async () => {
        await page.reload();
        return (await cell('email', 'own-marketing').getAttribute('data-decision')) === 'suppress';
      },
      20_000,
      'the matrix turns to suppress',
    );
    expect(await cell('post', 'profiling').textContent()).toContain('henkilö on kieltänyt');
    expect(await page.locator('#timeline').textContent()).toContain('viite ticket-2101');
    await check('person-prohibited', [email, name]);
    const history = await request(stack.urls.consents)
      .get('/v1/consents')
      .query({ customerId: customer.id })
      .set(bearer('staff'));
    expect(history.body.history.at(-1)).toMatchObject({
      channel: 'all',
      purpose: 'all',
      decision: 'prohibit',
      source: 'customer-service',
      evidence: { reference: 'ticket-2101', capturedBy: expect.stringMatching(/^staff-/) },
    });

    // A full directory ban.
    await page.locator('#ban-scope').selectOption('full');
    await page.locator('#ban-reason').fill('asked by phone');
    await page.locator('#ban-confirm').check();
    await Promise.all([
      page.waitForURL(`${url}/people/${customer.id}`),
      page.getByRole('button', { name: 'Aseta kielto' }).click(),
    ]);
    expect(await page.getByRole('status').textContent()).toBe('Luettelokielto on asetettu.');
    const ban = await request(stack.urls['directory-bans'])
      .get(`/v1/directory-bans/${customer.id}`)
      .set(bearer('staff'));
    expect(ban.body).toMatchObject({ scope: 'full', reason: 'asked by phone' });

    // A data-subject request, with its deadline.
    await page.locator('#request-type').selectOption('access');
    await page.locator('#request-channel').selectOption('phone');
    await page.locator('#request-confirm').check();
    await Promise.all([
      page.waitForURL(`${url}/people/${customer.id}`),
      page.getByRole('button', { name: 'Avaa pyyntö' }).click(),
    ]);
    expect(await page.getByRole('status').textContent()).toMatch(
      /^Pyyntö on avattu; vastaa viimeistään \d{4}-\d{2}-\d{2}\.$/,
    );

    // Erasure while the contract is active: the law keeps the data, said in words.
    await page.locator('#erase-confirm').check();
    await Promise.all([
      page.waitForURL(`${url}/people/${customer.id}`),
      page.getByRole('button', { name: 'Poista henkilö' }).click(),
    ]);
    expect(await page.getByRole('alert').textContent()).toBe(
      'Laki edellyttää tietojen säilyttämistä: asiakkaalla on voimassa oleva sopimus (päätä se ennen poistoa).',
    );

    // Languages per user: Swedish from here on.
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Svenska' }).click()]);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    expect(await page.locator('h1').textContent()).toBe('Person');
    expect(await cell('email', 'own-marketing').textContent()).toContain('Spärrat');
    await check('person-sv', [email, name]);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Suomi' }).click()]);
    expect(await page.locator('html').getAttribute('lang')).toBe('fi');

    await signOut();
    expect(await page.getByRole('status').textContent()).toBe('Olet kirjautunut ulos.');
    await page.goto(`${url}/people/${customer.id}`);
    expect(page.url()).toBe(`${url}/login`);
  });

  /** The audit trail page, reloaded until it lists `routes` read by `role` (the audit is written in batches). */
  const auditListing = async (customerId: string, role: string, routes: string[]) =>
    eventually(
      async () => {
        await page.goto(`${url}/people/${customerId}/audit`);
        expect(await page.locator('.alert').count()).toBe(0); // no gap: all four services answered
        const rows: string[][] = await page.evaluate(
          `Array.from(document.querySelectorAll('#audit tbody tr'), (tr) => Array.from(tr.cells, (td) => td.textContent))`,
        );
        const read = new Set(rows.filter((cells) => cells[2] === role).map((cells) => cells[4]));
        return routes.every((r) => read.has(r)) && rows;
      },
      15_000,
      `the reads by ${role} in the audit trail`,
    );

  it('dpo: the request desk with days left, identity-code search by POST, a person found by e-mail with the matrix, timeline and audit trail', async () => {
    const email = `desk.${randomUUID().slice(0, 8)}@example.fi`;
    const name = 'Daniel Desk';
    const customer = await createCustomer(name, email);
    const received = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const created = await request(stack.urls.customers)
      .post('/v1/requests')
      .set(bearer('dpo'))
      .send({ customerId: customer.id, type: 'erasure', receivedAt: received, channel: 'letter' });
    expect(created.status).toBe(201);
    const prohibited = await request(stack.urls.consents)
      .post('/v1/consents')
      .set(bearer('staff'))
      .send({
        customerId: customer.id,
        channel: 'sms',
        purpose: 'own-marketing',
        decision: 'prohibit',
        source: 'customer-service',
        evidence: { reference: 'dpo-2102' },
      });
    expect(prohibited.status).toBe(201);
    const ban = await request(stack.urls['directory-bans'])
      .put(`/v1/directory-bans/${customer.id}`)
      .set(bearer('staff'))
      .send({ scope: 'full', reason: 'asked by letter' });
    expect(ban.status).toBe(200);
    await untilDecision(customer.id, 'sms', 'suppress', 'suppression knows the prohibition');

    await signInWithKey(KEYS.dpo);
    await page.goto(`${url}/requests?status=overdue`);
    const row = page.locator(`tr[data-request="${created.body.id as string}"]`);
    expect(await row.textContent()).toMatch(/myöhässä \d+ päivää/);
    await check('requests-overdue');
    await page.goto(`${url}/retention`);
    expect(await page.locator('h1').textContent()).toBe('Säilytysajan ylittäneet asiakkaat');
    await page.goto(`${url}/search`);
    await page.getByLabel('Henkilötunnus').fill('131052-308T');
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Hae', exact: true }).last().click(),
    ]);
    expect(page.url()).toBe(`${url}/search/identity-code`);
    expect(await page.getByRole('status').textContent()).toBe('Ketään ei löytynyt.');

    // The DPO finds the person by e-mail and reads their page: the matrix and the timeline, no change forms.
    await page.getByLabel('Sähköpostiosoite').fill(email);
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Hae', exact: true }).first().click(),
    ]);
    await Promise.all([
      page.waitForURL(`${url}/people/${customer.id}`),
      page.getByRole('link', { name: `Avaa ${customer.customerNumber}` }).click(),
    ]);
    expect(await page.locator('#customer-number').textContent()).toBe(customer.customerNumber);
    expect(await page.locator('.alert').count()).toBe(0); // every part of the page answered the DPO
    expect(await page.locator('#matrix td[data-decision="unknown"]').count()).toBe(0);
    expect(await cell('sms', 'own-marketing').getAttribute('data-decision')).toBe('suppress');
    expect(await cell('email', 'own-marketing').getAttribute('data-decision')).toBe('allow');
    const timeline = (await page.locator('#timeline').textContent()) ?? '';
    expect(timeline).toContain('viite dpo-2102');
    expect(timeline).toContain('Rekisteröidyn pyyntö: poisto');
    expect(timeline).toContain('asked by letter');
    // Who read the record is in the timeline too (the DPO's own search by e-mail among them).
    expect(timeline).toMatch(/Tietoja luettu: customers GET \/v1\/customers/);
    // The DPO reads and opens requests; changing the record is staff's.
    expect(await page.locator('#consent-channel').count()).toBe(0);
    expect(await page.locator('#ban-scope').count()).toBe(0);
    expect(await page.locator('#erase-confirm').count()).toBe(0);
    expect(await page.locator('#request-type').count()).toBe(1);
    await check('person-dpo', [email, name]);

    // Who read the person: the DPO's own reads of this page, the customer record included, gathered by customers
    // from the four services. The audit is written in batches off the request's path (every 100 ms), so the page
    // is polled until the reads are there.
    await Promise.all([
      page.waitForURL(`${url}/people/${customer.id}/audit`),
      page.getByRole('link', { name: 'Kuka on lukenut näitä tietoja' }).click(),
    ]);
    const rows = await auditListing(customer.id, 'tietosuojavastaava', [
      'GET /v1/customers/:id',
      'GET /v1/customers',
      'GET /v1/consents',
      'GET /v1/directory-bans/:customerId/history',
      'GET /v1/suppression/entries',
    ]);
    expect(new Set(rows.map((cells) => cells[3]))).toEqual(
      new Set(['customers', 'consents', 'directory-bans', 'suppression']),
    );
    await check('audit-dpo', [email, name]);

    // Campaign clearances: the marketing tool cleared a list (the customer allowed by e-mail, a stranger without
    // consent suppressed); the DPO sees the proof: counts, never the contacts.
    const campaignId = `spring-${randomUUID().slice(0, 8)}`;
    const cleared = await request(stack.urls.suppression)
      .post(`/v1/campaigns/${campaignId}/clearance`)
      .set(bearer('marketing'))
      .send({
        channel: 'email',
        purpose: 'own-marketing',
        product: 'mobile-subscription',
        contacts: [
          { ref: 'c1', customerId: customer.id },
          { ref: 'c2', email: `stranger.${campaignId}@example.fi` },
        ],
      });
    expect(cleared.status).toBe(201);
    await Promise.all([
      page.waitForURL(`${url}/clearances`),
      page.getByRole('link', { name: 'Kampanjatarkistukset' }).click(),
    ]);
    await check('clearances-form');
    await page.getByLabel('Kampanjan tunnus').fill(campaignId);
    await Promise.all([
      page.waitForURL(`${url}/clearances?campaign=${campaignId}`),
      page.getByRole('button', { name: 'Näytä tarkistukset' }).click(),
    ]);
    const clearance = page.locator(`#clearances tr[data-clearance="${cleared.body.id as string}"] td`);
    const cells = await clearance.allTextContents();
    expect(cells.slice(1, 7)).toEqual([
      (cleared.body as { actor: string }).actor,
      'Sähköposti, Oma markkinointi',
      'Matkapuhelinliittymä',
      '2',
      '1',
      '1',
    ]);
    expect(await page.locator('#clearances').textContent()).not.toContain(customer.id);
    await check('clearances', [email, name, customer.id]);
    // A campaign id suppression refuses is said in words, the form kept.
    await page.getByLabel('Kampanjan tunnus').fill('not a campaign!');
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Näytä tarkistukset' }).click(),
    ]);
    expect(await page.locator('#campaign-problem').textContent()).toMatch(/^Kampanjan tunnus on 1–128/);
    await signOut();
  });

  it('admin: retention due, and a person read by admin in their audit trail', async () => {
    const customer = await createCustomer('Aino Admin', `admin.${randomUUID().slice(0, 8)}@example.fi`);
    await signInWithKey(KEYS.admin);
    await page.goto(`${url}/retention`);
    expect(await page.locator('h1').textContent()).toBe('Säilytysajan ylittäneet asiakkaat');
    await check('retention');
    await page.goto(`${url}/people/${customer.id}`);
    await auditListing(customer.id, 'ylläpitäjä', [
      'GET /v1/customers/:id',
      'GET /v1/consents',
      'GET /v1/suppression/entries',
    ]);
    await check('audit');
    await signOut();
  });

  it('signs a person in with OpenID Connect (code + PKCE): their own token reaches the services and the audit names them', async () => {
    provider.nextUser = { sub: 'u-2101', name: 'Olga Oidc', groups: ['kielto-staff'] };
    await browser.context.clearCookies();
    await page.goto(`${url}/login`);
    await Promise.all([
      page.waitForURL(`${url}/search`),
      page.getByRole('link', { name: 'Kirjaudu organisaation tunnuksella' }).click(),
    ]);
    expect(await page.locator('header').textContent()).toContain('Olga Oidc');
    expect(provider.refusals).toEqual([]);
    const customer = await createCustomer('Otto Oidc', `oidc.${randomUUID().slice(0, 8)}@example.fi`);
    await page.goto(`${url}/people/${customer.id}`);
    expect(await page.locator('#customer-number').textContent()).toBe(customer.customerNumber);
    const audit = await eventually(
      async () => {
        const res = await request(stack.urls.consents)
          .get('/v1/audit')
          .query({ subject: customer.id })
          .set(bearer('admin'));
        return (
          res.status === 200 && (res.body as { actor: string }[]).some((r) => r.actor === 'oidc:u-2101') && res.body
        );
      },
      15_000,
      'the read recorded under the person',
    );
    expect(audit).toEqual(
      expect.arrayContaining([expect.objectContaining({ actor: 'oidc:u-2101', actorName: 'Olga Oidc' })]),
    );
    await signOut();

    // A person without a role of kielto gets the 403 page.
    provider.nextUser = { sub: 'u-9', name: 'Nobody', groups: ['everyone'] };
    await page.goto(`${url}/login/oidc`);
    expect(await page.locator('h1').textContent()).toBe('Ei käyttöoikeutta');
    // The language is the person's: their provider's locale at first, then what they choose, also at a later sign-in.
    provider.nextUser = { sub: 'u-2103', name: 'Elsa English', groups: ['kielto-staff'], locale: 'en-GB' };
    await browser.context.clearCookies();
    await page.goto(`${url}/login`);
    await Promise.all([page.waitForURL(`${url}/search`), page.getByRole('link', { name: /organisaation/ }).click()]);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Svenska' }).click()]);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    await signOut();
    await browser.context.clearCookies(); // another browser, as far as the console can tell
    await page.goto(`${url}/login`);
    expect(await page.locator('html').getAttribute('lang')).toBe('fi'); // the browser's language before sign-in
    await Promise.all([page.waitForURL(`${url}/search`), page.getByRole('link', { name: /organisaation/ }).click()]);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    await signOut();
  });

  it('refuses a form without the CSRF token, and serves pages with a strict CSP, no-store and no inline script', async () => {
    const login = await fetch(`${url}/login`);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect(login.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(login.headers.get('cache-control')).toBe('no-store');
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const refused = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${KEYS.staff}&csrf=wrong`,
      redirect: 'manual',
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('set-cookie') ?? '').not.toContain('HttpOnly; SameSite=Lax; Max');
  });
});

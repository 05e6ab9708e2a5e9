import assert from "node:assert/strict";
import { ARTIFACTS, launchChromium, liveSluice, waitForTrue } from "./_browser.ts";

Deno.test({
  name:
    "browser: sign in, create an API key on /user (shown once, copy button), revoke it; readable on a phone",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const live = await liveSluice();
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
      const page = await context.newPage();
      await page.goto(`${live.url}/user`);
      assert.match(page.url(), /\/login\?next=%2Fuser$/);
      await page.fill("#email", live.user.email);
      await page.fill("#password", "wrong-password!");
      await page.click("#sign-in");
      assert.match(await page.textContent("[role=alert]") ?? "", /Wrong email or password/);
      await page.fill("#password", live.user.password);
      await page.click("#sign-in");
      await page.waitForURL(`${live.url}/user`);

      await page.fill("#key-name", "phone key");
      await page.selectOption("#key-expiry", "90");
      await page.click("#create-key");
      const secret = await page.inputValue("#new-secret");
      assert.match(secret, /^[a-z0-9]{24}:[A-Za-z0-9_-]{43}$/);
      await page.click("#copy");
      await waitForTrue(page, 'document.getElementById("copy").textContent === "Copied"');
      await page.screenshot({ path: `${ARTIFACTS}user_page_new_key_phone.png`, fullPage: true });
      assert.equal(await page.evaluate<string>("document.compatMode"), "CSS1Compat", "standards mode");
      // The form was posted, then redirected: a reload neither posts it again nor shows the secret.
      await page.reload();
      assert.equal(await page.locator("#new-secret").count(), 0, "a reload shows the secret no more");
      assert.equal(await page.locator("[data-key-id]").count(), 1, "a reload creates no second key");
      // Nothing overflows sideways on a phone.
      const overflow = await page.evaluate<number>(
        "document.documentElement.scrollWidth - window.innerWidth",
      );
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);

      const ok = await fetch(`${live.url}/api/workspace`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();

      await page.goto(`${live.url}/user`);
      assert.equal(await page.locator("#new-secret").count(), 0, "the secret is shown only once");
      const id = secret.split(":")[0];
      await page.locator(`[data-key-id="${id}"] button.danger`).click();
      await page.waitForURL(/notice=key-revoked/);
      const gone = await fetch(`${live.url}/api/workspace`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(gone.status, 401);
      await gone.body?.cancel();

      await page.click("button.link");
      await page.waitForURL(/\/login$/);
      await context.close();
    } finally {
      await browser.close();
      await live.stop();
    }
  },
});

Deno.test({
  name: "browser: /api/docs renders every operation with nothing loaded from elsewhere and no CSP violation",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const live = await liveSluice();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const foreign: string[] = [];
      const problems: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(live.url) && !r.url().startsWith("data:")) foreign.push(r.url());
      });
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(String(e)));
      page.on("response", (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${live.url}/api/docs`);
      await page.waitForSelector(".opblock", { timeout: 30_000 });
      const operations = await page.locator(".opblock").count();
      assert.ok(operations > 40, `${operations} operations shown`);
      assert.match(await page.textContent("body") ?? "", /\/api\/s\/\{tp\}/);
      assert.equal(await page.evaluate<string>("document.compatMode"), "CSS1Compat");
      await page.screenshot({ path: `${ARTIFACTS}api_reference.png` });
      assert.deepEqual(foreign, [], "requests to other origins");
      assert.deepEqual(problems, [], "console errors (CSP violations show here)");
    } finally {
      await browser.close();
      await live.stop();
    }
  },
});

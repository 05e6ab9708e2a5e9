import assert from "node:assert/strict";
import type { Page } from "../../_helpers/test_tools.ts";
import { createWorkspace } from "../../../src/services/workspaces.ts";
import { cliPrincipal } from "../../../src/auth/principal.ts";
import { ARTIFACTS, launchChromium, liveSluice, waitForTrue } from "../_browser.ts";

// Screenshots go to the test artifacts; `UPDATE_SCREENSHOTS=1` writes the README tour's copies in docs/images/.
const IMAGES = Deno.env.get("UPDATE_SCREENSHOTS") === "1"
  ? new URL("../../../docs/images/", import.meta.url).pathname
  : ARTIFACTS;

const VIEWPORTS = [
  { name: "desktop", viewport: { width: 1280, height: 900 }, isMobile: false },
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true },
] as const;

async function noSidewaysScroll(page: Page, where: string) {
  const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
  assert.ok(overflow <= 0, `${where}: page is ${overflow}px wider than the window`);
}

Deno.test({
  name:
    "browser console: sign in, switch workspace, stream + snippet, destination, connection, Live Events, " +
    "function run, chart, member invite; desktop and phone without sideways scroll",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const live = await liveSluice();
    const row = { id: live.user.id, email: live.user.email, is_admin: false } as Parameters<
      typeof cliPrincipal
    >[0];
    await createWorkspace(
      { ...live.t.deps, principal: cliPrincipal(row), requestId: "browser-console" },
      { name: "Acme shop", slug: "acme-shop" },
    );
    const browser = await launchChromium();
    const foreign: string[] = [];
    const cspErrors: string[] = [];
    try {
      for (const vp of VIEWPORTS) {
        const context = await browser.newContext({ viewport: vp.viewport, isMobile: vp.isMobile });
        await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: live.url });
        const page = await context.newPage();
        page.on("request", (r) => {
          if (!r.url().startsWith(live.url) && !r.url().startsWith("data:")) foreign.push(r.url());
        });
        page.on("console", (m) => {
          if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
        });
        const shot = (name: string) =>
          page.screenshot({ path: `${IMAGES}console-${name}-${vp.name}.png`, fullPage: false });

        // Sign in; `/` opens the first workspace by name.
        await page.goto(`${live.url}/`);
        await page.fill("#email", live.user.email);
        await page.fill("#password", live.user.password);
        await page.click("#sign-in");
        await page.waitForURL(`${live.url}/acme-shop`);
        assert.equal(await page.evaluate<string>("document.compatMode"), "CSS1Compat");
        // Switch to Pat's workspace and back, with the header's switcher.
        await page.selectOption("#ws-switch", live.user.workspaceId);
        await page.click("header form[action='/console/switch'] button");
        await page.waitForURL(`${live.url}/${live.user.workspaceId}`);
        assert.match(await page.textContent("main h1") ?? "", /Pat's workspace/);
        await page.selectOption("#ws-switch", "acme-shop");
        await page.click("header form[action='/console/switch'] button");
        await page.waitForURL(`${live.url}/acme-shop`);

        // A stream: its server key once, the snippets, a copy button that copies.
        await page.click("nav >> text=Streams");
        await page.click("text=New stream");
        await page.fill("#f-name", `Web shop ${vp.name}`);
        await page.click("#save");
        await page.waitForURL(/\/acme-shop\/streams\/[^/]+\?notice=created/);
        const streamId = new URL(page.url()).pathname.split("/").pop()!;
        const serverKey = (await page.textContent("#write-key-value"))!.trim();
        await page.selectOption("#key-kind", "browser");
        await page.click("#new-key");
        await page.waitForURL(/notice=key/);
        const browserKey = (await page.textContent("#write-key-value"))!.trim();
        await page.click("button[data-copy='snippet-html']");
        await waitForTrue(
          page,
          'document.querySelector("button[data-copy=\'snippet-html\']").textContent !== "Copy"',
        );
        const copied = await page.evaluate<string>("navigator.clipboard.readText()");
        assert.equal(copied, `<script async src="${live.url}/p.js" data-write-key="${browserKey}"></script>`);
        await noSidewaysScroll(page, "stream page");
        await shot("stream");

        // A destination through the generated form.
        await page.click("nav >> text=Destinations");
        await page.selectOption("#dest-type", "webhook");
        await page.click("text=New destination");
        await page.fill("#f-name", `Hook ${vp.name}`);
        await page.fill("#f-url", "not a url");
        await page.click("#save");
        assert.match(await page.textContent("#f-url-error") ?? "", /must be an absolute URL/);
        await page.fill("#f-url", "http://127.0.0.1:9/hook");
        await page.click("#save");
        await page.waitForURL(/\/destinations\/[^/]+\?notice=created/);
        const destId = new URL(page.url()).pathname.split("/").pop()!;
        await noSidewaysScroll(page, "destination page");

        // Connect them.
        await page.click("nav >> text=Connections");
        await page.click("text=New connection");
        await page.selectOption("#f-fromId", streamId);
        await page.selectOption("#f-toId", destId);
        await page.click("#continue");
        assert.equal(await page.inputValue("#f-toId"), destId);
        await page.selectOption("#f-data-mode", "stream");
        await page.click("#save");
        await page.waitForURL(/\/connections\/[^/]+\?notice=created/);

        // Send an event with the server key; it shows in Live Events, its JSON a click away.
        const sent = await fetch(`${live.url}/api/s/s2s/track`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-write-key": serverKey },
          body: JSON.stringify({ type: "track", event: `Checkout ${vp.name}`, userId: "u1" }),
        });
        assert.equal(sent.status, 200);
        await sent.body?.cancel();
        await page.click("nav >> text=Live Events");
        await page.selectOption("#live-source", streamId);
        await page.selectOption("#live-type", "incoming");
        await page.click("#live-apply");
        const entry = page.locator("details.entry", { hasText: `Checkout ${vp.name}` });
        await entry.locator("summary").click();
        assert.match(await entry.locator("pre").textContent() ?? "", /"userId": "u1"/);
        await noSidewaysScroll(page, "Live Events");
        await shot("live-events");

        // A function in the code editor, run on a sample event.
        await page.click("nav >> text=Functions");
        await page.click("text=New function");
        await page.fill("#f-name", `Tagger ${vp.name}`);
        await page.waitForSelector(".cm-content");
        await page.locator(".cm-content").fill(
          "export default async function(event, ctx) { ctx.log.info('hi'); return {...event, tagged: 1}; }",
        );
        await page.fill("#sample-event", JSON.stringify({ type: "track", event: "Sample" }));
        await page.click("#run-button");
        await page.waitForSelector("#run-output");
        assert.match(await page.textContent("#run-output") ?? "", /"tagged": 1/);
        assert.match(await page.textContent("#run-logs") ?? "", /hi/);
        await noSidewaysScroll(page, "function page");
        await page.locator("#run-result").scrollIntoViewIfNeeded();
        await shot("function");

        await page.click("nav >> text=Overview");
        assert.equal(await page.textContent("#count-connections strong"), vp.name === "desktop" ? "1" : "2");
        await noSidewaysScroll(page, "overview");
        // The chart in view (on a phone it starts below the counts).
        await page.evaluate(
          `(() => { const l = document.querySelector("#overview-chart ul.legend");
            if (l.getBoundingClientRect().bottom > innerHeight) l.scrollIntoView({ block: "end" }); })()`,
        );
        await shot("overview");
        // The chart for this stream alone counts the event sent above.
        await page.selectOption("#chart-source", `stream:${streamId}`);
        await page.click("#overview-chart button[type=submit]");
        await page.waitForURL(/source=stream/);
        const incoming = await page.evaluate<number>(
          `[...document.querySelectorAll('#chart-table td[data-series="incoming"]')]` +
            `.reduce((a, td) => a + Number(td.textContent), 0)`,
        );
        assert.equal(incoming, 1);
        await noSidewaysScroll(page, "overview chart of one stream");

        // Invite a teammate: the link is shown once, on the page after the form.
        await page.click("nav >> text=Members");
        await page.fill("#member-email", `teammate-${vp.name}@example.com`);
        await page.selectOption("#member-role", "analyst");
        await page.click("#add-member button[type=submit]");
        await page.waitForURL(/\/members\?notice=invited/);
        assert.match(await page.textContent("#invite-link pre") ?? "", /\/invite\?token=/);
        await noSidewaysScroll(page, "members");
        await context.close();
      }
      assert.deepEqual(foreign, [], "nothing is loaded from outside Sluice");
      assert.deepEqual(cspErrors, [], "no CSP violation");
    } finally {
      await browser.close();
      await live.stop();
    }
  },
});

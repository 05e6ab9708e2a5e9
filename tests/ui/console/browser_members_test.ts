import assert from "node:assert/strict";
import type { Browser, Page } from "../../_helpers/test_tools.ts";
import { createUser } from "../../../src/services/users.ts";
import { createWorkspace } from "../../../src/services/workspaces.ts";
import { createResource } from "../../../src/services/resources.ts";
import { cliPrincipal } from "../../../src/auth/principal.ts";
import { launchChromium, liveSluice } from "../_browser.ts";

const VIEWPORTS = [
  { name: "desktop", viewport: { width: 1280, height: 900 }, isMobile: false },
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true },
] as const;
type Viewport = (typeof VIEWPORTS)[number];

async function noSidewaysScroll(page: Page, where: string) {
  const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
  assert.ok(overflow <= 0, `${where}: page is ${overflow}px wider than the window`);
}

/** Forms that change something (every POST form but signing out). */
function changingForms(page: Page) {
  return page.locator("form[method='post']:not([action='/logout'])").count();
}

/** A fresh context (no cookies) at the viewport's size, signed in as `email`; returns its page. */
async function signIn(browser: Browser, url: string, vp: Viewport, email: string, password: string) {
  const context = await browser.newContext({ viewport: vp.viewport, isMobile: vp.isMobile });
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("#sign-in");
  await page.waitForURL((u) => !["/", "/login"].includes(u.pathname));
  return page;
}

Deno.test({
  name: "browser console members: an added user sees the workspace read-only, an invitee joins through " +
    "/invite, the owner reads both in the audit log; desktop and phone without sideways scroll",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const live = await liveSluice();
    const owner = { id: live.user.id, email: live.user.email, is_admin: false } as Parameters<
      typeof cliPrincipal
    >[0];
    const ownerCtx = { ...live.t.deps, principal: cliPrincipal(owner), requestId: "browser-members" };
    const acme = await createWorkspace(ownerCtx, { name: "Acme shop", slug: "acme-shop" });
    await createResource(ownerCtx, { workspaceId: acme.id, type: "stream", data: { name: "Checkout site" } });
    const browser = await launchChromium();
    try {
      for (const vp of VIEWPORTS) {
        // An existing user with a workspace of their own, made through the services as the CLI does.
        const sam = { email: `sam-${vp.name}@example.com`, password: "sam-browser-password" };
        const samRow = await createUser(live.t.deps.db, sam);
        await createWorkspace(
          { ...live.t.deps, principal: cliPrincipal(samRow), requestId: "browser-members" },
          { name: `Sam's ${vp.name} workspace` },
        );

        // The owner adds Sam as an analyst on the Members page.
        const ownerPage = await signIn(browser, live.url, vp, live.user.email, live.user.password);
        await ownerPage.goto(`${live.url}/acme-shop/members`);
        await ownerPage.fill("#member-email", sam.email);
        await ownerPage.selectOption("#member-role", "analyst");
        await ownerPage.click("#add-member button[type=submit]");
        await ownerPage.waitForURL(/\/acme-shop\/members\?notice=added$/);
        const samRowEl = ownerPage.locator(`#members tr[data-user="${samRow.id}"]`);
        assert.match(await samRowEl.textContent() ?? "", new RegExp(`${sam.email}\\s*analyst`));
        await noSidewaysScroll(ownerPage, "members after adding");

        // Sam, in a fresh context, finds Acme shop in the switcher and its streams, without any form.
        const samPage = await signIn(browser, live.url, vp, sam.email, sam.password);
        const options = await samPage.locator("#ws-switch option").allTextContents();
        assert.deepEqual(options.toSorted(), ["Acme shop", `Sam's ${vp.name} workspace`]);
        await samPage.selectOption("#ws-switch", "acme-shop");
        await samPage.click("header form[action='/console/switch'] button");
        await samPage.waitForURL(`${live.url}/acme-shop`);
        assert.match(await samPage.textContent("header") ?? "", /\(analyst, read-only\)/);
        assert.equal(await changingForms(samPage), 0, "the overview has no form for an analyst");
        await samPage.click("nav >> text=Streams");
        await samPage.waitForURL(`${live.url}/acme-shop/streams`);
        assert.match(await samPage.textContent("main") ?? "", /Checkout site/);
        assert.equal(await samPage.locator("text=New stream").count(), 0);
        assert.equal(await changingForms(samPage), 0, "the streams page has no form for an analyst");
        await noSidewaysScroll(samPage, "streams as an analyst");
        await samPage.click("nav >> text=Members");
        assert.equal(await changingForms(samPage), 0, "the members page has no form for an analyst");
        await samPage.context().close();

        // The owner invites a new email; the link, opened elsewhere, makes an account in the workspace.
        const newcomer = `newcomer-${vp.name}@example.com`;
        await ownerPage.fill("#member-email", newcomer);
        await ownerPage.selectOption("#member-role", "editor");
        await ownerPage.click("#add-member button[type=submit]");
        await ownerPage.waitForURL(/\/acme-shop\/members\?notice=invited$/);
        const link = (await ownerPage.textContent("#invite-link pre") ?? "").trim();
        assert.ok(link.startsWith(`${live.url}/invite?token=`), link);
        await noSidewaysScroll(ownerPage, "members with an invite link");

        const inviteContext = await browser.newContext({ viewport: vp.viewport, isMobile: vp.isMobile });
        const invitePage = await inviteContext.newPage();
        await invitePage.goto(link);
        assert.match(await invitePage.textContent("h1") ?? "", /Join Acme shop/);
        assert.equal(await invitePage.inputValue("#email"), newcomer);
        await invitePage.fill("#name", `Newcomer ${vp.name}`);
        await noSidewaysScroll(invitePage, "invite page");
        await invitePage.fill("#password", "newcomer-browser-password");
        await invitePage.click("button[type=submit]");
        await invitePage.waitForURL(`${live.url}/login`);
        await invitePage.fill("#email", newcomer);
        await invitePage.fill("#password", "newcomer-browser-password");
        await invitePage.click("#sign-in");
        // Sign-in without `next` opens the account page; the console's `/` opens their one workspace.
        await invitePage.waitForURL(`${live.url}/user`);
        await invitePage.goto(`${live.url}/`);
        await invitePage.waitForURL(`${live.url}/acme-shop`);
        assert.match(await invitePage.textContent("main h1") ?? "", /Acme shop/);
        assert.ok(
          !(await invitePage.textContent("header") ?? "").includes("read-only"),
          "an editor can write",
        );
        await invitePage.click("nav >> text=Streams");
        assert.match(await invitePage.textContent("main") ?? "", /Checkout site/);
        await inviteContext.close();
        // The link worked once.
        const again = await fetch(link);
        assert.equal(again.status, 403);
        await again.body?.cancel();

        // The owner reads the audit log: Sam added, the invite made and accepted, all through the UI.
        await ownerPage.click("nav >> text=Audit log");
        await ownerPage.fill("#audit-type", "member");
        await ownerPage.click("main form button[type=submit]");
        await ownerPage.waitForURL(/objectType=member/);
        const summaries = await ownerPage.locator("details.entry summary").allTextContents();
        const added = summaries.find((s) => s.includes(samRow.id));
        assert.ok(added, summaries.join("\n"));
        assert.match(added, new RegExp(`${live.user.email}\\s+create member ${samRow.id} via UI`));
        const joined = summaries.find((s) => s.includes(`${newcomer} create member`));
        assert.ok(joined, summaries.join("\n"));
        assert.match(joined, /via UI$/);
        assert.ok(summaries.indexOf(joined) < summaries.indexOf(added), "newest first");
        assert.ok(summaries.every((s) => / member /.test(s)), "only member entries when filtered");
        await ownerPage.fill("#audit-type", "invite");
        await ownerPage.fill("#audit-id", newcomer);
        await ownerPage.click("main form button[type=submit]");
        await ownerPage.waitForURL(/objectType=invite/);
        const invites = await ownerPage.locator("details.entry summary").allTextContents();
        assert.equal(invites.length, 1, invites.join("\n"));
        assert.match(invites[0], new RegExp(`${live.user.email}\\s+create invite ${newcomer} via UI`));
        await noSidewaysScroll(ownerPage, "audit log");
        await ownerPage.context().close();
      }
    } finally {
      await browser.close();
      await live.stop();
    }
  },
});

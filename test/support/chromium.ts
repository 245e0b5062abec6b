/**
 * Headless Debian Chromium for the browser tests, one way for all of them: CI installs it
 * (.ci/run), so under CI=true a test that needs it must run; elsewhere it may be skipped.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** Whether a browser test runs here: Chromium is installed, or CI requires it. */
export const browserAvailable = existsSync(CHROMIUM) || process.env.CI === "true";

/** Launches headless Chromium with nothing that reaches the network by itself. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { HavenError } from '../common/errors.js';
import type { HavenRuntime } from '../common/runtime.js';
import { EnvError, loadEnv } from '../settings/env.js';
import { CHROMIUM_ARGS, PdfRenderer } from './pdf-renderer.js';

/**
 * The PDF renderer on the real Chromium of this machine (Debian's `chromium`, or HAVEN_CHROMIUM_PATH): a browser
 * launched at the first document and gone after shutdown, and a document that loads nothing from anywhere.
 * Without Chromium these tests fail (loadEnv refuses a missing executable); they are never skipped.
 */

const executable = process.env.HAVEN_CHROMIUM_PATH ?? '/usr/bin/chromium';
const runtime = (chromiumPath: string): HavenRuntime => ({ env: loadEnv({ HAVEN_CHROMIUM_PATH: chromiumPath }), databaseKind: 'embedded', databaseUrl: '' });

/** Chromium processes started by this process (Playwright spawns the browser as our child), with their profile folder. */
function ourBrowsers(): { pid: number; profile?: string }[] {
  const found: { pid: number; profile?: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args.some((a) => a.includes('chrom'))) continue;
      found.push({ pid: Number(entry), profile: args.find((a) => a.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length) });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Every way a page can ask for something from elsewhere, all pointing at `base`. */
function hostileDocument(base: string): string {
  return `<!DOCTYPE html>
<html lang="en" dir="ltr"><head><meta charset="utf-8"><title>Hostile</title>
<meta http-equiv="refresh" content="0;url=${base}/refresh">
<link rel="stylesheet" href="${base}/style.css">
<link rel="prefetch" href="${base}/prefetch">
<link rel="preload" as="image" href="${base}/preload.png">
<link rel="icon" href="${base}/favicon.ico">
<style>
  @import url("${base}/import.css");
  @font-face { font-family: Remote; src: url("${base}/font.woff2"); }
  body { font-family: Remote, sans-serif; background: url("${base}/background.png"); }
</style>
<script src="${base}/script.js"></script>
</head><body>
<h1>Printed offline</h1>
<img src="${base}/image.png" alt="">
<img srcset="${base}/srcset.png 1x" alt="">
<iframe src="${base}/frame.html"></iframe>
<object data="${base}/object.pdf"></object>
<video poster="${base}/poster.png"></video>
<audio src="${base}/audio.mp3" autoplay></audio>
<svg><image href="${base}/svg.png" width="10" height="10"/></svg>
<form action="${base}/form"><button>x</button></form>
<script>fetch("${base}/fetch"); new Image().src = "${base}/js-image.png";</script>
</body></html>`;
}

describe('PdfRenderer', () => {
  const hits: string[] = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('renders a document that asks for a dozen remote resources without a single request leaving the page', async () => {
    // Control: the same document in a plain browser page (no rules) does reach the server.
    const plain = await chromium.launch({ executablePath: executable, args: [...CHROMIUM_ARGS] });
    try {
      const page = await plain.newPage();
      await page.setContent(hostileDocument(base), { waitUntil: 'load' });
    } finally {
      await plain.close();
    }
    expect(hits.length).toBeGreaterThan(3);
    hits.length = 0;

    const renderer = new PdfRenderer(runtime(executable));
    try {
      const pdf = await renderer.render(hostileDocument(base));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    } finally {
      await renderer.onApplicationShutdown();
    }
    expect(hits).toEqual([]);
  });

  it('launches one browser at the first document, renders documents side by side, and leaves nothing behind at shutdown', async () => {
    const renderer = new PdfRenderer(runtime(executable));
    expect(renderer.available).toBe(true);
    const before = ourBrowsers().map((b) => b.pid);
    expect(before).toEqual([]);
    const docs = await Promise.all(
      ['one', 'two', 'three', 'four', 'five'].map((word) =>
        renderer.render(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${word}</title><style>@page { size: A4; }</style></head><body><p>${word}</p></body></html>`),
      ),
    );
    for (const pdf of docs) expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const running = ourBrowsers();
    expect(running).toHaveLength(1);
    const profile = running[0]!.profile;
    expect(profile).toBeDefined();
    expect(existsSync(profile!)).toBe(true);

    await renderer.onApplicationShutdown();
    expect(ourBrowsers()).toEqual([]);
    expect(existsSync(profile!)).toBe(false);
    await expect(renderer.render('<p>late</p>')).rejects.toMatchObject({ code: 'service_unavailable' });
  });

  it('says PDF is not available, and how to get it, when no Chromium is configured', async () => {
    const renderer = new PdfRenderer(runtime('off'));
    expect(renderer.available).toBe(false);
    const error = await renderer.render('<p>x</p>').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HavenError);
    expect(error).toMatchObject({ code: 'not_acceptable', message: expect.stringContaining('PDF is not available on this server') });
    expect((error as HavenError).message).toContain('HAVEN_CHROMIUM_PATH');
  });

  it('answers 503 (each time, not a crash) when the configured executable is no browser', async () => {
    const renderer = new PdfRenderer(runtime('/bin/false'));
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(renderer.render('<p>x</p>')).rejects.toMatchObject({ code: 'service_unavailable', message: expect.stringContaining('could not start') });
      }
    } finally {
      await renderer.onApplicationShutdown();
    }
  });

  it('refuses a HAVEN_CHROMIUM_PATH that is not an executable file, naming the variable', () => {
    expect(() => loadEnv({ HAVEN_CHROMIUM_PATH: '/nonexistent/chromium' })).toThrow(EnvError);
    const plainFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'haven-env-')), 'chromium');
    writeFileSync(plainFile, '#!/bin/sh\n', { mode: 0o644 });
    expect(() => loadEnv({ HAVEN_CHROMIUM_PATH: plainFile })).toThrow(/^HAVEN_CHROMIUM_PATH: ".*" is not an executable file/);
    rmSync(path.dirname(plainFile), { recursive: true });
    expect(loadEnv({ HAVEN_CHROMIUM_PATH: 'off' }).chromiumPath).toBeUndefined();
    expect(loadEnv({ HAVEN_CHROMIUM_PATH: executable }).chromiumPath).toBe(executable);
  });
});

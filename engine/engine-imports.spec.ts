/**
 * The engine runs in the browser too: it may import only the libraries below and its own files.
 * This spec reads the sources with node:fs, which makes it the one file exempt from its own rule.
 * It loads node:fs through a computed specifier with a hand-written type, so that the engine's
 * tsconfig keeps Node's types out (engine code that used them would not typecheck).
 */
import { describe, expect, it } from '@jest/globals';

interface DirEntry {
  readonly name: string;
  isDirectory(): boolean;
}
interface NodeFs {
  readdirSync(path: string, options: { withFileTypes: true }): DirEntry[];
  readFileSync(path: string, encoding: 'utf8'): string;
}
const FS_MODULE = ['node', 'fs'].join(':');
const { readdirSync, readFileSync } = (await import(FS_MODULE)) as NodeFs;

const ENGINE = decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/\/$/, '');
const SELF = 'engine-imports.spec.ts';
const join = (...parts: string[]): string => parts.join('/');
const relative = (root: string, path: string): string => path.slice(root.length + 1);
const ALLOWED = ['@sinclair/typebox', 'ajv', 'ajv-formats', 'json-logic-js', '@noble/hashes', '@casl/ability'];
const ALLOWED_IN_SPECS = ['@jest/globals'];
/** Node-only globals that would break the browser build even without an import. */
const NODE_GLOBALS = /\b(process\.(env|argv|exit|cwd|nextTick|hrtime|platform|versions?)\b|Buffer\.|__dirname|__filename|require\()/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Import/export specifiers, static and dynamic. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gs, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function allowed(specifier: string, isSpec: boolean): boolean {
  if (specifier.startsWith('./') || specifier.startsWith('../')) return true;
  const packages = isSpec ? [...ALLOWED, ...ALLOWED_IN_SPECS] : ALLOWED;
  return packages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

describe('engine imports', () => {
  const files = sourceFiles(ENGINE).filter((file) => !file.endsWith(SELF));

  it('finds the engine sources', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('imports only the browser-safe allowlist and relative paths', () => {
    const offending = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => !allowed(specifier, file.endsWith('.spec.ts')))
        .map((specifier) => `${relative(ENGINE, file)}: ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('uses no Node-only globals', () => {
    const offending = files
      .filter((file) => !file.endsWith('.spec.ts'))
      .filter((file) => NODE_GLOBALS.test(stripComments(readFileSync(file, 'utf8'))))
      .map((file) => relative(ENGINE, file));
    expect(offending).toEqual([]);
  });

  it.each([
    ["import { Injectable } from '@nestjs/common';", false],
    ["import { readFileSync } from 'node:fs';", false],
    ["import { Pool } from 'pg';", false],
    ["import 'typeorm';", false],
    ["const fs = await import('fs');", false],
    ["import { Type } from '@sinclair/typebox';", true],
    ["import { sha256 } from '@noble/hashes/sha2.js';", true],
    ["import { createMongoAbility } from '@casl/ability';", true],
    ["export { x } from './x.js';", true],
  ])('classifies %s', (source, ok) => {
    expect(specifiers(source).every((s) => allowed(s, false))).toBe(ok);
  });
});

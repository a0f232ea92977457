import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Haven's version, from the nearest package.json above this file (source and build layouts differ). */
function readVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'haven' && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

export const HAVEN_VERSION = readVersion();

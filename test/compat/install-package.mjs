// Installs the built package into the Nest 11 apps' node_modules the way npm would: a copy of
// package.json and dist/. A symlink would make our imports of @nestjs/* resolve from this repo's
// node_modules (Nest 12) instead of the apps' own Nest 11.
import { cp, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

for (const app of ['nest11', 'nest11-jest']) {
  const target = fileURLToPath(new URL(`./${app}/node_modules/nestjs-agent-bus/`, import.meta.url));
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  await cp(`${root}package.json`, `${target}package.json`);
  await cp(`${root}dist`, `${target}dist`, { recursive: true });
}

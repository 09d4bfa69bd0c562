import { readFileSync } from 'node:fs';

// src/ and dist/ both sit one level below the package root.
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export const CONNECTOR_NAME = packageJson.name;
export const CONNECTOR_VERSION = packageJson.version;

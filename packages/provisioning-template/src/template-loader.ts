import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ProvisioningTemplate } from './template-types.js';
import { TemplateValidationError, validateTemplate } from './template-validator.js';

/** Reads `<dir>/<name>.json` templates (file name = template name) plus inline ones; all are validated. */
export async function loadTemplates(
  dir: string | undefined,
  inline: Record<string, unknown> = {},
): Promise<Map<string, ProvisioningTemplate>> {
  const templates = new Map<string, ProvisioningTemplate>();
  if (dir) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
      const name = basename(file, '.json');
      const text = await readFile(join(dir, file), 'utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new TemplateValidationError(name, [`${file} is not valid JSON: ${(error as Error).message}`]);
      }
      templates.set(name, validateTemplate(name, body, text));
    }
  }
  for (const [name, body] of Object.entries(inline)) templates.set(name, validateTemplate(name, body));
  return templates;
}

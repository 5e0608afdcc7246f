/**
 * Refuses an unsupported Node.js before anything else loads: imported first by the CLI entry, so an old runtime
 * gets one clear line naming its version instead of a crash inside a dependency. Keep it free of imports.
 */

/** Why Sigilo will not run on Node.js `version`, or null when it is supported (24 LTS; 22.13+ while maintained). */
export function nodeRefusal(version: string): string | null {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major === 24 || (major === 22 && minor >= 13)) return null;
  return (
    `sigilo: Node.js ${version} is not supported; Sigilo runs on Node.js 24 LTS ` +
    `(22.13 or later is accepted while it is maintained). See "Quickstart" in README.md.`
  );
}

const refusal = nodeRefusal(process.versions.node);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}

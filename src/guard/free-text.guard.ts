/**
 * Applies the policy's detector actions to one free-text field before it is stored. Services call `check` with
 * the field's policy name (`ticket_message.body`) and act on the verdict; the text never leaves this function in
 * an error, a log line or a verdict other than the redacted copy.
 */
import { SigiloError } from '../errors.ts';
import { detectorAction } from '../policy/policy.evaluate.ts';
import type { DetectorAction, Policy } from '../policy/policy.schema.ts';
import { classesOf, redactText, scanText } from './guard.ts';
import type { GuardClass } from './guard-classes.ts';

export type GuardVerdict =
  | { action: 'store'; text: string }
  | { action: 'redact'; text: string; classes: GuardClass[] }
  | { action: 'quarantine'; text: string; classes: GuardClass[] };

// When one text holds classes with different actions the strictest wins: refusing beats holding for review,
// and holding for review (a person decides) beats removing spans automatically.
const PRECEDENCE: readonly DetectorAction[] = ['reject', 'quarantine', 'redact'];

/** The guard as the services see it: the policy in force decides per field and class. */
export class FreeTextGuard {
  constructor(private readonly policy: () => Policy) {}

  /**
   * What to store for `text` in `field`: the text itself, a redacted copy, or the text held for review;
   * SENSITIVE_DATA_DETECTED (naming `path` and the classes) when the policy rejects what was found.
   */
  check(field: string, text: string, path: string): GuardVerdict {
    const policy = this.policy();
    if (!(field in policy.detectors.fields)) return { action: 'store', text };
    const findings = scanText(text);
    if (findings.length === 0) return { action: 'store', text };
    const actionOf = (cls: GuardClass): DetectorAction => detectorAction(policy, field, cls) ?? 'reject';
    const action = PRECEDENCE.find((a) => findings.some((f) => actionOf(f.class) === a)) ?? 'reject';
    const classes = classesOf(findings);
    if (action === 'reject') {
      const rejected = classes.filter((c) => actionOf(c) === 'reject');
      throw new SigiloError(
        'SENSITIVE_DATA_DETECTED',
        `${path} contains data the policy does not allow in this field: ${rejected.join(', ')}`,
        { path, classes: rejected },
      );
    }
    if (action === 'quarantine') return { action, text, classes };
    return { action, text: redactText(text, findings), classes };
  }
}

/**
 * Refuses staff free text that holds an identifier or a sensitive category (SENSITIVE_DATA_DETECTED naming `path`
 * and the classes, never the text): for fields that must say why without naming anyone (a legal hold's reason, an
 * authority request's decision reasons), which are sealed all the same.
 */
export function refuseSensitiveText(text: string, path: string): void {
  const classes = classesOf(scanText(text));
  if (classes.length > 0) {
    throw new SigiloError(
      'SENSITIVE_DATA_DETECTED',
      `${path} contains personal or sensitive data: ${classes.join(', ')}`,
      { path, classes },
    );
  }
}

/**
 * Problems found in a manifest: collected from every stage (YAML, schema, files, model signatures)
 * and reported together, so one run of `tutti validate` shows everything there is to fix.
 */
import { z } from 'zod';
import { TuttiError } from '@tutti/core';

export interface ManifestIssue {
  /** Field path such as `members[2].weight`, with the member's name for model checks (`members[1] (mlp)`); '' for the file itself. */
  path: string;
  message: string;
  /** 1-based position in manifest.yaml, when known. */
  line?: number;
  column?: number;
}

export type FieldPath = readonly PropertyKey[];

export interface Position {
  line: number;
  column: number;
}

export class ManifestError extends TuttiError {
  readonly issues: readonly ManifestIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly ManifestIssue[]) {
    super('INVALID_MANIFEST', formatIssues(source, issues));
    this.name = 'ManifestError';
    this.source = source;
    this.issues = issues;
  }
}

export function formatIssue(issue: ManifestIssue): string {
  const where = issue.line === undefined ? '' : ` (line ${issue.line}${issue.column === undefined ? '' : `, column ${issue.column}`})`;
  return `${issue.path ? `${issue.path}: ` : ''}${issue.message}${where}`;
}

export function formatIssues(source: string, issues: readonly ManifestIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [`invalid manifest ${source} (${count}):`, ...issues.map((issue) => `  - ${formatIssue(issue)}`)].join('\n');
}

/**
 * Collects issues as field paths and turns them into ManifestIssues with positions in the YAML
 * text, ordered as they appear in the file.
 */
export class IssueCollector {
  readonly #locate: (path: FieldPath) => Position | undefined;
  readonly #issues: ManifestIssue[] = [];

  constructor(locate: (path: FieldPath) => Position | undefined = () => undefined) {
    this.#locate = locate;
  }

  get size(): number {
    return this.#issues.length;
  }

  /** `subject` names what the path points at, e.g. the member's name next to `members[1]`. */
  add(path: FieldPath, message: string, subject?: string): void {
    const dotted = z.core.toDotPath(path as PropertyKey[]);
    const position = this.#locate(path);
    this.#issues.push({
      path: subject === undefined ? dotted : `${dotted} (${subject})`,
      message,
      ...(position && { line: position.line, column: position.column }),
    });
  }

  /** An issue with a known position and no field, such as a YAML syntax error. */
  addAt(position: Position | undefined, message: string): void {
    this.#issues.push({ path: '', message, ...(position && { line: position.line, column: position.column }) });
  }

  addZod(issues: readonly z.core.$ZodIssue[], prefix: FieldPath = []): void {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        // One issue per key, pointing at the key itself rather than at the object holding it.
        for (const key of issue.keys) this.add([...path, key], issue.message);
      } else if (issue.code === 'invalid_union') {
        const branch = closestBranch(issue.errors);
        if (branch) this.addZod(branch, path);
        else this.add(path, issue.message);
      } else {
        this.add(path, issue.message);
      }
    }
  }

  /** Issues in the order they appear in the file; those without a position keep their order, last. */
  get issues(): ManifestIssue[] {
    const order = (issue: ManifestIssue) => (issue.line ?? Infinity) * 1e6 + (issue.column ?? 0);
    return this.#issues
      .map((issue, index) => ({ issue, index }))
      .sort((a, b) => order(a.issue) - order(b.issue) || a.index - b.index)
      .map(({ issue }) => issue);
  }
}

/**
 * The union branch the value was evidently meant for, judged by how deep its complaints go: a
 * branch that rejects the value's type outright is the least likely, one that only objects to
 * fields inside the value the most. For `rule: median` that is the rule-name branch ("unknown
 * rule"); for `rule: { module: 3 }` the module branch. Ties fall back to the union's own message.
 */
function closestBranch(branches: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
  const closeness = (issues: readonly z.core.$ZodIssue[]): number => {
    const root = issues.filter((issue) => issue.path.length === 0);
    if (root.some((issue) => issue.code === 'invalid_type')) return 0;
    return root.length > 0 ? 1 : 2;
  };
  const scores = branches.map(closeness);
  const best = Math.max(...scores);
  return scores.filter((score) => score === best).length === 1 ? branches[scores.indexOf(best)] : undefined;
}

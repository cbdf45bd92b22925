/** manifest.yaml text -> checked ManifestDocument: YAML syntax, then the schema. */
import { isNode, LineCounter, parseDocument } from 'yaml';
import { IssueCollector, ManifestError, type FieldPath, type Position } from './issues.js';
import { describeIssue } from './messages.js';
import { manifestSchema, type ManifestDocument } from './schema.js';

export interface ParsedText {
  /** The YAML as plain data; undefined when the YAML itself is broken. */
  raw: unknown;
  /** The checked manifest, when the schema accepted it. */
  document: ManifestDocument | undefined;
  /** Problems so far, positioned in the text; later stages add theirs. */
  issues: IssueCollector;
}

/** Parses and checks a manifest without throwing, for callers that go on to check files too. */
export function analyseText(text: string, source: string): ParsedText {
  const lineCounter = new LineCounter();
  // Errors are worded here with line and column; yaml's pretty errors add multi-line excerpts.
  const yaml = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: FieldPath): Position | undefined => {
    // A missing field has no node: point at the closest enclosing one that exists.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? yaml.contents : yaml.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) return positionOf(node.range[0]);
    }
    return undefined;
  };
  const issues = new IssueCollector(locate);

  if (yaml.errors.length > 0) {
    for (const error of yaml.errors) issues.addAt(positionOf(error.pos[0]), `YAML syntax error: ${error.message}`);
    return { raw: undefined, document: undefined, issues };
  }
  let raw: unknown;
  try {
    raw = yaml.toJS({ maxAliasCount: 100 });
  } catch (error) {
    issues.addAt(undefined, `YAML error: ${(error as Error).message}`);
    return { raw: undefined, document: undefined, issues };
  }
  if (raw === null || raw === undefined) {
    issues.add([], 'the file is empty; expected a mapping with name, inputs, outputs, members, rule and batching');
    return { raw, document: undefined, issues };
  }
  const result = manifestSchema.safeParse(raw, { error: describeIssue });
  if (!result.success) issues.addZod(result.error.issues);
  return { raw, document: result.data, issues };
}

/**
 * Checks a manifest's text (YAML and schema; no files are read). `source` names the file in
 * messages. Throws ManifestError listing every problem.
 */
export function parseManifest(text: string, source: string): ManifestDocument {
  const { document, issues } = analyseText(text, source);
  if (!document || issues.size > 0) throw new ManifestError(source, issues.issues);
  return document;
}
